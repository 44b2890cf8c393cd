//! Sessions of the page: a token exchanged for an `HttpOnly` cookie, who am I, logout.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{self, Caller, Who};
use super::error::ApiError;
use super::openapi::{tags, JsonObject};
use super::partners::MAX_JSON_BYTES;
use super::respond::{blocking, json, no_store, parse_json, read_body, ApiResult};
use super::AppState;
use crate::store::FieldError;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(session, login, logout))
}

/// Who the session is.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub connecte: bool,
    pub nom: Option<String>,
    /// `lecteur`, `editeur` or `admin`.
    pub role: Option<&'static str>,
    pub peut_modifier: bool,
}

fn session_json(c: Option<&Caller>) -> SessionInfo {
    SessionInfo {
        connecte: c.is_some(),
        nom: c.map(|c| c.principal.name.clone()),
        role: c.map(|c| c.principal.role.id()),
        peut_modifier: c.is_some_and(Caller::can_write),
    }
}

/// `GET /api/session`: who am I.
#[utoipa::path(get, path = "/api/session", tag = tags::SESSION,
    summary = "Qui suis-je : nom et rôle de la session",
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "Session", body = SessionInfo),
        (status = 503, description = "Serveur démarré sans base de partenaires", body = ApiError)))]
pub async fn session(State(st): State<AppState>, who: Who) -> ApiResult {
    st.partner_service()?;
    Ok(json(&session_json(who.0.as_ref())))
}

/// `POST /api/session` with `{"jeton": "mlg_…"}` (or a bearer header): sets the session cookie.
#[utoipa::path(post, path = "/api/session", tag = tags::SESSION,
    summary = "Échanger un jeton contre un cookie de session (HttpOnly, SameSite=Strict)",
    request_body(content = JsonObject, description = "{\"jeton\": \"mlg_…\"} (ou un en-tête Authorization: Bearer)"),
    responses(
        (status = 200, description = "Session ouverte (Set-Cookie)", body = SessionInfo),
        (status = 400, description = "Jeton absent ou corps invalide", body = ApiError),
        (status = 401, description = "Jeton refusé", body = ApiError),
        (status = 403, description = "Origin d'un autre site", body = ApiError),
        (status = 413, description = "Corps trop volumineux", body = ApiError),
        (status = 503, description = "Serveur démarré sans base de partenaires", body = ApiError)))]
pub async fn login(State(st): State<AppState>, req: Request) -> ApiResult {
    let svc = st.partner_service()?;
    let ip = auth::peer(&req);
    let (parts, body) = req.into_parts();
    if parts.headers.contains_key(header::ORIGIN) {
        // A login from another site would plant that site's session.
        auth::check_origin(&Method::POST, &parts.headers, auth::Via::Session)?;
    }
    let bytes = read_body(body, MAX_JSON_BYTES).await?;
    let secret = match auth::bearer(&parts.headers)? {
        Some(s) => s.to_string(),
        None => {
            let v = parse_json(&bytes)?;
            v.get("jeton")
                .and_then(|j| j.as_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    FieldError::new("jeton", "le jeton reçu à sa création (mlg_…)", "rien")
                })?
        }
    };
    let wait = st.limiter.delay(ip);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let found = blocking(move || {
        let p = svc.store.authenticate(&secret)?;
        let session = match &p {
            Some(p) => Some(svc.store.create_session(p)?),
            None => None,
        };
        Ok((p, session))
    })
    .await?;
    match found {
        (Some(p), Some(cookie)) => {
            st.limiter.succeeded(ip);
            let caller = Caller {
                principal: p,
                via: auth::Via::Session,
            };
            let mut r = json(&session_json(Some(&caller)));
            r.headers_mut().insert(
                header::SET_COOKIE,
                auth::session_cookie(
                    &cookie,
                    &parts.headers,
                    crate::store::tokens::SESSION_SECONDS,
                ),
            );
            Ok(no_store(r))
        }
        _ => {
            st.limiter.failed(ip);
            Err(ApiError::unauthorized("jeton inconnu ou révoqué"))
        }
    }
}

/// `DELETE /api/session`: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/session", tag = tags::SESSION,
    summary = "Fermer la session",
    security((), ("session" = [])),
    responses(
        (status = 200, description = "Session fermée", body = SessionInfo),
        (status = 403, description = "Origin d'un autre site", body = ApiError),
        (status = 503, description = "Serveur démarré sans base de partenaires", body = ApiError)))]
pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> ApiResult {
    let svc = st.partner_service()?;
    if let Some(secret) = auth::cookie_value(&headers, auth::SESSION_COOKIE) {
        auth::check_origin(&Method::DELETE, &headers, auth::Via::Session)?;
        let secret = secret.to_string();
        blocking(move || Ok(svc.store.delete_session(&secret)?)).await?;
    }
    let mut r = json(&session_json(None));
    r.headers_mut()
        .insert(header::SET_COOKIE, auth::session_cookie("", &headers, 0));
    Ok(r)
}
