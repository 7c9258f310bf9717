//! Lantern's storage written once, over any [`Engine`]: every query the
//! [`Store`] trait needs, in the portable SQL both engines share. The
//! adapters in `sqlite.rs` and `postgres.rs` supply only connections,
//! migrations and dialect.
//!
//! This file owns [`SqlStore`], the schema migrations, the helpers that
//! read and write column values, and the [`Store`] impl, each method of
//! which hands over to the module owning its tables:
//! - `audit.rs`: imports, the data version and the audit log;
//! - `versioned.rs`: versioned records (figures, statements, releases,
//!   agencies) imported set-based;
//! - `catalogue.rs`: the catalogue's layers and the catalogue at a version;
//! - `snapshot.rs`: what a data version holds, read back;
//! - `submissions.rs`: providers' record submissions and their chunks;
//! - `recompute.rs`: figure sets computed from records and the
//!   recomputations owed;
//! - `casework.rs`: cases, their history, drafts and sending;
//! - `log.rs`: the disclosure log read back, and learned phrases;
//! - `public_log.rs`: the disclosure log as the public reads it, searched;
//! - `calendars.rs`: bank-holiday calendars;
//! - `export.rs`: the whole database out and back in;
//! - `council.rs`: councils and the council a handle's casework belongs to;
//! - `templates.rs`: councils' letter templates, versioned;
//! - `scoped.rs`: reads sized to one request;
//! - `publications.rs`: Lantern's own publications of figures and the
//!   publication calendar.

use jiff::civil::Date;
use lantern_core::FinancialYear;
use lantern_core::casework::{Action, ActionDetail, Case, CaseEvent, LogEntry, Status};
use lantern_core::catalogue::Catalogue;
use lantern_core::figure::Figure;
use lantern_core::period::Period;
use lantern_core::records::{Agency, YearMonth};
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use serde_json::json;

use crate::dump::TableRows;
use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{Sql, SqlRef};
use crate::{
    AuditEntry, ChunkQuery, Created, FigureQuery, ImportMeta, ImportReceipt, ImportRecord,
    NewFigureSet, NewSubmission, Snapshot, Store, StoreError, StoredChunk, StoredFigureSet,
    SubmissionRecord, Submitted, Who,
};

use audit::{audit, begin_import, data_version, finish_import};
use catalogue::SHIPPED_LAYER;

/// Schema migrations, oldest first, one set for every engine (each engine
/// adjusts the DDL with [`Engine::ddl`]). Append only: never edit a released one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_initial.sql")),
    (2, include_str!("../../migrations/0002_casework.sql")),
    (3, include_str!("../../migrations/0003_disclosure_log.sql")),
    (4, include_str!("../../migrations/0004_submissions.sql")),
    (5, include_str!("../../migrations/0005_casework_clock.sql")),
    (6, include_str!("../../migrations/0006_scrub_reports.sql")),
    (7, include_str!("../../migrations/0007_records_owed.sql")),
    (8, include_str!("../../migrations/0008_councils.sql")),
    (9, include_str!("../../migrations/0009_not_held.sql")),
    (
        11,
        include_str!("../../migrations/0011_declarations_versioned.sql"),
    ),
    (13, include_str!("../../migrations/0013_accounts.sql")),
    (
        14,
        include_str!("../../migrations/0014_case_attachments.sql"),
    ),
    (15, include_str!("../../migrations/0015_fee_amount.sql")),
    (16, include_str!("../../migrations/0016_final_letters.sql")),
    (18, include_str!("../../migrations/0018_public_log.sql")),
    (
        19,
        include_str!("../../migrations/0019_letter_templates.sql"),
    ),
    (20, include_str!("../../migrations/0020_api_tokens.sql")),
    (21, include_str!("../../migrations/0021_publications.sql")),
    (23, include_str!("../../migrations/0023_draft_notices.sql")),
    (24, include_str!("../../migrations/0024_case_subjects.sql")),
    (25, include_str!("../../migrations/0025_outbox.sql")),
];

mod accounts;
mod audit;
mod calendars;
mod casework;
mod catalogue;
mod council;
mod export;
mod log;
mod not_held;
mod outbox;
mod public_log;
mod publications;
mod recompute;
mod snapshot;
mod submissions;
mod templates;
mod versioned;
// Reads sized to one request, sharing the row readers of `snapshot.rs`.
mod scoped;

/// The [`Store`] over an engine.
#[derive(Debug)]
pub struct SqlStore<E: Engine> {
    engine: E,
    /// The council chosen with [`Store::use_council`], if one was
    /// (`council.rs`: what a handle's casework belongs to).
    council: Option<String>,
    /// The disclosure log's lines about cells, summed up, as this handle's
    /// connection last read them (`log.rs`).
    logged: std::cell::RefCell<log::LoggedKept>,
}

pub(crate) fn int(v: &Sql) -> i64 {
    match v {
        Sql::Int(Some(i)) => *i,
        _ => 0,
    }
}

fn opt_int(v: &Sql) -> Option<i64> {
    match v {
        Sql::Int(i) => *i,
        Sql::Text(_) | Sql::Blob(_) => None,
    }
}

pub(crate) fn text(v: &Sql) -> String {
    match v {
        Sql::Text(Some(s)) => s.clone(),
        Sql::Int(Some(i)) => i.to_string(),
        _ => String::new(),
    }
}

/// A text value lent by [`crate::engine::Tx::query_each`] ("" for NULL or
/// anything else).
pub(crate) fn lent_str(v: SqlRef<'_>) -> &str {
    match v {
        SqlRef::Text(Some(s)) => s,
        _ => "",
    }
}

/// [`opt_text`] of a text value lent by [`crate::engine::Tx::query_each`].
pub(crate) fn lent_opt_text(v: SqlRef<'_>) -> Option<String> {
    match v {
        SqlRef::Text(s) => s.map(str::to_string),
        SqlRef::Int(i) => i.map(|i| i.to_string()),
        SqlRef::Blob(_) => None,
    }
}

/// [`text`], taking the value out of the row instead of copying it.
pub(crate) fn take_text(v: &mut Sql) -> String {
    match v {
        Sql::Text(s) => s.take().unwrap_or_default(),
        _ => text(v),
    }
}

/// [`opt_text`], taking the value out of the row instead of copying it.
pub(crate) fn take_opt_text(v: &mut Sql) -> Option<String> {
    match v {
        Sql::Text(s) => s.take(),
        _ => opt_text(v),
    }
}

pub(crate) fn opt_text(v: &Sql) -> Option<String> {
    match v {
        Sql::Text(s) => s.clone(),
        Sql::Int(i) => i.map(|i| i.to_string()),
        Sql::Blob(_) => None,
    }
}

/// Take a blob out of a row (without copying it).
fn take_blob(v: &mut Sql) -> Vec<u8> {
    match std::mem::replace(v, Sql::Blob(None)) {
        Sql::Blob(Some(b)) => b,
        _ => Vec::new(),
    }
}

pub(crate) fn invalid(what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(what.to_string())
}

/// A count as a column value (counts are `BIGINT`).
pub(crate) fn count(n: u64, what: &str) -> Result<Sql, StoreError> {
    i64::try_from(n)
        .map(|n| Sql::Int(Some(n)))
        .map_err(|_| invalid(format!("{what} {n} is too large")))
}

/// A stored count back as a number.
fn stored_count(v: &Sql, what: &str) -> Result<u64, StoreError> {
    u64::try_from(int(v)).map_err(|_| damaged(format!("{what} {} is negative", int(v))))
}

/// A month as stored (`YYYY-MM`), refusing one that would not read back.
fn month_text(month: YearMonth) -> Result<String, StoreError> {
    let text = month.to_string();
    match YearMonth::parse(&text) {
        Some(m) if m == month => Ok(text),
        _ => Err(invalid(format!("'{text}' is not a month"))),
    }
}

fn stored_month(v: &Sql) -> Result<YearMonth, StoreError> {
    let t = text(v);
    YearMonth::parse(&t).ok_or_else(|| damaged(format!("month '{t}'")))
}

fn stored_year(v: &Sql) -> Result<FinancialYear, StoreError> {
    let t = text(v);
    match Period::parse(&t) {
        Ok(Period::FinancialYear(fy)) if fy.to_string() == t => Ok(fy),
        _ => Err(damaged(format!("financial year '{t}'"))),
    }
}

fn id_list(v: &Sql) -> Result<Vec<i64>, StoreError> {
    serde_json::from_str(&text(v)).map_err(|e| damaged(format!("id list: {e}")))
}

pub(crate) fn param(i: i64) -> Sql {
    Sql::Int(Some(i))
}

pub(crate) fn param_text(s: &str) -> Sql {
    Sql::Text(Some(s.to_string()))
}

pub(crate) fn damaged(what: impl std::fmt::Display) -> StoreError {
    StoreError::Damaged(what.to_string())
}

fn date(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|e: jiff::Error| damaged(format!("date '{text}': {e}")))
}

fn opt_date(text: Option<String>) -> Result<Option<Date>, StoreError> {
    text.map(|t| date(&t)).transpose()
}

pub(crate) fn one_int(tx: &mut dyn Tx, sql: &str, params: &[Sql]) -> Result<i64, StoreError> {
    let rows = tx.query(sql, params, &[Kind::Int])?;
    Ok(rows.first().map(|r| int(&r[0])).unwrap_or(0))
}

/// At most this many values in one `IN (…)` list (both engines take far
/// more; this keeps statements short).
const IN_LIST: usize = 500;

impl<E: Engine> SqlStore<E> {
    /// Wrap a connected engine. Callers then run [`SqlStore::prepare`].
    pub fn new(engine: E) -> SqlStore<E> {
        SqlStore {
            engine,
            council: None,
            logged: Default::default(),
        }
    }

    /// The council this handle's casework belongs to, read in `tx`.
    fn scope(&self, tx: &mut dyn Tx) -> Result<String, StoreError> {
        council::scope(tx, self.council.as_deref())
    }

    /// The engine underneath.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The schema version recorded in the database (`None`: not a Lantern database).
    pub fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        if !self.engine.has_table("lantern_schema")? {
            return Ok(None);
        }
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query("SELECT max(version) FROM lantern_schema", &[], &[Kind::Int])?;
            Ok(rows.first().and_then(|r| opt_int(&r[0])))
        })
    }

    /// Refuse a schema that is not exactly this Lantern's (newer or older),
    /// without changing anything.
    pub fn check_current(&self, current: Option<i64>) -> Result<(), StoreError> {
        let supported = MIGRATIONS.last().map(|(v, _)| *v).unwrap_or(0);
        let found = current.unwrap_or(0);
        if found > supported {
            return Err(StoreError::NewerSchema { found, supported });
        }
        if found < supported {
            return Err(StoreError::OlderSchema {
                found,
                needed: supported,
            });
        }
        Ok(())
    }

    /// Bring the schema up to date; refuse a schema newer than this build.
    pub fn migrate(&self, current: Option<i64>) -> Result<(), StoreError> {
        let migrations = MIGRATIONS;
        let supported = migrations.last().map(|(v, _)| *v).unwrap_or(0);
        let current = current.unwrap_or(0);
        if current > supported {
            return Err(StoreError::NewerSchema {
                found: current,
                supported,
            });
        }
        if current == supported {
            // Up to date: no write transaction, so opening the store never
            // waits for an import in progress (readers never wait).
            return Ok(());
        }
        let scrubbed = self.engine.transaction(Mode::Write, |tx| {
            tx.batch("CREATE TABLE IF NOT EXISTS lantern_schema (version BIGINT NOT NULL)")?;
            // Read again under the write lock: another process may have
            // migrated since `current` was read.
            let rows = tx.query("SELECT max(version) FROM lantern_schema", &[], &[Kind::Int])?;
            let current = rows.first().and_then(|r| opt_int(&r[0])).unwrap_or(0);
            let mut scrubbed = false;
            for (version, sql) in migrations.iter().filter(|(v, _)| *v > current) {
                tx.batch(&self.engine.ddl(sql))?;
                if *version == crate::scrub::SCRUBBED_FROM {
                    // Migration 6 is this Rust step: stored validation
                    // reports rewritten without personal data.
                    scrubbed = crate::scrub::stored_reports(tx)? > 0;
                }
                tx.execute(
                    "INSERT INTO lantern_schema (version) VALUES ($1)",
                    &[param(*version)],
                )?;
            }
            Ok(scrubbed)
        })?;
        if scrubbed {
            // The old reports' bytes: out of the files, not only unlinked.
            self.engine.reclaim(&["submissions"])?;
        }
        Ok(())
    }

    /// Whether the database holds any Lantern data yet (an init import).
    pub fn is_initialised(&self) -> Result<bool, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            Ok(one_int(tx, "SELECT count(*) FROM imports", &[])? > 0)
        })
    }

    /// Record a new database's first import: the shipped catalogue.
    pub fn initialise(&self, meta: &ImportMeta) -> Result<Created, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            if one_int(tx, "SELECT count(*) FROM imports", &[])? > 0 {
                return Ok(Created::Existing);
            }
            let import = begin_import(tx, meta, 1)?;
            tx.execute(
                "INSERT INTO catalogue_layers (name, body, added_in) VALUES ($1, $2, $3)",
                &[
                    param_text(SHIPPED_LAYER),
                    param_text(lantern_core::catalogue::SHIPPED),
                    param(import),
                ],
            )?;
            audit(
                tx,
                import,
                meta,
                "catalogue.init",
                "catalogue/indicators.toml",
                json!({}),
            )?;
            finish_import(
                tx,
                import,
                &ImportReceipt {
                    rows: 1,
                    added: 1,
                    ..Default::default()
                },
            )?;
            Ok(Created::New)
        })
    }
}

impl<E: Engine> Store for SqlStore<E> {
    fn data_version(&self) -> Result<i64, StoreError> {
        self.engine.transaction(Mode::Read, data_version)
    }

    fn catalogue(&self) -> Result<Catalogue, StoreError> {
        catalogue::catalogue(self)
    }

    fn extend_catalogue(
        &mut self,
        meta: &ImportMeta,
        body: &str,
    ) -> Result<ImportReceipt, StoreError> {
        catalogue::extend_catalogue(self, meta, body)
    }

    fn upgrade_catalogue(
        &mut self,
        meta: &ImportMeta,
        shipped: &str,
    ) -> Result<ImportReceipt, StoreError> {
        catalogue::upgrade_catalogue(self, meta, shipped)
    }

    fn import_figures(
        &mut self,
        meta: &ImportMeta,
        figures: &[Figure],
    ) -> Result<ImportReceipt, StoreError> {
        versioned::import_figures(self, meta, figures)
    }

    fn import_statements(
        &mut self,
        meta: &ImportMeta,
        statements: &[Statement],
    ) -> Result<ImportReceipt, StoreError> {
        versioned::import_statements(self, meta, statements)
    }

    fn import_releases(
        &mut self,
        meta: &ImportMeta,
        releases: &[(u64, Release)],
    ) -> Result<ImportReceipt, StoreError> {
        versioned::import_releases(self, meta, releases)
    }

    fn withdraw_release(
        &mut self,
        meta: &ImportMeta,
        code: &str,
        reason: &str,
    ) -> Result<ImportReceipt, StoreError> {
        versioned::withdraw_release(self, meta, code, reason)
    }

    fn import_agencies(
        &mut self,
        meta: &ImportMeta,
        agencies: &[(u64, Agency)],
    ) -> Result<ImportReceipt, StoreError> {
        versioned::import_agencies(self, meta, agencies)
    }

    fn agencies(&self) -> Result<Vec<Agency>, StoreError> {
        versioned::agencies(self)
    }

    fn submit(
        &mut self,
        meta: &ImportMeta,
        submission: &NewSubmission,
    ) -> Result<Submitted, StoreError> {
        submissions::submit(self, meta, submission)
    }

    fn submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError> {
        submissions::submissions(self)
    }

    fn submission(&self, id: i64) -> Result<Option<SubmissionRecord>, StoreError> {
        submissions::submission(self, id)
    }

    fn provider_submissions(
        &self,
        provider: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SubmissionRecord>, u64), StoreError> {
        submissions::provider_submissions(self, provider, offset, limit)
    }

    fn key_fingerprints(&self) -> Result<Vec<String>, StoreError> {
        submissions::key_fingerprints(self)
    }

    fn chunks(&self, query: &ChunkQuery) -> Result<Vec<StoredChunk>, StoreError> {
        submissions::chunks(self, query)
    }

    fn chunks_by_area(
        &self,
        query: &ChunkQuery,
        each: &mut dyn FnMut(Vec<StoredChunk>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        submissions::chunks_by_area(self, query, each)
    }

    fn figure_sets(&self, area: Option<&str>) -> Result<Vec<StoredFigureSet>, StoreError> {
        recompute::figure_sets(self, area)
    }

    fn write_figure_sets(
        &mut self,
        meta: &ImportMeta,
        scope: &[(String, FinancialYear)],
        sets: &[NewFigureSet],
    ) -> Result<ImportReceipt, StoreError> {
        recompute::write_figure_sets(self, meta, scope, sets)
    }

    fn owed_recomputes(&self) -> Result<Vec<crate::OwedRecompute>, StoreError> {
        recompute::owed_recomputes(self)
    }

    fn withdraw_submission(
        &mut self,
        meta: &ImportMeta,
        id: i64,
        reason: &str,
    ) -> Result<crate::Withdrawn, StoreError> {
        submissions::withdraw_submission(self, meta, id, reason)
    }

    fn settle_recompute(
        &mut self,
        meta: &ImportMeta,
        scope: &[(String, FinancialYear)],
        sets: &[NewFigureSet],
        owed: &[i64],
        based_on: Option<i64>,
    ) -> Result<Option<ImportReceipt>, StoreError> {
        recompute::settle_recompute(self, meta, scope, sets, owed, based_on)
    }

    fn figures(&self, query: &FigureQuery) -> Result<Vec<Figure>, StoreError> {
        snapshot::figures(self, query)
    }

    fn snapshot(&self, version: Option<i64>) -> Result<Snapshot, StoreError> {
        snapshot::snapshot(self, version)
    }

    fn releases(&self, version: Option<i64>) -> Result<Vec<Release>, StoreError> {
        snapshot::releases(self, version)
    }

    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        audit::imports(self)
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        audit::audit_entries(self, limit)
    }

    fn audit_trail(
        &self,
        search: &crate::AuditSearch,
    ) -> Result<Vec<crate::AuditLine>, StoreError> {
        audit::trail(self, search)
    }

    fn open_case(&mut self, case: &Case, detail: &ActionDetail) -> Result<(), StoreError> {
        casework::open_case(self, case, detail, &[])
    }

    fn open_case_with(
        &mut self,
        case: &Case,
        detail: &ActionDetail,
        attachments: &[crate::NewAttachment],
    ) -> Result<(), StoreError> {
        casework::open_case(self, case, detail, attachments)
    }

    fn send_with_letter(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        entries: &[LogEntry],
        public: &crate::PublicEntry,
        detail: &ActionDetail,
        letter: Option<&crate::NewFinalLetter>,
    ) -> Result<Status, StoreError> {
        casework::send(self, reference, seen, who, entries, public, detail, letter)
    }

    fn final_letters(&self, reference: &str) -> Result<Vec<crate::StoredFinalLetter>, StoreError> {
        casework::final_letters(self, reference)
    }

    fn final_letter_bytes(
        &self,
        reference: &str,
        position: i64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        casework::final_letter_bytes(self, reference, position)
    }

    fn attachments(&self, reference: &str) -> Result<Vec<crate::StoredAttachment>, StoreError> {
        casework::attachments(self, reference)
    }

    fn attachment_bytes(
        &self,
        reference: &str,
        position: i64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        casework::attachment_bytes(self, reference, position)
    }

    fn case(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        casework::case(self, reference)
    }

    fn cases(&self) -> Result<Vec<Case>, StoreError> {
        casework::cases(self)
    }

    fn cases_received_between(
        &self,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<Case>, StoreError> {
        casework::cases_received_between(self, from, to)
    }

    fn relatable_cases_between(
        &self,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<crate::RelatableCase>, StoreError> {
        casework::relatable_cases_between(self, from, to)
    }

    fn case_history(&self, reference: &str) -> Result<Vec<CaseEvent>, StoreError> {
        casework::case_history(self, reference)
    }

    fn open_cases_in_brief(&self) -> Result<Vec<crate::BriefCase>, StoreError> {
        casework::open_cases_in_brief(self)
    }

    fn open_cases_with_history(&self) -> Result<Vec<crate::OpenCase>, StoreError> {
        casework::open_cases_with_history(self)
    }

    fn act(
        &mut self,
        reference: &str,
        seen: Status,
        action: Action,
        who: &Who,
        detail: &ActionDetail,
    ) -> Result<Status, StoreError> {
        casework::act(self, reference, seen, action, who, detail)
    }

    fn correct_case(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        structured: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        casework::correct_case(self, reference, seen, who, structured, note)
    }

    fn revise_case(
        &mut self,
        reference: &str,
        seen: Status,
        before: Option<&str>,
        structured: &str,
        who: &Who,
        note: &str,
    ) -> Result<(), StoreError> {
        casework::revise_case(self, reference, seen, before, structured, who, note)
    }

    fn save_draft(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        draft: &str,
        notices: Option<&str>,
        data_version: i64,
    ) -> Result<Status, StoreError> {
        casework::save_draft(self, reference, seen, who, draft, notices, data_version)
    }

    fn draft(&self, reference: &str) -> Result<Option<(String, i64)>, StoreError> {
        casework::draft(self, reference)
    }

    fn open_draft_notices(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Option<String>>, StoreError> {
        casework::open_draft_notices(self)
    }

    fn send(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        entries: &[LogEntry],
        public: &crate::PublicEntry,
        detail: &ActionDetail,
    ) -> Result<Status, StoreError> {
        casework::send(self, reference, seen, who, entries, public, detail, None)
    }

    fn retitle(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        title: &str,
    ) -> Result<(), StoreError> {
        casework::retitle(self, reference, seen, who, title)
    }

    fn public_log(
        &self,
        query: &crate::PublicLogQuery,
    ) -> Result<crate::PublicLogPage, StoreError> {
        public_log::page(self, query)
    }

    fn public_log_facets(&self) -> Result<crate::PublicLogFacets, StoreError> {
        public_log::facets(self)
    }

    fn public_log_version(&self) -> Result<(i64, i64), StoreError> {
        public_log::version(self)
    }

    fn catalogue_at(&self, version: Option<i64>) -> Result<(i64, Catalogue), StoreError> {
        scoped::catalogue_at(&self.engine, version)
    }

    fn read_scope(
        &self,
        version: i64,
        scope: &lantern_core::scope::Scope,
    ) -> Result<crate::ScopedRead, StoreError> {
        scoped::read_scope(&self.engine, version, scope)
    }

    fn read_scope_in_window(
        &self,
        version: i64,
        scope: &lantern_core::scope::Scope,
    ) -> Result<crate::ScopedRead, StoreError> {
        scoped::read_scope_in_window(&self.engine, version, scope)
    }

    fn disclosure_log_about(
        &self,
        scope: &lantern_core::scope::Scope,
    ) -> Result<Vec<crate::CouncilLogEntry>, StoreError> {
        scoped::disclosure_log_about(&self.engine, scope)
    }

    fn disclosure_log_of_cells(
        &self,
        cells: &[(String, String, String)],
    ) -> Result<Vec<LogEntry>, StoreError> {
        log::disclosure_log_of_cells(self, cells)
    }

    fn logged_cells(
        &self,
        cells: &[(String, String, String)],
    ) -> Result<Vec<lantern_core::related::LoggedCell>, StoreError> {
        log::logged_cells(self, cells)
    }

    fn records_held(
        &self,
        version: i64,
        area: &str,
    ) -> Result<lantern_core::records::count::HeldRecords, StoreError> {
        scoped::records_held(&self.engine, version, area)
    }

    fn submissions_held(
        &self,
        version: i64,
        area: &str,
    ) -> Result<lantern_core::records::count::HeldRecords, StoreError> {
        scoped::submissions_held(&self.engine, version, area)
    }

    fn disclosure_log(&self) -> Result<Vec<LogEntry>, StoreError> {
        log::disclosure_log(self)
    }

    fn learn(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        phrase: &str,
        target: &str,
        structured: Option<&str>,
    ) -> Result<(), StoreError> {
        log::learn(self, reference, seen, who, phrase, target, structured)
    }

    fn synonyms(&self) -> Result<Vec<crate::StoredSynonym>, StoreError> {
        log::synonyms(self)
    }

    fn forget_synonym(&mut self, phrase: &str, who: &Who) -> Result<usize, StoreError> {
        log::forget_synonym(self, phrase, who)
    }

    fn resolve_finding(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        resolution: &crate::NewResolution,
    ) -> Result<(), StoreError> {
        not_held::resolve(self, reference, seen, who, resolution)
    }

    fn not_held_declarations(
        &self,
        reference: Option<&str>,
        at: i64,
    ) -> Result<Vec<lantern_core::finding::Declaration>, StoreError> {
        not_held::declarations(self, reference, at)
    }

    fn declarations(&self) -> Result<Vec<crate::StoredDeclaration>, StoreError> {
        not_held::all(self)
    }

    fn withdraw_declaration(
        &mut self,
        meta: &ImportMeta,
        id: i64,
        reason: &str,
    ) -> Result<ImportReceipt, StoreError> {
        not_held::withdraw(self, meta, id, reason)
    }

    fn resolutions(&self, reference: &str) -> Result<Vec<crate::StoredResolution>, StoreError> {
        not_held::resolutions(self, reference)
    }

    fn erase_requester(
        &mut self,
        reference: &str,
        who: &Who,
        note: &str,
        rewrite: crate::Rewrite<'_>,
    ) -> Result<bool, StoreError> {
        casework::erase_requester(self, reference, who, note, rewrite)
    }

    fn reclaim_erased(&mut self) -> Result<(), StoreError> {
        self.engine.reclaim(&[
            "cases",
            "case_events",
            "disclosure_log",
            "finding_resolutions",
            "not_held_declarations",
            "synonyms",
            "audit_log",
            "case_attachments",
            "final_letters",
        ])
    }

    fn import_calendar(
        &mut self,
        meta: &ImportMeta,
        version: &str,
        body: &str,
    ) -> Result<ImportReceipt, StoreError> {
        calendars::import_calendar(self, meta, version, body)
    }

    fn calendars(&self) -> Result<Vec<crate::StoredCalendar>, StoreError> {
        calendars::calendars(self)
    }

    fn councils(&self) -> Result<Vec<crate::StoredCouncil>, StoreError> {
        self.engine.transaction(Mode::Read, council::current)
    }

    fn council_at(
        &self,
        code: &str,
        version: Option<i64>,
    ) -> Result<Option<crate::StoredCouncil>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            council::at(tx, code, version.unwrap_or(i64::MAX))
        })
    }

    fn council_history(&self, code: &str) -> Result<Vec<crate::StoredCouncil>, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| council::history(tx, code))
    }

    fn set_council(
        &mut self,
        meta: &ImportMeta,
        council: &lantern_core::council::Council,
    ) -> Result<crate::CouncilSet, StoreError> {
        self.engine
            .transaction(Mode::Write, |tx| council::set(tx, meta, council))
    }

    fn use_council(&mut self, code: &str) -> Result<crate::StoredCouncil, StoreError> {
        let held = self
            .engine
            .transaction(Mode::Read, |tx| council::existing(tx, code))?;
        self.council = Some(held.council.code().to_string());
        Ok(held)
    }

    fn choose_council(&mut self, code: &str) -> Result<(), StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| council::must_exist(tx, code))?;
        self.council = Some(code.to_string());
        Ok(())
    }

    fn council_in_use(&self) -> Result<Option<String>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let code = self.scope(tx)?;
            Ok((code != council::NO_COUNCIL).then_some(code))
        })
    }

    fn letter_templates_at(
        &self,
        version: Option<i64>,
    ) -> Result<Vec<crate::StoredTemplate>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            templates::at(tx, &council, version.unwrap_or(i64::MAX))
        })
    }

    fn letter_template_history(
        &self,
        name: &str,
    ) -> Result<Vec<crate::StoredTemplate>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            templates::history(tx, &council, name)
        })
    }

    fn set_letter_template(
        &mut self,
        meta: &ImportMeta,
        name: &str,
        source: Option<&str>,
        summary: &str,
    ) -> Result<ImportReceipt, StoreError> {
        let chosen = self.council.clone();
        self.engine.transaction(Mode::Write, |tx| {
            let council = council::scope(tx, chosen.as_deref())?;
            templates::set(tx, &council, meta, name, source, summary)
        })
    }

    fn disclosure_log_of_every_council(
        &self,
        areas: Option<&[String]>,
    ) -> Result<Vec<crate::CouncilLogEntry>, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| council::log_of_every_council(tx, areas))
    }

    fn disclosure_log_mark(&self) -> Result<i64, StoreError> {
        publications::disclosure_log_mark(self)
    }

    fn publish(
        &mut self,
        publication: &crate::publications::NewPublication,
        entries: &[LogEntry],
        who: &Who,
    ) -> Result<(), StoreError> {
        publications::publish(self, publication, entries, who)
    }

    fn publications(&self) -> Result<Vec<crate::publications::StoredPublication>, StoreError> {
        publications::publications(self)
    }

    fn published_version(&self) -> Result<[i64; 4], StoreError> {
        publications::version(self)
    }

    fn published_figures(
        &self,
        query: &crate::publications::PublishedQuery,
    ) -> Result<crate::publications::PublishedPage, StoreError> {
        publications::published_figures(self, query)
    }

    fn plan_publication(
        &mut self,
        plan: &crate::publications::NewPlan,
        who: &Who,
    ) -> Result<i64, StoreError> {
        publications::plan_publication(self, plan, who)
    }

    fn planned_publications(&self) -> Result<Vec<crate::publications::StoredPlan>, StoreError> {
        publications::planned_publications(self)
    }

    fn export(&self) -> Result<Vec<TableRows>, StoreError> {
        export::export(self)
    }

    fn restore(&mut self, tables: &[TableRows]) -> Result<(), StoreError> {
        export::restore(self, tables)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_version_is_the_last_migration() {
        assert_eq!(
            super::MIGRATIONS.last().map(|m| m.0),
            Some(crate::SCHEMA_VERSION)
        );
    }
}
