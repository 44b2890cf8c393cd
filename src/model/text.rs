//! The one text fold of the project, and what is built on it: compact keys for header names
//! and enumerated values, commune-name keys, and slugs.
//!
//! Every comparison of user or file text goes through [`fold`] (or [`fold_into`] where a
//! buffer is reused): lowercase ASCII, accents and ligatures removed, every run of other
//! characters (spaces, hyphens, apostrophes, punctuation) one space.
//!
//! ```
//! use maillage::model::text::{compact, fold, place_key, slug};
//! assert_eq!(fold("  St-Juéry,  CŒUR d'Albi "), "st juery coeur d albi");
//! assert_eq!(compact("Code postal"), "codepostal");
//! assert_eq!(place_key("St-Juéry"), place_key("saint juery"));
//! assert_eq!(place_key("Le Séquestre"), place_key("Séquestre (Le)"));
//! assert_eq!(slug("Exemple – DAC du Tarn, Albi"), "exemple-dac-du-tarn-albi");
//! ```

/// Appends `s` transliterated to lowercase ASCII (accents and ligatures removed, characters
/// without a transliteration replaced by a space), punctuation kept. The first step of every
/// fold, exposed for hot loops that split words themselves (the text index).
pub fn ascii_lower_into(s: &str, out: &mut String) {
    let start = out.len();
    if s.is_ascii() {
        out.push_str(s);
    } else {
        out.push_str(&deunicode::deunicode_with_tofu_cow(s, " "));
    }
    out[start..].make_ascii_lowercase();
}

/// The words of lowercase ASCII text: maximal runs of ASCII letters and digits.
pub fn ascii_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Appends the fold of `s` (see [`fold`]) to `out`, reusing `scratch`.
pub fn fold_into(s: &str, out: &mut String, scratch: &mut String) {
    scratch.clear();
    ascii_lower_into(s, scratch);
    for w in ascii_words(scratch) {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(w);
    }
}

/// Folds text for comparison: lowercase ASCII, accents and ligatures removed, every run of
/// other characters one space, no leading or trailing space.
///
/// ```
/// use maillage::model::text::fold;
/// assert_eq!(fold("L'Isle-sur-Tarn"), "l isle sur tarn");
/// assert_eq!(fold("Médico-social"), "medico social");
/// assert_eq!(fold(" — "), "");
/// ```
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out, &mut String::new());
    out
}

/// The words of the fold of `s`.
pub fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Folded with no separator at all: the key of header names and enumerated values
/// (`Code postal`, `code_postal` and `CODE-POSTAL` are all `codepostal`).
pub fn compact(s: &str) -> String {
    let mut buf = String::with_capacity(s.len());
    ascii_lower_into(s, &mut buf);
    buf.retain(|c| c.is_ascii_alphanumeric());
    buf
}

/// `st` → `saint`, `ste` → `sainte` (the abbreviations of commune and street names).
pub fn expand_saint(w: &str) -> &str {
    match w {
        "st" => "saint",
        "ste" => "sainte",
        other => other,
    }
}

/// Leading (or, in the `Séquestre (Le)` form, trailing) articles of French commune names.
const ARTICLES: [&str; 4] = ["le", "la", "les", "l"];

/// The key a commune name is looked up by: folded, `St`/`Ste` read as `Saint`/`Sainte`, a
/// leading article dropped (`Le Séquestre`, `L'Isle-sur-Tarn`), and so is an article written
/// after the name in parentheses (`Séquestre (Le)`, `Isle-sur-Tarn (L')`).
///
/// ```
/// use maillage::model::text::place_key;
/// assert_eq!(place_key("St-Juéry"), "saint juery");
/// assert_eq!(place_key("Ste Croix"), "sainte croix");
/// assert_eq!(place_key("L'Isle-sur-Tarn"), "isle sur tarn");
/// assert_eq!(place_key("Isle-sur-Tarn (L')"), "isle sur tarn");
/// assert_eq!(place_key("Les"), "les");
/// ```
pub fn place_key(s: &str) -> String {
    let folded = fold(s);
    let mut ws: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let trailing = s.trim_end().ends_with(')');
    if ws.len() > 1 && trailing && ARTICLES.contains(ws.last().expect("len > 1")) {
        ws.pop();
    }
    if ws.len() > 1 && ARTICLES.contains(&ws[0]) {
        ws.remove(0);
    }
    let ws: Vec<&str> = ws.into_iter().map(expand_saint).collect();
    ws.join(" ")
}

/// The place key of a sequence of already folded words (see [`place_key`]; no trailing
/// article form).
pub fn place_key_of_words(ws: &[&str]) -> String {
    let ws = match ws {
        [first, rest @ ..] if !rest.is_empty() && ARTICLES.contains(first) => rest,
        all => all,
    };
    ws.iter()
        .map(|w| expand_saint(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A URL- and file-safe identifier part: folded words joined by `-`.
///
/// ```
/// use maillage::model::text::slug;
/// assert_eq!(slug("Saint-Sulpice-la-Pointe"), "saint-sulpice-la-pointe");
/// assert_eq!(slug("--"), "");
/// ```
pub fn slug(s: &str) -> String {
    fold(s).replace(' ', "-")
}

/// « de » before a place name, with French elision and contraction: the one place where a
/// name like « CCAS d'Albi » is built (the page's `de()` in web/js/util.js follows the same
/// rule). A name starting with a vowel (accented or not) takes « d' »; « Le » and « Les »
/// contract to « du » and « des »; « La » and a name starting with « h » keep « de » (an
/// aspirated h cannot be told from its spelling).
///
/// ```
/// use maillage::model::text::de;
/// assert_eq!(de("Albi"), "d'Albi");
/// assert_eq!(de("Éauze"), "d'Éauze");
/// assert_eq!(de("Gaillac"), "de Gaillac");
/// assert_eq!(de("Le Garric"), "du Garric");
/// assert_eq!(de("Les Cabannes"), "des Cabannes");
/// assert_eq!(de("La Bastide"), "de La Bastide");
/// ```
pub fn de(name: &str) -> String {
    let name = name.trim();
    if let Some(rest) = strip_article(name, "le ") {
        return format!("du {rest}");
    }
    if let Some(rest) = strip_article(name, "les ") {
        return format!("des {rest}");
    }
    let vowel = name
        .chars()
        .next()
        .map(|c| {
            let mut folded = String::new();
            ascii_lower_into(&c.to_string(), &mut folded);
            matches!(
                folded.chars().next(),
                Some('a' | 'e' | 'i' | 'o' | 'u' | 'y')
            )
        })
        .unwrap_or(false);
    if vowel {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

/// `name` without its leading article (case-insensitive), if it has it.
fn strip_article<'a>(name: &'a str, article: &str) -> Option<&'a str> {
    let head = name.get(..article.len())?;
    head.eq_ignore_ascii_case(article)
        .then(|| &name[article.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_and_its_keys_agree() {
        for s in [
            "St-Juéry",
            "ŒUVRE  d'Art",
            "Pharmacie   de l'Église",
            "a—b",
            "日本",
        ] {
            assert_eq!(fold(s).replace(' ', ""), compact(s), "{s}");
            assert_eq!(slug(s).replace('-', " "), fold(s), "{s}");
        }
        assert_eq!(fold("日本"), "ri ben");
    }

    #[test]
    fn place_keys_match_the_written_forms_of_one_name() {
        let k = place_key("Saint-Juéry");
        for s in ["St-Juéry", "St Juery", "SAINT JUERY", "saint-juéry"] {
            assert_eq!(place_key(s), k, "{s}");
        }
        assert_eq!(place_key("Le Garric"), "garric");
        assert_eq!(place_key("Garric (Le)"), "garric");
        assert_eq!(place_key("Castelnau-de-Lévis"), "castelnau de levis");
        assert_eq!(
            place_key_of_words(&["le", "st", "juery"]),
            place_key("Le St-Juéry")
        );
    }
}
