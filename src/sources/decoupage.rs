//! (stub, being written)
#![allow(unused)]
use super::{FileReport, Imported, SourceError};

pub fn read_communes_json(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    Err(SourceError::Invalid { file: file.into(), detail: "importeur en cours d'écriture".into() })
}
pub fn read_epci_json(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    Err(SourceError::Invalid { file: file.into(), detail: "importeur en cours d'écriture".into() })
}
pub fn read_communes_csv(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    Err(SourceError::Invalid { file: file.into(), detail: "importeur en cours d'écriture".into() })
}
