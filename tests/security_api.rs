//! Issue 14, points 4, 6 and 7 through the router: the read policy covers every route that
//! shows data, every error is French JSON, the `Origin` check compares the scheme and trusts
//! forwarded headers only behind a declared proxy, JSON routes refuse other content types,
//! and the partner base is private.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use maillage::server::{router, AppState, ServerConfig};
use maillage::store::{Role, Store};

struct Env {
    _dir: tempfile::TempDir,
    app: Router,
    editor: String,
    reader: String,
}

fn env(read_auth: bool, behind_proxy: bool) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("b.sqlite")).unwrap();
    let (_, editor) = store.create_token("Coordinatrice", Role::Editeur).unwrap();
    let (_, reader) = store.create_token("Secrétariat", Role::Lecteur).unwrap();
    let config = ServerConfig {
        behind_proxy,
        ..ServerConfig::default()
    };
    let state = AppState::with_store(
        maillage::pipeline::directory(None, &mut std::io::sink()).unwrap(),
        config,
        store,
        read_auth,
    )
    .unwrap();
    let set = maillage::orientation::cli::serve_procedures(
        None,
        true,
        &state.directory(),
        &mut std::io::sink(),
    )
    .unwrap();
    Env {
        _dir: dir,
        app: router(state.with_procedures(set)),
        editor,
        reader,
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {e}: {:?} {}",
                self.status,
                self.content_type,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

async fn call(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        content_type,
        body,
    }
}

fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

/// A French JSON error: `erreur` and `detail`, no English framework text.
fn assert_french_error(a: &Answer, status: u16) {
    assert_eq!(
        a.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    let v = a.json();
    let erreur = v["erreur"].as_str().unwrap_or_else(|| panic!("{v}"));
    let detail = v["detail"].as_str().unwrap_or_else(|| panic!("{v}"));
    for english in [
        "Invalid",
        "Failed",
        "Expected",
        "Cannot",
        "length limit",
        "Method Not",
    ] {
        assert!(
            !erreur.contains(english) && !detail.contains(english),
            "{v}"
        );
    }
}

#[tokio::test]
async fn with_authenticated_reads_the_sheets_need_a_token_and_static_files_do_not() {
    let e = env(true, false);
    let sheet = "/orientation/perte-autonomie-domicile/81004";
    let anon = call(&e.app, get(sheet, None)).await;
    assert_french_error(&anon, 401);
    let read = call(&e.app, get(sheet, Some(&e.reader))).await;
    assert_eq!(
        read.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&read.body)
    );
    assert!(read.content_type.starts_with("text/html"));
    // Any other data path outside /api/ (an unknown one too) is not public either.
    assert_french_error(&call(&e.app, get("/orientation/x/81004", None)).await, 401);
    assert_french_error(&call(&e.app, get("/export/tout.csv", None)).await, 401);
    // The page's static files stay public.
    for path in [
        "/",
        "/js/main.js",
        "/style.css",
        "/index.html",
        "/favicon.svg",
    ] {
        let r = call(&e.app, get(path, None)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    // Without the option the sheet is public.
    let open = env(false, false);
    assert_eq!(
        call(&open.app, get(sheet, None)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn framework_rejections_are_french_json() {
    let e = env(false, false);
    for path in [
        "/api/actors/%FF",
        "/api/communes/%FF%FE",
        "/api/territories/%C3",
        "/api/partenaires/%FF/historique",
        "/api/procedures/%FF",
    ] {
        let r = call(&e.app, get(path, None)).await;
        assert_french_error(&r, 400);
    }
    let r = call(
        &e.app,
        Request::builder()
            .method("DELETE")
            .uri("/api/health")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_french_error(&r, 405);
    let r = call(&e.app, get("/nulle-part.txt", None)).await;
    assert_french_error(&r, 404);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415() {
    let e = env(false, false);
    let body = json!({"nom": "DAC du Tarn", "type": "dac", "code_insee": "81004"}).to_string();
    for (uri, method) in [
        ("/api/partenaires", "POST"),
        ("/api/within", "POST"),
        ("/api/session", "POST"),
    ] {
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let mut b = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {}", e.editor));
            if uri == "/api/session" {
                b = Request::builder().method(method).uri(uri);
            }
            if let Some(ct) = ct {
                b = b.header(header::CONTENT_TYPE, ct);
            }
            let r = call(&e.app, b.body(Body::from(body.clone())).unwrap()).await;
            assert_french_error(&r, 415);
        }
    }
    // The same body with its JSON type is accepted.
    let ok = Request::builder()
        .method("POST")
        .uri("/api/partenaires")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.editor))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body))
        .unwrap();
    let r = call(&e.app, ok).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
}

/// Logs in with a token and returns the session cookie (`name=value`).
async fn login(app: &Router, token: &str, headers: &[(&str, &str)]) -> (String, String) {
    let mut b = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let r = app
        .clone()
        .oneshot(
            b.body(Body::from(json!({"jeton": token}).to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    (cookie.split(';').next().unwrap().to_string(), cookie)
}

fn cookie_write(cookie: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri("/api/partenaires")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, cookie);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(
        json!({"nom": "CCAS d'Albi", "type": "ccas", "code_insee": "81004"}).to_string(),
    ))
    .unwrap()
}

#[tokio::test]
async fn the_origin_check_compares_the_scheme_and_trusts_forwarded_headers_only_behind_a_proxy() {
    // Served directly: X-Forwarded-* are anyone's headers.
    let e = env(false, false);
    let (cookie, set_cookie) = login(
        &e.app,
        &e.editor,
        &[("host", "127.0.0.1:8080"), ("x-forwarded-proto", "https")],
    )
    .await;
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let forged = cookie_write(
        &cookie,
        &[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "evil.example"),
            ("origin", "http://evil.example"),
        ],
    );
    assert_french_error(&call(&e.app, forged).await, 403);
    let other_scheme = cookie_write(
        &cookie,
        &[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://127.0.0.1:8080"),
        ],
    );
    assert_french_error(&call(&e.app, other_scheme).await, 403);
    let same = cookie_write(
        &cookie,
        &[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ],
    );
    assert_eq!(call(&e.app, same).await.status, StatusCode::CREATED);

    // Behind a declared proxy: the forwarded host and scheme are the server's.
    let p = env(false, true);
    let proxied = [
        ("host", "127.0.0.1:8080"),
        ("x-forwarded-host", "carte.cpts.fr"),
        ("x-forwarded-proto", "https"),
    ];
    let (cookie, set_cookie) = login(&p.app, &p.editor, &proxied).await;
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    let mut h = proxied.to_vec();
    h.push(("origin", "http://carte.cpts.fr"));
    assert_french_error(&call(&p.app, cookie_write(&cookie, &h)).await, 403);
    h.pop();
    h.push(("origin", "https://carte.cpts.fr"));
    assert_eq!(
        call(&p.app, cookie_write(&cookie, &h)).await.status,
        StatusCode::CREATED
    );
}

#[cfg(unix)]
#[test]
fn the_partner_base_and_its_backups_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.sqlite");
    let store = Store::open(&base).unwrap();
    store.create_token("x", Role::Admin).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&base), 0o600);
    let wal = dir.path().join("base.sqlite-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    let copy = dir.path().join("copie.sqlite");
    store.backup_to(&copy).unwrap();
    assert_eq!(mode(&copy), 0o600);
}
