//! Side by side with PostGIS on the same 2,000,000 synthetic points as `benches/index.rs`:
//! the same answers (ids compared query by query) and the speed ratio.
//!
//! PostGIS runs each batch of queries inside one SQL statement (a lateral join over the query
//! points), timed by `psql`, so its figure is server-side work without a client round trip per
//! query; maillage's figure is the in-process query. Distances on both sides are on the sphere
//! (`use_spheroid = false`); PostGIS's sphere has a radius 3 cm smaller, which matters only to
//! exact ties, counted apart.
//!
//! Set-up: `bash benches/postgis.sh` (installs PostGIS 3 from Debian, starts the cluster,
//! creates the database), then `MAILLAGE_PG=dbname=maillage_bench cargo bench --bench postgis`.
//! Without `MAILLAGE_PG` the bench says so and measures nothing.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

use maillage::index::spatial::PointIndex;
use maillage::model::LonLat;

mod common;
use common::{france_points, psql};

const N: usize = 2_000_000;
const QUERIES: usize = 1000;
const CHECKED: usize = 300;

/// Milliseconds of the last `Time: … ms` line printed by psql's `\timing`.
fn timed_ms(output: &str) -> f64 {
    output
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Time: "))
        .and_then(|t| t.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("psql \\timing output")
}

fn write_csv(path: &std::path::Path, points: &[LonLat]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for (i, p) in points.iter().enumerate() {
        writeln!(f, "{i},{:.10},{:.10}", p.lon, p.lat).unwrap();
    }
}

fn benches(c: &mut Criterion) {
    let Ok(conn) = std::env::var("MAILLAGE_PG") else {
        eprintln!("MAILLAGE_PG non défini : rien à mesurer (voir l'en-tête de benches/postgis.rs)");
        return;
    };
    // The CSV round trip keeps 10 decimals: both engines index exactly the same positions.
    let round = |p: &LonLat| {
        let r = |v: f64| format!("{v:.10}").parse::<f64>().unwrap();
        LonLat::new(r(p.lon), r(p.lat))
    };
    let points: Vec<LonLat> = france_points(N, 42).iter().map(round).collect();
    let queries: Vec<LonLat> = france_points(QUERIES, 7).iter().map(round).collect();
    let work = tempfile::tempdir().unwrap();
    let (pts_csv, q_csv) = (work.path().join("pts.csv"), work.path().join("q.csv"));
    write_csv(&pts_csv, &points);
    write_csv(&q_csv, &queries);

    let t = Instant::now();
    let keyed: Vec<(u32, LonLat)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, *p))
        .collect();
    let idx = PointIndex::new(&keyed);
    let build_maillage = t.elapsed().as_secs_f64();

    let setup = psql(
        &conn,
        &[
            "\\timing on".into(),
            "CREATE EXTENSION IF NOT EXISTS postgis".into(),
            "DROP TABLE IF EXISTS bench_raw, bench_pts, bench_q".into(),
            "CREATE UNLOGGED TABLE bench_raw (id int, lon float8, lat float8)".into(),
            format!(
                "\\copy bench_raw FROM '{}' WITH (FORMAT csv)",
                pts_csv.display()
            ),
            "CREATE TABLE bench_pts AS SELECT id, \
             ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog FROM bench_raw"
                .into(),
            "CREATE INDEX bench_pts_geog ON bench_pts USING gist (geog)".into(),
            "ANALYZE bench_pts".into(),
            "TRUNCATE bench_raw".into(),
            format!(
                "\\copy bench_raw FROM '{}' WITH (FORMAT csv)",
                q_csv.display()
            ),
            "CREATE TABLE bench_q AS SELECT id AS qid, \
             ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog FROM bench_raw"
                .into(),
            "ANALYZE bench_q".into(),
        ],
    );
    let ms: Vec<f64> = setup
        .lines()
        .filter_map(|l| l.strip_prefix("Time: "))
        .filter_map(|t| t.split_whitespace().next()?.parse().ok())
        .collect();
    // Conversion to geography and GiST build: statements 6 to 8 of the list above.
    let pg_build: f64 = ms.iter().skip(5).take(3).sum::<f64>() / 1000.0;
    eprintln!(
        "index build, 2M points: maillage {build_maillage:.2} s; PostGIS geography + GiST \
         {pg_build:.1} s (ratio {:.0}×)",
        pg_build / build_maillage
    );

    // Same answers? k = 10 nearest and 5 km radius for the first CHECKED query points.
    let rows = psql(
        &conn,
        &[format!(
            "SELECT q.qid, x.id, x.d FROM bench_q q CROSS JOIN LATERAL (SELECT p.id, \
             ST_Distance(p.geog, q.geog, false) AS d FROM bench_pts p \
             ORDER BY p.geog <-> q.geog LIMIT 10) x WHERE q.qid < {CHECKED}"
        )],
    );
    let mut pg_knn: Vec<Vec<(u32, f64)>> = vec![Vec::new(); CHECKED];
    for l in rows.lines() {
        let f: Vec<&str> = l.split('|').collect();
        pg_knn[f[0].parse::<usize>().unwrap()].push((f[1].parse().unwrap(), f[2].parse().unwrap()));
    }
    let (mut same, mut ties) = (0, 0);
    for (qi, pg) in pg_knn.iter().enumerate() {
        let ours = idx.nearest(queries[qi], 10, |_, _| true);
        let a: BTreeSet<u32> = ours.iter().map(|o| o.0).collect();
        let b: BTreeSet<u32> = pg.iter().map(|o| o.0).collect();
        if a == b {
            same += 1;
            continue;
        }
        // Only points tied (within 1 mm) with the 10th may differ.
        let tenth = ours.last().unwrap().1;
        let differ_only_on_ties = a.symmetric_difference(&b).all(|k| {
            (maillage::model::haversine_m(queries[qi], points[*k as usize]) - tenth).abs() < 1e-3
        });
        assert!(
            differ_only_on_ties,
            "query {qi}: maillage {ours:?}, PostGIS {pg:?}"
        );
        ties += 1;
    }
    eprintln!("10 nearest: {same}/{CHECKED} queries give the same ids as PostGIS, {ties} differ only by a tie at the 10th place");

    let rows = psql(
        &conn,
        &[format!(
            "SELECT q.qid, p.id, ST_Distance(p.geog, q.geog, false) FROM bench_q q \
             JOIN bench_pts p ON ST_DWithin(p.geog, q.geog, 5000, false) WHERE q.qid < {CHECKED}"
        )],
    );
    let mut pg_within: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); CHECKED];
    for l in rows.lines() {
        let f: Vec<&str> = l.split('|').collect();
        pg_within[f[0].parse::<usize>().unwrap()].insert(f[1].parse().unwrap());
    }
    let pos = |k: u32| points[k as usize];
    let (mut same, mut found) = (0, 0);
    for (qi, pg) in pg_within.iter().enumerate() {
        let ours: BTreeSet<u32> = idx
            .within(queries[qi], 5_000.0, pos, |_, _| true)
            .iter()
            .map(|o| o.0)
            .collect();
        found += ours.len();
        let on_edge = ours.symmetric_difference(pg).all(|k| {
            (maillage::model::haversine_m(queries[qi], points[*k as usize]) - 5_000.0).abs() < 1e-3
        });
        assert!(on_edge, "query {qi}: radius answers differ");
        same += usize::from(ours == *pg);
    }
    eprintln!(
        "5 km radius: {same}/{CHECKED} queries give the same ids as PostGIS ({} points each on average)",
        found / CHECKED
    );

    // Speed. PostGIS: `iters` queries in one statement, cycling over the query points.
    let pg_batch = |iters: u64, body: &str| -> Duration {
        let out = psql(
            &conn,
            &[
                "\\timing on".into(),
                format!(
                    "SELECT count(*) FROM generate_series(0, {}) g JOIN bench_q q \
                     ON q.qid = g % {QUERIES} CROSS JOIN LATERAL ({body}) x",
                    iters.max(1) - 1
                ),
            ],
        );
        Duration::from_secs_f64(timed_ms(&out) / 1000.0)
    };
    let mut qi = 0usize;
    let mut next_q = || {
        qi = (qi + 1) % queries.len();
        queries[qi]
    };
    // (group, one maillage query at a point, the PostGIS subquery for the point `q`)
    type Query<'a> = Box<dyn Fn(LonLat) -> usize + 'a>;
    let cases: [(&str, Query, &str); 2] = [
        (
            "knn_k10_2M",
            Box::new(|at| idx.nearest(at, 10, |_, _| true).len()),
            "SELECT p.id FROM bench_pts p ORDER BY p.geog <-> q.geog LIMIT 10",
        ),
        (
            "radius_5km_2M",
            Box::new(|at| idx.within(at, 5_000.0, pos, |_, _| true).len()),
            "SELECT p.id FROM bench_pts p WHERE ST_DWithin(p.geog, q.geog, 5000, false)",
        ),
    ];
    for (group, ours, pg) in cases {
        let mut g = c.benchmark_group(group);
        g.bench_function("maillage", |b| b.iter(|| black_box(ours(next_q()))));
        g.sample_size(10);
        g.bench_function("postgis", |b| b.iter_custom(|iters| pg_batch(iters, pg)));
        g.finish();
    }
}

criterion_group!(postgis, benches);
criterion_main!(postgis);
