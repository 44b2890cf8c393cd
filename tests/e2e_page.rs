//! End-to-end tests of the map page in a real browser.
//!
//! Each test starts the real `maillage` binary on the embedded demo territory (Tarn), a
//! `chromedriver` driving headless Chromium, and asserts what a coordinator sees. Screenshots of
//! every step land in `target/e2e-screenshots/`.
//!
//! Run with: `cargo test --test e2e_page -- --ignored --test-threads=1`
//! (needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; override with `CHROMIUM` and
//! `CHROMEDRIVER`).

mod e2e_support;
mod valhalla_support;

use e2e_support::{leading_count, parse_km, Page};
use fantoccini::key::Key;
use serde_json::{json, Value};

// -------------------------------------------------------------------------------------------
// Tests
// -------------------------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn map_renders_outlines_clusters_and_french_controls() {
    let page = Page::open("01-carte").await;

    assert_eq!(
        page.js("return document.documentElement.lang").await,
        json!("fr")
    );
    // Commune outlines are SVG paths.
    let outlines = page
        .until(
            "commune outlines",
            "document.querySelectorAll('.leaflet-pane svg path.contour-commune').length",
        )
        .await;
    assert!(
        outlines.as_u64().unwrap() > 250,
        "only {outlines} commune outlines"
    );
    // Markers or clusters of actors.
    page.until(
        "markers or clusters",
        "document.querySelectorAll('.leaflet-marker-pane .marqueur, .leaflet-marker-pane .grappe').length > 5",
    )
    .await;
    // Legend: one layer per sector, with counts.
    let legend = page.visible_text("#couches").await;
    for sector in ["Sanitaire", "Médico-social", "Social"] {
        assert!(legend.contains(sector), "legend lacks {sector}: {legend}");
    }
    assert!(legend.contains("dans la vue"), "no counts: {legend}");
    // Kind filter with counts, and a territory selector.
    let kinds = page.visible_text("#types").await;
    assert!(kinds.contains("Mairie"), "kinds: {kinds}");
    let options = page.all("#territoire option").await;
    assert!(options.len() > 1, "no territories in the selector");
    // Every control is labelled, buttons speak French.
    let unlabeled = page
        .js("return [...document.querySelectorAll('input, select')].filter(e => !e.labels || !e.labels.length).map(e => e.id)")
        .await;
    assert_eq!(unlabeled, json!([]), "controls without a label");
    let zoom_title = page
        .find(".leaflet-control-zoom-in")
        .await
        .attr("title")
        .await
        .unwrap();
    assert_eq!(zoom_title.as_deref(), Some("Zoomer"));
    // No inline scripts or handlers (the CSP forbids them).
    let inline = page
        .js("return [...document.scripts].filter(s => !s.src).length + document.querySelectorAll('[onclick],[onload],[onchange],[oninput]').length")
        .await;
    assert_eq!(inline, json!(0));
    page.shot("vue-initiale").await;
    page.close().await;
}

/// The "done when": offline, find every EHPAD within 15 km of Gaillac, open one, export the
/// list.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn ehpad_within_15_km_of_gaillac_open_one_and_export_csv() {
    let page = Page::open("02-gaillac").await;
    let zoom_before: f64 = page.hash("z").await.unwrap().parse().unwrap();

    // Search a commune with the keyboard: the map zooms there and outlines it.
    page.search_and_choose("Gaillac", "commune", "Gaillac")
        .await;
    page.wait_css("path.contour-selection").await;
    page.until("hash with the commune", "location.hash.includes('m=81099')")
        .await;
    page.until(
        "zoomed in on Gaillac",
        &format!("Number(/[#&]z=([0-9.]+)/.exec(location.hash)[1]) > {zoom_before}"),
    )
    .await;
    assert!(page.visible_text("#statut").await.contains("Gaillac"));
    // « de » before a name is formed by the server's rule (`/api/texte/de`), the page's titles
    // included.
    page.until(
        "commune button",
        "document.getElementById('zone-commune').textContent === 'Acteurs de Gaillac'",
    )
    .await;
    let formed = page
        .js(
            "return import(new URL('js/api.js', document.baseURI).href) \
             .then((m) => Promise.all(['Albi', 'Le Garric', 'Les Cabannes', 'Gaillac'].map(m.de)));",
        )
        .await;
    assert_eq!(
        formed,
        serde_json::json!(["d'Albi", "du Garric", "des Cabannes", "de Gaillac"])
    );
    page.shot("1-commune").await;

    // Choose the kind "EHPAD" from the search box: it sets the kind filter.
    page.search_and_choose("EHPAD", "type", "EHPAD").await;
    page.until(
        "EHPAD checked",
        "document.getElementById('type-ehpad') && document.getElementById('type-ehpad').checked",
    )
    .await;
    assert_eq!(page.hash("k").await.as_deref(), Some("ehpad"));

    // Around Gaillac, 15 km.
    page.click("#bloc-rayon > summary").await;
    page.type_into("#rayon-km", "15").await;
    let centre = page.find("#rayon-recherche").await;
    assert!(centre.text().await.unwrap().contains("Gaillac"));
    centre.click().await.unwrap();
    page.until(
        "radius results",
        "!document.getElementById('resultats').hidden && /15\\u00a0km de Gaillac/.test(document.getElementById('resultats-resume').textContent)",
    )
    .await;
    page.wait_css("path.cercle-rayon").await;
    let rows = page.result_rows().await;
    assert!(!rows.is_empty(), "no EHPAD within 15 km of Gaillac");
    let distances: Vec<f64> = rows.iter().map(|r| parse_km(&r.2)).collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]),
        "not sorted by distance: {distances:?}"
    );
    assert!(distances.iter().all(|d| *d <= 15.0), "{distances:?}");
    for (name, kind, _) in &rows {
        assert!(kind.starts_with("EHPAD"), "{name} is a {kind}");
        assert!(rows.iter().all(|r| r.2.ends_with("km")));
    }
    let summary = page.visible_text("#resultats-resume").await;
    assert_eq!(leading_count(&summary), rows.len(), "{summary:?}");
    assert_eq!(page.hash("r").await.map(|r| r.ends_with(",15")), Some(true));
    page.shot("2-rayon").await;

    // Open the first one: its panel shows the phone as a tel: link.
    page.click("#resultats-liste .resultat").await;
    let title = page.wait_css("#fiche:not([hidden]) #fiche-titre").await;
    assert_eq!(title.text().await.unwrap(), rows[0].0);
    let focused = page.js("return document.activeElement.id").await;
    assert_eq!(focused, json!("fiche-titre"), "focus moves to the panel");
    let tel = page.find("#fiche a[href^='tel:']").await;
    assert!(!tel.text().await.unwrap().is_empty());
    let fiche = page.visible_text("#fiche").await;
    assert!(fiche.contains("EHPAD"), "{fiche}");
    assert!(fiche.contains("Position"), "{fiche}");
    assert!(fiche.contains("Source"), "{fiche}");
    let route = page
        .find("#fiche-itineraire")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        route.starts_with("https://www.openstreetmap.org/directions?"),
        "{route}"
    );
    assert!(page.hash("a").await.is_some());
    page.shot("3-fiche").await;

    // Escape closes the panel and gives focus back to the row.
    page.find("#fiche-fermer")
        .await
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    page.until("panel closed", "document.getElementById('fiche').hidden")
        .await;
    assert_eq!(
        page.js("return document.activeElement.className").await,
        json!("resultat")
    );

    // Export the list as CSV: one line per listed row, French headers, `;`, UTF-8 BOM.
    page.click("#export-csv").await;
    let csv_path = page.downloaded("csv").await;
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    // First line: what made the file (tool and filters), then the table.
    let (about, table) = text.split_once("\r\n").unwrap();
    assert!(
        about.contains("15\u{a0}km de Gaillac") && about.contains("types : EHPAD"),
        "{about}"
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(table.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "Nom");
    assert!(headers.iter().any(|h| h == "Téléphone"), "{headers:?}");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), rows.len(), "CSV rows vs listed rows");
    let names: Vec<&str> = records.iter().map(|r| &r[0]).collect();
    let listed: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, listed);
    let dist = headers.iter().position(|h| h == "Distance (km)").unwrap();
    assert_eq!(
        records[0][dist].replace(',', "."),
        format!("{:.1}", distances[0])
    );
    page.shot("4-export").await;
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn clicking_a_marker_opens_its_panel_with_phone() {
    let page = Page::open("03-marqueur").await;
    // Zoomed on central Gaillac, where actors are drawn one by one.
    page.goto("#c=43.9016,1.8966&z=15").await;
    // A town hall and its CCAS share a position: their cluster spreads out when clicked.
    page.wait_css(".leaflet-marker-pane .marqueur, .leaflet-marker-pane .grappe")
        .await;
    if page.all(".leaflet-marker-pane .marqueur").await.is_empty() {
        page.click(".leaflet-marker-pane .grappe").await;
    }
    let marker = page.wait_css(".leaflet-marker-pane .marqueur").await;
    let label = marker.attr("title").await.unwrap().unwrap();
    let name = label.rsplit_once(" – ").unwrap().0.to_string();
    marker.click().await.unwrap();
    let title = page.wait_css("#fiche:not([hidden]) #fiche-titre").await;
    assert_eq!(title.text().await.unwrap(), name);
    page.wait_css("#fiche a[href^='tel:']").await;
    page.wait_css("path.anneau-selection").await;
    page.shot("fiche").await;

    // Keyboard: markers are focusable and open with Enter.
    page.click("#fiche-fermer").await;
    page.until("panel closed", "document.getElementById('fiche').hidden")
        .await;
    let marker = page.find(".leaflet-marker-pane .marqueur").await;
    assert_eq!(marker.attr("tabindex").await.unwrap().as_deref(), Some("0"));
    let label = marker.attr("title").await.unwrap().unwrap();
    marker.send_keys(&Key::Enter.to_string()).await.unwrap();
    let title = page.wait_css("#fiche:not([hidden]) #fiche-titre").await;
    assert_eq!(
        title.text().await.unwrap(),
        label.rsplit_once(" – ").unwrap().0
    );
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn shared_link_reproduces_the_view() {
    let page = Page::open("04-lien").await;
    page.search_and_choose("Gaillac", "commune", "Gaillac")
        .await;
    page.wait_css("path.contour-selection").await;
    page.click("#couche-social").await;
    page.click("#bloc-rayon > summary").await;
    page.click("#rayon-recherche").await;
    page.until("results", "!document.getElementById('resultats').hidden")
        .await;
    page.click("#copier-lien").await;
    page.until(
        "copied",
        "/Lien copié/.test(document.getElementById('statut').textContent)",
    )
    .await;
    let url = page.c().current_url().await.unwrap().to_string();
    let rows_before = page.result_rows().await;

    // A fresh page load of the link restores commune, layers and radius search.
    page.c().goto("about:blank").await.unwrap();
    page.c().goto(&url).await.unwrap();
    page.wait_css("body.carte-prete").await;
    page.wait_css("path.contour-selection").await;
    page.wait_css("path.cercle-rayon").await;
    assert_eq!(
        page.js("return document.getElementById('couche-social').checked")
            .await,
        json!(false)
    );
    page.until(
        "results",
        "document.querySelectorAll('#resultats-liste .resultat').length > 0",
    )
    .await;
    assert_eq!(page.result_rows().await, rows_before);
    page.shot("restauree").await;
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn drawn_polygon_lists_actors_inside() {
    let page = Page::open("05-zone").await;
    page.goto("#c=43.9016,1.8966&z=13").await;
    page.click("#bloc-zone > summary").await;
    page.click("#zone-dessiner").await;
    assert!(page.visible_text("#carte-mode").await.contains("Dessin"));
    page.click_map(-150.0, -150.0, false).await;
    page.click_map(150.0, -150.0, false).await;
    page.click_map(150.0, 150.0, false).await;
    page.click_map(-150.0, 150.0, true).await;
    page.until(
        "zone results",
        "/dans la zone dessinée/.test(document.getElementById('resultats-resume').textContent)",
    )
    .await;
    page.wait_css("path.zone-dessinee").await;
    let rows = page.result_rows().await;
    assert!(!rows.is_empty(), "no actor in the drawn zone");
    let summary = page.visible_text("#resultats-resume").await;
    assert_eq!(leading_count(&summary), rows.len(), "{summary:?}");
    // GeoJSON export of the same list.
    page.click("#export-geojson").await;
    let path = page.downloaded("geojson").await;
    let fc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), rows.len());
    // GeoPackage of the same list: the zone asked again of the server (POST, format=gpkg).
    page.click("#export-gpkg").await;
    let gpkg = page.downloaded("gpkg").await;
    assert_gpkg(&gpkg, "acteurs", rows.len());
    page.shot("zone").await;

    // PNG of the map, drawn by the page itself.
    page.click("#export-png").await;
    let png = page.downloaded("png").await;
    let bytes = std::fs::read(png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    assert!(bytes.len() > 5_000);
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn tablet_collapses_the_panel() {
    let page = Page::open_sized("06-tablette", 820, 1100).await;
    let toggle = page.find("#basculer-panneau").await;
    assert_eq!(
        toggle.attr("aria-expanded").await.unwrap().as_deref(),
        Some("false")
    );
    assert!(!page.find("#panneau").await.is_displayed().await.unwrap());
    page.shot("replie").await;
    toggle.click().await.unwrap();
    assert!(page.find("#panneau").await.is_displayed().await.unwrap());
    assert_eq!(
        toggle.attr("aria-expanded").await.unwrap().as_deref(),
        Some("true")
    );
    page.shot("ouvert").await;
    page.close().await;
}

// -------------------------------------------------------------------------------------------
// Issue 13: the map page in a coordinator's hands
// -------------------------------------------------------------------------------------------

/// Desktop and phone sizes of the issue.
const DESKTOP: (u32, u32) = (1366, 850);
const PHONE: (u32, u32) = (390, 844);

/// Clicks at the centre of an element like a mouse (whatever is drawn there takes the click).
async fn click_on(page: &Page, element: fantoccini::elements::Element) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    let mouse = MouseActions::new("souris".into())
        .then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    page.c().perform_actions(mouse).await.unwrap();
    page.c().release_actions().await.unwrap();
}

/// Starts recording the page's uncaught errors (read with [`page_errors`]).
async fn record_errors(page: &Page) {
    page.js("window.__erreurs = []; window.addEventListener('error', (e) => window.__erreurs.push(String(e.message))); window.addEventListener('unhandledrejection', (e) => window.__erreurs.push(String(e.reason)));").await;
}

async fn page_errors(page: &Page) -> Value {
    page.js("return window.__erreurs || []").await
}

/// Around Gaillac with the radius tool (10 km), results shown.
async fn around_gaillac(page: &Page, km: u32) -> Vec<(String, String, String)> {
    page.search_and_choose("Gaillac", "commune", "Gaillac")
        .await;
    page.wait_css("path.contour-selection").await;
    page.click("#bloc-rayon > summary").await;
    page.type_into("#rayon-km", &km.to_string()).await;
    page.click("#rayon-recherche").await;
    page.until(
        "radius results",
        &format!("!document.getElementById('resultats').hidden && /{km}\\u00a0km de Gaillac/.test(document.getElementById('resultats-resume').textContent)"),
    )
    .await;
    page.result_rows().await
}

/// Point 1: after « Autour d'un point », ticking EHPAD and SSIAD narrows the list and both
/// exports to those kinds, and the files say which filters made them.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn lists_and_exports_follow_the_filters_on_screen() {
    let page = Page::open_sized("13-1-filtres", DESKTOP.0, DESKTOP.1).await;
    let all = around_gaillac(&page, 10).await;
    assert!(
        all.iter()
            .any(|r| !r.1.starts_with("EHPAD") && !r.1.contains("SSIAD")),
        "{all:?}"
    );
    page.click("label[for=type-ehpad]").await;
    page.click("label[for=type-ssiad]").await;
    // The list follows the kinds ticked: only EHPAD and SSIAD, fewer rows.
    page.until(
        "list narrowed to EHPAD and SSIAD",
        "(() => { const t = [...document.querySelectorAll('#resultats-liste .resultat-type')].map(x => x.textContent); \
          return t.length > 0 && t.every(x => x.startsWith('EHPAD') || x.includes('SSIAD')) \
          && /types : EHPAD, Service de soins infirmiers/.test(document.getElementById('resultats-resume').textContent); })()",
    )
    .await;
    let rows = page.result_rows().await;
    assert!(rows.len() < all.len(), "{} vs {}", rows.len(), all.len());
    let ehpad_ssiad_before = all
        .iter()
        .filter(|r| r.1.starts_with("EHPAD") || r.1.contains("SSIAD"))
        .count();
    assert_eq!(rows.len(), ehpad_ssiad_before, "same actors, filtered");
    let summary = page.visible_text("#resultats-resume").await;
    assert_eq!(leading_count(&summary), rows.len(), "{summary:?}");
    page.js("const p = document.getElementById('panneau'); p.scrollTop += document.getElementById('resultats').getBoundingClientRect().top - p.getBoundingClientRect().top - 260;").await;
    page.doc_shot("carte-filtres-resultats").await;

    // CSV: the rows on screen; the file name and the first line name the filters.
    page.click("#export-csv").await;
    let csv_path = page.downloaded("csv").await;
    let name = csv_path.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.contains("10-km-de-gaillac") && name.contains("ehpad") && name.contains("ssiad"),
        "{name}"
    );
    let bytes = std::fs::read(&csv_path).unwrap();
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let (about, table) = text.split_once("\r\n").unwrap();
    assert!(about.contains("filtres : types : EHPAD"), "{about}");
    assert!(about.contains("SSIAD"), "{about}");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(table.as_bytes());
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let listed: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    assert_eq!(names, listed);
    std::fs::remove_file(&csv_path).unwrap();

    // GeoJSON: same features, a `filtres` member.
    page.click("#export-geojson").await;
    let path = page.downloaded("geojson").await;
    assert!(path.to_str().unwrap().contains("ehpad"), "{path:?}");
    let fc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), rows.len());
    assert!(
        fc["filtres"].as_str().unwrap().starts_with("types : EHPAD"),
        "{}",
        fc["filtres"]
    );
    assert!(fc["titre"]
        .as_str()
        .unwrap()
        .contains("10\u{a0}km de Gaillac"));
    for f in fc["features"].as_array().unwrap() {
        let kind = f["properties"]["type"].as_str().unwrap();
        assert!(kind == "ehpad" || kind == "ssiad", "{kind}");
    }
    page.close().await;
}

/// Point 2: commune names at a useful zoom, a commune card on click, town halls and CCAS a
/// layer of their own (off by default), and a PNG with title, legend of the visible layers,
/// scale, filters and sources.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn communes_are_named_and_clickable_town_halls_apart_png_legend() {
    let page = Page::open_sized("13-2-communes", DESKTOP.0, DESKTOP.1).await;
    // Town halls and CCAS: a layer, off by default; the others on.
    assert_eq!(
        page.js("return document.getElementById('couche-mairies').checked")
            .await,
        json!(false)
    );
    assert!(page
        .all(".marqueur-mairies, .grappe-mairies")
        .await
        .is_empty());
    page.goto("#c=43.9016,1.8966&z=12").await;
    page.until(
        "health markers",
        "document.querySelectorAll('.leaflet-marker-pane .marqueur, .leaflet-marker-pane .grappe').length > 0",
    )
    .await;
    assert!(page
        .all(".marqueur-mairies, .grappe-mairies")
        .await
        .is_empty());
    // Commune names are written at this zoom.
    page.until(
        "Gaillac named",
        "[...document.querySelectorAll('.nom-commune')].some(n => n.textContent === 'Gaillac')",
    )
    .await;
    page.doc_shot("carte-noms-communes").await;
    // Turning the town halls on shows them.
    page.click("label[for=couche-mairies]").await;
    page.until(
        "town halls shown",
        "document.querySelectorAll('.marqueur-mairies, .grappe-mairies').length > 0",
    )
    .await;
    assert!(page.hash("s").await.unwrap().contains("mairies"));
    page.click("label[for=couche-mairies]").await;
    page.until(
        "town halls hidden",
        "document.querySelectorAll('.marqueur-mairies, .grappe-mairies').length === 0",
    )
    .await;

    // Click a commune where no marker is: its card.
    for l in ["sanitaire", "medico-social", "social"] {
        page.click(&format!("label[for=couche-{l}]")).await;
    }
    page.until(
        "no markers",
        "document.querySelectorAll('.leaflet-marker-pane .marqueur, .leaflet-marker-pane .grappe').length === 0",
    )
    .await;
    page.click_map(0.0, 0.0, false).await;
    page.wait_css(".carte-commune").await;
    page.until(
        "actors counted",
        "/acteur/.test(document.querySelector('.carte-commune-acteurs').textContent)",
    )
    .await;
    let text = page
        .js("return document.querySelector('.carte-commune').textContent")
        .await
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("Population"), "{text}");
    assert!(text.contains("habitants"), "{text}");
    let diag = page.find(".carte-commune-diagnostic").await;
    page.until(
        "diagnostic link",
        "!document.querySelector('.carte-commune-diagnostic').disabled",
    )
    .await;
    assert!(diag.text().await.unwrap().starts_with("Diagnostic"));
    page.doc_shot("carte-fiche-commune").await;
    diag.click().await.unwrap();
    page.wait_css("#diagnostic:not([hidden])").await;
    page.click("#diagnostic-fermer").await;

    // PNG: title, filters, legend of the visible layers only, scale and sources.
    page.click("label[for=couche-medico-social]").await;
    page.until(
        "medico-social markers",
        "document.querySelectorAll('.marqueur-medico-social, .grappe-medico-social').length > 0",
    )
    .await;
    page.click("#export-png").await;
    let png = page.downloaded("png").await;
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    let described: Value = serde_json::from_str(
        page.until("PNG described", "document.body.dataset.dernierPng")
            .await
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let legend: Vec<&str> = described["legende"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        legend.iter().any(|l| l.starts_with("Médico-social")),
        "{legend:?}"
    );
    assert!(
        !legend.iter().any(|l| l.starts_with("Sanitaire")
            || l.starts_with("Social")
            || l.starts_with("Mairies")),
        "hidden layers in the legend: {legend:?}"
    );
    assert!(legend.contains(&"Limites des communes"), "{legend:?}");
    assert!(described["filtres"]
        .as_str()
        .unwrap()
        .contains("médico-social"));
    assert!(
        described["echelle"].as_str().unwrap().ends_with("km")
            || described["echelle"].as_str().unwrap().ends_with(" m")
    );
    assert!(!described["sources"].as_str().unwrap().is_empty());
    assert!(!described["titre"].as_str().unwrap().is_empty());
    page.close().await;
}

/// Point 3: in « Autour d'un point » and zone drawing, a click on a cluster sets the centre or
/// a vertex; the map does not zoom.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn in_a_tool_mode_every_click_belongs_to_the_tool() {
    let page = Page::open_sized("13-3-outils", DESKTOP.0, DESKTOP.1).await;
    page.goto("#c=43.9016,1.8966&z=10").await;
    let cluster = page.wait_css(".leaflet-marker-pane .grappe").await;
    page.click("#bloc-rayon > summary").await;
    click_on(&page, cluster).await;
    page.until(
        "centre set by the click",
        "/point choisi sur la carte/.test(document.getElementById('rayon-centre').textContent)",
    )
    .await;
    page.wait_css("path.cercle-rayon").await;
    // The click set the centre: the cluster did not take it (no zoom on its markers), and the
    // link carries it.
    page.wait_hash("r").await;
    page.shot("rayon").await;

    // Zone drawing: a click on a cluster adds a vertex.
    page.click("#rayon-effacer").await;
    page.click("#bloc-rayon > summary").await;
    page.goto("#c=43.9016,1.8966&z=10").await;
    page.click("#bloc-zone > summary").await;
    page.click("#zone-dessiner").await;
    let cluster = page.wait_css(".leaflet-marker-pane .grappe").await;
    click_on(&page, cluster).await;
    page.until(
        "one vertex",
        "document.querySelectorAll('path.zone-sommet').length === 1",
    )
    .await;
    assert_eq!(page.hash("z").await.unwrap(), "10");
    page.close().await;
}

/// Point 4: messages next to the control that caused them (desktop and phone); the
/// diagnostic is not hidden behind the panel on a phone; one start-up fetch of the actors.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn messages_appear_next_to_their_control() {
    for (label, (w, h)) in [("bureau", DESKTOP), ("telephone", PHONE)] {
        let page = Page::open_sized("13-4-messages", w, h).await;
        // One request of the actors at start-up, and no « Réponse illisible ».
        page.goto("#c=43.9016,1.8966&z=11&k=ehpad").await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let fetches = page
            .js("return performance.getEntriesByType('resource').filter(e => /api\\/actors\\?/.test(e.name)).length")
            .await;
        assert_eq!(fetches, json!(1), "{label}: start-up fetches of the actors");
        assert!(!page
            .js("return document.body.textContent")
            .await
            .as_str()
            .unwrap()
            .contains("illisible"));

        if page
            .js("return document.body.classList.contains('panneau-replie')")
            .await
            == json!(true)
        {
            page.click("#basculer-panneau").await;
        }
        // Scroll the panel down, then ask for a radius search without a centre.
        page.click("#bloc-rayon > summary").await;
        page.js("document.getElementById('panneau').scrollTop = 400")
            .await;
        page.click("#rayon-lancer").await;
        let msg = page.wait_css("#message-local:not([hidden])").await;
        assert!(msg
            .text()
            .await
            .unwrap()
            .contains("Choisissez d'abord un centre"));
        let geometry = page
            .js(
                "const m = document.getElementById('message-local').getBoundingClientRect(); \
                 const b = document.getElementById('rayon-lancer').getBoundingClientRect(); \
                 return [m.top, m.bottom, b.bottom, window.innerHeight];",
            )
            .await;
        let g: Vec<f64> = serde_json::from_value(geometry).unwrap();
        assert!(
            g[0] >= 0.0 && g[1] <= g[3] + 1.0,
            "{label}: message off screen {g:?}"
        );
        assert!(
            (g[0] - g[2]).abs() < 120.0,
            "{label}: message far from its button {g:?}"
        );
        page.doc_shot(&format!("message-pres-du-bouton-{label}"))
            .await;

        // « Afficher le diagnostic »: seen, not behind the panel.
        page.click("#bloc-diagnostic > summary").await;
        page.until(
            "territories",
            "document.querySelectorAll('#diagnostic-territoire option').length > 1",
        )
        .await;
        page.js("const s = document.getElementById('diagnostic-territoire'); s.value = s.options[1].value; s.dispatchEvent(new Event('change'));").await;
        page.click("label[for=diagnostic-type-ehpad]").await;
        page.click("#diagnostic-lancer").await;
        page.wait_css("#diagnostic:not([hidden])").await;
        let on_top = page
            .js(
                "const r = document.getElementById('diagnostic-titre').getBoundingClientRect(); \
                 const e = document.elementFromPoint(r.left + 5, r.top + r.height / 2); \
                 return !!e && !!e.closest('#diagnostic');",
            )
            .await;
        assert_eq!(on_top, json!(true), "{label}: the diagnostic is covered");
        page.shot("diagnostic").await;
        page.close().await;
    }
}

/// Point 8: a link restores the drawn zone, the tool's result and the orientation
/// (procedure, place, age).
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn links_restore_zone_tool_result_and_orientation() {
    let page = Page::open_sized("13-8-liens", DESKTOP.0, DESKTOP.1).await;
    page.goto("#c=43.9016,1.8966&z=13").await;
    page.click("#bloc-zone > summary").await;
    page.click("#zone-dessiner").await;
    page.click_map(-150.0, -150.0, false).await;
    page.click_map(150.0, -150.0, false).await;
    page.click_map(150.0, 150.0, false).await;
    page.click("#zone-terminer").await;
    page.until(
        "zone results",
        "/dans la zone dessinée/.test(document.getElementById('resultats-resume').textContent)",
    )
    .await;
    let rows = page.result_rows().await;
    assert_eq!(page.hash("o").await.as_deref(), Some("zone"));
    assert!(page.hash("zp").await.is_some());

    // Orientation: procedure, commune, age.
    page.click("#bloc-orientation > summary").await;
    page.until(
        "procedures",
        "document.querySelectorAll('#orientation-procedure option').length > 1",
    )
    .await;
    let procedure = page
        .js("const s = document.getElementById('orientation-procedure'); s.value = s.options[1].value; s.dispatchEvent(new Event('change')); return s.value;")
        .await;
    let lieu = page.find("#orientation-lieu").await;
    lieu.send_keys("Gaillac").await.unwrap();
    page.until(
        "place proposals",
        "document.querySelectorAll('#orientation-lieu-liste [role=option]').length > 0",
    )
    .await;
    page.click("#orientation-lieu-liste [role=option]").await;
    page.find("#orientation-age")
        .await
        .send_keys("82")
        .await
        .unwrap();
    page.click("#orientation-lancer").await;
    page.wait_css("#orientation-resultat:not([hidden])").await;
    let steps = page.visible_text("#orientation-etapes").await;
    page.until("orientation in the URL", "location.hash.includes('oa=82')")
        .await;
    let url = page.c().current_url().await.unwrap().to_string();

    page.c().goto("about:blank").await.unwrap();
    page.c().goto(&url).await.unwrap();
    page.wait_css("body.carte-prete").await;
    page.wait_css("path.zone-dessinee").await;
    page.until(
        "zone results restored",
        "/dans la zone dessinée/.test(document.getElementById('resultats-resume').textContent)",
    )
    .await;
    assert_eq!(page.result_rows().await, rows);
    page.wait_css("#orientation-resultat:not([hidden])").await;
    assert_eq!(
        page.js("return document.getElementById('orientation-procedure').value")
            .await,
        procedure
    );
    assert_eq!(
        page.js("return document.getElementById('orientation-age').value")
            .await,
        json!("82")
    );
    assert!(page
        .js("return document.getElementById('orientation-lieu').value")
        .await
        .as_str()
        .unwrap()
        .starts_with("Gaillac"));
    page.until(
        "steps restored",
        "document.querySelectorAll('#orientation-etapes > li').length > 0",
    )
    .await;
    assert_eq!(page.visible_text("#orientation-etapes").await, steps);
    page.doc_shot("lien-restaure-zone-orientation").await;
    page.close().await;
}

/// Point 9: the small things.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn small_things_of_the_page() {
    let page = Page::open_sized("13-9-details", DESKTOP.0, DESKTOP.1).await;
    record_errors(&page).await;
    // « Filtrer les types… »: no error, no empty sector heading, a word when nothing matches.
    let filter = page.find("#types-filtre").await;
    filter.send_keys("ehp").await.unwrap();
    page.until(
        "filtered",
        "[...document.querySelectorAll('#types .type-ligne')].filter(r => !r.hidden).length === 1",
    )
    .await;
    let empty_headings = page
        .js("return [...document.querySelectorAll('#types .types-groupe')].filter(g => !g.hidden && ![...g.querySelectorAll('.type-ligne')].some(r => !r.hidden)).length")
        .await;
    assert_eq!(empty_headings, json!(0));
    let shown_groups = page
        .js("return [...document.querySelectorAll('#types .types-groupe')].filter(g => !g.hidden).length")
        .await;
    assert_eq!(shown_groups, json!(1));
    filter.send_keys("zzz").await.unwrap();
    page.wait_css("#types-vide:not([hidden])").await;
    assert_eq!(page_errors(&page).await, json!([]));

    // An actor without a service area: 200 with an empty area, no 404.
    let (status, body) = page.http("GET", "api/actors/finess:819001579/zone", None);
    assert_eq!(status, 200, "{body}");
    // Favicon, for the page and the printed sheet.
    let (status, _) = page.http("GET", "favicon.ico", None);
    assert_eq!(status, 200);
    // Elision: « CCAS d'Albi », « Mairie d'Albi ».
    let (_, body) = page.http("GET", "api/actors/ccas:81004", None);
    assert!(body.contains("CCAS d'Albi"), "{body}");
    let (_, body) = page.http("GET", "api/actors/mairie:81004", None);
    assert!(body.contains("Mairie d'Albi"), "{body}");

    // Tab order: from the search box, the tools panel comes before any marker.
    page.goto("#c=43.9016,1.8966&z=15").await;
    page.wait_css(".leaflet-marker-pane .marqueur").await;
    page.find("#recherche").await.click().await.unwrap();
    let mut reached_panel = false;
    for _ in 0..30 {
        page.c()
            .active_element()
            .await
            .unwrap()
            .send_keys(&Key::Tab.to_string())
            .await
            .unwrap();
        let where_ = page
            .js("const a = document.activeElement; return a.closest('#panneau') ? 'panneau' : a.closest('.leaflet-marker-pane') ? 'marqueur' : a.tagName;")
            .await;
        assert_ne!(where_, json!("marqueur"), "a marker before the panel");
        if where_ == json!("panneau") {
            reached_panel = true;
            break;
        }
    }
    assert!(reached_panel, "Tab never reached the tools panel");
    page.close().await;

    // Phone: the diagnostic's indicator menu stays inside the screen.
    let page = Page::open_sized("13-9-telephone", PHONE.0, PHONE.1).await;
    page.click("#basculer-panneau").await;
    page.click("#bloc-diagnostic > summary").await;
    page.until(
        "indicators",
        "document.querySelectorAll('#diagnostic-indicateur option').length > 0",
    )
    .await;
    let right = page
        .js("const r = document.getElementById('diagnostic-indicateur').getBoundingClientRect(); const p = document.getElementById('panneau').getBoundingClientRect(); return [r.left, r.right, p.right, window.innerWidth];")
        .await;
    let g: Vec<f64> = serde_json::from_value(right).unwrap();
    assert!(
        g[0] >= 0.0 && g[1] <= g[2] + 0.5 && g[1] <= g[3],
        "menu cut off: {g:?}"
    );
    // Over the map, the diagnostic's own menus (type shown, indicator) stay inside the screen.
    page.js("const s = document.getElementById('diagnostic-territoire'); s.value = s.options[1].value; s.dispatchEvent(new Event('change'));").await;
    page.click("label[for=diagnostic-type-ehpad]").await;
    page.click("#diagnostic-lancer").await;
    page.wait_css("#diagnostic:not([hidden]) #diagnostic-indicateur-carte")
        .await;
    let menus = page
        .js("return ['diagnostic-type-carte', 'diagnostic-indicateur-carte'].map(id => { const r = document.getElementById(id).getBoundingClientRect(); return [r.left, r.right]; }).concat([[0, window.innerWidth]]);")
        .await;
    let m: Vec<Vec<f64>> = serde_json::from_value(menus).unwrap();
    let width = m[2][1];
    for r in &m[..2] {
        assert!(r[0] >= 0.0 && r[1] <= width + 0.5, "menu cut off: {m:?}");
    }
    page.doc_shot("diagnostic-telephone").await;
    page.close().await;
}

/// A downloaded GeoPackage: SQLite with the GeoPackage application id, one feature table
/// `layer` of `count` rows registered in `gpkg_contents` in EPSG:4326.
fn assert_gpkg(path: &std::path::Path, layer: &str, count: usize) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"), "{path:?}");
    assert_eq!(&bytes[68..72], b"GPKG", "application_id");
    let db = rusqlite::Connection::open(path).unwrap();
    let (name, srs): (String, i64) = db
        .query_row("SELECT table_name, srs_id FROM gpkg_contents", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((name.as_str(), srs), (layer, 4326));
    let n: i64 = db
        .query_row(&format!("SELECT count(*) FROM \"{layer}\""), [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n as usize, count, "{path:?}");
}

/// « 15 min en voiture (Valhalla) » with `servir --routage`: the button appears, a click draws
/// the engine's polygon around the chosen centre, labelled with its minutes exactly as the
/// server words them (`libelle` of /api/isochrone) and the road model.
#[tokio::test]
#[ignore = "needs chromium, chromedriver and valhalla (installed by .ci/run)"]
async fn isochrone_button_draws_the_road_polygon_labelled_in_minutes() {
    let engine = valhalla_support::start_engine();
    let page = Page::open_routed("13-10-isochrone", DESKTOP.0, DESKTOP.1, &engine.graph).await;
    // The east village of the test network, chosen as the radius centre.
    page.goto("#c=44,2.01&z=12&r=44,2.01,5&rn=Rive-Est").await;
    page.until(
        "isochrone button shown",
        "!document.getElementById('rayon-isochrone').hidden",
    )
    .await;
    let title = page.attr("#rayon-isochrone", "title").await.unwrap();
    assert!(title.contains("extrait du 15/11/2026"), "{title}");
    // The server's wording of its minutes, which the page shows and does not copy.
    let (status, body) = page.http("GET", "api/isochrone?lat=44&lon=2.01&minutes=15", None);
    assert_eq!(status, 200, "{body}");
    let iso: Value = serde_json::from_str(&body).unwrap();
    let worded = iso["libelle"].as_str().unwrap().to_string();
    assert!(worded.starts_with("15 min "), "{worded}");
    assert_eq!(page.visible_text("#rayon-isochrone").await, worded);
    assert!(title.contains(&worded), "{title}");
    assert!(page.all("path.isochrone").await.is_empty());
    page.click("#rayon-isochrone").await;
    page.until(
        "isochrone polygon",
        "document.querySelector('path.isochrone')",
    )
    .await;
    let label = page
        .until(
            "isochrone label",
            "(document.querySelector('.leaflet-tooltip.isochrone-etiquette') || {}).textContent",
        )
        .await;
    assert_eq!(label, json!(worded));
    // The label sits on the polygon, which is drawn (not a point) on the map.
    let inside = page
        .js("const p = document.querySelector('path.isochrone').getBoundingClientRect();
             const t = document.querySelector('.isochrone-etiquette').getBoundingClientRect();
             const cx = t.left + t.width / 2, cy = t.top + t.height / 2;
             return [p.width, p.height, cx >= p.left && cx <= p.right && cy >= p.top && cy <= p.bottom];")
        .await;
    assert!(inside[0].as_f64().unwrap() > 20.0, "{inside}");
    assert!(inside[1].as_f64().unwrap() > 20.0, "{inside}");
    assert_eq!(inside[2], true, "{inside}");
    let said = page
        .until("status", "document.getElementById('statut').textContent")
        .await;
    let said = said.as_str().unwrap();
    assert!(
        said.contains(&format!("{worded} depuis Rive-Est")),
        "{said}"
    );
    assert!(
        said.contains("réseau routier OpenStreetMap (Valhalla), extrait du 15/11/2026"),
        "{said}"
    );
    page.shot("isochrone").await;
    page.close().await;
}
