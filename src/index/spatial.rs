//! Exact great-circle nearest-neighbour and radius queries over points.
//!
//! Points are indexed as unit vectors on the sphere in a 3-D R-tree: the chord between two unit
//! vectors is a monotone function of their great-circle distance, so the tree's own nearest-first
//! order *is* the great-circle order, with no degree-box approximation. Every answer is then
//! measured with the haversine formula and sorted by (distance, key) so that ties between
//! co-located actors are deterministic.
//!
//! Memory and speed: a leaf keeps its exact `f64` unit vector, its key and a caller-defined
//! 16-bit tag (the actor kind), so that queries never look outside the tree to measure or
//! filter a point. Boxes of inner nodes are `f32`; box tests widen them by the largest rounding
//! gap, so that they can only let an extra node through, never lose a point. The
//! k-nearest search is a best-first branch-and-bound walk that prunes with the current k-th
//! distance instead of queueing every visited point.
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

use rstar::{ParentNode, RStarInsertionStrategy, RTree, RTreeNode, RTreeObject, RTreeParams, AABB};

use crate::model::geodesy::{chord2_for_distance, distance_for_chord2, haversine_m};
use crate::model::LonLat;

/// One indexed point: its exact unit vector, the caller's key and tag.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    v: [f64; 3],
    key: u32,
    tag: u16,
}

impl Entry {
    pub fn key(&self) -> u32 {
        self.key
    }

    pub fn tag(&self) -> u16 {
        self.tag
    }
}

/// The rotation applied to every unit vector before it enters the tree (distances do not
/// change): it turns the vertical at the centre of metropolitan France into the diagonal
/// (1, 1, 1)/√3, so that the three axes cut the French surface in three directions 120° apart.
/// Without it the x and z axes both run north–south there, and the bulk loader's slabs make
/// leaves long and thin, which costs the k-nearest search extra nodes.
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

impl RTreeObject for Entry {
    type Envelope = AABB<[f32; 3]>;

    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(rounded(self.v))
    }
}

/// Nodes of at most 8 children: the bulk loader then splits each node 2 × 2 × 2, and a
/// k-nearest query reads fewer points than with wider nodes (measured by `benches/index.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 3;
    const MAX_SIZE: usize = 8;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// Below this gap (metres) between a chord-derived distance and a radius, the haversine
/// formula on the stored position decides, so that the boundary agrees with [`haversine_m`].
const BOUNDARY_M: f64 = 1e-6;

fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    dx * dx + dy * dy + dz * dz
}

/// Squared distance from `q` to the nearest point of a box (0 inside).
fn box_chord2(q: &[f64; 3], env: &AABB<[f32; 3]>) -> f64 {
    let (lo, hi) = (env.lower(), env.upper());
    let mut s = 0.0;
    for i in 0..3 {
        let (l, h) = (lo[i] as f64 - BOX_MARGIN, hi[i] as f64 + BOX_MARGIN);
        let d = if q[i] < l {
            l - q[i]
        } else if q[i] > h {
            q[i] - h
        } else {
            0.0
        };
        s += d * d;
    }
    s
}

/// Asks the processor to start loading a node's children, which a query will likely read next.
#[inline]
fn prefetch(children: &[RTreeNode<Entry>]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let p = children.as_ptr() as *const i8;
        // SAFETY: a prefetch is only a hint: it never faults and reads nothing into the program,
        // and SSE is part of the x86-64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = children;
}

/// Relative slack on squared chords so that float rounding never loses a point on the boundary
/// or a tie; the exact haversine check decides.
const SLACK: f64 = 1e-9;

/// A node waiting in the best-first queue, smallest distance first.
struct Queued<'a> {
    d2: f64,
    node: &'a ParentNode<Entry>,
}

impl PartialEq for Queued<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.d2 == other.d2
    }
}
impl Eq for Queued<'_> {}
impl PartialOrd for Queued<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.d2.total_cmp(&self.d2)
    }
}

/// A static point index answering exact great-circle queries.
///
/// Queries take a `pos` function giving a key's WGS84 position (the caller already stores it),
/// used only to settle a point lying on a radius within a micrometre, and a `keep(key, tag)`
/// filter.
#[derive(Debug, Clone, Default)]
pub struct PointIndex {
    tree: RTree<Entry, Params>,
}

impl PointIndex {
    /// Bulk-loads `(key, position)` pairs, all with tag 0. Keys are caller-defined (actor
    /// indexes); ties in distance are broken by key.
    pub fn new(points: &[(u32, LonLat)]) -> PointIndex {
        Self::from_entries(
            points
                .iter()
                .map(|(k, p)| Entry {
                    v: tree_vector(*p),
                    key: *k,
                    tag: 0,
                })
                .collect(),
        )
    }

    /// Bulk-loads `(key, tag, position)` triples; the tag is handed to query filters.
    pub fn with_tags(points: &[(u32, u16, LonLat)]) -> PointIndex {
        Self::from_entries(
            points
                .iter()
                .map(|(k, t, p)| Entry {
                    v: tree_vector(*p),
                    key: *k,
                    tag: *t,
                })
                .collect(),
        )
    }

    fn from_entries(entries: Vec<Entry>) -> PointIndex {
        PointIndex {
            tree: RTree::bulk_load_with_params(entries),
        }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
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
        if k == 0 || self.tree.size() == 0 {
            return Vec::new();
        }
        let q = tree_vector(at);
        // Candidates as (squared chord, key), kept sorted; ties at the k-th distance stay.
        let mut found: Vec<(f64, u32)> = Vec::with_capacity(k + 8);
        let mut bound = f64::INFINITY;
        let mut queue: BinaryHeap<Queued> = BinaryHeap::with_capacity(64);
        queue.push(Queued {
            d2: 0.0,
            node: self.tree.root(),
        });
        while let Some(Queued { d2, node }) = queue.pop() {
            if d2 > bound {
                break;
            }
            for child in node.children() {
                match child {
                    RTreeNode::Leaf(e) => {
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
                    RTreeNode::Parent(p) => {
                        let d2 = box_chord2(&q, &p.envelope());
                        if d2 <= bound {
                            prefetch(p.children());
                            queue.push(Queued { d2, node: p });
                        }
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
        if self.tree.size() == 0 {
            return Vec::new();
        }
        let q = tree_vector(at);
        let r2 = chord2_for_distance(radius_m) * (1.0 + SLACK) + f64::EPSILON;
        let mut hits: Vec<(f64, u32)> = Vec::new();
        let mut stack: Vec<&ParentNode<Entry>> = Vec::with_capacity(32);
        let take = |e: &Entry, hits: &mut Vec<(f64, u32)>| {
            let d2 = chord2(&e.v, &q);
            if d2 <= r2 && keep(e.key, e.tag) {
                hits.push((d2, e.key));
            }
        };
        stack.push(self.tree.root());
        while let Some(node) = stack.pop() {
            for child in node.children() {
                match child {
                    RTreeNode::Leaf(e) => take(e, &mut hits),
                    RTreeNode::Parent(p) => {
                        let env = p.envelope();
                        if box_chord2(&q, &env) <= r2 {
                            prefetch(p.children());
                            stack.push(p);
                        }
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
        let env = sphere_patch_envelope(min, max);
        let mut out: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .filter(|e| {
                let [x, y, z] = unrotate(&e.v);
                let p = LonLat::new(
                    y.atan2(x).to_degrees(),
                    z.clamp(-1.0, 1.0).asin().to_degrees(),
                );
                let margin = 1e-9;
                let inside = |p: LonLat| {
                    p.lon >= min.lon && p.lon <= max.lon && p.lat >= min.lat && p.lat <= max.lat
                };
                let near_edge = (p.lon - min.lon).abs() < margin
                    || (p.lon - max.lon).abs() < margin
                    || (p.lat - min.lat).abs() < margin
                    || (p.lat - max.lat).abs() < margin;
                if near_edge {
                    inside(pos(e.key))
                } else {
                    inside(p)
                }
            })
            .map(|e| e.key)
            .collect();
        out.sort_unstable();
        out
    }

    /// Approximate heap bytes used by the tree (leaves plus inner nodes).
    pub fn heap_bytes(&self) -> usize {
        let leaf = std::mem::size_of::<RTreeNode<Entry>>();
        self.tree.size() * leaf * 17 / 16
    }
}

/// A 3-D box enclosing every unit vector of a longitude/latitude rectangle.
fn sphere_patch_envelope(min: LonLat, max: LonLat) -> AABB<[f32; 3]> {
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
    AABB::from_corners(rounded(lo.map(|c| c - e)), rounded(hi.map(|c| c + e)))
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

    fn pts_strategy() -> impl Strategy<Value = Vec<(u32, LonLat)>> {
        proptest::collection::vec((-5.0f64..9.0, 41.0f64..51.5), 1..300).prop_map(|v| {
            v.into_iter()
                .enumerate()
                // Round some coordinates to create exact duplicates (ties).
                .map(|(i, (lon, lat))| {
                    let (lon, lat) = if i % 7 == 0 {
                        ((lon * 10.0).round() / 10.0, (lat * 10.0).round() / 10.0)
                    } else {
                        (lon, lat)
                    };
                    (i as u32, LonLat::new(lon, lat))
                })
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
