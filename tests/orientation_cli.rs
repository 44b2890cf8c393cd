//! The orientation commands as a user runs them: `procedures check` exit codes and messages,
//! `orientation` sheets, and `serve --procedures` reloading on SIGHUP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_maillage");

const GOOD: &str =
    "id = \"dac\"\ntitre = \"Appeler le DAC\"\nversion = \"1\"\ndate = \"2026-05-01\"\n\
[[etapes]]\nid = \"dac\"\nchoix = \"acteur\"\nacteurs = [\"finess:819001520\"]\n";

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn procedures_check_exit_codes() {
    let (code, out) = run(&["procedures", "check"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("3 procédure(s) valide(s), 0 erreur(s)"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dac.toml");
    std::fs::write(&file, GOOD.replace("finess:819001520", "finess:000")).unwrap();
    let (code, out) = run(&[
        "procedures",
        "check",
        "--procedures",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{}:8: étape « dac » : acteur inconnu « finess:000 »",
            file.display()
        )),
        "{out}"
    );
    std::fs::write(&file, GOOD).unwrap();
    let (code, out) = run(&["procedures", "check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn orientation_sheet_and_batch() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("fiche.html");
    let (code, out) = run(&[
        "orientation",
        "--procedure",
        "perte-autonomie-domicile",
        "--commune",
        "81099",
        "--sortie",
        sheet.to_str().unwrap(),
        "--url",
        "https://carte.exemple.fr",
    ]);
    assert_eq!(code, 0, "{out}");
    let html = std::fs::read_to_string(&sheet).unwrap();
    assert!(html.contains("https://carte.exemple.fr/orientation/perte-autonomie-domicile/81099"));
    assert!(html.contains("EXEMPLE – CLIC DU GAILLACOIS"));

    let out_dir = dir.path().join("lot");
    let (code, out) = run(&[
        "orientation",
        "--procedure",
        "sans-medecin-traitant",
        "--territoire",
        "cpts:cpts-exemple-du-gaillacois",
        "--sortie",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let n = std::fs::read_dir(&out_dir).unwrap().count();
    assert!(
        out.starts_with(&format!("{} fiche(s) écrite(s)", n - 1)),
        "{out}"
    );
    assert!(out_dir.join("index.html").exists());

    let (code, _) = run(&[
        "orientation",
        "--procedure",
        "inconnue",
        "--commune",
        "81099",
        "--sortie",
        sheet.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf)
}

fn wait_for(port: u16, path: &str, needle: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_get(port, path).is_some_and(|b| b.contains(needle)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A loopback port nobody listens on (yet).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `maillage servir` on `port` with a partner base in `dir`, plus `extra` arguments.
fn serve(dir: &Path, port: u16, extra: &[&str], stderr: Stdio) -> std::process::Child {
    Command::new(BIN)
        .args([
            "servir",
            "--adresse",
            &format!("127.0.0.1:{port}"),
            "--sans-tuiles",
            "--base",
            dir.join("base.sqlite").to_str().unwrap(),
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn serve_reloads_procedures_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let procs = dir.path().join("procedures");
    std::fs::create_dir(&procs).unwrap();
    let file = procs.join("dac.toml");
    std::fs::write(&file, GOOD).unwrap();
    let port = free_port();
    let mut child = serve(
        dir.path(),
        port,
        &["--procedures", procs.to_str().unwrap()],
        Stdio::null(),
    );
    let ok = wait_for(port, "/api/procedures/dac", "\"version\":\"1\"");
    let hup = |pid: u32| {
        Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap()
    };
    let result = (|| {
        if !ok {
            return Err("server did not answer".to_string());
        }
        // A broken file: the working version stays.
        std::fs::write(&file, GOOD.replace("version = \"1\"", "version = ")).unwrap();
        hup(child.id());
        if !wait_for(port, "/api/procedures", "dac.toml:3:") {
            return Err("error not reported after SIGHUP".into());
        }
        let body = http_get(port, "/api/procedures/dac").unwrap_or_default();
        if !body.contains("\"version\":\"1\"") {
            return Err(format!("old version not kept: {body}"));
        }
        // Fixed: the new version serves.
        std::fs::write(&file, GOOD.replace("version = \"1\"", "version = \"2\"")).unwrap();
        hup(child.id());
        if !wait_for(port, "/api/procedures/dac", "\"version\":\"2\"") {
            return Err("new version not loaded".into());
        }
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
    assert!(Path::new(&file).exists());
}

/// `serve --config` with `url_publique` (issue 13.6): the sheet's link and QR code use the
/// public address, and the age given in the link; `--url-publique` is checked.
#[test]
fn serve_config_file_sets_the_public_url_of_the_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("servir.toml");
    std::fs::write(
        &config,
        "url_publique = \"https://carte.cpts-exemple.fr/\"\ntitre = \"Carte de la CPTS\"\n",
    )
    .unwrap();
    let port = free_port();
    let mut child = serve(
        dir.path(),
        port,
        &["--config", config.to_str().unwrap()],
        Stdio::null(),
    );
    let ok = wait_for(port, "/api/health", "\"ok\"");
    let sheet = http_get(port, "/orientation/perte-autonomie-domicile/81099?age=85");
    let config_answer = http_get(port, "/api/config");
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "server did not answer");
    let sheet = sheet.unwrap();
    let live = "https://carte.cpts-exemple.fr/orientation/perte-autonomie-domicile/81099?age=85";
    assert!(sheet.contains(&format!("href=\"{live}\"")), "{sheet}");
    assert!(sheet.contains("85 ans"), "{sheet}");
    assert!(!sheet.contains("127.0.0.1"), "{sheet}");
    let config_answer = config_answer.unwrap();
    assert!(
        config_answer.contains("\"url_publique\":\"https://carte.cpts-exemple.fr\""),
        "{config_answer}"
    );
    assert!(
        config_answer.contains("Carte de la CPTS"),
        "{config_answer}"
    );

    // A bad address is refused before anything starts, in French.
    let out = Command::new(BIN)
        .args(["servir", "--url-publique", "carte.cpts.fr"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("URL publique invalide"), "{err}");
}

/// `maillage orientation --age` (issue 13.6): the sheet prints the age, applies it (no
/// « âge non précisé ») and keeps it in its link; an age out of range is refused.
#[test]
fn orientation_sheet_for_an_age() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("fiche.html");
    let args = |age: &'static str| {
        vec![
            "orientation",
            "--procedure",
            "perte-autonomie-domicile",
            "--commune",
            "81006",
            "--sortie",
            sheet.to_str().unwrap(),
            "--url",
            "https://carte.exemple.fr",
            "--age",
            age,
        ]
    };
    let (code, out) = run(&args("82"));
    assert_eq!(code, 0, "{out}");
    let html = std::fs::read_to_string(&sheet).unwrap();
    assert!(html.contains("82 ans"), "{html}");
    assert!(!html.contains("âge non précisé"), "{html}");
    assert!(
        html.contains("https://carte.exemple.fr/orientation/perte-autonomie-domicile/81006?age=82")
    );
    assert!(
        html.contains("2 plus proches demandées, mais une seule structure"),
        "{html}"
    );
    let (code, _) = run(&args("200"));
    assert_ne!(code, 0);
}

/// `serve --config` also carries the routing settings (issue 16): an engine that cannot be
/// reached stops the start-up with a French error, unless `routage_repli` asks for the
/// estimates, which `/api/config` then names.
#[test]
fn serve_config_file_sets_the_routing_engine_and_its_fallback() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on: the engine is down.
    let dead = free_port();
    let config = dir.path().join("servir.toml");
    let serve = |config_text: String, port: u16| {
        std::fs::write(&config, config_text).unwrap();
        serve(
            dir.path(),
            port,
            &["--config", config.to_str().unwrap()],
            Stdio::piped(),
        )
    };

    let refused = serve(
        format!("routage = \"http://127.0.0.1:{dead}\"\nroutage_delai_inutile = 1\n"),
        0,
    )
    .wait_with_output()
    .unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("clés possibles"), "{err}");
    assert!(err.contains("routage_repli"), "{err}");

    let down = serve(format!("routage = \"http://127.0.0.1:{dead}\"\n"), 0)
        .wait_with_output()
        .unwrap();
    assert!(!down.status.success());
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(err.contains("routage"), "{err}");

    let port = free_port();
    let mut child = serve(
        format!("routage = \"http://127.0.0.1:{dead}\"\nroutage_repli = true\n"),
        port,
    );
    let ok = wait_for(port, "/api/health", "\"ok\"");
    let answer = http_get(port, "/api/config");
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "server did not start with routage_repli");
    let answer = answer.unwrap();
    assert!(answer.contains("\"routage\":false"), "{answer}");
    assert!(answer.contains("vol d'oiseau"), "{answer}");
}
