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

/// How many entries a page of the public log holds.
pub const PAGE_SIZE: usize = 20;

/// The most entries a download holds.
pub const DOWNLOAD_LIMIT: usize = 10_000;

/// The public log's filters as asked (query text): each one given is
/// checked against the values the log can take.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Words to search titles, questions and indicator names for.
    pub search: Option<String>,
    /// The year sent (`2019`).
    pub year: Option<String>,
    /// A topic code (an indicator or statement topic).
    pub topic: Option<String>,
    /// An outcome code (see [`lantern_core::casework::OUTCOMES`]).
    pub outcome: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
}

/// One entry of the public log, ready to show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicEntry {
    /// The request's reference.
    pub reference: String,
    /// When the answer was sent (RFC 3339).
    pub sent_at: String,
    /// The request's title.
    pub title: String,
    /// The outcome's code.
    pub outcome: String,
    /// The outcome in words.
    pub outcome_text: String,
    /// The topics it was about: code and words.
    pub topics: Vec<Topic>,
    /// Its questions, verbatim (the published copy), with their answers.
    pub questions: serde_json::Value,
    /// False for an answer sent before the log kept its questions (the
    /// published letter has them).
    pub questions_recorded: bool,
    /// Where the published letter is.
    pub letter: String,
}

/// A topic a request was about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Topic {
    /// Its code (what the `topic` filter takes).
    pub code: String,
    /// In words.
    pub name: String,
}

/// One page of the public log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicLog {
    /// The entries, newest first.
    pub entries: Vec<PublicEntry>,
    /// How many entries the filters find.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
}

fn bad_filter(field: &str, value: &str, allowed: &[String]) -> crate::Error {
    let allowed = if allowed.is_empty() {
        "none: the log is empty".to_string()
    } else {
        allowed.join(", ")
    };
    crate::Error::new(
        crate::error::Kind::Invalid,
        format!(
            "{field} '{value}' is not one the disclosure log has; the values it takes: {allowed}"
        ),
    )
}

/// The topics' names, from the catalogue in force (a code it no longer has
/// is shown as its code).
fn topic_names(store: &dyn Store) -> Result<std::collections::BTreeMap<String, String>> {
    let (_, catalogue) = store.catalogue_at(None)?;
    let mut names: std::collections::BTreeMap<String, String> = catalogue
        .indicators()
        .map(|i| (i.code.clone(), i.title.clone()))
        .collect();
    names.extend(
        catalogue
            .topics()
            .map(|t| (t.code.clone(), t.question.clone())),
    );
    Ok(names)
}

/// Check `filters` and build the store's query; filters are checked
/// against the years and topics the log holds, so a mistyped value is an
/// error naming the values allowed, never an empty log.
fn query(
    store: &dyn Store,
    filters: &Filters,
    limit: usize,
) -> Result<(lantern_store::PublicLogQuery, usize)> {
    use lantern_core::casework::{OUTCOMES, Outcome};
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let page = match given(&filters.page) {
        None => 1,
        Some(p) => match p.parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => crate::fail!(
                Invalid,
                "page '{p}' is not a page number; give a whole number from 1"
            ),
        },
    };
    let facets = if given(&filters.year).is_some() || given(&filters.topic).is_some() {
        Some(store.public_log_facets()?)
    } else {
        None
    };
    let year = match (given(&filters.year), &facets) {
        (Some(y), Some(f)) => match y.parse::<i64>().ok().filter(|y| f.years.contains(y)) {
            Some(y) => Some(y),
            None => {
                let years: Vec<String> = f.years.iter().map(i64::to_string).collect();
                return Err(bad_filter("year", y, &years));
            }
        },
        _ => None,
    };
    let topic = match (given(&filters.topic), &facets) {
        (Some(t), Some(f)) if f.topics.iter().any(|k| k == t) => Some(t.to_string()),
        (Some(t), Some(f)) => return Err(bad_filter("topic", t, &f.topics)),
        _ => None,
    };
    let outcome = match given(&filters.outcome) {
        Some(o) if Outcome::from_code(o).is_some() => Some(o.to_string()),
        Some(o) => {
            let all: Vec<String> = OUTCOMES.iter().map(|o| o.code().to_string()).collect();
            return Err(bad_filter("outcome", o, &all));
        }
        None => None,
    };
    let search = given(&filters.search).map(|s| s.chars().take(200).collect());
    Ok((
        lantern_store::PublicLogQuery {
            search,
            year,
            topic,
            outcome,
            limit,
            offset: (page - 1).saturating_mul(limit),
        },
        page,
    ))
}

/// One page of the public log as `filters` ask (a download: every entry
/// found, up to [`DOWNLOAD_LIMIT`], when `download`). A filter value the
/// log cannot take, or a page past the last, is [`crate::error::Kind::Invalid`].
pub fn public_log(store: &dyn Store, filters: &Filters, download: bool) -> Result<PublicLog> {
    let limit = if download { DOWNLOAD_LIMIT } else { PAGE_SIZE };
    public_log_sized(store, filters, limit)
}

/// The most entries one page of the log holds when the page size is asked
/// for ([`public_log_sized`]).
pub const MAX_PAGE_SIZE: usize = 100;

/// One page of the public log as `filters` ask, `per_page` entries a page
/// (1 to [`MAX_PAGE_SIZE`], or [`DOWNLOAD_LIMIT`] for a download). A
/// filter value the log cannot take, or a page past the last, is
/// [`crate::error::Kind::Invalid`].
pub fn public_log_sized(
    store: &dyn Store,
    filters: &Filters,
    per_page: usize,
) -> Result<PublicLog> {
    use lantern_core::casework::Outcome;
    if per_page == 0 || (per_page > MAX_PAGE_SIZE && per_page != DOWNLOAD_LIMIT) {
        crate::fail!(
            Invalid,
            "per_page {per_page} is not allowed; give a whole number from 1 to {MAX_PAGE_SIZE}"
        );
    }
    let limit = per_page;
    let (q, page) = query(store, filters, limit)?;
    let found = store.public_log(&q)?;
    let pages = found.total.div_ceil(limit).max(1);
    if page > pages {
        crate::fail!(
            Invalid,
            "page {page} is past the last page of this search ({pages}); give a page from 1 to {pages}"
        );
    }
    let entries = found
        .entries
        .into_iter()
        .map(|e| {
            let outcome = Outcome::from_code(&e.outcome);
            // The document written when it was sent: its topics' names (as
            // the catalogue named them then) and its questions.
            let mut doc: serde_json::Value =
                serde_json::from_str(&e.questions).unwrap_or(serde_json::Value::Null);
            let named = |code: &String| {
                doc["topics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|t| t["code"].as_str() == Some(code))
                    .and_then(|t| t["name"].as_str())
                    .unwrap_or(code)
                    .to_string()
            };
            let topics = e
                .topics
                .iter()
                .map(|code| Topic {
                    name: named(code),
                    code: code.clone(),
                })
                .collect();
            PublicEntry {
                letter: format!("/letters/{}", e.reference),
                outcome_text: outcome.map_or(e.outcome.clone(), |o| o.words().to_string()),
                topics,
                questions: match doc.get_mut("questions") {
                    Some(q) => q.take(),
                    None => serde_json::json!([]),
                },
                questions_recorded: e.recorded,
                reference: e.reference,
                sent_at: e.sent_at,
                title: e.title,
                outcome: e.outcome,
            }
        })
        .collect();
    Ok(PublicLog {
        entries,
        total: found.total,
        page,
        pages,
    })
}

/// The public log entry of an answer being sent, from its published copy
/// (`published`: the letter's JSON form with the requester and other
/// people's names removed) and its log lines: its questions verbatim, each
/// figure labelled in words as the letter labels it, the outcome, the
/// topics, and the words it is searched by (title, questions, indicator
/// names, the figures' labels).
pub fn public_entry(
    store: &dyn Store,
    reference: &str,
    sent_at: &str,
    title: &str,
    published: &serde_json::Value,
    lines: &[LogEntry],
) -> Result<lantern_store::PublicEntry> {
    use lantern_core::casework::Outcome;
    let names = topic_names(store)?;
    let mut topics: Vec<String> = Vec::new();
    let mut words: Vec<String> = vec![reference.to_string(), title.to_string()];
    fn s(v: &serde_json::Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
    let mut walk_stack: Vec<(String, &serde_json::Value)> = published["questions"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .map(|q| (String::new(), q))
        .collect();
    let mut questions = Vec::new();
    while let Some((prefix, q)) = walk_stack.pop() {
        let number = format!("{prefix}{}", q["number"].as_str().unwrap_or_default());
        let text = s(&q["text"]).unwrap_or_default();
        words.push(text.clone());
        let indicator = s(&q["indicator"]);
        let indicator_name = indicator
            .as_ref()
            .map(|i| names.get(i).cloned().unwrap_or_else(|| i.clone()));
        if let (Some(code), Some(name)) = (&indicator, &indicator_name) {
            topics.push(code.clone());
            words.push(name.clone());
        }
        let caption = s(&q["table"]["caption"]);
        words.extend(caption.clone());
        let figures: Vec<serde_json::Value> = q["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let period = s(&r["period_label"]).or_else(|| s(&r["period"]));
                let breakdown = s(&r["breakdown_label"]);
                words.extend(breakdown.clone());
                serde_json::json!({
                    "period": period, "breakdown": breakdown,
                    "released": s(&r["full_text"]).unwrap_or_default(),
                })
            })
            .collect();
        let statement = q["statement"].as_object().map(|st| {
            if let Some(topic) = st.get("topic").and_then(|t| t.as_str()) {
                topics.push(topic.to_string());
                words.extend(names.get(topic).cloned());
            }
            st.get("text")
                .and_then(|t| t.as_str())
                .unwrap_or("Not held.")
                .to_string()
        });
        questions.push(serde_json::json!({
            "number": number, "text": text, "indicator": indicator_name,
            "caption": caption, "figures": figures, "statement": statement,
        }));
        for p in q["parts"].as_array().into_iter().flatten().rev() {
            walk_stack.push((number.clone(), p));
        }
    }
    topics.sort();
    topics.dedup();
    let named: Vec<serde_json::Value> = topics
        .iter()
        .map(|t| serde_json::json!({"code": t, "name": names.get(t).unwrap_or(t)}))
        .collect();
    let outcome = Outcome::of(lines.iter().map(|l| l.decision.as_str()));
    Ok(lantern_store::PublicEntry {
        reference: reference.to_string(),
        sent_at: sent_at.to_string(),
        year: sent_at.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0),
        title: title.to_string(),
        outcome: outcome.code().to_string(),
        topics,
        questions: serde_json::json!({"topics": named, "questions": questions}).to_string(),
        search_text: words.join("\n"),
        recorded: true,
    })
}

/// A cell as a download writes it: text a spreadsheet would read as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return first) starts with `'`.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The log's entries as CSV: one row per figure or statement, each with its
/// request's reference, date, title, outcome and topics and its question.
pub fn to_csv(entries: &[PublicEntry]) -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "reference",
        "sent_at",
        "title",
        "outcome",
        "topics",
        "question",
        "question_text",
        "indicator",
        "period",
        "breakdown",
        "answer",
    ];
    let csv_error = |e: csv::Error| crate::Error::new(crate::error::Kind::Internal, e.to_string());
    out.write_record(header).map_err(csv_error)?;
    for e in entries {
        let topics: Vec<&str> = e.topics.iter().map(|t| t.name.as_str()).collect();
        let head = [
            e.reference.clone(),
            e.sent_at.clone(),
            e.title.clone(),
            e.outcome_text.clone(),
            topics.join("; "),
        ];
        let mut rows: Vec<[String; 6]> = Vec::new();
        for q in e.questions.as_array().into_iter().flatten() {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            let (number, text, indicator) = (s(&q["number"]), s(&q["text"]), s(&q["indicator"]));
            for f in q["figures"].as_array().into_iter().flatten() {
                rows.push([
                    number.clone(),
                    text.clone(),
                    indicator.clone(),
                    s(&f["period"]),
                    s(&f["breakdown"]),
                    s(&f["released"]),
                ]);
            }
            if let Some(statement) = q["statement"].as_str() {
                rows.push([
                    number.clone(),
                    text.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    statement.to_string(),
                ]);
            }
        }
        if rows.is_empty() {
            let note = if e.questions_recorded {
                ""
            } else {
                "questions not kept in the log: see the published reply"
            };
            rows.push([
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                note.to_string(),
            ]);
        }
        for r in rows {
            out.write_record(head.iter().chain(r.iter()).map(|t| cell(t)))
                .map_err(csv_error)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| crate::Error::new(crate::error::Kind::Internal, e.to_string()))?;
    String::from_utf8(bytes)
        .map_err(|e| crate::Error::new(crate::error::Kind::Internal, e.to_string()))
}
