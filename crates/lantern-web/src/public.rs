//! The disclosure log as the public reads it: `/log` (a page of entries,
//! newest first, searched and filtered), `/api/log` (the same page as
//! JSON), `/log.csv` and `/log.json` (every entry the filters find) and
//! `/log.atom` (the newest entries as a feed). Each takes `search`, `year`,
//! `topic`, `outcome` and (pages) `page`; an unknown parameter or a value
//! the log cannot take is a 400 that says so, with the values allowed,
//! never an empty log. A page is one indexed query for its entries and one
//! for their count (`lantern_app::disclosure_log::public_log`).
//!
//! Pages of `/log` and `/api/log` are kept once rendered (`crate::kept`),
//! each with the log's version it was read at
//! (`lantern_app::disclosure_log::LogVersion`: how many entries, the
//! newest id). Every request still reads the version (a count and a
//! largest key, reading no rows) and is given a kept page only when the version is the same, so
//! an answer sent through another server process sharing the database
//! shows at once. This holds because the log is only ever added to; were
//! entries ever changed or removed, the version would have to say so.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::Kind;
use lantern_app::disclosure_log::{self, Filters, LogVersion, PublicLog};
use lantern_core::casework;
use minijinja::context;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::{ApiError, PageLinks, Paging};
use super::kept::{PageKey, Rendering};
use super::{Failure, Site, read, render};

/// The log's query parameters; any other is refused.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct LogQuery {
    /// Words to find in titles, questions and indicator names.
    search: Option<String>,
    /// The year sent ("2019"): one the log holds.
    year: Option<String>,
    /// A topic code: one the log holds.
    topic: Option<String>,
    /// An outcome code.
    outcome: Option<String>,
    /// The page, from 1.
    page: Option<String>,
    /// Entries per page, 1 to 100 (default 20; `/api/log` only).
    per_page: Option<String>,
}

impl LogQuery {
    fn filters(&self) -> Filters {
        Filters {
            search: self.search.clone(),
            year: self.year.clone(),
            topic: self.topic.clone(),
            outcome: self.outcome.clone(),
            page: self.page.clone(),
        }
    }
}

/// The log's version now, and the page kept for `key` if it is current.
async fn kept(site: &Arc<Site>, key: &PageKey) -> Result<(LogVersion, Option<Bytes>), Failure> {
    let version = read(site, disclosure_log::public_log_version).await?;
    Ok((version, site.log_pages.get(key, version)))
}

/// What was wrong with the query, for the page or the API: the parameter
/// at fault (when one is) and what to write.
struct Refused(ApiError);

impl Refused {
    /// A refusal whose message starts with the parameter at fault, if any.
    fn new(message: String) -> Refused {
        let field = ["search", "year", "topic", "outcome", "page", "per_page"]
            .into_iter()
            .find(|f| message.starts_with(&format!("{f} ")));
        Refused(match field {
            Some(f) => ApiError::field(f, message),
            None => ApiError::new(StatusCode::BAD_REQUEST, message),
        })
    }
}

const PARAMETERS: &str =
    "the log takes search, year, topic, outcome and page (and per_page at /api/log)";

fn parameters(q: Result<Query<LogQuery>, QueryRejection>) -> Result<LogQuery, Refused> {
    q.map(|Query(q)| q)
        .map_err(|e| Refused(super::api::query_refused(&e, PARAMETERS)))
}

/// The log as `q` asks, or why not: a page of `per_page` entries (the
/// pages' size when none), or every entry for a download.
async fn find(
    site: &Arc<Site>,
    q: Result<Query<LogQuery>, QueryRejection>,
    download: bool,
) -> Result<Result<(LogQuery, PublicLog), Refused>, Failure> {
    find_sized(site, q, download, false).await
}

async fn find_sized(
    site: &Arc<Site>,
    q: Result<Query<LogQuery>, QueryRejection>,
    download: bool,
    api: bool,
) -> Result<Result<(LogQuery, PublicLog), Refused>, Failure> {
    let q = match parameters(q) {
        Ok(q) => q,
        Err(refused) => return Ok(Err(refused)),
    };
    let per_page = match (q.per_page.as_deref().map(str::trim), api) {
        (None | Some(""), _) if download => disclosure_log::DOWNLOAD_LIMIT,
        (None | Some(""), _) => disclosure_log::PAGE_SIZE,
        (Some(_), false) => {
            return Ok(Err(Refused::new(format!(
                "per_page is taken by /api/log only; {PARAMETERS}"
            ))));
        }
        (Some(n), true) => match n.parse::<usize>() {
            Ok(n) if (1..=disclosure_log::MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Ok(Err(Refused::new(format!(
                    "per_page '{n}' is not allowed; give a whole number from 1 to {}",
                    disclosure_log::MAX_PAGE_SIZE
                ))));
            }
        },
    };
    let filters = q.filters();
    let found = read(site, move |store| {
        match disclosure_log::public_log_sized(store, &filters, per_page) {
            Err(e) if e.kind() == Kind::Invalid => Ok(Err(Refused::new(e.message().to_string()))),
            other => other.map(Ok),
        }
    })
    .await?;
    Ok(found.map(|log| (q, log)))
}

/// A refusal as the API gives one (`field` names the parameter at fault,
/// when one is).
fn api_refused(Refused(error): Refused) -> Response {
    error.into_response()
}

/// A kept or new JSON page as the API gives it.
fn json_body(body: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// A kept or new HTML page.
pub(crate) fn html_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// One entry of the disclosure log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct LogEntryOut {
    /// The request's reference.
    reference: String,
    /// When the answer was sent (RFC 3339).
    sent_at: String,
    /// The request's title.
    title: String,
    /// The outcome's code.
    outcome: String,
    /// The outcome in words.
    outcome_text: String,
    /// The topics it was about.
    topics: Vec<TopicOut>,
    /// Its questions, verbatim (the published copy), with their answers;
    /// a part follows its question, numbered after it ("3b").
    questions: Vec<LogQuestionOut>,
    /// False for an answer sent before the log kept its questions.
    questions_recorded: bool,
    /// Where the published letter is.
    letter: String,
}

/// One question of a log entry, as the published copy has it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogQuestionOut {
    /// Its number ("3", "3b").
    number: String,
    /// The requester's words (people's names and contact details removed).
    text: String,
    /// The indicator's name it was answered with, or null.
    indicator: Option<String>,
    /// The caption of its table, or null.
    caption: Option<String>,
    /// Its figures, each labelled in words.
    figures: Vec<LogFigureOut>,
    /// The narrative answer (a statement, or "Not held."), or null.
    statement: Option<String>,
}

/// One figure of a log entry's question, labelled in words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogFigureOut {
    /// The period in words, or null.
    period: Option<String>,
    /// The breakdown in words, or null for a total.
    breakdown: Option<String>,
    /// What was released ("fewer than 5", a count, why it is withheld).
    released: String,
}

/// The questions the log kept with an entry (written by
/// `lantern_app::disclosure_log::public_entry`), read as their wire shape;
/// a kept document of another shape is an error, never an entry shown
/// without its questions.
fn log_questions(reference: &str, kept: serde_json::Value) -> Result<Vec<LogQuestionOut>, Failure> {
    serde_json::from_value(kept).map_err(|e| {
        Failure::Internal(anyhow::anyhow!(
            "the disclosure log's questions of {reference} are not in the shape the API gives: {e}"
        ))
    })
}

/// A topic of a log entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TopicOut {
    /// Its code (what the `topic` filter takes).
    code: String,
    /// In words.
    name: String,
}

/// A page of the disclosure log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct LogPage {
    /// The entries on this page, newest first.
    items: Vec<LogEntryOut>,
    /// How many entries the filters find.
    total: usize,
    /// This page, from 1.
    page: usize,
    /// Entries per page.
    per_page: usize,
    /// How many pages there are (at least 1).
    pages: usize,
    /// This page, the next and the one before.
    links: PageLinks,
}

/// `GET /api/log`: a page of the disclosure log.
#[utoipa::path(get, path = "/api/log", tag = "public", params(LogQuery),
    responses(
        (status = 200, description = "A page of the log, newest first", body = LogPage),
        (status = 400, description = "A parameter or value the log cannot take (the values allowed are named)", body = ApiError),
    ),
    security(()))]
pub(super) async fn api_log(
    State(site): State<Arc<Site>>,
    RawQuery(raw): RawQuery,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let key = (Rendering::ApiLog, raw.unwrap_or_default());
    let (version, kept) = kept(&site, &key).await?;
    if let Some(body) = kept {
        return Ok(json_body(body));
    }
    let (q, log) = match find_sized(&site, q, false, true).await? {
        Ok(found) => found,
        Err(refused) => return Ok(api_refused(refused)),
    };
    // As checked by `find_sized`.
    let per_page = q
        .per_page
        .as_deref()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(disclosure_log::PAGE_SIZE);
    let paging = Paging {
        page: log.page,
        per_page,
    };
    let links = paging.links(
        "/api/log",
        &[
            ("search", q.search.clone().unwrap_or_default()),
            ("year", q.year.clone().unwrap_or_default()),
            ("topic", q.topic.clone().unwrap_or_default()),
            ("outcome", q.outcome.clone().unwrap_or_default()),
        ],
        log.pages,
    );
    let items = log
        .entries
        .into_iter()
        .map(|e| {
            Ok(LogEntryOut {
                questions: log_questions(&e.reference, e.questions)?,
                reference: e.reference,
                sent_at: e.sent_at,
                title: e.title,
                outcome: e.outcome,
                outcome_text: e.outcome_text,
                topics: e
                    .topics
                    .into_iter()
                    .map(|t| TopicOut {
                        code: t.code,
                        name: t.name,
                    })
                    .collect(),
                questions_recorded: e.questions_recorded,
                letter: e.letter,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let page = LogPage {
        items,
        total: log.total,
        page: log.page,
        per_page,
        pages: log.pages,
        links,
    };
    let text = serde_json::to_string_pretty(&page).map_err(|e| Failure::Internal(e.into()))?;
    let body = Bytes::from(format!("{text}\n"));
    site.log_pages.put(key, version, body.clone());
    Ok(json_body(body))
}

pub(super) async fn log_page(
    State(site): State<Arc<Site>>,
    RawQuery(raw): RawQuery,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let key = (Rendering::Log, raw.unwrap_or_default());
    let (version, kept) = kept(&site, &key).await?;
    if let Some(body) = kept {
        return Ok(html_body(body));
    }
    let (q, log) = match find(&site, q, false).await? {
        Ok(found) => found,
        Err(Refused(ApiError { message, .. })) => {
            return Err(Failure::Page(
                StatusCode::BAD_REQUEST,
                super::problem_html("There is a problem with this search", &message),
            ));
        }
    };
    let topic = q.topic.clone().unwrap_or_default();
    let topic_name = log
        .entries
        .iter()
        .flat_map(|e| &e.topics)
        .find(|t| t.code == topic)
        .map_or(topic.clone(), |t| t.name.clone());
    let outcomes: Vec<_> = casework::OUTCOMES
        .iter()
        .map(|o| context! { code => o.code(), words => o.words() })
        .collect();
    let html = render(
        &site,
        "log.html.j2",
        context! {
            council => site.council.clone(),
            search => q.search.unwrap_or_default(),
            year => q.year.unwrap_or_default(),
            topic => topic,
            topic_name => topic_name,
            outcome => q.outcome.unwrap_or_default(),
            outcomes => outcomes,
            entries => minijinja::Value::from(minijinja::value::Serde(&log.entries)),
            total => log.total,
            page => log.page,
            pages => log.pages,
        },
    )?;
    let body = Bytes::from(html);
    site.log_pages.put(key, version, body.clone());
    Ok(html_body(body))
}

/// A download's response: its type and file name.
fn download(kind: &str, name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn log_json(
    State(site): State<Arc<Site>>,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    Ok(match find(&site, q, true).await? {
        Ok((_, log)) => download(
            "application/json",
            "disclosure-log.json",
            serde_json::to_string_pretty(&log.entries).map_err(|e| Failure::Internal(e.into()))?,
        ),
        Err(refused) => api_refused(refused),
    })
}

pub(super) async fn log_csv(
    State(site): State<Arc<Site>>,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    Ok(match find(&site, q, true).await? {
        Ok((_, log)) => {
            let csv =
                disclosure_log::to_csv(&log.entries).map_err(|e| Failure::Internal(e.into()))?;
            download("text/csv; charset=utf-8", "disclosure-log.csv", csv)
        }
        Err(Refused(ApiError { message, .. })) => {
            (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response()
        }
    })
}

pub(super) async fn log_atom(
    State(site): State<Arc<Site>>,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let (_, log) = match find(&site, q, false).await? {
        Ok(found) => found,
        Err(Refused(ApiError { message, .. })) => {
            return Ok((StatusCode::BAD_REQUEST, format!("{message}\n")).into_response());
        }
    };
    // A feed is as new as its newest entry (an empty one: the epoch).
    let updated = log
        .entries
        .first()
        .map_or("1970-01-01T00:00:00Z".to_string(), |e| e.sent_at.clone());
    let body = render(
        &site,
        "log.atom.j2",
        context! {
            council => site.council.clone(),
            code => site.council_code.clone(),
            updated => updated,
            entries => minijinja::Value::from(minijinja::value::Serde(&log.entries)),
        },
    )?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}
