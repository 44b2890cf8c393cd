//! `maillage doublons` (`duplicates`): records linked across sources (merged) and close cases
//! to check.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::fetch::cli as lib;

use super::{exit, DataArg};

#[derive(Debug, Args)]
pub struct DoublonsArgs {
    #[command(flatten)]
    data: DataArg,
    /// Écrit la liste en CSV (séparateur « ; ») au lieu du tableau.
    #[arg(long)]
    csv: bool,
}

pub fn run(a: DoublonsArgs) -> Result<ExitCode> {
    let args = lib::DoublonsArgs {
        data: a.data.dir()?.to_path_buf(),
        csv: a.csv,
    };
    exit(lib::run_doublons(&args, &mut std::io::stdout()))
}
