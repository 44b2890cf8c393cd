//! Every CSV writer follows the one dialect of `util::csv` (issue 17 point 4): with `;` a UTF-8
//! BOM and decimal commas; with `,` no BOM and decimal points; formula cells neutralised.
//! Writers: partner export (CLI and HTTP), `maillage interroger --format csv`, the
//! `communes.csv` of `maillage diagnostic`, `/api/diagnostic.csv`. Our partner export
//! re-imports with « 0 modifié(s) ».

mod server_support;

use std::path::Path;
use std::process::{Command, Output};

use server_support::{agent, free_port, start, BIN};

fn run(args: &[&str], base: &Path) -> Output {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    if args[0] != "diagnostic" {
        all.extend(["--base".as_ref(), base.as_os_str()]);
    }
    let o = Command::new(BIN).args(&all).output().expect("maillage");
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The dialect checks on one CSV text: BOM, separator, decimal mark in the columns `decimal`
/// (at least one non-empty value each), no cell starting like a formula. Returns the table.
fn check(what: &str, bytes: &[u8], delimiter: u8, decimal: &[&str]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|_| panic!("{what}: not UTF-8"));
    let semicolon = delimiter == b';';
    assert_eq!(
        text.starts_with('\u{feff}'),
        semicolon,
        "{what}: BOM exactly with « ; »"
    );
    let table: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert!(table.len() > 1, "{what}: {text}");
    assert!(table[0].len() > 3, "{what}: header split by the separator");
    for name in decimal {
        let col = table[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{what}: column {name} in {:?}", table[0]));
        let values: Vec<&str> = table[1..]
            .iter()
            .map(|r| r[col].as_str())
            .filter(|v| !v.is_empty())
            .collect();
        assert!(!values.is_empty(), "{what}: {name} empty");
        let (good, bad) = if semicolon { (',', '.') } else { ('.', ',') };
        assert!(
            values.iter().all(|v| !v.contains(bad)),
            "{what}: {name} uses « {bad} »: {values:?}"
        );
        assert!(
            values.iter().any(|v| v.contains(good)),
            "{what}: {name} has no « {good} »: {values:?}"
        );
    }
    for cell in table.iter().flatten() {
        let number = cell.replace(',', ".").parse::<f64>().is_ok();
        assert!(
            number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{what}: cell « {cell} » starts like a formula"
        );
    }
    table
}

fn has(table: &[Vec<String>], cell: &str) -> bool {
    table.iter().flatten().any(|c| c == cell)
}

#[test]
fn every_csv_writer_follows_the_one_dialect() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/partenaires-modele.csv"
    ))
    .unwrap();
    let input = tmp.path().join("partenaires.csv");
    std::fs::write(
        &input,
        format!(
            "{template};=SOMME(1);partenaire;;81000;Albi;81004;43.93;2.15;;;;;;non;Jaurès;;;\n"
        ),
    )
    .unwrap();
    let o = run(&["partenaires", "importer", input.to_str().unwrap()], &base);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("5 ajouté(s)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // Partner export (CLI): the dialect, then re-imported unchanged.
    let export = tmp.path().join("export.csv");
    run(
        &[
            "partenaires",
            "exporter",
            "--format",
            "csv",
            "--prive",
            "--sortie",
            export.to_str().unwrap(),
        ],
        &base,
    );
    let bytes = std::fs::read(&export).unwrap();
    let table = check(
        "partenaires (CLI)",
        &bytes,
        b';',
        &["latitude", "longitude"],
    );
    assert!(
        has(&table, "43,9289") && has(&table, "'=SOMME(1)"),
        "{table:?}"
    );
    assert!(has(&table, "Jaurès"));
    let again = run(
        &["partenaires", "importer", export.to_str().unwrap()],
        &base,
    );
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains("0 ajouté(s), 0 modifié(s), 5 inchangé(s), 0 rejeté(s)"),
        "{text}"
    );

    // Query CSV, both variants, with the base's partners.
    let query = |sep: &str| {
        run(
            &[
                "interroger",
                "--format",
                "csv",
                "--separateur",
                sep,
                "rayon",
                "--lat",
                "43.9289",
                "--lon",
                "2.1486",
                "--rayon-m",
                "20000",
            ],
            &base,
        )
        .stdout
    };
    let table = check(
        "interroger ;",
        &query(";"),
        b';',
        &["latitude", "longitude"],
    );
    assert!(has(&table, "'=SOMME(1)"), "les partenaires de la base");
    check(
        "interroger ,",
        &query(","),
        b',',
        &["latitude", "longitude"],
    );

    // communes.csv of `maillage diagnostic`, both variants.
    for (sep, delimiter) in [(";", b';'), (",", b',')] {
        let out = tmp.path().join(format!("diag{}", delimiter as char));
        run(
            &[
                "diagnostic",
                "--territoire",
                "81",
                "--types",
                "ehpad",
                "--separateur",
                sep,
                "--sortie",
                out.to_str().unwrap(),
            ],
            &base,
        );
        let bytes = std::fs::read(out.join("communes.csv")).unwrap();
        check(
            &format!("communes.csv {sep}"),
            &bytes,
            delimiter,
            &["ehpad_distance_km"],
        );
    }

    // HTTP: partner export and /api/diagnostic.csv.
    let port = free_port();
    let _server = start(&base, port);
    let get = |path: &str| {
        agent()
            .get(&format!("http://127.0.0.1:{port}{path}"))
            .call()
            .unwrap()
            .into_body()
            .read_to_vec()
            .unwrap()
    };
    let table = check(
        "partenaires (HTTP)",
        &get("/api/partenaires?format=csv"),
        b';',
        &["latitude", "longitude"],
    );
    assert!(has(&table, "'=SOMME(1)"));
    check(
        "/api/diagnostic.csv",
        &get("/api/diagnostic.csv?territory=81&kinds=ehpad"),
        b';',
        &["ehpad_distance_km"],
    );
    check(
        "/api/diagnostic.csv ,",
        &get("/api/diagnostic.csv?territory=81&kinds=ehpad&separateur=virgule"),
        b',',
        &["ehpad_distance_km"],
    );
}
