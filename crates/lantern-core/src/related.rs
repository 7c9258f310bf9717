//! Requests related to one another: which earlier or later requests ask
//! about the same things, which come from the same requester (for the s12
//! cost limit, whose costs may be aggregated over requests made within 60
//! working days, and s14(2), a repeated request), and which earlier sent
//! answers already cover what a new request asks.
//!
//! Rules:
//! - Two requests are *related* when they ask about at least one common
//!   indicator or statement topic and were received within
//!   [`AGGREGATION_WORKING_DAYS`] working days of each other.
//! - They are from the *same requester* when the requesters' contact
//!   addresses match (ignoring case), or failing those, their names do
//!   (ignoring case and spacing). Lantern cannot see people acting in
//!   concert; the officer can.
//! - A related request from the same requester is a possible *aggregation*
//!   (s12(4)); it is a possible *repeat* (s14(2)) when it is earlier, its
//!   answer was sent, and it asked for everything the new one asks for (the
//!   same subjects and, for figures, the same indicator, area and financial
//!   years).
//! - The officer's hour estimates of requests from the same requester within
//!   60 working days are added up; over the cost limit, s12 may refuse them
//!   together even when each alone is within it ([`aggregated_hours`]).
//! - An earlier answer *covers* a request's figure cells (indicator, area,
//!   financial year) only where it *gave* the figures: every line it logged
//!   for the cell is `given`. A cell it withheld (s22, s21, s40(2)), said
//!   was not held, or gave only in part is not covered, since giving "the
//!   same answer again" or pointing to the log (s21) would not give the
//!   requester the figure. The officer is offered the answers that cover
//!   all or part of the request.
//!
//! Lantern offers these links; the officer decides whether s12 or s14
//! applies.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use crate::casework::LogEntry;
use crate::deadline::{Calendar, CalendarError};
use crate::request::{Ask, Question, Request};

/// Requests within this many working days of each other can be aggregated
/// for the cost limit (Fees Regulations 2004, reg. 5).
pub const AGGREGATION_WORKING_DAYS: u32 = 60;

/// What a request asks about: an indicator or a topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// Figures of an indicator.
    Indicator(String),
    /// A statement topic.
    Topic(String),
}

impl Subject {
    /// The indicator or topic code.
    pub fn code(&self) -> &str {
        match self {
            Subject::Indicator(c) | Subject::Topic(c) => c,
        }
    }
}

/// One figure a request asks for, at the grain the disclosure log keeps:
/// indicator, area and period (a financial year, or the part of one asked for).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// Canonical period.
    pub period: String,
}

/// A request as compared with others.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    /// The reference.
    pub reference: String,
    /// When it was received.
    pub received: Date,
    /// The requester's name, if still held.
    pub requester_name: Option<String>,
    /// The requester's contact, if still held.
    pub requester_contact: Option<String>,
    /// Whether its answer has been sent.
    pub answered: bool,
    /// What it asks about.
    pub subjects: BTreeSet<Subject>,
    /// The figures it asks for.
    pub cells: BTreeSet<Cell>,
    /// The officer's estimate of hours to answer it (s12).
    pub estimate_hours: f64,
}

impl Asked {
    /// The officer's estimated hours for the whole request.
    pub fn hours_of(request: &Request) -> f64 {
        request
            .questions
            .iter()
            .map(crate::answer::total_hours)
            .sum()
    }

    /// What `request` asks about; figures without an area are for `home_area`.
    pub fn of(request: &Request, home_area: &str) -> (BTreeSet<Subject>, BTreeSet<Cell>) {
        fn walk(
            q: &Question,
            area: &str,
            subjects: &mut BTreeSet<Subject>,
            cells: &mut BTreeSet<Cell>,
        ) {
            match &q.ask {
                Some(Ask::Statement { topic }) => {
                    subjects.insert(Subject::Topic(topic.clone()));
                }
                Some(Ask::Figures(f)) => {
                    subjects.insert(Subject::Indicator(f.indicator.clone()));
                    for p in &f.periods {
                        for year in p.financial_years() {
                            cells.insert(Cell {
                                indicator: f.indicator.clone(),
                                area: area.to_string(),
                                period: year.as_period().to_string(),
                            });
                        }
                    }
                }
                None => {}
            }
            for part in &q.parts {
                walk(part, area, subjects, cells);
            }
        }
        let area = request.area.as_deref().unwrap_or(home_area);
        let mut subjects = BTreeSet::new();
        let mut cells = BTreeSet::new();
        for q in &request.questions {
            walk(q, area, &mut subjects, &mut cells);
        }
        (subjects, cells)
    }

    /// Whether `other` comes from the same requester (see the module's
    /// rules): the only case in which [`related`] compares what they ask
    /// cell by cell (a possible repeat).
    pub fn same_requester(&self, other: &Asked) -> bool {
        fn contact(a: &Asked) -> Option<String> {
            a.requester_contact
                .as_deref()
                .map(|c| c.trim().to_lowercase())
                .filter(|c| !c.is_empty())
        }
        fn name(a: &Asked) -> Option<String> {
            a.requester_name
                .as_deref()
                .map(|n| {
                    n.split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                })
                .filter(|n| !n.is_empty())
        }
        match (contact(self), contact(other)) {
            (Some(a), Some(b)) => a == b,
            _ => matches!((name(self), name(other)), (Some(a), Some(b)) if a == b),
        }
    }
}

/// How another request relates to this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The other request's reference.
    pub reference: String,
    /// When it was received.
    pub received: Date,
    /// Working days between the two dates of receipt.
    pub working_days_apart: u32,
    /// The subjects both ask about.
    pub shared: Vec<Subject>,
    /// From the same requester: its costs may be aggregated (s12(4)).
    pub same_requester: bool,
    /// An earlier answered request from the same requester that asked for
    /// everything this one does: a possible repeat (s14(2)).
    pub repeat: bool,
}

/// The requests related to `this` among `others` (which may include it;
/// it is skipped), nearest first.
pub fn related(
    this: &Asked,
    others: &[Asked],
    calendar: &Calendar,
) -> Result<Vec<Link>, CalendarError> {
    let mut links = Vec::new();
    for other in others {
        if other.reference == this.reference {
            continue;
        }
        let shared: Vec<Subject> = this
            .subjects
            .intersection(&other.subjects)
            .cloned()
            .collect();
        if shared.is_empty() {
            continue;
        }
        let (first, last) = if other.received <= this.received {
            (other.received, this.received)
        } else {
            (this.received, other.received)
        };
        let apart = calendar.working_days_between(first, last)?;
        if apart > AGGREGATION_WORKING_DAYS {
            continue;
        }
        let same_requester = this.same_requester(other);
        let repeat = same_requester
            && other.answered
            && other.received <= this.received
            && this.subjects.is_subset(&other.subjects)
            && this.cells.is_subset(&other.cells);
        links.push(Link {
            reference: other.reference.clone(),
            received: other.received,
            working_days_apart: apart,
            shared,
            same_requester,
            repeat,
        });
    }
    links.sort_by(|a, b| {
        (a.working_days_apart, &a.reference).cmp(&(b.working_days_apart, &b.reference))
    });
    Ok(links)
}

/// The cost of a request added up with the related requests from the same
/// requester, when together they go over the cost limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// The hours estimated for all of them.
    pub hours: f64,
    /// The other requests counted in.
    pub with: Vec<String>,
}

/// Whether `this` and its related requests from the same requester (`links`
/// from [`related`] over `others`) together go over the cost limit while
/// `this` alone does not (alone, s12 applies to it directly).
pub fn aggregated_hours(this: &Asked, others: &[Asked], links: &[Link]) -> Option<Aggregation> {
    let limit = f64::from(crate::foi::COUNCIL_COST_LIMIT_HOURS);
    if this.estimate_hours > limit {
        return None;
    }
    let mut hours = this.estimate_hours;
    let mut with = Vec::new();
    for link in links.iter().filter(|l| l.same_requester) {
        if let Some(other) = others.iter().find(|o| o.reference == link.reference)
            && other.estimate_hours > 0.0
        {
            hours += other.estimate_hours;
            with.push(other.reference.clone());
        }
    }
    (hours > limit).then_some(Aggregation { hours, with })
}

/// An earlier sent answer that covers some of what a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covering {
    /// The earlier request's reference.
    pub reference: String,
    /// When its answer was sent (RFC 3339).
    pub sent_at: String,
    /// The request's cells it logged a decision for.
    pub covered: BTreeSet<Cell>,
}

/// What one earlier answer logged about one cell, summed over its lines
/// (one per breakdown value): whether any line gave the figure, and whether
/// any did not. What [`covered_by_logged`] needs, and what a store can sum
/// up without handing over every line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedCell {
    /// The earlier request's reference.
    pub reference: String,
    /// The cell.
    pub cell: Cell,
    /// The first line (in log order: its position, or its id) that gave the
    /// figure, with its answer's sending time; `None` when no line did.
    pub first_given: Option<(i64, String)>,
    /// Whether any line logged for the cell was not `given`.
    pub not_given: bool,
}

/// The disclosure `log` summed up per answer and cell ([`LoggedCell`]),
/// entries without an indicator, area and period left out; a line's place
/// in the log is its position.
pub fn logged_cells(log: &[LogEntry]) -> Vec<LoggedCell> {
    let mut cells: BTreeMap<(&str, Cell), LoggedCell> = BTreeMap::new();
    for (at, e) in log.iter().enumerate() {
        let (Some(indicator), Some(area), Some(period)) = (&e.indicator, &e.area, &e.period) else {
            continue;
        };
        let cell = Cell {
            indicator: indicator.clone(),
            area: area.clone(),
            period: period.clone(),
        };
        let logged = cells
            .entry((e.reference.as_str(), cell.clone()))
            .or_insert_with(|| LoggedCell {
                reference: e.reference.clone(),
                cell,
                first_given: None,
                not_given: false,
            });
        if e.decision == "given" {
            if logged.first_given.is_none() {
                let at = i64::try_from(at).unwrap_or(i64::MAX);
                logged.first_given = Some((at, e.sent_at.clone()));
            }
        } else {
            logged.not_given = true;
        }
    }
    cells.into_values().collect()
}

/// The earlier answers in the disclosure `log` that cover any of `cells`
/// (gave every figure they logged for the cell), most covering first (then
/// most recent). A request's own entries are skipped.
pub fn covered_by(reference: &str, cells: &BTreeSet<Cell>, log: &[LogEntry]) -> Vec<Covering> {
    covered_by_logged(reference, cells, &logged_cells(log))
}

/// [`covered_by`] from the log summed up per answer and cell: an answer
/// covers a cell when it gave it and logged nothing else for it; its sending
/// time is that of its first line (in log order) that gave a covered cell.
pub fn covered_by_logged(
    reference: &str,
    cells: &BTreeSet<Cell>,
    logged: &[LoggedCell],
) -> Vec<Covering> {
    // Per answer: the first covering line's place and sending time, and the
    // cells it covers.
    let mut by_answer: BTreeMap<&str, (i64, &str, BTreeSet<Cell>)> = BTreeMap::new();
    for l in logged {
        if l.reference == reference || l.not_given || !cells.contains(&l.cell) {
            continue;
        }
        let Some((at, sent_at)) = &l.first_given else {
            continue;
        };
        let answer = by_answer
            .entry(&l.reference)
            .or_insert_with(|| (*at, sent_at.as_str(), BTreeSet::new()));
        if *at < answer.0 {
            answer.0 = *at;
            answer.1 = sent_at.as_str();
        }
        answer.2.insert(l.cell.clone());
    }
    let mut out: Vec<Covering> = by_answer
        .into_iter()
        .map(|(reference, (_, sent_at, covered))| Covering {
            reference: reference.to_string(),
            sent_at: sent_at.to_string(),
            covered,
        })
        .collect();
    out.sort_by(|a, b| {
        b.covered
            .len()
            .cmp(&a.covered.len())
            .then_with(|| b.sent_at.cmp(&a.sent_at))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(indicator: &str, period: &str) -> Cell {
        Cell {
            indicator: indicator.into(),
            area: "E06000016".into(),
            period: period.into(),
        }
    }

    fn asked(reference: &str, received: Date, who: &str, cells: &[Cell]) -> Asked {
        Asked {
            reference: reference.into(),
            received,
            requester_name: Some(who.into()),
            requester_contact: Some(format!("{}@example.org", who.to_lowercase())),
            answered: true,
            subjects: cells
                .iter()
                .map(|c| Subject::Indicator(c.indicator.clone()))
                .collect(),
            cells: cells.iter().cloned().collect(),
            estimate_hours: 0.0,
        }
    }

    #[test]
    fn hours_of_the_same_requester_within_sixty_days_add_up_for_the_cost_limit() {
        let calendar = Calendar::shipped();
        let crack = [cell("people_in_treatment", "2017/18")];
        let mut this = asked("FOI-2", Date::constant(2019, 6, 3), "Ann", &crack);
        this.estimate_hours = 10.0;
        let mut earlier = asked("FOI-1", Date::constant(2019, 5, 1), "Ann", &crack);
        earlier.estimate_hours = 9.5;
        let mut stranger = asked("FOI-3", Date::constant(2019, 5, 2), "Bob", &crack);
        stranger.estimate_hours = 30.0;
        let others = [earlier.clone(), stranger];
        let links = related(&this, &others, &calendar).unwrap();
        let agg = aggregated_hours(&this, &others, &links).expect("over the limit together");
        assert_eq!(agg.with, ["FOI-1"]);
        assert!((agg.hours - 19.5).abs() < 1e-9);
        // Within the limit together: nothing to say.
        let mut small = earlier;
        small.estimate_hours = 8.0;
        let links = related(&this, std::slice::from_ref(&small), &calendar).unwrap();
        assert_eq!(aggregated_hours(&this, &[small], &links), None);
    }

    #[test]
    fn another_requesters_cells_do_not_change_the_links() {
        let calendar = Calendar::shipped();
        let crack = [cell("people_in_treatment", "2017/18")];
        let this = asked("FOI-3", Date::constant(2019, 6, 3), "Ann", &crack);
        let others = [
            asked("FOI-1", Date::constant(2019, 4, 1), "Ann", &crack),
            asked("FOI-2", Date::constant(2019, 5, 1), "Bob", &crack),
            asked(
                "FOI-5",
                Date::constant(2019, 5, 2),
                "Ann",
                &[cell("people_in_treatment", "2016/17")],
            ),
        ];
        let links = related(&this, &others, &calendar).unwrap();
        assert!(links.iter().any(|l| l.repeat), "{links:?}");
        // Without the cells of those from another requester: the same.
        let fewer: Vec<Asked> = others
            .iter()
            .cloned()
            .map(|mut o| {
                if !this.same_requester(&o) {
                    o.cells.clear();
                }
                o
            })
            .collect();
        assert_eq!(related(&this, &fewer, &calendar).unwrap(), links);
        // Without those of the same requester: not (FOI-1 is a repeat).
        let none: Vec<Asked> = others
            .iter()
            .cloned()
            .map(|mut o| {
                o.cells.clear();
                o
            })
            .collect();
        assert_ne!(related(&this, &none, &calendar).unwrap(), links);
    }

    #[test]
    fn requests_within_sixty_working_days_on_the_same_subject_are_linked() {
        let calendar = Calendar::shipped();
        let crack = [cell("people_in_treatment", "2017/18")];
        let this = asked("FOI-3", Date::constant(2019, 6, 3), "Ann", &crack);
        let others = [
            // Same requester, same figures, answered earlier: a repeat.
            asked("FOI-1", Date::constant(2019, 4, 1), "Ann", &crack),
            // Another requester on the same subject.
            asked(
                "FOI-2",
                Date::constant(2019, 5, 1),
                "Bob",
                &[cell("people_in_treatment", "2016/17")],
            ),
            // Same requester, another subject: not related.
            asked(
                "FOI-4",
                Date::constant(2019, 6, 4),
                "Ann",
                &[cell("naloxone_kits", "2017/18")],
            ),
            // Same subject, too long ago.
            asked("FOI-0", Date::constant(2019, 1, 2), "Ann", &crack),
        ];
        let links = related(&this, &others, &calendar).unwrap();
        let refs: Vec<&str> = links.iter().map(|l| l.reference.as_str()).collect();
        assert_eq!(refs, ["FOI-2", "FOI-1"]);
        assert!(!links[0].same_requester && !links[0].repeat);
        assert!(links[1].same_requester && links[1].repeat);
        // Counted in working days: Easter and the May bank holidays are left out.
        assert_eq!(
            links[1].working_days_apart,
            calendar
                .working_days_between(Date::constant(2019, 4, 1), Date::constant(2019, 6, 3))
                .unwrap()
        );
        assert!(links[1].working_days_apart <= AGGREGATION_WORKING_DAYS);
    }

    #[test]
    fn a_request_asking_for_more_than_the_earlier_one_is_not_a_repeat() {
        let calendar = Calendar::shipped();
        let earlier = asked(
            "FOI-1",
            Date::constant(2019, 5, 1),
            "Ann",
            &[cell("people_in_treatment", "2017/18")],
        );
        let mut this = asked(
            "FOI-2",
            Date::constant(2019, 5, 20),
            "Ann",
            &[
                cell("people_in_treatment", "2017/18"),
                cell("people_in_treatment", "2018/19"),
            ],
        );
        this.requester_contact = Some(" ANN@Example.org ".into());
        let links = related(&this, &[earlier], &calendar).unwrap();
        assert_eq!(links.len(), 1);
        assert!(links[0].same_requester, "contacts match ignoring case");
        assert!(!links[0].repeat);
    }

    #[test]
    fn earlier_answers_that_cover_a_request_are_found_most_covering_first() {
        let entry = |reference: &str, sent_at: &str, indicator: &str, period: &str| LogEntry {
            reference: reference.into(),
            sent_at: sent_at.into(),
            question: "1".into(),
            indicator: Some(indicator.into()),
            area: Some("E06000016".into()),
            period: Some(period.into()),
            breakdown: Some(String::new()),
            decision: "given".into(),
            basis: None,
            value: Some(44),
            released: "44 people".into(),
        };
        let log = [
            entry(
                "FOI-1",
                "2019-05-01T10:00:00Z",
                "people_in_treatment",
                "2017/18",
            ),
            entry(
                "FOI-2",
                "2019-05-09T10:00:00Z",
                "people_in_treatment",
                "2016/17",
            ),
            entry(
                "FOI-2",
                "2019-05-09T10:00:00Z",
                "people_in_treatment",
                "2017/18",
            ),
            entry("FOI-2", "2019-05-09T10:00:00Z", "naloxone_kits", "2017/18"),
            entry(
                "FOI-9",
                "2019-05-10T10:00:00Z",
                "people_in_treatment",
                "2017/18",
            ),
        ];
        let wanted: BTreeSet<Cell> = [
            cell("people_in_treatment", "2016/17"),
            cell("people_in_treatment", "2017/18"),
        ]
        .into();
        let found = covered_by("FOI-9", &wanted, &log);
        let refs: Vec<(&str, usize)> = found
            .iter()
            .map(|c| (c.reference.as_str(), c.covered.len()))
            .collect();
        assert_eq!(refs, [("FOI-2", 2), ("FOI-1", 1)]);
    }

    #[test]
    fn an_answer_that_withheld_a_figure_does_not_cover_it() {
        let entry = |reference: &str, period: &str, breakdown: &str, decision: &str| LogEntry {
            reference: reference.into(),
            sent_at: "2019-05-01T10:00:00Z".into(),
            question: "1".into(),
            indicator: Some("people_in_treatment".into()),
            area: Some("E06000016".into()),
            period: Some(period.into()),
            breakdown: Some(breakdown.into()),
            decision: decision.into(),
            basis: (decision != "given").then(|| "s22".to_string()),
            value: (decision == "given").then_some(44),
            released: String::new(),
        };
        let log = [
            // FOI-1 withheld 2018/19 under s22 and gave 2017/18.
            entry("FOI-1", "2018/19", "", "withheld"),
            entry("FOI-1", "2017/18", "", "given"),
            // FOI-2 gave the 2017/18 total but withheld a band of it.
            entry("FOI-2", "2017/18", "", "given"),
            entry("FOI-2", "2017/18", "age_band=18-24", "suppressed"),
        ];
        let wanted: BTreeSet<Cell> = [
            cell("people_in_treatment", "2018/19"),
            cell("people_in_treatment", "2017/18"),
        ]
        .into();
        let found = covered_by("FOI-9", &wanted, &log);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].reference, "FOI-1");
        assert_eq!(
            found[0].covered,
            [cell("people_in_treatment", "2017/18")].into()
        );
    }

    /// The first reading of [`covered_by`], line by line over the whole
    /// log, which the summed-up one must agree with.
    fn covered_line_by_line(
        reference: &str,
        cells: &BTreeSet<Cell>,
        log: &[LogEntry],
    ) -> Vec<Covering> {
        let key = |e: &LogEntry| -> Option<Cell> {
            Some(Cell {
                indicator: e.indicator.clone()?,
                area: e.area.clone()?,
                period: e.period.clone()?,
            })
        };
        let not_given: BTreeSet<(String, Cell)> = log
            .iter()
            .filter(|e| e.decision != "given")
            .filter_map(|e| Some((e.reference.clone(), key(e)?)))
            .collect();
        let mut by_answer: BTreeMap<String, Covering> = BTreeMap::new();
        for e in log {
            let Some(cell) = key(e) else { continue };
            if e.reference == reference
                || !cells.contains(&cell)
                || e.decision != "given"
                || not_given.contains(&(e.reference.clone(), cell.clone()))
            {
                continue;
            }
            by_answer
                .entry(e.reference.clone())
                .or_insert_with(|| Covering {
                    reference: e.reference.clone(),
                    sent_at: e.sent_at.clone(),
                    covered: BTreeSet::new(),
                })
                .covered
                .insert(cell);
        }
        let mut out: Vec<Covering> = by_answer.into_values().collect();
        out.sort_by(|a, b| {
            b.covered
                .len()
                .cmp(&a.covered.len())
                .then_with(|| b.sent_at.cmp(&a.sent_at))
        });
        out
    }

    proptest::proptest! {
        #[test]
        fn summed_up_log_covers_as_the_lines_do(
            lines in proptest::collection::vec(
                (0..4usize, 0..5usize, 0..3usize, 0..4usize, 0..3usize, 0..6usize),
                0..40,
            ),
        ) {
            let periods = ["2016/17", "2017/18", "2018/19"];
            let log: Vec<LogEntry> = lines
                .iter()
                .map(|&(answer, period, indicator, decision, missing, sent)| LogEntry {
                    reference: format!("FOI-{answer}"),
                    // Lines of one answer usually share a time, not always.
                    sent_at: format!("2019-05-0{}T10:00:00Z", 1 + (answer + sent / 5) % 9),
                    question: "1".into(),
                    indicator: (missing != 1 || period != 4).then(|| {
                        ["people_in_treatment", "naloxone_kits", "deaths"][indicator].to_string()
                    }),
                    area: (missing != 2 || period != 3).then(|| "E06000016".to_string()),
                    period: periods.get(period).map(|p| p.to_string()),
                    breakdown: None,
                    decision: ["given", "given", "withheld", "suppressed"][decision].into(),
                    basis: None,
                    value: None,
                    released: String::new(),
                })
                .collect();
            let wanted: BTreeSet<Cell> = [
                cell("people_in_treatment", "2016/17"),
                cell("people_in_treatment", "2017/18"),
                cell("naloxone_kits", "2017/18"),
                cell("deaths", "2018/19"),
            ]
            .into();
            for this in ["FOI-0", "FOI-9"] {
                proptest::prop_assert_eq!(
                    covered_by(this, &wanted, &log),
                    covered_line_by_line(this, &wanted, &log)
                );
            }
        }
    }
}
