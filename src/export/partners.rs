//! GeoPackage of the partner directory: the same features and properties as its GeoJSON
//! (`store::export::geojson`), each column typed as `model::partner_field` declares it
//! ([`Check::field_type`]), so that a capacity never given stays Integer and `code_insee` Text.

use super::gpkg::{self, Cell, Column, FieldType, Geometry, GeometryType, GpkgError, Layer};
use crate::model::partner_field::{Check, PartnerField, PARTNER_FIELDS};
use crate::store::export::position;
use crate::store::{Partner, Validator};

/// The exported value fields: every field but the id (written as `id`), private ones only when
/// `private`.
fn value_fields(private: bool) -> impl Iterator<Item = &'static PartnerField> {
    PARTNER_FIELDS
        .iter()
        .filter(move |f| f.check != Check::Id && (private || !f.private))
}

/// The cell of `text` (a field as written in the CSV) in a column of type `kind`.
fn cell(kind: FieldType, text: String) -> Cell<'static> {
    if text.is_empty() {
        return Cell::Null;
    }
    match kind {
        FieldType::Text => Cell::from(text),
        FieldType::Integer => text.parse().map_or(Cell::Null, Cell::Int),
        FieldType::Real => text.parse().map_or(Cell::Null, Cell::Real),
        FieldType::Boolean => Cell::Bool(text == "oui"),
    }
}

/// The partners as a GeoPackage layer `partenaires`: `id`, the partner fields (private ones
/// when `private`), `version`, `archive`, `cree_le`, `modifie_le`. A partner without
/// coordinates is placed at its commune's centroid, as in the GeoJSON.
pub fn gpkg(partners: &[Partner], v: &Validator, private: bool) -> Result<Vec<u8>, GpkgError> {
    let mut columns = vec![Column::new("id", FieldType::Text)];
    columns.extend(value_fields(private).map(|f| Column::new(f.name, f.check.field_type())));
    columns.extend([
        Column::new("version", FieldType::Integer),
        Column::new("archive", FieldType::Boolean),
        Column::new("cree_le", FieldType::Text),
        Column::new("modifie_le", FieldType::Text),
    ]);
    let layer = Layer {
        name: "partenaires".into(),
        description: "Annuaire des partenaires de la CPTS".into(),
        geometry: GeometryType::Point,
        columns,
    };
    let rows = partners.iter().map(|p| {
        let mut cells = vec![Cell::from(p.id.as_str())];
        cells.extend(
            value_fields(private).map(|f| cell(f.check.field_type(), p.fields.text(f.name))),
        );
        cells.extend([
            Cell::Int(p.version),
            Cell::Bool(p.archived),
            Cell::from(p.created_at.as_str()),
            Cell::from(p.updated_at.as_str()),
        ]);
        (position(p, v).map(Geometry::Point), cells)
    });
    gpkg::write(&layer, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_declared_types() {
        assert_eq!(cell(FieldType::Integer, "45".into()), Cell::Int(45));
        assert_eq!(cell(FieldType::Integer, String::new()), Cell::Null);
        assert_eq!(cell(FieldType::Real, "43.9".into()), Cell::Real(43.9));
        assert_eq!(cell(FieldType::Boolean, "non".into()), Cell::Bool(false));
        assert_eq!(cell(FieldType::Text, "81004".into()), Cell::from("81004"));
    }
}
