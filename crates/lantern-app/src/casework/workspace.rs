//! What the web application's officer pages show, decided here so that the
//! adapter holds no rules: the inbox (open requests with their status tags:
//! overdue, due within five working days, on hold, awaiting approval) and,
//! for a case's workspace, why each withheld count of its draft is withheld.

use jiff::civil::Date;
use lantern_core::casework::{self, Case, Status};
use lantern_core::deadline::{self, Hold};

use super::calendar;
use super::cases::status_awaits_sending;
use super::drafting::{release_changes_among, release_changes_noticed};
use crate::{Context, Result};

/// How many working days ahead a request counts as due soon.
pub const DUE_SOON_WORKING_DAYS: u32 = 5;

/// A status tag an inbox row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// Past its due date and not on hold.
    Overdue,
    /// Due within [`DUE_SOON_WORKING_DAYS`] working days.
    DueSoon,
    /// Waiting for the requester's clarification.
    AwaitingClarification,
    /// Waiting for a fee.
    AwaitingFee,
    /// Drafted, waiting for an approver.
    AwaitingApproval,
    /// Approved, to be sent.
    ReadyToSend,
    /// A release its draft cites has changed: draft again.
    ReleaseChanged,
}

impl Tag {
    /// Every tag, in the order the filters list them.
    pub const ALL: [Tag; 7] = [
        Tag::Overdue,
        Tag::DueSoon,
        Tag::AwaitingClarification,
        Tag::AwaitingFee,
        Tag::AwaitingApproval,
        Tag::ReadyToSend,
        Tag::ReleaseChanged,
    ];

    /// The tag's name in addresses (`?status=overdue`).
    pub fn code(self) -> &'static str {
        match self {
            Tag::Overdue => "overdue",
            Tag::DueSoon => "due-soon",
            Tag::AwaitingClarification => "on-hold-clarification",
            Tag::AwaitingFee => "on-hold-fee",
            Tag::AwaitingApproval => "awaiting-approval",
            Tag::ReadyToSend => "ready-to-send",
            Tag::ReleaseChanged => "release-changed",
        }
    }

    /// The tag in words.
    pub fn label(self) -> &'static str {
        match self {
            Tag::Overdue => "Overdue",
            Tag::DueSoon => "Due within 5 working days",
            Tag::AwaitingClarification => "On hold: clarification",
            Tag::AwaitingFee => "On hold: fee",
            Tag::AwaitingApproval => "Awaiting approval",
            Tag::ReadyToSend => "Ready to send",
            Tag::ReleaseChanged => "Draft again: a release changed",
        }
    }

    /// The tag a name says.
    pub fn parse(code: &str) -> Option<Tag> {
        Tag::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// How the inbox is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Soonest due first.
    #[default]
    Due,
    /// Received first first.
    Received,
    /// By reference.
    Reference,
}

impl Sort {
    /// The sort a name says (`due`, `received`, `reference`).
    pub fn parse(code: &str) -> Option<Sort> {
        match code {
            "due" => Some(Sort::Due),
            "received" => Some(Sort::Received),
            "reference" => Some(Sort::Reference),
            _ => None,
        }
    }
}

/// One open request in the inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    /// The reference.
    pub reference: String,
    /// The e-mail's subject (or what the request is, when it came another way).
    pub subject: String,
    /// When it was received.
    pub received: Date,
    /// When the answer is due.
    pub due: Date,
    /// Working days from today to the due date (0 when due today or past).
    pub working_days_left: u32,
    /// Its status.
    pub status: Status,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// The subject a case is shown by: its e-mail's subject line, else a
/// description of the form it came in ([`casework::subject_of`]).
pub fn subject(case: &Case) -> String {
    casework::subject_of(&case.original)
}

/// The open requests with their tags, only those with `only` if given,
/// sorted as asked. One read gives the open cases with their histories (the
/// answered ones are not read); the calendar's releases are read once, and
/// only a drafted or approved case's draft is read, for whether a release
/// it cites changed.
pub fn inbox(ctx: &Context, only: Option<Tag>, sort: Sort) -> Result<Vec<InboxRow>> {
    let store = ctx.open()?;
    let calendar = calendar(store.as_ref())?;
    let today = ctx.today(store.as_ref())?;
    let mut releases = None;
    let mut rows = Vec::new();
    // The notices kept beside each draft, read once; a draft without them
    // (saved before they were kept) is read itself.
    let mut noticed = None;
    for open in store.open_cases_in_brief()? {
        // The clock's events are all the deadline is counted from
        // (`casework::case_deadline` of the whole history).
        let due = deadline::deadline(
            &calendar,
            open.received,
            &casework::clock_events(&open.clock),
        )?;
        let overdue = !due.on_hold() && today > due.due;
        let left = if due.due > today {
            calendar.working_days_between(today, due.due)?
        } else {
            0
        };
        let mut tags = Vec::new();
        if overdue {
            tags.push(Tag::Overdue);
        } else if !due.on_hold() && due.due >= today && left <= DUE_SOON_WORKING_DAYS {
            tags.push(Tag::DueSoon);
        }
        match due.hold {
            Some(Hold::Clarification { .. }) => tags.push(Tag::AwaitingClarification),
            Some(Hold::Fee { .. }) => tags.push(Tag::AwaitingFee),
            None => {}
        }
        match open.status {
            Status::Drafted => tags.push(Tag::AwaitingApproval),
            Status::Approved => tags.push(Tag::ReadyToSend),
            _ => {}
        }
        // Whether a cited release changed decides only its own tag: not
        // looked at when another tag is asked for.
        if status_awaits_sending(open.status) && only.is_none_or(|t| t == Tag::ReleaseChanged) {
            let noticed = match &mut noticed {
                Some(n) => n,
                None => noticed.insert(store.open_draft_notices()?),
            };
            let changes = match noticed.get(&open.reference) {
                Some(Some(notices)) => release_changes_noticed(
                    store.as_ref(),
                    open.structured,
                    notices,
                    today,
                    &mut releases,
                )?,
                // Not kept (or drafted since the list was read): the draft.
                _ => release_changes_among(
                    store.as_ref(),
                    &open.reference,
                    open.structured,
                    today,
                    &mut releases,
                )?,
            };
            if !changes.is_empty() {
                tags.push(Tag::ReleaseChanged);
            }
        }
        if only.is_some_and(|t| !tags.contains(&t)) {
            continue;
        }
        rows.push(InboxRow {
            // Kept when the text was written; worked out from the text
            // where not known (opened before it was kept, restored dumps:
            // then the text is read).
            subject: match (open.subject, open.original) {
                (Some(subject), _) => subject,
                (None, original) => casework::subject_of(original.as_deref().unwrap_or_default()),
            },
            reference: open.reference,
            received: open.received,
            due: due.due,
            working_days_left: left,
            status: open.status,
            tags,
        });
    }
    match sort {
        Sort::Due => rows.sort_by(|a, b| (a.due, &a.reference).cmp(&(b.due, &b.reference))),
        Sort::Received => {
            rows.sort_by(|a, b| (a.received, &a.reference).cmp(&(b.received, &b.reference)))
        }
        Sort::Reference => rows.sort_by(|a, b| a.reference.cmp(&b.reference)),
    }
    Ok(rows)
}

/// Why each withheld count of a case's draft is withheld ("question 2,
/// 2017/18 (aged 18 to 24): …"), for the officer; empty without a draft.
pub fn withheld_in_draft(ctx: &Context, reference: &str) -> Result<Vec<String>> {
    let store = ctx.open()?;
    let Some((draft, _)) = store.draft(reference)? else {
        return Ok(vec![]);
    };
    let view = super::draft_json(&draft)?;
    fn walk(q: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        let number = format!(
            "{prefix}{}",
            match &q["number"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        );
        for r in q["rows"].as_array().into_iter().flatten() {
            if let Some(why) = r["withheld_because"]["text"].as_str() {
                let label = r["breakdown_label"]
                    .as_str()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                out.push(format!(
                    "question {number}, {}{label}: {why}",
                    r["period_label"].as_str().unwrap_or_default()
                ));
            }
        }
        for p in q["parts"].as_array().into_iter().flatten() {
            walk(p, &number, out);
        }
    }
    let mut out = Vec::new();
    for q in view["questions"].as_array().into_iter().flatten() {
        walk(q, "", &mut out);
    }
    Ok(out)
}

/// One way forward from a blocking finding, as the draft offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WayForward {
    /// `load`, `record_not_held`, `seek_clarification` or `cost_estimate`.
    pub code: String,
    /// In words.
    pub text: String,
}

/// A blocking finding of a case's draft, with the ways forward the draft
/// offers for it, for the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFinding {
    /// Its number in the draft (what a resolution names).
    pub number: usize,
    /// The question or part it belongs to ("3b").
    pub question: String,
    /// What is missing, in words.
    pub what: String,
    /// The ways forward.
    pub ways_forward: Vec<WayForward>,
    /// The publication that had published the figure by the day of the
    /// decision, when one had (the requester may be referred to it under
    /// section 21): its title and address.
    pub publication: Option<(String, Option<String>)>,
}

/// The blocking findings of a case's draft with their ways forward, as the
/// draft was made; empty without a draft.
pub fn findings_in_draft(ctx: &Context, reference: &str) -> Result<Vec<DraftFinding>> {
    let store = ctx.open()?;
    let Some((draft, _)) = store.draft(reference)? else {
        return Ok(vec![]);
    };
    let view = super::draft_json(&draft)?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    Ok(view["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| DraftFinding {
            number: f["number"].as_u64().unwrap_or(0) as usize,
            question: text(&f["question"]),
            what: text(&f["what"]),
            ways_forward: f["ways_forward"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|w| WayForward {
                    code: text(&w["code"]),
                    text: text(&w["text"]),
                })
                .collect(),
            publication: f["publication"]["title"].as_str().map(|t| {
                (
                    t.to_string(),
                    f["publication"]["url"].as_str().map(str::to_string),
                )
            }),
        })
        .collect())
}

/// Where a case's clock stands on the day the context acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockToday {
    /// The day.
    pub today: Date,
    /// Working days after today up to the due date (0 when due today or past).
    pub working_days_left: u32,
    /// Working days after the due date up to today (0 when not past it).
    pub working_days_late: u32,
}

/// Where a deadline stands today, counted on the council's calendar.
pub fn clock_today(ctx: &Context, due: &lantern_core::deadline::Deadline) -> Result<ClockToday> {
    let store = ctx.open()?;
    let calendar = calendar(store.as_ref())?;
    let today = ctx.today(store.as_ref())?;
    Ok(ClockToday {
        today,
        working_days_left: calendar.working_days_between(today, due.due)?,
        working_days_late: calendar.working_days_between(due.due, today)?,
    })
}
