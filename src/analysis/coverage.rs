//! Distance to the nearest supply and population coverage within a reach.
//!
//! A commune is *covered* when its point lies within the reach of at least one supply point.
//! Every inhabitant is counted once: covered, not covered, or not located (commune without an
//! outline, so without a point); the three always add up to the total.
//!
//! ```
//! use maillage::analysis::{coverage, nearest_supply, Place, PlaceSet, SupplyPoint, SupplySet, TravelModel};
//! use maillage::model::LonLat;
//! let places = PlaceSet::new(vec![
//!     Place::new("81001", "A", Some(100), Some(LonLat::new(2.0, 44.0))),
//!     Place::new("81002", "B", Some(50), Some(LonLat::new(2.5, 44.0))),
//! ]);
//! let s = SupplySet::new(vec![SupplyPoint::new("m", "M", LonLat::new(2.0, 44.0), 1.0)]).unwrap();
//! let near = nearest_supply(&places, &s, &TravelModel::default());
//! let cov = coverage(&places, &near, 10_000.0, &[0, 1]);
//! assert_eq!((cov.population_covered, cov.population_uncovered), (100, 50));
//! assert_eq!(cov.uncovered, vec![1]);
//! ```

use serde::Serialize;

use super::inputs::{PlaceSet, SupplySet};
use super::travel::TravelModel;

/// The nearest supply point of a place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Nearest {
    /// Index in the [`SupplySet`].
    #[serde(skip)]
    pub supply: usize,
    /// Great-circle metres from the place's point.
    #[serde(rename = "distance_m")]
    pub distance_m: f64,
    /// Estimated minutes under the travel model.
    #[serde(rename = "temps_estime_min")]
    pub minutes: f64,
}

/// For every place (same order), its nearest supply point; `None` when the place has no point
/// or there is no supply at all.
pub fn nearest_supply(
    places: &PlaceSet,
    supplies: &SupplySet,
    model: &TravelModel,
) -> Vec<Option<Nearest>> {
    places
        .all()
        .iter()
        .map(|p| {
            let pt = p.point?;
            let (j, d) = supplies.nearest(pt)?;
            Some(Nearest {
                supply: j,
                distance_m: d,
                minutes: model.minutes(d),
            })
        })
        .collect()
}

/// Coverage of a set of places (a territory) for a reach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Great-circle threshold in metres.
    #[serde(rename = "seuil_m")]
    pub threshold_m: f64,
    #[serde(rename = "population_totale")]
    pub population_total: u64,
    #[serde(rename = "population_couverte")]
    pub population_covered: u64,
    #[serde(rename = "population_non_couverte")]
    pub population_uncovered: u64,
    /// Inhabitants of communes without a point: neither covered nor uncovered.
    #[serde(rename = "population_non_localisee")]
    pub population_unlocated: u64,
    /// Covered share of the located population (0–1), `None` when it is zero.
    #[serde(rename = "part_couverte")]
    pub share: Option<f64>,
    #[serde(rename = "communes_couvertes")]
    pub communes_covered: usize,
    /// Place indexes outside the reach ("zones blanches"), in input order.
    #[serde(skip)]
    pub uncovered: Vec<usize>,
    /// Place indexes without a point.
    #[serde(skip)]
    pub unlocated: Vec<usize>,
}

/// Coverage of the places `members` (indexes into `places`) given their nearest supply.
pub fn coverage(
    places: &PlaceSet,
    nearest: &[Option<Nearest>],
    threshold_m: f64,
    members: &[usize],
) -> Coverage {
    let mut c = Coverage {
        threshold_m,
        population_total: 0,
        population_covered: 0,
        population_uncovered: 0,
        population_unlocated: 0,
        share: None,
        communes_covered: 0,
        uncovered: Vec::new(),
        unlocated: Vec::new(),
    };
    for &i in members {
        let p = places.get(i);
        let pop = p.pop();
        c.population_total += pop;
        if p.point.is_none() {
            c.population_unlocated += pop;
            c.unlocated.push(i);
            continue;
        }
        match nearest[i] {
            Some(n) if n.distance_m <= threshold_m => {
                c.population_covered += pop;
                c.communes_covered += 1;
            }
            _ => {
                c.population_uncovered += pop;
                c.uncovered.push(i);
            }
        }
    }
    let located = c.population_covered + c.population_uncovered;
    c.share = (located > 0).then(|| c.population_covered as f64 / located as f64);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::inputs::{Place, SupplyPoint};
    use crate::model::{haversine_m, LonLat};

    fn setup() -> (PlaceSet, SupplySet) {
        let places = PlaceSet::new(vec![
            Place::new("81001", "A", Some(1000), Some(LonLat::new(2.0, 44.0))),
            Place::new("81002", "B", Some(300), Some(LonLat::new(2.1, 44.0))),
            Place::new("81003", "C", Some(200), Some(LonLat::new(2.4, 44.0))),
            Place::new("81004", "D", Some(70), None),
        ]);
        let s = SupplySet::new(vec![SupplyPoint::new(
            "m",
            "M",
            LonLat::new(2.0, 44.0),
            1.0,
        )])
        .unwrap();
        (places, s)
    }

    #[test]
    fn hand_computed_coverage() {
        let (places, s) = setup();
        let near = nearest_supply(&places, &s, &TravelModel::default());
        let d_b = haversine_m(LonLat::new(2.0, 44.0), LonLat::new(2.1, 44.0));
        assert!((near[1].unwrap().distance_m - d_b).abs() < 1e-6);
        // 0.1° of longitude at 44° N is about 8.0 km; 0.4° about 32 km.
        assert!((7_900.0..8_100.0).contains(&d_b));
        let c = coverage(&places, &near, 10_000.0, &[0, 1, 2, 3]);
        assert_eq!(c.population_total, 1570);
        assert_eq!(c.population_covered, 1300);
        assert_eq!(c.population_uncovered, 200);
        assert_eq!(c.population_unlocated, 70);
        assert_eq!(c.uncovered, vec![2]);
        assert_eq!(c.unlocated, vec![3]);
        assert!((c.share.unwrap() - 1300.0 / 1500.0).abs() < 1e-12);
        // Threshold just below B's distance excludes B.
        let c = coverage(&places, &near, d_b - 1.0, &[0, 1, 2, 3]);
        assert_eq!(c.population_covered, 1000);
    }

    #[test]
    fn no_supply_means_nobody_covered() {
        let (places, _) = setup();
        let none = SupplySet::new(vec![]).unwrap();
        let near = nearest_supply(&places, &none, &TravelModel::default());
        let c = coverage(&places, &near, 50_000.0, &[0, 1, 2, 3]);
        assert_eq!(c.population_covered, 0);
        assert_eq!(c.share, Some(0.0));
    }
}
