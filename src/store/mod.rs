//! The CPTS's own directory, kept in an embedded SQLite database.
//!
//! Official files say what exists; the store keeps what only the CPTS knows: its partners
//! (with private fields such as a direct line), membership and roles, local annotations on
//! official actors, access tokens, and the full history of every change.
//!
//! - [`Store::open`] creates or opens the base (WAL journal, `synchronous=FULL`: a write is
//!   acknowledged only once its transaction is durable) and runs the versioned migrations.
//! - [`partner`] validates partner fields ([`crate::model::partner_field`]) with the partner
//!   importer's row checks, so that the API, the CLI and the CSV files share one format.
//! - [`partners`] creates, updates, archives and restores partners with optimistic versions.
//! - [`import`] previews and applies a partner CSV in one transaction; [`export`] writes CSV,
//!   GeoJSON and Open Referral (HSDS) JSON.
//! - [`tokens`] issues random bearer tokens (only their SHA-256 hash is stored) and sessions.
//! - [`backup`] takes online backups and restores them.
//! - [`service`] commits a change, then publishes the partners into the served directory.
//!
//! ```
//! use maillage::store::{Author, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! assert_eq!(store.schema_version().unwrap(), maillage::store::schema::LATEST);
//! let who = Author::cli();
//! assert!(who.name.starts_with("ligne de commande"));
//! ```

pub mod annotations;
pub mod backup;
pub mod cli;
pub mod export;
pub mod import;
pub mod partner;
pub mod partners;
pub mod schema;
pub mod service;
pub mod tokens;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

pub use partner::{FieldError, PartnerFields, Validator};
pub use partners::{HistoryEntry, Partner};
pub use service::PartnerService;
pub use tokens::{Principal, Role};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("base {path} : {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("base {path} : création impossible : {detail}")]
    Create { path: String, detail: String },
    #[error("base de données : {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("la base {path} a le schéma version {found}, plus récent que celui de ce programme ({supported}) : mettez maillage à jour")]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("partenaire inconnu : « {0} »")]
    NotFound(String),
    #[error(
        "le partenaire « {id} » a changé : version {current} en base, version {expected} attendue"
    )]
    Conflict {
        id: String,
        expected: i64,
        current: i64,
    },
    #[error("le partenaire « {0} » existe déjà")]
    Exists(String),
    #[error("le partenaire « {0} » est archivé : restaurez-le avant de le modifier")]
    Archived(String),
    #[error("version {version} inconnue dans l'historique de « {id} »")]
    NoSuchVersion { id: String, version: i64 },
    #[error("jeton inconnu : « {0} »")]
    UnknownToken(String),
    #[error("sauvegarde {path} : {detail}")]
    Backup { path: String, detail: String },
    #[error("générateur aléatoire du système indisponible : {0}")]
    Random(String),
    #[error("données enregistrées illisibles ({0}) : la base a été modifiée hors de maillage")]
    Corrupt(String),
}

/// Who makes a change, as written in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// Token name (`Coordinatrice`), or `ligne de commande (user)`.
    pub name: String,
}

impl Author {
    pub fn new(name: impl Into<String>) -> Author {
        Author { name: name.into() }
    }

    /// The local user of the command line.
    pub fn cli() -> Author {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "inconnu".into());
        Author::new(format!("ligne de commande ({user})"))
    }
}

/// The SQLite base: one writer connection and one reader connection (WAL lets them run at
/// the same time). Every method is blocking: call it from `spawn_blocking` in async code.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    // A new base is private from the start (SQLite gives its -wal and -shm files the same mode).
    if !path.as_os_str().is_empty() && path.to_str() != Some(":memory:") {
        crate::util::fs::create_private(path).map_err(|e| StoreError::Create {
            path: path.display().to_string(),
            detail: crate::util::os_error::describe(&e),
        })?;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(open_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(open_err)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(open_err)?;
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the base at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut writer = connect(path)?;
        schema::migrate(&mut writer, path)?;
        let reader = connect(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// Path of the base file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer connection; holding it serialises writers.
    pub fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader connection (sees the last committed state).
    pub fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The schema version of the base (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .reader()
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `ok` for a sound base.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .reader()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}
