//! Counts over providers' records on demand: any cut of the person-counted
//! indicators a request asks for (the requester's own age bands, a union of
//! substance groups, sex, crack, provider, ethnicity, setting, intervention
//! type, funding, discharge reason, and their crosses) over any
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

use super::circumstances::NOT_STATED;
use super::codes::{self, DrugGroup, Exit};
use super::{Field, Record, Sex, YearMonth};
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

/// The dimensions records can split those counts by (the last six from
/// the optional columns, [`Field`]).
pub const DIMENSIONS: [&str; 16] = [
    "substance_group",
    "crack",
    AGE_BAND,
    "sex",
    "provider",
    "ethnicity",
    "setting",
    "intervention",
    "funding",
    "discharge_reason",
    "referral_source",
    "employment_status",
    "accommodation_need",
    "parental_status",
    "injecting_status",
    "disability",
];

/// Dimensions under several of whose values one person may count (a person
/// treated in two settings, with two kinds of intervention or two funders):
/// their values do not add up to the total. Disclosure control models each
/// value as splitting the total in two, with it and without it
/// ([`crate::protected`]); letters say a person may be counted under more
/// than one.
pub const OVERLAPPING: [&str; 3] = ["setting", "intervention", "funding"];

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

/// A provider whose current submission did not hold an optional field
/// (its file had no such column) while its records reach the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSubmitted {
    /// The agency code.
    pub provider: String,
    /// The submission's reporting month.
    pub month: YearMonth,
    /// The column it did not send (`EMPSTAT`).
    pub column: &'static str,
}

impl NotSubmitted {
    /// "N0001 (2019-03: no EMPSTAT column)".
    pub fn describe(&self) -> String {
        format!(
            "{} ({}: no {} column)",
            self.provider, self.month, self.column
        )
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

impl HeldRecords {
    /// The current submissions whose records in the area reach the period
    /// (an episode overlapping it) but which did not submit one of
    /// `fields`: a count over those fields would be partial, so it is not
    /// made (a blocking finding names these, never a zero).
    pub fn not_submitted(&self, period: Period, fields: &[Field]) -> Vec<NotSubmitted> {
        let first = super::Day::from_date(period.first_day());
        let last = super::Day::from_date(period.last_day());
        let mut out = Vec::new();
        for s in &self.submissions {
            let reaching = s
                .records
                .iter()
                .filter(|r| r.start <= last && r.discharge.is_none_or(|d| d >= first));
            for f in fields {
                if reaching
                    .clone()
                    .any(|r| f.value(&r.circumstances).is_none())
                {
                    out.push(NotSubmitted {
                        provider: s.provider.clone(),
                        month: s.month,
                        column: f.column(),
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.provider, a.column).cmp(&(&b.provider, b.column)));
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
    /// The discharge reason's value (of a row giving the discharge).
    reason: Option<&'static str>,
    journey: bool,
    /// The episode's interventions.
    interventions: Vec<Intervention>,
    /// The client's circumstances on the episode, in [`Field::ALL`] order:
    /// the dimension value (`None` where not submitted).
    circumstances: [Option<&'static str>; 6],
}

/// One intervention (a row) as counting needs it.
#[derive(Debug, Clone)]
struct Intervention {
    start: i32,
    /// The end day, [`OPEN`] while open.
    end: i32,
    setting: &'static str,
    kind: &'static str,
    funding: &'static str,
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
    ethnicity: &'static str,
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
    ethnicity: &'static str,
    settings: BTreeSet<&'static str>,
    interventions: BTreeSet<&'static str>,
    fundings: BTreeSet<&'static str>,
    /// The reason of the latest discharge counted in the period.
    discharge_reason: Option<&'static str>,
    /// One value per optional field ([`Field::ALL`] order): the value on
    /// the earliest-starting counted episode that states it, else
    /// `not_stated` (`None` only when no counted episode's provider
    /// submitted the field).
    circumstances: [Option<&'static str>; 6],
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
    /// the smallest recorded, as the fixed grid takes them, and so is their
    /// ethnicity code, so a stated one is taken before `Z`, not stated).
    pub fn new(held: &HeldRecords) -> Counter {
        type EpisodeKey = (String, i32, i32);
        type Client = (YearMonth, u8, u8, BTreeMap<EpisodeKey, Episode>);
        let mut by_client: BTreeMap<[u8; 16], Client> = BTreeMap::new();
        let mut first_start: Option<i32> = None;
        for s in &held.submissions {
            for r in &s.records {
                first_start = Some(first_start.map_or(r.start.0, |f| f.min(r.start.0)));
                let (sex_rank, _) = sex_code(r.sex);
                let entry = by_client.entry(r.client.0).or_insert((
                    r.birth,
                    sex_rank,
                    r.ethnicity,
                    BTreeMap::new(),
                ));
                entry.0 = entry.0.min(r.birth);
                entry.1 = entry.1.min(sex_rank);
                entry.2 = entry.2.min(r.ethnicity);
                let discharge = r.discharge.map_or(OPEN, |d| d.0);
                let exit = match r.discharge {
                    Some(_) => exit_flags(r.discharge_reason),
                    None => 0,
                };
                let reason = r
                    .discharge
                    .and(r.discharge_reason)
                    .and_then(codes::discharge_value);
                let e = entry
                    .3
                    .entry((s.provider.clone(), r.start.0, r.referral.0))
                    .or_insert(Episode {
                        provider: s.provider.clone(),
                        start: r.start.0,
                        discharge,
                        drugs: Flags::default(),
                        exit,
                        reason,
                        journey: false,
                        interventions: Vec::new(),
                        circumstances: Field::ALL.map(|f| f.value(&r.circumstances)),
                    });
                e.drugs = e.drugs.union(Flags::of(&r.drugs));
                e.interventions.push(Intervention {
                    start: r.modality_start.0,
                    end: r.modality_end.map_or(OPEN, |d| d.0),
                    setting: r.setting.dimension_value(),
                    kind: r.intervention.dimension_value(),
                    funding: r.funding.dimension_value(),
                });
                // Rows that disagree: the latest discharge (open is latest),
                // the exits of the rows that give it, and the last of their
                // reasons in the catalogue's spelling.
                if discharge > e.discharge {
                    (e.discharge, e.exit, e.reason) = (discharge, exit, reason);
                } else if discharge == e.discharge {
                    e.exit |= exit;
                    e.reason = e.reason.max(reason);
                }
            }
        }
        let people = by_client
            .into_values()
            .map(|(birth, sex_rank, ethnicity, episodes)| {
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
                    ethnicity: codes::ethnicity_value(ethnicity),
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
            // The episodes that make the person counted.
            let episodes: Vec<&Episode> = match indicator {
                "people_in_treatment" => overlapping.clone(),
                "new_presentations" => overlapping
                    .iter()
                    .filter(|e| e.journey && e.start >= first)
                    .copied()
                    .collect(),
                "treatment_exits" => overlapping
                    .iter()
                    .filter(discharged_in)
                    .filter(|e| e.exit & EXITED != 0)
                    .copied()
                    .collect(),
                "successful_completions" => overlapping
                    .iter()
                    .filter(discharged_in)
                    .filter(|e| e.exit & SUCCESS != 0)
                    .copied()
                    .collect(),
                "deaths_in_treatment" => overlapping
                    .iter()
                    .filter(discharged_in)
                    .filter(|e| e.exit & DIED != 0)
                    .copied()
                    .collect(),
                _ => Vec::new(),
            };
            if episodes.is_empty() {
                continue;
            }
            let providers: BTreeSet<String> = episodes.iter().map(|e| e.provider.clone()).collect();
            let interventions: Vec<&Intervention> = episodes
                .iter()
                .flat_map(|e| &e.interventions)
                .filter(|i| i.start <= last && i.end >= first)
                .collect();
            let discharge_reason = episodes
                .iter()
                .filter(discharged_in)
                .map(|e| (e.discharge, e.reason))
                .max()
                .and_then(|(_, reason)| reason);
            let drugs = overlapping
                .iter()
                .fold(Flags::default(), |f, e| f.union(e.drugs));
            // Episodes are in start order (then provider): the first that
            // states a field gives the person's value.
            let circumstances = std::array::from_fn(|i| {
                let mut submitted = false;
                for e in &episodes {
                    match e.circumstances[i] {
                        Some(NOT_STATED) => submitted = true,
                        Some(v) => return Some(v),
                        None => {}
                    }
                }
                submitted.then_some(NOT_STATED)
            });
            let on = crate::records::Day(earliest.start.max(first)).date();
            let age = p.birth.age_on(on).max(YOUNGEST as i32) as u32;
            out.push(Counted {
                age,
                sex: p.sex,
                substance_group: drugs.substance_group(),
                crack: if drugs.crack { "crack" } else { "no_crack" },
                providers,
                ethnicity: p.ethnicity,
                settings: interventions.iter().map(|i| i.setting).collect(),
                interventions: interventions.iter().map(|i| i.kind).collect(),
                fundings: interventions.iter().map(|i| i.funding).collect(),
                discharge_reason,
                circumstances,
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
                    ("ethnicity", Wanted::Values(v)) => v.contains(c.ethnicity),
                    ("setting", Wanted::Values(v)) => c.settings.iter().any(|x| v.contains(*x)),
                    ("intervention", Wanted::Values(v)) => {
                        c.interventions.iter().any(|x| v.contains(*x))
                    }
                    ("funding", Wanted::Values(v)) => c.fundings.iter().any(|x| v.contains(*x)),
                    ("discharge_reason", Wanted::Values(v)) => {
                        c.discharge_reason.is_some_and(|r| v.contains(r))
                    }
                    (d, Wanted::Values(v)) => Field::ALL
                        .iter()
                        .position(|f| f.dimension() == d)
                        .and_then(|i| c.circumstances[i])
                        .is_some_and(|x| v.contains(x)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{
        Circumstances, ClientKey, Day, Funding, Intervention as Kind, Recorded, Setting,
    };
    use proptest::prelude::*;

    const BASE: &str = "2016-04-01";
    const SETTINGS: [Setting; 3] = [Setting::Community, Setting::Inpatient, Setting::Residential];
    const KINDS: [Kind; 3] = [
        Kind::Pharmacological,
        Kind::Psychosocial,
        Kind::RecoverySupport,
    ];
    const FUNDINGS: [Funding; 3] = [Funding::Council, Funding::SelfFunded, Funding::Other];
    const ETHNIC: [u8; 6] = [b'A', b'C', b'H', b'N', b'R', b'Z'];
    const REASONS: [u8; 6] = [80, 81, 84, 85, 89, 90];

    /// (client, provider, start offset, days, open, reason, rows of
    /// (setting, kind, funding, ethnicity, intervention offset)).
    type Ep = (
        u8,
        usize,
        i32,
        i32,
        bool,
        usize,
        Vec<(usize, usize, usize, usize, i32)>,
    );

    fn episodes() -> impl Strategy<Value = Vec<Ep>> {
        proptest::collection::vec(
            (
                0u8..8,
                0usize..2,
                0i32..900,
                1i32..400,
                any::<bool>(),
                0usize..REASONS.len(),
                proptest::collection::vec(
                    (0usize..3, 0usize..3, 0usize..3, 0usize..6, 0i32..200),
                    1..4,
                ),
            ),
            1..20,
        )
    }

    /// The records of the episodes, by provider (the first starts on the
    /// first day, so the records reach back to 2016/17).
    fn build(eps: &[Ep]) -> Vec<Vec<Record>> {
        let base = Day::from_date(BASE.parse().unwrap()).0;
        let mut out = vec![Vec::new(); 2];
        let mut seen = BTreeSet::new();
        for (n, (client, provider, offset, days, open, reason, rows)) in eps.iter().enumerate() {
            let start = base + if n == 0 { 0 } else { *offset };
            if !seen.insert((*client, *provider, start)) {
                continue;
            }
            let discharge = (!open).then_some(start + days);
            let circumstances = circumstances_of(*client as i32 + offset, *days);
            for &(setting, kind, funding, ethnic, at) in rows {
                let modality_start = start + (at % days.max(&1));
                out[*provider].push(Record {
                    client: ClientKey([*client; 16]),
                    birth: YearMonth {
                        year: 1980,
                        month: 6,
                    },
                    sex: Sex::Male,
                    ethnicity: ETHNIC[ethnic],
                    episode_id: String::new(),
                    modality_id: String::new(),
                    referral: Day(start - 3),
                    triage: Day(start - 1),
                    start: Day(start),
                    discharge: discharge.map(Day),
                    discharge_reason: discharge.map(|_| REASONS[*reason]),
                    drugs: [Some(1101), None, None],
                    intervention: KINDS[kind],
                    setting: SETTINGS[setting],
                    modality_start: Day(modality_start),
                    modality_end: discharge
                        .map(Day)
                        .or((at % 2 == 0).then_some(Day(modality_start + 30))),
                    funding: FUNDINGS[funding],
                    naloxone_kits: 0,
                    circumstances,
                });
            }
        }
        out
    }

    /// An episode's circumstances from two of its numbers: each field not
    /// stated or one of its codes (always submitted).
    fn circumstances_of(a: i32, b: i32) -> Circumstances {
        use crate::records::codes::*;
        let pick = |x: i32, n: usize| 1 + (x.unsigned_abs() as usize % (n + 1)) as u8;
        Circumstances {
            referral_source: Recorded::from_byte(
                pick(a, ReferralSource::ALL.len()),
                ReferralSource::from_index,
            )
            .unwrap(),
            employment: Recorded::from_byte(pick(b, Employment::ALL.len()), Employment::from_index)
                .unwrap(),
            accommodation: Recorded::from_byte(
                pick(a / 3, AccommodationNeed::ALL.len()),
                AccommodationNeed::from_index,
            )
            .unwrap(),
            parental: Recorded::from_byte(
                pick(b / 7, ParentalStatus::ALL.len()),
                ParentalStatus::from_index,
            )
            .unwrap(),
            injecting: Recorded::from_byte(
                pick(a + b, InjectingStatus::ALL.len()),
                InjectingStatus::from_index,
            )
            .unwrap(),
            disability: Recorded::from_byte(
                pick(a / 5 + b, Disability::ALL.len()),
                Disability::from_index,
            )
            .unwrap(),
        }
    }

    /// A person's value of a field in a period, brute force: among the
    /// episodes that make them counted (`exits`: discharged in the period;
    /// otherwise overlapping it), in order of start and then provider, the
    /// first that states it; else not stated.
    fn brute_field(
        records: &[Vec<Record>],
        exits: bool,
        period: Period,
        field: Field,
    ) -> BTreeMap<[u8; 16], &'static str> {
        let first = Day::from_date(period.first_day()).0;
        let last = Day::from_date(period.last_day()).0;
        let mut rows: Vec<(i32, usize, &Record)> = Vec::new();
        for (provider, records) in records.iter().enumerate() {
            for r in records {
                let counted = if exits {
                    r.discharge.is_some_and(|d| d.0 >= first && d.0 <= last)
                } else {
                    r.start.0 <= last && r.discharge.is_none_or(|d| d.0 >= first)
                };
                if counted {
                    rows.push((r.start.0, provider, r));
                }
            }
        }
        rows.sort_by_key(|(start, provider, _)| (*start, *provider));
        let mut out: BTreeMap<[u8; 16], &'static str> = BTreeMap::new();
        for (_, _, r) in rows {
            let v = field.value(&r.circumstances).unwrap();
            let e = out.entry(r.client.0).or_insert(v);
            if *e == crate::records::circumstances::NOT_STATED {
                *e = v;
            }
        }
        out
    }

    fn held(records: &[Vec<Record>]) -> HeldRecords {
        HeldRecords {
            area: "E".into(),
            submissions: records
                .iter()
                .enumerate()
                .map(|(i, r)| HeldSubmission {
                    provider: format!("N000{i}"),
                    month: YearMonth {
                        year: 2019,
                        month: 3,
                    },
                    records: r.clone(),
                })
                .collect(),
            registered: vec![],
        }
    }

    /// What a client is counted as, brute force, straight from the rows:
    /// for `exits`, the rows discharged in the period, otherwise the rows
    /// of episodes overlapping it.
    ///
    /// `wanted` says whether a client is in the cell, from their
    /// ethnicity, the rows that make them counted and those rows active in
    /// the period.
    fn brute<F>(records: &[Vec<Record>], exits: bool, period: Period, wanted: &F) -> u64
    where
        F: Fn(&str, &[&Record], &[&Record]) -> bool,
    {
        let first = Day::from_date(period.first_day()).0;
        let last = Day::from_date(period.last_day()).0;
        let all: Vec<&Record> = records.iter().flatten().collect();
        let clients: BTreeSet<[u8; 16]> = all.iter().map(|r| r.client.0).collect();
        let mut n = 0;
        for c in clients {
            let mine: Vec<&Record> = all.iter().copied().filter(|r| r.client.0 == c).collect();
            let ethnicity = codes::ethnicity_value(mine.iter().map(|r| r.ethnicity).min().unwrap());
            let counted: Vec<&Record> = mine
                .iter()
                .copied()
                .filter(|r| {
                    if exits {
                        r.discharge.is_some_and(|d| d.0 >= first && d.0 <= last)
                    } else {
                        r.start.0 <= last && r.discharge.is_none_or(|d| d.0 >= first)
                    }
                })
                .collect();
            if counted.is_empty() {
                continue;
            }
            let active: Vec<&Record> = counted
                .iter()
                .copied()
                .filter(|r| {
                    r.modality_start.0 <= last && r.modality_end.is_none_or(|d| d.0 >= first)
                })
                .collect();
            if wanted(ethnicity, &counted, &active) {
                n += 1;
            }
        }
        n
    }

    fn set(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    proptest! {
        /// Every value of the fields the records hold, a group of values,
        /// a union and a cross: the count on demand equals a count
        /// straight from the rows.
        #[test]
        fn counts_by_the_fields_records_hold_match_a_brute_force_count(eps in episodes()) {
            let records = build(&eps);
            let counter = Counter::new(&held(&records));
            let catalogue = crate::catalogue::shipped();
            for year in [2016, 2017] {
                let period = Period::financial_year(year).unwrap();
                let first = Day::from_date(period.first_day()).0;
                let last = Day::from_date(period.last_day()).0;
                let check = |indicator: &str, key: &str, expected: u64| -> Result<(), TestCaseError> {
                    let got = counter.count(&catalogue, indicator, period, &Breakdown::from_key(key));
                    prop_assert_eq!(got, Ok(expected), "{} {} {}", year, indicator, key);
                    Ok(())
                };
                for dim in ["ethnicity", "setting", "intervention", "funding", "discharge_reason"] {
                    let d = catalogue.dimension(dim).unwrap();
                    for value in d.values.iter().map(|v| v.code.clone()).chain(["white|asian".to_string(), "inpatient|residential".to_string()]) {
                        let leaves = d.leaves_of(&value);
                        if leaves.iter().any(|l| d.value(l).is_none()) {
                            continue;
                        }
                        let within = |v: &str| leaves.iter().any(|l| l == v);
                        for (indicator, exits) in [("people_in_treatment", false), ("treatment_exits", true)] {
                            let expected = brute(&records, exits, period, &|ethnicity, counted, active| match dim {
                                "ethnicity" => within(ethnicity),
                                "setting" => active.iter().any(|r| within(r.setting.dimension_value())),
                                "intervention" => active.iter().any(|r| within(r.intervention.dimension_value())),
                                "funding" => active.iter().any(|r| within(r.funding.dimension_value())),
                                _ => counted
                                    .iter()
                                    .filter(|r| r.discharge.is_some_and(|d| d.0 >= first && d.0 <= last))
                                    .filter_map(|r| Some((r.discharge?.0, codes::discharge_value(r.discharge_reason?))))
                                    .max()
                                    .and_then(|(_, v)| v)
                                    .is_some_and(within),
                            });
                            check(indicator, &format!("{dim}={value}"), expected)?;
                        }
                    }
                }
                // A cross of a person's field and an intervention's.
                let white = set(&["white_british", "white_irish", "other_white"]);
                let expected = brute(&records, false, period, &|ethnicity, _, active| {
                    white.iter().any(|w| w == ethnicity)
                        && active.iter().any(|r| r.funding == Funding::SelfFunded)
                });
                check("people_in_treatment", "ethnicity=white;funding=self_funded", expected)?;
            }
        }
    }

    proptest! {
        /// Counts over the optional fields (each value, a group of values,
        /// a cross with sex) equal a count straight from the rows; one
        /// person counts under exactly one value, so the leaves add up to
        /// the total.
        #[test]
        fn counts_over_the_optional_fields_match_a_brute_force_count(eps in episodes()) {
            let records = build(&eps);
            let counter = Counter::new(&held(&records));
            let catalogue = crate::catalogue::shipped();
            for year in [2016, 2017] {
                let period = Period::financial_year(year).unwrap();
                for (indicator, exits) in [("people_in_treatment", false), ("treatment_exits", true)] {
                    let total = counter
                        .count(&catalogue, indicator, period, &Breakdown::total())
                        .unwrap();
                    for field in Field::ALL {
                        let d = catalogue.dimension(field.dimension()).unwrap();
                        let people = brute_field(&records, exits, period, field);
                        let mut leaves_sum = 0;
                        for value in d.values.iter().map(|v| v.code.clone()) {
                            let leaves = d.leaves_of(&value);
                            let expected = people
                                .values()
                                .filter(|v| leaves.iter().any(|l| l == *v))
                                .count() as u64;
                            let key = format!("{}={value}", field.dimension());
                            let got = counter.count(&catalogue, indicator, period, &Breakdown::from_key(&key));
                            prop_assert_eq!(got, Ok(expected), "{} {} {}", year, indicator, key);
                            if d.value(&value).is_some_and(|v| v.parts.is_empty()) {
                                leaves_sum += expected;
                            }
                        }
                        prop_assert_eq!(leaves_sum, total, "{} {:?}", indicator, field);
                    }
                }
                // A cross with a person's other field.
                let people = brute_field(&records, false, period, Field::Employment);
                let expected = people.values().filter(|v| **v == "unemployed").count() as u64;
                let got = counter.count(
                    &catalogue,
                    "people_in_treatment",
                    period,
                    &Breakdown::from_key("employment_status=unemployed;sex=male"),
                );
                prop_assert_eq!(got, Ok(expected));
            }
        }
    }

    /// A provider whose file had no column for a field, and whose records
    /// reach the period, is named; one whose records end before it is not.
    #[test]
    fn a_field_not_submitted_is_named_with_the_provider_and_month() {
        let eps: Vec<Ep> = vec![
            (1, 0, 0, 500, true, 0, vec![(0, 0, 0, 0, 1)]),
            (2, 1, 0, 30, false, 0, vec![(0, 0, 0, 0, 1)]),
        ];
        let mut records = build(&eps);
        for r in &mut records[1] {
            r.circumstances.employment = Recorded::NotSubmitted;
        }
        let h = held(&records);
        let in_2016 = Period::financial_year(2016).unwrap();
        let unsent = h.not_submitted(in_2016, &[Field::Employment, Field::Injecting]);
        assert_eq!(
            unsent
                .iter()
                .map(NotSubmitted::describe)
                .collect::<Vec<_>>(),
            ["N0001 (2019-03: no EMPSTAT column)"]
        );
        // Provider N0001's only episode ended in 2016/17.
        let in_2017 = Period::financial_year(2017).unwrap();
        assert!(h.not_submitted(in_2017, &[Field::Employment]).is_empty());
    }

    #[test]
    fn every_value_the_records_give_is_a_leaf_of_the_catalogue() {
        let catalogue = crate::catalogue::shipped();
        let leaves = |dim: &str| catalogue.dimension(dim).unwrap().leaves();
        let ethnic: BTreeSet<String> = codes::ETHNICITIES
            .iter()
            .map(|(c, _)| codes::ethnicity_value(*c).to_string())
            .collect();
        assert_eq!(ethnic, leaves("ethnicity").into_iter().collect());
        let reasons: BTreeSet<String> = codes::DISCHARGE_REASONS
            .iter()
            .map(|(c, _, _)| codes::discharge_value(*c).unwrap().to_string())
            .collect();
        assert_eq!(reasons, leaves("discharge_reason").into_iter().collect());
        for old in [90, 91, 92] {
            assert!(
                codes::discharge_value(old)
                    .unwrap()
                    .starts_with("completed_")
            );
        }
        let settings: Vec<String> = Setting::ALL
            .iter()
            .map(|s| s.dimension_value().to_string())
            .collect();
        assert_eq!(settings, leaves("setting"));
        let kinds: Vec<String> = Kind::ALL
            .iter()
            .map(|s| s.dimension_value().to_string())
            .collect();
        assert_eq!(kinds, leaves("intervention"));
        let fundings: Vec<String> = Funding::ALL
            .iter()
            .map(|s| s.dimension_value().to_string())
            .collect();
        assert_eq!(fundings, leaves("funding"));
        for f in Field::ALL {
            let mut leaves = leaves(f.dimension());
            leaves.sort();
            assert_eq!(f.values(), leaves, "{f:?}");
        }
        // Every countable dimension is a dimension of the catalogue.
        for d in DIMENSIONS {
            assert!(catalogue.dimension(d).is_ok(), "{d}");
        }
    }

    /// A person in treatment in two settings counts under each; a person
    /// whose episode was discharged twice in the year counts once, under
    /// the latest reason.
    #[test]
    fn a_person_counts_under_each_setting_and_the_latest_discharge_reason() {
        let eps: Vec<Ep> = vec![
            (
                1,
                0,
                0,
                500,
                true,
                0,
                vec![(0, 0, 0, 0, 11), (2, 1, 1, 0, 21)],
            ),
            (2, 0, 380, 10, false, 3, vec![(0, 1, 0, 2, 0)]),
            (2, 1, 420, 10, false, 0, vec![(0, 1, 0, 2, 0)]),
        ];
        let records = build(&eps);
        let counter = Counter::new(&held(&records));
        let catalogue = crate::catalogue::shipped();
        let period = Period::financial_year(2017).unwrap();
        let count = |indicator: &str, key: &str| {
            counter
                .count(&catalogue, indicator, period, &Breakdown::from_key(key))
                .unwrap()
        };
        assert_eq!(count("people_in_treatment", ""), 2);
        assert_eq!(count("people_in_treatment", "setting=community"), 2);
        assert_eq!(count("people_in_treatment", "setting=residential"), 1);
        assert_eq!(count("people_in_treatment", "ethnicity=white"), 1);
        assert_eq!(count("people_in_treatment", "ethnicity=asian"), 1);
        assert_eq!(count("treatment_exits", ""), 1);
        assert_eq!(count("treatment_exits", "discharge_reason=completed"), 1);
        assert_eq!(count("treatment_exits", "discharge_reason=dropped_out"), 0);
    }
}
