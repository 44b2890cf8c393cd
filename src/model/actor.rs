//! Actors: every establishment, service, professional or partner shown on the map.
//!
//! Importers produce [`ActorRecord`]s (plain owned fields). The directory stores them as
//! [`Actor`]s, which pack all text fields into one allocation so that a France-wide directory of
//! two million actors stays small in memory.
//!
//! ```
//! use maillage::model::{Actor, ActorRecord, KindId, LonLat, Precision, SourceId};
//! let mut rec = ActorRecord::new("finess:810000505", "CH ALBI", KindId(1), SourceId(0));
//! rec.phone = Some("05 63 47 47 47".into());
//! rec.position = Some(LonLat::new(2.1486, 43.9289));
//! rec.precision = Precision::Address;
//! let actor = Actor::from(rec);
//! assert_eq!(actor.id(), "finess:810000505");
//! assert_eq!(actor.phone(), Some("05 63 47 47 47"));
//! assert_eq!(actor.email(), None);
//! assert_eq!(actor.position().unwrap().lat, 43.9289);
//! ```

use serde::{Deserialize, Serialize};

use super::commune::InseeCode;
use super::geodesy::LonLat;
use super::kinds::KindId;

/// How precisely an actor's position is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Precision {
    /// Geocoded to the street number or surveyed.
    #[serde(rename = "adresse")]
    Address,
    /// Geocoded to the street.
    #[serde(rename = "rue")]
    Street,
    /// Placed at the commune's centroid (or town hall) for want of better.
    #[serde(rename = "commune")]
    Commune,
    /// No usable position.
    #[serde(rename = "inconnue")]
    Unknown,
}

impl Precision {
    pub fn id(self) -> &'static str {
        match self {
            Precision::Address => "adresse",
            Precision::Street => "rue",
            Precision::Commune => "commune",
            Precision::Unknown => "inconnue",
        }
    }

    /// French label for display.
    pub fn label(self) -> &'static str {
        match self {
            Precision::Address => "à l'adresse",
            Precision::Street => "à la rue",
            Precision::Commune => "au centre de la commune",
            Precision::Unknown => "inconnue",
        }
    }

    fn from_u8(v: u8) -> Precision {
        match v {
            0 => Precision::Address,
            1 => Precision::Street,
            2 => Precision::Commune,
            _ => Precision::Unknown,
        }
    }
}

/// Index of a loaded source file in the directory's source list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceId(pub u16);

/// A postal address as published by the source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street number with its complement (`12 bis`).
    pub number: Option<String>,
    /// Street type and name (`AVENUE DE LA REPUBLIQUE`), plus any locality line.
    pub street: Option<String>,
    pub postcode: Option<String>,
    /// Commune name as written by the source.
    pub city: Option<String>,
}

/// An actor as produced by an importer, with owned fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorRecord {
    /// Stable id prefixed by its source: `finess:810000505`, `local:…`, `mairie:81004`.
    pub id: String,
    pub name: String,
    pub kind: KindId,
    /// The source's own classification code (FINESS category, BPE TYPEQU…).
    pub source_code: Option<String>,
    /// The source's own label for that code.
    pub source_label: Option<String>,
    pub address: Address,
    /// INSEE code of the commune the actor is in.
    pub commune: Option<InseeCode>,
    pub position: Option<LonLat>,
    pub precision: Precision,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Opening hours as free text (`lundi–vendredi 08:30–12:00, 13:30–17:00`).
    pub hours: Option<String>,
    /// Capacity (beds, places) or full-time equivalents when the source gives it.
    pub capacity: Option<u32>,
    pub source: SourceId,
    pub tags: Vec<String>,
}

impl ActorRecord {
    /// A record with the required fields and everything else empty.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        kind: KindId,
        source: SourceId,
    ) -> Self {
        ActorRecord {
            id: id.into(),
            name: name.into(),
            kind,
            source_code: None,
            source_label: None,
            address: Address::default(),
            commune: None,
            position: None,
            precision: Precision::Unknown,
            phone: None,
            email: None,
            website: None,
            hours: None,
            capacity: None,
            source,
            tags: Vec::new(),
        }
    }
}

// Text fields packed in `Actor::text`, in this order.
const F_ID: usize = 0;
const F_NAME: usize = 1;
const F_SOURCE_CODE: usize = 2;
const F_SOURCE_LABEL: usize = 3;
const F_NUMBER: usize = 4;
const F_STREET: usize = 5;
const F_POSTCODE: usize = 6;
const F_CITY: usize = 7;
const F_PHONE: usize = 8;
const F_EMAIL: usize = 9;
const F_WEBSITE: usize = 10;
const F_HOURS: usize = 11;
const F_TAGS: usize = 12;
const FIELDS: usize = 13;
const TAG_SEP: char = '\u{1f}';
/// Longest text kept per field (13 fields × 4 KiB fit the 16-bit offsets). No official
/// source comes near it; a longer value is cut at a character boundary.
pub const MAX_FIELD_BYTES: usize = 4096;

fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An actor as stored in the directory: all text in one allocation, fixed fields inline.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    text: Box<str>,
    ends: [u16; FIELDS],
    coords: Coords,
    kind: KindId,
    source: SourceId,
    precision: u8,
    /// INSEE code bytes, all zero when unknown (an `Option` would take a sixth byte and push
    /// the struct past 72 bytes).
    commune: [u8; 5],
    /// [`NO_CAPACITY`] when unknown.
    capacity: u32,
}

/// Marks an unknown capacity in [`Actor`]; a published capacity is never that large.
const NO_CAPACITY: u32 = u32::MAX;

/// Longitude and latitude in degrees, NaN when unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Coords {
    lon: f64,
    lat: f64,
}

impl From<ActorRecord> for Actor {
    fn from(r: ActorRecord) -> Actor {
        let tags = r.tags.join(&TAG_SEP.to_string());
        let parts: [&str; FIELDS] = [
            &r.id,
            &r.name,
            r.source_code.as_deref().unwrap_or(""),
            r.source_label.as_deref().unwrap_or(""),
            r.address.number.as_deref().unwrap_or(""),
            r.address.street.as_deref().unwrap_or(""),
            r.address.postcode.as_deref().unwrap_or(""),
            r.address.city.as_deref().unwrap_or(""),
            r.phone.as_deref().unwrap_or(""),
            r.email.as_deref().unwrap_or(""),
            r.website.as_deref().unwrap_or(""),
            r.hours.as_deref().unwrap_or(""),
            &tags,
        ];
        let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0u16; FIELDS];
        for (i, p) in parts.iter().enumerate() {
            text.push_str(clip(p, MAX_FIELD_BYTES));
            ends[i] = text.len() as u16;
        }
        let (lon, lat) = match r.position {
            Some(p) if p.is_valid() => (p.lon, p.lat),
            _ => (f64::NAN, f64::NAN),
        };
        let precision = if lon.is_nan() {
            Precision::Unknown
        } else {
            r.precision
        };
        Actor {
            text: text.into_boxed_str(),
            ends,
            coords: Coords { lon, lat },
            kind: r.kind,
            source: r.source,
            precision: precision as u8,
            commune: r.commune.map_or([0; 5], InseeCode::to_bytes),
            capacity: r.capacity.map_or(NO_CAPACITY, |c| c.min(NO_CAPACITY - 1)),
        }
    }
}

impl Actor {
    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn opt(&self, i: usize) -> Option<&str> {
        let f = self.field(i);
        (!f.is_empty()).then_some(f)
    }

    pub fn id(&self) -> &str {
        self.field(F_ID)
    }
    pub fn name(&self) -> &str {
        self.field(F_NAME)
    }
    pub fn kind(&self) -> KindId {
        self.kind
    }
    pub fn source(&self) -> SourceId {
        self.source
    }
    pub fn source_code(&self) -> Option<&str> {
        self.opt(F_SOURCE_CODE)
    }
    pub fn source_label(&self) -> Option<&str> {
        self.opt(F_SOURCE_LABEL)
    }
    pub fn number(&self) -> Option<&str> {
        self.opt(F_NUMBER)
    }
    pub fn street(&self) -> Option<&str> {
        self.opt(F_STREET)
    }
    pub fn postcode(&self) -> Option<&str> {
        self.opt(F_POSTCODE)
    }
    pub fn city(&self) -> Option<&str> {
        self.opt(F_CITY)
    }
    pub fn phone(&self) -> Option<&str> {
        self.opt(F_PHONE)
    }
    pub fn email(&self) -> Option<&str> {
        self.opt(F_EMAIL)
    }
    pub fn website(&self) -> Option<&str> {
        self.opt(F_WEBSITE)
    }
    pub fn hours(&self) -> Option<&str> {
        self.opt(F_HOURS)
    }
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.field(F_TAGS).split(TAG_SEP).filter(|t| !t.is_empty())
    }
    pub fn commune(&self) -> Option<InseeCode> {
        (self.commune != [0; 5]).then(|| InseeCode::from_stored_bytes(self.commune))
    }
    pub fn capacity(&self) -> Option<u32> {
        (self.capacity != NO_CAPACITY).then_some(self.capacity)
    }
    pub fn precision(&self) -> Precision {
        Precision::from_u8(self.precision)
    }

    /// WGS84 position, when known.
    pub fn position(&self) -> Option<LonLat> {
        (!self.coords.lon.is_nan()).then_some(LonLat::new(self.coords.lon, self.coords.lat))
    }

    /// One-line postal address (`12 RUE X, 81000 ALBI`), empty parts left out.
    pub fn address_line(&self) -> String {
        let street: Vec<&str> = [self.number(), self.street()]
            .into_iter()
            .flatten()
            .collect();
        let town: Vec<&str> = [self.postcode(), self.city()]
            .into_iter()
            .flatten()
            .collect();
        [street.join(" "), town.join(" ")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Back to an owned record (for edits and exports).
    pub fn to_record(&self) -> ActorRecord {
        let own = |s: Option<&str>| s.map(str::to_string);
        ActorRecord {
            id: self.id().to_string(),
            name: self.name().to_string(),
            kind: self.kind,
            source_code: own(self.source_code()),
            source_label: own(self.source_label()),
            address: Address {
                number: own(self.number()),
                street: own(self.street()),
                postcode: own(self.postcode()),
                city: own(self.city()),
            },
            commune: self.commune(),
            position: self.position(),
            precision: self.precision(),
            phone: own(self.phone()),
            email: own(self.email()),
            website: own(self.website()),
            hours: own(self.hours()),
            capacity: self.capacity(),
            source: self.source,
            tags: self.tags().map(str::to_string).collect(),
        }
    }

    /// Heap bytes owned by this actor (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn pack_round_trip(name in ".{1,40}", phone in proptest::option::of("[0-9 ]{0,14}"),
                           tags in proptest::collection::vec("[a-z]{1,8}", 0..4),
                           lon in -10.0f64..10.0, lat in 40.0f64..52.0) {
            let mut r = ActorRecord::new("local:1", name, KindId(3), SourceId(2));
            r.phone = phone.filter(|p| !p.is_empty());
            r.tags = tags;
            r.position = Some(LonLat::new(lon, lat));
            r.precision = Precision::Street;
            r.capacity = Some(12);
            let a = Actor::from(r.clone());
            prop_assert_eq!(a.to_record(), r);
        }
    }

    #[test]
    fn invalid_position_becomes_unknown() {
        let mut r = ActorRecord::new("x:1", "X", KindId(0), SourceId(0));
        r.position = Some(LonLat::new(f64::NAN, 2.0));
        r.precision = Precision::Address;
        let a = Actor::from(r);
        assert_eq!(a.position(), None);
        assert_eq!(a.precision(), Precision::Unknown);
    }

    #[test]
    fn overlong_fields_are_clipped_at_a_char_boundary() {
        let mut r = ActorRecord::new("x:1", "é".repeat(5000), KindId(0), SourceId(0));
        r.hours = Some("h".repeat(10_000));
        let a = Actor::from(r);
        assert_eq!(a.name().len(), MAX_FIELD_BYTES);
        assert_eq!(a.hours().unwrap().len(), MAX_FIELD_BYTES);
        assert_eq!(a.id(), "x:1");
    }

    #[test]
    fn packed_actor_is_small() {
        assert!(
            std::mem::size_of::<Actor>() <= 72,
            "{}",
            std::mem::size_of::<Actor>()
        );
    }

    #[test]
    fn commune_and_capacity_survive_packing_present_or_absent() {
        let mut r = ActorRecord::new("x:1", "n", KindId(0), SourceId(0));
        let a = Actor::from(r.clone());
        assert_eq!((a.commune(), a.capacity()), (None, None));
        r.commune = Some("2A004".parse().unwrap());
        r.capacity = Some(0);
        let a = Actor::from(r.clone());
        assert_eq!(a.commune().map(|c| c.to_string()), Some("2A004".into()));
        assert_eq!(a.capacity(), Some(0));
        assert_eq!(a.to_record(), r);
    }
}
