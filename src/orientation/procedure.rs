//! The procedure model and its TOML form, parsed with line numbers for every error.
//!
//! The format is documented, with a commented example, in `procedures/MODELE.toml`.
//!
//! ```
//! use maillage::orientation::procedure::{parse, Rule};
//! let text = r#"
//! id = "sans-medecin"
//! titre = "Patient sans médecin traitant"
//! version = "1"
//! date = "2026-05-01"
//!
//! [[etapes]]
//! id = "msp"
//! types = ["msp", "centre-sante"]
//! choix = "plus_proche"
//! rayon_km = 20
//! "#;
//! let p = parse(text, "sans-medecin.toml").unwrap();
//! assert_eq!(p.steps[0].rule, Rule::Nearest { radius_km: 20.0, count: 1 });
//! assert_eq!(p.steps[0].line, 7);
//!
//! let errors = parse("id = \"x\"\ntitre = 3\n", "x.toml").unwrap_err();
//! assert_eq!(errors[0].line, 2);
//! assert!(errors[0].to_string().starts_with("x.toml:2: "));
//! ```

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use toml::Spanned;

use crate::model::InseeCode;

/// Largest radius a step may use, in kilometres.
pub const MAX_RADIUS_KM: f64 = 100.0;
/// Largest number of actors a step may list.
pub const MAX_COUNT: usize = 50;
/// Highest age accepted in criteria.
pub const MAX_AGE: u32 = 130;

/// How serious a problem is: an error makes the file unusable, a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Severity {
    #[serde(rename = "erreur")]
    Error,
    #[serde(rename = "avertissement")]
    Warning,
}

/// A problem found in a procedure file, at a line.
///
/// ```
/// use maillage::orientation::procedure::Problem;
/// let p = Problem::error("a.toml", 3, "type inconnu « xyz »");
/// assert_eq!(p.to_string(), "a.toml:3: type inconnu « xyz »");
/// assert_eq!(Problem::warning("a.toml", 4, "rien").to_string(), "a.toml:4: attention : rien");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "fichier")]
    pub file: String,
    #[serde(rename = "ligne")]
    pub line: usize,
    #[serde(rename = "gravite")]
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    pub fn error(file: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(file: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}:{}: {}", self.file, self.line, self.message),
            Severity::Warning => write!(
                f,
                "{}:{}: attention : {}",
                self.file, self.line, self.message
            ),
        }
    }
}

/// A value with the line it was written on.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// Who the procedure applies to. Every set criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Criteria {
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    /// The patient's commune must be one of these (with `territoires`: either list).
    pub communes: Vec<Located<InseeCode>>,
    /// Ids of loaded territories (`cpts:…`, `epci:…`, `dep:81`).
    #[serde(rename = "territoires")]
    pub territories: Vec<Located<String>>,
    #[serde(skip)]
    pub line: usize,
}

impl Criteria {
    /// True when no commune or territory limit is set.
    pub fn everywhere(&self) -> bool {
        self.communes.is_empty() && self.territories.is_empty()
    }

    /// Age range as (min, max), open ends filled with 0 and [`MAX_AGE`].
    pub fn age_range(&self) -> (u32, u32) {
        (self.age_min.unwrap_or(0), self.age_max.unwrap_or(MAX_AGE))
    }

    /// French description of the age criterion (`60 ans et plus`, `12 à 17 ans`).
    pub fn age_label(&self) -> Option<String> {
        age_label(self.age_min, self.age_max)
    }
}

pub(crate) fn age_label(min: Option<u32>, max: Option<u32>) -> Option<String> {
    match (min, max) {
        (None, None) => None,
        (Some(a), None) => Some(format!("{a} ans et plus")),
        (None, Some(b)) => Some(format!("jusqu'à {b} ans")),
        (Some(a), Some(b)) => Some(format!("de {a} à {b} ans")),
    }
}

/// How a step chooses among the actors of its kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Actors whose service area contains the patient's commune or point (`competent`), at
    /// most `max` (nearest first).
    Competent { max: Option<usize> },
    /// The `count` nearest within `radius_km` (`plus_proche`).
    Nearest { radius_km: f64, count: usize },
    /// Every actor within `radius_km`, at most `max` (`tous_dans_rayon`).
    AllWithin { radius_km: f64, max: Option<usize> },
    /// Named actors (`acteur`).
    Actors(Vec<Located<String>>),
}

impl Rule {
    /// The keyword used in files (`competent`, `plus_proche`, `tous_dans_rayon`, `acteur`).
    pub fn keyword(&self) -> &'static str {
        match self {
            Rule::Competent { .. } => "competent",
            Rule::Nearest { .. } => "plus_proche",
            Rule::AllWithin { .. } => "tous_dans_rayon",
            Rule::Actors(_) => "acteur",
        }
    }

    /// French description for professionals.
    pub fn label(&self) -> String {
        match self {
            Rule::Competent { .. } => "structure compétente pour la commune du patient".into(),
            Rule::Nearest { radius_km, count } if *count == 1 => {
                format!("la plus proche, dans un rayon de {} km", fmt_km(*radius_km))
            }
            Rule::Nearest { radius_km, count } => format!(
                "les {count} plus proches, dans un rayon de {} km",
                fmt_km(*radius_km)
            ),
            Rule::AllWithin { radius_km, .. } => {
                format!("toutes dans un rayon de {} km", fmt_km(*radius_km))
            }
            Rule::Actors(_) => "structure désignée par la procédure".into(),
        }
    }
}

/// `12.5` → `12,5`, `30.0` → `30`.
pub(crate) fn fmt_km(km: f64) -> String {
    let s = if (km - km.round()).abs() < 1e-9 {
        format!("{}", km.round() as i64)
    } else {
        format!("{km:.1}")
    };
    s.replace('.', ",")
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.keyword())
    }
}

/// One step of a procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub id: String,
    #[serde(rename = "titre")]
    pub title: String,
    /// Kind ids to contact (`ssiad`, `dac`…); empty for a rule naming actors.
    #[serde(rename = "types")]
    pub kinds: Vec<Located<String>>,
    #[serde(rename = "choix")]
    pub rule: Rule,
    /// What the professional should do or say.
    pub message: Option<String>,
    /// Documents to prepare.
    pub documents: Vec<String>,
    /// Step to apply when this one selects nobody.
    #[serde(rename = "si_aucun")]
    pub fallback: Option<Located<String>>,
    /// A fallback step: applied only through another step's `si_aucun`.
    #[serde(rename = "secours")]
    pub is_fallback: bool,
    /// The step applies only to patients of this age range.
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    #[serde(skip)]
    pub line: usize,
}

impl Step {
    /// True when the step applies to a patient of this age (unknown age: applies).
    pub fn applies_to_age(&self, age: Option<u32>) -> bool {
        match age {
            None => true,
            Some(a) => self.age_min.is_none_or(|m| a >= m) && self.age_max.is_none_or(|m| a <= m),
        }
    }
}

/// A validated procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Procedure {
    pub id: String,
    #[serde(rename = "titre")]
    pub title: String,
    /// Procedures with the same situation must have disjoint criteria.
    pub situation: String,
    /// Who the procedure is written for.
    #[serde(rename = "public")]
    pub audience: Option<String>,
    pub version: String,
    /// ISO date `YYYY-MM-DD`.
    pub date: String,
    /// Structures that co-signed the procedure.
    #[serde(rename = "auteurs")]
    pub authors: Vec<String>,
    /// Sample procedure shipped with the demo.
    #[serde(rename = "exemple")]
    pub sample: bool,
    #[serde(rename = "resume")]
    pub summary: Option<String>,
    #[serde(rename = "criteres")]
    pub criteria: Criteria,
    #[serde(rename = "etapes")]
    pub steps: Vec<Step>,
    /// File the procedure was read from.
    #[serde(rename = "fichier")]
    pub file: String,
}

impl Procedure {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

// ---- TOML form -------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcedure {
    id: Spanned<String>,
    titre: Spanned<String>,
    situation: Option<Spanned<String>>,
    public: Option<String>,
    version: Spanned<toml::Value>,
    date: Spanned<toml::Value>,
    #[serde(default)]
    auteurs: Vec<String>,
    #[serde(default)]
    exemple: bool,
    resume: Option<String>,
    criteres: Option<Spanned<RawCriteria>>,
    #[serde(default)]
    etapes: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriteria {
    age_min: Option<Spanned<i64>>,
    age_max: Option<Spanned<i64>>,
    #[serde(default)]
    communes: Vec<Spanned<String>>,
    #[serde(default)]
    territoires: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    titre: Option<String>,
    #[serde(default)]
    types: Vec<Spanned<String>>,
    choix: Spanned<String>,
    rayon_km: Option<Spanned<f64>>,
    nombre: Option<Spanned<i64>>,
    #[serde(default)]
    acteurs: Vec<Spanned<String>>,
    message: Option<String>,
    #[serde(default)]
    documents: Vec<String>,
    si_aucun: Option<Spanned<String>>,
    #[serde(default)]
    secours: bool,
    age_min: Option<Spanned<i64>>,
    age_max: Option<Spanned<i64>>,
}

/// Maps byte offsets to 1-based line numbers.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }

    fn at(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset).max(1)
    }
}

/// A valid id: lowercase letters, digits and dashes.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

/// Parses one procedure file and checks everything that needs no loaded data: required
/// fields, ids, rules and their parameters, fallbacks (unknown, unreachable, cycles), ages.
/// Kinds, actor ids, communes and territories are checked against a directory by
/// [`super::check`].
pub fn parse(text: &str, file: &str) -> Result<Procedure, Vec<Problem>> {
    let lines = Lines::new(text);
    let raw: RawProcedure = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(1, |s| lines.at(s.start));
            return Err(vec![Problem::error(file, line, translate(e.message()))]);
        }
    };
    let mut problems = Vec::new();
    let line_of = |sp: std::ops::Range<usize>| lines.at(sp.start);
    let mut err = |line: usize, msg: String| problems.push(Problem::error(file, line, msg));

    let id = raw.id.get_ref().trim().to_string();
    if !is_slug(&id) {
        err(
            line_of(raw.id.span()),
            format!(
                "id : identifiant attendu en minuscules, chiffres et tirets (ex. perte-autonomie), trouvé « {id} »"
            ),
        );
    }
    let title = raw.titre.get_ref().trim().to_string();
    if title.is_empty() {
        err(
            line_of(raw.titre.span()),
            "titre : texte non vide attendu".into(),
        );
    }
    let situation = match &raw.situation {
        Some(s) if !is_slug(s.get_ref().trim()) => {
            err(
                line_of(s.span()),
                format!(
                    "situation : identifiant attendu en minuscules, chiffres et tirets, trouvé « {} »",
                    s.get_ref()
                ),
            );
            id.clone()
        }
        Some(s) => s.get_ref().trim().to_string(),
        None => id.clone(),
    };
    let version = match raw.version.get_ref() {
        toml::Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        other => {
            err(
                line_of(raw.version.span()),
                format!("version : texte attendu (ex. \"1.2\"), trouvé {other}"),
            );
            String::new()
        }
    };
    let date = match raw.date.get_ref() {
        toml::Value::String(s) if is_iso_date(s.trim()) => s.trim().to_string(),
        toml::Value::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
        other => {
            err(
                line_of(raw.date.span()),
                format!("date : date AAAA-MM-JJ attendue (ex. 2026-05-01), trouvé {other}"),
            );
            String::new()
        }
    };

    let mut criteria = Criteria::default();
    if let Some(c) = &raw.criteres {
        criteria.line = line_of(c.span());
        let c = c.get_ref();
        criteria.age_min = age(&c.age_min, "criteres.age_min", &lines, &mut err);
        criteria.age_max = age(&c.age_max, "criteres.age_max", &lines, &mut err);
        if let (Some(a), Some(b)) = (criteria.age_min, criteria.age_max) {
            if a > b {
                err(
                    criteria.line,
                    format!("criteres : age_min ({a}) supérieur à age_max ({b})"),
                );
            }
        }
        for s in &c.communes {
            match s.get_ref().parse::<InseeCode>() {
                Ok(code) => criteria.communes.push(Located {
                    value: code,
                    line: line_of(s.span()),
                }),
                Err(e) => err(line_of(s.span()), format!("criteres.communes : {e}")),
            }
        }
        for s in &c.territoires {
            criteria.territories.push(Located {
                value: s.get_ref().trim().to_string(),
                line: line_of(s.span()),
            });
        }
    }

    if raw.etapes.is_empty() {
        err(
            1,
            "etapes : au moins une étape [[etapes]] attendue".to_string(),
        );
    }
    let mut steps = Vec::new();
    let mut seen = HashSet::new();
    for sp in &raw.etapes {
        let line = line_of(sp.span());
        let s = sp.get_ref();
        let sid = s.id.get_ref().trim().to_string();
        if !is_slug(&sid) {
            err(
                line_of(s.id.span()),
                format!("etapes.id : identifiant attendu en minuscules, chiffres et tirets, trouvé « {sid} »"),
            );
        } else if !seen.insert(sid.clone()) {
            err(
                line_of(s.id.span()),
                format!("etapes.id : l'étape « {sid} » est déclarée deux fois"),
            );
        }
        let radius = match &s.rayon_km {
            Some(r)
                if !(r.get_ref().is_finite()
                    && *r.get_ref() > 0.0
                    && *r.get_ref() <= MAX_RADIUS_KM) =>
            {
                err(
                    line_of(r.span()),
                    format!(
                        "rayon_km : nombre de kilomètres attendu entre 0 (exclu) et {MAX_RADIUS_KM}, trouvé {}",
                        r.get_ref()
                    ),
                );
                None
            }
            Some(r) => Some(*r.get_ref()),
            None => None,
        };
        let count = match &s.nombre {
            Some(n) if !(1..=MAX_COUNT as i64).contains(n.get_ref()) => {
                err(
                    line_of(n.span()),
                    format!(
                        "nombre : entier attendu entre 1 et {MAX_COUNT}, trouvé {}",
                        n.get_ref()
                    ),
                );
                None
            }
            Some(n) => Some(*n.get_ref() as usize),
            None => None,
        };
        let choix_line = line_of(s.choix.span());
        let rule = match s.choix.get_ref().trim() {
            "competent" => Some(Rule::Competent { max: count }),
            "plus_proche" => match radius {
                Some(r) => Some(Rule::Nearest {
                    radius_km: r,
                    count: count.unwrap_or(1),
                }),
                None => {
                    if s.rayon_km.is_none() {
                        err(
                            choix_line,
                            "choix « plus_proche » : rayon_km attendu (ex. rayon_km = 30)".into(),
                        );
                    }
                    None
                }
            },
            "tous_dans_rayon" => match radius {
                Some(r) => Some(Rule::AllWithin {
                    radius_km: r,
                    max: count,
                }),
                None => {
                    if s.rayon_km.is_none() {
                        err(
                            choix_line,
                            "choix « tous_dans_rayon » : rayon_km attendu (ex. rayon_km = 10)"
                                .into(),
                        );
                    }
                    None
                }
            },
            "acteur" | "acteurs" => {
                if s.acteurs.is_empty() {
                    err(
                        choix_line,
                        "choix « acteur » : liste acteurs attendue (ex. acteurs = [\"finess:810000505\"])".into(),
                    );
                }
                Some(Rule::Actors(
                    s.acteurs
                        .iter()
                        .map(|a| Located {
                            value: a.get_ref().trim().to_string(),
                            line: line_of(a.span()),
                        })
                        .collect(),
                ))
            }
            other => {
                err(
                    choix_line,
                    format!(
                        "choix : « competent », « plus_proche », « tous_dans_rayon » ou « acteur » attendu, trouvé « {other} »"
                    ),
                );
                None
            }
        };
        if let Some(r) = &rule {
            if !matches!(r, Rule::Actors(_)) && s.types.is_empty() {
                err(
                    choix_line,
                    format!(
                        "choix « {} » : liste types attendue (ex. types = [\"ssiad\"])",
                        r.keyword()
                    ),
                );
            }
            if matches!(r, Rule::Actors(_)) && !s.types.is_empty() {
                err(
                    line_of(s.types[0].span()),
                    "choix « acteur » : types est sans effet, retirez-le ou choisissez une autre règle".into(),
                );
            }
            if !matches!(r, Rule::Actors(_)) && !s.acteurs.is_empty() {
                err(
                    line_of(s.acteurs[0].span()),
                    format!(
                        "choix « {} » : acteurs est sans effet (réservé au choix « acteur »)",
                        r.keyword()
                    ),
                );
            }
            if matches!(r, Rule::Competent { .. }) {
                if let Some(x) = &s.rayon_km {
                    err(
                        line_of(x.span()),
                        "choix « competent » : rayon_km est sans effet (la zone d'intervention décide)".into(),
                    );
                }
            }
        }
        let age_min = age(&s.age_min, "etapes.age_min", &lines, &mut err);
        let age_max = age(&s.age_max, "etapes.age_max", &lines, &mut err);
        if let (Some(a), Some(b)) = (age_min, age_max) {
            if a > b {
                err(
                    line,
                    format!("étape « {sid} » : age_min ({a}) supérieur à age_max ({b})"),
                );
            }
        }
        steps.push(Step {
            id: sid.clone(),
            title: s
                .titre
                .clone()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| sid.clone()),
            kinds: s
                .types
                .iter()
                .map(|k| Located {
                    value: k.get_ref().trim().to_string(),
                    line: line_of(k.span()),
                })
                .collect(),
            rule: rule.unwrap_or(Rule::Competent { max: None }),
            message: s.message.clone().filter(|m| !m.trim().is_empty()),
            documents: s.documents.clone(),
            fallback: s.si_aucun.as_ref().map(|f| Located {
                value: f.get_ref().trim().to_string(),
                line: line_of(f.span()),
            }),
            is_fallback: s.secours,
            age_min,
            age_max,
            line,
        });
    }
    check_fallbacks(&steps, file, &mut problems);

    if problems.iter().any(Problem::is_error) {
        return Err(problems);
    }
    Ok(Procedure {
        id,
        title,
        situation,
        audience: raw.public.filter(|s| !s.trim().is_empty()),
        version,
        date,
        authors: raw.auteurs,
        sample: raw.exemple,
        summary: raw.resume.filter(|s| !s.trim().is_empty()),
        criteria,
        steps,
        file: file.to_string(),
    })
}

fn age(
    v: &Option<Spanned<i64>>,
    name: &str,
    lines: &Lines,
    err: &mut impl FnMut(usize, String),
) -> Option<u32> {
    let v = v.as_ref()?;
    let x = *v.get_ref();
    if (0..=MAX_AGE as i64).contains(&x) {
        Some(x as u32)
    } else {
        err(
            lines.at(v.span().start),
            format!("{name} : âge en années attendu entre 0 et {MAX_AGE}, trouvé {x}"),
        );
        None
    }
}

/// Fallbacks: targets exist, are `secours` steps, every `secours` step is reachable, and no
/// chain loops.
fn check_fallbacks(steps: &[Step], file: &str, problems: &mut Vec<Problem>) {
    let find = |id: &str| steps.iter().find(|s| s.id == id);
    for s in steps {
        let Some(f) = &s.fallback else { continue };
        match find(&f.value) {
            None => problems.push(Problem::error(
                file,
                f.line,
                format!(
                    "si_aucun : étape « {} » inconnue ; étapes déclarées : {}",
                    f.value,
                    steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(t) if !t.is_fallback => problems.push(Problem::error(
                file,
                f.line,
                format!(
                    "si_aucun : l'étape « {} » n'est pas une étape de secours (ajoutez secours = true à cette étape)",
                    f.value
                ),
            )),
            Some(t) if t.id == s.id => problems.push(Problem::error(
                file,
                f.line,
                format!("si_aucun : l'étape « {} » se désigne elle-même", s.id),
            )),
            Some(_) => {}
        }
    }
    for s in steps.iter().filter(|s| s.is_fallback) {
        let referenced = steps
            .iter()
            .any(|o| o.id != s.id && o.fallback.as_ref().is_some_and(|f| f.value == s.id));
        if !referenced {
            problems.push(Problem::error(
                file,
                s.line,
                format!(
                    "étape de secours « {} » jamais atteinte : aucune étape n'a si_aucun = \"{}\"",
                    s.id, s.id
                ),
            ));
        }
    }
    // Cycles: follow each chain; more hops than steps means a loop.
    for s in steps {
        let mut cur = s;
        let mut hops = 0;
        while let Some(next) = cur.fallback.as_ref().and_then(|f| find(&f.value)) {
            hops += 1;
            if hops > steps.len() {
                problems.push(Problem::error(
                    file,
                    s.line,
                    format!(
                        "si_aucun : boucle entre étapes de secours à partir de « {} »",
                        s.id
                    ),
                ));
                break;
            }
            if next.id == cur.id {
                break;
            }
            cur = next;
        }
    }
    // Report each loop once.
    let mut seen = HashSet::new();
    problems.retain(|p| !p.message.starts_with("si_aucun : boucle") || seen.insert(p.line));
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

/// Puts serde's English messages into French where they are predictable.
fn translate(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("champ obligatoire « {field} » absent");
    }
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let expected = rest
            .split_once("expected ")
            .map(|(_, e)| e.replace('`', "").replace(" or ", ", "))
            .unwrap_or_default();
        return format!("champ inconnu « {field} » ; champs possibles : {expected}");
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        return format!("type de valeur invalide : {rest}");
    }
    format!("syntaxe TOML invalide : {}", msg.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "id = \"p\"\ntitre = \"P\"\nversion = \"1\"\ndate = \"2026-05-01\"\n";

    fn with_steps(steps: &str) -> String {
        format!("{BASE}{steps}")
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text, "p.toml")
            .unwrap_err()
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn full_procedure() {
        let t = with_steps(
            "exemple = true\nauteurs = [\"CPTS\", \"DAC\"]\n\
             [criteres]\nage_min = 60\nterritoires = [\"cpts:x\"]\ncommunes = [\"81099\"]\n\
             [[etapes]]\nid = \"a\"\ntypes = [\"clic\"]\nchoix = \"competent\"\nsi_aucun = \"b\"\ndocuments = [\"ordonnance\"]\n\
             [[etapes]]\nid = \"b\"\nsecours = true\ntypes = [\"dac\"]\nchoix = \"tous_dans_rayon\"\nrayon_km = 12.5\nnombre = 3\n\
             [[etapes]]\nid = \"c\"\nchoix = \"acteur\"\nacteurs = [\"finess:1\"]\nage_max = 17\n",
        );
        let p = parse(&t, "p.toml").unwrap();
        assert!(p.sample);
        assert_eq!(p.situation, "p");
        assert_eq!(p.criteria.age_range(), (60, MAX_AGE));
        assert_eq!(p.criteria.line, 7);
        assert_eq!(p.criteria.territories[0].line, 9);
        assert_eq!(p.steps.len(), 3);
        assert_eq!(p.steps[0].fallback.as_ref().unwrap().value, "b");
        assert_eq!(
            p.steps[1].rule,
            Rule::AllWithin {
                radius_km: 12.5,
                max: Some(3)
            }
        );
        assert_eq!(p.steps[1].rule.label(), "toutes dans un rayon de 12,5 km");
        assert!(
            matches!(&p.steps[2].rule, Rule::Actors(a) if a[0].value == "finess:1" && a[0].line == 27)
        );
        assert!(p.steps[2].applies_to_age(Some(17)));
        assert!(!p.steps[2].applies_to_age(Some(18)));
        assert!(p.steps[2].applies_to_age(None));
    }

    #[test]
    fn toml_date_is_accepted() {
        let t = "id = \"p\"\ntitre = \"P\"\nversion = 2\ndate = 2026-05-01\n[[etapes]]\nid = \"a\"\ntypes = [\"dac\"]\nchoix = \"competent\"\n";
        let p = parse(t, "p.toml").unwrap();
        assert_eq!((p.version.as_str(), p.date.as_str()), ("2", "2026-05-01"));
    }

    #[test]
    fn syntax_and_schema_errors_have_lines() {
        let e = errors("id = \"p\"\ntitre = \n");
        assert!(e[0].starts_with("p.toml:2: syntaxe TOML invalide"), "{e:?}");
        let e = errors(&with_steps(
            "[[etapes]]\nid = \"a\"\nchoix = \"competent\"\ntypes = [\"x\"]\ncouleur = 1\n",
        ));
        assert!(
            e[0].starts_with("p.toml:9: champ inconnu « couleur »"),
            "{e:?}"
        );
        let e = errors("id = \"p\"\nversion = \"1\"\ndate = \"2026-05-01\"\n");
        assert!(e[0].contains("champ obligatoire « titre » absent"), "{e:?}");
    }

    #[test]
    fn rule_errors() {
        let e = errors(&with_steps(
            "[[etapes]]\nid = \"a\"\nchoix = \"au-hasard\"\n\
             [[etapes]]\nid = \"b\"\ntypes = [\"dac\"]\nchoix = \"plus_proche\"\n\
             [[etapes]]\nid = \"c\"\nchoix = \"competent\"\n\
             [[etapes]]\nid = \"d\"\nchoix = \"acteur\"\n\
             [[etapes]]\nid = \"e\"\ntypes = [\"dac\"]\nchoix = \"tous_dans_rayon\"\nrayon_km = 500\n\
             [[etapes]]\nid = \"e\"\ntypes = [\"dac\"]\nchoix = \"plus_proche\"\nrayon_km = 5\nnombre = 0\n",
        ));
        let expect = [
            "p.toml:7: choix : « competent »",
            "p.toml:11: choix « plus_proche » : rayon_km attendu",
            "p.toml:14: choix « competent » : liste types attendue",
            "p.toml:17: choix « acteur » : liste acteurs attendue",
            "p.toml:22: rayon_km : nombre de kilomètres attendu",
            "p.toml:24: etapes.id : l'étape « e » est déclarée deux fois",
            "p.toml:28: nombre : entier attendu entre 1 et 50",
        ];
        assert_eq!(e.len(), expect.len(), "{e:#?}");
        for (got, want) in e.iter().zip(expect) {
            assert!(got.starts_with(want), "{got} / {want}");
        }
    }

    #[test]
    fn fallback_errors() {
        let e = errors(&with_steps(
            "[[etapes]]\nid = \"a\"\ntypes = [\"dac\"]\nchoix = \"competent\"\nsi_aucun = \"zz\"\n\
             [[etapes]]\nid = \"b\"\ntypes = [\"dac\"]\nchoix = \"competent\"\nsi_aucun = \"c\"\n\
             [[etapes]]\nid = \"c\"\ntypes = [\"dac\"]\nchoix = \"competent\"\n\
             [[etapes]]\nid = \"orphan\"\nsecours = true\ntypes = [\"dac\"]\nchoix = \"competent\"\n",
        ));
        assert!(
            e[0].starts_with("p.toml:9: si_aucun : étape « zz » inconnue"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("p.toml:14: si_aucun : l'étape « c » n'est pas une étape de secours"),
            "{e:?}"
        );
        assert!(
            e[2].starts_with("p.toml:19: étape de secours « orphan » jamais atteinte"),
            "{e:?}"
        );
        assert_eq!(e.len(), 3);

        let e = errors(&with_steps(
            "[[etapes]]\nid = \"a\"\ntypes = [\"dac\"]\nchoix = \"competent\"\nsi_aucun = \"b\"\n\
             [[etapes]]\nid = \"b\"\nsecours = true\ntypes = [\"dac\"]\nchoix = \"competent\"\nsi_aucun = \"c\"\n\
             [[etapes]]\nid = \"c\"\nsecours = true\ntypes = [\"dac\"]\nchoix = \"competent\"\nsi_aucun = \"b\"\n",
        ));
        assert!(e.iter().any(|m| m.contains("boucle")), "{e:?}");
    }

    #[test]
    fn criteria_errors() {
        let e = errors(&with_steps(
            "[criteres]\nage_min = 70\nage_max = 60\ncommunes = [\"8100\"]\n\
             [[etapes]]\nid = \"a\"\ntypes = [\"dac\"]\nchoix = \"competent\"\nage_min = -1\n",
        ));
        assert!(
            e[0].starts_with("p.toml:5: criteres : age_min (70) supérieur à age_max (60)"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("p.toml:8: criteres.communes : code INSEE"),
            "{e:?}"
        );
        assert!(
            e[2].starts_with("p.toml:13: etapes.age_min : âge en années attendu"),
            "{e:?}"
        );
    }

    #[test]
    fn bad_ids_and_dates() {
        let e = errors("id = \"Perte Autonomie\"\ntitre = \"P\"\nversion = \"1\"\ndate = \"01/05/2026\"\n[[etapes]]\nid = \"a\"\ntypes = [\"dac\"]\nchoix = \"competent\"\n");
        assert!(
            e[0].starts_with("p.toml:1: id : identifiant attendu"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("p.toml:4: date : date AAAA-MM-JJ attendue"),
            "{e:?}"
        );
        let e = errors(BASE);
        assert!(e[0].contains("au moins une étape"), "{e:?}");
    }
}
