//! Who holds the write lock, and for how long another writer waits for it.
//!
//! Writers are serialised (`BEGIN IMMEDIATE` on SQLite, an advisory lock on
//! PostgreSQL). A writer that finds the lock taken waits a bounded time
//! ([`lock_wait`]: 30 seconds, or `LANTERN_LOCK_WAIT` seconds) and then
//! fails with [`crate::StoreError::Busy`], which says what holds the lock
//! and since when: "another import is running since 10:42 UTC (lantern import
//! episodes by alice); try again when it finishes".
//!
//! What a writer is ([`set_label`]: the command and who runs it) and since
//! when (the first time this process took the lock) must be readable by
//! the *other* process while the holder's transaction is open, so it cannot
//! be a row written in that transaction (invisible until commit). SQLite:
//! the holder writes it to a small file beside the database
//! (`lantern.db-writer`) each time it takes the lock; a waiter reads it
//! only while the lock is held, and checks the process is alive.
//! PostgreSQL: the holder's connection carries it as its
//! `application_name`, read from `pg_stat_activity` with `pg_locks`.
//! No personal data: a command, an actor's name, a time.

use std::sync::OnceLock;
use std::time::Duration;

/// This process as a writer: what it is, and when it first took the lock.
static LABEL: OnceLock<String> = OnceLock::new();
static SINCE: OnceLock<jiff::Timestamp> = OnceLock::new();

/// Name this process for other writers: the command and who runs it
/// (`lantern import episodes by alice`). Set once, before the first write.
pub fn set_label(label: &str) {
    // Bounded, on one line: it travels in a file and a connection name.
    let clean: String = label
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(60)
        .collect();
    let _ = LABEL.set(clean);
}

/// This process's label (`lantern` when none was set).
pub fn label() -> &'static str {
    LABEL.get().map(String::as_str).unwrap_or("lantern")
}

/// Note that this process holds the write lock now; returns since when it
/// has held it (first taken).
pub fn taken() -> jiff::Timestamp {
    *SINCE.get_or_init(jiff::Timestamp::now)
}

/// How long a writer waits for another to finish: `LANTERN_LOCK_WAIT`
/// seconds (0 to 3600), else 30 seconds.
pub fn lock_wait() -> Duration {
    std::env::var("LANTERN_LOCK_WAIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(3600)))
        .unwrap_or(Duration::from_secs(30))
}

/// A time of day for messages: `HH:MM UTC` (the store keeps UTC times).
pub fn clock(at: jiff::Timestamp) -> String {
    let t = jiff::tz::Offset::UTC.to_datetime(at);
    format!("{:02}:{:02} UTC", t.hour(), t.minute())
}

/// The file beside an SQLite database that names its current writer.
pub fn sidecar(database: &std::path::Path) -> std::path::PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-writer");
    std::path::PathBuf::from(name)
}

/// What the sidecar file holds: `pid`, since (RFC 3339), label; one per line.
pub fn sidecar_text(since: jiff::Timestamp) -> String {
    format!("{}\n{}\n{}\n", std::process::id(), since, label())
}

/// Read a sidecar file: (since, label), if it names a process still alive
/// (where that can be told).
pub fn read_sidecar(path: &std::path::Path) -> Option<(jiff::Timestamp, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let pid: u32 = lines.next()?.trim().parse().ok()?;
    let since: jiff::Timestamp = lines.next()?.trim().parse().ok()?;
    let label = lines.next().unwrap_or("lantern").trim().to_string();
    let proc_dir = std::path::Path::new("/proc");
    if proc_dir.is_dir() && !proc_dir.join(pid.to_string()).exists() {
        return None;
    }
    Some((since, label))
}
