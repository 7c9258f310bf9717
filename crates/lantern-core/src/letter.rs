//! The letter's model: a decided [`Answer`] arranged the way a letter reads,
//! so that templates only print and every arrangement rule is tested here.
//!
//! This module owns:
//! - escaping text so Markdown shows it literally ([`escape_markdown`]);
//! - the words for each decided row ([`row_text`]) and for a cell of a
//!   table ([`cell`]);
//! - each question's table ([`table`]): its caption says the filter and the
//!   breakdown in words ("People in treatment: using crack, by age band");
//!   a question split by a breakdown is a grid of breakdown values (rows) ×
//!   periods (columns), one without is a list of periods;
//! - the refusal notices of a whole letter ([`notices`]): each exemption's
//!   notice (and public interest test) once, naming the questions and
//!   periods it covers, however many questions it applies to.
//!
//! Nothing here decides anything: every cell is a row the planner decided,
//! and a table shows every row exactly once (a whole-period decision fills
//! its period's column).

use crate::answer::{Answer, Notice, Outcome, QuestionAnswer, ReleaseRef, Row};
use crate::catalogue::{Catalogue, Unit};
use crate::disclosure::Protection;
use crate::figure::{Breakdown, Value, format_amount};
use crate::foi::Basis;
use crate::period::Period;
use crate::request::{Ask, FigureAsk, Question};

/// "10 June 2019".
pub fn long_date(d: jiff::civil::Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// Escape text so Markdown shows it literally (requesters' words, notes,
/// the council's details, addresses).
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push_str("\\\n");
        }
        for (at, ch) in line.char_indices() {
            // An `&` that starts something like `&lt;` or `&#60;` would be
            // read as an entity; "A&E" or "R & D" would not.
            let entity = ch == '&' && {
                let name: &str = &line[at + 1..];
                let end = name
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
                    .unwrap_or(name.len());
                end > 0 && name[end..].starts_with(';')
            };
            if entity
                || matches!(
                    ch,
                    '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~'
                )
            {
                out.push('\\');
            }
            out.push(ch);
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What a letter says about one decided row, and the code of the decision
/// (`given`, `suppressed`, `not_held`, `withheld`): "44 people", "fewer
/// than 5", "Withheld: to be published on 7 November 2019 (section 22)",
/// a not-held reason. Notes are not included (see [`with_notes`]).
pub fn row_text(outcome: &Outcome, threshold: u64) -> (&'static str, String) {
    match outcome {
        Outcome::Given { value, unit } => {
            let text = match value {
                Value::Exact(v) if !unit.is_money() => {
                    format!("{} {}", format_amount(*v, *unit), unit_word(*unit, *v))
                }
                Value::Zero { reason } => format!("None: {}", lower_first(reason)),
                other => other.display(*unit),
            };
            ("given", text)
        }
        Outcome::Suppressed {
            protection: Protection::Primary,
        } => ("suppressed", format!("fewer than {threshold}")),
        Outcome::Suppressed { .. } => (
            "suppressed",
            "withheld so that small numbers cannot be worked out (section 40(2))".to_string(),
        ),
        Outcome::NotHeld { reason } => (
            "not_held",
            reason.clone().unwrap_or_else(|| "Not held".to_string()),
        ),
        Outcome::Withheld { basis, release } => {
            ("withheld", withheld_text(*basis, release.as_ref()))
        }
        Outcome::Missing { finding } => (
            "missing",
            format!(
                "[Not decided: no figure is recorded (blocking finding {finding}); resolve it before this letter can be approved]"
            ),
        ),
    }
}

/// "£5,219,734" + notes → "£5,219,734. This includes …".
pub fn with_notes(text: &str, notes: &[String]) -> String {
    let mut out = text.to_string();
    for n in notes {
        if !out.ends_with(['.', '!', '?', ':']) {
            out.push('.');
        }
        out.push(' ');
        out.push_str(n);
    }
    out
}

fn unit_word(unit: Unit, n: i64) -> &'static str {
    match (unit, n == 1) {
        (Unit::People, true) => "person",
        (Unit::Placements, true) => "placement",
        (Unit::Kits, true) => "kit",
        (Unit::Deaths, true) => "death",
        (Unit::Episodes, true) => "episode",
        (Unit::Attendances, true) => "attendance",
        (Unit::Offences, true) => "offence",
        (u, _) => u.noun(),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if !s.starts_with("NDTMS") => c.to_lowercase().chain(chars).collect(),
        _ => s.to_string(),
    }
}

/// A release's address if it is a plain web address.
fn web_address(url: Option<&str>) -> Option<&str> {
    url.filter(|u| crate::release::is_web_address(u))
}

fn withheld_text(basis: Basis, release: Option<&ReleaseRef>) -> String {
    match basis {
        Basis::FuturePublication => match release.and_then(|r| r.date) {
            Some(d) => format!("Withheld: to be published on {} (section 22)", long_date(d)),
            None => "Withheld: intended for future publication (section 22)".into(),
        },
        Basis::AccessibleElsewhere => match release.and_then(|r| web_address(r.url.as_deref())) {
            Some(url) => format!("Already published: {url} (section 21)"),
            None => "Already published (section 21)".into(),
        },
        Basis::PersonalData => "Not given (section 40(2))".into(),
        Basis::NotHeld => "Not held".into(),
        Basis::CostLimit => "Not answered (section 12)".into(),
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// What the cell says.
    pub text: String,
    /// `given`, `suppressed`, `not_held`, `withheld`, `missing` (a blocking
    /// finding: nothing recorded, so the letter cannot be approved), or
    /// `none` where the planner gave no row for this band in this period (a
    /// grid whose periods hold different bands).
    pub decision: &'static str,
    /// The exact amount given (a count; pence for money), for spreadsheets.
    pub amount: Option<i64>,
    /// The basis of a cell not given (`s22`, `s40_2`, …).
    pub basis: Option<&'static str>,
}

/// One line of a table: a period (a list) or a breakdown value (a grid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// The row's heading ("2017/18", "aged 40 and over").
    pub header: String,
    /// One cell per column.
    pub cells: Vec<Cell>,
}

/// How a table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One row per period, one column: the answer.
    Periods,
    /// One row per breakdown value, one column per period.
    Grid,
}

impl Layout {
    /// Its code in the JSON form.
    pub fn code(self) -> &'static str {
        match self {
            Layout::Periods => "periods",
            Layout::Grid => "grid",
        }
    }
}

/// A question's figures as a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The filter and breakdown in words, above the table ("People in
    /// treatment: using crack, by age band").
    pub caption: String,
    /// How it is laid out.
    pub layout: Layout,
    /// The heading of the row headings' column ("Period", "Age band").
    pub corner: String,
    /// The other columns' headings (periods in a grid; the indicator's
    /// title in a list).
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<TableRow>,
    /// What a cell's short text leaves out: reasons a cell is not held and
    /// the caveats of a figure, each named by its period (and band).
    pub notes: Vec<String>,
    /// The unit of the figures.
    pub unit: Unit,
}

/// The question a request asked that an answer's question (or part)
/// answers, matched by number.
pub fn asked<'a>(questions: &'a [Question], number: &str) -> Option<&'a Question> {
    questions.iter().find(|q| q.number == number)
}

fn figure_ask(q: Option<&Question>) -> Option<&FigureAsk> {
    match q?.ask.as_ref()? {
        Ask::Figures(f) => Some(f),
        Ask::Statement { .. } => None,
    }
}

/// The filter and breakdown in words: "People in treatment: using crack,
/// by age band"; "Budget: inpatient detoxification and residential
/// rehabilitation"; "Inpatient detox placements".
pub fn caption(catalogue: &Catalogue, title: &str, filter: &Breakdown, by: &[String]) -> String {
    let mut out = title.to_string();
    let filters: Vec<String> = filter
        .0
        .iter()
        .filter(|(_, v)| v.as_str() != "*")
        .map(|(d, v)| match catalogue.dimension(d) {
            Ok(dim) => dim.label(v),
            Err(_) => v.clone(),
        })
        .collect();
    if !filters.is_empty() {
        out.push_str(": ");
        out.push_str(&filters.join("; "));
    }
    let dims: Vec<String> = by
        .iter()
        .map(|d| match catalogue.dimension(d) {
            Ok(dim) => dim.title.to_lowercase(),
            Err(_) => d.replace('_', " "),
        })
        .collect();
    if !dims.is_empty() {
        out.push_str(", by ");
        out.push_str(&join_and(&dims));
    }
    out
}

/// The short words for a cell of a grid: the amount alone ("12", "£4,000"),
/// "fewer than 5", "not held", "withheld (section 22)".
fn short_text(outcome: &Outcome, threshold: u64) -> String {
    match outcome {
        Outcome::Given { value, unit } => match value {
            Value::Zero { .. } => "0".into(),
            other => other.display(*unit),
        },
        Outcome::Suppressed {
            protection: Protection::Primary,
        } => format!("fewer than {threshold}"),
        Outcome::Suppressed { .. } => "withheld (section 40(2))".into(),
        Outcome::NotHeld { .. } => "not held".into(),
        Outcome::Withheld { basis, .. } => match basis {
            Basis::FuturePublication => "withheld (section 22)".into(),
            Basis::AccessibleElsewhere => "already published (section 21)".into(),
            Basis::PersonalData => "not given (section 40(2))".into(),
            Basis::NotHeld => "not held".into(),
            Basis::CostLimit => "not answered (section 12)".into(),
        },
        Outcome::Missing { finding } => format!("[not decided: finding {finding}]"),
    }
}

fn amount(outcome: &Outcome) -> Option<i64> {
    match outcome {
        Outcome::Given {
            value: Value::Exact(v),
            ..
        } => Some(*v),
        Outcome::Given {
            value: Value::Zero { .. },
            ..
        } => Some(0),
        _ => None,
    }
}

/// A cell of a table: in a list the whole text with its notes, in a grid
/// the short text (the notes go below the table).
pub fn cell(r: &Row, threshold: u64, short: bool) -> Cell {
    let (decision, text) = row_text(&r.outcome, threshold);
    Cell {
        text: if short {
            short_text(&r.outcome, threshold)
        } else {
            with_notes(&text, &r.notes)
        },
        decision,
        amount: amount(&r.outcome),
        basis: r.outcome.basis().map(Basis::code),
    }
}

/// What a grid's short text leaves out of a row: a not-held reason, a zero's
/// reason, the figure's caveats.
fn left_out(r: &Row) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    match &r.outcome {
        Outcome::NotHeld {
            reason: Some(reason),
        } => parts.push(reason.clone()),
        Outcome::Given {
            value: Value::Zero { reason },
            ..
        } => parts.push(format!("None: {}", lower_first(reason))),
        _ => {}
    }
    if parts.is_empty() && r.notes.is_empty() {
        return None;
    }
    let first = parts.first().cloned().unwrap_or_default();
    let text = with_notes(&first, &r.notes);
    Some(text.trim_start_matches(". ").trim_start().to_string())
}

/// The table of a question's figures, or `None` when it has no rows.
///
/// A question split by a breakdown is a grid: its breakdown values are the
/// rows, in the order the planner gave them (values the question asked
/// about first, then "other …" and "youngest and oldest ages"), and its
/// periods the columns, in the requester's order. A row the planner decided
/// for a whole period (no breakdown value: withheld under s22, not held)
/// fills its period's column. Otherwise the table lists the periods, runs
/// of consecutive years not held for the same reason joined into one line.
pub fn table(
    q: &QuestionAnswer,
    asked: Option<&Question>,
    catalogue: &Catalogue,
    threshold: u64,
) -> Option<Table> {
    if q.rows.is_empty() {
        return None;
    }
    let ask = figure_ask(asked);
    let indicator = q.indicator.as_ref();
    let title = indicator.map(|i| i.title.clone()).unwrap_or_default();
    let unit = indicator.map(|i| i.unit).unwrap_or(Unit::People);
    let filter = ask.map(|a| a.filter.clone()).unwrap_or_default();
    let grid = q.rows.iter().any(|r| r.breakdown_label.is_some());
    let by: Vec<String> = match ask {
        Some(a) if grid => a.breakdown.clone(),
        _ => vec![],
    };
    let caption = caption(catalogue, &title, &filter, &by);
    if !grid {
        let rows = merge_not_held(
            q.rows
                .iter()
                .map(|r| (r.period, r.period, cell(r, threshold, false)))
                .collect(),
        );
        return Some(Table {
            caption,
            layout: Layout::Periods,
            corner: "Period".into(),
            columns: vec![title],
            rows,
            notes: vec![],
            unit,
        });
    }
    let corner = by
        .iter()
        .filter_map(|d| catalogue.dimension(d).ok())
        .map(|d| d.title.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let corner = if corner.is_empty() {
        "Breakdown".to_string()
    } else {
        corner
    };
    let mut periods: Vec<Period> = Vec::new();
    for r in &q.rows {
        if !periods.contains(&r.period) {
            periods.push(r.period);
        }
    }
    // Breakdown values in the planner's order, those standing for several
    // ("other age bands", "youngest and oldest ages") after the others.
    let mut labels: Vec<(bool, String)> = Vec::new();
    for r in &q.rows {
        if let Some(l) = &r.breakdown_label {
            let several = r.breakdown.0.values().any(|v| v == "*");
            if !labels.iter().any(|(_, x)| x == l) {
                labels.push((several, l.clone()));
            }
        }
    }
    labels.sort_by_key(|(several, _)| *several);
    let mut notes = Vec::new();
    let mut gap = false;
    let rows = labels
        .iter()
        .map(|(_, label)| {
            let cells = periods
                .iter()
                .map(|p| {
                    let found = q.rows.iter().find(|r| {
                        r.period == *p && r.breakdown_label.as_deref() == Some(label.as_str())
                    });
                    let whole = || {
                        q.rows
                            .iter()
                            .find(|r| r.period == *p && r.breakdown_label.is_none())
                    };
                    match found.or_else(whole) {
                        Some(r) => cell(r, threshold, true),
                        None => {
                            gap = true;
                            Cell {
                                text: "–".into(),
                                decision: "none",
                                amount: None,
                                basis: None,
                            }
                        }
                    }
                })
                .collect();
            TableRow {
                header: label.clone(),
                cells,
            }
        })
        .collect();
    // A note every figure given shares ("Counted from the providers'
    // records …") is said once for the table, not once per cell.
    let given: Vec<&Row> = q
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Given { .. }))
        .collect();
    let shared: Option<String> = match given.first().and_then(|r| left_out(r)) {
        Some(text)
            if given.len() > 1 && given.iter().all(|r| left_out(r).as_ref() == Some(&text)) =>
        {
            Some(text)
        }
        _ => None,
    };
    if let Some(text) = &shared {
        notes.push(format!("Every figure given in this table: {text}"));
    }
    for p in &periods {
        for r in q.rows.iter().filter(|r| r.period == *p) {
            if let Some(text) = left_out(r) {
                if shared.as_ref() == Some(&text) {
                    continue;
                }
                let place = match &r.breakdown_label {
                    Some(l) => format!("{}, {l}", p.describe()),
                    None => p.describe(),
                };
                let note = format!("{place}: {text}");
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
    }
    if gap {
        notes.push("–: no separate figure for this band in this period.".into());
    }
    // Settings, interventions, funders: one person may count under several.
    for d in by
        .iter()
        .filter(|d| crate::records::count::OVERLAPPING.contains(&d.as_str()))
    {
        let words = catalogue
            .dimension(d)
            .map(|dim| dim.title.to_lowercase())
            .unwrap_or_else(|_| d.replace('_', " "));
        notes.push(format!(
            "One person may be counted under more than one {words}, so the rows do not add up to the number of people."
        ));
    }
    Some(Table {
        caption,
        layout: Layout::Grid,
        corner,
        columns: periods.iter().map(Period::describe).collect(),
        rows,
        notes,
        unit,
    })
}

/// Join runs of consecutive periods that are not held for the same reason
/// into one row ("2012/13 to 2014/15").
fn merge_not_held(rows: Vec<(Period, Period, Cell)>) -> Vec<TableRow> {
    let mut out: Vec<(Period, Period, Cell)> = Vec::new();
    for (first, end, c) in rows {
        if let Some((_, last_end, last)) = out.last_mut()
            && last.decision == "not_held"
            && c.decision == "not_held"
            && last.text == c.text
            && last_end.last_day().tomorrow().ok() == Some(first.first_day())
        {
            *last_end = end;
            continue;
        }
        out.push((first, end, c));
    }
    out.into_iter()
        .map(|(first, end, c)| TableRow {
            header: if first == end {
                first.describe()
            } else {
                format!("{} to {}", first.describe(), end.describe())
            },
            cells: vec![c],
        })
        .collect()
}

/// A question (or part) a notice covers, and which of its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covered {
    /// "1", "3a".
    pub question: String,
    /// The periods (and bands) concerned; empty for the whole question.
    pub items: Vec<String>,
}

/// One refusal notice of a letter, with every question it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeGroup {
    /// The notice (for s40(2), its flags over every question it covers;
    /// its items are those of the first question, see `covers`).
    pub notice: Notice,
    /// The questions and figures it covers, in the letter's order.
    pub covers: Vec<Covered>,
}

impl NoticeGroup {
    /// "question 1 for 2018/19 and question 2 for 2018/19".
    pub fn covers_text(&self) -> String {
        let parts: Vec<String> = self
            .covers
            .iter()
            .map(|c| {
                if c.items.is_empty() {
                    format!("question {}", c.question)
                } else {
                    format!("question {} for {}", c.question, join_and(&c.items))
                }
            })
            .collect();
        if parts.iter().any(|p| p.contains(" and ")) && parts.len() > 1 {
            // Lists within the list: separate the questions with semicolons.
            let (last, init) = parts.split_last().expect("more than one");
            format!("{}; and {last}", init.join("; "))
        } else {
            join_and(&parts)
        }
    }
}

/// Whether two notices are the same paragraph (apart from what they cover).
fn same_paragraph(a: &Notice, b: &Notice) -> bool {
    match (a, b) {
        (Notice::NotHeld { .. }, Notice::NotHeld { .. }) => true,
        (Notice::PersonalData { .. }, Notice::PersonalData { .. }) => true,
        (Notice::CostLimit { .. }, Notice::CostLimit { .. }) => true,
        (
            Notice::FuturePublication {
                release: r1,
                distant: d1,
                ..
            },
            Notice::FuturePublication {
                release: r2,
                distant: d2,
                ..
            },
        ) => r1 == r2 && d1 == d2,
        (
            Notice::AccessibleElsewhere { release: r1, .. },
            Notice::AccessibleElsewhere { release: r2, .. },
        ) => r1 == r2,
        _ => false,
    }
}

fn items(n: &Notice) -> Vec<String> {
    match n {
        Notice::NotHeld { items, .. }
        | Notice::FuturePublication { items, .. }
        | Notice::AccessibleElsewhere { items, .. }
        | Notice::CostLimit { items, .. } => items.clone(),
        Notice::PersonalData { .. } => vec![],
    }
}

/// Every refusal notice of a letter once: the same paragraph under several
/// questions (the same release under s22 or s21, not held, s40(2)) becomes
/// one notice naming each question and the periods it covers. Notices come
/// in the order of the first question needing them.
pub fn notices(answer: &Answer) -> Vec<NoticeGroup> {
    fn walk(q: &QuestionAnswer, prefix: &str, out: &mut Vec<NoticeGroup>) {
        let number = format!("{prefix}{}", q.number);
        for n in &q.notices {
            let covered = Covered {
                question: number.clone(),
                items: items(n),
            };
            match out.iter_mut().find(|g| same_paragraph(&g.notice, n)) {
                Some(g) => {
                    if let (
                        Notice::PersonalData {
                            small_numbers,
                            secondary,
                            extremes,
                            ..
                        },
                        Notice::PersonalData {
                            small_numbers: s,
                            secondary: se,
                            extremes: e,
                            ..
                        },
                    ) = (&mut g.notice, n)
                    {
                        *small_numbers |= *s;
                        *secondary |= *se;
                        *extremes |= *e;
                    }
                    // One s12 paragraph: the estimates of every question it covers.
                    if let (Notice::CostLimit { hours, .. }, Notice::CostLimit { hours: h, .. }) =
                        (&mut g.notice, n)
                    {
                        *hours += *h;
                    }
                    match g.covers.iter_mut().find(|c| c.question == covered.question) {
                        Some(c) => c.items.extend(covered.items),
                        None => g.covers.push(covered),
                    }
                }
                None => out.push(NoticeGroup {
                    notice: n.clone(),
                    covers: vec![covered],
                }),
            }
        }
        for p in &q.parts {
            walk(p, &number, out);
        }
    }
    let mut out = Vec::new();
    for q in &answer.questions {
        walk(q, "", &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::answer::{DisclosureSummary, IndicatorRef};
    use crate::foi::Holding;

    fn fy(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn row(period: &str, label: Option<&str>, outcome: Outcome) -> Row {
        let mut b = Breakdown::total().with("crack", "crack");
        if let Some(l) = label {
            b = b.with("age_band", if l.starts_with("other") { "*" } else { l });
        }
        Row {
            period: fy(period),
            breakdown: b,
            breakdown_label: label.map(str::to_string),
            outcome,
            notes: vec![],
            source: None,
            status: None,
            provenance: None,
            figure_period: None,
            cell_index: None,
            withheld_because: None,
        }
    }

    fn people(n: i64) -> Outcome {
        Outcome::Given {
            value: Value::Exact(n),
            unit: Unit::People,
        }
    }

    fn release() -> ReleaseRef {
        ReleaseRef {
            code: Some("stats_2018_19".into()),
            title: "Statistics 2018 to 2019".into(),
            publisher: "PHE".into(),
            date: Some(jiff::civil::date(2019, 11, 7)),
            url: None,
        }
    }

    fn s22() -> Outcome {
        Outcome::Withheld {
            basis: Basis::FuturePublication,
            release: Some(release()),
        }
    }

    fn question(number: &str, rows: Vec<Row>, notices: Vec<Notice>) -> QuestionAnswer {
        QuestionAnswer {
            number: number.into(),
            text: "How many?".into(),
            indicator: Some(IndicatorRef {
                code: "people_in_treatment".into(),
                title: "People in treatment".into(),
                unit: Unit::People,
            }),
            rows,
            statement: None,
            notices,
            advice: vec![],
            parts: vec![],
        }
    }

    fn asked(breakdown: &[&str]) -> Question {
        Question {
            number: "2".into(),
            text: "How many?".into(),
            ask: Some(Ask::Figures(FigureAsk {
                indicator: "people_in_treatment".into(),
                periods: vec![],
                filter: Breakdown::total().with("crack", "crack"),
                breakdown: breakdown.iter().map(|s| s.to_string()).collect(),
                age_range: false,
                bands: vec![],
            })),
            parts: vec![],
            estimate_hours: None,
        }
    }

    #[test]
    fn a_broken_down_question_is_a_grid_of_bands_by_years_with_its_filter_in_words() {
        let catalogue = crate::catalogue::shipped();
        let q = question(
            "2",
            vec![
                row("2018/19", None, s22()),
                row("2017/18", Some("40+"), people(12)),
                row(
                    "2017/18",
                    Some("18-24"),
                    Outcome::Suppressed {
                        protection: Protection::Primary,
                    },
                ),
                row(
                    "2017/18",
                    Some("other age bands"),
                    Outcome::NotHeld {
                        reason: Some("Figures for the other age bands are not held.".into()),
                    },
                ),
                row("2016/17", Some("40+"), people(10)),
            ],
            vec![],
        );
        let t = table(&q, Some(&asked(&["age_band"])), &catalogue, 5).unwrap();
        assert_eq!(t.layout, Layout::Grid);
        assert_eq!(t.caption, "People in treatment: using crack, by age band");
        assert_eq!(t.corner, "Age band");
        assert_eq!(t.columns, vec!["2018/19", "2017/18", "2016/17"]);
        let headers: Vec<&str> = t.rows.iter().map(|r| r.header.as_str()).collect();
        assert_eq!(headers, vec!["40+", "18-24", "other age bands"]);
        let texts: Vec<Vec<&str>> = t
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            vec![
                vec!["withheld (section 22)", "12", "10"],
                vec!["withheld (section 22)", "fewer than 5", "–"],
                vec!["withheld (section 22)", "not held", "–"],
            ]
        );
        assert_eq!(t.rows[0].cells[1].amount, Some(12));
        assert_eq!(
            t.rows[1].cells[1].amount, None,
            "a suppressed count has no amount"
        );
        assert_eq!(
            t.notes,
            vec![
                "2017/18, other age bands: Figures for the other age bands are not held.",
                "–: no separate figure for this band in this period."
            ]
        );
    }

    #[test]
    fn a_question_without_breakdown_lists_its_periods_joining_runs_not_held_alike() {
        let catalogue = crate::catalogue::shipped();
        let gone = || Outcome::NotHeld {
            reason: Some("Cannot be located.".into()),
        };
        let q = question(
            "1",
            vec![
                row("2012/13", None, gone()),
                row("2013/14", None, gone()),
                row("2014/15", None, people(30)),
            ],
            vec![],
        );
        let t = table(&q, Some(&asked(&[])), &catalogue, 5).unwrap();
        assert_eq!(t.layout, Layout::Periods);
        assert_eq!(t.caption, "People in treatment: using crack");
        let rows: Vec<(&str, &str)> = t
            .rows
            .iter()
            .map(|r| (r.header.as_str(), r.cells[0].text.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("2012/13 to 2013/14", "Cannot be located."),
                ("2014/15", "30 people")
            ]
        );
    }

    #[test]
    fn one_release_withholding_figures_in_two_questions_is_one_notice_naming_both() {
        let notice = |items: &[&str]| Notice::FuturePublication {
            items: items.iter().map(|s| s.to_string()).collect(),
            release: release(),
            distant: false,
            days_away: Some(150),
        };
        let small = |extremes: bool| Notice::PersonalData {
            small_numbers: !extremes,
            secondary: false,
            extremes,
            threshold: 5,
        };
        let mut q3 = question("3", vec![], vec![]);
        q3.parts = vec![question(
            "a",
            vec![],
            vec![Notice::NotHeld {
                items: vec![],
                partly: false,
            }],
        )];
        let answer = Answer {
            reference: "R".into(),
            received: jiff::civil::date(2019, 6, 10),
            decided: jiff::civil::date(2019, 6, 10),
            requester_reference: None,
            area: "E06000016".into(),
            holding: Holding::Some,
            questions: vec![
                question("1", vec![], vec![notice(&["2018/19"])]),
                question(
                    "2",
                    vec![],
                    vec![
                        Notice::NotHeld {
                            items: vec!["2016/17".into()],
                            partly: true,
                        },
                        notice(&["2018/19"]),
                        small(true),
                        small(false),
                    ],
                ),
                q3,
            ],
            cost_limit: None,
            bases: vec![],
            declarations_used: vec![],
            warnings: vec![],
            discrepancies: vec![],
            source_differences: vec![],
            findings: vec![],
            threshold: 5,
            disclosure: DisclosureSummary::default(),
        };
        let groups = notices(&answer);
        let kinds: Vec<Basis> = groups
            .iter()
            .map(|g: &NoticeGroup| g.notice.basis())
            .collect();
        assert_eq!(
            kinds,
            vec![
                Basis::FuturePublication,
                Basis::NotHeld,
                Basis::PersonalData
            ]
        );
        assert_eq!(
            groups[0].covers_text(),
            "question 1 for 2018/19 and question 2 for 2018/19"
        );
        assert_eq!(
            groups[1].covers_text(),
            "question 2 for 2016/17 and question 3a"
        );
        assert_eq!(groups[2].covers_text(), "question 2");
        assert!(matches!(
            groups[2].notice,
            Notice::PersonalData {
                small_numbers: true,
                extremes: true,
                ..
            }
        ));
    }
}
