//! Accessibility by a two-step floating catchment area (2SFCA) with a step distance decay, in
//! the spirit of the DREES « accessibilité potentielle localisée » (APL).
//!
//! With `Pᵢ` the population of commune `i`, `Sⱼ` the supply of point `j`, `dᵢⱼ` the
//! great-circle distance between them and `W` the step decay (0 beyond the last step):
//!
//! 1. each supply point's ratio `Rⱼ = Sⱼ / Σᵢ W(dᵢⱼ)·Pᵢ` (supply per weighted inhabitant);
//! 2. each commune's accessibility `Aᵢ = Σⱼ W(dᵢⱼ)·Rⱼ`.
//!
//! The weight is applied in both steps, so every supply unit that reaches some population is
//! shared out exactly: `Σᵢ Aᵢ·Pᵢ = Σⱼ Sⱼ` over the points with a non-zero denominator. The default
//! steps (0–10 / 10–15 / 15–20 estimated minutes, weights 1, 2/3, 1/3) follow the DREES method
//! as commonly described; they are parameters, **to be checked against the DREES method note**.
//!
//! ```
//! use maillage::analysis::{two_step_fca, Place, PlaceSet, StepDecay, SupplyPoint, SupplySet, TravelModel};
//! use maillage::model::LonLat;
//! let places = PlaceSet::new(vec![Place::new("81001", "A", Some(1000), Some(LonLat::new(2.0, 44.0)))]);
//! let s = SupplySet::new(vec![SupplyPoint::new("m", "M", LonLat::new(2.0, 44.0), 2.0)]).unwrap();
//! let r = two_step_fca(&places, &s, &StepDecay::default(), &TravelModel::default());
//! assert!((r.accessibility[0].unwrap() - 0.002).abs() < 1e-12); // 2 for 1000 inhabitants
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use super::inputs::{PlaceSet, SupplySet};
use super::travel::{fr_num, Reach, TravelModel};
use super::AnalysisError;
use crate::model::LonLat;
use crate::routing::{Engine, RoutingError};

/// Unit of the decay steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecayUnit {
    /// Estimated minutes (travel model).
    #[serde(rename = "minutes")]
    Minutes,
    /// Great-circle kilometres.
    #[serde(rename = "km")]
    Km,
}

/// A step distance-decay function: `(upper bound, weight)` pairs, bounds increasing and
/// inclusive; the weight is 0 beyond the last bound (the catchment threshold).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepDecay {
    #[serde(rename = "unite")]
    pub unit: DecayUnit,
    #[serde(rename = "paliers")]
    pub steps: Vec<(f64, f64)>,
}

impl Default for StepDecay {
    /// 20 minutes with weights 1 / 2/3 / 1/3 for 0–10 / 10–15 / 15–20 minutes.
    fn default() -> Self {
        StepDecay {
            unit: DecayUnit::Minutes,
            steps: vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)],
        }
    }
}

impl StepDecay {
    /// A checked decay: at least one step, bounds finite, positive and increasing, weights in
    /// (0, 1].
    pub fn new(unit: DecayUnit, steps: Vec<(f64, f64)>) -> Result<StepDecay, AnalysisError> {
        let bad = |expected: &str| AnalysisError::Parameter {
            name: "paliers",
            expected: expected.into(),
            found: steps
                .iter()
                .map(|(b, w)| format!("{}:{}", fr_num(*b), fr_num(*w)))
                .collect::<Vec<_>>()
                .join(" "),
        };
        if steps.is_empty() {
            return Err(bad("au moins un palier « borne:poids »"));
        }
        let mut prev = 0.0;
        for &(b, w) in &steps {
            if !b.is_finite() || b <= prev {
                return Err(bad("des bornes strictement croissantes et positives"));
            }
            if !w.is_finite() || w <= 0.0 || w > 1.0 {
                return Err(bad("des poids entre 0 (exclu) et 1"));
            }
            prev = b;
        }
        let limit = match unit {
            DecayUnit::Minutes => crate::routing::MAX_TRAVEL_MINUTES,
            DecayUnit::Km => super::travel::MAX_REACH_KM,
        };
        if prev > limit {
            return Err(bad(&format!(
                "une dernière borne d'au plus {} minutes ou {} km",
                crate::routing::MAX_TRAVEL_MINUTES,
                super::travel::MAX_REACH_KM
            )));
        }
        Ok(StepDecay { unit, steps })
    }

    /// What [`StepDecay::parse`] reads, for messages.
    pub const EXPECTED: &'static str = "des paliers « borne:poids » séparés par des virgules (ex. 10:1,15:0.667,20:0.333) ou par des points-virgules avec la virgule décimale (ex. 10:1 ; 15:0,667 ; 20:0,333)";

    /// Steps as typed: `10:1,15:0.667,20:0.333`, or with French decimal commas
    /// `10:1 ; 15:0,667 ; 20:0,333` (steps then separated by `;` or spaces); `None` when the text
    /// is not a list of `bound:weight`. The values are then checked by [`StepDecay::new`].
    ///
    /// ```
    /// use maillage::analysis::{DecayUnit, StepDecay};
    /// let fr = StepDecay::parse(DecayUnit::Minutes, "7,5:1 ; 15:0,5").unwrap().unwrap();
    /// let en = StepDecay::parse(DecayUnit::Minutes, "7.5:1,15:0.5").unwrap().unwrap();
    /// assert_eq!(fr, en);
    /// assert_eq!(StepDecay::parse(DecayUnit::Minutes, "7,5:1 15:0,5").unwrap().unwrap(), en);
    /// assert!(StepDecay::parse(DecayUnit::Minutes, "7,5").is_none());
    /// ```
    pub fn parse(unit: DecayUnit, text: &str) -> Option<Result<StepDecay, AnalysisError>> {
        let text = text.trim();
        let by_comma = !text.contains(';') && text.split(',').all(|p| p.contains(':'));
        let tight = text.split(':').map(str::trim).collect::<Vec<_>>().join(":");
        let parts: Vec<&str> = if by_comma {
            text.split(',').collect()
        } else if text.contains(';') {
            text.split(';').collect()
        } else {
            tight.split_whitespace().collect()
        };
        let number = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
        let steps = parts
            .iter()
            .map(|p| {
                let (b, w) = p.split_once(':')?;
                Some((number(b)?, number(w)?))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(StepDecay::new(unit, steps))
    }

    /// The catchment threshold (last bound) as a reach.
    pub fn reach(&self) -> Reach {
        let last = self.steps.last().map_or(0.0, |s| s.0);
        match self.unit {
            DecayUnit::Minutes => Reach::Minutes(last),
            DecayUnit::Km => Reach::Km(last),
        }
    }

    /// Steps as `(great-circle metres, weight)`.
    fn metre_steps(&self, model: &TravelModel) -> Vec<(f64, f64)> {
        self.steps
            .iter()
            .map(|&(b, w)| {
                let r = match self.unit {
                    DecayUnit::Minutes => Reach::Minutes(b),
                    DecayUnit::Km => Reach::Km(b),
                };
                (r.crow_metres(model), w)
            })
            .collect()
    }

    /// French description (`0–10 min : 1 ; 10–15 min : 0,667 ; 15–20 min : 0,333`).
    pub fn describe(&self) -> String {
        let unit = match self.unit {
            DecayUnit::Minutes => "min",
            DecayUnit::Km => "km",
        };
        let mut lo = 0.0;
        self.steps
            .iter()
            .map(|&(b, w)| {
                let s = format!("{}–{} {unit} : poids {}", fr_num(lo), fr_num(b), fr_num(w));
                lo = b;
                s
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

fn weight(steps: &[(f64, f64)], d: f64) -> f64 {
    steps.iter().find(|(b, _)| d <= *b).map_or(0.0, |(_, w)| *w)
}

/// Result of a 2SFCA run.
#[derive(Debug, Clone, PartialEq)]
pub struct FcaResult {
    /// `Aᵢ` per place (supply units per inhabitant); `None` for a place without a point.
    pub accessibility: Vec<Option<f64>>,
    /// `Rⱼ` per supply point; `None` when it reaches no population.
    pub ratio: Vec<Option<f64>>,
    /// Sum of the supply that reaches some population (`Σ Sⱼ` over points with a ratio).
    pub supply_reaching: f64,
    /// Supply points that reach no population within the threshold.
    pub unreached: Vec<usize>,
}

/// Runs the 2SFCA over every place and supply point.
///
/// Cost: one radius query per supply point on the place index (exact great-circle R-tree), so
/// `O(S · (log N + k))` for `k` places within the threshold.
pub fn two_step_fca(
    places: &PlaceSet,
    supplies: &SupplySet,
    decay: &StepDecay,
    model: &TravelModel,
) -> FcaResult {
    let steps = decay.metre_steps(model);
    let max_m = steps.last().map_or(0.0, |s| s.0);
    fca_core(places, supplies, &steps, |at| places.within(at, max_m))
}

/// The 2SFCA with the steps in **road minutes** (Valhalla): for each supply position, the
/// places that could lie within the last step by road (great-circle distance at the engine's
/// top speed, plus snapping offsets) are timed from each place to the supply point, and
/// weighted by their road time. Steps in km stay great-circle (same as [`two_step_fca`]).
/// Places or supply points off the road network get no weight (listed by
/// [`super::coverage::nearest_supply_by_road`]).
pub fn two_step_fca_by_road(
    places: &PlaceSet,
    supplies: &SupplySet,
    decay: &StepDecay,
    model: &TravelModel,
    engine: &Engine,
) -> Result<FcaResult, RoutingError> {
    if decay.unit == DecayUnit::Km {
        return Ok(two_step_fca(places, supplies, decay, model));
    }
    let max_min = decay.steps.last().map_or(0.0, |s| s.0);
    // Unique supply positions.
    let mut positions: Vec<LonLat> = Vec::new();
    let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
    for s in supplies.all() {
        let key = (s.position.lon.to_bits(), s.position.lat.to_bits());
        seen.entry(key).or_insert_with(|| {
            positions.push(s.position);
            positions.len() - 1
        });
    }
    let located: Vec<LonLat> = places.all().iter().filter_map(|p| p.point).collect();
    let max_place_off = engine
        .snap(&located)?
        .iter()
        .flatten()
        .map(|s| s.offset_m)
        .fold(0.0, f64::max);
    let snaps = engine.snap(&positions)?;
    let speed_ms = engine.options().top_speed_kmh / 3.6;
    let pairs: Vec<Mutex<Vec<(usize, f64)>>> =
        positions.iter().map(|_| Mutex::new(Vec::new())).collect();
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<RoutingError>> = Mutex::new(None);
    std::thread::scope(|sc| {
        for _ in 0..engine.options().workers.clamp(1, positions.len().max(1)) {
            sc.spawn(|| loop {
                let g = next.fetch_add(1, Ordering::Relaxed);
                if g >= positions.len() || failed.lock().expect("error").is_some() {
                    break;
                }
                let Some(snap) = snaps[g] else { continue };
                let radius = max_min * 60.0 * speed_ms + snap.offset_m + max_place_off;
                let cands = places.within(positions[g], radius);
                let from: Vec<LonLat> = cands
                    .iter()
                    .filter_map(|&(i, _)| places.get(i).point)
                    .collect();
                match engine.matrix(&from, &[positions[g]]) {
                    Ok(m) => {
                        let mut out = pairs[g].lock().expect("pairs");
                        for (&(i, _), row) in cands.iter().zip(m) {
                            if let Some(Ok(leg)) = row.first() {
                                out.push((i, leg.minutes()));
                            }
                        }
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
    let pairs: Vec<Vec<(usize, f64)>> = pairs
        .into_iter()
        .map(|m| m.into_inner().expect("pairs"))
        .collect();
    Ok(fca_core(places, supplies, &decay.steps, |at| {
        let key = (at.lon.to_bits(), at.lat.to_bits());
        seen.get(&key)
            .map(|&g| pairs[g].clone())
            .unwrap_or_default()
    }))
}

/// The 2SFCA given, per supply position, the places within reach as `(place, value)` in the
/// unit of `steps`.
fn fca_core(
    places: &PlaceSet,
    supplies: &SupplySet,
    steps: &[(f64, f64)],
    mut reach: impl FnMut(LonLat) -> Vec<(usize, f64)>,
) -> FcaResult {
    // (place, weight) lists per supply point.
    let mut ratio = vec![None; supplies.len()];
    // Supply points sharing a position (several equipment types at one commune centroid)
    // share one query: (place, weight) pairs and the weighted demand per position.
    let mut by_position: HashMap<(u64, u64), usize> = HashMap::new();
    let mut groups: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(supplies.len());
    let mut supply_reaching = 0.0;
    let mut unreached = Vec::new();
    for (j, s) in supplies.all().iter().enumerate() {
        let key = (s.position.lon.to_bits(), s.position.lat.to_bits());
        let g = *by_position.entry(key).or_insert_with(|| {
            let mut pairs = Vec::new();
            let mut denom = 0.0;
            for (i, d) in reach(s.position) {
                let w = weight(steps, d);
                if w > 0.0 {
                    denom += w * places.get(i).pop() as f64;
                    pairs.push((i, w));
                }
            }
            groups.push((pairs, denom));
            groups.len() - 1
        });
        group_of.push(g);
        let denom = groups[g].1;
        if denom > 0.0 {
            ratio[j] = Some(s.weight / denom);
            supply_reaching += s.weight;
        } else {
            unreached.push(j);
        }
    }
    // Step 2 per position: Σ over its points of Rⱼ, then spread with the shared weights.
    let mut ratio_sum = vec![0.0; groups.len()];
    for (j, r) in ratio.iter().enumerate() {
        if let Some(r) = r {
            ratio_sum[group_of[j]] += r;
        }
    }
    let mut acc: Vec<Option<f64>> = places.all().iter().map(|p| p.point.map(|_| 0.0)).collect();
    for ((pairs, _), &r) in groups.iter().zip(&ratio_sum) {
        if r == 0.0 {
            continue;
        }
        for &(i, w) in pairs {
            if let Some(a) = acc[i].as_mut() {
                *a += w * r;
            }
        }
    }
    FcaResult {
        accessibility: acc,
        ratio,
        supply_reaching,
        unreached,
    }
}

/// Population-weighted mean of the accessibility over `members` (places without a point or a
/// population are left out); `None` when no member has both.
pub fn weighted_mean(places: &PlaceSet, acc: &[Option<f64>], members: &[usize]) -> Option<f64> {
    let (mut num, mut den) = (0.0, 0.0);
    for &i in members {
        if let Some(a) = acc[i] {
            let p = places.get(i).pop() as f64;
            num += a * p;
            den += p;
        }
    }
    (den > 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::inputs::{Place, SupplyPoint};
    use crate::model::{LonLat, EARTH_RADIUS_M};

    /// A point `km` kilometres east of (0°, 0°) along the equator.
    fn at_km(km: f64) -> LonLat {
        LonLat::new((km * 1000.0 / EARTH_RADIUS_M).to_degrees(), 0.0)
    }

    /// 3 communes × 2 actors, computed on paper.
    ///
    /// Communes at 0, 6 and 13 km (P = 1000, 500, 2000); actor A (S = 2) at 2 km, actor B
    /// (S = 1) at 9 km. Steps: ≤ 5 km weight 1, ≤ 10 km weight 0.5.
    ///
    /// Distances: A–C1 2 (1), A–C2 4 (1), A–C3 11 (0); B–C1 9 (0.5), B–C2 3 (1), B–C3 4 (1).
    /// R_A = 2 / (1000 + 500) = 1/750; R_B = 1 / (500 + 500 + 2000) = 1/3000.
    /// A₁ = 1/750 + 0.5/3000 = 9/6000; A₂ = 1/750 + 1/3000 = 5/3000; A₃ = 1/3000.
    /// Check: 1000·9/6000 + 500·5/3000 + 2000/3000 = 1.5 + 0.8333 + 0.6667 = 3 = S_A + S_B.
    #[test]
    fn three_communes_two_actors_on_paper() {
        let places = PlaceSet::new(vec![
            Place::new("00001", "C1", Some(1000), Some(at_km(0.0))),
            Place::new("00002", "C2", Some(500), Some(at_km(6.0))),
            Place::new("00003", "C3", Some(2000), Some(at_km(13.0))),
        ]);
        let s = SupplySet::new(vec![
            SupplyPoint::new("A", "A", at_km(2.0), 2.0),
            SupplyPoint::new("B", "B", at_km(9.0), 1.0),
        ])
        .unwrap();
        let decay = StepDecay::new(DecayUnit::Km, vec![(5.0, 1.0), (10.0, 0.5)]).unwrap();
        let r = two_step_fca(&places, &s, &decay, &TravelModel::default());
        let a: Vec<f64> = r.accessibility.iter().map(|a| a.unwrap()).collect();
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
        assert!(close(r.ratio[0].unwrap(), 1.0 / 750.0), "{:?}", r.ratio);
        assert!(close(r.ratio[1].unwrap(), 1.0 / 3000.0), "{:?}", r.ratio);
        assert!(close(a[0], 9.0 / 6000.0), "{a:?}");
        assert!(close(a[1], 5.0 / 3000.0), "{a:?}");
        assert!(close(a[2], 1.0 / 3000.0), "{a:?}");
        let total: f64 = a[0] * 1000.0 + a[1] * 500.0 + a[2] * 2000.0;
        assert!(close(total, 3.0), "{total}");
        assert!(close(r.supply_reaching, 3.0));
        // Population-weighted mean over all three = 3 / 3500.
        let m = weighted_mean(&places, &r.accessibility, &[0, 1, 2]).unwrap();
        assert!(close(m, 3.0 / 3500.0), "{m}");
    }

    #[test]
    fn supply_out_of_reach_is_reported() {
        let places = PlaceSet::new(vec![Place::new("00001", "C1", Some(100), Some(at_km(0.0)))]);
        let s = SupplySet::new(vec![SupplyPoint::new("far", "F", at_km(80.0), 1.0)]).unwrap();
        let r = two_step_fca(&places, &s, &StepDecay::default(), &TravelModel::default());
        assert_eq!(r.unreached, vec![0]);
        assert_eq!(r.accessibility[0], Some(0.0));
        assert_eq!(r.supply_reaching, 0.0);
    }

    #[test]
    fn default_decay_is_twenty_minutes() {
        let d = StepDecay::default();
        assert_eq!(d.reach(), Reach::Minutes(20.0));
        let steps = d.metre_steps(&TravelModel::default());
        // 20 min at 60 km/h with detour 1.3 → 20 road km → 15.38 km crow.
        assert!((steps[2].0 - 20_000.0 / 1.3).abs() < 1e-6);
        assert_eq!(weight(&steps, 0.0), 1.0);
        assert_eq!(weight(&steps, steps[1].0 - 1.0), 2.0 / 3.0);
        assert_eq!(weight(&steps, steps[2].0 + 1.0), 0.0);
        assert!(d.describe().contains("10–15 min : poids 0,667"));
        assert!(StepDecay::new(DecayUnit::Km, vec![(5.0, 1.0), (4.0, 0.5)]).is_err());
        assert!(StepDecay::new(DecayUnit::Km, vec![(5.0, 1.5)]).is_err());
    }
}
