//! The synthetic France-wide point set shared by the index and PostGIS benches, and the one
//! way the benches talk to PostGIS ([`psql`]).

use std::process::Command;

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
