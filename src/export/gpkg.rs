//! GeoPackage (OGC 12-128r18, version 1.3) of one feature table, for QGIS and GDAL: a typed
//! alternative to the GeoJSON exports. GeoJSON has no schema, so GDAL and QGIS type a
//! property from its values and a column null in every feature (a capacity never given, the
//! distances of a kind with no supply) comes out String; here every column carries the type
//! its export declares ([`FieldType`]), empty or not.
//!
//! The file holds the required tables (`gpkg_spatial_ref_sys` with EPSG:4326 and the two
//! undefined systems, `gpkg_contents` with the layer's bounds, `gpkg_geometry_columns`) and the
//! feature table: `fid`, `geom` (GeoPackage binary: the `GP` header, the envelope of polygons,
//! then little-endian WKB) and one column per field. `application_id` is `GPKG` and
//! `user_version` 10300. No spatial index: the files are downloads of a few thousand features
//! at most, and QGIS builds one when asked.
//!
//! The database is built in memory with SQLite and its bytes are returned
//! ([`Connection::serialize`]): the HTTP answer sends them, the command line writes them with
//! `util::fs::write_atomic`.

use std::borrow::Cow;

use geo::{BoundingRect, MultiPolygon};
use rusqlite::{params_from_iter, Connection, MAIN_DB};
use serde::{Serialize, Serializer};

use crate::model::LonLat;

/// The media type of a GeoPackage (IANA).
pub const MEDIA_TYPE: &str = "application/geopackage+sqlite3";

/// A failure to build the GeoPackage (SQLite error; should not happen on valid input).
#[derive(Debug, thiserror::Error)]
#[error("GeoPackage : écriture impossible : {0}")]
pub struct GpkgError(#[from] rusqlite::Error);

pub use crate::model::FieldType;

/// One column of an export: its name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: Cow<'static, str>,
    pub kind: FieldType,
}

impl Column {
    pub fn new(name: impl Into<Cow<'static, str>>, kind: FieldType) -> Self {
        Column {
            name: name.into(),
            kind,
        }
    }
}

/// One value of an export, written as the JSON value of a GeoJSON property or stored in a
/// GeoPackage column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Bool(bool),
}

impl<'a> From<Option<&'a str>> for Cell<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Cell::Null, |s| Cell::Text(Cow::Borrowed(s)))
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Cell<'_> {
    fn from(s: String) -> Self {
        Cell::Text(Cow::Owned(s))
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Null => s.serialize_none(),
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Real(x) if x.is_finite() => s.serialize_f64(*x),
            Cell::Real(_) => s.serialize_none(),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Bool(b) => s.serialize_bool(*b),
        }
    }
}

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Cell::Null => ToSqlOutput::Owned(Value::Null),
            Cell::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
            Cell::Real(x) if x.is_finite() => ToSqlOutput::Owned(Value::Real(*x)),
            Cell::Real(_) => ToSqlOutput::Owned(Value::Null),
            Cell::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Cell::Bool(b) => ToSqlOutput::Owned(Value::Integer(*b as i64)),
        })
    }
}

/// The geometry type of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryType {
    Point,
    MultiPolygon,
}

impl GeometryType {
    fn name(self) -> &'static str {
        match self {
            GeometryType::Point => "POINT",
            GeometryType::MultiPolygon => "MULTIPOLYGON",
        }
    }
}

/// The geometry of one feature.
#[derive(Debug, Clone, Copy)]
pub enum Geometry<'a> {
    Point(LonLat),
    MultiPolygon(&'a MultiPolygon<f64>),
}

/// A feature table: its name (letters, digits, `_` and `-`), description and columns.
#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    pub description: String,
    pub geometry: GeometryType,
    pub columns: Vec<Column>,
}

/// The WGS84 definition (OGC WKT) stored for EPSG:4326.
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// The required tables (GeoPackage 1.3, §1.1.2 to §1.1.3, §2.1.5), with the three required
/// spatial reference systems.
const SCHEMA: &str = r#"
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10300;
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
"#;

/// A double-quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Writes the layer and its features (geometry, one cell per column) as a GeoPackage and
/// returns its bytes. A feature without geometry is stored with a null `geom`.
///
/// ```
/// use maillage::export::gpkg::{write, Cell, Column, FieldType, Geometry, GeometryType, Layer};
/// use maillage::model::LonLat;
/// let layer = Layer {
///     name: "acteurs".into(),
///     description: "Acteurs".into(),
///     geometry: GeometryType::Point,
///     columns: vec![Column::new("nom", FieldType::Text), Column::new("capacite", FieldType::Integer)],
/// };
/// let rows = [(Some(Geometry::Point(LonLat::new(2.1486, 43.9289))), vec![Cell::from("EHPAD"), Cell::Null])];
/// let bytes = write(&layer, rows).unwrap();
/// assert!(bytes.starts_with(b"SQLite format 3\0"));
/// assert_eq!(&bytes[68..72], b"GPKG");
/// ```
pub fn write<'a, I, R>(layer: &Layer, rows: I) -> Result<Vec<u8>, GpkgError>
where
    I: IntoIterator<Item = (Option<Geometry<'a>>, R)>,
    R: AsRef<[Cell<'a>]>,
{
    let mut db = Connection::open_in_memory()?;
    db.execute_batch(SCHEMA)?;
    db.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        [WGS84_WKT],
    )?;
    let table = ident(&layer.name);
    let mut create = format!(
        "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {}",
        layer.geometry.name()
    );
    for c in &layer.columns {
        create.push_str(&format!(", {} {}", ident(&c.name), c.kind.sql()));
    }
    create.push(')');
    let tx = db.transaction()?;
    tx.execute_batch(&create)?;
    let mut bounds: Option<[f64; 4]> = None;
    {
        let marks: Vec<String> = (0..=layer.columns.len())
            .map(|i| format!("?{}", i + 1))
            .collect();
        let names: Vec<String> = layer.columns.iter().map(|c| ident(&c.name)).collect();
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {table} (geom{}{}) VALUES ({})",
            if names.is_empty() { "" } else { ", " },
            names.join(", "),
            marks.join(", ")
        ))?;
        for (geometry, cells) in rows {
            let cells = cells.as_ref();
            let blob = geometry.and_then(|g| {
                let (blob, env) = encode(g)?;
                bounds = Some(match bounds {
                    None => env,
                    Some(b) => [
                        b[0].min(env[0]),
                        b[1].min(env[1]),
                        b[2].max(env[2]),
                        b[3].max(env[3]),
                    ],
                });
                Some(blob)
            });
            let values = std::iter::once(&blob as &dyn rusqlite::ToSql).chain(
                layer
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, _)| cells.get(i).unwrap_or(&Cell::Null) as &dyn rusqlite::ToSql),
            );
            insert.execute(params_from_iter(values))?;
        }
    }
    let [min_x, min_y, max_x, max_y] = bounds.map_or([None; 4], |b| b.map(Some));
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, 4326)",
        rusqlite::params![layer.name, layer.description, min_x, min_y, max_x, max_y],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4326, 0, 0)",
        rusqlite::params![layer.name, layer.geometry.name()],
    )?;
    tx.commit()?;
    let data = db.serialize(MAIN_DB)?;
    Ok(data.to_vec())
}

/// The GeoPackage binary of a geometry (§2.1.3: `GP`, version 0, flags, SRS id, envelope,
/// little-endian WKB) and its envelope `[min_x, min_y, max_x, max_y]`; `None` for an empty
/// geometry or a point out of range (stored as null).
fn encode(g: Geometry<'_>) -> Option<(Vec<u8>, [f64; 4])> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    match g {
        Geometry::Point(p) => {
            if !p.is_valid() {
                return None;
            }
            let [x, y] = p.position();
            // Little-endian, no envelope (a point is its own envelope).
            out.push(0b0000_0001);
            out.extend_from_slice(&4326i32.to_le_bytes());
            wkb_header(&mut out, 1);
            xy(&mut out, x, y);
            Some((out, [x, y, x, y]))
        }
        Geometry::MultiPolygon(mp) => {
            let rect = mp.bounding_rect()?;
            let env = [rect.min().x, rect.min().y, rect.max().x, rect.max().y];
            // Little-endian, envelope [minx, maxx, miny, maxy].
            out.push(0b0000_0011);
            out.extend_from_slice(&4326i32.to_le_bytes());
            for v in [env[0], env[2], env[1], env[3]] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            wkb_header(&mut out, 6);
            out.extend_from_slice(&(mp.0.len() as u32).to_le_bytes());
            for poly in &mp.0 {
                wkb_header(&mut out, 3);
                let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
                out.extend_from_slice(&(1 + poly.interiors().len() as u32).to_le_bytes());
                for ring in rings {
                    out.extend_from_slice(&(ring.0.len() as u32).to_le_bytes());
                    for c in &ring.0 {
                        xy(&mut out, c.x, c.y);
                    }
                }
            }
            Some((out, env))
        }
    }
}

/// A WKB geometry header: little-endian byte order, then the type code.
fn wkb_header(out: &mut Vec<u8>, code: u32) {
    out.push(1);
    out.extend_from_slice(&code.to_le_bytes());
}

fn xy(out: &mut Vec<u8>, x: f64, y: f64) {
    out.extend_from_slice(&x.to_le_bytes());
    out.extend_from_slice(&y.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn layer(geometry: GeometryType) -> Layer {
        Layer {
            name: "essai".into(),
            description: "Essai".into(),
            geometry,
            columns: vec![
                Column::new("code", FieldType::Text),
                Column::new("population", FieldType::Integer),
                Column::new("distance_km", FieldType::Real),
                Column::new("couverte", FieldType::Boolean),
            ],
        }
    }

    /// Reads the written bytes back with SQLite: the header values, the declared types, the
    /// bounds and the geometry blobs.
    #[test]
    fn the_file_reads_back_with_its_types_bounds_and_blobs() {
        let square = MultiPolygon(vec![polygon![
            (x: 2.0, y: 43.0), (x: 3.0, y: 43.0), (x: 3.0, y: 44.5), (x: 2.0, y: 44.5), (x: 2.0, y: 43.0)
        ]]);
        let rows = vec![
            (
                Some(Geometry::MultiPolygon(&square)),
                vec![
                    Cell::from("81004"),
                    Cell::Int(48_000),
                    Cell::Null,
                    Cell::Bool(true),
                ],
            ),
            (
                None,
                vec![Cell::from("81001"), Cell::Null, Cell::Null, Cell::Null],
            ),
        ];
        let bytes = write(&layer(GeometryType::MultiPolygon), rows).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("essai.gpkg");
        std::fs::write(&path, &bytes).unwrap();
        let db = Connection::open(&path).unwrap();
        let pragma = |p: &str| -> i64 {
            db.query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(pragma("application_id"), 0x4750_4B47);
        assert_eq!(pragma("user_version"), 10300);
        let types: Vec<(String, String)> = db
            .prepare("SELECT name, type FROM pragma_table_info('essai')")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let types: Vec<(&str, &str)> = types
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            types,
            [
                ("fid", "INTEGER"),
                ("geom", "MULTIPOLYGON"),
                ("code", "TEXT"),
                ("population", "MEDIUMINT"),
                ("distance_km", "REAL"),
                ("couverte", "BOOLEAN")
            ]
        );
        let b: (f64, f64, f64, f64, i64) = db
            .query_row(
                "SELECT min_x, min_y, max_x, max_y, srs_id FROM gpkg_contents",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(b, (2.0, 43.0, 3.0, 44.5, 4326));
        let blob: Vec<u8> = db
            .query_row("SELECT geom FROM essai WHERE fid = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(&blob[..4], b"GP\0\x03");
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().unwrap()), 4326);
        // Envelope minx, maxx, miny, maxy, then WKB: LE, MultiPolygon (6), 1 polygon, LE,
        // Polygon (3), 1 ring, 5 points.
        let f = |i: usize| f64::from_le_bytes(blob[i..i + 8].try_into().unwrap());
        assert_eq!([f(8), f(16), f(24), f(32)], [2.0, 3.0, 43.0, 44.5]);
        assert_eq!(&blob[40..45], &[1, 6, 0, 0, 0]);
        assert_eq!(blob.len(), 40 + 9 + 9 + 4 + 5 * 16);
        let second: (Option<Vec<u8>>, Option<i64>) = db
            .query_row(
                "SELECT geom, population FROM essai WHERE fid = 2",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(second, (None, None));
    }

    #[test]
    fn points_are_rounded_like_the_geojson_and_cells_serialise_as_json() {
        let p = LonLat::new(2.148_612_345_678, 43.928_9);
        let (blob, env) = encode(Geometry::Point(p)).unwrap();
        assert_eq!(blob.len(), 8 + 5 + 16);
        assert_eq!(env[0], p.position()[0]);
        assert!(encode(Geometry::Point(LonLat::new(f64::NAN, 0.0))).is_none());
        let json = serde_json::to_string(&[
            Cell::Null,
            Cell::Int(3),
            Cell::Real(1.5),
            Cell::Real(f64::NAN),
            Cell::from("a"),
            Cell::Bool(false),
        ])
        .unwrap();
        assert_eq!(json, r#"[null,3,1.5,null,"a",false]"#);
    }
}
