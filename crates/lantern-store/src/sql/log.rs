//! The council's disclosure log as read back, and the phrases its cases
//! have taught (synonyms), each learned on a case and recorded in its
//! history. The log's lines about a few cells, summed up, are kept by the
//! connection that read them until anything in the database changes
//! ([`LoggedKept`]).

use std::collections::HashMap;

use lantern_core::casework::{ActionDetail, LogEntry, Status};

use crate::engine::{Engine, Kind, Mode};
use crate::{StoreError, Who};

use super::casework::{case_event, correctable};
use super::{SqlStore, lent_str, opt_text, param_text, text};

use crate::rows::{Sql, SqlRef};

pub(super) fn disclosure_log<E: Engine>(store: &SqlStore<E>) -> Result<Vec<LogEntry>, StoreError> {
    use super::council::{LOG_COLUMNS, LOG_KINDS, log_entry};
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!("SELECT {LOG_COLUMNS} FROM disclosure_log WHERE council = $1 ORDER BY id"),
            &[param_text(&council)],
            LOG_KINDS,
        )?;
        Ok(rows.into_iter().map(|mut r| log_entry(&mut r)).collect())
    })
}

/// The council's entries about exactly `cells` (indicator, area, period):
/// the SQL narrows by each of the three (through the log's index on them;
/// the council is checked here, since a condition on it would make SQLite
/// walk the council's whole log instead), the exact triples are kept here.
pub(super) fn disclosure_log_of_cells<E: Engine>(
    store: &SqlStore<E>,
    cells: &[(String, String, String)],
) -> Result<Vec<LogEntry>, StoreError> {
    use super::council::{LOG_COLUMNS, LOG_KINDS, log_entry};
    use std::collections::BTreeSet;
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: BTreeSet<(&str, &str, &str)> = cells
        .iter()
        .map(|(i, a, p)| (i.as_str(), a.as_str(), p.as_str()))
        .collect();
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut params = Vec::new();
        let conditions = cell_conditions(wanted.iter().copied(), &mut params);
        let mut kinds = vec![Kind::Text];
        kinds.extend_from_slice(LOG_KINDS);
        let rows = tx.query(
            &format!(
                "SELECT council, {LOG_COLUMNS} FROM disclosure_log WHERE {} ORDER BY id",
                conditions.join(" AND ")
            ),
            &params,
            &kinds,
        )?;
        Ok(rows
            .into_iter()
            .filter(|r| text(&r[0]) == council)
            .map(|mut r| log_entry(&mut r[1..]))
            .filter(|e| match (&e.indicator, &e.area, &e.period) {
                (Some(i), Some(a), Some(p)) => {
                    wanted.contains(&(i.as_str(), a.as_str(), p.as_str()))
                }
                _ => false,
            })
            .collect())
    })
}

/// At most this many cells are read one by one in [`logged_cells`]; more
/// are read together.
const CELLS_ONE_BY_ONE: usize = 64;

/// The log's lines about cells, summed up per answer ([`logged_cells`]), as
/// one connection read them, with the mark of what it read
/// ([`crate::engine::Tx::unchanged_mark`]) and the council it read for. A
/// workspace page looks up the earlier answers about every cell its request
/// asks for, which were most of what the page cost; pages about the same
/// cells read the same lines. Kept only while the mark stays the same, so
/// any change to the database since (a new answer sent, by any connection
/// or process) has them read again; never kept by an engine that gives no
/// mark. Bounded: emptied when it holds [`LoggedKept::MOST`] cells.
#[derive(Debug, Default)]
pub(super) struct LoggedKept {
    mark: Option<(i64, u64)>,
    council: String,
    cells: HashMap<(String, String, String), Vec<lantern_core::related::LoggedCell>>,
}

impl LoggedKept {
    /// The most cells kept.
    const MOST: usize = 512;
}

/// [`disclosure_log_of_cells`] summed up per answer and cell (see
/// `lantern_core::related::LoggedCell`), by answer, then cell. A few cells
/// are read one at a time, each by equality on the log's index on
/// (indicator, area, period), with only the id, reference, sending time
/// and whether the line gave the figure; many, together, grouped in SQL
/// ([`logged_cells_together`]).
pub(super) fn logged_cells<E: Engine>(
    store: &SqlStore<E>,
    cells: &[(String, String, String)],
) -> Result<Vec<lantern_core::related::LoggedCell>, StoreError> {
    use lantern_core::related::{Cell, LoggedCell};
    use std::collections::{BTreeMap, BTreeSet};
    let wanted: BTreeSet<(&str, &str, &str)> = cells
        .iter()
        .map(|(i, a, p)| (i.as_str(), a.as_str(), p.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    if wanted.len() > CELLS_ONE_BY_ONE {
        return logged_cells_together(store, &wanted);
    }
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        // What this connection read before, while nothing has changed.
        let mark = tx.unchanged_mark()?;
        let mut kept = store.logged.borrow_mut();
        if mark.is_none() || kept.mark != mark || kept.council != council {
            *kept = LoggedKept {
                mark,
                council: council.clone(),
                cells: HashMap::new(),
            };
        }
        let mut out = Vec::new();
        for (indicator, area, period) in &wanted {
            let key = (indicator.to_string(), area.to_string(), period.to_string());
            if let Some(known) = kept.cells.get(&key) {
                out.extend(known.iter().cloned());
                continue;
            }
            // Per answer: its first line that gave the figure (id, sent at),
            // and whether any line did not. Each line is looked at where it
            // lies; only an answer's reference and a first line's sending
            // time are copied.
            type Summed = (Option<(i64, String)>, bool);
            let mut by_answer: BTreeMap<String, Summed> = BTreeMap::new();
            tx.query_each(
                "SELECT id, reference, sent_at,
                        CAST(CASE WHEN decision = 'given' THEN 1 ELSE 0 END AS BIGINT)
                 FROM disclosure_log
                 WHERE indicator = $1 AND area = $2 AND period = $3 AND council = $4",
                &[
                    param_text(indicator),
                    param_text(area),
                    param_text(period),
                    param_text(&council),
                ],
                &[Kind::Int, Kind::Text, Kind::Text, Kind::Int],
                &mut |r| {
                    let (SqlRef::Int(Some(id)), SqlRef::Int(Some(given))) = (r[0], r[3]) else {
                        return Ok(());
                    };
                    let reference = lent_str(r[1]);
                    let answer = match by_answer.get_mut(reference) {
                        Some(answer) => answer,
                        None => by_answer.entry(reference.to_string()).or_default(),
                    };
                    if given == 0 {
                        answer.1 = true;
                    } else if answer.0.as_ref().is_none_or(|(first, _)| id < *first) {
                        answer.0 = Some((id, lent_str(r[2]).to_string()));
                    }
                    Ok(())
                },
            )?;
            let found: Vec<LoggedCell> = by_answer
                .into_iter()
                .map(|(reference, (first_given, not_given))| LoggedCell {
                    reference,
                    cell: Cell {
                        indicator: indicator.to_string(),
                        area: area.to_string(),
                        period: period.to_string(),
                    },
                    first_given,
                    not_given,
                })
                .collect();
            out.extend(found.iter().cloned());
            if kept.mark.is_some() {
                if kept.cells.len() >= LoggedKept::MOST {
                    kept.cells.clear();
                }
                kept.cells.insert(key, found);
            }
        }
        out.sort_by(|a, b| (&a.reference, &a.cell).cmp(&(&b.reference, &b.cell)));
        Ok(out)
    })
}

/// [`logged_cells`] of many cells: the SQL narrows by each of indicator,
/// area and period (through the log's index; the council is checked here,
/// since a condition on it would make SQLite walk the council's whole log
/// instead) and groups the lines, so only one row per answer and cell
/// comes back, with the id and sending time of its first `given` line and
/// a count of the others; the exact triples are kept here.
fn logged_cells_together<E: Engine>(
    store: &SqlStore<E>,
    wanted: &std::collections::BTreeSet<(&str, &str, &str)>,
) -> Result<Vec<lantern_core::related::LoggedCell>, StoreError> {
    use lantern_core::related::{Cell, LoggedCell};
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut params = Vec::new();
        let conditions = cell_conditions(wanted.iter().copied(), &mut params);
        let rows = tx.query(
            &format!(
                "SELECT g.council, g.reference, g.indicator, g.area, g.period, g.first_given,
                        g.not_given, l.sent_at
                 FROM (SELECT council, reference, indicator, area, period,
                              MIN(CASE WHEN decision = 'given' THEN id END) AS first_given,
                              COUNT(CASE WHEN decision <> 'given' THEN 1 END) AS not_given
                       FROM disclosure_log WHERE {}
                       GROUP BY council, reference, indicator, area, period) g
                 LEFT JOIN disclosure_log l ON l.id = g.first_given",
                conditions.join(" AND ")
            ),
            &params,
            &[
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Int,
                Kind::Int,
                Kind::Text,
            ],
        )?;
        let mut out: Vec<LoggedCell> = rows
            .iter()
            .filter(|r| text(&r[0]) == council)
            .filter(|r| wanted.contains(&(str_of(&r[2]), str_of(&r[3]), str_of(&r[4]))))
            .map(|r| LoggedCell {
                reference: text(&r[1]),
                cell: Cell {
                    indicator: text(&r[2]),
                    area: text(&r[3]),
                    period: text(&r[4]),
                },
                first_given: match (&r[5], opt_text(&r[7])) {
                    (Sql::Int(Some(id)), Some(sent_at)) => Some((*id, sent_at)),
                    _ => None,
                },
                not_given: !matches!(r[6], Sql::Int(Some(0))),
            })
            .collect();
        // In the program's order, whatever the engine's collation.
        out.sort_by(|a, b| (&a.reference, &a.cell).cmp(&(&b.reference, &b.cell)));
        Ok(out)
    })
}

/// A text column's value as read, borrowed ("" for anything else).
fn str_of(value: &Sql) -> &str {
    match value {
        Sql::Text(Some(s)) => s,
        _ => "",
    }
}

pub(super) fn learn<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    who: &Who,
    phrase: &str,
    target: &str,
    structured: Option<&str>,
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let now = correctable(tx, &council, reference, seen)?;
        tx.execute(
            "INSERT INTO synonyms (phrase, target, reference, added_at, added_by, council)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                param_text(phrase),
                param_text(target),
                param_text(reference),
                param_text(&who.at),
                param_text(&who.actor),
                param_text(&council),
            ],
        )?;
        if let Some(structured) = structured {
            tx.execute(
                "UPDATE cases SET structured = $2 WHERE reference = $1 AND council = $3",
                &[
                    param_text(reference),
                    param_text(structured),
                    param_text(&council),
                ],
            )?;
        }
        let note = format!("“{phrase}” means {target}");
        case_event(
            tx,
            &council,
            reference,
            who,
            "learn",
            Some(now),
            now,
            &ActionDetail::note(Some(&note)),
        )
    })
}

/// A phrase as phrases are compared: lower case, single spaces.
fn phrase_key(phrase: &str) -> String {
    phrase
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The council's phrases in force, in a transaction: every taught row
/// not ended by a later removal row (target empty) of the same phrase.
fn in_force(
    tx: &mut dyn crate::engine::Tx,
    council: &str,
) -> Result<Vec<crate::StoredSynonym>, StoreError> {
    let rows = tx.query(
        "SELECT phrase, target, reference, added_at, added_by FROM synonyms
         WHERE council = $1 ORDER BY id",
        &[param_text(council)],
        &[Kind::Text; 5],
    )?;
    let mut out: Vec<crate::StoredSynonym> = Vec::new();
    for r in &rows {
        let phrase = text(&r[0]);
        let target = text(&r[1]);
        if target.is_empty() {
            let key = phrase_key(&phrase);
            out.retain(|s| phrase_key(&s.phrase) != key);
            continue;
        }
        out.push(crate::StoredSynonym {
            phrase,
            target,
            reference: opt_text(&r[2]),
            added_at: text(&r[3]),
            added_by: text(&r[4]),
        });
    }
    Ok(out)
}

pub(super) fn synonyms<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<crate::StoredSynonym>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        in_force(tx, &council)
    })
}

pub(super) fn forget_synonym<E: Engine>(
    store: &mut SqlStore<E>,
    phrase: &str,
    who: &Who,
) -> Result<usize, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let key = phrase_key(phrase);
        let targets: Vec<String> = in_force(tx, &council)?
            .into_iter()
            .filter(|s| phrase_key(&s.phrase) == key)
            .map(|s| s.target)
            .collect();
        let ended = targets.len();
        if ended == 0 {
            return Ok(0);
        }
        tx.execute(
            "INSERT INTO synonyms (phrase, target, reference, added_at, added_by, council)
             VALUES ($1, '', NULL, $2, $3, $4)",
            &[
                param_text(&key),
                param_text(&who.at),
                param_text(&who.actor),
                param_text(&council),
            ],
        )?;
        let meta = crate::ImportMeta {
            kind: crate::ImportKind::PhraseRemoval,
            file: "lantern request forget-phrase".into(),
            sha256: String::new(),
            actor: who.actor.clone(),
            at: who.at.clone(),
        };
        let import = super::audit::begin_import(tx, &meta, 1)?;
        super::audit::audit(
            tx,
            import,
            &meta,
            "synonym.remove",
            &key,
            serde_json::json!({ "council": council, "meant": targets }),
        )?;
        Ok(ended)
    })
}

/// `indicator IN (…)`, `area IN (…)` and `period IN (…)` over the cells'
/// values (each list without repeats), numbered from `params.len() + 1`,
/// the values added to `params`: the rows of every cell asked, and perhaps
/// of some other combination of the same values, for the caller to drop.
fn cell_conditions<'c>(
    cells: impl Iterator<Item = (&'c str, &'c str, &'c str)> + Clone,
    params: &mut Vec<Sql>,
) -> Vec<String> {
    use std::collections::BTreeSet;
    let mut conditions = Vec::new();
    for (column, values) in [
        (
            "indicator",
            cells.clone().map(|c| c.0).collect::<BTreeSet<_>>(),
        ),
        ("area", cells.clone().map(|c| c.1).collect()),
        ("period", cells.clone().map(|c| c.2).collect()),
    ] {
        let first = params.len() + 1;
        let list: Vec<String> = (first..first + values.len())
            .map(|i| format!("${i}"))
            .collect();
        params.extend(values.into_iter().map(param_text));
        conditions.push(format!("{column} IN ({})", list.join(", ")));
    }
    conditions
}
