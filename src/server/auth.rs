//! Who is calling: bearer tokens, session cookies, roles, `Origin` checks on cookie writes,
//! and slowing down repeated failed logins from one address.
//!
//! - `Authorization: Bearer mlg_…` authenticates an API client; the page exchanges a token for
//!   a session cookie on `POST /api/session` (`HttpOnly`, `SameSite=Strict`, `Secure` behind
//!   HTTPS).
//! - A write with a session cookie must carry an `Origin` equal to the server's own
//!   (`Host`, or `X-Forwarded-Host` behind a proxy).
//! - Secrets are never logged; the store compares hashes in constant time.
//!
//! ```
//! use maillage::server::auth::cookie_value;
//! let mut h = axum::http::HeaderMap::new();
//! h.insert("cookie", "a=1; maillage_session=abc; b=2".parse().unwrap());
//! assert_eq!(cookie_value(&h, "maillage_session"), Some("abc"));
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;
use crate::store::{Author, PartnerService, Principal, Store};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "maillage_session";

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Session,
}

/// An authenticated caller and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub via: Via,
}

impl Caller {
    /// May see private fields and write.
    pub fn can_write(&self) -> bool {
        self.principal.role.can_write()
    }
}

/// Reads one cookie from the `Cookie` headers.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The bearer secret of an `Authorization` header: `Ok(None)` without the header, an error
/// for another scheme.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().unwrap_or("");
    match v.split_once(' ') {
        Some((scheme, secret))
            if scheme.eq_ignore_ascii_case("bearer") && !secret.trim().is_empty() =>
        {
            Ok(Some(secret.trim()))
        }
        _ => Err(ApiError::unauthorized(
            "en-tête Authorization invalide : « Authorization: Bearer <jeton> » attendu",
        )),
    }
}

/// Failed tokens, counted per token prefix and per client address, never by waiting: the
/// server answers at once, `401` for the first failures then `429` with `Retry-After`.
///
/// - The same wrong token (its first [`PREFIX_CHARS`] characters) tried [`PREFIX_FAILURES`]
///   times is refused for the rest of the window without even being looked up.
/// - An address with [`ADDR_FAILURES`] failures in the window gets `429` for every further
///   unknown token (still looked up: a valid token from the same address, such as every user
///   behind one reverse proxy, is never refused nor delayed).
/// - Anonymous requests and valid tokens never wait; nothing sleeps, nothing holds a worker.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<LimitKey, (u32, Instant)>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LimitKey {
    Prefix(String),
    Addr(IpAddr),
}

/// Length of the token prefix the limit is keyed on (`mlg_` and 8 random characters).
pub const PREFIX_CHARS: usize = 12;
/// Failures of one token prefix before it is refused for the window.
pub const PREFIX_FAILURES: u32 = 3;
/// Failures from one address before its unknown tokens get `429`.
pub const ADDR_FAILURES: u32 = 20;
/// How long failures are remembered.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(300);
/// Keys kept at most (older windows are dropped beyond).
const MAX_KEYS: usize = 100_000;

fn prefix_key(secret: &str) -> LimitKey {
    LimitKey::Prefix(secret.chars().take(PREFIX_CHARS).collect())
}

impl LoginLimiter {
    fn over(&self, key: &LimitKey, limit: u32) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(&(n, since)) if n >= limit && since.elapsed() < FAILURE_WINDOW => {
                Some(FAILURE_WINDOW - since.elapsed())
            }
            _ => None,
        }
    }

    /// Before looking a token up: `Some(wait)` when this token was already refused too often.
    pub fn blocked(&self, secret: &str) -> Option<Duration> {
        self.over(&prefix_key(secret), PREFIX_FAILURES)
    }

    /// Records a failed token from `ip`; `Some(wait)` when the caller must now get `429`.
    pub fn failed(&self, secret: &str, ip: Option<IpAddr>) -> Option<Duration> {
        {
            let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() >= MAX_KEYS {
                map.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
                if map.len() >= MAX_KEYS {
                    map.clear();
                }
            }
            let keys = std::iter::once(prefix_key(secret)).chain(ip.map(LimitKey::Addr));
            for key in keys {
                let e = map.entry(key).or_insert((0, Instant::now()));
                if e.1.elapsed() >= FAILURE_WINDOW {
                    *e = (0, Instant::now());
                }
                e.0 = e.0.saturating_add(1);
            }
        }
        let by_prefix = self.over(&prefix_key(secret), PREFIX_FAILURES + 1);
        by_prefix.or_else(|| ip.and_then(|ip| self.over(&LimitKey::Addr(ip), ADDR_FAILURES + 1)))
    }

    /// A token was accepted: its prefix is forgotten (the address keeps its count).
    pub fn succeeded(&self, secret: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&prefix_key(secret));
    }
}

/// The address of the TCP peer, when the server was started with connection info.
pub fn peer<B>(req: &Request<B>) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address: the TCP peer, or behind a trusted reverse proxy
/// (`--derriere-proxy`) the last address of `X-Forwarded-For`, the one the proxy saw.
///
/// ```
/// use maillage::server::auth::client_ip;
/// let mut h = axum::http::HeaderMap::new();
/// h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
/// let proxy = Some("127.0.0.1".parse().unwrap());
/// assert_eq!(client_ip(&h, proxy, false), proxy);
/// assert_eq!(client_ip(&h, proxy, true), Some("203.0.113.9".parse().unwrap()));
/// ```
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, behind_proxy: bool) -> Option<IpAddr> {
    if !behind_proxy {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back()
        .or(peer)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal("erreur interne de la base", e)
}

/// Identifies the caller: bearer token first, else session cookie, else anonymous.
/// A wrong bearer token is a 401 (and counts as a failed login; 429 with `Retry-After` once
/// the [`LoginLimiter`] says so); a stale cookie is anonymous. Nothing here waits.
pub async fn identify(
    store: &Arc<Store>,
    limiter: &LoginLimiter,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Option<Caller>, ApiError> {
    if let Some(secret) = bearer(headers)? {
        let principal = check_token(store, limiter, secret, ip).await?;
        return Ok(Some(Caller {
            principal,
            via: Via::Bearer,
        }));
    }
    if let Some(secret) = cookie_value(headers, SESSION_COOKIE) {
        let secret = secret.to_string();
        let s = Arc::clone(store);
        let found = tokio::task::spawn_blocking(move || s.session(&secret))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        return Ok(found.map(|p| Caller {
            principal: p,
            via: Via::Session,
        }));
    }
    Ok(None)
}

/// Looks a token up through the [`LoginLimiter`]: its holder, 401 for an unknown or revoked
/// token, 429 (`Retry-After`) once the same token or the same address failed too often.
pub async fn check_token(
    store: &Arc<Store>,
    limiter: &LoginLimiter,
    secret: &str,
    ip: Option<IpAddr>,
) -> Result<Principal, ApiError> {
    if let Some(wait) = limiter.blocked(secret) {
        return Err(ApiError::too_many_attempts(wait));
    }
    let owned = secret.to_string();
    let s = Arc::clone(store);
    let found = tokio::task::spawn_blocking(move || s.authenticate(&owned))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    match found {
        Some(p) => {
            limiter.succeeded(secret);
            Ok(p)
        }
        None => Err(match limiter.failed(secret, ip) {
            Some(wait) => ApiError::too_many_attempts(wait),
            None => ApiError::unauthorized("jeton inconnu ou révoqué"),
        }),
    }
}

/// The origin (`scheme://host[:port]`, lower case) the server is reached at: from `Host`
/// over plain HTTP, or behind a trusted reverse proxy (`--derriere-proxy`) from
/// `X-Forwarded-Proto` and `X-Forwarded-Host` when present.
///
/// ```
/// use maillage::server::auth::own_origin;
/// let mut h = axum::http::HeaderMap::new();
/// h.insert("host", "127.0.0.1:8080".parse().unwrap());
/// h.insert("x-forwarded-host", "evil.example".parse().unwrap());
/// h.insert("x-forwarded-proto", "https".parse().unwrap());
/// assert_eq!(own_origin(&h, false).as_deref(), Some("http://127.0.0.1:8080"));
/// assert_eq!(own_origin(&h, true).as_deref(), Some("https://evil.example"));
/// ```
pub fn own_origin(headers: &HeaderMap, behind_proxy: bool) -> Option<String> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|h| h.split(',').next().unwrap_or("").trim())
            .filter(|h| !h.is_empty())
    };
    let forwarded = |name| if behind_proxy { get(name) } else { None };
    let host = forwarded("x-forwarded-host").or_else(|| get(header::HOST.as_str()))?;
    let scheme = forwarded("x-forwarded-proto").unwrap_or("http");
    Some(format!("{scheme}://{host}").to_ascii_lowercase())
}

/// The request came over HTTPS (only a trusted proxy can say so: `--derriere-proxy`).
pub fn over_https(headers: &HeaderMap, behind_proxy: bool) -> bool {
    own_origin(headers, behind_proxy).is_some_and(|o| o.starts_with("https://"))
}

/// A state-changing request carried by a cookie must come from the page itself: its `Origin`
/// (scheme, host and port) must be the server's.
pub fn check_origin(
    method: &Method,
    headers: &HeaderMap,
    via: Via,
    behind_proxy: bool,
) -> Result<(), ApiError> {
    if via != Via::Session || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::forbidden("en-tête Origin absent : une modification par cookie de session doit venir de la page de maillage"))?;
    match own_origin(headers, behind_proxy) {
        Some(own) if own == origin.trim().to_ascii_lowercase() => Ok(()),
        _ => Err(ApiError::forbidden(format!(
            "origine « {origin} » refusée : les modifications par cookie de session doivent venir de la page de maillage"
        ))),
    }
}

/// Requires a caller allowed to write.
pub fn require_writer(caller: Option<&Caller>) -> Result<&Caller, ApiError> {
    let c = caller.ok_or_else(|| {
        ApiError::unauthorized("cette modification demande un jeton d'éditeur ou d'administrateur (« Authorization: Bearer <jeton> » ou connexion sur la page)")
    })?;
    if !c.can_write() {
        return Err(ApiError::forbidden(format!(
            "le jeton « {} » a le rôle {} : seul un éditeur ou un administrateur peut modifier l'annuaire",
            c.principal.name,
            c.principal.role.id()
        )));
    }
    Ok(c)
}

/// The `Set-Cookie` value opening a session (`Secure` when the request came over HTTPS).
pub fn session_cookie(
    secret: &str,
    headers: &HeaderMap,
    behind_proxy: bool,
    max_age: i64,
) -> HeaderValue {
    let secure = if over_https(headers, behind_proxy) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("maillage_session=; Path=/; Max-Age=0"))
}

/// The refusals of every route that takes an [`Editor`], documented once for OpenAPI:
/// list it in `responses(...)` beside the route's own answers.
#[derive(utoipa::IntoResponses)]
pub enum EditorRefusals {
    #[response(status = 401, description = "Jeton absent, inconnu ou révoqué")]
    Unauthorized(ApiError),
    #[response(
        status = 403,
        description = "Rôle insuffisant, ou Origin d'un autre site pour un cookie"
    )]
    Forbidden(ApiError),
    #[response(
        status = 429,
        description = "Trop de jetons refusés : réessayer après le délai de l'en-tête Retry-After"
    )]
    TooManyFailures(ApiError),
    #[response(status = 503, description = "Serveur démarré sans base de partenaires")]
    NoBase(ApiError),
}

/// A write on the partner store, checked on extraction in this order: the partner service
/// (503 without a base), a caller allowed to write (401, 403), the `Origin` of a write by
/// cookie (403). Carries the author for the history and the request's headers (`If-Match`).
pub struct Editor {
    pub svc: Arc<PartnerService>,
    pub author: Author,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let svc = st.partner_service()?;
        let who = Who(parts.extensions.get::<Caller>().cloned());
        who.writer(&parts.method, &parts.headers, st.config.behind_proxy)?;
        Ok(Editor {
            svc,
            author: who.author(),
            headers: parts.headers.clone(),
        })
    }
}

/// Paths open without a token even with `--lecture-authentifiee`: the page's own static files
/// and the few API routes the page needs to log in. Everything else that shows data (the API,
/// the printable orientation sheets, exports) follows the read policy.
pub fn open_path(path: &str) -> bool {
    matches!(
        path,
        "/api/session" | "/api/health" | "/api/config" | "/api/partenaires/champs"
    ) || super::web::is_static(path)
}

/// Identifies the caller of every request (bearer token or session cookie) and, with
/// `--lecture-authentifiee`, refuses anonymous reads of anything but [`open_path`]. The caller is left in the request's
/// extensions for the handlers ([`Who`]).
pub async fn identify_layer(
    State(st): State<AppState>,
    mut req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let Some(svc) = st.partners.clone() else {
        return next.run(req).await;
    };
    let ip = client_ip(req.headers(), peer(&req), st.config.behind_proxy);
    match identify(&svc.store, &st.limiter, req.headers(), ip).await {
        Err(e) => e.into_response(),
        Ok(caller) => {
            if st.read_requires_token && caller.is_none() && !open_path(req.uri().path()) {
                return ApiError::unauthorized(
                    "ce serveur demande un jeton même pour lire (« Authorization: Bearer <jeton> » ou connexion sur la page)",
                )
                .into_response();
            }
            if let Some(c) = caller {
                req.extensions_mut().insert(c);
            }
            next.run(req).await
        }
    }
}

/// The caller found by [`identify_layer`], if any.
pub struct Who(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for Who {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Who(parts.extensions.get::<Caller>().cloned()))
    }
}

impl Who {
    /// May see private fields.
    pub fn private(&self) -> bool {
        self.0.as_ref().is_some_and(Caller::can_write)
    }

    /// The author written in the history.
    pub fn author(&self) -> Author {
        match &self.0 {
            Some(c) => Author::new(format!("{} ({})", c.principal.name, c.principal.role.id())),
            None => Author::new("anonyme"),
        }
    }

    /// The caller of a write: allowed to write, and from the page itself when by cookie.
    pub fn writer(
        &self,
        method: &Method,
        headers: &HeaderMap,
        behind_proxy: bool,
    ) -> Result<&Caller, ApiError> {
        let c = require_writer(self.0.as_ref())?;
        check_origin(method, headers, c.via, behind_proxy)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_checked_only_for_cookie_writes() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(check_origin(&Method::POST, &h, Via::Bearer, false).is_ok());
        assert!(check_origin(&Method::GET, &h, Via::Session, false).is_ok());
        assert_eq!(
            check_origin(&Method::POST, &h, Via::Session, false)
                .unwrap_err()
                .status,
            403
        );
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert_eq!(
            check_origin(&Method::PUT, &h, Via::Session, false)
                .unwrap_err()
                .status,
            403
        );
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(check_origin(&Method::PUT, &h, Via::Session, false).is_ok());
    }

    #[test]
    fn failures_are_limited_by_prefix_and_by_address_without_waiting() {
        let l = LoginLimiter::default();
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        // The same wrong token: 401 three times, then refused before any lookup.
        for _ in 0..PREFIX_FAILURES {
            assert!(l.blocked("mlg_same_bad_token").is_none());
            assert!(l.failed("mlg_same_bad_token", ip).is_none());
        }
        let wait = l.blocked("mlg_same_bad_token").expect("blocked");
        assert!(wait > Duration::ZERO && wait <= FAILURE_WINDOW);
        assert!(l.blocked("mlg_another_token").is_none());
        // New tokens each time from one address: 429 after ADDR_FAILURES.
        let other: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        let mut limited = 0;
        for i in 0..ADDR_FAILURES + 5 {
            if l.failed(&format!("mlg_{i:08}_guess"), other).is_some() {
                limited += 1;
            }
        }
        assert_eq!(limited, 5);
        // Another address is not concerned, and a success forgets its prefix.
        assert!(l
            .failed("mlg_x0000000_fresh", Some("10.0.0.3".parse().unwrap()))
            .is_none());
        l.succeeded("mlg_same_bad_token");
        assert!(l.blocked("mlg_same_bad_token").is_none());
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h).unwrap(), None);
        h.insert(header::AUTHORIZATION, "Bearer mlg_x".parse().unwrap());
        assert_eq!(bearer(&h).unwrap(), Some("mlg_x"));
        h.insert(header::AUTHORIZATION, "Basic eDp5".parse().unwrap());
        assert_eq!(bearer(&h).unwrap_err().status, 401);
    }
}
