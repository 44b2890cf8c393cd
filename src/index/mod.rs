//! In-memory indexes: actors in R-trees, communes in a polygon R-tree, text search.

pub mod areas;
pub mod communes;
pub mod directory;
pub mod lists;
mod local;
pub mod spatial;
pub mod text;

pub use directory::{ActorFilter, Directory, HitCategory, MemoryUse, SearchHit, TerritoryEntry};
/// Every answer of one directory equals that of another (tests of incremental publication).
#[cfg(test)]
pub(crate) use local::tests::same_answers;
pub use local::RECENT_LIMIT;
