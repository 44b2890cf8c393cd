//! The one place resolver: turns a user's or a file's text into communes.
//!
//! A commune is found by its INSEE code, by a former code (a commune merged into a commune
//! nouvelle, COG `commune-deleguee` / `commune-associee`), by its name (case, accents, hyphens,
//! `St`/`Ste`/`Saint`, leading articles: see [`place_key`]), by its postcode (every commune of
//! the postcode), or by a postcode and a name together (`81600 Gaillac`). Every candidate says
//! why it matched. Search, orientation, the partner importer and API, service areas and the
//! FINESS / RPPS fallback all resolve places here.
//!
//! ```
//! use maillage::model::place::{PlaceResolver, Why};
//! use maillage::model::Commune;
//! let mut gaillac = Commune::new("81099".parse().unwrap(), "Gaillac");
//! gaillac.postcodes = vec!["81600".into()];
//! let mut brens = Commune::new("81038".parse().unwrap(), "Brens");
//! brens.postcodes = vec!["81600".into()];
//! let mut garrevaques = Commune::new("81100".parse().unwrap(), "Garrevaques");
//! garrevaques.postcodes = vec!["81700".into()];
//! let r = PlaceResolver::new(&[gaillac, brens, garrevaques], &[]);
//! let codes = |q: &str| r.resolve(q).iter().map(|c| c.code.to_string()).collect::<Vec<_>>();
//! assert_eq!(codes("81600"), ["81038", "81099"]);
//! assert_eq!(codes("81600 Gaillac"), ["81099"]);
//! assert_eq!(codes("3 place d'Hautpoul, 81600 GAILLAC"), ["81099"]);
//! assert_eq!(codes("81100"), ["81100"], "not a postcode here: the INSEE code");
//! assert_eq!(r.resolve("81600 Gaillac")[0].why, Why::PostcodeAndName);
//! ```

use std::collections::{BTreeMap, HashMap};

use super::text::{fold, place_key, place_key_of_words};
use super::{Commune, InseeCode};

/// A commune that no longer exists under its own code: merged into `successor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerCommune {
    pub code: InseeCode,
    pub name: String,
    pub successor: InseeCode,
}

/// Why a candidate matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Its INSEE code.
    Code,
    /// A former code, merged into this commune.
    FormerCode(InseeCode),
    /// Its name (or the name of a commune merged into it).
    Name,
    /// One of its postcodes.
    Postcode,
    /// A postcode and its name, both given.
    PostcodeAndName,
}

impl Why {
    /// French explanation, for notes and reports.
    pub fn label(self) -> String {
        match self {
            Why::Code => "code INSEE".into(),
            Why::FormerCode(old) => format!("ancien code INSEE {old} (commune fusionnée)"),
            Why::Name => "nom de commune".into(),
            Why::Postcode => "code postal".into(),
            Why::PostcodeAndName => "code postal et nom de commune".into(),
        }
    }
}

/// A commune a text may designate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub code: InseeCode,
    pub why: Why,
    /// The postcode that matched, for [`Why::Postcode`] and [`Why::PostcodeAndName`].
    pub postcode: Option<String>,
}

/// Lookups by code, former code, name key and postcode over the loaded communes.
#[derive(Debug, Clone, Default)]
pub struct PlaceResolver {
    codes: Vec<InseeCode>,
    former: HashMap<InseeCode, InseeCode>,
    names: HashMap<String, Vec<InseeCode>>,
    postcodes: BTreeMap<String, Vec<InseeCode>>,
    /// Most words in a name key (bounds the word windows tried in an address).
    max_words: usize,
}

fn is_postcode_shaped(w: &str) -> bool {
    w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit())
}

impl PlaceResolver {
    /// Indexes communes and the former communes merged into them (those whose successor is
    /// not among `communes` are ignored).
    pub fn new(communes: &[Commune], former: &[FormerCommune]) -> PlaceResolver {
        let mut codes: Vec<InseeCode> = communes.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut r = PlaceResolver {
            codes,
            ..Default::default()
        };
        for c in communes {
            r.add_name(&c.name, c.code);
            for p in &c.postcodes {
                r.postcodes.entry(p.clone()).or_default().push(c.code);
            }
        }
        for f in former {
            if r.codes.binary_search(&f.successor).is_err() {
                continue;
            }
            if r.codes.binary_search(&f.code).is_err() {
                r.former.insert(f.code, f.successor);
            }
            r.add_name(&f.name, f.successor);
        }
        for v in r.names.values_mut().chain(r.postcodes.values_mut()) {
            v.sort_unstable();
            v.dedup();
        }
        r
    }

    fn add_name(&mut self, name: &str, code: InseeCode) {
        let key = place_key(name);
        if key.is_empty() {
            return;
        }
        self.max_words = self.max_words.max(key.split(' ').count() + 1);
        self.names.entry(key).or_default().push(code);
    }

    /// A commune from an INSEE code, current or former (`None` for a malformed or unknown
    /// code).
    ///
    /// ```
    /// use maillage::model::place::{FormerCommune, PlaceResolver, Why};
    /// use maillage::model::Commune;
    /// let terre = Commune::new("81233".parse().unwrap(), "Terre-de-Bancalié");
    /// let ronel = FormerCommune { code: "81226".parse().unwrap(), name: "Ronel".into(), successor: "81233".parse().unwrap() };
    /// let r = PlaceResolver::new(&[terre], &[ronel]);
    /// let c = r.code("81226").unwrap();
    /// assert_eq!((c.code.as_str(), c.why), ("81233", Why::FormerCode("81226".parse().unwrap())));
    /// assert_eq!(r.name("Ronel"), ["81233".parse().unwrap()]);
    /// assert!(r.code("81999").is_none());
    /// ```
    pub fn code(&self, s: &str) -> Option<Candidate> {
        let code: InseeCode = s.trim().to_ascii_uppercase().parse().ok()?;
        if self.codes.binary_search(&code).is_ok() {
            return Some(Candidate {
                code,
                why: Why::Code,
                postcode: None,
            });
        }
        self.former.get(&code).map(|&successor| Candidate {
            code: successor,
            why: Why::FormerCode(code),
            postcode: None,
        })
    }

    /// Communes whose name (or a former name) has the same [`place_key`] as `name`.
    pub fn name(&self, name: &str) -> &[InseeCode] {
        self.names
            .get(&place_key(name))
            .map_or(&[], |v| v.as_slice())
    }

    /// Communes of a postcode, in code order.
    pub fn postcode(&self, postcode: &str) -> &[InseeCode] {
        self.postcodes
            .get(postcode.trim())
            .map_or(&[], |v| v.as_slice())
    }

    /// Is this a postcode of a loaded commune?
    pub fn is_postcode(&self, s: &str) -> bool {
        self.postcodes.contains_key(s.trim())
    }

    /// Postcodes starting with `prefix` (digits only), in order, with their communes.
    pub fn postcodes_starting_with<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [InseeCode])> + 'a {
        let ok = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit());
        self.postcodes
            .range(prefix.to_string()..)
            .take_while(move |(p, _)| ok && p.starts_with(prefix))
            .map(|(p, v)| (p.as_str(), v.as_slice()))
    }

    /// Communes a free text designates: an INSEE code, a postcode, a commune name, a postcode
    /// and a name (`81600 Gaillac`), or an address containing them. A postcode and a name
    /// narrow each other down when they agree; a 5-digit number is read as a postcode before
    /// an INSEE code. Names found inside a longer matching name are dropped (`Gaillac` in
    /// `Gaillac-Toulza`). Sorted by code.
    pub fn resolve(&self, text: &str) -> Vec<Candidate> {
        let folded = fold(text);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let postcodes: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| is_postcode_shaped(w) && self.is_postcode(w))
            .collect();
        let by_name = self.names_in(text, &words);
        let mut out: Vec<Candidate> = Vec::new();
        if !postcodes.is_empty() {
            for p in &postcodes {
                for &code in self.postcode(p) {
                    if by_name.contains(&code) {
                        out.push(Candidate {
                            code,
                            why: Why::PostcodeAndName,
                            postcode: Some(p.to_string()),
                        });
                    }
                }
            }
            if out.is_empty() {
                for p in &postcodes {
                    out.extend(self.postcode(p).iter().map(|&code| Candidate {
                        code,
                        why: Why::Postcode,
                        postcode: Some(p.to_string()),
                    }));
                }
            }
        } else if !by_name.is_empty() {
            out.extend(by_name.into_iter().map(|code| Candidate {
                code,
                why: Why::Name,
                postcode: None,
            }));
        } else {
            out.extend(
                words
                    .iter()
                    .filter(|w| w.len() == 5)
                    .filter_map(|w| self.code(w)),
            );
        }
        out.sort_by_key(|c| c.code);
        out.dedup_by_key(|c| c.code);
        out
    }

    /// Communes named in a text: the whole text, else the longest word windows that are a
    /// commune name.
    fn names_in(&self, text: &str, words: &[&str]) -> Vec<InseeCode> {
        let whole = self.name(text);
        if !whole.is_empty() {
            return whole.to_vec();
        }
        // (start, end, codes) of every window that is a name.
        let mut found: Vec<(usize, usize, &[InseeCode])> = Vec::new();
        for start in 0..words.len() {
            let end_max = words.len().min(start + self.max_words);
            for end in start + 1..=end_max {
                if let Some(v) = self.names.get(&place_key_of_words(&words[start..end])) {
                    found.push((start, end, v));
                }
            }
        }
        let inside_longer = |&(s, e, _): &(usize, usize, &[InseeCode])| {
            found
                .iter()
                .any(|&(s2, e2, _)| s2 <= s && e <= e2 && (e2 - s2) > (e - s))
        };
        let mut codes: Vec<InseeCode> = found
            .iter()
            .filter(|f| !inside_longer(f))
            .flat_map(|f| f.2.iter().copied())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(code: &str, name: &str, postcodes: &[&str]) -> Commune {
        let mut c = Commune::new(code.parse().unwrap(), name);
        c.postcodes = postcodes.iter().map(|p| p.to_string()).collect();
        c
    }

    fn resolver() -> PlaceResolver {
        PlaceResolver::new(
            &[
                commune("81099", "Gaillac", &["81600"]),
                commune("81038", "Brens", &["81600"]),
                commune("81101", "Gaillac-Toulza", &["31550"]),
                commune("81257", "Saint-Juéry", &["81160"]),
                commune("81101", "Gaillac-Toulza", &["31550"]),
                commune("81082", "Le Dourn", &["81340"]),
                commune("81271", "Saint-Sulpice-la-Pointe", &["81370"]),
                commune("81100", "Garrevaques", &["81700"]),
            ],
            &[],
        )
    }

    fn codes(r: &PlaceResolver, q: &str) -> Vec<String> {
        r.resolve(q).iter().map(|c| c.code.to_string()).collect()
    }

    #[test]
    fn each_written_form_of_a_name() {
        let r = resolver();
        for q in ["St-Juéry", "St Juery", "SAINT JUERY", "saint-juéry"] {
            assert_eq!(codes(&r, q), ["81257"], "{q}");
        }
        assert_eq!(codes(&r, "Dourn (Le)"), ["81082"]);
        assert_eq!(codes(&r, "le dourn"), ["81082"]);
        assert_eq!(codes(&r, "Gaillac Toulza"), ["81101"]);
        assert_eq!(codes(&r, "12 rue X Gaillac-Toulza"), ["81101"]);
        assert_eq!(codes(&r, "Gaillac"), ["81099"]);
    }

    #[test]
    fn postcodes_never_read_as_insee_codes() {
        let r = resolver();
        assert_eq!(codes(&r, "81600"), ["81038", "81099"]);
        assert!(r.resolve("81600").iter().all(|c| c.why == Why::Postcode));
        assert_eq!(codes(&r, "81600 Gaillac"), ["81099"]);
        assert_eq!(codes(&r, "Gaillac 81600"), ["81099"]);
        // A postcode that contradicts the name: the postcode wins, every commune of it.
        assert_eq!(codes(&r, "81600 Saint-Juéry"), ["81038", "81099"]);
        assert_eq!(codes(&r, "81370"), ["81271"]);
        assert_eq!(codes(&r, "81100"), ["81100"]);
        assert_eq!(r.resolve("81100")[0].why, Why::Code);
        assert!(codes(&r, "99999").is_empty());
        assert_eq!(
            r.postcodes_starting_with("816")
                .map(|(p, _)| p)
                .collect::<Vec<_>>(),
            ["81600"]
        );
        assert_eq!(r.postcodes_starting_with("").count(), 0);
    }
}
