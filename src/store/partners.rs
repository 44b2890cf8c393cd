//! Partners in the base: create, read, update with optimistic versions, archive, restore,
//! history.
//!
//! Every change bumps the partner's `version` (its ETag) and writes one history row (who,
//! when, which fields, before and after) in the same transaction. Archiving hides a partner
//! without erasing it; restoring brings it back, optionally with the fields of an older
//! version.
//!
//! ```
//! use maillage::model::KindTable;
//! use maillage::store::{partner::RawPartner, Author, Store, Validator};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! let v = Validator::new(KindTable::builtin(), &[]);
//! let raw = RawPartner::from_json(&serde_json::json!({"nom": "DAC", "type": "dac", "code_insee": "81004"})).unwrap();
//! let who = Author::new("Coordinatrice");
//! let p = store.create_partner(v.validate(&raw).unwrap(), false, &who).unwrap();
//! assert_eq!((p.id.as_str(), p.version), ("local:dac-81004", 1));
//! let mut fields = p.fields.clone();
//! fields.telephone = Some("05 63 00 00 00".into());
//! let raw2 = fields.to_raw(&p.id);
//! let p2 = store.update_partner(&p.id, Some(1), v.validate(&raw2).unwrap(), &who).unwrap();
//! assert_eq!(p2.version, 2);
//! // A stale version is refused.
//! assert!(store.update_partner(&p.id, Some(1), v.validate(&raw).unwrap(), &who).is_err());
//! let h = store.history(&p.id).unwrap();
//! assert_eq!(h[1].fields, ["telephone"]);
//! ```

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use super::partner::{is_private, PartnerFields, Validated};
use super::{Author, Store, StoreError};
use crate::util::date;

/// A stored partner.
#[derive(Debug, Clone, PartialEq)]
pub struct Partner {
    /// `local:…`
    pub id: String,
    /// Bumped by every change; the ETag is `"<version>"`.
    pub version: i64,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
    pub fields: PartnerFields,
}

impl Partner {
    /// The HTTP entity tag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// JSON answer: id, version, archive flag, dates and fields (private ones when `private`).
    pub fn to_json(&self, private: bool) -> serde_json::Value {
        let mut v = self.fields.to_json(private);
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), self.id.clone().into());
            o.insert("version".into(), self.version.into());
            o.insert("archive".into(), self.archived.into());
            o.insert("cree_le".into(), self.created_at.clone().into());
            o.insert("modifie_le".into(), self.updated_at.clone().into());
        }
        v
    }
}

/// One row of a partner's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    #[serde(rename = "date")]
    pub at: String,
    #[serde(rename = "auteur")]
    pub author: String,
    /// `creation`, `modification`, `archivage`, `restauration`, `import`.
    pub action: String,
    /// Names of the changed fields.
    #[serde(rename = "champs")]
    pub fields: Vec<String>,
    #[serde(rename = "avant")]
    pub before: Option<PartnerFields>,
    #[serde(rename = "apres")]
    pub after: Option<PartnerFields>,
}

impl HistoryEntry {
    /// JSON answer; without `private`, private fields and their names are left out.
    pub fn to_json(&self, private: bool) -> serde_json::Value {
        let fields: Vec<&String> = self
            .fields
            .iter()
            .filter(|f| private || !is_private(f))
            .collect();
        serde_json::json!({
            "version": self.version,
            "date": self.at,
            "auteur": self.author,
            "action": self.action,
            "champs": fields,
            "avant": self.before.as_ref().map(|f| f.to_json(private)),
            "apres": self.after.as_ref().map(|f| f.to_json(private)),
        })
    }
}

const PARTNER_COLUMNS: &str = "id, version, archived, data, created_at, updated_at";

fn row_to_partner(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Partner, String)> {
    Ok((
        Partner {
            id: r.get(0)?,
            version: r.get(1)?,
            archived: r.get::<_, i64>(2)? != 0,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
            fields: PartnerFields::default(),
        },
        r.get(3)?,
    ))
}

fn parse_fields(data: &str) -> Result<PartnerFields, StoreError> {
    serde_json::from_str(data).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Reads one partner inside a connection or transaction.
pub(crate) fn load(conn: &Connection, id: &str) -> Result<Option<Partner>, StoreError> {
    let row = conn
        .query_row(
            &format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = ?1"),
            [id],
            row_to_partner,
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some((mut p, data)) => {
            p.fields = parse_fields(&data)?;
            Ok(Some(p))
        }
    }
}

/// Every partner, sorted by id.
pub(crate) fn load_all(conn: &Connection, archived: bool) -> Result<Vec<Partner>, StoreError> {
    let sql = if archived {
        format!("SELECT {PARTNER_COLUMNS} FROM partners ORDER BY id")
    } else {
        format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE archived = 0 ORDER BY id")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], row_to_partner)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut p, data) = row?;
        p.fields = parse_fields(&data)?;
        out.push(p);
    }
    Ok(out)
}

fn to_json_text(f: &PartnerFields) -> Result<String, StoreError> {
    serde_json::to_string(f).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Writes a partner row and its history row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write(
    tx: &Transaction<'_>,
    id: &str,
    version: i64,
    archived: bool,
    before: Option<&PartnerFields>,
    after: &PartnerFields,
    action: &str,
    who: &Author,
    at: &str,
) -> Result<(), StoreError> {
    let data = to_json_text(after)?;
    tx.execute(
        "INSERT INTO partners (id, version, archived, data, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT(id) DO UPDATE SET version = excluded.version, archived = excluded.archived,
             data = excluded.data, updated_at = excluded.updated_at",
        params![id, version, archived as i64, data, at],
    )?;
    let changed: Vec<&str> = match before {
        Some(b) => b.changed_fields(after),
        None => super::partner::value_fields()
            .filter(|f| !after.text(f.name).is_empty())
            .map(|f| f.name)
            .collect(),
    };
    let before_text = before.map(to_json_text).transpose()?;
    tx.execute(
        "INSERT INTO history (subject_kind, subject, version, at, author, action, fields, before, after)
         VALUES ('partenaire', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            version,
            at,
            who.name,
            action,
            serde_json::to_string(&changed).unwrap_or_else(|_| "[]".into()),
            before_text,
            data
        ],
    )?;
    Ok(())
}

fn check_version(p: &Partner, expected: Option<i64>) -> Result<(), StoreError> {
    match expected {
        Some(e) if e != p.version => Err(StoreError::Conflict {
            id: p.id.clone(),
            expected: e,
            current: p.version,
        }),
        _ => Ok(()),
    }
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, StoreError> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

impl Store {
    /// One partner (archived or not).
    pub fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError> {
        load(&self.reader(), id)
    }

    /// Every partner sorted by id; archived ones only when `archived`.
    pub fn partners(&self, archived: bool) -> Result<Vec<Partner>, StoreError> {
        load_all(&self.reader(), archived)
    }

    /// Number of partner rows, archived included.
    pub fn partner_count(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .reader()
            .query_row("SELECT COUNT(*) FROM partners", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// Creates a partner. When `unique_suffix`, an id already taken gets `-2`, `-3`… (for ids
    /// computed from the name); otherwise a taken id is an error.
    pub fn create_partner(
        &self,
        v: Validated,
        unique_suffix: bool,
        who: &Author,
    ) -> Result<Partner, StoreError> {
        let mut conn = self.writer();
        let tx = immediate(&mut conn)?;
        let mut id = v.id.clone();
        let mut n = 1;
        while load(&tx, &id)?.is_some() {
            if !unique_suffix {
                return Err(StoreError::Exists(id));
            }
            n += 1;
            id = format!("{}-{n}", v.id);
        }
        let at = date::now();
        write(&tx, &id, 1, false, None, &v.fields, "creation", who, &at)?;
        let p = load(&tx, &id)?.ok_or_else(|| StoreError::NotFound(id.clone()))?;
        tx.commit()?;
        Ok(p)
    }

    /// Replaces a partner's fields. `expected` is the version the client saw (`If-Match`);
    /// an unchanged body writes nothing and returns the current version.
    pub fn update_partner(
        &self,
        id: &str,
        expected: Option<i64>,
        v: Validated,
        who: &Author,
    ) -> Result<Partner, StoreError> {
        let mut conn = self.writer();
        let tx = immediate(&mut conn)?;
        let cur = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        check_version(&cur, expected)?;
        if cur.archived {
            return Err(StoreError::Archived(id.to_string()));
        }
        if cur.fields == v.fields {
            return Ok(cur);
        }
        let at = date::now();
        write(
            &tx,
            id,
            cur.version + 1,
            false,
            Some(&cur.fields),
            &v.fields,
            "modification",
            who,
            &at,
        )?;
        let p = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        tx.commit()?;
        Ok(p)
    }

    /// Archives (hides) a partner. Archiving an archived partner changes nothing.
    pub fn archive_partner(
        &self,
        id: &str,
        expected: Option<i64>,
        who: &Author,
    ) -> Result<Partner, StoreError> {
        let mut conn = self.writer();
        let tx = immediate(&mut conn)?;
        let cur = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        check_version(&cur, expected)?;
        if cur.archived {
            return Ok(cur);
        }
        let at = date::now();
        write(
            &tx,
            id,
            cur.version + 1,
            true,
            Some(&cur.fields),
            &cur.fields,
            "archivage",
            who,
            &at,
        )?;
        let p = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        tx.commit()?;
        Ok(p)
    }

    /// Restores a partner: un-archives it and, with `version`, brings back the fields it had
    /// at that version (as a new version).
    pub fn restore_partner(
        &self,
        id: &str,
        version: Option<i64>,
        expected: Option<i64>,
        who: &Author,
    ) -> Result<Partner, StoreError> {
        let mut conn = self.writer();
        let tx = immediate(&mut conn)?;
        let cur = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        check_version(&cur, expected)?;
        let fields = match version {
            None => cur.fields.clone(),
            Some(n) => {
                let data: Option<String> = tx
                    .query_row(
                        "SELECT after FROM history WHERE subject_kind = 'partenaire'
                         AND subject = ?1 AND version = ?2",
                        params![id, n],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten();
                let data = data.ok_or(StoreError::NoSuchVersion {
                    id: id.to_string(),
                    version: n,
                })?;
                parse_fields(&data)?
            }
        };
        if !cur.archived && fields == cur.fields {
            return Ok(cur);
        }
        let at = date::now();
        write(
            &tx,
            id,
            cur.version + 1,
            false,
            Some(&cur.fields),
            &fields,
            "restauration",
            who,
            &at,
        )?;
        let p = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        tx.commit()?;
        Ok(p)
    }

    /// The history of a partner, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT version, at, author, action, fields, before, after FROM history
             WHERE subject_kind = 'partenaire' AND subject = ?1 ORDER BY version, seq",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (version, at, author, action, fields, before, after) = row?;
            out.push(HistoryEntry {
                version,
                at,
                author,
                action,
                fields: serde_json::from_str(&fields)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                before: before.as_deref().map(parse_fields).transpose()?,
                after: after.as_deref().map(parse_fields).transpose()?,
            });
        }
        Ok(out)
    }
}
