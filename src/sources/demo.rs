//! (stub, being written by the demo-data task; it replaces this file)

use super::{Dataset, SourceError};

/// The embedded demo territory.
pub fn dataset() -> Result<Dataset, SourceError> {
    let mut ds = Dataset::new();
    ds.place_unlocated_actors();
    Ok(ds)
}
