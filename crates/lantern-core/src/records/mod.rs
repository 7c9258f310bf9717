//! Providers' episode-level treatment records: what Lantern keeps of them
//! once they are through the door, and the pure work done on them.
//!
//! A provider submits a flat CSV, one row per intervention (NDTMS calls it a
//! *modality*), with its episode's and client's fields repeated on each row
//! (`docs/formats/episodes.md`). [`submission`] reads and validates such a
//! file and pseudonymises it into [`Record`]s; [`chunk`] packs records into
//! the compact column form the store keeps; [`compute`] turns the records of
//! one area into that area's indicator counts ([`FigureSet`]); [`generate`]
//! makes realistic synthetic submissions for tests and benchmarks.
//!
//! Invariants:
//! - A [`Record`] holds no name, no initials and no full date of birth: the
//!   client is a [`ClientKey`], a keyed hash of the NDTMS attributor, and only
//!   the birth year and month survive (enough for age bands).
//! - The same person gets the same key from every provider and every
//!   submission made with the same [`PseudonymKey`]; that is what lets an
//!   area count each person once, however many providers they attend.
//! - Dates are whole days ([`Day`]); a record's dates obey the validation
//!   rules (referral ≤ triage, start ≤ discharge, intervention inside …) once
//!   it is a `Record`: code that reads records need not check them again.

pub mod chunk;
pub mod circumstances;
pub mod codes;
pub mod compute;
pub mod count;
pub mod generate;
pub mod submission;

use std::fmt;

use jiff::civil::Date;

pub use circumstances::{Circumstances, Field, Recorded};
pub use codes::{Funding, Intervention, Setting, Sex};

/// A calendar day as a count of days since 1970-01-01 (negative before).
/// Cheap to store and compare; convert with [`Day::from_date`] and [`Day::date`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day of a date.
    pub fn from_date(date: Date) -> Day {
        let epoch = Date::constant(1970, 1, 1);
        // Dates jiff can hold are within ±10,000 years: the count fits an i32.
        Day((date - epoch).get_days())
    }

    /// The date of this day.
    pub fn date(self) -> Date {
        let epoch = Date::constant(1970, 1, 1);
        epoch
            .checked_add(jiff::Span::new().days(i64::from(self.0)))
            .unwrap_or(epoch)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date())
    }
}

/// A month of a year: a birth month (all that is kept of a date of birth)
/// or a submission's reporting month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year.
    pub year: i16,
    /// The month, 1–12.
    pub month: i8,
}

impl YearMonth {
    /// Parse `YYYY-MM`.
    pub fn parse(text: &str) -> Option<YearMonth> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let year: i16 = y.parse().ok()?;
        let month: i8 = m.parse().ok()?;
        ((1..=12).contains(&month) && year >= 1000).then_some(YearMonth { year, month })
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).unwrap_or(Date::constant(1970, 1, 1))
    }

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// Age in whole years on a day, counting the birthday as the first of
    /// the birth month (the day of birth is not kept).
    pub fn age_on(self, day: Date) -> i32 {
        let years = i32::from(day.year()) - i32::from(self.year);
        if day.month() < self.month {
            years - 1
        } else {
            years
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A client's pseudonym: the first 16 bytes of HMAC-SHA256 over the
/// attributor (first initial, surname initial, date of birth, sex) under the
/// deployment's [`PseudonymKey`]. It cannot be turned back into the
/// attributor without the key, and the key is never stored with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientKey(pub [u8; 16]);

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The secret that client keys are made with (from the deployment's
/// configuration, never from the database).
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl PseudonymKey {
    /// A key from its secret bytes. At least 16 bytes are required.
    pub fn new(secret: &[u8]) -> Option<PseudonymKey> {
        (secret.len() >= 16).then(|| PseudonymKey(secret.to_vec()))
    }

    /// The secret bytes.
    pub fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(…)")
    }
}

impl PseudonymKey {
    /// A short public fingerprint of the key (HMAC of a fixed label, 8 bytes
    /// hex), stored with each submission so that records pseudonymised
    /// under a different key (which would split every person in two) are
    /// noticed and refused. It reveals nothing about the key.
    pub fn fingerprint(&self) -> String {
        use hmac::{KeyInit, Mac};
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(b"lantern pseudonym key fingerprint v1");
        let bytes = mac.finalize().into_bytes();
        bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// A treatment provider (NDTMS agency) in the register: submissions from
/// agencies not in it are refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Agency {
    /// Agency code, e.g. `N0852`.
    pub code: String,
    /// Name.
    pub name: String,
    /// The area (ONS code) it mainly serves, if one.
    pub area: Option<String>,
}

/// One intervention (modality) as Lantern keeps it: pseudonymised, with
/// only what the indicators and the validation report need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The client's pseudonym.
    pub client: ClientKey,
    /// Birth year and month (the day is dropped).
    pub birth: YearMonth,
    /// Sex.
    pub sex: Sex,
    /// Ethnicity code (2001-census letter, `Z` not stated).
    pub ethnicity: u8,
    /// The provider's episode identifier.
    pub episode_id: String,
    /// The provider's modality identifier (unique within a submission).
    pub modality_id: String,
    /// Referral date.
    pub referral: Day,
    /// Triage date (on or after referral).
    pub triage: Day,
    /// Episode start (on or after referral).
    pub start: Day,
    /// Discharge date, if discharged (on or after start).
    pub discharge: Option<Day>,
    /// Discharge reason code (NDTMS DISRSN), present with the discharge date.
    pub discharge_reason: Option<u8>,
    /// Up to three substances (NDTMS four-digit drug codes); the first is
    /// always present.
    pub drugs: [Option<u16>; 3],
    /// Intervention type.
    pub intervention: Intervention,
    /// Setting of the intervention.
    pub setting: Setting,
    /// Intervention start (within the episode).
    pub modality_start: Day,
    /// Intervention end, if ended.
    pub modality_end: Option<Day>,
    /// Who pays for it.
    pub funding: Funding,
    /// Naloxone kits issued during this intervention.
    pub naloxone_kits: u16,
    /// The client's circumstances from the optional columns (each "not
    /// submitted" when the file had no such column).
    pub circumstances: Circumstances,
}

/// One computed count: an indicator, a breakdown (canonical key, `""` for
/// the total, e.g. `age_band=18-24;crack=crack`) and the number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    /// Indicator code from the catalogue.
    pub indicator: String,
    /// Breakdown key (dimension codes in sorted order, as `Breakdown::key`).
    pub breakdown: String,
    /// The count.
    pub value: u64,
    /// What the figure includes, when a reader could be unsure
    /// ("includes self-funded placements").
    pub coverage: Option<String>,
}

/// Every count computed for one area and financial year. Its text form is
/// what the store keeps; two sets are the same exactly when their texts are.
///
/// The text groups counts by indicator, to keep it small (a nation's sets
/// are written on every full recomputation): a line `@indicator` opens a
/// group, and each following line is `breakdown|value`, or
/// `breakdown|value|coverage` when the count has a coverage note. The total's
/// breakdown is empty.
///
/// Most cells of a set are zeros (an area has few people aged 70+ who use
/// crack), so [`FigureSet::body`] leaves them out: a body whose first line is
/// [`ZEROS_IMPLIED`] lists only the cells of the fixed grid
/// ([`compute::fixed_cells`]: every breakdown written for every area and
/// year) that are not 0, and every other cell (providers' cells) whatever its
/// value. [`FigureSet::parse_body`] gives the omitted cells back as 0, so a
/// reader sees exactly the counts that were computed. A body without that
/// line (written by earlier versions) lists every count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureSet {
    /// Area code.
    pub area: String,
    /// The financial year.
    pub year: crate::FinancialYear,
    /// The counts, sorted.
    pub counts: Vec<Count>,
}

/// The first line of a figure-set body that leaves out the zero cells of the
/// fixed grid (see [`FigureSet`]).
pub const ZEROS_IMPLIED: &str = "#zeros-implied";

impl FigureSet {
    /// The stored text form of the counts (zeros of the fixed grid left out).
    pub fn body(&self) -> String {
        use std::fmt::Write as _;
        let fixed = compute::fixed_cells();
        let mut out = String::with_capacity(self.counts.len() * 12 + 16);
        out.push_str(ZEROS_IMPLIED);
        out.push('\n');
        let mut indicator: Option<&str> = None;
        // Both the counts and the grid are sorted: one walk finds which
        // counts are grid cells. (Unsorted counts are only written whole.)
        let mut f = 0usize;
        for c in &self.counts {
            let key = (c.indicator.as_str(), c.breakdown.as_str());
            let in_grid = loop {
                match fixed.get(f) {
                    Some((i, b)) => match (*i, b.as_str()).cmp(&key) {
                        std::cmp::Ordering::Less => f += 1,
                        std::cmp::Ordering::Equal => break true,
                        std::cmp::Ordering::Greater => break false,
                    },
                    None => break false,
                }
            };
            if in_grid && c.value == 0 && c.coverage.is_none() {
                continue;
            }
            if indicator != Some(c.indicator.as_str()) {
                out.push('@');
                out.push_str(&c.indicator);
                out.push('\n');
                indicator = Some(&c.indicator);
            }
            out.push_str(&c.breakdown);
            let _ = write!(out, "|{}", c.value);
            if let Some(coverage) = &c.coverage {
                out.push('|');
                out.push_str(coverage);
            }
            out.push('\n');
        }
        out
    }

    /// Read counts back from their stored text form, sorted by indicator
    /// and breakdown, with the zeros a body leaves out given back.
    pub fn parse_body(body: &str) -> Result<Vec<Count>, String> {
        let mut counts = Vec::new();
        let implied = read_body(body, |indicator, breakdown, value, coverage| {
            counts.push(Count {
                indicator: indicator.to_string(),
                breakdown: breakdown.to_string(),
                value,
                coverage: coverage.map(str::to_string),
            });
        })?;
        if !counts.is_sorted_by(|a, b| (&a.indicator, &a.breakdown) <= (&b.indicator, &b.breakdown))
        {
            counts.sort_by(|a, b| (&a.indicator, &a.breakdown).cmp(&(&b.indicator, &b.breakdown)));
        }
        if !implied {
            return Ok(counts);
        }
        // Merge the grid's omitted zeros in, keeping the order.
        let fixed = compute::fixed_cells();
        let mut all = Vec::with_capacity(counts.len().max(fixed.len()));
        let mut given = counts.into_iter().peekable();
        for (indicator, breakdown) in fixed {
            let key = (*indicator, breakdown.as_str());
            while let Some(c) =
                given.next_if(|c| (c.indicator.as_str(), c.breakdown.as_str()) < key)
            {
                all.push(c);
            }
            if given
                .peek()
                .is_some_and(|c| (c.indicator.as_str(), c.breakdown.as_str()) == key)
            {
                continue;
            }
            all.push(Count {
                indicator: (*indicator).to_string(),
                breakdown: breakdown.clone(),
                value: 0,
                coverage: None,
            });
        }
        all.extend(given);
        Ok(all)
    }

    /// Check that text is a figure-set body, without building its counts;
    /// returns how many of its counts are not 0.
    pub fn check_body(body: &str) -> Result<usize, String> {
        let mut nonzero = 0usize;
        read_body(body, |_, _, value, _| nonzero += usize::from(value > 0))?;
        Ok(nonzero)
    }
}

/// Read a body's lines, calling `each` with every count written in it;
/// returns whether the body leaves the grid's zeros out.
fn read_body(
    body: &str,
    mut each: impl FnMut(&str, &str, u64, Option<&str>),
) -> Result<bool, String> {
    let mut indicator: Option<&str> = None;
    let mut implied = false;
    for (i, line) in body.lines().enumerate() {
        if i == 0 && line == ZEROS_IMPLIED {
            implied = true;
            continue;
        }
        if let Some(code) = line.strip_prefix('@') {
            if code.is_empty() {
                return Err(format!("line {}: an empty indicator code", i + 1));
            }
            indicator = Some(code);
            continue;
        }
        let Some(indicator) = indicator else {
            return Err(format!(
                "line {}: a count before any @indicator line",
                i + 1
            ));
        };
        let mut parts = line.splitn(3, '|');
        let (Some(breakdown), Some(value)) = (parts.next(), parts.next()) else {
            return Err(format!("line {}: expected breakdown|value", i + 1));
        };
        let value = value
            .parse()
            .map_err(|e| format!("line {}: value '{value}': {e}", i + 1))?;
        each(
            indicator,
            breakdown,
            value,
            parts.next().filter(|c| !c.is_empty()),
        );
    }
    Ok(implied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_dates() {
        for d in [
            Date::constant(1970, 1, 1),
            Date::constant(1902, 3, 4),
            Date::constant(2026, 3, 31),
        ] {
            assert_eq!(Day::from_date(d).date(), d);
        }
        assert_eq!(Day::from_date(Date::constant(1970, 1, 2)), Day(1));
    }

    #[test]
    fn age_counts_the_birthday_from_the_first_of_the_month() {
        let born = YearMonth {
            year: 1990,
            month: 6,
        };
        assert_eq!(born.age_on(Date::constant(2020, 5, 31)), 29);
        assert_eq!(born.age_on(Date::constant(2020, 6, 1)), 30);
    }

    /// A set as computed: every cell of the grid (mostly zeros), plus
    /// provider cells, one of them 0.
    fn computed_like() -> FigureSet {
        let mut counts: Vec<Count> = compute::fixed_cells()
            .iter()
            .map(|(indicator, breakdown)| Count {
                indicator: (*indicator).to_string(),
                breakdown: breakdown.clone(),
                value: 0,
                coverage: None,
            })
            .collect();
        for c in &mut counts {
            match (c.indicator.as_str(), c.breakdown.as_str()) {
                ("people_in_treatment", "") => c.value = 12,
                ("people_in_treatment", "age_band=25-29;crack=crack") => c.value = 2,
                ("residential_rehab_placements", "") => {
                    c.value = 3;
                    c.coverage = Some("includes self-funded placements".into());
                }
                _ => {}
            }
        }
        for (indicator, value) in [("people_in_treatment", 12), ("treatment_exits", 0)] {
            counts.push(Count {
                indicator: indicator.into(),
                breakdown: "provider=N0852".into(),
                value,
                coverage: None,
            });
        }
        counts.sort();
        FigureSet {
            area: "E06000016".into(),
            year: crate::FinancialYear::starting(2017).unwrap(),
            counts,
        }
    }

    #[test]
    fn figure_set_body_round_trips_with_its_zeros() {
        let set = computed_like();
        let body = set.body();
        assert_eq!(FigureSet::parse_body(&body).unwrap(), set.counts);
        assert!(FigureSet::check_body(&body).is_ok());
        // Only the non-zero grid cells and the provider cells are written.
        assert_eq!(
            body,
            "#zeros-implied\n@people_in_treatment\n|12\nage_band=25-29;crack=crack|2\nprovider=N0852|12\n\
             @residential_rehab_placements\n|3|includes self-funded placements\n\
             @treatment_exits\nprovider=N0852|0\n"
        );
        assert!(FigureSet::parse_body("|3").is_err());
        assert!(FigureSet::parse_body("@x\n|three").is_err());
        assert!(FigureSet::check_body("@x\n|three").is_err());
    }

    #[test]
    fn a_body_listing_every_count_is_read_as_written() {
        // Bodies stored before zeros were left out list every count; they
        // read back the same, and so does one listed out of order.
        let set = computed_like();
        let mut full = String::new();
        let mut indicator = "";
        for c in set.counts.iter().rev() {
            if c.indicator != indicator {
                full.push_str(&format!("@{}\n", c.indicator));
                indicator = &c.indicator;
            }
            full.push_str(&format!("{}|{}", c.breakdown, c.value));
            if let Some(cov) = &c.coverage {
                full.push_str(&format!("|{cov}"));
            }
            full.push('\n');
        }
        assert_eq!(FigureSet::parse_body(&full).unwrap(), set.counts);
        assert_eq!(FigureSet::parse_body("").unwrap(), vec![]);
    }
}
