//! Coverage + 2SFCA for every Occitanie commune (4 485, COG 2018 contours) against every
//! Occitanie BPE 2018 D2xx/D3xx supply point (one point per commune and equipment type, at the
//! commune centroid). Needs ../shared/data.
//!
//! `cargo bench --bench analysis -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};

use maillage::analysis::build::places;
use maillage::analysis::{
    coverage, nearest_supply, two_step_fca, StepDecay, SupplyPoint, SupplySet, TravelModel,
};
use maillage::index::Directory;
use maillage::sources::Dataset;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn occitanie() -> Directory {
    let mut ds = Dataset::new();
    for (file, format) in [
        (
            "geo/communes-occitanie.geojson",
            maillage::sources::communes_geojson::FORMAT,
        ),
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
        let bytes = std::fs::read(&path).expect("../shared/data is needed for this bench");
        ds.load_bytes(&path, format, &bytes).expect("load");
    }
    Directory::build(ds)
}

fn bench(c: &mut Criterion) {
    let dir = occitanie();
    let places = places(&dir);
    let points: Vec<SupplyPoint> = dir
        .equipment_counts()
        .iter()
        .filter(|e| e.typequ.starts_with("D2") || e.typequ.starts_with("D3"))
        .filter_map(|e| {
            let p = dir.commune(e.commune)?.centroid()?;
            Some(SupplyPoint::new(
                &format!("bpe:{}:{}", e.commune, e.typequ),
                &e.typequ,
                p,
                e.count as f64,
            ))
        })
        .collect();
    let supplies = SupplySet::new(points).unwrap();
    let located = places.all().iter().filter(|p| p.point.is_some()).count();
    eprintln!(
        "{} communes ({} with an outline), {} supply points (D2xx/D3xx), total supply {}",
        places.len(),
        located,
        supplies.len(),
        supplies.total()
    );
    let model = TravelModel::default();
    let decay = StepDecay::default();
    let members: Vec<usize> = (0..places.len()).collect();
    let mut g = c.benchmark_group("occitanie");
    g.sample_size(20);
    g.bench_function("coverage_10km", |b| {
        b.iter(|| {
            let near = nearest_supply(&places, &supplies, &model);
            coverage(&places, &near, 10_000.0, &members)
        })
    });
    g.bench_function("fca_20min", |b| {
        b.iter(|| two_step_fca(&places, &supplies, &decay, &model))
    });
    g.bench_function("coverage_and_fca", |b| {
        b.iter(|| {
            let near = nearest_supply(&places, &supplies, &model);
            let cov = coverage(&places, &near, 10_000.0, &members);
            let fca = two_step_fca(&places, &supplies, &decay, &model);
            (cov.population_covered, fca.supply_reaching)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
