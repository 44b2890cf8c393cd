//! The partner store behind a served directory: commit, then publish.
//!
//! Every write goes through [`PartnerService::write`]: it holds one lock while the store
//! commits and the new directory (official part shared, local part rebuilt by
//! [`Directory::with_local_actors`]) is swapped in, so two commits never swap out of order and a
//! reader sees the directory before or after a change, never half of it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::{Store, StoreError, Validator};
use crate::index::Directory;
use crate::model::{ActorRecord, SourceId};

/// The partner store and the directory it publishes into.
pub struct PartnerService {
    pub store: Arc<Store>,
    validator: Validator,
    /// Local actors loaded from data files at start-up: shown unless the store has the same id.
    file_actors: Vec<ActorRecord>,
    publish: Mutex<()>,
    directory: Arc<ArcSwap<Directory>>,
}

impl std::fmt::Debug for PartnerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerService")
            .field("store", &self.store.path())
            .finish()
    }
}

impl PartnerService {
    /// Wraps a store for the directory behind `directory` (its kinds and communes validate
    /// partners; its local actors from files stay shown unless the store has the same id).
    pub fn new(store: Store, directory: Arc<ArcSwap<Directory>>) -> PartnerService {
        let dir = directory.load_full();
        PartnerService {
            store: Arc::new(store),
            validator: Validator::for_directory(&dir),
            file_actors: dir.local_actors().iter().map(|a| a.to_record()).collect(),
            publish: Mutex::new(()),
            directory,
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
        out.extend(all.iter().filter(|p| !p.archived).map(|p| {
            self.validator
                .actor_record(&p.id, &p.fields, SourceId(u16::MAX))
        }));
        Ok(out)
    }

    fn publish_locked(&self) -> Result<(), StoreError> {
        let actors = self.local_actors()?;
        let next = self.directory.load().with_local_actors(actors);
        self.directory.store(Arc::new(next));
        Ok(())
    }

    /// Puts the store's partners into the served directory.
    pub fn publish(&self) -> Result<(), StoreError> {
        let _g = self.publish.lock().unwrap_or_else(|p| p.into_inner());
        self.publish_locked()
    }

    /// Runs a store write, then swaps in the directory with its result, under one lock.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _g = self.publish.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&self.store)?;
        if let Err(e) = self.publish_locked() {
            tracing::error!("modification enregistrée mais carte non mise à jour : {e}");
        }
        Ok(out)
    }
}
