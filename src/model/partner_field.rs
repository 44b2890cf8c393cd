//! The fields of a CPTS partner, defined once: name, French label, CSV aliases, private or
//! not, and the check of a value.
//!
//! [`PARTNER_FIELDS`] is read by the partner CSV importer (column names and aliases, value
//! checks), the store (validation of a JSON body, private fields, column order of the CSV
//! export) and the page, which builds its form from `GET /api/partenaires/champs`.
//!
//! ```
//! use maillage::model::partner_field::{field, Cell, PARTNER_FIELDS};
//! assert_eq!(PARTNER_FIELDS[0].name, "identifiant");
//! let phone = field("telephone").unwrap();
//! assert_eq!(phone.check.check("+33 5 63 12 34 56").unwrap().cell,
//!     Cell::Text("05 63 12 34 56".into()));
//! assert!(phone.check.check("12").unwrap_err().contains("10 chiffres"));
//! assert!(field("ligne_directe").unwrap().private);
//! ```

use serde::Serialize;

use super::{FieldType, InseeCode};

/// A rejected value: the field, what was expected, what was found (all in French).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, utoipa::ToSchema)]
#[error("champ « {champ} » : attendu {attendu}, trouvé « {trouve} »")]
pub struct FieldError {
    /// The field's name.
    pub champ: String,
    /// What was expected.
    pub attendu: String,
    /// What was found (cut at 80 characters).
    pub trouve: String,
}

impl FieldError {
    /// A field error; a long found value is cut at 80 characters.
    pub fn new(
        champ: impl Into<String>,
        attendu: impl Into<String>,
        trouve: impl Into<String>,
    ) -> FieldError {
        let mut trouve: String = trouve.into();
        if trouve.chars().count() > 80 {
            trouve = trouve.chars().take(77).collect::<String>() + "…";
        }
        FieldError {
            champ: champ.into(),
            attendu: attendu.into(),
            trouve,
        }
    }
}

/// Whether a field must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Optional,
    /// The CSV column must be there; an empty value has a default.
    Column,
    /// The column and a non-empty value.
    Value,
}

/// How a value is checked and normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Controle)]
pub enum Check {
    /// The partner's own id (slugified by the importer).
    Id,
    /// One line of free text.
    Text,
    /// Free text, possibly on several lines.
    LongText,
    /// A kind id or label (checked against the loaded kinds).
    Kind,
    /// 5 digits; 4 digits are completed with a leading 0.
    Postcode,
    /// An INSEE commune code; 4 digits are completed with a leading 0.
    Insee,
    /// Decimal degrees (a decimal comma is accepted).
    Latitude,
    Longitude,
    /// A French phone number, normalised to `05 63 12 34 56`.
    Phone,
    Email,
    /// A web address; `www.…` becomes `https://www.…`.
    Url,
    /// A whole number of places or beds.
    Count,
    /// `oui` / `non` and their variants.
    YesNo,
    /// Tags separated by `,` or `|`.
    Tags,
}

/// One partner field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ChampPartenaire)]
pub struct PartnerField {
    /// Canonical column and JSON name.
    #[serde(rename = "nom")]
    pub name: &'static str,
    /// French label of the form and the history.
    #[serde(rename = "libelle")]
    pub label: &'static str,
    /// Other column names accepted in a CSV header.
    #[serde(rename = "alias")]
    #[schema(value_type = Vec<String>)]
    pub aliases: &'static [&'static str],
    /// Kept in the store only, shown to editors and administrators.
    #[serde(rename = "prive")]
    pub private: bool,
    #[serde(rename = "presence")]
    pub presence: Presence,
    #[serde(rename = "controle")]
    pub check: Check,
    /// Help shown under the form field.
    #[serde(rename = "aide")]
    pub help: Option<&'static str>,
}

const fn f(
    name: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
    check: Check,
    help: Option<&'static str>,
) -> PartnerField {
    PartnerField {
        name,
        label,
        aliases,
        private: false,
        presence: Presence::Optional,
        check,
        help,
    }
}

/// Every partner field, in the column order of the CSV template; private fields last.
pub const PARTNER_FIELDS: &[PartnerField] = &[
    f(
        "identifiant",
        "Identifiant",
        &["id"],
        Check::Id,
        Some("Lettres, chiffres et tirets ; vide : calculé à partir du nom et de la commune"),
    ),
    PartnerField {
        presence: Presence::Value,
        ..f("nom", "Nom", &["raison_sociale"], Check::Text, None)
    },
    PartnerField {
        presence: Presence::Column,
        ..f("type", "Type", &["categorie"], Check::Kind, None)
    },
    f("adresse", "Adresse (numéro et voie)", &[], Check::Text, None),
    f("code_postal", "Code postal", &["cp"], Check::Postcode, None),
    f("commune", "Commune", &["ville"], Check::Text, None),
    f(
        "code_insee",
        "Code INSEE de la commune",
        &["insee", "code_commune"],
        Check::Insee,
        Some("Rempli par un clic sur la carte ; sans coordonnées, le partenaire est placé au centre de la commune"),
    ),
    f(
        "latitude",
        "Latitude",
        &["lat"],
        Check::Latitude,
        Some("Degrés décimaux, ex. 43.9016"),
    ),
    f(
        "longitude",
        "Longitude",
        &["lon", "lng"],
        Check::Longitude,
        Some("Degrés décimaux, ex. 1.8970"),
    ),
    f(
        "telephone",
        "Téléphone",
        &["tel"],
        Check::Phone,
        Some("Numéro français, ex. 05 63 12 34 56"),
    ),
    f(
        "email",
        "Courriel",
        &["courriel", "mail", "e_mail"],
        Check::Email,
        None,
    ),
    f(
        "site",
        "Site",
        &["site_web", "site_internet"],
        Check::Url,
        None,
    ),
    f("horaires", "Horaires", &[], Check::Text, None),
    f("capacite", "Capacité (places, lits)", &[], Check::Count, None),
    f(
        "membre_cpts",
        "Membre de la CPTS",
        &["membre"],
        Check::YesNo,
        None,
    ),
    f("role", "Rôle", &[], Check::Text, None),
    f(
        "etiquettes",
        "Étiquettes",
        &["tags"],
        Check::Tags,
        Some("Séparées par des virgules"),
    ),
    f(
        "zone_intervention",
        "Zone d'intervention",
        &[],
        Check::Text,
        None,
    ),
    f("notes", "Notes", &["remarques"], Check::LongText, None),
    PartnerField {
        private: true,
        ..f(
            "ligne_directe",
            "Ligne directe (privée)",
            &[],
            Check::Phone,
            Some("Visible des seuls éditeurs"),
        )
    },
    PartnerField {
        private: true,
        ..f(
            "notes_internes",
            "Notes internes (privées)",
            &[],
            Check::LongText,
            Some("Visibles des seuls éditeurs"),
        )
    },
];

/// The field of this canonical name.
pub fn field(name: &str) -> Option<&'static PartnerField> {
    PARTNER_FIELDS.iter().find(|f| f.name == name)
}

/// The public fields, in column order.
pub fn public_fields() -> impl Iterator<Item = &'static PartnerField> {
    PARTNER_FIELDS.iter().filter(|f| !f.private)
}

/// Is `name` a private field?
pub fn is_private(name: &str) -> bool {
    field(name).is_some_and(|f| f.private)
}

/// A checked value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Count(u32),
    YesNo(bool),
    List(Vec<String>),
}

impl Cell {
    /// The text of a text cell.
    pub fn into_text(self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// A value after its check; `adjusted` when it was accepted with a remark (decimal comma,
/// leading 0 added).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub cell: Cell,
    pub adjusted: bool,
}

impl Checked {
    fn new(cell: Cell) -> Checked {
        Checked {
            cell,
            adjusted: false,
        }
    }
}

impl Check {
    /// The type of the exported column (GeoPackage, GeoJSON): coordinates Real, a count
    /// Integer, yes/no Boolean, everything else (codes, phones, joined tags) Text.
    ///
    /// ```
    /// use maillage::model::{partner_field::field, FieldType};
    /// assert_eq!(field("capacite").unwrap().check.field_type(), FieldType::Integer);
    /// assert_eq!(field("code_insee").unwrap().check.field_type(), FieldType::Text);
    /// ```
    pub const fn field_type(self) -> FieldType {
        match self {
            Check::Latitude | Check::Longitude => FieldType::Real,
            Check::Count => FieldType::Integer,
            Check::YesNo => FieldType::Boolean,
            Check::Id
            | Check::Text
            | Check::LongText
            | Check::Kind
            | Check::Postcode
            | Check::Insee
            | Check::Phone
            | Check::Email
            | Check::Url
            | Check::Tags => FieldType::Text,
        }
    }

    /// The kind of form input for this value (`text`, `tel`, `email`, `checkbox`,
    /// `select`, `textarea`).
    pub fn input(self) -> &'static str {
        match self {
            Check::Kind => "select",
            Check::Phone => "tel",
            Check::Email => "email",
            Check::YesNo => "checkbox",
            Check::LongText => "textarea",
            _ => "text",
        }
    }

    /// Longest value accepted, in characters: one line of text, several lines, an address.
    /// The same limits apply to the API, the CSV import and `maillage verifier`; each fits the
    /// directory's 4 KiB per field even in 4-byte characters.
    pub fn max_chars(self) -> usize {
        match self {
            Check::LongText | Check::Tags => MAX_LONG_TEXT_CHARS,
            _ => MAX_TEXT_CHARS,
        }
    }

    /// The checks every value passes whatever its kind: no control character (NUL, ESC,
    /// DEL…, or a bidirectional override; line breaks and tabs are allowed), at most
    /// [`Check::max_chars`] characters.
    pub fn hygiene(self, value: &str) -> Result<(), String> {
        if let Some(c) = value.chars().find(|&c| forbidden_char(c)) {
            return Err(format!(
                "un texte sans caractère de contrôle (trouvé U+{:04X})",
                c as u32
            ));
        }
        let n = value.chars().count();
        if n > self.max_chars() {
            return Err(format!(
                "{} caractères au plus (trouvé {n})",
                self.max_chars()
            ));
        }
        Ok(())
    }

    /// Checks and normalises a value (trimmed first). `Err` holds what was expected, in French.
    ///
    /// Every value first passes [`Check::hygiene`].
    pub fn check(self, raw: &str) -> Result<Checked, String> {
        let t = raw.trim();
        self.hygiene(t)?;
        if t.is_empty() {
            return Ok(Checked::new(match self {
                Check::YesNo => Cell::YesNo(false),
                Check::Tags => Cell::List(Vec::new()),
                _ => Cell::Empty,
            }));
        }
        let mut adjusted = false;
        let cell = match self {
            Check::Id | Check::Text | Check::LongText | Check::Kind => Cell::Text(t.to_string()),
            Check::Postcode => {
                let p = pad_code(t, &mut adjusted);
                if p.len() != 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("un code postal à 5 chiffres (ex. 81600)".into());
                }
                Cell::Text(p)
            }
            Check::Insee => match pad_code(t, &mut adjusted).parse::<InseeCode>() {
                Ok(c) => Cell::Text(c.to_string()),
                Err(_) => return Err("un code INSEE sur 5 caractères (ex. 81099, 2A004)".into()),
            },
            Check::Latitude | Check::Longitude => match parse_decimal(t, &mut adjusted) {
                Some(v) => Cell::Number(v),
                None => {
                    let example = if self == Check::Latitude {
                        "43.9289"
                    } else {
                        "2.1486"
                    };
                    return Err(format!("un nombre décimal en degrés (ex. {example})"));
                }
            },
            Check::Phone => match super::phone::normalize(t.strip_prefix("tel:").unwrap_or(t)) {
                Some(p) => Cell::Text(p),
                None => return Err(
                    "un numéro français à 10 chiffres (ex. 05 63 12 34 56 ou +33 5 63 12 34 56)"
                        .into(),
                ),
            },
            Check::Email => {
                let e = t.strip_prefix("mailto:").unwrap_or(t).trim();
                if !is_valid_email(e) {
                    return Err("une adresse e-mail (ex. contact@exemple.fr)".into());
                }
                Cell::Text(e.to_string())
            }
            Check::Url => Cell::Text(check_url(t, &mut adjusted)?),
            Check::Count => match t.replace([' ', '\u{a0}'], "").parse::<u32>() {
                Ok(n) => Cell::Count(n),
                Err(_) => return Err("un nombre entier de places ou de lits (ex. 40)".into()),
            },
            Check::YesNo => match parse_yes_no(t) {
                Some(b) => Cell::YesNo(b),
                None => return Err("oui ou non".into()),
            },
            Check::Tags => Cell::List(split_tags(t)),
        };
        Ok(Checked { cell, adjusted })
    }
}

/// Longest one-line value, in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest multi-line value (notes, schedules, tags), in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 1000;

/// A character no value may hold: control characters (C0 but line breaks and tabs, DEL,
/// C1) and the bidirectional overrides that reorder displayed text.
///
/// ```
/// use maillage::model::partner_field::forbidden_char;
/// assert!(forbidden_char('\u{0}') && forbidden_char('\u{1b}') && forbidden_char('\u{7f}'));
/// assert!(forbidden_char('\u{202e}'));
/// assert!(!forbidden_char('\n') && !forbidden_char('é'));
/// ```
pub fn forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A web site address: `http://` or `https://` and a host (`www.…` or a bare domain get
/// `https://`); any other scheme (`javascript:`, `data:`, `mailto:`…) is refused.
///
/// ```
/// use maillage::model::partner_field::check_url;
/// let mut adj = false;
/// assert_eq!(check_url("www.exemple.fr", &mut adj).unwrap(), "https://www.exemple.fr");
/// assert_eq!(check_url("HTTP://exemple.fr/a?b=1", &mut adj).unwrap(), "HTTP://exemple.fr/a?b=1");
/// assert_eq!(check_url("exemple.fr/contact", &mut adj).unwrap(), "https://exemple.fr/contact");
/// for bad in ["javascript:alert(1)", "data:text/html,x", "https://", "ftp://exemple.fr", "//evil.fr", "mailto:a@b.fr", "exemple"] {
///     assert!(check_url(bad, &mut adj).is_err(), "{bad}");
/// }
/// ```
pub fn check_url(t: &str, adjusted: &mut bool) -> Result<String, String> {
    const EXPECTED: &str =
        "une adresse de site en http:// ou https:// (ex. https://www.exemple.fr)";
    if t.chars().any(char::is_whitespace) {
        return Err("une adresse de site sans espace (ex. https://www.exemple.fr)".into());
    }
    let lower = t.to_ascii_lowercase();
    let (full, host) = if let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        (t.to_string(), rest.to_string())
    } else if lower.contains(':') || lower.starts_with('/') {
        return Err(EXPECTED.into());
    } else {
        *adjusted |= !lower.starts_with("www.");
        (format!("https://{t}"), lower.clone())
    };
    let host = host.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let name = host.split(':').next().unwrap_or("");
    let ok = name.contains('.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if !ok {
        return Err(EXPECTED.into());
    }
    Ok(full)
}

/// Separator of a tag list written as one text field: the partner CSV, and the `tags` /
/// `etiquettes` property of every GeoJSON export, so that GDAL and QGIS read one String column
/// (a JSON array becomes a StringList, ambiguous when a tag holds a comma). [`split_tags`]
/// reads it back; a partner tag never holds it.
pub const TAG_LIST_SEP: &str = "|";

/// Tags as one text field, joined with [`TAG_LIST_SEP`].
///
/// ```
/// use maillage::model::partner_field::{join_tags, split_tags};
/// let text = join_tags(["zone:Gaillac, Brens", "membre CPTS"]);
/// assert_eq!(text, "zone:Gaillac, Brens|membre CPTS");
/// assert_eq!(split_tags("a|b"), ["a", "b"]);
/// ```
pub fn join_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> String {
    tags.into_iter().collect::<Vec<_>>().join(TAG_LIST_SEP)
}

/// Splits on `,` and `|`, trims, drops empties and repeats.
pub fn split_tags(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in s.split([',', '|']).map(str::trim).filter(|t| !t.is_empty()) {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

/// A plausible e-mail address: one `@`, a local part and a dotted domain, no spaces.
///
/// ```
/// use maillage::model::partner_field::is_valid_email;
/// assert!(is_valid_email("contact@dac81.fr"));
/// assert!(is_valid_email("prenom.nom+cpts@exemple.gouv.fr"));
/// assert!(!is_valid_email("contact@dac81"));
/// assert!(!is_valid_email("contact dac81.fr"));
/// assert!(!is_valid_email("a@b@c.fr"));
/// ```
pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// Parses a decimal number; a decimal comma is accepted and reported through `comma`.
fn parse_decimal(s: &str, comma: &mut bool) -> Option<f64> {
    let t = s.trim();
    let v = if t.contains(',') && !t.contains('.') && t.matches(',').count() == 1 {
        *comma = true;
        t.replace(',', ".").parse::<f64>().ok()
    } else {
        t.parse::<f64>().ok()
    }?;
    v.is_finite().then_some(v)
}

/// Parses `oui`/`non` (and `o`, `n`, `x`, `vrai`, `faux`, `1`, `0`); `None` when unreadable.
fn parse_yes_no(s: &str) -> Option<bool> {
    match super::text::compact(s).as_str() {
        "oui" | "o" | "x" | "vrai" | "1" | "yes" | "y" | "true" => Some(true),
        "non" | "n" | "faux" | "0" | "no" | "false" | "" => Some(false),
        _ => None,
    }
}

/// Reads a 5-character code, completing a 4-digit one with a leading `0` (spreadsheets drop
/// it); `padded` is set when that happened.
fn pad_code(s: &str, padded: &mut bool) -> String {
    let t = s.trim();
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        *padded = true;
        format!("0{t}")
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in PARTNER_FIELDS {
            assert!(seen.insert(f.name), "{}", f.name);
            for a in f.aliases {
                assert!(seen.insert(a), "{a}");
            }
        }
        // Private fields come last, so the public columns are a prefix of the export.
        let first_private = PARTNER_FIELDS.iter().position(|f| f.private).unwrap();
        assert!(PARTNER_FIELDS[first_private..].iter().all(|f| f.private));
    }

    #[test]
    fn checks_normalise_or_say_what_was_expected() {
        let ok = |c: Check, s: &str| c.check(s).unwrap();
        assert_eq!(ok(Check::Postcode, "1000").cell, Cell::Text("01000".into()));
        assert!(ok(Check::Postcode, "1000").adjusted);
        assert!(Check::Postcode.check("8100A").is_err());
        assert_eq!(ok(Check::Insee, "2A004").cell, Cell::Text("2A004".into()));
        assert_eq!(ok(Check::Latitude, "43,9").cell, Cell::Number(43.9));
        assert!(ok(Check::Latitude, "43,9").adjusted);
        assert_eq!(
            ok(Check::Url, "www.x.fr").cell,
            Cell::Text("https://www.x.fr".into())
        );
        assert!(Check::Url.check("a b").is_err());
        assert_eq!(ok(Check::Count, "1 200").cell, Cell::Count(1200));
        assert!(Check::Count.check("-3").is_err());
        assert_eq!(ok(Check::YesNo, "Vrai").cell, Cell::YesNo(true));
        assert_eq!(ok(Check::YesNo, "").cell, Cell::YesNo(false));
        assert_eq!(Check::YesNo.check("peut-être").unwrap_err(), "oui ou non");
        assert_eq!(
            ok(Check::Tags, "a, b|a").cell,
            Cell::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            ok(Check::Email, "mailto:a@b.fr").cell,
            Cell::Text("a@b.fr".into())
        );
        assert_eq!(ok(Check::Text, "  ").cell, Cell::Empty);
    }
}
