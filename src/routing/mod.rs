//! Road travel times from a running **Valhalla** routing engine, reached over HTTP (no router of
//! our own): snapping points to the road network (`/locate`), travel-time matrices
//! (`/sources_to_targets`, batched within the engine's limits, in parallel, cached per pair of
//! points in a file written next to the data with the extract's date) and isochrones
//! (`/isochrone`). [`prepare`] builds the road graph of a region with `valhalla_build_tiles`
//! and writes the engine's configuration.
//!
//! The analysis ([`crate::analysis::travel`]) uses an [`Engine`] when one is configured, and
//! the great-circle estimate otherwise.

pub mod engine;
pub mod prepare;

pub use engine::{Engine, EngineOptions, Leg, Snap, Unroutable};
pub use prepare::{prepare, ExtractDate, Prepared, RoutingSetup, SETUP_FILE};

/// Errors of the routing engine client and of the road-graph preparation, in French.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoutingError {
    #[error("moteur de routage injoignable à {url} : {detail} (démarrez-le : voir « maillage routage preparer »)")]
    Unreachable { url: String, detail: String },
    #[error("le moteur de routage ({url}) n'a pas répondu en {seconds} s ; relancez avec un délai plus long ou choisissez le repli sur l'estimation")]
    Timeout { url: String, seconds: u64 },
    #[error("le moteur de routage ({url}) a refusé la requête {action} : {message}")]
    Engine {
        url: String,
        action: &'static str,
        message: String,
    },
    #[error("réponse inattendue du moteur de routage ({url}, {action}) : {detail}")]
    Answer {
        url: String,
        action: &'static str,
        detail: String,
    },
    #[error("{path} : {detail}")]
    File { path: String, detail: String },
    #[error("{path}:{line} : ligne du cache des temps routiers invalide, attendu {expected}, trouvé « {found} »")]
    CacheLine {
        path: String,
        line: usize,
        expected: &'static str,
        found: String,
    },
    #[error("{program} introuvable{hint}")]
    MissingProgram { program: String, hint: String },
    #[error("{program} a échoué ({status}) : {stderr}")]
    Program {
        program: String,
        status: String,
        stderr: String,
    },
}

/// French label of the road model, said wherever a road time is shown:
/// « réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026 ».
///
/// ```
/// assert_eq!(
///     maillage::routing::road_label(Some("2026-11-15")),
///     "réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026"
/// );
/// assert_eq!(
///     maillage::routing::road_label(None),
///     "réseau routier OpenStreetMap (Valhalla), extrait de date inconnue"
/// );
/// ```
pub fn road_label(extract_date: Option<&str>) -> String {
    match extract_date {
        Some(d) => format!(
            "réseau routier OpenStreetMap (Valhalla), extrait du {}",
            crate::util::date::french(d)
        ),
        None => "réseau routier OpenStreetMap (Valhalla), extrait de date inconnue".into(),
    }
}

/// The longest travel time the analyses accept, in minutes (coverage threshold, 2SFCA steps):
/// the engine prepared by `maillage routage preparer` is configured to answer matrices that long
/// ([`prepare`]).
pub const MAX_TRAVEL_MINUTES: f64 = 180.0;

/// French label of the estimate model.
pub const ESTIMATE_LABEL: &str = "estimation à vol d'oiseau × détour";
