//! RFC 7946 §3.1.6 winding (issue 17 point 2): every Polygon and MultiPolygon we serve or write
//! has counter-clockwise exterior rings (signed area > 0) and clockwise holes (< 0).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use maillage::index::Directory;
use maillage::server::{router, AppState, ServerConfig};

/// Signed area of a ring `[[lon, lat], …]` (shoelace; > 0 counter-clockwise).
fn signed_area(ring: &Value) -> f64 {
    let pts: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    pts.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        / 2.0
}

/// Walks every geometry of a GeoJSON value and checks each polygon's rings; returns how many
/// polygons it checked.
fn check_winding(v: &Value, what: &str) -> usize {
    let mut n = 0;
    let mut check_polygon = |rings: &Value| {
        for (i, ring) in rings.as_array().unwrap().iter().enumerate() {
            let a = signed_area(ring);
            if i == 0 {
                assert!(a > 0.0, "{what}: exterior ring clockwise ({a})");
            } else {
                assert!(a < 0.0, "{what}: hole counter-clockwise ({a})");
            }
        }
        n += 1;
    };
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => match (o.get("type").and_then(Value::as_str), o.get("coordinates"))
            {
                (Some("Polygon"), Some(c)) => check_polygon(c),
                (Some("MultiPolygon"), Some(c)) => {
                    c.as_array().unwrap().iter().for_each(&mut check_polygon)
                }
                _ => stack.extend(o.values()),
            },
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    n
}

async fn get_json(st: &AppState, uri: &str) -> Value {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn every_served_polygon_is_counter_clockwise() {
    let st = AppState::new(
        Directory::build(maillage::sources::demo::dataset().unwrap()),
        ServerConfig::default(),
    );
    for uri in [
        "/api/communes",
        "/api/communes/81004",
        "/api/diagnostic.geojson?territory=81&kinds=ehpad",
        "/api/couverture?territory=81&kind=ehpad&max_km=5&format=geojson",
        "/api/territories/dep:81",
    ] {
        let v = get_json(&st, uri).await;
        let n = check_winding(&v, uri);
        assert!(n > 0, "{uri}: no polygon");
    }
}

#[test]
fn the_diagnostic_report_writes_counter_clockwise_communes() {
    let out = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args([
            "diagnostic",
            "--territoire",
            "81",
            "--types",
            "ehpad",
            "--sortie",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("communes.geojson")).unwrap(),
    )
    .unwrap();
    assert!(check_winding(&v, "communes.geojson") > 300);
}

#[test]
fn the_checker_sees_a_clockwise_ring() {
    let cw = serde_json::json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]});
    let r = std::panic::catch_unwind(|| check_winding(&cw, "cw"));
    assert!(r.is_err());
}
