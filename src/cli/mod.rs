//! The commands of the `maillage` binary, one file each, every one returning
//! `Result<ExitCode>`. Command-line parsing (clap) lives here, on the binary side only; the
//! library gets plain option structs. Options shared by several commands (`--data`, `--base`)
//! are declared once below and flattened.

pub mod diagnostic;
pub mod doublons;
pub mod geocoder;
pub mod instantane;
pub mod interroger;
pub mod jetons;
pub mod orientation;
pub mod partenaires;
pub mod procedures;
pub mod restaurer;
pub mod routage;
pub mod sauvegarde;
pub mod servir;
pub mod statistiques;
pub mod telecharger;
pub mod verifier;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

    /// Loads `--data` with the partners of `base` published into it: the directory `maillage
    /// servir` serves with the same `--data` and `--base`, for every command that answers
    /// about actors.
    pub fn load_served(&self, base: &BaseArg) -> Result<Directory> {
        Ok(maillage::pipeline::with_partner_base(
            self.load()?,
            &base.base,
        )?)
    }
}

/// `--base`, the SQLite base of the local partner directory (declared once, flattened).
#[derive(Debug, Clone, Args)]
pub struct BaseArg {
    /// Base SQLite de l'annuaire local des partenaires (créée au premier lancement).
    #[arg(long = "base", default_value = maillage::store::cli::DEFAULT_BASE, global = true)]
    pub base: PathBuf,
}

impl Default for BaseArg {
    fn default() -> BaseArg {
        BaseArg {
            base: maillage::store::cli::DEFAULT_BASE.into(),
        }
    }
}

/// The exit code of a `fetch::cli` command.
pub fn exit(code: Result<u8, maillage::fetch::cli::CommandError>) -> Result<ExitCode> {
    // Display only: the library's messages are complete French sentences.
    Ok(ExitCode::from(code.map_err(|e| anyhow::anyhow!("{e}"))?))
}

/// The message of a command's error, in French: each cause once (a message that already
/// quotes its cause does not repeat it), system errors through
/// [`maillage::util::os_error::describe`] rather than the system's English text.
pub fn error_message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let (english, french) = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => (io.to_string(), maillage::util::os_error::describe(io)),
            None => {
                let t = cause.to_string();
                (t.clone(), t)
            }
        };
        if !english.is_empty() && msg.contains(&english) {
            msg = msg.replace(&english, &french);
        } else if !msg.contains(&french) {
            if !msg.is_empty() {
                msg.push_str(" : ");
            }
            msg.push_str(&french);
        }
    }
    msg
}
