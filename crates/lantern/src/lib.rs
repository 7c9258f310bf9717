//! The `lantern` binary's library: the command line, importers, letter
//! rendering and the demo. These are adapters around `lantern-core` (the
//! rules) and `lantern-store` (the database); see ARCHITECTURE.md.

pub mod app;
pub mod casework;
pub mod council;
pub mod demo;
pub mod outbox;
pub mod progress;
pub mod publishing;
pub mod records;
pub mod reports;
pub mod timing;
pub mod tokens;
pub mod users;

pub use lantern_app::letters as render;
pub use lantern_app::{config, import, xlsx};

/// Print a line on standard output, returning an error (rather than
/// panicking) when the reader has gone away, e.g. `lantern figures | head`.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Whether an error is only that standard output was closed early.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
