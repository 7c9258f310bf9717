//! Lantern's storage written once, over any [`Engine`]: every query the
//! [`Store`] trait needs, in the portable SQL both engines share. The
//! adapters in `sqlite.rs` and `postgres.rs` supply only connections,
//! migrations and dialect.

use jiff::civil::Date;
use lantern_core::FinancialYear;
use lantern_core::catalogue::{self, Catalogue};
use lantern_core::figure::{Breakdown, Figure, Provenance, Source, Status as FigureStatus, Value};
use lantern_core::period::Period;
use lantern_core::records::{Agency, FigureSet, YearMonth};
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::json;

use crate::dump::{TABLES, TableRows};
use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{self, Sql, SqlRef, Versioned};
use lantern_core::casework::{self, Action, ActionDetail, Case, CaseEvent, LogEntry, Status};

use crate::{
    AuditEntry, ChunkQuery, Created, FigureQuery, ImportMeta, ImportReceipt, ImportRecord,
    NewFigureSet, NewSubmission, Snapshot, Store, StoreError, StoredChunk, StoredFigureSet,
    SubmissionRecord, SubmitOutcome, Submitted, Who,
};

/// Schema migrations, oldest first, one set for every engine (each engine
/// adjusts the DDL with [`Engine::ddl`]). Append only: never edit a released one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_casework.sql")),
    (3, include_str!("../migrations/0003_disclosure_log.sql")),
    (4, include_str!("../migrations/0004_submissions.sql")),
    (5, include_str!("../migrations/0005_casework_clock.sql")),
    (6, include_str!("../migrations/0006_scrub_reports.sql")),
    (7, include_str!("../migrations/0007_records_owed.sql")),
    (8, include_str!("../migrations/0008_councils.sql")),
];

// Reads sized to one request; a child module, so it shares this file's
// queries and row readers.
#[path = "scoped.rs"]
mod scoped;

/// The [`Store`] over an engine.
#[derive(Debug)]
pub struct SqlStore<E: Engine> {
    engine: E,
    /// The council chosen with [`Store::use_council`], if one was
    /// (`council.rs`: what a handle's casework belongs to).
    council: Option<String>,
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

impl<E: Engine> SqlStore<E> {
    /// Wrap a connected engine. Callers then run [`SqlStore::prepare`].
    pub fn new(engine: E) -> SqlStore<E> {
        SqlStore {
            engine,
            council: None,
        }
    }

    /// The council this handle's casework belongs to, read in `tx`.
    fn scope(&self, tx: &mut dyn Tx) -> Result<String, StoreError> {
        crate::council::scope(tx, self.council.as_deref())
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
                    param_text(catalogue::SHIPPED),
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

    /// Store versioned records (figures, statements, releases, agencies),
    /// set-based: the current rows with the file's keys are read in a few
    /// queries, compared in memory, the changed ones retired in batches and
    /// the new versions and their audit entries written by the engine's bulk
    /// path (binary `COPY` on PostgreSQL). Same outcome, row for row and
    /// audit entry for audit entry, as taking the rows one at a time: a key
    /// that repeats in the file replaces its earlier version from the file.
    fn versioned(
        &mut self,
        meta: &ImportMeta,
        rows: &[Versioned],
    ) -> Result<ImportReceipt, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let import = begin_import(tx, meta, rows.len())?;
            let mut receipt = ImportReceipt {
                import,
                rows: rows.len(),
                ..Default::default()
            };
            if let Some(first) = rows.first() {
                let shape = |r: &Versioned| {
                    (
                        r.table,
                        r.key.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
                        r.data.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
                    )
                };
                let first_shape = shape(first);
                if rows.iter().any(|r| shape(r) != first_shape) {
                    return Err(invalid("records of different kinds in one import"));
                }
                store_versions(tx, import, meta, rows, &mut receipt)?;
            }
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            Ok(receipt)
        })
    }
}

/// How many values go in one `IN (…)` list (well under both engines'
/// limits on parameters).
const IN_BATCH: usize = 500;

/// The version a key has while an import is compared: one the table holds
/// (its id and data), or one added earlier in the same file.
enum Current {
    Held(i64, Vec<Sql>),
    Added(usize),
}

/// The body of [`SqlStore::versioned`] for rows of one shape.
pub(crate) fn store_versions(
    tx: &mut dyn Tx,
    import: i64,
    meta: &ImportMeta,
    rows: &[Versioned],
    receipt: &mut ImportReceipt,
) -> Result<(), StoreError> {
    let first = &rows[0];
    let table = first.table;
    let key_columns: Vec<&str> = first.key.iter().map(|(c, _)| *c).collect();
    let data_columns: Vec<&str> = first.data.iter().map(|(c, _)| *c).collect();
    let mut kinds = vec![Kind::Int];
    kinds.extend(first.key.iter().map(|(_, v)| v.kind()));
    kinds.extend(first.data.iter().map(|(_, v)| v.kind()));

    // The current rows whose first key column has one of the file's values.
    let mut current: HashMap<Vec<Sql>, Current> = HashMap::new();
    let is_null = |v: &Sql| matches!(v, Sql::Int(None) | Sql::Text(None) | Sql::Blob(None));
    let mut seen: HashSet<&Sql> = HashSet::new();
    let firsts: Vec<&Sql> = rows
        .iter()
        .map(|r| &r.key[0].1)
        .filter(|v| seen.insert(*v))
        .collect();
    let has_null = firsts.iter().any(|v| is_null(v));
    let values: Vec<Sql> = firsts
        .into_iter()
        .filter(|v| !is_null(v))
        .cloned()
        .collect();
    let select = format!(
        "SELECT id, {}, {} FROM {table} WHERE retired_in IS NULL AND ",
        key_columns.join(", "),
        data_columns.join(", ")
    );
    let mut read = |tx: &mut dyn Tx, sql: String, params: &[Sql]| -> Result<(), StoreError> {
        for row in tx.query(&sql, params, &kinds)? {
            let mut row = row.into_iter();
            let id = row.next().map(|v| int(&v)).unwrap_or_default();
            let key: Vec<Sql> = row.by_ref().take(key_columns.len()).collect();
            current.insert(key, Current::Held(id, row.collect()));
        }
        Ok(())
    };
    for batch in values.chunks(IN_BATCH) {
        let placeholders: Vec<String> = (1..=batch.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "{select}{} IN ({})",
            key_columns[0],
            placeholders.join(", ")
        );
        read(tx, sql, batch)?;
    }
    if has_null {
        read(tx, format!("{select}{} IS NULL", key_columns[0]), &[])?;
    }

    // Compare in file order.
    struct Added<'a> {
        row: &'a Versioned,
        retired: bool,
    }
    let mut added: Vec<Added<'_>> = Vec::new();
    let mut retire: Vec<i64> = Vec::new();
    let mut audits: Vec<(String, &str, String)> = Vec::new();
    for row in rows {
        let key: Vec<Sql> = row.key.iter().map(|(_, v)| v.clone()).collect();
        let new_values = row.data_values();
        let (action, detail) = match current.get(&key) {
            None => {
                receipt.added += 1;
                let after = row.data_json(&new_values);
                ("add", json!({ "after": after, "line": row.line }))
            }
            Some(Current::Held(_, old)) if *old == new_values => {
                receipt.unchanged += 1;
                continue;
            }
            Some(Current::Added(i)) if added[*i].row.data_values() == new_values => {
                receipt.unchanged += 1;
                continue;
            }
            Some(version) => {
                let before = match version {
                    Current::Held(id, old) => {
                        retire.push(*id);
                        row.data_json(old)
                    }
                    Current::Added(i) => {
                        added[*i].retired = true;
                        added[*i].row.data_json(&added[*i].row.data_values())
                    }
                };
                receipt.replaced += 1;
                let after = row.data_json(&new_values);
                (
                    "replace",
                    json!({ "before": before, "after": after, "line": row.line }),
                )
            }
        };
        current.insert(key, Current::Added(added.len()));
        added.push(Added {
            row,
            retired: false,
        });
        audits.push((
            format!("{}.{action}", row.entity),
            &row.label,
            detail.to_string(),
        ));
    }

    for batch in retire.chunks(IN_BATCH) {
        // Ids the database gave: integers, safe to write inline.
        let ids: Vec<String> = batch.iter().map(i64::to_string).collect();
        tx.execute(
            &format!(
                "UPDATE {table} SET retired_in = $1 WHERE id IN ({})",
                ids.join(", ")
            ),
            &[param(import)],
        )?;
    }
    let mut columns: Vec<(&str, Kind)> = first
        .key
        .iter()
        .chain(&first.data)
        .map(|(c, v)| (*c, v.kind()))
        .collect();
    columns.extend([
        ("import_id", Kind::Int),
        ("line", Kind::Int),
        ("added_in", Kind::Int),
        ("retired_in", Kind::Int),
    ]);
    let new_rows: Vec<Vec<SqlRef<'_>>> = added
        .iter()
        .map(|a| {
            let mut values: Vec<SqlRef<'_>> = a
                .row
                .key
                .iter()
                .chain(&a.row.data)
                .map(|(_, v)| v.borrowed())
                .collect();
            values.extend([
                SqlRef::Int(Some(import)),
                SqlRef::Int(Some(a.row.line as i64)),
                SqlRef::Int(Some(import)),
                SqlRef::Int(a.retired.then_some(import)),
            ]);
            values
        })
        .collect();
    tx.insert_many(table, &columns, &new_rows)?;
    insert_audits(
        tx,
        import,
        meta,
        audits
            .iter()
            .map(|(action, key, detail)| (action.as_str(), *key, detail.as_str())),
    )?;
    Ok(())
}

/// The columns of an audit entry, for bulk inserts.
const AUDIT_COLUMNS: &[(&str, Kind)] = &[
    ("import_id", Kind::Int),
    ("at", Kind::Text),
    ("actor", Kind::Text),
    ("action", Kind::Text),
    ("record_key", Kind::Text),
    ("detail", Kind::Text),
];

pub(crate) fn begin_import(
    tx: &mut dyn Tx,
    meta: &ImportMeta,
    rows: usize,
) -> Result<i64, StoreError> {
    let id = tx.query(
        "INSERT INTO imports (kind, file, sha256, actor, at, rows_read, added, replaced, unchanged)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0) RETURNING id",
        &[
            param_text(meta.kind.code()),
            param_text(&meta.file),
            param_text(&meta.sha256),
            param_text(&meta.actor),
            param_text(&meta.at),
            param(rows as i64),
        ],
        &[Kind::Int],
    )?;
    id.first()
        .map(|r| int(&r[0]))
        .ok_or_else(|| damaged("the new import has no id"))
}

pub(crate) fn finish_import(
    tx: &mut dyn Tx,
    import: i64,
    receipt: &ImportReceipt,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE imports SET added = $2, replaced = $3, unchanged = $4 WHERE id = $1",
        &[
            param(import),
            param(receipt.added as i64),
            param(receipt.replaced as i64),
            param(receipt.unchanged as i64),
        ],
    )?;
    Ok(())
}

pub(crate) fn audit(
    tx: &mut dyn Tx,
    import: i64,
    meta: &ImportMeta,
    action: &str,
    key: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (import_id, at, actor, action, record_key, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            param(import),
            param_text(&meta.at),
            param_text(&meta.actor),
            param_text(action),
            param_text(key),
            param_text(&detail.to_string()),
        ],
    )?;
    Ok(())
}

/// Audit many changes of one kind at once (the engine's bulk path):
/// `entries` are (record key, detail JSON).
fn audit_many(
    tx: &mut dyn Tx,
    import: i64,
    meta: &ImportMeta,
    action: &str,
    entries: &[(String, String)],
) -> Result<(), StoreError> {
    insert_audits(
        tx,
        import,
        meta,
        entries
            .iter()
            .map(|(key, detail)| (action, key.as_str(), detail.as_str())),
    )
}

/// Insert audit entries (action, record key, detail JSON) of one import in
/// one bulk write (the engine's bulk path: COPY on PostgreSQL).
fn insert_audits<'a>(
    tx: &mut dyn Tx,
    import: i64,
    meta: &'a ImportMeta,
    entries: impl Iterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<(), StoreError> {
    let rows: Vec<Vec<SqlRef<'a>>> = entries
        .map(|(action, key, detail)| {
            vec![
                SqlRef::Int(Some(import)),
                SqlRef::Text(Some(&meta.at)),
                SqlRef::Text(Some(&meta.actor)),
                SqlRef::Text(Some(action)),
                SqlRef::Text(Some(key)),
                SqlRef::Text(Some(detail)),
            ]
        })
        .collect();
    tx.insert_many("audit_log", AUDIT_COLUMNS, &rows)?;
    Ok(())
}

pub(crate) fn data_version(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    one_int(
        tx,
        "SELECT coalesce(max(id), 0) FROM imports WHERE added + replaced > 0",
        &[],
    )
}

/// The name of the catalogue layers that hold Lantern's shipped catalogue
/// (the first, at init, and one per upgrade that changed it).
const SHIPPED_LAYER: &str = "catalogue/indicators.toml";

/// The catalogue as it stood at `version`: the newest shipped layer up to
/// then, extended by the council's layers in the order they came.
fn catalogue_at(tx: &mut dyn Tx, version: i64) -> Result<Catalogue, StoreError> {
    let layers = tx.query(
        "SELECT name, body FROM catalogue_layers WHERE added_in <= $1 ORDER BY id",
        &[param(version)],
        &[Kind::Text, Kind::Text],
    )?;
    let shipped = layers.iter().rposition(|l| text(&l[0]) == SHIPPED_LAYER);
    let extensions = layers
        .iter()
        .enumerate()
        .filter(|(_, l)| text(&l[0]) != SHIPPED_LAYER)
        .map(|(i, _)| i);
    let mut catalogue = Catalogue::default();
    for i in shipped.into_iter().chain(extensions) {
        let layer = &layers[i];
        catalogue
            .extend_from_toml(&text(&layer[0]), &text(&layer[1]))
            .map_err(StoreError::Catalogue)?;
    }
    Ok(catalogue)
}

/// The imported figures live at data version `$1`, with their import (then
/// more conditions, then [`FIGURE_ORDER`]); rows read by [`figure`].
const FIGURE_SELECT: &str =
    "SELECT f.indicator, f.area, f.period, f.breakdown, f.source, f.kind, f.amount, f.amount_high,
            f.reason, f.status, f.coverage, f.note, f.import_id, f.line, i.file, i.actor, i.at
     FROM figures f JOIN imports i ON i.id = f.import_id
     WHERE f.added_in <= $1 AND (f.retired_in IS NULL OR f.retired_in > $1)";

/// The order figures are read in.
const FIGURE_ORDER: &str =
    "ORDER BY f.indicator, f.area, f.period_first, f.period_last, f.breakdown, f.source";

/// The column kinds of [`FIGURE_SELECT`].
const FIGURE_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
];

fn figures_at(
    tx: &mut dyn Tx,
    query: &FigureQuery,
    version: i64,
) -> Result<Vec<Figure>, StoreError> {
    let rows = tx.query(
        &format!(
            "{FIGURE_SELECT}
             AND (CAST($2 AS TEXT) IS NULL OR f.indicator = $2) AND (CAST($3 AS TEXT) IS NULL OR f.area = $3)
             {FIGURE_ORDER}"
        ),
        &[
            param(version),
            Sql::Text(query.indicator.clone()),
            Sql::Text(query.area.clone()),
        ],
        FIGURE_KINDS,
    )?;
    let mut figures = rows
        .iter()
        .map(|r| figure(r))
        .collect::<Result<Vec<_>, _>>()?;
    figures.extend(record_figures_at(tx, query, version)?);
    Ok(figures)
}

/// The figure sets live at data version `$1` (then more conditions and
/// `ORDER BY r.area, r.financial_year`); rows read by [`set_figures`].
const RECORD_SET_SELECT: &str =
    "SELECT r.area, r.financial_year, r.status, r.body, r.submissions, r.added_in, i.actor, i.at
     FROM record_figure_sets r JOIN imports i ON i.id = r.added_in
     WHERE r.added_in <= $1 AND (r.retired_in IS NULL OR r.retired_in > $1)";

/// The column kinds of [`RECORD_SET_SELECT`].
const RECORD_SET_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
];

/// The figures computed from records (figure sets) live at `version`: one
/// per count, from [`Source::LocalRecords`], ordered like imported figures.
fn record_figures_at(
    tx: &mut dyn Tx,
    query: &FigureQuery,
    version: i64,
) -> Result<Vec<Figure>, StoreError> {
    let rows = tx.query(
        &format!(
            "{RECORD_SET_SELECT} AND (CAST($2 AS TEXT) IS NULL OR r.area = $2)
             ORDER BY r.area, r.financial_year"
        ),
        &[param(version), Sql::Text(query.area.clone())],
        RECORD_SET_KINDS,
    )?;
    let mut figures = Vec::new();
    for r in &rows {
        figures.extend(set_figures(r, &|indicator: &str| {
            query.indicator.as_ref().is_none_or(|i| i == indicator)
        })?);
    }
    sort_record_figures(&mut figures);
    Ok(figures)
}

/// The counts of one figure set row (`area, financial_year, status, body,
/// submissions, added_in, actor, at`) as figures, those of the indicators
/// `keep` admits only.
fn set_figures(r: &[Sql], keep: &dyn Fn(&str) -> bool) -> Result<Vec<Figure>, StoreError> {
    let (area, year) = (text(&r[0]), stored_year(&r[1])?);
    let bad = |what: String| damaged(format!("figure set {area} {year}: {what}"));
    let status = FigureStatus::parse(&text(&r[2])).map_err(bad)?;
    let counts = FigureSet::parse_body(&text(&r[3])).map_err(bad)?;
    let submissions = id_list(&r[4])?;
    let file = if submissions.is_empty() {
        "records".to_string()
    } else {
        let ids: Vec<String> = submissions.iter().map(i64::to_string).collect();
        format!("records: submissions {}", ids.join(", "))
    };
    let provenance = Provenance {
        import: int(&r[5]),
        file,
        line: 0,
        actor: text(&r[6]),
        imported_at: text(&r[7]),
    };
    let mut figures = Vec::new();
    for c in counts {
        if !keep(&c.indicator) {
            continue;
        }
        let value = i64::try_from(c.value).map_err(|e| bad(e.to_string()))?;
        figures.push(Figure {
            period: Period::FinancialYear(year),
            breakdown: Breakdown::from_key(&c.breakdown),
            value: Value::Exact(value),
            source: Source::LocalRecords,
            status,
            coverage: c.coverage.into_iter().collect(),
            note: None,
            provenance: provenance.clone(),
            area: area.clone(),
            indicator: c.indicator,
        });
    }
    Ok(figures)
}

/// Figures from records in the order imported figures are read in.
fn sort_record_figures(figures: &mut [Figure]) {
    figures.sort_by_cached_key(|f| {
        (
            f.indicator.clone(),
            f.area.clone(),
            f.period.first_day(),
            f.breakdown.key(),
        )
    });
}

/// At most this many values in one `IN (…)` list (both engines take far
/// more; this keeps statements short).
const IN_LIST: usize = 500;

/// The `WHERE` condition (on `submission_chunks c` joined to `submissions
/// s`) and parameters selecting a [`ChunkQuery`]'s chunks; `None` when it
/// can select none.
fn chunk_filter(query: &ChunkQuery) -> Option<(String, Vec<Sql>)> {
    let mut sql = String::new();
    let mut params = Vec::new();
    match query.submission {
        Some(id) => {
            sql.push_str("c.submission_id = $1");
            params.push(param(id));
        }
        None => sql.push_str(&format!("c.submission_id IN ({CURRENT_SUBMISSIONS})")),
    }
    if let Some(areas) = &query.areas {
        if areas.is_empty() {
            return None;
        }
        let first = params.len() + 1;
        let placeholders: Vec<String> = (first..first + areas.len())
            .map(|i| format!("${i}"))
            .collect();
        sql.push_str(&format!(" AND c.area IN ({})", placeholders.join(", ")));
        params.extend(areas.iter().map(|a| param_text(a)));
    }
    Some((sql, params))
}

/// The ids of every provider's current submission: accepted, not replaced,
/// and of the latest month among those (the newest, should two share it).
const CURRENT_SUBMISSIONS: &str = "SELECT s.id FROM submissions s
    WHERE s.status = 'accepted' AND s.replaced_by IS NULL AND s.withdrawn_in IS NULL
      AND NOT EXISTS (SELECT 1 FROM submissions t
        WHERE t.provider = s.provider AND t.status = 'accepted' AND t.replaced_by IS NULL
          AND t.withdrawn_in IS NULL
          AND (t.month > s.month OR (t.month = s.month AND t.id > s.id)))";

/// The counts that differ between two figure-set bodies, for the audit log:
/// `indicator|breakdown: before -> after` (at most 50, then how many more).
fn changed_counts(before: &str, after: &str) -> Vec<String> {
    let read = |body: &str| -> std::collections::HashMap<String, u64> {
        FigureSet::parse_body(body)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (format!("{}|{}", c.indicator, c.breakdown), c.value))
            .collect()
    };
    let (old, new) = (read(before), read(after));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut more = 0usize;
    let show = |v: Option<&u64>| v.map_or("none".to_string(), u64::to_string);
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        if out.len() < 50 {
            out.push(format!("{key}: {} -> {}", show(a), show(b)));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(format!("and {more} more"));
    }
    out
}

/// A provider's current submission (as [`CURRENT_SUBMISSIONS`] decides).
fn current_submission(tx: &mut dyn Tx, provider: &str) -> Result<Option<i64>, StoreError> {
    let rows = tx.query(
        "SELECT id FROM submissions
         WHERE provider = $1 AND status = 'accepted' AND replaced_by IS NULL
           AND withdrawn_in IS NULL
         ORDER BY month DESC, id DESC LIMIT 1",
        &[param_text(provider)],
        &[Kind::Int],
    )?;
    Ok(rows.first().map(|r| int(&r[0])))
}

/// The areas a submission's records are in (none for `None`).
fn submission_areas(tx: &mut dyn Tx, id: Option<i64>) -> Result<Vec<String>, StoreError> {
    let Some(id) = id else { return Ok(Vec::new()) };
    let rows = tx.query(
        "SELECT areas FROM submissions WHERE id = $1",
        &[param(id)],
        &[Kind::Text],
    )?;
    match rows.first() {
        Some(r) => serde_json::from_str(&text(&r[0]))
            .map_err(|e| damaged(format!("the areas of submission {id}: {e}"))),
        None => Ok(Vec::new()),
    }
}

/// Record a recomputation owed for `areas`, in the transaction that made
/// the figures stale; returns its id.
#[allow(clippy::too_many_arguments)]
fn owe(
    tx: &mut dyn Tx,
    import: i64,
    meta: &ImportMeta,
    reason: &str,
    submission: Option<i64>,
    previous: Option<i64>,
    mut areas: Vec<String>,
) -> Result<i64, StoreError> {
    areas.sort();
    areas.dedup();
    let opt = |v: Option<i64>| Sql::Int(v);
    let rows = tx.query(
        "INSERT INTO records_owed (import_id, reason, submission, previous, areas, at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            param(import),
            param_text(reason),
            opt(submission),
            opt(previous),
            param_text(&json!(areas).to_string()),
            param_text(&meta.at),
        ],
        &[Kind::Int],
    )?;
    rows.first()
        .map(|r| int(&r[0]))
        .ok_or_else(|| damaged("the owed recomputation has no id"))
}

const SUBMISSION_COLUMNS: &str = "SELECT id, import_id, provider, month, sha256, key_fingerprint,
    file, status, rows_read, rows_accepted, rows_rejected, report, areas, replaced_by, actor, at,
    withdrawn_reason";

const SUBMISSION_KINDS: &[Kind] = &[
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
];

/// Submissions matching `filter` (SQL on `submissions`, may be empty), oldest first.
fn submissions_where(
    tx: &mut dyn Tx,
    filter: &str,
    params: &[Sql],
) -> Result<Vec<SubmissionRecord>, StoreError> {
    let rows = tx.query(
        &format!(
            "{SUBMISSION_COLUMNS},
                CAST(CASE WHEN id IN ({CURRENT_SUBMISSIONS}) THEN 1 ELSE 0 END AS BIGINT)
             FROM submissions {filter} ORDER BY id"
        ),
        params,
        SUBMISSION_KINDS,
    )?;
    rows.iter()
        .map(|r| {
            let status = text(&r[7]);
            Ok(SubmissionRecord {
                id: int(&r[0]),
                import: int(&r[1]),
                provider: text(&r[2]),
                month: stored_month(&r[3])?,
                sha256: text(&r[4]),
                key_fingerprint: text(&r[5]),
                file: text(&r[6]),
                status: match status.as_str() {
                    "accepted" | "rejected" => status,
                    other => return Err(damaged(format!("submission status '{other}'"))),
                },
                rows_read: stored_count(&r[8], "rows read")?,
                rows_accepted: stored_count(&r[9], "rows accepted")?,
                rows_rejected: stored_count(&r[10], "rows rejected")?,
                report: text(&r[11]),
                areas: serde_json::from_str(&text(&r[12]))
                    .map_err(|e| damaged(format!("submission areas: {e}")))?,
                replaced_by: opt_int(&r[13]),
                actor: text(&r[14]),
                at: text(&r[15]),
                withdrawn: opt_text(&r[16]),
                current: int(&r[17]) == 1,
            })
        })
        .collect()
}

fn figure(r: &[Sql]) -> Result<Figure, StoreError> {
    let (indicator, period_text) = (text(&r[0]), text(&r[2]));
    let bad = |what: &str| damaged(format!("figure {indicator} {period_text}: {what}"));
    let reason = opt_text(&r[8]).unwrap_or_default();
    let value = match (text(&r[5]).as_str(), opt_int(&r[6]), opt_int(&r[7])) {
        ("exact", Some(a), _) => Value::Exact(a),
        ("approx", Some(low), Some(high)) => Value::Approximate { low, high },
        ("zero", _, _) => Value::Zero { reason },
        ("not_held", _, _) => Value::NotHeld { reason },
        ("not_yet_shareable", _, _) => Value::NotYetShareable { reason },
        _ => return Err(bad("unknown value kind")),
    };
    Ok(Figure {
        period: Period::parse(&period_text).map_err(|e| bad(&e.to_string()))?,
        breakdown: Breakdown::from_key(&text(&r[3])),
        source: Source::parse(&text(&r[4])).map_err(|e| bad(&e))?,
        status: FigureStatus::parse(&text(&r[9])).map_err(|e| bad(&e))?,
        coverage: serde_json::from_str(&text(&r[10])).map_err(|e| bad(&e.to_string()))?,
        note: opt_text(&r[11]),
        value,
        provenance: Provenance {
            import: int(&r[12]),
            line: int(&r[13]) as u64,
            file: text(&r[14]),
            actor: text(&r[15]),
            imported_at: text(&r[16]),
        },
        area: text(&r[1]),
        indicator,
    })
}

fn statements_at(tx: &mut dyn Tx, version: i64) -> Result<Vec<Statement>, StoreError> {
    use Kind::{Int, Text};
    let rows = tx.query(
        "SELECT s.topic, s.area, s.text, s.valid_from, s.valid_to, s.source, s.import_id, s.line, i.file, i.actor, i.at
         FROM statements s JOIN imports i ON i.id = s.import_id
         WHERE s.added_in <= $1 AND (s.retired_in IS NULL OR s.retired_in > $1)
         ORDER BY s.topic, s.area, s.valid_from",
        &[param(version)],
        &[Text, Text, Text, Text, Text, Text, Int, Int, Text, Text, Text],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Statement {
                topic: text(&r[0]),
                area: text(&r[1]),
                text: text(&r[2]),
                valid_from: opt_date(opt_text(&r[3]))?,
                valid_to: opt_date(opt_text(&r[4]))?,
                source: opt_text(&r[5]),
                provenance: Provenance {
                    import: int(&r[6]),
                    line: int(&r[7]) as u64,
                    file: text(&r[8]),
                    actor: text(&r[9]),
                    imported_at: text(&r[10]),
                },
            })
        })
        .collect()
}

fn releases_at(tx: &mut dyn Tx, version: i64) -> Result<Vec<Release>, StoreError> {
    use Kind::Text;
    let rows = tx.query(
        "SELECT code, title, publisher, date, announced, indicators, periods, url FROM releases
         WHERE added_in <= $1 AND (retired_in IS NULL OR retired_in > $1) ORDER BY date, code",
        &[param(version)],
        &[Text, Text, Text, Text, Text, Text, Text, Text],
    )?;
    rows.iter()
        .map(|r| {
            let indicators: Vec<String> = serde_json::from_str(&text(&r[5])).map_err(damaged)?;
            let periods: Vec<String> = serde_json::from_str(&text(&r[6])).map_err(damaged)?;
            let periods = periods
                .iter()
                .map(|p| Period::parse(p).map_err(damaged))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Release {
                code: text(&r[0]),
                title: text(&r[1]),
                publisher: text(&r[2]),
                date: date(&text(&r[3]))?,
                announced: opt_date(opt_text(&r[4]))?,
                indicators,
                periods,
                url: opt_text(&r[7]),
            })
        })
        .collect()
}

const CASE_COLUMNS: &str = "SELECT reference, received, status, requester_name, requester_contact,
    retain_until, original, structured, opened_at, opened_by FROM cases WHERE council = $1";

fn status(code: &str) -> Result<Status, StoreError> {
    Status::parse(code).ok_or_else(|| damaged(format!("unknown case status '{code}'")))
}

fn case_from(r: &[Sql]) -> Result<Case, StoreError> {
    Ok(Case {
        reference: text(&r[0]),
        received: date(&text(&r[1]))?,
        status: status(&text(&r[2]))?,
        requester_name: opt_text(&r[3]),
        requester_contact: opt_text(&r[4]),
        retain_until: opt_date(opt_text(&r[5]))?,
        original: text(&r[6]),
        structured: opt_text(&r[7]),
        opened_at: text(&r[8]),
        opened_by: text(&r[9]),
    })
}

#[allow(clippy::too_many_arguments)]
fn case_event(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    who: &Who,
    action: &str,
    from: Option<Status>,
    to: Status,
    detail: &ActionDetail,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO case_events (reference, at, actor, action, from_status, to_status, note,
            on_day, extended_to, calendar, council)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            param_text(reference),
            param_text(&who.at),
            param_text(&who.actor),
            param_text(action),
            Sql::Text(from.map(|s| s.code().to_string())),
            param_text(to.code()),
            Sql::Text(detail.note.clone()),
            Sql::Text(detail.on.map(|d| d.to_string())),
            Sql::Text(detail.extended_to.map(|d| d.to_string())),
            Sql::Text(detail.calendar.clone()),
            param_text(council),
        ],
    )?;
    Ok(())
}

/// Take an action on a case inside a write transaction (see [`Store::act`]).
fn act_in(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    seen: Status,
    action: Action,
    who: &Who,
    detail: &ActionDetail,
) -> Result<Status, StoreError> {
    let now = status_as_seen(tx, council, reference, seen)?;
    let to = casework::transition(now, action).map_err(|error| StoreError::Refused {
        reference: reference.to_string(),
        error,
    })?;
    tx.execute(
        "UPDATE cases SET status = $2 WHERE reference = $1 AND council = $3",
        &[
            param_text(reference),
            param_text(to.code()),
            param_text(council),
        ],
    )?;
    case_event(
        tx,
        council,
        reference,
        who,
        action.code(),
        Some(now),
        to,
        detail,
    )?;
    Ok(to)
}

/// A case's status when what it asks may still be corrected (before a
/// draft); see [`status_as_seen`] for a case moved on meanwhile.
fn correctable(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    seen: Status,
) -> Result<Status, StoreError> {
    let now = status_as_seen(tx, council, reference, seen)?;
    if !matches!(now, Status::Received | Status::InProgress) {
        return Err(StoreError::Refused {
            reference: reference.to_string(),
            error: casework::correction_refused(now),
        });
    }
    Ok(now)
}

/// A case's status, provided it is still the one the caller saw; otherwise a
/// conflict naming who moved it on and when.
fn status_as_seen(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    seen: Status,
) -> Result<Status, StoreError> {
    let rows = tx.query(
        "SELECT status FROM cases WHERE reference = $1 AND council = $2",
        &[param_text(reference), param_text(council)],
        &[Kind::Text],
    )?;
    let now = match rows.first() {
        Some(r) => status(&text(&r[0]))?,
        None => return Err(StoreError::NoSuchCase(reference.to_string())),
    };
    if now != seen {
        let last = tx.query(
            "SELECT actor, at FROM case_events WHERE reference = $1 AND council = $2
             ORDER BY id DESC LIMIT 1",
            &[param_text(reference), param_text(council)],
            &[Kind::Text, Kind::Text],
        )?;
        let (by, at) = last
            .first()
            .map(|r| (text(&r[0]), text(&r[1])))
            .unwrap_or_default();
        return Err(StoreError::Conflict {
            reference: reference.to_string(),
            now,
            by,
            at,
        });
    }
    Ok(now)
}

impl<E: Engine> Store for SqlStore<E> {
    fn data_version(&self) -> Result<i64, StoreError> {
        self.engine.transaction(Mode::Read, data_version)
    }

    fn catalogue(&self) -> Result<Catalogue, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| catalogue_at(tx, i64::MAX))
    }

    fn extend_catalogue(
        &mut self,
        meta: &ImportMeta,
        body: &str,
    ) -> Result<ImportReceipt, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            // Checked against what is held, inside the write: a bad extension changes nothing.
            let mut catalogue = catalogue_at(tx, i64::MAX)?;
            catalogue
                .extend_from_toml(&meta.file, body)
                .map_err(StoreError::Extension)?;
            let import = begin_import(tx, meta, 1)?;
            // A council's file never takes the shipped layers' name.
            let name = if meta.file == SHIPPED_LAYER {
                format!("council:{}", meta.file)
            } else {
                meta.file.clone()
            };
            tx.execute(
                "INSERT INTO catalogue_layers (name, body, added_in) VALUES ($1, $2, $3)",
                &[param_text(&name), param_text(body), param(import)],
            )?;
            audit(
                tx,
                import,
                meta,
                "catalogue.extend",
                &meta.file,
                json!({ "sha256": meta.sha256 }),
            )?;
            let mut receipt = ImportReceipt {
                import,
                rows: 1,
                added: 1,
                ..Default::default()
            };
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            Ok(receipt)
        })
    }

    fn upgrade_catalogue(
        &mut self,
        meta: &ImportMeta,
        shipped: &str,
    ) -> Result<ImportReceipt, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let held = tx.query(
                "SELECT body FROM catalogue_layers WHERE name = $1 ORDER BY id DESC LIMIT 1",
                &[param_text(SHIPPED_LAYER)],
                &[Kind::Text],
            )?;
            if held.first().map(|r| text(&r[0])).as_deref() == Some(shipped) {
                // Nothing to record: no import is listed for it.
                return Ok(ImportReceipt {
                    rows: 1,
                    unchanged: 1,
                    data_version: data_version(tx)?,
                    ..Default::default()
                });
            }
            let import = begin_import(tx, meta, 1)?;
            tx.execute(
                "INSERT INTO catalogue_layers (name, body, added_in) VALUES ($1, $2, $3)",
                &[
                    param_text(SHIPPED_LAYER),
                    param_text(shipped),
                    param(import),
                ],
            )?;
            // The new shipped catalogue must still take the council's
            // extensions; otherwise nothing changes.
            catalogue_at(tx, i64::MAX).map_err(|e| match e {
                StoreError::Catalogue(e) => StoreError::Extension(e),
                other => other,
            })?;
            audit(
                tx,
                import,
                meta,
                "catalogue.upgrade",
                SHIPPED_LAYER,
                json!({ "sha256": meta.sha256 }),
            )?;
            let mut receipt = ImportReceipt {
                import,
                rows: 1,
                added: 1,
                ..Default::default()
            };
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            Ok(receipt)
        })
    }

    fn import_figures(
        &mut self,
        meta: &ImportMeta,
        figures: &[Figure],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = figures.iter().map(rows::figure).collect();
        self.versioned(meta, &rows)
    }

    fn import_statements(
        &mut self,
        meta: &ImportMeta,
        statements: &[Statement],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = statements.iter().map(rows::statement).collect();
        self.versioned(meta, &rows)
    }

    fn import_releases(
        &mut self,
        meta: &ImportMeta,
        releases: &[(u64, Release)],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = releases.iter().map(|(l, r)| rows::release(*l, r)).collect();
        self.versioned(meta, &rows)
    }

    fn import_agencies(
        &mut self,
        meta: &ImportMeta,
        agencies: &[(u64, Agency)],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = agencies.iter().map(|(l, a)| rows::agency(*l, a)).collect();
        self.versioned(meta, &rows)
    }

    fn agencies(&self) -> Result<Vec<Agency>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT code, name, area FROM agencies WHERE retired_in IS NULL ORDER BY code",
                &[],
                &[Kind::Text; 3],
            )?;
            Ok(rows
                .iter()
                .map(|r| Agency {
                    code: text(&r[0]),
                    name: text(&r[1]),
                    area: opt_text(&r[2]),
                })
                .collect())
        })
    }

    fn submit(
        &mut self,
        meta: &ImportMeta,
        submission: &NewSubmission,
    ) -> Result<Submitted, StoreError> {
        let sub = submission;
        // Everything is checked before the transaction starts.
        if sub.provider.trim().is_empty() {
            return Err(invalid("a submission needs a provider"));
        }
        let month = month_text(sub.month)?;
        let key = format!("{} {month}", sub.provider);
        let rows_read = count(sub.rows_read, "rows read")?;
        let rows_accepted = count(sub.rows_accepted, "rows accepted")?;
        let rows_rejected = count(sub.rows_rejected, "rows rejected")?;
        let chunks = if sub.accepted { &sub.chunks[..] } else { &[] };
        let mut chunk_counts = Vec::with_capacity(chunks.len());
        for c in chunks {
            if c.area.trim().is_empty() {
                return Err(invalid("a chunk of records needs an area"));
            }
            chunk_counts.push(count(c.records, "records in a chunk")?);
        }
        let mut areas: Vec<&str> = chunks.iter().map(|c| c.area.as_str()).collect();
        areas.sort_unstable();
        areas.dedup();
        let rows_json = json!({
            "read": sub.rows_read,
            "accepted": sub.rows_accepted,
            "rejected": sub.rows_rejected,
        });
        self.engine.transaction(Mode::Write, |tx| {
            let insert = |tx: &mut dyn Tx, import: i64, status: &str| -> Result<i64, StoreError> {
                let rows = tx.query(
                    "INSERT INTO submissions (import_id, provider, month, sha256, key_fingerprint,
                        file, status, rows_read, rows_accepted, rows_rejected, report, areas,
                        actor, at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                     RETURNING id",
                    &[
                        param(import),
                        param_text(&sub.provider),
                        param_text(&month),
                        param_text(&meta.sha256),
                        param_text(&sub.key_fingerprint),
                        param_text(&meta.file),
                        param_text(status),
                        rows_read.clone(),
                        rows_accepted.clone(),
                        rows_rejected.clone(),
                        param_text(&sub.report_json),
                        param_text(&json!(areas).to_string()),
                        param_text(&meta.actor),
                        param_text(&meta.at),
                    ],
                    &[Kind::Int],
                )?;
                rows.first()
                    .map(|r| int(&r[0]))
                    .ok_or_else(|| damaged("the new submission has no id"))
            };
            let rows = usize::try_from(sub.rows_read).unwrap_or(usize::MAX);
            let accepted = usize::try_from(sub.rows_accepted).unwrap_or(usize::MAX);

            if !sub.accepted {
                // Kept for its report; an import with no changes, so the
                // data version does not move.
                let import = begin_import(tx, meta, rows)?;
                let id = insert(tx, import, "rejected")?;
                audit(
                    tx,
                    import,
                    meta,
                    "submission.reject",
                    &key,
                    json!({ "id": id, "sha256": meta.sha256, "rows": rows_json }),
                )?;
                let receipt = ImportReceipt {
                    import,
                    rows,
                    data_version: data_version(tx)?,
                    ..Default::default()
                };
                return Ok(Submitted {
                    id,
                    outcome: SubmitOutcome::Rejected,
                    previous_current: None,
                    replaced: None,
                    receipt,
                    owed: None,
                });
            }

            // The accepted, not replaced submission(s) for this provider and
            // month (one, unless the database was edited by hand).
            let same_month = tx.query(
                "SELECT id, sha256, key_fingerprint FROM submissions
                 WHERE provider = $1 AND month = $2 AND status = 'accepted' AND replaced_by IS NULL
                   AND withdrawn_in IS NULL
                 ORDER BY id DESC",
                &[param_text(&sub.provider), param_text(&month)],
                &[Kind::Int, Kind::Text, Kind::Text],
            )?;
            if let Some(held) = same_month.first()
                && text(&held[1]) == meta.sha256
                && text(&held[2]) == sub.key_fingerprint
            {
                let import = begin_import(tx, meta, rows)?;
                let mut receipt = ImportReceipt {
                    import,
                    rows,
                    unchanged: accepted,
                    ..Default::default()
                };
                finish_import(tx, import, &receipt)?;
                receipt.data_version = data_version(tx)?;
                return Ok(Submitted {
                    id: int(&held[0]),
                    outcome: SubmitOutcome::Unchanged,
                    previous_current: None,
                    replaced: None,
                    receipt,
                    owed: None,
                });
            }

            let before = current_submission(tx, &sub.provider)?;
            let import = begin_import(tx, meta, rows)?;
            let id = insert(tx, import, "accepted")?;
            // The records go in by the engine's bulk path (COPY on PostgreSQL).
            let chunk_rows: Vec<Vec<SqlRef<'_>>> = chunks
                .iter()
                .zip(&chunk_counts)
                .map(|(c, records)| {
                    vec![
                        SqlRef::Int(Some(id)),
                        SqlRef::Text(Some(&c.area)),
                        records.borrowed(),
                        SqlRef::Blob(Some(&c.body)),
                    ]
                })
                .collect();
            tx.insert_many(
                "submission_chunks",
                &[
                    ("submission_id", Kind::Int),
                    ("area", Kind::Text),
                    ("records", Kind::Int),
                    ("body", Kind::Blob),
                ],
                &chunk_rows,
            )?;
            audit(
                tx,
                import,
                meta,
                "submission.add",
                &key,
                json!({
                    "id": id,
                    "sha256": meta.sha256,
                    "key_fingerprint": sub.key_fingerprint,
                    "rows": rows_json,
                    "areas": areas,
                }),
            )?;
            for old in &same_month {
                tx.execute(
                    "UPDATE submissions SET replaced_by = $2 WHERE id = $1",
                    &[old[0].clone(), param(id)],
                )?;
                audit(
                    tx,
                    import,
                    meta,
                    "submission.replace",
                    &key,
                    json!({ "before": int(&old[0]), "before_sha256": text(&old[1]), "after": id }),
                )?;
            }
            // An accepted submission is always a new data version, even one
            // with no records (a month with no activity).
            let mut receipt = ImportReceipt {
                import,
                rows,
                added: accepted.max(1),
                replaced: same_month.len(),
                ..Default::default()
            };
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            let (outcome, previous_current) = if current_submission(tx, &sub.provider)? == Some(id)
            {
                (SubmitOutcome::Current, before)
            } else {
                (SubmitOutcome::Superseded, None)
            };
            crate::failpoint::hit("before-submit-commit");
            // The figures are stale from this commit until the recomputation
            // settles what is owed here (see `records_owed`).
            let owed = if outcome == SubmitOutcome::Current {
                let mut touched: Vec<String> = areas.iter().map(|a| a.to_string()).collect();
                touched.extend(submission_areas(tx, previous_current)?);
                Some(owe(
                    tx,
                    import,
                    meta,
                    "submission",
                    Some(id),
                    previous_current,
                    touched,
                )?)
            } else {
                None
            };
            Ok(Submitted {
                id,
                outcome,
                previous_current,
                replaced: same_month.first().map(|r| int(&r[0])),
                receipt,
                owed,
            })
        })
    }

    fn submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| submissions_where(tx, "", &[]))
    }

    fn submission(&self, id: i64) -> Result<Option<SubmissionRecord>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            Ok(submissions_where(tx, "WHERE id = $1", &[param(id)])?
                .into_iter()
                .next())
        })
    }

    fn key_fingerprints(&self) -> Result<Vec<String>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT DISTINCT key_fingerprint FROM submissions WHERE status = 'accepted'
                 ORDER BY key_fingerprint",
                &[],
                &[Kind::Text],
            )?;
            Ok(rows.iter().map(|r| text(&r[0])).collect())
        })
    }

    fn chunks(&self, query: &ChunkQuery) -> Result<Vec<StoredChunk>, StoreError> {
        let Some((filter, params)) = chunk_filter(query) else {
            return Ok(Vec::new());
        };
        // In index order: sorting would copy every body through a temporary B-tree.
        let sql = format!(
            "SELECT c.submission_id, s.provider, s.month, c.area, c.records, c.body
             FROM submission_chunks c JOIN submissions s ON s.id = c.submission_id
             WHERE {filter} ORDER BY c.submission_id, c.id"
        );
        self.engine.transaction(Mode::Read, |tx| {
            use Kind::{Blob, Int, Text};
            let rows = tx.query(&sql, &params, &[Int, Text, Text, Text, Int, Blob])?;
            rows.into_iter()
                .map(|mut r| {
                    Ok(StoredChunk {
                        submission: int(&r[0]),
                        provider: text(&r[1]),
                        month: stored_month(&r[2])?,
                        area: text(&r[3]),
                        records: stored_count(&r[4], "records")?,
                        body: take_blob(&mut r[5]),
                    })
                })
                .collect()
        })
    }

    fn chunks_by_area(
        &self,
        query: &ChunkQuery,
        each: &mut dyn FnMut(Vec<StoredChunk>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let Some((filter, params)) = chunk_filter(query) else {
            return Ok(());
        };
        // First what the chunks are (small), then each area's bodies.
        let sql = format!(
            "SELECT c.id, c.submission_id, s.provider, s.month, c.area, c.records
             FROM submission_chunks c JOIN submissions s ON s.id = c.submission_id
             WHERE {filter}"
        );
        self.engine.transaction(Mode::Read, |tx| {
            use Kind::{Blob, Int, Text};
            let mut by_area: BTreeMap<String, Vec<(i64, StoredChunk)>> = BTreeMap::new();
            for r in tx.query(&sql, &params, &[Int, Int, Text, Text, Text, Int])? {
                let area = text(&r[4]);
                let chunk = StoredChunk {
                    submission: int(&r[1]),
                    provider: text(&r[2]),
                    month: stored_month(&r[3])?,
                    area: area.clone(),
                    records: stored_count(&r[5], "records")?,
                    body: Vec::new(),
                };
                by_area.entry(area).or_default().push((int(&r[0]), chunk));
            }
            for (_, mut chunks) in by_area {
                chunks.sort_by_key(|(id, _)| *id);
                let mut bodies: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
                for ids in chunks.chunks(IN_LIST) {
                    let placeholders: Vec<String> =
                        (1..=ids.len()).map(|i| format!("${i}")).collect();
                    let rows = tx.query(
                        &format!(
                            "SELECT id, body FROM submission_chunks WHERE id IN ({})",
                            placeholders.join(", ")
                        ),
                        &ids.iter().map(|(id, _)| param(*id)).collect::<Vec<_>>(),
                        &[Int, Blob],
                    )?;
                    for mut r in rows {
                        bodies.insert(int(&r[0]), take_blob(&mut r[1]));
                    }
                }
                let chunks = chunks
                    .into_iter()
                    .map(|(id, mut chunk)| {
                        chunk.body = bodies
                            .remove(&id)
                            .ok_or_else(|| damaged(format!("record chunk {id} has no body")))?;
                        Ok(chunk)
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                each(chunks)?;
            }
            Ok(())
        })
    }

    fn figure_sets(&self, area: Option<&str>) -> Result<Vec<StoredFigureSet>, StoreError> {
        use Kind::{Int, Text};
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT id, area, financial_year, status, body, submissions, added_in
                 FROM record_figure_sets
                 WHERE retired_in IS NULL AND (CAST($1 AS TEXT) IS NULL OR area = $1)
                 ORDER BY area, financial_year",
                &[Sql::Text(area.map(str::to_string))],
                &[Int, Text, Text, Text, Text, Text, Int],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(StoredFigureSet {
                        id: int(&r[0]),
                        area: text(&r[1]),
                        year: stored_year(&r[2])?,
                        status: FigureStatus::parse(&text(&r[3])).map_err(damaged)?,
                        body: text(&r[4]),
                        submissions: id_list(&r[5])?,
                        added_in: int(&r[6]),
                    })
                })
                .collect()
        })
    }

    fn write_figure_sets(
        &mut self,
        meta: &ImportMeta,
        scope: &[(String, FinancialYear)],
        sets: &[NewFigureSet],
    ) -> Result<ImportReceipt, StoreError> {
        self.settle_recompute(meta, scope, sets, &[], None)?
            .ok_or_else(|| damaged("figure sets were not written"))
    }

    fn owed_recomputes(&self) -> Result<Vec<crate::OwedRecompute>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT id, reason, submission, previous, areas, at FROM records_owed
                 WHERE settled_in IS NULL ORDER BY id",
                &[],
                &[
                    Kind::Int,
                    Kind::Text,
                    Kind::Int,
                    Kind::Int,
                    Kind::Text,
                    Kind::Text,
                ],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(crate::OwedRecompute {
                        id: int(&r[0]),
                        reason: text(&r[1]),
                        submission: opt_int(&r[2]),
                        previous: opt_int(&r[3]),
                        areas: serde_json::from_str(&text(&r[4])).map_err(|e| {
                            damaged(format!(
                                "the areas of owed recomputation {}: {e}",
                                int(&r[0])
                            ))
                        })?,
                        at: text(&r[5]),
                    })
                })
                .collect()
        })
    }

    fn withdraw_submission(
        &mut self,
        meta: &ImportMeta,
        id: i64,
        reason: &str,
    ) -> Result<crate::Withdrawn, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid(
                "say why the submission is withdrawn (--reason); the audit log keeps it",
            ));
        }
        self.engine.transaction(Mode::Write, |tx| {
            let rows = tx.query(
                "SELECT provider, month, status, withdrawn_in, areas FROM submissions WHERE id = $1",
                &[param(id)],
                &[Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Text],
            )?;
            let Some(row) = rows.first() else {
                return Err(invalid(format!(
                    "there is no submission {id}; `lantern submissions` lists them"
                )));
            };
            let provider = text(&row[0]);
            let month = stored_month(&row[1])?;
            if text(&row[2]) != "accepted" {
                return Err(invalid(format!(
                    "submission {id} was rejected, so nothing from it is used; there is nothing to withdraw"
                )));
            }
            if opt_int(&row[3]).is_some() {
                return Err(invalid(format!("submission {id} is withdrawn already")));
            }
            let was_current = current_submission(tx, &provider)? == Some(id);
            let import = begin_import(tx, meta, 1)?;
            tx.execute(
                "UPDATE submissions SET withdrawn_in = $2, withdrawn_reason = $3 WHERE id = $1",
                &[param(id), param(import), param_text(reason)],
            )?;
            let now_current = current_submission(tx, &provider)?;
            let owed = if was_current {
                let mut areas = submission_areas(tx, Some(id))?;
                areas.extend(submission_areas(tx, now_current)?);
                Some(owe(tx, import, meta, "withdrawal", now_current, Some(id), areas)?)
            } else {
                None
            };
            audit(
                tx,
                import,
                meta,
                "submission.withdraw",
                &format!("{provider} {}", month_text(month)?),
                json!({ "id": id, "reason": reason, "was_current": was_current,
                        "current_now": now_current }),
            )?;
            let receipt = ImportReceipt {
                import,
                rows: 1,
                replaced: 1,
                ..Default::default()
            };
            finish_import(tx, import, &receipt)?;
            Ok(crate::Withdrawn {
                id,
                provider,
                month,
                was_current,
                owed,
                data_version: data_version(tx)?,
            })
        })
    }

    fn settle_recompute(
        &mut self,
        meta: &ImportMeta,
        scope: &[(String, FinancialYear)],
        sets: &[NewFigureSet],
        owed: &[i64],
        based_on: Option<i64>,
    ) -> Result<Option<ImportReceipt>, StoreError> {
        // What each (area, year) should hold afterwards: a scoped one with no
        // set given holds nothing. Checked whole before the transaction.
        let mut wanted: BTreeMap<(&str, FinancialYear), Option<&NewFigureSet>> = scope
            .iter()
            .map(|(a, y)| ((a.as_str(), *y), None))
            .collect();
        for set in sets {
            if set.area.trim().is_empty() {
                return Err(invalid("a figure set needs an area"));
            }
            FigureSet::check_body(&set.body)
                .map_err(|e| invalid(format!("figure set {} {}: {e}", set.area, set.year)))?;
            if wanted
                .insert((set.area.as_str(), set.year), Some(set))
                .flatten()
                .is_some()
            {
                return Err(invalid(format!(
                    "two figure sets for {} {}",
                    set.area, set.year
                )));
            }
        }
        let mut areas: Vec<&str> = wanted.keys().map(|(area, _)| *area).collect();
        areas.dedup();
        // The audit records what changed, not the whole set (the set itself
        // stays in the table, retired, so nothing is lost).
        let set_json = |status: &str, body: &str, submissions: &str| {
            json!({
                "status": status,
                "nonzero_counts": FigureSet::check_body(body).unwrap_or(0),
                "submissions": serde_json::from_str::<serde_json::Value>(submissions)
                    .unwrap_or(serde_json::Value::Null),
            })
        };
        self.engine.transaction(Mode::Write, |tx| {
            if let Some(version) = based_on
                && data_version(tx)? != version
            {
                // Computed from data that has changed since: write nothing.
                return Ok(None);
            }
            let import = begin_import(tx, meta, wanted.len())?;
            let mut receipt = ImportReceipt {
                import,
                rows: wanted.len(),
                ..Default::default()
            };
            // The sets held now in those areas, read at once: (area, year)
            // -> id, status, body, submissions.
            let mut held: HashMap<(String, String), Vec<Sql>> = HashMap::new();
            for batch in areas.chunks(IN_LIST) {
                let placeholders: Vec<String> =
                    (1..=batch.len()).map(|i| format!("${i}")).collect();
                let rows = tx.query(
                    &format!(
                        "SELECT area, financial_year, id, status, body, submissions
                         FROM record_figure_sets
                         WHERE retired_in IS NULL AND area IN ({})",
                        placeholders.join(", ")
                    ),
                    &batch.iter().map(|a| param_text(a)).collect::<Vec<_>>(),
                    &[
                        Kind::Text,
                        Kind::Text,
                        Kind::Int,
                        Kind::Text,
                        Kind::Text,
                        Kind::Text,
                    ],
                )?;
                for mut r in rows {
                    let rest = r.split_off(2);
                    held.insert((text(&r[0]), text(&r[1])), rest);
                }
            }
            let mut retire: Vec<i64> = Vec::new();
            // (area, year, set, its submissions as JSON) to add; (key, detail) to audit.
            let mut add: Vec<(&str, String, &NewFigureSet, String)> = Vec::new();
            let mut audits: Vec<(String, String)> = Vec::new();
            for ((area, year), set) in &wanted {
                let year_text = year.to_string();
                let held = held.remove(&((*area).to_string(), year_text.clone()));
                let new_submissions = set.map(|s| json!(s.submissions).to_string());
                match (&held, set) {
                    (None, None) => continue,
                    // The same counts (whatever the text, e.g. a body stored
                    // before zeros were left out) and status: unchanged.
                    (Some(h), Some(s))
                        if text(&h[1]) == s.status.code()
                            && (text(&h[2]) == s.body
                                || changed_counts(&text(&h[2]), &s.body).is_empty()) =>
                    {
                        receipt.unchanged += 1;
                        continue;
                    }
                    _ => {}
                }
                let before = held
                    .as_ref()
                    .map(|h| set_json(&text(&h[1]), &text(&h[2]), &text(&h[3])));
                let after = set
                    .zip(new_submissions.as_deref())
                    .map(|(s, subs)| set_json(s.status.code(), &s.body, subs));
                if let Some(h) = &held {
                    retire.push(int(&h[0]));
                    receipt.replaced += 1;
                } else {
                    receipt.added += 1;
                }
                // A first set is all new: its counts are in the table.
                let changed = match &held {
                    Some(h) => {
                        changed_counts(&text(&h[2]), set.map(|s| s.body.as_str()).unwrap_or(""))
                    }
                    None => Vec::new(),
                };
                audits.push((
                    format!("{area} {year_text}"),
                    json!({ "before": before, "after": after, "changed": changed }).to_string(),
                ));
                if let (Some(s), Some(subs)) = (set, new_submissions) {
                    add.push((area, year_text, s, subs));
                }
            }
            for ids in retire.chunks(IN_LIST) {
                let placeholders: Vec<String> =
                    (2..ids.len() + 2).map(|i| format!("${i}")).collect();
                let mut params = vec![param(import)];
                params.extend(ids.iter().map(|id| param(*id)));
                tx.execute(
                    &format!(
                        "UPDATE record_figure_sets SET retired_in = $1 WHERE id IN ({})",
                        placeholders.join(", ")
                    ),
                    &params,
                )?;
            }
            let rows: Vec<Vec<SqlRef<'_>>> = add
                .iter()
                .map(|(area, year, s, subs)| {
                    vec![
                        SqlRef::Text(Some(area)),
                        SqlRef::Text(Some(year)),
                        SqlRef::Text(Some(s.status.code())),
                        SqlRef::Text(Some(&s.body)),
                        SqlRef::Text(Some(subs)),
                        SqlRef::Int(Some(import)),
                    ]
                })
                .collect();
            tx.insert_many(
                "record_figure_sets",
                &[
                    ("area", Kind::Text),
                    ("financial_year", Kind::Text),
                    ("status", Kind::Text),
                    ("body", Kind::Text),
                    ("submissions", Kind::Text),
                    ("added_in", Kind::Int),
                ],
                &rows,
            )?;
            audit_many(tx, import, meta, "figures.recompute", &audits)?;
            for id in owed {
                tx.execute(
                    "UPDATE records_owed SET settled_in = $1 WHERE id = $2 AND settled_in IS NULL",
                    &[param(import), param(*id)],
                )?;
            }
            crate::failpoint::hit("before-figures-commit");
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            Ok(Some(receipt))
        })
    }

    fn figures(&self, query: &FigureQuery) -> Result<Vec<Figure>, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| figures_at(tx, query, i64::MAX))
    }

    fn snapshot(&self, version: Option<i64>) -> Result<Snapshot, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let newest = data_version(tx)?;
            let version = version.unwrap_or(newest);
            if version < 1 || version > newest {
                return Err(StoreError::NoSuchVersion {
                    asked: version,
                    newest,
                });
            }
            Ok(Snapshot {
                data_version: version,
                catalogue: catalogue_at(tx, version)?,
                figures: figures_at(tx, &FigureQuery::default(), version)?,
                statements: statements_at(tx, version)?,
                releases: releases_at(tx, version)?,
            })
        })
    }

    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        use Kind::{Int, Text};
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT id, kind, file, sha256, actor, at, rows_read, added, replaced, unchanged FROM imports ORDER BY id",
                &[],
                &[Int, Text, Text, Text, Text, Text, Int, Int, Int, Int],
            )?;
            Ok(rows
                .iter()
                .map(|r| ImportRecord {
                    id: int(&r[0]),
                    kind: text(&r[1]),
                    file: text(&r[2]),
                    sha256: text(&r[3]),
                    actor: text(&r[4]),
                    at: text(&r[5]),
                    receipt: ImportReceipt {
                        import: int(&r[0]),
                        rows: int(&r[6]) as usize,
                        added: int(&r[7]) as usize,
                        replaced: int(&r[8]) as usize,
                        unchanged: int(&r[9]) as usize,
                        data_version: 0,
                    },
                })
                .collect())
        })
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        use Kind::{Int, Text};
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT id, import_id, at, actor, action, record_key, detail FROM
                   (SELECT * FROM audit_log ORDER BY id DESC LIMIT $1) newest ORDER BY id",
                &[param(limit as i64)],
                &[Int, Int, Text, Text, Text, Text, Text],
            )?;
            Ok(rows
                .iter()
                .map(|r| AuditEntry {
                    id: int(&r[0]),
                    import: int(&r[1]),
                    at: text(&r[2]),
                    actor: text(&r[3]),
                    action: text(&r[4]),
                    key: text(&r[5]),
                    detail: text(&r[6]),
                })
                .collect())
        })
    }

    fn open_case(&mut self, case: &Case, detail: &ActionDetail) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            let exists = one_int(
                tx,
                "SELECT count(*) FROM cases WHERE reference = $1 AND council = $2",
                &[param_text(&case.reference), param_text(&council)],
            )?;
            if exists > 0 {
                return Err(StoreError::CaseExists(case.reference.clone()));
            }
            tx.execute(
                "INSERT INTO cases (reference, received, status, requester_name, requester_contact,
                    retain_until, original, structured, opened_at, opened_by, council)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    param_text(&case.reference),
                    param_text(&case.received.to_string()),
                    param_text(case.status.code()),
                    Sql::Text(case.requester_name.clone()),
                    Sql::Text(case.requester_contact.clone()),
                    Sql::Text(case.retain_until.map(|d| d.to_string())),
                    param_text(&case.original),
                    Sql::Text(case.structured.clone()),
                    param_text(&case.opened_at),
                    param_text(&case.opened_by),
                    param_text(&council),
                ],
            )?;
            case_event(
                tx,
                &council,
                &case.reference,
                &Who {
                    actor: case.opened_by.clone(),
                    at: case.opened_at.clone(),
                },
                "open",
                None,
                case.status,
                detail,
            )
        })
    }

    fn case(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                &format!("{CASE_COLUMNS} AND reference = $2"),
                &[param_text(&council), param_text(reference)],
                &[Kind::Text; 10],
            )?;
            rows.first().map(|r| case_from(r)).transpose()
        })
    }

    fn cases(&self) -> Result<Vec<Case>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                &format!("{CASE_COLUMNS} ORDER BY received, reference"),
                &[param_text(&council)],
                &[Kind::Text; 10],
            )?;
            rows.iter().map(|r| case_from(r)).collect()
        })
    }

    fn case_history(&self, reference: &str) -> Result<Vec<CaseEvent>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                "SELECT at, actor, action, from_status, to_status, note, on_day, extended_to,
                        calendar
                 FROM case_events WHERE reference = $1 AND council = $2 ORDER BY id",
                &[param_text(reference), param_text(&council)],
                &[Kind::Text; 9],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(CaseEvent {
                        at: text(&r[0]),
                        actor: text(&r[1]),
                        action: text(&r[2]),
                        from: opt_text(&r[3]).and_then(|s| Status::parse(&s)),
                        to: status(&text(&r[4]))?,
                        note: opt_text(&r[5]),
                        on: opt_date(opt_text(&r[6]))?,
                        extended_to: opt_date(opt_text(&r[7]))?,
                        calendar: opt_text(&r[8]),
                    })
                })
                .collect()
        })
    }

    fn act(
        &mut self,
        reference: &str,
        seen: Status,
        action: Action,
        who: &Who,
        detail: &ActionDetail,
    ) -> Result<Status, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            act_in(tx, &council, reference, seen, action, who, detail)
        })
    }

    fn correct_case(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        structured: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            let now = correctable(tx, &council, reference, seen)?;
            tx.execute(
                "UPDATE cases SET structured = $2 WHERE reference = $1 AND council = $3",
                &[
                    param_text(reference),
                    param_text(structured),
                    param_text(&council),
                ],
            )?;
            case_event(
                tx,
                &council,
                reference,
                who,
                "correct",
                Some(now),
                now,
                &ActionDetail::note(note),
            )
        })
    }

    fn save_draft(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        draft: &str,
        data_version: i64,
    ) -> Result<Status, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            let to = act_in(
                tx,
                &council,
                reference,
                seen,
                Action::Draft,
                who,
                &ActionDetail::default(),
            )?;
            tx.execute(
                "UPDATE cases SET draft = $2, draft_version = $3
                 WHERE reference = $1 AND council = $4",
                &[
                    param_text(reference),
                    param_text(draft),
                    param(data_version),
                    param_text(&council),
                ],
            )?;
            Ok(to)
        })
    }

    fn draft(&self, reference: &str) -> Result<Option<(String, i64)>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                "SELECT draft, draft_version FROM cases WHERE reference = $1 AND council = $2",
                &[param_text(reference), param_text(&council)],
                &[Kind::Text, Kind::Int],
            )?;
            Ok(rows
                .first()
                .and_then(|r| Some((opt_text(&r[0])?, opt_int(&r[1]).unwrap_or(0)))))
        })
    }

    fn send(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        entries: &[LogEntry],
        detail: &ActionDetail,
    ) -> Result<Status, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            let to = act_in(tx, &council, reference, seen, Action::Send, who, detail)?;
            for e in entries {
                tx.execute(
                    "INSERT INTO disclosure_log (reference, sent_at, question, indicator, area, period,
                        breakdown, decision, basis, value, released, council)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    &[
                        param_text(&e.reference),
                        param_text(&e.sent_at),
                        param_text(&e.question),
                        Sql::Text(e.indicator.clone()),
                        Sql::Text(e.area.clone()),
                        Sql::Text(e.period.clone()),
                        Sql::Text(e.breakdown.clone()),
                        param_text(&e.decision),
                        Sql::Text(e.basis.clone()),
                        Sql::Int(e.value),
                        param_text(&e.released),
                        param_text(&council),
                    ],
                )?;
            }
            Ok(to)
        })
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

    fn disclosure_log_about(
        &self,
        scope: &lantern_core::scope::Scope,
    ) -> Result<Vec<crate::CouncilLogEntry>, StoreError> {
        scoped::disclosure_log_about(&self.engine, scope)
    }

    fn disclosure_log(&self) -> Result<Vec<LogEntry>, StoreError> {
        use crate::council::{LOG_COLUMNS, LOG_KINDS, log_entry};
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                &format!("SELECT {LOG_COLUMNS} FROM disclosure_log WHERE council = $1 ORDER BY id"),
                &[param_text(&council)],
                LOG_KINDS,
            )?;
            Ok(rows.iter().map(|r| log_entry(r)).collect())
        })
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
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            let now = correctable(tx, &council, reference, seen)?;
            tx.execute(
                "INSERT INTO synonyms (phrase, target, reference, added_at, added_by, council)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    param_text(phrase),
                    param_text(target),
                    param_text(reference),
                    param_text(&who.at),
                    param_text(&who.actor),
                    param_text(&council),
                ],
            )?;
            if let Some(structured) = structured {
                tx.execute(
                    "UPDATE cases SET structured = $2 WHERE reference = $1 AND council = $3",
                    &[
                        param_text(reference),
                        param_text(structured),
                        param_text(&council),
                    ],
                )?;
            }
            let note = format!("“{phrase}” means {target}");
            case_event(
                tx,
                &council,
                reference,
                who,
                "learn",
                Some(now),
                now,
                &ActionDetail::note(Some(&note)),
            )
        })
    }

    fn synonyms(&self) -> Result<Vec<crate::StoredSynonym>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                "SELECT phrase, target, reference, added_at, added_by FROM synonyms
                 WHERE council = $1 ORDER BY id",
                &[param_text(&council)],
                &[Kind::Text; 5],
            )?;
            Ok(rows
                .iter()
                .map(|r| crate::StoredSynonym {
                    phrase: text(&r[0]),
                    target: text(&r[1]),
                    reference: opt_text(&r[2]),
                    added_at: text(&r[3]),
                    added_by: text(&r[4]),
                })
                .collect())
        })
    }

    fn erase_requester(
        &mut self,
        reference: &str,
        who: &Who,
        note: &str,
    ) -> Result<bool, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            let rows = tx.query(
                "SELECT status, requester_name, requester_contact FROM cases
                 WHERE reference = $1 AND council = $2",
                &[param_text(reference), param_text(&council)],
                &[Kind::Text; 3],
            )?;
            let Some(r) = rows.first() else {
                return Err(StoreError::NoSuchCase(reference.to_string()));
            };
            let now = status(&text(&r[0]))?;
            if opt_text(&r[1]).is_none() && opt_text(&r[2]).is_none() {
                return Ok(false);
            }
            tx.execute(
                "UPDATE cases SET requester_name = NULL, requester_contact = NULL
                 WHERE reference = $1 AND council = $2",
                &[param_text(reference), param_text(&council)],
            )?;
            case_event(
                tx,
                &council,
                reference,
                who,
                "erase_requester",
                Some(now),
                now,
                &ActionDetail::note(Some(note)),
            )?;
            Ok(true)
        })
    }

    fn import_calendar(
        &mut self,
        meta: &ImportMeta,
        version: &str,
        body: &str,
    ) -> Result<ImportReceipt, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let import = begin_import(tx, meta, 1)?;
            let held = one_int(
                tx,
                "SELECT count(*) FROM calendars WHERE version = $1",
                &[param_text(version)],
            )?;
            let mut receipt = ImportReceipt {
                import,
                rows: 1,
                ..ImportReceipt::default()
            };
            if held > 0 {
                receipt.unchanged = 1;
            } else {
                tx.execute(
                    "INSERT INTO calendars (import_id, version, body) VALUES ($1, $2, $3)",
                    &[param(import), param_text(version), param_text(body)],
                )?;
                audit(
                    tx,
                    import,
                    meta,
                    "calendar.add",
                    version,
                    serde_json::json!({ "file": meta.file }),
                )?;
                receipt.added = 1;
            }
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            Ok(receipt)
        })
    }

    fn calendars(&self) -> Result<Vec<crate::StoredCalendar>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT import_id, version, body FROM calendars ORDER BY id",
                &[],
                &[Kind::Int, Kind::Text, Kind::Text],
            )?;
            Ok(rows
                .iter()
                .map(|r| crate::StoredCalendar {
                    import: int(&r[0]),
                    version: text(&r[1]),
                    body: text(&r[2]),
                })
                .collect())
        })
    }

    fn councils(&self) -> Result<Vec<crate::StoredCouncil>, StoreError> {
        self.engine.transaction(Mode::Read, crate::council::current)
    }

    fn council_at(
        &self,
        code: &str,
        version: Option<i64>,
    ) -> Result<Option<crate::StoredCouncil>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            crate::council::at(tx, code, version.unwrap_or(i64::MAX))
        })
    }

    fn council_history(&self, code: &str) -> Result<Vec<crate::StoredCouncil>, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| crate::council::history(tx, code))
    }

    fn set_council(
        &mut self,
        meta: &ImportMeta,
        council: &lantern_core::council::Council,
    ) -> Result<crate::CouncilSet, StoreError> {
        self.engine
            .transaction(Mode::Write, |tx| crate::council::set(tx, meta, council))
    }

    fn use_council(&mut self, code: &str) -> Result<crate::StoredCouncil, StoreError> {
        let held = self
            .engine
            .transaction(Mode::Read, |tx| crate::council::existing(tx, code))?;
        self.council = Some(held.council.code().to_string());
        Ok(held)
    }

    fn council_in_use(&self) -> Result<Option<String>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let code = self.scope(tx)?;
            Ok((code != crate::council::NO_COUNCIL).then_some(code))
        })
    }

    fn disclosure_log_of_every_council(
        &self,
        areas: Option<&[String]>,
    ) -> Result<Vec<crate::CouncilLogEntry>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            crate::council::log_of_every_council(tx, areas)
        })
    }

    fn export(&self) -> Result<Vec<TableRows>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let mut out = Vec::new();
            for table in TABLES {
                let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
                let kinds: Vec<Kind> = table.columns.iter().map(|(_, k)| *k).collect();
                let rows = tx.query(
                    &format!(
                        "SELECT {} FROM {} ORDER BY {}",
                        columns.join(", "),
                        table.name,
                        table.key
                    ),
                    &[],
                    &kinds,
                )?;
                out.push(TableRows {
                    table: table.name.to_string(),
                    columns: columns.iter().map(|c| c.to_string()).collect(),
                    rows,
                });
            }
            Ok(out)
        })
    }

    fn restore(&mut self, tables: &[TableRows]) -> Result<(), StoreError> {
        crate::dump::check_tables(tables)?;
        let engine = &self.engine;
        engine.transaction(Mode::Write, |tx| {
            let held = one_int(tx, "SELECT count(*) FROM imports WHERE kind <> 'init'", &[])?
                + one_int(tx, "SELECT count(*) FROM cases", &[])?;
            if held > 0 {
                return Err(StoreError::NotEmpty);
            }
            // A fresh database holds only its own init import; the dump brings its own.
            for table in TABLES.iter().rev() {
                tx.execute(&format!("DELETE FROM {}", table.name), &[])?;
            }
            for (t, spec) in tables.iter().zip(TABLES) {
                let placeholders: Vec<String> =
                    (1..=t.columns.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    t.table,
                    t.columns.join(", "),
                    placeholders.join(", ")
                );
                for (i, row) in t.rows.iter().enumerate() {
                    tx.execute(&sql, row)
                        .map_err(|e| crate::dump::refusal(&t.table, i + 1, &e))?;
                }
                if spec.generated_id {
                    engine.after_explicit_ids(tx, &t.table)?;
                }
            }
            Ok(())
        })
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
