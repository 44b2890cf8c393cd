//! Diagnosis exports: commune CSV (French headers, `;` with decimal commas and a UTF-8 BOM for
//! spreadsheets, or `,` with decimal points), GeoJSON with the indicators as properties (opens in
//! QGIS), choropleth maps, and the full report folder written by `maillage diagnostic`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::csv_actors::CsvOptions;
use super::map::{choropleth_svg, svg_to_png, MapArea, MapError, MapSpec};
use crate::analysis::masking::Masked;
use crate::analysis::{diagnose, AnalysisError, Computed, DiagnosticParams};
use crate::index::Directory;

/// Errors of the exports.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error("{path} : écriture impossible : {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Map(#[from] MapError),
    #[error("indicateur « {0} » inconnu ; attendu : effectif, densite, distance, temps, couverture, apl ou population")]
    UnknownIndicator(String),
    #[error("type « {0} » absent du diagnostic ; types calculés : {1}")]
    KindNotInDiagnostic(String, String),
}

/// An indicator that can be mapped or exported per commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    Count,
    Density,
    Distance,
    Time,
    Covered,
    Apl,
    Population,
}

impl Indicator {
    pub const ALL: [Indicator; 7] = [
        Indicator::Count,
        Indicator::Density,
        Indicator::Distance,
        Indicator::Time,
        Indicator::Covered,
        Indicator::Apl,
        Indicator::Population,
    ];

    /// Parses the French id (`densite`, `apl`…).
    pub fn parse(s: &str) -> Result<Indicator, ExportError> {
        let f = crate::model::text::fold(s);
        Indicator::ALL
            .into_iter()
            .find(|i| i.id() == f)
            .ok_or_else(|| ExportError::UnknownIndicator(s.to_string()))
    }

    pub fn id(self) -> &'static str {
        match self {
            Indicator::Count => "effectif",
            Indicator::Density => "densite",
            Indicator::Distance => "distance",
            Indicator::Time => "temps",
            Indicator::Covered => "couverture",
            Indicator::Apl => "apl",
            Indicator::Population => "population",
        }
    }

    /// Legend label with unit.
    pub fn label(self) -> &'static str {
        match self {
            Indicator::Count => "Effectif (nombre)",
            Indicator::Density => "Densité pour 10 000 habitants",
            Indicator::Distance => "Distance à l'offre la plus proche (km à vol d'oiseau)",
            Indicator::Time => "Temps estimé vers l'offre la plus proche (min, estimation)",
            Indicator::Covered => "Commune couverte (1 = oui, 0 = zone blanche)",
            Indicator::Apl => "Accessibilité 2SFCA pour 10 000 habitants",
            Indicator::Population => "Population municipale",
        }
    }
}

/// The value of an indicator for the `k`-th kind and the `row`-th commune of the diagnosis.
pub fn value(c: &Computed, row: usize, k: usize, ind: Indicator) -> Option<f64> {
    let r = &c.diagnostic.communes[row];
    let cell = r.indicateurs.get(k)?;
    match ind {
        Indicator::Count => cell.effectif.value().map(|v| v as f64),
        Indicator::Density => cell.densite_10000.and_then(|d| d.value()),
        Indicator::Distance => cell.distance_km,
        Indicator::Time => cell.temps_estime_min,
        Indicator::Covered => cell.couverte.map(|b| if b { 1.0 } else { 0.0 }),
        Indicator::Apl => cell.apl_10000,
        Indicator::Population => r.population.map(|p| p as f64),
    }
}

/// Index of a kind id in the diagnosis.
pub fn kind_index(c: &Computed, kind: Option<&str>) -> Result<usize, ExportError> {
    let Some(kind) = kind else { return Ok(0) };
    c.diagnostic
        .types
        .iter()
        .position(|t| t.id == kind)
        .ok_or_else(|| {
            ExportError::KindNotInDiagnostic(
                kind.to_string(),
                c.diagnostic
                    .types
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

fn num(x: Option<f64>, decimals: usize, comma: bool) -> String {
    match x {
        Some(v) => {
            let s = format!("{v:.decimals$}");
            if comma {
                s.replace('.', ",")
            } else {
                s
            }
        }
        None => String::new(),
    }
}

fn masked_num(x: Option<Masked<f64>>, decimals: usize, comma: bool) -> String {
    match x {
        Some(Masked::Small) => "< 5".into(),
        Some(Masked::Value(v)) => num(Some(v), decimals, comma),
        None => String::new(),
    }
}

/// CSV headers: commune columns, then 7 columns per kind.
pub fn csv_headers(c: &Computed) -> Vec<String> {
    let mut h: Vec<String> = [
        "code_insee",
        "commune",
        "departement",
        "population",
        "localisee",
    ]
    .map(String::from)
    .to_vec();
    for t in &c.diagnostic.types {
        for col in [
            "effectif",
            "densite_10000_hab",
            "distance_km",
            "temps_estime_min",
            "offre_la_plus_proche",
            "couverte",
            "apl_10000_hab",
        ] {
            h.push(format!("{}_{col}", t.id));
        }
    }
    h
}

/// Writes one row per commune. With `;` numbers use a decimal comma (French spreadsheets),
/// with `,` a decimal point.
///
/// ```
/// use maillage::analysis::{diagnose, DiagnosticParams};
/// use maillage::export::diagnostic::write_csv;
/// use maillage::export::CsvOptions;
/// let dir = maillage::index::Directory::build(maillage::sources::demo::dataset().unwrap());
/// let c = diagnose(&dir, "81", &DiagnosticParams { kinds: vec!["ehpad".into()], ..Default::default() }).unwrap();
/// let mut out = Vec::new();
/// write_csv(&c, CsvOptions::default(), &mut out).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("\u{feff}code_insee;commune;departement;population"));
/// ```
pub fn write_csv<W: Write>(c: &Computed, opts: CsvOptions, mut out: W) -> std::io::Result<()> {
    if opts.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let comma = opts.delimiter != b',';
    let mut w = csv::WriterBuilder::new()
        .delimiter(opts.delimiter)
        .from_writer(out);
    w.write_record(csv_headers(c))?;
    for r in &c.diagnostic.communes {
        let mut rec: Vec<String> = vec![
            r.code.clone(),
            r.nom.clone(),
            r.departement.clone(),
            r.population.map(|p| p.to_string()).unwrap_or_default(),
            if r.localisee { "oui" } else { "non" }.into(),
        ];
        for cell in &r.indicateurs {
            rec.push(cell.effectif.to_string());
            rec.push(masked_num(cell.densite_10000, 2, comma));
            rec.push(num(cell.distance_km, 2, comma));
            rec.push(num(cell.temps_estime_min, 1, comma));
            rec.push(cell.plus_proche_nom.clone().unwrap_or_default());
            rec.push(match cell.couverte {
                Some(true) => "oui".into(),
                Some(false) => "non".into(),
                None => String::new(),
            });
            rec.push(num(cell.apl_10000, 3, comma));
        }
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// The territory's communes as a GeoJSON FeatureCollection (WGS84) with every indicator as a
/// flat property (`<type>_densite_10000_hab`…), as in the CSV.
pub fn geojson(dir: &Directory, c: &Computed) -> Value {
    let headers = csv_headers(c);
    let features: Vec<Value> = c
        .diagnostic
        .communes
        .iter()
        .map(|r| {
            let mut props = Map::new();
            props.insert(headers[0].clone(), json!(r.code));
            props.insert(headers[1].clone(), json!(r.nom));
            props.insert(headers[2].clone(), json!(r.departement));
            props.insert(headers[3].clone(), json!(r.population));
            props.insert(headers[4].clone(), json!(r.localisee));
            let mut h = 5;
            for cell in &r.indicateurs {
                let vals = [
                    serde_json::to_value(cell.effectif).unwrap_or(Value::Null),
                    serde_json::to_value(cell.densite_10000).unwrap_or(Value::Null),
                    json!(cell.distance_km),
                    json!(cell.temps_estime_min),
                    json!(cell.plus_proche_nom),
                    json!(cell.couverte),
                    json!(cell.apl_10000),
                ];
                for v in vals {
                    props.insert(headers[h].clone(), v);
                    h += 1;
                }
            }
            let geometry = r
                .code
                .parse()
                .ok()
                .and_then(|code| dir.commune(code))
                .filter(|cm| !cm.geometry.0.is_empty())
                .map(|cm| json!(geojson::Geometry::new(geojson::Value::from(&cm.geometry))))
                .unwrap_or(Value::Null);
            json!({"type": "Feature", "geometry": geometry, "properties": props})
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "features": features,
        "territoire": c.diagnostic.territoire,
        "parametres": c.diagnostic.parametres,
    })
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Source line for maps and reports (distinct source names with their dates).
pub fn sources_line(c: &Computed) -> String {
    let mut seen: Vec<String> = Vec::new();
    for s in &c.diagnostic.sources {
        let item = match &s.date {
            Some(d) => format!("{} ({})", s.source, d),
            None => s.source.clone(),
        };
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    if seen.is_empty() {
        "Sources : aucune".into()
    } else {
        format!("Sources : {}", seen.join(" ; "))
    }
}

/// The map of one indicator of one kind over the territory's communes.
pub fn map_spec(dir: &Directory, c: &Computed, k: usize, ind: Indicator, date: &str) -> MapSpec {
    let t = &c.diagnostic.types[k];
    let areas = c
        .diagnostic
        .communes
        .iter()
        .enumerate()
        .filter_map(|(row, r)| {
            let cm = dir.commune(r.code.parse().ok()?)?;
            Some(MapArea {
                name: r.nom.clone(),
                geometry: cm.geometry.clone(),
                value: value(c, row, k, ind),
            })
        })
        .collect();
    let title = if ind == Indicator::Population {
        format!("{} – population", c.diagnostic.territoire.nom)
    } else {
        format!(
            "{} – {} ({})",
            c.diagnostic.territoire.nom,
            t.libelle,
            ind.id()
        )
    };
    let mut spec = MapSpec::new(
        &title,
        ind.label(),
        &sources_line(c),
        &format!(
            "Carte produite le {date} par maillage ; {} ; {}",
            c.diagnostic.parametres.seuil_couverture_libelle,
            c.diagnostic.parametres.modele_trajet_libelle
        ),
        areas,
    );
    if c.diagnostic.parametres.masquage_petits_effectifs {
        spec.no_data_label = "non disponible ou masqué (< 5)".into();
    }
    spec
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Files written by [`write_report`].
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub files: Vec<PathBuf>,
    pub diagnostic: crate::analysis::Diagnostic,
}

/// Indicators mapped in a report, per kind.
pub const REPORT_MAPS: [Indicator; 3] = [Indicator::Density, Indicator::Apl, Indicator::Distance];

/// Runs the diagnosis and writes everything into `out_dir` (created if needed): the JSON,
/// the commune CSV in the given dialect, GeoJSON, SVG and PNG maps and a self-contained HTML report.
pub fn write_report(
    dir: &Directory,
    territory: &str,
    params: &DiagnosticParams,
    csv_opts: CsvOptions,
    out_dir: &Path,
) -> Result<ReportFiles, ExportError> {
    let c = diagnose(dir, territory, params)?;
    std::fs::create_dir_all(out_dir).map_err(|source| ExportError::Io {
        path: out_dir.display().to_string(),
        source,
    })?;
    let date = today();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), ExportError> {
        let p = out_dir.join(name);
        write_atomic(&p, bytes)?;
        files.push(p);
        Ok(())
    };
    let io = |e: std::io::Error| ExportError::Io {
        path: out_dir.display().to_string(),
        source: e,
    };
    let json = serde_json::to_vec_pretty(&c.diagnostic).unwrap_or_default();
    put("diagnostic.json", &json)?;
    let mut csv = Vec::new();
    write_csv(&c, csv_opts, &mut csv).map_err(io)?;
    put("communes.csv", &csv)?;
    let gj = serde_json::to_vec(&geojson(dir, &c)).unwrap_or_default();
    put("communes.geojson", &gj)?;
    let mut maps = Vec::new();
    for (k, t) in c.diagnostic.types.iter().enumerate() {
        for ind in REPORT_MAPS {
            let svg = choropleth_svg(&map_spec(dir, &c, k, ind, &date));
            let stem = format!("carte-{}-{}", t.id, ind.id());
            put(&format!("{stem}.svg"), svg.as_bytes())?;
            put(&format!("{stem}.png"), &svg_to_png(&svg)?)?;
            maps.push((k, ind, svg));
        }
    }
    let html = super::diagnostic_html::report_html(&c, &maps, &date);
    put("rapport.html", html.as_bytes())?;
    Ok(ReportFiles {
        files,
        diagnostic: c.diagnostic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
    }

    #[test]
    fn indicators_parse_in_french() {
        assert_eq!(Indicator::parse("densité").unwrap(), Indicator::Density);
        assert_eq!(Indicator::parse("APL").unwrap(), Indicator::Apl);
        assert!(Indicator::parse("x").is_err());
    }
}
