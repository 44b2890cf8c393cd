//! One reader for every delimited table (partners, territories, zones, decoupage CSV, SAE…):
//! encoding detected, delimiter read from the header line, column names matched through
//! aliases without case, accents or punctuation, required columns checked, comment and blank
//! lines skipped with the file's own line numbers, unreadable rows rejected as
//! `file:line: field: expected …, found « … »`.
//!
//! ```
//! use maillage::sources::table::{Column, Table};
//! use maillage::sources::{territories, FileReport};
//! const COLUMNS: &[Column] = &[
//!     Column::required("code_insee", &["insee", "code_commune"]),
//!     Column::optional("population", &[]),
//! ];
//! let text = "# communes\nInsee;Population\n81004;49000\n\n81099;\n";
//! let mut report = FileReport::new("c.csv", territories::FORMAT);
//! let mut table = Table::open(text, "c.csv", COLUMNS, b";,").unwrap();
//! let mut rows = Vec::new();
//! while let Some(row) = table.next_row(&mut report) {
//!     rows.push((row.line, row.get("code_insee").unwrap().to_string(), row.get("population").is_some()));
//! }
//! assert_eq!(rows, vec![(3, "81004".into(), true), (5, "81099".into(), false)]);
//! let err = Table::open("nom;commune\n", "c.csv", COLUMNS, b";").unwrap_err();
//! assert!(err.to_string().contains("colonne « code_insee » absente"), "{err}");
//! ```

use csv::{ReaderBuilder, StringRecord, Trim};

use super::{FileReport, SourceError};
use crate::model::text::compact;

/// One logical column of a table: its canonical name, other accepted names, and whether the
/// header must have it.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

impl Column {
    pub const fn required(name: &'static str, aliases: &'static [&'static str]) -> Column {
        Column {
            name,
            aliases,
            required: true,
        }
    }

    pub const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Column {
        Column {
            name,
            aliases,
            required: false,
        }
    }

    fn matches(&self, normalised: &str) -> bool {
        compact(self.name) == normalised || self.aliases.iter().any(|a| compact(a) == normalised)
    }
}

/// Picks the delimiter among `candidates` that the header line (first non-comment, non-empty
/// line) uses most outside quotes; the first candidate on a tie.
///
/// ```
/// use maillage::sources::table::detect_delimiter;
/// assert_eq!(detect_delimiter("# note; a\nnom,type\n", b";,"), b',');
/// assert_eq!(detect_delimiter("\"a;b\",c;d\n", b";,"), b';');
/// assert_eq!(detect_delimiter("a\tb\n", b";\t,"), b'\t');
/// ```
pub fn detect_delimiter(text: &str, candidates: &[u8]) -> u8 {
    let header = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let mut counts = vec![0usize; candidates.len()];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = candidates.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let mut best = 0;
    for (i, &n) in counts.iter().enumerate() {
        if n > counts[best] {
            best = i;
        }
    }
    candidates.get(best).copied().unwrap_or(b';')
}

/// An open table: its header matched to the expected columns, rows read one at a time.
#[derive(Debug)]
pub struct Table<'t> {
    file: String,
    pub delimiter: u8,
    /// The header's own names.
    pub header: Vec<String>,
    /// Header names that match no expected column (or repeat one), for a note.
    pub unknown: Vec<String>,
    /// Lines of the rows skipped because every field was empty although the line had
    /// delimiters (`;;;;`, a spreadsheet's blank row), for a note.
    pub blank_lines: Vec<usize>,
    columns: Vec<Column>,
    /// Position in the record of each expected column.
    positions: Vec<Option<usize>>,
    reader: csv::Reader<&'t [u8]>,
    record: StringRecord,
    text: &'t str,
    /// Records read after the header (rows, rejected and blank records).
    records: usize,
    /// Records whose fields are all empty, skipped (their lines are counted as ignored).
    blank_records: usize,
    finished: bool,
}

impl<'t> Table<'t> {
    /// Opens decoded `text` (see [`super::text::decode`]): the delimiter is the one among
    /// `delimiters` the header uses most; lines starting with `#` and blank lines before the
    /// header are skipped. Fails when there is no header or a required column is missing.
    pub fn open(
        text: &'t str,
        file: &str,
        columns: &[Column],
        delimiters: &[u8],
    ) -> Result<Table<'t>, SourceError> {
        let invalid = |detail: String| SourceError::Invalid {
            file: file.to_string(),
            detail,
        };
        let delimiter = detect_delimiter(text, delimiters);
        let mut reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .comment(Some(b'#'))
            .flexible(true)
            .has_headers(false)
            .trim(Trim::All)
            .from_reader(text.as_bytes());
        let mut record = StringRecord::new();
        let header = loop {
            match reader.read_record(&mut record) {
                Ok(false) => {
                    return Err(invalid(format!(
                        "aucune ligne d'en-tête ({}…)",
                        expected_names(columns, true)
                    )))
                }
                Err(e) => return Err(invalid(format!("en-tête illisible : {e}"))),
                Ok(true) if record.iter().all(str::is_empty) => continue,
                Ok(true) => break record.iter().map(str::to_string).collect::<Vec<_>>(),
            }
        };
        let mut positions = vec![None; columns.len()];
        let mut unknown = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let key = compact(name);
            match columns.iter().position(|c| c.matches(&key)) {
                Some(c) if positions[c].is_none() => positions[c] = Some(i),
                Some(_) => unknown.push(format!("{name} (en double)")),
                None if name.is_empty() => {}
                None => unknown.push(name.clone()),
            }
        }
        if let Some(missing) = columns
            .iter()
            .zip(&positions)
            .find(|(c, p)| c.required && p.is_none())
        {
            return Err(invalid(format!(
                "colonne « {} » absente de l'en-tête (colonnes attendues : {})",
                missing.0.name,
                expected_names(columns, false)
            )));
        }
        Ok(Table {
            file: file.to_string(),
            delimiter,
            header,
            unknown,
            blank_lines: Vec::new(),
            columns: columns.to_vec(),
            positions,
            reader,
            record,
            text,
            records: 0,
            blank_records: 0,
            finished: false,
        })
    }

    /// Whether the header has this expected column.
    pub fn has(&self, column: &str) -> bool {
        self.column(column)
            .and_then(|c| self.positions[c])
            .is_some()
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The next row that is not blank; a row the CSV reader cannot read (bad quoting) is
    /// rejected with its line and skipped. `None` at the end of the table.
    ///
    /// Every row handed out must be counted by the caller as accepted, rejected or ignored;
    /// the table counts as ignored the lines that gave no row (header, comments, blank rows,
    /// continuation lines of a quoted field) when it reaches the end.
    pub fn next_row(&mut self, report: &mut FileReport) -> Option<Row<'_>> {
        loop {
            let Some(mut line) = super::next_record(
                &mut self.reader,
                &mut self.record,
                report,
                &mut self.records,
            ) else {
                if !self.finished {
                    self.finished = true;
                    report.ignore_lines_without_record(
                        super::report::physical_lines(self.text.as_bytes()),
                        self.records - self.blank_records,
                    );
                }
                return None;
            };
            if self.record.iter().all(str::is_empty) {
                if self.record.len() > 1 {
                    self.blank_lines.push(line);
                }
                self.blank_records += 1;
                continue;
            }
            // The CSV reader dates a record from where it started looking: skip the comment and
            // blank lines it passed over.
            if let Some(p) = self.record.position() {
                let mut rest = self.text.get(p.byte() as usize..).unwrap_or("");
                while rest.starts_with('#') || rest.starts_with('\n') || rest.starts_with("\r\n") {
                    match rest.find('\n') {
                        Some(end) => {
                            rest = &rest[end + 1..];
                            line += 1;
                        }
                        None => break,
                    }
                }
            }
            // A field longer than the directory keeps (the API's limit too) rejects the row.
            if let Some(i) = self
                .record
                .iter()
                .position(|f| f.len() > crate::model::actor::MAX_FIELD_BYTES)
            {
                let name = self.header.get(i).map_or("(colonne)", String::as_str);
                let found = self.record.get(i).unwrap_or("");
                let cut: String = found.chars().take(40).collect();
                report.reject(
                    line,
                    name,
                    &format!("{} octets au plus", crate::model::actor::MAX_FIELD_BYTES),
                    &format!("{cut}… ({} octets)", found.len()),
                );
                continue;
            }
            return Some(Row {
                line,
                file: &self.file,
                record: &self.record,
                columns: &self.columns,
                positions: &self.positions,
                header_len: self.header.len(),
            });
        }
    }

    /// A note listing the header's unknown columns, if any.
    pub fn unknown_note(&self) -> Option<String> {
        (!self.unknown.is_empty())
            .then(|| format!("colonnes inconnues ignorées : {}", self.unknown.join(", ")))
    }
}

fn expected_names(columns: &[Column], required_only: bool) -> String {
    columns
        .iter()
        .filter(|c| c.required || !required_only)
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(if required_only { ";" } else { ", " })
}

/// One row of a [`Table`].
pub struct Row<'r> {
    /// 1-based line of the file where the row starts.
    pub line: usize,
    file: &'r str,
    record: &'r StringRecord,
    columns: &'r [Column],
    positions: &'r [Option<usize>],
    header_len: usize,
}

impl<'r> Row<'r> {
    /// The value of an expected column, trimmed and with our formula guard removed
    /// ([`crate::util::escape::csv_formula_unguard`]); `None` when empty or absent from the
    /// header. Panics on a name that is not one of the table's columns (a programming error).
    pub fn get(&self, column: &str) -> Option<&'r str> {
        let c = self
            .columns
            .iter()
            .position(|c| c.name == column)
            .unwrap_or_else(|| panic!("column {column} is not declared"));
        self.positions[c].and_then(|i| self.field(i))
    }

    /// The value of the record's field `i`, whatever its name (trimmed, formula guard removed).
    pub fn field(&self, i: usize) -> Option<&'r str> {
        self.record
            .get(i)
            .map(crate::util::escape::csv_formula_unguard)
            .filter(|v| !v.is_empty())
    }

    /// Number of fields in the row.
    pub fn len(&self) -> usize {
        self.record.len()
    }

    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }

    /// Non-empty fields beyond the header's columns: the row is misaligned (an unquoted
    /// delimiter inside a value).
    pub fn has_extra_fields(&self) -> bool {
        self.record
            .iter()
            .skip(self.header_len)
            .any(|f| !f.is_empty())
    }

    /// Rejects this row because of `column`'s value.
    pub fn reject(&self, report: &mut FileReport, column: &str, expected: &str) {
        let found = self.get(column).unwrap_or("");
        report.reject(self.line, column, expected, found);
    }

    /// The file the row comes from.
    pub fn file(&self) -> &'r str {
        self.file
    }
}

/// Header matching for importers that read their records their own way (the national RPPS
/// and BPE files have fast paths): names compared by [`compact`] (case, accents and
/// punctuation ignored), a missing required column
/// reported like [`Table::open`] does.
///
/// ```
/// use maillage::sources::table::HeaderIndex;
/// let h = HeaderIndex::new(["Identifiant PP", "Code profession"], "ps.txt");
/// assert_eq!(h.find(&["identifiant_pp"]), Some(0));
/// assert_eq!(h.required("Code profession", "").unwrap(), 1);
/// let e = h.required("TYPEQU", " (BPE)").unwrap_err();
/// assert_eq!(e.to_string(), "ps.txt: fichier invalide : colonne « TYPEQU » absente de l'en-tête (BPE)");
/// ```
pub struct HeaderIndex {
    file: String,
    keys: Vec<String>,
}

impl HeaderIndex {
    pub fn new<'h>(header: impl IntoIterator<Item = &'h str>, file: &str) -> HeaderIndex {
        HeaderIndex {
            file: file.to_string(),
            keys: header.into_iter().map(compact).collect(),
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Position of the first of `names` the header has.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| {
            let key = compact(n);
            self.keys.iter().position(|k| *k == key)
        })
    }

    /// Position of a required column; `context` is appended to the message (` (BPE 2018)`).
    pub fn required(&self, name: &str, context: &str) -> Result<usize, SourceError> {
        self.find(&[name]).ok_or_else(|| SourceError::Invalid {
            file: self.file.clone(),
            detail: format!("colonne « {name} » absente de l'en-tête{context}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column::required("acteur", &["id"]),
        Column::optional("zone", &[]),
    ];

    fn lines(text: &str) -> Vec<(usize, String)> {
        let mut report = FileReport::new("t.csv", super::super::zones::CSV);
        let mut t = Table::open(text, "t.csv", COLUMNS, b";,").unwrap();
        let mut out = Vec::new();
        while let Some(row) = t.next_row(&mut report) {
            out.push((row.line, row.get("acteur").unwrap_or("").to_string()));
        }
        out
    }

    #[test]
    fn line_numbers_count_comments_blank_lines_and_crlf() {
        let want = vec![(3, "a".to_string()), (6, "b".into()), (7, "c".into())];
        let lf = "acteur;zone\n# c\na;1\n\n# d\nb;2\nc;3\n";
        assert_eq!(lines(lf), want);
        assert_eq!(lines(&lf.replace('\n', "\r\n")), want);
        let quoted = "acteur;zone\n\"x\ny\";1\nb;2\n";
        assert_eq!(lines(quoted), vec![(2, "x\ny".into()), (4, "b".into())]);
    }

    #[test]
    fn aliases_duplicates_and_unknown_columns() {
        let t = Table::open("ID;Zone;acteur;autre\n", "t.csv", COLUMNS, b";").unwrap();
        assert!(t.has("acteur") && t.has("zone"));
        assert_eq!(
            t.unknown_note().unwrap(),
            "colonnes inconnues ignorées : acteur (en double), autre"
        );
        let e = Table::open("# vide\n\n", "t.csv", COLUMNS, b";").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: fichier invalide : aucune ligne d'en-tête (acteur…)"
        );
    }

    #[test]
    fn rejections_name_file_line_field_and_value() {
        let mut report = FileReport::new("t.csv", super::super::zones::CSV);
        let mut t = Table::open("acteur;zone\nx;mauvais\n", "t.csv", COLUMNS, b";").unwrap();
        let row = t.next_row(&mut report).unwrap();
        row.reject(&mut report, "zone", "une zone");
        assert_eq!(
            report.rejections[0].to_string(),
            "t.csv:2: zone: attendu une zone, trouvé « mauvais »"
        );
    }
}
