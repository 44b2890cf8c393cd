//! `maillage verifier` (`check`): each file's format, accepted and rejected rows, ignored
//! lines, first rejections; exit code 1 when a row is rejected or a file unreadable.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::sources::{self, Dataset};

#[derive(Debug, Args)]
pub struct VerifierArgs {
    /// Fichiers à vérifier.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Nombre de rejets affichés par fichier.
    #[arg(long = "max-rejets", default_value_t = 20)]
    max_rejets: usize,
}

pub fn run(args: VerifierArgs) -> Result<ExitCode> {
    check(&args.files, args.max_rejets)
}

fn check(files: &[PathBuf], max: usize) -> Result<ExitCode> {
    let mut any_rejected = false;
    let mut any_failed = false;
    for path in files {
        let mut ds = Dataset::new();
        match sources::load_file(&mut ds, path) {
            Ok(()) => {
                let r = ds.reports.last().expect("one report per loaded file");
                println!(
                    "{} : format {} ; {} acceptée(s), {} rejetée(s) ; données : {}",
                    path.display(),
                    r.format.source_name(),
                    r.accepted,
                    r.rejected,
                    maillage::util::date::source_date_text(r.source_date.as_deref())
                );
                if r.ignored > 0 {
                    println!(
                        "  {} ligne(s) ignorée(s) (en-têtes, lignes vides ou de commentaire, \
                         lignes d'un type non repris ou fusionnées avec une autre)",
                        r.ignored
                    );
                }
                for note in &r.notes {
                    println!("  remarque : {note}");
                }
                for rej in r.rejections.iter().take(max) {
                    println!("  {rej}");
                }
                if r.rejected > max {
                    println!("  … et {} autre(s) rejet(s)", r.rejected - max);
                }
                any_rejected |= r.rejected > 0;
            }
            Err(e) => {
                println!("{e}");
                any_failed = true;
            }
        }
    }
    Ok(if any_rejected || any_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
