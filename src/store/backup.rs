//! Online backups (SQLite backup API) and restoring one.
//!
//! A backup can be taken while the server runs: it copies a consistent snapshot into a
//! temporary file next to the target, then renames it, so the target is either the old file or
//! the complete new one. Restoring checks the backup first (`PRAGMA integrity_check`, schema
//! version), then copies it into the base in one step and runs the migrations.
//!
//! ```
//! use maillage::store::{backup, Role, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! store.create_token("A", Role::Admin).unwrap();
//! let copy = dir.path().join("copie.sqlite");
//! store.backup_to(&copy).unwrap();
//! let other = dir.path().join("autre.sqlite");
//! let summary = backup::restore(&copy, &other).unwrap();
//! assert_eq!(summary.tokens, 1);
//! ```

use std::path::Path;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{schema, Store, StoreError};

fn backup_err(path: &Path, detail: impl ToString) -> StoreError {
    StoreError::Backup {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

fn copy(src: &Connection, dst: &mut Connection) -> Result<(), StoreError> {
    let b = Backup::new(src, dst)?;
    // -1: every page in one step, so the copy is one consistent snapshot. A busy or locked
    // base is retried for up to ten seconds.
    for _ in 0..200 {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    Err(StoreError::Backup {
        path: "base".into(),
        detail: "base occupée pendant plus de 10 s".into(),
    })
}

impl Store {
    /// Writes a consistent copy of the base to `dest` (replaced atomically).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        if dest.file_name().is_none() {
            return Err(backup_err(dest, "nom de fichier attendu"));
        }
        crate::util::fs::replace_atomic(
            dest,
            |e| backup_err(dest, e),
            |tmp| {
                crate::util::fs::create_private(tmp)
                    .map_err(|e| backup_err(dest, crate::util::os_error::describe(&e)))?;
                let mut out = Connection::open(tmp).map_err(|e| backup_err(dest, e))?;
                copy(&self.reader(), &mut out).map_err(|e| backup_err(dest, e))?;
                out.close().map_err(|(_, e)| backup_err(dest, e))
            },
        )
    }
}

/// What a restored base holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    pub partners: usize,
    pub tokens: usize,
    pub history: usize,
}

/// Checks a backup and copies it over the base at `base` (created if missing).
pub fn restore(backup: &Path, base: &Path) -> Result<RestoreSummary, StoreError> {
    let src = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| backup_err(backup, e))?;
    let check: String = src
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| {
            backup_err(
                backup,
                format!("ce n'est pas une base SQLite lisible ({e})"),
            )
        })?;
    if check != "ok" {
        return Err(backup_err(backup, format!("base endommagée : {check}")));
    }
    let version: i64 = src
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| backup_err(backup, e))?;
    if version == 0 || version > schema::LATEST {
        return Err(backup_err(
            backup,
            format!(
                "ce n'est pas une sauvegarde de maillage (schéma {version}, attendu 1 à {})",
                schema::LATEST
            ),
        ));
    }
    crate::util::fs::create_private(base)
        .map_err(|e| backup_err(base, crate::util::os_error::describe(&e)))?;
    let mut dst = Connection::open(base).map_err(|e| backup_err(base, e))?;
    dst.busy_timeout(Duration::from_secs(10))
        .map_err(|e| backup_err(base, e))?;
    copy(&src, &mut dst).map_err(|e| backup_err(base, e))?;
    drop(dst);
    let store = Store::open(base)?;
    let count = |table: &str| -> Result<usize, StoreError> {
        let n: i64 =
            store
                .reader()
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as usize)
    };
    Ok(RestoreSummary {
        partners: count("partners")?,
        tokens: count("tokens")?,
        history: count("history")?,
    })
}
