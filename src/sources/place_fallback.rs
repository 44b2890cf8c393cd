//! Communes of actors whose source gives no usable commune code, found by the place resolver
//! from their postcode and commune name (an Annuaire Santé line with an empty `Code commune`,
//! a FINESS line with a former code, a partner row with only `code_postal` and `commune`).
//!
//! A postcode (with the name, when it narrows the choice) that designates one loaded commune
//! places the actor there; several communes leave it unplaced, and the file's report says so.

use std::collections::HashMap;

use super::Dataset;
use crate::model::place::{PlaceResolver, Why};
use crate::model::InseeCode;

/// What the resolver made of one (postcode, commune name) pair.
#[derive(Clone)]
enum Outcome {
    One(InseeCode),
    Several(Vec<InseeCode>),
    None,
}

#[derive(Default)]
struct Tally {
    placed: usize,
    former: usize,
    several: usize,
    several_examples: Vec<String>,
    unknown: usize,
    unknown_examples: Vec<String>,
}

/// Fills `commune` of every actor without one from its postcode and city, and replaces a
/// former commune code by the commune it was merged into; each file's report gets a note
/// counting what was done and what could not be.
pub(crate) fn resolve_missing_communes(ds: &mut Dataset) {
    if ds.communes.is_empty() {
        return;
    }
    let places = PlaceResolver::new(&ds.communes, &ds.former_communes);
    let mut cache: HashMap<(String, String), Outcome> = HashMap::new();
    let mut tallies: HashMap<u16, Tally> = HashMap::new();
    // Millions of actors, some tens of thousands of codes: each code is looked up once.
    let mut merged_into: HashMap<InseeCode, Option<InseeCode>> = HashMap::new();
    for a in &mut ds.actors {
        if let Some(code) = a.commune {
            let new = *merged_into.entry(code).or_insert_with(|| {
                places
                    .code(code.as_str())
                    .filter(|found| matches!(found.why, Why::FormerCode(_)))
                    .map(|found| found.code)
            });
            if let Some(new) = new {
                a.commune = Some(new);
                tallies.entry(a.source.0).or_default().former += 1;
            }
            continue;
        }
        let postcode = a.address.postcode.as_deref().unwrap_or("").trim();
        let city = a.address.city.as_deref().unwrap_or("").trim();
        if postcode.is_empty() && city.is_empty() {
            continue;
        }
        let outcome = cache
            .entry((postcode.to_string(), city.to_string()))
            .or_insert_with(|| {
                let found = places.resolve(&format!("{postcode} {city}"));
                match found.as_slice() {
                    [] => Outcome::None,
                    [one] => Outcome::One(one.code),
                    many => Outcome::Several(many.iter().map(|c| c.code).collect()),
                }
            })
            .clone();
        let t = tallies.entry(a.source.0).or_default();
        let what = format!("{} ({postcode} {city})", a.id);
        match outcome {
            Outcome::One(code) => {
                a.commune = Some(code);
                t.placed += 1;
            }
            Outcome::Several(codes) => {
                t.several += 1;
                if t.several_examples.len() < 5 {
                    let list: Vec<&str> = codes.iter().take(6).map(|c| c.as_str()).collect();
                    t.several_examples
                        .push(format!("{what} : communes {}", list.join(", ")));
                }
            }
            Outcome::None => {
                t.unknown += 1;
                if t.unknown_examples.len() < 5 {
                    t.unknown_examples.push(what);
                }
            }
        }
    }
    let mut sources: Vec<u16> = tallies.keys().copied().collect();
    sources.sort_unstable();
    for s in sources {
        let t = &tallies[&s];
        let Some(report) = ds.reports.get_mut(s as usize) else {
            continue;
        };
        if t.placed > 0 {
            report.notes.push(format!(
                "{} acteur(s) sans code commune rattaché(s) à leur commune d'après leur code postal et leur nom de commune",
                t.placed
            ));
        }
        if t.former > 0 {
            report.notes.push(format!(
                "{} acteur(s) avec un ancien code commune (commune fusionnée) rattaché(s) à la commune nouvelle",
                t.former
            ));
        }
        if t.several > 0 {
            report.notes.push(format!(
                "{} acteur(s) sans code commune non placé(s) : leur code postal désigne plusieurs communes chargées, sans nom de commune qui les départage (ex. {})",
                t.several,
                t.several_examples.join(" ; ")
            ));
        }
        if t.unknown > 0 {
            report.notes.push(format!(
                "{} acteur(s) sans code commune non placé(s) : code postal et nom de commune inconnus des communes chargées (ex. {})",
                t.unknown,
                t.unknown_examples.join(" ; ")
            ));
        }
    }
}
