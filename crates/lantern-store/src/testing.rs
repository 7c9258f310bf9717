//! Test support (feature `testing`): one throwaway database per test, on
//! either backend, for this crate's story suite and the CLI tests.
//!
//! PostgreSQL databases are created on the server named by
//! `LANTERN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and dropped when the [`TestDb`] is dropped.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The server PostgreSQL tests use, or `None` when switched off.
pub fn postgres_server() -> Option<String> {
    match std::env::var("LANTERN_TEST_POSTGRES") {
        Ok(v) if v == "off" => None,
        Ok(v) => Some(v),
        Err(_) => Some("postgres://postgres@127.0.0.1:5432/test".into()),
    }
}

/// A database that exists for one test.
pub enum TestDb {
    /// An SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database created for the test.
    Postgres {
        /// The server's URL (its maintenance database).
        server: String,
        /// The test database's name.
        name: String,
    },
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    /// A new SQLite database file location.
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().expect("temporary directory"))
    }

    /// A new, empty PostgreSQL database.
    pub fn postgres(server: &str) -> TestDb {
        let name = format!(
            "lantern_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            jiff::Timestamp::now().as_millisecond()
        );
        let mut client = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server {server}: {e} (set LANTERN_TEST_POSTGRES=off to skip)"));
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        TestDb::Postgres {
            server: server.to_string(),
            name,
        }
    }

    /// The location Lantern is given: a path or a URL.
    pub fn location(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => dir.path().join("lantern.db").display().to_string(),
            TestDb::Postgres { server, name } => {
                let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
                format!("{base}/{name}")
            }
        }
    }

    /// Run raw SQL behind Lantern's back (to simulate a newer schema).
    pub fn raw(&self, sql: &str) {
        match self {
            TestDb::Sqlite(_) => {
                let conn = rusqlite::Connection::open(self.location()).expect("open");
                conn.execute_batch(sql).expect("raw sql");
            }
            TestDb::Postgres { .. } => {
                let mut client =
                    postgres::Client::connect(&self.location(), postgres::NoTls).expect("connect");
                client.batch_execute(sql).expect("raw sql");
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { server, name } = self
            && let Ok(mut client) = postgres::Client::connect(server, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Migration 13 (accounts) undone behind Lantern's back: run it before
/// [`UNDO_MIGRATION_9`].
pub const UNDO_MIGRATION_13: &str = "
    DROP TABLE council_policies;
    DROP TABLE account_events;
    DROP TABLE sign_in_failures;
    DROP TABLE sessions;
    DROP TABLE user_roles;
    DROP TABLE users;
    DELETE FROM lantern_schema WHERE version >= 13;";
/// Migration 21 (publications of figures and the publication calendar)
/// undone behind Lantern's back, with migration 25 (the outbox and the
/// request form's throttle) after it: schema 20. Run it before
/// [`UNDO_MIGRATION_18`].
pub const UNDO_MIGRATION_21: &str = "
    DROP TABLE IF EXISTS request_throttle;
    DROP TABLE IF EXISTS outbox;
    DROP TABLE planned_publications;
    DROP TABLE published_figures;
    DROP TABLE publications;
    DELETE FROM lantern_schema WHERE version >= 21;";

/// Migration 18 (the public log and its full-text index) undone behind
/// Lantern's back, with migrations 19 (letter templates) and 20 (API
/// tokens) after it, for tests that take a database back to an older
/// schema: schema 16. Run it before [`UNDO_MIGRATION_14`].
pub const UNDO_MIGRATION_18: &str = "
    DROP TABLE IF EXISTS api_tokens;
    DROP TABLE IF EXISTS letter_templates;
    DROP TABLE IF EXISTS public_log_search;
    DROP TABLE public_log;
    DELETE FROM lantern_schema WHERE version >= 18;";

/// Migrations 14 (files kept with cases) and 16 (final letters as sent)
/// undone behind Lantern's back, for tests that take a database back to an
/// older schema. Run it before [`UNDO_MIGRATION_9`] (and after
/// [`UNDO_MIGRATION_18`]).
pub const UNDO_MIGRATION_14: &str = "
    DROP TABLE final_letters;
    DROP TABLE case_attachments;
    DELETE FROM lantern_schema WHERE version >= 14;";

/// Migration 9 (not-held declarations, finding resolutions) undone behind
/// Lantern's back, with migration 11's columns on those tables: schema 8.
/// Run it before [`UNDO_MIGRATION_8`] (and after [`UNDO_MIGRATION_14`]).
pub const UNDO_MIGRATION_9: &str = "
    DROP TABLE finding_resolutions;
    DROP TABLE not_held_declarations;
    DELETE FROM lantern_schema WHERE version >= 9;";

/// Migration 8 (councils) undone behind Lantern's back, for tests that take
/// a database back to an older schema: schema 7's tables (cases keyed by
/// reference alone, no councils). Cases and their histories are dropped,
/// so use it on a database that holds none.
pub const UNDO_MIGRATION_8: &str = "
    DROP TABLE councils;
    DROP INDEX disclosure_log_by_council;
    ALTER TABLE disclosure_log DROP COLUMN council;
    ALTER TABLE synonyms DROP COLUMN council;
    DROP TABLE case_events;
    DROP TABLE cases;
    CREATE TABLE cases (
        reference TEXT PRIMARY KEY, received TEXT NOT NULL, status TEXT NOT NULL,
        requester_name TEXT, requester_contact TEXT, retain_until TEXT,
        original TEXT NOT NULL, structured TEXT, opened_at TEXT NOT NULL,
        opened_by TEXT NOT NULL, draft TEXT, draft_version BIGINT);
    CREATE TABLE case_events (
        id BIGINT PRIMARY KEY, reference TEXT NOT NULL REFERENCES cases (reference),
        at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, from_status TEXT,
        to_status TEXT NOT NULL, note TEXT, on_day TEXT, extended_to TEXT, calendar TEXT);
    CREATE INDEX case_events_by_case ON case_events (reference, id);
    DELETE FROM lantern_schema WHERE version >= 8;";

/// The backend the CLI tests run against: `LANTERN_TEST_BACKEND=postgres`
/// for PostgreSQL, anything else (or unset) for SQLite.
pub fn cli_backend_is_postgres() -> bool {
    std::env::var("LANTERN_TEST_BACKEND").is_ok_and(|v| v == "postgres")
}
