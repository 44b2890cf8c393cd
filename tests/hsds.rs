//! The HSDS 3.0 export of the local directory (issue 17 point 1): every object valid against
//! the official schemas in ../shared/schemas/hsds-3.0 (Python `jsonschema` with format
//! checking, `scripts/hsds_validate.py`; `.ci/run` installs it and sets `MAILLAGE_PYTHON`),
//! stable UUIDs, no `null`, approximate positions said.

mod server_support;

use std::path::Path;
use std::process::Command;

use server_support::{import_template, BIN};

fn export(base: &Path) -> Vec<u8> {
    let o = Command::new(BIN)
        .args(["partenaires", "exporter", "--format", "hsds", "--base"])
        .arg(base)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

fn no_null(v: &serde_json::Value, path: &str) {
    match v {
        serde_json::Value::Null => panic!("null à {path}"),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| no_null(x, &format!("{path}/{i}"))),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            assert_ne!(k, "capacities", "capacities n'existe qu'en HSDS 3.1");
            no_null(x, &format!("{path}/{k}"))
        }),
        _ => {}
    }
}

#[test]
#[ignore = "needs ../shared/schemas and Python jsonschema[format] (.ci/run)"]
fn hsds_export_is_valid_against_the_official_schemas() {
    let schemas = Path::new("../shared/schemas/hsds-3.0");
    assert!(
        schemas.join("service.json").is_file(),
        "../shared/schemas/hsds-3.0 absent"
    );
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("b.sqlite");
    import_template(&base);

    let bytes = export(&base);
    assert_eq!(bytes, export(&base), "mêmes UUID à chaque export");
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["hsds_version"], "3.0");
    assert_eq!(v["total_items"], 4);
    no_null(&v, "");
    let services = v["contents"].as_array().unwrap();
    // The CCAS of Saint-Juéry has no coordinates: placed at its commune's centre, and said.
    let ccas = services
        .iter()
        .find(|s| s["name"].as_str().unwrap().contains("CCAS"))
        .unwrap();
    let loc = &ccas["service_at_locations"][0]["location"];
    assert!(loc["latitude"].is_f64(), "{loc}");
    assert!(
        loc["description"]
            .as_str()
            .unwrap()
            .contains("centre de la commune"),
        "{loc}"
    );
    assert_eq!(loc["external_identifier"], "81257");
    let dac = services
        .iter()
        .find(|s| s["name"].as_str().unwrap().contains("Dispositif"))
        .unwrap();
    let loc = &dac["service_at_locations"][0]["location"];
    assert!(loc.get("description").is_none(), "position exacte : {loc}");
    assert_eq!(loc["addresses"][0]["state_province"], "81");

    let file = tmp.path().join("hsds.json");
    std::fs::write(&file, &bytes).unwrap();
    let python = std::env::var("MAILLAGE_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/hsds_validate.py"
        ))
        .arg(schemas)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{python} : {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("4 objet(s), 0 erreur(s)"), "{text}");
}
