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

use super::{FileReport, Format, Imported, SourceError};
use crate::model::{InseeCode, Territory, TerritoryKind};

/// Accepted names for each logical column, in order of preference.
const NAME_COLS: &[&str] = &["territoire", "cpts_nom", "nom_territoire"];
const CODE_COLS: &[&str] = &["code_insee", "code_insee_cog2026", "code_commune", "insee"];
const TYPE_COLS: &[&str] = &["type", "type_territoire"];
const POP_COLS: &[&str] = &["population_declaree"];
const COUNT_COLS: &[&str] = &["nb_communes_declare"];

struct Group {
    name: String,
    kind: TerritoryKind,
    communes: Vec<InseeCode>,
    seen: HashSet<InseeCode>,
    population: Option<u64>,
    declared_count: Option<usize>,
    first_line: usize,
}

/// Reads a territory CSV and groups its lines into [`Territory`]s.
pub fn read(bytes: &[u8], file: &str) -> Result<(Imported, FileReport), SourceError> {
    let invalid = |detail: String| SourceError::Invalid {
        file: file.to_string(),
        detail,
    };
    let (text, _) = super::text::decode(bytes);
    let header_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if header_line.matches(';').count() >= header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| invalid(format!("en-tête illisible : {e}")))?
        .clone();
    let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    let find = |names: &[&str]| names.iter().find_map(|n| lower.iter().position(|h| h == n));
    let (Some(name_col), Some(code_col)) = (find(NAME_COLS), find(CODE_COLS)) else {
        return Err(invalid(
            "colonnes « territoire » et « code_insee » attendues (ou « cpts_nom » et \
             « code_insee_cog2026 »)"
                .into(),
        ));
    };
    let type_col = find(TYPE_COLS);
    let pop_col = find(POP_COLS);
    let count_col = find(COUNT_COLS);
    // The CPTS list layout names only CPTS.
    let cpts_layout = lower.iter().any(|h| h == "cpts_nom");

    let mut report = FileReport::new(file, Format::Territories);
    let mut groups: Vec<Group> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut duplicates = 0usize;

    let mut record = csv::StringRecord::new();
    while let Some(line) = super::next_record(&mut rdr, &mut record, &mut report) {
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let name = get(Some(name_col));
        if name.is_empty() {
            report.reject(line, &headers[name_col], "le nom du territoire", "");
            continue;
        }
        let code_text = get(Some(code_col));
        let code: InseeCode = match code_text.parse() {
            Ok(c) => c,
            Err(_) => {
                report.reject(
                    line,
                    &headers[code_col],
                    "un code INSEE sur 5 caractères (ex. 81004, 2A004)",
                    code_text,
                );
                continue;
            }
        };
        let kind = match get(type_col) {
            "" if cpts_layout => TerritoryKind::Cpts,
            "" => default_kind(name),
            t => match parse_kind(t) {
                Some(k) => k,
                None => {
                    report.reject(line, "type", "cpts, epci ou autre", t);
                    continue;
                }
            },
        };
        let population = match get(pop_col) {
            "" => None,
            p => match parse_count(p) {
                Some(v) => Some(v),
                None => {
                    report.reject(
                        line,
                        "population_declaree",
                        "un nombre d'habitants entier",
                        p,
                    );
                    continue;
                }
            },
        };
        let declared_count = match get(count_col) {
            "" => None,
            n => match parse_count(n) {
                Some(v) => Some(v as usize),
                None => {
                    report.reject(line, "nb_communes_declare", "un nombre entier", n);
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
        assert_eq!(rep.format, Format::Territories);
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
