//! The HTTP side against PostGIS on all of France: `maillage serve` answering `/api/nearest`
//! (k = 10) and `/api/within` (5 km) to a bounded load on loopback, and `pgbench` running the
//! same queries on PostGIS, at the same 1,000 query points as `benches/postgis.rs`
//! (`france_points(1000, 7)`, rounded to 10 decimals) and the same concurrency (4 connections).
//!
//! - Server: the `maillage` binary of this build, `serve --data $MAILLAGE_FRANCE`: a data
//!   directory (`python3 benches/gen_france.py DIR` plus `communes.csv.xz`, ready in 10-20 s) or
//!   its `maillage instantane` snapshot (`.idx`, ready in a few seconds: faster to re-run).
//! - PostGIS: the located actors of that same directory (id and position, read once through
//!   the library) in the table `http_bench_acteurs` with a GiST index on `geography`; reloaded
//!   only when `$MAILLAGE_FRANCE` changed (size and date of its files, in `http_bench_meta`).
//! - Same answers first: for the first 100 query points, the ids of both sides are compared
//!   (ties at the 10th place and points on the 5 km circle, within 0.1 m, excepted), the whole
//!   radius answer read page after page by `suivant`.
//! - Load: 4 connections kept alive (one thread each, plain `TcpStream`, no client library),
//!   each sending its next request when the previous answer is read in full, for
//!   `MAILLAGE_BENCH_SECONDS` (10 by default) after 1 s of warm-up; every latency is kept.
//!   Two answers per route: `champs=id,distance_m`, what the PostGIS query returns, and the
//!   full feature. `/api/within` answers its default page: the first 1,000 actors by
//!   (distance, id) with the total (the whole answer at most points; up to 15,000 actors lie
//!   within 5 km of the densest ones).
//! - PostGIS: `pgbench -n -c 4 -j 2 -T <same duration>` with a script drawing one of the same
//!   points per transaction: `ORDER BY geog <-> point LIMIT 10` with the distance (the GiST
//!   KNN scan; adding `, id` to break ties makes PostGIS sort the whole table, 2 queries/s, so
//!   the answer check alone orders its 50 nearest by (distance, id)), and
//!   `ST_DWithin(geog, point, 5000, false)` ordered by (distance, id), `LIMIT 1000`;
//!   latencies from its per-transaction log.
//! - Ceiling: the same load against a bare axum server on the same runtime (one worker thread
//!   per core, no middleware, no index) answering every request with one fixed body, a real
//!   `champs=id,distance_m` answer of `/api/nearest`: what HTTP alone allows on this machine
//!   with this client. The ratio of that ceiling to PostGIS bounds any ratio an HTTP answer
//!   can reach here.
//! - Second ceiling, when `nginx` is installed (`apt install nginx-light`): nginx (one worker
//!   per core, access log off, keep-alive kept open) serving that same answer as a static
//!   file, to the same client: a server written in C with no Rust runtime, so the ceiling is
//!   not the one of axum or tokio alone. Without nginx the row says it was not measured.
//!
//! Run: `bash benches/postgis.sh` once, then
//! `MAILLAGE_FRANCE=/work/france/france.idx MAILLAGE_PG=dbname=maillage_bench cargo bench --bench http`.
//! Without `MAILLAGE_FRANCE` or `MAILLAGE_PG` the bench says so and measures nothing.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime};

use maillage::model::LonLat;

mod common;
use common::{france_points, psql};

const PORT: u16 = 18_433;
/// Port of the bare server measuring the HTTP ceiling.
const CEILING_PORT: u16 = 18_434;
/// Port of nginx serving the same fixed answer (second ceiling).
const NGINX_PORT: u16 = 18_435;
const QUERIES: usize = 1000;
const CONNECTIONS: usize = 4;
const CHECKED: usize = 100;
const RADIUS_M: f64 = 5000.0;
/// Requests per connection at most, whatever the duration.
const MAX_PER_CONNECTION: usize = 5_000_000;

fn main() {
    let (Some(france), Ok(pg)) = (
        std::env::var_os("MAILLAGE_FRANCE").map(PathBuf::from),
        std::env::var("MAILLAGE_PG"),
    ) else {
        eprintln!(
            "MAILLAGE_FRANCE ou MAILLAGE_PG non défini : rien à mesurer (voir l'en-tête de benches/http.rs)"
        );
        return;
    };
    // `cargo bench` passes `--bench`; a filter on the command line is not supported.
    let secs: u64 = std::env::var("MAILLAGE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .clamp(1, 600);
    let round = |p: &LonLat| {
        let r = |v: f64| format!("{v:.10}").parse::<f64>().unwrap();
        LonLat::new(r(p.lon), r(p.lat))
    };
    let queries: Vec<LonLat> = france_points(QUERIES, 7).iter().map(round).collect();
    let work = tempfile::tempdir().unwrap();

    postgis_table(&pg, &france, &queries, work.path());
    let server = common::serve(
        &france,
        &work.path().join("bench.sqlite"),
        PORT,
        &work.path().join("serve.log"),
    );
    eprintln!(
        "maillage serve prêt en {:.1} s ({})",
        server.ready.as_secs_f64(),
        france.display()
    );
    let load_before = loadavg();

    // Same answers, then a first pass over every point (warms the caches of both sides).
    check_answers(&pg, &queries);
    for q in &queries {
        let mut c = Client::connect(PORT);
        c.get(&nearest_path(*q, "")).unwrap();
        c.get(&within_path(*q, "")).unwrap();
    }

    type Path = fn(LonLat, &str) -> String;
    let cases: [(&str, Path, &str); 4] = [
        (
            "nearest k=10, champs=id,distance_m",
            nearest_path,
            "&champs=id,distance_m",
        ),
        ("nearest k=10, entités complètes", nearest_path, ""),
        (
            "within 5 km (page de 1 000), champs=id,distance_m",
            within_path,
            "&champs=id,distance_m",
        ),
        (
            "within 5 km (page de 1 000), entités complètes",
            within_path,
            "",
        ),
    ];
    let mut rows: Vec<(String, Measure)> = Vec::new();
    for (name, path, extra) in cases {
        let paths: Vec<String> = queries.iter().map(|q| path(*q, extra)).collect();
        let m = http_load(PORT, &paths, Duration::from_secs(secs));
        rows.push((format!("maillage {name}"), m));
    }
    let fixed = {
        let mut c = Client::connect(PORT);
        let (status, _) = c
            .get(&nearest_path(queries[0], "&champs=id,distance_m"))
            .unwrap();
        assert_eq!(status, 200);
        c.body.clone()
    };
    drop(server);
    let fixed_paths: Vec<String> = queries
        .iter()
        .map(|q| nearest_path(*q, "&champs=id,distance_m"))
        .collect();
    let nginx = Nginx::start(&fixed, work.path())
        .map(|_guard| http_load(NGINX_PORT, &fixed_paths, Duration::from_secs(secs)));
    let ceiling = {
        start_bare_server(fixed);
        http_load(CEILING_PORT, &fixed_paths, Duration::from_secs(secs))
    };
    let knn = pgbench(
        &pg,
        work.path(),
        "knn",
        "SELECT x.id, x.d FROM http_bench_q q CROSS JOIN LATERAL (SELECT a.id, \
         ST_Distance(a.geog, q.geog, false) AS d FROM http_bench_acteurs a \
         ORDER BY a.geog <-> q.geog LIMIT 10) x WHERE q.qid = :q;",
        secs,
    );
    let within = pgbench(
        &pg,
        work.path(),
        "within",
        "SELECT a.id, ST_Distance(a.geog, q.geog, false) AS d FROM http_bench_q q \
         JOIN http_bench_acteurs a ON ST_DWithin(a.geog, q.geog, 5000, false) \
         WHERE q.qid = :q ORDER BY d, a.id LIMIT 1000;",
        secs,
    );
    rows.push(("PostGIS k=10 (id, distance), pgbench".into(), knn));
    rows.push((
        "PostGIS 5 km (id, distance, LIMIT 1000), pgbench".into(),
        within,
    ));
    rows.push((
        "plafond HTTP : axum nu, réponse fixe (nearest id,distance_m)".into(),
        ceiling,
    ));
    let load_after = loadavg();
    let nginx_row = "plafond HTTP : nginx, même réponse en fichier statique";

    println!();
    println!(
        "Banc HTTP : {} servi par maillage, {CONNECTIONS} connexions, {secs} s par mesure, \
         {QUERIES} points de requête ; PostGIS : pgbench -c {CONNECTIONS} -j 2",
        france.display()
    );
    println!("charge de la machine (uptime) : avant {load_before}, après {load_after}");
    println!(
        "{:<62} {:>9} {:>8} {:>8} {:>8} {:>12}",
        "mesure", "req/s", "p50 ms", "p99 ms", "max ms", "octets/rép."
    );
    for (name, m) in &rows {
        print_row(name, m);
    }
    match &nginx {
        Ok(m) => print_row(nginx_row, m),
        Err(why) => println!("{nginx_row:<62} non mesuré : {why}"),
    }
    let ratio = |ours: &Measure, theirs: &Measure| ours.rate() / theirs.rate();
    println!(
        "rapport maillage / PostGIS, mêmes colonnes (id, distance) : nearest {:.1}×, within {:.1}× \
         (entités complètes : {:.1}×, {:.1}×)",
        ratio(&rows[0].1, &rows[4].1),
        ratio(&rows[2].1, &rows[5].1),
        ratio(&rows[1].1, &rows[4].1),
        ratio(&rows[3].1, &rows[5].1),
    );
    println!(
        "plafond HTTP de cette machine (réponse fixe, même client) : {:.1}× PostGIS k=10 ; \
         maillage nearest en atteint {:.0} %",
        ratio(&rows[6].1, &rows[4].1),
        100.0 * ratio(&rows[0].1, &rows[6].1),
    );
    if let Ok(m) = &nginx {
        println!(
            "plafond nginx (fichier statique, même client) : {:.1}× PostGIS k=10 ; \
             maillage nearest en atteint {:.0} %",
            ratio(m, &rows[4].1),
            100.0 * ratio(&rows[0].1, m),
        );
    }
}

/// One line of the table: throughput, latencies and answer size.
fn print_row(name: &str, m: &Measure) {
    println!(
        "{:<62} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>12}",
        name,
        m.rate(),
        m.percentile(0.5),
        m.percentile(0.99),
        m.percentile(1.0),
        m.bytes_per_answer()
            .map_or_else(|| "-".to_string(), |b| format!("{b:.0}"))
    );
}

/// nginx serving one fixed answer on [`NGINX_PORT`] until dropped.
struct Nginx(std::process::Child);

impl Nginx {
    /// Starts nginx in the foreground with a configuration of its own under `work`: every
    /// path answers `body` (a static file). `Err` says why it could not be started.
    fn start(body: &[u8], work: &Path) -> Result<Nginx, String> {
        let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or("nginx absent (apt install nginx-light)")?;
        let dir = work.join("nginx");
        std::fs::create_dir_all(dir.join("logs")).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("answer.json"), body).map_err(|e| e.to_string())?;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let conf = format!(
            "daemon off;\nuser root;\nworker_processes {workers};\npid {d}/nginx.pid;\n\
             error_log {d}/logs/error.log;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 1000000000;\n  \
             keepalive_timeout 600s;\n  client_body_temp_path {d}/tmp;\n  \
             server {{\n    listen 127.0.0.1:{NGINX_PORT};\n    location / {{\n      \
             root {d};\n      default_type application/geo+json;\n      \
             try_files /answer.json =404;\n    }}\n  }}\n}}\n",
            d = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
        let child = Command::new(bin)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("nginx : {e}"))?;
        let nginx = Nginx(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", NGINX_PORT)).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default();
                return Err(format!("nginx ne répond pas : {}", log.trim()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(nginx)
    }
}

impl Drop for Nginx {
    /// SIGTERM, not SIGKILL: the master stops its workers, which would otherwise keep the port.
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// Starts a bare HTTP server on [`CEILING_PORT`] for the rest of the bench: axum on a tokio
/// runtime like `maillage servir`'s (one worker per core), every GET answered with `body`.
fn start_bare_server(body: Vec<u8>) {
    let (ready, is_ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let body = axum::body::Bytes::from(body);
            let app = axum::Router::new().fallback(move || {
                let body = body.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
                        body,
                    )
                }
            });
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", CEILING_PORT))
                .await
                .expect("port du serveur nu");
            ready.send(()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    is_ready.recv().expect("serveur nu démarré");
}

fn nearest_path(q: LonLat, extra: &str) -> String {
    format!("/api/nearest?lat={}&lon={}&k=10{extra}", q.lat, q.lon)
}

fn within_path(q: LonLat, extra: &str) -> String {
    format!(
        "/api/within?lat={}&lon={}&radius_m={RADIUS_M}{extra}",
        q.lat, q.lon
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Latencies of one run.
struct Measure {
    /// Sorted, in nanoseconds.
    latencies: Vec<u64>,
    elapsed: Duration,
    /// Body bytes in total (HTTP side only).
    bytes: Option<u64>,
}

impl Measure {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// In milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i] as f64 / 1e6
    }

    fn bytes_per_answer(&self) -> Option<f64> {
        self.bytes
            .map(|b| b as f64 / self.latencies.len().max(1) as f64)
    }
}

/// One HTTP/1.1 keep-alive connection to the server, reading answers by `Content-Length` or
/// chunked.
struct Client {
    port: u16,
    stream: TcpStream,
    buf: Vec<u8>,
    body: Vec<u8>,
}

impl Client {
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connexion au serveur");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Client {
            port,
            stream,
            buf: Vec::with_capacity(1 << 20),
            body: Vec::with_capacity(1 << 20),
        }
    }

    /// Sends `GET path`, reads the whole answer: its status and body length (the body is in
    /// `self.body`).
    fn get(&mut self, path: &str) -> std::io::Result<(u16, usize)> {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        );
        self.stream.write_all(req.as_bytes())?;
        self.buf.clear();
        self.body.clear();
        let mut chunk = [0u8; 64 * 1024];
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill(&mut chunk)?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(invalid)?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("ligne d'état"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.lines().skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        let mut pos = head_end;
        if chunked {
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf[pos..], b"\r\n") {
                        break pos + i;
                    }
                    self.fill(&mut chunk)?;
                };
                let size_text = std::str::from_utf8(&self.buf[pos..line_end]).map_err(invalid)?;
                let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                    .map_err(invalid)?;
                pos = line_end + 2;
                while self.buf.len() < pos + size + 2 {
                    self.fill(&mut chunk)?;
                }
                self.body.extend_from_slice(&self.buf[pos..pos + size]);
                pos += size + 2;
                if size == 0 {
                    break;
                }
            }
        } else {
            let n = length.ok_or_else(|| invalid("ni Content-Length ni chunked"))?;
            while self.buf.len() < head_end + n {
                self.fill(&mut chunk)?;
            }
            self.body
                .extend_from_slice(&self.buf[head_end..head_end + n]);
            pos = head_end + n;
        }
        if pos != self.buf.len() {
            return Err(invalid("octets après la réponse"));
        }
        Ok((status, self.body.len()))
    }

    fn fill(&mut self, chunk: &mut [u8]) -> std::io::Result<()> {
        let n = self.stream.read(chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// `GET path` answered 200 with JSON.
    fn json(&mut self, path: &str) -> serde_json::Value {
        let (status, _) = self.get(path).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
        assert_eq!(status, 200, "{path}: {v}");
        v
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

/// `CONNECTIONS` connections cycling over `paths` (each from its own offset) for `duration`
/// after one second of warm-up; panics on any answer but 200.
fn http_load(port: u16, paths: &[String], duration: Duration) -> Measure {
    let paths = Arc::new(paths.to_vec());
    let start = Arc::new(Barrier::new(CONNECTIONS + 1));
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|t| {
            let (paths, start) = (paths.clone(), start.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                let offset = t * paths.len() / CONNECTIONS;
                let warm = Instant::now() + Duration::from_secs(1);
                let mut i = 0;
                while Instant::now() < warm {
                    c.get(&paths[(offset + i) % paths.len()]).unwrap();
                    i += 1;
                }
                start.wait();
                let end = Instant::now() + duration;
                let mut lat = Vec::with_capacity(1 << 20);
                let mut bytes = 0u64;
                while lat.len() < MAX_PER_CONNECTION {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let p = &paths[(offset + i) % paths.len()];
                    let (status, n) = c.get(p).unwrap();
                    lat.push(t0.elapsed().as_nanos() as u64);
                    assert_eq!(status, 200, "{p}: {}", String::from_utf8_lossy(&c.body));
                    bytes += n as u64;
                    i += 1;
                }
                (lat, bytes, Instant::now())
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    let mut latencies = Vec::new();
    let mut bytes = 0;
    let mut last = t0;
    for th in threads {
        let (l, b, done) = th.join().unwrap();
        latencies.extend(l);
        bytes += b;
        last = last.max(done);
    }
    latencies.sort_unstable();
    Measure {
        latencies,
        elapsed: last - t0,
        bytes: Some(bytes),
    }
}

/// Size and date of the file, or of every file of the directory: changes when the data does.
fn fingerprint(p: &Path) -> String {
    let mut parts = Vec::new();
    let mut files = vec![p.to_path_buf()];
    if p.is_dir() {
        files = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
    }
    for f in files {
        let m = std::fs::metadata(&f).unwrap();
        let at = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        parts.push(format!("{}:{}:{at}", f.display(), m.len()));
    }
    parts.join(";")
}

/// The served actors' ids and positions in `http_bench_acteurs` (reloaded only when the data
/// changed), and the query points in `http_bench_q`.
fn postgis_table(conn: &str, data: &Path, queries: &[LonLat], work: &Path) {
    let print = fingerprint(data);
    psql(
        conn,
        &[
            "CREATE EXTENSION IF NOT EXISTS postgis".into(),
            "CREATE TABLE IF NOT EXISTS http_bench_meta (fingerprint text)".into(),
        ],
    );
    let loaded = psql(conn, &["SELECT fingerprint FROM http_bench_meta".into()]);
    if loaded.trim() != print {
        let t = Instant::now();
        let dir = maillage::pipeline::directory(Some(data), &mut std::io::sink())
            .expect("chargement de MAILLAGE_FRANCE");
        let csv = work.join("acteurs.csv");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        let mut n = 0usize;
        for i in 0..dir.actors().len() as u32 {
            let a = dir.actor(i);
            if let Some(p) = a.position() {
                let id = maillage::util::escape::csv_field(a.id(), b',');
                writeln!(f, "{id},{},{}", p.lon, p.lat).unwrap();
                n += 1;
            }
        }
        f.flush().unwrap();
        drop(f);
        drop(dir);
        psql(
            conn,
            &[
                "DROP TABLE IF EXISTS http_bench_raw, http_bench_acteurs".into(),
                "CREATE UNLOGGED TABLE http_bench_raw (id text, lon float8, lat float8)".into(),
                format!(
                    "\\copy http_bench_raw FROM '{}' WITH (FORMAT csv)",
                    csv.display()
                ),
                "CREATE TABLE http_bench_acteurs AS SELECT id, \
                 ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog FROM http_bench_raw"
                    .into(),
                "DROP TABLE http_bench_raw".into(),
                "CREATE INDEX http_bench_acteurs_geog ON http_bench_acteurs USING gist (geog)"
                    .into(),
                "ANALYZE http_bench_acteurs".into(),
                "TRUNCATE http_bench_meta".into(),
                format!(
                    "INSERT INTO http_bench_meta VALUES ('{}')",
                    print.replace('\'', "''")
                ),
            ],
        );
        eprintln!(
            "PostGIS : {n} acteurs placés chargés dans http_bench_acteurs en {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    let q_csv = work.join("q.csv");
    let mut f = std::fs::File::create(&q_csv).unwrap();
    for (i, p) in queries.iter().enumerate() {
        writeln!(f, "{i},{},{}", p.lon, p.lat).unwrap();
    }
    psql(
        conn,
        &[
            "DROP TABLE IF EXISTS http_bench_q, http_bench_qraw".into(),
            "CREATE TABLE http_bench_qraw (qid int, lon float8, lat float8)".into(),
            format!(
                "\\copy http_bench_qraw FROM '{}' WITH (FORMAT csv)",
                q_csv.display()
            ),
            "CREATE TABLE http_bench_q AS SELECT qid, \
             ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS geog FROM http_bench_qraw"
                .into(),
            "DROP TABLE http_bench_qraw".into(),
            "CREATE UNIQUE INDEX ON http_bench_q (qid)".into(),
            "ANALYZE http_bench_q".into(),
        ],
    );
}

/// `(query, id, metres)` rows of psql → per query point, id → metres.
fn by_query(rows: &str) -> Vec<BTreeMap<String, f64>> {
    let mut out = vec![BTreeMap::new(); CHECKED];
    for l in rows.lines() {
        let f: Vec<&str> = l.split('|').collect();
        out[f[0].parse::<usize>().unwrap()].insert(f[1].to_string(), f[2].parse().unwrap());
    }
    out
}

/// The answer's features as id → `distance_m`.
fn features(v: &serde_json::Value) -> BTreeMap<String, f64> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["id"].as_str().unwrap().to_string(),
                p["distance_m"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The ids found on one side only are all at `metres` (within 0.1 m) from the query point.
fn differ_only_at(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>, metres: f64) -> bool {
    let alone = |m: &BTreeMap<String, f64>, other: &BTreeMap<String, f64>| {
        m.iter()
            .filter(|(k, _)| !other.contains_key(*k))
            .all(|(_, d)| (d - metres).abs() <= 0.1)
    };
    alone(a, b) && alone(b, a)
}

/// The ids of both sides for the first `CHECKED` points: the same, but for ties at the 10th
/// place and points on the circle (within 0.1 m: maillage rounds distances to 0.1 m).
fn check_answers(conn: &str, queries: &[LonLat]) {
    let pg = by_query(&psql(
        conn,
        &[format!(
            "SELECT q.qid, y.id, y.d FROM http_bench_q q CROSS JOIN LATERAL (SELECT * FROM \
             (SELECT a.id, ST_Distance(a.geog, q.geog, false) AS d FROM http_bench_acteurs a \
             ORDER BY a.geog <-> q.geog LIMIT 50) x ORDER BY x.d, x.id LIMIT 10) y \
             WHERE q.qid < {CHECKED}"
        )],
    ));
    let mut c = Client::connect(PORT);
    let (mut same, mut ties) = (0, 0);
    for (qi, theirs) in pg.iter().enumerate() {
        let ours = features(&c.json(&nearest_path(queries[qi], "&champs=id,distance_m")));
        if ours.keys().eq(theirs.keys()) {
            same += 1;
            continue;
        }
        let tenth = ours.values().fold(0.0f64, |a, b| a.max(*b));
        assert!(
            differ_only_at(&ours, theirs, tenth),
            "point {qi} : maillage {ours:?}, PostGIS {theirs:?}"
        );
        ties += 1;
    }
    eprintln!(
        "10 plus proches : {same}/{CHECKED} points donnent les mêmes identifiants que PostGIS, \
         {ties} ne diffèrent que par une égalité à la 10e place"
    );
    let pg = by_query(&psql(
        conn,
        &[format!(
            "SELECT q.qid, a.id, ST_Distance(a.geog, q.geog, false) FROM http_bench_q q \
             JOIN http_bench_acteurs a ON ST_DWithin(a.geog, q.geog, 5000, false) \
             WHERE q.qid < {CHECKED}"
        )],
    ));
    let (mut same, mut found, mut most) = (0, 0, 0);
    for (qi, theirs) in pg.iter().enumerate() {
        // Every page, following `suivant`.
        let mut ours = BTreeMap::new();
        let mut next = Some(within_path(
            queries[qi],
            "&champs=id,distance_m&limit=10000",
        ));
        let mut total = None;
        while let Some(path) = next {
            let v = c.json(&path);
            ours.extend(features(&v));
            total = v["total"].as_u64();
            next = v["suivant"].as_str().map(str::to_string);
        }
        assert_eq!(total, Some(ours.len() as u64), "point {qi} : pages");
        found += ours.len();
        most = most.max(ours.len());
        assert!(
            differ_only_at(&ours, theirs, RADIUS_M),
            "point {qi} : les réponses dans le rayon diffèrent"
        );
        same += usize::from(ours.keys().eq(theirs.keys()));
    }
    eprintln!(
        "rayon de 5 km : {same}/{CHECKED} points donnent les mêmes identifiants que PostGIS \
         ({} acteurs en moyenne, {most} au plus)",
        found / CHECKED
    );
}

/// `pgbench -c 4 -j 2` for `secs` seconds on `sql` with `:q` drawn among the query points;
/// latencies from its per-transaction log.
fn pgbench(conn: &str, work: &Path, name: &str, sql: &str, secs: u64) -> Measure {
    let script = work.join(format!("{name}.sql"));
    std::fs::write(
        &script,
        format!("\\set q random(0, {})\n{sql}\n", QUERIES - 1),
    )
    .unwrap();
    let logs = work.join(format!("log-{name}"));
    std::fs::create_dir_all(&logs).unwrap();
    let t = Instant::now();
    let out = Command::new("pgbench")
        .args(["-n", "-c", &CONNECTIONS.to_string(), "-j", "2", "-T"])
        .arg(secs.to_string())
        .arg("-f")
        .arg(&script)
        .arg("-l")
        .arg(format!("--log-prefix={}", logs.join("pgbench").display()))
        .arg(conn)
        .output()
        .expect("pgbench est nécessaire (paquet postgresql-client)");
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "pgbench : {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut latencies = Vec::new();
    for e in std::fs::read_dir(&logs).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        // client_id transaction_no time(µs) script_no time_epoch time_us
        latencies.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                .map(|us| us * 1000),
        );
    }
    latencies.sort_unstable();
    // pgbench's own rate (without the connection time) when printed, else the log's.
    let tps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok());
    let elapsed = match tps {
        Some(tps) if tps > 0.0 => Duration::from_secs_f64(latencies.len() as f64 / tps),
        _ => elapsed,
    };
    Measure {
        latencies,
        elapsed,
        bytes: None,
    }
}
