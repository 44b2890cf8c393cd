//! `maillage build-index` writes a snapshot of a data directory; every command given that
//! snapshot instead of the directory answers exactly as from the directory.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_maillage");

fn generate(dir: &Path) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gen_france.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir)
        .args(["--echelle", "0.002", "--graine", "11"])
        .output()
        .expect("python3 is required to run benches/gen_france.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn snapshot_answers_like_the_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("donnees");
    generate(&data);
    let idx = tmp.path().join("france.idx");
    let (ok, _, err) = run(&[
        "build-index",
        "--data",
        data.to_str().unwrap(),
        "--sortie",
        idx.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("Instantané écrit"), "{err}");
    assert!(err.contains("maillage serve --data"), "{err}");
    assert!(idx.is_file());

    let (d, i) = (data.to_str().unwrap(), idx.to_str().unwrap());
    let queries: Vec<Vec<&str>> = vec![
        vec![
            "query", "nearest", "--lat", "43.60", "--lon", "1.44", "-k", "25",
        ],
        vec![
            "query",
            "nearest",
            "--lat",
            "48.85",
            "--lon",
            "2.35",
            "--kind",
            "pharmacie",
        ],
        vec![
            "query",
            "within",
            "--lat",
            "45.76",
            "--lon",
            "4.84",
            "--rayon-m",
            "8000",
        ],
        vec!["query", "search", "pharmacie lyon"],
        vec!["stats"],
    ];
    for q in queries {
        let with = |source: &str| {
            let mut args = q.clone();
            args.extend(["--data", source]);
            if args[0] == "query" {
                args.extend(["--format", "json"]);
            }
            let (ok, out, err) = run(&args);
            assert!(ok, "{args:?}: {err}");
            out
        };
        let (from_dir, from_snapshot) = (with(d), with(i));
        assert!(from_dir.len() > 20, "{q:?}: {from_dir}");
        assert_eq!(from_dir, from_snapshot, "{q:?}");
    }
}

#[test]
fn a_damaged_snapshot_is_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("abime.idx");
    std::fs::write(&idx, b"MAILLAGE\x01\x00\x00\x00\x05").unwrap();
    let (ok, _, err) = run(&["stats", "--data", idx.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("abime.idx"), "{err}");
    assert!(err.contains("tronqué"), "{err}");
}
