//! (stub, being written)
#![allow(unused)]
use super::{FileReport, Imported, SourceError};
use crate::model::{KindTable, SourceId};

pub fn read_ensemble(bytes: &[u8], file: &str, kinds: &KindTable) -> Result<(Imported, FileReport), SourceError> {
    Err(SourceError::Invalid { file: file.into(), detail: "importeur en cours d'écriture".into() })
}
pub fn read_xy(bytes: &[u8], file: &str, source: SourceId, kinds: &KindTable) -> Result<(Imported, FileReport), SourceError> {
    Err(SourceError::Invalid { file: file.into(), detail: "importeur en cours d'écriture".into() })
}
