//! Checks of procedures against the loaded directory (kinds, actors, communes, territories) and
//! against each other (duplicate ids, overlapping criteria for one situation).

use std::collections::{BTreeSet, HashSet};

use super::procedure::{Problem, Procedure, Rule};
use crate::index::{ActorFilter, Directory};
use crate::model::InseeCode;

/// Problems of one procedure that need the directory: unknown kinds, actor ids, communes or
/// territories are errors; kinds without any loaded actor, and `competent` steps whose kinds
/// have no service area, are warnings.
pub fn check(p: &Procedure, dir: &Directory) -> Vec<Problem> {
    let f = p.file.as_str();
    let mut out = Vec::new();
    for c in &p.criteria.communes {
        if dir.places().code(c.value.as_str()).is_none() {
            out.push(Problem::error(
                f,
                c.line,
                format!(
                    "criteres.communes : commune {} inconnue dans les données chargées",
                    c.value
                ),
            ));
        }
    }
    for t in &p.criteria.territories {
        if dir.territory(&t.value).is_none() {
            out.push(Problem::error(
                f,
                t.line,
                format!(
                    "criteres.territoires : territoire « {} » inconnu ; territoires chargés : {}",
                    t.value,
                    list(dir.territories().iter().map(|t| t.territory.id.as_str()))
                ),
            ));
        }
    }
    for s in &p.steps {
        let mut kinds = Vec::new();
        for k in &s.kinds {
            match dir.kinds().by_id(&k.value) {
                Some(id) => {
                    kinds.push(id);
                    if dir.kind_count(id) == 0 {
                        out.push(Problem::warning(
                            f,
                            k.line,
                            format!(
                                "étape « {} » : aucun acteur de type « {} » dans les données chargées",
                                s.id, k.value
                            ),
                        ));
                    }
                }
                None => out.push(Problem::error(
                    f,
                    k.line,
                    format!(
                        "étape « {} » : type inconnu « {} » ; types valides : {}",
                        s.id,
                        k.value,
                        list(dir.kinds().iter().map(|(_, k)| k.id.as_str()))
                    ),
                )),
            }
        }
        match &s.rule {
            Rule::Actors(ids) => {
                for a in ids {
                    if dir.find(&a.value).is_none() {
                        out.push(Problem::error(
                            f,
                            a.line,
                            format!(
                                "étape « {} » : acteur inconnu « {} » (identifiant attendu tel que dans /api/actors, ex. finess:810000505)",
                                s.id, a.value
                            ),
                        ));
                    }
                }
            }
            Rule::Competent { .. } if !kinds.is_empty() => {
                let members = dir.filter(&ActorFilter {
                    kinds: Some(kinds),
                    ..ActorFilter::default()
                });
                if !members.is_empty() && !members.iter().any(|&i| dir.service_area(i).is_some()) {
                    out.push(Problem::warning(
                        f,
                        s.line,
                        format!(
                            "étape « {} » : aucun acteur de ces types n'a de zone d'intervention ; l'étape ne trouvera personne{}",
                            s.id,
                            if s.fallback.is_none() {
                                " (prévoir si_aucun ou un fichier zones.csv)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// The communes a procedure is limited to, or `None` when it applies everywhere.
pub fn commune_limit(p: &Procedure, dir: &Directory) -> Option<BTreeSet<InseeCode>> {
    if p.criteria.everywhere() {
        return None;
    }
    // A former code (commune merged since) stands for the commune it joined.
    let mut set: BTreeSet<InseeCode> = p
        .criteria
        .communes
        .iter()
        .map(|c| {
            dir.places()
                .code(c.value.as_str())
                .map_or(c.value, |f| f.code)
        })
        .collect();
    for t in &p.criteria.territories {
        if let Some(e) = dir.territory(&t.value) {
            set.extend(e.territory.communes.iter().copied());
        }
    }
    Some(set)
}

/// Problems between procedures: an id used twice, and two procedures of the same situation
/// whose criteria overlap (same ages and same communes), which would make the choice
/// ambiguous. Each problem is reported on the later procedure (in file order).
pub fn check_set(procs: &[&Procedure], dir: &Directory) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut ids: HashSet<&str> = HashSet::new();
    for (i, p) in procs.iter().enumerate() {
        if !ids.insert(p.id.as_str()) {
            let first = procs[..i]
                .iter()
                .find(|q| q.id == p.id)
                .map_or("", |q| q.file.as_str());
            out.push(Problem::error(
                &p.file,
                1,
                format!(
                    "id : la procédure « {} » est déjà définie dans {first}",
                    p.id
                ),
            ));
            continue;
        }
        for q in &procs[..i] {
            if q.situation != p.situation || q.id == p.id {
                continue;
            }
            let (a1, b1) = p.criteria.age_range();
            let (a2, b2) = q.criteria.age_range();
            let lo = a1.max(a2);
            let hi = b1.min(b2);
            if lo > hi {
                continue;
            }
            let shared = match (commune_limit(p, dir), commune_limit(q, dir)) {
                (None, None) => "partout".to_string(),
                (Some(s), None) | (None, Some(s)) if !s.is_empty() => {
                    format!("{} commune(s)", s.len())
                }
                (Some(x), Some(y)) => {
                    let both: Vec<String> = x.intersection(&y).map(|c| c.to_string()).collect();
                    if both.is_empty() {
                        continue;
                    }
                    let head: Vec<&str> = both.iter().take(5).map(String::as_str).collect();
                    format!(
                        "commune(s) {}{}",
                        head.join(", "),
                        if both.len() > 5 { ", …" } else { "" }
                    )
                }
                _ => continue,
            };
            let line = if p.criteria.line > 0 {
                p.criteria.line
            } else {
                1
            };
            out.push(Problem::error(
                &p.file,
                line,
                format!(
                    "criteres : chevauchent ceux de « {} » ({}) pour la situation « {} » : âges {lo} à {hi} ans, {shared} ; séparez les âges ou les territoires",
                    q.id, q.file, p.situation
                ),
            ));
        }
    }
    out
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.len() > 60 {
        format!("{}, … ({} au total)", v[..60].join(", "), v.len())
    } else {
        v.join(", ")
    }
}
