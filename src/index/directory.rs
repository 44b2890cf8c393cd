//! The directory: every actor, commune and territory of a load, indexed for queries.
//!
//! A [`Directory`] is immutable once built; a server swaps a whole new one in when data changes,
//! so a reader sees one consistent state.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use serde::Serialize;

use super::communes::CommuneIndex;
use super::spatial::PointIndex;
use super::text::{TextIndex, TextIndexBuilder};
use crate::model::{
    departements, Actor, Commune, InseeCode, KindId, KindTable, LonLat, Sector, Territory,
    TerritoryKind,
};
use crate::sources::{Dataset, EquipmentCount, FileReport};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    #[serde(rename = "categorie")]
    pub category: HitCategory,
    pub id: String,
    #[serde(rename = "libelle")]
    pub label: String,
    pub detail: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub bbox: Option<[f64; 4]>,
    #[serde(skip)]
    pub score: f32,
}

/// Every loaded actor, commune and territory, with their indexes.
#[derive(Debug)]
pub struct Directory {
    kinds: KindTable,
    /// Sorted by id: an actor's index orders ties by id.
    actors: Vec<Actor>,
    points: PointIndex,
    by_kind: Vec<PointIndex>,
    kind_members: Vec<Vec<u32>>,
    by_commune: HashMap<InseeCode, Vec<u32>>,
    communes: CommuneIndex,
    territories: Vec<TerritoryEntry>,
    actor_text: TextIndex,
    place_text: TextIndex,
    equipment_counts: Vec<EquipmentCount>,
    reports: Vec<FileReport>,
}

impl Directory {
    /// Indexes a loaded dataset. Département territories are added for every département that
    /// has communes.
    pub fn build(ds: Dataset) -> Directory {
        let Dataset {
            kinds,
            actors,
            communes,
            mut territories,
            equipment_counts,
            reports,
        } = ds;
        let mut actors: Vec<Actor> = actors.into_iter().map(Actor::from).collect();
        actors.sort_by(|a, b| a.id().cmp(b.id()));
        actors.dedup_by(|b, a| a.id() == b.id());

        // Département territories.
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

        let communes = CommuneIndex::new(communes);
        let territories: Vec<TerritoryEntry> = territories
            .into_iter()
            .map(|t| territory_entry(t, &communes))
            .collect();

        let (points, by_kind, kind_members, by_commune, actor_text) = std::thread::scope(|s| {
            let text = s.spawn(|| actor_text_index(&actors, &kinds, &communes));
            let mut located: Vec<(u32, LonLat)> = Vec::with_capacity(actors.len());
            let mut per_kind: Vec<Vec<(u32, LonLat)>> = vec![Vec::new(); kinds.len()];
            let mut kind_members: Vec<Vec<u32>> = vec![Vec::new(); kinds.len()];
            let mut by_commune: HashMap<InseeCode, Vec<u32>> = HashMap::new();
            for (i, a) in actors.iter().enumerate() {
                let i = i as u32;
                let k = a.kind().0 as usize;
                if k >= kind_members.len() {
                    kind_members.resize(k + 1, Vec::new());
                    per_kind.resize(k + 1, Vec::new());
                }
                kind_members[k].push(i);
                if let Some(p) = a.position() {
                    located.push((i, p));
                    per_kind[k].push((i, p));
                }
                if let Some(c) = a.commune() {
                    by_commune.entry(c).or_default().push(i);
                }
            }
            let by_kind_handle = s.spawn(move || {
                per_kind
                    .iter()
                    .map(|v| PointIndex::new(v))
                    .collect::<Vec<_>>()
            });
            let points = PointIndex::new(&located);
            drop(located);
            let by_kind = by_kind_handle.join().expect("kind index thread");
            let actor_text = text.join().expect("text index thread");
            (points, by_kind, kind_members, by_commune, actor_text)
        });

        let place_text = place_text_index(&communes, &territories, &kinds);
        Directory {
            kinds,
            actors,
            points,
            by_kind,
            kind_members,
            by_commune,
            communes,
            territories,
            actor_text,
            place_text,
            equipment_counts,
            reports,
        }
    }

    pub fn kinds(&self) -> &KindTable {
        &self.kinds
    }

    /// Every actor, sorted by id.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    pub fn actor(&self, idx: u32) -> &Actor {
        &self.actors[idx as usize]
    }

    /// Index of the actor with this id.
    pub fn find(&self, id: &str) -> Option<u32> {
        self.actors
            .binary_search_by(|a| a.id().cmp(id))
            .ok()
            .map(|i| i as u32)
    }

    /// Number of actors of a kind (located or not).
    pub fn kind_count(&self, kind: KindId) -> usize {
        self.kind_members.get(kind.0 as usize).map_or(0, Vec::len)
    }

    /// Actors whose commune is `code`.
    pub fn actors_in_commune(&self, code: InseeCode) -> &[u32] {
        self.by_commune.get(&code).map_or(&[], Vec::as_slice)
    }

    pub fn communes(&self) -> &CommuneIndex {
        &self.communes
    }

    pub fn commune(&self, code: InseeCode) -> Option<&Commune> {
        self.communes.get(code)
    }

    pub fn territories(&self) -> &[TerritoryEntry] {
        &self.territories
    }

    pub fn territory(&self, id: &str) -> Option<&TerritoryEntry> {
        self.territories.iter().find(|t| t.territory.id == id)
    }

    /// Commune-level equipment counts (BPE `ensemble`).
    pub fn equipment_counts(&self) -> &[EquipmentCount] {
        &self.equipment_counts
    }

    /// The load reports, one per file.
    pub fn reports(&self) -> &[FileReport] {
        &self.reports
    }

    fn pos(&self) -> impl Fn(u32) -> LonLat + '_ {
        |i| {
            self.actors[i as usize]
                .position()
                .unwrap_or(LonLat::new(0.0, 0.0))
        }
    }

    /// The `k` nearest located actors (of the given kinds), as `(index, metres)` sorted by
    /// (distance, id).
    pub fn nearest(&self, at: LonLat, k: usize, kinds: Option<&[KindId]>) -> Vec<(u32, f64)> {
        match kinds {
            None => self.points.nearest(at, k, self.pos(), |_| true),
            Some(kinds) => {
                let mut all: Vec<(u32, f64)> = unique(kinds)
                    .into_iter()
                    .filter_map(|kd| self.by_kind.get(kd.0 as usize))
                    .flat_map(|t| t.nearest(at, k, self.pos(), |_| true))
                    .collect();
                all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                all.truncate(k);
                all
            }
        }
    }

    /// Located actors (of the given kinds) within `radius_m`, sorted by (distance, id).
    pub fn within(&self, at: LonLat, radius_m: f64, kinds: Option<&[KindId]>) -> Vec<(u32, f64)> {
        match kinds {
            None => self.points.within(at, radius_m, self.pos(), |_| true),
            Some(kinds) => {
                let mut all: Vec<(u32, f64)> = unique(kinds)
                    .into_iter()
                    .filter_map(|kd| self.by_kind.get(kd.0 as usize))
                    .flat_map(|t| t.within(at, radius_m, self.pos(), |_| true))
                    .collect();
                all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                all
            }
        }
    }

    /// Located actors inside a (multi)polygon in WGS84 degrees (boundary included), in id order.
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
                let p = self.actors[i as usize]
                    .position()
                    .expect("bbox implies located");
                area.intersects(&Point::new(p.lon, p.lat))
            })
            .collect()
    }

    /// Actors matching every criterion of the filter, in id order.
    pub fn filter(&self, f: &ActorFilter) -> Vec<u32> {
        let kinds = f.kinds.as_deref().map(unique);
        // Candidates from the most selective index available.
        let mut cands: Vec<u32> = if let Some((min, max)) = f.bbox {
            match &kinds {
                None => self.points.in_bbox(min, max, self.pos()),
                Some(ks) => {
                    let mut v: Vec<u32> = ks
                        .iter()
                        .filter_map(|k| self.by_kind.get(k.0 as usize))
                        .flat_map(|t| t.in_bbox(min, max, self.pos()))
                        .collect();
                    v.sort_unstable();
                    v
                }
            }
        } else if let Some(codes) = &f.communes {
            let mut v: Vec<u32> = codes
                .iter()
                .flat_map(|c| self.actors_in_commune(*c).iter().copied())
                .collect();
            v.sort_unstable();
            v
        } else if let Some(q) = &f.text {
            self.actor_text.matching(q)
        } else if let Some(ks) = &kinds {
            let mut v: Vec<u32> = ks
                .iter()
                .filter_map(|k| self.kind_members.get(k.0 as usize))
                .flatten()
                .copied()
                .collect();
            v.sort_unstable();
            v
        } else {
            (0..self.actors.len() as u32).collect()
        };
        if let Some(ks) = &kinds {
            cands.retain(|&i| ks.contains(&self.actors[i as usize].kind()));
        }
        if let Some(s) = f.sector {
            cands.retain(|&i| self.kinds.get(self.actors[i as usize].kind()).sector == s);
        }
        if let Some(codes) = &f.communes {
            cands.retain(|&i| {
                self.actors[i as usize]
                    .commune()
                    .is_some_and(|c| codes.contains(&c))
            });
        }
        if let (Some(q), true) = (
            &f.text,
            f.bbox.is_some() || f.communes.is_some() || kinds.is_some(),
        ) {
            let m = self.actor_text.matching(q);
            cands.retain(|i| m.binary_search(i).is_ok());
        }
        cands
    }

    /// Autocomplete over actors, communes, territories and kinds, best first.
    pub fn search(&self, q: &str, limit: usize) -> Vec<SearchHit> {
        let mut hits: Vec<SearchHit> = Vec::new();
        let nc = self.communes.len() as u32;
        let nt = self.territories.len() as u32;
        for h in self.place_text.search(q, limit, |_| true) {
            let hit = if h.doc < nc {
                let c = &self.communes.all()[h.doc as usize];
                let centre = c.centroid();
                SearchHit {
                    category: HitCategory::Commune,
                    id: c.code.to_string(),
                    label: c.name.clone(),
                    detail: match c.population {
                        Some(p) => format!("Commune ({}) – {} hab.", c.code, p),
                        None => format!("Commune ({})", c.code),
                    },
                    lon: centre.map(|p| p.lon),
                    lat: centre.map(|p| p.lat),
                    bbox: c
                        .bbox()
                        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
                    score: h.score + 0.5,
                }
            } else if h.doc < nc + nt {
                let t = &self.territories[(h.doc - nc) as usize];
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
                let k = self.kinds.get(kid);
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
        for h in self.actor_text.search(q, limit, |_| true) {
            let a = &self.actors[h.doc as usize];
            let kind = self.kinds.get(a.kind());
            let commune = a
                .commune()
                .and_then(|c| self.communes.get(c))
                .map(|c| c.name.as_str())
                .or(a.city())
                .unwrap_or("");
            hits.push(SearchHit {
                category: HitCategory::Actor,
                id: a.id().to_string(),
                label: a.name().to_string(),
                detail: if commune.is_empty() {
                    kind.label.clone()
                } else {
                    format!("{} – {}", kind.label, commune)
                },
                lon: a.position().map(|p| p.lon),
                lat: a.position().map(|p| p.lat),
                bbox: None,
                score: h.score,
            });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        hits
    }

    /// The union of a territory's commune outlines, computed once.
    pub fn territory_outline<'a>(&'a self, t: &'a TerritoryEntry) -> &'a MultiPolygon<f64> {
        t.outline.get_or_init(|| {
            let polys: Vec<&MultiPolygon<f64>> = t
                .territory
                .communes
                .iter()
                .filter_map(|c| self.communes.get(*c))
                .map(|c| &c.geometry)
                .filter(|g| !g.0.is_empty())
                .collect();
            geo::unary_union(polys)
        })
    }

    /// Approximate resident bytes of the actors and their indexes (for benchmarks).
    pub fn heap_bytes(&self) -> usize {
        let actors = self.actors.capacity() * std::mem::size_of::<Actor>()
            + self.actors.iter().map(Actor::heap_bytes).sum::<usize>();
        let trees = self.points.heap_bytes()
            + self
                .by_kind
                .iter()
                .map(PointIndex::heap_bytes)
                .sum::<usize>();
        let members = self.actors.len() * 4 * 2;
        actors + trees + members + self.actor_text.heap_bytes()
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

fn actor_text_index(actors: &[Actor], kinds: &KindTable, communes: &CommuneIndex) -> TextIndex {
    let mut b = TextIndexBuilder::new();
    for (i, a) in actors.iter().enumerate() {
        let kind = &kinds.get(a.kind()).label;
        let commune = a
            .commune()
            .and_then(|c| communes.get(c))
            .map(|c| c.name.as_str())
            .unwrap_or("");
        let city = a.city().unwrap_or("");
        b.add(
            i as u32,
            &[(a.name(), 3), (kind, 1), (commune, 1), (city, 1)],
        );
    }
    b.build()
}

fn place_text_index(
    communes: &CommuneIndex,
    territories: &[TerritoryEntry],
    kinds: &KindTable,
) -> TextIndex {
    let mut b = TextIndexBuilder::new();
    let mut doc = 0u32;
    for c in communes.all() {
        b.add(doc, &[(&c.name, 3), (c.code.as_str(), 2)]);
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
