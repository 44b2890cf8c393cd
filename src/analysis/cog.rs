//! Joining codes from sources of different COG years (contours, populations, BPE counts):
//! what matches is joined by INSEE code, and every code that does not match is reported by
//! name, with the population or supply it carries, so nothing is dropped silently.
//!
//! Communes merge into communes nouvelles over the years: a 2018 contour whose code no longer
//! exists in a 2026 population file shows up here as « contour sans population », and the
//! merged commune's population is in its new commune's figure.
//!
//! ```
//! use maillage::analysis::cog::{cog_report, CommuneFacts};
//! let communes = vec![
//!     CommuneFacts { code: "81233".into(), name: "Terre-de-Bancalié".into(), outline: true, population: Some(1766) },
//!     CommuneFacts { code: "81226".into(), name: "Ronel".into(), outline: true, population: None },
//! ];
//! let r = cog_report(&communes, &[("81226".into(), 1), ("81999".into(), 2)]);
//! assert_eq!(r.outline_without_population[0].name, "Ronel");
//! assert_eq!(r.supply_without_commune[0].code, "81999");
//! assert_eq!(r.supply_without_population[0].count, 1);
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// What the sources say about one commune code.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneFacts {
    pub code: String,
    pub name: String,
    /// An outline (contour) was loaded for this code.
    pub outline: bool,
    pub population: Option<u64>,
}

/// One unmatched code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmatched {
    pub code: String,
    /// Name from whichever source knows the code (empty when none does).
    #[serde(rename = "nom")]
    pub name: String,
    /// Population carried by the code, if any.
    pub population: Option<u64>,
    /// Supply (equipment count) carried by the code, 0 if none.
    #[serde(rename = "offre")]
    pub count: u64,
}

/// The code-matching report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CogReport {
    /// Outlines whose code has no population (communes merged since the contour's COG year).
    #[serde(rename = "contours_sans_population")]
    pub outline_without_population: Vec<Unmatched>,
    /// Populations whose code has no outline: counted in totals, but without a point.
    #[serde(rename = "populations_sans_contour")]
    pub population_without_outline: Vec<Unmatched>,
    /// Equipment counts whose code matches no loaded commune: not placed.
    #[serde(rename = "offre_sans_commune")]
    pub supply_without_commune: Vec<Unmatched>,
    /// Equipment counts placed at a commune that has an outline but no population.
    #[serde(rename = "offre_sans_population")]
    pub supply_without_population: Vec<Unmatched>,
}

impl CogReport {
    /// True when every code matched.
    pub fn is_clean(&self) -> bool {
        self.outline_without_population.is_empty()
            && self.population_without_outline.is_empty()
            && self.supply_without_commune.is_empty()
            && self.supply_without_population.is_empty()
    }

    /// French lines describing every unmatched code.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let name = |u: &Unmatched| {
            if u.name.is_empty() {
                u.code.clone()
            } else {
                format!("{} ({})", u.name, u.code)
            }
        };
        for u in &self.outline_without_population {
            out.push(format!(
                "{} : contour sans population (commune fusionnée depuis l'année du contour ?)",
                name(u)
            ));
        }
        for u in &self.population_without_outline {
            out.push(format!(
                "{} : {} habitants sans contour — comptés dans les totaux, non localisés",
                name(u),
                u.population.unwrap_or(0)
            ));
        }
        for u in &self.supply_without_commune {
            out.push(format!(
                "{} : {} équipement(s) BPE sur un code sans contour chargé — non placés",
                name(u),
                u.count
            ));
        }
        for u in &self.supply_without_population {
            out.push(format!(
                "{} : {} équipement(s) BPE sur une commune sans population — placés au centroïde",
                name(u),
                u.count
            ));
        }
        out
    }
}

/// Matches commune facts and supply codes (`(code, count)`, summed per code).
pub fn cog_report(communes: &[CommuneFacts], supply: &[(String, u64)]) -> CogReport {
    let by_code: HashMap<&str, &CommuneFacts> =
        communes.iter().map(|c| (c.code.as_str(), c)).collect();
    let mut r = CogReport::default();
    for c in communes {
        let u = Unmatched {
            code: c.code.clone(),
            name: c.name.clone(),
            population: c.population,
            count: 0,
        };
        match (c.outline, c.population) {
            (true, None) => r.outline_without_population.push(u),
            (false, Some(_)) => r.population_without_outline.push(u),
            _ => {}
        }
    }
    let mut per_code: BTreeMap<&str, u64> = BTreeMap::new();
    for (code, n) in supply {
        *per_code.entry(code.as_str()).or_default() += n;
    }
    for (code, n) in per_code {
        match by_code.get(code) {
            None => r.supply_without_commune.push(Unmatched {
                code: code.to_string(),
                name: String::new(),
                population: None,
                count: n,
            }),
            Some(c) if c.population.is_none() && c.outline => {
                r.supply_without_population.push(Unmatched {
                    code: code.to_string(),
                    name: c.name.clone(),
                    population: None,
                    count: n,
                })
            }
            Some(c) if !c.outline => r.supply_without_commune.push(Unmatched {
                code: code.to_string(),
                name: c.name.clone(),
                population: c.population,
                count: n,
            }),
            Some(_) => {}
        }
    }
    let key = |u: &Unmatched| u.code.clone();
    r.outline_without_population.sort_by_key(key);
    r.population_without_outline.sort_by_key(key);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mismatch_is_listed_once() {
        let communes = vec![
            CommuneFacts {
                code: "81004".into(),
                name: "Albi".into(),
                outline: true,
                population: Some(49_000),
            },
            CommuneFacts {
                code: "81226".into(),
                name: "Ronel".into(),
                outline: true,
                population: None,
            },
            CommuneFacts {
                code: "81330".into(),
                name: "Nouvelle".into(),
                outline: false,
                population: Some(700),
            },
        ];
        let supply = vec![
            ("81004".to_string(), 3),
            ("81226".to_string(), 1),
            ("81226".to_string(), 2),
            ("81330".to_string(), 4),
            ("99999".to_string(), 5),
        ];
        let r = cog_report(&communes, &supply);
        assert_eq!(r.outline_without_population.len(), 1);
        assert_eq!(r.population_without_outline[0].population, Some(700));
        assert_eq!(r.supply_without_population[0].count, 3);
        let unplaced: Vec<(&str, u64)> = r
            .supply_without_commune
            .iter()
            .map(|u| (u.code.as_str(), u.count))
            .collect();
        assert_eq!(unplaced, vec![("81330", 4), ("99999", 5)]);
        assert_eq!(r.lines().len(), 5);
        assert!(!r.is_clean());
    }
}
