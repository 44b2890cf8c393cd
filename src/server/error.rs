//! API errors: an HTTP status with a French `{"erreur", "detail"}` body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to an API client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{erreur} : {detail}")]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub erreur: String,
    pub detail: String,
}

impl ApiError {
    /// 400 for a bad parameter, naming it and what is allowed.
    pub fn bad_param(name: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            erreur: format!("paramètre « {name} » invalide"),
            detail: detail.into(),
        }
    }

    /// 400 for a missing parameter.
    pub fn missing(name: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            erreur: format!("paramètre « {name} » manquant"),
            detail: detail.into(),
        }
    }

    pub fn bad_request(erreur: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            erreur: erreur.into(),
            detail: detail.into(),
        }
    }

    pub fn not_found(erreur: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            erreur: erreur.into(),
            detail: detail.into(),
        }
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError {
            status: 413,
            erreur: "corps de requête trop volumineux".into(),
            detail: format!("la taille maximale est de {} Kio", limit / 1024),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self)).into_response()
    }
}
