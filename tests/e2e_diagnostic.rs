//! Browser test of the "Diagnostic" panel (issue 4): choose a territory and a kind, see the
//! choropleth and the per-commune table, sort it, download the CSV.
//!
//! Run with: `cargo test --test e2e_diagnostic -- --ignored --test-threads=1`

mod e2e_support;

use e2e_support::Page;
use serde_json::{json, Value};

/// The communes of the table, in display order: (code, population text).
async fn table_rows(page: &Page) -> Vec<(String, String)> {
    let rows = page
        .js(
            "return [...document.querySelectorAll('#diagnostic-table tbody tr')].map(tr => \
             [tr.dataset.code, tr.children[2].textContent]);",
        )
        .await;
    serde_json::from_value(rows).unwrap()
}

fn french_int(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn diagnostic_of_the_tarn_for_ehpad_shows_map_table_and_csv() {
    let page = Page::open("10-diagnostic").await;
    let (status, territories) = page.http("GET", "api/territories", None);
    assert_eq!(status, 200);
    let territories: Value = serde_json::from_str(&territories).unwrap();
    let expected_communes = territories
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "dep:81")
        .expect("dep:81 in /api/territories")["nombre_communes"]
        .as_u64()
        .unwrap() as usize;

    page.click("#bloc-diagnostic > summary").await;
    // Without a kind, the form says what is missing.
    page.find("#diagnostic-territoire")
        .await
        .select_by_value("dep:81")
        .await
        .unwrap();
    page.click("#diagnostic-lancer").await;
    page.until(
        "missing kind message",
        "!document.getElementById('diagnostic-erreur').hidden",
    )
    .await;
    assert!(page
        .visible_text("#diagnostic-erreur")
        .await
        .contains("type d'offre"));

    page.click("#diagnostic-type-ehpad").await;
    page.find("#diagnostic-indicateur")
        .await
        .select_by_value("distance")
        .await
        .unwrap();
    page.click("#diagnostic-lancer").await;
    page.wait_css("#diagnostic:not([hidden])").await;
    page.until(
        "table rows",
        "document.querySelectorAll('#diagnostic-table tbody tr').length > 0",
    )
    .await;
    assert!(page
        .find("#diagnostic-erreur")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_some());

    // The choropleth is the server's SVG, loaded as an image.
    let img = page
        .until(
            "map image loaded",
            "(() => { const i = document.getElementById('diagnostic-image'); \
             return i.complete && i.naturalWidth > 0 ? i.getAttribute('src') : ''; })()",
        )
        .await;
    let src = img.as_str().unwrap();
    assert!(src.starts_with("api/diagnostic/carte.svg?"), "{src}");
    assert!(src.contains("territory=dep%3A81"), "{src}");
    assert!(
        src.contains("kind=ehpad") && src.contains("indicateur=distance"),
        "{src}"
    );
    let alt = page
        .find("#diagnostic-image")
        .await
        .attr("alt")
        .await
        .unwrap()
        .unwrap();
    assert!(alt.contains("Distance") && alt.contains("EHPAD"), "{alt}");

    // One row per commune of the territory.
    let rows = table_rows(&page).await;
    assert_eq!(rows.len(), expected_communes);
    assert!(rows.iter().all(|(code, _)| code.starts_with("81")));
    // The parameters used, estimates labelled.
    let params = page.visible_text("#diagnostic-parametres").await;
    assert!(params.contains("Seuil de couverture"), "{params}");
    assert!(params.contains("10 km"), "{params}");
    assert!(
        !page
            .all("#diagnostic-parametres .badge-estimation")
            .await
            .is_empty(),
        "the travel-time model is not labelled as an estimate: {params}"
    );
    let head = page.visible_text("#diagnostic-table thead").await;
    assert!(head.contains("Temps estimé"), "{head}");
    assert!(head.to_lowercase().contains("estimation"), "{head}");
    // Comparison rows: territory, département, région.
    let comparisons = page.all("#diagnostic-comparaisons tbody tr").await;
    assert_eq!(comparisons.len(), 3);
    page.shot("1-diagnostic").await;
    page.js("document.getElementById('diagnostic-table-titre').scrollIntoView(); return 0")
        .await;
    page.shot("2-tableau").await;

    // Sort by population: ascending, then descending.
    page.click("#diagnostic-table button[data-cle='population']")
        .await;
    let asc: Vec<u64> = table_rows(&page)
        .await
        .iter()
        .filter_map(|r| french_int(&r.1))
        .collect();
    assert_eq!(asc.len(), expected_communes);
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "not ascending");
    assert_eq!(
        page.js("return document.querySelector(\"#diagnostic-table button[data-cle='population']\").parentElement.getAttribute('aria-sort')")
            .await,
        json!("ascending")
    );
    page.click("#diagnostic-table button[data-cle='population']")
        .await;
    let desc: Vec<u64> = table_rows(&page)
        .await
        .iter()
        .filter_map(|r| french_int(&r.1))
        .collect();
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "not descending");
    assert_eq!(desc.first(), asc.last());

    // Download links: CSV ; (BOM), CSV ,, GeoJSON, SVG, PNG.
    for id in [
        "diagnostic-csv",
        "diagnostic-csv-virgule",
        "diagnostic-geojson",
        "diagnostic-svg",
        "diagnostic-png",
    ] {
        let href = page
            .find(&format!("#{id}"))
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let (status, _) = page.http("GET", &href, None);
        assert_eq!(status, 200, "{id}: {href}");
    }
    page.click("#diagnostic-csv").await;
    let csv_path = page.downloaded("csv").await;
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "code_insee");
    assert!(
        headers.iter().any(|h| h == "ehpad_distance_km"),
        "{headers:?}"
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let table = table_rows(&page).await;
    assert_eq!(records.len(), table.len(), "CSV rows vs table rows");
    let mut csv_codes: Vec<&str> = records.iter().map(|r| &r[0]).collect();
    let mut table_codes: Vec<&str> = table.iter().map(|r| r.0.as_str()).collect();
    csv_codes.sort_unstable();
    table_codes.sort_unstable();
    assert_eq!(csv_codes, table_codes);

    // Escape closes the view.
    page.find("#diagnostic-fermer")
        .await
        .send_keys(&fantoccini::key::Key::Escape.to_string())
        .await
        .unwrap();
    page.until(
        "diagnostic closed",
        "document.getElementById('diagnostic').hidden",
    )
    .await;
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn diagnostic_of_the_sample_cpts_with_two_kinds_switches_the_shown_kind() {
    let page = Page::open("11-diagnostic-cpts").await;
    page.click("#bloc-diagnostic > summary").await;
    page.find("#diagnostic-territoire")
        .await
        .select_by_value("cpts:cpts-exemple-du-gaillacois")
        .await
        .unwrap();
    page.click("#diagnostic-type-ehpad").await;
    page.click("#diagnostic-type-pharmacie").await;
    page.click("#diagnostic-masquer").await;
    page.click("#diagnostic-lancer").await;
    page.until(
        "table rows",
        "document.querySelectorAll('#diagnostic-table tbody tr').length > 0",
    )
    .await;
    let (status, body) = page.http(
        "GET",
        "api/diagnostic?territory=cpts:cpts-exemple-du-gaillacois&kinds=ehpad,pharmacie&masquer=oui",
        None,
    );
    assert_eq!(status, 200);
    let d: Value = serde_json::from_str(&body).unwrap();
    let communes = d["communes"].as_array().unwrap();
    assert_eq!(table_rows(&page).await.len(), communes.len());
    // Masked small counts show as "< 5", as the server sent them.
    let masked = communes
        .iter()
        .filter(|c| c["indicateurs"][0]["effectif"] == "< 5")
        .count();
    let shown = page
        .js("return [...document.querySelectorAll('#diagnostic-table tbody tr')].filter(tr => tr.children[3].textContent === '< 5').length")
        .await;
    assert_eq!(shown, json!(masked));
    assert!(page
        .visible_text("#diagnostic-table-titre")
        .await
        .contains("EHPAD"));

    // Switch the shown kind: the map and the table follow.
    page.find("#diagnostic-type-carte")
        .await
        .select_by_value("pharmacie")
        .await
        .unwrap();
    page.until(
        "map of pharmacies",
        "document.getElementById('diagnostic-image').getAttribute('src').includes('kind=pharmacie')",
    )
    .await;
    let nearest = page
        .js("return document.querySelector('#diagnostic-table tbody tr').children[9].textContent")
        .await;
    assert!(nearest.as_str().unwrap().contains("PHARMACIE"), "{nearest}");
    page.until(
        "map image loaded",
        "document.getElementById('diagnostic-image').complete && document.getElementById('diagnostic-image').naturalWidth > 0",
    )
    .await;
    page.shot("pharmacies").await;
    page.close().await;
}

/// The page names the definition of « covered » it shows (issue 12): by service area for the
/// SSIAD of the sample CPTS (Vieux covered, as the orientation says), by distance when asked
/// (Vieux a « zone blanche » at 10 km).
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn diagnostic_names_the_coverage_definition() {
    let page = Page::open("12-diagnostic-couverture").await;
    page.click("#bloc-diagnostic > summary").await;
    page.find("#diagnostic-territoire")
        .await
        .select_by_value("cpts:cpts-exemple-du-gaillacois")
        .await
        .unwrap();
    page.click("#diagnostic-type-ssiad").await;
    // The map indicators are the server's table.
    let options = page
        .js("return [...document.querySelectorAll('#diagnostic-indicateur option')].map(o => o.value)")
        .await;
    assert!(
        options
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o == "couverture"),
        "{options}"
    );
    page.find("#diagnostic-indicateur")
        .await
        .select_by_value("couverture")
        .await
        .unwrap();
    page.click("#diagnostic-lancer").await;
    page.until(
        "table rows",
        "document.querySelectorAll('#diagnostic-table tbody tr').length > 0",
    )
    .await;
    let vieux = "(() => { const tr = document.querySelector('#diagnostic-table tbody tr[data-code=\"81316\"]'); \
                 const i = [...document.querySelectorAll('#diagnostic-table thead button')].findIndex(b => b.dataset.cle === 'couverture'); \
                 return tr ? tr.children[i].textContent : ''; })()";
    assert_eq!(page.js(&format!("return {vieux}")).await, json!("oui"));
    let definition = page.visible_text("#diagnostic-couverture-definition").await;
    assert!(definition.contains("zone d'intervention"), "{definition}");
    assert!(definition.contains("orientation"), "{definition}");
    let head = page.visible_text("#diagnostic-table thead").await;
    assert!(head.contains("Couverte par zone d'intervention"), "{head}");
    let comparisons = page.visible_text("#diagnostic-comparaisons thead").await;
    assert!(
        comparisons.contains("par zone d'intervention"),
        "{comparisons}"
    );
    let alt = page
        .find("#diagnostic-image")
        .await
        .attr("alt")
        .await
        .unwrap()
        .unwrap();
    assert!(alt.contains("par zone d'intervention"), "{alt}");
    page.shot("1-zone").await;

    page.find("#diagnostic-couverture")
        .await
        .select_by_value("distance")
        .await
        .unwrap();
    page.click("#diagnostic-lancer").await;
    page.until(
        "coverage by distance",
        "document.getElementById('diagnostic-couverture-definition').dataset.definition === 'distance'",
    )
    .await;
    assert_eq!(
        page.js(&format!("return {vieux}")).await,
        json!("non (zone blanche)")
    );
    let head = page.visible_text("#diagnostic-table thead").await;
    assert!(head.contains("par distance, à moins de 10 km"), "{head}");
    page.shot("2-distance").await;
    page.close().await;
}
