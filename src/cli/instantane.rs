//! `maillage instantane` (`build-index`): reads a data directory once (files, geocoding,
//! duplicates) and writes the binary snapshot that `servir --data FICHIER` loads in seconds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use maillage::pipeline::{self, Stage};

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
    let dir = maillage::index::Directory::build(ds);
    let bytes = dir
        .write_snapshot(&args.sortie)
        .with_context(|| format!("écriture de l'instantané {}", args.sortie.display()))?;
    eprintln!(
        "Instantané écrit : {} ({} acteurs, {} communes, {:.0} Mo) en {:.1} s.\n\
         Servez-le avec : maillage servir --data {}",
        args.sortie.display(),
        dir.actors().len(),
        dir.communes().len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        args.sortie.display()
    );
    Ok(ExitCode::SUCCESS)
}
