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
pub mod codes;
pub mod compute;
pub mod generate;
pub mod submission;

use std::fmt;

use jiff::civil::Date;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureSet {
    /// Area code.
    pub area: String,
    /// The financial year.
    pub year: crate::FinancialYear,
    /// The counts, sorted.
    pub counts: Vec<Count>,
}

impl FigureSet {
    /// The stored text form of the counts.
    pub fn body(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(self.counts.len() * 24);
        let mut indicator: Option<&str> = None;
        for c in &self.counts {
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

    /// Read counts back from their stored text form.
    pub fn parse_body(body: &str) -> Result<Vec<Count>, String> {
        let mut indicator: Option<&str> = None;
        let mut counts = Vec::new();
        for (i, line) in body.lines().enumerate() {
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
            counts.push(Count {
                indicator: indicator.to_string(),
                breakdown: breakdown.to_string(),
                value,
                coverage: parts.next().filter(|c| !c.is_empty()).map(str::to_string),
            });
        }
        Ok(counts)
    }
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

    #[test]
    fn figure_set_body_round_trips() {
        let set = FigureSet {
            area: "E06000016".into(),
            year: crate::FinancialYear::starting(2017).unwrap(),
            counts: vec![
                Count {
                    indicator: "people_in_treatment".into(),
                    breakdown: String::new(),
                    value: 12,
                    coverage: None,
                },
                Count {
                    indicator: "residential_rehab_placements".into(),
                    breakdown: String::new(),
                    value: 3,
                    coverage: Some("includes self-funded placements".into()),
                },
            ],
        };
        assert_eq!(FigureSet::parse_body(&set.body()).unwrap(), set.counts);
        assert!(FigureSet::parse_body("|3").is_err());
        assert!(FigureSet::parse_body("@x\n|three").is_err());
    }
}
