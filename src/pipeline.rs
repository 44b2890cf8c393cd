//! The one load pipeline, used by every command, the partner directory and the tests: a data
//! directory, a snapshot written by `maillage build-index`, or the embedded demo territory →
//! [`Dataset`] (files read, geocoding cache applied, duplicates merged) → [`Directory`].
//!
//! ```
//! let mut log = Vec::new();
//! let dir = maillage::pipeline::directory(None, &mut log).unwrap();
//! assert_eq!(dir.communes().len(), 314);
//! assert!(String::from_utf8(log).unwrap().contains("acteurs"));
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::dedup;
use crate::geocode;
use crate::index::Directory;
use crate::sources::{self, Dataset, SourceError};

/// How far a data directory is prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The files as they are.
    Files,
    /// Plus the addresses of the geocoding cache (`geocodage.csv`), when there is one.
    Geocoded,
    /// Plus the records of one actor in several sources merged (what is served).
    Merged,
}

/// Where data is loaded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data<'a> {
    /// The embedded demo territory (the Tarn).
    Demo,
    /// A data directory (files recognised by content).
    Dir(&'a Path),
    /// A snapshot file written by `maillage build-index`.
    Snapshot(&'a Path),
}

impl<'a> Data<'a> {
    /// `--data`: a file is a snapshot, a directory a data directory, nothing the demo.
    pub fn from_arg(data: Option<&'a Path>) -> Data<'a> {
        match data {
            Some(p) if p.is_file() => Data::Snapshot(p),
            Some(p) => Data::Dir(p),
            None => Data::Demo,
        }
    }
}

/// Why data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // The cause is part of the message (not a `source`, which would print it twice in a chain).
    #[error("chargement du dossier {} : {cause}", path.display())]
    Dir { path: PathBuf, cause: SourceError },
    #[error("chargement de l'instantané {} : {cause}", path.display())]
    Snapshot { path: PathBuf, cause: SourceError },
    #[error("chargement des données de démonstration : {0}")]
    Demo(SourceError),
    #[error("lecture de la base des partenaires {} : {cause}", path.display())]
    Base {
        path: PathBuf,
        cause: crate::store::StoreError,
    },
}

/// Reads a data directory up to `stage`; remarks (geocoded actors, merged duplicates) are
/// written to `log`, one indented line each.
pub fn read_dir(dir: &Path, stage: Stage, log: &mut dyn Write) -> Result<Dataset, SourceError> {
    let started = std::time::Instant::now();
    let mut ds = sources::load_dir(dir)?;
    tracing::info!("fichiers lus en {:.1} s", started.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    if stage >= Stage::Geocoded {
        let cache = dir.join(geocode::CACHE_FILE);
        match geocode::apply_cache_file(&mut ds, dir) {
            Ok((moved, bad)) => {
                if moved > 0 {
                    note(
                        log,
                        &format!(
                            "{moved} acteur(s) placé(s) à leur adresse géocodée ({})",
                            cache.display()
                        ),
                    );
                }
                for (line, why) in bad {
                    note(
                        log,
                        &format!("{}:{line}: ligne ignorée : {why}", cache.display()),
                    );
                }
            }
            Err(e) => note(log, &format!("cache de géocodage ignoré : {e}")),
        }
    }
    if stage >= Stage::Merged {
        let report = dedup::merge(&mut ds);
        let merged = report.links.iter().filter(|l| l.merged).count();
        if !report.links.is_empty() {
            note(
                log,
                &format!(
                    "{merged} fiche(s) fusionnée(s) avec la même fiche d'une autre source, {} \
                     lien(s) avec un partenaire local à confirmer ; les cas proches sont listés \
                     par « maillage doublons --data {} »",
                    report.links.len() - merged,
                    dir.display()
                ),
            );
        }
        tracing::info!(
            "géocodage et doublons en {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(ds)
}

/// Loads `--data` (see [`Data::from_arg`]) and indexes it: a data directory read to
/// [`Stage::Merged`], a snapshot used in place, or the demo. One line per file and a summary
/// are written to `log`.
pub fn directory(data: Option<&Path>, log: &mut dyn Write) -> Result<Directory, LoadError> {
    let started = std::time::Instant::now();
    let dir = match Data::from_arg(data) {
        Data::Snapshot(path) => {
            let dir = Directory::open_snapshot(path).map_err(|cause| LoadError::Snapshot {
                path: path.to_path_buf(),
                cause,
            })?;
            tracing::info!(
                "instantané ouvert en {:.2} s",
                started.elapsed().as_secs_f64()
            );
            dir
        }
        Data::Dir(path) => {
            let ds = read_dir(path, Stage::Merged, log).map_err(|cause| LoadError::Dir {
                path: path.to_path_buf(),
                cause,
            })?;
            build(ds)
        }
        Data::Demo => build(sources::demo::dataset().map_err(LoadError::Demo)?),
    };
    let mut rejected = 0;
    for r in dir.reports() {
        rejected += r.rejected;
        note(
            log,
            &format!(
                "{} : {} acceptée(s), {} rejetée(s){}",
                r.file,
                r.accepted,
                r.rejected,
                if r.sample {
                    " (données d'exemple)"
                } else {
                    ""
                }
            ),
        );
    }
    let _ = writeln!(
        log,
        "{} acteurs, {} communes, {} territoires chargés en {:.1} s{}",
        dir.actors().len(),
        dir.communes().len(),
        dir.territories().len(),
        started.elapsed().as_secs_f64(),
        if rejected > 0 {
            format!(" ; {rejected} ligne(s) rejetée(s) : voir « maillage check » ou /api/sources")
        } else {
            String::new()
        }
    );
    Ok(dir)
}

fn build(ds: Dataset) -> Directory {
    let t = std::time::Instant::now();
    let dir = Directory::build(ds);
    tracing::info!("index construits en {:.1} s", t.elapsed().as_secs_f64());
    dir
}

/// `dir` with the partners of the base `base` published into it, exactly as `maillage servir
/// --base` shows them (file partners not in the base, then the base's active partners). A base
/// that does not exist yet holds no partner: it is not created.
pub fn with_partner_base(dir: Directory, base: &Path) -> Result<Directory, LoadError> {
    if !base.exists() {
        return Ok(dir);
    }
    let err = |cause| LoadError::Base {
        path: base.to_path_buf(),
        cause,
    };
    let store = crate::store::Store::open(base).map_err(err)?;
    let swap = std::sync::Arc::new(arc_swap::ArcSwap::from_pointee(dir));
    let service = crate::store::service::PartnerService::new(store, std::sync::Arc::clone(&swap));
    let actors = service.local_actors().map_err(err)?;
    let published = swap.load().with_local_actors(actors);
    Ok(published)
}

/// Progress lines are informative: a closed log never stops a load.
fn note(log: &mut dyn Write, line: &str) {
    let _ = writeln!(log, "  {line}");
}
