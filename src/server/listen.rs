//! The accept loop of `maillage servir`: HTTP/1.1 connections served by hyper with
//! a header-read timeout, an idle timeout and a cap on open connections, so that slow or
//! silent clients cannot stall the server.
//!
//! - A connection must send its request headers within [`ConnLimits::header_read_timeout`]
//!   (hyper's timer) and may stay open without a request in progress for at most
//!   [`ConnLimits::idle_timeout`] (swept every second, from the moment it is accepted: a client
//!   that never sends a byte is closed too).
//! - At most [`ConnLimits::max_connections`] are open, kept below the file-descriptor limit
//!   (whose soft value [`raise_fd_limit`] raises to the hard one at start-up). When the cap is
//!   reached, the connection idle the longest (no request in progress: a slow-header client,
//!   an idle keep-alive) is closed to make room, and a line is logged (at most every 10 s).
//!   When every connection is busy, the new one is closed.
//! - The few errors hyper answers itself, before any route sees the request (a malformed
//!   request line, an address or headers too long: 400, 414, 431, with an empty body), are
//!   rewritten on their way out as the same French JSON errors as the API's ([`FrenchErrors`]).
//! - Ctrl-C stops accepting, lets requests in progress finish (10 s at most), then returns.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

/// Timeouts and the cap on open connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLimits {
    /// Time allowed to send a request's headers.
    pub header_read_timeout: Duration,
    /// Time a connection may stay open with no request in progress.
    pub idle_timeout: Duration,
    /// Open connections at most (lowered below the file-descriptor limit at start-up).
    pub max_connections: usize,
}

impl Default for ConnLimits {
    fn default() -> ConnLimits {
        ConnLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// Raises the soft limit on open files to the hard limit; the soft limit now in force
/// (`None` where it cannot be read).
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit only read and write the struct we own.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
        Some(lim.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The cap actually applied: the configured one, kept a quarter of the file-descriptor
/// limit (at most 256) below it, for the base, the data files and the logs.
///
/// ```
/// use maillage::server::listen::effective_cap;
/// assert_eq!(effective_cap(10_000, Some(1024)), 768);
/// assert_eq!(effective_cap(10_000, Some(1_048_576)), 10_000);
/// assert_eq!(effective_cap(500, None), 500);
/// ```
pub fn effective_cap(configured: usize, fd_limit: Option<u64>) -> usize {
    match fd_limit {
        Some(n) => {
            let reserve = (n / 4).min(256);
            configured.min(n.saturating_sub(reserve).max(8) as usize)
        }
        None => configured,
    }
}

/// One open connection.
struct Conn {
    /// Requests in progress (until their response body is sent).
    active: AtomicUsize,
    /// Last activity, in milliseconds since the registry's epoch.
    last: AtomicU64,
    /// Closes the connection at once (evicted or idle too long).
    close: Notify,
}

/// The open connections.
struct Registry {
    epoch: Instant,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    /// Last warning about the cap, and evictions since.
    warned: Mutex<(Option<Instant>, u64)>,
}

impl Registry {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Removes the connection idle the longest and closes it; `false` when all are busy.
    fn evict_oldest_idle(&self) -> bool {
        let mut map = self.map();
        let victim = map
            .iter()
            .filter(|(_, c)| c.active.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, c)| c.last.load(Ordering::Acquire))
            .map(|(id, _)| *id);
        match victim.and_then(|id| map.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Closes connections idle longer than `idle`.
    fn sweep(&self, idle: Duration) {
        let now = self.now();
        let idle = idle.as_millis() as u64;
        self.map().retain(|_, c| {
            let stale = c.active.load(Ordering::Acquire) == 0
                && now.saturating_sub(c.last.load(Ordering::Acquire)) > idle;
            if stale {
                c.close.notify_one();
            }
            !stale
        });
    }

    /// Logs that the cap was reached, at most every 10 s.
    fn warn_cap(&self, cap: usize, evicted: bool) {
        let mut w = self.warned.lock().unwrap_or_else(|p| p.into_inner());
        w.1 += 1;
        if w.0.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            let what = if evicted {
                "les connexions inactives les plus anciennes sont fermées pour faire place"
            } else {
                "toutes sont occupées : les nouvelles connexions sont refusées"
            };
            tracing::warn!(
                "limite de {cap} connexions ouvertes atteinte ({} fois depuis le dernier message) : {what}",
                w.1
            );
            *w = (Some(Instant::now()), 0);
        }
    }
}

/// A request in progress on a connection (until its response body is dropped).
struct Active {
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl Active {
    fn new(conn: &Arc<Conn>, registry: &Arc<Registry>) -> Active {
        conn.active.fetch_add(1, Ordering::AcqRel);
        Active {
            conn: Arc::clone(conn),
            registry: Arc::clone(registry),
        }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.conn.last.store(self.registry.now(), Ordering::Release);
        self.conn.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in progress until it is sent.
struct Tracked {
    inner: Body,
    _active: Active,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let cap = effective_cap(limits.max_connections, raise_fd_limit()).max(1);
    tracing::info!(
        "au plus {cap} connexions ouvertes ; en-têtes attendus {} s, connexion inactive fermée après {} s",
        limits.header_read_timeout.as_secs(),
        limits.idle_timeout.as_secs()
    );
    let registry = Arc::new(Registry {
        epoch: Instant::now(),
        conns: Mutex::new(HashMap::new()),
        warned: Mutex::new((None, 0)),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let sweeper = {
        let registry = Arc::clone(&registry);
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1).min(idle));
            loop {
                tick.tick().await;
                registry.sweep(idle);
            }
        })
    };
    let mut next_id = 0u64;
    let mut last_accept_error: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors (or another transient error): wait a little.
                    if last_accept_error.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
                        tracing::warn!("connexion refusée : {e}");
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        if registry.map().len() >= cap {
            let evicted = registry.evict_oldest_idle();
            registry.warn_cap(cap, evicted);
            if !evicted {
                drop(stream);
                continue;
            }
        }
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let conn = Arc::new(Conn {
            active: AtomicUsize::new(0),
            last: AtomicU64::new(registry.now()),
            close: Notify::new(),
        });
        registry.map().insert(id, Arc::clone(&conn));
        tokio::spawn(serve_connection(
            stream,
            peer,
            id,
            conn,
            Arc::clone(&registry),
            app.clone(),
            limits.header_read_timeout,
            stop_rx.clone(),
        ));
    }
    let _ = stop_tx.send(true);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !registry.map().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sweeper.abort();
}

#[allow(clippy::too_many_arguments)]
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    id: u64,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    app: Router,
    header_read_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let svc = {
        let conn = Arc::clone(&conn);
        let registry = Arc::clone(&registry);
        hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let active = Active::new(&conn, &registry);
            req.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let resp = app.oneshot(req).await?;
                Ok::<_, std::convert::Infallible>(resp.map(|inner| Tracked {
                    inner,
                    _active: active,
                }))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(FrenchErrors(TokioIo::new(stream)), svc);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = conn.close.notified() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(10), connection.as_mut()).await;
        }
    }
    registry.map().remove(&id);
}

/// The connection's transport, which rewrites the empty-bodied error responses hyper writes
/// itself on a request it cannot parse (status line and headers only, no `Content-Type`:
/// 400, 414, 431) into French JSON errors. Such a response is the last on its connection.
pub struct FrenchErrors<T>(pub T);

/// The French JSON response replacing a head-only error response written by hyper, if `buf`
/// is one.
///
/// ```
/// use maillage::server::listen::french_error_head;
/// let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
/// let out = String::from_utf8(french_error_head(head).unwrap()).unwrap();
/// assert!(out.starts_with("HTTP/1.1 431 "));
/// assert!(out.contains("content-type: application/json"));
/// assert!(out.contains("en-têtes trop volumineux"));
/// assert!(french_error_head(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
/// ```
pub fn french_error_head(buf: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(buf).ok()?;
    let rest = text.strip_prefix("HTTP/1.1 ")?;
    let code: u16 = rest.get(..3)?.parse().ok()?;
    if !matches!(code, 400 | 414 | 431) || !text.ends_with("\r\n\r\n") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("\r\ncontent-type:") || !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let reason = rest.get(4..)?.split("\r\n").next().unwrap_or("");
    let body = serde_json::to_string(&super::error::for_status(code, "", "")).ok()?;
    Some(
        format!(
            "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for FrenchErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for FrenchErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match french_error_head(buf) {
            // Small enough to go in one write on a fresh socket buffer; a short write closes
            // the connection as hyper would have.
            Some(french) => match Pin::new(&mut self.0).poll_write(cx, &french) {
                Poll::Ready(Ok(_)) => Poll::Ready(Ok(buf.len())),
                other => other,
            },
            None => Pin::new(&mut self.0).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
