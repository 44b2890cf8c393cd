//! INSEE Base permanente des équipements (BPE): commune counts and geolocated points.
//!
//! Format facts (see `PROVENANCE.md`):
//! - `;`-separated; 2023+ files quote text fields (`"…"`) and not numbers: read with a CSV
//!   reader, columns mapped by header name (editions differ completely);
//! - Windows-1252 (2018) or UTF-8 (2023+), detected by [`detect`] and decoded a record at a
//!   time;
//! - `_Z` (sans objet) and `_U` (indéterminé) mean "no value", never a category;
//! - the TYPEQU nomenclature was redone in 2023: both code sets are in the kind table.
//!
//! Two products:
//! - [`read_ensemble`]: counts per commune. Before 2023 `bpeYY_ensemble.csv`
//!   (`REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP`, one row per commune or IRIS: summed per
//!   commune, type and year). From 2023 `DS_BPE_data.csv`
//!   (`GEO;GEO_OBJECT;FACILITY_DOM;FACILITY_SDOM;FACILITY_TYPE;BPE_MEASURE;UNIT_MEASURE;
//!   OBS_STATUS;UNIT_MULT;TIME_PERIOD;OBS_VALUE`): only `GEO_OBJECT=COM` rows are kept, and
//!   when a `BPE_MEASURE` column exists only its `FACILITIES` rows. The required columns are
//!   `GEO`, `GEO_OBJECT`, `FACILITY_TYPE` and `OBS_VALUE`; the others are optional (their
//!   names were taken from public readers of that file, not from INSEE's documentation).
//! - [`read_xy`]: one actor per geolocated equipment. 2018–20 layout
//!   (`REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY`) and 2023+ layout
//!   (`NOMRS`, address fields, `LAMBERT_X`/`LAMBERT_Y` in the row's own system,
//!   `LONGITUDE`/`LATITUDE` in WGS84, `EPSG`, `QUALITE_XY`, `QUALITE_GEOLOC`…).

use std::collections::{BTreeMap, HashMap};

use super::projection::{to_wgs84, Crs};
use super::table::HeaderIndex;
use super::text::{detect, read_record, Encoding, Text};
use super::{EquipmentCount, FileReport, Format, Imported, SourceError};
use crate::model::{
    ActorRecord, Address, InseeCode, KindId, KindTable, Precision, Sector, SourceId,
};

/// A field's value: `None` when empty, `_Z` or `_U`.
fn value(s: &str) -> Option<&str> {
    let t = s.trim();
    match t {
        "" | "_Z" | "_U" => None,
        _ => Some(t),
    }
}

/// A `;` CSV reader over the file's raw bytes, decoding records as they are read (a
/// Windows-1252 file is never converted whole).
struct Csv<'a> {
    rdr: csv::Reader<&'a [u8]>,
    encoding: Encoding,
    raw: csv::ByteRecord,
}

impl<'a> Csv<'a> {
    fn new(text: Text<'a>) -> Csv<'a> {
        Csv {
            rdr: csv::ReaderBuilder::new()
                .delimiter(b';')
                .has_headers(false)
                .flexible(true)
                .from_reader(text.bytes()),
            encoding: text.encoding(),
            raw: csv::ByteRecord::new(),
        }
    }

    fn read(&mut self, rec: &mut csv::StringRecord) -> csv::Result<bool> {
        read_record(&mut self.rdr, self.encoding, &mut self.raw, rec)
    }
}

/// Reads the header record (names matched by [`HeaderIndex`]).
fn header(rdr: &mut Csv<'_>, file: &str) -> Result<HeaderIndex, SourceError> {
    let mut rec = csv::StringRecord::new();
    match rdr.read(&mut rec) {
        Ok(true) => Ok(HeaderIndex::new(rec.iter(), file)),
        Ok(false) => Err(SourceError::Invalid {
            file: file.into(),
            detail: "fichier vide".into(),
        }),
        Err(e) => Err(SourceError::Invalid {
            file: file.into(),
            detail: format!("en-tête illisible : {e}"),
        }),
    }
}

/// 1-based line numbers from byte offsets, counted incrementally (the CSV reader's own line
/// count is not reliable with CRLF line ends).
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Lines<'a> {
        Lines {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line holding byte `offset` (offsets must not decrease).
    fn at(&mut self, offset: usize) -> usize {
        // With CRLF ends the reader reports a record as starting on the previous line's `\n`.
        let mut end = offset.min(self.text.len());
        while end < self.text.len() && matches!(self.text[end], b'\r' | b'\n') {
            end += 1;
        }
        if end > self.offset {
            self.line += self.text[self.offset..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.offset = end;
        }
        self.line
    }

    fn of(&mut self, rec: &csv::StringRecord, fallback: usize) -> usize {
        rec.position()
            .map_or(fallback, |p| self.at(p.byte() as usize))
    }
}

/// Data rows of a BPE file with their true line numbers.
struct Rows<'a> {
    lines: Lines<'a>,
    row: usize,
    width: usize,
    /// Records read after the header, blank ones excepted: each is accepted, rejected or
    /// ignored (see [`FileReport::ignore_lines_without_record`]).
    records: usize,
}

impl<'a> Rows<'a> {
    fn new(text: &'a [u8], width: usize) -> Rows<'a> {
        Rows {
            lines: Lines::new(text),
            row: 1,
            width,
            records: 0,
        }
    }

    /// Reads the next row and returns its line. Blank rows are skipped; a row with another
    /// field count than the header is rejected and skipped; an unreadable row is rejected and
    /// ends the file (the reader cannot resynchronise).
    fn next(
        &mut self,
        rdr: &mut Csv<'_>,
        rec: &mut csv::StringRecord,
        report: &mut FileReport,
    ) -> Option<usize> {
        loop {
            match rdr.read(rec) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    self.records += 1;
                    let line = e
                        .position()
                        .map_or(self.row + 1, |p| self.lines.at(p.byte() as usize));
                    report.reject(line, "ligne", "une ligne CSV lisible", &e.to_string());
                    return None;
                }
            }
            self.row += 1;
            let line = self.lines.of(rec, self.row);
            if rec.len() == 1 && rec[0].trim().is_empty() {
                continue;
            }
            self.records += 1;
            if rec.len() != self.width {
                report.reject(
                    line,
                    "ligne",
                    &format!("{} champs séparés par « ; » (comme l'en-tête)", self.width),
                    &format!("{} champs", rec.len()),
                );
                continue;
            }
            return Some(line);
        }
    }
}

/// A year (`2018`).
fn parse_year(s: &str) -> Option<u16> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// A count: digits, optionally followed by a zero fraction (`3.0`). A decimal comma is refused.
fn parse_count(s: &str) -> Option<u32> {
    let int = match s.split_once('.') {
        Some((i, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => i,
        Some(_) => return None,
        None => s,
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int.parse().ok()
}

/// INSEE BPE geolocated points.
pub const XY: Format = Format::new(
    "bpe-xy",
    "INSEE – Base permanente des équipements (géolocalisée)",
    "INSEE BPE",
    &BpeXy,
);

/// The INSEE BPE geolocated points format (see [`Importer`](super::Importer)).
pub struct BpeXy;

impl super::Importer for BpeXy {
    fn sniff(&self, head: &super::Head) -> bool {
        head.has("typequ") && (head.has("lambert_x") || head.has("longitude"))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_xy(i.bytes, i.file, i.source, i.kinds)
    }
}

/// INSEE BPE `ensemble` counts per commune.
pub const ENSEMBLE: Format = Format::new(
    "bpe-ensemble",
    "INSEE – Base permanente des équipements (effectifs par commune)",
    "INSEE BPE",
    &BpeEnsemble,
);

/// The INSEE BPE `ensemble` counts per commune format (see [`Importer`](super::Importer)).
pub struct BpeEnsemble;

impl super::Importer for BpeEnsemble {
    fn sniff(&self, head: &super::Head) -> bool {
        // `NB_EQUIP` before 2023, `DS_BPE_data` (`GEO_OBJECT`, `OBS_VALUE`) after.
        (head.has("typequ") && head.has("nb_equip"))
            || (head.has("geo_object") && head.has("obs_value"))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_ensemble(i.bytes, i.file, i.kinds)
    }
}

/// Reads a BPE `ensemble` count file (before 2023 or `DS_BPE_data.csv`).
///
/// ```
/// use maillage::model::KindTable;
/// use maillage::sources::bpe;
/// let kinds = KindTable::builtin();
/// let f = "REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP\n76;81;81004;81004_0101;2018;D201;3\n\
///          76;81;81004;81004_0102;2018;D201;4\n";
/// let (imp, rep) = bpe::read_ensemble(f.as_bytes(), "bpe.csv", &kinds).unwrap();
/// assert_eq!((rep.accepted, rep.rejected), (2, 0));
/// assert_eq!(imp.equipment_counts.len(), 1);
/// assert_eq!(imp.equipment_counts[0].count, 7);
/// assert_eq!(kinds.get(imp.equipment_counts[0].kind.unwrap()).id, "medecin-generaliste");
/// ```
pub fn read_ensemble(
    bytes: &[u8],
    file: &str,
    kinds: &KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    let text = detect(bytes);
    let mut rdr = Csv::new(text);
    let head = header(&mut rdr, file)?;
    let mut report = FileReport::new(file, ENSEMBLE);

    enum Layout {
        Before2023 {
            depcom: usize,
            typequ: usize,
            nb: usize,
            year: Option<usize>,
        },
        Melodi {
            geo: usize,
            object: usize,
            typequ: usize,
            value: usize,
            year: Option<usize>,
            measure: Option<usize>,
        },
    }
    let layout = if head.find(&["NB_EQUIP"]).is_some() {
        let p = "BPE ensemble avant 2023";
        Layout::Before2023 {
            depcom: head.required("DEPCOM", &format!(" ({p})"))?,
            typequ: head.required("TYPEQU", &format!(" ({p})"))?,
            nb: head.required("NB_EQUIP", &format!(" ({p})"))?,
            year: head.find(&["AN"]),
        }
    } else if head.find(&["OBS_VALUE"]).is_some() {
        let p = "BPE DS_BPE_data";
        Layout::Melodi {
            geo: head.required("GEO", &format!(" ({p})"))?,
            object: head.required("GEO_OBJECT", &format!(" ({p})"))?,
            typequ: head.required("FACILITY_TYPE", &format!(" ({p})"))?,
            value: head.required("OBS_VALUE", &format!(" ({p})"))?,
            year: head.find(&["TIME_PERIOD"]),
            measure: head.find(&["BPE_MEASURE"]),
        }
    } else {
        return Err(SourceError::Invalid {
            file: file.into(),
            detail: "ni colonne NB_EQUIP (BPE ensemble) ni OBS_VALUE (DS_BPE_data)".into(),
        });
    };
    let (geo_name, count_name, year_name) = match layout {
        Layout::Before2023 { .. } => ("DEPCOM", "NB_EQUIP", "AN"),
        Layout::Melodi { .. } => ("GEO", "OBS_VALUE", "TIME_PERIOD"),
    };

    let mut totals: HashMap<(InseeCode, String, Option<u16>), usize> = HashMap::new();
    let mut counts: Vec<EquipmentCount> = Vec::new();
    let mut other_levels: BTreeMap<String, usize> = BTreeMap::new();
    let mut other_measures: BTreeMap<String, usize> = BTreeMap::new();
    let mut aggregates = 0usize;
    let mut no_value = 0usize;
    let mut rec = csv::StringRecord::new();
    let mut rows = Rows::new(text.bytes(), head.len());
    while let Some(line) = rows.next(&mut rdr, &mut rec, &mut report) {
        let (geo, typequ, raw_count, raw_year) = match layout {
            Layout::Before2023 {
                depcom,
                typequ,
                nb,
                year,
            } => (&rec[depcom], &rec[typequ], &rec[nb], year.map(|y| &rec[y])),
            Layout::Melodi {
                geo,
                object,
                typequ,
                value: v,
                year,
                measure,
            } => {
                let obj = rec[object].trim();
                if obj != "COM" {
                    *other_levels.entry(obj.to_string()).or_default() += 1;
                    report.ignored += 1;
                    continue;
                }
                if let Some(m) = measure.map(|m| rec[m].trim()) {
                    if m != "FACILITIES" {
                        *other_measures.entry(m.to_string()).or_default() += 1;
                        report.ignored += 1;
                        continue;
                    }
                }
                (&rec[geo], &rec[typequ], &rec[v], year.map(|y| &rec[y]))
            }
        };
        let Some(typequ) = value(typequ) else {
            report.reject(
                line,
                "TYPEQU",
                "un code d'équipement (ex. D201)",
                typequ.trim(),
            );
            continue;
        };
        if typequ.starts_with('_') {
            // `_T`-style totals over several types: not an equipment type.
            aggregates += 1;
            report.ignored += 1;
            continue;
        }
        let commune = match geo.trim().parse::<InseeCode>() {
            Ok(c) => c,
            Err(_) => {
                report.reject(
                    line,
                    geo_name,
                    "un code commune INSEE sur 5 caractères",
                    geo.trim(),
                );
                continue;
            }
        };
        let year = match raw_year.map(str::trim) {
            None | Some("") | Some("_Z") | Some("_U") => None,
            Some(y) => match parse_year(y) {
                Some(y) => Some(y),
                None => {
                    report.reject(line, year_name, "une année sur 4 chiffres", y);
                    continue;
                }
            },
        };
        let Some(raw_count) = value(raw_count) else {
            if raw_count.trim().is_empty() {
                report.reject(line, count_name, "un nombre entier d'équipements", "");
            } else {
                no_value += 1;
                report.ignored += 1;
            }
            continue;
        };
        let Some(count) = parse_count(raw_count) else {
            report.reject(
                line,
                count_name,
                "un nombre entier d'équipements",
                raw_count,
            );
            continue;
        };
        report.accepted += 1;
        let key = (commune, typequ.to_string(), year);
        match totals.get(&key) {
            Some(&i) => counts[i].count = counts[i].count.saturating_add(count),
            None => {
                totals.insert(key, counts.len());
                counts.push(EquipmentCount {
                    commune,
                    typequ: typequ.to_string(),
                    kind: kinds.for_source_code("bpe", typequ),
                    count,
                    year,
                });
            }
        }
    }
    report.ignore_lines_without_record(super::report::physical_lines(text.bytes()), rows.records);

    let unmapped: usize = counts.iter().filter(|c| c.kind.is_none()).count();
    report.notes.push(format!(
        "{} effectifs par commune et type d'équipement ({} types sans correspondance dans la nomenclature de maillage)",
        counts.len(),
        unmapped
    ));
    for (level, n) in &other_levels {
        report.notes.push(format!("{n} lignes de niveau géographique « {level} » ignorées (seules les communes sont lues)"));
    }
    for (m, n) in &other_measures {
        report.notes.push(format!(
            "{n} lignes de mesure « {m} » ignorées (seul FACILITIES est lu)"
        ));
    }
    if aggregates > 0 {
        report
            .notes
            .push(format!("{aggregates} lignes de total tous types ignorées"));
    }
    if no_value > 0 {
        report
            .notes
            .push(format!("{no_value} lignes sans valeur (_Z ou _U) ignorées"));
    }
    if let Some(y) = counts.iter().filter_map(|c| c.year).max() {
        report.source_date = Some(y.to_string());
    }
    let imported = Imported {
        equipment_counts: counts,
        ..Imported::default()
    };
    Ok((imported, report))
}

/// The sector of a BPE equipment type without a unified kind: D1–D3 health, D4 and D6
/// (elderly, disability) medico-social, everything else social.
fn sector_for(typequ: &str) -> Sector {
    let b = typequ.as_bytes();
    match (b.first(), b.get(1)) {
        (Some(b'D'), Some(b'1' | b'2' | b'3')) => Sector::Sanitaire,
        (Some(b'D'), Some(b'4' | b'6')) => Sector::MedicoSocial,
        _ => Sector::Social,
    }
}

/// The system of a row without an `EPSG` column, from its département.
fn crs_for_departement(dep: &str) -> Crs {
    match dep {
        "971" | "972" | "977" | "978" => Crs::Utm20nRgaf09,
        "973" => Crs::Utm22n,
        "974" => Crs::Utm40s,
        "976" => Crs::Utm38s,
        _ => Crs::Lambert93,
    }
}

/// Precision from `QUALITE_GEOLOC` (2023+: 1x address, 2x street, 33 random position in the
/// commune) or `QUALITE_XY` (`B`/`A`/`M` in 2025, `Bonne`/`Acceptable`/`Mauvaise` before).
fn precision(geoloc: Option<&str>, xy: Option<&str>) -> Precision {
    if let Some(g) = geoloc {
        match g.as_bytes().first() {
            _ if g == "33" => return Precision::Commune,
            Some(b'1') => return Precision::Address,
            Some(b'2') => return Precision::Street,
            _ => {}
        }
    }
    let q = xy.map(crate::model::text::fold).unwrap_or_default();
    match q.as_str() {
        "b" | "bonne" => Precision::Address,
        "a" | "acceptable" => Precision::Street,
        "m" | "mauvaise" => Precision::Commune,
        q if q.contains("commune") => Precision::Commune,
        _ => Precision::Address,
    }
}

struct XyColumns {
    typequ: usize,
    depcom: usize,
    year: Option<usize>,
    dep: Option<usize>,
    x: Option<usize>,
    y: Option<usize>,
    lon: Option<usize>,
    lat: Option<usize>,
    epsg: Option<usize>,
    qualite_xy: Option<usize>,
    qualite_geoloc: Option<usize>,
    name: Option<usize>,
    name2: Option<usize>,
    number: Option<usize>,
    repeat: Option<usize>,
    street_type: Option<usize>,
    street: Option<usize>,
    locality: Option<usize>,
    postcode: Option<usize>,
    city: Option<usize>,
}

/// A coordinate; `Err` for a value that is present but not a number.
fn coordinate(s: &str) -> Result<Option<f64>, ()> {
    match value(s) {
        None => Ok(None),
        Some(v) if v.contains(',') => Err(()),
        Some(v) => v.parse::<f64>().map(Some).map_err(|_| ()),
    }
}

/// Reads a BPE geolocated file: one actor per equipment.
///
/// ```
/// use maillage::model::{KindTable, SourceId};
/// use maillage::sources::bpe;
/// let mut kinds = KindTable::builtin();
/// let f = "REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY\n\
///          76;81;81004;81004_0101;2018;D201;632000;6313000;Bonne\n";
/// let (imp, rep) = bpe::read_xy(f.as_bytes(), "bpe.csv", SourceId(0), &mut kinds).unwrap();
/// assert_eq!(rep.rejected, 0);
/// let a = &imp.actors[0];
/// assert_eq!(a.id, "bpe:2018:81004:D201:1");
/// let p = a.position.unwrap();
/// assert!((p.lon - 2.14).abs() < 0.1 && (p.lat - 43.93).abs() < 0.1, "{p:?}");
/// ```
pub fn read_xy(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &mut KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    let text = detect(bytes);
    let mut rdr = Csv::new(text);
    let head = header(&mut rdr, file)?;
    let mut report = FileReport::new(file, XY);
    let p = "BPE géolocalisée";
    let c = XyColumns {
        typequ: head.required("TYPEQU", &format!(" ({p})"))?,
        depcom: head.required("DEPCOM", &format!(" ({p})"))?,
        year: head.find(&["AN"]),
        dep: head.find(&["DEP"]),
        x: head.find(&["LAMBERT_X"]),
        y: head.find(&["LAMBERT_Y"]),
        lon: head.find(&["LONGITUDE"]),
        lat: head.find(&["LATITUDE"]),
        epsg: head.find(&["EPSG"]),
        qualite_xy: head.find(&["QUALITE_XY"]),
        qualite_geoloc: head.find(&["QUALITE_GEOLOC"]),
        name: head.find(&["NOMRS"]),
        name2: head.find(&["CNOMRS"]),
        number: head.find(&["NUMVOIE"]),
        repeat: head.find(&["INDREP"]),
        street_type: head.find(&["TYPVOIE"]),
        street: head.find(&["LIBVOIE"]),
        locality: head.find(&["CADR"]),
        postcode: head.find(&["CODPOS"]),
        city: head.find(&["LIBCOM"]),
    };
    if (c.x.is_none() || c.y.is_none()) && (c.lon.is_none() || c.lat.is_none()) {
        return Err(SourceError::Invalid {
            file: file.into(),
            detail:
                "ni LAMBERT_X/LAMBERT_Y ni LONGITUDE/LATITUDE dans l'en-tête (BPE géolocalisée)"
                    .into(),
        });
    }

    let mut imported = Imported::default();
    imported
        .actors
        .reserve(super::text::estimated_lines(text.bytes()));
    let mut kind_cache: HashMap<String, KindId> = HashMap::new();
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    let mut inserted: BTreeMap<String, usize> = BTreeMap::new();
    let mut without_position = 0usize;
    let mut commune_precision = 0usize;
    let mut max_year: Option<u16> = None;
    let mut rec = csv::StringRecord::new();
    let mut rows = Rows::new(text.bytes(), head.len());
    while let Some(line) = rows.next(&mut rdr, &mut rec, &mut report) {
        let get = |i: Option<usize>| i.and_then(|i| value(&rec[i]));
        let Some(typequ) = value(&rec[c.typequ]) else {
            report.reject(
                line,
                "TYPEQU",
                "un code d'équipement (ex. D265)",
                rec[c.typequ].trim(),
            );
            continue;
        };
        let commune = match rec[c.depcom].trim().parse::<InseeCode>() {
            Ok(code) => code,
            Err(_) => {
                report.reject(
                    line,
                    "DEPCOM",
                    "un code commune INSEE sur 5 caractères",
                    rec[c.depcom].trim(),
                );
                continue;
            }
        };
        let year = match get(c.year) {
            None => None,
            Some(y) => match parse_year(y) {
                Some(y) => Some(y),
                None => {
                    report.reject(line, "AN", "une année sur 4 chiffres", y);
                    continue;
                }
            },
        };

        // Position: WGS84 columns when filled, else the projected ones in the row's system.
        let mut fields_xy = |a: Option<usize>,
                             b: Option<usize>,
                             na: &str,
                             nb: &str|
         -> Result<Option<(f64, f64)>, ()> {
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(None);
            };
            let va = coordinate(&rec[a]).inspect_err(|_| {
                report.reject(line, na, "un nombre avec un point décimal", rec[a].trim());
            })?;
            let vb = coordinate(&rec[b]).inspect_err(|_| {
                report.reject(line, nb, "un nombre avec un point décimal", rec[b].trim());
            })?;
            Ok(match (va, vb) {
                (Some(va), Some(vb)) if !(va == 0.0 && vb == 0.0) => Some((va, vb)),
                _ => None,
            })
        };
        let Ok(lonlat) = fields_xy(c.lon, c.lat, "LONGITUDE", "LATITUDE") else {
            continue;
        };
        let Ok(projected) = fields_xy(c.x, c.y, "LAMBERT_X", "LAMBERT_Y") else {
            continue;
        };
        let position = if let Some((lon, lat)) = lonlat {
            match to_wgs84(Crs::Wgs84, lon, lat) {
                Ok(p) => Some(p),
                Err(e) => {
                    report.reject(
                        line,
                        "LONGITUDE",
                        "une position WGS84 valide",
                        &e.to_string(),
                    );
                    continue;
                }
            }
        } else if let Some((x, y)) = projected {
            let crs = match get(c.epsg) {
                Some(code) => {
                    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
                    match digits.parse().ok().and_then(Crs::from_epsg) {
                        Some(crs) => crs,
                        None => {
                            report.reject(
                                line,
                                "EPSG",
                                "un code EPSG connu (2154, 5490, 2972, 2975, 4471)",
                                code,
                            );
                            continue;
                        }
                    }
                }
                None => crs_for_departement(get(c.dep).unwrap_or(commune.departement())),
            };
            match to_wgs84(crs, x, y) {
                Ok(p) => Some(p),
                Err(e) => {
                    report.reject(
                        line,
                        "LAMBERT_X",
                        "des coordonnées dans le système de la ligne",
                        &e.to_string(),
                    );
                    continue;
                }
            }
        } else {
            None
        };

        let kind = match kind_cache.get(typequ) {
            Some(k) => *k,
            None => {
                let existing = kinds.for_source_code("bpe", typequ);
                let k = existing.unwrap_or_else(|| {
                    kinds.for_source_code_or_insert(
                        "bpe",
                        typequ,
                        &format!("Équipement BPE {typequ}"),
                        sector_for(typequ),
                    )
                });
                kind_cache.insert(typequ.to_string(), k);
                k
            }
        };
        if kinds.get(kind).id.starts_with("bpe-") {
            *inserted.entry(typequ.to_string()).or_default() += 1;
        }
        let year_part = year.map_or_else(|| "-".to_string(), |y| y.to_string());
        let key = format!("{year_part}:{commune}:{typequ}");
        let n = occurrences.entry(key.clone()).or_insert(0);
        *n += 1;
        let id = format!("bpe:{key}:{n}");
        let kind_label = kinds.get(kind).label.clone();
        let name = match get(c.name) {
            Some(n) => match get(c.name2) {
                Some(n2) if n2 != n => format!("{n} {n2}"),
                _ => n.to_string(),
            },
            None => format!("{kind_label} ({})", get(c.city).unwrap_or(commune.as_str())),
        };
        let mut rec_out = ActorRecord::new(id, name, kind, source);
        rec_out.source_code = Some(typequ.to_string());
        rec_out.source_label = Some(kind_label);
        let join = |parts: &[Option<&str>], sep: &str| -> Option<String> {
            let v: Vec<&str> = parts.iter().flatten().copied().collect();
            (!v.is_empty()).then(|| v.join(sep))
        };
        let street = join(&[get(c.street_type), get(c.street)], " ");
        rec_out.address = Address {
            number: join(&[get(c.number), get(c.repeat)], " "),
            street: join(&[street.as_deref(), get(c.locality)], ", "),
            postcode: get(c.postcode).map(str::to_string),
            city: get(c.city).map(str::to_string),
        };
        rec_out.commune = Some(commune);
        match position {
            Some(p) => {
                rec_out.position = Some(p);
                rec_out.precision = precision(get(c.qualite_geoloc), get(c.qualite_xy));
                if rec_out.precision == Precision::Commune {
                    commune_precision += 1;
                }
            }
            None => without_position += 1,
        }
        if year.is_some() && year > max_year {
            max_year = year;
        }
        report.accepted += 1;
        imported.actors.push(rec_out);
    }
    report.ignore_lines_without_record(super::report::physical_lines(text.bytes()), rows.records);

    if without_position > 0 {
        report.notes.push(format!(
            "{without_position} équipements sans coordonnées : placés au centre de leur commune"
        ));
    }
    if commune_precision > 0 {
        report.notes.push(format!(
            "{commune_precision} équipements à position approximative dans la commune (qualité de géolocalisation faible)"
        ));
    }
    for (code, n) in &inserted {
        report.notes.push(format!(
            "type d'équipement {code} hors nomenclature de maillage : {n} équipements, type « bpe-{} »",
            code.to_lowercase()
        ));
    }
    if let Some(y) = max_year {
        report.source_date = Some(y.to_string());
    }
    Ok((imported, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENS_2018: &[u8] = include_bytes!("../../tests/fixtures/bpe/bpe18_ensemble_extrait.csv");
    const DS_BPE: &[u8] = include_bytes!("../../tests/fixtures/bpe/DS_BPE_data_extrait.csv");
    const XY_2018: &[u8] = include_bytes!("../../tests/fixtures/bpe/bpe18_ensemble_xy_extrait.csv");
    const XY_2025: &[u8] = include_bytes!("../../tests/fixtures/bpe/BPE25_extrait.csv");

    fn count(imp: &Imported, commune: &str, typequ: &str) -> Option<u32> {
        imp.equipment_counts
            .iter()
            .find(|c| c.commune.as_str() == commune && c.typequ == typequ)
            .map(|c| c.count)
    }

    #[test]
    fn ensemble_2018_sums_iris_rows_and_rejects_bad_rows() {
        let kinds = KindTable::builtin();
        let (imp, rep) = read_ensemble(ENS_2018, "bpe18.csv", &kinds).unwrap();
        let lines: Vec<&str> = std::str::from_utf8(ENS_2018)
            .unwrap()
            .lines()
            .skip(1)
            .collect();
        // Independent sum over the fixture rows for Albi D201.
        let expected: u32 = lines
            .iter()
            .map(|l| l.split(';').collect::<Vec<_>>())
            .filter(|f| f.len() == 7 && f[2] == "81004" && f[5] == "D201")
            .filter_map(|f| f[6].parse::<u32>().ok())
            .sum();
        assert_eq!(count(&imp, "81004", "D201"), Some(expected));
        assert_eq!(expected, 9);
        assert_eq!(count(&imp, "81065", "D232"), Some(5));
        let rejected: Vec<(usize, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (7, "DEPCOM"),
                (8, "NB_EQUIP"),
                (9, "NB_EQUIP"),
                (10, "ligne")
            ]
        );
        assert_eq!(rep.rejections[2].found, "2,5");
        assert_eq!(rep.accepted + rep.rejected, lines.len());
        let c = imp
            .equipment_counts
            .iter()
            .find(|c| c.typequ == "D201")
            .unwrap();
        assert_eq!(c.year, Some(2018));
        assert_eq!(kinds.get(c.kind.unwrap()).id, "medecin-generaliste");
        let unknown = imp
            .equipment_counts
            .iter()
            .find(|c| c.typequ == "D502")
            .unwrap();
        assert_eq!(unknown.kind, None);
        assert_eq!(rep.source_date.as_deref(), Some("2018"));
    }

    #[test]
    fn ds_bpe_data_keeps_commune_rows() {
        let kinds = KindTable::builtin();
        let (imp, rep) = read_ensemble(DS_BPE, "DS_BPE_data.csv", &kinds).unwrap();
        assert_eq!(rep.rejected, 1, "{:?}", rep.rejections);
        assert_eq!(rep.rejections[0].field, "OBS_VALUE");
        assert_eq!(count(&imp, "81004", "D265"), Some(61));
        assert_eq!(count(&imp, "81004", "D281"), Some(152));
        assert_eq!(count(&imp, "2A004", "D307"), Some(25));
        assert!(imp.equipment_counts.iter().all(|c| c.year == Some(2023)));
        assert_eq!(imp.equipment_counts.len(), 4);
        let gp = imp
            .equipment_counts
            .iter()
            .find(|c| c.typequ == "D265")
            .unwrap();
        assert_eq!(kinds.get(gp.kind.unwrap()).id, "medecin-generaliste");
        assert!(
            rep.notes.iter().any(|n| n.contains("« DEP »")),
            "{:?}",
            rep.notes
        );
        assert!(
            rep.notes.iter().any(|n| n.contains("_Z ou _U")),
            "{:?}",
            rep.notes
        );
    }

    #[test]
    fn xy_2018_windows_1252_lambert_and_overseas() {
        assert!(
            XY_2018.contains(&0xE9),
            "fixture is Windows-1252 (é = 0xE9)"
        );
        let mut kinds = KindTable::builtin();
        let (imp, rep) = read_xy(XY_2018, "bpe18_xy.csv", SourceId(2), &mut kinds).unwrap();
        let fields: Vec<(usize, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![(7, "DEPCOM"), (8, "LAMBERT_X"), (9, "LAMBERT_X")],
            "{:?}",
            rep.rejections
        );
        assert_eq!(rep.accepted, 6);
        let by_id = |id: &str| {
            imp.actors
                .iter()
                .find(|a| a.id == id)
                .unwrap_or_else(|| panic!("{id}"))
        };
        // Two practitioners at one address are two actors.
        let a1 = by_id("bpe:2018:81004:D201:1");
        let a2 = by_id("bpe:2018:81004:D201:2");
        assert_eq!(a1.position, a2.position);
        let p = a1.position.unwrap();
        assert!(
            (p.lon - 2.1486).abs() < 0.01 && (p.lat - 43.9289).abs() < 0.01,
            "{p:?}"
        );
        assert_eq!(a1.precision, Precision::Address);
        assert_eq!(a1.name, "Médecin généraliste (81004)");
        assert_eq!(kinds.get(a1.kind).id, "medecin-generaliste");
        // La Réunion, UTM 40S inferred from DEP 974.
        let r = by_id("bpe:2018:97411:D301:1").position.unwrap();
        assert!(
            (r.lon - 55.45).abs() < 0.01 && (r.lat + 20.88).abs() < 0.01,
            "{r:?}"
        );
        // "Non géolocalisé": no position, no (0,0).
        let ng = by_id("bpe:2018:81065:D232:1");
        assert_eq!(ng.position, None);
        assert_eq!(ng.precision, Precision::Unknown);
        // Mauvaise → commune precision.
        assert_eq!(by_id("bpe:2018:81065:D233:1").precision, Precision::Commune);
        // Unknown type: kept under a kind of its own.
        let other = by_id("bpe:2018:81004:D502:1");
        assert_eq!(kinds.get(other.kind).id, "bpe-d502");
        assert_eq!(kinds.get(other.kind).sector, Sector::Social);
        assert!(
            rep.notes.iter().any(|n| n.contains("D502")),
            "{:?}",
            rep.notes
        );
    }

    #[test]
    fn xy_2025_by_header_name() {
        let mut kinds = KindTable::builtin();
        let (imp, rep) = read_xy(XY_2025, "BPE25.csv", SourceId(1), &mut kinds).unwrap();
        assert_eq!(rep.rejected, 0, "{:?}", rep.rejections);
        assert_eq!(rep.accepted, 5);
        let by_id = |id: &str| {
            imp.actors
                .iter()
                .find(|a| a.id == id)
                .unwrap_or_else(|| panic!("{id}"))
        };
        let gp = by_id("bpe:2025:81004:D265:1");
        assert_eq!(gp.name, "CABINET MEDICAL; DU CENTRE");
        assert_eq!(kinds.get(gp.kind).id, "medecin-generaliste");
        assert_eq!(gp.address.number.as_deref(), Some("12 B"));
        assert_eq!(
            gp.address.street.as_deref(),
            Some("AV DU GENERAL DE GAULLE")
        );
        assert_eq!(gp.address.postcode.as_deref(), Some("81000"));
        assert_eq!(gp.address.city.as_deref(), Some("Albi"));
        let p = gp.position.unwrap();
        assert!((p.lon - 2.14815).abs() < 1e-9 && (p.lat - 43.92893).abs() < 1e-9);
        assert_eq!(gp.precision, Precision::Address);
        assert_eq!(by_id("bpe:2025:81065:D281:1").precision, Precision::Commune);
        // Mayotte: EPSG=4471 but no coordinate → no position.
        let may = by_id("bpe:2025:97611:D265:1");
        assert_eq!(may.position, None);
        // Réunion: only projected coordinates, EPSG column.
        let reu = by_id("bpe:2025:97411:D307:1").position.unwrap();
        assert!(
            (reu.lon - 55.45).abs() < 0.01 && (reu.lat + 20.88).abs() < 0.01,
            "{reu:?}"
        );
        let nameless = by_id("bpe:2025:81004:D279:1");
        assert_eq!(nameless.name, "Masseur-kinésithérapeute (Albi)");
        assert_eq!(rep.source_date.as_deref(), Some("2025"));
    }

    #[test]
    fn fixtures_are_detected() {
        use crate::sources::detect;
        assert_eq!(detect("a.csv", ENS_2018), Some(ENSEMBLE));
        assert_eq!(detect("a.csv", DS_BPE), Some(ENSEMBLE));
        assert_eq!(detect("a.csv", XY_2018), Some(XY));
        assert_eq!(detect("a.csv", XY_2025), Some(XY));
    }

    #[test]
    fn counts_and_precision_helpers() {
        assert_eq!(parse_count("12"), Some(12));
        assert_eq!(parse_count("12.0"), Some(12));
        assert_eq!(parse_count("12,0"), None);
        assert_eq!(parse_count("1.5"), None);
        assert_eq!(parse_count("-1"), None);
        assert_eq!(precision(Some("33"), Some("B")), Precision::Commune);
        assert_eq!(precision(Some("12"), None), Precision::Address);
        assert_eq!(precision(None, Some("Acceptable")), Precision::Street);
        assert_eq!(crs_for_departement("973"), Crs::Utm22n);
        assert_eq!(sector_for("D401"), Sector::MedicoSocial);
        assert_eq!(sector_for("D108"), Sector::Sanitaire);
    }
}
