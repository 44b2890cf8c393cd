//! The DREES SAE 2021 tables of `../shared/data/sae` through the load pipeline, with and
//! without a FINESS extract: CH Albi (FINESS géographique 810000505).
//!
//! Run with `cargo test --test real_sae -- --ignored`.

use std::path::Path;

use maillage::index::Directory;
use maillage::model::Precision;

const SAE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/sae");
const TARN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/geo/communes-81-tarn.geojson"
);

/// CH Albi as FINESS publishes it (the row of the `finess` module's example).
const FINESS: &str = "finess;etalab;98;2026-05-12\n\
structureet;810000505;810000489;CH ALBI;CENTRE HOSPITALIER D'ALBI;;;22;BD;SIBILLE;;BP 111;\
004;81;TARN;81013 ALBI CEDEX 9;0563474747;;355;Centre Hospitalier (C.H.);1102;\
Centres Hospitaliers;;;;;;;;;2020-01-01;;\n\
geolocalisation;810000505;631628.59;6314801.5;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-05-01\n";

/// A data directory with the SAE tables and the Tarn's communes, plus FINESS when asked.
fn data_dir(with_finess: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(SAE).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(TARN, dir.path().join("communes-81.geojson")).unwrap();
    if with_finess {
        std::fs::write(dir.path().join("finess.csv"), FINESS).unwrap();
    }
    dir
}

fn load(dir: &Path) -> Directory {
    let mut log = Vec::new();
    let d = maillage::pipeline::directory(Some(dir), &mut log).unwrap();
    let log = String::from_utf8(log).unwrap();
    for r in d
        .reports()
        .iter()
        .filter(|r| r.format == maillage::sources::sae::FORMAT)
    {
        assert_eq!(r.rejected, 0, "{log}\n{:?}", r.rejections);
        assert!(r.accepted > 0, "{}", r.file);
    }
    d
}

/// Checks CH Albi and its activities; `name` is FINESS's when FINESS is loaded, the SAE's else.
fn check_albi(d: &Directory, name: &str) -> u32 {
    let i = d.find("finess:810000505").expect("CH Albi");
    let ch = d.actor(i);
    assert_eq!(ch.name(), name);
    assert_eq!(d.kinds().get(ch.kind()).id, "ch");
    assert_eq!(ch.commune().unwrap().as_str(), "81004");
    let tags: Vec<&str> = ch.tags().collect();
    for expected in [
        "Médecine : 159 lits, 8 places",
        "Chirurgie : 50 lits, 8 places",
        "Gynéco-Obstétrique : 24 lits",
        "Hospitalisation à domicile : 48 places",
        "Soins de longue durée : 74 lits",
    ] {
        assert!(tags.contains(&expected), "{expected} absent de {tags:?}");
    }
    assert_eq!(ch.capacity(), Some(159 + 8 + 50 + 8 + 24 + 48 + 74));

    // Activities are actors of their own kinds, at the hospital.
    for (activity, capacity) in [
        ("urgences", None),
        ("maternite", Some(24)),
        ("had", Some(48)),
        ("smur", None),
        ("usld", Some(74)),
    ] {
        let id = format!("sae:810000505:{activity}");
        let a = d.actor(d.find(&id).unwrap_or_else(|| panic!("{id}")));
        assert_eq!(a.position(), ch.position(), "{id}");
        assert_eq!(a.capacity(), capacity, "{id}");
    }
    // kind= finds the emergency department at the hospital's own position (with others of
    // Albi when every one stands at the commune's centre), and nothing of another kind.
    let urgences = d.kinds().by_id("sae-urgences").expect("kind sae-urgences");
    let here = d.within(ch.position().unwrap(), 1.0, Some(&[urgences]));
    assert!(here
        .iter()
        .any(|(i, _)| d.actor(*i).id() == "sae:810000505:urgences"));
    assert!(here.iter().all(|(i, _)| d.actor(*i).kind() == urgences));
    // The search finds the maternity by its name and town.
    let hits = d.search("maternité ch albi", 10);
    assert!(
        hits.iter().any(|h| h.id == "sae:810000505:maternite"),
        "{hits:?}"
    );
    i
}

#[test]
#[ignore = "needs ../shared/data"]
fn ch_albi_without_finess_is_created_at_commune_precision() {
    let dir = data_dir(false);
    let d = load(dir.path());
    let i = check_albi(&d, "CH ALBI");
    let ch = d.actor(i);
    assert_eq!(ch.precision(), Precision::Commune);
    assert_eq!(ch.street(), Some("BOULEVARD SIBILLE"));
    let albi = d.commune("81004".parse().unwrap()).unwrap();
    assert_eq!(ch.position(), albi.centroid());
}

#[test]
#[ignore = "needs ../shared/data"]
fn ch_albi_with_finess_is_completed_not_duplicated() {
    let dir = data_dir(true);
    let d = load(dir.path());
    let i = check_albi(&d, "CENTRE HOSPITALIER D'ALBI");
    let ch = d.actor(i);
    assert_eq!(ch.precision(), Precision::Address);
    assert!((ch.position().unwrap().lat - 43.9289).abs() < 1e-3);
    assert_eq!(ch.phone(), Some("05 63 47 47 47"));
    assert_eq!(
        d.actors()
            .iter()
            .filter(|a| a.id() == "finess:810000505")
            .count(),
        1
    );
    let finess = d
        .reports()
        .iter()
        .position(|r| r.format == maillage::sources::finess::FORMAT)
        .unwrap();
    assert_eq!(ch.source().0 as usize, finess);
}

/// An HAD establishment (FINESS category 127) is not doubled by its own HAD activity.
#[test]
#[ignore = "needs ../shared/data"]
fn an_had_establishment_is_its_own_had_activity() {
    let dir = data_dir(false);
    let d = load(dir.path());
    let i = d
        .find("finess:810007989")
        .expect("HAD KORIAN PAYS D'OVALIE");
    assert_eq!(d.kinds().get(d.actor(i).kind()).id, "had");
    assert!(d.find("sae:810007989:had").is_none());
    assert!(d.actor(i).capacity().is_some());
}
