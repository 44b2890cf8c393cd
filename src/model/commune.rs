//! Communes: INSEE code, name, population, outline.

use std::fmt;
use std::str::FromStr;

use geo::{BoundingRect, Centroid, MultiPolygon, Rect, Winding};
use serde::{Deserialize, Serialize, Serializer};

/// A 5-character INSEE commune code (`81004`, `2A004`, `97302`), stored inline.
///
/// ```
/// use maillage::model::InseeCode;
/// let c: InseeCode = "81004".parse().unwrap();
/// assert_eq!(c.as_str(), "81004");
/// assert_eq!(c.departement(), "81");
/// assert_eq!("97302".parse::<InseeCode>().unwrap().departement(), "973");
/// assert!("8100".parse::<InseeCode>().is_err());
/// assert!("2C004".parse::<InseeCode>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InseeCode([u8; 5]);

impl InseeCode {
    /// The five ASCII bytes, for compact storage.
    pub(crate) fn to_bytes(self) -> [u8; 5] {
        self.0
    }

    /// Back from [`InseeCode::to_bytes`] (never all zero).
    pub(crate) fn from_stored_bytes(b: [u8; 5]) -> InseeCode {
        InseeCode(b)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and `A`/`B` are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("?????")
    }

    /// Département code: 2 characters in metropolitan France (`81`, `2A`), 3 overseas (`973`).
    pub fn departement(&self) -> &str {
        let s = self.as_str();
        if s.starts_with("97") || s.starts_with("98") {
            &s[..3]
        } else {
            &s[..2]
        }
    }
}

/// Error for a malformed INSEE code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code INSEE attendu sur 5 caractères (ex. 81004, 2A004), trouvé « {0} »")]
pub struct BadInseeCode(pub String);

impl FromStr for InseeCode {
    type Err = BadInseeCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let b = t.as_bytes();
        let ok = b.len() == 5
            && b[0].is_ascii_digit()
            && (b[1].is_ascii_digit() || (b[0] == b'2' && (b[1] == b'A' || b[1] == b'B')))
            && b[2..].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(BadInseeCode(s.to_string()));
        }
        let mut a = [0u8; 5];
        a.copy_from_slice(b);
        Ok(InseeCode(a))
    }
}

impl fmt::Display for InseeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for InseeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InseeCode({})", self.as_str())
    }
}

impl Serialize for InseeCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InseeCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A commune with its outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    pub code: InseeCode,
    pub name: String,
    /// Municipal population, when a population source was loaded.
    pub population: Option<u64>,
    /// Outline in WGS84 degrees (empty when no contour was loaded).
    pub geometry: MultiPolygon<f64>,
    /// Département code (`81`).
    pub departement: String,
    /// SIREN of the EPCI the commune belongs to.
    pub epci: Option<String>,
    /// Postcodes of the commune.
    pub postcodes: Vec<String>,
}

/// Orients the rings as RFC 7946 §3.1.6 asks of GeoJSON producers: exterior rings
/// counter-clockwise, holes clockwise (in place; a ring already right is left as it is).
///
/// ```
/// use geo::{polygon, Area, MultiPolygon};
/// use maillage::model::commune::orient_rfc7946;
/// let mut g = MultiPolygon::new(vec![polygon![(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.)]]);
/// assert!(g.signed_area() < 0.0);
/// orient_rfc7946(&mut g);
/// assert!(g.signed_area() > 0.0);
/// ```
pub fn orient_rfc7946(g: &mut MultiPolygon<f64>) {
    for p in &mut g.0 {
        p.exterior_mut(|r| r.make_ccw_winding());
        p.interiors_mut(|holes| {
            for r in holes {
                r.make_cw_winding();
            }
        });
    }
}

/// Rounds every coordinate to 7 decimals (about 1 cm), as GeoJSON exports should carry no
/// more: done once when outlines are indexed, so every export writes the same rounded values.
///
/// ```
/// use geo::{polygon, MultiPolygon};
/// use maillage::model::commune::round_coordinates;
/// let mut g = MultiPolygon::new(vec![polygon![(x: 1.123456789, y: 43.98765432101), (x: 2., y: 44.), (x: 2., y: 43.)]]);
/// round_coordinates(&mut g);
/// let c = g.0[0].exterior().0[0];
/// assert_eq!((c.x, c.y), (1.1234568, 43.9876543));
/// ```
pub fn round_coordinates(g: &mut MultiPolygon<f64>) {
    use geo::MapCoordsInPlace;
    g.map_coords_in_place(|c| geo::Coord {
        x: super::geodesy::round_degrees(c.x),
        y: super::geodesy::round_degrees(c.y),
    });
}

impl Commune {
    pub fn new(code: InseeCode, name: impl Into<String>) -> Commune {
        Commune {
            code,
            name: name.into(),
            population: None,
            geometry: MultiPolygon::new(vec![]),
            departement: code.departement().to_string(),
            epci: None,
            postcodes: Vec::new(),
        }
    }

    /// Bounding box of the outline, if any.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        self.geometry.bounding_rect()
    }

    /// Area-weighted centroid of the outline (longitude, latitude), if any.
    pub fn centroid(&self) -> Option<super::LonLat> {
        self.geometry
            .centroid()
            .map(|p| super::LonLat::new(p.x(), p.y()))
    }
}
