//! The dump format: everything a Lantern database holds — imports,
//! catalogue layers, figures, statements, releases and the audit log, every
//! version of every row with its id — in a file that either backend can
//! restore. It is how a council moves from the embedded SQLite file to a
//! shared PostgreSQL service and back (`lantern export`, `lantern import dump`).
//!
//! Format, version 1 (documented in `docs/formats/dump.md`): UTF-8 JSON
//! lines. The first line is a header object
//! `{"lantern_dump": 1, "schema": 1}`; then, for each table in the order of
//! [`TABLES`], a line `{"table": NAME, "columns": [...], "rows": N}`
//! followed by N lines, each a JSON array of the row's values (integers,
//! strings or null) in column order.

use std::io::{BufRead, Write};

use crate::StoreError;
use crate::engine::Kind;
use crate::rows::Sql;

/// Version of the dump format this build writes and reads.
pub const DUMP_FORMAT: i64 = 1;

/// A table's columns, in dump order.
#[derive(Debug)]
pub struct TableSpec {
    /// Table name.
    pub name: &'static str,
    /// Columns and how to read them.
    pub columns: &'static [(&'static str, Kind)],
}

use Kind::{Int, Text};

/// Every table, parents before children.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "imports",
        columns: &[
            ("id", Int),
            ("kind", Text),
            ("file", Text),
            ("sha256", Text),
            ("actor", Text),
            ("at", Text),
            ("rows_read", Int),
            ("added", Int),
            ("replaced", Int),
            ("unchanged", Int),
        ],
    },
    TableSpec {
        name: "catalogue_layers",
        columns: &[
            ("id", Int),
            ("name", Text),
            ("body", Text),
            ("added_in", Int),
        ],
    },
    TableSpec {
        name: "figures",
        columns: &[
            ("id", Int),
            ("indicator", Text),
            ("area", Text),
            ("period", Text),
            ("period_first", Text),
            ("period_last", Text),
            ("breakdown", Text),
            ("source", Text),
            ("kind", Text),
            ("amount", Int),
            ("amount_high", Int),
            ("reason", Text),
            ("status", Text),
            ("coverage", Text),
            ("note", Text),
            ("import_id", Int),
            ("line", Int),
            ("added_in", Int),
            ("retired_in", Int),
        ],
    },
    TableSpec {
        name: "statements",
        columns: &[
            ("id", Int),
            ("topic", Text),
            ("area", Text),
            ("text", Text),
            ("valid_from", Text),
            ("valid_to", Text),
            ("source", Text),
            ("import_id", Int),
            ("line", Int),
            ("added_in", Int),
            ("retired_in", Int),
        ],
    },
    TableSpec {
        name: "releases",
        columns: &[
            ("id", Int),
            ("code", Text),
            ("title", Text),
            ("publisher", Text),
            ("date", Text),
            ("announced", Text),
            ("indicators", Text),
            ("periods", Text),
            ("url", Text),
            ("import_id", Int),
            ("line", Int),
            ("added_in", Int),
            ("retired_in", Int),
        ],
    },
    TableSpec {
        name: "audit_log",
        columns: &[
            ("id", Int),
            ("import_id", Int),
            ("at", Text),
            ("actor", Text),
            ("action", Text),
            ("record_key", Text),
            ("detail", Text),
        ],
    },
];

/// One table's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// Table name.
    pub table: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, values in column order.
    pub rows: Vec<Vec<Sql>>,
}

/// Check that a dump's tables are exactly [`TABLES`], in order, with the
/// right columns and value kinds.
pub fn check_tables(tables: &[TableRows]) -> Result<(), StoreError> {
    let bad = |m: String| StoreError::BadDump(m);
    if tables.len() != TABLES.len() {
        return Err(bad(format!(
            "expected {} tables, found {}",
            TABLES.len(),
            tables.len()
        )));
    }
    for (t, spec) in tables.iter().zip(TABLES) {
        if t.table != spec.name {
            return Err(bad(format!(
                "expected table {}, found {}",
                spec.name, t.table
            )));
        }
        let names: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        if t.columns != names {
            return Err(bad(format!(
                "table {} has columns {:?}, expected {:?}",
                t.table, t.columns, names
            )));
        }
        for (i, row) in t.rows.iter().enumerate() {
            let ok = row.len() == spec.columns.len()
                && row.iter().zip(spec.columns).all(|(v, (_, k))| {
                    matches!(
                        (v, k),
                        (Sql::Int(_), Kind::Int) | (Sql::Text(_), Kind::Text)
                    )
                });
            if !ok {
                return Err(bad(format!(
                    "table {} row {} does not match its columns",
                    t.table,
                    i + 1
                )));
            }
        }
    }
    Ok(())
}

/// Write a dump.
pub fn write(out: &mut dyn Write, schema: i64, tables: &[TableRows]) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::json!({ "lantern_dump": DUMP_FORMAT, "schema": schema })
    )?;
    for t in tables {
        writeln!(
            out,
            "{}",
            serde_json::json!({ "table": t.table, "columns": t.columns, "rows": t.rows.len() })
        )?;
        for row in &t.rows {
            let values: Vec<serde_json::Value> = row.iter().map(Sql::json).collect();
            writeln!(out, "{}", serde_json::Value::Array(values))?;
        }
    }
    out.flush()
}

/// Read a dump, checking its header and shape. Errors name the line.
pub fn read(input: &mut dyn BufRead) -> Result<Vec<TableRows>, StoreError> {
    let mut lines = input.lines().enumerate();
    let mut next = |what: &str| -> Result<(usize, serde_json::Value), StoreError> {
        let (i, line) = lines.next().ok_or_else(|| {
            StoreError::BadDump(format!("the file ends where {what} was expected"))
        })?;
        let line = line.map_err(|e| StoreError::BadDump(format!("line {}: {e}", i + 1)))?;
        let value = serde_json::from_str(&line)
            .map_err(|e| StoreError::BadDump(format!("line {}: not JSON ({e})", i + 1)))?;
        Ok((i + 1, value))
    };
    let (_, header) = next("the header")?;
    match header.get("lantern_dump").and_then(|v| v.as_i64()) {
        Some(DUMP_FORMAT) => {}
        Some(other) => {
            return Err(StoreError::BadDump(format!(
                "dump format {other} is not one this Lantern reads ({DUMP_FORMAT})"
            )));
        }
        None => return Err(StoreError::BadDump("line 1: not a Lantern dump".into())),
    }
    let mut tables = Vec::new();
    for spec in TABLES {
        let (n, head) = next(&format!("table {}", spec.name))?;
        let table = head
            .get("table")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let columns: Vec<String> = head
            .get("columns")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let count = head.get("rows").and_then(|v| v.as_u64()).ok_or_else(|| {
            StoreError::BadDump(format!("line {n}: a table header needs a row count"))
        })?;
        let mut rows = Vec::with_capacity(count.min(1 << 20) as usize);
        for _ in 0..count {
            let (n, value) = next(&format!("a row of {table}"))?;
            let values = value.as_array().ok_or_else(|| {
                StoreError::BadDump(format!("line {n}: a row must be a JSON array"))
            })?;
            let mut row = Vec::with_capacity(values.len());
            for (v, (_, kind)) in values.iter().zip(spec.columns) {
                row.push(match (kind, v) {
                    (Kind::Int, serde_json::Value::Null) => Sql::Int(None),
                    (Kind::Text, serde_json::Value::Null) => Sql::Text(None),
                    (Kind::Int, v) => Sql::Int(Some(v.as_i64().ok_or_else(|| {
                        StoreError::BadDump(format!("line {n}: expected an integer, found {v}"))
                    })?)),
                    (Kind::Text, v) => Sql::Text(Some(
                        v.as_str()
                            .ok_or_else(|| {
                                StoreError::BadDump(format!("line {n}: expected text, found {v}"))
                            })?
                            .to_string(),
                    )),
                });
            }
            if values.len() != spec.columns.len() {
                return Err(StoreError::BadDump(format!(
                    "line {n}: expected {} values",
                    spec.columns.len()
                )));
            }
            rows.push(row);
        }
        tables.push(TableRows {
            table,
            columns,
            rows,
        });
    }
    check_tables(&tables)?;
    Ok(tables)
}
