//! Answer planning: decide every question of a request from the figures,
//! statements and releases Lantern holds — what is given, what is not held
//! (s1(1)), what is withheld and on which basis (s22, s21, s40(2), s12), and
//! what advice to give (s16).
//!
//! The planner is a pure function of its inputs ([`Evidence`] and the
//! [`Request`]): the same request over the same data version always gives the
//! same [`Answer`]. Disclosure control runs once over the whole answer, so a
//! total given in one question and a breakdown given in another are protected
//! together.
//!
//! Releases are read at the date of the council's decision on the request
//! (its `decided` day: the draft's or answer's as-of date, not the received
//! date; Montague v Information Commissioner, UT 2022).
//!
//! Rules, in the order they apply to each requested period:
//! 1. An indicator the catalogue says the council never holds is not held,
//!    with s16 advice.
//! 2. A release still to come on the decision day, intended since the request
//!    arrived, withholds the figure under s22 naming the release and its date
//!    (qualified; the letter gives the public interest reasoning by the real
//!    distance to publication).
//! 3. Otherwise the best shareable figure is given: exact period before a
//!    part of it, then sources in [`Source::ALL`] order. If the preferred
//!    source cannot share yet, a figure from another source is given with
//!    that caveat; if none can, s22 applies with no fixed date.
//! 4. A figure already published by the decision day by a release whose
//!    indicator says `after_publication = "refer"` is refused under s21,
//!    saying where it is.
//! 5. No figure: not held (s1(1)) only where that is recorded — a figure
//!    held with status not held and its reason, or a declaration by the
//!    council or the officer on the case ([`crate::finding::Declaration`]).
//!    Where nothing is recorded but a release had published the figure by
//!    the decision day, the row offers s21 with the publication's address;
//!    otherwise the row is [`Outcome::Missing`]. Either way the answer
//!    carries a blocking [`Finding`]: never "not held" by absence —
//!    unless the officer settled that finding on the case while it reads
//!    the same ([`Settled`]): the s21 offer accepted, or section 12 on
//!    their estimate of more than the cost limit (that cell alone, with
//!    its own notice). An open finding counts neither as held nor as not
//!    held in the holding statement.
//! 6. Counts of people then go through disclosure control: small counts and
//!    the cells that would reveal them are withheld under s40(2); youngest and
//!    oldest ages are never given. Earlier answers and the totals releases
//!    had published by the decision day are in the same protected table.
//!
//! Held means computable ([`compose`], [`crate::records::count`]): a cell
//! not held as such is the sum of held cells that make it up exactly (a
//! union of separate values of one breakdown), or, where the council holds
//! providers' records for the area and the period, counted from them — but
//! only when they are complete (every provider registered for the area has
//! a current submission reaching the period's last month); otherwise the
//! answer carries a blocking finding naming the providers and months
//! missing. A band the records cannot give gets a plain explanation.
//!
//! One table, one basis: every cell of one question (its periods × its
//! breakdown) comes from one source, so that they add up. The source is
//! the first in [`Source::ALL`] order that gives every cell (directly, as a
//! sum, or from records), else the one giving most; the same indicator's
//! earlier table's source is preferred when it gives every cell too. Other
//! sources' values for the same cells, where they differ, are shown to the
//! officer with the difference ([`SourceDifference`]). A table never holds
//! two bands that overlap: the finest held are kept.

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

use jiff::civil::Date;

mod compose;

use crate::catalogue::{Catalogue, Indicator, OtherHolder, Unit};
use crate::disclosure::{Policy, Protection};
use crate::figure::{Breakdown, Figure, Provenance, Source, Status, Value};
use crate::finding::{Declaration, Finding, Publication, Settled, Settlement};
use crate::foi::{Basis, COUNCIL_COST_LIMIT_HOURS, Holding};
use crate::period::Period;
use crate::protected::{self, KnownCell, NewCell, Shown};
use crate::records::count::{self, Counter, HeldRecords, Uncountable};
use crate::release::{self, Release};
use crate::request::{Ask, FigureAsk, Question, Request};
use crate::statement::{self, Statement};
use crate::withheld::{self, WithheldBecause};

/// Everything the planner may use, loaded by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The indicator catalogue.
    pub catalogue: &'a Catalogue,
    /// Figures (at least all those for the indicators and area asked about).
    pub figures: &'a [Figure],
    /// Statements for the area.
    pub statements: &'a [Statement],
    /// The publication calendar.
    pub releases: &'a [Release],
    /// Disclosure-control settings.
    pub policy: Policy,
    /// The council's own area (used when the request names none).
    pub area: &'a str,
    /// Counts of people already released or withheld in earlier answers
    /// (the whole disclosure log, every council's): new answers stay
    /// consistent with them and cannot be differenced against them.
    pub earlier: &'a [EarlierRelease],
    /// The providers' records the council holds for the area at the data
    /// version, when it holds any: counts not held as figures are counted
    /// from them on demand.
    pub records: Option<&'a HeldRecords>,
    /// Recorded "not held" declarations: the council's, and the officer's
    /// on this case.
    pub declarations: &'a [Declaration],
    /// Blocking findings the officer settled on this case without a figure
    /// or a declaration (the s21 offer accepted, an s12 estimate).
    pub settled: &'a [Settled],
}

/// Two sources giving different values for one cell of a table: the
/// table uses one; the officer sees the other and the difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDifference {
    /// Indicator code.
    pub indicator: String,
    /// The period.
    pub period: Period,
    /// The cell's breakdown (empty for a total).
    pub breakdown: Breakdown,
    /// The source the table uses.
    pub used: Source,
    /// Its value.
    pub value: i64,
    /// The other source.
    pub other: Source,
    /// Its value.
    pub other_value: i64,
}

/// A count of people an earlier answer released or withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierRelease {
    /// The earlier request's reference.
    pub reference: String,
    /// When it was sent (RFC 3339).
    pub sent: String,
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// The figure's period.
    pub period: Period,
    /// Its breakdown.
    pub breakdown: Breakdown,
    /// What the answer showed: the value, "fewer than t", or withheld.
    pub shown: Shown,
}

/// The decided answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The request's reference.
    pub reference: String,
    /// When it was received.
    pub received: Date,
    /// The day it was decided on: releases are read as of this day.
    pub decided: Date,
    /// The requester's reference.
    pub requester_reference: Option<String>,
    /// The area answered for.
    pub area: String,
    /// The opening statement.
    pub holding: Holding,
    /// Each question in order.
    pub questions: Vec<QuestionAnswer>,
    /// Set when the whole request is refused under s12.
    pub cost_limit: Option<CostLimit>,
    /// Every basis used anywhere in the answer, in citation order.
    pub bases: Vec<Basis>,
    /// Things the officer should look at before sending.
    pub warnings: Vec<String>,
    /// What could not be decided because nothing is recorded: each blocks
    /// approval and sending until it is resolved.
    pub findings: Vec<Finding>,
    /// Figures that differ from the same figure released in an earlier
    /// answer: the officer must explain each before the answer is approved.
    pub discrepancies: Vec<Discrepancy>,
    /// Where another source gives a different value for a cell of a table
    /// (each table uses one source).
    pub source_differences: Vec<SourceDifference>,
    /// The stored not-held declarations the answer relies on (their ids):
    /// one withdrawn later means the answer cannot be sent unchanged.
    pub declarations_used: Vec<i64>,
    /// The disclosure threshold applied.
    pub threshold: u64,
    /// What disclosure control did beyond the small counts themselves.
    pub disclosure: DisclosureSummary,
}

/// What disclosure control did over a whole answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DisclosureSummary {
    /// A search budget ran out, so more was withheld than a longer search
    /// might have needed (never less).
    pub budget_exhausted: bool,
    /// Counts withheld beyond the small counts themselves (secondary
    /// suppression), so that the small ones cannot be worked out.
    pub secondary: usize,
}

/// A figure that differs from the one an earlier answer released for the
/// same indicator, area, period and breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    /// Indicator code.
    pub indicator: String,
    /// The period.
    pub period: Period,
    /// The breakdown (empty for a total).
    pub breakdown: Breakdown,
    /// The earlier answer's reference.
    pub earlier_reference: String,
    /// The value it released.
    pub earlier_value: u64,
    /// The value this answer gives.
    pub value: u64,
}

/// An s12 refusal of the whole request.
#[derive(Debug, Clone, PartialEq)]
pub struct CostLimit {
    /// Estimated hours.
    pub hours: f64,
    /// The limit in hours.
    pub limit_hours: u32,
}

/// The answer to one question or part.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionAnswer {
    /// "1" or "a".
    pub number: String,
    /// The requester's words.
    pub text: String,
    /// The indicator asked about, if figures were asked for.
    pub indicator: Option<IndicatorRef>,
    /// Figure rows, in the requester's period order.
    pub rows: Vec<Row>,
    /// The narrative answer, if a statement was asked for.
    pub statement: Option<StatementAnswer>,
    /// Refusal-notice paragraphs this question needs.
    pub notices: Vec<Notice>,
    /// s16 advice: who else holds it.
    pub advice: Vec<OtherHolder>,
    /// Lettered parts.
    pub parts: Vec<QuestionAnswer>,
}

/// The indicator a question is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorRef {
    /// Code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Unit.
    pub unit: Unit,
}

/// One line of a figures answer: a period (and breakdown) and what happens to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The period asked about.
    pub period: Period,
    /// The breakdown of the cell (filter and breakdown dimensions).
    pub breakdown: Breakdown,
    /// Words for the breakdown dimensions the question splits by ("aged 40 and over").
    pub breakdown_label: Option<String>,
    /// The decision.
    pub outcome: Outcome,
    /// Caveats to give with it (coverage, partial period, source caveats).
    pub notes: Vec<String>,
    /// Where the figure came from, if one was used.
    pub source: Option<Source>,
    /// Provisional or final, if a figure was used.
    pub status: Option<Status>,
    /// The figure's provenance, if one was used.
    pub provenance: Option<Provenance>,
    /// The period the figure is actually for, when narrower than asked.
    pub figure_period: Option<Period>,
    /// Which count of people this row is in the answer's disclosure-control
    /// tables (`None` for rows disclosure control does not see).
    pub cell_index: Option<usize>,
    /// Why a withheld count of people is withheld (primary, or the relation
    /// that forced a secondary), for the officer.
    pub withheld_because: Option<WithheldBecause>,
}

/// What is decided for a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Given: exact, approximate, or zero with its reason.
    Given {
        /// The value.
        value: Value,
        /// Its unit.
        unit: Unit,
    },
    /// A count of people withheld by disclosure control (s40(2)).
    Suppressed {
        /// Primary (a small count) or secondary (would reveal one).
        protection: Protection,
    },
    /// Not held (s1(1)), with the recorded reason if there is one.
    NotHeld {
        /// Why.
        reason: Option<String>,
    },
    /// No figure and no recorded "not held": a blocking finding.
    Missing {
        /// The finding's number in [`Answer::findings`].
        finding: usize,
    },
    /// Withheld under an exemption.
    Withheld {
        /// s22, s21 or s40(2).
        basis: Basis,
        /// The release concerned (s22/s21).
        release: Option<ReleaseRef>,
    },
}

impl Outcome {
    /// The basis this outcome relies on, if it is not a plain disclosure.
    pub fn basis(&self) -> Option<Basis> {
        match self {
            Outcome::Given { .. } | Outcome::Missing { .. } => None,
            Outcome::Suppressed { .. } => Some(Basis::PersonalData),
            Outcome::NotHeld { .. } => Some(Basis::NotHeld),
            Outcome::Withheld { basis, .. } => Some(*basis),
        }
    }
}

/// A release as cited in a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRef {
    /// The release's code in the calendar (none for a source's "not yet
    /// shareable" with no release recorded).
    pub code: Option<String>,
    /// Title.
    pub title: String,
    /// Publisher.
    pub publisher: String,
    /// Date (planned or actual).
    pub date: Option<Date>,
    /// Where.
    pub url: Option<String>,
}

/// A narrative answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementAnswer {
    /// The statement valid on the received date.
    Given {
        /// The text.
        text: String,
        /// Its topic.
        topic: String,
    },
    /// Recorded as not held (a declaration for the topic).
    NotHeld {
        /// The topic asked.
        topic: String,
        /// The recorded reason.
        reason: Option<String>,
    },
    /// Nothing recorded on the topic for that date, and no recorded "not
    /// held": a blocking finding.
    Missing {
        /// The topic asked.
        topic: String,
        /// The finding's number in [`Answer::findings`].
        finding: usize,
    },
}

/// A refusal-notice paragraph a question needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// s1(1): some or all of it is not held.
    NotHeld {
        /// What is not held ("2016/17"), empty when the whole question.
        items: Vec<String>,
        /// Whether some of the question was answered.
        partly: bool,
    },
    /// s22: intended for future publication.
    FuturePublication {
        /// Which requested figures ("2018/19").
        items: Vec<String>,
        /// The release.
        release: ReleaseRef,
        /// Whether the publication date is far off or unset (the public
        /// interest then leans towards release; the officer must review).
        distant: bool,
        /// Whole days from the decision to the publication date, when set.
        days_away: Option<i32>,
    },
    /// s21: already published.
    AccessibleElsewhere {
        /// Which requested figures.
        items: Vec<String>,
        /// Where.
        release: ReleaseRef,
    },
    /// s12: the officer estimates that finding these figures would take
    /// more than the cost limit (the question's part refused, with advice
    /// on narrowing it under s16).
    CostLimit {
        /// Which requested figures ("2017/18").
        items: Vec<String>,
        /// The officer's estimate in hours (for the figures together).
        hours: f64,
        /// The limit in hours.
        limit_hours: u32,
    },
    /// s40(2): personal data.
    PersonalData {
        /// Small counts were withheld.
        small_numbers: bool,
        /// Other counts were withheld so small ones cannot be worked out.
        secondary: bool,
        /// Youngest and oldest ages were asked for and are not given.
        extremes: bool,
        /// The disclosure threshold.
        threshold: u64,
    },
}

impl Notice {
    /// The basis the paragraph cites.
    pub fn basis(&self) -> Basis {
        match self {
            Notice::NotHeld { .. } => Basis::NotHeld,
            Notice::FuturePublication { .. } => Basis::FuturePublication,
            Notice::AccessibleElsewhere { .. } => Basis::AccessibleElsewhere,
            Notice::CostLimit { .. } => Basis::CostLimit,
            Notice::PersonalData { .. } => Basis::PersonalData,
        }
    }
}

/// How far ahead a release may be before s22's public interest test needs
/// the officer's own judgement (months).
const DISTANT_RELEASE_MONTHS: i32 = 6;

/// Decide a request on the day its file records it was answered, else the
/// day it was received.
pub fn plan(request: &Request, evidence: &Evidence) -> Answer {
    plan_on(
        request,
        evidence,
        request.answered.unwrap_or(request.received),
    )
}

/// Decide a request on the day `decided` (the council's decision: the
/// draft's or answer's as-of date). Releases are read as of that day; a day
/// before the request was received is taken as the received day.
pub fn plan_on(request: &Request, evidence: &Evidence, decided: Date) -> Answer {
    plan_counting(request, evidence, decided).0
}

/// [`plan_on`], also saying whether the plan counted anything from the
/// providers' records (`evidence.records`), as opposed to only asking which
/// submissions are held and which months they reach. A caller may pass the
/// submissions alone (no records, as
/// `lantern_store::Store::submissions_held` reads them) and, only when
/// this says the records were counted, plan again with the records: the
/// records of a large area are costly to read and count, and most answers
/// are given from figures held.
pub fn plan_counting(request: &Request, evidence: &Evidence, decided: Date) -> (Answer, bool) {
    let decided = decided.max(request.received);
    let area = request
        .area
        .clone()
        .unwrap_or_else(|| evidence.area.to_string());
    // The requester's own bands join the age-band dimension, so disclosure
    // control writes them as sums over leaves like any other band.
    let mut bands = Vec::new();
    collect_bands(&request.questions, &mut bands);
    let fine = evidence.catalogue.with_age_bands(&bands);
    // The officer's s12 estimates for parts of the request are taken
    // together with the request's own (the Fees Regulations aggregate the
    // costs of requests on the same subject; the limit applies to the
    // total): a first plan applies them; if together they stay within the
    // limit, s12 does not apply and the request is planned again with
    // their findings open.
    let make = |cost_settlements: bool| Planner {
        evidence,
        by_cell: ByCell::new(evidence.figures),
        earlier_by_cell: {
            let mut groups: FxHashMap<_, Vec<&EarlierRelease>> = FxHashMap::default();
            for e in evidence.earlier {
                groups
                    .entry((e.indicator.as_str(), e.area.as_str(), &e.breakdown))
                    .or_default()
                    .push(e);
            }
            groups
        },
        fine: &fine,
        area: area.clone(),
        received: request.received,
        decided,
        cells: Vec::new(),
        warnings: Vec::new(),
        discrepancies: Vec::new(),
        counter: None,
        basis: None,
        bases_used: Vec::new(),
        differences: Vec::new(),
        records_gap: Vec::new(),
        fields_gap: Vec::new(),
        findings: Vec::new(),
        question: String::new(),
        estimates: Vec::new(),
        cost_settlements,
        declarations_used: Vec::new(),
    };
    let mut planner = make(true);
    let hours: f64 = request.questions.iter().map(total_hours).sum();
    let cost_limit = (hours > COUNCIL_COST_LIMIT_HOURS as f64).then_some(CostLimit {
        hours,
        limit_hours: COUNCIL_COST_LIMIT_HOURS,
    });
    let plan = |planner: &mut Planner<'_>| -> Vec<QuestionAnswer> {
        if cost_limit.is_some() {
            request
                .questions
                .iter()
                .map(|q| planner.unanswered(q))
                .collect()
        } else {
            request
                .questions
                .iter()
                .map(|q| planner.question(q, ""))
                .collect()
        }
    };
    let mut questions = plan(&mut planner);
    let estimated: f64 = planner.estimates.iter().map(|(_, h)| h).sum();
    if !planner.estimates.is_empty() && estimated + hours <= COUNCIL_COST_LIMIT_HOURS as f64 {
        let mut asked: Vec<String> = planner.estimates.iter().map(|(q, _)| q.clone()).collect();
        asked.dedup();
        planner = make(false);
        questions = plan(&mut planner);
        planner.warnings.push(format!(
            "the estimates recorded for question(s) {} total {} hours with the request's own, within the cost limit of {COUNCIL_COST_LIMIT_HOURS} hours: section 12 does not apply to them; find the information and load it, or record that it is not held",
            crate::letter::join_and(&asked),
            estimated + hours
        ));
    }

    let (protection, budget_exhausted, known) = planner.protect();
    let cells_decided: Vec<withheld::Decided> = planner
        .cells
        .iter()
        .zip(&protection)
        .map(|(c, p)| withheld::Decided {
            indicator: c.indicator.clone(),
            period: c.period,
            breakdown: c.breakdown.clone(),
            protection: *p,
        })
        .collect();
    let explained = withheld::explain(
        &fine,
        &area,
        &cells_decided,
        &known,
        evidence.policy.threshold,
    );
    let disclosure = DisclosureSummary {
        budget_exhausted,
        secondary: protection
            .iter()
            .filter(|&&p| p == Protection::Secondary)
            .count(),
    };
    if budget_exhausted {
        planner.warnings.push(
            "disclosure control ran out of search budget: more figures are withheld than strictly needed; ask fewer breakdowns in one letter to release more".into(),
        );
    }
    for q in &mut questions {
        apply_protection(q, &protection, &explained, evidence.policy.threshold);
    }
    let mut counts = HeldCounts::default();
    for q in &questions {
        count_held(q, "", &planner.findings, &mut counts);
    }
    let mut bases = Vec::new();
    if cost_limit.is_some() {
        bases.push(Basis::CostLimit);
    }
    for q in &questions {
        collect_bases(q, &mut bases);
    }
    bases.sort();
    bases.dedup();
    let counted = planner.counter.is_some();
    let answer = Answer {
        reference: request.reference.clone(),
        received: request.received,
        decided,
        requester_reference: request.requester_reference.clone(),
        area,
        holding: if cost_limit.is_some() {
            Holding::NotConfirmed
        } else {
            Holding::from_counts(counts.held, counts.not_held, counts.neither)
        },
        questions,
        cost_limit,
        bases,
        warnings: planner.warnings,
        findings: planner.findings,
        discrepancies: planner.discrepancies,
        source_differences: planner.differences,
        declarations_used: planner.declarations_used,
        threshold: evidence.policy.threshold,
        disclosure,
    };
    (answer, counted)
}

fn collect_bands(questions: &[Question], out: &mut Vec<String>) {
    for q in questions {
        if let Some(Ask::Figures(f)) = &q.ask {
            out.extend(f.bands.iter().cloned());
        }
        collect_bands(&q.parts, out);
    }
}

/// The officer's estimated hours for a question and its parts.
pub(crate) fn total_hours(q: &Question) -> f64 {
    q.estimate_hours.unwrap_or(0.0) + q.parts.iter().map(total_hours).sum::<f64>()
}

/// A count of people registered for disclosure control.
struct CellCandidate {
    indicator: String,
    period: Period,
    breakdown: Breakdown,
    value: u64,
}

/// The evidence's figures grouped by indicator, area and breakdown, each
/// group in the evidence's order. Every figure the planner looks up names
/// all three, so it reads the one group instead of scanning every figure,
/// and finds what the scan in order would (the first match included).
pub(crate) struct ByCell<'a> {
    groups: FxHashMap<(&'a str, &'a str, &'a Breakdown), Vec<&'a Figure>>,
}

impl<'a> ByCell<'a> {
    pub(crate) fn new(figures: &'a [Figure]) -> ByCell<'a> {
        let mut groups: FxHashMap<(&'a str, &'a str, &'a Breakdown), Vec<&'a Figure>> =
            FxHashMap::default();
        for f in figures {
            groups
                .entry((f.indicator.as_str(), f.area.as_str(), &f.breakdown))
                .or_default()
                .push(f);
        }
        ByCell { groups }
    }

    /// The figures of `indicator` in `area` with exactly `breakdown`, in
    /// order.
    pub(crate) fn of<'s>(
        &'s self,
        indicator: &'s str,
        area: &'s str,
        breakdown: &'s Breakdown,
    ) -> impl Iterator<Item = &'a Figure> + 's {
        self.groups
            .get(&(indicator, area, breakdown))
            .into_iter()
            .flatten()
            .copied()
    }
}

struct Planner<'a> {
    evidence: &'a Evidence<'a>,
    /// The evidence's figures, grouped for lookups.
    by_cell: ByCell<'a>,
    /// The earlier releases, grouped by indicator, area and breakdown, each
    /// group in the evidence's order.
    earlier_by_cell: FxHashMap<(&'a str, &'a str, &'a Breakdown), Vec<&'a EarlierRelease>>,
    /// The catalogue with the requester's own bands (for sums and
    /// disclosure control).
    fine: &'a Catalogue,
    area: String,
    received: Date,
    decided: Date,
    cells: Vec<CellCandidate>,
    warnings: Vec<String>,
    discrepancies: Vec<Discrepancy>,
    /// The records counted on demand, once built.
    counter: Option<Counter>,
    /// The source of the table being decided.
    basis: Option<Source>,
    /// Each table's indicator, periods and source, in question order.
    bases_used: Vec<(String, Vec<Period>, Source)>,
    differences: Vec<SourceDifference>,
    /// The providers and months missing for the cell being decided, when
    /// only incomplete records could have given it (for its finding).
    records_gap: Vec<String>,
    /// Likewise, the providers that did not submit a field the cell is
    /// counted over, for the next finding.
    fields_gap: Vec<String>,
    findings: Vec<Finding>,
    /// The question (or part) being decided, for findings ("3b").
    question: String,
    /// The officer's s12 estimates settling findings: (question, hours).
    estimates: Vec<(String, f64)>,
    /// Whether the officer's s12 estimates settle their findings (not when
    /// the request's estimates together stay within the cost limit).
    cost_settlements: bool,
    /// The stored declarations relied on.
    declarations_used: Vec<i64>,
}

impl<'a> Planner<'a> {
    fn unanswered(&self, q: &Question) -> QuestionAnswer {
        QuestionAnswer {
            number: q.number.clone(),
            text: q.text.clone(),
            indicator: None,
            rows: vec![],
            statement: None,
            notices: vec![],
            advice: vec![],
            parts: q.parts.iter().map(|p| self.unanswered(p)).collect(),
        }
    }

    fn question(&mut self, q: &Question, prefix: &str) -> QuestionAnswer {
        let mut answer = self.unanswered(q);
        let path = format!("{prefix}{}", q.number);
        answer.parts = q.parts.iter().map(|p| self.question(p, &path)).collect();
        self.question = path;
        match &q.ask {
            Some(Ask::Statement { topic }) => {
                let held =
                    statement::current(self.evidence.statements, topic, &self.area, self.received);
                let declared = Declaration::first_covering(
                    self.evidence.declarations,
                    topic,
                    &self.area,
                    None,
                    &Breakdown::total(),
                );
                answer.statement = Some(match (held, declared) {
                    (Some(s), _) => StatementAnswer::Given {
                        text: s.text.clone(),
                        topic: topic.clone(),
                    },
                    (None, Some(d)) => {
                        self.declarations_used.extend(d.id);
                        answer.advice.extend(advice_of(d));
                        StatementAnswer::NotHeld {
                            topic: topic.clone(),
                            reason: Some(d.reason.clone()),
                        }
                    }
                    (None, None) => StatementAnswer::Missing {
                        topic: topic.clone(),
                        finding: self.missing(topic, true, None, Breakdown::total(), None),
                    },
                });
                if matches!(answer.statement, Some(StatementAnswer::NotHeld { .. })) {
                    answer.notices.push(Notice::NotHeld {
                        items: vec![],
                        partly: false,
                    });
                }
            }
            Some(Ask::Figures(ask)) => self.figures(ask, &mut answer),
            None => {}
        }
        answer
    }

    fn figures(&mut self, ask: &FigureAsk, answer: &mut QuestionAnswer) {
        let Ok(indicator) = self.evidence.catalogue.indicator(&ask.indicator) else {
            // Requests are parsed against the catalogue; an indicator removed
            // since is a question for the officer, never "not held".
            answer.rows = ask
                .periods
                .iter()
                .map(|p| {
                    let finding =
                        self.missing(&ask.indicator, false, Some(*p), ask.filter.clone(), None);
                    row(*p, ask.filter.clone(), None, Outcome::Missing { finding })
                })
                .collect();
            return;
        };
        answer.indicator = Some(IndicatorRef {
            code: indicator.code.clone(),
            title: indicator.title.clone(),
            unit: indicator.unit,
        });
        let periods = expand(&ask.periods);
        self.basis = self.choose_basis(indicator, ask, &periods);
        if let Some(b) = self.basis {
            for (code, other_periods, other) in &self.bases_used {
                if *code == indicator.code
                    && *other != b
                    && other_periods.iter().any(|p| periods.contains(p))
                {
                    self.warnings.push(format!(
                        "{}: question {} uses {} and an earlier table uses {}; their figures will not add up to each other, so say so in the letter",
                        indicator.code,
                        answer.number,
                        b.code(),
                        other.code()
                    ));
                    break;
                }
            }
            self.bases_used
                .push((indicator.code.clone(), periods.clone(), b));
        }
        let table_basis = self.basis;
        for period in periods {
            // A period the table's source gives nothing for is taken from
            // the source that gives most of it, and the officer told.
            if let Some(b) = table_basis {
                let gives_any = self
                    .table_cells(indicator, ask, period)
                    .iter()
                    .any(|c| self.gives(b, &indicator.code, period, c));
                if !gives_any {
                    self.basis = None;
                    let instead = self.choose_basis(indicator, ask, &[period]);
                    if let Some(other) = instead.filter(|o| *o != b) {
                        self.warnings.push(format!(
                            "{} {period}: question {} takes this period from {} because {}, the source of the rest of its table, holds nothing for it",
                            indicator.code,
                            answer.number,
                            other.code(),
                            b.code()
                        ));
                    }
                    self.basis = instead.or(Some(b));
                }
            }
            self.period_rows(indicator, ask, period, answer);
            self.basis = table_basis;
        }
        self.basis = None;
        if !indicator.held_by_council
            || answer
                .rows
                .iter()
                .all(|r| matches!(r.outcome, Outcome::NotHeld { .. }))
        {
            answer.advice = indicator.other_holders.clone();
        }
        // Who holds what the council recorded as not held, for s16 advice.
        for r in &answer.rows {
            if matches!(r.outcome, Outcome::NotHeld { .. })
                && let Some(d) = Declaration::first_covering(
                    self.evidence.declarations,
                    &indicator.code,
                    &self.area,
                    Some(&r.period),
                    &r.breakdown,
                )
                && let Some(a) = advice_of(d)
                && !answer.advice.contains(&a)
            {
                answer.advice.push(a);
            }
        }
        self.notices(answer, ask);
    }

    fn period_rows(
        &mut self,
        indicator: &Indicator,
        ask: &FigureAsk,
        period: Period,
        answer: &mut QuestionAnswer,
    ) {
        if !indicator.held_by_council {
            answer.rows.push(row(
                period,
                ask.filter.clone(),
                None,
                Outcome::NotHeld { reason: None },
            ));
            return;
        }
        if let Some(r) = release::upcoming(
            self.evidence.releases,
            &indicator.code,
            &period,
            self.received,
            self.decided,
        ) {
            answer.rows.push(row(
                period,
                ask.filter.clone(),
                None,
                Outcome::Withheld {
                    basis: Basis::FuturePublication,
                    release: Some(release_ref(r)),
                },
            ));
            return;
        }
        if ask.breakdown.is_empty() {
            let r = self.cell(indicator, period, &ask.filter, None);
            answer.rows.push(r);
            return;
        }
        if !ask.bands.is_empty() {
            for breakdown in self.table_cells(indicator, ask, period) {
                let label = self.breakdown_label(ask, &breakdown);
                let r = self.cell(indicator, period, &breakdown, Some(label));
                answer.rows.push(r);
            }
            return;
        }
        let cells = self.table_cells(indicator, ask, period);
        if cells.is_empty() {
            let wanted = ask
                .breakdown
                .iter()
                .fold(ask.filter.clone(), |b, d| b.with(d, "*"));
            let outcome = self.not_held_or_missing(indicator, period, &wanted, None);
            answer
                .rows
                .push(row(period, ask.filter.clone(), None, outcome));
            return;
        }
        let mut covered: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for breakdown in &cells {
            let label = self.breakdown_label(ask, breakdown);
            let r = self.cell(indicator, period, breakdown, Some(label));
            if matches!(r.outcome, Outcome::Given { .. }) {
                for dim in &ask.breakdown {
                    if let (Ok(d), Some(v)) =
                        (self.evidence.catalogue.dimension(dim), breakdown.get(dim))
                    {
                        covered
                            .entry(dim.clone())
                            .or_default()
                            .extend(d.leaves_of(v));
                    }
                }
            }
            answer.rows.push(r);
        }
        // Bands the figures do not reach are not held: say so rather than
        // leave the requester to guess.
        for dim_code in &ask.breakdown {
            let Ok(dim) = self.evidence.catalogue.dimension(dim_code) else {
                continue;
            };
            if dim.open {
                continue;
            }
            let have = covered.get(dim_code).cloned().unwrap_or_default();
            let missing = dim.leaves().iter().any(|l| !have.contains(l));
            if missing && !have.is_empty() {
                // Only a recorded "not held" says so; otherwise the officer
                // is asked.
                let others = ask.filter.with(dim_code, "*");
                let label = format!("other {}s", dim.title.to_lowercase());
                let outcome =
                    self.not_held_or_missing(indicator, period, &others, Some(label.clone()));
                answer.rows.push(row(period, others, Some(label), outcome));
            }
        }
        if ask.age_range
            && answer
                .rows
                .iter()
                .any(|r| r.period == period && matches!(r.outcome, Outcome::Given { .. }))
        {
            answer.rows.push(row(
                period,
                ask.filter.with("age_band", "*"),
                Some("youngest and oldest ages".into()),
                Outcome::Withheld {
                    basis: Basis::PersonalData,
                    release: None,
                },
            ));
        }
    }

    /// The breakdowns held for a period: every combination of the asked
    /// dimensions that some figure has, in display order.
    fn breakdown_cells(
        &self,
        indicator: &Indicator,
        ask: &FigureAsk,
        period: Period,
    ) -> Vec<Breakdown> {
        let mut found: Vec<Breakdown> = self
            .evidence
            .figures
            .iter()
            .filter(|f| {
                f.indicator == indicator.code
                    && f.area == self.area
                    && self.basis.is_none_or(|b| b == f.source)
                    && period.contains(&f.period)
                    && f.breakdown.0.len() == ask.filter.0.len() + ask.breakdown.len()
                    && ask
                        .filter
                        .0
                        .iter()
                        .all(|(d, v)| f.breakdown.get(d) == Some(v))
                    && ask
                        .breakdown
                        .iter()
                        .all(|d| f.breakdown.get(d).is_some_and(|v| v != "*"))
            })
            .map(|f| f.breakdown.clone())
            .collect();
        let order = |b: &Breakdown| -> Vec<usize> {
            ask.breakdown
                .iter()
                .map(|d| {
                    self.evidence
                        .catalogue
                        .dimension(d)
                        .map(|dim| dim.position(b.get(d).unwrap_or("")))
                        .unwrap_or(0)
                })
                .collect()
        };
        // A total order (equal keys only for equal breakdowns), so sorting
        // by the key worked out once per cell gives the same order.
        found.sort_by_cached_key(|b| (order(b), b.clone()));
        found.dedup();
        self.without_overlaps(found, &ask.breakdown)
    }

    /// Keep the finest of cells that overlap (share a leaf in every asked
    /// dimension), in the order given: a table never holds "under 25" and
    /// "aged 18" together.
    fn without_overlaps(&self, cells: Vec<Breakdown>, dims: &[String]) -> Vec<Breakdown> {
        let leaves = |b: &Breakdown| -> Vec<std::collections::BTreeSet<String>> {
            dims.iter()
                .map(|d| {
                    let v = b.get(d).unwrap_or("");
                    match self.evidence.catalogue.dimension(d) {
                        Ok(dim) => dim.leaves_of(v).into_iter().collect(),
                        Err(_) => [v.to_string()].into_iter().collect(),
                    }
                })
                .collect()
        };
        let of_cell: Vec<Vec<std::collections::BTreeSet<String>>> =
            cells.iter().map(leaves).collect();
        let mut by_size: Vec<(usize, usize)> = of_cell
            .iter()
            .enumerate()
            .map(|(i, l)| (l.iter().map(|l| l.len()).product(), i))
            .collect();
        by_size.sort();
        let mut kept: Vec<usize> = Vec::new();
        for (_, i) in by_size {
            let mine = &of_cell[i];
            let overlaps = kept
                .iter()
                .any(|&k| of_cell[k].iter().zip(mine).all(|(a, b)| !a.is_disjoint(b)));
            if !overlaps {
                kept.push(i);
            }
        }
        kept.sort();
        kept.into_iter().map(|i| cells[i].clone()).collect()
    }

    /// The cells of one period of a question's table: the total (with its
    /// filter), the requester's bands (crossed with the other breakdowns'
    /// held values), or the breakdowns held, none overlapping; where no
    /// figure has the breakdown but records can count it, every value of
    /// the asked dimensions.
    fn table_cells(
        &mut self,
        indicator: &Indicator,
        ask: &FigureAsk,
        period: Period,
    ) -> Vec<Breakdown> {
        if ask.breakdown.is_empty() {
            return vec![ask.filter.clone()];
        }
        let others: Vec<String> = ask
            .breakdown
            .iter()
            .filter(|d| ask.bands.is_empty() || d.as_str() != crate::catalogue::AGE_BAND)
            .cloned()
            .collect();
        let mut combos = if others.is_empty() {
            vec![ask.filter.clone()]
        } else {
            let sub = FigureAsk {
                breakdown: others.clone(),
                bands: vec![],
                ..ask.clone()
            };
            let found = self.breakdown_cells(indicator, &sub, period);
            if found.is_empty() && self.records_count(&indicator.code) {
                self.every_value(&ask.filter, &others)
            } else {
                found
            }
        };
        if !ask.bands.is_empty() {
            combos = combos
                .iter()
                .flat_map(|c| {
                    ask.bands
                        .iter()
                        .map(|b| c.with(crate::catalogue::AGE_BAND, b))
                })
                .collect();
        }
        combos
    }

    /// Every combination of the leaves of closed dimensions (none when a
    /// dimension is open or records cannot split by it).
    fn every_value(&self, filter: &Breakdown, dims: &[String]) -> Vec<Breakdown> {
        let mut out = vec![filter.clone()];
        for d in dims {
            let Ok(dim) = self.evidence.catalogue.dimension(d) else {
                return vec![];
            };
            if dim.open || !count::DIMENSIONS.contains(&d.as_str()) {
                return vec![];
            }
            out = out
                .iter()
                .flat_map(|b| dim.leaves().into_iter().map(move |l| b.with(d, &l)))
                .collect();
        }
        out
    }

    /// Whether records are held for the area and count this indicator.
    fn records_count(&self, indicator: &str) -> bool {
        self.evidence
            .records
            .is_some_and(|r| !r.submissions.is_empty())
            && count::COUNTABLE.contains(&indicator)
    }

    fn counter(&mut self) -> Option<&Counter> {
        if self.counter.is_none() {
            self.counter = self.evidence.records.map(Counter::new);
        }
        self.counter.as_ref()
    }

    /// A cell counted from the records: `Ok(None)` when records are not
    /// held for the area or do not count the indicator, `Err` with why the
    /// records cannot give it (incomplete records: the providers and
    /// months missing).
    fn counted_from_records(
        &mut self,
        indicator: &str,
        period: Period,
        breakdown: &Breakdown,
    ) -> Result<Option<u64>, RecordsGap> {
        if !self.records_count(indicator) {
            return Ok(None);
        }
        let Some(held) = self.evidence.records else {
            return Ok(None);
        };
        let missing = held.missing(period);
        // A count over an optional field a provider did not submit would
        // be partial: never a zero or a partial count.
        let fields: Vec<crate::records::Field> = breakdown
            .0
            .keys()
            .filter_map(|d| crate::records::Field::of_dimension(d))
            .collect();
        let unsent = if fields.is_empty() {
            Vec::new()
        } else {
            held.not_submitted(period, &fields)
        };
        let fine = self.fine;
        let Some(counter) = self.counter() else {
            return Ok(None);
        };
        match counter.count(fine, indicator, period, breakdown) {
            Ok(_) if !missing.is_empty() => Err(RecordsGap::Incomplete(missing)),
            Ok(_) if !unsent.is_empty() => Err(RecordsGap::NotSubmitted(unsent)),
            Ok(n) => Ok(Some(n)),
            Err(Uncountable::BelowAdultAge { band }) => {
                Err(RecordsGap::Uncountable(Uncountable::BelowAdultAge { band }))
            }
            Err(Uncountable::BeforeRecords | Uncountable::Indicator) => Ok(None),
            Err(e) => Err(RecordsGap::Uncountable(e)),
        }
    }

    /// The exact value a source gives for a cell: its figure for exactly
    /// the period, a sum of its cells, or (local records) a count from the
    /// records.
    fn value_from(
        &mut self,
        source: Source,
        indicator: &str,
        period: Period,
        breakdown: &Breakdown,
    ) -> Option<i64> {
        let direct = self
            .by_cell
            .of(indicator, &self.area, breakdown)
            .find_map(|f| (f.source == source && f.period == period).then_some(&f.value));
        match direct {
            Some(Value::Exact(v)) => return Some(*v),
            Some(Value::Zero { .. }) => return Some(0),
            Some(_) => return None,
            None => {}
        }
        if let Some(c) = self.composed(source, indicator, period, breakdown) {
            return Some(c.value);
        }
        if source == Source::LocalRecords {
            return self
                .counted_from_records(indicator, period, breakdown)
                .ok()
                .flatten()
                .map(|n| n as i64);
        }
        None
    }

    fn composed(
        &self,
        source: Source,
        indicator: &str,
        period: Period,
        breakdown: &Breakdown,
    ) -> Option<compose::Composed<'a>> {
        compose::Held {
            catalogue: self.fine,
            figures: self.evidence.figures,
            by_cell: Some(&self.by_cell),
            indicator,
            area: &self.area,
            period,
            source,
        }
        .compose(breakdown)
    }

    /// Whether a source gives a cell: a shareable figure within the
    /// period, a sum of its cells, or a count from complete records.
    fn gives(
        &mut self,
        source: Source,
        indicator: &str,
        period: Period,
        breakdown: &Breakdown,
    ) -> bool {
        self.by_cell
            .of(indicator, &self.area, breakdown)
            .any(|f| f.source == source && period.contains(&f.period) && f.value.is_shareable())
            || self
                .composed(source, indicator, period, breakdown)
                .is_some()
            || (source == Source::LocalRecords
                && matches!(
                    self.counted_from_records(indicator, period, breakdown),
                    Ok(Some(_))
                ))
    }

    /// The one source a question's table is taken from (see the module
    /// notes), or `None` when no source gives any of its cells.
    fn choose_basis(
        &mut self,
        indicator: &Indicator,
        ask: &FigureAsk,
        periods: &[Period],
    ) -> Option<Source> {
        // Each source is asked for the table's cells as it holds them (a
        // breakdown's values are those the source has): (given, asked).
        let mut scores: Vec<(Source, usize, usize)> = Vec::new();
        for source in Source::ALL {
            self.basis = Some(source);
            let mut wanted: Vec<(Period, Breakdown)> = Vec::new();
            for &p in periods {
                for b in self.table_cells(indicator, ask, p) {
                    wanted.push((p, b));
                }
            }
            self.basis = None;
            let n = wanted
                .iter()
                .filter(|(p, b)| self.gives(source, &indicator.code, *p, b))
                .count();
            scores.push((source, n, wanted.len()));
        }
        let complete = |s: Source| scores.iter().any(|(x, n, w)| *x == s && *n == *w && *n > 0);
        let earlier = self
            .bases_used
            .iter()
            .rev()
            .find(|(code, ps, _)| *code == indicator.code && ps.iter().any(|p| periods.contains(p)))
            .map(|(_, _, s)| *s);
        if let Some(s) = earlier.filter(|s| complete(*s)) {
            return Some(s);
        }
        if let Some((s, _, _)) = scores.iter().find(|(s, _, _)| complete(*s)) {
            return Some(*s);
        }
        let best = scores.iter().map(|(_, n, _)| *n).max().unwrap_or(0);
        if best == 0 {
            return None;
        }
        scores
            .iter()
            .find(|(_, n, _)| *n == best)
            .map(|(s, _, _)| *s)
    }

    fn breakdown_label(&self, ask: &FigureAsk, breakdown: &Breakdown) -> String {
        ask.breakdown
            .iter()
            .filter_map(|d| {
                let v = breakdown.get(d)?;
                Some(
                    self.evidence
                        .catalogue
                        .dimension(d)
                        .map(|dim| dim.label(v))
                        .unwrap_or_else(|_| v.to_string()),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Decide one cell: indicator × area × period × breakdown.
    fn cell(
        &mut self,
        indicator: &Indicator,
        period: Period,
        breakdown: &Breakdown,
        label: Option<String>,
    ) -> Row {
        // Where the table's source holds the cell but cannot share it yet,
        // another source's figure is given with that caveat (rule 3).
        let pending = self.basis.is_some_and(|b| {
            self.by_cell
                .of(&indicator.code, &self.area, breakdown)
                .any(|f| {
                    f.source == b
                        && period.contains(&f.period)
                        && matches!(f.value, Value::NotYetShareable { .. })
                })
        });
        let mut candidates: Vec<&Figure> = self
            .by_cell
            .of(&indicator.code, &self.area, breakdown)
            .filter(|f| {
                period.contains(&f.period)
                    // One table, one basis: other sources' figures are only
                    // compared; those that cannot be shared yet are named.
                    && (pending
                        || self.basis.is_none_or(|b| b == f.source)
                        || !f.value.is_shareable())
            })
            .collect();
        // Exact period first, then the longest part of it, then source preference.
        candidates.sort_by_key(|f| {
            (
                f.period != period,
                std::cmp::Reverse(
                    f.period
                        .last_day()
                        .since(f.period.first_day())
                        .map(|s| s.get_days())
                        .unwrap_or(0),
                ),
                f.source,
            )
        });
        let shareable: Vec<&&Figure> = candidates
            .iter()
            .filter(|f| f.value.is_shareable())
            .collect();
        if shareable.is_empty()
            && let Some(r) = self.computed(indicator, period, breakdown, label.clone())
        {
            return r;
        }
        if let Some(chosen) = shareable.first()
            && chosen.period == period
            && let Value::Exact(v) = chosen.value
        {
            self.show_differences(indicator, period, breakdown, chosen.source, v);
        }
        let Some(chosen) = shareable.first().map(|f| **f) else {
            if let Some(f) = candidates
                .iter()
                .find(|f| matches!(f.value, Value::NotYetShareable { .. }))
            {
                self.warnings.push(format!(
                    "{} {} {}: the figure cannot be shared yet and no publication date is recorded; \
                     s22 is applied with no fixed date, so review the public interest test",
                    indicator.code,
                    period,
                    breakdown.key()
                ));
                return row(
                    period,
                    breakdown.clone(),
                    label,
                    Outcome::Withheld {
                        basis: Basis::FuturePublication,
                        release: Some(ReleaseRef {
                            code: None,
                            title: f.value.reason().unwrap_or_default().to_string(),
                            publisher: f.source.label().to_string(),
                            date: None,
                            url: None,
                        }),
                    },
                );
            }
            let outcome = match candidates.iter().find_map(|f| match &f.value {
                Value::NotHeld { reason } => Some(reason.clone()),
                _ => None,
            }) {
                Some(reason) => Outcome::NotHeld {
                    reason: Some(reason),
                },
                None => self.not_held_or_missing(indicator, period, breakdown, label.clone()),
            };
            return row(period, breakdown.clone(), label, outcome);
        };
        if indicator.after_publication == crate::catalogue::AfterPublication::Refer
            && let Some(r) = release::published(
                self.evidence.releases,
                &indicator.code,
                &period,
                self.decided,
            )
        {
            return row(
                period,
                breakdown.clone(),
                label,
                Outcome::Withheld {
                    basis: Basis::AccessibleElsewhere,
                    release: Some(release_ref(r)),
                },
            );
        }
        let mut notes = Vec::new();
        // A preferred source that cannot share yet is named, with the figure used instead.
        if let Some(pending) = candidates.iter().find(|f| {
            f.period == chosen.period
                && f.source < chosen.source
                && matches!(f.value, Value::NotYetShareable { .. })
        }) {
            if let Some(reason) = pending.value.reason() {
                notes.push(reason.to_string());
            }
            notes.push(format!(
                "The figure given is from {}.",
                chosen.source.label()
            ));
        }
        if chosen.period != period {
            notes.push(format!(
                "This figure covers {} only.",
                chosen.period.describe()
            ));
        }
        notes.extend(chosen.coverage.iter().cloned());
        if let Some(n) = &chosen.note {
            notes.push(n.clone());
        }
        if chosen.status == Status::Provisional {
            notes.push("This figure is provisional and may be revised.".into());
        }
        // An approximate count of people that could be a small number is
        // withheld like one: disclosure control cannot reason about ranges.
        if indicator.counts_people
            && let Value::Approximate { low, high } = chosen.value
            && high >= 1
            && (low.max(0) as u64) < self.evidence.policy.threshold
        {
            let mut r = row(
                period,
                breakdown.clone(),
                label,
                Outcome::Suppressed {
                    protection: Protection::Primary,
                },
            );
            r.source = Some(chosen.source);
            r.status = Some(chosen.status);
            r.withheld_because = Some(WithheldBecause::SmallCount {
                threshold: self.evidence.policy.threshold,
            });
            return r;
        }
        if let Value::Exact(v) = chosen.value {
            let same_cell = self
                .earlier_by_cell
                .get(&(indicator.code.as_str(), self.area.as_str(), breakdown))
                .map_or(&[][..], Vec::as_slice);
            for e in same_cell.iter().filter(|e| {
                e.period == chosen.period
                    && matches!(e.shown, Shown::Exact(x) if x != v.max(0) as u64)
            }) {
                let Shown::Exact(earlier_value) = e.shown else {
                    continue;
                };
                self.warnings.push(format!(
                    "{} {} {}: {} released {} (sent {}), this answer gives {}; explain the difference in the letter",
                    indicator.code,
                    chosen.period,
                    if breakdown.0.is_empty() { "total".to_string() } else { breakdown.key() },
                    e.reference,
                    earlier_value,
                    e.sent.get(..10).unwrap_or(&e.sent),
                    v
                ));
                self.discrepancies.push(Discrepancy {
                    indicator: indicator.code.clone(),
                    period: chosen.period,
                    breakdown: breakdown.clone(),
                    earlier_reference: e.reference.clone(),
                    earlier_value,
                    value: v.max(0) as u64,
                });
            }
        }
        let registered = if indicator.counts_people {
            let value = match &chosen.value {
                Value::Exact(v) => Some((*v).max(0) as u64),
                Value::Zero { .. } => Some(0),
                _ => None,
            };
            value.map(|value| {
                self.cells.push(CellCandidate {
                    indicator: indicator.code.clone(),
                    period: chosen.period,
                    breakdown: breakdown.clone(),
                    value,
                });
                self.cells.len() - 1
            })
        } else {
            None
        };
        let mut r = row(
            period,
            breakdown.clone(),
            label,
            Outcome::Given {
                value: chosen.value.clone(),
                unit: indicator.unit,
            },
        );
        r.notes = notes;
        r.source = Some(chosen.source);
        r.status = Some(chosen.status);
        r.provenance = Some(chosen.provenance.clone());
        r.figure_period = (chosen.period != period).then_some(chosen.period);
        r.cell_index = registered;
        r
    }

    /// Other sources' values for a cell the table takes from `used`,
    /// where they differ: a warning and a [`SourceDifference`] each.
    fn show_differences(
        &mut self,
        indicator: &Indicator,
        period: Period,
        breakdown: &Breakdown,
        used: Source,
        value: i64,
    ) {
        for other in Source::ALL {
            if other == used {
                continue;
            }
            let Some(other_value) = self.value_from(other, &indicator.code, period, breakdown)
            else {
                continue;
            };
            if other_value == value {
                continue;
            }
            let unit = indicator.unit;
            self.warnings.push(format!(
                "{} {} {}: the table uses {} ({}); {} gives {}, a difference of {}",
                indicator.code,
                period,
                if breakdown.0.is_empty() {
                    "total".to_string()
                } else {
                    breakdown.key()
                },
                used.code(),
                Value::Exact(value).display(unit),
                other.code(),
                Value::Exact(other_value).display(unit),
                Value::Exact((other_value - value).abs()).display(unit),
            ));
            self.differences.push(SourceDifference {
                indicator: indicator.code.clone(),
                period,
                breakdown: breakdown.clone(),
                used,
                value,
                other,
                other_value,
            });
        }
    }

    /// A cell no figure of the table's source holds as such: the sum of
    /// held cells that make it up, or a count from the records. `None`
    /// when neither gives it (the not-held rules then apply); a row saying
    /// why when the records cannot give it (a plain explanation), or are
    /// incomplete for the period (the blocking finding then names the
    /// providers and months missing).
    fn computed(
        &mut self,
        indicator: &Indicator,
        period: Period,
        breakdown: &Breakdown,
        label: Option<String>,
    ) -> Option<Row> {
        let sources: Vec<Source> = match self.basis {
            Some(b) => vec![b],
            None => Source::ALL.to_vec(),
        };
        for source in &sources {
            let Some(sum) = self.composed(*source, &indicator.code, period, breakdown) else {
                continue;
            };
            let mut notes = vec![format!(
                "This figure is the sum of the figures for {}.",
                self.parts_label(breakdown, &sum.parts)
            )];
            if sum.status() == Status::Provisional {
                notes.push("This figure is provisional and may be revised.".into());
            }
            let provenance = sum.parts.first().map(|f| f.provenance.clone());
            let status = sum.status();
            let mut r = self.given(indicator, period, breakdown, label, sum.value, *source);
            r.notes = notes;
            r.status = Some(status);
            r.provenance = provenance;
            return Some(r);
        }
        if !sources.contains(&Source::LocalRecords) {
            return None;
        }
        match self.counted_from_records(&indicator.code, period, breakdown) {
            Ok(Some(n)) => {
                let mut r = self.given(
                    indicator,
                    period,
                    breakdown,
                    label,
                    n as i64,
                    Source::LocalRecords,
                );
                r.status = Some(Status::Provisional);
                r.notes =
                    vec!["Counted from the providers' treatment records the council holds.".into()];
                Some(r)
            }
            Ok(None) => None,
            Err(RecordsGap::Uncountable(why)) => Some(row(
                period,
                breakdown.clone(),
                label,
                Outcome::NotHeld {
                    reason: Some(why.explain(self.evidence.catalogue)),
                },
            )),
            Err(RecordsGap::Incomplete(missing)) => {
                // Not held only where recorded; otherwise the blocking
                // finding names the providers and months missing.
                self.records_gap = missing.iter().map(|m| m.describe()).collect();
                None
            }
            Err(RecordsGap::NotSubmitted(unsent)) => {
                self.fields_gap = unsent.iter().map(|m| m.describe()).collect();
                None
            }
        }
    }

    /// Words for the parts a sum was made from ("aged 18, aged 19 and aged
    /// 20 to 24").
    fn parts_label(&self, whole: &Breakdown, parts: &[&Figure]) -> String {
        let words: Vec<String> = parts
            .iter()
            .map(|f| {
                f.breakdown
                    .0
                    .iter()
                    .filter(|(d, v)| whole.get(d) != Some(v.as_str()))
                    .map(|(d, v)| {
                        self.fine
                            .dimension(d)
                            .map(|dim| dim.label(v))
                            .unwrap_or_else(|_| v.clone())
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        match words.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => words.join(""),
        }
    }

    /// A given row for a computed count, registered for disclosure control
    /// when it counts people.
    fn given(
        &mut self,
        indicator: &Indicator,
        period: Period,
        breakdown: &Breakdown,
        label: Option<String>,
        value: i64,
        source: Source,
    ) -> Row {
        let registered = indicator.counts_people.then(|| {
            self.cells.push(CellCandidate {
                indicator: indicator.code.clone(),
                period,
                breakdown: breakdown.clone(),
                value: value.max(0) as u64,
            });
            self.cells.len() - 1
        });
        self.show_differences(indicator, period, breakdown, source, value);
        let mut r = row(
            period,
            breakdown.clone(),
            label,
            Outcome::Given {
                value: Value::Exact(value),
                unit: indicator.unit,
            },
        );
        r.source = Some(source);
        r.cell_index = registered;
        r
    }

    /// A recorded not-held reason whose period and breakdown cover this cell.
    fn not_held_reason(
        &self,
        indicator: &Indicator,
        period: Period,
        breakdown: &Breakdown,
    ) -> Option<String> {
        self.evidence
            .figures
            .iter()
            .filter(|f| {
                f.indicator == indicator.code
                    && f.area == self.area
                    && (f.period.contains(&period) || period.contains(&f.period))
                    && f.breakdown.covers(breakdown)
            })
            .find_map(|f| match &f.value {
                Value::NotHeld { reason } => Some(reason.clone()),
                _ => None,
            })
    }

    /// A cell with no figure: not held where that is recorded (a not-held
    /// figure covering it, or a declaration), otherwise a blocking finding.
    fn not_held_or_missing(
        &mut self,
        indicator: &Indicator,
        period: Period,
        breakdown: &Breakdown,
        label: Option<String>,
    ) -> Outcome {
        if let Some(reason) = self.not_held_reason(indicator, period, breakdown) {
            return Outcome::NotHeld {
                reason: Some(reason),
            };
        }
        if let Some(d) = Declaration::first_covering(
            self.evidence.declarations,
            &indicator.code,
            &self.area,
            Some(&period),
            breakdown,
        ) {
            self.declarations_used.extend(d.id);
            return Outcome::NotHeld {
                reason: Some(d.reason.clone()),
            };
        }
        // A release had published it by the day of the decision: not "not
        // held", but s21 with the publication's address, and a blocking
        // finding until the figure is loaded or recorded as not held.
        if let Some(r) = release::published(
            self.evidence.releases,
            &indicator.code,
            &period,
            self.decided,
        ) {
            let number = self.missing(
                &indicator.code,
                false,
                Some(period),
                breakdown.clone(),
                label,
            );
            if let Some(f) = self.findings.last_mut() {
                f.publication = Some(Publication {
                    code: r.code.clone(),
                    title: r.title.clone(),
                    publisher: r.publisher.clone(),
                    date: r.date,
                    url: r.url.clone(),
                });
            }
            if let Some(outcome) = self.settle(Some(release_ref(r))) {
                return outcome;
            }
            self.warnings.push(format!(
                "question {}: {} {} was published on {} but is not loaded; blocking (finding {number}): load it, or record that it is not held",
                self.question, indicator.code, period, r.date
            ));
            return Outcome::Withheld {
                basis: Basis::AccessibleElsewhere,
                release: Some(release_ref(r)),
            };
        }
        let finding = self.missing(
            &indicator.code,
            false,
            Some(period),
            breakdown.clone(),
            label,
        );
        self.settle(None).unwrap_or(Outcome::Missing { finding })
    }

    /// The outcome of the finding just recorded when the officer settled
    /// it on the case while it reads the same (the finding is then taken
    /// back): the publication `offered` under s21 accepted, or s12 on
    /// their estimate. `None` leaves it open.
    fn settle(&mut self, offered: Option<ReleaseRef>) -> Option<Outcome> {
        let finding = self.findings.last()?;
        let settled = Settled::of(self.evidence.settled, finding)?;
        let number = finding.number;
        let outcome = match (settled.how, offered) {
            (Settlement::Refer, Some(release)) => {
                self.warnings.push(format!(
                    "question {}: the requester is referred to the publication under section 21 for {}, as {} accepted on {} (it was finding {number})",
                    self.question,
                    finding_item(finding),
                    settled.by,
                    settled.at
                ));
                Outcome::Withheld {
                    basis: Basis::AccessibleElsewhere,
                    release: Some(release),
                }
            }
            (Settlement::CostLimit { .. }, _) if !self.cost_settlements => return None,
            (Settlement::CostLimit { hours }, _) => {
                self.warnings.push(format!(
                    "question {}: {} is refused under section 12 on the estimate of {hours} hours {} recorded on {} (it was finding {number})",
                    self.question,
                    finding_item(finding),
                    settled.by,
                    settled.at
                ));
                self.estimates.push((self.question.clone(), hours));
                Outcome::Withheld {
                    basis: Basis::CostLimit,
                    release: None,
                }
            }
            (Settlement::Refer, None) => return None,
        };
        self.findings.pop();
        Some(outcome)
    }

    /// Record a blocking finding; its number.
    fn missing(
        &mut self,
        subject: &str,
        statement: bool,
        period: Option<Period>,
        breakdown: Breakdown,
        label: Option<String>,
    ) -> usize {
        let number = self.findings.len() + 1;
        self.findings.push(Finding {
            number,
            question: self.question.clone(),
            subject: subject.to_string(),
            statement,
            area: self.area.clone(),
            period,
            breakdown,
            label,
            records_missing: std::mem::take(&mut self.records_gap),
            fields_missing: std::mem::take(&mut self.fields_gap),
            publication: None,
        });
        number
    }

    fn notices(&mut self, answer: &mut QuestionAnswer, ask: &FigureAsk) {
        let mut not_held = Vec::new();
        let mut future: Vec<(ReleaseRef, Vec<String>)> = Vec::new();
        let mut elsewhere: Vec<(ReleaseRef, Vec<String>)> = Vec::new();
        let mut cost: Vec<String> = Vec::new();
        for r in &answer.rows {
            let item = item_label(r);
            match &r.outcome {
                Outcome::NotHeld { .. } => not_held.push(item),
                Outcome::Withheld {
                    basis: Basis::CostLimit,
                    ..
                } if !cost.contains(&item) => cost.push(item),
                Outcome::Withheld {
                    basis: Basis::FuturePublication,
                    release: Some(rel),
                } => push_grouped(&mut future, rel, item),
                Outcome::Withheld {
                    basis: Basis::AccessibleElsewhere,
                    release: Some(rel),
                } => push_grouped(&mut elsewhere, rel, item),
                _ => {}
            }
        }
        if !not_held.is_empty() {
            let partly = not_held.len() < answer.rows.len();
            answer.notices.push(Notice::NotHeld {
                items: if partly { not_held } else { vec![] },
                partly,
            });
        }
        for (release, items) in future {
            let distant = match release.date {
                None => true,
                Some(d) => {
                    let limit = self
                        .decided
                        .checked_add(jiff::Span::new().months(DISTANT_RELEASE_MONTHS))
                        .unwrap_or(self.decided);
                    d > limit
                }
            };
            let days_away = release.date.map(|d| release::days_between(self.decided, d));
            if distant {
                self.warnings.push(format!(
                    "section 22 for {}: the publication date is unset or more than {DISTANT_RELEASE_MONTHS} months away, \
                     which weighs towards release; review the public interest test",
                    items.join(", ")
                ));
            }
            answer.notices.push(Notice::FuturePublication {
                items,
                release,
                distant,
                days_away,
            });
        }
        for (release, items) in elsewhere {
            answer
                .notices
                .push(Notice::AccessibleElsewhere { items, release });
        }
        if !cost.is_empty() {
            let hours = self
                .estimates
                .iter()
                .filter(|(q, _)| *q == self.question)
                .map(|(_, h)| h)
                .sum();
            answer.notices.push(Notice::CostLimit {
                items: cost,
                hours,
                limit_hours: COUNCIL_COST_LIMIT_HOURS,
            });
        }
        if ask.age_range
            && answer.rows.iter().any(|r| {
                matches!(
                    r.outcome,
                    Outcome::Withheld {
                        basis: Basis::PersonalData,
                        ..
                    }
                )
            })
        {
            answer.notices.push(Notice::PersonalData {
                small_numbers: false,
                secondary: false,
                extremes: true,
                threshold: self.evidence.policy.threshold,
            });
        }
    }

    /// Run disclosure control over every count of people in the answer,
    /// together with everything earlier answers released or withheld and
    /// the totals releases had published by the decision day (see
    /// [`protected`]). Returns one protection per registered cell and
    /// whether a search budget ran out.
    fn protect(&mut self) -> (Vec<Protection>, bool, Vec<KnownCell>) {
        let new: Vec<NewCell> = self
            .cells
            .iter()
            .map(|c| NewCell {
                indicator: c.indicator.clone(),
                area: self.area.clone(),
                period: c.period,
                breakdown: c.breakdown.clone(),
                value: c.value,
            })
            .collect();
        let mut known: Vec<KnownCell> = self
            .evidence
            .earlier
            .iter()
            .map(|e| KnownCell {
                source: e.reference.clone(),
                indicator: e.indicator.clone(),
                area: e.area.clone(),
                period: e.period,
                breakdown: e.breakdown.clone(),
                shown: e.shown,
            })
            .collect();
        // Totals a release had published by the date s22 and s21 are
        // decided on are out too, for the indicators and areas asked about.
        let touched = new
            .iter()
            .map(|c| (c.indicator.clone(), c.area.clone()))
            .collect();
        known.extend(protected::published(
            self.evidence.catalogue,
            self.evidence.figures,
            self.evidence.releases,
            self.decided,
            self.evidence.policy.threshold,
            &touched,
        ));
        // Disclosure control needs the true value of every cell in play.
        // Earlier answers may have given or withheld counts made from the
        // records on demand, which no stored figure holds: count them too.
        let counted = self.counted_for(&new, &known);
        let figures: std::borrow::Cow<'_, [Figure]> = if counted.is_empty() {
            std::borrow::Cow::Borrowed(self.evidence.figures)
        } else {
            let mut all = self.evidence.figures.to_vec();
            all.extend(counted);
            std::borrow::Cow::Owned(all)
        };
        let decided = protected::protect(self.fine, &figures, &new, &known, &self.evidence.policy);
        (decided.protection, decided.budget_exhausted, known)
    }

    /// The known cells of this area that no stored figure holds but the
    /// records can count, as figures from local records (for disclosure
    /// control's true values only; never shown). Only cells that join a
    /// table with one of `new` are counted: disclosure control looks at no
    /// other (a log of thousands of entries over many years would otherwise
    /// be counted cell by cell on every answer).
    fn counted_for(&mut self, new: &[NewCell], known: &[KnownCell]) -> Vec<Figure> {
        let mut out: Vec<Figure> = Vec::new();
        // Which cells the records could give and no figure holds; grouping
        // the cells into tables (`in_play`) is only worth its cost when
        // some are.
        let unstored: Vec<bool> = known
            .iter()
            .map(|k| {
                k.area == self.area
                    && self.records_count(&k.indicator)
                    && !self
                        .by_cell
                        .of(&k.indicator, &k.area, &k.breakdown)
                        .any(|f| f.period == k.period)
            })
            .collect();
        if !unstored.contains(&true) {
            return out;
        }
        let in_play = protected::in_play(self.fine, new, known);
        let unstored = known
            .iter()
            .zip(in_play.iter().zip(&unstored))
            .filter(|&(_, (&p, &u))| p && u)
            .map(|(k, _)| k);
        for k in unstored {
            let seen = out.iter().any(|f| {
                f.indicator == k.indicator && f.period == k.period && f.breakdown == k.breakdown
            });
            if seen {
                continue;
            }
            let fine = self.fine;
            let Some(counter) = self.counter() else {
                return out;
            };
            let Ok(n) = counter.count(fine, &k.indicator, k.period, &k.breakdown) else {
                continue;
            };
            out.push(Figure {
                indicator: k.indicator.clone(),
                area: k.area.clone(),
                period: k.period,
                breakdown: k.breakdown.clone(),
                value: Value::Exact(i64::try_from(n).unwrap_or(i64::MAX)),
                source: Source::LocalRecords,
                status: Status::Final,
                coverage: Vec::new(),
                note: None,
                provenance: Provenance {
                    import: 0,
                    file: String::new(),
                    line: 0,
                    actor: String::new(),
                    imported_at: String::new(),
                },
            });
        }
        out
    }
}

/// Why records held for the area do not give a cell.
enum RecordsGap {
    /// Registered providers' submissions do not reach the period.
    Incomplete(Vec<count::Missing>),
    /// Providers whose records reach the period did not submit a field the
    /// cell is counted over.
    NotSubmitted(Vec<count::NotSubmitted>),
    /// The records cannot count it (a band below the adult ages, a field
    /// they do not hold).
    Uncountable(Uncountable),
}

fn apply_protection(
    q: &mut QuestionAnswer,
    protection: &[Protection],
    explained: &[Option<WithheldBecause>],
    threshold: u64,
) {
    for r in &mut q.rows {
        let Some(i) = r.cell_index else { continue };
        if let Some(&p @ (Protection::Primary | Protection::Secondary)) = protection.get(i) {
            r.outcome = Outcome::Suppressed { protection: p };
            r.withheld_because = explained.get(i).cloned().flatten();
        }
    }
    let mut small = false;
    let mut secondary = false;
    for r in &mut q.rows {
        if let Outcome::Suppressed { protection } = r.outcome {
            // A withheld count's notes could describe it, so they go too.
            r.notes.clear();
            small |= protection == Protection::Primary;
            secondary |= protection == Protection::Secondary;
        }
    }
    if small || secondary {
        let existing = q.notices.iter_mut().find_map(|n| match n {
            Notice::PersonalData {
                small_numbers,
                secondary: s,
                ..
            } => Some((small_numbers, s)),
            _ => None,
        });
        match existing {
            Some((sm, se)) => {
                *sm |= small;
                *se |= secondary;
            }
            None => q.notices.push(Notice::PersonalData {
                small_numbers: small,
                secondary,
                extremes: false,
                threshold,
            }),
        }
    }
    for p in &mut q.parts {
        apply_protection(p, protection, explained, threshold);
    }
}

/// How many items of an answer are held, not held, and neither (an open
/// blocking finding: undecided; or refused under s12, which does not say).
#[derive(Debug, Default)]
struct HeldCounts {
    held: usize,
    not_held: usize,
    neither: usize,
}

fn count_held(q: &QuestionAnswer, prefix: &str, findings: &[Finding], counts: &mut HeldCounts) {
    let number = format!("{prefix}{}", q.number);
    for r in &q.rows {
        // A row offering s21 with its finding still open is undecided too.
        let open = findings.iter().any(|f| {
            f.question == number && f.period == Some(r.period) && f.breakdown == r.breakdown
        });
        match r.outcome {
            _ if open => counts.neither += 1,
            Outcome::NotHeld { .. } => counts.not_held += 1,
            Outcome::Missing { .. }
            | Outcome::Withheld {
                basis: Basis::CostLimit,
                ..
            } => counts.neither += 1,
            _ => counts.held += 1,
        }
    }
    match &q.statement {
        Some(StatementAnswer::Given { .. }) => counts.held += 1,
        Some(StatementAnswer::NotHeld { .. }) => counts.not_held += 1,
        Some(StatementAnswer::Missing { .. }) => counts.neither += 1,
        None => {}
    }
    for p in &q.parts {
        count_held(p, &number, findings, counts);
    }
}

fn collect_bases(q: &QuestionAnswer, out: &mut Vec<Basis>) {
    out.extend(q.rows.iter().filter_map(|r| r.outcome.basis()));
    out.extend(q.notices.iter().map(Notice::basis));
    for p in &q.parts {
        collect_bases(p, out);
    }
}

fn row(period: Period, breakdown: Breakdown, label: Option<String>, outcome: Outcome) -> Row {
    Row {
        period,
        breakdown,
        breakdown_label: label,
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

/// A finding's period and breakdown in words, as a row's item.
fn finding_item(f: &Finding) -> String {
    let period = f.period.map(|p| p.describe()).unwrap_or_default();
    match &f.label {
        Some(l) => format!("{period} ({l})"),
        None => period,
    }
}

fn item_label(r: &Row) -> String {
    match &r.breakdown_label {
        Some(l) => format!("{} ({l})", r.period.describe()),
        None => r.period.describe(),
    }
}

fn push_grouped(groups: &mut Vec<(ReleaseRef, Vec<String>)>, release: &ReleaseRef, item: String) {
    match groups.iter_mut().find(|(r, _)| r == release) {
        Some((_, items)) => {
            if !items.contains(&item) {
                items.push(item)
            }
        }
        None => groups.push((release.clone(), vec![item])),
    }
}

/// s16 advice from a declaration that names who holds the information.
fn advice_of(d: &Declaration) -> Option<OtherHolder> {
    d.other_holder.as_ref().map(|body| OtherHolder {
        body: body.clone(),
        holds: "may hold this information".into(),
        url: None,
    })
}

fn release_ref(r: &Release) -> ReleaseRef {
    ReleaseRef {
        code: Some(r.code.clone()),
        title: r.title.clone(),
        publisher: r.publisher.clone(),
        date: Some(r.date),
        url: r.url.clone(),
    }
}

/// Requested periods as answer rows: a span of whole financial years
/// ("2012/13 to 2021/22") becomes one row per year. Any other period —
/// a calendar year, a month, "October 2016 to March 2018" — is answered
/// as asked.
fn expand(periods: &[Period]) -> Vec<Period> {
    let mut out = Vec::new();
    for p in periods {
        let years = p.financial_years();
        if years.len() > 1 && years.iter().all(|c| c.is_full()) {
            out.extend(years.iter().map(|c| Period::FinancialYear(c.year)));
        } else {
            out.push(*p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::figure::Breakdown;
    use crate::request::parse_request;

    const AREA: &str = "E06000016";

    fn figure(
        indicator: &str,
        period: &str,
        breakdown: &str,
        value: Value,
        source: Source,
    ) -> Figure {
        Figure {
            indicator: indicator.into(),
            area: AREA.into(),
            period: Period::parse(period).unwrap(),
            breakdown: Breakdown::from_key(breakdown),
            value,
            source,
            status: Status::Final,
            coverage: vec![],
            note: None,
            provenance: Provenance {
                import: 2,
                file: "f.csv".into(),
                line: 2,
                actor: "t".into(),
                imported_at: "2020-01-01T00:00:00Z".into(),
            },
        }
    }

    fn release(code: &str, date: Date, indicator: &str, period: &str) -> Release {
        Release {
            code: code.into(),
            title: format!("Statistics {period}"),
            publisher: "OHID".into(),
            date,
            announced: None,
            indicators: vec![indicator.into()],
            periods: vec![Period::parse(period).unwrap()],
            url: Some("https://example.org/stats".into()),
        }
    }

    fn decide(
        request: &str,
        figures: &[Figure],
        releases: &[Release],
        catalogue: &Catalogue,
    ) -> Answer {
        let request = parse_request("r.toml", request, catalogue).unwrap_or_else(|e| panic!("{e}"));
        let evidence = Evidence {
            catalogue,
            figures,
            statements: &[],
            releases,
            policy: Policy::default(),
            area: AREA,
            earlier: &[],
            records: None,
            declarations: &[],
            settled: &[],
        };
        plan(&request, &evidence)
    }

    fn ask(indicator: &str, periods: &str, extra: &str) -> String {
        format!(
            "reference = \"T-1\"\nreceived = 2019-06-10\n[[question]]\nnumber = \"1\"\ntext = \"How many?\"\n\
             indicator = \"{indicator}\"\nperiods = [{periods}]\n{extra}\n"
        )
    }

    #[test]
    fn a_total_and_its_bands_are_protected_together_across_questions() {
        let figures = [
            figure(
                "people_in_treatment",
                "2017/18",
                "",
                Value::Exact(40),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "sex=male",
                Value::Exact(27),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "sex=female",
                Value::Exact(10),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "sex=other",
                Value::Exact(3),
                Source::NdtmsPartnership,
            ),
        ];
        let mut text = ask("people_in_treatment", "\"2017/18\"", "");
        text.push_str("[[question]]\nnumber = \"2\"\ntext = \"By sex?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbreakdown = [\"sex\"]\n");
        let answer = decide(&text, &figures, &[], &shipped());
        let by_sex = &answer.questions[1].rows;
        let outcome = |label: &str| {
            by_sex
                .iter()
                .find(|r| r.breakdown_label.as_deref() == Some(label))
                .map(|r| r.outcome.clone())
                .unwrap()
        };
        assert_eq!(
            outcome("other or not stated"),
            Outcome::Suppressed {
                protection: Protection::Primary
            }
        );
        // 40 - 27 - 10 would reveal the 3, so one more cell is withheld.
        let hidden = by_sex
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Suppressed { .. }))
            .count()
            + usize::from(matches!(
                answer.questions[0].rows[0].outcome,
                Outcome::Suppressed { .. }
            ));
        assert!(hidden >= 2, "{answer:#?}");
        assert!(answer.bases.contains(&Basis::PersonalData));
        // Every withheld cell says why: the 3 is a small count; each other
        // cell withheld names the small count and the relation.
        let other = by_sex
            .iter()
            .find(|r| r.breakdown_label.as_deref() == Some("other or not stated"))
            .unwrap();
        assert_eq!(
            other.withheld_because,
            Some(WithheldBecause::SmallCount { threshold: 5 })
        );
        let secondaries: Vec<&Row> = answer
            .questions
            .iter()
            .flat_map(|q| &q.rows)
            .filter(|r| {
                r.outcome
                    == Outcome::Suppressed {
                        protection: Protection::Secondary,
                    }
            })
            .collect();
        assert!(!secondaries.is_empty());
        for r in secondaries {
            let why = r.withheld_because.as_ref().expect("explained");
            assert!(matches!(why.code(), "total" | "margin"), "{why:?}");
            assert!(why.describe().contains("sex=other"), "{}", why.describe());
        }
    }

    #[test]
    fn a_published_figure_is_referred_to_under_s21_when_the_catalogue_says_so() {
        let mut catalogue = shipped();
        catalogue
            .extend_from_toml(
                "ext.toml",
                "[[indicator]]\ncode = \"opiate_deaths\"\ntitle = \"t\"\ndescription = \"d\"\nunit = \"deaths\"\ncounts_people = false\nafter_publication = \"refer\"\n",
            )
            .unwrap();
        let figures = [figure(
            "opiate_deaths",
            "2017/18",
            "",
            Value::Exact(9),
            Source::Other,
        )];
        let releases = [release(
            "r",
            Date::constant(2018, 11, 1),
            "opiate_deaths",
            "2017/18",
        )];
        let answer = decide(
            &ask("opiate_deaths", "\"2017/18\"", ""),
            &figures,
            &releases,
            &catalogue,
        );
        assert!(matches!(
            answer.questions[0].rows[0].outcome,
            Outcome::Withheld {
                basis: Basis::AccessibleElsewhere,
                ..
            }
        ));
        assert!(matches!(
            answer.questions[0].notices[0],
            Notice::AccessibleElsewhere { .. }
        ));
    }

    #[test]
    fn s22_applies_before_the_release_date_even_with_no_figure_held() {
        let releases = [release(
            "r",
            Date::constant(2019, 11, 7),
            "people_in_treatment",
            "2018/19",
        )];
        let answer = decide(
            &ask("people_in_treatment", "\"2018/19\"", ""),
            &[],
            &releases,
            &shipped(),
        );
        assert!(matches!(
            answer.questions[0].rows[0].outcome,
            Outcome::Withheld {
                basis: Basis::FuturePublication,
                ..
            }
        ));
        assert_eq!(answer.holding, Holding::All);
        assert!(
            answer.warnings.is_empty(),
            "five months away is not distant: {:?}",
            answer.warnings
        );
    }

    fn answered_on(text: &str, day: &str) -> String {
        text.replace(
            "received = 2019-06-10\n",
            &format!("received = 2019-06-10\nanswered = {day}\n"),
        )
    }

    #[test]
    fn a_release_passed_by_the_decision_day_gives_the_figure_held() {
        let releases = [release(
            "r",
            Date::constant(2019, 11, 7),
            "people_in_treatment",
            "2018/19",
        )];
        let figures = [figure(
            "people_in_treatment",
            "2018/19",
            "",
            Value::Exact(812),
            Source::NdtmsPartnership,
        )];
        let request = ask("people_in_treatment", "\"2018/19\"", "");
        let before = decide(&request, &figures, &releases, &shipped());
        assert!(matches!(
            before.questions[0].rows[0].outcome,
            Outcome::Withheld {
                basis: Basis::FuturePublication,
                ..
            }
        ));
        let late = decide(
            &answered_on(&request, "2019-12-02"),
            &figures,
            &releases,
            &shipped(),
        );
        assert_eq!(late.decided, Date::constant(2019, 12, 2));
        assert!(matches!(
            late.questions[0].rows[0].outcome,
            Outcome::Given {
                value: Value::Exact(812),
                ..
            }
        ));
        assert!(late.questions[0].notices.is_empty());
        assert!(late.findings.is_empty());
    }

    #[test]
    fn a_release_passed_but_not_loaded_is_an_s21_offer_with_a_blocking_finding_never_not_held() {
        let mut r = release(
            "ndtms_2018_19",
            Date::constant(2019, 11, 7),
            "people_in_treatment",
            "2018/19",
        );
        r.url = Some("https://example.org/ndtms".into());
        let answer = decide(
            &answered_on(&ask("people_in_treatment", "\"2018/19\"", ""), "2019-12-02"),
            &[],
            &[r],
            &shipped(),
        );
        let row = &answer.questions[0].rows[0];
        let Outcome::Withheld {
            basis: Basis::AccessibleElsewhere,
            release: Some(rel),
        } = &row.outcome
        else {
            panic!("{:?}", row.outcome)
        };
        assert_eq!(rel.url.as_deref(), Some("https://example.org/ndtms"));
        assert_eq!(rel.code.as_deref(), Some("ndtms_2018_19"));
        assert!(!answer.bases.contains(&Basis::NotHeld));
        assert_eq!(answer.findings.len(), 1);
        assert_eq!(answer.findings[0].question, "1");
        assert!(
            answer.findings[0]
                .what()
                .contains("https://example.org/ndtms")
        );
        assert_eq!(
            answer.findings[0]
                .publication
                .as_ref()
                .map(|p| p.code.as_str()),
            Some("ndtms_2018_19")
        );
        assert!(
            answer.findings[0]
                .ways_forward()
                .contains(&crate::finding::WayForward::Load)
        );
    }

    #[test]
    fn the_public_interest_distance_is_counted_from_the_decision_day() {
        let releases = [release(
            "r",
            Date::constant(2019, 11, 7),
            "people_in_treatment",
            "2018/19",
        )];
        let answer = decide(
            &answered_on(&ask("people_in_treatment", "\"2018/19\"", ""), "2019-10-28"),
            &[],
            &releases,
            &shipped(),
        );
        let Some(Notice::FuturePublication {
            days_away, distant, ..
        }) = answer.questions[0].notices.first()
        else {
            panic!("{:?}", answer.questions[0].notices)
        };
        assert_eq!(*days_away, Some(10));
        assert!(!distant);
    }

    #[test]
    fn an_unshareable_figure_with_no_alternative_is_withheld_with_a_warning() {
        let figures = [figure(
            "inpatient_detox_placements",
            "2018/19",
            "",
            Value::NotYetShareable {
                reason: "NDTMS data cannot yet be shared.".into(),
            },
            Source::NdtmsProvider,
        )];
        let answer = decide(
            &ask("inpatient_detox_placements", "\"2018/19\"", ""),
            &figures,
            &[],
            &shipped(),
        );
        assert!(matches!(
            answer.questions[0].rows[0].outcome,
            Outcome::Withheld {
                basis: Basis::FuturePublication,
                ..
            }
        ));
        assert!(!answer.warnings.is_empty());
    }

    #[test]
    fn sources_that_disagree_are_reported_not_hidden() {
        let figures = [
            figure(
                "people_in_treatment",
                "2017/18",
                "",
                Value::Exact(400),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "",
                Value::Exact(412),
                Source::LocalRecords,
            ),
        ];
        let answer = decide(
            &ask("people_in_treatment", "\"2017/18\"", ""),
            &figures,
            &[],
            &shipped(),
        );
        assert!(matches!(
            answer.questions[0].rows[0].outcome,
            Outcome::Given {
                value: Value::Exact(400),
                ..
            }
        ));
        assert!(
            answer
                .warnings
                .iter()
                .any(|w| w.contains("400") && w.contains("412")),
            "{:?}",
            answer.warnings
        );
    }

    #[test]
    fn estimates_over_the_cost_limit_refuse_the_whole_request_under_s12() {
        let answer = decide(
            &ask("budget", "\"2017/18\"", "estimate_hours = 20.5"),
            &[],
            &[],
            &shipped(),
        );
        assert_eq!(answer.cost_limit.as_ref().map(|c| c.limit_hours), Some(18));
        assert_eq!(answer.bases, vec![Basis::CostLimit]);
        assert!(answer.questions[0].rows.is_empty());
    }

    #[test]
    fn a_missing_figure_is_a_blocking_finding_never_not_held() {
        let answer = decide(
            &ask("people_in_treatment", "\"2017/18\"", ""),
            &[],
            &[],
            &shipped(),
        );
        let row = &answer.questions[0].rows[0];
        assert_eq!(row.outcome, Outcome::Missing { finding: 1 });
        assert_eq!(answer.findings.len(), 1);
        assert_eq!(answer.findings[0].subject, "people_in_treatment");
        assert_eq!(answer.findings[0].question, "1");
        assert!(
            !answer.bases.contains(&Basis::NotHeld),
            "{:?}",
            answer.bases
        );
        assert!(answer.questions[0].notices.is_empty());
    }

    #[test]
    fn a_declared_not_held_is_s1_1_with_its_reason_and_advice() {
        use crate::finding::DeclaredBy;
        let catalogue = shipped();
        let request = parse_request(
            "r.toml",
            &ask("people_in_treatment", "\"2017/18\"", ""),
            &catalogue,
        )
        .unwrap();
        let declarations = [Declaration {
            id: None,
            subject: "people_in_treatment".into(),
            area: None,
            period: Some(Period::parse("2017/18").unwrap()),
            breakdown: Breakdown::total(),
            reason: "The service was commissioned by the county that year.".into(),
            other_holder: Some("Leicestershire County Council".into()),
            by: DeclaredBy::Case("T-1".into()),
        }];
        let evidence = Evidence {
            catalogue: &catalogue,
            figures: &[],
            statements: &[],
            releases: &[],
            policy: Policy::default(),
            area: AREA,
            earlier: &[],
            records: None,
            declarations: &declarations,
            settled: &[],
        };
        let answer = plan(&request, &evidence);
        assert!(answer.findings.is_empty());
        assert_eq!(
            answer.questions[0].rows[0].outcome,
            Outcome::NotHeld {
                reason: Some("The service was commissioned by the county that year.".into())
            }
        );
        assert!(answer.bases.contains(&Basis::NotHeld));
        assert_eq!(
            answer.questions[0].advice[0].body,
            "Leicestershire County Council"
        );
    }

    fn decide_settled(request: &str, figures: &[Figure], settled: &[Settled]) -> Answer {
        let catalogue = shipped();
        let request = parse_request("r.toml", request, &catalogue).unwrap();
        let evidence = Evidence {
            catalogue: &catalogue,
            figures,
            statements: &[],
            releases: &[],
            policy: Policy::default(),
            area: AREA,
            earlier: &[],
            records: None,
            declarations: &[],
            settled,
        };
        plan(&request, &evidence)
    }

    #[test]
    fn an_s12_estimate_settles_its_finding_while_it_reads_the_same() {
        let text = ask("people_in_treatment", "\"2016/17\", \"2017/18\"", "");
        let figures = [figure(
            "people_in_treatment",
            "2016/17",
            "",
            Value::Exact(51),
            Source::NdtmsPartnership,
        )];
        let open = decide_settled(&text, &figures, &[]);
        assert_eq!(open.findings.len(), 1);
        // Given 2016/17, undecided 2017/18: "some", never "all".
        assert_eq!(open.holding, Holding::Some);
        let settled = [Settled {
            finding: open.findings[0].what(),
            how: Settlement::CostLimit { hours: 25.0 },
            by: "officer".into(),
            at: "2019-06-20T10:00:00Z".into(),
        }];
        let answer = decide_settled(&text, &figures, &settled);
        assert!(answer.findings.is_empty(), "{:?}", answer.findings);
        let q = &answer.questions[0];
        assert!(matches!(q.rows[0].outcome, Outcome::Given { .. }));
        assert_eq!(
            q.rows[1].outcome,
            Outcome::Withheld {
                basis: Basis::CostLimit,
                release: None
            }
        );
        assert_eq!(
            q.notices,
            vec![Notice::CostLimit {
                items: vec!["2017/18".into()],
                hours: 25.0,
                limit_hours: COUNCIL_COST_LIMIT_HOURS,
            }]
        );
        assert!(answer.bases.contains(&Basis::CostLimit));
        assert!(answer.cost_limit.is_none(), "only that part is refused");
        assert_eq!(answer.holding, Holding::Some);
        assert!(answer.warnings.iter().any(|w| w.contains("25 hours")));

        // Another finding (another period) is not settled by it.
        let other = ask("people_in_treatment", "\"2018/19\"", "");
        assert_eq!(decide_settled(&other, &figures, &settled).findings.len(), 1);
    }

    #[test]
    fn an_open_finding_is_neither_held_nor_not_held_in_the_holding_statement() {
        let text = ask("people_in_treatment", "\"2017/18\"", "");
        let answer = decide_settled(&text, &[], &[]);
        assert_eq!(answer.holding, Holding::NotStated);
        let not_held = figure(
            "people_in_treatment",
            "2016/17",
            "",
            Value::NotHeld {
                reason: "lost".into(),
            },
            Source::NdtmsPartnership,
        );
        let text = ask("people_in_treatment", "\"2016/17\", \"2017/18\"", "");
        let answer = decide_settled(&text, &[not_held], &[]);
        assert_eq!(answer.holding, Holding::SomeNotHeld);
    }

    #[test]
    fn a_span_of_years_becomes_one_row_per_year() {
        let figures = [figure(
            "budget",
            "2016/17",
            "",
            Value::Exact(100),
            Source::Finance,
        )];
        let answer = decide(
            &ask("budget", "\"2015/16 to 2017/18\"", ""),
            &figures,
            &[],
            &shipped(),
        );
        let labels: Vec<String> = answer.questions[0]
            .rows
            .iter()
            .map(|r| r.period.to_string())
            .collect();
        assert_eq!(labels, ["2015/16", "2016/17", "2017/18"]);
        // The two years with no figure and nothing recorded are findings
        // for the officer, not "not held".
        let missing: Vec<Option<String>> = answer
            .findings
            .iter()
            .map(|f| f.period.map(|p| p.to_string()))
            .collect();
        assert_eq!(
            missing,
            [Some("2015/16".to_string()), Some("2017/18".to_string())]
        );
    }

    fn outcome_of<'a>(rows: &'a [Row], label: &str) -> &'a Outcome {
        &rows
            .iter()
            .find(|r| r.breakdown_label.as_deref() == Some(label))
            .unwrap_or_else(|| panic!("no row {label}: {rows:#?}"))
            .outcome
    }

    #[test]
    fn a_composite_band_is_the_sum_of_held_parts_and_a_small_one_is_protected_with_its_complement()
    {
        let mut figures = vec![figure(
            "people_in_treatment",
            "2017/18",
            "",
            Value::Exact(40),
            Source::NdtmsPartnership,
        )];
        for (band, n) in [
            ("18", 1),
            ("19", 1),
            ("20-24", 2),
            ("25-29", 10),
            ("30-34", 6),
            ("35-39", 5),
            ("40-44", 5),
            ("45-49", 5),
            ("50-54", 5),
        ] {
            figures.push(figure(
                "people_in_treatment",
                "2017/18",
                &format!("age_band={band}"),
                Value::Exact(n),
                Source::NdtmsPartnership,
            ));
        }
        for band in ["55-59", "60-64", "65-69", "70+"] {
            figures.push(figure(
                "people_in_treatment",
                "2017/18",
                &format!("age_band={band}"),
                Value::Exact(0),
                Source::NdtmsPartnership,
            ));
        }
        let mut text = ask("people_in_treatment", "\"2017/18\"", "");
        text.push_str("[[question]]\nnumber = \"2\"\ntext = \"By age?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"18-29\", \"30-49\", \"50+\"]\n");
        let answer = decide(&text, &figures, &[], &shipped());
        let rows = &answer.questions[1].rows;
        assert_eq!(rows.len(), 3, "{rows:#?}");
        assert!(matches!(
            outcome_of(rows, "aged 18 to 29"),
            Outcome::Given {
                value: Value::Exact(14),
                ..
            }
        ));
        assert!(matches!(
            outcome_of(rows, "aged 30 to 49"),
            Outcome::Given {
                value: Value::Exact(21),
                ..
            }
        ));
        assert!(
            rows[0].notes.iter().any(|n| n.contains(
                "sum of the figures for aged 18, aged 19, aged 20 to 24 and aged 25 to 29"
            )),
            "{:?}",
            rows[0].notes
        );
        // 50+ is 5: given. Now make under 25 small: 4 of 40.
        let mut text = ask("people_in_treatment", "\"2017/18\"", "");
        text.push_str("[[question]]\nnumber = \"2\"\ntext = \"Under 25?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"under 25\", \"25+\"]\n");
        let answer = decide(&text, &figures, &[], &shipped());
        let rows = &answer.questions[1].rows;
        assert_eq!(
            outcome_of(rows, "under 25"),
            &Outcome::Suppressed {
                protection: Protection::Primary
            }
        );
        // The total (40) is given, so "25 and over" (36) would give the 4 away.
        assert!(
            matches!(
                answer.questions[0].rows[0].outcome,
                Outcome::Suppressed { .. }
            ) || matches!(
                outcome_of(rows, "aged 25 and over"),
                Outcome::Suppressed { .. }
            ),
            "{answer:#?}"
        );
    }

    #[test]
    fn a_union_of_substance_groups_is_the_sum_of_its_members() {
        let figures = [
            figure(
                "people_in_treatment",
                "2017/18",
                "substance_group=opiate",
                Value::Exact(300),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "substance_group=alcohol_only",
                Value::Exact(120),
                Source::NdtmsPartnership,
            ),
        ];
        let request = parse_request(
            "r.toml",
            &ask("people_in_treatment", "\"2017/18\"", ""),
            &shipped(),
        )
        .unwrap();
        let mut request = request;
        if let Some(Ask::Figures(f)) = &mut request.questions[0].ask {
            f.filter = Breakdown::from_key("substance_group=alcohol_only|opiate");
        }
        let catalogue = shipped();
        let evidence = Evidence {
            catalogue: &catalogue,
            figures: &figures,
            statements: &[],
            releases: &[],
            policy: Policy::default(),
            area: AREA,
            earlier: &[],
            records: None,
            declarations: &[],
            settled: &[],
        };
        let answer = plan(&request, &evidence);
        assert!(matches!(
            answer.questions[0].rows[0].outcome,
            Outcome::Given {
                value: Value::Exact(420),
                ..
            }
        ));
        assert_eq!(
            catalogue
                .dimension("substance_group")
                .unwrap()
                .label("alcohol_only|opiate"),
            "alcohol only or opiate"
        );
    }

    #[test]
    fn one_table_takes_one_source_and_shows_the_other_sources_difference() {
        let mut figures = vec![figure(
            "people_in_treatment",
            "2017/18",
            "",
            Value::Exact(44),
            Source::NdtmsPartnership,
        )];
        // Local records hold the total and bands; NDTMS only the total.
        figures.push(figure(
            "people_in_treatment",
            "2017/18",
            "",
            Value::Exact(660),
            Source::LocalRecords,
        ));
        for (band, n) in [("18-24", 60), ("25-29", 100)] {
            figures.push(figure(
                "people_in_treatment",
                "2017/18",
                &format!("age_band={band}"),
                Value::Exact(n),
                Source::LocalRecords,
            ));
        }
        figures.push(figure(
            "people_in_treatment",
            "2017/18",
            "age_band=25-29",
            Value::Exact(9),
            Source::NdtmsPartnership,
        ));
        let text = ask(
            "people_in_treatment",
            "\"2017/18\"",
            "breakdown = [\"age_band\"]",
        );
        let answer = decide(&text, &figures, &[], &shipped());
        let rows = &answer.questions[0].rows;
        // NDTMS comes first and gives every band it holds: the table is
        // NDTMS's, and local records' bands are not mixed in.
        for r in rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Given { .. }))
        {
            assert_eq!(r.source, Some(Source::NdtmsPartnership), "{rows:#?}");
        }
        assert!(matches!(
            outcome_of(rows, "aged 25 to 29"),
            Outcome::Given {
                value: Value::Exact(9),
                ..
            }
        ));
        assert!(
            !rows
                .iter()
                .any(|r| r.breakdown_label.as_deref() == Some("under 25"))
        );
        let d = answer
            .source_differences
            .iter()
            .find(|d| d.breakdown.key() == "age_band=25-29")
            .unwrap_or_else(|| panic!("{answer:#?}"));
        assert_eq!(
            (d.used, d.value, d.other, d.other_value),
            (Source::NdtmsPartnership, 9, Source::LocalRecords, 100)
        );
        assert!(
            answer
                .warnings
                .iter()
                .any(|w| w.contains("a difference of 91")),
            "{:?}",
            answer.warnings
        );
    }

    #[test]
    fn a_breakdown_takes_the_preferred_sources_own_bands_and_shows_the_other_sources_sums() {
        // NDTMS holds the total and two composite bands; local records hold
        // every leaf (as after an import of generated records).
        let mut figures = vec![
            figure(
                "people_in_treatment",
                "2017/18",
                "",
                Value::Exact(44),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "age_band=18-24",
                Value::Exact(6),
                Source::NdtmsPartnership,
            ),
            figure(
                "people_in_treatment",
                "2017/18",
                "age_band=40+",
                Value::Exact(12),
                Source::NdtmsPartnership,
            ),
        ];
        let dim = shipped();
        for leaf in dim.dimension("age_band").unwrap().leaves() {
            figures.push(figure(
                "people_in_treatment",
                "2017/18",
                &format!("age_band={leaf}"),
                Value::Exact(50),
                Source::LocalRecords,
            ));
        }
        let mut text = ask("people_in_treatment", "\"2017/18\"", "");
        text.push_str("[[question]]\nnumber = \"2\"\ntext = \"By age?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbreakdown = [\"age_band\"]\n");
        let answer = decide(&text, &figures, &[], &shipped());
        let rows = &answer.questions[1].rows;
        assert!(matches!(
            outcome_of(rows, "under 25"),
            Outcome::Given {
                value: Value::Exact(6),
                ..
            }
        ));
        assert!(matches!(
            outcome_of(rows, "aged 40 and over"),
            Outcome::Given {
                value: Value::Exact(12),
                ..
            }
        ));
        for r in rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Given { .. }))
        {
            assert_eq!(r.source, Some(Source::NdtmsPartnership), "{rows:#?}");
        }
        // Local records' sums for the same bands are shown, with the difference.
        assert!(
            answer
                .source_differences
                .iter()
                .any(|d| d.breakdown.key() == "age_band=18-24"
                    && d.other == Source::LocalRecords
                    && d.other_value == 150)
        );
    }

    #[test]
    fn overlapping_bands_never_share_a_table() {
        let figures: Vec<Figure> = [
            ("18-24", 20),
            ("18", 5),
            ("19", 6),
            ("20-24", 9),
            ("25-29", 30),
        ]
        .iter()
        .map(|(b, n)| {
            figure(
                "people_in_treatment",
                "2017/18",
                &format!("age_band={b}"),
                Value::Exact(*n),
                Source::NdtmsPartnership,
            )
        })
        .collect();
        let text = ask(
            "people_in_treatment",
            "\"2017/18\"",
            "breakdown = [\"age_band\"]",
        );
        let answer = decide(&text, &figures, &[], &shipped());
        let labels: Vec<&str> = answer.questions[0]
            .rows
            .iter()
            .filter(|r| r.cell_index.is_some())
            .filter_map(|r| r.breakdown_label.as_deref())
            .collect();
        assert_eq!(
            labels,
            ["aged 18", "aged 19", "aged 20 to 24", "aged 25 to 29"]
        );
    }

    mod from_records {
        use super::*;
        use crate::records::count::{HeldRecords, HeldSubmission};
        use crate::records::{
            ClientKey, Day, Funding, Intervention, Record, Setting, Sex, YearMonth,
        };
        use proptest::prelude::*;

        /// One episode: client, its setting (by the byte, of three), an
        /// unused byte, start offset, length (a client's birth and sex
        /// follow from the client).
        type Ep = (u8, u8, u8, i32, Option<i32>);

        const SETTINGS: [Setting; 3] =
            [Setting::Community, Setting::Inpatient, Setting::Residential];

        fn record(&(client, setting, _, start, length): &Ep) -> Record {
            let mut key = [0u8; 16];
            key[0] = client;
            let start = Day::from_date(Date::constant(2014, 1, 1)).0 + start;
            Record {
                client: ClientKey(key),
                // Birth and sex belong to the person: fixed per client.
                birth: YearMonth {
                    year: 1940 + i16::from(client % 60) + i16::from(client / 60),
                    month: 1 + (client % 12) as i8,
                },
                sex: [Sex::Male, Sex::Female, Sex::NotStated][usize::from(client % 3)],
                ethnicity: b'A',
                episode_id: String::new(),
                modality_id: String::new(),
                referral: Day(start),
                triage: Day(start),
                start: Day(start),
                discharge: length.map(|l| Day(start + l)),
                discharge_reason: length.map(|_| 80),
                drugs: [Some(1101), None, None],
                intervention: Intervention::Psychosocial,
                setting: SETTINGS[usize::from(setting % 3)],
                modality_start: Day(start),
                modality_end: length.map(|l| Day(start + l)),
                funding: Funding::Council,
                naloxone_kits: 0,
                circumstances: Default::default(),
            }
        }

        fn held(eps: &[Ep]) -> HeldRecords {
            let mut seen = std::collections::BTreeSet::new();
            HeldRecords {
                area: AREA.into(),
                submissions: vec![HeldSubmission {
                    provider: "N0001".into(),
                    month: YearMonth {
                        year: 2022,
                        month: 3,
                    },
                    records: eps
                        .iter()
                        .filter(|e| seen.insert((e.0, e.3)))
                        .map(record)
                        .collect(),
                }],
                registered: vec!["N0001".into()],
            }
        }

        /// The count over the records, written the plainest way.
        fn brute(
            held: &HeldRecords,
            year: i16,
            band: crate::catalogue::AgeSpan,
            sex: Option<&str>,
            setting: Option<&str>,
        ) -> u64 {
            let first = Date::constant(year, 4, 1);
            let last = Date::constant(year + 1, 3, 31);
            let records = &held.submissions[0].records;
            let mut clients: Vec<ClientKey> = records.iter().map(|r| r.client).collect();
            clients.sort();
            clients.dedup();
            clients
                .iter()
                .filter(|c| {
                    let mine: Vec<&Record> = records
                        .iter()
                        .filter(|r| r.client == **c)
                        .filter(|r| {
                            r.start.date() <= last && r.discharge.is_none_or(|d| d.date() >= first)
                        })
                        .collect();
                    let Some(earliest) = mine.iter().map(|r| r.start.date()).min() else {
                        return false;
                    };
                    let on = earliest.max(first);
                    let birth = mine[0].birth;
                    let mut age = i32::from(on.year()) - i32::from(birth.year);
                    if on.month() < birth.month {
                        age -= 1;
                    }
                    let sex_code = match mine[0].sex {
                        Sex::Male => "male",
                        Sex::Female => "female",
                        _ => "other",
                    };
                    // One person may have had several settings in the
                    // year: any of them counts.
                    let in_setting = setting
                        .is_none_or(|s| mine.iter().any(|r| r.setting.dimension_value() == s));
                    band.contains(age.max(18) as u32)
                        && sex.is_none_or(|s| s == sex_code)
                        && in_setting
                })
                .count() as u64
        }

        fn bands() -> impl Strategy<Value = Vec<(u32, Option<u32>)>> {
            // Cut points from 18: consecutive, never overlapping.
            (
                proptest::collection::btree_set(19u32..90, 1..5),
                any::<bool>(),
            )
                .prop_map(|(cuts, open)| {
                    let mut out = Vec::new();
                    let mut low = 18;
                    let cuts: Vec<u32> = cuts.into_iter().collect();
                    for (i, c) in cuts.iter().enumerate() {
                        if open && i == cuts.len() - 1 {
                            out.push((low, None));
                        } else {
                            out.push((low, Some(c - 1)));
                        }
                        low = *c;
                    }
                    out
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            #[test]
            fn a_count_from_records_equals_a_brute_force_count_and_no_small_count_is_released(
                eps in proptest::collection::vec(
                    (0u8..160, any::<u8>(), any::<u8>(), 0i32..2_500, proptest::option::of(1i32..900)),
                    1..300,
                ),
                bands in bands(),
                year in 2014i16..2020,
                sex in proptest::option::of(0usize..3),
                setting in proptest::option::of(0usize..3),
            ) {
                let held = held(&eps);
                let codes: Vec<String> = bands
                    .iter()
                    .map(|&(low, high)| crate::catalogue::AgeSpan { low, high }.code())
                    .collect();
                let sex = sex.map(|i| ["male", "female", "other"][i]);
                let setting = setting.map(|i| SETTINGS[i].dimension_value());
                let filters: Vec<String> = sex
                    .map(|s| format!("sex = \"{s}\""))
                    .into_iter()
                    .chain(setting.map(|s| format!("setting = \"{s}\"")))
                    .collect();
                let filter = if filters.is_empty() {
                    String::new()
                } else {
                    format!("filter = {{ {} }}\n", filters.join(", "))
                };
                let text = format!(
                    "reference = \"T-1\"\nreceived = 2022-06-10\n[[question]]\nnumber = \"1\"\ntext = \"By age\"\n\
                     indicator = \"people_in_treatment\"\nperiods = [\"{year}/{:02}\"]\n{filter}bands = [{}]\n",
                    (year + 1) % 100,
                    codes.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
                );
                let catalogue = shipped();
                let request = match parse_request("r.toml", &text, &catalogue) {
                    Ok(r) => r,
                    Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
                };
                let evidence = Evidence {
                    catalogue: &catalogue,
                    figures: &[],
                    statements: &[],
                    releases: &[],
                    policy: Policy::default(),
                    area: AREA,
                    earlier: &[],
                    records: Some(&held),
                    declarations: &[],
                    settled: &[],
                };
                let answer = plan(&request, &evidence);
                let threshold = Policy::default().threshold;
                let rows = &answer.questions[0].rows;
                let first_start = held.submissions[0].records.iter().map(|r| r.start).min().unwrap();
                let before = crate::FinancialYear::containing(first_start.date()).start_year() > year;
                // Before the records begin nothing is counted: the officer
                // decides (a blocking finding), never a count.
                prop_assert!(before || answer.findings.is_empty(), "{:?}", answer.findings);
                for r in rows {
                    if before {
                        prop_assert!(!matches!(r.outcome, Outcome::Given { .. }), "{r:#?}");
                        continue;
                    }
                    let band = crate::catalogue::AgeSpan::parse(r.breakdown.get("age_band").unwrap()).unwrap();
                    let expected = brute(&held, year, band, sex, setting);
                    match &r.outcome {
                        Outcome::Given { value: Value::Exact(v), .. } => {
                            prop_assert_eq!(*v as u64, expected, "{:?}", band);
                            prop_assert!(*v == 0 || *v as u64 >= threshold, "small count released: {r:#?}");
                        }
                        Outcome::Suppressed { protection: Protection::Primary } => {
                            prop_assert!(expected >= 1 && expected < threshold, "{expected} {r:#?}");
                        }
                        Outcome::Suppressed { .. } => {}
                        other => prop_assert!(false, "{band:?}: {other:?}"),
                    }
                }
            }
        }

        #[test]
        fn incomplete_records_are_a_blocking_finding_naming_providers_and_months() {
            let mut held = held(&[(1, 0, 0, 100, None)]);
            held.submissions[0].month = YearMonth {
                year: 2014,
                month: 12,
            };
            held.registered.push("N0002".into());
            let catalogue = shipped();
            let request = parse_request(
                "r.toml",
                &ask(
                    "people_in_treatment",
                    "\"2014/15\"",
                    "bands = [\"18-40\", \"41+\"]",
                ),
                &catalogue,
            )
            .unwrap();
            let evidence = Evidence {
                catalogue: &catalogue,
                figures: &[],
                statements: &[],
                releases: &[],
                policy: Policy::default(),
                area: AREA,
                earlier: &[],
                records: Some(&held),
                declarations: &[],
                settled: &[],
            };
            let answer = plan(&request, &evidence);
            assert_eq!(answer.findings.len(), 2, "{:#?}", answer.findings);
            for f in &answer.findings {
                assert_eq!(
                    f.records_missing,
                    ["N0001 (2015-01 to 2015-03)", "N0002 (2014-04 to 2015-03)"]
                );
                assert!(
                    f.what().contains("incomplete for this period"),
                    "{}",
                    f.what()
                );
            }
            assert!(
                answer.questions[0]
                    .rows
                    .iter()
                    .all(|r| matches!(r.outcome, Outcome::Missing { .. }))
            );
        }

        /// A count over an optional field (employment status) is made when
        /// every provider sent it, and is a blocking finding naming the
        /// provider and month when one did not: never a zero or a partial
        /// count.
        #[test]
        fn a_count_over_a_field_a_provider_did_not_send_is_a_blocking_finding() {
            use crate::records::Recorded;
            use crate::records::codes::Employment;
            let eps: Vec<Ep> = (0..12).map(|c| (c, 0, 0, 100, None)).collect();
            let mut held = held(&eps);
            for (i, r) in held.submissions[0].records.iter_mut().enumerate() {
                r.circumstances.employment = if i < 7 {
                    Recorded::Code(Employment::Regular)
                } else {
                    Recorded::Code(Employment::Unemployed)
                };
            }
            let catalogue = shipped();
            let request = parse_request(
                "r.toml",
                &ask(
                    "people_in_treatment",
                    "\"2014/15\"",
                    "breakdown = [\"employment_status\"]",
                ),
                &catalogue,
            )
            .unwrap();
            let decide = |held: &HeldRecords| {
                plan(
                    &request,
                    &Evidence {
                        catalogue: &catalogue,
                        figures: &[],
                        statements: &[],
                        releases: &[],
                        policy: Policy::default(),
                        area: AREA,
                        earlier: &[],
                        records: Some(held),
                        declarations: &[],
                        settled: &[],
                    },
                )
            };
            let answer = decide(&held);
            assert!(answer.findings.is_empty(), "{:#?}", answer.findings);
            let given = |a: &Answer, key: &str| {
                a.questions[0]
                    .rows
                    .iter()
                    .find(|r| r.breakdown.key() == key)
                    .map(|r| r.outcome.clone())
            };
            assert!(matches!(
                given(&answer, "employment_status=regular_employment"),
                Some(Outcome::Given {
                    value: Value::Exact(7),
                    ..
                })
            ));
            assert!(matches!(
                given(&answer, "employment_status=unemployed"),
                Some(Outcome::Given {
                    value: Value::Exact(5),
                    ..
                })
            ));

            // A second provider's file had no EMPSTAT column.
            let mut second = held.submissions[0].clone();
            second.provider = "N0002".into();
            for r in &mut second.records {
                r.client.0[1] = 1;
                r.circumstances.employment = Recorded::NotSubmitted;
            }
            held.submissions.push(second);
            held.registered.push("N0002".into());
            let answer = decide(&held);
            assert!(!answer.findings.is_empty());
            for f in &answer.findings {
                assert_eq!(f.fields_missing, ["N0002 (2022-03: no EMPSTAT column)"]);
                assert!(
                    f.what().contains("not every provider sent the field"),
                    "{}",
                    f.what()
                );
            }
            assert!(
                answer.questions[0]
                    .rows
                    .iter()
                    .all(|r| matches!(r.outcome, Outcome::Missing { .. })),
                "{:#?}",
                answer.questions[0].rows
            );
        }

        #[test]
        fn a_band_below_adult_ages_is_explained_never_counted() {
            let held = held(&[(1, 0, 0, 100, None), (2, 0, 0, 200, None)]);
            let catalogue = shipped();
            let request = parse_request(
                "r.toml",
                &ask(
                    "people_in_treatment",
                    "\"2014/15\"",
                    "bands = [\"16-20\", \"21+\"]",
                ),
                &catalogue,
            )
            .unwrap();
            let evidence = Evidence {
                catalogue: &catalogue,
                figures: &[],
                statements: &[],
                releases: &[],
                policy: Policy::default(),
                area: AREA,
                earlier: &[],
                records: Some(&held),
                declarations: &[],
                settled: &[],
            };
            let answer = plan(&request, &evidence);
            let Outcome::NotHeld {
                reason: Some(reason),
            } = &answer.questions[0].rows[0].outcome
            else {
                panic!("{answer:#?}");
            };
            assert!(
                reason.contains("aged 18 and over")
                    && reason.contains("Figures can be given for people aged 18 to 20 instead"),
                "{reason}"
            );
        }
    }
}
