//! Shared harness of the browser tests (`tests/e2e_*.rs`): the real `maillage` binary on the
//! embedded demo territory with a fresh partner base, a `chromedriver` driving headless
//! Chromium, and helpers to click, type, wait and take screenshots
//! (`target/e2e-screenshots/`).
#![allow(dead_code)]
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
pub struct Proc {
    child: Child,
    name: &'static str,
    shutdown_port: Option<u16>,
}

impl Proc {
    pub fn spawn(name: &'static str, mut cmd: Command) -> Proc {
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

    pub fn assert_running(&mut self, log: &Path) {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// Minimal HTTP GET (the server speaks HTTP/1.1; we only need the status line and body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
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

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("create target/e2e-screenshots");
    dir
}

/// Whether the screenshots kept for the documentation are to be written into `docs/img/`
/// (`MAILLAGE_CAPTURES=docs`). Otherwise they stay in [`screenshot_dir`] like every other
/// screenshot, so an ordinary run leaves the checkout clean.
fn docs_captures() -> bool {
    match std::env::var("MAILLAGE_CAPTURES") {
        Ok(v) if v == "docs" => true,
        Ok(v) if v.is_empty() => false,
        Ok(v) => panic!("MAILLAGE_CAPTURES={v:?}: only \"docs\" is understood (captures written into docs/img/)"),
        Err(_) => false,
    }
}

pub struct Page {
    client: Option<Client>,
    pub base: String,
    pub port: u16,
    /// An editor token of the server's partner base (see [`Page::open_editor`]).
    pub token: Option<String>,
    pub downloads: PathBuf,
    test: &'static str,
    // Dropped after the client: the driver (with its browser) first, then the server.
    _driver: Proc,
    _server: Proc,
    _work: tempfile::TempDir,
}

impl Page {
    pub async fn open(test: &'static str) -> Page {
        Page::open_sized(test, 1280, 800).await
    }

    pub async fn open_sized(test: &'static str, width: u32, height: u32) -> Page {
        Page::open_with(test, width, height, false, &[]).await
    }

    /// Like [`Page::open`], with an editor token created in the partner base first
    /// (`maillage jetons creer --nom test --role editeur --base …`).
    pub async fn open_editor(test: &'static str) -> Page {
        Page::open_with(test, 1280, 900, true, &[]).await
    }

    /// A page of a given size, optionally as an editor, the server started with extra
    /// options (e.g. `--url-publique https://…`).
    pub async fn open_with(
        test: &'static str,
        width: u32,
        height: u32,
        editor: bool,
        server_args: &[&str],
    ) -> Page {
        // Browser profile, downloads, partner base and process logs.
        let work = tempfile::tempdir().unwrap();
        let sqlite = work.path().join("b.sqlite");
        let token = editor.then(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_maillage"))
                .args([
                    "jetons", "creer", "--nom", "test", "--role", "editeur", "--base",
                ])
                .arg(&sqlite)
                .output()
                .expect("run maillage jetons creer");
            assert!(
                out.status.success(),
                "jetons creer: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
            assert!(token.starts_with("mlg_"), "token {token:?}");
            token
        });
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
            // Each test has its own partner base (never the working directory's).
            c.arg("--base").arg(&sqlite);
            c.args(server_args);
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
            port,
            token,
            downloads,
            test,
            _driver: driver,
            _server: server,
            _work: work,
        };
        page.goto("").await;
        page
    }

    /// A desktop page served with the routing engine prepared in `graph`
    /// (`servir --routage GRAPHE`, e.g. `valhalla_support::start_engine().graph`).
    pub async fn open_routed(test: &'static str, width: u32, height: u32, graph: &Path) -> Page {
        let graph = graph.to_str().expect("UTF-8 graph path");
        Page::open_with(test, width, height, false, &["--routage", graph]).await
    }

    /// A request to the server outside the browser, with the editor token when there is one:
    /// (status, body). `body` is sent as JSON.
    pub fn http(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        self.http_with(method, path, body, &[])
    }

    /// [`Page::http`] with extra headers (e.g. `If-Match`).
    pub fn http_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        let url = format!("{}{}", self.base, path.trim_start_matches('/'));
        fn auth<B>(
            mut r: ureq::RequestBuilder<B>,
            token: Option<&String>,
            headers: &[(&str, &str)],
        ) -> ureq::RequestBuilder<B> {
            if let Some(t) = token {
                r = r.header("Authorization", &format!("Bearer {t}"));
            }
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r
        }
        let token = self.token.as_ref();
        let json = body.map(Value::to_string).unwrap_or_default();
        let result = match method {
            "GET" => auth(agent.get(&url), token, headers).call(),
            "DELETE" => auth(agent.delete(&url), token, headers).call(),
            "POST" | "PUT" | "PATCH" => {
                let req = match method {
                    "POST" => agent.post(&url),
                    "PUT" => agent.put(&url),
                    _ => agent.patch(&url),
                };
                auth(req, token, headers)
                    .header("Content-Type", "application/json")
                    .send(json)
            }
            other => panic!("unsupported method {other}"),
        };
        let mut resp = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (status, text)
    }

    /// Unfolds the tools panel when it is folded (on a phone it covers the map when open).
    pub async fn unfold_panel(&self) {
        if self
            .js("return document.body.classList.contains('panneau-replie')")
            .await
            == json!(true)
        {
            self.click("#basculer-panneau").await;
        }
    }

    pub fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Loads the page (optionally with a `#…` state) and waits until it is ready.
    pub async fn goto(&self, hash: &str) {
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

    pub async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }

    pub async fn shot(&self, step: &str) -> PathBuf {
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

    /// A screenshot shown in the documentation (`docs/img/NAME.png`, committed): written there
    /// only when `MAILLAGE_CAPTURES=docs`, otherwise into [`screenshot_dir`] like the others.
    pub async fn doc_shot(&self, name: &str) -> PathBuf {
        let shot = self.shot(name).await;
        if !docs_captures() {
            return shot;
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img");
        std::fs::create_dir_all(&dir).expect("create docs/img");
        let kept = dir.join(format!("{name}.png"));
        std::fs::copy(&shot, &kept).expect("copy the screenshot into docs/img");
        kept
    }

    pub async fn wait_css(&self, css: &str) -> Element {
        self.c()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?} after {WAIT:?}: {e}"))
    }

    pub async fn find(&self, css: &str) -> Element {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?}: {e}"))
    }

    /// An attribute of the element `css` (`None` when the element does not have it).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("attribute {name:?} of {css:?}: {e}"))
    }

    /// Clicks an element like a user; on failure, saves a screenshot and panics.
    pub async fn click(&self, css: &str) {
        let el = self.wait_css(css).await;
        if let Err(e) = el.click().await {
            let shot = self.shot("echec").await;
            panic!("cannot click {css:?}: {e}; screenshot {shot:?}");
        }
    }

    /// Chooses the option `value` of the menu `css`, like a user.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("option {value:?} of {css:?}: {e}"));
    }

    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.c().find_all(Locator::Css(css)).await.unwrap()
    }

    pub async fn js(&self, script: &str) -> Value {
        self.c().execute(script, vec![]).await.unwrap()
    }

    /// Polls a JavaScript expression until it is truthy; returns its value.
    pub async fn until(&self, what: &str, expr: &str) -> Value {
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

    pub async fn visible_text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Types into the search box and picks the proposal whose category and label match, with
    /// the keyboard (arrows + Enter), as a user would.
    pub async fn search_and_choose(&self, query: &str, category: &str, label: &str) {
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

    pub fn hash_param(url: &str, key: &str) -> Option<String> {
        let hash = url.split_once('#')?.1;
        hash.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| v.replace("%3A", ":"))
        })
    }

    pub async fn hash(&self, key: &str) -> Option<String> {
        let url = self.c().current_url().await.unwrap();
        Page::hash_param(url.as_str(), key)
    }

    /// Replaces the text of the field `css` with `text`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Waits until the URL's hash has `key` (letters), and returns its value.
    pub async fn wait_hash(&self, key: &str) -> String {
        self.until(
            &format!("`{key}` in the URL"),
            &format!("/[#&]{key}=/.test(location.hash)"),
        )
        .await;
        self.hash(key).await.expect("key seen in the hash")
    }

    /// Clicks the map at an offset (pixels) from its centre.
    pub async fn click_map(&self, dx: f64, dy: f64, double: bool) {
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
    pub async fn result_rows(&self) -> Vec<(String, String, String)> {
        let rows = self.js(
            "return [...document.querySelectorAll('#resultats-liste .resultat')].map(b => [
                b.querySelector('.resultat-nom').textContent,
                b.querySelector('.resultat-type').textContent,
                (b.querySelector('.resultat-distance') || {textContent: ''}).textContent]);",
        );
        serde_json::from_value(rows.await).unwrap()
    }

    /// Waits for a finished download with this extension and returns its path.
    pub async fn downloaded(&self, ext: &str) -> PathBuf {
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
pub fn leading_count(text: &str) -> usize {
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
pub fn parse_km(text: &str) -> f64 {
    let t: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    t.replace(',', ".")
        .parse()
        .unwrap_or_else(|_| panic!("not a French distance: {text:?}"))
}
