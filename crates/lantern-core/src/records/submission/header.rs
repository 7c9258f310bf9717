//! The header row: columns mapped by name (any case, any order), unknown,
//! missing and repeated columns refused with the nearest valid name, and
//! the agency the file must be from.

use super::cells::trim;
use super::reader::Reader;
use super::redact::{Shown, char_count, show, shown_column_name};
use super::{COLUMNS, MAX_CELL_BYTES, REQUIRED};

impl<'c, 'a> Reader<'c, 'a> {
    /// Take the header (on `line`) and the agency the file must be from;
    /// false if the header is wrong (nothing else can be read).
    pub(super) fn begin(&mut self, line: u64, record: &csv::ByteRecord) -> bool {
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
        self.width = record.len();
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
        for (col, name) in COLUMNS.iter().enumerate().take(REQUIRED) {
            if self.map[col] == usize::MAX {
                ok = false;
                self.sink
                    .file_error(line, Some(name), Shown::Nothing, || "missing column".into());
            }
        }
        ok
    }
}

pub(super) fn edit_distance(a: &[u8], b: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use crate::records::submission::{COLUMNS, Verdict};

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
            [p(1, "LA", "column given twice (columns 8 and 31)")]
        );
    }
}
