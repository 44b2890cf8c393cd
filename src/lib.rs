//! # maillage
//!
//! A map-backed directory of health, medico-social and social resources for French CPTS
//! (Communautés Professionnelles Territoriales de Santé).
//!
//! Data flows one way:
//! [`sources`] (official files, local CSV) → [`model`] (actors, communes, territories)
//! → [`index`] (R-trees, text search) → [`server`] (HTTP API and embedded map page).
//! [`pipeline`] is the one way every command loads data (files, snapshot or demo, then
//! geocoding cache and merged duplicates).

pub mod analysis;
pub mod dedup;
pub mod export;
pub mod fetch;
pub mod geocode;
pub mod index;
pub mod model;
pub mod orientation;
pub mod pipeline;
pub mod routing;
pub mod server;
pub mod sources;
pub mod store;
pub mod util;
