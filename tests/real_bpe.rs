//! The real INSEE BPE 2018 extract (Occitanie, health and social domain) from ../shared/data.

use std::collections::HashMap;

use maillage::sources::{detect, Dataset};

const BPE_2018: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/bpe/bpe2018_ensemble_occitanie_sante_social.csv"
);

/// Totals for one département, by an independent plain split of the CSV.
fn totals_from_csv(text: &str, dep: &str) -> HashMap<String, u32> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (i_dep, i_type, i_nb) = (at("DEP"), at("TYPEQU"), at("NB_EQUIP"));
    let mut totals = HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(';').collect();
        if f[i_dep] == dep {
            *totals.entry(f[i_type].to_string()).or_insert(0) += f[i_nb].parse::<u32>().unwrap();
        }
    }
    totals
}

#[test]
#[ignore = "needs ../shared/data"]
fn tarn_totals_match_provenance_and_an_independent_count() {
    let bytes = std::fs::read(BPE_2018).unwrap();
    assert_eq!(
        detect("bpe.csv", &bytes),
        Some(maillage::sources::bpe::ENSEMBLE)
    );
    let mut ds = Dataset::new();
    let report = ds
        .load_bytes(BPE_2018, maillage::sources::bpe::ENSEMBLE, &bytes)
        .unwrap()
        .clone();
    assert_eq!(report.rejected, 0, "{:?}", report.rejections.first());
    assert_eq!(report.accepted, 21_738, "every row is read");

    let mut loaded: HashMap<&str, u32> = HashMap::new();
    for c in ds
        .equipment_counts
        .iter()
        .filter(|c| c.commune.departement() == "81")
    {
        *loaded.entry(c.typequ.as_str()).or_insert(0) += c.count;
    }
    let independent = totals_from_csv(std::str::from_utf8(&bytes).unwrap(), "81");
    // Figures stated in PROVENANCE.md.
    for (code, stated) in [("D201", 370), ("D232", 945), ("D233", 426), ("D301", 141)] {
        assert_eq!(loaded.get(code).copied(), Some(stated), "{code} loaded");
        assert_eq!(
            independent.get(code).copied(),
            Some(stated),
            "{code} by plain split"
        );
    }
    // Every Tarn type agrees with the plain count, and the Tarn total is 3,412.
    assert_eq!(loaded.len(), independent.len());
    for (code, n) in &independent {
        assert_eq!(loaded.get(code.as_str()), Some(n), "{code}");
    }
    assert_eq!(loaded.values().sum::<u32>(), 3_412);

    // One count per (commune, type, year): IRIS rows were summed.
    let mut keys = std::collections::HashSet::new();
    for c in &ds.equipment_counts {
        assert!(
            keys.insert((c.commune, c.typequ.clone(), c.year)),
            "{c:?} twice"
        );
        assert_eq!(c.year, Some(2018));
    }
    let kinds = &ds.kinds;
    let gp = ds
        .equipment_counts
        .iter()
        .find(|c| c.typequ == "D201")
        .unwrap();
    assert_eq!(kinds.get(gp.kind.unwrap()).id, "medecin-generaliste");
}
