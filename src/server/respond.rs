//! Response helpers shared by every resource: JSON and GeoJSON written straight into one
//! buffer (no intermediate JSON tree), `no-store`, `ETag`, request bodies, blocking work.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;

/// What a handler answers.
pub type ApiResult = Result<Response, ApiError>;

pub const JSON: &str = "application/json";
pub const GEOJSON: &str = "application/geo+json";
pub const GPKG: &str = crate::export::gpkg::MEDIA_TYPE;

/// Serialises `value` into one buffer with this status and content type.
pub fn body<T: Serialize + ?Sized>(
    status: StatusCode,
    value: &T,
    content_type: &'static str,
) -> Response {
    match serde_json::to_vec(value) {
        Ok(buf) => (status, [(header::CONTENT_TYPE, content_type)], buf).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("erreur de sérialisation : {e}"),
        )
            .into_response(),
    }
}

/// `200` with a body of this JSON content type.
pub fn typed<T: Serialize + ?Sized>(value: &T, content_type: &'static str) -> Response {
    body(StatusCode::OK, value, content_type)
}

/// `200` with a JSON body.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Response {
    typed(value, JSON)
}

/// A JSON body with this status.
pub fn json_status<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    body(status, value, JSON)
}

/// `200` with a GeoJSON body.
pub fn geojson<T: Serialize + ?Sized>(value: &T) -> Response {
    typed(value, GEOJSON)
}

/// `200` with a GeoPackage to download under `file_name` (`application/geopackage+sqlite3`).
pub fn gpkg(bytes: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, GPKG.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Marks a response as not to be cached (private or changing data).
pub fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Sets the `ETag` of a response (ignored when not a valid header value).
pub fn with_etag(mut r: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Reads a request body of at most `limit` bytes (413 beyond).
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// A request body sent to a JSON route must say it is JSON (`Content-Type: application/json`
/// or another `+json` type): 415 otherwise, so that a plain HTML form or a `text/plain`
/// request from another site cannot pass for one.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == JSON || (essence.starts_with("application/") && essence.ends_with("+json")) {
        return Ok(());
    }
    let found = if ct.is_empty() { "aucun" } else { ct };
    Err(ApiError::new(
        415,
        "type de contenu non pris en charge",
        format!(
            "corps JSON attendu : en-tête « Content-Type: application/json », trouvé « {found} »"
        ),
    ))
}

/// Parses a JSON body (its `Content-Type` checked by [`require_json`]), naming the line and
/// column of a syntax error.
pub fn parse_json(headers: &HeaderMap, bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    require_json(headers)?;
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "corps JSON invalide",
            format!("ligne {}, colonne {} : {e}", e.line(), e.column()),
        )
    })
}

/// Runs blocking work (SQLite) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal("erreur interne", e))?
}
