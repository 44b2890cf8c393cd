//! Orientation procedures: "for this situation, at this address, whom do I call?"
//!
//! A procedure is a TOML file (one per situation, format in `procedures/MODELE.toml`) co-built
//! by the CPTS and the support structures of its territory. It lists ordered steps; each step
//! names kinds of structures and how to choose among them: `competent` (service area contains
//! the patient's commune or point), `plus_proche` (nearest within N km), `tous_dans_rayon`, or
//! named actors, with a fallback step when nothing matches.
//!
//! - [`procedure`]: the model and its TOML parsing with `file:line` errors;
//! - [`check`]: checks against the loaded directory and between procedures;
//! - [`set`]: loading a folder (or the embedded demo), reloading without losing a working file;
//! - [`place`]: where the patient is (point, commune, address reduced to its commune);
//! - [`evaluate`]: the answer, step by step, with contact details, distances and reasons;
//! - [`sheet`]: the printable A4 sheet with a QR code, and the batch mode per territory.
//!
//! ```
//! use maillage::index::Directory;
//! use maillage::orientation::{evaluate, place, ProcedureSet};
//! let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
//! let (set, problems) = ProcedureSet::demo(&dir);
//! assert!(!problems.iter().any(|p| p.is_error()));
//! let p = set.get("sans-medecin-traitant").unwrap();
//! let at = place::locate(&dir, &place::PlaceQuery::Commune("81099".parse().unwrap())).unwrap();
//! let answer = evaluate::evaluate(&dir, p, &at, Some(40));
//! assert!(answer.applicable);
//! ```

pub mod check;
pub mod cli;
pub mod evaluate;
pub mod place;
pub mod procedure;
pub mod set;
pub mod sheet;

pub use evaluate::{evaluate, Orientation};
pub use place::{locate, Place, PlaceQuery};
pub use procedure::{parse, Problem, Procedure, Rule, Severity, Step};
pub use set::{Origin, ProcedureSet, SetError};
