//! The local actors of a directory (the CPTS's own partners), published in O(change).
//!
//! They live in two segments: a large `stable` one, built once from all of them, and a small
//! `recent` one holding every actor added or replaced since. A stable actor replaced or removed
//! since is hidden by a tombstone (`dead`). A change rebuilds only the recent segment and its
//! areas; when the recent segment and the tombstones together pass [`RECENT_LIMIT`], the
//! directory asks to be compacted ([`LocalPart::needs_compaction`]): everything is rebuilt into
//! one stable segment, off the request path (see [`crate::store::service`]).
//!
//! Queries answer exactly as one segment of the same actors would: tombstoned actors are
//! skipped, and answers in index order list local actors by id (the order of a full build).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::areas::{self, AreaIndex};
use super::directory::{actor_texts, Segment, Shared, LOCAL_PREFIX};
use super::text::TermDelta;
use crate::model::{Actor, ActorRecord, ActorTable};

/// Recent actors plus tombstones above which the local actors are compacted.
pub const RECENT_LIMIT: usize = 256;

/// The local actors and their indexes.
#[derive(Debug, Default)]
pub(super) struct LocalPart {
    pub(super) stable: Arc<Segment>,
    pub(super) stable_areas: Arc<AreaIndex>,
    /// Offset `stable.end()`; actors added or replaced since `stable` was built.
    pub(super) recent: Segment,
    pub(super) recent_areas: AreaIndex,
    /// The records of `recent`, by id (to rebuild it with one more change).
    recent_records: BTreeMap<String, ActorRecord>,
    /// Directory indexes of stable actors replaced or removed since.
    pub(super) dead: HashSet<u32>,
    /// Ids changed since `stable` was built, in the order of the changes (a compaction built
    /// off the publish lock replays those that came after its snapshot).
    changed: Vec<String>,
    /// Term frequencies that `recent` and `dead` change in `stable`'s text index: the two
    /// segments are searched as one ([`super::text::TextIndex::search_with`]).
    pub(super) text_delta: TermDelta,
    /// Aliases carried by several stable actors, with all their indexes in id order (the
    /// stable segment keeps the last only, which may be tombstoned).
    shared_aliases: Arc<HashMap<Box<str>, Vec<u32>>>,
}

/// `local:` added to an id that lacks it.
pub(super) fn local_id(id: String) -> String {
    if id.starts_with(LOCAL_PREFIX) {
        id
    } else {
        format!("{LOCAL_PREFIX}{id}")
    }
}

impl LocalPart {
    /// Local actors indexed as one stable segment, with their service areas.
    pub(super) fn new(stable: Segment, stable_areas: AreaIndex) -> LocalPart {
        let mut recent = Segment::default();
        recent.offset = stable.end();
        let mut holders: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (i, a) in stable.actors.iter().enumerate() {
            for alias in a
                .tags()
                .filter_map(|t| t.strip_prefix(crate::dedup::ALIAS_PREFIX))
            {
                holders
                    .entry(alias.into())
                    .or_default()
                    .push(stable.offset + i as u32);
            }
        }
        holders.retain(|_, v| v.len() > 1);
        LocalPart {
            text_delta: TermDelta::default(),
            shared_aliases: Arc::new(holders),
            recent,
            stable: Arc::new(stable),
            stable_areas: Arc::new(stable_areas),
            recent_areas: AreaIndex::default(),
            recent_records: BTreeMap::new(),
            dead: HashSet::new(),
            changed: Vec::new(),
        }
    }

    /// These local actors with `changes` applied: `(id, Some(record))` adds or replaces the
    /// actor `id`, `(id, None)` removes it. Ids lacking `local:` get it. Costs the size of
    /// the recent segment, not of the local actors.
    pub(super) fn with_changes(
        &self,
        changes: impl IntoIterator<Item = (String, Option<ActorRecord>)>,
        sh: &Shared,
    ) -> LocalPart {
        let mut records = self.recent_records.clone();
        let mut dead = self.dead.clone();
        let mut changed = self.changed.clone();
        for (id, record) in changes {
            let id = local_id(id);
            changed.push(id.clone());
            if let Some(i) = self.stable_position(&id) {
                dead.insert(i);
            }
            match record {
                Some(mut r) => {
                    r.id = id.clone();
                    records.insert(id, r);
                }
                None => {
                    records.remove(&id);
                }
            }
        }
        let actors = ActorTable::from_records(records.values());
        let recent = Segment::build(self.stable.end(), actors, None, &sh.kinds, &sh.communes);
        let recent_areas = segment_areas(&recent, sh, None);
        let removed = dead.iter().map(|&i| {
            let a = self.stable.actors.get((i - self.stable.offset) as usize);
            actor_texts(a, &sh.kinds, &sh.communes)
        });
        let text_delta = TermDelta::new(recent.text(), removed);
        LocalPart {
            stable: Arc::clone(&self.stable),
            stable_areas: Arc::clone(&self.stable_areas),
            recent,
            recent_areas,
            recent_records: records,
            dead,
            changed,
            text_delta,
            shared_aliases: Arc::clone(&self.shared_aliases),
        }
    }

    /// The changes made to `self` since `before` (an earlier version with the same stable
    /// segment), as `(id, record now or None)`: replayed on a compaction of `before`, they give
    /// the actors of `self`. `None` when `self` does not descend from `before` (its local
    /// actors were rebuilt since).
    pub(super) fn changes_since(
        &self,
        before: &LocalPart,
    ) -> Option<Vec<(String, Option<ActorRecord>)>> {
        let n = before.changed.len();
        if !Arc::ptr_eq(&self.stable, &before.stable) || self.changed.get(..n)? != before.changed {
            return None;
        }
        let mut seen = HashSet::new();
        Some(
            self.changed[n..]
                .iter()
                .filter(|id| seen.insert(id.as_str()))
                // A changed id is live in the recent segment, or removed (and its stable
                // version tombstoned).
                .map(|id| (id.clone(), self.recent_records.get(id).cloned()))
                .collect(),
        )
    }

    /// The directory index of a stable actor, tombstoned or not.
    fn stable_position(&self, id: &str) -> Option<u32> {
        self.stable
            .actors
            .find(id)
            .map(|i| self.stable.offset + i as u32)
    }

    /// True when the recent segment and the tombstones are large enough to compact.
    pub(super) fn needs_compaction(&self) -> bool {
        self.recent.actors.len() + self.dead.len() > RECENT_LIMIT
    }

    /// The live local actors as records, sorted by id (to rebuild them as one segment).
    pub(super) fn records(&self) -> Vec<ActorRecord> {
        self.iter().map(|a| a.to_record()).collect()
    }

    /// Number of live local actors.
    pub(super) fn len(&self) -> usize {
        self.stable.actors.len() - self.dead.len() + self.recent.actors.len()
    }

    /// The index of the local actor `id`, if it is live.
    pub(super) fn find(&self, id: &str) -> Option<u32> {
        let recent = &self.recent;
        if let Some(i) = recent.actors.find(id) {
            return Some(recent.offset + i as u32);
        }
        self.stable_position(id).filter(|i| !self.dead.contains(i))
    }

    /// The live local actor carrying `alias`: the last in id order when several do (as in
    /// one segment).
    pub(super) fn find_alias(&self, alias: &str) -> Option<u32> {
        let stable = match self.shared_aliases.get(alias) {
            Some(all) => all.iter().rev().copied().find(|&i| self.is_live(i)),
            None => self.stable.alias(alias).filter(|&i| self.is_live(i)),
        };
        let recent = self.recent.alias(alias);
        let id = |i: u32| match i.checked_sub(self.recent.offset) {
            Some(r) => self.recent.actors.get(r as usize).id(),
            None => self
                .stable
                .actors
                .get((i - self.stable.offset) as usize)
                .id(),
        };
        match (stable, recent) {
            (Some(s), Some(r)) => Some(if id(s) > id(r) { s } else { r }),
            (s, r) => s.or(r),
        }
    }

    /// True when the stable segment is searched alone: nothing changed since it was built.
    pub(super) fn unchanged(&self) -> bool {
        self.recent.actors.is_empty() && self.dead.is_empty()
    }

    /// The tombstones of a segment, when it is the stable one and has any.
    pub(super) fn dead_in(&self, seg: &Segment) -> Option<&HashSet<u32>> {
        (std::ptr::eq(seg, &*self.stable) && !self.dead.is_empty()).then_some(&self.dead)
    }

    /// False for a tombstoned index.
    pub(super) fn is_live(&self, i: u32) -> bool {
        self.dead.is_empty() || !self.dead.contains(&i)
    }

    /// Puts the local indexes of `v` (sorted by index, official ones first) in id order, the
    /// order of a full build. `id` gives an index's actor id.
    pub(super) fn order_by_id<'a, T>(
        &self,
        v: &mut [T],
        index: impl Fn(&T) -> u32,
        id: impl Fn(u32) -> &'a str,
    ) {
        if self.recent.actors.is_empty() {
            return;
        }
        let start = v.partition_point(|x| index(x) < self.stable.offset);
        v[start..].sort_by(|a, b| id(index(a)).cmp(id(index(b))));
    }

    /// Live local actors in id order.
    pub(super) fn iter(&self) -> impl Iterator<Item = Actor<'_>> + '_ {
        let offset = self.stable.offset;
        let mut stable = self
            .stable
            .actors
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.is_live(offset + *i as u32))
            .map(|(_, a)| a)
            .peekable();
        let mut recent = self.recent.actors.iter().peekable();
        std::iter::from_fn(move || match (stable.peek(), recent.peek()) {
            (Some(a), Some(b)) if a.id() < b.id() => stable.next(),
            (Some(_), Some(_)) | (None, _) => recent.next(),
            (Some(_), None) => stable.next(),
        })
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.stable.heap_bytes()
            + self.recent.heap_bytes()
            + self.dead.len() * 8
            + self.text_delta.heap_bytes()
    }
}

/// The service areas of a segment's actors.
pub(super) fn segment_areas(
    seg: &Segment,
    sh: &Shared,
    reports: Option<&mut Vec<crate::sources::FileReport>>,
) -> AreaIndex {
    areas::index_segment(
        &seg.actors,
        seg.offset,
        &sh.kinds,
        &sh.communes,
        &sh.places,
        &sh.territories,
        &sh.zones,
        reports,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::sync::{Arc, OnceLock};

    use proptest::prelude::*;

    use crate::index::{ActorFilter, Directory};
    use crate::model::{ActorRecord, InseeCode, KindId, LonLat, Precision, SourceId};

    /// The demo directory (the Tarn), loaded once.
    fn demo() -> &'static Directory {
        static DIR: OnceLock<Directory> = OnceLock::new();
        DIR.get_or_init(|| crate::pipeline::directory(None, &mut std::io::sink()).unwrap())
    }

    const KINDS: [&str; 5] = ["partenaire", "dac", "mairie", "ehpad", "pharmacie"];
    const WORDS: [&str; 6] = ["Maison", "Santé", "Tarn", "Soins", "Albi", "Aide"];
    const ZONES: [&str; 4] = ["81004", "Gaillac", "81", "81000"];

    /// One partner as drawn: kind, commune, offset from the commune's centre (none: no
    /// coordinates), name words, zone.
    type Draw = (
        usize,
        usize,
        Option<(i8, i8)>,
        (usize, usize),
        Option<usize>,
    );

    fn record(id: &str, (k, c, off, (w1, w2), zone): Draw) -> ActorRecord {
        let dir = demo();
        let kind = dir.kinds().by_id(KINDS[k]).unwrap();
        let commune = &dir.communes().all()[c * 7 % dir.communes().len()];
        let mut r = ActorRecord::new(
            id,
            format!("{} {}", WORDS[w1], WORDS[w2]),
            kind,
            SourceId(0),
        );
        r.commune = Some(commune.code);
        if let (Some((dx, dy)), Some(p)) = (off, commune.centroid()) {
            // Small steps: co-located actors (ties) are frequent.
            r.position = Some(LonLat::new(
                p.lon + dx as f64 * 1e-3,
                p.lat + dy as f64 * 1e-3,
            ));
            r.precision = Precision::Address;
        }
        if let Some(z) = zone {
            r.tags.push(format!("zone:{}", ZONES[z]));
        }
        r
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// A new partner (id number; the record's id is set from it).
        Create(u8, ActorRecord),
        /// A replaced partner (PUT), or a patch of its name only.
        Replace(u8, ActorRecord),
        Patch(u8, String),
        Archive(u8),
        Restore(u8),
        Compact,
        /// A compaction built off the publish lock: snapshot and compact now…
        BeginCompaction,
        /// …then replay the changes published meanwhile and swap it in.
        EndCompaction,
    }

    fn draw() -> impl Strategy<Value = Draw> + Clone {
        (
            0..KINDS.len(),
            0usize..12,
            proptest::option::of((-3i8..3, -3i8..3)),
            (0..WORDS.len(), 0..WORDS.len()),
            proptest::option::weighted(0.3, 0..ZONES.len()),
        )
    }

    /// Changes to partners numbered below `n`, records drawn by `rec`, names by `name`.
    fn op(
        n: u8,
        rec: impl Strategy<Value = ActorRecord> + Clone,
        name: impl Strategy<Value = String>,
    ) -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..n, rec.clone()).prop_map(|(i, r)| Op::Create(i, r)),
            2 => (0..n, rec).prop_map(|(i, r)| Op::Replace(i, r)),
            2 => (0..n, name).prop_map(|(i, w)| Op::Patch(i, w)),
            2 => (0..n).prop_map(Op::Archive),
            1 => (0..n).prop_map(Op::Restore),
            1 => Just(Op::Compact),
            1 => Just(Op::BeginCompaction),
            1 => Just(Op::EndCompaction),
        ]
    }

    fn words(
        w: impl Strategy<Value = usize> + Clone,
        words: &'static [&'static str],
    ) -> impl Strategy<Value = String> {
        (w.clone(), w).prop_map(move |(a, b)| format!("{} {}", words[a], words[b]))
    }

    fn id(i: u8) -> String {
        format!("local:p{i:02}")
    }

    /// Every answer of `got` equals that of `want`, actors compared by id.
    pub(crate) fn same_answers(got: &Directory, want: &Directory) -> Result<(), TestCaseError> {
        let ids = |d: &Directory, v: Vec<u32>| -> Vec<String> {
            v.into_iter().map(|i| d.actor(i).id().to_string()).collect()
        };
        let dist = |d: &Directory, v: Vec<(u32, f64)>| -> Vec<(String, f64)> {
            v.into_iter()
                .map(|(i, m)| (d.actor(i).id().to_string(), m))
                .collect()
        };
        let all = |d: &Directory| -> Vec<String> {
            d.actors().iter().map(|a| a.id().to_string()).collect()
        };
        prop_assert_eq!(all(got), all(want));
        prop_assert_eq!(got.actors().len(), want.actors().len());
        let local = |d: &Directory| -> Vec<String> {
            d.local_actors()
                .map(|a| format!("{:?}", a.to_record()))
                .collect()
        };
        prop_assert_eq!(local(got), local(want));
        for i in 0u8..40 {
            let f = |d: &Directory| d.find(&id(i)).map(|x| d.actor(x).id().to_string());
            prop_assert_eq!(f(got), f(want));
        }
        let kinds: Vec<KindId> = KINDS
            .iter()
            .map(|k| demo().kinds().by_id(k).unwrap())
            .collect();
        for k in &kinds {
            prop_assert_eq!(got.kind_count(*k), want.kind_count(*k));
        }
        let sets: [Option<Vec<KindId>>; 3] =
            [None, Some(vec![kinds[0]]), Some(vec![kinds[1], kinds[3]])];
        let communes: Vec<InseeCode> = (0..12)
            .map(|c| demo().communes().all()[c * 7 % demo().communes().len()].code)
            .collect();
        for (n, c) in communes.iter().enumerate() {
            prop_assert_eq!(
                ids(got, got.actors_in_commune(*c)),
                ids(want, want.actors_in_commune(*c))
            );
            let at = demo().commune(*c).unwrap().centroid().unwrap();
            for ks in &sets {
                let ks = ks.as_deref();
                prop_assert_eq!(
                    dist(got, got.nearest(at, 1 + n, ks)),
                    dist(want, want.nearest(at, 1 + n, ks))
                );
                prop_assert_eq!(
                    dist(got, got.within(at, 5_000.0, ks)),
                    dist(want, want.within(at, 5_000.0, ks))
                );
                let g = got.competent(Some(at), None, ks);
                let w = want.competent(Some(at), None, ks);
                let named = |d: &Directory, v: Vec<(u32, String)>| -> Vec<(String, String)> {
                    v.into_iter()
                        .map(|(i, why)| (d.actor(i).id().to_string(), why))
                        .collect()
                };
                prop_assert_eq!(named(got, g), named(want, w));
            }
            let geometry = &demo().commune(*c).unwrap().geometry;
            prop_assert_eq!(
                ids(got, got.in_polygon(geometry, None)),
                ids(want, want.in_polygon(geometry, None))
            );
        }
        let filters = [
            ActorFilter::default(),
            ActorFilter {
                kinds: Some(vec![kinds[0], kinds[2]]),
                ..Default::default()
            },
            ActorFilter {
                text: Some("maison".into()),
                ..Default::default()
            },
            ActorFilter {
                text: Some("sante".into()),
                kinds: Some(vec![kinds[1]]),
                ..Default::default()
            },
            ActorFilter {
                communes: Some(communes[..5].iter().copied().collect()),
                ..Default::default()
            },
            ActorFilter {
                bbox: Some((LonLat::new(1.5, 43.5), LonLat::new(2.2, 44.0))),
                ..Default::default()
            },
        ];
        for f in &filters {
            prop_assert_eq!(ids(got, got.filter(f)), ids(want, want.filter(f)));
        }
        for q in ["maison", "sante tarn", "soi", "aide albi", "81000 maison"] {
            let hits = |d: &Directory| -> Vec<String> {
                d.search(q, 12)
                    .into_iter()
                    .map(|h| format!("{:?} {} {} {}", h.category, h.id, h.label, h.score))
                    .collect()
            };
            prop_assert_eq!(hits(got), hits(want));
        }
        for a in want.local_actors() {
            let area = |d: &Directory| -> Option<Vec<(String, Vec<InseeCode>)>> {
                let i = d.find(a.id())?;
                d.service_area(i).map(|x| {
                    x.parts
                        .iter()
                        .map(|p| (p.label.clone(), p.communes.clone()))
                        .collect()
                })
            };
            prop_assert_eq!(area(got), area(want));
        }
        Ok(())
    }

    /// Applies `first` (one build), then `ops` one by one (and compactions, synchronous or
    /// built beside later changes), checking after each step that `check` finds the
    /// directory equal to one built from scratch with the same local actors.
    fn replay(
        first: Vec<(u8, ActorRecord)>,
        ops: Vec<Op>,
        check: impl Fn(&Directory, &Directory) -> Result<(), TestCaseError>,
    ) -> Result<(), TestCaseError> {
        let mut live: BTreeMap<String, ActorRecord> = BTreeMap::new();
        let mut archived: BTreeMap<String, ActorRecord> = BTreeMap::new();
        for (i, mut r) in first {
            r.id = id(i);
            live.insert(id(i), r);
        }
        let mut dir = Arc::new(demo().with_local_actors(live.values().cloned().collect()));
        // A compaction in progress: the version it started from and its result.
        let mut pending: Option<(Arc<Directory>, Directory)> = None;
        for op in ops {
            let change = match op {
                Op::Create(i, mut r) | Op::Replace(i, mut r) => {
                    archived.remove(&id(i));
                    r.id = id(i);
                    Some((id(i), Some(r)))
                }
                Op::Patch(i, name) => live.get(&id(i)).map(|r| {
                    let mut r = r.clone();
                    r.name = name;
                    (id(i), Some(r))
                }),
                Op::Archive(i) => live.remove(&id(i)).map(|r| {
                    archived.insert(id(i), r);
                    (id(i), None)
                }),
                Op::Restore(i) => archived.remove(&id(i)).map(|r| (id(i), Some(r))),
                Op::Compact => {
                    dir = Arc::new(dir.compacted());
                    None
                }
                Op::BeginCompaction => {
                    pending = Some((Arc::clone(&dir), dir.compacted()));
                    None
                }
                Op::EndCompaction => {
                    if let Some((before, compacted)) = pending.take() {
                        // Stale (`None`) only when a compaction ran since `before`.
                        match dir.with_compaction_of(&before, compacted) {
                            Some(next) => {
                                // Only the changes since `before` are in its recent part.
                                let n = before.local.changed.len();
                                let since: HashSet<&String> =
                                    dir.local.changed[n..].iter().collect();
                                prop_assert_eq!(next.local.changed.len(), since.len());
                                dir = Arc::new(next);
                            }
                            None => {
                                prop_assert!(!Arc::ptr_eq(&dir.local.stable, &before.local.stable))
                            }
                        }
                    }
                    None
                }
            };
            if let Some((i, r)) = change {
                if let Some(r) = &r {
                    live.insert(i.clone(), r.clone());
                }
                dir = Arc::new(dir.with_local_changes([(i, r)]));
            }
            let want = demo().with_local_actors(live.values().cloned().collect());
            check(&dir, &want)?;
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Changes applied one by one (and compactions) answer as a directory built from
        /// scratch with the same local actors.
        #[test]
        fn incremental_changes_equal_a_full_build(
            first in proptest::collection::vec((0u8..40, draw().prop_map(|d| record("", d))), 0..20),
            ops in proptest::collection::vec(
                op(40, draw().prop_map(|d| record("", d)), words(0..WORDS.len(), &WORDS)),
                1..40,
            ),
        ) {
            replay(first, ops, same_answers)?;
        }

        /// Prefixes with more completions than a search uses (over 64, or over 16 for one or
        /// two characters), their completions spread over the stable and the recent segment
        /// with other frequencies than in one segment: the same completions are chosen, so
        /// search and text filters answer as a full build.
        #[test]
        fn prefixes_with_many_completions_equal_a_full_build(
            first in proptest::collection::vec((0u8..120, many_completions()), 0..80),
            ops in proptest::collection::vec(
                op(120, many_completions(), words(skewed(), many_words())),
                1..40,
            ),
        ) {
            replay(first, ops, |got, want| {
                for q in [
                    "m", "ma", "mai", "maia", "maib", "maiaa", "maibx", "mai mai", "maiaa mai",
                    "maiab maic", "mou mai", "mai tarn", "albi mai", "maiaa maiab mai", "mairie",
                    "mouc ma",
                ] {
                    for limit in [3, 20, 300] {
                        prop_assert_eq!(hits(got, q, limit), hits(want, q, limit), "{} {}", q, limit);
                    }
                    let f = ActorFilter { text: Some(q.into()), ..Default::default() };
                    prop_assert_eq!(ids(got, got.filter(&f)), ids(want, want.filter(&f)), "{}", q);
                }
                Ok(())
            })?;
        }

        /// The same `alias:` on several partners (in both segments, some archived): an alias
        /// finds the partner a full build finds.
        #[test]
        fn an_alias_on_several_partners_equals_a_full_build(
            first in proptest::collection::vec((0u8..30, with_aliases()), 0..20),
            ops in proptest::collection::vec(
                op(30, with_aliases(), words(0..WORDS.len(), &WORDS)),
                1..40,
            ),
        ) {
            replay(first, ops, |got, want| {
                for alias in ALIASES {
                    let f = |d: &Directory| d.find(alias).map(|x| d.actor(x).id().to_string());
                    prop_assert_eq!(f(got), f(want), "{}", alias);
                }
                Ok(())
            })?;
        }
    }

    /// Ids of actors at directory indexes.
    fn ids(d: &Directory, v: Vec<u32>) -> Vec<String> {
        v.into_iter().map(|i| d.actor(i).id().to_string()).collect()
    }

    /// Search hits, everything compared (score included).
    fn hits(d: &Directory, q: &str, limit: usize) -> Vec<String> {
        d.search(q, limit)
            .into_iter()
            .map(|h| format!("{:?} {} {} {}", h.category, h.id, h.label, h.score))
            .collect()
    }

    /// 100 words starting with `mai` (`maiaa` … `maijj`), then 30 with `mou`.
    fn many_words() -> &'static [&'static str] {
        static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        WORDS.get_or_init(|| {
            let letter = |i: usize| (b'a' + i as u8) as char;
            (0..130)
                .map(|i| {
                    let stem = if i < 100 { "mai" } else { "mou" };
                    let w = format!("{stem}{}{}", letter(i % 100 / 10), letter(i % 10));
                    &*Box::leak(w.into_boxed_str())
                })
                .collect()
        })
    }

    /// A word index, small ones more often (completions of unequal frequencies, some tied).
    fn skewed() -> impl Strategy<Value = usize> + Clone {
        (0usize..130).prop_map(|x| x * x / 130)
    }

    fn many_completions() -> impl Strategy<Value = ActorRecord> + Clone {
        (draw(), skewed(), skewed(), skewed()).prop_map(|(d, a, b, c)| {
            let w = many_words();
            let mut r = record("", d);
            r.name = format!("{} {} {}", w[a], w[b], w[c]);
            r
        })
    }

    /// Aliases carried by the partners of the alias test (one is also a partner's id).
    const ALIASES: [&str; 4] = [
        "finess:810000001",
        "finess:810000002",
        "rpps:10001",
        "local:p03",
    ];

    fn with_aliases() -> impl Strategy<Value = ActorRecord> + Clone {
        (draw(), proptest::collection::vec(0..ALIASES.len(), 0..3)).prop_map(|(d, aliases)| {
            let mut r = record("", d);
            for a in aliases {
                let tag = format!("{}{}", crate::dedup::ALIAS_PREFIX, ALIASES[a]);
                if !r.tags.contains(&tag) {
                    r.tags.push(tag);
                }
            }
            r
        })
    }
}
