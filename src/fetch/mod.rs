//! `maillage fetch`: downloads the official open datasets, cuts them to an area and writes
//! them, with a `manifest.json`, into a data directory that `maillage serve --data` loads.
//!
//! This module only downloads and cuts files; [`crate::sources`] parses them. Downloads are
//! cached in `<dossier>/.telechargements/` ([`download`]): a second fetch asks the server
//! whether the file changed (ETag / Last-Modified) and downloads nothing when it did not; an
//! interrupted download resumes where it stopped.
//!
//! ```no_run
//! use maillage::fetch::{fetch, FetchOptions, area::Area, config::SourcesConfig};
//! let opts = FetchOptions {
//!     area: Area::new(&["81".into()], &[], false).unwrap(),
//!     dir: "donnees-81".into(),
//!     config: SourcesConfig::builtin().unwrap(),
//!     progress: true,
//! };
//! let manifest = fetch(&opts, &mut std::io::stderr()).unwrap();
//! println!("{} fichiers", manifest.fichiers.len());
//! ```

pub mod area;
pub mod cli;
pub mod config;
pub mod cut;
pub mod download;
pub mod manifest;
pub mod osm;

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use area::Area;
use config::{Archive, CutFormat, SourceConfig, SourcesConfig};
use cut::{CutError, CutStats};
use download::{Downloaded, Downloader};
use manifest::{Manifest, ManifestEntry, MANIFEST_FILE};

/// Name of the download cache directory inside the data directory.
pub const CACHE_DIR: &str = ".telechargements";

/// A fetch failure, with a French message naming the URL or file.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{file} : configuration des sources invalide : {detail}")]
    Config { file: String, detail: String },
    #[error("zone demandée : {detail}")]
    Area { detail: String },
    #[error("{path} : {detail}")]
    Io { path: String, detail: String },
    #[error(
        "{url} : serveur injoignable ({detail}). Êtes-vous hors ligne ? Vérifiez la connexion \
         ou le proxy, puis relancez : les téléchargements déjà faits sont gardés en cache."
    )]
    Offline { url: String, detail: String },
    #[error(
        "{url} : le serveur a répondu {status} {reason}. Vérifiez l'adresse dans la \
         configuration des sources (--config)."
    )]
    Status {
        url: String,
        status: u16,
        reason: String,
    },
    #[error("{url} : erreur HTTP : {detail}")]
    Http { url: String, detail: String },
    #[error(
        "{url} : téléchargement interrompu à {received} octets après {attempts} reprises ; \
         relancez la commande pour reprendre où il s'est arrêté"
    )]
    Truncated {
        url: String,
        received: u64,
        attempts: usize,
    },
    #[error("{file} : {detail}")]
    Archive { file: String, detail: String },
    #[error("{url} ({file}) : fichier inattendu : attendu {expected}")]
    Format {
        url: String,
        file: String,
        expected: String,
    },
}

impl FetchError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> FetchError {
        FetchError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }

    pub(crate) fn from_reqwest(url: &str, e: &reqwest::Error) -> FetchError {
        let detail = error_chain(e);
        if is_unreachable(e) {
            FetchError::Offline {
                url: url.to_string(),
                detail,
            }
        } else {
            FetchError::Http {
                url: url.to_string(),
                detail,
            }
        }
    }
}

/// True when a request failed because the server could not be reached (refused, reset,
/// timed out, no route), whatever layer reported it: with a streamed body (multipart), a
/// refused connection can surface as a body error.
pub fn is_unreachable(e: &reqwest::Error) -> bool {
    use std::io::ErrorKind::*;
    if e.is_connect() || e.is_timeout() {
        return true;
    }
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | TimedOut
                    | HostUnreachable
                    | NetworkUnreachable
                    | BrokenPipe
            ) {
                return true;
            }
        }
        cur = c.source();
    }
    false
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(" : ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Writes a file atomically (see [`crate::util::fs`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FetchError> {
    crate::util::fs::write_atomic(path, bytes).map_err(|e| FetchError::io(path, e))
}

/// What to fetch, where.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub area: Area,
    /// The data directory to write.
    pub dir: PathBuf,
    pub config: SourcesConfig,
    /// Show progress bars.
    pub progress: bool,
}

/// Downloads (or reuses) every configured source, cuts it to the area, writes the cut files
/// and `manifest.json` into the data directory, and tells the user what happened on `log`
/// (in French). Stops at the first source that fails; files already written stay.
pub fn fetch(opts: &FetchOptions, log: &mut dyn Write) -> Result<Manifest, FetchError> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| FetchError::io(&opts.dir, e))?;
    let downloader = Downloader::new(&opts.dir.join(CACHE_DIR), opts.progress)?;
    let mut entries = Vec::new();
    let _ = writeln!(log, "Zone : {}", opts.area.label());
    for source in &opts.config.sources {
        let _ = writeln!(log, "{} : {}", source.nom, source.url);
        let d = downloader.get(&source.id, &source.nom, &source.url)?;
        let out_path = opts.dir.join(&source.fichier);
        let stats = cut_to_file(source, &d, &opts.area, &out_path)?;
        let entry = manifest_entry(
            (&source.id, &source.nom, &source.url),
            &d,
            &source.fichier,
            &out_path,
            &stats,
            &opts.area,
        )?;
        let _ = writeln!(
            log,
            "  {} ; {} ligne(s) gardée(s) sur {} → {}",
            d.status.label(),
            stats.kept,
            stats.read,
            out_path.display()
        );
        entries.push(entry);
    }
    let manifest = Manifest {
        version: env!("CARGO_PKG_VERSION").to_string(),
        date: crate::util::date::now(),
        zone: opts.area.label(),
        france: opts.area.france,
        fichiers: entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    write_atomic(&opts.dir.join(MANIFEST_FILE), &json)?;
    Ok(manifest)
}

/// The manifest entry of one download (`(id, name, url)` of the source) written as `fichier`
/// (`out_path`), with the rows read and kept.
pub(crate) fn manifest_entry(
    (id, name, url): (&str, &str, &str),
    d: &Downloaded,
    fichier: &str,
    out_path: &Path,
    stats: &CutStats,
    area: &Area,
) -> Result<ManifestEntry, FetchError> {
    Ok(ManifestEntry {
        id: id.to_string(),
        source: name.to_string(),
        url: url.to_string(),
        date_telechargement: d.meta.date.clone(),
        etag: d.meta.etag.clone(),
        last_modified: d.meta.last_modified.clone(),
        taille: d.meta.size,
        sha256: d.meta.sha256.clone().unwrap_or_default(),
        statut: serde_json::to_value(d.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        fichier: fichier.to_string(),
        taille_fichier: std::fs::metadata(out_path).map(|m| m.len()).unwrap_or(0),
        sha256_fichier: download::sha256_file(out_path)?,
        lignes_lues: stats.read,
        lignes: stats.kept,
        departements: area.departements.iter().cloned().collect(),
    })
}

/// Reads the manifest of a data directory, if there is one.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Decompresses (when needed) and cuts one download into `out_path`, atomically.
fn cut_to_file(
    source: &SourceConfig,
    d: &Downloaded,
    area: &Area,
    out_path: &Path,
) -> Result<CutStats, FetchError> {
    crate::util::fs::write_atomic_with(
        out_path,
        |e| FetchError::io(out_path, e),
        |out| {
            let input = File::open(&d.path).map_err(|e| FetchError::io(&d.path, e))?;
            let result = match source.archive {
                None => cut_with(source.format, input, out, area),
                Some(Archive::Gzip) => cut_with(
                    source.format,
                    flate2::read::MultiGzDecoder::new(input),
                    out,
                    area,
                ),
                Some(Archive::Zip) => {
                    let archive_err = |detail: String| FetchError::Archive {
                        file: format!("{} ({})", source.url, d.path.display()),
                        detail,
                    };
                    let mut zip = zip::ZipArchive::new(input)
                        .map_err(|e| archive_err(format!("archive zip illisible : {e}")))?;
                    let pattern = source.membre.as_deref().unwrap_or("*");
                    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
                    let Some(name) = names.iter().find(|n| {
                        let base = n.rsplit('/').next().unwrap_or(n);
                        config::wildcard_match(pattern, base)
                    }) else {
                        return Err(archive_err(format!(
                            "aucun fichier « {pattern} » dans l'archive (elle contient : {})",
                            names.join(", ")
                        )));
                    };
                    let member = zip
                        .by_name(name)
                        .map_err(|e| archive_err(format!("{name} : {e}")))?;
                    cut_with(source.format, member, out, area)
                }
            };
            result.map_err(|e| match e {
                CutError::Io(e) => FetchError::Archive {
                    file: format!("{} ({})", source.url, d.path.display()),
                    detail: format!(
                        "lecture ou écriture impossible : {}",
                        crate::util::os_error::describe(&e)
                    ),
                },
                CutError::Format(expected) => FetchError::Format {
                    url: source.url.clone(),
                    file: d.path.display().to_string(),
                    expected,
                },
            })
        },
    )
}

fn cut_with<R: Read, W: Write>(
    format: CutFormat,
    input: R,
    out: &mut W,
    area: &Area,
) -> Result<CutStats, CutError> {
    match format {
        CutFormat::Finess => cut::cut_finess(input, out, area),
        CutFormat::Rpps => cut::cut_rpps(input, out, area),
        CutFormat::Bpe => cut::cut_bpe(input, out, area),
        CutFormat::CommunesGeojson => cut::cut_communes_geojson(input, out, area),
        CutFormat::CommunesJson => cut::cut_communes_json(input, out, area),
    }
}
