//! One place resolver at every entry point (issue 12), on the demo Tarn communes: a postcode
//! is never read as an INSEE code, commune names match in any written form (`St-Juéry`,
//! `St Juery`), a postcode with one commune places an actor without a commune code, and a
//! former code finds the commune it was merged into. Entry points: search, orientation by
//! address and by commune, partner CSV and JSON, zones, RPPS and FINESS.
//!
//! Postcode 81600 is Gaillac's and nine other communes'; INSEE 81100 is Garrevaques (postcode
//! 81700); 81370 has one commune, Saint-Sulpice-la-Pointe (81271); Ronel (81226) was merged
//! into Terre-de-Bancalié (81233).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use maillage::index::{Directory, HitCategory};
use maillage::model::{InseeCode, Precision};
use maillage::orientation::ProcedureSet;
use maillage::server::{router, AppState, ServerConfig};
use maillage::sources::{demo, Dataset, Format};
use maillage::store::{Role, Store};

/// The communes of postcode 81600 in the demo data.
const GAILLAC_POSTCODE: [&str; 10] = [
    "81020", "81038", "81041", "81046", "81090", "81099", "81171", "81225", "81283", "81294",
];

fn code(s: &str) -> InseeCode {
    s.parse().unwrap()
}

fn demo_dir() -> Directory {
    Directory::build(demo::dataset().unwrap())
}

/// The demo communes plus one file, loaded as `maillage serve --data` would.
fn with_file(name: &str, format: Format, bytes: &[u8]) -> Directory {
    let mut ds: Dataset = demo::territory().unwrap();
    ds.load_bytes(name, format, bytes).unwrap();
    ds.place_unlocated_actors();
    Directory::build(ds)
}

fn notes_of<'a>(dir: &'a Directory, file: &str) -> Vec<&'a str> {
    dir.reports()
        .iter()
        .filter(|r| r.file == file)
        .flat_map(|r| r.notes.iter().map(String::as_str))
        .collect()
}

async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn commune_ids(v: &Value) -> Vec<String> {
    v["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["categorie"] == "commune")
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Search (the map's search box and the orientation wizard's suggestions)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn search_for_a_postcode_lists_the_communes_of_that_postcode() {
    let app = router(AppState::new(demo_dir(), ServerConfig::default()));
    let (s, v) = send(&app, "GET", "/api/search?q=81600&limit=20", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let mut ids = commune_ids(&v);
    assert_eq!(ids[0], "81099", "Gaillac, the most populous, first: {v}");
    let first = &v["resultats"][0];
    assert!(
        first["detail"].as_str().unwrap().contains("81600"),
        "labelled with the postcode: {first}"
    );
    ids.sort();
    assert_eq!(
        ids, GAILLAC_POSTCODE,
        "never Garrevaques (INSEE 81100) & co."
    );

    // A postcode and a name: that commune.
    let (_, v) = send(&app, "GET", "/api/search?q=81600%20Gaillac", None, None).await;
    assert_eq!(commune_ids(&v), ["81099"], "{v}");
    assert_eq!(v["resultats"][0]["id"], "81099");

    // The first digits of a postcode: communes of the postcodes they start, no INSEE prefix.
    let dir = demo_dir();
    let hits = dir.search("811", 10);
    assert!(hits.iter().any(|h| h.category == HitCategory::Commune));
    for hit in hits.iter().filter(|h| h.category == HitCategory::Commune) {
        let c = dir.commune(code(&hit.id)).unwrap();
        assert!(
            c.postcodes.iter().any(|p| p.starts_with("811")),
            "{} {:?}",
            c.name,
            c.postcodes
        );
    }
    // A postcode with one commune.
    let (_, v) = send(&app, "GET", "/api/search?q=81370", None, None).await;
    assert_eq!(commune_ids(&v), ["81271"], "{v}");
    // An INSEE code that is not a postcode still finds its commune.
    assert_eq!(dir.search("81099", 5)[0].id, "81099");
}

#[test]
fn search_finds_a_commune_name_in_any_written_form() {
    let dir = demo_dir();
    for q in ["St-Juéry", "St Juery", "saint juery", "SAINT-JUÉRY"] {
        let hits = dir.search(q, 5);
        assert_eq!(hits[0].id, "81257", "{q}: {:?}", hits[0]);
    }
}

#[test]
fn search_finds_a_corsican_commune_by_code_and_postcode() {
    let mut ds = Dataset::new();
    let mut c = maillage::model::Commune::new(code("2A004"), "Ajaccio");
    c.postcodes = vec!["20000".into(), "20090".into()];
    ds.communes.push(c);
    let dir = Directory::build(ds);
    for q in ["2A004", "2a004", "20090", "20000 Ajaccio"] {
        let hits = dir.search(q, 5);
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some("2A004"), "{q}");
    }
}

// ---------------------------------------------------------------------------------------------
// Orientation, by address and by commune
// ---------------------------------------------------------------------------------------------

fn orientation_state() -> AppState {
    let dir = demo_dir();
    let (set, problems) = ProcedureSet::demo(&dir);
    assert!(problems.is_empty(), "{problems:?}");
    AppState::new(dir, ServerConfig::default()).with_procedures(set)
}

#[tokio::test]
async fn orientation_by_address_and_by_commune() {
    let app = router(orientation_state());
    let base = "/api/orientation?procedure=perte-autonomie-domicile&age=82";
    let (s, v) = send(&app, "GET", &format!("{base}&adresse=81600"), None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lieu"]["commune"], "81099", "{v}");
    let (_, v) = send(
        &app,
        "GET",
        &format!("{base}&adresse=81600%20Gaillac"),
        None,
        None,
    )
    .await;
    assert_eq!(v["lieu"]["commune"], "81099");
    let (_, v) = send(&app, "GET", &format!("{base}&adresse=81370"), None, None).await;
    assert_eq!(v["lieu"]["commune"], "81271");
    for text in [
        "St-Ju%C3%A9ry",
        "St%20Juery",
        "3%20rue%20X%2081160%20St%20Juery",
    ] {
        let (s, v) = send(&app, "GET", &format!("{base}&adresse={text}"), None, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["lieu"]["commune"], "81257", "{text}");
    }

    // By commune: a former code gives the commune it was merged into.
    let (s, v) = send(&app, "GET", &format!("{base}&commune=81226"), None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["lieu"]["commune"], "81233", "Ronel → Terre-de-Bancalié");
    let (s, _) = send(&app, "GET", &format!("{base}&commune=81999"), None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn commune_and_actor_routes_take_a_former_code_through_the_resolver() {
    let app = router(AppState::new(demo_dir(), ServerConfig::default()));
    // /api/communes/{code}: a former code answers for the commune it joined.
    let (s, v) = send(&app, "GET", "/api/communes/81226", None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["properties"]["code"], "81233",
        "Ronel → Terre-de-Bancalié"
    );
    let (_, by_name) = send(&app, "GET", "/api/communes/Ronel", None, None).await;
    assert_eq!(by_name["properties"]["code"], "81233");
    // A postcode of one commune names it; of several, it is ambiguous and named.
    let (_, v) = send(&app, "GET", "/api/communes/81370", None, None).await;
    assert_eq!(v["properties"]["code"], "81271", "{v}");
    let (s, v) = send(&app, "GET", "/api/communes/81600", None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("« 81600 » désigne plusieurs communes")
            && detail.contains("81099 (Gaillac)"),
        "{detail}"
    );
    // An unknown code is a French 404 naming it; an unknown name a 400.
    let (s, v) = send(&app, "GET", "/api/communes/81999", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(v["erreur"].as_str().unwrap().contains("81999"), "{v}");
    let (s, v) = send(&app, "GET", "/api/communes/Nullepart", None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("« Nullepart »"),
        "{v}"
    );

    // /api/actors?commune=: the former code lists the actors of the new commune.
    let (s, new) = send(&app, "GET", "/api/actors?commune=81233", None, None).await;
    assert_eq!(s, StatusCode::OK, "{new}");
    let (s, old) = send(&app, "GET", "/api/actors?commune=81226", None, None).await;
    assert_eq!(s, StatusCode::OK, "{old}");
    assert_eq!(old["features"], new["features"]);
    assert_eq!(old["total"], new["total"]);
    let (s, gaillac) = send(&app, "GET", "/api/actors?commune=Gaillac", None, None).await;
    assert_eq!(s, StatusCode::OK, "{gaillac}");
    assert!(gaillac["total"].as_u64().unwrap() > 0, "{gaillac}");
    let (s, v) = send(&app, "GET", "/api/actors?commune=81999", None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["erreur"].as_str().unwrap().contains("commune"), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("81999"), "{v}");
    // /api/competents?commune= takes it too.
    let (s, v) = send(&app, "GET", "/api/competents?commune=81226", None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["commune"], "81233");
}

#[test]
fn procedure_limited_to_a_former_code_applies_to_the_new_commune() {
    use maillage::orientation::{check::check, evaluate, locate, parse, PlaceQuery};
    let dir = demo_dir();
    let text = "id = \"p\"\ntitre = \"P\"\nversion = \"1\"\ndate = \"2026-05-01\"\n\
                [criteres]\ncommunes = [\"81226\"]\n\
                [[etapes]]\nid = \"a\"\ntypes = [\"ssiad\"]\nchoix = \"competent\"\n";
    let p = parse(text, "p.toml").unwrap();
    assert!(
        check(&p, &dir).iter().all(|x| !x.is_error()),
        "{:?}",
        check(&p, &dir)
    );
    let at = |c: &str| locate(&dir, &PlaceQuery::Commune(code(c))).unwrap();
    assert!(
        evaluate(&dir, &p, &at("81233"), None).applicable,
        "Ronel is in Terre-de-Bancalié"
    );
    assert!(!evaluate(&dir, &p, &at("81099"), None).applicable);
}

// ---------------------------------------------------------------------------------------------
// Partner CSV (a data directory) and its free-text service areas
// ---------------------------------------------------------------------------------------------

const PARTNERS: &str = "nom;type;code_postal;commune;code_insee;zone_intervention\n\
    Cabinet A;partenaire;81370;;;\n\
    Cabinet B;partenaire;;St Juery;;\n\
    Cabinet C;partenaire;81600;Gaillac;;\n\
    Cabinet D;partenaire;81600;;;\n\
    Cabinet E;partenaire;;;81226;\n\
    SSIAD F;ssiad;81160;Saint-Juéry;81257;St-Juéry\n\
    SSIAD G;ssiad;81160;Saint-Juéry;81257;St Juery\n\
    SSIAD H;ssiad;81600;Gaillac;81099;81600, Ronel\n";

fn actor_commune(dir: &Directory, id: &str) -> Option<String> {
    let a = dir.actor(dir.find(id).unwrap_or_else(|| panic!("{id} absent")));
    a.commune().map(|c| c.to_string())
}

#[test]
fn partner_csv_rows_are_placed_by_the_resolver() {
    let dir = with_file(
        "partenaires.csv",
        maillage::sources::partners::FORMAT,
        PARTNERS.as_bytes(),
    );
    let rep = dir
        .reports()
        .iter()
        .find(|r| r.file == "partenaires.csv")
        .unwrap();
    assert_eq!(rep.rejected, 0, "{:?}", rep.rejections);
    assert_eq!(
        actor_commune(&dir, "local:cabinet-a").as_deref(),
        Some("81271")
    );
    let a = dir.actor(dir.find("local:cabinet-a").unwrap());
    assert_eq!(a.precision(), Precision::Commune);
    assert!(a.position().is_some());
    assert_eq!(
        actor_commune(&dir, "local:cabinet-b-st-juery").as_deref(),
        Some("81257")
    );
    assert_eq!(
        actor_commune(&dir, "local:cabinet-c-gaillac").as_deref(),
        Some("81099")
    );
    assert_eq!(
        actor_commune(&dir, "local:cabinet-d"),
        None,
        "81600: ten communes"
    );
    assert_eq!(
        actor_commune(&dir, "local:cabinet-e-81226").as_deref(),
        Some("81233")
    );
    // A file with a postcode column but no commune name nor code is still a partner file.
    let head = b"nom;type;code_postal\nCabinet A;partenaire;81370\n";
    assert_eq!(
        maillage::sources::detect::detect("p.csv", head),
        Some(maillage::sources::partners::FORMAT)
    );
    let notes = notes_of(&dir, "partenaires.csv");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("plusieurs communes") && n.contains("local:cabinet-d")),
        "{notes:?}"
    );
}

#[test]
fn partner_zones_resolve_names_postcodes_and_former_codes() {
    let dir = with_file(
        "partenaires.csv",
        maillage::sources::partners::FORMAT,
        PARTNERS.as_bytes(),
    );
    let zone = |id: &str| {
        let i = dir.find(id).unwrap();
        dir.service_area(i)
            .unwrap_or_else(|| panic!("{id}: no area"))
            .communes()
    };
    assert_eq!(zone("local:ssiad-f-saint-juery"), [code("81257")]);
    assert_eq!(zone("local:ssiad-g-saint-juery"), [code("81257")]);
    let h = zone("local:ssiad-h-gaillac");
    let mut expected: Vec<InseeCode> = GAILLAC_POSTCODE.iter().map(|c| code(c)).collect();
    expected.push(code("81233"));
    expected.sort();
    assert_eq!(h, expected, "the postcode's communes and Ronel's successor");
    assert!(!h.contains(&code("81100")));
}

#[test]
fn zones_file_with_a_former_code_covers_the_new_commune() {
    let mut ds: Dataset = demo::dataset().unwrap();
    let zones = "acteur;zone\nfiness:819001256;communes:81226\n";
    ds.load_bytes("zones.csv", maillage::sources::zones::CSV, zones.as_bytes())
        .unwrap();
    let dir = Directory::build(ds);
    let found: Vec<&str> = dir
        .competent(None, Some(code("81233")), None)
        .into_iter()
        .map(|(i, _)| dir.actor(i).id())
        .collect();
    assert!(found.contains(&"finess:819001256"), "{found:?}");
}

#[test]
fn territory_file_with_a_former_code_lists_the_new_commune() {
    let file = "territoire;code_insee\nCPTS X;81226\nCPTS X;81233\nCPTS X;81099\n";
    let dir = with_file(
        "territoires.csv",
        maillage::sources::territories::FORMAT,
        file.as_bytes(),
    );
    let t = dir.territory("cpts:cpts-x").unwrap();
    assert_eq!(t.territory.communes, [code("81233"), code("81099")]);
    assert!(t.unknown_communes.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Partner JSON API
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn partner_api_places_a_partner_from_its_postcode_or_name() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("p.sqlite")).unwrap();
    let (_, token) = store.create_token("Coordinatrice", Role::Editeur).unwrap();
    let state = AppState::with_store(demo_dir(), ServerConfig::default(), store, false).unwrap();
    let app = router(state);
    let post = |body: Value| send(&app, "POST", "/api/partenaires", Some(&token), Some(body));

    let (s, v) =
        post(json!({"nom": "Cabinet A", "type": "partenaire", "code_postal": "81370"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["code_insee"], "81271");
    let (s, v) =
        post(json!({"nom": "Cabinet B", "type": "partenaire", "commune": "St Juery"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["code_insee"], "81257");
    let (s, v) = post(json!({"nom": "Cabinet C", "type": "partenaire", "code_postal": "81600", "commune": "Gaillac"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["code_insee"], "81099");
    let (s, v) =
        post(json!({"nom": "Cabinet E", "type": "partenaire", "code_insee": "81226"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["code_insee"], "81233",
        "a former code gives the new commune"
    );

    // 81600 alone: ten communes, the answer names them and asks to choose.
    let (s, v) =
        post(json!({"nom": "Cabinet D", "type": "partenaire", "code_postal": "81600"})).await;
    assert!(s.is_client_error(), "{s} {v}");
    let text = v.to_string();
    assert!(
        text.contains("code_insee")
            && text.contains("Gaillac (81099)")
            && text.contains("Brens (81038)"),
        "{text}"
    );
    assert!(!text.contains("Garrevaques"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// RPPS and FINESS: no commune code, a postcode
// ---------------------------------------------------------------------------------------------

const RPPS_HEADER: &str = include_str!("fixtures/rpps/PS_LibreAcces_Personne_activite_extrait.txt");

fn rpps_line(pp: &str, postcode: &str, city: &str) -> String {
    let header = RPPS_HEADER.lines().next().unwrap();
    let cols: Vec<&str> = header.split('|').collect();
    let mut fields = vec![String::new(); cols.len()];
    let mut set = |name: &str, v: &str| {
        let i = cols.iter().position(|c| *c == name).unwrap();
        fields[i] = v.to_string();
    };
    set("Identifiant PP", pp);
    set("Code profession", "60");
    set("Nom d'exercice", "EXEMPLE");
    set("Identifiant technique de la structure", &format!("S{pp}"));
    set("Code postal (coord. structure)", postcode);
    set("Code commune (coord. structure)", "");
    set("Libellé commune (coord. structure)", city);
    fields.join("|")
}

#[test]
fn rpps_line_without_commune_code_is_placed_by_its_postcode() {
    let header = RPPS_HEADER.lines().next().unwrap();
    let file = format!(
        "{header}\n{}\n{}\n{}\n{}\n",
        rpps_line("10100000001", "81370", "SAINT SULPICE LA POINTE"),
        rpps_line("10100000002", "81600", "BRENS"),
        rpps_line("10100000003", "81600", ""),
        rpps_line("10100000004", "81160", "ST JUERY"),
    );
    let dir = with_file(
        "PS_LibreAcces_Personne_activite.txt",
        maillage::sources::rpps::FORMAT,
        file.as_bytes(),
    );
    let placed: Vec<(String, Option<String>, Precision)> = dir
        .actors()
        .iter()
        .filter(|a| a.id().starts_with("rpps:"))
        .map(|a| {
            (
                a.id().to_string(),
                a.commune().map(|c| c.to_string()),
                a.precision(),
            )
        })
        .collect();
    assert_eq!(placed.len(), 4, "{placed:?}");
    assert_eq!(placed[0].1.as_deref(), Some("81271"), "{placed:?}");
    assert_eq!(placed[0].2, Precision::Commune);
    assert_eq!(
        placed[1].1.as_deref(),
        Some("81038"),
        "postcode and name: {placed:?}"
    );
    assert_eq!(placed[2].1, None, "81600 alone: ten communes");
    assert_eq!(
        placed[3].1.as_deref(),
        Some("81257"),
        "81160 is Arthès' too: {placed:?}"
    );
    let notes = notes_of(&dir, "PS_LibreAcces_Personne_activite.txt");
    assert!(
        notes.iter().any(|n| n.contains("plusieurs communes")),
        "{notes:?}"
    );
}

#[test]
fn finess_line_without_commune_code_is_placed_by_its_postcode() {
    let demo = std::str::from_utf8(demo::FINESS_FILE.bytes).unwrap();
    let mut lines = demo.lines();
    let head = lines.next().unwrap();
    // The first establishment, its commune code emptied and moved to Saint-Sulpice.
    let mut f: Vec<String> = lines
        .next()
        .unwrap()
        .split(';')
        .map(str::to_string)
        .collect();
    assert_eq!(f[12], "004", "commune column of the demo file");
    f[12] = String::new();
    f[15] = "81370 ST SULPICE LA POINTE".into();
    // The second one in Saint-Juéry, whose postcode 81160 is Arthès' too.
    let mut g: Vec<String> = lines
        .next()
        .unwrap()
        .split(';')
        .map(str::to_string)
        .collect();
    g[12] = String::new();
    g[15] = "81160 ST JUERY".into();
    let file = format!("{head}\n{}\n{}\n", f.join(";"), g.join(";"));
    let dir = with_file(
        "finess.csv",
        maillage::sources::finess::FORMAT,
        file.as_bytes(),
    );
    let rep = dir
        .reports()
        .iter()
        .find(|r| r.file == "finess.csv")
        .unwrap();
    assert_eq!(rep.rejected, 0, "{:?}", rep.rejections);
    let a = dir.actor(dir.find(&format!("finess:{}", f[1])).unwrap());
    assert_eq!(a.commune().map(|c| c.to_string()).as_deref(), Some("81271"));
    assert!(a.position().is_some());
    let b = dir.actor(dir.find(&format!("finess:{}", g[1])).unwrap());
    assert_eq!(b.commune().map(|c| c.to_string()).as_deref(), Some("81257"));
}
