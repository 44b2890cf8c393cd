//! The distance and travel-time model: great-circle distance, a road-detour factor and a mean
//! speed. Times are **estimates** (no road network): `minutes = km × detour / speed × 60`.
//!
//! ```
//! use maillage::analysis::{Reach, TravelModel};
//! let m = TravelModel::default(); // détour 1,3 ; 60 km/h
//! assert!((m.minutes(10_000.0) - 13.0).abs() < 1e-9);
//! assert!((m.metres_for_minutes(13.0) - 10_000.0).abs() < 1e-6);
//! assert_eq!(Reach::Km(5.0).crow_metres(&m), 5_000.0);
//! ```

use std::sync::Arc;

use serde::Serialize;

use super::AnalysisError;
use crate::model::LonLat;
use crate::routing::{Engine, Leg, RoutingError, Unroutable, ESTIMATE_LABEL, MAX_TRAVEL_MINUTES};

/// The travel model of a computation: the great-circle estimate ([`TravelModel`], the default)
/// or road times from a running Valhalla engine ([`crate::routing::Engine`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Travel {
    #[default]
    Estimate,
    Road(Arc<Engine>),
}

impl Travel {
    /// The engine, for road times.
    pub fn engine(&self) -> Option<&Engine> {
        match self {
            Travel::Estimate => None,
            Travel::Road(e) => Some(e),
        }
    }

    /// The name said with every figure: « réseau routier OpenStreetMap (Valhalla), extrait du
    /// JJ/MM/AAAA » or « estimation à vol d'oiseau × détour ».
    pub fn name(&self) -> String {
        match self {
            Travel::Estimate => ESTIMATE_LABEL.into(),
            Travel::Road(e) => e.label(),
        }
    }

    /// The travel model of a server started with or without a routing engine.
    pub fn of(engine: Option<&Arc<Engine>>) -> Travel {
        engine.map_or(Travel::Estimate, |e| Travel::Road(e.clone()))
    }

    /// How minutes are worded under this model, after « N min »: [`ROAD_MINUTES`] with an
    /// engine, [`ESTIMATED_MINUTES`] otherwise. The one wording of travel minutes: every
    /// server text ([`Travel::minutes_label`], [`Reach::label_by`]) and the page (which reads
    /// it from `/api/config` and the answers) use it.
    pub fn minutes_wording(&self) -> &'static str {
        match self {
            Travel::Estimate => ESTIMATED_MINUTES,
            Travel::Road(_) => ROAD_MINUTES,
        }
    }

    /// A number of minutes with its wording: « 15 min en voiture (Valhalla) » or « 15 min
    /// estimées à vol d'oiseau ».
    pub fn minutes_label(&self, minutes: f64) -> String {
        format!("{} min {}", fr_num(minutes), self.minutes_wording())
    }
}

/// The wording of minutes by road, from the Valhalla engine ([`Travel::minutes_wording`]).
pub const ROAD_MINUTES: &str = "en voiture (Valhalla)";
/// The wording of minutes estimated from the great-circle distance × detour ÷ speed
/// ([`Travel::minutes_wording`]).
pub const ESTIMATED_MINUTES: &str = "estimées à vol d'oiseau";

/// The `k` nearest candidates by road time, exact.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadRanking {
    /// `(candidate, leg, great-circle metres)` by (road time, candidate).
    pub found: Vec<(usize, Leg, f64)>,
    /// Candidates examined that the road does not reach, with the reason.
    pub unroutable: Vec<(usize, Unroutable)>,
    /// Candidates examined (great-circle order).
    pub examined: usize,
    /// The origin has no road within the engine's reach (nothing found).
    pub origin_off_road: bool,
}

/// The shortest road time possible over a great-circle distance: the engine is asked to drive
/// no faster than its top speed, and times run between snapped points, so a point snapped
/// `slack_m` away in all can only shorten the trip by that much.
pub fn road_lower_bound_s(engine: &Engine, crow_m: f64, slack_m: f64) -> f64 {
    (crow_m - slack_m).max(0.0) / (engine.options().top_speed_kmh / 3.6)
}

/// The `k` candidates nearest to `from` by road time. `candidates(n)` gives the `n` nearest
/// candidates by great-circle distance as `(id, position, metres)`, in that order (fewer
/// when there are no more). They are widened (doubling `n`) until the k-th road time is below
/// the lower bound ([`road_lower_bound_s`]) of the next candidate, so that no candidate
/// farther as the crow flies can be nearer by road. `max_target_offset_m`: the largest
/// distance from a candidate to its snapped point.
pub fn rerank_by_road(
    engine: &Engine,
    from: LonLat,
    k: usize,
    max_target_offset_m: f64,
    mut candidates: impl FnMut(usize) -> Vec<(usize, LonLat, f64)>,
) -> Result<RoadRanking, RoutingError> {
    let Some(snap) = engine.snap(&[from])?[0] else {
        return Ok(RoadRanking {
            found: Vec::new(),
            unroutable: Vec::new(),
            examined: 0,
            origin_off_road: true,
        });
    };
    let slack = snap.offset_m + max_target_offset_m;
    let mut n = (2 * k).max(8);
    loop {
        let cands = candidates(n);
        let targets: Vec<LonLat> = cands.iter().map(|c| c.1).collect();
        let row = engine.matrix(&[from], &targets)?.pop().unwrap_or_default();
        let mut found = Vec::new();
        let mut unroutable = Vec::new();
        for (c, r) in cands.iter().zip(row) {
            match r {
                Ok(leg) => found.push((c.0, leg, c.2)),
                Err(u) => unroutable.push((c.0, u)),
            }
        }
        found.sort_by(|a, b| a.1.seconds.total_cmp(&b.1.seconds).then(a.0.cmp(&b.0)));
        let exhausted = cands.len() < n;
        let bound = cands
            .last()
            .map_or(f64::INFINITY, |c| road_lower_bound_s(engine, c.2, slack));
        if exhausted || (found.len() >= k && k > 0 && found[k - 1].1.seconds < bound) {
            found.truncate(k);
            return Ok(RoadRanking {
                found,
                unroutable,
                examined: cands.len(),
                origin_off_road: false,
            });
        }
        n *= 2;
    }
}

/// Road-detour factor and mean speed turning a great-circle distance into an estimated time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TravelModel {
    /// Ratio of road distance to great-circle distance (default 1.3).
    #[serde(rename = "facteur_detour")]
    pub detour: f64,
    /// Mean road speed in km/h (default 60).
    #[serde(rename = "vitesse_kmh")]
    pub speed_kmh: f64,
}

impl TravelModel {
    /// Default road-detour factor: a common rule of thumb for rural France (road ≈ 1.3 ×
    /// straight line); to be checked locally.
    pub const DEFAULT_DETOUR: f64 = 1.3;
    /// Default mean speed on secondary roads, km/h.
    pub const DEFAULT_SPEED_KMH: f64 = 60.0;

    /// A model, checked: detour in [1, 3], speed in [5, 130] km/h.
    pub fn new(detour: f64, speed_kmh: f64) -> Result<TravelModel, AnalysisError> {
        if !detour.is_finite() || !(1.0..=3.0).contains(&detour) {
            return Err(AnalysisError::Parameter {
                name: "detour",
                expected: "un facteur de détour entre 1 et 3 (1,3 par défaut)".into(),
                found: detour.to_string(),
            });
        }
        if !speed_kmh.is_finite() || !(5.0..=130.0).contains(&speed_kmh) {
            return Err(AnalysisError::Parameter {
                name: "vitesse_kmh",
                expected: "une vitesse entre 5 et 130 km/h (60 par défaut)".into(),
                found: speed_kmh.to_string(),
            });
        }
        Ok(TravelModel { detour, speed_kmh })
    }

    /// Estimated road kilometres for a great-circle distance in metres.
    pub fn road_km(&self, crow_m: f64) -> f64 {
        crow_m / 1000.0 * self.detour
    }

    /// Estimated minutes for a great-circle distance in metres.
    pub fn minutes(&self, crow_m: f64) -> f64 {
        self.road_km(crow_m) / self.speed_kmh * 60.0
    }

    /// The great-circle distance in metres that takes `minutes` under this model.
    pub fn metres_for_minutes(&self, minutes: f64) -> f64 {
        minutes / 60.0 * self.speed_kmh / self.detour * 1000.0
    }

    /// French one-line description, for reports.
    pub fn describe(&self) -> String {
        format!(
            "temps estimé = distance à vol d'oiseau × {} (détour routier) ÷ {} km/h (estimation, sans réseau routier)",
            fr_num(self.detour),
            fr_num(self.speed_kmh)
        )
    }
}

impl Default for TravelModel {
    fn default() -> Self {
        TravelModel {
            detour: Self::DEFAULT_DETOUR,
            speed_kmh: Self::DEFAULT_SPEED_KMH,
        }
    }
}

/// A reach threshold, either a great-circle distance or an estimated travel time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Reach {
    /// Kilometres as the crow flies (great-circle).
    #[serde(rename = "km")]
    Km(f64),
    /// Estimated minutes under a [`TravelModel`].
    #[serde(rename = "minutes")]
    Minutes(f64),
}

impl Reach {
    /// The threshold as great-circle metres.
    pub fn crow_metres(&self, model: &TravelModel) -> f64 {
        match *self {
            Reach::Km(km) => km * 1000.0,
            Reach::Minutes(min) => model.metres_for_minutes(min),
        }
    }

    /// French label under a travel model: `10 km à vol d'oiseau`, or minutes worded by
    /// [`Travel::minutes_label`] (`15 min en voiture (Valhalla)` with an engine, `15 min
    /// estimées à vol d'oiseau` otherwise).
    pub fn label_by(&self, travel: &Travel) -> String {
        match *self {
            Reach::Km(km) => format!("{} km à vol d'oiseau", fr_num(km)),
            Reach::Minutes(m) => travel.minutes_label(m),
        }
    }

    /// Checks the value is finite and within (0, [`MAX_REACH_KM`]] km or
    /// (0, [`MAX_TRAVEL_MINUTES`]] minutes.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        let (v, max, name, unit) = match *self {
            Reach::Km(v) => (v, MAX_REACH_KM, "max_km", "km"),
            Reach::Minutes(v) => (v, MAX_TRAVEL_MINUTES, "max_minutes", "minutes"),
        };
        if v.is_finite() && v > 0.0 && v <= max {
            Ok(())
        } else {
            Err(AnalysisError::Parameter {
                name,
                expected: format!("un seuil strictement positif et au plus {max} {unit}"),
                found: v.to_string(),
            })
        }
    }
}

/// The longest distance the analyses accept, in km (coverage threshold, 2SFCA steps).
pub const MAX_REACH_KM: f64 = 200.0;

/// A number with a decimal comma and no useless zeros (`1,3`, `60`, `0,667`).
pub fn fr_num(x: f64) -> String {
    let s = format!("{:.3}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_round_trip_and_monotone() {
        let m = TravelModel::new(1.5, 45.0).unwrap();
        // 30 km crow → 45 road km → 60 min at 45 km/h.
        assert!((m.minutes(30_000.0) - 60.0).abs() < 1e-9);
        assert!((m.metres_for_minutes(60.0) - 30_000.0).abs() < 1e-6);
        assert!(m.minutes(1000.0) < m.minutes(2000.0));
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = TravelModel::new(0.5, 60.0).unwrap_err().to_string();
        assert!(e.contains("detour"), "{e}");
        let e = TravelModel::new(1.3, f64::NAN).unwrap_err().to_string();
        assert!(e.contains("vitesse_kmh"), "{e}");
        assert!(Reach::Km(-1.0).validate().is_err());
        assert!(Reach::Minutes(20.0).validate().is_ok());
    }

    #[test]
    fn minutes_are_worded_by_the_travel_model() {
        let est = Travel::Estimate;
        assert_eq!(est.minutes_wording(), ESTIMATED_MINUTES);
        assert_eq!(
            Reach::Minutes(7.5).label_by(&est),
            "7,5 min estimées à vol d'oiseau"
        );
        assert_eq!(Reach::Km(10.0).label_by(&est), "10 km à vol d'oiseau");
        assert_eq!(Travel::of(None), Travel::Estimate);
    }

    #[test]
    fn french_numbers() {
        assert_eq!(fr_num(1.3), "1,3");
        assert_eq!(fr_num(60.0), "60");
        assert_eq!(fr_num(2.0 / 3.0), "0,667");
    }
}
