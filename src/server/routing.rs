//! Road travel times on the API: `GET /api/isochrone` and `GET /api/nearest?par=temps`
//! (served with `servir --routage`; without an engine, the isochrone answers 503 and the
//! nearest actors are ranked by the estimate, which is the great-circle order).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::analysis::blocking;
use super::error::ApiError;
use super::openapi::{tags, Collection};
use super::params::{Params, PointQuery};
use super::respond::{geojson, ApiResult, GEOJSON};
use super::AppState;
use crate::analysis::{rerank_by_road, Travel};
use crate::export::features::{collection, Fields};
use crate::index::Directory;
use crate::model::{KindId, LonLat};
use crate::routing::{Engine, ESTIMATE_LABEL};

/// Said when the point asked has no road within the engine's reach.
pub const ORIGIN_OFF_ROAD: &str = "le point demandé n'a aucune route à portée du moteur de routage";

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(isochrone))
}

fn engine(st: &AppState) -> Result<&Arc<Engine>, ApiError> {
    st.config.routing.as_ref().ok_or_else(|| {
        ApiError::new(
            503,
            "moteur de routage absent",
            "le serveur a été démarré sans moteur de routage : préparez le graphe routier (« maillage routage preparer ») puis lancez « maillage servir --routage DOSSIER »",
        )
    })
}

/// The properties of an isochrone polygon.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IsochroneProps {
    /// Minutes asked.
    pub minutes: f64,
    /// Valhalla's contour value (minutes).
    pub contour: f64,
    /// `time`
    pub metric: String,
    /// « réseau routier OpenStreetMap (Valhalla), extrait du JJ/MM/AAAA ».
    pub modele_trajet: String,
    /// The minutes with their wording, « 15 min en voiture (Valhalla) » (`Travel::minutes_label`).
    pub libelle: String,
}

/// `GET /api/isochrone?lat=&lon=&minutes=15`: the area reachable by car within `minutes`.
#[utoipa::path(get, path = "/api/isochrone", tag = tags::ANALYSIS,
    summary = "Isochrone : zone atteignable en voiture en N minutes depuis un point (moteur Valhalla)",
    params(PointQuery,
        ("minutes" = Option<f64>, Query, description = "Temps de trajet en minutes (15 par défaut)", minimum = 1, maximum = 120)),
    responses(
        (status = 200, description = "FeatureCollection GeoJSON (un polygone) ; modele_trajet, routage (toujours vrai : temps en voiture par la route), minutes, libelle (« 15 min en voiture (Valhalla) », comme les seuils du diagnostic) et titre en tête", body = Collection<IsochroneProps>, content_type = GEOJSON),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 503, description = "Moteur de routage absent ou injoignable", body = ApiError)))]
pub async fn isochrone(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let p = Params::parse(q.as_deref());
    let at = p.point()?;
    let minutes = p.f64("minutes", 1.0, 120.0)?.unwrap_or(15.0);
    let e = engine(&st)?;
    let mut v = blocking(|| e.isochrone(at, minutes))
        .map_err(|err| ApiError::new(503, "moteur de routage indisponible", err.to_string()))?;
    let label = e.label();
    let minutes_label = Travel::Road(e.clone()).minutes_label(minutes);
    if let Some(features) = v["features"].as_array_mut() {
        for f in features {
            f["properties"]["modele_trajet"] = label.clone().into();
            f["properties"]["minutes"] = minutes.into();
            f["properties"]["libelle"] = minutes_label.clone().into();
        }
    }
    v["modele_trajet"] = label.into();
    v["routage"] = true.into();
    v["minutes"] = minutes.into();
    v["titre"] = format!("Autour d'un point : {minutes_label}").into();
    v["libelle"] = minutes_label.into();
    Ok(geojson(&v))
}

/// `/api/nearest?par=temps`: the `k` nearest actors by road time, exact (great-circle
/// candidates widened until no farther one can be nearer by road), or by the estimate
/// (great-circle order) without an engine. Each feature carries `temps_route_min` and
/// `distance_route_km`; actors the road does not reach are listed in `hors_reseau_routier`.
pub fn nearest_by_time(
    st: &AppState,
    dir: &Directory,
    at: LonLat,
    k: usize,
    kinds: Option<&[KindId]>,
    fields: Fields,
) -> Result<Value, ApiError> {
    let Some(e) = st.config.routing.as_deref() else {
        let found = dir.nearest(at, k, kinds);
        let mut v = serde_json::to_value(
            collection(dir, found.into_iter().map(|(i, d)| (i, Some(d))), None).with_fields(fields),
        )
        .expect("features JSON");
        v["modele_trajet"] = ESTIMATE_LABEL.into();
        return Ok(v);
    };
    let unavailable = |err: crate::routing::RoutingError| {
        ApiError::new(503, "moteur de routage indisponible", err.to_string())
    };
    let ranking = blocking(|| {
        // Every candidate's snapping offset bounds how much the road can shorten a trip.
        let all = dir.nearest(at, dir.actors().len(), kinds);
        let positions: Vec<LonLat> = all
            .iter()
            .filter_map(|&(i, _)| dir.actor(i).position())
            .collect();
        let max_off = e
            .snap(&positions)?
            .iter()
            .flatten()
            .map(|s| s.offset_m)
            .fold(0.0, f64::max);
        let r = rerank_by_road(e, at, k, max_off, |n| {
            all.iter()
                .take(n)
                .filter_map(|&(i, d)| dir.actor(i).position().map(|p| (i as usize, p, d)))
                .collect()
        });
        if let Err(err) = e.save() {
            tracing::warn!("{err}");
        }
        r
    })
    .map_err(unavailable)?;
    let mut v = serde_json::to_value(
        collection(
            dir,
            ranking.found.iter().map(|&(i, _, d)| (i as u32, Some(d))),
            None,
        )
        .with_fields(fields),
    )
    .expect("features JSON");
    if let Some(features) = v["features"].as_array_mut() {
        for (f, (_, leg, _)) in features.iter_mut().zip(&ranking.found) {
            f["properties"]["temps_route_min"] = ((leg.minutes() * 10.0).round() / 10.0).into();
            f["properties"]["distance_route_km"] = ((leg.km * 100.0).round() / 100.0).into();
        }
    }
    v["modele_trajet"] = e.label().into();
    if ranking.origin_off_road {
        v["avertissement"] = ORIGIN_OFF_ROAD.into();
    }
    v["hors_reseau_routier"] = ranking
        .unroutable
        .iter()
        .map(|&(i, why)| json!({"id": dir.actor(i as u32).id(), "raison": why.reason()}))
        .collect::<Vec<_>>()
        .into();
    Ok(v)
}
