//! Lists of actor indexes grouped by kind, by commune and by alias, as flat arrays of plain
//! values, so that a snapshot holds them as they are and a server uses them in place in the
//! mapped file ([`crate::util::slab`]), like the actor rows and the trees.
//!
//! - [`Groups`]: group `g` holds `values[offsets[g]..offsets[g + 1]]` (the members of a kind).
//! - [`CommuneLists`]: sorted commune codes, and the group of each code.
//! - [`AliasIndex`]: sorted alias ids (their bytes end to end, and where each ends), and the
//!   actor each one stands for.
//!
//! Read back from a file, each is checked in one pass over its arrays (`from_parts`): offsets
//! increasing and inside their arrays, every actor index inside the segment. Whatever else a
//! damaged file holds, lookups then neither panic nor read outside the arrays; the file's
//! checksums are what refuse a damaged file.
//!
//! ```
//! use maillage::index::lists::{AliasIndex, Groups};
//! let g = Groups::build(3, [(2, 10), (0, 11), (2, 12)]);
//! assert_eq!(g.get(2), &[10, 12]);
//! assert_eq!(g.get(1), &[] as &[u32]);
//! assert_eq!(g.get(7), &[] as &[u32]);
//! let a = AliasIndex::build(vec![("rpps:1".to_string(), 4), ("finess:2".to_string(), 9)]);
//! assert_eq!(a.get("rpps:1"), Some(4));
//! assert_eq!(a.get("rpps:"), None);
//! ```

use std::ops::Range;

use crate::model::InseeCode;
use crate::util::slab::Slab;

/// Why arrays read back from a file cannot form a list structure.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListsError {
    #[error("{what} : {detail}")]
    Inconsistent { what: &'static str, detail: String },
}

fn inconsistent(what: &'static str, detail: impl Into<String>) -> ListsError {
    ListsError::Inconsistent {
        what,
        detail: detail.into(),
    }
}

/// Checks `offsets` as the bounds of consecutive runs over an array of `len` values: one more
/// offset than runs, from 0, never decreasing, ending at `len`.
fn check_offsets(
    what: &'static str,
    offsets: &[u32],
    runs: usize,
    len: usize,
) -> Result<(), ListsError> {
    if offsets.len() != runs + 1 {
        return Err(inconsistent(
            what,
            format!("{} bornes pour {runs} listes", offsets.len()),
        ));
    }
    if offsets[0] != 0 || offsets.windows(2).any(|w| w[0] > w[1]) || offsets[runs] as usize != len {
        return Err(inconsistent(what, "bornes des listes incohérentes"));
    }
    Ok(())
}

/// Checks that every value lies in `bound`.
fn check_values(
    what: &'static str,
    values: &Slab<u32>,
    bound: &Range<u32>,
) -> Result<(), ListsError> {
    match values.find(|v| !bound.contains(v)) {
        Some((_, v)) => Err(inconsistent(
            what,
            format!(
                "acteur n° {v} hors du segment ({} à {})",
                bound.start, bound.end
            ),
        )),
        None => Ok(()),
    }
}

/// Groups of `u32` values numbered `0..n` (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    offsets: Slab<u32>,
    values: Slab<u32>,
}

impl Default for Groups {
    fn default() -> Self {
        Groups {
            offsets: Slab::from(vec![0]),
            values: Slab::default(),
        }
    }
}

impl Groups {
    /// Groups `(group, value)` pairs, keeping the order of the pairs within a group; `groups`
    /// is the number of groups (a larger group number extends it).
    pub fn build(groups: usize, pairs: impl IntoIterator<Item = (usize, u32)>) -> Groups {
        let pairs: Vec<(usize, u32)> = pairs.into_iter().collect();
        let n = pairs.iter().map(|p| p.0 + 1).max().unwrap_or(0).max(groups);
        let mut offsets = vec![0u32; n + 1];
        for &(g, _) in &pairs {
            offsets[g + 1] += 1;
        }
        for g in 0..n {
            offsets[g + 1] += offsets[g];
        }
        let mut next: Vec<u32> = offsets[..n].to_vec();
        let mut values = vec![0u32; pairs.len()];
        for (g, v) in pairs {
            values[next[g] as usize] = v;
            next[g] += 1;
        }
        Groups {
            offsets: Slab::from(offsets),
            values: Slab::from(values),
        }
    }

    /// Groups over arrays from [`Groups::parts`], checked (see the module docs): every value
    /// must lie in `bound`.
    pub fn from_parts(
        what: &'static str,
        offsets: Slab<u32>,
        values: Slab<u32>,
        bound: Range<u32>,
    ) -> Result<Groups, ListsError> {
        let runs = offsets.len().saturating_sub(1);
        check_offsets(what, &offsets, runs, values.len())?;
        check_values(what, &values, &bound)?;
        Ok(Groups { offsets, values })
    }

    /// The offsets and the values, to store them.
    pub fn parts(&self) -> (&Slab<u32>, &Slab<u32>) {
        (&self.offsets, &self.values)
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of group `g` (none for a group number past the last).
    pub fn get(&self, g: usize) -> &[u32] {
        if g >= self.len() {
            return &[];
        }
        &self.values[self.offsets[g] as usize..self.offsets[g + 1] as usize]
    }

    /// Bytes of the arrays, in memory or in a mapped file.
    pub fn bytes(&self) -> usize {
        self.offsets.as_bytes().len() + self.values.as_bytes().len()
    }

    pub fn heap_bytes(&self) -> usize {
        self.offsets.heap_bytes() + self.values.heap_bytes()
    }
}

/// Actor indexes by commune (see the module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommuneLists {
    /// Sorted, without repeats.
    codes: Slab<[u8; 5]>,
    groups: Groups,
}

impl CommuneLists {
    /// Groups `(commune, actor)` pairs, keeping the order of the pairs within a commune.
    pub fn build(pairs: impl IntoIterator<Item = (InseeCode, u32)>) -> CommuneLists {
        let pairs: Vec<(InseeCode, u32)> = pairs.into_iter().collect();
        let mut codes: Vec<[u8; 5]> = pairs.iter().map(|p| p.0.to_bytes()).collect();
        codes.sort_unstable();
        codes.dedup();
        let groups = Groups::build(
            codes.len(),
            pairs.into_iter().map(|(c, v)| {
                let g = codes
                    .binary_search(&c.to_bytes())
                    .expect("every code is listed");
                (g, v)
            }),
        );
        CommuneLists {
            codes: Slab::from(codes),
            groups,
        }
    }

    /// Lists over arrays from [`CommuneLists::parts`], checked (codes sorted, one group each,
    /// every actor in `bound`).
    pub fn from_parts(
        codes: Slab<[u8; 5]>,
        offsets: Slab<u32>,
        values: Slab<u32>,
        bound: Range<u32>,
    ) -> Result<CommuneLists, ListsError> {
        const WHAT: &str = "acteurs par commune";
        if codes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(inconsistent(WHAT, "codes des communes non triés"));
        }
        check_offsets(WHAT, &offsets, codes.len(), values.len())?;
        check_values(WHAT, &values, &bound)?;
        Ok(CommuneLists {
            codes,
            groups: Groups { offsets, values },
        })
    }

    /// The codes, the offsets and the values, to store them.
    pub fn parts(&self) -> (&Slab<[u8; 5]>, &Slab<u32>, &Slab<u32>) {
        let (offsets, values) = self.groups.parts();
        (&self.codes, offsets, values)
    }

    /// The actors of a commune.
    pub fn get(&self, code: InseeCode) -> &[u32] {
        match self.codes.binary_search(&code.to_bytes()) {
            Ok(g) => self.groups.get(g),
            Err(_) => &[],
        }
    }

    /// Bytes of the arrays, in memory or in a mapped file.
    pub fn bytes(&self) -> usize {
        self.codes.as_bytes().len() + self.groups.bytes()
    }

    pub fn heap_bytes(&self) -> usize {
        self.codes.heap_bytes() + self.groups.heap_bytes()
    }
}

/// Other ids of merged actors → the actor they stand for (see the module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AliasIndex {
    /// The aliases end to end, in byte order.
    bytes: Slab<u8>,
    /// Where each alias ends in `bytes`.
    ends: Slab<u32>,
    /// The actor of each alias.
    targets: Slab<u32>,
}

impl AliasIndex {
    /// Indexes `(alias, actor)` pairs. When an alias is given for several actors, the one
    /// given last stands for it.
    pub fn build(pairs: Vec<(String, u32)>) -> AliasIndex {
        let mut pairs: Vec<(usize, (String, u32))> = pairs.into_iter().enumerate().collect();
        // By alias, the pair given last first, then keep the first of each alias.
        pairs.sort_unstable_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.0.cmp(&a.0)));
        pairs.dedup_by(|b, a| a.1 .0 == b.1 .0);
        let mut bytes = Vec::with_capacity(pairs.iter().map(|p| p.1 .0.len()).sum());
        let mut ends = Vec::with_capacity(pairs.len());
        let mut targets = Vec::with_capacity(pairs.len());
        for (_, (alias, actor)) in pairs {
            bytes.extend_from_slice(alias.as_bytes());
            ends.push(u32::try_from(bytes.len()).expect("aliases above 4 GiB"));
            targets.push(actor);
        }
        AliasIndex {
            bytes: Slab::from(bytes),
            ends: Slab::from(ends),
            targets: Slab::from(targets),
        }
    }

    /// The index over arrays from [`AliasIndex::parts`], checked (ends increasing inside the
    /// bytes, one actor per alias, every actor in `bound`).
    pub fn from_parts(
        bytes: Slab<u8>,
        ends: Slab<u32>,
        targets: Slab<u32>,
        bound: Range<u32>,
    ) -> Result<AliasIndex, ListsError> {
        const WHAT: &str = "identifiants fusionnés";
        if ends.len() != targets.len()
            || ends.windows(2).any(|w| w[0] > w[1])
            || ends.last().is_some_and(|&e| e as usize > bytes.len())
        {
            return Err(inconsistent(WHAT, "bornes des identifiants incohérentes"));
        }
        check_values(WHAT, &targets, &bound)?;
        Ok(AliasIndex {
            bytes,
            ends,
            targets,
        })
    }

    /// The bytes, the ends and the actors, to store them.
    pub fn parts(&self) -> (&Slab<u8>, &Slab<u32>, &Slab<u32>) {
        (&self.bytes, &self.ends, &self.targets)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn alias(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// The actor an alias stands for.
    pub fn get(&self, alias: &str) -> Option<u32> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.alias(mid).cmp(alias.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.targets[mid]),
            }
        }
        None
    }

    /// Bytes of the arrays, in memory or in a mapped file.
    pub fn bytes(&self) -> usize {
        self.bytes.len() + self.ends.as_bytes().len() + self.targets.as_bytes().len()
    }

    pub fn heap_bytes(&self) -> usize {
        self.bytes.heap_bytes() + self.ends.heap_bytes() + self.targets.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_the_order_of_their_members() {
        let g = Groups::build(2, [(1, 5), (0, 3), (1, 4), (3, 9)]);
        assert_eq!(g.len(), 4, "a larger group number extends the groups");
        assert_eq!(g.get(0), &[3]);
        assert_eq!(g.get(1), &[5, 4]);
        assert!(g.get(2).is_empty());
        assert_eq!(g.get(3), &[9]);
        let (o, v) = g.parts();
        let back = Groups::from_parts("t", o.clone(), v.clone(), 0..10).unwrap();
        assert_eq!(back, g);
        assert!(Groups::from_parts("t", o.clone(), v.clone(), 0..9).is_err());
        assert!(Groups::default().get(0).is_empty());
    }

    #[test]
    fn damaged_offsets_are_refused() {
        let v = Slab::from(vec![1u32, 2, 3]);
        for offsets in [vec![0, 2], vec![1, 3], vec![0, 3, 2, 3], vec![0, 4], vec![]] {
            assert!(
                Groups::from_parts("t", Slab::from(offsets.clone()), v.clone(), 0..10).is_err(),
                "{offsets:?}"
            );
        }
        let code = |s: &str| s.parse::<InseeCode>().unwrap().to_bytes();
        let unsorted = Slab::from(vec![code("81004"), code("31555")]);
        let err = CommuneLists::from_parts(unsorted, Slab::from(vec![0, 1, 3]), v.clone(), 0..9)
            .unwrap_err();
        assert!(err.to_string().contains("non triés"), "{err}");
        let err = AliasIndex::from_parts(
            Slab::from(b"ab".to_vec()),
            Slab::from(vec![1, 3]),
            Slab::from(vec![0, 1]),
            0..9,
        )
        .unwrap_err();
        assert!(err.to_string().contains("incohérentes"), "{err}");
    }

    #[test]
    fn communes_are_found_by_code() {
        let code = |s: &str| s.parse::<InseeCode>().unwrap();
        let l = CommuneLists::build([
            (code("81004"), 7),
            (code("2A004"), 1),
            (code("81004"), 3),
            (code("31555"), 2),
        ]);
        assert_eq!(l.get(code("81004")), &[7, 3]);
        assert_eq!(l.get(code("2A004")), &[1]);
        assert!(l.get(code("81005")).is_empty());
        let (c, o, v) = l.parts();
        let back = CommuneLists::from_parts(c.clone(), o.clone(), v.clone(), 0..8).unwrap();
        assert_eq!(back.get(code("31555")), &[2]);
        assert!(CommuneLists::from_parts(c.clone(), o.clone(), v.clone(), 2..8).is_err());
    }

    #[test]
    fn the_last_actor_given_an_alias_stands_for_it() {
        let a = AliasIndex::build(vec![
            ("b".into(), 1),
            ("a".into(), 2),
            ("ab".into(), 3),
            ("b".into(), 4),
            ("".into(), 5),
        ]);
        assert_eq!(a.len(), 4);
        assert_eq!(a.get("b"), Some(4));
        assert_eq!(a.get("a"), Some(2));
        assert_eq!(a.get("ab"), Some(3));
        assert_eq!(a.get(""), Some(5));
        assert_eq!(a.get("c"), None);
        let (b, e, t) = a.parts();
        let back = AliasIndex::from_parts(b.clone(), e.clone(), t.clone(), 0..6).unwrap();
        assert_eq!(back, a);
        assert!(AliasIndex::from_parts(b.clone(), e.clone(), t.clone(), 0..5).is_err());
    }
}
