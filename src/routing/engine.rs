//! The Valhalla HTTP client: snapping, travel-time matrices, isochrones, and the per-pair cache.
//!
//! Calls block (the `reqwest` blocking client the fetch module already uses); the server runs
//! them on blocking threads. Matrices are cut into blocks of at most
//! [`EngineOptions::max_pairs`] pairs, sent by [`EngineOptions::workers`] threads at once.
//!
//! Cache file (text, one record a line, written atomically by [`Engine::save`]):
//!
//! ```text
//! (fields separated by tabs)
//! # maillage temps routiers ; extrait 2026-11-15 ; vitesse_max 130
//! S 1990000 44000000 1990000 44000000      (point → point du réseau, micro-degrés)
//! S 2500000 44000000 - -                    (aucune route à portée)
//! P 1990000 44000000 2010000 44000000 1431 23.863   (secondes, km)
//! P … - -                                    (points non reliés par la route)
//! ```
//!
//! A cache written for another extract date is ignored (and replaced on the next save).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};

use super::{road_label, RoutingError};
use crate::model::{haversine_m, LonLat};

/// How to reach the engine and how to cut requests.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// Base URL (`http://127.0.0.1:8002`).
    pub url: String,
    /// Time allowed to one request.
    pub timeout: Duration,
    /// Most source × target pairs in one matrix request (`service_limits.auto.max_matrix_location_pairs`).
    pub max_pairs: usize,
    /// Most locations in one `/locate` request (`service_limits.auto.max_locations`).
    pub max_locations: usize,
    /// Requests sent at once.
    pub workers: usize,
    /// Top speed given to the engine (`costing_options.auto.top_speed`), km/h: no road time
    /// can be shorter than the distance at this speed, which makes re-ranking exact.
    pub top_speed_kmh: f64,
    /// Date of the OpenStreetMap extract the tiles were built from (`YYYY-MM-DD`).
    pub extract_date: Option<String>,
    /// Cache file of travel times (none: in memory only).
    pub cache: Option<PathBuf>,
}

/// The top speed given to the engine unless set otherwise ([`EngineOptions::top_speed_kmh`]).
pub const DEFAULT_TOP_SPEED_KMH: f64 = 130.0;

impl EngineOptions {
    /// Defaults for an engine at `url`: Valhalla's default limits (2 500 pairs, 20 locations),
    /// 4 requests at once, 60 s per request, top speed 130 km/h.
    pub fn new(url: &str) -> EngineOptions {
        EngineOptions {
            url: url.trim_end_matches('/').to_string(),
            timeout: Duration::from_secs(60),
            max_pairs: 2500,
            max_locations: 20,
            workers: 4,
            top_speed_kmh: DEFAULT_TOP_SPEED_KMH,
            extract_date: None,
            cache: None,
        }
    }
}

/// A trip between two snapped points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    /// Seconds.
    pub seconds: f64,
    /// Road kilometres.
    pub km: f64,
}

impl Leg {
    /// Minutes.
    pub fn minutes(&self) -> f64 {
        self.seconds / 60.0
    }
}

/// Why a pair has no road time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unroutable {
    /// The origin has no road within the engine's search radius.
    OriginOffRoad,
    /// The destination has no road within the engine's search radius.
    DestinationOffRoad,
    /// Both are on the network but no road joins them.
    Disconnected,
}

impl Unroutable {
    /// French reason.
    pub fn reason(self) -> &'static str {
        match self {
            Unroutable::OriginOffRoad => "point de départ sans route à portée du moteur",
            Unroutable::DestinationOffRoad => "point d'arrivée sans route à portée du moteur",
            Unroutable::Disconnected => "aucune route ne relie les deux points",
        }
    }
}

/// Where a point meets the road network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub at: LonLat,
    /// Great-circle metres from the point to `at`.
    pub offset_m: f64,
}

type Key = (i64, i64);

fn key(p: LonLat) -> Key {
    ((p.lon * 1e6).round() as i64, (p.lat * 1e6).round() as i64)
}

fn unkey(k: Key) -> LonLat {
    LonLat::new(k.0 as f64 / 1e6, k.1 as f64 / 1e6)
}

#[derive(Default)]
struct Cache {
    snaps: HashMap<Key, Option<Key>>,
    pairs: HashMap<(Key, Key), Option<Leg>>,
}

/// A running Valhalla engine.
pub struct Engine {
    opts: EngineOptions,
    client: OnceLock<reqwest::blocking::Client>,
    cache: Mutex<Cache>,
    dirty: AtomicBool,
    /// Requests sent (for reports and benches).
    requests: AtomicUsize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("opts", &self.opts).finish()
    }
}

impl PartialEq for Engine {
    fn eq(&self, other: &Engine) -> bool {
        self.opts == other.opts
    }
}

impl Engine {
    /// An engine client; reads the cache file when there is one for the same extract.
    pub fn new(opts: EngineOptions) -> Result<Engine, RoutingError> {
        let cache = match &opts.cache {
            Some(path) if path.exists() => load_cache(path, &opts)?,
            _ => Cache::default(),
        };
        Ok(Engine {
            opts,
            client: OnceLock::new(),
            cache: Mutex::new(cache),
            dirty: AtomicBool::new(false),
            requests: AtomicUsize::new(0),
        })
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// « réseau routier OpenStreetMap (Valhalla), extrait du JJ/MM/AAAA ».
    pub fn label(&self) -> String {
        road_label(self.opts.extract_date.as_deref())
    }

    /// Requests sent to the engine so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Pairs held in the cache.
    pub fn cached_pairs(&self) -> usize {
        self.cache.lock().expect("cache").pairs.len()
    }

    fn client(&self) -> &reqwest::blocking::Client {
        self.client.get_or_init(|| {
            reqwest::blocking::Client::builder()
                .timeout(self.opts.timeout)
                .build()
                .expect("HTTP client")
        })
    }

    fn post(&self, action: &'static str, body: &Value) -> Result<Value, RoutingError> {
        let url = format!("{}/{action}", self.opts.url);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .client()
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(|e| {
                if e.is_timeout() {
                    RoutingError::Timeout {
                        url: self.opts.url.clone(),
                        seconds: self.opts.timeout.as_secs(),
                    }
                } else {
                    RoutingError::Unreachable {
                        url: self.opts.url.clone(),
                        detail: e.to_string(),
                    }
                }
            })?;
        let status = resp.status();
        let text = resp.text().map_err(|e| RoutingError::Answer {
            url: self.opts.url.clone(),
            action,
            detail: e.to_string(),
        })?;
        let v: Value = serde_json::from_str(&text).map_err(|e| RoutingError::Answer {
            url: self.opts.url.clone(),
            action,
            detail: format!("{e} ({} octets)", text.len()),
        })?;
        if !status.is_success() {
            return Err(RoutingError::Engine {
                url: self.opts.url.clone(),
                action,
                message: format!(
                    "code {} : {}",
                    v["error_code"],
                    v["error"].as_str().unwrap_or(&text)
                ),
            });
        }
        Ok(v)
    }

    fn costing_options(&self) -> Value {
        json!({"auto": {"top_speed": self.opts.top_speed_kmh}})
    }

    /// Checks the engine answers (`/status`) and returns its version.
    pub fn status(&self) -> Result<String, RoutingError> {
        let v = self.post("status", &json!({}))?;
        Ok(v["version"].as_str().unwrap_or("?").to_string())
    }

    /// Where each point meets the road network (`None`: no road within the engine's search
    /// radius).
    pub fn snap(&self, points: &[LonLat]) -> Result<Vec<Option<Snap>>, RoutingError> {
        let missing: Vec<Key> = {
            let cache = self.cache.lock().expect("cache");
            let mut seen = HashSet::new();
            points
                .iter()
                .map(|&p| key(p))
                .filter(|k| !cache.snaps.contains_key(k) && seen.insert(*k))
                .collect()
        };
        let batches: Vec<&[Key]> = missing.chunks(self.opts.max_locations.max(1)).collect();
        self.parallel(&batches, |batch| {
            let locations: Vec<Value> = batch
                .iter()
                .map(|&k| {
                    let p = unkey(k);
                    json!({"lat": p.lat, "lon": p.lon})
                })
                .collect();
            let v = self.post(
                "locate",
                &json!({"locations": locations, "costing": "auto", "verbose": false}),
            )?;
            let arr = v
                .as_array()
                .ok_or_else(|| self.answer("locate", "liste attendue"))?;
            if arr.len() != batch.len() {
                return Err(self.answer("locate", "autant de réponses que de points attendu"));
            }
            let mut cache = self.cache.lock().expect("cache");
            for (&k, a) in batch.iter().zip(arr) {
                let snapped = a["edges"].as_array().and_then(|e| e.first()).and_then(|e| {
                    Some(key(LonLat::new(
                        e["correlated_lon"].as_f64()?,
                        e["correlated_lat"].as_f64()?,
                    )))
                });
                cache.snaps.insert(k, snapped);
            }
            self.dirty.store(true, Ordering::Relaxed);
            Ok(())
        })?;
        let cache = self.cache.lock().expect("cache");
        Ok(points
            .iter()
            .map(|&p| {
                cache.snaps.get(&key(p)).copied().flatten().map(|s| {
                    let at = unkey(s);
                    Snap {
                        at,
                        offset_m: haversine_m(p, at),
                    }
                })
            })
            .collect())
    }

    fn answer(&self, action: &'static str, detail: &str) -> RoutingError {
        RoutingError::Answer {
            url: self.opts.url.clone(),
            action,
            detail: detail.into(),
        }
    }

    /// Runs `f` over `items` on [`EngineOptions::workers`] threads; the first error wins.
    fn parallel<T: Sync>(
        &self,
        items: &[T],
        f: impl Fn(&T) -> Result<(), RoutingError> + Sync,
    ) -> Result<(), RoutingError> {
        if items.is_empty() {
            return Ok(());
        }
        let next = AtomicUsize::new(0);
        let failed: Mutex<Option<RoutingError>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..self.opts.workers.clamp(1, items.len()) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() || failed.lock().expect("error").is_some() {
                        break;
                    }
                    if let Err(e) = f(&items[i]) {
                        failed.lock().expect("error").get_or_insert(e);
                        break;
                    }
                });
            }
        });
        match failed.into_inner().expect("error") {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Travel times from every source to every target (`[source][target]`), by road.
    pub fn matrix(
        &self,
        sources: &[LonLat],
        targets: &[LonLat],
    ) -> Result<Vec<Vec<Result<Leg, Unroutable>>>, RoutingError> {
        let snap_s = self.snap(sources)?;
        let snap_t = self.snap(targets)?;
        // Missing pairs, between snapped points only.
        let (src, tgt): (Vec<Key>, Vec<Key>) = {
            let cache = self.cache.lock().expect("cache");
            let mut src = Vec::new();
            let mut tgt = HashSet::new();
            let mut seen = HashSet::new();
            for (s, ss) in sources.iter().zip(&snap_s) {
                if ss.is_none() {
                    continue;
                }
                let ks = key(*s);
                for (t, st) in targets.iter().zip(&snap_t) {
                    let kt = key(*t);
                    if st.is_some() && !cache.pairs.contains_key(&(ks, kt)) {
                        if seen.insert(ks) {
                            src.push(ks);
                        }
                        tgt.insert(kt);
                    }
                }
            }
            let mut tgt: Vec<Key> = tgt.into_iter().collect();
            tgt.sort_unstable();
            (src, tgt)
        };
        if !src.is_empty() {
            let max = self.opts.max_pairs.max(1);
            let t_chunk = tgt.len().min(max);
            let s_chunk = (max / t_chunk).max(1);
            let mut blocks = Vec::new();
            for s in src.chunks(s_chunk) {
                for t in tgt.chunks(t_chunk) {
                    blocks.push((s, t));
                }
            }
            self.parallel(&blocks, |(s, t)| self.block(s, t))?;
        }
        let cache = self.cache.lock().expect("cache");
        Ok(sources
            .iter()
            .zip(&snap_s)
            .map(|(s, ss)| {
                targets
                    .iter()
                    .zip(&snap_t)
                    .map(|(t, st)| {
                        if ss.is_none() {
                            return Err(Unroutable::OriginOffRoad);
                        }
                        if st.is_none() {
                            return Err(Unroutable::DestinationOffRoad);
                        }
                        cache
                            .pairs
                            .get(&(key(*s), key(*t)))
                            .copied()
                            .flatten()
                            .ok_or(Unroutable::Disconnected)
                    })
                    .collect()
            })
            .collect())
    }

    /// One matrix request; « unconnected regions » splits the block until single pairs.
    fn block(&self, s: &[Key], t: &[Key]) -> Result<(), RoutingError> {
        let loc = |k: &Key| {
            let p = unkey(*k);
            json!({"lat": p.lat, "lon": p.lon})
        };
        let body = json!({
            "sources": s.iter().map(loc).collect::<Vec<_>>(),
            "targets": t.iter().map(loc).collect::<Vec<_>>(),
            "costing": "auto",
            "costing_options": self.costing_options(),
        });
        match self.post("sources_to_targets", &body) {
            Ok(v) => {
                let rows = v["sources_to_targets"]
                    .as_array()
                    .filter(|r| r.len() == s.len())
                    .ok_or_else(|| self.answer("sources_to_targets", "matrice attendue"))?;
                let mut cache = self.cache.lock().expect("cache");
                for (ks, row) in s.iter().zip(rows) {
                    let row = row
                        .as_array()
                        .filter(|r| r.len() == t.len())
                        .ok_or_else(|| self.answer("sources_to_targets", "ligne attendue"))?;
                    for (kt, cell) in t.iter().zip(row) {
                        let leg = match (cell["time"].as_f64(), cell["distance"].as_f64()) {
                            (Some(seconds), Some(km)) => Some(Leg { seconds, km }),
                            _ => None,
                        };
                        cache.pairs.insert((*ks, *kt), leg);
                    }
                }
                self.dirty.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(RoutingError::Engine { message, .. })
                if message.starts_with("code 170") || message.starts_with("code 171") =>
            {
                if s.len() > 1 {
                    let (a, b) = s.split_at(s.len() / 2);
                    self.block(a, t)?;
                    self.block(b, t)
                } else if t.len() > 1 {
                    let (a, b) = t.split_at(t.len() / 2);
                    self.block(s, a)?;
                    self.block(s, b)
                } else {
                    let mut cache = self.cache.lock().expect("cache");
                    cache.pairs.insert((s[0], t[0]), None);
                    self.dirty.store(true, Ordering::Relaxed);
                    Ok(())
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The area reachable from `at` within `minutes` by road, as Valhalla's GeoJSON
    /// FeatureCollection (one polygon).
    pub fn isochrone(&self, at: LonLat, minutes: f64) -> Result<Value, RoutingError> {
        let v = self.post(
            "isochrone",
            &json!({
                "locations": [{"lat": at.lat, "lon": at.lon}],
                "costing": "auto",
                "costing_options": self.costing_options(),
                "contours": [{"time": minutes}],
                "polygons": true,
            }),
        )?;
        if v["type"] != "FeatureCollection" {
            return Err(self.answer("isochrone", "FeatureCollection GeoJSON attendue"));
        }
        Ok(v)
    }

    /// Writes the cache file (atomically) when something was added since the last save.
    pub fn save(&self) -> Result<(), RoutingError> {
        let Some(path) = &self.opts.cache else {
            return Ok(());
        };
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let cache = self.cache.lock().expect("cache");
        let mut out = header(&self.opts);
        out.push('\n');
        let mut snaps: Vec<_> = cache.snaps.iter().collect();
        snaps.sort_unstable();
        for (k, s) in snaps {
            match s {
                Some(s) => out.push_str(&format!("S\t{}\t{}\t{}\t{}\n", k.0, k.1, s.0, s.1)),
                None => out.push_str(&format!("S\t{}\t{}\t-\t-\n", k.0, k.1)),
            }
        }
        let mut pairs: Vec<_> = cache.pairs.iter().collect();
        pairs.sort_unstable_by_key(|(k, _)| **k);
        for ((a, b), leg) in pairs {
            match leg {
                Some(l) => out.push_str(&format!(
                    "P\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    a.0, a.1, b.0, b.1, l.seconds, l.km
                )),
                None => out.push_str(&format!("P\t{}\t{}\t{}\t{}\t-\t-\n", a.0, a.1, b.0, b.1)),
            }
        }
        crate::util::fs::write_atomic(path, out.as_bytes()).map_err(|e| RoutingError::File {
            path: path.display().to_string(),
            detail: format!("écriture du cache des temps routiers impossible : {e}"),
        })
    }
}

fn header(opts: &EngineOptions) -> String {
    format!(
        "# maillage temps routiers ; extrait {} ; vitesse_max {}",
        opts.extract_date.as_deref().unwrap_or("inconnu"),
        opts.top_speed_kmh
    )
}

fn load_cache(path: &std::path::Path, opts: &EngineOptions) -> Result<Cache, RoutingError> {
    let text = std::fs::read_to_string(path).map_err(|e| RoutingError::File {
        path: path.display().to_string(),
        detail: format!("lecture du cache des temps routiers impossible : {e}"),
    })?;
    let mut lines = text.lines();
    if lines.next() != Some(header(opts).as_str()) {
        // Another extract or another top speed: start afresh.
        return Ok(Cache::default());
    }
    let mut cache = Cache::default();
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let bad = |expected: &'static str| RoutingError::CacheLine {
            path: path.display().to_string(),
            line: n + 2,
            expected,
            found: line.chars().take(80).collect(),
        };
        let int = |s: &str, what| s.parse::<i64>().map_err(|_| bad(what));
        match f.as_slice() {
            ["S", a, b, c, d] => {
                let k = (int(a, "S lon lat")?, int(b, "S lon lat")?);
                let v = if *c == "-" {
                    None
                } else {
                    Some((int(c, "S … lon lat")?, int(d, "S … lon lat")?))
                };
                cache.snaps.insert(k, v);
            }
            ["P", a, b, c, d, t, km] => {
                const E: &str = "P lon lat lon lat secondes km";
                let k = ((int(a, E)?, int(b, E)?), (int(c, E)?, int(d, E)?));
                let leg = if *t == "-" {
                    None
                } else {
                    Some(Leg {
                        seconds: t.parse().map_err(|_| bad(E))?,
                        km: km.parse().map_err(|_| bad(E))?,
                    })
                };
                cache.pairs.insert(k, leg);
            }
            _ => return Err(bad("une ligne « S » ou « P » séparée par des tabulations")),
        }
    }
    Ok(cache)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_round_trip_and_other_extract_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("temps.tsv");
        let mut opts = EngineOptions::new("http://127.0.0.1:1");
        opts.extract_date = Some("2026-11-15".into());
        opts.cache = Some(path.clone());
        let e = Engine::new(opts.clone()).unwrap();
        {
            let mut c = e.cache.lock().unwrap();
            c.snaps.insert((1, 2), Some((3, 4)));
            c.snaps.insert((5, 6), None);
            c.pairs.insert(
                ((1, 2), (3, 4)),
                Some(Leg {
                    seconds: 12.5,
                    km: 0.25,
                }),
            );
            c.pairs.insert(((3, 4), (1, 2)), None);
        }
        e.dirty.store(true, Ordering::Relaxed);
        e.save().unwrap();
        let again = Engine::new(opts.clone()).unwrap();
        let c = again.cache.lock().unwrap();
        assert_eq!(c.snaps.len(), 2);
        assert_eq!(c.pairs[&((1, 2), (3, 4))].unwrap().seconds, 12.5);
        assert_eq!(c.pairs[&((3, 4), (1, 2))], None);
        drop(c);
        opts.extract_date = Some("2026-12-01".into());
        assert_eq!(Engine::new(opts.clone()).unwrap().cached_pairs(), 0);
        std::fs::write(&path, format!("{}\nX\t1\n", header(&opts))).unwrap();
        let err = Engine::new(opts).unwrap_err().to_string();
        assert!(err.contains("temps.tsv:2"), "{err}");
    }

    #[test]
    fn engine_down_is_a_french_error() {
        let e = Engine::new(EngineOptions::new("http://127.0.0.1:9")).unwrap();
        let err = e.status().unwrap_err().to_string();
        assert!(err.contains("moteur de routage injoignable"), "{err}");
    }
}
