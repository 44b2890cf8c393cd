//! The synthetic France-wide point set shared by the index and PostGIS benches, the one
//! way the benches talk to PostGIS ([`psql`]) and the one way they start the server
//! ([`serve`]).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use maillage::model::LonLat;

/// Deterministic xorshift generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Points clustered around 400 centres spread over metropolitan France.
pub fn france_points(n: usize, seed: u64) -> Vec<LonLat> {
    let mut rng = Rng(seed);
    let centres: Vec<(f64, f64, f64)> = (0..400)
        .map(|_| {
            (
                -4.5 + rng.next() * 12.5,
                42.5 + rng.next() * 8.5,
                0.02 + rng.next() * 0.25,
            )
        })
        .collect();
    (0..n)
        .map(|_| {
            let (cx, cy, spread) = centres[(rng.next() * centres.len() as f64) as usize];
            // Sum of uniforms: a cheap bell shape.
            let dx = (rng.next() + rng.next() + rng.next() - 1.5) * spread * 2.0;
            let dy = (rng.next() + rng.next() + rng.next() - 1.5) * spread * 1.4;
            LonLat::new(cx + dx, cy + dy)
        })
        .collect()
}

/// Runs psql commands; returns stdout, panics with psql's message on error. Not every bench
/// talks to PostGIS, hence the `allow`.
#[allow(dead_code)]
pub fn psql(conn: &str, commands: &[String]) -> String {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conn]);
    for c in commands {
        cmd.arg("-c").arg(c);
    }
    let out = cmd
        .output()
        .expect("psql est nécessaire (bash benches/postgis.sh)");
    assert!(
        out.status.success(),
        "psql : {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `/api/health` on `127.0.0.1:port` answers 200 now.
#[allow(dead_code)]
fn health_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req =
        format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// A `maillage serve` of this build, stopped when dropped.
#[allow(dead_code)]
pub struct Served {
    pub child: Child,
    /// From the spawn until `/api/health` first answered 200.
    pub ready: Duration,
}

/// Starts `maillage serve --addr 127.0.0.1:<port> --data <data> --base <base>` (its standard
/// error in `log`) and waits until `/api/health` answers 200; panics with the log if the
/// server stops first.
#[allow(dead_code)]
pub fn serve(data: &Path, base: &Path, port: u16, log: &Path) -> Served {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .arg("--base")
        .arg(base)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("lancement de maillage serve");
    while !health_ok(port) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "maillage serve s'est arrêté ({status}) :\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Served {
        child,
        ready: t.elapsed(),
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
