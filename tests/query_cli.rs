//! `maillage interroger` sees the same directory as `maillage servir` with the same `--base`:
//! the partners of the local directory are counted by both.

mod server_support;

use std::path::Path;
use std::process::Command;

use server_support::{agent, free_port, import_template, start, BIN};

fn query_count(base: &Path, lat: &str, lon: &str, radius: &str) -> Vec<String> {
    let out = Command::new(BIN)
        .args(["interroger", "--format", "geojson", "--base"])
        .arg(base)
        .args(["rayon", "--lat", lat, "--lon", lon, "--rayon-m", radius])
        .output()
        .expect("maillage interroger");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    ids(&v)
}

fn ids(fc: &serde_json::Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn query_with_base_answers_as_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    import_template(&base);

    let (lat, lon, radius) = ("43.9289", "2.1486", "30000");
    let without = query_count(&tmp.path().join("absente.sqlite"), lat, lon, radius);
    assert!(
        !tmp.path().join("absente.sqlite").exists(),
        "une requête ne crée pas de base"
    );
    let with = query_count(&base, lat, lon, radius);
    // Albi, Gaillac, Saint-Juéry and Graulhet partners are all within 30 km of Albi.
    assert_eq!(with.len(), without.len() + 4, "{with:?}");
    assert!(
        with.iter().any(|id| id.contains("dac81-exemple")),
        "{with:?}"
    );

    let port = free_port();
    let _server = start(&base, port);
    let body = agent()
        .get(&format!(
            "http://127.0.0.1:{port}/api/within?lat={lat}&lon={lon}&radius_m={radius}"
        ))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let api = ids(&serde_json::from_str(&body).unwrap());
    assert_eq!(with, api, "même annuaire pour la CLI et l'API");
}
