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

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::areas::{self, AreaIndex};
use super::directory::{Segment, Shared, LOCAL_PREFIX};
use crate::model::{Actor, ActorRecord};

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
        LocalPart {
            recent,
            stable: Arc::new(stable),
            stable_areas: Arc::new(stable_areas),
            recent_areas: AreaIndex::default(),
            recent_records: BTreeMap::new(),
            dead: HashSet::new(),
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
        for (id, record) in changes {
            let id = local_id(id);
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
        let actors: Vec<Actor> = records.values().cloned().map(Actor::from).collect();
        let recent = Segment::build(self.stable.end(), actors, &sh.kinds, &sh.communes);
        let recent_areas = segment_areas(&recent, sh, None);
        LocalPart {
            stable: Arc::clone(&self.stable),
            stable_areas: Arc::clone(&self.stable_areas),
            recent,
            recent_areas,
            recent_records: records,
            dead,
        }
    }

    /// The directory index of a stable actor, tombstoned or not.
    fn stable_position(&self, id: &str) -> Option<u32> {
        self.stable
            .actors
            .binary_search_by(|a| a.id().cmp(id))
            .ok()
            .map(|i| self.stable.offset + i as u32)
    }

    /// True when the recent segment and the tombstones are large enough to compact.
    pub(super) fn needs_compaction(&self) -> bool {
        self.recent.actors.len() + self.dead.len() > RECENT_LIMIT
    }

    /// The live local actors as records, sorted by id (to rebuild them as one segment).
    pub(super) fn records(&self) -> Vec<ActorRecord> {
        self.iter().map(Actor::to_record).collect()
    }

    /// Number of live local actors.
    pub(super) fn len(&self) -> usize {
        self.stable.actors.len() - self.dead.len() + self.recent.actors.len()
    }

    /// The index of the local actor `id`, if it is live.
    pub(super) fn find(&self, id: &str) -> Option<u32> {
        let recent = &self.recent;
        if let Ok(i) = recent.actors.binary_search_by(|a| a.id().cmp(id)) {
            return Some(recent.offset + i as u32);
        }
        self.stable_position(id).filter(|i| !self.dead.contains(i))
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
    pub(super) fn iter(&self) -> impl Iterator<Item = &Actor> + '_ {
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
        self.stable.heap_bytes() + self.recent.heap_bytes() + self.dead.len() * 8
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
mod tests {
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

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
        /// A new partner (id number).
        Create(u8, Draw),
        /// A replaced partner (PUT), or a patch of its name only.
        Replace(u8, Draw),
        Patch(u8, (usize, usize)),
        Archive(u8),
        Restore(u8),
        Compact,
    }

    fn draw() -> impl Strategy<Value = Draw> {
        (
            0..KINDS.len(),
            0usize..12,
            proptest::option::of((-3i8..3, -3i8..3)),
            (0..WORDS.len(), 0..WORDS.len()),
            proptest::option::weighted(0.3, 0..ZONES.len()),
        )
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..40, draw()).prop_map(|(i, d)| Op::Create(i, d)),
            2 => (0u8..40, draw()).prop_map(|(i, d)| Op::Replace(i, d)),
            2 => (0u8..40, (0..WORDS.len(), 0..WORDS.len())).prop_map(|(i, w)| Op::Patch(i, w)),
            2 => (0u8..40).prop_map(Op::Archive),
            1 => (0u8..40).prop_map(Op::Restore),
            1 => Just(Op::Compact),
        ]
    }

    fn id(i: u8) -> String {
        format!("local:p{i:02}")
    }

    /// Every answer of `got` equals that of `want`, actors compared by id.
    fn same_answers(got: &Directory, want: &Directory) -> Result<(), TestCaseError> {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Changes applied one by one (and compactions) answer as a directory built from
        /// scratch with the same local actors.
        #[test]
        fn incremental_changes_equal_a_full_build(
            first in proptest::collection::vec((0u8..40, draw()), 0..20),
            ops in proptest::collection::vec(op(), 1..40),
        ) {
            let mut live: BTreeMap<String, ActorRecord> = BTreeMap::new();
            let mut archived: BTreeMap<String, ActorRecord> = BTreeMap::new();
            for (i, d) in first {
                live.insert(id(i), record(&id(i), d));
            }
            let mut dir = demo().with_local_actors(live.values().cloned().collect());
            for op in ops {
                let change = match op {
                    Op::Create(i, d) | Op::Replace(i, d) => {
                        archived.remove(&id(i));
                        Some((id(i), Some(record(&id(i), d))))
                    }
                    Op::Patch(i, (w1, w2)) => live.get(&id(i)).map(|r| {
                        let mut r = r.clone();
                        r.name = format!("{} {}", WORDS[w1], WORDS[w2]);
                        (id(i), Some(r))
                    }),
                    Op::Archive(i) => live.remove(&id(i)).map(|r| {
                        archived.insert(id(i), r);
                        (id(i), None)
                    }),
                    Op::Restore(i) => archived.remove(&id(i)).map(|r| (id(i), Some(r))),
                    Op::Compact => {
                        dir = dir.compacted();
                        None
                    }
                };
                if let Some((i, r)) = change {
                    if let Some(r) = &r {
                        live.insert(i.clone(), r.clone());
                    }
                    dir = dir.with_local_changes([(i, r)]);
                }
                let want = demo().with_local_actors(live.values().cloned().collect());
                same_answers(&dir, &want)?;
            }
        }
    }
}
