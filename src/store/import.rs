//! Bulk import of a partner CSV into the base: preview (a diff, nothing written) or apply (one
//! transaction: every accepted row or none).
//!
//! The file is read by the partner CSV importer ([`crate::sources::partners::read`]), so its
//! format, line numbers and rejections are those of `maillage check`. The columns the importer
//! folds into tags (`membre_cpts`, `role`, `etiquettes`, `zone_intervention`, `notes`) and the
//! store's private columns (`ligne_directe`, `notes_internes`) are read from the same lines,
//! by the same column names ([`crate::model::partner_field::PARTNER_FIELDS`]).
//! A file without the private columns keeps the private values already stored.
//!
//! ```
//! use maillage::model::KindTable;
//! use maillage::store::{Author, Store, Validator};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! let v = Validator::new(KindTable::builtin(), &[]);
//! let csv = "identifiant;nom;type;code_insee;telephone\n\
//!            dac81;DAC du Tarn;dac;81004;0563123456\n\
//!            x;Sans type;licorne;81004;\n";
//! let preview = store.import_partners(&v, csv.as_bytes(), "p.csv", false, &Author::cli()).unwrap();
//! assert_eq!((preview.added.len(), preview.rejected.len(), preview.applied), (1, 1, false));
//! assert_eq!(preview.rejected[0].line, 3);
//! assert_eq!(preview.rejected[0].name.as_deref(), Some("Sans type"));
//! assert_eq!(store.partner_count().unwrap(), 0);
//! let done = store.import_partners(&v, csv.as_bytes(), "p.csv", true, &Author::cli()).unwrap();
//! assert!(done.applied);
//! assert_eq!(store.partner("local:dac81").unwrap().unwrap().fields.telephone.as_deref(), Some("05 63 12 34 56"));
//! let again = store.import_partners(&v, csv.as_bytes(), "p.csv", true, &Author::cli()).unwrap();
//! assert_eq!((again.added.len(), again.unchanged.len()), (0, 1));
//! ```

use std::collections::{HashMap, HashSet};

use csv::{ReaderBuilder, Trim};
use rusqlite::TransactionBehavior;
use serde::Serialize;

use super::partner::{is_private, RawPartner, Validated, Validator};
use super::partners::{load_all, write, Partner};
use super::{Author, Store, StoreError};
use crate::model::SourceId;
use crate::sources::partners as csv_partners;
use crate::sources::text::decode;
use crate::sources::Rejection;
use crate::util::date;

/// A partner named in an import report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    #[serde(rename = "ligne")]
    pub line: usize,
    pub id: String,
    pub nom: String,
    /// Changed fields (for `changed` rows).
    #[serde(rename = "champs", skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The row brings back an archived partner.
    #[serde(rename = "restaure", skip_serializing_if = "std::ops::Not::not")]
    pub restores: bool,
}

/// What an import adds, changes, leaves alone and rejects.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    #[serde(rename = "fichier")]
    pub file: String,
    /// `true` once written; `false` for a preview.
    #[serde(rename = "applique")]
    pub applied: bool,
    #[serde(rename = "ajoutes")]
    pub added: Vec<ImportRow>,
    #[serde(rename = "modifies")]
    pub changed: Vec<ImportRow>,
    #[serde(rename = "inchanges")]
    pub unchanged: Vec<ImportRow>,
    /// Rejected rows: `ligne`, `nom` (the partner named on the line), `champ`, `libelle` (the
    /// field's label), `attendu`, `trouve`, `aide` (a short hint), `message`.
    #[serde(rename = "rejetes", serialize_with = "french_rejections")]
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<RejectedRow>,
    #[serde(rename = "remarques")]
    pub notes: Vec<String>,
}

/// A rejected line of an import: the rejection, the partner it names and a short hint.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    pub rejection: Rejection,
    /// The `nom` cell of the line, when there is one.
    pub name: Option<String>,
    /// What to do, in a few words (the closest types for an unknown type).
    pub hint: String,
}

/// A rejected row reads as its rejection (`row.line`, `row.field`…).
impl std::ops::Deref for RejectedRow {
    type Target = Rejection;
    fn deref(&self) -> &Rejection {
        &self.rejection
    }
}

/// The rejection, then the hint; an expected value too long to read on one line (the whole
/// table of types) is left to the hint (the closest types), as the page shows it.
impl std::fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.rejection;
        if r.expected.chars().count() <= HINT_EXPECTED_MAX {
            write!(f, "{r}")?;
        } else {
            write!(
                f,
                "{}:{}: {}: trouvé « {} »",
                r.file, r.line, r.field, r.found
            )?;
        }
        match &self.name {
            Some(n) => write!(f, " (« {n} ») – {}", self.hint),
            None => write!(f, " – {}", self.hint),
        }
    }
}

/// Longest expected value said in full (longer ones are left to the hint).
const HINT_EXPECTED_MAX: usize = 80;

/// Rejections with French keys (see [`ImportReport::rejected`]).
fn french_rejections<S: serde::Serializer>(r: &[RejectedRow], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(r.len()))?;
    for x in r {
        let j = &x.rejection;
        let label = column(&j.field).map(|f| f.label);
        seq.serialize_element(&serde_json::json!({
            "ligne": j.line, "nom": x.name, "champ": j.field, "libelle": label,
            "attendu": j.expected, "trouve": j.found, "aide": x.hint,
            "message": j.to_string(),
        }))?;
    }
    seq.end()
}

/// A short hint for a rejected value: for an unknown type, the closest types of the table;
/// else the field's help or the expected value when it is short.
fn hint(v: &Validator, r: &Rejection) -> String {
    let field = column(&r.field);
    if field.is_some_and(|f| f.name == "type") {
        let found = crate::model::text::fold(&r.found);
        let words: Vec<&str> = found.split(' ').filter(|w| w.len() >= 3).collect();
        let mut close: Vec<(usize, String)> = v
            .kinds()
            .iter()
            .filter_map(|(_, k)| {
                let hay = crate::model::text::fold(&format!("{} {}", k.id, k.label));
                let score = words.iter().filter(|w| hay.contains(*w)).count();
                (score > 0).then(|| (score, format!("{} ({})", k.label, k.id)))
            })
            .collect();
        close.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let close: Vec<String> = close.into_iter().take(3).map(|c| c.1).collect();
        return if close.is_empty() {
            "type inconnu : choisissez un type de la liste du formulaire « Ajouter un partenaire » ou de /api/kinds".into()
        } else {
            format!("type inconnu ; types proches : {}", close.join(", "))
        };
    }
    if r.found.is_empty() {
        return format!("{} manquant", field.map_or(r.field.as_str(), |f| f.label));
    }
    if r.expected.chars().count() <= HINT_EXPECTED_MAX {
        return format!("attendu {}", r.expected);
    }
    match field.and_then(|f| f.help) {
        Some(h) => h.to_string(),
        None => format!(
            "valeur de « {} » à corriger",
            field.map_or(r.field.as_str(), |f| f.label)
        ),
    }
}

/// Errors that stop a whole import (row problems are [`ImportReport::rejected`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

use crate::sources::partners::{column, detect_delimiter};

/// A parsed file: validated partners with their line, and rejections.
struct Parsed {
    rows: Vec<(usize, Validated)>,
    rejected: Vec<RejectedRow>,
    notes: Vec<String>,
    /// Private columns present in the header.
    private_columns: HashSet<&'static str>,
}

fn parse(v: &Validator, bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    let (imported, report) = csv_partners::read(bytes, file, SourceId(0), v.kinds())
        .map_err(|e| ImportError::File(e.to_string()))?;
    let rejected_lines: HashSet<usize> = report.rejections.iter().map(|r| r.line).collect();

    // Second reading of the same lines for the columns the importer folds or ignores.
    let (text, _) = decode(bytes);
    let mut reader = ReaderBuilder::new()
        .delimiter(detect_delimiter(&text))
        .comment(Some(b'#'))
        .flexible(true)
        .has_headers(false)
        .trim(Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            Some(Ok(r)) if r.iter().all(str::is_empty) => continue,
            Some(Ok(r)) => break r,
            _ => return Err(ImportError::File(format!("{file}: en-tête illisible"))),
        }
    };
    let mut cols: HashMap<&'static str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if let Some(f) = column(name) {
            cols.entry(f.name).or_insert(i);
        }
    }
    let private_columns: HashSet<&'static str> =
        cols.keys().filter(|f| is_private(f)).copied().collect();

    let mut accepted = imported.actors.into_iter();
    let mut rows = Vec::new();
    let mut rejected = report.rejections.clone();
    let mut names: HashMap<usize, String> = HashMap::new();
    for rec in records {
        let Ok(rec) = rec else { continue };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if let Some(name) = cols
            .get("nom")
            .and_then(|&i| rec.get(i))
            .map(crate::util::escape::csv_formula_unguard)
            .filter(|n| !n.is_empty())
        {
            names.insert(line, name.to_string());
        }
        if rec.iter().all(str::is_empty) || rejected_lines.contains(&line) {
            continue;
        }
        let Some(record) = accepted.next() else {
            return Err(ImportError::File(format!(
                "{file}: ligne {line} : lecture incohérente avec l'importateur de partenaires"
            )));
        };
        let mut raw = RawPartner::default();
        for (canon, i) in &cols {
            let cell = rec.get(*i).unwrap_or("");
            raw.set(canon, crate::util::escape::csv_formula_unguard(cell));
        }
        if raw.get("nom") != record.name {
            return Err(ImportError::File(format!(
                "{file}: ligne {line} : lecture incohérente avec l'importateur de partenaires (« {} » / « {} »)",
                raw.get("nom"),
                record.name
            )));
        }
        match v.complete(record, &raw) {
            Ok(ok) => rows.push((line, ok)),
            Err(e) => rejected.push(Rejection::new(file, line, e.champ, e.attendu, e.trouve)),
        }
    }
    rejected.sort_by_key(|r| r.line);
    let rejected = rejected
        .into_iter()
        .map(|r| RejectedRow {
            name: names.get(&r.line).cloned(),
            hint: hint(v, &r),
            rejection: r,
        })
        .collect();
    let notes = report.notes;
    Ok(Parsed {
        rows,
        rejected,
        notes,
        private_columns,
    })
}

fn import_row(line: usize, ok: &Validated, fields: Vec<String>, restores: bool) -> ImportRow {
    ImportRow {
        line,
        id: ok.id.clone(),
        nom: ok.fields.nom.clone(),
        fields,
        restores,
    }
}

impl Store {
    /// Reads a partner CSV and compares it with the base; with `apply`, writes every accepted
    /// row in one transaction (history action `import`). Rejected rows never block the others.
    pub fn import_partners(
        &self,
        v: &Validator,
        bytes: &[u8],
        file: &str,
        apply: bool,
        who: &Author,
    ) -> Result<ImportReport, ImportError> {
        let parsed = parse(v, bytes, file)?;
        let mut conn = if apply { self.writer() } else { self.reader() };
        let tx = conn
            .transaction_with_behavior(if apply {
                TransactionBehavior::Immediate
            } else {
                TransactionBehavior::Deferred
            })
            .map_err(StoreError::from)?;
        let current: HashMap<String, Partner> = load_all(&tx, true)?
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        let mut report = ImportReport {
            file: file.to_string(),
            applied: false,
            added: Vec::new(),
            changed: Vec::new(),
            unchanged: Vec::new(),
            rejected: parsed.rejected,
            notes: parsed.notes,
        };
        let at = date::now();
        for (line, mut ok) in parsed.rows {
            match current.get(&ok.id) {
                None => {
                    report.added.push(import_row(line, &ok, Vec::new(), false));
                    if apply {
                        write(&tx, &ok.id, 1, false, None, &ok.fields, "import", who, &at)?;
                    }
                }
                Some(cur) => {
                    if !parsed.private_columns.contains("ligne_directe") {
                        ok.fields.ligne_directe = cur.fields.ligne_directe.clone();
                    }
                    if !parsed.private_columns.contains("notes_internes") {
                        ok.fields.notes_internes = cur.fields.notes_internes.clone();
                    }
                    let changed: Vec<String> = cur
                        .fields
                        .changed_fields(&ok.fields)
                        .into_iter()
                        .map(str::to_string)
                        .collect();
                    if changed.is_empty() && !cur.archived {
                        report
                            .unchanged
                            .push(import_row(line, &ok, Vec::new(), false));
                        continue;
                    }
                    report
                        .changed
                        .push(import_row(line, &ok, changed, cur.archived));
                    if apply {
                        write(
                            &tx,
                            &ok.id,
                            cur.version + 1,
                            false,
                            Some(&cur.fields),
                            &ok.fields,
                            "import",
                            who,
                            &at,
                        )?;
                    }
                }
            }
        }
        if apply {
            tx.commit().map_err(StoreError::from)?;
            report.applied = true;
        }
        Ok(report)
    }
}
