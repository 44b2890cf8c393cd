//! Linking the same actor across sources, merging, and finding merged records by any id.

use maillage::dedup::{find_duplicates, merge, ALIAS_PREFIX};
use maillage::index::Directory;
use maillage::model::{ActorRecord, KindId, LonLat, Precision, SourceId};
use maillage::sources::{Dataset, FileReport, Format, Imported};

fn rec(
    id: &str,
    name: &str,
    kind: KindId,
    source: u16,
    number: &str,
    street: &str,
    lon: f64,
) -> ActorRecord {
    let mut r = ActorRecord::new(id, name, kind, SourceId(source));
    r.commune = Some("81004".parse().unwrap());
    r.address.number = Some(number.into());
    r.address.street = Some(street.into());
    r.address.postcode = Some("81000".into());
    r.position = Some(LonLat::new(lon, 43.9289));
    r.precision = Precision::Address;
    r
}

/// Metres per degree of longitude at 43.93° N, near enough for test offsets.
const M_PER_DEG: f64 = 80_200.0;

fn dataset(files: Vec<(Format, Vec<ActorRecord>)>) -> Dataset {
    let mut ds = Dataset::new();
    for (i, (format, actors)) in files.into_iter().enumerate() {
        ds.add(
            Imported {
                actors,
                ..Default::default()
            },
            FileReport::new(format!("f{i}"), format),
        );
    }
    ds
}

#[test]
fn pharmacy_in_finess_and_bpe_is_merged_and_found_by_both_ids() {
    let mut ds = Dataset::new();
    let pharmacie = ds.kinds.by_id("pharmacie").unwrap();
    let mut finess = rec(
        "finess:810000001",
        "PHARMACIE DU CENTRE",
        pharmacie,
        0,
        "3",
        "PL DU VIGAN",
        2.14800,
    );
    finess.phone = None;
    let mut bpe = rec(
        "bpe:2025:81004:D307:1",
        "Pharmacie du Centre",
        pharmacie,
        1,
        "3",
        "Place du Vigan",
        2.14800 + 20.0 / M_PER_DEG,
    );
    bpe.phone = Some("05 63 00 00 00".into());
    let other = rec(
        "finess:810000002",
        "PHARMACIE DE LA GARE",
        pharmacie,
        0,
        "1",
        "AV DE LA GARE",
        2.1600,
    );
    let mut ds2 = dataset(vec![
        (maillage::sources::finess::FORMAT, vec![finess, other]),
        (maillage::sources::bpe::XY, vec![bpe]),
    ]);
    ds2.kinds = std::mem::take(&mut ds.kinds);
    let report = merge(&mut ds2);
    assert_eq!(report.links.len(), 1, "{report:?}");
    let link = &report.links[0];
    assert_eq!(link.primary, "finess:810000001");
    assert_eq!(link.other, "bpe:2025:81004:D307:1");
    assert!(link.merged);
    let d = link.distance_m.unwrap();
    assert!((d - 20.0).abs() < 1.0, "{d}");
    assert_eq!(ds2.actors.len(), 2);
    let kept = ds2
        .actors
        .iter()
        .find(|a| a.id == "finess:810000001")
        .unwrap();
    assert_eq!(
        kept.phone.as_deref(),
        Some("05 63 00 00 00"),
        "gap filled from BPE"
    );
    assert!(kept
        .tags
        .contains(&format!("{ALIAS_PREFIX}bpe:2025:81004:D307:1")));
    assert!(ds2.reports[0].notes.iter().any(|n| n.contains("doublons")));

    let dir = Directory::build(ds2);
    let a = dir.find("finess:810000001").unwrap();
    assert_eq!(
        dir.find("bpe:2025:81004:D307:1"),
        Some(a),
        "found by its merged id"
    );
    assert_eq!(dir.find("bpe:2025:81004:D307:9"), None);
    assert_eq!(dir.actors().len(), 2);
}

#[test]
fn shared_finess_number_links_across_sources_and_local_partners_are_only_reported() {
    let k = KindId(3);
    let mut rpps = rec(
        "rpps:10100123456:S1",
        "Dr Marie DUPONT",
        k,
        1,
        "12",
        "AV X",
        2.15,
    );
    rpps.tags.push("finess:810000505".into());
    let ch = rec(
        "finess:810000505",
        "CH ALBI",
        KindId(4),
        0,
        "22",
        "BD SIBILLE",
        2.1486,
    );
    let mut partner = rec(
        "local:msp-albi",
        "MSP d'Albi",
        KindId(5),
        2,
        "5",
        "RUE Y",
        2.14,
    );
    partner.tags.push("finess:810000505".into());
    let report = find_duplicates(&[rpps, ch, partner]);
    let by_other = |id: &str| {
        report
            .links
            .iter()
            .find(|l| l.other == id || l.primary == id && l.other != "finess:810000505")
    };
    let l = by_other("rpps:10100123456:S1").unwrap();
    assert_eq!(l.primary, "finess:810000505");
    assert_eq!(l.reason, "même numéro FINESS 810000505");
    assert!(l.merged);
    let local = report
        .links
        .iter()
        .find(|l| l.other == "local:msp-albi")
        .unwrap();
    assert!(
        !local.merged,
        "the coordinator's own record is never merged away"
    );

    let mut ds = dataset(vec![(
        maillage::sources::finess::FORMAT,
        report_free_records(),
    )]);
    let r = merge(&mut ds);
    assert!(r
        .links
        .iter()
        .all(|l| !l.other.starts_with("local:") || !l.merged));
    assert!(ds.actors.iter().any(|a| a.id == "local:msp-albi"));
}

fn report_free_records() -> Vec<ActorRecord> {
    let mut partner = rec(
        "local:msp-albi",
        "MSP d'Albi",
        KindId(5),
        0,
        "5",
        "RUE Y",
        2.14,
    );
    partner.tags.push("finess:810000505".into());
    vec![
        rec(
            "finess:810000505",
            "CH ALBI",
            KindId(4),
            0,
            "22",
            "BD SIBILLE",
            2.1486,
        ),
        partner,
    ]
}

#[test]
fn near_misses_are_reported_not_merged() {
    let k = KindId(7);
    let base = 2.1400;
    let records = vec![
        // Same name, 120 m apart, different addresses.
        rec(
            "finess:810000010",
            "EHPAD LES TILLEULS",
            k,
            0,
            "4",
            "RUE DES TILLEULS",
            base,
        ),
        rec(
            "bpe:2025:81004:D401:1",
            "Ehpad Les Tilleuls",
            k,
            1,
            "10",
            "RUE DU MOULIN",
            base + 120.0 / M_PER_DEG,
        ),
        // Same kind, same address, different names.
        rec(
            "finess:810000020",
            "SSIAD ADMR",
            KindId(8),
            0,
            "7",
            "RUE DE LA PAIX",
            2.1500,
        ),
        rec(
            "bpe:2025:81004:D402:1",
            "Service de soins",
            KindId(8),
            1,
            "7",
            "R DE LA PAIX",
            2.1500,
        ),
        // Same name and address 300 m apart.
        rec(
            "finess:810000030",
            "CMP ENFANTS",
            KindId(9),
            0,
            "1",
            "RUE A",
            2.1600,
        ),
        rec(
            "bpe:2025:81004:D103:1",
            "CMP enfants",
            KindId(9),
            1,
            "1",
            "Rue A",
            2.1600 + 300.0 / M_PER_DEG,
        ),
    ];
    let report = find_duplicates(&records);
    assert!(report.links.is_empty(), "{:?}", report.links);
    let reasons: Vec<(&str, &str)> = report
        .near_misses
        .iter()
        .map(|n| (n.a.as_str(), n.reason.as_str()))
        .collect();
    assert!(
        reasons.contains(&("finess:810000010", "même nom, adresses différentes")),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&(
            "finess:810000020",
            "même type à la même adresse, noms différents"
        )),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&(
            "finess:810000030",
            "même nom et même adresse, positions éloignées"
        )),
        "{reasons:?}"
    );
    let d = report
        .near_misses
        .iter()
        .find(|n| n.a == "finess:810000010")
        .unwrap()
        .distance_m
        .unwrap();
    assert!((d - 120.0).abs() < 2.0, "{d}");

    let mut ds = dataset(vec![(maillage::sources::finess::FORMAT, records)]);
    merge(&mut ds);
    assert_eq!(ds.actors.len(), 6, "nothing merged, nothing deleted");
}

#[test]
fn records_of_one_source_are_never_linked_together() {
    // An EHPAD and its SSIAD: two FINESS establishments at one address with one name.
    let records = vec![
        rec(
            "finess:810000040",
            "RESIDENCE DU PARC",
            KindId(7),
            0,
            "2",
            "RUE B",
            2.15,
        ),
        rec(
            "finess:810000041",
            "RESIDENCE DU PARC",
            KindId(8),
            0,
            "2",
            "RUE B",
            2.15,
        ),
    ];
    let report = find_duplicates(&records);
    assert!(report.links.is_empty() && report.near_misses.is_empty());
}

#[test]
fn three_sources_make_one_actor_with_every_id() {
    let k = KindId(2);
    let mut finess = rec(
        "finess:810000050",
        "PHARMACIE DU VIGAN",
        k,
        0,
        "3",
        "PL DU VIGAN",
        2.1480,
    );
    finess.precision = Precision::Street;
    let bpe = rec(
        "bpe:2025:81004:D307:2",
        "Pharmacie du Vigan",
        k,
        1,
        "3",
        "Place du Vigan",
        2.1481,
    );
    let mut rpps = rec(
        "rpps:1:S9",
        "PHARMACIE DU VIGAN",
        k,
        2,
        "3",
        "PLACE DU VIGAN",
        0.0,
    );
    rpps.position = None;
    rpps.precision = Precision::Unknown;
    let mut ds = dataset(vec![
        (maillage::sources::finess::FORMAT, vec![finess]),
        (maillage::sources::bpe::XY, vec![bpe]),
        (maillage::sources::rpps::FORMAT, vec![rpps]),
    ]);
    let report = merge(&mut ds);
    assert_eq!(report.links.len(), 2, "{:?}", report.links);
    assert!(report.links.iter().all(|l| l.primary == "finess:810000050"));
    assert_eq!(ds.actors.len(), 1);
    let a = &ds.actors[0];
    assert_eq!(
        a.precision,
        Precision::Address,
        "the better position is kept"
    );
    let dir = Directory::build(ds);
    for id in ["finess:810000050", "bpe:2025:81004:D307:2", "rpps:1:S9"] {
        assert_eq!(dir.find(id), Some(0), "{id}");
    }
}
