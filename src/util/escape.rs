//! The one escape for HTML and XML (SVG) text and attributes, the one for a CSV field written
//! by hand (files written with the `csv` crate are quoted by it), and the one neutralisation of
//! spreadsheet formulas in CSV cells (with its inverse for our importers).
//!
//! ```
//! use maillage::util::escape::{csv_field, csv_formula_guard, csv_formula_unguard, html};
//! assert_eq!(html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
//! assert_eq!(csv_field("Gaillac; Brens", b';'), "\"Gaillac; Brens\"");
//! assert_eq!(csv_field("Albi", b';'), "Albi");
//! assert_eq!(csv_field("=SUM(1)", b';'), "'=SUM(1)");
//! assert_eq!(csv_formula_guard("-3,5"), "-3,5");
//! assert_eq!(csv_formula_unguard("'=SUM(1)"), "=SUM(1)");
//! ```

use std::borrow::Cow;

/// Escapes text for HTML or XML, in element content and in quoted attributes. Control
/// characters other than line breaks and tabs (NUL, ESC, DEL…), which XML forbids and HTML
/// shows as garbage, are left out.
///
/// ```
/// assert_eq!(maillage::util::escape::html("A\u{0}B\u{1b}[2J\u{7f}\tC"), "AB[2J\tC");
/// ```
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A CSV field for the given delimiter (RFC 4180), formula-guarded ([`csv_formula_guard`]):
/// quoted, with inner quotes doubled, when it contains the delimiter, a quote or a line break;
/// unchanged otherwise.
pub fn csv_field(s: &str, delimiter: u8) -> Cow<'_, str> {
    let s = csv_formula_guard(s);
    let d = delimiter as char;
    if s.contains([d, '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        s
    }
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP « CSV injection »).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Does the cell, once its leading `'` are set aside, start like a formula? Decimal numbers
/// (`-3,5`, `-3.5`, `+2`) do not: they stay numbers in the spreadsheet.
fn looks_like_formula(s: &str) -> bool {
    let rest = s.trim_start_matches('\'');
    rest.starts_with(FORMULA_STARTS) && !is_decimal(rest)
}

/// An optional sign, digits, and an optional decimal part after `,` or `.`.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match s.find([',', '.']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// Neutralises a CSV cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or carriage return, and not a decimal number) by prefixing a single quote, as the
/// OWASP guidance says. A cell already starting with `'` before such a character gets one more,
/// so that [`csv_formula_unguard`] gives back exactly the original.
pub fn csv_formula_guard(s: &str) -> Cow<'_, str> {
    if looks_like_formula(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The inverse of [`csv_formula_guard`], for our importers: removes one leading `'` when what
/// follows the quotes starts like a formula.
pub fn csv_formula_unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_read_back_with_the_csv_crate() {
        let fields = ["simple", "a;b", "dit \"oui\"", "ligne\nsuite", "a,b"];
        let line: Vec<String> = fields
            .iter()
            .map(|f| csv_field(f, b';').into_owned())
            .collect();
        let text = line.join(";");
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(rec.iter().collect::<Vec<_>>(), fields);
        assert_eq!(csv_field("a,b", b';'), "a,b");
        assert_eq!(csv_field("a,b", b','), "\"a,b\"");
    }

    #[test]
    fn formula_cells_are_neutralised_and_read_back() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("@SUM(1)", "'@SUM(1)"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("+33 5 63 00 00 00", "'+33 5 63 00 00 00"),
            ("-", "'-"),
            ("'=1", "''=1"),
            ("-3,5", "-3,5"),
            ("-3.5", "-3.5"),
            ("+2", "+2"),
            ("-12", "-12"),
            ("Albi", "Albi"),
            ("'ok", "'ok"),
            ("", ""),
        ] {
            assert_eq!(csv_formula_guard(cell), out, "{cell:?}");
            assert_eq!(csv_formula_unguard(out), cell, "{out:?}");
        }
        assert_eq!(csv_field("=1;2", b';'), "\"'=1;2\"");
    }

    #[test]
    fn html_escapes_every_special_character_once() {
        assert_eq!(html("A < B & C"), "A &lt; B &amp; C");
        assert_eq!(html("&amp;"), "&amp;amp;");
        assert_eq!(html("Lisle-sur-Tarn"), "Lisle-sur-Tarn");
    }
}
