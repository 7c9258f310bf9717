//! The analysts' pages: the figures explorer (`/figures/explore`, and the
//! same rows as CSV), uploading figures, statements and releases with the
//! validation report on screen (`/figures/upload`), recomputing from
//! records (`/figures/recompute`), and the dashboards (`/dashboards`, each
//! chart's table as CSV at `/dashboards.csv?chart=`).
//!
//! Each page asks the policy first (`Action::ViewFigures`, or
//! `Action::ManageFigures` to change anything) and reads only the council's
//! own areas (`lantern_app::analysis`). Charts are drawn by
//! [`crate::charts`], each with its table beside it.

use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::analysis::{self, Dashboard, Explore, Explored, Panel, Uploaded};
use lantern_app::data::DataFile;
use lantern_app::policy::Action;
use minijinja::context;
use serde::Deserialize;

use crate::auth::{allow_here, check_csrf};
use crate::charts::{Chart, ChartKind, Point, Scale, Series};
use crate::intake::Parts;
use crate::{Failure, Site, private_page, read, render};

/// The largest file the upload page takes.
pub const MAX_UPLOAD_BYTES: u64 = 16 << 20;

/// The upload route's body limit: the file and the form's other fields.
pub const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES as usize + 64 * 1024;

/// The explorer's filters, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExploreQuery {
    indicator: Option<String>,
    area: Option<String>,
    period: Option<String>,
    breakdown: Option<String>,
}

impl ExploreQuery {
    fn asked(&self) -> Explore {
        Explore {
            indicator: self.indicator.clone(),
            area: self.area.clone(),
            period: self.period.clone(),
            breakdown: self.breakdown.clone(),
        }
    }
}

/// A read's result with bad input kept for the page to show, and every
/// other failure returned as one (so the connection it failed on is
/// closed, not reused).
fn only_invalid<T>(result: lantern_app::Result<T>) -> lantern_app::Result<lantern_app::Result<T>> {
    match result {
        Err(e) if e.kind() != lantern_app::Kind::Invalid => Err(e),
        other => Ok(other),
    }
}

/// Read the explorer's figures; a filter naming something not held comes
/// back as the message to show.
async fn explored(
    site: &Arc<Site>,
    username: &str,
    q: &ExploreQuery,
) -> Result<Result<Explored, String>, Failure> {
    let ctx = site.context(username);
    let asked = q.asked();
    let found = read(site, move |store| {
        only_invalid(analysis::explore(&ctx, store, &asked))
    })
    .await?;
    match found {
        Ok(found) => Ok(Ok(found)),
        Err(e) if e.kind() == lantern_app::Kind::Invalid => Ok(Err(e.message().to_string())),
        Err(e) => Err(crate::failure(e)),
    }
}

/// `GET /figures/explore`: the figures held, with provenance, differences
/// between sources and counts from records against reported figures.
pub(crate) async fn explore(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<ExploreQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewFigures).await?;
    let (found, error) = match explored(&site, &visitor.actor.username, &q).await? {
        Ok(found) => (Some(found), None),
        Err(message) => {
            // Show the choosers again, for the indicator alone.
            let retry = ExploreQuery {
                indicator: q.indicator.clone(),
                ..ExploreQuery::default()
            };
            let again = explored(&site, &visitor.actor.username, &retry).await?.ok();
            (again, Some(message))
        }
    };
    let field = error.as_deref().map(|m| {
        ["area", "period", "breakdown"]
            .into_iter()
            .find(|f| m.starts_with(&format!("{f}:")))
            .unwrap_or("indicator")
    });
    let csv_link = format!("/figures/explore.csv?{}", query_of(&q));
    let html = render(
        &site,
        "figures_explore.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            form => context! {
                indicator => q.indicator.clone().unwrap_or_default(),
                area => q.area.clone().unwrap_or_default(),
                period => q.period.clone().unwrap_or_default(),
                breakdown => q.breakdown.clone().unwrap_or_default(),
            },
            error => error.as_ref().map(|m| context! { field => field, message => m }),
            manage => policy_allows(&visitor, Action::ManageFigures),
            csv => csv_link,
            found => found.as_ref().map(|f| explored_view(f, error.is_some())),
        },
    )?;
    let mut response = private_page(html);
    if error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

fn policy_allows(visitor: &crate::auth::Visitor, action: Action) -> bool {
    lantern_app::policy::may(
        Some(&visitor.actor),
        action,
        &lantern_app::policy::Resource::council(&visitor.actor.council),
    )
    .allowed()
}

fn explored_view(f: &Explored, choosers_only: bool) -> minijinja::Value {
    let unit = f.indicator.unit;
    context! {
        data_version => f.data_version,
        indicator => context! { code => f.indicator.code.clone(), title => f.indicator.title.clone(), description => f.indicator.description.clone() },
        indicators => f.indicators.iter().map(|(c, t)| context! { code => c, title => t }).collect::<Vec<_>>(),
        areas => f.areas.clone(),
        periods => f.periods.clone(),
        breakdowns => f.breakdowns.iter().map(|(k, w)| context! { key => if k.is_empty() { "total".to_string() } else { k.clone() }, words => w }).collect::<Vec<_>>(),
        rows => if choosers_only { vec![] } else { f.figures.iter().map(|r| context! {
            area => r.figure.area.clone(),
            period => r.figure.period.to_string(),
            breakdown => r.breakdown.clone(),
            value => r.value.clone(),
            source => r.figure.source.code(),
            status => format!("{:?}", r.figure.status).to_lowercase(),
            file => r.figure.provenance.file.clone(),
            line => r.figure.provenance.line,
            import => r.figure.provenance.import,
            actor => r.figure.provenance.actor.clone(),
            at => r.figure.provenance.imported_at.clone(),
        }).collect::<Vec<_>>() },
        differences => f.differences.iter().map(|d| context! {
            area => d.area.clone(),
            period => d.period.to_string(),
            breakdown => analysis_words(f, &d.breakdown),
            amounts => d.amounts.iter().map(|(s, a)| format!("{}: {}", s.code(), lantern_core::figure::format_amount(*a, unit))).collect::<Vec<_>>().join("; "),
            spread => lantern_core::figure::format_amount(d.spread(), unit),
        }).collect::<Vec<_>>(),
        quality => f.quality.iter().map(|q| context! {
            area => q.area.clone(), period => q.period.clone(), breakdown => q.breakdown.clone(),
            records => q.from_records.clone(), reported => q.reported.clone(),
            difference => q.difference,
        }).collect::<Vec<_>>(),
    }
}

fn analysis_words(f: &Explored, breakdown: &lantern_core::figure::Breakdown) -> String {
    let key = breakdown.key();
    f.breakdowns
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, w)| w.clone())
}

fn query_of(q: &ExploreQuery) -> String {
    [
        ("indicator", &q.indicator),
        ("area", &q.area),
        ("period", &q.period),
        ("breakdown", &q.breakdown),
    ]
    .into_iter()
    .filter_map(|(n, v)| {
        v.as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| format!("{n}={}", crate::query_value(v)))
    })
    .collect::<Vec<_>>()
    .join("&")
}

/// `GET /figures/explore.csv`: the figures the explorer shows, with their
/// provenance, as CSV.
pub(crate) async fn explore_csv(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<ExploreQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewFigures).await?;
    let found = explored(&site, &visitor.actor.username, &q)
        .await?
        .map_err(Failure::BadRequest)?;
    let mut out = String::from(
        "indicator,area,period,breakdown,value,source,status,file,line,import,imported_by,imported_at\r\n",
    );
    for r in &found.figures {
        let cells = [
            r.figure.indicator.clone(),
            r.figure.area.clone(),
            r.figure.period.to_string(),
            r.breakdown.clone(),
            r.value.clone(),
            r.figure.source.code().to_string(),
            format!("{:?}", r.figure.status).to_lowercase(),
            r.figure.provenance.file.clone(),
            r.figure.provenance.line.to_string(),
            r.figure.provenance.import.to_string(),
            r.figure.provenance.actor.clone(),
            r.figure.provenance.imported_at.clone(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    Ok(csv_download(
        &format!("figures-{}.csv", found.indicator.code),
        out,
    ))
}

/// One CSV cell, quoted when it must be, a leading apostrophe before what a
/// spreadsheet would take for a formula.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn csv_download(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// What the upload page shows after a try.
#[derive(Default)]
struct UploadShown {
    error: Option<String>,
    problems: Option<lantern_app::import::FileProblems>,
    imported: Option<String>,
    recomputed: Option<String>,
}

fn upload_page(
    site: &Site,
    visitor: &crate::auth::Visitor,
    status: StatusCode,
    shown: &UploadShown,
) -> Result<Response, Failure> {
    let html = render(
        site,
        "figures_upload.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            error => shown.error.clone(),
            imported => shown.imported.clone(),
            recomputed => shown.recomputed.clone(),
            problems => shown.problems.as_ref().map(|p| context! {
                file => p.file.clone(),
                count => p.problems.len(),
                rows => p.problems.iter().map(|r| context! {
                    line => r.line,
                    field => r.field.clone().unwrap_or_else(|| "(the row)".to_string()),
                    reason => r.message.clone(),
                }).collect::<Vec<_>>(),
            }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /figures/upload`: the upload form and the recompute button.
pub(crate) async fn upload_form(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageFigures).await?;
    upload_page(&site, &visitor, StatusCode::OK, &UploadShown::default())
}

/// `POST /figures/upload`: take in a figures, statements or releases file;
/// its problems (line, field, reason) on the page when it has any.
pub(crate) async fn upload(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageFigures).await?;
    let parts = Parts::read(&site, request, "file", MAX_UPLOAD_BYTES).await?;
    check_csrf(&visitor, parts.field("csrf"))?;
    let refuse = |status: StatusCode, message: String| {
        upload_page(
            &site,
            &visitor,
            status,
            &UploadShown {
                error: Some(message),
                ..UploadShown::default()
            },
        )
    };
    if parts.too_large {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The file must be smaller than {} MB; split it into smaller files, or import it with lantern import",
                MAX_UPLOAD_BYTES >> 20
            ),
        );
    }
    let kind = match parts.field("kind") {
        Some("figures") => DataFile::Figures,
        Some("statements") => DataFile::Statements,
        Some("releases") => DataFile::Releases,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Choose what the file holds: figures, statements or releases".to_string(),
            );
        }
    };
    let Some((name, bytes)) = parts.file else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Choose the CSV or XLSX file to upload".to_string(),
        );
    };
    let name = name.unwrap_or_else(|| "the uploaded file".to_string());
    let ctx = site.context(&visitor.actor.username);
    let done = crate::blocking(move || analysis::upload(&ctx, kind, &name, &bytes)).await?;
    match done {
        Ok(Uploaded::Imported(receipt)) => upload_page(
            &site,
            &visitor,
            StatusCode::OK,
            &UploadShown {
                imported: Some(format!(
                    "Import {}: {} rows read, {} new, {} replaced, {} unchanged. Data version {}.",
                    receipt.import,
                    receipt.rows,
                    receipt.added,
                    receipt.replaced,
                    receipt.unchanged,
                    receipt.data_version
                )),
                ..UploadShown::default()
            },
        ),
        Ok(Uploaded::Refused(problems)) => upload_page(
            &site,
            &visitor,
            StatusCode::BAD_REQUEST,
            &UploadShown {
                problems: Some(problems),
                ..UploadShown::default()
            },
        ),
        Err(e) if e.kind() == lantern_app::Kind::Invalid => {
            refuse(StatusCode::BAD_REQUEST, e.message().to_string())
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// The recompute form: only its secret.
#[derive(Debug, Deserialize)]
pub(crate) struct RecomputeForm {
    csrf: Option<String>,
}

/// `POST /figures/recompute`: recompute every figure from the providers'
/// records held (audited with who asked).
pub(crate) async fn recompute(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<RecomputeForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageFigures).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let ctx = site.context(&visitor.actor.username);
    let done = crate::act(move || analysis::recompute(&ctx)).await?;
    upload_page(
        &site,
        &visitor,
        StatusCode::OK,
        &UploadShown {
            recomputed: Some(format!(
                "Recomputed {} figure sets for {} areas from {} records: {} new, {} replaced, {} unchanged, {} retired. Data version {}.",
                done.figure_sets,
                done.areas,
                done.records,
                done.added,
                done.replaced,
                done.unchanged,
                done.retired,
                done.data_version
            )),
            ..UploadShown::default()
        },
    )
}

/// The dashboards' query: the area, and for the CSV the chart.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardQuery {
    area: Option<String>,
    chart: Option<String>,
    /// The indicator the comparison of areas shows.
    compare: Option<String>,
}

/// A dashboard panel as a chart.
pub(crate) fn chart_of(panel: &Panel) -> Chart {
    let scale = if panel.percent {
        Scale::Percent
    } else {
        Scale::Count
    };
    Chart {
        id: panel.id.to_string(),
        title: panel.title.clone(),
        kind: if panel.line {
            ChartKind::Line
        } else {
            ChartKind::Bar
        },
        value_label: panel.value_label.to_string(),
        scale,
        years: panel.years.clone(),
        series: panel
            .series
            .iter()
            .map(|(name, cells)| Series {
                name: name.clone(),
                points: cells
                    .iter()
                    .map(|c| Point {
                        value: c.amount,
                        shown: c.shown.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

async fn dashboard_of(
    site: &Arc<Site>,
    username: &str,
    area: Option<String>,
    compare: Option<String>,
) -> Result<Result<(Dashboard, Panel), String>, Failure> {
    let ctx = site.context(username);
    let found = read(site, move |store| {
        only_invalid(
            analysis::dashboard(&ctx, store, area.as_deref()).and_then(|d| {
                let panel = analysis::comparison(&ctx, store, &d.area, compare.as_deref())?;
                Ok((d, panel))
            }),
        )
    })
    .await?;
    match found {
        Ok(d) => Ok(Ok(d)),
        Err(e) if e.kind() == lantern_app::Kind::Invalid => Ok(Err(e.message().to_string())),
        Err(e) => Err(crate::failure(e)),
    }
}

/// `GET /dashboards`: charts by financial year of one of the council's
/// areas, each with its table and a CSV download.
pub(crate) async fn dashboards(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewFigures).await?;
    let found = dashboard_of(
        &site,
        &visitor.actor.username,
        q.area.clone(),
        q.compare.clone(),
    )
    .await?;
    let (dashboard, comparison, error) = match found {
        Ok((d, c)) => (Some(d), Some(c), None),
        Err(m) => (None, None, Some(m)),
    };
    let compared = q
        .compare
        .clone()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| analysis::COMPARED[0].to_string());
    let html = render(
        &site,
        "dashboards.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            error => error.clone(),
            dashboard => dashboard.as_ref().map(|d| context! {
                area => d.area.clone(),
                areas => d.areas.clone(),
                data_version => d.data_version,
                panels => d.panels.iter().map(|p| context! {
                    id => p.id,
                    title => p.title.clone(),
                    held => p.has_values(),
                    chart => minijinja::Value::from_safe_string(chart_of(p).html()),
                    csv => format!("/dashboards.csv?area={}&chart={}", crate::query_value(&d.area), p.id),
                    sources => p.sources.join("; "),
                }).collect::<Vec<_>>(),
            }),
            comparison => comparison.as_ref().map(|p| context! {
                title => p.title.clone(),
                others => p.series.len() > 1,
                chart => minijinja::Value::from_safe_string(chart_of(p).html()),
                csv => format!(
                    "/dashboards.csv?area={}&chart={}&compare={}",
                    dashboard.as_ref().map(|d| crate::query_value(&d.area)).unwrap_or_default(),
                    p.id,
                    crate::query_value(&compared)
                ),
                chosen => compared.clone(),
                choices => analysis::COMPARED.to_vec(),
            }),
        },
    )?;
    let mut response = private_page(html);
    if error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /dashboards.csv?chart=…&area=…`: one chart's table as CSV.
pub(crate) async fn dashboard_csv(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewFigures).await?;
    let (dashboard, comparison) = dashboard_of(
        &site,
        &visitor.actor.username,
        q.area.clone(),
        q.compare.clone(),
    )
    .await?
    .map_err(Failure::BadRequest)?;
    let wanted = q.chart.as_deref().unwrap_or_default();
    let panel = dashboard
        .panels
        .iter()
        .chain(std::iter::once(&comparison))
        .find(|p| p.id == wanted)
        .ok_or_else(|| {
            Failure::BadRequest(format!(
                "chart: {wanted:?} is not a dashboard chart; use one of: {}",
                dashboard
                    .panels
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    Ok(csv_download(
        &format!("{}-{}.csv", panel.id, dashboard.area),
        chart_of(panel).csv(),
    ))
}
