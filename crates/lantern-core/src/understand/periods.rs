//! Periods in words: the periods a text names, read against the day received.

use jiff::civil::Date;

use crate::period::{FinancialYear, Period};

use super::words::words;

/// Periods found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodMatch {
    /// The periods, in the order the request means them.
    pub periods: Vec<Period>,
    /// The words matched, as written.
    pub words: String,
    /// Byte offset of the words in the text.
    pub start: usize,
    /// Byte offset just past the words.
    pub end: usize,
    /// How sure the reading is (0 to 1).
    pub confidence: f32,
    /// How the words were read, for the officer.
    pub reading: String,
    /// The years were written bare (`2015`, `2008 / 2009 / 2010`, "each year
    /// between 2013 - 2021"): calendar years is a guess, and a measure
    /// counted by financial year needs the officer to choose.
    pub bare_years: bool,
    /// The words look like a period but are mistyped (`20217/18`): the
    /// officer must see them; they are never skipped silently.
    pub mistyped: bool,
}

/// Find the periods a text names, in order. Relative periods ("the past three
/// years") are counted back from the `received` date; see the module docs.
pub fn resolve_periods(text: &str, received: Date) -> Vec<PeriodMatch> {
    let scanner = Scanner {
        text,
        toks: lex(text),
        received,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < scanner.toks.len() {
        match scanner.rule_at(i) {
            Some((m, next)) => {
                out.push(m);
                i = next.max(i + 1);
            }
            None => i += 1,
        }
    }
    if out.is_empty() {
        out.extend(scanner.whole_year());
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lex {
    Num { value: u32, digits: usize },
    Ordinal(u32),
    Word(String),
    Sym(char),
}

#[derive(Debug, Clone)]
pub(super) struct PTok {
    lex: Lex,
    start: usize,
    end: usize,
}

pub(super) fn lex(text: &str) -> Vec<PTok> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_ascii_digit() {
                j += 1;
            }
            let digits = &text[start..byte_at(j)];
            let value = if digits.len() > 9 {
                u32::MAX
            } else {
                digits.parse().unwrap_or(u32::MAX)
            };
            let mut k = j;
            while k < chars.len() && chars[k].1.is_alphabetic() {
                k += 1;
            }
            let suffix = text[byte_at(j)..byte_at(k)].to_lowercase();
            if matches!(suffix.as_str(), "st" | "nd" | "rd" | "th") {
                out.push(PTok {
                    lex: Lex::Ordinal(value),
                    start,
                    end: byte_at(k),
                });
                i = k;
            } else {
                out.push(PTok {
                    lex: Lex::Num {
                        value,
                        digits: j - i,
                    },
                    start,
                    end: byte_at(j),
                });
                i = j;
            }
        } else if c.is_alphabetic() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_alphabetic() {
                j += 1;
            }
            out.push(PTok {
                lex: Lex::Word(text[start..byte_at(j)].to_lowercase()),
                start,
                end: byte_at(j),
            });
            i = j;
        } else {
            if !c.is_whitespace() {
                let sym = if matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}') {
                    '-'
                } else {
                    c
                };
                out.push(PTok {
                    lex: Lex::Sym(sym),
                    start,
                    end: start + c.len_utf8(),
                });
            }
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Atom {
    Day(Date),
    Span(Period),
    Year(i16),
}

impl Atom {
    fn period(self) -> Period {
        match self {
            Atom::Day(d) => Period::Range { first: d, last: d },
            Atom::Span(p) => p,
            Atom::Year(y) => Period::CalendarYear(y),
        }
    }
}

pub(super) const NUMBER_WORDS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// Words before a bare year that make it a calendar year ("registered in 2015").
pub(super) const YEAR_CUES: &[&str] = &[
    "in",
    "during",
    "for",
    "registered",
    "throughout",
    "year",
    "cy",
];

pub(super) fn month_number(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.trim_end_matches('.');
    if name == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == name || (name.len() == 3 && m.starts_with(name)))
        .map(|i| i as i8 + 1)
}

pub(super) struct Scanner<'t> {
    text: &'t str,
    toks: Vec<PTok>,
    received: Date,
}

impl Scanner<'_> {
    fn word(&self, i: usize) -> Option<&str> {
        match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn is_word(&self, i: usize, options: &[&str]) -> bool {
        self.word(i).is_some_and(|w| options.contains(&w))
    }

    fn sym(&self, i: usize) -> Option<char> {
        match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Sym(c)) => Some(*c),
            _ => None,
        }
    }

    fn num(&self, i: usize, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
        match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Num { value, digits: d }) if digits.contains(d) => Some(*value),
            _ => None,
        }
    }

    fn adjacent(&self, i: usize) -> bool {
        matches!((self.toks.get(i), self.toks.get(i + 1)), (Some(a), Some(b)) if a.end == b.start)
    }

    fn slice(&self, from: usize, to: usize) -> (&str, usize, usize) {
        let start = self.toks.get(from).map_or(0, |t| t.start);
        let end = to
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(start, |t| t.end)
            .max(start);
        (self.text.get(start..end).unwrap_or(""), start, end)
    }

    fn found(
        &self,
        from: usize,
        to: usize,
        periods: Vec<Period>,
        confidence: f32,
        reading: impl Into<String>,
    ) -> Option<(PeriodMatch, usize)> {
        if periods.is_empty() {
            return None;
        }
        let (words, start, end) = self.slice(from, to);
        Some((
            PeriodMatch {
                periods,
                words: words.to_string(),
                start,
                end,
                confidence,
                reading: reading.into(),
                bare_years: false,
                mistyped: false,
            },
            to,
        ))
    }

    /// A date, month, quarter, financial year or year starting at `i`.
    fn atom(&self, i: usize) -> Option<(Atom, usize)> {
        self.iso_day(i)
            .or_else(|| self.numeric_day(i))
            .or_else(|| self.quarter_first(i))
            .or_else(|| self.financial_year(i))
            .or_else(|| self.worded_day(i))
            .or_else(|| self.month(i))
            .or_else(|| {
                let y = self.num(i, 4..=4)?;
                (1900..=2999)
                    .contains(&y)
                    .then_some((Atom::Year(y as i16), i + 1))
            })
    }

    fn iso_day(&self, i: usize) -> Option<(Atom, usize)> {
        let y = self.num(i, 4..=4)?;
        let (m, d) = (self.num(i + 2, 1..=2)?, self.num(i + 4, 1..=2)?);
        (self.sym(i + 1) == Some('-') && self.sym(i + 3) == Some('-')).then_some(())?;
        let date = Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
        Some((Atom::Day(date), i + 5))
    }

    fn numeric_day(&self, i: usize) -> Option<(Atom, usize)> {
        let d = self.num(i, 1..=2)?;
        let m = self.num(i + 2, 1..=2)?;
        let y = self.num(i + 4, 4..=4)?;
        (self.sym(i + 1) == Some('/') && self.sym(i + 3) == Some('/')).then_some(())?;
        let date = Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
        Some((Atom::Day(date), i + 5))
    }

    fn quarter_number(&self, i: usize) -> Option<u32> {
        (self.word(i) == Some("q") && self.adjacent(i))
            .then(|| self.num(i + 1, 1..=1))
            .flatten()
            .filter(|q| (1..=4).contains(q))
    }

    /// "Q3 2016/17".
    fn quarter_first(&self, i: usize) -> Option<(Atom, usize)> {
        self.quarter_number(i)?;
        let (_, next) = self.financial_year(i + 2)?;
        let (text, _, _) = self.slice(i, next);
        Some((Atom::Span(Period::parse(text).ok()?), next))
    }

    /// "2016/17", "2016 - 17", "FY 2016/17", "2016/17 Q3"; also "2016-10".
    fn financial_year(&self, i: usize) -> Option<(Atom, usize)> {
        let start = if self.word(i) == Some("fy") { i + 1 } else { i };
        self.num(start, 4..=4)?;
        matches!(self.sym(start + 1), Some('/' | '-')).then_some(())?;
        self.num(start + 2, 2..=4)?;
        let mut next = start + 3;
        if self.quarter_number(next).is_some() {
            next += 2;
        }
        let (text, _, _) = self.slice(start, next);
        let period = Period::parse(text).ok()?;
        Some((Atom::Span(period), next))
    }

    /// "31st March 2016", "1 of April 2017".
    fn worded_day(&self, i: usize) -> Option<(Atom, usize)> {
        let day = match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Ordinal(d)) => *d,
            Some(Lex::Num {
                value,
                digits: 1..=2,
            }) => *value,
            _ => return None,
        };
        let m = if self.word(i + 1) == Some("of") {
            i + 2
        } else {
            i + 1
        };
        let month = month_number(self.word(m)?)?;
        let m = if self.sym(m + 1) == Some('.') {
            m + 1
        } else {
            m
        };
        let year = self.num(m + 1, 4..=4)?;
        let date = Date::new(i16::try_from(year).ok()?, month, i8::try_from(day).ok()?).ok()?;
        Some((Atom::Day(date), m + 2))
    }

    /// "October 2016".
    fn month(&self, i: usize) -> Option<(Atom, usize)> {
        let month = month_number(self.word(i)?)?;
        let year = self.num(i + 1, 4..=4)?;
        let period = Period::parse(&format!("{year}-{month:02}")).ok()?;
        Some((Atom::Span(period), i + 2))
    }

    fn rule_at(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        self.mistyped_year(i)
            .or_else(|| self.year_ending(i))
            .or_else(|| self.between(i))
            .or_else(|| self.since(i))
            .or_else(|| self.past_years(i))
            .or_else(|| self.calendar_years(i))
            .or_else(|| self.year_list(i))
            .or_else(|| self.range_or_single(i))
    }

    /// "the year ending March 2022 and September 2014", "year to June 2019":
    /// each month named ends a twelve-month period (the police and ONS
    /// publish "year ending" figures); a year ending March is the financial
    /// year. Months joined by "and", "or" or commas share the cue.
    fn year_ending(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.is_word(i, &["year", "years"]) && self.is_word(i + 1, &["ending", "ended", "to"]))
            .then_some(())?;
        let twelve_months = |k: usize| {
            let (Atom::Span(Period::Month { year, month }), next) = self.month(k)? else {
                return None;
            };
            let period = if month == 3 {
                Period::parse(&format!("{}/{:02}", year - 1, year % 100)).ok()?
            } else {
                let end = Date::new(year, month, 1).ok()?;
                let first = end.checked_sub(jiff::Span::new().months(11)).ok()?;
                Period::range(first, end.last_of_month()).ok()?
            };
            Some((period, next))
        };
        let (first, mut next) = twelve_months(i + 2)?;
        let mut periods = vec![first];
        loop {
            let joined = if self.is_word(next, &["and", "or"]) || self.sym(next) == Some(',') {
                next + 1
            } else {
                break;
            };
            let joined = if self.is_word(joined, &["and", "or"]) {
                joined + 1
            } else {
                joined
            };
            match twelve_months(joined) {
                Some((period, after)) => {
                    periods.push(period);
                    next = after;
                }
                None => break,
            }
        }
        self.found(
            i,
            next,
            periods,
            0.8,
            "the twelve months to the end of each month named (a year ending March is the financial year)",
        )
    }

    /// "20217/18": five digits where a year belongs, then `/` and two digits.
    /// Read as nothing, but kept so the officer sees it.
    fn mistyped_year(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        self.num(i, 5..=5)?;
        (self.sym(i + 1) == Some('/')).then_some(())?;
        self.num(i + 2, 2..=2)?;
        let (words, start, end) = self.slice(i, i + 3);
        Some((
            PeriodMatch {
                periods: Vec::new(),
                words: words.to_string(),
                start,
                end,
                confidence: 0.0,
                reading: format!(
                    "“{words}” looks like a mistyped year: ask the requester or choose"
                ),
                bare_years: false,
                mistyped: true,
            },
            i + 3,
        ))
    }

    /// "2008 / 2009 / 2010 / 2011": three or more four-digit years joined by
    /// slashes are a list of bare years, not financial years ("2008/09").
    fn year_list(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let year = |k: usize| {
            self.num(k, 4..=4)
                .filter(|y| (1900..=2199).contains(y))
                .map(|y| y as i16)
        };
        let mut periods = vec![Period::CalendarYear(year(i)?)];
        let mut j = i + 1;
        while self.sym(j) == Some('/')
            && let Some(y) = year(j + 1)
        {
            periods.push(Period::CalendarYear(y));
            j += 2;
        }
        (periods.len() >= 3).then_some(())?;
        bare(self.found(
            i,
            j,
            periods,
            0.6,
            "years listed with slashes: calendar years, or financial years starting in them?",
        ))
    }

    /// Whether "years" (plural) comes just before `i` ("in the years from
    /// 2012/13 to 2020/21"): the years of the span are asked for one by one.
    fn years_before(&self, i: usize) -> bool {
        (i.saturating_sub(4)..i).any(|k| self.word(k) == Some("years"))
    }

    /// Whether "each" or "every" (or "year by year") comes just before `i`:
    /// the years of a span are asked for one by one.
    fn each_year_before(&self, i: usize) -> bool {
        (i.saturating_sub(5)..i).any(|k| {
            self.is_word(k, &["each", "every", "annually", "annual"])
                || (self.word(k) == Some("year") && self.word(k + 1) == Some("by"))
        })
    }

    /// Whether an explicit period (not a relative one) starts at `i`.
    fn explicit_at(&self, i: usize) -> bool {
        self.between(i).is_some()
            || self.calendar_years(i).is_some()
            || self.range_or_single(i).is_some()
    }

    /// "between 31st March 2016 and 1st April 2017".
    fn between(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.word(i) == Some("between")).then_some(())?;
        let (a, j) = self.atom(i + 1)?;
        (self.word(j) == Some("and")).then_some(())?;
        let (b, k) = self.atom(j + 1)?;
        if let (Atom::Year(x), Atom::Year(y)) = (a, b)
            && x < y
            && self.each_year_before(i)
        {
            return bare(self.found(
                i,
                k,
                (x..=y).map(Period::CalendarYear).collect(),
                0.8,
                "each year from the first to the last, one by one",
            ));
        }
        let (text, _, _) = self.slice(i, k);
        let period = Period::parse(text)
            .or_else(|_| Period::range(a.period().first_day(), b.period().last_day()))
            .ok()?
            .normalised();
        self.found(i, k, vec![period], 0.95, "the span between the two dates")
    }

    fn latest_complete_year(&self) -> FinancialYear {
        FinancialYear::containing(self.received).previous()
    }

    /// "since 2014/15", "since April 2016", "since 2015".
    fn since(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.word(i) == Some("since")).then_some(())?;
        let (a, j) = self.atom(i + 1)?;
        let latest = self.latest_complete_year();
        let financial = (i.saturating_sub(4)..i).any(|k| self.word(k) == Some("financial"));
        let (periods, reading) = match a {
            Atom::Span(Period::FinancialYear(fy)) => (
                financial_years_from(fy, latest),
                "each financial year from it to the latest complete one before the request was received",
            ),
            Atom::Year(y) if financial => (
                financial_years_from(FinancialYear::starting(y).ok()?, latest),
                "each financial year from it to the latest complete one before the request was received",
            ),
            Atom::Year(y) => {
                let last = (self.received.year() - 1).max(y);
                let found = self.found(
                    i,
                    j,
                    (y..=last).map(Period::CalendarYear).collect(),
                    0.85,
                    "each calendar year from it to the latest complete one before the request was received",
                );
                return bare(found);
            }
            other => (
                vec![Period::range(other.period().first_day(), self.received).ok()?],
                "from then to the date the request was received",
            ),
        };
        self.found(i, j, periods, 0.85, reading)
    }

    fn count_word(&self, i: usize) -> Option<u32> {
        if let Some(n) = self.num(i, 1..=2) {
            return Some(n);
        }
        let w = self.word(i)?;
        NUMBER_WORDS
            .iter()
            .position(|n| *n == w)
            .map(|p| p as u32 + 1)
    }

    /// "the past three years", "the last 5 financial years", "last calendar
    /// year"; also "next/this financial year" unless a bracket restates it.
    fn past_years(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let anchor = self.word(i)?;
        if matches!(anchor, "next" | "this" | "current") {
            return self.this_or_next_year(i);
        }
        if !matches!(anchor, "past" | "last" | "previous" | "preceding") {
            return None;
        }
        let mut j = i + 1;
        let n = match self.count_word(j) {
            Some(n) => {
                j += 1;
                n
            }
            None => 1,
        };
        if self.is_word(j, &["full", "complete", "whole"]) {
            j += 1;
        }
        let kind = self
            .word(j)
            .filter(|w| matches!(*w, "financial" | "fiscal" | "calendar"));
        if kind.is_some() {
            j += 1;
        }
        let from = if i > 0 && self.word(i - 1) == Some("the") {
            i - 1
        } else {
            i
        };
        if kind.is_none() && self.is_word(j, &["month", "months"]) && (1..=120).contains(&n) {
            // The complete calendar months before the month of receipt.
            let this_month = self.received.first_of_month();
            let first = this_month
                .checked_sub(jiff::Span::new().months(i64::from(n)))
                .ok()?;
            let last = this_month.yesterday().ok()?;
            let period = Period::range(first, last).ok()?;
            return self.found(
                from,
                j + 1,
                vec![period.normalised()],
                0.8,
                "complete calendar months before the month the request was received",
            );
        }
        if !self.is_word(j, &["year", "years"]) || !(1..=50).contains(&n) {
            return None;
        }
        let (periods, confidence, reading) = if kind == Some("calendar") {
            let last = self.received.year() - 1;
            (
                (0..n as i16)
                    .map(|k| Period::CalendarYear(last - k))
                    .collect(),
                0.9,
                "complete calendar years before the request was received, most recent first",
            )
        } else {
            let mut fy = self.latest_complete_year();
            let mut periods = Vec::new();
            for _ in 0..n {
                periods.push(Period::FinancialYear(fy));
                fy = fy.previous();
            }
            let (confidence, reading) = if kind.is_some() {
                (
                    0.9,
                    "complete financial years before the request was received, most recent first",
                )
            } else {
                (
                    0.75,
                    "taken as complete financial years before the request was received, most recent first",
                )
            };
            (periods, confidence, reading)
        };
        self.found(from, j + 1, periods, confidence, reading)
    }

    fn this_or_next_year(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.word(i + 1) == Some("financial") && self.is_word(i + 2, &["year"])).then_some(())?;
        // "next financial year (between 1 April 2017 and 31 March 2018)": the
        // bracket says exactly which year; read that instead.
        if self.sym(i + 3) == Some('(') && self.explicit_at(i + 4) {
            return None;
        }
        let current = FinancialYear::containing(self.received);
        let fy = if self.word(i) == Some("next") {
            current.next()
        } else {
            current
        };
        self.found(
            i,
            i + 3,
            vec![Period::FinancialYear(fy)],
            0.8,
            "counted from the date the request was received",
        )
    }

    /// "the calendar years 2020 and 2021", "calendar year 2015".
    fn calendar_years(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let mut j = if self.word(i) == Some("calendar") && self.is_word(i + 1, &["year", "years"]) {
            i + 2
        } else if self.word(i) == Some("cy") {
            i + 1
        } else {
            return None;
        };
        let mut periods = Vec::new();
        while let Some((Atom::Year(y), next)) = self.atom(j) {
            periods.push(Period::CalendarYear(y));
            j = next;
            // "each calendar year 2013 to 2017": every year from one to the other.
            let to = self.is_word(j, &["to", "until", "through"]) || self.sym(j) == Some('-');
            if to
                && periods.len() == 1
                && let Some((Atom::Year(last), after)) = self.atom(j + 1)
                && last > y
            {
                periods.extend((y + 1..=last).map(Period::CalendarYear));
                j = after;
                break;
            }
            let joined = matches!(self.sym(j), Some(',' | '&')) || self.word(j) == Some("and");
            if !(joined && matches!(self.atom(j + 1), Some((Atom::Year(_), _)))) {
                break;
            }
            j += 1;
        }
        self.found(i, j, periods, 0.95, "calendar years")
    }

    /// "2012/13 to 2021/22", "from 1 April 2020 to date", "2018/19",
    /// "registered in 2015".
    fn range_or_single(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let from = i;
        let at = if self.word(i) == Some("from") {
            i + 1
        } else {
            i
        };
        let (a, j) = self.atom(at)?;
        let separator = self.is_word(j, &["to", "until", "till", "through", "thru"])
            || self.sym(j) == Some('-');
        if separator {
            let k = if self.word(j + 1) == Some("the") {
                j + 2
            } else {
                j + 1
            };
            if self.is_word(k, &["date", "present", "now", "today"]) {
                let period = Period::range(a.period().first_day(), self.received).ok()?;
                return self.found(
                    from,
                    k + 1,
                    vec![period.normalised()],
                    0.9,
                    "up to the date the request was received",
                );
            }
            if let Some((b, next)) = self.atom(j + 1) {
                // "in the financial years from 2012/13 to 2020/21": each year.
                if let (Atom::Span(Period::FinancialYear(x)), Atom::Span(Period::FinancialYear(y))) =
                    (a, b)
                    && x < y
                    && (self.each_year_before(from) || self.years_before(from))
                {
                    return self.found(
                        from,
                        next,
                        financial_years_from(x, y),
                        0.9,
                        "each financial year from the first to the last",
                    );
                }
                if let (Atom::Year(x), Atom::Year(y)) = (a, b)
                    && x < y
                    && (self.each_year_before(from) || self.years_before(from))
                {
                    return bare(self.found(
                        from,
                        next,
                        (x..=y).map(Period::CalendarYear).collect(),
                        0.8,
                        "each year from the first to the last, one by one",
                    ));
                }
                let period = Period::range(a.period().first_day(), b.period().last_day()).ok()?;
                return self.found(from, next, vec![period.normalised()], 0.95, "a span");
            }
        }
        match a {
            Atom::Year(_) => {
                let cue = at
                    .checked_sub(1)
                    .is_some_and(|k| self.is_word(k, YEAR_CUES));
                cue.then_some(())?;
                // "in 2019, 2020 and 2021": the years listed after it too.
                let mut periods = vec![a.period()];
                let mut end = j;
                loop {
                    let next = match (self.sym(end), self.word(end)) {
                        (Some(','), _) if self.word(end + 1) == Some("and") => end + 2,
                        (Some(',' | '&'), _) | (_, Some("and")) => end + 1,
                        _ => break,
                    };
                    match self.atom(next) {
                        Some((Atom::Year(y), after)) => {
                            periods.push(Period::CalendarYear(y));
                            end = after;
                        }
                        _ => break,
                    }
                }
                let reading = if periods.len() > 1 {
                    "calendar years"
                } else {
                    "a calendar year"
                };
                bare(self.found(at, end, periods, 0.8, reading))
            }
            _ => self.found(at, j, vec![a.period()], 1.0, "as written"),
        }
    }

    /// A text that is only a year ("2015") names that calendar year.
    fn whole_year(&self) -> Option<PeriodMatch> {
        let words: Vec<&PTok> = self
            .toks
            .iter()
            .filter(|t| !matches!(t.lex, Lex::Sym(_)))
            .collect();
        match (words.as_slice(), self.atom(0)) {
            ([only], Some((Atom::Year(y), _))) => Some(PeriodMatch {
                periods: vec![Period::CalendarYear(y)],
                words: self
                    .text
                    .get(only.start..only.end)
                    .unwrap_or("")
                    .to_string(),
                start: only.start,
                end: only.end,
                confidence: 0.9,
                reading: "a calendar year".into(),
                bare_years: true,
                mistyped: false,
            }),
            _ => None,
        }
    }
}

/// A match whose years were written bare.
fn bare(found: Option<(PeriodMatch, usize)>) -> Option<(PeriodMatch, usize)> {
    found.map(|(mut m, next)| {
        m.bare_years = true;
        (m, next)
    })
}

pub(super) fn financial_years_from(first: FinancialYear, latest: FinancialYear) -> Vec<Period> {
    let mut out = vec![Period::FinancialYear(first)];
    let mut fy = first;
    while fy < latest && out.len() < 100 {
        fy = fy.next();
        out.push(Period::FinancialYear(fy));
    }
    out
}

/// The periods of a text that names nothing but periods ("2014 - 15",
/// "For 2018/19"), with the least confidence among them.
pub(super) fn period_only(text: &str, received: Date) -> Option<(Vec<Period>, f32)> {
    let trimmed = text.trim().trim_end_matches([',', ';', '.', ':']);
    if let Ok(p) = Period::parse(trimmed) {
        // A bare year on a line of its own is as uncertain as anywhere else.
        let bare =
            matches!(p, Period::CalendarYear(_)) && trimmed.chars().all(|c| c.is_ascii_digit());
        return Some((vec![p], if bare { BARE_YEAR_CONFIDENCE } else { 1.0 }));
    }
    let matches = resolve_periods(text, received);
    if matches.is_empty() {
        return None;
    }
    let mut rest = String::new();
    let mut at = 0;
    for m in &matches {
        rest.push_str(text.get(at..m.start).unwrap_or(""));
        at = m.end;
    }
    rest.push_str(text.get(at..).unwrap_or(""));
    let only_periods = words(&rest).iter().all(|w| w.stop);
    only_periods.then(|| collect_periods(&matches))
}

/// The confidence of a period part that is a bare year ("2015" on a line of
/// its own under a question), lower than any read period's so the reading
/// can tell it apart.
pub(super) const BARE_YEAR_CONFIDENCE: f32 = 0.5;

pub(super) fn collect_periods(matches: &[PeriodMatch]) -> (Vec<Period>, f32) {
    let mut periods = Vec::new();
    for p in matches.iter().flat_map(|m| &m.periods) {
        if !periods.contains(p) {
            periods.push(*p);
        }
    }
    let confidence = matches.iter().map(|m| m.confidence).fold(1.0_f32, f32::min);
    (periods, confidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Period;
    use crate::understand::tests::*;

    // Periods in words, one test per phrase.

    #[test]
    fn a_year_ending_a_month_is_the_twelve_months_to_its_end() {
        assert_eq!(
            periods(
                "for the Year ending March 2022 and September 2014.",
                day(2022, 9, 20)
            ),
            [
                p("2021/22"),
                Period::range(day(2013, 10, 1), day(2014, 9, 30)).unwrap()
            ]
        );
        assert_eq!(
            periods("in the year to June 2019", day(2020, 1, 5)),
            [Period::range(day(2018, 7, 1), day(2019, 6, 30)).unwrap()]
        );
        // A month alone is still the month.
        assert_eq!(
            periods("in March 2022", day(2022, 9, 20)),
            [p("March 2022")]
        );
    }

    #[test]
    fn each_year_for_the_past_three_years() {
        assert_eq!(
            periods("each year for the past three years", day(2019, 6, 10)),
            [p("2018/19"), p("2017/18"), p("2016/17")]
        );
    }

    #[test]
    fn the_last_12_months_are_the_complete_months_before_receipt() {
        assert_eq!(
            periods("How many in the last 12 months?", day(2022, 10, 3)),
            [Period::range(day(2021, 10, 1), day(2022, 9, 30)).unwrap()]
        );
        // Twelve months from April are a financial year.
        assert_eq!(
            periods("over the past twelve months", day(2020, 4, 15)),
            [p("2019/20")]
        );
        assert_eq!(
            periods("the last 6 months", day(2024, 1, 31)),
            [Period::range(day(2023, 7, 1), day(2023, 12, 31)).unwrap()]
        );
    }

    #[test]
    fn a_list_of_bare_years_after_a_cue_is_every_year_listed() {
        assert_eq!(
            periods(
                "died in treatment in 2019, 2020 and 2021?",
                day(2022, 10, 3)
            ),
            [
                Period::CalendarYear(2019),
                Period::CalendarYear(2020),
                Period::CalendarYear(2021)
            ]
        );
        assert_eq!(
            periods("registered in 2015, 2016, and 2017", day(2022, 10, 3)).len(),
            3
        );
        // Without a cue a bare year is not a period ("the 2000 Act").
        assert!(periods("under the Act 2000, and 2001 rules", day(2022, 10, 3)).is_empty());
    }

    #[test]
    fn the_past_3_years() {
        assert_eq!(
            periods("What was it for the past 3 years?", day(2019, 6, 10)),
            [p("2018/19"), p("2017/18"), p("2016/17")]
        );
        // Received in March: the year then running is not complete.
        assert_eq!(
            periods("the past 3 years", day(2019, 3, 20)),
            [p("2017/18"), p("2016/17"), p("2015/16")]
        );
    }

    #[test]
    fn over_the_last_five_financial_years() {
        let m = resolve_periods("over the last five financial years", day(2019, 6, 10));
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].periods,
            [
                p("2018/19"),
                p("2017/18"),
                p("2016/17"),
                p("2015/16"),
                p("2014/15")
            ]
        );
        assert_eq!(m[0].words, "the last five financial years");
        assert!(m[0].confidence >= 0.9);
    }

    #[test]
    fn the_following_financial_years_listed_inline() {
        assert_eq!(
            periods(
                "the following financial years: a) 2014 - 15 b) 2018 - 19",
                day(2019, 6, 10)
            ),
            [p("2014/15"), p("2018/19")]
        );
    }

    #[test]
    fn between_31st_march_and_1st_april() {
        assert_eq!(
            periods(
                "how many were in treatment between 31st March 2016 and 1st April 2017?",
                day(2017, 4, 18)
            ),
            [p("2016/17")]
        );
    }

    #[test]
    fn in_each_financial_year_since() {
        assert_eq!(
            periods("in each financial year since 2014/15?", day(2017, 4, 18)),
            [p("2014/15"), p("2015/16"), p("2016/17")]
        );
    }

    #[test]
    fn in_the_calendar_years() {
        assert_eq!(
            periods("in the calendar years 2020 and 2021", day(2022, 5, 1)),
            [Period::CalendarYear(2020), Period::CalendarYear(2021)]
        );
    }

    #[test]
    fn from_a_date_to_date() {
        let received = day(2021, 5, 20);
        assert_eq!(
            periods("from 1 April 2020 to date", received),
            [Period::range(day(2020, 4, 1), received).unwrap()]
        );
    }

    #[test]
    fn a_span_of_financial_years() {
        assert_eq!(
            periods("for 2012/13 to 2021/22", day(2022, 6, 1)),
            [p("2012/13 to 2021/22")]
        );
    }

    #[test]
    fn registered_in_a_year() {
        assert_eq!(
            periods("deaths registered in 2015 where", day(2017, 4, 18)),
            [Period::CalendarYear(2015)]
        );
    }

    #[test]
    fn next_financial_year_with_its_dates_in_brackets() {
        assert_eq!(
            periods(
                "plans in the next financial year (between 1st April 2017 and 31st March 2018)?",
                day(2017, 4, 18)
            ),
            [p("2017/18")]
        );
        assert_eq!(
            periods("next financial year", day(2017, 4, 18)),
            [p("2018/19")]
        );
    }

    #[test]
    fn numbers_that_are_not_periods() {
        let received = day(2019, 6, 10);
        for text in [
            "Under the Freedom of Information Act 2000, please provide:",
            "(e.g. youngest 18, oldest 56 years old)",
            "as defined by ICD-9 and ICD-10",
            "please respond to Questions 4-14",
        ] {
            assert_eq!(periods(text, received), [], "{text}");
        }
    }

    // Issue 13: lists of bare years, each year of a span, mistyped years.

    fn all(text: &str) -> (Vec<Period>, bool, bool) {
        let m = resolve_periods(text, day(2019, 4, 16));
        (
            collect_periods(&m).0,
            m.iter().any(|m| m.bare_years),
            m.iter().any(|m| m.mistyped),
        )
    }

    fn years(range: std::ops::RangeInclusive<i16>) -> Vec<Period> {
        range.map(Period::CalendarYear).collect()
    }

    #[test]
    fn years_listed_with_slashes_are_a_list_of_bare_years() {
        let (periods, bare, _) =
            all("in the following years: 2008 / 2009 / 2010 / 2011 / 2012/2013/ 2014");
        assert_eq!(periods, years(2008..=2014));
        assert!(bare);
        // A financial year is still one financial year.
        assert_eq!(all("in 2008/2009").0, [p("2008/09")]);
    }

    #[test]
    fn each_year_between_two_years_is_every_year() {
        let (periods, bare, _) = all("for each year between 2013 - 2021");
        assert_eq!(periods, years(2013..=2021));
        assert!(bare);
        assert_eq!(
            all("year by year between 2019 - 2024").0,
            years(2019..=2024)
        );
        assert_eq!(all("each year between 2015 and 2020").0, years(2015..=2020));
        // Without "each", a span stays one span.
        assert_eq!(
            all("the total between 2013 - 2021").0,
            [p("2013-01-01 to 2021-12-31")]
        );
    }

    #[test]
    fn each_calendar_year_from_one_to_another_is_five_years() {
        let (periods, bare, _) = all("for each calendar year 2013 to 2017");
        assert_eq!(periods, years(2013..=2017));
        assert!(!bare, "“calendar year” says which kind");
    }

    #[test]
    fn years_since_a_bare_year_are_bare() {
        let (periods, bare, _) = all("each year since 2015");
        assert_eq!(periods, years(2015..=2018));
        assert!(bare);
        assert!(!all("in each financial year since 2014/15").1);
    }

    #[test]
    fn a_mistyped_year_is_kept_for_the_officer() {
        let (periods, _, mistyped) = all("in 2016/17, 20217/18 and 2018/19");
        assert!(mistyped);
        assert!(periods.contains(&p("2016/17")) && periods.contains(&p("2018/19")));
    }

    #[test]
    fn a_bare_year_on_a_line_of_its_own_is_less_sure() {
        assert_eq!(
            period_only("2015", day(2019, 4, 16)),
            Some((vec![Period::CalendarYear(2015)], BARE_YEAR_CONFIDENCE))
        );
        assert_eq!(
            period_only("2016/2017", day(2019, 4, 16)),
            Some((vec![p("2016/17")], 1.0))
        );
    }

    #[test]
    fn the_years_from_one_financial_year_to_another_are_each_year() {
        let (periods, _, _) = all("in the financial years from 2012/13 to 2015/16");
        assert_eq!(
            periods,
            [p("2012/13"), p("2013/14"), p("2014/15"), p("2015/16")]
        );
        // "from … to …" with no plural "years" stays a span.
        assert_eq!(all("from 2012/13 to 2015/16").0, [p("2012/13 to 2015/16")]);
    }
}
