//! Annuaire Santé `PS_LibreAcces_Personne_activite` (RPPS / ADELI professionals).
//!
//! Format facts (see `PROVENANCE.md`):
//! - `|`-separated, **no quoting at all**: a `"` is data, even unbalanced;
//! - a header line; every line, header included, ends with `|` (n+1 split fields for n columns);
//! - UTF-8 (Windows-1252 read too, a block of lines at a time), LF or CRLF;
//! - columns grow on the right over the years (48, 52, 56…): they are mapped by header name
//!   (compared without case, accents or punctuation, so `(coord. Structure)` and
//!   `(coord. structure)` are the same column) and unknown columns are ignored;
//! - one line per activity (person × structure × role): one actor per activity site, with id
//!   `rpps:<Identifiant PP>:<Identifiant technique de la structure>`. A repeated pair is kept
//!   once (counted in a note). Lines without any site (every address field empty) are counted
//!   in a note, not turned into actors.
//!
//! Kinds are chosen by code, never by label:
//!
//! | `Code profession` | condition | kind |
//! |---|---|---|
//! | 10 | savoir-faire SM26, SM53 or SM54 | `medecin-generaliste` |
//! | 10 | another savoir-faire | `medecin-specialiste` |
//! | 10 | no savoir-faire (column absent or empty) | `rpps-10` « Médecin (spécialité non précisée) » |
//! | 21 | section A, D or E of the pharmacists' table (officine, officine adjoints, outre-mer) | `pharmacie` |
//! | 21 | another or no section (H hospital, B industry, C wholesale, G biology) | `rpps-21` « Pharmacien (hors officine) » |
//! | 40, 50, 60, 70, 80, 91, 93 | | `chirurgien-dentiste`, `sage-femme`, `infirmier`, `masseur-kinesitherapeute`, `pedicure-podologue`, `orthophoniste`, `psychologue` |
//! | any other | | `rpps-<code>` with the file's `Libellé profession` (one note per code) |
//!
//! RPPS has no coordinates: actors get no position (the [`super::Dataset`] places them at their
//! commune's centroid).
//!
//! Report counts: `accepted` counts the data lines read without error (duplicates and
//! identity-only lines included, each explained in a note); `rejected` the others.

use std::collections::BTreeMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;

type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

use super::table::HeaderIndex;
use super::text::{detect, Encoding, Text, BLOCK_BYTES};
use super::{FileReport, Format, Imported, SourceError};
use crate::model::{ActorRecord, Address, InseeCode, KindId, KindTable, Sector, SourceId};

/// Column positions, found by header name.
struct Columns {
    pp: usize,
    profession: usize,
    profession_label: Option<usize>,
    civility: Option<usize>,
    last_name: Option<usize>,
    first_name: Option<usize>,
    skill: Option<usize>,
    skill_label: Option<usize>,
    mode: Option<usize>,
    mode_label: Option<usize>,
    structure: Option<usize>,
    company: Option<usize>,
    sign: Option<usize>,
    number: Option<usize>,
    repeat: Option<usize>,
    street_type: Option<usize>,
    street: Option<usize>,
    distribution: Option<usize>,
    cedex: Option<usize>,
    postcode: Option<usize>,
    commune: Option<usize>,
    city: Option<usize>,
    phone: Option<usize>,
    email: Option<usize>,
    section: Option<usize>,
    /// Identifiers of the activity site, kept as `finess:` / `siret:` tags for linking.
    site_finess: Option<usize>,
    site_siret: Option<usize>,
}

impl Columns {
    fn from_header(header: &[&str], file: &str) -> Result<Columns, SourceError> {
        let index = HeaderIndex::new(header.iter().copied(), file);
        let find = |names: &[&str]| index.find(names);
        let required = |name: &str| index.required(name, "");
        Ok(Columns {
            pp: required("Identifiant PP")?,
            profession: required("Code profession")?,
            profession_label: find(&["Libellé profession"]),
            civility: find(&["Code civilité d'exercice", "Code civilité exercice"]),
            last_name: find(&["Nom d'exercice"]),
            first_name: find(&["Prénom d'exercice"]),
            skill: find(&["Code savoir-faire"]),
            skill_label: find(&["Libellé savoir-faire"]),
            mode: find(&["Code mode exercice"]),
            mode_label: find(&["Libellé mode exercice"]),
            structure: find(&["Identifiant technique de la structure"]),
            company: find(&["Raison sociale site"]),
            sign: find(&["Enseigne commerciale site"]),
            number: find(&["Numéro Voie (coord. structure)"]),
            repeat: find(&["Indice répétition voie (coord. structure)"]),
            street_type: find(&["Libellé type de voie (coord. structure)"]),
            street: find(&["Libellé Voie (coord. structure)"]),
            distribution: find(&["Mention distribution (coord. structure)"]),
            cedex: find(&["Bureau cedex (coord. structure)"]),
            postcode: find(&["Code postal (coord. structure)"]),
            commune: find(&["Code commune (coord. structure)"]),
            city: find(&["Libellé commune (coord. structure)"]),
            phone: find(&["Téléphone (coord. structure)"]),
            email: find(&["Adresse e-mail (coord. structure)"]),
            section: find(&["Code section tableau pharmaciens"]),
            site_finess: find(&["Numéro FINESS site"]),
            site_siret: find(&["Numéro SIRET site"]),
        })
    }

    /// The site fields: a line where all are empty has no activity site.
    fn site_fields(&self) -> [Option<usize>; 11] {
        [
            self.structure,
            self.company,
            self.sign,
            self.number,
            self.street,
            self.distribution,
            self.cedex,
            self.postcode,
            self.commune,
            self.city,
            self.phone,
        ]
    }
}

/// Annuaire Santé `PS_LibreAcces_Personne_activite`.
pub const FORMAT: Format = Format::new(
    "rpps",
    "Annuaire Santé – professionnels (PS_LibreAcces)",
    "Annuaire Santé (RPPS)",
    &Rpps,
);

/// The Annuaire Santé `PS_LibreAcces_Personne_activite` format (see [`Importer`](super::Importer)).
pub struct Rpps;

impl super::Importer for Rpps {
    fn sniff(&self, head: &super::Head) -> bool {
        head.first_line.contains("identifiant pp|")
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file, i.source, i.kinds)
    }
}

/// Reads a `PS_LibreAcces_Personne_activite` file.
///
/// ```
/// use maillage::model::{KindTable, SourceId};
/// use maillage::sources::rpps;
/// let mut kinds = KindTable::builtin();
/// let file = "Identifiant PP|Code profession|Libellé profession|Nom d'exercice|Prénom d'exercice|\
///             Identifiant technique de la structure|Code commune (coord. structure)|\n\
///             10001234567|60|Infirmier|\"DUPONT|MARIE|S1|81004|\n";
/// let (imp, report) = rpps::read(file.as_bytes(), "ps.txt", SourceId(0), &mut kinds).unwrap();
/// assert_eq!(report.rejected, 0);
/// assert_eq!(imp.actors[0].id, "rpps:10001234567:S1");
/// assert_eq!(imp.actors[0].name, "Marie \"DUPONT");
/// assert_eq!(kinds.get(imp.actors[0].kind).id, "infirmier");
/// ```
pub fn read(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &mut KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    read_in_blocks(bytes, file, source, kinds, BLOCK_BYTES)
}

/// Files from this size on are read in one part per core (see [`read_in_parts`]).
const PARALLEL_FROM_BYTES: usize = 8 << 20;

fn read_in_blocks(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &mut KindTable,
    block_bytes: usize,
) -> Result<(Imported, FileReport), SourceError> {
    let parts = if bytes.len() >= PARALLEL_FROM_BYTES {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        1
    };
    read_in_parts(bytes, file, source, kinds, block_bytes, parts)
}

/// What decides the kind of a line: its profession code, the [`kind_class`] its savoir-faire
/// and pharmacists' section give, and the profession's label (for a `rpps-<code>` kind), with
/// a savoir-faire and section of that class.
#[derive(Debug, PartialEq)]
struct KindKey {
    profession: String,
    class: &'static str,
    label: String,
    skill: String,
    section: String,
}

/// What one part of a file (whole lines, see [`Text::split_at_lines`]) gives on its own: the
/// steps that depend on the lines before it (repeated pairs across parts, kinds numbered in
/// order of first use, counts over the actors kept) are left to [`read_in_parts`].
struct Part {
    /// The actors of the part's first (professional, site) pairs; `kind` is an index in `kinds`.
    actors: Vec<ActorRecord>,
    kinds: Vec<KindKey>,
    /// Ids of `actors`.
    seen: HashSet<String>,
    /// Rejections with line numbers counted from the part's first line (1).
    report: FileReport,
    lines: usize,
    duplicates: usize,
    identity_only: usize,
}

/// The header's facts every part needs.
struct Layout<'a> {
    cols: &'a Columns,
    /// Number of columns.
    n: usize,
    /// Whether lines end with a `|`.
    trailing: bool,
    file: &'a str,
    source: SourceId,
    block_bytes: usize,
}

/// Reads the file in `parts` parts of whole lines, one thread each, then joins them in order:
/// the result is exactly the one of reading the file at once (same actors, kinds numbered in
/// the same order, same rejections with their lines, same notes).
fn read_in_parts(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &mut KindTable,
    block_bytes: usize,
    parts: usize,
) -> Result<(Imported, FileReport), SourceError> {
    let mut report = FileReport::new(file, FORMAT);
    let text = detect(bytes);
    if text.encoding() == Encoding::Windows1252 {
        report
            .notes
            .push("fichier lu en Latin-1 (Windows-1252) : il n'était pas en UTF-8".into());
    }
    let (header_line, body) = text.first_line();
    let header_line = header_line.strip_suffix('\r').unwrap_or(&header_line);
    let mut header: Vec<&str> = header_line.split('|').collect();
    // Published files end every line with `|`; a file without it must be consistent too.
    let trailing = header.len() > 1 && header.last() == Some(&"");
    if trailing {
        header.pop();
    }
    let cols = Columns::from_header(&header, file)?;
    report.ignored += 1; // the header line
    let layout = Layout {
        cols: &cols,
        n: header.len(),
        trailing,
        file,
        source,
        block_bytes,
    };
    // The first part's vector receives every part's actors: room for the whole file.
    let capacity = super::text::estimated_lines(body.bytes());
    let pieces = body.split_at_lines(parts);
    let parsed: Vec<Part> = std::thread::scope(|s| {
        let layout = &layout;
        let handles: Vec<_> = pieces
            .iter()
            .skip(1)
            .map(|piece| s.spawn(move || read_part(layout, *piece, 0)))
            .collect();
        let first = pieces
            .first()
            .map(|piece| read_part(layout, *piece, capacity));
        first
            .into_iter()
            .chain(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("RPPS part thread")),
            )
            .collect()
    });

    let mut imported = Imported::default();
    let mut duplicates = 0usize;
    let mut identity_only = 0usize;
    let mut without_commune = 0usize;
    let mut doctors_without_skill = 0usize;
    let mut other_professions: BTreeMap<String, (String, usize)> = BTreeMap::new();
    // Few (profession, class) pairs: a short list, searched without allocating a key per line.
    let mut kind_cache: Vec<(String, &'static str, KindId)> = Vec::new();
    let mut line_offset = 1; // the header line
    let mut earlier: Vec<HashSet<String>> = Vec::new();
    for mut part in parsed {
        // A pair already read in an earlier part is a repetition.
        if !earlier.is_empty() {
            let before = part.actors.len();
            part.actors
                .retain(|a| !earlier.iter().any(|seen| seen.contains(&a.id)));
            duplicates += before - part.actors.len();
        }
        duplicates += part.duplicates;
        identity_only += part.identity_only;
        report.accepted += part.report.accepted;
        report.ignored += part.report.ignored;
        report.rejected += part.report.rejected;
        report
            .rejections
            .extend(part.report.rejections.into_iter().map(|mut r| {
                r.line += line_offset;
                r
            }));
        line_offset += part.lines;
        let mut global: Vec<Option<KindId>> = vec![None; part.kinds.len()];
        for a in &mut part.actors {
            let key = &part.kinds[a.kind.0 as usize];
            let kind = match global[a.kind.0 as usize] {
                Some(k) => k,
                None => {
                    let k = match kind_cache
                        .iter()
                        .find(|(p, c, _)| *p == key.profession && *c == key.class)
                    {
                        Some((_, _, k)) => *k,
                        None => {
                            let k = kind_for(
                                kinds,
                                &key.profession,
                                &key.skill,
                                &key.section,
                                &key.label,
                            );
                            kind_cache.push((key.profession.clone(), key.class, k));
                            k
                        }
                    };
                    global[a.kind.0 as usize] = Some(k);
                    k
                }
            };
            a.kind = kind;
            if key.profession == "10" && key.class.is_empty() {
                doctors_without_skill += 1;
            }
            if !is_mapped_profession(&key.profession) {
                let e = other_professions
                    .entry(key.profession.clone())
                    .or_insert_with(|| (key.label.clone(), 0));
                e.1 += 1;
            }
            if a.commune.is_none() {
                without_commune += 1;
            }
        }
        if imported.actors.is_empty() {
            imported.actors = std::mem::take(&mut part.actors);
        } else {
            imported.actors.append(&mut part.actors);
        }
        earlier.push(part.seen);
    }

    report.notes.push(format!(
        "{} professionnels-sites retenus (sans coordonnées : placés au centre de leur commune)",
        imported.actors.len()
    ));
    if duplicates > 0 {
        report.notes.push(format!(
            "{duplicates} lignes répètent un couple professionnel–structure déjà lu : gardé une fois"
        ));
    }
    if identity_only > 0 {
        report.notes.push(format!(
            "{identity_only} lignes sans lieu d'exercice (identité seule) : pas d'acteur créé"
        ));
    }
    if without_commune > 0 {
        report.notes.push(format!(
            "{without_commune} lieux d'exercice sans code commune : placés d'après leur code postal et leur commune quand les communes chargées les désignent sans ambiguïté (voir les remarques suivantes)"
        ));
    }
    if doctors_without_skill > 0 {
        report.notes.push(format!(
            "{doctors_without_skill} médecins sans savoir-faire : type « Médecin (spécialité non précisée) »"
        ));
    }
    for (code, (label, count)) in &other_professions {
        let label = if label.is_empty() {
            "sans libellé"
        } else {
            label
        };
        report.notes.push(format!(
            "profession {code} ({label}) : {count} lieux d'exercice, type « rpps-{code} »"
        ));
    }
    Ok((imported, report))
}

/// Reads the lines of one part (see [`Part`]); `capacity`: actors to make room for at once.
fn read_part(layout: &Layout, text: Text, capacity: usize) -> Part {
    let Layout {
        cols,
        n,
        trailing,
        file,
        source,
        block_bytes,
    } = *layout;
    let mut part = Part {
        actors: Vec::with_capacity(capacity.max(super::text::estimated_lines(text.bytes()))),
        kinds: Vec::new(),
        seen: HashSet::default(),
        report: FileReport::new(file, FORMAT),
        lines: 0,
        duplicates: 0,
        identity_only: 0,
    };
    let report = &mut part.report;
    let mut line_no = 0;
    // A Windows-1252 file is decoded a block of lines at a time, never whole.
    for block in text.blocks(block_bytes) {
        let mut fields: Vec<&str> = Vec::with_capacity(n + 1);
        for raw in block.split_terminator('\n') {
            line_no += 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                report.ignored += 1;
                continue;
            }
            split_fields(line, b'|', &mut fields);
            let ok_count = if trailing {
                fields.len() == n + 1 && fields[n].is_empty()
            } else {
                fields.len() == n
            };
            if !ok_count {
                let found = fields.len() - usize::from(trailing && fields.last() == Some(&""));
                report.reject(
                    line_no,
                    "ligne",
                    &format!("{n} champs séparés par « | » (comme l'en-tête)"),
                    &format!("{found} champs"),
                );
                continue;
            }
            let get = |c: Option<usize>| field(&fields, c);
            let pp = fields[cols.pp].trim();
            if pp.is_empty() {
                report.reject(line_no, "Identifiant PP", "un identifiant non vide", "");
                continue;
            }
            let profession = fields[cols.profession].trim();
            if profession.is_empty() {
                report.reject(
                    line_no,
                    "Code profession",
                    "un code profession (10, 21, 60…)",
                    "",
                );
                continue;
            }
            let commune_code = get(cols.commune);
            let commune = if commune_code.is_empty() {
                None
            } else {
                match commune_code.parse::<InseeCode>() {
                    Ok(c) => Some(c),
                    Err(_) => {
                        report.reject(
                            line_no,
                            "Code commune (coord. structure)",
                            "un code INSEE sur 5 caractères (ex. 81004, 2A004)",
                            commune_code,
                        );
                        continue;
                    }
                }
            };
            report.accepted += 1;

            if cols.site_fields().iter().all(|c| get(*c).is_empty()) {
                part.identity_only += 1;
                continue;
            }
            let structure = get(cols.structure);
            let site_key = if structure.is_empty() {
                // No structure id but an address: a deterministic key from the address.
                let addr = [
                    cols.postcode,
                    cols.commune,
                    cols.number,
                    cols.street,
                    cols.city,
                ]
                .map(get)
                .join("|");
                format!("adresse-{:016x}", fnv1a(addr.as_bytes()))
            } else {
                structure.to_string()
            };
            let id = format!("rpps:{pp}:{site_key}");
            if !part.seen.insert(id.clone()) {
                part.duplicates += 1;
                continue;
            }

            let skill = get(cols.skill);
            let section = get(cols.section).to_ascii_uppercase();
            let prof_label = get(cols.profession_label);
            let class = kind_class(profession, skill, &section);
            let key = match part.kinds.iter().position(|k| {
                k.profession == profession && k.class == class && k.label == prof_label
            }) {
                Some(i) => i,
                None => {
                    part.kinds.push(KindKey {
                        profession: profession.to_string(),
                        class,
                        label: prof_label.to_string(),
                        skill: skill.to_string(),
                        section: section.clone(),
                    });
                    part.kinds.len() - 1
                }
            };
            let kind = KindId(u16::try_from(key).expect("few kinds in a part"));

            // Name: "Dr Marie DUPONT".
            let first = title_case(get(cols.first_name));
            let last = get(cols.last_name);
            let civ = match get(cols.civility).to_ascii_uppercase().as_str() {
                "DR" => "Dr ",
                "PR" => "Pr ",
                "" if cols.civility.is_none() && (profession == "10" || profession == "40") => {
                    "Dr "
                }
                _ => "",
            };
            let person = join_non_empty(&[first.as_str(), last], " ");
            let name = if person.is_empty() {
                first_non_empty(&[get(cols.company), get(cols.sign), pp]).to_string()
            } else {
                format!("{civ}{person}")
            };

            let mut rec = ActorRecord::new(id, name, kind, source);
            let (code, label) = if skill.is_empty() {
                (profession, prof_label)
            } else {
                (skill, get(cols.skill_label))
            };
            rec.source_code = Some(code.to_string());
            rec.source_label = non_empty(label).or_else(|| non_empty(prof_label));
            rec.address = address(cols, &fields);
            rec.commune = commune;
            rec.phone = non_empty(get(cols.phone)).map(|p| normalise_phone(&p));
            rec.email = non_empty(get(cols.email));
            let mode = mode_tag(get(cols.mode), get(cols.mode_label));
            if let Some(m) = mode {
                rec.tags.push(m);
            }
            if profession == "21" {
                rec.tags.push("pharmacien".into());
            }
            // The site's FINESS and SIRET numbers let deduplication link the professional's site
            // with the establishment published by FINESS.
            if let Some(n) = non_empty(get(cols.site_finess)) {
                rec.tags.push(format!("finess:{n}"));
            }
            if let Some(n) = non_empty(get(cols.site_siret)) {
                rec.tags.push(format!("siret:{n}"));
            }
            part.actors.push(rec);
        }
    }
    part.lines = line_no;
    part
}

fn is_mapped_profession(code: &str) -> bool {
    matches!(
        code,
        "10" | "21" | "40" | "50" | "60" | "70" | "80" | "91" | "93"
    )
}

/// What, besides the profession code, decides a line's kind.
fn kind_class(profession: &str, skill: &str, section: &str) -> &'static str {
    match profession {
        "10" if is_gp(skill) => "g",
        "10" if skill.is_empty() => "",
        "10" => "s",
        "21" if is_officine(section) => "o",
        _ => "",
    }
}

fn is_gp(skill: &str) -> bool {
    matches!(skill, "SM26" | "SM53" | "SM54")
}

/// Officine sections of the pharmacists' table: A (titulaires), D (adjoints), E (outre-mer).
fn is_officine(section: &str) -> bool {
    matches!(section, "A" | "D" | "E")
}

fn kind_for(
    kinds: &mut KindTable,
    profession: &str,
    skill: &str,
    section: &str,
    label: &str,
) -> KindId {
    let builtin = match profession {
        "10" if is_gp(skill) => Some("medecin-generaliste"),
        "10" if !skill.is_empty() => Some("medecin-specialiste"),
        "21" if is_officine(section) => Some("pharmacie"),
        "40" => Some("chirurgien-dentiste"),
        "50" => Some("sage-femme"),
        "60" => Some("infirmier"),
        "70" => Some("masseur-kinesitherapeute"),
        "80" => Some("pedicure-podologue"),
        "91" => Some("orthophoniste"),
        "93" => Some("psychologue"),
        _ => None,
    };
    if let Some(k) = builtin.and_then(|id| kinds.by_id(id)) {
        return k;
    }
    let label = match profession {
        "10" => "Médecin (spécialité non précisée)",
        "21" => "Pharmacien (hors officine)",
        _ => label,
    };
    kinds.for_source_code_or_insert("rpps", profession, label, Sector::Sanitaire)
}

/// A trimmed field, empty when the column is absent.
fn field<'a>(fields: &[&'a str], c: Option<usize>) -> &'a str {
    c.map_or("", |i| fields[i].trim())
}

fn address(cols: &Columns, fields: &[&str]) -> Address {
    let get = |c: Option<usize>| field(fields, c);
    let number = join_non_empty(&[get(cols.number), get(cols.repeat)], " ");
    let street = join_non_empty(&[get(cols.street_type), get(cols.street)], " ");
    let street = join_non_empty(&[street.as_str(), get(cols.distribution)], ", ");
    let cedex = get(cols.cedex);
    let mut postcode = get(cols.postcode).to_string();
    let mut city = get(cols.city).to_string();
    if let Some((cp, town)) = cedex.split_once(' ') {
        // "81000 ALBI CEDEX 9": fills what the structured fields leave empty.
        if postcode.is_empty() && cp.len() == 5 && cp.bytes().all(|b| b.is_ascii_digit()) {
            postcode = cp.to_string();
        }
        if city.is_empty() {
            city = town.trim().to_string();
        }
    }
    Address {
        number: non_empty(&number),
        street: non_empty(&street),
        postcode: non_empty(&postcode),
        city: non_empty(&city),
    }
}

/// The non-empty `parts` joined by `sep` (one allocation: this runs for every line).
fn join_non_empty(parts: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(p);
    }
    out
}

fn mode_tag(code: &str, label: &str) -> Option<String> {
    if !label.is_empty() {
        return Some(label.to_lowercase());
    }
    match code {
        "L" => Some("libéral".into()),
        "S" => Some("salarié".into()),
        "B" => Some("bénévole".into()),
        _ => None,
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn first_non_empty<'a>(candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .copied()
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

/// "JEAN-PIERRE" → "Jean-Pierre", "marie claire" → "Marie Claire".
/// Splits a line at an ASCII separator into `out` (cleared first): like `str::split`, but a
/// plain byte scan, which is markedly faster on lines of many short fields.
fn split_fields<'a>(line: &'a str, sep: u8, out: &mut Vec<&'a str>) {
    out.clear();
    let mut start = 0;
    for (i, b) in line.bytes().enumerate() {
        if b == sep {
            // An ASCII byte is always a character boundary.
            out.push(&line[start..i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, ' ' | '-' | '\'' | '’');
    }
    out
}

/// French phone numbers as `05 63 47 47 47`; anything else is kept as published.
pub(crate) fn normalise_phone(raw: &str) -> String {
    crate::model::phone::normalize(raw).unwrap_or_else(|| raw.trim().to_string())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] =
        include_bytes!("../../tests/fixtures/rpps/PS_LibreAcces_Personne_activite_extrait.txt");
    const FIXTURE_2025: &[u8] = include_bytes!(
        "../../tests/fixtures/rpps/PS_LibreAcces_Personne_activite_2025_colonne_inconnue.txt"
    );

    fn load(bytes: &[u8]) -> (Imported, FileReport, KindTable) {
        let mut kinds = KindTable::builtin();
        let (imp, rep) = read(bytes, "ps.txt", SourceId(3), &mut kinds).unwrap();
        (imp, rep, kinds)
    }

    #[test]
    fn site_finess_and_siret_become_tags() {
        let text = String::from_utf8(FIXTURE.to_vec()).unwrap();
        let header = text.lines().next().unwrap();
        let cols: Vec<&str> = header.split('|').collect();
        let mut fields = vec![""; cols.len()];
        let set = |fields: &mut Vec<&str>, name: &str, v: &'static str| {
            let i = cols.iter().position(|c| *c == name).unwrap();
            fields[i] = v;
        };
        set(&mut fields, "Identifiant PP", "10100999999");
        set(&mut fields, "Code profession", "21");
        set(
            &mut fields,
            "Identifiant technique de la structure",
            "S81000000099",
        );
        set(&mut fields, "Code commune (coord. structure)", "81004");
        set(&mut fields, "Numéro FINESS site", "810000505");
        set(&mut fields, "Numéro SIRET site", "26810003100017");
        let file = format!("{header}\n{}\n", fields.join("|"));
        let (imported, report, _) = load(file.as_bytes());
        assert_eq!(report.rejected, 0, "{:?}", report.rejections);
        let tags = &imported.actors[0].tags;
        assert!(tags.contains(&"finess:810000505".to_string()), "{tags:?}");
        assert!(
            tags.contains(&"siret:26810003100017".to_string()),
            "{tags:?}"
        );
    }

    fn actor<'a>(imp: &'a Imported, id: &str) -> &'a ActorRecord {
        imp.actors
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("{id} absent"))
    }

    #[test]
    fn windows_1252_file_reads_like_its_utf8_twin_in_any_block_size() {
        let (want, want_rep, _) = load(FIXTURE);
        let text = std::str::from_utf8(FIXTURE).unwrap();
        let (latin1, _, lossy) = encoding_rs::WINDOWS_1252.encode(text);
        assert!(
            !lossy && latin1.len() < FIXTURE.len(),
            "the fixture has accents"
        );
        for block in [1, 100, 1000, 1 << 20] {
            let mut kinds = KindTable::builtin();
            let (got, rep) =
                read_in_blocks(&latin1, "ps.txt", SourceId(3), &mut kinds, block).unwrap();
            assert_eq!(got.actors, want.actors, "block {block}");
            assert_eq!(rep.rejections, want_rep.rejections, "block {block}");
            assert_eq!(rep.accepted, want_rep.accepted);
            assert!(
                rep.notes.iter().any(|n| n.contains("Latin-1")),
                "{:?}",
                rep.notes
            );
        }
    }

    /// A file read in parts on several threads gives exactly what reading it at once gives:
    /// actors (repeated pairs across parts kept once, in file order), kinds numbered in the
    /// same order, rejections with their lines, notes; in UTF-8 and in Windows-1252.
    #[test]
    fn parts_read_like_the_whole_file() {
        let text = std::str::from_utf8(FIXTURE).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        let nurse = body.lines().find(|l| l.contains("|60|Infirmier|")).unwrap();
        let other = |pp: &str, label: &str| {
            nurse
                .replace("10100123458", pp)
                .replace("|60|Infirmier|", &format!("|95|{label}|"))
        };
        // Repeated lines across parts, professions outside the table (two labels for one
        // code, the first line of each repeated later), blank and rejected lines.
        let mut file = format!("{header}\n");
        for round in 0..6 {
            file.push_str(body);
            file.push_str(&other(&format!("1019990000{round}"), "Ergothérapeute"));
            file.push_str("\n\r\n");
            file.push_str(&other("10199900099", "Ergo"));
            file.push_str("\ntrop|peu|de|champs\n");
        }
        let latin1 = encoding_rs::WINDOWS_1252.encode(&file).0.into_owned();
        for bytes in [file.as_bytes(), &latin1[..]] {
            let mut kinds = KindTable::builtin();
            let (want, want_rep) =
                read_in_parts(bytes, "ps.txt", SourceId(3), &mut kinds, 1 << 20, 1).unwrap();
            let want_kinds: Vec<_> = kinds.iter().map(|(id, k)| (id, k.clone())).collect();
            assert!(want_rep.notes.iter().any(|n| n.contains("profession 95")));
            assert!(want_rep.rejected >= 6 && want.actors.len() > 7);
            for parts in 2..=9 {
                for block in [100, 1 << 20] {
                    let mut kinds = KindTable::builtin();
                    let (got, rep) =
                        read_in_parts(bytes, "ps.txt", SourceId(3), &mut kinds, block, parts)
                            .unwrap();
                    assert_eq!(got.actors, want.actors, "{parts} parts, block {block}");
                    assert_eq!(rep, want_rep, "{parts} parts, block {block}");
                    let got_kinds: Vec<_> = kinds.iter().map(|(id, k)| (id, k.clone())).collect();
                    assert_eq!(got_kinds, want_kinds, "{parts} parts, block {block}");
                }
            }
        }
    }

    #[test]
    fn fixture_is_format_exact() {
        let text = std::str::from_utf8(FIXTURE).unwrap();
        let header = text.lines().next().unwrap();
        assert!(header.ends_with('|'));
        assert_eq!(header.split('|').count(), 53, "52 columns + trailing |");
        assert!(text.contains("\r\n"), "fixture has CRLF lines");
    }

    #[test]
    fn reads_every_line_with_report() {
        let (imp, rep, _) = load(FIXTURE);
        let data_lines = std::str::from_utf8(FIXTURE).unwrap().lines().count() - 1;
        assert_eq!(rep.accepted + rep.rejected, data_lines);
        assert_eq!(rep.rejected, 1, "{:?}", rep.rejections);
        let r = &rep.rejections[0];
        assert_eq!((r.line, r.field.as_str()), (11, "ligne"));
        assert!(r.expected.contains("52 champs"), "{}", r.expected);
        assert_eq!(r.found, "51 champs");
        assert!(
            rep.notes.iter().any(|n| n.starts_with("1 lignes répètent")),
            "{:?}",
            rep.notes
        );
        assert!(
            rep.notes
                .iter()
                .any(|n| n.starts_with("1 lignes sans lieu d'exercice")),
            "{:?}",
            rep.notes
        );
        // 10 data lines: 1 rejected, 1 duplicate, 1 identity-only.
        assert_eq!(imp.actors.len(), 7);
    }

    #[test]
    fn unbalanced_quote_is_data() {
        let (imp, _, _) = load(FIXTURE);
        let a = actor(&imp, "rpps:10100123456:S81000000001");
        assert_eq!(a.name, "Dr Marie \"DUPONT");
        // The next line was not swallowed by the quote.
        actor(&imp, "rpps:10100123457:S81000000002");
    }

    #[test]
    fn kinds_by_code() {
        let (imp, rep, kinds) = load(FIXTURE);
        let kind = |id: &str| kinds.get(actor(&imp, id).kind).id.clone();
        assert_eq!(kind("rpps:10100123456:S81000000001"), "medecin-generaliste");
        assert_eq!(kind("rpps:10100123457:S81000000002"), "medecin-specialiste");
        assert_eq!(kind("rpps:10100123458:S81000000003"), "infirmier");
        assert_eq!(kind("rpps:10100123459:S81000000004"), "pharmacie");
        assert_eq!(kind("rpps:10100123460:F810000505"), "rpps-21");
        assert_eq!(kind("rpps:10100123461:S81000000005"), "rpps-26");
        assert_eq!(
            kinds
                .get(actor(&imp, "rpps:10100123461:S81000000005").kind)
                .label,
            "Audioprothésiste"
        );
        assert!(
            rep.notes
                .iter()
                .any(|n| n.starts_with("profession 26 (Audioprothésiste) : 1 ")),
            "{:?}",
            rep.notes
        );
    }

    #[test]
    fn fields_are_mapped() {
        let (imp, _, _) = load(FIXTURE);
        let a = actor(&imp, "rpps:10100123456:S81000000001");
        assert_eq!(a.source, SourceId(3));
        assert_eq!(a.source_code.as_deref(), Some("SM54"));
        assert_eq!(a.source_label.as_deref(), Some("Médecine générale"));
        assert_eq!(a.address.number.as_deref(), Some("12 B"));
        assert_eq!(
            a.address.street.as_deref(),
            Some("Avenue DU GENERAL DE GAULLE")
        );
        assert_eq!(a.address.postcode.as_deref(), Some("81000"));
        assert_eq!(a.address.city.as_deref(), Some("Albi"));
        assert_eq!(a.commune.map(|c| c.to_string()).as_deref(), Some("81004"));
        assert_eq!(a.phone.as_deref(), Some("05 63 47 47 47"));
        assert_eq!(a.email.as_deref(), Some("cabinet.centre@example.fr"));
        assert_eq!(a.tags, vec!["libéral".to_string()]);
        assert_eq!(a.position, None);
        let nurse = actor(&imp, "rpps:10100123458:S81000000003");
        assert_eq!(nurse.name, "Jean-Pierre MARTIN");
        assert_eq!(nurse.tags, vec!["salarié".to_string()]);
        assert_eq!(nurse.commune, None, "empty Code commune");
        assert_eq!(nurse.address.postcode.as_deref(), Some("81600"));
    }

    #[test]
    fn person_with_two_sites_gives_two_actors() {
        let (imp, _, _) = load(FIXTURE);
        let sites: Vec<_> = imp
            .actors
            .iter()
            .filter(|a| a.id.starts_with("rpps:10100123457:"))
            .collect();
        assert_eq!(sites.len(), 2);
    }

    #[test]
    fn columns_by_name_with_unknown_extra_column() {
        let (imp, rep, kinds) = load(FIXTURE_2025);
        assert_eq!(rep.rejected, 0, "{:?}", rep.rejections);
        assert_eq!(imp.actors.len(), 2);
        let a = actor(&imp, "rpps:10100999001:S31000000001");
        assert_eq!(kinds.get(a.kind).id, "masseur-kinesitherapeute");
        assert_eq!(a.commune.map(|c| c.to_string()).as_deref(), Some("31555"));
        assert_eq!(a.phone.as_deref(), Some("05 61 00 00 01"));
        let b = actor(&imp, "rpps:10100999002:S2A000000001");
        assert_eq!(b.commune.map(|c| c.to_string()).as_deref(), Some("2A004"));
        assert_eq!(b.name, "Dr Anne-Marie D'ORNANO");
    }

    #[test]
    fn missing_required_column_is_a_file_error() {
        let mut kinds = KindTable::builtin();
        let err = read(
            b"Nom d'exercice|Code profession|\nX|10|\n",
            "x.txt",
            SourceId(0),
            &mut kinds,
        )
        .unwrap_err();
        assert!(err.to_string().contains("Identifiant PP"), "{err}");
    }

    #[test]
    fn bad_commune_code_is_rejected() {
        let mut kinds = KindTable::builtin();
        let f = "Identifiant PP|Code profession|Identifiant technique de la structure|Code commune (coord. structure)|\n1|60|S|8100|\n";
        let (imp, rep) = read(f.as_bytes(), "x.txt", SourceId(0), &mut kinds).unwrap();
        assert!(imp.actors.is_empty());
        assert_eq!(rep.rejections[0].line, 2);
        assert_eq!(rep.rejections[0].found, "8100");
    }

    #[test]
    fn fixtures_are_detected() {
        use crate::sources::detect;
        assert_eq!(detect("a.txt", FIXTURE), Some(FORMAT));
        assert_eq!(detect("a.txt", FIXTURE_2025), Some(FORMAT));
    }

    #[test]
    fn phone_normalisation() {
        assert_eq!(normalise_phone("0563474747"), "05 63 47 47 47");
        assert_eq!(normalise_phone("+33 5 63 47 47 47"), "05 63 47 47 47");
        assert_eq!(normalise_phone("123"), "123");
    }

    #[test]
    fn split_fields_matches_str_split() {
        let mut v = Vec::new();
        for line in ["", "|", "a|b", "10|é|Ü||x|", "sans séparateur", "||"] {
            split_fields(line, b'|', &mut v);
            assert_eq!(v, line.split('|').collect::<Vec<_>>(), "{line:?}");
        }
    }

    #[test]
    fn join_non_empty_skips_empty_parts() {
        assert_eq!(join_non_empty(&["12", "B"], " "), "12 B");
        assert_eq!(join_non_empty(&["", "RUE HAUTE", ""], ", "), "RUE HAUTE");
        assert_eq!(join_non_empty(&["", ""], " "), "");
    }

    #[test]
    fn title_case_names() {
        assert_eq!(title_case("JEAN-PIERRE"), "Jean-Pierre");
        assert_eq!(title_case("marie claire"), "Marie Claire");
    }
}
