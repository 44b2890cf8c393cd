//! French phone numbers.

/// Normalises a French phone number to `05 63 12 34 56`: 10 digits starting with 0, spaces,
/// dots, dashes and brackets allowed, `+33` / `0033` and the overseas country codes accepted
/// (`+33 (0)5 …` too). Anything else, such as two numbers in one field, gives `None`.
///
/// ```
/// use maillage::model::phone::normalize;
/// assert_eq!(normalize("0563123456").as_deref(), Some("05 63 12 34 56"));
/// assert_eq!(normalize("+33 (0)5.63.12.34.56").as_deref(), Some("05 63 12 34 56"));
/// assert_eq!(normalize("+262 262 12 34 56").as_deref(), Some("02 62 12 34 56"));
/// assert_eq!(normalize("05 63 12 34"), None);
/// assert_eq!(normalize("05 63 12 34 56 ou 06 12 34 56 78"), None);
/// ```
pub fn normalize(raw: &str) -> Option<String> {
    let t = raw.trim();
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')' | '+' | '\u{a0}'))
    {
        return None;
    }
    if t.chars().skip(1).any(|c| c == '+') {
        return None;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let international = if t.starts_with('+') {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let national = match international {
        Some(d) => {
            let rest = ["33", "262", "269", "508", "590", "594", "596"]
                .iter()
                .find_map(|cc| d.strip_prefix(cc))?;
            // `+33 (0)5 …`: the trunk 0 written after the country code.
            let rest = if rest.len() == 10 && rest.starts_with('0') {
                &rest[1..]
            } else {
                rest
            };
            format!("0{rest}")
        }
        None => digits,
    };
    let b = national.as_bytes();
    if b.len() != 10 || b[0] != b'0' || b[1] == b'0' {
        return None;
    }
    let groups: Vec<&str> = (0..5).map(|i| &national[2 * i..2 * i + 2]).collect();
    Some(groups.join(" "))
}
