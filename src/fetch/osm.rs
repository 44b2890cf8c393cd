//! `maillage telecharger --osm`: the OpenStreetMap extracts covering an area, for the road
//! graph (`maillage routage preparer`). Geofabrik cuts France by the 27 former régions (before
//! 2016), so an area maps to one or more extracts: département 81 → `midi-pyrenees`, région 76
//! (Occitanie) → `languedoc-roussillon` and `midi-pyrenees`. Downloads share the cache, resume
//! and manifest of the other sources; the extracts are written as
//! `<dossier>/osm/<extrait>.osm.pbf`.

use std::collections::BTreeSet;
use std::io::Write;

use serde::Deserialize;

use super::area::Area;
use super::cut::CutStats;
use super::download::Downloader;
use super::manifest::{Manifest, MANIFEST_FILE};
use super::{manifest_entry, read_manifest, write_atomic, FetchError, CACHE_DIR};

/// The `[osm]` section of `data/sources.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OsmConfig {
    /// Display name in French.
    pub nom: String,
    /// URL template; `{extrait}` is the Geofabrik name of the former région.
    pub url: String,
}

/// Former région (Geofabrik extract name) of each département.
const FORMER_REGIONS: [(&str, &[&str]); 27] = [
    ("alsace", &["67", "68"]),
    ("aquitaine", &["24", "33", "40", "47", "64"]),
    ("auvergne", &["03", "15", "43", "63"]),
    ("basse-normandie", &["14", "50", "61"]),
    ("bourgogne", &["21", "58", "71", "89"]),
    ("bretagne", &["22", "29", "35", "56"]),
    ("centre", &["18", "28", "36", "37", "41", "45"]),
    ("champagne-ardenne", &["08", "10", "51", "52"]),
    ("corse", &["2A", "2B"]),
    ("franche-comte", &["25", "39", "70", "90"]),
    ("guadeloupe", &["971"]),
    ("guyane", &["973"]),
    ("haute-normandie", &["27", "76"]),
    (
        "ile-de-france",
        &["75", "77", "78", "91", "92", "93", "94", "95"],
    ),
    ("languedoc-roussillon", &["11", "30", "34", "48", "66"]),
    ("limousin", &["19", "23", "87"]),
    ("lorraine", &["54", "55", "57", "88"]),
    ("martinique", &["972"]),
    ("mayotte", &["976"]),
    (
        "midi-pyrenees",
        &["09", "12", "31", "32", "46", "65", "81", "82"],
    ),
    ("nord-pas-de-calais", &["59", "62"]),
    ("pays-de-la-loire", &["44", "49", "53", "72", "85"]),
    ("picardie", &["02", "60", "80"]),
    ("poitou-charentes", &["16", "17", "79", "86"]),
    (
        "provence-alpes-cote-d-azur",
        &["04", "05", "06", "13", "83", "84"],
    ),
    ("reunion", &["974"]),
    (
        "rhone-alpes",
        &["01", "07", "26", "38", "42", "69", "73", "74"],
    ),
];

/// The Geofabrik extracts covering an area (sorted); `france` for all of France.
///
/// ```
/// use maillage::fetch::{area::Area, osm::extracts};
/// let a = Area::new(&["81".into()], &[], false).unwrap();
/// assert_eq!(extracts(&a), vec!["midi-pyrenees"]);
/// let occitanie = Area::new(&[], &["76".into()], false).unwrap();
/// assert_eq!(extracts(&occitanie), vec!["languedoc-roussillon", "midi-pyrenees"]);
/// ```
pub fn extracts(area: &Area) -> Vec<&'static str> {
    if area.france {
        return vec!["france"];
    }
    let mut out = BTreeSet::new();
    for d in &area.departements {
        if let Some((name, _)) = FORMER_REGIONS
            .iter()
            .find(|(_, ds)| ds.contains(&d.as_str()))
        {
            out.insert(*name);
        }
    }
    out.into_iter().collect()
}

/// Downloads the extracts of `area` into `dir/osm/`, recording them in `dir/manifest.json`
/// (entries `osm-<extrait>`, other entries kept). Returns the written files.
pub fn fetch_osm(
    config: &OsmConfig,
    area: &Area,
    dir: &std::path::Path,
    progress: bool,
    log: &mut dyn Write,
) -> Result<Vec<std::path::PathBuf>, FetchError> {
    let names = extracts(area);
    if names.is_empty() {
        return Err(FetchError::Area {
            detail: format!("aucun extrait OpenStreetMap connu pour {}", area.label()),
        });
    }
    let osm_dir = dir.join("osm");
    std::fs::create_dir_all(&osm_dir).map_err(|e| FetchError::io(&osm_dir, e))?;
    let downloader = Downloader::new(&dir.join(CACHE_DIR), progress)?;
    let mut manifest = read_manifest(dir).unwrap_or_else(|| Manifest {
        version: env!("CARGO_PKG_VERSION").to_string(),
        date: crate::util::date::now(),
        zone: area.label(),
        france: area.france,
        fichiers: Vec::new(),
    });
    let mut written = Vec::new();
    for name in names {
        let url = config.url.replace("{extrait}", name);
        let id = format!("osm-{name}");
        let label = format!("{} : {name}", config.nom);
        let _ = writeln!(log, "{label} : {url}");
        let d = downloader.get(&id, &label, &url)?;
        let file = format!("{name}.osm.pbf");
        let out = osm_dir.join(&file);
        let tmp = crate::util::fs::temp_path(&out);
        let _ = std::fs::remove_file(&tmp);
        std::fs::hard_link(&d.path, &tmp)
            .or_else(|_| std::fs::copy(&d.path, &tmp).map(|_| ()))
            .and_then(|()| std::fs::rename(&tmp, &out))
            .map_err(|e| FetchError::io(&out, e))?;
        let _ = writeln!(log, "  {} → {}", d.status.label(), out.display());
        manifest.fichiers.retain(|f| f.id != id);
        manifest.fichiers.push(manifest_entry(
            (&id, &label, &url),
            &d,
            &format!("osm/{file}"),
            &out,
            &CutStats::default(),
            area,
        )?);
        written.push(out);
    }
    manifest.date = crate::util::date::now();
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    write_atomic(&dir.join(MANIFEST_FILE), &json)?;
    Ok(written)
}
