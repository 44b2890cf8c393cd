//! France-scale index benchmarks: 2,000,000 synthetic actors clustered around population
//! centres, 35,000 synthetic communes.
//!
//! Targets (issue "Core"): bulk build < 3 s, k-nearest (k=10) < 5 µs, 5 km radius < 20 µs,
//! < 300 bytes resident per actor. Run: `cargo bench --bench index`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{LineString, MultiPolygon, Polygon};

use maillage::index::communes::CommuneIndex;
use maillage::index::spatial::PointIndex;
use maillage::index::Directory;
use maillage::model::{
    haversine_m, ActorRecord, Address, Commune, KindId, LonLat, Precision, SourceId,
};
use maillage::sources::{Dataset, FileReport, Imported};

mod common;
use common::france_points;

const N: usize = 2_000_000;

/// Counts live heap bytes, to measure what the directory itself keeps.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}
#[global_allocator]
static ALLOC: Counting = Counting;

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn dataset(points: &[LonLat]) -> Dataset {
    let mut ds = Dataset::new();
    let kinds: Vec<KindId> = [
        "medecin-generaliste",
        "infirmier",
        "pharmacie",
        "ehpad",
        "masseur-kinesitherapeute",
        "ssiad",
    ]
    .iter()
    .map(|k| ds.kinds.by_id(k).unwrap())
    .collect();
    let actors = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut r = ActorRecord::new(
                format!("rpps:{:011}:{}", 10_000_000_000u64 + i as u64, i % 7),
                format!("Dr Prénom{} NOM{}", i % 997, i % 7919),
                kinds[i % kinds.len()],
                SourceId(0),
            );
            r.address = Address {
                number: Some(format!("{}", i % 120 + 1)),
                street: Some(format!("RUE DE LA REPUBLIQUE {}", i % 50)),
                postcode: Some(format!("{:05}", 1000 + i % 95000)),
                city: Some(format!("COMMUNE{}", i % 35000)),
            };
            r.phone = Some("05 63 00 00 00".into());
            r.position = Some(*p);
            r.precision = Precision::Address;
            r
        })
        .collect();
    ds.add(
        Imported {
            actors,
            ..Default::default()
        },
        FileReport::new("synthetique", maillage::sources::rpps::FORMAT),
    );
    ds
}

fn benches(c: &mut Criterion) {
    let points = france_points(N, 42);
    let keyed: Vec<(u32, LonLat)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, *p))
        .collect();
    let pos = |k: u32| points[k as usize];

    let mut g = c.benchmark_group("construction");
    g.sample_size(10);
    g.bench_function("rtree_bulk_load_2M", |b| {
        b.iter(|| black_box(PointIndex::new(&keyed)))
    });
    g.finish();

    // Whole directory build (actors, per-kind trees, text index) and its memory: live heap
    // bytes kept once the dataset it was built from is gone, and the process's resident size.
    let live_before = LIVE.load(Ordering::Relaxed);
    let rss_before = resident_bytes();
    let ds = dataset(&points);
    let t = Instant::now();
    let dir = Directory::build(ds);
    let build_s = t.elapsed().as_secs_f64();
    let live = LIVE.load(Ordering::Relaxed) - live_before;
    let rss_grown = resident_bytes().saturating_sub(rss_before);
    // glibc keeps freed memory (here the records the directory was built from) mapped until
    // asked to give it back; what stays resident after that is what the directory holds.
    // SAFETY: malloc_trim only releases free memory of the process's own heap.
    unsafe { libc::malloc_trim(0) };
    let rss_kept = resident_bytes().saturating_sub(rss_before);
    eprintln!(
        "Directory::build(2M actors): {build_s:.2} s; heap kept {} MiB = {:.0} bytes/actor \
         (estimate by parts {:.0}); resident size grew by {} MiB during the build, {} MiB = \
         {:.0} bytes/actor once freed memory is returned",
        live / (1 << 20),
        live as f64 / N as f64,
        dir.heap_bytes() as f64 / N as f64,
        rss_grown / (1 << 20),
        rss_kept / (1 << 20),
        rss_kept as f64 / N as f64,
    );

    let idx = PointIndex::new(&keyed);
    let queries = france_points(1000, 7);
    let mut qi = 0usize;
    let mut next_q = || {
        qi = (qi + 1) % queries.len();
        queries[qi]
    };
    let mean_5km = queries
        .iter()
        .map(|q| idx.within(*q, 5_000.0, pos, |_, _| true).len())
        .sum::<usize>() as f64
        / queries.len() as f64;
    eprintln!("5 km radius: {mean_5km:.0} actors per query on average");
    let mut g = c.benchmark_group("requetes");
    g.bench_function("knn_k10_2M", |b| {
        b.iter(|| black_box(idx.nearest(next_q(), 10, |_, _| true)))
    });
    g.bench_function("radius_5km_2M", |b| {
        b.iter(|| black_box(idx.within(next_q(), 5_000.0, pos, |_, _| true)))
    });
    let ehpad = dir.kinds().by_id("ehpad").unwrap();
    g.bench_function("directory_knn_k10_kind_2M", |b| {
        b.iter(|| black_box(dir.nearest(next_q(), 10, Some(&[ehpad]))))
    });
    g.bench_function("directory_search_pharmacie", |b| {
        b.iter(|| black_box(dir.search("pharmacie commune12", 10)))
    });
    g.sample_size(10);
    g.bench_function("brute_force_knn_k10_2M", |b| {
        b.iter(|| {
            let q = next_q();
            let mut v: Vec<(f64, u32)> = points
                .iter()
                .enumerate()
                .map(|(i, p)| (haversine_m(q, *p), i as u32))
                .collect();
            v.select_nth_unstable_by(10, |a, b| a.0.total_cmp(&b.0));
            black_box(v[0])
        })
    });
    g.finish();

    // Point → commune over 35,000 polygons of 40 vertices (hexagonal tiling of France).
    let communes = synthetic_communes();
    let cidx = CommuneIndex::new(communes);
    let mut g = c.benchmark_group("communes");
    g.bench_function("point_to_commune_35k", |b| {
        b.iter(|| black_box(cidx.at(next_q()).map(|c| c.code)))
    });
    g.finish();
}

fn synthetic_communes() -> Vec<Commune> {
    let mut out = Vec::new();
    let (nx, ny) = (220, 160);
    let (x0, y0, w, h) = (-5.0, 42.3, 13.0 / nx as f64, 8.8 / ny as f64);
    for i in 0..nx {
        for j in 0..ny {
            let (cx, cy) = (x0 + (i as f64 + 0.5) * w, y0 + (j as f64 + 0.5) * h);
            let ring: Vec<(f64, f64)> = (0..=40)
                .map(|k| {
                    let a = k as f64 / 40.0 * std::f64::consts::TAU;
                    // Square-ish outline that tiles the plane, with wobbly edges.
                    let (s, co) = a.sin_cos();
                    let r = 1.0 / s.abs().max(co.abs());
                    (cx + co * r * w / 2.0, cy + s * r * h / 2.0)
                })
                .collect();
            let code = format!(
                "{:02}{:03}",
                1 + (i * ny + j) / 1000 % 95,
                (i * ny + j) % 1000
            );
            let Ok(code) = code.parse() else { continue };
            let mut c = Commune::new(code, format!("C{i}-{j}"));
            c.geometry = MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])]);
            out.push(c);
        }
    }
    out
}

criterion_group!(index, benches);
criterion_main!(index);
