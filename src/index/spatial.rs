//! Exact great-circle nearest-neighbour and radius queries over points.
//!
//! Points are indexed as unit vectors on the sphere in a 3-D R-tree: the chord between two unit
//! vectors is a monotone function of their great-circle distance, so the tree's own nearest-first
//! order *is* the great-circle order, with no degree-box approximation. Every answer is then
//! measured with the haversine formula and sorted by (distance, key) so that ties between
//! co-located actors are deterministic.
//!
//! ```
//! use maillage::index::spatial::PointIndex;
//! use maillage::model::LonLat;
//! let pts = vec![(0u32, LonLat::new(2.15, 43.93)), (1, LonLat::new(1.90, 43.90)), (2, LonLat::new(1.44, 43.60))];
//! let idx = PointIndex::new(&pts);
//! let pos = |k: u32| pts[k as usize].1;
//! let near = idx.nearest(LonLat::new(1.89, 43.90), 2, |_| true);
//! assert_eq!(near.iter().map(|n| n.0).collect::<Vec<_>>(), vec![1, 0]);
//! let within = idx.within(LonLat::new(2.15, 43.93), 30_000.0, pos, |_| true);
//! assert_eq!(within.len(), 2);
//! ```

use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTree, RTreeParams, AABB};

use crate::model::geodesy::{chord2_for_distance, distance_for_chord2, haversine_m};
use crate::model::LonLat;

type Entry = GeomWithData<[f64; 3], u32>;

/// Wider nodes than rstar's default (6): a shallower tree, fewer node visits per query.
#[derive(Debug, Clone, Copy)]
pub struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 5;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// Below this gap (metres) between a chord-derived distance and a radius, the haversine
/// formula on the stored position decides, so that the boundary agrees with [`haversine_m`].
const BOUNDARY_M: f64 = 1e-6;

fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// Relative slack on squared chords so that float rounding never loses a point on the boundary
/// or a tie; the exact haversine check decides.
const SLACK: f64 = 1e-9;

/// A static point index answering exact great-circle queries.
///
/// The index keeps only unit vectors and keys; queries take a `pos` function giving a key's
/// WGS84 position (the caller already stores it), used for exact distances and box edges.
#[derive(Debug, Clone, Default)]
pub struct PointIndex {
    tree: RTree<Entry, Params>,
}

impl PointIndex {
    /// Bulk-loads `(key, position)` pairs. Keys are caller-defined (actor indexes); ties in
    /// distance are broken by key.
    pub fn new(points: &[(u32, LonLat)]) -> PointIndex {
        let entries: Vec<Entry> = points
            .iter()
            .map(|(k, p)| GeomWithData::new(p.to_unit_vector(), *k))
            .collect();
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

    /// The `k` nearest keys accepted by `keep`, as `(key, metres)` sorted by (distance, key).
    ///
    /// `keep` lets a caller skip points without a separate tree; it is called in nearest-first
    /// order, so a rare filter costs a longer walk.
    pub fn nearest(&self, at: LonLat, k: usize, keep: impl Fn(u32) -> bool) -> Vec<(u32, f64)> {
        if k == 0 {
            return Vec::new();
        }
        let q = at.to_unit_vector();
        let mut found: Vec<(u32, f64)> = Vec::with_capacity(k + 4);
        let mut kth_chord2 = f64::INFINITY;
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            if found.len() >= k && d2 > kth_chord2 * (1.0 + SLACK) + f64::EPSILON {
                break;
            }
            if !keep(e.data) {
                continue;
            }
            found.push((e.data, d2));
            if found.len() == k {
                kth_chord2 = d2;
            }
        }
        let mut out: Vec<(u32, f64)> = found
            .into_iter()
            .map(|(key, d2)| (key, distance_for_chord2(d2)))
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        out
    }

    /// Every key accepted by `keep` within `radius_m` metres, sorted by (distance, key).
    pub fn within(
        &self,
        at: LonLat,
        radius_m: f64,
        pos: impl Fn(u32) -> LonLat,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<(u32, f64)> {
        let q = at.to_unit_vector();
        let r2 = chord2_for_distance(radius_m) * (1.0 + SLACK) + f64::EPSILON;
        let mut out: Vec<(u32, f64)> = self
            .tree
            .locate_within_distance(q, r2)
            .filter(|e| keep(e.data))
            .filter_map(|e| {
                let d = distance_for_chord2(chord2(e.geom(), &q));
                let d = if (d - radius_m).abs() < BOUNDARY_M {
                    haversine_m(at, pos(e.data))
                } else {
                    d
                };
                (d <= radius_m).then_some((e.data, d))
            })
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Keys inside a longitude/latitude rectangle (edges included), in key order.
    pub fn in_bbox(&self, min: LonLat, max: LonLat, pos: impl Fn(u32) -> LonLat) -> Vec<u32> {
        let env = sphere_patch_envelope(min, max);
        let mut out: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .filter(|e| {
                let [x, y, z] = *e.geom();
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
                    inside(pos(e.data))
                } else {
                    inside(p)
                }
            })
            .map(|e| e.data)
            .collect();
        out.sort_unstable();
        out
    }

    /// Approximate heap bytes used by the tree (leaves plus inner nodes).
    pub fn heap_bytes(&self) -> usize {
        let leaf = std::mem::size_of::<rstar::RTreeNode<Entry>>();
        self.tree.size() * leaf * 17 / 16
    }
}

/// A 3-D box enclosing every unit vector of a longitude/latitude rectangle.
fn sphere_patch_envelope(min: LonLat, max: LonLat) -> AABB<[f64; 3]> {
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
    let e = 1e-12;
    AABB::from_corners([x.0 - e, y.0 - e, z.0 - e], [x.1 + e, y.1 + e, z.1 + e])
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

    proptest! {
        #[test]
        fn knn_equals_brute_force(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, k in 1usize..20) {
            let idx = PointIndex::new(&points);
            let at = LonLat::new(lon, lat);
            let got = idx.nearest(at, k, |_| true);
            let mut want = brute(&points, at);
            want.truncate(k);
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        }

        #[test]
        fn knn_with_filter_equals_brute_force(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, k in 1usize..10) {
            let idx = PointIndex::new(&points);
            let at = LonLat::new(lon, lat);
            let got = idx.nearest(at, k, |key| key % 3 == 0);
            let mut want: Vec<_> = brute(&points, at).into_iter().filter(|w| w.0 % 3 == 0).collect();
            want.truncate(k);
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        }

        #[test]
        fn radius_equals_brute_force(points in pts_strategy(), lon in -5.0f64..9.0, lat in 41.0f64..51.5, r in 100.0f64..300_000.0) {
            let idx = PointIndex::new(&points);
            let pos = |k: u32| points[k as usize].1;
            let at = LonLat::new(lon, lat);
            let got = idx.within(at, r, pos, |_| true);
            let want: Vec<_> = brute(&points, at).into_iter().filter(|w| w.1 <= r).collect();
            prop_assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), want.iter().map(|w| w.0).collect::<Vec<_>>());
        }

        #[test]
        fn bbox_equals_brute_force(points in pts_strategy(), a in -5.0f64..9.0, b in -5.0f64..9.0, c in 41.0f64..51.5, d in 41.0f64..51.5) {
            let idx = PointIndex::new(&points);
            let pos = |k: u32| points[k as usize].1;
            let (min, max) = (LonLat::new(a.min(b), c.min(d)), LonLat::new(a.max(b), c.max(d)));
            let got = idx.in_bbox(min, max, pos);
            let want: Vec<u32> = points.iter().filter(|(_, p)| p.lon >= min.lon && p.lon <= max.lon && p.lat >= min.lat && p.lat <= max.lat).map(|(k, _)| *k).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn point_exactly_on_radius_is_included() {
        let a = LonLat::new(2.0, 45.0);
        let b = LonLat::new(2.05, 45.02);
        let d = haversine_m(a, b);
        let idx = PointIndex::new(&[(7, b)]);
        assert_eq!(idx.within(a, d, |_| b, |_| true).len(), 1);
        assert_eq!(idx.within(a, d * (1.0 - 1e-9), |_| b, |_| true).len(), 0);
    }

    #[test]
    fn ties_are_ordered_by_key() {
        let p = LonLat::new(1.9, 43.9);
        let pts = [(5, p), (2, p), (9, p), (1, LonLat::new(3.0, 44.0))];
        let idx = PointIndex::new(&pts);
        let got = idx.nearest(LonLat::new(1.8, 43.9), 2, |_| true);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![2, 5]);
    }
}
