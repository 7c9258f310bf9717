//! Cases as the officer sees them (`lantern request list`, `show`,
//! `letter`): each with its deadline counted on the shipped and imported
//! calendar, its review dates once sent, the requests related to it and
//! its history; and the letter a case would send.

use jiff::civil::Date;
use lantern_core::casework::{self, Case, CaseEvent};
use lantern_core::deadline::{self, Calendar, Deadline};

use super::{Links, calendar, case_deadline, find, retention};
use crate::answering::{self, Answer};
use std::path::Path;

use crate::letter_templates;
use crate::letters::{self, Format};
use crate::personal_data::Requester;
use crate::sheets::Sheet;
use crate::{Context, Result};

/// Which cases to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    /// Only cases still to be answered (not sent or withdrawn).
    pub open: bool,
    /// Only open cases past their due date.
    pub overdue: bool,
    /// Only open cases due on or before this day.
    pub due_by: Option<Date>,
}

/// One case in a list, with its deadline.
#[derive(Debug, Clone)]
pub struct ListedCase {
    /// The case.
    pub case: Case,
    /// Its deadline now.
    pub due: Deadline,
    /// Open, not on hold, and past its due date.
    pub overdue: bool,
    /// A release its draft (or approved letter) cites has changed since it
    /// was drafted (withdrawn, moved, or its date has come): it must be
    /// drafted again before it can be approved or sent.
    pub release_changed: bool,
    /// A not-held declaration its draft relies on has been withdrawn since:
    /// it must be drafted again before it can be approved or sent.
    pub declaration_withdrawn: bool,
    /// Opened from an e-mail in which Lantern found no question it could
    /// read (only attachments, an unknown character set, no numbered or
    /// asking line), and no questions entered since: the officer must enter
    /// them before it can be answered. The clock runs meanwhile.
    pub questions_to_enter: bool,
}

/// The cases a filter lets through.
#[derive(Debug, Clone)]
pub struct CaseList {
    /// The cases listed: every case in the store's order, or, when a filter
    /// is given, the matching ones soonest due first.
    pub rows: Vec<ListedCase>,
    /// How many cases are held in all.
    pub held: usize,
    /// How many cases hold requester details past their retention date.
    pub expired: usize,
}

/// List cases with their status and deadline (overdue as of the clock's day).
pub fn list(ctx: &Context, filter: &ListFilter) -> Result<CaseList> {
    let store = ctx.open()?;
    let calendar = calendar(store.as_ref())?;
    let cases = store.cases()?;
    let today = ctx.today(store.as_ref())?;
    let is_open = |c: &Case| c.status.is_open();
    let mut releases = None;
    let mut rows = Vec::new();
    for case in &cases {
        let due = case_deadline(store.as_ref(), &calendar, case)?;
        let overdue = is_open(case) && !due.on_hold() && today > due.due;
        let wanted = (!filter.open || is_open(case))
            && (!filter.overdue || overdue)
            && filter.due_by.is_none_or(|d| is_open(case) && due.due <= d);
        if wanted {
            let release_changed = awaits_sending(case)
                && !super::drafting::release_changes_among(
                    store.as_ref(),
                    &case.reference,
                    case.structured.is_some(),
                    today,
                    &mut releases,
                )?
                .is_empty();
            let declaration_withdrawn = awaits_sending(case)
                && !super::drafting::declaration_changes(store.as_ref(), case)?.is_empty();
            let questions_to_enter = questions_to_enter(store.as_ref(), case)?;
            rows.push(ListedCase {
                case: case.clone(),
                due,
                overdue,
                release_changed,
                declaration_withdrawn,
                questions_to_enter,
            });
        }
    }
    if filter.open || filter.overdue || filter.due_by.is_some() {
        rows.sort_by_key(|r| (r.due.due, r.case.reference.clone()));
    }
    Ok(CaseList {
        rows,
        held: cases.len(),
        expired: retention::expired(&cases, today).len(),
    })
}

/// Whether an open case still waits for its questions: it was opened
/// flagged "questions to enter" (the opening's note says so) and no
/// structured request has been entered since.
fn questions_to_enter(store: &dyn lantern_store::Store, case: &Case) -> Result<bool> {
    if !case.status.is_open() || case.structured.is_some() {
        return Ok(false);
    }
    let history = store.case_history(&case.reference)?;
    Ok(history.first().is_some_and(|opened| {
        opened
            .note
            .as_deref()
            .is_some_and(|n| n.contains("questions to enter"))
    }))
}

/// Whether a case holds a draft or approved letter still to be sent (the
/// cases whose cited releases are watched).
pub(super) fn awaits_sending(case: &Case) -> bool {
    status_awaits_sending(case.status)
}

/// Whether a case in `status` awaits sending ([`awaits_sending`]).
pub(super) fn status_awaits_sending(status: casework::Status) -> bool {
    matches!(
        status,
        casework::Status::Drafted | casework::Status::Approved
    )
}

/// The internal review dates of a sent case: until when one may be asked
/// for, and once asked for, when it is due.
#[derive(Debug, Clone)]
pub struct ReviewDates {
    /// The last day a review is accepted as of right.
    pub accept_until: Date,
    /// When a review was asked for.
    pub requested: Option<Date>,
    /// When the review is due.
    pub due: Option<Date>,
    /// When an exceptionally complex review is due.
    pub exceptional_due: Option<Date>,
    /// Asked for after `accept_until`.
    pub late: bool,
}

fn review_dates(calendar: &Calendar, history: &[CaseEvent]) -> Result<Option<ReviewDates>> {
    let Some(sent) = casework::sent_on(history) else {
        return Ok(None);
    };
    let window = deadline::review_window(calendar, sent)?;
    let mut dates = ReviewDates {
        accept_until: window.accept_until,
        requested: None,
        due: None,
        exceptional_due: None,
        late: false,
    };
    if let Some((requested, _)) = casework::review_of(history) {
        let review = window.review(calendar, requested)?;
        dates.requested = Some(requested);
        dates.due = Some(review.due);
        dates.exceptional_due = Some(review.exceptional_due);
        dates.late = review.late;
    }
    Ok(Some(dates))
}

/// One case in full.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// The case.
    pub case: Case,
    /// Its history, oldest first.
    pub history: Vec<CaseEvent>,
    /// Its deadline, with the holidays and pauses that set it.
    pub due: Deadline,
    /// The calendar the deadline was counted on when the case was opened.
    pub first_calendar: Option<String>,
    /// Its internal review dates, once sent.
    pub review: Option<ReviewDates>,
    /// Related requests and earlier answers that cover it.
    pub links: Links,
    /// The blocking findings of its draft, if it has one.
    pub findings: Vec<super::OpenFinding>,
    /// How findings were resolved, oldest first.
    pub resolutions: Vec<lantern_store::StoredResolution>,
    /// What changed about the releases its draft (or approved letter)
    /// cites, as of the clock's day: each means it must be drafted again.
    pub release_changes: Vec<String>,
    /// Words of the request not taken as a question, with why.
    pub set_aside: Vec<lantern_core::request::SetAside>,
    /// Each not-held declaration the draft relies on that was withdrawn
    /// since it was drafted (empty once sent).
    pub declaration_changes: Vec<String>,
}

/// Show a case: its deadline (holidays, pauses, extension), review dates,
/// related requests and history.
pub fn show(ctx: &Context, reference: &str) -> Result<CaseView> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let history = store.case_history(reference)?;
    let calendar = calendar(store.as_ref())?;
    let due = casework::case_deadline(&calendar, &case, &history)?;
    let review = review_dates(&calendar, &history)?;
    let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
    let first_calendar = history.first().and_then(|e| e.calendar.clone());
    let findings = match store.draft(reference)? {
        Some((draft, _)) => {
            let view = super::draft_json(&draft)?;
            super::open_findings(&view)
        }
        None => vec![],
    };
    let resolutions = super::findings::resolutions(store.as_ref(), reference)?;
    let release_changes = if awaits_sending(&case) {
        let today = ctx.today(store.as_ref())?;
        super::drafting::release_changes(store.as_ref(), &case, today)?
    } else {
        vec![]
    };
    let set_aside = match case.structured.as_deref() {
        Some(text) => {
            let catalogue = store.catalogue()?;
            lantern_core::request::parse_working(reference, text, &catalogue)
                .map(|r| r.set_aside)
                .unwrap_or_default()
        }
        None => vec![],
    };
    let declaration_changes = if awaits_sending(&case) {
        super::drafting::declaration_changes(store.as_ref(), &case)?
    } else {
        vec![]
    };
    Ok(CaseView {
        set_aside,
        case,
        history,
        due,
        first_calendar,
        review,
        links,
        findings,
        resolutions,
        release_changes,
        declaration_changes,
    })
}

/// The answer letter for a case in `format`: the drafted (and approved)
/// letter once there is one, since that is the one that goes out; before
/// then, what the data held now gives (with the planner's warnings).
pub fn letter(ctx: &Context, reference: &str, format: Format, published: bool) -> Result<Answer> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let (mut view, warnings) = letter_view(ctx, store.as_ref(), &case)?;
    let sent = casework::sent_on(&store.case_history(reference)?);
    let copy = if published {
        letters::Copy::Published {
            requester: requester(&case),
        }
    } else {
        letters::Copy::Requester {
            name: case.requester_name.as_deref(),
        }
    };
    letters::address(&mut view, copy, sent)?;
    let templates =
        crate::letter_templates::in_force(ctx, store.as_ref(), letter_templates::made_at(&view))?;
    let letter = templates.render(&view, format)?;
    let findings = super::open_findings(&view)
        .iter()
        .map(|f| format!("blocking finding {}: {}", f.number, f.what))
        .collect();
    Ok(Answer {
        letter,
        warnings,
        findings,
    })
}

/// The published copy of a sent answer, as `lantern serve` shows it (pages
/// and API): the letter kept when it was approved and sent, dated with the
/// day it was sent, without the requester's name, contact details or own
/// reference. A case not sent, or not there, is "not found" alike, so a
/// draft is never shown and the answer says nothing about one.
pub fn published(
    store: &dyn lantern_store::Store,
    templates_dir: Option<&Path>,
    reference: &str,
    format: Format,
) -> Result<String> {
    let view = published_view(store, reference)?;
    let templates = letter_templates::at(store, templates_dir, letter_templates::made_at(&view))?;
    templates.render(&view, format)
}

/// The published copy of a sent answer as a Word document (see
/// [`published`]): without the requester's name, made by the council.
pub fn published_docx(
    store: &dyn lantern_store::Store,
    templates_dir: Option<&Path>,
    reference: &str,
) -> Result<Vec<u8>> {
    let view = published_view(store, reference)?;
    let templates = letter_templates::at(store, templates_dir, letter_templates::made_at(&view))?;
    let council = view["council"]["name"].as_str().unwrap_or_default();
    templates.docx(
        &view,
        &format!("Freedom of Information response {reference} (published copy)"),
        council,
    )
}

/// The published copy's JSON form; a case not sent, or not there, is "not
/// found" alike.
fn published_view(store: &dyn lantern_store::Store, reference: &str) -> Result<serde_json::Value> {
    let not_found = || {
        crate::Error::new(
            crate::error::Kind::NotFound,
            format!("no answer to {reference} has been published"),
        )
    };
    let case = store.case(reference)?.ok_or_else(not_found)?;
    let sent = casework::sent_on(&store.case_history(reference)?).ok_or_else(not_found)?;
    let (draft, _) = store.draft(reference)?.ok_or_else(not_found)?;
    let mut view: serde_json::Value = serde_json::from_str(&draft)?;
    let copy = letters::Copy::Published {
        requester: requester(&case),
    };
    letters::address(&mut view, copy, Some(sent))?;
    Ok(view)
}

/// The requester as a case records them, and the message it was opened
/// from (the people its headers name), for what the published copy and
/// the disclosure log remove.
pub(super) fn requester(case: &Case) -> Requester<'_> {
    Requester {
        name: case.requester_name.as_deref(),
        contact: case.requester_contact.as_deref(),
        message: Some(case.original.as_str()),
    }
}

/// The tables of a case's letter as a spreadsheet (s11): from the kept
/// draft when there is one, as the letter is.
pub fn spreadsheet(ctx: &Context, reference: &str, sheet: Sheet) -> Result<Vec<u8>> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let (view, _) = letter_view(ctx, store.as_ref(), &case)?;
    crate::sheets::write(&view, sheet)
}

/// A case's letter in its JSON form: the kept draft, or decided now from
/// the structured request (with the planner's warnings).
pub(super) fn letter_view(
    ctx: &Context,
    store: &dyn lantern_store::Store,
    case: &Case,
) -> Result<(serde_json::Value, Vec<String>)> {
    let reference = &case.reference;
    match store.draft(reference)? {
        Some((draft, _)) => Ok((super::draft_json_owned(&draft)?, vec![])),
        None => {
            let structured = super::correcting::to_answer(store, case)?;
            let view = answering::decide(ctx, store, reference, structured, None, None)?;
            let warnings = view.warnings.clone();
            Ok((serde_json::to_value(&view)?, warnings))
        }
    }
}

/// The longest title a request may have, in characters.
pub const TITLE_LIMIT: usize = 200;

/// Give request `reference` the title its disclosure log entry will have
/// (its e-mail's subject until then), recorded in its history with who;
/// refused once the answer is sent. Returns the title kept.
pub fn retitle(ctx: &Context, reference: &str, title: &str) -> Result<String> {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        crate::fail!(
            Invalid,
            "the title of {reference} is empty; give the words the disclosure log should show for it"
        );
    }
    if title.chars().count() > TITLE_LIMIT {
        crate::fail!(
            Invalid,
            "the title of {reference} is longer than {TITLE_LIMIT} characters; shorten it"
        );
    }
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    store.retitle(reference, case.status, &ctx.who(), &title)?;
    Ok(title)
}
