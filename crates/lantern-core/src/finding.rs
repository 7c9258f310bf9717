//! Not held as a recorded fact, and blocking findings where nothing is
//! recorded.
//!
//! Not holding information is a statement of fact the council makes; a
//! figure missing from the store is not evidence of it. So this module owns:
//! - [`Declaration`]: a recorded "not held" — by the council for an
//!   indicator (or statement topic), optionally one area, period and
//!   breakdown, or by the officer on one case — with its reason and, for
//!   s16 advice, who holds the information instead. (The catalogue's
//!   "never held by the council" and a figure imported with status not held
//!   are the other two records the planner reads.)
//! - [`Finding`]: what the planner could not decide because nothing is
//!   recorded — no figure, no statement, no not-held — with the ways
//!   forward ([`WayForward`]). A draft with a blocking finding cannot be
//!   approved or sent.

use jiff::civil::Date;

use crate::figure::Breakdown;
use crate::period::Period;

/// Who recorded a not-held declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredBy {
    /// The council, for every request.
    Council,
    /// The officer on one case (its reference), for that case only.
    Case(String),
}

/// A recorded "not held": the council (or the officer on a case) states
/// that it does not hold an indicator's figures (or a topic's statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// Its number in the store (`None` for one not stored, as in tests):
    /// a draft records the declarations it relied on, so that one
    /// withdrawn later stops the draft being sent unchanged.
    pub id: Option<i64>,
    /// The indicator or statement topic code.
    pub subject: String,
    /// One area, or every area.
    pub area: Option<String>,
    /// One period, or every period.
    pub period: Option<Period>,
    /// One breakdown (filter and breakdown values), or any (empty).
    pub breakdown: Breakdown,
    /// Why it is not held, as the letter gives it.
    pub reason: String,
    /// Who holds it instead (for s16 advice), if anyone is known to.
    pub other_holder: Option<String>,
    /// The council or a case.
    pub by: DeclaredBy,
}

impl Declaration {
    /// Whether this declaration is about `subject` in `area` for `period`
    /// (a declaration's period covers any period it contains or that
    /// contains it, e.g. a span of years covers each year) and `breakdown`.
    pub fn covers(
        &self,
        subject: &str,
        area: &str,
        period: Option<&Period>,
        breakdown: &Breakdown,
    ) -> bool {
        self.subject == subject
            && self.area.as_deref().is_none_or(|a| a == area)
            && match (&self.period, period) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(mine), Some(p)) => mine.contains(p) || p.contains(mine),
            }
            && (self.breakdown.0.is_empty() || self.breakdown.covers(breakdown))
    }

    /// A case's declarations come before the council's: the officer's
    /// reason on the case is the one the letter gives.
    pub fn first_covering<'a>(
        all: &'a [Declaration],
        subject: &str,
        area: &str,
        period: Option<&Period>,
        breakdown: &Breakdown,
    ) -> Option<&'a Declaration> {
        all.iter()
            .filter(|d| matches!(d.by, DeclaredBy::Case(_)))
            .chain(all.iter().filter(|d| d.by == DeclaredBy::Council))
            .find(|d| d.covers(subject, area, period, breakdown))
    }
}

/// A blocking finding the officer settled, as the case records it: the
/// next draft decides the row as the officer chose while the finding reads
/// the same ([`Finding::what`]); a finding that reads differently (another
/// release, period or breakdown) is open again.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// What was missing, as the finding said it ([`Finding::what`]).
    pub finding: String,
    /// How it was settled.
    pub how: Settlement,
    /// Who settled it.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

/// How the officer settled a blocking finding without a figure or a
/// not-held declaration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Settlement {
    /// The draft's section 21 offer accepted: the requester is referred to
    /// the publication that published the figure (only for a finding that
    /// offers one).
    Refer,
    /// Section 12: the officer estimates that finding the figure would take
    /// these hours, more than the cost limit; the letter refuses that part
    /// under section 12 with advice on narrowing it (section 16).
    CostLimit {
        /// The officer's estimate in hours.
        hours: f64,
    },
}

impl Settled {
    /// The settlement of `finding`, if the officer recorded one (the
    /// newest, when there are several).
    pub fn of<'a>(all: &'a [Settled], finding: &Finding) -> Option<&'a Settled> {
        let what = finding.what();
        all.iter().rev().find(|s| s.finding == what)
    }
}

/// What can be done about a blocking finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WayForward {
    /// Load the figure (or statement) and draft again.
    Load,
    /// Record that it is not held, with the reason (and who holds it).
    RecordNotHeld,
    /// Ask the requester to clarify what they want.
    SeekClarification,
    /// Estimate the hours finding it would take (s12 when over the limit).
    CostEstimate,
}

impl WayForward {
    /// Every way forward, in the order they are offered.
    pub const ALL: [WayForward; 4] = [
        WayForward::Load,
        WayForward::RecordNotHeld,
        WayForward::SeekClarification,
        WayForward::CostEstimate,
    ];

    /// A stable code (`load`, `record_not_held`, `seek_clarification`,
    /// `cost_estimate`).
    pub fn code(self) -> &'static str {
        match self {
            WayForward::Load => "load",
            WayForward::RecordNotHeld => "record_not_held",
            WayForward::SeekClarification => "seek_clarification",
            WayForward::CostEstimate => "cost_estimate",
        }
    }

    /// In words, for the officer.
    pub fn describe(self) -> &'static str {
        match self {
            WayForward::Load => {
                "load the figure or statement if the council holds it, then draft again"
            }
            WayForward::RecordNotHeld => {
                "record that the council does not hold it, with the reason (and who holds it, for advice under section 16)"
            }
            WayForward::SeekClarification => {
                "ask the requester to clarify, if the question can be read another way: the case goes on hold for clarification and the finding stays open until the reply"
            }
            WayForward::CostEstimate => {
                "estimate the hours finding it would take; over the cost limit of 18 hours, section 12 refuses it, with advice on narrowing the request"
            }
        }
    }
}

/// Something the planner could not decide because nothing is recorded: no
/// figure (or statement), and no not-held recorded for it. It blocks
/// approval and sending until it is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Its number in the answer, from 1.
    pub number: usize,
    /// The question (or part) it is in ("2", "3b").
    pub question: String,
    /// The indicator or statement topic asked about.
    pub subject: String,
    /// Whether the subject is a statement topic (else an indicator).
    pub statement: bool,
    /// The area.
    pub area: String,
    /// The period (none for a statement).
    pub period: Option<Period>,
    /// The cell's filter and breakdown values (empty for a total).
    pub breakdown: Breakdown,
    /// The breakdown in words, if the question splits by one.
    pub label: Option<String>,
    /// Where the cell could be counted from providers' records but they are
    /// incomplete for the period: each registered provider whose current
    /// submission does not reach it, with the months missing
    /// ("A1 (2018-01 to 2018-03)").
    pub records_missing: Vec<String>,
    /// Where the cell is counted over an optional field of the records
    /// (employment status, …) that a provider whose records reach the
    /// period did not submit: each such provider with its submission's
    /// month and the column ("A1 (2018-03: no EMPSTAT column)"). The count
    /// would be partial, so it is not made.
    pub fields_missing: Vec<String>,
    /// The release that had published the figure by the day of the
    /// decision, when one had: the draft then refers the requester to it
    /// under s21 instead of leaving the row undecided.
    pub publication: Option<Publication>,
}

/// A release that published a figure Lantern has not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The release's code in the calendar.
    pub code: String,
    /// Its title.
    pub title: String,
    /// Who published it.
    pub publisher: String,
    /// When.
    pub date: Date,
    /// Where.
    pub url: Option<String>,
}

impl Finding {
    /// What is missing, in words: "no figure of people_in_treatment for
    /// E06000016, 2017/18, crack=crack;age_band=25-39, and nothing recorded
    /// about whether the council holds it".
    pub fn what(&self) -> String {
        let mut parts = vec![self.area.clone()];
        if let Some(p) = &self.period {
            parts.push(p.to_string());
        }
        if !self.breakdown.0.is_empty() {
            parts.push(self.breakdown.key());
        }
        let mut missing = format!(
            "question {}: no {} of {} for {}, and nothing recorded about whether the council holds it",
            self.question,
            if self.statement {
                "statement"
            } else {
                "figure"
            },
            self.subject,
            parts.join(", ")
        );
        if !self.records_missing.is_empty() {
            missing.push_str(&format!(
                "; it could be counted from the providers' records, but they are incomplete for this period: no current submission covers {}",
                self.records_missing.join(", ")
            ));
        }
        if !self.fields_missing.is_empty() {
            missing.push_str(&format!(
                "; it could be counted from the providers' records, but not every provider sent the field it is counted over, so a count would leave their people out: {} (ask them to send the column and import the month again)",
                self.fields_missing.join(", ")
            ));
        }
        match &self.publication {
            None => missing,
            Some(p) => format!(
                "{missing}; {} published it on {} in {}{}, so the draft refers the requester there under section 21 meanwhile: load the published figure",
                p.publisher,
                p.date,
                p.title,
                p.url
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The ways forward.
    pub fn ways_forward(&self) -> &'static [WayForward] {
        &WayForward::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declaration(period: Option<&str>, breakdown: &str, by: DeclaredBy) -> Declaration {
        Declaration {
            id: None,
            subject: "people_in_treatment".into(),
            area: None,
            period: period.map(|p| Period::parse(p).unwrap()),
            breakdown: Breakdown::from_key(breakdown),
            reason: "r".into(),
            other_holder: None,
            by,
        }
    }

    #[test]
    fn a_declaration_covers_only_its_subject_period_and_breakdown() {
        let d = declaration(Some("2012/13 to 2014/15"), "", DeclaredBy::Council);
        let fy = |p: &str| Period::parse(p).unwrap();
        let any = Breakdown::total();
        assert!(d.covers("people_in_treatment", "E1", Some(&fy("2013/14")), &any));
        assert!(!d.covers("people_in_treatment", "E1", Some(&fy("2015/16")), &any));
        assert!(!d.covers("budget", "E1", Some(&fy("2013/14")), &any));
        let banded = declaration(Some("2013/14"), "age_band=18-24", DeclaredBy::Council);
        assert!(banded.covers(
            "people_in_treatment",
            "E1",
            Some(&fy("2013/14")),
            &Breakdown::from_key("age_band=18-24")
        ));
        assert!(!banded.covers("people_in_treatment", "E1", Some(&fy("2013/14")), &any));
    }

    #[test]
    fn the_officers_declaration_on_a_case_comes_before_the_councils() {
        let all = [
            declaration(None, "", DeclaredBy::Council),
            declaration(None, "", DeclaredBy::Case("FOI-1".into())),
        ];
        let found = Declaration::first_covering(
            &all,
            "people_in_treatment",
            "E1",
            None,
            &Breakdown::total(),
        )
        .unwrap();
        assert_eq!(found.by, DeclaredBy::Case("FOI-1".into()));
    }
}
