//! Catchments: every commune assigned to its nearest supply point (a Voronoi-like partition on
//! communes), and the communes within a reach of one point.
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
use crate::model::LonLat;

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
