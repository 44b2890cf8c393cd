//! The geocoding cache: an append-only CSV keyed by normalised address, so that each address
//! is sent to the geocoder once.
//!
//! Layout (UTF-8, `;`, one header line):
//! `cle;longitude;latitude;precision;score;libelle`. An address the geocoder could not place
//! is kept with empty coordinates and precision `inconnue`, so it is not asked again. When a
//! key appears twice, the last line wins.
//!
//! ```
//! use maillage::geocode::cache::{GeocodeCache, CachedPlace};
//! use maillage::model::{LonLat, Precision};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("geocodage.csv");
//! let mut c = GeocodeCache::open(&path).unwrap();
//! c.append(&[("12 rue x|81000|81004".into(), CachedPlace {
//!     position: Some(LonLat::new(2.14, 43.93)), precision: Precision::Address,
//!     score: 0.93, label: "12 Rue X 81000 Albi".into() })]).unwrap();
//! let again = GeocodeCache::open(&path).unwrap();
//! assert_eq!(again.get("12 rue x|81000|81004").unwrap().precision, Precision::Address);
//! ```

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::GeocodeError;
use crate::model::{LonLat, Precision};

/// Header of the cache file.
pub const HEADER: &str = "cle;longitude;latitude;precision;score;libelle";

/// One geocoded (or unplaceable) address.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedPlace {
    pub position: Option<LonLat>,
    pub precision: Precision,
    /// Geocoder score, 0 to 1.
    pub score: f64,
    /// The geocoder's label of the match.
    pub label: String,
}

/// The cache, loaded in memory; new entries are appended to the file.
#[derive(Debug)]
pub struct GeocodeCache {
    path: PathBuf,
    entries: HashMap<String, CachedPlace>,
    /// Lines of the file that could not be read (line number, reason), kept for the report.
    pub bad_lines: Vec<(usize, String)>,
}

impl GeocodeCache {
    /// Opens (or starts) the cache file.
    pub fn open(path: &Path) -> Result<GeocodeCache, GeocodeError> {
        let mut cache = GeocodeCache {
            path: path.to_path_buf(),
            entries: HashMap::new(),
            bad_lines: Vec::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cache),
            Err(e) => return Err(GeocodeError::io(path, e)),
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if n == 1 || line.trim().is_empty() {
                continue;
            }
            match parse_line(line) {
                Ok((k, p)) => {
                    cache.entries.insert(k, p);
                }
                Err(why) => cache.bad_lines.push((n, why)),
            }
        }
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<&CachedPlace> {
        self.entries.get(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends entries to the file (creating it with its header) and to memory. Each batch is
    /// written with one `write` of whole lines, so an interrupted run loses at most a batch.
    pub fn append(&mut self, items: &[(String, CachedPlace)]) -> Result<(), GeocodeError> {
        if items.is_empty() {
            return Ok(());
        }
        let new = !self.path.exists();
        let mut text = String::new();
        if new {
            text.push_str(HEADER);
            text.push('\n');
        }
        for (k, p) in items {
            let (lon, lat) = p.position.map_or((String::new(), String::new()), |p| {
                (format!("{:.6}", p.lon), format!("{:.6}", p.lat))
            });
            text.push_str(&format!(
                "{};{lon};{lat};{};{:.3};{}\n",
                clean(k),
                p.precision.id(),
                p.score,
                clean(&p.label)
            ));
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| GeocodeError::io(&self.path, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| GeocodeError::io(&self.path, e))?;
        for (k, p) in items {
            self.entries.insert(k.clone(), p.clone());
        }
        Ok(())
    }
}

/// Removes the separator and line breaks from a field.
fn clean(s: &str) -> String {
    s.replace([';', '\n', '\r'], " ")
}

fn parse_line(line: &str) -> Result<(String, CachedPlace), String> {
    let f: Vec<&str> = line.split(';').collect();
    if f.len() < 6 {
        return Err(format!("6 champs attendus ({HEADER}), {} trouvés", f.len()));
    }
    let precision = match f[3] {
        "adresse" => Precision::Address,
        "rue" => Precision::Street,
        "commune" => Precision::Commune,
        "inconnue" => Precision::Unknown,
        other => {
            return Err(format!(
                "precision : attendu adresse, rue, commune ou inconnue, trouvé « {other} »"
            ))
        }
    };
    let position = if f[1].is_empty() && f[2].is_empty() {
        None
    } else {
        let lon: f64 = f[1]
            .parse()
            .map_err(|_| format!("longitude : attendu un nombre, trouvé « {} »", f[1]))?;
        let lat: f64 = f[2]
            .parse()
            .map_err(|_| format!("latitude : attendu un nombre, trouvé « {} »", f[2]))?;
        let p = LonLat::new(lon, lat);
        if !p.is_valid() {
            return Err(format!("coordonnées hors plage : {lon}, {lat}"));
        }
        Some(p)
    };
    let score = f[4].parse().unwrap_or(0.0);
    Ok((
        f[0].to_string(),
        CachedPlace {
            position,
            precision: if position.is_some() {
                precision
            } else {
                Precision::Unknown
            },
            score,
            label: f[5..].join(" "),
        },
    ))
}
