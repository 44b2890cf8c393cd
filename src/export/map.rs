//! Choropleth maps as SVG, and PNG through `resvg` (no browser): communes coloured by an
//! indicator in quantile classes, with title, legend, source and date, scale bar and north
//! arrow. The font (DejaVu Sans, Bitstream Vera licence, `assets/fonts/`) is embedded in the
//! binary so that the PNG does not depend on the system's fonts.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use maillage::export::map::{choropleth_svg, svg_to_png, MapArea, MapSpec};
//! let sq = MultiPolygon::new(vec![polygon![(x: 2.0, y: 43.8), (x: 2.3, y: 43.8), (x: 2.3, y: 44.0), (x: 2.0, y: 44.0)]]);
//! let spec = MapSpec::new("Densité", "pour 10 000 hab.", "INSEE BPE 2018", "2026-11-23",
//!     vec![MapArea { name: "Albi".into(), geometry: sq, value: Some(12.5) }]);
//! let svg = choropleth_svg(&spec);
//! assert!(svg.starts_with("<svg") && svg.contains("Densité") && svg.contains(">N<"));
//! let png = svg_to_png(&svg).unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```

use std::fmt::Write;

use geo::{BoundingRect, MultiPolygon};

use crate::util::escape;

/// The embedded font.
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FONT_FAMILY: &str = "DejaVu Sans";

/// Sequential palette (ColorBrewer YlGnBu, 5 classes), light = low.
pub const PALETTE: [&str; 5] = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"];
/// Fill of areas without a value (no data, masked).
pub const NO_DATA: &str = "#d9d9d9";
/// Fill of « zones blanches »: white hatched in red, unlike any class of the palette.
pub const WHITE_ZONE: &str = "url(#zone-blanche)";
const WHITE_ZONE_DEF: &str = r##"<defs><pattern id="zone-blanche" patternUnits="userSpaceOnUse" width="7" height="7"><rect width="7" height="7" fill="#ffffff"/><path d="M0 7L7 0M-1 1L1 -1M6 8L8 6" stroke="#d7301f" stroke-width="1.3"/></pattern></defs>"##;

/// A category of a categorical map (yes/no indicators): the value it stands for, its legend
/// label and its fill.
#[derive(Debug, Clone)]
pub struct Category {
    pub value: f64,
    pub label: String,
    pub fill: &'static str,
}

/// One area of the map.
#[derive(Debug, Clone)]
pub struct MapArea {
    pub name: String,
    /// Outline in WGS84 degrees.
    pub geometry: MultiPolygon<f64>,
    /// `None`: no data or masked.
    pub value: Option<f64>,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct MapSpec {
    pub title: String,
    /// Legend heading (indicator and unit).
    pub legend: String,
    /// Source line (`Sources : INSEE BPE 2018, …`).
    pub source: String,
    /// Date line (data and production dates).
    pub date: String,
    pub areas: Vec<MapArea>,
    pub width: u32,
    pub height: u32,
    /// Label for areas without a value.
    pub no_data_label: String,
    /// Decimals of the values in the legend and tooltips (by magnitude when `None`).
    pub decimals: Option<usize>,
    /// Categories in increasing order of value, shown instead of quantile classes (yes/no
    /// indicators), each with its count of areas in the legend.
    pub categories: Option<Vec<Category>>,
}

impl MapSpec {
    /// A 1000 × 800 map with default labels.
    pub fn new(
        title: &str,
        legend: &str,
        source: &str,
        date: &str,
        areas: Vec<MapArea>,
    ) -> MapSpec {
        MapSpec {
            title: title.into(),
            legend: legend.into(),
            source: source.into(),
            date: date.into(),
            areas,
            width: 1000,
            height: 800,
            no_data_label: "non disponible ou masqué".into(),
            decimals: None,
            categories: None,
        }
    }
}

/// Errors of PNG rendering.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("SVG illisible pour le rendu PNG : {0}")]
    Svg(String),
    #[error("taille d'image invalide ({0} × {1})")]
    Size(u32, u32),
    #[error("encodage PNG impossible : {0}")]
    Png(String),
}

/// Quantile class breaks (upper bounds, increasing, at most `n`) of the values.
///
/// ```
/// use maillage::export::map::quantile_breaks;
/// assert_eq!(quantile_breaks(&[1.0, 2.0, 3.0, 4.0, 5.0], 5), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
/// assert_eq!(quantile_breaks(&[0.0, 0.0, 0.0, 7.0], 5), vec![0.0, 7.0]);
/// assert!(quantile_breaks(&[], 5).is_empty());
/// ```
pub fn quantile_breaks(values: &[f64], n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() || n == 0 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = (1..=n)
        .map(|k| {
            v[((k * v.len()).div_ceil(n))
                .saturating_sub(1)
                .min(v.len() - 1)]
        })
        .collect();
    breaks.dedup();
    breaks
}

fn class_of(breaks: &[f64], x: f64) -> usize {
    breaks
        .iter()
        .position(|b| x <= *b)
        .unwrap_or(breaks.len() - 1)
}

/// French number for legends (`1 234,5`), with decimals chosen by magnitude.
pub fn fr_value(x: f64) -> String {
    let decimals = if x.abs() >= 100.0 {
        0
    } else if x.abs() >= 10.0 {
        1
    } else {
        2
    };
    fr_fixed(x, decimals)
}

pub use crate::util::number::fr_fixed;

/// Splits text into lines of at most `n` characters, at spaces, never inside a number
/// (`10 000` stays on one line).
fn wrap(text: &str, n: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(' ') {
        let joins = |prev: &String| {
            prev.ends_with(|c: char| c.is_ascii_digit())
                && word.len() == 3
                && word.chars().all(|c| c.is_ascii_digit())
        };
        match words.last_mut() {
            Some(prev) if joins(prev) => {
                prev.push('\u{a0}');
                prev.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
    }
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in &words {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > n {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A round length in km close to `target` (1, 2 or 5 × 10ⁿ).
fn nice_km(target: f64) -> f64 {
    if target.is_nan() || target <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|v| *v <= target)
        .unwrap_or(p)
}

/// Renders the choropleth as a standalone SVG document.
pub fn choropleth_svg(spec: &MapSpec) -> String {
    let value = |x: f64| match spec.decimals {
        Some(d) => fr_fixed(x, d),
        None => fr_value(x),
    };
    let (w, h) = (spec.width as f64, spec.height as f64);
    let (map_x, map_y) = (20.0, 70.0);
    let legend_w = 250.0;
    let (map_w, map_h) = (w - legend_w - 40.0, h - map_y - 95.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">"#
    );
    let _ = write!(svg, r##"<rect width="{w}" height="{h}" fill="#ffffff"/>"##);
    if spec.categories.is_some() {
        svg.push_str(WHITE_ZONE_DEF);
    }
    let category_of = |v: f64| {
        spec.categories
            .as_ref()
            .and_then(|cs| cs.iter().find(|c| (c.value - v).abs() < 1e-9))
    };
    // The title on one line, or on two smaller ones when long.
    let title = wrap(&spec.title, 78);
    if title.len() <= 1 {
        let _ = write!(
            svg,
            r##"<text x="20" y="36" font-size="22" fill="#222">{}</text>"##,
            escape::html(&spec.title)
        );
    } else {
        let second = title[1..].join(" ");
        for (y, line) in [(28, title[0].as_str()), (52, second.as_str())] {
            let _ = write!(
                svg,
                r##"<text x="20" y="{y}" font-size="18" fill="#222">{}</text>"##,
                escape::html(line)
            );
        }
    }

    // Extent and projection (local equirectangular, scaled by cos of the mean latitude).
    let mut min = (f64::INFINITY, f64::INFINITY);
    let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for a in &spec.areas {
        if let Some(r) = a.geometry.bounding_rect() {
            min = (min.0.min(r.min().x), min.1.min(r.min().y));
            max = (max.0.max(r.max().x), max.1.max(r.max().y));
        }
    }
    let values: Vec<f64> = spec.areas.iter().filter_map(|a| a.value).collect();
    let breaks = match &spec.categories {
        Some(c) => c.iter().map(|c| c.value).collect(),
        None => quantile_breaks(&values, PALETTE.len()),
    };
    if min.0.is_finite() {
        let k = ((min.1 + max.1) / 2.0).to_radians().cos();
        let gw = ((max.0 - min.0) * k).max(1e-9);
        let gh = (max.1 - min.1).max(1e-9);
        let s = (map_w / gw).min(map_h / gh);
        let ox = map_x + (map_w - gw * s) / 2.0;
        let oy = map_y + (map_h - gh * s) / 2.0;
        let proj = |lon: f64, lat: f64| (ox + (lon - min.0) * k * s, oy + (max.1 - lat) * s);
        for a in &spec.areas {
            let fill = match a.value {
                Some(v) if category_of(v).is_some() => category_of(v).map_or(NO_DATA, |c| c.fill),
                Some(v) if !breaks.is_empty() => {
                    let c = class_of(&breaks, v);
                    // Spread fewer classes over the palette.
                    let idx = if breaks.len() == 1 {
                        PALETTE.len() - 1
                    } else {
                        c * (PALETTE.len() - 1) / (breaks.len() - 1)
                    };
                    PALETTE[idx]
                }
                _ => NO_DATA,
            };
            let mut d = String::new();
            for poly in &a.geometry.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for (n, c) in ring.0.iter().enumerate() {
                        let (x, y) = proj(c.x, c.y);
                        let _ = write!(d, "{}{x:.1} {y:.1}", if n == 0 { "M" } else { "L" });
                    }
                    d.push('Z');
                }
            }
            let _ = write!(
                svg,
                r##"<path d="{d}" fill="{fill}" fill-rule="evenodd" stroke="#ffffff" stroke-width="0.6"><title>{}{}</title></path>"##,
                escape::html(&a.name),
                a.value
                    .map(|v| match category_of(v) {
                        Some(c) => format!(" : {}", c.label),
                        None => format!(" : {}", value(v)),
                    })
                    .unwrap_or_default()
            );
        }
        // Scale bar: km per pixel = 111.195 / s (1° of latitude ≈ 111.195 km on the sphere).
        let km_per_px = 111.195 / s;
        let bar_km = nice_km(map_w / 4.0 * km_per_px);
        let bar_px = bar_km / km_per_px;
        let (bx, by) = (map_x + 10.0, map_y + map_h + 22.0);
        let _ = write!(
            svg,
            r##"<rect x="{bx}" y="{by}" width="{:.1}" height="6" fill="#222"/><rect x="{bx}" y="{by}" width="{:.1}" height="6" fill="#fff" stroke="#222" stroke-width="1"/><text x="{bx}" y="{:.1}" font-size="12" fill="#222">0</text><text x="{:.1}" y="{:.1}" font-size="12" fill="#222" text-anchor="end">{} km</text>"##,
            bar_px,
            bar_px / 2.0,
            by - 4.0,
            bx + bar_px,
            by - 4.0,
            fr_value(bar_km)
        );
    }
    // North arrow (top right of the map frame).
    let (nx, ny) = (map_x + map_w - 25.0, map_y + 10.0);
    let _ = write!(
        svg,
        r##"<g><polygon points="{nx},{ny} {:.1},{:.1} {nx},{:.1} {:.1},{:.1}" fill="#222"/><text x="{nx}" y="{:.1}" font-size="14" text-anchor="middle" fill="#222">N</text></g>"##,
        nx + 9.0,
        ny + 30.0,
        ny + 23.0,
        nx - 9.0,
        ny + 30.0,
        ny + 46.0
    );

    // Legend.
    let lx = w - legend_w - 10.0;
    let mut ly = map_y + 10.0;
    for line in wrap(&spec.legend, 30) {
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ly}" font-size="13" fill="#222">{}</text>"##,
            escape::html(&line)
        );
        ly += 16.0;
    }
    let mut lo: Option<f64> = values.iter().copied().reduce(f64::min);
    for (c, b) in breaks.iter().enumerate() {
        let idx = if breaks.len() == 1 {
            PALETTE.len() - 1
        } else {
            c * (PALETTE.len() - 1) / (breaks.len() - 1)
        };
        let category = spec.categories.as_ref().and_then(|cs| cs.get(c));
        let label = match lo {
            _ if category.is_some() => category
                .map(|x| {
                    let n = values
                        .iter()
                        .filter(|v| (**v - x.value).abs() < 1e-9)
                        .count();
                    format!("{} ({n})", x.label)
                })
                .unwrap_or_default(),
            Some(l) if (l - b).abs() > f64::EPSILON => {
                format!(
                    "{}{} – {}",
                    if c == 0 { "" } else { "> " },
                    value(l),
                    value(*b)
                )
            }
            _ => value(*b),
        };
        let _ = write!(
            svg,
            r##"<rect x="{lx}" y="{ly}" width="22" height="16" fill="{}" stroke="#888" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#222">{}</text>"##,
            category.map_or(PALETTE[idx], |c| c.fill),
            lx + 30.0,
            ly + 12.5,
            escape::html(&label)
        );
        lo = Some(*b);
        ly += 22.0;
    }
    let missing = spec.areas.iter().filter(|a| a.value.is_none()).count();
    if missing > 0 || breaks.is_empty() {
        let _ = write!(
            svg,
            r##"<rect x="{lx}" y="{ly}" width="22" height="16" fill="{NO_DATA}" stroke="#888" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#222">{} ({missing})</text>"##,
            lx + 30.0,
            ly + 12.5,
            escape::html(&spec.no_data_label)
        );
        ly += 22.0;
    }
    let _ = write!(
        svg,
        r##"<text x="{lx}" y="{:.1}" font-size="11" fill="#555">{} ({} communes)</text>"##,
        ly + 14.0,
        if spec.categories.is_some() {
            "Catégories"
        } else {
            "Classes : quantiles"
        },
        spec.areas.len()
    );

    // Source and date.
    let chars = ((w - 40.0) / 6.2) as usize;
    let mut lines = wrap(&spec.source, chars);
    lines.extend(wrap(&spec.date, chars));
    let mut y = h - 8.0 - 13.0 * (lines.len() as f64 - 1.0);
    for line in lines {
        let _ = write!(
            svg,
            r##"<text x="20" y="{y:.1}" font-size="10.5" fill="#444">{}</text>"##,
            escape::html(&line)
        );
        y += 13.0;
    }
    svg.push_str("</svg>");
    svg
}

/// Rasterises an SVG produced by [`choropleth_svg`] to PNG with the embedded font.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>, MapError> {
    use resvg::{tiny_skia, usvg};
    let mut opt = usvg::Options {
        font_family: FONT_FAMILY.to_string(),
        ..usvg::Options::default()
    };
    opt.fontdb_mut().load_font_data(FONT.to_vec());
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| MapError::Svg(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or(MapError::Size(size.width(), size.height()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| MapError::Png(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + 0.1, y: y), (x: x + 0.1, y: y + 0.1), (x: x, y: y + 0.1)],
        ])
    }

    #[test]
    fn classes_colour_low_light_and_high_dark() {
        let areas = (0..10)
            .map(|i| MapArea {
                name: format!("C{i}"),
                geometry: sq(2.0 + i as f64 * 0.1, 44.0),
                value: if i == 9 { None } else { Some(i as f64) },
            })
            .collect();
        let spec = MapSpec::new("T", "L", "S", "D", areas);
        let svg = choropleth_svg(&spec);
        assert!(svg.contains(PALETTE[0]) && svg.contains(PALETTE[4]));
        assert!(svg.contains(NO_DATA));
        assert!(svg.contains("non disponible ou masqué (1)"));
        assert!(svg.contains(" km</text>"));
        // The lowest value gets the lightest colour.
        let c0 = svg.find("<title>C0 : 0,00</title>").unwrap();
        let before = &svg[..c0];
        let fill = before.rfind("fill=\"").unwrap();
        assert_eq!(&before[fill + 6..fill + 13], PALETTE[0]);
    }

    #[test]
    fn nice_lengths_and_french_values() {
        assert_eq!(nice_km(7.3), 5.0);
        assert_eq!(nice_km(23.0), 20.0);
        assert_eq!(nice_km(0.9), 0.5);
        assert_eq!(fr_value(1234.4), "1\u{a0}234");
        // A legend title is never broken inside a number.
        let lines = wrap("Accessibilité 2SFCA moyenne pour 10 000 habitants", 30);
        assert!(lines.iter().any(|l| l.contains("10\u{a0}000")), "{lines:?}");
        assert!(lines.iter().all(|l| !l.ends_with("10")), "{lines:?}");
        assert_eq!(fr_value(4.256), "4,26");
        assert_eq!(fr_value(-12.34), "-12,3");
    }

    #[test]
    fn text_is_escaped() {
        let spec = MapSpec::new("A < B & C", "L", "S", "D", vec![]);
        let svg = choropleth_svg(&spec);
        assert!(svg.contains("A &lt; B &amp; C"));
        assert!(svg_to_png(&svg).is_ok());
    }
}
