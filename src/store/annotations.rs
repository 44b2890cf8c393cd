//! Local annotations on official actors (FINESS, RPPS…): CPTS membership, a referent, a
//! corrected phone, a note. They are kept apart from the official record and shown beside it,
//! never merged into it; every change is a history row.
//!
//! ```
//! use maillage::store::{annotations::AnnotationFields, Author, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! let f = AnnotationFields::from_json(&serde_json::json!({
//!     "membre_cpts": true, "referent": "Dr Martin", "telephone": "0563000000"})).unwrap();
//! let a = store.set_annotation("finess:810000505", None, f, &Author::cli()).unwrap();
//! assert_eq!(a.version, 1);
//! assert_eq!(a.fields.telephone.as_deref(), Some("05 63 00 00 00"));
//! assert!(AnnotationFields::from_json(&serde_json::json!({"telephone": "12"})).is_err());
//! ```

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::partner::FieldError;
use super::{Author, Store, StoreError};
use crate::sources::partners::{is_valid_email, normalize_phone};
use crate::util::date;

/// What the CPTS notes about an official actor.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AnnotationFields {
    pub membre_cpts: bool,
    /// Role of the actor for the CPTS (`référent soins palliatifs`).
    pub role: Option<String>,
    /// Name of the referent person.
    pub referent: Option<String>,
    /// Corrected or direct phone, shown beside the official one.
    pub telephone: Option<String>,
    pub email: Option<String>,
    pub note: Option<String>,
}

const FIELDS: [&str; 6] = [
    "membre_cpts",
    "role",
    "referent",
    "telephone",
    "email",
    "note",
];

impl AnnotationFields {
    /// Reads and validates a JSON object (French field names).
    pub fn from_json(v: &serde_json::Value) -> Result<AnnotationFields, FieldError> {
        let obj = v.as_object().ok_or_else(|| {
            FieldError::new(
                "corps",
                "un objet JSON (membre_cpts, role, referent, telephone, email, note)",
                v.to_string(),
            )
        })?;
        let mut f = AnnotationFields::default();
        for (k, val) in obj {
            if !FIELDS.contains(&k.as_str()) {
                return Err(FieldError::new(
                    k.as_str(),
                    format!("un des champs : {}", FIELDS.join(", ")),
                    "un champ inconnu",
                ));
            }
            if k == "membre_cpts" {
                f.membre_cpts = match val {
                    serde_json::Value::Bool(b) => *b,
                    serde_json::Value::Null => false,
                    _ => {
                        return Err(FieldError::new(
                            k.as_str(),
                            "true ou false",
                            val.to_string(),
                        ))
                    }
                };
                continue;
            }
            let text = match val {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => {
                    Some(s.trim().to_string()).filter(|s| !s.is_empty())
                }
                _ => {
                    return Err(FieldError::new(
                        k.as_str(),
                        "un texte ou null",
                        val.to_string(),
                    ))
                }
            };
            match k.as_str() {
                "role" => f.role = text,
                "referent" => f.referent = text,
                "note" => f.note = text,
                "telephone" => {
                    f.telephone = match text {
                        None => None,
                        Some(t) => Some(normalize_phone(&t).ok_or_else(|| {
                            FieldError::new(
                                "telephone",
                                "un numéro français à 10 chiffres (ex. 05 63 12 34 56)",
                                t,
                            )
                        })?),
                    }
                }
                _ => {
                    if let Some(e) = &text {
                        if !is_valid_email(e) {
                            return Err(FieldError::new(
                                "email",
                                "une adresse e-mail (ex. contact@exemple.fr)",
                                e.as_str(),
                            ));
                        }
                    }
                    f.email = text;
                }
            }
        }
        Ok(f)
    }
}

/// A stored annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Annotation {
    #[serde(rename = "acteur")]
    pub actor_id: String,
    pub version: i64,
    #[serde(rename = "modifie_le")]
    pub updated_at: String,
    #[serde(flatten)]
    pub fields: AnnotationFields,
}

fn read(conn: &rusqlite::Connection, id: &str) -> Result<Option<Annotation>, StoreError> {
    let row = conn
        .query_row(
            "SELECT actor_id, version, data, updated_at FROM annotations WHERE actor_id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    row.map(|(actor_id, version, data, updated_at)| {
        Ok(Annotation {
            actor_id,
            version,
            updated_at,
            fields: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        })
    })
    .transpose()
}

impl Store {
    /// The annotation of an actor, if any.
    pub fn annotation(&self, actor_id: &str) -> Result<Option<Annotation>, StoreError> {
        read(&self.reader(), actor_id)
    }

    /// Every annotation, sorted by actor id.
    pub fn annotations(&self) -> Result<Vec<Annotation>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare("SELECT actor_id FROM annotations ORDER BY actor_id")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        drop(stmt);
        let mut out = Vec::new();
        for id in ids {
            if let Some(a) = read(&conn, &id)? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Sets an actor's annotation (`expected`: the version seen, if any); one history row.
    pub fn set_annotation(
        &self,
        actor_id: &str,
        expected: Option<i64>,
        fields: AnnotationFields,
        who: &Author,
    ) -> Result<Annotation, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cur = read(&tx, actor_id)?;
        let version = cur.as_ref().map_or(0, |a| a.version);
        if let Some(e) = expected {
            if e != version {
                return Err(StoreError::Conflict {
                    id: actor_id.to_string(),
                    expected: e,
                    current: version,
                });
            }
        }
        if let Some(c) = &cur {
            if c.fields == fields {
                return Ok(c.clone());
            }
        }
        let at = date::now();
        let data =
            serde_json::to_string(&fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let before = cur
            .as_ref()
            .map(|c| serde_json::to_string(&c.fields).unwrap_or_default());
        let changed: Vec<&str> = FIELDS
            .iter()
            .filter(|f| {
                let a = cur
                    .as_ref()
                    .map(|c| serde_json::to_value(&c.fields).unwrap_or_default()[**f].clone());
                let b = serde_json::to_value(&fields).unwrap_or_default()[**f].clone();
                a != Some(b)
            })
            .copied()
            .collect();
        tx.execute(
            "INSERT INTO annotations (actor_id, version, data, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(actor_id) DO UPDATE SET version = excluded.version, data = excluded.data,
                 updated_at = excluded.updated_at",
            params![actor_id, version + 1, data, at],
        )?;
        tx.execute(
            "INSERT INTO history (subject_kind, subject, version, at, author, action, fields, before, after)
             VALUES ('annotation', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                actor_id,
                version + 1,
                at,
                who.name,
                if cur.is_none() { "creation" } else { "modification" },
                serde_json::to_string(&changed).unwrap_or_default(),
                before,
                data
            ],
        )?;
        let a = read(&tx, actor_id)?.ok_or_else(|| StoreError::NotFound(actor_id.to_string()))?;
        tx.commit()?;
        Ok(a)
    }
}
