//! API tests through the router (no network): every endpoint and each 400 case.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use geo::{polygon, MultiPolygon};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use maillage::index::Directory;
use maillage::model::{ActorRecord, Commune, LonLat, Precision, Territory, TerritoryKind};
use maillage::server::{router, AppState, ServerConfig};
use maillage::sources::{Dataset, FileReport, Imported};

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)],
    ])
}

/// Two communes side by side, four actors, one territory.
fn directory() -> Directory {
    let mut ds = Dataset::new();
    let ehpad = ds.kinds.by_id("ehpad").unwrap();
    let pharmacie = ds.kinds.by_id("pharmacie").unwrap();
    let mairie = ds.kinds.by_id("mairie").unwrap();
    let source = ds.next_source_id();
    let mut a = Commune::new("81004".parse().unwrap(), "Albi");
    a.geometry = square(2.0, 43.8, 2.3, 44.0);
    a.population = Some(49_000);
    let mut g = Commune::new("81099".parse().unwrap(), "Gaillac");
    g.geometry = square(1.7, 43.8, 2.0, 44.0);
    g.population = Some(15_000);
    let mk = |id: &str, name: &str, kind, lon, lat, commune: &str| {
        let mut r = ActorRecord::new(id, name, kind, source);
        r.position = Some(LonLat::new(lon, lat));
        r.precision = Precision::Address;
        r.commune = Some(commune.parse().unwrap());
        r.phone = Some("05 63 00 00 01".into());
        r
    };
    let actors = vec![
        mk(
            "finess:810000001",
            "EHPAD Les Tilleuls",
            ehpad,
            1.90,
            43.90,
            "81099",
        ),
        mk(
            "finess:810000002",
            "EHPAD Saint-Jacques",
            ehpad,
            2.15,
            43.93,
            "81004",
        ),
        mk(
            "finess:810000003",
            "Pharmacie du Centre",
            pharmacie,
            1.91,
            43.90,
            "81099",
        ),
        mk(
            "mairie:81004",
            "Mairie d'Albi",
            mairie,
            2.14,
            43.92,
            "81004",
        ),
    ];
    let mut report = FileReport::new("test.csv", maillage::sources::finess::FORMAT);
    report.accepted = actors.len();
    report.source_date = Some("2026-05-12".into());
    ds.add(
        Imported {
            actors,
            communes: vec![a, g],
            territories: vec![Territory {
                id: Territory::make_id(TerritoryKind::Cpts, "CPTS test"),
                name: "CPTS test".into(),
                kind: TerritoryKind::Cpts,
                communes: vec![
                    "81099".parse().unwrap(),
                    "81004".parse().unwrap(),
                    "81999".parse().unwrap(),
                ],
                declared_population: None,
            }],
            ..Default::default()
        },
        report,
    );
    Directory::build(ds)
}

async fn call(method: &str, uri: &str, body: Option<&str>) -> (StatusCode, Value) {
    let app = router(AppState::new(directory(), ServerConfig::default()));
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/geo+json")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

fn ids(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn actors_filters() {
    let (s, v) = call("GET", "/api/actors", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["total"], 4);
    let (_, v) = call("GET", "/api/actors?kind=ehpad", None).await;
    assert_eq!(ids(&v), ["finess:810000001", "finess:810000002"]);
    let (_, v) = call("GET", "/api/actors?bbox=1.8,43.85,2.0,43.95", None).await;
    assert_eq!(ids(&v), ["finess:810000001", "finess:810000003"]);
    let (_, v) = call("GET", "/api/actors?commune=81004", None).await;
    assert_eq!(ids(&v), ["finess:810000002", "mairie:81004"]);
    let (_, v) = call("GET", "/api/actors?sector=social", None).await;
    assert_eq!(ids(&v), ["mairie:81004"]);
    let (_, v) = call(
        "GET",
        "/api/actors?territory=cpts:cpts-test&kind=pharmacie",
        None,
    )
    .await;
    assert_eq!(ids(&v), ["finess:810000003"]);
    let (_, v) = call("GET", "/api/actors?q=tilleuls", None).await;
    assert_eq!(ids(&v), ["finess:810000001"]);
    let (_, v) = call("GET", "/api/actors?limit=1&offset=1", None).await;
    assert_eq!(v["total"], 4);
    assert_eq!(ids(&v), ["finess:810000002"]);
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "Point");
    assert_eq!(f["properties"]["type"], "ehpad");
    assert_eq!(f["properties"]["secteur"], "medico-social");
    assert_eq!(f["properties"]["commune_nom"], "Albi");
    assert_eq!(f["properties"]["source_date"], "2026-05-12");
}

#[tokio::test]
async fn actor_by_id() {
    let (s, v) = call("GET", "/api/actors/finess:810000003", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["properties"]["nom"], "Pharmacie du Centre");
    let (s, v) = call("GET", "/api/actors/finess:999", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["erreur"].as_str().unwrap().contains("inconnu"));
}

#[tokio::test]
async fn nearest_and_within_are_sorted_by_distance() {
    let (s, v) = call("GET", "/api/nearest?lat=43.9&lon=1.89&k=3", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        ids(&v),
        ["finess:810000001", "finess:810000003", "mairie:81004"]
    );
    let d: Vec<f64> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    assert!((d[0] - 804.0).abs() < 5.0, "{d:?}");
    let (_, v) = call(
        "GET",
        "/api/nearest?lat=43.9&lon=1.89&k=1&kind=mairie",
        None,
    )
    .await;
    assert_eq!(ids(&v), ["mairie:81004"]);
    let (_, v) = call("GET", "/api/within?lat=43.9&lon=1.9&radius_m=1000", None).await;
    assert_eq!(ids(&v), ["finess:810000001", "finess:810000003"]);
    let (_, v) = call(
        "GET",
        "/api/within?lat=43.9&lon=1.9&radius_m=30000&kind=ehpad",
        None,
    )
    .await;
    assert_eq!(ids(&v), ["finess:810000001", "finess:810000002"]);
}

/// The page forms « de » + a name through the server's rule (`model::text::de`), the one
/// definition: elision before a vowel, contraction of « le » and « les ».
#[tokio::test]
async fn de_before_a_name_is_formed_by_the_server() {
    for (name, expected) in [
        ("Albi", "d'Albi"),
        ("Éauze", "d'Éauze"),
        ("Le Garric", "du Garric"),
        ("Les Cabannes", "des Cabannes"),
        ("La Bastide", "de La Bastide"),
        ("  Gaillac ", "de Gaillac"),
        ("Hôpital de Lavaur", "de Hôpital de Lavaur"),
    ] {
        let uri = format!("/api/texte/de?nom={}", urlencode(name));
        let (s, v) = call("GET", &uri, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {v}");
        assert_eq!(v["texte"], expected, "{name}");
        assert_eq!(v["texte"], maillage::model::text::de(name));
        assert_eq!(v["nom"], name.trim());
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A list answer with `format=gpkg` is a GeoPackage download of the same features, its
/// columns those of `champs` (typed), `distance_m` only on a distance answer.
#[tokio::test]
async fn actor_lists_answer_a_geopackage_with_format_gpkg() {
    let (s, h, bytes) = get_raw(
        "/api/nearest?lat=43.93&lon=2.15&k=2&champs=id,nom,capacite,distance_m&format=gpkg",
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/geopackage+sqlite3");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .contains("acteurs-proches.gpkg"));
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.gpkg");
    std::fs::write(&path, &bytes).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    let columns: Vec<(String, String)> = db
        .prepare("SELECT name, type FROM pragma_table_info('acteurs')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let columns: Vec<(&str, &str)> = columns
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("fid", "INTEGER"),
            ("geom", "POINT"),
            ("id", "TEXT"),
            ("nom", "TEXT"),
            ("capacite", "MEDIUMINT"),
            ("distance_m", "REAL")
        ]
    );
    let (_, json) = call(
        "GET",
        "/api/nearest?lat=43.93&lon=2.15&k=2&champs=id,distance_m",
        None,
    )
    .await;
    let rows: Vec<(String, f64)> = db
        .prepare("SELECT id, distance_m FROM acteurs ORDER BY fid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<(String, f64)> = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["properties"]["distance_m"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, expected);
}

/// Status, headers and raw body of a GET with these request headers.
async fn get_raw(
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let app = router(AppState::new(directory(), ServerConfig::default()));
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

/// The property names of each feature, in the order written.
fn property_names(body: &[u8]) -> Vec<Vec<String>> {
    // serde_json's Map may sort keys: read the order from the text itself.
    #[derive(serde::Deserialize)]
    struct Fc {
        features: Vec<F>,
    }
    #[derive(serde::Deserialize)]
    struct F {
        properties: Box<serde_json::value::RawValue>,
    }
    let fc: Fc = serde_json::from_slice(body).unwrap();
    fc.features
        .iter()
        .map(|f| {
            let mut names = Vec::new();
            let mut de = serde_json::Deserializer::from_str(f.properties.get());
            let map: serde_json::Map<String, Value> =
                serde::Deserialize::deserialize(&mut de).unwrap();
            let text = f.properties.get();
            for k in map.keys() {
                names.push((text.find(&format!("\"{k}\":")).unwrap(), k.clone()));
            }
            names.sort();
            names.into_iter().map(|(_, k)| k).collect()
        })
        .collect()
}

#[tokio::test]
async fn champs_chooses_the_properties_in_the_documented_order() {
    use maillage::export::features::ActorField;
    let all: Vec<&str> = ActorField::ALL.iter().map(|f| f.name()).collect();
    // Every property by default, in the documented order; no distance off distance answers.
    let (s, _, body) = get_raw("/api/nearest?lat=43.9&lon=1.89&k=3", &[]).await;
    assert_eq!(s, StatusCode::OK);
    for names in property_names(&body) {
        assert_eq!(names, all);
    }
    let full: Value = serde_json::from_slice(&body).unwrap();
    let (_, _, body) = get_raw("/api/actors", &[]).await;
    for names in property_names(&body) {
        assert_eq!(names, all[..all.len() - 1]);
    }
    // A choice: the same values, in the documented order whatever the order asked.
    let (s, _, body) = get_raw(
        "/api/nearest?lat=43.9&lon=1.89&k=3&champs=distance_m,%20nom,id",
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let some: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(ids(&some), ids(&full));
    for (names, (a, b)) in property_names(&body).iter().zip(
        some["features"]
            .as_array()
            .unwrap()
            .iter()
            .zip(full["features"].as_array().unwrap()),
    ) {
        assert_eq!(names, &["id", "nom", "distance_m"]);
        assert_eq!(a["geometry"], b["geometry"]);
        for k in names {
            assert_eq!(a["properties"][k], b["properties"][k], "{k}");
        }
    }
    // Every actor list route reads `champs`.
    let body = r#"{"type":"Polygon","coordinates":[[[1.85,43.85],[1.95,43.85],[1.95,43.95],[1.85,43.95],[1.85,43.85]]]}"#;
    let (_, v) = call("POST", "/api/within?champs=type", Some(body)).await;
    assert_eq!(
        v["features"][0]["properties"],
        serde_json::json!({"type": "ehpad"})
    );
    for uri in [
        "/api/actors?commune=81004&champs=nom",
        "/api/actors?territory=cpts:cpts-test&champs=nom",
        "/api/within?lat=43.9&lon=1.9&radius_m=1000&champs=nom",
    ] {
        let (s, v) = call("GET", uri, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        for f in v["features"].as_array().unwrap() {
            assert_eq!(f["properties"].as_object().unwrap().len(), 1, "{uri}");
            assert!(f["properties"]["nom"].is_string(), "{uri}");
        }
    }
    // An unknown name: 400 naming the parameter and every accepted name.
    for uri in [
        "/api/nearest?lat=43.9&lon=1.89&champs=id,name",
        "/api/within?lat=43.9&lon=1.9&radius_m=1000&champs=name",
        "/api/actors?champs=name",
    ] {
        let (s, v) = call("GET", uri, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(v["erreur"], "paramètre « champs » invalide");
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains("« name »"), "{detail}");
        for name in &all {
            assert!(detail.contains(name), "{name} in {detail}");
        }
    }
    let (s, _) = call("POST", "/api/within?champs=x", Some(body)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// Follows `suivant` from `uri`; the ids of every page, and the totals seen.
async fn all_pages(uri: &str) -> (Vec<String>, Vec<u64>) {
    let (mut seen, mut totals) = (Vec::new(), Vec::new());
    let mut next = Some(uri.to_string());
    while let Some(u) = next {
        let (s, v) = call("GET", &u, None).await;
        assert_eq!(s, StatusCode::OK, "{u}: {v}");
        seen.extend(ids(&v));
        totals.push(v["total"].as_u64().unwrap());
        assert!(v["features"].as_array().unwrap().len() <= v["limit"].as_u64().unwrap() as usize);
        next = v["suivant"].as_str().map(str::to_string);
        assert!(totals.len() <= 10, "no end to the pages of {uri}");
    }
    (seen, totals)
}

#[tokio::test]
async fn radius_answers_are_paged_exactly() {
    let whole = "/api/within?lat=43.9&lon=1.9&radius_m=30000";
    let (_, v) = call("GET", whole, None).await;
    let all = ids(&v);
    assert_eq!(all.len(), 4);
    assert_eq!(
        (
            v["total"].as_u64(),
            v["limit"].as_u64(),
            v["offset"].as_u64()
        ),
        (Some(4), Some(1000), Some(0))
    );
    assert!(v.get("suivant").is_none(), "{v}");
    // Pages of 1 and of 3, followed by `suivant`: the same actors in the same order.
    for limit in [1, 3] {
        let (seen, totals) = all_pages(&format!("{whole}&limit={limit}&champs=id")).await;
        assert_eq!(seen, all, "limit {limit}");
        assert!(totals.iter().all(|&t| t == 4));
    }
    let (_, v) = call(
        "GET",
        &format!("{whole}&limit=2&offset=1&kind=ehpad,pharmacie,mairie"),
        None,
    )
    .await;
    assert_eq!(ids(&v), all[1..3]);
    let next = v["suivant"].as_str().unwrap();
    assert!(
        next.starts_with("/api/within?")
            && next.contains("offset=3")
            && next.contains("kind=ehpad%2Cpharmacie%2Cmairie"),
        "{next}"
    );
    // Past the end: an empty page that still counts them.
    let (s, v) = call("GET", &format!("{whole}&offset=10"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((ids(&v).len(), v["total"].as_u64()), (0, Some(4)));
    let (seen, _) = all_pages("/api/actors?limit=3").await;
    assert_eq!(seen.len(), 4);
    for bad in ["limit=0", "limit=10001", "offset=-1"] {
        let (s, v) = call("GET", &format!("{whole}&{bad}"), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            v["erreur"]
                .as_str()
                .unwrap()
                .contains(&bad[..bad.find('=').unwrap()]),
            "{v}"
        );
    }
    // The polygon route too (same body for the next page).
    let body = r#"{"type":"Polygon","coordinates":[[[1.85,43.85],[1.95,43.85],[1.95,43.95],[1.85,43.95],[1.85,43.85]]]}"#;
    let (_, v) = call("POST", "/api/within?limit=1&offset=1", Some(body)).await;
    assert_eq!(ids(&v), ["finess:810000003"]);
    assert_eq!(v["total"], 2);
    assert!(v.get("suivant").is_none(), "{v}");
}

#[tokio::test]
async fn answers_are_compressed_only_when_asked_and_worth_it() {
    let gzip = [("accept-encoding", "gzip")];
    // Asked, and large enough: gzip, smaller.
    let (_, h, plain) = get_raw("/api/actors", &[]).await;
    assert!(
        plain.len() > maillage::server::COMPRESS_ABOVE as usize,
        "{}",
        plain.len()
    );
    assert!(h.get("content-encoding").is_none());
    assert_eq!(h["content-length"], plain.len().to_string().as_str());
    let (s, h, packed) = get_raw("/api/actors", &gzip).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-encoding"], "gzip");
    assert!(packed.starts_with(&[0x1f, 0x8b]) && packed.len() < plain.len() / 2);
    // Asked, but small: as is.
    let (_, h, small) = get_raw("/api/actors?limit=1&champs=id", &gzip).await;
    assert!(small.len() < maillage::server::COMPRESS_ABOVE as usize);
    assert!(h.get("content-encoding").is_none(), "{h:?}");
    serde_json::from_slice::<Value>(&small).unwrap();
}

#[tokio::test]
async fn within_polygon() {
    let body = r#"{"type":"Polygon","coordinates":[[[1.85,43.85],[1.95,43.85],[1.95,43.95],[1.85,43.95],[1.85,43.85]]]}"#;
    let (s, v) = call("POST", "/api/within", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ids(&v), ["finess:810000001", "finess:810000003"]);
    let feature = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{body}}}"#);
    let (_, v) = call("POST", "/api/within?kind=pharmacie", Some(&feature)).await;
    assert_eq!(ids(&v), ["finess:810000003"]);
    let (s, v) = call(
        "POST",
        "/api/within",
        Some(r#"{"type":"Point","coordinates":[1,2]}"#),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["detail"].as_str().unwrap().contains("Polygon"));
    let (s, _) = call("POST", "/api/within", Some("pas du json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let huge = format!(
        r#"{{"type":"Polygon","coordinates":[[{}[1,1]]]}}"#,
        "[1.0,1.0],".repeat(150_000)
    );
    let (s, v) = call("POST", "/api/within", Some(&huge)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
}

#[tokio::test]
async fn search_kinds_communes_territories() {
    let (s, v) = call("GET", "/api/search?q=gaillac", None).await;
    assert_eq!(s, StatusCode::OK);
    let first = &v["resultats"][0];
    assert_eq!(first["categorie"], "commune");
    assert_eq!(first["id"], "81099");
    let (_, v) = call("GET", "/api/search?q=ehpad%20albi", None).await;
    assert!(v["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "finess:810000002"));

    let (_, v) = call("GET", "/api/kinds", None).await;
    let ehpad = v
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "ehpad")
        .unwrap();
    assert_eq!(ehpad["nombre"], 2);
    assert_eq!(ehpad["secteur"], "medico-social");

    let (s, v) = call("GET", "/api/communes/81004", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["properties"]["nom"], "Albi");
    assert_eq!(v["properties"]["nombre_acteurs"], 2);
    assert_eq!(v["geometry"]["type"], "MultiPolygon");
    let (_, v) = call("GET", "/api/communes?at=43.9,1.9", None).await;
    assert_eq!(v["properties"]["code"], "81099");
    let (s, _) = call("GET", "/api/communes?at=45.0,1.9", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = call("GET", "/api/communes", None).await;
    assert_eq!(v["features"].as_array().unwrap().len(), 2);

    let (_, v) = call("GET", "/api/territories", None).await;
    let cpts = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "cpts:cpts-test")
        .unwrap();
    assert_eq!(cpts["population"], 64_000);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == "dep:81" && t["nom"] == "Tarn (81)"));
    let (s, v) = call("GET", "/api/territories/cpts:cpts-test", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["properties"]["communes_inconnues"],
        serde_json::json!(["81999"])
    );
    assert_eq!(v["geometry"]["type"], "MultiPolygon");
    // The union of two adjacent squares is one polygon.
    assert_eq!(v["geometry"]["coordinates"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sources_health_config_openapi() {
    let (_, v) = call("GET", "/api/sources", None).await;
    assert_eq!(v[0]["acceptees"], 4);
    assert_eq!(v[0]["rejetees"], 0);
    let (_, v) = call("GET", "/api/health", None).await;
    assert_eq!(v["etat"], "ok");
    assert_eq!(v["acteurs"], 4);
    let (_, v) = call("GET", "/api/config", None).await;
    assert_eq!(v["emprise"], serde_json::json!([1.7, 43.8, 2.3, 44.0]));
    let (_, v) = call("GET", "/api/openapi.json", None).await;
    for path in [
        "/api/actors",
        "/api/actors/{id}",
        "/api/nearest",
        "/api/within",
        "/api/search",
        "/api/kinds",
        "/api/communes",
        "/api/communes/{code}",
        "/api/territories",
        "/api/territories/{id}",
        "/api/sources",
        "/api/config",
        "/api/health",
        "/api/openapi.json",
    ] {
        assert!(
            v["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
}

#[tokio::test]
async fn bad_requests_are_400_in_french() {
    let cases = [
        ("/api/nearest?lon=1.9", "lat"),
        ("/api/nearest?lat=91&lon=1.9", "lat"),
        ("/api/nearest?lat=abc&lon=1.9", "lat"),
        ("/api/nearest?lat=43&lon=181", "lon"),
        ("/api/nearest?lat=43&lon=1&k=0", "k"),
        ("/api/nearest?lat=43&lon=1&k=1001", "k"),
        ("/api/nearest?lat=43&lon=1&kind=hopital", "kind"),
        ("/api/within?lat=43&lon=1", "radius_m"),
        ("/api/within?lat=43&lon=1&radius_m=100001", "radius_m"),
        ("/api/within?lat=43&lon=1&radius_m=-1", "radius_m"),
        ("/api/within?lat=43&lon=1&radius_m=10&limit=0", "limit"),
        ("/api/nearest?lat=43&lon=1&champs=nom,inconnu", "champs"),
        ("/api/actors?limit=10001", "limit"),
        ("/api/actors?limit=0", "limit"),
        ("/api/actors?offset=-3", "offset"),
        ("/api/actors?bbox=1,2,3", "bbox"),
        ("/api/actors?bbox=3,44,1,43", "bbox"),
        ("/api/actors?sector=sante", "sector"),
        ("/api/actors?commune=8100", "commune"),
        ("/api/actors?commune=75056", "commune"),
        ("/api/actors?territory=inconnu", "territory"),
        ("/api/search", "q"),
        ("/api/communes?at=abc", "at"),
        ("/api/communes/ABCDE", "code"),
        ("/api/texte/de", "nom"),
        ("/api/texte/de?nom=%20", "nom"),
        ("/api/within?lat=43&lon=1&radius_m=10&format=shp", "format"),
        ("/api/nearest?lat=43&lon=1&par=temps&format=gpkg", "format"),
    ];
    for (uri, param) in cases {
        let (s, v) = call("GET", uri, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["erreur"].as_str().unwrap().contains(param), "{uri}: {v}");
        assert!(!v["detail"].as_str().unwrap().is_empty(), "{uri}");
    }
    let (_, v) = call("GET", "/api/nearest?lat=43&lon=1&kind=hopital", None).await;
    assert!(
        v["detail"].as_str().unwrap().contains("ehpad"),
        "valid kinds listed: {v}"
    );
    let (s, _) = call("GET", "/api/inexistant", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn page_and_security_headers() {
    let app = router(AppState::new(directory(), ServerConfig::default()));
    let resp = app
        .oneshot(Request::builder().uri("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
}

/// The OpenAPI document and the router agree: every operation of the document is served
/// (neither the unknown-route 404 nor 405), and every route registered by the resources is
/// in the document.
#[tokio::test]
async fn openapi_describes_the_routes_the_router_serves() {
    let (_, v) = call("GET", "/api/openapi.json", None).await;
    assert!(
        v["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        v["openapi"]
    );
    let paths = v["paths"].as_object().unwrap();
    assert!(paths.len() > 30, "{}", paths.len());
    let app = router(AppState::new(directory(), ServerConfig::default()));
    for (path, ops) in paths {
        let uri = path
            .replace("{id}", "x")
            .replace("{code}", "81004")
            .replace("{procedure}", "x")
            .replace("{commune}", "81004");
        for method in ops.as_object().unwrap().keys() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8_lossy(&bytes);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !body.contains("route inconnue"),
                "{method} {path} documented but not served"
            );
        }
    }
    // Every registered route is documented.
    let (_, registered) = maillage::server::resources().split_for_parts();
    assert_eq!(registered.paths.paths.len(), paths.len());
    for path in registered.paths.paths.keys() {
        assert!(paths.contains_key(path), "{path} missing from OpenAPI");
    }
    // Every answer of every operation has a schema (2xx bodies and errors alike); errors
    // are the shared « Erreur » schema.
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}"
            );
            for (status, r) in responses {
                let content = r["content"].as_object();
                let content =
                    content.unwrap_or_else(|| panic!("{method} {path} {status}: no content"));
                for (ct, c) in content {
                    assert!(
                        c["schema"].is_object(),
                        "{method} {path} {status} {ct}: no schema"
                    );
                    if status.starts_with('4') && status != "422" && ct == "application/json" {
                        assert_eq!(
                            c["schema"]["$ref"], "#/components/schemas/Erreur",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }
    // No 2xx JSON answer is an untyped object: every one names a schema with its members
    // (only the OpenAPI document itself is a free object).
    let schemas = v["components"]["schemas"].as_object().unwrap();
    let resolve = |s: &Value| -> Value {
        match s["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => s.clone(),
        }
    };
    let typed = |s: &Value| {
        let s = resolve(s);
        let s = if s["type"] == "array" {
            resolve(&s["items"])
        } else {
            s
        };
        s["properties"].is_object()
            || s["oneOf"].is_array()
            || s["anyOf"].is_array()
            || s["allOf"].is_array()
    };
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            for (status, r) in op["responses"].as_object().unwrap() {
                if !status.starts_with('2') || path == "/api/openapi.json" {
                    continue;
                }
                for (ct, c) in r["content"].as_object().unwrap() {
                    if !ct.contains("json") {
                        continue;
                    }
                    assert_ne!(
                        c["schema"]["$ref"], "#/components/schemas/JsonObject",
                        "{method} {path} {status}: untyped"
                    );
                    assert!(
                        typed(&c["schema"]),
                        "{method} {path} {status} {ct}: untyped {}",
                        c["schema"]
                    );
                }
            }
        }
    }
    // The partner schema is the partner field table: every field but the id, private ones
    // included, with the JSON type of its check.
    let partner = &schemas["Partenaire"]["properties"];
    for f in maillage::model::partner_field::PARTNER_FIELDS {
        if f.name != "identifiant" {
            assert!(
                partner[f.name].is_object(),
                "{} missing from Partenaire",
                f.name
            );
        }
    }
    assert_eq!(partner["membre_cpts"]["type"], "boolean");
    assert_eq!(partner["etiquettes"]["type"], "array");
    assert_eq!(
        partner["latitude"]["type"],
        serde_json::json!(["number", "null"])
    );
    assert_eq!(partner["version"]["type"], "integer");
    let commune = &paths["/api/communes/{code}"]["get"]["responses"]["200"]["content"]
        ["application/geo+json"]["schema"];
    let commune = resolve(commune);
    assert!(commune["properties"]["geometry"].is_object(), "{commune}");
    assert!(
        resolve(&commune["properties"]["properties"])["properties"]["nombre_acteurs"].is_object(),
        "{commune}"
    );
    // Creation answers 201; writes name the security schemes, which are declared.
    assert!(paths["/api/partenaires"]["post"]["responses"]["201"].is_object());
    let schemes = v["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["jeton"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(
        paths["/api/partenaires/{id}"]["put"]["security"],
        serde_json::json!([{"jeton": []}, {"session": []}])
    );
    // Query parameters carry their ranges and enumerations.
    let param = |path: &str, name: &str| {
        paths[path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} {name}"))["schema"]
            .clone()
    };
    assert_eq!(param("/api/nearest", "k")["maximum"], 1000);
    assert_eq!(param("/api/nearest", "lat")["minimum"], -90);
    assert_eq!(param("/api/within", "radius_m")["maximum"], 100000);
    assert!(param("/api/diagnostic/carte.svg", "indicateur")["enum"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "densite"));
}
