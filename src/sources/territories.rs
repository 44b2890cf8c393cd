//! Territory lists: which communes make up a CPTS (or any other named set of communes).
//!
//! Two layouts are read, with `;` or `,` as separator (detected on the header line) and UTF-8
//! or Latin-1 text:
//! - the simple one, one line per commune: `territoire;code_insee`, with optional columns
//!   `type` (`cpts`, `epci` or `autre`) and `population_declaree`;
//! - the CPTS list layout (`cpts_nom;source_url;population_declaree;nb_communes_declare;
//!   commune_nom_publie;code_insee_cog2026;…`).
//!
//! Lines are grouped by territory name, in order of first appearance. A territory is a CPTS
//! when its `type` says so or, without a type, when its name starts with « CPTS ».
//!
//! ```
//! use maillage::model::TerritoryKind;
//! use maillage::sources::territories::read;
//! let csv = "territoire;code_insee\nCPTS du Gaillacois;81099\nCPTS du Gaillacois;81105\n";
//! let (imported, report) = read(csv.as_bytes(), "territoires.csv").unwrap();
//! assert_eq!(report.accepted, 2);
//! let t = &imported.territories[0];
//! assert_eq!((t.id.as_str(), t.kind), ("cpts:cpts-du-gaillacois", TerritoryKind::Cpts));
//! assert_eq!(t.communes.len(), 2);
//! ```

use std::collections::{HashMap, HashSet};

use super::table::{Column, Table};
use super::{FileReport, Format, Imported, SourceError};
use crate::model::{InseeCode, Territory, TerritoryKind};

/// Territory CSV.
pub const FORMAT: Format = Format::new(
    "territories",
    "Territoires (liste de communes)",
    "territoires",
    &Territories,
);

/// The columns, with the CPTS list layout's names as aliases.
const COLUMNS: &[Column] = &[
    Column::required("territoire", &["cpts_nom", "nom_territoire"]),
    Column::required(
        "code_insee",
        &["code_insee_cog2026", "code_commune", "insee"],
    ),
    Column::optional("type", &["type_territoire"]),
    Column::optional("population_declaree", &[]),
    Column::optional("nb_communes_declare", &[]),
];

struct Group {
    name: String,
    kind: TerritoryKind,
    communes: Vec<InseeCode>,
    seen: HashSet<InseeCode>,
    population: Option<u64>,
    declared_count: Option<usize>,
    first_line: usize,
}

/// The Territory CSV format (see [`Importer`](super::Importer)).
pub struct Territories;

impl super::Importer for Territories {
    fn sniff(&self, head: &super::Head) -> bool {
        (head.has("territoire") && head.has("code_insee"))
            || (head.has("cpts_nom") && head.has("code_insee_cog2026"))
    }
    fn read(&self, i: super::Input) -> super::ReadResult {
        read(i.bytes, i.file)
    }
    fn dated_by_modification(&self) -> bool {
        true
    }
}

/// Reads a territory CSV and groups its lines into [`Territory`]s.
pub fn read(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let (text, _) = super::text::decode(bytes);
    let mut table = Table::open(&text, file, COLUMNS, b";,")?;
    // The CPTS list layout names only CPTS.
    let cpts_layout = table
        .header
        .iter()
        .any(|h| crate::model::text::compact(h) == "cptsnom");

    let mut report = FileReport::new(file, FORMAT);
    let mut groups: Vec<Group> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut duplicates = 0usize;

    while let Some(row) = table.next_row(&mut report) {
        let line = row.line;
        let Some(name) = row.get("territoire") else {
            row.reject(&mut report, "territoire", "le nom du territoire");
            continue;
        };
        let code: InseeCode = match row.get("code_insee").unwrap_or("").parse() {
            Ok(c) => c,
            Err(_) => {
                row.reject(
                    &mut report,
                    "code_insee",
                    "un code INSEE sur 5 caractères (ex. 81004, 2A004)",
                );
                continue;
            }
        };
        let kind = match row.get("type") {
            None if cpts_layout => TerritoryKind::Cpts,
            None => default_kind(name),
            Some(t) => match parse_kind(t) {
                Some(k) => k,
                None => {
                    row.reject(&mut report, "type", "cpts, epci ou autre");
                    continue;
                }
            },
        };
        let population = match row.get("population_declaree") {
            None => None,
            Some(p) => match parse_count(p) {
                Some(v) => Some(v),
                None => {
                    row.reject(
                        &mut report,
                        "population_declaree",
                        "un nombre d'habitants entier",
                    );
                    continue;
                }
            },
        };
        let declared_count = match row.get("nb_communes_declare") {
            None => None,
            Some(n) => match parse_count(n) {
                Some(v) => Some(v as usize),
                None => {
                    row.reject(&mut report, "nb_communes_declare", "un nombre entier");
                    continue;
                }
            },
        };

        report.accepted += 1;
        let idx = *by_name.entry(name.to_string()).or_insert_with(|| {
            groups.push(Group {
                name: name.to_string(),
                kind,
                communes: Vec::new(),
                seen: HashSet::new(),
                population: None,
                declared_count: None,
                first_line: line,
            });
            groups.len() - 1
        });
        let g = &mut groups[idx];
        if g.seen.insert(code) {
            g.communes.push(code);
        } else {
            duplicates += 1;
        }
        if let Some(p) = population {
            match g.population {
                None => g.population = Some(p),
                Some(q) if q != p => report.notes.push(format!(
                    "{} : population déclarée différente ligne {line} ({p}) ; {q} conservée",
                    g.name
                )),
                Some(_) => {}
            }
        }
        if g.declared_count.is_none() {
            g.declared_count = declared_count;
        }
    }

    if duplicates > 0 {
        report.notes.push(format!(
            "{duplicates} ligne(s) en double (même territoire, même commune) ignorée(s)"
        ));
    }
    let mut imported = Imported::default();
    for g in groups {
        if let Some(n) = g.declared_count {
            if n != g.communes.len() {
                report.notes.push(format!(
                    "{} (ligne {}) : {n} communes déclarées, {} listées",
                    g.name,
                    g.first_line,
                    g.communes.len()
                ));
            }
        }
        imported.territories.push(Territory {
            id: Territory::make_id(g.kind, &g.name),
            name: g.name,
            kind: g.kind,
            communes: g.communes,
            declared_population: g.population,
        });
    }
    Ok((imported, report))
}

/// Kind from the name alone: « CPTS … » is a CPTS, anything else a plain territory.
fn default_kind(name: &str) -> TerritoryKind {
    let folded = crate::model::text::fold(name);
    if folded.starts_with("cpts") {
        TerritoryKind::Cpts
    } else {
        TerritoryKind::Other
    }
}

fn parse_kind(t: &str) -> Option<TerritoryKind> {
    match crate::model::text::fold(t).as_str() {
        "cpts" => Some(TerritoryKind::Cpts),
        "epci" => Some(TerritoryKind::Epci),
        "autre" | "other" => Some(TerritoryKind::Other),
        _ => None,
    }
}

/// An integer, with spaces allowed as thousands separators (`53 765`).
fn parse_count(s: &str) -> Option<u64> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_layout_with_rejections() {
        let csv = "territoire;code_insee;type;population_declaree
CPTS exemple;81099;;25 000
CPTS exemple;8109;;
CPTS exemple;81105;;
Bassin de vie;81004;;
CPTS exemple;81099;;
Pays X;81001;region;
Autre chose;2A004;AUTRE;abc
;81002;;
EPCI maison;81003;epci;
";
        let (imp, rep) = read(csv.as_bytes(), "t.csv").unwrap();
        assert_eq!(rep.format, FORMAT);
        let got: Vec<(usize, &str, &str)> = rep
            .rejections
            .iter()
            .map(|r| (r.line, r.field.as_str(), r.found.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "code_insee", "8109"),
                (7, "type", "region"),
                (8, "population_declaree", "abc"),
                (9, "territoire", ""),
            ]
        );
        assert_eq!(rep.accepted, 5);
        assert_eq!(rep.rejected, 4);
        assert!(rep.notes.iter().any(|n| n.contains("1 ligne(s) en double")));
        let t = &imp.territories;
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].id, "cpts:cpts-exemple");
        assert_eq!(t[0].kind, TerritoryKind::Cpts);
        assert_eq!(t[0].declared_population, Some(25_000));
        assert_eq!(
            t[0].communes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            vec!["81099", "81105"]
        );
        assert_eq!(t[1].kind, TerritoryKind::Other);
        assert_eq!(t[1].id, "territoire:bassin-de-vie");
        assert_eq!(t[2].kind, TerritoryKind::Epci);
    }

    #[test]
    fn comma_separated_latin1() {
        let bytes = b"territoire,code_insee\r\nTerritoire d'\xc9tudes,81004\r\nTerritoire d'\xc9tudes,81099\r\n";
        let (imp, rep) = read(bytes, "t.csv").unwrap();
        assert_eq!(rep.accepted, 2);
        assert_eq!(imp.territories[0].name, "Territoire d'Études");
        assert_eq!(imp.territories[0].kind, TerritoryKind::Other);
    }

    #[test]
    fn cpts_list_layout() {
        let csv = "cpts_nom;source_url;population_declaree;nb_communes_declare;commune_nom_publie;code_insee_cog2026;commune_nom_cog2026;population_cog2026;appariement
CPTS Tarn Ouest;https://cptstarnouest.site-sante.fr;53765;3;Ambres;81011;Ambres;1033;ok
CPTS Tarn Ouest;https://cptstarnouest.site-sante.fr;53765;3;Bannières;81022;Bannières;210;ok
Le Pays;https://x.example;1000;1;Albi;81004;Albi;49531;ok
";
        let (imp, rep) = read(csv.as_bytes(), "cpts.csv").unwrap();
        assert_eq!(rep.accepted, 3);
        let t = &imp.territories[0];
        assert_eq!(t.id, "cpts:cpts-tarn-ouest");
        assert_eq!(t.declared_population, Some(53765));
        assert_eq!(t.communes.len(), 2);
        assert!(rep
            .notes
            .iter()
            .any(|n| n.contains("3 communes déclarées, 2 listées")));
        assert_eq!(imp.territories[1].kind, TerritoryKind::Cpts);
    }

    #[test]
    fn missing_columns_is_a_file_error() {
        assert!(read(b"nom;commune\nX;81004\n", "t.csv").is_err());
    }
}
