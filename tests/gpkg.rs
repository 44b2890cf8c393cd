//! GeoPackage typing (issue 17 point 3): every GeoJSON export, HTTP and CLI, converted with
//! GDAL's `ogr2ogr -f GPKG` as QGIS does, gives the field types a geomatician expects: tag
//! lists one String (joined with `|`, never a StringList), populations Integer, distances Real,
//! INSEE codes String. The diagnostic `communes.csv` comes with a `communes.csvt` giving GDAL
//! the same types.
//!
//! GeoJSON carries no schema: GDAL (3.6 here, up to 3.10) types a column from its values, and
//! a column null in every feature comes out String whatever the file says. The diagnostic
//! writes a `communes.vrt` beside its GeoJSON declaring every type, checked here on a kind with
//! no supply at all; masked small counts leave their columns numeric (null + a flag column).

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

/// `maillage interroger` arguments: 30 km around Albi.
const AROUND_ALBI: [&str; 7] = [
    "rayon",
    "--lat",
    "43.9289",
    "--lon",
    "2.1486",
    "--rayon-m",
    "30000",
];

/// GDAL types of the diagnostic communes for médecin généraliste (no supply in the demo: its
/// distances are null everywhere) and EHPAD, whichever file declares them (VRT, GeoPackage).
const DIAGNOSTIC_TYPES: [(&str, &str); 9] = [
    ("code_insee", "String"),
    ("population", "Integer"),
    ("localisee", "Integer(Boolean)"),
    ("medecin-generaliste_effectif", "Integer"),
    ("medecin-generaliste_distance_km", "Real"),
    ("medecin-generaliste_temps_estime_min", "Integer"),
    ("medecin-generaliste_apl_10000_hab", "Real"),
    ("ehpad_distance_km", "Real"),
    ("ehpad_offre_la_plus_proche", "String"),
];

/// The types of the actor properties, in every actor export.
const ACTOR_TYPES: [(&str, &str); 5] = [
    ("tags", "String"),
    ("capacite", "Integer"),
    ("distance_m", "Real"),
    ("commune", "String"),
    ("exemple", "Integer(Boolean)"),
];

/// The types of the partner directory's columns in its GeoPackage (as `model::partner_field`
/// declares them), whether a value is given or not.
const PARTNER_TYPES: [(&str, &str); 9] = [
    ("id", "String"),
    ("etiquettes", "String"),
    ("capacite", "Integer"),
    ("code_insee", "String"),
    ("code_postal", "String"),
    ("latitude", "Real"),
    ("membre_cpts", "Integer(Boolean)"),
    ("version", "Integer"),
    ("archive", "Integer(Boolean)"),
];

/// `maillage interroger` GeoJSON: 30 km around Albi, the template's partners included.
fn query(base: &Path) -> Vec<u8> {
    cli(&["interroger", "--format", "geojson"], base, &AROUND_ALBI)
}

#[test]
#[ignore = "needs gdal (bash .ci/run installs it)"]
fn every_geojson_export_types_right_in_a_geopackage() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    // The partner template: a capacity (45) and tags, some holding a comma.
    import_template(&base);
    let actors = ACTOR_TYPES;

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

/// `maillage diagnostic` in `dir/name` with `args` (demo data); panics on failure.
fn diagnose_demo(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let out = dir.join(name);
    let o = Command::new(BIN)
        .args(["diagnostic", "--territoire", "81", "--sortie"])
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// A kind with no supply anywhere leaves its distance, time and APL null in every commune:
/// GeoJSON cannot type such a column, the `communes.vrt` written beside it does, and the
/// GeoPackage made from it keeps every number a number.
#[test]
#[ignore = "needs gdal (bash .ci/run installs it)"]
fn empty_numeric_columns_are_typed_through_the_vrt() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo has no general practitioner: every distance to one is null.
    let out = diagnose_demo(
        tmp.path(),
        "vide",
        &["--types", "medecin-generaliste,ehpad"],
    );
    let gj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("communes.geojson")).unwrap()).unwrap();
    let features = gj["features"].as_array().unwrap();
    assert!(features
        .iter()
        .all(|f| f["properties"]["medecin-generaliste_distance_km"].is_null()));
    let dst = tmp.path().join("vide.gpkg");
    let o = Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&dst)
        .arg(out.join("communes.vrt"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let types = field_types(&dst);
    assert_types("communes.vrt", &types, &DIAGNOSTIC_TYPES);
    // Every property of the GeoJSON is a field of the VRT, geometry included.
    let props = features[0]["properties"].as_object().unwrap();
    assert_eq!(types.len(), props.len(), "{types:?}");
    let info = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&dst)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains(&format!("Feature Count: {}", features.len())),
        "{info}"
    );
    assert!(
        info.contains("Geometry: Multi Polygon") || info.contains("Geometry: Polygon"),
        "{info}"
    );
}

/// Masked small counts (« < 5 ») leave the count and density columns numeric, in the GeoJSON
/// and in the CSV with its `.csvt`: the value is empty and `<type>_effectif_masque` says so.
#[test]
#[ignore = "needs gdal (bash .ci/run installs it)"]
fn masked_counts_keep_their_columns_numeric() {
    let tmp = tempfile::tempdir().unwrap();
    let out = diagnose_demo(
        tmp.path(),
        "masque",
        &["--types", "ehpad", "--masquer-petits-effectifs"],
    );
    let written = std::fs::read(out.join("communes.geojson")).unwrap();
    let gj: serde_json::Value = serde_json::from_slice(&written).unwrap();
    let masked: Vec<&serde_json::Value> = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .filter(|p| p["ehpad_effectif_masque"] == true)
        .collect();
    assert!(!masked.is_empty(), "no masked commune in the demo");
    for p in &masked {
        assert!(p["ehpad_effectif"].is_null(), "{p}");
        assert!(p["ehpad_densite_10000_hab"].is_null(), "{p}");
    }
    let expected = [
        ("ehpad_effectif", "Integer"),
        ("ehpad_densite_10000_hab", "Real"),
        ("ehpad_effectif_masque", "Integer(Boolean)"),
    ];
    assert_types(
        "communes.geojson (masqué)",
        &convert(tmp.path(), "masque", &written),
        &expected,
    );
    // The CSV: empty cells, « oui » in the flag column, numbers typed by the `.csvt`.
    let csv = out.join("communes.csv");
    let types = field_types(&csv);
    assert_eq!(types["ehpad_effectif"], "Integer", "{types:?}");
    assert_eq!(types["ehpad_densite_10000_hab"], "Real", "{types:?}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (count, flag) = (col("ehpad_effectif"), col("ehpad_effectif_masque"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let flagged: Vec<&Vec<&str>> = rows.iter().filter(|r| r[flag] == "oui").collect();
    assert_eq!(flagged.len(), masked.len());
    assert!(flagged.iter().all(|r| r[count].is_empty()), "{flagged:?}");
    assert!(!text.contains("< 5"), "no « < 5 » text in a number column");
}

/// What `ogrinfo -so -al` says of the single layer of a GeoPackage we wrote.
struct Opened {
    types: BTreeMap<String, String>,
    geometry: String,
    features: usize,
    srs_4326: bool,
}

/// Opens `bytes` (written to `dir/name.gpkg`) with GDAL, as QGIS does.
fn open_gpkg(dir: &Path, name: &str, bytes: &[u8]) -> Opened {
    assert!(
        bytes.starts_with(b"SQLite format 3\0"),
        "{name}: not SQLite: {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
    );
    let path = dir.join(format!("{name}.gpkg"));
    std::fs::write(&path, bytes).unwrap();
    let o = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&path)
        .output()
        .expect("ogrinfo (gdal-bin)");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{name}: {err}");
    // GDAL warns on anything it finds odd in a GeoPackage (bad header, missing table…).
    assert!(!err.contains("Warning"), "{name}: {err}");
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("using driver `GPKG'"), "{name}: {text}");
    let line = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{name}: no « {prefix} » in {text}"))
            .trim()
            .to_string()
    };
    Opened {
        types: field_types(&path),
        geometry: line("Geometry: "),
        features: line("Feature Count: ").parse().unwrap(),
        srs_4326: text.contains(r#"ID["EPSG",4326]"#),
    }
}

/// Number of features of a GeoJSON answer.
fn feature_count(geojson: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(geojson).unwrap();
    v["features"].as_array().unwrap().len()
}

/// Every GeoPackage we write (command line and HTTP: actor lists, partner directory,
/// diagnostic, « zones blanches ») opens in GDAL with its declared types, numbers staying numbers in columns null
/// in every feature (a kind with no supply: its distances; `capacite` of actors without one),
/// points or multipolygons in EPSG:4326, and as many features as the GeoJSON of the same
/// answer.
#[test]
#[ignore = "needs gdal (bash .ci/run installs it)"]
fn every_geopackage_we_write_opens_in_gdal_with_its_types() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    import_template(&base);
    let actors = [&[("id", "String")][..], &ACTOR_TYPES[..]].concat();
    // The demo has no general practitioner: every distance to one is null.
    let kinds = "medecin-generaliste,ehpad";
    let diagnostic = DIAGNOSTIC_TYPES;

    // Command line: `interroger --format gpkg --sortie`, and the diagnostic folder.
    let file = tmp.path().join("interroger.gpkg");
    let said = cli(
        &["interroger", "--format", "gpkg"],
        &base,
        &[&["--sortie", file.to_str().unwrap()][..], &AROUND_ALBI[..]].concat(),
    );
    assert!(
        String::from_utf8_lossy(&said).contains("acteur(s) écrit(s)"),
        "{}",
        String::from_utf8_lossy(&said)
    );
    let q = open_gpkg(tmp.path(), "interroger-cli", &std::fs::read(&file).unwrap());
    assert_types("interroger --format gpkg", &q.types, &actors);
    assert_eq!(q.features, feature_count(&query(&base)));
    assert_eq!(q.geometry, "Point");
    assert!(q.srs_4326);

    // The partner directory: `partenaires exporter --format gpkg --sortie`, typed as
    // `model::partner_field` declares, one column per property of its GeoJSON.
    let partners_json = cli(
        &["partenaires", "exporter", "--format", "geojson"],
        &base,
        &[],
    );
    let partner_props = serde_json::from_slice::<serde_json::Value>(&partners_json).unwrap()
        ["features"][0]["properties"]
        .as_object()
        .unwrap()
        .len();
    let file = tmp.path().join("partenaires.gpkg");
    cli(
        &["partenaires", "exporter", "--format", "gpkg"],
        &base,
        &["--sortie", file.to_str().unwrap()],
    );
    let p = open_gpkg(
        tmp.path(),
        "partenaires-cli",
        &std::fs::read(&file).unwrap(),
    );
    assert_types("partenaires --format gpkg", &p.types, &PARTNER_TYPES);
    assert_eq!(p.types.len(), partner_props, "{:?}", p.types);
    assert_eq!(p.features, feature_count(&partners_json));
    assert_eq!((p.geometry.as_str(), p.srs_4326), ("Point", true));
    // A GeoPackage is a file, never the standard output.
    let o = Command::new(BIN)
        .args(["partenaires", "exporter", "--format", "gpkg", "--base"])
        .arg(&base)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--sortie"));

    let out = diagnose_demo(tmp.path(), "diag", &["--types", kinds]);
    let written = std::fs::read(out.join("communes.geojson")).unwrap();
    let gj: serde_json::Value = serde_json::from_slice(&written).unwrap();
    let features = gj["features"].as_array().unwrap();
    assert!(features
        .iter()
        .all(|f| f["properties"]["medecin-generaliste_distance_km"].is_null()));
    let d = open_gpkg(
        tmp.path(),
        "communes-cli",
        &std::fs::read(out.join("communes.gpkg")).unwrap(),
    );
    assert_types("communes.gpkg", &d.types, &diagnostic);
    // Every property of the GeoJSON is a column, in the same number.
    assert_eq!(
        d.types.len(),
        features[0]["properties"].as_object().unwrap().len()
    );
    assert_eq!(d.features, features.len());
    assert_eq!(d.geometry, "Multi Polygon");
    assert!(d.srs_4326);

    // HTTP: the same answers with format=gpkg, next to their GeoJSON.
    let port = free_port();
    let _server = start(&base, port);
    let get = |path: &str| -> (String, Vec<u8>) {
        let mut r = agent()
            .get(&format!("http://127.0.0.1:{port}{path}"))
            .call()
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        (ct, r.body_mut().read_to_vec().unwrap())
    };
    let gpkg = |path: &str, sep: char| -> Opened {
        let (ct, bytes) = get(&format!("{path}{sep}format=gpkg"));
        assert_eq!(ct, "application/geopackage+sqlite3", "{path}");
        let name: String = path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        open_gpkg(tmp.path(), &name, &bytes)
    };
    let within = "/api/within?lat=43.9289&lon=2.1486&radius_m=30000";
    let w = gpkg(within, '&');
    assert_types(within, &w.types, &actors);
    assert_eq!(w.features, feature_count(&get(within).1));
    assert_eq!((w.geometry.as_str(), w.srs_4326), ("Point", true));
    // Pharmacies have no capacity: `capacite` is null in every feature, still Integer; a list
    // not sorted by distance has no `distance_m`.
    let list = "/api/actors?kind=pharmacie&limit=50";
    let (_, list_json) = get(list);
    let v: serde_json::Value = serde_json::from_slice(&list_json).unwrap();
    assert!(v["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["capacite"].is_null()));
    let a = gpkg(list, '&');
    assert_eq!(a.types.get("capacite").map(String::as_str), Some("Integer"));
    assert!(!a.types.contains_key("distance_m"), "{:?}", a.types);
    assert_eq!(a.features, feature_count(&list_json));
    let nearest = "/api/nearest?lat=43.9289&lon=2.1486&k=7&champs=id,nom,capacite,distance_m";
    let n = gpkg(nearest, '&');
    assert_eq!(n.features, 7);
    assert_eq!(
        n.types.keys().map(String::as_str).collect::<Vec<_>>(),
        ["capacite", "distance_m", "id", "nom"]
    );
    // A drawn zone (POST) answers the same way.
    let zone = serde_json::json!({"type": "Polygon", "coordinates": [[[2.10, 43.90], [2.20, 43.90], [2.20, 43.96], [2.10, 43.96], [2.10, 43.90]]]});
    let post = |path: &str| -> (String, Vec<u8>) {
        let mut r = agent()
            .post(&format!("http://127.0.0.1:{port}{path}"))
            .header("Content-Type", "application/json")
            .send(zone.to_string().as_bytes())
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        (ct, r.body_mut().read_to_vec().unwrap())
    };
    let (ct, bytes) = post("/api/within?format=gpkg");
    assert_eq!(ct, "application/geopackage+sqlite3");
    let z = open_gpkg(tmp.path(), "zone", &bytes);
    assert_eq!(z.features, feature_count(&post("/api/within").1));
    assert!(z.features > 0);
    assert_types("POST /api/within", &z.types, &[("capacite", "Integer")]);

    let diag = format!("/api/diagnostic.geojson?territory=81&kinds={kinds}");
    let (_, diag_json) = get(&diag);
    let (ct, bytes) = get(&format!("/api/diagnostic.gpkg?territory=81&kinds={kinds}"));
    assert_eq!(ct, "application/geopackage+sqlite3");
    let h = open_gpkg(tmp.path(), "diagnostic-http", &bytes);
    assert_types("/api/diagnostic.gpkg", &h.types, &diagnostic);
    assert_eq!(h.features, feature_count(&diag_json));
    assert_eq!((h.geometry.as_str(), h.srs_4326), ("Multi Polygon", true));
    let f = gpkg(&format!("/api/diagnostic?territory=81&kinds={kinds}"), '&');
    assert_eq!(f.types, h.types);
    // « Zones blanches » of a kind with no supply: every commune, distances all null.
    let cover = "/api/couverture?territory=81&kind=medecin-generaliste";
    let (_, cover_json) = get(&format!("{cover}&format=geojson"));
    let c = gpkg(cover, '&');
    assert!(c.features > 0);
    assert_eq!(c.features, feature_count(&cover_json));
    assert_types(
        "/api/couverture?format=gpkg",
        &c.types,
        &[
            ("code", "String"),
            ("population", "Integer"),
            ("distance_km", "Real"),
            ("temps_route_min", "Real"),
        ],
    );
    // The partner directory over HTTP, next to its GeoJSON.
    let (_, partners_json) = get("/api/partenaires?format=geojson");
    let ph = gpkg("/api/partenaires", '?');
    assert_types("/api/partenaires?format=gpkg", &ph.types, &PARTNER_TYPES);
    assert_eq!(ph.types, p.types);
    assert_eq!(ph.features, feature_count(&partners_json));
    // An unknown format is refused, naming the accepted ones.
    let r = agent()
        .get(&format!(
            "http://127.0.0.1:{port}/api/within?lat=43.9&lon=2.1&radius_m=10&format=shp"
        ))
        .call()
        .unwrap();
    assert_eq!(r.status(), 400);
}
