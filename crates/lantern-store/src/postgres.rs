//! The PostgreSQL engine, for shared deployments: several officers,
//! analysts and providers (and several `lantern` processes) on one database.
//!
//! Writers serialise on a transaction-scoped advisory lock, so two imports
//! never interleave and each sees the other's committed result; readers take
//! a repeatable-read snapshot and are never blocked by a writer.

use std::cell::RefCell;
use std::error::Error as _;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, IsolationLevel, NoTls};

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{Sql, SqlRef};
use crate::sql::SqlStore;
use crate::{Created, ImportMeta, StoreError};

/// The advisory lock every Lantern writer holds for its transaction.
const WRITE_LOCK: i64 = 0x4c616e7465726e; // "Lantern"

/// A Lantern database on a PostgreSQL server.
pub type PgStore = SqlStore<Postgres>;

/// A PostgreSQL connection.
pub struct Postgres {
    client: RefCell<Client>,
    target: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the URL: it may carry a password.
        f.debug_struct("Postgres")
            .field("target", &self.target)
            .finish()
    }
}

/// Open an existing Lantern database on a server, migrating it.
pub fn open(url: &str, migrate: bool) -> Result<PgStore, StoreError> {
    let store = SqlStore::new(connect(url)?);
    let version = store.schema_version()?;
    if version.is_none() {
        return Err(StoreError::NotLantern {
            path: store.engine().target.clone(),
            reason: "it has no Lantern schema; run `lantern init` with this --database first"
                .into(),
        });
    }
    if migrate {
        store.migrate(version)?;
    } else {
        store.check_current(version)?;
    }
    Ok(store)
}

/// Create Lantern's schema and catalogue in a database (which must exist),
/// or open the Lantern database already there.
pub fn create(url: &str, meta: &ImportMeta) -> Result<(PgStore, Created), StoreError> {
    let store = SqlStore::new(connect(url)?);
    let version = store.schema_version()?;
    store.migrate(version)?;
    let created = store.initialise(meta)?;
    Ok((store, created))
}

/// "host:port/database" for messages, without user or password.
fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default database)");
    format!("{host}:{port}/{db}")
}

/// The innermost useful message of a driver error, on one line.
fn cause(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last.lines().next().unwrap_or_default().to_string()
}

fn connect(url: &str) -> Result<Postgres, StoreError> {
    let config: postgres::Config =
        url.parse()
            .map_err(|e: postgres::Error| StoreError::Connect {
                target: "(unreadable URL)".into(),
                cause: format!(
                    "the URL is not a PostgreSQL connection string: {}",
                    cause(&e)
                ),
            })?;
    let target = describe(&config);
    let mut config = config;
    if config.get_application_name().is_none() {
        // Another writer waiting for the lock reads this (see `writer`).
        config.application_name(crate::writer::label());
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    let client = config.connect(NoTls).map_err(|e| StoreError::Connect {
        target: target.clone(),
        cause: cause(&e),
    })?;
    Ok(Postgres {
        client: RefCell::new(client),
        target,
    })
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        StoreError::Postgres(cause(&e))
    }
}

impl ToSql for Sql {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Sql::Int(v) => v.to_sql(ty, out),
            Sql::Text(v) => v.as_deref().to_sql(ty, out),
            Sql::Blob(v) => v.as_deref().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty) || <&str as ToSql>::accepts(ty) || <&[u8] as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl ToSql for SqlRef<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            SqlRef::Int(v) => v.to_sql(ty, out),
            SqlRef::Text(v) => v.to_sql(ty, out),
            SqlRef::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <Sql as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// The PostgreSQL type a column of this kind is written as (the migrations
/// declare integers `BIGINT`, bytes `BLOB`, which is `BYTEA` here).
fn copy_type(kind: Kind) -> Type {
    match kind {
        Kind::Int => Type::INT8,
        Kind::Text => Type::TEXT,
        Kind::Blob => Type::BYTEA,
    }
}

/// Read one row as the given kinds.
fn read_row(r: &postgres::Row, kinds: &[Kind]) -> Result<Vec<Sql>, postgres::Error> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| {
            Ok(match k {
                Kind::Int => Sql::Int(r.try_get(i)?),
                Kind::Text => Sql::Text(r.try_get(i)?),
                Kind::Blob => Sql::Blob(r.try_get(i)?),
            })
        })
        .collect()
}

struct PgTx<'c> {
    tx: postgres::Transaction<'c>,
}

fn refs(params: &[Sql]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_> {
    fn query(
        &mut self,
        sql: &str,
        params: &[Sql],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Sql>>, StoreError> {
        // Rows are converted as they arrive, so a large result (every chunk
        // of every submission) is held once, not twice.
        let mut rows = self.tx.query_raw(sql, params.iter())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_row(&r, kinds)?);
        }
        Ok(out)
    }

    fn insert_many(
        &mut self,
        table: &str,
        columns: &[(&str, Kind)],
        rows: &[Vec<SqlRef<'_>>],
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let types: Vec<Type> = columns.iter().map(|(_, kind)| copy_type(*kind)).collect();
        let copy = self.tx.copy_in(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))?;
        let mut writer = BinaryCopyInWriter::new(copy, &types);
        for row in rows {
            if row.len() != columns.len() {
                // Dropping the writer unfinished aborts the COPY.
                return Err(StoreError::Invalid(format!(
                    "a row of {} values for the {} columns of {table}",
                    row.len(),
                    columns.len()
                )));
            }
            let values: Vec<&(dyn ToSql + Sync)> =
                row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            writer.write(&values)?;
        }
        Ok(writer.finish()?)
    }

    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, StoreError> {
        Ok(self.tx.execute(sql, &refs(params))?)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.tx.batch_execute(sql)?)
    }
}

/// Who holds [`WRITE_LOCK`]: since when its connection was opened (`HH:MM`)
/// and its `application_name` (the command and who runs it); best effort.
fn lock_holder(client: &mut Client) -> (Option<String>, Option<String>) {
    let high = WRITE_LOCK >> 32;
    let low = WRITE_LOCK & 0xffff_ffff;
    let row = client.query_opt(
        "SELECT a.application_name,
                to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = $1 AND l.objid::bigint = $2
         LIMIT 1",
        &[&high, &low],
    );
    match row {
        Ok(Some(row)) => {
            let holder: Option<String> = row.try_get(0).ok().filter(|s: &String| !s.is_empty());
            let since: Option<String> = row
                .try_get::<_, Option<String>>(1)
                .ok()
                .flatten()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(crate::writer::clock);
            (since, holder)
        }
        _ => (None, None),
    }
}

impl Engine for Postgres {
    fn transaction<R>(
        &self,
        mode: Mode,
        f: impl FnOnce(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut client = self.client.borrow_mut();
        let tx = match mode {
            Mode::Read => client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?,
            Mode::Write => {
                let started = std::time::Instant::now();
                let mut tx = client.transaction()?;
                // Wait a bounded time for another writer, then say who it is.
                let wait = crate::writer::lock_wait().as_millis().max(1);
                tx.batch_execute(&format!("SET LOCAL lock_timeout = '{wait}ms'"))?;
                match tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]) {
                    Ok(_) => tx,
                    Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                        drop(tx);
                        let (since, holder) = lock_holder(&mut client);
                        return Err(StoreError::Busy {
                            since,
                            holder,
                            waited_seconds: started.elapsed().as_secs(),
                        });
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let mut tx = PgTx { tx };
        // Dropping the transaction on an error rolls it back.
        let result = f(&mut tx)?;
        tx.tx.commit()?;
        Ok(result)
    }

    fn has_table(&self, name: &str) -> Result<bool, StoreError> {
        let row = self.client.borrow_mut().query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
            &[&name],
        )?;
        Ok(row.get::<_, i64>(0) > 0)
    }

    fn null_safe_eq(&self) -> &'static str {
        "IS NOT DISTINCT FROM"
    }

    fn ddl<'a>(&self, sql: &'a str) -> std::borrow::Cow<'a, str> {
        // SQLite's rowid ids become identity columns; explicit ids (dumps) stay allowed.
        let ids = sql.replace(
            "INTEGER PRIMARY KEY",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        );
        let typed = replace_word(&ids, "BLOB", "BYTEA");
        // Statements only PostgreSQL needs are written as `-- postgres: …`
        // comments, which SQLite skips.
        std::borrow::Cow::Owned(
            typed
                .lines()
                .map(|line| line.strip_prefix("-- postgres: ").unwrap_or(line))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    fn text_search(&self, param: usize, words: &str) -> (String, String) {
        // The generated `tsvector` column, through its GIN index; every word
        // required, stemmed by the same configuration.
        (
            format!("search @@ plainto_tsquery('english', ${param})"),
            words.to_string(),
        )
    }

    fn after_explicit_ids(&self, tx: &mut dyn Tx, table: &str) -> Result<(), StoreError> {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            ),
            &[],
        )?;
        Ok(())
    }

    fn reclaim(&self, tables: &[&str]) -> Result<(), StoreError> {
        // VACUUM FULL writes each table (and its TOAST data) afresh from
        // its live rows and drops the old files, dead row versions and all.
        let mut client = self.client.borrow_mut();
        for table in tables {
            client.batch_execute(&format!("VACUUM FULL {table}"))?;
        }
        Ok(())
    }
}

/// Replace `word` where it stands as a whole word (not inside a longer
/// identifier such as `blob_count`, and matched case-sensitively, as the
/// migrations spell types in capitals).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_columns_become_bytea_and_nothing_else_changes() {
        assert_eq!(
            replace_word(
                "body BLOB NOT NULL,\n  x BLOB)\nBLOBS blob_x BLOB",
                "BLOB",
                "BYTEA"
            ),
            "body BYTEA NOT NULL,\n  x BYTEA)\nBLOBS blob_x BYTEA"
        );
    }
}
