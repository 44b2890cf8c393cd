//! The Valhalla engine of the tests, on a small road network written as OpenStreetMap XML:
//! two villages on either side of a river whose only bridge is 11 km upstream, and a hamlet
//! 40 km from any road (in the Tarn, north of Albi). [`start_engine`] converts it with
//! osmium, builds the tiles with `maillage routage preparer` and starts `valhalla_service` on
//! a free loopback port. Used by tests/routing.rs and the browser tests (tests/e2e_page.rs).
//!
//! Needs the engine: `bash scripts/valhalla.sh` installs it (and `.ci/run` does); the
//! binaries are found through `MAILLAGE_VALHALLA_BIN` or the script's cache.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use maillage::model::LonLat;
use maillage::routing::RoutingSetup;

#[path = "../server_support/mod.rs"]
mod server_support;
pub use server_support::free_port;

/// Village on the west bank, its doctor in the village.
pub const WEST: LonLat = LonLat::new(1.99, 44.0);
/// Village on the east bank, 1.6 km away as the crow flies, 24 km by the bridge.
pub const EAST: LonLat = LonLat::new(2.01, 44.0);
/// A doctor 3.2 km east of the east village, on its side of the river.
pub const EAST_DOCTOR: LonLat = LonLat::new(2.05, 44.0);
/// A hamlet 40 km from any road.
pub const HAMLET: LonLat = LonLat::new(2.55, 44.0);

pub fn valhalla_bin() -> PathBuf {
    if let Some(d) = std::env::var_os("MAILLAGE_VALHALLA_BIN") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cache = std::env::var_os("MAILLAGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cache/maillage"));
    let bin = cache.join("valhalla/3.9.1/valhalla/bin");
    assert!(
        bin.join("valhalla_service").is_file(),
        "Valhalla absent : lancez « bash scripts/valhalla.sh » (ou définissez MAILLAGE_VALHALLA_BIN)"
    );
    bin
}

/// The road network as OSM XML: both banks run north–south, joined by one bridge at 44.10° N;
/// a road east from the east village to its doctor, one west from the west village.
pub fn network_osm() -> String {
    let mut nodes: Vec<(u64, f64, f64)> = Vec::new();
    let mut ways: Vec<Vec<u64>> = Vec::new();
    let mut node = |lon: f64, lat: f64| {
        let id = nodes.len() as u64 + 1;
        nodes.push((id, lon, lat));
        id
    };
    let west: Vec<u64> = (0..16)
        .map(|i| node(1.99, 43.95 + i as f64 * 0.01))
        .collect();
    let east: Vec<u64> = (0..16)
        .map(|i| node(2.01, 43.95 + i as f64 * 0.01))
        .collect();
    let mut to_east = vec![east[5]];
    to_east.extend((1..5).map(|i| node(2.01 + 0.01 * i as f64, 44.0)));
    let mut to_west = vec![west[5]];
    to_west.extend((1..5).map(|i| node(1.99 - 0.01 * i as f64, 44.0)));
    ways.push(west.clone());
    ways.push(east.clone());
    ways.push(vec![west[15], east[15]]); // the bridge
    ways.push(to_east);
    ways.push(to_west);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"maillage-test\">\n");
    for (id, lon, lat) in &nodes {
        x.push_str(&format!(
            "<node id=\"{id}\" version=\"1\" timestamp=\"2026-11-15T00:00:00Z\" lat=\"{lat:.7}\" lon=\"{lon:.7}\"/>\n"
        ));
    }
    for (k, w) in ways.iter().enumerate() {
        x.push_str(&format!(
            "<way id=\"{}\" version=\"1\" timestamp=\"2026-11-15T00:00:00Z\">",
            k + 1
        ));
        for n in w {
            x.push_str(&format!("<nd ref=\"{n}\"/>"));
        }
        x.push_str("<tag k=\"highway\" v=\"secondary\"/></way>\n");
    }
    x.push_str("</osm>\n");
    x
}

/// The running engine, stopped when dropped.
pub struct Service {
    child: Child,
    pub setup: RoutingSetup,
    /// The folder prepared by `maillage routage preparer` (`servir --routage DOSSIER`).
    pub graph: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the network, converts it with osmium, prepares it with `maillage routage preparer`
/// and starts `valhalla_service`.
pub fn start_engine() -> Service {
    let bin = valhalla_bin();
    let dir = tempfile::tempdir().unwrap();
    let osm = dir.path().join("reseau.osm");
    std::fs::write(&osm, network_osm()).unwrap();
    let pbf = dir.path().join("reseau.osm.pbf");
    let st = Command::new("osmium")
        .arg("cat")
        .arg(&osm)
        .arg("-o")
        .arg(&pbf)
        .status()
        .expect("osmium (apt osmium-tool ; bash scripts/valhalla.sh l'installe)");
    assert!(st.success());
    let graph = dir.path().join("graphe");
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["routage", "preparer", "--osm"])
        .arg(&pbf)
        .arg("--dans")
        .arg(&graph)
        .arg("--valhalla-bin")
        .arg(&bin)
        .args(["--port", &port.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Extrait OpenStreetMap du 15/11/2026"),
        "{stdout}"
    );
    assert!(stdout.contains("valhalla_service"), "{stdout}");
    let setup = RoutingSetup::load(&graph).unwrap();
    let child = Command::new(bin.join("valhalla_service"))
        .arg(&setup.configuration)
        .arg("1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let svc = Service {
        child,
        setup,
        graph,
        _dir: dir,
    };
    let started = Instant::now();
    while ureq::get(&format!("{}/status", svc.setup.url))
        .call()
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "valhalla_service ne répond pas"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    svc
}
