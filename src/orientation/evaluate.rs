//! Evaluating a procedure for one patient: criteria, then each step's rule, with fallbacks.
//!
//! ```
//! use maillage::index::Directory;
//! use maillage::orientation::{evaluate, place, ProcedureSet};
//! let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
//! let (set, _) = ProcedureSet::demo(&dir);
//! let p = set.get("perte-autonomie-domicile").unwrap();
//! let at = place::locate(&dir, &place::PlaceQuery::Commune("81099".parse().unwrap())).unwrap();
//! let o = evaluate::evaluate(&dir, p, &at, Some(82));
//! assert!(o.applicable);
//! assert!(o.etapes.iter().any(|e| !e.acteurs.is_empty()));
//! let young = evaluate::evaluate(&dir, p, &at, Some(30));
//! assert!(!young.applicable);
//! assert!(young.motif.unwrap().contains("30 ans"));
//! ```

use std::collections::HashSet;

use serde::Serialize;

use super::check::commune_limit;
use super::place::Place;
use super::procedure::{age_label, fmt_km, Procedure, Rule, Step, MAX_COUNT};
use crate::index::Directory;
use crate::model::{haversine_m, KindId, LonLat};

/// The procedure as shown with a result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ResumeProcedure)]
pub struct Summary {
    pub id: String,
    pub titre: String,
    pub version: String,
    pub date: String,
    pub public: Option<String>,
    pub auteurs: Vec<String>,
    pub exemple: bool,
    pub criteres: Option<String>,
}

impl Summary {
    pub fn of(p: &Procedure, dir: &Directory) -> Summary {
        Summary {
            id: p.id.clone(),
            titre: p.title.clone(),
            version: p.version.clone(),
            date: p.date.clone(),
            public: p.audience.clone(),
            auteurs: p.authors.clone(),
            exemple: p.sample,
            criteres: criteria_label(p, dir),
        }
    }
}

/// French description of a procedure's criteria (`60 ans et plus ; CPTS exemple du …`).
pub fn criteria_label(p: &Procedure, dir: &Directory) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(a) = p.criteria.age_label() {
        parts.push(format!("patients {a}"));
    }
    let mut places: Vec<String> = p
        .criteria
        .territories
        .iter()
        .map(|t| {
            dir.territory(&t.value)
                .map_or(t.value.clone(), |e| e.territory.name.clone())
        })
        .collect();
    places.extend(p.criteria.communes.iter().map(|c| {
        dir.commune(c.value).map_or(c.value.to_string(), |cm| {
            format!("{} ({})", cm.name, cm.code)
        })
    }));
    if !places.is_empty() {
        parts.push(format!("habitant : {}", places.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(" ; "))
}

/// Where the patient is, as answered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaceOut {
    pub commune: Option<String>,
    pub commune_nom: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// True when distances are measured from the commune's centre.
    pub centre_commune: bool,
    pub remarques: Vec<String>,
}

/// An actor chosen by a step, with contact details and why it was chosen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Chosen {
    pub id: String,
    pub nom: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub type_libelle: String,
    pub telephone: Option<String>,
    pub email: Option<String>,
    pub site: Option<String>,
    pub horaires: Option<String>,
    pub adresse: String,
    pub commune: Option<String>,
    pub commune_nom: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// Metres from the patient (or the commune's centre), rounded to the metre.
    pub distance_m: Option<f64>,
    pub raison: String,
    /// Sample data (demo).
    pub exemple: bool,
}

/// The fallback step that was applied.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FallbackOut {
    pub id: String,
    pub titre: String,
    pub message: Option<String>,
    pub documents: Vec<String>,
    pub choix: &'static str,
    pub choix_libelle: String,
}

/// Outcome of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Outcome {
    /// The step's own rule found actors.
    #[serde(rename = "trouve")]
    Found,
    /// A fallback step found actors.
    #[serde(rename = "secours")]
    Fallback,
    /// Nothing found, fallbacks included.
    #[serde(rename = "aucun")]
    Nothing,
    /// The step does not apply to this patient (age).
    #[serde(rename = "non_applicable")]
    NotApplicable,
}

/// One step of the answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepResult {
    pub numero: usize,
    pub id: String,
    pub titre: String,
    pub message: Option<String>,
    pub documents: Vec<String>,
    pub choix: &'static str,
    pub choix_libelle: String,
    pub resultat: Outcome,
    /// The fallback step applied, when the step's own rule found nobody.
    pub secours: Option<FallbackOut>,
    pub acteurs: Vec<Chosen>,
    pub remarque: Option<String>,
}

/// The answer to "whom do I call?".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Orientation {
    pub procedure: Summary,
    pub lieu: PlaceOut,
    pub age: Option<u32>,
    /// False when the patient is outside the procedure's criteria.
    pub applicable: bool,
    /// Why the procedure does not apply.
    pub motif: Option<String>,
    pub etapes: Vec<StepResult>,
    pub avertissements: Vec<String>,
}

/// Why the patient is outside the procedure's criteria, if so; and warnings.
fn criteria_check(
    p: &Procedure,
    dir: &Directory,
    place: &Place,
    age: Option<u32>,
) -> (Option<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let c = &p.criteria;
    let label = c.age_label();
    match (age, &label) {
        (Some(a), Some(l)) => {
            let (lo, hi) = c.age_range();
            if a < lo || a > hi {
                return (
                    Some(format!(
                        "le patient a {a} ans : cette procédure concerne les patients {l}"
                    )),
                    warnings,
                );
            }
        }
        (None, Some(l)) => warnings.push(format!(
            "âge non précisé : cette procédure concerne les patients {l}"
        )),
        _ => {}
    }
    if let Some(set) = commune_limit(p, dir) {
        let limits = criteria_label(p, dir).unwrap_or_default();
        match place.commune {
            None => {
                return (
                    Some(format!(
                        "le lieu du patient n'est dans aucune commune chargée ; cette procédure est limitée ({limits})"
                    )),
                    warnings,
                )
            }
            Some(code) if !set.contains(&code) => {
                let name = dir.commune(code).map_or(String::new(), |c| c.name.clone());
                return (
                    Some(format!(
                        "la commune {name} ({code}) est hors du territoire de cette procédure ({limits})"
                    )),
                    warnings,
                );
            }
            Some(_) => {}
        }
    }
    (None, warnings)
}

/// Evaluates a procedure for a patient at `place`, of `age` years when known.
pub fn evaluate(dir: &Directory, p: &Procedure, place: &Place, age: Option<u32>) -> Orientation {
    let commune = place.commune.and_then(|c| dir.commune(c));
    let lieu = PlaceOut {
        commune: place.commune.map(|c| c.to_string()),
        commune_nom: commune.map(|c| c.name.clone()),
        lon: place.point.map(|p| p.lon),
        lat: place.point.map(|p| p.lat),
        centre_commune: place.from_centroid,
        remarques: place.notes.clone(),
    };
    let (motif, mut warnings) = criteria_check(p, dir, place, age);
    let mut out = Orientation {
        procedure: Summary::of(p, dir),
        lieu,
        age,
        applicable: motif.is_none(),
        motif,
        etapes: Vec::new(),
        avertissements: Vec::new(),
    };
    if !out.applicable {
        out.avertissements = warnings;
        return out;
    }
    for (n, step) in p.steps.iter().filter(|s| !s.is_fallback).enumerate() {
        let mut result = StepResult {
            numero: n + 1,
            id: step.id.clone(),
            titre: step.title.clone(),
            message: step.message.clone(),
            documents: step.documents.clone(),
            choix: step.rule.keyword(),
            choix_libelle: step.rule.label(),
            resultat: Outcome::Found,
            secours: None,
            acteurs: Vec::new(),
            remarque: None,
        };
        if !step.applies_to_age(age) {
            result.resultat = Outcome::NotApplicable;
            result.remarque = Some(format!(
                "étape réservée aux patients {}",
                age_label(step.age_min, step.age_max).unwrap_or_default()
            ));
            out.etapes.push(result);
            continue;
        }
        let (found, note) = run(dir, step, place, &mut warnings);
        if !found.is_empty() {
            result.acteurs = found;
            result.remarque = note;
            out.etapes.push(result);
            continue;
        }
        let mut tried = vec![format!("{} ({})", note.unwrap_or_default(), step.id)];
        let mut visited: HashSet<&str> = HashSet::from([step.id.as_str()]);
        let mut cur = step;
        result.resultat = Outcome::Nothing;
        while let Some(next) = cur
            .fallback
            .as_ref()
            .and_then(|f| p.step(&f.value))
            .filter(|s| visited.insert(s.id.as_str()))
        {
            cur = next;
            if !next.applies_to_age(age) {
                continue;
            }
            let (found, note) = run(dir, next, place, &mut warnings);
            if found.is_empty() {
                tried.push(format!("{} ({})", note.unwrap_or_default(), next.id));
                continue;
            }
            result.resultat = Outcome::Fallback;
            result.acteurs = found;
            result.secours = Some(FallbackOut {
                id: next.id.clone(),
                titre: next.title.clone(),
                message: next.message.clone(),
                documents: next.documents.clone(),
                choix: next.rule.keyword(),
                choix_libelle: next.rule.label(),
            });
            result.remarque = Some(format!(
                "aucune structure trouvée par la règle « {} » : étape de secours « {} » appliquée",
                step.rule.label(),
                next.title
            ));
            break;
        }
        if result.resultat == Outcome::Nothing {
            result.remarque = Some(format!(
                "aucune structure trouvée : {}. Contactez la CPTS pour une orientation au cas par cas.",
                tried.join(" ; ")
            ));
        }
        out.etapes.push(result);
    }
    warnings.sort();
    warnings.dedup();
    out.avertissements = warnings;
    out
}

/// Runs one step's rule. Returns the chosen actors and, when none, why.
fn run(
    dir: &Directory,
    step: &Step,
    place: &Place,
    warnings: &mut Vec<String>,
) -> (Vec<Chosen>, Option<String>) {
    let kinds: Vec<KindId> = step
        .kinds
        .iter()
        .filter_map(|k| dir.kinds().by_id(&k.value))
        .collect();
    let kind_list = step
        .kinds
        .iter()
        .map(|k| k.value.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let at = place.point;
    let dist = |i: u32| -> Option<f64> {
        let a = dir.actor(i).position()?;
        at.map(|p| haversine_m(p, a))
    };
    match &step.rule {
        Rule::Competent { max } => {
            let mut found: Vec<(u32, String, Option<f64>)> = dir
                .competent(at, place.commune, Some(&kinds))
                .into_iter()
                .map(|(i, why)| (i, why, dist(i)))
                .collect();
            found.sort_by(|a, b| {
                a.2.unwrap_or(f64::INFINITY)
                    .total_cmp(&b.2.unwrap_or(f64::INFINITY))
                    .then(a.0.cmp(&b.0))
            });
            found.truncate(max.unwrap_or(MAX_COUNT));
            let why_none = format!(
                "aucune structure ({kind_list}) n'a de zone d'intervention couvrant ce lieu"
            );
            let chosen: Vec<Chosen> = found
                .into_iter()
                .map(|(i, why, d)| chosen(dir, i, d, why))
                .collect();
            let note = chosen.is_empty().then_some(why_none);
            (chosen, note)
        }
        Rule::Nearest { radius_km, count } => {
            let Some(p) = at else {
                return (Vec::new(), Some("position du patient inconnue".into()));
            };
            let found = dir.within(p, radius_km * 1000.0, Some(&kinds));
            let total = found.len();
            let chosen: Vec<Chosen> = found
                .into_iter()
                .take(*count)
                .enumerate()
                .map(|(n, (i, d))| {
                    let why = if n == 0 {
                        format!("la plus proche : {}", fmt_distance(d))
                    } else {
                        format!("{}e plus proche : {}", n + 1, fmt_distance(d))
                    };
                    chosen(dir, i, Some(d), why)
                })
                .collect();
            let note = if chosen.is_empty() {
                Some(format!(
                    "aucune structure ({kind_list}) à moins de {} km",
                    fmt_km(*radius_km)
                ))
            } else if total > chosen.len() {
                Some(format!(
                    "{total} structures à moins de {} km ; les {} plus proches sont listées",
                    fmt_km(*radius_km),
                    chosen.len()
                ))
            } else if chosen.len() < *count {
                // Fewer than asked: say so, and where the next one is.
                let next = dir
                    .nearest(p, chosen.len() + 1, Some(&kinds))
                    .into_iter()
                    .nth(chosen.len());
                let only = if chosen.len() == 1 {
                    "une seule structure".to_string()
                } else {
                    format!("{} structures seulement", chosen.len())
                };
                Some(format!(
                    "{count} plus proches demandées, mais {only} ({kind_list}) à moins de {} km{}",
                    fmt_km(*radius_km),
                    match next {
                        Some((i, d)) => format!(
                            " ; la suivante, {}, est à {}, hors du rayon de la procédure",
                            dir.actor(i).name(),
                            fmt_distance(d)
                        ),
                        None => " ; aucune autre n'est chargée".to_string(),
                    }
                ))
            } else {
                None
            };
            (chosen, note)
        }
        Rule::AllWithin { radius_km, max } => {
            let Some(p) = at else {
                return (Vec::new(), Some("position du patient inconnue".into()));
            };
            let found = dir.within(p, radius_km * 1000.0, Some(&kinds));
            let total = found.len();
            let cap = max.unwrap_or(MAX_COUNT);
            let chosen: Vec<Chosen> = found
                .into_iter()
                .take(cap)
                .map(|(i, d)| {
                    let why = format!("à {} (rayon de {} km)", fmt_distance(d), fmt_km(*radius_km));
                    chosen(dir, i, Some(d), why)
                })
                .collect();
            let note = if chosen.is_empty() {
                Some(format!(
                    "aucune structure ({kind_list}) à moins de {} km",
                    fmt_km(*radius_km)
                ))
            } else if total > cap {
                Some(format!(
                    "{total} structures dans le rayon ; les {cap} plus proches sont listées"
                ))
            } else {
                None
            };
            (chosen, note)
        }
        Rule::Actors(ids) => {
            let mut chosen_list = Vec::new();
            for a in ids {
                match dir.find(&a.value) {
                    Some(i) => chosen_list.push(chosen(
                        dir,
                        i,
                        dist(i),
                        "désignée par la procédure".to_string(),
                    )),
                    None => warnings.push(format!(
                        "étape « {} » : l'acteur « {} » n'est plus dans les données chargées",
                        step.id, a.value
                    )),
                }
            }
            let note = chosen_list
                .is_empty()
                .then(|| "aucune des structures désignées n'est dans les données chargées".into());
            (chosen_list, note)
        }
    }
}

/// `850 m`, `3,2 km`, `12 km`.
pub fn fmt_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() as i64 * 10)
    } else if m < 10_000.0 {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    } else {
        format!("{} km", (m / 1000.0).round() as i64)
    }
}

fn chosen(dir: &Directory, i: u32, distance: Option<f64>, why: String) -> Chosen {
    let a = dir.actor(i);
    let kind = dir.kinds().get(a.kind());
    let pos: Option<LonLat> = a.position();
    let commune = a.commune();
    Chosen {
        id: a.id().to_string(),
        nom: a.name().to_string(),
        kind: kind.id.clone(),
        type_libelle: kind.label.clone(),
        telephone: a.phone().map(str::to_string),
        email: a.email().map(str::to_string),
        site: a.website().map(str::to_string),
        horaires: a.hours().map(str::to_string),
        adresse: a.address_line(),
        commune: commune.map(|c| c.to_string()),
        commune_nom: commune.and_then(|c| dir.commune(c)).map(|c| c.name.clone()),
        lon: pos.map(|p| p.lon),
        lat: pos.map(|p| p.lat),
        distance_m: distance.map(f64::round),
        raison: why,
        exemple: dir
            .reports()
            .get(a.source().0 as usize)
            .is_some_and(|r| r.sample),
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_distance;

    #[test]
    fn distances_in_french() {
        assert_eq!(fmt_distance(843.0), "840 m");
        assert_eq!(fmt_distance(3_249.0), "3,2 km");
        assert_eq!(fmt_distance(12_600.0), "13 km");
    }
}
