//! The self-contained HTML report of a diagnosis: tables, inline SVG maps, method, parameters,
//! sources and dates; printable to PDF from a browser (A4, page breaks between sections).

use std::fmt::Write;

use super::diagnostic::{display_text, sources_line, Indicator};
use super::map::fr_value;
use crate::analysis::indicators::{Genre, AREA_INDICATORS, COMMUNE_INDICATORS};
use crate::analysis::Computed;
use crate::util::escape::html;

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11pt;color:#222;max-width:1100px;margin:auto;padding:1em}\
h1{font-size:18pt}h2{font-size:14pt;border-bottom:1px solid #999;margin-top:1.5em}\
table{border-collapse:collapse;margin:.5em 0;font-size:9pt}th,td{border:1px solid #bbb;padding:2px 5px;text-align:right}\
th{background:#eee}td.t,th.t{text-align:left}.note{color:#555;font-size:9pt}\
figure{margin:1em 0;page-break-inside:avoid}figure svg{max-width:100%;height:auto}\
@media print{body{max-width:none}h2{page-break-before:always}h2.first{page-break-before:avoid}a{color:inherit}}";

/// The text with its first letter in upper case.
fn first_upper(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Renders the report; `maps` are `(kind index, indicator, svg)`.
pub fn report_html(c: &Computed, maps: &[(usize, Indicator, String)], date: &str) -> String {
    let d = &c.diagnostic;
    let e = |s: &str| html(s);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Diagnostic territorial – {}</title><style>{STYLE}</style></head><body>",
        e(&d.territoire.nom)
    );
    let _ = write!(
        h,
        "<h1>Diagnostic territorial – {}</h1><p>{} · {} commune(s) · {} habitants (population municipale des communes chargées) · rapport produit le {date} par maillage.</p>",
        e(&d.territoire.nom),
        e(&d.territoire.kind),
        d.territoire.nombre_communes,
        fr_value(d.territoire.population as f64)
    );
    if !d.avertissements.is_empty() {
        h.push_str("<h2 class=\"first\">Avertissements</h2><ul>");
        for a in &d.avertissements {
            let _ = write!(h, "<li>{}</li>", e(a));
        }
        h.push_str("</ul>");
    }

    // Comparisons.
    h.push_str("<h2>Synthèse et comparaisons</h2>");
    for (k, t) in d.types.iter().enumerate() {
        let _ = write!(
            h,
            "<h3>{}</h3><p class=\"note\">{}.</p><table><tr><th class=\"t\">Zone</th>",
            e(&t.libelle),
            e(&first_upper(&t.couverture_definition))
        );
        for ind in AREA_INDICATORS {
            let _ = write!(h, "<th>{}</th>", e(&ind.header_for(t)));
        }
        h.push_str("</tr>");
        for a in &d.comparaisons {
            let cell = &a.indicateurs[k];
            let _ = write!(h, "<tr><td class=\"t\">{}</td>", e(&a.nom));
            for ind in AREA_INDICATORS {
                let _ = write!(
                    h,
                    "<td>{}</td>",
                    e(&display_text(ind.value(a, cell), ind.decimals))
                );
            }
            h.push_str("</tr>");
        }
        for m in &d.comparaisons_absentes {
            let _ = write!(
                h,
                "<tr class=\"absente\"><td class=\"t\">{}</td><td class=\"t\" colspan=\"{}\">{}</td></tr>",
                e(&m.nom),
                AREA_INDICATORS.len(),
                e(&first_upper(&m.motif))
            );
        }
        h.push_str("</table>");
        if let Some(z) = d.zones_blanches.get(&t.id) {
            let names: Vec<String> = d
                .communes
                .iter()
                .filter(|r| z.contains(&r.code))
                .map(|r| format!("{} ({})", r.nom, r.code))
                .collect();
            let _ = write!(
                h,
                "<p class=\"note\">Zones blanches ({}) : {} commune(s){}{}</p>",
                e(&t.couverture_libelle),
                names.len(),
                if names.is_empty() { "" } else { " : " },
                e(&names.join(", "))
            );
        }
    }

    // Maps.
    h.push_str("<h2>Cartes</h2>");
    for (k, ind, svg) in maps {
        let t = &d.types[*k];
        let _ = write!(
            h,
            "<figure>{svg}<figcaption class=\"note\">{} – {}</figcaption></figure>",
            e(&t.libelle),
            e(&ind.label_for(t))
        );
    }

    // Communes.
    h.push_str("<h2>Indicateurs par commune</h2>");
    for (k, t) in d.types.iter().enumerate() {
        let _ = write!(
            h,
            "<h3>{}</h3><p class=\"note\">{}.</p><table><tr><th class=\"t\">Commune</th>",
            e(&t.libelle),
            e(&first_upper(&t.couverture_definition))
        );
        for ind in COMMUNE_INDICATORS {
            let class = if ind.genre == Genre::Text {
                " class=\"t\""
            } else {
                ""
            };
            let _ = write!(h, "<th{class}>{}</th>", e(&ind.header_for(t)));
        }
        h.push_str("</tr>");
        for r in &d.communes {
            let cell = &r.indicateurs[k];
            let _ = write!(h, "<tr><td class=\"t\">{} ({})</td>", e(&r.nom), e(&r.code));
            for ind in COMMUNE_INDICATORS {
                let class = if ind.genre == Genre::Text {
                    " class=\"t\""
                } else {
                    ""
                };
                let _ = write!(
                    h,
                    "<td{class}>{}</td>",
                    e(&display_text(ind.value(r, cell), ind.decimals))
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }

    // Method and parameters.
    h.push_str("<h2>Méthode et paramètres</h2><ul>");
    for m in &d.parametres.methode {
        let _ = write!(h, "<li>{}</li>", e(m));
    }
    h.push_str("</ul><table>");
    for t in &d.types {
        let _ = write!(
            h,
            "<tr><td class=\"t\">{}</td><td class=\"t\">{} point(s) d'offre, offre totale {}, dont {} atteignant une population dans le seuil du 2SFCA</td></tr>",
            e(&t.libelle),
            t.points_offre,
            fr_value(t.offre_totale),
            fr_value(t.offre_atteignant_population)
        );
    }
    h.push_str("</table>");
    let cog = d.appariement_codes.lines();
    h.push_str("<h3>Appariement des codes communes (millésimes du COG)</h3>");
    if cog.is_empty() {
        h.push_str("<p>Tous les codes concordent.</p>");
    } else {
        h.push_str("<ul>");
        for l in cog {
            let _ = write!(h, "<li>{}</li>", e(&l));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>Sources</h2><table><tr><th class=\"t\">Fichier</th><th class=\"t\">Source</th><th class=\"t\">Date</th></tr>");
    for s in &d.sources {
        let _ = write!(
            h,
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}{}</td><td class=\"t\">{}</td></tr>",
            e(&s.fichier),
            e(&s.source),
            if s.exemple {
                " (données d'exemple)"
            } else {
                ""
            },
            e(&crate::util::date::source_date_text(s.date.as_deref()))
        );
    }
    let _ = write!(
        h,
        "</table><p class=\"note\">{}</p></body></html>",
        e(&sources_line(c))
    );
    h
}
