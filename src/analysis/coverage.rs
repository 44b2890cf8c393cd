//! Distance to the nearest supply and population coverage, under one of two named definitions
//! ([`CoverageBasis`]):
//!
//! - **by service area** (`zone_intervention`): a commune is covered when some structure of
//!   the kind is competent for it, exactly as `/api/orientation` decides competence
//!   ([`crate::index::Directory::competent`] with the commune and its centre);
//! - **by distance** (`distance`): a commune is covered when its point lies within the reach
//!   of at least one supply point.
//!
//! Every inhabitant is counted once: covered, not covered, or undetermined (by distance, a
//! commune without an outline has no point); the three always add up to the total.
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
use super::travel::{rerank_by_road, Reach, Travel, TravelModel};
use crate::model::LonLat;
use crate::routing::{Engine, Leg, RoutingError};

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
    /// Road time and distance when the travel model is the road network.
    #[serde(skip)]
    pub road: Option<Leg>,
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
                road: None,
            })
        })
        .collect()
}

/// Nearest supply by road time, with the points the road network does not reach.
#[derive(Debug, Clone, Default)]
pub struct RoadNearest {
    /// Per place: its nearest supply by road time (`minutes`: the estimate to that same
    /// supply, `road`: the road leg); `None` without a point, off the road network, or when no
    /// supply is reachable by road.
    pub nearest: Vec<Option<Nearest>>,
    /// Places whose point has no road within the engine's reach.
    pub places_off_road: Vec<usize>,
    /// Places on the network that reach no supply point by road.
    pub places_unreached: Vec<usize>,
    /// Supply points with no road within the engine's reach.
    pub supplies_off_road: Vec<usize>,
}

/// For every place, its nearest supply point **by road time**, exact (see
/// [`super::travel::rerank_by_road`]); places are spread over the engine's workers.
pub fn nearest_supply_by_road(
    places: &PlaceSet,
    supplies: &SupplySet,
    engine: &Engine,
    model: &TravelModel,
) -> Result<RoadNearest, RoutingError> {
    let mut out = RoadNearest {
        nearest: vec![None; places.len()],
        ..Default::default()
    };
    let positions: Vec<LonLat> = supplies.all().iter().map(|s| s.position).collect();
    let snaps = engine.snap(&positions)?;
    let mut max_off = 0.0f64;
    for (j, s) in snaps.iter().enumerate() {
        match s {
            Some(s) => max_off = max_off.max(s.offset_m),
            None => out.supplies_off_road.push(j),
        }
    }
    let located = places.located();
    let pts: Vec<LonLat> = located.iter().map(|l| l.1).collect();
    let place_snaps = engine.snap(&pts)?;
    if supplies.is_empty() {
        return Ok(out);
    }
    let todo: Vec<(usize, LonLat)> = located
        .iter()
        .zip(&place_snaps)
        .filter_map(|(l, s)| s.map(|_| *l))
        .collect();
    out.places_off_road = located
        .iter()
        .zip(&place_snaps)
        .filter(|(_, s)| s.is_none())
        .map(|(l, _)| l.0)
        .collect();
    let results: std::sync::Mutex<Vec<(usize, Option<Nearest>)>> = Default::default();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed: std::sync::Mutex<Option<RoutingError>> = Default::default();
    std::thread::scope(|sc| {
        for _ in 0..engine.options().workers.clamp(1, todo.len().max(1)) {
            sc.spawn(|| loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= todo.len() || failed.lock().expect("error").is_some() {
                    break;
                }
                let (i, pt) = todo[n];
                let r = rerank_by_road(engine, pt, 1, max_off, |k| {
                    supplies
                        .nearest_k(pt, k)
                        .into_iter()
                        .map(|(j, d)| (j, supplies.get(j).position, d))
                        .collect()
                });
                match r {
                    Ok(r) => {
                        let near = r.found.first().map(|&(j, leg, d)| Nearest {
                            supply: j,
                            distance_m: d,
                            minutes: model.minutes(d),
                            road: Some(leg),
                        });
                        results.lock().expect("results").push((i, near));
                    }
                    Err(e) => {
                        failed.lock().expect("error").get_or_insert(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().expect("error") {
        return Err(e);
    }
    let mut results = results.into_inner().expect("results");
    results.sort_unstable_by_key(|r| r.0);
    for (i, near) in results {
        if near.is_none() {
            out.places_unreached.push(i);
        }
        out.nearest[i] = near;
    }
    Ok(out)
}

/// For every place (same order): covered when its nearest supply by road is within `minutes`;
/// `None` (undecided) without a point or off the road network.
pub fn covered_by_road_time(
    places: &PlaceSet,
    road: &RoadNearest,
    minutes: f64,
) -> Vec<Option<bool>> {
    let off: std::collections::HashSet<usize> = road.places_off_road.iter().copied().collect();
    places
        .all()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.point.is_none() || off.contains(&i) {
                None
            } else {
                Some(
                    road.nearest[i]
                        .and_then(|n| n.road)
                        .is_some_and(|l| l.minutes() <= minutes),
                )
            }
        })
        .collect()
}

/// Which definition of « covered » a figure uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CoverageBasis {
    /// Some structure of the kind is competent for the commune (its declared service area).
    #[serde(rename = "zone_intervention")]
    ServiceArea,
    /// Some supply point lies within the reach of the commune's point.
    #[serde(rename = "distance")]
    Distance,
}

impl CoverageBasis {
    /// Id used in CSV column names and parameters (`zone_intervention`, `distance`).
    pub fn id(self) -> &'static str {
        match self {
            CoverageBasis::ServiceArea => "zone_intervention",
            CoverageBasis::Distance => "distance",
        }
    }

    /// Short French label for titles and headers (`par zone d'intervention`,
    /// `à moins de 10 km à vol d'oiseau`, `à moins de 15 min en voiture (Valhalla)`).
    pub fn short_label(self, reach: &Reach, travel: &Travel) -> String {
        match self {
            CoverageBasis::ServiceArea => "par zone d'intervention".into(),
            CoverageBasis::Distance => {
                format!("par distance, à moins de {}", reach.label_by(travel))
            }
        }
    }

    /// Full French definition, said wherever coverage is shown.
    pub fn definition(self, reach: &Reach, travel: &Travel) -> String {
        match self {
            CoverageBasis::ServiceArea => "couverture par zone d'intervention : commune couverte si une structure de ce type est compétente pour elle (zone d'intervention déclarée, même règle que l'orientation)".into(),
            CoverageBasis::Distance => format!(
                "couverture par distance : commune couverte si une offre de ce type est à moins de {} de son centre",
                reach.label_by(travel)
            ),
        }
    }
}

/// The definition asked for: by service area where the kind has service areas (`auto`, the
/// default), or one definition for every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum CoverageChoice {
    /// By service area for kinds with service areas loaded, by distance for the others.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// By service area; kinds without any service area fall back to distance, with a warning.
    #[serde(rename = "zone_intervention")]
    ServiceArea,
    /// By distance for every kind.
    #[serde(rename = "distance")]
    Distance,
}

impl CoverageChoice {
    /// Parses `auto`, `zone` (`zone_intervention`, `zone-intervention`) or `distance`.
    ///
    /// ```
    /// use maillage::analysis::coverage::CoverageChoice;
    /// assert_eq!(CoverageChoice::parse("Zone"), Some(CoverageChoice::ServiceArea));
    /// assert_eq!(CoverageChoice::parse("distance"), Some(CoverageChoice::Distance));
    /// assert_eq!(CoverageChoice::parse("rayon"), None);
    /// ```
    pub fn parse(s: &str) -> Option<CoverageChoice> {
        match s.trim().to_lowercase().replace('-', "_").as_str() {
            "auto" => Some(CoverageChoice::Auto),
            "zone" | "zone_intervention" | "zones" => Some(CoverageChoice::ServiceArea),
            "distance" => Some(CoverageChoice::Distance),
            _ => None,
        }
    }

    /// Every choice, in the order offered.
    pub const ALL: [CoverageChoice; 3] = [
        CoverageChoice::Auto,
        CoverageChoice::ServiceArea,
        CoverageChoice::Distance,
    ];

    /// What the parameter accepts, for error messages.
    pub const EXPECTED: &'static str = "« auto », « zone » (zone d'intervention) ou « distance »";

    /// French label of the choice.
    pub fn label(self) -> &'static str {
        match self {
            CoverageChoice::Auto => {
                "par zone d'intervention pour les types qui en ont, sinon par distance"
            }
            CoverageChoice::ServiceArea => {
                "par zone d'intervention (par distance pour les types sans zone)"
            }
            CoverageChoice::Distance => "par distance pour tous les types",
        }
    }
}

/// For every place (same order): covered by distance (its nearest supply within
/// `threshold_m`), or `None` when the place has no point.
pub fn covered_by_distance(
    places: &PlaceSet,
    nearest: &[Option<Nearest>],
    threshold_m: f64,
) -> Vec<Option<bool>> {
    places
        .all()
        .iter()
        .zip(nearest)
        .map(|(p, n)| {
            p.point
                .map(|_| n.is_some_and(|n| n.distance_m <= threshold_m))
        })
        .collect()
}

/// Coverage of a set of places (a territory) under one definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// The definition of « covered » used.
    pub definition: CoverageBasis,
    /// Great-circle threshold in metres (coverage by distance only).
    #[serde(rename = "seuil_m")]
    pub threshold_m: Option<f64>,
    #[serde(rename = "population_totale")]
    pub population_total: u64,
    #[serde(rename = "population_couverte")]
    pub population_covered: u64,
    #[serde(rename = "population_non_couverte")]
    pub population_uncovered: u64,
    /// Inhabitants of communes whose coverage cannot be decided (by distance: no point).
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
    /// Place indexes whose coverage cannot be decided.
    #[serde(skip)]
    pub unlocated: Vec<usize>,
}

/// Coverage by distance of the places `members` (indexes into `places`) given their nearest
/// supply.
pub fn coverage(
    places: &PlaceSet,
    nearest: &[Option<Nearest>],
    threshold_m: f64,
    members: &[usize],
) -> Coverage {
    coverage_of(
        places,
        &covered_by_distance(places, nearest, threshold_m),
        members,
        CoverageBasis::Distance,
        Some(threshold_m),
    )
}

/// Coverage of the places `members` given, for every place, whether it is covered (`None`:
/// undecided) under the definition `basis`.
pub fn coverage_of(
    places: &PlaceSet,
    covered: &[Option<bool>],
    members: &[usize],
    basis: CoverageBasis,
    threshold_m: Option<f64>,
) -> Coverage {
    let mut c = Coverage {
        definition: basis,
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
        let pop = places.get(i).pop();
        c.population_total += pop;
        match covered[i] {
            None => {
                c.population_unlocated += pop;
                c.unlocated.push(i);
            }
            Some(true) => {
                c.population_covered += pop;
                c.communes_covered += 1;
            }
            Some(false) => {
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
