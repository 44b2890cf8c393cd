//! npm `@etalab/decoupage-administratif` (COG, populations, postcodes, EPCI membership).
//!
//! Three layouts are read:
//! - [`read_communes_json`]: the package's `data/communes.json`;
//! - [`read_epci_json`]: its `data/epci.json` (EPCI à fiscalité propre and their members);
//! - [`read_communes_csv`]: the same communes flattened to a `;`-separated CSV with the EPCI of
//!   each commune (`code;nom;type;departement;…;epci_siren;epci_nom;epci_type`).
//!
//! Only `commune-actuelle` records become communes; delegated and associated communes and
//! municipal arrondissements are read, counted as accepted and noted as skipped.
//!
//! In the JSON files a rejection's "line" is the 1-based rank of the record in the array
//! (1 = first object); the report says so in a note.
//!
//! ```
//! use maillage::sources::decoupage::read_communes_json;
//! let json = br#"[{"code":"81004","nom":"Albi","type":"commune-actuelle","departement":"81",
//!                  "codesPostaux":["81000"],"population":49531}]"#;
//! let (imported, report) = read_communes_json(json, "communes.json").unwrap();
//! assert_eq!(report.accepted, 1);
//! assert_eq!(imported.communes[0].population, Some(49531));
//! assert_eq!(imported.communes[0].postcodes, vec!["81000"]);
//! ```

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::table::{Column, Table};
use super::{FileReport, Format, Imported, SourceError};
use crate::model::place::FormerCommune;
use crate::model::{Commune, InseeCode, Territory, TerritoryKind};

const JSON_LINE_NOTE: &str =
    "Numéros de ligne des rejets : rang de l'enregistrement dans le tableau JSON (1 = premier).";

/// Commune types of the COG that are read but not kept as communes.
const SKIPPED_TYPES: &[(&str, &str)] = &[
    ("commune-deleguee", "communes déléguées"),
    ("commune-associee", "communes associées"),
    ("arrondissement-municipal", "arrondissements municipaux"),
];

fn json_array(bytes: &[u8], file: &str) -> Result<Vec<Value>, SourceError> {
    let (text, _) = super::text::decode(bytes);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(SourceError::Invalid {
            file: file.to_string(),
            detail: "tableau JSON d'objets attendu".into(),
        }),
        Err(e) => Err(SourceError::Invalid {
            file: file.to_string(),
            detail: format!("JSON illisible : {e}"),
        }),
    }
}

fn text_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn found(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Optional non-negative integer field: `Ok(None)` when absent or null.
fn count_field(v: &Value, key: &str) -> Result<Option<u64>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.as_u64().map(Some).ok_or_else(|| found(Some(x))),
    }
}

fn push_skipped_notes(report: &mut FileReport, skipped: &BTreeMap<String, usize>) {
    for (kind, n) in skipped {
        let label = SKIPPED_TYPES
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, l)| *l)
            .unwrap_or("enregistrements");
        report
            .notes
            .push(format!("{n} {label} lues mais non reprises comme communes"));
    }
}

/// Flattened decoupage-administratif communes CSV.
pub const COMMUNES_CSV: Format = Format::new(
    "decoupage-csv",
    "Découpage administratif (Etalab) – communes (CSV)",
    "découpage administratif",
    &CommunesCsv,
);

/// The Flattened decoupage-administratif communes CSV format (see [`Importer`](super::Importer)).
pub struct CommunesCsv;

impl super::Importer for CommunesCsv {
    fn sniff(&self, head: &super::Head) -> bool {
        head.has("code") && head.has("nom") && head.has("epci_siren")
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_communes_csv(i.bytes, i.file)
    }
}

/// decoupage-administratif `communes.json`.
pub const COMMUNES_JSON: Format = Format::new(
    "decoupage-communes",
    "Découpage administratif (Etalab) – communes",
    "découpage administratif",
    &CommunesJson,
);

/// The decoupage-administratif `communes.json` format (see [`Importer`](super::Importer)).
pub struct CommunesJson;

impl super::Importer for CommunesJson {
    fn sniff(&self, head: &super::Head) -> bool {
        head.is_json_array()
            && !head.text.contains("\"membres\"")
            && (head.text.contains("\"commune-actuelle\"")
                || head.text.contains("\"codesPostaux\""))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_communes_json(i.bytes, i.file)
    }
}

/// decoupage-administratif `epci.json`.
pub const EPCI_JSON: Format = Format::new(
    "decoupage-epci",
    "Découpage administratif (Etalab) – EPCI",
    "découpage administratif",
    &EpciJson,
);

/// The decoupage-administratif `epci.json` format (see [`Importer`](super::Importer)).
pub struct EpciJson;

impl super::Importer for EpciJson {
    fn sniff(&self, head: &super::Head) -> bool {
        head.is_json_array() && head.text.contains("\"membres\"")
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read_epci_json(i.bytes, i.file)
    }
}

/// Reads `communes.json`: `commune-actuelle` records become communes with population,
/// postcodes and département.
pub fn read_communes_json(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let items = json_array(bytes, file)?;
    let mut report = FileReport::new(file, COMMUNES_JSON);
    report.notes.push(JSON_LINE_NOTE.into());
    let mut imported = Imported::default();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();

    for (i, item) in items.iter().enumerate() {
        let line = i + 1;
        let code_text = found(item.get("code"));
        let code: InseeCode = match code_text.parse() {
            Ok(c) => c,
            Err(_) => {
                report.reject(line, "code", "un code INSEE sur 5 caractères", &code_text);
                continue;
            }
        };
        let kind = text_field(item, "type").unwrap_or("");
        if kind != "commune-actuelle" {
            if SKIPPED_TYPES.iter().any(|(k, _)| *k == kind) {
                report.accepted += 1;
                *skipped.entry(kind.to_string()).or_default() += 1;
                let parent = text_field(item, "chefLieu").unwrap_or("");
                let name = text_field(item, "nom").unwrap_or("");
                imported
                    .former_communes
                    .extend(former(kind, code, name, parent));
            } else {
                report.reject(
                    line,
                    "type",
                    "commune-actuelle, commune-deleguee, commune-associee ou arrondissement-municipal",
                    kind,
                );
            }
            continue;
        }
        let Some(name) = text_field(item, "nom") else {
            report.reject(line, "nom", "le nom de la commune", &found(item.get("nom")));
            continue;
        };
        let population = match count_field(item, "population") {
            Ok(p) => p,
            Err(f) => {
                report.reject(line, "population", "un entier positif", &f);
                continue;
            }
        };
        let postcodes = match item.get("codesPostaux") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if a.iter().all(|p| p.as_str().is_some_and(is_postcode)) => a
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            other => {
                report.reject(
                    line,
                    "codesPostaux",
                    "une liste de codes postaux à 5 chiffres",
                    &found(other),
                );
                continue;
            }
        };
        let mut commune = Commune::new(code, name);
        commune.population = population;
        commune.postcodes = postcodes;
        if let Some(dep) = text_field(item, "departement") {
            commune.departement = dep.to_string();
        }
        report.accepted += 1;
        imported.communes.push(commune);
    }
    push_skipped_notes(&mut report, &skipped);
    Ok((imported, report))
}

/// A delegated or associated commune, with the commune it was merged into, for looking up
/// its former code and name (municipal arrondissements are not former communes).
fn former(kind: &str, code: InseeCode, name: &str, parent: &str) -> Option<FormerCommune> {
    if kind == "arrondissement-municipal" || name.trim().is_empty() {
        return None;
    }
    Some(FormerCommune {
        code,
        name: name.trim().to_string(),
        successor: parent.trim().parse().ok()?,
    })
}

fn is_postcode(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_siren(s: &str) -> bool {
    s.len() == 9 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads `epci.json`: one [`Territory`] of kind EPCI per record (id `epci:<siren>`, declared
/// population = `populationMunicipale`), and a partial commune (code, name, `epci`) per
/// member so that merging fills the communes' EPCI.
///
/// ```
/// use maillage::sources::decoupage::read_epci_json;
/// let json = br#"[{"code":"200066124","nom":"CA Gaillac-Graulhet","type":"CA",
///   "populationMunicipale":76216,"membres":[{"code":"81099","nom":"Gaillac"}]}]"#;
/// let (imported, _) = read_epci_json(json, "epci.json").unwrap();
/// assert_eq!(imported.territories[0].id, "epci:200066124");
/// assert_eq!(imported.communes[0].epci.as_deref(), Some("200066124"));
/// ```
pub fn read_epci_json(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let items = json_array(bytes, file)?;
    let mut report = FileReport::new(file, EPCI_JSON);
    report.notes.push(JSON_LINE_NOTE.into());
    let mut imported = Imported::default();

    'items: for (i, item) in items.iter().enumerate() {
        let line = i + 1;
        let siren = found(item.get("code"));
        if !is_siren(&siren) {
            report.reject(line, "code", "un SIREN d'EPCI sur 9 chiffres", &siren);
            continue;
        }
        let Some(name) = text_field(item, "nom") else {
            report.reject(line, "nom", "le nom de l'EPCI", &found(item.get("nom")));
            continue;
        };
        let population = match count_field(item, "populationMunicipale") {
            Ok(p) => p,
            Err(f) => {
                report.reject(line, "populationMunicipale", "un entier positif", &f);
                continue;
            }
        };
        let Some(members) = item.get("membres").and_then(Value::as_array) else {
            report.reject(
                line,
                "membres",
                "une liste de communes membres",
                &found(item.get("membres")),
            );
            continue;
        };
        let mut communes = Vec::with_capacity(members.len());
        for (j, m) in members.iter().enumerate() {
            let code_text = found(m.get("code"));
            match code_text.parse::<InseeCode>() {
                Ok(code) => {
                    let mut c = Commune::new(code, text_field(m, "nom").unwrap_or(""));
                    c.epci = Some(siren.clone());
                    communes.push(c);
                }
                Err(_) => {
                    report.reject(
                        line,
                        &format!("membres[{}].code", j + 1),
                        "un code INSEE sur 5 caractères",
                        &code_text,
                    );
                    continue 'items;
                }
            }
        }
        report.accepted += 1;
        imported.territories.push(Territory {
            id: Territory::make_id(TerritoryKind::Epci, &siren),
            name: name.to_string(),
            kind: TerritoryKind::Epci,
            communes: communes.iter().map(|c| c.code).collect(),
            declared_population: population,
        });
        imported.communes.extend(communes);
    }
    Ok((imported, report))
}

/// Reads the flattened CSV (`code;nom;type;departement;arrondissement;region;siren;
/// codes_postaux;population;commune_parent;epci_siren;epci_nom;epci_type`): current communes
/// with population, postcodes and EPCI, and one EPCI [`Territory`] per `epci_siren` (its
/// population is left to the directory, which sums the members).
///
/// ```
/// use maillage::sources::decoupage::read_communes_csv;
/// let csv = "code;nom;type;departement;arrondissement;region;siren;codes_postaux;population;commune_parent;epci_siren;epci_nom;epci_type\n\
///            81099;Gaillac;commune-actuelle;81;812;76;218100998;81600;15876;;200066124;CA Gaillac-Graulhet;CA\n";
/// let (imported, report) = read_communes_csv(csv.as_bytes(), "communes.csv").unwrap();
/// assert_eq!(report.accepted, 1);
/// assert_eq!(imported.communes[0].epci.as_deref(), Some("200066124"));
/// assert_eq!(imported.territories[0].name, "CA Gaillac-Graulhet");
/// ```
pub fn read_communes_csv(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    const COLUMNS: &[Column] = &[
        Column::required("code", &[]),
        Column::required("nom", &[]),
        Column::required("type", &[]),
        Column::optional("departement", &[]),
        Column::optional("codes_postaux", &[]),
        Column::optional("population", &[]),
        Column::optional("epci_siren", &[]),
        Column::optional("epci_nom", &[]),
        Column::optional("commune_parent", &[]),
    ];
    let (text, _) = super::text::decode(bytes);
    let mut table = Table::open(&text, file, COLUMNS, b";,")?;

    let mut report = FileReport::new(file, COMMUNES_CSV);
    let mut imported = Imported::default();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    // EPCI SIREN → (name, members), in order of first appearance.
    let mut epcis: Vec<(String, String, Vec<InseeCode>)> = Vec::new();
    let mut epci_index: HashMap<String, usize> = HashMap::new();

    while let Some(row) = table.next_row(&mut report) {
        let line = row.line;
        let get = |name: &str| -> &str { row.get(name).unwrap_or("") };
        let code: InseeCode = match get("code").parse() {
            Ok(c) => c,
            Err(_) => {
                report.reject(line, "code", "un code INSEE sur 5 caractères", get("code"));
                continue;
            }
        };
        let kind = get("type");
        if kind != "commune-actuelle" {
            if SKIPPED_TYPES.iter().any(|(k, _)| *k == kind) {
                report.accepted += 1;
                *skipped.entry(kind.to_string()).or_default() += 1;
                let former = former(kind, code, get("nom"), get("commune_parent"));
                imported.former_communes.extend(former);
            } else {
                report.reject(
                    line,
                    "type",
                    "commune-actuelle, commune-deleguee, commune-associee ou arrondissement-municipal",
                    kind,
                );
            }
            continue;
        }
        let name = get("nom");
        if name.is_empty() {
            report.reject(line, "nom", "le nom de la commune", "");
            continue;
        }
        let population = match get("population") {
            "" => None,
            p => match p.parse::<u64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    report.reject(line, "population", "un entier positif", p);
                    continue;
                }
            },
        };
        let postcodes: Vec<String> = get("codes_postaux")
            .split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = postcodes.iter().find(|p| !is_postcode(p)) {
            report.reject(
                line,
                "codes_postaux",
                "des codes postaux à 5 chiffres séparés par |",
                bad,
            );
            continue;
        }
        let siren = get("epci_siren");
        if !siren.is_empty() && !is_siren(siren) {
            report.reject(line, "epci_siren", "un SIREN d'EPCI sur 9 chiffres", siren);
            continue;
        }
        let mut commune = Commune::new(code, name);
        commune.population = population;
        commune.postcodes = postcodes;
        if !get("departement").is_empty() {
            commune.departement = get("departement").to_string();
        }
        if !siren.is_empty() {
            commune.epci = Some(siren.to_string());
            let idx = *epci_index.entry(siren.to_string()).or_insert_with(|| {
                epcis.push((siren.to_string(), get("epci_nom").to_string(), Vec::new()));
                epcis.len() - 1
            });
            epcis[idx].2.push(code);
        }
        report.accepted += 1;
        imported.communes.push(commune);
    }
    push_skipped_notes(&mut report, &skipped);
    for (siren, name, communes) in epcis {
        let name = if name.is_empty() {
            format!("EPCI {siren}")
        } else {
            name
        };
        imported.territories.push(Territory {
            id: Territory::make_id(TerritoryKind::Epci, &siren),
            name,
            kind: TerritoryKind::Epci,
            communes,
            declared_population: None,
        });
    }
    Ok((imported, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMUNES_JSON: &str = r#"[
      {"code":"81001","nom":"Aguts","type":"commune-actuelle","departement":"81","siren":"218100014","codesPostaux":["81470"],"population":238},
      {"code":"81057","nom":"Campes","type":"commune-associee","chefLieu":"81262","departement":"81"},
      {"code":"8105","nom":"Court","type":"commune-actuelle"},
      {"code":"81113","nom":"Labastide-Dénat","type":"commune-deleguee","departement":"81"},
      {"code":"81002","nom":"Aiguefonde","type":"commune-actuelle","population":"2517"},
      {"code":"81003","nom":"Alban","type":"canton"},
      {"code":"81004","nom":"Albi","type":"commune-actuelle","codesPostaux":["81000","81OOO"]},
      {"code":"2A004","nom":"Ajaccio","type":"commune-actuelle","departement":"2A","codesPostaux":["20000","20090"]}
    ]"#;

    #[test]
    fn communes_json() {
        let (imp, rep) = read_communes_json(COMMUNES_JSON.as_bytes(), "communes.json").unwrap();
        assert_eq!(rep.format, crate::sources::decoupage::COMMUNES_JSON);
        assert_eq!(rep.accepted, 4);
        let got: Vec<(usize, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "code"),
                (5, "population"),
                (6, "type"),
                (7, "codesPostaux")
            ]
        );
        assert_eq!(rep.rejected, 4);
        assert!(rep
            .notes
            .iter()
            .any(|n| n == "1 communes associées lues mais non reprises comme communes"));
        assert_eq!(imp.communes.len(), 2);
        assert_eq!(imp.communes[0].population, Some(238));
        assert_eq!(imp.communes[1].postcodes, vec!["20000", "20090"]);
        assert_eq!(imp.communes[1].departement, "2A");
        assert_eq!(imp.communes[1].population, None);
    }

    const EPCI_JSON: &str = r#"[
      {"code":"200066124","nom":"CA Gaillac-Graulhet","type":"CA","populationMunicipale":76216,
       "membres":[{"code":"81099","siren":"218100998","nom":"Gaillac"},{"code":"81105","nom":"Graulhet"}]},
      {"code":"20006612","nom":"Court","membres":[]},
      {"code":"248100737","nom":"CA de l'Albigeois","membres":[{"code":"8100","nom":"?"}]},
      {"code":"243100567","nom":"CC Aux sources du Canal du Midi","populationMunicipale":21764,
       "membres":[{"code":"31044","nom":"Bélesta-en-Lauragais"},{"code":"81020","nom":"Les Cammazes"}]},
      {"code":"248100158","nom":"CC du Sor et de l'Agout","populationMunicipale":-3,"membres":[]}
    ]"#;

    #[test]
    fn epci_json() {
        let (imp, rep) = read_epci_json(EPCI_JSON.as_bytes(), "epci.json").unwrap();
        assert_eq!(rep.format, crate::sources::decoupage::EPCI_JSON);
        assert_eq!(rep.accepted, 2);
        let got: Vec<(usize, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "code"),
                (3, "membres[1].code"),
                (5, "populationMunicipale")
            ]
        );
        assert_eq!(imp.territories.len(), 2);
        let t = &imp.territories[0];
        assert_eq!(t.id, "epci:200066124");
        assert_eq!(t.kind, TerritoryKind::Epci);
        assert_eq!(t.declared_population, Some(76216));
        assert_eq!(
            t.communes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            vec!["81099", "81105"]
        );
        // Members outside the département are kept.
        assert_eq!(imp.territories[1].communes[0].as_str(), "31044");
        assert_eq!(imp.communes.len(), 4);
        assert!(imp
            .communes
            .iter()
            .all(|c| c.epci.is_some() && c.population.is_none()));
        assert_eq!(imp.communes[2].epci.as_deref(), Some("243100567"));
    }

    const CSV: &str = "code;nom;type;departement;arrondissement;region;siren;codes_postaux;population;commune_parent;epci_siren;epci_nom;epci_type
81099;Gaillac;commune-actuelle;81;812;76;218100998;81600;15876;;200066124;CA Gaillac-Graulhet;CA
81105;Graulhet;commune-actuelle;81;812;76;218101053;81300;12734;;200066124;CA Gaillac-Graulhet;CA
81113;Labastide-Dénat;commune-deleguee;81;811;76;;;;81218;;;
8110X;Mauvais;commune-actuelle;81;812;76;;81300;10;;200066124;CA Gaillac-Graulhet;CA
81004;Albi;commune-actuelle;81;811;76;218100048;81000;environ 50000;;248100737;CA de l'Albigeois (C2A);CA
81004;Albi;commune-actuelle;81;811;76;218100048;81000|8100;49531;;248100737;CA de l'Albigeois (C2A);CA
81004;Albi;commune-actuelle;81;811;76;218100048;81000;49531;;24810073;CA de l'Albigeois (C2A);CA

09001;Aigues-Juntes;commune-actuelle;09;093;76;210900015;09240;59;;200067940;CC Couserans-Pyrénées;CC
";

    #[test]
    fn communes_csv() {
        let (imp, rep) = read_communes_csv(CSV.as_bytes(), "communes.csv").unwrap();
        assert_eq!(rep.format, COMMUNES_CSV);
        assert_eq!(rep.accepted, 4);
        let got: Vec<(usize, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (5, "code"),
                (6, "population"),
                (7, "codes_postaux"),
                (8, "epci_siren")
            ]
        );
        assert_eq!(imp.communes.len(), 3);
        assert_eq!(imp.communes[0].population, Some(15876));
        assert_eq!(imp.communes[0].postcodes, vec!["81600"]);
        assert_eq!(imp.communes[2].departement, "09");
        assert_eq!(imp.territories.len(), 2);
        let ga = &imp.territories[0];
        assert_eq!(ga.id, "epci:200066124");
        assert_eq!(ga.name, "CA Gaillac-Graulhet");
        assert_eq!(ga.communes.len(), 2);
        assert_eq!(ga.declared_population, None);
        assert!(rep
            .notes
            .iter()
            .any(|n| n.starts_with("1 communes déléguées")));
    }

    #[test]
    fn file_errors() {
        assert!(read_communes_json(b"{}", "x.json").is_err());
        assert!(read_epci_json(b"[", "x.json").is_err());
        assert!(read_communes_csv(b"a;b\n1;2\n", "x.csv").is_err());
    }
}
