//! The disclosure log as the public reads it (`public_log`): one row per
//! sent request, written with the answer (see `casework.rs`), read back a
//! page at a time (its entries in one query, how many match in another
//! that reads only indexes), filtered by year, topic and outcome and
//! searched through each engine's full-text index ([`Engine::text_search`]).

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::Sql;
use crate::{PublicEntry, PublicLogFacets, PublicLogPage, PublicLogQuery, StoreError};

use super::{SqlStore, int, param, param_text, text};

const COLUMNS: &str =
    "reference, sent_at, year, title, outcome, topics, questions, search_text, recorded";
const KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
];

/// The entries of answers sent before the public log kept their questions,
/// one per reference, from their disclosure log lines (as migration 18
/// adds them): title the reference, outcome from the decisions, questions
/// not recorded. Run when a dump without the public log is restored.
/// Publications' lines (migration 21) are releases, not sent requests: they
/// get no entry.
pub(super) const REBUILD: &str = "INSERT INTO public_log (council, reference, sent_at, year, title,
    outcome, topics, questions, search_text, recorded)
SELECT council, reference, min(sent_at), CASE WHEN substr(min(sent_at), 1, 4) BETWEEN '1000' AND '9999'
        THEN CAST(substr(min(sent_at), 1, 4) AS BIGINT) ELSE 0 END, reference,
    CASE
        WHEN sum(CASE WHEN decision IN ('given', 'statement') THEN 0 ELSE 1 END) = 0 THEN 'answered'
        WHEN sum(CASE WHEN decision IN ('given', 'statement') THEN 1 ELSE 0 END) > 0 THEN 'partly_answered'
        WHEN sum(CASE WHEN decision = 'not_held' THEN 0 ELSE 1 END) = 0 THEN 'not_held'
        ELSE 'refused'
    END,
    '', '[]', reference, 0
FROM disclosure_log
WHERE NOT EXISTS (SELECT 1 FROM publications p
    WHERE p.council = disclosure_log.council AND p.reference = disclosure_log.reference)
GROUP BY council, reference
ORDER BY min(id)";

/// Topics as stored: each code between spaces, so that one is found with
/// `LIKE '% code %'`.
fn stored_topics(topics: &[String]) -> String {
    format!(" {} ", topics.join(" "))
}

/// A `LIKE` pattern matching `value` literally (escape character `!`).
fn literally(value: &str) -> String {
    value
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_")
}

fn entry(r: &[Sql]) -> PublicEntry {
    PublicEntry {
        reference: text(&r[0]),
        sent_at: text(&r[1]),
        year: int(&r[2]),
        title: text(&r[3]),
        outcome: text(&r[4]),
        topics: text(&r[5]).split_whitespace().map(str::to_string).collect(),
        questions: text(&r[6]),
        search_text: text(&r[7]),
        recorded: int(&r[8]) != 0,
    }
}

/// Add `e` for `council`, in the sending transaction.
pub(super) fn insert(tx: &mut dyn Tx, council: &str, e: &PublicEntry) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO public_log (council, reference, sent_at, year, title, outcome, topics,
            questions, search_text, recorded)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            param_text(council),
            param_text(&e.reference),
            param_text(&e.sent_at),
            param(e.year),
            param_text(&e.title),
            param_text(&e.outcome),
            param_text(&stored_topics(&e.topics)),
            param_text(&e.questions),
            param_text(&e.search_text),
            param(i64::from(e.recorded)),
        ],
    )?;
    Ok(())
}

pub(super) fn page<E: Engine>(
    store: &SqlStore<E>,
    q: &PublicLogQuery,
) -> Result<PublicLogPage, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut params = vec![param_text(&council)];
        let mut conditions = vec!["council = $1".to_string()];
        if let Some(year) = q.year {
            params.push(param(year));
            conditions.push(format!("year = ${}", params.len()));
        }
        if let Some(topic) = &q.topic {
            params.push(param_text(&format!("% {} %", literally(topic))));
            conditions.push(format!("topics LIKE ${} ESCAPE '!'", params.len()));
        }
        if let Some(outcome) = &q.outcome {
            params.push(param_text(outcome));
            conditions.push(format!("outcome = ${}", params.len()));
        }
        if let Some(words) = &q.search {
            let (condition, value) = store.engine.text_search(params.len() + 1, words);
            params.push(param_text(&value));
            conditions.push(condition);
        }
        let filter = conditions.join(" AND ");
        // How many match: from the indexes alone (a window count over the
        // page query would read every matching row's questions first).
        let total = super::one_int(
            tx,
            &format!("SELECT count(*) FROM public_log WHERE {filter}"),
            &params,
        )?;
        params.push(param(i64::try_from(q.limit).unwrap_or(i64::MAX)));
        params.push(param(i64::try_from(q.offset).unwrap_or(i64::MAX)));
        let n = params.len();
        let rows = tx.query(
            &format!(
                "SELECT {COLUMNS} FROM public_log WHERE {filter}
                 ORDER BY sent_at DESC, id DESC LIMIT ${} OFFSET ${n}",
                n - 1
            ),
            &params,
            KINDS,
        )?;
        Ok(PublicLogPage {
            entries: rows.iter().map(|r| entry(r)).collect(),
            total: usize::try_from(total).unwrap_or(0),
        })
    })
}

/// How many entries the log holds, every council's, and the largest id (0
/// and 0 for none), in one read transaction. Two queries each engine
/// answers without reading the rows: a bare `count(*)` (SQLite counts the
/// table's b-tree cells) and the primary key's largest value. Both
/// counted: on PostgreSQL a transaction may commit an entry with a smaller
/// id after one with a larger id has committed, which the count still sees.
pub(super) fn version<E: Engine>(store: &SqlStore<E>) -> Result<(i64, i64), StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let entries = super::one_int(tx, "SELECT count(*) FROM public_log", &[])?;
        let newest = super::one_int(tx, "SELECT coalesce(max(id), 0) FROM public_log", &[])?;
        Ok((entries, newest))
    })
}

pub(super) fn facets<E: Engine>(store: &SqlStore<E>) -> Result<PublicLogFacets, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let years = tx.query(
            "SELECT DISTINCT year FROM public_log WHERE council = $1 ORDER BY year",
            &[param_text(&council)],
            &[Kind::Int],
        )?;
        let topics = tx.query(
            "SELECT DISTINCT topics FROM public_log WHERE council = $1",
            &[param_text(&council)],
            &[Kind::Text],
        )?;
        let mut all: Vec<String> = topics
            .iter()
            .flat_map(|r| {
                text(&r[0])
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort();
        all.dedup();
        Ok(PublicLogFacets {
            years: years.iter().map(|r| int(&r[0])).collect(),
            topics: all,
        })
    })
}
