//! The directory: every actor, commune and territory of a load, indexed for queries.
//!
//! A [`Directory`] is immutable once built; a server swaps a whole new one in when data changes,
//! so a reader sees one consistent state.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use serde::Serialize;

use super::areas::{self, ActorArea, AreaIndex};
use super::communes::CommuneIndex;
use super::lists::{AliasIndex, CommuneLists, Groups};
use super::local::{local_id, segment_areas, LocalPart};
use super::spatial::PointIndex;
use super::text::{TextIndex, TextIndexBuilder};
use crate::model::geodesy::round_degrees;
use crate::model::place::{FormerCommune, PlaceResolver, Why};
use crate::model::{
    departements, Actor, ActorRecord, ActorTable, Commune, InseeCode, KindId, KindTable, LonLat,
    Sector, Territory, TerritoryKind,
};
use crate::sources::zones::ServiceAreaRecord;
use crate::sources::{Dataset, EquipmentCount, FileReport};
use crate::util::slab::Slab;

mod snapshot;

/// A territory with what the directory computed from its communes.
#[derive(Debug)]
pub struct TerritoryEntry {
    pub territory: Territory,
    /// Sum of the populations of its loaded communes.
    pub population: u64,
    /// Member codes that match no loaded commune (e.g. codes of another COG year).
    pub unknown_communes: Vec<InseeCode>,
    /// Loaded member communes without a population.
    pub communes_without_population: Vec<InseeCode>,
    outline: OnceLock<MultiPolygon<f64>>,
}

/// Which actors to return from [`Directory::filter`]. Every set criterion must hold.
#[derive(Debug, Clone, Default)]
pub struct ActorFilter {
    pub kinds: Option<Vec<KindId>>,
    pub sector: Option<Sector>,
    /// Actors whose commune is one of these (a commune or a territory's communes).
    pub communes: Option<HashSet<InseeCode>>,
    /// Longitude/latitude rectangle (min, max), edges included.
    pub bbox: Option<(LonLat, LonLat)>,
    /// Free text (all words must match: name, kind, commune).
    pub text: Option<String>,
}

/// What a search hit points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum HitCategory {
    #[serde(rename = "acteur")]
    Actor,
    #[serde(rename = "commune")]
    Commune,
    #[serde(rename = "territoire")]
    Territory,
    #[serde(rename = "type")]
    Kind,
}

/// One autocomplete suggestion.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Suggestion)]
pub struct SearchHit {
    #[serde(rename = "categorie")]
    pub category: HitCategory,
    pub id: String,
    #[serde(rename = "libelle")]
    pub label: String,
    pub detail: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// `[minLon, minLat, maxLon, maxLat]`
    #[schema(value_type = Option<Vec<f64>>)]
    pub bbox: Option<[f64; 4]>,
    #[serde(skip)]
    pub score: f32,
}

/// Actors of one segment with their indexes. Keys in the indexes are directory-wide indexes
/// (`offset + position in the segment`).
#[derive(Debug, Default)]
pub(super) struct Segment {
    pub(super) offset: u32,
    /// Sorted by id.
    pub(super) actors: ActorTable,
    points: PointIndex,
    /// Trees of the kinds holding at most 1/[`KIND_TREE_SHARE`] of the segment's located
    /// actors; a more common kind is queried through `points` with a filter, which then
    /// visits few other actors (this halves the memory of the spatial index).
    by_kind: Vec<Option<PointIndex>>,
    /// Directory indexes of the actors of each kind (group = kind number).
    kind_members: Groups,
    by_commune: CommuneLists,
    /// Docs are positions in the segment. Built after the directory is served when it was
    /// loaded from files (see [`Deferred`]).
    text: Deferred<TextIndex>,
    /// Other ids of merged actors (`alias:<id>` tags, see [`crate::dedup`]) → directory index.
    aliases: AliasIndex,
    /// Directory indexes of the actors with a `zone:` tag (see [`areas::PARTNER_ZONE_TAG`]).
    zoned: Slab<u32>,
}

/// A part of the directory built on another thread while the directory is already served (the
/// text index of the actors loaded from files): reading it waits until it is ready, so that
/// every answer is the one of a directory built at once.
#[derive(Debug)]
pub(super) struct Deferred<T>(OnceLock<T>);

/// Ready with the empty value (an empty segment's index).
impl<T: Default> Default for Deferred<T> {
    fn default() -> Deferred<T> {
        Deferred::ready(T::default())
    }
}

impl<T> Deferred<T> {
    fn ready(value: T) -> Deferred<T> {
        Deferred(OnceLock::from(value))
    }

    /// To be set once built (by [`Directory::build_deferred_text`]).
    fn pending() -> Deferred<T> {
        Deferred(OnceLock::new())
    }

    fn is_ready(&self) -> bool {
        self.0.get().is_some()
    }
}

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.wait()
    }
}

/// The text index of a segment being built: given (a snapshot), built with the segment, or
/// later by [`Directory::build_deferred_text`].
enum TextPlan {
    Given(Box<TextIndex>),
    Build,
    Later,
}

impl Segment {
    pub(super) fn build(
        offset: u32,
        actors: ActorTable,
        text: Option<TextIndex>,
        kinds: &KindTable,
        communes: &CommuneIndex,
    ) -> Segment {
        let plan = text.map_or(TextPlan::Build, |t| TextPlan::Given(Box::new(t)));
        Segment::build_with(offset, actors, plan, kinds, communes)
    }

    fn build_with(
        offset: u32,
        actors: ActorTable,
        text: TextPlan,
        kinds: &KindTable,
        communes: &CommuneIndex,
    ) -> Segment {
        let actors_ref = &actors;
        let (points, by_kind, kind_members, by_commune, text, (aliases, zoned)) =
            std::thread::scope(|s| {
                let actors = actors_ref;
                let text = s.spawn(move || match text {
                    TextPlan::Given(t) => Deferred::ready(*t),
                    TextPlan::Build => Deferred::ready(actor_text_index(actors, kinds, communes)),
                    TextPlan::Later => Deferred::pending(),
                });
                // The tags are read alongside the positions, kinds and communes.
                let tagged = s.spawn(move || {
                    let (mut aliases, mut zoned) = (Vec::new(), Vec::new());
                    for (i, a) in actors.iter().enumerate() {
                        let i = offset + i as u32;
                        for tag in a.tags() {
                            if let Some(alias) = tag.strip_prefix(crate::dedup::ALIAS_PREFIX) {
                                aliases.push((alias.to_string(), i));
                            } else if tag.starts_with(areas::PARTNER_ZONE_TAG)
                                && zoned.last() != Some(&i)
                            {
                                zoned.push(i);
                            }
                        }
                    }
                    (AliasIndex::build(aliases), zoned)
                });
                let mut located: Vec<(u32, u16, LonLat)> = Vec::with_capacity(actors.len());
                let mut per_kind: Vec<Vec<(u32, LonLat)>> = vec![Vec::new(); kinds.len()];
                let mut kind_of: Vec<(usize, u32)> = Vec::with_capacity(actors.len());
                let mut in_commune: Vec<(InseeCode, u32)> = Vec::with_capacity(actors.len());
                for (i, a) in actors.iter().enumerate() {
                    let i = offset + i as u32;
                    let k = a.kind().0 as usize;
                    if k >= per_kind.len() {
                        per_kind.resize(k + 1, Vec::new());
                    }
                    kind_of.push((k, i));
                    if let Some(p) = a.position() {
                        located.push((i, a.kind().0, p));
                        per_kind[k].push((i, p));
                    }
                    if let Some(c) = a.commune() {
                        in_commune.push((c, i));
                    }
                }
                let kind_members = Groups::build(kinds.len(), kind_of);
                let by_commune = CommuneLists::build(in_commune);
                let total = located.len();
                let by_kind_handle = s.spawn(move || {
                    per_kind
                        .iter()
                        .map(|v| (v.len() * KIND_TREE_SHARE <= total).then(|| PointIndex::new(v)))
                        .collect::<Vec<_>>()
                });
                let points = PointIndex::with_tags(&located);
                drop(located);
                let by_kind = by_kind_handle.join().expect("kind index thread");
                let text = text.join().expect("text index thread");
                let tagged = tagged.join().expect("tag index thread");
                (points, by_kind, kind_members, by_commune, text, tagged)
            });
        Segment {
            offset,
            actors,
            points,
            by_kind,
            kind_members,
            by_commune,
            text,
            aliases,
            zoned: Slab::from(zoned),
        }
    }

    /// Positions in the segment of the actors that may have a service area of their own (a
    /// `zone:` tag or a communal kind), increasing: the others need not be read to index the
    /// areas.
    fn area_candidates(&self, kinds: &KindTable) -> Vec<usize> {
        let mut v: Vec<u32> = self.zoned.to_vec();
        for k in areas::COMMUNAL_KINDS.iter().filter_map(|k| kinds.by_id(k)) {
            v.extend_from_slice(self.kind_members.get(k.0 as usize));
        }
        v.sort_unstable();
        v.dedup();
        v.into_iter().map(|i| (i - self.offset) as usize).collect()
    }

    pub(super) fn end(&self) -> u32 {
        self.offset + self.actors.len() as u32
    }

    /// The directory index of the actor carrying `alias` (the last in id order when several
    /// do).
    pub(super) fn alias(&self, alias: &str) -> Option<u32> {
        self.aliases.get(alias)
    }

    pub(super) fn text(&self) -> &TextIndex {
        &self.text
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.actors.rows_heap_bytes()
            + self.actors.arena_heap_bytes()
            + self.points.heap_bytes()
            + self
                .by_kind
                .iter()
                .flatten()
                .map(PointIndex::heap_bytes)
                .sum::<usize>()
            + self.lists_heap_bytes()
            + self.text.heap_bytes()
    }

    /// Bytes of the members of each kind, the actors of each commune and the aliases, in
    /// memory or in a mapped file.
    fn lists_bytes(&self) -> usize {
        self.kind_members.bytes()
            + self.by_commune.bytes()
            + self.aliases.bytes()
            + self.zoned.as_bytes().len()
    }

    /// Heap bytes of the members of each kind, the actors of each commune and the aliases.
    fn lists_heap_bytes(&self) -> usize {
        self.kind_members.heap_bytes()
            + self.by_commune.heap_bytes()
            + self.aliases.heap_bytes()
            + self.zoned.heap_bytes()
    }
}

/// What does not change when local actors are edited.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) kinds: KindTable,
    pub(super) communes: CommuneIndex,
    /// Commune lookups by code, former code, name and postcode.
    pub(super) places: PlaceResolver,
    pub(super) territories: Vec<TerritoryEntry>,
    place_text: TextIndex,
    equipment_counts: Vec<EquipmentCount>,
    reports: Vec<FileReport>,
    /// Zone records of known actors, kept to re-index local actors' areas after an edit.
    pub(super) zones: Vec<ServiceAreaRecord>,
    /// Communes merged into others (kept for snapshots; the place resolver holds their codes).
    former_communes: Vec<FormerCommune>,
}

/// The official segment a directory is assembled from.
enum Official {
    /// Actors sorted by id, without duplicates, to index.
    Actors(ActorTable),
    /// A segment with its indexes (read from a snapshot), at offset 0.
    Indexed(Box<Segment>),
}

/// What a directory is assembled from besides its actors.
struct Parts {
    kinds: KindTable,
    communes: Vec<Commune>,
    territories: Vec<Territory>,
    equipment_counts: Vec<EquipmentCount>,
    reports: Vec<FileReport>,
    service_areas: Vec<ServiceAreaRecord>,
    former_communes: Vec<FormerCommune>,
}

impl Parts {
    /// Everything of `ds` but its actors.
    fn from_dataset(ds: Dataset) -> Parts {
        let Dataset {
            kinds,
            communes,
            territories,
            equipment_counts,
            reports,
            service_areas,
            former_communes,
            ..
        } = ds;
        Parts {
            kinds,
            communes,
            territories,
            equipment_counts,
            reports,
            service_areas,
            former_communes,
        }
    }
}

/// Every loaded actor, commune and territory, with their indexes.
///
/// Actors live in two parts: the official segment (every id not starting with `local:`),
/// shared between versions of the directory, and the local actors (the CPTS's own partners),
/// replaced by [`Directory::with_local_actors`] or changed in O(change) by
/// [`Directory::with_local_changes`] (see [`super::local`]). Actor indexes (`u32`) run over
/// both: official actors first; answers in index order list official actors by id, then local
/// ones by id.
#[derive(Debug)]
pub struct Directory {
    shared: Arc<Shared>,
    base: Arc<Segment>,
    /// Service areas of official actors.
    areas: Arc<AreaIndex>,
    pub(super) local: LocalPart,
}

/// A kind gets a tree of its own when it holds at most 1/`KIND_TREE_SHARE` of the located
/// actors of a segment.
const KIND_TREE_SHARE: usize = 20;

/// Which trees answer a query on a set of kinds.
struct Plan<'a> {
    trees: Vec<&'a PointIndex>,
    /// `Some(kinds)`: also walk the tree of every actor, keeping these kinds (none: all).
    common: Option<Vec<KindId>>,
}

/// Prefix of the ids of the CPTS's own actors (partners kept in the local store).
pub const LOCAL_PREFIX: &str = "local:";

/// A view of every actor of a directory, in index order.
#[derive(Clone, Copy)]
pub struct Actors<'a> {
    dir: &'a Directory,
}

impl<'a> Actors<'a> {
    pub fn len(&self) -> usize {
        self.dir.base.actors.len() + self.dir.local.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Actor<'a>> + 'a {
        self.dir.base.actors.iter().chain(self.dir.local.iter())
    }
}

impl<'a> IntoIterator for Actors<'a> {
    type Item = Actor<'a>;
    type IntoIter = Box<dyn Iterator<Item = Actor<'a>> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Directory {
    /// Indexes a loaded dataset. Département territories are added for every département that
    /// has communes. When two records share an id, the first loaded is kept and the other is
    /// counted in a note of its file's report.
    pub fn build(mut ds: Dataset) -> Directory {
        let actors = std::mem::take(&mut ds.actors);
        let mut parts = Parts::from_dataset(ds);
        let reports = &mut parts.reports;
        let t = std::time::Instant::now();
        // The records are sorted and split, then packed once, each segment in its order.
        // In id order, each id once (the first loaded kept), split into local and official:
        // one pass, each id compared while it is at hand.
        let mut duplicates: HashMap<u16, (usize, String)> = HashMap::new();
        let (mut local, mut official) = (Vec::new(), Vec::with_capacity(actors.len()));
        visit_by_id(
            actors.iter().map(ActorRecord::packed_id),
            |id, i, repeated| {
                if repeated {
                    let e = duplicates
                        .entry(actors[i as usize].source.0)
                        .or_insert_with(|| (0, id.to_string()));
                    e.0 += 1;
                } else if id.starts_with(LOCAL_PREFIX) {
                    local.push(i);
                } else {
                    official.push(i);
                }
            },
        );
        tracing::debug!("acteurs triés en {:.2} s", t.elapsed().as_secs_f64());
        for (source, (n, example)) in duplicates {
            if let Some(r) = reports.get_mut(source as usize) {
                r.notes.push(format!(
                    "{n} acteur(s) non chargé(s) car leur identifiant était déjà chargé par un autre fichier (ex. {example})"
                ));
            }
        }
        let official = ActorTable::from_records_in_order(&actors, &official);
        let local = ActorTable::from_records_in_order(&actors, &local);
        crate::util::drop_in_background(actors);
        tracing::debug!("acteurs compactés à {:.2} s", t.elapsed().as_secs_f64());
        Directory::assemble(parts, Official::Actors(official), local, true)
    }

    /// Builds the text index of the official actors on a thread of its own when it is not
    /// built yet: spatial queries are answered meanwhile, and a text search waits for it.
    fn build_deferred_text(&self) {
        if self.base.text.is_ready() {
            return;
        }
        let (seg, shared) = (Arc::clone(&self.base), Arc::clone(&self.shared));
        let build = move || {
            let t = std::time::Instant::now();
            let text = actor_text_index(&seg.actors, &shared.kinds, &shared.communes);
            let _ = seg.text.0.set(text);
            tracing::info!(
                "index de recherche texte construit en {:.1} s",
                t.elapsed().as_secs_f64()
            );
        };
        let spawned = std::thread::Builder::new()
            .name("index-texte".into())
            .spawn(build.clone());
        if spawned.is_err() {
            build();
        }
    }

    /// What is still being prepared after the directory started serving (named in French
    /// for `/api/health`); empty once everything is ready.
    pub fn in_preparation(&self) -> Vec<&'static str> {
        if self.base.text.is_ready() {
            Vec::new()
        } else {
            vec!["index de recherche texte des acteurs"]
        }
    }

    /// A directory from its parts, its official segment (built here from its actors, or read
    /// from a snapshot) and its local actors (each sorted by id, without duplicates). With `report`,
    /// zone lines of unknown actors and unresolvable areas are added to the load reports
    /// (without, the reports are taken as already complete, as a snapshot stores them).
    fn assemble(parts: Parts, official: Official, local: ActorTable, report: bool) -> Directory {
        let t = std::time::Instant::now();
        let Parts {
            kinds,
            communes,
            mut territories,
            equipment_counts,
            mut reports,
            service_areas,
            former_communes,
        } = parts;
        add_departement_territories(&mut territories, &communes);
        let communes = CommuneIndex::new(communes);
        let places = PlaceResolver::new(communes.all(), &former_communes);
        tracing::debug!("communes indexées à {:.2} s", t.elapsed().as_secs_f64());
        let territories: Vec<TerritoryEntry> = territories
            .into_iter()
            .map(|mut t| {
                // A former code (commune merged since) stands for the commune it joined.
                for c in &mut t.communes {
                    *c = places.code(c.as_str()).map_or(*c, |found| found.code);
                }
                let mut seen = HashSet::new();
                t.communes.retain(|c| seen.insert(*c));
                territory_entry(t, &communes)
            })
            .collect();
        let place_text = place_text_index(&communes, &territories, &kinds);
        tracing::debug!("lieux indexés à {:.2} s", t.elapsed().as_secs_f64());
        // A directory built from files is served before the text index of its official actors
        // is ready (see `Directory::build_deferred_text`).
        let base = match official {
            Official::Actors(actors) => {
                Segment::build_with(0, actors, TextPlan::Later, &kinds, &communes)
            }
            Official::Indexed(segment) => *segment,
        };
        tracing::debug!("acteurs indexés à {:.2} s", t.elapsed().as_secs_f64());
        let local = Segment::build(base.end(), local, None, &kinds, &communes);
        let known = |id: &str| [&base, &local].iter().any(|s| s.actors.find(id).is_some());
        let zones = areas::known_records(service_areas, known, &mut reports);
        let (k, c, p, t) = (&kinds, &communes, &places, &territories[..]);
        let area_index = areas::index_segment_at(
            &base.actors,
            0,
            base.area_candidates(k),
            k,
            c,
            p,
            t,
            &zones,
            report.then_some(&mut reports),
        );
        tracing::debug!("zones d'intervention indexées");
        let local_areas = areas::index_segment_at(
            &local.actors,
            local.offset,
            local.area_candidates(k),
            k,
            c,
            p,
            t,
            &zones,
            report.then_some(&mut reports),
        );
        let dir = Directory {
            shared: Arc::new(Shared {
                kinds,
                communes,
                places,
                territories,
                place_text,
                equipment_counts,
                reports,
                zones,
                former_communes,
            }),
            base: Arc::new(base),
            areas: Arc::new(area_index),
            local: LocalPart::new(local, local_areas),
        };
        dir.build_deferred_text();
        dir
    }

    /// A new directory whose local actors (ids starting with `local:`) are exactly `actors`,
    /// sharing everything else with `self`: cheap even with millions of official actors.
    /// Records whose id lacks the `local:` prefix get it.
    pub fn with_local_actors(&self, actors: Vec<ActorRecord>) -> Directory {
        let table = ActorTable::from_records(actors.into_iter().map(|mut r| {
            r.id = local_id(std::mem::take(&mut r.id));
            r
        }));
        let mut order = Vec::with_capacity(table.len());
        visit_by_id(table.iter().map(|a| a.id()), |_, i, repeated| {
            if !repeated {
                order.push(i);
            }
        });
        let actors = table.select(&order);
        let sh = &self.shared;
        let local = Segment::build(self.base.end(), actors, None, &sh.kinds, &sh.communes);
        let local_areas = segment_areas(&local, sh, None);
        self.with_local(LocalPart::new(local, local_areas))
    }

    /// A new directory with `changes` to its local actors: `(id, Some(record))` adds or
    /// replaces the local actor `id`, `(id, None)` removes it (ids lacking `local:` get it).
    /// Costs the size of the change and of the actors changed since the last compaction, not
    /// of all local actors; answers are those of [`Directory::with_local_actors`] with the
    /// same actors.
    pub fn with_local_changes(
        &self,
        changes: impl IntoIterator<Item = (String, Option<ActorRecord>)>,
    ) -> Directory {
        self.with_local(self.local.with_changes(changes, &self.shared))
    }

    /// True when enough local changes piled up that [`Directory::compacted`] should run.
    pub fn needs_compaction(&self) -> bool {
        self.local.needs_compaction()
    }

    /// The same directory with its local actors rebuilt as one segment (same answers).
    pub fn compacted(&self) -> Directory {
        self.with_local_actors(self.local.records())
    }

    /// The directory `self`, from `compacted` (the [`Directory::compacted`] of an earlier
    /// version `before`, built while `self` took more changes): `compacted` with the local
    /// changes made since `before` replayed, in O(those changes). Same answers as `self`.
    /// `None` when `self` does not descend from `before` by local changes only (its local
    /// actors were replaced or compacted since): `compacted` is then stale.
    pub fn with_compaction_of(
        &self,
        before: &Directory,
        compacted: Directory,
    ) -> Option<Directory> {
        let same_base = Arc::ptr_eq(&self.base, &before.base)
            && Arc::ptr_eq(&self.base, &compacted.base)
            && Arc::ptr_eq(&self.shared, &compacted.shared);
        if !same_base {
            return None;
        }
        let changes = self.local.changes_since(&before.local)?;
        Some(if changes.is_empty() {
            compacted
        } else {
            compacted.with_local_changes(changes)
        })
    }

    fn with_local(&self, local: LocalPart) -> Directory {
        Directory {
            shared: Arc::clone(&self.shared),
            base: Arc::clone(&self.base),
            areas: Arc::clone(&self.areas),
            local,
        }
    }

    /// Actors (of the given kinds) competent at a place: their service area contains
    /// `commune` (by default the commune containing `at`) or, for a drawn area, the point `at`.
    /// Sorted by index, each with the reason in French
    /// (`zone d'intervention : commune 81004 (Albi)`).
    pub fn competent(
        &self,
        at: Option<LonLat>,
        commune: Option<InseeCode>,
        kinds: Option<&[KindId]>,
    ) -> Vec<(u32, String)> {
        let commune = commune.or_else(|| at.and_then(|p| self.communes().at(p)).map(|c| c.code));
        let keep = |i: u32| kinds.is_none_or(|ks| ks.contains(&self.actor(i).kind()));
        let mut out = self.areas.competent(at, commune, keep);
        let local_keep = |i: u32| self.local.is_live(i) && keep(i);
        out.extend(self.local.stable_areas.competent(at, commune, local_keep));
        out.extend(self.local.recent_areas.competent(at, commune, keep));
        self.local
            .order_by_id(&mut out, |x| x.0, |i| self.actor(i).id());
        out
    }

    /// The service area of an actor, if it has one (declared, or implicit for a town hall or
    /// CCAS).
    pub fn service_area(&self, idx: u32) -> Option<&ActorArea> {
        if idx < self.local.stable.offset {
            self.areas.get(idx)
        } else if idx < self.local.recent.offset {
            self.local.stable_areas.get(idx)
        } else {
            self.local.recent_areas.get(idx)
        }
    }

    pub fn kinds(&self) -> &KindTable {
        &self.shared.kinds
    }

    /// Every actor: official ones sorted by id, then local ones sorted by id.
    pub fn actors(&self) -> Actors<'_> {
        Actors { dir: self }
    }

    /// The local actors (the CPTS's own partners), sorted by id.
    pub fn local_actors(&self) -> impl Iterator<Item = Actor<'_>> + '_ {
        self.local.iter()
    }

    fn segments(&self) -> [&Segment; 3] {
        [&self.base, &self.local.stable, &self.local.recent]
    }

    /// The actor at a directory index. Panics on an index not from this directory.
    pub fn actor(&self, idx: u32) -> Actor<'_> {
        let (stable, recent) = (&self.local.stable, &self.local.recent);
        if idx < stable.offset {
            self.base.actors.get(idx as usize)
        } else if idx < recent.offset {
            stable.actors.get((idx - stable.offset) as usize)
        } else {
            recent.actors.get((idx - recent.offset) as usize)
        }
    }

    /// Index of the actor with this id, or of the actor it was merged into (its alias).
    pub fn find(&self, id: &str) -> Option<u32> {
        let found = if id.starts_with(LOCAL_PREFIX) {
            self.local.find(id)
        } else {
            let seg = &self.base;
            seg.actors.find(id).map(|i| seg.offset + i as u32)
        };
        found
            .or_else(|| self.base.alias(id))
            .or_else(|| self.local.find_alias(id))
    }

    /// Number of actors of a kind (located or not).
    pub fn kind_count(&self, kind: KindId) -> usize {
        let all: usize = self
            .segments()
            .iter()
            .map(|s| s.kind_members.get(kind.0 as usize).len())
            .sum();
        let dead = self.local.dead.iter();
        all - dead.filter(|&&i| self.actor(i).kind() == kind).count()
    }

    /// Actors whose commune is `code`, in index order.
    pub fn actors_in_commune(&self, code: InseeCode) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .segments()
            .iter()
            .flat_map(|s| s.by_commune.get(code).iter().copied())
            .filter(|&i| self.local.is_live(i))
            .collect();
        self.local
            .order_by_id(&mut out, |&i| i, |i| self.actor(i).id());
        out
    }

    pub fn communes(&self) -> &CommuneIndex {
        &self.shared.communes
    }

    pub fn commune(&self, code: InseeCode) -> Option<&Commune> {
        self.shared.communes.get(code)
    }

    /// The place resolver: communes by code, former code, name and postcode.
    pub fn places(&self) -> &PlaceResolver {
        &self.shared.places
    }

    pub fn territories(&self) -> &[TerritoryEntry] {
        &self.shared.territories
    }

    pub fn territory(&self, id: &str) -> Option<&TerritoryEntry> {
        self.shared
            .territories
            .iter()
            .find(|t| t.territory.id == id)
    }

    /// Commune-level equipment counts (BPE `ensemble`).
    pub fn equipment_counts(&self) -> &[EquipmentCount] {
        &self.shared.equipment_counts
    }

    /// The load reports, one per file.
    pub fn reports(&self) -> &[FileReport] {
        &self.shared.reports
    }

    fn pos(&self) -> impl Fn(u32) -> LonLat + '_ {
        |i| self.actor(i).position().unwrap_or(LonLat::new(0.0, 0.0))
    }

    /// Sorts `(index, metres)` by distance then id.
    fn sort_by_distance(&self, v: &mut [(u32, f64)]) {
        v.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then_with(|| self.actor(a.0).id().cmp(self.actor(b.0).id()))
        });
    }

    /// How to query a set of kinds: trees of rare kinds, plus (for common kinds, or for no
    /// kind filter) the segment's tree of every actor with an optional kind filter.
    fn plan<'a>(&self, seg: &'a Segment, kinds: Option<&[KindId]>) -> Plan<'a> {
        let Some(ks) = kinds else {
            return Plan {
                trees: Vec::new(),
                common: Some(Vec::new()),
            };
        };
        let mut trees = Vec::new();
        let mut common = Vec::new();
        for k in unique(ks) {
            match seg.by_kind.get(k.0 as usize) {
                Some(Some(t)) => trees.push(t),
                Some(None) => common.push(k),
                None => {}
            }
        }
        Plan {
            trees,
            common: (!common.is_empty()).then_some(common),
        }
    }

    /// The `k` nearest located actors (of the given kinds), as `(index, metres)` sorted by
    /// (distance, id).
    pub fn nearest(&self, at: LonLat, k: usize, kinds: Option<&[KindId]>) -> Vec<(u32, f64)> {
        let mut all: Vec<(u32, f64)> = Vec::new();
        for seg in self.segments() {
            let plan = self.plan(seg, kinds);
            let dead = self.local.dead_in(seg);
            let live = |i: u32| dead.is_none_or(|d| !d.contains(&i));
            for t in &plan.trees {
                all.extend(t.nearest(at, k, |i, _| live(i)));
            }
            match &plan.common {
                Some(c) if c.is_empty() => all.extend(seg.points.nearest(at, k, |i, _| live(i))),
                Some(c) => all.extend(
                    seg.points
                        .nearest(at, k, |i, t| live(i) && c.contains(&KindId(t))),
                ),
                None => {}
            }
        }
        self.sort_by_distance(&mut all);
        all.truncate(k);
        all
    }

    /// Located actors (of the given kinds) within `radius_m`, sorted by (distance, id).
    pub fn within(&self, at: LonLat, radius_m: f64, kinds: Option<&[KindId]>) -> Vec<(u32, f64)> {
        let mut all: Vec<(u32, f64)> = Vec::new();
        for seg in self.segments() {
            let plan = self.plan(seg, kinds);
            let dead = self.local.dead_in(seg);
            let live = |i: u32| dead.is_none_or(|d| !d.contains(&i));
            for t in &plan.trees {
                all.extend(t.within(at, radius_m, self.pos(), |i, _| live(i)));
            }
            match &plan.common {
                Some(c) if c.is_empty() => {
                    all.extend(seg.points.within(at, radius_m, self.pos(), |i, _| live(i)))
                }
                Some(c) => all.extend(seg.points.within(at, radius_m, self.pos(), |i, t| {
                    live(i) && c.contains(&KindId(t))
                })),
                None => {}
            }
        }
        self.sort_by_distance(&mut all);
        all
    }

    /// Located actors inside a (multi)polygon in WGS84 degrees (boundary included), in index order.
    pub fn in_polygon(&self, area: &MultiPolygon<f64>, kinds: Option<&[KindId]>) -> Vec<u32> {
        let Some(r) = area.bounding_rect() else {
            return Vec::new();
        };
        let filter = ActorFilter {
            kinds: kinds.map(<[KindId]>::to_vec),
            bbox: Some((
                LonLat::new(r.min().x, r.min().y),
                LonLat::new(r.max().x, r.max().y),
            )),
            ..ActorFilter::default()
        };
        self.filter(&filter)
            .into_iter()
            .filter(|&i| {
                let p = self.actor(i).position().expect("bbox implies located");
                area.intersects(&Point::new(p.lon, p.lat))
            })
            .collect()
    }

    /// Actors matching every criterion of the filter, in index order.
    pub fn filter(&self, f: &ActorFilter) -> Vec<u32> {
        let mut out = Vec::new();
        let texts = f.text.as_deref().map(|q| self.text_matching(q));
        for (k, seg) in self.segments().into_iter().enumerate() {
            out.extend(self.filter_segment(seg, f, texts.as_ref().map(|t| &t[k][..])));
        }
        self.local
            .order_by_id(&mut out, |&i| i, |i| self.actor(i).id());
        out
    }

    /// Actors of each segment whose text matches `q`, as directory indexes in order (removed
    /// ones included); the two local segments are matched as one.
    fn text_matching(&self, q: &str) -> [Vec<u32>; 3] {
        let at = |seg: &Segment, docs: Vec<u32>| -> Vec<u32> {
            docs.into_iter().map(|d| seg.offset + d).collect()
        };
        let (stable, recent) = (&self.local.stable, &self.local.recent);
        let (s, r) = if self.local.unchanged() {
            (stable.text.matching(q), Vec::new())
        } else {
            stable
                .text
                .matching_with(&recent.text, &self.local.text_delta, q)
        };
        [
            at(&self.base, self.base.text.matching(q)),
            at(stable, s),
            at(recent, r),
        ]
    }

    /// [`Directory::filter`] in one segment; `text`: its actors matching `f.text`.
    fn filter_segment(&self, seg: &Segment, f: &ActorFilter, text: Option<&[u32]>) -> Vec<u32> {
        let kinds = f.kinds.as_deref().map(unique);
        // Candidates from the most selective index available.
        let mut cands: Vec<u32> = if let Some((min, max)) = f.bbox {
            let plan = self.plan(seg, kinds.as_deref());
            let mut v: Vec<u32> = plan
                .trees
                .iter()
                .flat_map(|t| t.in_bbox(min, max, self.pos()))
                .collect();
            if plan.common.is_some() {
                // The kind filter below keeps the common kinds asked for.
                v.extend(seg.points.in_bbox(min, max, self.pos()));
            }
            v.sort_unstable();
            v.dedup();
            v
        } else if let Some(codes) = &f.communes {
            let mut v: Vec<u32> = codes
                .iter()
                .flat_map(|c| seg.by_commune.get(*c).iter().copied())
                .collect();
            v.sort_unstable();
            v
        } else if let Some(text) = text {
            text.to_vec()
        } else if let Some(ks) = &kinds {
            let mut v: Vec<u32> = ks
                .iter()
                .flat_map(|k| seg.kind_members.get(k.0 as usize))
                .copied()
                .collect();
            v.sort_unstable();
            v
        } else {
            (seg.offset..seg.end()).collect()
        };
        if let Some(ks) = &kinds {
            cands.retain(|&i| ks.contains(&self.actor(i).kind()));
        }
        if let Some(s) = f.sector {
            cands.retain(|&i| self.kinds().get(self.actor(i).kind()).sector == s);
        }
        if let Some(codes) = &f.communes {
            cands.retain(|&i| self.actor(i).commune().is_some_and(|c| codes.contains(&c)));
        }
        if let (Some(m), true) = (
            text,
            f.bbox.is_some() || f.communes.is_some() || kinds.is_some(),
        ) {
            cands.retain(|i| m.binary_search(i).is_ok());
        }
        if let Some(dead) = self.local.dead_in(seg) {
            cands.retain(|i| !dead.contains(i));
        }
        cands
    }

    /// Autocomplete over actors, communes, territories and kinds, best first.
    ///
    /// Communes are found by name in the text index, and by the place resolver when the query
    /// holds a number: a postcode (`81600`) lists the communes of that postcode, a postcode and
    /// a name (`81600 Gaillac`) that commune, the first digits of a postcode (`816`) the
    /// communes of the postcodes they start, an INSEE code its commune. A number is never
    /// matched against INSEE codes by prefix or with a typo.
    pub fn search(&self, q: &str, limit: usize) -> Vec<SearchHit> {
        let mut hits: Vec<SearchHit> = Vec::new();
        let communes = &self.shared.communes;
        let territories = &self.shared.territories;
        let nc = communes.len() as u32;
        let nt = territories.len() as u32;
        let places = &self.shared.places;
        let folded = crate::model::text::fold(q);
        // Numbers, and Corsican INSEE codes (`2a004`).
        let numbers: Vec<&str> = folded
            .split(' ')
            .filter(|w| {
                (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()))
                    || w.to_ascii_uppercase().parse::<InseeCode>().is_ok()
            })
            .collect();
        // With a number in the query, communes come from the place resolver only.
        let by_resolver = !numbers.is_empty();
        if by_resolver {
            let mut found: Vec<(InseeCode, Why, Option<String>)> = places
                .resolve(q)
                .into_iter()
                .map(|c| (c.code, c.why, c.postcode))
                .collect();
            if found.is_empty() {
                if let [prefix] = numbers[..] {
                    if (2..5).contains(&prefix.len()) && folded == prefix {
                        for (p, codes) in places.postcodes_starting_with(prefix) {
                            found.extend(codes.iter().map(|&c| (c, Why::Postcode, Some(p.into()))));
                        }
                    }
                }
            }
            let mut found: Vec<(&Commune, Why, Option<String>)> = found
                .into_iter()
                .filter_map(|(c, why, p)| Some((communes.get(c)?, why, p)))
                .collect();
            // `81600 Gail` while typing: the postcode's communes whose name starts so.
            let rest: Vec<&str> = folded.split(' ').filter(|w| !numbers.contains(w)).collect();
            let rest = crate::model::text::place_key_of_words(&rest);
            if !rest.is_empty() {
                let starts =
                    |c: &Commune| crate::model::text::place_key(&c.name).starts_with(&rest);
                if found.iter().any(|(c, _, _)| starts(c)) {
                    found.retain(|(c, _, _)| starts(c));
                }
            }
            found.sort_by_key(|(c, _, p)| (p.clone(), std::cmp::Reverse(c.population), c.code));
            let n = found.len() as f32;
            for (rank, (c, why, postcode)) in found.into_iter().take(limit).enumerate() {
                let score = match why {
                    Why::PostcodeAndName | Why::Code | Why::FormerCode(_) => 10.0,
                    _ => 5.0,
                } - rank as f32 / n.max(1.0);
                hits.push(commune_hit(c, postcode.as_deref(), score));
            }
        }
        let keep = |d: u32| !(by_resolver && d < nc);
        for h in self.shared.place_text.search(q, limit, keep) {
            let hit = if h.doc < nc {
                let c = &communes.all()[h.doc as usize];
                commune_hit(c, None, h.score + 0.5)
            } else if h.doc < nc + nt {
                let t = &territories[(h.doc - nc) as usize];
                let outline = self.territory_outline(t);
                let r = outline.bounding_rect();
                SearchHit {
                    category: HitCategory::Territory,
                    id: t.territory.id.clone(),
                    label: t.territory.name.clone(),
                    detail: format!(
                        "{} – {} communes, {} hab.",
                        t.territory.kind.label(),
                        t.territory.communes.len(),
                        t.population
                    ),
                    lon: r.map(|r| r.center().x),
                    lat: r.map(|r| r.center().y),
                    bbox: r.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
                    score: h.score,
                }
            } else {
                let kid = KindId((h.doc - nc - nt) as u16);
                let k = self.kinds().get(kid);
                SearchHit {
                    category: HitCategory::Kind,
                    id: k.id.clone(),
                    label: k.label.clone(),
                    detail: format!("Type d'acteur – {} dans l'annuaire", self.kind_count(kid)),
                    lon: None,
                    lat: None,
                    bbox: None,
                    score: h.score + 0.25,
                }
            };
            hits.push(hit);
        }
        // Actors: postcodes are not in their text; they restrict the actors to their communes.
        let postcodes: Vec<&str> = numbers
            .iter()
            .copied()
            .filter(|w| places.is_postcode(w))
            .collect();
        let in_postcodes: HashSet<InseeCode> = postcodes
            .iter()
            .flat_map(|p| places.postcode(p).iter().copied())
            .collect();
        let actor_query: String = folded
            .split(' ')
            .filter(|w| !postcodes.contains(w))
            .collect::<Vec<_>>()
            .join(" ");
        let actor_query = if postcodes.is_empty() {
            q
        } else {
            &actor_query
        };
        // Hits of each segment; the two local segments are searched as one.
        let only = (!postcodes.is_empty()).then_some(&in_postcodes);
        let (base, stable, recent) = (&*self.base, &*self.local.stable, &self.local.recent);
        let found = if actor_query.trim().is_empty() {
            Default::default()
        } else {
            let (s, r) = if self.local.unchanged() {
                (
                    stable
                        .text
                        .search(actor_query, limit, self.search_keep(stable, only)),
                    Vec::new(),
                )
            } else {
                stable.text.search_with(
                    &recent.text,
                    &self.local.text_delta,
                    actor_query,
                    limit,
                    self.search_keep(stable, only),
                    self.search_keep(recent, only),
                )
            };
            [
                base.text
                    .search(actor_query, limit, self.search_keep(base, only)),
                s,
                r,
            ]
        };
        let mut local_hits: Vec<SearchHit> = Vec::new();
        for (seg, found) in self.segments().into_iter().zip(found) {
            let out = if seg.offset < self.local.stable.offset {
                &mut hits
            } else {
                &mut local_hits
            };
            for h in found {
                let a = seg.actors.get(h.doc as usize);
                let [_, kind, commune] = actor_texts(a, self.kinds(), communes);
                out.push(SearchHit {
                    category: HitCategory::Actor,
                    id: a.id().to_string(),
                    label: a.name().to_string(),
                    detail: if commune.is_empty() {
                        kind.to_string()
                    } else {
                        format!("{kind} – {commune}")
                    },
                    lon: a.position().map(|p| p.lon),
                    lat: a.position().map(|p| p.lat),
                    bbox: None,
                    score: h.score,
                });
            }
        }
        local_hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        local_hits.truncate(limit);
        hits.extend(local_hits);
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        // Coordinates as every output writes them: 7 decimals.
        for h in &mut hits {
            h.lon = h.lon.map(round_degrees);
            h.lat = h.lat.map(round_degrees);
            h.bbox = h.bbox.map(|b| b.map(round_degrees));
        }
        hits
    }

    /// The docs of a segment's text index that a search keeps: live actors, in one of
    /// `communes` if given.
    fn search_keep<'a>(
        &'a self,
        seg: &'a Segment,
        communes: Option<&'a HashSet<InseeCode>>,
    ) -> impl Fn(u32) -> bool + 'a {
        let dead = self.local.dead_in(seg);
        move |d: u32| {
            dead.is_none_or(|dead| !dead.contains(&(seg.offset + d)))
                && communes.is_none_or(|cs| {
                    seg.actors
                        .get(d as usize)
                        .commune()
                        .is_some_and(|c| cs.contains(&c))
                })
        }
    }

    /// The union of a territory's commune outlines, computed once.
    pub fn territory_outline<'a>(&'a self, t: &'a TerritoryEntry) -> &'a MultiPolygon<f64> {
        t.outline.get_or_init(|| {
            let polys: Vec<&MultiPolygon<f64>> = t
                .territory
                .communes
                .iter()
                .filter_map(|c| self.shared.communes.get(*c))
                .map(|c| &c.geometry)
                .filter(|g| !g.0.is_empty())
                .collect();
            geo::unary_union(polys)
        })
    }

    /// Approximate heap bytes of the actors and their indexes (for benchmarks); arrays
    /// used in place in a mapped snapshot count for nothing.
    pub fn heap_bytes(&self) -> usize {
        self.base.heap_bytes() + self.local.heap_bytes()
    }

    /// Bytes held by each structure (for benchmarks), in memory or in a mapped file.
    pub fn memory(&self) -> Vec<MemoryUse> {
        let segs = self.segments();
        let sum = |f: &dyn Fn(&Segment) -> (usize, usize)| {
            segs.iter().fold((0, 0), |(b, h), s| {
                let (sb, sh) = f(s);
                (b + sb, h + sh)
            })
        };
        let use_of = |name, (bytes, heap): (usize, usize)| MemoryUse { name, bytes, heap };
        let geometry: usize = self
            .communes()
            .all()
            .iter()
            .flat_map(|c| &c.geometry.0)
            .map(|p| {
                let rings = std::iter::once(p.exterior()).chain(p.interiors());
                rings.map(|r| r.0.capacity() * 16).sum::<usize>()
            })
            .sum();
        vec![
            use_of(
                "acteurs (lignes)",
                sum(&|s| {
                    let rows = s.actors.parts().0;
                    (rows.as_bytes().len(), rows.heap_bytes())
                }),
            ),
            use_of(
                "acteurs (textes)",
                sum(&|s| {
                    let arena = s.actors.parts().1;
                    (arena.len(), arena.heap_bytes())
                }),
            ),
            use_of(
                "recherche texte",
                sum(&|s| (s.text.bytes(), s.text.heap_bytes())),
            ),
            use_of(
                "arbre des positions",
                sum(&|s| (s.points.bytes(), s.points.heap_bytes())),
            ),
            use_of(
                "arbres par type",
                sum(&|s| {
                    let trees = s.by_kind.iter().flatten();
                    let b = trees.clone().map(PointIndex::bytes).sum();
                    (b, trees.map(PointIndex::heap_bytes).sum())
                }),
            ),
            use_of(
                "listes par type, commune, alias",
                sum(&|s| (s.lists_bytes(), s.lists_heap_bytes())),
            ),
            use_of("contours des communes", (geometry, geometry)),
        ]
    }
}

/// Bytes of one structure of a directory ([`Directory::memory`]).
#[derive(Debug, Clone, Copy)]
pub struct MemoryUse {
    pub name: &'static str,
    /// Bytes, wherever they lie.
    pub bytes: usize,
    /// Of which on the heap (the rest lies in a mapped file, shared between processes).
    pub heap: usize,
}

/// A commune as a search hit, described with its postcode (the one that matched, if any)
/// and its INSEE code, so that neither is mistaken for the other.
fn commune_hit(c: &Commune, postcode: Option<&str>, score: f32) -> SearchHit {
    let centre = c.centroid();
    let postcodes = match postcode {
        Some(p) => p.to_string(),
        None => c
            .postcodes
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut detail = String::from("Commune");
    if !postcodes.is_empty() {
        detail.push_str(&format!(" {postcodes}"));
    }
    detail.push_str(&format!(" (code INSEE {})", c.code));
    if let Some(p) = c.population {
        detail.push_str(&format!(" – {p} hab."));
    }
    SearchHit {
        category: HitCategory::Commune,
        id: c.code.to_string(),
        label: c.name.clone(),
        detail,
        lon: centre.map(|p| p.lon),
        lat: centre.map(|p| p.lat),
        bbox: c
            .bbox()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
        score,
    }
}

fn add_departement_territories(territories: &mut Vec<Territory>, communes: &[Commune]) {
    let mut deps: Vec<&str> = communes.iter().map(|c| c.departement.as_str()).collect();
    deps.sort_unstable();
    deps.dedup();
    for dep in deps {
        let id = Territory::make_id(TerritoryKind::Departement, dep);
        if territories.iter().any(|t| t.id == id) {
            continue;
        }
        let name = match departements::name(dep) {
            Some(n) => format!("{n} ({dep})"),
            None => format!("Département {dep}"),
        };
        territories.push(Territory {
            id,
            name,
            kind: TerritoryKind::Departement,
            communes: communes
                .iter()
                .filter(|c| c.departement == dep)
                .map(|c| c.code)
                .collect(),
            declared_population: None,
        });
    }
}

fn unique(kinds: &[KindId]) -> Vec<KindId> {
    let mut v = kinds.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

fn territory_entry(t: Territory, communes: &CommuneIndex) -> TerritoryEntry {
    let mut population = 0;
    let mut unknown = Vec::new();
    let mut without = Vec::new();
    for code in &t.communes {
        match communes.get(*code) {
            Some(c) => match c.population {
                Some(p) => population += p,
                None => without.push(*code),
            },
            None => unknown.push(*code),
        }
    }
    TerritoryEntry {
        territory: t,
        population,
        unknown_communes: unknown,
        communes_without_population: without,
        outline: OnceLock::new(),
    }
}

/// Visits the actors of these ids in id order, `visit(id, position, repeated)`, `repeated`
/// telling that the id is the one just visited; among equal ids the first loaded comes first
/// (a stable order). The two halves are sorted on two threads and merged: at national scale
/// this is a noticeable part of start-up, and visiting while merging reads each id once more
/// instead of three times.
fn visit_by_id<'a>(ids: impl Iterator<Item = &'a str>, mut visit: impl FnMut(&'a str, u32, bool)) {
    // (id, position) pairs: unique keys, so an unstable sort gives the stable order.
    let mut keys: Vec<(&str, u32)> = ids.enumerate().map(|(i, id)| (id, i as u32)).collect();
    let mid = keys.len() / 2;
    let (left, right) = keys.split_at_mut(mid);
    std::thread::scope(|s| {
        s.spawn(|| left.sort_unstable());
        right.sort_unstable();
    });
    let (left, right) = keys.split_at(mid);
    let mut previous: Option<&str> = None;
    let mut emit = |(id, i): (&'a str, u32)| {
        visit(id, i, previous == Some(id));
        previous = Some(id);
    };
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if left[i] <= right[j] {
            emit(left[i]);
            i += 1;
        } else {
            emit(right[j]);
            j += 1;
        }
    }
    left[i..].iter().chain(&right[j..]).for_each(|k| emit(*k));
}

fn actor_text_index(actors: &ActorTable, kinds: &KindTable, communes: &CommuneIndex) -> TextIndex {
    let mut b = TextIndexBuilder::new();
    for (i, a) in actors.iter().enumerate() {
        let [name, kind, commune] = actor_texts(a, kinds, communes);
        b.add_with_repeated(i as u32, &[(name, 3)], &[(kind, 1), (commune, 1)]);
    }
    b.build()
}

/// The texts of an actor in the text index: its name (weight 3), its kind's label and its
/// commune (weight 1 each).
pub(super) fn actor_texts<'a>(
    a: Actor<'a>,
    kinds: &'a KindTable,
    communes: &'a CommuneIndex,
) -> [&'a str; 3] {
    let kind = &kinds.get(a.kind()).label;
    // The commune's official name; the source's city name only when the commune is not
    // loaded (it is nearly always the same words: indexing both doubles the postings).
    let commune = a
        .commune()
        .and_then(|c| communes.get(c))
        .map(|c| c.name.as_str())
        .or(a.city())
        .unwrap_or("");
    [a.name(), kind, commune]
}

fn place_text_index(
    communes: &CommuneIndex,
    territories: &[TerritoryEntry],
    kinds: &KindTable,
) -> TextIndex {
    let mut b = TextIndexBuilder::new();
    let mut doc = 0u32;
    for c in communes.all() {
        // By name only: codes and postcodes go through the place resolver.
        b.add(doc, &[(&c.name, 3)]);
        doc += 1;
    }
    for t in territories {
        b.add(doc, &[(&t.territory.name, 3)]);
        doc += 1;
    }
    for (_, k) in kinds.iter() {
        b.add(doc, &[(&k.label, 3), (&k.id, 2)]);
        doc += 1;
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Precision, SourceId};
    use crate::sources::Imported;

    fn rec(id: &str, kind: KindId, lon: f64, lat: f64) -> ActorRecord {
        let mut r = ActorRecord::new(id, id, kind, SourceId(0));
        r.position = Some(LonLat::new(lon, lat));
        r.precision = Precision::Address;
        r
    }

    /// The text index of actors loaded from files is built after the directory: a search made
    /// before it is ready waits for it, and finds what the index built at once finds; then
    /// nothing is left in preparation.
    #[test]
    fn deferred_text_index_answers_as_one_built_at_once() {
        let mut ds = Dataset::new();
        let k = ds.kinds.by_id("pharmacie").unwrap();
        let actors = (0..5000)
            .map(|i| {
                let mut r = rec(&format!("finess:{i:05}"), k, 2.0, 44.0);
                r.name = format!("Pharmacie {} du Marché", ["Lune", "Soleil", "Gare"][i % 3]);
                r
            })
            .collect();
        let imported = Imported {
            actors,
            ..Default::default()
        };
        ds.add(
            imported,
            FileReport::new("f.csv", crate::sources::finess::FORMAT),
        );
        let dir = Directory::build(ds);
        let f = ActorFilter {
            text: Some("soleil marche".into()),
            ..Default::default()
        };
        let found = dir.filter(&f);
        let at_once = actor_text_index(&dir.base.actors, dir.kinds(), &dir.shared.communes);
        let mut expected = at_once.matching("soleil marche");
        expected.sort_unstable();
        assert_eq!(found, expected);
        assert_eq!(found.len(), 1667);
        let t = std::time::Instant::now();
        while !dir.in_preparation().is_empty() {
            assert!(t.elapsed().as_secs() < 30, "{:?}", dir.in_preparation());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Search hits (actors, communes, territories) carry coordinates rounded to 7 decimals,
    /// like the GeoJSON exports.
    #[test]
    fn search_hits_carry_coordinates_rounded_to_7_decimals() {
        let dir = crate::pipeline::directory(None, &mut std::io::sink()).unwrap();
        let mut seen = 0;
        for q in ["albi", "ccas", "gaillac", "ehpad", "81600"] {
            for h in dir.search(q, 20) {
                let coords = [h.lon, h.lat].into_iter().flatten();
                for x in coords.chain(h.bbox.into_iter().flatten()) {
                    assert_eq!(x, round_degrees(x), "{} {}", h.id, x);
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "{seen} coordinates");
    }

    #[test]
    fn local_actors_are_replaced_and_official_ones_shared() {
        let mut ds = Dataset::new();
        let k = ds.kinds.by_id("partenaire").unwrap();
        let imported = Imported {
            actors: vec![
                rec("finess:1", k, 2.0, 44.0),
                rec("local:a", k, 2.0, 44.0),
                rec("finess:1", k, 3.0, 45.0),
            ],
            ..Default::default()
        };
        ds.add(
            imported,
            FileReport::new("f.csv", crate::sources::finess::FORMAT),
        );
        let d1 = Directory::build(ds);
        assert_eq!(d1.actors().len(), 2, "the duplicate id is not loaded twice");
        assert!(
            d1.reports()[0].notes[0].contains("1 acteur(s) non chargé(s)")
                && d1.reports()[0].notes[0].contains("finess:1"),
            "and it is reported: {:?}",
            d1.reports()[0].notes
        );
        let first = d1.actor(d1.find("finess:1").unwrap());
        assert_eq!(
            first.position(),
            Some(LonLat::new(2.0, 44.0)),
            "the first loaded is kept"
        );
        assert!(d1.find("local:a").is_some());
        let mut later = rec("local:b", k, 9.0, 9.0);
        later.name = "plus tard".into();
        let d2 = d1.with_local_actors(vec![
            rec("local:b", k, 2.0, 44.0),
            rec("c", k, 2.5, 44.0),
            later,
        ]);
        let b = d2.actor(d2.find("local:b").unwrap());
        assert_eq!(
            b.name(),
            "local:b",
            "the first of two local records with one id is kept"
        );
        assert!(Arc::ptr_eq(&d1.base, &d2.base));
        assert_eq!(d2.find("local:a"), None);
        assert!(d2.find("local:b").is_some());
        assert!(d2.find("local:c").is_some(), "prefix added");
        assert!(d2.find("finess:1").is_some());
        // Co-located official and local actors: ties ordered by id across segments.
        let near: Vec<&str> = d2
            .nearest(LonLat::new(2.0, 44.0), 3, None)
            .into_iter()
            .map(|(i, _)| d2.actor(i).id())
            .collect();
        assert_eq!(near, ["finess:1", "local:b", "local:c"]);
        let f = ActorFilter {
            text: Some("local".into()),
            ..Default::default()
        };
        let found: Vec<&str> = d2
            .filter(&f)
            .into_iter()
            .map(|i| d2.actor(i).id())
            .collect();
        assert_eq!(found, ["local:b"]);
    }
}
