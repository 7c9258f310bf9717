//! The schema of `GET /api/letters/{reference}`: the published copy of a
//! sent answer in the letter's JSON form. That form is
//! `lantern_app::letters::LetterView` (the application owns it; the kept
//! draft is its JSON, made the published copy by `letters::address`), so
//! the reply is passed on as kept and these types only describe it for the
//! OpenAPI document; the CLI test `api::every_documented_reply_matches_its_schema`
//! holds real letters to them, so a field added to the view without being
//! described here fails there.

#![allow(dead_code)]

use utoipa::ToSchema;

/// The published copy of a sent answer: no requester's name, contact
/// details or reference (`addressee` and `request.requester_reference`
/// are null; `published` is true).
#[derive(ToSchema)]
pub struct LetterOut {
    /// The version of this form (2).
    format: u32,
    /// The day it was sent (YYYY-MM-DD).
    date: Option<String>,
    /// The same, in words.
    date_long: Option<String>,
    /// Null in the published copy.
    addressee: Option<String>,
    /// True in the published copy.
    published: bool,
    /// The requester asked for a spreadsheet.
    spreadsheet: bool,
    /// The refusal notices, each once, naming what it covers.
    notices: Vec<NoticeOut>,
    /// What made it.
    made_with: MadeWithOut,
    /// The council answering.
    council: CouncilOut,
    /// The request answered.
    request: LetterRequestOut,
    /// Whether the council holds what was asked: `all`, `some`,
    /// `some_not_held` or `none`.
    holding: String,
    /// What is still to decide, in words (empty once decided).
    undecided: String,
    /// The cost limit (section 12), when the request exceeds it.
    cost_limit: Option<CostLimitOut>,
    /// The questions with their answers, in order.
    questions: Vec<LetterQuestionOut>,
    /// The sections of the Act the answer relies on (`s1_1`, `s22`, …).
    bases: Vec<String>,
    /// Some figure comes from NDTMS.
    uses_ndtms: bool,
    /// Empty in the published copy.
    warnings: Vec<String>,
    /// Blocking findings the draft had (none once sent).
    findings: Vec<LetterFindingOut>,
    /// Figures that differ from an earlier answer's; absent when none do.
    discrepancies: Option<Vec<DiscrepancyOut>>,
    /// Disclosure control's summary.
    disclosure: DisclosureOut,
}

/// A refusal notice.
#[derive(ToSchema)]
pub struct NoticeOut {
    /// The exemption's code (`s22`, `s40_2`, `s1_1`, …).
    basis: String,
    /// The section, in words.
    citation: String,
    /// A qualified exemption (public interest test).
    qualified: bool,
    /// What it withholds.
    items: Vec<String>,
    /// The same, in words.
    items_text: String,
    /// The questions it covers, in words.
    covers_text: String,
    /// It withholds only part of what was asked.
    partly: bool,
    /// The publication it waits for (section 22), or null.
    release: Option<ReleaseOut>,
    /// That publication is far off.
    distant: bool,
    /// How long until it, in words.
    until_publication: Option<String>,
    /// It is soon.
    soon: bool,
    /// Small numbers withheld (section 40(2)).
    small_numbers: bool,
    /// Withheld so a small number cannot be worked out.
    secondary: bool,
    /// Extremes withheld.
    extremes: bool,
    /// The small-number threshold.
    threshold: u64,
    /// The estimate of hours (section 12), when it is one.
    hours: Option<f64>,
    /// The limit in hours (section 12).
    limit_hours: Option<u32>,
    /// The hours in words (section 12).
    hours_text: Option<String>,
}

/// A publication.
#[derive(ToSchema)]
pub struct ReleaseOut {
    /// Its code, or null.
    code: Option<String>,
    /// Its title.
    title: String,
    /// Who publishes it.
    publisher: String,
    /// When (YYYY-MM-DD), if known.
    date: Option<String>,
    /// The same, in words.
    date_long: Option<String>,
    /// Where it is, if known.
    url: Option<String>,
}

/// What made the letter.
#[derive(ToSchema)]
pub struct MadeWithOut {
    /// Lantern's version.
    lantern: String,
    /// The data version it was decided from.
    data_version: i64,
    /// The small-number threshold.
    threshold: u64,
    /// The disclosure declarations used.
    declarations: Vec<i64>,
}

/// The council answering.
#[derive(ToSchema)]
pub struct CouncilOut {
    /// Its name.
    name: String,
    /// Its area code, if set.
    area: Option<String>,
    /// The team that answers.
    team: String,
    /// Its postal address, by line.
    address: Vec<String>,
    /// Its e-mail address, if set.
    email: Option<String>,
    /// The letter's signature, by line.
    signature: Vec<String>,
}

/// The request answered.
#[derive(ToSchema)]
pub struct LetterRequestOut {
    /// The reference.
    reference: String,
    /// When it was received (YYYY-MM-DD).
    received: String,
    /// The same, in words.
    received_long: String,
    /// When it was decided (YYYY-MM-DD).
    decided: String,
    /// The same, in words.
    decided_long: String,
    /// Null in the published copy.
    requester_reference: Option<String>,
    /// The area asked about.
    area: String,
}

/// The cost limit (section 12).
#[derive(ToSchema)]
pub struct CostLimitOut {
    /// The estimate of hours.
    hours: f64,
    /// The limit in hours.
    limit_hours: u32,
    /// The estimate in words.
    hours_text: String,
}

/// A question (or part) with its answer.
#[derive(ToSchema)]
pub struct LetterQuestionOut {
    /// Its number ("3", "b").
    number: String,
    /// The requester's words (people's names and contact details removed).
    text: String,
    /// The indicator it is answered with, or null.
    indicator: Option<String>,
    /// What the table is broken down by, in words, or null.
    breakdown_title: Option<String>,
    /// Its table, or null.
    table: Option<TableOut>,
    /// Its figures, one per period and breakdown.
    rows: Vec<LetterRowOut>,
    /// Nothing of it is held.
    all_not_held: bool,
    /// None of its figures is held.
    none_held: bool,
    /// The narrative answer, for a statement question, or null.
    statement: Option<StatementOut>,
    /// Notices that are about this question.
    notices: Vec<NoticeOut>,
    /// Advice and assistance (section 16).
    advice: Vec<AdviceOut>,
    /// Its parts.
    #[schema(no_recursion)]
    parts: Vec<LetterQuestionOut>,
}

/// A question's table, as the letter prints it.
#[derive(ToSchema)]
pub struct TableOut {
    /// Its caption.
    caption: String,
    /// `periods` or `grid`.
    layout: String,
    /// The corner cell's text.
    corner: String,
    /// The column headings.
    columns: Vec<String>,
    /// The rows.
    rows: Vec<TableRowOut>,
    /// Notes under it.
    notes: Vec<String>,
    /// The unit (`people`, `pounds`, …).
    unit: String,
}

/// A row of a table.
#[derive(ToSchema)]
pub struct TableRowOut {
    /// Its heading.
    header: String,
    /// Its cells.
    cells: Vec<CellOut>,
}

/// A cell of a table.
#[derive(ToSchema)]
pub struct CellOut {
    /// What it says ("fewer than 5").
    text: String,
    /// `given`, `suppressed`, `withheld`, `not_held`, …
    decision: String,
    /// The count, when given exactly.
    amount: Option<i64>,
    /// The exemption, when withheld.
    basis: Option<String>,
}

/// One figure of a question.
#[derive(ToSchema)]
pub struct LetterRowOut {
    /// The period (`2018/19`).
    period: String,
    /// The period in words.
    period_label: String,
    /// The breakdown in words, or null for a total.
    breakdown_label: Option<String>,
    /// The breakdown as codes (`substance_group=opiate`).
    breakdown: String,
    /// `given`, `suppressed`, `withheld`, `not_held`, …
    decision: String,
    /// The exemption, when withheld.
    basis: Option<String>,
    /// The value given, or null.
    value: Option<ValueOut>,
    /// What the letter says.
    text: String,
    /// Notes on it.
    notes: Vec<String>,
    /// What the letter says, with its notes.
    full_text: String,
    /// Where it comes from, or null.
    source: Option<String>,
    /// Its status at the source, or null.
    status: Option<String>,
    /// The import it was read from, or null.
    provenance: Option<ProvenanceOut>,
    /// Why it is withheld, when it is; absent otherwise.
    withheld_because: Option<WithheldOut>,
}

/// A value given.
#[derive(ToSchema)]
pub struct ValueOut {
    /// `exact`, `approx` (with `low` and `high`) or `zero`.
    kind: String,
    /// The unit.
    unit: String,
    /// The amount, when exact.
    amount: Option<i64>,
    /// The lower bound, for a range.
    low: Option<i64>,
    /// The upper bound, for a range.
    high: Option<i64>,
}

/// Where a figure was read from.
#[derive(ToSchema)]
pub struct ProvenanceOut {
    /// The import's id.
    import: i64,
    /// The file.
    file: String,
    /// The line.
    line: u64,
}

/// Why a figure is withheld.
#[derive(ToSchema)]
pub struct WithheldOut {
    /// Its code.
    kind: String,
    /// In words.
    text: String,
}

/// A narrative answer.
#[derive(ToSchema)]
pub struct StatementOut {
    /// The topic's code.
    topic: String,
    /// The statement, or null when not held.
    text: Option<String>,
    /// Why it is not held, when it is not; absent otherwise.
    not_held_reason: Option<String>,
    /// The finding it was, while open; absent otherwise.
    finding: Option<usize>,
}

/// Advice and assistance (section 16).
#[derive(ToSchema)]
pub struct AdviceOut {
    /// What it says.
    body: String,
    /// Who holds the information.
    holds: String,
    /// Where, if known.
    url: Option<String>,
}

/// A blocking finding of the draft.
#[derive(ToSchema)]
pub struct LetterFindingOut {
    /// Its number.
    number: usize,
    /// The question.
    question: String,
    /// `figure` or `statement`.
    kind: String,
    /// What is missing (an indicator or topic).
    subject: String,
    /// The area.
    area: String,
    /// The period, for a figure.
    period: Option<String>,
    /// The breakdown as codes.
    breakdown: String,
    /// The breakdown in words.
    breakdown_label: Option<String>,
    /// What is missing, in words.
    what: String,
    /// The ways forward.
    ways_forward: Vec<WayForwardOut>,
    /// A publication that may hold it (section 21), or null.
    publication: Option<ReleaseOut>,
}

/// A way forward from a finding.
#[derive(ToSchema)]
pub struct WayForwardOut {
    /// Its code.
    code: String,
    /// In words.
    text: String,
}

/// A figure that differs from an earlier answer's.
#[derive(ToSchema)]
pub struct DiscrepancyOut {
    /// The indicator.
    indicator: String,
    /// The period.
    period: String,
    /// The breakdown as codes.
    breakdown: String,
    /// The earlier answer.
    earlier_reference: String,
    /// What it gave.
    earlier_value: u64,
    /// What this one gives.
    value: u64,
}

/// Disclosure control's summary.
#[derive(ToSchema)]
pub struct DisclosureOut {
    /// The search's budget ran out.
    budget_exhausted: bool,
    /// How many figures were withheld so that another cannot be worked out.
    secondary: usize,
}
