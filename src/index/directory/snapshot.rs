//! A directory written to and read back from a snapshot file ([`crate::sources::snapshot`]).
//!
//! Everything of the official segment is an array used in place: actor rows and text arena,
//! text index, point tree, per-kind trees, members of each kind, actors of each commune,
//! aliases, actors with a `zone:` tag (so that indexing service areas reads only them and
//! the town halls and CCAS, not every actor's text). Opening checks what a query will use as an index (actor indexes below the
//! segment's length, offsets inside their arrays, tree sizes matching their point counts) in
//! one pass over each array, so that a file whose checksums hold but whose content is wrong
//! (written by another program) is refused instead of panicking later. The large arrays are
//! checked through the file ([`crate::util::slab::Slab::find`]), so that these passes leave
//! them out of the process's resident memory until queries read them. The rest (kinds,
//! communes, territories, service areas, local actors) is rebuilt from the small parts.

use std::path::Path;

use super::{Directory, Official, Parts, Segment};
use crate::index::lists::{AliasIndex, CommuneLists, Groups};
use crate::index::spatial::{Entry, Node, PointIndex};
use crate::index::text::{TextIndex, TextParts};
use crate::model::ActorTable;
use crate::sources::snapshot::Snapshot;
use crate::sources::{snapshot, Dataset, SourceError};

/// Arrays after the small parts, in this order.
const ROWS: usize = 0;
const ARENA: usize = 1;
/// Seven arrays of the text index.
const TEXT: usize = 2;
const POINT_NODES: usize = TEXT + 7;
const POINT_ENTRIES: usize = POINT_NODES + 1;
/// One `[u64; 4]` per kind: its tree's nodes and entries (start, end) in the next two
/// arrays, or [`NO_TREE`] for a kind queried through the tree of every actor.
const KIND_TREES: usize = POINT_ENTRIES + 1;
const KIND_NODES: usize = KIND_TREES + 1;
const KIND_ENTRIES: usize = KIND_NODES + 1;
const KIND_OFFSETS: usize = KIND_ENTRIES + 1;
const KIND_MEMBERS: usize = KIND_OFFSETS + 1;
const COMMUNE_CODES: usize = KIND_MEMBERS + 1;
const COMMUNE_OFFSETS: usize = COMMUNE_CODES + 1;
const COMMUNE_MEMBERS: usize = COMMUNE_OFFSETS + 1;
const ALIAS_BYTES: usize = COMMUNE_MEMBERS + 1;
const ALIAS_ENDS: usize = ALIAS_BYTES + 1;
const ALIAS_TARGETS: usize = ALIAS_ENDS + 1;
/// Actors with a `zone:` tag.
const ZONED: usize = ALIAS_TARGETS + 1;
const ARRAYS: usize = ZONED + 1;

const NO_TREE: [u64; 4] = [u64::MAX; 4];

impl Directory {
    /// Writes this directory as a snapshot (atomically); returns the bytes written.
    pub fn write_snapshot(&self, path: &Path) -> Result<u64, SourceError> {
        let sh = &self.shared;
        let mut small = Dataset::new();
        small.kinds = sh.kinds.clone();
        small.actors = self.local_actors().map(|a| a.to_record()).collect();
        small.communes = sh.communes.all().to_vec();
        small.territories = sh.territories.iter().map(|t| t.territory.clone()).collect();
        small.equipment_counts = sh.equipment_counts.clone();
        small.service_areas = sh.zones.clone();
        small.reports = sh.reports.clone();
        small.former_communes = sh.former_communes.clone();
        let base = &self.base;
        let (rows, arena) = base.actors.parts();
        let t = base.text.parts();
        let points = base.points.parts();
        let (mut kind_nodes, mut kind_entries) = (Vec::<Node>::new(), Vec::<Entry>::new());
        let kind_trees: Vec<[u64; 4]> = base
            .by_kind
            .iter()
            .map(|tree| match tree {
                None => NO_TREE,
                Some(tree) => {
                    let p = tree.parts();
                    let (n, e) = (kind_nodes.len() as u64, kind_entries.len() as u64);
                    kind_nodes.extend_from_slice(p.nodes);
                    kind_entries.extend_from_slice(p.entries);
                    [n, kind_nodes.len() as u64, e, kind_entries.len() as u64]
                }
            })
            .collect();
        let (kind_offsets, kind_members) = base.kind_members.parts();
        let (codes, commune_offsets, commune_members) = base.by_commune.parts();
        let (alias_bytes, alias_ends, alias_targets) = base.aliases.parts();
        let arrays: [&[u8]; ARRAYS] = [
            rows.as_bytes(),
            arena.as_bytes(),
            t.dict.as_bytes(),
            t.term_lens.as_bytes(),
            t.offsets.as_bytes(),
            t.postings.as_bytes(),
            t.weights.as_bytes(),
            t.docs.as_bytes(),
            t.meta.as_bytes(),
            points.node_bytes(),
            points.entry_bytes(),
            bytemuck::cast_slice(&kind_trees),
            bytemuck::cast_slice(&kind_nodes),
            bytemuck::cast_slice(&kind_entries),
            kind_offsets.as_bytes(),
            kind_members.as_bytes(),
            codes.as_bytes(),
            commune_offsets.as_bytes(),
            commune_members.as_bytes(),
            alias_bytes.as_bytes(),
            alias_ends.as_bytes(),
            alias_targets.as_bytes(),
            base.zoned.as_bytes(),
        ];
        snapshot::write(path, &small, &arrays)
    }

    /// Opens a snapshot written by [`Directory::write_snapshot`]: the file is mapped and
    /// checked, the official actors and all their indexes are used in place.
    pub fn open_snapshot(path: &Path) -> Result<Directory, SourceError> {
        let file = snapshot::open(path)?;
        if file.arrays() != ARRAYS {
            return Err(file.invalid(format!("{} tableaux au lieu de {ARRAYS}", file.arrays())));
        }
        let base = official_segment(&file)?;
        let ds = file.dataset;
        let local = ActorTable::from_records(&ds.actors);
        let parts = Parts::from_dataset(ds);
        Ok(Directory::assemble(
            parts,
            Official::Indexed(Box::new(base)),
            local,
            false,
        ))
    }
}

/// The official segment, every array in place, checked (see the module docs).
fn official_segment(file: &Snapshot) -> Result<Segment, SourceError> {
    let invalid = |e: &dyn std::fmt::Display| file.invalid(e.to_string());
    let actors =
        ActorTable::from_parts(file.array(ROWS)?, file.array(ARENA)?).map_err(|e| invalid(&e))?;
    let n = u32::try_from(actors.len()).map_err(|_| invalid(&"trop d'acteurs"))?;
    let text = TextIndex::from_parts(TextParts {
        dict: file.array(TEXT)?,
        term_lens: file.array(TEXT + 1)?,
        offsets: file.array(TEXT + 2)?,
        postings: file.array(TEXT + 3)?,
        weights: file.array(TEXT + 4)?,
        docs: file.array(TEXT + 5)?,
        meta: file.array(TEXT + 6)?,
    })
    .map_err(|e| invalid(&e))?;
    if text.has_doc_from(actors.len()) {
        return Err(invalid(&"index de recherche hors des acteurs"));
    }
    let tree = |nodes, entries| -> Result<PointIndex, SourceError> {
        let t = PointIndex::from_parts(nodes, entries).map_err(|e| invalid(&e))?;
        t.check_keys(n).map_err(|e| invalid(&e))?;
        Ok(t)
    };
    let points = tree(file.array(POINT_NODES)?, file.array(POINT_ENTRIES)?)?;
    let (nodes, entries) = (
        file.array::<Node>(KIND_NODES)?,
        file.array::<Entry>(KIND_ENTRIES)?,
    );
    let by_kind = file
        .array::<[u64; 4]>(KIND_TREES)?
        .iter()
        .enumerate()
        .map(|(k, &row)| {
            if row == NO_TREE {
                return Ok(None);
            }
            let [n0, n1, e0, e1] = row.map(|v| usize::try_from(v).unwrap_or(usize::MAX));
            if n0 > n1 || n1 > nodes.len() || e0 > e1 || e1 > entries.len() {
                return Err(invalid(&format!(
                    "arbre du type n° {k} hors de ses tableaux"
                )));
            }
            tree(nodes.slice(n0..n1), entries.slice(e0..e1)).map(Some)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let kind_members = Groups::from_parts(
        "acteurs par type",
        file.array(KIND_OFFSETS)?,
        file.array(KIND_MEMBERS)?,
        0..n,
    )
    .map_err(|e| invalid(&e))?;
    let by_commune = CommuneLists::from_parts(
        file.array(COMMUNE_CODES)?,
        file.array(COMMUNE_OFFSETS)?,
        file.array(COMMUNE_MEMBERS)?,
        0..n,
    )
    .map_err(|e| invalid(&e))?;
    let aliases = AliasIndex::from_parts(
        file.array(ALIAS_BYTES)?,
        file.array(ALIAS_ENDS)?,
        file.array(ALIAS_TARGETS)?,
        0..n,
    )
    .map_err(|e| invalid(&e))?;
    let zoned = file.array::<u32>(ZONED)?;
    if let Some((_, i)) = zoned.find(|&i| i >= n) {
        return Err(invalid(&format!("acteur n° {i} hors des {n} acteurs")));
    }
    Ok(Segment {
        offset: 0,
        actors,
        points,
        by_kind,
        kind_members,
        by_commune,
        text: super::Deferred::ready(text),
        aliases,
        zoned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::directory::ActorFilter;
    use crate::model::{ActorRecord, KindId, LonLat, Precision, SourceId};

    /// Everything a reader can ask, answered by `dir` (ids, not indexes, so that two
    /// directories compare).
    fn answers(dir: &Directory) -> Vec<String> {
        let mut out: Vec<String> = dir.actors().iter().map(|a| format!("{a:?}")).collect();
        let id = |i: u32| dir.actor(i).id().to_string();
        let kind_sets: Vec<Vec<crate::model::KindId>> = dir
            .kinds()
            .iter()
            .map(|(k, _)| vec![k])
            .take(12)
            .chain([dir.kinds().iter().map(|(k, _)| k).step_by(3).collect()])
            .collect();
        for ks in &kind_sets {
            // Members of kinds, alone and within a box (kind trees and the tree of all).
            for bbox in [None, Some((LonLat::new(1.8, 43.5), LonLat::new(2.3, 44.0)))] {
                let f = ActorFilter {
                    kinds: Some(ks.clone()),
                    bbox,
                    ..Default::default()
                };
                let m: Vec<String> = dir.filter(&f).into_iter().map(id).collect();
                out.push(format!("{ks:?} {bbox:?}: {m:?}"));
            }
            let at = LonLat::new(2.148, 43.928);
            let w: Vec<String> = dir
                .within(at, 25_000.0, Some(ks))
                .into_iter()
                .map(|(i, _)| id(i))
                .collect();
            out.push(format!("{w:?}"));
            out.push(format!("{:?}", dir.competent(Some(at), None, Some(ks))));
        }
        for (lon, lat) in [(2.148, 43.928), (1.9, 43.6), (2.5, 44.1)] {
            let at = LonLat::new(lon, lat);
            out.push(format!("{:?}", dir.nearest(at, 7, None)));
            let near: Vec<(String, f64)> = dir
                .within(at, 15_000.0, None)
                .into_iter()
                .map(|(i, d)| (id(i), d))
                .collect();
            out.push(format!("{near:?}"));
            for (k, _) in dir.kinds().iter().take(12) {
                let ks = [k];
                let v: Vec<String> = dir
                    .nearest(at, 3, Some(&ks))
                    .into_iter()
                    .map(|(i, _)| id(i))
                    .collect();
                out.push(format!("{v:?}"));
                out.push(format!("{}", dir.kind_count(k)));
            }
            out.push(format!("{:?}", dir.competent(Some(at), None, None)));
        }
        for q in [
            "pharmacie",
            "albi",
            "centre hosp",
            "gaillac medecin",
            "81000",
            "zzz",
        ] {
            let hits: Vec<(String, String)> = dir
                .search(q, 10)
                .into_iter()
                .map(|h| (h.id, format!("{:.4}", h.score)))
                .collect();
            out.push(format!("{q}: {hits:?}"));
            let f = ActorFilter {
                text: Some(q.into()),
                ..Default::default()
            };
            let m: Vec<String> = dir.filter(&f).into_iter().map(id).collect();
            out.push(format!("{m:?}"));
        }
        for c in dir.communes().all().iter().take(40) {
            let v: Vec<String> = dir.actors_in_commune(c.code).into_iter().map(id).collect();
            out.push(format!("{}: {v:?}", c.code));
        }
        for i in 0..dir.actors().len() as u32 {
            let a = dir.actor(i);
            out.push(format!(
                "{:?} {:?}",
                dir.find(a.id()),
                dir.service_area(i).is_some()
            ));
            for alias in a
                .tags()
                .filter_map(|t| t.strip_prefix(crate::dedup::ALIAS_PREFIX))
            {
                out.push(format!("{alias} → {:?}", dir.find(alias)));
            }
        }
        out.push(format!("{:?}", dir.reports()));
        let t: Vec<(&str, u64)> = dir
            .territories()
            .iter()
            .map(|t| (t.territory.id.as_str(), t.population))
            .collect();
        out.push(format!("{t:?}"));
        out
    }

    fn round_trip(dir: &Directory) -> Directory {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("d.idx");
        dir.write_snapshot(&path).unwrap();
        // The file may go: the map keeps its pages.
        let back = Directory::open_snapshot(&path).unwrap();
        drop(tmp);
        back
    }

    #[test]
    fn the_mapped_demo_answers_like_the_built_one() {
        let ds = crate::sources::demo::dataset().unwrap();
        let built = Directory::build(ds);
        let mapped = round_trip(&built);
        assert!(mapped.base.actors.parts().0.is_mapped());
        assert_eq!(mapped.base.actors.rows_heap_bytes(), 0);
        // Trees and lists lie in the file too: only the trees' level tables are on the heap.
        let b = &mapped.base;
        assert!(b.points.bytes() > 0 && b.points.heap_bytes() < 256);
        assert!(b.by_kind.iter().flatten().count() > 0);
        assert!(b.by_kind.iter().flatten().all(|t| t.heap_bytes() < 256));
        assert!(b.lists_bytes() > 0);
        assert_eq!(b.lists_heap_bytes(), 0);
        assert_eq!(answers(&mapped), answers(&built));
        // Local edits on a mapped directory work as on a built one.
        let k = built.kinds().by_id("partenaire").unwrap();
        let mut r = ActorRecord::new("local:x", "Cabinet X", k, SourceId(0));
        r.position = Some(LonLat::new(2.15, 43.93));
        r.precision = Precision::Address;
        let (a, b) = (
            built.with_local_actors(vec![r.clone()]),
            mapped.with_local_actors(vec![r]),
        );
        assert_eq!(answers(&a), answers(&b));
    }

    #[test]
    fn a_small_synthetic_directory_with_duplicates_and_local_actors_round_trips() {
        let mut ds = Dataset::new();
        let kinds: Vec<KindId> = ["pharmacie", "ehpad", "partenaire"]
            .iter()
            .map(|k| ds.kinds.by_id(k).unwrap())
            .collect();
        let mut actors = Vec::new();
        for i in 0..300u32 {
            let id = match i % 7 {
                0 => format!("local:p{i}"),
                _ => format!("finess:{}", 1000 - i % 250),
            };
            let mut r = ActorRecord::new(
                id,
                format!("Acteur {i} é"),
                kinds[i as usize % 3],
                SourceId(0),
            );
            if i % 5 != 0 {
                r.position = Some(LonLat::new(
                    2.0 + f64::from(i % 17) * 0.01,
                    43.5 + f64::from(i % 13) * 0.01,
                ));
                r.precision = Precision::Address;
            }
            r.tags = if i % 11 == 0 {
                vec![format!("alias:rpps:{i}"), "x".into()]
            } else {
                vec![]
            };
            r.hours = (i % 3 == 0).then(|| "h".repeat(i as usize));
            actors.push(r);
        }
        ds.add(
            crate::sources::Imported {
                actors,
                ..Default::default()
            },
            crate::sources::FileReport::new("f.csv", crate::sources::finess::FORMAT),
        );
        let built = Directory::build(ds);
        assert!(built.local_actors().next().is_some());
        assert!(built.reports()[0].notes[0].contains("non chargé"));
        let mapped = round_trip(&built);
        assert_eq!(answers(&mapped), answers(&built));
    }

    /// Rewrites array `i` of the snapshot at `path` with `change`, and its checksums so that
    /// they hold: what another program writing a wrong file would do.
    fn tamper(path: &Path, i: usize, change: impl FnOnce(&mut [u8])) {
        let mut bytes = std::fs::read(path).unwrap();
        let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        let count = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let entry = 24 + (i + 1) * 24;
        let (start, len) = (
            u64_at(&bytes, entry) as usize,
            u64_at(&bytes, entry + 8) as usize,
        );
        change(&mut bytes[start..start + len]);
        let crc = crc32fast::hash(&bytes[start..start + len]);
        bytes[entry + 16..entry + 20].copy_from_slice(&crc.to_le_bytes());
        let table = crc32fast::hash(&bytes[24..24 + count * 24]);
        bytes[16..20].copy_from_slice(&table.to_le_bytes());
        std::fs::write(path, bytes).unwrap();
    }

    /// Moves the end of the first kind tree's nodes past the end of their array.
    fn first_tree_past_the_end(b: &mut [u8]) {
        let row = b
            .chunks_exact_mut(32)
            .find(|row| row[..8] != u64::MAX.to_le_bytes())
            .expect("a kind with a tree");
        row[8..16].copy_from_slice(&(u64::MAX - 1).to_le_bytes());
    }

    #[test]
    fn wrong_indexes_under_valid_checksums_are_refused() {
        let mut ds = crate::sources::demo::dataset().unwrap();
        let k = ds.kinds.by_id("partenaire").unwrap();
        let mut r = ActorRecord::new("finess:1", "Fusionné", k, SourceId(0));
        r.tags = vec!["alias:rpps:1".into(), "zone:Albi".into()];
        ds.actors.push(r);
        let built = Directory::build(ds);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("d.idx");
        let u32_max = |b: &mut [u8]| b[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        type Change<'a> = &'a dyn Fn(&mut [u8]);
        let cases: [(usize, Change, &str); 7] = [
            // The key of the first point, then of the first point of a kind tree.
            (POINT_ENTRIES, &|b| u32_max(&mut b[24..]), "clé"),
            (KIND_ENTRIES, &|b| u32_max(&mut b[24..]), "clé"),
            (KIND_TREES, &first_tree_past_the_end, "hors de ses tableaux"),
            (KIND_MEMBERS, &u32_max, "hors du segment"),
            (COMMUNE_MEMBERS, &u32_max, "hors du segment"),
            (ALIAS_ENDS, &u32_max, "incohérentes"),
            (ZONED, &u32_max, "hors des"),
        ];
        for (array, change, expected) in cases {
            built.write_snapshot(&path).unwrap();
            tamper(&path, array, change);
            let err = Directory::open_snapshot(&path).unwrap_err().to_string();
            assert!(
                err.contains("instantané illisible") && err.contains(expected),
                "array {array}: {err}"
            );
        }
    }

    #[test]
    fn an_empty_directory_round_trips() {
        let built = Directory::build(Dataset::new());
        let mapped = round_trip(&built);
        assert_eq!(mapped.actors().len(), 0);
        assert_eq!(answers(&mapped), answers(&built));
    }
}
