//! One data row's cells being checked ([`RowCheck`]): length, formulas and
//! control characters in every cell, each cell parsed into a [`Slot`]
//! (unusable, not given, or a value), dates held to the reporting month and
//! today, and each problem reported against its column, showing only what
//! [`shown`] allows.

use super::cells::{Ymd, parse_date, text};
use super::redact::{Shown, char_count, shown};
use super::report::{MAX_LISTED_PROBLEMS, Sink, thousands};
use super::{COLUMNS, Context, MAX_CELL_BYTES, NCOLS};
use crate::records::YearMonth;

/// A parsed cell: `None` when it is unusable (an error was reported),
/// `Some(None)` when not given, `Some(Some(value))` otherwise.
pub(super) type Slot<T> = Option<Option<T>>;

/// One data row being checked.
pub(super) struct RowCheck<'r, 's> {
    pub(super) line: u64,
    pub(super) cells: [&'r [u8]; NCOLS],
    pub(super) unusable: u32,
    pub(super) bad: bool,
    pub(super) sink: &'s mut Sink,
    pub(super) ctx: &'s Context<'s>,
}

impl<'r> RowCheck<'r, '_> {
    /// What a problem with a column's value shows of it: the value where
    /// it cannot identify anyone ([`shown`]); else, when the problem is
    /// with the value's `form`, its length.
    pub(super) fn shown(&self, col: usize, form: bool) -> Shown {
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

    pub(super) fn error(&mut self, col: usize, reason: impl FnOnce() -> String) {
        self.bad = true;
        let shown = self.shown(col, false);
        self.sink
            .error(self.line, Some(COLUMNS[col]), shown, reason);
    }

    /// An error with the form of the value (not a code, not a date).
    pub(super) fn form_error(&mut self, col: usize, reason: impl FnOnce() -> String) {
        self.bad = true;
        let shown = self.shown(col, true);
        self.sink
            .error(self.line, Some(COLUMNS[col]), shown, reason);
    }

    pub(super) fn warning(&mut self, col: usize, reason: impl FnOnce() -> String) {
        let shown = self.shown(col, false);
        self.sink
            .warning(self.line, Some(COLUMNS[col]), shown, reason);
    }

    /// The checks every cell gets: length and formulas.
    pub(super) fn check_cells(&mut self, raw_lengths: &[usize; NCOLS]) {
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
    pub(super) fn cell(&self, col: usize) -> Slot<&'r [u8]> {
        if self.unusable & (1 << col) != 0 {
            return None;
        }
        let v = self.cells[col];
        Some((!v.is_empty() && v != b"NA").then_some(v))
    }

    pub(super) fn parse<T>(
        &mut self,
        col: usize,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Slot<T> {
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
    pub(super) fn required<T>(&mut self, col: usize, slot: Slot<T>) -> Option<T> {
        match slot? {
            Some(value) => Some(value),
            None => {
                self.error(col, || "missing".into());
                None
            }
        }
    }

    /// A date, checked against the reporting month and today.
    pub(super) fn date(&mut self, col: usize, bounds: &Bounds) -> Slot<Ymd> {
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

pub(super) struct Bounds {
    pub(super) month: YearMonth,
    pub(super) month_end: Ymd,
    pub(super) today: Ymd,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use crate::records::submission::Verdict;
    use jiff::civil::date;

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
        assert_eq!(errors(&o), [p(2, "", "has 1 field, the header has 30")]);
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
}
