//! The territorial diagnosis: every indicator for a territory's communes, compared with the
//! département(s) and région(s), with every parameter shown.
//!
//! Distances, coverage and the 2SFCA are computed over **all loaded communes** (so that supply
//! and demand just outside the territory count, with no edge effect); the territory, its
//! départements and régions are then read off that one computation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::build::{
    actor_counts, bpe_counts, covered_by_service_area, places, resolve_territory,
    supply_from_actors, supply_from_bpe, with_service_area, SupplySource,
};
use super::catchment::{catchments, Catchment};
use super::cog::{cog_report, CogReport, CommuneFacts};
use super::coverage::{
    coverage_of, covered_by_distance, covered_by_road_time, nearest_supply, nearest_supply_by_road,
    Coverage, CoverageBasis, CoverageChoice, Nearest, RoadNearest,
};
use super::fca::{two_step_fca, two_step_fca_by_road, weighted_mean, StepDecay};
use super::inputs::{PlaceSet, SupplySet};
use super::masking::Masked;
use super::regions::region_of;
use super::travel::{Reach, Travel, TravelModel};
use super::AnalysisError;
use crate::index::Directory;
use crate::model::{InseeCode, KindId};

/// Kinds used when none are asked for: first-line care.
pub const DEFAULT_KINDS: [&str; 4] = [
    "medecin-generaliste",
    "infirmier",
    "masseur-kinesitherapeute",
    "pharmacie",
];

/// Every parameter of a diagnosis.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosticParams {
    /// Kind ids (`medecin-generaliste`); empty means [`DEFAULT_KINDS`].
    pub kinds: Vec<String>,
    pub source: SupplySource,
    pub travel: TravelModel,
    /// Coverage reach ("within X km / Y minutes"), for coverage by distance.
    pub coverage: Reach,
    /// Definition of « covered »: by service area, by distance, or by service area where
    /// the kind has some (default).
    pub coverage_by: CoverageChoice,
    pub decay: StepDecay,
    /// Use actors' capacity as supply weight when known (source `acteurs` only).
    pub capacity: bool,
    /// Mask counts from 1 to 4 (« < 5 »).
    pub mask_small: bool,
    /// Estimates (default) or road times: nearest supply, coverage in minutes and 2SFCA
    /// steps in minutes then come from the engine.
    pub routing: Travel,
}

impl Default for DiagnosticParams {
    fn default() -> Self {
        DiagnosticParams {
            kinds: Vec::new(),
            source: SupplySource::Actors,
            travel: TravelModel::default(),
            coverage: Reach::Km(10.0),
            coverage_by: CoverageChoice::Auto,
            decay: StepDecay::default(),
            capacity: false,
            mask_small: false,
            routing: Travel::Estimate,
        }
    }
}

/// Parameters as shown in outputs.
#[derive(Debug, Clone, Serialize)]
pub struct ParamsReport {
    pub source: SupplySource,
    pub source_libelle: String,
    #[serde(rename = "modele_trajet")]
    pub travel: TravelModel,
    pub modele_trajet_libelle: String,
    /// « réseau routier OpenStreetMap (Valhalla), extrait du JJ/MM/AAAA » or « estimation à vol
    /// d'oiseau × détour ».
    pub modele_trajet_nom: String,
    /// True when the times come from the road engine (`servir --routage`), false for the
    /// estimate: the same flag as `routage` of `/api/config` and of `/api/zones?lat=&lon=`.
    pub routage: bool,
    /// How minutes are worded under this travel model, after « N min »: « en voiture
    /// (Valhalla) » or « estimées à vol d'oiseau » ([`Travel::minutes_wording`]).
    pub minutes_libelle: String,
    #[serde(rename = "seuil_couverture")]
    pub coverage: Reach,
    pub seuil_couverture_libelle: String,
    pub seuil_couverture_m: f64,
    /// The definition of « covered » asked for (each kind says the one it got).
    pub couverture_demandee: CoverageChoice,
    pub couverture_demandee_libelle: String,
    #[serde(rename = "decroissance_2sfca")]
    pub decay: StepDecay,
    pub decroissance_2sfca_libelle: String,
    pub offre_ponderee_par_capacite: bool,
    pub masquage_petits_effectifs: bool,
    pub point_commune: String,
    /// Every method note, in French.
    pub methode: Vec<String>,
}

/// A kind in the diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct KindInfo {
    pub id: String,
    pub libelle: String,
    /// Supply points of this kind over the whole loaded data.
    pub points_offre: usize,
    /// Total supply over the whole loaded data.
    pub offre_totale: f64,
    /// Supply reaching some population within the 2SFCA threshold.
    pub offre_atteignant_population: f64,
    /// Supply points given with zero weight.
    pub points_offre_nuls: usize,
    /// Actors whose capacity was unknown (weight 1 used).
    pub capacite_inconnue: usize,
    /// Actors of this kind with a service area.
    pub structures_avec_zone: usize,
    /// The definition of « covered » used for this kind.
    pub couverture: CoverageBasis,
    /// Short label of that definition (`par zone d'intervention`).
    pub couverture_libelle: String,
    /// Full sentence of that definition.
    pub couverture_definition: String,
    /// With the supply read from the directory's actors and none of this kind loaded: the
    /// BPE equipment count loaded for it (`--source bpe` would use it); 0 otherwise.
    pub effectif_bpe_non_utilise: u64,
}

/// One kind's figures for one commune.
#[derive(Debug, Clone, Serialize)]
pub struct CommuneCell {
    #[serde(rename = "type")]
    pub kind: String,
    pub effectif: Masked<u64>,
    /// Per 10 000 inhabitants; `None` without population.
    pub densite_10000: Option<Masked<f64>>,
    /// Great-circle km from the commune's point to the nearest supply.
    pub distance_km: Option<f64>,
    /// Estimated minutes to the nearest supply (travel model).
    pub temps_estime_min: Option<f64>,
    /// Road minutes to the nearest supply by road (road travel model only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temps_route_min: Option<f64>,
    /// Road kilometres to that supply (road travel model only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_route_km: Option<f64>,
    pub plus_proche_id: Option<String>,
    pub plus_proche_nom: Option<String>,
    /// Covered under the kind's definition (`KindInfo::couverture`); `None` when undecided
    /// (by distance, a commune without a point).
    pub couverte: Option<bool>,
    /// 2SFCA accessibility, supply units per 10 000 inhabitants (same unit as the density).
    pub apl_10000: Option<f64>,
}

/// One commune row.
#[derive(Debug, Clone, Serialize)]
pub struct CommuneRow {
    pub code: String,
    pub nom: String,
    pub departement: String,
    pub population: Option<u64>,
    /// False when the commune has no outline (no point).
    pub localisee: bool,
    pub indicateurs: Vec<CommuneCell>,
}

/// One kind's figures for an area (territory, département, région).
#[derive(Debug, Clone, Serialize)]
pub struct AreaCell {
    #[serde(rename = "type")]
    pub kind: String,
    pub effectif: Masked<u64>,
    pub densite_10000: Option<Masked<f64>>,
    pub couverture: Coverage,
    /// Population-weighted mean 2SFCA accessibility per 10 000 inhabitants.
    pub apl_moyenne_10000: Option<f64>,
    /// Population-weighted mean distance to the nearest supply, km.
    pub distance_moyenne_km: Option<f64>,
}

/// An area's summary row.
#[derive(Debug, Clone, Serialize)]
pub struct AreaRow {
    /// `territoire`, `departement` or `region`.
    pub niveau: String,
    pub code: String,
    pub nom: String,
    pub nombre_communes: usize,
    pub population: u64,
    pub indicateurs: Vec<AreaCell>,
}

/// A comparison level not computed, with the reason said to the user.
#[derive(Debug, Clone, Serialize)]
pub struct MissingArea {
    /// `departement` or `region`.
    pub niveau: String,
    pub code: String,
    pub nom: String,
    pub motif: String,
}

/// The territory itself.
#[derive(Debug, Clone, Serialize)]
pub struct TerritoryInfo {
    pub id: String,
    pub nom: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub nombre_communes: usize,
    pub population: u64,
    /// Member codes matching no loaded commune.
    pub communes_inconnues: Vec<String>,
}

/// A loaded source file.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub fichier: String,
    pub source: String,
    pub date: Option<String>,
    pub exemple: bool,
}

/// A commune or supply point the road network does not reach, never silently dropped.
#[derive(Debug, Clone, Serialize)]
pub struct OffRoad {
    #[serde(rename = "type")]
    pub kind: String,
    /// `commune` or `offre`.
    pub genre: String,
    pub code: String,
    pub nom: String,
    pub raison: String,
}

/// The whole diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub territoire: TerritoryInfo,
    pub parametres: ParamsReport,
    pub types: Vec<KindInfo>,
    pub communes: Vec<CommuneRow>,
    pub comparaisons: Vec<AreaRow>,
    /// Comparison levels left out, and why (a région of which only one département is loaded).
    pub comparaisons_absentes: Vec<MissingArea>,
    /// Territory communes not covered, per kind id (each kind under its own definition).
    pub zones_blanches: BTreeMap<String, Vec<String>>,
    pub appariement_codes: CogReport,
    pub sources: Vec<SourceRef>,
    pub avertissements: Vec<String>,
    /// Communes and supply points off the road network (road travel model only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hors_reseau_routier: Vec<OffRoad>,
    /// The indicator tables (ids, labels, units, decimals), for the page.
    pub descripteurs: super::indicators::Descriptors,
}

/// One kind computed over every loaded commune.
pub struct KindRun {
    pub kind: KindId,
    pub supplies: SupplySet,
    pub nearest: Vec<Option<Nearest>>,
    /// Covered, per place, under `info.couverture`.
    pub covered: Vec<Option<bool>>,
    pub accessibility: Vec<Option<f64>>,
    /// Published count per place (actors or BPE equipment).
    pub counts: Vec<u64>,
    pub info: KindInfo,
    /// BPE codes not placed (no outline).
    pub unplaced: Vec<(String, u64)>,
    /// Points off the road network (road travel model only).
    pub road: Option<RoadNearest>,
}

/// Resolves kind ids, defaulting to [`DEFAULT_KINDS`].
pub fn resolve_kinds(dir: &Directory, ids: &[String]) -> Result<Vec<KindId>, AnalysisError> {
    let wanted: Vec<String> = if ids.is_empty() {
        DEFAULT_KINDS.iter().map(|s| s.to_string()).collect()
    } else {
        ids.to_vec()
    };
    let mut out = Vec::new();
    for id in &wanted {
        match dir.kinds().by_id(id.trim()) {
            Some(k) if !out.contains(&k) => out.push(k),
            Some(_) => {}
            None => {
                return Err(AnalysisError::UnknownKind {
                    given: id.clone(),
                    known: dir.kinds().iter().map(|(_, k)| k.id.clone()).collect(),
                })
            }
        }
    }
    Ok(out)
}

/// Computes one kind over every place.
pub fn run_kind(
    dir: &Directory,
    places: &PlaceSet,
    kind: KindId,
    params: &DiagnosticParams,
) -> Result<KindRun, AnalysisError> {
    let k = dir.kinds().get(kind);
    let (points, unplaced, unknown_capacity, count_map) = match params.source {
        SupplySource::Actors => {
            let (p, u) = supply_from_actors(dir, kind, params.capacity);
            (p, Vec::new(), u, actor_counts(dir, kind))
        }
        SupplySource::Bpe => {
            let (p, unplaced) = supply_from_bpe(dir, kind);
            let counts: HashMap<InseeCode, u64> = bpe_counts(dir, kind).into_iter().collect();
            (p, unplaced, 0, counts)
        }
    };
    let supplies = SupplySet::new(points)?;
    let crow_nearest = nearest_supply(places, &supplies, &params.travel);
    let road = match params.routing.engine() {
        Some(e) => Some(nearest_supply_by_road(
            places,
            &supplies,
            e,
            &params.travel,
        )?),
        None => None,
    };
    let nearest = road
        .as_ref()
        .map_or_else(|| crow_nearest.clone(), |r| r.nearest.clone());
    let with_area = match params.source {
        SupplySource::Actors => with_service_area(dir, kind),
        SupplySource::Bpe => 0,
    };
    let basis = match params.coverage_by {
        CoverageChoice::Auto | CoverageChoice::ServiceArea if with_area > 0 => {
            CoverageBasis::ServiceArea
        }
        _ => CoverageBasis::Distance,
    };
    let covered = match basis {
        CoverageBasis::ServiceArea => covered_by_service_area(dir, places, kind),
        CoverageBasis::Distance => match (&road, params.coverage) {
            (Some(r), Reach::Minutes(m)) => covered_by_road_time(places, r, m),
            _ => covered_by_distance(
                places,
                &crow_nearest,
                params.coverage.crow_metres(&params.travel),
            ),
        },
    };
    let fca = match params.routing.engine() {
        Some(e) => two_step_fca_by_road(places, &supplies, &params.decay, &params.travel, e)?,
        None => two_step_fca(places, &supplies, &params.decay, &params.travel),
    };
    let counts: Vec<u64> = places
        .all()
        .iter()
        .map(|p| {
            p.code
                .parse::<InseeCode>()
                .ok()
                .and_then(|c| count_map.get(&c).copied())
                .unwrap_or(0)
        })
        .collect();
    let info = KindInfo {
        id: k.id.clone(),
        libelle: k.label.clone(),
        points_offre: supplies.len(),
        offre_totale: supplies.total(),
        offre_atteignant_population: fca.supply_reaching,
        points_offre_nuls: supplies.zero_weight,
        capacite_inconnue: unknown_capacity,
        structures_avec_zone: with_area,
        couverture: basis,
        couverture_libelle: basis.short_label(&params.coverage, &params.routing),
        couverture_definition: basis.definition(&params.coverage, &params.routing),
        effectif_bpe_non_utilise: if params.source == SupplySource::Actors && supplies.is_empty() {
            bpe_counts(dir, kind).values().sum()
        } else {
            0
        },
    };
    Ok(KindRun {
        kind,
        supplies,
        nearest,
        covered,
        accessibility: fca.accessibility,
        counts,
        info,
        unplaced,
        road,
    })
}

fn density(count: u64, population: Option<u64>, mask: bool) -> Option<Masked<f64>> {
    match population {
        Some(p) if p > 0 => Some(Masked::derived(
            count as f64 * 10_000.0 / p as f64,
            count,
            mask,
        )),
        _ => None,
    }
}

fn area_row(
    niveau: &str,
    code: &str,
    nom: &str,
    members: &[usize],
    places: &PlaceSet,
    runs: &[KindRun],
    params: &DiagnosticParams,
) -> AreaRow {
    let population: u64 = members.iter().map(|&i| places.get(i).pop()).sum();
    let threshold = params.coverage.crow_metres(&params.travel);
    let indicateurs = runs
        .iter()
        .map(|r| {
            let count: u64 = members.iter().map(|&i| r.counts[i]).sum();
            let (mut num, mut den) = (0.0, 0.0);
            for &i in members {
                if let Some(n) = r.nearest[i] {
                    let p = places.get(i).pop() as f64;
                    num += n.distance_m / 1000.0 * p;
                    den += p;
                }
            }
            AreaCell {
                kind: r.info.id.clone(),
                effectif: Masked::count(count, params.mask_small),
                densite_10000: density(count, Some(population), params.mask_small),
                couverture: coverage_of(
                    places,
                    &r.covered,
                    members,
                    r.info.couverture,
                    (r.info.couverture == CoverageBasis::Distance).then_some(threshold),
                ),
                apl_moyenne_10000: weighted_mean(places, &r.accessibility, members)
                    .map(|a| a * 10_000.0),
                distance_moyenne_km: (den > 0.0).then(|| num / den),
            }
        })
        .collect();
    AreaRow {
        niveau: niveau.into(),
        code: code.into(),
        nom: nom.into(),
        nombre_communes: members.len(),
        population,
        indicateurs,
    }
}

/// Share of a comparison area's population above which communes without an outline make its
/// row incomparable with the territory's (computed on localised communes).
const MAX_UNLOCATED_SHARE: f64 = 0.01;

/// Why a comparison area is not on the territory's basis, if it is not: more than
/// [`MAX_UNLOCATED_SHARE`] of its population lives in communes without an outline, so its
/// distances, coverage and accessibility would describe only its localised part.
fn unlike_basis(members: &[usize], places: &PlaceSet) -> Option<String> {
    let total: u64 = members.iter().map(|&i| places.get(i).pop()).sum();
    let unlocated: u64 = members
        .iter()
        .filter(|&&i| places.get(i).point.is_none())
        .map(|&i| places.get(i).pop())
        .sum();
    if total == 0 || (unlocated as f64) <= MAX_UNLOCATED_SHARE * total as f64 {
        return None;
    }
    let fr = |n: u64| crate::util::number::fr_int(n);
    Some(format!(
        "non comparable : {} habitants sur {} ({} %) vivent dans des communes chargées sans contour, où distances, couverture et accessibilité ne se calculent pas ; chargez leurs contours pour cette comparaison",
        fr(unlocated),
        fr(total),
        crate::util::number::fr_fixed(100.0 * unlocated as f64 / total as f64, 0)
    ))
}

/// Everything computed for a territory, kept for exports (maps need the per-kind runs).
pub struct Computed {
    pub diagnostic: Diagnostic,
    pub places: PlaceSet,
    pub runs: Vec<KindRun>,
    /// Place indexes of the territory's communes, in code order.
    pub members: Vec<usize>,
}

/// Runs the diagnosis of the territory `territory` (see [`resolve_territory`]).
pub fn diagnose(
    dir: &Directory,
    territory: &str,
    params: &DiagnosticParams,
) -> Result<Computed, AnalysisError> {
    params.coverage.validate()?;
    TravelModel::new(params.travel.detour, params.travel.speed_kmh)?;
    let entry = resolve_territory(dir, territory)?;
    let kinds = resolve_kinds(dir, &params.kinds)?;
    let places = places(dir);
    let index: HashMap<&str, usize> = places
        .all()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.code.as_str(), i))
        .collect();
    let mut members: Vec<usize> = entry
        .territory
        .communes
        .iter()
        .filter_map(|c| index.get(c.as_str()).copied())
        .collect();
    members.sort_unstable();
    members.dedup();

    let runs: Vec<KindRun> = kinds
        .iter()
        .map(|&k| run_kind(dir, &places, k, params))
        .collect::<Result<_, _>>()?;

    let threshold = params.coverage.crow_metres(&params.travel);
    let mask = params.mask_small;
    let communes: Vec<CommuneRow> = members
        .iter()
        .map(|&i| {
            let p = places.get(i);
            CommuneRow {
                code: p.code.clone(),
                nom: p.name.clone(),
                departement: p.departement.clone(),
                population: p.population,
                localisee: p.point.is_some(),
                indicateurs: runs
                    .iter()
                    .map(|r| {
                        let n = r.nearest[i];
                        let s = n.map(|n| r.supplies.get(n.supply));
                        CommuneCell {
                            kind: r.info.id.clone(),
                            effectif: Masked::count(r.counts[i], mask),
                            densite_10000: density(r.counts[i], p.population, mask),
                            distance_km: n.map(|n| n.distance_m / 1000.0),
                            temps_estime_min: n.map(|n| n.minutes),
                            temps_route_min: n.and_then(|n| n.road).map(|l| l.minutes()),
                            distance_route_km: n.and_then(|n| n.road).map(|l| l.km),
                            plus_proche_id: s.map(|s| s.key.clone()),
                            plus_proche_nom: s.map(|s| s.label.clone()),
                            couverte: r.covered[i],
                            apl_10000: r.accessibility[i].map(|a| a * 10_000.0),
                        }
                    })
                    .collect(),
            }
        })
        .collect();

    // Comparison areas: the territory, its départements, its régions.
    let mut comparaisons = vec![area_row(
        "territoire",
        &entry.territory.id,
        &entry.territory.name,
        &members,
        &places,
        &runs,
        params,
    )];
    let deps: Vec<String> = {
        let mut d: Vec<String> = members
            .iter()
            .map(|&i| places.get(i).departement.clone())
            .collect();
        d.sort();
        d.dedup();
        d
    };
    let mut comparaisons_absentes = Vec::new();
    for dep in &deps {
        let m: Vec<usize> = (0..places.len())
            .filter(|&i| &places.get(i).departement == dep)
            .collect();
        let name = crate::model::departements::name(dep).unwrap_or(dep);
        let nom = format!("{name} ({dep}) – communes chargées");
        if let Some(motif) = unlike_basis(&m, &places) {
            comparaisons_absentes.push(MissingArea {
                niveau: "departement".into(),
                code: dep.clone(),
                nom,
                motif,
            });
            continue;
        }
        comparaisons.push(area_row(
            "departement",
            dep,
            &nom,
            &m,
            &places,
            &runs,
            params,
        ));
    }
    let regions: Vec<(&str, &str)> = {
        let mut r: Vec<(&str, &str)> = deps.iter().filter_map(|d| region_of(d)).collect();
        r.sort();
        r.dedup();
        r
    };
    for (code, name) in regions {
        let m: Vec<usize> = (0..places.len())
            .filter(|&i| region_of(&places.get(i).departement).is_some_and(|r| r.0 == code))
            .collect();
        // Only one of its départements loaded: the row would repeat that département's.
        let loaded: BTreeSet<&str> = m
            .iter()
            .map(|&i| places.get(i).departement.as_str())
            .collect();
        if loaded.len() < 2 {
            let only = loaded.iter().next().copied().unwrap_or_default();
            let dep = crate::model::departements::name(only).unwrap_or(only);
            comparaisons_absentes.push(MissingArea {
                niveau: "region".into(),
                code: code.to_string(),
                nom: name.to_string(),
                motif: format!(
                    "région non chargée : seules les communes de {dep} ({only}) le sont, la ligne répéterait celle du département ; chargez les autres départements de la région pour cette comparaison"
                ),
            });
            continue;
        }
        if let Some(motif) = unlike_basis(&m, &places) {
            comparaisons_absentes.push(MissingArea {
                niveau: "region".into(),
                code: code.to_string(),
                nom: format!("{name} – communes chargées"),
                motif,
            });
            continue;
        }
        comparaisons.push(area_row(
            "region",
            code,
            &format!("{name} – communes chargées"),
            &m,
            &places,
            &runs,
            params,
        ));
    }

    let mut zones_blanches = BTreeMap::new();
    if let Some(t) = comparaisons.first() {
        for (cell, r) in t.indicateurs.iter().zip(&runs) {
            zones_blanches.insert(
                r.info.id.clone(),
                cell.couverture
                    .uncovered
                    .iter()
                    .map(|&i| places.get(i).code.clone())
                    .collect(),
            );
        }
    }

    // Code matching in the territory's départements: contours × populations × BPE supply of
    // the asked kinds (other départements only feed the région row, where communes without an
    // outline count as « non localisée »).
    let facts: Vec<CommuneFacts> = dir
        .communes()
        .all()
        .iter()
        .filter(|c| deps.contains(&c.departement))
        .map(|c| CommuneFacts {
            code: c.code.to_string(),
            name: c.name.clone(),
            outline: !c.geometry.0.is_empty(),
            population: c.population,
        })
        .collect();
    let bpe_supply: Vec<(String, u64)> = if params.source == SupplySource::Bpe {
        kinds
            .iter()
            .flat_map(|&k| bpe_counts(dir, k))
            .filter(|(c, _)| deps.iter().any(|d| d == c.departement()))
            .map(|(c, n)| (c.to_string(), n))
            .collect()
    } else {
        Vec::new()
    };
    let cog = cog_report(&facts, &bpe_supply);

    let mut avertissements = Vec::new();
    if !entry.unknown_communes.is_empty() {
        avertissements.push(format!(
            "{} commune(s) du territoire absente(s) des données chargées : {}",
            entry.unknown_communes.len(),
            entry
                .unknown_communes
                .iter()
                .map(InseeCode::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for r in &runs {
        if r.info.effectif_bpe_non_utilise > 0 {
            avertissements.push(format!(
                "aucun acteur « {} » dans l'annuaire chargé, mais {} équipement(s) de ce type sont comptés dans la BPE : choisissez l'offre « équipements BPE » (--source bpe en ligne de commande) pour les utiliser",
                r.info.libelle, r.info.effectif_bpe_non_utilise
            ));
        } else if r.supplies.is_empty() {
            avertissements.push(format!(
                "aucune offre « {} » dans les données chargées (source : {})",
                r.info.libelle,
                params.source.label()
            ));
        }
        if params.coverage_by == CoverageChoice::ServiceArea
            && r.info.couverture == CoverageBasis::Distance
        {
            avertissements.push(format!(
                "aucune zone d'intervention chargée pour « {} »{} : couverture par distance ({})",
                r.info.libelle,
                if params.source == SupplySource::Bpe {
                    " (offre BPE, sans structures)"
                } else {
                    ""
                },
                params.coverage.label_by(&params.routing)
            ));
        }
        if r.info.points_offre_nuls > 0 {
            avertissements.push(format!(
                "{} point(s) d'offre « {} » d'effectif nul ignoré(s)",
                r.info.points_offre_nuls, r.info.libelle
            ));
        }
    }
    let member_set: HashSet<usize> = members.iter().copied().collect();
    let unlocated: Vec<String> = member_set
        .iter()
        .filter(|&&i| places.get(i).point.is_none())
        .map(|&i| places.get(i).code.clone())
        .collect();
    if !unlocated.is_empty() {
        avertissements.push(format!(
            "{} commune(s) sans contour : population comptée, distances non calculables",
            unlocated.len()
        ));
    }
    avertissements.extend(cog.lines());
    for a in comparaisons.iter().filter(|a| a.niveau == "region") {
        if let Some(cell) = a.indicateurs.first() {
            let n = cell.couverture.unlocated.len();
            if n > 0 {
                avertissements.push(format!(
                    "{} : {n} commune(s) chargée(s) sans contour ({} habitants), comptées comme non localisées",
                    a.nom,
                    crate::util::number::fr_int(cell.couverture.population_unlocated)
                ));
            }
        }
    }

    let parametres = ParamsReport {
        source: params.source,
        source_libelle: params.source.label().into(),
        travel: params.travel,
        modele_trajet_libelle: travel_description(params),
        modele_trajet_nom: params.routing.name(),
        routage: params.routing.engine().is_some(),
        minutes_libelle: params.routing.minutes_wording().into(),
        coverage: params.coverage,
        seuil_couverture_libelle: params.coverage.label_by(&params.routing),
        seuil_couverture_m: threshold,
        couverture_demandee: params.coverage_by,
        couverture_demandee_libelle: params.coverage_by.label().into(),
        decay: params.decay.clone(),
        decroissance_2sfca_libelle: params.decay.describe(),
        offre_ponderee_par_capacite: params.capacity,
        masquage_petits_effectifs: mask,
        point_commune: super::inputs::PointKind::Centroid.label().into(),
        methode: method_notes(params),
    };
    let diagnostic = Diagnostic {
        territoire: TerritoryInfo {
            id: entry.territory.id.clone(),
            nom: entry.territory.name.clone(),
            kind: entry.territory.kind.label().into(),
            nombre_communes: entry.territory.communes.len(),
            population: entry.population,
            communes_inconnues: entry
                .unknown_communes
                .iter()
                .map(InseeCode::to_string)
                .collect(),
        },
        parametres,
        types: runs.iter().map(|r| r.info.clone()).collect(),
        communes,
        comparaisons,
        comparaisons_absentes,
        zones_blanches,
        appariement_codes: cog,
        sources: dir
            .reports()
            .iter()
            .map(|r| SourceRef {
                fichier: r.file.clone(),
                source: r.source_name.clone(),
                date: r.source_date.clone(),
                exemple: r.sample,
            })
            .collect(),
        avertissements,
        hors_reseau_routier: off_road(&runs, &places, &member_set),
        descripteurs: super::indicators::DESCRIPTORS,
    };
    Ok(Computed {
        diagnostic,
        places,
        runs,
        members,
    })
}

/// The travel model in one French sentence.
pub fn travel_description(params: &DiagnosticParams) -> String {
    match &params.routing {
        Travel::Estimate => params.travel.describe(),
        Travel::Road(e) => format!(
            "temps par la route, {} (vitesse plafonnée à {} km/h) : plus proche offre par temps de trajet, couverture en minutes et paliers du 2SFCA en minutes calculés par la route, de la commune vers l'offre ; les distances en km restent à vol d'oiseau",
            e.label(),
            super::travel::fr_num(e.options().top_speed_kmh)
        ),
    }
}

/// Communes of the territory and supply points the road network does not reach.
fn off_road(runs: &[KindRun], places: &PlaceSet, members: &HashSet<usize>) -> Vec<OffRoad> {
    let mut out = Vec::new();
    for r in runs {
        let Some(road) = &r.road else { continue };
        let mut push = |list: &[usize], raison: &str| {
            for &i in list.iter().filter(|i| members.contains(i)) {
                let p = places.get(i);
                out.push(OffRoad {
                    kind: r.info.id.clone(),
                    genre: "commune".into(),
                    code: p.code.clone(),
                    nom: p.name.clone(),
                    raison: raison.into(),
                });
            }
        };
        push(
            &road.places_off_road,
            "centre de la commune sans route à portée du moteur de routage",
        );
        push(
            &road.places_unreached,
            "aucune offre de ce type atteignable par la route",
        );
        for &j in &road.supplies_off_road {
            let s = r.supplies.get(j);
            out.push(OffRoad {
                kind: r.info.id.clone(),
                genre: "offre".into(),
                code: s.key.clone(),
                nom: s.label.clone(),
                raison: "point d'offre sans route à portée du moteur de routage (non compté)"
                    .into(),
            });
        }
    }
    out
}

/// French method notes, one per indicator.
pub fn method_notes(params: &DiagnosticParams) -> Vec<String> {
    vec![
        format!("Offre : {}.", params.source.label()),
        "Densité : effectif ÷ population municipale × 10 000.".into(),
        "Distance : du centroïde géométrique de la commune (aucun point pondéré par la population n'est disponible) à l'offre la plus proche, à vol d'oiseau (grand cercle, rayon terrestre moyen 6 371 008,8 m).".into(),
        format!("Temps : {}.", travel_description(params)),
        format!(
            "Couverture : part des habitants des communes couvertes ; les autres communes forment les « zones blanches ». Deux définitions, nommées pour chaque type : par zone d'intervention (une structure du type est compétente pour la commune, même règle que l'orientation) ou par distance (une offre à moins de {} du centre de la commune). Demandée : {}.",
            params.coverage.label_by(&params.routing),
            params.coverage_by.label()
        ),
        format!(
            "Accessibilité (2SFCA, à la manière de l'APL de la DREES) : Rⱼ = Sⱼ ÷ Σ W(dᵢⱼ)·Pᵢ puis Aᵢ = Σ W(dᵢⱼ)·Rⱼ, exprimée pour 10 000 habitants ; paliers {} (paramétrables, à vérifier avec la note de méthode de la DREES).",
            params.decay.describe()
        ),
        "Calcul sur toutes les communes chargées (l'offre et la demande voisines du territoire comptent), puis lecture pour le territoire.".into(),
        if params.mask_small {
            "Petits effectifs : les effectifs de 1 à 4, et les densités qui en découlent, sont remplacés par « < 5 ».".into()
        } else {
            "Petits effectifs : non masqués (option --masquer-petits-effectifs).".into()
        },
    ]
}

/// Catchments of one kind restricted to the supply points that serve at least one of
/// `members` (all when `members` is `None`).
pub fn zones(run: &KindRun, places: &PlaceSet, members: Option<&[usize]>) -> Vec<Catchment> {
    let all = catchments(places, &run.supplies, &run.nearest);
    match members {
        None => all.into_iter().filter(|c| !c.places.is_empty()).collect(),
        Some(m) => {
            let set: HashSet<usize> = m.iter().copied().collect();
            all.into_iter()
                .filter(|c| c.places.iter().any(|i| set.contains(i)))
                .collect()
        }
    }
}
