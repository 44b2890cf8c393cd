//! One definition of « covered » per figure (issue 12): for a kind with service areas the
//! diagnosis covers by service area — exactly the orientation's competence — beside coverage
//! by distance, and every entry point (JSON, CSV, GeoJSON, SVG map, indicator table, the
//! `maillage diagnostic` report) names the definition it shows. The joint defect: Vieux was a
//! SSIAD « zone blanche » at 10 km while `/api/orientation` sends Vieux to the Gaillacois SSIAD.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use maillage::index::Directory;
use maillage::orientation::ProcedureSet;
use maillage::server::{router, AppState, ServerConfig};

const TERRITORY: &str = "cpts:cpts-exemple-du-gaillacois";
const VIEUX: &str = "81316";
/// The demo SSIAD whose service area is the Gaillacois CPTS (data/demo/zones-exemple.csv).
const SSIAD_GAILLACOIS: &str = "finess:819001256";

fn state() -> AppState {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let (set, problems) = ProcedureSet::demo(&dir);
    assert!(problems.is_empty(), "{problems:?}");
    AppState::new(dir, ServerConfig::default()).with_procedures(set)
}

async fn get(st: &AppState, uri: &str) -> (StatusCode, String) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

async fn get_json(st: &AppState, uri: &str) -> Value {
    let (s, b) = get(st, uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    serde_json::from_str(&b).unwrap()
}

fn commune<'v>(d: &'v Value, code: &str) -> &'v Value {
    d["communes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("{code} not in the diagnosis"))
}

fn csv_value(text: &str, column: &str, code: &str) -> String {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let h = r.headers().unwrap().clone();
    let col = h
        .iter()
        .position(|x| x == column)
        .unwrap_or_else(|| panic!("no column {column} in {h:?}"));
    r.records()
        .map(|x| x.unwrap())
        .find(|x| &x[0] == code)
        .unwrap()[col]
        .to_string()
}

#[tokio::test]
async fn vieux_is_covered_by_the_ssiad_that_orientation_chooses() {
    let st = state();
    // The orientation sends a patient of Vieux to the Gaillacois SSIAD (its service area).
    let o = get_json(
        &st,
        &format!("/api/orientation?procedure=perte-autonomie-domicile&commune={VIEUX}&age=82"),
    )
    .await;
    let ssiad_step = o["etapes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["acteurs"][0]["type"] == "ssiad" || e["id"] == "ssiad")
        .unwrap_or_else(|| panic!("no SSIAD step: {o}"));
    assert_eq!(ssiad_step["acteurs"][0]["id"], SSIAD_GAILLACOIS, "{o}");

    // By default, the diagnosis covers SSIAD by service area, and agrees.
    let d = get_json(
        &st,
        &format!("/api/diagnostic?territory={TERRITORY}&kinds=ssiad"),
    )
    .await;
    let kind = &d["types"][0];
    assert_eq!(kind["couverture"], "zone_intervention", "{kind}");
    assert!(kind["structures_avec_zone"].as_u64().unwrap() >= 1);
    assert!(kind["couverture_definition"]
        .as_str()
        .unwrap()
        .contains("même règle que l'orientation"));
    assert_eq!(d["parametres"]["couverture_demandee"], "auto");
    assert_eq!(commune(&d, VIEUX)["indicateurs"][0]["couverte"], true);
    assert!(!d["zones_blanches"]["ssiad"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == VIEUX));
    let cov = &d["comparaisons"][0]["indicateurs"][0]["couverture"];
    assert_eq!(cov["definition"], "zone_intervention");
    assert!(cov["seuil_m"].is_null());
    // The whole CPTS is the Gaillacois SSIAD's area: everybody covered.
    assert_eq!(cov["part_couverte"], 1.0);

    // /api/couverture, the coverage of one kind, says the same and names it.
    let c = get_json(
        &st,
        &format!("/api/couverture?territory={TERRITORY}&kind=ssiad"),
    )
    .await;
    assert_eq!(c["couverture"]["definition"], "zone_intervention", "{c}");
    assert!(c["definition"]
        .as_str()
        .unwrap()
        .starts_with("couverture par zone d'intervention"));
    assert!(!c["zones_blanches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|z| z["code"] == VIEUX));
    let c = get_json(
        &st,
        &format!("/api/couverture?territory={TERRITORY}&kind=ssiad&couverture=distance"),
    )
    .await;
    assert!(c["zones_blanches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|z| z["code"] == VIEUX));

    // By distance (10 km), Vieux is the « zone blanche » the issue saw, and it says so.
    let d = get_json(
        &st,
        &format!("/api/diagnostic?territory={TERRITORY}&kinds=ssiad&couverture=distance"),
    )
    .await;
    assert_eq!(d["types"][0]["couverture"], "distance");
    assert!(d["types"][0]["couverture_libelle"]
        .as_str()
        .unwrap()
        .contains("10 km"));
    let v = &commune(&d, VIEUX)["indicateurs"][0];
    assert_eq!(v["couverte"], false, "{v}");
    assert!(v["distance_km"].as_f64().unwrap() > 10.0, "{v}");
    assert!(d["zones_blanches"]["ssiad"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == VIEUX));
    assert_eq!(
        d["comparaisons"][0]["indicateurs"][0]["couverture"]["seuil_m"],
        10_000.0
    );
}

/// Over the whole département, « covered by service area » is `/api/competents` non-empty.
#[tokio::test]
async fn service_area_coverage_is_the_competence_of_every_commune() {
    let st = state();
    for kind in ["ssiad", "clic"] {
        let d = get_json(
            &st,
            &format!("/api/diagnostic?territory=dep:81&kinds={kind}&couverture=zone"),
        )
        .await;
        assert_eq!(d["types"][0]["couverture"], "zone_intervention");
        let communes = d["communes"].as_array().unwrap();
        assert!(communes.len() > 300);
        let (mut yes, mut no) = (0, 0);
        for c in communes {
            let code = c["code"].as_str().unwrap();
            let found = get_json(&st, &format!("/api/competents?commune={code}&kind={kind}")).await;
            let competent = !found["features"]
                .as_array()
                .unwrap_or_else(|| panic!("{found}"))
                .is_empty();
            assert_eq!(
                c["indicateurs"][0]["couverte"], competent,
                "{kind} in {code}"
            );
            if competent {
                yes += 1
            } else {
                no += 1
            }
        }
        // Both cases occur (the demo leaves parts of the Tarn without SSIAD or CLIC).
        assert!(yes > 0 && no > 0, "{kind}: {yes} covered, {no} not");
    }
}

#[tokio::test]
async fn kinds_without_service_areas_are_covered_by_distance_and_say_so() {
    let st = state();
    let d = get_json(
        &st,
        &format!("/api/diagnostic?territory={TERRITORY}&kinds=ehpad,ssiad"),
    )
    .await;
    assert_eq!(d["types"][0]["couverture"], "distance");
    assert_eq!(d["types"][1]["couverture"], "zone_intervention");
    assert!(
        d["avertissements"].as_array().unwrap().is_empty()
            || !d["avertissements"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("aucune zone d'intervention"))
    );
    // Asking for service areas explicitly warns for the kind that has none.
    let d = get_json(
        &st,
        &format!("/api/diagnostic?territory={TERRITORY}&kinds=ehpad,ssiad&couverture=zone"),
    )
    .await;
    assert_eq!(d["types"][0]["couverture"], "distance");
    assert!(
        d["avertissements"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("aucune zone d'intervention chargée pour « EHPAD")),
        "{}",
        d["avertissements"]
    );
    // A bad value is refused, naming the parameter.
    let (s, b) = get(
        &st,
        &format!("/api/diagnostic?territory={TERRITORY}&couverture=rayon"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("couverture") && b.contains("rayon"), "{b}");
}

#[tokio::test]
async fn csv_geojson_and_map_name_the_definition() {
    let st = state();
    let q = format!("territory={TERRITORY}&kinds=ssiad");
    let (s, csv) = get(&st, &format!("/api/diagnostic.csv?{q}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        csv_value(&csv, "ssiad_couverte_zone_intervention", VIEUX),
        "oui"
    );
    let (_, csv) = get(&st, &format!("/api/diagnostic.csv?{q}&couverture=distance")).await;
    assert_eq!(csv_value(&csv, "ssiad_couverte_distance", VIEUX), "non");
    assert!(!csv.contains("ssiad_couverte_zone_intervention"));

    let g = get_json(&st, &format!("/api/diagnostic.geojson?{q}")).await;
    let f = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code_insee"] == VIEUX)
        .unwrap();
    assert_eq!(f["properties"]["ssiad_couverte_zone_intervention"], true);
    assert_eq!(g["types"][0]["couverture"], "zone_intervention");

    for (extra, title, footer) in [
        (
            "",
            "Commune couverte par zone d&#39;intervention",
            "couverture par zone d&#39;intervention : commune couverte si",
        ),
        (
            "&couverture=distance",
            "Commune couverte par distance, à moins de 10 km à vol",
            "couverture par distance : commune couverte si",
        ),
    ] {
        let (s, svg) = get(
            &st,
            &format!("/api/diagnostic/carte.svg?{q}&kind=ssiad&indicateur=couverture{extra}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        // The title and the footer name the definition; the legend is covered / not covered
        // with the count of each, the white zones hatched.
        assert!(svg.contains(title), "{title}: {svg}");
        assert!(svg.contains(footer), "{footer}: {svg}");
        assert!(
            svg.contains(">couverte (")
                && svg.contains(">non couverte : zone blanche (")
                && svg.contains(">Catégories ("),
            "{svg}"
        );
        assert!(svg.contains("<pattern id=\"zone-blanche\""), "{svg}");
        assert!(!svg.contains("0,00 – 1,00"), "{svg}");
    }
}

/// The labels of the page, CSV, maps and report come from one table, served as is.
#[tokio::test]
async fn one_indicator_table_serves_every_output() {
    let st = state();
    let table = get_json(&st, "/api/diagnostic/indicateurs").await;
    let d = get_json(
        &st,
        &format!("/api/diagnostic?territory={TERRITORY}&kinds=ehpad"),
    )
    .await;
    assert_eq!(table, d["descripteurs"]);
    // The coverage choices offered by the page are the ones the API accepts.
    for c in table["couvertures"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let d = get_json(
            &st,
            &format!("/api/diagnostic?territory={TERRITORY}&kinds=ssiad&couverture={id}"),
        )
        .await;
        assert_eq!(d["parametres"]["couverture_demandee"], id);
        assert_eq!(d["parametres"]["couverture_demandee_libelle"], c["libelle"]);
    }
    let communes = table["communes"].as_array().unwrap();
    let kind = &d["types"][0];
    let (_, csv) = get(
        &st,
        &format!("/api/diagnostic.csv?territory={TERRITORY}&kinds=ehpad"),
    )
    .await;
    let header = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_string();
    for ind in communes {
        let column = ind["colonne"]
            .as_str()
            .unwrap()
            .replace("{definition}", kind["couverture"].as_str().unwrap());
        let column = if ind["par_type"] == true {
            format!("ehpad_{column}")
        } else {
            column
        };
        assert!(
            header.split(';').any(|h| h == column),
            "{column} not in {header}"
        );
        if ind["carte"] != true {
            continue;
        }
        let id = ind["id"].as_str().unwrap();
        let (s, svg) = get(
            &st,
            &format!("/api/diagnostic/carte.svg?territory={TERRITORY}&kinds=ehpad&indicateur={id}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let label = ind["libelle"].as_str().unwrap().replace(
            " {couverture}",
            &format!(" {}", kind["couverture_libelle"].as_str().unwrap()),
        );
        // The legend wraps long labels at spaces: every word is in the map.
        for word in label.split(' ') {
            let word = word.replace('\'', "&#39;");
            assert!(
                svg.contains(&word),
                "{id}: « {word} » of « {label} » missing"
            );
        }
    }
    // An unknown indicator lists the table's ids.
    let (s, b) = get(
        &st,
        &format!("/api/diagnostic/carte.svg?territory={TERRITORY}&kinds=ehpad&indicateur=x"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("densite") && b.contains("couverture"), "{b}");
}

/// `maillage diagnostic` writes a report whose tables, maps and CSV name the definition.
#[test]
fn command_line_report_names_the_definition() {
    let out = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], dir: &std::path::Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_maillage"))
            .args([
                "diagnostic",
                "--territoire",
                TERRITORY,
                "--types",
                "ssiad",
                "--sortie",
            ])
            .arg(dir)
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let zone = out.path().join("zone");
    let (code, stdout, stderr) = run(&[], &zone);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("par zone d'intervention"), "{stdout}");
    let html = std::fs::read_to_string(zone.join("rapport.html")).unwrap();
    assert!(
        html.contains("Couverte par zone d&#39;intervention"),
        "table header"
    );
    assert!(
        html.contains("même règle que l&#39;orientation"),
        "definition sentence"
    );
    // Every header of the report's tables is the indicator table's (no label of its own).
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(zone.join("diagnostic.json")).unwrap())
            .unwrap();
    let kind = &d["types"][0];
    for table in ["communes", "comparaisons"] {
        for ind in d["descripteurs"][table].as_array().unwrap() {
            let header = ind["entete"]
                .as_str()
                .unwrap()
                .replace("{couverture}", kind["couverture_libelle"].as_str().unwrap());
            let th = format!(">{}</th>", header.replace('\'', "&#39;"));
            assert!(html.contains(&th), "{table}: {th} not in the report");
        }
    }
    let csv = std::fs::read_to_string(zone.join("communes.csv")).unwrap();
    assert_eq!(
        csv_value(&csv, "ssiad_couverte_zone_intervention", VIEUX),
        "oui"
    );
    let svg = std::fs::read_to_string(zone.join("carte-ssiad-couverture.svg")).unwrap();
    assert!(svg.contains("par zone d&#39;intervention"));

    let dist = out.path().join("distance");
    let (code, stdout, _) = run(&["--couverture", "distance"], &dist);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("par distance"), "{stdout}");
    let csv = std::fs::read_to_string(dist.join("communes.csv")).unwrap();
    assert_eq!(csv_value(&csv, "ssiad_couverte_distance", VIEUX), "non");

    let (code, stdout, stderr) = run(&["--couverture", "rayon"], &out.path().join("x"));
    assert_ne!(code, Some(0));
    assert!(
        (stdout.clone() + &stderr).contains("couverture"),
        "{stdout}{stderr}"
    );
}
