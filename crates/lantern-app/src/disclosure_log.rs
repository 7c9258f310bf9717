//! The disclosure log: what every sent answer released or withheld, searched
//! by people, and audited as one protected table with the totals releases
//! have published (see `lantern_core::protected`).

use lantern_core::casework::LogEntry;
use lantern_core::disclosure::Finding;
use lantern_core::figure::Breakdown;
use lantern_core::period::Period;
use lantern_core::protected::{self, KnownCell, Shown};
use lantern_store::Store;

use crate::{Context, Result};

/// The disclosure log, optionally only one indicator's entries and those
/// whose reference, text or period contain `search` (ignoring case).
pub fn search(
    store: &dyn Store,
    indicator: Option<&str>,
    search: Option<&str>,
) -> Result<Vec<LogEntry>> {
    let needle = search.map(str::to_lowercase).filter(|n| !n.is_empty());
    Ok(store
        .disclosure_log()?
        .into_iter()
        .filter(|e| indicator.is_none_or(|i| e.indicator.as_deref() == Some(i)))
        .filter(|e| {
            needle.as_ref().is_none_or(|n| {
                [Some(&e.reference), Some(&e.released), e.period.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|f| f.to_lowercase().contains(n.as_str()))
            })
        })
        .collect())
}

/// The disclosure log's JSON form (`lantern log --json`, `/api/log`).
pub fn to_json(entries: &[LogEntry]) -> serde_json::Value {
    entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "reference": e.reference, "sent_at": e.sent_at, "question": e.question,
                "indicator": e.indicator, "area": e.area, "period": e.period, "breakdown": e.breakdown,
                "decision": e.decision, "basis": e.basis, "value": e.value, "released": e.released,
            })
        })
        .collect()
}

/// The count of people a disclosure-log line released (`given`) or
/// withheld (`suppressed`), as disclosure control sees it; `None` for a
/// narrative answer or a line that holds no count. `source` is the line's
/// reference.
pub fn known_cell(e: &LogEntry) -> Option<KnownCell> {
    Some(KnownCell {
        shown: Shown::from_log(&e.decision, e.value, &e.released)?,
        period: Period::parse(e.period.as_deref()?).ok()?,
        breakdown: Breakdown::from_key(e.breakdown.as_deref().unwrap_or("")),
        indicator: e.indicator.clone()?,
        area: e.area.clone()?,
        source: e.reference.clone(),
    })
}

/// The counts of people in disclosure-log lines, each with its line's
/// index: released (`given`) or withheld (`suppressed`).
pub fn known_cells(entries: &[LogEntry]) -> Vec<(usize, KnownCell)> {
    entries
        .iter()
        .enumerate()
        .filter_map(|(n, e)| Some((n, known_cell(e)?)))
        .collect()
}

/// What an audit finding names: a disclosure-log line, or a total a
/// release published.
pub enum Audited {
    /// The index of a log line.
    Line(usize),
    /// A published total (`source` is `release:<code>`).
    Published(KnownCell),
}

/// Audits `entries`, with the totals releases have published by today, as
/// one protected table (see `lantern_core::protected`); what is named, with
/// what was found. Counts are never shown.
pub fn audit_entries(
    ctx: &Context,
    store: &dyn Store,
    entries: &[LogEntry],
) -> Result<(protected::Audit, Vec<Audited>)> {
    let snapshot = store.snapshot(None)?;
    let council = crate::council::in_force(ctx, store, None)?;
    let policy = council.policy();
    // Published by today in the council's time zone (the system's day,
    // whatever day the clock is fixed to: the log is audited as it stands).
    let today = ctx.clock.system_today_in(council.time_zone());
    let cells = known_cells(entries);
    let mut known: Vec<KnownCell> = cells.iter().map(|(_, c)| c.clone()).collect();
    let touched = known
        .iter()
        .map(|c| (c.indicator.clone(), c.area.clone()))
        .collect();
    known.extend(protected::published(
        &snapshot.catalogue,
        &snapshot.figures,
        &snapshot.releases,
        today,
        policy.threshold,
        &touched,
    ));
    let audit = protected::audit(&snapshot.catalogue, &snapshot.figures, &known, &policy);
    let named = audit
        .findings
        .iter()
        .map(|&(k, _)| match cells.get(k) {
            Some(&(n, _)) => Audited::Line(n),
            None => Audited::Published(known[k].clone()),
        })
        .collect();
    Ok((audit, named))
}

/// One unsafe withheld count the audit found: the log line or published
/// total that holds it, without its value.
pub struct AuditFinding {
    /// The answer's reference, or `release:<code>` for a published total.
    pub reference: String,
    /// The question, for a log line.
    pub question: Option<String>,
    /// The indicator's code.
    pub indicator: String,
    /// The area's code.
    pub area: String,
    /// The period as written in the log.
    pub period: String,
    /// The breakdown's key, when not the total.
    pub breakdown: Option<String>,
    /// What was released ("fewer than 5", "published total", …).
    pub released: String,
    /// Why it is unsafe.
    pub finding: Finding,
}

/// The whole log's audit: how much was checked, and what is unsafe.
pub struct LogAudit {
    /// Protected tables checked.
    pub tables: usize,
    /// Withheld counts checked.
    pub withheld: usize,
    /// Each unsafe withheld count.
    pub findings: Vec<AuditFinding>,
}

/// Audit the whole disclosure log, every council's, with the totals
/// releases have published: can any withheld count be worked out? Another
/// council's references are named `CODE:REFERENCE`.
pub fn audit(ctx: &Context, store: &dyn Store) -> Result<LogAudit> {
    let mine = store.council_in_use()?.unwrap_or_default();
    let entries: Vec<LogEntry> = store
        .disclosure_log_of_every_council(None)?
        .into_iter()
        .map(|e| {
            if e.council == mine {
                e.entry
            } else {
                LogEntry {
                    reference: format!("{}:{}", e.council, e.entry.reference),
                    ..e.entry
                }
            }
        })
        .collect();
    let (audit, named) = audit_entries(ctx, store, &entries)?;
    let findings = named
        .into_iter()
        .zip(&audit.findings)
        .map(|(a, &(_, finding))| match a {
            Audited::Line(n) => {
                let e = &entries[n];
                AuditFinding {
                    reference: e.reference.clone(),
                    question: Some(e.question.clone()),
                    indicator: e.indicator.clone().unwrap_or_default(),
                    area: e.area.clone().unwrap_or_default(),
                    period: e.period.clone().unwrap_or_default(),
                    breakdown: e.breakdown.clone().filter(|b| !b.is_empty()),
                    released: e.released.clone(),
                    finding,
                }
            }
            Audited::Published(c) => AuditFinding {
                reference: c.source,
                question: None,
                indicator: c.indicator,
                area: c.area,
                period: c.period.to_string(),
                breakdown: None,
                released: "published total".into(),
                finding,
            },
        })
        .collect();
    Ok(LogAudit {
        tables: audit.tables,
        withheld: audit.withheld,
        findings,
    })
}
