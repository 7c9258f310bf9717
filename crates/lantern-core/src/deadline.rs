//! Deadlines: working days, the FOIA section 10 clock and the internal review
//! window, counted over the UK bank holidays.
//!
//! # Working days
//!
//! A working day (FOIA s10(6)) is any day other than a Saturday, a Sunday,
//! Christmas Day, Good Friday or a bank holiday in *any* part of the United
//! Kingdom. So a council in England also skips 2 January and St Andrew's Day
//! (Scotland) and St Patrick's Day and 12 July (Northern Ireland). The
//! [`Calendar`] holds the union of the three gov.uk divisions
//! (`england-and-wales`, `scotland`, `northern-ireland`); Christmas Day and
//! Good Friday are in every division's data.
//!
//! Counting: the *n*-th working day after a date is found by stepping forward
//! from the day after it and counting working days only, so day 1 is the first
//! working day after the date of receipt and the answer is due on day 20.
//! Receipt may fall on a non-working day: a request received on a Saturday
//! has the same deadline as one received on the Friday before.
//!
//! A calendar covers whole years. A date in a year the calendar does not
//! cover is never guessed to be a working day: every question about it is a
//! [`CalendarError::NotCovered`] naming the year and how to add it.
//!
//! # The clock ([`deadline`])
//!
//! - **Clarification** (s1(3)): [`ClockEvent::ClarificationSought`] stops the
//!   clock; [`ClockEvent::Clarified`] makes the day the clarification arrived
//!   the new date of receipt and a full 20 working days start again. Fee
//!   pauses from before the restart no longer matter.
//! - **Fees notice** (s9, s10(2)): the working days in the period *beginning
//!   with the day the fees notice is issued and ending with the day the fee is
//!   received*, both days included, are disregarded. Only days that would
//!   otherwise count (working days after the date of receipt) are
//!   disregarded, and a notice issued after the 20th day moves nothing. So a
//!   notice issued on working day 5 and paid on working day 7 disregards days
//!   5, 6 and 7, and the deadline moves three working days later; a fee paid
//!   the day the notice was issued still disregards that one day.
//! - **Public interest extension** (s10(3)): [`ClockEvent::Extended`] gives a
//!   new due date for the substantive answer. The s17 refusal notice is still
//!   due on the unextended day 20 ([`Deadline::s17_due`]). The ICO expects an
//!   extension of no more than 20 further working days; a longer one is
//!   allowed but [`Extension::beyond_normal`] flags it.
//! - **Internal review** (s45 Code of Practice, paragraphs 5.3–5.5): a review
//!   may be requested up to the 40th working day after the date of the
//!   response ([`review_window`]) and is due by the 20th working day after
//!   the review request is received, 40 exceptionally ([`ReviewWindow::review`]).
//!
//! Every result records [`Calendar::version`], so a letter can say which
//! calendar its dates were counted on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

/// The shipped bank holidays, gov.uk format, 2012 to 2028.
const SHIPPED_JSON: &str = include_str!("../data/bank-holidays.json");

/// How the shipped calendar describes itself in [`Calendar::version`].
const SHIPPED_SOURCE: &str = "Lantern shipped gov.uk bank holidays (snapshot 2026-11)";

/// How a calendar read by [`Calendar::from_govuk_json`] describes itself
/// until [`Calendar::labelled`] names it.
const IMPORTED_SOURCE: &str = "imported gov.uk-format bank holidays";

/// Where current bank holidays can be downloaded.
const GOVUK_URL: &str = "https://www.gov.uk/bank-holidays.json";

/// Working days allowed to respond (s10(1)).
pub const RESPONSE_WORKING_DAYS: u32 = 20;
/// The longest public interest extension the ICO normally accepts, in working
/// days after the original deadline.
pub const NORMAL_EXTENSION_WORKING_DAYS: u32 = 20;
/// Working days after a response within which an internal review may be asked for.
pub const REVIEW_REQUEST_WORKING_DAYS: u32 = 40;
/// Working days allowed for an internal review.
pub const REVIEW_WORKING_DAYS: u32 = 20;
/// Working days allowed for an exceptionally complex internal review.
pub const REVIEW_EXCEPTIONAL_WORKING_DAYS: u32 = 40;

/// A part of the UK with its own bank holidays, as gov.uk divides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Division {
    /// England and Wales (`england-and-wales`).
    EnglandAndWales,
    /// Scotland (`scotland`).
    Scotland,
    /// Northern Ireland (`northern-ireland`).
    NorthernIreland,
}

impl Division {
    /// All three divisions, in gov.uk's order.
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The key gov.uk uses: `england-and-wales`, `scotland`, `northern-ireland`.
    pub fn key(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    /// The name for people: "England and Wales", "Scotland", "Northern Ireland".
    pub fn name(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "England and Wales",
            Division::Scotland => "Scotland",
            Division::NorthernIreland => "Northern Ireland",
        }
    }

    /// The division with gov.uk key `key`.
    pub fn from_key(key: &str) -> Option<Division> {
        Division::ALL.into_iter().find(|d| d.key() == key)
    }
}

/// Why a calendar could not be read or could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A date fell in a year the calendar does not cover.
    #[error(
        "the bank-holiday calendar does not cover {year} (it covers {covered}), so working days \
         in {year} cannot be counted; download {GOVUK_URL} once it lists the whole of {year} \
         (or write that year's days for all three divisions in the same format) and add it with \
         `lantern import bank-holidays FILE`"
    )]
    NotCovered {
        /// The year that is not covered.
        year: i16,
        /// The years that are, e.g. `2012-2028`, or `no years`.
        covered: String,
    },
    /// Counting ran past the last date the calendar library can represent.
    #[error("there is no day after {0}")]
    EndOfTime(Date),
    /// The text is not JSON of the gov.uk shape.
    #[error("the bank-holiday file is not gov.uk-format JSON: {0}")]
    Json(String),
    /// A top-level key is not one of the three divisions.
    #[error(
        "the bank-holiday file has an unknown division '{0}' (expected england-and-wales, \
         scotland or northern-ireland)"
    )]
    UnknownDivision(String),
    /// A division's `division` field disagrees with its key.
    #[error("the bank-holiday file lists '{key}' but its division field says '{says}'")]
    DivisionMismatch {
        /// The top-level key.
        key: String,
        /// What the `division` field said.
        says: String,
    },
    /// An event's date is not a date in the form `YYYY-MM-DD`.
    #[error(
        "the bank-holiday file's {division} event {index} ('{title}') has date '{date}', which \
         is not a date in the form YYYY-MM-DD"
    )]
    BadDate {
        /// The division key.
        division: String,
        /// The event's position in the division's list, from 1.
        index: usize,
        /// The event's title.
        title: String,
        /// The date as written.
        date: String,
    },
    /// An event has no title.
    #[error("the bank-holiday file's {division} event {index} (on {date}) has no title")]
    EmptyTitle {
        /// The division key.
        division: String,
        /// The event's position in the division's list, from 1.
        index: usize,
        /// The event's date.
        date: Date,
    },
    /// The file lists no events at all.
    #[error("the bank-holiday file lists no events")]
    NoEvents,
    /// A day to take out of the calendar is not a bank holiday in it.
    #[error("{0} is not a bank holiday in the calendar, so there is nothing to remove")]
    NotListed(Date),
    /// Taking the day out would leave its year no longer listed whole.
    #[error(
        "{day} cannot be removed: it is the only day {division} lists in {month} {year}, which          is how the calendar knows the year is listed whole; import the year's corrected          gov.uk file with `lantern import bank-holidays FILE` instead"
    )]
    WouldUncover {
        /// The day.
        day: Date,
        /// The division that would list no day in that month.
        division: &'static str,
        /// January or December.
        month: &'static str,
        /// The year.
        year: i16,
    },
}

/// One division's listing of a non-working day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    division: Division,
    title: String,
    substitute: bool,
}

/// The UK's non-working days (other than weekends) for the years it covers,
/// with a version string that identifies its contents.
///
/// A year is *covered* when, for all three divisions, the data lists a day in
/// January (New Year's Day or its substitute) and a day in December
/// (Christmas Day or its substitute): a whole year of gov.uk data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Shared between copies (every page's deadlines copy the shipped
    /// calendar): a copy costs nothing.
    days: std::sync::Arc<BTreeMap<Date, Vec<Entry>>>,
    covered: BTreeSet<i16>,
    source: String,
    version: String,
    /// The listed days that fall on a weekday, as day numbers
    /// ([`day_number`]), in order: what counting working days subtracts
    /// from the weekdays in a range (derived from `days`).
    weekday_holidays: Vec<i32>,
}

#[derive(Deserialize)]
struct RawDivision {
    #[serde(default)]
    division: Option<String>,
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    title: String,
    date: String,
    #[serde(default)]
    notes: String,
}

static SHIPPED: LazyLock<Calendar> = LazyLock::new(|| {
    match Calendar::from_govuk_json(SHIPPED_JSON) {
        Ok(calendar) => calendar.labelled(SHIPPED_SOURCE),
        // Cannot happen (a test parses the shipped file); if it did, a calendar
        // covering no years refuses every question instead of guessing.
        Err(e) => Calendar::build(
            BTreeMap::new(),
            BTreeSet::new(),
            format!("{SHIPPED_SOURCE} (unreadable: {e})"),
        ),
    }
});

impl Calendar {
    /// The bank holidays shipped with Lantern: all three divisions, 2012 to 2028.
    pub fn shipped() -> Calendar {
        SHIPPED.clone()
    }

    /// Reads bank holidays in the gov.uk format
    /// (<https://www.gov.uk/bank-holidays.json>): an object whose keys are
    /// divisions, each `{"division": key, "events": [{"title", "date",
    /// "notes", "bunting"}]}`. Any subset of the three divisions may be
    /// given (a file of proclaimed days may list only the divisions they
    /// apply to); `notes` of "Substitute day" marks a substitute day and
    /// `bunting` is ignored. Only years listed whole for all three divisions
    /// are covered.
    pub fn from_govuk_json(text: &str) -> Result<Calendar, CalendarError> {
        let raw: BTreeMap<String, RawDivision> =
            serde_json::from_str(text).map_err(|e| CalendarError::Json(e.to_string()))?;
        let mut days: BTreeMap<Date, Vec<Entry>> = BTreeMap::new();
        let mut january: BTreeMap<Division, BTreeSet<i16>> = BTreeMap::new();
        let mut december: BTreeMap<Division, BTreeSet<i16>> = BTreeMap::new();
        for (key, listing) in raw {
            let division = Division::from_key(&key)
                .ok_or_else(|| CalendarError::UnknownDivision(key.clone()))?;
            if let Some(says) = listing.division.filter(|says| says != &key) {
                return Err(CalendarError::DivisionMismatch { key, says });
            }
            for (i, event) in listing.events.into_iter().enumerate() {
                let date = parse_iso_date(&event.date).ok_or_else(|| CalendarError::BadDate {
                    division: key.clone(),
                    index: i + 1,
                    title: event.title.clone(),
                    date: event.date.clone(),
                })?;
                let title = event.title.trim();
                if title.is_empty() {
                    return Err(CalendarError::EmptyTitle {
                        division: key.clone(),
                        index: i + 1,
                        date,
                    });
                }
                match date.month() {
                    1 => january.entry(division).or_default().insert(date.year()),
                    12 => december.entry(division).or_default().insert(date.year()),
                    _ => false,
                };
                let entry = Entry {
                    division,
                    title: title.to_string(),
                    substitute: event.notes.trim().eq_ignore_ascii_case("substitute day"),
                };
                let slot = days.entry(date).or_default();
                if !slot.contains(&entry) {
                    slot.push(entry);
                    slot.sort();
                }
            }
        }
        if days.is_empty() {
            return Err(CalendarError::NoEvents);
        }
        let covered = Division::ALL
            .iter()
            .map(|d| {
                let jan = january.get(d).cloned().unwrap_or_default();
                let dec = december.get(d).cloned().unwrap_or_default();
                jan.intersection(&dec).copied().collect::<BTreeSet<i16>>()
            })
            .reduce(|a, b| a.intersection(&b).copied().collect())
            .unwrap_or_default();
        Ok(Calendar::build(days, covered, IMPORTED_SOURCE.to_string()))
    }

    /// The same calendar described as `label` in its version string (for
    /// example "gov.uk download 2026-11-26, sha256 …"). The fingerprint part
    /// of the version still comes from the contents.
    pub fn labelled(self, label: impl Into<String>) -> Calendar {
        Calendar::build(
            std::sync::Arc::unwrap_or_clone(self.days),
            self.covered,
            label.into(),
        )
    }

    /// This calendar with `extra` added, for proclaimed days and newer gov.uk
    /// downloads. A year `extra` covers is taken wholly from `extra`, so a day
    /// moved by proclamation moves; days `extra` lists in years it does not
    /// cover are added to this calendar's. The result covers the years either
    /// covers. If the non-working days or the covered years change, the
    /// version string says what was added or removed; it always changes when
    /// the contents do.
    pub fn merged(&self, extra: &Calendar) -> Calendar {
        let mut days = (*self.days).clone();
        days.retain(|date, _| !extra.covered.contains(&date.year()));
        for (date, entries) in extra.days.iter() {
            let slot = days.entry(*date).or_default();
            for entry in entries {
                if !slot.contains(entry) {
                    slot.push(entry.clone());
                }
            }
            slot.sort();
        }
        let covered: BTreeSet<i16> = self.covered.union(&extra.covered).copied().collect();
        let added: Vec<Date> = days
            .keys()
            .filter(|d| !self.days.contains_key(d))
            .copied()
            .collect();
        let removed: Vec<Date> = self
            .days
            .keys()
            .filter(|d| !days.contains_key(d))
            .copied()
            .collect();
        let mut changes = Vec::new();
        if !added.is_empty() {
            changes.push(format!(
                "{} added ({})",
                days_count(added.len()),
                list_dates(&added)
            ));
        }
        if !removed.is_empty() {
            changes.push(format!(
                "{} removed ({})",
                days_count(removed.len()),
                list_dates(&removed)
            ));
        }
        if covered != self.covered {
            changes.push(format!("now covering {}", describe_years(&covered)));
        }
        let source = if changes.is_empty() {
            self.source.clone()
        } else {
            format!("{} + {}: {}", self.source, extra.source, changes.join(", "))
        };
        Calendar::build(days, covered, source)
    }

    /// The year of `day` as this calendar lists it, without `day`, as a
    /// gov.uk-format file of all three divisions: a calendar that covers
    /// that year, so [`Calendar::merged`] takes the year wholly from it and
    /// the day is no longer skipped. How a day is taken out again (a
    /// calendar version is never changed, a new one is added). Errors: the
    /// year is not covered, the day is not listed, or it is a division's
    /// only day in January or December (the year would no longer be
    /// covered).
    pub fn year_without(&self, day: Date) -> Result<String, CalendarError> {
        let year = day.year();
        if !self.covers(year) {
            return Err(CalendarError::NotCovered {
                year,
                covered: describe_years(&self.covered),
            });
        }
        if !self.days.contains_key(&day) {
            return Err(CalendarError::NotListed(day));
        }
        let in_year = self
            .days
            .iter()
            .filter(|(date, _)| date.year() == year && **date != day);
        let mut divisions: BTreeMap<Division, Vec<serde_json::Value>> =
            Division::ALL.iter().map(|d| (*d, Vec::new())).collect();
        for (date, entries) in in_year {
            for entry in entries {
                divisions
                    .entry(entry.division)
                    .or_default()
                    .push(serde_json::json!({
                        "title": entry.title,
                        "date": date.to_string(),
                        "notes": if entry.substitute { "Substitute day" } else { "" },
                    }));
            }
        }
        for (division, events) in &divisions {
            for (month, name) in [(1, "January"), (12, "December")] {
                let listed = events.iter().any(|e| {
                    e["date"]
                        .as_str()
                        .and_then(parse_iso_date)
                        .is_some_and(|d| d.month() == month)
                });
                if !listed {
                    return Err(CalendarError::WouldUncover {
                        day,
                        division: division.name(),
                        month: name,
                        year,
                    });
                }
            }
        }
        let file: serde_json::Map<String, serde_json::Value> = divisions
            .into_iter()
            .map(|(division, events)| {
                (
                    division.key().to_string(),
                    serde_json::json!({ "division": division.key(), "events": events }),
                )
            })
            .collect();
        Ok(serde_json::Value::Object(file).to_string())
    }

    /// Identifies the calendar: what it is, the years it covers and a
    /// fingerprint of its contents (FNV-1a, 64 bits, over the covered years and
    /// every listed day with its divisions and titles). Two calendars with the
    /// same version count days the same way.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the calendar covers `year` (lists it whole for all three divisions).
    pub fn covers(&self, year: i16) -> bool {
        self.covered.contains(&year)
    }

    /// The covered years, in order.
    pub fn covered_years(&self) -> impl Iterator<Item = i16> + '_ {
        self.covered.iter().copied()
    }

    /// Whether `day` is a working day: not a Saturday or Sunday and not a bank
    /// holiday anywhere in the UK. An error if the calendar does not cover the
    /// year of `day`.
    pub fn is_working_day(&self, day: Date) -> Result<bool, CalendarError> {
        if !self.covers(day.year()) {
            return Err(CalendarError::NotCovered {
                year: day.year(),
                covered: describe_years(&self.covered),
            });
        }
        Ok(!is_weekend(day) && !self.days.contains_key(&day))
    }

    /// The `n`-th working day after `after` (`after` itself when `n` is 0).
    /// Day 1 is the first working day after `after`, whatever `after` is.
    pub fn working_day(&self, after: Date, n: u32) -> Result<Date, CalendarError> {
        self.covered_to(after, self.counted_day(day_number(after), n, &[]))
    }

    /// The number of working days after `from` up to and including `to`
    /// (0 when `to` is not after `from`). So
    /// `working_days_between(d, working_day(d, n)?) == n`.
    pub fn working_days_between(&self, from: Date, to: Date) -> Result<u32, CalendarError> {
        if to <= from {
            return Ok(0);
        }
        let (after, to) = (day_number(from), day_number(to));
        self.covered_to(from, to)?;
        Ok(u32::try_from(self.working_days_in(after, to)).unwrap_or(0))
    }

    /// The bank holidays on weekdays after `from` up to and including `to`,
    /// each with a description such as "Christmas Day", "Boxing Day
    /// (substitute day)" or "St Andrew’s Day (Scotland)" (divisions are named
    /// unless the day is a holiday in all three under the same title). For
    /// saying which holidays a count skipped.
    pub fn holidays_between(&self, from: Date, to: Date) -> Vec<(Date, String)> {
        if to <= from {
            return Vec::new();
        }
        use std::ops::Bound::{Excluded, Included};
        self.days
            .range((Excluded(from), Included(to)))
            .filter(|(date, _)| !is_weekend(**date))
            .map(|(date, entries)| (*date, describe_entries(entries)))
            .collect()
    }

    fn build(days: BTreeMap<Date, Vec<Entry>>, covered: BTreeSet<i16>, source: String) -> Self {
        let version = format!(
            "{source}; covers {}; fingerprint {:016x}",
            describe_years(&covered),
            fingerprint(&days, &covered)
        );
        let weekday_holidays = days
            .keys()
            .filter(|d| !is_weekend(**d))
            .map(|d| day_number(*d))
            .collect();
        Calendar {
            days: std::sync::Arc::new(days),
            covered,
            source,
            version,
            weekday_holidays,
        }
    }

    /// The weekday bank holidays in the day numbers `(after, to]`.
    fn weekday_holidays_in(&self, after: i32, to: i32) -> i32 {
        if to <= after {
            return 0;
        }
        let first = self.weekday_holidays.partition_point(|&d| d <= after);
        let last = self.weekday_holidays.partition_point(|&d| d <= to);
        i32::try_from(last - first).unwrap_or(i32::MAX)
    }

    /// The working days in the day numbers `(after, to]`, counted as the
    /// weekdays less the weekday bank holidays (the calendar's coverage is
    /// the caller's to check).
    fn working_days_in(&self, after: i32, to: i32) -> i32 {
        if to <= after {
            return 0;
        }
        weekdays_before(to + 1) - weekdays_before(after + 1) - self.weekday_holidays_in(after, to)
    }

    /// The `n`-th working day after the day number `after`, where the
    /// working days inside `pauses` (day numbers, both ends included) are
    /// not counted. The least day `d` with `n + paused(d)` working days in
    /// `(after, d]` (`paused(d)`: the paused working days among them): `d`
    /// only grows from the day that ignores the pauses, and stops at the
    /// first such day, which is the one a day-by-day count stops at.
    fn counted_day(&self, after: i32, n: u32, pauses: &[(i32, i32)]) -> i32 {
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        if n == 0 {
            return after;
        }
        let mut day = self.nth_working_day(after, n);
        loop {
            let paused: i32 = pauses
                .iter()
                .map(|&(from, to)| self.working_days_in(after.max(from - 1), to.min(day)))
                .sum();
            let next = self.nth_working_day(after, n.saturating_add(paused));
            if next == day {
                return day;
            }
            day = next;
        }
    }

    /// The `n`-th working day (`n` > 0) after the day number `after`: the
    /// `n`-th weekday, moved on by the weekday holidays it passed until
    /// none is left unaccounted for.
    fn nth_working_day(&self, after: i32, n: i32) -> i32 {
        let first = weekdays_before(after + 1);
        let mut day = nth_weekday(first.saturating_add(n));
        loop {
            let holidays = self.weekday_holidays_in(after, day);
            let next = nth_weekday(first.saturating_add(n).saturating_add(holidays));
            if next == day {
                return day;
            }
            day = next;
        }
    }

    /// Checks that every day in the day numbers `(after, to]` is in a
    /// covered year, naming the first year that is not (the one a
    /// day-by-day count would stop at), and turns `to` back into a date.
    fn covered_to(&self, after: Date, to: i32) -> Result<Date, CalendarError> {
        let start = day_number(after);
        if to <= start {
            return Ok(after);
        }
        let first = from_day_number(start + 1).ok_or(CalendarError::EndOfTime(after))?;
        let last = from_day_number(to);
        let last_year = last.map_or(Date::MAX.year(), |d| d.year());
        if let Some(year) = (first.year()..=last_year).find(|y| !self.covers(*y)) {
            return Err(CalendarError::NotCovered {
                year,
                covered: describe_years(&self.covered),
            });
        }
        last.ok_or(CalendarError::EndOfTime(Date::MAX))
    }
}

/// Days since 1 January 1970 (negative before): a date as a number, for
/// counting. Days from civil: years counted from 1 March so that the leap
/// day ends a year, in 400-year eras of 146,097 days.
fn day_number(day: Date) -> i32 {
    let (y, m, d) = (
        i32::from(day.year()),
        i32::from(day.month()),
        i32::from(day.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a [`day_number`]; `None` outside the dates the calendar
/// library represents.
fn from_day_number(n: i32) -> Option<Date> {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let m = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let y = era * 400 + year_of_era + i32::from(m <= 2);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// Day number 4 (5 January 1970) is a Monday.
const A_MONDAY: i32 = 4;

/// The weekdays among the day numbers before `n`, counted from
/// [`A_MONDAY`] (negative before it): differences count weekdays in ranges.
fn weekdays_before(n: i32) -> i32 {
    let from_monday = n - A_MONDAY;
    5 * from_monday.div_euclid(7) + from_monday.rem_euclid(7).min(5)
}

/// The day number of the weekday `k` counts end at: the least `d` with
/// `weekdays_before(d + 1) == k`.
fn nth_weekday(k: i32) -> i32 {
    let index = k - 1;
    A_MONDAY + 7 * index.div_euclid(5) + index.rem_euclid(5)
}

/// Something that happened to a request that moves its deadline. Dated
/// events must be given in the order they happened, none before receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockEvent {
    /// The council asked the requester to clarify (s1(3)); the clock stops.
    ClarificationSought(Date),
    /// The clarification arrived; it becomes the date of receipt.
    Clarified(Date),
    /// A fees notice (s9) was issued; the clock pauses.
    FeeNoticeIssued(Date),
    /// The fee was received; the clock resumes.
    FeePaid(Date),
    /// The public interest test needs more time (s10(3)): the substantive
    /// answer is now due on `to`. Only a later extension may follow.
    Extended {
        /// The new due date for the substantive answer.
        to: Date,
    },
}

impl ClockEvent {
    /// The day the event happened (`None` for an extension, which names a
    /// due date rather than happening on one).
    pub fn date(self) -> Option<Date> {
        match self {
            ClockEvent::ClarificationSought(d)
            | ClockEvent::Clarified(d)
            | ClockEvent::FeeNoticeIssued(d)
            | ClockEvent::FeePaid(d) => Some(d),
            ClockEvent::Extended { .. } => None,
        }
    }
}

impl fmt::Display for ClockEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockEvent::ClarificationSought(d) => write!(f, "clarification sought on {d}"),
            ClockEvent::Clarified(d) => write!(f, "clarification received on {d}"),
            ClockEvent::FeeNoticeIssued(d) => write!(f, "fees notice issued on {d}"),
            ClockEvent::FeePaid(d) => write!(f, "fee received on {d}"),
            ClockEvent::Extended { to } => write!(f, "extension to {to}"),
        }
    }
}

/// Why the clock is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Waiting for the clarification asked for on `sought`.
    Clarification {
        /// When clarification was asked for.
        sought: Date,
    },
    /// Waiting for the fee asked for by the notice issued on `notice_issued`.
    Fee {
        /// When the fees notice was issued.
        notice_issued: Date,
    },
}

/// A fees notice that was paid: the pause it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePause {
    /// When the notice was issued (the first day of the pause).
    pub issued: Date,
    /// When the fee was received (the last day of the pause).
    pub paid: Date,
    /// How many working days the pause disregarded: its working days after
    /// the date of receipt, or 0 if it began after the deadline it would
    /// have moved.
    pub working_days: u32,
}

/// A public interest extension (s10(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    /// The new due date for the substantive answer.
    pub to: Date,
    /// Working days after the original deadline ([`Deadline::s17_due`]) up to `to`.
    pub working_days: u32,
    /// More than the 20 extra working days the ICO normally accepts: allowed,
    /// but it should be justified.
    pub beyond_normal: bool,
}

/// When a request must be answered, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The date the request was received.
    pub received: Date,
    /// The date of receipt the count runs from: `received`, or the day the
    /// latest clarification arrived (while a clarification is awaited, the
    /// day it was sought).
    pub effective_receipt: Date,
    /// The 20th working day after `effective_receipt`, later by any fee
    /// pauses: when the answer, or the s17 notice naming an exemption whose
    /// public interest test is extended, is due.
    pub s17_due: Date,
    /// When the substantive answer is due: `s17_due`, or the extension's date.
    pub due: Date,
    /// Why the clock is stopped, if it is. While it is, `s17_due` and `due`
    /// are the earliest they can become (as if the clarification or the fee
    /// arrived the day it was asked for).
    pub hold: Option<Hold>,
    /// The paid fees notices since `effective_receipt`.
    pub fee_pauses: Vec<FeePause>,
    /// The public interest extension, if any.
    pub extension: Option<Extension>,
    /// The bank holidays after `effective_receipt` up to `due` (see
    /// [`Calendar::holidays_between`]).
    pub holidays: Vec<(Date, String)>,
    /// The [`Calendar::version`] the dates were counted on.
    pub calendar_version: String,
}

impl Deadline {
    /// Whether the clock is stopped (waiting for a clarification or a fee).
    pub fn on_hold(&self) -> bool {
        self.hold.is_some()
    }

    /// The working days disregarded for fees, in total.
    pub fn paused_working_days(&self) -> u32 {
        self.fee_pauses.iter().map(|p| p.working_days).sum()
    }
}

/// Why a deadline could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The calendar could not count the days.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// An event is dated before the request was received.
    #[error("{event} is before the request was received on {received}")]
    BeforeReceipt {
        /// The event.
        event: ClockEvent,
        /// The date of receipt.
        received: Date,
    },
    /// Events are not in the order they happened.
    #[error("{event} comes after {previous} in the list; give the events in date order")]
    OutOfOrder {
        /// The event out of place.
        event: ClockEvent,
        /// The event listed before it, which is later.
        previous: ClockEvent,
    },
    /// A clarification arrived that was never asked for.
    #[error("{event}, but no clarification was being waited for")]
    ClarifiedWithoutRequest {
        /// The event.
        event: ClockEvent,
    },
    /// A fee was paid without an outstanding fees notice.
    #[error("{event}, but no fees notice was outstanding")]
    FeePaidWithoutNotice {
        /// The event.
        event: ClockEvent,
    },
    /// An event needs the clock running but it was stopped.
    #[error("{event} while the clock was stopped ({})", describe_hold(*.hold))]
    OnHold {
        /// The event.
        event: ClockEvent,
        /// Why the clock was stopped.
        hold: Hold,
    },
    /// Something other than a further extension follows an extension.
    #[error("{event} after a public interest extension; only a further extension can follow one")]
    AfterExtension {
        /// The event.
        event: ClockEvent,
    },
    /// An extension is not later than the deadline it extends.
    #[error("an extension must be later than the deadline it extends ({deadline}), not {to}")]
    ExtensionNotLater {
        /// The date given.
        to: Date,
        /// The unextended deadline.
        deadline: Date,
    },
    /// A review request is dated before the response it is about.
    #[error("a review requested on {requested} cannot be of a response sent on {responded}")]
    ReviewBeforeResponse {
        /// When the review was requested.
        requested: Date,
        /// When the response was sent.
        responded: Date,
    },
}

fn describe_hold(hold: Hold) -> String {
    match hold {
        Hold::Clarification { sought } => {
            format!("waiting for the clarification sought on {sought}")
        }
        Hold::Fee { notice_issued } => {
            format!("waiting for the fee asked for on {notice_issued}")
        }
    }
}

/// The deadline for a request received on `received`, after `events` (in the
/// order they happened). See the module documentation for the rules.
pub fn deadline(
    calendar: &Calendar,
    received: Date,
    events: &[ClockEvent],
) -> Result<Deadline, DeadlineError> {
    let mut effective_receipt = received;
    let mut pauses: Vec<(Date, Date)> = Vec::new();
    let mut hold: Option<Hold> = None;
    let mut extended_to: Option<Date> = None;
    let mut previous: Option<(ClockEvent, Date)> = None;

    for &event in events {
        if let Some(date) = event.date() {
            if date < received {
                return Err(DeadlineError::BeforeReceipt { event, received });
            }
            if let Some((prev, prev_date)) = previous
                && date < prev_date
            {
                return Err(DeadlineError::OutOfOrder {
                    event,
                    previous: prev,
                });
            }
            if extended_to.is_some() {
                return Err(DeadlineError::AfterExtension { event });
            }
            previous = Some((event, date));
        }
        match (event, hold) {
            (ClockEvent::ClarificationSought(sought), None) => {
                hold = Some(Hold::Clarification { sought });
            }
            (ClockEvent::Clarified(arrived), Some(Hold::Clarification { .. })) => {
                effective_receipt = arrived;
                pauses.clear();
                hold = None;
            }
            (ClockEvent::Clarified(_), _) => {
                return Err(DeadlineError::ClarifiedWithoutRequest { event });
            }
            (ClockEvent::FeeNoticeIssued(notice_issued), None) => {
                hold = Some(Hold::Fee { notice_issued });
            }
            (ClockEvent::FeePaid(paid), Some(Hold::Fee { notice_issued })) => {
                pauses.push((notice_issued, paid));
                hold = None;
            }
            (ClockEvent::FeePaid(_), _) => {
                return Err(DeadlineError::FeePaidWithoutNotice { event });
            }
            (ClockEvent::Extended { to }, None) => extended_to = Some(to),
            (
                ClockEvent::ClarificationSought(_)
                | ClockEvent::FeeNoticeIssued(_)
                | ClockEvent::Extended { .. },
                Some(hold),
            ) => return Err(DeadlineError::OnHold { event, hold }),
        }
    }

    // While on hold, count as if the hold ended the day it began.
    match hold {
        Some(Hold::Clarification { sought }) => {
            effective_receipt = sought;
            pauses.clear();
        }
        Some(Hold::Fee { notice_issued }) => pauses.push((notice_issued, notice_issued)),
        None => {}
    }
    let (s17_due, skipped) =
        count_with_pauses(calendar, effective_receipt, RESPONSE_WORKING_DAYS, &pauses)?;
    let fee_pauses = pauses
        .iter()
        .zip(skipped)
        .take(pauses.len() - usize::from(matches!(hold, Some(Hold::Fee { .. }))))
        .map(|(&(issued, paid), working_days)| FeePause {
            issued,
            paid,
            working_days,
        })
        .collect();
    let extension = match extended_to {
        Some(to) if to <= s17_due => {
            return Err(DeadlineError::ExtensionNotLater {
                to,
                deadline: s17_due,
            });
        }
        Some(to) => {
            let working_days = calendar.working_days_between(s17_due, to)?;
            Some(Extension {
                to,
                working_days,
                beyond_normal: working_days > NORMAL_EXTENSION_WORKING_DAYS,
            })
        }
        None => None,
    };
    let due = extension.map_or(s17_due, |e| e.to);
    Ok(Deadline {
        received,
        effective_receipt,
        s17_due,
        due,
        hold,
        fee_pauses,
        extension,
        holidays: calendar.holidays_between(effective_receipt, due),
        calendar_version: calendar.version().to_string(),
    })
}

/// The `n`-th counted working day after `after`, where working days inside
/// a pause (first and last day included) are not counted; with how many
/// working days each pause disregarded.
fn count_with_pauses(
    calendar: &Calendar,
    after: Date,
    n: u32,
    pauses: &[(Date, Date)],
) -> Result<(Date, Vec<u32>), CalendarError> {
    let start = day_number(after);
    // A day in two pauses (a fee paid the day the next notice is issued)
    // is disregarded once, in the first: each pause starts after the
    // previous ones end.
    let mut ended = i32::MIN;
    let numbered: Vec<(i32, i32)> = pauses
        .iter()
        .map(|&(from, to)| {
            let from = day_number(from).max(ended.saturating_add(1));
            let to = day_number(to);
            ended = ended.max(to);
            (from, to)
        })
        .collect();
    let end = calendar.counted_day(start, n, &numbered);
    let day = calendar.covered_to(after, end)?;
    let skipped = numbered
        .iter()
        .map(|&(from, to)| {
            let k = calendar.working_days_in(start.max(from - 1), to.min(end));
            u32::try_from(k).unwrap_or(0)
        })
        .collect();
    Ok((day, skipped))
}

/// How long after a response an internal review may be asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewWindow {
    /// When the response was sent.
    pub responded: Date,
    /// The last day a review request is accepted as of right: the 40th
    /// working day after `responded`.
    pub accept_until: Date,
    /// The [`Calendar::version`] the dates were counted on.
    pub calendar_version: String,
}

/// When an internal review requested on a given day is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// When the review request was received.
    pub requested: Date,
    /// The 20th working day after `requested`.
    pub due: Date,
    /// The 40th working day after `requested`, for exceptionally complex reviews.
    pub exceptional_due: Date,
    /// Requested after [`ReviewWindow::accept_until`]: the council may
    /// decline it, or accept it at its discretion.
    pub late: bool,
    /// The [`Calendar::version`] the dates were counted on.
    pub calendar_version: String,
}

/// The window for asking for an internal review of a response sent on `responded`.
pub fn review_window(calendar: &Calendar, responded: Date) -> Result<ReviewWindow, CalendarError> {
    Ok(ReviewWindow {
        responded,
        accept_until: calendar.working_day(responded, REVIEW_REQUEST_WORKING_DAYS)?,
        calendar_version: calendar.version().to_string(),
    })
}

impl ReviewWindow {
    /// When a review requested on `requested` is due, and whether the request was late.
    pub fn review(&self, calendar: &Calendar, requested: Date) -> Result<Review, DeadlineError> {
        if requested < self.responded {
            return Err(DeadlineError::ReviewBeforeResponse {
                requested,
                responded: self.responded,
            });
        }
        Ok(Review {
            requested,
            due: calendar.working_day(requested, REVIEW_WORKING_DAYS)?,
            exceptional_due: calendar.working_day(requested, REVIEW_EXCEPTIONAL_WORKING_DAYS)?,
            late: requested > self.accept_until,
            calendar_version: calendar.version().to_string(),
        })
    }
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Parses exactly `YYYY-MM-DD`.
fn parse_iso_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) {
        return None;
    }
    if !digits(8..10) {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = text[5..7].parse().ok()?;
    let day = text[8..10].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// "2012-2028", "2012-2028, 2030", or "no years".
fn describe_years(years: &BTreeSet<i16>) -> String {
    let mut runs: Vec<(i16, i16)> = Vec::new();
    for &y in years {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == y => *last = y,
            _ => runs.push((y, y)),
        }
    }
    if runs.is_empty() {
        return "no years".to_string();
    }
    runs.iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn days_count(n: usize) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// Up to four dates, then "… and N more".
fn list_dates(dates: &[Date]) -> String {
    const SHOWN: usize = 4;
    let shown: Vec<String> = dates.iter().take(SHOWN).map(Date::to_string).collect();
    if dates.len() > SHOWN {
        format!("{} and {} more", shown.join(", "), dates.len() - SHOWN)
    } else {
        shown.join(", ")
    }
}

fn describe_entries(entries: &[Entry]) -> String {
    let mut groups: BTreeMap<(&str, bool), Vec<Division>> = BTreeMap::new();
    for e in entries {
        groups
            .entry((e.title.as_str(), e.substitute))
            .or_default()
            .push(e.division);
    }
    groups
        .into_iter()
        .map(|((title, substitute), divisions)| {
            let mut text = title.to_string();
            if substitute {
                text.push_str(" (substitute day)");
            }
            if divisions.len() < Division::ALL.len() {
                let names: Vec<&str> = divisions.iter().map(|d| d.name()).collect();
                text.push_str(&format!(" ({})", names.join(", ")));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// FNV-1a (64 bits) over the covered years and every entry.
fn fingerprint(days: &BTreeMap<Date, Vec<Entry>>, covered: &BTreeSet<i16>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |text: &str| {
        for &byte in text.as_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for year in covered {
        feed(&format!("covers {year}\n"));
    }
    for (date, entries) in days {
        for e in entries {
            feed(&format!(
                "{date}\t{}\t{}\t{}\n",
                e.division.key(),
                e.title,
                if e.substitute { "substitute" } else { "" }
            ));
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn cal() -> Calendar {
        Calendar::shipped()
    }

    fn due(received: Date, events: &[ClockEvent]) -> Deadline {
        deadline(&cal(), received, events).unwrap_or_else(|e| panic!("{e}"))
    }

    // ---- the shipped data -------------------------------------------------

    #[test]
    fn the_shipped_file_parses_and_covers_2012_to_2028_and_no_other_year() {
        let calendar = Calendar::from_govuk_json(SHIPPED_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            calendar.covered_years().collect::<Vec<_>>(),
            (2012..=2028).collect::<Vec<_>>()
        );
        assert!(cal().version().starts_with(SHIPPED_SOURCE));
        assert!(cal().version().contains("covers 2012-2028"));
    }

    #[test]
    fn every_division_lists_days_in_every_year_from_2012_to_2028() {
        let raw: BTreeMap<String, RawDivision> =
            serde_json::from_str(SHIPPED_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            raw.keys().map(String::as_str).collect::<Vec<_>>(),
            ["england-and-wales", "northern-ireland", "scotland"]
        );
        for (key, division) in &raw {
            assert_eq!(division.division.as_deref(), Some(key.as_str()));
            for year in 2012..=2028 {
                let prefix = format!("{year}-");
                let n = division
                    .events
                    .iter()
                    .filter(|e| e.date.starts_with(&prefix))
                    .count();
                // E&W 8, Scotland 9, NI 10 in an ordinary year.
                assert!(n >= 8, "{key} lists only {n} days in {year}");
            }
            for event in &division.events {
                let d = parse_iso_date(&event.date).unwrap_or_else(|| panic!("{}", event.date));
                assert!(!is_weekend(d), "{key} lists {} on a weekend", event.date);
            }
        }
    }

    fn listed(division: Division, day: Date) -> Option<String> {
        cal().days.get(&day).and_then(|entries| {
            entries
                .iter()
                .find(|e| e.division == division)
                .map(|e| e.title.clone())
        })
    }

    #[test]
    fn known_dates_are_listed_for_the_right_divisions() {
        use Division::*;
        const ALL: &[Division] = &[EnglandAndWales, Scotland, NorthernIreland];
        const EW_NI: &[Division] = &[EnglandAndWales, NorthernIreland];
        // (divisions that list it, date, title); the others must not list it.
        let known: &[(&[Division], Date, &str)] = &[
            (
                ALL,
                date(2022, 9, 19),
                "Bank holiday for the State Funeral of Queen Elizabeth II",
            ),
            (
                ALL,
                date(2023, 5, 8),
                "Bank holiday for the coronation of King Charles III",
            ),
            (ALL, date(2020, 5, 8), "Early May bank holiday (VE day)"),
            (ALL, date(2012, 6, 4), "Spring bank holiday"),
            (ALL, date(2012, 6, 5), "Queen’s Diamond Jubilee"),
            (ALL, date(2022, 6, 2), "Spring bank holiday"),
            (ALL, date(2022, 6, 3), "Platinum Jubilee bank holiday"),
            (
                &[NorthernIreland],
                date(2024, 7, 12),
                "Battle of the Boyne (Orangemen’s Day)",
            ),
            (
                &[NorthernIreland],
                date(2026, 7, 13),
                "Battle of the Boyne (Orangemen’s Day)",
            ),
            (&[NorthernIreland], date(2024, 3, 18), "St Patrick’s Day"),
            (&[Scotland], date(2023, 11, 30), "St Andrew’s Day"),
            (&[Scotland], date(2024, 12, 2), "St Andrew’s Day"),
            (&[Scotland], date(2024, 1, 2), "2nd January"),
            (&[Scotland], date(2024, 8, 5), "Summer bank holiday"),
            (EW_NI, date(2024, 8, 26), "Summer bank holiday"),
            // Christmas on a Saturday (2021) and on a Sunday (2022).
            (ALL, date(2021, 12, 27), "Christmas Day"),
            (ALL, date(2021, 12, 28), "Boxing Day"),
            (ALL, date(2022, 12, 26), "Boxing Day"),
            (ALL, date(2022, 12, 27), "Christmas Day"),
            // New Year on a Saturday (2022): Scotland takes Monday and Tuesday.
            (ALL, date(2022, 1, 3), "New Year’s Day"),
            (&[Scotland], date(2022, 1, 4), "2nd January"),
        ];
        for &(divisions, day, title) in known {
            for d in Division::ALL {
                let expected = divisions.contains(&d).then(|| title.to_string());
                assert_eq!(listed(d, day), expected, "{d:?} {day}");
            }
        }
        // Days that moved are not listed where they would have been.
        for day in [date(2020, 5, 4), date(2012, 5, 28), date(2022, 5, 30)] {
            assert!(!cal().days.contains_key(&day), "{day}");
        }
        // Good Friday everywhere; Easter Monday everywhere but Scotland.
        for easter in [
            date(2016, 3, 27),
            date(2017, 4, 16),
            date(2019, 4, 21),
            date(2020, 4, 12),
            date(2024, 3, 31),
            date(2025, 4, 20),
            date(2026, 4, 5),
        ] {
            let good_friday = easter - jiff::Span::new().days(2);
            let monday = easter + jiff::Span::new().days(1);
            for d in Division::ALL {
                assert_eq!(listed(d, good_friday).as_deref(), Some("Good Friday"));
                let expected = (d != Scotland).then(|| "Easter Monday".to_string());
                assert_eq!(listed(d, monday), expected, "{d:?} {monday}");
            }
        }
    }

    #[test]
    fn holidays_are_described_with_their_divisions_and_substitutes() {
        let holidays = cal().holidays_between(date(2022, 12, 23), date(2023, 1, 3));
        let text: Vec<String> = holidays.iter().map(|(d, t)| format!("{d} {t}")).collect();
        assert_eq!(
            text,
            [
                "2022-12-26 Boxing Day",
                "2022-12-27 Christmas Day (substitute day)",
                "2023-01-02 2nd January (Scotland); New Year’s Day (substitute day) (England and Wales, Northern Ireland)",
                "2023-01-03 New Year’s Day (substitute day) (Scotland)",
            ]
        );
    }

    // ---- reading and merging files ------------------------------------------

    const PROCLAIMED: &str = r#"{"england-and-wales": {"division": "england-and-wales", "events": [
        {"title": "Proclaimed bank holiday", "date": "2027-06-11", "notes": "", "bunting": true}]}}"#;

    #[test]
    fn proclaimed_days_are_added_and_change_the_version() {
        let extra = Calendar::from_govuk_json(PROCLAIMED).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(extra.covered_years().count(), 0, "one day covers no year");
        let merged = cal().merged(&extra);
        assert_ne!(merged.version(), cal().version());
        assert!(
            merged.version().contains("1 day added (2027-06-11)"),
            "{}",
            merged.version()
        );
        assert_eq!(merged.is_working_day(date(2027, 6, 11)), Ok(false));
        assert_eq!(cal().is_working_day(date(2027, 6, 11)), Ok(true));
        assert_eq!(
            merged.holidays_between(date(2027, 6, 10), date(2027, 6, 11)),
            [(
                date(2027, 6, 11),
                "Proclaimed bank holiday (England and Wales)".to_string()
            )]
        );
        // Merging the same again adds nothing new.
        assert_eq!(merged.merged(&extra).version(), merged.version());
        // Merging the shipped data into itself changes nothing.
        assert_eq!(cal().merged(&cal()).version(), cal().version());
    }

    #[test]
    fn a_file_covering_a_year_replaces_that_year_so_moved_days_move() {
        // 2029 for all three divisions (abridged), with an early May holiday
        // that has been moved from Monday 7 May to Tuesday 8 May.
        let year = |key: &str| {
            format!(
                r#""{key}": {{"division": "{key}", "events": [
                {{"title": "New Year’s Day", "date": "2029-01-01", "notes": "", "bunting": true}},
                {{"title": "Early May bank holiday", "date": "2029-05-08", "notes": "", "bunting": true}},
                {{"title": "Christmas Day", "date": "2029-12-25", "notes": "", "bunting": true}}]}}"#
            )
        };
        let text = format!(
            "{{{}, {}, {}}}",
            year("england-and-wales"),
            year("scotland"),
            year("northern-ireland")
        );
        let extra = Calendar::from_govuk_json(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(extra.covered_years().collect::<Vec<_>>(), [2029]);
        let merged = cal().merged(&extra);
        assert!(merged.covers(2029));
        assert_eq!(merged.is_working_day(date(2029, 5, 8)), Ok(false));
        assert_eq!(merged.is_working_day(date(2029, 5, 7)), Ok(true));
        assert!(
            merged.version().contains("covers 2012-2029"),
            "{}",
            merged.version()
        );

        // A file covering 2027 without Boxing Day drops the shipped one.
        let moved = text.replace("2029", "2027");
        let merged =
            cal().merged(&Calendar::from_govuk_json(&moved).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(merged.is_working_day(date(2027, 12, 27)), Ok(true));
        assert!(merged.version().contains("removed"), "{}", merged.version());
    }

    #[test]
    fn dates_outside_the_covered_years_are_errors_that_say_how_to_add_them() {
        let err = cal().is_working_day(date(2029, 3, 14)).unwrap_err();
        assert_eq!(
            err,
            CalendarError::NotCovered {
                year: 2029,
                covered: "2012-2028".into()
            }
        );
        let message = err.to_string();
        assert!(message.contains("does not cover 2029"), "{message}");
        assert!(
            message.contains("lantern import bank-holidays FILE"),
            "{message}"
        );
        // Even a Saturday is not guessed about.
        assert!(cal().is_working_day(date(2011, 12, 31)).is_err());
        // A count that runs off the end of the calendar fails too.
        assert!(matches!(
            deadline(&cal(), date(2028, 12, 15), &[]),
            Err(DeadlineError::Calendar(CalendarError::NotCovered {
                year: 2029,
                ..
            }))
        ));
    }

    #[test]
    fn malformed_files_are_clear_errors() {
        let bad = |text: &str| Calendar::from_govuk_json(text).unwrap_err().to_string();
        assert!(bad("[").contains("not gov.uk-format JSON"));
        assert!(bad(r#"{"wales": {"events": []}}"#).contains("unknown division 'wales'"));
        assert!(
            bad(r#"{"scotland": {"division": "england-and-wales", "events": []}}"#)
                .contains("division field says 'england-and-wales'")
        );
        let message =
            bad(r#"{"scotland": {"events": [{"title": "X", "date": "30/11/2027", "notes": ""}]}}"#);
        assert!(message.contains("scotland event 1 ('X')"), "{message}");
        assert!(message.contains("'30/11/2027'"), "{message}");
        assert!(
            bad(r#"{"scotland": {"events": [{"title": "X", "date": "2027-02-30"}]}}"#)
                .contains("not a date")
        );
        assert!(bad(r#"{"scotland": {"events": []}}"#).contains("no events"));
        assert!(
            bad(r#"{"scotland": {"events": [{"title": " ", "date": "2027-02-03"}]}}"#)
                .contains("no title")
        );
    }

    // ---- counting -----------------------------------------------------------

    #[test]
    fn a_request_received_on_a_friday_is_due_four_weeks_later() {
        // February 2024 has no bank holidays: day 1 is Monday 5 February and
        // day 20 is Friday 1 March.
        let d = due(date(2024, 2, 2), &[]);
        assert_eq!(d.effective_receipt, date(2024, 2, 2));
        assert_eq!(d.due, date(2024, 3, 1));
        assert_eq!(d.s17_due, date(2024, 3, 1));
        assert!(d.holidays.is_empty());
        assert!(!d.on_hold());
        assert_eq!(d.calendar_version, cal().version());
    }

    #[test]
    fn a_request_received_on_a_saturday_is_due_when_one_received_the_friday_before_is() {
        assert_eq!(due(date(2024, 2, 3), &[]).due, date(2024, 3, 1));
        assert_eq!(due(date(2024, 2, 4), &[]).due, date(2024, 3, 1));
    }

    #[test]
    fn a_request_received_shortly_before_christmas_skips_christmas_and_new_year() {
        // Received Friday 20 December 2024.
        //  1 Mon 23 Dec   2 Tue 24 Dec   (Wed 25 Christmas, Thu 26 Boxing Day)
        //  3 Fri 27 Dec   4 Mon 30 Dec   5 Tue 31 Dec   (Wed 1 Jan New Year)
        //  (Thu 2 Jan: 2nd January in Scotland)
        //  6 Fri 3 Jan    7-11 Mon 6 - Fri 10 Jan   12-16 Mon 13 - Fri 17 Jan
        // 17 Mon 20 Jan  18 Tue 21 Jan  19 Wed 22 Jan  20 Thu 23 Jan 2025.
        let d = due(date(2024, 12, 20), &[]);
        assert_eq!(d.due, date(2025, 1, 23));
        let skipped: Vec<Date> = d.holidays.iter().map(|(d, _)| *d).collect();
        assert_eq!(
            skipped,
            [
                date(2024, 12, 25),
                date(2024, 12, 26),
                date(2025, 1, 1),
                date(2025, 1, 2)
            ]
        );
        assert_eq!(d.holidays[3].1, "2nd January (Scotland)");
    }

    #[test]
    fn a_request_received_before_easter_skips_good_friday_and_easter_monday() {
        // Received Monday 7 April 2025. Days 1-8 are Tue 8 - Thu 17 April;
        // Good Friday 18 and Easter Monday 21 April are skipped; 9-17 are
        // Tue 22 April - Fri 2 May; the early May bank holiday (Mon 5 May) is
        // skipped; 18 Tue 6, 19 Wed 7, 20 Thu 8 May.
        let d = due(date(2025, 4, 7), &[]);
        assert_eq!(d.due, date(2025, 5, 8));
        let titles: Vec<&str> = d.holidays.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Good Friday",
                "Easter Monday (England and Wales, Northern Ireland)",
                "Early May bank holiday"
            ]
        );
    }

    #[test]
    fn st_andrews_day_counts_in_england_because_any_uk_holiday_counts() {
        // Received Wednesday 15 November 2023. Days 1-10 are Thu 16 - Wed 29
        // November; Thursday 30 November (St Andrew's Day, Scotland) is
        // skipped; 11 Fri 1 December ... 20 Thu 14 December. Without it the
        // answer would be due on Wednesday 13 December.
        let d = due(date(2023, 11, 15), &[]);
        assert_eq!(d.due, date(2023, 12, 14));
        assert_eq!(
            d.holidays,
            [(date(2023, 11, 30), "St Andrew’s Day (Scotland)".to_string())]
        );
    }

    #[test]
    fn the_twelfth_of_july_counts_in_england_because_any_uk_holiday_counts() {
        // Received Monday 1 July 2024. Days 1-8 are Tue 2 - Thu 11 July; Friday
        // 12 July (Battle of the Boyne, Northern Ireland) is skipped; 9 Mon 15
        // July ... 20 Tue 30 July.
        let d = due(date(2024, 7, 1), &[]);
        assert_eq!(d.due, date(2024, 7, 30));
        assert_eq!(
            d.holidays,
            [(
                date(2024, 7, 12),
                "Battle of the Boyne (Orangemen’s Day) (Northern Ireland)".to_string()
            )]
        );
    }

    #[test]
    fn a_clarification_restarts_the_full_twenty_days_from_its_arrival() {
        use ClockEvent::*;
        let sought = ClarificationSought(date(2024, 2, 6));
        let d = due(date(2024, 2, 2), &[sought, Clarified(date(2024, 2, 12))]);
        assert_eq!(d.received, date(2024, 2, 2));
        assert_eq!(d.effective_receipt, date(2024, 2, 12));
        // Day 1 Tue 13 February, day 20 Monday 11 March.
        assert_eq!(d.due, date(2024, 3, 11));
        assert!(!d.on_hold());
    }

    #[test]
    fn while_clarification_is_awaited_the_request_is_on_hold() {
        let sought = date(2024, 2, 6);
        let d = due(date(2024, 2, 2), &[ClockEvent::ClarificationSought(sought)]);
        assert!(d.on_hold());
        assert_eq!(d.hold, Some(Hold::Clarification { sought }));
        // The earliest it can be due: 20 working days after the day it was sought.
        assert_eq!(
            d.due,
            cal()
                .working_day(sought, 20)
                .unwrap_or_else(|e| panic!("{e}"))
        );
        assert_eq!(d.due, date(2024, 3, 5));
    }

    #[test]
    fn a_fee_pause_moves_the_deadline_by_the_working_days_from_notice_to_payment() {
        use ClockEvent::*;
        // Received Friday 2 February 2024, due Friday 1 March without a fee.
        // Notice issued Thursday 8 February (day 4), fee received Wednesday 14
        // February: Thu 8, Fri 9, Mon 12, Tue 13 and Wed 14 are disregarded
        // (5 working days), so the count resumes on Thursday 15 (day 4) and
        // day 20 is Friday 8 March, five working days after 1 March.
        let events = [
            FeeNoticeIssued(date(2024, 2, 8)),
            FeePaid(date(2024, 2, 14)),
        ];
        let d = due(date(2024, 2, 2), &events);
        assert_eq!(d.due, date(2024, 3, 8));
        assert_eq!(d.paused_working_days(), 5);
        assert_eq!(
            d.fee_pauses,
            [FeePause {
                issued: date(2024, 2, 8),
                paid: date(2024, 2, 14),
                working_days: 5
            }]
        );
        // Paid the day the notice was issued: that one day is disregarded.
        let same_day = [FeeNoticeIssued(date(2024, 2, 8)), FeePaid(date(2024, 2, 8))];
        assert_eq!(due(date(2024, 2, 2), &same_day).due, date(2024, 3, 4));
        // A notice issued at a weekend and paid at the same weekend moves nothing.
        let weekend = [
            FeeNoticeIssued(date(2024, 2, 10)),
            FeePaid(date(2024, 2, 11)),
        ];
        assert_eq!(due(date(2024, 2, 2), &weekend).due, date(2024, 3, 1));
        // Unpaid: on hold, and due no earlier than with a same-day payment.
        let unpaid = due(date(2024, 2, 2), &[FeeNoticeIssued(date(2024, 2, 8))]);
        assert_eq!(
            unpaid.hold,
            Some(Hold::Fee {
                notice_issued: date(2024, 2, 8)
            })
        );
        assert_eq!(unpaid.due, date(2024, 3, 4));
        assert!(unpaid.fee_pauses.is_empty());
    }

    #[test]
    fn an_extension_moves_the_answer_but_keeps_the_s17_notice_on_day_twenty() {
        // Received 2 February 2024; day 20 is Friday 1 March. From there to
        // Thursday 28 March is 18 working days (Monday 18 March, St Patrick's
        // Day in Northern Ireland, is skipped).
        let d = due(
            date(2024, 2, 2),
            &[ClockEvent::Extended {
                to: date(2024, 3, 28),
            }],
        );
        assert_eq!(d.s17_due, date(2024, 3, 1));
        assert_eq!(d.due, date(2024, 3, 28));
        assert_eq!(
            d.extension,
            Some(Extension {
                to: date(2024, 3, 28),
                working_days: 18,
                beyond_normal: false
            })
        );
        // The 20th extra working day is Wednesday 3 April (after Good Friday
        // and Easter Monday); Thursday 4 April is beyond what the ICO expects.
        let at_limit = due(
            date(2024, 2, 2),
            &[ClockEvent::Extended {
                to: date(2024, 4, 3),
            }],
        );
        assert_eq!(
            at_limit
                .extension
                .map(|e| (e.working_days, e.beyond_normal)),
            Some((20, false))
        );
        let beyond = due(
            date(2024, 2, 2),
            &[ClockEvent::Extended {
                to: date(2024, 4, 4),
            }],
        );
        assert_eq!(
            beyond.extension.map(|e| (e.working_days, e.beyond_normal)),
            Some((21, true))
        );
        assert_eq!(beyond.s17_due, date(2024, 3, 1));
    }

    #[test]
    fn an_extension_not_later_than_the_deadline_is_an_error() {
        let err = deadline(
            &cal(),
            date(2024, 2, 2),
            &[ClockEvent::Extended {
                to: date(2024, 3, 1),
            }],
        )
        .unwrap_err();
        assert_eq!(
            err,
            DeadlineError::ExtensionNotLater {
                to: date(2024, 3, 1),
                deadline: date(2024, 3, 1)
            }
        );
        assert!(
            err.to_string()
                .contains("later than the deadline it extends (2024-03-01)")
        );
    }

    #[test]
    fn bad_event_sequences_are_typed_errors() {
        use ClockEvent::*;
        let received = date(2024, 2, 2);
        let run = |events: &[ClockEvent]| deadline(&cal(), received, events).unwrap_err();
        let err = run(&[Clarified(date(2024, 2, 5))]);
        assert!(matches!(err, DeadlineError::ClarifiedWithoutRequest { .. }));
        assert!(
            err.to_string()
                .contains("no clarification was being waited for")
        );
        let err = run(&[FeePaid(date(2024, 2, 5))]);
        assert!(matches!(err, DeadlineError::FeePaidWithoutNotice { .. }));
        assert!(err.to_string().contains("no fees notice was outstanding"));
        let err = run(&[FeeNoticeIssued(date(2024, 2, 1))]);
        assert!(
            err.to_string()
                .contains("before the request was received on 2024-02-02")
        );
        let err = run(&[
            ClarificationSought(date(2024, 2, 9)),
            Clarified(date(2024, 2, 8)),
        ]);
        assert!(matches!(err, DeadlineError::OutOfOrder { .. }));
        let err = run(&[
            FeeNoticeIssued(date(2024, 2, 5)),
            ClarificationSought(date(2024, 2, 6)),
        ]);
        assert!(matches!(err, DeadlineError::OnHold { .. }));
        assert!(
            err.to_string()
                .contains("waiting for the fee asked for on 2024-02-05"),
            "{err}"
        );
        let err = run(&[
            ClarificationSought(date(2024, 2, 5)),
            Extended {
                to: date(2024, 4, 1),
            },
        ]);
        assert!(matches!(err, DeadlineError::OnHold { .. }));
        let err = run(&[
            Extended {
                to: date(2024, 4, 1),
            },
            FeeNoticeIssued(date(2024, 2, 6)),
        ]);
        assert!(matches!(err, DeadlineError::AfterExtension { .. }));
        // A second, later extension replaces the first.
        let twice = [
            Extended {
                to: date(2024, 3, 20),
            },
            Extended {
                to: date(2024, 3, 28),
            },
        ];
        assert_eq!(due(received, &twice).due, date(2024, 3, 28));
    }

    #[test]
    fn the_internal_review_window_is_forty_working_days_and_reviews_take_twenty() {
        // Response sent Friday 1 March 2024. Forty working days later, skipping
        // St Patrick's Day (Mon 18 March, NI), Good Friday (29 March) and
        // Easter Monday (1 April), is Wednesday 1 May.
        let window = review_window(&cal(), date(2024, 3, 1)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(window.accept_until, date(2024, 5, 1));
        // Review asked for on Tuesday 9 April: due on the 20th working day,
        // Wednesday 8 May (after the early May bank holiday, 6 May); 40 days
        // exceptionally, Thursday 6 June (after the spring bank holiday, 27 May).
        let review = window
            .review(&cal(), date(2024, 4, 9))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(review.due, date(2024, 5, 8));
        assert_eq!(review.exceptional_due, date(2024, 6, 6));
        assert!(!review.late);
        let on_last_day = window.review(&cal(), date(2024, 5, 1));
        assert_eq!(on_last_day.map(|r| r.late), Ok(false));
        let late = window.review(&cal(), date(2024, 5, 2));
        assert_eq!(late.map(|r| r.late), Ok(true));
        assert!(matches!(
            window.review(&cal(), date(2024, 2, 29)),
            Err(DeadlineError::ReviewBeforeResponse { .. })
        ));
    }

    #[test]
    fn working_day_zero_is_the_day_itself_and_counting_round_trips() {
        let c = cal();
        let d = date(2024, 12, 21);
        assert_eq!(c.working_day(d, 0), Ok(d));
        assert_eq!(c.working_day(d, 1), Ok(date(2024, 12, 23)));
        assert_eq!(c.working_days_between(d, d), Ok(0));
        assert_eq!(c.working_days_between(date(2024, 12, 30), d), Ok(0));
        assert_eq!(c.working_days_between(d, date(2025, 1, 23)), Ok(20));
    }

    // ---- properties ---------------------------------------------------------

    /// A date from 1 January 2012 to 15 November 2028, leaving room for the
    /// count to finish inside the calendar (the deadline for 29 November 2028
    /// is already in 2029).
    fn arb_receipt() -> impl Strategy<Value = Date> {
        (0i64..6163).prop_map(|n| date(2012, 1, 1) + jiff::Span::new().days(n))
    }

    /// A date from 1 January 2012 to 30 September 2028, leaving room for a
    /// fee pause as well.
    fn arb_early_receipt() -> impl Strategy<Value = Date> {
        (0i64..6117).prop_map(|n| date(2012, 1, 1) + jiff::Span::new().days(n))
    }

    proptest! {
        #[test]
        fn the_deadline_is_the_twentieth_working_day_after_receipt(received in arb_receipt()) {
            let c = cal();
            let d = deadline(&c, received, &[]).unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(c.is_working_day(d.due), Ok(true));
            prop_assert!(d.due > received);
            prop_assert_eq!(c.working_days_between(received, d.due), Ok(20));
            for k in 1..20 {
                let earlier = c.working_day(received, k).unwrap_or_else(|e| panic!("{e}"));
                prop_assert!(earlier > received && earlier < d.due);
            }
            // The day before the deadline leaves fewer than 20 working days.
            let before = d.due.yesterday().unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(c.working_days_between(received, before), Ok(19));
        }

        #[test]
        fn a_fee_pause_never_makes_the_deadline_earlier(
            received in arb_early_receipt(),
            issued_after in 0i64..30,
            paid_after in 0i64..20,
        ) {
            let c = cal();
            let issued = received + jiff::Span::new().days(issued_after);
            let paid = issued + jiff::Span::new().days(paid_after);
            let plain = deadline(&c, received, &[]).unwrap_or_else(|e| panic!("{e}"));
            let events = [ClockEvent::FeeNoticeIssued(issued), ClockEvent::FeePaid(paid)];
            let paused = deadline(&c, received, &events).unwrap_or_else(|e| panic!("{e}"));
            prop_assert!(paused.due >= plain.due);
            // And it moves exactly by the working days it disregarded.
            prop_assert_eq!(
                c.working_days_between(plain.due, paused.due),
                Ok(paused.paused_working_days())
            );
        }

        #[test]
        fn the_nth_working_day_grows_with_n(received in arb_early_receipt(), n in 0u32..40) {
            let c = cal();
            let a = c.working_day(received, n).unwrap_or_else(|e| panic!("{e}"));
            let b = c.working_day(received, n + 1).unwrap_or_else(|e| panic!("{e}"));
            prop_assert!(a < b);
            prop_assert_eq!(c.working_days_between(received, b), Ok(n + 1));
        }
    }

    // ---- counting by arithmetic agrees with counting day by day -----------

    /// The day-by-day count the arithmetic replaced: step forward one day
    /// at a time and ask [`Calendar::is_working_day`].
    fn by_day(
        c: &Calendar,
        after: Date,
        n: u32,
        pauses: &[(Date, Date)],
    ) -> Result<(Date, Vec<u32>), CalendarError> {
        let mut skipped = vec![0; pauses.len()];
        let mut day = after;
        let mut left = n;
        while left > 0 {
            day = day.tomorrow().map_err(|_| CalendarError::EndOfTime(day))?;
            if !c.is_working_day(day)? {
                continue;
            }
            match pauses
                .iter()
                .position(|&(from, to)| from <= day && day <= to)
            {
                Some(k) => skipped[k] += 1,
                None => left -= 1,
            }
        }
        Ok((day, skipped))
    }

    fn between_by_day(c: &Calendar, from: Date, to: Date) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.tomorrow().map_err(|_| CalendarError::EndOfTime(day))?;
            if c.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Any date from mid-November 2011 to mid-February 2029: around the
    /// shipped calendar's covered years (2012-2028), so counts that run
    /// out of them are compared too.
    fn arb_any_day() -> impl Strategy<Value = Date> {
        (0i64..6300).prop_map(|n| date(2011, 11, 15) + jiff::Span::new().days(n))
    }

    #[test]
    fn day_numbers_round_trip_and_count_days() {
        let mut day = date(1899, 12, 25);
        let mut n = day_number(day);
        while day < date(2101, 3, 2) {
            assert_eq!(from_day_number(day_number(day)), Some(day));
            assert_eq!(day_number(day), n);
            day = day.tomorrow().expect("in range");
            n += 1;
        }
        assert_eq!(day_number(date(1970, 1, 1)), 0);
        assert_eq!(from_day_number(day_number(Date::MAX) + 1), None);
        assert_eq!(from_day_number(day_number(Date::MIN)), Some(Date::MIN));
    }

    #[test]
    fn counting_past_the_covered_years_names_the_first_year_not_covered() {
        let c = cal();
        let err = c.working_day(date(2028, 12, 1), 40).unwrap_err();
        assert_eq!(err, by_day(&c, date(2028, 12, 1), 40, &[]).unwrap_err());
        assert!(matches!(err, CalendarError::NotCovered { year: 2029, .. }));
        assert!(matches!(
            c.working_days_between(date(2011, 12, 30), date(2012, 1, 5)),
            Err(CalendarError::NotCovered { year: 2011, .. })
        ));
    }

    proptest! {
        #[test]
        fn working_days_counted_by_arithmetic_are_counted_day_by_day(
            from in arb_any_day(),
            n in 0u32..70,
            ahead in 0i64..120,
        ) {
            let c = cal();
            prop_assert_eq!(c.working_day(from, n), by_day(&c, from, n, &[]).map(|(d, _)| d));
            let to = from + jiff::Span::new().days(ahead);
            prop_assert_eq!(c.working_days_between(from, to), between_by_day(&c, from, to));
            prop_assert_eq!(c.working_days_between(to, from), between_by_day(&c, to, from));
        }

        #[test]
        fn pauses_counted_by_arithmetic_are_counted_day_by_day(
            from in arb_any_day(),
            n in 0u32..30,
            pauses in proptest::collection::vec((0i64..40, 0i64..15), 0..4),
        ) {
            // Pauses in order, each starting on or after the previous end,
            // as the clock makes them.
            let mut start = from;
            let mut dated = Vec::new();
            for (gap, length) in pauses {
                let issued = start + jiff::Span::new().days(gap);
                let paid = issued + jiff::Span::new().days(length);
                dated.push((issued, paid));
                start = paid;
            }
            let c = cal();
            prop_assert_eq!(count_with_pauses(&c, from, n, &dated), by_day(&c, from, n, &dated));
        }

        #[test]
        fn counting_with_added_days_agrees_day_by_day(
            from in arb_receipt(),
            n in 1u32..45,
            extra in proptest::collection::vec(0i64..120, 1..6),
        ) {
            // Proclaimed days (weekdays or not) on top of the shipped ones.
            let mut text = String::from("{");
            for (i, division) in ["england-and-wales", "scotland", "northern-ireland"].iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&format!("\"{division}\": {{\"division\": \"{division}\", \"events\": ["));
                for (k, offset) in extra.iter().enumerate() {
                    let day = from + jiff::Span::new().days(*offset);
                    if k > 0 {
                        text.push(',');
                    }
                    text.push_str(&format!("{{\"title\": \"Proclaimed\", \"date\": \"{day}\"}}"));
                }
                text.push_str("]}");
            }
            text.push('}');
            let extra = Calendar::from_govuk_json(&text).unwrap_or_else(|e| panic!("{e}"));
            let c = cal().merged(&extra);
            prop_assert_eq!(c.working_day(from, n), by_day(&c, from, n, &[]).map(|(d, _)| d));
            let to = from + jiff::Span::new().days(i64::from(n) * 2);
            prop_assert_eq!(c.working_days_between(from, to), between_by_day(&c, from, to));
        }
    }

    #[test]
    fn a_day_taken_out_is_no_longer_skipped_and_the_rest_of_its_year_is() {
        let c = cal();
        // The late May bank holiday of 2027 (Monday 31 May).
        let day = date(2027, 5, 31);
        assert_eq!(c.is_working_day(day), Ok(false));
        let file = c.year_without(day).unwrap_or_else(|e| panic!("{e}"));
        let year = Calendar::from_govuk_json(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(year.covers(2027) && !year.covers(2026));
        let removed = c.merged(&year);
        assert_eq!(removed.is_working_day(day), Ok(true));
        assert!(
            removed.version().contains("1 day removed (2027-05-31)"),
            "{}",
            removed.version()
        );
        // Every other day of every year is as it was.
        let mut d = date(2012, 1, 1);
        while d <= date(2028, 12, 31) {
            if d != day {
                assert_eq!(removed.is_working_day(d), c.is_working_day(d), "{d}");
            }
            d = d.tomorrow().expect("in range");
        }
        // A day received before it is due a working day earlier.
        let received = date(2027, 5, 10);
        assert_eq!(
            deadline(&removed, received, &[]).ok().map(|d| d.due),
            c.working_day(received, 19).ok()
        );
        assert_eq!(
            c.year_without(date(2027, 6, 1)),
            Err(CalendarError::NotListed(date(2027, 6, 1)))
        );
        assert!(matches!(
            c.year_without(date(2030, 1, 1)),
            Err(CalendarError::NotCovered { year: 2030, .. })
        ));
        // New Year's Day is England's only January day: refused.
        assert!(matches!(
            c.year_without(date(2027, 1, 1)),
            Err(CalendarError::WouldUncover {
                month: "January",
                ..
            })
        ));
    }
}
