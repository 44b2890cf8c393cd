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
//! ([`Directory::compacted`]) from a snapshot, outside the lock, then takes the lock only to
//! replay the changes published meanwhile and swap the result in: writers never wait for a
//! compaction. An import publishes once at the end, whatever its size.

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

    /// Swaps in the directory with `changes` (the lock held), then starts a compaction when
    /// the recent changes piled up and none is running.
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
                .spawn(move || compact_until_done(&lock, &directory, &flag));
            if spawned.is_err() {
                self.compacting.store(false, Ordering::Release);
            }
        }
    }

    /// Waits until no compaction is running (tests and benches).
    pub fn wait_for_compaction(&self) {
        while self.compacting.load(Ordering::Acquire) {
            std::thread::sleep(std::time::Duration::from_millis(1));
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

/// Compacts the served directory without blocking writers: the compacted directory is built
/// from a snapshot outside the publish lock; under the lock, the changes published meanwhile
/// are replayed on it ([`Directory::with_compaction_of`], O(those changes)) and it is swapped
/// in. Repeats while the result still needs compaction (many writes during one), then clears
/// `flag` under the lock, so a writer that sees the flag set knows this thread will look again.
fn compact_until_done(lock: &Mutex<()>, directory: &ArcSwap<Directory>, flag: &AtomicBool) {
    loop {
        let before = directory.load_full();
        let compacted = before.compacted();
        let g = lock.lock().unwrap_or_else(|p| p.into_inner());
        let now = directory.load_full();
        // `None`: the local actors were republished whole meanwhile (already compact).
        let again = match now.with_compaction_of(&before, compacted) {
            Some(next) => {
                let again = next.needs_compaction();
                directory.store(Arc::new(next));
                again
            }
            None => now.needs_compaction(),
        };
        if !again {
            flag.store(false, Ordering::Release);
        }
        drop(g);
        // The replaced segments are freed here, outside the lock.
        drop((now, before));
        if !again {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::RECENT_LIMIT;
    use crate::store::partner::RawPartner;

    /// The ids of the store's active partners, sorted.
    fn stored_ids(svc: &PartnerService) -> Vec<String> {
        let mut v: Vec<String> = svc
            .store
            .partners(false)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        v.sort();
        v
    }

    /// Two writers at once: each one's partners are all in the served directory, and the
    /// directory shows exactly the store's partners (no write lost by publication).
    #[test]
    fn concurrent_writers_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("b.sqlite")).unwrap();
        let dir = crate::pipeline::directory(None, &mut std::io::sink()).unwrap();
        let swap = Arc::new(ArcSwap::from_pointee(dir));
        let svc = Arc::new(PartnerService::new(store, Arc::clone(&swap)));
        let per_writer = RECENT_LIMIT / 2 + 20;
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
        svc.wait_for_compaction();
        let _g = svc.lock();
        let shown: Vec<String> = swap
            .load()
            .local_actors()
            .map(|a| a.id().to_string())
            .collect();
        let stored = stored_ids(&svc);
        assert_eq!(stored.len(), 2 * (per_writer - per_writer.div_ceil(3)));
        assert_eq!(shown, stored);
    }

    /// Writers keep writing while compactions are built beside them: every write lands, and
    /// the served directory answers as one built from scratch with the store's partners.
    #[test]
    fn writes_during_compactions_lose_nothing_and_equal_a_full_build() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("b.sqlite")).unwrap();
        let dir = crate::pipeline::directory(None, &mut std::io::sink()).unwrap();
        let swap = Arc::new(ArcSwap::from_pointee(dir));
        let svc = Arc::new(PartnerService::new(store, Arc::clone(&swap)));
        let who = Author::new("import");
        // A base large enough that a compaction takes a while.
        let words = ["Maison", "Santé", "Tarn", "Soins", "Albi", "Aide"];
        let communes = ["81004", "81099", "81065", "81060", "81105"];
        let mut csv = String::from("identifiant;nom;type;code_insee\n");
        for i in 0..3000 {
            let (a, b) = (words[i % 6], words[i / 6 % 6]);
            let c = communes[i / 36 % communes.len()];
            csv.push_str(&format!("b{i};{a} {b} {i};partenaire;{c}\n"));
        }
        let report = svc.import(csv.as_bytes(), "base.csv", true, &who).unwrap();
        assert_eq!(report.added.len(), 3000);
        let overlapped = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for w in 0..2 {
                let (svc, overlapped) = (Arc::clone(&svc), &overlapped);
                s.spawn(move || {
                    let who = Author::new(format!("écrivain {w}"));
                    for i in 0..RECENT_LIMIT + 60 {
                        let raw = RawPartner::from_json(&serde_json::json!({
                            "identifiant": format!("w{w}-{i}"),
                            "nom": format!("{} {} {w} {i}", words[i % 6], words[(i + w) % 6]),
                            "type": if i % 2 == 0 { "partenaire" } else { "dac" },
                            "code_insee": communes[i % communes.len()],
                        }))
                        .unwrap();
                        let v = svc.validator().validate(&raw).unwrap();
                        let p = svc.write(|st| st.create_partner(v, false, &who)).unwrap();
                        if i % 4 == 0 {
                            let base = format!("local:b{}", i * 7 + w);
                            svc.write(|st| st.archive_partner(&base, None, &who))
                                .unwrap();
                        }
                        if i % 5 == 0 {
                            svc.write(|st| st.archive_partner(&p.id, None, &who))
                                .unwrap();
                        }
                        if svc.compacting.load(Ordering::Acquire) {
                            overlapped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert!(
            overlapped.into_inner() > 0,
            "no write was published during a compaction"
        );
        svc.wait_for_compaction();
        let served = swap.load_full();
        let want = served.with_local_actors(svc.local_actors().unwrap());
        let ids = |d: &Directory| -> Vec<String> {
            d.local_actors().map(|a| a.id().to_string()).collect()
        };
        let stored = stored_ids(&svc);
        let n = RECENT_LIMIT + 60;
        assert_eq!(stored.len(), 3000 + 2 * (n - n.div_ceil(4) - n.div_ceil(5)));
        assert_eq!(ids(&served), stored);
        crate::index::same_answers(&served, &want).unwrap();
    }
}
