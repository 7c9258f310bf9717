//! Answering: a structured request decided from the figures held at a data
//! version and the disclosure log, into the letter's view model; figures as
//! held, and where sources disagree.
//!
//! Disclosure control here sees every answer in the log about the areas a
//! request covers, whichever council sent it: protection is per deployment.

use jiff::civil::Date;
use lantern_core::answer::{self, Evidence};
use lantern_core::catalogue::{Catalogue, Indicator};
use lantern_core::figure::{Disagreement, Figure};
use lantern_core::period::Period;
use lantern_core::request;
use lantern_core::scope::Scope;
use lantern_store::{CouncilLogEntry, FigureQuery, Snapshot, Store};

use crate::letters::{self, Format, LetterView};
use crate::{Context, Error, Result};

/// Counts of people in the disclosure-log entries `log` other than this
/// request's own: released (`given`, with its value) or withheld
/// (`suppressed`: "fewer than N", or a secondary). The entries are every
/// council's about the request's indicators and area: protection is per
/// deployment, not per council. Another council's references are written
/// `CODE:REFERENCE` (references are unique only within a council), so only
/// `mine`'s own `reference` is left out.
fn earlier_releases(
    log: &[CouncilLogEntry],
    mine: &str,
    reference: &str,
) -> Vec<answer::EarlierRelease> {
    log.iter()
        .filter(|e| !(e.council == mine && e.entry.reference == reference))
        .filter_map(|e| {
            let cell = crate::disclosure_log::known_cell(&e.entry)?;
            Some(answer::EarlierRelease {
                reference: if e.council == mine {
                    cell.source
                } else {
                    format!("{}:{}", e.council, cell.source)
                },
                sent: e.entry.sent_at.clone(),
                indicator: cell.indicator,
                area: cell.area,
                period: cell.period,
                breakdown: cell.breakdown,
                shown: cell.shown,
            })
        })
        .collect()
}

/// Decide a request given as text (`name` says where it came from, for
/// messages): the letter's view model, from the data at `data_version`
/// (the newest when `None`) and the disclosure log. The planner's warnings
/// are in the view's `warnings`.
///
/// Releases are read as of `decided`, the day of the council's decision;
/// when `None`: the context's fixed day (`--as-of`), else the day the
/// request file records it was answered, else today in the council's time
/// zone ([`Context::today`]).
///
/// Only what the request needs is read (`lantern_core::scope`): its
/// area's figures of its indicators over the periods its own chain to
/// through the log and releases, its topics' statements, the calendar, and
/// every council's log entries about its indicators in its area.
pub fn decide(
    ctx: &Context,
    store: &dyn Store,
    name: &str,
    text: &str,
    data_version: Option<i64>,
    decided: Option<Date>,
) -> Result<LetterView> {
    Ok(decide_stating(ctx, store, name, text, data_version, decided)?.0)
}

/// [`decide`], also saying the day of the decision when it was stated
/// (`decided`, `--as-of`, or the request's `answered`) rather than taken
/// from today's date.
fn decide_stating(
    ctx: &Context,
    store: &dyn Store,
    name: &str,
    text: &str,
    data_version: Option<i64>,
    decided: Option<Date>,
) -> Result<(LetterView, Option<Date>)> {
    let (data_version, catalogue) = store.catalogue_at(data_version)?;
    let request = request::parse_request(name, text, &catalogue)?;
    let stated = decided.or(ctx.clock.fixed_day()).or(request.answered);
    let decided = match stated {
        Some(day) => day,
        None => ctx.today(store)?,
    };
    // The council's settings as they stood at the data version answered from.
    let council = crate::council::in_force(ctx, store, Some(data_version))?;
    let area = request
        .area
        .clone()
        .or_else(|| council.area().map(str::to_string))
        .ok_or_else(|| {
            Error::invalid(format!(
                "{name}: the request names no area and lantern.toml sets no [council] area; add area = \"E06000016\" to one of them"
            ))
        })?;
    let policy = council.policy();
    let read = store.read_scope_in_window(data_version, &Scope::of(&request, &area))?;
    let mine = store.council_in_use()?.unwrap_or_default();
    // Providers' records for the area, when a question asks for an
    // indicator they count: cells not held as figures are counted from the
    // submissions current at the data version. Which submissions are held
    // is read first; the records themselves (megabytes for a large area)
    // only when the plan counts from them, and then it is planned again
    // with them, so the answer is the one planned with the records.
    let submissions = if asks_countable(&request.questions) {
        Some(store.submissions_held(data_version, &area)?)
    } else {
        None
    };
    // What the council, and the officer on this case, recorded as not held,
    // in force at the data version answered from; and the findings the
    // officer settled on the case otherwise (s21 offer accepted, s12).
    let declarations = store.not_held_declarations(Some(&request.reference), data_version)?;
    let settled = crate::casework::findings::settled(store, &request.reference)?;
    let earlier = earlier_releases(&read.log, &mine, &request.reference);
    let mut evidence = Evidence {
        catalogue: &catalogue,
        figures: &read.figures,
        statements: &read.statements,
        releases: &read.releases,
        policy,
        area: &area,
        earlier: &earlier,
        records: submissions.as_ref(),
        declarations: &declarations,
        settled: &settled,
    };
    let (mut planned, counted) = answer::plan_counting(&request, &evidence, decided);
    let records;
    if counted {
        records = store.records_held(data_version, &area)?;
        evidence.records = Some(&records);
        planned = answer::plan_on(&request, &evidence, decided);
    }
    let view = letters::view(
        &planned,
        &request,
        &catalogue,
        &crate::council::letter_details(&council),
        data_version,
    );
    Ok((view, stated))
}

/// Whether a question (or part) asks for an indicator records can count.
fn asks_countable(questions: &[request::Question]) -> bool {
    questions.iter().any(|q| {
        matches!(&q.ask, Some(request::Ask::Figures(f))
            if lantern_core::records::count::COUNTABLE.contains(&f.indicator.as_str()))
            || asks_countable(&q.parts)
    })
}

/// A request answered: the letter in a format, with the planner's warnings.
pub struct Answer {
    /// The letter.
    pub letter: String,
    /// Points for the officer to review.
    pub warnings: Vec<String>,
    /// Blocking findings, numbered: what nothing is recorded for.
    pub findings: Vec<String>,
}

/// Answer a request given as text, rendered in `format`.
pub fn answer(
    ctx: &Context,
    store: &dyn Store,
    name: &str,
    text: &str,
    format: Format,
    data_version: Option<i64>,
) -> Result<Answer> {
    // Not a case, so nobody to address. A request decided on a stated day
    // (`--as-of`, or the `answered` day the file records, as the example's
    // do) is dated that day, as the letter sent that day was; one decided
    // on today's date, or with a blocking finding open (it cannot be sent),
    // stays a draft ("date of sending").
    let (mut view, stated) = decide_stating(ctx, store, name, text, data_version, None)?;
    if let Some(day) = stated
        && view.findings.is_empty()
    {
        view.date_as_sent(day);
    }
    let templates =
        crate::letter_templates::in_force(ctx, store, Some(view.made_with.data_version))?;
    Ok(Answer {
        letter: templates.render(&view, format)?,
        findings: view
            .findings
            .iter()
            .map(|f| format!("blocking finding {}: {}", f.number, f.what))
            .collect(),
        warnings: view.warnings,
    })
}

/// The tables of the answer to a request given as text, as a spreadsheet
/// (s11): the same decided cells the letter prints.
pub fn spreadsheet(
    ctx: &Context,
    store: &dyn Store,
    name: &str,
    text: &str,
    sheet: crate::sheets::Sheet,
    data_version: Option<i64>,
) -> Result<Vec<u8>> {
    let view = decide(ctx, store, name, text, data_version, None)?;
    crate::sheets::write(&serde_json::to_value(&view)?, sheet)
}

/// The catalogue held in the database.
pub fn catalogue(store: &dyn Store) -> Result<Catalogue> {
    Ok(store.catalogue()?)
}

/// Which figures to list: one indicator, optionally one area and a span of
/// financial years, at a data version.
pub struct FiguresAsked<'a> {
    /// The indicator's code.
    pub indicator: &'a str,
    /// One area (ONS code), or every area.
    pub area: Option<&'a str>,
    /// The first financial year (periods ending before it are left out).
    pub from: Option<Period>,
    /// The last financial year (periods starting after it are left out).
    pub to: Option<Period>,
    /// The data version (the newest when `None`).
    pub data_version: Option<i64>,
}

/// Figures as held, before disclosure control.
pub struct FiguresHeld {
    /// The indicator listed.
    pub indicator: Indicator,
    /// The data version read.
    pub data_version: i64,
    /// The figures, in the store's order.
    pub figures: Vec<Figure>,
}

/// One financial year named by an option (`--from 2016/17`), or why not.
pub fn financial_year(text: &str, option: &str) -> Result<Period> {
    let period = Period::parse(text).map_err(|e| Error::invalid(format!("{option}: {e}")))?;
    match period.within_financial_year() {
        Some(fy) => Ok(Period::FinancialYear(fy)),
        None => Err(Error::invalid(format!(
            "{option} {text}: give one financial year, such as 2016/17"
        ))),
    }
}

fn checked_area(area: &str) -> Result<String> {
    lantern_core::figure::check_area(area).map_err(Error::invalid)
}

/// The figures held for one indicator (the analyst's view, not for
/// publication).
pub fn figures(store: &dyn Store, asked: &FiguresAsked<'_>) -> Result<FiguresHeld> {
    // The current figures of one area are read from the store by area (a
    // national store holds every area's); an earlier version is read whole.
    let snapshot = match (asked.data_version, asked.area) {
        (None, Some(a)) => {
            let area = checked_area(a)?;
            Snapshot {
                data_version: store.data_version()?,
                catalogue: store.catalogue()?,
                figures: store.figures(&FigureQuery {
                    indicator: None,
                    area: Some(area),
                })?,
                statements: vec![],
                releases: vec![],
            }
        }
        _ => store.snapshot(asked.data_version)?,
    };
    let indicator = snapshot.catalogue.indicator(asked.indicator)?.clone();
    let area = asked.area.map(checked_area).transpose()?;
    let figures = snapshot
        .figures
        .into_iter()
        .filter(|f| f.indicator == indicator.code)
        .filter(|f| area.as_ref().is_none_or(|a| &f.area == a))
        .filter(|f| {
            asked
                .from
                .is_none_or(|p| f.period.last_day() >= p.first_day())
        })
        .filter(|f| {
            asked
                .to
                .is_none_or(|p| f.period.first_day() <= p.last_day())
        })
        .collect();
    Ok(FiguresHeld {
        indicator,
        data_version: snapshot.data_version,
        figures,
    })
}

/// Where two sources hold the same figure with different amounts.
pub struct Differences {
    /// The data version read.
    pub data_version: i64,
    /// The catalogue at that version (for units).
    pub catalogue: Catalogue,
    /// Each figure the sources disagree on.
    pub found: Vec<Disagreement>,
}

/// Where sources disagree, optionally for one indicator and one area.
pub fn differences(
    store: &dyn Store,
    indicator: Option<&str>,
    area: Option<&str>,
    data_version: Option<i64>,
) -> Result<Differences> {
    let snapshot = store.snapshot(data_version)?;
    if let Some(code) = indicator {
        snapshot.catalogue.indicator(code)?;
    }
    let area = area.map(checked_area).transpose()?;
    let found = lantern_core::figure::disagreements(&snapshot.figures)
        .into_iter()
        .filter(|d| indicator.is_none_or(|i| d.indicator == i))
        .filter(|d| area.as_ref().is_none_or(|a| &d.area == a))
        .collect();
    Ok(Differences {
        data_version: snapshot.data_version,
        catalogue: snapshot.catalogue,
        found,
    })
}
