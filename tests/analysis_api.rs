//! Diagnosis routes through the router, on the embedded Tarn demo (no network).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use maillage::index::Directory;
use maillage::server::{router, AppState, ServerConfig};

async fn get(uri: &str) -> (StatusCode, String, Vec<u8>) {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let app = router(AppState::new(dir, ServerConfig::default()));
    let res = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ct, body)
}

fn json(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap()
}

#[tokio::test]
async fn diagnostic_json_has_communes_comparisons_and_parameters() {
    let (s, ct, b) = get("/api/diagnostic?territory=dep:81&kinds=ehpad,pharmacie&max_km=15").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/json");
    let v = json(&b);
    assert_eq!(v["territoire"]["id"], "dep:81");
    assert_eq!(v["types"].as_array().unwrap().len(), 2);
    assert_eq!(v["parametres"]["seuil_couverture_m"], 15_000.0);
    let communes = v["communes"].as_array().unwrap();
    assert_eq!(
        communes.len(),
        v["territoire"]["nombre_communes"].as_u64().unwrap() as usize
    );
    // The territory's count is the sum of its communes'.
    let sum: u64 = communes
        .iter()
        .map(|c| c["indicateurs"][0]["effectif"].as_u64().unwrap())
        .sum();
    assert_eq!(
        v["comparaisons"][0]["indicateurs"][0]["effectif"]
            .as_u64()
            .unwrap(),
        sum
    );
}

#[tokio::test]
async fn csv_and_geojson_exports() {
    let (s, ct, b) = get("/api/diagnostic.csv?territory=81&kinds=ehpad").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/csv"));
    let text = String::from_utf8(b).unwrap();
    assert!(text.starts_with("\u{feff}code_insee;commune;"));
    let (_, _, b) = get("/api/diagnostic?territory=81&kinds=ehpad&format=csv&separateur=,").await;
    assert!(String::from_utf8(b)
        .unwrap()
        .starts_with("code_insee,commune,"));
    let (s, ct, b) = get("/api/diagnostic.geojson?territory=81&kinds=ehpad").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    let v = json(&b);
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v["features"][0]["properties"]["ehpad_apl_10000_hab"].is_number());
}

#[tokio::test]
async fn maps_as_svg_and_png() {
    let (s, ct, b) = get("/api/diagnostic/carte.svg?territory=81&kind=ehpad&indicateur=apl").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "image/svg+xml");
    assert!(String::from_utf8(b)
        .unwrap()
        .contains("Accessibilité 2SFCA"));
    let (s, ct, b) =
        get("/api/diagnostic/carte.png?territory=81&kind=ehpad&indicateur=densite").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "image/png");
    assert_eq!(&b[1..4], b"PNG");
}

#[tokio::test]
async fn coverage_accessibility_and_zones() {
    let (s, _, b) = get("/api/couverture?territory=81&kind=ehpad&max_km=5").await;
    assert_eq!(s, StatusCode::OK);
    let v = json(&b);
    let c = &v["couverture"];
    assert_eq!(
        c["population_couverte"].as_u64().unwrap()
            + c["population_non_couverte"].as_u64().unwrap()
            + c["population_non_localisee"].as_u64().unwrap(),
        c["population_totale"].as_u64().unwrap()
    );
    assert!(!v["zones_blanches"].as_array().unwrap().is_empty());
    let (s, _, b) = get("/api/accessibilite?territory=81&kind=ehpad").await;
    assert_eq!(s, StatusCode::OK);
    assert!(json(&b)["moyennes"][0]["apl_moyenne_10000"].is_number());
    let (s, _, b) = get("/api/zones?territory=81&kind=ehpad").await;
    assert_eq!(s, StatusCode::OK);
    let zones = json(&b)["zones"].as_array().unwrap().clone();
    assert!(!zones.is_empty());
    let (s, _, b) = get("/api/zones?lat=43.9289&lon=2.1486&max_km=10").await;
    assert_eq!(s, StatusCode::OK);
    assert!(json(&b)["population"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn bad_parameters_get_french_400s() {
    for (uri, param) in [
        ("/api/diagnostic", "territory"),
        ("/api/diagnostic?territory=zz:1", "territory"),
        ("/api/diagnostic?territory=81&kinds=licorne", "kinds"),
        ("/api/diagnostic?territory=81&max_km=-3", "max_km"),
        (
            "/api/diagnostic?territory=81&vitesse_kmh=abc",
            "vitesse_kmh",
        ),
        (
            "/api/diagnostic?territory=81&paliers=10:1,5:0.5&unite=km",
            "paliers",
        ),
        ("/api/diagnostic?territory=81&source=rpps", "source"),
        (
            "/api/diagnostic/carte.svg?territory=81&kind=ehpad&indicateur=x",
            "indicateur",
        ),
        ("/api/couverture?territory=81", "kind"),
        ("/api/zones?lat=43.9&lon=2.1", "max_km"),
    ] {
        let (s, _, b) = get(uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        let v = json(&b);
        assert!(v["erreur"].as_str().unwrap().contains(param), "{uri}: {v}");
    }
}

/// French users type decimal commas: `5:1 ; 12:0,5` is the same 2SFCA as `5:1,12:0.5`.
#[tokio::test]
async fn steps_accept_a_decimal_comma() {
    let apl = |b: &[u8]| -> Vec<Value> {
        json(b)["communes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["indicateurs"][0]["apl_10000"].clone())
            .collect()
    };
    let (s, _, point) =
        get("/api/diagnostic?territory=81&kinds=ehpad&paliers=5:1,12:0.5&unite=km").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, comma) =
        get("/api/diagnostic?territory=81&kinds=ehpad&paliers=5:1%20;%2012:0,5&unite=km").await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&comma));
    assert_eq!(apl(&point), apl(&comma));
    assert_eq!(
        json(&point)["parametres"]["decroissance_2sfca"],
        json(&comma)["parametres"]["decroissance_2sfca"]
    );
    let (_, _, default) = get("/api/diagnostic?territory=81&kinds=ehpad&unite=km").await;
    assert_ne!(apl(&point), apl(&default), "the steps change the result");
}
