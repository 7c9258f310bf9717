//! Lantern's own publications of figures and the publication calendar
//! (migration 21): a publication, its cells as published and its
//! disclosure-log lines written in one transaction with an audit entry,
//! refused when the log grew since disclosure control decided it; pages of
//! published cells read by indexed queries; planned publications.

use lantern_core::casework::LogEntry;

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::publications::{
    NewPlan, NewPublication, PublishedCell, PublishedFigure, PublishedPage, PublishedQuery,
    StoredPlan, StoredPublication,
};
use crate::rows::Sql;
use crate::{ImportKind, ImportMeta, StoreError, Who};

use super::{SqlStore, int, one_int, opt_int, param, param_text, text};

/// The newest disclosure-log line's id, every council's.
fn mark(tx: &mut dyn Tx) -> Result<i64, StoreError> {
    one_int(tx, "SELECT coalesce(max(id), 0) FROM disclosure_log", &[])
}

pub(super) fn disclosure_log_mark<E: Engine>(store: &SqlStore<E>) -> Result<i64, StoreError> {
    store.engine.transaction(Mode::Read, mark)
}

/// An audit entry of its own import (no data version: a publication
/// changes what is released, not the figures held).
fn audited(
    tx: &mut dyn Tx,
    kind: ImportKind,
    file: &str,
    who: &Who,
    action: &str,
    key: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let meta = ImportMeta {
        kind,
        file: file.to_string(),
        sha256: String::new(),
        actor: who.actor.clone(),
        at: who.at.clone(),
    };
    let import = super::audit::begin_import(tx, &meta, 1)?;
    super::audit::audit(tx, import, &meta, action, key, detail)
}

pub(super) fn publish<E: Engine>(
    store: &mut SqlStore<E>,
    p: &NewPublication,
    entries: &[LogEntry],
    who: &Who,
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        if mark(tx)? != p.log_seen {
            return Err(StoreError::LogMoved);
        }
        let taken = one_int(
            tx,
            "SELECT count(*) FROM publications WHERE council = $1 AND reference = $2",
            &[param_text(&council), param_text(&p.reference)],
        )? + one_int(
            tx,
            "SELECT count(*) FROM disclosure_log WHERE council = $1 AND reference = $2",
            &[param_text(&council), param_text(&p.reference)],
        )?;
        if taken > 0 {
            return Err(StoreError::Invalid(format!(
                "the reference {} is taken already; publish again for a new one",
                p.reference
            )));
        }
        tx.execute(
            "INSERT INTO publications (council, reference, indicator, area, period_from,
                period_to, breakdowns, title, published_at, published_by, data_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                param_text(&council),
                param_text(&p.reference),
                param_text(&p.indicator),
                param_text(&p.area),
                param_text(&p.from),
                param_text(&p.to),
                param_text(&serde_json::Value::from(p.breakdowns.clone()).to_string()),
                param_text(&p.title),
                param_text(&who.at),
                param_text(&who.actor),
                param(p.data_version),
            ],
        )?;
        for (i, c) in p.cells.iter().enumerate() {
            tx.execute(
                "INSERT INTO published_figures (council, reference, position, indicator, area,
                    caption, period, period_label, breakdown, breakdown_label, decision, value,
                    released)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    param_text(&council),
                    param_text(&p.reference),
                    param(i as i64 + 1),
                    param_text(&p.indicator),
                    param_text(&p.area),
                    param_text(&c.caption),
                    param_text(&c.period),
                    param_text(&c.period_label),
                    param_text(&c.breakdown),
                    param_text(&c.breakdown_label),
                    param_text(&c.decision),
                    Sql::Int(c.value),
                    param_text(&c.released),
                ],
            )?;
        }
        for e in entries {
            tx.execute(
                "INSERT INTO disclosure_log (reference, sent_at, question, indicator, area, period,
                    breakdown, decision, basis, value, released, council)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    param_text(&e.reference),
                    param_text(&e.sent_at),
                    param_text(&e.question),
                    Sql::Text(e.indicator.clone()),
                    Sql::Text(e.area.clone()),
                    Sql::Text(e.period.clone()),
                    Sql::Text(e.breakdown.clone()),
                    param_text(&e.decision),
                    Sql::Text(e.basis.clone()),
                    Sql::Int(e.value),
                    param_text(&e.released),
                    param_text(&council),
                ],
            )?;
        }
        audited(
            tx,
            ImportKind::Publication,
            "lantern publish",
            who,
            "publication.publish",
            &p.reference,
            serde_json::json!({
                "council": council,
                "indicator": p.indicator,
                "area": p.area,
                "from": p.from,
                "to": p.to,
                "breakdowns": p.breakdowns,
                "data_version": p.data_version,
                "cells": p.cells.len(),
                "log_lines": entries.len(),
            }),
        )
    })
}

pub(super) fn publications<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<StoredPublication>, StoreError> {
    use Kind::{Int, Text};
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT reference, indicator, area, period_from, period_to, breakdowns, title,
                published_at, published_by, data_version
             FROM publications WHERE council = $1 ORDER BY id DESC",
            &[param_text(&council)],
            &[Text, Text, Text, Text, Text, Text, Text, Text, Text, Int],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredPublication {
                reference: text(&r[0]),
                indicator: text(&r[1]),
                area: text(&r[2]),
                from: text(&r[3]),
                to: text(&r[4]),
                breakdowns: serde_json::from_str(&text(&r[5])).unwrap_or_default(),
                title: text(&r[6]),
                published_at: text(&r[7]),
                published_by: text(&r[8]),
                data_version: int(&r[9]),
            })
            .collect())
    })
}

/// See `Store::published_version`: each count and largest key its own
/// subquery, so SQLite answers each from the b-tree without reading rows.
pub(super) fn version<E: Engine>(store: &SqlStore<E>) -> Result<[i64; 4], StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let rows = tx.query(
            "SELECT (SELECT count(*) FROM publications),
                    (SELECT coalesce(max(id), 0) FROM publications),
                    (SELECT count(*) FROM catalogue_layers),
                    (SELECT coalesce(max(id), 0) FROM catalogue_layers)",
            &[],
            &[Kind::Int, Kind::Int, Kind::Int, Kind::Int],
        )?;
        // A select without FROM gives one row.
        Ok(rows
            .first()
            .map_or([0; 4], |r| [int(&r[0]), int(&r[1]), int(&r[2]), int(&r[3])]))
    })
}

pub(super) fn published_figures<E: Engine>(
    store: &SqlStore<E>,
    q: &PublishedQuery,
) -> Result<PublishedPage, StoreError> {
    use Kind::{Int, Text};
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut params = vec![param_text(&council)];
        let mut conditions = vec!["f.council = $1".to_string()];
        for (column, value) in [
            ("reference", &q.reference),
            ("indicator", &q.indicator),
            ("area", &q.area),
            ("period", &q.period),
        ] {
            if let Some(v) = value {
                params.push(param_text(v));
                conditions.push(format!("f.{column} = ${}", params.len()));
            }
        }
        let filter = conditions.join(" AND ");
        let total = one_int(
            tx,
            &format!("SELECT count(*) FROM published_figures f WHERE {filter}"),
            &params,
        )?;
        let limit = q.limit.max(1) as i64;
        let offset = q.offset as i64;
        // Newest publication first, each in its own order.
        let rows = tx.query(
            &format!(
                "SELECT f.reference, f.indicator, f.area, f.caption, f.period, f.period_label,
                    f.breakdown, f.breakdown_label, f.decision, f.value, f.released
                 FROM published_figures f
                 JOIN publications p ON p.council = f.council AND p.reference = f.reference
                 WHERE {filter}
                 ORDER BY p.id DESC, f.position LIMIT {limit} OFFSET {offset}"
            ),
            &params,
            &[
                Text, Text, Text, Text, Text, Text, Text, Text, Text, Int, Text,
            ],
        )?;
        let figures: Vec<PublishedFigure> = rows
            .iter()
            .map(|r| PublishedFigure {
                reference: text(&r[0]),
                indicator: text(&r[1]),
                area: text(&r[2]),
                cell: PublishedCell {
                    caption: text(&r[3]),
                    period: text(&r[4]),
                    period_label: text(&r[5]),
                    breakdown: text(&r[6]),
                    breakdown_label: text(&r[7]),
                    decision: text(&r[8]),
                    value: opt_int(&r[9]),
                    released: text(&r[10]),
                },
            })
            .collect();
        Ok(PublishedPage {
            figures,
            total: usize::try_from(total).unwrap_or(0),
        })
    })
}

pub(super) fn plan_publication<E: Engine>(
    store: &mut SqlStore<E>,
    plan: &NewPlan,
    who: &Who,
) -> Result<i64, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "INSERT INTO planned_publications (council, indicator, period, planned_on,
                planned_by, planned_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                param_text(&council),
                param_text(&plan.indicator),
                param_text(&plan.period),
                param_text(&plan.planned_on),
                param_text(&who.actor),
                param_text(&who.at),
            ],
            &[Kind::Int],
        )?;
        let id = rows.first().map(|r| int(&r[0])).unwrap_or(0);
        audited(
            tx,
            ImportKind::PublicationPlan,
            "lantern publication plan",
            who,
            "publication.plan",
            &format!("{}/{}", plan.indicator, plan.period),
            serde_json::json!({
                "council": council,
                "indicator": plan.indicator,
                "period": plan.period,
                "planned_on": plan.planned_on,
            }),
        )?;
        Ok(id)
    })
}

pub(super) fn planned_publications<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<StoredPlan>, StoreError> {
    use Kind::{Int, Text};
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT id, indicator, period, planned_on, planned_by, planned_at
             FROM planned_publications WHERE council = $1 ORDER BY planned_on, id",
            &[param_text(&council)],
            &[Int, Text, Text, Text, Text, Text],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredPlan {
                id: int(&r[0]),
                indicator: text(&r[1]),
                period: text(&r[2]),
                planned_on: text(&r[3]),
                planned_by: text(&r[4]),
                planned_at: text(&r[5]),
            })
            .collect())
    })
}
