//! The synthetic France-wide generator (`benches/gen_france.py`) writes files that maillage's
//! importers recognise and read without a single rejection; `maillage build-index` turns such a
//! directory into a snapshot that answers every command exactly as the directory does.

use std::path::Path;
use std::process::Command;

use maillage::sources::{load_dir, scan_dir, Format};

fn generate(dir: &Path, scale: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gen_france.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir)
        .args(["--echelle", scale, "--graine", "7"])
        .output()
        .expect("python3 is required to run benches/gen_france.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn small_generated_france_loads_without_rejection() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), "0.002");

    let (found, skipped) = scan_dir(tmp.path()).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    let mut formats: Vec<Format> = found.iter().map(|(_, f)| *f).collect();
    formats.sort_by_key(|f| format!("{f:?}"));
    assert_eq!(
        formats,
        vec![
            maillage::sources::bpe::XY,
            maillage::sources::finess::FORMAT,
            maillage::sources::rpps::FORMAT
        ]
    );

    let ds = load_dir(tmp.path()).unwrap();
    for r in &ds.reports {
        assert_eq!(r.rejected, 0, "{}: {:?}", r.file, r.rejections.first());
        assert!(r.accepted > 0, "{}", r.file);
    }
    let count = |prefix: &str| {
        ds.actors
            .iter()
            .filter(|a| a.id.starts_with(prefix))
            .count()
    };
    let finess = ds
        .reports
        .iter()
        .find(|r| r.format == maillage::sources::finess::FORMAT)
        .unwrap();
    assert_eq!(count("finess:"), 200);
    assert_eq!(finess.accepted, 200);
    let bpe = ds
        .reports
        .iter()
        .find(|r| r.format == maillage::sources::bpe::XY)
        .unwrap();
    assert_eq!(bpe.accepted, 1_200);
    assert_eq!(count("bpe:"), 1_200);
    let rpps = ds
        .reports
        .iter()
        .find(|r| r.format == maillage::sources::rpps::FORMAT)
        .unwrap();
    assert!(rpps.accepted >= 2_600, "{}", rpps.accepted);
    // Identity-only lines and repeated pairs are not actors.
    assert!(
        count("rpps:") < rpps.accepted && count("rpps:") > 2_000,
        "{}",
        count("rpps:")
    );

    // Every projected position lands in France (metropolitan or overseas), never at (0,0).
    for a in ds.actors.iter().filter(|a| !a.id.starts_with("rpps:")) {
        if let Some(p) = a.position {
            let metro = (-5.5..=10.0).contains(&p.lon) && (41.0..=51.5).contains(&p.lat);
            let overseas = (-62.0..=-51.0).contains(&p.lon) || (44.0..=56.0).contains(&p.lon);
            assert!(metro || overseas, "{} at {p:?}", a.id);
        }
    }
    // Positions reproduce the generator's Lambert-93/UTM round trip: most BPE rows carry
    // both systems, and FINESS only the projected one; both are located.
    let located = ds
        .actors
        .iter()
        .filter(|a| a.id.starts_with("finess:") && a.position.is_some())
        .count();
    assert!(located >= 190, "{located}");
}

#[test]
fn generator_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    generate(a.path(), "0.0005");
    generate(b.path(), "0.0005");
    for name in [
        "etalab-cs1100507-stock-20260512-0342.csv",
        "PS_LibreAcces_Personne_activite_202609230000.txt",
        "BPE25.csv",
    ] {
        let x = std::fs::read(a.path().join(name)).unwrap();
        let y = std::fs::read(b.path().join(name)).unwrap();
        assert!(x == y, "{name} differs between two runs");
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_maillage");

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
    generate(&data, "0.002");
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
    assert!(err.contains("maillage servir --data"), "{err}");
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
    let mut bytes = b"MAILLAGE".to_vec();
    bytes.extend_from_slice(&maillage::sources::snapshot::VERSION.to_le_bytes());
    bytes.push(5);
    std::fs::write(&idx, bytes).unwrap();
    let (ok, _, err) = run(&["stats", "--data", idx.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("abime.idx"), "{err}");
    assert!(err.contains("tronqué"), "{err}");
}
