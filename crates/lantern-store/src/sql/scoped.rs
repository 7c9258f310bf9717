//! Reads sized to one request ([`crate::Store::catalogue_at`],
//! [`crate::Store::read_scope`], [`crate::Store::disclosure_log_about`],
//! [`crate::Store::records_held`]): the figures, statements, releases,
//! disclosure-log entries and one area's providers' records answering it needs, which
//! `lantern_core::scope` decides, read in one transaction at one data
//! version. A child module of `sql/`, sharing the queries and row readers of
//! `snapshot.rs` and `catalogue.rs`, so each query is still written once.
//!
//! A national store holds every area's figures; a request about one area
//! reads that area's figure sets (a few kilobytes each) and imported
//! figures through the `(indicator, area, …)` indexes, and the log entries
//! about its indicators there, instead of the whole data version.

use lantern_core::catalogue::Catalogue;
use lantern_core::period::Period;
use lantern_core::scope::{Scope, Window};

use super::audit::data_version;
use super::catalogue::catalogue_at as catalogue_then;
use super::council::{LOG_COLUMNS, LOG_KINDS, log_entry};
use super::snapshot::{
    FIGURE_KINDS, FIGURE_ORDER, FIGURE_SELECT, RECORD_SET_KINDS, RECORD_SET_SELECT, figure,
    releases_at, set_figures, sort_record_figures, statements_at,
};
use super::{
    IN_LIST, damaged, int, param, param_text, stored_month, stored_year, take_blob, take_text, text,
};
use crate::engine::Kind;
use crate::engine::{Engine, Mode, Tx};
use crate::rows::Sql;
use crate::{CouncilLogEntry, ScopedRead, StoreError};

/// The data version `version` stands for, checked, and its catalogue.
pub(super) fn catalogue_at<E: Engine>(
    engine: &E,
    version: Option<i64>,
) -> Result<(i64, Catalogue), StoreError> {
    engine.transaction(Mode::Read, |tx| {
        let version = checked(tx, version)?;
        Ok((version, catalogue_then(tx, version)?))
    })
}

/// The providers' records held for one area at `version`: each provider's
/// submission current then (accepted by then, not replaced or withdrawn by
/// then, of the latest month among those), its chunks of the area decoded,
/// and the agencies registered for the area then. Only that area's chunks
/// of those submissions are read.
pub(super) fn records_held<E: Engine>(
    engine: &E,
    version: i64,
    area: &str,
) -> Result<lantern_core::records::count::HeldRecords, StoreError> {
    held(engine, version, area, true)
}

/// [`records_held`] without the records: the same submissions, in the same
/// order, each with no records (which providers' records reach which month,
/// and whether any are held), read without decoding a chunk.
pub(super) fn submissions_held<E: Engine>(
    engine: &E,
    version: i64,
    area: &str,
) -> Result<lantern_core::records::count::HeldRecords, StoreError> {
    held(engine, version, area, false)
}

/// [`records_held`], with the records decoded or (`bodies` false) left out.
fn held<E: Engine>(
    engine: &E,
    version: i64,
    area: &str,
    bodies: bool,
) -> Result<lantern_core::records::count::HeldRecords, StoreError> {
    use lantern_core::records::count::{HeldRecords, HeldSubmission};
    engine.transaction(Mode::Read, |tx| {
        let version = checked(tx, Some(version))?;
        let registered = tx
            .query(
                "SELECT code FROM agencies
                 WHERE area = $1 AND added_in <= $2 AND (retired_in IS NULL OR retired_in > $2)
                 ORDER BY code",
                &[param_text(area), param(version)],
                &[Kind::Text],
            )?
            .iter()
            .map(|r| text(&r[0]))
            .collect::<Vec<_>>();
        let standing = tx.query(
            "SELECT s.id, s.provider, s.month FROM submissions s
             WHERE s.status = 'accepted' AND s.import_id <= $1
               AND (s.withdrawn_in IS NULL OR s.withdrawn_in > $1)
               AND (s.replaced_by IS NULL
                    OR (SELECT r.import_id FROM submissions r WHERE r.id = s.replaced_by) > $1)",
            &[param(version)],
            &[Kind::Int, Kind::Text, Kind::Text],
        )?;
        // Each provider's latest month, the newest should two share it.
        let mut current: std::collections::BTreeMap<
            String,
            (lantern_core::records::YearMonth, i64),
        > = std::collections::BTreeMap::new();
        for r in &standing {
            let (id, provider, month) = (int(&r[0]), text(&r[1]), stored_month(&r[2])?);
            let e = current.entry(provider).or_insert((month, id));
            if (month, id) > *e {
                *e = (month, id);
            }
        }
        let mut submissions: Vec<HeldSubmission> = Vec::new();
        let ids: Vec<(i64, String, lantern_core::records::YearMonth)> =
            current.into_iter().map(|(p, (m, id))| (id, p, m)).collect();
        for batch in ids.chunks(IN_LIST) {
            let placeholders: Vec<String> = (2..batch.len() + 2).map(|i| format!("${i}")).collect();
            let mut params = vec![param_text(area)];
            params.extend(batch.iter().map(|(id, _, _)| param(*id)));
            if !bodies {
                // The submissions with chunks in the area, in the order the
                // full read meets them (by submission).
                let rows = tx.query(
                    &format!(
                        "SELECT DISTINCT submission_id FROM submission_chunks
                         WHERE area = $1 AND submission_id IN ({}) ORDER BY submission_id",
                        placeholders.join(", ")
                    ),
                    &params,
                    &[Kind::Int],
                )?;
                for r in rows {
                    let id = int(&r[0]);
                    let Some((_, provider, month)) = batch.iter().find(|(s, _, _)| *s == id) else {
                        continue;
                    };
                    if !submissions.iter().any(|s| s.provider == *provider) {
                        submissions.push(HeldSubmission {
                            provider: provider.clone(),
                            month: *month,
                            records: Vec::new(),
                        });
                    }
                }
                continue;
            }
            let rows = tx.query(
                &format!(
                    "SELECT submission_id, id, body FROM submission_chunks
                     WHERE area = $1 AND submission_id IN ({}) ORDER BY submission_id, id",
                    placeholders.join(", ")
                ),
                &params,
                &[Kind::Int, Kind::Int, Kind::Blob],
            )?;
            for mut r in rows {
                let id = int(&r[0]);
                let records = lantern_core::records::chunk::decode(&take_blob(&mut r[2]))
                    .map_err(|e| damaged(format!("record chunk {}: {e}", int(&r[1]))))?;
                let Some((_, provider, month)) = batch.iter().find(|(s, _, _)| *s == id) else {
                    continue;
                };
                match submissions.iter_mut().find(|s| s.provider == *provider) {
                    Some(s) => s.records.extend(records),
                    None => submissions.push(HeldSubmission {
                        provider: provider.clone(),
                        month: *month,
                        records,
                    }),
                }
            }
        }
        // A registered provider's current submission with no records in the
        // area still says how far its records reach.
        for (_, provider, month) in &ids {
            if registered.contains(provider) && !submissions.iter().any(|s| s.provider == *provider)
            {
                submissions.push(HeldSubmission {
                    provider: provider.clone(),
                    month: *month,
                    records: Vec::new(),
                });
            }
        }
        Ok(HeldRecords {
            area: area.to_string(),
            submissions,
            registered,
        })
    })
}

/// Everything answering a request of `scope` reads at `version`.
pub(super) fn read_scope<E: Engine>(
    engine: &E,
    version: i64,
    scope: &Scope,
) -> Result<ScopedRead, StoreError> {
    engine.transaction(Mode::Read, |tx| {
        let version = checked(tx, Some(version))?;
        let log = log_about(tx, scope)?;
        let releases = releases_at(tx, version)?;
        // Thousands of entries name a few dozen periods: each is parsed once.
        let logged: std::collections::BTreeSet<&str> = log
            .iter()
            .filter_map(|e| e.entry.period.as_deref())
            .collect();
        let window = scope.window(
            logged
                .into_iter()
                .filter_map(|p| Period::parse(p).ok())
                .chain(releases.iter().flat_map(|r| r.periods.iter().copied())),
        );
        let mut figures = imported(tx, scope, &window, version)?;
        figures.extend(from_records(tx, scope, &window, version)?);
        let statements = statements_at(tx, version)?
            .into_iter()
            .filter(|s| scope.areas.contains(&s.area) && scope.topics.contains(&s.topic))
            .collect();
        Ok(ScopedRead {
            figures,
            statements,
            releases,
            log,
        })
    })
}

/// [`read_scope`] with only the log entries whose period overlaps the
/// window (see [`crate::Store::read_scope_in_window`]).
pub(super) fn read_scope_in_window<E: Engine>(
    engine: &E,
    version: i64,
    scope: &Scope,
) -> Result<ScopedRead, StoreError> {
    engine.transaction(Mode::Read, |tx| {
        let version = checked(tx, Some(version))?;
        let releases = releases_at(tx, version)?;
        // The window, from every logged period (the log's index holds
        // them), as `read_scope` makes it.
        let logged: Vec<(String, Period)> = logged_periods(tx, scope)?
            .into_iter()
            .filter_map(|p| Period::parse(&p).ok().map(|parsed| (p, parsed)))
            .collect();
        let window = scope.window(
            logged
                .iter()
                .map(|(_, p)| *p)
                .chain(releases.iter().flat_map(|r| r.periods.iter().copied())),
        );
        let inside: Vec<&String> = logged
            .iter()
            .filter(|(_, p)| window.overlaps(p))
            .map(|(text, _)| text)
            .collect();
        let log = if inside.len() <= IN_LIST {
            log_in_periods(tx, scope, &inside)?
        } else {
            // Very many periods: read them all and keep those inside.
            let inside: std::collections::BTreeSet<&str> =
                inside.iter().map(|p| p.as_str()).collect();
            log_about(tx, scope)?
                .into_iter()
                .filter(|e| {
                    e.entry
                        .period
                        .as_deref()
                        .is_some_and(|p| inside.contains(p))
                })
                .collect()
        };
        let mut figures = imported(tx, scope, &window, version)?;
        figures.extend(from_records(tx, scope, &window, version)?);
        let statements = statements_at(tx, version)?
            .into_iter()
            .filter(|s| scope.areas.contains(&s.area) && scope.topics.contains(&s.topic))
            .collect();
        Ok(ScopedRead {
            figures,
            statements,
            releases,
            log,
        })
    })
}

/// The distinct periods (as logged) of the log entries about the scope's
/// indicators in its areas, ascending.
///
/// Read by skipping through the log's index (indicator, area, period) from
/// one period to the next, a lookup per period, rather than walking every
/// entry: a log of thousands of entries names a few dozen periods.
fn logged_periods(tx: &mut dyn Tx, scope: &Scope) -> Result<Vec<String>, StoreError> {
    let mut periods = std::collections::BTreeSet::new();
    for indicator in &scope.indicators {
        for area in &scope.areas {
            let rows = tx.query(
                "WITH RECURSIVE logged(period) AS (
                     SELECT MIN(period) FROM disclosure_log
                      WHERE indicator = $1 AND area = $2
                     UNION ALL
                     SELECT (SELECT MIN(d.period) FROM disclosure_log d
                              WHERE d.indicator = $1 AND d.area = $2
                                AND d.period > logged.period)
                       FROM logged WHERE logged.period IS NOT NULL
                 )
                 SELECT period FROM logged WHERE period IS NOT NULL",
                &[param_text(indicator), param_text(area)],
                &[Kind::Text],
            )?;
            periods.extend(rows.iter().map(|r| text(&r[0])));
        }
    }
    Ok(periods.into_iter().collect())
}

/// [`log_about`], only the entries logged with one of `periods`.
fn log_in_periods(
    tx: &mut dyn Tx,
    scope: &Scope,
    periods: &[&String],
) -> Result<Vec<CouncilLogEntry>, StoreError> {
    if scope.indicators.is_empty() || scope.areas.is_empty() || periods.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Vec::new();
    let indicators = in_list(
        "indicator",
        &scope.indicators.iter().collect::<Vec<_>>(),
        &mut params,
    );
    let areas = in_list("area", &scope.areas.iter().collect::<Vec<_>>(), &mut params);
    let periods = in_list("period", periods, &mut params);
    let mut kinds = vec![Kind::Int, Kind::Text];
    kinds.extend_from_slice(LOG_KINDS);
    // In the index's order, then sorted by id here (ids are unique, so the
    // order is `ORDER BY id`'s): cheaper than the database's sorter, which
    // copies every row.
    let mut rows = tx.query(
        &format!(
            "SELECT id, council, {LOG_COLUMNS} FROM disclosure_log
             WHERE {indicators} AND {areas} AND {periods}"
        ),
        &params,
        &kinds,
    )?;
    rows.sort_unstable_by_key(|r| int(&r[0]));
    Ok(rows
        .into_iter()
        .map(|mut r| CouncilLogEntry {
            council: take_text(&mut r[1]),
            entry: log_entry(&mut r[2..]),
        })
        .collect())
}

/// The log entries about the scope's indicators in its areas, whichever
/// council sent them, oldest first.
pub(super) fn disclosure_log_about<E: Engine>(
    engine: &E,
    scope: &Scope,
) -> Result<Vec<CouncilLogEntry>, StoreError> {
    engine.transaction(Mode::Read, |tx| log_about(tx, scope))
}

/// `version`, or the newest when `None`, if it exists.
fn checked(tx: &mut dyn Tx, version: Option<i64>) -> Result<i64, StoreError> {
    let newest = data_version(tx)?;
    let version = version.unwrap_or(newest);
    if version < 1 || version > newest {
        return Err(StoreError::NoSuchVersion {
            asked: version,
            newest,
        });
    }
    Ok(version)
}

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `column IN (…)` over `values`, numbered from `params.len() + 1`, the
/// values added to `params`.
fn in_list(column: &str, values: &[&String], params: &mut Vec<Sql>) -> String {
    let list = placeholders(params.len() + 1, values.len());
    params.extend(values.iter().map(|v| param_text(v)));
    format!("{column} IN ({list})")
}

/// The log entries about the scope's indicators in its areas, whichever
/// council sent them (each with its council), oldest first.
fn log_about(tx: &mut dyn Tx, scope: &Scope) -> Result<Vec<CouncilLogEntry>, StoreError> {
    if scope.indicators.is_empty() || scope.areas.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Vec::new();
    let indicators = in_list(
        "indicator",
        &scope.indicators.iter().collect::<Vec<_>>(),
        &mut params,
    );
    let areas = in_list("area", &scope.areas.iter().collect::<Vec<_>>(), &mut params);
    let mut kinds = vec![Kind::Text];
    kinds.extend_from_slice(LOG_KINDS);
    let rows = tx.query(
        &format!(
            "SELECT council, {LOG_COLUMNS} FROM disclosure_log WHERE {indicators} AND {areas} ORDER BY id"
        ),
        &params,
        &kinds,
    )?;
    Ok(rows
        .into_iter()
        .map(|mut r| CouncilLogEntry {
            council: take_text(&mut r[0]),
            entry: log_entry(&mut r[1..]),
        })
        .collect())
}

/// The imported figures of the scope's indicators and areas whose period
/// overlaps the window.
fn imported(
    tx: &mut dyn Tx,
    scope: &Scope,
    window: &Window,
    version: i64,
) -> Result<Vec<lantern_core::figure::Figure>, StoreError> {
    if scope.indicators.is_empty() || scope.areas.is_empty() || window.spans().is_empty() {
        return Ok(Vec::new());
    }
    let mut params = vec![param(version)];
    let indicators = in_list(
        "f.indicator",
        &scope.indicators.iter().collect::<Vec<_>>(),
        &mut params,
    );
    let areas = in_list(
        "f.area",
        &scope.areas.iter().collect::<Vec<_>>(),
        &mut params,
    );
    // Dates are ISO text, so they compare as dates.
    let spans: Vec<String> = window
        .spans()
        .iter()
        .map(|(first, last)| {
            params.push(param_text(&last.to_string()));
            params.push(param_text(&first.to_string()));
            format!(
                "(f.period_first <= ${} AND f.period_last >= ${})",
                params.len() - 1,
                params.len()
            )
        })
        .collect();
    let rows = tx.query(
        &format!(
            "{FIGURE_SELECT} AND {indicators} AND {areas} AND ({}) {FIGURE_ORDER}",
            spans.join(" OR ")
        ),
        &params,
        FIGURE_KINDS,
    )?;
    let figures = rows
        .iter()
        .map(|r| figure(r))
        .collect::<Result<Vec<_>, _>>()?;
    // The text comparison above is exact for four-digit years; this keeps
    // the rule exact whatever the dates.
    Ok(figures
        .into_iter()
        .filter(|f| window.overlaps(&f.period))
        .collect())
}

/// The figures computed from records for the scope's indicators and areas,
/// of the financial years that overlap the window (only those sets are
/// decoded).
fn from_records(
    tx: &mut dyn Tx,
    scope: &Scope,
    window: &Window,
    version: i64,
) -> Result<Vec<lantern_core::figure::Figure>, StoreError> {
    if scope.indicators.is_empty() || scope.areas.is_empty() || window.spans().is_empty() {
        return Ok(Vec::new());
    }
    let mut params = vec![param(version)];
    let areas = in_list(
        "r.area",
        &scope.areas.iter().collect::<Vec<_>>(),
        &mut params,
    );
    let rows = tx.query(
        &format!("{RECORD_SET_SELECT} AND {areas} ORDER BY r.area, r.financial_year"),
        &params,
        RECORD_SET_KINDS,
    )?;
    let mut figures = Vec::new();
    for r in &rows {
        let year = stored_year(&r[1])?;
        if !window.overlaps_days(year.first_day(), year.last_day()) {
            continue;
        }
        figures.extend(set_figures(r, &|indicator: &str| {
            scope.indicators.contains(indicator)
        })?);
    }
    sort_record_figures(&mut figures);
    Ok(figures)
}
