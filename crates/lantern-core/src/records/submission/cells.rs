//! Cell values read by hand from bytes: trimming, numbers, calendar dates
//! (`YYYYMMDD` or `YYYY-MM-DD`) and the format's codes, each refused with
//! the reason a report gives.

use std::fmt;

use crate::records::Day;
use crate::records::codes::{self, Sex};

pub(super) fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    &b[start..end]
}

pub(super) fn text(b: &[u8]) -> &str {
    // The whole input was checked to be UTF-8 and cells are cut at ASCII
    // bytes, so this never falls back.
    std::str::from_utf8(b).unwrap_or("")
}

fn number(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// A full date as read from a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ymd {
    pub(super) year: i16,
    pub(super) month: i8,
    pub(super) day: i8,
    pub(super) days: Day,
}

impl Ymd {
    pub(super) fn from_date(date: jiff::civil::Date) -> Ymd {
        Ymd {
            year: date.year(),
            month: date.month(),
            day: date.day(),
            days: Day::from_date(date),
        }
    }

    /// `YYYYMMDD`, the attributor's spelling.
    pub(super) fn compact(self) -> [u8; 8] {
        let y = self.year.unsigned_abs();
        let m = self.month.unsigned_abs();
        let d = self.day.unsigned_abs();
        let digit = |n: u16| b'0' + (n % 10) as u8;
        [
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            digit(u16::from(m) / 10),
            digit(u16::from(m)),
            digit(u16::from(d) / 10),
            digit(u16::from(d)),
        ]
    }

    /// Age in whole years on a day (birthday counted on the day itself).
    pub(super) fn age_on(self, on: Ymd) -> i32 {
        let years = i32::from(on.year) - i32::from(self.year);
        if (on.month, on.day) < (self.month, self.day) {
            years - 1
        } else {
            years
        }
    }
}

impl fmt::Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year ≥ 1).
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i32::try_from(month).unwrap_or(1);
    let d = i32::try_from(day).unwrap_or(1);
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

pub(super) const NOT_A_DATE: &str = "not a date: write YYYYMMDD or YYYY-MM-DD";

pub(super) fn parse_date(b: &[u8]) -> Result<Ymd, String> {
    let parts = match b.len() {
        8 => (b.get(0..4), b.get(4..6), b.get(6..8)),
        10 if b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') => {
            (b.get(0..4), b.get(5..7), b.get(8..10))
        }
        _ => return Err(NOT_A_DATE.into()),
    };
    let (Some(year), Some(month), Some(day)) = (
        parts.0.and_then(number),
        parts.1.and_then(number),
        parts.2.and_then(number),
    ) else {
        return Err(NOT_A_DATE.into());
    };
    let Ok(year) = i32::try_from(year) else {
        return Err(NOT_A_DATE.into());
    };
    if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("not a calendar date".into());
    }
    Ok(Ymd {
        year: i16::try_from(year).unwrap_or(i16::MAX),
        month: i8::try_from(month).unwrap_or(1),
        day: i8::try_from(day).unwrap_or(1),
        days: Day(days_from_civil(year, month, day)),
    })
}

pub(super) fn parse_initial(b: &[u8]) -> Result<u8, String> {
    match b {
        [c] if c.is_ascii_alphabetic() => Ok(c.to_ascii_uppercase()),
        _ => Err("not an initial: one letter A–Z".into()),
    }
}

pub(super) fn parse_sex(b: &[u8]) -> Result<Sex, String> {
    Sex::parse(text(b)).ok_or_else(|| {
        "not a sex code: M male, F female, I indeterminate/other, Z not stated".into()
    })
}

pub(super) fn parse_ethnicity(b: &[u8]) -> Result<u8, String> {
    match b {
        [c] if codes::is_ethnicity(*c) => Ok(*c),
        _ => Err("not an ethnicity code: A–H, J–N, P, R, S, or Z not stated".into()),
    }
}

pub(super) fn parse_area(b: &[u8]) -> Result<[u8; 9], String> {
    match <[u8; 9]>::try_from(b) {
        Ok(code) if code[0] == b'E' && code[1..].iter().all(u8::is_ascii_digit) => Ok(code),
        _ => Err("not a local authority code: E and eight digits (e.g. E06000016)".into()),
    }
}

pub(super) fn parse_drug(b: &[u8]) -> Result<u16, String> {
    let code = match (b.len(), number(b)) {
        (4, Some(n)) => u16::try_from(n).unwrap_or(0),
        _ => return Err("not a drug code: four digits".into()),
    };
    if codes::drug_group(code).is_some() {
        Ok(code)
    } else {
        Err("unknown drug code".into())
    }
}

/// A discharge reason and the old code it was read from, if it was one.
pub(super) fn parse_discharge_reason(b: &[u8]) -> Result<(u8, Option<u8>), String> {
    let code = match number(b) {
        Some(n) if b.len() <= 3 && n <= 255 => u8::try_from(n).unwrap_or(0),
        _ => return Err("not a discharge reason code".into()),
    };
    if let Some(modern) = codes::modern_discharge_code(code) {
        return Ok((modern, Some(code)));
    }
    if (1..=13).contains(&code) {
        return Err("legacy discharge code: map it to a current code first".into());
    }
    match codes::exit(code) {
        Some(_) => Ok((code, None)),
        None => Err("unknown discharge reason".into()),
    }
}

pub(super) fn parse_naloxone(b: &[u8]) -> Result<u16, String> {
    match number(b) {
        Some(n) if n <= 99 && b.len() <= 2 => Ok(u16::try_from(n).unwrap_or(0)),
        _ => Err("not a number of naloxone kits from 0 to 99".into()),
    }
}

pub(super) fn parse_disability(b: &[u8]) -> Result<codes::Disability, String> {
    codes::Disability::parse(text(b)).ok_or_else(|| {
        "not a disability code: 01–10 (a kind of disability), XX another, NN none, \
         ZZ not stated"
            .into()
    })
}

pub(super) fn parse_code<T>(
    b: &[u8],
    parse: fn(&str) -> Option<T>,
    all: &[T],
    code: fn(&T) -> &'static str,
) -> Result<T, String> {
    parse(text(b)).ok_or_else(|| {
        let known: Vec<&str> = all.iter().map(code).collect();
        format!("not a valid code: one of {}", known.join(", "))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use super::*;
    use jiff::civil::date;

    #[test]
    fn days_match_jiff() {
        let mut d = date(1600, 1, 1);
        while d < date(2401, 1, 1) {
            let text = d.strftime("%Y%m%d").to_string();
            assert_eq!(
                parse_date(text.as_bytes()).unwrap().days,
                Day::from_date(d),
                "{d}"
            );
            d = d.checked_add(jiff::Span::new().days(13)).unwrap();
        }
    }

    #[test]
    fn both_date_spellings_are_read_and_checked() {
        let f = fixture();
        let compact = f.rows(&[row(&[])]);
        let dashed = f.rows(&[row(&[
            ("DOB", "1980-01-15"),
            ("REFLD", "2025-01-05"),
            ("TRIAGED", "2025-01-10"),
            ("EPSTART", "2025-01-12"),
            ("MODST", "2025-01-12"),
        ])]);
        assert_eq!(all_records(&compact), all_records(&dashed));
        assert_eq!(
            row_errors(&[("DOB", "19800230")]),
            [p(2, "DOB", "not a calendar date")]
        );
        assert_eq!(
            row_errors(&[("DOB", "1980-13-01")]),
            [p(2, "DOB", "not a calendar date")]
        );
        assert_eq!(
            row_errors(&[("DOB", "1980/01/15")]),
            [p(2, "DOB", NOT_A_DATE)]
        );
        assert_eq!(
            row_errors(&[("REFLD", "2025015")]),
            [p(2, "REFLD", NOT_A_DATE)]
        );
        assert!(row_errors(&[("DOB", "20000229")]).is_empty());
        assert_eq!(
            row_errors(&[("DOB", "19000229")]),
            [p(2, "DOB", "not a calendar date")]
        );
    }

    #[test]
    fn codes_are_checked() {
        for (field, value, reason) in [
            ("FINITIAL", "JO", "not an initial: one letter A–Z"),
            (
                "SEX",
                "X",
                "not a sex code: M male, F female, I indeterminate/other, Z not stated",
            ),
            (
                "SEX",
                "m",
                "not a sex code: M male, F female, I indeterminate/other, Z not stated",
            ),
            (
                "ETHNIC",
                "I",
                "not an ethnicity code: A–H, J–N, P, R, S, or Z not stated",
            ),
            (
                "LA",
                "W06000016",
                "not a local authority code: E and eight digits (e.g. E06000016)",
            ),
            (
                "LA",
                "E0600001",
                "not a local authority code: E and eight digits (e.g. E06000016)",
            ),
            ("DRUG1", "9999", "unknown drug code"),
            ("DRUG2", "32O1", "not a drug code: four digits"),
            (
                "MODAL",
                "pharm",
                "not a valid code: one of PHARM, PSYCH, RECOV",
            ),
            (
                "MODSET",
                "HOME",
                "not a valid code: one of COM, INP, RES, PRI, RHS",
            ),
            ("FUNDING", "NHS", "not a valid code: one of LA, SELF, OTH"),
            (
                "NALOXONE",
                "100",
                "not a number of naloxone kits from 0 to 99",
            ),
            (
                "NALOXONE",
                "two",
                "not a number of naloxone kits from 0 to 99",
            ),
        ] {
            assert_eq!(
                row_errors(&[(field, value)]),
                [p(2, field, reason)],
                "{field} {value}"
            );
        }
    }
}
