//! Exact great-circle nearest-neighbour and radius queries over points.
//!
//! Points are indexed as unit vectors on the sphere in a 3-D R-tree: the chord between two unit
//! vectors is a monotone function of their great-circle distance, so the tree's own nearest-first
//! order *is* the great-circle order, with no degree-box approximation. Every answer is then
//! measured from the chord and sorted by (distance, key) so that ties between co-located actors
//! are deterministic; a point lying on a radius within a micrometre is settled by the haversine
//! formula.
//!
//! Layout: a packed static R-tree in two flat arrays of plain values, so that a snapshot can
//! hold them as they are and a server use them in place in the mapped file, without building
//! anything ([`PointIndex::parts`], [`PointIndex::from_parts`]):
//! - [`Entry`] (32 bytes): the exact `f64` unit vector, the caller's key and a 16-bit tag (the
//!   actor kind), so that queries never look outside the tree to measure or filter a point.
//!   Entries are ordered leaf after leaf: leaf `i` holds entries `FANOUT·i ..`.
//! - [`Node`] (24 bytes): an `f32` bounding box, level after level from the root. Every node
//!   but the last of its level is full, so node `i` of a level has children `FANOUT·i ..` in the
//!   next level (or in the entries below the last level): no child pointers, and the shape
//!   follows from the number of points alone, which is all [`PointIndex::from_parts`] checks.
//!
//! The build sorts the points into subtrees by recursive median splits along the longest side
//! of their box (a k-d partition packed into full nodes), the two halves of the first split in
//! parallel. Box tests widen the `f32` boxes by the largest rounding gap, so that they can only
//! let an extra node through, never lose a point. The k-nearest search is a best-first
//! branch-and-bound walk that prunes with the current k-th distance instead of queueing every
//! visited point.
//!
//! ```
//! use maillage::index::spatial::PointIndex;
//! use maillage::model::LonLat;
//! let pts = vec![(0u32, LonLat::new(2.15, 43.93)), (1, LonLat::new(1.90, 43.90)), (2, LonLat::new(1.44, 43.60))];
//! let idx = PointIndex::new(&pts);
//! let pos = |k: u32| pts[k as usize].1;
//! let near = idx.nearest(LonLat::new(1.89, 43.90), 2, |_, _| true);
//! assert_eq!(near.iter().map(|n| n.0).collect::<Vec<_>>(), vec![1, 0]);
//! let within = idx.within(LonLat::new(2.15, 43.93), 30_000.0, pos, |_, _| true);
//! assert_eq!(within.len(), 2);
//! ```

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use bytemuck::{Pod, Zeroable};

use crate::model::geodesy::{chord2_for_distance, distance_for_chord2, haversine_m};
use crate::model::LonLat;
use crate::util::slab::Slab;

/// Children per node (entries per leaf): a k-nearest query then reads fewer points than with
/// wider nodes (measured by `benches/index.rs`). Changing it changes the layout of the arrays.
pub const FANOUT: usize = 8;

/// One indexed point: its exact unit vector (in the tree's frame, see [`ROTATION`]), the
/// caller's key and tag.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Entry {
    v: [f64; 3],
    key: u32,
    tag: u16,
    /// Always 0: makes the padding explicit, so that every byte of the array is defined.
    pad: u16,
}

impl Entry {
    pub fn key(&self) -> u32 {
        self.key
    }

    pub fn tag(&self) -> u16 {
        self.tag
    }
}

/// The bounding box of a node's points, in `f32` (see [`BOX_MARGIN`]).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct Node {
    lo: [f32; 3],
    hi: [f32; 3],
}

impl Node {
    const EMPTY: Node = Node {
        lo: [f32::INFINITY; 3],
        hi: [f32::NEG_INFINITY; 3],
    };

    fn grow(&mut self, other: &Node) {
        for i in 0..3 {
            self.lo[i] = self.lo[i].min(other.lo[i]);
            self.hi[i] = self.hi[i].max(other.hi[i]);
        }
    }

    fn of_point(v: &[f64; 3]) -> Node {
        let p = rounded(*v);
        Node { lo: p, hi: p }
    }

    fn intersects(&self, other: &Node) -> bool {
        (0..3).all(|i| self.lo[i] <= other.hi[i] && self.hi[i] >= other.lo[i])
    }
}

const _: () = assert!(std::mem::size_of::<Entry>() == 32 && std::mem::size_of::<Node>() == 24);

/// The rotation applied to every unit vector before it enters the tree (distances do not
/// change): it turns the vertical at the centre of metropolitan France into the diagonal
/// (1, 1, 1)/√3, so that the three axes cut the French surface in three directions 120° apart.
/// Without it the x and z axes both run north–south there, and boxes aligned on them are long
/// and thin, which costs the k-nearest search extra nodes.
static ROTATION: std::sync::LazyLock<[[f64; 3]; 3]> = std::sync::LazyLock::new(|| {
    let n = LonLat::new(2.5, 46.5).to_unit_vector();
    let d = [1.0 / 3f64.sqrt(); 3];
    let cross = [
        n[1] * d[2] - n[2] * d[1],
        n[2] * d[0] - n[0] * d[2],
        n[0] * d[1] - n[1] * d[0],
    ];
    let sin = (cross[0].powi(2) + cross[1].powi(2) + cross[2].powi(2)).sqrt();
    let cos = n[0] * d[0] + n[1] * d[1] + n[2] * d[2];
    let k = cross.map(|c| c / sin);
    // Rodrigues: R = I + sin·K + (1 − cos)·K², K the cross-product matrix of the axis k.
    let km = [[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]];
    let mut r = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let k2: f64 = (0..3).map(|m| km[i][m] * km[m][j]).sum();
            r[i][j] = f64::from(u8::from(i == j)) + sin * km[i][j] + (1.0 - cos) * k2;
        }
    }
    r
});

/// A position's unit vector, rotated by [`ROTATION`].
fn tree_vector(p: LonLat) -> [f64; 3] {
    let v = p.to_unit_vector();
    let r = &*ROTATION;
    [0, 1, 2].map(|i| r[i][0] * v[0] + r[i][1] * v[1] + r[i][2] * v[2])
}

/// Back from the tree's frame to the Earth-centred unit vector.
fn unrotate(v: &[f64; 3]) -> [f64; 3] {
    let r = &*ROTATION;
    [0, 1, 2].map(|i| r[0][i] * v[0] + r[1][i] * v[1] + r[2][i] * v[2])
}

/// How far (per coordinate) an exact unit vector may lie outside the `f32` boxes of the tree,
/// which are built from vectors rounded to the nearest `f32` (half an ulp below 1 is 2⁻²⁵).
const BOX_MARGIN: f64 = 1.0 / (1u64 << 24) as f64;

fn rounded(v: [f64; 3]) -> [f32; 3] {
    [v[0] as f32, v[1] as f32, v[2] as f32]
}

/// Below this gap (metres) between a chord-derived distance and a radius, the haversine
/// formula on the stored position decides, so that the boundary agrees with [`haversine_m`].
const BOUNDARY_M: f64 = 1e-6;

fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    dx * dx + dy * dy + dz * dz
}

/// Squared distance from `q` to the nearest point of a box (0 inside).
#[inline]
fn box_chord2(q: &[f64; 3], b: &Node) -> f64 {
    let mut s = 0.0;
    for (i, &c) in q.iter().enumerate() {
        let (l, h) = (b.lo[i] as f64 - BOX_MARGIN, b.hi[i] as f64 + BOX_MARGIN);
        let d = if c < l {
            l - c
        } else if c > h {
            c - h
        } else {
            0.0
        };
        s += d * d;
    }
    s
}

/// Asks the processor to start loading `items`, which a query will likely read next.
#[inline]
fn prefetch<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = std::mem::size_of_val(items);
        let p = items.as_ptr() as *const i8;
        for line in (0..bytes).step_by(64) {
            // SAFETY: a prefetch is only a hint: it never faults and reads nothing into the
            // program, and SSE is part of the x86-64 baseline. `line` stays inside `items`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(line)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}

/// Relative slack on squared chords so that float rounding never loses a point on the boundary
/// or a tie; the exact haversine check decides.
const SLACK: f64 = 1e-9;

/// A node waiting in the best-first queue, smallest distance first.
struct Queued {
    d2: f64,
    level: u32,
    node: u32,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.d2 == other.d2
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        other.d2.total_cmp(&self.d2)
    }
}

/// Why arrays read back from a file cannot form a [`PointIndex`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PointIndexError {
    #[error("index des positions : {found} nœuds pour {entries} points, {expected} attendus")]
    NodeCount {
        entries: usize,
        found: usize,
        expected: usize,
    },
    #[error("index des positions : {entries} points, au plus {max} possibles")]
    TooManyPoints { entries: usize, max: usize },
    #[error("index des positions : la clé {key} n'est pas sous {bound}")]
    KeyOutOfRange { key: u32, bound: u32 },
}

/// The arrays of a [`PointIndex`], to be written as they are (see [`PointIndex::from_parts`]).
#[derive(Debug, Clone, Copy)]
pub struct PointIndexParts<'a> {
    /// Boxes, level after level from the root.
    pub nodes: &'a [Node],
    /// Points, leaf after leaf.
    pub entries: &'a [Entry],
}

impl PointIndexParts<'_> {
    pub fn node_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self.nodes)
    }

    pub fn entry_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self.entries)
    }
}

/// Start of each level of nodes in the node array, from the root, then the array's length.
/// A function of the number of points only.
fn level_starts(entries: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut n = entries;
    while n > 0 {
        n = n.div_ceil(FANOUT);
        sizes.push(n);
        if n == 1 {
            break;
        }
    }
    let mut starts = vec![0];
    for s in sizes.iter().rev() {
        starts.push(starts.last().unwrap() + s);
    }
    starts
}

/// Orders `e` so that each run of `cap` entries (the last one shorter) is one spatially compact
/// subtree, recursively down to leaves of [`FANOUT`] entries. `threads` > 1 sorts the two
/// halves of a large split in parallel.
fn order(e: &mut [Entry], cap: usize, threads: usize) {
    if cap <= 1 || e.len() <= 1 {
        return;
    }
    let groups = e.len().div_ceil(cap);
    if groups == 1 {
        return order(e, cap / FANOUT, threads);
    }
    // Median split along the longest side, between whole groups.
    let mid = groups.div_ceil(2) * cap;
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for x in e.iter() {
        for i in 0..3 {
            lo[i] = lo[i].min(x.v[i]);
            hi[i] = hi[i].max(x.v[i]);
        }
    }
    let axis = (0..3)
        .max_by(|a, b| (hi[*a] - lo[*a]).total_cmp(&(hi[*b] - lo[*b])))
        .unwrap_or(0);
    e.select_nth_unstable_by(mid, |a, b| a.v[axis].total_cmp(&b.v[axis]));
    let parallel = threads > 1 && e.len() > 50_000;
    let (left, right) = e.split_at_mut(mid);
    if parallel {
        std::thread::scope(|s| {
            s.spawn(|| order(left, cap, threads / 2));
            order(right, cap, threads - threads / 2);
        });
    } else {
        order(left, cap, 1);
        order(right, cap, 1);
    }
}

/// A static point index answering exact great-circle queries.
///
/// Queries take a `pos` function giving a key's WGS84 position (the caller already stores it),
/// used only to settle a point lying on a radius within a micrometre, and a `keep(key, tag)`
/// filter.
#[derive(Debug, Clone, Default)]
pub struct PointIndex {
    nodes: Slab<Node>,
    entries: Slab<Entry>,
    /// [`level_starts`] of the number of entries.
    levels: Vec<usize>,
}

impl PointIndex {
    /// Bulk-loads `(key, position)` pairs, all with tag 0. Keys are caller-defined (actor
    /// indexes); ties in distance are broken by key.
    pub fn new(points: &[(u32, LonLat)]) -> PointIndex {
        Self::build(points, |(k, p)| (*k, 0, *p))
    }

    /// Bulk-loads `(key, tag, position)` triples; the tag is handed to query filters.
    pub fn with_tags(points: &[(u32, u16, LonLat)]) -> PointIndex {
        Self::build(points, |t| *t)
    }

    fn build<P: Sync>(points: &[P], get: impl Fn(&P) -> (u32, u16, LonLat) + Sync) -> PointIndex {
        let threads = if points.len() > 50_000 {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
        } else {
            1
        };
        let entry = |p: &P| {
            let (key, tag, at) = get(p);
            Entry {
                v: tree_vector(at),
                key,
                tag,
                pad: 0,
            }
        };
        let mut entries: Vec<Entry> = if threads > 1 {
            let (a, b) = points.split_at(points.len() / 2);
            let (mut a, b) = std::thread::scope(|s| {
                let b = s.spawn(|| b.iter().map(entry).collect::<Vec<_>>());
                let a: Vec<Entry> = a.iter().map(entry).collect();
                (a, b.join().expect("point index thread"))
            });
            a.reserve_exact(b.len());
            a.extend(b);
            a
        } else {
            points.iter().map(entry).collect()
        };
        let levels = level_starts(entries.len());
        let height = levels.len() - 1;
        order(&mut entries, FANOUT.saturating_pow(height as u32), threads);
        // Boxes from the bottom level up.
        let mut nodes = vec![Node::EMPTY; *levels.last().unwrap_or(&0)];
        for l in (0..height).rev() {
            let (upper, lower) = nodes.split_at_mut(levels[l + 1]);
            for (i, n) in upper[levels[l]..].iter_mut().enumerate() {
                let children = i * FANOUT..;
                if l + 1 == height {
                    for e in entries[children].iter().take(FANOUT) {
                        n.grow(&Node::of_point(&e.v));
                    }
                } else {
                    let below = &lower[..levels[l + 2] - levels[l + 1]];
                    for c in below[children].iter().take(FANOUT) {
                        n.grow(c);
                    }
                }
            }
        }
        PointIndex {
            nodes: Slab::from(nodes),
            entries: Slab::from(entries),
            levels,
        }
    }

    /// The arrays to write in a snapshot; [`PointIndex::from_parts`] takes them back.
    pub fn parts(&self) -> PointIndexParts<'_> {
        PointIndexParts {
            nodes: &self.nodes,
            entries: &self.entries,
        }
    }

    /// The index over arrays written from [`PointIndex::parts`] (typically viewed in place in
    /// a mapped file), in constant time: their sizes must agree, as the shape of the tree
    /// follows from the number of points. Their content is the file checksum's business:
    /// whatever it is, queries neither panic nor loop, and [`PointIndex::check_keys`] bounds
    /// the keys a caller will use as indexes.
    pub fn from_parts(
        nodes: Slab<Node>,
        entries: Slab<Entry>,
    ) -> Result<PointIndex, PointIndexError> {
        let max = u32::MAX as usize;
        if entries.len() > max {
            return Err(PointIndexError::TooManyPoints {
                entries: entries.len(),
                max,
            });
        }
        let levels = level_starts(entries.len());
        let expected = *levels.last().unwrap_or(&0);
        if nodes.len() != expected {
            return Err(PointIndexError::NodeCount {
                entries: entries.len(),
                found: nodes.len(),
                expected,
            });
        }
        Ok(PointIndex {
            nodes,
            entries,
            levels,
        })
    }

    /// Checks that every key is below `bound` (one pass over the points).
    pub fn check_keys(&self, bound: u32) -> Result<(), PointIndexError> {
        match self.entries.find(|e| e.key >= bound) {
            Some((_, e)) => Err(PointIndexError::KeyOutOfRange { key: e.key, bound }),
            None => Ok(()),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of node levels (0 when empty).
    fn height(&self) -> usize {
        self.levels.len() - 1
    }

    /// Where the children of node `node` of level `level` lie: in the node array (relative to
    /// it), or in the entries below the last level.
    #[inline]
    fn children(&self, level: usize, node: usize) -> Range<usize> {
        let (first, end) = if level + 1 == self.height() {
            (0, self.entries.len())
        } else {
            (self.levels[level + 1], self.levels[level + 2])
        };
        let start = first + node * FANOUT;
        start.min(end)..(start + FANOUT).min(end)
    }

    /// The `k` nearest keys accepted by `keep(key, tag)`, as `(key, metres)` sorted by
    /// (distance, key).
    ///
    /// `keep` lets a caller skip points without a separate tree; a rare filter costs a longer
    /// walk.
    pub fn nearest(
        &self,
        at: LonLat,
        k: usize,
        keep: impl Fn(u32, u16) -> bool,
    ) -> Vec<(u32, f64)> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let (nodes, entries): (&[Node], &[Entry]) = (&self.nodes, &self.entries);
        let bottom = self.height() - 1;
        let q = tree_vector(at);
        // Candidates as (squared chord, key), kept sorted; ties at the k-th distance stay.
        let mut found: Vec<(f64, u32)> = Vec::with_capacity(k + 8);
        let mut bound = f64::INFINITY;
        let mut queue: BinaryHeap<Queued> = BinaryHeap::with_capacity(64);
        queue.push(Queued {
            d2: 0.0,
            level: 0,
            node: 0,
        });
        while let Some(Queued { d2, level, node }) = queue.pop() {
            if d2 > bound {
                break;
            }
            let (level, node) = (level as usize, node as usize);
            let children = self.children(level, node);
            if level == bottom {
                for e in &entries[children] {
                    let d2 = chord2(&e.v, &q);
                    if d2 > bound || !keep(e.key, e.tag) {
                        continue;
                    }
                    let at = found.partition_point(|c| c.0 <= d2);
                    found.insert(at, (d2, e.key));
                    if found.len() >= k {
                        let kth = found[k - 1].0;
                        bound = kth * (1.0 + SLACK) + f64::EPSILON;
                        while found.last().is_some_and(|c| c.0 > bound) {
                            found.pop();
                        }
                    }
                }
            } else {
                let first = self.levels[level + 1];
                for c in children {
                    let d2 = box_chord2(&q, &nodes[c]);
                    if d2 <= bound {
                        let grand = self.children(level + 1, c - first);
                        if level + 1 == bottom {
                            prefetch(&entries[grand]);
                        } else {
                            prefetch(&nodes[grand]);
                        }
                        queue.push(Queued {
                            d2,
                            level: (level + 1) as u32,
                            node: (c - first) as u32,
                        });
                    }
                }
            }
        }
        let mut out: Vec<(u32, f64)> = found
            .into_iter()
            .map(|(d2, key)| (key, distance_for_chord2(d2)))
            .collect();
        out.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        out
    }

    /// Every key accepted by `keep(key, tag)` within `radius_m` metres, sorted by
    /// (distance, key).
    pub fn within(
        &self,
        at: LonLat,
        radius_m: f64,
        pos: impl Fn(u32) -> LonLat,
        keep: impl Fn(u32, u16) -> bool,
    ) -> Vec<(u32, f64)> {
        if self.is_empty() {
            return Vec::new();
        }
        let (nodes, entries): (&[Node], &[Entry]) = (&self.nodes, &self.entries);
        let bottom = self.height() - 1;
        let q = tree_vector(at);
        let r2 = chord2_for_distance(radius_m) * (1.0 + SLACK) + f64::EPSILON;
        let mut hits: Vec<(f64, u32)> = Vec::new();
        let mut stack: Vec<(usize, usize)> = Vec::with_capacity(32);
        if box_chord2(&q, &nodes[0]) <= r2 {
            stack.push((0, 0));
        }
        while let Some((level, node)) = stack.pop() {
            let children = self.children(level, node);
            if level == bottom {
                for e in &entries[children] {
                    let d2 = chord2(&e.v, &q);
                    if d2 <= r2 && keep(e.key, e.tag) {
                        hits.push((d2, e.key));
                    }
                }
            } else {
                let first = self.levels[level + 1];
                for c in children {
                    if box_chord2(&q, &nodes[c]) <= r2 {
                        let grand = self.children(level + 1, c - first);
                        if level + 1 == bottom {
                            prefetch(&entries[grand]);
                        } else {
                            prefetch(&nodes[grand]);
                        }
                        stack.push((level + 1, c - first));
                    }
                }
            }
        }
        let mut out: Vec<(u32, f64)> = hits
            .into_iter()
            .filter_map(|(d2, key)| {
                let d = distance_for_chord2(d2);
                let d = if (d - radius_m).abs() < BOUNDARY_M {
                    haversine_m(at, pos(key))
                } else {
                    d
                };
                (d <= radius_m).then_some((key, d))
            })
            .collect();
        out.sort_unstable_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Keys inside a longitude/latitude rectangle (edges included), in key order.
    pub fn in_bbox(&self, min: LonLat, max: LonLat, pos: impl Fn(u32) -> LonLat) -> Vec<u32> {
        if self.is_empty() {
            return Vec::new();
        }
        let (nodes, entries): (&[Node], &[Entry]) = (&self.nodes, &self.entries);
        let bottom = self.height() - 1;
        let env = sphere_patch_envelope(min, max);
        let inside = |p: LonLat| {
            p.lon >= min.lon && p.lon <= max.lon && p.lat >= min.lat && p.lat <= max.lat
        };
        let mut out: Vec<u32> = Vec::new();
        let mut stack: Vec<(usize, usize)> = Vec::with_capacity(32);
        if nodes[0].intersects(&env) {
            stack.push((0, 0));
        }
        while let Some((level, node)) = stack.pop() {
            let children = self.children(level, node);
            if level < bottom {
                let first = self.levels[level + 1];
                stack.extend(
                    children
                        .filter(|c| nodes[*c].intersects(&env))
                        .map(|c| (level + 1, c - first)),
                );
                continue;
            }
            for e in &entries[children] {
                if !Node::of_point(&e.v).intersects(&env) {
                    continue;
                }
                let [x, y, z] = unrotate(&e.v);
                let p = LonLat::new(
                    y.atan2(x).to_degrees(),
                    z.clamp(-1.0, 1.0).asin().to_degrees(),
                );
                let margin = 1e-9;
                let near_edge = (p.lon - min.lon).abs() < margin
                    || (p.lon - max.lon).abs() < margin
                    || (p.lat - min.lat).abs() < margin
                    || (p.lat - max.lat).abs() < margin;
                let keep = if near_edge {
                    inside(pos(e.key))
                } else {
                    inside(p)
                };
                if keep {
                    out.push(e.key);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Bytes of the tree's arrays, in memory or in a mapped file.
    pub fn bytes(&self) -> usize {
        self.nodes.as_bytes().len() + self.entries.as_bytes().len()
    }

    /// Heap bytes used by the tree (none for arrays lying in a mapped file).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.heap_bytes()
            + self.entries.heap_bytes()
            + self.levels.capacity() * std::mem::size_of::<usize>()
    }
}

/// A 3-D box enclosing every unit vector of a longitude/latitude rectangle.
fn sphere_patch_envelope(min: LonLat, max: LonLat) -> Node {
    let (lat0, lat1) = (min.lat.to_radians(), max.lat.to_radians());
    let (lon0, lon1) = (min.lon.to_radians(), max.lon.to_radians());
    let range = |vals: &[f64]| {
        vals.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            })
    };
    // cos(lat) over [lat0, lat1] (lat in [-90°, 90°], so cos ≥ 0).
    let mut clat = vec![lat0.cos(), lat1.cos()];
    if lat0 <= 0.0 && lat1 >= 0.0 {
        clat.push(1.0);
    }
    let clat = range(&clat);
    let inside = |a: f64| lon0 <= a && a <= lon1;
    let pi = std::f64::consts::PI;
    let mut clon = vec![lon0.cos(), lon1.cos()];
    let mut slon = vec![lon0.sin(), lon1.sin()];
    if inside(0.0) {
        clon.push(1.0);
    }
    if inside(pi) || inside(-pi) {
        clon.push(-1.0);
    }
    if inside(pi / 2.0) {
        slon.push(1.0);
    }
    if inside(-pi / 2.0) {
        slon.push(-1.0);
    }
    let (clon, slon) = (range(&clon), range(&slon));
    let prod = |a: (f64, f64), b: (f64, f64)| range(&[a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1]);
    let x = prod(clat, clon);
    let y = prod(clat, slon);
    let z = (lat0.sin(), lat1.sin());
    // The box of the eight rotated corners encloses the rotated box.
    let r = &*ROTATION;
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for cx in [x.0, x.1] {
        for cy in [y.0, y.1] {
            for cz in [z.0, z.1] {
                for i in 0..3 {
                    let c = r[i][0] * cx + r[i][1] * cy + r[i][2] * cz;
                    lo[i] = lo[i].min(c);
                    hi[i] = hi[i].max(c);
                }
            }
        }
    }
    let e = 1e-12 + BOX_MARGIN;
    Node {
        lo: rounded(lo.map(|c| c - e)),
        hi: rounded(hi.map(|c| c + e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute(points: &[(u32, LonLat)], at: LonLat) -> Vec<(u32, f64)> {
        let mut v: Vec<(u32, f64)> = points
            .iter()
            .map(|(k, p)| (*k, haversine_m(at, *p)))
            .collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Point `i`, its coordinates rounded to 0.1° when `i` is a multiple of 7, so that some
    /// points coincide (ties).
    fn with_ties(i: usize, lon: f64, lat: f64) -> (u32, LonLat) {
        let (lon, lat) = if i.is_multiple_of(7) {
            ((lon * 10.0).round() / 10.0, (lat * 10.0).round() / 10.0)
        } else {
            (lon, lat)
        };
        (i as u32, LonLat::new(lon, lat))
    }

    fn pts_strategy() -> impl Strategy<Value = Vec<(u32, LonLat)>> {
        proptest::collection::vec((-5.0f64..9.0, 41.0f64..51.5), 1..300).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (lon, lat))| with_ties(i, lon, lat))
                .collect()
        })
    }

    /// k-nearest and radius answers equal a brute-force scan's, ids in the same order.
    fn agrees_with_brute_force(
        points: &[(u32, LonLat)],
        at: LonLat,
        k: usize,
        r: f64,
    ) -> Result<(), TestCaseError> {
        let idx = PointIndex::new(points);
        let pos = |k: u32| points[k as usize].1;
        let all = brute(points, at);
        let ids = |v: &[(u32, f64)]| v.iter().map(|g| g.0).collect::<Vec<_>>();
        let want: Vec<(u32, f64)> = all.iter().take(k).copied().collect();
        prop_assert_eq!(ids(&idx.nearest(at, k, |_, _| true)), ids(&want));
        let want: Vec<(u32, f64)> = all.iter().filter(|w| w.1 <= r).copied().collect();
        prop_assert_eq!(ids(&idx.within(at, r, pos, |_, _| true)), ids(&want));
        Ok(())
    }

    /// The keys in the rectangle spanned by two longitudes and two latitudes are exactly those
    /// a scan finds.
    fn bbox_agrees_with_brute_force(
        points: &[(u32, LonLat)],
        (a, b): (f64, f64),
        (c, d): (f64, f64),
    ) -> Result<(), TestCaseError> {
        let idx = PointIndex::new(points);
        let pos = |k: u32| points[k as usize].1;
        let (min, max) = (
            LonLat::new(a.min(b), c.min(d)),
            LonLat::new(a.max(b), c.max(d)),
        );
        let inside = |p: &LonLat| {
            p.lon >= min.lon && p.lon <= max.lon && p.lat >= min.lat && p.lat <= max.lat
        };
        let want: Vec<u32> = points
            .iter()
            .filter(|(_, p)| inside(p))
            .map(|(k, _)| *k)
            .collect();
        prop_assert_eq!(idx.in_bbox(min, max, pos), want);
        Ok(())
    }

    /// Points anywhere on the globe (overseas territories, both hemispheres, the antimeridian).
    fn world_strategy() -> impl Strategy<Value = Vec<(u32, LonLat)>> {
        proptest::collection::vec((-180.0f64..180.0, -89.0f64..89.0), 1..200).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (lon, lat))| (i as u32, LonLat::new(lon, lat)))
                .collect()
        })
    }

    /// Points a few metres apart around one place, some exactly co-located: near-ties that
    /// the `f32` boxes must not reorder.
    fn dense_strategy() -> impl Strategy<Value = Vec<(u32, LonLat)>> {
        proptest::collection::vec((0u32..50, 0u32..50), 1..300).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (a, b))| {
                    let p = LonLat::new(2.1485 + a as f64 * 1e-5, 43.9289 + b as f64 * 1e-5);
                    (i as u32, p)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn knn_equals_brute_force(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, k in 1usize..20) {
            let idx = PointIndex::new(&points);
            let at = LonLat::new(lon, lat);
            let got = idx.nearest(at, k, |_, _| true);
            let mut want = brute(&points, at);
            want.truncate(k);
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        }

        #[test]
        fn knn_with_filter_equals_brute_force(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, k in 1usize..10) {
            let idx = PointIndex::new(&points);
            let at = LonLat::new(lon, lat);
            let got = idx.nearest(at, k, |key, _| key % 3 == 0);
            let mut want: Vec<_> = brute(&points, at).into_iter().filter(|w| w.0 % 3 == 0).collect();
            want.truncate(k);
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        }

        #[test]
        fn radius_equals_brute_force(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, r in 100.0f64..300_000.0) {
            let idx = PointIndex::new(&points);
            let pos = |k: u32| points[k as usize].1;
            let at = LonLat::new(lon, lat);
            let got = idx.within(at, r, pos, |_, _| true);
            let want: Vec<_> = brute(&points, at).into_iter().filter(|w| w.1 <= r).collect();
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        }

        #[test]
        fn knn_and_radius_equal_brute_force_worldwide(points in world_strategy(), lon in -180.0f64..180.0, lat in -89.0f64..89.0, k in 1usize..15, r in 1_000.0f64..3_000_000.0) {
            agrees_with_brute_force(&points, LonLat::new(lon, lat), k, r)?;
        }

        #[test]
        fn dense_points_keep_their_exact_order(points in dense_strategy(), a in 0u32..50, b in 0u32..50, k in 1usize..30, r in 1.0f64..60.0) {
            let at = LonLat::new(2.1485 + a as f64 * 1e-5 + 3e-6, 43.9289 + b as f64 * 1e-5);
            agrees_with_brute_force(&points, at, k, r)?;
        }

        #[test]
        fn tags_reach_the_filter(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, k in 1usize..10) {
            let tagged: Vec<(u32, u16, LonLat)> = points.iter().map(|(key, p)| (*key, (*key % 4) as u16, *p)).collect();
            let idx = PointIndex::with_tags(&tagged);
            let at = LonLat::new(lon, lat);
            let got = idx.nearest(at, k, |_, tag| tag == 2);
            let want: Vec<u32> = brute(&points, at).into_iter().filter(|w| w.0 % 4 == 2).take(k).map(|w| w.0).collect();
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want);
        }

        #[test]
        fn bbox_equals_brute_force_worldwide(points in world_strategy(), a in -180.0f64..180.0, b in -180.0f64..180.0, c in -89.0f64..89.0, d in -89.0f64..89.0) {
            bbox_agrees_with_brute_force(&points, (a, b), (c, d))?;
        }

        #[test]
        fn bbox_equals_brute_force(points in pts_strategy(), a in -5.0f64..9.0, b in -5.0f64..9.0, c in 41.0f64..51.5, d in 41.0f64..51.5) {
            bbox_agrees_with_brute_force(&points, (a, b), (c, d))?;
        }
    }

    /// `n` points spread over metropolitan France (a low-discrepancy sequence), some
    /// coinciding ([`with_ties`]).
    fn spread(n: usize) -> Vec<(u32, LonLat)> {
        (0..n)
            .map(|i| {
                let f = |a: f64| (i as f64 * a).fract();
                let (lon, lat) = (
                    -5.0 + 14.0 * f(0.618_033_988_7),
                    41.0 + 10.5 * f(0.754_877_666_2),
                );
                with_ties(i, lon, lat)
            })
            .collect()
    }

    /// Every node's box holds the boxes of its children and the points of its leaves.
    fn assert_boxes_enclose(idx: &PointIndex) {
        let (nodes, entries) = (idx.parts().nodes, idx.parts().entries);
        let holds = |outer: &Node, inner: &Node| {
            (0..3).all(|i| outer.lo[i] <= inner.lo[i] && inner.hi[i] <= outer.hi[i])
        };
        for level in 0..idx.height() {
            for node in 0..idx.levels[level + 1] - idx.levels[level] {
                let b = &nodes[idx.levels[level] + node];
                let children = idx.children(level, node);
                assert!(
                    !children.is_empty(),
                    "level {level} node {node} has no children"
                );
                if level + 1 == idx.height() {
                    for e in &entries[children] {
                        assert!(holds(b, &Node::of_point(&e.v)));
                    }
                } else {
                    for c in children {
                        assert!(holds(b, &nodes[c]));
                    }
                }
            }
        }
    }

    #[test]
    fn an_empty_index_answers_nothing() {
        let idx = PointIndex::new(&[]);
        let at = LonLat::new(2.0, 45.0);
        assert!(idx.is_empty());
        assert!(idx.nearest(at, 5, |_, _| true).is_empty());
        assert!(idx
            .within(at, 1e7, |_| unreachable!(), |_, _| true)
            .is_empty());
        assert!(idx
            .in_bbox(LonLat::new(-180.0, -90.0), LonLat::new(180.0, 90.0), |_| at)
            .is_empty());
        assert!(PointIndex::default().nearest(at, 1, |_, _| true).is_empty());
    }

    #[test]
    fn one_point_is_found_by_every_query() {
        let p = LonLat::new(-61.53, 16.25); // Guadeloupe
        let idx = PointIndex::with_tags(&[(42, 3, p)]);
        let got = idx.nearest(LonLat::new(2.35, 48.85), 3, |_, tag| tag == 3);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 42);
        assert!((got[0].1 - haversine_m(LonLat::new(2.35, 48.85), p)).abs() < 1e-3);
        assert!(idx.nearest(p, 1, |_, tag| tag != 3).is_empty());
        assert_eq!(idx.within(p, 0.0, |_| p, |_, _| true), vec![(42, 0.0)]);
        assert_eq!(idx.in_bbox(p, p, |_| p), vec![42]);
    }

    #[test]
    fn many_points_at_one_coordinate_come_out_by_key() {
        // 100 practitioners at one address, keys in scrambled order, spread over many leaves.
        let p = LonLat::new(1.9, 43.9);
        let mut pts: Vec<(u32, LonLat)> = (0..100u32).map(|i| ((i * 37) % 100, p)).collect();
        pts.extend((0..50u32).map(|i| (100 + i, LonLat::new(1.9 + 0.01 * (i + 1) as f64, 43.9))));
        let idx = PointIndex::new(&pts);
        let got = idx.nearest(LonLat::new(1.8, 43.9), 37, |_, _| true);
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            (0..37).collect::<Vec<_>>()
        );
        let all = idx.within(p, 1.0, |_| p, |_, _| true);
        assert_eq!(
            all.iter().map(|g| g.0).collect::<Vec<_>>(),
            (0..100).collect::<Vec<_>>()
        );
        let odd = idx.nearest(p, 3, |key, _| key % 2 == 1);
        assert_eq!(odd.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3, 5]);
    }

    #[test]
    fn the_antimeridian_does_not_separate_neighbours() {
        // Wallis-et-Futuna lies near 180°: a point across the line is the nearer one.
        let across = LonLat::new(179.98, -14.3);
        let same_side = LonLat::new(-179.5, -14.3);
        let pts = [(0, across), (1, same_side), (2, LonLat::new(-176.2, -13.3))];
        let idx = PointIndex::new(&pts);
        let at = LonLat::new(-179.99, -14.3);
        let got = idx.nearest(at, 2, |_, _| true);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![0, 1]);
        assert!((got[0].1 - haversine_m(at, across)).abs() < 1e-3);
        let pos = |k: u32| pts[k as usize].1;
        assert_eq!(idx.within(at, 5_000.0, pos, |_, _| true).len(), 1);
    }

    #[test]
    fn sizes_around_full_levels_agree_with_brute_force() {
        for n in [1, 7, 8, 9, 63, 64, 65, 511, 512, 513, 4097] {
            let points = spread(n);
            let idx = PointIndex::new(&points);
            assert_eq!(idx.len(), n);
            assert_boxes_enclose(&idx);
            for q in spread(20).iter().skip(1) {
                agrees_with_brute_force(&points, q.1, 12, 40_000.0).unwrap();
            }
        }
    }

    #[test]
    fn the_parts_mapped_from_a_file_answer_like_the_tree_in_memory() {
        use crate::util::slab::{Mapped, ALIGN};
        use std::sync::Arc;
        let points = spread(20_000);
        let pos = |k: u32| points[k as usize].1;
        let owned = PointIndex::new(&points);
        let parts = owned.parts();
        // Nodes, padding to the alignment, entries; as a snapshot lays out its sections.
        let mut bytes = parts.node_bytes().to_vec();
        bytes.resize(bytes.len().next_multiple_of(ALIGN), 0);
        let entries_at = bytes.len();
        bytes.extend_from_slice(parts.entry_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("points.bin");
        std::fs::write(&path, &bytes).unwrap();
        let map = Arc::new(Mapped::open(&path).unwrap());
        let nodes = Slab::mapped(&map, 0..parts.node_bytes().len()).unwrap();
        let entries = Slab::mapped(&map, entries_at..bytes.len()).unwrap();
        let mapped = PointIndex::from_parts(nodes, entries).unwrap();
        assert!(mapped.heap_bytes() < 1_000, "{} bytes", mapped.heap_bytes());
        assert_eq!(mapped.check_keys(points.len() as u32), Ok(()));
        for (i, (_, q)) in spread(300).iter().enumerate() {
            let keep = |key: u32, _| key % 5 != (i % 5) as u32;
            assert_eq!(mapped.nearest(*q, 10, keep), owned.nearest(*q, 10, keep));
            assert_eq!(
                mapped.within(*q, 5_000.0, pos, |_, _| true),
                owned.within(*q, 5_000.0, pos, |_, _| true)
            );
            let (min, max) = (
                LonLat::new(q.lon - 0.1, q.lat - 0.1),
                LonLat::new(q.lon + 0.1, q.lat + 0.05),
            );
            assert_eq!(mapped.in_bbox(min, max, pos), owned.in_bbox(min, max, pos));
        }
    }

    #[test]
    fn arrays_of_inconsistent_sizes_or_keys_are_refused() {
        let points = spread(100);
        let idx = PointIndex::new(&points);
        let parts = idx.parts();
        let entries = Slab::from(parts.entries.to_vec());
        let short = Slab::from(parts.nodes[1..].to_vec());
        assert_eq!(
            PointIndex::from_parts(short, entries.clone()).unwrap_err(),
            PointIndexError::NodeCount {
                entries: 100,
                found: parts.nodes.len() - 1,
                expected: parts.nodes.len()
            }
        );
        // A file cut inside the entries: the nodes no longer match.
        let cut = Slab::from(parts.entries[..92].to_vec());
        assert!(PointIndex::from_parts(Slab::from(parts.nodes.to_vec()), cut).is_err());
        let back = PointIndex::from_parts(Slab::from(parts.nodes.to_vec()), entries).unwrap();
        assert_eq!(
            back.check_keys(99),
            Err(PointIndexError::KeyOutOfRange { key: 99, bound: 99 })
        );
        assert!(PointIndex::from_parts(Slab::default(), Slab::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn point_exactly_on_radius_is_included() {
        let a = LonLat::new(2.0, 45.0);
        let b = LonLat::new(2.05, 45.02);
        let d = haversine_m(a, b);
        let idx = PointIndex::new(&[(7, b)]);
        assert_eq!(idx.within(a, d, |_| b, |_, _| true).len(), 1);
        assert_eq!(idx.within(a, d * (1.0 - 1e-9), |_| b, |_, _| true).len(), 0);
    }

    #[test]
    fn ties_are_ordered_by_key() {
        let p = LonLat::new(1.9, 43.9);
        let pts = [(5, p), (2, p), (9, p), (1, LonLat::new(3.0, 44.0))];
        let idx = PointIndex::new(&pts);
        let got = idx.nearest(LonLat::new(1.8, 43.9), 2, |_, _| true);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![2, 5]);
    }
}
