//! Casework reports as councils publish them: timeliness (answered within 20
//! working days, within a public interest extension, late) and outcomes
//! (granted, part refused, refused, not held), the exemptions used and the
//! internal reviews, grouped by the month or financial-year quarter in which
//! requests were received.
//!
//! Everything is worked out from plain facts about each case
//! ([`CaseFacts`]) and the day the report is made (`today`), which the
//! caller hands in: the same facts and day always give the same report.
//!
//! Rules:
//! - A request is *answered in time* when it was sent on or before its s17
//!   date (day 20, later by any fee pauses, from the latest clarification);
//!   *within the extension* when later than that but on or before the
//!   extended date; otherwise *late*.
//! - An unanswered request is *overdue* once `today` is after its due date;
//!   a request whose clock is stopped (clarification, fee) is *on hold*.
//! - The timeliness rate counts the requests that are answered or overdue;
//!   withdrawn requests and those not yet due are left out of it.
//! - Outcome: *not held* when nothing was given and nothing withheld; *refused*
//!   when nothing was given and something was withheld under an exemption
//!   (s12 refuses the whole request); *part refused* when something was
//!   given and something withheld (small numbers withheld under s40(2)
//!   count); otherwise *granted* (parts not held do not make a refusal).

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::casework::{ReviewOutcome, Status};
use crate::deadline::Deadline;
use crate::period::FinancialYear;

/// What the report needs to know about one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// The reference.
    pub reference: String,
    /// When the request was received.
    pub received: Date,
    /// Where it stands now.
    pub status: Status,
    /// Its deadline after everything in its history.
    pub deadline: Deadline,
    /// The day the answer was sent, if it was.
    pub sent_on: Option<Date>,
    /// What the sent answer decided (empty until sent).
    pub decisions: Decisions,
    /// The internal review, if one was asked for: when, and once decided,
    /// the outcome and the day.
    pub review: Option<(Date, Option<(ReviewOutcome, Date)>)>,
}

/// What a sent answer decided, counted over its figures and statements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions {
    /// Figures and statements given.
    pub given: usize,
    /// Figures or statements not held (s1(1)).
    pub not_held: usize,
    /// Exemptions cited (`s12`, `s21`, `s22`, `s40_2`), each with how many
    /// figures or questions it withheld (s12 counts once for the request).
    pub exemptions: BTreeMap<String, usize>,
}

/// How a case stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timeliness {
    /// Answered on or before the s17 date.
    InTime,
    /// Answered after the s17 date but within a public interest extension.
    WithinExtension,
    /// Answered after its due date.
    Late,
    /// Not answered; the clock is stopped (clarification or fee).
    OnHold,
    /// Not answered and not yet due.
    NotYetDue,
    /// Not answered and past its due date.
    Overdue,
    /// Withdrawn by the requester.
    Withdrawn,
}

impl Timeliness {
    /// Every kind, in report column order.
    pub const ALL: [Timeliness; 7] = [
        Timeliness::InTime,
        Timeliness::WithinExtension,
        Timeliness::Late,
        Timeliness::OnHold,
        Timeliness::NotYetDue,
        Timeliness::Overdue,
        Timeliness::Withdrawn,
    ];

    /// Code used in CSV and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Timeliness::InTime => "in_time",
            Timeliness::WithinExtension => "within_extension",
            Timeliness::Late => "late",
            Timeliness::OnHold => "on_hold",
            Timeliness::NotYetDue => "not_yet_due",
            Timeliness::Overdue => "overdue",
            Timeliness::Withdrawn => "withdrawn",
        }
    }

    /// Column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Timeliness::InTime => "in 20 days",
            Timeliness::WithinExtension => "extended",
            Timeliness::Late => "late",
            Timeliness::OnHold => "on hold",
            Timeliness::NotYetDue => "not yet due",
            Timeliness::Overdue => "overdue",
            Timeliness::Withdrawn => "withdrawn",
        }
    }
}

/// A sent answer's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Everything held was given.
    Granted,
    /// Some given, some withheld under an exemption.
    PartRefused,
    /// Nothing given; something withheld under an exemption.
    Refused,
    /// Nothing held.
    NotHeld,
}

impl Outcome {
    /// Every outcome, in report column order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Granted,
        Outcome::PartRefused,
        Outcome::Refused,
        Outcome::NotHeld,
    ];

    /// Code used in CSV and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Granted => "granted",
            Outcome::PartRefused => "part_refused",
            Outcome::Refused => "refused",
            Outcome::NotHeld => "not_held",
        }
    }

    /// Column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Outcome::Granted => "granted",
            Outcome::PartRefused => "part refused",
            Outcome::Refused => "refused",
            Outcome::NotHeld => "not held",
        }
    }
}

/// Where a case stands against its deadline on `today`.
pub fn timeliness(case: &CaseFacts, today: Date) -> Timeliness {
    if case.status == Status::Withdrawn {
        return Timeliness::Withdrawn;
    }
    let d = &case.deadline;
    match case.sent_on {
        Some(sent) if sent <= d.s17_due => Timeliness::InTime,
        Some(sent) if d.extension.is_some() && sent <= d.due => Timeliness::WithinExtension,
        Some(_) => Timeliness::Late,
        None if d.on_hold() => Timeliness::OnHold,
        None if today > d.due => Timeliness::Overdue,
        None => Timeliness::NotYetDue,
    }
}

/// A sent answer's outcome; `None` before it is sent.
pub fn outcome(case: &CaseFacts) -> Option<Outcome> {
    case.sent_on?;
    let d = &case.decisions;
    let withheld = !d.exemptions.is_empty();
    Some(match (d.given > 0, withheld) {
        (true, true) => Outcome::PartRefused,
        (true, false) => Outcome::Granted,
        (false, true) => Outcome::Refused,
        (false, false) => Outcome::NotHeld,
    })
}

/// How requests are grouped by the day they were received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Calendar months: `2019-06`.
    Month,
    /// Financial-year quarters: `Q1 2019/20` (April to June is Q1).
    Quarter,
}

impl Grouping {
    /// The group a day falls in, as a label that sorts in date order when
    /// paired with [`Grouping::key`].
    pub fn label(self, day: Date) -> String {
        match self {
            Grouping::Month => format!("{:04}-{:02}", day.year(), day.month()),
            Grouping::Quarter => {
                let fy = FinancialYear::containing(day);
                format!("Q{} {fy}", quarter_of(day))
            }
        }
    }

    /// A sort key for the group of `day`.
    pub fn key(self, day: Date) -> (i16, i8) {
        match self {
            Grouping::Month => (day.year(), day.month()),
            Grouping::Quarter => (FinancialYear::containing(day).start_year(), quarter_of(day)),
        }
    }
}

/// The financial-year quarter (1 to 4) of a day.
fn quarter_of(day: Date) -> i8 {
    (day.month() + 8) % 12 / 3 + 1
}

/// One group's timeliness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinessRow {
    /// The group: `2019-06` or `Q1 2019/20`.
    pub group: String,
    /// Requests received.
    pub received: usize,
    /// How many of them stand where, by [`Timeliness`] in `ALL` order.
    pub counts: [usize; 7],
}

impl TimelinessRow {
    /// How many stand in `kind`.
    pub fn count(&self, kind: Timeliness) -> usize {
        Timeliness::ALL
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| self.counts[i])
    }

    /// Answered in time or within an extension, out of those answered or
    /// overdue; `None` when none is.
    pub fn timely_share(&self) -> Option<(usize, usize)> {
        let timely = self.count(Timeliness::InTime) + self.count(Timeliness::WithinExtension);
        let due = timely + self.count(Timeliness::Late) + self.count(Timeliness::Overdue);
        (due > 0).then_some((timely, due))
    }
}

/// Timeliness of the cases received in `[from, to]`, one row per group in
/// date order and a last row `total`.
pub fn timeliness_report(
    cases: &[CaseFacts],
    today: Date,
    grouping: Grouping,
    from: Option<Date>,
    to: Option<Date>,
) -> Vec<TimelinessRow> {
    let mut groups: BTreeMap<(i16, i8), TimelinessRow> = BTreeMap::new();
    let mut total = TimelinessRow {
        group: "total".into(),
        received: 0,
        counts: [0; 7],
    };
    for case in in_range(cases, from, to) {
        let row = groups
            .entry(grouping.key(case.received))
            .or_insert_with(|| TimelinessRow {
                group: grouping.label(case.received),
                received: 0,
                counts: [0; 7],
            });
        let kind = timeliness(case, today);
        let i = Timeliness::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_default();
        for r in [&mut *row, &mut total] {
            r.received += 1;
            r.counts[i] += 1;
        }
    }
    groups.into_values().chain([total]).collect()
}

fn in_range(
    cases: &[CaseFacts],
    from: Option<Date>,
    to: Option<Date>,
) -> impl Iterator<Item = &CaseFacts> {
    cases
        .iter()
        .filter(move |c| from.is_none_or(|f| c.received >= f) && to.is_none_or(|t| c.received <= t))
}

/// One group's outcomes, exemptions and reviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRow {
    /// The group: `2019-06` or `Q1 2019/20`.
    pub group: String,
    /// Answers sent.
    pub answered: usize,
    /// How many had each outcome, by [`Outcome`] in `ALL` order.
    pub outcomes: [usize; 4],
    /// How many answers cited each exemption.
    pub exemptions: BTreeMap<String, usize>,
    /// Internal reviews asked for (of these answers).
    pub reviews: usize,
    /// Reviews decided, by outcome: upheld, partly upheld, overturned.
    pub review_outcomes: [usize; 3],
}

impl OutcomeRow {
    /// How many had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        Outcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |i| self.outcomes[i])
    }

    /// Reviews still to be decided.
    pub fn reviews_pending(&self) -> usize {
        self.reviews - self.review_outcomes.iter().sum::<usize>()
    }
}

/// Outcomes of the answers to cases received in `[from, to]`, one row per
/// group in date order and a last row `total`.
pub fn outcome_report(
    cases: &[CaseFacts],
    grouping: Grouping,
    from: Option<Date>,
    to: Option<Date>,
) -> Vec<OutcomeRow> {
    let empty = |group: String| OutcomeRow {
        group,
        answered: 0,
        outcomes: [0; 4],
        exemptions: BTreeMap::new(),
        reviews: 0,
        review_outcomes: [0; 3],
    };
    let mut groups: BTreeMap<(i16, i8), OutcomeRow> = BTreeMap::new();
    let mut total = empty("total".into());
    for case in in_range(cases, from, to) {
        let Some(result) = outcome(case) else {
            continue;
        };
        let row = groups
            .entry(grouping.key(case.received))
            .or_insert_with(|| empty(grouping.label(case.received)));
        let i = Outcome::ALL
            .iter()
            .position(|o| *o == result)
            .unwrap_or_default();
        for r in [&mut *row, &mut total] {
            r.answered += 1;
            r.outcomes[i] += 1;
            for basis in case.decisions.exemptions.keys() {
                *r.exemptions.entry(basis.clone()).or_default() += 1;
            }
            if let Some((_, decided)) = case.review {
                r.reviews += 1;
                if let Some((o, _)) = decided {
                    r.review_outcomes[match o {
                        ReviewOutcome::Upheld => 0,
                        ReviewOutcome::PartlyUpheld => 1,
                        ReviewOutcome::Overturned => 2,
                    }] += 1;
                }
            }
        }
    }
    groups.into_values().chain([total]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::{Calendar, ClockEvent, deadline};

    fn facts(received: Date, events: &[ClockEvent], sent_on: Option<Date>) -> CaseFacts {
        CaseFacts {
            reference: format!("FOI-{received}"),
            received,
            status: if sent_on.is_some() {
                Status::Sent
            } else {
                Status::InProgress
            },
            deadline: deadline(&Calendar::shipped(), received, events).expect("deadline"),
            sent_on,
            decisions: Decisions::default(),
            review: None,
        }
    }

    #[test]
    fn answers_are_in_time_extended_or_late_against_the_working_day_count() {
        // Received Monday 3 June 2019: day 20 is Monday 1 July 2019.
        let received = Date::constant(2019, 6, 3);
        let day20 = Date::constant(2019, 7, 1);
        let today = Date::constant(2019, 9, 1);
        assert_eq!(
            timeliness(&facts(received, &[], Some(day20)), today),
            Timeliness::InTime
        );
        assert_eq!(
            timeliness(
                &facts(received, &[], Some(day20.tomorrow().unwrap())),
                today
            ),
            Timeliness::Late
        );
        let extended = [ClockEvent::Extended {
            to: Date::constant(2019, 7, 29),
        }];
        assert_eq!(
            timeliness(
                &facts(received, &extended, Some(Date::constant(2019, 7, 15))),
                today
            ),
            Timeliness::WithinExtension
        );
        assert_eq!(
            timeliness(
                &facts(received, &extended, Some(Date::constant(2019, 7, 30))),
                today
            ),
            Timeliness::Late
        );
        // Unanswered: not yet due on day 20 itself, overdue the day after.
        assert_eq!(
            timeliness(&facts(received, &[], None), day20),
            Timeliness::NotYetDue
        );
        assert_eq!(
            timeliness(&facts(received, &[], None), day20.tomorrow().unwrap()),
            Timeliness::Overdue
        );
        let held = [ClockEvent::ClarificationSought(Date::constant(2019, 6, 5))];
        assert_eq!(
            timeliness(&facts(received, &held, None), today),
            Timeliness::OnHold
        );
    }

    #[test]
    fn outcomes_follow_what_was_given_and_withheld() {
        let mut case = facts(
            Date::constant(2019, 6, 3),
            &[],
            Some(Date::constant(2019, 6, 20)),
        );
        let with = |given, not_held, exemptions: &[&str]| Decisions {
            given,
            not_held,
            exemptions: exemptions.iter().map(|e| (e.to_string(), 1)).collect(),
        };
        for (decisions, expected) in [
            (with(3, 0, &[]), Outcome::Granted),
            (with(3, 2, &[]), Outcome::Granted),
            (with(3, 0, &["s40_2"]), Outcome::PartRefused),
            (with(0, 1, &["s22"]), Outcome::Refused),
            (with(0, 0, &["s12"]), Outcome::Refused),
            (with(0, 4, &[]), Outcome::NotHeld),
        ] {
            case.decisions = decisions;
            assert_eq!(outcome(&case), Some(expected), "{:?}", case.decisions);
        }
        case.sent_on = None;
        assert_eq!(outcome(&case), None, "no outcome before sending");
    }

    #[test]
    fn reports_group_by_month_or_financial_quarter_and_total() {
        let today = Date::constant(2019, 12, 31);
        let cases = [
            facts(
                Date::constant(2019, 3, 29),
                &[],
                Some(Date::constant(2019, 4, 10)),
            ),
            facts(
                Date::constant(2019, 4, 1),
                &[],
                Some(Date::constant(2019, 6, 30)),
            ),
            facts(Date::constant(2019, 4, 15), &[], None),
        ];
        let rows = timeliness_report(&cases, today, Grouping::Quarter, None, None);
        let groups: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(groups, ["Q4 2018/19", "Q1 2019/20", "total"]);
        let total = &rows[2];
        assert_eq!(total.received, 3);
        assert_eq!(total.count(Timeliness::InTime), 1);
        assert_eq!(total.count(Timeliness::Late), 1);
        assert_eq!(total.count(Timeliness::Overdue), 1);
        assert_eq!(total.timely_share(), Some((1, 3)));

        let months = timeliness_report(
            &cases,
            today,
            Grouping::Month,
            Some(Date::constant(2019, 4, 1)),
            None,
        );
        let groups: Vec<&str> = months.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(groups, ["2019-04", "total"]);
        assert_eq!(months[1].received, 2);

        let outcomes = outcome_report(&cases, Grouping::Quarter, None, None);
        assert_eq!(outcomes.last().map(|r| r.answered), Some(2));
        assert_eq!(outcomes.last().map(|r| r.count(Outcome::NotHeld)), Some(2));
    }

    proptest::proptest! {
        #[test]
        fn every_request_is_counted_once_in_its_group_and_the_total(
            cases in proptest::collection::vec(
                (0i64..700, proptest::option::of(0i64..80), 0u8..10),
                0..40,
            ),
            today_offset in 0i64..900,
            quarters in proptest::bool::ANY,
        ) {
            let start = Date::constant(2019, 1, 1);
            let facts: Vec<CaseFacts> = cases
                .iter()
                .map(|&(received, sent_after, kind)| {
                    let received = start + jiff::Span::new().days(received);
                    let sent = sent_after.map(|d| received + jiff::Span::new().days(d));
                    let mut f = facts(received, &[], sent);
                    if kind == 0 && sent.is_none() {
                        f.status = Status::Withdrawn;
                    }
                    if kind == 1 {
                        f.decisions.given = 1;
                    }
                    f
                })
                .collect();
            let today = start + jiff::Span::new().days(today_offset);
            let grouping = if quarters { Grouping::Quarter } else { Grouping::Month };
            let rows = timeliness_report(&facts, today, grouping, None, None);
            let (total, groups) = rows.split_last().expect("a total row");
            proptest::prop_assert_eq!(total.received, facts.len());
            proptest::prop_assert_eq!(
                groups.iter().map(|r| r.received).sum::<usize>(),
                facts.len()
            );
            for r in &rows {
                proptest::prop_assert_eq!(r.counts.iter().sum::<usize>(), r.received);
                if let Some((timely, due)) = r.timely_share() {
                    proptest::prop_assert!(timely <= due && due <= r.received);
                }
            }
            let outcomes = outcome_report(&facts, grouping, None, None);
            let answered = facts.iter().filter(|f| f.sent_on.is_some()).count();
            let last = outcomes.last().expect("a total row");
            proptest::prop_assert_eq!(last.answered, answered);
            proptest::prop_assert_eq!(last.outcomes.iter().sum::<usize>(), answered);
        }
    }

    #[test]
    fn financial_quarters_start_in_april() {
        let q = |m| quarter_of(Date::constant(2020, m, 1));
        assert_eq!(
            (1..=12).map(q).collect::<Vec<_>>(),
            [4, 4, 4, 1, 1, 1, 2, 2, 2, 3, 3, 3]
        );
    }
}
