//! Letter templates a council edits (migration 19), versioned like council
//! settings: each change is a `letter_template` import (a data version)
//! that retires the row in force and adds one, audited with before and
//! after (`letter_template.add`, `letter_template.replace`). A row whose
//! `source` is null records a return to the default. Rows belong to the
//! council in use (the handle's scope).
//!
//! The functions here run inside a transaction the `Store` methods in
//! `sql/` open.

use super::audit::{begin_import, data_version, finish_import};
use super::versioned::store_versions;
use super::{int, invalid, opt_text, param, param_text, text};
use crate::engine::{Kind, Tx};
use crate::rows::{Sql, Versioned};
use crate::{ImportMeta, ImportReceipt, StoreError, StoredTemplate};

const SELECT: &str = "SELECT t.name, t.source, t.summary, t.added_in, t.retired_in, i.actor, i.at
    FROM letter_templates t JOIN imports i ON i.id = t.import_id";

const KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
];

fn stored(r: &[Sql]) -> StoredTemplate {
    StoredTemplate {
        name: text(&r[0]),
        source: opt_text(&r[1]),
        summary: text(&r[2]),
        data_version: int(&r[3]),
        retired_in: match &r[4] {
            Sql::Int(v) => *v,
            _ => None,
        },
        actor: text(&r[5]),
        at: text(&r[6]),
    }
}

/// The council's templates in force at data version `version`, by name.
pub(crate) fn at(
    tx: &mut dyn Tx,
    council: &str,
    version: i64,
) -> Result<Vec<StoredTemplate>, StoreError> {
    let rows = tx.query(
        &format!(
            "{SELECT} WHERE t.council = $1 AND t.added_in <= $2 \
             AND (t.retired_in IS NULL OR t.retired_in > $2) ORDER BY t.name"
        ),
        &[param_text(council), param(version)],
        KINDS,
    )?;
    Ok(rows.iter().map(|r| stored(r)).collect())
}

/// Every version of one of the council's templates, oldest first.
pub(crate) fn history(
    tx: &mut dyn Tx,
    council: &str,
    name: &str,
) -> Result<Vec<StoredTemplate>, StoreError> {
    let rows = tx.query(
        &format!("{SELECT} WHERE t.council = $1 AND t.name = $2 ORDER BY t.id"),
        &[param_text(council), param_text(name)],
        KINDS,
    )?;
    Ok(rows.iter().map(|r| stored(r)).collect())
}

/// Store a new version of one of the council's templates (see
/// [`crate::Store::set_letter_template`]).
pub(crate) fn set(
    tx: &mut dyn Tx,
    council: &str,
    meta: &ImportMeta,
    name: &str,
    source: Option<&str>,
    summary: &str,
) -> Result<ImportReceipt, StoreError> {
    if council.is_empty() {
        return Err(invalid(
            "letter templates belong to a council, and this database holds none yet",
        ));
    }
    let now = at(tx, council, i64::MAX)?;
    let held = now.iter().find(|t| t.name == name);
    if held.map(|t| t.source.as_deref()).unwrap_or(None) == source {
        // The same text (or the default, already in force): nothing to record.
        return Ok(ImportReceipt {
            rows: 1,
            unchanged: 1,
            data_version: data_version(tx)?,
            ..ImportReceipt::default()
        });
    }
    let import = begin_import(tx, meta, 1)?;
    let mut receipt = ImportReceipt {
        import,
        rows: 1,
        ..ImportReceipt::default()
    };
    let row = Versioned {
        table: "letter_templates",
        entity: "letter_template",
        label: format!("{council} {name}"),
        key: vec![
            ("council", Sql::Text(Some(council.to_string()))),
            ("name", Sql::Text(Some(name.to_string()))),
        ],
        data: vec![
            ("source", Sql::Text(source.map(str::to_string))),
            ("summary", Sql::Text(Some(summary.to_string()))),
        ],
        line: 0,
    };
    store_versions(tx, import, meta, &[row], &mut receipt)?;
    finish_import(tx, import, &receipt)?;
    receipt.data_version = data_version(tx)?;
    Ok(receipt)
}
