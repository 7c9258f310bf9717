//! The officers' pages: their start page, the inbox, taking in a request,
//! and the actions on a request (draft, approve, send, the clock) as forms
//! calling the use cases (the workspace page and its corrections are
//! `workspace`'s). Each handler asks the policy first (for a
//! case, with who drafted and corrected it), then checks the form's CSRF
//! secret and the status the form was made from (a form made before
//! someone else moved the case on is refused, nothing changed).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::casework::workspace::{self, Sort, Tag};
use lantern_app::casework::{self, Form as RequestForm, NewRequest};
use lantern_app::policy::{self, Action, Resource};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{Visitor, allow, allow_here, check_csrf, see_other, visitor};
use crate::{Failure, Site, act, private_page, read, render};

/// `GET /staff`: what the signed-in person can do.
pub(crate) async fn home(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::Home).await?;
    let html = render(
        &site,
        "staff.html.j2",
        context! { council => site.council.clone(), user => visitor.page() },
    )?;
    Ok(private_page(html))
}

/// The inbox's filter and order.
#[derive(Debug, Deserialize)]
pub(crate) struct InboxQuery {
    status: Option<String>,
    sort: Option<String>,
}

/// `GET /inbox`: open requests with their tags.
pub(crate) async fn inbox(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewInbox).await?;
    let status = q.status.as_deref().filter(|s| !s.is_empty() && *s != "all");
    let only = match status {
        None => None,
        Some(code) => Some(Tag::parse(code).ok_or_else(|| {
            Failure::BadRequest(format!(
                "status={code}: choose one of the filters on the inbox page"
            ))
        })?),
    };
    let sort_code = q.sort.as_deref().unwrap_or("due");
    let sort = Sort::parse(sort_code).ok_or_else(|| {
        Failure::BadRequest(format!(
            "sort={sort_code}: write sort=due, sort=received or sort=reference"
        ))
    })?;
    let ctx = site.context(&visitor.actor.username);
    let rows = act(move || workspace::inbox(&ctx, only, sort)).await?;
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            context! {
                reference => r.reference.clone(),
                subject => r.subject.clone(),
                received => r.received.to_string(),
                due => r.due.to_string(),
                days_left => r.working_days_left,
                status => r.status.code().replace('_', " "),
                tags => r.tags.iter().map(|t| context! { code => t.code(), label => t.label() }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let filters: Vec<_> = Tag::ALL
        .iter()
        .map(|t| context! { code => t.code(), label => t.label() })
        .collect();
    let html = render(
        &site,
        "inbox.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            rows => rows,
            filters => filters,
            status => status.unwrap_or("all"),
            sort => sort_code,
        },
    )?;
    Ok(private_page(html))
}

/// `GET /cases/new`: paste an e-mail.
pub(crate) async fn new_case_page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::TakeIn).await?;
    new_case_form(&site, &visitor, StatusCode::OK, "", None)
}

fn new_case_form(
    site: &Site,
    visitor: &Visitor,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Result<Response, Failure> {
    let html = render(
        site,
        "new_case.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            email => email,
            error => error,
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// What the new-request form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct NewCaseForm {
    csrf: Option<String>,
    email: Option<String>,
}

/// `POST /cases`: take in a pasted e-mail (the same e-mail twice is the
/// case it opened the first time).
pub(crate) async fn take_in(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<NewCaseForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::TakeIn).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let email = form.email.unwrap_or_default();
    if email.trim().is_empty() {
        return new_case_form(
            &site,
            &visitor,
            StatusCode::BAD_REQUEST,
            "",
            Some("Paste the request's e-mail, with its headers"),
        );
    }
    let ctx = site.context(&visitor.actor.username);
    let text = email.clone();
    let opened = crate::blocking(move || {
        casework::intake::check_email_size("the pasted e-mail", text.len() as u64)?;
        casework::take_in(
            &ctx,
            &NewRequest {
                name: "the pasted e-mail",
                bytes: text.as_bytes(),
                form: RequestForm::Email,
                received: None,
                reference: None,
                requester: None,
                contact: None,
            },
        )
    })
    .await?;
    match opened {
        Ok(opened) => Ok(see_other(&format!(
            "/cases/{}",
            segment(&opened.case.reference)
        ))),
        // Show the form again with what was wrong, the e-mail kept.
        Err(e) if e.kind() == lantern_app::Kind::Invalid => new_case_form(
            &site,
            &visitor,
            StatusCode::BAD_REQUEST,
            &email,
            Some(e.message()),
        ),
        Err(e) => Err(crate::failure(e)),
    }
}

/// A reference as one path segment.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The case as a policy resource (who drafted and corrected it), or 404.
pub(crate) async fn case_resource(site: &Arc<Site>, reference: &str) -> Result<Resource, Failure> {
    let reference = reference.to_string();
    read(site, move |store| policy::case_resource(store, &reference)).await
}

/// The visitor, if the policy lets them do `action` to the case.
pub(crate) async fn allow_case(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
    reference: &str,
) -> Result<Visitor, Failure> {
    let visitor = visitor(site, headers).await?;
    // Whoever may not do this to any case is refused before anything is
    // read about this one (so nobody learns which references exist).
    allow(
        visitor.clone(),
        action,
        &Resource::council(&site.council_code),
    )?;
    let resource = case_resource(site, reference).await?;
    allow(visitor, action, &resource)
}

/// A form posted about a case: the visitor, if the policy lets them do
/// `action` to it, the form carries their session's CSRF secret, and the
/// case is still in the status the form was made from.
pub(crate) async fn allow_case_form(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
    reference: &str,
    csrf: Option<&str>,
    seen: Option<&str>,
) -> Result<Visitor, Failure> {
    let visitor = allow_case(site, headers, action, reference).await?;
    check_csrf(&visitor, csrf)?;
    check_seen(site, reference, seen).await?;
    Ok(visitor)
}

/// What an action's form sends: the secret, the status the form was made
/// from, and an optional note.
#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    csrf: Option<String>,
    seen: Option<String>,
    note: Option<String>,
}

/// Refuse a form made from another status than the case's now.
pub(crate) async fn check_seen(
    site: &Arc<Site>,
    reference: &str,
    seen: Option<&str>,
) -> Result<(), Failure> {
    let asked = reference.to_string();
    let now = read(site, move |store| Ok(store.case(&asked)?.map(|c| c.status))).await?;
    let Some(now) = now else {
        return Err(Failure::NotFound(format!(
            "there is no request {reference}"
        )));
    };
    if seen != Some(now.code()) {
        return Err(Failure::Page(
            StatusCode::CONFLICT,
            crate::problem_html(
                "This request has moved on",
                &format!(
                    "Request {reference} is now {} — someone changed it after this page was loaded. Nothing was changed: look at the request again before you act.",
                    now.code().replace('_', " ")
                ),
            ),
        ));
    }
    Ok(())
}

fn note(form: &ActionForm) -> Result<Option<String>, Failure> {
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(Failure::Page(
            StatusCode::BAD_REQUEST,
            crate::problem_html(
                "There is a problem",
                "The note must be 2,000 characters or fewer.",
            ),
        ));
    }
    Ok(note)
}

/// `POST /cases/{reference}/draft`.
pub(crate) async fn draft(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Draft,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    act(move || casework::draft(&ctx, &asked)).await?;
    Ok(see_other(&format!("/cases/{}", segment(&reference))))
}

/// What the title form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct TitleForm {
    csrf: Option<String>,
    seen: Option<String>,
    title: Option<String>,
}

/// `POST /cases/{reference}/title`: the title the disclosure log will
/// show the request by (`casework::cases::retitle`).
pub(crate) async fn retitle(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<TitleForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Correct,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    let title = form.title.unwrap_or_default();
    act(move || casework::cases::retitle(&ctx, &asked, &title)).await?;
    Ok(see_other(&format!("/cases/{}", segment(&reference))))
}

/// The clock and lifecycle actions an officer records on the workspace,
/// with their words: (code, label).
const CLOCK_ACTIONS: [(casework::Action, &str); 9] = [
    (casework::Action::Start, "Start work (or reopen a draft)"),
    (
        casework::Action::SeekClarification,
        "Clarification sought (the clock stops)",
    ),
    (
        casework::Action::Clarified,
        "Clarification received (the clock restarts)",
    ),
    (
        casework::Action::IssueFeeNotice,
        "Fees notice issued (the clock pauses)",
    ),
    (
        casework::Action::FeeReceived,
        "Fee received (the clock runs again)",
    ),
    (
        casework::Action::Extend,
        "Public interest extension (give the new date)",
    ),
    (casework::Action::Withdraw, "Withdrawn by the requester"),
    (casework::Action::RequestReview, "Internal review requested"),
    (casework::Action::ComplainToIco, "Complaint to the ICO"),
];

/// The clock action with this code, if it is one an officer records.
pub(crate) fn clock_action(code: &str) -> Option<casework::Action> {
    CLOCK_ACTIONS
        .iter()
        .find(|(a, _)| a.code() == code)
        .map(|(a, _)| *a)
}

/// The codes of the clock actions an officer records.
pub(crate) fn clock_action_codes() -> Vec<&'static str> {
    CLOCK_ACTIONS.iter().map(|(a, _)| a.code()).collect()
}

/// The clock actions for the workspace's form.
pub(crate) fn clock_actions() -> Vec<minijinja::Value> {
    CLOCK_ACTIONS
        .iter()
        .map(|(a, label)| context! { code => a.code(), label => *label })
        .collect()
}

/// What the clock form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct ClockForm {
    csrf: Option<String>,
    seen: Option<String>,
    action: Option<String>,
    on: Option<String>,
    extended_to: Option<String>,
    note: Option<String>,
    fee: Option<String>,
}

pub(crate) fn form_problem(message: &str) -> Failure {
    Failure::Page(
        StatusCode::BAD_REQUEST,
        crate::problem_html("There is a problem", message),
    )
}

pub(crate) fn form_date(
    value: Option<&str>,
    what: &str,
) -> Result<Option<jiff::civil::Date>, Failure> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            form_problem(&format!(
                "{what} must be a date written as YYYY-MM-DD, such as 2019-07-05."
            ))
        }),
    }
}

/// `POST /cases/{reference}/clock`: record a clock or lifecycle action
/// (checked against the lifecycle and the deadline rules by the use case).
pub(crate) async fn clock(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<ClockForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::ClockAction,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let action = CLOCK_ACTIONS
        .iter()
        .find(|(a, _)| Some(a.code()) == form.action.as_deref())
        .map(|(a, _)| *a)
        .ok_or_else(|| form_problem("Choose what happened."))?;
    let on = form_date(form.on.as_deref(), "The day it happened")?;
    let extended_to = form_date(form.extended_to.as_deref(), "The new due date")?;
    if action == casework::Action::Extend && extended_to.is_none() {
        return Err(form_problem("Give the new due date of an extension."));
    }
    let fee_pence = match form.fee.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => Some(
            lantern_core::figure::Pence::parse(f)
                .ok()
                .filter(|p| p.0 > 0)
                .ok_or_else(|| form_problem("Write the fee in pounds, such as 25.00."))?
                .0,
        ),
    };
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(form_problem("The note must be 2,000 characters or fewer."));
    }
    let ctx = site.context(&visitor.actor.username);
    let acting = casework::Acting {
        reference: reference.clone(),
        action,
        note,
        on,
        extended_to: if action == casework::Action::Extend {
            extended_to
        } else {
            None
        },
        fee_pence: if action == casework::Action::IssueFeeNotice {
            fee_pence
        } else {
            None
        },
    };
    act(move || casework::act(&ctx, &acting)).await?;
    Ok(see_other(&format!("/cases/{}", segment(&reference))))
}

/// `POST /cases/{reference}/approve`: the policy asked again inside the
/// use case, with the history as held (two-person sign-off).
pub(crate) async fn approve(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Approve,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let note = note(&form)?;
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    let actor = visitor.actor.clone();
    act(move || policy::approve_as(&ctx, &actor, &asked, note)).await?;
    Ok(see_other(&format!("/cases/{}", segment(&reference))))
}
