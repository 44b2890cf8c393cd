//! Versioned schema migrations, run at start-up.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Each migration runs in its own
//! transaction together with the version bump, so a crash leaves the base at one version or the
//! next, never in between. A base newer than this program is refused.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let store = maillage::store::Store::open(&dir.path().join("b.sqlite")).unwrap();
//! assert_eq!(store.schema_version().unwrap(), maillage::store::schema::LATEST);
//! ```

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// The migrations, in order; migration `i` brings the base to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: partners, history, annotations, tokens, sessions.
    "CREATE TABLE partners (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        archived INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subject_kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        version INTEGER NOT NULL,
        at TEXT NOT NULL,
        author TEXT NOT NULL,
        action TEXT NOT NULL,
        fields TEXT NOT NULL,
        before TEXT,
        after TEXT
    );
    CREATE INDEX history_subject ON history(subject_kind, subject, version);
    CREATE TABLE annotations (
        actor_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('lecteur', 'editeur', 'admin')),
        hash BLOB NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE sessions (
        hash BLOB PRIMARY KEY,
        token_id INTEGER NOT NULL REFERENCES tokens(id),
        created_at TEXT NOT NULL,
        expires_unix INTEGER NOT NULL
    );",
];

/// The schema version this program writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Applies every migration the base lacks.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found: current,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated between our read and our lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > i as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent_and_refuse_newer_bases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.sqlite");
        let mut c = Connection::open(&path).unwrap();
        migrate(&mut c, &path).unwrap();
        migrate(&mut c, &path).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
        c.execute_batch(&format!("PRAGMA user_version = {}", LATEST + 1))
            .unwrap();
        let err = migrate(&mut c, &path).unwrap_err();
        assert!(err.to_string().contains("plus récent"), "{err}");
    }
}
