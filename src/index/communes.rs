//! Communes indexed by outline: point → commune, and lookups by code.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use maillage::index::communes::CommuneIndex;
//! use maillage::model::{Commune, LonLat};
//! let mut c = Commune::new("81004".parse().unwrap(), "Albi");
//! c.geometry = MultiPolygon::new(vec![polygon![(x: 2.0, y: 43.8), (x: 2.3, y: 43.8), (x: 2.3, y: 44.0), (x: 2.0, y: 44.0)]]);
//! let idx = CommuneIndex::new(vec![c]);
//! assert_eq!(idx.at(LonLat::new(2.1, 43.9)).unwrap().name, "Albi");
//! assert!(idx.at(LonLat::new(1.0, 43.9)).is_none());
//! ```

use std::collections::HashMap;

use geo::{BoundingRect, Intersects, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::model::{Commune, InseeCode, LonLat};

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// All loaded communes, with an R-tree of their bounding boxes.
#[derive(Debug, Clone, Default)]
pub struct CommuneIndex {
    communes: Vec<Commune>,
    by_code: HashMap<InseeCode, u32>,
    tree: RTree<Entry>,
}

impl CommuneIndex {
    /// Indexes communes, sorted by INSEE code.
    pub fn new(mut communes: Vec<Commune>) -> CommuneIndex {
        communes.sort_by_key(|c| c.code);
        // Every outline we serve or write comes from here: rounded to 7 decimals (1 cm) and
        // oriented once, as RFC 7946 wants.
        for c in &mut communes {
            crate::model::commune::round_coordinates(&mut c.geometry);
            crate::model::commune::orient_rfc7946(&mut c.geometry);
        }
        let by_code = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code, i as u32))
            .collect();
        let entries = communes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                c.geometry.bounding_rect().map(|r| {
                    GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i as u32,
                    )
                })
            })
            .collect();
        CommuneIndex {
            communes,
            by_code,
            tree: RTree::bulk_load(entries),
        }
    }

    /// The commune whose outline contains the point (boundary included; on a shared border the
    /// smallest code wins).
    pub fn at(&self, p: LonLat) -> Option<&Commune> {
        let pt = Point::new(p.lon, p.lat);
        self.tree
            .locate_all_at_point(&[p.lon, p.lat])
            .map(|e| e.data)
            .filter(|&i| self.communes[i as usize].geometry.intersects(&pt))
            .min()
            .map(|i| &self.communes[i as usize])
    }

    pub fn get(&self, code: InseeCode) -> Option<&Commune> {
        self.by_code.get(&code).map(|&i| &self.communes[i as usize])
    }

    /// Communes whose bounding box meets the rectangle, in code order.
    pub fn in_bbox(&self, min: LonLat, max: LonLat) -> Vec<&Commune> {
        let env = AABB::from_corners([min.lon, min.lat], [max.lon, max.lat]);
        let mut idx: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
            .collect();
        idx.sort_unstable();
        idx.into_iter()
            .map(|i| &self.communes[i as usize])
            .collect()
    }

    /// Every commune, in code order.
    pub fn all(&self) -> &[Commune] {
        &self.communes
    }

    pub fn len(&self) -> usize {
        self.communes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
    }

    /// Bounding box of every outline, as (min, max).
    pub fn extent(&self) -> Option<(LonLat, LonLat)> {
        let env = self.tree.root().envelope();
        if self.tree.size() == 0 {
            return None;
        }
        let (lo, hi) = (env.lower(), env.upper());
        Some((LonLat::new(lo[0], lo[1]), LonLat::new(hi[0], hi[1])))
    }
}
