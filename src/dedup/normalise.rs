//! Normalised names and addresses for comparing records across sources.

/// Words dropped from names: articles, prepositions and titles.
const NAME_STOP: &[&str] = &[
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "l",
    "d",
    "et",
    "a",
    "au",
    "aux",
    "dr",
    "pr",
    "docteur",
    "professeur",
    "mme",
    "m",
    "mr",
];

/// Street-type abbreviations written out.
const STREET_WORDS: &[(&str, &str)] = &[
    ("av", "avenue"),
    ("ave", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("r", "rue"),
    ("pl", "place"),
    ("che", "chemin"),
    ("ch", "chemin"),
    ("chem", "chemin"),
    ("rte", "route"),
    ("imp", "impasse"),
    ("all", "allee"),
    ("crs", "cours"),
    ("fg", "faubourg"),
    ("fbg", "faubourg"),
    ("sq", "square"),
    ("qu", "quai"),
    ("lot", "lotissement"),
    ("res", "residence"),
    ("st", "saint"),
    ("ste", "sainte"),
];

/// Buffers reused from one record to the next: keys of millions of records are computed
/// without allocating per word.
#[derive(Default)]
pub(crate) struct Scratch {
    folded: String,
    words: Vec<(usize, usize)>,
}

impl Scratch {
    /// Folds `s` into the buffer (see [`crate::model::text::fold`]) and records its words.
    fn fold(&mut self, s: &str) {
        use crate::model::text::{ascii_lower_into, ascii_words};
        self.folded.clear();
        self.words.clear();
        ascii_lower_into(s, &mut self.folded);
        let base = self.folded.as_ptr() as usize;
        for w in ascii_words(&self.folded) {
            let start = w.as_ptr() as usize - base;
            self.words.push((start, start + w.len()));
        }
    }

    fn word(&self, (start, end): (usize, usize)) -> &str {
        &self.folded[start..end]
    }
}

fn push_word(out: &mut String, w: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(w);
}

/// A name as a sorted set of significant words: `Dr Marie DUPONT` and `DUPONT MARIE` are equal.
///
/// ```
/// use maillage::dedup::normalise::name_key;
/// assert_eq!(name_key("Dr Marie DUPONT"), name_key("DUPONT Marie"));
/// assert_eq!(name_key("Pharmacie de l'Église"), "eglise pharmacie");
/// ```
pub fn name_key(name: &str) -> String {
    let mut out = String::new();
    name_key_into(name, &mut Scratch::default(), &mut out);
    out
}

/// [`name_key`] written to `out` (cleared first), with reused buffers.
pub(crate) fn name_key_into(name: &str, scratch: &mut Scratch, out: &mut String) {
    out.clear();
    scratch.fold(name);
    let Scratch { folded, words } = scratch;
    words.retain(|&(s, e)| !NAME_STOP.contains(&&folded[s..e]));
    words.sort_unstable_by(|&(a, b), &(c, d)| folded[a..b].cmp(&folded[c..d]));
    words.dedup_by(|&mut (a, b), &mut (c, d)| folded[a..b] == folded[c..d]);
    for &(s, e) in words.iter() {
        push_word(out, &folded[s..e]);
    }
}

/// A street address with abbreviations written out and small words dropped.
///
/// ```
/// use maillage::dedup::normalise::address_key;
/// assert_eq!(address_key(Some("12"), Some("AV DE LA RÉPUBLIQUE")),
///            address_key(Some("12"), Some("Avenue République")));
/// assert_eq!(address_key(None, None), "");
/// ```
pub fn address_key(number: Option<&str>, street: Option<&str>) -> String {
    let mut out = String::new();
    address_key_into(number, street, &mut Scratch::default(), &mut out);
    out
}

/// [`address_key`] written to `out` (cleared first), with reused buffers.
pub(crate) fn address_key_into(
    number: Option<&str>,
    street: Option<&str>,
    scratch: &mut Scratch,
    out: &mut String,
) {
    out.clear();
    for part in [number.unwrap_or(""), street.unwrap_or("")] {
        scratch.fold(part);
        for &w in &scratch.words {
            let w = scratch.word(w);
            if ["de", "du", "des", "la", "le", "les", "l", "d"].contains(&w) {
                continue;
            }
            let w = STREET_WORDS
                .iter()
                .find(|(a, _)| *a == w)
                .map_or(w, |(_, full)| full);
            push_word(out, w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::text::words;
    use proptest::prelude::*;

    /// The keys as first written, one `String` per word: the reused buffers must not change them.
    fn name_key_by_words(name: &str) -> String {
        let mut w: Vec<String> = words(name)
            .into_iter()
            .filter(|w| !NAME_STOP.contains(&w.as_str()))
            .collect();
        w.sort();
        w.dedup();
        w.join(" ")
    }

    fn address_key_by_words(number: &str, street: &str) -> String {
        let mut out: Vec<String> = Vec::new();
        for part in [number, street] {
            for w in words(part) {
                if ["de", "du", "des", "la", "le", "les", "l", "d"].contains(&w.as_str()) {
                    continue;
                }
                let w = STREET_WORDS
                    .iter()
                    .find(|(a, _)| *a == w)
                    .map_or(w.clone(), |(_, full)| full.to_string());
                out.push(w);
            }
        }
        out.join(" ")
    }

    proptest! {
        #[test]
        fn reused_buffers_give_the_keys_of_a_fresh_fold(
            a in "[ a-zA-Zé'Œ.-]{0,30}|(Dr|de la|AV|St|12 bis|Église|ste) [A-Za-zé ]{0,12}",
            b in "[ a-zA-Z0-9é'-]{0,30}",
        ) {
            let mut scratch = Scratch::default();
            let mut out = String::from("stale");
            name_key_into(&a, &mut scratch, &mut out);
            prop_assert_eq!(&out, &name_key_by_words(&a));
            address_key_into(Some(&b), Some(&a), &mut scratch, &mut out);
            prop_assert_eq!(&out, &address_key_by_words(&b, &a));
        }
    }
}
