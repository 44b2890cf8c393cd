//! Communes and territories with their outlines (see docs/api.md).

use axum::extract::{Path, RawQuery, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::openapi::{tags, Collection, Feature};
use super::params::Params;
use super::respond::{geojson, json, ApiResult, GEOJSON};
use super::AppState;
use crate::export::features::{commune_feature, territory_feature};
use crate::index::Directory;
use crate::model::{InseeCode, LonLat};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(communes))
        .routes(routes!(commune))
        .routes(routes!(territories))
        .routes(routes!(territory))
}

/// A commune named by a request, through the one place resolver: its INSEE code, a former
/// code (a commune merged since: the commune it joined), or a name or postcode designating
/// one commune. An unknown code answers 404 when it is the resource itself (`in_path`), 400 naming the
/// parameter otherwise; a name matching no commune or several answers 400.
pub fn find_commune(
    dir: &Directory,
    param: &str,
    v: &str,
    in_path: bool,
) -> Result<InseeCode, ApiError> {
    let v = v.trim();
    let places = dir.places();
    let code = v.to_ascii_uppercase().parse::<InseeCode>();
    if let Ok(code) = code {
        if let Some(found) = places.code(code.as_str()) {
            return Ok(found.code);
        }
    }
    // Not a commune's code: a postcode (`81370`), or a name, may still designate one commune.
    if let (Ok(code), false) = (code, places.is_postcode(v)) {
        let detail = format!(
            "aucune commune de code {code} (code INSEE actuel ou ancien) dans les données chargées"
        );
        return Err(if in_path {
            ApiError::not_found(format!("commune « {code} » inconnue"), detail)
        } else {
            ApiError::bad_param(param, detail)
        });
    }
    let mut codes: Vec<InseeCode> = places.resolve(v).into_iter().map(|c| c.code).collect();
    codes.sort_unstable();
    codes.dedup();
    match codes[..] {
        [one] => Ok(one),
        [] => Err(ApiError::bad_param(
            param,
            format!("code INSEE (ex. 81004) ou nom de commune attendu, trouvé « {v} »"),
        )),
        _ => {
            let named: Vec<String> = codes
                .iter()
                .map(|c| match dir.commune(*c) {
                    Some(cm) => format!("{c} ({})", cm.name),
                    None => c.to_string(),
                })
                .collect();
            Err(ApiError::bad_param(
                param,
                format!(
                    "« {v} » désigne plusieurs communes : {} ; donnez le code INSEE",
                    named.join(", ")
                ),
            ))
        }
    }
}

/// `GET /api/communes`
#[utoipa::path(get, path = "/api/communes", tag = tags::PLACES,
    summary = "Contours des communes (FeatureCollection), ou la commune contenant un point (Feature)",
    params(("at" = Option<String>, Query, description = "Point « lat,lon » en degrés WGS84 (ex. 43.93,2.15)"),
        ("bbox" = Option<String>, Query, description = "Emprise minLon,minLat,maxLon,maxLat")),
    responses(
        (status = 200, description = "FeatureCollection GeoJSON des communes, ou Feature de la commune au point", body = Communes, content_type = GEOJSON),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 404, description = "Aucune commune au point", body = ApiError)))]
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

/// `GET /api/communes/{code}`
#[utoipa::path(get, path = "/api/communes/{code}", tag = tags::PLACES,
    summary = "Une commune avec son contour",
    params(("code" = String, Path, description = "Code INSEE (5 caractères) ; l'ancien code d'une commune fusionnée donne la commune qu'elle a rejointe ; ou un nom désignant une seule commune")),
    responses(
        (status = 200, description = "Feature GeoJSON", body = Feature<CommuneProps>, content_type = GEOJSON),
        (status = 400, description = "Code invalide, nom inconnu ou ambigu", body = ApiError),
        (status = 404, description = "Commune inconnue", body = ApiError)))]
pub async fn commune(State(st): State<AppState>, Path(code): Path<String>) -> ApiResult {
    let dir = st.directory();
    let code = find_commune(&dir, "code", &code, true)?;
    let c = dir.commune(code).ok_or_else(|| {
        ApiError::not_found(
            "commune inconnue",
            format!("aucune commune de code {code} dans les données chargées"),
        )
    })?;
    Ok(geojson(&commune_feature(&dir, c, true)))
}

/// `GET /api/territories`
#[utoipa::path(get, path = "/api/territories", tag = tags::PLACES,
    summary = "Territoires (CPTS, EPCI, départements)",
    responses((status = 200, description = "Liste des territoires : id, nom, type, population, nombre_communes", body = Vec<Territoire>)))]
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

/// `GET /api/territories/{id}`
#[utoipa::path(get, path = "/api/territories/{id}", tag = tags::PLACES,
    summary = "Un territoire : communes, population, contour",
    params(("id" = String, Path, description = "Identifiant du territoire")),
    responses(
        (status = 200, description = "Feature GeoJSON", body = Feature<TerritoireProps>, content_type = GEOJSON),
        (status = 404, description = "Territoire inconnu", body = ApiError)))]
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

/// Properties of a commune feature; `departement`, `epci`, `codes_postaux` and
/// `nombre_acteurs` on a single commune only.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CommuneProps {
    /// INSEE code.
    pub code: String,
    pub nom: String,
    pub population: Option<u64>,
    pub departement: Option<String>,
    pub epci: Option<String>,
    pub codes_postaux: Option<Vec<String>>,
    pub nombre_acteurs: Option<usize>,
}

/// `GET /api/communes`: every commune (or those in `bbox`), or the one at `at`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Communes {
    Collection(Collection<CommuneProps>),
    Commune(Feature<CommuneProps>),
}

/// One commune of a territory.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CommuneResumee {
    pub code: String,
    pub nom: String,
    pub population: Option<u64>,
}

/// Properties of a territory feature.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TerritoireProps {
    pub id: String,
    pub nom: String,
    /// `cpts`, `epci`, `departement`…
    #[serde(rename = "type")]
    pub kind: String,
    pub population: u64,
    pub population_declaree: Option<u64>,
    pub communes: Vec<CommuneResumee>,
    pub communes_inconnues: Vec<String>,
    pub communes_sans_population: Vec<String>,
}

/// One territory of `GET /api/territories`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Territoire {
    pub id: String,
    pub nom: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub population: u64,
    pub nombre_communes: usize,
}
