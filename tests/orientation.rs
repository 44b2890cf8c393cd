//! Service areas and orientation procedures on hand-made fixtures: each selection rule,
//! criteria edges, fallbacks, checks, reload with a broken file, the printable sheet.

use geo::{polygon, MultiPolygon};

use maillage::index::Directory;
use maillage::model::{
    ActorRecord, Commune, InseeCode, LonLat, Precision, Territory, TerritoryKind,
};
use maillage::orientation::evaluate::Outcome;
use maillage::orientation::place::{locate, PlaceQuery};
use maillage::orientation::{evaluate, parse, sheet, ProcedureSet};
use maillage::sources::{Dataset, FileReport, Imported};

fn square(x0: f64, y0: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![polygon![
        (x: x0, y: y0), (x: x0 + 0.1, y: y0), (x: x0 + 0.1, y: y0 + 0.1), (x: x0, y: y0 + 0.1)
    ]])
}

fn code(s: &str) -> InseeCode {
    s.parse().unwrap()
}

/// Four communes in a row, 0.1° wide (about 8 km) at latitude 44: 81001, 81002 (EPCI A),
/// 81003, 12001 (EPCI B). A territory `cpts:test` = 81001 + 81002.
pub const ZONES: &str = "acteur;zone
# commune list, EPCI, département
finess:1;communes:81001,81002
finess:2;epci:200000002
finess:3;departement:81
finess:999;communes:81001
finess:4;epci:999999999
";

const ZONES_GEOJSON: &str = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"acteur": "finess:5"},
 "geometry": {"type": "Polygon", "coordinates": [[[2.0, 44.0], [2.05, 44.0], [2.05, 44.1], [2.0, 44.1], [2.0, 44.0]]]}}
]}"#;

fn dataset() -> Dataset {
    let mut ds = Dataset::new();
    let k = |id: &str| ds.kinds.by_id(id).unwrap();
    let (ssiad, dac, clic, msp, ccas, pharmacie) = (
        k("ssiad"),
        k("dac"),
        k("clic"),
        k("msp"),
        k("ccas"),
        k("pharmacie"),
    );
    let source = ds.next_source_id();
    let mut communes = Vec::new();
    for (i, (c, name, epci)) in [
        ("81001", "Un", "200000001"),
        ("81002", "Deux", "200000001"),
        ("81003", "Trois", "200000002"),
        ("12001", "Quatre", "200000002"),
    ]
    .iter()
    .enumerate()
    {
        let mut cm = Commune::new(code(c), *name);
        cm.geometry = square(2.0 + 0.1 * i as f64, 44.0);
        cm.population = Some(1000 * (i as u64 + 1));
        cm.epci = Some(epci.to_string());
        cm.postcodes = vec![format!("{}0", &c[..4])];
        communes.push(cm);
    }
    // centre of commune i: (2.05 + 0.1 i, 44.05)
    let mk = |id: &str, name: &str, kind, i: usize, phone: &str| {
        let mut r = ActorRecord::new(id, name, kind, source);
        r.position = Some(LonLat::new(2.05 + 0.1 * i as f64, 44.05));
        r.precision = Precision::Address;
        r.commune = Some(communes[i].code);
        r.phone = Some(phone.into());
        r
    };
    let actors = vec![
        mk("finess:1", "SSIAD Un-Deux", ssiad, 0, "05 00 00 00 01"),
        mk("finess:2", "SSIAD Trois-Quatre", ssiad, 2, "05 00 00 00 02"),
        mk("finess:3", "DAC <81>", dac, 1, "05 00 00 00 03"),
        mk(
            "finess:4",
            "SSIAD sans zone valable",
            ssiad,
            3,
            "05 00 00 00 04",
        ),
        mk("finess:5", "CLIC ouest", clic, 0, "05 00 00 00 05"),
        mk("finess:6", "MSP Un", msp, 0, "05 00 00 00 06"),
        mk("finess:7", "MSP Deux", msp, 1, "05 00 00 00 07"),
        mk("finess:8", "MSP Quatre", msp, 3, "05 00 00 00 08"),
        mk("ccas:81002", "CCAS de Deux", ccas, 1, "05 00 00 00 09"),
        mk(
            "finess:9",
            "Pharmacie Trois",
            pharmacie,
            2,
            "05 00 00 00 10",
        ),
    ];
    let mut report = FileReport::new("fixture", maillage::sources::finess::FORMAT);
    report.accepted = actors.len();
    ds.add(
        Imported {
            actors,
            communes,
            territories: vec![Territory {
                id: "cpts:test".into(),
                name: "CPTS test".into(),
                kind: TerritoryKind::Cpts,
                communes: vec![code("81001"), code("81002")],
                declared_population: None,
            }],
            ..Imported::default()
        },
        report,
    );
    ds.load_bytes("zones.csv", maillage::sources::zones::CSV, ZONES.as_bytes())
        .unwrap();
    ds.load_bytes(
        "zones.geojson",
        maillage::sources::zones::GEOJSON,
        ZONES_GEOJSON.as_bytes(),
    )
    .unwrap();
    ds
}

fn directory() -> Directory {
    Directory::build(dataset())
}

fn ids(dir: &Directory, found: &[(u32, String)]) -> Vec<String> {
    found
        .iter()
        .map(|(i, _)| dir.actor(*i).id().to_string())
        .collect()
}

fn centre(i: usize) -> LonLat {
    LonLat::new(2.05 + 0.1 * i as f64, 44.05)
}

#[test]
fn zone_files_are_detected_by_content() {
    assert_eq!(
        maillage::sources::detect("z.csv", ZONES.as_bytes()),
        Some(maillage::sources::zones::CSV)
    );
    assert_eq!(
        maillage::sources::detect("z.geojson", ZONES_GEOJSON.as_bytes()),
        Some(maillage::sources::zones::GEOJSON)
    );
}

#[test]
fn unknown_actor_and_unresolvable_zone_are_rejected_and_counted() {
    let dir = directory();
    let r = dir
        .reports()
        .iter()
        .find(|r| r.file == "zones.csv")
        .unwrap();
    assert_eq!(r.accepted, 3, "{:?}", r.rejections);
    assert_eq!(r.rejected, 2);
    let msgs: Vec<String> = r.rejections.iter().map(|x| x.to_string()).collect();
    assert!(msgs[0].starts_with("zones.csv:6: acteur:"), "{msgs:?}");
    assert!(msgs[0].contains("finess:999"), "{msgs:?}");
    assert!(msgs[1].starts_with("zones.csv:7: zone:"), "{msgs:?}");
    assert!(msgs[1].contains("EPCI 999999999 inconnu"), "{msgs:?}");
    assert!(dir.service_area(dir.find("finess:4").unwrap()).is_none());
}

#[test]
fn competent_by_each_kind_of_area() {
    let dir = directory();
    let ssiad = dir.kinds().by_id("ssiad").unwrap();
    // Commune list: 81001 and 81002; département: all; EPCI B: 81003 + 12001.
    let at = |i: usize, c: &str| dir.competent(Some(centre(i)), Some(code(c)), None);
    assert_eq!(
        ids(&dir, &at(0, "81001")),
        vec!["finess:1", "finess:3", "finess:5"]
    );
    assert_eq!(
        ids(&dir, &at(1, "81002")),
        vec!["ccas:81002", "finess:1", "finess:3"]
    );
    assert_eq!(ids(&dir, &at(2, "81003")), vec!["finess:2", "finess:3"]);
    // 12001 is not in département 81.
    assert_eq!(ids(&dir, &at(3, "12001")), vec!["finess:2"]);
    // Kind filter and the commune found from the point alone.
    let only = dir.competent(Some(centre(2)), None, Some(&[ssiad]));
    assert_eq!(ids(&dir, &only), vec!["finess:2"]);
    // Reasons.
    let r = at(0, "81001");
    assert_eq!(
        r[0].1,
        "zone d'intervention : commune 81001 (parmi 2 communes)"
    );
    assert_eq!(r[1].1, "zone d'intervention : département 81 (Tarn)");
    assert_eq!(r[2].1, "zone d'intervention : zone dessinée");
    let ccas = at(1, "81002");
    assert_eq!(ccas[0].1, "compétence communale : commune 81002 (Deux)");
    assert_eq!(at(2, "81003")[0].1, "zone d'intervention : EPCI 200000002");
}

#[test]
fn drawn_area_is_tested_exactly() {
    let dir = directory();
    let clic = dir.kinds().by_id("clic").unwrap();
    // Inside the drawn rectangle (west half of 81001), then east half: same commune.
    let west = dir.competent(Some(LonLat::new(2.02, 44.05)), None, Some(&[clic]));
    let east = dir.competent(Some(LonLat::new(2.08, 44.05)), None, Some(&[clic]));
    assert_eq!(ids(&dir, &west), vec!["finess:5"]);
    assert!(east.is_empty());
    let area = dir.service_area(dir.find("finess:5").unwrap()).unwrap();
    assert_eq!(area.parts.len(), 1);
    assert!(area.communes().is_empty());
}

const HEAD: &str = "id = \"p\"\ntitre = \"P\"\nversion = \"1\"\ndate = \"2026-05-01\"\n";

fn procedure(body: &str) -> maillage::orientation::Procedure {
    parse(&format!("{HEAD}{body}"), "p.toml").unwrap()
}

fn at_commune(dir: &Directory, c: &str) -> maillage::orientation::Place {
    locate(dir, &PlaceQuery::Commune(code(c))).unwrap()
}

fn chosen(o: &maillage::orientation::Orientation, step: usize) -> Vec<String> {
    o.etapes[step]
        .acteurs
        .iter()
        .map(|a| a.id.clone())
        .collect()
}

#[test]
fn rule_competent() {
    let dir = directory();
    let p = procedure("[[etapes]]\nid = \"s\"\ntypes = [\"ssiad\"]\nchoix = \"competent\"\n");
    let o = evaluate(&dir, &p, &at_commune(&dir, "81002"), None);
    assert_eq!(chosen(&o, 0), vec!["finess:1"]);
    assert_eq!(o.etapes[0].resultat, Outcome::Found);
    assert_eq!(
        o.etapes[0].acteurs[0].telephone.as_deref(),
        Some("05 00 00 00 01")
    );
    assert!(o.etapes[0].acteurs[0].raison.contains("commune 81002"));
    // From the centre of 81002 to the SSIAD in 81001: 0.1° of longitude at 44.05° N.
    let d = o.etapes[0].acteurs[0].distance_m.unwrap();
    assert!((7_900.0..8_100.0).contains(&d), "{d}");
}

#[test]
fn rule_nearest_with_count_and_radius() {
    let dir = directory();
    let p = procedure(
        "[[etapes]]\nid = \"m\"\ntypes = [\"msp\"]\nchoix = \"plus_proche\"\nrayon_km = 20\nnombre = 2\n\
         [[etapes]]\nid = \"un\"\ntypes = [\"msp\"]\nchoix = \"plus_proche\"\nrayon_km = 5\n",
    );
    let o = evaluate(&dir, &p, &at_commune(&dir, "81003"), None);
    // From 81003: MSP Deux and MSP Quatre are both ~8 km away (ties by id), MSP Un ~16 km.
    let mut two = chosen(&o, 0);
    two.sort();
    assert_eq!(two, vec!["finess:7", "finess:8"]);
    assert!(o.etapes[0].acteurs[0]
        .raison
        .starts_with("la plus proche : "));
    assert!(o.etapes[0]
        .remarque
        .as_deref()
        .unwrap()
        .starts_with("3 structures"));
    // Nothing within 5 km, and no fallback.
    assert_eq!(o.etapes[1].resultat, Outcome::Nothing);
    assert!(o.etapes[1]
        .remarque
        .as_deref()
        .unwrap()
        .contains("à moins de 5 km"));
}

#[test]
fn rule_all_within_radius() {
    let dir = directory();
    let p = procedure(
        "[[etapes]]\nid = \"m\"\ntypes = [\"msp\", \"pharmacie\"]\nchoix = \"tous_dans_rayon\"\nrayon_km = 12\n",
    );
    let o = evaluate(&dir, &p, &at_commune(&dir, "81002"), None);
    let all = chosen(&o, 0);
    assert_eq!(all[0], "finess:7", "at the centre");
    let mut rest = all[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        vec!["finess:6", "finess:9"],
        "8 km away; MSP Quatre at 16 km is out"
    );
    let d: Vec<f64> = o.etapes[0]
        .acteurs
        .iter()
        .map(|a| a.distance_m.unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
}

#[test]
fn rule_named_actor() {
    let dir = directory();
    let p = procedure("[[etapes]]\nid = \"d\"\nchoix = \"acteur\"\nacteurs = [\"finess:3\"]\n");
    let o = evaluate(&dir, &p, &at_commune(&dir, "12001"), None);
    assert_eq!(chosen(&o, 0), vec!["finess:3"]);
    assert_eq!(o.etapes[0].acteurs[0].raison, "désignée par la procédure");
}

#[test]
fn criteria_edges() {
    let dir = directory();
    let p = procedure(
        "[criteres]\nage_min = 60\nage_max = 90\nterritoires = [\"cpts:test\"]\n\
         [[etapes]]\nid = \"s\"\ntypes = [\"ssiad\"]\nchoix = \"competent\"\n",
    );
    let home = at_commune(&dir, "81001");
    for (age, ok) in [(59, false), (60, true), (90, true), (91, false)] {
        let o = evaluate(&dir, &p, &home, Some(age));
        assert_eq!(o.applicable, ok, "age {age}");
        if !ok {
            assert!(o.etapes.is_empty());
            assert_eq!(
                o.motif.as_deref().unwrap(),
                format!(
                    "le patient a {age} ans : cette procédure concerne les patients de 60 à 90 ans"
                )
            );
        }
    }
    // Unknown age: applies, with a warning.
    let o = evaluate(&dir, &p, &home, None);
    assert!(o.applicable);
    assert!(o.avertissements[0].starts_with("âge non précisé"));
    // Outside the territory.
    let o = evaluate(&dir, &p, &at_commune(&dir, "81003"), Some(70));
    assert!(!o.applicable);
    assert!(o
        .motif
        .unwrap()
        .starts_with("la commune Trois (81003) est hors du territoire de cette procédure"));
    // A point outside every commune.
    let far = locate(&dir, &PlaceQuery::Point(LonLat::new(5.0, 45.0))).unwrap();
    let o = evaluate(&dir, &p, &far, Some(70));
    assert!(!o.applicable);
}

#[test]
fn step_age_condition() {
    let dir = directory();
    let p = procedure(
        "[[etapes]]\nid = \"a\"\ntypes = [\"ssiad\"]\nchoix = \"competent\"\nage_min = 13\n",
    );
    let o = evaluate(&dir, &p, &at_commune(&dir, "81001"), Some(12));
    assert_eq!(o.etapes[0].resultat, Outcome::NotApplicable);
    assert!(o.etapes[0].acteurs.is_empty());
    let o = evaluate(&dir, &p, &at_commune(&dir, "81001"), Some(13));
    assert_eq!(o.etapes[0].resultat, Outcome::Found);
}

#[test]
fn fallback_chain() {
    let dir = directory();
    let p = procedure(
        "[[etapes]]\nid = \"clic\"\ntypes = [\"clic\"]\nchoix = \"competent\"\nsi_aucun = \"msp-5\"\n\
         [[etapes]]\nid = \"msp-5\"\nsecours = true\ntypes = [\"msp\"]\nchoix = \"plus_proche\"\nrayon_km = 5\nsi_aucun = \"dac\"\n\
         [[etapes]]\nid = \"dac\"\nsecours = true\ntitre = \"Le DAC\"\nchoix = \"acteur\"\nacteurs = [\"finess:3\"]\nmessage = \"Appeler le DAC\"\n",
    );
    // In 81001 (west half) the drawn CLIC area applies.
    let west = locate(&dir, &PlaceQuery::Point(LonLat::new(2.02, 44.05))).unwrap();
    let o = evaluate(&dir, &p, &west, None);
    assert_eq!(
        o.etapes.len(),
        1,
        "fallback steps are not listed on their own"
    );
    assert_eq!(o.etapes[0].resultat, Outcome::Found);
    assert_eq!(chosen(&o, 0), vec!["finess:5"]);
    // In 81003: no CLIC, no MSP within 5 km of its centre, so the DAC.
    let o = evaluate(&dir, &p, &at_commune(&dir, "81003"), None);
    assert_eq!(o.etapes[0].resultat, Outcome::Fallback);
    assert_eq!(chosen(&o, 0), vec!["finess:3"]);
    let f = o.etapes[0].secours.as_ref().unwrap();
    assert_eq!(
        (f.id.as_str(), f.message.as_deref()),
        ("dac", Some("Appeler le DAC"))
    );
    assert!(o.etapes[0]
        .remarque
        .as_deref()
        .unwrap()
        .contains("« Le DAC » appliquée"));
    // In 81002 the MSP of 81002 is at the centre: the first fallback answers.
    let o = evaluate(&dir, &p, &at_commune(&dir, "81002"), None);
    assert_eq!(o.etapes[0].secours.as_ref().unwrap().id, "msp-5");
    assert_eq!(chosen(&o, 0), vec!["finess:7"]);
}

#[test]
fn checks_against_the_directory() {
    let dir = directory();
    let text = format!(
        "{HEAD}[criteres]\nterritoires = [\"cpts:nulle-part\"]\ncommunes = [\"81999\"]\n\
         [[etapes]]\nid = \"a\"\ntypes = [\"ssiad\", \"licorne\"]\nchoix = \"competent\"\n\
         [[etapes]]\nid = \"b\"\nchoix = \"acteur\"\nacteurs = [\"finess:3\", \"finess:404\"]\n\
         [[etapes]]\nid = \"c\"\ntypes = [\"ehpad\"]\nchoix = \"plus_proche\"\nrayon_km = 10\n"
    );
    let p = parse(&text, "p.toml").unwrap();
    let problems: Vec<String> = maillage::orientation::check::check(&p, &dir)
        .iter()
        .map(|p| p.to_string())
        .collect();
    let expect = [
        "p.toml:7: criteres.communes : commune 81999 inconnue",
        "p.toml:6: criteres.territoires : territoire « cpts:nulle-part » inconnu",
        "p.toml:10: étape « a » : type inconnu « licorne »",
        "p.toml:15: étape « b » : acteur inconnu « finess:404 »",
        "p.toml:18: attention : étape « c » : aucun acteur de type « ehpad »",
    ];
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    for (got, want) in problems.iter().zip(expect) {
        assert!(got.starts_with(want), "{got}\n  expected: {want}");
    }
}

#[test]
fn overlapping_criteria_for_one_situation() {
    let dir = directory();
    let mk = |id: &str, crit: &str| {
        parse(
            &format!(
                "id = \"{id}\"\ntitre = \"T\"\nsituation = \"psy\"\nversion = \"1\"\ndate = \"2026-01-01\"\n{crit}\n[[etapes]]\nid = \"a\"\nchoix = \"acteur\"\nacteurs = [\"finess:3\"]\n"
            ),
            &format!("{id}.toml"),
        )
        .unwrap()
    };
    let teen = mk("ado", "[criteres]\nage_min = 11\nage_max = 17");
    let adult = mk("adulte", "[criteres]\nage_min = 18");
    let young = mk(
        "jeune",
        "[criteres]\nage_min = 16\nage_max = 25\nterritoires = [\"cpts:test\"]",
    );
    let east = mk("est", "[criteres]\nage_min = 16\ncommunes = [\"81003\"]");
    use maillage::orientation::check::check_set;
    assert!(check_set(&[&teen, &adult], &dir).is_empty());
    let e = check_set(&[&teen, &adult, &young], &dir);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0]
        .to_string()
        .starts_with("jeune.toml:6: criteres : chevauchent ceux de « ado » (ado.toml) pour la situation « psy » : âges 16 à 17 ans"));
    // Disjoint territories do not overlap.
    assert!(check_set(&[&young, &east], &dir).is_empty());
    // Same id twice.
    let e = check_set(&[&teen, &teen], &dir);
    assert!(e[0].to_string().contains("déjà définie dans ado.toml"));
}

#[test]
fn address_is_reduced_to_its_commune() {
    let dir = directory();
    let p = locate(&dir, &PlaceQuery::Address("3 rue Haute, 81002 Deux".into())).unwrap();
    assert_eq!(p.commune, Some(code("81002")));
    assert!(p.notes[0].contains("géocodage à l'adresse pas encore disponible"));
    // Postcode 81000 is shared by 81001, 81002 and 81003 (fixture): ambiguous, said so.
    let p = locate(&dir, &PlaceQuery::Address("81000".into())).unwrap();
    assert_eq!(p.commune, Some(code("81003")), "the most populous");
    assert!(p
        .notes
        .iter()
        .any(|n| n.starts_with("adresse ambiguë : 3 communes")));
    assert!(locate(&dir, &PlaceQuery::Address("Paris".into())).is_err());
}

#[test]
fn printable_sheet_lists_phones_and_escapes_text() {
    let dir = directory();
    let p = parse(
        "id = \"p\"\ntitre = \"Sortie <script>alert(1)</script>\"\nversion = \"1\"\ndate = \"2026-05-01\"\nexemple = true\n\
         [[etapes]]\nid = \"s\"\ntypes = [\"ssiad\"]\nchoix = \"competent\"\ndocuments = [\"Ordonnance & compte rendu\"]\n\
         [[etapes]]\nid = \"dac\"\nchoix = \"acteur\"\nacteurs = [\"finess:3\"]\n",
        "p.toml",
    )
    .unwrap();
    let html = sheet::render(&dir, &p, code("81002"), "http://maillage.test").unwrap();
    assert!(html.contains("05 00 00 00 01"), "SSIAD phone");
    assert!(!html.contains("<script>"));
    assert!(html.contains("Sortie &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Ordonnance &amp; compte rendu"));
    assert!(html.contains("http://maillage.test/orientation/p/81002"));
    assert!(html.contains("<svg"), "QR code");
    assert!(html.contains("size: A4"));
    assert!(html.contains("EXEMPLE"));
    assert!(html.contains("05 00 00 00 03"), "DAC phone");
    assert!(html.contains("DAC &lt;81&gt;"));
    assert!(!html.contains("DAC <81>"));
    // Another commune, another SSIAD.
    let html = sheet::render(&dir, &p, code("12001"), "http://x").unwrap();
    assert!(html.contains("05 00 00 00 02"));
    assert!(!html.contains("05 00 00 00 01"));
    assert!(sheet::render(&dir, &p, code("75056"), "http://x").is_err());
}

#[test]
fn batch_writes_one_sheet_per_commune() {
    let dir = directory();
    let p = procedure("[[etapes]]\nid = \"s\"\ntypes = [\"ssiad\"]\nchoix = \"competent\"\n");
    let out = tempfile::tempdir().unwrap();
    let written = sheet::write_territory(&dir, &p, "cpts:test", "http://x", out.path()).unwrap();
    assert_eq!(written.len(), 2);
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["p-81001-un.html", "p-81002-deux.html"]);
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(index.contains("p-81002-deux.html"));
    assert!(sheet::write_territory(&dir, &p, "cpts:nope", "http://x", out.path()).is_err());
}

const GOOD: &str = "id = \"un\"\ntitre = \"Version 1\"\nversion = \"1\"\ndate = \"2026-05-01\"\n[[etapes]]\nid = \"a\"\nchoix = \"acteur\"\nacteurs = [\"finess:3\"]\n";

#[test]
fn reload_keeps_the_working_version_of_a_broken_file() {
    let dir = directory();
    let folder = tempfile::tempdir().unwrap();
    let f1 = folder.path().join("un.toml");
    let f2 = folder.path().join("deux.toml");
    std::fs::write(&f1, GOOD).unwrap();
    std::fs::write(&f2, GOOD.replace("\"un\"", "\"deux\"")).unwrap();
    std::fs::write(folder.path().join("MODELE.toml"), "ignored = [").unwrap();
    let (set, problems) = ProcedureSet::load_folder(folder.path(), &dir, None).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(set.len(), 2);

    // Break un.toml (syntax) and deux.toml (unknown actor); add a broken new file.
    std::fs::write(
        &f1,
        GOOD.replace("titre = \"Version 1\"", "titre = \"Version 2"),
    )
    .unwrap();
    std::fs::write(
        &f2,
        GOOD.replace("\"un\"", "\"deux\"")
            .replace("finess:3", "finess:404"),
    )
    .unwrap();
    std::fs::write(folder.path().join("trois.toml"), "id = 3\n").unwrap();
    let (set2, problems) = set.reload(&dir).unwrap();
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let name = |f: &str| folder.path().join(f).display().to_string();
    assert!(
        text.iter()
            .any(|t| t.starts_with(&format!("{}:2: ", name("un.toml")))),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.starts_with(&format!(
            "{}:8: étape « a » : acteur inconnu « finess:404 »",
            name("deux.toml")
        ))),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with(&format!("{}:1: ", name("trois.toml")))),
        "{text:#?}"
    );
    assert!(text
        .iter()
        .any(|t| t.contains("la version précédente de « un » (version 1) reste en service")));
    // Both old versions kept; the new broken file is left out.
    assert_eq!(set2.len(), 2);
    assert_eq!(set2.get("un").unwrap().title, "Version 1");
    assert!(set2.get("deux").is_some());

    // Fixed: the new version replaces the old one.
    std::fs::write(&f1, GOOD.replace("Version 1", "Version 3")).unwrap();
    std::fs::remove_file(folder.path().join("trois.toml")).unwrap();
    let (set3, _) = set2.reload(&dir).unwrap();
    assert_eq!(set3.get("un").unwrap().title, "Version 3");
}

#[test]
fn demo_procedures_work_out_of_the_box() {
    let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
    let zones = dir
        .reports()
        .iter()
        .find(|r| r.format == maillage::sources::zones::CSV)
        .expect("demo zones file");
    assert_eq!(zones.rejected, 0, "{:?}", zones.rejections);
    assert!(zones.sample);
    let (set, problems) = ProcedureSet::demo(&dir);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(set.len(), 3);
    assert!(set.iter().all(|p| p.sample));
    // The template is a valid procedure too.
    let t = parse(maillage::orientation::set::TEMPLATE, "MODELE.toml").unwrap();
    assert!(maillage::orientation::check::check(&t, &dir).is_empty());

    let gaillac = at_commune(&dir, "81099");
    let o = evaluate(
        &dir,
        set.get("perte-autonomie-domicile").unwrap(),
        &gaillac,
        Some(84),
    );
    assert!(o.applicable);
    assert_eq!(
        chosen(&o, 0),
        vec!["finess:819001314"],
        "CLIC du Gaillacois"
    );
    assert_eq!(
        chosen(&o, 1),
        vec!["finess:819001256"],
        "SSIAD du Gaillacois"
    );
    // Monts d'Alban (CC 200034031) have no CLIC: fallback to the DAC.
    let alban: InseeCode = dir
        .communes()
        .all()
        .iter()
        .find(|c| c.epci.as_deref() == Some("200034031"))
        .unwrap()
        .code;
    let o = evaluate(
        &dir,
        set.get("perte-autonomie-domicile").unwrap(),
        &at_commune(&dir, alban.as_str()),
        Some(84),
    );
    assert_eq!(o.etapes[0].resultat, Outcome::Fallback);
    assert_eq!(chosen(&o, 0), vec!["finess:819001520"]);
    // Every demo procedure answers something at every step for Gaillac.
    for p in set.iter() {
        let age = p.criteria.age_min.map(|a| a + 1);
        let o = evaluate(&dir, p, &gaillac, age);
        assert!(o.applicable, "{}: {:?}", p.id, o.motif);
        for e in &o.etapes {
            assert!(
                !e.acteurs.is_empty() || e.resultat == Outcome::NotApplicable,
                "{} / {}: {:?}",
                p.id,
                e.id,
                e.remarque
            );
        }
    }
    // The CCAS of Gaillac is competent for Gaillac only (implicit communal area).
    let ccas = dir.kinds().by_id("ccas").unwrap();
    let found = dir.competent(None, Some(code("81099")), Some(&[ccas]));
    assert_eq!(ids(&dir, &found), vec!["ccas:81099"]);
}

#[test]
fn partner_zone_column_and_local_edits() {
    let mut ds = dataset();
    let ssiad = ds.kinds.by_id("ssiad").unwrap();
    let source = ds.next_source_id();
    let mut r = ActorRecord::new("local:ssiad-est", "SSIAD partenaire", ssiad, source);
    r.commune = Some(code("81003"));
    r.position = Some(centre(2));
    r.precision = Precision::Address;
    r.tags = vec!["zone:Un, 81003, Nulle-Part".into()];
    let mut report = FileReport::new("partenaires.csv", maillage::sources::partners::FORMAT);
    report.accepted = 1;
    ds.add(
        Imported {
            actors: vec![r.clone()],
            ..Imported::default()
        },
        report,
    );
    let dir = Directory::build(ds);
    let i = dir.find("local:ssiad-est").unwrap();
    let area = dir.service_area(i).unwrap();
    assert_eq!(area.communes(), vec![code("81001"), code("81003")]);
    let rep = dir
        .reports()
        .iter()
        .find(|r| r.file == "partenaires.csv")
        .unwrap();
    assert!(
        rep.notes
            .iter()
            .any(|n| n.contains("non reconnu : Nulle-Part")),
        "{:?}",
        rep.notes
    );
    let found = dir.competent(None, Some(code("81001")), Some(&[ssiad]));
    assert_eq!(ids(&dir, &found), vec!["finess:1", "local:ssiad-est"]);

    // An edit of the local actors re-indexes their areas, official ones unchanged.
    r.tags = vec!["zone:communes:12001".into()];
    let edited = dir.with_local_actors(vec![r]);
    let found = edited.competent(None, Some(code("81001")), Some(&[ssiad]));
    assert_eq!(ids(&edited, &found), vec!["finess:1"]);
    let found = edited.competent(None, Some(code("12001")), Some(&[ssiad]));
    assert_eq!(ids(&edited, &found), vec!["finess:2", "local:ssiad-est"]);
}
