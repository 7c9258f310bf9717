//! What a database engine must provide for [`crate::sql::SqlStore`] to run
//! Lantern's storage on it: transactions, and queries over the two value
//! kinds the schema uses. Each adapter (SQLite, PostgreSQL) implements this
//! and owns its connection, migrations and dialect; the queries themselves
//! are written once, in `sql/`.
//!
//! SQL passed through this interface uses `$1`, `$2`, … placeholders and the
//! portable subset both engines share (`CAST(x AS TEXT)`, `coalesce`,
//! `RETURNING`); [`Engine::null_safe_eq`] supplies the one operator whose
//! spelling differs, and [`Engine::ddl`] the two column types (generated
//! ids, and `BLOB`, which PostgreSQL spells `BYTEA`).

use crate::StoreError;
use crate::rows::{Sql, SqlRef};

/// How to read a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer (or NULL).
    Int,
    /// Text (or NULL).
    Text,
    /// Bytes (or NULL): `BLOB` in SQLite, `BYTEA` in PostgreSQL.
    Blob,
}

/// One open transaction.
pub trait Tx {
    /// Run a query and read every row, each column as the given kind.
    fn query(
        &mut self,
        sql: &str,
        params: &[Sql],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Sql>>, StoreError>;

    /// Run a query and hand `each` every row in turn, its columns read as
    /// the given kinds and borrowed: what a reader that keeps little of
    /// many rows uses, so that no row is copied to be looked at. The values
    /// are those [`Tx::query`] reads. By default, through [`Tx::query`]
    /// (SQLite lends each row as it steps).
    fn query_each(
        &mut self,
        sql: &str,
        params: &[Sql],
        kinds: &[Kind],
        each: &mut dyn FnMut(&[SqlRef<'_>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for row in self.query(sql, params, kinds)? {
            let row: Vec<SqlRef<'_>> = row.iter().map(Sql::borrowed).collect();
            each(&row)?;
        }
        Ok(())
    }

    /// A mark of what this transaction reads, taken once it has read
    /// something: two marks taken on the same connection are equal only if
    /// nothing in the database changed between them (no commit by another
    /// connection or process, no write by this one). `None`: the engine
    /// cannot tell, so nothing read may be kept by its mark. By default
    /// `None`; SQLite's is its `data_version` with the connection's count
    /// of rows changed.
    fn unchanged_mark(&mut self) -> Result<Option<(i64, u64)>, StoreError> {
        Ok(None)
    }

    /// Run a statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Sql]) -> Result<u64, StoreError>;

    /// Insert rows into one table by the engine's bulk path: SQLite runs one
    /// prepared statement per row (in process, so cheap); PostgreSQL streams
    /// them with `COPY … FROM STDIN` in binary, one round trip for all.
    /// `columns` names each column and the kind of its values; every row
    /// gives one value per column, of that kind (or NULL). Part of the
    /// transaction like any other write. Returns the number of rows.
    fn insert_many(
        &mut self,
        table: &str,
        columns: &[(&str, Kind)],
        rows: &[Vec<SqlRef<'_>>],
    ) -> Result<u64, StoreError>;

    /// Run a batch of statements with no parameters (migrations).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

/// Whether a transaction writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads one consistent snapshot.
    Read,
    /// Writes; writers are serialised so an import sees no other import's
    /// half-done work and two imports of the same data end with one winner.
    Write,
}

/// A database engine.
pub trait Engine {
    /// Run `f` in one transaction: committed if it returns `Ok`, rolled back
    /// (leaving nothing behind) if it returns `Err`.
    fn transaction<R>(
        &self,
        mode: Mode,
        f: impl FnOnce(&mut dyn Tx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError>;

    /// Whether a table of this name exists (in the schema Lantern uses).
    fn has_table(&self, name: &str) -> Result<bool, StoreError>;

    /// The operator that is true when both sides are equal or both NULL.
    fn null_safe_eq(&self) -> &'static str;

    /// A migration's DDL (written for SQLite, see `migrations/`) in this
    /// engine's spelling: the differences are how generated ids are declared
    /// and the name of the bytes type.
    fn ddl<'a>(&self, sql: &'a str) -> std::borrow::Cow<'a, str>;

    /// The condition that keeps the public log's entries whose words match
    /// `words` (every word, stemmed), with the value to bind as parameter
    /// `$param`: SQLite asks its FTS5 index, PostgreSQL its `tsvector`
    /// column (see `migrations/0018_public_log.sql`). The one query each
    /// engine spells its own way.
    fn text_search(&self, param: usize, words: &str) -> (String, String);

    /// After rows were inserted with explicit ids (restoring a dump), make
    /// sure new rows get ids above them.
    fn after_explicit_ids(&self, tx: &mut dyn Tx, table: &str) -> Result<(), StoreError>;

    /// After rows of `tables` were overwritten to remove personal data
    /// (outside any transaction): leave none of their old bytes in the
    /// database's files. SQLite rebuilds the file (`VACUUM`, with
    /// `secure_delete` on) and empties its write-ahead log; PostgreSQL
    /// rewrites the tables (`VACUUM FULL`).
    fn reclaim(&self, tables: &[&str]) -> Result<(), StoreError>;
}
