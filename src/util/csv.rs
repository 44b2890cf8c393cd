//! The one CSV output dialect: `;` with a UTF-8 BOM and decimal commas for French spreadsheets
//! (the default), or `,` with decimal points; parsed the same way by every command and route.
//!
//! ```
//! use maillage::util::csv::CsvOptions;
//! let mut out = Vec::new();
//! let mut w = CsvOptions::default().writer(&mut out).unwrap();
//! w.write_record(["code", "nom"]).unwrap();
//! drop(w);
//! assert_eq!(out, "\u{feff}code;nom\n".as_bytes());
//! assert_eq!(CsvOptions::parse("virgule").unwrap().delimiter, b',');
//! ```

use std::io::Write;

/// CSV dialect: `;` with a UTF-8 BOM for spreadsheet users by default, `,` on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b';',
            bom: true,
        }
    }
}

impl CsvOptions {
    /// `,` with decimal points and no BOM (tools other than spreadsheets).
    pub const COMMA: CsvOptions = CsvOptions {
        delimiter: b',',
        bom: false,
    };

    /// What [`CsvOptions::parse`] accepts, for error messages.
    pub const EXPECTED: &'static str = "« ; » (point-virgule) ou « , » (virgule)";

    /// Parses a separator parameter: `;` or `point-virgule` (the default dialect), `,` or
    /// `virgule`.
    pub fn parse(s: &str) -> Option<CsvOptions> {
        match s.trim() {
            ";" | "point-virgule" | "point_virgule" => Some(CsvOptions::default()),
            "," | "virgule" => Some(CsvOptions::COMMA),
            _ => None,
        }
    }

    /// Numbers take a decimal comma unless the delimiter is a comma.
    pub fn decimal_comma(&self) -> bool {
        self.delimiter != b','
    }

    /// A number with `decimals` decimals, with the dialect's decimal mark.
    pub fn number(&self, v: f64, decimals: usize) -> String {
        self.decimal(&format!("{v:.decimals$}"))
    }

    /// A decimal number written with a point (`43.9289`, `-3.5`) given the dialect's decimal
    /// mark; any other text is returned as is.
    pub fn decimal(&self, text: &str) -> String {
        let numeric = !text.is_empty()
            && text.matches('.').count() <= 1
            && text
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.');
        if self.decimal_comma() && numeric {
            text.replace('.', ",")
        } else {
            text.to_string()
        }
    }

    /// Writes the BOM (if any) and returns a CSV writer with the delimiter.
    pub fn writer<W: Write>(&self, mut out: W) -> std::io::Result<Writer<W>> {
        if self.bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        Ok(Writer(
            csv::WriterBuilder::new()
                .delimiter(self.delimiter)
                .from_writer(out),
        ))
    }
}

/// A CSV writer of the dialect: every cell is formula-guarded
/// ([`crate::util::escape::csv_formula_guard`]) before the `csv` crate quotes it.
pub struct Writer<W: Write>(csv::Writer<W>);

impl<W: Write> Writer<W> {
    /// Writes one record.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for cell in record {
            self.0
                .write_field(crate::util::escape::csv_formula_guard(cell.as_ref()).as_bytes())?;
        }
        self.0.write_record(None::<&[u8]>)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects() {
        assert_eq!(CsvOptions::parse(";"), Some(CsvOptions::default()));
        assert_eq!(
            CsvOptions::parse("point-virgule"),
            Some(CsvOptions::default())
        );
        assert_eq!(CsvOptions::parse(","), Some(CsvOptions::COMMA));
        assert_eq!(CsvOptions::parse("tab"), None);
        assert!(CsvOptions::default().decimal_comma());
        assert!(!CsvOptions::COMMA.decimal_comma());
        assert_eq!(CsvOptions::default().number(-3.25, 1), "-3,2");
        assert_eq!(CsvOptions::COMMA.number(43.92891, 4), "43.9289");
        assert_eq!(CsvOptions::default().decimal("43.9289"), "43,9289");
        assert_eq!(CsvOptions::default().decimal("1.2.3"), "1.2.3");
        assert_eq!(CsvOptions::default().decimal("Saint-Juéry"), "Saint-Juéry");
        let mut out = Vec::new();
        let mut w = CsvOptions::COMMA.writer(&mut out).unwrap();
        w.write_record(["a;b", "c,d", "=1", "-3.5"]).unwrap();
        drop(w);
        assert_eq!(String::from_utf8(out).unwrap(), "a;b,\"c,d\",'=1,-3.5\n");
    }
}
