//! Loading a folder parses its files in parallel, each with its own copy of the kind table:
//! kinds created by different files must all exist afterwards, and every actor must point to
//! the kind of its own source code.

use maillage::sources::load_dir;

#[test]
fn kinds_created_by_files_parsed_in_parallel_are_merged() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/finess");
    let mut copied = 0;
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
            copied += 1;
        }
    }
    assert!(copied >= 3, "several FINESS files to parse side by side");
    let ds = load_dir(dir.path()).unwrap();
    assert_eq!(ds.reports.len(), copied);
    let mut checked = 0;
    for a in &ds.actors {
        let Some(code) = a.source_code.as_deref() else {
            continue;
        };
        let kind = ds.kinds.get(a.kind);
        assert!(
            kind.source_codes
                .iter()
                .any(|c| c == &format!("finess:{code}")),
            "{}: category {code} but kind {} ({:?})",
            a.id,
            kind.id,
            kind.source_codes
        );
        checked += 1;
    }
    assert!(checked > 10);
    // A kind id appears once in the table.
    let mut ids: Vec<&str> = ds.kinds.iter().map(|(_, k)| k.id.as_str()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
}
