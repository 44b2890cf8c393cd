//! GeoJSON (RFC 7946) features of actors, communes and territories, for the API and the
//! command line. Actor features are written straight into the output buffer from the
//! directory (no intermediate JSON tree, nothing computed for a property not asked for):
//! [`ActorFeature`] and [`FeatureCollection`] implement `Serialize` by hand, property by
//! property in the order of [`ActorField::ALL`], keeping those of the chosen [`Fields`]
//! (`champs=` of the API). [`ActorFeatureSchema`] and its siblings describe that JSON for the
//! OpenAPI document; a test checks that both name the same properties in the same order.

use geo::MultiPolygon;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::gpkg::{Cell, Column, FieldType, Geometry, GeometryType, GpkgError, Layer};
use crate::index::{Directory, TerritoryEntry};
use crate::model::Commune;

/// Declares [`ActorField`], its order and its names from one list.
macro_rules! actor_fields {
    ($($variant:ident => $name:literal: $kind:ident,)*) => {
        /// One property of an actor feature. The order of [`ActorField::ALL`] is the order
        /// written.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ActorField {
            $($variant,)*
        }

        impl ActorField {
            /// Every property, in the order written.
            pub const ALL: [ActorField; [$($name),*].len()] = [$(ActorField::$variant,)*];

            /// The property's name in the JSON.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ActorField::$variant => $name,)*
                }
            }

            /// The property's type: its JSON value, its GeoPackage column.
            pub const fn kind(self) -> FieldType {
                match self {
                    $(ActorField::$variant => FieldType::$kind,)*
                }
            }
        }
    };
}

actor_fields! {
    Id => "id": Text,
    Nom => "nom": Text,
    Type => "type": Text,
    TypeLibelle => "type_libelle": Text,
    Secteur => "secteur": Text,
    Adresse => "adresse": Text,
    Numero => "numero": Text,
    Voie => "voie": Text,
    CodePostal => "code_postal": Text,
    Ville => "ville": Text,
    Commune => "commune": Text,
    CommuneNom => "commune_nom": Text,
    Telephone => "telephone": Text,
    Email => "email": Text,
    Site => "site": Text,
    Horaires => "horaires": Text,
    Capacite => "capacite": Integer,
    Precision => "precision": Text,
    PrecisionLibelle => "precision_libelle": Text,
    Source => "source": Text,
    SourceDate => "source_date": Text,
    Exemple => "exemple": Boolean,
    CodeSource => "code_source": Text,
    LibelleSource => "libelle_source": Text,
    Tags => "tags": Text,
    DistanceM => "distance_m": Real,
}

impl ActorField {
    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The properties written for each actor (`champs=id,nom,distance_m`); every one by default.
/// `distance_m` is written only on answers sorted by distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields(u32);

/// A name in a list of properties that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "propriété inconnue « {found} » ; propriétés acceptées : {}",
    accepted_fields()
)]
pub struct UnknownField {
    pub found: String,
}

/// The accepted property names, comma-separated, in the order written.
pub fn accepted_fields() -> String {
    ActorField::ALL.map(ActorField::name).join(", ")
}

impl Fields {
    /// Every property.
    pub const ALL: Fields = Fields((1 << ActorField::ALL.len()) - 1);

    /// Reads a comma-separated list of property names (spaces and empty items ignored; an
    /// empty list is every property).
    ///
    /// ```
    /// use maillage::export::features::{ActorField, Fields};
    /// let f = Fields::parse("id, distance_m").unwrap();
    /// assert!(f.has(ActorField::Id) && f.has(ActorField::DistanceM) && !f.has(ActorField::Nom));
    /// assert_eq!(Fields::parse("").unwrap(), Fields::ALL);
    /// assert!(Fields::parse("id,name").unwrap_err().to_string().contains("« name »"));
    /// ```
    pub fn parse(list: &str) -> Result<Fields, UnknownField> {
        let mut bits = 0;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let f = ActorField::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| UnknownField {
                    found: name.to_string(),
                })?;
            bits |= f.bit();
        }
        Ok(if bits == 0 { Fields::ALL } else { Fields(bits) })
    }

    pub fn has(self, f: ActorField) -> bool {
        self.0 & f.bit() != 0
    }
}

/// A GeoJSON Point of an actor: `[lon, lat]` in WGS84 degrees, 7 decimals.
struct Point(crate::model::LonLat);

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("Point", 2)?;
        m.serialize_field("type", "Point")?;
        m.serialize_field("coordinates", &self.0.position())?;
        m.end()
    }
}

/// The GeoJSON Feature of one actor (directory index), with its distance when given,
/// written with the chosen properties.
#[derive(Clone, Copy)]
pub struct ActorFeature<'a> {
    dir: &'a Directory,
    index: u32,
    distance_m: Option<f64>,
    fields: Fields,
}

/// The feature of the actor at directory index `index`, every property, with its distance
/// when given.
pub fn actor_feature(dir: &Directory, index: u32, distance_m: Option<f64>) -> ActorFeature<'_> {
    ActorFeature {
        dir,
        index,
        distance_m,
        fields: Fields::ALL,
    }
}

impl ActorFeature<'_> {
    /// The same feature with these properties only.
    pub fn with_fields(self, fields: Fields) -> Self {
        ActorFeature { fields, ..self }
    }
}

impl Serialize for ActorFeature<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.dir.actor(self.index);
        let mut m = s.serialize_struct("Feature", 4)?;
        m.serialize_field("type", "Feature")?;
        m.serialize_field("id", a.id())?;
        m.serialize_field("geometry", &a.position().map(Point))?;
        m.serialize_field("properties", &Properties(self))?;
        m.end()
    }
}

impl<'a> ActorFeature<'a> {
    /// The value of one property, computed only when asked; `None` for `distance_m` when the
    /// answer is not sorted by distance (the property is then left out). The one reading of an
    /// actor's properties, for the GeoJSON and the GeoPackage.
    pub fn cell(&self, field: ActorField) -> Option<Cell<'a>> {
        use ActorField as F;
        let dir = self.dir;
        let a = dir.actor(self.index);
        let kind = || dir.kinds().get(a.kind());
        let report = || dir.reports().get(a.source().0 as usize);
        Some(match field {
            F::Id => a.id().into(),
            F::Nom => a.name().into(),
            F::Type => kind().id.as_str().into(),
            F::TypeLibelle => kind().label.as_str().into(),
            F::Secteur => kind().sector.id().into(),
            F::Adresse => a.address_line().into(),
            F::Numero => a.number().into(),
            F::Voie => a.street().into(),
            F::CodePostal => a.postcode().into(),
            F::Ville => a.city().into(),
            F::Commune => a
                .commune()
                .map_or(Cell::Null, |c| c.as_str().to_string().into()),
            F::CommuneNom => a
                .commune()
                .and_then(|c| dir.commune(c))
                .map(|c| c.name.as_str())
                .into(),
            F::Telephone => a.phone().into(),
            F::Email => a.email().into(),
            F::Site => a.website().into(),
            F::Horaires => a.hours().into(),
            F::Capacite => a.capacity().map_or(Cell::Null, |c| Cell::Int(c.into())),
            F::Precision => a.precision().id().into(),
            F::PrecisionLibelle => a.precision().label().into(),
            F::Source => report().map_or("", |r| r.source_name.as_str()).into(),
            F::SourceDate => report().and_then(|r| r.source_date.as_deref()).into(),
            F::Exemple => Cell::Bool(report().is_some_and(|r| r.sample)),
            F::CodeSource => a.source_code().into(),
            F::LibelleSource => a.source_label().into(),
            F::Tags => crate::model::partner_field::join_tags(a.tags()).into(),
            F::DistanceM => Cell::Real((self.distance_m? * 10.0).round() / 10.0),
        })
    }

    /// The properties written, in order: those chosen, `distance_m` on distance answers only.
    pub fn written(&self) -> impl Iterator<Item = ActorField> + '_ {
        ActorField::ALL.into_iter().filter(|&f| {
            self.fields.has(f) && (f != ActorField::DistanceM || self.distance_m.is_some())
        })
    }
}

/// The `properties` member of an [`ActorFeature`].
struct Properties<'f, 'a>(&'f ActorFeature<'a>);

impl Serialize for Properties<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(None)?;
        for field in f.written() {
            if let Some(v) = f.cell(field) {
                m.serialize_entry(field.name(), &v)?;
            }
        }
        m.end()
    }
}

/// Where a page of a longer list sits: the count before paging, the page's size and offset,
/// and the address of the next page when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    /// The address (path and query) of the next page, `suivant` in the JSON.
    pub next: Option<String>,
}

/// A GeoJSON FeatureCollection of actors (directory index and distance), with `total`,
/// `limit`, `offset` and `suivant` on a page of a longer list.
pub struct FeatureCollection<'a> {
    dir: &'a Directory,
    items: Vec<(u32, Option<f64>)>,
    fields: Fields,
    page: Option<Page>,
}

/// A collection of actor features with every property; `page` on paged lists.
pub fn collection(
    dir: &Directory,
    items: impl Iterator<Item = (u32, Option<f64>)>,
    page: Option<Page>,
) -> FeatureCollection<'_> {
    FeatureCollection {
        dir,
        items: items.collect(),
        fields: Fields::ALL,
        page,
    }
}

impl FeatureCollection<'_> {
    /// The same collection with these properties only.
    pub fn with_fields(self, fields: Fields) -> Self {
        FeatureCollection { fields, ..self }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The columns of the collection: the chosen properties, typed by [`ActorField::kind`];
    /// `distance_m` when the answer is sorted by distance.
    pub fn columns(&self) -> Vec<ActorField> {
        let distances = self.items.iter().any(|(_, d)| d.is_some());
        ActorField::ALL
            .into_iter()
            .filter(|&f| self.fields.has(f) && (f != ActorField::DistanceM || distances))
            .collect()
    }

    /// The collection as a GeoPackage: one layer `acteurs` of points (EPSG:4326) with the
    /// properties of the GeoJSON as typed columns (a capacity never given is still Integer).
    ///
    /// ```
    /// use maillage::export::features::collection;
    /// let dir = maillage::index::Directory::build(maillage::sources::demo::dataset().unwrap());
    /// let bytes = collection(&dir, (0..3).map(|i| (i, None)), None).gpkg("Essai").unwrap();
    /// assert!(bytes.starts_with(b"SQLite format 3\0"));
    /// ```
    pub fn gpkg(&self, description: &str) -> Result<Vec<u8>, GpkgError> {
        let fields = self.columns();
        let layer = Layer {
            name: "acteurs".into(),
            description: description.to_string(),
            geometry: GeometryType::Point,
            columns: fields
                .iter()
                .map(|f| Column::new(f.name(), f.kind()))
                .collect(),
        };
        let rows = self.items.iter().map(|&(index, distance_m)| {
            let feature = ActorFeature {
                dir: self.dir,
                index,
                distance_m,
                fields: self.fields,
            };
            let geometry = self.dir.actor(index).position().map(Geometry::Point);
            let cells: Vec<Cell<'_>> = fields
                .iter()
                .map(|&f| feature.cell(f).unwrap_or(Cell::Null))
                .collect();
            (geometry, cells)
        });
        super::gpkg::write(&layer, rows)
    }
}

impl Serialize for FeatureCollection<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("FeatureCollection", 6)?;
        m.serialize_field("type", "FeatureCollection")?;
        m.serialize_field("features", &Features(self))?;
        if let Some(p) = &self.page {
            m.serialize_field("total", &p.total)?;
            m.serialize_field("limit", &p.limit)?;
            m.serialize_field("offset", &p.offset)?;
            if let Some(next) = &p.next {
                m.serialize_field("suivant", next)?;
            }
        }
        m.end()
    }
}

/// The `features` array of a [`FeatureCollection`], written one feature at a time.
struct Features<'c, 'a>(&'c FeatureCollection<'a>);

impl Serialize for Features<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut seq = s.serialize_seq(Some(c.items.len()))?;
        for &(index, distance_m) in &c.items {
            seq.serialize_element(&ActorFeature {
                dir: c.dir,
                index,
                distance_m,
                fields: c.fields,
            })?;
        }
        seq.end()
    }
}

// The JSON written above, described for the OpenAPI document (never built; `Serialize` only
// for the serde attributes that utoipa reads, and for types that flatten them).

/// A GeoJSON Point: `[lon, lat]` in WGS84 degrees, 7 decimals.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PointGeometry {
    /// `Point`
    #[serde(rename = "type")]
    kind: String,
    coordinates: [f64; 2],
}

/// Properties of an actor feature (French names, see docs/api.md), all of them unless
/// `champs` chose some.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ActorProperties {
    id: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    type_libelle: String,
    secteur: String,
    adresse: String,
    numero: Option<String>,
    voie: Option<String>,
    code_postal: Option<String>,
    ville: Option<String>,
    commune: Option<String>,
    commune_nom: Option<String>,
    telephone: Option<String>,
    email: Option<String>,
    site: Option<String>,
    horaires: Option<String>,
    capacite: Option<u32>,
    precision: String,
    precision_libelle: String,
    source: String,
    source_date: Option<String>,
    exemple: bool,
    code_source: Option<String>,
    libelle_source: Option<String>,
    /// Tags as one text, joined with `|` (`model::partner_field::TAG_LIST_SEP`): one String
    /// column in GDAL/QGIS, never an ambiguous StringList.
    tags: String,
    /// On answers sorted by distance only.
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_m: Option<f64>,
}

/// A GeoJSON Feature of one actor.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ActorFeature)]
#[allow(dead_code)]
pub struct ActorFeatureSchema {
    /// `Feature`
    #[serde(rename = "type")]
    kind: String,
    id: String,
    geometry: Option<PointGeometry>,
    properties: ActorProperties,
}

/// A GeoJSON FeatureCollection of actors; `total`, `limit`, `offset` and `suivant` (the next
/// page's address, when there is one) on paged lists.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = FeatureCollection)]
#[allow(dead_code)]
pub struct FeatureCollectionSchema {
    /// `FeatureCollection`
    #[serde(rename = "type")]
    kind: String,
    features: Vec<ActorFeatureSchema>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suivant: Option<String>,
}

/// A commune as a GeoJSON feature with its outline.
pub fn commune_feature(dir: &Directory, c: &Commune, full: bool) -> serde_json::Value {
    let mut props = serde_json::json!({
        "code": c.code.as_str(),
        "nom": c.name,
        "population": c.population,
    });
    if full {
        props["departement"] = c.departement.clone().into();
        props["epci"] = c.epci.clone().into();
        props["codes_postaux"] = c.postcodes.clone().into();
        props["nombre_acteurs"] = dir.actors_in_commune(c.code).len().into();
    }
    serde_json::json!({
        "type": "Feature",
        "id": c.code.as_str(),
        "geometry": geometry(&c.geometry),
        "properties": props,
    })
}

/// A territory as a GeoJSON feature with its union outline.
pub fn territory_feature(dir: &Directory, t: &TerritoryEntry) -> serde_json::Value {
    let communes: Vec<serde_json::Value> = t
        .territory
        .communes
        .iter()
        .filter_map(|code| dir.commune(*code))
        .map(|c| serde_json::json!({"code": c.code.as_str(), "nom": c.name, "population": c.population}))
        .collect();
    serde_json::json!({
        "type": "Feature",
        "id": t.territory.id,
        "geometry": geometry(dir.territory_outline(t)),
        "properties": {
            "id": t.territory.id,
            "nom": t.territory.name,
            "type": t.territory.kind,
            "population": t.population,
            "population_declaree": t.territory.declared_population,
            "communes": communes,
            "communes_inconnues": t.unknown_communes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "communes_sans_population": t.communes_without_population.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        }
    })
}

fn geometry(g: &MultiPolygon<f64>) -> serde_json::Value {
    if g.0.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::to_value(geojson::Geometry::from(g)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI schema and the writer name the same properties (the writer's order is
    /// checked through the API in tests/api.rs).
    #[test]
    fn the_schema_describes_the_properties_written() {
        let schema =
            serde_json::to_value(<ActorProperties as utoipa::PartialSchema>::schema()).unwrap();
        let mut described: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut written: Vec<&str> = ActorField::ALL.iter().map(|f| f.name()).collect();
        described.sort_unstable();
        written.sort_unstable();
        assert_eq!(described, written);
    }

    #[test]
    fn fields_are_read_from_a_list() {
        let f = Fields::parse(" nom,,distance_m ").unwrap();
        let chosen: Vec<&str> = ActorField::ALL
            .iter()
            .filter(|x| f.has(**x))
            .map(|x| x.name())
            .collect();
        assert_eq!(chosen, ["nom", "distance_m"]);
        assert!(ActorField::ALL.iter().all(|x| Fields::ALL.has(*x)));
        let e = Fields::parse("nom,Nom").unwrap_err();
        assert_eq!(e.found, "Nom");
        assert!(e.to_string().ends_with(&accepted_fields()), "{e}");
    }
}
