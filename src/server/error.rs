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
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{erreur} : {detail}")]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    /// What went wrong, in French.
    pub erreur: String,
    /// Details: the parameter or field, what was expected, what was found.
    pub detail: String,
    /// A rejected field value (400 on a partner or annotation field).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub field: Option<Box<FieldError>>,
    /// The current version of a partner, on a 412 for a stale `If-Match`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actuel: Option<Box<serde_json::Value>>,
    /// `ETag` of that current version.
    #[serde(skip)]
    pub etag: Option<String>,
    /// Seconds before trying again (`Retry-After` of a 429).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// The JSON body of every error, as documented: `erreur` and `detail` always, the rejected
/// field's `champ`, `attendu`, `trouve` on a 400 for a field, `actuel` on a stale write.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the JSON written by `ApiError`'s `Serialize`
struct Erreur {
    /// What went wrong, in French.
    erreur: String,
    /// Details: the parameter or field, what was expected, what was found.
    detail: String,
    /// The rejected field (400 on a partner or annotation field).
    champ: Option<String>,
    /// What the field expected.
    attendu: Option<String>,
    /// What was found (cut at 80 characters).
    trouve: Option<String>,
    /// The current version of a partner, on a 412 for a stale `If-Match`.
    #[schema(value_type = Option<Object>)]
    actuel: Option<serde_json::Value>,
}

impl utoipa::PartialSchema for ApiError {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        <Erreur as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for ApiError {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Erreur")
    }
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
            retry_after: None,
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

    /// 429 after too many failed tokens: try again in `wait` (`Retry-After`, in seconds).
    pub fn too_many_attempts(wait: std::time::Duration) -> ApiError {
        let secs = wait.as_secs().max(1);
        ApiError {
            retry_after: Some(secs),
            ..ApiError::new(
                429,
                "trop de jetons refusés",
                format!(
                    "trop de tentatives avec un jeton inconnu ou révoqué : réessayez dans {secs} s"
                ),
            )
        }
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
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(v) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
            r.headers_mut().insert(header::ETAG, v);
        }
        r
    }
}

/// The French error for a status, when nothing more precise is known (rejections of the
/// framework, errors of the HTTP layer itself).
pub fn for_status(status: u16, method: &str, path: &str) -> ApiError {
    let (erreur, detail): (&str, String) = match status {
        400 => (
            "requête invalide",
            "le chemin ou les paramètres ne sont pas valides (encodage « %XX » qui ne donne pas de l'UTF-8, valeur d'un type inattendu, ou requête HTTP mal formée)".into(),
        ),
        404 => ("introuvable", format!("rien à l'adresse « {path} »")),
        405 => (
            "méthode non autorisée",
            format!("la méthode {method} n'est pas acceptée sur « {path} » (voir l'en-tête Allow)"),
        ),
        408 => (
            "délai dépassé",
            "la requête a pris trop de temps (30 s au plus)".into(),
        ),
        413 => return ApiError::too_large(super::actors::MAX_BODY_BYTES),
        414 => (
            "adresse trop longue",
            "l'adresse de la requête dépasse la longueur acceptée : passez les données dans le corps d'une requête POST".into(),
        ),
        415 => (
            "type de contenu non pris en charge",
            "corps JSON attendu : en-tête « Content-Type: application/json »".into(),
        ),
        422 => (
            "corps de requête invalide",
            "le corps ne correspond pas à ce que la route attend".into(),
        ),
        431 => (
            "en-têtes trop volumineux",
            "les en-têtes de la requête dépassent la taille ou le nombre acceptés".into(),
        ),
        429 => (
            "trop de requêtes",
            "réessayez un peu plus tard".into(),
        ),
        503 => (
            "service indisponible",
            "le serveur est momentanément surchargé : réessayez un peu plus tard".into(),
        ),
        s if s >= 500 => ("erreur interne", "le serveur n'a pas pu répondre".into()),
        _ => ("requête refusée", format!("statut HTTP {status}")),
    };
    ApiError::new(status, erreur, detail)
}

/// Middleware: an error answered by the framework rather than by a handler (a rejected
/// percent-encoding in a path, a wrong method, a timeout…) has a plain-text English or
/// empty body; it becomes the French JSON error of its status. Errors already in JSON, and
/// HTML pages, pass unchanged.
pub async fn french_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let r = next.run(req).await;
    if r.status().as_u16() < 400 {
        return r;
    }
    let ct = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/json") || ct.starts_with("text/html") {
        return r;
    }
    let (parts, _) = r.into_parts();
    let mut fresh = for_status(parts.status.as_u16(), method.as_str(), &path).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = parts.headers.get(&name) {
            fresh.headers_mut().insert(name, v.clone());
        }
    }
    fresh
}
