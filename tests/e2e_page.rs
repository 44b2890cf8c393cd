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
    let radius = page.find("#rayon-km").await;
    radius.clear().await.unwrap();
    radius.send_keys("15").await.unwrap();
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
