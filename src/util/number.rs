//! French numbers for people (reports, maps, messages): decimal comma, thousands separated by
//! a no-break space. (CSV cells use [`crate::util::csv::CsvOptions::number`], without
//! separators, so that spreadsheets read them as numbers.)

/// French number with a fixed number of decimals (`1 234,50`): decimal comma, thousands
/// separated by a no-break space.
///
/// ```
/// assert_eq!(maillage::util::number::fr_fixed(1234.5, 2), "1\u{a0}234,50");
/// assert_eq!(maillage::util::number::fr_fixed(-0.04, 1), "-0,0");
/// ```
pub fn fr_fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d.to_string()),
        None => ("", int),
    };
    let mut grouped = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A whole number with French thousands separators (`6\u{a0}124\u{a0}653`).
///
/// ```
/// assert_eq!(maillage::util::number::fr_int(6124653), "6\u{a0}124\u{a0}653");
/// assert_eq!(maillage::util::number::fr_int(12), "12");
/// ```
pub fn fr_int(n: u64) -> String {
    fr_fixed(n as f64, 0)
}
