//! The one table of the diagnosis's indicators: id, French label and header, unit, decimals,
//! and where each value is read. The CSV and GeoJSON columns, the HTML report, the SVG/PNG map
//! legends, the page (served in the diagnostic answer and at `/api/diagnostic/indicateurs`)
//! and the API documentation all read it.
//!
//! **Adding an indicator**: compute its value in [`super::diagnostic`] (a field of
//! [`CommuneCell`], or of [`CommuneRow`] when it does not depend on the kind), then add one
//! line to [`COMMUNE_INDICATORS`] (with a [`Meta`] constant beside it; and a line to
//! [`AREA_INDICATORS`] for its territory figure).
//!
//! Coverage labels hold `{couverture}`, replaced by the kind's definition
//! ([`KindInfo::couverture_libelle`]), and coverage columns `{definition}`, replaced by its id:
//! every table, map and file says which definition of « covered » it shows.
//!
//! ```
//! use maillage::analysis::indicators::{commune_indicator, COMMUNE_INDICATORS};
//! let d = commune_indicator("densite").unwrap();
//! assert_eq!((d.label, d.decimals), ("Densité pour 10 000 habitants", 2));
//! assert!(COMMUNE_INDICATORS.iter().any(|d| d.id == "couverture"));
//! ```

use serde::Serialize;

use super::coverage::CoverageChoice;
use super::diagnostic::{AreaCell, AreaRow, CommuneCell, CommuneRow, KindInfo};
use super::masking::Masked;

/// What kind of value an indicator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Genre {
    /// A number (possibly masked as « < 5 »).
    #[serde(rename = "nombre")]
    Number,
    /// Yes or no.
    #[serde(rename = "oui_non")]
    Flag,
    /// Text.
    #[serde(rename = "texte")]
    Text,
}

/// One value of an indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    /// A number, or masked, or missing.
    Num(Option<Masked<f64>>),
    Flag(Option<bool>),
    Text(Option<&'a str>),
}

impl Val<'_> {
    fn num(x: Option<f64>) -> Val<'static> {
        Val::Num(x.map(Masked::Value))
    }

    fn count(x: Masked<u64>) -> Val<'static> {
        Val::Num(Some(match x {
            Masked::Value(v) => Masked::Value(v as f64),
            Masked::Small => Masked::Small,
        }))
    }

    /// The value as a number, for maps: yes is 1, no is 0; `None` when missing, masked or text.
    pub fn number(&self) -> Option<f64> {
        match *self {
            Val::Num(Some(Masked::Value(v))) => Some(v),
            Val::Flag(Some(b)) => Some(if b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }
}

/// What an indicator is: id, labels, unit, decimals, where its value and column are. Shared
/// by the per-commune and the area tables where the concept is the same.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Meta {
    /// Id in parameters (`indicateur=densite`).
    pub id: &'static str,
    /// Field of the JSON row or cell holding the value (`densite_10000`; dotted for a nested
    /// field).
    #[serde(rename = "champ")]
    pub field: &'static str,
    /// CSV and GeoJSON column (after `<type>_` when per kind).
    #[serde(rename = "colonne")]
    pub column: &'static str,
    /// Full French label with unit (map legends, selectors).
    #[serde(rename = "libelle")]
    pub label: &'static str,
    /// Short table header.
    #[serde(rename = "entete")]
    pub header: &'static str,
    /// Unit in words (empty when none).
    #[serde(rename = "unite")]
    pub unit: &'static str,
    /// Decimals shown (tables, CSV, legends).
    #[serde(rename = "decimales")]
    pub decimals: usize,
    /// Factor from the JSON field to the value shown (100 for a share shown in %).
    #[serde(rename = "echelle")]
    pub scale: f64,
    /// One value per kind (else one per row).
    #[serde(rename = "par_type")]
    pub per_kind: bool,
    pub genre: Genre,
    /// An estimate (travel times), flagged as such on screen.
    pub estimation: bool,
}

impl Meta {
    /// The label for a kind: `{couverture}` replaced by the kind's coverage definition.
    pub fn label_for(&self, kind: &KindInfo) -> String {
        self.label.replace("{couverture}", &kind.couverture_libelle)
    }

    /// The header for a kind: `{couverture}` replaced by the kind's coverage definition.
    pub fn header_for(&self, kind: &KindInfo) -> String {
        self.header
            .replace("{couverture}", &kind.couverture_libelle)
    }

    /// The CSV/GeoJSON column for a kind (`ssiad_couverte_zone_intervention`), or the bare
    /// column for a per-row indicator.
    pub fn column_for(&self, kind: &KindInfo) -> String {
        let col = self.column.replace("{definition}", kind.couverture.id());
        if self.per_kind {
            format!("{}_{col}", kind.id)
        } else {
            col
        }
    }
}

/// A line of an indicator table: what the indicator is, whether it can be mapped, and the
/// function reading its value from a row `R` and the cell `C` of one kind.
#[derive(Debug, Serialize)]
pub struct Descriptor<R: 'static, C: 'static> {
    #[serde(flatten)]
    pub meta: Meta,
    /// Can be mapped.
    pub carte: bool,
    #[serde(skip)]
    pub get: for<'a> fn(&'a R, &'a C) -> Val<'a>,
}

impl<R, C> std::ops::Deref for Descriptor<R, C> {
    type Target = Meta;

    fn deref(&self) -> &Meta {
        &self.meta
    }
}

/// A per-commune indicator.
pub type CommuneIndicator = Descriptor<CommuneRow, CommuneCell>;
/// A figure of an area (territory, département, région).
pub type AreaIndicator = Descriptor<AreaRow, AreaCell>;

impl<R, C> Descriptor<R, C> {
    /// A line of a table for an indicator that can be mapped.
    pub const fn mapped(meta: Meta, get: for<'a> fn(&'a R, &'a C) -> Val<'a>) -> Self {
        Descriptor {
            meta,
            carte: true,
            get,
        }
    }

    /// A line of a table for an indicator shown in tables and files only.
    pub const fn table(meta: Meta, get: for<'a> fn(&'a R, &'a C) -> Val<'a>) -> Self {
        Descriptor {
            meta,
            carte: false,
            get,
        }
    }

    /// The value shown for a row and one kind's cell (the JSON field times [`Meta::scale`]).
    pub fn value<'a>(&self, row: &'a R, cell: &'a C) -> Val<'a> {
        match (self.get)(row, cell) {
            Val::Num(Some(Masked::Value(v))) => Val::Num(Some(Masked::Value(v * self.scale))),
            other => other,
        }
    }
}

/// Municipal population.
pub const POPULATION: Meta = Meta {
    id: "population",
    field: "population",
    column: "population",
    label: "Population municipale",
    header: "Population",
    unit: "habitants",
    decimals: 0,
    scale: 1.0,
    per_kind: false,
    genre: Genre::Number,
    estimation: false,
};

/// Count of supply (actors or BPE equipment).
pub const COUNT: Meta = Meta {
    id: "effectif",
    field: "effectif",
    column: "effectif",
    label: "Effectif (nombre)",
    header: "Effectif",
    unit: "nombre",
    decimals: 0,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Count per 10 000 inhabitants.
pub const DENSITY: Meta = Meta {
    id: "densite",
    field: "densite_10000",
    column: "densite_10000_hab",
    label: "Densité pour 10 000 habitants",
    header: "Densité /10 000 hab.",
    unit: "pour 10 000 habitants",
    decimals: 2,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Great-circle distance to the nearest supply.
pub const DISTANCE: Meta = Meta {
    id: "distance",
    field: "distance_km",
    column: "distance_km",
    label: "Distance à l'offre la plus proche (km à vol d'oiseau)",
    header: "Distance (km)",
    unit: "km à vol d'oiseau",
    decimals: 1,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Estimated travel time to the nearest supply.
pub const TIME: Meta = Meta {
    id: "temps",
    field: "temps_estime_min",
    column: "temps_estime_min",
    label: "Temps estimé vers l'offre la plus proche (min, estimation)",
    header: "Temps estimé (min)",
    unit: "minutes (estimation)",
    decimals: 0,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: true,
};

/// Covered under the kind's definition.
pub const COVERED: Meta = Meta {
    id: "couverture",
    field: "couverte",
    column: "couverte_{definition}",
    label: "Commune couverte {couverture} (1 = oui, 0 = zone blanche)",
    header: "Couverte {couverture}",
    unit: "",
    decimals: 0,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Flag,
    estimation: false,
};

/// 2SFCA accessibility.
pub const APL: Meta = Meta {
    id: "apl",
    field: "apl_10000",
    column: "apl_10000_hab",
    label: "Accessibilité 2SFCA pour 10 000 habitants",
    header: "APL 2SFCA /10 000",
    unit: "offre pour 10 000 habitants",
    decimals: 2,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Name of the nearest supply.
pub const NEAREST: Meta = Meta {
    id: "plus_proche",
    field: "plus_proche_nom",
    column: "offre_la_plus_proche",
    label: "Offre la plus proche",
    header: "Offre la plus proche",
    unit: "",
    decimals: 0,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Text,
    estimation: false,
};

/// Inhabitants of covered communes.
pub const POPULATION_COVERED: Meta = Meta {
    id: "population_couverte",
    field: "couverture.population_couverte",
    column: "population_couverte_{definition}",
    label: "Population couverte {couverture}",
    header: "Population couverte {couverture}",
    unit: "habitants",
    decimals: 0,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Covered share of the population.
pub const SHARE_COVERED: Meta = Meta {
    id: "part_couverte",
    field: "couverture.part_couverte",
    column: "part_couverte_{definition}_pct",
    label: "Part de la population couverte {couverture} (%)",
    header: "Part couverte {couverture} (%)",
    unit: "%",
    decimals: 1,
    scale: 100.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Population-weighted mean distance.
pub const MEAN_DISTANCE: Meta = Meta {
    id: "distance_moyenne",
    field: "distance_moyenne_km",
    column: "distance_moyenne_km",
    label:
        "Distance moyenne à l'offre la plus proche, pondérée par la population (km à vol d'oiseau)",
    header: "Distance moyenne (km)",
    unit: "km à vol d'oiseau",
    decimals: 1,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// Population-weighted mean 2SFCA accessibility.
pub const MEAN_APL: Meta = Meta {
    id: "apl_moyenne",
    field: "apl_moyenne_10000",
    column: "apl_moyenne_10000_hab",
    label: "Accessibilité 2SFCA moyenne pour 10 000 habitants",
    header: "APL moyenne /10 000",
    unit: "offre pour 10 000 habitants",
    decimals: 2,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Number,
    estimation: false,
};

/// A count masked as « < 5 » (statistical secrecy): yes when the kind's count in the commune
/// is between 1 and 4 and masking is on; the density derived from it is masked too.
pub const MASKED: Meta = Meta {
    id: "masque",
    field: "effectif",
    column: "effectif_masque",
    label: "Effectif masqué (de 1 à 4 : « < 5 », secret statistique)",
    header: "Effectif masqué",
    unit: "",
    decimals: 0,
    scale: 1.0,
    per_kind: true,
    genre: Genre::Flag,
    estimation: false,
};

/// The file column of [`MASKED`]. CSV and GeoJSON leave a masked value empty (null) in its
/// numeric column, which stays numeric for QGIS and spreadsheets, and say « masqué » here;
/// tables and maps show « < 5 » in place.
pub static MASKED_COLUMN: CommuneIndicator =
    Descriptor::table(MASKED, |_, c| Val::Flag(Some(c.effectif == Masked::Small)));

/// Per-commune indicators, in column order.
pub const COMMUNE_INDICATORS: &[CommuneIndicator] = &[
    Descriptor::mapped(POPULATION, |r, _| Val::num(r.population.map(|p| p as f64))),
    Descriptor::mapped(COUNT, |_, c| Val::count(c.effectif)),
    Descriptor::mapped(DENSITY, |_, c| Val::Num(c.densite_10000)),
    Descriptor::mapped(DISTANCE, |_, c| Val::num(c.distance_km)),
    Descriptor::mapped(TIME, |_, c| Val::num(c.temps_estime_min)),
    Descriptor::mapped(COVERED, |_, c| Val::Flag(c.couverte)),
    Descriptor::mapped(APL, |_, c| Val::num(c.apl_10000)),
    Descriptor::table(NEAREST, |_, c| Val::Text(c.plus_proche_nom.as_deref())),
];

/// Figures of a territory, département or région, in column order.
pub const AREA_INDICATORS: &[AreaIndicator] = &[
    Descriptor::table(POPULATION, |a, _| Val::num(Some(a.population as f64))),
    Descriptor::table(COUNT, |_, c| Val::count(c.effectif)),
    Descriptor::table(DENSITY, |_, c| Val::Num(c.densite_10000)),
    Descriptor::table(POPULATION_COVERED, |_, c| {
        Val::num(Some(c.couverture.population_covered as f64))
    }),
    Descriptor::table(SHARE_COVERED, |_, c| Val::num(c.couverture.share)),
    Descriptor::table(MEAN_DISTANCE, |_, c| Val::num(c.distance_moyenne_km)),
    Descriptor::table(MEAN_APL, |_, c| Val::num(c.apl_moyenne_10000)),
];

/// A per-commune indicator by id (accents and case ignored: `densité`, `APL`).
pub fn commune_indicator(id: &str) -> Option<&'static CommuneIndicator> {
    let f = crate::model::text::compact(id);
    COMMUNE_INDICATORS
        .iter()
        .find(|d| crate::model::text::compact(d.id) == f)
}

/// The definitions of « covered » one can ask for, served as `[{id, libelle}]`.
#[derive(Debug, Clone, Copy)]
pub struct CoverageChoices;

impl Serialize for CoverageChoices {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Choice {
            id: CoverageChoice,
            libelle: &'static str,
        }
        s.collect_seq(CoverageChoice::ALL.iter().map(|&c| Choice {
            id: c,
            libelle: c.label(),
        }))
    }
}

/// Both tables and the coverage choices, as served to the page.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Descriptors {
    pub communes: &'static [CommuneIndicator],
    pub comparaisons: &'static [AreaIndicator],
    pub couvertures: CoverageChoices,
}

/// The tables as served.
pub const DESCRIPTORS: Descriptors = Descriptors {
    communes: COMMUNE_INDICATORS,
    comparaisons: AREA_INDICATORS,
    couvertures: CoverageChoices,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{diagnose, DiagnosticParams};
    use crate::index::Directory;

    fn field<'v>(v: &'v serde_json::Value, path: &str) -> &'v serde_json::Value {
        path.split('.').fold(v, |v, k| &v[k])
    }

    /// Every descriptor's `champ` names the JSON field holding the value the table reads.
    #[test]
    fn fields_name_the_json_values() {
        let dir = Directory::build(crate::sources::demo::dataset().unwrap());
        let params = DiagnosticParams {
            kinds: vec!["ehpad".into(), "ssiad".into()],
            ..Default::default()
        };
        let d = diagnose(&dir, "81", &params).unwrap().diagnostic;
        let json = serde_json::to_value(&d).unwrap();
        for (row, jrow) in d.communes.iter().zip(json["communes"].as_array().unwrap()) {
            for (k, cell) in row.indicateurs.iter().enumerate() {
                for ind in COMMUNE_INDICATORS {
                    let j = if ind.per_kind {
                        field(&jrow["indicateurs"][k], ind.field)
                    } else {
                        field(jrow, ind.field)
                    };
                    let expected = match ind.value(row, cell) {
                        Val::Num(Some(Masked::Value(v))) => serde_json::json!(v),
                        Val::Num(Some(Masked::Small)) => serde_json::json!("< 5"),
                        Val::Num(None) | Val::Flag(None) | Val::Text(None) => {
                            serde_json::Value::Null
                        }
                        Val::Flag(Some(b)) => serde_json::json!(b),
                        Val::Text(Some(t)) => serde_json::json!(t),
                    };
                    match (j.as_f64(), expected.as_f64()) {
                        (Some(a), Some(b)) => {
                            assert!((a * ind.scale - b).abs() < 1e-9, "{}", ind.id)
                        }
                        _ => assert_eq!(j, &expected, "{} of {}", ind.id, row.code),
                    }
                }
            }
        }
        for (a, ja) in d
            .comparaisons
            .iter()
            .zip(json["comparaisons"].as_array().unwrap())
        {
            for (k, cell) in a.indicateurs.iter().enumerate() {
                for ind in AREA_INDICATORS {
                    let j = if ind.per_kind {
                        field(&ja["indicateurs"][k], ind.field)
                    } else {
                        field(ja, ind.field)
                    };
                    let v = ind.value(a, cell).number();
                    match (j.as_f64(), v) {
                        (Some(x), Some(y)) => {
                            assert!((x * ind.scale - y).abs() < 1e-9, "{}", ind.id)
                        }
                        (x, y) => assert_eq!(x.is_some(), y.is_some(), "{}", ind.id),
                    }
                }
            }
        }
    }

    #[test]
    fn ids_and_columns_are_unique() {
        for ids in [
            COMMUNE_INDICATORS
                .iter()
                .map(|d| d.column)
                .collect::<Vec<_>>(),
            COMMUNE_INDICATORS.iter().map(|d| d.id).collect(),
            AREA_INDICATORS.iter().map(|d| d.column).collect(),
            AREA_INDICATORS.iter().map(|d| d.id).collect(),
        ] {
            let mut s = ids.clone();
            s.sort_unstable();
            s.dedup();
            assert_eq!(s.len(), ids.len(), "{ids:?}");
        }
    }
}
