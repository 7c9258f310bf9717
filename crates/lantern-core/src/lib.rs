//! Lantern's domain core: everything Lantern knows about drug and alcohol
//! treatment figures and Freedom of Information answers, as plain data and
//! pure functions.
//!
//! Architecture invariant: this crate does no I/O. It never opens a file, a
//! socket or a database, reads the clock or the environment, and depends on
//! nothing that does (no tokio, no SQL driver, no HTTP). Callers load data
//! through the storage adapter and hand it in; the core decides and returns.
//! A tidy test (`tests::core_has_no_io_dependencies`) checks the manifest.

pub mod answer;
pub mod casework;
pub mod catalogue;
pub mod correction;
pub mod correspondence;
pub mod council;
pub mod deadline;
pub mod disclosure;
pub mod figure;
pub mod finding;
pub mod foi;
pub mod letter;
pub mod period;
pub mod protected;
pub mod records;
pub mod related;
pub mod release;
pub mod report;
pub mod request;
pub mod scope;
pub mod statement;
pub mod understand;
pub mod withheld;

pub use period::{FinancialYear, Period, PeriodError};

#[cfg(test)]
mod tests {
    /// The core must stay free of I/O crates; see the crate docs.
    #[test]
    fn core_has_no_io_dependencies() {
        let manifest = include_str!("../Cargo.toml");
        let deps = manifest
            .split("[dependencies]")
            .nth(1)
            .and_then(|s| s.split("\n[").next())
            .unwrap_or("");
        for banned in [
            "tokio", "rusqlite", "sqlx", "postgres", "axum", "reqwest", "std-fs",
        ] {
            assert!(
                !deps.contains(banned),
                "lantern-core must not depend on {banned}"
            );
        }
    }
}
