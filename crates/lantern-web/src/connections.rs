//! How `lantern serve` takes and keeps HTTP connections, so that clients who
//! open connections and send nothing (or send slowly) cannot stop it
//! answering everyone else. It owns the accept loop; it knows nothing of
//! routes (those are `serve`'s).
//!
//! - **Timeouts.** A client has [`Limits::header_read`] to send a request's
//!   headers, and a kept-alive connection waits that long for its next
//!   request before it is closed (hyper's header-read timer runs while a
//!   connection waits for a request head). A connection is closed gracefully
//!   after [`Limits::lifetime`] however busy it is.
//! - **A cap on connections.** At most [`Limits::max_connections`] are
//!   served at once, lowered to fit the process's open-file limit. When the
//!   cap is reached the connection idle the longest (no request in
//!   progress, and the longest since it was opened or last answered) is
//!   closed to make room, as nginx reuses keep-alive connections under
//!   pressure: thousands of idle connections cost an ordinary client at
//!   most a reconnection, never an unanswered request. Only when every
//!   connection has a request in progress does a new one wait its turn.
//! - **Out of file descriptors.** When `accept` fails because the process
//!   (or the system) has no descriptor or memory to spare, the loop closes
//!   the longest-idle connection and backs off briefly; it neither spins nor
//!   stops.
//! - **Graceful shutdown.** When asked to stop, it stops accepting, lets
//!   each connection finish the request it is serving (idle ones close at
//!   once), and waits at most [`Limits::shutdown_grace`] for them.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tower_service::Service as _;

/// The limits a server keeps to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most connections served at once (before the open-file limit
    /// lowers it).
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long
    /// an idle kept-alive connection stays open.
    pub header_read: Duration,
    /// How long one connection stays open at most.
    pub lifetime: Duration,
    /// How long shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
    /// The largest request head (request line and headers), in bytes.
    pub max_head_bytes: usize,
    /// The most headers one request may have.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 512,
            header_read: Duration::from_secs(10),
            lifetime: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(30),
            max_head_bytes: 64 * 1024,
            max_headers: 64,
        }
    }
}

/// File descriptors kept back from connections: the listener, standard
/// streams, database connections (one per blocking thread), templates.
const RESERVED_DESCRIPTORS: u64 = 64;

/// The fewest connections a server takes, however low the file limit.
const MIN_CONNECTIONS: usize = 16;

/// How long the accept loop waits after running out of descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

impl Limits {
    /// The cap on connections under an open-file (soft) limit of `nofile`
    /// descriptors: every connection is one descriptor.
    pub fn connections_within(&self, nofile: u64) -> usize {
        let room =
            usize::try_from(nofile.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
        self.max_connections.min(room).max(MIN_CONNECTIONS)
    }
}

/// Connections the kernel holds, handshake done, until the accept loop
/// takes them (the standard library's default is 128, which a burst of
/// connections fills while idle ones are being closed).
const LISTEN_BACKLOG: u32 = 1024;

/// Listen on `address` with room for a burst of new connections.
pub fn listen(address: std::net::SocketAddr) -> io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As the standard library does: a restarted server can listen again at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// One open connection, as the accept loop sees it.
struct Open {
    /// Requests being answered on it now.
    in_flight: AtomicUsize,
    /// Set once it has been chosen to be closed.
    closing: AtomicBool,
    /// When it was opened or last finished a request (milliseconds since
    /// the registry was made).
    last_active: AtomicU64,
    /// Wakes its task to close it.
    close: Notify,
}

/// The open connections, oldest first.
struct Registry {
    open: Mutex<BTreeMap<u64, Arc<Open>>>,
    next: AtomicU64,
    started: Instant,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry {
            open: Mutex::default(),
            next: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl Registry {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn add(&self) -> (u64, Arc<Open>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let open = Arc::new(Open {
            in_flight: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            last_active: AtomicU64::new(self.now()),
            close: Notify::new(),
        });
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&open));
        (id, open)
    }

    fn remove(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// Close the connection idle the longest (no request in progress, and
    /// the longest since it was opened or last answered); false if every
    /// connection is busy.
    fn close_longest_idle(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let idle = open
            .values()
            .filter(|c| {
                c.in_flight.load(Ordering::Acquire) == 0 && !c.closing.load(Ordering::Acquire)
            })
            .min_by_key(|c| c.last_active.load(Ordering::Acquire));
        match idle {
            Some(c) => {
                c.closing.store(true, Ordering::Release);
                // Stored if its task is not waiting yet.
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Counts a request as in progress on its connection while it lives, and
/// marks the connection active when it ends.
struct Busy {
    open: Arc<Open>,
    registry: Arc<Registry>,
}

impl Busy {
    fn new(open: &Arc<Open>, registry: &Arc<Registry>) -> Busy {
        open.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy {
            open: Arc::clone(open),
            registry: Arc::clone(registry),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.open
            .last_active
            .store(self.registry.now(), Ordering::Release);
        self.open.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether an `accept` error means the process or system has run out of
/// something (descriptors, buffers, memory: back off), rather than that one
/// connection failed before it was accepted (go on at once).
fn out_of_resources(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// Serve `app` on `listener` within `limits` until `shutdown` resolves,
/// then finish gracefully. `nofile` is the process's open-file (soft)
/// limit, which lowers the cap on connections (said on standard error when
/// it does).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    nofile: u64,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let cap = limits.connections_within(nofile);
    if cap < limits.max_connections {
        eprintln!(
            "note: the open-file limit ({nofile}) allows {cap} connections at once \
             rather than {}; raise it (ulimit -n, or LimitNOFILE= in a systemd unit) to serve more",
            limits.max_connections
        );
    }
    let places = Arc::new(Semaphore::new(cap));
    let registry = Arc::new(Registry::default());
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut starved = false;
    loop {
        // A place for the next connection: a free one, or the place of the
        // connection idle the longest, closed for it.
        let place = match Arc::clone(&places).try_acquire_owned() {
            Ok(place) => place,
            Err(_) => {
                registry.close_longest_idle();
                tokio::select! {
                    place = Arc::clone(&places).acquire_owned() => match place {
                        Ok(place) => place,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok((stream, peer)) => {
                starved = false;
                (stream, peer)
            }
            Err(e) if out_of_resources(&e) => {
                if !starved {
                    eprintln!(
                        "warning: cannot accept a connection ({e}); closing idle connections"
                    );
                    starved = true;
                }
                registry.close_longest_idle();
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    () = &mut shutdown => break,
                }
            }
            // The client went away before it was accepted.
            Err(_) => continue,
        };
        let (id, open) = registry.add();
        let registry = Arc::clone(&registry);
        let app = app.clone();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            connection(stream, peer, app, &open, &registry, limits, stopping, place).await;
            registry.remove(id);
        });
    }
    // Stop accepting, then let every connection finish what it is doing.
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.shutdown_grace, places.acquire_many(all)).await;
    Ok(())
}

/// Serve one connection until the client closes it, a timeout or the
/// lifetime ends it, it is closed to make room, or the server stops.
#[allow(clippy::too_many_arguments)]
async fn connection(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    open: &Arc<Open>,
    registry: &Arc<Registry>,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
    _place: OwnedSemaphorePermit,
) {
    let for_requests = (Arc::clone(open), Arc::clone(registry));
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut app = app.clone();
        let busy = Busy::new(&for_requests.0, &for_requests.1);
        async move {
            let _busy = busy;
            let mut request = request.map(axum::body::Body::new);
            // The client's address, for what throttles by client (the
            // request form); never logged.
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            std::future::poll_fn(|cx| {
                <Router as tower_service::Service<Request>>::poll_ready(&mut app, cx)
            })
            .await?;
            let response: Result<Response, Infallible> = app.call(request).await;
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true)
        .max_buf_size(limits.max_head_bytes)
        .max_headers(limits.max_headers);
    let served = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let finish = tokio::select! {
        _ = served.as_mut() => false,
        // Closed to make room: dropped at once (it had nothing in progress).
        () = open.close.notified() => false,
        _ = stopping.wait_for(|stop| *stop) => true,
        () = tokio::time::sleep(limits.lifetime) => true,
    };
    if finish {
        served.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(limits.shutdown_grace, served).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_the_file_limit_and_never_falls_below_a_floor() {
        let limits = Limits::default();
        assert_eq!(limits.connections_within(1_048_576), 512);
        assert_eq!(limits.connections_within(1024), 512);
        assert_eq!(limits.connections_within(256), 192);
        assert_eq!(limits.connections_within(10), MIN_CONNECTIONS);
    }

    #[test]
    fn running_out_of_descriptors_is_told_apart_from_a_failed_handshake() {
        assert!(out_of_resources(&io::Error::from_raw_os_error(24)));
        assert!(out_of_resources(&io::Error::from_raw_os_error(23)));
        assert!(!out_of_resources(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
        assert!(!out_of_resources(&io::Error::from(
            io::ErrorKind::ConnectionAborted
        )));
    }

    #[test]
    fn the_longest_idle_connection_is_closed_first_and_busy_ones_never() {
        let registry = Arc::new(Registry::default());
        let (_, first) = registry.add();
        let (_, second) = registry.add();
        let (_, third) = registry.add();
        let (_, fourth) = registry.add();
        // The second has just answered a request: idle the shortest time.
        second.last_active.store(1_000, Ordering::Release);
        let busy = Busy::new(&first, &registry);
        let closed =
            || [&first, &second, &third, &fourth].map(|c| c.closing.load(Ordering::Acquire));
        assert!(registry.close_longest_idle());
        assert_eq!(closed(), [false, false, true, false]);
        assert!(registry.close_longest_idle());
        assert_eq!(closed(), [false, false, true, true]);
        assert!(registry.close_longest_idle());
        assert_eq!(closed(), [false, true, true, true]);
        assert!(!registry.close_longest_idle(), "only a busy one is left");
        drop(busy);
        assert!(registry.close_longest_idle());
    }
}
