//! Publishing figures for the public, and the publication calendar.
//!
//! Publishing is a release. [`publish`] decides an indicator's figures for
//! a span of financial years (its totals, and each breakdown asked for) as
//! the answer planner decides a request (`crate::answering::decide`), so
//! disclosure control sees everything ever released: every council's
//! answers and earlier publications in the disclosure log about the area,
//! and the totals releases in the calendar have published. Small counts
//! are shown as "fewer than N" (the council's threshold), never the
//! number, and complementary cells are withheld. The cells as published
//! become disclosure-log lines under the publication's reference (`PUB-…`)
//! in the same transaction as the publication and its audit entry, so
//! later answers are checked against it; the write is refused when the log
//! grew while the figures were being decided (the two releases could
//! combine).
//!
//! The public reads publications here ([`published_indicators`],
//! [`indicator_page`], [`figures`]) and the calendar ([`calendar`]):
//! planned publications set by analysts and administrators ([`plan`]), a
//! planned day that passed unpublished shown as late, never hidden.

use jiff::civil::Date;
use lantern_core::catalogue::Catalogue;
use lantern_core::period::Period;
use lantern_store::Store;
use lantern_store::publications::{
    NewPlan, NewPublication, PublishedCell, PublishedQuery, StoredPublication,
};
use serde::Serialize;

use crate::{Context, Error, Result};

/// How many published cells one page holds when the filters do not say.
pub const PAGE_SIZE: usize = 100;

/// What to publish.
#[derive(Debug, Clone, Default)]
pub struct Publish {
    /// The indicator's code.
    pub indicator: String,
    /// The first financial year (`2016/17`).
    pub from: String,
    /// The last financial year; the first when `None`.
    pub to: Option<String>,
    /// Breakdowns to publish beside the totals (dimension codes).
    pub by: Vec<String>,
    /// The area (ONS code); the council's when `None`.
    pub area: Option<String>,
}

/// A publication made.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// Its reference.
    pub reference: String,
    /// Its title.
    pub title: String,
    /// How many cells it published.
    pub cells: usize,
    /// How many of them are shown exactly.
    pub given: usize,
    /// How many show a small count as "fewer than N".
    pub fewer_than: usize,
    /// How many are withheld so that small numbers cannot be worked out.
    pub withheld: usize,
    /// The planner's points for the publisher.
    pub warnings: Vec<String>,
}

/// A financial year as given, or why not.
fn financial_year(what: &str, given: &str) -> Result<Period> {
    let period = Period::parse(given).map_err(|e| {
        Error::invalid(format!(
            "{what} {given}: {e}; write a financial year such as 2018/19"
        ))
    })?;
    if !matches!(period, Period::FinancialYear(_)) {
        crate::fail!(
            Invalid,
            "{what} {given}: publications cover whole financial years; write one such as 2018/19"
        );
    }
    Ok(period)
}

/// A TOML string.
fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The request the planner decides for a publication.
fn request_text(
    reference: &str,
    day: Date,
    area: &str,
    title: (&str, &str),
    indicator: &str,
    periods: &str,
    by: &[(String, String)],
) -> String {
    let mut text = format!(
        "reference = {}\nreceived = {day}\nanswered = {day}\narea = {}\n",
        quoted(reference),
        quoted(area)
    );
    let mut question = |number: usize, text_of: &str, breakdown: Option<&str>| {
        text.push_str(&format!(
            "\n[[question]]\nnumber = \"{number}\"\ntext = {}\nindicator = {}\nperiods = [{}]\n",
            quoted(text_of),
            quoted(indicator),
            quoted(periods)
        ));
        if let Some(b) = breakdown {
            text.push_str(&format!("breakdown = [{}]\n", quoted(b)));
        }
    };
    let (name, span) = title;
    question(1, &format!("{name}, {span}"), None);
    for (i, (code, words)) in by.iter().enumerate() {
        question(i + 2, &format!("{name} by {words}, {span}"), Some(code));
    }
    text
}

/// The cells of a letter's JSON form as published: each row of each
/// question (its caption the question's words: "People in treatment by
/// sex, 2022/23 to 2023/24"), in words; a value only where the row gives
/// one exactly.
fn cells(view: &serde_json::Value) -> Vec<PublishedCell> {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    for q in view["questions"].as_array().into_iter().flatten() {
        let caption = s(&q["text"]);
        for r in q["rows"].as_array().into_iter().flatten() {
            let decision = s(&r["decision"]);
            let value = match (decision.as_str(), r["value"]["kind"].as_str()) {
                ("given", Some("exact" | "zero")) => r["value"]["amount"].as_i64(),
                _ => None,
            };
            out.push(PublishedCell {
                caption: caption.clone(),
                period: s(&r["period"]),
                period_label: s(&r["period_label"]),
                breakdown: s(&r["breakdown"]),
                breakdown_label: s(&r["breakdown_label"]),
                decision,
                value,
                released: s(&r["text"]),
            });
        }
    }
    out
}

/// Whether a cell shows a small count as "fewer than N".
fn is_fewer_than(c: &PublishedCell) -> bool {
    c.decision == "suppressed" && c.released.starts_with("fewer than")
}

/// Publish an indicator's figures for a span of financial years: decided
/// under disclosure control against everything ever released, recorded in
/// the disclosure log, audited (see the module's docs).
pub fn publish(ctx: &Context, asked: &Publish) -> Result<Published> {
    ctx.name_writer("publish");
    let mut store = ctx.open()?;
    let catalogue = store.catalogue()?;
    let indicator = catalogue.indicator(&asked.indicator)?;
    let from = financial_year("--from", &asked.from)?;
    let to = match &asked.to {
        Some(to) => financial_year("--to", to)?,
        None => from,
    };
    if to.first_day() < from.first_day() {
        crate::fail!(
            Invalid,
            "--from {from} is after --to {to}: give the earlier financial year first"
        );
    }
    let mut by = Vec::new();
    for code in &asked.by {
        let dimension = catalogue
            .dimension(code)
            .map_err(|e| Error::invalid(format!("--by {code}: {e}")))?;
        if !indicator.breakdowns.iter().any(|b| b == &dimension.code) {
            crate::fail!(
                Invalid,
                "--by {code}: {} is not broken down by {}; it can be by {}",
                indicator.title,
                dimension.title.to_lowercase(),
                if indicator.breakdowns.is_empty() {
                    "nothing".to_string()
                } else {
                    indicator.breakdowns.join(", ")
                }
            );
        }
        if !by
            .iter()
            .any(|(c, _): &(String, String)| c == &dimension.code)
        {
            by.push((dimension.code.clone(), dimension.title.to_lowercase()));
        }
    }
    let council = crate::council::in_force(ctx, store.as_ref(), None)?;
    let area = asked
        .area
        .clone()
        .or_else(|| council.area().map(str::to_string))
        .ok_or_else(|| {
            Error::invalid(
                "the council's settings name no area: give the area with --area E06000016",
            )
        })?;
    let day = ctx.today(store.as_ref())?;
    let number = store.publications()?.len() + 1;
    let reference = format!("PUB-{number:04}");
    let periods = if from == to {
        from.to_string()
    } else {
        format!("{from} to {to}")
    };
    let span = span_words(&from, &to);
    let title = format!("{}, {span}", indicator.title);
    let text = request_text(
        &reference,
        day,
        &area,
        (&indicator.title, &span),
        &indicator.code,
        &periods,
        &by,
    );
    // What the log held when disclosure control looked at it: the write is
    // refused if anything was released since.
    let log_seen = store.disclosure_log_mark()?;
    let view = crate::answering::decide(ctx, store.as_ref(), &reference, &text, None, Some(day))?;
    if !view.findings.is_empty() {
        crate::fail!(
            Conflict,
            "nothing was published: Lantern holds nothing for {}; import the figures or record them as not held, then publish again",
            view.findings
                .iter()
                .map(|f| format!("question {} ({})", f.question, f.what))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let json = serde_json::to_value(&view)?;
    let who = ctx.who();
    let entries = crate::casework::drafting::log_entries(&reference, &who.at, &json);
    let cells = cells(&json);
    let publication = NewPublication {
        reference: reference.clone(),
        indicator: indicator.code.clone(),
        area,
        from: from.to_string(),
        to: to.to_string(),
        breakdowns: by.iter().map(|(c, _)| c.clone()).collect(),
        title: title.clone(),
        data_version: view.made_with.data_version,
        log_seen,
        cells: cells.clone(),
    };
    store.publish(&publication, &entries, &who)?;
    Ok(Published {
        reference,
        title,
        cells: cells.len(),
        given: cells.iter().filter(|c| c.decision == "given").count(),
        fewer_than: cells.iter().filter(|c| is_fewer_than(c)).count(),
        withheld: cells
            .iter()
            .filter(|c| c.decision == "suppressed" && !is_fewer_than(c))
            .count(),
        warnings: view.warnings,
    })
}

/// "2016/17 to 2018/19" in words.
fn span_words(from: &Period, to: &Period) -> String {
    if from == to {
        from.describe()
    } else {
        format!("{} to {}", from.describe(), to.describe())
    }
}

/// Which state of the published figures a public page was read from:
/// how many publications there are and the newest one's id, and the same
/// of the catalogue's layers (the indicators' names, descriptions and
/// units come from the catalogue), every council's. A publication and its
/// cells are written once, in one transaction, and never changed or
/// removed; catalogue layers are only ever added. So two equal versions
/// mean the same publications, cells and catalogue, in this process or
/// another, and a front end may keep a page of published figures
/// ([`published_indicators`], [`indicator_page`], [`figures`]) it rendered
/// while the version read with each request stays the same. (The count is
/// there because PostgreSQL can commit a smaller id after a larger one.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublishedVersion([i64; 4]);

/// The published figures' [`PublishedVersion`] now: one statement, no rows read.
pub fn published_version(store: &dyn Store) -> Result<PublishedVersion> {
    Ok(PublishedVersion(store.published_version()?))
}

/// An indicator with publications, for `/figures`.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedIndicator {
    /// The indicator's code (its page's address).
    pub code: String,
    /// Its name.
    pub title: String,
    /// The newest publication's title.
    pub latest: String,
    /// When it was published (the day).
    pub published_on: String,
    /// How many publications it has.
    pub publications: usize,
}

/// Every indicator with a publication, by name.
pub fn published_indicators(store: &dyn Store) -> Result<Vec<PublishedIndicator>> {
    let catalogue = store.catalogue()?;
    let mut out: Vec<PublishedIndicator> = Vec::new();
    for p in store.publications()? {
        match out.iter_mut().find(|i| i.code == p.indicator) {
            Some(i) => i.publications += 1,
            None => out.push(PublishedIndicator {
                title: title_of(&catalogue, &p.indicator),
                code: p.indicator.clone(),
                latest: p.title.clone(),
                published_on: day_of(&p.published_at),
                publications: 1,
            }),
        }
    }
    out.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(out)
}

fn title_of(catalogue: &Catalogue, code: &str) -> String {
    catalogue
        .indicator(code)
        .map(|i| i.title.clone())
        .unwrap_or_else(|_| "An indicator no longer in the catalogue".to_string())
}

fn day_of(at: &str) -> String {
    at.get(..10).unwrap_or(at).to_string()
}

/// One table of a publication: its caption and rows.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedTable {
    /// The caption in words.
    pub caption: String,
    /// Whether its rows are broken down (a column for the breakdown).
    pub broken_down: bool,
    /// Its rows, in order.
    pub rows: Vec<PublicCell>,
}

/// A published cell as the public pages and API show it: words only, and
/// the count only where it is given exactly.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCell {
    /// The publication's reference.
    pub reference: String,
    /// The indicator's code (a filter value).
    pub indicator: String,
    /// The indicator's name.
    pub indicator_name: String,
    /// The area's code (a filter value).
    pub area: String,
    /// The table's caption.
    pub table: String,
    /// The period (a filter value: `2018/19`).
    pub period: String,
    /// The period in words.
    pub period_label: String,
    /// The breakdown in words (empty for a total).
    pub breakdown: String,
    /// What the publication says ("fewer than 5").
    pub figure: String,
    /// The count, when it is given exactly.
    pub value: Option<i64>,
    /// `shown`, `fewer_than`, `withheld` or `not_available`.
    pub status: &'static str,
}

fn status_of(c: &PublishedCell) -> &'static str {
    match c.decision.as_str() {
        "given" => "shown",
        "suppressed" if is_fewer_than(c) => "fewer_than",
        "suppressed" => "withheld",
        _ => "not_available",
    }
}

fn public_cell(
    catalogue: &Catalogue,
    f: lantern_store::publications::PublishedFigure,
) -> PublicCell {
    PublicCell {
        status: status_of(&f.cell),
        indicator_name: title_of(catalogue, &f.indicator),
        reference: f.reference,
        indicator: f.indicator,
        area: f.area,
        table: f.cell.caption,
        period: f.cell.period,
        period_label: f.cell.period_label,
        breakdown: f.cell.breakdown_label,
        figure: f.cell.released,
        value: f.cell.value,
    }
}

/// An indicator's newest publication, for its page.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorPage {
    /// The indicator's code.
    pub code: String,
    /// Its name.
    pub title: String,
    /// What it counts.
    pub description: String,
    /// The noun of its unit ("people", "£").
    pub unit: String,
    /// Whether its values are amounts of money (in pence).
    pub money: bool,
    /// The newest publication's reference.
    pub reference: String,
    /// Its title.
    pub publication: String,
    /// The day it was published.
    pub published_on: String,
    /// Its tables, in order.
    pub tables: Vec<PublishedTable>,
    /// Earlier publications of the indicator: (reference, title, day).
    pub earlier: Vec<(String, String, String)>,
}

/// An indicator's page: its newest publication; not found when it has none.
pub fn indicator_page(store: &dyn Store, code: &str) -> Result<IndicatorPage> {
    let catalogue = store.catalogue()?;
    let publications: Vec<StoredPublication> = store
        .publications()?
        .into_iter()
        .filter(|p| p.indicator == code)
        .collect();
    let Some(newest) = publications.first() else {
        crate::fail!(
            NotFound,
            "nothing is published for {code}: /figures lists the indicators with published figures"
        );
    };
    let page = store.published_figures(&PublishedQuery {
        reference: Some(newest.reference.clone()),
        limit: 100_000,
        ..PublishedQuery::default()
    })?;
    let mut tables: Vec<PublishedTable> = Vec::new();
    for f in page.figures {
        let cell = public_cell(&catalogue, f);
        match tables.last_mut() {
            Some(t) if t.caption == cell.table => {
                t.broken_down |= !cell.breakdown.is_empty();
                t.rows.push(cell);
            }
            _ => tables.push(PublishedTable {
                caption: cell.table.clone(),
                broken_down: !cell.breakdown.is_empty(),
                rows: vec![cell],
            }),
        }
    }
    let (title, description, unit, money) = match catalogue.indicator(code) {
        Ok(i) => (
            i.title.clone(),
            i.description.clone(),
            i.unit.noun().to_string(),
            i.unit == lantern_core::catalogue::Unit::Gbp,
        ),
        Err(_) => (
            title_of(&catalogue, code),
            String::new(),
            String::new(),
            false,
        ),
    };
    Ok(IndicatorPage {
        code: code.to_string(),
        title,
        description,
        unit,
        money,
        reference: newest.reference.clone(),
        publication: newest.title.clone(),
        published_on: day_of(&newest.published_at),
        tables,
        earlier: publications
            .iter()
            .skip(1)
            .map(|p| {
                (
                    p.reference.clone(),
                    p.title.clone(),
                    day_of(&p.published_at),
                )
            })
            .collect(),
    })
}

/// The filters of `/api/figures` and its CSV, as given.
#[derive(Debug, Clone, Default)]
pub struct FigureFilters {
    /// An indicator code.
    pub indicator: Option<String>,
    /// An area code.
    pub area: Option<String>,
    /// A period (any spelling Lantern reads).
    pub period: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
    /// Cells per page (from 1); [`PAGE_SIZE`] when not given.
    pub per_page: Option<usize>,
}

/// A page of published cells.
#[derive(Debug, Clone, Serialize)]
pub struct FiguresPage {
    /// The cells, newest publication first.
    pub figures: Vec<PublicCell>,
    /// How many cells the filters find.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// Cells per page.
    pub per_page: usize,
    /// How many pages.
    pub pages: usize,
}

/// Published cells as the filters ask: a page of them, or every one
/// (`all`, for downloads). A filter value nothing was published for, or
/// that is not a value at all, is refused saying which values there are.
pub fn figures(store: &dyn Store, filters: &FigureFilters, all: bool) -> Result<FiguresPage> {
    let catalogue = store.catalogue()?;
    let publications = store.publications()?;
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let indicator = given(&filters.indicator);
    if let Some(code) = &indicator
        && !publications.iter().any(|p| &p.indicator == code)
    {
        let mut known: Vec<&str> = publications.iter().map(|p| p.indicator.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        crate::fail!(
            Invalid,
            "indicator={code}: nothing is published for it; published indicators: {}",
            listed(&known)
        );
    }
    let area = given(&filters.area);
    if let Some(code) = &area
        && !publications.iter().any(|p| &p.area == code)
    {
        let mut known: Vec<&str> = publications.iter().map(|p| p.area.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        crate::fail!(
            Invalid,
            "area={code}: nothing is published for it; published areas: {}",
            listed(&known)
        );
    }
    let period = match given(&filters.period) {
        None => None,
        Some(p) => Some(
            Period::parse(&p)
                .map_err(|e| {
                    Error::invalid(format!(
                        "period={p}: {e}; write a financial year such as 2018/19"
                    ))
                })?
                .to_string(),
        ),
    };
    let page = match given(&filters.page) {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Error::invalid(format!("page={p}: write a page number from 1")))?,
    };
    let per_page = filters.per_page.unwrap_or(PAGE_SIZE);
    if per_page == 0 {
        crate::fail!(Invalid, "per_page=0: a page holds at least 1 cell");
    }
    let query = PublishedQuery {
        reference: None,
        indicator,
        area,
        period: period.clone(),
        limit: if all { 1_000_000 } else { per_page },
        offset: if all {
            0
        } else {
            (page - 1).saturating_mul(per_page)
        },
    };
    let found = store.published_figures(&query)?;
    if let Some(p) = &period
        && found.total == 0
    {
        crate::fail!(
            Invalid,
            "period={p}: nothing is published for it with these filters"
        );
    }
    let pages = found.total.div_ceil(per_page).max(1);
    if !all && page > pages {
        crate::fail!(Invalid, "page={page}: there are pages from 1 to {pages}");
    }
    Ok(FiguresPage {
        figures: found
            .figures
            .into_iter()
            .map(|f| public_cell(&catalogue, f))
            .collect(),
        total: found.total,
        page: if all { 1 } else { page },
        per_page: if all { found.total.max(1) } else { per_page },
        pages: if all { 1 } else { pages },
    })
}

fn listed(known: &[&str]) -> String {
    if known.is_empty() {
        "none yet".to_string()
    } else {
        known.join(", ")
    }
}

/// Published cells as CSV (words, and the count only where given).
pub fn to_csv(cells: &[PublicCell]) -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "publication",
        "indicator",
        "area",
        "table",
        "period",
        "breakdown",
        "figure",
        "value",
    ])
    .map_err(|e| Error::new(crate::error::Kind::Internal, format!("CSV: {e}")))?;
    for c in cells {
        out.write_record([
            c.reference.as_str(),
            c.indicator_name.as_str(),
            c.area.as_str(),
            c.table.as_str(),
            c.period_label.as_str(),
            c.breakdown.as_str(),
            c.figure.as_str(),
            &c.value.map(|v| v.to_string()).unwrap_or_default(),
        ])
        .map_err(|e| Error::new(crate::error::Kind::Internal, format!("CSV: {e}")))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::new(crate::error::Kind::Internal, format!("CSV: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::new(crate::error::Kind::Internal, format!("CSV: {e}")))
}

/// A publication planned.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The indicator's code.
    pub indicator: String,
    /// The financial year it will publish.
    pub period: String,
    /// The day it is planned for.
    pub on: String,
}

/// Add a planned publication to the calendar (audited).
pub fn plan(ctx: &Context, asked: &Plan) -> Result<i64> {
    let mut store = ctx.open()?;
    let catalogue = store.catalogue()?;
    let indicator = catalogue.indicator(&asked.indicator)?;
    let period = financial_year("period", &asked.period)?;
    let on: Date = asked.on.trim().parse().map_err(|_| {
        Error::invalid(format!("{}: write the planned day as YYYY-MM-DD", asked.on))
    })?;
    Ok(store.plan_publication(
        &NewPlan {
            indicator: indicator.code.clone(),
            period: period.to_string(),
            planned_on: on.to_string(),
        },
        &ctx.who(),
    )?)
}

/// One planned publication as the calendar shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The planned day.
    pub planned_on: String,
    /// The indicator's code.
    pub indicator: String,
    /// Its name.
    pub indicator_name: String,
    /// The period in words.
    pub period: String,
    /// `published`, `planned` or `late` (the day passed unpublished).
    pub status: &'static str,
    /// The day it was published, when it was.
    pub published_on: Option<String>,
}

/// The publication calendar on `today`: every plan, by day; one is
/// published when a publication of its indicator covers its period, late
/// when its day has passed and none does.
pub fn calendar(store: &dyn Store, today: Date) -> Result<Vec<Planned>> {
    let catalogue = store.catalogue()?;
    let publications = store.publications()?;
    let mut out = Vec::new();
    for plan in store.planned_publications()? {
        let period = Period::parse(&plan.period).ok();
        let covering = publications.iter().rev().find(|p| {
            p.indicator == plan.indicator
                && match (&period, Period::parse(&p.from), Period::parse(&p.to)) {
                    (Some(asked), Ok(from), Ok(to)) => {
                        from.first_day() <= asked.first_day() && asked.last_day() <= to.last_day()
                    }
                    _ => false,
                }
        });
        let planned_on: Option<Date> = plan.planned_on.parse().ok();
        let status = match (covering, planned_on) {
            (Some(_), _) => "published",
            (None, Some(day)) if day < today => "late",
            _ => "planned",
        };
        out.push(Planned {
            indicator_name: title_of(&catalogue, &plan.indicator),
            indicator: plan.indicator,
            period: period.map_or(plan.period.clone(), |p| p.describe()),
            planned_on: plan.planned_on,
            status,
            published_on: covering.map(|p| day_of(&p.published_at)),
        });
    }
    Ok(out)
}
