//! Diagnosis exports: commune CSV (French headers, `;` with decimal commas and a UTF-8 BOM for
//! spreadsheets, or `,` with decimal points), GeoJSON with the indicators as properties (opens in
//! QGIS), choropleth maps, and the full report folder written by `maillage diagnostic`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::csv_actors::CsvOptions;
use super::gpkg::{Cell, Column, FieldType, Geometry, GeometryType, Layer};
use super::map::{
    choropleth_svg, fr_fixed, svg_to_png, Category, MapArea, MapError, MapSpec, PALETTE, WHITE_ZONE,
};
use crate::analysis::diagnostic::CommuneRow;
use crate::analysis::indicators::{
    commune_indicator, CommuneIndicator, Genre, Val, COMMUNE_INDICATORS, MASKED_COLUMN,
};
use crate::analysis::masking::Masked;
use crate::analysis::{diagnose, AnalysisError, Computed, DiagnosticParams};
use crate::index::Directory;

/// Errors of the exports.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(
        "{path} : écriture impossible : {}",
        crate::util::os_error::describe(source)
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Map(#[from] MapError),
    #[error(transparent)]
    Gpkg(#[from] super::gpkg::GpkgError),
    #[error("indicateur « {0} » inconnu ; attendu : {ids}", ids = mappable_ids().join(", "))]
    UnknownIndicator(String),
    #[error("type « {0} » absent du diagnostic ; types calculés : {1}")]
    KindNotInDiagnostic(String, String),
}

/// A per-commune indicator (a line of [`COMMUNE_INDICATORS`]).
pub type Indicator = &'static CommuneIndicator;

/// A mappable indicator by its id (`densite`, `APL`…).
pub fn parse_indicator(s: &str) -> Result<Indicator, ExportError> {
    commune_indicator(s)
        .filter(|d| d.carte)
        .ok_or_else(|| ExportError::UnknownIndicator(s.to_string()))
}

/// Ids of the mappable indicators, for messages and the API description.
pub fn mappable_ids() -> Vec<&'static str> {
    COMMUNE_INDICATORS
        .iter()
        .filter(|d| d.carte)
        .map(|d| d.id)
        .collect()
}

/// The value of an indicator for the `k`-th kind and the `row`-th commune of the diagnosis.
pub fn value(c: &Computed, row: usize, k: usize, ind: Indicator) -> Option<f64> {
    let r = &c.diagnostic.communes[row];
    ind.value(r, r.indicateurs.get(k)?).number()
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

fn num(v: f64, decimals: usize, comma: bool) -> String {
    let dialect = if comma {
        CsvOptions::default()
    } else {
        CsvOptions::COMMA
    };
    dialect.number(v, decimals)
}

/// A value as CSV text: numbers with the table's decimals (decimal comma with `;`),
/// `oui`/`non`, empty when missing or masked (the `<type>_effectif_masque` column says which:
/// a number column holds numbers only).
pub fn csv_text(v: Val<'_>, decimals: usize, comma: bool) -> String {
    match v {
        Val::Num(Some(Masked::Value(x))) => num(x, decimals, comma),
        Val::Flag(Some(b)) => if b { "oui" } else { "non" }.into(),
        Val::Text(Some(t)) => t.to_string(),
        Val::Num(Some(Masked::Small)) | Val::Num(None) | Val::Flag(None) | Val::Text(None) => {
            String::new()
        }
    }
}

/// A value as display text (HTML report): French numbers with the table's decimals, « < 5 »
/// when masked, `oui`/`non`, « – » when missing. Not escaped.
pub fn display_text(v: Val<'_>, decimals: usize) -> String {
    match v {
        Val::Num(Some(Masked::Value(x))) => fr_fixed(x, decimals),
        Val::Num(Some(Masked::Small)) => "< 5".into(),
        Val::Num(None) | Val::Flag(None) | Val::Text(None) => "–".into(),
        other => csv_text(other, decimals, true),
    }
}

/// A value as a cell of the GeoJSON and the GeoPackage: whole numbers (rounded, as in the
/// CSV) for 0 decimals, null when missing or masked (the `<type>_effectif_masque` property
/// says which), so that GDAL and QGIS type the column as a number.
pub fn cell(v: Val<'_>, decimals: usize) -> Cell<'_> {
    match v {
        Val::Num(Some(Masked::Value(x))) if decimals == 0 && x.is_finite() => {
            Cell::Int(x.round() as i64)
        }
        Val::Num(Some(Masked::Value(x))) => Cell::Real(x),
        Val::Flag(b) => b.map_or(Cell::Null, Cell::Bool),
        Val::Text(t) => t.into(),
        Val::Num(Some(Masked::Small)) | Val::Num(None) => Cell::Null,
    }
}

/// A value as JSON (GeoJSON properties): its [`cell`].
pub fn json_value(v: Val<'_>, decimals: usize) -> Value {
    serde_json::to_value(cell(v, decimals)).unwrap_or(Value::Null)
}

/// Commune identity columns, before the indicators.
const IDENTITY: [&str; 3] = ["code_insee", "commune", "departement"];

/// One indicator column of the CSV/GeoJSON: its name and the value it holds for a commune.
struct IndicatorColumn {
    name: String,
    ind: Indicator,
    /// Kind index, for per-kind indicators.
    kind: usize,
}

/// Indicator columns: per-commune ones, then every per-kind one for each kind, followed by
/// its [`MASKED_COLUMN`] when small counts are masked.
fn columns(c: &Computed) -> Vec<IndicatorColumn> {
    let masking = c.diagnostic.parametres.masquage_petits_effectifs;
    let types = &c.diagnostic.types;
    let mut out = Vec::new();
    if let Some(first) = types.first() {
        for ind in COMMUNE_INDICATORS.iter().filter(|d| !d.per_kind) {
            out.push(IndicatorColumn {
                name: ind.column_for(first),
                ind,
                kind: 0,
            });
        }
    }
    for (k, t) in types.iter().enumerate() {
        let masked = masking.then_some(&MASKED_COLUMN);
        for ind in COMMUNE_INDICATORS
            .iter()
            .filter(|d| d.per_kind)
            .chain(masked)
        {
            out.push(IndicatorColumn {
                name: ind.column_for(t),
                ind,
                kind: k,
            });
        }
    }
    out
}

/// CSV headers: commune identity, per-commune indicators, `localisee`, then the per-kind
/// indicators of each kind (`<type>_<colonne>`, the coverage column naming its definition).
pub fn csv_headers(c: &Computed) -> Vec<String> {
    let cols = columns(c);
    let split = cols.iter().take_while(|col| !col.ind.per_kind).count();
    let mut h: Vec<String> = IDENTITY.map(String::from).to_vec();
    h.extend(cols[..split].iter().map(|col| col.name.clone()));
    h.push("localisee".into());
    h.extend(cols[split..].iter().map(|col| col.name.clone()));
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
pub fn write_csv<W: Write>(c: &Computed, opts: CsvOptions, out: W) -> std::io::Result<()> {
    let comma = opts.decimal_comma();
    let mut w = opts.writer(out)?;
    w.write_record(csv_headers(c))?;
    let cols = columns(c);
    let split = cols.iter().take_while(|col| !col.ind.per_kind).count();
    for r in &c.diagnostic.communes {
        let text = |col: &IndicatorColumn| match r.indicateurs.get(col.kind) {
            Some(cell) => csv_text(col.ind.value(r, cell), col.ind.decimals, comma),
            None => String::new(),
        };
        let mut rec: Vec<String> = vec![r.code.clone(), r.nom.clone(), r.departement.clone()];
        rec.extend(cols[..split].iter().map(text));
        rec.push(if r.localisee { "oui" } else { "non" }.into());
        rec.extend(cols[split..].iter().map(text));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// The type of an indicator's column: whole numbers `Integer`, other numbers `Real` (a masked
/// value is left empty, so its column stays a number), texts `Text`; yes/no is `oui`/`non`
/// text in the CSV, a boolean in the GeoJSON and the GeoPackage.
fn field_type(ind: Indicator, csv: bool) -> FieldType {
    match ind.genre {
        Genre::Number if ind.decimals == 0 => FieldType::Integer,
        Genre::Number => FieldType::Real,
        Genre::Flag if !csv => FieldType::Boolean,
        Genre::Flag | Genre::Text => FieldType::Text,
    }
}

/// The typed columns of the commune table in the GeoJSON and GeoPackage order: the commune's
/// identity, `localisee`, then every indicator column ([`columns`]). The one schema that the
/// VRT and the GeoPackage declare.
pub fn schema(c: &Computed) -> Vec<Column> {
    let mut out: Vec<Column> = IDENTITY
        .iter()
        .map(|n| Column::new(*n, FieldType::Text))
        .collect();
    out.push(Column::new("localisee", FieldType::Boolean));
    out.extend(
        columns(c)
            .into_iter()
            .map(|col| Column::new(col.name, field_type(col.ind, false))),
    );
    out
}

/// The GDAL `.csvt` of [`write_csv`]'s file (one line, a quoted type per column): `code_insee`
/// and the other texts `String`, numbers `Integer` or `Real` ([`gdal_type`]), `oui`/`non`
/// `String`. GDAL (and QGIS) read the `communes.csv` beside it with these types, decimal comma
/// included.
///
/// ```
/// use maillage::analysis::{diagnose, DiagnosticParams};
/// use maillage::export::diagnostic::csvt;
/// let dir = maillage::index::Directory::build(maillage::sources::demo::dataset().unwrap());
/// let c = diagnose(&dir, "81", &DiagnosticParams { kinds: vec!["ehpad".into()], ..Default::default() }).unwrap();
/// assert!(csvt(&c).starts_with(r#""String","String","String","Integer","String","Integer","Real""#));
/// ```
pub fn csvt(c: &Computed) -> String {
    let cols = columns(c);
    let split = cols.iter().take_while(|col| !col.ind.per_kind).count();
    let kind = |col: &IndicatorColumn| field_type(col.ind, true).gdal().0;
    let mut types: Vec<&str> = vec!["String"; IDENTITY.len()];
    types.extend(cols[..split].iter().map(kind));
    types.push("String");
    types.extend(cols[split..].iter().map(kind));
    let quoted: Vec<String> = types.iter().map(|t| format!("\"{t}\"")).collect();
    quoted.join(",") + "\n"
}

/// An OGR VRT (`communes.vrt`) over the GeoJSON file `geojson` written beside it, declaring
/// the type of every column. GeoJSON carries no schema: GDAL 3.6 to 3.10 (and QGIS on them)
/// type a property from its values, and a property null in every feature (the distances of a
/// kind with no supply, a count masked everywhere) comes out `String`. Opened in QGIS, or
/// converted with `ogr2ogr`, the VRT gives every column its type, empty ones included.
///
/// ```
/// use maillage::analysis::{diagnose, DiagnosticParams};
/// use maillage::export::diagnostic::vrt;
/// let dir = maillage::index::Directory::build(maillage::sources::demo::dataset().unwrap());
/// let c = diagnose(&dir, "81", &DiagnosticParams { kinds: vec!["ehpad".into()], ..Default::default() }).unwrap();
/// let v = vrt(&c, "communes.geojson");
/// assert!(v.contains(r#"<Field name="ehpad_distance_km" type="Real"/>"#));
/// assert!(v.contains(r#"<Field name="localisee" type="Integer" subtype="Boolean"/>"#));
/// ```
pub fn vrt(c: &Computed, geojson: &str) -> String {
    use crate::util::escape::html as x;
    let layer = geojson.strip_suffix(".geojson").unwrap_or(geojson);
    let mut v = format!(
        "<OGRVRTDataSource>\n  <OGRVRTLayer name=\"{}\">\n    <SrcDataSource relativeToVRT=\"1\">{}</SrcDataSource>\n    <SrcLayer>{}</SrcLayer>\n    <LayerSRS>EPSG:4326</LayerSRS>\n",
        x(layer),
        x(geojson),
        x(layer)
    );
    for col in schema(c) {
        let (kind, subtype) = col.kind.gdal();
        let sub = subtype
            .map(|s| format!(" subtype=\"{s}\""))
            .unwrap_or_default();
        v.push_str(&format!(
            "    <Field name=\"{}\" type=\"{kind}\"{sub}/>\n",
            x(&col.name)
        ));
    }
    v.push_str("  </OGRVRTLayer>\n</OGRVRTDataSource>\n");
    v
}

/// The territory's communes as a GeoJSON FeatureCollection (WGS84) with every indicator as a
/// flat property named as the CSV column (`<type>_densite_10000_hab`…); the indicator table
/// (labels, units) and the kinds with their coverage definition come along.
pub fn geojson(dir: &Directory, c: &Computed) -> Value {
    let schema = schema(c);
    let cols = columns(c);
    let features: Vec<Value> = c
        .diagnostic
        .communes
        .iter()
        .map(|r| {
            let props: Map<String, Value> = schema
                .iter()
                .zip(row_cells(&cols, r))
                .map(|(col, v)| {
                    let v = serde_json::to_value(v).unwrap_or(Value::Null);
                    (col.name.to_string(), v)
                })
                .collect();
            let geometry = outline(dir, &r.code)
                .map(|g| json!(geojson::Geometry::new(geojson::Value::from(g))))
                .unwrap_or(Value::Null);
            json!({"type": "Feature", "geometry": geometry, "properties": props})
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "features": features,
        "territoire": c.diagnostic.territoire,
        "parametres": c.diagnostic.parametres,
        "types": c.diagnostic.types,
        "descripteurs": c.diagnostic.descripteurs,
    })
}

/// The outline of a commune by its code, when loaded and not empty.
fn outline<'d>(dir: &'d Directory, code: &str) -> Option<&'d geo::MultiPolygon<f64>> {
    dir.commune(code.parse().ok()?)
        .map(|cm| &cm.geometry)
        .filter(|g| !g.0.is_empty())
}

/// The cells of one commune in the order of [`schema`].
fn row_cells<'r>(cols: &[IndicatorColumn], r: &'r CommuneRow) -> Vec<Cell<'r>> {
    let mut cells: Vec<Cell<'r>> = vec![
        r.code.as_str().into(),
        r.nom.as_str().into(),
        r.departement.as_str().into(),
        Cell::Bool(r.localisee),
    ];
    cells.extend(cols.iter().map(|col| match r.indicateurs.get(col.kind) {
        Some(cell_of) => cell(col.ind.value(r, cell_of), col.ind.decimals),
        None => Cell::Null,
    }));
    cells
}

/// The territory's communes as a GeoPackage: the columns and values of the [`geojson`], each
/// column typed by [`schema`] (numbers stay numbers when null in every commune), outlines as
/// multipolygons in EPSG:4326.
pub fn gpkg(dir: &Directory, c: &Computed) -> Result<Vec<u8>, ExportError> {
    let layer = Layer {
        name: "communes".into(),
        description: format!(
            "Diagnostic de {} : {}",
            c.diagnostic.territoire.nom,
            c.diagnostic
                .types
                .iter()
                .map(|t| t.libelle.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        geometry: GeometryType::MultiPolygon,
        columns: schema(c),
    };
    let cols = columns(c);
    let rows = c.diagnostic.communes.iter().map(|r| {
        let g = outline(dir, &r.code).map(Geometry::MultiPolygon);
        (g, row_cells(&cols, r))
    });
    Ok(super::gpkg::write(&layer, rows)?)
}

/// The columns of the « zones blanches » of a coverage answer (`/api/couverture`, its
/// GeoJSON and its GeoPackage): the commune and the way to its nearest supply.
pub const UNCOVERED_COLUMNS: [(&str, FieldType); 6] = [
    ("code", FieldType::Text),
    ("nom", FieldType::Text),
    ("population", FieldType::Integer),
    ("distance_km", FieldType::Real),
    ("temps_estime_min", FieldType::Real),
    ("temps_route_min", FieldType::Real),
];

/// The uncovered communes of the first kind of the diagnosis: place index and cells in the
/// order of [`UNCOVERED_COLUMNS`].
pub fn uncovered(c: &Computed) -> Vec<(usize, Vec<Cell<'_>>)> {
    let area = &c.diagnostic.comparaisons[0].indicateurs[0];
    let real = |x: Option<f64>| x.map_or(Cell::Null, Cell::Real);
    area.couverture
        .uncovered
        .iter()
        .map(|&i| {
            let pl = c.places.get(i);
            let n = c.runs[0].nearest[i];
            let cells = vec![
                pl.code.as_str().into(),
                pl.name.as_str().into(),
                pl.population.map_or(Cell::Null, |p| Cell::Int(p as i64)),
                real(n.map(|n| n.distance_m / 1000.0)),
                real(n.map(|n| n.minutes)),
                real(n.and_then(|n| n.road).map(|l| l.minutes())),
            ];
            (i, cells)
        })
        .collect()
}

/// The « zones blanches » of the first kind as a GeoPackage (outlines, typed columns).
pub fn uncovered_gpkg(dir: &Directory, c: &Computed) -> Result<Vec<u8>, ExportError> {
    let layer = Layer {
        name: "zones_blanches".into(),
        description: format!(
            "Zones blanches de {} : {}",
            c.diagnostic.territoire.nom,
            c.diagnostic
                .types
                .first()
                .map_or("", |t| t.libelle.as_str())
        ),
        geometry: GeometryType::MultiPolygon,
        columns: UNCOVERED_COLUMNS
            .iter()
            .map(|(n, k)| Column::new(*n, *k))
            .collect(),
    };
    let rows = uncovered(c).into_iter().map(|(i, cells)| {
        let g = outline(dir, &c.places.get(i).code).map(Geometry::MultiPolygon);
        (g, cells)
    });
    Ok(super::gpkg::write(&layer, rows)?)
}

/// Source line for maps and reports: every distinct source with its date (« date inconnue »
/// when its files state none).
pub fn sources_line(c: &Computed) -> String {
    let mut seen: Vec<String> = Vec::new();
    for s in &c.diagnostic.sources {
        let item = format!(
            "{} ({})",
            s.source,
            crate::util::date::source_date_text(s.date.as_deref())
        );
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
                population: r.population,
            })
        })
        .collect();
    let title = if ind.per_kind {
        format!(
            "{} – {} : {}",
            c.diagnostic.territoire.nom,
            t.libelle,
            ind.label_for(t)
        )
    } else {
        format!("{} – {}", c.diagnostic.territoire.nom, ind.label)
    };
    let mut spec = MapSpec::new(
        &title,
        &ind.label_for(t),
        &sources_line(c),
        &format!(
            "Carte produite le {} par maillage ; {} ; {}",
            crate::util::date::french(date),
            t.couverture_definition,
            c.diagnostic.parametres.modele_trajet_libelle
        ),
        areas,
    );
    spec.decimals = Some(ind.decimals);
    if ind.genre == Genre::Flag {
        spec.categories = Some(vec![
            Category {
                value: 0.0,
                label: "non couverte : zone blanche".into(),
                fill: WHITE_ZONE,
            },
            Category {
                value: 1.0,
                label: "couverte".into(),
                fill: PALETTE[3],
            },
        ]);
    }
    if c.diagnostic.parametres.masquage_petits_effectifs {
        spec.no_data_label = "non disponible ou masqué (< 5)".into();
    }
    spec
}

/// Files written by [`write_report`].
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub files: Vec<PathBuf>,
    pub diagnostic: crate::analysis::Diagnostic,
}

/// Ids of the indicators mapped in a report, per kind.
pub const REPORT_MAPS: [&str; 4] = ["densite", "apl", "distance", "couverture"];

/// The maps of a report: every indicator of [`REPORT_MAPS`] for every kind, as
/// `(kind index, indicator, svg)`.
pub fn report_maps(
    dir: &Directory,
    c: &Computed,
    date: &str,
) -> Result<Vec<(usize, Indicator, String)>, ExportError> {
    let mut maps = Vec::new();
    for k in 0..c.diagnostic.types.len() {
        for id in REPORT_MAPS {
            let ind = parse_indicator(id)?;
            maps.push((k, ind, choropleth_svg(&map_spec(dir, c, k, ind, date))));
        }
    }
    Ok(maps)
}

/// A download's file name: `diagnostic-<territory>-<kinds>[-<suffix>].<ext>`
/// (`diagnostic-dep-81-ehpad-ssiad-virgule.csv`), so that two downloads never share a name.
pub fn file_name(c: &Computed, suffix: Option<&str>, ext: &str) -> String {
    let kinds: Vec<&str> = c.diagnostic.types.iter().map(|t| t.id.as_str()).collect();
    let mut name = format!(
        "diagnostic-{}-{}",
        crate::model::text::slug(&c.diagnostic.territoire.id),
        kinds.join("-")
    );
    if let Some(s) = suffix {
        name.push('-');
        name.push_str(s);
    }
    format!("{name}.{ext}")
}

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
    let date = crate::util::date::today();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), ExportError> {
        let p = out_dir.join(name);
        crate::util::fs::write_atomic(&p, bytes).map_err(|source| ExportError::Io {
            path: p.display().to_string(),
            source,
        })?;
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
    put("communes.csvt", csvt(&c).as_bytes())?;
    let gj = serde_json::to_vec(&geojson(dir, &c)).unwrap_or_default();
    put("communes.geojson", &gj)?;
    put("communes.vrt", vrt(&c, "communes.geojson").as_bytes())?;
    put("communes.gpkg", &gpkg(dir, &c)?)?;
    let maps = report_maps(dir, &c, &date)?;
    for (k, ind, svg) in &maps {
        let stem = format!("carte-{}-{}", c.diagnostic.types[*k].id, ind.id);
        put(&format!("{stem}.svg"), svg.as_bytes())?;
        put(&format!("{stem}.png"), &svg_to_png(svg)?)?;
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
    fn indicators_parse_in_french() {
        assert_eq!(parse_indicator("densité").unwrap().id, "densite");
        assert_eq!(parse_indicator("APL").unwrap().id, "apl");
        assert!(parse_indicator("x").is_err());
        // Text columns are not mappable.
        assert!(parse_indicator("plus_proche").is_err());
    }
}
