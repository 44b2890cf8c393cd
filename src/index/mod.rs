//! In-memory indexes: actors in R-trees, communes in a polygon R-tree, text search.

pub mod spatial;
