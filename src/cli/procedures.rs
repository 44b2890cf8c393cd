//! `maillage procedures verifier` (`check`): checks orientation procedure files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::DataArg;

#[derive(Debug, Args)]
pub struct ProceduresArgs {
    #[command(subcommand)]
    cmd: ProceduresCmd,
}

#[derive(Debug, Subcommand)]
enum ProceduresCmd {
    /// Vérifie les procédures : erreurs « fichier:ligne: … », code de sortie 1 en cas d'erreur.
    #[command(name = "verifier", alias = "check")]
    Check {
        /// Fichiers .toml à vérifier (par défaut : le dossier --procedures, ou les procédures
        /// d'exemple intégrées).
        fichiers: Vec<PathBuf>,
        /// Dossier des procédures.
        #[arg(long)]
        procedures: Option<PathBuf>,
        #[command(flatten)]
        data: DataArg,
    },
}

pub fn run(args: ProceduresArgs) -> Result<ExitCode> {
    let ProceduresCmd::Check {
        fichiers,
        procedures,
        data,
    } = args.cmd;
    let dir = data.load()?;
    let code = maillage::orientation::cli::run_procedures(
        &fichiers,
        procedures.as_deref(),
        &dir,
        &mut std::io::stdout(),
    )?;
    Ok(ExitCode::from(code))
}
