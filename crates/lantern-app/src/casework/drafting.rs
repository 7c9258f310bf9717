//! Drafting and sending an answer (`lantern request draft`, `send`): the
//! draft is decided from the data held now and checked against the
//! disclosure log (`crate::answering::decide`), and kept with the case; it
//! is what is approved and sent. Sending decides the request again, since
//! answers sent meanwhile may combine with it, and adds every figure and
//! decision of the letter to the disclosure log in the same transaction.

use jiff::civil::Date;
use lantern_core::casework::{ActionDetail, Case, LogEntry, Status};
use lantern_store::Store;

use super::clock::action_day;
use super::{Links, calendar, case_deadline, find};
use crate::{Context, Result, answering};

/// A draft kept with its case.
#[derive(Debug, Clone)]
pub struct Drafted {
    /// The case's reference.
    pub reference: String,
    /// The case's status now.
    pub status: Status,
    /// The data version the draft was decided from.
    pub data_version: i64,
    /// Points for the officer to review: the planner's, then the cost-limit
    /// aggregation warning.
    pub warnings: Vec<String>,
    /// What the draft could not decide because nothing is recorded: it
    /// cannot be approved or sent until each is resolved.
    pub findings: Vec<crate::letters::FindingView>,
    /// Each withheld count of people and why ("question 2, 2017/18 (aged
    /// 18 to 24): primary: …"), for the officer.
    pub withheld: Vec<String>,
}

/// Each withheld count of a letter's view and why, for the officer.
fn withheld(view: &crate::letters::LetterView) -> Vec<String> {
    fn walk(q: &crate::letters::QuestionView, prefix: &str, out: &mut Vec<String>) {
        let number = format!("{prefix}{}", q.number);
        for r in &q.rows {
            if let Some(w) = &r.withheld_because {
                let label = r
                    .breakdown_label
                    .as_ref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                out.push(format!(
                    "question {number}, {}{label}: {}",
                    r.period_label, w.text
                ));
            }
        }
        for p in &q.parts {
            walk(p, &number, out);
        }
    }
    let mut out = Vec::new();
    for q in &view.questions {
        walk(q, "", &mut out);
    }
    out
}

/// Draft the answer from the data held now, checked against the disclosure
/// log, and keep it with the case: it is what will be approved and sent.
pub fn draft(ctx: &Context, reference: &str) -> Result<Drafted> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let structured = super::correcting::to_answer(store.as_ref(), &case)?;
    // Decided as of the day it is drafted: releases are read at that day.
    let today = ctx.today(store.as_ref())?;
    let mut view = answering::decide(
        ctx,
        store.as_ref(),
        reference,
        structured,
        None,
        Some(today),
    )?;
    let calendar = calendar(store.as_ref())?;
    if let Some(w) = Links::aggregation_warning_of(ctx, store.as_ref(), &case, &calendar)? {
        view.warnings.push(w);
    }
    let json = serde_json::to_string(&view)?;
    // Kept beside the draft so that lists need not read the draft.
    let notices = notices_of(&json)?.to_string();
    let status = store.save_draft(
        reference,
        case.status,
        &ctx.who(),
        &json,
        Some(&notices),
        view.made_with.data_version,
    )?;
    Ok(Drafted {
        reference: reference.to_string(),
        status,
        data_version: view.made_with.data_version,
        withheld: withheld(&view),
        warnings: view.warnings,
        findings: view.findings,
    })
}

/// An answer sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The case's reference.
    pub reference: String,
    /// The case's status now.
    pub status: Status,
    /// The day it was sent.
    pub sent_on: Date,
    /// When it was due.
    pub due: Date,
    /// Sent after it was due.
    pub late: bool,
    /// How many entries were added to the disclosure log.
    pub log_entries: usize,
    /// Points for the officer (a late answer).
    pub warnings: Vec<String>,
    /// The final letter as sent, when one was uploaded: kept with the case.
    pub final_letter: Option<KeptLetter>,
}

/// The final letter kept when a case was sent.
#[derive(Debug, Clone)]
pub struct KeptLetter {
    /// Its type, from its content (DOCX or PDF).
    pub content_type: String,
    /// Whether its figures were compared with the approved letter's (a
    /// PDF's are not).
    pub compared: bool,
    /// What differs from the approved letter (recorded in the history too).
    pub differences: Vec<String>,
}

/// Send the approved draft: the case is marked sent and every figure and
/// decision in the letter goes into the disclosure log, in one transaction.
/// `on` is the day it went out, if not today; `note` is kept in the history.
pub fn send(
    ctx: &Context,
    reference: &str,
    note: Option<String>,
    on: Option<Date>,
) -> Result<Sent> {
    send_with(ctx, reference, note, on, None)
}

/// Send as [`send`] does, keeping `letter`, the final letter as sent (a
/// DOCX or PDF), with the case in the same transaction. A DOCX's table
/// figures are compared with the approved letter's; what differs goes
/// into the history's note (with who sent it) and is kept with the letter.
pub fn send_with(
    ctx: &Context,
    reference: &str,
    note: Option<String>,
    on: Option<Date>,
    letter: Option<&super::final_letter::Upload>,
) -> Result<Sent> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let Some((draft, _)) = store.draft(reference)? else {
        crate::fail!(
            Conflict,
            "request {reference} has no drafted answer to send; draft and approve one first"
        );
    };
    // A case not yet approved is refused as such before its draft is looked at.
    lantern_core::casework::transition(case.status, lantern_core::casework::Action::Send).map_err(
        |error| lantern_store::StoreError::Refused {
            reference: reference.to_string(),
            error,
        },
    )?;
    let day = action_day(ctx, store.as_ref(), &case, on)?;
    check_ready(store.as_ref(), &case, day, "sent")?;
    let calendar = calendar(store.as_ref())?;
    let due = case_deadline(store.as_ref(), &calendar, &case)?;
    let view: serde_json::Value = serde_json::from_str(&draft)?;
    // The lifecycle first (approve before send), then what the draft lacks.
    lantern_core::casework::transition(case.status, lantern_core::casework::Action::Send).map_err(
        |error| lantern_store::StoreError::Refused {
            reference: reference.to_string(),
            error,
        },
    )?;
    super::findings::check_none_open(reference, &view, "sent")?;
    let now = ctx.who();
    // The log says when the answer went out: now, or the day given (at midnight).
    let sent_at = match on {
        Some(_) if now.at.get(..10) != Some(day.to_string().as_str()) => format!("{day}T00:00:00Z"),
        _ => now.at.clone(),
    };
    // The log is published: its narrative answers lose personal data as the
    // published copy does (the decisions compared below are unchanged).
    let mut published = view.clone();
    crate::personal_data::remove_from_letter(&mut published, super::cases::requester(&case));
    let entries = log_entries(reference, &sent_at, &published);
    check_still_protected(ctx, store.as_ref(), &case, &view, &entries)?;
    // The letter as sent, checked and compared before anything is stored.
    let kept = match letter {
        Some(upload) => {
            let approved = super::cases::letter(ctx, reference, crate::letters::Format::Md, false)?;
            Some(super::final_letter::examine(upload, &approved.letter)?)
        }
        None => None,
    };
    let mut note = note;
    if let Some(k) = &kept {
        let what = if !k.compared {
            "final letter kept (a PDF: its figures were not compared)".to_string()
        } else if k.differences.is_empty() {
            "final letter kept; its figures are the approved ones".to_string()
        } else {
            format!(
                "final letter kept; it differs from the approved letter: {}",
                k.differences.join("; ")
            )
        };
        note = Some(match note {
            Some(n) => format!("{n}; {what}"),
            None => what,
        });
    }
    let detail = ActionDetail {
        note,
        on: Some(day),
        extended_to: None,
        calendar: Some(calendar.version().to_string()),
        fee_pence: None,
    };
    // The public log's entry: the title the officer left (else the
    // e-mail's subject), without the requester, and the published copy.
    let history = store.case_history(reference)?;
    let title = lantern_core::casework::title_of(&history)
        .map(str::to_string)
        .unwrap_or_else(|| super::workspace::subject(&case));
    let title = crate::personal_data::remove(&title, super::cases::requester(&case));
    let public = crate::disclosure_log::public_entry(
        store.as_ref(),
        reference,
        &sent_at,
        &title,
        &published,
        &entries,
    )?;
    let status = store.send_with_letter(
        reference,
        case.status,
        &now,
        &entries,
        &public,
        &detail,
        kept.as_ref(),
    )?;
    let late = day > due.due;
    let warnings = if late {
        vec![format!(
            "sent on {day}, after the deadline of {}: it counts as late",
            due.due
        )]
    } else {
        vec![]
    };
    Ok(Sent {
        reference: reference.to_string(),
        status,
        sent_on: day,
        due: due.due,
        late,
        log_entries: entries.len(),
        warnings,
        final_letter: kept.map(|k| KeptLetter {
            content_type: k.content_type,
            compared: k.compared,
            differences: k.differences,
        }),
    })
}

/// Answers sent after this one was drafted may combine with it: decide the
/// request again, from the draft's data version and the disclosure log as it
/// is now, and refuse to send if disclosure control would now withhold
/// something the draft gives (or the other way round).
pub fn check_still_protected(
    ctx: &Context,
    store: &dyn Store,
    case: &Case,
    view: &serde_json::Value,
    entries: &[LogEntry],
) -> Result<()> {
    let Some(structured) = case.structured.as_deref() else {
        return Ok(());
    };
    let data_version = view["made_with"]["data_version"].as_i64();
    // Decided again as of the draft's own day, so that only what answers
    // sent since change can differ (releases are checked by `check_ready`).
    let decided = view["request"]["decided"]
        .as_str()
        .and_then(|d| d.parse::<Date>().ok());
    let again = answering::decide(
        ctx,
        store,
        &case.reference,
        structured,
        data_version,
        decided,
    )?;
    let again = log_entries(&case.reference, "", &serde_json::to_value(&again)?);
    let decisions = |es: &[LogEntry]| -> Vec<(String, Option<String>, Option<String>, String)> {
        es.iter()
            .filter(|e| e.indicator.is_some())
            .map(|e| {
                (
                    e.question.clone(),
                    e.period.clone(),
                    e.breakdown.clone(),
                    e.decision.clone(),
                )
            })
            .collect()
    };
    if decisions(entries) != decisions(&again) {
        crate::fail!(
            Conflict,
            "request {}: answers sent since this one was drafted change what disclosure control lets it give (a figure would now let a withheld count be worked out); draft it again (lantern request start {r}, then lantern request draft {r}), review and approve the new draft, then send",
            case.reference,
            r = case.reference
        );
    }
    Ok(())
}

/// Whether the kept draft may be `verb` ("approved", "sent") on `day` as far
/// as the publication calendar goes: every release it cites still stands as
/// it did when it was drafted (blocking findings are checked by
/// `findings::check_none_open`). A release withdrawn or re-imported with another
/// date, or an s22 release whose date has come by `day` (the letter would
/// say "will be published" about a date that has passed), is refused with
/// a message naming the release and asking for a new draft.
pub fn check_ready(store: &dyn Store, case: &Case, day: Date, verb: &str) -> Result<()> {
    let reference = &case.reference;
    let changes = release_changes(store, case, day)?
        .into_iter()
        .chain(declaration_changes(store, case)?);
    if let Some(change) = changes.into_iter().next() {
        crate::fail!(
            Conflict,
            "request {reference} cannot be {verb} unchanged: {change}; draft it again (lantern request start {reference}, then lantern request draft {reference}), review and approve the new draft"
        );
    }
    Ok(())
}

/// What changed, by `day`, about the releases a case's kept draft cites:
/// one sentence per release withdrawn from the calendar, re-imported with
/// another date, or (under section 22) whose date has come, or (under
/// section 21) not yet published. Empty when the case has no draft or
/// its draft still reads right. `request show` and `request list` flag a
/// case with any; `approve` and `send` refuse it ([`check_ready`]).
pub fn release_changes(store: &dyn Store, case: &Case, day: Date) -> Result<Vec<String>> {
    release_changes_among(
        store,
        &case.reference,
        case.structured.is_some(),
        day,
        &mut None,
    )
}

/// [`release_changes`] for many cases in turn: `releases` holds the
/// calendar's current releases once the first case citing one has read
/// them, so that a list reads them once, not once per case.
/// The case is given by its reference and whether it holds a structured
/// request (all that is needed of it).
pub(super) fn release_changes_among(
    store: &dyn Store,
    reference: &str,
    structured: bool,
    day: Date,
    releases: &mut Option<Vec<lantern_core::release::Release>>,
) -> Result<Vec<String>> {
    let Some((draft, _)) = store.draft(reference)? else {
        return Ok(vec![]);
    };
    let cited = cited_releases(&notices_of(&draft)?);
    release_changes_cited(store, structured, cited, day, releases)
}

/// [`release_changes_among`] for a case whose draft's notices are known
/// ([`Store::open_draft_notices`]): `notices` as the draft was saved with
/// them, so the draft is not read.
pub(super) fn release_changes_noticed(
    store: &dyn Store,
    structured: bool,
    notices: &str,
    day: Date,
    releases: &mut Option<Vec<lantern_core::release::Release>>,
) -> Result<Vec<String>> {
    let cited = match serde_json::from_str::<CitingOnly>(notices) {
        Ok(citing) => citing.cited(),
        Err(_) => cited_releases(&serde_json::from_str(notices)?),
    };
    release_changes_cited(store, structured, cited, day, releases)
}

/// What changed about the releases `cited` in a draft's notices.
fn release_changes_cited(
    store: &dyn Store,
    structured: bool,
    cited: Vec<Cited>,
    day: Date,
    releases: &mut Option<Vec<lantern_core::release::Release>>,
) -> Result<Vec<String>> {
    if cited.is_empty() || !structured {
        return Ok(vec![]);
    }
    let now = match releases {
        Some(now) => now,
        None => releases.insert(store.releases(None)?),
    };
    let mut out = Vec::new();
    for c in &cited {
        let current = now.iter().find(|r| r.code == c.code);
        let problem = match current {
            None => Some("has been withdrawn from the publication calendar".to_string()),
            Some(r) if Some(r.date) != c.date => Some(format!(
                "has moved from {} to {}",
                c.date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "no date".into()),
                r.date
            )),
            Some(r) if c.basis == "s22" && r.date <= day => Some(format!(
                "was published on {}, so on {day} the letter would promise a publication that has already happened",
                r.date
            )),
            Some(r) if c.basis == "s21" && r.date > day => {
                Some(format!("is not published until {}", r.date))
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            out.push(format!(
                "release {} (\"{}\"), cited under {} in the draft, {problem}",
                c.code,
                c.title,
                if c.basis == "s22" {
                    "section 22"
                } else {
                    "section 21"
                }
            ));
        }
    }
    Ok(out)
}

/// The not-held declarations a case's kept draft relies on that have been
/// withdrawn since: one sentence each, naming the declaration, who
/// withdrew it, when and why. Empty when the case has no draft or none of
/// its declarations was withdrawn. The draft cannot be approved or sent
/// unchanged ([`check_ready`]); drafted again, its row is a blocking
/// finding again (or decided by whatever is recorded now).
pub fn declaration_changes(store: &dyn Store, case: &Case) -> Result<Vec<String>> {
    let Some((draft, _)) = store.draft(&case.reference)? else {
        return Ok(vec![]);
    };
    let view = super::draft_json(&draft)?;
    let used: Vec<i64> = view["made_with"]["declarations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_i64())
        .collect();
    if used.is_empty() {
        return Ok(vec![]);
    }
    Ok(store
        .declarations()?
        .into_iter()
        .filter(|d| d.declaration.id.is_some_and(|id| used.contains(&id)))
        .filter_map(|d| {
            let w = d.withdrawn?;
            let decl = &d.declaration;
            Some(format!(
                "the not-held declaration {} it relies on ({} {}: \"{}\") was withdrawn by {} on {}: {}",
                decl.id.unwrap_or_default(),
                decl.subject,
                decl.period
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "every period".into()),
                decl.reason,
                w.by,
                w.at,
                w.reason
            ))
        })
        .collect())
}

/// A release a draft cites, as its JSON form holds it.
struct Cited {
    code: String,
    title: String,
    basis: String,
    date: Option<Date>,
}

/// A draft's questions with only their notices and parts: a draft's JSON
/// form runs to tens of kilobytes of rows, which a list of cases need not
/// build to find the releases it cites.
#[derive(serde::Deserialize, serde::Serialize)]
struct NoticesOnly {
    #[serde(default)]
    questions: Vec<QuestionNotices>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct QuestionNotices {
    #[serde(default)]
    notices: Vec<serde_json::Value>,
    #[serde(default)]
    parts: Vec<QuestionNotices>,
}

/// The draft's JSON form as [`cited_releases`] reads it: only the
/// questions' notices and parts, or, should the draft not have that shape,
/// the whole of it.
fn notices_of(draft: &str) -> Result<serde_json::Value> {
    Ok(match serde_json::from_str::<NoticesOnly>(draft) {
        Ok(notices) => serde_json::to_value(notices)?,
        Err(_) => serde_json::from_str(draft)?,
    })
}

/// A draft's notices with only what [`cited_releases`] reads of them, each
/// of the type it reads (anything else is passed over unbuilt): a list of
/// cases reads every open draft's. Notices not of that shape (a value of
/// another type where one is read) are read by [`cited_releases`] instead,
/// which the releases found here are the same as whenever both read them.
#[derive(serde::Deserialize)]
struct CitingOnly {
    #[serde(default)]
    questions: Option<Vec<QuestionCiting>>,
}

#[derive(serde::Deserialize)]
struct QuestionCiting {
    #[serde(default)]
    notices: Option<Vec<NoticeCiting>>,
    #[serde(default)]
    parts: Option<Vec<QuestionCiting>>,
}

#[derive(serde::Deserialize)]
struct NoticeCiting {
    #[serde(default)]
    basis: Option<String>,
    #[serde(default)]
    release: Option<ReleaseCiting>,
}

#[derive(serde::Deserialize)]
struct ReleaseCiting {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

impl CitingOnly {
    /// The releases cited, as [`cited_releases`] finds them.
    fn cited(self) -> Vec<Cited> {
        fn walk(q: QuestionCiting, out: &mut Vec<Cited>) {
            for n in q.notices.into_iter().flatten() {
                let Some(r) = n.release else {
                    continue;
                };
                let Some(code) = r.code else {
                    continue;
                };
                let basis = n.basis.unwrap_or_default();
                if !out.iter().any(|c| c.code == code && c.basis == basis) {
                    out.push(Cited {
                        code,
                        title: r.title.unwrap_or_default(),
                        basis,
                        date: r.date.and_then(|d| d.parse().ok()),
                    });
                }
            }
            for p in q.parts.into_iter().flatten() {
                walk(p, out);
            }
        }
        let mut out = Vec::new();
        for q in self.questions.into_iter().flatten() {
            walk(q, &mut out);
        }
        out
    }
}

/// The releases a draft's notices cite (s22 and s21), each once.
fn cited_releases(view: &serde_json::Value) -> Vec<Cited> {
    fn walk(q: &serde_json::Value, out: &mut Vec<Cited>) {
        for n in q["notices"].as_array().into_iter().flatten() {
            let r = &n["release"];
            let Some(code) = r["code"].as_str() else {
                continue;
            };
            let basis = n["basis"].as_str().unwrap_or_default().to_string();
            if !out.iter().any(|c| c.code == code && c.basis == basis) {
                out.push(Cited {
                    code: code.to_string(),
                    title: r["title"].as_str().unwrap_or_default().to_string(),
                    basis,
                    date: r["date"].as_str().and_then(|d| d.parse().ok()),
                });
            }
        }
        for p in q["parts"].as_array().into_iter().flatten() {
            walk(p, out);
        }
    }
    let mut out = Vec::new();
    for q in view["questions"].as_array().into_iter().flatten() {
        walk(q, &mut out);
    }
    out
}

/// The disclosure-log lines for a letter's JSON form: one per figure row and
/// per narrative answer, with the requester left out.
pub fn log_entries(reference: &str, sent_at: &str, view: &serde_json::Value) -> Vec<LogEntry> {
    fn walk(
        q: &serde_json::Value,
        prefix: &str,
        area: &str,
        base: &LogEntry,
        out: &mut Vec<LogEntry>,
    ) {
        let number = format!("{prefix}{}", q["number"].as_str().unwrap_or_default());
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        for r in q["rows"].as_array().into_iter().flatten() {
            let value = match r["value"]["kind"].as_str() {
                Some("exact") | Some("zero") => r["value"]["amount"].as_i64(),
                _ => None,
            };
            out.push(LogEntry {
                question: number.clone(),
                indicator: s(&q["indicator"]),
                area: Some(area.to_string()),
                period: s(&r["period"]),
                breakdown: s(&r["breakdown"]),
                decision: s(&r["decision"]).unwrap_or_default(),
                basis: s(&r["basis"]),
                value,
                released: s(&r["full_text"]).unwrap_or_default(),
                ..base.clone()
            });
        }
        if let Some(st) = q["statement"].as_object() {
            let text = st.get("text").and_then(|t| t.as_str());
            out.push(LogEntry {
                question: number.clone(),
                decision: if text.is_some() {
                    "statement"
                } else {
                    "not_held"
                }
                .into(),
                basis: text.is_none().then(|| "s1_1".to_string()),
                released: text.unwrap_or("not held").to_string(),
                ..base.clone()
            });
        }
        for p in q["parts"].as_array().into_iter().flatten() {
            walk(p, &number, area, base, out);
        }
    }
    let base = LogEntry {
        reference: reference.to_string(),
        sent_at: sent_at.to_string(),
        question: String::new(),
        indicator: None,
        area: None,
        period: None,
        breakdown: None,
        decision: String::new(),
        basis: None,
        value: None,
        released: String::new(),
    };
    let area = view["request"]["area"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    for q in view["questions"].as_array().into_iter().flatten() {
        walk(q, "", area, &base, &mut out);
    }
    out
}
