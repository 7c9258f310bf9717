//! The storage story suite: the same tests against every backend — an SQLite
//! file and a PostgreSQL database — through the `Store` trait only.
//!
//! PostgreSQL tests create their own database on the server named by
//! `LANTERN_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and drop it afterwards, so tests run in parallel and leave nothing behind.
//! Set `LANTERN_TEST_POSTGRES=off` to run the SQLite half alone; otherwise an
//! unreachable server fails the tests rather than skipping them.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod accounts;
mod councils;
mod outbox;
mod publications;
mod related_cases;
mod scoped;
mod stories;
mod submissions;

/// A public log entry for an answer sent in a story (title its reference).
pub fn public_entry(reference: &str) -> lantern_store::PublicEntry {
    lantern_store::PublicEntry {
        reference: reference.to_string(),
        sent_at: "2019-07-01T00:00:00Z".to_string(),
        year: 2019,
        title: reference.to_string(),
        outcome: "answered".to_string(),
        topics: vec!["people_in_treatment".to_string()],
        questions: "{}".to_string(),
        search_text: reference.to_string(),
        recorded: true,
    }
}

/// Run a story against every backend.
#[macro_export]
macro_rules! story {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn on_sqlite() {
                let db = lantern_store::testing::TestDb::sqlite();
                ($body)(&db);
            }

            #[test]
            fn on_postgres() {
                let Some(server) = lantern_store::testing::postgres_server() else {
                    eprintln!("LANTERN_TEST_POSTGRES=off: PostgreSQL half not run");
                    return;
                };
                let db = lantern_store::testing::TestDb::postgres(&server);
                ($body)(&db);
            }
        }
    };
}
