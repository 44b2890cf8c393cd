//! GeoJSON (RFC 7946) features of actors, communes and territories, for the API and the
//! command line. Actor features borrow from the directory and serialise straight into the
//! output buffer (no intermediate JSON tree).

use geo::MultiPolygon;
use serde::Serialize;

use crate::index::{Directory, TerritoryEntry};
use crate::model::{Actor, Commune};

/// A GeoJSON Point: `[lon, lat]` in WGS84 degrees, 7 decimals.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PointGeometry {
    /// `Point`
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

/// Properties of an actor feature (French names, see docs/api.md).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActorProperties<'a> {
    pub id: &'a str,
    pub nom: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub type_libelle: &'a str,
    pub secteur: &'static str,
    pub adresse: String,
    pub numero: Option<&'a str>,
    pub voie: Option<&'a str>,
    pub code_postal: Option<&'a str>,
    pub ville: Option<&'a str>,
    #[schema(value_type = Option<String>)]
    pub commune: Option<crate::model::InseeCode>,
    pub commune_nom: Option<&'a str>,
    pub telephone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub site: Option<&'a str>,
    pub horaires: Option<&'a str>,
    pub capacite: Option<u32>,
    pub precision: &'static str,
    pub precision_libelle: &'static str,
    pub source: &'a str,
    pub source_date: Option<&'a str>,
    pub exemple: bool,
    pub code_source: Option<&'a str>,
    pub libelle_source: Option<&'a str>,
    /// Tags as one text, joined with `|` (`model::partner_field::TAG_LIST_SEP`): one String
    /// column in GDAL/QGIS, never an ambiguous StringList.
    pub tags: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

/// A GeoJSON Feature of one actor.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActorFeature<'a> {
    /// `Feature`
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Option<PointGeometry>,
    properties: ActorProperties<'a>,
}

/// Builds the feature of one actor, with its distance when given.
pub fn actor_feature<'a>(
    dir: &'a Directory,
    a: Actor<'a>,
    distance_m: Option<f64>,
) -> ActorFeature<'a> {
    let kind = dir.kinds().get(a.kind());
    let report = dir.reports().get(a.source().0 as usize);
    let commune = a.commune();
    let commune_nom = commune
        .and_then(|c| dir.commune(c))
        .map(|c| c.name.as_str());
    ActorFeature {
        kind: "Feature",
        id: a.id(),
        geometry: a.position().map(|p| PointGeometry {
            kind: "Point",
            coordinates: p.position(),
        }),
        properties: ActorProperties {
            id: a.id(),
            nom: a.name(),
            kind: &kind.id,
            type_libelle: &kind.label,
            secteur: kind.sector.id(),
            adresse: a.address_line(),
            numero: a.number(),
            voie: a.street(),
            code_postal: a.postcode(),
            ville: a.city(),
            commune,
            commune_nom,
            telephone: a.phone(),
            email: a.email(),
            site: a.website(),
            horaires: a.hours(),
            capacite: a.capacity(),
            precision: a.precision().id(),
            precision_libelle: a.precision().label(),
            source: report.map_or("", |r| r.source_name.as_str()),
            source_date: report.and_then(|r| r.source_date.as_deref()),
            exemple: report.is_some_and(|r| r.sample),
            code_source: a.source_code(),
            libelle_source: a.source_label(),
            tags: crate::model::partner_field::join_tags(a.tags()),
            distance_m: distance_m.map(|d| (d * 10.0).round() / 10.0),
        },
    }
}

/// A GeoJSON FeatureCollection of actors; `total`, `limit` and `offset` on paged lists.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeatureCollection<'a> {
    /// `FeatureCollection`
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<ActorFeature<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
}

/// A collection of actor features; `paging` is `(total, limit, offset)` for paged lists.
pub fn collection<'a>(
    dir: &'a Directory,
    items: impl Iterator<Item = (u32, Option<f64>)>,
    paging: Option<(usize, usize, usize)>,
) -> FeatureCollection<'a> {
    FeatureCollection {
        kind: "FeatureCollection",
        features: items
            .map(|(i, d)| actor_feature(dir, dir.actor(i), d))
            .collect(),
        total: paging.map(|p| p.0),
        limit: paging.map(|p| p.1),
        offset: paging.map(|p| p.2),
    }
}

/// A commune as a GeoJSON feature with its outline.
pub fn commune_feature(dir: &Directory, c: &Commune, full: bool) -> serde_json::Value {
    let mut props = serde_json::json!({
        "code": c.code.as_str(),
        "nom": c.name,
        "population": c.population,
    });
    if full {
        props["departement"] = c.departement.clone().into();
        props["epci"] = c.epci.clone().into();
        props["codes_postaux"] = c.postcodes.clone().into();
        props["nombre_acteurs"] = dir.actors_in_commune(c.code).len().into();
    }
    serde_json::json!({
        "type": "Feature",
        "id": c.code.as_str(),
        "geometry": geometry(&c.geometry),
        "properties": props,
    })
}

/// A territory as a GeoJSON feature with its union outline.
pub fn territory_feature(dir: &Directory, t: &TerritoryEntry) -> serde_json::Value {
    let communes: Vec<serde_json::Value> = t
        .territory
        .communes
        .iter()
        .filter_map(|code| dir.commune(*code))
        .map(|c| serde_json::json!({"code": c.code.as_str(), "nom": c.name, "population": c.population}))
        .collect();
    serde_json::json!({
        "type": "Feature",
        "id": t.territory.id,
        "geometry": geometry(dir.territory_outline(t)),
        "properties": {
            "id": t.territory.id,
            "nom": t.territory.name,
            "type": t.territory.kind,
            "population": t.population,
            "population_declaree": t.territory.declared_population,
            "communes": communes,
            "communes_inconnues": t.unknown_communes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "communes_sans_population": t.communes_without_population.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        }
    })
}

fn geometry(g: &MultiPolygon<f64>) -> serde_json::Value {
    if g.0.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::to_value(geojson::Geometry::from(g)).unwrap_or(serde_json::Value::Null)
}
