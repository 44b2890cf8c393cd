//! Geocoding against a local server imitating the BAN `/search/csv/` endpoint.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use maillage::geocode::ban::BanClient;
use maillage::geocode::cache::GeocodeCache;
use maillage::geocode::{apply_cache, apply_cache_file, geocode_missing, CACHE_FILE};
use maillage::model::Precision;

/// What the fake geocoder received.
#[derive(Default)]
struct Log {
    requests: usize,
    /// Every address line received (the `adresse` column).
    addresses: Vec<String>,
    /// Multipart text fields of the last request.
    fields: HashMap<String, String>,
}

/// A fake BAN: `housenumber` when the address starts with a digit, `street` otherwise, nothing
/// for an address containing `INCONNU`, and a match in another commune for `AILLEURS`.
fn start_ban() -> (String, Arc<Mutex<Log>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/search/csv/", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Log::default()));
    let l = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            handle(stream, &l);
        }
    });
    (url, log)
}

fn handle(stream: TcpStream, log: &Mutex<Log>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = HashMap::new();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap() == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers["content-length"].parse().unwrap();
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    let boundary = headers["content-type"]
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"')
        .to_string();
    let text = String::from_utf8(body).unwrap();
    let mut csv = String::new();
    let mut fields = HashMap::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        if name == "data" {
            csv = content.to_string();
        } else {
            fields.insert(name.to_string(), content.to_string());
        }
    }
    let mut out = String::new();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    out.push_str(header);
    out.push_str(";latitude;longitude;result_label;result_score;result_type;result_citycode\n");
    let cols: Vec<&str> = header.split(';').collect();
    let ai = cols.iter().position(|c| *c == "adresse").unwrap();
    let ci = cols.iter().position(|c| *c == "code_insee").unwrap();
    let mut l = log.lock().unwrap();
    l.requests += 1;
    for row in lines {
        let f: Vec<&str> = row.split(';').collect();
        let addr = f[ai];
        l.addresses.push(addr.to_string());
        let citycode = f[ci];
        let result = if addr.contains("INCONNU") {
            ";;;0.12;;".to_string()
        } else {
            let starts_digit = addr.starts_with(|c: char| c.is_ascii_digit());
            let kind = if starts_digit {
                "housenumber"
            } else {
                "street"
            };
            let code = if addr.contains("AILLEURS") {
                "31555"
            } else {
                citycode
            };
            // A position derived from the address, so that each address has its own.
            let h = addr
                .bytes()
                .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32));
            let lon = 2.10 + f64::from(h % 1000) / 100_000.0;
            format!("43.9{};{lon:.6};{addr} (BAN);0.91;{kind};{code}", h % 10)
        };
        out.push_str(row);
        out.push(';');
        out.push_str(&result);
        out.push('\n');
    }
    l.fields = fields;
    drop(l);
    let mut s = stream;
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{out}",
        out.len()
    );
}

const COMMUNES: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"81004","nom":"Albi"},"geometry":{"type":"Polygon","coordinates":[[[2.0,43.8],[2.3,43.8],[2.3,44.0],[2.0,44.0],[2.0,43.8]]]}},
{"type":"Feature","properties":{"code":"81065","nom":"Castres"},"geometry":{"type":"Polygon","coordinates":[[[2.17,43.55],[2.32,43.55],[2.32,43.66],[2.17,43.66],[2.17,43.55]]]}}
]}"#;

/// A data directory with the RPPS fixture (no coordinates) and commune outlines.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rpps = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpps/PS_LibreAcces_Personne_activite_extrait.txt");
    let mut text = std::fs::read_to_string(rpps).unwrap();
    // Two more sites: an unknown street, and a street the geocoder places in another commune.
    let first = text.lines().nth(1).unwrap().to_string();
    text.push_str(
        &first
            .replace("10100123456", "10100999993")
            .replace("|DU GENERAL DE GAULLE|", "|INCONNU|"),
    );
    text.push('\n');
    text.push_str(
        &first
            .replace("10100123456", "10100999994")
            .replace("|DU GENERAL DE GAULLE|", "|AILLEURS|"),
    );
    text.push('\n');
    // A colleague at the first site: same address.
    text.push_str(&first.replace("10100123456", "10100999995"));
    text.push('\n');
    std::fs::write(dir.path().join("rpps.txt"), text).unwrap();
    std::fs::write(dir.path().join("communes.geojson"), COMMUNES).unwrap();
    dir
}

#[test]
fn addresses_are_geocoded_once_and_actors_keep_their_precision() {
    let (url, log) = start_ban();
    let dir = data_dir();
    let mut ds = maillage::sources::load_dir(dir.path()).unwrap();
    assert!(ds
        .actors
        .iter()
        .all(|a| a.precision == Precision::Commune || a.position.is_none()));
    let located_before = ds.actors.iter().filter(|a| a.position.is_some()).count();

    let client = BanClient::new(&url).unwrap();
    let mut cache = GeocodeCache::open(&dir.path().join(CACHE_FILE)).unwrap();
    let s = geocode_missing(&ds, &mut cache, &client, 2).unwrap();
    assert!(s.offline.is_none());
    assert!(
        s.candidates > s.addresses,
        "shared addresses are asked once: {s:?}"
    );
    assert_eq!(s.asked, s.addresses);
    assert_eq!(s.from_cache, 0);
    assert_eq!(s.found_address + s.found_street + s.not_found, s.asked);
    assert_eq!(
        s.not_found, 2,
        "INCONNU (no match) and AILLEURS (other commune)"
    );
    {
        let l = log.lock().unwrap();
        assert_eq!(l.requests, s.asked.div_ceil(2), "batches of 2");
        let mut unique = l.addresses.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), l.addresses.len(), "no address sent twice");
        assert_eq!(l.fields.get("columns").map(String::as_str), Some("adresse"));
        assert_eq!(
            l.fields.get("citycode").map(String::as_str),
            Some("code_insee")
        );
        assert_eq!(
            l.fields.get("postcode").map(String::as_str),
            Some("code_postal")
        );
        assert!(
            l.addresses
                .iter()
                .any(|a| a == "12 B Avenue DU GENERAL DE GAULLE"),
            "{:?}",
            l.addresses
        );
    }

    let moved = apply_cache(&mut ds, &cache);
    assert_eq!(
        moved,
        ds.actors
            .iter()
            .filter(|a| matches!(a.precision, Precision::Address | Precision::Street))
            .count()
    );
    assert!(moved > 0);
    let find = |pp: &str| ds.actors.iter().find(|a| a.id.contains(pp)).unwrap();
    assert_eq!(
        find("10100999993").precision,
        Precision::Commune,
        "not found: stays at the centroid"
    );
    assert_eq!(
        find("10100999994").precision,
        Precision::Commune,
        "wrong commune refused"
    );
    assert_eq!(find("10100123456").precision, Precision::Address);
    assert!(
        ds.actors.iter().filter(|a| a.position.is_some()).count() > located_before,
        "the site known only by its postcode gains a position, nobody loses one"
    );

    // A second run asks nothing: the cache file knows every address.
    let mut cache2 = GeocodeCache::open(&dir.path().join(CACHE_FILE)).unwrap();
    let again = maillage::sources::load_dir(dir.path()).unwrap();
    let s2 = geocode_missing(&again, &mut cache2, &client, 2).unwrap();
    assert_eq!(s2.asked, 0);
    assert_eq!(s2.from_cache, s.addresses);
    assert_eq!(log.lock().unwrap().requests, s.asked.div_ceil(2));

    // Loading the directory with its cache file places the actors the same way.
    let mut ds3 = maillage::sources::load_dir(dir.path()).unwrap();
    let (moved3, bad) = apply_cache_file(&mut ds3, dir.path()).unwrap();
    assert_eq!((moved3, bad.len()), (moved, 0));
    // The cache file is not mistaken for a data file.
    assert_eq!(ds3.reports.len(), 2);
}

#[test]
fn offline_geocoder_leaves_actors_at_their_commune_with_a_french_note() {
    // Port 9 (discard) is closed on test machines; a port freed by another test could be
    // taken again by a concurrent test's server.
    let url = "http://127.0.0.1:9/search/csv/".to_string();
    let dir = data_dir();
    let ds = maillage::sources::load_dir(dir.path()).unwrap();
    let client = BanClient::new(&url).unwrap();
    let mut cache = GeocodeCache::open(&dir.path().join(CACHE_FILE)).unwrap();
    let s = geocode_missing(&ds, &mut cache, &client, 100).unwrap();
    let note = s.offline.unwrap();
    assert!(
        note.contains("injoignable") && note.contains("centre de leur commune"),
        "{note}"
    );
    assert!(note.contains(&url), "{note}");
    assert_eq!(s.asked, 0);
    assert!(
        cache.is_empty(),
        "failures are not cached: they are retried next time"
    );
    assert!(!dir.path().join(CACHE_FILE).exists());
}

#[test]
fn unreadable_cache_lines_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CACHE_FILE);
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{}", maillage::geocode::cache::HEADER).unwrap();
    writeln!(f, "a|81000|81004;2.1;43.9;adresse;0.9;A").unwrap();
    writeln!(f, "b|81000|81004;deux;43.9;adresse;0.9;B").unwrap();
    writeln!(f, "c|81000|81004;2.1;43.9;quartier;0.9;C").unwrap();
    drop(f);
    let c = GeocodeCache::open(&path).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c.bad_lines.len(), 2);
    assert_eq!(c.bad_lines[0].0, 3);
    assert!(c.bad_lines[0].1.contains("longitude"), "{:?}", c.bad_lines);
    assert!(c.bad_lines[1].1.contains("quartier"), "{:?}", c.bad_lines);
}
