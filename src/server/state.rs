//! State shared by every handler: the directory behind an atomic pointer (swapped whole when
//! data changes), the configuration, the partner service, the orientation procedures, and
//! what authentication needs.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::auth::LoginLimiter;
use super::error::ApiError;
use super::ServerConfig;
use crate::index::Directory;
use crate::orientation::ProcedureSet;
use crate::store::{PartnerService, Store, StoreError};

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    directory: Arc<ArcSwap<Directory>>,
    pub config: Arc<ServerConfig>,
    /// The CPTS's own partner store; `None` when served without a base (writes answer 503).
    pub partners: Option<Arc<PartnerService>>,
    /// Every read needs a token (`serve --lecture-authentifiee`).
    pub read_requires_token: bool,
    /// Failed logins per address.
    pub limiter: Arc<LoginLimiter>,
    /// Orientation procedures, swapped whole on reload (`SIGHUP`, `POST /api/admin/recharger`).
    procedures: Arc<ArcSwap<ProcedureSet>>,
}

impl AppState {
    pub fn new(directory: Directory, config: ServerConfig) -> AppState {
        AppState {
            directory: Arc::new(ArcSwap::from_pointee(directory)),
            config: Arc::new(config),
            partners: None,
            read_requires_token: false,
            limiter: Arc::new(LoginLimiter::default()),
            procedures: Arc::new(ArcSwap::from_pointee(ProcedureSet::empty())),
        }
    }

    /// With these orientation procedures.
    pub fn with_procedures(self, set: ProcedureSet) -> AppState {
        self.replace_procedures(set);
        self
    }

    /// The current procedures; a reader keeps the version it got for its whole request.
    pub fn procedures(&self) -> Arc<ProcedureSet> {
        self.procedures.load_full()
    }

    /// Replaces the procedures atomically.
    pub fn replace_procedures(&self, set: ProcedureSet) {
        self.procedures.store(Arc::new(set));
    }

    /// With the partner store: its partners are put into the directory at once, and every
    /// committed change after that (`read_requires_token`: `serve --lecture-authentifiee`).
    pub fn with_store(
        directory: Directory,
        config: ServerConfig,
        store: Store,
        read_requires_token: bool,
    ) -> Result<AppState, StoreError> {
        let mut state = AppState::new(directory, config);
        let service = PartnerService::new(store, Arc::clone(&state.directory));
        service.publish()?;
        state.partners = Some(Arc::new(service));
        state.read_requires_token = read_requires_token;
        Ok(state)
    }

    /// The partner service, or 503 when served without a base.
    pub fn partner_service(&self) -> Result<Arc<PartnerService>, ApiError> {
        self.partners.clone().ok_or_else(|| {
            ApiError::new(
                503,
                "annuaire local indisponible",
                "le serveur a été démarré sans base de partenaires (option --base de « maillage servir »)",
            )
        })
    }

    /// The current directory; a reader keeps the version it got for its whole request.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory.load_full()
    }

    /// Replaces the directory atomically.
    pub fn replace_directory(&self, directory: Directory) {
        self.directory.store(Arc::new(directory));
    }
}

/// Runs `f`, which may read the text index, on `dir`: at once when the directory is ready,
/// else on the blocking pool, since the text index of a directory loaded from files is still
/// being built then and a search waits for it; the async workers stay free meanwhile for
/// `/api/health` and the spatial queries.
pub async fn with_text_index<T: Send + 'static>(
    dir: Arc<Directory>,
    f: impl FnOnce(&Directory) -> T + Send + 'static,
) -> T {
    if dir.in_preparation().is_empty() {
        return f(&dir);
    }
    match tokio::task::spawn_blocking(move || f(&dir)).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
