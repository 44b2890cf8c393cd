//! Where the patient is: a point, a commune, or an address reduced to its commune (street
//! geocoding is not available yet: a postcode and/or a commune name are looked up in the
//! loaded communes).
//!
//! ```
//! use maillage::index::Directory;
//! use maillage::orientation::place::{locate, PlaceQuery};
//! let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
//! let p = locate(&dir, &PlaceQuery::Address("3 place d'Hautpoul 81600 Gaillac".into())).unwrap();
//! assert_eq!(p.commune.unwrap().as_str(), "81099");
//! assert!(p.from_centroid);
//! ```

use crate::index::Directory;
use crate::model::{Commune, InseeCode, LonLat};

/// What the user gave.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceQuery {
    Point(LonLat),
    Commune(InseeCode),
    /// Free text: a commune name, a postcode, or an address containing them.
    Address(String),
}

/// The patient's resolved location.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The commune, when known (the one containing the point, for a point).
    pub commune: Option<InseeCode>,
    /// The point distances are measured from.
    pub point: Option<LonLat>,
    /// True when `point` is the commune's centre, not the patient's address.
    pub from_centroid: bool,
    /// Remarks in French for the user (ambiguous address, approximations).
    pub notes: Vec<String>,
}

/// Why a place could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("commune {0} inconnue dans les données chargées")]
    UnknownCommune(InseeCode),
    #[error("adresse « {0} » non reconnue : indiquez un code postal ou un nom de commune des données chargées (le géocodage à la rue n'est pas encore disponible)")]
    AddressNotFound(String),
}

/// Resolves a place against the loaded communes.
pub fn locate(dir: &Directory, q: &PlaceQuery) -> Result<Place, PlaceError> {
    match q {
        PlaceQuery::Point(p) => {
            let commune = dir.communes().at(*p).map(|c| c.code);
            let mut notes = Vec::new();
            if commune.is_none() {
                notes.push(
                    "ce point n'est dans aucune commune chargée : seules les zones dessinées et les distances sont utilisées"
                        .to_string(),
                );
            }
            Ok(Place {
                commune,
                point: Some(*p),
                from_centroid: false,
                notes,
            })
        }
        PlaceQuery::Commune(code) => {
            let found = dir
                .places()
                .code(code.as_str())
                .ok_or(PlaceError::UnknownCommune(*code))?;
            let c = dir
                .commune(found.code)
                .ok_or(PlaceError::UnknownCommune(*code))?;
            let mut notes = Vec::new();
            if found.code != *code {
                notes.push(format!(
                    "{code} : {} de {} ({})",
                    found.why.label(),
                    c.name,
                    c.code
                ));
            }
            Ok(of_commune(c, notes))
        }
        PlaceQuery::Address(text) => {
            let found = address_candidates(dir, text);
            if found.is_empty() {
                return Err(PlaceError::AddressNotFound(text.trim().to_string()));
            }
            let mut notes = vec![
                "géocodage à l'adresse pas encore disponible : l'adresse est ramenée à sa commune"
                    .to_string(),
            ];
            let chosen = *found
                .iter()
                .max_by_key(|c| (c.population.unwrap_or(0), std::cmp::Reverse(c.code)))
                .expect("non-empty");
            if found.len() > 1 {
                let names: Vec<String> = found
                    .iter()
                    .take(12)
                    .map(|c| format!("{} ({})", c.name, c.code))
                    .collect();
                notes.push(format!(
                    "adresse ambiguë : {} communes correspondent ({}{}) ; résultat calculé pour {} ({}), la plus peuplée ; précisez la commune",
                    found.len(),
                    names.join(", "),
                    if found.len() > 12 { ", …" } else { "" },
                    chosen.name,
                    chosen.code
                ));
            }
            Ok(of_commune(chosen, notes))
        }
    }
}

fn of_commune(c: &Commune, mut notes: Vec<String>) -> Place {
    let point = c.centroid();
    if point.is_some() {
        notes.push(format!(
            "distances mesurées depuis le centre de la commune de {}",
            c.name
        ));
    }
    Place {
        commune: Some(c.code),
        point,
        from_centroid: point.is_some(),
        notes,
    }
}

/// Communes matching an address text, through the place resolver: by postcode and by name
/// (whole words), both when both are present; an INSEE code (current or former) when neither
/// matches. Names contained in a longer matching name are dropped (`Gaillac` vs
/// `Gaillac-Toulza`).
pub fn address_candidates<'a>(dir: &'a Directory, text: &str) -> Vec<&'a Commune> {
    dir.places()
        .resolve(text)
        .into_iter()
        .filter_map(|c| dir.commune(c.code))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Directory {
        Directory::build(crate::sources::demo::dataset().unwrap())
    }

    fn address(dir: &Directory, text: &str) -> Place {
        locate(dir, &PlaceQuery::Address(text.into())).unwrap()
    }

    #[test]
    fn a_postcode_is_never_read_as_an_insee_code() {
        let dir = demo();
        // 81600 is Gaillac's postcode (ten communes); INSEE 81100 is Garrevaques, postcode 81700.
        let p = address(&dir, "81600");
        assert_eq!(
            p.commune.unwrap().as_str(),
            "81099",
            "Gaillac, the most populous"
        );
        assert!(
            p.notes.iter().any(|n| n.contains("Brens (81038)")),
            "{:?}",
            p.notes
        );
        let codes: Vec<&str> = address_candidates(&dir, "81600")
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        assert!(
            codes.contains(&"81038") && !codes.contains(&"81100"),
            "{codes:?}"
        );
        assert!(address_candidates(&dir, "81600")
            .iter()
            .all(|c| c.postcodes.iter().any(|p| p == "81600")));
        let p = address(&dir, "81600 Gaillac");
        assert_eq!(p.commune.unwrap().as_str(), "81099");
        assert!(
            !p.notes.iter().any(|n| n.contains("ambiguë")),
            "{:?}",
            p.notes
        );
        assert_eq!(
            address(&dir, "12 rue X, 81370").commune.unwrap().as_str(),
            "81271"
        );
    }

    #[test]
    fn a_commune_name_in_any_written_form() {
        let dir = demo();
        for text in [
            "St-Juéry",
            "St Juery",
            "SAINT JUERY",
            "2 rue Jean Jaurès 81160 St Juéry",
        ] {
            assert_eq!(
                address(&dir, text).commune.unwrap().as_str(),
                "81257",
                "{text}"
            );
        }
        assert_eq!(
            address(&dir, "Garric (Le)").commune.unwrap().as_str(),
            "81101"
        );
        // A former code (Ronel, merged into Terre-de-Bancalié) and a former name.
        assert_eq!(address(&dir, "81226").commune.unwrap().as_str(), "81233");
        assert_eq!(address(&dir, "Ronel").commune.unwrap().as_str(), "81233");
    }

    #[test]
    fn by_commune_code() {
        let dir = demo();
        let p = locate(&dir, &PlaceQuery::Commune("81099".parse().unwrap())).unwrap();
        assert_eq!(p.commune.unwrap().as_str(), "81099");
        assert!(locate(&dir, &PlaceQuery::Commune("81999".parse().unwrap())).is_err());
        let p = locate(&dir, &PlaceQuery::Commune("81226".parse().unwrap())).unwrap();
        assert_eq!(p.commune.unwrap().as_str(), "81233", "a former code");
    }
}
