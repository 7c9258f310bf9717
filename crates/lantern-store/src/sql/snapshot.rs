//! What a data version holds, read back: the imported figures and those
//! computed from records (figure sets), statements and releases live at a
//! version, and their row readers, which `scoped.rs` shares.

use lantern_core::figure::{Breakdown, Figure, Provenance, Source, Status as FigureStatus, Value};
use lantern_core::period::Period;
use lantern_core::records::FigureSet;
use lantern_core::release::Release;
use lantern_core::statement::Statement;

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::Sql;
use crate::{FigureQuery, Snapshot, StoreError};

use super::audit::data_version;
use super::catalogue::catalogue_at;
use super::{
    SqlStore, damaged, date, id_list, int, opt_date, opt_int, opt_text, param, stored_year, text,
};

/// The imported figures live at data version `$1`, with their import (then
/// more conditions, then [`FIGURE_ORDER`]); rows read by [`figure`].
pub(super) const FIGURE_SELECT: &str =
    "SELECT f.indicator, f.area, f.period, f.breakdown, f.source, f.kind, f.amount, f.amount_high,
            f.reason, f.status, f.coverage, f.note, f.import_id, f.line, i.file, i.actor, i.at
     FROM figures f JOIN imports i ON i.id = f.import_id
     WHERE f.added_in <= $1 AND (f.retired_in IS NULL OR f.retired_in > $1)";

/// The order figures are read in.
pub(super) const FIGURE_ORDER: &str =
    "ORDER BY f.indicator, f.area, f.period_first, f.period_last, f.breakdown, f.source";

/// The column kinds of [`FIGURE_SELECT`].
pub(super) const FIGURE_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
];

fn figures_at(
    tx: &mut dyn Tx,
    query: &FigureQuery,
    version: i64,
) -> Result<Vec<Figure>, StoreError> {
    let rows = tx.query(
        &format!(
            "{FIGURE_SELECT}
             AND (CAST($2 AS TEXT) IS NULL OR f.indicator = $2) AND (CAST($3 AS TEXT) IS NULL OR f.area = $3)
             {FIGURE_ORDER}"
        ),
        &[
            param(version),
            Sql::Text(query.indicator.clone()),
            Sql::Text(query.area.clone()),
        ],
        FIGURE_KINDS,
    )?;
    let mut figures = rows
        .iter()
        .map(|r| figure(r))
        .collect::<Result<Vec<_>, _>>()?;
    figures.extend(record_figures_at(tx, query, version)?);
    Ok(figures)
}

/// The figure sets live at data version `$1` (then more conditions and
/// `ORDER BY r.area, r.financial_year`); rows read by [`set_figures`].
pub(super) const RECORD_SET_SELECT: &str =
    "SELECT r.area, r.financial_year, r.status, r.body, r.submissions, r.added_in, i.actor, i.at
     FROM record_figure_sets r JOIN imports i ON i.id = r.added_in
     WHERE r.added_in <= $1 AND (r.retired_in IS NULL OR r.retired_in > $1)";

/// The column kinds of [`RECORD_SET_SELECT`].
pub(super) const RECORD_SET_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
];

/// The figures computed from records (figure sets) live at `version`: one
/// per count, from [`Source::LocalRecords`], ordered like imported figures.
fn record_figures_at(
    tx: &mut dyn Tx,
    query: &FigureQuery,
    version: i64,
) -> Result<Vec<Figure>, StoreError> {
    let rows = tx.query(
        &format!(
            "{RECORD_SET_SELECT} AND (CAST($2 AS TEXT) IS NULL OR r.area = $2)
             ORDER BY r.area, r.financial_year"
        ),
        &[param(version), Sql::Text(query.area.clone())],
        RECORD_SET_KINDS,
    )?;
    let mut figures = Vec::new();
    for r in &rows {
        figures.extend(set_figures(r, &|indicator: &str| {
            query.indicator.as_ref().is_none_or(|i| i == indicator)
        })?);
    }
    sort_record_figures(&mut figures);
    Ok(figures)
}

/// The counts of one figure set row (`area, financial_year, status, body,
/// submissions, added_in, actor, at`) as figures, those of the indicators
/// `keep` admits only.
pub(super) fn set_figures(
    r: &[Sql],
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<Figure>, StoreError> {
    let (area, year) = (text(&r[0]), stored_year(&r[1])?);
    let bad = |what: String| damaged(format!("figure set {area} {year}: {what}"));
    let status = FigureStatus::parse(&text(&r[2])).map_err(bad)?;
    let counts = FigureSet::parse_body(&text(&r[3])).map_err(bad)?;
    let submissions = id_list(&r[4])?;
    let file = if submissions.is_empty() {
        "records".to_string()
    } else {
        let ids: Vec<String> = submissions.iter().map(i64::to_string).collect();
        format!("records: submissions {}", ids.join(", "))
    };
    let provenance = Provenance {
        import: int(&r[5]),
        file,
        line: 0,
        actor: text(&r[6]),
        imported_at: text(&r[7]),
    };
    let mut figures = Vec::new();
    for c in counts {
        if !keep(&c.indicator) {
            continue;
        }
        let value = i64::try_from(c.value).map_err(|e| bad(e.to_string()))?;
        figures.push(Figure {
            period: Period::FinancialYear(year),
            breakdown: Breakdown::from_key(&c.breakdown),
            value: Value::Exact(value),
            source: Source::LocalRecords,
            status,
            coverage: c.coverage.into_iter().collect(),
            note: None,
            provenance: provenance.clone(),
            area: area.clone(),
            indicator: c.indicator,
        });
    }
    Ok(figures)
}

/// Figures from records in the order imported figures are read in.
pub(super) fn sort_record_figures(figures: &mut [Figure]) {
    figures.sort_by_cached_key(|f| {
        (
            f.indicator.clone(),
            f.area.clone(),
            f.period.first_day(),
            f.breakdown.key(),
        )
    });
}

pub(super) fn figure(r: &[Sql]) -> Result<Figure, StoreError> {
    let (indicator, period_text) = (text(&r[0]), text(&r[2]));
    let bad = |what: &str| damaged(format!("figure {indicator} {period_text}: {what}"));
    let reason = opt_text(&r[8]).unwrap_or_default();
    let value = match (text(&r[5]).as_str(), opt_int(&r[6]), opt_int(&r[7])) {
        ("exact", Some(a), _) => Value::Exact(a),
        ("approx", Some(low), Some(high)) => Value::Approximate { low, high },
        ("zero", _, _) => Value::Zero { reason },
        ("not_held", _, _) => Value::NotHeld { reason },
        ("not_yet_shareable", _, _) => Value::NotYetShareable { reason },
        _ => return Err(bad("unknown value kind")),
    };
    Ok(Figure {
        period: Period::parse(&period_text).map_err(|e| bad(&e.to_string()))?,
        breakdown: Breakdown::from_key(&text(&r[3])),
        source: Source::parse(&text(&r[4])).map_err(|e| bad(&e))?,
        status: FigureStatus::parse(&text(&r[9])).map_err(|e| bad(&e))?,
        coverage: serde_json::from_str(&text(&r[10])).map_err(|e| bad(&e.to_string()))?,
        note: opt_text(&r[11]),
        value,
        provenance: Provenance {
            import: int(&r[12]),
            line: int(&r[13]) as u64,
            file: text(&r[14]),
            actor: text(&r[15]),
            imported_at: text(&r[16]),
        },
        area: text(&r[1]),
        indicator,
    })
}

pub(super) fn statements_at(tx: &mut dyn Tx, version: i64) -> Result<Vec<Statement>, StoreError> {
    use Kind::{Int, Text};
    let rows = tx.query(
        "SELECT s.topic, s.area, s.text, s.valid_from, s.valid_to, s.source, s.import_id, s.line, i.file, i.actor, i.at
         FROM statements s JOIN imports i ON i.id = s.import_id
         WHERE s.added_in <= $1 AND (s.retired_in IS NULL OR s.retired_in > $1)
         ORDER BY s.topic, s.area, s.valid_from",
        &[param(version)],
        &[Text, Text, Text, Text, Text, Text, Int, Int, Text, Text, Text],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Statement {
                topic: text(&r[0]),
                area: text(&r[1]),
                text: text(&r[2]),
                valid_from: opt_date(opt_text(&r[3]))?,
                valid_to: opt_date(opt_text(&r[4]))?,
                source: opt_text(&r[5]),
                provenance: Provenance {
                    import: int(&r[6]),
                    line: int(&r[7]) as u64,
                    file: text(&r[8]),
                    actor: text(&r[9]),
                    imported_at: text(&r[10]),
                },
            })
        })
        .collect()
}

pub(super) fn releases_at(tx: &mut dyn Tx, version: i64) -> Result<Vec<Release>, StoreError> {
    use Kind::Text;
    let rows = tx.query(
        "SELECT code, title, publisher, date, announced, indicators, periods, url FROM releases
         WHERE added_in <= $1 AND (retired_in IS NULL OR retired_in > $1) ORDER BY date, code",
        &[param(version)],
        &[Text, Text, Text, Text, Text, Text, Text, Text],
    )?;
    rows.iter()
        .map(|r| {
            let indicators: Vec<String> = serde_json::from_str(&text(&r[5])).map_err(damaged)?;
            let periods: Vec<String> = serde_json::from_str(&text(&r[6])).map_err(damaged)?;
            let periods = periods
                .iter()
                .map(|p| Period::parse(p).map_err(damaged))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Release {
                code: text(&r[0]),
                title: text(&r[1]),
                publisher: text(&r[2]),
                date: date(&text(&r[3]))?,
                announced: opt_date(opt_text(&r[4]))?,
                indicators,
                periods,
                url: opt_text(&r[7]),
            })
        })
        .collect()
}

pub(super) fn figures<E: Engine>(
    store: &SqlStore<E>,
    query: &FigureQuery,
) -> Result<Vec<Figure>, StoreError> {
    store
        .engine
        .transaction(Mode::Read, |tx| figures_at(tx, query, i64::MAX))
}

pub(super) fn releases<E: Engine>(
    store: &SqlStore<E>,
    version: Option<i64>,
) -> Result<Vec<Release>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let newest = data_version(tx)?;
        let version = version.unwrap_or(newest);
        if version < 1 || version > newest {
            return Err(StoreError::NoSuchVersion {
                asked: version,
                newest,
            });
        }
        releases_at(tx, version)
    })
}

pub(super) fn snapshot<E: Engine>(
    store: &SqlStore<E>,
    version: Option<i64>,
) -> Result<Snapshot, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let newest = data_version(tx)?;
        let version = version.unwrap_or(newest);
        if version < 1 || version > newest {
            return Err(StoreError::NoSuchVersion {
                asked: version,
                newest,
            });
        }
        Ok(Snapshot {
            data_version: version,
            catalogue: catalogue_at(tx, version)?,
            figures: figures_at(tx, &FigureQuery::default(), version)?,
            statements: statements_at(tx, version)?,
            releases: releases_at(tx, version)?,
        })
    })
}
