//! The area a fetch is cut to: départements, régions, or all of France.
//!
//! ```
//! use maillage::fetch::area::Area;
//! let a = Area::new(&["81".into()], &["76".into()], false).unwrap();
//! assert!(a.has_commune("81004"));
//! assert!(a.has_commune("31555"), "Haute-Garonne is in Occitanie (76)");
//! assert!(!a.has_commune("75056"));
//! assert!(a.has_postcode("81000"));
//! assert!(Area::new(&["2A".into()], &[], false).unwrap().has_postcode("20000"));
//! assert!(Area::new(&["971".into()], &[], false).unwrap().has_finess_departement("9A"));
//! assert!(Area::new(&[], &[], true).unwrap().has_commune("97411"));
//! ```

use std::collections::BTreeSet;

use super::FetchError;

/// Régions (2016 boundaries) and their départements.
const REGIONS: &[(&str, &[&str])] = &[
    ("01", &["971"]),
    ("02", &["972"]),
    ("03", &["973"]),
    ("04", &["974"]),
    ("06", &["976"]),
    ("11", &["75", "77", "78", "91", "92", "93", "94", "95"]),
    ("24", &["18", "28", "36", "37", "41", "45"]),
    ("27", &["21", "25", "39", "58", "70", "71", "89", "90"]),
    ("28", &["14", "27", "50", "61", "76"]),
    ("32", &["02", "59", "60", "62", "80"]),
    (
        "44",
        &["08", "10", "51", "52", "54", "55", "57", "67", "68", "88"],
    ),
    ("52", &["44", "49", "53", "72", "85"]),
    ("53", &["22", "29", "35", "56"]),
    (
        "75",
        &[
            "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
        ],
    ),
    (
        "76",
        &[
            "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
        ],
    ),
    (
        "84",
        &[
            "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
        ],
    ),
    ("93", &["04", "05", "06", "13", "83", "84"]),
    ("94", &["2A", "2B"]),
];

/// FINESS writes overseas départements as `9A`…`9J`.
const FINESS_OVERSEAS: &[(&str, &str)] = &[
    ("9A", "971"),
    ("9B", "972"),
    ("9C", "973"),
    ("9D", "974"),
    ("9E", "975"),
    ("9F", "976"),
    ("9G", "977"),
    ("9H", "978"),
    ("9J", "986"),
];

/// The requested area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Département codes (`81`, `2A`, `974`); empty with `france`.
    pub departements: BTreeSet<String>,
    /// Everything, overseas included.
    pub france: bool,
}

impl Area {
    /// Builds an area from `--departement`, `--region` and `--france`; fails on an unknown code
    /// or when nothing is asked.
    pub fn new(
        departements: &[String],
        regions: &[String],
        france: bool,
    ) -> Result<Area, FetchError> {
        let mut deps = BTreeSet::new();
        for d in departements {
            let d = normalise_departement(d).ok_or_else(|| FetchError::Area {
                detail: format!(
                    "département « {d} » inconnu : attendu un code comme 81, 2A ou 974"
                ),
            })?;
            deps.insert(d);
        }
        for r in regions {
            let r = r.trim();
            let r = if r.len() == 1 {
                format!("0{r}")
            } else {
                r.to_string()
            };
            let Some((_, members)) = REGIONS.iter().find(|(c, _)| *c == r) else {
                return Err(FetchError::Area {
                    detail: format!(
                        "région « {r} » inconnue : attendu un code de région INSEE ({})",
                        REGIONS
                            .iter()
                            .map(|(c, _)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            };
            deps.extend(members.iter().map(|d| d.to_string()));
        }
        if deps.is_empty() && !france {
            return Err(FetchError::Area {
                detail: "aucune zone demandée : donnez --departement, --region ou --france".into(),
            });
        }
        Ok(Area {
            departements: if france { BTreeSet::new() } else { deps },
            france,
        })
    }

    /// True when the département (as written by INSEE: `81`, `2A`, `974`) is in the area.
    pub fn has_departement(&self, dep: &str) -> bool {
        self.france || self.departements.contains(dep)
    }

    /// True when the commune with this INSEE code is in the area.
    pub fn has_commune(&self, code: &str) -> bool {
        if self.france {
            return code.len() == 5;
        }
        departement_of_commune(code).is_some_and(|d| self.departements.contains(d))
    }

    /// True when the postcode's département is in the area (Corsica: 200xx–201xx is 2A, the
    /// rest 2B; overseas: three digits).
    pub fn has_postcode(&self, postcode: &str) -> bool {
        let p = postcode.trim();
        if p.len() != 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if self.france {
            return true;
        }
        let dep = if p.starts_with("97") || p.starts_with("98") {
            &p[..3]
        } else if let Some(rest) = p.strip_prefix("20") {
            if rest < "200" {
                "2A"
            } else {
                "2B"
            }
        } else {
            &p[..2]
        };
        self.departements.contains(dep)
    }

    /// True for a FINESS `departement` field in the area (`81`, or `9D` for La Réunion).
    pub fn has_finess_departement(&self, dep: &str) -> bool {
        if self.france {
            return !dep.is_empty();
        }
        let dep = FINESS_OVERSEAS
            .iter()
            .find(|(f, _)| *f == dep)
            .map_or(dep, |(_, d)| *d);
        self.departements.contains(dep)
    }

    /// Short French description (`départements 12, 81`).
    pub fn label(&self) -> String {
        if self.france {
            "France entière".into()
        } else {
            let v: Vec<&str> = self.departements.iter().map(String::as_str).collect();
            if v.len() == 1 {
                format!("département {}", v[0])
            } else {
                format!("départements {}", v.join(", "))
            }
        }
    }
}

/// Département of a commune code: 3 characters overseas (`97411` → `974`), else 2.
pub fn departement_of_commune(code: &str) -> Option<&str> {
    if code.len() != 5 || !code.is_ascii() {
        return None;
    }
    if code.starts_with("97") || code.starts_with("98") {
        Some(&code[..3])
    } else {
        Some(&code[..2])
    }
}

fn normalise_departement(d: &str) -> Option<String> {
    let d = d.trim().to_ascii_uppercase();
    let d = if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() {
        format!("0{d}")
    } else {
        d
    };
    let known = REGIONS.iter().any(|(_, deps)| deps.contains(&d.as_str()))
        || ["975", "977", "978", "986", "987", "988"].contains(&d.as_str());
    known.then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_refused_in_french() {
        let e = Area::new(&["99".into()], &[], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("« 99 »"), "{e}");
        let e = Area::new(&[], &["77".into()], false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("région « 77 »"), "{e}");
        assert!(Area::new(&[], &[], false).is_err());
    }

    #[test]
    fn every_departement_once() {
        let mut all: Vec<&str> = REGIONS.iter().flat_map(|r| r.1.iter().copied()).collect();
        assert_eq!(all.len(), 101);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 101);
    }

    #[test]
    fn corsican_postcodes() {
        let a = Area::new(&["2B".into()], &[], false).unwrap();
        assert!(a.has_postcode("20200"));
        assert!(a.has_postcode("20600"));
        assert!(!a.has_postcode("20000"));
        assert!(a.has_commune("2B033"));
    }
}
