//! `maillage restaurer` (`restore`): a backup restored into the partner base.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::BaseArg;

#[derive(Debug, Args)]
pub struct RestaurerArgs {
    /// Fichier de sauvegarde.
    fichier: PathBuf,
    #[command(flatten)]
    base: BaseArg,
}

pub fn run(args: RestaurerArgs) -> Result<ExitCode> {
    Ok(ExitCode::from(maillage::store::cli::run_restore(
        &args.fichier,
        &args.base.base,
        &mut std::io::stdout(),
    )?))
}
