//! Commune outlines from an RFC 7946 GeoJSON `FeatureCollection`.
//!
//! Each feature carries the INSEE code and the name of a commune in its properties (`code` and
//! `nom`, as in the IGN ADMIN EXPRESS extracts of `gregoiredavid/france-geojson`; `INSEE_COM`
//! and `NOM` are accepted too) and a `Polygon` or `MultiPolygon` in WGS84 degrees.
//!
//! GeoJSON has no lines in the CSV sense: a rejection's "line" is the 1-based rank of the
//! feature in the collection (1 = first feature), and the report says so in a note.
//!
//! ```
//! use maillage::sources::communes_geojson::read;
//! let json = br#"{"type":"FeatureCollection","features":[
//!   {"type":"Feature","properties":{"code":"81004","nom":"Albi"},
//!    "geometry":{"type":"Polygon","coordinates":[[[2.1,43.9],[2.2,43.9],[2.2,44.0],[2.1,43.9]]]}}]}"#;
//! let (imported, report) = read(json, "communes.geojson").unwrap();
//! assert_eq!(report.accepted, 1);
//! assert_eq!(imported.communes[0].name, "Albi");
//! assert_eq!(imported.communes[0].geometry.0.len(), 1);
//! ```

use std::collections::HashMap;

use geo::{LineString, MultiPolygon, Polygon};
use serde_json::Value;

use super::{FileReport, Format, Imported, SourceError};
use crate::model::{Commune, InseeCode};

/// Property names accepted for the INSEE code, in order of preference.
const CODE_KEYS: &[&str] = &["code", "INSEE_COM", "insee", "code_insee", "codgeo"];
/// Property names accepted for the commune name.
const NAME_KEYS: &[&str] = &["nom", "NOM", "NOM_COM", "name"];

/// Commune outlines (GeoJSON).
pub const FORMAT: Format = Format::new(
    "communes-geojson",
    "Contours des communes (GeoJSON)",
    "contours GeoJSON",
    &CommunesGeojson,
);

/// The Commune outlines (GeoJSON) format (see [`Importer`](super::Importer)).
pub struct CommunesGeojson;

impl super::Importer for CommunesGeojson {
    fn sniff(&self, head: &super::Head) -> bool {
        head.is_json_object()
            && (head.text.contains("\"FeatureCollection\"") || head.text.contains("\"Feature\""))
            && !super::zones::GEOJSON.importer().sniff(head)
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file)
    }
}

/// Reads a GeoJSON `FeatureCollection` (or a single `Feature`) of communes.
///
/// Features with a missing or malformed INSEE code, or a geometry that is not a WGS84
/// `Polygon`/`MultiPolygon`, are rejected. Several features with the same code are merged
/// into one commune (noted in the report).
pub fn read(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let (text, _) = super::text::decode(bytes);
    let root: Value = serde_json::from_str(&text).map_err(|e| SourceError::Invalid {
        file: file.to_string(),
        detail: format!("JSON illisible : {e}"),
    })?;
    let features: Vec<&Value> = match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => root
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| SourceError::Invalid {
                file: file.to_string(),
                detail: "FeatureCollection sans tableau « features »".into(),
            })?
            .iter()
            .collect(),
        Some("Feature") => vec![&root],
        other => {
            return Err(SourceError::Invalid {
                file: file.to_string(),
                detail: format!(
                    "GeoJSON de type FeatureCollection attendu, trouvé « {} »",
                    other.unwrap_or("(aucun type)")
                ),
            })
        }
    };

    let mut report = FileReport::new(file, FORMAT);
    report.notes.push(
        "Numéros de ligne des rejets : rang de l'entité dans la collection (1 = première).".into(),
    );
    let mut imported = Imported::default();
    let mut seen: HashMap<InseeCode, usize> = HashMap::new();
    let mut merged = 0usize;

    for (i, feature) in features.into_iter().enumerate() {
        let line = i + 1;
        let props = feature.get("properties").unwrap_or(&Value::Null);
        let code = match property_text(props, CODE_KEYS) {
            Some(c) => c,
            None => {
                report.reject(
                    line,
                    "properties.code",
                    "un code INSEE de commune",
                    &short_json(props),
                );
                continue;
            }
        };
        let code: InseeCode = match code.parse() {
            Ok(c) => c,
            Err(_) => {
                report.reject(
                    line,
                    "properties.code",
                    "un code INSEE sur 5 caractères (ex. 81004, 2A004)",
                    &code,
                );
                continue;
            }
        };
        let name = property_text(props, NAME_KEYS).unwrap_or_default();
        let geometry = match feature.get("geometry") {
            Some(g) if !g.is_null() => match multipolygon(g) {
                Ok(mp) => mp,
                Err(found) => {
                    report.reject(
                        line,
                        "geometry",
                        "un Polygon ou MultiPolygon en degrés WGS84 (longitude, latitude)",
                        &found,
                    );
                    continue;
                }
            },
            _ => {
                report.reject(line, "geometry", "un Polygon ou MultiPolygon", "(aucune)");
                continue;
            }
        };
        report.accepted += 1;
        match seen.get(&code) {
            Some(&idx) => {
                let existing: &mut Commune = &mut imported.communes[idx];
                existing.geometry.0.extend(geometry.0);
                if existing.name.is_empty() {
                    existing.name = name;
                }
                merged += 1;
            }
            None => {
                let mut c = Commune::new(code, name);
                c.geometry = geometry;
                seen.insert(code, imported.communes.len());
                imported.communes.push(c);
            }
        }
    }
    if merged > 0 {
        report.notes.push(format!(
            "{merged} entité(s) portant un code déjà vu : contours réunis dans la même commune"
        ));
    }
    Ok((imported, report))
}

/// A property as text: strings are trimmed, integers are zero-padded to 5 digits (a code
/// stored as a number loses its leading zero: `1004` → `01004`).
fn property_text(props: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match props.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => n.as_u64().map(|v| format!("{v:05}")),
        _ => None,
    })
}

fn short_json(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        s.chars().take(57).collect::<String>() + "…"
    } else {
        s
    }
}

/// Converts a GeoJSON geometry object to a MultiPolygon, or says what was found instead.
fn multipolygon(g: &Value) -> Result<MultiPolygon<f64>, String> {
    let kind = g
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("(sans type)");
    let coords = g.get("coordinates");
    match (kind, coords) {
        ("Polygon", Some(c)) => Ok(MultiPolygon::new(vec![polygon(c)?])),
        ("MultiPolygon", Some(Value::Array(polys))) => {
            let polys = polys.iter().map(polygon).collect::<Result<Vec<_>, _>>()?;
            if polys.is_empty() {
                return Err("MultiPolygon vide".into());
            }
            Ok(MultiPolygon::new(polys))
        }
        ("Polygon" | "MultiPolygon", _) => Err(format!("{kind} sans coordonnées")),
        (other, _) => Err(other.to_string()),
    }
}

fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("anneaux de polygone illisibles")?;
    let mut rings = rings.iter().map(ring);
    let exterior = rings.next().ok_or("polygone sans anneau")??;
    let interiors = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn ring(v: &Value) -> Result<LineString<f64>, String> {
    let positions = v.as_array().ok_or("anneau illisible")?;
    if positions.len() < 4 {
        return Err(format!(
            "anneau de {} position(s) (4 au moins)",
            positions.len()
        ));
    }
    let mut pts = Vec::with_capacity(positions.len());
    for p in positions {
        let xy = p.as_array().filter(|a| a.len() >= 2);
        let (x, y) = match xy.map(|a| (a[0].as_f64(), a[1].as_f64())) {
            Some((Some(x), Some(y))) => (x, y),
            _ => return Err(format!("position illisible {}", short_json(p))),
        };
        if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            return Err(format!("position hors WGS84 [{x}, {y}] (projection ?)"));
        }
        pts.push((x, y));
    }
    Ok(LineString::from(pts))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = "[[[2.0,43.0],[2.1,43.0],[2.1,43.1],[2.0,43.1],[2.0,43.0]]]";

    fn feature(props: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
    }

    fn collection(features: &[String]) -> Vec<u8> {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn reads_polygon_and_multipolygon() {
        let f1 = feature(
            r#"{"code":"81004","nom":"Albi"}"#,
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        );
        let f2 = feature(
            r#"{"code":"2A004","nom":"Ajaccio"}"#,
            &format!(r#"{{"type":"MultiPolygon","coordinates":[{SQUARE},{SQUARE}]}}"#),
        );
        let (imp, rep) = read(&collection(&[f1, f2]), "c.geojson").unwrap();
        assert_eq!(rep.accepted, 2);
        assert_eq!(rep.rejected, 0);
        assert_eq!(rep.format, FORMAT);
        let albi = &imp.communes[0];
        assert_eq!(albi.code.as_str(), "81004");
        assert_eq!(albi.departement, "81");
        assert_eq!(albi.geometry.0.len(), 1);
        assert_eq!(albi.geometry.0[0].exterior().0.len(), 5);
        let c = albi.centroid().unwrap();
        assert!((c.lon - 2.05).abs() < 1e-9 && (c.lat - 43.05).abs() < 1e-9);
        assert_eq!(imp.communes[1].geometry.0.len(), 2);
        assert_eq!(imp.communes[1].departement, "2A");
    }

    #[test]
    fn rejects_bad_features_with_their_rank() {
        let poly = format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#);
        let feats = vec![
            feature(r#"{"code":"81004","nom":"Albi"}"#, &poly),
            feature(r#"{"nom":"Sans code"}"#, &poly),
            feature(r#"{"code":"8100","nom":"Court"}"#, &poly),
            feature(
                r#"{"code":"81005","nom":"Point"}"#,
                r#"{"type":"Point","coordinates":[2.0,43.0]}"#,
            ),
            feature(
                r#"{"code":"81006","nom":"Lambert"}"#,
                r#"{"type":"Polygon","coordinates":[[[600000,6300000],[600100,6300000],[600100,6300100],[600000,6300000]]]}"#,
            ),
            feature(r#"{"code":"81007","nom":"Vide"}"#, "null"),
        ];
        let (imp, rep) = read(&collection(&feats), "c.geojson").unwrap();
        assert_eq!(rep.accepted, 1);
        assert_eq!(rep.rejected, 5);
        let lines: Vec<usize> = rep.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6]);
        assert_eq!(rep.rejections[1].found, "8100");
        assert_eq!(rep.rejections[2].found, "Point");
        assert!(rep.rejections[3].found.contains("hors WGS84"));
        assert_eq!(imp.communes.len(), 1);
    }

    #[test]
    fn numeric_codes_are_padded_and_duplicates_merged() {
        let poly = format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#);
        let feats = vec![
            feature(r#"{"code":1004,"nom":"Ambérieu-en-Bugey"}"#, &poly),
            feature(r#"{"code":"01004","nom":"Ambérieu-en-Bugey"}"#, &poly),
        ];
        let (imp, rep) = read(&collection(&feats), "c.geojson").unwrap();
        assert_eq!(rep.accepted, 2);
        assert_eq!(imp.communes.len(), 1);
        assert_eq!(imp.communes[0].code.as_str(), "01004");
        assert_eq!(imp.communes[0].geometry.0.len(), 2);
        assert!(rep.notes.iter().any(|n| n.contains("réunis")));
    }

    #[test]
    fn not_geojson_is_a_file_error() {
        assert!(read(b"[1,2]", "x.json").is_err());
        assert!(read(b"{not json", "x.json").is_err());
    }
}
