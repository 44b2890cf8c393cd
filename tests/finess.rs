//! FINESS `etalab-cs1100507` importer on format-exact fixtures (`tests/fixtures/finess/`,
//! written by `make_fixtures.py` there).

use maillage::model::{haversine_m, ActorRecord, KindTable, LonLat, Precision, Sector, SourceId};
use maillage::sources::{finess, FileReport, Imported};

// Reference positions computed with PROJ 9.5.1 through pyproj 3.7.2
// (`Transformer.from_crs(epsg, 4326, always_xy=True)`) from the fixtures' coordinates.
const ALBI_CH: (f64, f64) = (2.148600014, 43.928899985); // 2154: 631628.59 6314801.50
const ALBI_CMP: (f64, f64) = (2.143100028, 43.925000012); // 2154: 631182.23 6314372.95
const GAILLAC: (f64, f64) = (1.898600001, 43.901600002); // 2154: 611511.26 6312016.53
const CASTRES: (f64, f64) = (2.239999971, 43.605999975); // 2154: 638622.83 6278845.02
const AJACCIO: (f64, f64) = (8.736899971, 41.919199978); // 2154: 1176526.60 6108263.02
const POINTE_A_PITRE: (f64, f64) = (-61.533099975, 16.241100037); // 4559/5490: 656770.90 1796166.18
const GUSTAVIA: (f64, f64) = (-62.850800027, 17.896200021); // 5490: 515803.93 1978707.90
const SAINT_PIERRE: (f64, f64) = (-56.177300022, 46.781100027); // 4467: 562801.10 5181167.60
const CAYENNE: (f64, f64) = (-52.326000042, 4.937199978); // 2972: 352980.20 545868.92
const MAMOUDZOU: (f64, f64) = (45.227899956, -12.780600014); // 4471: 524735.37 8587115.81
const SAINT_DENIS: (f64, f64) = (55.450400014, -20.8823); // 2975: 338811.24 7690101.36

fn load(name: &str) -> (Imported, FileReport, KindTable) {
    let path = format!(
        "{}/tests/fixtures/finess/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut kinds = KindTable::builtin();
    let (imported, report) =
        finess::read(&bytes, name, SourceId(3), &mut kinds).expect("a FINESS file");
    (imported, report, kinds)
}

fn actor<'a>(imported: &'a Imported, number: &str) -> &'a ActorRecord {
    let id = format!("finess:{number}");
    imported
        .actors
        .iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("{id} not imported"))
}

fn assert_at(a: &ActorRecord, (lon, lat): (f64, f64), precision: Precision) {
    let p = a
        .position
        .unwrap_or_else(|| panic!("{} has no position", a.id));
    let d = haversine_m(p, LonLat::new(lon, lat));
    assert!(
        d < 1.0,
        "{}: {p:?} is {d:.3} m from PROJ's ({lon}, {lat})",
        a.id
    );
    assert_eq!(a.precision, precision, "{}", a.id);
}

fn commune(a: &ActorRecord) -> &str {
    a.commune.as_ref().map(|c| c.as_str()).unwrap_or("")
}

fn rejected(report: &FileReport) -> Vec<(usize, &str)> {
    let mut r: Vec<(usize, &str)> = report
        .rejections
        .iter()
        .map(|r| (r.line, r.field.as_str()))
        .collect();
    r.sort();
    r
}

#[test]
fn latin1_2023_extract() {
    let (imported, report, kinds) = load("etalab-cs1100507-2023-latin1.csv");
    assert_eq!(report.source_date.as_deref(), Some("2023-07-04"));
    assert!(!report.sample);
    assert_eq!(report.accepted, 7);
    assert_eq!(imported.actors.len(), 7);
    assert_eq!(report.rejected, report.rejections.len());
    assert_eq!(
        rejected(&report),
        vec![
            (9, "nombre de champs"),
            (10, "nofinesset"),
            (11, "departement"),
            (12, "commune"),
            (15, "coordxet"),
            (18, "sourcecoordet"),
            (19, "nofinesset"),
            (20, "nofinesset"),
        ]
    );
    let found = |line: usize| {
        report
            .rejections
            .iter()
            .find(|r| r.line == line)
            .map(|r| r.found.as_str())
            .unwrap_or("")
    };
    assert_eq!(found(9), "20 champs");
    assert_eq!(found(10), "81999006");
    assert_eq!(found(11), "2C");
    assert_eq!(found(12), "1O4");
    assert_eq!(found(15), "638622,83");
    assert_eq!(found(18), "LAMBERT_II_ETENDU");
    assert_eq!(found(19), "819990995");
    assert!(found(20).contains("ligne 13"), "{}", found(20));
    assert!(report
        .rejections
        .iter()
        .all(|r| r.file == "etalab-cs1100507-2023-latin1.csv"));

    // Hospital: category 355 → ch, address, phone, Lambert-93 position.
    let ch = actor(&imported, "819990011");
    assert_eq!(ch.name, "CENTRE HOSPITALIER EXEMPLE D'ALBI");
    assert_eq!(kinds.get(ch.kind).id, "ch");
    assert_eq!(ch.source_code.as_deref(), Some("355"));
    assert_eq!(
        ch.source_label.as_deref(),
        Some("Centre Hospitalier (C.H.)")
    );
    assert_eq!(ch.source, SourceId(3));
    assert_eq!(commune(ch), "81004");
    assert_eq!(ch.address.number.as_deref(), Some("22"));
    assert_eq!(
        ch.address.street.as_deref(),
        Some("BOULEVARD DU GÉNÉRAL SIBILLE, BP 111")
    );
    assert_eq!(ch.address.postcode.as_deref(), Some("81013"));
    assert_eq!(ch.address.city.as_deref(), Some("ALBI CEDEX 9"));
    assert_eq!(ch.phone.as_deref(), Some("05 63 47 47 47"));
    assert_at(ch, ALBI_CH, Precision::Address);

    // EHPAD: 500 → ehpad; Latin-1 accents decoded; quality 73 → street.
    let ehpad = actor(&imported, "819990029");
    assert_eq!(ehpad.name, "EHPAD EXEMPLE RÉSIDENCE LES CÈDRES");
    assert_eq!(kinds.get(ehpad.kind).id, "ehpad");
    assert_eq!(kinds.get(ehpad.kind).sector, Sector::MedicoSocial);
    assert_eq!(commune(ehpad), "81099");
    assert_eq!(ehpad.address.number.as_deref(), Some("12 bis"));
    assert_eq!(ehpad.address.street.as_deref(), Some("RUE DE L'HÔPITAL"));
    assert_eq!(ehpad.phone.as_deref(), Some("05 63 81 20 00"));
    assert_at(ehpad, GAILLAC, Precision::Street);

    // Categories without a unified kind keep FINESS's code and label; sector from the aggregate.
    let chrs = actor(&imported, "819990037");
    let k = kinds.get(chrs.kind);
    assert_eq!(k.id, "finess-214");
    assert_eq!(
        k.label,
        "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)"
    );
    assert_eq!(k.sector, Sector::Social);
    assert_eq!(commune(chrs), "81065");
    assert_eq!(chrs.position, None, "decimal comma refused");
    let mas = actor(&imported, "819990045");
    assert_eq!(kinds.get(mas.kind).id, "finess-255");
    assert_eq!(kinds.get(mas.kind).sector, Sector::MedicoSocial);
    assert_eq!(mas.name, "MAISON D'ACCUEIL SPÉCIALISÉE EXEMPLE");
    assert_eq!(mas.address.street.as_deref(), Some("LIEU-DIT LA FÔRET"));
    assert_eq!(mas.address.number, None);
    assert_eq!(mas.phone, None);
    assert_eq!(mas.position, None, "no geolocalisation row");

    // Corsica and the Antilles.
    let ajaccio = actor(&imported, "2A9990019");
    assert_eq!(commune(ajaccio), "2A004");
    assert_eq!(kinds.get(ajaccio.kind).id, "pharmacie");
    assert_at(ajaccio, AJACCIO, Precision::Address);
    let pap = actor(&imported, "970199918");
    assert_eq!(commune(pap), "97120");
    assert_eq!(pap.name, "CENTRE DE SANTÉ EXEMPLE DE POINTE-À-PITRE");
    assert_at(pap, POINTE_A_PITRE, Precision::Address);
    // Unknown system: the establishment stays, without a position.
    let fdf = actor(&imported, "970299916");
    assert_eq!(commune(fdf), "97209");
    assert_eq!(fdf.position, None);

    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("3 établissement(s) sans géolocalisation")),
        "{:?}",
        report.notes
    );
    assert!(report.notes.iter().any(|n| n.contains("Latin-1")));
}

#[test]
fn utf8_2026_extract_with_epsg_labels() {
    let (imported, report, kinds) = load("etalab-cs1100507-2026-utf8.csv");
    assert_eq!(report.source_date.as_deref(), Some("2026-05-12"));
    assert!(!report.sample);
    assert_eq!(report.accepted, 12);
    assert_eq!(
        rejected(&report),
        vec![
            (24, "coordxet/coordyet"),
            (25, "coordxet/coordyet"),
            (26, "type de ligne"),
            (27, "nombre de champs"),
        ]
    );
    assert!(
        report.rejections[0].expected.contains("EPSG:2975"),
        "{:?}",
        report.rejections[0]
    );

    // Quoted names with doubled quotes; a quoted `;` does not shift the fields; the
    // geolocalisation came before the establishment.
    let cmp = actor(&imported, "819990086");
    assert_eq!(cmp.name, r#"CMP EXEMPLE "LES GLYCINES" D'ALBI"#);
    assert_eq!(kinds.get(cmp.kind).id, "cmp");
    assert_eq!(cmp.source_code.as_deref(), Some("156"));
    assert_eq!(commune(cmp), "81004");
    assert_eq!(
        cmp.address.street.as_deref(),
        Some("AVENUE DU MARÉCHAL JOFFRE")
    );
    assert_eq!(cmp.phone.as_deref(), Some("05 63 00 00 01"));
    assert_at(cmp, ALBI_CMP, Precision::Address);

    let cayenne = actor(&imported, "970399915");
    assert_eq!(commune(cayenne), "97302");
    assert_eq!(kinds.get(cayenne.kind).id, "msp");
    assert_at(cayenne, CAYENNE, Precision::Address);
    let st_denis = actor(&imported, "970499913");
    assert_eq!(commune(st_denis), "97411");
    assert_at(st_denis, SAINT_DENIS, Precision::Address);
    let mamoudzou = actor(&imported, "970699919");
    assert_eq!(commune(mamoudzou), "97611");
    assert_at(mamoudzou, MAMOUDZOU, Precision::Address);
    let pap = actor(&imported, "970199934");
    assert_eq!(commune(pap), "97120");
    assert_at(pap, POINTE_A_PITRE, Precision::Address);
    let gustavia = actor(&imported, "970199959");
    assert_eq!(
        commune(gustavia),
        "97701",
        "Saint-Barthélemy by its postcode"
    );
    assert_at(gustavia, GUSTAVIA, Precision::Address);
    let spm = actor(&imported, "975099916");
    assert_eq!(commune(spm), "97502");
    assert_at(spm, SAINT_PIERRE, Precision::Address);

    // ADMIN-EXPRESS geocoding is a commune centroid.
    let ormes = actor(&imported, "819990094");
    assert_at(ormes, ALBI_CH, Precision::Commune);
    // No system named: Lambert-93 inferred from the département.
    let castres = actor(&imported, "819990102");
    assert_at(castres, CASTRES, Precision::Address);
    // Empty coordinates, wrong system, zero placeholder: kept without a position.
    for n in ["819990110", "819990128", "819990136"] {
        assert_eq!(actor(&imported, n).position, None, "{n}");
    }
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("3 établissement(s) sans géolocalisation"),
        "{notes}"
    );
    assert!(
        notes.contains("1 établissement(s) géocodés au centre de la commune"),
        "{notes}"
    );
    assert!(
        notes.contains("1 géolocalisation(s) sans système"),
        "{notes}"
    );
    assert!(!notes.contains("Latin-1"), "{notes}");
}

#[test]
fn extract_2016_with_split_sourcecoordet() {
    let (imported, report, kinds) = load("etalab-cs1100507-2016-latin1.csv");
    assert_eq!(report.source_date.as_deref(), Some("2016-12-20"));
    assert_eq!(
        (report.accepted, report.rejected),
        (2, 0),
        "{:?}",
        report.rejections
    );
    let ch = actor(&imported, "819990144");
    assert_eq!(ch.name, "CENTRE HOSPITALIER EXEMPLE LAVAUR");
    assert_eq!(ch.address.street.as_deref(), Some("RUE DE L'ÉGLISE"));
    assert_eq!(commune(ch), "81140");
    assert_at(ch, ALBI_CH, Precision::Address);
    let ehpad = actor(&imported, "970499921");
    assert_eq!(kinds.get(ehpad.kind).id, "ehpad");
    assert_eq!(commune(ehpad), "97411");
    assert_at(ehpad, SAINT_DENIS, Precision::Address);
    assert!(
        report.notes.iter().any(|n| n.contains("format 2016")),
        "{:?}",
        report.notes
    );
}

#[test]
fn sample_marker_in_manifest() {
    let (imported, report, _) = load("exemple-finess.csv");
    assert!(report.sample);
    assert_eq!(report.source_date.as_deref(), Some("2026-11-01"));
    assert_eq!(report.accepted, 1);
    assert_eq!(imported.actors[0].position, None);
    assert_eq!(commune(&imported.actors[0]), "81004");
}

/// A `structureet` row with the given number and name, 32 fields and a trailing `;`.
fn row(number: &str, name: &str) -> String {
    format!(
        "structureet;{number};;{name};;;;;;;;;004;81;TARN;81000 ALBI;;;500;EHPAD;4401;\
         Etablissements pour personnes âgées;;;;;;;;;2020-01-01;;\n"
    )
}

#[test]
fn sample_marker_in_names() {
    let mut kinds = KindTable::builtin();
    let data = format!(
        "finess;etalab;2;2026-11-01\n{}{}",
        row("819990169", "EXEMPLE EHPAD A"),
        row("819990177", "EXEMPLE EHPAD B")
    );
    let (_, report) = finess::read(data.as_bytes(), "x.csv", SourceId(0), &mut kinds).unwrap();
    assert!(report.sample);
    let data = format!(
        "finess;etalab;2;2026-11-01\n{}{}",
        row("819990169", "EXEMPLE EHPAD A"),
        row("819990177", "EHPAD REEL")
    );
    let (_, report) = finess::read(data.as_bytes(), "x.csv", SourceId(0), &mut kinds).unwrap();
    assert!(!report.sample);
}

#[test]
fn rows_without_manifest_and_non_finess_files() {
    let mut kinds = KindTable::builtin();
    let data = row("819990169", "EHPAD A");
    let (imported, report) =
        finess::read(data.as_bytes(), "x.csv", SourceId(0), &mut kinds).unwrap();
    assert_eq!(imported.actors.len(), 1);
    assert_eq!(report.source_date, None);
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("date de l'extraction inconnue")));

    let err = finess::read(
        b"code;nom\n81004;Albi\n",
        "communes.csv",
        SourceId(0),
        &mut kinds,
    )
    .unwrap_err();
    assert!(err.to_string().contains("communes.csv"), "{err}");
    assert!(
        err.to_string().contains("pas une extraction FINESS"),
        "{err}"
    );

    // A bad manifest date is reported; the rows are still read.
    let data = format!(
        "finess;etalab;1;12/05/2026\n{}",
        row("819990169", "EHPAD A")
    );
    let (_, report) = finess::read(data.as_bytes(), "x.csv", SourceId(0), &mut kinds).unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 1));
    assert_eq!(report.rejections[0].line, 1);
    assert_eq!(report.source_date, None);
}

#[test]
fn duplicate_establishment_is_rejected() {
    let mut kinds = KindTable::builtin();
    let data = format!(
        "finess;etalab;2;2026-11-01\n{}{}",
        row("819990169", "EHPAD A"),
        row("819990169", "EHPAD A BIS")
    );
    let (imported, report) =
        finess::read(data.as_bytes(), "x.csv", SourceId(0), &mut kinds).unwrap();
    assert_eq!(imported.actors.len(), 1);
    assert_eq!(imported.actors[0].name, "EHPAD A");
    assert_eq!(rejected(&report), vec![(3, "nofinesset")]);
    assert!(report.rejections[0].found.contains("ligne 2"));
}

#[test]
fn national_size_file_is_read_linearly() {
    // 60,000 establishments, geolocalisation rows in reverse order after them.
    let n = 60_000;
    let mut data = String::from("finess;etalab;98;2026-05-12\n");
    for i in 0..n {
        data.push_str(&row(&format!("81{i:07}"), "EHPAD"));
    }
    for i in (0..n).rev() {
        let x = 600_000.0 + (i % 1000) as f64 * 10.0;
        data.push_str(&format!(
            "geolocalisation;81{i:07};{x:.1};6300000.0;1,ATLASANTE,96,BAN,EPSG:2154;2026-05-04\n"
        ));
    }
    let mut kinds = KindTable::builtin();
    let t = std::time::Instant::now();
    let (imported, report) =
        finess::read(data.as_bytes(), "big.csv", SourceId(0), &mut kinds).unwrap();
    assert_eq!((report.accepted, report.rejected), (n, 0));
    assert!(imported.actors.iter().all(|a| a.position.is_some()));
    // Generous bound for an unoptimised build on a busy 2-core machine; a quadratic join
    // would take minutes.
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}
