//! Partner fields and their validation.
//!
//! A partner has the fields of [`crate::model::partner_field::PARTNER_FIELDS`]: the columns of
//! the partner CSV (`docs/partenaires.md`) plus two private fields kept only in the store:
//! `ligne_directe` and `notes_internes`. Validation runs the partner importer's row checks
//! ([`crate::sources::partners::parse_partner`]) on the fields directly, so a JSON body and a
//! CSV line are checked by the same rules, then adds what needs the loaded data: postcode ↔
//! commune consistency and communes unknown in a loaded département.
//!
//! ```
//! use maillage::model::KindTable;
//! use maillage::store::partner::{RawPartner, Validator};
//! let v = Validator::new(KindTable::builtin(), &[]);
//! let raw = RawPartner::from_json(&serde_json::json!({
//!     "nom": "DAC du Tarn", "type": "dac", "code_insee": "81004",
//!     "telephone": "+33 5 63 12 34 56", "ligne_directe": "0612345678", "membre_cpts": true
//! })).unwrap();
//! let ok = v.validate(&raw).unwrap();
//! assert_eq!(ok.id, "local:dac-du-tarn-81004");
//! assert_eq!(ok.fields.telephone.as_deref(), Some("05 63 12 34 56"));
//! assert_eq!(ok.fields.ligne_directe.as_deref(), Some("06 12 34 56 78"));
//! assert!(ok.fields.membre_cpts);
//!
//! let bad = RawPartner::from_json(&serde_json::json!({"nom": "X", "type": "dac",
//!     "code_insee": "81004", "email": "pas une adresse"})).unwrap();
//! let err = v.validate(&bad).unwrap_err();
//! assert_eq!(err.champ, "email");
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::partner_field::{field, Cell, Check, PartnerField, PARTNER_FIELDS};
use crate::model::place::PlaceResolver;
use crate::model::{ActorRecord, Commune, InseeCode, KindTable, LonLat, Precision, SourceId};
use crate::sources::partners::{self as csv_partners, KindLookup, MEMBER_TAG};

pub use crate::model::partner_field::{is_private, split_tags, FieldError};

/// The fields of a stored partner after its id, in column order (private ones last).
pub(crate) fn value_fields() -> impl Iterator<Item = &'static PartnerField> {
    PARTNER_FIELDS.iter().filter(|f| f.check != Check::Id)
}

/// A partner's fields once validated and normalised (what the store keeps).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PartnerFields {
    pub nom: String,
    /// Kind id (`dac`, `ssiad`…).
    #[serde(rename = "type")]
    pub kind: String,
    pub adresse: Option<String>,
    pub code_postal: Option<String>,
    pub commune: Option<String>,
    pub code_insee: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub telephone: Option<String>,
    pub email: Option<String>,
    pub site: Option<String>,
    pub horaires: Option<String>,
    pub capacite: Option<u32>,
    pub membre_cpts: bool,
    pub role: Option<String>,
    pub etiquettes: Vec<String>,
    pub zone_intervention: Option<String>,
    pub notes: Option<String>,
    pub ligne_directe: Option<String>,
    pub notes_internes: Option<String>,
}

impl PartnerFields {
    /// The text of one field as written in a CSV cell (`""` when empty).
    ///
    /// ```
    /// use maillage::store::PartnerFields;
    /// let f = PartnerFields { membre_cpts: true, etiquettes: vec!["a".into(), "b".into()],
    ///     ..Default::default() };
    /// assert_eq!(f.text("membre_cpts"), "oui");
    /// assert_eq!(f.text("etiquettes"), "a|b");
    /// assert_eq!(f.text("telephone"), "");
    /// ```
    pub fn text(&self, field: &str) -> String {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        match field {
            "nom" => self.nom.clone(),
            "type" => self.kind.clone(),
            "adresse" => s(&self.adresse),
            "code_postal" => s(&self.code_postal),
            "commune" => s(&self.commune),
            "code_insee" => s(&self.code_insee),
            "latitude" => self.latitude.map(|v| v.to_string()).unwrap_or_default(),
            "longitude" => self.longitude.map(|v| v.to_string()).unwrap_or_default(),
            "telephone" => s(&self.telephone),
            "email" => s(&self.email),
            "site" => s(&self.site),
            "horaires" => s(&self.horaires),
            "capacite" => self.capacite.map(|v| v.to_string()).unwrap_or_default(),
            "membre_cpts" => if self.membre_cpts { "oui" } else { "non" }.to_string(),
            "role" => s(&self.role),
            "etiquettes" => {
                crate::model::partner_field::join_tags(self.etiquettes.iter().map(String::as_str))
            }
            "zone_intervention" => s(&self.zone_intervention),
            "notes" => s(&self.notes),
            "ligne_directe" => s(&self.ligne_directe),
            "notes_internes" => s(&self.notes_internes),
            _ => String::new(),
        }
    }

    /// The raw form of these fields, under the id `id` (`local:…` or bare).
    pub fn to_raw(&self, id: &str) -> RawPartner {
        let mut raw = RawPartner::default();
        raw.set("identifiant", id.strip_prefix("local:").unwrap_or(id));
        for f in value_fields() {
            raw.set(f.name, &self.text(f.name));
        }
        raw
    }

    /// Names of the fields whose values differ, in column order.
    pub fn changed_fields(&self, other: &PartnerFields) -> Vec<&'static str> {
        value_fields()
            .filter(|f| self.text(f.name) != other.text(f.name))
            .map(|f| f.name)
            .collect()
    }

    /// The fields as a JSON object with French names; private fields only when `private`.
    pub fn to_json(&self, private: bool) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            if !private {
                for f in PARTNER_FIELDS.iter().filter(|f| f.private) {
                    o.remove(f.name);
                }
            }
        }
        v
    }
}

/// Unvalidated partner fields, as text, keyed by canonical column name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPartner(BTreeMap<&'static str, String>);

fn canonical(name: &str) -> Option<&'static str> {
    field(name).map(|f| f.name)
}

impl RawPartner {
    /// Sets a field (ignored when `field` is not a partner field).
    pub fn set(&mut self, field: &str, value: &str) {
        if let Some(f) = canonical(field) {
            self.0.insert(f, value.to_string());
        }
    }

    /// The value of a field, `""` when absent.
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    /// Was this field given?
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Fields given, in name order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Overwrites the fields given in `patch` (JSON merge of a PATCH).
    pub fn merge(&mut self, patch: &RawPartner) {
        for (k, v) in &patch.0 {
            self.0.insert(k, v.clone());
        }
    }

    /// Reads a JSON object with French field names. Values may be strings, numbers, booleans
    /// or `null`; `etiquettes` may also be an array of strings. Unknown names are refused.
    pub fn from_json(v: &serde_json::Value) -> Result<RawPartner, FieldError> {
        let obj = v.as_object().ok_or_else(|| {
            FieldError::new(
                "corps",
                "un objet JSON avec les champs du partenaire (nom, type, code_insee…)",
                short_json(v),
            )
        })?;
        let mut raw = RawPartner::default();
        for (k, val) in obj {
            // `id` is the answer's name for the identifier: accepted back.
            let name = if k == "id" { "identifiant" } else { k.as_str() };
            let Some(field) = canonical(name) else {
                return Err(FieldError::new(
                    k.as_str(),
                    format!(
                        "un des champs : {}",
                        PARTNER_FIELDS
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "un champ inconnu",
                ));
            };
            let text = match val {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if *b { "oui" } else { "non" }.to_string(),
                serde_json::Value::Array(items) if field == "etiquettes" => {
                    let mut parts = Vec::with_capacity(items.len());
                    for it in items {
                        match it.as_str() {
                            Some(s) => parts.push(s.to_string()),
                            None => {
                                return Err(FieldError::new(
                                    field,
                                    "une liste de textes",
                                    short_json(val),
                                ))
                            }
                        }
                    }
                    parts.join("|")
                }
                _ => {
                    return Err(FieldError::new(
                        field,
                        "un texte, un nombre, un booléen ou null",
                        short_json(val),
                    ))
                }
            };
            raw.0.insert(field, text);
        }
        Ok(raw)
    }
}

fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        s.chars().take(57).collect::<String>() + "…"
    } else {
        s
    }
}

/// A validated partner: its id (`local:…`) and normalised fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub id: String,
    pub fields: PartnerFields,
}

/// What validation needs to know of a loaded commune.
#[derive(Debug, Clone)]
struct CommuneInfo {
    name: String,
    postcodes: Vec<String>,
    centroid: Option<LonLat>,
}

/// Validates partner fields against the kinds and communes of the loaded data.
#[derive(Debug, Clone)]
pub struct Validator {
    kinds: KindTable,
    lookup: KindLookup,
    communes: HashMap<InseeCode, CommuneInfo>,
    departements: HashSet<String>,
    /// Communes by code, former code, name and postcode.
    places: PlaceResolver,
}

/// Département of a postcode: `81600` → `81`, `20000` → Corsica, `97300` → `973`.
fn postcode_departement(p: &str) -> &str {
    if p.starts_with("97") || p.starts_with("98") {
        &p[..3.min(p.len())]
    } else {
        &p[..2.min(p.len())]
    }
}

/// The checked text of a text field of `raw` (`None` when empty).
fn checked_text(raw: &RawPartner, name: &'static str) -> Result<Option<String>, FieldError> {
    let value = raw.get(name);
    let check = field(name).map_or(Check::Text, |f| f.check);
    let c = check
        .check(value)
        .map_err(|attendu| FieldError::new(name, attendu, value))?;
    Ok(c.cell.into_text())
}

impl Validator {
    /// A validator for these kinds and loaded communes.
    pub fn new(kinds: KindTable, communes: &[Commune]) -> Validator {
        Validator {
            communes: communes
                .iter()
                .map(|c| {
                    (
                        c.code,
                        CommuneInfo {
                            name: c.name.clone(),
                            postcodes: c.postcodes.clone(),
                            centroid: c.centroid(),
                        },
                    )
                })
                .collect(),
            departements: communes.iter().map(|c| c.departement.clone()).collect(),
            lookup: KindLookup::new(&kinds),
            places: PlaceResolver::new(communes, &[]),
            kinds,
        }
    }

    /// The validator of the partners of `dir`: its kinds, its communes and its place
    /// resolver (which also knows former commune codes and names). The server and the
    /// `partenaires` command both validate with it.
    pub fn for_directory(dir: &crate::index::Directory) -> Validator {
        Validator {
            places: dir.places().clone(),
            ..Validator::new(dir.kinds().clone(), dir.communes().all())
        }
    }

    /// The commune of a partner: its `code_insee` (a former code gives the commune it was
    /// merged into), else, without coordinates, the one commune its `code_postal` and
    /// `commune` designate.
    fn commune_of(&self, record: &ActorRecord) -> Result<Option<InseeCode>, FieldError> {
        if let Some(code) = record.commune {
            return Ok(Some(
                self.places.code(code.as_str()).map_or(code, |c| c.code),
            ));
        }
        let postcode = record.address.postcode.as_deref().unwrap_or("");
        let city = record.address.city.as_deref().unwrap_or("");
        if record.position.is_some() || (postcode.is_empty() && city.is_empty()) {
            return Ok(None);
        }
        let found = self.places.resolve(&format!("{postcode} {city}"));
        match found.as_slice() {
            [one] => Ok(Some(one.code)),
            [] => Err(FieldError::new(
                if city.is_empty() {
                    "code_postal"
                } else {
                    "commune"
                },
                "une commune des données chargées (nom ou code postal), ou un code_insee",
                format!("{postcode} {city}").trim(),
            )),
            many => {
                let names: Vec<String> = many
                    .iter()
                    .take(8)
                    .map(|c| {
                        let name = self.communes.get(&c.code).map_or("", |i| i.name.as_str());
                        format!("{name} ({})", c.code)
                    })
                    .collect();
                Err(FieldError::new(
                    "code_insee",
                    format!(
                        "un code INSEE ou un nom de commune : plusieurs communes correspondent ({}{}), précisez",
                        names.join(", "),
                        if many.len() > 8 { ", …" } else { "" }
                    ),
                    format!("{postcode} {city}").trim(),
                ))
            }
        }
    }

    pub fn kinds(&self) -> &KindTable {
        &self.kinds
    }

    /// Validates and normalises a partner: the partner importer's checks on the fields
    /// themselves (no CSV in between), then those needing the loaded data.
    pub fn validate(&self, raw: &RawPartner) -> Result<Validated, FieldError> {
        let record = csv_partners::parse_partner(&|f| raw.get(f), &self.lookup)?;
        self.complete(record, raw)
    }

    /// Builds the normalised fields from the importer's record and the raw values, then runs
    /// the checks that need the loaded data.
    pub(crate) fn complete(
        &self,
        record: ActorRecord,
        raw: &RawPartner,
    ) -> Result<Validated, FieldError> {
        let address: Vec<&str> = [
            record.address.number.as_deref(),
            record.address.street.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let membre = field("membre_cpts").map_or(Check::YesNo, |f| f.check);
        let membre_cpts = matches!(
            membre.check(raw.get("membre_cpts")).map(|c| c.cell),
            Ok(Cell::YesNo(true))
        );
        let commune = self.commune_of(&record)?;
        let fields = PartnerFields {
            nom: record.name.clone(),
            kind: self.kinds.get(record.kind).id.clone(),
            adresse: (!address.is_empty()).then(|| address.join(" ")),
            code_postal: record.address.postcode.clone(),
            commune: record.address.city.clone(),
            code_insee: commune.map(|c| c.to_string()),
            latitude: record.position.map(|p| p.lat),
            longitude: record.position.map(|p| p.lon),
            telephone: record.phone.clone(),
            email: record.email.clone(),
            site: record.website.clone(),
            horaires: record.hours.clone(),
            capacite: record.capacity,
            membre_cpts,
            role: checked_text(raw, "role")?,
            etiquettes: split_tags(raw.get("etiquettes")),
            zone_intervention: checked_text(raw, "zone_intervention")?,
            notes: checked_text(raw, "notes")?,
            ligne_directe: checked_text(raw, "ligne_directe")?,
            notes_internes: checked_text(raw, "notes_internes")?,
        };
        self.check_places(commune, &fields)?;
        Ok(Validated {
            id: record.id,
            fields,
        })
    }

    fn check_places(
        &self,
        commune: Option<InseeCode>,
        f: &PartnerFields,
    ) -> Result<(), FieldError> {
        let Some(code) = commune else { return Ok(()) };
        let known = self.communes.get(&code);
        if known.is_none() && self.departements.contains(code.departement()) {
            return Err(FieldError::new(
                "code_insee",
                format!(
                    "le code INSEE d'une commune existante (aucune commune {code} dans le département {} chargé)",
                    code.departement()
                ),
                code.as_str(),
            ));
        }
        let Some(postcode) = f.code_postal.as_deref() else {
            return Ok(());
        };
        match known {
            Some(c) if !c.postcodes.is_empty() => {
                if !c.postcodes.iter().any(|p| p == postcode) {
                    return Err(FieldError::new(
                        "code_postal",
                        format!(
                            "un code postal de la commune {code} ({}) : {}",
                            c.name,
                            c.postcodes.join(", ")
                        ),
                        postcode,
                    ));
                }
            }
            _ => {
                let dep = code.departement();
                let pdep = postcode_departement(postcode);
                let corsica = pdep == "20" && (dep == "2A" || dep == "2B" || dep == "20");
                if pdep != dep && !corsica {
                    return Err(FieldError::new(
                        "code_postal",
                        format!(
                            "un code postal du département {dep} de la commune {code} (commençant par {})",
                            if dep.starts_with('2') && dep.len() == 2 && !dep.as_bytes()[1].is_ascii_digit() { "20" } else { dep }
                        ),
                        postcode,
                    ));
                }
            }
        }
        Ok(())
    }

    /// The directory record of a stored partner: same fields and tags as the partner CSV
    /// importer gives, placed at its commune's centroid when it has no coordinates.
    pub fn actor_record(&self, id: &str, f: &PartnerFields, source: SourceId) -> ActorRecord {
        let kind = self
            .kinds
            .by_id(&f.kind)
            .or_else(|| self.kinds.by_id("partenaire"))
            .unwrap_or(crate::model::KindId(0));
        let mut r = ActorRecord::new(id, f.nom.clone(), kind, source);
        if let Some(a) = &f.adresse {
            let (number, street) = split_address(a);
            r.address.number = number;
            r.address.street = street;
        }
        r.address.postcode = f.code_postal.clone();
        r.address.city = f.commune.clone();
        r.commune = f.code_insee.as_deref().and_then(|c| c.parse().ok());
        r.phone = f.telephone.clone();
        r.email = f.email.clone();
        r.website = f.site.clone();
        r.hours = f.horaires.clone();
        r.capacity = f.capacite;
        match (f.longitude, f.latitude) {
            (Some(lon), Some(lat)) => {
                r.position = Some(LonLat::new(lon, lat));
                r.precision = Precision::Address;
            }
            _ => {
                if let Some(p) = r
                    .commune
                    .and_then(|c| self.communes.get(&c))
                    .and_then(|c| c.centroid)
                {
                    r.position = Some(p);
                    r.precision = Precision::Commune;
                }
            }
        }
        let mut tags: Vec<String> = Vec::new();
        let mut push = |t: String| {
            if !t.is_empty() && !tags.contains(&t) {
                tags.push(t);
            }
        };
        if f.membre_cpts {
            push(MEMBER_TAG.to_string());
        }
        if let Some(role) = &f.role {
            push(role.clone());
        }
        for t in &f.etiquettes {
            push(t.clone());
        }
        if let Some(z) = &f.zone_intervention {
            push(format!("zone:{z}"));
        }
        if let Some(n) = &f.notes {
            push(format!("note:{n}"));
        }
        r.tags = tags;
        r
    }
}

use crate::sources::partners::split_address;

#[cfg(test)]
mod tests {
    use super::*;

    fn validator() -> Validator {
        let ds = crate::sources::demo::dataset().expect("demo");
        Validator::new(ds.kinds.clone(), &ds.communes)
    }

    fn raw(v: serde_json::Value) -> RawPartner {
        RawPartner::from_json(&v).unwrap()
    }

    #[test]
    fn actor_record_matches_the_importer_on_the_template() {
        let v = validator();
        let bytes = include_bytes!("../../data/partenaires-modele.csv");
        let (imp, rep) =
            csv_partners::read(bytes, "modele", SourceId(0), v.kinds()).expect("template");
        assert_eq!(rep.rejected, 0);
        let text = String::from_utf8_lossy(bytes);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .skip(1)
            .collect();
        assert_eq!(lines.len(), imp.actors.len());
        for (line, expected) in lines.iter().zip(imp.actors) {
            let cells: Vec<&str> = line.split(';').collect();
            let mut r = RawPartner::default();
            for (f, c) in PARTNER_FIELDS.iter().zip(&cells) {
                r.set(f.name, c);
            }
            let ok = v.validate(&r).unwrap();
            assert_eq!(ok.id, expected.id);
            let mut got = v.actor_record(&ok.id, &ok.fields, SourceId(0));
            if expected.position.is_none() {
                // The importer leaves placement to the dataset; the store places at once.
                assert_eq!(got.precision, Precision::Commune);
                got.position = None;
                got.precision = Precision::Unknown;
            }
            assert_eq!(got, expected);
            // Normalised fields validate to themselves.
            let again = v.validate(&ok.fields.to_raw(&ok.id)).unwrap();
            assert_eq!(again, ok);
        }
    }

    #[test]
    fn postcode_must_match_the_commune() {
        let v = validator();
        let err = v
            .validate(&raw(serde_json::json!({"nom": "X", "type": "dac",
                "code_insee": "81004", "code_postal": "31000"})))
            .unwrap_err();
        assert_eq!(err.champ, "code_postal");
        assert!(err.attendu.contains("81004"), "{err}");
        assert!(v
            .validate(&raw(serde_json::json!({"nom": "X", "type": "dac",
                "code_insee": "81004", "code_postal": "81000"})))
            .is_ok());
        // Outside the loaded communes: département check only.
        assert!(v
            .validate(&raw(serde_json::json!({"nom": "X", "type": "dac",
                "code_insee": "31555", "code_postal": "31000"})))
            .is_ok());
        let err = v
            .validate(&raw(serde_json::json!({"nom": "X", "type": "dac",
                "code_insee": "31555", "code_postal": "81000"})))
            .unwrap_err();
        assert_eq!(err.champ, "code_postal");
        let err = v
            .validate(&raw(
                serde_json::json!({"nom": "X", "type": "dac", "code_insee": "81999"}),
            ))
            .unwrap_err();
        assert_eq!(err.champ, "code_insee");
    }

    #[test]
    fn json_shapes_and_errors() {
        let v = validator();
        let err =
            RawPartner::from_json(&serde_json::json!({"nom": "X", "couleur": "bleu"})).unwrap_err();
        assert_eq!(err.champ, "couleur");
        assert!(RawPartner::from_json(&serde_json::json!([1])).is_err());
        let ok = v
            .validate(&raw(serde_json::json!({"nom": "  <img src=x onerror=alert(1)>  ", "type": "partenaire",
                "latitude": 43.9, "longitude": 2.15, "etiquettes": ["a", "b", "a"], "capacite": 12})))
            .unwrap();
        assert_eq!(ok.fields.nom, "<img src=x onerror=alert(1)>");
        assert_eq!(ok.fields.etiquettes, ["a", "b"]);
        assert_eq!(ok.fields.capacite, Some(12));
        for (body, field) in [
            (
                serde_json::json!({"type": "dac", "code_insee": "81004"}),
                "nom",
            ),
            (
                serde_json::json!({"nom": "X", "type": "licorne", "code_insee": "81004"}),
                "type",
            ),
            (serde_json::json!({"nom": "X", "type": "dac"}), "code_insee"),
            (
                serde_json::json!({"nom": "X", "type": "dac", "latitude": 2.1, "longitude": 43.9}),
                "latitude",
            ),
            (
                serde_json::json!({"nom": "X", "type": "dac", "code_insee": "81004", "telephone": "12"}),
                "telephone",
            ),
            (
                serde_json::json!({"nom": "X", "type": "dac", "code_insee": "81004", "ligne_directe": "12"}),
                "ligne_directe",
            ),
            (
                serde_json::json!({"nom": "X", "type": "dac", "code_insee": "81004", "capacite": -3}),
                "capacite",
            ),
            (
                serde_json::json!({"nom": "X", "type": "dac", "code_insee": "81004", "membre_cpts": "peut-être"}),
                "membre_cpts",
            ),
        ] {
            let err = v.validate(&raw(body.clone())).unwrap_err();
            assert_eq!(err.champ, field, "{body} → {err}");
        }
    }

    #[test]
    fn first_column_starting_with_hash_is_not_a_comment() {
        let v = validator();
        let ok = v
            .validate(&raw(serde_json::json!({"identifiant": "#1", "nom": "#X", "type": "dac", "code_insee": "81004"})))
            .unwrap();
        assert_eq!(ok.id, "local:1");
        assert_eq!(ok.fields.nom, "#X");
    }
}
