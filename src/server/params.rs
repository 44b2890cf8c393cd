//! Parsing and validating query parameters, with French errors naming the parameter and the
//! allowed range.

use std::collections::HashMap;

use crate::export::features::Fields;
use crate::index::Directory;
use crate::model::{KindId, LonLat, Sector};

use super::error::ApiError;

/// Upper bounds of the API.
pub const MAX_RADIUS_M: f64 = 100_000.0;
pub const MAX_K: usize = 1_000;
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 1_000;

// The query parameters as the OpenAPI document describes them (the handlers read them with
// [`Params`], for French errors naming the parameter); shared by several routes.

/// A point: `lat` and `lon`, both required.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// Latitude WGS84 en degrés
    #[param(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude WGS84 en degrés
    #[param(minimum = -180, maximum = 180)]
    pub lon: f64,
}

/// Optional kinds of actors.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KindQuery {
    /// Types d'acteurs séparés par des virgules (voir /api/kinds)
    pub kind: Option<String>,
}

/// A page of a list: `limit` and `offset`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Nombre maximal de résultats de la page (1 000 par défaut) ; `total` dit combien il y en a en tout et `suivant` donne l'adresse de la page suivante
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
    /// Décalage de pagination (nombre de résultats sautés)
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// The properties returned for each actor.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldsQuery {
    /// Propriétés renvoyées pour chaque acteur, séparées par des virgules (toutes par défaut), par exemple `id,nom,type,distance_m` ; voir le schéma ActorProperties
    pub champs: Option<String>,
}

/// The format of an actor list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFormatQuery {
    /// `geojson` (défaut) ou `gpkg` : GeoPackage pour QGIS, une couche « acteurs » aux colonnes typées (même vides), à télécharger
    #[param(pattern = "^(geojson|gpkg)$")]
    pub format: Option<String>,
}

/// The format of an actor list (`format=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    GeoJson,
    Gpkg,
}

/// Decoded query string; the last value wins for a repeated key.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// A non-empty value, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    pub fn f64(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let x: f64 = v.parse().map_err(|_| {
            ApiError::bad_param(
                name,
                format!("nombre décimal attendu (point décimal), trouvé « {v} »"),
            )
        })?;
        if !x.is_finite() || x < min || x > max {
            return Err(ApiError::bad_param(
                name,
                format!("valeur attendue entre {min} et {max}, trouvé {v}"),
            ));
        }
        Ok(Some(x))
    }

    pub fn usize(&self, name: &str, min: usize, max: usize) -> Result<Option<usize>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let x: usize = v.parse().map_err(|_| {
            ApiError::bad_param(
                name,
                format!("entier attendu entre {min} et {max}, trouvé « {v} »"),
            )
        })?;
        if x < min || x > max {
            return Err(ApiError::bad_param(
                name,
                format!("entier attendu entre {min} et {max}, trouvé {x}"),
            ));
        }
        Ok(Some(x))
    }

    /// `lat` and `lon`, both required.
    pub fn point(&self) -> Result<LonLat, ApiError> {
        let lat = self.f64("lat", -90.0, 90.0)?;
        let lon = self.f64("lon", -180.0, 180.0)?;
        match (lat, lon) {
            (Some(lat), Some(lon)) => Ok(LonLat::new(lon, lat)),
            (None, _) => Err(ApiError::missing(
                "lat",
                "latitude WGS84 en degrés décimaux, entre -90 et 90",
            )),
            (_, None) => Err(ApiError::missing(
                "lon",
                "longitude WGS84 en degrés décimaux, entre -180 et 180",
            )),
        }
    }

    /// `kind=a,b`: kind ids, validated against the directory's kinds.
    pub fn kinds(&self, dir: &Directory) -> Result<Option<Vec<KindId>>, ApiError> {
        let Some(v) = self.get("kind") else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for part in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match dir.kinds().by_id(part) {
                Some(k) => out.push(k),
                None => {
                    let valid: Vec<&str> = dir.kinds().iter().map(|(_, k)| k.id.as_str()).collect();
                    return Err(ApiError::bad_param(
                        "kind",
                        format!(
                            "type inconnu « {part} » ; types valides : {}",
                            valid.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// `limit` (1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent) and `offset`.
    pub fn page(&self) -> Result<(usize, usize), ApiError> {
        let limit = self.usize("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
        let offset = self.usize("offset", 0, usize::MAX)?.unwrap_or(0);
        Ok((limit, offset))
    }

    /// `champs=id,nom`: the actor properties returned (every one when absent).
    /// `format` of an actor list: `geojson` (default) or `gpkg`.
    pub fn list_format(&self) -> Result<ListFormat, ApiError> {
        match self.get("format").unwrap_or("geojson") {
            "geojson" => Ok(ListFormat::GeoJson),
            "gpkg" => Ok(ListFormat::Gpkg),
            f => Err(ApiError::bad_param(
                "format",
                format!("geojson ou gpkg attendu, trouvé « {f} »"),
            )),
        }
    }

    pub fn fields(&self) -> Result<Fields, ApiError> {
        match self.get("champs") {
            None => Ok(Fields::ALL),
            Some(v) => Fields::parse(v).map_err(|e| ApiError::bad_param("champs", e.to_string())),
        }
    }

    pub fn sector(&self) -> Result<Option<Sector>, ApiError> {
        let Some(v) = self.get("sector") else {
            return Ok(None);
        };
        Sector::parse(v).map(Some).ok_or_else(|| {
            ApiError::bad_param(
                "sector",
                format!("secteur attendu : sanitaire, medico-social ou social ; trouvé « {v} »"),
            )
        })
    }

    /// `bbox=minLon,minLat,maxLon,maxLat`.
    pub fn bbox(&self) -> Result<Option<(LonLat, LonLat)>, ApiError> {
        let Some(v) = self.get("bbox") else {
            return Ok(None);
        };
        let expected = "quatre nombres « minLon,minLat,maxLon,maxLat » en degrés WGS84";
        let parts: Vec<f64> = v
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| ApiError::bad_param("bbox", format!("{expected}, trouvé « {v} »")))?;
        if parts.len() != 4 || parts.iter().any(|x| !x.is_finite()) {
            return Err(ApiError::bad_param(
                "bbox",
                format!("{expected}, trouvé « {v} »"),
            ));
        }
        let (a, b) = (
            LonLat::new(parts[0], parts[1]),
            LonLat::new(parts[2], parts[3]),
        );
        if !a.is_valid() || !b.is_valid() {
            return Err(ApiError::bad_param(
                "bbox",
                "longitudes entre -180 et 180, latitudes entre -90 et 90",
            ));
        }
        if a.lon > b.lon || a.lat > b.lat {
            return Err(ApiError::bad_param(
                "bbox",
                "le coin sud-ouest (minLon,minLat) doit précéder le coin nord-est (maxLon,maxLat)",
            ));
        }
        Ok(Some((a, b)))
    }
}
