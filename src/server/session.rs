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
        (status = 429, description = "Trop de jetons refusés (en-tête Retry-After)", body = ApiError),
        (status = 403, description = "Origin d'un autre site", body = ApiError),
        (status = 413, description = "Corps trop volumineux", body = ApiError),
        (status = 415, description = "Corps qui n'est pas du JSON (Content-Type)", body = ApiError),
        (status = 503, description = "Serveur démarré sans base de partenaires", body = ApiError)))]
pub async fn login(State(st): State<AppState>, req: Request) -> ApiResult {
    let svc = st.partner_service()?;
    let proxy = st.config.behind_proxy;
    let ip = auth::client_ip(req.headers(), auth::peer(&req), proxy);
    let (parts, body) = req.into_parts();
    if parts.headers.contains_key(header::ORIGIN) {
        // A login from another site would plant that site's session.
        auth::check_origin(&Method::POST, &parts.headers, auth::Via::Session, proxy)?;
    }
    let bytes = read_body(body, MAX_JSON_BYTES).await?;
    let secret = match auth::bearer(&parts.headers)? {
        Some(s) => s.to_string(),
        None => {
            let v = parse_json(&parts.headers, &bytes)?;
            v.get("jeton")
                .and_then(|j| j.as_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    FieldError::new("jeton", "le jeton reçu à sa création (mlg_…)", "rien")
                })?
        }
    };
    let p = auth::check_token(&svc.store, &st.limiter, &secret, ip).await?;
    let store = std::sync::Arc::clone(&svc.store);
    let (p, cookie) = blocking(move || {
        let cookie = store.create_session(&p)?;
        Ok((p, cookie))
    })
    .await?;
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
            proxy,
            crate::store::tokens::SESSION_SECONDS,
        ),
    );
    Ok(no_store(r))
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
        auth::check_origin(
            &Method::DELETE,
            &headers,
            auth::Via::Session,
            st.config.behind_proxy,
        )?;
        let secret = secret.to_string();
        blocking(move || Ok(svc.store.delete_session(&secret)?)).await?;
    }
    let mut r = json(&session_json(None));
    r.headers_mut().insert(
        header::SET_COOKIE,
        auth::session_cookie("", &headers, st.config.behind_proxy, 0),
    );
    Ok(r)
}
