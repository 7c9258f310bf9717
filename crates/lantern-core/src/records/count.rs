//! Counts over providers' records on demand: any cut of the person-counted
//! indicators a request asks for (the requester's own age bands, a union of
//! substance groups, sex, crack, provider, and their crosses) over any
//! period, counted at draft time from the records the council holds for the
//! area, following `docs/indicators-from-records.md` with the financial
//! year generalised to the period asked (for a financial year the counts
//! are exactly those [`super::compute`] writes).
//!
//! This module also owns when records are *held* for a period
//! ([`HeldRecords::missing`]): only when every provider registered for the
//! area has a current submission reaching the period's last month.
//!
//! It is written for clarity, not speed: a request's area is read whole
//! and counted once per requested period ([`Counter`]), each cell a pass
//! over that period's people.

use std::collections::{BTreeMap, BTreeSet};

use super::codes::{self, DrugGroup, Exit};
use super::{Record, Sex, YearMonth};
use crate::catalogue::{AGE_BAND, AgeSpan, Catalogue};
use crate::figure::Breakdown;
use crate::period::Period;

/// The youngest age the records are of (an adult data set): younger ages
/// recorded count as 18, as in the fixed grid.
pub const YOUNGEST: u32 = 18;

/// A later episode starting more than this many days after every earlier
/// one was discharged starts a new treatment journey.
const JOURNEY_GAP_DAYS: i32 = 21;

/// The indicators records can count on demand.
pub const COUNTABLE: [&str; 5] = [
    "people_in_treatment",
    "new_presentations",
    "treatment_exits",
    "successful_completions",
    "deaths_in_treatment",
];

/// The dimensions records can split those counts by.
pub const DIMENSIONS: [&str; 5] = ["substance_group", "crack", AGE_BAND, "sex", "provider"];

/// One provider's current submission for the area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSubmission {
    /// The provider's agency code.
    pub provider: String,
    /// The reporting month: the submission's records reach its last day.
    pub month: YearMonth,
    /// Its records whose area of residence is the area.
    pub records: Vec<Record>,
}

/// The records a council holds for one area at one data version: every
/// provider's current submission then, and the providers registered for
/// the area then.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeldRecords {
    /// The area (ONS code).
    pub area: String,
    /// The current submissions with records in the area.
    pub submissions: Vec<HeldSubmission>,
    /// Agency codes registered for the area (the register at the version).
    pub registered: Vec<String>,
}

/// A provider whose records do not reach a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The agency code.
    pub provider: String,
    /// The months of the period its current submission does not cover
    /// (first, last).
    pub months: (YearMonth, YearMonth),
}

impl Missing {
    /// "N0001 (2019-02 to 2019-03)".
    pub fn describe(&self) -> String {
        let (first, last) = self.months;
        if first == last {
            format!("{} ({first})", self.provider)
        } else {
            format!("{} ({first} to {last})", self.provider)
        }
    }
}

/// Why a cell cannot be counted from the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uncountable {
    /// The indicator is not counted from records.
    Indicator,
    /// The records do not hold this breakdown.
    Dimension(String),
    /// A band reaching below the youngest age the records hold: what can be
    /// given instead, in words.
    BelowAdultAge {
        /// The band asked.
        band: AgeSpan,
    },
    /// The period starts before the area's records begin.
    BeforeRecords,
}

impl Uncountable {
    /// A plain explanation for the letter or the officer.
    pub fn explain(&self, catalogue: &Catalogue) -> String {
        match self {
            Uncountable::Indicator => "This figure is not counted from providers' records.".into(),
            Uncountable::Dimension(d) => format!(
                "Providers' records do not hold the {}.",
                catalogue
                    .dimension(d)
                    .map(|d| d.title.to_lowercase())
                    .unwrap_or_else(|_| d.clone())
            ),
            Uncountable::BelowAdultAge { band } => {
                let instead = match band.high {
                    Some(h) if h < YOUNGEST => String::new(),
                    high => format!(
                        " Figures can be given for people {} instead.",
                        AgeSpan {
                            low: YOUNGEST,
                            high
                        }
                        .label()
                    ),
                };
                format!(
                    "The records are of adults in treatment (aged {YOUNGEST} and over), so a figure for people {} cannot be given.{instead}",
                    band.label()
                )
            }
            Uncountable::BeforeRecords => {
                "The providers' records held do not go back to this period.".into()
            }
        }
    }
}

impl HeldRecords {
    /// The registered providers whose current submission does not reach
    /// the period's last month (or who have none), with the months missing.
    /// Records are held for the period only when this is empty.
    pub fn missing(&self, period: Period) -> Vec<Missing> {
        let last = period.last_day();
        let last_month = YearMonth {
            year: last.year(),
            month: last.month(),
        };
        let first = period.first_day();
        let first_month = YearMonth {
            year: first.year(),
            month: first.month(),
        };
        let mut out = Vec::new();
        let registered: BTreeSet<&str> = self.registered.iter().map(String::as_str).collect();
        for provider in registered {
            let reached = self
                .submissions
                .iter()
                .filter(|s| s.provider == provider)
                .map(|s| s.month)
                .max();
            match reached {
                Some(m) if m >= last_month => {}
                Some(m) => out.push(Missing {
                    provider: provider.to_string(),
                    months: (next_month(m).max(first_month), last_month),
                }),
                None => out.push(Missing {
                    provider: provider.to_string(),
                    months: (first_month, last_month),
                }),
            }
        }
        out
    }
}

fn next_month(m: YearMonth) -> YearMonth {
    if m.month == 12 {
        YearMonth {
            year: m.year + 1,
            month: 1,
        }
    } else {
        YearMonth {
            year: m.year,
            month: m.month + 1,
        }
    }
}

/// One episode as counting needs it.
#[derive(Debug, Clone)]
struct Episode {
    provider: String,
    start: i32,
    /// The discharge day, [`OPEN`] while open.
    discharge: i32,
    /// Drug flags (opiate, crack, other non-opiate, alcohol).
    drugs: Flags,
    /// [`EXITED`], [`SUCCESS`], [`DIED`].
    exit: u8,
    journey: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    opiate: bool,
    crack: bool,
    non_opiate: bool,
    alcohol: bool,
}

impl Flags {
    fn union(self, o: Flags) -> Flags {
        Flags {
            opiate: self.opiate || o.opiate,
            crack: self.crack || o.crack,
            non_opiate: self.non_opiate || o.non_opiate,
            alcohol: self.alcohol || o.alcohol,
        }
    }

    fn of(drugs: &[Option<u16>; 3]) -> Flags {
        let mut f = Flags::default();
        for code in drugs.iter().flatten() {
            match codes::DRUGS.iter().find(|(c, _, _)| c == code).map(|d| d.2) {
                Some(DrugGroup::Opiate) => f.opiate = true,
                Some(DrugGroup::Crack) => f.crack = true,
                Some(DrugGroup::NonOpiate) => f.non_opiate = true,
                Some(DrugGroup::Alcohol) => f.alcohol = true,
                None => {}
            }
        }
        f
    }

    fn substance_group(self) -> &'static str {
        let non_opiate = self.crack || self.non_opiate;
        if self.opiate {
            "opiate"
        } else if non_opiate && !self.alcohol {
            "non_opiate_only"
        } else if non_opiate {
            "non_opiate_and_alcohol"
        } else {
            "alcohol_only"
        }
    }
}

/// A person of the area, with their episodes in start order.
#[derive(Debug, Clone)]
struct Person {
    birth: YearMonth,
    sex: &'static str,
    episodes: Vec<Episode>,
}

/// What one person is in one period, for one indicator: their attributes
/// and the providers they count under.
#[derive(Debug, Clone)]
struct Counted {
    age: u32,
    sex: &'static str,
    substance_group: &'static str,
    crack: &'static str,
    providers: BTreeSet<String>,
}

/// An indicator and a period's first and last day (days from 1970).
type PeriodKey = (String, i32, i32);

/// Counts cells over the records of one area.
#[derive(Debug, Clone)]
pub struct Counter {
    people: Vec<Person>,
    first_start: Option<i32>,
    /// The people counted per (indicator, first day, last day), worked out
    /// once for every cell of the period.
    counted: std::cell::RefCell<BTreeMap<PeriodKey, std::rc::Rc<Vec<Counted>>>>,
}

fn sex_code(sex: Sex) -> (u8, &'static str) {
    match sex {
        Sex::Male => (0, "male"),
        Sex::Female => (1, "female"),
        Sex::Other | Sex::NotStated => (2, "other"),
    }
}

/// An open episode's discharge day.
const OPEN: i32 = i32::MAX;
const EXITED: u8 = 1;
const SUCCESS: u8 = 2;
const DIED: u8 = 4;

/// A discharged episode's exit flags from its discharge reason.
fn exit_flags(reason: Option<u8>) -> u8 {
    let reason = reason.unwrap_or(0);
    EXITED
        | match codes::exit(reason)
            .or_else(|| codes::modern_discharge_code(reason).and_then(codes::exit))
        {
            Some(Exit::Successful) => SUCCESS,
            Some(Exit::Died) => DIED,
            _ => 0,
        }
}

impl Counter {
    /// People and episodes from the held records (an episode is a
    /// provider's client, start and referral; its rows' substances are
    /// united and the latest discharge taken; a person's birth and sex are
    /// the smallest recorded, as the fixed grid takes them).
    pub fn new(held: &HeldRecords) -> Counter {
        type EpisodeKey = (String, i32, i32);
        let mut by_client: BTreeMap<[u8; 16], (YearMonth, u8, BTreeMap<EpisodeKey, Episode>)> =
            BTreeMap::new();
        let mut first_start: Option<i32> = None;
        for s in &held.submissions {
            for r in &s.records {
                first_start = Some(first_start.map_or(r.start.0, |f| f.min(r.start.0)));
                let (sex_rank, _) = sex_code(r.sex);
                let entry =
                    by_client
                        .entry(r.client.0)
                        .or_insert((r.birth, sex_rank, BTreeMap::new()));
                entry.0 = entry.0.min(r.birth);
                entry.1 = entry.1.min(sex_rank);
                let discharge = r.discharge.map_or(OPEN, |d| d.0);
                let exit = match r.discharge {
                    Some(_) => exit_flags(r.discharge_reason),
                    None => 0,
                };
                let e = entry
                    .2
                    .entry((s.provider.clone(), r.start.0, r.referral.0))
                    .or_insert(Episode {
                        provider: s.provider.clone(),
                        start: r.start.0,
                        discharge,
                        drugs: Flags::default(),
                        exit,
                        journey: false,
                    });
                e.drugs = e.drugs.union(Flags::of(&r.drugs));
                // Rows that disagree: the latest discharge (open is latest),
                // and the exits of the rows that give it.
                if discharge > e.discharge {
                    (e.discharge, e.exit) = (discharge, exit);
                } else if discharge == e.discharge {
                    e.exit |= exit;
                }
            }
        }
        let people = by_client
            .into_values()
            .map(|(birth, sex_rank, episodes)| {
                let mut episodes: Vec<Episode> = episodes.into_values().collect();
                episodes.sort_by(|a, b| {
                    (a.start, &a.provider, a.discharge).cmp(&(b.start, &b.provider, b.discharge))
                });
                let mut latest: Option<i32> = None;
                let mut open = false;
                for (n, e) in episodes.iter_mut().enumerate() {
                    e.journey =
                        n == 0 || (!open && latest.is_some_and(|l| e.start - l > JOURNEY_GAP_DAYS));
                    if e.discharge == OPEN {
                        open = true;
                    } else {
                        latest = Some(latest.map_or(e.discharge, |l| l.max(e.discharge)));
                    }
                }
                Person {
                    birth,
                    sex: ["male", "female", "other"][usize::from(sex_rank.min(2))],
                    episodes,
                }
            })
            .collect();
        Counter {
            people,
            first_start,
            counted: Default::default(),
        }
    }

    /// The people an indicator counts in a period, with their attributes.
    fn counted(&self, indicator: &str, period: Period) -> std::rc::Rc<Vec<Counted>> {
        let first = crate::records::Day::from_date(period.first_day()).0;
        let last = crate::records::Day::from_date(period.last_day()).0;
        let key = (indicator.to_string(), first, last);
        if let Some(done) = self.counted.borrow().get(&key) {
            return done.clone();
        }
        let out = std::rc::Rc::new(self.count_people(indicator, first, last));
        self.counted.borrow_mut().insert(key, out.clone());
        out
    }

    fn count_people(&self, indicator: &str, first: i32, last: i32) -> Vec<Counted> {
        let mut out = Vec::new();
        for p in &self.people {
            let overlapping: Vec<&Episode> = p
                .episodes
                .iter()
                .filter(|e| e.start <= last && e.discharge >= first)
                .collect();
            let Some(earliest) = overlapping.first() else {
                continue;
            };
            let discharged_in = |e: &&&Episode| e.discharge >= first && e.discharge <= last;
            let providers: BTreeSet<String> = match indicator {
                "people_in_treatment" => overlapping.iter().map(|e| e.provider.clone()).collect(),
                "new_presentations" => overlapping
                    .iter()
                    .filter(|e| e.journey && e.start >= first)
                    .map(|e| e.provider.clone())
                    .collect(),
                "treatment_exits" => overlapping
                    .iter()
                    .filter(discharged_in)
                    .filter(|e| e.exit & EXITED != 0)
                    .map(|e| e.provider.clone())
                    .collect(),
                "successful_completions" => overlapping
                    .iter()
                    .filter(discharged_in)
                    .filter(|e| e.exit & SUCCESS != 0)
                    .map(|e| e.provider.clone())
                    .collect(),
                "deaths_in_treatment" => overlapping
                    .iter()
                    .filter(discharged_in)
                    .filter(|e| e.exit & DIED != 0)
                    .map(|e| e.provider.clone())
                    .collect(),
                _ => BTreeSet::new(),
            };
            if providers.is_empty() {
                continue;
            }
            let drugs = overlapping
                .iter()
                .fold(Flags::default(), |f, e| f.union(e.drugs));
            let on = crate::records::Day(earliest.start.max(first)).date();
            let age = p.birth.age_on(on).max(YOUNGEST as i32) as u32;
            out.push(Counted {
                age,
                sex: p.sex,
                substance_group: drugs.substance_group(),
                crack: if drugs.crack { "crack" } else { "no_crack" },
                providers,
            });
        }
        out
    }

    /// The count of one cell: `indicator` in `period` for the people whose
    /// attributes match `breakdown` (each value a catalogue value, a union
    /// `a|b`, or for age a span of ages such as `18-22`).
    pub fn count(
        &self,
        catalogue: &Catalogue,
        indicator: &str,
        period: Period,
        breakdown: &Breakdown,
    ) -> Result<u64, Uncountable> {
        if !COUNTABLE.contains(&indicator) {
            return Err(Uncountable::Indicator);
        }
        let first = crate::records::Day::from_date(period.first_day()).0;
        if self.first_start.is_none_or(|s| {
            crate::records::Day::from_date(period.last_day()).0 < s
                || crate::records::compute::fy_of(first) < crate::records::compute::fy_of(s)
        }) {
            return Err(Uncountable::BeforeRecords);
        }
        // Each dimension's wanted values (leaves, or for age, spans).
        let mut wanted: Vec<(&str, Wanted)> = Vec::new();
        for (d, v) in &breakdown.0 {
            if !DIMENSIONS.contains(&d.as_str()) {
                return Err(Uncountable::Dimension(d.clone()));
            }
            let leaves = catalogue
                .dimension(d)
                .map(|dim| dim.leaves_of(v))
                .unwrap_or_else(|_| vec![v.clone()]);
            if d == AGE_BAND {
                let mut spans = Vec::new();
                for leaf in &leaves {
                    let span = AgeSpan::parse(leaf.trim_start_matches('~'))
                        .ok_or_else(|| Uncountable::Dimension(d.clone()))?;
                    if span.low < YOUNGEST {
                        return Err(Uncountable::BelowAdultAge {
                            band: AgeSpan::parse(v).unwrap_or(span),
                        });
                    }
                    spans.push(span);
                }
                wanted.push((d, Wanted::Ages(spans)));
            } else {
                wanted.push((d, Wanted::Values(leaves.into_iter().collect())));
            }
        }
        let people = self.counted(indicator, period);
        Ok(people
            .iter()
            .filter(|c| {
                wanted.iter().all(|(d, w)| match (*d, w) {
                    (AGE_BAND, Wanted::Ages(spans)) => spans.iter().any(|s| s.contains(c.age)),
                    ("sex", Wanted::Values(v)) => v.contains(c.sex),
                    ("substance_group", Wanted::Values(v)) => v.contains(c.substance_group),
                    ("crack", Wanted::Values(v)) => v.contains(c.crack),
                    ("provider", Wanted::Values(v)) => c.providers.iter().any(|p| v.contains(p)),
                    _ => false,
                })
            })
            .count() as u64)
    }

    /// The providers with people counted for an indicator in a period.
    pub fn providers(&self, indicator: &str, period: Period) -> Vec<String> {
        let set: BTreeSet<String> = self
            .counted(indicator, period)
            .iter()
            .flat_map(|c| c.providers.iter().cloned())
            .collect();
        set.into_iter().collect()
    }
}

enum Wanted {
    Ages(Vec<AgeSpan>),
    Values(BTreeSet<String>),
}
