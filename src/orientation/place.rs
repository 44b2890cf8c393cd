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
            let c = dir
                .commune(*code)
                .ok_or(PlaceError::UnknownCommune(*code))?;
            Ok(of_commune(c, Vec::new()))
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

/// Lower-case, accents removed, every non-alphanumeric character a single space.
pub fn normalize(s: &str) -> String {
    let folded = deunicode::deunicode(s).to_lowercase();
    let spaced: String = folded
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    // `St` / `Ste` are common abbreviations of `Saint` / `Sainte`.
    words
        .iter()
        .map(|w| match *w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Communes matching an address text: by postcode and by name (whole words), both when both
/// are present. Names contained in a longer matching name are dropped (`Gaillac` vs
/// `Gaillac-Toulza`).
pub fn address_candidates<'a>(dir: &'a Directory, text: &str) -> Vec<&'a Commune> {
    let norm = format!(" {} ", normalize(text));
    let postcodes: Vec<&str> = norm
        .split(' ')
        .filter(|w| w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let all = dir.communes().all();
    let by_code: Vec<&Commune> = postcodes
        .iter()
        .filter_map(|w| w.parse::<InseeCode>().ok())
        .filter_map(|c| dir.commune(c))
        .collect();
    let by_postcode: Vec<&Commune> = all
        .iter()
        .filter(|c| c.postcodes.iter().any(|p| postcodes.contains(&p.as_str())))
        .collect();
    let mut by_name: Vec<(&Commune, String)> = all
        .iter()
        .filter_map(|c| {
            let n = normalize(&c.name);
            (!n.is_empty() && norm.contains(&format!(" {n} "))).then_some((c, n))
        })
        .collect();
    let names: Vec<String> = by_name.iter().map(|(_, n)| n.clone()).collect();
    by_name.retain(|(_, n)| {
        !names
            .iter()
            .any(|m| m.len() > n.len() && format!(" {m} ").contains(&format!(" {n} ")))
    });
    let by_name: Vec<&Commune> = by_name.into_iter().map(|(c, _)| c).collect();
    let mut out: Vec<&Commune> = match (by_postcode.is_empty(), by_name.is_empty()) {
        (false, false) => {
            let both: Vec<&Commune> = by_postcode
                .iter()
                .copied()
                .filter(|c| by_name.iter().any(|n| n.code == c.code))
                .collect();
            if both.is_empty() {
                by_postcode
            } else {
                both
            }
        }
        (false, true) => by_postcode,
        (true, false) => by_name,
        (true, true) => by_code,
    };
    out.sort_by_key(|c| c.code);
    out.dedup_by_key(|c| c.code);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("St-Juéry,  81160"), "saint juery 81160");
        assert_eq!(normalize("L'Isle-sur-Tarn"), "l isle sur tarn");
    }
}
