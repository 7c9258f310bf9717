//! Letters: turn a decided [`Answer`] into the letter a requester receives
//! (Markdown and HTML, from templates a council can edit) and into JSON for
//! machines.
//!
//! All three come from one view model ([`LetterView`]): the JSON is that
//! model, and the templates only arrange it; its tables and its notices
//! (each once, naming the questions it covers) come arranged by
//! `lantern_core::letter`. A view is made the copy to print by [`address`]:
//! dated with the day it was sent (a draft says so), "Dear NAME" for the
//! requester, or the published copy without the requester's name, contact
//! details or reference, whose questions and narrative answers lose the
//! requester's name and contact details and any e-mail address or UK
//! telephone number ([`crate::personal_data`]). The name is added only then, so a kept draft and
//! the disclosure log never hold it. The wire format is owned here,
//! not by the domain core, so the core's types can change without breaking
//! anyone reading the JSON. Nothing here reads the clock: the same answer
//! over the same data version renders byte-for-byte the same letter.
//!
//! Everything that comes from data (the council's details, release titles
//! and addresses, notes, statements, the requester's words) is escaped: the
//! Markdown templates pass it through the `md` filter, addresses through
//! `url` (plain `http`/`https` addresses only), and the HTML letter is made
//! by [`markdown_to_html`], which prints any raw HTML in the Markdown as
//! text and keeps only `http`/`https` links, so even a council's own
//! template that forgets a filter cannot put markup or a script in a letter.

use std::path::Path;

use lantern_core::answer::{
    Answer, Notice, Outcome, QuestionAnswer, ReleaseRef, Row, StatementAnswer,
};
use lantern_core::catalogue::Catalogue;
use lantern_core::figure::{Source, Value};
use lantern_core::foi::Basis;
use lantern_core::letter::{self, NoticeGroup, Table, escape_markdown};
use lantern_core::release::is_web_address;
use lantern_core::request::{Question, Request};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};

use crate::config::Council;
use crate::personal_data::{self, Requester};

pub use lantern_core::letter::long_date;

/// The shipped Markdown letter template.
pub const LETTER_MD: &str = include_str!("../../../templates/letter.md.j2");
/// The shipped HTML page the Markdown letter is placed in.
pub const LETTER_HTML: &str = include_str!("../../../templates/letter.html.j2");

/// The version of the letter's JSON form: 2 added the letter's date,
/// addressee, published flag, spreadsheet preference, tables and notices
/// given once.
pub const FORMAT: u32 = 2;

/// Output formats of `lantern answer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The letter in Markdown.
    Md,
    /// The letter as a standalone HTML page.
    Html,
    /// The decisions as JSON.
    Json,
}

/// Everything a letter shows, as templates and JSON readers see it.
#[derive(Debug, Clone, Serialize)]
pub struct LetterView {
    /// Format version of this JSON.
    pub format: u32,
    /// The day the letter was sent (ISO), or `None` while it is a draft.
    /// Set when the letter is printed ([`address`]), never kept in a draft.
    pub date: Option<String>,
    /// The same day in words ("7 November 2019").
    pub date_long: Option<String>,
    /// The requester's name for "Dear …" in the copy they receive; `None`
    /// in a draft as kept, in a published copy, and when the name is not
    /// known (the letter then says "Dear Sir or Madam").
    pub addressee: Option<String>,
    /// The published copy (disclosure log, pages, API): made from the same
    /// decisions, without the requester's name, contact details or own
    /// reference.
    pub published: bool,
    /// The requester asked for a spreadsheet (s11): the letter says the
    /// tables are also sent as CSV and XLSX.
    pub spreadsheet: bool,
    /// Each refusal notice once, naming the questions and periods it covers.
    pub notices: Vec<NoticeView>,
    /// How the letter was made.
    pub made_with: MadeWith,
    /// The council.
    pub council: Council,
    /// The request.
    pub request: RequestView,
    /// Whether the information is held: `all`, `some`, `some_not_held`
    /// (some is not held, the rest is not yet decided or refused under
    /// s12), `none`, `not_stated` (nothing decided yet, or all refused
    /// under s12) or `not_confirmed` (the whole request refused under s12).
    pub holding: &'static str,
    /// What is not yet decided (each open blocking finding's question and
    /// figures, "question 1 for 2017/18"), as one phrase; empty when
    /// everything is decided. The letter says it is neither held nor not
    /// held yet.
    pub undecided: String,
    /// Set when the whole request is refused under s12.
    pub cost_limit: Option<CostLimitView>,
    /// The questions.
    pub questions: Vec<QuestionView>,
    /// Codes of every basis used (`s1_1`, `s22`, …).
    pub bases: Vec<&'static str>,
    /// Whether any figure given comes from NDTMS (for the re-use paragraph).
    pub uses_ndtms: bool,
    /// Points for the officer to review before sending.
    pub warnings: Vec<String>,
    /// What could not be decided because nothing is recorded (no figure or
    /// statement, no recorded "not held"): each blocks approval and sending
    /// until it is resolved.
    pub findings: Vec<FindingView>,
    /// Figures that differ from earlier releases; each must be explained
    /// before the answer is approved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discrepancies: Vec<DiscrepancyView>,
    /// What disclosure control did beyond the small counts.
    pub disclosure: DisclosureView,
}

impl LetterView {
    /// Date the letter with the day it is (or was) sent: the copy printed
    /// for that day rather than a draft.
    pub fn date_as_sent(&mut self, day: jiff::civil::Date) {
        self.date = Some(day.to_string());
        self.date_long = Some(long_date(day));
    }
}

/// A blocking finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// Its number in the draft, from 1.
    pub number: usize,
    /// The question or part ("3b").
    pub question: String,
    /// `figure` or `statement`.
    pub kind: &'static str,
    /// The indicator or topic code.
    pub subject: String,
    /// Area code.
    pub area: String,
    /// Canonical period, if any.
    pub period: Option<String>,
    /// Breakdown key (empty for a total).
    pub breakdown: String,
    /// The breakdown in words, if any.
    pub breakdown_label: Option<String>,
    /// What is missing, in words.
    pub what: String,
    /// The ways forward.
    pub ways_forward: Vec<WayForwardView>,
    /// The release that had published the figure by the day of the
    /// decision, when one had (the draft refers to it under s21).
    pub publication: Option<ReleaseView>,
}

/// One way forward from a blocking finding.
#[derive(Debug, Clone, Serialize)]
pub struct WayForwardView {
    /// `load`, `record_not_held`, `seek_clarification` or `cost_estimate`.
    pub code: &'static str,
    /// In words.
    pub text: &'static str,
}

/// What disclosure control did over the whole answer (with every earlier
/// release in the disclosure log).
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureView {
    /// A search budget ran out, so more is withheld than strictly needed.
    pub budget_exhausted: bool,
    /// Counts withheld beyond the small counts themselves.
    pub secondary: usize,
}

/// A figure that differs from one released earlier.
#[derive(Debug, Clone, Serialize)]
pub struct DiscrepancyView {
    /// Indicator code.
    pub indicator: String,
    /// Canonical period.
    pub period: String,
    /// Breakdown key (empty for a total).
    pub breakdown: String,
    /// The earlier answer.
    pub earlier_reference: String,
    /// What it released.
    pub earlier_value: u64,
    /// What this answer gives.
    pub value: u64,
}

/// How a letter was made, so it can be made again.
#[derive(Debug, Clone, Serialize)]
pub struct MadeWith {
    /// Lantern's version.
    pub lantern: &'static str,
    /// The data version the figures were read at.
    pub data_version: i64,
    /// The disclosure threshold applied.
    pub threshold: u64,
    /// The stored not-held declarations the letter relies on: one
    /// withdrawn since stops it being approved or sent unchanged.
    pub declarations: Vec<i64>,
}

/// The request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    /// Council reference.
    pub reference: String,
    /// Received date, ISO.
    pub received: String,
    /// Received date, long form ("10 June 2019").
    pub received_long: String,
    /// The day the request was decided on, ISO: releases were read as of
    /// this day (the draft's or answer's as-of date).
    pub decided: String,
    /// The same day, long form.
    pub decided_long: String,
    /// The requester's reference.
    pub requester_reference: Option<String>,
    /// Area code answered for.
    pub area: String,
}

/// s12 refusal.
#[derive(Debug, Clone, Serialize)]
pub struct CostLimitView {
    /// Estimated hours.
    pub hours: f64,
    /// Limit in hours.
    pub limit_hours: u32,
    /// The estimate as the letter prints it ("20", "20.5").
    pub hours_text: String,
}

/// One question or part.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    /// "1" or "a".
    pub number: String,
    /// The requester's words.
    pub text: String,
    /// Indicator code, if figures were asked for.
    pub indicator: Option<String>,
    /// Column heading for breakdown values, if the rows are broken down.
    pub breakdown_title: Option<String>,
    /// The figures as the letter shows them: a caption saying the filter
    /// and breakdown in words, and a table of periods (a list) or of
    /// breakdown values × periods (a grid).
    pub table: Option<TableView>,
    /// Rows, one per decision (what the disclosure log records).
    pub rows: Vec<RowView>,
    /// Every row is not held (the letter then says so in one sentence).
    pub all_not_held: bool,
    /// Nothing asked in this question is held (s1(1) for all of it): the
    /// letter says so under the question; the notice comes once, later.
    pub none_held: bool,
    /// The narrative answer.
    pub statement: Option<StatementView>,
    /// Notice paragraphs this question needs (the letter prints each
    /// notice once, from the letter's `notices`).
    pub notices: Vec<NoticeView>,
    /// s16 advice.
    pub advice: Vec<AdviceView>,
    /// Parts.
    pub parts: Vec<QuestionView>,
}

/// A question's table (see `lantern_core::letter::table`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableView {
    /// The filter and breakdown in words, said above the table.
    pub caption: String,
    /// `periods` (one row per period) or `grid` (breakdown values × periods).
    pub layout: String,
    /// The heading of the column of row headings.
    pub corner: String,
    /// The other columns' headings.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<TableRowView>,
    /// What the cells leave out, each named by its period (and band).
    pub notes: Vec<String>,
    /// The figures' unit (`people`, `gbp`, …).
    pub unit: String,
}

/// A row of a table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRowView {
    /// Its heading.
    pub header: String,
    /// One cell per column.
    pub cells: Vec<CellView>,
}

/// A cell of a table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellView {
    /// What it says.
    pub text: String,
    /// `given`, `suppressed`, `not_held`, `withheld`, or `none`.
    pub decision: String,
    /// The exact amount given (pence for money), for spreadsheets.
    pub amount: Option<i64>,
    /// The basis of a cell not given.
    pub basis: Option<String>,
}

fn table_view(t: Table) -> TableView {
    TableView {
        caption: t.caption,
        layout: t.layout.code().to_string(),
        corner: t.corner,
        columns: t.columns,
        rows: t
            .rows
            .into_iter()
            .map(|r| TableRowView {
                header: r.header,
                cells: r
                    .cells
                    .into_iter()
                    .map(|c| CellView {
                        text: c.text,
                        decision: c.decision.to_string(),
                        amount: c.amount,
                        basis: c.basis.map(str::to_string),
                    })
                    .collect(),
            })
            .collect(),
        notes: t.notes,
        unit: format!("{:?}", t.unit).to_lowercase(),
    }
}

/// One row.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// Canonical period asked for.
    pub period: String,
    /// Period as a letter says it.
    pub period_label: String,
    /// Breakdown words, if any.
    pub breakdown_label: Option<String>,
    /// Breakdown key (`crack=crack;age_band=40+`).
    pub breakdown: String,
    /// `given`, `suppressed`, `not_held`, `withheld`, or `missing` (a
    /// blocking finding: nothing recorded).
    pub decision: &'static str,
    /// Basis code when not plainly given.
    pub basis: Option<&'static str>,
    /// The value given, if any.
    pub value: Option<ValueView>,
    /// What the letter prints in the answer column.
    pub text: String,
    /// Caveats.
    pub notes: Vec<String>,
    /// The answer with its caveats, as one passage.
    pub full_text: String,
    /// Source code of the figure used.
    pub source: Option<&'static str>,
    /// Status of the figure used.
    pub status: Option<&'static str>,
    /// Where the figure came from.
    pub provenance: Option<ProvenanceView>,
    /// For a withheld count of people: why (for the officer; the letter's
    /// wording is the section 40(2) paragraph).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld_because: Option<WithheldView>,
}

/// Why a count of people is withheld.
#[derive(Debug, Clone, Serialize)]
pub struct WithheldView {
    /// `primary`, `total`, `margin`, `overlap` or `table`.
    pub kind: &'static str,
    /// The officer's explanation.
    pub text: String,
}

/// A released value.
#[derive(Debug, Clone, Serialize)]
pub struct ValueView {
    /// `exact`, `approx` or `zero` (suppressed rows carry no value).
    pub kind: &'static str,
    /// Unit code (`people`, `gbp`, …).
    pub unit: String,
    /// Exact amount (pence for money).
    pub amount: Option<i64>,
    /// Range ends (pence for money).
    pub low: Option<i64>,
    /// Range ends (pence for money).
    pub high: Option<i64>,
}

/// Provenance of a figure.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceView {
    /// Import (data version) it arrived in.
    pub import: i64,
    /// File.
    pub file: String,
    /// Line.
    pub line: u64,
}

/// A narrative answer.
#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    /// Topic code.
    pub topic: String,
    /// The text, absent when not held.
    pub text: Option<String>,
    /// The recorded reason, when it is recorded as not held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_held_reason: Option<String>,
    /// The blocking finding, when nothing is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<usize>,
}

/// A notice paragraph.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    /// Basis code.
    pub basis: &'static str,
    /// Provision cited.
    pub citation: &'static str,
    /// Whether a public interest test applies.
    pub qualified: bool,
    /// The requested items it concerns.
    pub items: Vec<String>,
    /// The items as one phrase ("2016/17 and 2018/19").
    pub items_text: String,
    /// The questions (and their periods) a letter's notice covers: "question
    /// 1 for 2018/19 and question 2 for 2018/19" (empty under a question).
    pub covers_text: String,
    /// Some of the question was answered.
    pub partly: bool,
    /// The release (s22/s21).
    pub release: Option<ReleaseView>,
    /// s22: the date is far off or unset.
    pub distant: bool,
    /// s22: how far the publication is from the day of the decision, in
    /// words ("9 days", "about 3 weeks", "about 4 months"); absent when the
    /// date is unset.
    pub until_publication: Option<String>,
    /// s22: publication is within a month of the decision.
    pub soon: bool,
    /// s40(2): small numbers withheld.
    pub small_numbers: bool,
    /// s40(2): other numbers withheld to protect them.
    pub secondary: bool,
    /// s40(2): youngest and oldest ages asked for.
    pub extremes: bool,
    /// The disclosure threshold.
    pub threshold: u64,
    /// s12: the officer's estimate in hours for what the notice covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// s12: the limit in hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_hours: Option<u32>,
    /// s12: the estimate as the letter prints it ("25", "20.5").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_text: Option<String>,
}

/// A release as cited.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    /// The release's code in the calendar, when it has one.
    pub code: Option<String>,
    /// Title.
    pub title: String,
    /// Publisher.
    pub publisher: String,
    /// Date, ISO.
    pub date: Option<String>,
    /// Date, long form.
    pub date_long: Option<String>,
    /// URL.
    pub url: Option<String>,
}

/// s16 advice.
#[derive(Debug, Clone, Serialize)]
pub struct AdviceView {
    /// Body.
    pub body: String,
    /// What it holds.
    pub holds: String,
    /// Where.
    pub url: Option<String>,
}

/// Build the view model.
pub fn view(
    answer: &Answer,
    request: &Request,
    catalogue: &Catalogue,
    council: &Council,
    data_version: i64,
) -> LetterView {
    let questions: Vec<QuestionView> = answer
        .questions
        .iter()
        .map(|q| {
            let asked = letter::asked(&request.questions, &q.number);
            question(q, asked, catalogue, answer.threshold)
        })
        .collect();
    let uses_ndtms = questions.iter().any(uses_ndtms);
    LetterView {
        format: FORMAT,
        date: None,
        date_long: None,
        addressee: None,
        published: false,
        spreadsheet: request.wants_spreadsheet,
        notices: letter::notices(answer).iter().map(grouped_notice).collect(),
        made_with: MadeWith {
            lantern: env!("CARGO_PKG_VERSION"),
            data_version,
            threshold: answer.threshold,
            declarations: answer.declarations_used.clone(),
        },
        council: council.clone(),
        request: RequestView {
            reference: answer.reference.clone(),
            received: answer.received.to_string(),
            received_long: long_date(answer.received),
            decided: answer.decided.to_string(),
            decided_long: long_date(answer.decided),
            requester_reference: answer.requester_reference.clone(),
            area: answer.area.clone(),
        },
        holding: answer.holding.code(),
        undecided: undecided(&answer.findings),
        cost_limit: answer.cost_limit.as_ref().map(|c| CostLimitView {
            hours: c.hours,
            limit_hours: c.limit_hours,
            hours_text: hours_text(c.hours),
        }),
        questions,
        bases: answer.bases.iter().map(|b| b.code()).collect(),
        uses_ndtms,
        warnings: answer.warnings.clone(),
        findings: answer
            .findings
            .iter()
            .map(|f| FindingView {
                number: f.number,
                question: f.question.clone(),
                kind: if f.statement { "statement" } else { "figure" },
                subject: f.subject.clone(),
                area: f.area.clone(),
                period: f.period.map(|p| p.to_string()),
                breakdown: f.breakdown.key(),
                breakdown_label: f.label.clone(),
                what: f.what(),
                publication: f.publication.as_ref().map(|p| ReleaseView {
                    code: Some(p.code.clone()),
                    title: p.title.clone(),
                    publisher: p.publisher.clone(),
                    date: Some(p.date.to_string()),
                    date_long: Some(long_date(p.date)),
                    url: web_address(p.url.as_deref()),
                }),
                ways_forward: f
                    .ways_forward()
                    .iter()
                    .map(|w| WayForwardView {
                        code: w.code(),
                        text: w.describe(),
                    })
                    .collect(),
            })
            .collect(),
        discrepancies: answer
            .discrepancies
            .iter()
            .map(|d| DiscrepancyView {
                indicator: d.indicator.clone(),
                period: d.period.to_string(),
                breakdown: d.breakdown.key(),
                earlier_reference: d.earlier_reference.clone(),
                earlier_value: d.earlier_value,
                value: d.value,
            })
            .collect(),
        disclosure: DisclosureView {
            budget_exhausted: answer.disclosure.budget_exhausted,
            secondary: answer.disclosure.secondary,
        },
    }
}

fn uses_ndtms(q: &QuestionView) -> bool {
    q.rows.iter().any(|r| {
        r.decision == "given"
            && matches!(r.source, Some("ndtms_partnership") | Some("ndtms_provider"))
    }) || q.parts.iter().any(uses_ndtms)
}

fn question(
    q: &QuestionAnswer,
    asked: Option<&Question>,
    catalogue: &Catalogue,
    threshold: u64,
) -> QuestionView {
    let breakdown_title = q.rows.iter().any(|r| r.breakdown_label.is_some()).then(|| {
        q.indicator
            .as_ref()
            .and_then(|i| catalogue.indicator(&i.code).ok())
            .and_then(|_| {
                q.rows.iter().find_map(|r| {
                    r.breakdown_label.as_ref()?;
                    r.breakdown
                        .0
                        .keys()
                        .filter_map(|d| catalogue.dimension(d).ok())
                        .find(|d| r.breakdown.get(&d.code) != Some("crack"))
                        .map(|d| d.title.clone())
                })
            })
            .unwrap_or_else(|| "Breakdown".into())
    });
    let periods: Vec<_> = q.rows.iter().map(|r| r.period).collect();
    let rows = merge_not_held(q.rows.iter().map(|r| row(r, threshold)).collect(), &periods);
    QuestionView {
        number: q.number.clone(),
        text: q.text.clone(),
        indicator: q.indicator.as_ref().map(|i| i.code.clone()),
        breakdown_title,
        table: letter::table(q, asked, catalogue, threshold).map(table_view),
        all_not_held: !rows.is_empty()
            && rows
                .iter()
                .all(|r| r.decision == "not_held" && r.notes.is_empty())
            && q.rows
                .iter()
                .all(|r| matches!(r.outcome, Outcome::NotHeld { reason: None })),
        rows,
        none_held: q
            .notices
            .iter()
            .any(|n| matches!(n, Notice::NotHeld { partly: false, .. })),
        statement: q.statement.as_ref().map(|s| match s {
            StatementAnswer::Given { text, topic } => StatementView {
                topic: topic.clone(),
                text: Some(text.clone()),
                not_held_reason: None,
                finding: None,
            },
            StatementAnswer::NotHeld { topic, reason } => StatementView {
                topic: topic.clone(),
                text: None,
                not_held_reason: reason.clone(),
                finding: None,
            },
            StatementAnswer::Missing { topic, finding } => StatementView {
                topic: topic.clone(),
                text: None,
                not_held_reason: None,
                finding: Some(*finding),
            },
        }),
        notices: q.notices.iter().map(notice).collect(),
        advice: q
            .advice
            .iter()
            .map(|a| AdviceView {
                body: a.body.clone(),
                holds: a.holds.clone(),
                url: web_address(a.url.as_deref()),
            })
            .collect(),
        parts: q
            .parts
            .iter()
            .map(|p| {
                let asked = asked.and_then(|a| letter::asked(&a.parts, &p.number));
                question(p, asked, catalogue, threshold)
            })
            .collect(),
    }
}

fn row(r: &Row, threshold: u64) -> RowView {
    let (decision, text) = letter::row_text(&r.outcome, threshold);
    let value = match &r.outcome {
        Outcome::Given { value, unit } => {
            let unit = format!("{unit:?}").to_lowercase();
            Some(match value {
                Value::Exact(v) => ValueView {
                    kind: "exact",
                    unit,
                    amount: Some(*v),
                    low: None,
                    high: None,
                },
                Value::Approximate { low, high } => ValueView {
                    kind: "approx",
                    unit,
                    amount: None,
                    low: Some(*low),
                    high: Some(*high),
                },
                _ => ValueView {
                    kind: "zero",
                    unit,
                    amount: Some(0),
                    low: None,
                    high: None,
                },
            })
        }
        _ => None,
    };
    RowView {
        period: r.period.to_string(),
        period_label: r.period.describe(),
        breakdown_label: r.breakdown_label.clone(),
        breakdown: r.breakdown.key(),
        decision,
        basis: r.outcome.basis().map(Basis::code),
        value,
        full_text: letter::with_notes(&text, &r.notes),
        text,
        notes: r.notes.clone(),
        source: r.source.map(Source::code),
        status: r.status.map(|s| s.code()),
        provenance: r.provenance.as_ref().map(|p| ProvenanceView {
            import: p.import,
            file: p.file.clone(),
            line: p.line,
        }),
        withheld_because: r.withheld_because.as_ref().map(|w| WithheldView {
            kind: w.code(),
            text: w.describe(),
        }),
    }
}

/// Join runs of consecutive financial years that are not held for the same
/// reason into one row ("2012/13 to 2014/15").
fn merge_not_held(rows: Vec<RowView>, periods: &[lantern_core::period::Period]) -> Vec<RowView> {
    let mut out: Vec<(
        RowView,
        lantern_core::period::Period,
        lantern_core::period::Period,
    )> = Vec::new();
    for (r, p) in rows.into_iter().zip(periods.iter().copied()) {
        if let Some((last, first, end)) = out.last_mut()
            && last.decision == "not_held"
            && r.decision == "not_held"
            && last.breakdown_label.is_none()
            && r.breakdown_label.is_none()
            && last.full_text == r.full_text
            && end.last_day().tomorrow().ok() == Some(p.first_day())
        {
            *end = p;
            if let Ok(span) = lantern_core::period::Period::range(first.first_day(), p.last_day()) {
                last.period = span.to_string();
                last.period_label = format!("{} to {}", first.describe(), p.describe());
            }
            continue;
        }
        out.push((r, p, p));
    }
    out.into_iter().map(|(r, _, _)| r).collect()
}

/// The open findings' questions and figures as one phrase: "question 1
/// for 2017/18 and question 2".
pub(crate) fn undecided(findings: &[lantern_core::finding::Finding]) -> String {
    let mut covers: Vec<(String, Vec<String>)> = Vec::new();
    for f in findings {
        let item = f.period.map(|p| match &f.label {
            Some(l) => format!("{} ({l})", p.describe()),
            None => p.describe(),
        });
        match covers.iter_mut().find(|(q, _)| *q == f.question) {
            Some((_, items)) => items.extend(item),
            None => covers.push((f.question.clone(), item.into_iter().collect())),
        }
    }
    let parts: Vec<String> = covers
        .iter()
        .map(|(q, items)| {
            if items.is_empty() {
                format!("question {q}")
            } else {
                format!("question {q} for {}", letter::join_and(items))
            }
        })
        .collect();
    letter::join_and(&parts)
}

/// Hours as a letter prints them: whole hours without a decimal point,
/// others to one decimal place ("25", "20.5").
fn hours_text(hours: f64) -> String {
    let tenths = (hours * 10.0).round();
    if tenths % 10.0 == 0.0 {
        format!("{}", tenths / 10.0)
    } else {
        format!("{:.1}", tenths / 10.0)
    }
}

fn notice(n: &Notice) -> NoticeView {
    let basis = n.basis();
    let mut v = NoticeView {
        basis: basis.code(),
        citation: basis.citation(),
        qualified: basis.is_qualified(),
        items: vec![],
        items_text: String::new(),
        covers_text: String::new(),
        partly: false,
        release: None,
        distant: false,
        until_publication: None,
        soon: false,
        small_numbers: false,
        secondary: false,
        extremes: false,
        threshold: 0,
        hours: None,
        limit_hours: None,
        hours_text: None,
    };
    match n {
        Notice::NotHeld { items, partly } => {
            v.items = items.clone();
            v.partly = *partly;
        }
        Notice::FuturePublication {
            items,
            release,
            distant,
            days_away,
        } => {
            v.items = items.clone();
            v.release = Some(release_view(release));
            v.distant = *distant;
            v.until_publication = days_away.and_then(lantern_core::release::distance_in_words);
            v.soon = days_away.is_some_and(|d| (1..=31).contains(&d));
        }
        Notice::AccessibleElsewhere { items, release } => {
            v.items = items.clone();
            v.release = Some(release_view(release));
        }
        Notice::CostLimit {
            items,
            hours,
            limit_hours,
        } => {
            v.items = items.clone();
            v.hours = Some(*hours);
            v.limit_hours = Some(*limit_hours);
            v.hours_text = Some(hours_text(*hours));
        }
        Notice::PersonalData {
            small_numbers,
            secondary,
            extremes,
            threshold,
        } => {
            v.small_numbers = *small_numbers;
            v.secondary = *secondary;
            v.extremes = *extremes;
            v.threshold = *threshold;
        }
    }
    v.items_text = letter::join_and(&v.items);
    v
}

/// A letter's notice: the paragraph once, with every question it covers.
fn grouped_notice(g: &NoticeGroup) -> NoticeView {
    let mut v = notice(&g.notice);
    v.items = g
        .covers
        .iter()
        .flat_map(|c| {
            c.items
                .iter()
                .map(move |i| format!("question {}: {i}", c.question))
        })
        .collect();
    v.items_text = letter::join_and(&v.items);
    v.covers_text = g.covers_text();
    v.partly =
        matches!(g.notice, Notice::NotHeld { .. }) && g.covers.iter().any(|c| !c.items.is_empty());
    v
}

fn release_view(r: &ReleaseRef) -> ReleaseView {
    ReleaseView {
        code: r.code.clone(),
        title: r.title.clone(),
        publisher: r.publisher.clone(),
        date: r.date.map(|d| d.to_string()),
        date_long: r.date.map(long_date),
        url: web_address(r.url.as_deref()),
    }
}

/// An address a letter may print: a plain web address, or nothing (an
/// address stored before addresses were checked may be anything).
fn web_address(url: Option<&str>) -> Option<String> {
    url.filter(|u| is_web_address(u)).map(str::to_string)
}

/// Markdown to HTML for a letter: raw HTML in the Markdown (which
/// pulldown-cmark would pass through) is printed as text, links to anything
/// but a plain `http`/`https` address keep their words but lose the link,
/// and images become their description (a letter loads nothing).
///
/// Tables are made accessible: a paragraph that is wholly emphasised and
/// comes straight before a table becomes the table's `<caption>` (the
/// templates write a table's caption so; escaped data cannot), header
/// cells are `<th scope="col">` and each body row's first cell is its
/// `<th scope="row">`.
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
    // Whether each open link was kept (links do not nest, but be exact).
    let mut links: Vec<bool> = Vec::new();
    let events: Vec<Event> = Parser::new_ext(md, Options::ENABLE_TABLES)
        .map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Link { dest_url, .. }) if !is_web_address(&dest_url) => {
                links.push(false);
                Event::Text(CowStr::Borrowed(""))
            }
            Event::Start(Tag::Link { .. }) => {
                links.push(true);
                event
            }
            Event::End(TagEnd::Link) => {
                if links.pop().unwrap_or(false) {
                    event
                } else {
                    Event::Text(CowStr::Borrowed(""))
                }
            }
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {
                Event::Text(CowStr::Borrowed(""))
            }
            other => other,
        })
        .collect();
    let mut html = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, accessible_tables(events).into_iter());
    html
}

/// Markdown to plain text for an e-mail body: the words as a reader of a
/// plain-text message expects them, without Markdown's marks (`**`, hard
/// break backslashes, `#`): paragraphs and headings separated by a blank
/// line, list items as "- " or "1. ", a link's address after its words
/// when they differ, table cells separated by " | ", raw HTML as text.
pub fn markdown_to_plain_text(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut out = String::with_capacity(md.len());
    // Each open list's next number (None for bullets).
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut link: Vec<(String, usize)> = Vec::new();
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => out.push_str("----\n\n"),
            Event::Start(Tag::List(first)) => lists.push(first),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                let depth = lists.len().saturating_sub(1);
                out.push_str(&"  ".repeat(depth));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Heading(_)) => {
                if lists.is_empty() {
                    out.push_str("\n\n");
                } else {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link.push((dest_url.to_string(), out.len()))
            }
            Event::End(TagEnd::Link) => {
                if let Some((url, from)) = link.pop()
                    && out[from..].trim() != url
                    && is_web_address(&url)
                {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(TagEnd::TableCell) => out.push_str(" | "),
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                let kept = out.trim_end_matches(" | ").len();
                out.truncate(kept);
                out.push('\n');
            }
            Event::End(TagEnd::Table) => out.push('\n'),
            _ => {}
        }
    }
    // Lines without trailing spaces, at most one blank line in a row.
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || text.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line);
        text.push('\n');
    }
    while text.ends_with("\n\n") {
        text.pop();
    }
    text
}

/// The caption of a table: the text of a paragraph holding only emphasis,
/// when a table starts right after it.
pub(crate) fn caption_at(
    events: &[pulldown_cmark::Event<'_>],
    i: usize,
) -> Option<(String, usize)> {
    use pulldown_cmark::{Event, Tag, TagEnd};
    if !matches!(events.get(i), Some(Event::Start(Tag::Paragraph)))
        || !matches!(events.get(i + 1), Some(Event::Start(Tag::Emphasis)))
    {
        return None;
    }
    let mut text = String::new();
    let mut j = i + 2;
    loop {
        match events.get(j)? {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::End(TagEnd::Emphasis) => break,
            _ => return None,
        }
        j += 1;
    }
    if matches!(events.get(j + 1), Some(Event::End(TagEnd::Paragraph)))
        && matches!(events.get(j + 2), Some(Event::Start(Tag::Table(_))))
    {
        Some((text, j + 2))
    } else {
        None
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Tables with their captions and header cells scoped (see
/// [`markdown_to_html`]). Only markup Lantern writes itself is added; every
/// text stays a text event, escaped by the HTML writer.
fn accessible_tables(events: Vec<pulldown_cmark::Event<'_>>) -> Vec<pulldown_cmark::Event<'_>> {
    use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
    let html = |s: String| Event::Html(CowStr::from(s));
    let mut out = Vec::with_capacity(events.len());
    let mut caption: Option<String> = None;
    let mut in_head = false;
    let mut cell = 0usize;
    let mut i = 0;
    while i < events.len() {
        if let Some((text, table)) = caption_at(&events, i) {
            caption = Some(text);
            i = table;
            continue;
        }
        match &events[i] {
            Event::Start(Tag::Table(_)) => {
                let c = caption
                    .take()
                    .map(|c| format!("<caption>{}</caption>\n", escape_html(&c)))
                    .unwrap_or_default();
                out.push(html(format!("<table>\n{c}")));
            }
            Event::End(TagEnd::Table) => out.push(html("</tbody>\n</table>\n".into())),
            Event::Start(Tag::TableHead) => {
                in_head = true;
                cell = 0;
                out.push(html("<thead>\n<tr>".into()));
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                out.push(html("</tr>\n</thead>\n<tbody>\n".into()));
            }
            Event::Start(Tag::TableRow) => {
                cell = 0;
                out.push(html("<tr>".into()));
            }
            Event::End(TagEnd::TableRow) => out.push(html("</tr>\n".into())),
            Event::Start(Tag::TableCell) => out.push(html(
                if in_head {
                    "<th scope=\"col\">"
                } else if cell == 0 {
                    "<th scope=\"row\">"
                } else {
                    "<td>"
                }
                .into(),
            )),
            Event::End(TagEnd::TableCell) => {
                out.push(html(
                    if in_head || cell == 0 {
                        "</th>"
                    } else {
                        "</td>"
                    }
                    .into(),
                ));
                cell += 1;
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out
}

/// Which copy of a letter to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy<'a> {
    /// The letter the requester receives: "Dear NAME" when the name is
    /// known, else "Dear Sir or Madam".
    Requester {
        /// The requester's name, if known.
        name: Option<&'a str>,
    },
    /// The copy published (disclosure log, pages, API): the same decisions
    /// without the requester's name, contact details or own reference, and
    /// with their name and contact details, other people's names, and any
    /// e-mail address or UK telephone number, removed from the questions'
    /// words and the
    /// narrative answers ([`crate::personal_data`]).
    Published {
        /// The requester as the case records them.
        requester: Requester<'a>,
    },
}

/// Make a letter's JSON form (a fresh view or a kept draft) the copy to
/// print: dated with the day it was sent (`None`: a draft, which says so),
/// and addressed as `copy` says. The name is added only here, so a kept
/// draft and the disclosure log never hold it.
pub fn address(
    view: &mut serde_json::Value,
    copy: Copy<'_>,
    sent: Option<jiff::civil::Date>,
) -> crate::Result<()> {
    if view["format"].as_u64().unwrap_or(0) < u64::from(FORMAT) {
        crate::fail!(
            Conflict,
            "this letter was drafted by an earlier version of Lantern and lacks what a letter now shows (its date, tables and notices); draft it again"
        );
    }
    let Some(v) = view.as_object_mut() else {
        crate::fail!(Internal, "a letter's JSON form is not an object");
    };
    v.insert("date".into(), sent.map(|d| d.to_string()).into());
    v.insert("date_long".into(), sent.map(long_date).into());
    match copy {
        Copy::Requester { name } => {
            let name = name.map(str::trim).filter(|n| !n.is_empty());
            v.insert("addressee".into(), name.into());
            v.insert("published".into(), false.into());
        }
        Copy::Published { requester } => {
            v.insert("addressee".into(), serde_json::Value::Null);
            v.insert("published".into(), true.into());
            v.insert("warnings".into(), serde_json::Value::Array(vec![]));
            if let Some(r) = v.get_mut("request").and_then(|r| r.as_object_mut()) {
                r.insert("requester_reference".into(), serde_json::Value::Null);
            }
            personal_data::remove_from_letter(view, requester);
        }
    }
    Ok(())
}

/// The letter templates a council can edit, by file name: the Markdown
/// response letter and the HTML page every letter is placed in.
pub const TEMPLATE_NAMES: [&str; 2] = ["letter.md.j2", "letter.html.j2"];

/// The shipped text of template `name`, if it is one of [`TEMPLATE_NAMES`].
pub fn shipped_template(name: &str) -> Option<&'static str> {
    match name {
        "letter.md.j2" => Some(LETTER_MD),
        "letter.html.j2" => Some(LETTER_HTML),
        _ => None,
    }
}

/// Where a template's text is wrong: the line and column (from 1) when
/// known, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFault {
    /// The template's file name.
    pub name: String,
    /// Line, from 1.
    pub line: Option<usize>,
    /// Column, from 1.
    pub column: Option<usize>,
    /// What is wrong, in words.
    pub what: String,
}

impl std::fmt::Display for TemplateFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template {}", self.name)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.what)
    }
}

impl TemplateFault {
    /// Where a minijinja error points in `source`.
    fn of(name: &str, source: Option<&str>, e: &minijinja::Error) -> TemplateFault {
        let column = match (source, e.range()) {
            (Some(text), Some(range)) => {
                let before = &text[..range.start.min(text.len())];
                let start = before.rfind('\n').map_or(0, |i| i + 1);
                Some(before[start..].chars().count() + 1)
            }
            _ => None,
        };
        let what = match e.detail() {
            Some(detail) => format!("{} ({detail})", e.kind()),
            None => e.kind().to_string(),
        };
        TemplateFault {
            name: name.to_string(),
            line: e.line(),
            column,
            what,
        }
    }
}

impl From<TemplateFault> for crate::Error {
    fn from(f: TemplateFault) -> crate::Error {
        crate::Error::invalid(format!(
            "{f}; correct the template (the letter templates page, or `lantern council template set`)"
        ))
    }
}

/// Letter templates: a council's own (held in the store), else those in
/// the deployment's templates folder, else the shipped ones.
pub struct Templates {
    built: std::sync::Arc<Built>,
}

/// Templates compiled from their texts (by name).
struct Built {
    env: Environment<'static>,
    sources: Vec<(String, String)>,
}

/// The templates built last, with the texts they were built from. Letters
/// are made again and again from the same few texts (every workspace page
/// of a drafted case shows its letter), and compiling them was a good part
/// of what a letter cost; texts that differ in any byte (another version,
/// a template being tried) are built afresh. Building is a pure function
/// of the texts, so the templates given are the same either way.
static LAST_BUILT: std::sync::Mutex<Option<std::sync::Arc<Built>>> = std::sync::Mutex::new(None);

impl Templates {
    /// Load templates, preferring files in `dir` when given.
    pub fn load(dir: Option<&Path>) -> crate::Result<Templates> {
        Templates::with_own(dir, &[])
    }

    /// The default text of template `name`: the file in `dir` when there is
    /// one, else the shipped text.
    pub fn default_source(dir: Option<&Path>, name: &str) -> crate::Result<String> {
        let Some(shipped) = shipped_template(name) else {
            crate::fail!(
                NotFound,
                "there is no letter template {name}; the templates are {}",
                TEMPLATE_NAMES.join(" and ")
            );
        };
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(crate::Error::invalid(format!(
                "the letter templates folder {} does not exist ([letters] templates in lantern.toml)",
                d.display()
            )));
        }
        match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
            Some(path) => std::fs::read_to_string(&path).map_err(|e| {
                crate::Error::invalid(format!("cannot read template {}: {e}", path.display()))
            }),
            None => Ok(shipped.to_string()),
        }
    }

    /// Load templates: `own` (name and text, a council's own) in place of
    /// the defaults ([`Templates::default_source`]) they name. A template
    /// that does not parse is refused with its line and column.
    pub fn with_own(dir: Option<&Path>, own: &[(&str, &str)]) -> crate::Result<Templates> {
        let mut sources = Vec::new();
        for name in TEMPLATE_NAMES {
            let source = match own.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => (*text).to_string(),
                None => Templates::default_source(dir, name)?,
            };
            sources.push((name.to_string(), source));
        }
        Ok(Templates::build(sources)?)
    }

    fn build(sources: Vec<(String, String)>) -> Result<Templates, TemplateFault> {
        let last = LAST_BUILT.lock().ok().and_then(|last| {
            last.as_ref()
                .filter(|built| built.sources == sources)
                .cloned()
        });
        if let Some(built) = last {
            return Ok(Templates { built });
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(|e| TemplateFault::of("(syntax)", None, &e))?,
        );
        // Only the HTML page escapes HTML; the Markdown letter escapes
        // Markdown with the filters below.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.add_filter("md", |s: String| escape_markdown(&s));
        // A plain web address, escaped for Markdown; anything else prints nothing.
        env.add_filter("url", |s: Option<String>| match s {
            Some(s) if is_web_address(&s) => escape_markdown(&s),
            _ => String::new(),
        });
        env.add_filter("sentence", |s: String| {
            let mut chars = s.chars();
            match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
                None => s,
            }
        });
        for (name, source) in &sources {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|e| TemplateFault::of(name, Some(source), &e))?;
        }
        let built = std::sync::Arc::new(Built { env, sources });
        if let Ok(mut last) = LAST_BUILT.lock() {
            *last = Some(built.clone());
        }
        Ok(Templates { built })
    }

    /// Check that `source` parses as template `name` and, in place of it,
    /// renders `views` (letters' JSON forms) in every format, the HTML page
    /// also holding one of the other letters: the fault, with its line and
    /// column, of the first that does not. Returns the templates with it.
    pub fn trial(
        &self,
        name: &str,
        source: &str,
        views: &[serde_json::Value],
    ) -> Result<Templates, TemplateFault> {
        let mut sources = self.built.sources.clone();
        match sources.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = source.to_string(),
            None => {
                return Err(TemplateFault {
                    name: name.to_string(),
                    line: None,
                    column: None,
                    what: format!(
                        "there is no such letter template; the templates are {}",
                        TEMPLATE_NAMES.join(" and ")
                    ),
                });
            }
        }
        let trial = Templates::build(sources)?;
        let fault = |e: &minijinja::Error| {
            let failing = e.name().unwrap_or(name).to_string();
            let text = trial
                .built
                .sources
                .iter()
                .find(|(n, _)| *n == failing)
                .map(|(_, t)| t.as_str());
            TemplateFault::of(&failing, text, e)
        };
        for view in views {
            let md = trial.markdown_raw(view).map_err(|e| fault(&e))?;
            trial
                .html_page_raw(context! {
                    letter => minijinja::Value::from(minijinja::value::Serde(view)),
                    body => minijinja::Value::from_safe_string(markdown_to_html(&md)),
                })
                .map_err(|e| fault(&e))?;
        }
        trial
            .html_page_raw(context! {
                title => "Acknowledgement",
                letter => context! { request => context! { reference => "" } },
                body => minijinja::Value::from_safe_string(String::new()),
            })
            .map_err(|e| fault(&e))?;
        Ok(trial)
    }

    /// The text of template `name` these templates use.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.built
            .sources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    /// Render the letter in a format.
    /// (`view` is a [`LetterView`], or its JSON form read back from a stored draft.)
    pub fn render<V: Serialize>(&self, view: &V, format: Format) -> crate::Result<String> {
        match format {
            Format::Json => Ok(serde_json::to_string_pretty(view)? + "\n"),
            Format::Md => self.markdown(view),
            Format::Html => {
                let md = self.markdown(view)?;
                self.html_page(context! {
                    letter => minijinja::Value::from(minijinja::value::Serde(view)),
                    body => minijinja::Value::from_safe_string(markdown_to_html(&md)),
                })
            }
        }
    }

    /// A letter other than the answer (already Markdown) as a standalone
    /// HTML page titled `title`, in the same page as the answer letter.
    pub fn page(&self, title: &str, md: &str) -> crate::Result<String> {
        self.html_page(context! {
            title => title,
            letter => context! { request => context! { reference => "" } },
            body => minijinja::Value::from_safe_string(markdown_to_html(md)),
        })
    }

    /// The HTML page (`letter.html.j2`) with `values`.
    fn html_page(&self, values: minijinja::Value) -> crate::Result<String> {
        let page = self
            .html_page_raw(values)
            .map_err(|e| TemplateFault::of("letter.html.j2", self.source("letter.html.j2"), &e))?;
        Ok(page.trim_end().to_string() + "\n")
    }

    fn html_page_raw(&self, values: minijinja::Value) -> Result<String, minijinja::Error> {
        self.built
            .env
            .get_template("letter.html.j2")?
            .render(values)
    }

    fn markdown_raw<V: Serialize>(&self, view: &V) -> Result<String, minijinja::Error> {
        self.built
            .env
            .get_template("letter.md.j2")?
            .render(context! { letter => minijinja::Value::from(minijinja::value::Serde(view)) })
    }

    /// The letter as a Word document, made from the same Markdown as the
    /// HTML letter ([`crate::docx`]), titled `title` and made by the council
    /// (never a person).
    pub fn docx<V: Serialize>(
        &self,
        view: &V,
        title: &str,
        council: &str,
    ) -> crate::Result<Vec<u8>> {
        let md = self.markdown(view)?;
        crate::docx::from_markdown(
            &md,
            &crate::docx::About {
                title,
                creator: council,
            },
        )
    }

    fn markdown<V: Serialize>(&self, view: &V) -> crate::Result<String> {
        let text = self
            .markdown_raw(view)
            .map_err(|e| TemplateFault::of("letter.md.j2", self.source("letter.md.j2"), &e))?;
        // Collapse runs of blank lines a template's conditionals leave behind.
        let mut out = String::with_capacity(text.len());
        let mut blank = 0;
        for line in text.lines() {
            if line.trim().is_empty() {
                blank += 1;
                if blank > 1 {
                    continue;
                }
                out.push('\n');
            } else {
                blank = 0;
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        Ok(out.trim().to_string() + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::markdown_to_plain_text;

    #[test]
    fn a_letter_in_markdown_reads_as_plain_text_without_its_marks() {
        let md = "# Your request\n\n**Date:** 5 July 2019\\\n**Reference:** FOI-1\n\n\
                  We received *your* request on [our site](https://example.org/foi).\n\n\
                  1. first\n2. second\n\n- a\n- b\n\n\
                  | Year | People |\n|---|---|\n| 2019/20 | fewer than 5 |\n\n<b>kept as text</b>\n";
        assert_eq!(
            markdown_to_plain_text(md),
            "Your request\n\nDate: 5 July 2019\nReference: FOI-1\n\n\
             We received your request on our site (https://example.org/foi).\n\n\
             1. first\n2. second\n\n- a\n- b\n\n\
             Year | People\n2019/20 | fewer than 5\n\n<b>kept as text</b>\n"
        );
    }

    use super::*;

    #[test]
    fn a_table_gets_its_caption_and_scoped_header_cells() {
        let md = "*People: using crack, by age band*\n\n| Age band | 2017/18 |\n|---|---|\n| aged 40 and over | 12 |\n";
        let html = markdown_to_html(md);
        assert_eq!(
            html,
            "<table>\n<caption>People: using crack, by age band</caption>\n<thead>\n<tr><th scope=\"col\">Age band</th><th scope=\"col\">2017/18</th></tr>\n</thead>\n<tbody>\n<tr><th scope=\"row\">aged 40 and over</th><td>12</td></tr>\n</tbody>\n</table>\n"
        );
        // Emphasis not right before a table stays a paragraph; escaped data
        // cannot become a caption.
        let plain = markdown_to_html("*just words*\n\nmore\n");
        assert!(plain.contains("<p><em>just words</em></p>"), "{plain}");
        let escaped = markdown_to_html(&format!(
            "{}\n\n| a |\n|---|\n| b |\n",
            escape_markdown("*<script>*")
        ));
        assert!(!escaped.contains("<caption>"), "{escaped}");
        assert!(escaped.contains("&lt;script&gt;"), "{escaped}");
    }

    #[test]
    fn requester_text_cannot_inject_markup() {
        assert_eq!(
            escape_markdown("<script>*x*</script>"),
            "\\<script\\>\\*x\\*\\</script\\>"
        );
        assert_eq!(
            escape_markdown("A&E &lt; &#60; R & D"),
            "A&E \\&lt; \\&\\#60; R & D"
        );
        assert_eq!(
            letter::join_and(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }
}
