//! Imports and the audit log: every change to the data is an import
//! ([`begin_import`], [`finish_import`]) with an audit entry per record it
//! changed ([`audit`], written one at a time or in bulk), and the data
//! version is the newest import that changed something ([`data_version`]).
//! Also reads the import list and the newest audit entries back.

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::SqlRef;
use crate::{AuditEntry, ImportMeta, ImportReceipt, ImportRecord, StoreError};

use super::{SqlStore, damaged, int, one_int, param, param_text, text};

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
pub(super) fn audit_many(
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
pub(super) fn insert_audits<'a>(
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

pub(super) fn imports<E: Engine>(store: &SqlStore<E>) -> Result<Vec<ImportRecord>, StoreError> {
    use Kind::{Int, Text};
    store.engine.transaction(Mode::Read, |tx| {
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

pub(super) fn audit_entries<E: Engine>(
    store: &SqlStore<E>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    use Kind::{Int, Text};
    store.engine.transaction(Mode::Read, |tx| {
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

/// The audit trail of the council in use ([`crate::Store::audit_trail`]):
/// another council's settings changes (`council.*`, keyed by its code) are
/// left out, with who made them.
pub(super) fn trail<E: Engine>(
    store: &SqlStore<E>,
    search: &crate::AuditSearch,
) -> Result<Vec<crate::AuditLine>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT at, actor, source, action, record FROM (
                 SELECT at, actor, 'data' AS source, action, record_key AS record, id AS seq
                   FROM audit_log
                  WHERE substr(action, 1, 8) <> 'council.' OR record_key = $1
                 UNION ALL
                 SELECT at, actor, 'case' AS source, action, reference AS record, id AS seq
                   FROM case_events WHERE council = $1
                 UNION ALL
                 SELECT at, actor, 'account' AS source, action, username AS record, id AS seq
                   FROM account_events WHERE council = $1
             ) trail
             WHERE ($2 = '' OR actor = $2)
               AND ($3 = '' OR substr(action, 1, length($3)) = $3)
               AND ($4 = '' OR record = $4)
               AND ($5 = '' OR at >= $5)
               AND ($6 = '' OR at < $6)
             ORDER BY at DESC, source, seq DESC
             LIMIT $7 OFFSET $8",
            &[
                param_text(&council),
                param_text(&search.actor),
                param_text(&search.action),
                param_text(&search.record),
                param_text(&search.from),
                param_text(&search.before),
                param(i64::try_from(search.limit).unwrap_or(i64::MAX)),
                param(i64::try_from(search.offset).unwrap_or(i64::MAX)),
            ],
            &[Kind::Text; 5],
        )?;
        Ok(rows
            .iter()
            .map(|r| crate::AuditLine {
                at: text(&r[0]),
                actor: text(&r[1]),
                source: text(&r[2]),
                action: text(&r[3]),
                record: text(&r[4]),
            })
            .collect())
    })
}
