//! Lantern's web application (`lantern serve`, `lantern demo --serve`):
//! the public face of a deployment (the disclosure log, published letters
//! and casework statistics, as pages that work without JavaScript and as
//! JSON under `/api/`) and, behind sign-in, the officers' inbox and request
//! workspace and the administrators' user pages.
//!
//! Every route is in one table ([`routes`]) with the policy action it needs
//! (`lantern_app::policy::Action`); the router is built from that table
//! only, and each handler asks `lantern_app::policy::may` before it shows
//! or changes anything, so a route cannot be added without saying who may
//! use it (the authorisation matrix test walks the table).
//!
//! | Path | What | Who |
//! |---|---|---|
//! | `/` | links to the pages | anyone |
//! | `/log`, `/api/log` | the disclosure log, one entry per sent request (`?search=`, `?year=`, `?topic=`, `?outcome=`, `?page=`; `public`) | anyone |
//! | `/log.csv`, `/log.json`, `/log.atom` | the log's downloads (same filters) and its feed | anyone |
//! | `/reports/timeliness`, `/api/reports/timeliness` | timeliness (`?by=month\|quarter`, `?from=`, `?to=`) | anyone |
//! | `/api/reports/outcomes` | outcomes, exemptions, reviews (same parameters) | anyone |
//! | `/letters/{reference}`, `/api/letters/{reference}` | the published copy of a sent answer; 404 for a case not sent | anyone |
//! | `/figures`, `/figures/{indicator}` | published figures: the indicators, an indicator's newest publication as tables in words (`published`) | anyone |
//! | `/api/figures`, `/figures.csv` | published cells as JSON (paged) and CSV (`?indicator=`, `?area=`, `?period=`, `?page=`) | anyone |
//! | `/publications`, `/api/publications` | the publication calendar: planned, published, late | anyone |
//! | `/publishing`, `/publishing/publish`, `/publishing/plan` | publish figures (a release under disclosure control), plan a publication | analysts, administrators |
//! | `/make-a-request` | the public's request form (GET), and making the request (POST: opens a case, queues the acknowledgement; throttled per client and overall, 429 past it) (`requests`) | anyone |
//! | `/privacy` | the privacy notice for requesters | anyone |
//! | `/api/outbox` | the outbox as JSON, paged (`?status=`) (`api::outbox`) | officers, approvers, administrators |
//! | `/api/outbox/{id}/sent` | record a message as sent by hand (`api::outbox`) | officers, administrators |
//! | `/api/requests` | POST: make a request as JSON (the form's use case, throttled alike) (`api::requests`) | anyone |
//! | `/outbox`, `/outbox/{id}/sent` | the messages sent to requesters, their status; record one as sent by hand (`outbox`) | officers, approvers, administrators / officers, administrators |
//! | `/healthz` | 200 with the schema and data versions when the database answers, else 503 | anyone |
//! | `/style.css` | the pages' style sheet | anyone |
//! | `/sign-in`, `/sign-out` | signing in and out | anyone / signed in |
//! | `/inbox` | open requests by due date, with status tags, filters, sorting | officers, approvers |
//! | `/cases/{reference}` | a request's workspace | officers, approvers |
//! | `/cases/{reference}/correct`, `…/questions/set\|split\|merge\|set-aside\|reread` | correct the reading in place (`workspace`) | officers |
//! | `/cases/{reference}/findings/resolve` | resolve a blocking finding of the draft | officers |
//! | `/cases/{reference}/draft` | draft | officers |
//! | `/cases/upload`, `/cases/typed` | take in an uploaded `.eml`, a typed request (`intake`) | officers |
//! | `/cases/{reference}/sent` | record as sent, the one way: channel, day, the final letter as sent if any (a plain form without a file is taken too) (`actions`) | officers |
//! | `/cases/{reference}/final-letters/{position}` | a final letter kept with the case (`actions`) | officers, approvers |
//! | `/cases/{reference}/review` | internal review asked for, decided; ICO complaint (`actions`) | officers |
//! | `/cases/{reference}/approve` | approve (not one's own draft) | approvers |
//! | `/cases/{reference}/title` | the title the public log shows, before sending | officers |
//! | `/admin/users` … | users: list, create, disable, enable, reset | administrators |
//! | `/admin/council` | the council's settings: view, change (a new version) | administrators |
//! | `/admin/bank-holidays` | the bank holidays the clock skips; add one (audited) | administrators |
//! | `/admin/bank-holidays/remove` | take one out, after a confirmation (a new calendar version, audited) | administrators |
//! | `/admin/templates` … | letter templates: list, edit, preview with the seed requests, save (a new version), revert (`templates`) | administrators |
//! | `/admin/audit` | the audit trail: who, what, which record, dates; paged | administrators |
//! | `/admin/tokens`, `…/{id}/revoke`, `…/managers` | every provider's API tokens: create (shown once), revoke; allow a provider user to manage their own (`tokens`) | administrators |
//! | `/provider` | the provider's submissions, newest first, paged, and the upload form (`providers`) | providers |
//! | `/provider/submissions`, `…/{id}`, `…/{id}/report.csv` | send a monthly file (CSV or XLSX); one submission's validation report, on screen and as CSV; another provider's is a 404 | providers |
//! | `/provider/tokens`, `…/{id}/revoke` | the provider's own API tokens, when an administrator allowed them | providers |
//! | `/api/submissions`, `…/{id}`, `…/{id}/report` | the same as JSON (the report also as CSV), and `POST` a file; by session (writes carry `X-CSRF-Token`) or `Authorization: Bearer` token; errors as JSON | providers, their tokens |
//! | `/figures/explore`, `/figures/explore.csv` | the figures held for the council's areas with provenance, differences between sources, counts from records against reported figures (`figures`) | analysts, officers |
//! | `/figures/upload`, `/figures/recompute` | upload figures, statements, releases with the validation report; recompute from records (audited) | analysts |
//! | `/dashboards`, `/dashboards.csv` | charts by financial year (`charts`), each with its table, and each table as CSV | analysts, officers |
//! | `/api/openapi.json` | the API's OpenAPI 3.1 document (`api`) | anyone |
//! | `/api/session` | GET who is calling and the CSRF secret; POST sign in with JSON | signed in / anyone |
//! | `/api/cases` | GET the inbox, paged; POST take in a request | officers, approvers / officers |
//! | `/api/cases/{reference}` | one request: questions and readings, draft, findings, clock, history | officers, approvers |
//! | `/api/cases/{reference}/questions\|draft\|findings/resolve\|send\|clock` | correct, draft, resolve a finding, record as sent, clock actions | officers |
//! | `/api/cases/{reference}/approve` | approve (not one's own draft) | approvers |
//!
//! Sessions are cookies (`HttpOnly`, `Secure`, `SameSite=Lax`, with an
//! expiry) naming a session the database holds, so several server
//! processes share them; every form carries the session's CSRF secret and
//! the sign-in form a secret of its own (`auth`).
//!
//! Under `/api/` every error is one JSON body and every list pages one
//! way; a `POST` there takes JSON with the session's CSRF secret in a
//! header, or an API token (`api`, `docs/api.md`).
//!
//! Every response, errors and 404s included, carries security headers
//! ([`SECURITY_HEADERS`]: no sniffing, a content security policy that allows
//! only the style sheet, no framing, no referrer). Each route takes a
//! request body of at most its limit (the read-only routes
//! [`READ_ONLY_BODY_LIMIT`], forms [`FORM_BODY_LIMIT`], the two uploads
//! their file's limit and a little more), and a request is
//! answered within [`REQUEST_TIMEOUT`] or gets a 503. How connections are
//! taken, timed out and capped is `connections`'.
//!
//! A server keeps no state of its own that another process could
//! contradict: every request reads the store, so several `lantern serve`
//! processes can serve one PostgreSQL database behind a load balancer and
//! always agree. The store is synchronous, so reads run on tokio's
//! blocking threads (at most eight), each borrowing a connection from a
//! pool of as many (`lantern_app::pool`) and giving it back; a connection
//! a read failed on is closed, not reused. A request that waits too long
//! for a connection gets a 503. The use cases a signed-in person's request
//! runs borrow from the same pool (`lantern_app::Context::with_pool`): an
//! idle connection if there is one, else one opened for the call (never
//! waiting, so a use case that opens the store inside another cannot wait
//! for itself); opening the database per use case cost more than the page.
//!
//! What is kept between requests is rendered public pages (`kept`): the
//! public log's (`/log`, `/api/log`; `public`), each with the log's
//! version it was read at (how many entries, the newest id), and the
//! published figures' (`/figures`, `/figures/{indicator}`, `/api/figures`;
//! `published`), each with the publications' and catalogue's version (how
//! many of each, the newest ids). Every request reads the version again
//! (counts and largest keys, no rows) and a kept page is given only if it
//! is the same, so an answer sent or figures published through any process
//! show at once. This is sound because the public log, publications with
//! their cells, and catalogue layers are only ever added to, and those
//! pages depend on nothing else but what the server fixed at start (the
//! council's name, the templates); whoever makes those records changeable,
//! or those pages depend on the date or the visitor, must make the version
//! change with them. Templates are parsed once, at start.
//!
//! This adapter holds no rules: it formats what the use cases in
//! `lantern_app` compute and asks `lantern_app::policy` who may do what.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use jiff::civil::Date;
use lantern_app::pool::{PoolOptions, StorePool};
use lantern_app::reports::{self, ReportAsked};
use lantern_app::{Kind, Store, data};
use lantern_core::report::Grouping;
use minijinja::{Environment, context};
use serde::Deserialize;

use lantern_app::Context as Ctx;
use lantern_app::policy::Action;

mod actions;
mod admin;
pub mod api;
mod auth;
pub mod charts;
pub mod connections;
mod figures;
mod intake;
mod kept;
mod letters;
mod outbox;
mod providers;
mod public;
mod published;
mod requests;
mod staff;
mod templates;
mod tokens;
mod workspace;

const LAYOUT: &str = include_str!("../../../templates/web/layout.html.j2");
const INDEX: &str = include_str!("../../../templates/web/index.html.j2");
const LOG: &str = include_str!("../../../templates/web/log.html.j2");
const LOG_ATOM: &str = include_str!("../../../templates/web/log.atom.j2");
const TIMELINESS: &str = include_str!("../../../templates/web/timeliness.html.j2");
const LETTER: &str = include_str!("../../../templates/web/letter.html.j2");
const STYLE: &str = include_str!("../../../templates/web/style.css");
const SIGN_IN: &str = include_str!("../../../templates/web/sign_in.html.j2");
const STAFF: &str = include_str!("../../../templates/web/staff.html.j2");
const INBOX: &str = include_str!("../../../templates/web/inbox.html.j2");
const CASE: &str = include_str!("../../../templates/web/case.html.j2");
const USERS: &str = include_str!("../../../templates/web/users.html.j2");
const PROBLEM: &str = include_str!("../../../templates/web/problem.html.j2");
const DONE: &str = include_str!("../../../templates/web/done.html.j2");
const NEW_CASE: &str = include_str!("../../../templates/web/new_case.html.j2");
const CASE_ACTIONS: &str = include_str!("../../../templates/web/case_actions.html.j2");
const ALREADY_TAKEN_IN: &str = include_str!("../../../templates/web/already_taken_in.html.j2");
const LETTER_SENT: &str = include_str!("../../../templates/web/letter_sent.html.j2");
const COUNCIL_SETTINGS: &str = include_str!("../../../templates/web/council.html.j2");
const AUDIT: &str = include_str!("../../../templates/web/audit.html.j2");
const BANK_HOLIDAYS: &str = include_str!("../../../templates/web/bank_holidays.html.j2");
const BANK_HOLIDAY_REMOVE: &str =
    include_str!("../../../templates/web/bank_holiday_remove.html.j2");
const ERROR_SUMMARY: &str = include_str!("../../../templates/web/error_summary.html.j2");
const TEMPLATES: &str = include_str!("../../../templates/web/templates.html.j2");
const TEMPLATE: &str = include_str!("../../../templates/web/template.html.j2");
const PROVIDER: &str = include_str!("../../../templates/web/provider.html.j2");
const PROVIDER_SUBMISSION: &str =
    include_str!("../../../templates/web/provider_submission.html.j2");
const TOKENS: &str = include_str!("../../../templates/web/tokens.html.j2");
const FIGURES_EXPLORE: &str = include_str!("../../../templates/web/figures_explore.html.j2");
const FIGURES_UPLOAD: &str = include_str!("../../../templates/web/figures_upload.html.j2");
const DASHBOARDS: &str = include_str!("../../../templates/web/dashboards.html.j2");
const FIGURES: &str = include_str!("../../../templates/web/figures.html.j2");
const FIGURE: &str = include_str!("../../../templates/web/figure.html.j2");
const PUBLICATIONS: &str = include_str!("../../../templates/web/publications.html.j2");
const PUBLISHING: &str = include_str!("../../../templates/web/publishing.html.j2");
const MAKE_REQUEST: &str = include_str!("../../../templates/web/make_request.html.j2");
const REQUEST_MADE: &str = include_str!("../../../templates/web/request_made.html.j2");
const PRIVACY: &str = include_str!("../../../templates/web/privacy.html.j2");
const OUTBOX: &str = include_str!("../../../templates/web/outbox.html.j2");

/// The headers every response carries.
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// The largest request body the read-only routes take (they read none).
pub const READ_ONLY_BODY_LIMIT: usize = 1024;

/// The largest request body a form takes (a pasted e-mail is the largest).
pub const FORM_BODY_LIMIT: usize = 1 << 20;

/// How long a request may take before the client gets a 503.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The most database connections one server holds (and blocking threads
/// it reads on); requests beyond that many at once wait their turn.
const MAX_CONNECTIONS: u32 = 8;

/// What every request handler shares.
struct Site {
    pool: Arc<StorePool>,
    /// The council chosen with `--council`, if one was.
    code: Option<String>,
    clock: lantern_app::Clock,
    council: String,
    /// The code of the council served (the policy's resources belong to it).
    council_code: String,
    /// The database and settings the use cases acting for a signed-in
    /// person open (each gets a context naming them).
    database: String,
    config: lantern_app::config::Config,
    /// The council's time zone: its "today" (reports' overdue cases).
    zone: jiff::tz::TimeZone,
    pages: Environment<'static>,
    /// The deployment's letter templates folder (the default templates;
    /// a council's own are in the store).
    letters: Option<std::path::PathBuf>,
    /// Pages of the public log kept while the log is unchanged (`public`).
    log_pages: kept::Kept<lantern_app::disclosure_log::LogVersion>,
    /// Published-figure pages kept while the publications and the
    /// catalogue are unchanged (`published`).
    figure_pages: kept::Kept<lantern_app::publishing::PublishedVersion>,
    /// The deployment's secret the request form's throttle keys its
    /// digests of clients' addresses with (the pseudonymisation key), if
    /// it has one.
    throttle_key: Option<Vec<u8>>,
}

impl Site {
    /// A context for a use case acting for `actor` on the council served.
    fn context(&self, actor: &str) -> Ctx {
        let mut ctx = Ctx::new(
            self.database.clone(),
            self.config.clone(),
            actor.to_string(),
        )
        .for_council(Some(self.council_code.clone()))
        .with_pool(Arc::clone(&self.pool));
        ctx.clock = self.clock;
        ctx
    }
}

/// Run a use case that opens the store itself (a write, or one acting for
/// a signed-in person) on a blocking thread, its failure as a page: bad
/// input 400, not found 404, refused by the policy 403, not allowed now
/// (someone moved the case on) 409, busy 503, else 500.
async fn act<T: Send + 'static>(
    f: impl FnOnce() -> lantern_app::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    blocking(f).await?.map_err(failure)
}

/// Run a use case on a blocking thread, its result as it returned it.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> lantern_app::Result<T> + Send + 'static,
) -> Result<lantern_app::Result<T>, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Failure::Internal(anyhow::anyhow!("the request's task failed: {e}")))
}

/// A use case's failure as a page (see [`act`]).
/// A use case's refusal of a form's input, for the form's error summary:
/// the field it concerns (the first of `fields` whose prefix the message
/// starts with, else `otherwise`) and the message. A refusal of another
/// kind than `kinds` is a failure page as [`failure`] makes it.
pub(crate) fn field_error(
    e: lantern_app::Error,
    kinds: &[Kind],
    fields: &[(&str, &'static str)],
    otherwise: &'static str,
) -> Result<(&'static str, String), Failure> {
    if !kinds.contains(&e.kind()) {
        return Err(failure(e));
    }
    let message = e.message().to_string();
    let field = fields
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map_or(otherwise, |(_, field)| *field);
    Ok((field, message))
}

fn failure(e: lantern_app::Error) -> Failure {
    let (status, title) = match e.kind() {
        Kind::Invalid => (StatusCode::BAD_REQUEST, "There is a problem"),
        Kind::NotFound => (StatusCode::NOT_FOUND, "Not found"),
        Kind::Forbidden => (StatusCode::FORBIDDEN, "You cannot do this"),
        Kind::Conflict => (StatusCode::CONFLICT, "Nothing was changed"),
        Kind::Unavailable => return Failure::Unavailable(e.into()),
        Kind::Internal => return Failure::Internal(e.into()),
    };
    Failure::Page(status, problem_html(title, e.message()))
}

/// A problem page's HTML (plain text when the pages are not loaded yet).
fn problem_html(title: &str, message: &str) -> String {
    PAGES
        .get()
        .and_then(|env| env.get_template("problem.html.j2").ok())
        .and_then(|t| {
            t.render(context! { title => title, message => message, council => COUNCIL.get() })
                .ok()
        })
        .unwrap_or_else(|| format!("{title}: {message}"))
}

/// Run `f` against a store borrowed from the pool, on a blocking thread; a
/// failed read gives the connection back broken, so the pool closes it.
async fn read<T: Send + 'static>(
    site: &Arc<Site>,
    f: impl FnOnce(&dyn Store) -> lantern_app::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    let site = Arc::clone(site);
    tokio::task::spawn_blocking(move || {
        let mut store = match site.pool.get().map_err(lantern_app::Error::from) {
            Ok(store) => store,
            Err(e) if e.kind() == Kind::Unavailable => {
                return Err(Failure::Unavailable(e.into()));
            }
            Err(e) => return Err(Failure::Internal(e.into())),
        };
        if let Err(e) = lantern_app::council::choose(&mut *store, site.code.as_deref()) {
            return Err(Failure::Internal(e.into()));
        }
        let result = f(&*store);
        match result {
            Err(e) if e.kind() == Kind::NotFound => Err(Failure::NotFound(e.to_string())),
            Err(e) if e.kind() == Kind::Forbidden => Err(Failure::Forbidden(e.to_string())),
            Err(e) => {
                store.discard();
                Err(Failure::Internal(e.into()))
            }
            Ok(v) => Ok(v),
        }
    })
    .await
    .map_err(|e| Failure::Internal(anyhow::anyhow!("the request's task failed: {e}")))?
}

/// Why a request failed.
enum Failure {
    /// The query string is wrong: 400 with what to write instead.
    BadRequest(String),
    /// What the path names is not there (or not published): 404.
    NotFound(String),
    /// No database connection came free in time: 503.
    Unavailable(anyhow::Error),
    /// The database or a template failed: 500 (503 for `/healthz`).
    Internal(anyhow::Error),
    /// Nobody is signed in: 303 to the sign-in page.
    SignIn,
    /// The policy refuses: 403 with why.
    Forbidden(String),
    /// A page already rendered for a problem (a form's errors, a stale
    /// form, a refused action), with its status.
    Page(StatusCode, String),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::SignIn => (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, "/sign-in"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
            )
                .into_response(),
            Failure::Forbidden(why) => {
                problem_page(StatusCode::FORBIDDEN, "You cannot do this", &why)
            }
            Failure::Page(status, html) => (
                status,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                html,
            )
                .into_response(),
            Failure::BadRequest(m) => (StatusCode::BAD_REQUEST, format!("{m}\n")).into_response(),
            Failure::NotFound(m) => (StatusCode::NOT_FOUND, format!("{m}\n")).into_response(),
            Failure::Unavailable(e) => {
                eprintln!("error: {e:#}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Lantern's database is busy or does not answer; try again in a moment.\n",
                )
                    .into_response()
            }
            Failure::Internal(e) => {
                eprintln!("error: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Lantern could not read its database; the error is in the server's log.\n",
                )
                    .into_response()
            }
        }
    }
}

fn json(value: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("{value:#}\n"),
    )
        .into_response()
}

fn page(site: &Site, name: &str, ctx: minijinja::Value) -> Result<Response, Failure> {
    let html = render(site, name, ctx)?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// A value for a page, from anything serde writes.
fn serialized<T: serde::Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// A page as HTML.
fn render(site: &Site, name: &str, ctx: minijinja::Value) -> Result<String, Failure> {
    site.pages
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Failure::Internal(anyhow::anyhow!("page {name}: {e:#}")))
}

/// A signed-in page: not kept by caches, and its HTML.
fn private_page(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// The pages, once, for what renders without a site (problem pages).
static PAGES: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();

/// The council's name, once, for the same.
static COUNCIL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A page saying what went wrong and what to do, GOV.UK style.
fn problem_page(status: StatusCode, title: &str, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        problem_html(title, message),
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// `month` (default) or `quarter`.
    by: Option<String>,
    /// The first day received (YYYY-MM-DD).
    from: Option<String>,
    /// The last day received (YYYY-MM-DD).
    to: Option<String>,
}

/// A report's parameters, read strictly: a bad one is a 400 saying what to write.
struct ReportParams {
    grouping: Grouping,
    by: &'static str,
    from: Option<Date>,
    to: Option<Date>,
}

impl ReportParams {
    fn asked(&self) -> ReportAsked {
        ReportAsked {
            grouping: self.grouping,
            from: self.from,
            to: self.to,
        }
    }
}

/// What a report takes, for its refusals.
const REPORT_PARAMETERS: &str = "a report takes by, from and to";

impl ReportQuery {
    /// The query as given, or a refusal naming the parameter at fault.
    fn read(q: Result<Query<ReportQuery>, QueryRejection>) -> Result<ReportParams, api::ApiError> {
        let Query(q) = q.map_err(|e| api::query_refused(&e, REPORT_PARAMETERS))?;
        q.params()
    }

    fn params(&self) -> Result<ReportParams, api::ApiError> {
        let (grouping, by) = match self.by.as_deref() {
            None | Some("month") => (Grouping::Month, "month"),
            Some("quarter") => (Grouping::Quarter, "quarter"),
            Some(other) => {
                return Err(api::ApiError::field(
                    "by",
                    format!("by={other}: write by=month or by=quarter"),
                ));
            }
        };
        let day = |name: &str, v: &Option<String>| -> Result<Option<Date>, api::ApiError> {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse().map_err(|_| {
                        api::ApiError::field(
                            name,
                            format!("{name}={v}: write the date as YYYY-MM-DD"),
                        )
                    })
                })
                .transpose()
        };
        Ok(ReportParams {
            grouping,
            by,
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
        })
    }
}

async fn health(State(site): State<Arc<Site>>) -> Response {
    match read(&site, data::health).await {
        Ok(health) => json(serde_json::json!({
            "status": "ok",
            "schema": health.schema,
            "data_version": health.data_version,
            "figures": if health.figures_owed.is_some() { "updating" } else { "current" },
            "notice": health.figures_owed,
        })),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer\n",
        )
            .into_response(),
    }
}

async fn index(State(site): State<Arc<Site>>) -> Result<Response, Failure> {
    page(
        &site,
        "index.html.j2",
        context! { council => site.council.clone() },
    )
}

/// The published copy of a sent answer in `format`.
async fn published(
    site: &Arc<Site>,
    reference: String,
    format: lantern_app::letters::Format,
) -> Result<String, Failure> {
    let inner = Arc::clone(site);
    read(site, move |store| {
        lantern_app::casework::published(store, inner.letters.as_deref(), &reference, format)
    })
    .await
}

/// `GET /api/letters/{reference}`: the published copy of a sent answer.
#[utoipa::path(get, path = "/api/letters/{reference}", tag = "public",
    params(("reference" = String, Path, description = "The request's reference")),
    responses(
        (status = 200, description = "The published letter (no requester's details)", body = api::letter::LetterOut),
        (status = 404, description = "No such request sent", body = api::ApiError),
    ),
    security(()))]
async fn api_letter(
    State(site): State<Arc<Site>>,
    Path(reference): Path<String>,
) -> Result<Response, Failure> {
    let letter = published(&site, reference, lantern_app::letters::Format::Json).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], letter).into_response())
}

async fn letter_page(
    State(site): State<Arc<Site>>,
    Path(reference): Path<String>,
) -> Result<Response, Failure> {
    let md = published(&site, reference.clone(), lantern_app::letters::Format::Md).await?;
    let body = lantern_app::letters::markdown_to_html(&md);
    page(
        &site,
        "letter.html.j2",
        context! {
            council => site.council.clone(),
            reference => reference,
            body => minijinja::Value::from_safe_string(body),
        },
    )
}

async fn timeliness_rows(
    site: &Arc<Site>,
    p: &ReportParams,
) -> Result<Vec<reports::TimelinessRow>, Failure> {
    let asked = p.asked();
    let today = site.clock.today_in(&site.zone);
    read(site, move |store| {
        reports::timeliness_in(store, &asked, today)
    })
    .await
}

/// `GET /api/reports/timeliness`: answered in time, extended, late.
#[utoipa::path(get, path = "/api/reports/timeliness", tag = "public", params(ReportQuery),
    responses(
        (status = 200, description = "One row per month or quarter, then the total", body = Vec<api::TimelinessOut>),
        (status = 400, description = "A parameter the report cannot take", body = api::ApiError),
    ),
    security(()))]
async fn api_timeliness(
    State(site): State<Arc<Site>>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, api::ApiError> {
    let params = ReportQuery::read(q)?;
    let rows: Vec<api::TimelinessOut> = timeliness_rows(&site, &params)
        .await?
        .iter()
        .map(api::TimelinessOut::from)
        .collect();
    Ok(api::reply(StatusCode::OK, &rows))
}

async fn timeliness_page(
    State(site): State<Arc<Site>>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let params = ReportQuery::read(q).map_err(|e| Failure::BadRequest(e.message))?;
    let rows = reports::timeliness_json(&timeliness_rows(&site, &params).await?);
    page(
        &site,
        "timeliness.html.j2",
        context! {
            council => site.council.clone(),
            by => params.by,
            rows => minijinja::Value::from(minijinja::value::Serde(rows)),
        },
    )
}

/// `GET /api/reports/outcomes`: outcomes, exemptions, reviews.
#[utoipa::path(get, path = "/api/reports/outcomes", tag = "public", params(ReportQuery),
    responses(
        (status = 200, description = "One row per month or quarter, then the total", body = Vec<api::OutcomesOut>),
        (status = 400, description = "A parameter the report cannot take", body = api::ApiError),
    ),
    security(()))]
async fn api_outcomes(
    State(site): State<Arc<Site>>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, api::ApiError> {
    let asked = ReportQuery::read(q)?.asked();
    let rows = read(&site, move |store| reports::outcomes_in(store, &asked)).await?;
    let rows: Vec<api::OutcomesOut> = rows.iter().map(api::OutcomesOut::from).collect();
    Ok(api::reply(StatusCode::OK, &rows))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "There is no such page: try / for what Lantern serves.\n",
    )
        .into_response()
}

/// Text as one path segment or query value: everything but letters,
/// digits and `-._~` percent-encoded.
fn query_value(s: &str) -> String {
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

fn pages() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    // A reference as one path segment or query value: everything but
    // letters, digits and `-._~` percent-encoded.
    env.add_filter("segment", |s: String| query_value(&s));
    for (name, source) in [
        ("layout.html.j2", LAYOUT),
        ("index.html.j2", INDEX),
        ("log.html.j2", LOG),
        ("log.atom.j2", LOG_ATOM),
        ("timeliness.html.j2", TIMELINESS),
        ("letter.html.j2", LETTER),
        ("sign_in.html.j2", SIGN_IN),
        ("staff.html.j2", STAFF),
        ("inbox.html.j2", INBOX),
        ("case.html.j2", CASE),
        ("users.html.j2", USERS),
        ("problem.html.j2", PROBLEM),
        ("done.html.j2", DONE),
        ("new_case.html.j2", NEW_CASE),
        ("case_actions.html.j2", CASE_ACTIONS),
        ("already_taken_in.html.j2", ALREADY_TAKEN_IN),
        ("letter_sent.html.j2", LETTER_SENT),
        ("council.html.j2", COUNCIL_SETTINGS),
        ("audit.html.j2", AUDIT),
        ("bank_holidays.html.j2", BANK_HOLIDAYS),
        ("bank_holiday_remove.html.j2", BANK_HOLIDAY_REMOVE),
        ("error_summary.html.j2", ERROR_SUMMARY),
        ("templates.html.j2", TEMPLATES),
        ("template.html.j2", TEMPLATE),
        ("provider.html.j2", PROVIDER),
        ("provider_submission.html.j2", PROVIDER_SUBMISSION),
        ("tokens.html.j2", TOKENS),
        ("figures_explore.html.j2", FIGURES_EXPLORE),
        ("figures_upload.html.j2", FIGURES_UPLOAD),
        ("dashboards.html.j2", DASHBOARDS),
        ("figures.html.j2", FIGURES),
        ("figure.html.j2", FIGURE),
        ("publications.html.j2", PUBLICATIONS),
        ("publishing.html.j2", PUBLISHING),
        ("make_request.html.j2", MAKE_REQUEST),
        ("request_made.html.j2", REQUEST_MADE),
        ("privacy.html.j2", PRIVACY),
        ("outbox.html.j2", OUTBOX),
    ] {
        env.add_template(name, source)
            .with_context(|| format!("page template {name}"))?;
    }
    Ok(env)
}

/// Every response gets [`SECURITY_HEADERS`].
async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// One structured log line per request (`tracing`, target
/// `lantern_web::request`): the method, the route as the route table
/// writes it (`/cases/{reference}`, never the reference or user name the
/// path held; `(none)` for a path no route has), the names of the query's
/// parameters without their values (a search may hold a name), the status
/// and how long it took. Nothing else of the request: no cookie, no form,
/// no address.
async fn request_log(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string());
    let parameters = query_names(request.uri().query());
    let response = next.run(request).await;
    tracing::info!(
        target: "lantern_web::request",
        method = %method,
        route = %route.as_deref().unwrap_or("(none)"),
        query = %parameters,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// The names of a query string's parameters, comma-joined, without their
/// values; a name that is not a plain word (`a-z`, `0-9`, `_`) is `?`.
fn query_names(query: Option<&str>) -> String {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            if !name.is_empty()
                && name.len() <= 32
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                name
            } else {
                "?"
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Send the request log to standard error, once per process (a second
/// server in one process, as tests start, keeps the first's).
fn start_request_log() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}

/// A request that takes longer than [`REQUEST_TIMEOUT`] gets a 503.
async fn deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Lantern took too long to answer; try again in a moment.\n",
        )
            .into_response(),
    }
}

/// One route: its method, its path (as the router writes it) and the
/// policy action it needs. The router is built from [`routes`] only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, with `{parameters}`.
    pub path: &'static str,
    /// What the policy must allow.
    pub action: Action,
}

fn spec(method: &'static str, path: &'static str, action: Action) -> RouteSpec {
    RouteSpec {
        method,
        path,
        action,
    }
}

/// Every route with its handler.
fn table() -> Vec<(RouteSpec, MethodRouter<Arc<Site>>)> {
    use Action::{
        Approve, ClockAction, Correct, Draft, Home, ManageProviderTokens, ManageTokens,
        ManageUsers, Publish, ReadPublic, Send, SetCouncil, SetPolicy, Submit, TakeIn, ViewAudit,
        ViewCase, ViewCouncil, ViewInbox, ViewSubmissions, ViewUsers,
    };
    vec![
        (spec("GET", "/", ReadPublic), get(index)),
        (spec("GET", "/healthz", ReadPublic), get(health)),
        (spec("GET", "/log", ReadPublic), get(public::log_page)),
        (spec("GET", "/api/log", ReadPublic), get(public::api_log)),
        (spec("GET", "/log.csv", ReadPublic), get(public::log_csv)),
        (spec("GET", "/log.json", ReadPublic), get(public::log_json)),
        (spec("GET", "/log.atom", ReadPublic), get(public::log_atom)),
        // Making a request (`requests`): no account, throttled.
        (
            spec("GET", "/make-a-request", ReadPublic),
            get(requests::form),
        ),
        (
            spec("POST", "/make-a-request", ReadPublic),
            post(requests::make),
        ),
        (spec("GET", "/privacy", ReadPublic), get(requests::privacy)),
        (
            spec("POST", "/api/requests", ReadPublic),
            post(api::requests::make),
        ),
        // The outbox (`outbox`): officers, approvers, administrators.
        (
            spec("GET", "/outbox", Action::ViewOutbox),
            get(outbox::list),
        ),
        (
            spec("POST", "/outbox/{id}/sent", Action::SendOutbox),
            post(outbox::sent),
        ),
        (
            spec("GET", "/api/outbox", Action::ViewOutbox),
            get(api::outbox::list),
        ),
        (
            spec("POST", "/api/outbox/{id}/sent", Action::SendOutbox),
            post(api::outbox::sent),
        ),
        (
            spec("GET", "/reports/timeliness", ReadPublic),
            get(timeliness_page),
        ),
        (
            spec("GET", "/api/reports/timeliness", ReadPublic),
            get(api_timeliness),
        ),
        (
            spec("GET", "/api/reports/outcomes", ReadPublic),
            get(api_outcomes),
        ),
        (
            spec("GET", "/letters/{reference}", ReadPublic),
            get(letter_page),
        ),
        (
            spec("GET", "/api/letters/{reference}", ReadPublic),
            get(api_letter),
        ),
        (
            spec("GET", "/letters/{reference}/response.docx", ReadPublic),
            get(letters::published_docx),
        ),
        (spec("GET", "/figures", ReadPublic), get(published::index)),
        (
            spec("GET", "/figures/{indicator}", ReadPublic),
            get(published::indicator),
        ),
        (
            spec("GET", "/api/figures", ReadPublic),
            get(published::api_figures),
        ),
        (
            spec("GET", "/figures.csv", ReadPublic),
            get(published::figures_csv),
        ),
        (
            spec("GET", "/publications", ReadPublic),
            get(published::calendar),
        ),
        (
            spec("GET", "/api/publications", ReadPublic),
            get(published::api_calendar),
        ),
        (spec("GET", "/style.css", ReadPublic), get(style)),
        (spec("GET", "/sign-in", ReadPublic), get(auth::sign_in_page)),
        (spec("POST", "/sign-in", ReadPublic), post(auth::sign_in)),
        (spec("POST", "/sign-out", Home), post(auth::sign_out)),
        (spec("GET", "/staff", Home), get(staff::home)),
        (spec("GET", "/inbox", ViewInbox), get(staff::inbox)),
        (spec("GET", "/cases/new", TakeIn), get(staff::new_case_page)),
        (spec("POST", "/cases", TakeIn), post(staff::take_in)),
        (spec("POST", "/cases/upload", TakeIn), post(intake::upload)),
        (spec("POST", "/cases/typed", TakeIn), post(intake::typed)),
        (
            spec("GET", "/cases/{reference}", ViewCase),
            get(workspace::case),
        ),
        (
            spec("GET", "/cases/{reference}/letters/{letter}", ViewCase),
            get(letters::case_letter),
        ),
        (
            spec("POST", "/cases/{reference}/correct", Correct),
            post(workspace::teach),
        ),
        (
            spec("POST", "/cases/{reference}/questions/set", Correct),
            post(workspace::set),
        ),
        (
            spec("POST", "/cases/{reference}/questions/split", Correct),
            post(workspace::split),
        ),
        (
            spec("POST", "/cases/{reference}/questions/merge", Correct),
            post(workspace::merge),
        ),
        (
            spec("POST", "/cases/{reference}/questions/set-aside", Correct),
            post(workspace::set_aside),
        ),
        (
            spec("POST", "/cases/{reference}/questions/reread", Correct),
            post(workspace::reread),
        ),
        (
            spec("POST", "/cases/{reference}/findings/resolve", Draft),
            post(workspace::resolve),
        ),
        (
            spec("POST", "/cases/{reference}/title", Correct),
            post(staff::retitle),
        ),
        (
            spec("POST", "/cases/{reference}/clock", ClockAction),
            post(staff::clock),
        ),
        (
            spec("POST", "/cases/{reference}/draft", Draft),
            post(staff::draft),
        ),
        (
            spec("POST", "/cases/{reference}/approve", Approve),
            post(staff::approve),
        ),
        (
            spec("POST", "/cases/{reference}/sent", Send),
            post(actions::sent),
        ),
        (
            spec("POST", "/cases/{reference}/review", ClockAction),
            post(actions::review),
        ),
        (
            spec(
                "GET",
                "/cases/{reference}/final-letters/{position}",
                ViewCase,
            ),
            get(actions::download),
        ),
        (spec("GET", "/admin/users", ViewUsers), get(admin::users)),
        (
            spec("POST", "/admin/users", ManageUsers),
            post(admin::create),
        ),
        (
            spec("POST", "/admin/users/{username}/disable", ManageUsers),
            post(admin::disable),
        ),
        (
            spec("POST", "/admin/users/{username}/enable", ManageUsers),
            post(admin::enable),
        ),
        (
            spec("POST", "/admin/users/{username}/password", ManageUsers),
            post(admin::reset),
        ),
        (
            spec("POST", "/admin/policy", SetPolicy),
            post(admin::policy),
        ),
        (
            spec("GET", "/admin/council", ViewCouncil),
            get(admin::council),
        ),
        (
            spec("POST", "/admin/council", SetCouncil),
            post(admin::set_council),
        ),
        (spec("GET", "/admin/audit", ViewAudit), get(admin::audit)),
        (
            spec("GET", "/admin/bank-holidays", ViewCouncil),
            get(admin::bank_holidays),
        ),
        (
            spec("POST", "/admin/bank-holidays", SetCouncil),
            post(admin::add_bank_holiday),
        ),
        (
            spec("POST", "/admin/bank-holidays/remove", SetCouncil),
            post(admin::remove_bank_holiday),
        ),
        (
            spec("GET", "/admin/templates", ViewCouncil),
            get(templates::list),
        ),
        (
            spec("GET", "/admin/templates/{template}", ViewCouncil),
            get(templates::edit),
        ),
        (
            spec("POST", "/admin/templates/{template}", SetCouncil),
            post(templates::save),
        ),
        (
            spec("POST", "/admin/templates/{template}/preview", SetCouncil),
            post(templates::preview),
        ),
        (
            spec("POST", "/admin/templates/{template}/revert", SetCouncil),
            post(templates::revert),
        ),
        (
            spec("GET", "/admin/tokens", ManageTokens),
            get(tokens::admin_tokens),
        ),
        (
            spec("POST", "/admin/tokens", ManageTokens),
            post(tokens::admin_create),
        ),
        (
            spec("POST", "/admin/tokens/{id}/revoke", ManageTokens),
            post(tokens::admin_revoke),
        ),
        (
            spec("POST", "/admin/tokens/managers", ManageTokens),
            post(tokens::managers),
        ),
        // Providers (`providers`, `tokens`).
        (
            spec("GET", "/provider", ViewSubmissions),
            get(providers::home),
        ),
        (
            spec("POST", "/provider/submissions", Submit),
            post(providers::upload),
        ),
        (
            spec("GET", "/provider/submissions/{id}", ViewSubmissions),
            get(providers::submission),
        ),
        (
            spec(
                "GET",
                "/provider/submissions/{id}/report.csv",
                ViewSubmissions,
            ),
            get(providers::report_csv),
        ),
        (
            spec("GET", "/provider/tokens", ManageProviderTokens),
            get(tokens::provider_tokens),
        ),
        (
            spec("POST", "/provider/tokens", ManageProviderTokens),
            post(tokens::provider_create),
        ),
        (
            spec("POST", "/provider/tokens/{id}/revoke", ManageProviderTokens),
            post(tokens::provider_revoke),
        ),
        // The providers' API (session or `Authorization: Bearer` token).
        (
            spec("GET", "/api/submissions", ViewSubmissions),
            get(providers::api_list),
        ),
        (
            spec("POST", "/api/submissions", Submit),
            post(providers::api_submit),
        ),
        (
            spec("GET", "/api/submissions/{id}", ViewSubmissions),
            get(providers::api_submission),
        ),
        (
            spec("GET", "/api/submissions/{id}/report", ViewSubmissions),
            get(providers::api_report),
        ),
        // The JSON API (`api`): the same use cases and policy as the pages.
        (
            spec("GET", "/api/openapi.json", ReadPublic),
            get(api::openapi),
        ),
        (spec("GET", "/api/session", Home), get(api::session)),
        (spec("POST", "/api/session", ReadPublic), post(api::sign_in)),
        (spec("GET", "/api/cases", ViewInbox), get(api::cases::list)),
        (
            spec("POST", "/api/cases", TakeIn),
            post(api::cases::take_in),
        ),
        (
            spec("GET", "/api/cases/{reference}", ViewCase),
            get(api::cases::show),
        ),
        (
            spec("POST", "/api/cases/{reference}/questions", Correct),
            post(api::cases::correct),
        ),
        (
            spec("POST", "/api/cases/{reference}/draft", Draft),
            post(api::cases::draft),
        ),
        (
            spec("POST", "/api/cases/{reference}/approve", Approve),
            post(api::cases::approve),
        ),
        (
            spec("POST", "/api/cases/{reference}/send", Send),
            post(api::cases::send),
        ),
        (
            spec("POST", "/api/cases/{reference}/clock", ClockAction),
            post(api::cases::clock),
        ),
        (
            spec("POST", "/api/cases/{reference}/findings/resolve", Draft),
            post(api::cases::resolve),
        ),
        (
            spec("GET", "/figures/explore", Action::ViewFigures),
            get(figures::explore),
        ),
        (
            spec("GET", "/figures/explore.csv", Action::ViewFigures),
            get(figures::explore_csv),
        ),
        (
            spec("GET", "/figures/upload", Action::ManageFigures),
            get(figures::upload_form),
        ),
        (
            spec("POST", "/figures/upload", Action::ManageFigures),
            post(figures::upload),
        ),
        (
            spec("POST", "/figures/recompute", Action::ManageFigures),
            post(figures::recompute),
        ),
        (
            spec("GET", "/dashboards", Action::ViewFigures),
            get(figures::dashboards),
        ),
        (
            spec("GET", "/dashboards.csv", Action::ViewFigures),
            get(figures::dashboard_csv),
        ),
        // Publishing figures and planning publications (`published`).
        (
            spec("GET", "/publishing", Publish),
            get(published::publishing_forms),
        ),
        (
            spec("POST", "/publishing/publish", Publish),
            post(published::publish),
        ),
        (
            spec("POST", "/publishing/plan", Publish),
            post(published::plan),
        ),
    ]
}

/// Every route the web application has, with the action the policy must
/// allow (the authorisation matrix test walks these).
pub fn routes() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// Give one path's routes a request body limit of `max` bytes: a request
/// that says it is longer gets a 413 before anything reads it, and a body
/// read by an extractor stops at `max`.
fn limit_route(route: MethodRouter<Arc<Site>>, max: usize) -> MethodRouter<Arc<Site>> {
    route
        .layer::<_, std::convert::Infallible>(middleware::from_fn(
            move |request: Request, next: Next| {
                let declared = request
                    .headers()
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let api = request.uri().path().starts_with("/api/");
                async move {
                    if declared.is_some_and(|n| n > max as u64) && api {
                        return api::ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!("What was sent is too large: this address takes at most {max} bytes. Nothing was changed: send less."),
                        )
                        .into_response();
                    }
                    if declared.is_some_and(|n| n > max as u64) {
                        return problem_page(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "There is a problem",
                            &format!(
                                "What was sent is too large: this page takes at most {max} bytes. Nothing was changed: send a smaller file or less text."
                            ),
                        );
                    }
                    next.run(request).await
                }
            },
        ))
        .layer(DefaultBodyLimit::max(max))
}

/// The routes, for a database and council: each path's methods together,
/// with the body limit of a form when any of them takes one (the limit
/// wraps the whole path, so a body sent with a method the path does not
/// take is refused by size before it is read).
fn router(site: Arc<Site>) -> Router {
    let mut paths: Vec<(&'static str, MethodRouter<Arc<Site>>, bool)> = Vec::new();
    for (spec, route) in table() {
        let form = spec.method != "GET";
        match paths.iter_mut().find(|(p, _, _)| *p == spec.path) {
            Some((_, held, takes_form)) => {
                *held = std::mem::take(held).merge(route);
                *takes_form |= form;
            }
            None => paths.push((spec.path, route, form)),
        }
    }
    let mut router = Router::new();
    for (path, route, form) in paths {
        let max = match path {
            "/cases/upload" => intake::UPLOAD_BODY_LIMIT,
            "/provider/submissions" | "/api/submissions" => providers::UPLOAD_BODY_LIMIT,
            "/cases/{reference}/sent" => actions::SENT_BODY_LIMIT,
            "/figures/upload" => figures::UPLOAD_BODY_LIMIT,
            _ if form => FORM_BODY_LIMIT,
            _ => READ_ONLY_BODY_LIMIT,
        };
        router = router.route(path, limit_route(route, max));
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn(deadline))
        .layer(middleware::from_fn(api::json_errors))
        .layer(middleware::from_fn(request_log))
        .layer(middleware::map_response(secure))
        .with_state(site)
}

/// How to run the web application.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Lines to print after the address (the demo's accounts).
    pub announce: Vec<String>,
}

/// Run `lantern serve`: check the database once, then serve until
/// interrupted (Ctrl-C or SIGTERM), finishing the requests in flight.
pub fn run(ctx: &Ctx, listen: &str, options: &Options) -> Result<()> {
    // Refuse to start on a database that cannot be opened: a clear error
    // now, not a 503 later.
    let pool_options = PoolOptions {
        max_size: MAX_CONNECTIONS,
        ..PoolOptions::default()
    };
    let pool = StorePool::open(&ctx.database, ctx.config.migrate_on_open, &pool_options)?;
    let address: SocketAddr = listen.parse().map_err(|_| {
        anyhow::anyhow!("--listen {listen}: write an address and port such as 127.0.0.1:8080")
    })?;
    // The council whose log is served: the one chosen, or the only one.
    let council = {
        let mut store = pool.get().map_err(lantern_app::Error::from)?;
        lantern_app::council::choose(&mut *store, ctx.council.as_deref())?;
        lantern_app::council::in_force(ctx, &*store, None)?
    };
    let _ = PAGES.set(pages()?);
    let _ = COUNCIL.set(council.name().to_string());
    start_request_log();
    let site = Arc::new(Site {
        pool: Arc::new(pool),
        code: ctx.council.clone(),
        clock: ctx.clock,
        council: council.name().to_string(),
        council_code: council.code().to_string(),
        database: ctx.database.clone(),
        config: ctx.config.clone(),
        zone: council.time_zone().clone(),
        pages: pages()?,
        letters: {
            // A folder that is not there is said at start, not at the first letter.
            lantern_app::letters::Templates::load(ctx.config.template_dir().as_deref())?;
            ctx.config.template_dir()
        },
        log_pages: kept::Kept::default(),
        figure_pages: kept::Kept::default(),
        throttle_key: lantern_app::records::pseudonym_key(
            std::env::var_os("LANTERN_PSEUDONYM_KEY"),
            &ctx.config,
        )
        .ok()
        .map(|k| k.secret().to_vec()),
    });
    // The outbox's sender, when `[smtp]` is configured: its settings are
    // checked now, not at the first message.
    let mailer = lantern_app::outbox::SmtpMailer::configured(ctx)?.map(Arc::new);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // One blocking thread per pooled connection.
        .max_blocking_threads(MAX_CONNECTIONS as usize)
        .build()
        .context("cannot start the server's runtime")?;
    let served = runtime.block_on(async {
        let listener = crate::connections::listen(address)
            .with_context(|| format!("cannot listen on {address}"))?;
        let bound = listener.local_addr()?;
        if let Some(mailer) = mailer {
            tokio::spawn(send_outbox(ctx.clone(), mailer));
        }
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "Lantern is serving {} on http://{bound}/ (Ctrl-C stops it)",
                ctx.display_database()
            )?;
            for line in &options.announce {
                writeln!(out, "{line}")?;
            }
            out.flush()?;
        }
        // The open-file limit caps the connections (one descriptor each).
        let nofile = rlimit::Resource::NOFILE
            .get()
            .map(|(soft, _)| soft)
            .unwrap_or(u64::MAX);
        crate::connections::serve(
            listener,
            router(Arc::clone(&site)),
            crate::connections::Limits::default(),
            nofile,
            stopped(),
        )
        .await
        .context("the server stopped with an error")
    });
    // Stop the runtime (its tasks let go of the site), then close the
    // pool's connections outside it: the PostgreSQL driver blocks on a
    // runtime of its own to close one, which panics inside an async task.
    drop(runtime);
    drop(site);
    served
}

/// How often the outbox's sender looks for messages due.
const OUTBOX_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// The most messages one run of the sender sends.
const OUTBOX_BATCH: usize = 50;

/// Send the outbox's due messages through the SMTP server every
/// [`OUTBOX_EVERY`] until the server stops (`lantern_app::outbox`; several
/// server processes may each run one: a message is marked sent once, and
/// one sent twice in a race is the worst case).
async fn send_outbox(ctx: Ctx, mailer: Arc<lantern_app::outbox::SmtpMailer>) {
    let mut ctx = ctx;
    lantern_app::outbox::SENDER.clone_into(&mut ctx.actor);
    let ctx = Arc::new(ctx);
    loop {
        let (ctx, mailer) = (Arc::clone(&ctx), Arc::clone(&mailer));
        let ran = tokio::task::spawn_blocking(move || {
            lantern_app::outbox::send_due(&ctx, mailer.as_ref(), OUTBOX_BATCH)
        })
        .await;
        if let Ok(Err(e)) = ran {
            // The kind only: a message's details never reach the log.
            tracing::warn!(target: "lantern::outbox", kind = ?e.kind(), "the outbox sender could not run; it tries again");
        }
        tokio::time::sleep(OUTBOX_EVERY).await;
    }
}

/// Resolves when the process is asked to stop.
async fn stopped() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::query_names;

    #[test]
    fn the_request_log_names_query_parameters_never_their_values() {
        assert_eq!(query_names(None), "");
        assert_eq!(
            query_names(Some("search=Jane+Smith&indicator=crack&x")),
            "search,indicator,x"
        );
        assert_eq!(
            query_names(Some("Jane%20Smith=1&&=2")),
            "?,?",
            "a name that is not a plain word may itself be personal"
        );
    }
}
