//! A directory written to and read back from a snapshot file ([`crate::sources::snapshot`]):
//! the official segment's actor rows, text arena and text index are arrays used in place; the
//! rest is rebuilt from the small parts.

use std::path::Path;

use super::{Directory, Parts};
use crate::index::text::{TextIndex, TextParts};
use crate::model::ActorTable;
use crate::sources::{snapshot, Dataset, SourceError};

/// Arrays after the small parts, in this order.
const ROWS: usize = 0;
const ARENA: usize = 1;
const TEXT: usize = 2;
const ARRAYS: usize = TEXT + 7;

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
        let (rows, arena) = self.base.actors.parts();
        let t = self.base.text.parts();
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
        ];
        snapshot::write(path, &small, &arrays)
    }

    /// Opens a snapshot written by [`Directory::write_snapshot`]: the file is mapped and
    /// checked, the official actors and their text index are used in place.
    pub fn open_snapshot(path: &Path) -> Result<Directory, SourceError> {
        let file = snapshot::open(path)?;
        if file.arrays() != ARRAYS {
            return Err(file.invalid(format!("{} tableaux au lieu de {ARRAYS}", file.arrays())));
        }
        let base = ActorTable::from_parts(file.array(ROWS)?, file.array(ARENA)?)
            .map_err(|e| file.invalid(e.to_string()))?;
        let text = TextIndex::from_parts(TextParts {
            dict: file.array(TEXT)?,
            term_lens: file.array(TEXT + 1)?,
            offsets: file.array(TEXT + 2)?,
            postings: file.array(TEXT + 3)?,
            weights: file.array(TEXT + 4)?,
            docs: file.array(TEXT + 5)?,
            meta: file.array(TEXT + 6)?,
        })
        .map_err(|e| file.invalid(e.to_string()))?;
        if text.has_doc_from(base.len()) {
            return Err(file.invalid("index de recherche hors des acteurs".into()));
        }
        let ds = file.dataset;
        let local = ActorTable::from_records(&ds.actors);
        let parts = Parts::from_dataset(ds);
        Ok(Directory::assemble(parts, base, Some(text), local, false))
    }
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

    #[test]
    fn an_empty_directory_round_trips() {
        let built = Directory::build(Dataset::new());
        let mapped = round_trip(&built);
        assert_eq!(mapped.actors().len(), 0);
        assert_eq!(answers(&mapped), answers(&built));
    }
}
