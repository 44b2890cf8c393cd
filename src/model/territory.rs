//! Territories: named sets of communes (a CPTS, an EPCI, a département).

use serde::Serialize;

use super::commune::InseeCode;

/// What a territory stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TerritoryKind {
    #[serde(rename = "cpts")]
    Cpts,
    #[serde(rename = "epci")]
    Epci,
    #[serde(rename = "departement")]
    Departement,
    /// Any other set of communes defined in a territory CSV.
    #[serde(rename = "autre")]
    Other,
}

impl TerritoryKind {
    pub fn label(self) -> &'static str {
        match self {
            TerritoryKind::Cpts => "CPTS",
            TerritoryKind::Epci => "EPCI",
            TerritoryKind::Departement => "Département",
            TerritoryKind::Other => "Territoire",
        }
    }
}

/// A named set of communes.
///
/// Its population and outline are computed by the directory from the loaded communes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Territory {
    /// Stable id: `epci:200066124`, `dep:81`, `cpts:cpts-tarn-ouest`.
    pub id: String,
    pub name: String,
    pub kind: TerritoryKind,
    pub communes: Vec<InseeCode>,
    /// Population as declared by the source (EPCI file, CPTS page), when given.
    pub declared_population: Option<u64>,
}

impl Territory {
    /// Builds a territory id from a kind and a free name or code (`cpts`, `CPTS Tarn Ouest` →
    /// `cpts:cpts-tarn-ouest`).
    ///
    /// ```
    /// use maillage::model::{Territory, TerritoryKind};
    /// assert_eq!(Territory::make_id(TerritoryKind::Cpts, "CPTS Tarn Ouest"), "cpts:cpts-tarn-ouest");
    /// assert_eq!(Territory::make_id(TerritoryKind::Epci, "200066124"), "epci:200066124");
    /// ```
    pub fn make_id(kind: TerritoryKind, name_or_code: &str) -> String {
        let prefix = match kind {
            TerritoryKind::Cpts => "cpts",
            TerritoryKind::Epci => "epci",
            TerritoryKind::Departement => "dep",
            TerritoryKind::Other => "territoire",
        };
        format!("{prefix}:{}", super::text::slug(name_or_code))
    }
}
