//! DREES SAE « bases statistiques » (Statistique annuelle des établissements de santé): the
//! hospitals' identity, their beds and places per discipline, and their activities.
//!
//! # Layout
//!
//! - One table per file, `;`-separated, a header line, UTF-8 or Latin-1 (the DREES publishes
//!   ISO-8859-1 with CRLF line ends; both are detected). Column names are upper-case in most
//!   tables and lower-case in `ID` and `capact`: they are matched without case.
//! - The unit is the *FINESS géographique* `fi` (9 characters, leading zeros kept); `fi_ej` is
//!   the legal entity. The first columns name the table (`BOR`: `ID`, `MCO`, `URGENCES`…) and
//!   the year (`AN`); `capact` has no `BOR` but `DISCI`/`DISCIPLINE`.
//! - `ID`: one row per establishment, with `rs` (name), `cat` (FINESS category), `COMINSEE`
//!   (INSEE code), `NUMVOI`, `TYPVOI`, `NOMVOI`, `CPO`, `LIBCOM` (address). No coordinates.
//! - `capact`: **several rows per `fi`**, one per discipline (`DISCIPLINE` `Médecine`,
//!   `Chirurgie`, `Gynéco-Obstétrique`, `Psychiatrie…`, `Hospitalisation à domicile`,
//!   `Soins de suite et réadaptation`, `Soins de longue durée`), with beds `LIT` and places
//!   `PLA`. `PSY` (one row per `DIS`, `TOT` included), `SSR` (one per `GDE`), `DIALYSE` (one
//!   per `DIALY` activity) and `URGENCES2` (one per `URG`, general or paediatric) have several
//!   rows per `fi` too.
//!
//! # Reading choices
//!
//! - Every table completes the actor `finess:<fi>` ([`Imported::complements`]): a FINESS
//!   extract loaded too gives its position and address; without one, `ID` creates it with its
//!   address and commune, placed at the commune's centre (precision `commune`), its kind from
//!   `cat` as FINESS would give it (`355` → `ch`).
//! - `capact` keeps beds and places per discipline as tags (`Médecine : 159 lits, 8 places`)
//!   and their total as the capacity.
//! - Activities become actors of their own, placed at their establishment
//!   ([`Imported::attached`]), so that `kind=`, the search, the orientation steps and the
//!   diagnostic find them: `sae:<fi>:urgences` (`URGENCES` with `AUTSU` = 1, or a `URGENCES2`
//!   row), `maternite` (`PERINAT` `AUTOR` `TYPE1`–`TYPE3`; a `CPPR`, centre périnatal de
//!   proximité, is a tag), `had` (`HAD` `PLATOT` > 0), `ssr` (`SSR` beds or places), `psychiatrie`
//!   (`PSY`), `dialyse` (`DIALYSE`), `smur` (`SMURSAMU` `SMUR` = 1; `SAMU` = 1 is a tag), `usld`
//!   (`USLD` `LIT` > 0). Their capacity is the table's own beds and places. The establishment
//!   gets the activity's name as a tag.
//! - `MCO` is read for nothing more than its rows' validity: the beds and places of médecine,
//!   chirurgie and obstétrique come from `capact`.
//!
//! ```
//! use maillage::model::{KindTable, SourceId};
//! use maillage::sources::sae;
//! let capact = "fi;an;fi_ej;rs;grp;stjr;cat;dep;reg;espic;COMINSEE;DISCI;DISCIPLINE;LIT;SEJHC;JOU;PLA;SEJHP;PAS;SEJACC;IVG;SEHEM;SERAD;SECHI\n\
//! 810000505;2021;810000331;CH ALBI;04;1;355;81;76;1;81004;21100;Médecine;159;8075;43168;8;844;32692;;;;;5420\n\
//! 810000505;2021;810000331;CH ALBI;04;1;355;81;76;1;81004;25000;Soins de longue durée;74;52;22624;;;;;;;;\n";
//! let mut kinds = KindTable::builtin();
//! let (imported, report) = sae::read(capact.as_bytes(), "capact.csv", SourceId(0), &mut kinds).unwrap();
//! assert_eq!(report.accepted, 2);
//! let ch = &imported.complements[0];
//! assert_eq!(ch.id, "finess:810000505");
//! assert_eq!(ch.capacity, Some(159 + 8 + 74));
//! assert!(ch.tags.contains(&"Médecine : 159 lits, 8 places".to_string()));
//! assert!(ch.tags.contains(&"Soins de longue durée : 74 lits".to_string()));
//! ```

use std::collections::BTreeMap;

use super::table::{Column, Row, Table};
use super::text::{decode, Encoding};
use super::{Attached, FileReport, Format, Imported, SourceError};
use crate::model::{ActorRecord, InseeCode, KindId, KindTable, Sector, SourceId};

/// DREES SAE « bases statistiques ».
pub const FORMAT: Format = Format::new(
    "sae",
    "DREES – Statistique annuelle des établissements de santé (SAE)",
    "SAE",
    &Sae,
);

/// The DREES SAE format (see [`Importer`](super::Importer)).
pub struct Sae;

impl super::Importer for Sae {
    fn sniff(&self, head: &super::Head) -> bool {
        head.has("fi") && head.has("an") && (head.has("bor") || head.has("disci"))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file, i.source, i.kinds)
    }
}

const COLUMNS: &[Column] = &[
    Column::required("fi", &[]),
    Column::optional("an", &[]),
    Column::optional("bor", &[]),
    Column::optional("rs", &[]),
    Column::optional("cat", &[]),
    Column::optional("cominsee", &[]),
    Column::optional("numvoi", &[]),
    Column::optional("typvoi", &[]),
    Column::optional("nomvoi", &[]),
    Column::optional("cpo", &[]),
    Column::optional("libcom", &[]),
    Column::optional("discipline", &[]),
    Column::optional("lit", &[]),
    Column::optional("pla", &[]),
    Column::optional("autsu", &[]),
    Column::optional("autor", &[]),
    Column::optional("lit_obs", &[]),
    Column::optional("platot", &[]),
    Column::optional("dis", &[]),
    Column::optional("cap_htp", &[]),
    Column::optional("cap_hdj", &[]),
    Column::optional("cap_hdn", &[]),
    Column::optional("smur", &[]),
    Column::optional("samu", &[]),
];

/// The activities read from the SAE tables: (id, French label of the kind).
const ACTIVITIES: &[(&str, &str)] = &[
    ("urgences", "Service d'urgences"),
    ("maternite", "Maternité"),
    ("had", "Hospitalisation à domicile (HAD)"),
    ("ssr", "Soins de suite et de réadaptation (SSR)"),
    ("psychiatrie", "Psychiatrie"),
    ("dialyse", "Dialyse"),
    (
        "smur",
        "Structure mobile d'urgence et de réanimation (SMUR)",
    ),
    ("usld", "Unité de soins de longue durée (USLD)"),
];

/// The SAE tables this importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SaeTable {
    Id,
    Capact,
    Urgences,
    Urgences2,
    Perinat,
    Had,
    Ssr,
    Psy,
    Dialyse,
    SmurSamu,
    Usld,
    Mco,
}

impl SaeTable {
    fn from_bor(bor: &str) -> Option<SaeTable> {
        Some(match bor.to_ascii_uppercase().as_str() {
            "ID" => SaeTable::Id,
            "URGENCES" => SaeTable::Urgences,
            "URGENCES2" => SaeTable::Urgences2,
            "PERINAT" => SaeTable::Perinat,
            "HAD" => SaeTable::Had,
            "SSR" => SaeTable::Ssr,
            "PSY" => SaeTable::Psy,
            "DIALYSE" => SaeTable::Dialyse,
            "SMURSAMU" => SaeTable::SmurSamu,
            "USLD" => SaeTable::Usld,
            "MCO" => SaeTable::Mco,
            _ => return None,
        })
    }
}

/// What the rows of one establishment gave.
#[derive(Default)]
struct Establishment {
    name: String,
    /// (discipline, beds, places), in file order.
    disciplines: Vec<(String, u32, u32)>,
    /// Activity id → capacity (beds + places) when the table gives one.
    activities: BTreeMap<&'static str, Option<u32>>,
    tags: Vec<String>,
    record: Option<ActorRecord>,
}

/// Reads one SAE table.
pub fn read(
    bytes: &[u8],
    file: &str,
    source: SourceId,
    kinds: &mut KindTable,
) -> Result<(Imported, FileReport), SourceError> {
    let invalid = |detail: String| SourceError::Invalid {
        file: file.to_string(),
        detail,
    };
    let (text, encoding) = decode(bytes);
    let mut report = FileReport::new(file, FORMAT);
    if encoding == Encoding::Windows1252 {
        report
            .notes
            .push("fichier lu en Latin-1 (ISO-8859-1), comme le publie la DREES".into());
    }
    let mut table = Table::open(&text, file, COLUMNS, b";")?;
    let mut kind_of_table: Option<SaeTable> = None;
    let mut by_fi: BTreeMap<String, Establishment> = BTreeMap::new();
    let mut years: Vec<String> = Vec::new();
    let is_capact = table.has("discipline") && !table.has("bor");
    while let Some(row) = table.next_row(&mut report) {
        let t = if is_capact {
            SaeTable::Capact
        } else {
            let bor = row.get("bor").unwrap_or("");
            match SaeTable::from_bor(bor) {
                Some(t) => t,
                None => {
                    row.reject(
                        &mut report,
                        "bor",
                        "une table SAE connue (ID, capact, MCO, URGENCES, URGENCES2, PERINAT, \
                         HAD, SSR, PSY, DIALYSE, SMURSAMU, USLD)",
                    );
                    continue;
                }
            }
        };
        match kind_of_table {
            None => kind_of_table = Some(t),
            Some(k) if k != t => {
                return Err(invalid(format!(
                    "ligne {} : une seule table SAE par fichier ({:?} puis {:?})",
                    row.line, k, t
                )))
            }
            Some(_) => {}
        }
        let fi = row.get("fi").unwrap_or("");
        if fi.len() != 9 || !fi.bytes().all(|b| b.is_ascii_alphanumeric()) {
            row.reject(
                &mut report,
                "fi",
                "un numéro FINESS géographique à 9 caractères",
            );
            continue;
        }
        if let Some(an) = row.get("an") {
            if !years.iter().any(|y| y == an) {
                years.push(an.to_string());
            }
        }
        match read_row(t, &row, source, kinds, &mut report) {
            Ok(Some(found)) => {
                let e = by_fi.entry(fi.to_string()).or_default();
                if e.name.is_empty() {
                    e.name = row.get("rs").unwrap_or("").to_string();
                }
                merge(e, found);
                report.accepted += 1;
            }
            Ok(None) => report.accepted += 1,
            Err(()) => {}
        }
    }
    if let [year] = years.as_slice() {
        // The SAE's millésime (`AN`), as the BPE states its own.
        report.source_date = Some(year.clone());
    }
    if !years.is_empty() {
        report
            .notes
            .push(format!("données de l'année {}", years.join(", ")));
    }
    if kind_of_table == Some(SaeTable::Mco) {
        report.notes.push(
            "table MCO : les lits et places de médecine, chirurgie et obstétrique sont lus dans \
             la table capact"
                .into(),
        );
    }
    let mut imported = Imported::default();
    let fallback_kind = kinds.for_source_code_or_insert(
        "sae",
        "etablissement",
        "Établissement de santé (SAE)",
        Sector::Sanitaire,
    );
    for (fi, e) in by_fi {
        let id = format!("finess:{fi}");
        let mut rec = e
            .record
            .unwrap_or_else(|| ActorRecord::new(&id, &e.name, fallback_kind, source));
        let total: u32 = e.disciplines.iter().map(|(_, l, p)| l + p).sum();
        if !e.disciplines.is_empty() {
            rec.capacity = Some(total);
        }
        for (discipline, beds, places) in &e.disciplines {
            rec.tags.push(capacity_tag(discipline, *beds, *places));
        }
        for (activity, capacity) in &e.activities {
            let (_, label) = ACTIVITIES
                .iter()
                .find(|(a, _)| a == activity)
                .expect("every activity is listed");
            let kind = activity_kind(kinds, activity, label);
            let mut service = ActorRecord::new(
                format!("sae:{fi}:{activity}"),
                format!("{label} – {}", e.name),
                kind,
                source,
            );
            service.capacity = *capacity;
            service.source_code = Some(activity.to_string());
            service.source_label = Some(label.to_string());
            rec.tags.push(label.to_string());
            imported.attached.push(Attached {
                to: id.clone(),
                actor: service,
            });
        }
        rec.tags.extend(e.tags);
        imported.complements.push(rec);
    }
    Ok((imported, report))
}

/// `Médecine : 159 lits, 8 places`.
fn capacity_tag(discipline: &str, beds: u32, places: u32) -> String {
    let mut parts = Vec::new();
    if beds > 0 {
        parts.push(format!("{beds} lits"));
    }
    if places > 0 {
        parts.push(format!("{places} places"));
    }
    format!("{discipline} : {}", parts.join(", "))
}

/// The kind of an activity: the built-in one when it exists (`had`), `sae-<activity>` otherwise.
fn activity_kind(kinds: &mut KindTable, activity: &str, label: &str) -> KindId {
    kinds.by_id(activity).unwrap_or_else(|| {
        kinds.for_source_code_or_insert("sae", activity, label, Sector::Sanitaire)
    })
}

fn merge(into: &mut Establishment, from: Establishment) {
    into.disciplines.extend(from.disciplines);
    for (a, c) in from.activities {
        let slot = into.activities.entry(a).or_insert(None);
        *slot = match (*slot, c) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
    }
    for t in from.tags {
        if !into.tags.contains(&t) {
            into.tags.push(t);
        }
    }
    if from.record.is_some() {
        into.record = from.record;
    }
}

/// A whole number of beds or places; empty is 0.
fn count(row: &Row, column: &str, report: &mut FileReport) -> Result<u32, ()> {
    match row.get(column) {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| {
            row.reject(report, column, "un nombre entier (lits, places)");
        }),
    }
}

/// What one row says about its establishment; `Err` when the row was rejected.
fn read_row(
    t: SaeTable,
    row: &Row,
    source: SourceId,
    kinds: &mut KindTable,
    report: &mut FileReport,
) -> Result<Option<Establishment>, ()> {
    let mut e = Establishment::default();
    let yes = |c: &str| row.get(c) == Some("1");
    match t {
        SaeTable::Id => {
            let fi = row.get("fi").unwrap_or("");
            let name = row.get("rs").unwrap_or("");
            if name.is_empty() {
                row.reject(report, "rs", "la raison sociale de l'établissement");
                return Err(());
            }
            let commune = match row.get("cominsee") {
                None => None,
                Some(c) => match c.parse::<InseeCode>() {
                    Ok(code) => Some(code),
                    Err(_) => {
                        row.reject(
                            report,
                            "cominsee",
                            "un code INSEE à 5 caractères (ex. 81004)",
                        );
                        return Err(());
                    }
                },
            };
            let kind = match row.get("cat") {
                Some(cat) => kinds.for_source_code_or_insert(
                    "finess",
                    cat,
                    &format!("Catégorie FINESS {cat}"),
                    Sector::Sanitaire,
                ),
                None => kinds.for_source_code_or_insert(
                    "sae",
                    "etablissement",
                    "Établissement de santé (SAE)",
                    Sector::Sanitaire,
                ),
            };
            let mut rec = ActorRecord::new(format!("finess:{fi}"), name, kind, source);
            rec.source_code = row.get("cat").map(str::to_string);
            rec.commune = commune;
            rec.address.number = super::finess::street_number(row.get("numvoi").unwrap_or(""), "");
            rec.address.street = super::finess::street(
                row.get("typvoi").unwrap_or(""),
                row.get("nomvoi").unwrap_or(""),
                "",
            );
            rec.address.postcode = row.get("cpo").map(str::to_string);
            rec.address.city = row.get("libcom").map(str::to_string);
            e.record = Some(rec);
        }
        SaeTable::Capact => {
            let discipline = row.get("discipline").unwrap_or("").to_string();
            if discipline.is_empty() {
                row.reject(report, "discipline", "le libellé de la discipline");
                return Err(());
            }
            let beds = count(row, "lit", report)?;
            let places = count(row, "pla", report)?;
            if beds + places > 0 {
                e.disciplines.push((discipline, beds, places));
            }
        }
        SaeTable::Urgences => {
            if yes("autsu") {
                e.activities.insert("urgences", None);
            }
        }
        SaeTable::Urgences2 => {
            e.activities.insert("urgences", None);
        }
        SaeTable::Perinat => match row.get("autor") {
            Some(t @ ("TYPE1" | "TYPE2" | "TYPE3")) => {
                let beds = count(row, "lit_obs", report)?;
                e.activities.insert("maternite", (beds > 0).then_some(beds));
                e.tags.push(format!("maternité de type {}", &t[4..]));
            }
            Some("CPPR") => e.tags.push("centre périnatal de proximité".into()),
            _ => {}
        },
        SaeTable::Had => {
            let places = count(row, "platot", report)?;
            if places > 0 {
                e.activities.insert("had", Some(places));
            }
        }
        SaeTable::Ssr => {
            let beds = count(row, "lit", report)?;
            let places = count(row, "pla", report)?;
            if beds + places > 0 {
                // `GDE` `SSR_A` is the whole; its subdivisions are smaller: the largest row wins.
                e.activities.insert("ssr", Some(beds + places));
            }
        }
        SaeTable::Psy => {
            let total = count(row, "cap_htp", report)?
                + count(row, "cap_hdj", report)?
                + count(row, "cap_hdn", report)?;
            // One row per `DIS`, `TOT` among them: the largest is the whole.
            e.activities
                .insert("psychiatrie", (total > 0).then_some(total));
        }
        SaeTable::Dialyse => {
            e.activities.insert("dialyse", None);
        }
        SaeTable::SmurSamu => {
            if yes("smur") {
                e.activities.insert("smur", None);
            }
            if yes("samu") {
                e.tags.push("SAMU".into());
            }
        }
        SaeTable::Usld => {
            let beds = count(row, "lit", report)?;
            if beds > 0 {
                e.activities.insert("usld", Some(beds));
            }
        }
        SaeTable::Mco => return Ok(None),
    }
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{detect, Dataset};

    const ID: &str = "bor;an;fi;rs;rscom;fi_ej;grp;stj;stjr;cat;catr;espic;mft;ccr;nat;sir;reg;dep;reg_diff;dep_diff;COMINSEE;NOMCOM;ARMT;CHLEJ0;FIPRE;ETAT_SAISIE;FINRAT;VAGUE;PROVENANCE;NUMVOI;TYPVOI;NOMVOI;BP;CPO;LIBCOM\n\
ID;2021;810000505;CH ALBI;;810000331;04;13;1;355;PUB2;1;0;;0;26810001300013;76;81;76;81;81004;ALBI;;0;;6;810000331;1;;22;BD;SIBILLE;;81013;ALBI CEDEX 9\n";
    const URGENCES: &str = "BOR;AN;FI;RS;FI_EJ;AUTSU;AUTGEN;AUTSAIS;AUTPED;EMG\n\
URGENCES;2021;810000505;CH ALBI;810000331;1;1;0;0;1\n\
URGENCES;2021;81000050;CH ALBI;810000331;1;1;0;0;1\n";
    const PERINAT: &str = "BOR;AN;FI;RS;FI_EJ;AUTOR;LACTA;LIT_KANG;LIT_OBS\n\
PERINAT;2021;810000505;CH ALBI;810000331;TYPE2;;;24\n\
PERINAT;2021;810000513;EXEMPLE;810000331;CPPR;;;\n";

    fn read_str(s: &str) -> (Imported, FileReport, KindTable) {
        let mut kinds = KindTable::builtin();
        let (i, r) = read(s.as_bytes(), "t.csv", SourceId(0), &mut kinds).unwrap();
        (i, r, kinds)
    }

    #[test]
    fn every_table_is_recognised() {
        for t in [ID, URGENCES, PERINAT] {
            assert_eq!(detect("t.csv", t.as_bytes()), Some(FORMAT));
        }
    }

    #[test]
    fn id_row_gives_an_establishment_with_its_address() {
        let (imported, report, kinds) = read_str(ID);
        assert_eq!(report.accepted, 1);
        let ch = &imported.complements[0];
        assert_eq!(ch.id, "finess:810000505");
        assert_eq!(kinds.get(ch.kind).id, "ch");
        assert_eq!(ch.commune.unwrap().as_str(), "81004");
        assert_eq!(ch.address.street.as_deref(), Some("BOULEVARD SIBILLE"));
        assert_eq!(ch.address.number.as_deref(), Some("22"));
        assert!(report.notes.iter().any(|n| n.contains("2021")));
    }

    #[test]
    fn bad_fi_is_rejected_with_line_and_field() {
        let (imported, report, kinds) = read_str(URGENCES);
        assert_eq!(report.accepted, 1);
        assert_eq!(report.rejected, 1);
        assert_eq!(
            report.rejections[0].to_string(),
            "t.csv:3: fi: attendu un numéro FINESS géographique à 9 caractères, trouvé « 81000050 »"
        );
        let service = &imported.attached[0];
        assert_eq!(service.to, "finess:810000505");
        assert_eq!(service.actor.id, "sae:810000505:urgences");
        assert_eq!(kinds.get(service.actor.kind).id, "sae-urgences");
    }

    #[test]
    fn maternity_types_and_perinatal_centres() {
        let (imported, _, kinds) = read_str(PERINAT);
        assert_eq!(imported.attached.len(), 1);
        let m = &imported.attached[0].actor;
        assert_eq!(kinds.get(m.kind).id, "sae-maternite");
        assert_eq!(m.capacity, Some(24));
        assert_eq!(m.name, "Maternité – CH ALBI");
        let cppr = imported
            .complements
            .iter()
            .find(|c| c.id == "finess:810000513")
            .unwrap();
        assert!(cppr
            .tags
            .contains(&"centre périnatal de proximité".to_string()));
    }

    #[test]
    fn latin1_file_is_read_and_noted() {
        let latin1: Vec<u8> = "fi;an;rs;COMINSEE;DISCI;DISCIPLINE;LIT;PLA\r\n810000505;2021;CH ALBI;81004;21300;Gyn\u{e9}co-Obst\u{e9}trique;24;\r\n"
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        let mut kinds = KindTable::builtin();
        let (imported, report) = read(&latin1, "c.csv", SourceId(0), &mut kinds).unwrap();
        assert!(report.notes.iter().any(|n| n.contains("Latin-1")));
        assert!(imported.complements[0]
            .tags
            .contains(&"Gynéco-Obstétrique : 24 lits".to_string()));
    }

    #[test]
    fn two_tables_in_one_file_is_a_file_error() {
        let mixed =
            "BOR;AN;FI;RS;AUTSU\nURGENCES;2021;810000505;CH ALBI;1\nHAD;2021;810000505;CH ALBI;1\n";
        let mut kinds = KindTable::builtin();
        let err = read(mixed.as_bytes(), "m.csv", SourceId(0), &mut kinds).unwrap_err();
        assert!(err.to_string().contains("une seule table SAE"), "{err}");
    }

    #[test]
    fn without_finess_the_id_table_creates_the_establishment_and_services_stand_there() {
        let mut ds = Dataset::new();
        ds.load_bytes("id.csv", FORMAT, ID.as_bytes()).unwrap();
        ds.load_bytes("urg.csv", FORMAT, URGENCES.as_bytes())
            .unwrap();
        ds.place_unlocated_actors();
        let ch = ds
            .actors
            .iter()
            .find(|a| a.id == "finess:810000505")
            .unwrap();
        assert_eq!(ch.commune.unwrap().as_str(), "81004");
        assert!(ch.tags.contains(&"Service d'urgences".to_string()));
        let urg = ds
            .actors
            .iter()
            .find(|a| a.id == "sae:810000505:urgences")
            .unwrap();
        assert_eq!(urg.commune, ch.commune);
        assert_eq!(urg.address, ch.address);
        assert_eq!(ds.actors.len(), 2);
    }
}
