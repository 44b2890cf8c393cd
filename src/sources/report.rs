//! Row-level rejections and per-file load reports.

use serde::Serialize;

use super::Format;

/// One rejected row: where, which field, what was expected and what was found.
///
/// ```
/// use maillage::sources::Rejection;
/// let r = Rejection::new("finess.csv", 12, "telephone", "10 chiffres", "05 63");
/// assert_eq!(r.to_string(), "finess.csv:12: telephone: attendu 10 chiffres, trouvé « 05 63 »");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub file: String,
    /// 1-based line number in the file.
    pub line: usize,
    pub field: String,
    pub expected: String,
    pub found: String,
}

impl Rejection {
    pub fn new(
        file: impl Into<String>,
        line: usize,
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Rejection {
        let mut found: String = found.into();
        if found.chars().count() > 80 {
            found = found.chars().take(77).collect::<String>() + "…";
        }
        Rejection {
            file: file.into(),
            line,
            field: field.into(),
            expected: expected.into(),
            found,
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: attendu {}, trouvé « {} »",
            self.file, self.line, self.field, self.expected, self.found
        )
    }
}

/// What loading one file gave: counts, rejections, source name and date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    /// File name as given (path or embedded name).
    pub file: String,
    pub format: Format,
    /// Human-readable source name (`FINESS – extraction Etalab cs1100507`).
    pub source_name: String,
    /// Date of the data as stated by the file itself: ISO `YYYY-MM-DD` when it gives a day
    /// (FINESS header, Annuaire Santé file name, last modification of the CPTS's own files),
    /// else the millésime or version it comes from (`2018` for the BPE, `COG 2026`). Shown
    /// through [`crate::util::date::source_date_text`].
    pub source_date: Option<String>,
    /// True for sample data written for the demo (`exemple`).
    pub sample: bool,
    /// Rows (or records) accepted.
    pub accepted: usize,
    /// Rows rejected; always equals `rejections.len()`.
    pub rejected: usize,
    /// Lines that are neither accepted nor rejected rows: header and manifest lines, blank
    /// and comment lines, continuation lines of a quoted field, records of a kind the format
    /// skips, lines merged into another row (a FINESS `geolocalisation` line). For a file read
    /// line by line, `accepted + rejected + ignored` is the number of its lines
    /// ([`physical_lines`]).
    pub ignored: usize,
    pub rejections: Vec<Rejection>,
    /// Non-fatal remarks in French (e.g. `12 établissements sans géolocalisation : centre de la commune`).
    pub notes: Vec<String>,
}

impl FileReport {
    pub fn new(file: impl Into<String>, format: Format) -> FileReport {
        FileReport {
            file: file.into(),
            format,
            source_name: format.source_name().to_string(),
            source_date: None,
            sample: false,
            accepted: 0,
            rejected: 0,
            ignored: 0,
            rejections: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Records a rejected row.
    pub fn reject(&mut self, line: usize, field: &str, expected: &str, found: &str) {
        self.rejections.push(Rejection::new(
            self.file.clone(),
            line,
            field,
            expected,
            found,
        ));
        self.rejected += 1;
    }

    /// At the end of a file read as records: counts as ignored the `lines` of the file that
    /// made no record (`records` counts every record handed to the importer or rejected by the
    /// reader; each of them is counted accepted, rejected or ignored where it is read): header,
    /// comment and blank lines, and the continuation lines of a multi-line quoted field.
    pub fn ignore_lines_without_record(&mut self, lines: usize, records: usize) {
        self.ignored += lines.saturating_sub(records);
    }
}

/// Number of lines of a text: its line feeds, plus a last line without one.
///
/// ```
/// use maillage::sources::report::physical_lines;
/// assert_eq!(physical_lines(b""), 0);
/// assert_eq!(physical_lines(b"a\nb\n"), 2);
/// assert_eq!(physical_lines(b"a\r\n\nb"), 3);
/// ```
pub fn physical_lines(bytes: &[u8]) -> usize {
    let breaks = bytes.iter().filter(|&&b| b == b'\n').count();
    breaks + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}
