//! The validation report kept with a submission: its [`Report`], [`Verdict`]
//! and located [`Problem`]s, how problems are collected under a cap
//! ([`MAX_LISTED_PROBLEMS`]) and how the report reads as text.

use serde::{Deserialize, Serialize};

use super::redact::Shown;

/// How many errors (and, separately, warnings) a report lists; the rest are
/// only counted ([`Report::truncated`]).
pub const MAX_LISTED_PROBLEMS: usize = 1000;

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
    /// [`shown`](super::shown)): a code from one of the format's code
    /// lists, a number of at most four digits, an area code, a registered
    /// agency, a column name.
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

#[derive(Default)]
pub(super) struct Sink {
    pub(super) errors: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
    pub(super) truncated: u64,
    pub(super) file_errors: u64,
    pub(super) first_file_error: Option<String>,
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

    pub(super) fn error(
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

    pub(super) fn warning(
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
    pub(super) fn file_error(
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

pub(super) fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// `12345` as `12,345`.
pub(super) fn thousands(n: u64) -> String {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use super::*;
    use crate::records::submission::BadRowLimit;

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
}
