//! Geocoding of actors published without coordinates (Annuaire Santé professionals, partners
//! without latitude/longitude) with the Base adresse nationale batch geocoder ([`ban`]), and a
//! local cache ([`cache`]) so that each address is geocoded once.
//!
//! Without the geocoder (offline, or never run), actors stay at their commune's centroid with
//! precision `commune`, as [`crate::sources::Dataset::place_unlocated_actors`] put them. Every
//! actor keeps its precision (`adresse`, `rue`, `commune`), which the page shows.
//!
//! ```
//! use maillage::geocode::address_key;
//! use maillage::model::{ActorRecord, KindId, SourceId};
//! let mut r = ActorRecord::new("rpps:1:S1", "Dr X", KindId(0), SourceId(0));
//! r.address.number = Some("12 bis".into());
//! r.address.street = Some("Av. de la République".into());
//! r.address.postcode = Some("81000".into());
//! r.commune = Some("81004".parse().unwrap());
//! let q = address_key(&r).unwrap();
//! assert_eq!(q.key, "12 bis av de la republique|81000|81004");
//! assert_eq!(q.address, "12 bis Av. de la République");
//! ```

pub mod ban;
pub mod cache;

use std::collections::HashSet;
use std::path::Path;

use ban::{BanClient, Query};
use cache::GeocodeCache;

use crate::model::{ActorRecord, Precision};
use crate::sources::Dataset;

/// Default name of the cache file in a data directory.
pub const CACHE_FILE: &str = "geocodage.csv";

/// Addresses sent per request (the public BAN service accepts files up to 50 MB).
pub const BATCH: usize = 5_000;

/// A geocoding failure, with a French message.
#[derive(Debug, thiserror::Error)]
pub enum GeocodeError {
    #[error("{path} : {detail}")]
    Io { path: String, detail: String },
    #[error("géocodeur {url} injoignable ({detail})")]
    Offline { url: String, detail: String },
    #[error("géocodeur {url} : le serveur a répondu {status} ; vérifiez l'adresse (--url)")]
    Status { url: String, status: u16 },
    #[error("géocodeur {url} : erreur HTTP : {detail}")]
    Http { url: String, detail: String },
    #[error("géocodeur {url} : réponse inattendue : {detail}")]
    Format { url: String, detail: String },
}

impl GeocodeError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> GeocodeError {
        GeocodeError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }
}

fn norm(s: &str) -> String {
    crate::model::text::fold(s)
}

/// The geocoding query of an actor: needs a street and a commune code or postcode.
pub fn address_key(r: &ActorRecord) -> Option<Query> {
    let street = r.address.street.as_deref().unwrap_or("").trim();
    if street.is_empty() {
        return None;
    }
    let number = r.address.number.as_deref().unwrap_or("").trim();
    let postcode = r
        .address
        .postcode
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_string();
    let citycode = r.commune.map(|c| c.to_string()).unwrap_or_default();
    if postcode.is_empty() && citycode.is_empty() {
        return None;
    }
    let address = [number, street]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Query {
        key: format!("{}|{postcode}|{citycode}", norm(&address)),
        address,
        postcode,
        citycode,
    })
}

/// Actors worth geocoding: no position, or only their commune's centroid.
fn needs_geocoding(r: &ActorRecord) -> bool {
    matches!(r.precision, Precision::Commune | Precision::Unknown) || r.position.is_none()
}

/// What a geocoding run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeocodeSummary {
    /// Actors without a precise position that have an address.
    pub candidates: usize,
    /// Distinct addresses among them.
    pub addresses: usize,
    /// Addresses already in the cache.
    pub from_cache: usize,
    /// Addresses sent to the geocoder in this run.
    pub asked: usize,
    /// Of those asked, found at the address, at the street, not found.
    pub found_address: usize,
    pub found_street: usize,
    pub not_found: usize,
    /// Set when the geocoder could not be reached: the remaining addresses stay at their
    /// commune's centroid (French note).
    pub offline: Option<String>,
}

/// Geocodes the addresses of the dataset's imprecisely placed actors that the cache does not
/// know yet, in batches, appending each batch's answers to the cache. Offline, stops and says
/// so in [`GeocodeSummary::offline`] (the actors stay at their commune's centroid).
pub fn geocode_missing(
    ds: &Dataset,
    cache: &mut GeocodeCache,
    client: &BanClient,
    batch: usize,
) -> Result<GeocodeSummary, GeocodeError> {
    let mut s = GeocodeSummary::default();
    let mut seen = HashSet::new();
    let mut todo: Vec<Query> = Vec::new();
    for r in ds.actors.iter().filter(|r| needs_geocoding(r)) {
        let Some(q) = address_key(r) else { continue };
        s.candidates += 1;
        if !seen.insert(q.key.clone()) {
            continue;
        }
        s.addresses += 1;
        if cache.get(&q.key).is_some() {
            s.from_cache += 1;
        } else {
            todo.push(q);
        }
    }
    for chunk in todo.chunks(batch.max(1)) {
        let answers = match client.geocode(chunk) {
            Ok(a) => a,
            Err(GeocodeError::Offline { url, detail }) => {
                let left = todo.len() - s.asked;
                s.offline = Some(format!(
                    "géocodeur {url} injoignable ({detail}) : {left} adresse(s) laissée(s) au \
                     centre de leur commune (précision « commune ») ; relancez plus tard, les \
                     adresses déjà géocodées sont gardées dans le cache"
                ));
                break;
            }
            Err(e) => return Err(e),
        };
        // Addresses the geocoder did not echo back are recorded as not found.
        let answered: HashSet<&str> = answers.iter().map(|(k, _)| k.as_str()).collect();
        let mut all = answers.clone();
        for q in chunk {
            if !answered.contains(q.key.as_str()) {
                all.push((
                    q.key.clone(),
                    cache::CachedPlace {
                        position: None,
                        precision: Precision::Unknown,
                        score: 0.0,
                        label: String::new(),
                    },
                ));
            }
        }
        for (_, p) in &all {
            match p.precision {
                Precision::Address => s.found_address += 1,
                Precision::Street => s.found_street += 1,
                _ => s.not_found += 1,
            }
        }
        cache.append(&all)?;
        s.asked += chunk.len();
    }
    Ok(s)
}

/// Moves actors placed at their commune's centroid (or not at all) to their geocoded address
/// when the cache has a better position. Returns the number of actors moved.
pub fn apply_cache(ds: &mut Dataset, cache: &GeocodeCache) -> usize {
    let mut moved = 0;
    for r in ds.actors.iter_mut().filter(|r| needs_geocoding(r)) {
        let Some(q) = address_key(r) else { continue };
        let Some(place) = cache.get(&q.key) else {
            continue;
        };
        let (Some(p), true) = (
            place.position,
            matches!(place.precision, Precision::Address | Precision::Street),
        ) else {
            continue;
        };
        r.position = Some(p);
        r.precision = place.precision;
        moved += 1;
    }
    if moved > 0 {
        ds.check_positions();
    }
    moved
}

/// Applies the cache file of a data directory, when there is one. Returns the number of
/// actors moved and the cache's unreadable lines (line, reason) for the report.
pub fn apply_cache_file(
    ds: &mut Dataset,
    dir: &Path,
) -> Result<(usize, Vec<(usize, String)>), GeocodeError> {
    let path = dir.join(CACHE_FILE);
    if !path.exists() {
        return Ok((0, Vec::new()));
    }
    let cache = GeocodeCache::open(&path)?;
    let moved = apply_cache(ds, &cache);
    Ok((moved, cache.bad_lines))
}
