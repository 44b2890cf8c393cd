//! GeoPackage typing (issue 17 point 3): every GeoJSON export, HTTP and CLI, converted with
//! GDAL's `ogr2ogr -f GPKG` as QGIS does, gives the field types a geomatician expects: tag
//! lists one String (joined with `|`, never a StringList), populations Integer, distances Real,
//! INSEE codes String. The diagnostic `communes.csv` comes with a `communes.csvt` giving GDAL
//! the same types.
//!
//! GeoJSON carries no schema: GDAL types a column from its values, and a column null in every
//! feature comes out String. We keep such columns (null, not left out, so the column exists);
//! the cases below have at least one value in each numeric column they check.

mod server_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use server_support::{agent, free_port, import_template, start, BIN};

/// `name → type` of the fields of the single layer of `gpkg`, as `ogrinfo -so` prints them
/// (`population: Integer (0.0)` → `Integer`).
fn field_types(gpkg: &Path) -> BTreeMap<String, String> {
    let o = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(gpkg)
        .output()
        .expect("ogrinfo (gdal-bin)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    // Field lines are `name: Type (width.precision)`.
    text.lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(": ")?;
            let (kind, size) = rest.strip_suffix(')')?.rsplit_once(" (")?;
            let (w, p) = size.split_once('.')?;
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            (digits(w) && digits(p)).then(|| (name.to_string(), kind.to_string()))
        })
        .collect()
}

/// Writes `geojson` under `dir`, converts it to GeoPackage and returns its field types.
fn convert(dir: &Path, name: &str, geojson: &[u8]) -> BTreeMap<String, String> {
    let v: serde_json::Value = serde_json::from_slice(geojson)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(geojson)));
    assert!(
        !v["features"].as_array().unwrap().is_empty(),
        "{name}: no feature"
    );
    let src = dir.join(format!("{name}.geojson"));
    std::fs::write(&src, geojson).unwrap();
    let dst = dir.join(format!("{name}.gpkg"));
    let o = Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&dst)
        .arg(&src)
        .output()
        .expect("ogr2ogr (gdal-bin)");
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    field_types(&dst)
}

fn assert_types(name: &str, types: &BTreeMap<String, String>, expected: &[(&str, &str)]) {
    for (field, kind) in expected {
        assert_eq!(
            types.get(*field).map(String::as_str),
            Some(*kind),
            "{name}: {field} in {types:?}"
        );
    }
    assert!(
        !types.values().any(|t| t.contains("List")),
        "{name}: list field in {types:?}"
    );
}

/// Runs `maillage <command…> --base <base> <rest…>` and returns its standard output.
fn cli(command: &[&str], base: &Path, rest: &[&str]) -> Vec<u8> {
    let args = [command, rest].concat();
    let o = Command::new(BIN)
        .args(command)
        .arg("--base")
        .arg(base)
        .args(rest)
        .output()
        .expect("maillage");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// `maillage interroger` GeoJSON: 30 km around Albi, the template's partners included.
fn query(base: &Path) -> Vec<u8> {
    let around_albi = [
        "rayon",
        "--lat",
        "43.9289",
        "--lon",
        "2.1486",
        "--rayon-m",
        "30000",
    ];
    cli(&["interroger", "--format", "geojson"], base, &around_albi)
}

#[test]
#[ignore = "needs gdal (bash .ci/run installs it)"]
fn every_geojson_export_types_right_in_a_geopackage() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    // The partner template: a capacity (45) and tags, some holding a comma.
    import_template(&base);
    let actors = [
        ("tags", "String"),
        ("capacite", "Integer"),
        ("distance_m", "Real"),
        ("commune", "String"),
        ("exemple", "Integer(Boolean)"),
    ];

    // Command line: query, partner directory, diagnostic.
    let query = query(&base);
    assert_types(
        "interroger",
        &convert(tmp.path(), "interroger", &query),
        &actors,
    );
    let partners = cli(
        &["partenaires", "exporter", "--format", "geojson"],
        &base,
        &[],
    );
    let partner_types = [
        ("etiquettes", "String"),
        ("capacite", "Integer"),
        ("code_insee", "String"),
    ];
    assert_types(
        "partenaires exporter",
        &convert(tmp.path(), "partenaires", &partners),
        &partner_types,
    );
    let out = tmp.path().join("diagnostic");
    let o = Command::new(BIN)
        .args([
            "diagnostic",
            "--territoire",
            "81",
            "--types",
            "ehpad",
            "--sortie",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let diagnostic = [
        ("code_insee", "String"),
        ("population", "Integer"),
        ("ehpad_effectif", "Integer"),
        ("ehpad_distance_km", "Real"),
        ("ehpad_densite_10000_hab", "Real"),
    ];
    let written = std::fs::read(out.join("communes.geojson")).unwrap();
    assert_types(
        "communes.geojson",
        &convert(tmp.path(), "communes-cli", &written),
        &diagnostic,
    );

    // The CSV beside it, read by GDAL through its `.csvt`: INSEE codes stay text, numbers with
    // a decimal comma are read as numbers with their value.
    let csv = out.join("communes.csv");
    assert!(out.join("communes.csvt").exists());
    assert_types("communes.csv", &field_types(&csv), &diagnostic);
    let text = std::fs::read_to_string(&csv).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(';').collect();
    let col = header
        .iter()
        .position(|h| *h == "ehpad_distance_km")
        .unwrap();
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(';').collect();
    assert!(row[col].contains(','), "decimal comma: {}", row[col]);
    let o = Command::new("ogrinfo")
        .args(["-al", "-q"])
        .arg(&csv)
        .args(["-where", &format!("code_insee='{}'", row[0])])
        .output()
        .unwrap();
    let read = String::from_utf8_lossy(&o.stdout);
    let expected = format!("ehpad_distance_km (Real) = {}", row[col].replace(',', "."));
    assert!(read.contains(&expected), "{expected} in {read}");

    // HTTP: the same exports from the server on the same base.
    let port = free_port();
    let _server = start(&base, port);
    let get = |path: &str| -> Vec<u8> {
        let mut r = agent()
            .get(&format!("http://127.0.0.1:{port}{path}"))
            .call()
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        r.body_mut().read_to_vec().unwrap()
    };
    let within = get("/api/within?lat=43.9289&lon=2.1486&radius_m=30000");
    assert_types(
        "/api/within",
        &convert(tmp.path(), "within", &within),
        &actors,
    );
    let communes = get("/api/communes");
    assert_types(
        "/api/communes",
        &convert(tmp.path(), "communes", &communes),
        &[("code", "String"), ("population", "Integer")],
    );
    let diag = get("/api/diagnostic.geojson?territory=81&kinds=ehpad");
    assert_types(
        "/api/diagnostic.geojson",
        &convert(tmp.path(), "diagnostic", &diag),
        &diagnostic,
    );
    let partners = get("/api/partenaires?format=geojson");
    assert_types(
        "/api/partenaires?format=geojson",
        &convert(tmp.path(), "partenaires-http", &partners),
        &partner_types,
    );
}

/// The list separator is read back by the partner importer: a tag holding a comma in the actor
/// GeoJSON is still one tag once split on `|`.
#[test]
fn tags_are_one_text_split_on_the_bar_and_points_have_7_decimals() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    import_template(&base);
    let query = query(&base);
    let v: serde_json::Value = serde_json::from_slice(&query).unwrap();
    // Points carry 7 decimals (about 1 cm), like the commune outlines.
    for f in v["features"].as_array().unwrap() {
        for c in f["geometry"]["coordinates"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let text = c.to_string();
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 7, "{text} in {f}");
        }
    }
    let tags: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["tags"].as_str().expect("tags is a string"))
        .collect();
    assert!(
        tags.iter().any(|t| t
            .split('|')
            .any(|t| t == "zone:Gaillac, Brens, Lisle-sur-Tarn, Montans")),
        "{tags:?}"
    );
}
