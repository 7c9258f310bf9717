//! Published figures and the publication calendar: `/figures` (the
//! indicators with publications), `/figures/{indicator}` (the newest
//! publication's tables, labelled in words), `/api/figures` (published
//! cells as JSON, paged the API's one way (`page`, `per_page`, links,
//! [`crate::api::Paging`]); filters `indicator`, `area`, `period`),
//! `/figures.csv` (every cell the filters find), `/publications` and
//! `/api/publications` (planned publications, late ones shown as late),
//! and for analysts and administrators `/publishing` with its two forms
//! (publish, plan). An unknown filter, or a value nothing was published
//! for, is a 400 saying so. The rules are `lantern_app::publishing`'s.
//!
//! `/figures`, `/figures/{indicator}` and `/api/figures` are kept once
//! rendered (`crate::kept`), each with the published figures' version it
//! was read at (`lantern_app::publishing::PublishedVersion`: how many
//! publications and catalogue layers there are, and the newest of each).
//! Every request still reads the version (one statement, no rows) and is
//! given a kept page only when it is the same, so a publication made
//! through any process shows at once. This holds because those pages are
//! a function of the request, of the publications with their cells and of
//! the catalogue, which are only ever added to (a publication and its
//! cells in one transaction), and of what the server fixed at start (the
//! council's name, the templates); they depend on no date and no visitor.
//! The calendar (`/publications`: late plans depend on today) and the
//! CSV are not kept.

use std::sync::Arc;

use axum::Form;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::Kind;
use lantern_app::policy::Action;
use lantern_app::publishing::{self, FigureFilters, Plan, Publish, PublishedVersion};
use minijinja::context;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{ApiError, PageLinks, Paging};
use crate::auth::{Visitor, allow_here, check_csrf};
use crate::kept::{PageKey, Rendering};
use crate::{Failure, Site, blocking, private_page, read, render};

/// The published figures' version now, and the page kept for `key` if it
/// is current.
async fn kept(
    site: &Arc<Site>,
    key: &PageKey,
) -> Result<(PublishedVersion, Option<Bytes>), Failure> {
    let version = read(site, publishing::published_version).await?;
    Ok((version, site.figure_pages.get(key, version)))
}

/// A kept or new JSON reply, as `crate::json` gives one.
fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The filters of `/api/figures` and `/figures.csv`; any other is refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FigureQuery {
    indicator: Option<String>,
    area: Option<String>,
    period: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

const PARAMETERS: &str = "published figures take indicator, area, period, page and per_page";

/// One published cell, as the publication gives it: the count only where
/// it is given exactly.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct FigureOut {
    /// The publication's reference.
    reference: String,
    /// The indicator's code (what the `indicator` filter takes).
    indicator: String,
    /// The indicator's name.
    indicator_name: String,
    /// The area's code (what the `area` filter takes).
    area: String,
    /// The table's caption.
    table: String,
    /// The period (what the `period` filter takes: `2018/19`).
    period: String,
    /// The period in words.
    period_label: String,
    /// The breakdown in words (empty for a total).
    breakdown: String,
    /// What the publication says ("fewer than 5").
    figure: String,
    /// The count, when it is given exactly; else null.
    value: Option<i64>,
    /// `shown`, `fewer_than`, `withheld` or `not_available`.
    status: String,
}

impl From<publishing::PublicCell> for FigureOut {
    fn from(c: publishing::PublicCell) -> FigureOut {
        FigureOut {
            reference: c.reference,
            indicator: c.indicator,
            indicator_name: c.indicator_name,
            area: c.area,
            table: c.table,
            period: c.period,
            period_label: c.period_label,
            breakdown: c.breakdown,
            figure: c.figure,
            value: c.value,
            status: c.status.to_string(),
        }
    }
}

/// A page of published cells, paged the API's one way.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct FigureList {
    /// The cells on this page, newest publication first.
    items: Vec<FigureOut>,
    /// How many cells the filters find.
    total: usize,
    /// This page, from 1.
    page: usize,
    /// Cells per page.
    per_page: usize,
    /// How many pages there are (at least 1).
    pages: usize,
    /// This page, the next and the one before.
    links: PageLinks,
}

/// The cells the query asks for, or the refusal's message.
/// `per_page` is the API's page size, checked ([`Paging`]); none for the
/// CSV, which has every cell.
async fn find(
    site: &Arc<Site>,
    q: Result<Query<FigureQuery>, QueryRejection>,
    all: bool,
) -> Result<Result<(FigureFilters, publishing::FiguresPage), ApiError>, Failure> {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return Ok(Err(crate::api::query_refused(&e, PARAMETERS))),
    };
    let per_page = if all {
        None
    } else {
        match Paging::read(q.page.as_deref(), q.per_page.as_deref()) {
            Ok(p) => Some(p.per_page),
            Err(e) => return Ok(Err(e)),
        }
    };
    let filters = FigureFilters {
        indicator: q.indicator,
        area: q.area,
        period: q.period,
        page: q.page,
        per_page,
    };
    read(site, move |store| {
        match publishing::figures(store, &filters, all) {
            Err(e) if e.kind() == Kind::Invalid => {
                // The use case names the filter at fault first (`area=…: …`).
                let message = e.message().to_string();
                let field = ["indicator", "area", "period", "page", "per_page"]
                    .into_iter()
                    .find(|f| message.starts_with(&format!("{f}=")));
                Ok(Err(match field {
                    Some(f) => ApiError::field(f, message),
                    None => ApiError::new(StatusCode::BAD_REQUEST, message),
                }))
            }
            other => other.map(|found| Ok((filters, found))),
        }
    })
    .await
}

/// `GET /api/figures`: published cells, filtered and paged.
#[utoipa::path(get, path = "/api/figures", tag = "public",
    params(
        ("indicator" = Option<String>, Query, description = "An indicator code"),
        ("area" = Option<String>, Query, description = "An area code"),
        ("period" = Option<String>, Query, description = "A period"),
        ("page" = Option<String>, Query, description = "The page, from 1"),
        ("per_page" = Option<String>, Query, description = "Cells per page, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "Published cells, newest publication first", body = FigureList),
        (status = 400, description = "A parameter or value that cannot be taken", body = crate::api::ApiError),
    ),
    security(()))]
pub(crate) async fn api_figures(
    State(site): State<Arc<Site>>,
    RawQuery(raw): RawQuery,
    q: Result<Query<FigureQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let key = (Rendering::ApiFigures, raw.unwrap_or_default());
    let (version, kept) = kept(&site, &key).await?;
    if let Some(body) = kept {
        return Ok(json_body(body));
    }
    Ok(match find(&site, q, false).await? {
        Ok((filters, found)) => {
            let paging = Paging {
                page: found.page,
                per_page: found.per_page,
            };
            let links = paging.links(
                "/api/figures",
                &[
                    ("indicator", filters.indicator.unwrap_or_default()),
                    ("area", filters.area.unwrap_or_default()),
                    ("period", filters.period.unwrap_or_default()),
                ],
                found.pages,
            );
            let list = FigureList {
                items: found.figures.into_iter().map(Into::into).collect(),
                total: found.total,
                page: found.page,
                per_page: found.per_page,
                pages: found.pages,
                links,
            };
            let value = serde_json::to_value(&list).map_err(|e| Failure::Internal(e.into()))?;
            let body = Bytes::from(format!("{value:#}\n"));
            site.figure_pages.put(key, version, body.clone());
            json_body(body)
        }
        Err(refusal) => refusal.into_response(),
    })
}

pub(crate) async fn figures_csv(
    State(site): State<Arc<Site>>,
    q: Result<Query<FigureQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    Ok(match find(&site, q, true).await? {
        Ok((_, found)) => {
            let csv =
                publishing::to_csv(&found.figures).map_err(|e| Failure::Internal(e.into()))?;
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"published-figures.csv\"".to_string(),
                    ),
                ],
                csv,
            )
                .into_response()
        }
        Err(refusal) => (StatusCode::BAD_REQUEST, format!("{}\n", refusal.message)).into_response(),
    })
}

pub(crate) async fn index(State(site): State<Arc<Site>>) -> Result<Response, Failure> {
    let key = (Rendering::Figures, String::new());
    let (version, kept) = kept(&site, &key).await?;
    if let Some(body) = kept {
        return Ok(crate::public::html_body(body));
    }
    let indicators = read(&site, publishing::published_indicators).await?;
    let html = render(
        &site,
        "figures.html.j2",
        context! {
            council => site.council.clone(),
            indicators => minijinja::Value::from(minijinja::value::Serde(&indicators)),
        },
    )?;
    let body = Bytes::from(html);
    site.figure_pages.put(key, version, body.clone());
    Ok(crate::public::html_body(body))
}

/// A publication's table as a chart by financial year (`crate::charts`)
/// with its table beside it: one series per breakdown value (the indicator
/// for totals); a figure not given exactly ("fewer than 5", withheld, not
/// held) is not drawn and the table says what the publication says.
fn chart(page: &publishing::IndicatorPage, n: usize, t: &publishing::PublishedTable) -> String {
    use crate::charts::{Chart, ChartKind, Point, Scale, Series};
    let mut years: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for r in &t.rows {
        if !years.contains(&r.period_label) {
            years.push(r.period_label.clone());
        }
        let name = if r.breakdown.is_empty() {
            page.title.clone()
        } else {
            r.breakdown.clone()
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let series = names
        .iter()
        .map(|name| Series {
            name: name.clone(),
            points: years
                .iter()
                .map(|year| {
                    let row = t.rows.iter().find(|r| {
                        &r.period_label == year
                            && (if r.breakdown.is_empty() {
                                &page.title
                            } else {
                                &r.breakdown
                            }) == name
                    });
                    match row {
                        Some(r) => match r.value {
                            Some(v) if r.status == "shown" && !page.money => {
                                let mut p = Point::value(v as f64, Scale::Count);
                                p.shown = r.figure.clone();
                                p
                            }
                            _ => Point::not_drawn(r.figure.clone()),
                        },
                        None => Point::not_drawn("not published"),
                    }
                })
                .collect(),
        })
        .collect();
    let mut unit = page.unit.clone();
    if let Some(first) = unit.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    Chart {
        id: format!("chart-{}", n + 1),
        title: t.caption.clone(),
        kind: ChartKind::Bar,
        value_label: unit,
        scale: Scale::Count,
        years,
        series,
    }
    .html()
}

pub(crate) async fn indicator(
    State(site): State<Arc<Site>>,
    Path(code): Path<String>,
) -> Result<Response, Failure> {
    let key = (Rendering::Figure, code.clone());
    let (version, kept) = kept(&site, &key).await?;
    if let Some(body) = kept {
        return Ok(crate::public::html_body(body));
    }
    let shown = read(&site, move |store| publishing::indicator_page(store, &code)).await?;
    let charts: Vec<minijinja::Value> = shown
        .tables
        .iter()
        .enumerate()
        .map(|(n, t)| minijinja::Value::from_safe_string(chart(&shown, n, t)))
        .collect();
    let html = render(
        &site,
        "figure.html.j2",
        context! {
            council => site.council.clone(),
            page => minijinja::Value::from(minijinja::value::Serde(&shown)),
            charts => charts,
        },
    )?;
    let body = Bytes::from(html);
    site.figure_pages.put(key, version, body.clone());
    Ok(crate::public::html_body(body))
}

async fn plans(site: &Arc<Site>) -> Result<Vec<publishing::Planned>, Failure> {
    let today = site.clock.today_in(&site.zone);
    read(site, move |store| publishing::calendar(store, today)).await
}

pub(crate) async fn calendar(State(site): State<Arc<Site>>) -> Result<Response, Failure> {
    let plans = plans(&site).await?;
    crate::page(
        &site,
        "publications.html.j2",
        context! {
            council => site.council.clone(),
            plans => minijinja::Value::from(minijinja::value::Serde(&plans)),
        },
    )
}

/// One planned publication.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PlannedOut {
    /// The planned day (YYYY-MM-DD).
    planned_on: String,
    /// The indicator's code.
    indicator: String,
    /// Its name.
    indicator_name: String,
    /// The period in words.
    period: String,
    /// `published`, `planned` or `late` (the day passed unpublished).
    status: String,
    /// The day it was published, when it was; else null.
    published_on: Option<String>,
}

/// The publication calendar.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct CalendarOut {
    /// Every planned publication, by day.
    publications: Vec<PlannedOut>,
}

/// `GET /api/publications`: the publication calendar.
#[utoipa::path(get, path = "/api/publications", tag = "public",
    responses((status = 200, description = "The publication calendar", body = CalendarOut)),
    security(()))]
pub(crate) async fn api_calendar(State(site): State<Arc<Site>>) -> Result<Response, Failure> {
    let plans = plans(&site).await?;
    let calendar = CalendarOut {
        publications: plans
            .into_iter()
            .map(|p| PlannedOut {
                planned_on: p.planned_on,
                indicator: p.indicator,
                indicator_name: p.indicator_name,
                period: p.period,
                status: p.status.to_string(),
                published_on: p.published_on,
            })
            .collect(),
    };
    Ok(crate::json(
        serde_json::to_value(&calendar).map_err(|e| Failure::Internal(e.into()))?,
    ))
}

/// What the two forms send (each only its own fields).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub(crate) struct PublishingForm {
    csrf: Option<String>,
    indicator: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    plan_indicator: Option<String>,
    plan_period: Option<String>,
    plan_on: Option<String>,
}

fn publishing_page(
    site: &Site,
    visitor: &Visitor,
    status: StatusCode,
    form: &PublishingForm,
    error: Option<(&str, String)>,
    done: Option<String>,
) -> Result<Response, Failure> {
    let html = render(
        site,
        "publishing.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            form => minijinja::Value::from(minijinja::value::Serde(form)),
            error => error.map(|(field, message)| context! { field => field, message => message }),
            done => done,
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /publishing`: the forms.
pub(crate) async fn publishing_forms(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::Publish).await?;
    publishing_page(
        &site,
        &visitor,
        StatusCode::OK,
        &PublishingForm::default(),
        None,
        None,
    )
}

/// The form field a use case's message is about.
fn field_of(message: &str, fields: [&'static str; 4]) -> &'static str {
    let [indicator, from, to, by] = fields;
    if message.starts_with("--from") {
        from
    } else if message.starts_with("--to") {
        to
    } else if message.starts_with("--by") {
        by
    } else {
        indicator
    }
}

/// `POST /publishing/publish`: publish, or say what is wrong.
pub(crate) async fn publish(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<PublishingForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::Publish).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    let asked = Publish {
        indicator: text(&form.indicator),
        from: text(&form.from),
        to: Some(text(&form.to)).filter(|t| !t.is_empty()),
        by: text(&form.by)
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .collect(),
        area: None,
    };
    let ctx = site.context(&visitor.actor.username);
    match blocking(move || publishing::publish(&ctx, &asked)).await? {
        Ok(p) => publishing_page(
            &site,
            &visitor,
            StatusCode::OK,
            &PublishingForm::default(),
            None,
            Some(format!(
                "Published {} ({}): {} figures, {} shown, {} as “fewer than”, {} withheld so that small numbers cannot be worked out.",
                p.reference, p.title, p.cells, p.given, p.fewer_than, p.withheld
            )),
        ),
        Err(e) if matches!(e.kind(), Kind::Invalid | Kind::Conflict) => {
            let message = e.message().to_string();
            let field = field_of(&message, ["indicator", "from", "to", "by"]);
            let status = if e.kind() == Kind::Invalid {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::CONFLICT
            };
            publishing_page(&site, &visitor, status, &form, Some((field, message)), None)
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// `POST /publishing/plan`: add a planned publication.
pub(crate) async fn plan(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<PublishingForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::Publish).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    let asked = Plan {
        indicator: text(&form.plan_indicator),
        period: text(&form.plan_period),
        on: text(&form.plan_on),
    };
    let ctx = site.context(&visitor.actor.username);
    match blocking(move || publishing::plan(&ctx, &asked)).await? {
        Ok(_) => publishing_page(
            &site,
            &visitor,
            StatusCode::OK,
            &PublishingForm::default(),
            None,
            Some("Added to the publication calendar.".to_string()),
        ),
        Err(e) if e.kind() == Kind::Invalid => {
            let message = e.message().to_string();
            let field = if message.starts_with("period") {
                "plan_period"
            } else if message.contains("YYYY-MM-DD") {
                "plan_on"
            } else {
                "plan_indicator"
            };
            publishing_page(
                &site,
                &visitor,
                StatusCode::BAD_REQUEST,
                &form,
                Some((field, message)),
                None,
            )
        }
        Err(e) => Err(crate::failure(e)),
    }
}
