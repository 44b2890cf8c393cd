//! Local annotations on official actors: membership, role, referent, direct contact, note,
//! kept beside the official record without changing it (see docs/annuaire-local.md).

use axum::body::Body;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Editor, EditorRefusals};
use super::error::ApiError;
use super::openapi::{tags, JsonObject};
use super::partners::{if_match, MAX_JSON_BYTES};
use super::respond::{blocking, json, parse_json, read_body, with_etag, ApiResult};
use super::AppState;
use crate::store::annotations::{Annotation, AnnotationFields};
use crate::store::StoreError;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(annotations))
        .routes(routes!(annotation, put_annotation))
}

/// `GET /api/annotations`: every local annotation on official actors.
#[utoipa::path(get, path = "/api/annotations", tag = tags::PARTNERS,
    summary = "Annotations locales sur les acteurs officiels",
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "{annotations: [...]}", body = Annotations),
        (status = 503, description = "Serveur démarré sans base de partenaires", body = ApiError)))]
pub async fn annotations(State(st): State<AppState>) -> ApiResult {
    let svc = st.partner_service()?;
    let list = blocking(move || Ok(svc.store.annotations()?)).await?;
    Ok(json(&serde_json::json!({"annotations": list})))
}

/// `GET /api/annotations/{actor_id}`
#[utoipa::path(get, path = "/api/annotations/{id}", tag = tags::PARTNERS,
    summary = "Annotation d'un acteur officiel",
    params(("id" = String, Path, description = "Identifiant de l'acteur (ex. finess:810000505)")),
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "Annotation, avec son ETag", body = Annotation, headers(("ETag" = String))),
        (status = 404, description = "Aucune annotation", body = ApiError),
        (status = 503, description = "Serveur démarré sans base de partenaires", body = ApiError)))]
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
#[utoipa::path(put, path = "/api/annotations/{id}", tag = tags::PARTNERS,
    summary = "Écrire l'annotation d'un acteur officiel (membre_cpts, role, referent, telephone, email, note), sans modifier la fiche officielle",
    params(("id" = String, Path, description = "Identifiant de l'acteur"),
        ("If-Match" = Option<String>, Header, description = "ETag de la version lue, \"0\" pour une nouvelle")),
    request_body(content = JsonObject, description = "Champs de l'annotation"),
    security(("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "Annotation, avec son ETag", body = Annotation, headers(("ETag" = String))),
        (status = 400, description = "Champ invalide : {champ, attendu, trouve}", body = ApiError),
        (status = 404, description = "Acteur inconnu", body = ApiError),
        (status = 412, description = "Version périmée (If-Match)", body = ApiError),
        (status = 413, description = "Corps trop volumineux", body = ApiError),
        (status = 415, description = "Corps qui n'est pas du JSON (Content-Type)", body = ApiError),
        EditorRefusals))]
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
    let fields = AnnotationFields::from_json(&parse_json(
        &ed.headers,
        &read_body(body, MAX_JSON_BYTES).await?,
    )?)?;
    let Editor { svc, author, .. } = ed;
    let a = blocking(move || Ok(svc.store.set_annotation(&id, expected, fields, &author)?)).await?;
    Ok(with_etag(json(&a), &format!("\"{}\"", a.version)))
}

/// `GET /api/annotations`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Annotations {
    pub annotations: Vec<Annotation>,
}
