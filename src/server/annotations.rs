//! Local annotations on official actors: membership, role, referent, direct contact, note,
//! kept beside the official record without changing it (see docs/annuaire-local.md).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use super::auth::Editor;
use super::error::ApiError;
use super::partners::{if_match, MAX_JSON_BYTES};
use super::respond::{blocking, json, parse_json, read_body, with_etag, ApiResult};
use super::AppState;
use crate::store::annotations::AnnotationFields;
use crate::store::StoreError;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/annotations", get(annotations))
        .route("/api/annotations/{id}", get(annotation).put(put_annotation))
}

/// `GET /api/annotations`: every local annotation on official actors.
pub async fn annotations(State(st): State<AppState>) -> ApiResult {
    let svc = st.partner_service()?;
    let list = blocking(move || Ok(svc.store.annotations()?)).await?;
    Ok(json(&serde_json::json!({"annotations": list})))
}

/// `GET /api/annotations/{actor_id}`
pub async fn annotation(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let svc = st.partner_service()?;
    let a = blocking(move || {
        Ok(svc
            .store
            .annotation(&id)?
            .ok_or_else(|| StoreError::NotFound(id.clone()))?)
    })
    .await?;
    Ok(with_etag(json(&a), &format!("\"{}\"", a.version)))
}

/// `PUT /api/annotations/{actor_id}` (JSON; `If-Match` optional, `"0"` for a new one).
pub async fn put_annotation(
    State(st): State<AppState>,
    ed: Editor,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    let expected = if_match(&ed.headers, false)?;
    if st.directory().find(&id).is_none() {
        return Err(ApiError::not_found(
            "acteur inconnu",
            format!("aucun acteur d'identifiant « {id} » à annoter"),
        ));
    }
    let fields =
        AnnotationFields::from_json(&parse_json(&read_body(body, MAX_JSON_BYTES).await?)?)?;
    let Editor { svc, author, .. } = ed;
    let a = blocking(move || Ok(svc.store.set_annotation(&id, expected, fields, &author)?)).await?;
    Ok(with_etag(json(&a), &format!("\"{}\"", a.version)))
}
