//! Bank-holiday calendars, each version imported once and kept, for the
//! casework clock.

use crate::engine::{Engine, Kind, Mode};
use crate::{ImportMeta, ImportReceipt, StoreError};

use super::audit::{audit, begin_import, data_version, finish_import};
use super::{SqlStore, int, one_int, param, param_text, text};

pub(super) fn import_calendar<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    version: &str,
    body: &str,
) -> Result<ImportReceipt, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
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

pub(super) fn calendars<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<crate::StoredCalendar>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
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
