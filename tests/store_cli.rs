//! The store's command line, run as a user would: `partenaires importer|exporter`,
//! `jetons creer|lister|revoquer`.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_maillage");

fn run(args: &[&str], base: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--base")
        .arg(base)
        .output()
        .expect("maillage")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn import_preview_apply_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.sqlite");
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/data/partenaires-modele.csv");

    let pre = run(&["partenaires", "importer", template, "--apercu"], &base);
    assert!(
        pre.status.success(),
        "{}",
        String::from_utf8_lossy(&pre.stderr)
    );
    let text = stdout(&pre);
    assert!(
        text.contains("4 ajouté(s)") && text.contains("aperçu"),
        "{text}"
    );
    let list = run(&["partenaires", "exporter", "--format", "csv"], &base);
    assert_eq!(stdout(&list).lines().count(), 1, "l'aperçu n'écrit rien");

    let done = run(&["partenaires", "importer", template], &base);
    assert!(stdout(&done).contains("enregistré"), "{}", stdout(&done));
    let out = dir.path().join("export.csv");
    let exp = run(
        &[
            "partenaires",
            "exporter",
            "--format",
            "csv",
            "--prive",
            "--sortie",
            out.to_str().unwrap(),
        ],
        &base,
    );
    assert!(exp.status.success());
    let again = run(&["partenaires", "importer", out.to_str().unwrap()], &base);
    let text = stdout(&again);
    assert!(
        text.contains("0 ajouté(s), 0 modifié(s), 4 inchangé(s), 0 rejeté(s)"),
        "{text}"
    );

    for format in ["geojson", "hsds"] {
        let o = run(&["partenaires", "exporter", "--format", format], &base);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let n = if format == "geojson" {
            v["features"].as_array().unwrap().len()
        } else {
            v["contents"].as_array().unwrap().len()
        };
        assert_eq!(n, 4, "{format}");
    }

    let bad = dir.path().join("mauvais.csv");
    std::fs::write(&bad, "nom;type;code_insee;telephone\nA;dac;81004;05 63\n").unwrap();
    let o = run(&["partenaires", "importer", bad.to_str().unwrap()], &base);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("mauvais.csv:2: telephone"), "{text}");

    // An unknown type names the closest types, not the whole table (as the page does).
    std::fs::write(&bad, "nom;type;code_insee\nB;ssiad domicile;81004\n").unwrap();
    let o = run(&["partenaires", "importer", bad.to_str().unwrap()], &base);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.contains("mauvais.csv:2: type"))
        .unwrap();
    assert!(
        line.contains("types proches : ") && line.contains("(ssiad)"),
        "{line}"
    );
    assert!(
        !line.contains("(ehpad)") && line.chars().count() < 300,
        "{line}"
    );
}

#[test]
fn tokens_are_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.sqlite");
    let c = run(
        &[
            "jetons",
            "creer",
            "--nom",
            "Coordinatrice",
            "--role",
            "editeur",
        ],
        &base,
    );
    assert!(c.status.success());
    let secret = stdout(&c).trim().to_string();
    assert!(String::from_utf8_lossy(&c.stderr).contains("plus jamais affiché"));
    let l = run(&["jetons", "lister"], &base);
    let text = stdout(&l);
    assert!(
        text.contains("Coordinatrice") && text.contains("actif"),
        "{text}"
    );
    assert!(!text.contains(&secret));
    let needle = secret.as_bytes();
    for file in [base.clone(), base.with_extension("sqlite-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "jeton en clair dans {}",
            file.display()
        );
    }
    let r = run(&["jetons", "revoquer", "Coordinatrice"], &base);
    assert!(stdout(&r).contains("révoqué"));
    assert!(stdout(&run(&["jetons", "lister"], &base)).contains("révoqué le"));
    let bad = run(&["jetons", "creer", "--nom", "X", "--role", "chef"], &base);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("lecteur, editeur ou admin"));
}

#[test]
fn the_partner_command_places_a_former_code_like_the_server() {
    // Ronel (81226) was merged into Terre-de-Bancalié (81233): the command resolves places
    // with the directory's resolver, as the server does.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.sqlite");
    let file = dir.path().join("anciens.csv");
    std::fs::write(
        &file,
        "nom;type;code_insee;commune\nCabinet E;partenaire;81226;\nCabinet R;partenaire;;Ronel\n",
    )
    .unwrap();
    let o = run(&["partenaires", "importer", file.to_str().unwrap()], &base);
    let text = stdout(&o);
    assert!(
        o.status.success() && text.contains("2 ajouté(s)") && text.contains("0 rejeté(s)"),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["partenaires", "exporter", "--format", "geojson"], &base);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 2, "{v}");
    for f in features {
        assert!(
            f["geometry"].is_object(),
            "placed at the centre of Terre-de-Bancalié: {f}"
        );
    }
}

/// The English names stay accepted beside the French ones, and a store command that fails says
/// why in French with exit code 2.
#[test]
fn english_aliases_and_failures_of_backup_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("b.sqlite");
    let copy = dir.path().join("copie.sqlite");
    let missing = run(&["sauvegarde", "--sortie", copy.to_str().unwrap()], &base);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("introuvable"));

    let c = run(
        &["tokens", "create", "--nom", "Outil", "--role", "lecteur"],
        &base,
    );
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let b = run(&["backup", "--sortie", copy.to_str().unwrap()], &base);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert!(stdout(&b).contains("sauvegarde de"));

    let other = dir.path().join("autre.sqlite");
    let r = run(&["restore", copy.to_str().unwrap()], &other);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(stdout(&r).contains("1 jeton(s)"), "{}", stdout(&r));
    assert!(stdout(&run(&["jetons", "lister"], &other)).contains("Outil"));
    let e = run(&["partners", "export"], &other);
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
}
