//! Access tokens and sessions.
//!
//! A token is 32 random bytes from the operating system, written `mlg_<base64url>`; it is shown
//! once at creation and only its SHA-256 hash is stored. Looking a token up hashes it and
//! compares hashes in constant time. A session (the page's cookie) is another random secret,
//! also stored hashed, tied to a token: revoking the token ends its sessions.
//!
//! ```
//! use maillage::store::{Role, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! let (info, secret) = store.create_token("Coordinatrice", Role::Editeur).unwrap();
//! assert!(secret.starts_with("mlg_"));
//! let who = store.authenticate(&secret).unwrap().unwrap();
//! assert_eq!((who.name.as_str(), who.role), ("Coordinatrice", Role::Editeur));
//! store.revoke_token(&info.id.to_string()).unwrap();
//! assert!(store.authenticate(&secret).unwrap().is_none());
//! ```

use base64::Engine;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Store, StoreError};
use crate::util::date;

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads, including when reads need a token.
    Lecteur,
    /// Reads private fields, writes partners and annotations.
    Editeur,
    /// Everything an editor does.
    Admin,
}

impl Role {
    pub fn id(self) -> &'static str {
        match self {
            Role::Lecteur => "lecteur",
            Role::Editeur => "editeur",
            Role::Admin => "admin",
        }
    }

    /// Parses `lecteur`, `editeur` (or `éditeur`), `admin`.
    ///
    /// ```
    /// use maillage::store::Role;
    /// assert_eq!(Role::parse("Éditeur"), Some(Role::Editeur));
    /// assert_eq!(Role::parse("chef"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Role> {
        match crate::model::text::fold(s).as_str() {
            "lecteur" => Some(Role::Lecteur),
            "editeur" => Some(Role::Editeur),
            "admin" | "administrateur" => Some(Role::Admin),
            _ => None,
        }
    }

    /// May this role write and see private fields?
    pub fn can_write(self) -> bool {
        self >= Role::Editeur
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    #[serde(rename = "nom")]
    pub name: String,
    pub role: Role,
    #[serde(rename = "cree_le")]
    pub created_at: String,
    #[serde(rename = "revoque_le")]
    pub revoked_at: Option<String>,
}

/// How long a session cookie lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// A new random secret with a prefix: `mlg_` + 43 base64url characters.
pub fn new_secret(prefix: &str) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// SHA-256 of a secret, as stored.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn parse_role(s: String) -> rusqlite::Result<Role> {
    Role::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("rôle inconnu {s}").into(),
        )
    })
}

impl Store {
    /// Creates a token; returns its description and the secret (shown once, never stored).
    pub fn create_token(&self, name: &str, role: Role) -> Result<(TokenInfo, String), StoreError> {
        let secret = new_secret("mlg_")?;
        let at = date::now();
        let conn = self.writer();
        conn.execute(
            "INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, role.id(), hash(&secret).as_slice(), at],
        )?;
        let id = conn.last_insert_rowid();
        Ok((
            TokenInfo {
                id,
                name: name.to_string(),
                role,
                created_at: at,
                revoked_at: None,
            },
            secret,
        ))
    }

    /// Every token, revoked ones included.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare("SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                role: parse_role(r.get(2)?)?,
                created_at: r.get(3)?,
                revoked_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a token given by number or name (a name must designate one active token).
    pub fn revoke_token(&self, which: &str) -> Result<TokenInfo, StoreError> {
        let all = self.tokens()?;
        let found: Vec<&TokenInfo> = match which.trim().parse::<i64>() {
            Ok(id) => all.iter().filter(|t| t.id == id).collect(),
            Err(_) => all
                .iter()
                .filter(|t| t.name == which.trim() && t.revoked_at.is_none())
                .collect(),
        };
        let [t] = found[..] else {
            return Err(StoreError::UnknownToken(which.to_string()));
        };
        let at = date::now();
        let conn = self.writer();
        conn.execute(
            "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
            params![t.id, at],
        )?;
        conn.execute("DELETE FROM sessions WHERE token_id = ?1", [t.id])?;
        let mut t = t.clone();
        t.revoked_at.get_or_insert(at);
        Ok(t)
    }

    /// The holder of an active token, if the secret is one.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Principal>, StoreError> {
        let h = hash(secret);
        let conn = self.reader();
        let row = conn
            .prepare_cached(
                "SELECT id, name, role, hash FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([h.as_slice()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    parse_role(r.get(2)?)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .optional()?;
        Ok(row.and_then(|(id, name, role, stored)| {
            bool::from(stored.ct_eq(h.as_slice())).then_some(Principal {
                token_id: id,
                name,
                role,
            })
        }))
    }

    /// Opens a session for an authenticated caller; returns the cookie secret.
    pub fn create_session(&self, who: &Principal) -> Result<String, StoreError> {
        let secret = new_secret("")?;
        let now = date::unix_now();
        let conn = self.writer();
        conn.execute("DELETE FROM sessions WHERE expires_unix < ?1", [now])?;
        conn.execute(
            "INSERT INTO sessions (hash, token_id, created_at, expires_unix) VALUES (?1, ?2, ?3, ?4)",
            params![hash(&secret).as_slice(), who.token_id, date::rfc3339(now), now + SESSION_SECONDS],
        )?;
        Ok(secret)
    }

    /// The holder of a live session whose token is still active.
    pub fn session(&self, secret: &str) -> Result<Option<Principal>, StoreError> {
        let h = hash(secret);
        let conn = self.reader();
        let row = conn
            .prepare_cached(
                "SELECT t.id, t.name, t.role, s.hash FROM sessions s JOIN tokens t ON t.id = s.token_id
                 WHERE s.hash = ?1 AND s.expires_unix >= ?2 AND t.revoked_at IS NULL",
            )?
            .query_row(params![h.as_slice(), date::unix_now()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    parse_role(r.get(2)?)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .optional()?;
        Ok(row.and_then(|(id, name, role, stored)| {
            bool::from(stored.ct_eq(h.as_slice())).then_some(Principal {
                token_id: id,
                name,
                role,
            })
        }))
    }

    /// Ends a session (unknown secrets are ignored).
    pub fn delete_session(&self, secret: &str) -> Result<(), StoreError> {
        self.writer().execute(
            "DELETE FROM sessions WHERE hash = ?1",
            [hash(secret).as_slice()],
        )?;
        Ok(())
    }
}
