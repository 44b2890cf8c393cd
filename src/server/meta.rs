//! What the service is: kinds of actors, loaded sources, page configuration, health, and
//! the OpenAPI document.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::openapi::{tags, JsonObject};
use super::respond::{json, ApiResult, JSON};
use super::AppState;
use crate::analysis::Travel;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kinds))
        .routes(routes!(sources))
        .routes(routes!(config))
        .routes(routes!(health))
        .routes(routes!(openapi))
        .routes(routes!(de_name))
}

/// `GET /api/texte/de`: « de » before a place or actor name.
#[derive(Serialize, ToSchema)]
pub struct DeName {
    /// The name given, trimmed.
    pub nom: String,
    /// « de » + the name, elided or contracted (`d'Albi`, `du Garric`, `de Gaillac`).
    pub texte: String,
}

/// `GET /api/texte/de?nom=`: the French « de » before a name, by `model::text::de` (the page
/// forms its titles with it: « Acteurs d'Albi », « à moins de 10 km du Garric »).
#[utoipa::path(get, path = "/api/texte/de", tag = tags::META,
    summary = "« de » devant un nom (élision et contraction : d'Albi, du Garric, de Gaillac)",
    params(("nom" = String, Query, description = "Nom de lieu ou d'acteur (200 caractères au plus)", min_length = 1, max_length = 200)),
    responses(
        (status = 200, description = "Le nom et sa forme avec « de »", body = DeName),
        (status = 400, description = "Paramètre invalide", body = ApiError)))]
pub async fn de_name(RawQuery(q): RawQuery) -> ApiResult {
    let p = super::params::Params::parse(q.as_deref());
    let name = p
        .get("nom")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::missing("nom", "un nom de lieu ou d'acteur"))?;
    if name.chars().count() > 200 {
        return Err(ApiError::bad_param("nom", "200 caractères au plus"));
    }
    Ok(json(&DeName {
        nom: name.to_string(),
        texte: crate::model::text::de(name),
    }))
}

/// A kind of actor with its sector and how many are loaded.
#[derive(Serialize, ToSchema)]
pub struct KindInfo<'a> {
    pub id: &'a str,
    pub libelle: &'a str,
    /// `sanitaire`, `medico-social` or `social`.
    pub secteur: &'static str,
    pub nombre: usize,
    /// Codes of the official nomenclatures mapped to this kind.
    pub codes_source: &'a [String],
}

/// `GET /api/kinds`
#[utoipa::path(get, path = "/api/kinds", tag = tags::META,
    summary = "Types d'acteurs avec leur secteur et leur nombre",
    responses((status = 200, description = "Liste des types", body = Vec<KindInfo>)))]
pub async fn kinds(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let list: Vec<KindInfo> = dir
        .kinds()
        .iter()
        .map(|(id, k)| KindInfo {
            id: &k.id,
            libelle: &k.label,
            secteur: k.sector.id(),
            nombre: dir.kind_count(id),
            codes_source: &k.source_codes,
        })
        .collect();
    Ok(json(&list))
}

/// A loaded file: accepted and rejected lines, source date, remarks.
#[derive(Serialize, ToSchema)]
pub struct SourceInfo<'a> {
    pub fichier: &'a str,
    #[schema(value_type = String)]
    pub format: &'a crate::sources::Format,
    pub source: &'a str,
    pub date: Option<&'a str>,
    /// Example data (fictitious), not to be used as real.
    pub exemple: bool,
    pub acceptees: usize,
    pub rejetees: usize,
    /// The first 50 rejections: `fichier:ligne: champ: attendu …, trouvé « … »`.
    pub rejets: Vec<String>,
    pub remarques: &'a [String],
}

/// `GET /api/sources`
#[utoipa::path(get, path = "/api/sources", tag = tags::META,
    summary = "Fichiers chargés : lignes acceptées et rejetées, date de la source",
    responses((status = 200, description = "Liste des sources", body = Vec<SourceInfo>)))]
pub async fn sources(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let list: Vec<SourceInfo> = dir
        .reports()
        .iter()
        .map(|r| SourceInfo {
            fichier: &r.file,
            format: &r.format,
            source: &r.source_name,
            date: r.source_date.as_deref(),
            exemple: r.sample,
            acceptees: r.accepted,
            rejetees: r.rejected,
            rejets: r
                .rejections
                .iter()
                .take(50)
                .map(|x| x.to_string())
                .collect(),
            remarques: &r.notes,
        })
        .collect();
    Ok(json(&list))
}

/// What the page needs to start.
#[derive(Serialize, ToSchema)]
pub struct PageConfig<'a> {
    /// Raster tile URL template, `null` for outlines only.
    pub tuiles: Option<&'a str>,
    pub attribution: &'a str,
    pub titre: &'a str,
    /// Public address of the service for absolute links (`--url-publique`), `null` if not set.
    pub url_publique: Option<&'a str>,
    /// `[minLon, minLat, maxLon, maxLat]` of the loaded communes.
    pub emprise: Option<[f64; 4]>,
    /// The travel model: « réseau routier OpenStreetMap (Valhalla), extrait du JJ/MM/AAAA »
    /// under `servir --routage` (isochrones available), else « estimation à vol d'oiseau × détour ».
    pub modele_trajet: String,
    /// True when a routing engine answers isochrones (`/api/isochrone`).
    pub routage: bool,
    /// How minutes are worded under the server's travel model, after « N min »: « en voiture
    /// (Valhalla) » under `servir --routage`, else « estimées à vol d'oiseau » (the form's
    /// unit « min … » of the page).
    pub minutes_libelle: &'static str,
}

/// `GET /api/config`
#[utoipa::path(get, path = "/api/config", tag = tags::META,
    summary = "Configuration de la page (tuiles, titre, emprise)",
    responses((status = 200, description = "Configuration", body = PageConfig)))]
pub async fn config(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let extent = dir
        .communes()
        .extent()
        .map(|(a, b)| [a.lon, a.lat, b.lon, b.lat]);
    Ok(json(&PageConfig {
        tuiles: st.config.tiles.as_deref(),
        attribution: &st.config.attribution,
        titre: &st.config.title,
        url_publique: st.config.public_url.as_deref(),
        emprise: extent,
        modele_trajet: st
            .config
            .routing
            .as_ref()
            .map_or_else(|| crate::routing::ESTIMATE_LABEL.to_string(), |e| e.label()),
        routage: st.config.routing.is_some(),
        minutes_libelle: Travel::of(st.config.routing.as_ref()).minutes_wording(),
    }))
}

/// State of the service.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub etat: &'static str,
    pub acteurs: usize,
    pub communes: usize,
    pub territoires: usize,
    /// What is still being prepared: the service already answers, and a request that needs
    /// it waits until it is ready (empty once everything is ready).
    pub en_preparation: Vec<&'static str>,
}

/// `GET /api/health`
#[utoipa::path(get, path = "/api/health", tag = tags::META, summary = "État du service",
    responses((status = 200, description = "État", body = Health)))]
pub async fn health(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    Ok(json(&Health {
        etat: "ok",
        acteurs: dir.actors().len(),
        communes: dir.communes().len(),
        territoires: dir.territories().len(),
        en_preparation: dir.in_preparation(),
    }))
}

/// `GET /api/openapi.json`
#[utoipa::path(get, path = "/api/openapi.json", tag = tags::META, summary = "Ce document",
    responses((status = 200, description = "Document OpenAPI 3.1", body = JsonObject)))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, JSON)],
        super::openapi::document_json(),
    )
        .into_response()
}

pub async fn not_found_api() -> ApiError {
    ApiError::not_found(
        "route inconnue",
        "la liste des routes est sur /api/openapi.json",
    )
}
