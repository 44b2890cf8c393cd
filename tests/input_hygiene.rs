//! Issue 14, point 5: input hygiene. Web addresses are http(s) only, control characters are
//! refused with a field error, a UTF-8 file with invalid bytes is refused naming the line and
//! column (a genuine Latin-1 file still loads), and `maillage verifier` applies the API's
//! field limits.

use std::path::Path;
use std::process::Command;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use maillage::server::{router, AppState, ServerConfig};
use maillage::sources::{self, Dataset};
use maillage::store::{Role, Store};

const BIN: &str = env!("CARGO_BIN_EXE_maillage");
const HEADER: &str = "identifiant;nom;type;code_insee;site\n";

async fn post_partner(app: &axum::Router, token: &str, body: Value) -> (StatusCode, Value) {
    let r = app
        .clone()
        .oneshot(
            Request::builder()
                .method("POST")
                .uri("/api/partenaires")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = r.status();
    let bytes = r.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn the_api_refuses_script_urls_control_characters_and_huge_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
    let (_, editor) = store.create_token("Coordinatrice", Role::Editeur).unwrap();
    let directory = maillage::pipeline::directory(None, &mut std::io::sink()).unwrap();
    let app =
        router(AppState::with_store(directory, ServerConfig::default(), store, false).unwrap());
    let base = json!({"nom": "DAC du Tarn", "type": "dac", "code_insee": "81004"});
    let with = |k: &str, v: &str| {
        let mut b = base.clone();
        b[k] = json!(v);
        b
    };
    for site in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:x",
        "file:///etc/passwd",
        "//evil.example",
        "https://",
    ] {
        let (s, v) = post_partner(&app, &editor, with("site", site)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{site}: {v}");
        assert_eq!(v["champ"], "site", "{v}");
        assert!(v["attendu"].as_str().unwrap().contains("https://"), "{v}");
    }
    for name in [
        "DAC\u{0}du Tarn",
        "DAC \u{1b}[31mrouge",
        "DAC\u{7f}",
        "DAC \u{202e}nraT",
    ] {
        let (s, v) = post_partner(&app, &editor, with("nom", name)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{name:?}: {v}");
        assert_eq!(v["champ"], "nom", "{v}");
        assert!(v["attendu"].as_str().unwrap().contains("contrôle"), "{v}");
    }
    let (s, v) = post_partner(&app, &editor, with("nom", &"x".repeat(10_000))).await;
    assert_eq!(
        (s, v["champ"].as_str()),
        (StatusCode::BAD_REQUEST, Some("nom")),
        "{v}"
    );
    // Notes keep their line breaks.
    let mut ok = with("site", "www.dac81.fr");
    ok["notes"] = json!("rappeler\nle matin\tsi possible");
    let (s, v) = post_partner(&app, &editor, ok).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["site"], "https://www.dac81.fr");
}

fn load(dir: &Path, name: &str, bytes: &[u8]) -> Result<Dataset, sources::SourceError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut ds = Dataset::new();
    sources::load_file(&mut ds, &path).map(|()| ds)
}

#[test]
fn the_partner_csv_rejects_bad_rows_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "{HEADER}a;DAC du Tarn;dac;81004;javascript:alert(1)\nb;CCAS\u{1b}[2J;ccas;81004;\nc;SSIAD;ssiad;81004;https://ssiad.fr\nd;{};dac;81004;\n",
        "n".repeat(2000)
    );
    let ds = load(dir.path(), "partenaires.csv", csv.as_bytes()).unwrap();
    let r = ds.reports.last().unwrap();
    assert_eq!((r.accepted, r.rejected), (1, 3), "{:?}", r.rejections);
    let by_line: Vec<(usize, &str)> = r
        .rejections
        .iter()
        .map(|x| (x.line, x.field.as_str()))
        .collect();
    assert_eq!(by_line, [(2, "site"), (3, "nom"), (5, "nom")]);
}

#[test]
fn a_utf8_file_with_invalid_bytes_is_refused_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes =
        format!("{HEADER}a;Clinique d'Été;dac;81004;\nb;Hôpital;dac;81004;\n").into_bytes();
    // One stray byte on line 3, after « Hôp ».
    let at = bytes.windows(3).position(|w| w == b"ita").unwrap();
    bytes.insert(at, 0xFF);
    let err = load(dir.path(), "partenaires.csv", &bytes)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ligne 3, colonne 6"), "{err}");
    assert!(err.contains("0xFF") && err.contains("UTF-8"), "{err}");
    // The same file entirely in Latin-1 loads, accents right.
    let latin1: Vec<u8> = format!("{HEADER}a;Clinique d'Été;dac;81004;\nb;Hôpital;dac;81004;\n")
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    let ds = load(dir.path(), "partenaires-latin1.csv", &latin1).unwrap();
    let r = ds.reports.last().unwrap();
    assert_eq!(r.accepted, 2, "{:?}", r.rejections);
    assert!(ds.actors.iter().any(|a| a.name == "Clinique d'Été"));
    // A FINESS extract damaged the same way is refused too; the Latin-1 one still loads.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/finess");
    let mut finess = std::fs::read(fixtures.join("etalab-cs1100507-2026-utf8.csv")).unwrap();
    let nl = finess.iter().position(|&b| b == b'\n').unwrap();
    finess.insert(nl + 5, 0xC3);
    finess.insert(nl + 6, b'(');
    let err = load(dir.path(), "finess-abime.csv", &finess)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ligne 2, colonne 5"), "{err}");
    let ok = std::fs::read(fixtures.join("etalab-cs1100507-2023-latin1.csv")).unwrap();
    let ds = load(dir.path(), "finess-latin1.csv", &ok).unwrap();
    assert!(ds.reports.last().unwrap().accepted > 0);
}

#[test]
fn verifier_applies_the_api_field_limits() {
    let dir = tempfile::tempdir().unwrap();
    // A 5 MB field in a partner file and in a territories file.
    let partners = dir.path().join("partenaires.csv");
    std::fs::write(
        &partners,
        format!(
            "{HEADER}a;DAC;dac;81004;\nb;{};dac;81004;\n",
            "x".repeat(5_000_000)
        ),
    )
    .unwrap();
    let territories = dir.path().join("territoires.csv");
    std::fs::write(
        &territories,
        format!(
            "territoire;code_insee\nCPTS A;81004\n{};81099\n",
            "T".repeat(5_000_000)
        ),
    )
    .unwrap();
    for (file, field) in [(&partners, "nom"), (&territories, "territoire")] {
        let out = Command::new(BIN)
            .arg("verifier")
            .arg(file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("1 acceptée(s), 1 rejetée(s)"), "{text}");
        assert!(text.contains(&format!(":3: {field}")), "{text}");
        assert!(text.contains("au plus"), "{text}");
        assert!(text.len() < 10_000, "le rapport recopie la valeur entière");
    }
}
