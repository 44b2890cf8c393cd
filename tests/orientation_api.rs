//! Orientation and service-area routes through the router (no network), on the demo data and
//! its example procedures: answers, 400s, the printable sheet, reload with a broken file.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use maillage::index::Directory;
use maillage::orientation::ProcedureSet;
use maillage::server::{router, AppState, ServerConfig};

fn state() -> AppState {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let (set, problems) = ProcedureSet::demo(&dir);
    assert!(problems.is_empty(), "{problems:?}");
    AppState::new(dir, ServerConfig::default()).with_procedures(set)
}

async fn call(st: &AppState, method: &str, uri: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "cpts.exemple:8080")
        .body(Body::empty())
        .unwrap();
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn get_json(st: &AppState, uri: &str) -> (StatusCode, Value) {
    let (s, b) = call(st, "GET", uri).await;
    (s, serde_json::from_str(&b).unwrap_or(Value::Null))
}

#[tokio::test]
async fn competents_by_commune_and_point() {
    let st = state();
    let (s, v) = get_json(&st, "/api/competents?commune=81099&kind=clic,ssiad").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["finess:819001256", "finess:819001314"]);
    assert_eq!(
        v["features"][1]["properties"]["raison"],
        "zone d'intervention : EPCI 200066124 (CA Gaillac-Graulhet)"
    );
    assert_eq!(v["commune_nom"], "Gaillac");
    // A point in Castres: the CLIC du Sud Tarn, with a distance.
    let (s, v) = get_json(&st, "/api/competents?lat=43.6060&lon=2.2400&kind=clic").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["features"][0]["id"], "finess:819001322");
    assert!(
        v["features"][0]["properties"]["distance_m"]
            .as_f64()
            .unwrap()
            < 5_000.0
    );
    // 400s.
    for (uri, needle) in [
        ("/api/competents?kind=clic", "manquant"),
        ("/api/competents?lat=95&lon=2", "« lat » invalide"),
        ("/api/competents?lat=43.9", "« lon » manquant"),
        ("/api/competents?commune=99999", "« commune » invalide"),
        (
            "/api/competents?commune=81099&kind=licorne",
            "« kind » invalide",
        ),
    ] {
        let (s, v) = get_json(&st, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert!(v["erreur"].as_str().unwrap().contains(needle), "{uri}: {v}");
    }
}

#[tokio::test]
async fn actor_zone_as_geojson() {
    let st = state();
    let (s, v) = get_json(&st, "/api/actors/finess:819001314/zone").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["type"], "Feature");
    assert_eq!(v["geometry"]["type"], "MultiPolygon");
    let zones = v["properties"]["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 4);
    assert_eq!(zones[0]["zone"], "epci:200066124");
    assert!(zones[0]["origine"]
        .as_str()
        .unwrap()
        .starts_with("demo/zones-exemple.csv:"));
    assert!(v["properties"]["communes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "81099"));
    // A town hall's implicit area; an actor without area; an unknown actor.
    let (s, v) = get_json(&st, "/api/actors/ccas:81004/zone").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["properties"]["communes"], serde_json::json!(["81004"]));
    // Most actors have no declared area: 200, null geometry, empty lists (no 404 in the
    // browser's console for every card opened).
    let (s, v) = get_json(&st, "/api/actors/finess:819001579/zone").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["geometry"], serde_json::Value::Null);
    assert_eq!(v["properties"]["zones"], serde_json::json!([]));
    assert_eq!(v["properties"]["communes"], serde_json::json!([]));
    let (s, _) = get_json(&st, "/api/actors/finess:000/zone").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn procedures_list_and_detail() {
    let st = state();
    let (s, v) = get_json(&st, "/api/procedures").await;
    assert_eq!(s, StatusCode::OK);
    let list = v["procedures"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|p| p["exemple"] == true));
    let (s, v) = get_json(&st, "/api/procedures/souffrance-psychique-adolescent").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["criteres"]["age_min"], 11);
    assert_eq!(v["etapes"][0]["choix"], "plus_proche");
    assert_eq!(v["etapes"][0]["rayon_km"], 60.0);
    let (s, v) = get_json(&st, "/api/procedures/inconnue").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("perte-autonomie-domicile"));
}

#[tokio::test]
async fn orientation_step_by_step() {
    let st = state();
    let (s, v) = get_json(
        &st,
        "/api/orientation?procedure=perte-autonomie-domicile&commune=81099&age=82",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["applicable"], true);
    assert_eq!(v["lieu"]["commune_nom"], "Gaillac");
    let first = &v["etapes"][0];
    assert_eq!(first["resultat"], "trouve");
    assert_eq!(first["acteurs"][0]["id"], "finess:819001314");
    assert!(first["acteurs"][0]["telephone"].is_string());
    assert!(first["acteurs"][0]["distance_m"].is_number());
    assert!(first["acteurs"][0]["raison"]
        .as_str()
        .unwrap()
        .starts_with("zone d'intervention"));

    // Outside the criteria: a clear message, no steps.
    let (s, v) = get_json(
        &st,
        "/api/orientation?procedure=perte-autonomie-domicile&commune=81099&age=45",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["applicable"], false);
    assert_eq!(
        v["motif"],
        "le patient a 45 ans : cette procédure concerne les patients 60 ans et plus"
    );
    let (_, v) = get_json(
        &st,
        "/api/orientation?procedure=sans-medecin-traitant&commune=81065",
    )
    .await;
    assert_eq!(v["applicable"], false);
    assert!(v["motif"].as_str().unwrap().contains("hors du territoire"));

    // By address (commune name or postcode), said to be approximate.
    let (s, v) = get_json(
        &st,
        "/api/orientation?procedure=sans-medecin-traitant&adresse=12%20rue%20de%20la%20Paix%2081600%20Gaillac",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lieu"]["commune"], "81099");
    assert!(v["lieu"]["remarques"][0]
        .as_str()
        .unwrap()
        .contains("géocodage"));
    // By point.
    let (s, v) = get_json(
        &st,
        "/api/orientation?procedure=souffrance-psychique-adolescent&lat=43.9016&lon=1.8970&age=15",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lieu"]["centre_commune"], false);
    assert_eq!(v["lieu"]["commune"], "81099");
}

#[tokio::test]
async fn orientation_400s() {
    let st = state();
    for (uri, needle) in [
        ("/api/orientation?commune=81099", "« procedure » manquant"),
        (
            "/api/orientation?procedure=nope&commune=81099",
            "« procedure » invalide",
        ),
        (
            "/api/orientation?procedure=sans-medecin-traitant",
            "« lat » manquant",
        ),
        (
            "/api/orientation?procedure=sans-medecin-traitant&lat=91&lon=2",
            "« lat » invalide",
        ),
        (
            "/api/orientation?procedure=sans-medecin-traitant&lat=43.9&lon=abc",
            "« lon » invalide",
        ),
        (
            "/api/orientation?procedure=sans-medecin-traitant&commune=8109",
            "« commune » invalide",
        ),
        (
            "/api/orientation?procedure=sans-medecin-traitant&adresse=Lyon",
            "« adresse » invalide",
        ),
        (
            "/api/orientation?procedure=sans-medecin-traitant&commune=81099&age=200",
            "« age » invalide",
        ),
    ] {
        let (s, v) = get_json(&st, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["erreur"].as_str().unwrap().contains(needle), "{uri}: {v}");
        assert!(!v["detail"].as_str().unwrap().is_empty());
    }
    let (_, v) = get_json(&st, "/api/orientation?procedure=nope&commune=81099").await;
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("procédures disponibles : perte-autonomie-domicile"));
}

#[tokio::test]
async fn printable_sheet() {
    let st = state();
    let (s, html) = call(&st, "GET", "/orientation/perte-autonomie-domicile/81099").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The phones of the CLIC and SSIAD chosen for Gaillac, as in the demo FINESS file.
    let dir = st.directory();
    for id in ["finess:819001314", "finess:819001256"] {
        let phone = dir
            .actor(dir.find(id).unwrap())
            .phone()
            .unwrap()
            .to_string();
        assert!(html.contains(&phone), "{id} {phone}");
    }
    assert!(html.contains("http://cpts.exemple:8080/orientation/perte-autonomie-domicile/81099"));
    assert!(html.contains("<svg"));
    let (s, html) = call(&st, "GET", "/orientation/nope/81099").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Procédure inconnue"));
    let (s, _) = call(&st, "GET", "/orientation/perte-autonomie-domicile/abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&st, "GET", "/orientation/perte-autonomie-domicile/75056").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reload_route_keeps_old_version_of_broken_file() {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("dac.toml");
    let good = "id = \"dac\"\ntitre = \"Appeler le DAC\"\nversion = \"1\"\ndate = \"2026-05-01\"\n\
                [[etapes]]\nid = \"dac\"\nchoix = \"acteur\"\nacteurs = [\"finess:819001520\"]\n";
    std::fs::write(&file, good).unwrap();
    let (set, problems) = ProcedureSet::load_folder(folder.path(), &dir, None).unwrap();
    assert!(problems.is_empty());
    let st = AppState::new(dir, ServerConfig::default()).with_procedures(set);

    // Broken: an unknown kind. The reload answers 422 with file:line, the old version serves.
    std::fs::write(
        &file,
        good.replace("version = \"1\"", "version = \"2\"").replace(
            "choix = \"acteur\"\nacteurs = [\"finess:819001520\"]",
            "types = [\"dacc\"]\nchoix = \"competent\"",
        ),
    )
    .unwrap();
    let (s, body) = call(&st, "POST", "/api/admin/recharger").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["etat"], "erreurs");
    let problems: Vec<&str> = v["problemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.iter().any(|p| p.starts_with(&format!(
            "{}:7: étape « dac » : type inconnu « dacc »",
            file.display()
        ))),
        "{problems:?}"
    );
    let (_, v) = get_json(&st, "/api/procedures/dac").await;
    assert_eq!(v["version"], "1");

    // Fixed: version 2 in service.
    std::fs::write(&file, good.replace("version = \"1\"", "version = \"2\"")).unwrap();
    let (s, body) = call(&st, "POST", "/api/admin/recharger").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, v) = get_json(&st, "/api/procedures/dac").await;
    assert_eq!(v["version"], "2");
}

#[tokio::test]
async fn openapi_lists_the_orientation_routes() {
    let st = state();
    let (_, v) = get_json(&st, "/api/openapi.json").await;
    for path in [
        "/api/competents",
        "/api/actors/{id}/zone",
        "/api/procedures",
        "/api/procedures/{id}",
        "/api/orientation",
        "/api/admin/recharger",
        "/orientation/{procedure}/{commune}",
    ] {
        assert!(
            v["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
}
