//! `maillage fetch` against a local HTTP server that plays the portals: format-exact fixture
//! files, a truncated download, a 404, a changed file and an unchanged one.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use maillage::fetch::area::Area;
use maillage::fetch::config::SourcesConfig;
use maillage::fetch::{fetch, FetchError, FetchOptions};
use maillage::model::{KindTable, SourceId};

/// A served file.
#[derive(Clone)]
struct Resource {
    body: Vec<u8>,
    etag: String,
    /// Send only half the body (with the full Content-Length) this many times.
    truncate: usize,
    /// Honour `Range` requests.
    ranges: bool,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HashMap<String, String>,
    status: u16,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Resource>,
    seen: Vec<Seen>,
}

struct Server {
    base: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let st = Arc::clone(&st);
                        std::thread::spawn(move || handle(stream, &st));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            base,
            state,
            stop,
            thread: Some(thread),
        }
    }

    fn put(&self, path: &str, body: Vec<u8>, etag: &str) {
        self.state.lock().unwrap().files.insert(
            path.to_string(),
            Resource {
                body,
                etag: format!("\"{etag}\""),
                truncate: 0,
                ranges: true,
            },
        );
    }

    fn truncate_next(&self, path: &str, times: usize) {
        self.state
            .lock()
            .unwrap()
            .files
            .get_mut(path)
            .unwrap()
            .truncate = times;
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        let st = self.state.lock().unwrap();
        st.seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    fn count(&self, path: &str, status: u16) -> usize {
        self.seen(path)
            .iter()
            .filter(|s| s.status == status)
            .count()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn handle(stream: TcpStream, state: &Mutex<State>) {
    stream.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut out = stream;
    let (_status, head, body): (u16, String, Vec<u8>) = {
        let mut st = state.lock().unwrap();
        let res = st.files.get_mut(&path).map(|r| {
            let snapshot = r.clone();
            if r.truncate > 0 {
                r.truncate -= 1;
            }
            snapshot
        });
        let reply = match res {
            None => (
                404,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n".to_string(),
                b"not found".to_vec(),
            ),
            Some(r) if headers.get("if-none-match") == Some(&r.etag) => (
                304,
                format!("HTTP/1.1 304 Not Modified\r\nETag: {}\r\n", r.etag),
                Vec::new(),
            ),
            Some(r) => {
                let range_start = headers
                    .get("range")
                    .and_then(|v| v.strip_prefix("bytes="))
                    .and_then(|v| v.strip_suffix('-'))
                    .and_then(|v| v.parse::<usize>().ok())
                    .filter(|_| r.ranges && headers.get("if-range") == Some(&r.etag))
                    .filter(|&s| s < r.body.len());
                match range_start {
                    Some(s) => (
                        206,
                        format!(
                            "HTTP/1.1 206 Partial Content\r\nETag: {}\r\nContent-Range: bytes {s}-{}/{}\r\nContent-Length: {}\r\n",
                            r.etag,
                            r.body.len() - 1,
                            r.body.len(),
                            r.body.len() - s
                        ),
                        r.body[s..].to_vec(),
                    ),
                    None => {
                        let sent = if r.truncate > 0 {
                            r.body[..r.body.len() / 2].to_vec()
                        } else {
                            r.body.clone()
                        };
                        (
                            200,
                            format!(
                                "HTTP/1.1 200 OK\r\nETag: {}\r\nLast-Modified: Tue, 12 May 2026 08:00:00 GMT\r\nContent-Length: {}\r\n",
                                r.etag,
                                r.body.len()
                            ),
                            sent,
                        )
                    }
                }
            }
        };
        st.seen.push(Seen {
            path: path.clone(),
            headers: headers.clone(),
            status: reply.0,
        });
        reply
    };
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(b"Connection: close\r\n\r\n");
    let _ = out.write_all(&body);
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Both);
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

fn zip_of(name: &str, body: &[u8]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("LISEZMOI.txt", opts).unwrap();
        z.write_all(b"notice").unwrap();
        z.start_file(name, opts).unwrap();
        z.write_all(body).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn gzip_of(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).unwrap();
    e.finish().unwrap()
}

/// The RPPS fixture plus two Haute-Garonne lines (one by commune, one by postcode only).
fn rpps_body() -> Vec<u8> {
    let text =
        String::from_utf8(fixture("rpps/PS_LibreAcces_Personne_activite_extrait.txt")).unwrap();
    let line = text.lines().nth(1).unwrap().to_string();
    let toulouse = line
        .replace("10100123456", "10100999991")
        .replace("|81000|81004|", "|31000|31555|");
    let by_postcode = line
        .replace("10100123456", "10100999992")
        .replace("|81000|81004|", "|31000||");
    assert_ne!(toulouse, line, "fixture layout changed");
    format!("{text}{toulouse}\n{by_postcode}\n").into_bytes()
}

const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"81004","nom":"Albi"},"geometry":{"type":"Polygon","coordinates":[[[2.08,43.89],[2.2,43.89],[2.2,43.97],[2.08,43.97],[2.08,43.89]]]}},
{"type":"Feature","properties":{"code":"81065","nom":"Castres"},"geometry":{"type":"Polygon","coordinates":[[[2.17,43.55],[2.32,43.55],[2.32,43.66],[2.17,43.66],[2.17,43.55]]]}},
{"type":"Feature","properties":{"code":"31555","nom":"Toulouse"},"geometry":{"type":"Polygon","coordinates":[[[1.35,43.53],[1.5,43.53],[1.5,43.67],[1.35,43.67],[1.35,43.53]]]}}
]}"#;

const COMMUNES_JSON: &str = r#"[
{"code":"81004","nom":"Albi","type":"commune-actuelle","departement":"81","region":"76","codesPostaux":["81000"],"population":49236},
{"code":"81065","nom":"Castres","type":"commune-actuelle","departement":"81","region":"76","codesPostaux":["81100"],"population":41824},
{"code":"31555","nom":"Toulouse","type":"commune-actuelle","departement":"31","region":"76","codesPostaux":["31000"],"population":504078}
]"#;

fn serve_all(server: &Server) {
    server.put(
        "/finess.csv",
        fixture("finess/etalab-cs1100507-2026-utf8.csv"),
        "f1",
    );
    server.put(
        "/rpps.zip",
        zip_of(
            "PS_LibreAcces_Personne_activite_202605120800.txt",
            &rpps_body(),
        ),
        "r1",
    );
    server.put(
        "/bpe-xy.csv",
        fixture("bpe/bpe18_ensemble_xy_extrait.csv"),
        "b1",
    );
    server.put(
        "/ds_bpe.zip",
        zip_of(
            "DS_BPE_2023_data.csv",
            &fixture("bpe/DS_BPE_data_extrait.csv"),
        ),
        "d1",
    );
    server.put("/communes.geojson.gz", gzip_of(GEOJSON.as_bytes()), "g1");
    server.put("/communes.json", COMMUNES_JSON.as_bytes().to_vec(), "p1");
}

fn config(server: &Server) -> SourcesConfig {
    let text = format!(
        r#"
[[source]]
id = "finess"
nom = "FINESS"
url = "{finess}"
format = "finess"
fichier = "finess.csv"

[[source]]
id = "rpps"
nom = "RPPS"
url = "{rpps}"
format = "rpps"
archive = "zip"
membre = "PS_LibreAcces_Personne_activite*.txt"
fichier = "rpps.txt"

[[source]]
id = "bpe-xy"
nom = "BPE points"
url = "{bpe}"
format = "bpe"
fichier = "bpe-xy.csv"

[[source]]
id = "bpe-ensemble"
nom = "BPE effectifs"
url = "{ds}"
format = "bpe"
archive = "zip"
membre = "DS_BPE_*_data.csv"
fichier = "bpe-effectifs.csv"

[[source]]
id = "contours"
nom = "Contours"
url = "{geo}"
format = "communes-geojson"
archive = "gzip"
fichier = "communes.geojson"

[[source]]
id = "populations"
nom = "Populations"
url = "{pop}"
format = "communes-json"
fichier = "communes.json"
"#,
        finess = server.url("/finess.csv"),
        rpps = server.url("/rpps.zip"),
        bpe = server.url("/bpe-xy.csv"),
        ds = server.url("/ds_bpe.zip"),
        geo = server.url("/communes.geojson.gz"),
        pop = server.url("/communes.json"),
    );
    SourcesConfig::parse(&text, "test.toml").unwrap()
}

fn options(server: &Server, dir: &Path) -> FetchOptions {
    FetchOptions {
        area: Area::new(&["81".into()], &[], false).unwrap(),
        dir: dir.to_path_buf(),
        config: config(server),
        progress: false,
    }
}

fn run(opts: &FetchOptions) -> Result<maillage::fetch::manifest::Manifest, FetchError> {
    let mut log = Vec::new();
    let r = fetch(opts, &mut log);
    eprintln!("{}", String::from_utf8_lossy(&log));
    r
}

#[test]
fn fetch_cuts_every_source_and_the_directory_loads() {
    let server = Server::start();
    serve_all(&server);
    let dir = tempfile::tempdir().unwrap();
    let manifest = run(&options(&server, dir.path())).unwrap();
    assert_eq!(manifest.fichiers.len(), 6);

    // FINESS: cutting then parsing gives exactly the Tarn establishments of parsing the whole.
    let mut kinds = KindTable::builtin();
    let (full, _) = maillage::sources::finess::read(
        &fixture("finess/etalab-cs1100507-2026-utf8.csv"),
        "full",
        SourceId(0),
        &mut kinds,
    )
    .unwrap();
    let mut expected: Vec<String> = full
        .actors
        .iter()
        .filter(|a| a.commune.is_some_and(|c| c.as_str().starts_with("81")))
        .map(|a| a.id.clone())
        .collect();
    expected.sort();
    let cut = std::fs::read(dir.path().join("finess.csv")).unwrap();
    let (got, report) =
        maillage::sources::finess::read(&cut, "cut", SourceId(0), &mut kinds).unwrap();
    let mut got_ids: Vec<String> = got.actors.iter().map(|a| a.id.clone()).collect();
    got_ids.sort();
    assert!(!expected.is_empty());
    assert_eq!(got_ids, expected);
    assert_eq!(
        report.source_date.as_deref(),
        Some("2026-05-12"),
        "manifest line kept"
    );
    // The Tarn establishments keep their geolocation rows.
    let located_full = full
        .actors
        .iter()
        .filter(|a| expected.contains(&a.id) && a.position.is_some())
        .count();
    assert_eq!(
        got.actors.iter().filter(|a| a.position.is_some()).count(),
        located_full
    );

    let entry = |id: &str| manifest.fichiers.iter().find(|e| e.id == id).unwrap();
    let finess_entry = entry("finess");
    assert_eq!(finess_entry.statut, "telecharge");
    assert_eq!(finess_entry.etag.as_deref(), Some("\"f1\""));
    assert_eq!(finess_entry.departements, ["81"]);
    assert_eq!(
        finess_entry.taille,
        fixture("finess/etalab-cs1100507-2026-utf8.csv").len() as u64
    );
    assert_eq!(
        finess_entry.sha256_fichier,
        maillage::fetch::download::sha256_file(&dir.path().join("finess.csv")).unwrap()
    );

    // RPPS: the two Haute-Garonne lines are gone, the header and the Tarn lines stay.
    let rpps = std::fs::read_to_string(dir.path().join("rpps.txt")).unwrap();
    assert!(!rpps.contains("10100999991") && !rpps.contains("10100999992"));
    assert!(rpps.starts_with("Type d'identifiant PP|"));
    let rpps_entry = entry("rpps");
    assert_eq!(
        (rpps_entry.lignes_lues, rpps_entry.lignes),
        (12, 9),
        "the line without site is dropped"
    );

    // BPE: the La Réunion point and the Corsican count are gone.
    let xy = std::fs::read(dir.path().join("bpe-xy.csv")).unwrap();
    assert!(!String::from_utf8_lossy(&xy).contains("97411"));
    let ds = std::fs::read_to_string(dir.path().join("bpe-effectifs.csv")).unwrap();
    assert!(!ds.contains("2A004") && ds.contains("81065"));
    assert!(
        !ds.contains("\"81\";\"DEP\""),
        "département totals are not commune rows"
    );

    // Communes: Toulouse is gone from both files.
    let geo = std::fs::read_to_string(dir.path().join("communes.geojson")).unwrap();
    assert!(geo.contains("Castres") && !geo.contains("Toulouse"));
    assert_eq!(entry("contours").lignes, 2);
    assert_eq!(entry("populations").lignes, 2);

    // The directory loads as `maillage serve --data` loads it.
    let ds = maillage::sources::load_dir(dir.path()).unwrap();
    assert_eq!(ds.communes.len(), 2);
    assert!(ds.communes.iter().all(|c| c.population.is_some()));
    assert!(ds
        .actors
        .iter()
        .all(|a| a.commune.is_none_or(|c| c.as_str().starts_with("81"))));
    assert!(ds
        .reports
        .iter()
        .all(|r| !r.file.ends_with("manifest.json")));

    let written = maillage::fetch::read_manifest(dir.path()).unwrap();
    assert_eq!(written, manifest);
}

#[test]
fn unchanged_file_is_not_downloaded_again() {
    let server = Server::start();
    serve_all(&server);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&server, dir.path());
    let first = run(&opts).unwrap();
    let second = run(&opts).unwrap();
    for path in ["/finess.csv", "/rpps.zip", "/communes.geojson.gz"] {
        assert_eq!(server.count(path, 200), 1, "{path}: one full download");
        assert_eq!(server.count(path, 304), 1, "{path}: then a 304");
    }
    let last = server.seen("/finess.csv").pop().unwrap();
    assert_eq!(
        last.headers.get("if-none-match").map(String::as_str),
        Some("\"f1\"")
    );
    assert!(last.headers.contains_key("if-modified-since"));
    assert!(second.fichiers.iter().all(|e| e.statut == "inchange"));
    for (a, b) in first.fichiers.iter().zip(&second.fichiers) {
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.lignes, b.lignes);
        assert_eq!(a.date_telechargement, b.date_telechargement);
    }
}

#[test]
fn changed_file_is_downloaded_again() {
    let server = Server::start();
    serve_all(&server);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&server, dir.path());
    let first = run(&opts).unwrap();
    // A new edition: one more Tarn commune, new ETag.
    let new = COMMUNES_JSON.replace(
        "\n]",
        ",\n{\"code\":\"81060\",\"nom\":\"Carmaux\",\"type\":\"commune-actuelle\",\"codesPostaux\":[\"81400\"],\"population\":9500}\n]",
    );
    server.put("/communes.json", new.into_bytes(), "p2");
    let second = run(&opts).unwrap();
    assert_eq!(server.count("/communes.json", 200), 2);
    assert_eq!(server.count("/finess.csv", 304), 1);
    let e1 = first
        .fichiers
        .iter()
        .find(|e| e.id == "populations")
        .unwrap();
    let e2 = second
        .fichiers
        .iter()
        .find(|e| e.id == "populations")
        .unwrap();
    assert_eq!(e2.statut, "telecharge");
    assert_ne!(e1.sha256, e2.sha256);
    assert_eq!((e1.lignes, e2.lignes), (2, 3));
    assert_eq!(e2.etag.as_deref(), Some("\"p2\""));
    let text = std::fs::read_to_string(dir.path().join("communes.json")).unwrap();
    assert!(text.contains("Carmaux"));
}

#[test]
fn truncated_download_resumes_with_range() {
    let server = Server::start();
    serve_all(&server);
    server.truncate_next("/finess.csv", 1);
    let dir = tempfile::tempdir().unwrap();
    let manifest = run(&options(&server, dir.path())).unwrap();
    let seen = server.seen("/finess.csv");
    assert_eq!(seen.len(), 2, "{seen:?}");
    let full_len = fixture("finess/etalab-cs1100507-2026-utf8.csv").len();
    assert_eq!(
        seen[1].headers.get("range").map(String::as_str),
        Some(format!("bytes={}-", full_len / 2).as_str())
    );
    assert_eq!(
        seen[1].headers.get("if-range").map(String::as_str),
        Some("\"f1\"")
    );
    assert_eq!(seen[1].status, 206);
    let e = manifest.fichiers.iter().find(|e| e.id == "finess").unwrap();
    assert_eq!(e.statut, "repris");
    let cached = std::fs::read(dir.path().join(".telechargements/finess.bin")).unwrap();
    assert_eq!(cached, fixture("finess/etalab-cs1100507-2026-utf8.csv"));
}

#[test]
fn download_truncated_every_time_fails_clearly() {
    let server = Server::start();
    serve_all(&server);
    server.truncate_next("/communes.json", 100);
    // The server ignores Range for this test: every answer is a truncated 200.
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.config.sources.retain(|s| s.id == "populations");
    {
        let mut st = server.state.lock().unwrap();
        st.files.get_mut("/communes.json").unwrap().ranges = false;
    }
    let e = run(&opts).unwrap_err().to_string();
    assert!(e.contains(&server.url("/communes.json")), "{e}");
    assert!(e.contains("interrompu"), "{e}");
    assert!(
        !dir.path().join("communes.json").exists(),
        "no half file written"
    );
}

#[test]
fn not_found_names_the_url_in_french() {
    let server = Server::start();
    serve_all(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&server, dir.path());
    opts.config.sources[0].url = server.url("/disparu.csv");
    let e = run(&opts).unwrap_err().to_string();
    assert!(e.contains(&server.url("/disparu.csv")), "{e}");
    assert!(e.contains("404"), "{e}");
    assert!(e.contains("configuration des sources"), "{e}");
}

#[test]
fn offline_fails_in_french_and_uses_the_cache_when_there_is_one() {
    let mut server = Server::start();
    serve_all(&server);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&server, dir.path());
    run(&opts).unwrap();
    server.stop();
    // Cached: the fetch still works, and says so.
    let m = run(&opts).unwrap();
    assert!(m.fichiers.iter().all(|e| e.statut == "hors_ligne_cache"));
    // Nothing cached: a clear French error naming the URL.
    let empty = tempfile::tempdir().unwrap();
    let e = run(&options(&server, empty.path()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("injoignable") && e.contains("hors ligne"), "{e}");
    assert!(e.contains(&server.url("/finess.csv")), "{e}");
}

#[test]
fn zip_without_the_expected_member_lists_what_it_has() {
    let server = Server::start();
    serve_all(&server);
    server.put("/rpps.zip", zip_of("autre.txt", b"x"), "r9");
    let dir = tempfile::tempdir().unwrap();
    let e = run(&options(&server, dir.path())).unwrap_err().to_string();
    assert!(e.contains("PS_LibreAcces_Personne_activite*.txt"), "{e}");
    assert!(e.contains("autre.txt"), "{e}");
}

/// `telecharger --osm --departement 81` / `--region 76`: the Geofabrik extracts of the former
/// régions, through the same cache, resume and manifest.
#[test]
fn osm_extracts_are_fetched_with_cache_resume_and_manifest() {
    use maillage::fetch::osm::{fetch_osm, OsmConfig};
    let server = Server::start();
    let pbf_mp: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let pbf_lr: Vec<u8> = (0..30_000u32).flat_map(|i| (i * 7).to_le_bytes()).collect();
    server.put("/midi-pyrenees-latest.osm.pbf", pbf_mp.clone(), "mp1");
    server.put(
        "/languedoc-roussillon-latest.osm.pbf",
        pbf_lr.clone(),
        "lr1",
    );
    server.truncate_next("/midi-pyrenees-latest.osm.pbf", 1);
    let cfg = SourcesConfig::parse(
        &format!(
            "[osm]\nnom = \"OpenStreetMap\"\nurl = \"{}/{{extrait}}-latest.osm.pbf\"\n",
            server.base
        ),
        "test.toml",
    )
    .unwrap();
    let osm: OsmConfig = cfg.osm.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut log = Vec::new();

    // Département 81: midi-pyrenees only, resumed after a truncated first answer.
    let area = Area::new(&["81".into()], &[], false).unwrap();
    let files = fetch_osm(&osm, &area, dir.path(), false, &mut log).unwrap();
    assert_eq!(files, vec![dir.path().join("osm/midi-pyrenees.osm.pbf")]);
    assert_eq!(std::fs::read(&files[0]).unwrap(), pbf_mp);
    let seen = server.seen("/midi-pyrenees-latest.osm.pbf");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1].status, 206);
    let m = maillage::fetch::read_manifest(dir.path()).unwrap();
    let e = m
        .fichiers
        .iter()
        .find(|e| e.id == "osm-midi-pyrenees")
        .unwrap();
    assert_eq!(e.statut, "repris");
    assert_eq!(e.fichier, "osm/midi-pyrenees.osm.pbf");
    assert_eq!(e.taille, pbf_mp.len() as u64);

    // Région 76 (Occitanie): both former régions; midi-pyrenees is unchanged (304).
    let area = Area::new(&[], &["76".into()], false).unwrap();
    let files = fetch_osm(&osm, &area, dir.path(), false, &mut log).unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(std::fs::read(&files[0]).unwrap(), pbf_lr);
    assert_eq!(server.count("/midi-pyrenees-latest.osm.pbf", 304), 1);
    let m = maillage::fetch::read_manifest(dir.path()).unwrap();
    let ids: Vec<&str> = m.fichiers.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["osm-languedoc-roussillon", "osm-midi-pyrenees"]);
    assert_eq!(m.fichiers[1].statut, "inchange");
    let text = String::from_utf8(log).unwrap();
    assert!(text.contains("languedoc-roussillon"), "{text}");
}
