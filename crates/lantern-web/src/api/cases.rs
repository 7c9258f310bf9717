//! The casework endpoints (`/api/cases…`): the inbox as a paged list, one
//! request with its questions and readings, draft, findings and clock;
//! taking in a request (an e-mail, a structured request, or one typed in);
//! correcting its questions; drafting, approving, recording as sent; the
//! clock actions. Each is the staff page's use case and policy action; a
//! body may give `seen` (the status the caller last saw), and a case that
//! moved on since is a 409 with nothing changed. The requester's name and
//! contact details are never in a reply.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::Kind;
use lantern_app::casework::workspace::{self, Sort, Tag};
use lantern_app::casework::{self, Form as RequestForm, NewRequest, TypedRequest};
use lantern_app::policy::{self, Action};
use lantern_core::deadline::{Deadline, Hold};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, Paging, allow_case, allow_here, body, reply, run};
use crate::Site;

/// The longest note a body may give, in characters.
const LONG: usize = 2000;

/// The inbox's filters and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only requests with this tag: `overdue`, `due-soon`,
    /// `on-hold-clarification`, `on-hold-fee`, `awaiting-approval`,
    /// `ready-to-send`, `release-changed` (or `all`).
    status: Option<String>,
    /// `due` (default), `received` or `reference`.
    sort: Option<String>,
    /// The page, from 1.
    page: Option<String>,
    /// Requests per page, 1 to 100 (default 20).
    per_page: Option<String>,
}

/// A tag on a request in the inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagOut {
    /// Its code (what the `status` filter takes).
    pub code: String,
    /// In words.
    pub label: String,
}

/// One open request, as the inbox lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseRow {
    /// The reference.
    pub reference: String,
    /// The e-mail's subject (or what the request is).
    pub subject: String,
    /// When it was received (YYYY-MM-DD).
    pub received: String,
    /// When the answer is due (YYYY-MM-DD).
    pub due: String,
    /// Working days from today to the due date (0 when due or past).
    pub working_days_left: u32,
    /// Its status code.
    pub status: String,
    /// Its tags.
    pub tags: Vec<TagOut>,
}

/// A page of the inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CasePage {
    /// The requests on this page.
    pub items: Vec<CaseRow>,
    /// How many requests the filter finds.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// Requests per page.
    pub per_page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
    /// This page, the next and the one before.
    pub links: super::PageLinks,
}

fn tags(list: &[Tag]) -> Vec<TagOut> {
    list.iter()
        .map(|t| TagOut {
            code: t.code().to_string(),
            label: t.label().to_string(),
        })
        .collect()
}

/// `GET /api/cases`: the open requests, as the inbox shows them.
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(ListQuery),
    responses(
        (status = 200, description = "A page of open requests", body = CasePage),
        (status = 400, description = "A filter, sort or page the list cannot take", body = ApiError),
        super::Reading,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn list(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = allow_here(&site, &headers, Action::ViewInbox, false).await?;
    let Query(q) =
        q.map_err(|e| super::query_refused(&e, "the inbox takes status, sort, page and per_page"))?;
    let paging = Paging::read(q.page.as_deref(), q.per_page.as_deref())?;
    let status = q.status.as_deref().filter(|s| !s.is_empty() && *s != "all");
    let only = match status {
        None => None,
        Some(code) => Some(Tag::parse(code).ok_or_else(|| {
            let all: Vec<&str> = Tag::ALL.iter().map(|t| t.code()).collect();
            ApiError::field(
                "status",
                format!(
                    "status '{code}' is not a tag; the tags: all, {}",
                    all.join(", ")
                ),
            )
        })?),
    };
    let sort_code = q.sort.clone().unwrap_or_else(|| "due".into());
    let sort = Sort::parse(&sort_code).ok_or_else(|| {
        ApiError::field(
            "sort",
            format!("sort '{sort_code}' is not an order; write due, received or reference"),
        )
    })?;
    let ctx = site.context(&caller.actor.username);
    let rows = run(move || workspace::inbox(&ctx, only, sort)).await?;
    let total = rows.len();
    let pages = paging.pages(total)?;
    let items = rows
        .into_iter()
        .skip((paging.page - 1) * paging.per_page)
        .take(paging.per_page)
        .map(|r| CaseRow {
            reference: r.reference,
            subject: r.subject,
            received: r.received.to_string(),
            due: r.due.to_string(),
            working_days_left: r.working_days_left,
            status: r.status.code().to_string(),
            tags: tags(&r.tags),
        })
        .collect();
    let links = paging.links(
        "/api/cases",
        &[
            ("status", status.unwrap_or_default().to_string()),
            ("sort", q.sort.unwrap_or_default()),
        ],
        pages,
    );
    Ok(reply(
        StatusCode::OK,
        &CasePage {
            items,
            total,
            page: paging.page,
            per_page: paging.per_page,
            pages,
            links,
        },
    ))
}

/// A request typed in (one that came by post, by phone, or a web form).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypedBody {
    /// Who asked (personal data: kept until the retention date, never shown by the API).
    pub requester: String,
    /// Where to reply (personal data), if given.
    pub contact: Option<String>,
    /// The day it arrived (YYYY-MM-DD).
    pub received: String,
    /// Its subject.
    pub subject: String,
    /// Its questions as written (numbered lines, or sentences).
    pub questions: String,
}

/// A request to take in: exactly one of `email`, `structured` or `typed`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeInBody {
    /// The e-mail as received, headers and all.
    pub email: Option<String>,
    /// A structured request (TOML, docs/formats/request.md).
    pub structured: Option<String>,
    /// A request typed in.
    pub typed: Option<TypedBody>,
}

/// A request taken in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenedOut {
    /// Its reference.
    pub reference: String,
    /// Its status.
    pub status: String,
    /// When it was received (YYYY-MM-DD).
    pub received: String,
    /// When the answer is due (YYYY-MM-DD).
    pub due: String,
    /// The questions left for the officer to read.
    pub unplaced: Vec<String>,
    /// Why there are no questions yet, when Lantern found none to read.
    pub questions_to_enter: Option<String>,
    /// Where it is (`/api/cases/{reference}`).
    pub location: String,
}

/// `POST /api/cases`: take in a request (the same one twice is the case
/// it opened the first time).
#[utoipa::path(post, path = "/api/cases", tag = "cases", request_body = TakeInBody,
    responses(
        (status = 201, description = "The request was taken in (or had been: the same case)", body = OpenedOut),
        (status = 400, description = "What was sent cannot be read as a request", body = ApiError),
        (status = 413, description = "Too large", body = ApiError),
        (status = 415, description = "Not JSON", body = ApiError),
        (status = 422, description = "Not the fields this takes", body = ApiError),
        super::Writing,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn take_in(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_here(&site, &headers, Action::TakeIn, true).await?;
    let asked: TakeInBody = body(&headers, &bytes, None)?;
    let ctx = site.context(&caller.actor.username);
    let opened = match (asked.email, asked.structured, asked.typed) {
        (Some(text), None, None) | (None, Some(text), None) => {
            let (form, field) = if asked_structured(&bytes) {
                (RequestForm::Structured, "structured")
            } else {
                (RequestForm::Email, "email")
            };
            if text.trim().is_empty() {
                return Err(ApiError::field(
                    field,
                    "The request is empty: give its text.",
                ));
            }
            run(move || {
                casework::intake::check_email_size("the request sent", text.len() as u64)?;
                casework::take_in(
                    &ctx,
                    &NewRequest {
                        name: "the request sent",
                        bytes: text.as_bytes(),
                        form,
                        received: None,
                        reference: None,
                        requester: None,
                        contact: None,
                    },
                )
            })
            .await?
        }
        (None, None, Some(typed)) => {
            let received = typed.received.trim().parse().map_err(|_| {
                ApiError::field(
                    "received",
                    "The day received must be a date written as YYYY-MM-DD, such as 2019-07-05.",
                )
            })?;
            let typed = TypedRequest {
                requester: typed.requester,
                contact: typed.contact.filter(|c| !c.trim().is_empty()),
                received,
                subject: typed.subject,
                questions: typed.questions,
            };
            run(move || casework::take_in_typed(&ctx, &typed)).await?
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Give exactly one of email, structured or typed.",
            ));
        }
    };
    let reference = opened.case.reference.clone();
    Ok(reply(
        StatusCode::CREATED,
        &OpenedOut {
            location: format!("/api/cases/{}", crate::staff::segment(&reference)),
            reference,
            status: opened.case.status.code().to_string(),
            received: opened.case.received.to_string(),
            due: opened.due.due.to_string(),
            unplaced: opened.unplaced,
            questions_to_enter: opened.questions_to_enter,
        },
    ))
}

/// Whether the body gave a structured request (the `structured` field).
fn asked_structured(bytes: &Bytes) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .is_some_and(|v| v.get("structured").is_some_and(|s| !s.is_null()))
}

/// Lantern's own reading of a question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadingOut {
    /// What it was taken to ask, in words; null when left for the officer.
    pub reading: Option<String>,
    /// How sure, 0 to 1.
    pub confidence: f64,
    /// The officer must decide it.
    pub needs_officer: bool,
    /// Other readings considered, best first, with how sure.
    pub alternatives: Vec<String>,
    /// Why, for the officer.
    pub notes: Vec<String>,
}

/// One question or part, as the case holds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionOut {
    /// Its number ("3", "3b").
    pub question: String,
    /// The requester's words.
    pub text: String,
    /// What it asks for, in words; null while it asks for nothing.
    pub reading: Option<String>,
    /// What is left to decide for it.
    pub to_decide: Option<String>,
    /// How Lantern read the e-mail's question, while it is the same question.
    pub lantern: Option<ReadingOut>,
}

/// Why the clock is stopped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HoldOut {
    /// `clarification` or `fee`.
    pub kind: String,
    /// When the clarification was sought or the fees notice issued.
    pub since: String,
}

/// A request's statutory clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockOut {
    /// When it was received.
    pub received: String,
    /// The day the count runs from (a clarification restarts it).
    pub effective_receipt: String,
    /// The 20th working day (later by fee pauses).
    pub s17_due: String,
    /// When the answer is due (an extension's date, if extended).
    pub due: String,
    /// Why the clock is stopped, or null.
    pub hold: Option<HoldOut>,
    /// The day counted from (the council's today), while open.
    pub today: Option<String>,
    /// Working days left, while open.
    pub working_days_left: Option<u32>,
    /// Working days late, while open.
    pub working_days_late: Option<u32>,
    /// The bank holidays skipped.
    pub holidays: Vec<HolidayOut>,
}

/// A bank holiday the clock skipped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayOut {
    /// The day (YYYY-MM-DD).
    pub date: String,
    /// Its name.
    pub name: String,
}

fn clock_out(due: &Deadline) -> ClockOut {
    ClockOut {
        received: due.received.to_string(),
        effective_receipt: due.effective_receipt.to_string(),
        s17_due: due.s17_due.to_string(),
        due: due.due.to_string(),
        hold: due.hold.as_ref().map(|h| match h {
            Hold::Clarification { sought } => HoldOut {
                kind: "clarification".into(),
                since: sought.to_string(),
            },
            Hold::Fee { notice_issued } => HoldOut {
                kind: "fee".into(),
                since: notice_issued.to_string(),
            },
        }),
        today: None,
        working_days_left: None,
        working_days_late: None,
        holidays: due
            .holidays
            .iter()
            .map(|(d, n)| HolidayOut {
                date: d.to_string(),
                name: n.clone(),
            })
            .collect(),
    }
}

/// A way forward from a blocking finding.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WayOut {
    /// `load`, `record_not_held`, `seek_clarification` or `cost_estimate`.
    pub code: String,
    /// In words.
    pub text: String,
}

/// A blocking finding of the draft: nothing is recorded for a figure or
/// statement, and the officer decides (never decided by absence).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingOut {
    /// Its number in the draft.
    pub number: usize,
    /// The question or part.
    pub question: String,
    /// What is missing.
    pub what: String,
    /// The ways forward.
    pub ways_forward: Vec<WayOut>,
}

/// One event of the history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventOut {
    /// When (RFC 3339).
    pub at: String,
    /// Who (a user name).
    pub actor: String,
    /// What (an action code, or `open`).
    pub action: String,
    /// The status before.
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// The officer's note.
    pub note: Option<String>,
}

/// One request in full, for the officer (no requester's details).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseOut {
    /// Its reference.
    pub reference: String,
    /// Its status code.
    pub status: String,
    /// Its subject.
    pub subject: String,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
    /// The questions as the case holds them, each with Lantern's reading.
    pub questions: Vec<QuestionOut>,
    /// Why the questions cannot be read, when they cannot.
    pub unreadable: Option<String>,
    /// The working copy's revision: give it back as `seen` with a correction.
    pub revision: Option<String>,
    /// Nothing is left to decide: it can be drafted.
    pub complete: bool,
    /// The draft (or approved, or sent) letter as Markdown, once drafted,
    /// as its published copy reads: without the requester's details.
    pub draft: Option<String>,
    /// The draft's blocking findings.
    pub findings: Vec<FindingOut>,
    /// Why each withheld count of the draft is withheld.
    pub withheld: Vec<String>,
    /// What changed about the releases the draft cites (each means drafting again).
    pub release_changes: Vec<String>,
    /// The clock.
    pub clock: ClockOut,
    /// What happened, oldest first.
    pub history: Vec<EventOut>,
    /// What the caller may do to it now: action codes of the policy.
    pub may: Vec<String>,
}

/// `GET /api/cases/{reference}`: one request.
#[utoipa::path(get, path = "/api/cases/{reference}", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    responses(
        (status = 200, description = "The request", body = CaseOut),
        super::Reading,
        super::Missing,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn show(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::ViewCase, &reference, false).await?;
    let ctx = site.context(&caller.actor.username);
    let asked = reference.clone();
    let (view, sheet, readings, letter, withheld, findings, self_approval, today) =
        run(move || {
            let view = casework::show(&ctx, &asked)?;
            let sheet = match casework::worksheet(&ctx, &asked) {
                Ok(sheet) => Ok(sheet),
                Err(e) if e.kind() == Kind::Invalid => Err(e.message().to_string()),
                Err(e) => return Err(e),
            };
            let readings = match casework::understanding(&ctx, &asked) {
                Ok(readings) => readings,
                Err(e) if matches!(e.kind(), Kind::Invalid | Kind::Conflict) => vec![],
                Err(e) => return Err(e),
            };
            let letter = match view.case.status {
                casework::Status::Drafted | casework::Status::Approved | casework::Status::Sent => {
                    Some(
                        casework::letter(&ctx, &asked, lantern_app::letters::Format::Md, true)?
                            .letter,
                    )
                }
                _ => None,
            };
            let withheld = workspace::withheld_in_draft(&ctx, &asked)?;
            let findings = workspace::findings_in_draft(&ctx, &asked)?;
            let self_approval = policy::self_approval_allowed(&ctx)?;
            let today = if view.case.status.is_open() {
                Some(workspace::clock_today(&ctx, &view.due)?)
            } else {
                None
            };
            Ok((
                view,
                sheet,
                readings,
                letter,
                withheld,
                findings,
                self_approval,
                today,
            ))
        })
        .await?;
    let resource = policy::Resource {
        council: site.council_code.clone(),
        drafted_by: policy::authors(&view.history),
        self_approval,
    };
    let may = [
        Action::Correct,
        Action::Draft,
        Action::Approve,
        Action::Send,
        Action::ClockAction,
    ]
    .into_iter()
    .filter(|a| policy::may(Some(&caller.actor), *a, &resource).allowed())
    .map(|a| format!("{a:?}"))
    .collect();
    let (questions, unreadable, revision, complete) = match &sheet {
        Ok(sheet) => (
            sheet
                .questions
                .iter()
                .map(|q| QuestionOut {
                    question: q.question.clone(),
                    text: q.text.clone(),
                    reading: q.reading.clone(),
                    to_decide: q.to_decide.clone(),
                    lantern: readings
                        .iter()
                        .find(|r| r.question == q.question && r.text == q.text)
                        .map(|r| ReadingOut {
                            reading: r.reading.clone(),
                            confidence: r.confidence,
                            needs_officer: r.needs_officer,
                            alternatives: r
                                .alternatives
                                .iter()
                                .map(|a| format!("{} ({:.0}%)", a.reading, a.confidence * 100.0))
                                .collect(),
                            notes: r.notes.clone(),
                        }),
                })
                .collect(),
            None,
            Some(sheet.revision.clone()),
            sheet.complete,
        ),
        Err(why) => (vec![], Some(why.clone()), None, false),
    };
    let mut clock = clock_out(&view.due);
    if let Some(today) = today {
        clock.today = Some(today.today.to_string());
        clock.working_days_left = Some(today.working_days_left);
        clock.working_days_late = Some(today.working_days_late);
    }
    let out = CaseOut {
        reference: view.case.reference.clone(),
        status: view.case.status.code().to_string(),
        subject: workspace::subject(&view.case),
        opened_at: view.case.opened_at.clone(),
        questions,
        unreadable,
        revision,
        complete,
        draft: letter,
        findings: findings
            .into_iter()
            .map(|f| FindingOut {
                number: f.number,
                question: f.question,
                what: f.what,
                ways_forward: f
                    .ways_forward
                    .into_iter()
                    .map(|w| WayOut {
                        code: w.code,
                        text: w.text,
                    })
                    .collect(),
            })
            .collect(),
        withheld,
        release_changes: view.release_changes.clone(),
        clock,
        history: view
            .history
            .iter()
            .map(|e| EventOut {
                at: e.at.clone(),
                actor: e.actor.clone(),
                action: e.action.clone(),
                from: e.from.map(|s| s.code().to_string()),
                to: e.to.code().to_string(),
                note: e.note.clone(),
            })
            .collect(),
        may,
    };
    Ok(reply(StatusCode::OK, &out))
}

/// Refuse a body made from another status than the case's now (409).
async fn check_seen(site: &Arc<Site>, reference: &str, seen: Option<&str>) -> Result<(), ApiError> {
    let Some(seen) = seen else {
        return Ok(());
    };
    let asked = reference.to_string();
    let now = crate::read(site, move |store| Ok(store.case(&asked)?.map(|c| c.status))).await?;
    match now {
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no request {reference}"),
        )),
        Some(now) if now.code() != seen => Err(ApiError {
            field: Some("seen".into()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "Request {reference} is now {}, not {seen}: someone changed it. Nothing was changed: read it again before you act.",
                    now.code()
                ),
            )
        }),
        Some(_) => Ok(()),
    }
}

fn note(note: Option<String>) -> Result<Option<String>, ApiError> {
    let note = note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > LONG) {
        return Err(ApiError::field(
            "note",
            "The note must be 2,000 characters or fewer.",
        ));
    }
    Ok(note)
}

/// One correction of a request's questions.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CorrectionIn {
    /// Take a question out as not a question, with why.
    SetAside {
        /// The question ("3", "3b").
        question: String,
        /// Why.
        reason: String,
    },
    /// Split a question into parts at the requester's words (none: make
    /// its parts questions of their own).
    Split {
        /// The question.
        question: String,
        /// Words at which a new part starts.
        at: Vec<String>,
    },
    /// Join `second` to `first`.
    Merge {
        /// The question that stays.
        first: String,
        /// The question joined to it.
        second: String,
    },
    /// Read a question as figures of an indicator.
    SetIndicator {
        /// The question.
        question: String,
        /// The indicator's code.
        indicator: String,
    },
    /// Read a question as a statement on a topic.
    SetTopic {
        /// The question.
        question: String,
        /// The topic's code.
        topic: String,
    },
    /// The periods a figures question asks about ("2019/20").
    SetPeriods {
        /// The question.
        question: String,
        /// The periods.
        periods: Vec<String>,
    },
    /// What a figures question is narrowed to (`dimension=value`).
    SetFilter {
        /// The question.
        question: String,
        /// `dimension=value` pairs.
        filter: Vec<String>,
    },
    /// What a figures question is broken down by.
    SetBreakdown {
        /// The question.
        question: String,
        /// Dimension codes.
        breakdown: Vec<String>,
    },
}

impl From<CorrectionIn> for casework::Correction {
    fn from(c: CorrectionIn) -> casework::Correction {
        use casework::Correction as C;
        match c {
            CorrectionIn::SetAside { question, reason } => C::SetAside { question, reason },
            CorrectionIn::Split { question, at } => C::Split { question, at },
            CorrectionIn::Merge { first, second } => C::Merge { first, second },
            CorrectionIn::SetIndicator {
                question,
                indicator,
            } => C::SetIndicator {
                question,
                indicator,
            },
            CorrectionIn::SetTopic { question, topic } => C::SetTopic { question, topic },
            CorrectionIn::SetPeriods { question, periods } => C::SetPeriods { question, periods },
            CorrectionIn::SetFilter { question, filter } => C::SetFilter { question, filter },
            CorrectionIn::SetBreakdown {
                question,
                breakdown,
            } => C::SetBreakdown {
                question,
                breakdown,
            },
        }
    }
}

/// Corrections to make, all or none.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectBody {
    /// What to change, in order.
    pub corrections: Vec<CorrectionIn>,
    /// The revision of the questions corrected (`revision` of the case);
    /// when the case changed since, nothing is changed (409).
    pub seen: Option<String>,
    /// A note for the history.
    pub note: Option<String>,
}

/// Corrections made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectedOut {
    /// What was done, one line per correction.
    pub done: Vec<String>,
    /// The revision of the questions now.
    pub revision: String,
    /// Nothing is left to decide.
    pub complete: bool,
}

/// `POST /api/cases/{reference}/questions`: correct the questions.
#[utoipa::path(post, path = "/api/cases/{reference}/questions", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    request_body = CorrectBody,
    responses(
        (status = 200, description = "Corrected", body = CorrectedOut),
        (status = 400, description = "A correction that does not fit; nothing changed", body = ApiError),
        super::Writing,
        super::Missing,
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn correct(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::Correct, &reference, true).await?;
    let asked: CorrectBody = body(&headers, &bytes, None)?;
    if asked.corrections.is_empty() {
        return Err(ApiError::field(
            "corrections",
            "Give at least one correction.",
        ));
    }
    let input = casework::Correcting {
        reference,
        corrections: asked.corrections.into_iter().map(Into::into).collect(),
        seen: asked.seen,
        note: note(asked.note)?,
    };
    let ctx = site.context(&caller.actor.username);
    let done = run(move || casework::correct_questions(&ctx, &input)).await?;
    Ok(reply(
        StatusCode::OK,
        &CorrectedOut {
            done: done.done,
            revision: done.worksheet.revision,
            complete: done.worksheet.complete,
        },
    ))
}

/// What an action on a request sends (all optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The status the caller last saw; if the case moved on, 409.
    pub seen: Option<String>,
    /// A note for the history.
    pub note: Option<String>,
}

/// A request after an action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActedOut {
    /// Its reference.
    pub reference: String,
    /// Its status now.
    pub status: String,
    /// When the answer is due now (YYYY-MM-DD), when known.
    pub due: Option<String>,
    /// Points for the officer.
    pub warnings: Vec<String>,
}

/// The draft made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftedOut {
    /// Its reference.
    pub reference: String,
    /// Its status now.
    pub status: String,
    /// The data version the draft was decided from.
    pub data_version: i64,
    /// Points to review.
    pub warnings: Vec<String>,
    /// How many blocking findings it has (each must be resolved before approval).
    pub findings: usize,
    /// Why each withheld count is withheld.
    pub withheld: Vec<String>,
}

/// `POST /api/cases/{reference}/draft`: draft the answer.
#[utoipa::path(post, path = "/api/cases/{reference}/draft", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    request_body(content = Option<ActionBody>, description = "Optional"),
    responses(
        (status = 200, description = "Drafted", body = DraftedOut),
        (status = 400, description = "It cannot be drafted as it is", body = ApiError),
        super::Writing,
        super::Missing,
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn draft(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::Draft, &reference, true).await?;
    let asked: ActionBody = body(&headers, &bytes, Some(ActionBody::default()))?;
    check_seen(&site, &reference, asked.seen.as_deref()).await?;
    let ctx = site.context(&caller.actor.username);
    let done = run(move || casework::draft(&ctx, &reference)).await?;
    Ok(reply(
        StatusCode::OK,
        &DraftedOut {
            reference: done.reference,
            status: done.status.code().to_string(),
            data_version: done.data_version,
            warnings: done.warnings,
            findings: done.findings.len(),
            withheld: done.withheld,
        },
    ))
}

/// `POST /api/cases/{reference}/approve`: approve the draft (never one's own
/// unless the council allows it).
#[utoipa::path(post, path = "/api/cases/{reference}/approve", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    request_body(content = Option<ActionBody>, description = "Optional"),
    responses(
        (status = 200, description = "Approved", body = ActedOut),
        super::Writing,
        super::Missing,
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn approve(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::Approve, &reference, true).await?;
    let asked: ActionBody = body(&headers, &bytes, Some(ActionBody::default()))?;
    check_seen(&site, &reference, asked.seen.as_deref()).await?;
    let note = note(asked.note)?;
    let ctx = site.context(&caller.actor.username);
    let actor = caller.actor.clone();
    let done = run(move || policy::approve_as(&ctx, &actor, &reference, note)).await?;
    Ok(reply(
        StatusCode::OK,
        &ActedOut {
            reference: done.reference,
            status: done.status.code().to_string(),
            due: Some(done.after.due.to_string()),
            warnings: vec![],
        },
    ))
}

/// How the answer was sent, and a note.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// `email` or `post`.
    pub channel: String,
    /// The status the caller last saw; if the case moved on, 409.
    pub seen: Option<String>,
    /// A note for the history.
    pub note: Option<String>,
}

/// `POST /api/cases/{reference}/send`: record the approved answer as sent
/// today; the disclosure log gets it.
#[utoipa::path(post, path = "/api/cases/{reference}/send", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    request_body = SendBody,
    responses(
        (status = 200, description = "Recorded as sent", body = ActedOut),
        (status = 400, description = "No channel, or a bad one", body = ApiError),
        super::Writing,
        super::Missing,
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn send(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::Send, &reference, true).await?;
    let asked: SendBody = body(&headers, &bytes, None)?;
    let channel = match asked.channel.as_str() {
        "email" => "e-mail",
        "post" => "post",
        other => {
            return Err(ApiError::field(
                "channel",
                format!("channel '{other}': write email or post"),
            ));
        }
    };
    check_seen(&site, &reference, asked.seen.as_deref()).await?;
    let note = Some(match note(asked.note)? {
        Some(n) => format!("sent by {channel}: {n}"),
        None => format!("sent by {channel}"),
    });
    let ctx = site.context(&caller.actor.username);
    let done = run(move || casework::send(&ctx, &reference, note, None)).await?;
    Ok(reply(
        StatusCode::OK,
        &ActedOut {
            reference: done.reference,
            status: done.status.code().to_string(),
            due: Some(done.due.to_string()),
            warnings: done.warnings,
        },
    ))
}

/// A clock or lifecycle action.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// `start`, `seek_clarification`, `clarified`, `issue_fee_notice`,
    /// `fee_received`, `extend`, `withdraw`, `request_review` or
    /// `complain_to_ico`.
    pub action: String,
    /// The day it happened (YYYY-MM-DD), if not today.
    pub on: Option<String>,
    /// For `extend`: the new due date (YYYY-MM-DD).
    pub extended_to: Option<String>,
    /// For `issue_fee_notice`: the fee in pounds ("25.00").
    pub fee: Option<String>,
    /// The status the caller last saw; if the case moved on, 409.
    pub seen: Option<String>,
    /// A note for the history.
    pub note: Option<String>,
}

fn date(field: &str, value: Option<&str>) -> Result<Option<jiff::civil::Date>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ApiError::field(
                field,
                format!("{field} '{v}' must be a date written as YYYY-MM-DD, such as 2019-07-05."),
            )
        }),
    }
}

/// `POST /api/cases/{reference}/clock`: record a clock or lifecycle action.
#[utoipa::path(post, path = "/api/cases/{reference}/clock", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    request_body = ClockBody,
    responses(
        (status = 200, description = "Recorded; the deadline now", body = ActedOut),
        (status = 400, description = "An unknown action, a bad date or fee", body = ApiError),
        super::Writing,
        super::Missing,
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn clock(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::ClockAction, &reference, true).await?;
    let asked: ClockBody = body(&headers, &bytes, None)?;
    let action = crate::staff::clock_action(&asked.action).ok_or_else(|| {
        ApiError::field(
            "action",
            format!(
                "action '{}' is not a clock action; write one of {}",
                asked.action,
                crate::staff::clock_action_codes().join(", ")
            ),
        )
    })?;
    let on = date("on", asked.on.as_deref())?;
    let extended_to = date("extended_to", asked.extended_to.as_deref())?;
    if action == casework::Action::Extend && extended_to.is_none() {
        return Err(ApiError::field(
            "extended_to",
            "Give the new due date of an extension.",
        ));
    }
    let fee_pence = match asked
        .fee
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        None => None,
        Some(f) => Some(
            lantern_core::figure::Pence::parse(f)
                .ok()
                .filter(|p| p.0 > 0)
                .ok_or_else(|| ApiError::field("fee", "Write the fee in pounds, such as 25.00."))?
                .0,
        ),
    };
    check_seen(&site, &reference, asked.seen.as_deref()).await?;
    let acting = casework::Acting {
        reference,
        action,
        note: note(asked.note)?,
        on,
        extended_to: (action == casework::Action::Extend)
            .then_some(extended_to)
            .flatten(),
        fee_pence: (action == casework::Action::IssueFeeNotice)
            .then_some(fee_pence)
            .flatten(),
    };
    let ctx = site.context(&caller.actor.username);
    let done = run(move || casework::act(&ctx, &acting)).await?;
    Ok(reply(
        StatusCode::OK,
        &ActedOut {
            reference: done.reference,
            status: done.status.code().to_string(),
            due: Some(done.after.due.to_string()),
            warnings: vec![],
        },
    ))
}

/// How the officer resolves a blocking finding of the draft (the council
/// decides, never the absence of a row).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// The finding's number in the draft (`findings[].number` of the case).
    pub finding: usize,
    /// `record_not_held` (with `reason`), `cost_estimate` (with `hours`),
    /// `seek_clarification` or `refer` (section 21, when the finding offers
    /// a publication).
    pub way: String,
    /// Why the council does not hold it (for `record_not_held`).
    pub reason: Option<String>,
    /// Who holds it instead, if known (for `record_not_held`).
    pub held_by: Option<String>,
    /// Not held for any request, not only this one (for `record_not_held`).
    #[serde(default)]
    pub council_wide: bool,
    /// The estimate of hours (for `cost_estimate`).
    pub hours: Option<f64>,
    /// Why, for the history (required to accept a referral).
    pub note: Option<String>,
    /// The status the caller last saw; if the case moved on, 409.
    pub seen: Option<String>,
}

/// A finding resolved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolvedOut {
    /// The case.
    pub reference: String,
    /// What was missing.
    pub what: String,
    /// How many findings of the draft are still open (draft again to carry
    /// the resolution).
    pub still_open: usize,
}

fn text_field(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let value = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(ApiError::field(
            field,
            format!("{field} must be {max} characters or fewer."),
        ));
    }
    Ok(value)
}

/// `POST /api/cases/{reference}/findings/resolve`: resolve a blocking finding.
#[utoipa::path(post, path = "/api/cases/{reference}/findings/resolve", tag = "cases",
    params(("reference" = String, Path, description = "The request's reference")),
    request_body = ResolveBody,
    responses(
        (status = 200, description = "Resolved; draft again to carry it", body = ResolvedOut),
        (status = 400, description = "A way or field the finding cannot take", body = ApiError),
        super::Writing,
        super::Missing,
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn resolve(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_case(&site, &headers, Action::Draft, &reference, true).await?;
    let asked: ResolveBody = body(&headers, &bytes, None)?;
    let way = match asked.way.as_str() {
        "record_not_held" => casework::Way::NotHeld {
            reason: text_field("reason", asked.reason, LONG)?.ok_or_else(|| {
                ApiError::field(
                    "reason",
                    "Give why the council does not hold this information.",
                )
            })?,
            other_holder: text_field("held_by", asked.held_by, 200)?,
            council_wide: asked.council_wide,
        },
        "cost_estimate" => casework::Way::CostEstimate {
            hours: asked.hours.filter(|h| h.is_finite()).ok_or_else(|| {
                ApiError::field(
                    "hours",
                    "Give the estimate of hours it would take, such as 24.",
                )
            })?,
        },
        "seek_clarification" => casework::Way::Clarify,
        "refer" => casework::Way::Refer,
        other => {
            return Err(ApiError::field(
                "way",
                format!(
                    "way '{other}': write record_not_held, cost_estimate, seek_clarification or refer"
                ),
            ));
        }
    };
    check_seen(&site, &reference, asked.seen.as_deref()).await?;
    let resolving = casework::Resolving {
        reference,
        finding: asked.finding,
        way,
        why: text_field("note", asked.note, LONG)?,
    };
    let ctx = site.context(&caller.actor.username);
    let done = run(move || casework::resolve(&ctx, &resolving)).await?;
    Ok(reply(
        StatusCode::OK,
        &ResolvedOut {
            reference: done.reference,
            what: done.what,
            still_open: done.still_open.len(),
        },
    ))
}
