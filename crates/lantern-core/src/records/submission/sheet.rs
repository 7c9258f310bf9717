//! A submission given as a spreadsheet's rows: read with the same checks
//! as the CSV form, every problem located by the sheet's own cell
//! reference (`Sheet1!C12`).

use super::reader::Reader;
use super::redact::Shown;
use super::{COLUMNS, Context, Outcome};

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
/// that row number (as the line) and by the cell
/// ([`Problem::cell`](super::Problem::cell)).
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use super::*;
    use crate::records::submission::{Verdict, unreadable};

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

    /// The optional columns in a workbook: one given (a bad code named by
    /// its cell), the others left out (not submitted).
    #[test]
    fn optional_columns_in_a_sheet_are_read_as_in_a_csv() {
        use crate::records::submission::REQUIRED;
        use crate::records::{Field, Recorded};
        let f = fixture();
        let mut header: Vec<String> = COLUMNS[..REQUIRED].iter().map(|c| c.to_string()).collect();
        header.push("INJSTAT".into());
        let cells = |changes: &[(&str, &str)], injecting: &str| {
            let mut cells: Vec<String> = row(changes)
                .split(',')
                .take(REQUIRED)
                .map(String::from)
                .collect();
            cells.push(injecting.into());
            cells
        };
        let rows = vec![
            (1, header.clone()),
            (2, cells(&[], "C")),
            (3, cells(&[("MODID", "M2"), ("EPISODID", "E2")], "Q")),
        ];
        let sheet = Sheet {
            name: "Sheet1",
            first_column: 0,
        };
        let out = read_sheet(&sheet, rows, &f.context());
        assert!(matches!(out.report.verdict, Verdict::Rejected { .. }));
        // INJSTAT is the 25th column of this sheet: Y.
        let problem = &out.report.errors[0];
        assert_eq!(
            (problem.field.as_deref(), problem.cell.as_deref()),
            (Some("INJSTAT"), Some("Sheet1!Y3"))
        );
        assert_eq!(problem.reason, "not a valid code: one of P, C, N, Z");
        assert_eq!(problem.value.as_deref(), Some("Q"));
        let good = read_sheet(
            &sheet,
            vec![(1, header), (2, cells(&[], "C"))],
            &f.context(),
        );
        let records = all_records(&good);
        assert_eq!(records.len(), 1, "{:?}", good.report);
        let c = records[0].circumstances;
        assert_eq!(Field::Injecting.value(&c), Some("currently_injecting"));
        assert_eq!(c.employment, Recorded::NotSubmitted);
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
            [p(1, "DRUG1", "column given twice (columns 15 and 31)")]
        );
        assert!(o.areas.is_empty());
    }
}
