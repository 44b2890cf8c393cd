//! The HTTP server: configuration, shared state, routes and the embedded map page.
//!
//! Layout follows maplibre `martin`: [`ServerConfig`] (what the user sets), [`AppState`] (the
//! directory behind an atomic pointer, swapped whole when data changes), [`router`] (routes and
//! middleware), [`routes`] (handlers), [`json`] (GeoJSON output), [`web`] (embedded page).

pub mod error;
pub mod json;
pub mod openapi;
pub mod params;
pub mod routes;
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
}

impl AppState {
    pub fn new(directory: Directory, config: ServerConfig) -> AppState {
        AppState {
            directory: Arc::new(ArcSwap::from_pointee(directory)),
            config: Arc::new(config),
        }
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
        .route("/api/{*rest}", get(routes::not_found_api));
    api.merge(web::router())
        .with_state(state)
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
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(ServeError::Serve)
}
