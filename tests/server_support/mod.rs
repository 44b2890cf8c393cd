//! The real `maillage` binary served on loopback for a test: a free port, the server killed
//! when the test ends, a waiting start, an HTTP agent, an editor token.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_maillage");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP agent that returns error statuses as answers (10 s at most a request).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// Kills the server when the test ends, whatever happens.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `maillage servir` on this port with this base, quiet (logs at `warn`, to nowhere).
pub fn serve_command(base: &Path, port: u16) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "servir",
        "--adresse",
        &format!("127.0.0.1:{port}"),
        "--sans-tuiles",
        "--base",
    ])
    .arg(base)
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

/// Starts the command and waits until `/api/health` answers.
pub fn spawn(mut cmd: Command, port: u16) -> Server {
    let server = Server(cmd.spawn().expect("maillage servir"));
    wait_ready(port);
    server
}

/// Starts `maillage servir` on this base and waits until it answers.
pub fn start(base: &Path, port: u16) -> Server {
    spawn(serve_command(base, port), port)
}

pub fn wait_ready(port: u16) {
    let a = agent();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = a.get(&format!("http://127.0.0.1:{port}/api/health")).call() {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "le serveur n'a pas démarré");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A new editor token in this base (`maillage jetons creer`).
pub fn token(base: &Path) -> String {
    let out = Command::new(BIN)
        .args([
            "jetons", "creer", "--nom", "Test", "--role", "editeur", "--base",
        ])
        .arg(base)
        .output()
        .expect("maillage jetons creer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(t.starts_with("mlg_"), "{t}");
    t
}

/// Imports the partner template (`data/partenaires-modele.csv`, 4 partners) into this base.
pub fn import_template(base: &Path) {
    let out = Command::new(BIN)
        .args(["partenaires", "importer"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/partenaires-modele.csv"
        ))
        .arg("--base")
        .arg(base)
        .output()
        .expect("maillage partenaires importer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
