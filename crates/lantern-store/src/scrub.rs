//! Validation reports stored before the rule on what reports show (schema
//! 6, `docs/formats/episodes.md` "What a report shows") quoted client
//! identifiers, initials and dates of birth. This module rewrites them with
//! the core's rule (`lantern_core::records::submission::scrub`): in the
//! database, as part of migration 6 (its transaction, then
//! [`crate::engine::Engine::reclaim`] so no old bytes are left in the
//! files), and in a dump of an older database as `import dump` reads it.

use std::collections::BTreeSet;

use lantern_core::records::submission::{self, Report, Verdict};

use crate::StoreError;
use crate::dump::TableRows;
use crate::engine::{Kind, Tx};
use crate::rows::Sql;

/// The schema version whose migration scrubs stored reports; a dump of an
/// older schema is scrubbed as it is read.
pub const SCRUBBED_FROM: i64 = 6;

/// What a stored submission row says besides its report, for a report
/// that cannot be read at all.
pub(crate) struct Held<'a> {
    pub provider: &'a str,
    pub accepted: bool,
    pub rows: [i64; 3],
}

/// A stored report (JSON) rewritten under the rule. One that cannot be
/// read is replaced by a report that says so, with the row counts: an
/// unreadable report may hold anything.
pub(crate) fn report(text: &str, held: &Held<'_>, agencies: &BTreeSet<String>) -> String {
    let provider = Some(held.provider).filter(|p| !p.is_empty());
    let report = match serde_json::from_str::<Report>(text) {
        Ok(mut report) => {
            submission::scrub(&mut report, agencies, provider);
            report
        }
        Err(_) => {
            let count = |n: i64| u64::try_from(n).unwrap_or(0);
            Report {
                rows: count(held.rows[0]),
                accepted_rows: count(held.rows[1]),
                rejected_rows: count(held.rows[2]),
                verdict: if held.accepted {
                    Verdict::Accepted
                } else {
                    Verdict::Rejected {
                        reason: "the report could not be read when personal data was removed \
                                 from stored reports"
                            .into(),
                    }
                },
                errors: Vec::new(),
                warnings: Vec::new(),
                limit: String::new(),
                truncated: 0,
            }
        }
    };
    // Serialising a report cannot fail (strings and numbers only).
    serde_json::to_string(&report).unwrap_or_else(|_| "{}".into())
}

fn text(v: &Sql) -> &str {
    match v {
        Sql::Text(Some(t)) => t,
        _ => "",
    }
}

fn int(v: &Sql) -> i64 {
    match v {
        Sql::Int(Some(i)) => *i,
        _ => 0,
    }
}

/// Rewrite every stored report in the database, in the caller's
/// transaction. Returns how many changed.
pub(crate) fn stored_reports(tx: &mut dyn Tx) -> Result<u64, StoreError> {
    let agencies: BTreeSet<String> = tx
        .query("SELECT DISTINCT code FROM agencies", &[], &[Kind::Text])?
        .iter()
        .map(|r| text(&r[0]).to_string())
        .collect();
    let rows = tx.query(
        "SELECT id, provider, status, rows_read, rows_accepted, rows_rejected, report
         FROM submissions ORDER BY id",
        &[],
        &[
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Text,
        ],
    )?;
    let mut changed = 0;
    for r in &rows {
        let held = Held {
            provider: text(&r[1]),
            accepted: text(&r[2]) == "accepted",
            rows: [int(&r[3]), int(&r[4]), int(&r[5])],
        };
        let old = text(&r[6]);
        let new = report(old, &held, &agencies);
        if new != old {
            tx.execute(
                "UPDATE submissions SET report = $2 WHERE id = $1",
                &[r[0].clone(), Sql::Text(Some(new))],
            )?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Rewrite the reports of a dump's submissions (a dump of a database
/// older than [`SCRUBBED_FROM`]).
pub(crate) fn dumped_reports(tables: &mut [TableRows]) {
    let column = |t: &TableRows, name: &str| t.columns.iter().position(|c| c == name);
    let agencies: BTreeSet<String> = tables
        .iter()
        .find(|t| t.table == "agencies")
        .and_then(|t| column(t, "code").map(|c| (t, c)))
        .map(|(t, c)| t.rows.iter().map(|r| text(&r[c]).to_string()).collect())
        .unwrap_or_default();
    let Some(submissions) = tables.iter_mut().find(|t| t.table == "submissions") else {
        return;
    };
    let columns = [
        "provider",
        "status",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "report",
    ]
    .map(|name| column(submissions, name));
    let [
        Some(p),
        Some(s),
        Some(read),
        Some(acc),
        Some(rej),
        Some(rep),
    ] = columns
    else {
        return;
    };
    for row in &mut submissions.rows {
        let held = Held {
            provider: text(&row[p]),
            accepted: text(&row[s]) == "accepted",
            rows: [int(&row[read]), int(&row[acc]), int(&row[rej])],
        };
        let new = report(text(&row[rep]), &held, &agencies);
        row[rep] = Sql::Text(Some(new));
    }
}
