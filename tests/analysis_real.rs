//! The territorial diagnosis on real open data (Tarn, Occitanie): contours COG 2018,
//! populations COG 2026, BPE 2018 counts. Run with `cargo test --test analysis_real -- --ignored`.

use std::collections::BTreeMap;

use maillage::analysis::{diagnose, DiagnosticParams, Reach, SupplySource};
use maillage::index::Directory;
use maillage::sources::Dataset;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn load(contours: &str) -> Directory {
    let mut ds = Dataset::new();
    for (file, format) in [
        (contours, maillage::sources::communes_geojson::FORMAT),
        (
            "admin/communes_occitanie_decoupage_admin_v6.csv",
            maillage::sources::decoupage::COMMUNES_CSV,
        ),
        (
            "bpe/bpe2018_ensemble_occitanie_sante_social.csv",
            maillage::sources::bpe::ENSEMBLE,
        ),
    ] {
        let path = format!("{DATA}/{file}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        ds.load_bytes(&path, format, &bytes).unwrap();
    }
    Directory::build(ds)
}

fn tarn() -> Directory {
    load("geo/communes-81-tarn.geojson")
}

/// D201 counts per Tarn commune, summed straight from the BPE file.
fn bpe_d201_tarn() -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(format!(
        "{DATA}/bpe/bpe2018_ensemble_occitanie_sante_social.csv"
    ))
    .unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        if f[1] == "81" && f[5] == "D201" {
            *out.entry(f[2].to_string()).or_default() += f[6].parse::<u64>().unwrap();
        }
    }
    out
}

fn bpe_params(kinds: &[&str]) -> DiagnosticParams {
    DiagnosticParams {
        kinds: kinds.iter().map(|s| s.to_string()).collect(),
        source: SupplySource::Bpe,
        ..Default::default()
    }
}

#[test]
#[ignore = "needs ../shared/data"]
fn tarn_d201_counts_and_densities_match_the_bpe_file() {
    let dir = tarn();
    let c = diagnose(&dir, "81", &bpe_params(&["medecin-generaliste"])).unwrap();
    let d = &c.diagnostic;
    let expected = bpe_d201_tarn();
    assert_eq!(
        expected.values().sum::<u64>(),
        370,
        "PROVENANCE.md: Tarn D201 = 370"
    );
    let mut seen = 0u64;
    for r in &d.communes {
        let cell = &r.indicateurs[0];
        let n = cell.effectif.value().unwrap();
        assert_eq!(n, expected.get(&r.code).copied().unwrap_or(0), "{}", r.code);
        seen += n;
        match r.population {
            Some(p) if p > 0 => {
                let dens = cell.densite_10000.unwrap().value().unwrap();
                assert_eq!(dens, n as f64 * 10_000.0 / p as f64, "{}", r.code);
            }
            _ => assert!(cell.densite_10000.is_none()),
        }
    }
    // Every Tarn D201 is in a commune row (2018 contours and BPE share the COG).
    assert_eq!(seen, 370);
    // The territory total is the file's.
    assert_eq!(d.comparaisons[0].indicateurs[0].effectif.value(), Some(370));
    assert_eq!(d.comparaisons[0].niveau, "territoire");
    // Occitanie's other communes are loaded without outlines (populations only): its row
    // would describe the Tarn alone under Occitanie's population, so it is not shown, and the
    // reason is given with French thousands separators (issue 17 point 6).
    assert!(d.comparaisons.iter().all(|a| a.niveau != "region"));
    let occitanie = d
        .comparaisons_absentes
        .iter()
        .find(|m| m.niveau == "region" && m.code == "76")
        .expect("Occitanie absente avec sa raison");
    assert!(
        occitanie.motif.starts_with("non comparable : ") && occitanie.motif.contains('\u{a0}'),
        "{}",
        occitanie.motif
    );
    // Every row shown is on the territory's basis: its population is localised.
    for a in &d.comparaisons {
        let cov = &a.indicateurs[0].couverture;
        assert!(
            cov.population_unlocated as f64 <= 0.01 * a.population as f64,
            "{}",
            a.nom
        );
    }
}

#[test]
#[ignore = "needs ../shared/data"]
fn cog_mismatches_are_reported_by_name() {
    let dir = tarn();
    let c = diagnose(
        &dir,
        "dep:81",
        &bpe_params(&["medecin-generaliste", "infirmier"]),
    )
    .unwrap();
    let cog = &c.diagnostic.appariement_codes;
    let merged: Vec<(&str, &str)> = cog
        .outline_without_population
        .iter()
        .filter(|u| u.code.starts_with("81"))
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    assert_eq!(
        merged.iter().map(|m| m.0).collect::<Vec<_>>(),
        vec!["81226", "81241", "81260", "81296", "81301"]
    );
    assert!(merged.contains(&("81226", "Ronel")));
    // The warnings name them too.
    assert!(c
        .diagnostic
        .avertissements
        .iter()
        .any(|w| w.contains("Ronel (81226)")));
    // Populations of the other Occitanie départements have no contour here: the région row
    // would not be on the territory's basis, so it is replaced by its reason, which counts them.
    assert!(c
        .diagnostic
        .comparaisons
        .iter()
        .all(|a| a.niveau != "region"));
    let region = c
        .diagnostic
        .comparaisons_absentes
        .iter()
        .find(|a| a.niveau == "region")
        .unwrap();
    assert!(
        region.motif.contains("sans contour") && region.motif.contains(" habitants sur "),
        "{}",
        region.motif
    );
}

#[test]
#[ignore = "needs ../shared/data"]
fn coverage_is_monotone_and_fca_conserves_supply() {
    let dir = tarn();
    let mut last = 0;
    for km in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0] {
        let p = DiagnosticParams {
            coverage: Reach::Km(km),
            ..bpe_params(&["medecin-generaliste"])
        };
        let c = diagnose(&dir, "81", &p).unwrap();
        let cov = &c.diagnostic.comparaisons[0].indicateurs[0].couverture;
        assert!(
            cov.population_covered >= last,
            "{km} km: {} < {last}",
            cov.population_covered
        );
        assert_eq!(
            cov.population_covered + cov.population_uncovered + cov.population_unlocated,
            cov.population_total
        );
        last = cov.population_covered;
    }
    let c = diagnose(
        &dir,
        "81",
        &bpe_params(&["medecin-generaliste", "pharmacie"]),
    )
    .unwrap();
    for run in &c.runs {
        let sum: f64 = c
            .places
            .all()
            .iter()
            .zip(&run.accessibility)
            .map(|(p, a)| a.unwrap_or(0.0) * p.pop() as f64)
            .sum();
        assert!(
            (sum - run.info.offre_atteignant_population).abs() < 1e-6,
            "{}: Σ A·P = {sum}, supply reaching = {}",
            run.info.id,
            run.info.offre_atteignant_population
        );
        assert!(run.info.offre_atteignant_population <= run.info.offre_totale);
    }
}

#[test]
#[ignore = "needs ../shared/data"]
fn tarn_outputs_are_deterministic() {
    let dir = tarn();
    let p = bpe_params(&[]);
    let a = serde_json::to_string(&diagnose(&dir, "81", &p).unwrap().diagnostic).unwrap();
    let b = serde_json::to_string(&diagnose(&dir, "81", &p).unwrap().diagnostic).unwrap();
    assert_eq!(a, b);
    let dir2 = tarn();
    let c = serde_json::to_string(&diagnose(&dir2, "81", &p).unwrap().diagnostic).unwrap();
    assert_eq!(a, c);
}

#[test]
#[ignore = "needs ../shared/data"]
fn masking_hides_small_counts_and_their_densities() {
    let dir = tarn();
    let p = DiagnosticParams {
        mask_small: true,
        ..bpe_params(&["medecin-generaliste"])
    };
    let c = diagnose(&dir, "81", &p).unwrap();
    let expected = bpe_d201_tarn();
    let mut masked = 0;
    for r in &c.diagnostic.communes {
        let n = expected.get(&r.code).copied().unwrap_or(0);
        let cell = &r.indicateurs[0];
        if (1..5).contains(&n) {
            assert_eq!(cell.effectif.to_string(), "< 5");
            assert!(cell.densite_10000.is_none_or(|d| d.value().is_none()));
            masked += 1;
        } else {
            assert_eq!(cell.effectif.value(), Some(n));
        }
    }
    assert!(masked > 10, "{masked}");
}
