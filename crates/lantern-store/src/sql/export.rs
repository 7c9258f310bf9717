//! The whole database out and back in (`lantern dump` and `restore`):
//! every table of [`crate::dump::TABLES`] read in key order, and restored
//! into a fresh database only.

use crate::StoreError;
use crate::dump::{TABLES, TableRows};
use crate::engine::{Engine, Kind, Mode};

use super::{SqlStore, one_int};

pub(super) fn export<E: Engine>(store: &SqlStore<E>) -> Result<Vec<TableRows>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
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

pub(super) fn restore<E: Engine>(
    store: &mut SqlStore<E>,
    tables: &[TableRows],
) -> Result<(), StoreError> {
    crate::dump::check_tables(tables)?;
    let engine = &store.engine;
    engine.transaction(Mode::Write, |tx| {
        let held = one_int(tx, "SELECT count(*) FROM imports WHERE kind <> 'init'", &[])?
            + one_int(tx, "SELECT count(*) FROM cases", &[])?
            + one_int(tx, "SELECT count(*) FROM users", &[])?;
        if held > 0 {
            return Err(StoreError::NotEmpty);
        }
        // A fresh database holds only its own init import; the dump brings
        // its own. It holds no sessions or failed sign-ins either (no users),
        // and a dump brings none.
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
        // A dump from before the public log (format 7 or older): its sent
        // answers get their entries as migration 18 gave them.
        if tables
            .iter()
            .any(|t| t.table == "public_log" && t.rows.is_empty())
        {
            tx.execute(super::public_log::REBUILD, &[])?;
        }
        Ok(())
    })
}
