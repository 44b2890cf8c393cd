//! `maillage sauvegarde` (`backup`): a copy of the partner base, even while the server runs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::BaseArg;

#[derive(Debug, Args)]
pub struct SauvegardeArgs {
    /// Fichier de sauvegarde à écrire.
    #[arg(long)]
    sortie: PathBuf,
    #[command(flatten)]
    base: BaseArg,
}

pub fn run(args: SauvegardeArgs) -> Result<ExitCode> {
    Ok(ExitCode::from(maillage::store::cli::run_backup(
        &args.base.base,
        &args.sortie,
        &mut std::io::stdout(),
    )?))
}
