//! The JSON API under `/api/`: what the staff pages do, for programs, through
//! the same `lantern_app` use cases and the same policy, with one error body,
//! one paging convention and an OpenAPI 3.1 document generated from this
//! code (`/api/openapi.json`, [`document`]).
//!
//! - **Errors.** Every `/api/` reply that is not a success is
//!   `{"status", "code", "message", "field"}` ([`ApiError`]; `field` is null
//!   unless one input field is at fault), the router's own 404 and 405, body
//!   limits (413), wrong content types (415) and timeouts (503) included:
//!   `json_errors` rewrites any other error body under `/api/`. Pages keep
//!   their HTML problem pages.
//! - **Paging.** A list takes `page` (from 1) and `per_page` (1 to
//!   [`MAX_PER_PAGE`], default [`PER_PAGE`]) and answers `items`, `total`,
//!   `page`, `per_page`, `pages` and `links` (`self`, `next`, `prev`; null
//!   past either end). A page past the last is a 400, never an empty list.
//! - **Schemas.** Every request and reply body is a named schema with its
//!   fields: a wire struct beside its handler, mapped from the application
//!   layer's types (the core's never derive `ToSchema`); the published
//!   letter, passed on as the application keeps it, is described in
//!   `letter`. The error replies every endpoint behind sign-in shares are
//!   declared once (`Reading`, `Writing`, `Missing`, `Stepping`).
//!   A query parameter an address does not take, or one given twice, is a
//!   400 naming it in `field` (`query_refused`).
//! - **Who.** A session cookie (`lantern_session`, from the sign-in page or
//!   `POST /api/session`) or an API token (`Authorization: Bearer …`).
//!   A `POST` with a session must carry the session's CSRF secret in the
//!   `X-CSRF-Token` header (`GET /api/session` gives it); a token needs none.
//!   Nobody signed in is a 401; the policy refusing is a 403.
//!
//! `cases` holds the casework endpoints, `requests` the public's
//! `POST /api/requests`, `outbox` the officers' `GET /api/outbox`; the public ones (`/api/log`,
//! reports, letters, figures) and the providers' stay beside their pages
//! and are documented here; the reports' rows ([`TimelinessOut`],
//! [`OutcomesOut`]) are here.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lantern_app::Kind;
use lantern_app::accounts::{self, Actor, SignIn};
use lantern_app::policy::{self, Action, Decision, Resource};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::{Failure, Site};

pub(crate) mod cases;
pub(crate) mod letter;
pub(crate) mod outbox;
pub(crate) mod requests;

/// The header a session's `POST` carries its CSRF secret in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A list's page size when none is asked for.
pub const PER_PAGE: usize = 20;
/// The largest page size a list gives.
pub const MAX_PER_PAGE: usize = 100;

/// Every error reply of the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiError {
    /// The HTTP status, repeated.
    #[schema(example = 400)]
    pub status: u16,
    /// What kind of error, for programs: `invalid`, `unauthenticated`,
    /// `forbidden`, `csrf`, `not_found`, `method_not_allowed`, `conflict`,
    /// `too_large`, `unsupported_media_type`, `unprocessable`,
    /// `too_many_requests`, `internal`, `unavailable`.
    #[schema(example = "invalid")]
    pub code: String,
    /// What is wrong, where, and what to do, for people.
    pub message: String,
    /// The input field at fault, or null.
    pub field: Option<String>,
}

/// The error replies every endpoint behind sign-in may give, documented
/// once (`responses(…, Reading)`); the variants only describe replies.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Reading {
    /// Nobody signed in.
    #[response(
        status = 401,
        description = "Nobody is signed in, or the API token is not valid"
    )]
    Unauthenticated(ApiError),
    /// The policy refuses.
    #[response(status = 403, description = "The caller's roles here do not allow it")]
    Forbidden(ApiError),
}

/// [`Reading`] for a `POST`, which with a session needs its CSRF header.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Writing {
    /// Nobody signed in.
    #[response(
        status = 401,
        description = "Nobody is signed in, or the API token is not valid"
    )]
    Unauthenticated(ApiError),
    /// The policy refuses, or no CSRF header.
    #[response(
        status = 403,
        description = "The policy does not allow it (the caller's roles here, or approving one's own draft), or a session's POST lacks its X-CSRF-Token header"
    )]
    Forbidden(ApiError),
}

/// The reply when the thing named in the path is not there.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Missing {
    /// Not there, or not the caller's to see (another provider's is not
    /// found alike).
    #[response(
        status = 404,
        description = "There is no such request (finding, submission), or none the caller may see"
    )]
    NotFound(ApiError),
}

/// The error replies of a step on a request with a JSON body, besides
/// [`Writing`], [`Missing`] and its own 400.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub(crate) enum Stepping {
    /// The request moved on.
    #[response(
        status = 409,
        description = "Not allowed in the request's status, or it changed since `seen`; nothing was changed"
    )]
    Conflict(ApiError),
    /// Not JSON.
    #[response(status = 415, description = "The body is not JSON")]
    NotJson(ApiError),
    /// Not the fields.
    #[response(
        status = 422,
        description = "The JSON has fields this does not take, or lacks one it needs"
    )]
    Unprocessable(ApiError),
}

/// The code an error status has when nothing more precise is known.
fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "too_many_requests",
        503 => "unavailable",
        _ => "internal",
    }
}

impl ApiError {
    /// An error with the usual code of its status.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: status.as_u16(),
            code: code_of(status).to_string(),
            message: message.into(),
            field: None,
        }
    }

    /// A 400 about one field.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(StatusCode::BAD_REQUEST, message)
        }
    }

    /// The same error with a more precise code.
    pub(crate) fn with_code(mut self, code: &str) -> ApiError {
        self.code = code.to_string();
        self
    }

    fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Nobody is signed in: sign in (POST /api/session) and send the session cookie, or send an API token as 'Authorization: Bearer …'.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string_pretty(&self).unwrap_or_default();
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            format!("{body}\n"),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lantern\""),
            );
        }
        response
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> ApiError {
        match f {
            Failure::BadRequest(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            Failure::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            Failure::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            Failure::SignIn => ApiError::unauthenticated(),
            Failure::Unavailable(e) => {
                eprintln!("error: {e:#}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Lantern's database is busy or does not answer; try again in a moment.",
                )
            }
            Failure::Internal(e) => {
                eprintln!("error: {e:#}");
                internal()
            }
            Failure::Page(status, _) => ApiError::new(status, generic_message(status)),
        }
    }
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Lantern could not do this; the error is in the server's log.",
    )
}

/// A use case's failure: bad input 400, not found 404, refused 403, not
/// allowed now 409, busy 503, else 500 (logged, not shown).
pub(crate) fn from_app(e: lantern_app::Error) -> ApiError {
    let status = match e.kind() {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => {
            eprintln!("error: {e:#}");
            return internal();
        }
    };
    ApiError::new(status, e.message())
}

/// Run a use case on a blocking thread, its failure as an API error.
pub(crate) async fn run<T: Send + 'static>(
    f: impl FnOnce() -> lantern_app::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    crate::blocking(f).await?.map_err(from_app)
}

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Response {
        e.into_response()
    }
}

/// A reply as JSON with a status.
pub(crate) fn reply<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string_pretty(value) {
        Ok(body) => (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            format!("{body}\n"),
        )
            .into_response(),
        Err(e) => ApiError::from(Failure::Internal(e.into())).into_response(),
    }
}

/// What a generic error of `status` says when its handler said nothing
/// usable (an HTML page, an empty body).
fn generic_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request is not right; see the API's documentation at /api/openapi.json.",
        401 => "Nobody is signed in: sign in or send an API token.",
        403 => "You cannot do this.",
        404 => "There is no such address in the API: /api/openapi.json lists them.",
        405 => "This address does not take this method: /api/openapi.json lists the methods.",
        409 => "Nothing was changed: the request moved on; read it again before you act.",
        413 => "What was sent is too large; nothing was changed: send less.",
        415 => "Send the body as JSON, with 'Content-Type: application/json'.",
        422 => "The JSON body does not have the fields this address takes.",
        429 => "Too many attempts; wait and try again.",
        503 => "Lantern is busy or took too long to answer; try again in a moment.",
        _ => "Lantern could not do this; the error is in the server's log.",
    }
}

/// The largest error body read to turn it into an [`ApiError`].
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// Every error reply under `/api/` is an [`ApiError`]: a handler's own is
/// kept; the router's 404 and 405, a body limit's 413, an extractor's
/// plain-text rejection or an HTML problem page becomes one, keeping a
/// plain-text message.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if kind.starts_with("application/json") {
        return response;
    }
    // The methods the route table gives this path.
    let allow = route.map(|route| {
        crate::routes()
            .into_iter()
            .filter(|r| r.path == route)
            .map(|r| r.method)
            .collect::<Vec<_>>()
            .join(", ")
    });
    let text = if kind.starts_with("text/plain") || kind.is_empty() {
        axum::body::to_bytes(response.into_body(), ERROR_BODY_LIMIT)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let message = match (status, allow) {
        (StatusCode::METHOD_NOT_ALLOWED, Some(allow)) if !allow.is_empty() => {
            format!("This address takes {allow} only: /api/openapi.json lists the methods.")
        }
        (StatusCode::NOT_FOUND, _)
            if text
                .as_deref()
                .is_none_or(|t| t.starts_with("There is no such page")) =>
        {
            generic_message(status).to_string()
        }
        _ => text.unwrap_or_else(|| generic_message(status).to_string()),
    };
    ApiError::new(status, message).into_response()
}

/// Who is calling, and how.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The person and their roles in the council served.
    pub actor: Actor,
    /// The session's CSRF secret, when signed in by a session (a token
    /// needs none).
    pub csrf: Option<String>,
}

/// The caller named by an API token or the session cookie, if any. A
/// token that is not valid is a 401 (not a fall back to the cookie).
async fn caller(site: &Arc<Site>, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    if let Some(given) = headers.get(header::AUTHORIZATION) {
        let given = given.to_str().unwrap_or_default();
        let Some(secret) = given
            .strip_prefix("Bearer ")
            .or_else(|| given.strip_prefix("bearer "))
            .map(|t| t.trim().to_string())
        else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "The Authorization header must be 'Bearer' and a token.",
            )
            .with_code("invalid_token"));
        };
        let ctx = site.context("api");
        return match crate::blocking(move || lantern_app::tokens::authenticate(&ctx, &secret))
            .await?
        {
            Ok(actor) => Ok(Some(Caller { actor, csrf: None })),
            // Unknown, revoked or another council's: never taken for nobody.
            Err(e) if e.kind() == Kind::Forbidden => {
                Err(ApiError::new(StatusCode::UNAUTHORIZED, e.message()).with_code("invalid_token"))
            }
            Err(e) => Err(from_app(e)),
        };
    }
    let visitor = crate::auth::visitor(site, headers).await?;
    Ok(visitor.map(|v| Caller {
        actor: v.actor,
        csrf: Some(v.csrf),
    }))
}

/// The caller, if the policy lets them do `action` to `resource`, and a
/// write by a session carries its CSRF secret.
async fn allow(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
    resource: &Resource,
    writes: bool,
) -> Result<Caller, ApiError> {
    let caller = caller(site, headers).await?;
    let caller = match policy::may(caller.as_ref().map(|c| &c.actor), action, resource) {
        Decision::Allow => caller.ok_or_else(ApiError::unauthenticated)?,
        Decision::SignIn => return Err(ApiError::unauthenticated()),
        Decision::Deny(why) => return Err(ApiError::new(StatusCode::FORBIDDEN, why)),
    };
    if writes && let Some(secret) = &caller.csrf {
        let given = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !accounts::same_secret(given, secret) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "A POST with a session cookie must carry the session's CSRF secret in the X-CSRF-Token header (GET /api/session gives it). Nothing was changed.",
            )
            .with_code("csrf"));
        }
    }
    Ok(caller)
}

/// The caller, if the policy lets them do `action` in the council served.
pub(crate) async fn allow_here(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
    writes: bool,
) -> Result<Caller, ApiError> {
    let resource = Resource::council(&site.council_code);
    allow(site, headers, action, &resource, writes).await
}

/// The caller, if the policy lets them do `action` to the case (who
/// drafted it counts); whoever may not do it to any case is refused before
/// anything is read about this one, so nobody learns which references exist.
pub(crate) async fn allow_case(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
    reference: &str,
    writes: bool,
) -> Result<Caller, ApiError> {
    allow_here(site, headers, action, writes).await?;
    let resource = crate::staff::case_resource(site, reference).await?;
    allow(site, headers, action, &resource, writes).await
}

/// A JSON body: empty is `T::default()` when `T` allows it; otherwise it
/// must say it is JSON (415) and be JSON (400) of the right shape (422,
/// with the field when serde names it).
pub(crate) fn body<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &Bytes,
    empty: Option<T>,
) -> Result<T, ApiError> {
    if bytes.is_empty()
        && let Some(empty) = empty
    {
        return Ok(empty);
    }
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !kind.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON, with 'Content-Type: application/json'.",
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("The body is not JSON ({e}); nothing was changed."),
        )
    })?;
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        // serde names a missing or unknown field in backticks.
        let field = text
            .split('`')
            .nth(1)
            .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_string);
        ApiError {
            field,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The body does not have the fields this address takes: {text}. Nothing was changed."),
            )
        }
    })
}

/// A query string an address cannot take (axum's rejection of it, which
/// serde words): an unknown or repeated parameter is named in `field`, and
/// the message says which parameters the address takes (`takes`, a
/// sentence such as "the log takes search, year, … and page").
pub(crate) fn query_refused(rejection: &QueryRejection, takes: &str) -> ApiError {
    let text = rejection.body_text();
    // serde names the parameter at fault in backticks.
    let named = text
        .split('`')
        .nth(1)
        .filter(|f| !f.is_empty() && f.len() <= 64)
        .map(str::to_string);
    match named {
        Some(name) if text.contains("unknown field") => ApiError::field(
            &name,
            format!("'{name}' is not a parameter this address takes; {takes}"),
        ),
        Some(name) if text.contains("duplicate field") => ApiError::field(
            &name,
            format!("{name} is given more than once; give it once; {takes}"),
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, format!("{text}; {takes}")),
    }
}

/// A list's `page` and `per_page`, checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub page: usize,
    pub per_page: usize,
}

impl Paging {
    /// Read `page` and `per_page` as given in a query.
    pub(crate) fn read(page: Option<&str>, per_page: Option<&str>) -> Result<Paging, ApiError> {
        let number = |name: &str, v: Option<&str>, default: usize, max: usize| match v
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::field(
                        name,
                        format!("{name} '{v}' is not allowed: give a whole number from 1 to {max}"),
                    )
                }),
        };
        Ok(Paging {
            page: number("page", page, 1, 1_000_000)?,
            per_page: number("per_page", per_page, PER_PAGE, MAX_PER_PAGE)?,
        })
    }

    /// How many pages `total` items make (at least 1); a page past the
    /// last is a 400 naming the pages there are.
    pub(crate) fn pages(&self, total: usize) -> Result<usize, ApiError> {
        let pages = total.div_ceil(self.per_page).max(1);
        if self.page > pages {
            return Err(ApiError::field(
                "page",
                format!(
                    "page {} is past the last page ({pages}); give a page from 1 to {pages}",
                    self.page
                ),
            ));
        }
        Ok(pages)
    }

    /// The links of page `page` of `pages`: `path` with `query` (the
    /// filters, already encoded) and the paging.
    pub(crate) fn links(&self, path: &str, query: &[(&str, String)], pages: usize) -> PageLinks {
        let at = |page: usize| {
            let mut parts: Vec<String> = query
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={}", crate::query_value(v)))
                .collect();
            parts.push(format!("page={page}"));
            parts.push(format!("per_page={}", self.per_page));
            format!("{path}?{}", parts.join("&"))
        };
        PageLinks {
            this: at(self.page),
            next: (self.page < pages).then(|| at(self.page + 1)),
            prev: (self.page > 1).then(|| at(self.page - 1)),
        }
    }
}

/// Where a list's pages are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PageLinks {
    /// This page.
    #[serde(rename = "self")]
    #[schema(rename = "self")]
    pub this: String,
    /// The next page, or null on the last.
    pub next: Option<String>,
    /// The page before, or null on the first.
    pub prev: Option<String>,
}

/// One row of the timeliness report: a month (`2019-06`) or financial-year
/// quarter (`Q1 2019/20`) of requests received, or the last row, `total`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelinessOut {
    /// The month, the quarter, or `total`.
    pub group: String,
    /// Requests received.
    pub received: usize,
    /// Answered on or before the 20th working day.
    pub in_time: usize,
    /// Answered later, but within a public interest extension.
    pub within_extension: usize,
    /// Answered after the due date.
    pub late: usize,
    /// Not answered; the clock is stopped (clarification or fee).
    pub on_hold: usize,
    /// Not answered and not yet due.
    pub not_yet_due: usize,
    /// Not answered and past the due date.
    pub overdue: usize,
    /// Withdrawn by the requester.
    pub withdrawn: usize,
    /// Answered in time or within an extension, as a percentage (one
    /// decimal) of those answered or overdue; null when none is.
    pub timely_percent: Option<f64>,
}

impl From<&lantern_app::reports::TimelinessRow> for TimelinessOut {
    fn from(r: &lantern_app::reports::TimelinessRow) -> TimelinessOut {
        use lantern_app::reports::Timeliness as T;
        TimelinessOut {
            group: r.group.clone(),
            received: r.received,
            in_time: r.count(T::InTime),
            within_extension: r.count(T::WithinExtension),
            late: r.count(T::Late),
            on_hold: r.count(T::OnHold),
            not_yet_due: r.count(T::NotYetDue),
            overdue: r.count(T::Overdue),
            withdrawn: r.count(T::Withdrawn),
            timely_percent: r
                .timely_share()
                .map(|(n, d)| (1000.0 * n as f64 / d as f64).round() / 10.0),
        }
    }
}

/// One row of the outcomes report: a month or quarter of requests
/// received, or the last row, `total`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomesOut {
    /// The month, the quarter, or `total`.
    pub group: String,
    /// Answers sent.
    pub answered: usize,
    /// Everything held was given.
    pub granted: usize,
    /// Some given, some withheld under an exemption.
    pub part_refused: usize,
    /// Nothing given; something withheld under an exemption.
    pub refused: usize,
    /// Nothing held.
    pub not_held: usize,
    /// How many answers cited each exemption (`s12`, `s21`, `s22`, `s40_2`).
    pub exemptions: std::collections::BTreeMap<String, usize>,
    /// Internal reviews asked for.
    pub reviews: usize,
    /// Reviews that upheld the answer.
    pub review_upheld: usize,
    /// Reviews that partly upheld it.
    pub review_partly_upheld: usize,
    /// Reviews that overturned it.
    pub review_overturned: usize,
    /// Reviews not yet decided.
    pub reviews_pending: usize,
}

impl From<&lantern_app::reports::OutcomeRow> for OutcomesOut {
    fn from(r: &lantern_app::reports::OutcomeRow) -> OutcomesOut {
        use lantern_app::reports::Outcome as O;
        let [review_upheld, review_partly_upheld, review_overturned] = r.review_outcomes;
        OutcomesOut {
            group: r.group.clone(),
            answered: r.answered,
            granted: r.count(O::Granted),
            part_refused: r.count(O::PartRefused),
            refused: r.count(O::Refused),
            not_held: r.count(O::NotHeld),
            exemptions: r.exemptions.clone(),
            reviews: r.reviews,
            review_upheld,
            review_partly_upheld,
            review_overturned,
            reviews_pending: r.reviews_pending(),
        }
    }
}

/// Who is signed in, and the secret a session's `POST` carries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionOut {
    /// Their user name.
    pub username: String,
    /// Their name.
    pub name: String,
    /// The council they act in.
    pub council: String,
    /// Their roles there.
    pub roles: Vec<String>,
    /// The value of the `X-CSRF-Token` header every `POST` with this
    /// session must carry (null when called with a token).
    pub csrf: Option<String>,
}

fn session_out(actor: &Actor, csrf: Option<String>) -> SessionOut {
    SessionOut {
        username: actor.username.clone(),
        name: actor.display_name.clone(),
        council: actor.council.clone(),
        roles: actor
            .grants
            .iter()
            .map(|g| g.role.label().to_string())
            .collect(),
        csrf,
    }
}

/// `GET /api/session`: who is calling.
#[utoipa::path(get, path = "/api/session", tag = "session",
    responses((status = 200, description = "Who is calling", body = SessionOut), Reading),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn session(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = allow_here(&site, &headers, Action::Home, false).await?;
    Ok(reply(
        StatusCode::OK,
        &session_out(&caller.actor, caller.csrf),
    ))
}

/// What signing in sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// `POST /api/session`: sign in with a JSON body (a cross-site form cannot
/// send JSON, so this needs no sign-in form secret).
#[utoipa::path(post, path = "/api/session", tag = "session",
    request_body = SignInBody,
    responses(
        (status = 201, description = "Signed in: the session cookie is set", body = SessionOut,
            headers(("set-cookie" = String, description = "the session cookie, lantern_session: HttpOnly, Secure, same-site Lax"))),
        (status = 400, description = "A field is missing", body = ApiError),
        (status = 401, description = "Wrong user name or password", body = ApiError),
        (status = 415, description = "Not JSON", body = ApiError),
        (status = 422, description = "Not the fields this takes", body = ApiError),
        (status = 429, description = "Too many failed attempts", body = ApiError),
    ),
    security(()))]
pub(crate) async fn sign_in(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let asked: SignInBody = body(&headers, &bytes, None)?;
    if asked.username.trim().is_empty() {
        return Err(ApiError::field("username", "Give your user name."));
    }
    if asked.password.is_empty() {
        return Err(ApiError::field("password", "Give your password."));
    }
    let ctx = site.context(&asked.username);
    let name = asked.username.clone();
    let password = asked.password;
    let outcome = run(move || accounts::sign_in(&ctx, &name, &password)).await?;
    match outcome {
        SignIn::SignedIn(session) => {
            let max_age = session
                .expires_at
                .duration_since(jiff::Timestamp::now())
                .as_secs()
                .max(0);
            let mut response = reply(
                StatusCode::CREATED,
                &session_out(&session.actor, Some(session.csrf.clone())),
            );
            if let Ok(cookie) =
                HeaderValue::from_str(&crate::auth::session_cookie(&session.token, max_age))
            {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            Ok(response)
        }
        SignIn::Refused => Err(ApiError {
            field: Some("password".into()),
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                "The user name or password is not right, or the account cannot be used here.",
            )
        }),
        SignIn::Throttled { until } => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "There have been too many failed attempts to sign in as this user. Try again after {until}, or ask an administrator to reset the password."
            ),
        )),
    }
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "api",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json")),
    security(()))]
pub(crate) async fn openapi() -> Response {
    reply(StatusCode::OK, &document())
}

/// The OpenAPI 3.1 document of every `/api/` route.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The security schemes: a session cookie (with its CSRF header on a
/// `POST`) and a bearer token.
struct Schemes;

impl Modify for Schemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The session cookie set by signing in (the sign-in page, or POST /api/session).",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF secret (GET /api/session gives it): every POST made with the session cookie carries it.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token an administrator created, shown once when created.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lantern",
        description = "Freedom of Information answers about drug and alcohol treatment figures: the public disclosure log and reports, and the officers' casework. Errors are `ApiError`; lists are paged (`page`, `per_page`) with `links`.",
    ),
    paths(
        openapi,
        session,
        sign_in,
        crate::public::api_log,
        crate::api_timeliness,
        crate::api_outcomes,
        crate::api_letter,
        cases::list,
        cases::take_in,
        cases::show,
        cases::correct,
        cases::draft,
        cases::approve,
        cases::send,
        cases::clock,
        cases::resolve,
        requests::make,
        outbox::list,
        outbox::sent,
        crate::providers::api_list,
        crate::providers::api_submit,
        crate::providers::api_submission,
        crate::providers::api_report,
        crate::published::api_figures,
        crate::published::api_calendar,
    ),
    components(schemas(ApiError, PageLinks)),
    modifiers(&Schemes),
    tags(
        (name = "public", description = "What anyone may read"),
        (name = "session", description = "Signing in"),
        (name = "cases", description = "Requests, for officers and approvers"),
        (name = "providers", description = "Providers' monthly submissions"),
        (name = "api", description = "This document"),
    )
)]
struct ApiDoc;

#[cfg(test)]
mod tests {
    use lantern_app::reports::{self, OutcomeRow, TimelinessRow};

    use super::{OutcomesOut, TimelinessOut};

    #[test]
    fn the_reports_rows_are_the_same_json_the_command_line_gives() {
        // Every count differs, so a column read from the wrong kind shows.
        let timeliness = TimelinessRow {
            group: "Q1 2019/20".into(),
            received: 28,
            counts: [1, 2, 3, 4, 5, 6, 7],
        };
        assert_eq!(
            serde_json::to_value(vec![TimelinessOut::from(&timeliness)]).expect("json"),
            reports::timeliness_json(std::slice::from_ref(&timeliness))
        );
        let outcomes = OutcomeRow {
            group: "total".into(),
            answered: 10,
            outcomes: [1, 2, 3, 4],
            exemptions: [("s22".to_string(), 5), ("s40_2".to_string(), 6)].into(),
            reviews: 30,
            review_outcomes: [7, 8, 9],
        };
        assert_eq!(
            serde_json::to_value(vec![OutcomesOut::from(&outcomes)]).expect("json"),
            reports::outcomes_json(std::slice::from_ref(&outcomes))
        );
    }
}
