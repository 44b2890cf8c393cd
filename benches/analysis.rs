//! Coverage + 2SFCA for every Occitanie commune (4 485, COG 2018 contours) against every
//! Occitanie BPE 2018 D2xx/D3xx supply point (one point per commune and equipment type, at the
//! commune centroid). Needs ../shared/data.
//!
//! `cargo bench --bench analysis -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};

use maillage::analysis::build::places;
use maillage::analysis::{coverage, nearest_supply, two_step_fca, StepDecay, TravelModel};

mod occitanie;

fn bench(c: &mut Criterion) {
    let dir = occitanie::directory().expect("../shared/data is needed for this bench");
    let places = places(&dir);
    let supplies = occitanie::bpe_supply(&dir, |t| t.starts_with("D2") || t.starts_with("D3"));
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
