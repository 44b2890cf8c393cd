//! The list of sources `maillage fetch` downloads: a TOML file, embedded by default
//! (`data/sources.toml`) and replaceable with `--config`.
//!
//! ```
//! use maillage::fetch::config::{SourcesConfig, CutFormat};
//! let cfg = SourcesConfig::builtin().unwrap();
//! assert!(cfg.sources.iter().any(|s| s.format == CutFormat::Finess));
//! let own = SourcesConfig::parse(r#"
//!     [[source]]
//!     id = "finess"
//!     nom = "FINESS"
//!     url = "http://127.0.0.1:8000/finess.csv"
//!     format = "finess"
//!     fichier = "finess.csv"
//! "#, "mon.toml").unwrap();
//! assert_eq!(own.sources[0].archive, None);
//! ```

use std::path::Path;

use serde::Deserialize;

use super::FetchError;

/// The embedded default configuration.
pub const BUILTIN: &str = include_str!("../../data/sources.toml");

/// How a downloaded file is cut to the requested area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CutFormat {
    /// FINESS `etalab-cs1100507`: `structureet` rows by `departement`, their `geolocalisation` rows.
    Finess,
    /// Annuaire Santé `PS_LibreAcces_Personne_activite`: by commune code, else postcode.
    Rpps,
    /// INSEE BPE (points or counts): by `DEP`, `DEPCOM` or SDMX `GEO`.
    Bpe,
    /// GeoJSON FeatureCollection of communes: by the `code` property.
    CommunesGeojson,
    /// JSON array of communes (`decoupage-administratif`): by `code`.
    CommunesJson,
}

/// Compression of the downloaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Archive {
    Zip,
    Gzip,
}

/// One source to download.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SourceConfig {
    /// Short id, used for the cache file name (`finess`).
    pub id: String,
    /// Display name in French.
    pub nom: String,
    pub url: String,
    pub format: CutFormat,
    #[serde(default)]
    pub archive: Option<Archive>,
    /// Zip member to extract; `*` matches any run of characters.
    #[serde(default)]
    pub membre: Option<String>,
    /// Name of the cut file written in the data directory.
    pub fichier: String,
}

/// The geocoder section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GeocoderConfig {
    pub url: String,
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SourcesConfig {
    #[serde(default)]
    pub geocodeur: Option<GeocoderConfig>,
    #[serde(rename = "source", default)]
    pub sources: Vec<SourceConfig>,
    /// OpenStreetMap extracts for the road graph (`telecharger --osm`).
    #[serde(default)]
    pub osm: Option<super::osm::OsmConfig>,
}

impl SourcesConfig {
    /// The embedded configuration.
    pub fn builtin() -> Result<SourcesConfig, FetchError> {
        SourcesConfig::parse(BUILTIN, "data/sources.toml (intégré)")
    }

    /// Reads a configuration file.
    pub fn read(path: &Path) -> Result<SourcesConfig, FetchError> {
        let text = std::fs::read_to_string(path).map_err(|e| FetchError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        SourcesConfig::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a configuration text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<SourcesConfig, FetchError> {
        let cfg: SourcesConfig = toml::from_str(text).map_err(|e| FetchError::Config {
            file: file.to_string(),
            detail: e.to_string(),
        })?;
        let mut ids = std::collections::HashSet::new();
        for s in &cfg.sources {
            let bad = |detail: String| FetchError::Config {
                file: file.to_string(),
                detail,
            };
            if !ids.insert(s.id.as_str()) {
                return Err(bad(format!("source « {} » déclarée deux fois", s.id)));
            }
            if s.id.is_empty()
                || !s
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(format!(
                    "id « {} » : attendu des lettres, chiffres, « - » ou « _ »",
                    s.id
                )));
            }
            if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
                return Err(bad(format!(
                    "source « {} » : url « {} » : attendu une adresse http:// ou https://",
                    s.id, s.url
                )));
            }
            if s.fichier.is_empty() || s.fichier.contains(['/', '\\']) || s.fichier.starts_with('.')
            {
                return Err(bad(format!(
                    "source « {} » : fichier « {} » : attendu un simple nom de fichier",
                    s.id, s.fichier
                )));
            }
            if s.archive == Some(Archive::Zip) && s.membre.is_none() {
                return Err(bad(format!(
                    "source « {} » : archive zip sans « membre » (le fichier à extraire)",
                    s.id
                )));
            }
        }
        Ok(cfg)
    }
}

/// Matches a name against a pattern where `*` stands for any run of characters.
///
/// ```
/// use maillage::fetch::config::wildcard_match;
/// assert!(wildcard_match("BPE*.csv", "BPE24.csv"));
/// assert!(wildcard_match("DS_BPE_*_data.csv", "DS_BPE_2025_data.csv"));
/// assert!(!wildcard_match("DS_BPE_*_data.csv", "DS_BPE_2025_metadata.csv"));
/// ```
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_config_is_valid_and_complete() {
        let cfg = SourcesConfig::builtin().unwrap();
        let formats: Vec<CutFormat> = cfg.sources.iter().map(|s| s.format).collect();
        for f in [
            CutFormat::Finess,
            CutFormat::Rpps,
            CutFormat::Bpe,
            CutFormat::CommunesGeojson,
            CutFormat::CommunesJson,
        ] {
            assert!(formats.contains(&f), "{f:?}");
        }
        assert!(cfg.geocodeur.is_some());
    }

    #[test]
    fn bad_config_names_file_and_source() {
        let e = SourcesConfig::parse(
            "[[source]]\nid='x'\nnom='X'\nurl='ftp://a'\nformat='finess'\nfichier='x.csv'\n",
            "s.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("s.toml") && e.contains("ftp://a"), "{e}");
        let e = SourcesConfig::parse(
            "[[source]]\nid='x'\nnom='X'\nurl='http://a'\nformat='inconnu'\nfichier='x.csv'\n",
            "s.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("s.toml"), "{e}");
    }
}
