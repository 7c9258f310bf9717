//! `lantern report timeliness|outcomes`: the casework figures councils
//! publish, as a text table, CSV or JSON. This adapter gathers each case's
//! facts from the store (history, deadline, what its sent answer decided);
//! the rules that classify and count them are `lantern_core::report`.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::ValueEnum;
use jiff::civil::Date;
use lantern_core::casework::{self, LogEntry};
use lantern_core::report::{
    self, CaseFacts, Decisions, Grouping, Outcome, OutcomeRow, Timeliness, TimelinessRow,
};
use lantern_store::Store;

use crate::app::Ctx;
use crate::out;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKind {
    /// Requests received, answered within 20 working days, within an extension, late.
    Timeliness,
    /// Outcomes of sent answers, exemptions used, internal reviews.
    Outcomes,
}

/// How to group requests by the day they were received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// Calendar months (2019-06).
    Month,
    /// Financial-year quarters (Q1 2019/20).
    Quarter,
}

/// Options of `lantern report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Grouping.
    pub by: By,
    /// Only requests received on or after this day.
    pub from: Option<Date>,
    /// Only requests received on or before this day.
    pub to: Option<Date>,
    /// Count "overdue" as of this day (default today).
    pub today: Date,
    /// Print CSV.
    pub csv: bool,
    /// Print JSON.
    pub json: bool,
}

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

/// Every case's facts.
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

/// Run `lantern report`.
pub fn run(ctx: &Ctx, kind: ReportKind, options: &ReportOptions) -> Result<()> {
    let store = ctx.open()?;
    let cases = facts(store.as_ref())?;
    let grouping = match options.by {
        By::Month => Grouping::Month,
        By::Quarter => Grouping::Quarter,
    };
    match kind {
        ReportKind::Timeliness => {
            let rows = report::timeliness_report(
                &cases,
                options.today,
                grouping,
                options.from,
                options.to,
            );
            print_timeliness(&rows, options)
        }
        ReportKind::Outcomes => {
            let rows = report::outcome_report(&cases, grouping, options.from, options.to);
            print_outcomes(&rows, options)
        }
    }
}

fn percent(share: Option<(usize, usize)>) -> String {
    share.map_or_else(String::new, |(n, d)| {
        format!("{:.1}", 100.0 * n as f64 / d as f64)
    })
}

/// The timeliness report's JSON form.
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

fn print_timeliness(rows: &[TimelinessRow], options: &ReportOptions) -> Result<()> {
    if options.json {
        out!("{}", serde_json::to_string_pretty(&timeliness_json(rows))?);
        return Ok(());
    }
    if options.csv {
        let mut header = vec!["group", "received"];
        header.extend(Timeliness::ALL.iter().map(|k| k.code()));
        header.push("timely_percent");
        out!("{}", header.join(","));
        for r in rows {
            let mut cells = vec![r.group.clone(), r.received.to_string()];
            cells.extend(Timeliness::ALL.iter().map(|k| r.count(*k).to_string()));
            cells.push(percent(r.timely_share()));
            out!("{}", cells.join(","));
        }
        return Ok(());
    }
    out!(
        "FOI timeliness by the {} requests were received (as of {}).",
        match options.by {
            By::Month => "month",
            By::Quarter => "financial-year quarter",
        },
        options.today
    );
    let mut header = format!("{:<12} {:>8}", "", "received");
    for k in Timeliness::ALL {
        header.push_str(&format!(" {:>11}", k.heading()));
    }
    header.push_str(&format!(" {:>9}", "% timely"));
    out!("{header}");
    for r in rows {
        let mut line = format!("{:<12} {:>8}", r.group, r.received);
        for k in Timeliness::ALL {
            line.push_str(&format!(" {:>11}", r.count(k)));
        }
        line.push_str(&format!(" {:>9}", percent(r.timely_share())));
        out!("{line}");
    }
    out!(
        "% timely: answered within 20 working days or a public interest extension, of those answered or overdue."
    );
    Ok(())
}

const REVIEW_OUTCOMES: [&str; 3] = ["review_upheld", "review_partly_upheld", "review_overturned"];

fn exemption_codes(rows: &[OutcomeRow]) -> Vec<String> {
    let mut codes: Vec<String> = rows
        .iter()
        .flat_map(|r| r.exemptions.keys().cloned())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The outcomes report's JSON form.
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

fn print_outcomes(rows: &[OutcomeRow], options: &ReportOptions) -> Result<()> {
    let codes = exemption_codes(rows);
    if options.json {
        out!("{}", serde_json::to_string_pretty(&outcomes_json(rows))?);
        return Ok(());
    }
    if options.csv {
        let mut header: Vec<String> = vec!["group".into(), "answered".into()];
        header.extend(Outcome::ALL.iter().map(|k| k.code().to_string()));
        header.extend(codes.iter().map(|c| format!("exemption_{c}")));
        header.push("reviews".into());
        header.extend(REVIEW_OUTCOMES.iter().map(|s| s.to_string()));
        header.push("reviews_pending".into());
        out!("{}", header.join(","));
        for r in rows {
            let mut cells = vec![r.group.clone(), r.answered.to_string()];
            cells.extend(Outcome::ALL.iter().map(|k| r.count(*k).to_string()));
            cells.extend(
                codes
                    .iter()
                    .map(|c| r.exemptions.get(c).copied().unwrap_or(0).to_string()),
            );
            cells.push(r.reviews.to_string());
            cells.extend(r.review_outcomes.iter().map(|n| n.to_string()));
            cells.push(r.reviews_pending().to_string());
            out!("{}", cells.join(","));
        }
        return Ok(());
    }
    out!(
        "Outcomes of FOI answers sent, by the {} requests were received.",
        match options.by {
            By::Month => "month",
            By::Quarter => "financial-year quarter",
        }
    );
    let mut header = format!("{:<12} {:>8}", "", "answered");
    for k in Outcome::ALL {
        header.push_str(&format!(" {:>12}", k.heading()));
    }
    for c in &codes {
        header.push_str(&format!(" {c:>6}"));
    }
    header.push_str(&format!(
        " {:>7} {:>7} {:>7} {:>10} {:>7}",
        "reviews", "upheld", "partly", "overturned", "pending"
    ));
    out!("{header}");
    for r in rows {
        let mut line = format!("{:<12} {:>8}", r.group, r.answered);
        for k in Outcome::ALL {
            line.push_str(&format!(" {:>12}", r.count(k)));
        }
        for c in &codes {
            line.push_str(&format!(
                " {:>6}",
                r.exemptions.get(c).copied().unwrap_or(0)
            ));
        }
        line.push_str(&format!(
            " {:>7} {:>7} {:>7} {:>10} {:>7}",
            r.reviews,
            r.review_outcomes[0],
            r.review_outcomes[1],
            r.review_outcomes[2],
            r.reviews_pending()
        ));
        out!("{line}");
    }
    if !codes.is_empty() {
        out!(
            "Exemption columns count the answers that cited each (s40_2: small numbers withheld)."
        );
    }
    Ok(())
}
