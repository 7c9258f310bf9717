//! Versioned records (figures, statements, releases, agencies): an import
//! retires the changed rows and adds their new versions, set-based, with
//! one audit entry per change ([`versioned`], [`store_versions`]); and the
//! agencies held now.

use lantern_core::figure::Figure;
use lantern_core::records::Agency;
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use serde_json::json;
use std::collections::{HashMap, HashSet};

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{self, Sql, SqlRef, Versioned};
use crate::{ImportMeta, ImportReceipt, StoreError};

use super::audit::{begin_import, data_version, finish_import, insert_audits};
use super::{SqlStore, int, invalid, opt_text, param, text};

/// How many values go in one `IN (…)` list (well under both engines'
/// limits on parameters).
const IN_BATCH: usize = 500;

/// The version a key has while an import is compared: one the table holds
/// (its id and data), or one added earlier in the same file.
enum Current {
    Held(i64, Vec<Sql>),
    Added(usize),
}

/// The body of [`versioned`] for rows of one shape.
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

/// Store versioned records (figures, statements, releases, agencies),
/// set-based: the current rows with the file's keys are read in a few
/// queries, compared in memory, the changed ones retired in batches and
/// the new versions and their audit entries written by the engine's bulk
/// path (binary `COPY` on PostgreSQL). Same outcome, row for row and
/// audit entry for audit entry, as taking the rows one at a time: a key
/// that repeats in the file replaces its earlier version from the file.
fn versioned<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    rows: &[Versioned],
) -> Result<ImportReceipt, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
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

pub(super) fn import_figures<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    figures: &[Figure],
) -> Result<ImportReceipt, StoreError> {
    let rows: Vec<Versioned> = figures.iter().map(rows::figure).collect();
    versioned(store, meta, &rows)
}

pub(super) fn import_statements<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    statements: &[Statement],
) -> Result<ImportReceipt, StoreError> {
    let rows: Vec<Versioned> = statements.iter().map(rows::statement).collect();
    versioned(store, meta, &rows)
}

pub(super) fn import_releases<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    releases: &[(u64, Release)],
) -> Result<ImportReceipt, StoreError> {
    let rows: Vec<Versioned> = releases.iter().map(|(l, r)| rows::release(*l, r)).collect();
    versioned(store, meta, &rows)
}

/// Retire the current version of release `code` (see
/// [`crate::Store::withdraw_release`]), audited with the release as it
/// stood and the reason.
pub(super) fn withdraw_release<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    code: &str,
    reason: &str,
) -> Result<ImportReceipt, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "say why the release is withdrawn (--reason TEXT); the audit log keeps it",
        ));
    }
    store.engine.transaction(Mode::Write, |tx| {
        let rows = tx.query(
            "SELECT id, title, date FROM releases WHERE code = $1 AND retired_in IS NULL",
            &[super::param_text(code)],
            &[Kind::Int, Kind::Text, Kind::Text],
        )?;
        let Some(row) = rows.first() else {
            return Err(invalid(format!(
                "there is no release '{code}' in the publication calendar now; check the code in the releases file you imported"
            )));
        };
        let id = int(&row[0]);
        let import = begin_import(tx, meta, 1)?;
        tx.execute(
            "UPDATE releases SET retired_in = $1 WHERE id = $2",
            &[param(import), param(id)],
        )?;
        super::audit::audit(
            tx,
            import,
            meta,
            "release.withdraw",
            code,
            json!({ "title": text(&row[1]), "date": text(&row[2]), "reason": reason }),
        )?;
        let mut receipt = ImportReceipt {
            import,
            rows: 1,
            replaced: 1,
            ..Default::default()
        };
        finish_import(tx, import, &receipt)?;
        receipt.data_version = data_version(tx)?;
        Ok(receipt)
    })
}

pub(super) fn import_agencies<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    agencies: &[(u64, Agency)],
) -> Result<ImportReceipt, StoreError> {
    let rows: Vec<Versioned> = agencies.iter().map(|(l, a)| rows::agency(*l, a)).collect();
    versioned(store, meta, &rows)
}

pub(super) fn agencies<E: Engine>(store: &SqlStore<E>) -> Result<Vec<Agency>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
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
