//! A pool of store connections for long-running processes (`lantern
//! serve`): at most [`PoolOptions::max_size`] open connections to one
//! database, handed out one request at a time and taken back afterwards,
//! on either engine.
//!
//! The pool is [`r2d2`] with a connection manager of our own
//! ([`StoreManager`]) whose connections are whole stores, opened as
//! [`open_with`](crate::open_with) opens one for every other command
//! (engine picked from the location, schema checked or migrated; the same
//! errors). So a pooled connection is a [`Store`] like any other, and the
//! pool works the same for an SQLite file and a PostgreSQL database. The
//! per-engine adapters (`r2d2_sqlite`, `r2d2_postgres`) are not used: each
//! pins its own version of its driver, and `r2d2_sqlite`'s `rusqlite` would
//! have to match ours exactly, since two versions of `rusqlite` cannot link
//! SQLite into one binary; and they would hand out bare driver connections,
//! not stores.
//!
//! r2d2 moves connections between threads, so they must be `Send`. Both
//! engines' stores are, but `open_with` returns a `Box<dyn Store>`, which
//! does not say so (the [`Store`] trait does not require `Send`); so
//! [`open`] calls the same engine functions `open_with` dispatches to and
//! keeps their stores as `Box<dyn Store + Send>`.
//!
//! - A connection is checked before it is handed out (`is_valid`: one
//!   small read), so one the database dropped (a PostgreSQL restart) is
//!   replaced rather than failing a request.
//! - A caller whose read failed gives the connection back with
//!   [`PooledStore::discard`]; the pool closes it (`has_broken`) instead of
//!   reusing it, and the next request opens a fresh one.
//! - Connections are opened when needed and closed after
//!   [`IDLE_TIMEOUT`] unused; none is kept open in advance.
//! - A caller waits at most [`PoolOptions::connection_timeout`] for a
//!   connection; then it gets [`StoreError::PoolTimeout`] (a web front end
//!   answers 503), naming the last failure to connect, if any.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Store, StoreError};

/// The most connections a pool holds unless told otherwise.
pub const DEFAULT_MAX_SIZE: u32 = 8;

/// How long a caller waits for a connection unless told otherwise.
pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a connection may stay unused before the pool closes it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// How a pool is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// The most connections open at once (at least 1).
    pub max_size: u32,
    /// How long [`StorePool::get`] waits for a connection to come free (or
    /// to be opened) before it gives up with [`StoreError::PoolTimeout`].
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: DEFAULT_MAX_SIZE,
            connection_timeout: DEFAULT_CONNECTION_TIMEOUT,
        }
    }
}

/// The last failure to open a connection, cleared by the next success.
type LastError = Arc<Mutex<Option<String>>>;

/// Opens, checks and retires the pool's connections (r2d2's
/// `ManageConnection`): each connection is a store opened with [`open`].
#[derive(Debug)]
pub struct StoreManager {
    location: String,
    migrate: bool,
    last_error: LastError,
}

/// One pooled connection: a store, and whether its user found it broken.
pub struct Connection {
    store: Box<dyn Store + Send>,
    broken: bool,
}

/// Open the store at `location` as [`open_with`](crate::open_with) does
/// (the same engine functions, the same errors), as a store that can move
/// between threads.
pub fn open(location: &str, migrate: bool) -> Result<Box<dyn Store + Send>, StoreError> {
    if crate::is_postgres(location) {
        Ok(Box::new(crate::postgres::open(location, migrate)?))
    } else {
        Ok(Box::new(crate::sqlite::open(Path::new(location), migrate)?))
    }
}

impl r2d2::ManageConnection for StoreManager {
    type Connection = Connection;
    type Error = StoreError;

    fn connect(&self) -> Result<Connection, StoreError> {
        let opened = open(&self.location, self.migrate);
        let mut last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
        match opened {
            Ok(store) => {
                *last = None;
                Ok(Connection {
                    store,
                    broken: false,
                })
            }
            Err(e) => {
                *last = Some(e.to_string());
                Err(e)
            }
        }
    }

    /// One small read: the data version.
    fn is_valid(&self, conn: &mut Connection) -> Result<(), StoreError> {
        conn.store.data_version().map(|_| ())
    }

    /// Whether the connection's user gave it back as broken
    /// ([`PooledStore::discard`]); no I/O.
    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.broken
    }
}

/// A pool of connections to one database.
pub struct StorePool {
    pool: r2d2::Pool<StoreManager>,
    last_error: LastError,
}

/// How many connections a pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Open connections, in use or idle.
    pub open: u32,
    /// Open connections waiting to be used.
    pub idle: u32,
}

impl StorePool {
    /// A pool for the database at `location` (a `postgres://` URL or an
    /// SQLite file path), opened as [`open_with`](crate::open_with) does
    /// with `migrate`. The database is opened once now, so that one which
    /// cannot be opened is refused here with the reason
    /// ([`StoreError::Missing`], [`StoreError::OlderSchema`], …), not
    /// with a timeout at the first request.
    pub fn open(
        location: &str,
        migrate: bool,
        options: &PoolOptions,
    ) -> Result<StorePool, StoreError> {
        let last_error = LastError::default();
        let manager = StoreManager {
            location: location.to_string(),
            migrate,
            last_error: Arc::clone(&last_error),
        };
        drop(r2d2::ManageConnection::connect(&manager)?);
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size.max(1))
            .min_idle(Some(0))
            .idle_timeout(Some(IDLE_TIMEOUT))
            .connection_timeout(options.connection_timeout)
            .test_on_check_out(true)
            // Failures are kept for the timeout's message (`last_error`),
            // not logged.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        Ok(StorePool { pool, last_error })
    }

    /// A connection, waiting up to the pool's connection timeout for one
    /// to come free or be opened; [`StoreError::PoolTimeout`] after that.
    pub fn get(&self) -> Result<PooledStore, StoreError> {
        let start = Instant::now();
        match self.pool.get() {
            Ok(conn) => Ok(PooledStore(conn)),
            Err(_) => Err(StoreError::PoolTimeout {
                waited_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                connections: self.pool.max_size(),
                cause: self
                    .last_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone(),
            }),
        }
    }

    /// An idle connection now, if one is (checked as [`StorePool::get`]
    /// checks it), without waiting and without opening one: `None` when
    /// every open connection is in use. For a caller that may already hold
    /// a connection of this pool (a use case opening the store again inside
    /// another), so that it never waits for itself; it opens its own instead.
    pub fn try_get(&self) -> Option<PooledStore> {
        self.pool.try_get().map(PooledStore)
    }

    /// How many connections are open and idle now.
    pub fn state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    /// The most connections this pool opens.
    pub fn max_size(&self) -> u32 {
        self.pool.max_size()
    }
}

impl std::fmt::Debug for StorePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The location is not printed: a URL may carry a password.
        f.debug_struct("StorePool")
            .field("state", &self.state())
            .field("max_size", &self.max_size())
            .finish()
    }
}

/// A store borrowed from a [`StorePool`]: use it as a [`Store`]; dropping
/// it gives the connection back for the next caller.
pub struct PooledStore(r2d2::PooledConnection<StoreManager>);

impl PooledStore {
    /// Give the connection back as broken (after a failed read): the pool
    /// closes it rather than hand it out again.
    pub fn discard(mut self) {
        self.0.broken = true;
    }

    /// Mark the connection broken without giving it back yet: when it is
    /// dropped, the pool closes it.
    pub fn mark_broken(&mut self) {
        self.0.broken = true;
    }
}

impl Deref for PooledStore {
    type Target = dyn Store;

    fn deref(&self) -> &(dyn Store + 'static) {
        self.0.store.as_ref()
    }
}

impl DerefMut for PooledStore {
    fn deref_mut(&mut self) -> &mut (dyn Store + 'static) {
        self.0.store.as_mut()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

    use super::*;
    use crate::testing::{TestDb, postgres_server};

    /// A new database on `db`, with the shipped catalogue.
    fn created(db: &TestDb) -> String {
        let location = db.location();
        crate::create(&location, &crate::init_meta("test", "2026-01-01T00:00:00Z")).unwrap();
        location
    }

    fn options(max_size: u32, timeout_ms: u64) -> PoolOptions {
        PoolOptions {
            max_size,
            connection_timeout: Duration::from_millis(timeout_ms),
        }
    }

    /// What every engine must do: hand out at most `max_size` stores, time
    /// out after that with a typed error, reuse a store given back and
    /// close one given back broken.
    fn lends_reuses_and_times_out(db: &TestDb) {
        let location = created(db);
        let pool = StorePool::open(&location, true, &options(2, 200)).unwrap();
        assert_eq!(pool.state(), PoolState { open: 0, idle: 0 });

        let a = pool.get().unwrap();
        let b = pool.get().unwrap();
        assert!(a.data_version().unwrap() >= 1);
        assert_eq!(b.data_version().unwrap(), a.data_version().unwrap());
        assert_eq!(pool.state(), PoolState { open: 2, idle: 0 });
        match pool.get() {
            Err(StoreError::PoolTimeout {
                waited_ms,
                connections,
                cause,
            }) => {
                assert!(waited_ms >= 150, "{waited_ms}");
                assert_eq!(connections, 2);
                assert_eq!(cause, None, "nothing failed to connect");
            }
            Err(e) => panic!("not a pool timeout: {e}"),
            Ok(_) => panic!("a third connection from a pool of two"),
        }
        let message = pool.get().err().unwrap().to_string();
        assert!(message.contains("try again"), "{message}");

        drop(a);
        assert_eq!(pool.state(), PoolState { open: 2, idle: 1 });
        let c = pool.get().unwrap();
        assert_eq!(pool.state().open, 2, "the idle one was reused");
        c.discard();
        b.discard();
        assert_eq!(pool.state(), PoolState { open: 0, idle: 0 });
        assert!(pool.get().unwrap().cases().unwrap().is_empty());
    }

    /// Many threads sharing a small pool all get their reads done, and the
    /// pool never opens more than its size.
    fn many_threads_share_a_small_pool(db: &TestDb) {
        let location = created(db);
        let pool = Arc::new(StorePool::open(&location, true, &options(3, 5_000)).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let store = pool.get().unwrap();
                        assert!(pool.state().open <= 3);
                        store.data_version().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(pool.state().open <= 3);
    }

    #[test]
    fn on_sqlite_a_pool_lends_reuses_and_times_out() {
        lends_reuses_and_times_out(&TestDb::sqlite());
    }

    #[test]
    fn on_sqlite_many_threads_share_a_small_pool() {
        many_threads_share_a_small_pool(&TestDb::sqlite());
    }

    #[test]
    fn a_database_that_cannot_be_opened_is_refused_with_the_reason() {
        let db = TestDb::sqlite();
        match StorePool::open(&db.location(), true, &PoolOptions::default()) {
            Err(e @ StoreError::Missing { .. }) => assert!(e.to_string().contains("lantern init")),
            Err(e) => panic!("not Missing: {e}"),
            Ok(_) => panic!("a pool over no database"),
        }
    }

    #[test]
    fn a_timeout_names_the_last_failure_to_connect() {
        let db = TestDb::sqlite();
        let location = created(&db);
        let pool = StorePool::open(&location, true, &options(1, 300)).unwrap();
        // The database goes away: every new connection fails.
        std::fs::remove_file(&location).unwrap();
        let message = match pool.get() {
            Err(e @ StoreError::PoolTimeout { .. }) => e.to_string(),
            Err(e) => panic!("not a pool timeout: {e}"),
            Ok(_) => panic!("a connection to a database that is gone"),
        };
        assert!(
            message.contains("there is no Lantern database"),
            "{message}"
        );
    }

    #[test]
    fn on_postgres_a_pool_lends_reuses_and_times_out() {
        if let Some(server) = postgres_server() {
            lends_reuses_and_times_out(&TestDb::postgres(&server));
        }
    }

    #[test]
    fn on_postgres_many_threads_share_a_small_pool() {
        if let Some(server) = postgres_server() {
            many_threads_share_a_small_pool(&TestDb::postgres(&server));
        }
    }

    #[test]
    fn on_postgres_a_connection_the_server_dropped_is_replaced_before_use() {
        let Some(server) = postgres_server() else {
            return;
        };
        let db = TestDb::postgres(&server);
        let location = created(&db);
        let pool = StorePool::open(&location, true, &options(1, 5_000)).unwrap();
        let version = pool.get().unwrap().data_version().unwrap();
        assert_eq!(pool.state(), PoolState { open: 1, idle: 1 });
        // The server ends every other session on the database (as a
        // restart would): the idle connection is dead.
        db.raw(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        let store = pool.get().unwrap();
        assert_eq!(store.data_version().unwrap(), version);
    }
}
