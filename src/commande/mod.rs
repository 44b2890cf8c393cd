//! The commands of the `maillage` binary, one module each. Command-line parsing (clap) lives
//! here, on the binary side; the library only gets plain values.

pub mod instantane;
pub mod interroger;
pub mod orientation;
pub mod procedures;
pub mod servir;
pub mod statistiques;
pub mod telecharger;
pub mod verifier;

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
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
    /// The data directory, for the commands that need one (no snapshot, no demo).
    pub fn dir(&self) -> Result<&Path> {
        match self.data.as_deref() {
            Some(d) if d.is_dir() => Ok(d),
            Some(d) => bail!("{} n'est pas un dossier de données", d.display()),
            None => bail!("« --data DOSSIER » est obligatoire : le dossier de données à lire"),
        }
    }

    /// Loads `--data` through the one load pipeline, reporting on stderr.
    pub fn load(&self) -> Result<Directory> {
        Ok(maillage::pipeline::directory(
            self.data.as_deref(),
            &mut std::io::stderr(),
        )?)
    }
}
