//! Crash test: the real `maillage` binary on a temporary base, concurrent writers over
//! loopback, `kill -9` in the middle of the burst at a random moment, restart. Every write the
//! server acknowledged must be in the base, each partner's history must match its version
//! (nothing half-written), and `PRAGMA integrity_check` must say `ok`. Repeated a few times.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod server_support;
use server_support::{agent, free_port, start, token, BIN};

/// A small xorshift generator seeded from the clock: random kill points, reproducible from
/// the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Default)]
struct Acked {
    /// Created partners (acknowledged 201).
    created: Vec<String>,
    /// Updated partners (acknowledged 200 to a PATCH): id and phone written.
    updated: Vec<(String, String)>,
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.sqlite");
    let tok = token(&base);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("graine : {seed}");
    let mut rng = Rng(seed);
    let acked = Arc::new(Mutex::new(Acked::default()));

    for round in 0..3 {
        let port = free_port();
        let mut server = start(&base, port);
        let stop = Arc::new(AtomicBool::new(false));
        let first_ack = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let (stop, first_ack, acked, tok) =
                    (stop.clone(), first_ack.clone(), acked.clone(), tok.clone());
                std::thread::spawn(move || {
                    let a = agent();
                    let url = format!("http://127.0.0.1:{port}/api/partenaires");
                    for i in 0..10_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let id = format!("r{round}-t{t}-{i}");
                        let body = serde_json::json!({
                            "identifiant": id, "nom": format!("Partenaire {id}"), "type": "partenaire",
                            "code_insee": "81004", "ligne_directe": "06 00 00 00 00",
                        });
                        let Ok(mut r) = a
                            .post(&url)
                            .header("Authorization", &format!("Bearer {tok}"))
                            .content_type("application/json")
                            .send(body.to_string())
                        else {
                            break;
                        };
                        if r.status() != 201 {
                            let text = r.body_mut().read_to_string().unwrap_or_default();
                            panic!("réponse {} : {text}", r.status());
                        }
                        acked.lock().unwrap().created.push(format!("local:{id}"));
                        first_ack.store(true, Ordering::Relaxed);
                        if i % 2 == 0 {
                            let phone = format!("05 63 {:02} {:02} {:02}", t, i % 100, round);
                            let Ok(r) = a
                                .patch(&format!("{url}/{id}"))
                                .header("Authorization", &format!("Bearer {tok}"))
                                .header("If-Match", "\"1\"")
                                .content_type("application/json")
                                .send(serde_json::json!({ "telephone": phone }).to_string())
                            else {
                                break;
                            };
                            assert_eq!(r.status(), 200);
                            acked.lock().unwrap().updated.push((format!("local:{id}"), phone));
                        }
                    }
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !first_ack.load(Ordering::Relaxed) {
            assert!(Instant::now() < deadline, "aucune écriture acceptée");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100 + rng.next() % 900));
        // SIGKILL: no shutdown path runs.
        server.0.kill().unwrap();
        server.0.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().expect("writer thread");
        }

        let conn = rusqlite::Connection::open(&base).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        let acked = acked.lock().unwrap();
        assert!(!acked.created.is_empty());
        for id in &acked.created {
            let (version, data): (i64, String) = conn
                .query_row(
                    "SELECT version, data FROM partners WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap_or_else(|e| panic!("écriture acquittée perdue : {id} ({e}), tour {round}"));
            let history: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM history WHERE subject = ?1",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(history, version, "{id}: historique et version divergent");
            let v: serde_json::Value = serde_json::from_str(&data).unwrap();
            assert_eq!(v["ligne_directe"], "06 00 00 00 00");
        }
        for (id, phone) in &acked.updated {
            let data: String = conn
                .query_row("SELECT data FROM partners WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            let v: serde_json::Value = serde_json::from_str(&data).unwrap();
            assert_eq!(
                &v["telephone"],
                phone.as_str(),
                "{id}: modification acquittée perdue"
            );
        }
        eprintln!(
            "tour {round} : {} créations et {} modifications acquittées, toutes présentes",
            acked.created.len(),
            acked.updated.len()
        );
    }

    // The server restarts on the crashed base and serves the acknowledged partners.
    let port = free_port();
    let _server = start(&base, port);
    let a = agent();
    let acked = acked.lock().unwrap();
    for id in acked.created.iter().step_by(7) {
        let r = a
            .get(&format!("http://127.0.0.1:{port}/api/actors/{id}"))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "{id} absent de la carte après redémarrage");
    }
}

/// `maillage sauvegarde` while the server runs and a writer keeps writing, then
/// `maillage restaurer` into another base: the copy is sound and holds every write
/// acknowledged before the backup started.
#[test]
fn online_backup_and_restore_with_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.sqlite");
    let tok = token(&base);
    let port = free_port();
    let _server = start(&base, port);
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let writer = {
        let (stop, acked, tok) = (stop.clone(), acked.clone(), tok.clone());
        std::thread::spawn(move || {
            let a = agent();
            for i in 0..100_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let id = format!("s{i}");
                let r = a
                    .post(&format!("http://127.0.0.1:{port}/api/partenaires"))
                    .header("Authorization", &format!("Bearer {tok}"))
                    .content_type("application/json")
                    .send(
                        serde_json::json!({"identifiant": id, "nom": format!("P {id}"),
                            "type": "partenaire", "code_insee": "81004"})
                        .to_string(),
                    )
                    .unwrap();
                assert_eq!(r.status(), 201);
                acked.lock().unwrap().push(format!("local:{id}"));
            }
        })
    };
    while acked.lock().unwrap().len() < 20 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let before: Vec<String> = acked.lock().unwrap().clone();
    let copy = dir.path().join("sauvegarde.sqlite");
    let out = Command::new(BIN)
        .args(["sauvegarde", "--sortie"])
        .arg(&copy)
        .arg("--base")
        .arg(&base)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();

    let restored = dir.path().join("restauree.sqlite");
    let out = Command::new(BIN)
        .arg("restaurer")
        .arg(&copy)
        .arg("--base")
        .arg(&restored)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("restaurée"), "{text}");
    let conn = rusqlite::Connection::open(&restored).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    for id in &before {
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM partners WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1, "{id} absent de la sauvegarde");
    }
    // Restoring something that is not a backup is refused and leaves the base alone.
    let junk = dir.path().join("pas-une-base.sqlite");
    std::fs::write(&junk, b"bonjour").unwrap();
    let out = Command::new(BIN)
        .arg("restaurer")
        .arg(&junk)
        .arg("--base")
        .arg(&restored)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pas-une-base.sqlite"));
    let n: i64 = rusqlite::Connection::open(&restored)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM partners", [], |r| r.get(0))
        .unwrap();
    assert!(n as usize >= before.len());
}
