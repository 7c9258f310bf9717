//! Reading one provider submission (`docs/formats/episodes.md`): the CSV is
//! checked row by row, every problem is located (line, column, reason, and
//! the value only where it cannot identify anyone: [`shown`]), and the good
//! rows are pseudonymised into [`Record`]s grouped by local authority.
//!
//! [`read`] never fails: whatever the bytes, it returns an [`Outcome`] whose
//! [`Report`] says what was wrong and whether the file is accepted. Problems
//! are of two kinds:
//!
//! - **file problems** (not UTF-8, a missing, unknown or repeated column, an
//!   unknown or mismatched agency, no rows) reject the whole file;
//! - **row problems**: errors make a row unusable, warnings do not. Whether
//!   a file with bad rows is accepted is decided by [`BadRowLimit`]; when it
//!   is, the bad rows are dropped together with every other row of their
//!   episodes, so no half-episode is ever kept.
//!
//! Line numbers are the CSV's physical lines (the header is line 1; a quoted
//! value spanning lines counts each). A problem with line 0 concerns the
//! file as a whole rather than one line.
//!
//! The reader works on bytes: one reused [`csv::ByteRecord`], dates and
//! numbers parsed by hand, a string allocated per row only for the episode
//! and intervention identifiers. A client's key is reused while the rows
//! are the same client's (rows of an episode are usually together): an HMAC
//! costs about as much as a hash-table look-up, so a table would not pay.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::codes::{self, Funding, Intervention, Setting, Sex};
use super::{ClientKey, Day, PseudonymKey, Record, YearMonth};

/// The columns of a submission, in the order the format lists them. Every
/// one must be present (in any order, any case).
pub const COLUMNS: [&str; 24] = [
    "AGNCY", "CLIENT", "FINITIAL", "SINITIAL", "DOB", "SEX", "ETHNIC", "LA", "EPISODID", "REFLD",
    "TRIAGED", "EPSTART", "DISD", "DISRSN", "DRUG1", "DRUG2", "DRUG3", "MODID", "MODAL", "MODSET",
    "MODST", "MODEND", "FUNDING", "NALOXONE",
];

/// The longest cell accepted, in bytes.
pub const MAX_CELL_BYTES: usize = 64;

/// How many errors (and, separately, warnings) a report lists; the rest are
/// only counted ([`Report::truncated`]).
pub const MAX_LISTED_PROBLEMS: usize = 1000;

/// How many characters of a value a problem quotes.
const SHOWN_CHARS: usize = 40;

const NCOLS: usize = COLUMNS.len();
const AGNCY: usize = 0;
const CLIENT: usize = 1;
const FINITIAL: usize = 2;
const SINITIAL: usize = 3;
const DOB: usize = 4;
const SEX: usize = 5;
const ETHNIC: usize = 6;
const LA: usize = 7;
const EPISODID: usize = 8;
const REFLD: usize = 9;
const TRIAGED: usize = 10;
const EPSTART: usize = 11;
const DISD: usize = 12;
const DISRSN: usize = 13;
const DRUG1: usize = 14;
const DRUG2: usize = 15;
const DRUG3: usize = 16;
const MODID: usize = 17;
const MODAL: usize = 18;
const MODSET: usize = 19;
const MODST: usize = 20;
const MODEND: usize = 21;
const FUNDING: usize = 22;
const NALOXONE: usize = 23;

/// Everything [`read`] needs besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The key client pseudonyms are made with.
    pub key: &'a PseudonymKey,
    /// The registered agency codes.
    pub agencies: &'a BTreeSet<String>,
    /// The agency the file must be from (`--provider` or the file name);
    /// `None`: the agency of the first row, which every row must share.
    pub provider: Option<&'a str>,
    /// The reporting month: no date may be after its last day.
    pub month: YearMonth,
    /// The day of the import: no date may be after it.
    pub today: jiff::civil::Date,
    /// How many rows with errors a file may have and still be applied.
    pub limit: BadRowLimit,
}

/// How many rows with errors a file may have and still be accepted (its
/// good rows applied): a number of rows, or a share of the file's rows.
/// Written `5` or `1%` / `0.5%`; the default is `0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BadRowLimit {
    /// At most this many rows.
    Rows(u64),
    /// At most this share of the rows, from 0.0 to 1.0.
    Share(f64),
}

impl Default for BadRowLimit {
    fn default() -> Self {
        BadRowLimit::Rows(0)
    }
}

impl BadRowLimit {
    /// Whether `bad` rows with errors out of `rows` are within the limit.
    pub fn allows(self, bad: u64, rows: u64) -> bool {
        match self {
            BadRowLimit::Rows(n) => bad <= n,
            // A tiny tolerance so that e.g. 1 of 100 is within 1%.
            BadRowLimit::Share(share) => (bad as f64) <= share * (rows as f64) + 1e-9,
        }
    }
}

impl fmt::Display for BadRowLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadRowLimit::Rows(n) => write!(f, "{n}"),
            BadRowLimit::Share(share) => {
                let text = format!("{:.6}", share * 100.0);
                let text = text.trim_end_matches('0').trim_end_matches('.');
                write!(f, "{text}%")
            }
        }
    }
}

/// A bad-row limit that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a bad-row limit: {why}")]
pub struct BadRowLimitError {
    text: String,
    why: &'static str,
}

impl FromStr for BadRowLimit {
    type Err = BadRowLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let fail = |why| BadRowLimitError {
            text: s.to_string(),
            why,
        };
        const HOW: &str = "give a number of rows (e.g. 5) or a share of the rows (e.g. 1% or 0.5%)";
        if let Some(number) = text.strip_suffix('%') {
            let number = number.trim();
            let shape_ok = !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && number.bytes().filter(|&b| b == b'.').count() <= 1
                && number != ".";
            if !shape_ok {
                return Err(fail(HOW));
            }
            let percent: f64 = number.parse().map_err(|_| fail(HOW))?;
            if !(0.0..=100.0).contains(&percent) {
                return Err(fail("a share cannot be more than 100%"));
            }
            Ok(BadRowLimit::Share(percent / 100.0))
        } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse()
                .map(BadRowLimit::Rows)
                .map_err(|_| fail("the number is too large"))
        } else {
            Err(fail(HOW))
        }
    }
}

/// What reading a submission gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The agency the file is from (`""` when it could not be told).
    pub provider: String,
    /// The reporting month.
    pub month: YearMonth,
    /// The accepted records by local authority (ONS code); empty when the
    /// file is rejected.
    pub areas: BTreeMap<String, Vec<Record>>,
    /// The validation report.
    pub report: Report,
}

/// The validation report of a submission, kept with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Data rows read (the header not counted).
    pub rows: u64,
    /// Rows applied.
    pub accepted_rows: u64,
    /// Rows not applied: rows with errors, rows of their episodes, or every
    /// row when the file is rejected.
    pub rejected_rows: u64,
    /// The decision.
    pub verdict: Verdict,
    /// Errors, in line order (at most [`MAX_LISTED_PROBLEMS`]).
    pub errors: Vec<Problem>,
    /// Warnings, in line order (at most [`MAX_LISTED_PROBLEMS`]).
    pub warnings: Vec<Problem>,
    /// The bad-row limit applied, as written (`0`, `1%`).
    pub limit: String,
    /// Problems found but not listed, beyond the cap.
    pub truncated: u64,
}

/// Whether a submission is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every row is applied.
    Accepted,
    /// The good rows are applied; the rows with errors (and the rest of
    /// their episodes) are not.
    AcceptedWithRejections,
    /// Nothing is applied.
    Rejected {
        /// Why, in a sentence.
        reason: String,
    },
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The line (header = 1); 0 for the file as a whole. In a spreadsheet,
    /// the row number the sheet shows.
    pub line: u64,
    /// In a spreadsheet, where the problem is in the sheet's own notation:
    /// the cell (`Sheet1!C12`) when it is with one column, else the row
    /// (`Sheet1!12`). `None` for CSV files and for the file as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The column, if the problem is with one.
    pub field: Option<String>,
    /// The value at fault, only where it cannot identify anyone (see
    /// [`shown`]): a code from one of the format's code lists, a number of at
    /// most four digits, an area code, a registered agency, a column name.
    /// Never a client identifier, initial, date of birth or other date, or
    /// free text.
    pub value: Option<String>,
    /// The length in characters of a value that is not shown, when the
    /// problem is with the value's form (a misspelt code, not a date, too
    /// long).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

impl Report {
    /// The report for people: one line per problem
    /// (`file:LINE: FIELD 'VALUE': reason`, warnings marked `warning:`),
    /// errors first, then a summary line.
    pub fn to_text(&self, file: &str) -> String {
        let mut out = String::new();
        for (problems, kind) in [(&self.errors, ""), (&self.warnings, "warning: ")] {
            for p in problems {
                out.push_str(file);
                out.push(':');
                if let Some(cell) = &p.cell {
                    out.push_str(cell);
                    out.push(':');
                } else if p.line > 0 {
                    out.push_str(&p.line.to_string());
                    out.push(':');
                }
                out.push(' ');
                out.push_str(kind);
                let length = p.length.map(|n| {
                    format!(
                        "({} {})",
                        thousands(n),
                        plural(n, "character", "characters")
                    )
                });
                match (&p.field, &p.value, length) {
                    (Some(field), Some(value), _) => out.push_str(&format!("{field} '{value}': ")),
                    (Some(field), None, Some(length)) => {
                        out.push_str(&format!("{field} {length}: "))
                    }
                    (Some(field), None, None) => out.push_str(&format!("{field}: ")),
                    (None, Some(value), _) => out.push_str(&format!("'{value}': ")),
                    (None, None, Some(length)) => out.push_str(&format!("{length}: ")),
                    (None, None, None) => {}
                }
                out.push_str(&p.reason);
                out.push('\n');
            }
        }
        if self.truncated > 0 {
            out.push_str(&format!(
                "{file}: {} more {} not listed\n",
                thousands(self.truncated),
                plural(self.truncated, "problem", "problems")
            ));
        }
        let warnings = match self.warnings.len() as u64 + self.truncated {
            0 => String::new(),
            _ => format!(
                ", {} {}",
                thousands(self.warnings.len() as u64),
                plural(self.warnings.len() as u64, "warning", "warnings")
            ),
        };
        let summary = match &self.verdict {
            Verdict::Accepted => format!(
                "accepted: {} {}{warnings}",
                thousands(self.rows),
                plural(self.rows, "row", "rows")
            ),
            Verdict::AcceptedWithRejections => format!(
                "accepted with rejections: {} of {} rows applied, {} rejected (limit {}){warnings}",
                thousands(self.accepted_rows),
                thousands(self.rows),
                thousands(self.rejected_rows),
                self.limit
            ),
            Verdict::Rejected { reason } => format!("rejected: {reason}"),
        };
        out.push_str(&format!("{file}: {summary}\n"));
        out
    }
}

/// Rewrite a report stored before the rule on what reports show ([`shown`])
/// so that it shows no more than a new report would: values that may
/// identify someone are dropped, dates in reasons are cut to their year,
/// and quoted text in reasons that is not a registered agency, the
/// submission's provider or a code is replaced by its length. A report
/// made under the rule is left as it is, except that dates in reasons
/// (the reporting month's bounds, today) are cut to their year too.
pub fn scrub(report: &mut Report, agencies: &BTreeSet<String>, provider: Option<&str>) {
    for p in report.errors.iter_mut().chain(&mut report.warnings) {
        if let Some(value) = p.value.take() {
            p.value = match &p.field {
                Some(field) => shown(field, &value, agencies, provider),
                None => shown_column_name(value.as_bytes()),
            };
        }
        p.reason = scrub_text(&p.reason, agencies, provider);
    }
    if let Verdict::Rejected { reason } = &mut report.verdict {
        *reason = scrub_text(reason, agencies, provider);
    }
}

/// A stored reason with no dates (only their years) and no quoted text
/// that might identify someone.
fn scrub_text(text: &str, agencies: &BTreeSet<String>, provider: Option<&str>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digits = |from: usize, n: usize| {
        chars.len() >= from + n && chars[from..from + n].iter().all(char::is_ascii_digit)
    };
    let boundary = |at: usize| at >= chars.len() || !chars[at].is_ascii_alphanumeric();
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        // YYYY-MM-DD (and the time after it, if any) or YYYYMMDD: the year.
        if starts_word && digits(i, 4) {
            let dashed = chars.get(i + 4) == Some(&'-')
                && digits(i + 5, 2)
                && chars.get(i + 7) == Some(&'-')
                && digits(i + 8, 2);
            let end = if dashed && boundary(i + 10) {
                Some(i + 10)
            } else if digits(i, 8) && boundary(i + 8) {
                Some(i + 8)
            } else {
                None
            };
            if let Some(end) = end {
                out.extend(&chars[i..i + 4]);
                i = end;
                continue;
            }
        }
        // 'quoted': kept only if it cannot identify anyone.
        if chars[i] == '\'' && (i == 0 || matches!(chars[i - 1], ' ' | '(')) {
            let close = chars[i + 1..]
                .iter()
                .position(|&c| c == '\'')
                .map(|p| p + i + 1)
                .filter(|&c| {
                    chars
                        .get(c + 1)
                        .is_none_or(|n| matches!(n, ' ' | ')' | ':' | ',' | ';' | '.'))
                });
            if let Some(close) = close {
                let quoted: String = chars[i + 1..close].iter().collect();
                if agencies.contains(&quoted)
                    || provider == Some(quoted.as_str())
                    || is_code_like(&quoted)
                {
                    out.push('\'');
                    out.push_str(&quoted);
                    out.push('\'');
                } else {
                    let n = quoted.chars().count() as u64;
                    out.push_str(&format!(
                        "({} {})",
                        thousands(n),
                        plural(n, "character", "characters")
                    ));
                }
                i = close + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Read, check and pseudonymise one submission file.
pub fn read(bytes: &[u8], ctx: &Context<'_>) -> Outcome {
    let mut reader = Reader::new(ctx);
    reader.run(bytes);
    reader.finish()
}

/// Where a spreadsheet's table is: the sheet's name and the column its
/// first cells are in (0 for `A`), so that problems can name cells.
#[derive(Debug, Clone, Copy)]
pub struct Sheet<'s> {
    /// The sheet's name, e.g. `Sheet1`.
    pub name: &'s str,
    /// The column of each row's first cell (0 = `A`).
    pub first_column: u32,
}

/// Read, check and pseudonymise a submission given as a spreadsheet's rows
/// (the same columns and rules as the CSV form): each row with the number
/// the sheet shows for it, the header row first. Every problem is located by
/// that row number (as the line) and by the cell ([`Problem::cell`]).
pub fn read_sheet<I, R, C>(sheet: &Sheet<'_>, rows: I, ctx: &Context<'_>) -> Outcome
where
    I: IntoIterator<Item = (u64, R)>,
    R: IntoIterator<Item = C>,
    C: AsRef<[u8]>,
{
    let mut reader = Reader::new(ctx);
    let mut header_line = 0;
    if reader.key_ok() {
        let mut record = csv::ByteRecord::new();
        // Trailing empty cells beyond the header's width are not fields (a
        // sheet's used range can be wider than its table).
        let fill = |record: &mut csv::ByteRecord, cells: R, width: usize| {
            record.clear();
            for cell in cells {
                record.push_field(cell.as_ref());
            }
            while record.len() > width && record.get(record.len() - 1) == Some(b"".as_slice()) {
                record.truncate(record.len() - 1);
            }
        };
        let mut rows = rows.into_iter();
        match rows.next() {
            None => reader
                .sink
                .file_error(0, None, Shown::Nothing, || "empty: no header row".into()),
            Some((line, cells)) => {
                header_line = line;
                fill(&mut record, cells, 0);
                let width = record.len();
                if reader.begin(line, &record) {
                    for (line, cells) in rows {
                        fill(&mut record, cells, width);
                        reader.row(line, &record);
                    }
                } else {
                    reader.rows += rows.count() as u64;
                }
            }
        }
    }
    let map = reader.map;
    let mut outcome = reader.finish();
    let report = &mut outcome.report;
    for p in report.errors.iter_mut().chain(&mut report.warnings) {
        if p.line == 0 {
            continue;
        }
        let column = p
            .field
            .as_deref()
            .and_then(|f| COLUMNS.iter().position(|c| *c == f))
            .map(|c| map[c])
            .filter(|&position| position != usize::MAX && p.line != header_line);
        p.cell = Some(match column {
            Some(position) => format!(
                "{}!{}{}",
                sheet_ref(sheet.name),
                column_letters(sheet.first_column as usize + position),
                p.line
            ),
            None => format!("{}!{}", sheet_ref(sheet.name), p.line),
        });
    }
    outcome
}

/// A submission that could not be read at all (e.g. a damaged workbook):
/// rejected, with `reason` as its one problem.
pub fn unreadable(reason: &str, ctx: &Context<'_>) -> Outcome {
    let mut reader = Reader::new(ctx);
    reader
        .sink
        .file_error(0, None, Shown::Nothing, || reason.to_string());
    reader.finish()
}

/// A sheet's name as a cell reference spells it: quoted (`'My sheet'`) unless
/// it is letters, digits and underscores.
fn sheet_ref(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

/// A column's letters: 0 → `A`, 25 → `Z`, 26 → `AA`.
fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Problems

/// What a problem shows of the value at fault (see [`shown`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    /// Nothing: the problem is not with one value, or the value may
    /// identify someone and its form is not in question.
    Nothing,
    /// The value itself: it cannot identify anyone.
    Value(String),
    /// Only the value's length in characters.
    Length(u64),
}

#[derive(Default)]
struct Sink {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    truncated: u64,
    file_errors: u64,
    first_file_error: Option<String>,
}

impl Sink {
    fn push(
        list: &mut Vec<Problem>,
        truncated: &mut u64,
        line: u64,
        field: Option<&str>,
        shown: Shown,
        reason: impl FnOnce() -> String,
    ) {
        if list.len() >= MAX_LISTED_PROBLEMS {
            *truncated += 1;
            return;
        }
        let (value, length) = match shown {
            Shown::Nothing => (None, None),
            Shown::Value(value) => (Some(value), None),
            Shown::Length(n) => (None, Some(n)),
        };
        list.push(Problem {
            line,
            cell: None,
            field: field.map(str::to_string),
            value,
            length,
            reason: reason(),
        });
    }

    fn error(
        &mut self,
        line: u64,
        field: Option<&str>,
        value: Shown,
        reason: impl FnOnce() -> String,
    ) {
        Sink::push(
            &mut self.errors,
            &mut self.truncated,
            line,
            field,
            value,
            reason,
        );
    }

    fn warning(
        &mut self,
        line: u64,
        field: Option<&str>,
        value: Shown,
        reason: impl FnOnce() -> String,
    ) {
        Sink::push(
            &mut self.warnings,
            &mut self.truncated,
            line,
            field,
            value,
            reason,
        );
    }

    /// A problem with the file as a whole (it rejects the file). The
    /// reason is only made if it is listed.
    fn file_error(
        &mut self,
        line: u64,
        field: Option<&str>,
        value: Shown,
        reason: impl FnOnce() -> String,
    ) {
        self.file_errors += 1;
        if self.first_file_error.is_some() && self.errors.len() >= MAX_LISTED_PROBLEMS {
            self.truncated += 1;
            return;
        }
        let reason = reason();
        if self.first_file_error.is_none() {
            self.first_file_error = Some(reason.clone());
        }
        self.error(line, field, value, || reason);
    }
}

/// The columns whose values come from a code list (or are small numbers):
/// a report may show their values when they look like codes.
const CODE_COLUMNS: [usize; 11] = [
    SEX, ETHNIC, LA, DISRSN, DRUG1, DRUG2, DRUG3, MODAL, MODSET, FUNDING, NALOXONE,
];

/// Excel's error values, as a cell holding one reads (`#N/A`).
const SPREADSHEET_ERRORS: [&str; 10] = [
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
];

/// Whether a value is shaped like a code of this format, so that showing it
/// cannot identify anyone: a code of one of the code lists (any case), a
/// number of at most four digits, an area code (a letter and eight digits),
/// or a spreadsheet error value.
fn is_code_like(value: &str) -> bool {
    let b = value.as_bytes();
    if (1..=4).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    // One letter: no one is identified by it.
    if b.len() == 1 && b[0].is_ascii_alphanumeric() {
        return true;
    }
    if b.len() == 9 && b[0].is_ascii_alphabetic() && b[1..].iter().all(u8::is_ascii_digit) {
        return true;
    }
    if b.len() > 5 && !value.starts_with('#') {
        return false;
    }
    let upper = value.to_ascii_uppercase();
    Sex::parse(&upper).is_some()
        || (b.len() == 1 && codes::is_ethnicity(upper.as_bytes()[0]))
        || Intervention::parse(&upper).is_some()
        || Setting::parse(&upper).is_some()
        || Funding::parse(&upper).is_some()
        || SPREADSHEET_ERRORS.contains(&upper.as_str())
}

/// The value of a cell as a validation report may show it, or `None` when
/// it must not be shown. The rule (`docs/formats/episodes.md`, "What a
/// report shows"): a value is shown only where it cannot identify anyone.
///
/// - `AGNCY`: a registered agency, or the provider the submission is from
///   (given on the command line or in the file's name).
/// - The code columns (`SEX`, `ETHNIC`, `LA`, `DISRSN`, `DRUG1`–`DRUG3`,
///   `MODAL`, `MODSET`, `FUNDING`, `NALOXONE`): a value shaped like a code
///   (see [`is_code_like`]), whether or not it is valid.
/// - Every other column — the client identifier, the initials, the date of
///   birth, every other date, the episode and intervention identifiers —
///   never.
///
/// Used for new reports and to scrub reports stored before the rule
/// ([`scrub`]).
pub fn shown(
    column: &str,
    value: &str,
    agencies: &BTreeSet<String>,
    provider: Option<&str>,
) -> Option<String> {
    let col = COLUMNS.iter().position(|c| *c == column)?;
    let show_it = if col == AGNCY {
        agencies.contains(value) || provider == Some(value)
    } else {
        CODE_COLUMNS.contains(&col) && is_code_like(value)
    };
    (show_it && !value.is_empty()).then(|| show(value.as_bytes()))
}

/// A header cell as a report may show it: only when it is close to one of
/// the columns' names (a misspelt column), never a header that may be a
/// row of data (a file without its header row).
fn shown_column_name(name: &[u8]) -> Option<String> {
    if name.is_empty()
        || name.len() > 16
        || !name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b' ')
    {
        return None;
    }
    let distance = COLUMNS
        .iter()
        .map(|c| edit_distance(name, c.as_bytes()))
        .min()
        .unwrap_or(usize::MAX);
    let allowed = if name.len() >= 6 { 2 } else { 1 };
    (distance <= allowed).then(|| show(name))
}

/// The number of characters of a value (for a value not shown).
fn char_count(value: &[u8]) -> u64 {
    String::from_utf8_lossy(value).chars().count() as u64
}

/// A value as a report quotes it: at most [`SHOWN_CHARS`] characters (then
/// `…`), control characters escaped.
fn show(value: &[u8]) -> String {
    // Only the start is looked at, however long the value.
    let head = &value[..value.len().min(SHOWN_CHARS * 4 + 4)];
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for (i, ch) in text.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// `12345` as `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca.eq_ignore_ascii_case(cb) {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The documented column closest to a name.
fn nearest_column(name: &[u8]) -> &'static str {
    let name = &name[..name.len().min(MAX_CELL_BYTES)];
    COLUMNS
        .iter()
        .min_by_key(|c| edit_distance(name, c.as_bytes()))
        .copied()
        .unwrap_or(COLUMNS[0])
}

// ---------------------------------------------------------------------------
// Cells

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    &b[start..end]
}

fn text(b: &[u8]) -> &str {
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
struct Ymd {
    year: i16,
    month: i8,
    day: i8,
    days: Day,
}

impl Ymd {
    fn from_date(date: jiff::civil::Date) -> Ymd {
        Ymd {
            year: date.year(),
            month: date.month(),
            day: date.day(),
            days: Day::from_date(date),
        }
    }

    /// `YYYYMMDD`, the attributor's spelling.
    fn compact(self) -> [u8; 8] {
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
    fn age_on(self, on: Ymd) -> i32 {
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

const NOT_A_DATE: &str = "not a date: write YYYYMMDD or YYYY-MM-DD";

fn parse_date(b: &[u8]) -> Result<Ymd, String> {
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

fn parse_initial(b: &[u8]) -> Result<u8, String> {
    match b {
        [c] if c.is_ascii_alphabetic() => Ok(c.to_ascii_uppercase()),
        _ => Err("not an initial: one letter A–Z".into()),
    }
}

fn parse_sex(b: &[u8]) -> Result<Sex, String> {
    Sex::parse(text(b)).ok_or_else(|| {
        "not a sex code: M male, F female, I indeterminate/other, Z not stated".into()
    })
}

fn parse_ethnicity(b: &[u8]) -> Result<u8, String> {
    match b {
        [c] if codes::is_ethnicity(*c) => Ok(*c),
        _ => Err("not an ethnicity code: A–H, J–N, P, R, S, or Z not stated".into()),
    }
}

fn parse_area(b: &[u8]) -> Result<[u8; 9], String> {
    match <[u8; 9]>::try_from(b) {
        Ok(code) if code[0] == b'E' && code[1..].iter().all(u8::is_ascii_digit) => Ok(code),
        _ => Err("not a local authority code: E and eight digits (e.g. E06000016)".into()),
    }
}

fn parse_drug(b: &[u8]) -> Result<u16, String> {
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
fn parse_discharge_reason(b: &[u8]) -> Result<(u8, Option<u8>), String> {
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

fn parse_naloxone(b: &[u8]) -> Result<u16, String> {
    match number(b) {
        Some(n) if n <= 99 && b.len() <= 2 => Ok(u16::try_from(n).unwrap_or(0)),
        _ => Err("not a number of naloxone kits from 0 to 99".into()),
    }
}

fn parse_code<T>(
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

/// A parsed cell: `None` when it is unusable (an error was reported),
/// `Some(None)` when not given, `Some(Some(value))` otherwise.
type Slot<T> = Option<Option<T>>;

/// One data row being checked.
struct RowCheck<'r, 's> {
    line: u64,
    cells: [&'r [u8]; NCOLS],
    unusable: u32,
    bad: bool,
    sink: &'s mut Sink,
    ctx: &'s Context<'s>,
}

impl<'r> RowCheck<'r, '_> {
    /// What a problem with a column's value shows of it: the value where
    /// it cannot identify anyone ([`shown`]); else, when the problem is
    /// with the value's `form`, its length.
    fn shown(&self, col: usize, form: bool) -> Shown {
        let cell = self.cells[col];
        // Nothing to work out for an empty cell, or once the lists are full
        // (the problem is only counted).
        let full = self.sink.errors.len().min(self.sink.warnings.len()) >= MAX_LISTED_PROBLEMS;
        if cell.is_empty() || full {
            return Shown::Nothing;
        }
        match shown(
            COLUMNS[col],
            text(cell),
            self.ctx.agencies,
            self.ctx.provider,
        ) {
            Some(value) => Shown::Value(value),
            None if form => Shown::Length(char_count(cell)),
            None => Shown::Nothing,
        }
    }

    fn error(&mut self, col: usize, reason: impl FnOnce() -> String) {
        self.bad = true;
        let shown = self.shown(col, false);
        self.sink
            .error(self.line, Some(COLUMNS[col]), shown, reason);
    }

    /// An error with the form of the value (not a code, not a date).
    fn form_error(&mut self, col: usize, reason: impl FnOnce() -> String) {
        self.bad = true;
        let shown = self.shown(col, true);
        self.sink
            .error(self.line, Some(COLUMNS[col]), shown, reason);
    }

    fn warning(&mut self, col: usize, reason: impl FnOnce() -> String) {
        let shown = self.shown(col, false);
        self.sink
            .warning(self.line, Some(COLUMNS[col]), shown, reason);
    }

    /// The checks every cell gets: length and formulas.
    fn check_cells(&mut self, raw_lengths: &[usize; NCOLS]) {
        for (col, &len) in raw_lengths.iter().enumerate() {
            let cell = self.cells[col];
            if len > MAX_CELL_BYTES {
                self.unusable |= 1 << col;
                self.bad = true;
                // The reason gives the length; a value this long is no code.
                self.sink
                    .error(self.line, Some(COLUMNS[col]), Shown::Nothing, || {
                        format!(
                            "longer than {MAX_CELL_BYTES} bytes ({} bytes)",
                            thousands(len as u64)
                        )
                    });
            } else if matches!(
                cell.first(),
                Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
            ) {
                self.unusable |= 1 << col;
                self.form_error(col, || {
                    "looks like a spreadsheet formula; Lantern does not accept formulas".into()
                });
            } else if let Some(ch) = text(cell)
                .chars()
                .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            {
                // NUL and the rest (line breaks and tabs are text): refused
                // alike on every engine.
                self.unusable |= 1 << col;
                self.form_error(col, || {
                    format!(
                        "holds the control character U+{:04X}; remove it",
                        u32::from(ch)
                    )
                });
            }
        }
    }

    /// The cell's value: `None` if unusable, `Some(None)` if not given.
    fn cell(&self, col: usize) -> Slot<&'r [u8]> {
        if self.unusable & (1 << col) != 0 {
            return None;
        }
        let v = self.cells[col];
        Some((!v.is_empty() && v != b"NA").then_some(v))
    }

    fn parse<T>(&mut self, col: usize, parse: impl FnOnce(&[u8]) -> Result<T, String>) -> Slot<T> {
        match self.cell(col)? {
            None => Some(None),
            Some(v) => match parse(v) {
                Ok(value) => Some(Some(value)),
                Err(reason) => {
                    self.unusable |= 1 << col;
                    self.form_error(col, || reason);
                    None
                }
            },
        }
    }

    /// A required value: reports it missing.
    fn required<T>(&mut self, col: usize, slot: Slot<T>) -> Option<T> {
        match slot? {
            Some(value) => Some(value),
            None => {
                self.error(col, || "missing".into());
                None
            }
        }
    }

    /// A date, checked against the reporting month and today.
    fn date(&mut self, col: usize, bounds: &Bounds) -> Slot<Ymd> {
        let slot = self.parse(col, parse_date);
        if let Some(Some(date)) = slot {
            if date.days > bounds.month_end.days {
                self.error(col, || {
                    format!("dated after the reporting month ({})", bounds.month)
                });
            } else if date.days > bounds.today.days {
                self.error(col, || format!("in the future (today is {})", bounds.today));
            }
        }
        slot
    }
}

struct Bounds {
    month: YearMonth,
    month_end: Ymd,
    today: Ymd,
}

/// What every row of an episode must agree on, as first seen. `None` for a
/// value that could not be read (not compared).
#[derive(Debug, Clone, Copy)]
struct Sig {
    client: Option<u64>,
    finitial: Option<u8>,
    sinitial: Option<u8>,
    dob: Option<Day>,
    sex: Option<Sex>,
    ethnic: Option<u8>,
    la: Option<[u8; 9]>,
    refld: Option<Day>,
    triaged: Option<Day>,
    epstart: Option<Day>,
    disd: Slot<Day>,
    disrsn: Slot<u8>,
    drugs: [Slot<u16>; 3],
}

impl Sig {
    /// The columns on which two rows of an episode disagree, as a bit set.
    fn differences(&self, other: &Sig) -> u32 {
        fn d<T: PartialEq>(set: &mut u32, col: usize, a: &Option<T>, b: &Option<T>) {
            if let (Some(a), Some(b)) = (a, b)
                && a != b
            {
                *set |= 1 << col;
            }
        }
        let mut set = 0;
        d(&mut set, CLIENT, &self.client, &other.client);
        d(&mut set, FINITIAL, &self.finitial, &other.finitial);
        d(&mut set, SINITIAL, &self.sinitial, &other.sinitial);
        d(&mut set, DOB, &self.dob, &other.dob);
        d(&mut set, SEX, &self.sex, &other.sex);
        d(&mut set, ETHNIC, &self.ethnic, &other.ethnic);
        d(&mut set, LA, &self.la, &other.la);
        d(&mut set, REFLD, &self.refld, &other.refld);
        d(&mut set, TRIAGED, &self.triaged, &other.triaged);
        d(&mut set, EPSTART, &self.epstart, &other.epstart);
        d(&mut set, DISD, &self.disd, &other.disd);
        d(&mut set, DISRSN, &self.disrsn, &other.disrsn);
        d(&mut set, DRUG1, &self.drugs[0], &other.drugs[0]);
        d(&mut set, DRUG2, &self.drugs[1], &other.drugs[1]);
        d(&mut set, DRUG3, &self.drugs[2], &other.drugs[2]);
        set
    }
}

struct Episode {
    first_line: u64,
    sig: Sig,
    /// The first line of the episode with an error, if any.
    bad_line: Option<u64>,
}

/// Where a good row (waiting for the verdict) came from.
struct Kept {
    line: u64,
    episode: u32,
    area: u32,
}

/// The attributor as hashed: `F|S|YYYYMMDD|X`.
type Attributor = [u8; 14];

struct Reader<'c, 'a> {
    ctx: &'c Context<'a>,
    sink: Sink,
    bounds: Bounds,
    mac: Option<Hmac<Sha256>>,
    last_client: Option<(Attributor, ClientKey)>,
    hash: Seeded,
    map: [usize; NCOLS],
    agency: Option<String>,
    agency_from: String,
    episodes: Vec<Episode>,
    episode_ids: IdTable,
    modality_ids: IdTable,
    modality_lines: Vec<u64>,
    records: Vec<Record>,
    kept: Vec<Kept>,
    areas: Vec<[u8; 9]>,
    area_index: HashMap<[u8; 9], u32, Seeded>,
    rows: u64,
    bad_rows: u64,
    header_ok: bool,
}

impl<'c, 'a> Reader<'c, 'a> {
    fn new(ctx: &'c Context<'a>) -> Self {
        let month_end = Ymd::from_date(ctx.month.last_day());
        let hash = Seeded::new();
        Reader {
            ctx,
            sink: Sink::default(),
            bounds: Bounds {
                month: ctx.month,
                month_end,
                today: Ymd::from_date(ctx.today),
            },
            mac: Hmac::<Sha256>::new_from_slice(ctx.key.secret()).ok(),
            last_client: None,
            hash,
            map: [usize::MAX; NCOLS],
            agency: None,
            agency_from: String::new(),
            episodes: Vec::new(),
            episode_ids: IdTable::new(hash),
            modality_ids: IdTable::new(hash),
            modality_lines: Vec::new(),
            records: Vec::new(),
            kept: Vec::new(),
            areas: Vec::new(),
            area_index: HashMap::with_hasher(hash),
            rows: 0,
            bad_rows: 0,
            header_ok: false,
        }
    }

    fn run(&mut self, bytes: &[u8]) {
        if let Err(e) = std::str::from_utf8(bytes) {
            let offset = e.valid_up_to();
            let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            let byte = bytes.get(offset).copied().unwrap_or(0);
            self.sink.file_error(line, None, Shown::Nothing, || {
                format!(
                    "not UTF-8: byte 0x{byte:02X} at byte offset {offset} is not valid UTF-8 \
                     (save the file as UTF-8)"
                )
            });
            return;
        }
        if !self.key_ok() {
            return;
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body);
        let mut record = csv::ByteRecord::new();
        // Room for every row (a row takes at least 64 bytes of the file).
        let lines = body.iter().filter(|&&b| b == b'\n').count() + 1;
        let rows = lines.min(body.len() / 64 + 1);
        self.records.reserve(rows);
        self.kept.reserve(rows);
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => {
                self.sink
                    .file_error(0, None, Shown::Nothing, || "empty: no header row".into());
                return;
            }
            Err(e) => {
                self.sink.file_error(1, None, Shown::Nothing, || {
                    format!("not readable as CSV: {e}")
                });
                return;
            }
        }
        if !self.begin(1, &record) {
            // Count the rows for the report; nothing else can be read.
            while let Ok(true) = csv.read_byte_record(&mut record) {
                self.rows += 1;
            }
            return;
        }
        loop {
            match csv.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    self.sink.file_error(line, None, Shown::Nothing, || {
                        format!("not readable as CSV: {e}")
                    });
                    break;
                }
            }
            let line = record.position().map_or(0, csv::Position::line);
            self.row(line, &record);
        }
    }

    /// Whether the pseudonym key can be used (a file problem if not).
    fn key_ok(&mut self) -> bool {
        if self.mac.is_none() {
            self.sink.file_error(0, None, Shown::Nothing, || {
                "the pseudonym key cannot be used".into()
            });
            return false;
        }
        true
    }

    /// Take the header (on `line`) and the agency the file must be from;
    /// false if the header is wrong (nothing else can be read).
    fn begin(&mut self, line: u64, record: &csv::ByteRecord) -> bool {
        if !self.header(line, record) {
            return false;
        }
        self.header_ok = true;
        if let Some(provider) = self.ctx.provider {
            if !self.ctx.agencies.contains(provider) {
                let reason = || {
                    format!(
                        "unknown agency '{provider}': register it with `lantern import agencies`"
                    )
                };
                // Given on the command line or in the file's name: not data.
                self.sink.file_error(
                    0,
                    Some("AGNCY"),
                    Shown::Value(show(provider.as_bytes())),
                    reason,
                );
            }
            self.agency = Some(provider.to_string());
            self.agency_from = format!("the provider of this submission ('{provider}')");
        }
        true
    }

    /// Map the header to columns; false (with problems) if it is wrong.
    fn header(&mut self, line: u64, record: &csv::ByteRecord) -> bool {
        let mut ok = true;
        for (position, raw) in record.iter().enumerate() {
            let name = trim(raw);
            match COLUMNS
                .iter()
                .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
            {
                Some(col) if self.map[col] == usize::MAX => self.map[col] = position,
                Some(col) => {
                    ok = false;
                    let first = self.map[col] + 1;
                    self.sink
                        .file_error(line, Some(COLUMNS[col]), Shown::Nothing, || {
                            format!("column given twice (columns {first} and {})", position + 1)
                        });
                }
                None => {
                    ok = false;
                    // A header that is not like any column's name may be a
                    // row of data: it is not shown.
                    let shown = shown_column_name(name);
                    let value = match &shown {
                        Some(v) => Shown::Value(v.clone()),
                        None if name.is_empty() => Shown::Nothing,
                        None => Shown::Length(char_count(name)),
                    };
                    self.sink.file_error(line, None, value, || {
                        if name.is_empty() {
                            format!("unknown column: column {} has no name", position + 1)
                        } else if shown.is_some() {
                            format!(
                                "unknown column; the nearest valid name is {}",
                                nearest_column(name)
                            )
                        } else {
                            format!(
                                "unknown column {}, not like any column's name: the first row \
                                 must be the header (the columns are listed in \
                                 docs/formats/episodes.md)",
                                position + 1
                            )
                        }
                    });
                }
            }
        }
        for (col, name) in COLUMNS.iter().enumerate() {
            if self.map[col] == usize::MAX {
                ok = false;
                self.sink
                    .file_error(line, Some(name), Shown::Nothing, || "missing column".into());
            }
        }
        ok
    }

    fn row(&mut self, line: u64, record: &csv::ByteRecord) {
        if record.iter().all(|cell| trim(cell).is_empty()) {
            // A row of empty cells (spreadsheets leave them): not a row.
            self.sink
                .warning(line, None, Shown::Nothing, || "empty row ignored".into());
            return;
        }
        self.rows += 1;
        if record.len() != NCOLS {
            self.bad_rows += 1;
            let n = record.len() as u64;
            self.sink.error(line, None, Shown::Nothing, || {
                format!(
                    "has {} {}, the header has {NCOLS}",
                    thousands(n),
                    plural(n, "field", "fields")
                )
            });
            return;
        }
        let mut cells: [&[u8]; NCOLS] = [b""; NCOLS];
        let mut raw_lengths = [0usize; NCOLS];
        for col in 0..NCOLS {
            let raw = record.get(self.map[col]).unwrap_or(b"");
            raw_lengths[col] = raw.len();
            cells[col] = trim(raw);
        }
        let mut r = RowCheck {
            line,
            cells,
            unusable: 0,
            bad: false,
            sink: &mut self.sink,
            ctx: self.ctx,
        };
        r.check_cells(&raw_lengths);
        let bounds = &self.bounds;

        // The agency: one per file, registered. An unregistered code is
        // not shown (it may be anything typed into the column).
        match r.cell(AGNCY) {
            Some(Some(code)) => match &self.agency {
                Some(expected) => {
                    if code != expected.as_bytes() {
                        let from = &self.agency_from;
                        r.bad = true;
                        let shown = r.shown(AGNCY, true);
                        r.sink.file_error(line, Some("AGNCY"), shown, || {
                            format!("differs from {from}: a file holds one provider's records")
                        });
                    }
                }
                None => {
                    let code = text(code).to_string();
                    if self.ctx.agencies.contains(&code) {
                        self.agency_from = format!("the agency on line {line} ('{code}')");
                    } else {
                        r.bad = true;
                        let shown = r.shown(AGNCY, true);
                        r.sink.file_error(line, Some("AGNCY"), shown, || {
                            "unknown agency: register it with `lantern import agencies`".into()
                        });
                        self.agency_from = format!("the agency on line {line}");
                    }
                    self.agency = Some(code);
                }
            },
            Some(None) => r.error(AGNCY, || "missing".into()),
            None => {}
        }

        // The client.
        let client = r.cell(CLIENT);
        let client = r.required(CLIENT, client).map(|c| self.hash.bytes(c));
        let finitial = r.parse(FINITIAL, parse_initial);
        let finitial = r.required(FINITIAL, finitial);
        let sinitial = r.parse(SINITIAL, parse_initial);
        let sinitial = r.required(SINITIAL, sinitial);
        let dob = r.date(DOB, bounds);
        let dob = r.required(DOB, dob);
        if let Some(d) = dob
            && d.year < 1902
        {
            r.unusable |= 1 << DOB;
            r.error(DOB, || "born before 1902: check the date of birth".into());
        }
        let sex = r.parse(SEX, parse_sex);
        let sex = r.required(SEX, sex);
        let ethnic = r.parse(ETHNIC, parse_ethnicity);
        let ethnic = r.required(ETHNIC, ethnic);
        let la = r.parse(LA, parse_area);
        let la = r.required(LA, la);

        // The episode.
        let episode_id = r.cell(EPISODID);
        let episode_id = r.required(EPISODID, episode_id);
        let refld = r.date(REFLD, bounds);
        let refld = r.required(REFLD, refld);
        let triaged = r.date(TRIAGED, bounds);
        let triaged = r.required(TRIAGED, triaged);
        let epstart = r.date(EPSTART, bounds);
        let epstart = r.required(EPSTART, epstart);
        let disd = r.date(DISD, bounds);
        let disrsn = match r.parse(DISRSN, parse_discharge_reason) {
            Some(Some((code, Some(old)))) => {
                r.warning(DISRSN, || {
                    format!("old payment-by-results code {old}, read as {code}")
                });
                Some(Some(code))
            }
            Some(Some((code, None))) => Some(Some(code)),
            Some(None) => Some(None),
            None => None,
        };
        let drug1 = r.parse(DRUG1, parse_drug);
        let drug1 = r.required(DRUG1, drug1);
        let mut drug2 = r.parse(DRUG2, parse_drug);
        let mut drug3 = r.parse(DRUG3, parse_drug);
        if let (Some(Some(d2)), Some(d1)) = (drug2, drug1)
            && d2 == d1
        {
            r.warning(DRUG2, || "repeats DRUG1; ignored".into());
            drug2 = Some(None);
        }
        if let Some(Some(d3)) = drug3 {
            if Some(d3) == drug1 {
                r.warning(DRUG3, || "repeats DRUG1; ignored".into());
                drug3 = Some(None);
            } else if drug2 == Some(Some(d3)) {
                r.warning(DRUG3, || "repeats DRUG2; ignored".into());
                drug3 = Some(None);
            }
        }

        // The intervention.
        let modality_id = r.cell(MODID);
        let modality_id = r.required(MODID, modality_id);
        let modal = r.parse(MODAL, |b| {
            parse_code(b, Intervention::parse, Intervention::ALL, |v| v.code())
        });
        let modal = r.required(MODAL, modal);
        let modset = r.parse(MODSET, |b| {
            parse_code(b, Setting::parse, Setting::ALL, |v| v.code())
        });
        let modset = r.required(MODSET, modset);
        let modst = r.date(MODST, bounds);
        let modst = r.required(MODST, modst);
        let modend = r.date(MODEND, bounds);
        let funding = r.parse(FUNDING, |b| {
            parse_code(b, Funding::parse, Funding::ALL, |v| v.code())
        });
        let funding = r.required(FUNDING, funding);
        let naloxone = r
            .parse(NALOXONE, parse_naloxone)
            .map(Option::unwrap_or_default);

        // How the dates fit together.
        if let (Some(dob), Some(refld)) = (dob, refld) {
            if dob.days >= refld.days {
                r.error(DOB, || "not before the referral (REFLD)".into());
            } else if let Some(epstart) = epstart
                && dob.age_on(epstart) < 18
            {
                r.error(DOB, || {
                    "under 18: belongs to the young people's data set".into()
                });
            }
        }
        if let (Some(refld), Some(triaged)) = (refld, triaged)
            && triaged.days < refld.days
        {
            r.error(TRIAGED, || "triage before referral".into());
        }
        if let (Some(refld), Some(epstart)) = (refld, epstart) {
            if epstart.days < refld.days {
                r.error(EPSTART, || "episode start before referral".into());
            } else if let Some(triaged) = triaged
                && epstart.days < triaged.days
                && triaged.days >= refld.days
            {
                r.warning(EPSTART, || "episode start before triage (TRIAGED)".into());
            }
        }
        match (disd, disrsn) {
            (Some(Some(_)), Some(None)) => {
                r.error(DISRSN, || "missing: required when DISD is given".into());
            }
            (Some(None), Some(Some(_))) => {
                r.error(DISD, || "missing: required when DISRSN is given".into());
            }
            _ => {}
        }
        let discharge = disd.flatten();
        if let (Some(disd), Some(epstart)) = (discharge, epstart)
            && disd.days < epstart.days
        {
            r.error(DISD, || "discharge before start".into());
        }
        if let Some(modst) = modst {
            if let Some(epstart) = epstart
                && modst.days < epstart.days
            {
                r.error(MODST, || {
                    "intervention starts before the episode (EPSTART)".into()
                });
            }
            if let Some(disd) = discharge
                && modst.days > disd.days
            {
                r.error(MODST, || {
                    "intervention starts after the discharge (DISD)".into()
                });
            }
        }
        if let Some(Some(modend)) = modend {
            if let Some(modst) = modst
                && modend.days < modst.days
            {
                r.error(MODEND, || "intervention ends before it starts".into());
            }
            if let Some(disd) = discharge
                && modend.days > disd.days
            {
                r.error(MODEND, || {
                    "intervention ends after the discharge (DISD)".into()
                });
            }
        }
        if let (Some(Some(_)), Some(None)) = (disd, modend) {
            r.error(MODEND, || {
                "missing: the episode is discharged, so its interventions must have ended".into()
            });
        }

        // Identifiers across the file.
        if let Some(id) = modality_id {
            let (index, new) = self.modality_ids.intern(text(id));
            if new {
                self.modality_lines.push(line);
            } else {
                let first = self.modality_lines.get(index).copied().unwrap_or(0);
                r.error(MODID, || {
                    format!("duplicate modality id, first on line {first}")
                });
            }
        }
        let sig = Sig {
            client,
            finitial,
            sinitial,
            dob: dob.map(|d| d.days),
            sex,
            ethnic,
            la,
            refld: refld.map(|d| d.days),
            triaged: triaged.map(|d| d.days),
            epstart: epstart.map(|d| d.days),
            disd: disd.map(|d| d.map(|d| d.days)),
            disrsn,
            drugs: [drug1.map(Some), drug2, drug3],
        };
        let episode = episode_id.map(|id| {
            let (index, new) = self.episode_ids.intern(text(id));
            match self.episodes.get(index) {
                Some(first) if !new => {
                    let differences = first.sig.differences(&sig);
                    let first_line = first.first_line;
                    for col in 0..NCOLS {
                        if differences & (1 << col) != 0 {
                            r.error(col, || {
                                format!(
                                    "differs from line {first_line} of the same episode \
                                     (rows of an episode must agree)"
                                )
                            });
                        }
                    }
                    index
                }
                _ => {
                    self.episodes.push(Episode {
                        first_line: line,
                        sig,
                        bad_line: None,
                    });
                    index
                }
            }
        });

        if r.bad {
            self.bad_rows += 1;
            if let Some(e) = episode.and_then(|i| self.episodes.get_mut(i)) {
                e.bad_line.get_or_insert(line);
            }
            return;
        }
        // A good row has every required value.
        let (
            Some(finitial),
            Some(sinitial),
            Some(dob),
            Some(sex),
            Some(ethnic),
            Some(la),
            Some(episode_id),
            Some(episode),
            Some(refld),
            Some(triaged),
            Some(epstart),
            Some(drug1),
            Some(modality_id),
            Some(modal),
            Some(modset),
            Some(modst),
            Some(funding),
        ) = (
            finitial,
            sinitial,
            dob,
            sex,
            ethnic,
            la,
            episode_id,
            episode,
            refld,
            triaged,
            epstart,
            drug1,
            modality_id,
            modal,
            modset,
            modst,
            funding,
        )
        else {
            self.bad_rows += 1;
            return;
        };
        let mut attributor: Attributor = *b"F|S|YYYYMMDD|X";
        attributor[0] = finitial;
        attributor[2] = sinitial;
        attributor[4..12].copy_from_slice(&dob.compact());
        attributor[13] = sex.code().as_bytes().first().copied().unwrap_or(b'Z');
        let client = match (self.last_client, &self.mac) {
            (Some((last, key)), _) if last == attributor => key,
            (_, Some(mac)) => {
                let key = client_key(mac, &attributor);
                self.last_client = Some((attributor, key));
                key
            }
            (_, None) => ClientKey([0; 16]),
        };
        let area = match self.areas.last() {
            Some(last) if *last == la => self.areas.len() - 1,
            _ => match self.area_index.get(&la) {
                Some(&i) => i as usize,
                None => {
                    self.area_index.insert(la, self.areas.len() as u32);
                    self.areas.push(la);
                    self.areas.len() - 1
                }
            },
        };
        self.kept.push(Kept {
            line,
            episode: episode as u32,
            area: area as u32,
        });
        self.records.push(Record {
            client,
            birth: YearMonth {
                year: dob.year,
                month: dob.month,
            },
            sex,
            ethnicity: ethnic,
            episode_id: text(episode_id).to_string(),
            modality_id: text(modality_id).to_string(),
            referral: refld.days,
            triage: triaged.days,
            start: epstart.days,
            discharge: discharge.map(|d| d.days),
            discharge_reason: disrsn.flatten(),
            drugs: [Some(drug1), drug2.flatten(), drug3.flatten()],
            intervention: modal,
            setting: modset,
            modality_start: modst.days,
            modality_end: modend.flatten().map(|d| d.days),
            funding,
            naloxone_kits: naloxone.unwrap_or(0),
        });
    }

    fn finish(self) -> Outcome {
        let Reader {
            ctx,
            mut sink,
            agency,
            episodes,
            records,
            kept,
            areas: area_codes,
            rows,
            bad_rows,
            header_ok,
            ..
        } = self;
        let mut accepted_rows = 0u64;
        let rejected = |reason: String| Verdict::Rejected { reason };
        // Which rows are applied, if any.
        let mut keep: Option<Vec<bool>> = None;
        let verdict = if sink.file_errors > 0 {
            let first = sink.first_file_error.clone().unwrap_or_default();
            let more = sink.file_errors - 1;
            rejected(if more == 0 {
                first
            } else {
                format!(
                    "{first} (and {} more {} with the file)",
                    thousands(more),
                    plural(more, "problem", "problems")
                )
            })
        } else if header_ok && rows == 0 {
            sink.error(0, None, Shown::Nothing, || {
                "the file has a header but no rows".into()
            });
            rejected("no rows".into())
        } else if bad_rows == 0 {
            keep = Some(vec![true; kept.len()]);
            Verdict::Accepted
        } else if ctx.limit.allows(bad_rows, rows) {
            let mut flags = Vec::with_capacity(kept.len());
            for k in &kept {
                let bad_line = episodes.get(k.episode as usize).and_then(|e| e.bad_line);
                if let Some(bad_line) = bad_line {
                    sink.warning(k.line, Some("EPISODID"), Shown::Nothing, || {
                        format!(
                            "dropped: line {bad_line} of the same episode has errors, and \
                             an episode's rows are kept or dropped together"
                        )
                    });
                }
                flags.push(bad_line.is_none());
            }
            keep = Some(flags);
            Verdict::AcceptedWithRejections
        } else {
            rejected(format!(
                "{} of {} {} {} errors; the limit is {} (set [records] max_bad_rows or \
                 --max-bad-rows)",
                thousands(bad_rows),
                thousands(rows),
                plural(rows, "row", "rows"),
                plural(bad_rows, "has", "have"),
                ctx.limit
            ))
        };
        let mut areas = BTreeMap::new();
        let everything = keep.as_ref().is_some_and(|k| k.iter().all(|&k| k));
        if everything && area_codes.len() == 1 {
            // One area, every row: the records as they are.
            accepted_rows = records.len() as u64;
            if let Some(code) = area_codes.first() {
                areas.insert(text(code).to_string(), records);
            }
        } else if let Some(keep) = keep {
            let mut sizes = vec![0usize; area_codes.len()];
            for (k, &keep) in kept.iter().zip(&keep) {
                if keep && let Some(size) = sizes.get_mut(k.area as usize) {
                    *size += 1;
                }
            }
            let mut by_area: Vec<Vec<Record>> =
                sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
            for ((k, keep), record) in kept.iter().zip(keep).zip(records) {
                if keep && let Some(list) = by_area.get_mut(k.area as usize) {
                    list.push(record);
                    accepted_rows += 1;
                }
            }
            for (code, list) in area_codes.iter().zip(by_area) {
                if !list.is_empty() {
                    areas.insert(text(code).to_string(), list);
                }
            }
        }
        sink.errors.sort_by_key(|p| p.line);
        sink.warnings.sort_by_key(|p| p.line);
        Outcome {
            provider: agency.unwrap_or_default(),
            month: ctx.month,
            areas,
            report: Report {
                rows,
                accepted_rows,
                rejected_rows: rows - accepted_rows,
                verdict,
                errors: sink.errors,
                warnings: sink.warnings,
                limit: ctx.limit.to_string(),
                truncated: sink.truncated,
            },
        }
    }
}

/// A fast hash seeded per read, for the reader's tables: their keys come
/// from the file, and the random seed (drawn like the standard library's)
/// keeps a file from being made to collide.
#[derive(Debug, Clone, Copy)]
struct Seeded(u64);

const MIX_A: u64 = 0x9E37_79B9_7F4A_7C15;
const MIX_B: u64 = 0xD6E8_FEB8_6659_FD93;

/// Multiply to 128 bits and fold: the mixing step.
fn mix(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

fn fold(state: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(state ^ bytes.len() as u64, MIX_A);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(word), MIX_B);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h ^ u64::from_le_bytes(word), MIX_B);
    }
    mix(h ^ MIX_A, MIX_B ^ state)
}

impl Seeded {
    fn new() -> Seeded {
        Seeded(std::hash::RandomState::new().hash_one(0x6c61_6e74_6572_6e00_u64) | 1)
    }

    fn bytes(self, bytes: &[u8]) -> u64 {
        fold(self.0, bytes)
    }
}

impl BuildHasher for Seeded {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.0)
    }
}

struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fold(self.0, bytes);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = mix(self.0 ^ n as u64, MIX_A);
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fold(self.0, bytes);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Identifiers seen in a file, numbered in order of first appearance, kept
/// in one buffer (no allocation per identifier).
struct IdTable {
    hash: Seeded,
    text: String,
    spans: Vec<(usize, usize)>,
    index: HashMap<u64, usize, BuildHasherDefault<PreHashed>>,
    /// Identifiers whose hash is another identifier's (almost never).
    collided: HashMap<Box<str>, usize, Seeded>,
    /// The identifier last asked for (rows of an episode are usually
    /// together).
    last: usize,
}

impl IdTable {
    fn new(hash: Seeded) -> IdTable {
        IdTable {
            hash,
            text: String::new(),
            spans: Vec::new(),
            index: HashMap::default(),
            collided: HashMap::with_hasher(hash),
            last: usize::MAX,
        }
    }

    /// The identifier with a number.
    fn get(&self, number: usize) -> &str {
        self.spans
            .get(number)
            .and_then(|&(start, len)| self.text.get(start..start + len))
            .unwrap_or("")
    }

    /// The number of an identifier, and whether it is new.
    fn intern(&mut self, id: &str) -> (usize, bool) {
        if self.get(self.last) == id && self.last != usize::MAX {
            return (self.last, false);
        }
        let (number, new) = self.lookup(id);
        self.last = number;
        (number, new)
    }

    fn lookup(&mut self, id: &str) -> (usize, bool) {
        let hash = self.hash.bytes(id.as_bytes());
        let number = self.spans.len();
        match self.index.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(number);
            }
            Entry::Occupied(slot) => {
                let seen = *slot.get();
                let text = self
                    .spans
                    .get(seen)
                    .and_then(|&(start, len)| self.text.get(start..start + len));
                if text == Some(id) {
                    return (seen, false);
                }
                match self.collided.get(id) {
                    Some(&seen) => return (seen, false),
                    None => {
                        self.collided.insert(id.into(), number);
                    }
                }
            }
        }
        self.spans.push((self.text.len(), id.len()));
        self.text.push_str(id);
        (number, true)
    }
}

/// The client key of an attributor: the first 16 bytes of its HMAC.
fn client_key(mac: &Hmac<Sha256>, attributor: &[u8]) -> ClientKey {
    let mut mac = mac.clone();
    mac.update(attributor);
    let digest = mac.finalize().into_bytes();
    let mut key = [0u8; 16];
    for (k, d) in key.iter_mut().zip(digest.iter()) {
        *k = *d;
    }
    ClientKey(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use jiff::civil::date;

    /// A valid row, column by column (see [`COLUMNS`]).
    const ROW: [&str; NCOLS] = [
        "N0852",
        "C1",
        "J",
        "S",
        "19800115",
        "M",
        "A",
        "E06000016",
        "E1",
        "20250105",
        "20250110",
        "20250112",
        "",
        "",
        "1101",
        "3201",
        "",
        "M1",
        "PHARM",
        "COM",
        "20250112",
        "",
        "LA",
        "1",
    ];

    fn row(changes: &[(&str, &str)]) -> String {
        let mut values = ROW;
        for (name, value) in changes {
            let col = COLUMNS.iter().position(|c| c == name).unwrap();
            values[col] = value;
        }
        values.join(",")
    }

    fn file(rows: &[String]) -> Vec<u8> {
        let mut text = COLUMNS.join(",");
        text.push('\n');
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        text.into_bytes()
    }

    struct Fixture {
        key: PseudonymKey,
        agencies: BTreeSet<String>,
        provider: Option<&'static str>,
        today: jiff::civil::Date,
        limit: BadRowLimit,
    }

    fn fixture() -> Fixture {
        Fixture {
            key: PseudonymKey::new(b"a test key of thirty-two bytes!!").unwrap(),
            agencies: ["N0852", "N0001"].map(String::from).into(),
            provider: Some("N0852"),
            today: date(2026, 4, 10),
            limit: BadRowLimit::default(),
        }
    }

    impl Fixture {
        fn read(&self, bytes: &[u8]) -> Outcome {
            let ctx = Context {
                key: &self.key,
                agencies: &self.agencies,
                provider: self.provider,
                month: YearMonth::parse("2026-03").unwrap(),
                today: self.today,
                limit: self.limit,
            };
            read(bytes, &ctx)
        }

        fn rows(&self, rows: &[String]) -> Outcome {
            self.read(&file(rows))
        }

        fn context(&self) -> Context<'_> {
            Context {
                key: &self.key,
                agencies: &self.agencies,
                provider: self.provider,
                month: YearMonth::parse("2026-03").unwrap(),
                today: self.today,
                limit: self.limit,
            }
        }
    }

    #[test]
    fn a_sheet_reads_like_the_same_csv_and_names_cells() {
        let f = fixture();
        let good = row(&[]);
        let second = row(&[("MODID", "M2"), ("NALOXONE", "2")]);
        let bad = row(&[("MODID", "M3"), ("DRUG1", "9999")]);
        let csv = f.rows(&[good.clone(), second.clone(), bad.clone()]);

        // The same table in a sheet whose table starts at C3, with an empty
        // cell after the header's last column.
        let mut rows: Vec<(u64, Vec<String>)> = vec![(3, COLUMNS.map(String::from).to_vec())];
        for (i, r) in [good, second, bad].iter().enumerate() {
            let mut cells: Vec<String> = r.split(',').map(String::from).collect();
            cells.push(String::new());
            rows.push((4 + i as u64, cells));
        }
        let sheet = Sheet {
            name: "Sheet1",
            first_column: 2,
        };
        let xlsx = read_sheet(&sheet, rows, &f.context());
        assert_eq!(xlsx.areas, csv.areas);
        assert_eq!(xlsx.provider, csv.provider);
        assert_eq!(xlsx.report.rows, 3);
        assert_eq!(xlsx.report.verdict, csv.report.verdict);
        // DRUG1 is the 15th column: C + 14 = Q. Row 6 is the third data row.
        let problem = &xlsx.report.errors[0];
        assert_eq!(
            (problem.line, problem.cell.as_deref()),
            (6, Some("Sheet1!Q6"))
        );
        assert_eq!(problem.reason, csv.report.errors[0].reason);
        assert!(
            xlsx.report
                .to_text("f.xlsx")
                .starts_with("f.xlsx:Sheet1!Q6: DRUG1 '9999': "),
            "{}",
            xlsx.report.to_text("f.xlsx")
        );
        assert_eq!(csv.report.errors[0].cell, None);

        // A wrong header is a problem of its row; a sheet name with a space
        // is quoted.
        let mut header = COLUMNS.map(String::from).to_vec();
        header[3] = "SURNAME".into();
        let sheet = Sheet {
            name: "Jan data",
            first_column: 0,
        };
        let out = read_sheet(&sheet, vec![(1, header)], &f.context());
        assert!(matches!(out.report.verdict, Verdict::Rejected { .. }));
        assert!(
            out.report
                .errors
                .iter()
                .all(|p| p.cell.as_deref() == Some("'Jan data'!1")),
            "{:?}",
            out.report.errors
        );
        let empty = read_sheet(&sheet, Vec::<(u64, Vec<String>)>::new(), &f.context());
        assert_eq!(empty.report.errors[0].reason, "empty: no header row");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");

        let broken = unreadable("not a workbook", &f.context());
        assert_eq!(
            broken.report.verdict,
            Verdict::Rejected {
                reason: "not a workbook".into()
            }
        );
        assert!(broken.areas.is_empty());
    }

    /// Problems as (line, field, reason).
    fn listed(problems: &[Problem]) -> Vec<(u64, String, String)> {
        problems
            .iter()
            .map(|p| {
                let field = p.field.clone().unwrap_or_default();
                (p.line, field, p.reason.clone())
            })
            .collect()
    }

    fn errors(o: &Outcome) -> Vec<(u64, String, String)> {
        listed(&o.report.errors)
    }

    fn warnings(o: &Outcome) -> Vec<(u64, String, String)> {
        listed(&o.report.warnings)
    }

    fn p(line: u64, field: &str, reason: &str) -> (u64, String, String) {
        (line, field.to_string(), reason.to_string())
    }

    /// The errors of a one-row file.
    fn row_errors(changes: &[(&str, &str)]) -> Vec<(u64, String, String)> {
        errors(&fixture().rows(&[row(changes)]))
    }

    fn all_records(o: &Outcome) -> Vec<&Record> {
        o.areas.values().flatten().collect()
    }

    fn rejected(o: &Outcome) -> String {
        match &o.report.verdict {
            Verdict::Rejected { reason } => reason.clone(),
            v => panic!("not rejected: {v:?}"),
        }
    }

    #[test]
    fn a_valid_file_becomes_records() {
        let f = fixture();
        let o = f.rows(&[
            row(&[]),
            row(&[("MODID", "M2"), ("MODAL", "PSYCH"), ("NALOXONE", "")]),
            row(&[
                ("CLIENT", "C2"),
                ("DOB", "19851231"),
                ("LA", "E06000015"),
                ("EPISODID", "E2"),
                ("MODID", "M3"),
                ("DISD", "20260301"),
                ("DISRSN", "80"),
                ("MODEND", "20260301"),
                ("DRUG3", "7000"),
                ("FUNDING", "SELF"),
            ]),
        ]);
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
        assert!(o.report.errors.is_empty() && o.report.warnings.is_empty());
        assert_eq!(
            (
                o.report.rows,
                o.report.accepted_rows,
                o.report.rejected_rows
            ),
            (3, 3, 0)
        );
        assert_eq!(o.provider, "N0852");
        assert_eq!(o.month.to_string(), "2026-03");
        assert_eq!(
            o.areas.keys().collect::<Vec<_>>(),
            ["E06000015", "E06000016"]
        );
        let leicester = &o.areas["E06000016"];
        let (a, b) = (&leicester[0], &leicester[1]);
        let c = &o.areas["E06000015"][0];
        assert_eq!(a.client, b.client);
        assert_ne!(a.client, c.client);
        // The key is the HMAC of the attributor, cut to 16 bytes.
        let mac = Hmac::<Sha256>::new_from_slice(f.key.secret()).unwrap();
        assert_eq!(a.client, client_key(&mac, b"J|S|19800115|M"));
        assert_eq!(
            a.birth,
            YearMonth {
                year: 1980,
                month: 1
            }
        );
        assert_eq!(
            c.birth,
            YearMonth {
                year: 1985,
                month: 12
            }
        );
        assert_eq!((a.sex, a.ethnicity), (Sex::Male, b'A'));
        assert_eq!(
            (a.episode_id.as_str(), a.modality_id.as_str()),
            ("E1", "M1")
        );
        assert_eq!(a.referral, Day::from_date(date(2025, 1, 5)));
        assert_eq!(a.triage, Day::from_date(date(2025, 1, 10)));
        assert_eq!(a.start, Day::from_date(date(2025, 1, 12)));
        assert_eq!(
            (a.discharge, a.discharge_reason, a.modality_end),
            (None, None, None)
        );
        assert_eq!(a.drugs, [Some(1101), Some(3201), None]);
        assert_eq!(
            (a.intervention, a.setting, a.funding),
            (
                Intervention::Pharmacological,
                Setting::Community,
                Funding::Council
            )
        );
        assert_eq!((a.naloxone_kits, b.naloxone_kits), (1, 0));
        assert_eq!(b.intervention, Intervention::Psychosocial);
        assert_eq!(c.discharge, Some(Day::from_date(date(2026, 3, 1))));
        assert_eq!(c.discharge_reason, Some(80));
        assert_eq!(c.modality_end, c.discharge);
        assert_eq!(c.drugs, [Some(1101), Some(3201), Some(7000)]);
        assert_eq!(c.funding, Funding::SelfFunded);
    }

    #[test]
    fn the_same_person_gets_the_same_key_however_written() {
        let f = fixture();
        let o = f.rows(&[
            row(&[]),
            row(&[
                ("EPISODID", "E2"),
                ("MODID", "M2"),
                ("FINITIAL", "j"),
                ("SINITIAL", "s"),
                ("DOB", "1980-01-15"),
            ]),
            row(&[("EPISODID", "E3"), ("MODID", "M3"), ("SEX", "F")]),
        ]);
        let r = all_records(&o);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].client, r[1].client);
        assert_ne!(r[0].client, r[2].client);
    }

    #[test]
    fn headers_ignore_case_and_order() {
        let mut names: Vec<String> = COLUMNS.iter().map(|c| c.to_lowercase()).collect();
        names.reverse();
        let mut values = ROW;
        values.reverse();
        let text = format!("{}\n{}\n", names.join(","), values.join(","));
        let o = fixture().read(text.as_bytes());
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
        assert_eq!(all_records(&o)[0].modality_id, "M1");
    }

    #[test]
    fn unknown_and_missing_columns_reject_the_file() {
        let text = COLUMNS.join(",").replace("DISRSN", "DISRSNN") + "\n" + &row(&[]) + "\n";
        let o = fixture().read(text.as_bytes());
        assert_eq!(
            errors(&o),
            [
                p(1, "", "unknown column; the nearest valid name is DISRSN"),
                p(1, "DISRSN", "missing column"),
            ]
        );
        assert_eq!(o.report.errors[0].value.as_deref(), Some("DISRSNN"));
        assert_eq!(
            rejected(&o),
            "unknown column; the nearest valid name is DISRSN (and 1 more problem with the file)"
        );
        assert!(o.areas.is_empty());
        assert_eq!((o.report.accepted_rows, o.report.rejected_rows), (0, 1));

        let text = COLUMNS.join(",") + ",LA\n";
        let o = fixture().read(text.as_bytes());
        assert_eq!(
            errors(&o),
            [p(1, "LA", "column given twice (columns 8 and 25)")]
        );
    }

    #[test]
    fn a_byte_order_mark_is_allowed() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(file(&[row(&[])]));
        let o = fixture().read(&bytes);
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
    }

    #[test]
    fn na_and_empty_mean_not_given() {
        let o = fixture().rows(&[row(&[
            ("DRUG2", "NA"),
            ("DISD", "NA"),
            ("DISRSN", ""),
            ("NALOXONE", "NA"),
        ])]);
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
        let r = all_records(&o)[0];
        assert_eq!((r.drugs[1], r.discharge, r.naloxone_kits), (None, None, 0));
        assert_eq!(row_errors(&[("DRUG1", "NA")]), [p(2, "DRUG1", "missing")]);
        assert_eq!(row_errors(&[("CLIENT", "")]), [p(2, "CLIENT", "missing")]);
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
    fn a_huge_cell_gives_one_short_problem() {
        let big = "x".repeat(2 << 20);
        let o = fixture().rows(&[row(&[("CLIENT", &big)])]);
        assert_eq!(
            errors(&o),
            [p(2, "CLIENT", "longer than 64 bytes (2,097,152 bytes)")]
        );
        // A client identifier is never quoted, however long.
        assert_eq!(o.report.errors[0].value, None);
        assert!(o.report.to_text("f.csv").len() < 300);

        // One enormous line without commas.
        let mut bytes = file(&[]);
        bytes.extend(std::iter::repeat_n(b'y', 2 << 20));
        bytes.push(b'\n');
        let o = fixture().read(&bytes);
        assert_eq!(errors(&o), [p(2, "", "has 1 field, the header has 24")]);
    }

    #[test]
    fn invalid_utf8_rejects_the_file_with_its_place() {
        let mut bytes = file(&[row(&[]), row(&[("MODID", "M2")])]);
        let offset = bytes.len() - 5;
        bytes[offset] = 0xFF;
        let o = fixture().read(&bytes);
        assert_eq!(o.report.errors.len(), 1);
        assert_eq!(o.report.errors[0].line, 3);
        assert_eq!(
            o.report.errors[0].reason,
            format!(
                "not UTF-8: byte 0xFF at byte offset {offset} is not valid UTF-8 (save the file as UTF-8)"
            )
        );
        assert!(rejected(&o).starts_with("not UTF-8"));
        assert!(o.areas.is_empty());
    }

    #[test]
    fn formulas_are_refused() {
        const REASON: &str = "looks like a spreadsheet formula; Lantern does not accept formulas";
        for (field, value) in [
            ("CLIENT", "=HYPERLINK(\"x\")"),
            ("EPISODID", "+1"),
            ("NALOXONE", "-1"),
            ("MODID", "@SUM(A1)"),
            ("CLIENT", "\"\tx\""),
            ("CLIENT", " =1"),
        ] {
            assert_eq!(
                row_errors(&[(field, value)]),
                [p(2, field, REASON)],
                "{value}"
            );
        }
    }

    #[test]
    fn a_wrong_field_count_is_that_rows_error() {
        let short = row(&[("MODID", "M2")]);
        let short = &short[..short.rfind(',').unwrap()];
        let o = fixture().rows(&[row(&[]), short.to_string()]);
        assert_eq!(errors(&o), [p(3, "", "has 23 fields, the header has 24")]);
        assert_eq!(o.report.rejected_rows, 2);
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

    #[test]
    fn discharge_reasons_old_legacy_and_unknown() {
        let discharged = [("DISD", "20260301"), ("MODEND", "20260301")];
        let o = fixture().rows(&[row(&[discharged[0], discharged[1], ("DISRSN", "90")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(
            warnings(&o),
            [p(2, "DISRSN", "old payment-by-results code 90, read as 80")]
        );
        assert_eq!(all_records(&o)[0].discharge_reason, Some(80));
        assert_eq!(
            row_errors(&[discharged[0], discharged[1], ("DISRSN", "5")]),
            [p(
                2,
                "DISRSN",
                "legacy discharge code: map it to a current code first"
            )]
        );
        assert_eq!(
            row_errors(&[discharged[0], discharged[1], ("DISRSN", "99")]),
            [p(2, "DISRSN", "unknown discharge reason")]
        );
    }

    #[test]
    fn the_agency_must_be_registered_and_the_same() {
        let mut f = fixture();
        f.provider = Some("N9999");
        let o = f.rows(&[row(&[("AGNCY", "N9999")])]);
        let unknown = "unknown agency 'N9999': register it with `lantern import agencies`";
        assert_eq!(errors(&o), [p(0, "AGNCY", unknown)]);
        assert_eq!(rejected(&o), unknown);

        // The provider given wins over the rows.
        f.provider = Some("N0852");
        let o = f.rows(&[row(&[("AGNCY", "N0001")])]);
        assert_eq!(
            errors(&o),
            [p(
                2,
                "AGNCY",
                "differs from the provider of this submission ('N0852'): a file holds one provider's records"
            )]
        );
        assert!(o.areas.is_empty());

        // Without one, the first row's agency.
        f.provider = None;
        let o = f.rows(&[row(&[("AGNCY", "N0001")]), row(&[("MODID", "M2")])]);
        assert_eq!(
            errors(&o),
            [p(
                3,
                "AGNCY",
                "differs from the agency on line 2 ('N0001'): a file holds one provider's records"
            )]
        );
        assert_eq!(o.provider, "N0001");
        assert!(matches!(o.report.verdict, Verdict::Rejected { .. }));

        // An unregistered code in a row is not shown: it may be anything
        // typed into the column.
        let o = f.rows(&[row(&[("AGNCY", "N9999")])]);
        let unshown = "unknown agency: register it with `lantern import agencies`";
        assert_eq!(errors(&o), [p(2, "AGNCY", unshown)]);
        assert_eq!(o.report.errors[0].value, None);
        assert_eq!(o.report.errors[0].length, Some(5));
        assert_eq!(rejected(&o), unshown);

        let o = f.rows(&[row(&[])]);
        assert_eq!(
            (o.provider.as_str(), &o.report.verdict),
            ("N0852", &Verdict::Accepted)
        );
    }

    #[test]
    fn birth_dates() {
        assert_eq!(
            row_errors(&[("DOB", "19011231")]),
            [p(2, "DOB", "born before 1902: check the date of birth")]
        );
        assert_eq!(
            row_errors(&[("DOB", "20250105")]),
            [p(2, "DOB", "not before the referral (REFLD)")]
        );
        // 18 on the day of the episode start, not a day before.
        assert!(row_errors(&[("DOB", "20070112")]).is_empty());
        assert_eq!(
            row_errors(&[("DOB", "20070113")]),
            [p(
                2,
                "DOB",
                "under 18: belongs to the young people's data set"
            )]
        );
    }

    #[test]
    fn episode_dates() {
        assert_eq!(
            row_errors(&[("TRIAGED", "20250104")]),
            [p(2, "TRIAGED", "triage before referral")]
        );
        assert_eq!(
            row_errors(&[("EPSTART", "20250104"), ("MODST", "20250104")]),
            [p(2, "EPSTART", "episode start before referral")]
        );
        let o = fixture().rows(&[row(&[("EPSTART", "20250106"), ("MODST", "20250106")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(
            warnings(&o),
            [p(2, "EPSTART", "episode start before triage (TRIAGED)")]
        );
    }

    #[test]
    fn discharges() {
        assert_eq!(
            row_errors(&[("DISD", "20260301"), ("MODEND", "20260301")]),
            [p(2, "DISRSN", "missing: required when DISD is given")]
        );
        assert_eq!(
            row_errors(&[("DISRSN", "80")]),
            [p(2, "DISD", "missing: required when DISRSN is given")]
        );
        assert_eq!(
            row_errors(&[
                ("DISD", "20250111"),
                ("DISRSN", "85"),
                ("MODST", "20250111"),
                ("MODEND", "20250111")
            ]),
            [
                p(2, "DISD", "discharge before start"),
                p(
                    2,
                    "MODST",
                    "intervention starts before the episode (EPSTART)"
                ),
            ]
        );
        assert_eq!(
            row_errors(&[("DISD", "20260301"), ("DISRSN", "85")]),
            [p(
                2,
                "MODEND",
                "missing: the episode is discharged, so its interventions must have ended"
            )]
        );
    }

    #[test]
    fn interventions_sit_inside_their_episode() {
        assert_eq!(
            row_errors(&[("MODST", "20250111")]),
            [p(
                2,
                "MODST",
                "intervention starts before the episode (EPSTART)"
            )]
        );
        assert_eq!(
            row_errors(&[
                ("DISD", "20250201"),
                ("DISRSN", "80"),
                ("MODST", "20250202"),
                ("MODEND", "20250202")
            ]),
            [
                p(2, "MODST", "intervention starts after the discharge (DISD)"),
                p(2, "MODEND", "intervention ends after the discharge (DISD)"),
            ]
        );
        assert_eq!(
            row_errors(&[("MODST", "20250120"), ("MODEND", "20250119")]),
            [p(2, "MODEND", "intervention ends before it starts")]
        );
        assert_eq!(
            row_errors(&[
                ("DISD", "20250201"),
                ("DISRSN", "80"),
                ("MODEND", "20250202")
            ]),
            [p(
                2,
                "MODEND",
                "intervention ends after the discharge (DISD)"
            )]
        );
    }

    #[test]
    fn no_date_after_the_month_or_today() {
        assert_eq!(
            row_errors(&[("MODST", "20260401")]),
            [p(2, "MODST", "dated after the reporting month (2026-03)")]
        );
        let mut f = fixture();
        f.today = date(2026, 3, 15);
        let o = f.rows(&[row(&[("MODST", "2026-03-16")])]);
        assert_eq!(
            errors(&o),
            [p(2, "MODST", "in the future (today is 2026-03-15)")]
        );
    }

    #[test]
    fn modality_ids_are_unique() {
        let o = fixture().rows(&[row(&[]), row(&[("MODID", "M2")]), row(&[])]);
        assert_eq!(
            errors(&o),
            [p(4, "MODID", "duplicate modality id, first on line 2")]
        );
    }

    #[test]
    fn rows_of_an_episode_agree() {
        let o = fixture().rows(&[
            row(&[]),
            row(&[("MODID", "M2"), ("LA", "E06000015"), ("DOB", "19800116")]),
            row(&[("MODID", "M3"), ("DRUG2", "")]),
        ]);
        let reason = "differs from line 2 of the same episode (rows of an episode must agree)";
        assert_eq!(
            errors(&o),
            [
                p(3, "DOB", reason),
                p(3, "LA", reason),
                p(4, "DRUG2", reason)
            ]
        );
    }

    #[test]
    fn repeated_drugs_are_warned_about_and_dropped() {
        let o = fixture().rows(&[row(&[("DRUG2", "1101"), ("DRUG3", "1101")])]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(
            warnings(&o),
            [
                p(2, "DRUG2", "repeats DRUG1; ignored"),
                p(2, "DRUG3", "repeats DRUG1; ignored")
            ]
        );
        assert_eq!(all_records(&o)[0].drugs, [Some(1101), None, None]);
        let o = fixture().rows(&[row(&[("DRUG3", "3201")])]);
        assert_eq!(warnings(&o), [p(2, "DRUG3", "repeats DRUG2; ignored")]);
    }

    /// Ten rows in five episodes of two; line 4 (episode E2) is bad.
    fn ten_rows_one_bad() -> Vec<String> {
        (0..10)
            .map(|i| {
                let episode = format!("E{}", i / 2 + 1);
                let modality = format!("M{i}");
                let sex = if i == 2 { "X" } else { "M" };
                row(&[("EPISODID", &episode), ("MODID", &modality), ("SEX", sex)])
            })
            .collect()
    }

    #[test]
    fn the_bad_row_limit() {
        let mut f = fixture();
        let o = f.rows(&ten_rows_one_bad());
        assert_eq!(
            rejected(&o),
            "1 of 10 rows has errors; the limit is 0 (set [records] max_bad_rows or --max-bad-rows)"
        );
        assert!(o.areas.is_empty());
        assert_eq!((o.report.accepted_rows, o.report.rejected_rows), (0, 10));

        for limit in [BadRowLimit::Rows(1), BadRowLimit::Share(0.1)] {
            f.limit = limit;
            let o = f.rows(&ten_rows_one_bad());
            assert_eq!(o.report.verdict, Verdict::AcceptedWithRejections, "{limit}");
            // Line 4's episode partner (line 5) goes with it.
            assert_eq!((o.report.accepted_rows, o.report.rejected_rows), (8, 2));
            assert_eq!(
                warnings(&o),
                [p(
                    5,
                    "EPISODID",
                    "dropped: line 4 of the same episode has errors, and an episode's rows are kept or dropped together"
                )]
            );
            let kept: Vec<&str> = all_records(&o)
                .iter()
                .map(|r| r.episode_id.as_str())
                .collect();
            assert!(!kept.contains(&"E2") && kept.len() == 8);
        }

        f.limit = BadRowLimit::Share(0.05);
        let o = f.rows(&ten_rows_one_bad());
        assert_eq!(
            rejected(&o),
            "1 of 10 rows has errors; the limit is 5% (set [records] max_bad_rows or --max-bad-rows)"
        );
        assert!(BadRowLimit::Share(0.01).allows(1, 100));
        assert!(!BadRowLimit::Share(0.01).allows(2, 100));
    }

    #[test]
    fn rows_of_empty_cells_are_ignored() {
        let o = fixture().rows(&[row(&[]), ",".repeat(NCOLS - 1), " , ".into()]);
        assert_eq!(o.report.verdict, Verdict::Accepted);
        assert_eq!(o.report.rows, 1);
        assert_eq!(
            warnings(&o),
            [p(3, "", "empty row ignored"), p(4, "", "empty row ignored")]
        );
    }

    #[test]
    fn files_without_rows_are_rejected() {
        let o = fixture().read(&file(&[]));
        assert_eq!(rejected(&o), "no rows");
        assert_eq!(o.report.rows, 0);
        let o = fixture().read(b"");
        assert_eq!(rejected(&o), "empty: no header row");
    }

    #[test]
    fn lines_count_quoted_line_breaks() {
        let o = fixture().rows(&[
            row(&[("CLIENT", "\"C,\n1\""), ("ETHNIC", "I")]),
            row(&[("EPISODID", "E2"), ("MODID", "M2"), ("SEX", "X")]),
        ]);
        let lines: Vec<(u64, Option<&str>)> = o
            .report
            .errors
            .iter()
            .map(|p| (p.line, p.field.as_deref()))
            .collect();
        assert_eq!(lines, [(2, Some("ETHNIC")), (4, Some("SEX"))]);
    }

    #[test]
    fn problem_lists_are_capped() {
        let rows: Vec<String> = (0..1500)
            .map(|i| row(&[("MODID", &format!("M{i}")), ("SEX", "X"), ("ETHNIC", "I")]))
            .collect();
        let o = fixture().rows(&rows);
        assert_eq!(o.report.errors.len(), MAX_LISTED_PROBLEMS);
        assert_eq!(o.report.truncated, 2000);
        assert!(rejected(&o).starts_with("1,500 of 1,500 rows have errors"));
    }

    #[test]
    fn values_are_shortened_and_escaped() {
        assert_eq!(show(b"a\tb\x1b"), "a\\tb\\u{1b}");
        assert_eq!(show("é".repeat(50).as_bytes()), "é".repeat(40) + "…");
    }

    #[test]
    fn bad_row_limits_parse_and_print() {
        for (text, limit, shown) in [
            ("5", BadRowLimit::Rows(5), "5"),
            (" 0 ", BadRowLimit::Rows(0), "0"),
            ("1%", BadRowLimit::Share(0.01), "1%"),
            ("0.5%", BadRowLimit::Share(0.005), "0.5%"),
            ("100%", BadRowLimit::Share(1.0), "100%"),
        ] {
            let parsed: BadRowLimit = text.parse().unwrap();
            assert_eq!(parsed, limit);
            assert_eq!(parsed.to_string(), shown);
            assert_eq!(shown.parse::<BadRowLimit>().unwrap(), limit);
        }
        assert_eq!(BadRowLimit::default(), BadRowLimit::Rows(0));
        assert_eq!(
            "abc".parse::<BadRowLimit>().unwrap_err().to_string(),
            "'abc' is not a bad-row limit: give a number of rows (e.g. 5) or a share of the rows (e.g. 1% or 0.5%)"
        );
        assert_eq!(
            "150%".parse::<BadRowLimit>().unwrap_err().to_string(),
            "'150%' is not a bad-row limit: a share cannot be more than 100%"
        );
        for bad in [
            "", "-1", "%", "1.2.3%", "nan%", "inf%", "1e2%", "1.5", "-1%", ".%",
        ] {
            assert!(bad.parse::<BadRowLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_text_report() {
        let mut f = fixture();
        f.limit = BadRowLimit::Rows(5);
        let o = f.rows(&[
            row(&[("SEX", "X")]),
            row(&[("EPISODID", "E2"), ("MODID", "M2"), ("DRUG2", "1101")]),
        ]);
        assert_eq!(
            o.report.to_text("N0852-2026-03.csv"),
            "N0852-2026-03.csv:2: SEX 'X': not a sex code: M male, F female, I indeterminate/other, Z not stated\n\
             N0852-2026-03.csv:3: warning: DRUG2 '1101': repeats DRUG1; ignored\n\
             N0852-2026-03.csv: accepted with rejections: 1 of 2 rows applied, 1 rejected (limit 5), 1 warning\n"
        );
        let json = serde_json::to_string(&o.report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o.report);
        assert!(json.contains("\"verdict\":\"accepted_with_rejections\""));
    }

    /// Identifying values that reports must never show, in the spellings
    /// the tests use.
    const SECRETS: [&str; 9] = [
        "Zebedee",
        "Quartermain",
        "4857773456",
        "2011-07-23",
        "20110723",
        "1980-01-15",
        "19800115",
        "ZQ",
        "EPZEB",
    ];

    fn assert_no_secrets(report: &Report) {
        let text = report.to_text("f.csv");
        let json = serde_json::to_string(report).unwrap();
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
            assert!(!json.contains(secret), "{secret} in:\n{json}");
        }
    }

    #[test]
    fn reports_show_no_identifiers_initials_or_dates_of_birth() {
        let mut f = fixture();
        f.limit = BadRowLimit::Rows(100);
        let o = f.rows(&[
            // A valid client whose later row differs: the first line's date
            // of birth (and this one's) must not be quoted.
            row(&[]),
            row(&[("MODID", "M2"), ("DOB", "19800116")]),
            // A child, an NHS number and a name as identifier, names in the
            // initials, a date of birth in several spellings.
            row(&[
                ("MODID", "M3"),
                ("EPISODID", "EPZEB"),
                ("CLIENT", "4857773456 Zebedee Quartermain"),
                ("FINITIAL", "Zebedee"),
                ("SINITIAL", "Quartermain"),
                ("DOB", "2011-07-23"),
            ]),
            row(&[("MODID", "M4"), ("EPISODID", "E4"), ("DOB", "20110723")]),
            row(&[("MODID", "M5"), ("EPISODID", "E5"), ("DOB", "23/07/2011")]),
            row(&[("MODID", "M6"), ("EPISODID", "E6"), ("FINITIAL", "ZQ")]),
            row(&[
                ("MODID", "M7"),
                ("EPISODID", "EPZEB"),
                ("DOB", "2011-07-23"),
            ]),
            // The agency column holding a name.
            row(&[("MODID", "M8"), ("EPISODID", "E8"), ("AGNCY", "Zebedee")]),
        ]);
        assert!(o.report.errors.len() >= 7, "{:?}", o.report.errors);
        assert_no_secrets(&o.report);
        // The problems still say where and what.
        let text = o.report.to_text("f.csv");
        assert!(
            text.contains("f.csv:3: DOB: differs from line 2 of the same episode"),
            "{text}"
        );
        assert!(
            text.contains("f.csv:4: FINITIAL (7 characters): not an initial"),
            "{text}"
        );
        assert!(
            text.contains("f.csv:6: DOB (10 characters): not a date"),
            "{text}"
        );
        assert!(text.contains("f.csv:5: DOB: under 18"), "{text}");

        // A file without its header row: the first row is not quoted.
        let mut bytes = row(&[
            ("CLIENT", "4857773456"),
            ("FINITIAL", "Z"),
            ("SINITIAL", "Q"),
            ("DOB", "20110723"),
        ])
        .into_bytes();
        bytes.extend(b"\n");
        bytes.extend(row(&[]).into_bytes());
        let o = fixture().read(&bytes);
        assert!(matches!(o.report.verdict, Verdict::Rejected { .. }));
        assert_no_secrets(&o.report);
        assert!(
            o.report
                .to_text("f.csv")
                .contains("the first row must be the header"),
            "{}",
            o.report.to_text("f.csv")
        );
    }

    #[test]
    fn a_column_given_twice_rejects_a_sheet_as_it_does_a_csv() {
        let f = fixture();
        let mut header = COLUMNS.map(String::from).to_vec();
        header.push("drug1".into());
        let mut cells: Vec<String> = row(&[]).split(',').map(String::from).collect();
        cells.push("1101".into());
        let sheet = Sheet {
            name: "Sheet1",
            first_column: 0,
        };
        let o = read_sheet(&sheet, vec![(1, header), (2, cells)], &f.context());
        assert_eq!(
            errors(&o),
            [p(1, "DRUG1", "column given twice (columns 15 and 25)")]
        );
        assert!(o.areas.is_empty());
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        for (field, value) in [
            ("EPISODID", "E\x001"),
            ("MODID", "M\u{1b}1"),
            ("CLIENT", "c\u{85}1"),
        ] {
            let o = fixture().rows(&[row(&[(field, value)])]);
            let errors = errors(&o);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!((errors[0].0, errors[0].1.as_str()), (2, field));
            assert!(
                errors[0].2.starts_with("holds the control character U+00"),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn old_reports_are_scrubbed_to_what_a_new_one_shows() {
        let problem = |line, field: Option<&str>, value: Option<&str>, reason: &str| Problem {
            line,
            cell: None,
            field: field.map(str::to_string),
            value: value.map(str::to_string),
            length: None,
            reason: reason.to_string(),
        };
        let mut report = Report {
            rows: 3,
            accepted_rows: 0,
            rejected_rows: 3,
            verdict: Verdict::Rejected {
                reason: "unknown agency 'Zebedee': register it with `lantern import agencies`"
                    .into(),
            },
            errors: vec![
                problem(
                    2,
                    Some("DOB"),
                    Some("2011-07-23"),
                    "under 18: belongs to the young people's data set",
                ),
                problem(2, Some("CLIENT"), Some("4857773456"), "missing"),
                problem(
                    2,
                    Some("FINITIAL"),
                    Some("Zebedee"),
                    "not an initial: one letter A–Z",
                ),
                problem(
                    3,
                    Some("DOB"),
                    Some("19800115"),
                    "differs from line 2 of the same episode (rows of an episode must agree)",
                ),
                problem(
                    3,
                    Some("DOB"),
                    Some("20110723"),
                    "not before the referral (2011-07-24)",
                ),
                problem(
                    3,
                    Some("AGNCY"),
                    Some("Zebedee"),
                    "differs from the agency on line 2 ('N0001'): a file holds one provider's records",
                ),
                problem(
                    3,
                    Some("AGNCY"),
                    Some("N0001"),
                    "unknown agency 'Quartermain': register it",
                ),
                problem(
                    1,
                    None,
                    Some("Zebedee Quartermain"),
                    "unknown column; the nearest valid name is SINITIAL",
                ),
                problem(
                    1,
                    None,
                    Some("DISRSNN"),
                    "unknown column; the nearest valid name is DISRSN",
                ),
                problem(4, Some("DRUG1"), Some("9999"), "unknown drug code"),
            ],
            warnings: vec![problem(
                3,
                Some("EPSTART"),
                Some("20250112"),
                "episode start before triage (2025-01-10)",
            )],
            limit: "0".into(),
            truncated: 0,
        };
        let agencies: BTreeSet<String> = ["N0001".to_string()].into();
        scrub(&mut report, &agencies, Some("N0852"));
        assert_no_secrets(&report);
        let shown: Vec<Option<&str>> = report.errors.iter().map(|p| p.value.as_deref()).collect();
        assert_eq!(
            shown,
            [
                None,
                None,
                None,
                None,
                None,
                None,
                Some("N0001"),
                None,
                Some("DISRSNN"),
                Some("9999")
            ]
        );
        assert_eq!(report.errors[4].reason, "not before the referral (2011)");
        assert_eq!(
            report.errors[5].reason,
            "differs from the agency on line 2 ('N0001'): a file holds one provider's records"
        );
        assert_eq!(
            report.errors[6].reason,
            "unknown agency (11 characters): register it"
        );
        assert_eq!(
            report.errors[0].reason,
            "under 18: belongs to the young people's data set"
        );
        assert_eq!(
            report.verdict,
            Verdict::Rejected {
                reason: "unknown agency (7 characters): register it with `lantern import agencies`"
                    .into()
            }
        );
        // Scrubbing twice changes nothing more.
        let once = report.clone();
        scrub(&mut report, &agencies, Some("N0852"));
        assert_eq!(report, once);
    }
}
