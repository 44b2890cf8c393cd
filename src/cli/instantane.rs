//! `maillage instantane` (`build-index`): reads a data directory once (files, geocoding,
//! duplicates) and writes the binary snapshot that `servir --data FICHIER` loads in seconds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use maillage::pipeline::{self, Stage};
use maillage::sources::snapshot;

use super::DataArg;

#[derive(Debug, Args)]
pub struct InstantaneArgs {
    #[command(flatten)]
    data: DataArg,
    /// Instantané à écrire (remplacé d'un coup : jamais à moitié écrit).
    #[arg(long)]
    sortie: PathBuf,
}

pub fn run(args: InstantaneArgs) -> Result<ExitCode> {
    let data = args.data.dir()?;
    let started = std::time::Instant::now();
    let ds = pipeline::read_dir(data, Stage::Merged, &mut std::io::stderr())
        .with_context(|| format!("chargement du dossier {}", data.display()))?;
    let bytes = snapshot::write(&ds, &args.sortie)
        .with_context(|| format!("écriture de l'instantané {}", args.sortie.display()))?;
    eprintln!(
        "Instantané écrit : {} ({} acteurs, {} communes, {:.0} Mo) en {:.1} s.\n\
         Servez-le avec : maillage servir --data {}",
        args.sortie.display(),
        ds.actors.len(),
        ds.communes.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        args.sortie.display()
    );
    Ok(ExitCode::SUCCESS)
}
