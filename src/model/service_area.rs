//! Service areas: the territory an actor is competent for (the HSDS `service_area` idea).
//!
//! An area is written as a short text in `zones.csv` and in the partner CSV
//! (`zone_intervention` column):
//! - `communes:81004,81099`: a list of INSEE commune codes;
//! - `epci:200066124`: every commune of an EPCI (by SIREN);
//! - `departement:81` (or `dep:81`): every commune of a département;
//! - `territoire:cpts:cpts-exemple-du-gaillacois`: every commune of a loaded territory.
//!
//! A (multi)polygon comes from `zones.geojson`. The directory resolves each area to a set of
//! commune codes (and polygons tested exactly), see `index::areas`.
//!
//! ```
//! use maillage::model::ServiceArea;
//! let a: ServiceArea = "communes:81004, 81099".parse().unwrap();
//! assert_eq!(a, ServiceArea::Communes(vec!["81004".parse().unwrap(), "81099".parse().unwrap()]));
//! assert_eq!("epci:200066124".parse::<ServiceArea>().unwrap(), ServiceArea::Epci("200066124".into()));
//! assert_eq!("département:81".parse::<ServiceArea>().unwrap(), ServiceArea::Departement("81".into()));
//! assert!("epci:2000".parse::<ServiceArea>().is_err());
//! assert_eq!(a.to_string(), "communes:81004,81099");
//! ```

use std::fmt;
use std::str::FromStr;

use geo::MultiPolygon;

use super::commune::InseeCode;

/// Where an actor is competent.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceArea {
    /// Listed communes.
    Communes(Vec<InseeCode>),
    /// Every commune of an EPCI, by its 9-digit SIREN.
    Epci(String),
    /// Every commune of a département (`81`, `2A`, `973`).
    Departement(String),
    /// Every commune of a loaded territory, by its id (`cpts:cpts-tarn-ouest`).
    Territory(String),
    /// A drawn area in WGS84 degrees.
    Polygon(MultiPolygon<f64>),
}

/// Error for a malformed service area text; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadServiceArea(pub String);

/// What a service area text looks like, for error messages.
pub const SYNTAX: &str = "« communes:81004,81099 », « epci:<SIREN à 9 chiffres> », \
« departement:81 » ou « territoire:<identifiant> »";

impl ServiceArea {
    /// Short French description (`commune 81004`, `EPCI 200066124`, `département 81`).
    ///
    /// ```
    /// use maillage::model::ServiceArea;
    /// assert_eq!("dep:81".parse::<ServiceArea>().unwrap().label(), "département 81");
    /// ```
    pub fn label(&self) -> String {
        match self {
            ServiceArea::Communes(c) if c.len() == 1 => format!("commune {}", c[0]),
            ServiceArea::Communes(c) => format!("{} communes", c.len()),
            ServiceArea::Epci(s) => format!("EPCI {s}"),
            ServiceArea::Departement(d) => format!("département {d}"),
            ServiceArea::Territory(t) => format!("territoire {t}"),
            ServiceArea::Polygon(_) => "zone dessinée".to_string(),
        }
    }

    /// Parses free text from a partner file: either the prefixed syntax of [`FromStr`], or a
    /// comma-separated list of places (commune names, postcodes, INSEE codes), each resolved
    /// to its communes by `lookup` (the place resolver); an item `lookup` does not know is
    /// kept as an INSEE code when it has the shape of one. Returns the area and the items
    /// that could not be resolved.
    ///
    /// ```
    /// use maillage::model::{InseeCode, ServiceArea};
    /// let lookup = |name: &str| match name {
    ///     "Gaillac" => vec!["81099".parse::<InseeCode>().unwrap()],
    ///     _ => vec![],
    /// };
    /// let (area, unknown) = ServiceArea::parse_free("Gaillac, 81004, Nulle-Part", lookup);
    /// assert_eq!(area, Some(ServiceArea::Communes(vec!["81099".parse().unwrap(), "81004".parse().unwrap()])));
    /// assert_eq!(unknown, vec!["Nulle-Part".to_string()]);
    /// ```
    pub fn parse_free(
        text: &str,
        lookup: impl Fn(&str) -> Vec<InseeCode>,
    ) -> (Option<ServiceArea>, Vec<String>) {
        if has_prefix(text) {
            return match text.parse() {
                Ok(a) => (Some(a), Vec::new()),
                Err(_) => (None, vec![text.trim().to_string()]),
            };
        }
        let mut codes = Vec::new();
        let mut unknown = Vec::new();
        for item in text.split([',', ';', '|']).map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let mut found = lookup(item);
            if found.is_empty() {
                found.extend(item.parse::<InseeCode>().ok());
            }
            if found.is_empty() {
                unknown.push(item.to_string());
            }
            for c in found {
                if !codes.contains(&c) {
                    codes.push(c)
                }
            }
        }
        let area = (!codes.is_empty()).then_some(ServiceArea::Communes(codes));
        (area, unknown)
    }
}

fn split_prefix(text: &str) -> Option<(String, &str)> {
    let (p, rest) = text.trim().split_once(':')?;
    let p = super::text::fold(p);
    Some((p, rest.trim()))
}

fn has_prefix(text: &str) -> bool {
    split_prefix(text).is_some_and(|(p, _)| {
        matches!(
            p.as_str(),
            "communes" | "commune" | "epci" | "departement" | "dep" | "territoire"
        )
    })
}

impl FromStr for ServiceArea {
    type Err = BadServiceArea;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: String| BadServiceArea(format!("{why} ; syntaxe attendue : {SYNTAX}"));
        let (prefix, rest) =
            split_prefix(s).ok_or_else(|| bad(format!("préfixe absent dans « {} »", s.trim())))?;
        if rest.is_empty() {
            return Err(bad(format!("valeur vide après « {prefix}: »")));
        }
        match prefix.as_str() {
            "communes" | "commune" => {
                let mut codes = Vec::new();
                for item in rest.split([',', ' ', '|']).filter(|x| !x.is_empty()) {
                    let c: InseeCode = item.parse().map_err(|_| {
                        bad(format!(
                            "code INSEE attendu sur 5 caractères (ex. 81004), trouvé « {item} »"
                        ))
                    })?;
                    if !codes.contains(&c) {
                        codes.push(c);
                    }
                }
                Ok(ServiceArea::Communes(codes))
            }
            "epci" => {
                if rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(ServiceArea::Epci(rest.to_string()))
                } else {
                    Err(bad(format!(
                        "SIREN d'EPCI attendu sur 9 chiffres, trouvé « {rest} »"
                    )))
                }
            }
            "departement" | "dep" => {
                let up = rest.to_uppercase();
                let ok = match up.len() {
                    2 => up.bytes().all(|b| b.is_ascii_digit()) || up == "2A" || up == "2B",
                    3 => up.starts_with("97") && up.bytes().all(|b| b.is_ascii_digit()),
                    _ => false,
                };
                if ok {
                    Ok(ServiceArea::Departement(up))
                } else {
                    Err(bad(format!(
                        "code de département attendu (ex. 81, 2A, 973), trouvé « {rest} »"
                    )))
                }
            }
            "territoire" => Ok(ServiceArea::Territory(rest.to_string())),
            other => Err(bad(format!("préfixe inconnu « {other} »"))),
        }
    }
}

impl fmt::Display for ServiceArea {
    /// The text form accepted by [`FromStr`] (polygons print as `polygone`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceArea::Communes(c) => {
                let list: Vec<&str> = c.iter().map(InseeCode::as_str).collect();
                write!(f, "communes:{}", list.join(","))
            }
            ServiceArea::Epci(s) => write!(f, "epci:{s}"),
            ServiceArea::Departement(d) => write!(f, "departement:{d}"),
            ServiceArea::Territory(t) => write!(f, "territoire:{t}"),
            ServiceArea::Polygon(_) => f.write_str("polygone"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            "Communes : 81004 81099".parse::<ServiceArea>().unwrap(),
            ServiceArea::Communes(vec!["81004".parse().unwrap(), "81099".parse().unwrap()])
        );
        assert_eq!(
            "dep:2a".parse::<ServiceArea>().unwrap(),
            ServiceArea::Departement("2A".into())
        );
        assert_eq!(
            "departement:973".parse::<ServiceArea>().unwrap(),
            ServiceArea::Departement("973".into())
        );
        assert_eq!(
            "territoire:cpts:x".parse::<ServiceArea>().unwrap(),
            ServiceArea::Territory("cpts:x".into())
        );
    }

    #[test]
    fn rejects_with_reason() {
        for (text, needle) in [
            ("81004", "préfixe absent"),
            ("communes:", "valeur vide"),
            ("communes:8100", "code INSEE"),
            ("epci:20006612X", "9 chiffres"),
            ("departement:810", "département"),
            ("region:76", "préfixe inconnu"),
        ] {
            let e = text.parse::<ServiceArea>().unwrap_err();
            assert!(e.0.contains(needle), "{text}: {}", e.0);
            assert!(e.0.contains("syntaxe attendue"), "{text}: {}", e.0);
        }
    }

    #[test]
    fn display_round_trips() {
        for t in [
            "communes:81004,81099",
            "epci:200066124",
            "departement:81",
            "territoire:cpts:a",
        ] {
            assert_eq!(t.parse::<ServiceArea>().unwrap().to_string(), t);
        }
    }

    #[test]
    fn free_text_with_prefix_is_strict() {
        let (a, unknown) = ServiceArea::parse_free("epci:123", |_| vec![]);
        assert_eq!(a, None);
        assert_eq!(unknown, vec!["epci:123".to_string()]);
        let (a, unknown) = ServiceArea::parse_free("dep:81", |_| vec![]);
        assert_eq!(a, Some(ServiceArea::Departement("81".into())));
        assert!(unknown.is_empty());
    }
}
