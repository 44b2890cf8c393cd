//! HTTP downloads with a cache: conditional requests (ETag / Last-Modified), resumption of
//! truncated downloads (Range / If-Range), a progress bar, and French errors.
//!
//! Cache layout, in the cache directory: `<id>.bin` (the complete download), `<id>.part` (an
//! interrupted one) and `<id>.json` (validators and checksum, [`CacheMeta`]).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED,
    RANGE,
};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{write_atomic, FetchError};

/// How many times a truncated download is resumed before giving up.
const MAX_ATTEMPTS: usize = 4;

/// What the cache knows about one source's download.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheMeta {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Bytes of the complete download.
    pub size: u64,
    pub sha256: Option<String>,
    /// When the complete download finished (RFC 3339).
    pub date: Option<String>,
    /// Validators of the interrupted `.part` download, for `If-Range`.
    pub part_etag: Option<String>,
    pub part_last_modified: Option<String>,
}

/// How a download ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DownloadStatus {
    /// Downloaded in full.
    #[serde(rename = "telecharge")]
    Downloaded,
    /// Completed after one or more interruptions (HTTP Range).
    #[serde(rename = "repris")]
    Resumed,
    /// The server said the cached copy is current (304): nothing downloaded.
    #[serde(rename = "inchange")]
    Unchanged,
    /// The server could not be reached: the cached copy is used.
    #[serde(rename = "hors_ligne_cache")]
    OfflineCached,
}

impl DownloadStatus {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DownloadStatus::Downloaded => "téléchargé",
            DownloadStatus::Resumed => "téléchargé (repris après interruption)",
            DownloadStatus::Unchanged => "inchangé depuis le dernier téléchargement (cache)",
            DownloadStatus::OfflineCached => "serveur injoignable : copie en cache utilisée",
        }
    }
}

/// A complete file in the cache.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub path: PathBuf,
    pub meta: CacheMeta,
    pub status: DownloadStatus,
}

/// Downloads into a cache directory.
pub struct Downloader {
    client: Client,
    cache: PathBuf,
    progress: bool,
}

impl Downloader {
    /// A downloader caching in `cache` (created if needed); `progress` shows a progress bar on
    /// the terminal.
    pub fn new(cache: &Path, progress: bool) -> Result<Downloader, FetchError> {
        fs::create_dir_all(cache).map_err(|e| FetchError::io(cache, e))?;
        let client = Client::builder()
            .user_agent(concat!("maillage/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(None)
            .build()
            .map_err(|e| FetchError::Http {
                url: String::new(),
                detail: e.to_string(),
            })?;
        Ok(Downloader {
            client,
            cache: cache.to_path_buf(),
            progress,
        })
    }

    fn paths(&self, id: &str) -> (PathBuf, PathBuf, PathBuf) {
        (
            self.cache.join(format!("{id}.bin")),
            self.cache.join(format!("{id}.part")),
            self.cache.join(format!("{id}.json")),
        )
    }

    /// The cached metadata of a source, if any.
    pub fn cached_meta(&self, id: &str) -> Option<CacheMeta> {
        let (_, _, meta) = self.paths(id);
        let text = fs::read(meta).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Downloads `url` for source `id`, or confirms the cached copy is current.
    pub fn get(&self, id: &str, label: &str, url: &str) -> Result<Downloaded, FetchError> {
        let (bin, part, meta_path) = self.paths(id);
        let mut meta = self
            .cached_meta(id)
            .filter(|m| m.url == url)
            .unwrap_or_else(|| CacheMeta {
                url: url.to_string(),
                ..CacheMeta::default()
            });
        let have_complete = bin.is_file() && meta.sha256.is_some();
        let mut resumed = false;
        for attempt in 1..=MAX_ATTEMPTS {
            let part_len = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
            let validator = meta
                .part_etag
                .clone()
                .or_else(|| meta.part_last_modified.clone());
            let mut req = self.client.get(url);
            let resuming = part_len > 0 && validator.is_some();
            if resuming {
                req = req
                    .header(RANGE, format!("bytes={part_len}-"))
                    .header(IF_RANGE, validator.clone().unwrap_or_default());
            } else if have_complete {
                if let Some(e) = &meta.etag {
                    req = req.header(IF_NONE_MATCH, e);
                }
                if let Some(lm) = &meta.last_modified {
                    req = req.header(IF_MODIFIED_SINCE, lm);
                }
            }
            let resp = match req.send() {
                Ok(r) => r,
                Err(e) if have_complete && super::is_unreachable(&e) => {
                    tracing::warn!("{url} : injoignable, copie en cache utilisée ({e})");
                    return Ok(Downloaded {
                        path: bin,
                        meta,
                        status: DownloadStatus::OfflineCached,
                    });
                }
                Err(e) => return Err(FetchError::from_reqwest(url, &e)),
            };
            let status = resp.status();
            if status == StatusCode::NOT_MODIFIED && have_complete {
                return Ok(Downloaded {
                    path: bin,
                    meta,
                    status: DownloadStatus::Unchanged,
                });
            }
            let append = match status {
                StatusCode::PARTIAL_CONTENT if resuming => {
                    let start = content_range_start(&resp);
                    if start != Some(part_len) {
                        // Not the range we asked for: start again from scratch.
                        let _ = fs::remove_file(&part);
                        meta.part_etag = None;
                        meta.part_last_modified = None;
                        continue;
                    }
                    true
                }
                s if s.is_success() => false,
                s => {
                    return Err(FetchError::Status {
                        url: url.to_string(),
                        status: s.as_u16(),
                        reason: s.canonical_reason().unwrap_or("").to_string(),
                    })
                }
            };
            if !append {
                meta.part_etag = header(&resp, ETAG);
                meta.part_last_modified = header(&resp, LAST_MODIFIED);
                write_meta(&meta_path, &meta)?;
            }
            resumed |= append;
            let expected = header(&resp, CONTENT_LENGTH)
                .and_then(|v| v.parse::<u64>().ok())
                .map(|n| if append { n + part_len } else { n });
            match self.stream_to(resp, &part, append, expected, label) {
                Ok(total) if expected.is_none_or(|e| e == total) => {
                    let sha = sha256_file(&part)?;
                    fs::rename(&part, &bin)
                        .and_then(|()| crate::util::fs::sync_parent(&bin))
                        .map_err(|e| FetchError::io(&bin, e))?;
                    meta.etag = meta.part_etag.take();
                    meta.last_modified = meta.part_last_modified.take();
                    meta.size = total;
                    meta.sha256 = Some(sha);
                    meta.date = Some(crate::util::date::now());
                    write_meta(&meta_path, &meta)?;
                    return Ok(Downloaded {
                        path: bin,
                        meta,
                        status: if resumed {
                            DownloadStatus::Resumed
                        } else {
                            DownloadStatus::Downloaded
                        },
                    });
                }
                Ok(total) => tracing::warn!(
                    "{url} : téléchargement interrompu à {total} octets sur {} (essai {attempt})",
                    expected.unwrap_or(0)
                ),
                Err(StreamError::Read(e)) => {
                    tracing::warn!("{url} : téléchargement interrompu (essai {attempt}) : {e}")
                }
                Err(StreamError::Write(e)) => return Err(e),
            }
            write_meta(&meta_path, &meta)?;
        }
        let got = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        Err(FetchError::Truncated {
            url: url.to_string(),
            received: got,
            attempts: MAX_ATTEMPTS,
        })
    }

    fn stream_to(
        &self,
        mut resp: Response,
        part: &Path,
        append: bool,
        expected: Option<u64>,
        label: &str,
    ) -> Result<u64, StreamError> {
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(part)
            .map_err(|e| StreamError::Write(FetchError::io(part, e)))?;
        let mut total = if append {
            file.metadata().map(|m| m.len()).unwrap_or(0)
        } else {
            0
        };
        let bar = if self.progress {
            let bar = match expected {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::new_spinner(),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:30!} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, reste {eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(label.to_string());
            bar.set_position(total);
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    file.flush().ok();
                    bar.abandon();
                    return Err(StreamError::Read(e.to_string()));
                }
            };
            file.write_all(&buf[..n])
                .map_err(|e| StreamError::Write(FetchError::io(part, e)))?;
            total += n as u64;
            bar.set_position(total);
        }
        file.sync_all()
            .map_err(|e| StreamError::Write(FetchError::io(part, e)))?;
        bar.finish_and_clear();
        Ok(total)
    }
}

enum StreamError {
    /// The connection broke: the part is kept for a resumption.
    Read(String),
    /// The disk failed: give up.
    Write(FetchError),
}

fn header(resp: &Response, name: reqwest::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Start offset of a `Content-Range: bytes 100-199/200` header.
fn content_range_start(resp: &Response) -> Option<u64> {
    let v = header(resp, CONTENT_RANGE)?;
    let range = v.trim().strip_prefix("bytes")?.trim();
    range.split('-').next()?.trim().parse().ok()
}

fn write_meta(path: &Path, meta: &CacheMeta) -> Result<(), FetchError> {
    let json = serde_json::to_vec_pretty(meta).expect("meta serialises");
    write_atomic(path, &json)
}

/// Hex SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut f = File::open(path).map_err(|e| FetchError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| FetchError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
