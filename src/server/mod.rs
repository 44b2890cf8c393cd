//! The HTTP server: configuration, shared state, routes and the embedded map page.
//!
//! Layout follows maplibre `martin`: [`ServerConfig`] (what the user sets), [`AppState`] (the
//! directory behind an atomic pointer, swapped whole when data changes), [`router`] (routes and
//! middleware), [`routes`] (handlers), [`json`] (GeoJSON output), [`web`] (embedded page).

pub mod auth;
pub mod error;
pub mod json;
pub mod openapi;
pub mod params;
pub mod routes;
pub mod routes_analysis;
pub mod routes_orientation;
pub mod routes_partners;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::index::Directory;

/// Default raster tiles (OpenStreetMap); the page works without them.
pub const DEFAULT_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// Requests served at once; more wait their turn.
pub const MAX_CONCURRENT_REQUESTS: usize = 512;

/// What the user configures on `maillage serve`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// Raster tile URL template, or `None` for outlines only.
    pub tiles: Option<String>,
    pub attribution: String,
    pub title: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tiles: Some(DEFAULT_TILES.to_string()),
            attribution: "© les contributeurs d'OpenStreetMap".to_string(),
            title: "maillage – ressources du territoire".to_string(),
        }
    }
}

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    directory: Arc<ArcSwap<Directory>>,
    pub config: Arc<ServerConfig>,
    /// The CPTS's own partner store; `None` when served without a base (writes answer 503).
    pub partners: Option<Arc<routes_partners::PartnerService>>,
    /// Orientation procedures, swapped whole on reload (`SIGHUP`, `POST /api/admin/recharger`).
    procedures: Arc<ArcSwap<crate::orientation::ProcedureSet>>,
}

impl AppState {
    pub fn new(directory: Directory, config: ServerConfig) -> AppState {
        AppState {
            directory: Arc::new(ArcSwap::from_pointee(directory)),
            config: Arc::new(config),
            partners: None,
            procedures: Arc::new(ArcSwap::from_pointee(
                crate::orientation::ProcedureSet::empty(),
            )),
        }
    }

    /// With these orientation procedures.
    pub fn with_procedures(self, set: crate::orientation::ProcedureSet) -> AppState {
        self.replace_procedures(set);
        self
    }

    /// The current procedures; a reader keeps the version it got for its whole request.
    pub fn procedures(&self) -> Arc<crate::orientation::ProcedureSet> {
        self.procedures.load_full()
    }

    /// Replaces the procedures atomically.
    pub fn replace_procedures(&self, set: crate::orientation::ProcedureSet) {
        self.procedures.store(Arc::new(set));
    }

    /// With the partner store: its partners are put into the directory at once, and every
    /// committed change after that (`read_requires_token`: `serve --lecture-authentifiee`).
    pub fn with_store(
        directory: Directory,
        config: ServerConfig,
        store: crate::store::Store,
        read_requires_token: bool,
    ) -> Result<AppState, crate::store::StoreError> {
        let service = routes_partners::PartnerService::new(store, &directory, read_requires_token);
        let mut state = AppState::new(directory, config);
        state.partners = Some(Arc::new(service));
        if let Some(p) = &state.partners {
            p.publish(&state)?;
        }
        Ok(state)
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

/// Every route with its middleware.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/actors", get(routes::actors))
        .route("/api/actors/{id}", get(routes::actor))
        .route("/api/actors/{id}/zone", get(routes_orientation::actor_zone))
        .route("/api/competents", get(routes_orientation::competents))
        .route("/api/procedures", get(routes_orientation::procedures))
        .route("/api/procedures/{id}", get(routes_orientation::procedure))
        .route("/api/orientation", get(routes_orientation::orientation))
        .route(
            "/api/admin/recharger",
            axum::routing::post(routes_orientation::reload),
        )
        .route(
            "/orientation/{procedure}/{commune}",
            get(routes_orientation::sheet_page),
        )
        .route("/api/nearest", get(routes::nearest))
        .route(
            "/api/within",
            get(routes::within).post(routes::within_polygon),
        )
        .route("/api/search", get(routes::search))
        .route("/api/kinds", get(routes::kinds))
        .route("/api/communes", get(routes::communes))
        .route("/api/communes/{code}", get(routes::commune))
        .route("/api/territories", get(routes::territories))
        .route("/api/territories/{id}", get(routes::territory))
        .route("/api/sources", get(routes::sources))
        .route("/api/config", get(routes::config))
        .route("/api/health", get(routes::health))
        .route("/api/openapi.json", get(routes::openapi))
        .route(
            "/api/partenaires",
            get(routes_partners::list).post(routes_partners::create),
        )
        .route(
            "/api/partenaires/import",
            axum::routing::post(routes_partners::import),
        )
        .route(
            "/api/partenaires/{id}",
            get(routes_partners::get_one)
                .put(routes_partners::put)
                .patch(routes_partners::patch)
                .delete(routes_partners::archive),
        )
        .route(
            "/api/partenaires/{id}/restaurer",
            axum::routing::post(routes_partners::restore),
        )
        .route(
            "/api/partenaires/{id}/historique",
            get(routes_partners::history),
        )
        .route("/api/annotations", get(routes_partners::annotations))
        .route(
            "/api/annotations/{id}",
            get(routes_partners::annotation).put(routes_partners::put_annotation),
        )
        .route(
            "/api/session",
            get(routes_partners::session)
                .post(routes_partners::login)
                .delete(routes_partners::logout),
        )
        .route("/api/diagnostic", get(routes_analysis::diagnostic))
        .route(
            "/api/diagnostic/indicateurs",
            get(routes_analysis::indicators),
        )
        .route("/api/diagnostic.csv", get(routes_analysis::diagnostic_csv))
        .route(
            "/api/diagnostic.geojson",
            get(routes_analysis::diagnostic_geojson),
        )
        .route(
            "/api/diagnostic/carte.svg",
            get(routes_analysis::map_svg_route),
        )
        .route(
            "/api/diagnostic/carte.png",
            get(routes_analysis::map_png_route),
        )
        .route("/api/couverture", get(routes_analysis::couverture))
        .route("/api/accessibilite", get(routes_analysis::accessibilite))
        .route("/api/zones", get(routes_analysis::zones_route))
        .route("/api/{*rest}", get(routes::not_found_api));
    api.merge(web::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes_partners::identify_layer,
        ))
        .with_state(state)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(routes::MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(web::CSP),
        ))
}

/// Errors of the server itself (not of a request).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("impossible d'écouter sur {addr} : {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("le serveur s'est arrêté sur une erreur : {0}")]
    Serve(#[source] std::io::Error),
}

/// Serves until Ctrl-C.
pub async fn serve(state: AppState) -> Result<(), ServeError> {
    let addr = state.config.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    tracing::info!("maillage écoute sur http://{local}");
    routes_orientation::spawn_sighup_reload(state.clone());
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(ServeError::Serve)
}
