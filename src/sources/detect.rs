//! Recognising a file's format from its content (the name is only a tie-breaker): each
//! importer of the [registry](super::REGISTRY) looks at the file's [`Head`], the first match wins.

use super::text::decode;
use super::{Format, REGISTRY};

/// The first bytes of a file (64 KiB are enough), decoded once for every importer's sniff.
pub struct Head<'a> {
    /// The raw bytes (compressed files are recognised by their magic number).
    pub bytes: &'a [u8],
    /// The decoded text, leading blanks removed.
    pub text: String,
    /// The first line, trimmed and lower-cased.
    pub first_line: String,
    /// The first line split on `;`, `,`, tab or `|`, each name trimmed, unquoted, lower-cased.
    pub columns: Vec<String>,
}

impl<'a> Head<'a> {
    pub fn new(bytes: &'a [u8]) -> Head<'a> {
        let (text, _) = decode(bytes);
        let text = text.trim_start().to_string();
        let first_line = text.lines().next().unwrap_or("").trim().to_lowercase();
        let columns = first_line
            .split([';', ',', '\t', '|'])
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect();
        Head {
            bytes,
            text,
            first_line,
            columns,
        }
    }

    /// Whether the header names this (lower-case) column.
    pub fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }

    /// Whether the text is a JSON object (`{…`).
    pub fn is_json_object(&self) -> bool {
        self.text.starts_with('{')
    }

    /// Whether the text is a JSON array (`[…`).
    pub fn is_json_array(&self) -> bool {
        self.text.starts_with('[')
    }
}

/// Recognises a file's format from its first bytes (64 KiB are enough).
///
/// ```
/// use maillage::sources::{detect, finess, territories, zones};
/// assert_eq!(detect("x.csv", b"finess;etalab;98;2026-05-12\nstructureet;810000505;"), Some(finess::FORMAT));
/// assert_eq!(detect("demo.csv", b"finess;exemple;73;2026-11-01\n"), Some(finess::FORMAT));
/// assert_eq!(detect("t.csv", b"territoire;code_insee\nCPTS X;81004\n"), Some(territories::FORMAT));
/// assert_eq!(detect("z.csv", b"acteur;zone\nfiness:1;dep:81\n"), Some(zones::CSV));
/// assert_eq!(detect("x.txt", b"hello"), None);
/// ```
pub fn detect(file_name: &str, head: &[u8]) -> Option<Format> {
    let _ = file_name;
    let head = Head::new(head);
    REGISTRY.iter().copied().find(|f| f.importer().sniff(&head))
}

/// The French list of known formats, for « format non reconnu » messages.
///
/// ```
/// let known = maillage::sources::detect::known_formats();
/// assert!(known.starts_with("ni "));
/// assert!(known.contains("FINESS") && known.contains("BPE") && known.contains("RPPS"));
/// ```
pub fn known_formats() -> String {
    let mut names: Vec<&str> = REGISTRY.iter().map(|f| f.short_name()).collect();
    names.dedup();
    format!("ni {}", names.join(", ni "))
}
