//! What answering one request reads: the areas, indicators, topics and
//! periods it asks about, widened to everything disclosure control must see
//! with them. This module owns that rule, so the store can hand the planner
//! ([`crate::answer::plan`]) a few hundred figures of one area instead of
//! every figure of every area, and the answer is the same as from the
//! whole data version.
//!
//! What the planner consults, and so what a [`Scope`] admits:
//! - **Figures** of the asked indicators in the asked area only: the rows
//!   of an answer (a figure within an asked period, of any breakdown), a
//!   not-held reason (a figure overlapping an asked period), and disclosure
//!   control's tables (`protected.rs`), which are per indicator and area.
//!   Every breakdown and part of those indicators is admitted, totals too.
//! - **Periods**: a table joins every period of its indicator and area that
//!   overlaps a new cell's through a chain of overlaps, with periods the
//!   disclosure log and the releases bring in. So the periods read are the
//!   [`Window`]: the asked periods, each widened to the whole chain of
//!   overlapping periods it belongs to among the asked periods, the logged
//!   periods and the release periods (pooled over the asked indicators,
//!   which can only widen it). A figure is read when it overlaps the window.
//! - **The disclosure log**: the entries about the asked indicators in the
//!   asked areas (whichever council sent them). Entries about other areas
//!   or indicators can only fall into tables with no new cell, which
//!   disclosure control leaves alone.
//! - **Statements** of the asked areas and topics; **releases**: the whole
//!   publication calendar (it is small, and not per area).
//!
//! Reading more than this never changes an answer; reading less could weaken
//! protection, which is why the rule lives here, next to the planner, and is
//! tested against the whole-snapshot answer.

use std::collections::BTreeSet;

use jiff::civil::Date;

use crate::figure::Figure;
use crate::period::Period;
use crate::request::{Ask, Question, Request};

/// What a request asks about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// The areas asked about (the request's, or the council's own).
    pub areas: BTreeSet<String>,
    /// The indicators of every figures question and part.
    pub indicators: BTreeSet<String>,
    /// The statement topics asked about.
    pub topics: BTreeSet<String>,
    /// Every period a figures question or part asks about.
    pub periods: Vec<Period>,
}

/// Days as `(first, last)`, both included.
pub type Span = (Date, Date);

/// The periods a request's reads cover: disjoint spans of days, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Window {
    spans: Vec<Span>,
}

impl Scope {
    /// The scope of `request`, whose area is `default_area` when it names none.
    pub fn of(request: &Request, default_area: &str) -> Scope {
        let mut scope = Scope::default();
        scope.areas.insert(
            request
                .area
                .clone()
                .unwrap_or_else(|| default_area.to_string()),
        );
        fn walk(q: &Question, scope: &mut Scope) {
            match &q.ask {
                Some(Ask::Figures(ask)) => {
                    scope.indicators.insert(ask.indicator.clone());
                    scope.periods.extend(ask.periods.iter().copied());
                }
                Some(Ask::Statement { topic }) => {
                    scope.topics.insert(topic.clone());
                }
                None => {}
            }
            for p in &q.parts {
                walk(p, scope);
            }
        }
        for q in &request.questions {
            walk(q, &mut scope);
        }
        scope
    }

    /// The window of periods to read: each asked period widened to the
    /// chain of overlapping periods it lies in, among the asked periods and
    /// `related` (the periods of the disclosure-log entries in scope and of
    /// every release).
    pub fn window(&self, related: impl IntoIterator<Item = Period>) -> Window {
        let mut spans: Vec<Span> = self
            .periods
            .iter()
            .copied()
            .chain(related)
            .map(|p| (p.first_day(), p.last_day()))
            .collect();
        spans.sort_unstable();
        spans.dedup();
        // Chains of overlapping spans, as protected.rs groups a table's periods.
        let mut merged: Vec<Span> = Vec::new();
        for (first, last) in spans {
            match merged.last_mut() {
                Some(m) if first <= m.1 => m.1 = m.1.max(last),
                _ => merged.push((first, last)),
            }
        }
        let asked: Vec<Span> = self
            .periods
            .iter()
            .map(|p| (p.first_day(), p.last_day()))
            .collect();
        Window {
            spans: merged
                .into_iter()
                .filter(|m| asked.iter().any(|a| m.0 <= a.0 && a.1 <= m.1))
                .collect(),
        }
    }

    /// Whether a disclosure-log entry about `indicator` in `area` is one the
    /// planner must see.
    pub fn admits_entry(&self, indicator: &str, area: &str) -> bool {
        self.indicators.contains(indicator) && self.areas.contains(area)
    }

    /// Whether the planner may consult `figure` when the reads cover `window`.
    pub fn admits(&self, window: &Window, figure: &Figure) -> bool {
        self.admits_entry(&figure.indicator, &figure.area) && window.overlaps(&figure.period)
    }
}

impl Window {
    /// The spans, disjoint and in order.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Whether `period` shares a day with the window.
    pub fn overlaps(&self, period: &Period) -> bool {
        self.overlaps_days(period.first_day(), period.last_day())
    }

    /// Whether the days `first..=last` share a day with the window.
    pub fn overlaps_days(&self, first: Date, last: Date) -> bool {
        self.spans.iter().any(|&(f, l)| f <= last && first <= l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::request::parse_request;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn request(text: &str) -> Request {
        parse_request("r.toml", text, &shipped()).unwrap()
    }

    const REQUEST: &str = r#"
reference = "FOI-1"
received = 2021-06-01

[[question]]
number = "1"
text = "crack users by age"
indicator = "people_in_treatment"
filter = { crack = "crack" }
breakdown = ["age_band"]
periods = ["2018/19", "2019/20"]

[[question]]
number = "2"
text = "budget"
indicator = "budget"

[[question.part]]
letter = "a"
text = "2015"
periods = ["2015/16"]

[[question]]
number = "3"
text = "naloxone"
topic = "naloxone.purchaser"
"#;

    #[test]
    fn a_request_reads_its_area_indicators_topics_and_periods() {
        let scope = Scope::of(&request(REQUEST), "E06000016");
        assert_eq!(
            scope.areas.iter().collect::<Vec<_>>(),
            vec!["E06000016"],
            "the council's area when the request names none"
        );
        assert_eq!(
            scope.indicators.iter().collect::<Vec<_>>(),
            vec!["budget", "people_in_treatment"]
        );
        assert_eq!(
            scope.topics.iter().collect::<Vec<_>>(),
            vec!["naloxone.purchaser"]
        );
        assert_eq!(
            scope.periods,
            vec![p("2018/19"), p("2019/20"), p("2015/16")]
        );
        let named = request(&REQUEST.replace(
            "received = 2021-06-01",
            "received = 2021-06-01\narea = \"E08000001\"",
        ));
        assert!(Scope::of(&named, "E06000016").areas.contains("E08000001"));
    }

    #[test]
    fn the_window_is_the_chains_of_overlaps_the_asked_periods_lie_in() {
        let scope = Scope::of(&request(REQUEST), "E06000016");
        // Alone: the asked years, 2018/19 and 2019/20 apart (they touch but
        // share no day), and 2015/16.
        let w = scope.window([]);
        assert_eq!(w.spans().len(), 3);
        assert!(w.overlaps(&p("2018/19")) && w.overlaps(&p("Q1 2019/20")));
        assert!(!w.overlaps(&p("2016/17")) && !w.overlaps(&p("2020/21")));
        // A calendar year logged earlier chains 2018/19 and 2019/20; a range
        // from 2019/20 into 2021 chains on; 2012/13, alone, stays out.
        let w = scope.window([
            p("2019"),
            p("2019-10-01 to 2021-01-31"),
            p("2012/13"),
            p("2016/17"),
        ]);
        assert!(w.overlaps(&p("2020/21")), "reached through the range");
        assert!(w.overlaps(&p("2019")));
        assert!(!w.overlaps(&p("2012/13")), "in no asked period's chain");
        assert!(!w.overlaps(&p("2016/17")));
        assert!(!w.overlaps(&p("2021/22")));
    }

    #[test]
    fn figures_of_other_areas_and_indicators_are_not_admitted() {
        let scope = Scope::of(&request(REQUEST), "E06000016");
        let w = scope.window([]);
        assert!(scope.admits_entry("people_in_treatment", "E06000016"));
        assert!(!scope.admits_entry("people_in_treatment", "E08000001"));
        assert!(!scope.admits_entry("new_presentations", "E06000016"));
        let w2 = Scope::default().window([p("2018/19")]);
        assert!(w2.spans().is_empty(), "no asked period, nothing to read");
        assert!(!w.overlaps(&p("2017/18")));
    }

    /// Whole-snapshot answers and scoped answers must be the same letter.
    mod same_answer {
        use super::*;
        use crate::answer::{EarlierRelease, Evidence, plan};
        use crate::disclosure::Policy;
        use crate::figure::{Breakdown, Provenance, Source, Status, Value};
        use crate::protected::Shown;
        use crate::release::Release;
        use crate::request::FigureAsk;
        use proptest::prelude::*;

        const AREAS: [&str; 2] = ["E06000016", "E08000001"];
        const PERIODS: [&str; 12] = [
            "2016/17",
            "2017/18",
            "2018/19",
            "2019/20",
            "2020/21",
            "Q1 2017/18",
            "Q2 2017/18",
            "2018",
            "2017-10-01 to 2018-09-30",
            "2019-04-01 to 2019-04-30",
            "2012/13",
            "2016-04-01 to 2020-03-31",
        ];
        /// Indicators (people, events, money) and the breakdowns held.
        const INDICATORS: [(&str, &[&str]); 3] = [
            (
                "people_in_treatment",
                &[
                    "",
                    "",
                    "crack=crack",
                    "crack=no_crack",
                    "age_band=20-24",
                    "age_band=25-29",
                    "age_band=40+",
                    "age_band=*",
                    "age_band=20-24;crack=crack",
                    "age_band=25-29;crack=crack",
                    "age_band=40+;crack=crack",
                    "provider=P1",
                    "provider=P2",
                ],
            ),
            (
                "residential_rehab_placements",
                &[
                    "",
                    "",
                    "funding=council",
                    "funding=self_funded",
                    "provider=P1",
                    "provider=P2",
                ],
            ),
            (
                "budget",
                &[
                    "",
                    "service=community_treatment",
                    "service=inpatient_detox_and_residential_rehab",
                ],
            ),
        ];

        /// A small deterministic generator (xorshift), seeded by proptest.
        struct Rng(u64);

        impl Rng {
            fn next(&mut self) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0
            }
            fn below(&mut self, n: usize) -> usize {
                (self.next() % n as u64) as usize
            }
            fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
                &from[self.below(from.len())]
            }
            fn period(&mut self) -> Period {
                let text: &&str = self.pick(&PERIODS);
                Period::parse(text).unwrap()
            }
            fn chance(&mut self, percent: u64) -> bool {
                self.next() % 100 < percent
            }
        }

        fn provenance() -> Provenance {
            Provenance {
                import: 1,
                file: "figures.csv".into(),
                line: 2,
                actor: "tester".into(),
                imported_at: "2020-01-01T00:00:00Z".into(),
            }
        }

        fn count(rng: &mut Rng) -> u64 {
            if rng.chance(50) {
                1 + rng.below(6) as u64
            } else {
                rng.below(60) as u64
            }
        }

        fn figures(rng: &mut Rng) -> Vec<Figure> {
            let mut out: Vec<Figure> = Vec::new();
            for _ in 0..40 + rng.below(120) {
                let (indicator, breakdowns) = *rng.pick(&INDICATORS);
                let breakdown = *rng.pick(breakdowns);
                let value = if breakdown.contains('*') || rng.chance(4) {
                    Value::NotHeld {
                        reason: "No ages are held.".into(),
                    }
                } else if indicator == "budget" {
                    Value::Exact(100_000 + rng.below(1_000_000) as i64)
                } else if rng.chance(5) {
                    Value::Approximate { low: 2, high: 9 }
                } else {
                    match count(rng) {
                        0 => Value::Zero {
                            reason: "none".into(),
                        },
                        v => Value::Exact(v as i64),
                    }
                };
                let f = Figure {
                    indicator: indicator.into(),
                    area: rng.pick(&AREAS).to_string(),
                    period: rng.period(),
                    breakdown: Breakdown::from_key(breakdown),
                    value,
                    source: *rng.pick(&[Source::NdtmsPartnership, Source::LocalRecords]),
                    status: Status::Final,
                    coverage: vec![],
                    note: None,
                    provenance: provenance(),
                };
                if !out.iter().any(|o| o.key() == f.key()) {
                    out.push(f);
                }
            }
            out
        }

        fn earlier(rng: &mut Rng) -> Vec<EarlierRelease> {
            (0..rng.below(24))
                .map(|n| {
                    let (indicator, breakdowns) = *rng.pick(&INDICATORS);
                    let shown = match rng.below(3) {
                        0 => Shown::Exact(count(rng)),
                        1 => Shown::FewerThan(5),
                        _ => Shown::Withheld,
                    };
                    EarlierRelease {
                        reference: format!("E-{}", n % 4),
                        sent: "2019-01-01T00:00:00Z".into(),
                        indicator: indicator.into(),
                        area: rng.pick(&AREAS).to_string(),
                        period: rng.period(),
                        breakdown: Breakdown::from_key(rng.pick::<&str>(breakdowns)),
                        shown,
                    }
                })
                .collect()
        }

        fn releases(rng: &mut Rng) -> Vec<Release> {
            (0..rng.below(4))
                .map(|n| Release {
                    code: format!("release_{n}"),
                    title: format!("Release {n}"),
                    publisher: "Publisher".into(),
                    date: *rng.pick(&[
                        jiff::civil::date(2018, 11, 1),
                        jiff::civil::date(2019, 11, 7),
                        jiff::civil::date(2021, 11, 1),
                    ]),
                    announced: None,
                    indicators: vec![rng.pick(&INDICATORS).0.to_string()],
                    periods: (0..1 + rng.below(2)).map(|_| rng.period()).collect(),
                    url: None,
                })
                .collect()
        }

        fn question(rng: &mut Rng, number: String, depth: usize) -> Question {
            let (indicator, _) = *rng.pick(&INDICATORS);
            let mut filter = Breakdown::total();
            let mut breakdown = Vec::new();
            match indicator {
                "people_in_treatment" => {
                    if rng.chance(50) {
                        filter = filter.with("crack", "crack");
                    }
                    match rng.below(4) {
                        0 => breakdown.push("age_band".to_string()),
                        1 => breakdown.push("provider".to_string()),
                        2 if filter.0.is_empty() => breakdown.push("crack".to_string()),
                        _ => {}
                    }
                }
                "residential_rehab_placements" => match rng.below(3) {
                    0 => breakdown.push("funding".to_string()),
                    1 => breakdown.push("provider".to_string()),
                    _ => {}
                },
                _ => {
                    if rng.chance(50) {
                        filter = filter.with("service", "community_treatment");
                    }
                }
            }
            let ask = if rng.chance(10) {
                Some(Ask::Statement {
                    topic: "naloxone.purchaser".into(),
                })
            } else {
                Some(Ask::Figures(FigureAsk {
                    indicator: indicator.into(),
                    periods: (0..1 + rng.below(3)).map(|_| rng.period()).collect(),
                    age_range: breakdown.first().is_some_and(|d| d == "age_band") && rng.chance(30),
                    filter,
                    breakdown,
                    bands: vec![],
                }))
            };
            let parts = if depth == 0 && rng.chance(20) {
                vec![question(rng, "a".into(), 1)]
            } else {
                vec![]
            };
            Question {
                number,
                text: "How many?".into(),
                ask,
                parts,
                estimate_hours: None,
            }
        }

        fn request(rng: &mut Rng) -> Request {
            Request {
                reference: "T-1".into(),
                received: *rng.pick(&[
                    jiff::civil::date(2019, 6, 10),
                    jiff::civil::date(2021, 6, 1),
                ]),
                answered: None,
                requester_reference: None,
                area: rng.chance(25).then(|| AREAS[1].to_string()),
                questions: (1..=1 + rng.below(3))
                    .map(|n| question(rng, n.to_string(), 0))
                    .collect(),
                wants_spreadsheet: false,
                set_aside: Vec::new(),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn a_scoped_read_gives_the_same_answer_as_the_whole_data(seed in 1u64..) {
                let mut rng = Rng(seed);
                let catalogue = shipped();
                let figures = figures(&mut rng);
                let earlier = earlier(&mut rng);
                let releases = releases(&mut rng);
                let request = request(&mut rng);
                let whole = Evidence {
                    catalogue: &catalogue,
                    figures: &figures,
                    statements: &[],
                    releases: &releases,
                    policy: Policy::default(),
                    area: AREAS[0],
                    earlier: &earlier,
                    records: None,
                    declarations: &[],
                    settled: &[],
                };
                let scope = Scope::of(&request, AREAS[0]);
                let scoped_earlier: Vec<EarlierRelease> = earlier
                    .iter()
                    .filter(|e| scope.admits_entry(&e.indicator, &e.area))
                    .cloned()
                    .collect();
                let window = scope.window(
                    scoped_earlier
                        .iter()
                        .map(|e| e.period)
                        .chain(releases.iter().flat_map(|r| r.periods.iter().copied())),
                );
                let scoped_figures: Vec<Figure> = figures
                    .iter()
                    .filter(|f| scope.admits(&window, f))
                    .cloned()
                    .collect();
                let scoped = Evidence {
                    figures: &scoped_figures,
                    earlier: &scoped_earlier,
                    declarations: &[],
                    settled: &[],
                    ..whole
                };
                prop_assert_eq!(plan(&request, &scoped), plan(&request, &whole));
            }
        }
    }
}
