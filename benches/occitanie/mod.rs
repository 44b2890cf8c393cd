//! The Occitanie data shared by the analysis and routing benches: 4 485 communes (COG 2018
//! contours), their populations and the BPE 2018 health and social equipment counts, read from
//! ../shared/data.

use maillage::analysis::{SupplyPoint, SupplySet};
use maillage::index::Directory;
use maillage::sources::Dataset;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// The Occitanie directory; `None` without ../shared/data.
pub fn directory() -> Option<Directory> {
    let mut ds = Dataset::new();
    for (file, format) in [
        (
            "geo/communes-occitanie.geojson",
            maillage::sources::communes_geojson::FORMAT,
        ),
        (
            "admin/communes_occitanie_decoupage_admin_v6.csv",
            maillage::sources::decoupage::COMMUNES_CSV,
        ),
        (
            "bpe/bpe2018_ensemble_occitanie_sante_social.csv",
            maillage::sources::bpe::ENSEMBLE,
        ),
    ] {
        let path = format!("{DATA}/{file}");
        let bytes = std::fs::read(&path).ok()?;
        ds.load_bytes(&path, format, &bytes).expect("load");
    }
    Some(Directory::build(ds))
}

/// The BPE equipment counts whose type `keep` accepts, one supply point per commune and type
/// at the commune's centroid.
pub fn bpe_supply(dir: &Directory, keep: impl Fn(&str) -> bool) -> SupplySet {
    let points: Vec<SupplyPoint> = dir
        .equipment_counts()
        .iter()
        .filter(|e| keep(&e.typequ))
        .filter_map(|e| {
            let p = dir.commune(e.commune)?.centroid()?;
            Some(SupplyPoint::new(
                &format!("bpe:{}:{}", e.commune, e.typequ),
                &e.typequ,
                p,
                e.count as f64,
            ))
        })
        .collect();
    SupplySet::new(points).unwrap()
}
