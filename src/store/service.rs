//! The partner store behind a served directory: commit, then publish.
//!
//! Every write goes through [`PartnerService::write`] (one partner) or
//! [`PartnerService::import`] (a CSV file): it holds one lock while the store commits and the
//! new directory is swapped in, so two commits never swap out of order, none is lost, and a
//! reader sees the directory before or after a change, never half of it.
//!
//! A write publishes only what it changed: the committed partner row is turned into its actor
//! and handed to [`Directory::with_local_changes`], which rebuilds only the small segment of
//! recent changes. Once enough changes piled up, a background thread compacts the local actors
//! ([`Directory::compacted`]) under the same lock, after the answer. An import publishes once
//! at the end, whatever its size.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::import::{ImportError, ImportReport};
use super::{Author, Partner, Store, StoreError, Validator};
use crate::index::Directory;
use crate::model::{ActorRecord, SourceId};

/// The partner store and the directory it publishes into.
pub struct PartnerService {
    pub store: Arc<Store>,
    validator: Validator,
    /// Local actors loaded from data files at start-up: shown unless the store has the same id.
    file_actors: Vec<ActorRecord>,
    publish: Arc<Mutex<()>>,
    directory: Arc<ArcSwap<Directory>>,
    /// A compaction is running or queued.
    compacting: Arc<AtomicBool>,
}

impl std::fmt::Debug for PartnerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerService")
            .field("store", &self.store.path())
            .finish()
    }
}

/// Above this many changed partners, an import republishes every partner at once (one read
/// of the base) instead of reading back its rows one by one.
const IMPORT_READ_BACK: usize = 256;

impl PartnerService {
    /// Wraps a store for the directory behind `directory` (its kinds and communes validate
    /// partners; its local actors from files stay shown unless the store has the same id).
    pub fn new(store: Store, directory: Arc<ArcSwap<Directory>>) -> PartnerService {
        let dir = directory.load_full();
        PartnerService {
            store: Arc::new(store),
            validator: Validator::for_directory(&dir),
            file_actors: dir.local_actors().map(|a| a.to_record()).collect(),
            publish: Arc::new(Mutex::new(())),
            directory,
            compacting: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The local actors the directory should show: file partners not in the store, then the
    /// store's active partners.
    pub fn local_actors(&self) -> Result<Vec<ActorRecord>, StoreError> {
        let all = self.store.partners(true)?;
        let ids: HashSet<&str> = all.iter().map(|p| p.id.as_str()).collect();
        let mut out: Vec<ActorRecord> = self
            .file_actors
            .iter()
            .filter(|a| !ids.contains(a.id.as_str()))
            .cloned()
            .collect();
        out.extend(
            all.iter()
                .filter(|p| !p.archived)
                .map(|p| self.actor_record(p)),
        );
        Ok(out)
    }

    fn actor_record(&self, p: &Partner) -> ActorRecord {
        self.validator
            .actor_record(&p.id, &p.fields, SourceId(u16::MAX))
    }

    /// What a committed partner row changes in the directory: its actor, or none if archived
    /// (an archived partner also hides a file actor of the same id).
    fn change(&self, p: &Partner) -> (String, Option<ActorRecord>) {
        (p.id.clone(), (!p.archived).then(|| self.actor_record(p)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.publish.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish_locked(&self) -> Result<(), StoreError> {
        let actors = self.local_actors()?;
        let next = self.directory.load().with_local_actors(actors);
        self.directory.store(Arc::new(next));
        Ok(())
    }

    /// Puts every partner of the store into the served directory.
    pub fn publish(&self) -> Result<(), StoreError> {
        let _g = self.lock();
        self.publish_locked()
    }

    /// Swaps in the directory with `changes` (the lock held), then queues a compaction when
    /// the recent changes piled up.
    fn publish_changes_locked(&self, changes: Vec<(String, Option<ActorRecord>)>) {
        let next = self.directory.load().with_local_changes(changes);
        let compact = next.needs_compaction();
        self.directory.store(Arc::new(next));
        if compact && !self.compacting.swap(true, Ordering::AcqRel) {
            let (lock, directory, flag) = (
                Arc::clone(&self.publish),
                Arc::clone(&self.directory),
                Arc::clone(&self.compacting),
            );
            let spawned = std::thread::Builder::new()
                .name("compaction".into())
                .spawn(move || {
                    let _g = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let next = directory.load().compacted();
                    directory.store(Arc::new(next));
                    flag.store(false, Ordering::Release);
                });
            if spawned.is_err() {
                self.compacting.store(false, Ordering::Release);
            }
        }
    }

    /// Runs a store write of one partner, then swaps in the directory with that partner's
    /// committed row, under one lock.
    pub fn write(
        &self,
        f: impl FnOnce(&Store) -> Result<Partner, StoreError>,
    ) -> Result<Partner, StoreError> {
        let _g = self.lock();
        let p = f(&self.store)?;
        self.publish_changes_locked(vec![self.change(&p)]);
        Ok(p)
    }

    /// Imports a partner CSV ([`Store::import_partners`]); once applied, the changed partners
    /// are published in one swap. A preview writes and publishes nothing.
    pub fn import(
        &self,
        bytes: &[u8],
        file: &str,
        apply: bool,
        who: &Author,
    ) -> Result<ImportReport, ImportError> {
        if !apply {
            return self
                .store
                .import_partners(&self.validator, bytes, file, false, who);
        }
        let _g = self.lock();
        let report = self
            .store
            .import_partners(&self.validator, bytes, file, true, who)?;
        let ids: Vec<&str> = report
            .added
            .iter()
            .chain(&report.changed)
            .map(|r| r.id.as_str())
            .collect();
        let published = if ids.len() > IMPORT_READ_BACK {
            self.publish_locked()
        } else {
            ids.iter()
                .map(|id| {
                    let p = self.store.partner(id)?;
                    p.ok_or_else(|| StoreError::NotFound(id.to_string()))
                        .map(|p| self.change(&p))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|changes| self.publish_changes_locked(changes))
        };
        if let Err(e) = published {
            tracing::error!("import enregistré mais carte non mise à jour : {e}");
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::partner::RawPartner;

    /// Two writers at once: each one's partners are all in the served directory, and the
    /// directory shows exactly the store's partners (no write lost by publication).
    #[test]
    fn concurrent_writers_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("b.sqlite")).unwrap();
        let dir = crate::pipeline::directory(None, &mut std::io::sink()).unwrap();
        let swap = Arc::new(ArcSwap::from_pointee(dir));
        let svc = Arc::new(PartnerService::new(store, Arc::clone(&swap)));
        let per_writer = crate::index::RECENT_LIMIT / 2 + 20;
        std::thread::scope(|s| {
            for w in 0..2 {
                let svc = Arc::clone(&svc);
                s.spawn(move || {
                    let who = Author::new(format!("écrivain {w}"));
                    for i in 0..per_writer {
                        let raw = RawPartner::from_json(&serde_json::json!({
                            "identifiant": format!("w{w}-{i}"),
                            "nom": format!("Partenaire {w} {i}"),
                            "type": "partenaire",
                            "code_insee": "81004",
                        }))
                        .unwrap();
                        let v = svc.validator().validate(&raw).unwrap();
                        let p = svc.write(|st| st.create_partner(v, false, &who)).unwrap();
                        if i % 3 == 0 {
                            svc.write(|st| st.archive_partner(&p.id, None, &who))
                                .unwrap();
                        }
                    }
                });
            }
        });
        // Wait for a compaction started by the last writes, then compare with the store.
        let _g = svc.lock();
        let shown: Vec<String> = swap
            .load()
            .local_actors()
            .map(|a| a.id().to_string())
            .collect();
        let mut stored: Vec<String> = svc
            .store
            .partners(false)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        stored.sort();
        assert_eq!(stored.len(), 2 * (per_writer - per_writer.div_ceil(3)));
        assert_eq!(shown, stored);
    }
}
