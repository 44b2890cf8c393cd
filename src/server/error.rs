//! API errors: an HTTP status with a French `{"erreur", "detail"}` body, plus the field
//! (`champ`, `attendu`, `trouve`) of a rejected value and the current version (`actuel`) of a
//! stale write. Store, validation, import, analysis and export errors convert with `?`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::analysis::AnalysisError;
use crate::export::diagnostic::ExportError;
use crate::model::partner_field::FieldError;
use crate::store::import::ImportError;
use crate::store::StoreError;

/// `erreur` of a 412 on a stale `If-Match`: [`ApiError::with_current`] completes it.
const STALE: &str = "version périmée";

/// An error answered to an API client.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error, utoipa::ToSchema)]
#[error("{erreur} : {detail}")]
#[schema(as = Erreur)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    /// What went wrong, in French.
    pub erreur: String,
    /// Details: the parameter or field, what was expected, what was found.
    pub detail: String,
    /// A rejected field value (400 on a partner or annotation field).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub field: Option<Box<FieldError>>,
    /// The current version of a partner, on a 412 for a stale `If-Match`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub actuel: Option<Box<serde_json::Value>>,
    /// `ETag` of that current version.
    #[serde(skip)]
    pub etag: Option<String>,
}

impl ApiError {
    /// An error of this status.
    pub fn new(status: u16, erreur: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            erreur: erreur.into(),
            detail: detail.into(),
            field: None,
            actuel: None,
            etag: None,
        }
    }

    /// 400 for a bad parameter, naming it and what is allowed.
    pub fn bad_param(name: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(400, format!("paramètre « {name} » invalide"), detail)
    }

    /// 400 for a missing parameter.
    pub fn missing(name: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(400, format!("paramètre « {name} » manquant"), detail)
    }

    pub fn bad_request(erreur: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::new(400, erreur, detail)
    }

    pub fn not_found(erreur: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::new(404, erreur, detail)
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "corps de requête trop volumineux",
            format!("la taille maximale est de {} Kio", limit / 1024),
        )
    }

    /// 500, logged.
    pub fn internal(erreur: impl Into<String>, detail: impl std::fmt::Display) -> ApiError {
        let e = ApiError::new(500, erreur, detail.to_string());
        tracing::error!("{e}");
        e
    }

    /// 401 with a French explanation (and a `WWW-Authenticate` header).
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(401, "authentification requise", detail)
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(403, "accès refusé", detail)
    }

    /// Attaches the current version of the partner to a 412 for a stale `If-Match` (other
    /// errors pass through).
    pub fn with_current(
        mut self,
        current: impl FnOnce() -> Option<(serde_json::Value, String)>,
    ) -> ApiError {
        if self.status == 412 && self.erreur == STALE {
            if let Some((json, etag)) = current() {
                self.actuel = Some(Box::new(json));
                self.etag = Some(etag);
            }
        }
        self
    }
}

impl From<FieldError> for ApiError {
    fn from(f: FieldError) -> ApiError {
        ApiError {
            field: Some(Box::new(f.clone())),
            ..ApiError::bad_request(
                format!("champ « {} » invalide", f.champ),
                format!("attendu {}, trouvé « {} »", f.attendu, f.trouve),
            )
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Invalid(f) => f.into(),
            StoreError::NotFound(_) | StoreError::NoSuchVersion { .. } => {
                ApiError::not_found("introuvable", e.to_string())
            }
            // The `If-Match` precondition failed (RFC 9110 §13.1.1): 412, not a conflict.
            StoreError::Conflict { .. } => ApiError::new(
                412,
                STALE,
                format!("{e} ; relisez la version actuelle (champ « actuel ») avant de modifier"),
            ),
            StoreError::Exists(_) | StoreError::Archived(_) => {
                ApiError::new(409, "conflit", e.to_string())
            }
            StoreError::UnknownToken(_) => ApiError::not_found("jeton inconnu", e.to_string()),
            _ => ApiError::internal("erreur interne de la base", e),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> ApiError {
        match e {
            ImportError::File(d) => ApiError::bad_request("fichier refusé", d),
            ImportError::Store(e) => e.into(),
        }
    }
}

impl From<AnalysisError> for ApiError {
    fn from(e: AnalysisError) -> ApiError {
        match &e {
            AnalysisError::UnknownTerritory { .. } => {
                ApiError::bad_param("territory", e.to_string())
            }
            AnalysisError::UnknownKind { .. } => ApiError::bad_param("kinds", e.to_string()),
            AnalysisError::Parameter { name, .. } => ApiError::bad_param(name, e.to_string()),
            AnalysisError::Supply { .. } => ApiError::bad_request("offre invalide", e.to_string()),
            AnalysisError::Routing(_) => {
                ApiError::new(503, "moteur de routage indisponible", e.to_string())
            }
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> ApiError {
        match e {
            ExportError::Analysis(a) => a.into(),
            ExportError::UnknownIndicator(_) => ApiError::bad_param("indicateur", e.to_string()),
            ExportError::KindNotInDiagnostic(..) => ApiError::bad_param("kind", e.to_string()),
            other => ApiError::internal("export impossible", other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let etag = self.etag.clone();
        let mut r = super::respond::json_status(status, &self);
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"maillage\""),
            );
        }
        if let Some(v) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
            r.headers_mut().insert(header::ETAG, v);
        }
        r
    }
}
