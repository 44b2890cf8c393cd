//! The snapshot file written by `maillage instantane` (`build-index`), so that a server
//! restarts without parsing, deduplicating and indexing the national files again.
//!
//! A snapshot is laid out to be used in place: the server maps it, checks it and serves from
//! its arrays (actor rows and their text, text index) without copying them; the pages are
//! shared by every process that maps the same file. What is small (kinds, communes with their
//! outlines, territories, equipment counts, service areas, former communes, local actors and
//! the per-file load reports, rejected rows included, so that nothing reported at load time is
//! lost) is one section decoded normally.
//!
//! Format (little-endian): the 8 bytes `MAILLAGE`, a `u32` format version, a `u32` section
//! count, the CRC-32 of the section table, 4 zero bytes; then the section table, one entry of
//! 24 bytes per section (`u64` offset, `u64` length, CRC-32 of the section, 4 zero bytes); then
//! the sections, each starting at a multiple of [`ALIGN`] bytes. Section 0 holds the small
//! parts: strings are a `u32` byte length and UTF-8 bytes (a file's format is its importer id);
//! an absent value is a `0` byte, a present one a `1` byte and the value; a list is a `u32`
//! count and its items. The other sections are arrays of plain values, read in place (see
//! [`crate::util::slab`]); their meaning belongs to the directory that wrote them. The file is
//! written to a temporary name, synced, then renamed: a crash never leaves a half-written
//! snapshot in place, and a mapped snapshot is never changed under its readers.
//!
//! Checking: [`open`] verifies the checksum of every section before anything in the file is
//! used, then the directory checks every value it will use as an index (see
//! `index::directory::snapshot`). Both passes read the file through `pread`
//! ([`Mapped::read_chunks`], [`Slab::find`]), not through the map, and the small parts are
//! decoded from a copy read the same way: the file goes through the page cache (shared by
//! every process, kept or dropped by the kernel like any cached file) without becoming
//! resident memory of this process, which then maps only the pages it uses (the actors whose
//! service areas it indexes, then what queries read). On all of France (542 MB, file in the
//! page cache) a fresh process opens it faster than when every page was faulted in through
//! the map (0.32–0.39 s against 0.49–0.98 s on 2 busy cores), though copying through `pread`
//! costs more than reading pages already mapped: the checksums are computed on two threads.
//! The pages of the file resident once ready fall from the whole file to about 25 MB (the
//! rows and texts of the town halls and CCAS); a warm server maps more as queries read rows
//! and texts (`cargo bench --bench load` prints both).
//! Verifying lazily, on a section's first use, would let a query read bytes not yet
//! checked (or make every access test a flag): the simplest sound design is kept.
//!
//! ```
//! use maillage::sources::{demo, snapshot};
//! let ds = demo::dataset().unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("tarn.idx");
//! snapshot::write(&path, &ds, &[&[1u8, 2, 3][..]]).unwrap();
//! let back = snapshot::open(&path).unwrap();
//! assert_eq!(back.dataset.actors, ds.actors);
//! assert_eq!(back.dataset.communes, ds.communes);
//! assert_eq!(&back.array::<u8>(0).unwrap()[..], &[1, 2, 3]);
//! ```

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::report::Rejection;
use super::zones::ServiceAreaRecord;
use super::{Dataset, EquipmentCount, FileReport, Format, SourceError};
use crate::model::{
    ActorRecord, Address, Commune, InseeCode, Kind, KindId, KindTable, LonLat, Precision, Sector,
    ServiceArea, SourceId, Territory, TerritoryKind,
};
use crate::util::slab::{Mapped, Slab, ALIGN, CHUNK};

const MAGIC: &[u8; 8] = b"MAILLAGE";
/// Bumped whenever the layout changes; an older or newer file is refused with a clear message.
/// Version 2 added former communes; version 3 stores a file's format by its importer id
/// (`finess`), no longer by its rank; version 4 stores each file's ignored-line count;
/// version 5 is laid out in checksummed sections used in place; version 6 adds the trees and
/// lists of the official actors (point tree, per-kind trees, kind, commune and alias lists).
pub const VERSION: u32 = 6;
const HEADER: usize = 24;
const ENTRY: usize = 24;

const SECTORS: [Sector; 3] = [Sector::Sanitaire, Sector::MedicoSocial, Sector::Social];
const TERRITORY_KINDS: [TerritoryKind; 4] = [
    TerritoryKind::Cpts,
    TerritoryKind::Epci,
    TerritoryKind::Departement,
    TerritoryKind::Other,
];
const PRECISIONS: [Precision; 4] = [
    Precision::Address,
    Precision::Street,
    Precision::Commune,
    Precision::Unknown,
];

fn position<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter()
        .position(|x| x == v)
        .expect("every variant is listed") as u8
}

/// Writes a snapshot atomically: the small parts of `ds`, then `arrays` (each the bytes of an
/// array of plain values); returns the number of bytes written.
pub fn write(path: &Path, ds: &Dataset, arrays: &[&[u8]]) -> Result<u64, SourceError> {
    let name = path.display().to_string();
    let io = |source| SourceError::Io {
        path: name.clone(),
        source,
    };
    let mut small = Writer {
        out: Vec::new(),
        written: 0,
    };
    encode(ds, &mut small).map_err(io)?;
    let mut sections: Vec<&[u8]> = vec![&small.out];
    sections.extend_from_slice(arrays);
    let padded = |n: usize| n.div_ceil(ALIGN) * ALIGN;
    let mut table = Vec::with_capacity(sections.len() * ENTRY);
    let mut offset = padded(HEADER + sections.len() * ENTRY);
    let first = offset;
    for s in &sections {
        table.extend_from_slice(&(offset as u64).to_le_bytes());
        table.extend_from_slice(&(s.len() as u64).to_le_bytes());
        table.extend_from_slice(&crc32fast::hash(s).to_le_bytes());
        table.extend_from_slice(&[0; 4]);
        offset = padded(offset + s.len());
    }
    crate::util::fs::write_atomic_with(path, io, |out| {
        let mut w = Writer { out, written: 0 };
        w.bytes(MAGIC).map_err(io)?;
        w.u32(VERSION).map_err(io)?;
        w.len(sections.len()).map_err(io)?;
        w.u32(crc32fast::hash(&table)).map_err(io)?;
        w.bytes(&[0; 4]).map_err(io)?;
        w.bytes(&table).map_err(io)?;
        w.bytes(&vec![0; first - w.written as usize]).map_err(io)?;
        for s in &sections {
            w.bytes(s).map_err(io)?;
            let pad = padded(w.written as usize) - w.written as usize;
            w.bytes(&[0; ALIGN][..pad]).map_err(io)?;
        }
        Ok(w.written)
    })
}

/// A snapshot mapped and checked: its small parts decoded, its arrays ready to be viewed in
/// place.
#[derive(Debug)]
pub struct Snapshot {
    /// The small parts (section 0).
    pub dataset: Dataset,
    map: Arc<Mapped>,
    arrays: Vec<Range<usize>>,
    name: String,
}

impl Snapshot {
    /// Number of arrays after the small parts.
    pub fn arrays(&self) -> usize {
        self.arrays.len()
    }

    /// Array `i` (0 = the first after the small parts) viewed in place.
    pub fn array<T: bytemuck::Pod>(&self, i: usize) -> Result<Slab<T>, SourceError> {
        let range = self
            .arrays
            .get(i)
            .cloned()
            .ok_or_else(|| self.invalid(format!("section {} absente", i + 1)))?;
        Slab::mapped(&self.map, range).map_err(|e| self.invalid(format!("section {} : {e}", i + 1)))
    }

    /// An error naming the file, for a content the reader finds inconsistent.
    pub fn invalid(&self, detail: String) -> SourceError {
        SourceError::Invalid {
            file: self.name.clone(),
            detail: format!("instantané illisible : {detail}"),
        }
    }
}

/// Maps a snapshot written by [`write`], checks its header, section table and checksums, and
/// decodes its small parts. A file of another version, truncated or damaged is refused with
/// a message saying what is wrong.
pub fn open(path: &Path) -> Result<Snapshot, SourceError> {
    let name = path.display().to_string();
    let map = Mapped::open(path).map_err(|source| SourceError::Io {
        path: name.clone(),
        source,
    })?;
    let invalid = |detail: String| SourceError::Invalid {
        file: name.clone(),
        detail,
    };
    let t = std::time::Instant::now();
    let sections = sections(&map).map_err(invalid)?;
    tracing::debug!(
        "sommes de contrôle de l'instantané vérifiées en {:.3} s",
        t.elapsed().as_secs_f64()
    );
    // Decoded from a copy: the map's pages would stay resident after decoding.
    let small = map.read(sections[0].clone());
    let mut r = Reader {
        buf: &small,
        pos: 0,
        section: "types d'acteurs",
    };
    let dataset = decode(&mut r).map_err(invalid)?;
    drop(small);
    tracing::debug!("petites parties lues à {:.3} s", t.elapsed().as_secs_f64());
    let arrays = sections[1..].to_vec();
    Ok(Snapshot {
        dataset,
        map: Arc::new(map),
        arrays,
        name,
    })
}

/// Reads the small parts of a snapshot (its arrays are left aside).
pub fn read(path: &Path) -> Result<Dataset, SourceError> {
    open(path).map(|s| s.dataset)
}

/// The byte ranges of the sections, after checking the header, the table and every checksum
/// (the sections are read through the file, not the map: see the module docs).
fn sections(map: &Mapped) -> Result<Vec<Range<usize>>, String> {
    let bytes = map.bytes();
    let rebuild = "refaites-le avec « maillage build-index »";
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(
            "ce n'est pas un instantané maillage (il commence par « MAILLAGE » et se \
             crée avec « maillage build-index »)"
                .into(),
        );
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let version = u32_at(8);
    if version != VERSION {
        return Err(format!(
            "instantané au format {version}, cette version de maillage lit le format {VERSION} : \
             {rebuild}"
        ));
    }
    let truncated = |what: &str| {
        format!("instantané illisible : {what} tronqué (fichier incomplet ?) ; {rebuild}")
    };
    if bytes.len() < HEADER {
        return Err(truncated("en-tête"));
    }
    let count = u32_at(12) as usize;
    let table_end = count
        .checked_mul(ENTRY)
        .and_then(|n| n.checked_add(HEADER))
        .filter(|&e| e <= bytes.len() && count > 0)
        .ok_or_else(|| truncated("table des sections"))?;
    if crc32fast::hash(&bytes[HEADER..table_end]) != u32_at(16) {
        return Err(format!(
            "instantané abîmé : la table des sections ne correspond pas à sa somme de contrôle ; \
             {rebuild}"
        ));
    }
    let mut out = Vec::with_capacity(count);
    let mut previous_end = table_end;
    for i in 0..count {
        let at = HEADER + i * ENTRY;
        let (start, len) = (u64_at(at) as usize, u64_at(at + 8) as usize);
        let end = start.saturating_add(len);
        if end > bytes.len() {
            return Err(truncated(&format!("section {i}")));
        }
        if start < previous_end || start % ALIGN != 0 {
            return Err(format!(
                "instantané abîmé : section {i} mal placée (octet {start}) ; {rebuild}"
            ));
        }
        previous_end = end;
        out.push(start..end);
    }
    let found = checksums(map, &out);
    if let Some(i) = (0..count).find(|&i| found[i] != u32_at(HEADER + i * ENTRY + 16)) {
        let Range { start, end } = out[i];
        return Err(format!(
            "instantané abîmé : la section {i} (octets {start} à {end}) ne correspond pas à sa \
             somme de contrôle ; {rebuild}"
        ));
    }
    Ok(out)
}

/// The CRC-32 of each range of the file, read through the file ([`Mapped::read_chunks`]) on
/// two threads, the largest ranges first, each to the thread with fewer bytes to read: copying
/// the file out of the page cache is the longest part of opening a large snapshot.
fn checksums(map: &Mapped, ranges: &[Range<usize>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..ranges.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(ranges[i].len()));
    let mut shares: [(usize, Vec<usize>); 2] = Default::default();
    for i in order {
        let share = if shares[0].0 <= shares[1].0 { 0 } else { 1 };
        shares[share].0 += ranges[i].len();
        shares[share].1.push(i);
    }
    let crcs = |list: &[usize]| -> Vec<(usize, u32)> {
        let mut buf = vec![0u8; CHUNK];
        list.iter()
            .map(|&i| {
                let mut crc = crc32fast::Hasher::new();
                let _ = map.read_chunks(ranges[i].clone(), &mut buf, |piece| {
                    crc.update(piece);
                    Ok::<(), ()>(())
                });
                (i, crc.finalize())
            })
            .collect()
    };
    let [(_, first), (_, second)] = &shares;
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| crcs(second));
        let a = crcs(first);
        // A panic there is one here.
        (
            a,
            other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    let mut out = vec![0; ranges.len()];
    for (i, crc) in a.into_iter().chain(b) {
        out[i] = crc;
    }
    out
}

fn encode<W: Write>(ds: &Dataset, w: &mut Writer<W>) -> std::io::Result<()> {
    let kinds: Vec<&Kind> = ds.kinds.iter().map(|(_, k)| k).collect();
    w.len(kinds.len())?;
    for k in kinds {
        w.str(&k.id)?;
        w.str(&k.label)?;
        w.u8(position(&SECTORS, &k.sector))?;
        w.strs(&k.source_codes)?;
    }

    w.len(ds.actors.len())?;
    for a in &ds.actors {
        w.str(&a.id)?;
        w.str(&a.name)?;
        w.u16(a.kind.0)?;
        w.opt_str(&a.source_code)?;
        w.opt_str(&a.source_label)?;
        w.opt_str(&a.address.number)?;
        w.opt_str(&a.address.street)?;
        w.opt_str(&a.address.postcode)?;
        w.opt_str(&a.address.city)?;
        w.opt_code(a.commune)?;
        match a.position {
            Some(p) => {
                w.u8(1)?;
                w.f64(p.lon)?;
                w.f64(p.lat)?;
            }
            None => w.u8(0)?,
        }
        w.u8(position(&PRECISIONS, &a.precision))?;
        w.opt_str(&a.phone)?;
        w.opt_str(&a.email)?;
        w.opt_str(&a.website)?;
        w.opt_str(&a.hours)?;
        match a.capacity {
            Some(c) => {
                w.u8(1)?;
                w.u32(c)?;
            }
            None => w.u8(0)?,
        }
        w.u16(a.source.0)?;
        w.strs(&a.tags)?;
    }

    w.len(ds.communes.len())?;
    for c in &ds.communes {
        w.code(c.code)?;
        w.str(&c.name)?;
        w.opt_u64(c.population)?;
        w.multipolygon(&c.geometry)?;
        w.str(&c.departement)?;
        w.opt_str(&c.epci)?;
        w.strs(&c.postcodes)?;
    }

    w.len(ds.territories.len())?;
    for t in &ds.territories {
        w.str(&t.id)?;
        w.str(&t.name)?;
        w.u8(position(&TERRITORY_KINDS, &t.kind))?;
        w.codes(&t.communes)?;
        w.opt_u64(t.declared_population)?;
    }

    w.len(ds.equipment_counts.len())?;
    for e in &ds.equipment_counts {
        w.code(e.commune)?;
        w.str(&e.typequ)?;
        match e.kind {
            Some(k) => {
                w.u8(1)?;
                w.u16(k.0)?;
            }
            None => w.u8(0)?,
        }
        w.u32(e.count)?;
        match e.year {
            Some(y) => {
                w.u8(1)?;
                w.u16(y)?;
            }
            None => w.u8(0)?,
        }
    }

    w.len(ds.service_areas.len())?;
    for s in &ds.service_areas {
        w.str(&s.actor)?;
        match &s.area {
            ServiceArea::Communes(codes) => {
                w.u8(0)?;
                w.codes(codes)?;
            }
            ServiceArea::Epci(siren) => {
                w.u8(1)?;
                w.str(siren)?;
            }
            ServiceArea::Departement(d) => {
                w.u8(2)?;
                w.str(d)?;
            }
            ServiceArea::Territory(t) => {
                w.u8(3)?;
                w.str(t)?;
            }
            ServiceArea::Polygon(mp) => {
                w.u8(4)?;
                w.multipolygon(mp)?;
            }
        }
        w.str(&s.file)?;
        w.u64(s.line as u64)?;
    }

    w.len(ds.former_communes.len())?;
    for f in &ds.former_communes {
        w.code(f.code)?;
        w.str(&f.name)?;
        w.code(f.successor)?;
    }

    w.len(ds.reports.len())?;
    for r in &ds.reports {
        w.str(&r.file)?;
        w.str(r.format.id())?;
        w.str(&r.source_name)?;
        w.opt_str(&r.source_date)?;
        w.u8(u8::from(r.sample))?;
        w.u64(r.accepted as u64)?;
        w.u64(r.rejected as u64)?;
        w.u64(r.ignored as u64)?;
        w.len(r.rejections.len())?;
        for j in &r.rejections {
            w.str(&j.file)?;
            w.u64(j.line as u64)?;
            w.str(&j.field)?;
            w.str(&j.expected)?;
            w.str(&j.found)?;
        }
        w.strs(&r.notes)?;
    }
    Ok(())
}

fn decode(r: &mut Reader) -> Result<Dataset, String> {
    r.section = "types d'acteurs";
    let n = r.len()?;
    let mut kinds = Vec::with_capacity(n);
    for _ in 0..n {
        kinds.push(Kind {
            id: r.string()?,
            label: r.string()?,
            sector: r.pick(&SECTORS, "secteur")?,
            source_codes: r.strings()?,
        });
    }
    let kinds = KindTable::from_kinds(kinds);

    r.section = "acteurs";
    let n = r.len()?;
    let mut actors = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.string()?;
        let name = r.string()?;
        let kind = KindId(r.u16()?);
        if kind.0 as usize >= kinds.len() {
            return Err(format!("acteur {id} : type n° {} inconnu", kind.0));
        }
        let mut a = ActorRecord::new(id, name, kind, SourceId(0));
        a.source_code = r.opt_string()?;
        a.source_label = r.opt_string()?;
        a.address = Address {
            number: r.opt_string()?,
            street: r.opt_string()?,
            postcode: r.opt_string()?,
            city: r.opt_string()?,
        };
        a.commune = r.opt_code()?;
        a.position = if r.flag()? {
            let lon = r.f64()?;
            let lat = r.f64()?;
            Some(LonLat::new(lon, lat))
        } else {
            None
        };
        a.precision = r.pick(&PRECISIONS, "précision")?;
        a.phone = r.opt_string()?;
        a.email = r.opt_string()?;
        a.website = r.opt_string()?;
        a.hours = r.opt_string()?;
        a.capacity = if r.flag()? { Some(r.u32()?) } else { None };
        a.source = SourceId(r.u16()?);
        a.tags = r.strings()?;
        actors.push(a);
    }

    r.section = "communes";
    let n = r.len()?;
    let mut communes = Vec::with_capacity(n);
    for _ in 0..n {
        let code = r.code()?;
        let mut c = Commune::new(code, r.string()?);
        c.population = r.opt_u64()?;
        c.geometry = r.multipolygon()?;
        c.departement = r.string()?;
        c.epci = r.opt_string()?;
        c.postcodes = r.strings()?;
        communes.push(c);
    }

    r.section = "territoires";
    let n = r.len()?;
    let mut territories = Vec::with_capacity(n);
    for _ in 0..n {
        territories.push(Territory {
            id: r.string()?,
            name: r.string()?,
            kind: r.pick(&TERRITORY_KINDS, "type de territoire")?,
            communes: r.codes()?,
            declared_population: r.opt_u64()?,
        });
    }

    r.section = "équipements par commune";
    let n = r.len()?;
    let mut equipment_counts = Vec::with_capacity(n);
    for _ in 0..n {
        equipment_counts.push(EquipmentCount {
            commune: r.code()?,
            typequ: r.string()?,
            kind: if r.flag()? {
                Some(KindId(r.u16()?))
            } else {
                None
            },
            count: r.u32()?,
            year: if r.flag()? { Some(r.u16()?) } else { None },
        });
    }

    r.section = "zones d'intervention";
    let n = r.len()?;
    let mut service_areas = Vec::with_capacity(n);
    for _ in 0..n {
        let actor = r.string()?;
        let area = match r.u8()? {
            0 => ServiceArea::Communes(r.codes()?),
            1 => ServiceArea::Epci(r.string()?),
            2 => ServiceArea::Departement(r.string()?),
            3 => ServiceArea::Territory(r.string()?),
            4 => ServiceArea::Polygon(r.multipolygon()?),
            v => return Err(r.error(&format!("type de zone n° {v} inconnu"))),
        };
        service_areas.push(ServiceAreaRecord {
            actor,
            area,
            file: r.string()?,
            line: r.u64()? as usize,
        });
    }

    r.section = "communes fusionnées";
    let n = r.len()?;
    let mut former_communes = Vec::with_capacity(n);
    for _ in 0..n {
        former_communes.push(crate::model::place::FormerCommune {
            code: r.code()?,
            name: r.string()?,
            successor: r.code()?,
        });
    }

    r.section = "rapports de chargement";
    let n = r.len()?;
    let mut reports = Vec::with_capacity(n);
    for _ in 0..n {
        let file = r.string()?;
        let id = r.string()?;
        let format = Format::from_id(&id).ok_or_else(|| {
            r.error(&format!(
                "format de fichier « {id} » inconnu de cette version de maillage : refaites \
                 l'instantané avec « maillage build-index »"
            ))
        })?;
        let mut rep = FileReport::new(file, format);
        rep.source_name = r.string()?;
        rep.source_date = r.opt_string()?;
        rep.sample = r.flag()?;
        rep.accepted = r.u64()? as usize;
        rep.rejected = r.u64()? as usize;
        rep.ignored = r.u64()? as usize;
        let m = r.len()?;
        for _ in 0..m {
            rep.rejections.push(Rejection {
                file: r.string()?,
                line: r.u64()? as usize,
                field: r.string()?,
                expected: r.string()?,
                found: r.string()?,
            });
        }
        rep.notes = r.strings()?;
        reports.push(rep);
    }

    r.section = "fin des parties";
    if r.pos != r.buf.len() {
        return Err(r.error("données en trop"));
    }
    Ok(Dataset {
        kinds,
        actors,
        communes,
        territories,
        equipment_counts,
        service_areas,
        reports,
        former_communes,
        ..Dataset::default()
    })
}

struct Writer<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> Writer<W> {
    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.written += b.len() as u64;
        self.out.write_all(b)
    }
    fn u8(&mut self, v: u8) -> std::io::Result<()> {
        self.bytes(&[v])
    }
    fn u16(&mut self, v: u16) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    fn f64(&mut self, v: f64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }
    fn len(&mut self, n: usize) -> std::io::Result<()> {
        let n = u32::try_from(n).map_err(|_| std::io::Error::other("liste trop longue"))?;
        self.u32(n)
    }
    fn str(&mut self, s: &str) -> std::io::Result<()> {
        self.len(s.len())?;
        self.bytes(s.as_bytes())
    }
    fn opt_str(&mut self, s: &Option<String>) -> std::io::Result<()> {
        match s {
            Some(s) => {
                self.u8(1)?;
                self.str(s)
            }
            None => self.u8(0),
        }
    }
    fn strs(&mut self, v: &[String]) -> std::io::Result<()> {
        self.len(v.len())?;
        v.iter().try_for_each(|s| self.str(s))
    }
    fn opt_u64(&mut self, v: Option<u64>) -> std::io::Result<()> {
        match v {
            Some(v) => {
                self.u8(1)?;
                self.u64(v)
            }
            None => self.u8(0),
        }
    }
    fn code(&mut self, c: InseeCode) -> std::io::Result<()> {
        self.bytes(c.as_str().as_bytes())
    }
    fn opt_code(&mut self, c: Option<InseeCode>) -> std::io::Result<()> {
        match c {
            Some(c) => {
                self.u8(1)?;
                self.code(c)
            }
            None => self.u8(0),
        }
    }
    fn codes(&mut self, v: &[InseeCode]) -> std::io::Result<()> {
        self.len(v.len())?;
        v.iter().try_for_each(|c| self.code(*c))
    }
    fn ring(&mut self, ring: &LineString<f64>) -> std::io::Result<()> {
        self.len(ring.0.len())?;
        for c in &ring.0 {
            self.f64(c.x)?;
            self.f64(c.y)?;
        }
        Ok(())
    }
    fn multipolygon(&mut self, mp: &MultiPolygon<f64>) -> std::io::Result<()> {
        self.len(mp.0.len())?;
        for p in &mp.0 {
            self.ring(p.exterior())?;
            self.len(p.interiors().len())?;
            p.interiors().iter().try_for_each(|r| self.ring(r))?;
        }
        Ok(())
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Section being read, for error messages.
    section: &'static str,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> String {
        format!(
            "instantané illisible, section « {} », octet {} : {what}",
            self.section, self.pos
        )
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| self.error(&format!("{n} octet(s) attendus, fichier tronqué")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn flag(&mut self) -> Result<bool, String> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(self.error(&format!("0 ou 1 attendu, trouvé {v}"))),
        }
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_le_bytes(self.array()?))
    }
    /// A count, checked against the bytes left (each item takes at least one byte), so that a
    /// corrupted count fails cleanly instead of reserving gigabytes.
    fn len(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n > self.buf.len() - self.pos {
            return Err(self.error(&format!("longueur {n} au-delà de la fin du fichier")));
        }
        Ok(n)
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.len()?;
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| self.error("texte UTF-8 attendu"))
    }
    fn opt_string(&mut self) -> Result<Option<String>, String> {
        Ok(if self.flag()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn strings(&mut self) -> Result<Vec<String>, String> {
        let n = self.len()?;
        (0..n).map(|_| self.string()).collect()
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, String> {
        Ok(if self.flag()? {
            Some(self.u64()?)
        } else {
            None
        })
    }
    fn code(&mut self) -> Result<InseeCode, String> {
        let b = self.take(5)?;
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.error("code INSEE sur 5 caractères attendu"))
    }
    fn opt_code(&mut self) -> Result<Option<InseeCode>, String> {
        Ok(if self.flag()? {
            Some(self.code()?)
        } else {
            None
        })
    }
    fn codes(&mut self) -> Result<Vec<InseeCode>, String> {
        let n = self.len()?;
        (0..n).map(|_| self.code()).collect()
    }
    fn pick<T: Copy>(&mut self, all: &[T], what: &str) -> Result<T, String> {
        let v = self.u8()? as usize;
        all.get(v)
            .copied()
            .ok_or_else(|| self.error(&format!("{what} n° {v} inconnu")))
    }
    fn ring(&mut self) -> Result<LineString<f64>, String> {
        let n = self.len()?;
        let mut pts = Vec::with_capacity(n);
        for _ in 0..n {
            let x = self.f64()?;
            let y = self.f64()?;
            pts.push(Coord { x, y });
        }
        Ok(LineString(pts))
    }
    fn multipolygon(&mut self) -> Result<MultiPolygon<f64>, String> {
        let n = self.len()?;
        let mut polys = Vec::with_capacity(n);
        for _ in 0..n {
            let exterior = self.ring()?;
            let m = self.len()?;
            let interiors = (0..m).map(|_| self.ring()).collect::<Result<_, _>>()?;
            polys.push(Polygon::new(exterior, interiors));
        }
        Ok(MultiPolygon(polys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot path in a fresh temporary folder, removed when the guard drops.
    fn tmp() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.idx");
        (dir, path)
    }

    #[test]
    fn demo_round_trips_field_for_field() {
        let mut ds = crate::sources::demo::dataset().unwrap();
        // Cover the variants the demo lacks.
        ds.reports[0]
            .rejections
            .push(Rejection::new("f.csv", 12, "code", "un code", "??"));
        ds.reports[0].rejected += 1;
        let actor = ds.actors[0].id.clone();
        for (i, area) in [
            ServiceArea::Epci("200066124".into()),
            ServiceArea::Departement("81".into()),
            ServiceArea::Territory("cpts:x".into()),
            ServiceArea::Polygon(ds.communes[0].geometry.clone()),
        ]
        .into_iter()
        .enumerate()
        {
            ds.service_areas.push(ServiceAreaRecord {
                actor: actor.clone(),
                area,
                file: "zones.csv".into(),
                line: i + 2,
            });
        }
        assert!(
            !ds.former_communes.is_empty(),
            "the demo has merged communes"
        );
        let (_dir, path) = tmp();
        let written = write(&path, &ds, &[]).unwrap();
        assert_eq!(written, std::fs::metadata(&path).unwrap().len());
        let back = read(&path).unwrap();
        assert_eq!(back.actors, ds.actors);
        assert_eq!(back.communes, ds.communes);
        assert_eq!(back.territories, ds.territories);
        assert_eq!(back.equipment_counts, ds.equipment_counts);
        assert_eq!(back.service_areas, ds.service_areas);
        assert_eq!(back.reports, ds.reports);
        assert_eq!(back.former_communes, ds.former_communes);
        let kinds = |t: &KindTable| t.iter().map(|(_, k)| k.clone()).collect::<Vec<_>>();
        assert_eq!(kinds(&back.kinds), kinds(&ds.kinds));
        // The rebuilt lookup tables answer like the original ones.
        assert_eq!(back.kinds.by_id("ehpad"), ds.kinds.by_id("ehpad"));
        assert_eq!(
            back.kinds.for_source_code("finess", "500"),
            ds.kinds.for_source_code("finess", "500")
        );
    }

    #[test]
    fn arrays_are_read_in_place_aligned() {
        let ds = crate::sources::demo::dataset().unwrap();
        let (_dir, path) = tmp();
        let odd: Vec<u8> = vec![7; 13];
        let values: Vec<f64> = vec![1.5, -2.0];
        write(&path, &ds, &[&odd, bytemuck::cast_slice(&values)]).unwrap();
        let s = open(&path).unwrap();
        assert_eq!(s.arrays(), 2);
        assert_eq!(&s.array::<u8>(0).unwrap()[..], &odd[..]);
        let back = s.array::<f64>(1).unwrap();
        assert!(back.is_mapped());
        assert_eq!(&back[..], &values[..]);
        assert!(s
            .array::<u8>(2)
            .unwrap_err()
            .to_string()
            .contains("absente"));
    }

    #[test]
    fn truncated_damaged_or_foreign_files_are_refused_in_french() {
        let ds = crate::sources::demo::dataset().unwrap();
        let (_dir, path) = tmp();
        write(&path, &ds, &[&[1, 2, 3]]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let refused = |b: &[u8]| {
            std::fs::write(&path, b).unwrap();
            let err = open(&path).unwrap_err().to_string();
            assert!(err.contains("x.idx"), "{err}");
            assert!(err.contains("build-index"), "{err}");
            err
        };
        let err = refused(&bytes[..bytes.len() / 2]);
        assert!(err.contains("tronqué"), "{err}");
        assert!(refused(&bytes[..20]).contains("en-tête tronqué"));
        // One flipped bit anywhere: in the small parts, in an array, in the section table.
        for at in [bytes.len() / 2, bytes.len() - 7, HEADER + 3] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            let err = refused(&flipped);
            assert!(err.contains("somme de contrôle"), "byte {at}: {err}");
        }
        let mut other = bytes.clone();
        // Older layouts (5: trees rebuilt at start-up) are refused, not misread.
        for old in [4u32, 5] {
            other[8..12].copy_from_slice(&old.to_le_bytes());
            let err = refused(&other);
            assert!(
                err.contains(&format!(
                    "instantané au format {old}, cette version de maillage lit le format 6"
                )),
                "{err}"
            );
        }
        std::fs::write(&path, b"code;nom\n81004;Albi\n").unwrap();
        let err = open(&path).unwrap_err().to_string();
        assert!(err.contains("pas un instantané maillage"), "{err}");
    }

    #[test]
    fn a_failed_write_leaves_the_previous_snapshot_untouched() {
        let ds = crate::sources::demo::dataset().unwrap();
        let (_dir, path) = tmp();
        write(&path, &ds, &[]).unwrap();
        let before = std::fs::read(&path).unwrap();
        // Writing into a directory that does not exist fails before any rename.
        let missing = path.with_file_name("absent").join("y.idx");
        assert!(write(&missing, &ds, &[]).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let leftovers = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
}
