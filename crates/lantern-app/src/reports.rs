//! Casework reports (`lantern report timeliness|outcomes`, and the
//! reports `lantern serve` publishes): each case's facts gathered from the
//! store (history, deadline, what its sent answer decided), counted by the
//! rules in `lantern_core::report`, and the reports' JSON forms.

use std::collections::BTreeMap;

use jiff::civil::Date;
use lantern_core::casework::{self, LogEntry};
use lantern_store::Store;

use crate::{Context, Result};

pub use lantern_core::report::{
    CaseFacts, Decisions, Grouping, Outcome, OutcomeRow, Timeliness, TimelinessRow,
};

/// What a sent answer decided, from its disclosure-log lines and its
/// letter's JSON form (an s12 refusal logs no figures).
fn decisions(entries: &[&LogEntry], draft: Option<&serde_json::Value>) -> Decisions {
    let mut d = Decisions::default();
    for e in entries {
        match e.decision.as_str() {
            "given" | "statement" => d.given += 1,
            "not_held" => d.not_held += 1,
            "suppressed" | "withheld" => {
                let basis = e.basis.clone().unwrap_or_else(|| "s40_2".to_string());
                *d.exemptions.entry(basis).or_default() += 1;
            }
            _ => {}
        }
    }
    if draft.is_some_and(|v| !v["cost_limit"].is_null()) {
        *d.exemptions.entry("s12".to_string()).or_default() += 1;
    }
    d
}

/// Every case's facts, as the reports count them.
pub fn facts(store: &dyn Store) -> Result<Vec<CaseFacts>> {
    let calendar = crate::casework::calendar(store)?;
    let log = store.disclosure_log()?;
    let mut by_case: BTreeMap<&str, Vec<&LogEntry>> = BTreeMap::new();
    for e in &log {
        by_case.entry(e.reference.as_str()).or_default().push(e);
    }
    let mut out = Vec::new();
    for case in store.cases()? {
        let history = store.case_history(&case.reference)?;
        let deadline = casework::case_deadline(&calendar, &case, &history)?;
        let sent_on = casework::sent_on(&history);
        let draft = match sent_on {
            Some(_) => store
                .draft(&case.reference)?
                .and_then(|(d, _)| serde_json::from_str(&d).ok()),
            None => None,
        };
        let entries = by_case
            .get(case.reference.as_str())
            .cloned()
            .unwrap_or_default();
        out.push(CaseFacts {
            decisions: decisions(&entries, draft.as_ref()),
            review: casework::review_of(&history),
            reference: case.reference,
            received: case.received,
            status: case.status,
            deadline,
            sent_on,
        });
    }
    Ok(out)
}

/// Which requests a report counts, and how it groups them.
#[derive(Debug, Clone, Copy)]
pub struct ReportAsked {
    /// By the month or financial-year quarter requests were received in.
    pub grouping: Grouping,
    /// Only requests received on or after this day.
    pub from: Option<Date>,
    /// Only requests received on or before this day.
    pub to: Option<Date>,
}

/// The timeliness report and the day it was counted on.
#[derive(Debug, Clone)]
pub struct TimelinessReport {
    /// The day unanswered requests are counted as overdue on.
    pub as_of: Date,
    /// One row per month or quarter.
    pub rows: Vec<TimelinessRow>,
}

/// The timeliness report: requests received, answered within 20 working
/// days, within an extension, late; unanswered ones counted as overdue as
/// of `today`, or when not given the context's day (`--as-of`, else today
/// in the council's time zone).
pub fn timeliness(
    ctx: &Context,
    asked: &ReportAsked,
    today: Option<Date>,
) -> Result<TimelinessReport> {
    let store = ctx.open()?;
    let as_of = match today {
        Some(day) => day,
        None => ctx.today(store.as_ref())?,
    };
    Ok(TimelinessReport {
        as_of,
        rows: timeliness_in(store.as_ref(), asked, as_of)?,
    })
}

/// [`timeliness`] on a store already open (`lantern serve` borrows one
/// from its pool).
pub fn timeliness_in(
    store: &dyn Store,
    asked: &ReportAsked,
    today: Date,
) -> Result<Vec<TimelinessRow>> {
    let cases = facts(store)?;
    Ok(lantern_core::report::timeliness_report(
        &cases,
        today,
        asked.grouping,
        asked.from,
        asked.to,
    ))
}

/// The outcomes report: outcomes of sent answers, exemptions used,
/// internal reviews.
pub fn outcomes(ctx: &Context, asked: &ReportAsked) -> Result<Vec<OutcomeRow>> {
    outcomes_in(ctx.open()?.as_ref(), asked)
}

/// [`outcomes`] on a store already open.
pub fn outcomes_in(store: &dyn Store, asked: &ReportAsked) -> Result<Vec<OutcomeRow>> {
    let cases = facts(store)?;
    Ok(lantern_core::report::outcome_report(
        &cases,
        asked.grouping,
        asked.from,
        asked.to,
    ))
}

/// The timeliness report's JSON form (`lantern report timeliness --json`,
/// `/api/timeliness`).
pub fn timeliness_json(rows: &[TimelinessRow]) -> serde_json::Value {
    rows.iter()
        .map(|r| {
            let mut o = serde_json::json!({ "group": r.group, "received": r.received });
            for k in Timeliness::ALL {
                o[k.code()] = r.count(k).into();
            }
            o["timely_percent"] = r
                .timely_share()
                .map(|(n, d)| (1000.0 * n as f64 / d as f64).round() / 10.0)
                .into();
            o
        })
        .collect()
}

/// The column names of the review outcomes, in `OutcomeRow::review_outcomes` order.
pub const REVIEW_OUTCOMES: [&str; 3] =
    ["review_upheld", "review_partly_upheld", "review_overturned"];

/// The exemptions any row cites, sorted: the outcomes report's columns.
pub fn exemption_codes(rows: &[OutcomeRow]) -> Vec<String> {
    let mut codes: Vec<String> = rows
        .iter()
        .flat_map(|r| r.exemptions.keys().cloned())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The outcomes report's JSON form (`lantern report outcomes --json`,
/// `/api/outcomes`).
pub fn outcomes_json(rows: &[OutcomeRow]) -> serde_json::Value {
    rows.iter()
        .map(|r| {
            let mut o = serde_json::json!({ "group": r.group, "answered": r.answered });
            for k in Outcome::ALL {
                o[k.code()] = r.count(k).into();
            }
            o["exemptions"] = serde_json::json!(r.exemptions);
            o["reviews"] = r.reviews.into();
            for (name, n) in REVIEW_OUTCOMES.iter().zip(r.review_outcomes) {
                o[*name] = n.into();
            }
            o["reviews_pending"] = r.reviews_pending().into();
            o
        })
        .collect()
}
