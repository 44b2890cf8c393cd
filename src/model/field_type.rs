//! The type of an exported column ([`FieldType`]), declared once by each export's column
//! table (actor fields, diagnostic indicators, partner fields) and read by every writer: the
//! GDAL `.csvt` and VRT, the GeoPackage column, the JSON value of a GeoJSON property.

/// The type of an exported column, declared once for every writer: the GDAL `.csvt` and VRT,
/// the GeoPackage column, and (through `export::gpkg::Cell`) the JSON value of the GeoJSON
/// property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Whole number (32 bits).
    Integer,
    /// Decimal number.
    Real,
    /// Text.
    Text,
    /// Yes/no.
    Boolean,
}

impl FieldType {
    /// GDAL's field type and subtype (`Integer`, `Real`, `String`, `Integer` + `Boolean`), as
    /// written in a `.csvt` or an OGR VRT.
    pub fn gdal(self) -> (&'static str, Option<&'static str>) {
        match self {
            FieldType::Integer => ("Integer", None),
            FieldType::Real => ("Real", None),
            FieldType::Text => ("String", None),
            FieldType::Boolean => ("Integer", Some("Boolean")),
        }
    }

    /// The GeoPackage column type. `MEDIUMINT` (32 bits) is what GDAL reads as `Integer`
    /// (`INTEGER` would be `Integer64`), as for a GeoJSON converted with `ogr2ogr`.
    pub fn sql(self) -> &'static str {
        match self {
            FieldType::Integer => "MEDIUMINT",
            FieldType::Real => "REAL",
            FieldType::Text => "TEXT",
            FieldType::Boolean => "BOOLEAN",
        }
    }
}
