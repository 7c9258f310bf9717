//! Treatment providers' pages and API: their submissions (history and
//! status, newest first, paged), sending a monthly file (CSV or XLSX, a
//! multipart form bounded by [`UPLOAD_BODY_LIMIT`], the type checked by
//! name and content), one submission's validation report on screen and as
//! CSV, and the same under `/api/submissions` for a session or an API
//! token. Each asks the policy, then calls `lantern_app::providers`, which
//! checks the provider: another provider's submission is a 404 like one
//! that does not exist.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::accounts::Actor;
use lantern_app::policy::Action;
use lantern_app::providers::{self, MAX_FILE_BYTES, SubmissionDetail, SubmissionPage};
use lantern_app::{Kind, tokens};
use minijinja::context;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{ApiError, Paging, query_refused};
use crate::auth::{Visitor, allow_here, api_caller, check_csrf, see_other};
use crate::intake::Parts;
use crate::{Failure, Site, act, private_page, render};

/// The request body limit of the upload routes: the file and a little more.
pub const UPLOAD_BODY_LIMIT: usize = MAX_FILE_BYTES as usize + 64 * 1024;

/// The deployment's pseudonymisation key, as the command line finds it.
fn key(site: &Site) -> lantern_app::Result<lantern_core::records::PseudonymKey> {
    lantern_app::records::pseudonym_key(std::env::var_os("LANTERN_PSEUDONYM_KEY"), &site.config)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    page: Option<String>,
}

impl PageQuery {
    fn page(&self) -> Result<u64, String> {
        match self.page.as_deref().map(str::trim) {
            None | Some("") => Ok(1),
            Some(p) => p
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("page={p}: write a page number from 1")),
        }
    }
}

/// `/api/submissions`' paging; any other parameter is refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiPageQuery {
    page: Option<String>,
    per_page: Option<String>,
}

fn id_of(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0)
}

fn not_found(id: &str) -> Failure {
    Failure::Page(
        StatusCode::NOT_FOUND,
        crate::problem_html(
            "Not found",
            &format!("There is no submission {id} of yours; your submissions page lists them."),
        ),
    )
}

fn submission_rows(page: &SubmissionPage) -> Vec<minijinja::Value> {
    page.submissions.iter().map(crate::serialized).collect()
}

/// The provider's home page, with an error for the upload form if any.
async fn home_page(
    site: &Arc<Site>,
    visitor: &Visitor,
    page: u64,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, Failure> {
    let ctx = site.context(&visitor.actor.username);
    let actor = visitor.actor.clone();
    let (list, manages) = act(move || {
        Ok((
            providers::submissions(&ctx, &actor, page, providers::PAGE_SIZE)?,
            tokens::may_manage(&ctx, &actor)?,
        ))
    })
    .await?;
    let html = render(
        site,
        "provider.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            provider => list.provider.clone(),
            submissions => submission_rows(&list),
            page => list.page,
            pages => list.pages,
            total => list.total,
            manages_tokens => manages,
            error => error,
            max_mb => MAX_FILE_BYTES >> 20,
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /provider`: the provider's submissions and the upload form.
pub(crate) async fn home(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewSubmissions).await?;
    let page = q.page().map_err(Failure::BadRequest)?;
    home_page(&site, &visitor, page, StatusCode::OK, None).await
}

/// `POST /provider/submissions`: send a monthly file.
pub(crate) async fn upload(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::Submit).await?;
    let parts = Parts::read(&site, request, "file", MAX_FILE_BYTES).await?;
    check_csrf(&visitor, parts.field("csrf"))?;
    let refuse =
        |status: StatusCode, message: String| home_page(&site, &visitor, 1, status, Some(message));
    if parts.too_large {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The file must be smaller than {} MB: send one month's records",
                MAX_FILE_BYTES >> 20
            ),
        )
        .await;
    }
    let month = parts.field("month").map(str::to_string);
    let Some((name, bytes)) = parts.file else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Choose the month's file (.csv or .xlsx)".into(),
        )
        .await;
    };
    let name = name.unwrap_or_default();
    if let Err(e) = providers::file_type(&name, &bytes) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            crate::intake::capitalised(e.message()),
        )
        .await;
    }
    let ctx = site.context(&visitor.actor.username);
    let actor = visitor.actor.clone();
    let key = key(&site);
    let sent = crate::blocking(move || {
        providers::submit(&ctx, &actor, &key?, &name, &bytes, month.as_deref())
    })
    .await?;
    match sent {
        Ok(result) => Ok(see_other(&format!(
            "/provider/submissions/{}",
            result.submission
        ))),
        Err(e) if e.kind() == Kind::Invalid || e.kind() == Kind::Conflict => {
            refuse(
                StatusCode::BAD_REQUEST,
                crate::intake::capitalised(e.message()),
            )
            .await
        }
        Err(e) => Err(crate::failure(e)),
    }
}

async fn detail(site: &Arc<Site>, actor: &Actor, id: &str) -> Result<SubmissionDetail, Failure> {
    let Some(n) = id_of(id) else {
        return Err(not_found(id));
    };
    let ctx = site.context(&actor.username);
    let actor = actor.clone();
    act(move || providers::submission(&ctx, &actor, n)).await
}

/// `GET /provider/submissions/{id}`: one submission and its report.
pub(crate) async fn submission(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewSubmissions).await?;
    let shown = detail(&site, &visitor.actor, &id).await?;
    let verdict = match &shown.report.verdict {
        lantern_core::records::submission::Verdict::Accepted => {
            "Accepted: every row was taken in".to_string()
        }
        lantern_core::records::submission::Verdict::AcceptedWithRejections => {
            "Accepted with rows refused: the rows with errors (and the rest of their episodes) were not taken in".to_string()
        }
        lantern_core::records::submission::Verdict::Rejected { reason } => {
            format!("Rejected: nothing was taken in. {reason}")
        }
    };
    let html = render(
        &site,
        "provider_submission.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            s => crate::serialized(&shown.submission),
            verdict => verdict,
            errors => crate::serialized(&shown.report.errors),
            warnings => crate::serialized(&shown.report.warnings),
            truncated => shown.report.truncated,
            limit => shown.report.limit.clone(),
        },
    )?;
    Ok(private_page(html))
}

fn csv_download(id: i64, csv: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"submission-{id}-report.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        csv,
    )
        .into_response()
}

/// `GET /provider/submissions/{id}/report.csv`: the report as CSV.
pub(crate) async fn report_csv(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewSubmissions).await?;
    let shown = detail(&site, &visitor.actor, &id).await?;
    let csv = act(move || providers::report_csv(&shown.report)).await?;
    Ok(csv_download(id_of(&id).unwrap_or_default(), csv))
}

fn json_reply(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{body}\n"),
    )
        .into_response()
}

fn api_not_found(id: &str) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("there is no submission {id} of yours; GET /api/submissions lists them"),
    )
    .into_response()
}

/// A submission as its provider sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SubmissionOut {
    /// Its id.
    id: i64,
    /// The provider (agency code).
    provider: String,
    /// The reporting month, `YYYY-MM`.
    month: String,
    /// The file's name as sent.
    file: String,
    /// `current`, `superseded`, `replaced`, `withdrawn` or `rejected`.
    status: String,
    /// Rows read.
    rows_read: u64,
    /// Rows kept.
    rows_accepted: u64,
    /// Rows refused.
    rows_rejected: u64,
    /// The later submission for the same month that replaced it, or null.
    replaced_by: Option<i64>,
    /// Who sent it (a user name, or `token:ID` for an API token).
    sent_by: String,
    /// When (RFC 3339).
    sent_at: String,
}

impl From<providers::SubmissionView> for SubmissionOut {
    fn from(s: providers::SubmissionView) -> SubmissionOut {
        SubmissionOut {
            id: s.id,
            provider: s.provider,
            month: s.month,
            file: s.file,
            status: s.status.to_string(),
            rows_read: s.rows_read,
            rows_accepted: s.rows_accepted,
            rows_rejected: s.rows_rejected,
            replaced_by: s.replaced_by,
            sent_by: s.sent_by,
            sent_at: s.sent_at,
        }
    }
}

/// Whether a submission is applied: `accepted`, `accepted_with_rejections`,
/// or `{"rejected": {"reason": …}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VerdictOut {
    /// Every row is applied.
    Accepted,
    /// The good rows are applied; the rows with errors (and the rest of
    /// their episodes) are not.
    AcceptedWithRejections,
    /// Nothing is applied.
    Rejected {
        /// Why, in a sentence.
        reason: String,
    },
}

/// One located problem of a submission: where, and what is wrong (a value
/// only where it cannot identify anyone).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ProblemOut {
    /// The line (header = 1); 0 for the file as a whole.
    line: u64,
    /// In a spreadsheet, the cell (`Sheet1!C12`) or row (`Sheet1!12`);
    /// absent for CSV files.
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<String>,
    /// The column, if the problem is with one.
    field: Option<String>,
    /// The value at fault, only where it cannot identify anyone.
    value: Option<String>,
    /// The length in characters of a value not shown; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    length: Option<u64>,
    /// What is wrong.
    reason: String,
}

/// A submission's validation report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ReportOut {
    /// Data rows read (the header not counted).
    rows: u64,
    /// Rows applied.
    accepted_rows: u64,
    /// Rows not applied.
    rejected_rows: u64,
    /// The decision.
    verdict: VerdictOut,
    /// Errors, in line order (at most 1,000 listed).
    errors: Vec<ProblemOut>,
    /// Warnings, in line order (at most 1,000 listed).
    warnings: Vec<ProblemOut>,
    /// The bad-row limit applied, as written (`0`, `1%`).
    limit: String,
    /// Problems found but not listed, beyond the cap.
    truncated: u64,
}

impl From<lantern_core::records::submission::Report> for ReportOut {
    fn from(r: lantern_core::records::submission::Report) -> ReportOut {
        use lantern_core::records::submission::Verdict;
        let problems = |list: Vec<lantern_core::records::submission::Problem>| {
            list.into_iter()
                .map(|p| ProblemOut {
                    line: p.line,
                    cell: p.cell,
                    field: p.field,
                    value: p.value,
                    length: p.length,
                    reason: p.reason,
                })
                .collect()
        };
        ReportOut {
            rows: r.rows,
            accepted_rows: r.accepted_rows,
            rejected_rows: r.rejected_rows,
            verdict: match r.verdict {
                Verdict::Accepted => VerdictOut::Accepted,
                Verdict::AcceptedWithRejections => VerdictOut::AcceptedWithRejections,
                Verdict::Rejected { reason } => VerdictOut::Rejected { reason },
            },
            errors: problems(r.errors),
            warnings: problems(r.warnings),
            limit: r.limit,
            truncated: r.truncated,
        }
    }
}

/// One submission with its validation report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SubmissionDetailOut {
    /// The submission.
    submission: SubmissionOut,
    /// Its validation report.
    report: ReportOut,
}

impl From<SubmissionDetail> for SubmissionDetailOut {
    fn from(d: SubmissionDetail) -> SubmissionDetailOut {
        SubmissionDetailOut {
            submission: d.submission.into(),
            report: d.report.into(),
        }
    }
}

/// A page of the caller's provider's submissions, paged the API's one way.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct SubmissionList {
    /// The submissions on this page, newest first (each as
    /// `GET /api/submissions/{id}` gives it).
    items: Vec<SubmissionOut>,
    /// How many submissions the provider has.
    total: usize,
    /// This page, from 1.
    page: usize,
    /// Submissions per page.
    per_page: usize,
    /// How many pages there are (at least 1).
    pages: usize,
    /// This page, the next and the one before.
    links: crate::api::PageLinks,
}

/// `GET /api/submissions`: the caller's provider's submissions, newest
/// first (`?page=` and `?per_page=`, as every list of the API).
#[utoipa::path(get, path = "/api/submissions", tag = "providers",
    params(
        ("page" = Option<String>, Query, description = "The page, from 1"),
        ("per_page" = Option<String>, Query, description = "Submissions per page, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "The caller's provider's submissions, newest first", body = SubmissionList),
        (status = 400, description = "A page or page size the list cannot take", body = crate::api::ApiError),
        crate::api::Reading,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn api_list(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    q: Result<Query<ApiPageQuery>, QueryRejection>,
) -> Response {
    let caller = match api_caller(&site, &headers, Action::ViewSubmissions, false).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            return query_refused(&e, "the list of submissions takes page and per_page")
                .into_response();
        }
    };
    let paging = match Paging::read(q.page.as_deref(), q.per_page.as_deref()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let ctx = site.context(&caller.actor.username);
    let (page, per_page) = (paging.page as u64, paging.per_page as u64);
    let list =
        match crate::api::run(move || providers::submissions(&ctx, &caller.actor, page, per_page))
            .await
        {
            Ok(list) => list,
            // The one input the use case can refuse once paging is read: a
            // page past the last.
            Err(mut e) => {
                if e.status == StatusCode::BAD_REQUEST.as_u16() {
                    e.field = Some("page".into());
                }
                return e.into_response();
            }
        };
    let pages = usize::try_from(list.pages).unwrap_or(usize::MAX);
    let reply = SubmissionList {
        items: list.submissions.into_iter().map(Into::into).collect(),
        total: usize::try_from(list.total).unwrap_or(usize::MAX),
        page: paging.page,
        per_page: paging.per_page,
        pages,
        links: paging.links("/api/submissions", &[], pages),
    };
    json_reply(StatusCode::OK, &reply)
}

async fn api_detail(
    site: &Arc<Site>,
    headers: &HeaderMap,
    id: &str,
) -> Result<SubmissionDetail, Response> {
    let caller = api_caller(site, headers, Action::ViewSubmissions, false).await?;
    let Some(n) = id_of(id) else {
        return Err(api_not_found(id));
    };
    let ctx = site.context(&caller.actor.username);
    crate::api::run(move || providers::submission(&ctx, &caller.actor, n))
        .await
        .map_err(IntoResponse::into_response)
}

/// `GET /api/submissions/{id}`: one submission with its report.
#[utoipa::path(get, path = "/api/submissions/{id}", tag = "providers",
    params(("id" = String, Path, description = "The submission")),
    responses(
        (status = 200, description = "The submission with its report", body = SubmissionDetailOut),
        crate::api::Reading,
        crate::api::Missing,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn api_submission(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match api_detail(&site, &headers, &id).await {
        Ok(d) => json_reply(StatusCode::OK, &SubmissionDetailOut::from(d)),
        Err(r) => r,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportFormat {
    format: Option<String>,
}

/// `GET /api/submissions/{id}/report`: the validation report as JSON, or
/// as CSV with `?format=csv` or `Accept: text/csv`.
#[utoipa::path(get, path = "/api/submissions/{id}/report", tag = "providers",
    params(
        ("id" = String, Path, description = "The submission"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv` (or ask for `Accept: text/csv`)"),
    ),
    responses(
        (status = 200, description = "The validation report: row, field, reason (JSON, or CSV when asked)", content(
            (ReportOut = "application/json"),
            (String = "text/csv"),
        )),
        crate::api::Reading,
        crate::api::Missing,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn api_report(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<ReportFormat>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            return query_refused(&e, "the report takes format (json or csv)").into_response();
        }
    };
    let accepts_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    let csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        None => accepts_csv,
        Some(other) => {
            return ApiError::field(
                "format",
                format!("format={other}: write format=json or format=csv"),
            )
            .into_response();
        }
    };
    let d = match api_detail(&site, &headers, &id).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    if csv {
        let n = d.submission.id;
        match crate::api::run(move || providers::report_csv(&d.report)).await {
            Ok(text) => csv_download(n, text),
            Err(e) => e.into_response(),
        }
    } else {
        json_reply(StatusCode::OK, &ReportOut::from(d.report))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitQuery {
    name: Option<String>,
    month: Option<String>,
}

// Only describes the body in the OpenAPI document: the handler takes bytes.
/// A monthly file's bytes, CSV or XLSX.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct MonthlyFile(Vec<u8>);

/// The header that may name the file sent to `POST /api/submissions`.
pub const FILE_NAME_HEADER: &str = "x-file-name";

/// `POST /api/submissions`: send a monthly file, the body its bytes, its
/// name in `?name=` or the `X-File-Name` header, the month in `?month=`
/// or the name. 201 with the submission and its report (a file with bad
/// rows is a submission too); 415 for a file that is not CSV or XLSX.
#[utoipa::path(post, path = "/api/submissions", tag = "providers",
    params(
        ("name" = Option<String>, Query, description = "The file's name (or the X-File-Name header)"),
        ("month" = Option<String>, Query, description = "The month (or from the name)"),
    ),
    request_body(description = "The monthly file, CSV or XLSX (its type is found from its name and content)", content(
        (MonthlyFile = "text/csv"),
        (MonthlyFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (MonthlyFile = "application/octet-stream"),
    )),
    responses(
        (status = 201, description = "The submission and its report (bad rows included)", body = SubmissionDetailOut),
        (status = 400, description = "No name or month, an empty body, or a parameter this does not take", body = crate::api::ApiError),
        (status = 413, description = "Too large", body = crate::api::ApiError),
        (status = 415, description = "Not CSV or XLSX", body = crate::api::ApiError),
        crate::api::Writing,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn api_submit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    q: Result<Query<SubmitQuery>, QueryRejection>,
    body: Bytes,
) -> Response {
    let caller = match api_caller(&site, &headers, Action::Submit, true).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            return query_refused(&e, "sending a submission takes name and month").into_response();
        }
    };
    let name = q
        .name
        .clone()
        .or_else(|| {
            headers
                .get(FILE_NAME_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    if name.trim().is_empty() {
        return ApiError::field(
            "name",
            "name the file with ?name=AGENCY-YYYY-MM.csv or the X-File-Name header",
        )
        .into_response();
    }
    if body.is_empty() {
        return ApiError::field(
            "file",
            "the request's body is empty: send the file's bytes as the body",
        )
        .into_response();
    }
    if let Err(e) = providers::file_type(&name, &body) {
        return ApiError {
            field: Some("file".into()),
            ..ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.message())
        }
        .with_code("unsupported_type")
        .into_response();
    }
    let ctx = site.context(&caller.actor.username);
    let key = key(&site);
    let month = q.month.clone();
    let sent = crate::api::run(move || {
        let result = providers::submit(&ctx, &caller.actor, &key?, &name, &body, month.as_deref())?;
        providers::submission(&ctx, &caller.actor, result.submission)
    })
    .await;
    match sent {
        Ok(d) => json_reply(StatusCode::CREATED, &SubmissionDetailOut::from(d)),
        Err(e) => e.into_response(),
    }
}
