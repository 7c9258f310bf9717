//! Councils in the store (migration 8): each council's settings, versioned
//! like figures, and which council a store handle's casework belongs to.
//!
//! A handle reads and writes the cases (with their drafts and history),
//! disclosure log entries and learned phrases of one council, its
//! **scope** ([`scope`]): the council chosen with [`crate::Store::use_council`];
//! else the only council the database holds; else, while it holds none,
//! the rows of no council yet (`''`), which the first council created
//! adopts ([`adopt`]). A database with several councils and none chosen
//! refuses casework with [`StoreError::ChooseCouncil`], listing the codes.
//!
//! Disclosure control is the exception: it reads every council's log
//! entries about the areas an answer covers ([`log_of_every_council`]), so
//! two councils answering about one area cannot be subtracted from each
//! other.
//!
//! The functions here run inside a transaction the `Store` methods in
//! `sql/` open.

use lantern_core::casework::LogEntry;
use lantern_core::council::{Council, Settings};
use serde_json::json;

use super::{take_opt_text, take_text};

use super::audit::{audit, begin_import, data_version, finish_import};
use super::versioned::store_versions;
use super::{damaged, int, invalid, one_int, opt_text, param, param_text, text};
use crate::engine::{Kind, Tx};
use crate::rows::{Sql, Versioned};
use crate::{
    Adopted, CouncilLogEntry, CouncilSet, ImportKind, ImportMeta, ImportReceipt, StoreError,
    StoredCouncil,
};

/// The `council` of rows written while a database held no council.
pub(crate) const NO_COUNCIL: &str = "";

/// The codes of the councils held, sorted.
pub(crate) fn codes(tx: &mut dyn Tx) -> Result<Vec<String>, StoreError> {
    let rows = tx.query(
        "SELECT DISTINCT code FROM councils ORDER BY code",
        &[],
        &[Kind::Text],
    )?;
    Ok(rows.iter().map(|r| text(&r[0])).collect())
}

/// The council a handle's casework belongs to (see the module docs):
/// `chosen`, else the only one held, else [`NO_COUNCIL`].
pub(crate) fn scope(tx: &mut dyn Tx, chosen: Option<&str>) -> Result<String, StoreError> {
    if let Some(code) = chosen {
        return Ok(code.to_string());
    }
    let mut codes = codes(tx)?;
    match codes.len() {
        0 => Ok(NO_COUNCIL.to_string()),
        1 => Ok(codes.remove(0)),
        _ => Err(StoreError::ChooseCouncil { codes }),
    }
}

/// A council's settings as a versioned row, keyed by its code.
fn row(council: &Council) -> Versioned {
    let s = council.settings();
    let list = |items: &[String]| Sql::Text(Some(json!(items).to_string()));
    Versioned {
        table: "councils",
        entity: "council",
        label: s.code.clone(),
        key: vec![("code", Sql::Text(Some(s.code.clone())))],
        data: vec![
            ("name", Sql::Text(Some(s.name.clone()))),
            ("areas", list(&s.areas)),
            ("team", Sql::Text(Some(s.team.clone()))),
            ("email", Sql::Text(s.email.clone())),
            ("address", list(&s.address)),
            ("signature", list(&s.signature)),
            (
                "threshold",
                Sql::Int(Some(i64::try_from(s.threshold).unwrap_or(i64::MAX))),
            ),
            ("reference", Sql::Text(Some(s.reference.clone()))),
            ("retain_years", Sql::Int(Some(i64::from(s.retain_years)))),
            ("time_zone", Sql::Text(Some(s.time_zone.clone()))),
        ],
        line: 0,
    }
}

const SELECT: &str = "SELECT c.code, c.name, c.areas, c.team, c.email, c.address, c.signature,
        c.threshold, c.reference, c.retain_years, c.time_zone, c.added_in, c.retired_in,
        i.actor, i.at
    FROM councils c JOIN imports i ON i.id = c.import_id";

const KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
];

fn stored(r: &[Sql]) -> Result<StoredCouncil, StoreError> {
    let code = text(&r[0]);
    let bad = |what: String| damaged(format!("council {code}: {what}"));
    let list = |v: &Sql| -> Result<Vec<String>, StoreError> {
        serde_json::from_str(&text(v)).map_err(|e| bad(format!("a list: {e}")))
    };
    let threshold = u64::try_from(int(&r[7])).map_err(|e| bad(e.to_string()))?;
    let retain_years = u8::try_from(int(&r[9])).map_err(|e| bad(e.to_string()))?;
    let council = Council::new(Settings {
        code: code.clone(),
        name: text(&r[1]),
        areas: list(&r[2])?,
        team: text(&r[3]),
        email: opt_text(&r[4]),
        address: list(&r[5])?,
        signature: list(&r[6])?,
        threshold,
        reference: text(&r[8]),
        retain_years,
        time_zone: text(&r[10]),
    })
    .map_err(|e| bad(e.to_string()))?;
    Ok(StoredCouncil {
        council,
        data_version: int(&r[11]),
        retired_in: match &r[12] {
            Sql::Int(v) => *v,
            _ => None,
        },
        actor: text(&r[13]),
        at: text(&r[14]),
    })
}

/// Every council's settings in force now, by code.
pub(crate) fn current(tx: &mut dyn Tx) -> Result<Vec<StoredCouncil>, StoreError> {
    let rows = tx.query(
        &format!("{SELECT} WHERE c.retired_in IS NULL ORDER BY c.code"),
        &[],
        KINDS,
    )?;
    rows.iter().map(|r| stored(r)).collect()
}

/// Every version of a council's settings, oldest first.
pub(crate) fn history(tx: &mut dyn Tx, code: &str) -> Result<Vec<StoredCouncil>, StoreError> {
    let rows = tx.query(
        &format!("{SELECT} WHERE c.code = $1 ORDER BY c.id"),
        &[param_text(code)],
        KINDS,
    )?;
    rows.iter().map(|r| stored(r)).collect()
}

/// A council's settings in force at data version `version`; for a version
/// from before the council was created, its first settings. `None` if no
/// council has the code.
pub(crate) fn at(
    tx: &mut dyn Tx,
    code: &str,
    version: i64,
) -> Result<Option<StoredCouncil>, StoreError> {
    let mut versions = history(tx, code)?;
    let in_force = versions
        .iter()
        .rposition(|v| v.data_version <= version && v.retired_in.is_none_or(|r| r > version));
    Ok(match in_force {
        Some(i) => Some(versions.swap_remove(i)),
        None if versions.is_empty() => None,
        None => Some(versions.swap_remove(0)),
    })
}

/// A council by code, or [`StoreError::NoSuchCouncil`] naming those held.
pub(crate) fn existing(tx: &mut dyn Tx, code: &str) -> Result<StoredCouncil, StoreError> {
    match at(tx, code, i64::MAX)? {
        Some(c) => Ok(c),
        None => Err(StoreError::NoSuchCouncil {
            code: code.to_string(),
            codes: codes(tx)?,
        }),
    }
}

/// [`existing`] without reading the settings: refused the same way when no
/// council has the code (a council's settings, once stored, are never
/// removed; the code of one held is the code asked for).
pub(crate) fn must_exist(tx: &mut dyn Tx, code: &str) -> Result<(), StoreError> {
    let held = one_int(
        tx,
        "SELECT count(*) FROM councils c JOIN imports i ON i.id = c.import_id WHERE c.code = $1",
        &[param_text(code)],
    )?;
    if held == 0 {
        return Err(StoreError::NoSuchCouncil {
            code: code.to_string(),
            codes: codes(tx)?,
        });
    }
    Ok(())
}

/// Store a council's settings (see [`crate::Store::set_council`]).
pub(crate) fn set(
    tx: &mut dyn Tx,
    meta: &ImportMeta,
    council: &Council,
) -> Result<CouncilSet, StoreError> {
    let held = codes(tx)?;
    let joins_init = meta.kind == ImportKind::Init;
    let import = if joins_init {
        // A new database's council is part of its first data version.
        let imports = one_int(tx, "SELECT count(*) FROM imports", &[])?;
        if imports != 1 || !held.is_empty() {
            return Err(invalid(
                "a council's settings join the first import only of a new database",
            ));
        }
        one_int(tx, "SELECT min(id) FROM imports", &[])?
    } else {
        if let Some(now) = at(tx, council.code(), i64::MAX)?
            && now.retired_in.is_none()
            && now.council == *council
        {
            // Nothing to record: no import is listed for it.
            return Ok(CouncilSet {
                receipt: ImportReceipt {
                    rows: 1,
                    unchanged: 1,
                    data_version: data_version(tx)?,
                    ..ImportReceipt::default()
                },
                adopted: Adopted::default(),
            });
        }
        begin_import(tx, meta, 1)?
    };
    let mut receipt = ImportReceipt {
        import,
        rows: 1,
        ..ImportReceipt::default()
    };
    store_versions(tx, import, meta, &[row(council)], &mut receipt)?;
    let adopted = if held.is_empty() {
        adopt(tx, import, meta, council.code())?
    } else {
        Adopted::default()
    };
    if joins_init {
        tx.execute(
            "UPDATE imports SET rows_read = rows_read + 1, added = added + 1 WHERE id = $1",
            &[param(import)],
        )?;
    } else {
        finish_import(tx, import, &receipt)?;
    }
    receipt.data_version = data_version(tx)?;
    Ok(CouncilSet { receipt, adopted })
}

/// The first council takes every row of no council yet (see the module
/// docs and migration 8), audited as `council.adopt`.
fn adopt(
    tx: &mut dyn Tx,
    import: i64,
    meta: &ImportMeta,
    code: &str,
) -> Result<Adopted, StoreError> {
    let mut take = |table: &str| -> Result<u64, StoreError> {
        tx.execute(
            &format!("UPDATE {table} SET council = $1 WHERE council = $2"),
            &[param_text(code), param_text(NO_COUNCIL)],
        )
    };
    let adopted = Adopted {
        cases: take("cases")?,
        case_events: take("case_events")?,
        log_entries: take("disclosure_log")?,
        phrases: take("synonyms")?,
    };
    // The public log's entries of those answers (migration 18 gave answers
    // sent before it one each, of no council yet when none was).
    let public_entries = take("public_log")?;
    if adopted != Adopted::default() {
        audit(
            tx,
            import,
            meta,
            "council.adopt",
            code,
            json!({
                "cases": adopted.cases,
                "case_events": adopted.case_events,
                "log_entries": adopted.log_entries,
                "phrases": adopted.phrases,
                "public_log_entries": public_entries,
            }),
        )?;
    }
    Ok(adopted)
}

/// The columns of a disclosure log entry, after `council`.
pub(crate) const LOG_COLUMNS: &str = "reference, sent_at, question, indicator, area, period, \
    breakdown, decision, basis, value, released";

/// The kinds of [`LOG_COLUMNS`].
pub(crate) const LOG_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
];

/// A log entry from a row of [`LOG_COLUMNS`] (from column `at` on), its
/// values taken out of the row.
pub(crate) fn log_entry(r: &mut [Sql]) -> LogEntry {
    LogEntry {
        reference: take_text(&mut r[0]),
        sent_at: take_text(&mut r[1]),
        question: take_text(&mut r[2]),
        indicator: take_opt_text(&mut r[3]),
        area: take_opt_text(&mut r[4]),
        period: take_opt_text(&mut r[5]),
        breakdown: take_opt_text(&mut r[6]),
        decision: take_text(&mut r[7]),
        basis: take_opt_text(&mut r[8]),
        value: match &r[9] {
            Sql::Int(v) => *v,
            _ => None,
        },
        released: take_text(&mut r[10]),
    }
}

/// How many areas go in one `IN (…)` list.
const AREAS_AT_ONCE: usize = 500;

/// Every council's disclosure log entries (about `areas`, or all), oldest
/// first: what disclosure control must see.
pub(crate) fn log_of_every_council(
    tx: &mut dyn Tx,
    areas: Option<&[String]>,
) -> Result<Vec<CouncilLogEntry>, StoreError> {
    let mut kinds = vec![Kind::Int, Kind::Text];
    kinds.extend_from_slice(LOG_KINDS);
    let select = format!("SELECT id, council, {LOG_COLUMNS} FROM disclosure_log");
    let rows = match areas {
        None => tx.query(&format!("{select} ORDER BY id"), &[], &kinds)?,
        Some(areas) => {
            let mut rows = Vec::new();
            for batch in areas.chunks(AREAS_AT_ONCE) {
                let placeholders: Vec<String> =
                    (1..=batch.len()).map(|i| format!("${i}")).collect();
                let params: Vec<Sql> = batch.iter().map(|a| param_text(a)).collect();
                rows.extend(tx.query(
                    &format!("{select} WHERE area IN ({})", placeholders.join(", ")),
                    &params,
                    &kinds,
                )?);
            }
            rows.sort_by_key(|r| int(&r[0]));
            rows
        }
    };
    Ok(rows
        .into_iter()
        .map(|mut r| CouncilLogEntry {
            council: take_text(&mut r[1]),
            entry: log_entry(&mut r[2..]),
        })
        .collect())
}
