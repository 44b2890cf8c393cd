//! Service area files, keyed by actor id, so that any actor (FINESS included) can be given an
//! area without editing its source file.
//!
//! `zones.csv`: a header `acteur;zone`, then one area per line (several lines for one actor
//! add up). Lines starting with `#` are comments. The zone syntax is the one of
//! [`ServiceArea`]: `communes:81004,81099`, `epci:200066124`, `departement:81`,
//! `territoire:<id>`.
//!
//! `zones.geojson`: an RFC 7946 FeatureCollection whose features carry an `acteur` property and
//! a Polygon or MultiPolygon geometry in WGS84.
//!
//! Whether the actor exists is checked when the directory is built (the actor may come from a
//! file loaded later); unknown actors are then reported as rejected lines of this file.
//!
//! ```
//! use maillage::sources::zones::read_csv;
//! let csv = "acteur;zone\n# DAC: tout le Tarn\nfiness:819001520;departement:81\nfiness:1;epci:12\n";
//! let (imported, report) = read_csv(csv.as_bytes(), "zones.csv").unwrap();
//! assert_eq!(imported.service_areas.len(), 1);
//! assert_eq!(imported.service_areas[0].line, 3);
//! assert_eq!(report.rejected, 1);
//! assert_eq!(report.rejections[0].line, 4);
//! ```

use geo::{MultiPolygon, Polygon};
use serde::Deserialize;

use super::table::{Column, Table};
use super::{FileReport, Format, Imported, SourceError};
use crate::model::{LonLat, ServiceArea};

/// One service area read from a file, before the directory resolves it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceAreaRecord {
    /// Id of the actor the area belongs to (`finess:819001520`, `local:dac81`).
    pub actor: String,
    pub area: ServiceArea,
    /// File the area was read from, for reports.
    pub file: String,
    /// 1-based line in that file.
    pub line: usize,
}

const COLUMNS: &[Column] = &[
    Column::required("acteur", &["id", "identifiant", "id_acteur"]),
    Column::required("zone", &["zone_intervention"]),
];

/// Service areas keyed by actor id, CSV.
pub const CSV: Format = Format::new(
    "zones-csv",
    "Zones d'intervention (CSV)",
    "zones d'intervention",
    &ZonesCsv,
);

/// The Service areas keyed by actor id, CSV format (see [`Importer`](super::Importer)).
pub struct ZonesCsv;

impl super::Importer for ZonesCsv {
    fn sniff(&self, head: &super::Head) -> bool {
        head.has("acteur") && (head.has("zone") || head.has("zone_intervention"))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_csv(i.bytes, i.file)
    }
    fn dated_by_modification(&self) -> bool {
        true
    }
}

/// Service areas keyed by actor id, GeoJSON.
pub const GEOJSON: Format = Format::new(
    "zones-geojson",
    "Zones d'intervention (GeoJSON)",
    "zones d'intervention",
    &ZonesGeojson,
);

/// The Service areas keyed by actor id, GeoJSON format (see [`Importer`](super::Importer)).
pub struct ZonesGeojson;

impl super::Importer for ZonesGeojson {
    fn sniff(&self, head: &super::Head) -> bool {
        head.is_json_object()
            && head.text.contains("\"FeatureCollection\"")
            && head.text.contains("\"acteur\"")
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_geojson(i.bytes, i.file)
    }
    fn dated_by_modification(&self) -> bool {
        true
    }
}

/// Reads `zones.csv` (`acteur;zone`).
pub fn read_csv(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let (text, _) = super::text::decode(bytes);
    let mut table = Table::open(&text, file, COLUMNS, b";\t,")?;
    let mut report = FileReport::new(file, CSV);
    let mut out = Vec::new();
    while let Some(row) = table.next_row(&mut report) {
        let line = row.line;
        let Some(actor) = row.get("acteur") else {
            row.reject(
                &mut report,
                "acteur",
                "l'identifiant d'un acteur (ex. finess:810000505, local:dac81)",
            );
            continue;
        };
        let zone = row.get("zone").unwrap_or("");
        match zone.parse::<ServiceArea>() {
            Ok(area) => {
                out.push(ServiceAreaRecord {
                    actor: actor.to_string(),
                    area,
                    file: file.to_string(),
                    line,
                });
                report.accepted += 1;
            }
            Err(e) => report.reject(line, "zone", &e.0, zone),
        }
    }
    Ok((
        Imported {
            service_areas: out,
            ..Imported::default()
        },
        report,
    ))
}

#[derive(Deserialize)]
struct RawCollection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    features: Vec<&'a serde_json::value::RawValue>,
}

/// Reads `zones.geojson`: features with an `acteur` property and a (multi)polygon.
pub fn read_geojson(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let invalid = |detail: String| SourceError::Invalid {
        file: file.to_string(),
        detail,
    };
    let (text, _) = super::text::decode(bytes);
    let text: &str = &text;
    let fc: RawCollection = serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "ligne {} : FeatureCollection GeoJSON attendue : {e}",
            e.line()
        ))
    })?;
    if fc.kind != "FeatureCollection" {
        return Err(invalid(format!(
            "« type »: « FeatureCollection » attendu, trouvé « {} »",
            fc.kind
        )));
    }
    let mut report = FileReport::new(file, GEOJSON);
    let mut out = Vec::new();
    for raw in fc.features {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        match feature_area(raw.get()) {
            Ok((actor, area)) => {
                out.push(ServiceAreaRecord {
                    actor,
                    area: ServiceArea::Polygon(area),
                    file: file.to_string(),
                    line,
                });
                report.accepted += 1;
            }
            Err((field, expected, found)) => report.reject(line, field, expected, &found),
        }
    }
    Ok((
        Imported {
            service_areas: out,
            ..Imported::default()
        },
        report,
    ))
}

type FeatureError = (&'static str, &'static str, String);

fn feature_area(raw: &str) -> Result<(String, MultiPolygon<f64>), FeatureError> {
    let feature: geojson::Feature = raw.parse().map_err(|e: geojson::Error| {
        ("feature", "une Feature GeoJSON (RFC 7946)", e.to_string())
    })?;
    let actor = feature
        .property("acteur")
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or((
            "acteur",
            "la propriété « acteur » : identifiant d'un acteur (ex. finess:810000505)",
            feature
                .property("acteur")
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ))?
        .to_string();
    let expected = "une géométrie Polygon ou MultiPolygon en degrés WGS84";
    let geometry = feature
        .geometry
        .ok_or(("geometry", expected, "null".to_string()))?;
    let area: MultiPolygon<f64> = match &geometry.value {
        geojson::Value::Polygon(_) => {
            let p: Polygon<f64> = geometry
                .value
                .clone()
                .try_into()
                .map_err(|_| ("geometry", expected, "polygone mal formé".to_string()))?;
            MultiPolygon::new(vec![p])
        }
        geojson::Value::MultiPolygon(_) => geometry
            .value
            .clone()
            .try_into()
            .map_err(|_| ("geometry", expected, "multipolygone mal formé".to_string()))?,
        other => return Err(("geometry", expected, other.type_name().to_string())),
    };
    let valid = !area.0.is_empty()
        && area.0.iter().all(|p| {
            p.exterior().0.len() >= 4
                && p.exterior()
                    .0
                    .iter()
                    .all(|c| LonLat::new(c.x, c.y).is_valid())
        });
    if !valid {
        return Err((
            "geometry",
            expected,
            "anneau de moins de 4 positions ou coordonnées hors des plages WGS84".to_string(),
        ));
    }
    Ok((actor, area))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_accepts_and_rejects_with_lines() {
        let csv = "# zones de la CPTS\nacteur;zone\n\
                   finess:819001256;epci:200066124\n\
                   finess:819001256;communes:81004\n\
                   ;communes:81004\n\
                   local:x;communes:8100\n\
                   local:y;region:76\n";
        let (imp, rep) = read_csv(csv.as_bytes(), "zones.csv").unwrap();
        assert_eq!(rep.format, CSV);
        assert_eq!(rep.accepted, 2);
        assert_eq!(rep.rejected, 3);
        let lines: Vec<usize> = rep.rejections.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![5, 6, 7]);
        assert_eq!(rep.rejections[0].field, "acteur");
        assert_eq!(rep.rejections[1].field, "zone");
        assert!(rep.rejections[1].expected.contains("code INSEE"));
        assert_eq!(imp.service_areas[0].line, 3);
        assert_eq!(
            imp.service_areas[1].area,
            ServiceArea::Communes(vec!["81004".parse().unwrap()])
        );
    }

    #[test]
    fn csv_without_columns_is_invalid() {
        let e = read_csv(b"id;nom\n1;x\n", "z.csv").unwrap_err();
        assert!(e.to_string().contains("colonne « zone » absente"), "{e}");
    }

    #[test]
    fn geojson_features_with_lines() {
        let gj = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"acteur": "local:a"},
 "geometry": {"type": "Polygon", "coordinates": [[[1,43],[2,43],[2,44],[1,43]]]}},
{"type": "Feature", "properties": {"nom": "sans acteur"},
 "geometry": {"type": "Polygon", "coordinates": [[[1,43],[2,43],[2,44],[1,43]]]}},
{"type": "Feature", "properties": {"acteur": "local:b"},
 "geometry": {"type": "Point", "coordinates": [1,43]}},
{"type": "Feature", "properties": {"acteur": "local:c"},
 "geometry": {"type": "MultiPolygon", "coordinates": [[[[1,43],[2,43],[2,44],[1,43]]]]}}
]}"#;
        let (imp, rep) = read_geojson(gj.as_bytes(), "zones.geojson").unwrap();
        assert_eq!(rep.accepted, 2);
        assert_eq!(rep.rejected, 2);
        assert_eq!(
            rep.rejections
                .iter()
                .map(|r| (r.line, r.field.as_str()))
                .collect::<Vec<_>>(),
            vec![(4, "acteur"), (6, "geometry")]
        );
        assert_eq!(imp.service_areas[0].actor, "local:a");
        assert_eq!(imp.service_areas[0].line, 2);
        assert_eq!(imp.service_areas[1].actor, "local:c");
        assert!(matches!(imp.service_areas[1].area, ServiceArea::Polygon(_)));
    }

    #[test]
    fn geojson_not_a_collection() {
        let e = read_geojson(br#"{"type": "Feature", "features": []}"#, "z.geojson").unwrap_err();
        assert!(e.to_string().contains("FeatureCollection"), "{e}");
    }
}
