//! End-to-end tests of the map page in a real browser.
//!
//! Each test starts the real `maillage` binary on the embedded demo territory (Tarn), a
//! `chromedriver` driving headless Chromium, and asserts what a coordinator sees. Screenshots of
//! every step land in `target/e2e-screenshots/`.
//!
//! Run with: `cargo test --test e2e_page -- --ignored --test-threads=1`
//! (needs `/usr/bin/chromium` and `/usr/bin/chromedriver`; override with `CHROMIUM` and
//! `CHROMEDRIVER`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

// -------------------------------------------------------------------------------------------
// Harness: server + chromedriver + browser session, killed on drop.
// -------------------------------------------------------------------------------------------

/// A child process, killed on drop. Chromedriver is first asked to shut down over HTTP, which
/// makes it quit the browser it started.
struct Proc {
    child: Child,
    name: &'static str,
    shutdown_port: Option<u16>,
}

impl Proc {
    fn spawn(name: &'static str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::null());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            child,
            name,
            shutdown_port: None,
        }
    }

    fn assert_running(&mut self, log: &Path) {
        if let Ok(Some(status)) = self.child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{} exited early: {status}\n{log}", self.name);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(port) = self.shutdown_port {
            let _ = http_get(port, "/shutdown");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// Minimal HTTP GET (the server speaks HTTP/1.1; we only need the status line and body).
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    Some((code, body.to_string()))
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("create target/e2e-screenshots");
    dir
}

struct Page {
    client: Option<Client>,
    base: String,
    downloads: PathBuf,
    test: &'static str,
    // Dropped after the client: the driver (with its browser) first, then the server.
    _driver: Proc,
    _server: Proc,
    _work: tempfile::TempDir,
}

impl Page {
    async fn open(test: &'static str) -> Page {
        Page::open_sized(test, 1280, 800).await
    }

    async fn open_sized(test: &'static str, width: u32, height: u32) -> Page {
        // Browser profile, downloads and process logs.
        let work = tempfile::tempdir().unwrap();
        let profile = work.path().join("profil");
        let downloads = work.path().join("telechargements");
        std::fs::create_dir_all(&downloads).unwrap();
        let server_log = work.path().join("maillage.log");
        let driver_log = work.path().join("chromedriver.log");
        let log_file = |p: &Path| Stdio::from(std::fs::File::create(p).unwrap());

        // The real binary with the embedded demo territory; no tiles (offline).
        let port = free_port();
        let mut server = Proc::spawn("maillage", {
            let mut c = Command::new(env!("CARGO_BIN_EXE_maillage"));
            c.args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--sans-tuiles",
            ]);
            // The embedded demo territory, unless a data folder is given.
            if let Ok(dir) = std::env::var("MAILLAGE_E2E_DATA") {
                c.arg("--data").arg(dir);
            }
            c.stdout(Stdio::null()).stderr(log_file(&server_log));
            c
        });
        let start = Instant::now();
        loop {
            if let Some((200, body)) = http_get(port, "/api/health") {
                assert!(body.contains("\"ok\""), "health: {body}");
                break;
            }
            server.assert_running(&server_log);
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "server not ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }

        let driver_port = free_port();
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let mut driver = Proc::spawn("chromedriver", {
            let mut c = Command::new(chromedriver);
            c.arg(format!("--port={driver_port}"))
                .stdout(log_file(&driver_log))
                .stderr(Stdio::null());
            c
        });
        driver.shutdown_port = Some(driver_port);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", driver_port)).is_err() {
            driver.assert_running(&driver_log);
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "chromedriver not ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }

        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--lang=fr-FR",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ],
                "prefs": {
                    "download.default_directory": downloads.to_str().unwrap(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "intl.accept_languages": "fr-FR,fr",
                },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("WebDriver session");
        // Headless windows ignore --window-size on some versions: set the viewport explicitly.
        let _ = client.set_window_size(width, height).await;

        let page = Page {
            client: Some(client),
            base: format!("http://127.0.0.1:{port}/"),
            downloads,
            test,
            _driver: driver,
            _server: server,
            _work: work,
        };
        page.goto("").await;
        page
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Loads the page (optionally with a `#…` state) and waits until it is ready.
    async fn goto(&self, hash: &str) {
        self.c()
            .goto(&format!("{}{hash}", self.base))
            .await
            .unwrap();
        if !hash.is_empty() {
            // Same document with a new hash: reload so start-up reads it.
            self.c().refresh().await.unwrap();
        }
        self.wait_css("body.carte-prete").await;
    }

    async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }

    async fn shot(&self, step: &str) -> PathBuf {
        // Let the map finish moving and the page finish loading, so the picture is the settled
        // view; give up quietly after a while (a failure screenshot must still be taken).
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            let idle = self
                .c()
                .execute(
                    "return !document.body.classList.contains('carte-en-mouvement') \
                     && (document.body.dataset.requetes || '0') === '0'",
                    vec![],
                )
                .await;
            if matches!(idle, Ok(Value::Bool(true))) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        let png = self.c().screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{}-{step}.png", self.test));
        std::fs::write(&path, png).unwrap();
        path
    }

    async fn wait_css(&self, css: &str) -> Element {
        self.c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?} after {WAIT:?}: {e}"))
    }

    async fn find(&self, css: &str) -> Element {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?}: {e}"))
    }

    /// Clicks an element like a user; on failure, saves a screenshot and panics.
    async fn click(&self, css: &str) {
        let el = self.wait_css(css).await;
        if let Err(e) = el.click().await {
            let shot = self.shot("echec").await;
            panic!("cannot click {css:?}: {e}; screenshot {shot:?}");
        }
    }

    async fn all(&self, css: &str) -> Vec<Element> {
        self.c().find_all(Locator::Css(css)).await.unwrap()
    }

    async fn js(&self, script: &str) -> Value {
        self.c().execute(script, vec![]).await.unwrap()
    }

    /// Polls a JavaScript expression until it is truthy; returns its value.
    async fn until(&self, what: &str, expr: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.js(&format!("return ({expr});")).await;
            let ok = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if ok {
                return v;
            }
            if start.elapsed() > WAIT {
                let shot = self.shot("echec").await;
                panic!("timed out waiting for {what} ({expr}); screenshot {shot:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn visible_text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Types into the search box and picks the proposal whose category and label match, with
    /// the keyboard (arrows + Enter), as a user would.
    async fn search_and_choose(&self, query: &str, category: &str, label: &str) {
        let input = self.find("#recherche").await;
        input.clear().await.unwrap();
        input.send_keys(query).await.unwrap();
        self.until(
            "search proposals",
            "document.querySelectorAll('#recherche-liste [role=option].proposition').length > 0",
        )
        .await;
        let options = self.all("#recherche-liste .proposition").await;
        let mut target = None;
        for (i, o) in options.iter().enumerate() {
            let cat = o.attr("data-categorie").await.unwrap().unwrap_or_default();
            let text = o
                .find(Locator::Css(".proposition-libelle"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if cat == category && text == label {
                target = Some(i);
                break;
            }
        }
        let target =
            target.unwrap_or_else(|| panic!("no {category} proposal {label:?} for {query:?}"));
        assert_eq!(
            input.attr("aria-expanded").await.unwrap().as_deref(),
            Some("true")
        );
        for _ in 0..=target {
            input.send_keys(&Key::Down.to_string()).await.unwrap();
        }
        let active = input.attr("aria-activedescendant").await.unwrap();
        assert_eq!(active, Some(format!("proposition-{target}")));
        input.send_keys(&Key::Enter.to_string()).await.unwrap();
        self.until(
            "search list closed",
            "document.getElementById('recherche-liste').hidden",
        )
        .await;
    }

    fn hash_param(url: &str, key: &str) -> Option<String> {
        let hash = url.split_once('#')?.1;
        hash.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| v.replace("%3A", ":"))
        })
    }

    async fn hash(&self, key: &str) -> Option<String> {
        let url = self.c().current_url().await.unwrap();
        Page::hash_param(url.as_str(), key)
    }

    /// Clicks the map at an offset (pixels) from its centre.
    async fn click_map(&self, dx: f64, dy: f64, double: bool) {
        let map = self.find("#carte").await;
        let mut mouse = MouseActions::new("souris".into())
            .then(PointerAction::MoveToElement {
                element: map,
                duration: None,
                x: dx,
                y: dy,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        if double {
            mouse = mouse
                .then(PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                })
                .then(PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                });
        }
        self.c().perform_actions(mouse).await.unwrap();
        self.c().release_actions().await.unwrap();
    }

    /// The rows of the result list: (name, kind line, distance text).
    async fn result_rows(&self) -> Vec<(String, String, String)> {
        let rows = self.js(
            "return [...document.querySelectorAll('#resultats-liste .resultat')].map(b => [
                b.querySelector('.resultat-nom').textContent,
                b.querySelector('.resultat-type').textContent,
                (b.querySelector('.resultat-distance') || {textContent: ''}).textContent]);",
        );
        serde_json::from_value(rows.await).unwrap()
    }

    /// Waits for a finished download with this extension and returns its path.
    async fn downloaded(&self, ext: &str) -> PathBuf {
        let start = Instant::now();
        loop {
            let found = std::fs::read_dir(&self.downloads)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.extension().and_then(|e| e.to_str()) == Some(ext));
            if let Some(p) = found {
                // Chrome renames the .crdownload file when done; give it a moment to flush.
                tokio::time::sleep(Duration::from_millis(200)).await;
                return p;
            }
            assert!(start.elapsed() < WAIT, "no .{ext} file downloaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// "1 234 acteurs …" → 1234 (French thousands separators are spaces).
fn leading_count(text: &str) -> usize {
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || c.is_whitespace())
        .filter(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count in {text:?}"))
}

/// "2,4 km" → 2.4
fn parse_km(text: &str) -> f64 {
    let t: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    t.replace(',', ".")
        .parse()
        .unwrap_or_else(|_| panic!("not a French distance: {text:?}"))
}

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
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
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
