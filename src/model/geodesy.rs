//! Great-circle geometry on a sphere of mean Earth radius.
//!
//! ```
//! use maillage::model::{haversine_m, LonLat};
//! let albi = LonLat::new(2.1486, 43.9289);
//! let gaillac = LonLat::new(1.8986, 43.9016);
//! let d = haversine_m(albi, gaillac);
//! assert!((d - 20_200.0).abs() < 300.0);
//! ```

use serde::{Deserialize, Serialize};

/// Mean Earth radius in metres (IUGG R1), used for every distance in maillage.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A coordinate in degrees rounded to 7 decimals (about 1 cm), as GeoJSON exports carry no
/// more.
pub fn round_degrees(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// A WGS84 position in degrees (longitude first, as in GeoJSON).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

impl LonLat {
    pub const fn new(lon: f64, lat: f64) -> Self {
        LonLat { lon, lat }
    }

    /// The GeoJSON position `[lon, lat]`, rounded to 7 decimals (about 1 cm) like every
    /// coordinate we write ([`round_degrees`]).
    ///
    /// ```
    /// use maillage::model::LonLat;
    /// assert_eq!(LonLat::new(2.150953077037404, 43.93120611244097).position(), [2.1509531, 43.9312061]);
    /// ```
    pub fn position(&self) -> [f64; 2] {
        [round_degrees(self.lon), round_degrees(self.lat)]
    }

    /// True when both coordinates are finite and inside the WGS84 ranges.
    pub fn is_valid(&self) -> bool {
        self.lon.is_finite()
            && self.lat.is_finite()
            && (-180.0..=180.0).contains(&self.lon)
            && (-90.0..=90.0).contains(&self.lat)
    }

    /// The point as a unit vector on the sphere (x, y, z).
    ///
    /// Chord length between unit vectors is a monotone function of the great-circle
    /// distance, which lets a 3-D R-tree answer exact nearest-neighbour queries.
    pub fn to_unit_vector(&self) -> [f64; 3] {
        let (lat, lon) = (self.lat.to_radians(), self.lon.to_radians());
        let (slat, clat) = lat.sin_cos();
        let (slon, clon) = lon.sin_cos();
        [clat * clon, clat * slon, slat]
    }
}

/// Great-circle distance in metres between two positions (haversine formula).
pub fn haversine_m(a: LonLat, b: LonLat) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Squared chord length between unit vectors for a great-circle distance in metres.
pub fn chord2_for_distance(metres: f64) -> f64 {
    let angle = (metres / EARTH_RADIUS_M).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

/// Great-circle distance in metres for a squared chord length between unit vectors.
pub fn distance_for_chord2(chord2: f64) -> f64 {
    let chord = chord2.max(0.0).sqrt().min(2.0);
    2.0 * EARTH_RADIUS_M * (chord / 2.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_round_trip() {
        for d in [0.0, 1.0, 500.0, 5_000.0, 100_000.0, 1_000_000.0] {
            let back = distance_for_chord2(chord2_for_distance(d));
            assert!((back - d).abs() < 1e-6 * d.max(1.0), "{d} -> {back}");
        }
    }

    #[test]
    fn haversine_matches_chord() {
        let a = LonLat::new(2.15, 43.93);
        let b = LonLat::new(1.44, 43.60);
        let [x1, y1, z1] = a.to_unit_vector();
        let [x2, y2, z2] = b.to_unit_vector();
        let c2 = (x1 - x2).powi(2) + (y1 - y2).powi(2) + (z1 - z2).powi(2);
        assert!((distance_for_chord2(c2) - haversine_m(a, b)).abs() < 1e-3);
    }
}
