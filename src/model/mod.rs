//! Domain types: actors, kinds, communes, territories, and great-circle geometry helpers.

pub mod actor;
pub mod commune;
pub mod departements;
pub mod field_type;
pub mod geodesy;
pub mod kinds;
pub mod partner_field;
pub mod phone;
pub mod place;
pub mod service_area;
pub mod territory;
pub mod text;

pub use actor::{
    Actor, ActorRecord, ActorRow, ActorTable, ActorTableError, Address, Precision, SourceId,
};
pub use commune::{Commune, InseeCode};
pub use field_type::FieldType;
pub use geodesy::{haversine_m, LonLat, EARTH_RADIUS_M};
pub use kinds::{Kind, KindId, KindTable, Sector};
pub use service_area::ServiceArea;
pub use territory::{Territory, TerritoryKind};
