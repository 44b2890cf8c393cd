//! Building the plain inputs of the analysis from a loaded [`Directory`]: places from the
//! communes, supply points from the actors or from the BPE commune counts, and territory
//! resolution (`dep:81`, `81`, `epci:<siren>`, a bare SIREN, `cpts:<slug>`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::inputs::{Place, PlaceSet, PointKind, SupplyPoint};
use super::AnalysisError;
use crate::index::{Directory, TerritoryEntry};
use crate::model::{InseeCode, KindId};

/// Where supply comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SupplySource {
    /// The directory's actors of the kind (one per actor, or its capacity).
    #[serde(rename = "acteurs")]
    Actors,
    /// INSEE BPE commune counts, placed at the commune's centroid.
    #[serde(rename = "bpe")]
    Bpe,
}

impl SupplySource {
    /// Parses `acteurs` or `bpe`.
    pub fn parse(s: &str) -> Option<SupplySource> {
        match s.trim().to_lowercase().as_str() {
            "acteurs" | "actors" => Some(SupplySource::Actors),
            "bpe" => Some(SupplySource::Bpe),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SupplySource::Actors => "acteurs de l'annuaire (un par acteur, ou sa capacité)",
            SupplySource::Bpe => {
                "INSEE BPE, effectifs par commune placés au centroïde de la commune"
            }
        }
    }
}

/// Every loaded commune as a place (code order), with its centroid as point.
pub fn places(dir: &Directory) -> PlaceSet {
    PlaceSet::new(
        dir.communes()
            .all()
            .iter()
            .map(|c| Place {
                code: c.code.to_string(),
                name: c.name.clone(),
                departement: c.departement.clone(),
                population: c.population,
                point: c.centroid(),
                point_kind: PointKind::Centroid,
            })
            .collect(),
    )
}

/// Resolves a territory parameter: an id from `/api/territories`, a bare département code
/// (`81`, `2A`, `974`) or a 9-digit EPCI SIREN.
pub fn resolve_territory<'a>(
    dir: &'a Directory,
    t: &str,
) -> Result<&'a TerritoryEntry, AnalysisError> {
    let t = t.trim();
    let candidates = [
        t.to_string(),
        format!("dep:{}", t.to_lowercase()),
        format!("epci:{t}"),
        crate::model::Territory::make_id(crate::model::TerritoryKind::Cpts, t),
    ];
    for c in &candidates {
        if let Some(e) = dir.territory(c) {
            return Ok(e);
        }
    }
    let upper = t.to_uppercase();
    if let Some(e) = dir
        .territories()
        .iter()
        .find(|e| e.territory.id.eq_ignore_ascii_case(&format!("dep:{upper}")))
    {
        return Ok(e);
    }
    Err(AnalysisError::UnknownTerritory {
        given: t.to_string(),
        known: known_territories(dir),
    })
}

/// Territory ids to suggest: every CPTS and other declared territory (`cpts:…`,
/// `territoire:…`), then the départements, then a few EPCI.
fn known_territories(dir: &Directory) -> Vec<String> {
    use crate::model::TerritoryKind;
    let rank = |k: TerritoryKind| match k {
        TerritoryKind::Cpts => 0,
        TerritoryKind::Other => 1,
        TerritoryKind::Departement => 2,
        TerritoryKind::Epci => 3,
    };
    let mut all: Vec<(u8, &str)> = dir
        .territories()
        .iter()
        .map(|e| (rank(e.territory.kind), e.territory.id.as_str()))
        .collect();
    all.sort();
    let declared = all.iter().filter(|(r, _)| *r < 3).count();
    all.into_iter()
        .take(declared.max(12).min(declared + 5))
        .map(|(_, id)| id.to_string())
        .collect()
}

/// Supply points of one kind from the directory's located actors. With `capacity`, an actor's
/// capacity (beds, places, FTE) is its weight when known, 1 otherwise; the number of actors
/// whose capacity was unknown is returned with the points.
pub fn supply_from_actors(
    dir: &Directory,
    kind: KindId,
    capacity: bool,
) -> (Vec<SupplyPoint>, usize) {
    let mut unknown_capacity = 0;
    let filter = crate::index::ActorFilter {
        kinds: Some(vec![kind]),
        ..Default::default()
    };
    let points = dir
        .filter(&filter)
        .into_iter()
        .filter_map(|i| {
            let a = dir.actor(i);
            let pos = a.position()?;
            let weight = if capacity {
                match a.capacity() {
                    Some(c) if c > 0 => c as f64,
                    _ => {
                        unknown_capacity += 1;
                        1.0
                    }
                }
            } else {
                1.0
            };
            Some(SupplyPoint {
                key: a.id().to_string(),
                label: a.name().to_string(),
                position: pos,
                weight,
                commune: a.commune().map(|c| c.to_string()),
            })
        })
        .collect();
    (points, unknown_capacity)
}

/// BPE counts of one kind summed per commune code, in code order.
pub fn bpe_counts(dir: &Directory, kind: KindId) -> BTreeMap<InseeCode, u64> {
    let mut out: BTreeMap<InseeCode, u64> = BTreeMap::new();
    for e in dir.equipment_counts() {
        if e.kind == Some(kind) {
            *out.entry(e.commune).or_default() += e.count as u64;
        }
    }
    out
}

/// Supply points of one kind from the BPE counts: one point per commune at its centroid,
/// weighted by the count. Codes without a loaded outline are returned apart (not placed).
pub fn supply_from_bpe(dir: &Directory, kind: KindId) -> (Vec<SupplyPoint>, Vec<(String, u64)>) {
    let kid = &dir.kinds().get(kind).id;
    let label = &dir.kinds().get(kind).label;
    let mut points = Vec::new();
    let mut unplaced = Vec::new();
    for (code, n) in bpe_counts(dir, kind) {
        match dir.commune(code).and_then(|c| c.centroid().map(|p| (c, p))) {
            Some((c, p)) => points.push(SupplyPoint {
                key: format!("bpe:{code}:{kid}"),
                label: format!("{} – {n} × {label} (BPE)", c.name),
                position: p,
                weight: n as f64,
                commune: Some(code.to_string()),
            }),
            None => unplaced.push((code.to_string(), n)),
        }
    }
    (points, unplaced)
}

/// Number of actors of a kind per commune code (the actor's commune, else the commune whose
/// outline contains its position).
pub fn actor_counts(dir: &Directory, kind: KindId) -> HashMap<InseeCode, u64> {
    let filter = crate::index::ActorFilter {
        kinds: Some(vec![kind]),
        ..Default::default()
    };
    let mut out: HashMap<InseeCode, u64> = HashMap::new();
    for i in dir.filter(&filter) {
        let a = dir.actor(i);
        let code = a.commune().or_else(|| {
            a.position()
                .and_then(|p| dir.communes().at(p))
                .map(|c| c.code)
        });
        if let Some(code) = code {
            *out.entry(code).or_default() += 1;
        }
    }
    out
}

/// Actors of a kind that have a service area (declared, or implicit for town halls and CCAS).
pub fn with_service_area(dir: &Directory, kind: KindId) -> usize {
    let filter = crate::index::ActorFilter {
        kinds: Some(vec![kind]),
        ..Default::default()
    };
    dir.filter(&filter)
        .into_iter()
        .filter(|&i| dir.service_area(i).is_some())
        .count()
}

/// For every place (same order): is some actor of `kind` competent for it? This is the
/// orientation's definition, the same call `/api/orientation` makes for a commune (its code and
/// its centre, see `orientation::place`); `None` for a place whose code is not a commune code.
pub fn covered_by_service_area(
    dir: &Directory,
    places: &PlaceSet,
    kind: KindId,
) -> Vec<Option<bool>> {
    let kinds = [kind];
    places
        .all()
        .iter()
        .map(|p| {
            let code = p.code.parse::<InseeCode>().ok()?;
            Some(!dir.competent(p.point, Some(code), Some(&kinds)).is_empty())
        })
        .collect()
}
