//! In-memory indexes: actors in R-trees, communes in a polygon R-tree, text search.

pub mod areas;
pub mod communes;
pub mod directory;
mod local;
pub mod spatial;
pub mod text;

pub use directory::{ActorFilter, Directory, HitCategory, SearchHit, TerritoryEntry};
pub use local::RECENT_LIMIT;
