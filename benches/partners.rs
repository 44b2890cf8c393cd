//! Partner writes at scale: a base of 100,000 partners (generated in the communes of the
//! embedded demo territory), then single writes through the path of the HTTP handlers
//! (validate, commit, publish), and the time of a 100,000-row CSV import.
//!
//! Prints p50/p99 of a write published in O(change) (`PartnerService::write`), of the same
//! write followed by a republication of every partner (what each write cost before), and the
//! import time; then criterion's figure for one write.
//! Run: `cargo bench --bench partners` (`MAILLAGE_BENCH_PARTNERS=N` for another size).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use criterion::{criterion_group, criterion_main, Criterion};

use maillage::index::Directory;
use maillage::store::partner::RawPartner;
use maillage::store::{Author, PartnerService, Store};

#[allow(dead_code)] // only its generator serves here
mod common;
use common::Rng;

const KINDS: [&str; 10] = [
    "partenaire",
    "social",
    "dac",
    "ccas",
    "saad",
    "ssiad",
    "psychologue",
    "infirmier",
    "msp",
    "clic",
];
const FIRST: [&str; 8] = [
    "Cabinet",
    "Association",
    "Maison de santé",
    "Centre social",
    "Service d'aide",
    "Espace",
    "Accueil de jour",
    "Réseau",
];
const SECOND: [&str; 8] = [
    "des Cordeliers",
    "du Castelviel",
    "Saint-Salvi",
    "de la Madeleine",
    "Les Tilleuls",
    "du Lude",
    "Jean Jaurès",
    "de Lapanouse",
];

fn size() -> usize {
    std::env::var("MAILLAGE_BENCH_PARTNERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// A partner CSV of `n` rows: names, kinds, communes of the demo, positions near their centre.
fn partner_csv(dir: &Directory, n: usize) -> String {
    let communes: Vec<_> = dir
        .communes()
        .all()
        .iter()
        .filter_map(|c| Some((c.code, c.name.clone(), c.centroid()?)))
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::from("identifiant;nom;type;code_insee;latitude;longitude;telephone\n");
    for i in 0..n {
        let (code, name, p) = &communes[(rng.next() * communes.len() as f64) as usize];
        let pick = |rng: &mut Rng, v: &[&'static str]| v[(rng.next() * v.len() as f64) as usize];
        out.push_str(&format!(
            "p{i};{} {} {name} {i};{};{code};{:.5};{:.5};05 63 {:02} {:02} {:02}\n",
            pick(&mut rng, &FIRST),
            pick(&mut rng, &SECOND),
            pick(&mut rng, &KINDS),
            p.lat + (rng.next() - 0.5) * 0.04,
            p.lon + (rng.next() - 0.5) * 0.06,
            i % 100,
            i / 100 % 100,
            i / 10_000 % 100
        ));
    }
    out
}

/// One write as `POST /api/partenaires` does it: validate, then commit and publish.
fn create(svc: &PartnerService, who: &Author, i: usize, republish_all: bool) {
    let raw = RawPartner::from_json(&serde_json::json!({
        "nom": format!("Maison des aidants {i}"),
        "type": "partenaire",
        "code_insee": "81004",
        "telephone": "05 63 12 34 56",
    }))
    .unwrap();
    let v = svc.validator().validate(&raw).unwrap();
    let p = svc
        .write(|store| store.create_partner(v, true, who))
        .unwrap();
    if republish_all {
        svc.publish().unwrap();
    }
    assert_eq!(p.version, 1);
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (
        ms(v[v.len() / 2]),
        ms(v[(v.len() * 99 / 100).min(v.len() - 1)]),
    )
}

fn bench(c: &mut Criterion) {
    let n = size();
    let dir = maillage::pipeline::directory(None, &mut std::io::sink()).unwrap();
    let csv = partner_csv(&dir, n);
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("partenaires.sqlite")).unwrap();
    let swap = Arc::new(ArcSwap::from_pointee(dir));
    let svc = PartnerService::new(store, Arc::clone(&swap));
    let who = Author::new("bench");

    let t = Instant::now();
    let report = svc.import(csv.as_bytes(), "bench.csv", true, &who).unwrap();
    let import_s = t.elapsed().as_secs_f64();
    assert_eq!((report.added.len(), report.rejected.len()), (n, 0));
    assert_eq!(swap.load().local_actors().count(), n);
    println!("import de {n} lignes (une publication) : {import_s:.2} s");

    let mut next = n;
    let mut timed = |count: usize, republish_all: bool| {
        let times: Vec<Duration> = (0..count)
            .map(|_| {
                let t = Instant::now();
                create(&svc, &who, next, republish_all);
                next += 1;
                t.elapsed()
            })
            .collect();
        percentiles(times)
    };
    let (p50, p99) = timed(20, true);
    println!("écriture + republication de tous les partenaires (avant) : p50 {p50:.1} ms, p99 {p99:.1} ms (20 écritures)");
    let (p50, p99) = timed(1000, false);
    println!(
        "écriture publiée en O(changement) : p50 {p50:.2} ms, p99 {p99:.2} ms (1000 écritures)"
    );
    assert_eq!(swap.load().local_actors().count(), next);

    let mut g = c.benchmark_group("partenaires");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function(format!("écriture à {n} partenaires"), |b| {
        b.iter(|| {
            create(&svc, &who, next, false);
            next += 1;
        })
    });
    g.finish();
}

criterion_group!(partners, bench);
criterion_main!(partners);
