//! Actors: filtered list, one actor, k nearest, within a radius or a polygon, and the
//! autocompletion search (see docs/api.md).

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use geo::{MultiPolygon, Polygon};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::openapi::{tags, Binary, JsonObject};
use super::params::{
    FieldsQuery, KindQuery, ListFormat, ListFormatQuery, PageQuery, Params, PointQuery, MAX_K,
    MAX_RADIUS_M,
};
use super::places::find_commune;
use super::respond::{geojson, json, read_body, ApiResult, GEOJSON};
use super::state;
use super::AppState;
use crate::export::features::{
    actor_feature, collection, ActorFeatureSchema, FeatureCollectionSchema, Fields, Page,
};
use crate::index::{ActorFilter, Directory};
use crate::model::{InseeCode, LonLat, Sector};

/// Maximum size of a POSTed polygon.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(actors))
        .routes(routes!(actor))
        .routes(routes!(nearest))
        .routes(routes!(within, within_polygon))
        .routes(routes!(search))
}

/// Filters of the actor list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActorsQuery {
    /// Emprise `minLon,minLat,maxLon,maxLat` en degrés WGS84
    pub bbox: Option<String>,
    /// Types d'acteurs séparés par des virgules (voir /api/kinds)
    pub kind: Option<String>,
    /// Secteur
    #[param(inline)]
    pub sector: Option<Sector>,
    /// Code INSEE de commune (5 caractères)
    #[param(min_length = 5, max_length = 5)]
    pub commune: Option<String>,
    /// Identifiant de territoire (voir /api/territories)
    pub territory: Option<String>,
    /// Texte (nom, type, commune)
    pub q: Option<String>,
}

const FC_OR_GPKG: &str =
    "FeatureCollection GeoJSON (RFC 7946) d'acteurs, ou GeoPackage avec format=gpkg";

/// `GET /api/actors`
#[utoipa::path(get, path = "/api/actors", tag = tags::ACTORS,
    summary = "Liste filtrée et paginée des acteurs", params(ActorsQuery, PageQuery, FieldsQuery, ListFormatQuery),
    responses(
        (status = 200, description = FC_OR_GPKG,
            content((FeatureCollectionSchema = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = "Paramètre invalide", body = ApiError)))]
pub async fn actors(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let (limit, offset) = p.page()?;
    let fields = p.fields()?;
    let format = p.list_format()?;
    let mut filter = ActorFilter {
        kinds: p.kinds(&dir)?,
        sector: p.sector()?,
        bbox: p.bbox()?,
        text: p.get("q").map(str::to_string),
        communes: None,
    };
    if let Some(v) = p.get("commune") {
        // Actors placed in a commune without a loaded outline are still found by its code.
        let code = match v.parse::<InseeCode>() {
            Ok(c) if dir.places().code(v).is_none() && !dir.actors_in_commune(c).is_empty() => c,
            _ => find_commune(&dir, "commune", v, false)?,
        };
        filter.communes = Some(HashSet::from([code]));
    }
    if let Some(id) = p.get("territory") {
        let t = dir.territory(id).ok_or_else(|| {
            ApiError::bad_param(
                "territory",
                format!("territoire « {id} » inconnu ; la liste est sur /api/territories"),
            )
        })?;
        let set: HashSet<InseeCode> = t.territory.communes.iter().copied().collect();
        filter.communes = Some(match filter.communes.take() {
            Some(c) => c.intersection(&set).copied().collect(),
            None => set,
        });
    }
    let all = if filter.text.is_some() {
        state::with_text_index(Arc::clone(&dir), move |d| d.filter(&filter)).await
    } else {
        dir.filter(&filter)
    };
    let (page, shown) = page_of(&all, "/api/actors", q.as_deref(), limit, offset);
    let items = shown.iter().map(|&i| (i, None)).collect();
    Ok(features(dir, items, Some(page), fields, (format, "liste")).await)
}

/// Answers above this many features are written off the async threads, so that a long
/// answer does not hold up the short ones queued behind it on the same thread.
pub const BLOCKING_ABOVE: usize = 500;

/// The answer of an actor list: GeoJSON written in place when short, on the blocking pool
/// when long ([`BLOCKING_ABOVE`]); a GeoPackage (`acteurs-<name>.gpkg`) always on the
/// blocking pool.
pub async fn features(
    dir: Arc<Directory>,
    items: Vec<(u32, Option<f64>)>,
    page: Option<Page>,
    fields: Fields,
    format: (ListFormat, &'static str),
) -> axum::response::Response {
    let long = items.len() > BLOCKING_ABOVE || format.0 == ListFormat::Gpkg;
    let write = move || {
        let c = collection(&dir, items.into_iter(), page).with_fields(fields);
        match format {
            (ListFormat::GeoJson, _) => geojson(&c),
            (ListFormat::Gpkg, name) => match c.gpkg(&format!("Acteurs – {name}")) {
                Ok(bytes) => super::respond::gpkg(bytes, &format!("acteurs-{name}.gpkg")),
                Err(e) => axum::response::IntoResponse::into_response(ApiError::internal(
                    "export impossible",
                    e,
                )),
            },
        }
    };
    if !long {
        return write();
    }
    match tokio::task::spawn_blocking(write).await {
        Ok(r) => r,
        Err(e) => {
            axum::response::IntoResponse::into_response(ApiError::internal("erreur interne", e))
        }
    }
}

/// The page `(limit, offset)` of the list `all`: where it sits, with the address of the next
/// page (the same query, `offset` moved on) when there is one, and its items.
fn page_of<'a, T>(
    all: &'a [T],
    path: &str,
    query: Option<&str>,
    limit: usize,
    offset: usize,
) -> (Page, &'a [T]) {
    let total = all.len();
    let shown = &all[offset.min(total)..offset.saturating_add(limit).min(total)];
    let next = (offset.saturating_add(limit) < total).then(|| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if k != "offset" {
                q.append_pair(&k, &v);
            }
        }
        q.append_pair("offset", &(offset + limit).to_string());
        format!("{path}?{}", q.finish())
    });
    let page = Page {
        total,
        limit,
        offset,
        next,
    };
    (page, shown)
}

/// The index of the actor `id` (404 naming it otherwise).
pub fn find(dir: &Directory, id: &str) -> Result<u32, ApiError> {
    dir.find(id).ok_or_else(|| {
        ApiError::not_found(
            "acteur inconnu",
            format!("aucun acteur d'identifiant « {id} »"),
        )
    })
}

/// `GET /api/actors/{id}`
#[utoipa::path(get, path = "/api/actors/{id}", tag = tags::ACTORS, summary = "Un acteur",
    params(("id" = String, Path, description = "Identifiant (ex. finess:810000505)")),
    responses(
        (status = 200, description = "Feature GeoJSON", body = ActorFeatureSchema, content_type = GEOJSON),
        (status = 404, description = "Acteur inconnu", body = ApiError)))]
pub async fn actor(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let dir = st.directory();
    let i = find(&dir, &id)?;
    Ok(geojson(&actor_feature(&dir, i, None)))
}

/// `GET /api/nearest`
#[utoipa::path(get, path = "/api/nearest", tag = tags::ACTORS,
    summary = "Les k acteurs les plus proches, triés par (distance, id)",
    params(PointQuery, KindQuery, FieldsQuery, ListFormatQuery,
        ("k" = Option<u32>, Query, description = "Nombre de résultats (10 par défaut)", minimum = 1, maximum = 1000),
        ("par" = Option<String>, Query, description = "Classement : distance (à vol d'oiseau, défaut) ou temps (temps de trajet par la route avec « servir --routage », sinon estimation)", pattern = "^(distance|temps)$")),
    responses(
        (status = 200, description = FC_OR_GPKG,
            content((FeatureCollectionSchema = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 503, description = "Moteur de routage injoignable (par=temps)", body = ApiError)))]
pub async fn nearest(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let at = p.point()?;
    let k = p.usize("k", 1, MAX_K)?.unwrap_or(10);
    let kinds = p.kinds(&dir)?;
    let fields = p.fields()?;
    let format = p.list_format()?;
    match p.get("par").unwrap_or("distance") {
        "distance" => {}
        "temps" if format == ListFormat::Gpkg => {
            return Err(ApiError::bad_param(
                "format",
                "gpkg seulement avec par=distance ; par=temps répond en GeoJSON",
            ))
        }
        "temps" => {
            return Ok(geojson(&super::routing::nearest_by_time(
                &st,
                &dir,
                at,
                k,
                kinds.as_deref(),
                fields,
            )?))
        }
        other => {
            return Err(ApiError::bad_param(
                "par",
                format!("« distance » ou « temps » attendu, trouvé « {other} »"),
            ))
        }
    }
    let found = dir.nearest(at, k, kinds.as_deref());
    let items = found.into_iter().map(|(i, d)| (i, Some(d))).collect();
    Ok(features(dir, items, None, fields, (format, "proches")).await)
}

/// `GET /api/within`
#[utoipa::path(get, path = "/api/within", tag = tags::ACTORS,
    summary = "Acteurs dans un rayon, triés par (distance, id), par pages",
    params(PointQuery, KindQuery,
        ("radius_m" = f64, Query, description = "Rayon en mètres", minimum = 0, maximum = 100000),
        PageQuery, FieldsQuery, ListFormatQuery),
    responses(
        (status = 200, description = FC_OR_GPKG,
            content((FeatureCollectionSchema = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = "Paramètre invalide", body = ApiError)))]
pub async fn within(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let at = p.point()?;
    let radius = p.f64("radius_m", 0.0, MAX_RADIUS_M)?.ok_or_else(|| {
        ApiError::missing(
            "radius_m",
            format!("rayon en mètres, entre 0 et {MAX_RADIUS_M}"),
        )
    })?;
    let kinds = p.kinds(&dir)?;
    let (limit, offset) = p.page()?;
    let fields = p.fields()?;
    let format = p.list_format()?;
    let found = dir.within(at, radius, kinds.as_deref());
    let (page, shown) = page_of(&found, "/api/within", q.as_deref(), limit, offset);
    let items = shown.iter().map(|&(i, d)| (i, Some(d))).collect();
    Ok(features(dir, items, Some(page), fields, (format, "rayon")).await)
}

/// `POST /api/within` with a GeoJSON polygon.
#[utoipa::path(post, path = "/api/within", tag = tags::ACTORS,
    summary = "Acteurs dans un polygone (corps GeoJSON Polygon, MultiPolygon, Feature ou FeatureCollection)",
    params(KindQuery, PageQuery, FieldsQuery, ListFormatQuery),
    request_body(content = JsonObject, content_type = GEOJSON, description = "Géométrie GeoJSON (1 Mio au plus)"),
    responses(
        (status = 200, description = FC_OR_GPKG,
            content((FeatureCollectionSchema = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = "Géométrie invalide", body = ApiError),
        (status = 413, description = "Corps trop volumineux (1 Mio au plus)", body = ApiError),
        (status = 415, description = "Corps qui n'est pas du JSON (Content-Type)", body = ApiError)))]
pub async fn within_polygon(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    headers: axum::http::HeaderMap,
    body: Body,
) -> ApiResult {
    super::respond::require_json(&headers)?;
    let bytes = read_body(body, MAX_BODY_BYTES).await?;
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let kinds = p.kinds(&dir)?;
    let (limit, offset) = p.page()?;
    let fields = p.fields()?;
    let format = p.list_format()?;
    let area = parse_area(&bytes)?;
    let found = dir.in_polygon(&area, kinds.as_deref());
    // The next page is asked with the same body.
    let (page, shown) = page_of(&found, "/api/within", q.as_deref(), limit, offset);
    let items = shown.iter().map(|&i| (i, None)).collect();
    Ok(features(dir, items, Some(page), fields, (format, "zone")).await)
}

/// Reads a Polygon/MultiPolygon from a GeoJSON geometry, Feature or FeatureCollection body.
fn parse_area(bytes: &[u8]) -> Result<MultiPolygon<f64>, ApiError> {
    let expected = "un objet GeoJSON (RFC 7946) de type Polygon ou MultiPolygon, ou une Feature / FeatureCollection qui en contient";
    let gj: geojson::GeoJson = std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::bad_request("corps de requête invalide", expected))?;
    let geometry = match gj {
        geojson::GeoJson::Geometry(g) => Some(g),
        geojson::GeoJson::Feature(f) => f.geometry,
        geojson::GeoJson::FeatureCollection(fc) => fc.features.into_iter().find_map(|f| f.geometry),
    }
    .ok_or_else(|| ApiError::bad_request("géométrie absente", expected))?;
    let bad = |d: &str| ApiError::bad_request("géométrie invalide", format!("{expected} ({d})"));
    let area: MultiPolygon<f64> = match geometry.value {
        geojson::Value::Polygon(_) => {
            let p: Polygon<f64> = geometry
                .value
                .try_into()
                .map_err(|_| bad("polygone mal formé"))?;
            MultiPolygon::new(vec![p])
        }
        geojson::Value::MultiPolygon(_) => geometry
            .value
            .try_into()
            .map_err(|_| bad("multipolygone mal formé"))?,
        _ => return Err(bad("type de géométrie non pris en charge")),
    };
    let valid = area.0.iter().all(|p| {
        p.exterior().0.len() >= 4
            && p.exterior()
                .0
                .iter()
                .all(|c| LonLat::new(c.x, c.y).is_valid())
    });
    if !valid || area.0.is_empty() {
        return Err(bad(
            "anneau de moins de 4 positions ou coordonnées hors des plages WGS84",
        ));
    }
    Ok(area)
}

/// `GET /api/search`
#[utoipa::path(get, path = "/api/search", tag = tags::ACTORS,
    summary = "Autocomplétion : acteurs, communes (nom ou code postal), territoires, types",
    params(("q" = String, Query, description = "Texte recherché (200 caractères au plus)", min_length = 1, max_length = 200),
        ("limit" = Option<u32>, Query, description = "Nombre de résultats (10 par défaut)", minimum = 1, maximum = 100)),
    responses(
        (status = 200, description = "Résultats : {resultats: [...]}", body = Suggestions),
        (status = 400, description = "Paramètre invalide", body = ApiError)))]
pub async fn search(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let text = p
        .get("q")
        .ok_or_else(|| ApiError::missing("q", "texte à rechercher (nom, commune, type)"))?;
    if text.chars().count() > 200 {
        return Err(ApiError::bad_param("q", "200 caractères au plus"));
    }
    let limit = p.usize("limit", 1, 100)?.unwrap_or(10);
    let text = text.to_string();
    let hits = state::with_text_index(dir, move |d| d.search(&text, limit)).await;
    Ok(json(&serde_json::json!({ "resultats": hits })))
}

/// `GET /api/search`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    pub resultats: Vec<crate::index::SearchHit>,
}
