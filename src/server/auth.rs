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

/// Failed logins per client address: after a few failures each new attempt waits longer
/// (up to 10 s); a success or 15 quiet minutes forget them.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Failures allowed before attempts are slowed down.
const FREE_FAILURES: u32 = 3;

impl LoginLimiter {
    /// How long the next attempt from `ip` must wait.
    pub fn delay(&self, ip: Option<IpAddr>) -> Duration {
        let Some(ip) = ip else { return Duration::ZERO };
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&ip) {
            Some(&(n, last)) if n >= FREE_FAILURES && last.elapsed() < Duration::from_secs(900) => {
                let exp = (n - FREE_FAILURES).min(6);
                Duration::from_millis(200 << exp).min(Duration::from_secs(10))
            }
            _ => Duration::ZERO,
        }
    }

    pub fn failed(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, last)| last.elapsed() < Duration::from_secs(900));
        }
        let e = map.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= Duration::from_secs(900) {
            e.0 = 0;
        }
        e.0 += 1;
        e.1 = Instant::now();
    }

    pub fn succeeded(&self, ip: Option<IpAddr>) {
        if let Some(ip) = ip {
            self.failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&ip);
        }
    }
}

/// The client address, when the server was started with connection info.
pub fn peer<B>(req: &Request<B>) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal("erreur interne de la base", e)
}

/// Identifies the caller: bearer token first, else session cookie, else anonymous.
/// A wrong bearer token is a 401 (and counts as a failed login); a stale cookie is anonymous.
pub async fn identify(
    store: &Arc<Store>,
    limiter: &LoginLimiter,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Option<Caller>, ApiError> {
    if let Some(secret) = bearer(headers)? {
        let wait = limiter.delay(ip);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let secret = secret.to_string();
        let s = Arc::clone(store);
        let found = tokio::task::spawn_blocking(move || s.authenticate(&secret))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        return match found {
            Some(p) => {
                limiter.succeeded(ip);
                Ok(Some(Caller {
                    principal: p,
                    via: Via::Bearer,
                }))
            }
            None => {
                limiter.failed(ip);
                Err(ApiError::unauthorized("jeton inconnu ou révoqué"))
            }
        };
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

/// The origin the server is reached at, from `X-Forwarded-Host` or `Host`.
fn own_host(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .map(|h| h.split(',').next().unwrap_or("").trim())
}

/// A state-changing request carried by a cookie must come from the page itself: its `Origin`
/// host must be the server's.
pub fn check_origin(method: &Method, headers: &HeaderMap, via: Via) -> Result<(), ApiError> {
    if via != Via::Session || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::forbidden("en-tête Origin absent : une modification par cookie de session doit venir de la page de maillage"))?;
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    match own_host(headers) {
        Some(h) if !h.is_empty() && h.eq_ignore_ascii_case(origin_host) => Ok(()),
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
pub fn session_cookie(secret: &str, headers: &HeaderMap, max_age: i64) -> HeaderValue {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("maillage_session=; Path=/; Max-Age=0"))
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
        who.writer(&parts.method, &parts.headers)?;
        Ok(Editor {
            svc,
            author: who.author(),
            headers: parts.headers.clone(),
        })
    }
}

/// Paths open without a token even with `--lecture-authentifiee`.
fn open_path(path: &str) -> bool {
    !path.starts_with("/api/")
        || matches!(
            path,
            "/api/session" | "/api/health" | "/api/config" | "/api/partenaires/champs"
        )
}

/// Identifies the caller of every request (bearer token or session cookie) and, with
/// `--lecture-authentifiee`, refuses anonymous API reads. The caller is left in the request's
/// extensions for the handlers ([`Who`]).
pub async fn identify_layer(
    State(st): State<AppState>,
    mut req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let Some(svc) = st.partners.clone() else {
        return next.run(req).await;
    };
    let ip = peer(&req);
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
    pub fn writer(&self, method: &Method, headers: &HeaderMap) -> Result<&Caller, ApiError> {
        let c = require_writer(self.0.as_ref())?;
        check_origin(method, headers, c.via)?;
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
        assert!(check_origin(&Method::POST, &h, Via::Bearer).is_ok());
        assert!(check_origin(&Method::GET, &h, Via::Session).is_ok());
        assert_eq!(
            check_origin(&Method::POST, &h, Via::Session)
                .unwrap_err()
                .status,
            403
        );
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert_eq!(
            check_origin(&Method::PUT, &h, Via::Session)
                .unwrap_err()
                .status,
            403
        );
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(check_origin(&Method::PUT, &h, Via::Session).is_ok());
    }

    #[test]
    fn failures_slow_down_then_reset() {
        let l = LoginLimiter::default();
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        for _ in 0..FREE_FAILURES {
            assert!(l.delay(ip).is_zero());
            l.failed(ip);
        }
        let d1 = l.delay(ip);
        l.failed(ip);
        let d2 = l.delay(ip);
        assert!(d1 > Duration::ZERO && d2 > d1, "{d1:?} {d2:?}");
        assert!(l.delay(Some("10.0.0.2".parse().unwrap())).is_zero());
        l.succeeded(ip);
        assert!(l.delay(ip).is_zero());
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
