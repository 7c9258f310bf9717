//! The SQLite engine: Lantern's embedded default, one file on disk.
//!
//! Writers take SQLite's write lock at the start of a transaction (`BEGIN
//! IMMEDIATE`), so imports are serialised; readers keep reading the last
//! committed state meanwhile (WAL mode).

use std::cell::RefCell;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{Sql, SqlRef};
use crate::sql::SqlStore;
use crate::{Created, ImportMeta, StoreError};

/// A Lantern database in an SQLite file.
pub type SqliteStore = SqlStore<Sqlite>;

/// An SQLite connection.
#[derive(Debug)]
pub struct Sqlite {
    conn: RefCell<Connection>,
    /// The file that names the writer holding the lock (see `writer`).
    writer_file: std::path::PathBuf,
}

/// Open an existing Lantern database file, migrating it to the current schema.
pub fn open(path: &Path, migrate: bool) -> Result<SqliteStore, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing {
            path: path.display().to_string(),
        });
    }
    let store = SqlStore::new(connect(path)?);
    let version = store.schema_version()?;
    if version.is_none() {
        return Err(StoreError::NotLantern {
            path: path.display().to_string(),
            reason: "it has no Lantern schema; run `lantern init` on a new path".into(),
        });
    }
    if migrate {
        store.migrate(version)?;
    } else {
        store.check_current(version)?;
    }
    Ok(store)
}

/// Create a database file (with the shipped catalogue) or open the one there.
pub fn create(path: &Path, meta: &ImportMeta) -> Result<(SqliteStore, Created), StoreError> {
    let existed = path.exists();
    let store = SqlStore::new(connect(path)?);
    let version = store.schema_version()?;
    if existed && version.is_none() && store.engine().has_any_table()? {
        return Err(StoreError::NotLantern {
            path: path.display().to_string(),
            reason: "it is an SQLite database of something else; choose another path".into(),
        });
    }
    store.migrate(version)?;
    let created = store.initialise(meta)?;
    Ok((store, created))
}

fn connect(path: &Path) -> Result<Sqlite, StoreError> {
    let not_lantern = |e: rusqlite::Error| StoreError::NotLantern {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let conn = Connection::open(path).map_err(not_lantern)?;
    // A writer waits this long for another, then says who it is (`writer`).
    conn.busy_timeout(crate::writer::lock_wait())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted and overwritten content is zeroed, not left in free space
    // (requester details erased, reports scrubbed).
    conn.pragma_update(None, "secure_delete", "ON")?;
    // Read through a memory map (no copy per page) and keep more pages
    // cached: reading every provider's records back for a recomputation
    // is hundreds of megabytes.
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    conn.pragma_update(None, "cache_size", -65536i64)?;
    // Keep the prepared statements of a whole page's reads: a workspace
    // page runs more distinct statements than rusqlite's default 16, so
    // the least recently used were prepared again on every request.
    conn.set_prepared_statement_cache_capacity(256);
    // WAL lets readers carry on while an import writes.
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(not_lantern)?;
    Ok(Sqlite {
        conn: RefCell::new(conn),
        writer_file: crate::writer::sidecar(path),
    })
}

impl Sqlite {
    fn has_any_table(&self) -> Result<bool, StoreError> {
        let n: i64 = self.conn.borrow().query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }
}

/// `$1` → `?1`: SQLite's spelling of numbered parameters.
fn dialect(sql: &str) -> String {
    let mut out = sql.as_bytes().to_vec();
    for i in 0..out.len().saturating_sub(1) {
        if out[i] == b'$' && out[i + 1].is_ascii_digit() {
            out[i] = b'?';
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| sql.to_string())
}

impl rusqlite::ToSql for Sql {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Sql::Int(v) => v.to_sql(),
            Sql::Text(v) => v.to_sql(),
            Sql::Blob(Some(b)) => Ok(rusqlite::types::ToSqlOutput::Borrowed(
                rusqlite::types::ValueRef::Blob(b),
            )),
            Sql::Blob(None) => Ok(rusqlite::types::ToSqlOutput::Owned(
                rusqlite::types::Value::Null,
            )),
        }
    }
}

impl rusqlite::ToSql for SqlRef<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match *self {
            SqlRef::Int(Some(v)) => ToSqlOutput::Owned(Value::Integer(v)),
            SqlRef::Text(Some(t)) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            SqlRef::Blob(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            SqlRef::Int(None) | SqlRef::Text(None) | SqlRef::Blob(None) => {
                ToSqlOutput::Owned(Value::Null)
            }
        })
    }
}

/// Column `i` of a row borrowed as kind `kind`: the values [`read_row`]
/// reads, and refused alike (NULL of any kind; else only an integer as
/// `Int`, text as `Text` and bytes as `Blob`).
fn read_ref<'r>(r: &'r rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<SqlRef<'r>> {
    use rusqlite::types::{FromSqlError, ValueRef};
    let value = r.get_ref(i)?;
    let wrong = |value: ValueRef<'_>| {
        let name = r
            .as_ref()
            .column_name(i)
            .map(str::to_string)
            .unwrap_or_default();
        rusqlite::Error::InvalidColumnType(i, name, value.data_type())
    };
    Ok(match (kind, value) {
        (Kind::Int, ValueRef::Null) => SqlRef::Int(None),
        (Kind::Text, ValueRef::Null) => SqlRef::Text(None),
        (Kind::Blob, ValueRef::Null) => SqlRef::Blob(None),
        (Kind::Int, ValueRef::Integer(v)) => SqlRef::Int(Some(v)),
        (Kind::Text, ValueRef::Text(bytes)) => {
            SqlRef::Text(Some(std::str::from_utf8(bytes).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    value.data_type(),
                    Box::new(FromSqlError::Other(Box::new(e))),
                )
            })?))
        }
        (Kind::Blob, ValueRef::Blob(bytes)) => SqlRef::Blob(Some(bytes)),
        (_, value) => return Err(wrong(value)),
    })
}

/// One row read as the given kinds.
fn read_row(r: &rusqlite::Row<'_>, kinds: &[Kind]) -> rusqlite::Result<Vec<Sql>> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Ok(match k {
                Kind::Int => Sql::Int(r.get(i)?),
                Kind::Text => Sql::Text(r.get(i)?),
                Kind::Blob => Sql::Blob(r.get(i)?),
            })
        })
        .collect()
}

struct SqliteTx<'c> {
    tx: rusqlite::Transaction<'c>,
}

impl Tx for SqliteTx<'_> {
    fn query(
        &mut self,
        sql: &str,
        params: &[Sql],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Sql>>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&dialect(sql))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            read_row(r, kinds)
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Sql],
        kinds: &[Kind],
        each: &mut dyn FnMut(&[SqlRef<'_>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(&dialect(sql))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            let row = kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| read_ref(r, i, *kind))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            each(&row)?;
        }
        Ok(())
    }

    fn unchanged_mark(&mut self) -> Result<Option<(i64, u64)>, StoreError> {
        let version: i64 = self
            .tx
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        Ok(Some((version, self.tx.total_changes())))
    }

    fn insert_many(
        &mut self,
        table: &str,
        columns: &[(&str, Kind)],
        rows: &[Vec<SqlRef<'_>>],
    ) -> Result<u64, StoreError> {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let mut stmt = self.tx.prepare_cached(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        ))?;
        for row in rows {
            if row.len() != columns.len() {
                return Err(StoreError::Invalid(format!(
                    "a row of {} values for the {} columns of {table}",
                    row.len(),
                    columns.len()
                )));
            }
            stmt.execute(rusqlite::params_from_iter(row.iter()))?;
        }
        Ok(rows.len() as u64)
    }

    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, StoreError> {
        let mut stmt = self.tx.prepare_cached(&dialect(sql))?;
        Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.tx.execute_batch(sql)?)
    }
}

impl Engine for Sqlite {
    fn transaction<R>(
        &self,
        mode: Mode,
        f: impl FnOnce(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let behavior = match mode {
            Mode::Read => TransactionBehavior::Deferred,
            Mode::Write => TransactionBehavior::Immediate,
        };
        let started = std::time::Instant::now();
        let tx = match conn.transaction_with_behavior(behavior) {
            Ok(tx) => tx,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if mode == Mode::Write && e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                let holder = crate::writer::read_sidecar(&self.writer_file);
                return Err(StoreError::Busy {
                    since: holder.as_ref().map(|(at, _)| crate::writer::clock(*at)),
                    holder: holder.map(|(_, label)| label),
                    waited_seconds: started.elapsed().as_secs(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        if mode == Mode::Write {
            // Readable by other processes while this transaction is open
            // (a row written in it would not be); best effort.
            let since = crate::writer::taken();
            let _ = std::fs::write(&self.writer_file, crate::writer::sidecar_text(since));
        }
        let mut tx = SqliteTx { tx };
        // Dropping the transaction on an error rolls it back.
        let result = f(&mut tx)?;
        tx.tx.commit()?;
        Ok(result)
    }

    fn has_table(&self, name: &str) -> Result<bool, StoreError> {
        let n: i64 = self.conn.borrow().query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    fn null_safe_eq(&self) -> &'static str {
        "IS"
    }

    fn ddl<'a>(&self, sql: &'a str) -> std::borrow::Cow<'a, str> {
        // Statements only SQLite needs (its full-text index) are written as
        // `-- sqlite: …` comments, which PostgreSQL skips.
        if !sql.contains("-- sqlite: ") {
            return std::borrow::Cow::Borrowed(sql);
        }
        std::borrow::Cow::Owned(
            sql.lines()
                .map(|line| line.strip_prefix("-- sqlite: ").unwrap_or(line))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    fn text_search(&self, param: usize, words: &str) -> (String, String) {
        // Each word a quoted FTS5 string (so no word is read as an operator),
        // all of them required; the index stems them as it stemmed the text.
        let terms: Vec<String> = words
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{w}\""))
            .collect();
        if terms.is_empty() {
            // No word to look for: nothing matches (the value is not NULL).
            return (format!("${param} IS NULL"), String::new());
        }
        (
            format!(
                "id IN (SELECT rowid FROM public_log_search WHERE public_log_search MATCH ${param})"
            ),
            terms.join(" "),
        )
    }

    fn after_explicit_ids(&self, _tx: &mut dyn Tx, _table: &str) -> Result<(), StoreError> {
        // SQLite gives a new row max(id) + 1 already.
        Ok(())
    }

    fn reclaim(&self, _tables: &[&str]) -> Result<(), StoreError> {
        let conn = self.conn.borrow();
        // The whole file is rebuilt from live rows; then the write-ahead
        // log (which holds the old pages until a checkpoint) is emptied.
        conn.execute_batch("VACUUM")?;
        let _: (i64, i64, i64) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_use_sqlites_spelling() {
        assert_eq!(
            dialect("a = $1 AND b = $12 AND c = '$x'"),
            "a = ?1 AND b = ?12 AND c = '$x'"
        );
    }
}
