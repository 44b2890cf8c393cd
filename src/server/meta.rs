//! What the service is: kinds of actors, loaded sources, page configuration, health, and
//! the OpenAPI document.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use super::error::ApiError;
use super::respond::{json, ApiResult};
use super::AppState;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/kinds", get(kinds))
        .route("/api/sources", get(sources))
        .route("/api/config", get(config))
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi))
}

pub async fn kinds(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let list: Vec<serde_json::Value> = dir
        .kinds()
        .iter()
        .map(|(id, k)| {
            serde_json::json!({
                "id": k.id, "libelle": k.label, "secteur": k.sector.id(),
                "nombre": dir.kind_count(id), "codes_source": k.source_codes,
            })
        })
        .collect();
    Ok(json(&list))
}

pub async fn sources(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let list: Vec<serde_json::Value> = dir
        .reports()
        .iter()
        .map(|r| {
            serde_json::json!({
                "fichier": r.file, "format": r.format, "source": r.source_name, "date": r.source_date,
                "exemple": r.sample, "acceptees": r.accepted, "rejetees": r.rejected,
                "rejets": r.rejections.iter().take(50).map(|x| x.to_string()).collect::<Vec<_>>(),
                "remarques": r.notes,
            })
        })
        .collect();
    Ok(json(&list))
}

pub async fn config(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let extent = dir
        .communes()
        .extent()
        .map(|(a, b)| [a.lon, a.lat, b.lon, b.lat]);
    Ok(json(&serde_json::json!({
        "tuiles": st.config.tiles,
        "attribution": st.config.attribution,
        "titre": st.config.title,
        "emprise": extent,
    })))
}

pub async fn health(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    Ok(json(&serde_json::json!({
        "etat": "ok",
        "acteurs": dir.actors().len(),
        "communes": dir.communes().len(),
        "territoires": dir.territories().len(),
    })))
}

pub async fn openapi() -> Response {
    json(&super::openapi::document())
}

pub async fn not_found_api() -> ApiError {
    ApiError::not_found(
        "route inconnue",
        "la liste des routes est sur /api/openapi.json",
    )
}
