//! Property tests of the partner store on random and mutated input: JSON bodies and CSV
//! imports never panic, every refusal names a field (and a line for files), and a refused
//! write changes nothing.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use maillage::model::partner_field::{field, PARTNER_FIELDS};
use maillage::model::{KindTable, SourceId};
use maillage::store::annotations::AnnotationFields;
use maillage::store::import::ImportError;
use maillage::store::partner::RawPartner;
use maillage::store::{Author, Store, Validator};

const TEMPLATE: &[u8] = include_bytes!("../data/partenaires-modele.csv");

/// The demo data's validator, built once (loading the demo communes is the slow part).
fn validator() -> &'static Validator {
    static V: std::sync::OnceLock<Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let ds = maillage::sources::demo::dataset().expect("demo");
        Validator::new(ds.kinds, &ds.communes)
    })
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-200.0f64..200.0).prop_map(|x| json!(x)),
        "\\PC{0,30}".prop_map(Value::String),
        "[0-9 +.()-]{0,16}".prop_map(Value::String),
        "[a-z.]{0,8}@[a-z]{0,8}(\\.[a-z]{0,3})?".prop_map(Value::String),
        prop::collection::vec("\\PC{0,8}", 0..3).prop_map(|v| json!(v)),
        Just(json!({"a": 1})),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    let known: Vec<String> = PARTNER_FIELDS.iter().map(|f| f.name.to_string()).collect();
    prop_oneof![
        9 => prop::sample::select(known),
        1 => "[a-z_]{1,12}",
    ]
}

fn body() -> impl Strategy<Value = Value> {
    prop::collection::vec((field_name(), any_value()), 0..12).prop_map(|kv| {
        let mut m = Map::new();
        // Often a plausible base, so that validation goes deep.
        m.insert("nom".into(), json!("Partenaire"));
        m.insert("type".into(), json!("dac"));
        m.insert("code_insee".into(), json!("81004"));
        for (k, v) in kv {
            m.insert(k, v);
        }
        Value::Object(m)
    })
}

/// Random edits of a file: replace, insert or delete bytes, duplicate or drop lines.
fn mutate(base: &[u8], edits: &[(u8, usize, u8)]) -> Vec<u8> {
    let mut b = base.to_vec();
    for &(op, pos, byte) in edits {
        if b.is_empty() {
            b.push(byte);
            continue;
        }
        let i = pos % b.len();
        match op % 5 {
            0 => b[i] = byte,
            1 => b.insert(i, byte),
            2 => {
                b.remove(i);
            }
            3 => {
                let start = b[..i]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p + 1);
                let line = b[start..end].to_vec();
                b.splice(end..end, line);
            }
            _ => {
                let start = b[..i]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p + 1);
                b.drain(start..end);
            }
        }
    }
    b
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b";,\"\n#0123456789abcAZ \xc3\xa9\xff".to_vec()),
        any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn json_bodies_never_panic_and_refusals_name_a_field(b in body()) {
        let v = validator();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
        let given: Vec<String> = b.as_object().unwrap().keys().cloned().collect();
        match RawPartner::from_json(&b).and_then(|raw| v.validate(&raw)) {
            Ok(ok) => {
                prop_assert!(ok.id.starts_with("local:"));
                // A valid partner's normalised fields validate to themselves.
                let again = v.validate(&ok.fields.to_raw(&ok.id)).unwrap();
                prop_assert_eq!(&again, &ok);
                store.create_partner(ok, true, &Author::cli()).unwrap();
                prop_assert_eq!(store.partner_count().unwrap(), 1);
            }
            Err(e) => {
                prop_assert!(!e.champ.is_empty() && !e.attendu.is_empty());
                let known = field(&e.champ).is_some() || given.contains(&e.champ);
                prop_assert!(known, "champ inattendu : {}", e);
                prop_assert!(e.to_string().contains("attendu"));
                prop_assert_eq!(store.partner_count().unwrap(), 0);
            }
        }
    }

    #[test]
    fn annotation_bodies_never_panic(kv in prop::collection::vec((
        prop_oneof![prop::sample::select(vec!["membre_cpts", "role", "referent", "telephone", "email", "note"]).prop_map(String::from), "[a-z]{1,6}"],
        any_value()), 0..6)) {
        let m: Map<String, Value> = kv.into_iter().collect();
        if let Err(e) = AnnotationFields::from_json(&Value::Object(m.clone())) {
            prop_assert!(!e.champ.is_empty());
            prop_assert!(m.contains_key(&e.champ) || e.champ == "corps", "{}", e);
        }
    }

    #[test]
    fn mutated_imports_are_all_or_nothing(edits in prop::collection::vec((any::<u8>(), any::<usize>(), interesting_byte()), 1..8)) {
        let v = validator();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
        // Start from the template, already imported: the mutated file is a diff against it.
        let first = store.import_partners(v, TEMPLATE, "modele.csv", true, &Author::cli()).unwrap();
        prop_assert_eq!(first.rejected.len(), 0);
        let before = store.partners(true).unwrap();
        let bytes = mutate(TEMPLATE, &edits);
        let lines = bytes.iter().filter(|&&c| c == b'\n').count() + 1;
        match store.import_partners(v, &bytes, "mute.csv", true, &Author::cli()) {
            Err(ImportError::File(msg)) => {
                prop_assert!(msg.contains("mute.csv"), "{}", msg);
                prop_assert_eq!(store.partners(true).unwrap(), before);
            }
            Err(ImportError::Store(e)) => prop_assert!(false, "erreur de base : {}", e),
            Ok(r) => {
                for rej in &r.rejected {
                    prop_assert!(rej.line >= 1 && rej.line <= lines, "{} / {} lignes", rej, lines);
                    prop_assert!(!rej.field.is_empty() && !rej.expected.is_empty());
                    prop_assert_eq!(&rej.file, "mute.csv");
                }
                let after = store.partners(true).unwrap();
                prop_assert_eq!(after.len(), before.len() + r.added.len());
                for row in r.added.iter().chain(&r.changed) {
                    let p = store.partner(&row.id).unwrap().unwrap();
                    prop_assert!(!p.archived);
                    prop_assert_eq!(&p.fields.nom, &row.nom);
                }
                for row in &r.unchanged {
                    let old = before.iter().find(|p| p.id == row.id).unwrap();
                    prop_assert_eq!(store.partner(&row.id).unwrap().unwrap(), old.clone());
                }
                // History: one row per version, for every partner.
                for p in &after {
                    prop_assert_eq!(store.history(&p.id).unwrap().len() as i64, p.version);
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_nor_write(bytes in prop::collection::vec(interesting_byte(), 0..400)) {
        let v = validator();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
        let preview = store.import_partners(v, &bytes, "hasard.csv", false, &Author::cli());
        if let Ok(r) = &preview {
            prop_assert!(!r.applied);
        }
        prop_assert_eq!(store.partner_count().unwrap(), 0);
    }

    #[test]
    fn address_split_matches_the_importer(addr in "[0-9]{0,6}( ?(bis|ter|b|a|B|Bis)?)?[ ,]{0,2}\\PC{0,20}") {
        let v = validator();
        let raw = RawPartner::from_json(&json!({"nom": "X", "type": "dac", "code_insee": "81004", "adresse": addr})).unwrap();
        let ok = v.validate(&raw).unwrap();
        let ours = v.actor_record(&ok.id, &ok.fields, SourceId(0));
        let csv = format!("nom;type;code_insee;adresse\nX;dac;81004;\"{}\"\n", addr.replace('"', "\"\""));
        let (imp, _) = maillage::sources::partners::read(csv.as_bytes(), "a", SourceId(0), &KindTable::builtin()).unwrap();
        prop_assert_eq!(&ours.address.number, &imp.actors[0].address.number);
        prop_assert_eq!(&ours.address.street, &imp.actors[0].address.street);
    }
}
