//! The partner directory API through the router (no network): CRUD with ETags, concurrency,
//! access control, private fields, sessions, import and exports, live index updates.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use geo::{polygon, MultiPolygon};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use maillage::index::Directory;
use maillage::model::{ActorRecord, Commune, LonLat, Precision};
use maillage::server::{router, AppState, ServerConfig};
use maillage::sources::Dataset;
use maillage::store::{Role, Store};

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)],
    ])
}

fn directory() -> Directory {
    let mut ds = Dataset::new();
    let ehpad = ds.kinds.by_id("ehpad").unwrap();
    let source = ds.next_source_id();
    let mut a = Commune::new("81004".parse().unwrap(), "Albi");
    a.geometry = square(2.0, 43.8, 2.3, 44.0);
    a.postcodes = vec!["81000".into()];
    let mut g = Commune::new("81099".parse().unwrap(), "Gaillac");
    g.geometry = square(1.7, 43.8, 2.0, 44.0);
    g.postcodes = vec!["81600".into()];
    let mut r = ActorRecord::new("finess:810000001", "EHPAD Les Tilleuls", ehpad, source);
    r.position = Some(LonLat::new(1.9, 43.9));
    r.precision = Precision::Address;
    r.commune = Some("81099".parse().unwrap());
    ds.actors.push(r);
    ds.communes = vec![a, g];
    Directory::build(ds)
}

struct Env {
    _dir: tempfile::TempDir,
    state: AppState,
    app: Router,
    editor: String,
    reader: String,
    revoked: String,
}

fn env_with(read_auth: bool) -> Env {
    env_config(read_auth, ServerConfig::default())
}

fn env_config(read_auth: bool, config: ServerConfig) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
    let (_, editor) = store.create_token("Coordinatrice", Role::Editeur).unwrap();
    let (_, reader) = store.create_token("Secrétariat", Role::Lecteur).unwrap();
    let (info, revoked) = store.create_token("Ancien", Role::Admin).unwrap();
    store.revoke_token(&info.id.to_string()).unwrap();
    let state = AppState::with_store(directory(), config, store, read_auth).unwrap();
    Env {
        _dir: dir,
        app: router(state.clone()),
        state,
        editor,
        reader,
        revoked,
    }
}

fn env() -> Env {
    env_with(false)
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

async fn call(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn req(method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn dac() -> Value {
    json!({
        "identifiant": "dac81", "nom": "DAC du Tarn", "type": "dac", "adresse": "12 bis rue de la Paix",
        "code_postal": "81000", "commune": "Albi", "code_insee": "81004",
        "latitude": 43.9289, "longitude": 2.1486, "telephone": "0563123456",
        "membre_cpts": true, "role": "appui à la coordination",
        "ligne_directe": "06 12 34 56 78", "notes_internes": "demander Julie"
    })
}

#[tokio::test]
async fn create_read_update_archive_restore_with_live_index() {
    let e = env();
    let r = call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(dac())),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header(header::ETAG), "\"1\"");
    assert_eq!(r.header(header::LOCATION), "/api/partenaires/local:dac81");
    let p = r.json();
    assert_eq!(p["id"], "local:dac81");
    assert_eq!(p["telephone"], "05 63 12 34 56");
    assert_eq!(p["ligne_directe"], "06 12 34 56 78");

    // Live index: the directory shows it at once, for search and nearest queries.
    let a = call(&e.app, req("GET", "/api/actors/local:dac81", None, None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["properties"]["nom"], "DAC du Tarn");
    assert!(a.json()["properties"]["tags"]
        .as_str()
        .unwrap()
        .split('|')
        .any(|t| t == "membre CPTS"));
    let near = call(
        &e.app,
        req("GET", "/api/nearest?lat=43.93&lon=2.15&k=1", None, None),
    )
    .await;
    assert_eq!(near.json()["features"][0]["id"], "local:dac81");
    let s = call(&e.app, req("GET", "/api/search?q=DAC%20Tarn", None, None)).await;
    assert!(s.text().contains("local:dac81"), "{}", s.text());

    // Anonymous readers never see private fields; editors do.
    let anon = call(&e.app, req("GET", "/api/partenaires/dac81", None, None)).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert!(anon.json().get("ligne_directe").is_none());
    assert!(!anon.text().contains("06 12 34 56 78"));
    let ed = call(
        &e.app,
        req("GET", "/api/partenaires/dac81", Some(&e.editor), None),
    )
    .await;
    assert_eq!(ed.json()["notes_internes"], "demander Julie");

    // PUT needs If-Match (428 without); a stale one is a 412 with the current version.
    let mut body = dac();
    body["telephone"] = json!("05 63 00 00 00");
    let no = call(
        &e.app,
        req(
            "PUT",
            "/api/partenaires/dac81",
            Some(&e.editor),
            Some(body.clone()),
        ),
    )
    .await;
    assert_eq!(no.status, StatusCode::PRECONDITION_REQUIRED);
    let mut put = req(
        "PUT",
        "/api/partenaires/dac81",
        Some(&e.editor),
        Some(body.clone()),
    );
    put.headers_mut()
        .insert(header::IF_MATCH, "\"1\"".parse().unwrap());
    let ok = call(&e.app, put).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.header(header::ETAG), "\"2\"");
    let mut stale = req(
        "PUT",
        "/api/partenaires/dac81",
        Some(&e.editor),
        Some(dac()),
    );
    stale
        .headers_mut()
        .insert(header::IF_MATCH, "\"1\"".parse().unwrap());
    let c = call(&e.app, stale).await;
    assert_eq!(c.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(c.header(header::ETAG), "\"2\"");
    assert_eq!(c.json()["erreur"], "version périmée");
    assert_eq!(c.json()["actuel"]["version"], 2);
    assert_eq!(c.json()["actuel"]["telephone"], "05 63 00 00 00");
    assert_eq!(c.header(header::ETAG), "\"2\"");

    // PATCH changes only what it names.
    let mut patch = req(
        "PATCH",
        "/api/partenaires/local:dac81",
        Some(&e.editor),
        Some(json!({"email": "contact@dac81.fr"})),
    );
    patch
        .headers_mut()
        .insert(header::IF_MATCH, "\"2\"".parse().unwrap());
    let pa = call(&e.app, patch).await;
    assert_eq!(pa.status, StatusCode::OK, "{}", pa.text());
    assert_eq!(pa.json()["email"], "contact@dac81.fr");
    assert_eq!(pa.json()["telephone"], "05 63 00 00 00");
    let a = call(&e.app, req("GET", "/api/actors/local:dac81", None, None)).await;
    assert_eq!(a.json()["properties"]["email"], "contact@dac81.fr");

    // Archive hides it everywhere but keeps it; restore brings it back.
    let d = call(
        &e.app,
        req("DELETE", "/api/partenaires/dac81", Some(&e.editor), None),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.json()["archive"], true);
    assert_eq!(
        call(&e.app, req("GET", "/api/partenaires/dac81", None, None))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&e.app, req("GET", "/api/actors/local:dac81", None, None))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let list = call(&e.app, req("GET", "/api/partenaires", None, None)).await;
    assert_eq!(list.json()["partenaires"].as_array().unwrap().len(), 0);
    let back = call(
        &e.app,
        req(
            "POST",
            "/api/partenaires/dac81/restaurer",
            Some(&e.editor),
            None,
        ),
    )
    .await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(back.json()["archive"], false);
    assert_eq!(
        call(&e.app, req("GET", "/api/actors/local:dac81", None, None))
            .await
            .status,
        StatusCode::OK
    );

    // "Restaurer cette version": version 1's phone comes back as a new version.
    let v1 = call(
        &e.app,
        req(
            "POST",
            "/api/partenaires/dac81/restaurer?version=1",
            Some(&e.editor),
            None,
        ),
    )
    .await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.text());
    assert_eq!(v1.json()["telephone"], "05 63 12 34 56");
    assert_eq!(v1.json()["version"], 6);

    let h = call(
        &e.app,
        req(
            "GET",
            "/api/partenaires/dac81/historique",
            Some(&e.editor),
            None,
        ),
    )
    .await;
    let hist = h.json()["historique"].as_array().unwrap().clone();
    let actions: Vec<&str> = hist.iter().map(|x| x["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "creation",
            "modification",
            "modification",
            "archivage",
            "restauration",
            "restauration"
        ]
    );
    assert_eq!(hist[1]["champs"], json!(["telephone"]));
    assert_eq!(hist[1]["avant"]["telephone"], "05 63 12 34 56");
    assert_eq!(hist[1]["apres"]["telephone"], "05 63 00 00 00");
    assert!(hist[0]["auteur"]
        .as_str()
        .unwrap()
        .contains("Coordinatrice"));
    // Anonymous history leaves private fields out.
    let ha = call(
        &e.app,
        req("GET", "/api/partenaires/dac81/historique", None, None),
    )
    .await;
    assert!(!ha.text().contains("ligne_directe"), "{}", ha.text());
    assert!(!ha.text().contains("Julie"));
}

#[tokio::test]
async fn two_updates_with_the_same_if_match_one_wins() {
    let e = env();
    let r = call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(dac())),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    for round in 0..5 {
        let etag = call(&e.app, req("GET", "/api/partenaires/dac81", None, None))
            .await
            .header(header::ETAG);
        let mk = |tel: &str| {
            let mut b = dac();
            b["telephone"] = json!(tel);
            b["notes"] = json!(format!("tour {round}"));
            let mut q = req("PUT", "/api/partenaires/dac81", Some(&e.editor), Some(b));
            q.headers_mut()
                .insert(header::IF_MATCH, etag.parse().unwrap());
            q
        };
        let (a, b) = tokio::join!(
            tokio::spawn({
                let app = e.app.clone();
                let q = mk("05 63 11 11 11");
                async move { call(&app, q).await.status }
            }),
            tokio::spawn({
                let app = e.app.clone();
                let q = mk("05 63 22 22 22");
                async move { call(&app, q).await.status }
            })
        );
        let mut got = [a.unwrap(), b.unwrap()];
        got.sort();
        assert_eq!(
            got,
            [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
            "round {round}"
        );
    }
}

#[tokio::test]
async fn every_write_route_checks_the_token() {
    let e = env();
    let created = call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(dac())),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let routes: Vec<(&str, &str, Option<Value>)> = vec![
        (
            "POST",
            "/api/partenaires",
            Some(json!({"nom": "X", "type": "dac", "code_insee": "81004"})),
        ),
        ("PUT", "/api/partenaires/dac81", Some(dac())),
        ("PATCH", "/api/partenaires/dac81", Some(json!({"nom": "Y"}))),
        ("DELETE", "/api/partenaires/dac81", None),
        ("POST", "/api/partenaires/dac81/restaurer", None),
        ("POST", "/api/partenaires/import", None),
        (
            "PUT",
            "/api/annotations/finess:810000001",
            Some(json!({"membre_cpts": true})),
        ),
    ];
    for (i, (method, uri, body)) in routes.iter().enumerate() {
        let anon = call(&e.app, req(method, uri, None, body.clone())).await;
        assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert!(anon.json()["detail"].as_str().unwrap().contains("jeton"));
        assert_eq!(
            anon.header(header::WWW_AUTHENTICATE),
            "Bearer realm=\"maillage\""
        );
        let low = call(&e.app, req(method, uri, Some(&e.reader), body.clone())).await;
        assert_eq!(low.status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert!(low.json()["detail"].as_str().unwrap().contains("lecteur"));
        // The same revoked token tried again and again: 401, then 429 (Retry-After).
        let rev = call(&e.app, req(method, uri, Some(&e.revoked), body.clone())).await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&rev.status),
            "{method} {uri}: {}",
            rev.status
        );
        let bogus = format!("mlg_{i}_faux");
        let bogus = call(&e.app, req(method, uri, Some(&bogus), body.clone())).await;
        assert_eq!(bogus.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    // Nothing changed.
    let p = call(&e.app, req("GET", "/api/partenaires/dac81", None, None)).await;
    assert_eq!(p.json()["version"], 1);
    let list = e
        .state
        .partners
        .as_ref()
        .unwrap()
        .store
        .partners(true)
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(e
        .state
        .partners
        .as_ref()
        .unwrap()
        .store
        .annotations()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn private_fields_never_reach_anonymous_exports() {
    let e = env();
    call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(dac())),
    )
    .await;
    for format in ["json", "csv", "geojson", "hsds"] {
        let uri = format!("/api/partenaires?format={format}");
        let anon = call(&e.app, req("GET", &uri, None, None)).await;
        assert_eq!(anon.status, StatusCode::OK, "{format}");
        let t = anon.text();
        assert!(t.contains("DAC du Tarn"), "{format}: {t}");
        assert!(
            !t.contains("06 12 34 56 78") && !t.contains("Julie"),
            "{format}: {t}"
        );
        assert!(!t.contains("ligne_directe"), "{format}");
        let reader = call(&e.app, req("GET", &uri, Some(&e.reader), None)).await;
        assert!(!reader.text().contains("Julie"), "{format}");
    }
    let ed = call(
        &e.app,
        req("GET", "/api/partenaires?format=csv", Some(&e.editor), None),
    )
    .await;
    assert!(ed.text().contains("06 12 34 56 78"));
    assert_eq!(ed.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    let hsds = call(
        &e.app,
        req("GET", "/api/partenaires?format=hsds", None, None),
    )
    .await
    .json();
    let svc = &hsds["contents"][0];
    let org_id = maillage::store::export::hsds_uuid("organization", "local:dac81");
    assert_eq!(svc["organization"]["id"], org_id.as_str());
    assert_eq!(svc["organization_id"], org_id.as_str());
    assert_eq!(
        svc["service_at_locations"][0]["location"]["latitude"],
        43.9289
    );
    assert_eq!(svc["phones"][0]["number"], "05 63 12 34 56");
    let bad = call(
        &e.app,
        req("GET", "/api/partenaires?format=xls", None, None),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["detail"].as_str().unwrap().contains("hsds"));
}

#[tokio::test]
async fn html_in_a_name_is_returned_verbatim_as_json_text() {
    let e = env();
    let name = "<img src=x onerror=alert(1)>";
    let r = call(
        &e.app,
        req(
            "POST",
            "/api/partenaires",
            Some(&e.editor),
            Some(json!({"nom": name, "type": "partenaire", "code_insee": "81004"})),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(r
        .header(header::CONTENT_TYPE)
        .starts_with("application/json"));
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(id, "local:img-src-x-onerror-alert-1-81004");
    let a = call(&e.app, req("GET", &format!("/api/actors/{id}"), None, None)).await;
    assert_eq!(a.json()["properties"]["nom"], name);
    // Placed at its commune's centroid.
    assert_eq!(a.json()["properties"]["precision"], "commune");
    let same = call(
        &e.app,
        req(
            "POST",
            "/api/partenaires",
            Some(&e.editor),
            Some(json!({"nom": name, "type": "partenaire", "code_insee": "81004"})),
        ),
    )
    .await;
    assert_eq!(same.json()["id"], format!("{id}-2"));
}

#[tokio::test]
async fn bad_bodies_name_the_field_and_write_nothing() {
    let e = env();
    for (body, field) in [
        (
            json!({"nom": "X", "type": "dac", "code_insee": "81004", "telephone": "05 63"}),
            "telephone",
        ),
        (
            json!({"nom": "X", "type": "dac", "code_insee": "81004", "email": "x@"}),
            "email",
        ),
        (
            json!({"nom": "X", "type": "dac", "code_insee": "81004", "code_postal": "81600"}),
            "code_postal",
        ),
        (
            json!({"nom": "X", "type": "inconnu", "code_insee": "81004"}),
            "type",
        ),
        (json!({"type": "dac", "code_insee": "81004"}), "nom"),
        (
            json!({"nom": "X", "type": "dac", "latitude": 60.0, "longitude": 2.0}),
            "latitude",
        ),
        (
            json!({"nom": "X", "type": "dac", "code_insee": "81004", "couleur": "bleu"}),
            "couleur",
        ),
        (
            json!({"nom": "X", "type": "dac", "code_insee": "81004", "capacite": {"a": 1}}),
            "capacite",
        ),
    ] {
        let r = call(
            &e.app,
            req(
                "POST",
                "/api/partenaires",
                Some(&e.editor),
                Some(body.clone()),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        let j = r.json();
        assert_eq!(j["champ"], field, "{body}: {j}");
        assert!(j["erreur"].as_str().unwrap().contains(field));
        assert!(!j["attendu"].as_str().unwrap().is_empty());
    }
    let not_json = Request::builder()
        .method("POST")
        .uri("/api/partenaires")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.editor))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"nom\": "))
        .unwrap();
    let r = call(&e.app, not_json).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["detail"].as_str().unwrap().contains("ligne 1"));
    assert_eq!(
        e.state
            .partners
            .as_ref()
            .unwrap()
            .store
            .partner_count()
            .unwrap(),
        0
    );
    // Oversize bodies are refused with 413.
    let big = json!({"nom": "x".repeat(70_000), "type": "dac", "code_insee": "81004"});
    let r = call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(big)),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let huge = Request::builder()
        .method("POST")
        .uri("/api/partenaires/import")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.editor))
        .body(Body::from(vec![b'a'; 9 * 1024 * 1024]))
        .unwrap();
    assert_eq!(
        call(&e.app, huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

fn csv_req(uri: &str, token: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn import_preview_apply_and_round_trip_of_the_export() {
    let e = env();
    let csv = "# partenaires\n\
               identifiant;nom;type;code_postal;commune;code_insee;telephone;membre_cpts;role;etiquettes;ligne_directe\n\
               dac81;DAC du Tarn;dac;81000;Albi;81004;0563123456;oui;coordination;a|b;0612345678\n\
               ;SSIAD de Gaillac;ssiad;81600;Gaillac;81099;;non;;;\n\
               ;Mauvais;ssiad;81600;Albi;81004;;;;;\n\
               ;Sans type connu;licorne;;;81004;;;;;\n";
    let pre = call(
        &e.app,
        csv_req("/api/partenaires/import?apercu=1", &e.editor, csv),
    )
    .await;
    assert_eq!(pre.status, StatusCode::OK, "{}", pre.text());
    let j = pre.json();
    assert_eq!(j["applique"], false);
    assert_eq!(j["ajoutes"].as_array().unwrap().len(), 2);
    let lines: Vec<(u64, &str)> = j["rejetes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["ligne"].as_u64().unwrap(), r["champ"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [(5, "code_postal"), (6, "type")]);
    assert_eq!(
        e.state
            .partners
            .as_ref()
            .unwrap()
            .store
            .partner_count()
            .unwrap(),
        0
    );
    assert_eq!(
        call(&e.app, req("GET", "/api/actors/local:dac81", None, None))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let done = call(&e.app, csv_req("/api/partenaires/import", &e.editor, csv)).await;
    assert_eq!(done.json()["applique"], true);
    let p = call(
        &e.app,
        req("GET", "/api/partenaires/dac81", Some(&e.editor), None),
    )
    .await
    .json();
    assert_eq!(p["ligne_directe"], "06 12 34 56 78");
    assert_eq!(p["etiquettes"], json!(["a", "b"]));
    assert_eq!(p["role"], "coordination");
    assert_eq!(
        call(
            &e.app,
            req(
                "GET",
                "/api/actors/local:ssiad-de-gaillac-gaillac",
                None,
                None
            )
        )
        .await
        .status,
        StatusCode::OK
    );
    let h = call(
        &e.app,
        req("GET", "/api/partenaires/dac81/historique", None, None),
    )
    .await
    .json();
    assert_eq!(h["historique"][0]["action"], "import");

    // The editor's CSV export re-imports without any change; so does the public one
    // (private values are kept when their columns are absent).
    for token in [&e.editor, &e.reader] {
        let export = call(
            &e.app,
            req("GET", "/api/partenaires?format=csv", Some(token), None),
        )
        .await
        .text();
        let again = call(
            &e.app,
            csv_req("/api/partenaires/import", &e.editor, &export),
        )
        .await
        .json();
        assert_eq!(again["inchanges"].as_array().unwrap().len(), 2, "{again}");
        assert_eq!(again["modifies"].as_array().unwrap().len(), 0, "{again}");
        assert_eq!(again["rejetes"].as_array().unwrap().len(), 0, "{again}");
    }
    let p = call(
        &e.app,
        req("GET", "/api/partenaires/dac81", Some(&e.editor), None),
    )
    .await
    .json();
    assert_eq!(p["version"], 1);

    // A changed line is listed with its fields; a file without the required column is refused.
    let changed = export_with(&e, "DAC du Tarn", "DAC du Tarn et du Ségala").await;
    let r = call(
        &e.app,
        csv_req("/api/partenaires/import?apercu=1", &e.editor, &changed),
    )
    .await
    .json();
    assert_eq!(r["modifies"][0]["champs"], json!(["nom"]));
    let r = call(
        &e.app,
        csv_req(
            "/api/partenaires/import",
            &e.editor,
            "nom;commune\nA;Albi\n",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["detail"].as_str().unwrap().contains("« type »"));
}

async fn export_with(e: &Env, from: &str, to: &str) -> String {
    call(
        &e.app,
        req("GET", "/api/partenaires?format=csv", Some(&e.editor), None),
    )
    .await
    .text()
    .replace(from, to)
}

#[tokio::test]
async fn sessions_cookies_and_origin() {
    // Behind a declared reverse proxy, which says the page is served over HTTPS.
    let e = env_config(
        false,
        ServerConfig {
            behind_proxy: true,
            ..ServerConfig::default()
        },
    );
    let login = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::HOST, "carte.cpts.fr")
        .header("x-forwarded-proto", "https")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"jeton": e.editor}).to_string()))
        .unwrap();
    let r = call(&e.app, login).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["role"], "editeur");
    let cookie = r.header(header::SET_COOKIE);
    for part in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_string();
    assert!(!session.contains(&e.editor));

    let with_cookie = |method: &str, origin: Option<&str>| {
        let mut b = Request::builder()
            .method(method)
            .uri("/api/partenaires")
            .header(header::HOST, "carte.cpts.fr")
            .header("x-forwarded-proto", "https")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, session.clone());
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        b.body(Body::from(dac().to_string())).unwrap()
    };
    assert_eq!(
        call(&e.app, with_cookie("POST", None)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&e.app, with_cookie("POST", Some("https://evil.example")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let ok = call(&e.app, with_cookie("POST", Some("https://carte.cpts.fr"))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());

    let me = Request::builder()
        .uri("/api/session")
        .header(header::COOKIE, session.clone())
        .body(Body::empty())
        .unwrap();
    let me = call(&e.app, me).await.json();
    assert_eq!(
        (me["connecte"].clone(), me["nom"].clone()),
        (json!(true), json!("Coordinatrice"))
    );

    let out = Request::builder()
        .method("DELETE")
        .uri("/api/session")
        .header(header::HOST, "carte.cpts.fr")
        .header("x-forwarded-proto", "https")
        .header(header::ORIGIN, "https://carte.cpts.fr")
        .header(header::COOKIE, session.clone())
        .body(Body::empty())
        .unwrap();
    let out = call(&e.app, out).await;
    assert!(out.header(header::SET_COOKIE).contains("Max-Age=0"));
    let again = call(&e.app, with_cookie("POST", Some("https://carte.cpts.fr"))).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    let bad = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"jeton": "mlg_faux"}).to_string()))
        .unwrap();
    assert_eq!(call(&e.app, bad).await.status, StatusCode::UNAUTHORIZED);
    let anon = call(&e.app, req("GET", "/api/session", None, None))
        .await
        .json();
    assert_eq!(anon["connecte"], false);
}

#[tokio::test]
async fn authenticated_reads_and_no_store() {
    let e = env_with(true);
    let r = call(&e.app, req("GET", "/api/actors", None, None)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(&e.app, req("GET", "/api/partenaires", None, None))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&e.app, req("GET", "/api/actors", Some(&e.reader), None))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&e.app, req("GET", "/api/health", None, None))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&e.app, req("GET", "/api/session", None, None))
            .await
            .status,
        StatusCode::OK
    );

    let plain = router(AppState::new(directory(), ServerConfig::default()));
    let r = call(
        &plain,
        req("POST", "/api/partenaires", Some("x"), Some(dac())),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.json()["detail"].as_str().unwrap().contains("--base"));
    assert_eq!(
        call(&plain, req("GET", "/api/actors", None, None))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn annotations_sit_beside_official_records() {
    let e = env();
    let r = call(
        &e.app,
        req(
            "PUT",
            "/api/annotations/finess:810000001",
            Some(&e.editor),
            Some(json!({"membre_cpts": true, "referent": "Dr Martin", "telephone": "0563999999"})),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["telephone"], "05 63 99 99 99");
    assert_eq!(r.header(header::ETAG), "\"1\"");
    // The official record is untouched.
    let a = call(
        &e.app,
        req("GET", "/api/actors/finess:810000001", None, None),
    )
    .await;
    assert_eq!(a.json()["properties"]["telephone"], Value::Null);
    let got = call(
        &e.app,
        req("GET", "/api/annotations/finess:810000001", None, None),
    )
    .await
    .json();
    assert_eq!(got["referent"], "Dr Martin");
    let mut stale = req(
        "PUT",
        "/api/annotations/finess:810000001",
        Some(&e.editor),
        Some(json!({"note": "x"})),
    );
    stale
        .headers_mut()
        .insert(header::IF_MATCH, "\"0\"".parse().unwrap());
    assert_eq!(
        call(&e.app, stale).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    let unknown = call(
        &e.app,
        req(
            "PUT",
            "/api/annotations/finess:999",
            Some(&e.editor),
            Some(json!({"note": "x"})),
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = call(
        &e.app,
        req(
            "PUT",
            "/api/annotations/finess:810000001",
            Some(&e.editor),
            Some(json!({"telephone": "12"})),
        ),
    )
    .await;
    assert_eq!(bad.json()["champ"], "telephone");
}

/// The page builds its form from the field table: every JSON field name the API accepts is
/// listed once, with its French label, and the open route answers even when reads need a
/// token.
#[tokio::test]
async fn the_field_table_is_served_and_matches_what_the_api_accepts() {
    let e = env_with(true);
    let r = call(&e.app, req("GET", "/api/partenaires/champs", None, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let fields = v["champs"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["nom"].as_str().unwrap()).collect();
    for name in dac().as_object().unwrap().keys() {
        assert!(
            names.contains(&name.as_str()),
            "{name} missing from {names:?}"
        );
    }
    let phone = fields.iter().find(|f| f["nom"] == "telephone").unwrap();
    assert_eq!(phone["libelle"], "Téléphone");
    assert_eq!(phone["saisie"], "tel");
    assert_eq!(phone["alias"], json!(["tel"]));
    let private: Vec<&str> = fields
        .iter()
        .filter(|f| f["prive"] == true)
        .map(|f| f["nom"].as_str().unwrap())
        .collect();
    assert_eq!(private, ["ligne_directe", "notes_internes"]);
    // A field the table does not list is refused by name.
    let mut body = dac();
    body["couleur"] = json!("bleu");
    let r = call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(body)),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["champ"], "couleur");
    // A value is checked by the field's check, with the importer's French expectation.
    let mut body = dac();
    body["capacite"] = json!("beaucoup");
    let r = call(
        &e.app,
        req("POST", "/api/partenaires", Some(&e.editor), Some(body)),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v = r.json();
    assert_eq!(v["champ"], "capacite");
    assert_eq!(
        v["attendu"],
        "un nombre entier de places ou de lits (ex. 40)"
    );
    assert_eq!(v["trouve"], "beaucoup");
}
