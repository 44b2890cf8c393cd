//! Linking records of different sources that are the same actor (a pharmacy in FINESS, BPE
//! and the Annuaire Santé; a MSP in FINESS and the CPTS's own file).
//!
//! Rules, in order:
//! 1. **Identifiers**: records sharing a FINESS number (the `finess:<n>` id, or a tag
//!    `finess:<n>`) or a SIRET (tag `siret:<n>`) are linked.
//! 2. **Name, address and distance**: records of the same commune with the same normalised
//!    name ([`normalise::name_key`]) and the same normalised address
//!    ([`normalise::address_key`]), less than [`LINK_M`] apart (or without a precise
//!    position), are linked.
//!
//! Near-misses, for a coordinator to confirm, are pairs of different sources with the same
//! name but a different address or 50–200 m apart, and pairs of the same kind at the same
//! address under different names.
//!
//! [`merge`] keeps one actor per linked group (FINESS first, then Annuaire Santé, BPE, other
//! sources; the CPTS's own `local:` partners are never merged away, only reported), gives it
//! every other record's id as a tag `alias:<id>` — [`crate::index::Directory::find`] finds
//! it by any of them — and fills its empty fields from the others. Nothing is lost: every id
//! still leads to the actor.
//!
//! ```
//! use maillage::dedup::find_duplicates;
//! use maillage::model::{ActorRecord, KindId, LonLat, Precision, SourceId};
//! let mut a = ActorRecord::new("finess:810000001", "PHARMACIE DU CENTRE", KindId(1), SourceId(0));
//! let mut b = ActorRecord::new("bpe:2023:81004:D307:1", "Pharmacie du Centre", KindId(1), SourceId(1));
//! for (r, lon) in [(&mut a, 2.14800), (&mut b, 2.14830)] {
//!     r.commune = Some("81004".parse().unwrap());
//!     r.address.number = Some("3".into());
//!     r.address.street = Some("PL DU VIGAN".into());
//!     r.position = Some(LonLat::new(lon, 43.9289));
//!     r.precision = Precision::Address;
//! }
//! let report = find_duplicates(&[a, b]);
//! assert_eq!(report.links.len(), 1);
//! assert_eq!(report.links[0].primary, "finess:810000001");
//! ```

pub mod normalise;

use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;

/// Hash maps keyed by ids and names, with a fast non-cryptographic hasher (loading millions
/// of records spends much of its time hashing).
type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

use serde::Serialize;

use crate::model::{haversine_m, ActorRecord, Precision};
use crate::sources::Dataset;

/// Prefix of the tags carrying a merged record's other ids.
pub const ALIAS_PREFIX: &str = "alias:";

/// Records closer than this (with the same name and address) are the same actor.
pub const LINK_M: f64 = 50.0;

/// Same-name records closer than this, but not linked, are near-misses.
pub const NEAR_M: f64 = 200.0;

/// Why two records were linked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// The record kept.
    pub primary: String,
    /// The record linked to it.
    pub other: String,
    /// French explanation (`même numéro FINESS 810000505`).
    pub reason: String,
    /// Metres between the two, when both are precisely placed.
    pub distance_m: Option<f64>,
    /// False when the link is only reported (a `local:` partner is never merged away).
    pub merged: bool,
}

/// A pair that may be the same actor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearMiss {
    pub a: String,
    pub b: String,
    pub reason: String,
    pub distance_m: Option<f64>,
}

/// Links and near-misses of a dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DedupReport {
    pub links: Vec<Link>,
    pub near_misses: Vec<NearMiss>,
}

/// Source family of an id: the part before the first `:` (`finess`, `rpps`, `bpe`, `local`).
fn family(id: &str) -> &str {
    id.split(':').next().unwrap_or(id)
}

fn family_rank(id: &str) -> u8 {
    match family(id) {
        "finess" => 0,
        "rpps" => 1,
        "bpe" => 2,
        "local" => 9,
        _ => 3,
    }
}

/// Identifiers a record carries: its FINESS id, and `finess:`/`siret:` tags (digits only).
fn identifiers(r: &ActorRecord) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = r.id.strip_prefix("finess:") {
        out.push(format!("finess:{n}"));
    }
    for t in &r.tags {
        for p in ["finess:", "siret:"] {
            if let Some(v) = t.strip_prefix(p) {
                let v: String = v.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                if !v.is_empty() {
                    out.push(format!("{p}{}", v.to_ascii_uppercase()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn precise(r: &ActorRecord) -> bool {
    r.position.is_some() && matches!(r.precision, Precision::Address | Precision::Street)
}

fn distance(a: &ActorRecord, b: &ActorRecord) -> Option<f64> {
    match (a.position, b.position) {
        (Some(p), Some(q)) if precise(a) && precise(b) => Some(haversine_m(p, q)),
        _ => None,
    }
}

/// Place key: commune code, else postcode.
fn place(r: &ActorRecord) -> Option<&str> {
    r.commune
        .as_ref()
        .map(|c| c.as_str())
        .or(r.address.postcode.as_deref())
        .filter(|s| !s.is_empty())
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut i = i;
        while self.0[i] != r {
            let next = self.0[i];
            self.0[i] = r;
            i = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Finds links and near-misses among records (records of the same source family are never
/// linked together). Pure: nothing is changed.
pub fn find_duplicates(actors: &[ActorRecord]) -> DedupReport {
    find(actors, true)
}

/// Like [`find_duplicates`], but without the near-misses: what loading needs to merge
/// records, without the cost of listing every case to confirm (`maillage doublons` does).
pub fn find_links(actors: &[ActorRecord]) -> DedupReport {
    find(actors, false)
}

/// What records are matched on.
struct Keys<'a> {
    idents: Vec<String>,
    place: Option<&'a str>,
    /// Normalised name and address; left empty when only links are searched (see `link`).
    name: String,
    address: String,
    /// When only links are searched: the hash of (place, name, address) of a record that has
    /// all three, the keys themselves not kept (millions of strings).
    link: Option<u64>,
}

/// The normalised name and address of a record, written into `name` and `address`.
fn name_and_address(
    r: &ActorRecord,
    scratch: &mut normalise::Scratch,
    name: &mut String,
    address: &mut String,
) {
    name.clear();
    address.clear();
    normalise::name_key_into(&r.name, scratch, name);
    let (number, street) = (r.address.number.as_deref(), r.address.street.as_deref());
    normalise::address_key_into(number, street, scratch, address);
}

/// The groups of records of the same place, name and address (at least two records each,
/// increasing), from their `link` hashes: equal hashes are split by the keys themselves,
/// computed again for those records only.
fn link_groups(actors: &[ActorRecord], keys: &[Keys]) -> Vec<Vec<usize>> {
    let mut hashed: Vec<(u64, usize)> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.link.map(|h| (h, i)))
        .collect();
    hashed.sort_unstable();
    let mut scratch = normalise::Scratch::default();
    let mut groups = Vec::new();
    for run in hashed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        type Key<'a> = (&'a str, String, String);
        let mut by_key: Vec<(Key, Vec<usize>)> = Vec::new();
        for &(_, i) in run {
            let (mut name, mut address) = (String::new(), String::new());
            name_and_address(&actors[i], &mut scratch, &mut name, &mut address);
            let key = (keys[i].place.unwrap_or(""), name, address);
            match by_key.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => by_key.push((key, vec![i])),
            }
        }
        groups.extend(by_key.into_iter().map(|(_, m)| m).filter(|m| m.len() > 1));
    }
    groups
}

/// `f` over every record, split across the available cores, each with its own `S` (reused
/// buffers); results in record order.
fn par_map<'a, S: Default, T: Send>(
    actors: &'a [ActorRecord],
    f: impl Fn(&mut S, &'a ActorRecord) -> T + Sync,
) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = actors.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = actors
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    let mut state = S::default();
                    c.iter().map(|r| f(&mut state, r)).collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("key thread"))
            .collect()
    })
}

/// The keys held by several records, each with its records in increasing order; sorted by key.
///
/// Records are grouped by sorting 64-bit hashes of their keys rather than by a map of lists:
/// with millions of records nearly every key is unique, and a list per key would cost millions
/// of allocations. Equal hashes are then split by the keys themselves.
fn shared_keys<K: Ord + std::hash::Hash + Copy>(
    items: impl Iterator<Item = (usize, K)>,
) -> Vec<(K, Vec<usize>)> {
    use std::hash::BuildHasher;
    let hasher = BuildHasherDefault::<FxHasher>::default();
    let mut hashed: Vec<(u64, usize, K)> = items.map(|(i, k)| (hasher.hash_one(k), i, k)).collect();
    hashed.sort_unstable_by_key(|h| (h.0, h.1));
    let mut out: Vec<(K, Vec<usize>)> = Vec::new();
    for run in hashed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let mut by_key: Vec<(K, Vec<usize>)> = Vec::new();
        for &(_, i, k) in run {
            match by_key.iter_mut().find(|(key, _)| *key == k) {
                Some((_, members)) => members.push(i),
                None => by_key.push((k, vec![i])),
            }
        }
        out.extend(by_key.into_iter().filter(|(_, m)| m.len() > 1));
    }
    out.sort_unstable();
    out
}

fn find(actors: &[ActorRecord], with_near_misses: bool) -> DedupReport {
    let mut pairs: Vec<(usize, usize, String, Option<f64>)> = Vec::new();
    let mut near = Vec::new();
    let mut linked: std::collections::HashSet<(usize, usize)> = Default::default();

    // Per-record keys, computed on every core (the costly part at national scale).
    type Scratch = (normalise::Scratch, String, String);
    let keys: Vec<Keys> = par_map(actors, |(scratch, name, address): &mut Scratch, r| {
        use std::hash::BuildHasher;
        name_and_address(r, scratch, name, address);
        let place = place(r);
        let (name, address, link) = if with_near_misses {
            (name.clone(), address.clone(), None)
        } else {
            // Hashed as `shared_keys` hashes a (place, name, address) key.
            let link = place
                .filter(|_| !name.is_empty() && !address.is_empty())
                .map(|p| {
                    BuildHasherDefault::<FxHasher>::default().hash_one((
                        p,
                        name.as_str(),
                        address.as_str(),
                    ))
                });
            (String::new(), String::new(), link)
        };
        Keys {
            idents: identifiers(r),
            place,
            name,
            address,
            link,
        }
    });

    tracing::debug!("clés de doublons calculées");
    // 1. Shared identifiers.
    let by_ident = shared_keys(
        keys.iter()
            .enumerate()
            .flat_map(|(i, k)| k.idents.iter().map(move |id| (i, id.as_str()))),
    );
    for (ident, members) in by_ident {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if family(&actors[i].id) == family(&actors[j].id) || !linked.insert((i, j)) {
                    continue;
                }
                let (kind, n) = ident.split_once(':').unwrap_or(("", ident));
                let what = if kind == "siret" {
                    "SIRET"
                } else {
                    "numéro FINESS"
                };
                pairs.push((
                    i,
                    j,
                    format!("même {what} {n}"),
                    distance(&actors[i], &actors[j]),
                ));
            }
        }
    }

    tracing::debug!("liens par identifiant trouvés");
    // 2. Same place and name. A link needs the same address too, so without near-misses the
    // groups are (place, name, address): a common name (a BPE point named after its type, many
    // in one city) would otherwise cost every pair of the city's records.
    let mut groups: Vec<Vec<usize>> = if with_near_misses {
        shared_keys(keys.iter().enumerate().filter_map(|(i, k)| {
            let p = k.place?;
            (!k.name.is_empty()).then_some((i, (p, k.name.as_str())))
        }))
        .into_iter()
        .map(|(_, m)| m)
        .collect()
    } else {
        link_groups(actors, &keys)
    };
    groups.sort();
    for members in groups {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let (a, b) = (&actors[i], &actors[j]);
                if family(&a.id) == family(&b.id) || linked.contains(&(i, j)) {
                    continue;
                }
                let d = distance(a, b);
                // Without near-misses, a group shares one address.
                let same_addr = !with_near_misses
                    || (!keys[i].address.is_empty() && keys[i].address == keys[j].address);
                let close = d.is_none_or(|d| d < LINK_M);
                if same_addr && close {
                    linked.insert((i, j));
                    pairs.push((i, j, "même nom et même adresse".into(), d));
                } else if !with_near_misses {
                    continue;
                } else if same_addr {
                    near.push(near_miss(
                        a,
                        b,
                        "même nom et même adresse, positions éloignées",
                        d,
                    ));
                } else if d.is_some_and(|d| d < NEAR_M) {
                    near.push(near_miss(a, b, "même nom, adresses différentes", d));
                } else if d.is_none() {
                    near.push(near_miss(
                        a,
                        b,
                        "même nom dans la même commune, adresses différentes",
                        d,
                    ));
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = if with_near_misses {
        // Only addresses with a number: a bare street is shared by many.
        shared_keys(keys.iter().enumerate().filter_map(|(i, k)| {
            let p = k.place?;
            let a = k.address.as_str();
            a.starts_with(|c: char| c.is_ascii_digit())
                .then_some((i, (p, a)))
        }))
        .into_iter()
        .map(|(_, m)| m)
        .collect()
    } else {
        Vec::new()
    };
    groups.sort();
    for members in groups {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let (a, b) = (&actors[i], &actors[j]);
                if family(&a.id) == family(&b.id)
                    || a.kind != b.kind
                    || keys[i].name == keys[j].name
                    || linked.contains(&(i, j))
                {
                    continue;
                }
                near.push(near_miss(
                    a,
                    b,
                    "même type à la même adresse, noms différents",
                    distance(a, b),
                ));
            }
        }
    }

    // Clusters: one primary per group.
    let mut uf = UnionFind((0..actors.len()).collect());
    for (i, j, _, _) in &pairs {
        if !is_local(&actors[*i]) && !is_local(&actors[*j]) {
            uf.union(*i, *j);
        }
    }
    let mut best: HashMap<usize, usize> = HashMap::default();
    // Only records in a pair can be in a group of more than one.
    let mut members: Vec<usize> = pairs.iter().flat_map(|p| [p.0, p.1]).collect();
    members.sort_unstable();
    members.dedup();
    for i in members {
        let r = &actors[i];
        let root = uf.find(i);
        let e = best.entry(root).or_insert(i);
        let cur = &actors[*e];
        if (family_rank(&r.id), r.id.as_str()) < (family_rank(&cur.id), cur.id.as_str()) {
            *e = i;
        }
    }
    let mut links = Vec::new();
    for (i, j, reason, d) in pairs {
        let local = is_local(&actors[i]) || is_local(&actors[j]);
        let (p, o) = if local {
            // Reported only: the official record first.
            if family_rank(&actors[i].id) <= family_rank(&actors[j].id) {
                (i, j)
            } else {
                (j, i)
            }
        } else {
            let p = best[&uf.find(i)];
            (p, if p == i { j } else { i })
        };
        links.push(Link {
            primary: actors[p].id.clone(),
            other: actors[o].id.clone(),
            reason,
            distance_m: d,
            merged: !local,
        });
    }
    // Transitive members reached through another one are linked to the primary too.
    links.sort_by(|a, b| (&a.primary, &a.other).cmp(&(&b.primary, &b.other)));
    links.dedup_by(|b, a| a.primary == b.primary && a.other == b.other);
    near.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    DedupReport {
        links,
        near_misses: near,
    }
}

fn is_local(r: &ActorRecord) -> bool {
    r.id.starts_with("local:")
}

fn near_miss(a: &ActorRecord, b: &ActorRecord, reason: &str, d: Option<f64>) -> NearMiss {
    let (a, b) = if (family_rank(&a.id), &a.id) <= (family_rank(&b.id), &b.id) {
        (a, b)
    } else {
        (b, a)
    };
    NearMiss {
        a: a.id.clone(),
        b: b.id.clone(),
        reason: reason.to_string(),
        distance_m: d,
    }
}

/// Finds duplicates and merges the linked records of `ds` (see the module documentation).
/// Returns the report; the kept records' files get a note counting the merges.
pub fn merge(ds: &mut Dataset) -> DedupReport {
    let t = std::time::Instant::now();
    let report = find_links(&ds.actors);
    tracing::debug!("liens trouvés en {:.2} s", t.elapsed().as_secs_f64());
    // Positions of the linked records only (a few among millions).
    let wanted: HashSet<&str> = report
        .links
        .iter()
        .filter(|l| l.merged)
        .flat_map(|l| [l.primary.as_str(), l.other.as_str()])
        .collect();
    let index: HashMap<String, usize> = ds
        .actors
        .iter()
        .enumerate()
        .filter(|(_, r)| wanted.contains(r.id.as_str()))
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    // primary index → merged indexes
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::default();
    let mut absorbed = vec![false; ds.actors.len()];
    for l in report.links.iter().filter(|l| l.merged) {
        let (Some(&p), Some(&o)) = (index.get(&l.primary), index.get(&l.other)) else {
            continue;
        };
        if !std::mem::replace(&mut absorbed[o], true) {
            groups.entry(p).or_default().push(o);
        }
    }
    let mut notes: HashMap<u16, usize> = HashMap::default();
    let mut keys: Vec<usize> = groups.keys().copied().collect();
    keys.sort_unstable();
    for p in keys {
        let others = groups[&p].clone();
        for o in others {
            let other = ds.actors[o].clone();
            let prim = &mut ds.actors[p];
            prim.tags.push(format!("{ALIAS_PREFIX}{}", other.id));
            for t in &other.tags {
                if t.starts_with(ALIAS_PREFIX) && !prim.tags.contains(t) {
                    prim.tags.push(t.clone());
                }
            }
            fill(&mut prim.phone, &other.phone);
            fill(&mut prim.email, &other.email);
            fill(&mut prim.website, &other.website);
            fill(&mut prim.hours, &other.hours);
            if prim.capacity.is_none() {
                prim.capacity = other.capacity;
            }
            if prim.commune.is_none() {
                prim.commune = other.commune;
            }
            if other.position.is_some()
                && (prim.position.is_none() || other.precision < prim.precision)
            {
                prim.position = other.position;
                prim.precision = other.precision;
            }
            *notes.entry(prim.source.0).or_default() += 1;
        }
    }
    let mut i = 0;
    ds.actors.retain(|_| {
        let keep = !absorbed[i];
        i += 1;
        keep
    });
    for (source, n) in notes {
        if let Some(r) = ds.reports.get_mut(source as usize) {
            r.notes.push(format!(
                "{n} fiche(s) d'autres sources fusionnée(s) avec des acteurs de ce fichier \
                 (mêmes identifiants, ou même nom et même adresse) ; voir « maillage doublons »"
            ));
        }
    }
    report
}

fn fill(into: &mut Option<String>, from: &Option<String>) {
    if into.as_deref().is_none_or(str::is_empty) {
        if let Some(v) = from.as_deref().filter(|v| !v.is_empty()) {
            *into = Some(v.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KindId, LonLat, SourceId};
    use proptest::prelude::*;

    /// Records drawn from small vocabularies, so that names, addresses, communes, identifiers
    /// and positions collide often, across and within source families.
    fn records() -> impl Strategy<Value = Vec<ActorRecord>> {
        let one = (
            0usize..4,
            0usize..4,
            0usize..3,
            0usize..3,
            0u32..60,
            prop::option::of(0usize..3),
        );
        proptest::collection::vec(one, 1..60).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (fam, name, addr, commune, jitter, siret))| {
                    let family = ["finess", "rpps", "bpe", "local"][fam];
                    let mut r = ActorRecord::new(
                        format!("{family}:{i}"),
                        [
                            "Pharmacie du Centre",
                            "PHARMACIE DU CENTRE",
                            "Cabinet Martin",
                            "EHPAD Les Tilleuls",
                        ][name],
                        KindId(0),
                        SourceId(fam as u16),
                    );
                    r.address.number = Some(["12", "12", "3"][addr].into());
                    r.address.street =
                        Some(["AV DE LA GARE", "avenue de la Gare", "RUE HAUTE"][addr].into());
                    r.commune = Some(["81004", "81060", "81099"][commune].parse().unwrap());
                    r.position = Some(LonLat::new(2.15 + jitter as f64 * 1e-5, 43.93));
                    r.precision = Precision::Address;
                    if let Some(s) = siret {
                        r.tags.push(format!("siret:7750{s}"));
                    }
                    r
                })
                .collect()
        })
    }

    /// Records whose (place, name, address) hashes are equal are grouped by the keys
    /// themselves: a collision of different keys makes no group.
    #[test]
    fn equal_link_hashes_are_split_by_their_keys() {
        let actors: Vec<ActorRecord> = [
            ("Pharmacie du Centre", "12 AV DE LA GARE", "81004"),
            ("PHARMACIE DU CENTRE", "12 avenue de la Gare", "81004"),
            ("Pharmacie du Centre", "3 RUE HAUTE", "81004"),
            ("Pharmacie du Centre", "12 AV DE LA GARE", "81060"),
            ("Cabinet Martin", "3 RUE HAUTE", "81004"),
            ("Cabinet Martin", "3 rue Haute", "81004"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (name, street, commune))| {
            let mut r = ActorRecord::new(format!("x:{i}"), *name, KindId(0), SourceId(0));
            r.address.street = Some(street.to_string());
            r.commune = Some(commune.parse().unwrap());
            r
        })
        .collect();
        let keys: Vec<Keys> = actors
            .iter()
            .map(|r| Keys {
                idents: Vec::new(),
                place: place(r),
                name: String::new(),
                address: String::new(),
                link: Some(7),
            })
            .collect();
        let mut groups = link_groups(&actors, &keys);
        groups.sort();
        assert_eq!(groups, [vec![0, 1], vec![4, 5]]);
    }

    proptest! {
        /// Loading groups by (place, name, address) to stay fast; `maillage doublons` groups by
        /// (place, name) to list near-misses too. Both must find exactly the same links.
        #[test]
        fn links_do_not_depend_on_the_near_miss_listing(actors in records()) {
            let fast = find_links(&actors);
            let full = find_duplicates(&actors);
            prop_assert_eq!(fast.links, full.links);
            prop_assert!(fast.near_misses.is_empty());
        }
    }
}
