//! Sessions of the page: a token exchanged for an `HttpOnly` cookie, who am I, logout.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use super::auth::{self, Caller, Who};
use super::error::ApiError;
use super::partners::MAX_JSON_BYTES;
use super::respond::{blocking, json, no_store, parse_json, read_body, ApiResult};
use super::AppState;
use crate::store::FieldError;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/api/session", get(session).post(login).delete(logout))
}

fn session_json(c: Option<&Caller>) -> serde_json::Value {
    match c {
        Some(c) => serde_json::json!({
            "connecte": true, "nom": c.principal.name, "role": c.principal.role.id(),
            "peut_modifier": c.can_write(),
        }),
        None => {
            serde_json::json!({"connecte": false, "nom": null, "role": null, "peut_modifier": false})
        }
    }
}

/// `GET /api/session`: who am I.
pub async fn session(State(st): State<AppState>, who: Who) -> ApiResult {
    st.partner_service()?;
    Ok(json(&session_json(who.0.as_ref())))
}

/// `POST /api/session` with `{"jeton": "mlg_…"}` (or a bearer header): sets the session cookie.
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
