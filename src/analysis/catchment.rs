//! Catchments: every commune assigned to its nearest supply point (a Voronoi-like partition on
//! communes), and the communes within a reach of one point: a great-circle distance
//! ([`around`]) or a road time from the routing engine ([`around_by_road`]).
//!
//! ```
//! use maillage::analysis::{catchments, nearest_supply, Place, PlaceSet, SupplyPoint, SupplySet, TravelModel};
//! use maillage::model::LonLat;
//! let places = PlaceSet::new(vec![
//!     Place::new("81001", "A", Some(100), Some(LonLat::new(2.0, 44.0))),
//!     Place::new("81002", "B", Some(50), Some(LonLat::new(2.5, 44.0))),
//! ]);
//! let s = SupplySet::new(vec![
//!     SupplyPoint::new("ouest", "O", LonLat::new(2.01, 44.0), 1.0),
//!     SupplyPoint::new("est", "E", LonLat::new(2.49, 44.0), 1.0),
//! ]).unwrap();
//! let near = nearest_supply(&places, &s, &TravelModel::default());
//! let c = catchments(&places, &s, &near);
//! // Supply points are sorted by key: "est" (0) then "ouest" (1).
//! assert_eq!((c[0].places.clone(), c[0].population), (vec![1], 50));
//! assert_eq!((c[1].places.clone(), c[1].population), (vec![0], 100));
//! ```

use serde::Serialize;

use super::coverage::Nearest;
use super::inputs::{PlaceSet, SupplySet};
use super::travel::road_lower_bound_s;
use super::AnalysisError;
use crate::model::{haversine_m, LonLat};
use crate::routing::{Engine, Leg, Unroutable};

/// One supply point's catchment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catchment {
    /// Index in the [`SupplySet`].
    #[serde(skip)]
    pub supply: usize,
    /// Place indexes whose nearest supply is this one, in place order.
    #[serde(skip)]
    pub places: Vec<usize>,
    /// Sum of those places' populations.
    pub population: u64,
    /// Farthest assigned place, great-circle metres.
    #[serde(rename = "distance_max_m")]
    pub max_distance_m: f64,
}

/// The catchment of every supply point (same order as the supply set; a point nearest to no
/// commune gets an empty catchment). Ties go to the smallest supply key.
pub fn catchments(
    places: &PlaceSet,
    supplies: &SupplySet,
    nearest: &[Option<Nearest>],
) -> Vec<Catchment> {
    let mut out: Vec<Catchment> = (0..supplies.len())
        .map(|j| Catchment {
            supply: j,
            places: Vec::new(),
            population: 0,
            max_distance_m: 0.0,
        })
        .collect();
    for (i, n) in nearest.iter().enumerate() {
        if let Some(n) = n {
            let c = &mut out[n.supply];
            c.places.push(i);
            c.population += places.get(i).pop();
            c.max_distance_m = c.max_distance_m.max(n.distance_m);
        }
    }
    out
}

/// Communes whose point lies within `radius_m` of `at`, as `(index, metres)` sorted by
/// (distance, index), with their total population.
pub fn around(places: &PlaceSet, at: LonLat, radius_m: f64) -> (Vec<(usize, f64)>, u64) {
    let found = places.within(at, radius_m);
    let pop = found.iter().map(|(i, _)| places.get(*i).pop()).sum();
    (found, pop)
}

/// Most communes asked to the engine for one [`around_by_road`]: the engine's matrix is sent
/// in blocks of its `max_matrix_location_pairs` (10 000 for a graph prepared by
/// `maillage routage preparer`, so one request), and beyond this a shorter time is asked for.
pub const MAX_ROAD_TARGETS: usize = 10_000;

/// The communes within reach of a point by road time ([`around_by_road`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RoadReach {
    /// `(place, leg, great-circle metres)` within reach, by (road time, index).
    pub found: Vec<(usize, Leg, f64)>,
    /// Total population of `found`.
    pub population: u64,
    /// Places that could have been within reach but that the road does not reach, with why.
    pub unroutable: Vec<(usize, Unroutable)>,
    /// Places asked to the engine.
    pub examined: usize,
    /// The point itself has no road within the engine's reach (nothing found).
    pub origin_off_road: bool,
}

/// Communes whose point is within `minutes` of `at` **by road** (the engine's time from `at`,
/// at most `minutes`), exact: only the places that the time bound of
/// [`road_lower_bound_s`] cannot rule out are asked, in one matrix from `at` to all of them
/// (the engine cuts it into blocks of its own limit). More than [`MAX_ROAD_TARGETS`]
/// candidates is refused as a parameter error on `max_minutes`.
pub fn around_by_road(
    places: &PlaceSet,
    engine: &Engine,
    at: LonLat,
    minutes: f64,
) -> Result<RoadReach, AnalysisError> {
    let mut out = RoadReach {
        found: Vec::new(),
        population: 0,
        unroutable: Vec::new(),
        examined: 0,
        origin_off_road: false,
    };
    let Some(origin) = engine.snap(&[at])?[0] else {
        out.origin_off_road = true;
        return Ok(out);
    };
    let located = places.located();
    let points: Vec<LonLat> = located.iter().map(|l| l.1).collect();
    let snaps = engine.snap(&points)?;
    let limit_s = minutes * 60.0;
    let mut targets: Vec<(usize, LonLat, f64)> = Vec::new();
    for (&(i, pt), snap) in located.iter().zip(&snaps) {
        let d = haversine_m(at, pt);
        let slack = origin.offset_m + snap.map_or(0.0, |s| s.offset_m);
        if road_lower_bound_s(engine, d, slack) > limit_s {
            continue;
        }
        match snap {
            Some(_) => targets.push((i, pt, d)),
            None => out.unroutable.push((i, Unroutable::DestinationOffRoad)),
        }
    }
    if targets.len() > MAX_ROAD_TARGETS {
        return Err(AnalysisError::Parameter {
            name: "max_minutes",
            expected: format!(
                "un temps plus court : {} communes peuvent être à portée, au plus {} par requête au moteur de routage",
                targets.len(),
                MAX_ROAD_TARGETS
            ),
            found: minutes.to_string(),
        });
    }
    out.examined = targets.len();
    let pts: Vec<LonLat> = targets.iter().map(|t| t.1).collect();
    let row = engine.matrix(&[at], &pts)?.pop().unwrap_or_default();
    for (&(i, _, d), r) in targets.iter().zip(row) {
        match r {
            Ok(leg) if leg.minutes() <= minutes => out.found.push((i, leg, d)),
            Ok(_) => {}
            Err(u) => out.unroutable.push((i, u)),
        }
    }
    out.found
        .sort_by(|a, b| a.1.seconds.total_cmp(&b.1.seconds).then(a.0.cmp(&b.0)));
    out.unroutable.sort_unstable_by_key(|u| u.0);
    out.population = out.found.iter().map(|f| places.get(f.0).pop()).sum();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::coverage::nearest_supply;
    use crate::analysis::inputs::{Place, SupplyPoint};
    use crate::analysis::TravelModel;

    #[test]
    fn partition_covers_every_located_place_once() {
        let places = PlaceSet::new(vec![
            Place::new("81001", "A", Some(10), Some(LonLat::new(2.0, 44.0))),
            Place::new("81002", "B", Some(20), Some(LonLat::new(2.1, 44.0))),
            Place::new("81003", "C", Some(30), Some(LonLat::new(2.3, 44.0))),
            Place::new("81004", "D", Some(40), None),
        ]);
        let s = SupplySet::new(vec![
            SupplyPoint::new("a", "a", LonLat::new(2.0, 44.0), 1.0),
            SupplyPoint::new("b", "b", LonLat::new(2.3, 44.0), 1.0),
            SupplyPoint::new("c", "c", LonLat::new(5.0, 44.0), 1.0),
        ])
        .unwrap();
        let near = nearest_supply(&places, &s, &TravelModel::default());
        let c = catchments(&places, &s, &near);
        assert_eq!(c[0].places, vec![0, 1]);
        assert_eq!(c[1].places, vec![2]);
        assert!(c[2].places.is_empty());
        let total: u64 = c.iter().map(|c| c.population).sum();
        assert_eq!(total, 60, "the unlocated commune D is in no catchment");
        let (found, pop) = around(&places, LonLat::new(2.0, 44.0), 9_000.0);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(pop, 30);
    }
}
