//! HTTP handlers of the API (see docs/api.md).

use std::collections::HashSet;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use geo::{MultiPolygon, Polygon};
use serde::Serialize;

use super::error::ApiError;
use super::json::{actor_feature, collection, commune_feature, territory_feature};
use super::params::{Params, DEFAULT_LIMIT, MAX_K, MAX_LIMIT, MAX_RADIUS_M};
use super::AppState;
use crate::index::ActorFilter;
use crate::model::{InseeCode, LonLat};

/// Maximum size of a POSTed polygon.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

type ApiResult = Result<Response, ApiError>;

/// Serialises into one buffer (no intermediate JSON tree) with the given content type.
fn json_response<T: Serialize>(value: &T, content_type: &'static str) -> Response {
    match serde_json::to_vec(value) {
        Ok(buf) => ([(header::CONTENT_TYPE, content_type)], buf).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("erreur de sérialisation : {e}"),
        )
            .into_response(),
    }
}

fn geojson<T: Serialize>(value: &T) -> Response {
    json_response(value, "application/geo+json")
}

fn json<T: Serialize>(value: &T) -> Response {
    json_response(value, "application/json")
}

fn commune_code(name: &str, v: &str) -> Result<InseeCode, ApiError> {
    v.parse().map_err(|_| {
        ApiError::bad_param(
            name,
            format!("code INSEE sur 5 caractères attendu (ex. 81004), trouvé « {v} »"),
        )
    })
}

pub async fn actors(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let limit = p.usize("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
    let offset = p.usize("offset", 0, usize::MAX)?.unwrap_or(0);
    let mut filter = ActorFilter {
        kinds: p.kinds(&dir)?,
        sector: p.sector()?,
        bbox: p.bbox()?,
        text: p.get("q").map(str::to_string),
        communes: None,
    };
    if let Some(code) = p.get("commune") {
        let code = commune_code("commune", code)?;
        if dir.commune(code).is_none() && dir.actors_in_commune(code).is_empty() {
            return Err(ApiError::bad_param(
                "commune",
                format!("commune {code} inconnue dans les données chargées"),
            ));
        }
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
    let all = dir.filter(&filter);
    let total = all.len();
    let page = all.into_iter().skip(offset).take(limit).map(|i| (i, None));
    Ok(geojson(&collection(
        &dir,
        page,
        Some((total, limit, offset)),
    )))
}

pub async fn actor(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let dir = st.directory();
    let i = dir.find(&id).ok_or_else(|| {
        ApiError::not_found(
            "acteur inconnu",
            format!("aucun acteur d'identifiant « {id} »"),
        )
    })?;
    Ok(geojson(&actor_feature(&dir, dir.actor(i), None)))
}

pub async fn nearest(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let at = p.point()?;
    let k = p.usize("k", 1, MAX_K)?.unwrap_or(10);
    let kinds = p.kinds(&dir)?;
    let found = dir.nearest(at, k, kinds.as_deref());
    Ok(geojson(&collection(
        &dir,
        found.into_iter().map(|(i, d)| (i, Some(d))),
        None,
    )))
}

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
    let found = dir.within(at, radius, kinds.as_deref());
    Ok(geojson(&collection(
        &dir,
        found.into_iter().map(|(i, d)| (i, Some(d))),
        None,
    )))
}

pub async fn within_polygon(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let kinds = p.kinds(&dir)?;
    let area = parse_area(&bytes)?;
    let found = dir.in_polygon(&area, kinds.as_deref());
    let total = found.len();
    Ok(geojson(&collection(
        &dir,
        found.into_iter().map(|i| (i, None)),
        Some((total, total, 0)),
    )))
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
    Ok(json(
        &serde_json::json!({ "resultats": dir.search(text, limit) }),
    ))
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

pub async fn communes(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    if let Some(at) = p.get("at") {
        let parts: Vec<f64> = at
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let pt = match parts[..] {
            [lat, lon] if LonLat::new(lon, lat).is_valid() => LonLat::new(lon, lat),
            _ => {
                return Err(ApiError::bad_param(
                    "at",
                    format!(
                        "« lat,lon » en degrés WGS84 attendu (ex. 43.93,2.15), trouvé « {at} »"
                    ),
                ))
            }
        };
        let c = dir.communes().at(pt).ok_or_else(|| {
            ApiError::not_found(
                "aucune commune à ce point",
                format!("le point {at} n'est dans aucune commune chargée"),
            )
        })?;
        return Ok(geojson(&commune_feature(&dir, c, true)));
    }
    let list: Vec<serde_json::Value> = match p.bbox()? {
        Some((min, max)) => dir
            .communes()
            .in_bbox(min, max)
            .into_iter()
            .map(|c| commune_feature(&dir, c, false))
            .collect(),
        None => dir
            .communes()
            .all()
            .iter()
            .map(|c| commune_feature(&dir, c, false))
            .collect(),
    };
    Ok(geojson(
        &serde_json::json!({"type": "FeatureCollection", "features": list}),
    ))
}

pub async fn commune(State(st): State<AppState>, Path(code): Path<String>) -> ApiResult {
    let dir = st.directory();
    let code = commune_code("code", &code)?;
    let c = dir.commune(code).ok_or_else(|| {
        ApiError::not_found(
            "commune inconnue",
            format!("aucune commune de code {code} dans les données chargées"),
        )
    })?;
    Ok(geojson(&commune_feature(&dir, c, true)))
}

pub async fn territories(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let list: Vec<serde_json::Value> = dir
        .territories()
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.territory.id, "nom": t.territory.name, "type": t.territory.kind,
                "population": t.population, "nombre_communes": t.territory.communes.len(),
            })
        })
        .collect();
    Ok(json(&list))
}

pub async fn territory(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let dir = st.directory();
    let t = dir.territory(&id).ok_or_else(|| {
        ApiError::not_found(
            "territoire inconnu",
            format!("aucun territoire « {id} » ; la liste est sur /api/territories"),
        )
    })?;
    Ok(geojson(&territory_feature(&dir, t)))
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
