//! Plain inputs of every computation: places (communes with population and a point) and
//! supply points (actors or commune-level equipment counts, with a weight), each with its own
//! exact great-circle point index.
//!
//! ```
//! use maillage::analysis::{Place, PlaceSet, SupplyPoint, SupplySet};
//! use maillage::model::LonLat;
//! let places = PlaceSet::new(vec![Place::new("81004", "Albi", Some(49_000), Some(LonLat::new(2.15, 43.93)))]);
//! let supplies = SupplySet::new(vec![SupplyPoint::new("a", "Cabinet", LonLat::new(2.14, 43.92), 1.0)]).unwrap();
//! assert_eq!(places.len(), 1);
//! assert_eq!(supplies.len(), 1);
//! ```

use serde::Serialize;

use super::AnalysisError;
use crate::index::spatial::PointIndex;
use crate::model::{InseeCode, LonLat};

/// Where a commune's point comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PointKind {
    /// Area-weighted centroid of the outline (no population-weighted point was available).
    #[serde(rename = "centroide")]
    Centroid,
    /// Population-weighted point (e.g. from a grid of inhabitants).
    #[serde(rename = "pondere-population")]
    PopulationWeighted,
}

impl PointKind {
    pub fn label(self) -> &'static str {
        match self {
            PointKind::Centroid => "centroïde géométrique (pas de point pondéré par la population)",
            PointKind::PopulationWeighted => "point pondéré par la population",
        }
    }
}

/// A commune as the analysis sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// INSEE code as text (kept as given so that unparsable codes can still be reported).
    pub code: String,
    pub name: String,
    pub departement: String,
    /// Municipal population; `None` when no population source covers this code.
    pub population: Option<u64>,
    /// The commune's point; `None` when no outline covers this code.
    pub point: Option<LonLat>,
    pub point_kind: PointKind,
}

impl Place {
    /// A place with a centroid point; the département is taken from the code.
    pub fn new(code: &str, name: &str, population: Option<u64>, point: Option<LonLat>) -> Place {
        let departement = code
            .parse::<InseeCode>()
            .map(|c| c.departement().to_string())
            .unwrap_or_default();
        Place {
            code: code.to_string(),
            name: name.to_string(),
            departement,
            population,
            point,
            point_kind: PointKind::Centroid,
        }
    }

    /// Population, 0 when unknown.
    pub fn pop(&self) -> u64 {
        self.population.unwrap_or(0)
    }
}

/// Places with an exact point index over those that have a point.
#[derive(Debug, Clone, Default)]
pub struct PlaceSet {
    places: Vec<Place>,
    index: PointIndex,
}

impl PlaceSet {
    pub fn new(places: Vec<Place>) -> PlaceSet {
        let located: Vec<(u32, LonLat)> = places
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.point.filter(LonLat::is_valid).map(|pt| (i as u32, pt)))
            .collect();
        PlaceSet {
            index: PointIndex::new(&located),
            places,
        }
    }

    pub fn all(&self) -> &[Place] {
        &self.places
    }

    pub fn get(&self, i: usize) -> &Place {
        &self.places[i]
    }

    /// The places that have a point, as `(index, point)` in place order.
    pub fn located(&self) -> Vec<(usize, LonLat)> {
        self.places
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.point.map(|pt| (i, pt)))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Position of the place `i` (origin for an unlocated place, never indexed).
    fn pos(&self) -> impl Fn(u32) -> LonLat + '_ {
        |i| {
            self.places[i as usize]
                .point
                .unwrap_or(LonLat::new(0.0, 0.0))
        }
    }

    /// Places whose point lies within `radius_m` of `at`, as `(index, metres)` by (distance, index).
    pub fn within(&self, at: LonLat, radius_m: f64) -> Vec<(usize, f64)> {
        self.index
            .within(at, radius_m, self.pos(), |_, _| true)
            .into_iter()
            .map(|(i, d)| (i as usize, d))
            .collect()
    }
}

/// One point of supply: an actor, or a commune's count of equipment placed at its centroid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyPoint {
    /// Stable key (`finess:810000505`, `bpe:81004:medecin-generaliste`).
    #[serde(rename = "id")]
    pub key: String,
    #[serde(rename = "nom")]
    pub label: String,
    #[serde(skip)]
    pub position: LonLat,
    /// Supply weight: 1 per actor by default, FTE or capacity when known, a count for BPE.
    #[serde(rename = "offre")]
    pub weight: f64,
    /// The commune the supply is in, when known.
    #[serde(rename = "commune")]
    pub commune: Option<String>,
}

impl SupplyPoint {
    pub fn new(key: &str, label: &str, position: LonLat, weight: f64) -> SupplyPoint {
        SupplyPoint {
            key: key.to_string(),
            label: label.to_string(),
            position,
            weight,
            commune: None,
        }
    }
}

/// Supply points with positive weight, sorted by key, with an exact point index.
#[derive(Debug, Clone, Default)]
pub struct SupplySet {
    points: Vec<SupplyPoint>,
    index: PointIndex,
    /// Points given with a zero weight (no supply), left out of the index.
    pub zero_weight: usize,
}

impl SupplySet {
    /// Indexes supply points. A negative, non-finite weight or an invalid position is an error
    /// naming the point; zero weights are counted in [`SupplySet::zero_weight`] and left out.
    pub fn new(mut points: Vec<SupplyPoint>) -> Result<SupplySet, AnalysisError> {
        for p in &points {
            if !p.weight.is_finite() || p.weight < 0.0 {
                return Err(AnalysisError::Supply {
                    key: p.key.clone(),
                    detail: format!("offre positive ou nulle attendue, trouvé {}", p.weight),
                });
            }
            if !p.position.is_valid() {
                return Err(AnalysisError::Supply {
                    key: p.key.clone(),
                    detail: "position WGS84 invalide".into(),
                });
            }
        }
        let before = points.len();
        points.retain(|p| p.weight > 0.0);
        let zero_weight = before - points.len();
        points.sort_by(|a, b| a.key.cmp(&b.key));
        let located: Vec<(u32, LonLat)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, p.position))
            .collect();
        Ok(SupplySet {
            index: PointIndex::new(&located),
            points,
            zero_weight,
        })
    }

    pub fn all(&self) -> &[SupplyPoint] {
        &self.points
    }

    pub fn get(&self, j: usize) -> &SupplyPoint {
        &self.points[j]
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Sum of the weights.
    pub fn total(&self) -> f64 {
        self.points.iter().map(|p| p.weight).sum()
    }

    fn pos(&self) -> impl Fn(u32) -> LonLat + '_ {
        |j| self.points[j as usize].position
    }

    /// The nearest supply point, as `(index, metres)`; ties go to the smallest key.
    pub fn nearest(&self, at: LonLat) -> Option<(usize, f64)> {
        self.index
            .nearest(at, 1, |_, _| true)
            .first()
            .map(|&(j, d)| (j as usize, d))
    }

    /// The `k` nearest supply points, as `(index, metres)` by (distance, index).
    pub fn nearest_k(&self, at: LonLat, k: usize) -> Vec<(usize, f64)> {
        self.index
            .nearest(at, k, |_, _| true)
            .into_iter()
            .map(|(j, d)| (j as usize, d))
            .collect()
    }

    /// Supply points within `radius_m` of `at`, by (distance, index).
    pub fn within(&self, at: LonLat, radius_m: f64) -> Vec<(usize, f64)> {
        self.index
            .within(at, radius_m, self.pos(), |_, _| true)
            .into_iter()
            .map(|(j, d)| (j as usize, d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weights_are_counted_and_bad_weights_refused() {
        let p = LonLat::new(2.0, 44.0);
        let s = SupplySet::new(vec![
            SupplyPoint::new("b", "B", p, 0.0),
            SupplyPoint::new("a", "A", p, 2.0),
        ])
        .unwrap();
        assert_eq!((s.len(), s.zero_weight), (1, 1));
        assert_eq!(s.total(), 2.0);
        let e = SupplySet::new(vec![SupplyPoint::new("x", "X", p, -1.0)]).unwrap_err();
        assert!(e.to_string().contains('x'), "{e}");
    }

    #[test]
    fn nearest_tie_goes_to_smallest_key() {
        let p = LonLat::new(2.0, 44.0);
        let s = SupplySet::new(vec![
            SupplyPoint::new("z", "Z", p, 1.0),
            SupplyPoint::new("m", "M", p, 1.0),
        ])
        .unwrap();
        let (j, d) = s.nearest(LonLat::new(2.01, 44.0)).unwrap();
        assert_eq!(s.get(j).key, "m");
        assert!(d > 0.0);
    }
}
