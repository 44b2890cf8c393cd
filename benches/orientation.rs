//! Competence queries and orientation on a synthetic France-sized territory: 40,000 square
//! communes (200 × 200, 80 départements of 500), a town hall and a CCAS in each (implicit
//! communal areas), 2,000 SSIAD with 20-commune lists, 400 CLIC by "EPCI" (territory of 100
//! communes), 80 DAC by département, 500 drawn polygons.
//!
//! Run: `cargo bench --bench orientation -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{polygon, MultiPolygon};
use std::hint::black_box;

use maillage::index::Directory;
use maillage::model::{
    ActorRecord, Commune, InseeCode, LonLat, Precision, ServiceArea, Territory, TerritoryKind,
};
use maillage::orientation::{evaluate, locate, parse, PlaceQuery};
use maillage::sources::zones::ServiceAreaRecord;
use maillage::sources::{Dataset, FileReport, Imported};

const N: usize = 200;
const STEP: f64 = 0.05;

fn code(i: usize) -> InseeCode {
    // 80 départements of 500 communes (Corsica's 20 replaced by 96).
    let dep = i / 500 + 1;
    let dep = if dep == 20 { 96 } else { dep };
    format!("{:02}{:03}", dep, i % 500 + 1).parse().unwrap()
}

fn centre(i: usize) -> LonLat {
    LonLat::new(
        -1.0 + STEP * (i % N) as f64 + STEP / 2.0,
        43.0 + STEP * (i / N) as f64 + STEP / 2.0,
    )
}

fn directory() -> Directory {
    let mut ds = Dataset::new();
    let k = |id: &str| ds.kinds.by_id(id).unwrap();
    let (mairie, ccas, ssiad, clic, dac, csapa) = (
        k("mairie"),
        k("ccas"),
        k("ssiad"),
        k("clic"),
        k("dac"),
        k("csapa"),
    );
    let source = ds.next_source_id();
    let mut communes = Vec::with_capacity(N * N);
    let mut actors = Vec::new();
    for i in 0..N * N {
        let (x, y) = (-1.0 + STEP * (i % N) as f64, 43.0 + STEP * (i / N) as f64);
        let mut c = Commune::new(code(i), format!("Commune {i}"));
        c.geometry = MultiPolygon::new(vec![polygon![
            (x: x, y: y), (x: x + STEP, y: y), (x: x + STEP, y: y + STEP), (x: x, y: y + STEP)
        ]]);
        c.population = Some(1000);
        communes.push(c);
        for (prefix, kind) in [("mairie", mairie), ("ccas", ccas)] {
            let mut r = ActorRecord::new(format!("{prefix}:{}", code(i)), "X", kind, source);
            r.position = Some(centre(i));
            r.precision = Precision::Address;
            r.commune = Some(code(i));
            actors.push(r);
        }
    }
    let mut zones = Vec::new();
    let mut add =
        |actors: &mut Vec<ActorRecord>, id: String, kind, at: usize, area: ServiceArea| {
            let mut r = ActorRecord::new(id.clone(), "Y", kind, source);
            r.position = Some(centre(at));
            r.precision = Precision::Address;
            r.commune = Some(code(at));
            actors.push(r);
            zones.push(ServiceAreaRecord {
                actor: id,
                area,
                file: "zones.csv".into(),
                line: zones.len() + 2,
            });
        };
    // SSIAD: 4 × 5 blocks of communes.
    for s in 0..2000 {
        let (bx, by) = ((s % 40) * 5, (s / 40) * 4);
        let list: Vec<InseeCode> = (0..20)
            .map(|j| code((by + j / 5) * N + bx + j % 5))
            .collect();
        add(
            &mut actors,
            format!("finess:ssiad{s:04}"),
            ssiad,
            (by * N) + bx,
            ServiceArea::Communes(list),
        );
    }
    // CLIC by territory of 10 × 10 communes.
    let mut territories = Vec::new();
    for t in 0..400 {
        let (bx, by) = ((t % 20) * 10, (t / 20) * 10);
        let id = format!("epci:{:09}", 200_000_000 + t);
        territories.push(Territory {
            id: id.clone(),
            name: format!("EPCI {t}"),
            kind: TerritoryKind::Epci,
            communes: (0..100)
                .map(|j| code((by + j / 10) * N + bx + j % 10))
                .collect(),
            declared_population: None,
        });
        add(
            &mut actors,
            format!("finess:clic{t:03}"),
            clic,
            by * N + bx,
            ServiceArea::Territory(id),
        );
    }
    // DAC by département.
    for d in 0..80 {
        let c = code(d * 500);
        add(
            &mut actors,
            format!("finess:dac{d:03}"),
            dac,
            d * 500,
            ServiceArea::Departement(c.departement().to_string()),
        );
    }
    // CSAPA with drawn areas (0.3° squares).
    for p in 0..500 {
        let at = (p * 79) % (N * N);
        let c = centre(at);
        let sq = MultiPolygon::new(vec![polygon![
            (x: c.lon - 0.15, y: c.lat - 0.15), (x: c.lon + 0.15, y: c.lat - 0.15),
            (x: c.lon + 0.15, y: c.lat + 0.15), (x: c.lon - 0.15, y: c.lat + 0.15)
        ]]);
        add(
            &mut actors,
            format!("finess:csapa{p:03}"),
            csapa,
            at,
            ServiceArea::Polygon(sq),
        );
    }
    let mut report = FileReport::new("synthetic", maillage::sources::finess::FORMAT);
    report.accepted = actors.len();
    ds.add(
        Imported {
            actors,
            communes,
            territories,
            ..Imported::default()
        },
        report,
    );
    let mut zr = FileReport::new("zones.csv", maillage::sources::zones::CSV);
    zr.accepted = zones.len();
    ds.add(
        Imported {
            service_areas: zones,
            ..Imported::default()
        },
        zr,
    );
    Directory::build(ds)
}

const PROCEDURE: &str = r#"
id = "bench"
titre = "Bench"
version = "1"
date = "2026-05-01"
[[etapes]]
id = "clic"
types = ["clic"]
choix = "competent"
si_aucun = "dac"
[[etapes]]
id = "dac"
secours = true
types = ["dac"]
choix = "competent"
[[etapes]]
id = "ssiad"
types = ["ssiad"]
choix = "competent"
[[etapes]]
id = "ccas"
types = ["ccas"]
choix = "competent"
[[etapes]]
id = "proche"
types = ["csapa"]
choix = "plus_proche"
rayon_km = 30
nombre = 3
"#;

fn bench(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let dir = directory();
    eprintln!(
        "synthetic directory: {} actors, {} communes, built in {:.2} s",
        dir.actors().len(),
        dir.communes().len(),
        started.elapsed().as_secs_f64()
    );
    let ssiad = dir.kinds().by_id("ssiad").unwrap();
    let points: Vec<LonLat> = (0..1000).map(|i| centre((i * 7919) % (N * N))).collect();
    let mut n = 0;
    c.bench_function("competent_at_point_all_kinds", |b| {
        b.iter(|| {
            n = (n + 1) % points.len();
            black_box(dir.competent(Some(points[n]), None, None))
        })
    });
    c.bench_function("competent_at_point_one_kind", |b| {
        b.iter(|| {
            n = (n + 1) % points.len();
            black_box(dir.competent(Some(points[n]), None, Some(&[ssiad])))
        })
    });
    let p = parse(PROCEDURE, "bench.toml").unwrap();
    c.bench_function("orientation_5_steps_at_point", |b| {
        b.iter(|| {
            n = (n + 1) % points.len();
            let place = locate(&dir, &PlaceQuery::Point(points[n])).unwrap();
            black_box(evaluate(&dir, &p, &place, Some(70)))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
