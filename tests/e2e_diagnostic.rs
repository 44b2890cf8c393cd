//! Browser test of the "Diagnostic" panel (issue 4): choose a territory and a kind, see the
//! choropleth and the per-commune table, sort it, download the CSV.
//!
//! Run with: `cargo test --test e2e_diagnostic -- --ignored --test-threads=1`

mod e2e_support;
mod valhalla_support;

use e2e_support::Page;
use serde_json::{json, Value};

/// The ids of the result's download links: CSV ; (BOM), CSV ,, GeoJSON, GeoPackage, SVG, PNG.
const DOWNLOADS: [&str; 6] = [
    "diagnostic-csv",
    "diagnostic-csv-virgule",
    "diagnostic-geojson",
    "diagnostic-gpkg",
    "diagnostic-svg",
    "diagnostic-png",
];

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
    page.select("#diagnostic-territoire", "dep:81").await;
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
    page.select("#diagnostic-indicateur", "distance").await;
    page.click("#diagnostic-lancer").await;
    page.wait_css("#diagnostic:not([hidden])").await;
    page.until(
        "table rows",
        "document.querySelectorAll('#diagnostic-table tbody tr').length > 0",
    )
    .await;
    assert!(page.attr("#diagnostic-erreur", "hidden").await.is_some());

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
    let alt = page.attr("#diagnostic-image", "alt").await.unwrap();
    assert!(alt.contains("Distance") && alt.contains("EHPAD"), "{alt}");

    // One row per commune of the territory.
    let rows = table_rows(&page).await;
    assert_eq!(rows.len(), expected_communes);
    assert!(rows.iter().all(|(code, _)| code.starts_with("81")));
    // The parameters used, estimates labelled.
    let params = page.visible_text("#diagnostic-parametres").await;
    assert!(params.contains("Seuil de couverture"), "{params}");
    assert!(params.contains("10 km"), "{params}");
    // Without a routing engine the minutes are said to be estimates, in the server's words.
    let config = api_json(&page, "api/config");
    assert_eq!(config["routage"], false);
    assert!(
        params.contains(&format!(
            "Minutes de trajet\n{}",
            text(&config["minutes_libelle"])
        )),
        "{params}"
    );
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
    // Comparison rows: territory, département; the région (only the Tarn is loaded) is said
    // not loaded instead of repeating the département's figures (issue 13.5).
    let comparisons = page.all("#diagnostic-comparaisons tbody tr").await;
    assert_eq!(comparisons.len(), 3);
    let region = page
        .visible_text("#diagnostic-comparaisons tr.comparaison-absente")
        .await;
    assert!(
        region.contains("Région") && region.contains("région non chargée"),
        "{region}"
    );
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

    // Download links: CSV ; (BOM), CSV ,, GeoJSON, GeoPackage, SVG, PNG.
    for id in DOWNLOADS {
        let href = page.attr(&format!("#{id}"), "href").await.unwrap();
        let (status, _) = page.http("GET", &href, None);
        assert_eq!(status, 200, "{id}: {href}");
    }
    assert_eq!(
        page.visible_text("#diagnostic-gpkg").await,
        "GeoPackage (QGIS)"
    );
    // The GeoPackage link: one commune per row of the table, typed columns.
    page.click("#diagnostic-gpkg").await;
    let gpkg = page.downloaded("gpkg").await;
    let bytes = std::fs::read(&gpkg).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    let db = rusqlite::Connection::open(&gpkg).unwrap();
    let n: i64 = db
        .query_row("SELECT count(*) FROM communes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, table_rows(&page).await.len());
    let population: String = db
        .query_row(
            "SELECT type FROM pragma_table_info('communes') WHERE name = 'population'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(population, "MEDIUMINT");
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
    page.select("#diagnostic-territoire", "cpts:cpts-exemple-du-gaillacois")
        .await;
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
    page.select("#diagnostic-type-carte", "pharmacie").await;
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
    page.select("#diagnostic-territoire", "cpts:cpts-exemple-du-gaillacois")
        .await;
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
    page.select("#diagnostic-indicateur", "couverture").await;
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
    let alt = page.attr("#diagnostic-image", "alt").await.unwrap();
    assert!(alt.contains("par zone d'intervention"), "{alt}");
    page.shot("1-zone").await;

    page.select("#diagnostic-couverture", "distance").await;
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

    // Without a routing engine, a threshold in minutes is offered as an estimate, and the
    // result says so beside the same figures as the API.
    // The bound follows the unit: 200 is refused in minutes (at most 180), next to the form.
    page.select("#diagnostic-seuil-unite", "minutes").await;
    page.type_into("#diagnostic-seuil", "200").await;
    page.click("#diagnostic-lancer").await;
    let error = page
        .until(
            "threshold error",
            "!document.getElementById('diagnostic-erreur').hidden && document.getElementById('diagnostic-erreur').textContent",
        )
        .await;
    assert_eq!(
        error,
        json!("Le seuil de couverture doit être un nombre de minutes entre 1 et 180.")
    );
    let minutes = run_in_minutes(&page, "15").await;
    let config = api_json(&page, "api/config");
    assert_eq!(minutes, format!("min {}", text(&config["minutes_libelle"])));
    let api = assert_coverage_as_api(
        &page,
        "territory=cpts:cpts-exemple-du-gaillacois&kinds=ssiad&max_minutes=15&couverture=distance",
        "ssiad",
    )
    .await;
    assert_eq!(api["parametres"]["routage"], false);
    // The page says the threshold exactly as the server words it, marked as an estimate.
    let threshold = text(&api["parametres"]["seuil_couverture_libelle"]);
    assert!(threshold.starts_with("15 min "), "{threshold}");
    let params = page.visible_text("#diagnostic-parametres").await;
    assert!(
        params.contains(&format!(
            "Seuil de couverture (par distance)\n{threshold} ESTIMATION"
        )),
        "{params}"
    );
    let head = page.visible_text("#diagnostic-table thead").await;
    assert!(head.contains(&format!("à moins de {threshold}")), "{head}");
    page.shot("3-minutes-estimees").await;
    page.close().await;
}

/// The JSON answer of the page's server at `path` (relative, e.g. `api/config`).
fn api_json(page: &Page, path: &str) -> Value {
    let (status, body) = page.http("GET", path, None);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// A JSON string.
fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// Chooses a coverage threshold of `value` minutes in the tool form and runs the diagnostic
/// (the form already filled); returns the text of the minutes' option.
async fn run_in_minutes(page: &Page, value: &str) -> String {
    let option = page
        .js("return document.querySelector('#diagnostic-seuil-unite option[value=\"minutes\"]').textContent")
        .await;
    page.select("#diagnostic-seuil-unite", "minutes").await;
    page.type_into("#diagnostic-seuil", value).await;
    page.js(
        "document.getElementById('diagnostic-lancer').scrollIntoView({block: 'center'}); return 0",
    )
    .await;
    page.click("#diagnostic-lancer").await;
    page.until(
        "diagnostic in minutes",
        &format!(
            "!document.getElementById('diagnostic').hidden && document.querySelectorAll('#diagnostic-table tbody tr').length > 0 \
             && document.getElementById('diagnostic-image').getAttribute('src').includes('max_minutes={value}&')"
        ),
    )
    .await;
    option.as_str().unwrap().to_string()
}

/// A French number of the page (« 1 234,5 », « 57,3 ») as a float.
fn french_number(text: &str) -> f64 {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    t.parse()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

/// The coverage shown for `kind` equals the API's answer to `/api/diagnostic?{query}`: each
/// coverage figure of the territory's comparison row (to its shown decimals), and the communes
/// marked « zone blanche » in the table. Returns the API's answer.
async fn assert_coverage_as_api(page: &Page, query: &str, kind: &str) -> Value {
    let (status, body) = page.http("GET", &format!("api/diagnostic?{query}"), None);
    assert_eq!(status, 200, "{body}");
    let api: Value = serde_json::from_str(&body).unwrap();
    let areas = api["comparaisons"].as_array().unwrap();
    let row = areas
        .iter()
        .position(|a| a["niveau"] == "territoire")
        .expect("territory row");
    let area = &areas[row];
    let cell = area["indicateurs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == kind)
        .expect("kind in the territory row");
    let mut compared = 0;
    for d in api["descripteurs"]["comparaisons"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        if !d["champ"].as_str().unwrap().starts_with("couverture.") {
            continue;
        }
        let from = if d["par_type"] == true { cell } else { area };
        let value = d["champ"]
            .as_str()
            .unwrap()
            .split('.')
            .fold(from, |v, k| &v[k]);
        let shown = page
            .js(&format!(
                "return document.querySelector('#diagnostic-comparaisons tbody tr:nth-child({}) td[data-indicateur=\"{id}\"]').textContent",
                row + 1
            ))
            .await;
        let shown = shown.as_str().unwrap();
        match value.as_f64() {
            None => assert_eq!(shown, "", "{id}: {value}"),
            Some(v) => {
                let scaled = v * d["echelle"].as_f64().unwrap_or(1.0);
                let half = 0.5 * 10f64.powi(-(d["decimales"].as_i64().unwrap() as i32));
                assert!(
                    (french_number(shown) - scaled).abs() <= half + 1e-9,
                    "{id}: shown {shown:?}, API {scaled}"
                );
            }
        }
        compared += 1;
    }
    assert!(compared >= 2, "no coverage figure compared");
    let mut white: Vec<String> = api["communes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["indicateurs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["type"] == kind && i["couverte"] == false)
        })
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    white.sort();
    let shown = page
        .js("return [...document.querySelectorAll('#diagnostic-table tbody tr.zone-blanche')].map(tr => tr.dataset.code).sort()")
        .await;
    assert_eq!(shown, json!(white));
    api
}

/// With a routing engine (`servir --routage`, a real Valhalla), the form offers the coverage
/// threshold in minutes worded by the server (« min en voiture (Valhalla) »): the result shows
/// the API's coverage for the same `max_minutes` and its threshold label, every download
/// carries the minutes and that label, and the URL restores the minutes choice.
#[tokio::test]
#[ignore = "needs chromium, chromedriver and valhalla (installed by .ci/run)"]
async fn diagnostic_in_minutes_by_road_shows_the_api_coverage_and_restores_from_the_url() {
    let engine = valhalla_support::start_engine();
    let page = Page::open_routed("16-diagnostic-minutes", 1366, 850, &engine.graph).await;
    page.click("#bloc-diagnostic > summary").await;
    page.until(
        "territories loaded",
        "!!document.querySelector('#diagnostic-territoire option[value=\"cpts:cpts-exemple-du-gaillacois\"]')",
    )
    .await;
    page.select("#diagnostic-territoire", "cpts:cpts-exemple-du-gaillacois")
        .await;
    page.click("#diagnostic-type-pharmacie").await;
    page.select("#diagnostic-couverture", "distance").await;
    page.select("#diagnostic-indicateur", "couverture").await;
    let option = run_in_minutes(&page, "5").await;
    let config = api_json(&page, "api/config");
    assert_eq!(config["routage"], true);
    assert_eq!(option, format!("min {}", text(&config["minutes_libelle"])));

    let query = "territory=cpts%3Acpts-exemple-du-gaillacois&kinds=pharmacie&max_minutes=5&couverture=distance";
    let api = assert_coverage_as_api(&page, query, "pharmacie").await;
    assert_eq!(api["parametres"]["routage"], true, "{}", api["parametres"]);
    assert_eq!(api["parametres"]["seuil_couverture"]["minutes"], 5.0);
    // One wording of the minutes: the form's, the answer's and the page's agree.
    let threshold = text(&api["parametres"]["seuil_couverture_libelle"]);
    assert_eq!(
        threshold,
        format!("5 min {}", text(&config["minutes_libelle"]))
    );
    assert_eq!(
        api["parametres"]["minutes_libelle"],
        config["minutes_libelle"]
    );
    let params = page.visible_text("#diagnostic-parametres").await;
    assert!(
        params.contains(&format!(
            "Seuil de couverture (par distance)\n{threshold}\n"
        )),
        "{params}"
    );
    assert!(
        params.contains(&format!(
            "Minutes de trajet\n{}",
            text(&config["minutes_libelle"])
        )),
        "{params}"
    );
    let head = page.visible_text("#diagnostic-table thead").await;
    assert!(head.contains(&format!("à moins de {threshold}")), "{head}");

    // Every export of the result carries the minutes (and no km threshold).
    for id in std::iter::once("diagnostic-rapport").chain(DOWNLOADS) {
        let href = page.attr(&format!("#{id}"), "href").await.unwrap();
        assert!(
            href.contains(&format!("?{query}")) && !href.contains("max_km"),
            "{id}: {href}"
        );
        let (status, body) = page.http("GET", &href, None);
        assert_eq!(status, 200, "{id}: {href} {body}");
    }
    let report = page.attr("#diagnostic-rapport", "href").await.unwrap();
    let (status, html) = page.http("GET", &report, None);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(threshold), "report threshold");
    let csv = page.attr("#diagnostic-csv-virgule", "href").await.unwrap();
    let (status, text) = page.http("GET", &csv, None);
    assert_eq!(status, 200, "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "pharmacie_couverte_distance")
        .expect("coverage column");
    let mut white: Vec<String> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[column] == "non")
        .map(|r| r[0].to_string())
        .collect();
    white.sort();
    // Some communes are more than 5 minutes away by road: the comparison is not vacuous.
    assert!(!white.is_empty(), "no white zone at 5 min");
    assert_eq!(
        json!(white),
        page.js("return [...document.querySelectorAll('#diagnostic-table tbody tr.zone-blanche')].map(tr => tr.dataset.code).sort()")
            .await,
        "CSV white zones"
    );
    page.shot("1-minutes").await;
    page.js("document.getElementById('diagnostic-parametres-bloc').scrollIntoView(); return 0")
        .await;
    page.shot("2-parametres").await;

    // The link restores the minutes choice.
    reload_from_url(&page, &["ds=5", "dsu=minutes", "dc=distance"]).await;
    assert_eq!(
        page.js("return [document.getElementById('diagnostic-seuil-unite').value, document.getElementById('diagnostic-seuil').value, \
                 document.getElementById('reglages-seuil-unite').value, document.getElementById('reglages-seuil').value]")
            .await,
        json!(["minutes", "5", "minutes", "5"])
    );
    let src = image_src(&page).await;
    assert!(
        src.contains("max_minutes=5&") && !src.contains("max_km"),
        "{src}"
    );
    assert_coverage_as_api(&page, query, "pharmacie").await;
    let params = page.visible_text("#diagnostic-parametres").await;
    assert!(params.contains(threshold), "{params}");

    // Back to km from the result's form: 5 min does not become 5 km. The field shows the
    // default distance (no km chosen yet on this page), the minutes come back with their unit,
    // and a distance typed is kept in turn.
    let field = "return document.getElementById('reglages-seuil').value";
    page.select("#reglages-seuil-unite", "km").await;
    assert_eq!(page.js(field).await, json!("10"));
    page.type_into("#reglages-seuil", "7").await;
    page.select("#reglages-seuil-unite", "minutes").await;
    assert_eq!(page.js(field).await, json!("5"));
    page.select("#reglages-seuil-unite", "km").await;
    assert_eq!(page.js(field).await, json!("7"));
    // The URL forgets the minutes.
    page.click("#diagnostic-recalculer").await;
    page.until(
        "recomputed in km",
        "document.getElementById('diagnostic-image').getAttribute('src').includes('max_km=7&')",
    )
    .await;
    let hash = page.js("return location.hash").await;
    let hash = hash.as_str().unwrap();
    assert!(hash.contains("ds=7") && !hash.contains("dsu="), "{hash}");
    page.close().await;
    drop(engine);
}

/// Reloads the page from its URL (after a blank page), once the URL is checked to hold
/// `keys`, and waits for the diagnostic it restores.
async fn reload_from_url(page: &Page, keys: &[&str]) {
    let url = page.js("return location.href").await;
    let url = url.as_str().unwrap().to_string();
    let hash = url[url.find('#').expect("state in the URL")..].to_string();
    for key in keys {
        assert!(hash.contains(key), "{key} not in {hash}");
    }
    page.c().goto("about:blank").await.unwrap();
    page.goto(&hash).await;
    page.until(
        "diagnostic restored",
        "!document.getElementById('diagnostic').hidden && document.querySelectorAll('#diagnostic-table tbody tr').length > 0",
    )
    .await;
}

/// The `src` of the diagnostic's map image (the server's SVG and its query).
async fn image_src(page: &Page) -> String {
    page.attr("#diagnostic-image", "src").await.unwrap()
}

/// Opens the diagnostic form (the tools panel unfolded first on a phone) and runs the
/// diagnostic of the Tarn for `kinds` with `indicator` on the map.
async fn run_tarn(page: &Page, kinds: &[&str], indicator: &str) {
    page.unfold_panel().await;
    page.click("#bloc-diagnostic > summary").await;
    page.until(
        "territories loaded",
        "!!document.querySelector('#diagnostic-territoire option[value=\"dep:81\"]')",
    )
    .await;
    page.select("#diagnostic-territoire", "dep:81").await;
    for k in kinds {
        page.js(&format!(
            "document.getElementById('diagnostic-type-{k}').scrollIntoView({{block: 'center'}}); return 0"
        ))
        .await;
        page.click(&format!("#diagnostic-type-{k}")).await;
    }
    page.select("#diagnostic-indicateur", indicator).await;
    page.js(
        "document.getElementById('diagnostic-lancer').scrollIntoView({block: 'center'}); return 0",
    )
    .await;
    page.click("#diagnostic-lancer").await;
    page.until(
        "table rows",
        "!document.getElementById('diagnostic').hidden && document.querySelectorAll('#diagnostic-table tbody tr').length > 0",
    )
    .await;
}

/// The diagnostic in the page (issue 13.5 and 13.8), at 1366×850: the full HTML report is
/// served and linked; the two CSV downloads have distinct names (server and page agree); the
/// titles use the indicator's French label; the coverage legend says covered / not covered
/// with the white zones marked; the parameters (kinds, threshold, 2SFCA steps) are changed
/// from the result; the URL restores territory, kinds, indicator and parameters.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn diagnostic_report_names_legend_parameters_and_link() {
    let page = Page::open_sized("13-diagnostic-page", 1366, 850).await;
    run_tarn(&page, &["ehpad", "ssiad"], "apl").await;

    // The HTML report, served and linked from the panel.
    let report = page.find("#diagnostic-rapport").await;
    let href = report.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("api/diagnostic/rapport.html?"), "{href}");
    assert_eq!(
        report.attr("target").await.unwrap().as_deref(),
        Some("_blank")
    );
    let (status, html) = page.http("GET", &href, None);
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<h1>Diagnostic territorial – Tarn (81)</h1>"),
        "{html}"
    );
    assert!(
        html.contains("EHPAD") && html.contains("<svg"),
        "report without maps"
    );
    assert!(html.contains("Région non chargée"), "report: région row");

    // Two CSV downloads, two names: the links' and the server's.
    let names = page
        .js(
            "return Promise.all(['diagnostic-csv', 'diagnostic-csv-virgule'].map(async (id) => { \
             const a = document.getElementById(id); const r = await fetch(a.href); \
             return [a.getAttribute('download'), r.headers.get('content-disposition')]; }))",
        )
        .await;
    let names: Vec<(String, String)> = serde_json::from_value(names).unwrap();
    assert_ne!(names[0].0, names[1].0, "{names:?}");
    assert_ne!(names[0].1, names[1].1, "{names:?}");
    for (file, disposition) in &names {
        assert!(
            disposition.contains(&format!("filename=\"{file}\"")),
            "{names:?}"
        );
        assert!(file.contains("ehpad-ssiad"), "{file}");
    }

    // Titles use the French label of the indicator, never its id.
    let alt = page.attr("#diagnostic-image", "alt").await.unwrap();
    assert!(
        alt.contains("Accessibilité 2SFCA pour 10 000 habitants"),
        "{alt}"
    );
    let text = page.visible_text("#diagnostic").await;
    assert!(!text.contains("(apl)") && !text.contains("apl –"), "{text}");

    // Coverage legend: covered / not covered, white zones marked, in the page and the image.
    page.select("#diagnostic-indicateur-carte", "couverture")
        .await;
    let legend = page
        .until(
            "coverage legend",
            "(() => { const n = document.getElementById('diagnostic-legende-couverture'); return n ? n.textContent : ''; })()",
        )
        .await;
    let legend = legend.as_str().unwrap().to_string();
    assert!(
        legend.contains("couverte :") && legend.contains("zone blanche"),
        "{legend}"
    );
    let svg = page
        .js("return fetch(document.getElementById('diagnostic-image').src).then(r => r.text())")
        .await;
    let svg = svg.as_str().unwrap();
    assert!(svg.contains(">non couverte : zone blanche ("), "{svg}");
    assert!(svg.contains(">couverte ("), "{svg}");
    assert!(
        !svg.contains("&gt; 0,00"),
        "quantile legend on a yes/no map"
    );
    page.until(
        "map image loaded",
        "document.getElementById('diagnostic-image').complete && document.getElementById('diagnostic-image').naturalWidth > 0",
    )
    .await;
    page.shot("1-couverture").await;

    // Parameters changed from the result: a bad step is refused next to the form...
    page.js("document.getElementById('diagnostic-reglages').scrollIntoView(); return 0")
        .await;
    page.type_into("#reglages-paliers", "10:1,5:0.5").await;
    page.click("#diagnostic-recalculer").await;
    let error = page
        .until(
            "steps error",
            "!document.getElementById('diagnostic-reglages-erreur').hidden && document.getElementById('diagnostic-reglages-erreur').textContent",
        )
        .await;
    assert!(error.as_str().unwrap().contains("croissantes"), "{error}");
    // ...then steps, threshold and kinds are applied and recomputed.
    page.type_into("#reglages-paliers", "5:1,12:0.5").await;
    page.type_into("#reglages-seuil", "20").await;
    page.js("document.querySelector('.reglages-bloc').open = true; return 0")
        .await;
    page.click("#reglages-type-ssiad").await;
    page.click("#diagnostic-recalculer").await;
    page.until(
        "recomputed",
        "document.getElementById('diagnostic-image').getAttribute('src').includes('paliers=5%3A1%2C12%3A0.5')",
    )
    .await;
    let src = image_src(&page).await;
    assert!(
        src.contains("max_km=20") && src.contains("kinds=ehpad&"),
        "{src}"
    );
    let params = page.visible_text("#diagnostic-parametres").await;
    assert!(params.contains("20 km"), "{params}");
    assert!(params.contains("5") && params.contains("12"), "{params}");
    assert_eq!(page.all("#diagnostic-type-carte option").await.len(), 1);
    // The same figures as the API for these parameters.
    let (_, body) = page.http(
        "GET",
        "api/diagnostic?territory=dep:81&kinds=ehpad&max_km=20&paliers=5:1,12:0.5&unite=minutes",
        None,
    );
    let api: Value = serde_json::from_str(&body).unwrap();
    let share = api["comparaisons"][0]["indicateurs"][0]["couverture"]["part_couverte"].as_f64();
    assert!(share.is_some(), "{body}");
    page.shot("2-parametres").await;

    // The link restores the diagnostic: territory, kinds, indicator and parameters.
    reload_from_url(
        &page,
        &["dt=dep", "dk=ehpad", "di=couverture", "ds=20", "dp=5"],
    )
    .await;
    let src = image_src(&page).await;
    assert!(
        src.contains("territory=dep%3A81")
            && src.contains("kinds=ehpad&")
            && src.contains("indicateur=couverture")
            && src.contains("max_km=20")
            && src.contains("paliers=5%3A1%2C12%3A0.5"),
        "{src}"
    );
    assert_eq!(
        page.js("return document.getElementById('diagnostic-indicateur-carte').value")
            .await,
        json!("couverture")
    );
    page.shot("3-lien").await;
    page.close().await;
}

/// On a phone (390×844) « Afficher le diagnostic » opens in front of the tools panel, its
/// indicator menu fits the screen, and closing it brings the form back (issue 13.4/13.5).
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn diagnostic_on_a_phone_opens_in_front_of_the_tools_panel() {
    let page = Page::open_sized("14-diagnostic-telephone", 390, 844).await;
    run_tarn(&page, &["ehpad"], "densite").await;
    // The title of the result is the topmost element where it is drawn.
    let on_top = page
        .js("const t = document.getElementById('diagnostic-titre'); const r = t.getBoundingClientRect(); \
             const e = document.elementFromPoint(r.left + 10, r.top + r.height / 2); \
             return !!e && document.getElementById('diagnostic').contains(e);")
        .await;
    assert_eq!(
        on_top,
        json!(true),
        "the diagnostic opens behind the tools panel"
    );
    let fits = page
        .js("const s = document.getElementById('diagnostic-indicateur-carte').getBoundingClientRect(); \
             return s.left >= 0 && s.right <= window.innerWidth;")
        .await;
    assert_eq!(fits, json!(true), "indicator menu cut off");
    page.shot("1-diagnostic").await;
    page.click("#diagnostic-fermer").await;
    page.until(
        "form back",
        "document.getElementById('diagnostic').hidden && !document.body.classList.contains('panneau-replie')",
    )
    .await;
    page.close().await;
}
