//! Figures computed from records: the figure sets (one per area and
//! financial year, versioned like figures), the recomputations owed since a
//! submission changed or was withdrawn ([`owe`]), and settling them by
//! writing the new sets.

use lantern_core::FinancialYear;
use lantern_core::figure::Status as FigureStatus;
use lantern_core::records::FigureSet;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{Sql, SqlRef};
use crate::{ImportMeta, ImportReceipt, NewFigureSet, StoreError, StoredFigureSet};

use super::audit::{audit_many, begin_import, data_version, finish_import};
use super::{
    IN_LIST, SqlStore, damaged, id_list, int, invalid, opt_int, param, param_text, stored_year,
    text,
};

/// The counts that differ between two figure-set bodies, for the audit log:
/// `indicator|breakdown: before -> after` (at most 50, then how many more).
fn changed_counts(before: &str, after: &str) -> Vec<String> {
    let read = |body: &str| -> std::collections::HashMap<String, u64> {
        FigureSet::parse_body(body)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (format!("{}|{}", c.indicator, c.breakdown), c.value))
            .collect()
    };
    let (old, new) = (read(before), read(after));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut more = 0usize;
    let show = |v: Option<&u64>| v.map_or("none".to_string(), u64::to_string);
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        if out.len() < 50 {
            out.push(format!("{key}: {} -> {}", show(a), show(b)));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        out.push(format!("and {more} more"));
    }
    out
}

/// Record a recomputation owed for `areas`, in the transaction that made
/// the figures stale; returns its id.
#[allow(clippy::too_many_arguments)]
pub(super) fn owe(
    tx: &mut dyn Tx,
    import: i64,
    meta: &ImportMeta,
    reason: &str,
    submission: Option<i64>,
    previous: Option<i64>,
    mut areas: Vec<String>,
) -> Result<i64, StoreError> {
    areas.sort();
    areas.dedup();
    let opt = |v: Option<i64>| Sql::Int(v);
    let rows = tx.query(
        "INSERT INTO records_owed (import_id, reason, submission, previous, areas, at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            param(import),
            param_text(reason),
            opt(submission),
            opt(previous),
            param_text(&json!(areas).to_string()),
            param_text(&meta.at),
        ],
        &[Kind::Int],
    )?;
    rows.first()
        .map(|r| int(&r[0]))
        .ok_or_else(|| damaged("the owed recomputation has no id"))
}

pub(super) fn figure_sets<E: Engine>(
    store: &SqlStore<E>,
    area: Option<&str>,
) -> Result<Vec<StoredFigureSet>, StoreError> {
    use Kind::{Int, Text};
    store.engine.transaction(Mode::Read, |tx| {
        let rows = tx.query(
            "SELECT id, area, financial_year, status, body, submissions, added_in
             FROM record_figure_sets
             WHERE retired_in IS NULL AND (CAST($1 AS TEXT) IS NULL OR area = $1)
             ORDER BY area, financial_year",
            &[Sql::Text(area.map(str::to_string))],
            &[Int, Text, Text, Text, Text, Text, Int],
        )?;
        rows.iter()
            .map(|r| {
                Ok(StoredFigureSet {
                    id: int(&r[0]),
                    area: text(&r[1]),
                    year: stored_year(&r[2])?,
                    status: FigureStatus::parse(&text(&r[3])).map_err(damaged)?,
                    body: text(&r[4]),
                    submissions: id_list(&r[5])?,
                    added_in: int(&r[6]),
                })
            })
            .collect()
    })
}

pub(super) fn write_figure_sets<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    scope: &[(String, FinancialYear)],
    sets: &[NewFigureSet],
) -> Result<ImportReceipt, StoreError> {
    settle_recompute(store, meta, scope, sets, &[], None)?
        .ok_or_else(|| damaged("figure sets were not written"))
}

pub(super) fn owed_recomputes<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<crate::OwedRecompute>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let rows = tx.query(
            "SELECT id, reason, submission, previous, areas, at FROM records_owed
             WHERE settled_in IS NULL ORDER BY id",
            &[],
            &[
                Kind::Int,
                Kind::Text,
                Kind::Int,
                Kind::Int,
                Kind::Text,
                Kind::Text,
            ],
        )?;
        rows.iter()
            .map(|r| {
                Ok(crate::OwedRecompute {
                    id: int(&r[0]),
                    reason: text(&r[1]),
                    submission: opt_int(&r[2]),
                    previous: opt_int(&r[3]),
                    areas: serde_json::from_str(&text(&r[4])).map_err(|e| {
                        damaged(format!(
                            "the areas of owed recomputation {}: {e}",
                            int(&r[0])
                        ))
                    })?,
                    at: text(&r[5]),
                })
            })
            .collect()
    })
}

pub(super) fn settle_recompute<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    scope: &[(String, FinancialYear)],
    sets: &[NewFigureSet],
    owed: &[i64],
    based_on: Option<i64>,
) -> Result<Option<ImportReceipt>, StoreError> {
    // What each (area, year) should hold afterwards: a scoped one with no
    // set given holds nothing. Checked whole before the transaction.
    let mut wanted: BTreeMap<(&str, FinancialYear), Option<&NewFigureSet>> = scope
        .iter()
        .map(|(a, y)| ((a.as_str(), *y), None))
        .collect();
    for set in sets {
        if set.area.trim().is_empty() {
            return Err(invalid("a figure set needs an area"));
        }
        FigureSet::check_body(&set.body)
            .map_err(|e| invalid(format!("figure set {} {}: {e}", set.area, set.year)))?;
        if wanted
            .insert((set.area.as_str(), set.year), Some(set))
            .flatten()
            .is_some()
        {
            return Err(invalid(format!(
                "two figure sets for {} {}",
                set.area, set.year
            )));
        }
    }
    let mut areas: Vec<&str> = wanted.keys().map(|(area, _)| *area).collect();
    areas.dedup();
    // The audit records what changed, not the whole set (the set itself
    // stays in the table, retired, so nothing is lost).
    let set_json = |status: &str, body: &str, submissions: &str| {
        json!({
            "status": status,
            "nonzero_counts": FigureSet::check_body(body).unwrap_or(0),
            "submissions": serde_json::from_str::<serde_json::Value>(submissions)
                .unwrap_or(serde_json::Value::Null),
        })
    };
    store.engine.transaction(Mode::Write, |tx| {
        if let Some(version) = based_on
            && data_version(tx)? != version
        {
            // Computed from data that has changed since: write nothing.
            return Ok(None);
        }
        let import = begin_import(tx, meta, wanted.len())?;
        let mut receipt = ImportReceipt {
            import,
            rows: wanted.len(),
            ..Default::default()
        };
        // The sets held now in those areas, read at once: (area, year)
        // -> id, status, body, submissions.
        let mut held: HashMap<(String, String), Vec<Sql>> = HashMap::new();
        for batch in areas.chunks(IN_LIST) {
            let placeholders: Vec<String> = (1..=batch.len()).map(|i| format!("${i}")).collect();
            let rows = tx.query(
                &format!(
                    "SELECT area, financial_year, id, status, body, submissions
                     FROM record_figure_sets
                     WHERE retired_in IS NULL AND area IN ({})",
                    placeholders.join(", ")
                ),
                &batch.iter().map(|a| param_text(a)).collect::<Vec<_>>(),
                &[
                    Kind::Text,
                    Kind::Text,
                    Kind::Int,
                    Kind::Text,
                    Kind::Text,
                    Kind::Text,
                ],
            )?;
            for mut r in rows {
                let rest = r.split_off(2);
                held.insert((text(&r[0]), text(&r[1])), rest);
            }
        }
        let mut retire: Vec<i64> = Vec::new();
        // (area, year, set, its submissions as JSON) to add; (key, detail) to audit.
        let mut add: Vec<(&str, String, &NewFigureSet, String)> = Vec::new();
        let mut audits: Vec<(String, String)> = Vec::new();
        for ((area, year), set) in &wanted {
            let year_text = year.to_string();
            let held = held.remove(&((*area).to_string(), year_text.clone()));
            let new_submissions = set.map(|s| json!(s.submissions).to_string());
            match (&held, set) {
                (None, None) => continue,
                // The same counts (whatever the text, e.g. a body stored
                // before zeros were left out) and status: unchanged.
                (Some(h), Some(s))
                    if text(&h[1]) == s.status.code()
                        && (text(&h[2]) == s.body
                            || changed_counts(&text(&h[2]), &s.body).is_empty()) =>
                {
                    receipt.unchanged += 1;
                    continue;
                }
                _ => {}
            }
            let before = held
                .as_ref()
                .map(|h| set_json(&text(&h[1]), &text(&h[2]), &text(&h[3])));
            let after = set
                .zip(new_submissions.as_deref())
                .map(|(s, subs)| set_json(s.status.code(), &s.body, subs));
            if let Some(h) = &held {
                retire.push(int(&h[0]));
                receipt.replaced += 1;
            } else {
                receipt.added += 1;
            }
            // A first set is all new: its counts are in the table.
            let changed = match &held {
                Some(h) => changed_counts(&text(&h[2]), set.map(|s| s.body.as_str()).unwrap_or("")),
                None => Vec::new(),
            };
            audits.push((
                format!("{area} {year_text}"),
                json!({ "before": before, "after": after, "changed": changed }).to_string(),
            ));
            if let (Some(s), Some(subs)) = (set, new_submissions) {
                add.push((area, year_text, s, subs));
            }
        }
        for ids in retire.chunks(IN_LIST) {
            let placeholders: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
            let mut params = vec![param(import)];
            params.extend(ids.iter().map(|id| param(*id)));
            tx.execute(
                &format!(
                    "UPDATE record_figure_sets SET retired_in = $1 WHERE id IN ({})",
                    placeholders.join(", ")
                ),
                &params,
            )?;
        }
        let rows: Vec<Vec<SqlRef<'_>>> = add
            .iter()
            .map(|(area, year, s, subs)| {
                vec![
                    SqlRef::Text(Some(area)),
                    SqlRef::Text(Some(year)),
                    SqlRef::Text(Some(s.status.code())),
                    SqlRef::Text(Some(&s.body)),
                    SqlRef::Text(Some(subs)),
                    SqlRef::Int(Some(import)),
                ]
            })
            .collect();
        tx.insert_many(
            "record_figure_sets",
            &[
                ("area", Kind::Text),
                ("financial_year", Kind::Text),
                ("status", Kind::Text),
                ("body", Kind::Text),
                ("submissions", Kind::Text),
                ("added_in", Kind::Int),
            ],
            &rows,
        )?;
        audit_many(tx, import, meta, "figures.recompute", &audits)?;
        for id in owed {
            tx.execute(
                "UPDATE records_owed SET settled_in = $1 WHERE id = $2 AND settled_in IS NULL",
                &[param(import), param(*id)],
            )?;
        }
        crate::failpoint::hit("before-figures-commit");
        finish_import(tx, import, &receipt)?;
        receipt.data_version = data_version(tx)?;
        Ok(Some(receipt))
    })
}
