//! Preparing a region's road graph: `valhalla_build_tiles` over an OpenStreetMap extract
//! (`.osm.pbf`), a complete engine configuration, the extract's date, and a setup file
//! ([`SETUP_FILE`]) that `maillage servir --routage DOSSIER` reads.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RoutingError;

/// What `maillage routage preparer` writes in its folder, for `servir --routage DOSSIER`.
pub const SETUP_FILE: &str = "maillage-routage.json";

/// Valhalla's reference configuration (written by `valhalla_build_config` 3.9.1): every key
/// `valhalla_service` reads; [`write_config`] fills in the paths and the port.
const CONFIG_TEMPLATE: &str = include_str!("valhalla-3.9.1.json");

/// The date of an OpenStreetMap extract and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtractDate {
    /// The PBF header's `osmosis_replication_timestamp` (Geofabrik extracts carry it).
    #[serde(rename = "entete")]
    Header(String),
    /// The newest object timestamp in the file (`osmium fileinfo -e`).
    #[serde(rename = "donnees")]
    Data(String),
    /// The file's modification time (osmium absent or no timestamps).
    #[serde(rename = "fichier")]
    FileTime(String),
}

impl ExtractDate {
    /// `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        match self {
            ExtractDate::Header(d) | ExtractDate::Data(d) | ExtractDate::FileTime(d) => {
                d.get(..10).unwrap_or(d)
            }
        }
    }

    /// French: where the date comes from.
    pub fn source(&self) -> &'static str {
        match self {
            ExtractDate::Header(_) => {
                "en-tête du fichier PBF (osmosis_replication_timestamp, lu par osmium fileinfo)"
            }
            ExtractDate::Data(_) => {
                "horodatage le plus récent des objets du fichier (osmium fileinfo -e)"
            }
            ExtractDate::FileTime(_) => {
                "date de modification du fichier (osmium absent ou fichier sans horodatage)"
            }
        }
    }
}

/// What `maillage servir --routage DOSSIER` needs to reach the prepared engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingSetup {
    /// Engine URL (`http://127.0.0.1:8002`).
    pub url: String,
    /// Extract date, `YYYY-MM-DD`.
    pub extrait: String,
    /// Where that date was read (French).
    pub date_source: String,
    /// The engine's configuration file.
    pub configuration: PathBuf,
    /// The tiles folder.
    pub tuiles: PathBuf,
    /// The travel-time cache file.
    pub cache: PathBuf,
}

impl RoutingSetup {
    /// Reads `DIR/maillage-routage.json`.
    pub fn load(dir: &Path) -> Result<RoutingSetup, RoutingError> {
        let path = dir.join(SETUP_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| RoutingError::File {
            path: path.display().to_string(),
            detail: format!(
                "lecture impossible ({e}) ; préparez le dossier avec « maillage routage preparer »"
            ),
        })?;
        serde_json::from_str(&text).map_err(|e| RoutingError::File {
            path: path.display().to_string(),
            detail: format!("configuration de routage invalide : {e}"),
        })
    }
}

impl RoutingSetup {
    /// Engine options for this setup: its URL, extract date and cache file, and the limits
    /// [`write_config`] raised.
    pub fn engine_options(&self) -> super::EngineOptions {
        let mut o = super::EngineOptions::new(&self.url);
        o.extract_date = Some(self.extrait.clone());
        o.cache = Some(self.cache.clone());
        o.max_locations = MAX_LOCATIONS;
        o.max_pairs = MAX_MATRIX_PAIRS;
        o
    }
}

/// `service_limits.auto.max_locations` in the written configuration.
const MAX_LOCATIONS: usize = 1000;
/// `service_limits.auto.max_matrix_location_pairs` in the written configuration.
const MAX_MATRIX_PAIRS: usize = 10_000;

/// `service_limits.auto.max_matrix_distance` in the written configuration, metres: the
/// farthest a place can lie as the crow flies and still be asked for the longest travel time
/// ([`super::MAX_TRAVEL_MINUTES`] at the engine's top speed), with a quarter more for the
/// distance from a place to its road. Valhalla's default (400 km) refuses the whole matrix of
/// some 180-minute questions.
fn max_matrix_distance_m() -> f64 {
    (super::MAX_TRAVEL_MINUTES / 60.0 * super::engine::DEFAULT_TOP_SPEED_KMH * 1000.0 * 1.25).ceil()
}

/// The result of [`prepare`].
#[derive(Debug, Clone)]
pub struct Prepared {
    pub setup: RoutingSetup,
    pub date: ExtractDate,
    /// The `valhalla_service` program to start.
    pub service: PathBuf,
}

impl Prepared {
    /// The shell command starting the engine (one worker thread per core).
    pub fn start_command(&self) -> String {
        format!(
            "{} {} 1",
            self.service.display(),
            self.setup.configuration.display()
        )
    }
}

/// A Valhalla program: in `bin` when given, else in `$MAILLAGE_VALHALLA_BIN`, else on `PATH`.
pub fn find_program(name: &str, bin: Option<&Path>) -> Result<PathBuf, RoutingError> {
    let env = std::env::var_os("MAILLAGE_VALHALLA_BIN").map(PathBuf::from);
    for dir in bin.into_iter().map(Path::to_path_buf).chain(env) {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(RoutingError::MissingProgram {
        program: name.into(),
        hint: " : installez Valhalla (« bash scripts/valhalla.sh » télécharge le paquet PyPI pyvalhalla 3.9.1 et affiche son dossier bin) puis passez --valhalla-bin DOSSIER ou définissez MAILLAGE_VALHALLA_BIN".into(),
    })
}

fn set(v: &mut Value, path: &[&str], value: Value) {
    let mut cur = v;
    for p in &path[..path.len() - 1] {
        cur = &mut cur[*p];
    }
    cur[path[path.len() - 1]] = value;
}

/// Writes `dir/valhalla.json`: the reference configuration with the tiles in `tiles`, the
/// service on `127.0.0.1:port`, its sockets in `dir`, no external data (admin, time zones,
/// elevation, traffic), connectivity checks off (unreachable pairs come back empty instead of
/// failing a whole matrix) and limits raised for region-wide matrices.
pub fn write_config(dir: &Path, tiles: &Path, port: u16) -> Result<PathBuf, RoutingError> {
    let mut c: Value = serde_json::from_str(CONFIG_TEMPLATE).expect("embedded Valhalla config");
    let s = |p: &Path| Value::String(p.display().to_string());
    let ipc = |name: &str| Value::String(format!("ipc://{}", dir.join(name).display()));
    set(&mut c, &["mjolnir", "tile_dir"], s(tiles));
    for k in [
        "tile_extract",
        "traffic_extract",
        "admin",
        "landmarks",
        "timezone",
    ] {
        set(&mut c, &["mjolnir", k], Value::String(String::new()));
    }
    set(&mut c, &["mjolnir", "transit_dir"], s(&dir.join("transit")));
    set(
        &mut c,
        &["mjolnir", "transit_feeds_dir"],
        s(&dir.join("transit_feeds")),
    );
    set(
        &mut c,
        &["additional_data", "elevation"],
        Value::String(String::new()),
    );
    set(&mut c, &["logging", "color"], Value::Bool(false));
    set(
        &mut c,
        &["logging", "type"],
        Value::String("std_out".into()),
    );
    set(&mut c, &["loki", "use_connectivity"], Value::Bool(false));
    for (section, sock) in [
        ("loki", "loki"),
        ("thor", "thor"),
        ("odin", "odin"),
        ("meili", "meili"),
    ] {
        set(&mut c, &[section, "service", "proxy"], ipc(sock));
    }
    set(
        &mut c,
        &["httpd", "service", "listen"],
        Value::String(format!("tcp://127.0.0.1:{port}")),
    );
    set(&mut c, &["httpd", "service", "loopback"], ipc("loopback"));
    set(&mut c, &["httpd", "service", "interrupt"], ipc("interrupt"));
    set(&mut c, &["httpd", "service", "timeout_seconds"], 300.into());
    set(&mut c, &["httpd", "service", "shutting_seconds"], 1.into());
    set(
        &mut c,
        &["service_limits", "auto", "max_locations"],
        1000.into(),
    );
    set(
        &mut c,
        &["service_limits", "auto", "max_matrix_location_pairs"],
        10_000.into(),
    );
    set(
        &mut c,
        &["service_limits", "auto", "max_matrix_distance"],
        max_matrix_distance_m().into(),
    );
    set(
        &mut c,
        &["service_limits", "isochrone", "max_time_contour"],
        (super::MAX_TRAVEL_MINUTES as u64).into(),
    );
    let path = dir.join("valhalla.json");
    let text = serde_json::to_string_pretty(&c).expect("config JSON");
    crate::util::fs::write_atomic(&path, text.as_bytes()).map_err(|e| RoutingError::File {
        path: path.display().to_string(),
        detail: format!("écriture impossible : {e}"),
    })?;
    Ok(path)
}

/// The date of an OpenStreetMap extract: the PBF header's replication timestamp, else the
/// newest object timestamp (both read by `osmium fileinfo`), else the file's modification time.
pub fn extract_date(osm: &Path) -> Result<ExtractDate, RoutingError> {
    let osmium = |extended: bool| -> Option<Value> {
        let mut cmd = Command::new("osmium");
        cmd.arg("fileinfo").arg("-j");
        if extended {
            cmd.arg("-e");
        }
        let out = cmd.arg(osm).output().ok()?;
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten()
    };
    if let Some(v) = osmium(false) {
        if let Some(t) = v["header"]["option"]["osmosis_replication_timestamp"].as_str() {
            return Ok(ExtractDate::Header(t.get(..10).unwrap_or(t).to_string()));
        }
        if let Some(t) = osmium(true)
            .as_ref()
            .and_then(|v| v["data"]["timestamp"]["last"].as_str())
            .filter(|t| t.len() >= 10)
        {
            return Ok(ExtractDate::Data(t[..10].to_string()));
        }
    }
    let meta = std::fs::metadata(osm).map_err(|e| RoutingError::File {
        path: osm.display().to_string(),
        detail: format!("extrait OpenStreetMap illisible : {e}"),
    })?;
    let secs = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64);
    Ok(ExtractDate::FileTime(crate::util::date::iso_date(secs)))
}

/// Builds the road graph of the extracts `osm` into `dir/tuiles`, writes `dir/valhalla.json` (engine on
/// `127.0.0.1:port`) and `dir/maillage-routage.json`.
pub fn prepare(
    osm: &[PathBuf],
    dir: &Path,
    bin: Option<&Path>,
    port: u16,
) -> Result<Prepared, RoutingError> {
    if osm.is_empty() {
        return Err(RoutingError::File {
            path: dir.display().to_string(),
            detail: "aucun extrait OpenStreetMap donné (--osm FICHIER.osm.pbf)".into(),
        });
    }
    for f in osm {
        if !f.is_file() {
            return Err(RoutingError::File {
                path: f.display().to_string(),
                detail: "extrait OpenStreetMap introuvable (fichier .osm.pbf attendu, voir « maillage telecharger --osm »)".into(),
            });
        }
    }
    let build = find_program("valhalla_build_tiles", bin)?;
    let service = find_program("valhalla_service", bin)?;
    let io = |p: &Path, e: std::io::Error| RoutingError::File {
        path: p.display().to_string(),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let dir = dir.canonicalize().map_err(|e| io(dir, e))?;
    let osm: Vec<PathBuf> = osm
        .iter()
        .map(|f| f.canonicalize().map_err(|e| io(f, e)))
        .collect::<Result<_, _>>()?;
    let tiles = dir.join("tuiles");
    if tiles.exists() {
        std::fs::remove_dir_all(&tiles).map_err(|e| io(&tiles, e))?;
    }
    std::fs::create_dir_all(&tiles).map_err(|e| io(&tiles, e))?;
    let config = write_config(&dir, &tiles, port)?;
    let out = Command::new(&build)
        .arg("-c")
        .arg(&config)
        .args(&osm)
        .current_dir(&dir)
        .output()
        .map_err(|e| RoutingError::Program {
            program: build.display().to_string(),
            status: "non lancé".into(),
            stderr: e.to_string(),
        })?;
    if !out.status.success() {
        let mut log = String::from_utf8_lossy(&out.stderr).into_owned();
        log.push_str(&String::from_utf8_lossy(&out.stdout));
        let tail: Vec<&str> = log.lines().rev().take(8).collect();
        return Err(RoutingError::Program {
            program: build.display().to_string(),
            status: out.status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    // Several extracts: the oldest date is the one to say.
    let mut date = extract_date(&osm[0])?;
    for f in &osm[1..] {
        let d = extract_date(f)?;
        if d.date() < date.date() {
            date = d;
        }
    }
    let setup = RoutingSetup {
        url: format!("http://127.0.0.1:{port}"),
        extrait: date.date().to_string(),
        date_source: date.source().to_string(),
        configuration: config,
        tuiles: tiles,
        cache: dir.join("temps-routiers.tsv"),
    };
    let path = dir.join(SETUP_FILE);
    let text = serde_json::to_string_pretty(&setup).expect("setup JSON");
    crate::util::fs::write_atomic(&path, text.as_bytes()).map_err(|e| io(&path, e))?;
    Ok(Prepared {
        setup,
        date,
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_every_key_the_service_insists_on() {
        let d = tempfile::tempdir().unwrap();
        let p = write_config(d.path(), &d.path().join("t"), 18_123).unwrap();
        let c: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let svc = &c["httpd"]["service"];
        assert_eq!(svc["listen"], "tcp://127.0.0.1:18123");
        for k in [
            "loopback",
            "interrupt",
            "timeout_seconds",
            "drain_seconds",
            "shutting_seconds",
        ] {
            assert!(!svc[k].is_null(), "httpd.service.{k}");
        }
        assert!(c["logging"].is_object());
        let actions = c["loki"]["actions"].as_array().unwrap();
        assert!(actions.contains(&"sources_to_targets".into()));
        assert!(actions.contains(&"isochrone".into()));
        assert!(c["loki"]["service_defaults"].is_object());
        for s in ["thor", "odin", "meili"] {
            assert!(c[s].is_object(), "{s}");
        }
        // A matrix of the longest travel time at the top speed is not refused.
        let reach_m = crate::routing::MAX_TRAVEL_MINUTES / 60.0 * 130.0 * 1000.0;
        let limit = c["service_limits"]["auto"]["max_matrix_distance"]
            .as_f64()
            .unwrap();
        assert!(limit > reach_m * 1.2, "{limit} m");
        assert_eq!(
            c["service_limits"]["isochrone"]["max_time_contour"],
            crate::routing::MAX_TRAVEL_MINUTES as u64
        );
        assert!(c["service_limits"]["isochrone"].is_object());
        assert_eq!(
            c["mjolnir"]["tile_dir"],
            d.path().join("t").display().to_string()
        );
    }

    #[test]
    fn missing_program_says_how_to_install() {
        let e = find_program("valhalla_introuvable", Some(Path::new("/nulle/part")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("scripts/valhalla.sh"), "{e}");
    }
}
