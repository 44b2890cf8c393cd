//! The one escape for HTML and XML (SVG) text and attributes, and the one for a CSV field
//! written by hand (files written with the `csv` crate are quoted by it).
//!
//! ```
//! use maillage::util::escape::{csv_field, html};
//! assert_eq!(html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
//! assert_eq!(csv_field("Gaillac; Brens", b';'), "\"Gaillac; Brens\"");
//! assert_eq!(csv_field("Albi", b';'), "Albi");
//! ```

use std::borrow::Cow;

/// Escapes text for HTML or XML, in element content and in quoted attributes.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A CSV field for the given delimiter (RFC 4180): quoted, with inner quotes doubled, when it
/// contains the delimiter, a quote or a line break; unchanged otherwise.
pub fn csv_field(s: &str, delimiter: u8) -> Cow<'_, str> {
    let d = delimiter as char;
    if s.contains([d, '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
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
    fn html_escapes_every_special_character_once() {
        assert_eq!(html("A < B & C"), "A &lt; B &amp; C");
        assert_eq!(html("&amp;"), "&amp;amp;");
        assert_eq!(html("Lisle-sur-Tarn"), "Lisle-sur-Tarn");
    }
}
