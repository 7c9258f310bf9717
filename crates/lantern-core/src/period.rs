//! Periods: UK financial years, quarters, months, calendar years and date
//! ranges, the spellings requests use for them, and which financial years a
//! period covers (fully or in part).
//!
//! Invariants:
//! - A [`FinancialYear`] runs from 1 April to 31 March; it is named by the
//!   calendar year it starts in and written `2016/17`.
//! - Every [`Period`] is a non-empty, inclusive span of days; `first_day() <=
//!   last_day()` always holds because the only constructors check it.
//! - `Period::parse(&p.to_string()) == Ok(p)` for every period (the canonical
//!   form round-trips), and [`Period::normalised`] turns a range that is
//!   exactly a financial year, quarter, month or calendar year into that kind.

use std::fmt;

use jiff::civil::Date;

/// Earliest and latest years Lantern accepts, to catch typos such as `216/17`.
const MIN_YEAR: i16 = 1900;
const MAX_YEAR: i16 = 2999;

/// A UK financial year, 1 April to 31 March, named by its starting year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(i16);

impl FinancialYear {
    /// The financial year starting on 1 April of `start_year`.
    pub fn starting(start_year: i16) -> Result<FinancialYear, PeriodError> {
        if !(MIN_YEAR..MAX_YEAR).contains(&start_year) {
            return Err(PeriodError::new(
                start_year.to_string(),
                format!("years must be between {MIN_YEAR} and {MAX_YEAR}"),
            ));
        }
        Ok(FinancialYear(start_year))
    }

    /// The financial year a day falls in.
    pub fn containing(date: Date) -> FinancialYear {
        let year = date.year();
        FinancialYear(if date.month() >= 4 { year } else { year - 1 })
    }

    /// The calendar year this financial year starts in.
    pub fn start_year(self) -> i16 {
        self.0
    }

    /// 1 April of the starting year.
    pub fn first_day(self) -> Date {
        date(self.0, 4, 1)
    }

    /// 31 March of the following year.
    pub fn last_day(self) -> Date {
        date(self.0 + 1, 3, 31)
    }

    /// The next financial year.
    pub fn next(self) -> FinancialYear {
        FinancialYear(self.0 + 1)
    }

    /// The previous financial year.
    pub fn previous(self) -> FinancialYear {
        FinancialYear(self.0 - 1)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

/// A span of time a figure is about or a request asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// A whole financial year.
    FinancialYear(FinancialYear),
    /// A quarter of a financial year: Q1 is April to June, Q4 January to March.
    Quarter {
        /// The financial year the quarter belongs to.
        year: FinancialYear,
        /// 1 to 4.
        quarter: u8,
    },
    /// A calendar month.
    Month {
        /// Calendar year.
        year: i16,
        /// 1 to 12.
        month: i8,
    },
    /// A calendar year, 1 January to 31 December (ONS death registrations use these).
    CalendarYear(i16),
    /// Any other inclusive span of days.
    Range {
        /// First day in the span.
        first: Date,
        /// Last day in the span (not before `first`).
        last: Date,
    },
}

/// How much of one financial year a period covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearCoverage {
    /// The financial year.
    pub year: FinancialYear,
    /// First day of the overlap.
    pub first: Date,
    /// Last day of the overlap.
    pub last: Date,
}

impl YearCoverage {
    /// Whether the period covers the whole financial year.
    pub fn is_full(&self) -> bool {
        self.first == self.year.first_day() && self.last == self.year.last_day()
    }

    /// The covered part as a period (the financial year itself when full).
    pub fn as_period(&self) -> Period {
        Period::range(self.first, self.last)
            .map(Period::normalised)
            .unwrap_or(Period::FinancialYear(self.year))
    }
}

impl Period {
    /// A range period; fails when `last` is before `first` or a year is out of range.
    pub fn range(first: Date, last: Date) -> Result<Period, PeriodError> {
        for d in [first, last] {
            if !(MIN_YEAR..=MAX_YEAR).contains(&d.year()) {
                return Err(PeriodError::new(
                    d.to_string(),
                    format!("years must be between {MIN_YEAR} and {MAX_YEAR}"),
                ));
            }
        }
        if last < first {
            return Err(PeriodError::new(
                format!("{first} to {last}"),
                "the end of the range is before its start",
            ));
        }
        Ok(Period::Range { first, last })
    }

    /// The financial year `start_year`/`start_year+1`.
    pub fn financial_year(start_year: i16) -> Result<Period, PeriodError> {
        FinancialYear::starting(start_year).map(Period::FinancialYear)
    }

    /// First day of the period.
    pub fn first_day(&self) -> Date {
        match *self {
            Period::FinancialYear(fy) => fy.first_day(),
            Period::Quarter { year, quarter } => {
                let (y, m) = quarter_start(year, quarter);
                date(y, m, 1)
            }
            Period::Month { year, month } => date(year, month, 1),
            Period::CalendarYear(year) => date(year, 1, 1),
            Period::Range { first, .. } => first,
        }
    }

    /// Last day of the period.
    pub fn last_day(&self) -> Date {
        match *self {
            Period::FinancialYear(fy) => fy.last_day(),
            Period::Quarter { year, quarter } => {
                let (y, m) = quarter_start(year, quarter);
                let (ey, em) = add_months(y, m, 2);
                month_end(ey, em)
            }
            Period::Month { year, month } => month_end(year, month),
            Period::CalendarYear(year) => date(year, 12, 31),
            Period::Range { last, .. } => last,
        }
    }

    /// Whether `day` falls in the period.
    pub fn contains_day(&self, day: Date) -> bool {
        self.first_day() <= day && day <= self.last_day()
    }

    /// Whether every day of `other` falls in this period.
    pub fn contains(&self, other: &Period) -> bool {
        self.first_day() <= other.first_day() && other.last_day() <= self.last_day()
    }

    /// Whether the two periods share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.first_day() <= other.last_day() && other.first_day() <= self.last_day()
    }

    /// The financial years this period touches, in order, with the part of
    /// each it covers.
    pub fn financial_years(&self) -> Vec<YearCoverage> {
        let (first, last) = (self.first_day(), self.last_day());
        let mut out = Vec::new();
        let mut fy = FinancialYear::containing(first);
        while fy.first_day() <= last {
            out.push(YearCoverage {
                year: fy,
                first: first.max(fy.first_day()),
                last: last.min(fy.last_day()),
            });
            fy = fy.next();
        }
        out
    }

    /// The single financial year this period lies within, if it lies within one.
    pub fn within_financial_year(&self) -> Option<FinancialYear> {
        let fy = FinancialYear::containing(self.first_day());
        (self.last_day() <= fy.last_day()).then_some(fy)
    }

    /// The same span expressed as the most specific kind: a range that is
    /// exactly a financial year becomes [`Period::FinancialYear`], and so on.
    pub fn normalised(self) -> Period {
        let Period::Range { first, last } = self else {
            return self;
        };
        let fy = FinancialYear::containing(first);
        if first == fy.first_day() && last == fy.last_day() {
            return Period::FinancialYear(fy);
        }
        if first.day() == 1 && last == month_end(last.year(), last.month()) {
            if first.year() == last.year() && first.month() == 1 && last.month() == 12 {
                return Period::CalendarYear(first.year());
            }
            if first.year() == last.year() && first.month() == last.month() {
                return Period::Month {
                    year: first.year(),
                    month: first.month(),
                };
            }
            for quarter in 1..=4u8 {
                let q = Period::Quarter { year: fy, quarter };
                if q.first_day() == first && q.last_day() == last {
                    return q;
                }
            }
        }
        self
    }

    /// A description for letters: "2016/17", "October 2016",
    /// "October 2016 to March 2017", "1 to 15 March 2017".
    pub fn describe(&self) -> String {
        match *self {
            Period::FinancialYear(fy) => fy.to_string(),
            Period::Quarter { year, quarter } => {
                let (y, m) = quarter_start(year, quarter);
                let (ey, em) = add_months(y, m, 2);
                format!(
                    "{year} Q{quarter} ({} to {} {ey})",
                    MONTHS[(m - 1) as usize],
                    MONTHS[(em - 1) as usize]
                )
            }
            Period::Month { year, month } => format!("{} {year}", MONTHS[(month - 1) as usize]),
            Period::CalendarYear(year) => format!("calendar year {year}"),
            Period::Range { first, last } => {
                let whole_months = first.day() == 1 && last == month_end(last.year(), last.month());
                if whole_months {
                    format!(
                        "{} {} to {} {}",
                        MONTHS[(first.month() - 1) as usize],
                        first.year(),
                        MONTHS[(last.month() - 1) as usize],
                        last.year()
                    )
                } else {
                    format!("{} to {}", long_date(first), long_date(last))
                }
            }
        }
    }

    /// Parse a period in any of the spellings requests and returns use.
    ///
    /// Financial years: `2016/17`, `2016-17`, `2016 - 17`, `2016/2017`,
    /// `2016-2017`, `FY 2016/17`, `FY2016-17`, `2016–17` (en dash).
    /// Quarters: `2016/17 Q3`, `Q3 2016/17`.
    /// Months: `October 2016`, `Oct 2016`.
    /// Calendar years: `2015`, `calendar year 2015`, `CY 2015`.
    /// Ranges: `2016-10-01 to 2017-03-31`, `October 2016 to March 2017`,
    /// `2014/15 to 2016/17`, `2016-10-01..2017-03-31`,
    /// `between 31st March 2016 and 1st April 2017` (exclusive: 2016/17).
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        if let Some(period) = canonical_financial_year(input) {
            return Ok(period);
        }
        let text = normalise_text(input);
        if text.is_empty() {
            return Err(PeriodError::new(input, "the period is empty"));
        }
        parse_normalised(&text).map_err(|reason| PeriodError::new(input, reason))
    }
}

impl fmt::Display for Period {
    /// The canonical spelling, which [`Period::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::FinancialYear(fy) => write!(f, "{fy}"),
            Period::Quarter { year, quarter } => write!(f, "{year} Q{quarter}"),
            Period::Month { year, month } => write!(f, "{} {year}", MONTHS[(month - 1) as usize]),
            Period::CalendarYear(year) => write!(f, "{year}"),
            Period::Range { first, last } => write!(f, "{first} to {last}"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl PartialOrd for Period {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Period {
    /// Chronological by first day, then shorter spans first, then canonical text.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.first_day(), self.last_day())
            .cmp(&(other.first_day(), other.last_day()))
            .then_with(|| {
                // The same period has the same text: no need to write it out.
                if self == other {
                    std::cmp::Ordering::Equal
                } else {
                    self.to_string().cmp(&other.to_string())
                }
            })
    }
}

/// A period that could not be read, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a period Lantern understands: {reason}")]
pub struct PeriodError {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl PeriodError {
    fn new(input: impl Into<String>, reason: impl Into<String>) -> PeriodError {
        PeriodError {
            input: input.into(),
            reason: reason.into(),
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn date(year: i16, month: i8, day: i8) -> Date {
    // Callers only pass valid days within MIN_YEAR..=MAX_YEAR+1.
    Date::new(year, month, day).unwrap_or(Date::MIN)
}

fn month_end(year: i16, month: i8) -> Date {
    date(year, month, 1).last_of_month()
}

fn add_months(year: i16, month: i8, n: i8) -> (i16, i8) {
    let zero_based = (month - 1) as i16 + n as i16;
    (year + zero_based / 12, (zero_based % 12) as i8 + 1)
}

fn quarter_start(year: FinancialYear, quarter: u8) -> (i16, i8) {
    add_months(year.start_year(), 4, 3 * (quarter as i8 - 1))
}

fn long_date(d: Date) -> String {
    format!(
        "{} {} {}",
        d.day(),
        MONTHS[(d.month() - 1) as usize],
        d.year()
    )
}

/// Lower-case, unify dashes and spaces, drop ordinal suffixes' noise.
fn normalise_text(input: &str) -> String {
    let mut s = String::with_capacity(input.len());
    for ch in input.trim().chars() {
        match ch {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => s.push('-'),
            '\u{a0}' | '\t' => s.push(' '),
            c => s.extend(c.to_lowercase()),
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical spelling of a financial year (`2016/17`, as stored and
/// logged), read without the general parser's copying and searching; `None`
/// for anything else, which the general parser then reads (with the same
/// result for this spelling: `parse_is_the_general_parser_for_canonical_years`).
fn canonical_financial_year(input: &str) -> Option<Period> {
    let b = input.as_bytes();
    if b.len() != 7 || b[4] != b'/' {
        return None;
    }
    let digit = |i: usize| b[i].is_ascii_digit().then(|| i16::from(b[i] - b'0'));
    let start = digit(0)? * 1000 + digit(1)? * 100 + digit(2)? * 10 + digit(3)?;
    let second = digit(5)? * 10 + digit(6)?;
    if second != (start + 1).rem_euclid(100) {
        return None;
    }
    FinancialYear::starting(start)
        .ok()
        .map(Period::FinancialYear)
}

fn parse_normalised(text: &str) -> Result<Period, String> {
    if let Some(rest) = text.strip_prefix("between ") {
        if let Some((a, b)) = rest.split_once(" and ") {
            let a = parse_day(a.trim())?;
            let b = parse_day(b.trim())?;
            // "Between 31 March 2016 and 1 April 2017" names the days either side
            // of the span it means; "between 1 April 2016 and 31 March 2017"
            // names its first and last days.
            let exclusive = a == a.last_of_month() && b.day() == 1;
            let (first, last) = if exclusive {
                (
                    a.tomorrow().map_err(|e| e.to_string())?,
                    b.yesterday().map_err(|e| e.to_string())?,
                )
            } else {
                (a, b)
            };
            return Period::range(first, last)
                .map(Period::normalised)
                .map_err(|e| e.reason);
        }
        return Err("'between' needs two dates joined by 'and'".into());
    }
    for sep in [" to ", "..", " until ", " - "] {
        if let Some((a, b)) = text.split_once(sep) {
            // "2016 - 17" is a financial year, not a range.
            if sep == " - " && looks_like_short_fy(a, b) {
                continue;
            }
            let start = parse_single(a.trim())?;
            let end = parse_single(b.trim())?;
            return Period::range(start.first_day(), end.last_day())
                .map(Period::normalised)
                .map_err(|e| e.reason);
        }
    }
    parse_single(text)
}

fn looks_like_short_fy(a: &str, b: &str) -> bool {
    let a = a.trim().trim_start_matches("fy").trim();
    a.len() == 4
        && a.bytes().all(|c| c.is_ascii_digit())
        && (b.trim().len() == 2 || b.trim().len() == 4)
        && b.trim().bytes().all(|c| c.is_ascii_digit())
}

fn parse_single(text: &str) -> Result<Period, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("one end of the range is empty".into());
    }
    // Quarters: "2016/17 q3" or "q3 2016/17".
    if let Some(p) = parse_quarter(text)? {
        return Ok(p);
    }
    let stripped = text
        .strip_prefix("financial year ")
        .or_else(|| text.strip_prefix("fy "))
        .or_else(|| text.strip_prefix("fy"))
        .map(str::trim);
    if let Some(fy_text) = stripped {
        return parse_fy(fy_text)?
            .map(Period::FinancialYear)
            .ok_or_else(|| format!("'{fy_text}' is not a financial year such as 2016/17"));
    }
    if let Some(year_text) = text
        .strip_prefix("calendar year ")
        .or_else(|| text.strip_prefix("cy "))
    {
        return parse_year(year_text.trim()).map(Period::CalendarYear);
    }
    if let Some(fy) = parse_fy(text)? {
        return Ok(Period::FinancialYear(fy));
    }
    if text.len() == 4 && text.bytes().all(|c| c.is_ascii_digit()) {
        return parse_year(text).map(Period::CalendarYear);
    }
    if let Some(p) = parse_month(text)? {
        return Ok(p);
    }
    let day = parse_day(text)?;
    Ok(Period::Range {
        first: day,
        last: day,
    })
}

fn parse_year(text: &str) -> Result<i16, String> {
    let year: i16 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a year"))?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(format!("years must be between {MIN_YEAR} and {MAX_YEAR}"));
    }
    Ok(year)
}

/// `Ok(None)` when the text does not have the shape of a financial year.
fn parse_fy(text: &str) -> Result<Option<FinancialYear>, String> {
    let Some((a, b)) = text.split_once(['/', '-']) else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if a.len() != 4 || !digits(a) || !digits(b) || !(b.len() == 2 || b.len() == 4) {
        return Ok(None);
    }
    let start = parse_year(a)?;
    let second: i16 = b.parse().map_err(|_| format!("'{b}' is not a year"))?;
    let follows = if b.len() == 2 {
        second == (start + 1).rem_euclid(100)
    } else {
        second == start + 1
    };
    if !follows {
        // "2016-10" is a month; only a dash with a valid month gets that reading.
        if b.len() == 2 && text.contains('-') && (1..=12).contains(&second) {
            return Ok(None);
        }
        return Err(format!(
            "the second year of a financial year must be the year after the first (did you mean {}?)",
            FinancialYear(start)
        ));
    }
    FinancialYear::starting(start)
        .map(Some)
        .map_err(|e| e.reason)
}

fn parse_quarter(text: &str) -> Result<Option<Period>, String> {
    let (q, rest) = if let Some(rest) = text.strip_prefix('q') {
        let (q, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        (q, rest)
    } else if let Some((rest, q)) = text.rsplit_once(" q") {
        (q, rest)
    } else {
        return Ok(None);
    };
    let quarter: u8 = match q.trim() {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        "4" => 4,
        _ => return Ok(None),
    };
    let rest = rest.trim().trim_start_matches("fy").trim();
    match parse_fy(rest)? {
        Some(year) => Ok(Some(Period::Quarter { year, quarter })),
        None => Err(format!(
            "a quarter needs a financial year, as in '2016/17 Q{quarter}'"
        )),
    }
}

fn month_number(name: &str) -> Option<i8> {
    let name = name.trim_end_matches('.');
    if name.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| {
            let m = m.to_lowercase();
            m == name
                || (name.len() >= 3 && m.starts_with(name) && (name.len() == 3 || name == "sept"))
        })
        .or_else(|| (name == "sept").then_some(8))
        .map(|i| i as i8 + 1)
}

/// "october 2016", "oct 2016", "2016-10".
fn parse_month(text: &str) -> Result<Option<Period>, String> {
    if let Some((y, m)) = text.split_once('-')
        && y.len() == 4
        && m.len() == 2
        && y.bytes().all(|c| c.is_ascii_digit())
        && m.bytes().all(|c| c.is_ascii_digit())
    {
        let year = parse_year(y)?;
        let month: i8 = m.parse().map_err(|_| format!("'{m}' is not a month"))?;
        if !(1..=12).contains(&month) {
            return Err(format!("'{m}' is not a month number"));
        }
        return Ok(Some(Period::Month { year, month }));
    }
    let mut words = text.split(' ');
    if let (Some(m), Some(y), None) = (words.next(), words.next(), words.next())
        && let Some(month) = month_number(m)
    {
        let year = parse_year(y)?;
        return Ok(Some(Period::Month { year, month }));
    }
    Ok(None)
}

/// "2016-10-01", "1 april 2017", "31st march 2016", "1/4/2017" (day first).
fn parse_day(text: &str) -> Result<Date, String> {
    let text = text.trim().trim_end_matches(',');
    let invalid = |e: jiff::Error| format!("'{text}' is not a valid date: {e}");
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() == 3 && parts[0].len() == 4 {
        let y = parse_year(parts[0])?;
        let m: i8 = parts[1]
            .parse()
            .map_err(|_| format!("'{text}' is not a date"))?;
        let d: i8 = parts[2]
            .parse()
            .map_err(|_| format!("'{text}' is not a date"))?;
        return Date::new(y, m, d).map_err(invalid);
    }
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() == 3 && parts[2].len() == 4 {
        let d: i8 = parts[0]
            .parse()
            .map_err(|_| format!("'{text}' is not a date"))?;
        let m: i8 = parts[1]
            .parse()
            .map_err(|_| format!("'{text}' is not a date"))?;
        let y = parse_year(parts[2])?;
        return Date::new(y, m, d).map_err(invalid);
    }
    let words: Vec<&str> = text.split(' ').filter(|w| *w != "of").collect();
    if words.len() == 3 {
        let day_text = words[0].trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if let (Ok(d), Some(m)) = (day_text.parse::<i8>(), month_number(words[1])) {
            let y = parse_year(words[2])?;
            return Date::new(y, m, d).map_err(invalid);
        }
    }
    Err(
        "expected a financial year (2016/17), quarter (2016/17 Q3), month (October 2016), \
         calendar year (2015), date (2016-10-01) or a range joined by 'to'"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn financial_year_spellings_all_mean_the_same_year() {
        let fy = Period::financial_year(2016).unwrap();
        for s in [
            "2016/17",
            "2016-17",
            "2016 - 17",
            "2016/2017",
            "2016-2017",
            "FY 2016/17",
            "FY2016/17",
            "2016–17",
            "2016 – 17",
            " fy 2016 / 17 ",
            "financial year 2016/17",
        ] {
            assert_eq!(p(s), fy, "{s}");
        }
        assert_eq!(p("1999/00"), Period::financial_year(1999).unwrap());
    }

    #[test]
    fn impossible_financial_years_are_errors_with_a_suggestion() {
        let err = Period::parse("2016/18").unwrap_err();
        assert!(err.reason.contains("2016/17"), "{err}");
        assert!(Period::parse("2016/2018").is_err());
        assert!(Period::parse("216/17").is_err());
        assert!(Period::parse("").is_err());
        assert!(Period::parse("last Tuesday").is_err());
        assert!(Period::parse("2017-03-31 to 2016-04-01").is_err());
    }

    #[test]
    fn quarters_months_calendar_years_and_ranges() {
        assert_eq!(
            p("Q3 2016/17"),
            Period::Quarter {
                year: FinancialYear(2016),
                quarter: 3
            }
        );
        assert_eq!(p("2016/17 Q4").first_day(), date(2017, 1, 1));
        assert_eq!(
            p("October 2016"),
            Period::Month {
                year: 2016,
                month: 10
            }
        );
        assert_eq!(p("oct 2016"), p("2016-10"));
        assert_eq!(p("2015"), Period::CalendarYear(2015));
        assert_eq!(p("calendar year 2015"), Period::CalendarYear(2015));
        assert_eq!(p("2016-04-01 to 2017-03-31"), p("2016/17"));
        assert_eq!(
            p("between 31st March 2016 and 1st April 2017"),
            p("2016/17")
        );
        assert_eq!(p("2014/15 to 2016/17").financial_years().len(), 3);
    }

    #[test]
    fn partial_coverage_is_reported() {
        let period = p("October 2016 to March 2017");
        assert_eq!(period.describe(), "October 2016 to March 2017");
        let years = period.financial_years();
        assert_eq!(years.len(), 1);
        assert_eq!(years[0].year, FinancialYear(2016));
        assert!(!years[0].is_full());
        let spanning = p("2016-01-01 to 2016-12-31");
        let years = spanning.financial_years();
        assert_eq!(years.len(), 2);
        assert!(years.iter().all(|c| !c.is_full()));
        assert!(p("2016/17").financial_years()[0].is_full());
    }

    fn arb_period() -> impl Strategy<Value = Period> {
        let fy = (1990i16..2090).prop_map(|y| Period::FinancialYear(FinancialYear(y)));
        let quarter = (1990i16..2090, 1u8..=4).prop_map(|(y, q)| Period::Quarter {
            year: FinancialYear(y),
            quarter: q,
        });
        let month =
            (1990i16..2090, 1i8..=12).prop_map(|(year, month)| Period::Month { year, month });
        let cal = (1990i16..2090).prop_map(Period::CalendarYear);
        let range = (0i32..40_000, 0i32..3_000).prop_map(|(start, len)| {
            let first = date(1990, 1, 1) + jiff::Span::new().days(start);
            let last = first + jiff::Span::new().days(len);
            Period::Range { first, last }.normalised()
        });
        prop_oneof![fy, quarter, month, cal, range]
    }

    /// The slow path alone, for comparing with [`Period::parse`].
    fn general(input: &str) -> Result<Period, PeriodError> {
        let text = normalise_text(input);
        if text.is_empty() {
            return Err(PeriodError::new(input, "the period is empty"));
        }
        parse_normalised(&text).map_err(|reason| PeriodError::new(input, reason))
    }

    #[test]
    fn parse_is_the_general_parser_for_canonical_years() {
        // Every seven-character "dddd/dd", right and wrong, in and out of range.
        for start in (0..10_000).step_by(7).chain(1890..3010) {
            for second in [(start + 1) % 100, start % 100, (start + 2) % 100, 0, 99] {
                let text = format!("{start:04}/{second:02}");
                assert_eq!(Period::parse(&text), general(&text), "{text}");
            }
        }
        for text in [
            "2016/1", "2016/177", " 2016/17", "2016-17", "20a6/17", "2016/1x",
        ] {
            assert_eq!(Period::parse(text), general(text), "{text}");
        }
    }

    proptest! {
        #[test]
        fn canonical_spelling_round_trips(period in arb_period()) {
            prop_assert_eq!(Period::parse(&period.to_string()), Ok(period));
        }

        #[test]
        fn financial_year_spellings_round_trip(y in 1990i16..2090) {
            let fy = Period::financial_year(y).unwrap();
            let short = format!("{y}-{:02}", (y + 1) % 100);
            let long = format!("{y}/{}", y + 1);
            let spaced = format!("FY {y} - {:02}", (y + 1) % 100);
            prop_assert_eq!(p(&short), fy);
            prop_assert_eq!(p(&long), fy);
            prop_assert_eq!(p(&spaced), fy);
        }

        #[test]
        fn coverage_tiles_the_period(period in arb_period()) {
            let years = period.financial_years();
            prop_assert!(!years.is_empty());
            prop_assert_eq!(years[0].first, period.first_day());
            prop_assert_eq!(years[years.len() - 1].last, period.last_day());
            for pair in years.windows(2) {
                prop_assert_eq!(pair[0].last.tomorrow().unwrap(), pair[1].first);
                prop_assert_eq!(pair[0].year.next(), pair[1].year);
            }
        }

        #[test]
        fn describe_never_panics_and_normalised_keeps_the_span(period in arb_period()) {
            let n = period.normalised();
            prop_assert_eq!((n.first_day(), n.last_day()), (period.first_day(), period.last_day()));
            prop_assert!(!period.describe().is_empty());
        }
    }
}
