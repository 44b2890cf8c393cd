//! The HTTP server: configuration, routes and middleware, and the embedded map page.
//!
//! A thin layer over the library: [`state`] (what handlers share), [`error`] (one error type
//! every library error converts into), [`respond`] (response helpers), [`auth`] (who calls),
//! [`params`] (query parameters), then one file per resource, each exporting its routes
//! (`routes()`), gathered in [`resources`]. Adding a route: its handler in the resource's
//! file, one line in that file's `routes()`; a new resource: its file and one line in
//! [`resources`]. The OpenAPI document ([`openapi`]) is generated from the same routes.

pub mod actors;
pub mod analysis;
pub mod annotations;
pub mod auth;
pub mod error;
pub mod listen;
pub mod meta;
pub mod openapi;
pub mod orientation;
pub mod params;
pub mod partners;
pub mod places;
pub mod respond;
pub mod routing;
pub mod session;
pub mod state;
pub mod web;

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;

/// Default raster tiles (OpenStreetMap); the page works without them.
pub const DEFAULT_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// Bodies larger than this are compressed when the client asks (`Accept-Encoding`); smaller
/// ones gain too little to pay for it.
pub const COMPRESS_ABOVE: u16 = 2048;

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
    /// Road travel times (`servir --routage`); `None`: estimates.
    pub routing: Option<std::sync::Arc<crate::routing::Engine>>,
    /// The engine failing mid-run: answer with estimates (labelled) instead of an error.
    pub routing_fallback: bool,
    /// Served behind a trusted reverse proxy (`--derriere-proxy`): the client address, host
    /// and scheme are read from `X-Forwarded-For`, `X-Forwarded-Host`, `X-Forwarded-Proto`.
    /// Off, those headers are ignored (anyone can send them).
    pub behind_proxy: bool,
    /// Timeouts and the cap on open connections.
    pub limits: listen::ConnLimits,
    /// Public address of the service (`https://carte.cpts-exemple.fr`) for every absolute link
    /// (sheet link and QR code); `None`: the address the client used.
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tiles: Some(DEFAULT_TILES.to_string()),
            attribution: "© les contributeurs d'OpenStreetMap".to_string(),
            title: "maillage – ressources du territoire".to_string(),
            routing: None,
            routing_fallback: false,
            behind_proxy: false,
            limits: listen::ConnLimits::default(),
            public_url: None,
        }
    }
}

pub use state::AppState;

/// The routes of every resource (the registry).
pub fn resources() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::root())
        .merge(actors::routes())
        .merge(places::routes())
        .merge(meta::routes())
        .merge(orientation::routes())
        .merge(analysis::routes())
        .merge(routing::routes())
        .merge(partners::routes())
        .merge(annotations::routes())
        .merge(session::routes())
}

/// Every route with its middleware. The caller is identified outside the concurrency limit:
/// a refused token (401, 429) is answered without taking a slot.
pub fn router(state: AppState) -> Router {
    let (api, _) = resources().split_for_parts();
    let api = api.route("/api/{*rest}", get(meta::not_found_api));
    api.merge(web::router())
        .with_state(state.clone())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            auth::identify_layer,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(actors::MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(error::french_errors))
        .layer(compression())
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

/// Compression: only when the client asks (`Accept-Encoding`, gzip) and the body is larger
/// than [`COMPRESS_ABOVE`], at the fastest level (a long answer costs a fraction of a
/// millisecond instead of several); never images or event streams.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(
            SizeAbove::new(COMPRESS_ABOVE)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        )
}

/// Errors of the server itself (not of a request).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "impossible d'écouter sur {addr} : {}",
        crate::util::os_error::describe(source)
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("le serveur s'est arrêté sur une erreur : {}", crate::util::os_error::describe(.0))]
    Serve(#[source] std::io::Error),
}

/// Serves until Ctrl-C (see [`listen`]: timeouts and the connection cap).
pub async fn serve(state: AppState) -> Result<(), ServeError> {
    let addr = state.config.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(ServeError::Serve)?;
    tracing::info!("maillage écoute sur http://{local}");
    orientation::spawn_sighup_reload(state.clone());
    let limits = state.config.limits.clone();
    let app = router(state);
    listen::serve(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
