//! The CPTS's own partner file: a CSV written by hand or exported from a spreadsheet.
//!
//! Format (the column reference for users is `docs/partenaires.md`, the template
//! `data/partenaires-modele.csv`):
//! - UTF-8 or Latin-1 (Windows-1252), decoded with [`decode`];
//! - `;` or `,` delimiter, whichever the header line uses most; `"` quotes fields;
//! - lines starting with `#` are comments; empty lines are skipped; reported line numbers are
//!   the file's own lines (comments and quoted line breaks counted);
//! - the first other line is the header; column names are compared without case, accents or
//!   punctuation (`Code postal` = `code_postal`); unknown columns are ignored with a note;
//! - `nom` and `type` are required columns; a row needs `code_insee`, `code_postal` or
//!   `commune` (resolved to a commune when the file is loaded with the communes), or
//!   `latitude` and `longitude`, to be placed on the map.
//!
//! Every row becomes an [`ActorRecord`] with id `local:<identifiant>` (slugified), or
//! `local:<slug of nom and commune>` when `identifiant` is empty. Bad values reject the row
//! (line, column, expectation, value); a later row with an id already seen is rejected.

use std::collections::HashMap;

use super::table::{Column, Table};
use super::text::{decode, Encoding};
use super::{FileReport, Format, Imported, SourceError};
use crate::model::partner_field::{
    field, Cell, Check, Checked, FieldError, PartnerField, Presence, PARTNER_FIELDS,
};
use crate::model::text::compact;
use crate::model::{ActorRecord, InseeCode, KindId, KindTable, LonLat, Precision, SourceId};

/// CPTS partner CSV.
pub const FORMAT: Format = Format::new(
    "partners",
    "Partenaires de la CPTS (fichier local)",
    "partenaires",
    &Partners,
);

/// The CPTS partner CSV format (see [`Importer`](super::Importer)).
pub struct Partners;

impl super::Importer for Partners {
    fn sniff(&self, head: &super::Head) -> bool {
        let place = head.has("commune") || head.has("code_insee") || head.has("code_postal");
        !head.has("acteur")
            && head.has("nom")
            && (head.has("type") || head.has("categorie"))
            && place
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file, i.source, i.kinds)
    }
    fn dated_by_modification(&self) -> bool {
        true
    }
}

/// The tag given to partners that are members of the CPTS.
pub const MEMBER_TAG: &str = "membre CPTS";

/// The columns of a partner file, for the table reader: [`PARTNER_FIELDS`]' names, aliases
/// and required ones.
fn columns() -> Vec<Column> {
    PARTNER_FIELDS
        .iter()
        .map(|f| Column {
            name: f.name,
            aliases: f.aliases,
            required: f.presence != Presence::Optional,
        })
        .collect()
}

/// The partner field a header name designates: its canonical name or an alias, compared
/// without case, accents or punctuation (`Code postal` = `code_postal`).
pub fn column(header_name: &str) -> Option<&'static PartnerField> {
    let n = compact(header_name);
    PARTNER_FIELDS
        .iter()
        .find(|f| compact(f.name) == n || f.aliases.iter().any(|a| compact(a) == n))
}

/// Turns text into a URL-safe id part: `Exemple – DAC du Tarn, Albi` → `exemple-dac-du-tarn-albi`,
/// at most 100 characters.
fn slug(s: &str) -> String {
    let mut out = crate::model::text::slug(s);
    if out.len() > 100 {
        out.truncate(100);
        while out.ends_with('-') {
            out.pop();
        }
    }
    out
}

/// Picks `;` or `,`, whichever the header line (first non-comment, non-empty line) uses most
/// outside quotes; `;` on a tie (see [`super::table::detect_delimiter`]).
pub fn detect_delimiter(text: &str) -> u8 {
    super::table::detect_delimiter(text, b";,")
}

/// French phone numbers, normalised to `05 63 12 34 56` (see [`crate::model::phone`]).
pub use crate::model::phone::normalize as normalize_phone;

pub use crate::model::partner_field::is_valid_email;

/// Rough boxes around France (metropolitan and Corsica, then the overseas départements and
/// Saint-Pierre-et-Miquelon): (min lon, min lat, max lon, max lat).
const FRANCE_BOXES: &[(f64, f64, f64, f64)] = &[
    (-5.5, 41.0, 10.0, 51.5),
    (-63.5, 14.0, -60.5, 18.5),
    (-55.0, 1.5, -51.0, 6.0),
    (55.0, -21.5, 56.0, -20.8),
    (44.9, -13.1, 45.4, -12.5),
    (-56.6, 46.7, -56.0, 47.2),
];

fn in_france(lon: f64, lat: f64) -> bool {
    FRANCE_BOXES
        .iter()
        .any(|&(x0, y0, x1, y1)| (x0..=x1).contains(&lon) && (y0..=y1).contains(&lat))
}

/// Splits `12 bis rue de la Paix` into the number (`12 bis`) and the street.
pub fn split_address(s: &str) -> (Option<String>, Option<String>) {
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 5 {
        return (None, Some(t.to_string()).filter(|s| !s.is_empty()));
    }
    let rest = &t[digits..];
    let mut number = t[..digits].to_string();
    let mut street = rest.trim_start_matches([' ', ',']);
    for suffix in ["bis", "ter", "quater", "b", "t", "a"] {
        let lower = street.to_ascii_lowercase();
        if lower.starts_with(suffix) && lower[suffix.len()..].starts_with([' ', ',']) {
            number.push(' ');
            number.push_str(&street[..suffix.len()]);
            street = street[suffix.len()..].trim_start_matches([' ', ',']);
            break;
        }
    }
    // A bare number (`12`) or a number glued to letters (`12A6`) is not an address split.
    if street.is_empty() || (!rest.starts_with([' ', ',']) && number.len() == digits) {
        return (None, Some(t.to_string()));
    }
    (Some(number), Some(street.to_string()))
}

/// Kind lookup by id or label, ignoring case, accents and punctuation; an empty type is
/// `partenaire`.
#[derive(Debug, Clone)]
pub struct KindLookup {
    by_key: HashMap<String, KindId>,
    ids: String,
    default: Option<KindId>,
}

impl KindLookup {
    pub fn new(kinds: &KindTable) -> KindLookup {
        let mut by_key = HashMap::new();
        let mut ids = Vec::new();
        for (kid, k) in kinds.iter() {
            by_key.entry(compact(&k.label)).or_insert(kid);
            ids.push(k.id.as_str());
        }
        // Ids win over labels when both spell the same key.
        for (kid, k) in kinds.iter() {
            by_key.insert(compact(&k.id), kid);
        }
        ids.sort_unstable();
        KindLookup {
            by_key,
            ids: ids.join(", "),
            default: kinds.by_id("partenaire"),
        }
    }

    fn get(&self, s: &str) -> Option<KindId> {
        self.by_key.get(&compact(s)).copied()
    }
}

/// Lines where something was accepted with a remark, for the report notes.
#[derive(Default)]
struct Remarks {
    decimal_comma: Vec<usize>,
    padded_codes: Vec<usize>,
    default_kind: Vec<usize>,
    blank_rows: Vec<usize>,
}

fn lines_list(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(usize::to_string).collect();
    let more = if lines.len() > 10 { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Reads a partner CSV file.
///
/// ```
/// use maillage::model::{KindTable, SourceId};
/// use maillage::sources::partners;
/// let kinds = KindTable::builtin();
/// let csv = "# Partenaires de la CPTS\n\
///            nom;type;commune;code_insee;telephone;membre_cpts\n\
///            DAC du Tarn;dac;Albi;81004;+33 5 63 12 34 56;oui\n";
/// let (imp, report) = partners::read(csv.as_bytes(), "p.csv", SourceId(0), &kinds).unwrap();
/// assert_eq!((report.accepted, report.rejected), (1, 0));
/// let a = &imp.actors[0];
/// assert_eq!(a.id, "local:dac-du-tarn-albi");
/// assert_eq!(kinds.get(a.kind).id, "dac");
/// assert_eq!(a.phone.as_deref(), Some("05 63 12 34 56"));
/// assert_eq!(a.tags, ["membre CPTS"]);
/// ```
pub fn read(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    if let Some(damage) = super::text::damaged_utf8(bytes) {
        return Err(SourceError::Invalid {
            file: file.to_string(),
            detail: damage.to_string(),
        });
    }
    let (text, encoding) = decode(bytes);
    let mut report = FileReport::new(file, FORMAT);
    if encoding == Encoding::Windows1252 {
        report
            .notes
            .push("fichier lu en Latin-1 (Windows-1252) : il n'était pas en UTF-8".into());
    }
    let mut table = Table::open(&text, file, &columns(), b";,")?;
    if let Some(note) = table.unknown_note() {
        report.notes.push(note);
    }

    let lookup = KindLookup::new(kinds);
    let mut remarks = Remarks::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut imported = Imported::default();
    let n_cols = table.header.len();
    let delimiter = table.delimiter;

    while let Some(row) = table.next_row(&mut report) {
        let line = row.line;
        if row.has_extra_fields() {
            report.reject(
                line,
                "ligne",
                &format!(
                    "{n_cols} colonnes comme l'en-tête (séparateur « {} » ; mettre entre guillemets un texte qui le contient)",
                    delimiter as char
                ),
                &format!("{} colonnes", row.len()),
            );
            continue;
        }
        let get = |name: &str| -> &str { row.get(name).unwrap_or("") };
        match parse_row(&get, line, &lookup, source, &mut remarks) {
            Ok(actor) => {
                if let Some(&first) = seen.get(&actor.id) {
                    let expected = format!(
                        "un identifiant unique ({} déjà utilisé ligne {first} ; remplir la colonne identifiant)",
                        actor.id
                    );
                    report.reject(line, "identifiant", &expected, &actor.id);
                    continue;
                }
                seen.insert(actor.id.clone(), line);
                report.accepted += 1;
                imported.actors.push(actor);
            }
            Err(r) => report.reject(line, r.field, &r.expected, &r.found),
        }
    }

    if !remarks.decimal_comma.is_empty() {
        report.notes.push(format!(
            "virgule décimale lue dans latitude/longitude ({} lignes : {})",
            remarks.decimal_comma.len(),
            lines_list(&remarks.decimal_comma)
        ));
    }
    if !remarks.padded_codes.is_empty() {
        report.notes.push(format!(
            "code INSEE ou postal à 4 chiffres complété par un 0 initial ({} lignes : {})",
            remarks.padded_codes.len(),
            lines_list(&remarks.padded_codes)
        ));
    }
    if !remarks.default_kind.is_empty() {
        report.notes.push(format!(
            "type vide : « partenaire » retenu ({} lignes : {})",
            remarks.default_kind.len(),
            lines_list(&remarks.default_kind)
        ));
    }
    remarks.blank_rows = table.blank_lines.clone();
    if !remarks.blank_rows.is_empty() {
        report.notes.push(format!(
            "lignes vides ignorées ({} lignes : {})",
            remarks.blank_rows.len(),
            lines_list(&remarks.blank_rows)
        ));
    }
    if !imported.actors.is_empty() && imported.actors.iter().all(|a| is_example(&a.name)) {
        report.sample = true;
        report
            .notes
            .push("fichier modèle : toutes les lignes sont des exemples".into());
    }
    Ok((imported, report))
}

/// Template rows are named `Exemple – …`.
fn is_example(name: &str) -> bool {
    compact(name.split([' ', '-', '–', '—']).next().unwrap_or("")) == "exemple"
}

/// Why a row was rejected.
struct RowError {
    field: &'static str,
    expected: String,
    found: String,
}

fn row_error(field: &'static str, expected: impl Into<String>, found: &str) -> RowError {
    RowError {
        field,
        expected: expected.into(),
        found: found.to_string(),
    }
}

/// Checks one field's value.
fn cell<'a>(get: &dyn Fn(&str) -> &'a str, name: &'static str) -> Result<Checked, RowError> {
    let raw = get(name);
    let check = field(name).map_or(Check::Text, |f| f.check);
    check
        .check(raw)
        .map_err(|expected| row_error(name, expected, raw))
}

fn text(c: Checked) -> Option<String> {
    c.cell.into_text()
}

/// Reads one partner from its fields by canonical name (a CSV row or a JSON body): the
/// record the importer gives, or the first field error. Nothing is noted.
///
/// ```
/// use maillage::model::KindTable;
/// use maillage::sources::partners::{parse_partner, KindLookup};
/// let lookup = KindLookup::new(&KindTable::builtin());
/// let get = |f: &str| match f { "nom" => "DAC", "type" => "dac", "code_insee" => "81004", _ => "" };
/// assert_eq!(parse_partner(&get, &lookup).unwrap().id, "local:dac-81004");
/// let get = |f: &str| match f { "nom" => "DAC", "type" => "dac", _ => "" };
/// assert_eq!(parse_partner(&get, &lookup).unwrap_err().champ, "code_insee");
/// ```
pub fn parse_partner<'a>(
    get: &dyn Fn(&str) -> &'a str,
    lookup: &KindLookup,
) -> Result<ActorRecord, FieldError> {
    parse_row(get, 0, lookup, SourceId(0), &mut Remarks::default())
        .map_err(|e| FieldError::new(e.field, e.expected, e.found))
}

fn parse_row<'a>(
    get: &dyn Fn(&str) -> &'a str,
    line: usize,
    lookup: &KindLookup,
    source: SourceId,
    remarks: &mut Remarks,
) -> Result<ActorRecord, RowError> {
    let trimmed = |name: &str| -> &'a str { get(name).trim() };
    let get: &dyn Fn(&str) -> &'a str = &trimmed;
    for f in PARTNER_FIELDS {
        let v = get(f.name);
        f.check
            .hygiene(v)
            .map_err(|expected| row_error(f.name, expected, v))?;
    }
    let opt =
        |name: &'static str| -> Result<Option<String>, RowError> { Ok(text(cell(get, name)?)) };

    let name = get("nom");
    if name.is_empty() {
        return Err(row_error("nom", "un nom non vide", ""));
    }

    let kind_raw = get("type");
    let kind = if kind_raw.is_empty() {
        remarks.default_kind.push(line);
        lookup.default
    } else {
        lookup.get(kind_raw)
    };
    let Some(kind) = kind else {
        return Err(row_error(
            "type",
            format!("un type connu (identifiant ou libellé) : {}", lookup.ids),
            kind_raw,
        ));
    };

    let insee = cell(get, "code_insee")?;
    let postcode = cell(get, "code_postal")?;
    if insee.adjusted || postcode.adjusted {
        remarks.padded_codes.push(line);
    }
    let commune: Option<InseeCode> = text(insee).and_then(|c| c.parse().ok());
    let postcode = text(postcode);

    let (lat_raw, lon_raw) = (get("latitude"), get("longitude"));
    let position = match (lat_raw.is_empty(), lon_raw.is_empty()) {
        (true, true) => None,
        (false, true) => {
            return Err(row_error(
                "longitude",
                "une longitude avec la latitude (ou aucune des deux)",
                "",
            ))
        }
        (true, false) => {
            return Err(row_error(
                "latitude",
                "une latitude avec la longitude (ou aucune des deux)",
                "",
            ))
        }
        (false, false) => {
            let (lat, lon) = (cell(get, "latitude")?, cell(get, "longitude")?);
            if lat.adjusted || lon.adjusted {
                remarks.decimal_comma.push(line);
            }
            let (Cell::Number(lat), Cell::Number(lon)) = (lat.cell, lon.cell) else {
                return Err(row_error(
                    "latitude",
                    "une latitude et une longitude",
                    lat_raw,
                ));
            };
            if !in_france(lon, lat) {
                let hint = if in_france(lat, lon) {
                    " ; latitude et longitude semblent inversées"
                } else {
                    ""
                };
                return Err(row_error(
                    "latitude",
                    format!("une position en France (latitude 41 à 51.5 et longitude −5.5 à 10 en métropole, ou outre-mer){hint}"),
                    &format!("{lat_raw} ; {lon_raw}"),
                ));
            }
            Some(LonLat::new(lon, lat))
        }
    };
    // Without a code, the commune is found at load time from `code_postal` and `commune`
    // by the place resolver (see `sources::place_fallback`).
    if position.is_none() && commune.is_none() && postcode.is_none() && get("commune").is_empty() {
        return Err(row_error(
            "code_insee",
            "un code INSEE (ex. 81099), un code postal ou un nom de commune, ou une latitude et une longitude, pour placer le partenaire sur la carte",
            get("commune"),
        ));
    }

    let phone = opt("telephone")?;
    let email = opt("email")?;
    let website = opt("site")?;
    let capacity = match cell(get, "capacite")?.cell {
        Cell::Count(n) => Some(n),
        _ => None,
    };
    let member = matches!(cell(get, "membre_cpts")?.cell, Cell::YesNo(true));

    let mut tags: Vec<String> = Vec::new();
    let mut push_tag = |t: String| {
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    };
    if member {
        push_tag(MEMBER_TAG.to_string());
    }
    if let Some(r) = opt("role")? {
        push_tag(r);
    }
    if let Cell::List(list) = cell(get, "etiquettes")?.cell {
        for t in list {
            push_tag(t);
        }
    }
    if let Some(z) = opt("zone_intervention")? {
        push_tag(format!("zone:{z}"));
    }
    if let Some(n) = opt("notes")? {
        push_tag(format!("note:{n}"));
    }

    let id_raw = get("identifiant");
    let id = if id_raw.is_empty() {
        let place = [get("commune"), get("code_insee")]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("");
        slug(&format!("{name} {place}"))
    } else {
        slug(id_raw.strip_prefix("local:").unwrap_or(id_raw))
    };
    if id.is_empty() {
        return Err(row_error(
            "identifiant",
            "un identifiant avec des lettres ou des chiffres",
            id_raw,
        ));
    }

    let mut actor = ActorRecord::new(format!("local:{id}"), name, kind, source);
    let (number, street) = split_address(get("adresse"));
    actor.address.number = number;
    actor.address.street = street;
    actor.address.postcode = postcode;
    actor.address.city = opt("commune")?;
    actor.commune = commune;
    actor.position = position;
    actor.precision = if position.is_some() {
        Precision::Address
    } else {
        Precision::Unknown
    };
    actor.phone = phone;
    actor.email = email;
    actor.website = website;
    actor.hours = opt("horaires")?;
    actor.capacity = capacity;
    actor.tags = tags;
    Ok(actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(csv: &[u8]) -> (Imported, FileReport) {
        read(csv, "partenaires.csv", SourceId(3), &KindTable::builtin()).expect("readable file")
    }

    fn rejected(report: &FileReport) -> Vec<(usize, &str)> {
        report
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect()
    }

    #[test]
    fn semicolon_file_with_comments_keeps_true_line_numbers() {
        let csv = "# Partenaires de la CPTS\n\
                   # deuxième commentaire\n\
                   identifiant;nom;type;adresse;code_postal;commune;code_insee;latitude;longitude;telephone;email;site;horaires;capacite;membre_cpts;role;etiquettes;zone_intervention;notes\n\
                   dac81;DAC du Tarn;dac;12 bis rue de la Paix;81000;Albi;81004;43.9289;2.1486;05.63.12.34.56;contact@dac81.fr;www.dac81.fr;lun-ven 9h-17h;;oui;coordination;appui, parcours complexes|soins palliatifs;Tarn nord;rappel le mardi\n\
                   # un commentaire au milieu\n\
                   ;SSIAD de Gaillac;SSIAD;;;Gaillac;81099;;;+33 5 63 57 00 00;;;;40;non;;;;\n\
                   ;CCAS de Gaillac;ccas;;;Gaillac;81099;;;0563570001;pas-un-mail;;;;;;;;\n";
        let (imp, rep) = load(csv.as_bytes());
        assert_eq!(rejected(&rep), vec![(7, "email")]);
        assert_eq!((rep.accepted, rep.rejected), (2, 1));
        let kinds = KindTable::builtin();

        let dac = &imp.actors[0];
        assert_eq!(dac.id, "local:dac81");
        assert_eq!(kinds.get(dac.kind).id, "dac");
        assert_eq!(dac.address.number.as_deref(), Some("12 bis"));
        assert_eq!(dac.address.street.as_deref(), Some("rue de la Paix"));
        assert_eq!(dac.address.postcode.as_deref(), Some("81000"));
        assert_eq!(dac.address.city.as_deref(), Some("Albi"));
        assert_eq!(dac.commune.map(|c| c.to_string()).as_deref(), Some("81004"));
        assert_eq!(dac.position, Some(LonLat::new(2.1486, 43.9289)));
        assert_eq!(dac.precision, Precision::Address);
        assert_eq!(dac.phone.as_deref(), Some("05 63 12 34 56"));
        assert_eq!(dac.email.as_deref(), Some("contact@dac81.fr"));
        assert_eq!(dac.website.as_deref(), Some("https://www.dac81.fr"));
        assert_eq!(dac.hours.as_deref(), Some("lun-ven 9h-17h"));
        assert_eq!(dac.source, SourceId(3));
        assert_eq!(
            dac.tags,
            [
                "membre CPTS",
                "coordination",
                "appui",
                "parcours complexes",
                "soins palliatifs",
                "zone:Tarn nord",
                "note:rappel le mardi"
            ]
        );

        let ssiad = &imp.actors[1];
        assert_eq!(ssiad.id, "local:ssiad-de-gaillac-gaillac");
        assert_eq!(kinds.get(ssiad.kind).id, "ssiad");
        assert_eq!(ssiad.position, None);
        assert_eq!(ssiad.precision, Precision::Unknown);
        assert_eq!(ssiad.capacity, Some(40));
        assert_eq!(ssiad.phone.as_deref(), Some("05 63 57 00 00"));
        assert!(ssiad.tags.is_empty());
        assert!(!rep.sample);
    }

    #[test]
    fn comma_file_with_quoted_fields() {
        let csv = "nom,type,commune,code_insee,latitude,longitude,horaires\n\
                   \"Exemple – Maison des aidants, Albi\",partenaire,Albi,81004,\"43,93\",\"2,15\",\"lundi, mardi\"\n\
                   Point d'accueil,Centre communal d'action sociale (CCAS),Albi,81004,,,\n";
        let (imp, rep) = load(csv.as_bytes());
        assert_eq!((rep.accepted, rep.rejected), (2, 0), "{:?}", rep.rejections);
        assert_eq!(imp.actors[0].name, "Exemple – Maison des aidants, Albi");
        assert_eq!(imp.actors[0].position, Some(LonLat::new(2.15, 43.93)));
        assert_eq!(imp.actors[0].hours.as_deref(), Some("lundi, mardi"));
        // Decimal comma accepted, never silently.
        assert!(
            rep.notes
                .iter()
                .any(|n| n.contains("virgule décimale") && n.contains('2')),
            "{:?}",
            rep.notes
        );
        // Kind by label.
        let kinds = KindTable::builtin();
        assert_eq!(kinds.get(imp.actors[1].kind).id, "ccas");
    }

    #[test]
    fn latin1_file_is_decoded_and_noted() {
        let mut csv: Vec<u8> = b"nom;type;commune;code_insee\n".to_vec();
        csv.extend_from_slice(b"Centre m\xe9dico-social;partenaire;Saint-Ju\xe9ry;81257\n");
        let (imp, rep) = load(&csv);
        assert_eq!(rep.accepted, 1);
        assert_eq!(imp.actors[0].name, "Centre médico-social");
        assert_eq!(imp.actors[0].address.city.as_deref(), Some("Saint-Juéry"));
        assert_eq!(imp.actors[0].id, "local:centre-medico-social-saint-juery");
        assert!(rep.notes.iter().any(|n| n.contains("Latin-1")));
    }

    #[test]
    fn bad_values_are_rejected_with_line_and_field() {
        let csv = "Nom;Catégorie;Commune;Code INSEE;Téléphone;E-mail;Latitude;Longitude;Capacité;Membre CPTS\n\
                   A;dac;Albi;81004;05 63 12 34;;;;;\n\
                   B;dac;Albi;8100A;;;;;;\n\
                   C;clinique vétérinaire;Albi;81004;;;;;;\n\
                   D;dac;Albi;81004;;a@b;;;;\n\
                   E;dac;Albi;81004;;;2.14;43.92;;\n\
                   F;dac;Albi;81004;;;43.92;;;\n\
                   G;dac;Albi;81004;;;;;beaucoup;\n\
                   H;dac;Albi;81004;;;;;;peut-être\n\
                   ;dac;Albi;81004;;;;;;\n\
                   J;dac;;;;;;;;\n\
                   K;dac;Albi;81004;06 12 34 56 78;;;;;\n\
                   L;dac;Albi;;;;;;;\n";
        let (imp, rep) = load(csv.as_bytes());
        assert_eq!(
            rejected(&rep),
            vec![
                (2, "telephone"),
                (3, "code_insee"),
                (4, "type"),
                (5, "email"),
                (6, "latitude"),
                (7, "longitude"),
                (8, "capacite"),
                (9, "membre_cpts"),
                (10, "nom"),
                (11, "code_insee"),
            ]
        );
        assert_eq!((rep.accepted, rep.rejected), (2, 10));
        assert_eq!(imp.actors[0].phone.as_deref(), Some("06 12 34 56 78"));
        // A commune name alone is kept: the commune is resolved when the communes are loaded.
        assert_eq!(imp.actors[1].commune, None);
        assert_eq!(imp.actors[1].address.city.as_deref(), Some("Albi"));
        let r = &rep.rejections;
        assert_eq!(r[0].found, "05 63 12 34");
        assert!(r[2].expected.contains("ssiad") && r[2].expected.contains("partenaire"));
        assert_eq!(r[2].found, "clinique vétérinaire");
        assert!(r[4].expected.contains("inversées"), "{}", r[4].expected);
        assert_eq!(r[0].file, "partenaires.csv");
    }

    #[test]
    fn duplicate_ids_reject_the_later_row() {
        let csv = "identifiant;nom;type;commune;code_insee\n\
                   p1;Pharmacie du Centre;pharmacie;Gaillac;81099\n\
                   P1;Pharmacie de la Gare;pharmacie;Gaillac;81099\n\
                   ;EHPAD Les Tilleuls;ehpad;Albi;81004\n\
                   ;EHPAD les tilleuls;ehpad;Albi;81004\n";
        let (imp, rep) = load(csv.as_bytes());
        assert_eq!(rejected(&rep), vec![(3, "identifiant"), (5, "identifiant")]);
        assert!(rep.rejections[0].expected.contains("ligne 2"));
        assert_eq!(imp.actors.len(), 2);
        assert_eq!(imp.actors[0].name, "Pharmacie du Centre");
        assert_eq!(imp.actors[1].id, "local:ehpad-les-tilleuls-albi");
    }

    #[test]
    fn unknown_columns_and_quirks_are_noted() {
        let csv = "nom;type;commune;code_insee;code_postal;couleur\n\
                   ;;;;;\n\
                   Relais;;Bourg;1053;1000;bleu\n";
        let (imp, rep) = load(csv.as_bytes());
        assert_eq!((rep.accepted, rep.rejected), (1, 0));
        let a = &imp.actors[0];
        assert_eq!(a.commune.map(|c| c.to_string()).as_deref(), Some("01053"));
        assert_eq!(a.address.postcode.as_deref(), Some("01000"));
        assert_eq!(KindTable::builtin().get(a.kind).id, "partenaire");
        let notes = rep.notes.join("\n");
        assert!(notes.contains("couleur"), "{notes}");
        assert!(notes.contains("0 initial"), "{notes}");
        assert!(notes.contains("« partenaire » retenu"), "{notes}");
        assert!(notes.contains("lignes vides"), "{notes}");
    }

    #[test]
    fn misaligned_row_is_rejected() {
        let csv = "nom;type;code_insee\nA;dac;81004;en trop\nB;dac;81004\n";
        let (_, rep) = load(csv.as_bytes());
        assert_eq!(rejected(&rep), vec![(2, "ligne")]);
        assert_eq!(rep.accepted, 1);
    }

    #[test]
    fn multiline_quoted_field_keeps_following_line_numbers() {
        let csv = "nom;type;code_insee;horaires\nA;dac;81004;\"lundi\nmardi\"\nB;dac;xx;\n";
        let (imp, rep) = load(csv.as_bytes());
        assert_eq!(imp.actors[0].hours.as_deref(), Some("lundi\nmardi"));
        assert_eq!(rejected(&rep), vec![(4, "code_insee")]);
    }

    #[test]
    fn missing_required_column_is_an_error() {
        let err = read(
            b"nom;commune\nA;Albi\n",
            "p.csv",
            SourceId(0),
            &KindTable::builtin(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("« type »"), "{err}");
        assert!(read(b"# rien\n", "p.csv", SourceId(0), &KindTable::builtin()).is_err());
    }

    #[test]
    fn template_loads_without_rejection() {
        let bytes = include_bytes!("../../data/partenaires-modele.csv");
        assert_eq!(
            super::super::detect("partenaires-modele.csv", bytes),
            Some(FORMAT)
        );
        let (imp, rep) = read(
            bytes,
            "partenaires-modele.csv",
            SourceId(0),
            &KindTable::builtin(),
        )
        .expect("template readable");
        assert_eq!(rep.rejected, 0, "{:?}", rep.rejections);
        assert!(rep.accepted >= 3);
        assert_eq!(rep.accepted, imp.actors.len());
        assert!(rep.sample);
        assert!(imp.actors.iter().all(|a| a.name.starts_with("Exemple –")));
        assert!(imp
            .actors
            .iter()
            .any(|a| a.tags.iter().any(|t| t == MEMBER_TAG)));
        assert!(
            !rep.notes.iter().any(|n| n.contains("ignorées")),
            "{:?}",
            rep.notes
        );
    }

    #[test]
    fn phone_formats() {
        for (raw, want) in [
            ("05 63 12 34 56", Some("05 63 12 34 56")),
            ("05-63-12-34-56", Some("05 63 12 34 56")),
            ("0033 5 63 12 34 56", Some("05 63 12 34 56")),
            ("+33563123456", Some("05 63 12 34 56")),
            ("+590 590 12 34 56", Some("05 90 12 34 56")),
            ("00 63 12 34 56", None),
            ("+44 20 7946 0958", None),
            ("tél. 05 63 12 34 56", None),
            ("05 63 12 34 56 7", None),
        ] {
            assert_eq!(normalize_phone(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn slugs_and_addresses() {
        assert_eq!(
            slug("Exemple – DAC du Tarn  (Albi)"),
            "exemple-dac-du-tarn-albi"
        );
        assert_eq!(slug("--"), "");
        assert_eq!(
            split_address("3, avenue Foch"),
            (Some("3".into()), Some("avenue Foch".into()))
        );
        assert_eq!(
            split_address("Lieu-dit La Borde"),
            (None, Some("Lieu-dit La Borde".into()))
        );
        assert_eq!(split_address("12A6"), (None, Some("12A6".into())));
        assert_eq!(split_address(""), (None, None));
    }
}
