//! Actors: every establishment, service, professional or partner shown on the map.
//!
//! Importers produce [`ActorRecord`]s (plain owned fields). The directory stores them in an
//! [`ActorTable`]: a fixed-size [`ActorRow`] per actor plus one text arena, plain arrays that a
//! mapped snapshot holds as they are, so that a France-wide directory of two million actors
//! stays small in memory and loads without parsing. [`Actor`] is a view of one of them.

use serde::{Deserialize, Serialize};

use super::commune::InseeCode;
use super::geodesy::LonLat;
use super::kinds::KindId;
use crate::util::slab::Slab;

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
    /// The id as an [`ActorTable`] stores it (cut to [`MAX_FIELD_BYTES`]).
    pub fn packed_id(&self) -> &str {
        clip(&self.id, MAX_FIELD_BYTES)
    }

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

// Text fields of an actor, in their order in the arena.
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
/// Longest text kept per field. No official source comes near it; a longer value is cut at a
/// character boundary.
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

/// The fixed-size part of a stored actor: one row of an [`ActorTable`], plain data so that a
/// table can be used in place in a mapped snapshot. Its text fields lie in the table's arena
/// from `text` on: for each non-empty field (bit set in `fields`), in field order, its byte
/// length as a LEB128 varint, then its UTF-8 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ActorRow {
    /// Longitude and latitude in degrees, NaN when unknown.
    lon: f64,
    lat: f64,
    /// Start of the actor's text in the arena.
    text: u32,
    /// [`NO_CAPACITY`] when unknown.
    capacity: u32,
    kind: u16,
    source: u16,
    /// Bit `i` set: text field `i` is not empty.
    fields: u16,
    precision: u8,
    /// INSEE code bytes, all zero when unknown.
    commune: [u8; 5],
    _pad: [u8; 4],
}

/// Rows are equal when their bytes are (an unknown position, NaN, equals itself).
impl PartialEq for ActorRow {
    fn eq(&self, other: &Self) -> bool {
        bytemuck::bytes_of(self) == bytemuck::bytes_of(other)
    }
}

/// Marks an unknown capacity; a published capacity is never that large.
const NO_CAPACITY: u32 = u32::MAX;

/// Every actor of a directory segment, as plain arrays: one [`ActorRow`] per actor and one
/// text arena. Both are [`Slab`]s, held in memory or in place in a mapped snapshot.
///
/// ```
/// use maillage::model::{ActorRecord, ActorTable, KindId, LonLat, Precision, SourceId};
/// let mut rec = ActorRecord::new("finess:810000505", "CH ALBI", KindId(1), SourceId(0));
/// rec.phone = Some("05 63 47 47 47".into());
/// rec.position = Some(LonLat::new(2.1486, 43.9289));
/// rec.precision = Precision::Address;
/// let table = ActorTable::from_records([&rec]);
/// let actor = table.get(0);
/// assert_eq!(actor.id(), "finess:810000505");
/// assert_eq!(actor.phone(), Some("05 63 47 47 47"));
/// assert_eq!(actor.email(), None);
/// assert_eq!(actor.position().unwrap().lat, 43.9289);
/// assert_eq!(actor.to_record(), rec);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActorTable {
    rows: Slab<ActorRow>,
    arena: Slab<u8>,
}

/// Why stored arrays do not make an actor table.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("acteur n° {row} : texte à l'octet {start}, hors de la zone de texte ({len} octets)")]
pub struct ActorTableError {
    row: usize,
    start: usize,
    len: usize,
}

/// Where a [`TableBuilder`] writes the actors' text: a growing vector, or a [`Region`] of an
/// arena shared by builders working in parallel.
trait ArenaOut {
    /// Offset in the whole arena of the next byte written.
    fn len(&self) -> usize;
    fn put(&mut self, bytes: &[u8]);
}

impl ArenaOut for Vec<u8> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The part of an arena from byte `base` on that one builder fills (see
/// [`ActorTable::from_records_in_order`]); sized by [`packed_bytes_bound`].
struct Region<'a> {
    bytes: &'a mut [u8],
    base: usize,
    used: usize,
}

impl ArenaOut for Region<'_> {
    fn len(&self) -> usize {
        self.base + self.used
    }
    fn put(&mut self, bytes: &[u8]) {
        self.bytes[self.used..self.used + bytes.len()].copy_from_slice(bytes);
        self.used += bytes.len();
    }
}

/// Builds an [`ActorTable`] one actor at a time.
#[derive(Default)]
struct TableBuilder<A = Vec<u8>> {
    rows: Vec<ActorRow>,
    arena: A,
}

impl<A: ArenaOut> TableBuilder<A> {
    fn start(&self) -> u32 {
        u32::try_from(self.arena.len()).expect("actor text arena above 4 GiB")
    }

    fn push_record(&mut self, r: &ActorRecord) {
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
        let text = self.start();
        let mut fields = 0u16;
        for (i, p) in parts.iter().enumerate() {
            let p = clip(p, MAX_FIELD_BYTES);
            if !p.is_empty() {
                fields |= 1 << i;
                push_varint(&mut self.arena, p.len());
                self.arena.put(p.as_bytes());
            }
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
        self.rows.push(ActorRow {
            lon,
            lat,
            text,
            capacity: r.capacity.map_or(NO_CAPACITY, |c| c.min(NO_CAPACITY - 1)),
            kind: r.kind.0,
            source: r.source.0,
            fields,
            precision: precision as u8,
            commune: r.commune.map_or([0; 5], InseeCode::to_bytes),
            _pad: [0; 4],
        });
    }
}

impl TableBuilder {
    /// Copies one actor of another table.
    fn push_actor(&mut self, a: Actor<'_>) {
        let mut row = *a.row;
        row.text = self.start();
        self.arena.extend_from_slice(a.text_bytes());
        self.rows.push(row);
    }

    fn finish(self) -> ActorTable {
        ActorTable {
            rows: Slab::from(self.rows),
            arena: Slab::from(self.arena),
        }
    }
}

/// At least the bytes [`TableBuilder::push_record`] adds to the arena for `r` (each field's
/// text and a length of at most 3 bytes), so that the arena is allocated once.
fn packed_bytes_bound(r: &ActorRecord) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, |s| s.len().min(MAX_FIELD_BYTES) + 3);
    let tags: usize = r.tags.iter().map(|t| t.len() + 1).sum();
    [&r.id, &r.name]
        .iter()
        .map(|s| s.len().min(MAX_FIELD_BYTES) + 3)
        .sum::<usize>()
        + [
            &r.source_code,
            &r.source_label,
            &r.address.number,
            &r.address.street,
            &r.address.postcode,
            &r.address.city,
            &r.phone,
            &r.email,
            &r.website,
            &r.hours,
        ]
        .iter()
        .map(|s| opt(s))
        .sum::<usize>()
        + tags.min(MAX_FIELD_BYTES)
        + 3
}

fn push_varint(out: &mut impl ArenaOut, mut v: usize) {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        bytes[n] = (v as u8) | 0x80;
        n += 1;
        v >>= 7;
    }
    bytes[n] = v as u8;
    out.put(&bytes[..=n]);
}

/// Reads a varint at `*pos`, moving past it; `None` past the end of `bytes`.
fn read_varint(bytes: &[u8], pos: &mut usize) -> Option<usize> {
    let mut v = 0usize;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        v |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 || shift > 28 {
            return Some(v);
        }
        shift += 7;
    }
}

impl ActorTable {
    /// Packs records, in their order.
    pub fn from_records<R: std::borrow::Borrow<ActorRecord>>(
        records: impl IntoIterator<Item = R>,
    ) -> ActorTable {
        let mut b = TableBuilder::default();
        for r in records {
            b.push_record(r.borrow());
        }
        b.finish()
    }

    /// Packs the records at positions `order` of `records`, in that order: sorts, splits or
    /// deduplicates records while packing them once (packing then [`ActorTable::select`]
    /// writes every actor twice, which at national scale costs a second of start-up). Large
    /// tables are packed on every core.
    pub fn from_records_in_order(records: &[ActorRecord], order: &[u32]) -> ActorTable {
        const PIECE_MIN: usize = 50_000;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pieces = order.len().div_ceil(PIECE_MIN).min(workers);
        ActorTable::packed_in_pieces(records, order, pieces)
    }

    /// [`ActorTable::from_records_in_order`] in `pieces` consecutive pieces of `order`, one
    /// thread each: every piece packs its records into its own region of one arena (sized by
    /// [`packed_bytes_bound`]), then the regions are moved together in place and the rows
    /// joined. The table is the one a single pass gives, byte for byte.
    fn packed_in_pieces(records: &[ActorRecord], order: &[u32], pieces: usize) -> ActorTable {
        let bound = |piece: &[u32]| -> usize {
            piece
                .iter()
                .map(|&i| packed_bytes_bound(&records[i as usize]))
                .sum()
        };
        if pieces <= 1 || order.len() < 2 {
            let mut b = TableBuilder {
                rows: Vec::with_capacity(order.len()),
                arena: Vec::with_capacity(bound(order)),
            };
            for &i in order {
                b.push_record(&records[i as usize]);
            }
            return b.finish();
        }
        let pieces: Vec<&[u32]> = order.chunks(order.len().div_ceil(pieces)).collect();
        let bounds: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = pieces.iter().map(|p| s.spawn(|| bound(p))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("packing thread"))
                .collect()
        });
        let mut arena = vec![0u8; bounds.iter().sum()];
        let mut regions = Vec::with_capacity(pieces.len());
        let (mut rest, mut base) = (&mut arena[..], 0);
        for &b in &bounds {
            let (bytes, tail) = rest.split_at_mut(b);
            regions.push(Region {
                bytes,
                base,
                used: 0,
            });
            rest = tail;
            base += b;
        }
        let total = order.len();
        let built: Vec<(Vec<ActorRow>, usize, usize)> = std::thread::scope(|s| {
            let handles: Vec<_> = pieces
                .iter()
                .zip(regions)
                .enumerate()
                .map(|(k, (piece, region))| {
                    s.spawn(move || {
                        // The first piece's rows receive every piece's.
                        let rows = Vec::with_capacity(if k == 0 { total } else { piece.len() });
                        let mut b = TableBuilder {
                            rows,
                            arena: region,
                        };
                        for &i in *piece {
                            b.push_record(&records[i as usize]);
                        }
                        (b.rows, b.arena.base, b.arena.used)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("packing thread"))
                .collect()
        });
        let mut rows: Vec<ActorRow> = Vec::new();
        let mut end = 0;
        for (k, (piece_rows, base, used)) in built.into_iter().enumerate() {
            arena.copy_within(base..base + used, end);
            let shift = u32::try_from(base - end).expect("actor text arena above 4 GiB");
            if k == 0 {
                rows = piece_rows;
            } else {
                rows.extend(piece_rows.into_iter().map(|mut r| {
                    r.text -= shift;
                    r
                }));
            }
            end += used;
        }
        arena.truncate(end);
        TableBuilder { rows, arena }.finish()
    }

    /// The actors at positions `order`, in that order (to sort, split or deduplicate a table).
    pub fn select(&self, order: &[u32]) -> ActorTable {
        let mut b = TableBuilder {
            rows: Vec::with_capacity(order.len()),
            arena: Vec::new(),
        };
        for &i in order {
            b.push_actor(self.get(i as usize));
        }
        b.finish()
    }

    /// A table from stored arrays (as [`ActorTable::parts`] gave them), checked so that every
    /// row's text starts inside the arena.
    pub fn from_parts(rows: Slab<ActorRow>, arena: Slab<u8>) -> Result<Self, ActorTableError> {
        let len = arena.len();
        if let Some((row, r)) = rows.find(|r| r.text as usize > len) {
            return Err(ActorTableError {
                row,
                start: r.text as usize,
                len,
            });
        }
        Ok(ActorTable { rows, arena })
    }

    /// The rows and the text arena, to store them.
    pub fn parts(&self) -> (&Slab<ActorRow>, &Slab<u8>) {
        (&self.rows, &self.arena)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The actor at position `i`. Panics when out of range.
    pub fn get(&self, i: usize) -> Actor<'_> {
        Actor {
            row: &self.rows[i],
            arena: &self.arena,
        }
    }

    pub fn iter(&self) -> ActorIter<'_> {
        ActorIter {
            table: self,
            next: 0,
        }
    }

    /// Position of the actor with this id, in a table sorted by id.
    pub fn find(&self, id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).id().cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Heap bytes of the rows (none when mapped).
    pub fn rows_heap_bytes(&self) -> usize {
        self.rows.heap_bytes()
    }

    /// Heap bytes of the text arena (none when mapped).
    pub fn arena_heap_bytes(&self) -> usize {
        self.arena.heap_bytes()
    }
}

/// The actors of a table, in order.
#[derive(Clone)]
pub struct ActorIter<'a> {
    table: &'a ActorTable,
    next: usize,
}

impl<'a> Iterator for ActorIter<'a> {
    type Item = Actor<'a>;
    fn next(&mut self) -> Option<Actor<'a>> {
        (self.next < self.table.len()).then(|| {
            self.next += 1;
            self.table.get(self.next - 1)
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.table.len() - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ActorIter<'_> {}

impl<'a> IntoIterator for &'a ActorTable {
    type Item = Actor<'a>;
    type IntoIter = ActorIter<'a>;
    fn into_iter(self) -> ActorIter<'a> {
        self.iter()
    }
}

/// One actor of an [`ActorTable`]: a small copyable view of its row and text.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    row: &'a ActorRow,
    arena: &'a [u8],
}

impl std::fmt::Debug for Actor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_record().fmt(f)
    }
}

impl PartialEq for Actor<'_> {
    fn eq(&self, other: &Self) -> bool {
        // Where the text lies in its arena does not matter.
        let (mut a, mut b) = (*self.row, *other.row);
        (a.text, b.text) = (0, 0);
        a == b && self.text_bytes() == other.text_bytes()
    }
}

impl<'a> Actor<'a> {
    /// Walks the text fields: (field number, bytes) of each non-empty one, and the end.
    fn walk(&self, mut f: impl FnMut(usize, &'a [u8]) -> bool) -> usize {
        let arena = self.arena;
        let mut pos = self.row.text as usize;
        for i in 0..FIELDS {
            if self.row.fields & (1 << i) == 0 {
                continue;
            }
            let Some(len) = read_varint(arena, &mut pos) else {
                return pos;
            };
            let end = (pos + len).min(arena.len());
            let bytes = &arena[pos.min(end)..end];
            pos = end;
            if !f(i, bytes) {
                break;
            }
        }
        pos
    }

    /// The actor's bytes in the arena (length prefixes and text).
    fn text_bytes(&self) -> &'a [u8] {
        let start = (self.row.text as usize).min(self.arena.len());
        let end = self.walk(|_, _| true).max(start);
        &self.arena[start..end]
    }

    fn opt(&self, i: usize) -> Option<&'a str> {
        if self.row.fields & (1 << i) == 0 {
            return None;
        }
        let mut found: &'a [u8] = &[];
        self.walk(|j, bytes| {
            if j == i {
                found = bytes;
            }
            j < i
        });
        // Written from `&str`; a damaged arena reads as empty text, never as invalid UTF-8.
        std::str::from_utf8(found).ok().filter(|s| !s.is_empty())
    }

    fn field(&self, i: usize) -> &'a str {
        self.opt(i).unwrap_or("")
    }

    pub fn id(&self) -> &'a str {
        self.field(F_ID)
    }
    pub fn name(&self) -> &'a str {
        self.field(F_NAME)
    }
    pub fn kind(&self) -> KindId {
        KindId(self.row.kind)
    }
    pub fn source(&self) -> SourceId {
        SourceId(self.row.source)
    }
    pub fn source_code(&self) -> Option<&'a str> {
        self.opt(F_SOURCE_CODE)
    }
    pub fn source_label(&self) -> Option<&'a str> {
        self.opt(F_SOURCE_LABEL)
    }
    pub fn number(&self) -> Option<&'a str> {
        self.opt(F_NUMBER)
    }
    pub fn street(&self) -> Option<&'a str> {
        self.opt(F_STREET)
    }
    pub fn postcode(&self) -> Option<&'a str> {
        self.opt(F_POSTCODE)
    }
    pub fn city(&self) -> Option<&'a str> {
        self.opt(F_CITY)
    }
    pub fn phone(&self) -> Option<&'a str> {
        self.opt(F_PHONE)
    }
    pub fn email(&self) -> Option<&'a str> {
        self.opt(F_EMAIL)
    }
    pub fn website(&self) -> Option<&'a str> {
        self.opt(F_WEBSITE)
    }
    pub fn hours(&self) -> Option<&'a str> {
        self.opt(F_HOURS)
    }
    pub fn tags(&self) -> impl Iterator<Item = &'a str> {
        self.field(F_TAGS).split(TAG_SEP).filter(|t| !t.is_empty())
    }
    pub fn commune(&self) -> Option<InseeCode> {
        let c = self.row.commune;
        (c != [0; 5]).then(|| InseeCode::from_stored_bytes(c))
    }
    pub fn capacity(&self) -> Option<u32> {
        let c = self.row.capacity;
        (c != NO_CAPACITY).then_some(c)
    }
    pub fn precision(&self) -> Precision {
        Precision::from_u8(self.row.precision)
    }

    /// WGS84 position, when known.
    pub fn position(&self) -> Option<LonLat> {
        (!self.row.lon.is_nan()).then_some(LonLat::new(self.row.lon, self.row.lat))
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
            kind: self.kind(),
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
            source: self.source(),
            tags: self.tags().map(str::to_string).collect(),
        }
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
            let t = ActorTable::from_records([&r]);
            prop_assert_eq!(t.get(0).to_record(), r);
        }
    }

    #[test]
    fn invalid_position_becomes_unknown() {
        let mut r = ActorRecord::new("x:1", "X", KindId(0), SourceId(0));
        r.position = Some(LonLat::new(f64::NAN, 2.0));
        r.precision = Precision::Address;
        let t = ActorTable::from_records([r]);
        let a = t.get(0);
        assert_eq!(a.position(), None);
        assert_eq!(a.precision(), Precision::Unknown);
    }

    #[test]
    fn overlong_fields_are_clipped_at_a_char_boundary() {
        let mut r = ActorRecord::new("x:1", "é".repeat(5000), KindId(0), SourceId(0));
        r.hours = Some("h".repeat(10_000));
        let t = ActorTable::from_records([r]);
        let a = t.get(0);
        assert_eq!(a.name().len(), MAX_FIELD_BYTES);
        assert_eq!(a.hours().unwrap().len(), MAX_FIELD_BYTES);
        assert_eq!(a.id(), "x:1");
    }

    #[test]
    fn a_row_takes_40_bytes_and_empty_fields_no_text() {
        assert_eq!(std::mem::size_of::<ActorRow>(), 40);
        let r = ActorRecord::new("x:1", "N", KindId(0), SourceId(0));
        let t = ActorTable::from_records([&r]);
        // Two length bytes and the two non-empty fields.
        assert_eq!(t.parts().1.len(), 2 + 3 + 1);
    }

    /// Packing records in a given order is packing them all then selecting that order, and
    /// the arena's size is bounded in advance (one allocation), clipped fields included.
    #[test]
    fn records_packed_in_order_are_the_selected_table() {
        let mut a = ActorRecord::new("b:1", "Bé", KindId(1), SourceId(0));
        a.tags = vec!["x".into(), "y".repeat(5000)];
        a.hours = Some("é".repeat(3000));
        a.address.city = Some("Albi".into());
        let b = ActorRecord::new("a:1", "A", KindId(2), SourceId(1));
        let c = ActorRecord::new("", "", KindId(0), SourceId(2));
        let records = [a, b, c];
        for order in [&[1u32, 0, 2][..], &[2, 2, 0], &[], &[0]] {
            let packed = ActorTable::from_records_in_order(&records, order);
            assert_eq!(packed, ActorTable::from_records(&records).select(order));
            let bound: usize = order
                .iter()
                .map(|&i| packed_bytes_bound(&records[i as usize]))
                .sum();
            assert!(
                packed.arena.len() <= bound,
                "{} > {bound}",
                packed.arena.len()
            );
        }
    }

    /// Packed on several threads, in pieces, the table is the one a single pass packs, byte
    /// for byte (rows, text offsets and arena), whatever the number of pieces.
    #[test]
    fn records_packed_in_pieces_are_the_table_of_one_pass() {
        let records: Vec<ActorRecord> = (0..40)
            .map(|i| {
                let mut r = ActorRecord::new(
                    format!("x:{i}"),
                    "é".repeat(i * 37 % 300),
                    KindId(i as u16 % 3),
                    SourceId(0),
                );
                if i % 3 == 0 {
                    r.tags = vec!["t".into(), "z".repeat(i * 211)];
                }
                if i % 4 == 1 {
                    r.hours = Some("h".repeat(i * 150));
                    r.capacity = Some(i as u32);
                }
                r
            })
            .collect();
        let order: Vec<u32> = (0..60).map(|i| (i * 7 % 40) as u32).collect();
        let want = ActorTable::packed_in_pieces(&records, &order, 1);
        assert_eq!(want, ActorTable::from_records(&records).select(&order));
        for pieces in 2..=9 {
            let got = ActorTable::packed_in_pieces(&records, &order, pieces);
            assert_eq!(got.rows, want.rows, "{pieces} pieces");
            assert_eq!(got.arena, want.arena, "{pieces} pieces");
        }
        assert_eq!(
            ActorTable::packed_in_pieces(&records, &[], 3),
            ActorTable::default()
        );
    }

    #[test]
    fn select_reorders_and_copies_whole_actors() {
        let mut a = ActorRecord::new("b:1", "Bé", KindId(1), SourceId(0));
        a.tags = vec!["x".into(), "y".into()];
        a.hours = Some("h".repeat(300));
        let b = ActorRecord::new("a:1", "A", KindId(2), SourceId(1));
        let t = ActorTable::from_records([&a, &b]);
        let s = t.select(&[1, 0, 1]);
        let back: Vec<ActorRecord> = s.iter().map(|x| x.to_record()).collect();
        assert_eq!(back, [b.clone(), a, b]);
        assert_eq!(s.get(0), t.get(1));
        assert_eq!(t.select(&[1, 0]).find("b:1"), Some(1));
        assert_eq!(t.select(&[1, 0]).find("c:1"), None);
    }

    #[test]
    fn parts_whose_text_lies_outside_the_arena_are_refused() {
        let r = ActorRecord::new("x:1", "N", KindId(0), SourceId(0));
        let t = ActorTable::from_records([&r, &r]);
        let (rows, arena) = t.parts();
        let short = Slab::from(arena[..3].to_vec());
        let err = ActorTable::from_parts(rows.clone(), short).unwrap_err();
        assert_eq!(
            err.to_string(),
            "acteur n° 1 : texte à l'octet 6, hors de la zone de texte (3 octets)"
        );
        assert_eq!(
            ActorTable::from_parts(rows.clone(), arena.clone()).unwrap(),
            t
        );
    }

    #[test]
    fn commune_and_capacity_survive_packing_present_or_absent() {
        let mut r = ActorRecord::new("x:1", "n", KindId(0), SourceId(0));
        let t = ActorTable::from_records([&r]);
        let a = t.get(0);
        assert_eq!((a.commune(), a.capacity()), (None, None));
        r.commune = Some("2A004".parse().unwrap());
        r.capacity = Some(0);
        let t = ActorTable::from_records([&r]);
        let a = t.get(0);
        assert_eq!(a.commune().map(|c| c.to_string()), Some("2A004".into()));
        assert_eq!(a.capacity(), Some(0));
        assert_eq!(a.to_record(), r);
    }
}
