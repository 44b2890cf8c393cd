//! Nobody can stall the server (issue 14, points 1 and 2): the real `maillage` binary on
//! loopback, flooded by bounded client loops, while ordinary requests keep answering.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod server_support;
use server_support::{agent, free_port, serve_command, spawn, start, token, BIN};

/// A read with its latency: (status, seconds).
fn timed(a: &ureq::Agent, url: &str, bearer: Option<&str>) -> (u16, f64) {
    let t = Instant::now();
    let mut req = a.get(url);
    if let Some(b) = bearer {
        req = req.header("Authorization", &format!("Bearer {b}"));
    }
    let status = match req.call() {
        Ok(mut r) => {
            let _ = r.body_mut().read_to_string();
            r.status().as_u16()
        }
        Err(_) => 0,
    };
    (status, t.elapsed().as_secs_f64())
}

#[test]
fn a_flood_of_bad_tokens_delays_neither_anonymous_reads_nor_valid_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.sqlite");
    let good = token(&base);
    let port = free_port();
    let _server = start(&base, port);
    let read = format!("http://127.0.0.1:{port}/api/nearest?lat=43.93&lon=2.15&k=5");
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let limited = Arc::new(AtomicUsize::new(0));
    // Bounded client loops: 32 threads for at most 6 s, half repeating one bad token, half
    // trying a new one each time (the address limit).
    let flood: Vec<_> = (0..32)
        .map(|i| {
            let (stop, answered, limited, read) = (
                stop.clone(),
                answered.clone(),
                limited.clone(),
                read.clone(),
            );
            std::thread::spawn(move || {
                let a = agent();
                let end = Instant::now() + Duration::from_secs(6);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    n += 1;
                    let bad = if i % 2 == 0 {
                        "mlg_bad".to_string()
                    } else {
                        format!("mlg_{i:04}{n:012}xxxxxxxxxxxxxxxxxxxxxxxxxxx")
                    };
                    if let Ok(r) = a
                        .get(&read)
                        .header("Authorization", &format!("Bearer {bad}"))
                        .call()
                    {
                        answered.fetch_add(1, Ordering::Relaxed);
                        match r.status().as_u16() {
                            401 => {}
                            429 => {
                                let retry = r.headers().get("retry-after").cloned();
                                assert!(retry.is_some(), "429 sans Retry-After");
                                limited.fetch_add(1, Ordering::Relaxed);
                            }
                            s => panic!("jeton invalide : statut {s}"),
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let a = agent();
    let mut worst = (0.0f64, 0.0f64);
    for _ in 0..20 {
        let (s, t) = timed(&a, &read, None);
        assert_eq!(s, 200, "lecture anonyme pendant l'attaque");
        worst.0 = worst.0.max(t);
        let (s, t) = timed(
            &a,
            &format!("http://127.0.0.1:{port}/api/session"),
            Some(&good),
        );
        assert_eq!(s, 200, "jeton valide pendant l'attaque");
        worst.1 = worst.1.max(t);
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for t in flood {
        t.join().unwrap();
    }
    eprintln!(
        "{} réponses aux mauvais jetons dont {} × 429 ; pire latence anonyme {:.3} s, jeton valide {:.3} s",
        answered.load(Ordering::Relaxed),
        limited.load(Ordering::Relaxed),
        worst.0,
        worst.1
    );
    assert!(worst.0 < 1.0, "lecture anonyme ralentie : {:.3} s", worst.0);
    assert!(worst.1 < 1.0, "jeton valide ralenti : {:.3} s", worst.1);
    assert!(
        limited.load(Ordering::Relaxed) > 0,
        "aucun 429 pendant l'attaque"
    );
    // A valid token still works right after the attack, from the same address.
    let (s, t) = timed(
        &a,
        &format!("http://127.0.0.1:{port}/api/session"),
        Some(&good),
    );
    assert!(s == 200 && t < 1.0, "{s} en {t:.3} s");
}

#[cfg(unix)]
#[test]
fn a_slow_header_flood_beyond_the_cap_leaves_health_answering() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serveur.log");
    let port = free_port();
    let mut cmd = serve_command(&dir.path().join("base.sqlite"), port);
    cmd.env("RUST_LOG", "maillage=info")
        .stderr(std::fs::File::create(&log).unwrap());
    // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let _server = spawn(cmd, port);
    // 400 connections (beyond the cap and the 256 descriptors) that start a request and never
    // finish its headers.
    let mut slow = Vec::new();
    for _ in 0..400 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = s.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lent: ");
        slow.push(s);
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut worst = 0.0f64;
    for _ in 0..5 {
        let t = Instant::now();
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        worst = worst.max(t.elapsed().as_secs_f64());
        assert!(answer.starts_with("HTTP/1.1 200"), "réponse : {answer:?}");
        // Keep the flood at its level: one more slow connection for each answer.
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\n");
        slow.push(s);
    }
    eprintln!("pire latence de /api/health sous 400 connexions lentes : {worst:.3} s");
    assert!(worst < 1.0, "/api/health a mis {worst:.3} s");
    drop(slow);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("connexions ouvertes atteinte"),
        "pas de message sur la limite de connexions :\n{text}"
    );
}

/// Sends raw bytes, returns the whole answer.
fn raw(port: u16, request: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(request);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn errors_of_the_http_layer_are_french_json() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = start(&dir.path().join("base.sqlite"), port);
    let long_uri = format!(
        "GET /api/search?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let many_headers = format!(
        "GET /api/health HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..200)
            .map(|i| format!("X-En-Tete-{i}: {i}\r\n"))
            .collect::<String>()
    );
    let huge_header = format!(
        "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Gros: {}\r\n\r\n",
        "b".repeat(600_000)
    );
    let cases: [(&str, &[u8], &str); 5] = [
        ("414", long_uri.as_bytes(), "HTTP/1.1 414"),
        ("431 (nombre)", many_headers.as_bytes(), "HTTP/1.1 431"),
        ("431 (taille)", huge_header.as_bytes(), "HTTP/1.1 431"),
        ("400", b"N'IMPORTE QUOI\r\n\r\n", "HTTP/1.1 400"),
        (
            "400 %FF",
            b"GET /api/actors/%FF HTTP/1.1\r\nHost: x\r\n\r\n",
            "HTTP/1.1 400",
        ),
    ];
    for (name, request, status) in cases {
        let answer = raw(port, request);
        assert!(answer.starts_with(status), "{name} : {answer:.300}");
        let lower = answer.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/json"),
            "{name} : {answer:.300}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
        let v: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{name} : {e} : {body:.300}"));
        assert!(
            v["erreur"].is_string() && v["detail"].is_string(),
            "{name} : {v}"
        );
    }
    // The server still answers afterwards.
    assert!(raw(
        port,
        b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .starts_with("HTTP/1.1 200"));
}

#[test]
fn cli_errors_name_the_system_error_once_in_french() {
    let dir = tempfile::tempdir().unwrap();
    // A base whose folder is a file: the system refuses.
    let file = dir.path().join("fichier");
    std::fs::write(&file, "x").unwrap();
    for args in [
        vec![
            "jetons",
            "lister",
            "--base",
            file.join("base.sqlite").to_str().unwrap(),
        ],
        vec![
            "sauvegarde",
            "--sortie",
            "/nonexistent/dossier/x.sqlite",
            "--base",
            dir.path().join("b.sqlite").to_str().unwrap(),
        ],
        vec!["verifier", dir.path().join("absent.csv").to_str().unwrap()],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!err.contains("os error"), "{args:?} : {err}");
        for english in ["Permission denied", "No such file", "Not a directory"] {
            assert!(!err.contains(english), "{args:?} : {err}");
        }
        assert!(
            ["introuvable", "n'est pas un dossier", "impossible"]
                .iter()
                .any(|w| err.contains(w)),
            "{args:?} : {err}"
        );
    }
}
