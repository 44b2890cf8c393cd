//! Exports of the partner directory: CSV (re-importable as is), GeoJSON, and the Open Referral
//! Human Services Data Specification (HSDS 3.0) JSON shape.
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
//! assert_eq!(hsds["organization"][0]["name"], "DAC");
//! ```

use std::io::Write;

use serde_json::{json, Value};

use super::partner::Validator;
use super::partners::Partner;
use crate::model::partner_field::{Check, PARTNER_FIELDS};
use crate::model::SourceId;

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

fn point(p: &Partner, v: &Validator) -> Value {
    let r = v.actor_record(&p.id, &p.fields, SourceId(0));
    match r.position {
        Some(pos) => json!({"type": "Point", "coordinates": [pos.lon, pos.lat]}),
        None => Value::Null,
    }
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
                "properties": p.to_json(private),
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Open Referral HSDS 3.0 tables as JSON arrays: `organization`, `service`, `location`,
/// `service_at_location`, `service_area`, `phone`, `schedule`. Public fields only.
pub fn hsds(partners: &[Partner], v: &Validator) -> Value {
    let mut organization = Vec::new();
    let mut service = Vec::new();
    let mut location = Vec::new();
    let mut service_at_location = Vec::new();
    let mut service_area = Vec::new();
    let mut phone = Vec::new();
    let mut schedule = Vec::new();
    for p in partners {
        let f = &p.fields;
        let org_id = p.id.clone();
        let svc_id = format!("{}#service", p.id);
        let loc_id = format!("{}#lieu", p.id);
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
        organization.push(json!({
            "id": org_id, "name": f.nom, "description": description,
            "email": f.email, "website": f.site,
        }));
        let mut attributes = vec![
            json!({"taxonomy_term": {"code": f.kind, "term": kind_label, "taxonomy": "maillage"}}),
        ];
        if f.membre_cpts {
            attributes.push(json!({"taxonomy_term": {"code": "membre-cpts", "term": "Membre de la CPTS", "taxonomy": "maillage"}}));
        }
        for t in &f.etiquettes {
            attributes
                .push(json!({"taxonomy_term": {"code": t, "term": t, "taxonomy": "etiquettes"}}));
        }
        service.push(json!({
            "id": svc_id, "organization_id": org_id, "name": f.nom, "description": description,
            "email": f.email, "url": f.site, "status": "active",
            "capacities": f.capacite.map(|c| vec![json!({"value": c, "unit": "places"})]),
            "attributes": attributes,
        }));
        let geo = v.actor_record(&p.id, f, SourceId(0));
        location.push(json!({
            "id": loc_id, "organization_id": org_id, "name": f.nom, "location_type": "physical",
            "latitude": geo.position.map(|x| x.lat), "longitude": geo.position.map(|x| x.lon),
            "addresses": [{
                "id": format!("{}#adresse", p.id), "location_id": loc_id,
                "address_1": f.adresse, "city": f.commune, "postal_code": f.code_postal,
                "country": "FR", "address_type": "physical",
            }],
            "external_identifiers": f.code_insee.as_ref().map(|c| vec![json!({"identifier": c, "identifier_type": "code INSEE"})]),
        }));
        service_at_location.push(json!({
            "id": format!("{}#service-lieu", p.id), "service_id": svc_id, "location_id": loc_id,
        }));
        if let Some(z) = &f.zone_intervention {
            service_area.push(json!({
                "id": format!("{}#zone", p.id), "service_id": svc_id, "name": z, "description": z,
            }));
        }
        if let Some(t) = &f.telephone {
            phone.push(json!({
                "id": format!("{}#tel", p.id), "organization_id": org_id, "service_id": svc_id,
                "number": t, "type": "voice", "languages": [{"code": "fr"}],
            }));
        }
        if let Some(h) = &f.horaires {
            schedule.push(json!({
                "id": format!("{}#horaires", p.id), "service_id": svc_id, "description": h,
            }));
        }
    }
    json!({
        "organization": organization, "service": service, "location": location,
        "service_at_location": service_at_location, "service_area": service_area,
        "phone": phone, "schedule": schedule,
    })
}
