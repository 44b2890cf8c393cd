//! The printable orientation sheet: one HTML page (A4, print-ready) listing, for one commune,
//! the structures to contact at each step with their phones, and a QR code back to the live
//! page. Every text is HTML-escaped.
//!
//! ```
//! use maillage::index::Directory;
//! use maillage::orientation::{sheet, ProcedureSet};
//! let dir = Directory::build(maillage::sources::demo::dataset().unwrap());
//! let (set, _) = ProcedureSet::demo(&dir);
//! let p = set.get("perte-autonomie-domicile").unwrap();
//! let html = sheet::render(&dir, p, "81099".parse().unwrap(), "http://localhost:8080").unwrap();
//! assert!(html.contains("Gaillac (81099)"));
//! assert!(html.contains("<svg"));
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::evaluate::{evaluate, Orientation, Outcome};
use super::place::{locate, PlaceQuery};
use super::procedure::{age_label, Procedure};
use crate::index::Directory;
use crate::model::InseeCode;
use crate::util::date;
use crate::util::escape::html as escape;

/// Why a sheet could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("commune {0} inconnue dans les données chargées")]
    UnknownCommune(InseeCode),
    #[error("territoire « {0} » inconnu ; la liste est donnée par « maillage stats » ou /api/territories")]
    UnknownTerritory(String),
    #[error(
        "{path}: écriture impossible : {}",
        crate::util::os_error::describe(source)
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The live page of a sheet: `{base}/orientation/{procedure}/{commune}` (`?age=N` when the
/// patient's age is known).
pub fn live_url(base: &str, procedure: &str, commune: InseeCode, age: Option<u32>) -> String {
    format!(
        "{}/orientation/{}/{}{}",
        base.trim_end_matches('/'),
        procedure,
        commune,
        age.map(|a| format!("?age={a}")).unwrap_or_default()
    )
}

/// A QR code of `text` as inline SVG (no XML declaration), or nothing if too long.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(110, 110)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_string())
}

const STYLE: &str = "@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #111; max-width: 182mm; margin: 8mm auto; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 1mm; }
h2 { font-size: 12.5pt; margin: 0 0 1.5mm; }
.commune { font-size: 13pt; margin: 0 0 2mm; }
.meta { color: #444; font-size: 9pt; margin: 0.5mm 0; }
.exemple { border: 2px dashed #b00; color: #b00; padding: 1.5mm 3mm; font-weight: bold; margin: 2mm 0; }
.hors { border: 2px solid #b00; padding: 3mm; font-size: 12pt; margin: 4mm 0; }
.etape { break-inside: avoid; page-break-inside: avoid; border-top: 1.5px solid #555; padding-top: 2.5mm; margin-top: 4mm; }
.message { margin: 1mm 0 2mm; font-size: 11pt; }
.regle, .remarque { color: #444; font-size: 9pt; margin: 1mm 0; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0; }
th, td { text-align: left; padding: 1.2mm 1.5mm; vertical-align: top; border-bottom: 1px solid #ccc; }
th { font-size: 8.5pt; color: #444; font-weight: normal; border-bottom: 1px solid #777; }
.tel { font-size: 13pt; font-weight: bold; white-space: nowrap; }
.nom { font-weight: bold; }
.petit { font-size: 8.5pt; color: #444; }
.aucun { font-weight: bold; color: #b00; }
footer { display: flex; gap: 5mm; align-items: center; margin-top: 6mm; border-top: 1px solid #777; padding-top: 3mm; font-size: 8.5pt; color: #333; break-inside: avoid; }
footer svg { width: 30mm; height: 30mm; flex: none; }
a { color: inherit; }
@media screen { body { padding: 0 4mm; } }
@media print { a { text-decoration: none; } }";

/// Renders the sheet of a procedure for a commune. `base_url` is where the live page is served
/// (`http://localhost:8080`), used for the link and the QR code.
pub fn render(
    dir: &Directory,
    p: &Procedure,
    commune: InseeCode,
    base_url: &str,
) -> Result<String, SheetError> {
    render_for_age(dir, p, commune, base_url, None)
}

/// Renders the sheet for a patient of `age` years (the steps and criteria that depend on the
/// age are applied, and the age is printed and kept in the link).
pub fn render_for_age(
    dir: &Directory,
    p: &Procedure,
    commune: InseeCode,
    base_url: &str,
    age: Option<u32>,
) -> Result<String, SheetError> {
    let place = locate(dir, &PlaceQuery::Commune(commune))
        .map_err(|_| SheetError::UnknownCommune(commune))?;
    let o = evaluate(dir, p, &place, age);
    let url = live_url(base_url, &p.id, commune, age);
    Ok(render_orientation(dir, p, &o, &url))
}

fn render_orientation(dir: &Directory, p: &Procedure, o: &Orientation, url: &str) -> String {
    let e = escape;
    let commune = match (&o.lieu.commune_nom, &o.lieu.commune) {
        (Some(n), Some(c)) => format!("{n} ({c})"),
        (None, Some(c)) => c.clone(),
        _ => String::new(),
    };
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n\
         <title>Fiche d'orientation – {} – {}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<header>\n",
        e(&p.title),
        e(&commune)
    );
    let _ = writeln!(h, "<h1>{}</h1>", e(&p.title));
    let _ = writeln!(
        h,
        "<p class=\"commune\">Fiche d'orientation pour un patient {}habitant <strong>{}</strong></p>",
        o.age
            .map(|a| format!("de <strong class=\"age\">{a} ans</strong> "))
            .unwrap_or_default(),
        e(&commune)
    );
    if p.sample {
        h.push_str("<p class=\"exemple\">EXEMPLE – procédure et structures fictives de démonstration : ne pas utiliser pour orienter un patient.</p>\n");
    }
    if let Some(a) = &p.audience {
        let _ = writeln!(h, "<p class=\"meta\">Pour : {}</p>", e(a));
    }
    if let Some(c) = &o.procedure.criteres {
        let _ = writeln!(h, "<p class=\"meta\">Critères : {}</p>", e(c));
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\">Procédure « {} », version {} du {}{}</p>",
        e(&p.id),
        e(&p.version),
        e(&date::french(&p.date)),
        if p.authors.is_empty() {
            String::new()
        } else {
            format!(" – co-signée par {}", e(&p.authors.join(", ")))
        }
    );
    if let Some(s) = &p.summary {
        let _ = writeln!(h, "<p>{}</p>", e(s));
    }
    h.push_str("</header>\n");

    if !o.applicable {
        let _ = writeln!(
            h,
            "<p class=\"hors\">Cette procédure ne s'applique pas : {}.</p>",
            e(o.motif.as_deref().unwrap_or(""))
        );
    }
    for r in &o.etapes {
        let step = p.step(&r.id);
        let ages = step.and_then(|s| age_label(s.age_min, s.age_max));
        let _ = write!(
            h,
            "<section class=\"etape\">\n<h2>Étape {} – {}{}</h2>\n",
            r.numero,
            e(&r.titre),
            ages.map(|a| format!(" <span class=\"petit\">(patients {})</span>", e(&a)))
                .unwrap_or_default()
        );
        if let Some(m) = &r.message {
            let _ = writeln!(h, "<p class=\"message\">{}</p>", e(m));
        }
        let _ = writeln!(h, "<p class=\"regle\">Choix : {}</p>", e(&r.choix_libelle));
        if let Some(f) = &r.secours {
            let _ = writeln!(
                h,
                "<p class=\"message\"><strong>À défaut – {}</strong>{}</p>",
                e(&f.titre),
                f.message
                    .as_ref()
                    .map(|m| format!(" : {}", e(m)))
                    .unwrap_or_default()
            );
        }
        if r.acteurs.is_empty() {
            if r.resultat != Outcome::NotApplicable {
                h.push_str("<p class=\"aucun\">Aucune structure trouvée pour cette commune.</p>\n");
            }
        } else {
            h.push_str("<table>\n<tr><th>Structure</th><th>Téléphone</th><th>Adresse</th><th>Pourquoi</th></tr>\n");
            for a in &r.acteurs {
                let _ = writeln!(
                    h,
                    "<tr><td><span class=\"nom\">{}</span><br><span class=\"petit\">{}</span>{}</td>\
                     <td class=\"tel\">{}</td><td>{}{}</td><td class=\"petit\">{}</td></tr>",
                    e(&a.nom),
                    e(&a.type_libelle),
                    a.email
                        .as_ref()
                        .map(|m| format!("<br><span class=\"petit\">{}</span>", e(m)))
                        .unwrap_or_default(),
                    e(a.telephone.as_deref().unwrap_or("–")),
                    e(&a.adresse),
                    a.horaires
                        .as_ref()
                        .map(|x| format!("<br><span class=\"petit\">{}</span>", e(x)))
                        .unwrap_or_default(),
                    e(&a.raison)
                );
            }
            h.push_str("</table>\n");
        }
        if let Some(rem) = &r.remarque {
            let _ = writeln!(h, "<p class=\"remarque\">{}</p>", e(rem));
        }
        let docs: Vec<&String> = r
            .documents
            .iter()
            .chain(r.secours.iter().flat_map(|f| f.documents.iter()))
            .collect();
        if !docs.is_empty() {
            h.push_str("<p class=\"regle\">Documents à préparer :</p>\n<ul>\n");
            for d in docs {
                let _ = writeln!(h, "<li>{}</li>", e(d));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</section>\n");
    }
    if !o.avertissements.is_empty() {
        h.push_str("<section class=\"etape\">\n<p class=\"regle\">Remarques :</p>\n<ul>\n");
        for w in &o.avertissements {
            let _ = writeln!(h, "<li class=\"petit\">{}</li>", e(w));
        }
        h.push_str("</ul>\n</section>\n");
    }
    // Sources of the listed structures.
    let mut sources: BTreeSet<String> = BTreeSet::new();
    for r in &o.etapes {
        for a in &r.acteurs {
            if let Some(i) = dir.find(&a.id) {
                if let Some(rep) = dir.reports().get(dir.actor(i).source().0 as usize) {
                    sources.insert(format!(
                        "{} ({})",
                        rep.source_name,
                        date::source_date_text(rep.source_date.as_deref())
                    ));
                }
            }
        }
    }
    h.push_str("<footer>\n");
    if let Some(svg) = qr_svg(url) {
        h.push_str(&svg);
        h.push('\n');
    }
    let _ = write!(
        h,
        "<div>Version à jour de cette fiche : <a href=\"{}\">{}</a><br>\
         Fiche générée le {} par maillage.{}<br>\
         Les coordonnées changent : en cas de doute, consultez la version en ligne.</div>\n</footer>\n</body>\n</html>\n",
        e(url),
        e(url),
        date::today_french(),
        if sources.is_empty() {
            String::new()
        } else {
            format!(
                " Sources : {}.",
                e(&sources.into_iter().collect::<Vec<_>>().join(" ; "))
            )
        }
    );
    h
}

/// Writes `bytes` to `path` atomically (see [`crate::util::fs`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SheetError> {
    crate::util::fs::write_atomic(path, bytes).map_err(|source| SheetError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// File name of a commune's sheet (`perte-autonomie-81099-gaillac.html`).
pub fn file_name(procedure: &str, commune: InseeCode, commune_name: &str) -> String {
    let slug = crate::model::text::slug(commune_name);
    format!("{procedure}-{commune}-{slug}.html")
}

/// Batch mode: one sheet per commune of a territory in `out_dir` (created if needed), plus
/// an `index.html` linking them. Returns the written sheet paths.
pub fn write_territory(
    dir: &Directory,
    p: &Procedure,
    territory: &str,
    base_url: &str,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, SheetError> {
    write_territory_for_age(dir, p, territory, base_url, None, out_dir)
}

/// [`write_territory`] for patients of `age` years.
pub fn write_territory_for_age(
    dir: &Directory,
    p: &Procedure,
    territory: &str,
    base_url: &str,
    age: Option<u32>,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, SheetError> {
    let t = dir
        .territory(territory)
        .ok_or_else(|| SheetError::UnknownTerritory(territory.to_string()))?;
    std::fs::create_dir_all(out_dir).map_err(|source| SheetError::Io {
        path: out_dir.display().to_string(),
        source,
    })?;
    let mut written = Vec::new();
    let mut links = Vec::new();
    let mut codes = t.territory.communes.clone();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let Some(c) = dir.commune(code) else { continue };
        let html = render_for_age(dir, p, code, base_url, age)?;
        let name = file_name(&p.id, code, &c.name);
        let path = out_dir.join(&name);
        write_atomic(&path, html.as_bytes())?;
        links.push((name, format!("{} ({})", c.name, code)));
        written.push(path);
    }
    let mut index = format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} – {}</title>\n</head>\n<body>\n<h1>{}</h1>\n<p>Fiches d'orientation par commune – {} ({} communes)</p>\n<ul>\n",
        escape(&p.title),
        escape(&t.territory.name),
        escape(&p.title),
        escape(&t.territory.name),
        links.len()
    );
    for (file, label) in &links {
        let _ = writeln!(
            index,
            "<li><a href=\"{}\">{}</a></li>",
            escape(file),
            escape(label)
        );
    }
    index.push_str("</ul>\n</body>\n</html>\n");
    write_atomic(&out_dir.join("index.html"), index.as_bytes())?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_urls() {
        let c: InseeCode = "81099".parse().unwrap();
        assert_eq!(
            file_name("p", c, "Saint-Juéry d'Albi"),
            "p-81099-saint-juery-d-albi.html"
        );
        assert_eq!(
            live_url("http://h:1/", "p", c, None),
            "http://h:1/orientation/p/81099"
        );
        assert_eq!(
            live_url("https://cpts.example.fr", "p", c, Some(82)),
            "https://cpts.example.fr/orientation/p/81099?age=82"
        );
    }

    #[test]
    fn qr_is_inline_svg() {
        let s = qr_svg("http://localhost:8080/orientation/p/81099").unwrap();
        assert!(s.starts_with("<svg"));
        assert!(!s.contains("<?xml"));
    }

    #[test]
    fn atomic_write_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.html");
        write_atomic(&p, b"a").unwrap();
        write_atomic(&p, b"b").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"b");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
