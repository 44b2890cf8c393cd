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

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    crate::model::text::words(s).into_iter()
}

/// A name as a sorted set of significant words: `Dr Marie DUPONT` and `DUPONT MARIE` are equal.
///
/// ```
/// use maillage::dedup::normalise::name_key;
/// assert_eq!(name_key("Dr Marie DUPONT"), name_key("DUPONT Marie"));
/// assert_eq!(name_key("Pharmacie de l'Église"), "eglise pharmacie");
/// ```
pub fn name_key(name: &str) -> String {
    let mut w: Vec<String> = words(name)
        .filter(|w| !NAME_STOP.contains(&w.as_str()))
        .collect();
    w.sort();
    w.dedup();
    w.join(" ")
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
    let mut out: Vec<String> = Vec::new();
    for part in [number.unwrap_or(""), street.unwrap_or("")] {
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
