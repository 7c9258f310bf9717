//! Lantern's application layer: one function per use case, for every front
//! end.
//!
//! The command line (`lantern …`) and the web server (`lantern serve`) are
//! adapters: they parse their input, call a use case here, and render what
//! it returns (text, JSON, HTML) or map its [`Error`] to an exit status or
//! an HTTP status. Everything between (opening the store, reading the
//! catalogue, the rules in `lantern-core`, transactions and the audit of
//! who did what) happens here, once.
//!
//! Every use case takes a [`Context`] (the deployment's settings, the
//! acting person and the clock) and typed inputs: bytes and a name rather
//! than paths, values rather than command-line structures. It returns a
//! typed result and problems located by file, line and field.
//!
//! The modules, by use case:
//! - [`answering`]: answer a structured request, decide a letter's content,
//!   query figures and where sources disagree.
//! - [`casework`]: FOI requests as cases: intake, lifecycle and clock
//!   actions, drafting, approval and sending, corrections and learned
//!   phrases, retention.
//! - [`disclosure_log`]: search the log, and audit it as one protected table.
//! - [`reports`]: the casework reports (timeliness, outcomes).
//! - [`letters`]: the letter's view model and its templates.
//! - [`data`]: create and migrate a database; import figures, statements,
//!   releases, agencies, bank holidays and catalogue extensions; list
//!   imports; export and restore dumps.
//! - [`records`]: providers' episode files in, recomputing the figures from
//!   records (and settling recomputations owed), submissions and
//!   withdrawing one.
//! - [`import`] and [`xlsx`]: reading figures, statements, releases and
//!   agencies files, and workbooks under limits.
//! - [`council`]: councils held in the store: show, list and set their
//!   settings, take in `lantern.toml`'s, and the settings a letter uses.
//! - [`config`]: the deployment's `lantern.toml`.
//! - [`files`]: reading files under limits and writing them whole.
//! - [`accounts`]: users and their roles per council, signing in (argon2id,
//!   throttled) and out, sessions.
//! - [`policy`]: who may do what ([`policy::may`]), consulted by every page
//!   and API call, with two-person sign-off.
//! - [`providers`]: a treatment provider's own submissions (history,
//!   validation report, sending a monthly file), scoped to its provider.
//! - [`tokens`]: API tokens for providers' machine submissions (created,
//!   shown once, stored hashed, revoked, audited) and authenticating one.

pub mod accounts;
pub mod analysis;
pub mod answering;
pub mod audit;
pub mod casework;
pub mod config;
pub mod council;
pub mod data;
pub mod disclosure_log;
pub mod docx;
pub mod error;
pub mod files;
pub mod import;
pub mod letter_templates;
pub mod letters;
pub mod outbox;
pub mod personal_data;
pub mod policy;
pub mod providers;
pub mod publishing;
pub mod records;
pub mod reports;
pub mod sheets;
pub mod tokens;
pub mod xlsx;

use jiff::civil::Date;
use lantern_store::{ImportKind, ImportMeta, Who};
use sha2::{Digest, Sha256};

pub use error::{Context as ResultExt, Error, Kind, Result};
/// The store handle use cases read through. Front ends get one from
/// [`Context::open`] or from a [`pool`] and pass it on; they call no
/// method of it themselves.
pub use lantern_store::Store;
/// Store connections shared by a server's requests.
pub use lantern_store::pool;

use crate::config::Config;

/// A store a use case opened ([`Context::open`]): its own connection, or
/// one borrowed from a server's pool and given back when dropped (closed
/// instead if the thread is panicking, so a connection left in the middle
/// of something is never reused). Use it as a [`Store`].
pub enum OpenStore {
    /// A connection opened for this use case.
    Own(Box<dyn Store>),
    /// A connection borrowed from a pool.
    Pooled(pool::PooledStore),
}

impl std::ops::Deref for OpenStore {
    type Target = dyn Store;

    fn deref(&self) -> &(dyn Store + 'static) {
        match self {
            OpenStore::Own(store) => store.as_ref(),
            OpenStore::Pooled(store) => &**store,
        }
    }
}

impl std::ops::DerefMut for OpenStore {
    fn deref_mut(&mut self) -> &mut (dyn Store + 'static) {
        match self {
            OpenStore::Own(store) => store.as_mut(),
            OpenStore::Pooled(store) => &mut **store,
        }
    }
}

impl AsRef<dyn Store> for OpenStore {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        &**self
    }
}

impl AsMut<dyn Store> for OpenStore {
    fn as_mut(&mut self) -> &mut (dyn Store + 'static) {
        &mut **self
    }
}

impl Drop for OpenStore {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let OpenStore::Pooled(store) = self
        {
            store.mark_broken();
        }
    }
}

/// What every use case is given: where the data is, the deployment's
/// settings, who is acting and what time it is.
#[derive(Debug, Clone)]
pub struct Context {
    /// Database path or URL.
    pub database: String,
    /// The deployment's settings (`lantern.toml`).
    pub config: Config,
    /// Who is acting, as the audit records them.
    pub actor: String,
    /// What day and time it is.
    pub clock: Clock,
    /// The council whose casework this context reads and writes (`--council
    /// CODE`); `None`: the only council the database holds (see
    /// [`lantern_store::Store::use_council`]).
    pub council: Option<String>,
    /// Warnings for the person acting (a `lantern.toml` that differs from
    /// the council held, …), said once each; the front end shows them.
    warnings: Warnings,
    /// A server's pool of connections to [`Context::database`]
    /// ([`Context::with_pool`]): [`Context::open`] borrows an idle one
    /// instead of opening the database anew.
    pool: Option<std::sync::Arc<pool::StorePool>>,
}

/// The warnings a context noted, shared: a front end keeps a handle
/// ([`Context::warnings`]) to show them after the use case, whatever its
/// outcome.
#[derive(Debug, Clone, Default)]
pub struct Warnings(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Warnings {
    /// The warnings noted so far, taken.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut held| std::mem::take(&mut *held))
            .unwrap_or_default()
    }

    fn note(&self, warning: String) {
        if let Ok(mut held) = self.0.lock()
            && !held.contains(&warning)
        {
            held.push(warning);
        }
    }
}

impl Context {
    /// A context for `actor` on the database at `database`, with the
    /// settings in `config` and the system clock.
    pub fn new(database: String, config: Config, actor: String) -> Context {
        Context {
            database,
            config,
            actor,
            clock: Clock::system(),
            council: None,
            warnings: Warnings::default(),
            pool: None,
        }
    }

    /// The same context borrowing its stores from `pool`, a pool of
    /// connections to the same database (a server's): [`Context::open`]
    /// takes an idle connection when there is one and opens its own when
    /// not, so a use case never waits for a connection, nor for one it
    /// holds itself.
    pub fn with_pool(mut self, pool: std::sync::Arc<pool::StorePool>) -> Context {
        self.pool = Some(pool);
        self
    }

    /// The same context for the council `code` (`--council CODE`).
    pub fn for_council(mut self, code: Option<String>) -> Context {
        self.council = code;
        self
    }

    /// Note a warning for the person acting (each is kept once).
    pub fn warn(&self, warning: impl Into<String>) {
        self.warnings.note(warning.into());
    }

    /// A handle on the warnings this context notes (the front end shows them).
    pub fn warnings(&self) -> Warnings {
        self.warnings.clone()
    }

    /// The database as messages show it (a URL without its password).
    pub fn display_database(&self) -> String {
        if lantern_store::is_postgres(&self.database) {
            match self.database.split_once('@') {
                Some((scheme_user, rest)) => match scheme_user.rsplit_once(':') {
                    Some((before, _password))
                        if before.contains("//") && before.matches(':').count() == 1 =>
                    {
                        format!("{before}:***@{rest}")
                    }
                    _ => self.database.clone(),
                },
                None => self.database.clone(),
            }
        } else {
            self.database.clone()
        }
    }

    /// Open the database (migrating it unless `migrate_on_open = false`),
    /// its casework confined to the council chosen ([`Context::council`]).
    ///
    /// With a pool ([`Context::with_pool`]) the store is an idle pooled
    /// connection when one is free (given back when dropped), else one
    /// opened for this call. A pooled connection keeps no state of a
    /// request but the council it was last confined to, chosen again here.
    pub fn open(&self) -> Result<OpenStore> {
        if let Some(pool) = &self.pool
            && let Some(mut store) = pool.try_get()
        {
            if let Some(code) = &self.council
                && let Err(e) = store.choose_council(code)
            {
                store.discard();
                return Err(e.into());
            }
            return Ok(OpenStore::Pooled(store));
        }
        let mut store = self.open_every_council()?;
        if let Some(code) = &self.council {
            store.choose_council(code)?;
        }
        Ok(OpenStore::Own(store))
    }

    /// Open the database without choosing a council (for what is not one
    /// council's: the councils themselves, dumps).
    pub fn open_every_council(&self) -> Result<Box<dyn Store>> {
        Ok(lantern_store::open_with(
            &self.database,
            self.config.migrate_on_open,
        )?)
    }

    /// Name this process in the store's write lock, so another writer kept
    /// waiting is told what holds it (`lantern import figures by ana`).
    pub fn name_writer(&self, what: &str) {
        lantern_store::writer::set_label(&format!("lantern {what} by {}", self.actor));
    }

    /// The day this context acts on: the fixed day (`--as-of`), else today
    /// in the time zone of the council in use (its stored settings, or
    /// `lantern.toml`'s before any is stored).
    pub fn today(&self, store: &dyn Store) -> Result<Date> {
        if let Some(day) = self.clock.fixed_day() {
            return Ok(day);
        }
        let council = council::in_force(self, store, None)?;
        Ok(self.clock.today_in(council.time_zone()))
    }

    /// Who is acting, and when, as the store's audit records it.
    pub fn who(&self) -> Who {
        Who {
            actor: self.actor.clone(),
            at: self.clock.now(),
        }
    }

    /// Provenance for an import of `file` with these bytes.
    pub fn meta(&self, kind: ImportKind, file: &str, bytes: &[u8]) -> ImportMeta {
        ImportMeta {
            kind,
            file: file.to_string(),
            sha256: hex(&Sha256::digest(bytes)),
            actor: self.actor.clone(),
            at: self.clock.now(),
        }
    }

    /// Who imports, and when, as figures' provenance records it.
    pub fn importer(&self) -> import::Importer {
        import::Importer {
            actor: self.actor.clone(),
            at: self.clock.now(),
        }
    }
}

/// What day and time it is: the system's, or a day fixed for tests and
/// for answering "as on" a date (`--as-of`). The one place Lantern asks
/// what day it is: a council's "today" is [`Clock::today_in`] its time zone
/// ([`Context::today`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    today: Option<Date>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { today: None }
    }

    /// A clock whose day is `today` (the time of day stays the system's).
    pub fn fixed(today: Date) -> Clock {
        Clock { today: Some(today) }
    }

    /// The fixed day, if the clock is fixed (`--as-of`).
    pub fn fixed_day(&self) -> Option<Date> {
        self.today
    }

    /// Today's date in `zone`, or the fixed day.
    pub fn today_in(&self, zone: &jiff::tz::TimeZone) -> Date {
        self.today
            .unwrap_or_else(|| zone.to_datetime(jiff::Timestamp::now()).date())
    }

    /// Today's date in UTC, or the fixed day (for what belongs to no
    /// council: providers' submissions; a council's day is
    /// [`Context::today`]).
    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(|| {
            jiff::tz::Offset::UTC
                .to_datetime(jiff::Timestamp::now())
                .date()
        })
    }

    /// The system's date in UTC, whatever day the clock is fixed to.
    pub fn system_today(&self) -> Date {
        Clock::system().today()
    }

    /// The system's date in `zone` (a council's), whatever day the clock is
    /// fixed to.
    pub fn system_today_in(&self, zone: &jiff::tz::TimeZone) -> Date {
        Clock::system().today_in(zone)
    }

    /// The current time, to the second, RFC 3339.
    pub fn now(&self) -> String {
        now()
    }
}

/// The current time, to the second, RFC 3339.
pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Bytes as lowercase hex (file digests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
