//! Exports of the partner directory: CSV (re-importable as is), GeoJSON, and the Open Referral
//! Human Services Data Specification (HSDS 3.0): an API-style page of `service` objects.
//!
//! Private fields (`ligne_directe`, `notes_internes`) are written only when asked for.
//!
//! ```
//! use maillage::model::KindTable;
//! use maillage::store::{export, partner::RawPartner, Author, Store, Validator};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
//! let v = Validator::new(KindTable::builtin(), &[]);
//! let raw = RawPartner::from_json(&serde_json::json!({"nom": "DAC", "type": "dac",
//!     "code_insee": "81004", "ligne_directe": "0612345678"})).unwrap();
//! store.create_partner(v.validate(&raw).unwrap(), false, &Author::cli()).unwrap();
//! let partners = store.partners(false).unwrap();
//! let mut public = Vec::new();
//! export::write_csv(&partners, false, &mut public).unwrap();
//! let public = String::from_utf8(public).unwrap();
//! assert!(public.starts_with("\u{feff}identifiant;nom;type;"));
//! assert!(!public.contains("06 12"));
//! let hsds = export::hsds(&partners, &v);
//! assert_eq!(hsds["hsds_version"], "3.0");
//! assert_eq!(hsds["contents"][0]["organization"]["name"], "DAC");
//! assert!(!hsds.to_string().contains("06 12"));
//! ```

use std::io::Write;

use serde_json::{json, Value};

use super::partner::Validator;
use super::partners::Partner;
use crate::model::partner_field::{Check, PARTNER_FIELDS};
use crate::model::{LonLat, SourceId};

/// Writes the partners in the one CSV dialect (`;`, UTF-8 with a BOM so that spreadsheets read
/// the accents, decimal comma in latitude and longitude) with the columns of the partner template (plus the private columns when
/// `private`); the partner importer reads it back as is.
pub fn write_csv(partners: &[Partner], private: bool, out: impl Write) -> std::io::Result<()> {
    let dialect = crate::util::csv::CsvOptions::default();
    let mut w = dialect.writer(out)?;
    let header: Vec<&str> = PARTNER_FIELDS
        .iter()
        .filter(|f| private || !f.private)
        .map(|f| f.name)
        .collect();
    w.write_record(&header)?;
    for p in partners {
        let raw = p.fields.to_raw(&p.id);
        w.write_record(header.iter().map(|f| {
            let text = raw.get(f);
            match crate::model::partner_field::field(f).map(|f| f.check) {
                Some(Check::Latitude | Check::Longitude) => dialect.decimal(text),
                _ => text.to_string(),
            }
        }))?;
    }
    w.flush()?;
    Ok(())
}

/// Where the partner is drawn: its coordinates, else its commune's centroid when loaded.
pub fn position(p: &Partner, v: &Validator) -> Option<LonLat> {
    v.actor_record(&p.id, &p.fields, SourceId(0)).position
}

fn point(p: &Partner, v: &Validator) -> Value {
    match position(p, v) {
        Some(pos) => json!({"type": "Point", "coordinates": pos.position()}),
        None => Value::Null,
    }
}

/// The partner's fields as GeoJSON properties: `etiquettes` as one text joined with `|`
/// (as in the CSV), so GDAL types it String like the actors' `tags`.
fn geojson_properties(p: &Partner, private: bool) -> Value {
    let mut props = p.to_json(private);
    if let Some(o) = props.as_object_mut() {
        let tags =
            crate::model::partner_field::join_tags(p.fields.etiquettes.iter().map(String::as_str));
        o.insert("etiquettes".into(), tags.into());
    }
    props
}

/// A GeoJSON FeatureCollection (RFC 7946); partners without coordinates are placed at their
/// commune's centroid when it is loaded, else have a `null` geometry.
pub fn geojson(partners: &[Partner], v: &Validator, private: bool) -> Value {
    let features: Vec<Value> = partners
        .iter()
        .map(|p| {
            json!({
                "type": "Feature",
                "id": p.id,
                "geometry": point(p, v),
                "properties": geojson_properties(p, private),
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// The HSDS version the export follows.
pub const HSDS_VERSION: &str = "3.0";

/// A stable HSDS id (UUID v5) for one of our ids: the same partner always gets the same UUIDs.
///
/// ```
/// use maillage::store::export::hsds_uuid;
/// assert_eq!(hsds_uuid("organization", "local:dac81"), hsds_uuid("organization", "local:dac81"));
/// assert_ne!(hsds_uuid("organization", "local:dac81"), hsds_uuid("service", "local:dac81"));
/// assert_eq!(hsds_uuid("service", "x").len(), 36);
/// ```
pub fn hsds_uuid(table: &str, id: &str) -> String {
    // Namespace of maillage's HSDS ids (itself a v5 UUID of the URL namespace).
    let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"https://maillage.fr/hsds");
    uuid::Uuid::new_v5(&ns, format!("{table}:{id}").as_bytes()).to_string()
}

/// Inserts `value` under `key` unless it is `None` (HSDS 3.0 leaves absent fields out).
fn put<T: serde::Serialize>(o: &mut Value, key: &str, value: Option<T>) {
    if let (Some(v), Some(map)) = (value, o.as_object_mut()) {
        map.insert(key.into(), json!(v));
    }
}

/// An HSDS `attribute` of the service `svc_id` carrying a taxonomy term.
fn attribute(svc_id: &str, taxonomy: &str, code: &str, name: &str, description: &str) -> Value {
    let term_id = hsds_uuid("taxonomy_term", &format!("{taxonomy}:{code}"));
    json!({
        "id": hsds_uuid("attribute", &format!("{svc_id}:{taxonomy}:{code}")),
        "link_id": svc_id, "link_type": "service", "link_entity": "service",
        "taxonomy_term_id": term_id,
        "taxonomy_term": {
            "id": term_id, "code": code, "name": name, "description": description,
            "taxonomy": taxonomy,
        },
    })
}

/// Open Referral HSDS 3.0, as its API serialises services: a page (`total_items`,
/// `contents`…) of `service` objects, each with its `organization`, `service_at_locations`
/// (with their `location` and `addresses`), `phones`, `schedules`, `service_areas` and
/// `attributes` (partner type, CPTS membership, tags) nested. Public fields only; ids are
/// UUID v5 of our ids ([`hsds_uuid`]); absent fields are left out, never `null`. A partner
/// placed at its commune's centre says so in its location's `description` and an attribute.
pub fn hsds(partners: &[Partner], v: &Validator) -> Value {
    let mut contents = Vec::new();
    for p in partners {
        let f = &p.fields;
        let org_id = hsds_uuid("organization", &p.id);
        let svc_id = hsds_uuid("service", &p.id);
        let loc_id = hsds_uuid("location", &p.id);
        let kind_label = v
            .kinds()
            .by_id(&f.kind)
            .map(|k| v.kinds().get(k).label.clone())
            .unwrap_or_else(|| f.kind.clone());
        let description = [f.role.as_deref(), f.notes.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        let description = if description.is_empty() {
            kind_label.clone()
        } else {
            description
        };
        let mut organization = json!({"id": org_id, "name": f.nom, "description": description});
        put(&mut organization, "email", f.email.as_ref());
        put(&mut organization, "website", f.site.as_ref());

        let mut attributes = vec![attribute(
            &svc_id,
            "maillage-types",
            &f.kind,
            &kind_label,
            &format!("Type d'acteur « {kind_label} » de maillage"),
        )];
        if f.membre_cpts {
            attributes.push(attribute(
                &svc_id,
                "maillage-cpts",
                "membre-cpts",
                "Membre de la CPTS",
                "Le partenaire est membre de la CPTS",
            ));
        }
        for t in &f.etiquettes {
            attributes.push(attribute(
                &svc_id,
                "maillage-etiquettes",
                t,
                t,
                &format!("Étiquette « {t} » de l'annuaire local"),
            ));
        }

        let geo = v.actor_record(&p.id, f, SourceId(0));
        let mut location = json!({
            "id": loc_id, "organization_id": org_id, "name": f.nom, "location_type": "physical",
        });
        if let Some(pos) = geo.position {
            put(&mut location, "latitude", Some(pos.lat));
            put(&mut location, "longitude", Some(pos.lon));
            if geo.precision == crate::model::Precision::Commune {
                put(
                    &mut location,
                    "description",
                    Some("Position approchée : centre de la commune (adresse non géolocalisée)"),
                );
            }
        }
        if let Some(c) = &f.code_insee {
            put(&mut location, "external_identifier", Some(c));
            put(
                &mut location,
                "external_identifier_type",
                Some("code INSEE de la commune"),
            );
        }
        let state = f
            .code_insee
            .as_deref()
            .and_then(|c| c.parse::<crate::model::InseeCode>().ok())
            .map(|c| c.departement().to_string());
        if let (Some(a), Some(city), Some(pc), Some(state)) =
            (&f.adresse, &f.commune, &f.code_postal, state)
        {
            put(
                &mut location,
                "addresses",
                Some(vec![json!({
                    "id": hsds_uuid("address", &p.id), "location_id": loc_id,
                    "address_1": a, "city": city, "state_province": state,
                    "postal_code": pc, "country": "FR", "address_type": "physical",
                })]),
            );
        }

        let mut service = json!({
            "id": svc_id, "organization_id": org_id, "name": f.nom,
            "description": description, "status": "active",
            "organization": organization,
            "service_at_locations": [{
                "id": hsds_uuid("service_at_location", &p.id), "service_id": svc_id,
                "location_id": loc_id, "location": location,
            }],
            "attributes": attributes,
        });
        put(&mut service, "email", f.email.as_ref());
        put(&mut service, "url", f.site.as_ref());
        if let Some(z) = &f.zone_intervention {
            put(
                &mut service,
                "service_areas",
                Some(vec![json!({
                    "id": hsds_uuid("service_area", &p.id), "service_id": svc_id,
                    "name": z, "description": z,
                })]),
            );
        }
        if let Some(t) = &f.telephone {
            let phone_id = hsds_uuid("phone", &p.id);
            put(
                &mut service,
                "phones",
                Some(vec![json!({
                    "id": phone_id, "organization_id": org_id, "service_id": svc_id,
                    "number": t, "type": "voice",
                    "languages": [{
                        "id": hsds_uuid("language", &format!("{}:fr", p.id)),
                        "phone_id": phone_id, "name": "français", "code": "fr",
                    }],
                })]),
            );
        }
        if let Some(h) = &f.horaires {
            put(
                &mut service,
                "schedules",
                Some(vec![json!({
                    "id": hsds_uuid("schedule", &p.id), "service_id": svc_id, "description": h,
                })]),
            );
        }
        contents.push(service);
    }
    let n = contents.len();
    json!({
        "hsds_version": HSDS_VERSION,
        "total_items": n, "total_pages": 1, "page_number": 1, "size": n,
        "first_page": true, "last_page": true, "empty": n == 0,
        "contents": contents,
    })
}
