//! Territorial diagnosis for a CPTS health project: densities, distance to the nearest supply,
//! coverage, 2SFCA accessibility (APL-like), catchments, small-count masking and COG code
//! matching.
//!
//! The computations take plain inputs ([`PlaceSet`], [`SupplySet`]) so that they can be tested
//! on hand-made cases; [`build`] turns a loaded [`crate::index::Directory`] into those inputs and
//! [`diagnose`] assembles everything for one territory.
//!
//! ```
//! use maillage::analysis::{diagnose, DiagnosticParams, SupplySource};
//! use maillage::index::Directory;
//! let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
//! let params = DiagnosticParams { kinds: vec!["ehpad".into()], ..Default::default() };
//! let d = diagnose(&dir, "81", &params).unwrap().diagnostic;
//! assert_eq!(d.territoire.id, "dep:81");
//! assert_eq!(d.comparaisons[0].niveau, "territoire");
//! ```

pub mod build;
pub mod catchment;
pub mod cog;
pub mod coverage;
pub mod diagnostic;
pub mod fca;
pub mod indicators;
pub mod inputs;
pub mod masking;
pub mod regions;
pub mod travel;

pub use build::{resolve_territory, SupplySource};
pub use catchment::{around, around_by_road, catchments, Catchment, RoadReach};
pub use coverage::{
    coverage, coverage_of, covered_by_distance, nearest_supply, Coverage, CoverageBasis,
    CoverageChoice, Nearest,
};
pub use diagnostic::{diagnose, Computed, Diagnostic, DiagnosticParams, KindRun};
pub use fca::{two_step_fca, weighted_mean, DecayUnit, FcaResult, StepDecay};
pub use inputs::{Place, PlaceSet, PointKind, SupplyPoint, SupplySet};
pub use travel::{rerank_by_road, Reach, RoadRanking, Travel, TravelModel};

/// Errors of the analysis: bad parameters, unknown territory or kind, bad supply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("paramètre « {name} » invalide : attendu {expected}, trouvé « {found} »")]
    Parameter {
        name: &'static str,
        expected: String,
        found: String,
    },
    #[error("territoire « {given} » inconnu ; attendu un identifiant de /api/territories, un code de département (81) ou un SIREN d'EPCI ; territoires chargés : {}", known.join(", "))]
    UnknownTerritory { given: String, known: Vec<String> },
    #[error("type d'acteur « {given} » inconnu ; types valides : {}", known.join(", "))]
    UnknownKind { given: String, known: Vec<String> },
    #[error("point d'offre « {key} » invalide : {detail}")]
    Supply { key: String, detail: String },
    #[error("{0}")]
    Routing(#[from] crate::routing::RoutingError),
}
