//! `maillage diagnostic` as a user runs it (issue 13.5): a kind with BPE counts but no actor
//! says to add `--source bpe` instead of reporting 0; an unknown `--territoire` lists the
//! loaded CPTS territories; with only one département loaded, the région is said not loaded.

mod server_support;

use std::path::Path;
use std::process::Command;

use server_support::{import_template, BIN};
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `maillage diagnostic ARGS --sortie OUT`: (exit code, stdout, stderr).
fn diagnostic(args: &[&str], out: &Path) -> (i32, String, String) {
    let mut all = vec!["diagnostic"];
    all.extend_from_slice(args);
    all.extend(["--sortie", out.to_str().unwrap()]);
    run(&all)
}

/// A data folder with the Tarn outlines and the BPE 2018 counts only (no actor at all).
fn bpe_folder(dir: &Path) {
    for file in [
        "geo/communes-81-tarn.geojson",
        "bpe/bpe2018_ensemble_occitanie_sante_social.csv",
    ] {
        let from = Path::new(DATA).join(file);
        let to = dir.join(from.file_name().unwrap());
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}

#[test]
#[ignore = "needs ../shared/data"]
fn bpe_counts_without_actors_say_to_use_the_bpe_source() {
    let data = tempfile::tempdir().unwrap();
    bpe_folder(data.path());
    let out = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let sortie = out.path().join("acteurs");
    let args = [
        "--data",
        dir,
        "--territoire",
        "81",
        "--types",
        "medecin-generaliste",
    ];
    let (code, stdout, stderr) = diagnostic(&args, &sortie);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // Not « effectif 0 » everywhere: the counts exist, say how to use them.
    assert!(
        stdout.contains("relancez avec « --source bpe »"),
        "{stdout}"
    );
    assert!(!stdout.contains("effectif 0"), "{stdout}");
    let report = std::fs::read_to_string(sortie.join("rapport.html")).unwrap();
    assert!(report.contains("--source bpe"), "report without the advice");

    // With --source bpe the counts are used.
    let sortie = out.path().join("bpe");
    let (code, stdout, stderr) = diagnostic(&[&args[..], &["--source", "bpe"]].concat(), &sortie);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("effectif"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let count: String = line
        .split("effectif ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    assert!(count.parse::<u64>().unwrap() > 100, "{line}");
    assert!(!stdout.contains("--source bpe"), "{stdout}");
}

#[test]
fn an_unknown_territory_lists_the_loaded_cpts() {
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = diagnostic(&["--territoire", "cpts-inconnue"], out.path());
    assert_ne!(code, 0, "{stdout}");
    assert!(
        stderr.contains("territoire « cpts-inconnue » inconnu"),
        "{stderr}"
    );
    // The demo's CPTS comes first, then the département, then a few EPCI.
    let listed = stderr
        .split("territoires chargés : ")
        .nth(1)
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        listed.starts_with("cpts:cpts-exemple-du-gaillacois, dep:81, epci:"),
        "{stderr}"
    );
}

#[test]
fn only_one_departement_loaded_says_the_region_is_not_loaded() {
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        diagnostic(&["--territoire", "81", "--types", "ehpad"], out.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Occitanie : région non chargée : seules les communes de Tarn (81)"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("diagnostic.json")).unwrap())
            .unwrap();
    let levels: Vec<&str> = json["comparaisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["niveau"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["territoire", "departement"]);
    assert_eq!(json["comparaisons_absentes"][0]["niveau"], "region");
    let report = std::fs::read_to_string(out.path().join("rapport.html")).unwrap();
    assert!(report.contains("Région non chargée"), "report");
}

/// The map shown in the README (`docs/img/carte-diagnostic-ehpad.png`), made here: the demo's
/// EHPAD density with the main communes labelled. Written into `docs/img/` only with
/// `MAILLAGE_CAPTURES=docs` (as the page screenshots), so an ordinary run leaves the checkout
/// clean.
#[test]
fn the_density_map_names_the_main_communes() {
    let out = tempfile::tempdir().unwrap();
    let (code, _, stderr) = diagnostic(&["--territoire", "81", "--types", "ehpad"], out.path());
    assert_eq!(code, 0, "{stderr}");
    let svg = std::fs::read_to_string(out.path().join("carte-ehpad-densite.svg")).unwrap();
    for town in ["Albi", "Castres", "Gaillac"] {
        assert!(
            svg.contains(&format!(r#"paint-order="stroke">{town}</text>"#)),
            "{town}"
        );
    }
    assert!(svg.contains("Densité pour 10\u{a0}000 habitants"));
    let png = out.path().join("carte-ehpad-densite.png");
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    if std::env::var("MAILLAGE_CAPTURES").as_deref() == Ok("docs") {
        let kept =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img/carte-diagnostic-ehpad.png");
        std::fs::copy(&png, kept).unwrap();
    }
}

/// `maillage diagnostic --base` counts the CPTS's own partners, as `maillage servir --base`
/// shows them: the template's SSIAD in Gaillac adds one to Gaillac's SSIAD count.
#[test]
fn diagnostic_with_base_counts_the_partners() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    import_template(&base);
    let gaillac_ssiad = |base: &Path, name: &str| -> u64 {
        let out = tmp.path().join(name);
        let args = ["--territoire", "81", "--types", "ssiad", "--base"];
        let mut all: Vec<&str> = args.to_vec();
        all.push(base.to_str().unwrap());
        let (code, _, stderr) = diagnostic(&all, &out);
        assert_eq!(code, 0, "{stderr}");
        let gj: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("communes.geojson")).unwrap()).unwrap();
        let gaillac = gj["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["code_insee"] == "81099")
            .unwrap();
        gaillac["properties"]["ssiad_effectif"].as_u64().unwrap()
    };
    let without = gaillac_ssiad(&tmp.path().join("absente.sqlite"), "sans");
    let with = gaillac_ssiad(&base, "avec");
    assert_eq!(with, without + 1);
}
