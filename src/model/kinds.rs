//! The unified taxonomy of actor kinds, shared by every source.
//!
//! Each source code (a FINESS category, an RPPS profession, a BPE equipment type…) maps to one
//! [`Kind`] with a stable id, a French label and a [`Sector`]. A FINESS category that has no
//! unified kind is kept under a kind of its own (`finess-<code>`) with the source's label: no
//! record is ever dropped for lack of a mapping.
//!
//! ```
//! use maillage::model::{KindTable, Sector};
//! let kinds = KindTable::builtin();
//! let ehpad = kinds.for_source_code("finess", "500").unwrap();
//! assert_eq!(kinds.get(ehpad).id, "ehpad");
//! assert_eq!(kinds.get(ehpad).sector, Sector::MedicoSocial);
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The three sectors a CPTS diagnosis distinguishes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Sector {
    #[serde(rename = "sanitaire")]
    Sanitaire,
    #[serde(rename = "medico-social")]
    MedicoSocial,
    #[serde(rename = "social")]
    Social,
}

impl Sector {
    pub const ALL: [Sector; 3] = [Sector::Sanitaire, Sector::MedicoSocial, Sector::Social];

    /// Stable machine id, as used in the API (`sector=`).
    pub fn id(self) -> &'static str {
        match self {
            Sector::Sanitaire => "sanitaire",
            Sector::MedicoSocial => "medico-social",
            Sector::Social => "social",
        }
    }

    /// French label for display.
    pub fn label(self) -> &'static str {
        match self {
            Sector::Sanitaire => "Sanitaire",
            Sector::MedicoSocial => "Médico-social",
            Sector::Social => "Social",
        }
    }

    /// Parses an id or a label, ignoring case and accents (`médico-social`, `medico_social`).
    pub fn parse(s: &str) -> Option<Sector> {
        match super::text::compact(s).as_str() {
            "sanitaire" => Some(Sector::Sanitaire),
            "medicosocial" => Some(Sector::MedicoSocial),
            "social" => Some(Sector::Social),
            _ => None,
        }
    }
}

/// Index of a kind in a [`KindTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KindId(pub u16);

/// One kind of actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kind {
    /// Stable id used in the API and files (`ehpad`, `cmp`, `finess-365`).
    pub id: String,
    /// French label (`EHPAD`, `Centre médico-psychologique (CMP)`).
    pub label: String,
    pub sector: Sector,
    /// Source codes mapped to this kind, as `source:code` (`finess:500`, `bpe:D201`).
    pub source_codes: Vec<String>,
}

/// Built-in kinds: (id, label, sector, source codes).
const BUILTIN: &[(&str, &str, Sector, &[&str])] = &[
    // Hospitals and care (FINESS categories checked against ANS TRE_R66).
    (
        "chr",
        "Centre hospitalier régional (CHR/CHU)",
        Sector::Sanitaire,
        &["finess:101"],
    ),
    (
        "ch",
        "Centre hospitalier",
        Sector::Sanitaire,
        &["finess:355", "finess:106"],
    ),
    (
        "chs",
        "Centre hospitalier spécialisé en psychiatrie (CHS)",
        Sector::Sanitaire,
        &["finess:292"],
    ),
    (
        "clinique",
        "Établissement de soins (clinique)",
        Sector::Sanitaire,
        &["finess:365", "finess:128", "finess:129"],
    ),
    (
        "centre-sante",
        "Centre de santé",
        Sector::Sanitaire,
        &["finess:124", "bpe:D108"],
    ),
    (
        "had",
        "Hospitalisation à domicile (HAD)",
        Sector::Sanitaire,
        &["finess:127", "bpe:D112"],
    ),
    (
        "cmp",
        "Centre médico-psychologique (CMP)",
        Sector::Sanitaire,
        &["finess:156"],
    ),
    (
        "cattp",
        "Centre d'accueil thérapeutique à temps partiel (CATTP)",
        Sector::Sanitaire,
        &["finess:425"],
    ),
    (
        "cmpp",
        "Centre médico-psycho-pédagogique (CMPP)",
        Sector::MedicoSocial,
        &["finess:189"],
    ),
    (
        "camsp",
        "Centre d'action médico-sociale précoce (CAMSP)",
        Sector::MedicoSocial,
        &["finess:190"],
    ),
    (
        "csapa",
        "Centre de soins, d'accompagnement et de prévention en addictologie (CSAPA)",
        Sector::MedicoSocial,
        &["finess:197"],
    ),
    (
        "pmi",
        "Protection maternelle et infantile (PMI)",
        Sector::Sanitaire,
        &["finess:223"],
    ),
    (
        "centre-sante-sexuelle",
        "Centre de santé sexuelle",
        Sector::Sanitaire,
        &["finess:228"],
    ),
    (
        "ssiad",
        "Service de soins infirmiers à domicile (SSIAD)",
        Sector::MedicoSocial,
        &["finess:354", "bpe:D405"],
    ),
    (
        "spasad",
        "Service autonomie aide et soins (SAAS, ex-SPASAD)",
        Sector::MedicoSocial,
        &["finess:209"],
    ),
    (
        "saad",
        "Service autonomie aide (SAA, ex-SAAD)",
        Sector::MedicoSocial,
        &["finess:460"],
    ),
    (
        "clic",
        "Centre local d'information et de coordination (CLIC)",
        Sector::MedicoSocial,
        &["finess:463"],
    ),
    ("ehpad", "EHPAD", Sector::MedicoSocial, &["finess:500"]),
    (
        "msp",
        "Maison de santé pluriprofessionnelle (MSP)",
        Sector::Sanitaire,
        &["finess:603", "bpe:D113"],
    ),
    (
        "cpts",
        "Communauté professionnelle territoriale de santé (CPTS)",
        Sector::Sanitaire,
        &["finess:604"],
    ),
    (
        "dac",
        "Dispositif d'appui à la coordination (DAC)",
        Sector::Sanitaire,
        &["finess:606"],
    ),
    (
        "emmsp",
        "Équipe mobile médico-sociale (EMMSP)",
        Sector::MedicoSocial,
        &["finess:608"],
    ),
    (
        "mdph",
        "Maison départementale des personnes handicapées (MDPH)",
        Sector::MedicoSocial,
        &["finess:609"],
    ),
    (
        "soins-non-programmes",
        "Structure de soins non programmés",
        Sector::Sanitaire,
        &["finess:617"],
    ),
    (
        "pharmacie",
        "Pharmacie d'officine",
        Sector::Sanitaire,
        &["finess:620", "bpe:D301", "bpe:D307"],
    ),
    (
        "laboratoire",
        "Laboratoire d'analyses médicales",
        Sector::Sanitaire,
        &["finess:611", "bpe:D302"],
    ),
    // Professionals (RPPS, BPE).
    (
        "medecin-generaliste",
        "Médecin généraliste",
        Sector::Sanitaire,
        &["bpe:D201", "bpe:D265"],
    ),
    (
        "medecin-specialiste",
        "Médecin spécialiste",
        Sector::Sanitaire,
        &[],
    ),
    (
        "chirurgien-dentiste",
        "Chirurgien-dentiste",
        Sector::Sanitaire,
        &["bpe:D221", "bpe:D277"],
    ),
    (
        "sage-femme",
        "Sage-femme",
        Sector::Sanitaire,
        &["bpe:D231", "bpe:D278"],
    ),
    (
        "infirmier",
        "Infirmier",
        Sector::Sanitaire,
        &["bpe:D232", "bpe:D281"],
    ),
    (
        "masseur-kinesitherapeute",
        "Masseur-kinésithérapeute",
        Sector::Sanitaire,
        &["bpe:D233", "bpe:D279"],
    ),
    (
        "orthophoniste",
        "Orthophoniste",
        Sector::Sanitaire,
        &["bpe:D235"],
    ),
    (
        "pedicure-podologue",
        "Pédicure-podologue",
        Sector::Sanitaire,
        &["bpe:D237"],
    ),
    (
        "psychologue",
        "Psychologue",
        Sector::Sanitaire,
        &["bpe:D243"],
    ),
    // Social.
    ("mairie", "Mairie", Sector::Social, &[]),
    (
        "ccas",
        "Centre communal d'action sociale (CCAS)",
        Sector::Social,
        &[],
    ),
    ("partenaire", "Partenaire de la CPTS", Sector::Social, &[]),
];

/// The kinds known to a directory: built-in ones plus those added by sources.
#[derive(Debug, Clone)]
pub struct KindTable {
    kinds: Vec<Kind>,
    by_id: HashMap<String, KindId>,
    by_source_code: HashMap<String, KindId>,
}

impl KindTable {
    /// The built-in unified taxonomy.
    pub fn builtin() -> KindTable {
        let mut table = KindTable {
            kinds: Vec::new(),
            by_id: HashMap::new(),
            by_source_code: HashMap::new(),
        };
        for (id, label, sector, codes) in BUILTIN {
            let kid = table.insert(id, label, *sector);
            for code in *codes {
                table.by_source_code.insert(code.to_string(), kid);
                table.kinds[kid.0 as usize]
                    .source_codes
                    .push(code.to_string());
            }
        }
        table
    }

    /// A table holding exactly these kinds, in this order (as listed by [`KindTable::iter`]),
    /// with their source codes; used to read a saved table back.
    pub fn from_kinds(kinds: Vec<Kind>) -> KindTable {
        let mut table = KindTable {
            kinds: Vec::with_capacity(kinds.len()),
            by_id: HashMap::new(),
            by_source_code: HashMap::new(),
        };
        for k in kinds {
            let kid = table.insert(&k.id, &k.label, k.sector);
            for code in &k.source_codes {
                table.by_source_code.insert(code.clone(), kid);
            }
            table.kinds[kid.0 as usize].source_codes = k.source_codes;
        }
        table
    }

    fn insert(&mut self, id: &str, label: &str, sector: Sector) -> KindId {
        let kid = KindId(self.kinds.len() as u16);
        self.kinds.push(Kind {
            id: id.to_string(),
            label: label.to_string(),
            sector,
            source_codes: Vec::new(),
        });
        self.by_id.insert(id.to_string(), kid);
        kid
    }

    /// The kind with this index. Panics on an index from another table.
    pub fn get(&self, id: KindId) -> &Kind {
        &self.kinds[id.0 as usize]
    }

    /// Looks a kind up by its stable id (`ehpad`).
    pub fn by_id(&self, id: &str) -> Option<KindId> {
        self.by_id.get(id).copied()
    }

    /// Looks a kind up by a source code (`("finess", "500")`).
    pub fn for_source_code(&self, source: &str, code: &str) -> Option<KindId> {
        self.by_source_code
            .get(&format!("{source}:{code}"))
            .copied()
    }

    /// The kind for a source code, creating `<source>-<code>` with the source's own label and
    /// the given sector when the code has no unified kind yet.
    pub fn for_source_code_or_insert(
        &mut self,
        source: &str,
        code: &str,
        label: &str,
        sector: Sector,
    ) -> KindId {
        if let Some(k) = self.for_source_code(source, code) {
            return k;
        }
        let id = format!("{source}-{}", code.to_lowercase());
        let kid = match self.by_id(&id) {
            Some(k) => k,
            None => {
                let label = if label.trim().is_empty() {
                    format!("{source} {code}")
                } else {
                    label.trim().to_string()
                };
                self.insert(&id, &label, sector)
            }
        };
        let key = format!("{source}:{code}");
        self.kinds[kid.0 as usize].source_codes.push(key.clone());
        self.by_source_code.insert(key, kid);
        kid
    }

    /// Every kind, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (KindId, &Kind)> {
        self.kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (KindId(i as u16), k))
    }

    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

impl Default for KindTable {
    fn default() -> Self {
        KindTable::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_finess_category_is_mapped() {
        let t = KindTable::builtin();
        for code in [
            "101", "106", "355", "292", "124", "127", "156", "425", "189", "190", "197", "223",
            "228", "354", "209", "460", "463", "500", "603", "604", "606", "608", "609", "617",
            "620",
        ] {
            assert!(t.for_source_code("finess", code).is_some(), "finess {code}");
        }
    }

    #[test]
    fn unknown_code_is_kept_with_its_label() {
        let mut t = KindTable::builtin();
        let n = t.len();
        let k =
            t.for_source_code_or_insert("finess", "999", "Catégorie inconnue", Sector::Sanitaire);
        assert_eq!(t.get(k).id, "finess-999");
        assert_eq!(t.get(k).label, "Catégorie inconnue");
        assert_eq!(t.len(), n + 1);
        let again = t.for_source_code_or_insert("finess", "999", "x", Sector::Social);
        assert_eq!(k, again);
    }

    #[test]
    fn sector_parse_is_lenient() {
        assert_eq!(Sector::parse("Médico-social"), Some(Sector::MedicoSocial));
        assert_eq!(Sector::parse("medico_social"), Some(Sector::MedicoSocial));
        assert_eq!(Sector::parse("santé"), None);
    }
}
