//! FINESS `etalab-cs1100507`: health, medico-social and social establishments with their
//! geolocation, exactly as published on data.gouv.fr.
//!
//! # Layout
//!
//! - Line 1 is a manifest, not a header: `finess;etalab;<n>;<YYYY-MM-DD>`. Its date becomes
//!   [`FileReport::source_date`].
//! - `structureet` rows: 32 fields (31 in files before `numuai` was added), followed by a
//!   trailing `;`. See the field constants below for the order.
//! - `geolocalisation` rows: `geolocalisation;nofinesset;coordxet;coordyet;sourcecoordet;datemaj`.
//!   `sourcecoordet` is a comma list whose last item names the coordinate system
//!   (`1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93`,
//!   `1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)`). In a 2016 variant the
//!   sub-items are separated by `;`: x and y are then read at positions 2 and 3, the date from
//!   the last field and the system from the field just before it.
//! - Rows are joined on `nofinesset` through a hash map, in any order.
//! - Text is UTF-8 or Latin-1 (detected); fields may be `"…"`-quoted with doubled quotes.
//!
//! # Reading choices
//!
//! - **Counts.** [`FileReport::accepted`] counts accepted *establishments* (`structureet`
//!   rows). A `geolocalisation` row is attached to its establishment; when it cannot be used
//!   (unknown establishment, duplicate, bad number, unknown system, point outside the system's
//!   area) the row is listed in the rejections while the establishment itself stays accepted,
//!   without a position. The dataset later places it at its commune's centroid.
//! - **INSEE code.** `departement` + `commune` in metropolitan France and Corsica (`2A`, `2B`).
//!   Overseas, FINESS writes `9A`…`9J`: the code is then the first two digits of the postcode
//!   (`97`/`98`, or the letter's own prefix when the postcode is missing) followed by
//!   `commune` (`9C` + `302` → `97302`); postcodes 97133 and 97150 are Saint-Barthélemy
//!   (`97701`) and Saint-Martin (`97801`).
//! - **Precision.** Our reading of `sourcecoordet` (not an official definition): a geocoding
//!   against `ADMIN-EXPRESS` (the IGN commune database, published with a score of `.`) is a
//!   commune centroid, so [`Precision::Commune`]; otherwise the third item, when numeric, is a
//!   0–100 quality score: 80 or more → [`Precision::Address`], below → [`Precision::Street`];
//!   no score → [`Precision::Address`].
//! - **Missing system.** Coordinates whose `sourcecoordet` is empty get the system used in
//!   their département (Lambert-93 in metropolitan France, UTM overseas) and a note says how
//!   many.
//! - **Kinds.** `categetab` maps to a unified kind when one exists (`500` → `ehpad`,
//!   `355` → `ch`); any other category is kept under `finess-<code>` with FINESS's own label
//!   and a sector read from the aggregate category `categagretab` (see [`sector_for_aggregate`]).
//! - **Sample data** (an extension of the format for the demo): a manifest whose second field
//!   is `exemple` (`finess;exemple;12;2026-11-01`), or a file where every establishment's
//!   name starts with `EXEMPLE`, sets [`FileReport::sample`].
//!
//! ```
//! use maillage::model::{KindTable, SourceId};
//! use maillage::sources::finess;
//! let data = "finess;etalab;98;2026-05-12\n\
//! structureet;810000505;810000489;CH ALBI;CENTRE HOSPITALIER D'ALBI;;;22;BD;SIBILLE;;BP 111;\
//! 004;81;TARN;81013 ALBI CEDEX 9;0563474747;;355;Centre Hospitalier (C.H.);1102;\
//! Centres Hospitaliers;;;;;;;;;2020-01-01;;\n\
//! geolocalisation;810000505;631628.59;6314801.5;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-05-01\n";
//! let mut kinds = KindTable::builtin();
//! let (imported, report) = finess::read(data.as_bytes(), "finess.csv", SourceId(0), &mut kinds).unwrap();
//! assert_eq!(report.accepted, 1);
//! assert_eq!(report.source_date.as_deref(), Some("2026-05-12"));
//! let ch = &imported.actors[0];
//! assert_eq!(ch.id, "finess:810000505");
//! assert_eq!(ch.commune.unwrap().as_str(), "81004");
//! assert_eq!(ch.phone.as_deref(), Some("05 63 47 47 47"));
//! assert_eq!(kinds.get(ch.kind).id, "ch");
//! assert!((ch.position.unwrap().lat - 43.9289).abs() < 1e-4);
//! ```

use std::borrow::Cow;
use std::collections::HashMap;

use super::projection::{to_wgs84, Crs, ProjectionError};
use super::text::{detect, Encoding, BLOCK_BYTES};
use super::{FileReport, Format, Imported, SourceError};
use crate::model::{ActorRecord, Address, InseeCode, KindTable, Precision, Sector, SourceId};

// `structureet` field positions (0 is the row type).
const NOFINESSET: usize = 1;
const RS: usize = 3;
const RSLONGUE: usize = 4;
const NUMVOIE: usize = 7;
const TYPVOIE: usize = 8;
const VOIE: usize = 9;
const COMPVOIE: usize = 10;
const LIEUDITBP: usize = 11;
const COMMUNE: usize = 12;
const DEPARTEMENT: usize = 13;
const LIGNEACHEMINEMENT: usize = 15;
const TELEPHONE: usize = 16;
const CATEGETAB: usize = 18;
const LIBCATEGETAB: usize = 19;
const CATEGAGRETAB: usize = 20;
const SIRET: usize = 22;
/// Fields of a `structureet` row since `numuai` was added, without the trailing empty one.
const STRUCTURE_FIELDS: usize = 32;
/// Fields of a `structureet` row in older extracts (no `numuai`).
const STRUCTURE_FIELDS_OLD: usize = 31;
/// Fields of a `geolocalisation` row.
const GEO_FIELDS: usize = 6;

const KNOWN_SYSTEMS: &str = "un système connu : LAMBERT_93, UTM_N20, UTM_N21, UTM_N22, UTM_S38, \
                             UTM_S40 ou EPSG:2154, 5490, 4559, 4467, 2972, 4471, 2975";

/// FINESS `etalab-cs1100507`.
pub const FORMAT: Format = Format::new(
    "finess",
    "FINESS – extraction Etalab des établissements (cs1100507)",
    "FINESS",
    &Finess,
);

/// The FINESS `etalab-cs1100507` format (see [`Importer`](super::Importer)).
pub struct Finess;

impl super::Importer for Finess {
    fn sniff(&self, head: &super::Head) -> bool {
        head.first_line.starts_with("finess;") || head.first_line.starts_with("structureet;")
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file, i.source, i.kinds)
    }
}

/// Reads a FINESS `etalab-cs1100507` file (establishments and their geolocation).
///
/// Returns the establishments as actors (`finess:<nofinesset>`) and the file report. Fails
/// only when the file is not a FINESS extract at all; every bad row is a rejection.
pub fn read(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &mut KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    let text = detect(bytes);
    let encoding = text.encoding();
    let mut report = FileReport::new(file, FORMAT);
    let mut reader = Reader {
        report: &mut report,
        kinds,
        source,
        actors: Vec::new(),
        by_number: HashMap::new(),
        geo_rows: Vec::new(),
        manifest_sample: false,
        split_geo_rows: 0,
    };

    let mut saw_manifest = false;
    let mut saw_rows = false;
    let mut line_no = 0;
    // A Windows-1252 file is decoded a block of lines at a time, never whole.
    for block in text.blocks(BLOCK_BYTES) {
        for raw in block.split_terminator('\n') {
            line_no += 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                reader.report.ignored += 1;
                continue;
            }
            let fields = split_line(line);
            let kind = fields[0].trim();
            if line_no == 1 && kind.eq_ignore_ascii_case("finess") {
                saw_manifest = true;
                reader.manifest(line_no, &fields);
                continue;
            }
            match kind {
                "structureet" => {
                    saw_rows = true;
                    reader.structure(line_no, fields);
                }
                "geolocalisation" => {
                    saw_rows = true;
                    reader.geolocation(line_no, fields);
                }
                other => reader.report.reject(
                    line_no,
                    "type de ligne",
                    "structureet ou geolocalisation",
                    other,
                ),
            }
        }
    }
    if !saw_manifest && !saw_rows {
        return Err(SourceError::Invalid {
            file: file.to_string(),
            detail: "ni ligne « finess;etalab;… », ni ligne structureet : ce n'est pas une \
                     extraction FINESS"
                .into(),
        });
    }
    let actors = reader.finish(saw_manifest, encoding);
    Ok((
        Imported {
            actors,
            ..Imported::default()
        },
        report,
    ))
}

/// A `geolocalisation` row kept until every establishment is known.
struct GeoRow {
    line: usize,
    number: String,
    x: String,
    y: String,
    /// The whole `sourcecoordet` (sub-items joined with `,`).
    source: String,
    /// The item naming the coordinate system.
    system: String,
}

struct Reader<'a> {
    report: &'a mut FileReport,
    kinds: &'a mut KindTable,
    source: SourceId,
    actors: Vec<ActorRecord>,
    /// nofinesset → (index in `actors`, line, département code as written).
    by_number: HashMap<String, Establishment>,
    geo_rows: Vec<GeoRow>,
    manifest_sample: bool,
    split_geo_rows: usize,
}

struct Establishment {
    index: usize,
    line: usize,
    departement: String,
    geolocated_at: Option<usize>,
}

impl Reader<'_> {
    fn manifest(&mut self, line: usize, fields: &[Cow<'_, str>]) {
        let origin = fields.get(1).map(|f| f.trim()).unwrap_or("");
        if origin.eq_ignore_ascii_case("exemple") {
            self.manifest_sample = true;
        }
        let date = fields.get(3).map(|f| f.trim()).unwrap_or("");
        if is_iso_date(date) {
            self.report.source_date = Some(date.to_string());
            self.report.ignored += 1;
        } else {
            self.report.reject(
                line,
                "date de l'extraction",
                "une date AAAA-MM-JJ en 4e champ de « finess;etalab;<n>;<date> »",
                date,
            );
        }
    }

    fn structure(&mut self, line: usize, mut fields: Vec<Cow<'_, str>>) {
        if fields.len() > STRUCTURE_FIELDS_OLD && fields.last().is_some_and(|f| f.trim().is_empty())
        {
            fields.pop();
        }
        if fields.len() != STRUCTURE_FIELDS && fields.len() != STRUCTURE_FIELDS_OLD {
            self.report.reject(
                line,
                "nombre de champs",
                "32 champs structureet (31 avant l'ajout de numuai) suivis de « ; »",
                &format!("{} champs", fields.len()),
            );
            return;
        }
        let f = |i: usize| fields[i].trim();
        let number = f(NOFINESSET);
        if !is_finess_number(number) {
            self.report.reject(
                line,
                "nofinesset",
                "un numéro FINESS de 9 caractères (ex. 810000505)",
                number,
            );
            return;
        }
        if let Some(prev) = self.by_number.get(number) {
            let found = format!("{number} (déjà décrit ligne {})", prev.line);
            self.report
                .reject(line, "nofinesset", "un numéro FINESS non répété", &found);
            return;
        }
        let (postcode, city) = split_acheminement(f(LIGNEACHEMINEMENT));
        let commune = match insee_code(f(DEPARTEMENT), f(COMMUNE), postcode.as_deref()) {
            Ok(c) => Some(c),
            // No commune code but a postcode: the dataset finds the commune from the postcode
            // and city once the communes are loaded (`sources::place_fallback`).
            Err(CodeError::Commune) if f(COMMUNE).trim().is_empty() && postcode.is_some() => None,
            Err(CodeError::Departement) => {
                self.report.reject(
                    line,
                    "departement",
                    "un code département FINESS (01 à 95, 2A, 2B, 9A à 9J)",
                    f(DEPARTEMENT),
                );
                return;
            }
            Err(CodeError::Commune) => {
                self.report
                    .reject(line, "commune", "un code commune à 3 chiffres", f(COMMUNE));
                return;
            }
        };
        let category = f(CATEGETAB);
        if category.len() != 3 || !category.bytes().all(|b| b.is_ascii_digit()) {
            self.report.reject(
                line,
                "categetab",
                "un code catégorie à 3 chiffres (ex. 500)",
                category,
            );
            return;
        }
        let name = if f(RSLONGUE).is_empty() {
            f(RS)
        } else {
            f(RSLONGUE)
        };
        if name.is_empty() {
            self.report
                .reject(line, "rs", "la raison sociale de l'établissement", "");
            return;
        }
        let label = f(LIBCATEGETAB);
        let sector = sector_for_aggregate(f(CATEGAGRETAB));
        let kind = self
            .kinds
            .for_source_code_or_insert("finess", category, label, sector);

        let mut rec = ActorRecord::new(format!("finess:{number}"), name, kind, self.source);
        // The SIRET lets deduplication link the establishment with other sources.
        let siret = f(SIRET);
        if siret.len() == 14 && siret.bytes().all(|b| b.is_ascii_digit()) {
            rec.tags.push(format!("siret:{siret}"));
        }
        rec.source_code = Some(category.to_string());
        rec.source_label = non_empty(label);
        rec.address = Address {
            number: street_number(f(NUMVOIE), f(COMPVOIE)),
            street: street(f(TYPVOIE), f(VOIE), f(LIEUDITBP)),
            postcode,
            city,
        };
        rec.commune = commune;
        rec.phone = phone(f(TELEPHONE));

        self.by_number.insert(
            number.to_string(),
            Establishment {
                index: self.actors.len(),
                line,
                departement: f(DEPARTEMENT).to_string(),
                geolocated_at: None,
            },
        );
        self.actors.push(rec);
        self.report.accepted += 1;
    }

    fn geolocation(&mut self, line: usize, mut fields: Vec<Cow<'_, str>>) {
        if fields.len() > GEO_FIELDS && fields.last().is_some_and(|f| f.trim().is_empty()) {
            fields.pop();
        }
        if fields.len() < GEO_FIELDS {
            self.report.reject(
                line,
                "nombre de champs",
                "6 champs geolocalisation;nofinesset;coordxet;coordyet;sourcecoordet;datemaj",
                &format!("{} champs", fields.len()),
            );
            return;
        }
        let number = fields[1].trim();
        if !is_finess_number(number) {
            self.report.reject(
                line,
                "nofinesset",
                "un numéro FINESS de 9 caractères (ex. 810000505)",
                number,
            );
            return;
        }
        let n = fields.len();
        if n > GEO_FIELDS {
            self.split_geo_rows += 1;
        }
        // Standard rows: the system is the last comma item of field 4. The 2016 variant splits
        // those items with `;`: the system is then the field before the date.
        let items = &fields[4..n - 1];
        let source = items.iter().map(|s| s.trim()).collect::<Vec<_>>().join(",");
        let system = source.rsplit(',').next().unwrap_or("").trim().to_string();
        self.geo_rows.push(GeoRow {
            line,
            number: number.to_string(),
            x: fields[2].trim().to_string(),
            y: fields[3].trim().to_string(),
            source,
            system,
        });
    }

    fn finish(self, saw_manifest: bool, encoding: Encoding) -> Vec<ActorRecord> {
        let Reader {
            report,
            mut actors,
            mut by_number,
            geo_rows,
            manifest_sample,
            split_geo_rows,
            ..
        } = self;
        let mut inferred = 0usize;
        let mut commune_level = 0usize;
        for g in geo_rows {
            let Some(est) = by_number.get_mut(&g.number) else {
                report.reject(
                    g.line,
                    "nofinesset",
                    "un établissement décrit par une ligne structureet du fichier",
                    &g.number,
                );
                continue;
            };
            if let Some(prev) = est.geolocated_at {
                let found = format!("{} (déjà géolocalisé ligne {prev})", g.number);
                report.reject(
                    g.line,
                    "nofinesset",
                    "une seule ligne geolocalisation par établissement",
                    &found,
                );
                continue;
            }
            est.geolocated_at = Some(g.line);
            if g.x.is_empty() && g.y.is_empty() {
                report.ignored += 1; // published without coordinates
                continue;
            }
            let Some(x) = parse_metres(&g.x) else {
                report.reject(g.line, "coordxet", "un nombre (point décimal)", &g.x);
                continue;
            };
            let Some(y) = parse_metres(&g.y) else {
                report.reject(g.line, "coordyet", "un nombre (point décimal)", &g.y);
                continue;
            };
            let crs = if g.system.is_empty() {
                match crs_for_departement(&est.departement) {
                    Some(c) => {
                        inferred += 1;
                        c
                    }
                    None => {
                        report.reject(g.line, "sourcecoordet", KNOWN_SYSTEMS, "");
                        continue;
                    }
                }
            } else {
                match Crs::from_finess_label(&g.system) {
                    Some(c) => c,
                    None => {
                        report.reject(g.line, "sourcecoordet", KNOWN_SYSTEMS, &g.system);
                        continue;
                    }
                }
            };
            match to_wgs84(crs, x, y) {
                Ok(p) => {
                    let precision = precision_of(&g.source);
                    if precision == Precision::Commune {
                        commune_level += 1;
                    }
                    let actor = &mut actors[est.index];
                    actor.position = Some(p);
                    actor.precision = precision;
                    // Merged into its establishment's actor.
                    report.ignored += 1;
                }
                Err(e) => {
                    let expected = match e {
                        ProjectionError::Zero { .. } => {
                            "des coordonnées non nulles (0 signifie « pas de position »)"
                                .to_string()
                        }
                        _ => format!("des coordonnées dans la zone couverte par {crs}"),
                    };
                    let found = format!("{} ; {}", g.x, g.y);
                    report.reject(g.line, "coordxet/coordyet", &expected, &found);
                }
            }
        }

        // Geolocation rows are checked after the pass: list every rejection in file order.
        report.rejections.sort_by_key(|r| r.line);

        let unlocated = actors.iter().filter(|a| a.position.is_none()).count();
        if unlocated > 0 {
            report.notes.push(format!(
                "{unlocated} établissement(s) sans géolocalisation utilisable : placés au centre \
                 de leur commune"
            ));
        }
        if commune_level > 0 {
            report.notes.push(format!(
                "{commune_level} établissement(s) géocodés au centre de la commune \
                 (ADMIN-EXPRESS) : précision « commune »"
            ));
        }
        if inferred > 0 {
            report.notes.push(format!(
                "{inferred} géolocalisation(s) sans système de coordonnées déclaré : système \
                 déduit du département"
            ));
        }
        if split_geo_rows > 0 {
            report.notes.push(format!(
                "{split_geo_rows} ligne(s) geolocalisation au format 2016 (sous-champs de \
                 sourcecoordet séparés par « ; »)"
            ));
        }
        if !saw_manifest {
            report.notes.push(
                "pas de ligne « finess;etalab;<n>;<date> » en tête : date de l'extraction \
                 inconnue"
                    .into(),
            );
        }
        if encoding == Encoding::Windows1252 {
            report
                .notes
                .push("fichier lu en Latin-1 (Windows-1252)".into());
        }
        let all_named_sample =
            !actors.is_empty() && actors.iter().all(|a| a.name.starts_with("EXEMPLE"));
        if manifest_sample || all_named_sample {
            report.sample = true;
            report
                .notes
                .push("données d'exemple, pas une extraction officielle".into());
        }
        actors
    }
}

/// Splits one line on `;`, honouring `"…"` quoting with doubled quotes. A quote inside an
/// unquoted field is data. A line whose quote is never closed is split plainly, quotes kept,
/// so that a stray quote never swallows the rest of the file.
fn split_line(line: &str) -> Vec<Cow<'_, str>> {
    match split_quoted(line) {
        Some(fields) => fields,
        None => line.split(';').map(Cow::Borrowed).collect(),
    }
}

fn split_quoted(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut out = Vec::with_capacity(34);
    let mut i = 0;
    loop {
        let rest = &line[i..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut j = 0;
            loop {
                let k = quoted[j..].find('"')?;
                value.push_str(&quoted[j..j + k]);
                j += k + 1;
                if quoted[j..].starts_with('"') {
                    value.push('"');
                    j += 1;
                } else {
                    break;
                }
            }
            // Anything between the closing quote and the next `;` is kept as written.
            let tail = &quoted[j..];
            match tail.find(';') {
                Some(k) => {
                    value.push_str(&tail[..k]);
                    out.push(Cow::Owned(value));
                    i += 1 + j + k + 1;
                }
                None => {
                    value.push_str(tail);
                    out.push(Cow::Owned(value));
                    return Some(out);
                }
            }
        } else {
            match rest.find(';') {
                Some(k) => {
                    out.push(Cow::Borrowed(&rest[..k]));
                    i += k + 1;
                }
                None => {
                    out.push(Cow::Borrowed(rest));
                    return Some(out);
                }
            }
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `[0-9][0-9A-Z][0-9]{7}` (e.g. `810000505`, `2A0000154`).
fn is_finess_number(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 9
        && b[0].is_ascii_digit()
        && (b[1].is_ascii_digit() || b[1].is_ascii_uppercase())
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    matches!(
        (num(0..4), num(5..7), num(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

/// A coordinate in metres. A decimal comma is refused rather than guessed.
fn parse_metres(s: &str) -> Option<f64> {
    if s.contains(',') {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

enum CodeError {
    Departement,
    Commune,
}

/// The INSEE commune code from FINESS's `departement` and 3-character `commune`.
fn insee_code(dep: &str, com: &str, postcode: Option<&str>) -> Result<InseeCode, CodeError> {
    if com.len() != 3 || !com.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::Commune);
    }
    let d = dep.as_bytes();
    if d.len() != 2 {
        return Err(CodeError::Departement);
    }
    let code = match (d[0], d[1]) {
        (b'0'..=b'9', b'0'..=b'9') => {
            let n = (d[0] - b'0') * 10 + (d[1] - b'0');
            if n == 0 || n == 20 || n == 96 || n == 99 {
                return Err(CodeError::Departement);
            }
            format!("{dep}{com}")
        }
        (b'2', b'A' | b'B') => format!("{dep}{com}"),
        (b'9', letter @ b'A'..=b'Z') => match postcode {
            Some("97133") => "97701".to_string(),
            Some("97150") => "97801".to_string(),
            _ => {
                let prefix = match postcode.and_then(|p| p.get(..2)) {
                    Some(p @ ("97" | "98")) => p,
                    _ if letter <= b'F' => "97",
                    _ => "98",
                };
                format!("{prefix}{com}")
            }
        },
        _ => return Err(CodeError::Departement),
    };
    code.parse().map_err(|_| CodeError::Departement)
}

/// The system FINESS uses in a département, for coordinates published without one.
fn crs_for_departement(dep: &str) -> Option<Crs> {
    match dep {
        "9A" | "9B" => Some(Crs::Utm20nRgaf09),
        "9C" => Some(Crs::Utm22n),
        "9D" => Some(Crs::Utm40s),
        "9E" => Some(Crs::Utm21n),
        "9F" => Some(Crs::Utm38s),
        "9J" => Some(Crs::Utm1s),
        d if d.starts_with('9') && d.as_bytes().get(1).is_some_and(u8::is_ascii_uppercase) => None,
        _ => Some(Crs::Lambert93),
    }
}

/// Precision from `sourcecoordet` (see the module documentation).
fn precision_of(source: &str) -> Precision {
    let items: Vec<&str> = source.split(',').map(str::trim).collect();
    if items.iter().any(|i| {
        i.to_ascii_uppercase().contains("ADMIN-EXPRESS") || i.eq_ignore_ascii_case("ADMIN_EXPRESS")
    }) {
        return Precision::Commune;
    }
    match items.get(2).and_then(|s| s.parse::<u32>().ok()) {
        Some(score) if score < 80 => Precision::Street,
        _ => Precision::Address,
    }
}

/// Postcode and city from `ligneacheminement` (`81013 ALBI CEDEX 9`).
fn split_acheminement(s: &str) -> (Option<String>, Option<String>) {
    let b = s.as_bytes();
    if b.len() >= 5 && b[..5].iter().all(u8::is_ascii_digit) && (b.len() == 5 || b[5] == b' ') {
        (Some(s[..5].to_string()), non_empty(&s[5..]))
    } else {
        (None, non_empty(s))
    }
}

/// `numvoie` with its complement (`12` + `B` → `12 bis`).
pub(crate) fn street_number(num: &str, comp: &str) -> Option<String> {
    if num.is_empty() {
        return None;
    }
    let comp = match comp {
        "" => return Some(num.to_string()),
        "B" => "bis",
        "T" => "ter",
        "Q" => "quater",
        "C" => "quinquies",
        other => other,
    };
    Some(format!("{num} {comp}"))
}

/// Street type and name, with `lieuditbp` appended (`BOULEVARD SIBILLE, BP 111`).
pub(crate) fn street(typ: &str, voie: &str, lieudit: &str) -> Option<String> {
    let typ = expand_street_type(typ);
    let main = [typ, voie]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let parts: Vec<&str> = [main.as_str(), lieudit]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// FINESS street-type abbreviations (`typvoie`), written out; unknown ones are kept.
fn expand_street_type(t: &str) -> &str {
    match t {
        "R" | "RUE" => "RUE",
        "AV" => "AVENUE",
        "BD" => "BOULEVARD",
        "PL" => "PLACE",
        "RTE" => "ROUTE",
        "CHE" | "CHEM" => "CHEMIN",
        "ALL" => "ALLEE",
        "IMP" => "IMPASSE",
        "QU" | "QUAI" => "QUAI",
        "CRS" => "COURS",
        "SQ" => "SQUARE",
        "PAS" | "PASS" => "PASSAGE",
        "FG" => "FAUBOURG",
        "LOT" => "LOTISSEMENT",
        "RES" => "RESIDENCE",
        "ESP" => "ESPLANADE",
        "PRO" | "PROM" => "PROMENADE",
        "PRV" => "PARVIS",
        "HAM" => "HAMEAU",
        "LD" => "LIEU-DIT",
        "QUA" | "QUAR" => "QUARTIER",
        "MTE" => "MONTEE",
        "RPT" => "ROND-POINT",
        "TRA" => "TRAVERSE",
        "DOM" => "DOMAINE",
        "CHS" => "CHAUSSEE",
        "CAR" => "CARREFOUR",
        "ZA" => "ZONE ARTISANALE",
        "ZI" => "ZONE INDUSTRIELLE",
        other => other,
    }
}

/// A French number as `05 63 47 47 47` (`+33`/`0033` prefixes accepted); anything else is
/// kept as published.
fn phone(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    Some(crate::model::phone::normalize(s).unwrap_or_else(|| s.to_string()))
}

/// The sector of a FINESS category that has no unified kind, from its aggregate category
/// (`categagretab`, FINESS nomenclature of aggregates):
///
/// - `1xxx`, `2xxx`, `3xxx` (hospitals, other care establishments, pharmacies, laboratories…):
///   sanitaire;
/// - `4xxx` (disabled children and adults, elderly people): médico-social, except the social
///   aggregates `45xx` (aide sociale à l'enfance, protection de l'enfance, justice des mineurs)
///   and `4601` (adultes et familles en difficulté: CHRS…), `4602` (autres établissements
///   sociaux d'hébergement et d'accueil), `4607` (logements en structure collective), `4608`
///   (protection des majeurs): social;
/// - `5xxx` (childcare, family support): social;
/// - `6101` (training of health staff): sanitaire, other `6xxx` (training of social workers):
///   social;
/// - anything else, or no aggregate: sanitaire.
///
/// ```
/// use maillage::model::Sector;
/// use maillage::sources::finess::sector_for_aggregate;
/// assert_eq!(sector_for_aggregate("1102"), Sector::Sanitaire);
/// assert_eq!(sector_for_aggregate("4401"), Sector::MedicoSocial);
/// assert_eq!(sector_for_aggregate("4501"), Sector::Social);
/// assert_eq!(sector_for_aggregate("4601"), Sector::Social);
/// ```
pub fn sector_for_aggregate(categagretab: &str) -> Sector {
    let a = categagretab.trim();
    match a.as_bytes().first() {
        Some(b'1' | b'2' | b'3') => Sector::Sanitaire,
        Some(b'4') if a.starts_with("45") => Sector::Social,
        Some(b'4') if matches!(a, "4601" | "4602" | "4607" | "4608") => Sector::Social,
        Some(b'4') => Sector::MedicoSocial,
        Some(b'5') => Sector::Social,
        Some(b'6') if a == "6101" => Sector::Sanitaire,
        Some(b'6') => Sector::Social,
        _ => Sector::Sanitaire,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_handles_quotes() {
        let f = split_line(r#"a;"LIEU DE VIE ""MAVOUNA MEMA 1""";"x;y";L"ABRI;"#);
        assert_eq!(
            f,
            vec![
                "a",
                r#"LIEU DE VIE "MAVOUNA MEMA 1""#,
                "x;y",
                r#"L"ABRI"#,
                ""
            ]
        );
        // An unclosed quote does not swallow the line: plain split, quote kept.
        let f = split_line(r#"a;"OPEN;b"#);
        assert_eq!(f, vec!["a", "\"OPEN", "b"]);
        assert_eq!(split_line(""), vec![""]);
        assert_eq!(split_line(r#""";x"#), vec!["", "x"]);
    }

    #[test]
    fn insee_codes() {
        let ok = |d, c, p| insee_code(d, c, p).ok().map(|c| c.to_string());
        assert_eq!(ok("81", "004", Some("81000")).as_deref(), Some("81004"));
        assert_eq!(ok("2A", "004", Some("20000")).as_deref(), Some("2A004"));
        assert_eq!(ok("9C", "302", Some("97300")).as_deref(), Some("97302"));
        assert_eq!(ok("9D", "411", None).as_deref(), Some("97411"));
        assert_eq!(ok("9J", "613", Some("98600")).as_deref(), Some("98613"));
        assert_eq!(ok("9J", "613", None).as_deref(), Some("98613"));
        assert_eq!(ok("9A", "123", Some("97133")).as_deref(), Some("97701"));
        assert_eq!(ok("9A", "127", Some("97150")).as_deref(), Some("97801"));
        assert!(matches!(
            insee_code("20", "004", None),
            Err(CodeError::Departement)
        ));
        assert!(matches!(
            insee_code("2C", "004", None),
            Err(CodeError::Departement)
        ));
        assert!(matches!(
            insee_code("8", "004", None),
            Err(CodeError::Departement)
        ));
        assert!(matches!(
            insee_code("81", "04", None),
            Err(CodeError::Commune)
        ));
        assert!(matches!(
            insee_code("81", "0A4", None),
            Err(CodeError::Commune)
        ));
    }

    #[test]
    fn phones_and_addresses() {
        assert_eq!(phone("0563474747").as_deref(), Some("05 63 47 47 47"));
        assert_eq!(
            phone("+33 5 63 47 47 47").as_deref(),
            Some("05 63 47 47 47")
        );
        assert_eq!(phone("0262.90.50.50").as_deref(), Some("02 62 90 50 50"));
        assert_eq!(phone("3615").as_deref(), Some("3615"));
        assert_eq!(phone(""), None);
        assert_eq!(street_number("12", "B").as_deref(), Some("12 bis"));
        assert_eq!(street_number("", "B"), None);
        assert_eq!(
            street("BD", "SIBILLE", "BP 111").as_deref(),
            Some("BOULEVARD SIBILLE, BP 111")
        );
        assert_eq!(street("", "", "LIEU DIT X").as_deref(), Some("LIEU DIT X"));
        assert_eq!(street("", "", ""), None);
        assert_eq!(
            split_acheminement("81013 ALBI CEDEX 9"),
            (Some("81013".into()), Some("ALBI CEDEX 9".into()))
        );
        assert_eq!(split_acheminement("ALBI"), (None, Some("ALBI".into())));
    }

    #[test]
    fn precision_reading() {
        assert_eq!(
            precision_of("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93"),
            Precision::Address
        );
        assert_eq!(
            precision_of("2,ATLASANTE,53,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)"),
            Precision::Street
        );
        assert_eq!(
            precision_of(
                "3,ATLASANTE,.,ADMIN-EXPRESS-2023,EPSG:2154 RGF93 / Lambert-93 (Métropole)"
            ),
            Precision::Commune
        );
        assert_eq!(precision_of("LAMBERT_93"), Precision::Address);
    }

    #[test]
    fn dates_and_numbers() {
        assert!(is_iso_date("2026-05-12"));
        assert!(!is_iso_date("2026-13-12"));
        assert!(!is_iso_date("12/05/2026"));
        assert!(is_finess_number("2A0000154"));
        assert!(!is_finess_number("81000050"));
        assert!(!is_finess_number("81000050X"));
        assert_eq!(parse_metres("631628.59"), Some(631_628.59));
        assert_eq!(parse_metres("631628,59"), None);
        assert_eq!(parse_metres("NaN"), None);
    }
}
