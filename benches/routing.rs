//! Road-time 2SFCA for every Occitanie commune (4 485, COG 2018 contours) against the BPE 2018
//! general practitioners (D201, one point per commune at its centroid), on a synthetic regional
//! road network: a grid over Occitanie every 0.05° (≈ 4–5.5 km), one line in five a primary
//! road, the others secondary. Prints the first run (empty cache: every pair asked to
//! Valhalla), the cached run (the pair cache file read back) and the estimate-based 2SFCA.
//!
//! Needs ../shared/data, osmium and Valhalla (`bash scripts/valhalla.sh`, or
//! `MAILLAGE_VALHALLA_BIN`); says what is missing and stops otherwise.
//!
//! `cargo bench --bench routing` (or `--profile dev` for a quicker build)

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use maillage::analysis::build::places;
use maillage::analysis::fca::two_step_fca_by_road;
use maillage::analysis::{two_step_fca, StepDecay, TravelModel};
use maillage::routing::{Engine, RoutingSetup};

mod occitanie;

const STEP: f64 = 0.05;
const LON0: f64 = -0.40;
const LON1: f64 = 4.90;
const LAT0: f64 = 42.30;
const LAT1: f64 = 45.10;

fn valhalla_bin() -> Option<PathBuf> {
    let env = std::env::var_os("MAILLAGE_VALHALLA_BIN").map(PathBuf::from);
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cached = std::env::var_os("MAILLAGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cache/maillage"))
        .join("valhalla/3.9.1/valhalla/bin");
    env.into_iter()
        .chain([cached])
        .find(|b| b.join("valhalla_service").is_file())
}

/// The grid as OSM XML.
fn grid_osm(path: &Path) {
    use std::io::Write;
    let nx = ((LON1 - LON0) / STEP).round() as usize + 1;
    let ny = ((LAT1 - LAT0) / STEP).round() as usize + 1;
    let id = |i: usize, j: usize| (j * nx + i + 1) as u64;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"maillage-bench\">").unwrap();
    for j in 0..ny {
        for i in 0..nx {
            writeln!(
                f,
                "<node id=\"{}\" version=\"1\" timestamp=\"2026-11-15T00:00:00Z\" lat=\"{:.5}\" lon=\"{:.5}\"/>",
                id(i, j),
                LAT0 + j as f64 * STEP,
                LON0 + i as f64 * STEP
            )
            .unwrap();
        }
    }
    let mut way = 0;
    let mut write_way =
        |f: &mut std::io::BufWriter<std::fs::File>, nodes: Vec<u64>, major: bool| {
            way += 1;
            write!(
                f,
                "<way id=\"{way}\" version=\"1\" timestamp=\"2026-11-15T00:00:00Z\">"
            )
            .unwrap();
            for n in nodes {
                write!(f, "<nd ref=\"{n}\"/>").unwrap();
            }
            let hw = if major { "primary" } else { "secondary" };
            writeln!(f, "<tag k=\"highway\" v=\"{hw}\"/></way>").unwrap();
        };
    for j in 0..ny {
        write_way(&mut f, (0..nx).map(|i| id(i, j)).collect(), j % 5 == 0);
    }
    for i in 0..nx {
        write_way(&mut f, (0..ny).map(|j| id(i, j)).collect(), i % 5 == 0);
    }
    writeln!(f, "</osm>").unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(dir) = occitanie::directory() else {
        eprintln!("../shared/data absent : banc ignoré");
        return;
    };
    let Some(bin) = valhalla_bin() else {
        eprintln!("Valhalla absent (bash scripts/valhalla.sh) : banc ignoré");
        return;
    };
    let places = places(&dir);
    let supplies = occitanie::bpe_supply(&dir, |t| t == "D201");
    eprintln!(
        "{} communes, {} points d'offre D201 (médecins généralistes), offre totale {}",
        places.len(),
        supplies.len(),
        supplies.total()
    );

    let work = tempfile::tempdir().unwrap();
    let osm = work.path().join("grille.osm");
    let pbf = work.path().join("grille.osm.pbf");
    let t = Instant::now();
    grid_osm(&osm);
    let ok = Command::new("osmium")
        .arg("cat")
        .arg(&osm)
        .arg("-o")
        .arg(&pbf)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("osmium absent ou en échec (apt install osmium-tool) : banc ignoré");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let prepared =
        maillage::routing::prepare(&[pbf], &work.path().join("graphe"), Some(&bin), port).unwrap();
    eprintln!(
        "graphe routier synthétique construit en {:.1?}",
        t.elapsed()
    );
    let setup: RoutingSetup = prepared.setup.clone();
    let mut child = Command::new(bin.join("valhalla_service"))
        .arg(&setup.configuration)
        .arg("2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let probe = Engine::new(maillage::routing::EngineOptions::new(&setup.url)).unwrap();
    let started = Instant::now();
    while probe.status().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "valhalla_service ne répond pas"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let model = TravelModel::default();
    let decay = StepDecay::default();
    let t = Instant::now();
    let estimate = two_step_fca(&places, &supplies, &decay, &model);
    let estimate_time = t.elapsed();

    let engine = Arc::new(Engine::new(setup.engine_options()).unwrap());
    let t = Instant::now();
    let road = two_step_fca_by_road(&places, &supplies, &decay, &model, &engine).unwrap();
    let first = t.elapsed();
    let requests = engine.requests();
    let pairs = engine.cached_pairs();
    let t = Instant::now();
    engine.save().unwrap();
    let save = t.elapsed();

    let t = Instant::now();
    let cached_engine = Engine::new(setup.engine_options()).unwrap();
    let load = t.elapsed();
    let t = Instant::now();
    let again = two_step_fca_by_road(&places, &supplies, &decay, &model, &cached_engine).unwrap();
    let cached = t.elapsed();
    assert_eq!(again.accessibility, road.accessibility);
    assert_eq!(cached_engine.requests(), 0);

    let _ = child.kill();
    let _ = child.wait();

    let reached = |r: &maillage::analysis::FcaResult| r.supply_reaching;
    println!(
        "2SFCA Occitanie, médecins généralistes (BPE D201), paliers {}",
        decay.describe()
    );
    println!(
        "  estimation (vol d'oiseau × 1,3 ÷ 60 km/h) : {estimate_time:.2?} ; offre atteignant une population {}",
        reached(&estimate)
    );
    println!(
        "  route, premier calcul (cache vide)        : {first:.2?} ; {pairs} couples, {requests} requêtes Valhalla ; écriture du cache {save:.2?}"
    );
    println!(
        "  route, calcul en cache                    : {cached:.2?} (+ lecture du cache {load:.2?}) ; offre atteignant une population {}",
        reached(&road)
    );
}
