//! Failure points: a test hook that stops the process hard at a named step
//! of a write, so tests can check that nothing is left half-done whatever
//! the moment a process dies (a kill, a power cut, an out-of-memory abort).
//!
//! Set `LANTERN_FAILPOINT=NAME` to abort the process (no unwinding, no
//! clean-up, like `SIGKILL`) the first time it reaches the step `NAME`;
//! `NAME@N` aborts the N-th time; `NAME:pause` (or `NAME@N:pause`) stops
//! there instead, holding whatever it holds (the write lock) until killed.
//! On reaching the step it prints `lantern: failpoint NAME reached` on
//! standard error. Unset (always, outside tests), a failure point costs
//! one check of a value read once.
//!
//! The steps: `before-submit-commit` (a submission written, not yet
//! committed), `after-submit-commit` (committed, figures not yet
//! recomputed), `mid-recompute` (figures computed, not yet written),
//! `before-figures-commit` (figure sets written, not yet committed),
//! `after-figures-commit` (a file's submission and figures both done).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The failure point asked for: name, which time it fires, and whether to pause.
struct Armed {
    name: String,
    nth: u64,
    pause: bool,
    seen: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var("LANTERN_FAILPOINT").ok()?;
            let (spec, pause) = match spec.strip_suffix(":pause") {
                Some(s) => (s.to_string(), true),
                None => (spec, false),
            };
            let (name, nth) = match spec.split_once('@') {
                Some((name, n)) => (name.to_string(), n.parse().ok()?),
                None => (spec, 1),
            };
            Some(Armed {
                name,
                nth,
                pause,
                seen: AtomicU64::new(0),
            })
        })
        .as_ref()
}

/// The step `name` is reached: stop here if `LANTERN_FAILPOINT` says so.
pub fn hit(name: &str) {
    let Some(armed) = armed() else { return };
    if armed.name != name || armed.seen.fetch_add(1, Ordering::SeqCst) + 1 != armed.nth {
        return;
    }
    eprintln!("lantern: failpoint {name} reached");
    if armed.pause {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    std::process::abort();
}
