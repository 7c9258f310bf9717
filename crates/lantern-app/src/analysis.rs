//! The analysts' use cases: exploring the figures held for the council's
//! areas with their provenance, where sources differ and how counts from
//! records compare with reported figures ([`explore`]); the dashboards'
//! series by financial year ([`dashboard`]); uploading figures, statements
//! and releases with a validation report ([`upload`]); and recomputing the
//! figures from records ([`recompute`]).
//!
//! Everything is read for the council's own areas only. A figure not held
//! is never shown as zero: a cell with no figure says so, and a figure the
//! council recorded as not held says that, with its reason.

use std::collections::{BTreeMap, BTreeSet};

use lantern_core::catalogue::{Catalogue, Indicator};
use lantern_core::figure::{Breakdown, Disagreement, Figure, Source, Value, disagreements};
use lantern_core::period::Period;
use lantern_store::{FigureQuery, ImportReceipt, Store};

use crate::data::DataFile;
use crate::import::FileProblems;
use crate::{Context, Error, Result};

/// What the explorer is asked for; every filter is optional but the
/// indicator (the first indicator held when none is given).
#[derive(Debug, Clone, Default)]
pub struct Explore {
    /// The indicator's code.
    pub indicator: Option<String>,
    /// One of the council's areas (ONS code).
    pub area: Option<String>,
    /// One period, as the figures files write it ("2023/24").
    pub period: Option<String>,
    /// One breakdown, as a key (`age_band=18-24;sex=f`), or `total`.
    pub breakdown: Option<String>,
}

/// One figure as the explorer lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    /// The figure as held.
    pub figure: Figure,
    /// Its breakdown in words ("Total" for none).
    pub breakdown: String,
    /// Its value as a reader reads it ("1,204", "not held: …").
    pub value: String,
}

/// One cell (area, period, breakdown) where the count from the providers'
/// records can be set against a reported figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRow {
    /// Area code.
    pub area: String,
    /// The period.
    pub period: String,
    /// The breakdown in words.
    pub breakdown: String,
    /// The count from records, or what stands in its place.
    pub from_records: String,
    /// The reported figure answers use (first source in
    /// [`Source::ALL`] order), with its source, or what stands in its place.
    pub reported: String,
    /// Records less reported, when both are exact counts.
    pub difference: Option<i64>,
}

/// What the explorer shows.
#[derive(Debug, Clone)]
pub struct Explored {
    /// The data version read.
    pub data_version: i64,
    /// Every indicator in the catalogue (code, title), for the chooser.
    pub indicators: Vec<(String, String)>,
    /// The council's areas, for the chooser.
    pub areas: Vec<String>,
    /// The periods held for the indicator in those areas.
    pub periods: Vec<String>,
    /// The breakdowns held for the indicator (key, words).
    pub breakdowns: Vec<(String, String)>,
    /// The indicator shown.
    pub indicator: Indicator,
    /// The figures matching every filter, by area, period, breakdown, source.
    pub figures: Vec<FigureRow>,
    /// Where sources give different amounts for the same cell.
    pub differences: Vec<Disagreement>,
    /// Counts from records against reported figures.
    pub quality: Vec<QualityRow>,
}

/// A filter's text, if one was given.
fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The areas a council's analysts see: its own.
fn council_areas(ctx: &Context, store: &dyn Store) -> Result<Vec<String>> {
    let council = crate::council::in_force(ctx, store, None)?;
    Ok(council.areas().to_vec())
}

/// The current figures of the council's areas for one indicator.
fn held(store: &dyn Store, indicator: &str, areas: &[String]) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    for area in areas {
        figures.extend(store.figures(&FigureQuery {
            indicator: Some(indicator.to_string()),
            area: Some(area.clone()),
        })?);
    }
    Ok(figures)
}

/// A breakdown in words, from the catalogue's labels ("Total" for none).
pub fn breakdown_words(catalogue: &Catalogue, breakdown: &Breakdown) -> String {
    if breakdown.0.is_empty() {
        return "Total".to_string();
    }
    breakdown
        .0
        .iter()
        .map(|(dimension, value)| match catalogue.dimension(dimension) {
            Ok(d) => format!("{}: {}", d.title, d.label(value)),
            Err(_) => format!("{dimension}: {value}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value in words for the analyst: the amount, or why there is none.
fn value_words(value: &Value, indicator: &Indicator) -> String {
    match value {
        Value::NotHeld { reason } => format!("not held: {reason}"),
        Value::NotYetShareable { reason } => format!("not yet shareable: {reason}"),
        other => other.display(indicator.unit),
    }
}

/// The figures held for one indicator in the council's areas, narrowed by
/// area, period and breakdown, with where sources differ and how counts
/// from records compare with reported figures. A filter naming something
/// not held (an area not the council's, a period or breakdown with no
/// figure) is an error that says what is held.
pub fn explore(ctx: &Context, store: &dyn Store, asked: &Explore) -> Result<Explored> {
    let catalogue = store.catalogue()?;
    let data_version = store.data_version()?;
    let areas = council_areas(ctx, store)?;
    let indicator = match text(&asked.indicator) {
        Some(code) => catalogue.indicator(code)?.clone(),
        None => catalogue
            .indicators()
            .next()
            .cloned()
            .ok_or_else(|| Error::not_found("the catalogue holds no indicators"))?,
    };
    if let Some(area) = text(&asked.area)
        && !areas.iter().any(|a| a == area)
    {
        crate::fail!(
            Invalid,
            "area: {area} is not one of the council's areas; choose one of: {}",
            areas.join(", ")
        );
    }
    let all = held(store, &indicator.code, &areas)?;
    let periods: Vec<String> = all
        .iter()
        .map(|f| f.period.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let breakdowns: Vec<(String, String)> = all
        .iter()
        .map(|f| (f.breakdown.key(), breakdown_words(&catalogue, &f.breakdown)))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    let period = match text(&asked.period) {
        Some(p) => {
            let parsed = Period::parse(p)?.to_string();
            if !periods.contains(&parsed) {
                crate::fail!(
                    Invalid,
                    "period: no figure of {} is held for {p}; periods held: {}",
                    indicator.title,
                    if periods.is_empty() {
                        "none".to_string()
                    } else {
                        periods.join(", ")
                    }
                );
            }
            Some(parsed)
        }
        None => None,
    };
    let breakdown = match text(&asked.breakdown) {
        Some("total") => Some(String::new()),
        Some(key) => {
            let key = Breakdown::from_key(key).key();
            if !breakdowns.iter().any(|(k, _)| *k == key) {
                crate::fail!(
                    Invalid,
                    "breakdown: no figure of {} is held broken down as {key}; choose one the list offers",
                    indicator.title
                );
            }
            Some(key)
        }
        None => None,
    };
    let area = text(&asked.area).map(str::to_string);
    let chosen: Vec<Figure> = all
        .into_iter()
        .filter(|f| area.as_ref().is_none_or(|a| &f.area == a))
        .filter(|f| period.as_ref().is_none_or(|p| &f.period.to_string() == p))
        .filter(|f| breakdown.as_ref().is_none_or(|b| &f.breakdown.key() == b))
        .collect();
    let differences = disagreements(&chosen);
    let quality = quality(&catalogue, &indicator, &chosen);
    let figures = chosen
        .into_iter()
        .map(|figure| FigureRow {
            breakdown: breakdown_words(&catalogue, &figure.breakdown),
            value: value_words(&figure.value, &indicator),
            figure,
        })
        .collect();
    Ok(Explored {
        data_version,
        indicators: catalogue
            .indicators()
            .map(|i| (i.code.clone(), i.title.clone()))
            .collect(),
        areas,
        periods,
        breakdowns,
        indicator,
        figures,
        differences,
        quality,
    })
}

/// Counts from records set against reported figures, cell by cell, for
/// every cell that has either.
fn quality(catalogue: &Catalogue, indicator: &Indicator, figures: &[Figure]) -> Vec<QualityRow> {
    let mut cells: BTreeMap<(String, String, String), Vec<&Figure>> = BTreeMap::new();
    for f in figures {
        cells
            .entry((f.area.clone(), f.period.to_string(), f.breakdown.key()))
            .or_default()
            .push(f);
    }
    let mut rows = Vec::new();
    for ((area, period, _), held) in cells {
        let records = held.iter().find(|f| f.source == Source::LocalRecords);
        if records.is_none() {
            // Nothing from records to set against: not a quality row.
            continue;
        }
        let reported = Source::ALL
            .iter()
            .filter(|s| **s != Source::LocalRecords)
            .find_map(|s| held.iter().find(|f| f.source == *s));
        let exact = |f: Option<&&Figure>| match f.map(|f| &f.value) {
            Some(Value::Exact(n)) => Some(*n),
            Some(Value::Zero { .. }) => Some(0),
            _ => None,
        };
        let difference = match (exact(records), exact(reported)) {
            (Some(r), Some(p)) => Some(r - p),
            _ => None,
        };
        rows.push(QualityRow {
            breakdown: breakdown_words(catalogue, &held[0].breakdown),
            from_records: records.map_or_else(
                || "no count from records".to_string(),
                |f| value_words(&f.value, indicator),
            ),
            reported: reported.map_or_else(
                || "no reported figure held".to_string(),
                |f| format!("{} ({})", value_words(&f.value, indicator), f.source.code()),
            ),
            difference,
            area,
            period,
        });
    }
    rows
}

/// One value of a dashboard series.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The amount drawn, if there is one to draw.
    pub amount: Option<f64>,
    /// What the table shows.
    pub shown: String,
}

/// One dashboard chart's series by financial year.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Stable identifier (the CSV's name, the chart's id).
    pub id: &'static str,
    /// What it shows.
    pub title: String,
    /// The value axis' label.
    pub value_label: &'static str,
    /// Whether the values are percentages.
    pub percent: bool,
    /// Whether it is drawn as lines (else bars).
    pub line: bool,
    /// The financial years, in order.
    pub years: Vec<String>,
    /// The series: name, one cell per year.
    pub series: Vec<(String, Vec<Cell>)>,
    /// Where the figures came from (sources used), in words.
    pub sources: Vec<String>,
}

impl Panel {
    /// Whether any value is held for it.
    pub fn has_values(&self) -> bool {
        self.series
            .iter()
            .any(|(_, cells)| cells.iter().any(|c| c.amount.is_some()))
    }
}

/// The dashboards of one area.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The data version read.
    pub data_version: i64,
    /// The area shown.
    pub area: String,
    /// The council's areas, for the chooser.
    pub areas: Vec<String>,
    /// The charts, in the order the page shows them.
    pub panels: Vec<Panel>,
}

/// How one dashboard chart is made.
struct PanelSpec {
    id: &'static str,
    title: &'static str,
    value_label: &'static str,
    /// (indicator, dimension broken down by; none for totals)
    indicators: &'static [(&'static str, Option<&'static str>)],
    line: bool,
}

const PANELS: &[PanelSpec] = &[
    PanelSpec {
        id: "in-treatment-substance",
        title: "People in treatment by substance group",
        value_label: "People",
        indicators: &[("people_in_treatment", Some("substance_group"))],
        line: false,
    },
    PanelSpec {
        id: "in-treatment-crack",
        title: "People in treatment using crack",
        value_label: "People",
        indicators: &[("people_in_treatment", Some("crack"))],
        line: false,
    },
    PanelSpec {
        id: "in-treatment-age",
        title: "People in treatment by age band",
        value_label: "People",
        indicators: &[("people_in_treatment", Some("age_band"))],
        line: false,
    },
    PanelSpec {
        id: "in-treatment-sex",
        title: "People in treatment by sex",
        value_label: "People",
        indicators: &[("people_in_treatment", Some("sex"))],
        line: false,
    },
    PanelSpec {
        id: "new-presentations",
        title: "New presentations to treatment",
        value_label: "People",
        indicators: &[("new_presentations", None)],
        line: true,
    },
    PanelSpec {
        id: "deaths",
        title: "Deaths in treatment",
        value_label: "People",
        indicators: &[("deaths_in_treatment", None)],
        line: true,
    },
    PanelSpec {
        id: "placements",
        title: "Inpatient detox and residential rehab placements",
        value_label: "Placements",
        indicators: &[
            ("inpatient_detox_placements", None),
            ("residential_rehab_placements", None),
        ],
        line: false,
    },
    PanelSpec {
        id: "naloxone",
        title: "Naloxone kits issued",
        value_label: "Kits",
        indicators: &[("naloxone_kits_issued", None)],
        line: true,
    },
];

/// The identifier of the completions chart (a share, computed).
pub const COMPLETIONS: &str = "completions-share";

/// The figure answers would use for a cell: the first source in
/// [`Source::ALL`] order.
fn preferred<'a>(figures: impl Iterator<Item = &'a Figure>) -> Option<&'a Figure> {
    figures.min_by_key(|f| Source::ALL.iter().position(|s| *s == f.source))
}

/// A held value as a dashboard cell: drawn when it is an amount (a zero
/// the council recorded is drawn as zero; an approximate single value as
/// itself), otherwise shown in words and not drawn.
fn cell(value: Option<&Value>, indicator: &Indicator) -> Cell {
    match value {
        None => Cell {
            amount: None,
            shown: "no figure held".to_string(),
        },
        Some(Value::Exact(n)) => Cell {
            amount: Some(*n as f64),
            shown: value_words(&Value::Exact(*n), indicator),
        },
        Some(v @ Value::Approximate { low, high }) if low == high => Cell {
            amount: Some(*low as f64),
            shown: value_words(v, indicator),
        },
        Some(v @ Value::Zero { .. }) => Cell {
            amount: Some(0.0),
            shown: value_words(v, indicator),
        },
        Some(v) => Cell {
            amount: None,
            shown: value_words(v, indicator),
        },
    }
}

/// The dashboards of one of the council's areas (the first when none is
/// given): each chart's series by financial year from the figures held,
/// a year or series with no figure shown as such, never as zero.
pub fn dashboard(ctx: &Context, store: &dyn Store, area: Option<&str>) -> Result<Dashboard> {
    let catalogue = store.catalogue()?;
    let data_version = store.data_version()?;
    let areas = council_areas(ctx, store)?;
    let area = match area.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) if areas.iter().any(|x| x == a) => a.to_string(),
        Some(a) => crate::fail!(
            Invalid,
            "area: {a} is not one of the council's areas; choose one of: {}",
            areas.join(", ")
        ),
        None => areas.first().cloned().ok_or_else(|| {
            Error::invalid(
                "the council has no areas set; an administrator sets them in the council's settings",
            )
        })?,
    };
    let figures = store.figures(&FigureQuery {
        indicator: None,
        area: Some(area.clone()),
    })?;
    let yearly: Vec<&Figure> = figures
        .iter()
        .filter(|f| matches!(f.period, Period::FinancialYear(_)))
        .collect();
    let mut panels = Vec::new();
    for spec in PANELS {
        panels.push(panel(&catalogue, &yearly, spec)?);
        if spec.id == "new-presentations" {
            panels.push(completions(&catalogue, &yearly)?);
        }
    }
    Ok(Dashboard {
        data_version,
        area,
        areas,
        panels,
    })
}

fn years_of<'a>(figures: impl Iterator<Item = &'a &'a Figure>) -> Vec<String> {
    figures
        .map(|f| f.period.to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn panel(catalogue: &Catalogue, yearly: &[&Figure], spec: &PanelSpec) -> Result<Panel> {
    let mut series = Vec::new();
    let mut sources = BTreeSet::new();
    let relevant: Vec<&Figure> = yearly
        .iter()
        .copied()
        .filter(|f| spec.indicators.iter().any(|(code, _)| f.indicator == *code))
        .filter(|f| {
            spec.indicators.iter().any(|(code, dim)| {
                f.indicator == *code
                    && match dim {
                        None => f.breakdown.0.is_empty(),
                        Some(d) => f.breakdown.0.len() == 1 && f.breakdown.get(d).is_some(),
                    }
            })
        })
        .collect();
    let years = years_of(relevant.iter());
    for (code, dimension) in spec.indicators {
        let indicator = catalogue.indicator(code)?;
        let of_indicator: Vec<&Figure> = relevant
            .iter()
            .copied()
            .filter(|f| f.indicator == *code)
            .collect();
        let names: Vec<(String, String)> = match dimension {
            None => vec![(String::new(), indicator.title.clone())],
            Some(d) => {
                let dim = catalogue.dimension(d).ok();
                let held: BTreeSet<String> = of_indicator
                    .iter()
                    .filter_map(|f| f.breakdown.get(d).map(str::to_string))
                    .collect();
                let mut held: Vec<String> = held.into_iter().collect();
                if let Some(dim) = dim {
                    held.sort_by_key(|v| dim.values.iter().position(|x| &x.code == v));
                }
                held.into_iter()
                    .map(|v| {
                        let label = dim.map_or_else(|| v.clone(), |dim| dim.label(&v));
                        (v, label)
                    })
                    .collect()
            }
        };
        for (value, name) in names {
            let cells = years
                .iter()
                .map(|year| {
                    let found = preferred(of_indicator.iter().copied().filter(|f| {
                        &f.period.to_string() == year
                            && dimension.is_none_or(|d| f.breakdown.get(d) == Some(&value))
                    }));
                    if let Some(f) = found {
                        sources.insert(f.source.label().to_string());
                    }
                    cell(found.map(|f| &f.value), indicator)
                })
                .collect();
            series.push((name, cells));
        }
        if dimension.is_none() && of_indicator.is_empty() && spec.indicators.len() > 1 {
            // Keep the series named, so the table says "no figure held".
        }
    }
    Ok(Panel {
        id: spec.id,
        title: spec.title.to_string(),
        value_label: spec.value_label,
        percent: false,
        line: spec.line,
        years,
        series,
        sources: sources.into_iter().collect(),
    })
}

/// Successful completions as a share of exits, by year: computed only
/// where both are exact (or zero) totals from the same source; otherwise
/// the cell says why there is no share.
fn completions(catalogue: &Catalogue, yearly: &[&Figure]) -> Result<Panel> {
    let total = |code: &str| -> Vec<&Figure> {
        yearly
            .iter()
            .copied()
            .filter(|f| f.indicator == code && f.breakdown.0.is_empty())
            .collect()
    };
    let done = total("successful_completions");
    let exits = total("treatment_exits");
    catalogue.indicator("successful_completions")?;
    catalogue.indicator("treatment_exits")?;
    let years = years_of(done.iter().chain(exits.iter()));
    let mut sources = BTreeSet::new();
    let amount = |v: &Value| match v {
        Value::Exact(n) => Some(*n),
        Value::Zero { .. } => Some(0),
        _ => None,
    };
    let cells = years
        .iter()
        .map(|year| {
            let d = preferred(
                done.iter()
                    .copied()
                    .filter(|f| &f.period.to_string() == year),
            );
            let e = preferred(
                exits
                    .iter()
                    .copied()
                    .filter(|f| &f.period.to_string() == year),
            );
            match (d, e) {
                (Some(d), Some(e)) => match (amount(&d.value), amount(&e.value)) {
                    (Some(_), Some(0)) => Cell {
                        amount: None,
                        shown: "no exits".to_string(),
                    },
                    (Some(n), Some(m)) => {
                        sources.insert(d.source.label().to_string());
                        sources.insert(e.source.label().to_string());
                        let share = n as f64 * 100.0 / m as f64;
                        Cell {
                            amount: Some(share),
                            shown: format!("{share:.1}% ({n} of {m})"),
                        }
                    }
                    _ => Cell {
                        amount: None,
                        shown: "no exact figures to divide".to_string(),
                    },
                },
                (None, _) => Cell {
                    amount: None,
                    shown: "no completions figure held".to_string(),
                },
                (_, None) => Cell {
                    amount: None,
                    shown: "no exits figure held".to_string(),
                },
            }
        })
        .collect();
    Ok(Panel {
        id: COMPLETIONS,
        title: "Successful completions as a share of exits".to_string(),
        value_label: "Share of exits (%)",
        percent: true,
        line: true,
        years,
        series: vec![("All substances".to_string(), cells)],
        sources: sources.into_iter().collect(),
    })
}

/// The comparison chart's identifier.
pub const COMPARISON: &str = "comparison";

/// The indicators the comparison offers (totals only).
pub const COMPARED: [&str; 4] = [
    "people_in_treatment",
    "new_presentations",
    "deaths_in_treatment",
    "successful_completions",
];

/// One indicator's totals by financial year for the council's area beside
/// other councils' areas in the same deployment. The council's own area is
/// from the figures it holds; every other area only from what other
/// councils released in sent answers (their disclosure log, after
/// disclosure control): a count they withheld or suppressed is shown in
/// their words ("fewer than 5") and never drawn, and nothing else of
/// theirs is read.
pub fn comparison(
    ctx: &Context,
    store: &dyn Store,
    area: &str,
    indicator: Option<&str>,
) -> Result<Panel> {
    let catalogue = store.catalogue()?;
    let council = crate::council::in_force(ctx, store, None)?;
    let code = indicator
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(COMPARED[0]);
    if !COMPARED.contains(&code) {
        crate::fail!(
            Invalid,
            "compare: {code} cannot be compared; choose one of: {}",
            COMPARED.join(", ")
        );
    }
    let indicator = catalogue.indicator(code)?.clone();
    let own = store.figures(&FigureQuery {
        indicator: Some(code.to_string()),
        area: Some(area.to_string()),
    })?;
    let log = store.disclosure_log_of_every_council(None)?;
    Ok(compare(
        &indicator,
        area,
        &own,
        &log,
        council.code(),
        council.areas(),
    ))
}

/// [`comparison`] from what was read.
fn compare(
    indicator: &Indicator,
    area: &str,
    own: &[Figure],
    log: &[lantern_store::CouncilLogEntry],
    council: &str,
    own_areas: &[String],
) -> Panel {
    let own: Vec<&Figure> = own
        .iter()
        .filter(|f| f.area == area && f.breakdown.0.is_empty())
        .filter(|f| matches!(f.period, Period::FinancialYear(_)))
        .collect();
    // Other councils' released totals: the latest entry per area and year.
    let mut theirs: BTreeMap<String, BTreeMap<String, Cell>> = BTreeMap::new();
    for e in log
        .iter()
        .filter(|e| e.council != council)
        .map(|e| &e.entry)
        .filter(|e| e.indicator.as_deref() == Some(indicator.code.as_str()))
        .filter(|e| e.breakdown.as_deref().is_none_or(str::is_empty))
    {
        let (Some(area), Some(period)) = (&e.area, &e.period) else {
            continue;
        };
        if own_areas.contains(area)
            || !matches!(Period::parse(period), Ok(Period::FinancialYear(_)))
        {
            continue;
        }
        let cell = match (e.decision.as_str(), e.value) {
            ("given", Some(v)) => Cell {
                amount: Some(v as f64),
                shown: lantern_core::figure::format_amount(v, indicator.unit),
            },
            _ => Cell {
                amount: None,
                shown: e.released.clone(),
            },
        };
        theirs
            .entry(area.clone())
            .or_default()
            .insert(period.clone(), cell);
    }
    let mut years: BTreeSet<String> = own.iter().map(|f| f.period.to_string()).collect();
    for cells in theirs.values() {
        years.extend(cells.keys().cloned());
    }
    let years: Vec<String> = years.into_iter().collect();
    let mut series = vec![(
        format!("{area} (this council, as held)"),
        years
            .iter()
            .map(|y| {
                let found = preferred(own.iter().copied().filter(|f| &f.period.to_string() == y));
                cell(found.map(|f| &f.value), indicator)
            })
            .collect(),
    )];
    for (other, cells) in &theirs {
        series.push((
            format!("{other} (published)"),
            years
                .iter()
                .map(|y| {
                    cells.get(y).cloned().unwrap_or(Cell {
                        amount: None,
                        shown: "not published".to_string(),
                    })
                })
                .collect(),
        ));
    }
    Panel {
        id: COMPARISON,
        title: format!(
            "{}: this area beside other councils' areas",
            indicator.title
        ),
        value_label: "People",
        percent: false,
        line: true,
        years,
        series,
        sources: vec![
            "this council's figures as held".to_string(),
            "other councils' answers as sent (after disclosure control)".to_string(),
        ],
    }
}

/// What an upload did.
#[derive(Debug)]
pub enum Uploaded {
    /// The file was taken in (a new data version if it changed anything).
    Imported(ImportReceipt),
    /// The file has problems; nothing from it was imported.
    Refused(FileProblems),
}

/// Take in a figures, statements or releases file (CSV, or an XLSX
/// workbook's first sheet) uploaded by an analyst: checked whole first, so a file with any problem imports
/// nothing and its problems come back located by line and field; else
/// imported in one transaction with its audit, as `lantern import` does.
pub fn upload(ctx: &Context, kind: DataFile, name: &str, bytes: &[u8]) -> Result<Uploaded> {
    if !matches!(
        kind,
        DataFile::Figures | DataFile::Statements | DataFile::Releases
    ) {
        crate::fail!(
            Invalid,
            "kind: analysts upload figures, statements or releases"
        );
    }
    if bytes.len() as u64 > kind.size_limit() {
        crate::fail!(
            Invalid,
            "file: {name} is {} bytes, over the limit of {}; split it into smaller files",
            bytes.len(),
            kind.size_limit()
        );
    }
    // A workbook: its first sheet, read under the XLSX limits, as CSV;
    // problems name the sheet's rows.
    let (csv, rows_above) = if bytes.starts_with(b"PK\x03\x04") {
        let sheet = crate::xlsx::sheet(bytes, &crate::xlsx::Limits::default())
            .map_err(|e| Error::invalid(format!("file: {name}: {e}")))?;
        let (text, above) = sheet.to_csv();
        (Some(text), above)
    } else {
        (None, 0)
    };
    let bytes = csv.as_ref().map_or(bytes, |c| c.as_bytes());
    let mut store = ctx.open()?;
    let catalogue = store.catalogue()?;
    let quiet = |_: u64| {};
    let checked = match kind {
        DataFile::Figures => {
            crate::import::figures(name, bytes, &catalogue, &ctx.importer(), &quiet).map(|_| ())
        }
        DataFile::Statements => {
            crate::import::statements(name, bytes, &ctx.importer(), &quiet).map(|_| ())
        }
        _ => crate::import::releases(name, bytes, &catalogue, &quiet).map(|_| ()),
    };
    if let Err(mut problems) = checked {
        for p in &mut problems.problems {
            p.line += u64::from(rows_above);
        }
        return Ok(Uploaded::Refused(problems));
    }
    Ok(Uploaded::Imported(crate::data::import_into(
        ctx,
        store.as_mut(),
        kind,
        name,
        bytes,
        &quiet,
    )?))
}

/// Recompute the figures from the providers' records held (every area and
/// year), audited with who asked (`figures.recompute`).
pub fn recompute(ctx: &Context) -> Result<crate::records::recompute::Recomputation> {
    crate::records::recompute::recompute(ctx, None, false)
}

#[cfg(test)]
mod tests {
    use lantern_core::figure::{Provenance, Status};

    use super::*;

    fn catalogue() -> Catalogue {
        lantern_core::catalogue::shipped()
    }

    fn figure(
        indicator: &str,
        period: &str,
        crack: Option<&str>,
        value: Value,
        source: Source,
    ) -> Figure {
        Figure {
            indicator: indicator.into(),
            area: "E06000016".into(),
            period: Period::parse(period).expect("period"),
            breakdown: match crack {
                Some(c) => Breakdown::total().with("crack", c),
                None => Breakdown::total(),
            },
            value,
            source,
            status: Status::Final,
            coverage: vec![],
            note: None,
            provenance: Provenance {
                import: 3,
                file: "figures.csv".into(),
                line: 2,
                actor: "analyst".into(),
                imported_at: "2026-12-04T00:00:00Z".into(),
            },
        }
    }

    fn spec(id: &str) -> &'static PanelSpec {
        PANELS.iter().find(|p| p.id == id).expect("panel")
    }

    #[test]
    fn a_panel_uses_the_figure_answers_use_and_never_draws_a_figure_not_held() {
        let catalogue = catalogue();
        let held = [
            figure(
                "deaths_in_treatment",
                "2018/19",
                None,
                Value::Exact(9),
                Source::ContractMonitoring,
            ),
            figure(
                "deaths_in_treatment",
                "2018/19",
                None,
                Value::Exact(7),
                Source::NdtmsPartnership,
            ),
            figure(
                "deaths_in_treatment",
                "2019/20",
                None,
                Value::NotHeld {
                    reason: "not recorded that year".into(),
                },
                Source::NdtmsPartnership,
            ),
            // A breakdown is not the total.
            figure(
                "deaths_in_treatment",
                "2020/21",
                Some("crack"),
                Value::Exact(2),
                Source::NdtmsPartnership,
            ),
        ];
        let refs: Vec<&Figure> = held.iter().collect();
        let panel = panel(&catalogue, &refs, spec("deaths")).expect("panel");
        assert_eq!(panel.years, ["2018/19", "2019/20"]);
        let (_, cells) = &panel.series[0];
        assert_eq!(cells[0].amount, Some(7.0));
        assert_eq!(cells[1].amount, None);
        assert_eq!(cells[1].shown, "not held: not recorded that year");
        assert!(panel.has_values());

        let empty = panel_of_nothing(&catalogue);
        assert!(!empty.has_values());
        assert!(empty.years.is_empty());
    }

    fn panel_of_nothing(catalogue: &Catalogue) -> Panel {
        panel(catalogue, &[], spec("naloxone")).expect("panel")
    }

    #[test]
    fn completions_are_a_share_only_where_both_are_exact() {
        let catalogue = catalogue();
        let held = [
            figure(
                "successful_completions",
                "2018/19",
                None,
                Value::Exact(30),
                Source::NdtmsPartnership,
            ),
            figure(
                "treatment_exits",
                "2018/19",
                None,
                Value::Exact(120),
                Source::NdtmsPartnership,
            ),
            figure(
                "successful_completions",
                "2019/20",
                None,
                Value::Exact(10),
                Source::NdtmsPartnership,
            ),
            figure(
                "treatment_exits",
                "2019/20",
                None,
                Value::NotYetShareable {
                    reason: "embargoed".into(),
                },
                Source::NdtmsPartnership,
            ),
            figure(
                "successful_completions",
                "2020/21",
                None,
                Value::Exact(10),
                Source::NdtmsPartnership,
            ),
        ];
        let refs: Vec<&Figure> = held.iter().collect();
        let panel = completions(&catalogue, &refs).expect("panel");
        let (_, cells) = &panel.series[0];
        assert_eq!(cells[0].amount, Some(25.0));
        assert_eq!(cells[0].shown, "25.0% (30 of 120)");
        assert_eq!(cells[1].amount, None);
        assert_eq!(cells[1].shown, "no exact figures to divide");
        assert_eq!(cells[2].shown, "no exits figure held");
        assert!(panel.percent);
    }

    #[test]
    fn quality_sets_records_against_the_reported_figure_answers_use() {
        let catalogue = catalogue();
        let indicator = catalogue
            .indicator("people_in_treatment")
            .expect("indicator")
            .clone();
        let held = [
            figure(
                "people_in_treatment",
                "2018/19",
                None,
                Value::Exact(100),
                Source::LocalRecords,
            ),
            figure(
                "people_in_treatment",
                "2018/19",
                None,
                Value::Exact(96),
                Source::NdtmsProvider,
            ),
            figure(
                "people_in_treatment",
                "2018/19",
                None,
                Value::Exact(98),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2019/20",
                None,
                Value::Exact(80),
                Source::LocalRecords,
            ),
            // Reported only: nothing from records to set against.
            figure(
                "people_in_treatment",
                "2020/21",
                None,
                Value::Exact(70),
                Source::NdtmsPartnership,
            ),
        ];
        let rows = quality(&catalogue, &indicator, &held);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].from_records, "100");
        assert_eq!(rows[0].reported, "98 (ndtms_partnership)");
        assert_eq!(rows[0].difference, Some(2));
        assert_eq!(rows[1].reported, "no reported figure held");
        assert_eq!(rows[1].difference, None);
    }

    fn logged(
        council: &str,
        area: &str,
        period: &str,
        decision: &str,
        value: Option<i64>,
        released: &str,
    ) -> lantern_store::CouncilLogEntry {
        lantern_store::CouncilLogEntry {
            council: council.into(),
            entry: lantern_core::casework::LogEntry {
                reference: "FOI-1".into(),
                sent_at: "2020-01-01T00:00:00Z".into(),
                question: "1".into(),
                indicator: Some("people_in_treatment".into()),
                area: Some(area.into()),
                period: Some(period.into()),
                breakdown: None,
                decision: decision.into(),
                basis: None,
                value,
                released: released.into(),
            },
        }
    }

    #[test]
    fn other_areas_are_compared_only_from_what_their_councils_released() {
        let catalogue = catalogue();
        let indicator = catalogue
            .indicator("people_in_treatment")
            .expect("indicator")
            .clone();
        let own = [figure(
            "people_in_treatment",
            "2018/19",
            None,
            Value::Exact(100),
            Source::NdtmsPartnership,
        )];
        let log = [
            logged("OTHER", "E06000017", "2018/19", "given", Some(80), "80"),
            logged(
                "OTHER",
                "E06000017",
                "2019/20",
                "suppressed",
                None,
                "fewer than 5",
            ),
            // This council's own answers are not "other areas".
            logged("LEI", "E06000016", "2018/19", "given", Some(99), "99"),
            // Another council answering about this council's area: left out.
            logged("OTHER", "E06000016", "2018/19", "given", Some(98), "98"),
        ];
        let panel = compare(
            &indicator,
            "E06000016",
            &own,
            &log,
            "LEI",
            &["E06000016".to_string()],
        );
        assert_eq!(panel.years, ["2018/19", "2019/20"]);
        assert_eq!(panel.series.len(), 2, "{:?}", panel.series);
        assert_eq!(panel.series[0].1[0].amount, Some(100.0));
        assert_eq!(panel.series[0].1[1].shown, "no figure held");
        assert_eq!(panel.series[1].0, "E06000017 (published)");
        assert_eq!(panel.series[1].1[0].amount, Some(80.0));
        assert_eq!(panel.series[1].1[1].amount, None);
        assert_eq!(panel.series[1].1[1].shown, "fewer than 5");
    }

    #[test]
    fn a_workbooks_first_sheet_is_read_as_the_csv_it_holds() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        // The table starts on the sheet's third row.
        for (c, h) in ["indicator", "area", "period", "value", "source"]
            .iter()
            .enumerate()
        {
            sheet.write_string(2, c as u16, *h).expect("header");
        }
        sheet
            .write_string(3, 0, "deaths_in_treatment")
            .expect("cell");
        sheet.write_string(3, 1, "E06000016").expect("cell");
        sheet.write_string(3, 2, "2018/19").expect("cell");
        sheet.write_number(3, 3, 7.0).expect("cell");
        sheet
            .write_string(3, 4, "ndtms, partnership")
            .expect("cell");
        let bytes = book.save_to_buffer().expect("workbook");
        let read = crate::xlsx::sheet(&bytes, &crate::xlsx::Limits::default()).expect("sheet");
        let (csv, above) = read.to_csv();
        assert_eq!(above, 2);
        assert_eq!(
            csv,
            "indicator,area,period,value,source\ndeaths_in_treatment,E06000016,2018/19,7,\"ndtms, partnership\"\n"
        );
    }
}
