//! `manifest.json`: what `maillage fetch` wrote, from where, when, with checksums.

use serde::{Deserialize, Serialize};

/// One fetched source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Source id from the configuration (`finess`).
    pub id: String,
    /// Source name (`FINESS – extraction Etalab…`).
    pub source: String,
    pub url: String,
    /// When the downloaded copy was obtained (RFC 3339, UTC).
    pub date_telechargement: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Bytes of the download (before decompression and cutting).
    pub taille: u64,
    /// SHA-256 of the download.
    pub sha256: String,
    /// How the download went: `telecharge`, `repris`, `inchange`, `hors_ligne_cache`.
    pub statut: String,
    /// The cut file, in the data directory.
    pub fichier: String,
    /// Bytes of the cut file.
    pub taille_fichier: u64,
    /// SHA-256 of the cut file.
    pub sha256_fichier: String,
    /// Rows (or JSON elements) read from the source, header excluded.
    pub lignes_lues: u64,
    /// Rows kept for the area.
    pub lignes: u64,
    /// Départements of the area (empty for all of France).
    pub departements: Vec<String>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `maillage` version that wrote it.
    pub version: String,
    /// When the fetch ran (RFC 3339, UTC).
    pub date: String,
    /// `département 81`, `France entière`…
    pub zone: String,
    pub france: bool,
    pub fichiers: Vec<ManifestEntry>,
}

/// File name of the manifest in the data directory.
pub const MANIFEST_FILE: &str = "manifest.json";
