//! The commands of the `maillage` binary, one module each. Command-line parsing (clap) lives
//! here, on the binary side; the library only gets plain values.

pub mod instantane;
pub mod interroger;
pub mod orientation;
pub mod procedures;
pub mod servir;
pub mod statistiques;
pub mod verifier;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use maillage::index::Directory;

/// `--data`, shared by every command that reads the directory (declared once, flattened).
#[derive(Debug, Clone, Default, Args)]
pub struct DataArg {
    /// Dossier de données (FINESS, SAE, contours, populations, territoires, partenaires…), ou
    /// instantané écrit par « maillage instantane » ; par défaut : la démonstration (le Tarn).
    #[arg(long = "data", alias = "index", global = true)]
    pub data: Option<PathBuf>,
}

impl DataArg {
    /// Loads `--data` through the one load pipeline, reporting on stderr.
    pub fn load(&self) -> Result<Directory> {
        Ok(maillage::pipeline::directory(
            self.data.as_deref(),
            &mut std::io::stderr(),
        )?)
    }
}
