//! Road travel times from a real Valhalla engine (issue 16), started by
//! `valhalla_support::start_engine` on a small road network — two villages on either side of
//! a river whose only bridge is 11 km upstream, and a hamlet 40 km from any road — and checks
//! that maillage's diagnosis (nearest supply, coverage in minutes, 2SFCA),
//! isochrone, nearest-by-time and communes-within-minutes answers equal what the engine returns for the same pairs.
//!
//! Needs the engine: `bash scripts/valhalla.sh` installs it (and `.ci/run` does, then runs
//! these tests with `--include-ignored`); the binaries are found through
//! `MAILLAGE_VALHALLA_BIN` or the script's cache.

mod valhalla_support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use maillage::analysis::{diagnose, DiagnosticParams, Reach, Travel, TravelModel};
use maillage::index::Directory;
use maillage::model::{haversine_m, LonLat};
use maillage::routing::Engine;
use maillage::server::{router, AppState, ServerConfig};
use valhalla_support::{free_port, start_engine, Service, EAST, EAST_DOCTOR, HAMLET, WEST};

/// A square commune outline of ±0.004° around `c`.
fn square(c: LonLat) -> Value {
    let d = 0.004;
    json!([[
        [c.lon - d, c.lat - d],
        [c.lon + d, c.lat - d],
        [c.lon + d, c.lat + d],
        [c.lon - d, c.lat + d],
        [c.lon - d, c.lat - d]
    ]])
}

/// Communes (outline, population) and two doctors, as a data folder.
fn write_data(dir: &Path) {
    let communes = [
        ("81901", "Rive-Ouest", WEST, 1000),
        ("81902", "Rive-Est", EAST, 800),
        ("81903", "Hameau-Isolé", HAMLET, 50),
    ];
    let features: Vec<Value> = communes
        .iter()
        .map(|(code, nom, c, _)| {
            json!({"type": "Feature", "properties": {"code": code, "nom": nom},
                   "geometry": {"type": "Polygon", "coordinates": square(*c)}})
        })
        .collect();
    std::fs::write(
        dir.join("communes.geojson"),
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let pops: Vec<Value> = communes
        .iter()
        .map(|(code, nom, _, pop)| {
            json!({"code": code, "nom": nom, "type": "commune-actuelle", "departement": "81",
                   "codesPostaux": ["81000"], "population": pop})
        })
        .collect();
    std::fs::write(dir.join("communes.json"), Value::from(pops).to_string()).unwrap();
    let header = "identifiant;nom;type;adresse;code_postal;commune;code_insee;latitude;longitude;telephone;email;site;horaires;capacite;membre_cpts;role;etiquettes;zone_intervention;notes";
    let row = |id: &str, nom: &str, code: &str, p: LonLat| {
        format!(
            "{id};{nom};medecin-generaliste;;81000;;{code};{};{};;;;;;;;;;",
            p.lat, p.lon
        )
    };
    std::fs::write(
        dir.join("partenaires.csv"),
        format!(
            "{header}\n{}\n{}\n",
            row("med-ouest", "Cabinet de la rive ouest", "81901", WEST),
            row("med-est", "Cabinet de l'est", "81902", EAST_DOCTOR)
        ),
    )
    .unwrap();
}

/// The engine's own answer to `POST url/action`, asked directly (not through maillage).
fn engine_post(url: &str, action: &str, body: &Value) -> Value {
    let text = ureq::post(&format!("{url}/{action}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The engine's own answer for `sources × targets`: seconds (`None`: no route).
fn engine_times(url: &str, sources: &[LonLat], targets: &[LonLat]) -> Vec<Vec<Option<f64>>> {
    let loc = |p: &LonLat| json!({"lat": p.lat, "lon": p.lon});
    let body = json!({
        "sources": sources.iter().map(loc).collect::<Vec<_>>(),
        "targets": targets.iter().map(loc).collect::<Vec<_>>(),
        "costing": "auto",
        "costing_options": {"auto": {"top_speed": 130}},
    });
    engine_post(url, "sources_to_targets", &body)["sources_to_targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|c| c["time"].as_f64())
                .collect()
        })
        .collect()
}

fn engine(svc: &Service) -> Arc<Engine> {
    Arc::new(Engine::new(svc.setup.engine_options()).unwrap())
}

fn directory() -> (Directory, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    write_data(d.path());
    let dir = maillage::pipeline::directory(Some(d.path()), &mut std::io::sink()).unwrap();
    (dir, d)
}

fn params(engine: &Arc<Engine>) -> DiagnosticParams {
    DiagnosticParams {
        kinds: vec!["medecin-generaliste".into()],
        coverage: Reach::Minutes(10.0),
        routing: Travel::Road(engine.clone()),
        ..Default::default()
    }
}

/// The first kind's figures of a commune in the diagnosis.
fn cell<'d>(
    d: &'d maillage::analysis::Diagnostic,
    code: &str,
) -> &'d maillage::analysis::diagnostic::CommuneCell {
    &d.communes
        .iter()
        .find(|r| r.code == code)
        .unwrap()
        .indicateurs[0]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

/// The default 2SFCA steps: 10 / 15 / 20 minutes, weights 1, 2/3, 1/3.
fn weight(minutes: f64) -> f64 {
    [(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)]
        .iter()
        .find(|(b, _)| minutes <= *b)
        .map_or(0.0, |(_, w)| *w)
}

#[test]
#[ignore = "needs valhalla (bash .ci/run installs it)"]
fn diagnosis_coverage_and_2sfca_equal_the_engine() {
    let svc = start_engine();
    let e = engine(&svc);
    let (dir, _data) = directory();
    let c = diagnose(&dir, "81", &params(&e)).unwrap();
    let d = &c.diagnostic;

    // The engine's times between the communes' points and the doctors.
    let commune_pts: Vec<(String, LonLat)> = c
        .places
        .all()
        .iter()
        .map(|p| (p.code.clone(), p.point.unwrap()))
        .collect();
    let supplies = &c.runs[0].supplies;
    let doctors: Vec<LonLat> = supplies.all().iter().map(|s| s.position).collect();
    let routed: Vec<(String, LonLat)> = commune_pts
        .iter()
        .filter(|(code, _)| code != "81903")
        .cloned()
        .collect();
    let pts: Vec<LonLat> = routed.iter().map(|r| r.1).collect();
    let times = engine_times(&svc.setup.url, &pts, &doctors);

    // Nearest supply by road, and its road time, as the engine says.
    for ((code, _), row) in routed.iter().zip(&times) {
        let (best, t) = row
            .iter()
            .enumerate()
            .filter_map(|(j, t)| t.map(|t| (j, t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        let cell = cell(d, code);
        assert_eq!(
            cell.plus_proche_id.as_deref(),
            Some(supplies.get(best).key.as_str()),
            "{code}"
        );
        assert!(
            close(cell.temps_route_min.unwrap(), t / 60.0),
            "{code}: {cell:?} vs {t}"
        );
        // Coverage within 10 road minutes.
        assert_eq!(cell.couverte, Some(t / 60.0 <= 10.0), "{code}");
    }
    // The east village: nearest by road is the east doctor, though the west one is nearer
    // as the crow flies; road time several times the estimate to the west doctor.
    let east = cell(d, "81902");
    assert!(east.plus_proche_nom.as_deref().unwrap().contains("l'est"));
    let road_to_west = times[1][supplies
        .all()
        .iter()
        .position(|s| s.position == WEST)
        .unwrap()]
    .unwrap()
        / 60.0;
    let estimate_to_west = TravelModel::default().minutes(haversine_m(EAST, WEST));
    assert!(
        road_to_west > 5.0 * estimate_to_west,
        "route {road_to_west} min, estimation {estimate_to_west} min"
    );

    // The hamlet is off the road network: listed with its reason, coverage undecided.
    let hamlet = cell(d, "81903");
    assert_eq!(hamlet.couverte, None);
    assert!(d
        .hors_reseau_routier
        .iter()
        .any(|h| h.code == "81903" && h.raison.contains("sans route")));

    // 2SFCA by road minutes, computed here from the engine's matrix.
    let pop: HashMap<&str, f64> = c
        .places
        .all()
        .iter()
        .map(|p| (p.code.as_str(), p.pop() as f64))
        .collect();
    let mut ratio = vec![0.0; doctors.len()];
    for (j, r) in ratio.iter_mut().enumerate() {
        let demand: f64 = routed
            .iter()
            .zip(&times)
            .map(|((code, _), row)| row[j].map_or(0.0, |t| weight(t / 60.0)) * pop[code.as_str()])
            .sum();
        *r = supplies.get(j).weight / demand;
    }
    for ((code, _), row) in routed.iter().zip(&times) {
        let a: f64 = row
            .iter()
            .zip(&ratio)
            .map(|(t, r)| t.map_or(0.0, |t| weight(t / 60.0)) * r)
            .sum();
        let cell = cell(d, code);
        assert!(
            close(cell.apl_10000.unwrap(), a * 10_000.0),
            "{code}: {:?} vs {}",
            cell.apl_10000,
            a * 10_000.0
        );
    }
    // Said everywhere: the travel model names the road network and the extract's date.
    assert_eq!(
        d.parametres.modele_trajet_nom,
        "réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026"
    );
    assert!(d
        .parametres
        .modele_trajet_libelle
        .contains("extrait du 15/11/2026"));
    assert_eq!(d.parametres.minutes_libelle, "en voiture (Valhalla)");

    // Cached per pair, in the file next to the graph, with the extract's date.
    e.save().unwrap();
    let cache = std::fs::read_to_string(&svc.setup.cache).unwrap();
    assert!(cache.starts_with("# maillage temps routiers ; extrait 2026-11-15"));
    let again = Engine::new(svc.setup.engine_options()).unwrap();
    assert!(again.cached_pairs() > 0);
    let again = Arc::new(again);
    let c2 = diagnose(&dir, "81", &params(&again)).unwrap();
    assert_eq!(
        serde_json::to_value(&c2.diagnostic.communes).unwrap(),
        serde_json::to_value(&d.communes).unwrap()
    );
    assert_eq!(again.requests(), 0, "every time came from the cache file");
}

async fn get(st: &AppState, uri: &str) -> (StatusCode, Value) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&body).unwrap_or_else(|_| {
            panic!("{uri}: {}", String::from_utf8_lossy(&body));
        }),
    )
}

/// A running engine, and a server on the test network's data that uses it.
fn served() -> (Service, Arc<Engine>, AppState, tempfile::TempDir) {
    let svc = start_engine();
    let e = engine(&svc);
    let (dir, data) = directory();
    let st = AppState::new(
        dir,
        ServerConfig {
            routing: Some(e.clone()),
            ..ServerConfig::default()
        },
    );
    (svc, e, st, data)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs valhalla (bash .ci/run installs it)"]
async fn isochrone_and_nearest_by_time_equal_the_engine() {
    let (svc, _e, st, _data) = served();

    // Isochrone: the engine's polygon, labelled.
    let (s, iso) = get(&st, "/api/isochrone?lat=44.0&lon=2.01&minutes=15").await;
    assert_eq!(s, StatusCode::OK, "{iso}");
    let direct: Value = {
        let body = json!({"locations": [{"lat": 44.0, "lon": 2.01}], "costing": "auto",
                          "costing_options": {"auto": {"top_speed": 130}},
                          "contours": [{"time": 15.0}], "polygons": true});
        engine_post(&svc.setup.url, "isochrone", &body)
    };
    assert_eq!(
        iso["features"][0]["geometry"],
        direct["features"][0]["geometry"]
    );
    assert_eq!(
        iso["modele_trajet"],
        "réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026"
    );
    // Minutes worded as every other road threshold of the server (`Travel::minutes_label`),
    // and as /api/config tells the page.
    assert_eq!(iso["libelle"], "15 min en voiture (Valhalla)");
    assert_eq!(iso["features"][0]["properties"]["libelle"], iso["libelle"]);
    assert_eq!(
        iso["titre"],
        "Autour d'un point : 15 min en voiture (Valhalla)"
    );
    let (_, cfg) = get(&st, "/api/config").await;
    assert_eq!(cfg["routage"], true);
    assert_eq!(cfg["minutes_libelle"], "en voiture (Valhalla)");
    assert!(iso["libelle"]
        .as_str()
        .unwrap()
        .ends_with(cfg["minutes_libelle"].as_str().unwrap()));

    // Nearest by time from the east village: the east doctor first, with the engine's time.
    let (s, near) = get(
        &st,
        "/api/nearest?lat=44.0&lon=2.01&k=2&kind=medecin-generaliste&par=temps",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{near}");
    let times = engine_times(&svc.setup.url, &[EAST], &[EAST_DOCTOR, WEST]);
    let f = near["features"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["properties"]["nom"], "Cabinet de l'est");
    let t0 = f[0]["properties"]["temps_route_min"].as_f64().unwrap();
    let t1 = f[1]["properties"]["temps_route_min"].as_f64().unwrap();
    assert!(
        (t0 - times[0][0].unwrap() / 60.0).abs() < 0.05,
        "{t0} {times:?}"
    );
    assert!(
        (t1 - times[0][1].unwrap() / 60.0).abs() < 0.05,
        "{t1} {times:?}"
    );
    assert_eq!(
        near["modele_trajet"],
        "réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026"
    );
    // By distance (the default), the west doctor comes first.
    let (_, by_distance) = get(
        &st,
        "/api/nearest?lat=44.0&lon=2.01&k=1&kind=medecin-generaliste",
    )
    .await;
    assert_eq!(
        by_distance["features"][0]["properties"]["nom"],
        "Cabinet de la rive ouest"
    );
    // Coverage answer names the road model.
    let (s, cov) = get(
        &st,
        "/api/couverture?territory=81&kind=medecin-generaliste&max_minutes=10&couverture=distance",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{cov}");
    assert_eq!(
        cov["modele_trajet_nom"],
        "réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026"
    );
}

/// Codes of the communes of an answer's list.
fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs valhalla (bash .ci/run installs it)"]
async fn zones_and_coverage_in_minutes_equal_the_engine() {
    let (svc, e, st, _data) = served();
    let road = "réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026";
    // The engine's own times from the east village to the communes on the network.
    let routed = [("81901", WEST), ("81902", EAST)];
    let pts: Vec<LonLat> = routed.iter().map(|r| r.1).collect();
    let times = engine_times(&svc.setup.url, &[EAST], &pts)[0].clone();
    let to_west = times[0].unwrap() / 60.0;
    let estimate_to_west = TravelModel::default().minutes(haversine_m(EAST, WEST));
    assert!(
        to_west > 10.0 && estimate_to_west < 3.0,
        "{to_west} {estimate_to_west}"
    );
    let requests = e.requests();
    for minutes in [5.0, to_west.ceil(), 40.0] {
        let (s, v) = get(
            &st,
            &format!("/api/zones?lat=44.0&lon=2.01&max_minutes={minutes}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let mut expected: Vec<(f64, &str)> = routed
            .iter()
            .zip(&times)
            .filter_map(|((code, _), t)| t.map(|t| (t, *code)))
            .filter(|(t, _)| t / 60.0 <= minutes)
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0));
        let expected: Vec<String> = expected.iter().map(|e| e.1.to_string()).collect();
        assert_eq!(codes(&v["communes"]), expected, "{minutes} min: {v}");
        for c in v["communes"].as_array().unwrap() {
            let i = routed.iter().position(|r| r.0 == c["code"]).unwrap();
            let t = c["temps_route_min"].as_f64().unwrap();
            assert!((t - times[i].unwrap() / 60.0).abs() < 0.05, "{c}");
        }
        assert_eq!(v["routage"], true);
        assert_eq!(v["modele_trajet_nom"], road);
        assert_eq!(
            v["seuil"],
            format!(
                "{} min en voiture (Valhalla)",
                minutes.to_string().replace('.', ",")
            )
        );
        // The hamlet, 40 km from any road, once the time allows its distance at 130 km/h:
        // listed as off the road, not silently left out.
        let hamlet_bound = haversine_m(EAST, HAMLET) / (130.0 / 3.6) / 60.0;
        let off = codes(&v["hors_reseau_routier"]);
        assert_eq!(
            off.contains(&"81903".to_string()),
            minutes >= hamlet_bound,
            "{v}"
        );
    }
    // The first query: the point and the communes snapped (`/locate`, then cached), one
    // matrix; the others come from the cache.
    assert!(e.requests() - requests <= 3, "{}", e.requests() - requests);
    // Without `max_minutes` but `max_km`: as the crow flies, said so.
    let (_, v) = get(&st, "/api/zones?lat=44.0&lon=2.01&max_km=5").await;
    assert_eq!(v["routage"], false);
    assert_eq!(codes(&v["communes"]), ["81902", "81901"]);

    // Coverage within N road minutes: the « zones blanches » are the communes whose nearest
    // doctor is more than N minutes away by the engine's own matrix.
    let doctors = [WEST, EAST_DOCTOR];
    let m = engine_times(&svc.setup.url, &pts, &doctors);
    for minutes in [2.0, 10.0] {
        let (s, cov) = get(
            &st,
            &format!("/api/couverture?territory=81&kind=medecin-generaliste&max_minutes={minutes}&couverture=distance"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{cov}");
        let expected: Vec<String> = routed
            .iter()
            .zip(&m)
            .filter(|(_, row)| {
                row.iter().flatten().fold(f64::INFINITY, |a, &t| a.min(t)) / 60.0 > minutes
            })
            .map(|(r, _)| r.0.to_string())
            .collect();
        assert_eq!(codes(&cov["zones_blanches"]), expected, "{cov}");
        assert_eq!(cov["routage"], true);
        assert_eq!(cov["modele_trajet_nom"], road);
        assert!(
            cov["definition"]
                .as_str()
                .unwrap()
                .contains(&format!("à moins de {minutes} min en voiture (Valhalla)")),
            "{cov}"
        );
        assert!(
            cov["seuil"]
                .as_str()
                .unwrap()
                .ends_with("min en voiture (Valhalla)"),
            "{cov}"
        );
        // The hamlet's coverage is undecided (off the road), counted apart.
        assert_eq!(cov["couverture"]["population_non_localisee"], 50);
    }
}

#[tokio::test]
async fn without_an_engine_minutes_are_estimates_and_said_so() {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let places = maillage::analysis::build::places(&dir);
    let st = AppState::new(dir, ServerConfig::default());
    let at = LonLat::new(1.8966, 43.9016);
    let (s, v) = get(&st, "/api/zones?lat=43.9016&lon=1.8966&max_minutes=15").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["routage"], false);
    assert_eq!(v["modele_trajet_nom"], "estimation à vol d'oiseau × détour");
    assert_eq!(v["seuil"], "15 min estimées à vol d'oiseau");
    // The communes whose point lies within the estimate's 15 minutes as the crow flies.
    let radius = TravelModel::default().metres_for_minutes(15.0);
    let mut expected: Vec<(f64, String)> = places
        .all()
        .iter()
        .filter_map(|p| p.point.map(|pt| (haversine_m(at, pt), p.code.clone())))
        .filter(|(d, _)| *d <= radius)
        .collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    let got = codes(&v["communes"]);
    assert!(got.len() > 5, "{v}");
    assert_eq!(got, expected.into_iter().map(|e| e.1).collect::<Vec<_>>());
    for c in v["communes"].as_array().unwrap() {
        assert!(c.get("temps_route_min").is_none(), "{c}");
        assert!(
            c["temps_estime_min"].as_f64().unwrap() <= 15.0 + 1e-9,
            "{c}"
        );
    }
    let (s, cov) = get(
        &st,
        "/api/couverture?territory=81&kind=ehpad&max_minutes=15&couverture=distance",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{cov}");
    assert_eq!(cov["routage"], false);
    assert_eq!(
        cov["modele_trajet_nom"],
        "estimation à vol d'oiseau × détour"
    );
    assert_eq!(cov["seuil"], "15 min estimées à vol d'oiseau");
}

#[tokio::test]
async fn without_an_engine_answers_say_estimate_and_isochrone_is_503() {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let st = AppState::new(dir, ServerConfig::default());
    let (s, v) = get(&st, "/api/isochrone?lat=43.9&lon=2.1").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(v.to_string().contains("routage preparer"), "{v}");
    let (_, cfg) = get(&st, "/api/config").await;
    assert_eq!(cfg["routage"], false);
    assert_eq!(cfg["minutes_libelle"], "estimées à vol d'oiseau");
    let (s, v) = get(&st, "/api/nearest?lat=43.9&lon=2.1&k=3&par=temps").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["modele_trajet"], "estimation à vol d'oiseau × détour");
    let (s, v) = get(&st, "/api/nearest?lat=43.9&lon=2.1&par=vitesse").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn engine_down_is_a_french_503() {
    let port = free_port();
    let e = Engine::new(maillage::routing::EngineOptions::new(&format!(
        "http://127.0.0.1:{port}"
    )))
    .unwrap();
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let st = AppState::new(
        dir,
        ServerConfig {
            routing: Some(Arc::new(e)),
            ..ServerConfig::default()
        },
    );
    let (s, v) = get(&st, "/api/diagnostic?territory=81&kinds=ehpad").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(
        v.to_string().contains("moteur de routage injoignable"),
        "{v}"
    );
    // Communes within N minutes of a point: the same 503 as /api/nearest?par=temps.
    let (s, v) = get(&st, "/api/zones?lat=43.9016&lon=1.8966&max_minutes=15").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["erreur"], "moteur de routage indisponible", "{v}");
    // With the fallback chosen, estimates, said so.
    let mut config = ServerConfig {
        routing: st.config.routing.clone(),
        ..ServerConfig::default()
    };
    config.routing_fallback = true;
    let st = AppState::new(
        Directory::build(maillage::sources::demo::dataset().unwrap()),
        config,
    );
    let (s, v) = get(&st, "/api/diagnostic?territory=81&kinds=ehpad").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["parametres"]["modele_trajet_nom"],
        "estimation à vol d'oiseau × détour"
    );
    assert_eq!(
        v["parametres"]["minutes_libelle"],
        "estimées à vol d'oiseau"
    );
    assert!(v["avertissements"][0]
        .as_str()
        .unwrap()
        .contains("repli sur les temps estimés"));
    let (s, v) = get(&st, "/api/zones?lat=43.9016&lon=1.8966&max_minutes=15").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["routage"], false);
    assert_eq!(v["modele_trajet_nom"], "estimation à vol d'oiseau × détour");
    assert!(
        v["avertissement"]
            .as_str()
            .unwrap()
            .contains("repli sur les temps estimés"),
        "{v}"
    );
    assert!(!v["communes"].as_array().unwrap().is_empty(), "{v}");
}
