//! Service areas resolved and indexed: "which structures are competent at this point or in this
//! commune?" is one hash lookup plus one R-tree point query.
//!
//! Every declared [`ServiceArea`] is resolved against the loaded communes and territories:
//! commune lists, EPCIs, départements and territories become sets of INSEE codes (a point is
//! then matched through the commune that contains it), drawn polygons go into an R-tree of
//! their bounding boxes and are tested exactly. Town halls and CCAS without a declared area are
//! competent for their own commune.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use maillage::index::areas::{AreaIndex, AreaInput, AreaOrigin};
//! use maillage::index::communes::CommuneIndex;
//! use maillage::model::{Commune, LonLat, ServiceArea};
//! let mut albi = Commune::new("81004".parse().unwrap(), "Albi");
//! albi.geometry = MultiPolygon::new(vec![polygon![(x: 2.0, y: 43.8), (x: 2.3, y: 43.8), (x: 2.3, y: 44.0), (x: 2.0, y: 44.0)]]);
//! let communes = CommuneIndex::new(vec![albi]);
//! let inputs = vec![AreaInput { actor: 7, area: "communes:81004".parse().unwrap(), origin: AreaOrigin::Communal }];
//! let (index, errors) = AreaIndex::build(inputs, &communes, |_| None);
//! assert!(errors.is_empty());
//! let found = index.competent(Some(LonLat::new(2.1, 43.9)), communes.at(LonLat::new(2.1, 43.9)).map(|c| c.code), |_| true);
//! assert_eq!(found[0].0, 7);
//! assert_eq!(found[0].1, "compétence communale : commune 81004 (Albi)");
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use super::communes::CommuneIndex;
use super::directory::TerritoryEntry;
use crate::model::place::{PlaceResolver, Why};
use crate::model::{departements, ActorTable, InseeCode, KindTable, LonLat, ServiceArea};
use crate::sources::zones::ServiceAreaRecord;
use crate::sources::FileReport;

/// Kinds competent for their own commune when no area is declared.
pub const COMMUNAL_KINDS: [&str; 2] = ["mairie", "ccas"];

/// Prefix of the partner-file tag holding the raw `zone_intervention` value.
pub const PARTNER_ZONE_TAG: &str = "zone:";

/// Where an area was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AreaOrigin {
    /// A line of a zones file (`zones.csv`, `zones.geojson`).
    File { file: String, line: usize },
    /// The `zone_intervention` column of the partner file.
    PartnerFile { file: String },
    /// Implicit: a town hall or CCAS is competent for its own commune.
    Communal,
}

/// An area to index, for the actor at index `actor` of the directory.
#[derive(Debug, Clone)]
pub struct AreaInput {
    pub actor: u32,
    pub area: ServiceArea,
    pub origin: AreaOrigin,
}

/// One resolved area of an actor.
#[derive(Debug, Clone)]
pub struct AreaPart {
    /// The area as declared.
    pub area: ServiceArea,
    pub origin: AreaOrigin,
    /// French description with names (`EPCI 200066124 (CA Gaillac-Graulhet)`).
    pub label: String,
    /// Member communes, sorted (empty for a drawn polygon).
    pub communes: Vec<InseeCode>,
    /// Listed codes that match no loaded commune.
    pub unknown_communes: Vec<InseeCode>,
}

/// Every area of one actor.
#[derive(Debug, Default)]
pub struct ActorArea {
    pub parts: Vec<AreaPart>,
    outline: OnceLock<MultiPolygon<f64>>,
}

impl ActorArea {
    /// Union of the member communes' outlines and of the drawn polygons, computed once.
    pub fn outline(&self, communes: &CommuneIndex) -> &MultiPolygon<f64> {
        self.outline.get_or_init(|| {
            let mut polys: Vec<&MultiPolygon<f64>> = Vec::new();
            let mut seen: Vec<InseeCode> = Vec::new();
            for p in &self.parts {
                if let ServiceArea::Polygon(g) = &p.area {
                    polys.push(g);
                }
                seen.extend(p.communes.iter().copied());
            }
            seen.sort_unstable();
            seen.dedup();
            polys.extend(
                seen.iter()
                    .filter_map(|c| communes.get(*c))
                    .map(|c| &c.geometry)
                    .filter(|g| !g.0.is_empty()),
            );
            geo::unary_union(polys)
        })
    }

    /// Every member commune of the commune-based parts, sorted and deduplicated.
    pub fn communes(&self) -> Vec<InseeCode> {
        let mut v: Vec<InseeCode> = self
            .parts
            .iter()
            .flat_map(|p| p.communes.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

type PolyEntry = GeomWithData<Rectangle<[f64; 2]>, (u32, u16)>;

/// Resolved service areas of every actor that has one.
#[derive(Debug, Default)]
pub struct AreaIndex {
    /// Sorted by actor index: each actor with an area, and its area in `distinct`.
    areas: Vec<(u32, u32)>,
    /// The areas, each once: the town halls and CCAS of a commune competent for it alone
    /// (no declared area, see [`COMMUNAL_KINDS`]) share one, so that the 70,000 of all of
    /// France do not cost an area each.
    distinct: Vec<ActorArea>,
    /// Commune → (actor, part) whose area contains it.
    by_commune: HashMap<InseeCode, Vec<(u32, u16)>>,
    polygons: RTree<PolyEntry>,
}

impl AreaIndex {
    /// Resolves and indexes areas. `territory(id)` gives a loaded territory's name and
    /// communes. Returns the index and the inputs that could not be resolved, with the reason
    /// in French.
    pub fn build<'t>(
        inputs: Vec<AreaInput>,
        communes: &CommuneIndex,
        territory: impl Fn(&str) -> Option<(&'t str, &'t [InseeCode])>,
    ) -> (AreaIndex, Vec<(AreaInput, String)>) {
        let mut errors = Vec::new();
        let mut per_actor: HashMap<u32, ActorArea> = HashMap::new();
        for input in inputs {
            match resolve(&input.area, communes, &territory) {
                Ok((label, members)) => {
                    let (known, unknown): (Vec<InseeCode>, Vec<InseeCode>) =
                        members.iter().partition(|c| communes.get(**c).is_some());
                    let mut all = known;
                    all.extend(unknown.iter().copied());
                    all.sort_unstable();
                    all.dedup();
                    per_actor
                        .entry(input.actor)
                        .or_default()
                        .parts
                        .push(AreaPart {
                            area: input.area,
                            origin: input.origin,
                            label,
                            communes: all,
                            unknown_communes: unknown,
                        });
                }
                Err(why) => errors.push((input, why)),
            }
        }
        let mut sorted: Vec<(u32, ActorArea)> = per_actor.into_iter().collect();
        sorted.sort_by_key(|(a, _)| *a);
        let mut areas = Vec::with_capacity(sorted.len());
        let mut distinct: Vec<ActorArea> = Vec::new();
        let mut communal: HashMap<InseeCode, u32> = HashMap::new();
        for (actor, mut area) in sorted {
            let own_commune = match area.parts.as_slice() {
                [AreaPart {
                    origin: AreaOrigin::Communal,
                    area: ServiceArea::Communes(list),
                    ..
                }] if list.len() == 1 => Some(list[0]),
                _ => None,
            };
            let slot = match own_commune.map(|c| (c, communal.get(&c).copied())) {
                Some((_, Some(slot))) => slot,
                found => {
                    // Most actors have one part; a vector grown by `push` keeps room for four.
                    area.parts.shrink_to_fit();
                    distinct.push(area);
                    let slot = (distinct.len() - 1) as u32;
                    if let Some((c, None)) = found {
                        communal.insert(c, slot);
                    }
                    slot
                }
            };
            areas.push((actor, slot));
        }
        let mut by_commune: HashMap<InseeCode, Vec<(u32, u16)>> = HashMap::new();
        let mut entries = Vec::new();
        for &(actor, slot) in &areas {
            for (j, part) in distinct[slot as usize].parts.iter().enumerate() {
                let key = (actor, j as u16);
                for c in &part.communes {
                    by_commune.entry(*c).or_default().push(key);
                }
                if let ServiceArea::Polygon(g) = &part.area {
                    if let Some(r) = g.bounding_rect() {
                        entries.push(GeomWithData::new(
                            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                            key,
                        ));
                    }
                }
            }
        }
        (
            AreaIndex {
                areas,
                distinct,
                by_commune,
                polygons: RTree::bulk_load(entries),
            },
            errors,
        )
    }

    /// The areas of an actor, if it has any.
    pub fn get(&self, actor: u32) -> Option<&ActorArea> {
        self.areas
            .binary_search_by_key(&actor, |(a, _)| *a)
            .ok()
            .map(|i| &self.distinct[self.areas[i].1 as usize])
    }

    /// Number of actors with an area.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Actors (accepted by `keep`) whose area contains `commune` or the point `at`, in actor
    /// order, each with the reason in French (`zone d'intervention : commune 81004 (Albi)`).
    /// A commune-based reason is preferred over a polygon one.
    pub fn competent(
        &self,
        at: Option<LonLat>,
        commune: Option<InseeCode>,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<(u32, String)> {
        let mut hits: Vec<(u32, u16, u8)> = Vec::new();
        if let Some(c) = commune {
            if let Some(v) = self.by_commune.get(&c) {
                hits.extend(v.iter().map(|&(a, j)| (a, j, 0)));
            }
        }
        if let Some(p) = at.filter(LonLat::is_valid) {
            let pt = Point::new(p.lon, p.lat);
            for e in self.polygons.locate_all_at_point(&[p.lon, p.lat]) {
                let (a, j) = e.data;
                if let Some(ServiceArea::Polygon(g)) = self
                    .get(a)
                    .and_then(|x| x.parts.get(j as usize))
                    .map(|p| &p.area)
                {
                    if g.intersects(&pt) {
                        hits.push((a, j, 1));
                    }
                }
            }
        }
        hits.retain(|h| keep(h.0));
        hits.sort_unstable_by_key(|&(a, j, pri)| (a, pri, j));
        hits.dedup_by_key(|h| h.0);
        hits.into_iter()
            .filter_map(|(a, j, _)| {
                let part = self.get(a)?.parts.get(j as usize)?;
                Some((a, reason(part, commune)))
            })
            .collect()
    }
}

/// Keeps the zone records whose actor exists (`known(id)`); the others are counted as
/// rejected lines of their file.
pub(crate) fn known_records(
    records: Vec<ServiceAreaRecord>,
    known: impl Fn(&str) -> bool,
    reports: &mut [FileReport],
) -> Vec<ServiceAreaRecord> {
    let mut kept = Vec::with_capacity(records.len());
    for r in records {
        if known(&r.actor) {
            kept.push(r);
        } else if let Some(rep) = reports.iter_mut().find(|x| x.file == r.file) {
            rep.accepted = rep.accepted.saturating_sub(1);
            rep.reject(
                r.line,
                "acteur",
                "l'identifiant d'un acteur chargé (ex. finess:810000505, local:dac81)",
                &r.actor,
            );
        }
    }
    kept
}

/// Indexes the areas of one directory segment (actors sorted by id, directory indexes
/// starting at `offset`): zone records of its actors, `zone:` tags of partner actors, and the
/// implicit communal area of town halls and CCAS. With `reports`, unresolvable areas are
/// reported: zone lines as rejections of their file, partner tags as notes of theirs.
/// Places (commune names, postcodes, former codes) are resolved by `places`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn index_segment(
    actors: &ActorTable,
    offset: u32,
    kinds: &KindTable,
    communes: &CommuneIndex,
    places: &PlaceResolver,
    territories: &[TerritoryEntry],
    records: &[ServiceAreaRecord],
    reports: Option<&mut Vec<FileReport>>,
) -> AreaIndex {
    index_segment_at(
        actors,
        offset,
        0..actors.len(),
        kinds,
        communes,
        places,
        territories,
        records,
        reports,
    )
}

/// [`index_segment`] visiting only the actors at `positions` (increasing) for `zone:` tags
/// and communal kinds: the same index when every other actor has neither (a segment read
/// from a snapshot lists them, so that opening it does not read every actor's text).
#[allow(clippy::too_many_arguments)]
pub(crate) fn index_segment_at(
    actors: &ActorTable,
    offset: u32,
    positions: impl IntoIterator<Item = usize>,
    kinds: &KindTable,
    communes: &CommuneIndex,
    places: &PlaceResolver,
    territories: &[TerritoryEntry],
    records: &[ServiceAreaRecord],
    mut reports: Option<&mut Vec<FileReport>>,
) -> AreaIndex {
    let find = |id: &str| actors.find(id).map(|i| offset + i as u32);
    let mut inputs = Vec::new();
    for r in records {
        if let Some(i) = find(&r.actor) {
            inputs.push(AreaInput {
                actor: i,
                area: current_codes(&r.area, places),
                origin: AreaOrigin::File {
                    file: r.file.clone(),
                    line: r.line,
                },
            });
        }
    }
    let communal: Vec<_> = COMMUNAL_KINDS
        .iter()
        .filter_map(|k| kinds.by_id(k))
        .collect();
    let mut has_area: std::collections::HashSet<u32> = inputs.iter().map(|x| x.actor).collect();
    for j in positions {
        let a = actors.get(j);
        let i = offset + j as u32;
        for tag in a.tags() {
            let Some(text) = tag.strip_prefix(PARTNER_ZONE_TAG) else {
                continue;
            };
            let home = a.commune().map(|c| c.departement().to_string());
            // A postcode stands for all its communes; homonyms are settled by the actor's
            // own département.
            let lookup = |item: &str| -> Vec<InseeCode> {
                let found = places.resolve(item);
                match found.as_slice() {
                    [one] => vec![one.code],
                    many if many.iter().all(|c| c.why == Why::Postcode) => {
                        many.iter().map(|c| c.code).collect()
                    }
                    many => many
                        .iter()
                        .find(|c| Some(c.code.departement()) == home.as_deref())
                        .map(|c| c.code)
                        .into_iter()
                        .collect(),
                }
            };
            let (area, unknown) = ServiceArea::parse_free(text, lookup);
            let file = reports
                .as_ref()
                .and_then(|r| r.get(a.source().0 as usize))
                .map_or(String::new(), |r| r.file.clone());
            if let Some(area) = area {
                inputs.push(AreaInput {
                    actor: i,
                    area,
                    origin: AreaOrigin::PartnerFile { file },
                });
                has_area.insert(i);
            }
            if !unknown.is_empty() {
                if let Some(rep) = reports
                    .as_deref_mut()
                    .and_then(|r| r.get_mut(a.source().0 as usize))
                {
                    rep.notes.push(format!(
                        "{} : zone d'intervention « {} » : non reconnu : {} (attendu : noms ou codes INSEE de communes chargées séparés par des virgules, ou {})",
                        a.id(),
                        text,
                        unknown.join(", "),
                        crate::model::service_area::SYNTAX
                    ));
                }
            }
        }
        if communal.contains(&a.kind()) && !has_area.contains(&i) {
            if let Some(c) = a.commune() {
                inputs.push(AreaInput {
                    actor: i,
                    area: ServiceArea::Communes(vec![c]),
                    origin: AreaOrigin::Communal,
                });
            }
        }
    }
    let territory = |id: &str| {
        territories
            .iter()
            .find(|t| t.territory.id == id)
            .map(|t| (t.territory.name.as_str(), t.territory.communes.as_slice()))
    };
    let (index, errors) = AreaIndex::build(inputs, communes, territory);
    if let Some(reports) = reports {
        for (input, why) in errors {
            match &input.origin {
                AreaOrigin::File { file, line } => {
                    if let Some(rep) = reports.iter_mut().find(|x| &x.file == file) {
                        rep.accepted = rep.accepted.saturating_sub(1);
                        rep.reject(*line, "zone", &why, &input.area.to_string());
                    }
                }
                AreaOrigin::PartnerFile { file } => {
                    if let Some(rep) = reports.iter_mut().find(|x| &x.file == file) {
                        rep.notes
                            .push(format!("zone d'intervention « {} » : {why}", input.area));
                    }
                }
                AreaOrigin::Communal => {}
            }
        }
    }
    index
}

/// The area with every former commune code (a commune merged since) replaced by the code of
/// the commune it was merged into.
fn current_codes(area: &ServiceArea, places: &PlaceResolver) -> ServiceArea {
    match area {
        ServiceArea::Communes(list) => {
            let mut out: Vec<InseeCode> = Vec::with_capacity(list.len());
            for c in list {
                let code = places.code(c.as_str()).map_or(*c, |found| found.code);
                if !out.contains(&code) {
                    out.push(code);
                }
            }
            ServiceArea::Communes(out)
        }
        other => other.clone(),
    }
}

/// Why an area matched, in French.
fn reason(part: &AreaPart, commune: Option<InseeCode>) -> String {
    let head = match part.origin {
        AreaOrigin::Communal => "compétence communale",
        _ => "zone d'intervention",
    };
    match (&part.area, commune) {
        (ServiceArea::Communes(list), Some(c)) if list.len() > 1 => {
            format!("{head} : commune {c} (parmi {} communes)", list.len())
        }
        _ => format!("{head} : {}", part.label),
    }
}

/// Resolves an area to a French label and member communes.
fn resolve<'t>(
    area: &ServiceArea,
    communes: &CommuneIndex,
    territory: &impl Fn(&str) -> Option<(&'t str, &'t [InseeCode])>,
) -> Result<(String, Vec<InseeCode>), String> {
    match area {
        ServiceArea::Communes(list) => {
            if list.is_empty() {
                return Err("liste de communes vide".into());
            }
            let label = match list.as_slice() {
                [c] => match communes.get(*c) {
                    Some(cm) => format!("commune {c} ({})", cm.name),
                    None => format!("commune {c}"),
                },
                _ => format!("{} communes", list.len()),
            };
            Ok((label, list.clone()))
        }
        ServiceArea::Epci(siren) => {
            if let Some((name, members)) = territory(&format!("epci:{siren}")) {
                return Ok((format!("EPCI {siren} ({name})"), members.to_vec()));
            }
            let members: Vec<InseeCode> = communes
                .all()
                .iter()
                .filter(|c| c.epci.as_deref() == Some(siren.as_str()))
                .map(|c| c.code)
                .collect();
            if members.is_empty() {
                Err(format!(
                    "EPCI {siren} inconnu : aucune commune chargée n'en fait partie"
                ))
            } else {
                Ok((format!("EPCI {siren}"), members))
            }
        }
        ServiceArea::Departement(d) => {
            let members: Vec<InseeCode> = communes
                .all()
                .iter()
                .filter(|c| c.departement == *d)
                .map(|c| c.code)
                .collect();
            if members.is_empty() {
                return Err(format!(
                    "département {d} : aucune commune chargée n'en fait partie"
                ));
            }
            let label = match departements::name(d) {
                Some(n) => format!("département {d} ({n})"),
                None => format!("département {d}"),
            };
            Ok((label, members))
        }
        ServiceArea::Territory(id) => match territory(id) {
            Some((name, members)) => Ok((format!("territoire {name}"), members.to_vec())),
            None => Err(format!(
                "territoire « {id} » inconnu ; la liste est sur /api/territories"
            )),
        },
        ServiceArea::Polygon(g) => {
            if g.0.is_empty() {
                Err("polygone vide".into())
            } else {
                Ok(("zone dessinée".into(), Vec::new()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Commune;
    use geo::polygon;

    fn square(code: &str, name: &str, x0: f64, y0: f64, epci: &str) -> Commune {
        let mut c = Commune::new(code.parse().unwrap(), name);
        c.geometry = MultiPolygon::new(vec![polygon![
            (x: x0, y: y0), (x: x0 + 1.0, y: y0), (x: x0 + 1.0, y: y0 + 1.0), (x: x0, y: y0 + 1.0)
        ]]);
        c.epci = Some(epci.to_string());
        c
    }

    fn communes() -> CommuneIndex {
        CommuneIndex::new(vec![
            square("81001", "Un", 0.0, 40.0, "200000001"),
            square("81002", "Deux", 1.0, 40.0, "200000001"),
            square("81003", "Trois", 2.0, 40.0, "200000002"),
            square("12001", "Aveyron", 3.0, 40.0, "200000002"),
        ])
    }

    fn input(actor: u32, area: &str) -> AreaInput {
        AreaInput {
            actor,
            area: area.parse().unwrap(),
            origin: AreaOrigin::File {
                file: "zones.csv".into(),
                line: 2,
            },
        }
    }

    fn code(s: &str) -> InseeCode {
        s.parse().unwrap()
    }

    #[test]
    fn resolves_each_form() {
        let c = communes();
        let terr = [code("81001"), code("12001")];
        let inputs = vec![
            input(1, "communes:81002"),
            input(2, "epci:200000001"),
            input(3, "departement:81"),
            input(4, "territoire:cpts:x"),
            input(5, "epci:200000009"),
            input(6, "departement:75"),
            input(7, "territoire:nope"),
        ];
        let (idx, errors) = AreaIndex::build(inputs, &c, |id| {
            (id == "cpts:x").then_some(("CPTS X", &terr[..]))
        });
        assert_eq!(
            errors.iter().map(|(i, _)| i.actor).collect::<Vec<_>>(),
            vec![5, 6, 7]
        );
        assert!(errors[0].1.contains("EPCI 200000009 inconnu"));
        assert_eq!(
            idx.get(2).unwrap().communes(),
            vec![code("81001"), code("81002")]
        );
        assert_eq!(idx.get(3).unwrap().communes().len(), 3);
        assert_eq!(
            idx.get(4).unwrap().communes(),
            vec![code("12001"), code("81001")]
        );

        let at = |c: &str| {
            idx.competent(None, Some(code(c)), |_| true)
                .into_iter()
                .map(|(a, _)| a)
                .collect::<Vec<_>>()
        };
        assert_eq!(at("81001"), vec![2, 3, 4]);
        assert_eq!(at("81002"), vec![1, 2, 3]);
        assert_eq!(at("81003"), vec![3]);
        assert_eq!(at("12001"), vec![4]);
        let reasons = idx.competent(None, Some(code("81002")), |a| a == 2);
        assert_eq!(reasons[0].1, "zone d'intervention : EPCI 200000001");
    }

    #[test]
    fn polygons_are_tested_exactly() {
        let c = communes();
        // A triangle: its bounding box covers (0.9, 40.9) but the triangle does not.
        let tri = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 40.0), (x: 1.0, y: 40.0), (x: 0.0, y: 41.0)
        ]]);
        let inputs = vec![AreaInput {
            actor: 9,
            area: ServiceArea::Polygon(tri),
            origin: AreaOrigin::File {
                file: "zones.geojson".into(),
                line: 3,
            },
        }];
        let (idx, errors) = AreaIndex::build(inputs, &c, |_| None);
        assert!(errors.is_empty());
        let inside = idx.competent(Some(LonLat::new(0.2, 40.2)), None, |_| true);
        assert_eq!(inside.len(), 1);
        assert_eq!(inside[0].1, "zone d'intervention : zone dessinée");
        assert!(idx
            .competent(Some(LonLat::new(0.9, 40.9)), None, |_| true)
            .is_empty());
        assert!(idx
            .competent(Some(LonLat::new(0.2, 40.2)), None, |a| a != 9)
            .is_empty());
    }

    #[test]
    fn town_halls_of_one_commune_share_their_area_and_answer_each() {
        let c = communes();
        let communal = |actor: u32, code: &str| AreaInput {
            actor,
            area: ServiceArea::Communes(vec![code.parse().unwrap()]),
            origin: AreaOrigin::Communal,
        };
        let inputs = vec![
            communal(4, "81001"),
            communal(1, "81001"),
            communal(2, "81002"),
            // A declared area is never shared, even when it is the same commune.
            input(3, "communes:81001"),
            // Nor is a communal area with another part.
            communal(5, "81001"),
            input(5, "communes:81002"),
        ];
        let (idx, errors) = AreaIndex::build(inputs, &c, |_| None);
        assert!(errors.is_empty());
        assert_eq!(idx.len(), 5);
        assert_eq!(idx.distinct.len(), 4);
        let (one, four) = (idx.get(1).unwrap(), idx.get(4).unwrap());
        assert!(std::ptr::eq(one, four));
        assert!(!std::ptr::eq(one, idx.get(3).unwrap()));
        assert_eq!(one.parts.len(), 1);
        assert_eq!(one.parts[0].label, "commune 81001 (Un)");
        assert_eq!(one.parts[0].origin, AreaOrigin::Communal);
        assert_eq!(idx.get(2).unwrap().communes(), vec![code("81002")]);
        assert_eq!(idx.get(5).unwrap().parts.len(), 2);
        let at = idx.competent(None, Some(code("81001")), |_| true);
        assert_eq!(
            at,
            vec![
                (1, "compétence communale : commune 81001 (Un)".to_string()),
                (3, "zone d'intervention : commune 81001 (Un)".to_string()),
                (4, "compétence communale : commune 81001 (Un)".to_string()),
                (5, "compétence communale : commune 81001 (Un)".to_string()),
            ]
        );
    }

    #[test]
    fn several_parts_union_and_commune_reason_first() {
        let c = communes();
        let sq = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 40.0), (x: 1.0, y: 40.0), (x: 1.0, y: 41.0), (x: 0.0, y: 41.0)
        ]]);
        let inputs = vec![
            AreaInput {
                actor: 3,
                area: ServiceArea::Polygon(sq),
                origin: AreaOrigin::Communal,
            },
            input(3, "communes:81001,81003"),
        ];
        let (idx, _) = AreaIndex::build(inputs, &c, |_| None);
        let r = idx.competent(Some(LonLat::new(0.5, 40.5)), Some(code("81001")), |_| true);
        assert_eq!(r.len(), 1);
        assert_eq!(
            r[0].1,
            "zone d'intervention : commune 81001 (parmi 2 communes)"
        );
        assert!(!idx.get(3).unwrap().outline(&c).0.is_empty());
    }
}
