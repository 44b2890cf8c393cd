//! Coordinate reference systems used by French open data, and their conversion to WGS84.
//!
//! FINESS and BPE publish projected coordinates in metres: Lambert-93 in metropolitan France
//! and Corsica, UTM zones overseas. [`to_wgs84`] turns them into longitude/latitude degrees with
//! `proj4rs`; the projection objects are built once and cached.
//!
//! Every result is checked against the area the system is used for (with a generous margin),
//! so that swapped axes, a wrong system or a `0;0` placeholder never end up on the map.
//!
//! ```
//! use maillage::sources::projection::{to_wgs84, Crs};
//! let crs = Crs::from_finess_label("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93").unwrap();
//! assert_eq!(crs, Crs::Lambert93);
//! let p = to_wgs84(crs, 700_000.0, 6_600_000.0).unwrap();
//! assert!((p.lon - 3.0).abs() < 1e-9 && (p.lat - 46.5).abs() < 1e-9);
//! assert!(to_wgs84(Crs::Lambert93, 0.0, 0.0).is_err());
//! ```

use std::fmt;
use std::sync::OnceLock;

use proj4rs::Proj;

use crate::model::LonLat;

/// A coordinate reference system found in French health and equipment open data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// RGF93 / Lambert-93 (EPSG:2154): metropolitan France and Corsica.
    Lambert93,
    /// RGAF09 / UTM zone 20N (EPSG:5490): Guadeloupe, Martinique, St-Barthélemy, St-Martin.
    Utm20nRgaf09,
    /// RRAF 1991 / UTM zone 20N (EPSG:4559): the older Antilles system, FINESS `UTM_N20`.
    Utm20nRraf91,
    /// RGSPM06 / UTM zone 21N (EPSG:4467): Saint-Pierre-et-Miquelon, FINESS `UTM_N21`.
    Utm21n,
    /// RGFG95 / UTM zone 22N (EPSG:2972): Guyane, FINESS `UTM_N22`.
    Utm22n,
    /// RGM04 / UTM zone 38S (EPSG:4471): Mayotte, FINESS `UTM_S38`.
    Utm38s,
    /// RGR92 / UTM zone 40S (EPSG:2975): La Réunion, FINESS `UTM_S40`.
    Utm40s,
    /// WGS 84 / UTM zone 1S (EPSG:32701): Wallis-et-Futuna.
    Utm1s,
    /// WGS84 longitude/latitude in degrees (EPSG:4326).
    Wgs84,
}

impl Crs {
    /// Every supported system.
    pub const ALL: [Crs; 9] = [
        Crs::Lambert93,
        Crs::Utm20nRgaf09,
        Crs::Utm20nRraf91,
        Crs::Utm21n,
        Crs::Utm22n,
        Crs::Utm38s,
        Crs::Utm40s,
        Crs::Utm1s,
        Crs::Wgs84,
    ];

    /// The EPSG code.
    pub fn epsg(self) -> u32 {
        match self {
            Crs::Lambert93 => 2154,
            Crs::Utm20nRgaf09 => 5490,
            Crs::Utm20nRraf91 => 4559,
            Crs::Utm21n => 4467,
            Crs::Utm22n => 2972,
            Crs::Utm38s => 4471,
            Crs::Utm40s => 2975,
            Crs::Utm1s => 32701,
            Crs::Wgs84 => 4326,
        }
    }

    /// The system with this EPSG code, when supported.
    ///
    /// ```
    /// use maillage::sources::projection::Crs;
    /// assert_eq!(Crs::from_epsg(2975), Some(Crs::Utm40s));
    /// assert_eq!(Crs::from_epsg(27572), None);
    /// ```
    pub fn from_epsg(code: u32) -> Option<Crs> {
        Crs::ALL.into_iter().find(|c| c.epsg() == code)
    }

    /// French name of the system (`Lambert-93`, `UTM 40 Sud (La Réunion)`).
    pub fn label(self) -> &'static str {
        match self {
            Crs::Lambert93 => "RGF93 / Lambert-93",
            Crs::Utm20nRgaf09 => "RGAF09 / UTM 20 Nord (Antilles)",
            Crs::Utm20nRraf91 => "RRAF 1991 / UTM 20 Nord (Antilles)",
            Crs::Utm21n => "RGSPM06 / UTM 21 Nord (Saint-Pierre-et-Miquelon)",
            Crs::Utm22n => "RGFG95 / UTM 22 Nord (Guyane)",
            Crs::Utm38s => "RGM04 / UTM 38 Sud (Mayotte)",
            Crs::Utm40s => "RGR92 / UTM 40 Sud (La Réunion)",
            Crs::Utm1s => "WGS84 / UTM 1 Sud (Wallis-et-Futuna)",
            Crs::Wgs84 => "WGS84 (longitude, latitude)",
        }
    }

    /// Reads the coordinate system named by a FINESS `sourcecoordet` value (or by its last
    /// item). Accepted styles: labels (`LAMBERT_93`, `L93_METROPOLE`, `UTM_N20`, `UTM_N21`,
    /// `UTM_N22`, `UTM_S38`, `UTM_S40`), EPSG style (`EPSG:2154 RGF93 / Lambert-93 (Métropole)`)
    /// and the free text used for Saint-Pierre-et-Miquelon and Wallis-et-Futuna
    /// (`WGS84/UTM 21N (Saint-Pierre-et-Miquelon)`, `WGS84/UTM zone 1S (Wallis-et-Futuna)`).
    /// `UTM_N20` without more detail is read as RRAF 1991 (EPSG:4559); in proj4rs both Antilles
    /// systems have a null datum shift, so the choice changes nothing to the result.
    ///
    /// ```
    /// use maillage::sources::projection::Crs;
    /// assert_eq!(Crs::from_finess_label("UTM_S40"), Some(Crs::Utm40s));
    /// assert_eq!(
    ///     Crs::from_finess_label("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,EPSG:5490 RGAF09/UTM Zone 20N (Antilles)"),
    ///     Some(Crs::Utm20nRgaf09)
    /// );
    /// assert_eq!(Crs::from_finess_label("LAMBERT_II_ETENDU"), None);
    /// ```
    pub fn from_finess_label(s: &str) -> Option<Crs> {
        // The system is the last comma-separated item; an EPSG-style label has no comma.
        let item = s.rsplit(',').next().unwrap_or("").trim();
        let upper = item.to_ascii_uppercase();
        if let Some(rest) = upper
            .strip_prefix("EPSG:")
            .or_else(|| upper.strip_prefix("EPSG "))
        {
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            return digits.parse().ok().and_then(Crs::from_epsg);
        }
        let compact: String = upper
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        if compact.starts_with("LAMBERT93") || compact.starts_with("L93") {
            return Some(Crs::Lambert93);
        }
        if compact == "WGS84" {
            return Some(Crs::Wgs84);
        }
        let (_, after) = compact.split_once("UTM")?;
        let after = after.strip_prefix("ZONE").unwrap_or(after);
        let (zone, south) = utm_zone(after)?;
        match (zone, south) {
            (20, false) if compact.contains("RGAF09") => Some(Crs::Utm20nRgaf09),
            (20, false) => Some(Crs::Utm20nRraf91),
            (21, false) => Some(Crs::Utm21n),
            (22, false) => Some(Crs::Utm22n),
            (38, true) => Some(Crs::Utm38s),
            (40, true) => Some(Crs::Utm40s),
            (1, true) => Some(Crs::Utm1s),
            _ => None,
        }
    }

    /// Where the system is used, as (west, south, east, north) in degrees, with a margin.
    fn area(self) -> (f64, f64, f64, f64) {
        match self {
            Crs::Lambert93 => (-9.9, 40.5, 11.5, 51.9),
            Crs::Utm20nRgaf09 | Crs::Utm20nRraf91 => (-64.0, 13.0, -58.0, 19.0),
            Crs::Utm21n => (-58.0, 45.5, -54.5, 48.0),
            Crs::Utm22n => (-55.5, 1.0, -50.5, 7.0),
            Crs::Utm38s => (44.0, -14.0, 46.5, -11.5),
            Crs::Utm40s => (54.5, -22.0, 57.0, -20.0),
            Crs::Utm1s => (-178.8, -15.0, -175.5, -12.5),
            Crs::Wgs84 => (-180.0, -90.0, 180.0, 90.0),
        }
    }

    fn index(self) -> usize {
        match self {
            Crs::Lambert93 => 0,
            Crs::Utm20nRgaf09 => 1,
            Crs::Utm20nRraf91 => 2,
            Crs::Utm21n => 3,
            Crs::Utm22n => 4,
            Crs::Utm38s => 5,
            Crs::Utm40s => 6,
            Crs::Utm1s => 7,
            Crs::Wgs84 => 8,
        }
    }
}

/// Reads a UTM zone written `N20`/`S38` (FINESS labels) or `20N`/`1S` (free text), followed by
/// anything. Returns (zone, southern hemisphere).
fn utm_zone(s: &str) -> Option<(u8, bool)> {
    let hemisphere = |c: char| match c {
        'N' => Some(false),
        'S' => Some(true),
        _ => None,
    };
    let first = s.chars().next()?;
    let (south, digits) = match hemisphere(first) {
        Some(south) => (
            south,
            s[1..].chars().take_while(char::is_ascii_digit).collect(),
        ),
        None => {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            (hemisphere(s[digits.len()..].chars().next()?)?, digits)
        }
    };
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    Some((digits.parse().ok()?, south))
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} ({})", self.epsg(), self.label())
    }
}

/// Why a coordinate pair could not be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProjectionError {
    #[error("coordonnées non numériques ou infinies ({x}, {y})")]
    NotFinite { x: f64, y: f64 },
    #[error("coordonnées nulles ({x}, {y}) : position absente")]
    Zero { x: f64, y: f64 },
    #[error("coordonnées ({x}, {y}) hors de la zone couverte par {crs}")]
    OutOfArea { crs: Crs, x: f64, y: f64 },
    #[error("système de coordonnées {crs} indisponible : {detail}")]
    Unavailable { crs: Crs, detail: String },
    #[error("conversion depuis {crs} impossible pour ({x}, {y}) : {detail}")]
    Failed {
        crs: Crs,
        x: f64,
        y: f64,
        detail: String,
    },
}

type CachedProj = OnceLock<Result<Proj, String>>;

static PROJS: [CachedProj; 9] = [
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
];

fn proj(crs: Crs) -> Result<&'static Proj, ProjectionError> {
    PROJS[crs.index()]
        .get_or_init(|| {
            let code = u16::try_from(crs.epsg()).map_err(|e| e.to_string())?;
            Proj::from_epsg_code(code).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|detail| ProjectionError::Unavailable {
            crs,
            detail: detail.clone(),
        })
}

/// Converts a coordinate pair from `crs` to WGS84 degrees (`x` easting or longitude, `y`
/// northing or latitude).
///
/// Rejects non-finite values, a zero coordinate (a common "no position" placeholder) and any
/// result outside the area the system is used for.
///
/// ```
/// use maillage::sources::projection::{to_wgs84, Crs, ProjectionError};
/// let p = to_wgs84(Crs::Utm40s, 338_811.24, 7_690_101.36).unwrap(); // Saint-Denis (La Réunion)
/// assert!((p.lon - 55.4504).abs() < 1e-5 && (p.lat + 20.8823).abs() < 1e-5);
/// // Swapped axes fall outside La Réunion.
/// assert!(matches!(
///     to_wgs84(Crs::Utm40s, 7_690_101.36, 338_811.24),
///     Err(ProjectionError::OutOfArea { .. }) | Err(ProjectionError::Failed { .. })
/// ));
/// ```
pub fn to_wgs84(crs: Crs, x: f64, y: f64) -> Result<LonLat, ProjectionError> {
    if !x.is_finite() || !y.is_finite() {
        return Err(ProjectionError::NotFinite { x, y });
    }
    if crs == Crs::Wgs84 {
        if x == 0.0 && y == 0.0 {
            return Err(ProjectionError::Zero { x, y });
        }
    } else if x == 0.0 || y == 0.0 {
        return Err(ProjectionError::Zero { x, y });
    }
    let p = if crs == Crs::Wgs84 {
        LonLat::new(x, y)
    } else {
        let src = proj(crs)?;
        let dst = proj(Crs::Wgs84)?;
        let (lon, lat) = proj4rs::adaptors::transform_xy(src, dst, x, y).map_err(|e| {
            ProjectionError::Failed {
                crs,
                x,
                y,
                detail: e.to_string(),
            }
        })?;
        LonLat::new(lon.to_degrees(), lat.to_degrees())
    };
    let (w, s, e, n) = crs.area();
    if !p.is_valid() || p.lon < w || p.lon > e || p.lat < s || p.lat > n {
        return Err(ProjectionError::OutOfArea { crs, x, y });
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::haversine_m;

    // Reference values computed once with PROJ 9.5.1 through pyproj 3.7.2:
    // `Transformer.from_crs(epsg, 4326, always_xy=True).transform(x, y)`.
    const REFERENCE: &[(Crs, f64, f64, f64, f64)] = &[
        // Lambert-93 false origin.
        (Crs::Lambert93, 700_000.00, 6_600_000.00, 3.0, 46.5),
        // Albi (Tarn), near the hospital.
        (
            Crs::Lambert93,
            631_628.59,
            6_314_801.50,
            2.148600014,
            43.928899985,
        ),
        // Ajaccio (Corse-du-Sud).
        (
            Crs::Lambert93,
            1_176_526.60,
            6_108_263.02,
            8.736899971,
            41.919199978,
        ),
        // Paris.
        (
            Crs::Lambert93,
            652_469.02,
            6_862_035.26,
            2.352199963,
            48.856600005,
        ),
        // Pointe-à-Pitre (Guadeloupe), RGAF09 and RRAF91.
        (
            Crs::Utm20nRgaf09,
            656_770.90,
            1_796_166.18,
            -61.533099975,
            16.241100037,
        ),
        (
            Crs::Utm20nRraf91,
            656_770.90,
            1_796_166.18,
            -61.533099975,
            16.241100037,
        ),
        // Fort-de-France (Martinique).
        (
            Crs::Utm20nRgaf09,
            707_545.20,
            1_615_418.55,
            -61.073299971,
            14.604099978,
        ),
        // Saint-Pierre (Saint-Pierre-et-Miquelon).
        (
            Crs::Utm21n,
            562_801.10,
            5_181_167.60,
            -56.177300022,
            46.781100027,
        ),
        // Cayenne (Guyane).
        (
            Crs::Utm22n,
            352_980.20,
            545_868.92,
            -52.326000042,
            4.937199978,
        ),
        // Mamoudzou (Mayotte).
        (
            Crs::Utm38s,
            524_735.37,
            8_587_115.81,
            45.227899956,
            -12.780600014,
        ),
        // Saint-Denis (La Réunion).
        (
            Crs::Utm40s,
            338_811.24,
            7_690_101.36,
            55.450400014,
            -20.8823,
        ),
        // Mata-Utu (Wallis-et-Futuna).
        (
            Crs::Utm1s,
            589_245.47,
            8_531_475.89,
            -176.176100024,
            -13.282500035,
        ),
    ];

    #[test]
    fn matches_proj_within_one_metre() {
        for &(crs, x, y, lon, lat) in REFERENCE {
            let p = to_wgs84(crs, x, y).unwrap_or_else(|e| panic!("{crs}: {e}"));
            let d = haversine_m(p, LonLat::new(lon, lat));
            assert!(d < 1.0, "{crs} ({x}, {y}) -> {p:?}, {d} m from PROJ");
        }
    }

    #[test]
    fn lambert93_false_origin_is_exact() {
        let p = to_wgs84(Crs::Lambert93, 700_000.0, 6_600_000.0).unwrap();
        assert!((p.lon - 3.0).abs() < 1e-9, "{p:?}");
        assert!((p.lat - 46.5).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn finess_labels_and_epsg_styles() {
        let cases = [
            ("LAMBERT_93", Crs::Lambert93),
            (
                "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93",
                Crs::Lambert93,
            ),
            ("UTM_N20", Crs::Utm20nRraf91),
            ("UTM_N21", Crs::Utm21n),
            ("UTM_N22", Crs::Utm22n),
            ("UTM_S38", Crs::Utm38s),
            ("utm_s40", Crs::Utm40s),
            ("EPSG:2154 RGF93 / Lambert-93 (Métropole)", Crs::Lambert93),
            (
                "EPSG:5490 RGAF09/UTM Zone 20N (Antilles)",
                Crs::Utm20nRgaf09,
            ),
            (
                "1,ATLASANTE,97,IGN,BD_ADRESSE,V2.2,EPSG:2975 RGR92/UTM Zone 40S (Réunion)",
                Crs::Utm40s,
            ),
            ("EPSG:4471", Crs::Utm38s),
            ("1,ATLASANTE,96,BAN,L93_METROPOLE", Crs::Lambert93),
            (
                "3,ATLASANTE,.,MAPS,WGS84/UTM 21N (Saint-Pierre-et-Miquelon)",
                Crs::Utm21n,
            ),
            (
                "4,ATLASANTE,.,MAPS 06-11-2024,WGS84/UTM zone 1S (Wallis-et-Futuna)",
                Crs::Utm1s,
            ),
            ("RGAF09 UTM 20N", Crs::Utm20nRgaf09),
        ];
        for (label, crs) in cases {
            assert_eq!(Crs::from_finess_label(label), Some(crs), "{label}");
        }
        for bad in [
            "",
            "LAMBERT_II",
            "EPSG:27572 NTF",
            "EPSG:",
            "UTM_N23",
            "UTM",
            "UTM_X20",
            "UTM 123N",
        ] {
            assert_eq!(Crs::from_finess_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn epsg_round_trip() {
        for crs in Crs::ALL {
            assert_eq!(Crs::from_epsg(crs.epsg()), Some(crs));
        }
    }

    #[test]
    fn absurd_inputs_are_rejected() {
        assert!(matches!(
            to_wgs84(Crs::Lambert93, f64::NAN, 6_600_000.0),
            Err(ProjectionError::NotFinite { .. })
        ));
        assert!(matches!(
            to_wgs84(Crs::Lambert93, 700_000.0, f64::INFINITY),
            Err(ProjectionError::NotFinite { .. })
        ));
        assert!(matches!(
            to_wgs84(Crs::Utm22n, 0.0, 545_868.92),
            Err(ProjectionError::Zero { .. })
        ));
        assert!(matches!(
            to_wgs84(Crs::Wgs84, 0.0, 0.0),
            Err(ProjectionError::Zero { .. })
        ));
        // Swapped Lambert-93 axes.
        assert!(to_wgs84(Crs::Lambert93, 6_314_801.5, 631_628.59).is_err());
        // A Réunion point read as Mayotte.
        assert!(to_wgs84(Crs::Utm38s, 338_811.24, 7_690_101.36).is_err());
        // Huge values must not panic.
        assert!(to_wgs84(Crs::Utm40s, 1e300, -1e300).is_err());
        // Error messages are French.
        let e = to_wgs84(Crs::Lambert93, 1.0, 0.0).unwrap_err();
        assert!(e.to_string().contains("coordonnées nulles"), "{e}");
    }

    #[test]
    fn wgs84_passes_through() {
        let p = to_wgs84(Crs::Wgs84, 2.1486, 43.9289).unwrap();
        assert_eq!(p, LonLat::new(2.1486, 43.9289));
        assert!(to_wgs84(Crs::Wgs84, 200.0, 43.0).is_err());
    }
}
