//! Commune and territory importers on the real open data of `../shared/data`.
//!
//! Run with `cargo test --test real_communes -- --ignored`.

use std::collections::{HashMap, HashSet};

use maillage::model::{InseeCode, TerritoryKind};
use maillage::sources::{detect, Dataset, Format};

macro_rules! shared {
    ($path:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/", $path)
    };
}

fn load(ds: &mut Dataset, path: &str, expected: Format) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(detect(path, &bytes), Some(expected), "{path}");
    ds.load_bytes(path, expected, &bytes).unwrap();
}

/// COG 2018 codes merged into communes nouvelles after 2018 (PROVENANCE.md § 1).
const MERGED_SINCE_2018: [&str; 5] = ["81226", "81241", "81260", "81296", "81301"];

#[test]
#[ignore = "needs ../shared/data"]
fn tarn_outlines_join_cog_2026_populations() {
    let mut ds = Dataset::new();
    load(
        &mut ds,
        shared!("geo/communes-81-tarn.geojson"),
        maillage::sources::communes_geojson::FORMAT,
    );
    let geo = &ds.reports[0];
    assert_eq!((geo.accepted, geo.rejected), (319, 0));
    assert_eq!(ds.communes.len(), 319);
    assert!(ds.communes.iter().all(|c| !c.geometry.0.is_empty()));

    load(
        &mut ds,
        shared!("admin/communes_occitanie_decoupage_admin_v6.csv"),
        maillage::sources::decoupage::COMMUNES_CSV,
    );
    let csv = &ds.reports[1];
    assert_eq!(csv.rejected, 0, "{:?}", csv.rejections);
    assert_eq!(csv.accepted, 4606);

    let tarn: Vec<_> = ds
        .communes
        .iter()
        .filter(|c| c.departement == "81")
        .collect();
    let with_outline: HashSet<&str> = tarn
        .iter()
        .filter(|c| !c.geometry.0.is_empty())
        .map(|c| c.code.as_str())
        .collect();
    let with_population: HashSet<&str> = tarn
        .iter()
        .filter(|c| c.population.is_some())
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(with_population.len(), 314);
    // The 2018 outlines cover every 2026 commune but five merged codes have no population.
    let mut missing: Vec<&str> = with_outline.difference(&with_population).copied().collect();
    missing.sort();
    assert_eq!(missing, MERGED_SINCE_2018);
    assert!(with_population.is_subset(&with_outline));

    // Every Tarn commune has an EPCI; each EPCI territory lists exactly its communes.
    let pop: HashMap<InseeCode, u64> = ds
        .communes
        .iter()
        .filter_map(|c| Some((c.code, c.population?)))
        .collect();
    let epci: Vec<_> = ds
        .territories
        .iter()
        .filter(|t| t.kind == TerritoryKind::Epci)
        .collect();
    assert_eq!(epci.len(), 164);
    for c in ds.communes.iter().filter(|c| c.population.is_some()) {
        let siren = c
            .epci
            .as_deref()
            .unwrap_or_else(|| panic!("{} sans EPCI", c.code));
        let t = epci
            .iter()
            .find(|t| t.id == format!("epci:{siren}"))
            .unwrap();
        assert!(t.communes.contains(&c.code));
    }
    let members: usize = epci.iter().map(|t| t.communes.len()).sum();
    assert_eq!(members, 4446, "each current commune in exactly one EPCI");
    let all_pop: u64 = pop.values().sum();
    let epci_pop: u64 = epci
        .iter()
        .map(|t| t.communes.iter().map(|c| pop[c]).sum::<u64>())
        .sum();
    assert_eq!(epci_pop, all_pop);

    // The EPCI file: declared population equals the sum of its members' populations as
    // published in the same file, and lies within 3 % of the COG 2026 sum.
    let epci_path = shared!("admin/epci_occitanie_decoupage_admin_v6.json");
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(epci_path).unwrap()).unwrap();
    let published: HashMap<String, u64> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let sum = e["membres"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["populationMunicipale"].as_u64().unwrap())
                .sum();
            (format!("epci:{}", e["code"].as_str().unwrap()), sum)
        })
        .collect();
    load(&mut ds, epci_path, maillage::sources::decoupage::EPCI_JSON);
    let rep = ds.reports.last().unwrap();
    assert_eq!((rep.accepted, rep.rejected), (164, 0));
    let epci: Vec<_> = ds
        .territories
        .iter()
        .filter(|t| t.kind == TerritoryKind::Epci)
        .collect();
    assert_eq!(epci.len(), 164);
    for t in &epci {
        let declared = t.declared_population.unwrap();
        assert_eq!(declared, published[&t.id], "{}", t.name);
        if !t.communes.iter().all(|c| pop.contains_key(c)) {
            continue; // members outside Occitanie: no population in the CSV
        }
        let cog: u64 = t.communes.iter().map(|c| pop[c]).sum();
        let gap = (cog as f64 - declared as f64).abs() / declared as f64;
        // The EPCI file counts an older census than the communes' COG 2026 populations.
        assert!(
            gap < 0.03,
            "{}: {declared} déclarés, {cog} au COG 2026",
            t.name
        );
    }
    let tarn_epci = epci
        .iter()
        .filter(|t| t.communes.iter().any(|c| c.departement() == "81"))
        .count();
    assert_eq!(tarn_epci, 16);
}

#[test]
#[ignore = "needs ../shared/data"]
fn cpts_tarn_ouest() {
    let mut ds = Dataset::new();
    load(
        &mut ds,
        shared!("admin/communes_occitanie_decoupage_admin_v6.csv"),
        maillage::sources::decoupage::COMMUNES_CSV,
    );
    load(
        &mut ds,
        shared!("cpts/cpts_territoires_communes_occitanie.csv"),
        maillage::sources::territories::FORMAT,
    );
    let rep = ds.reports.last().unwrap();
    assert_eq!((rep.accepted, rep.rejected), (98, 0));

    let cpts: Vec<_> = ds
        .territories
        .iter()
        .filter(|t| t.kind == TerritoryKind::Cpts)
        .collect();
    assert_eq!(cpts.len(), 2);
    let ouest = cpts.iter().find(|t| t.name == "CPTS Tarn Ouest").unwrap();
    assert_eq!(ouest.id, "cpts:cpts-tarn-ouest");
    assert_eq!(ouest.communes.len(), 50);
    assert_eq!(ouest.declared_population, Some(53_765));
    assert!(ouest.communes.iter().all(|c| c.departement() == "81"));
    let pop: HashMap<InseeCode, u64> = ds
        .communes
        .iter()
        .filter_map(|c| Some((c.code, c.population?)))
        .collect();
    let cog: u64 = ouest.communes.iter().map(|c| pop[c]).sum();
    assert_eq!(cog, 54_800);

    let alaric = cpts
        .iter()
        .find(|t| t.name.starts_with("CPTS Alaric"))
        .unwrap();
    assert_eq!(alaric.communes.len(), 48);
    let cog: u64 = alaric.communes.iter().map(|c| pop[c]).sum();
    assert_eq!(cog, 46_897);
}

#[test]
#[ignore = "needs ../shared/data"]
fn occitanie_outlines() {
    let mut ds = Dataset::new();
    load(
        &mut ds,
        shared!("geo/communes-occitanie.geojson"),
        maillage::sources::communes_geojson::FORMAT,
    );
    let rep = &ds.reports[0];
    assert_eq!((rep.accepted, rep.rejected), (4485, 0));
    let deps: HashSet<&str> = ds.communes.iter().map(|c| c.departement.as_str()).collect();
    assert_eq!(deps.len(), 13);
}
