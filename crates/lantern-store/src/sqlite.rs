//! The SQLite adapter: Lantern's embedded default, one file on disk.
//!
//! Migrations are embedded SQL, applied in order inside a transaction when a
//! database is opened; a database made by a newer Lantern is refused rather
//! than guessed at.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use lantern_core::catalogue::{self, Catalogue};
use lantern_core::figure::{Breakdown, Figure, Provenance, Source, Status, Value};
use lantern_core::period::Period;
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::json;

use crate::rows::{self, Sql, Versioned};
use crate::{
    AuditEntry, FigureQuery, ImportKind, ImportMeta, ImportReceipt, ImportRecord, Snapshot, Store,
    StoreError,
};

/// Schema migrations, oldest first. Append only: never edit a released one.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/0001_initial.sql"))];

/// The newest schema version this build understands.
pub const SCHEMA_VERSION: i64 = 1;

/// A Lantern database in an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

/// Whether [`SqliteStore::create`] made a new database or found one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new database was made.
    New,
    /// One was already there (and is now migrated to the current schema).
    Existing,
}

impl SqliteStore {
    /// Open an existing Lantern database, migrating it to the current schema.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.display().to_string(),
            });
        }
        let mut store = SqliteStore::connect(path)?;
        if store.schema_version()?.is_none() {
            return Err(StoreError::NotLantern {
                path: path.display().to_string(),
                reason: "it has no Lantern schema; run `lantern init` on a new path".into(),
            });
        }
        store.migrate()?;
        Ok(store)
    }

    /// Create a database (with the shipped catalogue) or open the one there.
    pub fn create(path: &Path, meta: &ImportMeta) -> Result<(SqliteStore, Created), StoreError> {
        let existed = path.exists();
        let mut store = SqliteStore::connect(path)?;
        if existed && store.schema_version()?.is_some() {
            store.migrate()?;
            return Ok((store, Created::Existing));
        }
        if existed && store.has_tables()? {
            return Err(StoreError::NotLantern {
                path: path.display().to_string(),
                reason: "it is an SQLite database of something else; choose another path".into(),
            });
        }
        store.migrate()?;
        let tx = store.conn.transaction()?;
        let import = begin_import(&tx, meta, 1)?;
        tx.execute(
            "INSERT INTO catalogue_layers (name, body, added_in) VALUES (?1, ?2, ?3)",
            params!["catalogue/indicators.toml", catalogue::SHIPPED, import],
        )?;
        audit(
            &tx,
            import,
            meta,
            "catalogue.init",
            "catalogue/indicators.toml",
            json!({}),
        )?;
        finish_import(
            &tx,
            import,
            &ImportReceipt {
                rows: 1,
                added: 1,
                ..Default::default()
            },
        )?;
        tx.commit()?;
        Ok((store, Created::New))
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError::NotLantern {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // WAL lets readers carry on while an import writes.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| StoreError::NotLantern {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn has_tables(&self) -> Result<bool, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let exists: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'lantern_schema'",
            [],
            |r| r.get(0),
        )?;
        if exists == 0 {
            return Ok(None);
        }
        Ok(self
            .conn
            .query_row("SELECT max(version) FROM lantern_schema", [], |r| {
                r.get::<_, Option<i64>>(0)
            })?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current = self.schema_version()?.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        let tx = self.conn.transaction()?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS lantern_schema (version INTEGER NOT NULL)")?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO lantern_schema (version) VALUES (?1)",
                [version],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn catalogue_at(&self, version: i64) -> Result<Catalogue, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, body FROM catalogue_layers WHERE added_in <= ?1 ORDER BY id")?;
        let layers = stmt
            .query_map([version], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut catalogue = Catalogue::default();
        for (name, body) in layers {
            catalogue
                .extend_from_toml(&name, &body)
                .map_err(StoreError::Catalogue)?;
        }
        Ok(catalogue)
    }

    fn figures_at(&self, query: &FigureQuery, version: i64) -> Result<Vec<Figure>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.indicator, f.area, f.period, f.breakdown, f.source, f.kind, f.amount, f.amount_high,
                    f.reason, f.status, f.coverage, f.note, f.import_id, f.line, i.file, i.actor, i.at
             FROM figures f JOIN imports i ON i.id = f.import_id
             WHERE f.added_in <= ?1 AND (f.retired_in IS NULL OR f.retired_in > ?1)
               AND (?2 IS NULL OR f.indicator = ?2) AND (?3 IS NULL OR f.area = ?3)
             ORDER BY f.indicator, f.area, f.period_first, f.period_last, f.breakdown, f.source",
        )?;
        let rows = stmt.query_map(params![version, query.indicator, query.area], |r| {
            Ok(RawFigure {
                indicator: r.get(0)?,
                area: r.get(1)?,
                period: r.get(2)?,
                breakdown: r.get(3)?,
                source: r.get(4)?,
                kind: r.get(5)?,
                amount: r.get(6)?,
                amount_high: r.get(7)?,
                reason: r.get(8)?,
                status: r.get(9)?,
                coverage: r.get(10)?,
                note: r.get(11)?,
                import: r.get(12)?,
                line: r.get(13)?,
                file: r.get(14)?,
                actor: r.get(15)?,
                at: r.get(16)?,
            })
        })?;
        let mut out = Vec::new();
        for raw in rows {
            out.push(raw?.into_figure()?);
        }
        Ok(out)
    }

    fn statements_at(&self, version: i64) -> Result<Vec<Statement>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.topic, s.area, s.text, s.valid_from, s.valid_to, s.source, s.import_id, s.line, i.file, i.actor, i.at
             FROM statements s JOIN imports i ON i.id = s.import_id
             WHERE s.added_in <= ?1 AND (s.retired_in IS NULL OR s.retired_in > ?1)
             ORDER BY s.topic, s.area, s.valid_from",
        )?;
        let rows = stmt.query_map([version], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (topic, area, text, from, to, source, import, line, file, actor, at) = row?;
            out.push(Statement {
                topic,
                area,
                text,
                valid_from: parse_date_opt(from)?,
                valid_to: parse_date_opt(to)?,
                source,
                provenance: Provenance {
                    import,
                    file,
                    line: line as u64,
                    actor,
                    imported_at: at,
                },
            });
        }
        Ok(out)
    }

    fn releases_at(&self, version: i64) -> Result<Vec<Release>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT code, title, publisher, date, announced, indicators, periods, url FROM releases
             WHERE added_in <= ?1 AND (retired_in IS NULL OR retired_in > ?1) ORDER BY date, code",
        )?;
        let rows = stmt.query_map([version], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (code, title, publisher, date, announced, indicators, periods, url) = row?;
            let indicators: Vec<String> = serde_json::from_str(&indicators)
                .map_err(|e| StoreError::Damaged(e.to_string()))?;
            let period_texts: Vec<String> =
                serde_json::from_str(&periods).map_err(|e| StoreError::Damaged(e.to_string()))?;
            let periods = period_texts
                .iter()
                .map(|p| Period::parse(p).map_err(|e| StoreError::Damaged(e.to_string())))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Release {
                code,
                title,
                publisher,
                date: parse_date(&date)?,
                announced: parse_date_opt(announced)?,
                indicators,
                periods,
                url,
            });
        }
        Ok(out)
    }
}

impl SqliteStore {
    /// Store versioned rows in one transaction (see [`crate::rows`]): each
    /// row is added, replaces the current row with its key, or is unchanged.
    fn import_versioned(
        &mut self,
        meta: &ImportMeta,
        rows: &[Versioned],
    ) -> Result<ImportReceipt, StoreError> {
        let tx = self.conn.transaction()?;
        let import = begin_import(&tx, meta, rows.len())?;
        let mut receipt = ImportReceipt {
            import,
            rows: rows.len(),
            ..Default::default()
        };
        for row in rows {
            let data_columns: Vec<&str> = row.data.iter().map(|(c, _)| *c).collect();
            let key_test: Vec<String> = row
                .key
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("{c} IS ?{}", i + 1))
                .collect();
            let find = format!(
                "SELECT id, {} FROM {} WHERE {} AND retired_in IS NULL",
                data_columns.join(", "),
                row.table,
                key_test.join(" AND ")
            );
            let key_values: Vec<&Sql> = row.key.iter().map(|(_, v)| v).collect();
            let held = tx
                .prepare_cached(&find)?
                .query_row(rusqlite::params_from_iter(key_values.iter()), |r| {
                    let id: i64 = r.get(0)?;
                    let mut values = Vec::with_capacity(row.data.len());
                    for (i, (_, like)) in row.data.iter().enumerate() {
                        values.push(match like {
                            Sql::Int(_) => Sql::Int(r.get(i + 1)?),
                            Sql::Text(_) => Sql::Text(r.get(i + 1)?),
                        });
                    }
                    Ok((id, values))
                })
                .optional()?;
            let new_values = row.data_values();
            let after = row.data_json(&new_values);
            let (action, detail) = match held {
                Some((_, old)) if old == new_values => {
                    receipt.unchanged += 1;
                    continue;
                }
                Some((id, old)) => {
                    tx.prepare_cached(&format!(
                        "UPDATE {} SET retired_in = ?2 WHERE id = ?1",
                        row.table
                    ))?
                    .execute(params![id, import])?;
                    receipt.replaced += 1;
                    (
                        "replace",
                        json!({ "before": row.data_json(&old), "after": after, "line": row.line }),
                    )
                }
                None => {
                    receipt.added += 1;
                    ("add", json!({ "after": after, "line": row.line }))
                }
            };
            let columns: Vec<&str> = row
                .key
                .iter()
                .chain(&row.data)
                .map(|(c, _)| *c)
                .chain(["import_id", "line", "added_in"])
                .collect();
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
            let insert = format!(
                "INSERT INTO {} ({}) VALUES ({})",
                row.table,
                columns.join(", "),
                placeholders.join(", ")
            );
            let mut values: Vec<Sql> = row
                .key
                .iter()
                .chain(&row.data)
                .map(|(_, v)| v.clone())
                .collect();
            values.extend([
                Sql::Int(Some(import)),
                Sql::Int(Some(row.line as i64)),
                Sql::Int(Some(import)),
            ]);
            tx.prepare_cached(&insert)?
                .execute(rusqlite::params_from_iter(values.iter()))?;
            audit(
                &tx,
                import,
                meta,
                &format!("{}.{action}", row.entity),
                &row.label,
                detail,
            )?;
        }
        finish_import(&tx, import, &receipt)?;
        receipt.data_version = data_version_tx(&tx)?;
        tx.commit()?;
        Ok(receipt)
    }
}

impl rusqlite::ToSql for Sql {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Sql::Int(v) => v.to_sql(),
            Sql::Text(v) => v.to_sql(),
        }
    }
}

struct RawFigure {
    indicator: String,
    area: String,
    period: String,
    breakdown: String,
    source: String,
    kind: String,
    amount: Option<i64>,
    amount_high: Option<i64>,
    reason: Option<String>,
    status: String,
    coverage: String,
    note: Option<String>,
    import: i64,
    line: i64,
    file: String,
    actor: String,
    at: String,
}

impl RawFigure {
    fn into_figure(self) -> Result<Figure, StoreError> {
        let damaged = |what: &str| {
            StoreError::Damaged(format!("figure {} {}: {what}", self.indicator, self.period))
        };
        let reason = self.reason.clone().unwrap_or_default();
        let value = match (self.kind.as_str(), self.amount, self.amount_high) {
            ("exact", Some(a), _) => Value::Exact(a),
            ("approx", Some(low), Some(high)) => Value::Approximate { low, high },
            ("zero", _, _) => Value::Zero { reason },
            ("not_held", _, _) => Value::NotHeld { reason },
            ("not_yet_shareable", _, _) => Value::NotYetShareable { reason },
            _ => return Err(damaged("unknown value kind")),
        };
        Ok(Figure {
            period: Period::parse(&self.period).map_err(|e| damaged(&e.to_string()))?,
            breakdown: Breakdown::from_key(&self.breakdown),
            source: Source::parse(&self.source).map_err(|e| damaged(&e))?,
            status: Status::parse(&self.status).map_err(|e| damaged(&e))?,
            coverage: serde_json::from_str(&self.coverage).map_err(|e| damaged(&e.to_string()))?,
            note: self.note,
            value,
            provenance: Provenance {
                import: self.import,
                file: self.file,
                line: self.line as u64,
                actor: self.actor,
                imported_at: self.at,
            },
            indicator: self.indicator,
            area: self.area,
        })
    }
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|e: jiff::Error| StoreError::Damaged(format!("date '{text}': {e}")))
}

fn parse_date_opt(text: Option<String>) -> Result<Option<Date>, StoreError> {
    text.map(|t| parse_date(&t)).transpose()
}

fn begin_import(tx: &Transaction, meta: &ImportMeta, rows: usize) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO imports (kind, file, sha256, actor, at, rows_read, added, replaced, unchanged)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0)",
        params![
            meta.kind.code(),
            meta.file,
            meta.sha256,
            meta.actor,
            meta.at,
            rows as i64
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn finish_import(tx: &Transaction, import: i64, receipt: &ImportReceipt) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE imports SET added = ?2, replaced = ?3, unchanged = ?4 WHERE id = ?1",
        params![
            import,
            receipt.added as i64,
            receipt.replaced as i64,
            receipt.unchanged as i64
        ],
    )?;
    Ok(())
}

fn audit(
    tx: &Transaction,
    import: i64,
    meta: &ImportMeta,
    action: &str,
    key: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (import_id, at, actor, action, record_key, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![import, meta.at, meta.actor, action, key, detail.to_string()],
    )?;
    Ok(())
}

fn data_version_tx(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(id), 0) FROM imports WHERE added + replaced > 0",
        [],
        |r| r.get(0),
    )?)
}

impl Store for SqliteStore {
    fn data_version(&self) -> Result<i64, StoreError> {
        data_version_tx(&self.conn)
    }

    fn catalogue(&self) -> Result<Catalogue, StoreError> {
        self.catalogue_at(i64::MAX)
    }

    fn extend_catalogue(
        &mut self,
        meta: &ImportMeta,
        text: &str,
    ) -> Result<ImportReceipt, StoreError> {
        // Check it against what is held first: a bad extension changes nothing.
        let mut catalogue = self.catalogue()?;
        catalogue
            .extend_from_toml(&meta.file, text)
            .map_err(StoreError::Extension)?;
        let tx = self.conn.transaction()?;
        let import = begin_import(&tx, meta, 1)?;
        tx.execute(
            "INSERT INTO catalogue_layers (name, body, added_in) VALUES (?1, ?2, ?3)",
            params![meta.file, text, import],
        )?;
        audit(
            &tx,
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
        finish_import(&tx, import, &receipt)?;
        receipt.data_version = data_version_tx(&tx)?;
        tx.commit()?;
        Ok(receipt)
    }

    fn import_figures(
        &mut self,
        meta: &ImportMeta,
        figures: &[Figure],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = figures.iter().map(rows::figure).collect();
        self.import_versioned(meta, &rows)
    }

    fn import_statements(
        &mut self,
        meta: &ImportMeta,
        statements: &[Statement],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = statements.iter().map(rows::statement).collect();
        self.import_versioned(meta, &rows)
    }

    fn import_releases(
        &mut self,
        meta: &ImportMeta,
        releases: &[(u64, Release)],
    ) -> Result<ImportReceipt, StoreError> {
        let rows: Vec<Versioned> = releases.iter().map(|(l, r)| rows::release(*l, r)).collect();
        self.import_versioned(meta, &rows)
    }

    fn figures(&self, query: &FigureQuery) -> Result<Vec<Figure>, StoreError> {
        self.figures_at(query, i64::MAX)
    }

    fn snapshot(&self, version: Option<i64>) -> Result<Snapshot, StoreError> {
        let newest = self.data_version()?;
        let version = version.unwrap_or(newest);
        if version < 1 || version > newest {
            return Err(StoreError::NoSuchVersion {
                asked: version,
                newest,
            });
        }
        Ok(Snapshot {
            data_version: version,
            catalogue: self.catalogue_at(version)?,
            figures: self.figures_at(&FigureQuery::default(), version)?,
            statements: self.statements_at(version)?,
            releases: self.releases_at(version)?,
        })
    }

    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, file, sha256, actor, at, rows_read, added, replaced, unchanged FROM imports ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ImportRecord {
                id: r.get(0)?,
                kind: r.get(1)?,
                file: r.get(2)?,
                sha256: r.get(3)?,
                actor: r.get(4)?,
                at: r.get(5)?,
                receipt: ImportReceipt {
                    import: r.get(0)?,
                    rows: r.get::<_, i64>(6)? as usize,
                    added: r.get::<_, i64>(7)? as usize,
                    replaced: r.get::<_, i64>(8)? as usize,
                    unchanged: r.get::<_, i64>(9)? as usize,
                    data_version: 0,
                },
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, import_id, at, actor, action, record_key, detail FROM
               (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                import: r.get(1)?,
                at: r.get(2)?,
                actor: r.get(3)?,
                action: r.get(4)?,
                key: r.get(5)?,
                detail: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// The kind used for a new database's first import.
pub fn init_meta(actor: &str, at: &str) -> ImportMeta {
    ImportMeta {
        kind: ImportKind::Init,
        file: "catalogue/indicators.toml".into(),
        sha256: String::new(),
        actor: actor.into(),
        at: at.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_core::figure::Breakdown;

    fn meta(kind: ImportKind, file: &str) -> ImportMeta {
        ImportMeta {
            kind,
            file: file.into(),
            sha256: "00".into(),
            actor: "tester".into(),
            at: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn figure(period: &str, value: i64) -> Figure {
        Figure {
            indicator: "budget".into(),
            area: "E06000016".into(),
            period: Period::parse(period).unwrap(),
            breakdown: Breakdown::from_key("service=community_treatment"),
            value: Value::Exact(value),
            source: Source::Finance,
            status: Status::Final,
            coverage: vec!["Includes NHSE contributions.".into()],
            note: None,
            provenance: Provenance {
                import: 0,
                file: "f.csv".into(),
                line: 2,
                actor: "tester".into(),
                imported_at: "2026-01-01T00:00:00Z".into(),
            },
        }
    }

    fn new_store(dir: &tempfile::TempDir) -> SqliteStore {
        let (store, created) =
            SqliteStore::create(&dir.path().join("l.db"), &init_meta("tester", "now")).unwrap();
        assert_eq!(created, Created::New);
        store
    }

    #[test]
    fn a_changed_figure_retires_the_old_one_and_old_versions_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = new_store(&dir);
        let first = store
            .import_figures(
                &meta(ImportKind::Figures, "a.csv"),
                &[figure("2018/19", 100)],
            )
            .unwrap();
        assert_eq!((first.added, first.data_version), (1, 2));
        let same = store
            .import_figures(
                &meta(ImportKind::Figures, "a.csv"),
                &[figure("2018/19", 100)],
            )
            .unwrap();
        assert_eq!(
            (same.unchanged, same.data_version),
            (1, 2),
            "an unchanged import is not a new version"
        );
        let revised = store
            .import_figures(
                &meta(ImportKind::Figures, "b.csv"),
                &[figure("2018/19", 120)],
            )
            .unwrap();
        assert_eq!((revised.replaced, revised.data_version), (1, 4));

        let now = store.figures(&FigureQuery::default()).unwrap();
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].value, Value::Exact(120));
        assert_eq!(now[0].provenance.file, "b.csv");
        let then = store.snapshot(Some(2)).unwrap();
        assert_eq!(then.figures[0].value, Value::Exact(100));
        assert_eq!(
            then.figures[0].coverage,
            vec!["Includes NHSE contributions.".to_string()]
        );
        assert!(matches!(
            store.snapshot(Some(9)),
            Err(StoreError::NoSuchVersion { newest: 4, .. })
        ));

        let audit = store.audit(10).unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["catalogue.init", "figure.add", "figure.replace"]);
        assert!(audit[2].detail.contains("\"before\""));
    }

    #[test]
    fn a_database_from_a_newer_lantern_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = new_store(&dir);
        store
            .conn
            .execute("INSERT INTO lantern_schema (version) VALUES (99)", [])
            .unwrap();
        drop(store);
        let err = SqliteStore::open(&dir.path().join("l.db")).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade Lantern"));
    }

    #[test]
    fn other_files_are_not_mistaken_for_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let missing = SqliteStore::open(&dir.path().join("none.db")).unwrap_err();
        assert!(missing.to_string().contains("lantern init"));
        let text = dir.path().join("notes.txt");
        std::fs::write(
            &text,
            "not a database at all, just some words to fill a page",
        )
        .unwrap();
        assert!(matches!(
            SqliteStore::open(&text),
            Err(StoreError::NotLantern { .. })
        ));
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .unwrap();
        assert!(matches!(
            SqliteStore::create(&other, &init_meta("t", "now")),
            Err(StoreError::NotLantern { .. })
        ));
    }

    #[test]
    fn statements_and_releases_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = new_store(&dir);
        let statement = Statement {
            topic: "naloxone.purchaser".into(),
            area: "E06000016".into(),
            text: "The commissioned provider.".into(),
            valid_from: Some(Date::constant(2016, 4, 1)),
            valid_to: None,
            source: Some("contract".into()),
            provenance: figure("2018/19", 1).provenance,
        };
        store
            .import_statements(
                &meta(ImportKind::Statements, "s.csv"),
                std::slice::from_ref(&statement),
            )
            .unwrap();
        let release = Release {
            code: "ndtms_2018_19".into(),
            title: "Stats".into(),
            publisher: "PHE".into(),
            date: Date::constant(2019, 11, 7),
            announced: Some(Date::constant(2019, 1, 1)),
            indicators: vec!["people_in_treatment".into()],
            periods: vec![Period::parse("2018/19").unwrap()],
            url: None,
        };
        store
            .import_releases(
                &meta(ImportKind::Releases, "r.csv"),
                &[(2, release.clone())],
            )
            .unwrap();
        let snap = store.snapshot(None).unwrap();
        assert_eq!(snap.releases, vec![release]);
        assert_eq!(snap.statements[0].text, statement.text);
        assert_eq!(snap.statements[0].valid_from, statement.valid_from);
        assert_eq!(snap.statements[0].provenance.file, "s.csv");
    }
}
