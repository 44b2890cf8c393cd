//! Bounded load run on loopback: readers (nearest, search) and writers (partner creations and
//! updates) against one in-process server on the Tarn demo data and a temporary base.
//! Prints requests per second and latency percentiles of reads while writes go on; exits with
//! status 1 if any request failed.
//!
//! ```text
//! cargo run --release --example charge -- [durée en s, 30] [lecteurs, 3] [écrivains, 1]
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use maillage::index::Directory;
use maillage::server::{router, AppState, ServerConfig};
use maillage::store::{Role, Store};

/// Upper bound on requests per thread, whatever the duration.
const MAX_PER_THREAD: u64 = 2_000_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let secs = args.first().copied().unwrap_or(30).clamp(1, 600);
    let readers = args.get(1).copied().unwrap_or(3).clamp(1, 64);
    let writers = args.get(2).copied().unwrap_or(1).clamp(0, 16);

    let dir = tempfile::tempdir().expect("dossier temporaire");
    let store = Store::open(&dir.path().join("charge.sqlite")).expect("base");
    let (_, token) = store.create_token("charge", Role::Editeur).expect("jeton");
    let ds = maillage::sources::demo::dataset().expect("données de démonstration");
    let directory = Directory::build(ds);
    let state = AppState::with_store(directory, ServerConfig::default(), store, false)
        .expect("état du serveur");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("moteur asynchrone");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("écoute");
    let addr = listener.local_addr().expect("adresse");
    rt.spawn(async move {
        let _ = axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let base = format!("http://{addr}");
    eprintln!("charge : {secs} s, {readers} lecteur(s), {writers} écrivain(s) sur {base}");

    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let read_lat: Arc<Mutex<Vec<u32>>> = Arc::default();
    let write_lat: Arc<Mutex<Vec<u32>>> = Arc::default();
    let started = Instant::now();
    let mut threads = Vec::new();
    for t in 0..readers {
        let (stop, errors, lat, base) =
            (stop.clone(), errors.clone(), read_lat.clone(), base.clone());
        threads.push(std::thread::spawn(move || {
            let a = agent();
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1));
            let words = [
                "ehpad",
                "pharm",
                "albi",
                "gaill",
                "cmp",
                "ssiad",
                "castres",
                "partenaire",
            ];
            let mut mine = Vec::new();
            for i in 0..MAX_PER_THREAD {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let url = if i % 2 == 0 {
                    let lon = 1.6 + rng.unit() * 1.2;
                    let lat = 43.4 + rng.unit() * 0.8;
                    format!("{base}/api/nearest?lat={lat:.5}&lon={lon:.5}&k=10")
                } else {
                    let w = words[(rng.next() % words.len() as u64) as usize];
                    format!("{base}/api/search?q={w}&limit=10")
                };
                let t0 = Instant::now();
                match a.get(&url).call() {
                    Ok(mut r) if r.status() == 200 => {
                        let _ = r.body_mut().read_to_vec();
                        mine.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat.lock().unwrap().extend(mine);
        }));
    }
    for t in 0..writers {
        let (stop, errors, lat, base, token) = (
            stop.clone(),
            errors.clone(),
            write_lat.clone(),
            base.clone(),
            token.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let a = agent();
            let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (t + 1));
            let mut mine = Vec::new();
            for i in 0..MAX_PER_THREAD {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let id = format!("charge-{t}-{i}");
                let body = serde_json::json!({
                    "identifiant": id, "nom": format!("Partenaire de charge {t} {i}"),
                    "type": "partenaire", "code_insee": "81004",
                    "latitude": 43.4 + rng.unit() * 0.8, "longitude": 1.6 + rng.unit() * 1.2,
                });
                let t0 = Instant::now();
                let ok = a
                    .post(&format!("{base}/api/partenaires"))
                    .header("Authorization", &format!("Bearer {token}"))
                    .content_type("application/json")
                    .send(body.to_string())
                    .map(|r| r.status() == 201)
                    .unwrap_or(false);
                if ok {
                    mine.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat.lock().unwrap().extend(mine);
        }));
    }
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for th in threads {
        let _ = th.join();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut r = read_lat.lock().unwrap().clone();
    let mut w = write_lat.lock().unwrap().clone();
    r.sort_unstable();
    w.sort_unstable();
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "lectures (nearest, search) : {} en {:.1} s = {:.0} req/s ; médiane {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        r.len(),
        elapsed,
        r.len() as f64 / elapsed,
        percentile(&r, 0.5),
        percentile(&r, 0.99),
        percentile(&r, 1.0)
    );
    println!(
        "écritures (création de partenaire, durable) : {} = {:.0} req/s ; médiane {:.2} ms, p99 {:.2} ms",
        w.len(),
        w.len() as f64 / elapsed,
        percentile(&w, 0.5),
        percentile(&w, 0.99)
    );
    println!("erreurs : {errors}");
    rt.shutdown_timeout(Duration::from_secs(1));
    if errors > 0 {
        std::process::exit(1);
    }
}
