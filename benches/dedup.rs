//! Duplicate detection over a synthetic France-sized set of records: 3 sources, 1,000,000
//! records in 35,000 communes, 5 % of establishments present in two sources.

use criterion::{criterion_group, criterion_main, Criterion};
use maillage::dedup::find_duplicates;
use maillage::model::{ActorRecord, KindId, LonLat, Precision, SourceId};

fn records(n: usize) -> Vec<ActorRecord> {
    let mut out = Vec::with_capacity(n);
    let mut seed: u64 = 42;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let names = [
        "PHARMACIE",
        "CABINET",
        "EHPAD",
        "MSP",
        "CENTRE",
        "SSIAD",
        "CMP",
        "Dr",
    ];
    let mut i = 0;
    while out.len() < n {
        let commune = 1000 + (next() % 35_000) as u32;
        let family = ["finess", "rpps", "bpe"][(next() % 3) as usize];
        let name = format!("{} {}", names[(next() % 8) as usize], next() % 5000);
        let number = (next() % 200).to_string();
        let lon = 2.0 + (next() % 10_000) as f64 / 10_000.0;
        let lat = 44.0 + (next() % 10_000) as f64 / 10_000.0;
        let copies = if next() % 20 == 0 { 2 } else { 1 };
        for c in 0..copies {
            let fam = if c == 0 { family } else { "local-copy" };
            let mut r = ActorRecord::new(
                format!("{fam}:{i}"),
                &name,
                KindId((i % 30) as u16),
                SourceId(c),
            );
            r.commune = Some(format!("{:05}", commune).parse().unwrap());
            r.address.number = Some(number.clone());
            r.address.street = Some("AV DE LA REPUBLIQUE".into());
            r.position = Some(LonLat::new(lon + c as f64 * 0.0001, lat));
            r.precision = Precision::Address;
            out.push(r);
            i += 1;
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let recs = records(1_000_000);
    let mut g = c.benchmark_group("dedup");
    g.sample_size(10);
    g.bench_function("find_duplicates_1M", |b| {
        b.iter(|| find_duplicates(&recs).links.len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
