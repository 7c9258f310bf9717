//! Answer spreadsheets (FOI Act s11, a preference for a reusable form): a
//! letter's tables as CSV and XLSX, made from its JSON form (a fresh view
//! or a kept draft), so from the same decided cells the letter prints.
//!
//! Nothing is hidden: the XLSX has one visible sheet per table and writes no
//! hidden sheets, rows, columns, comments or formulas. A count withheld in
//! the letter is the same words here ("fewer than 5"), never a number; a
//! figure given exactly is a number (money in pounds).

use std::fmt::Write as _;

use rust_xlsxwriter::{Format as CellFormat, Workbook};

use crate::letters::TableView;
use crate::{Error, Result};

/// The spreadsheet formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    /// One CSV file: a line per cell of every table.
    Csv,
    /// One workbook: a sheet per table, laid out as the letter's.
    Xlsx,
}

/// A table of a letter, with the question it answers.
#[derive(Debug, Clone)]
pub struct Tabled {
    /// The question's number ("1", "3a").
    pub question: String,
    /// The requester's words.
    pub text: String,
    /// The table.
    pub table: TableView,
}

/// Every table of a letter's JSON form, in the letter's order.
pub fn tables(view: &serde_json::Value) -> Result<Vec<Tabled>> {
    fn walk(q: &serde_json::Value, prefix: &str, out: &mut Vec<Tabled>) -> Result<()> {
        let number = format!("{prefix}{}", q["number"].as_str().unwrap_or_default());
        if !q["table"].is_null() && !q["all_not_held"].as_bool().unwrap_or(false) {
            let table: TableView = serde_json::from_value(q["table"].clone())?;
            out.push(Tabled {
                question: number.clone(),
                text: q["text"].as_str().unwrap_or_default().to_string(),
                table,
            });
        }
        for p in q["parts"].as_array().into_iter().flatten() {
            walk(p, &number, out)?;
        }
        Ok(())
    }
    let mut out = Vec::new();
    for q in view["questions"].as_array().into_iter().flatten() {
        walk(q, "", &mut out)?;
    }
    Ok(out)
}

/// The letter's tables in a spreadsheet format.
pub fn write(view: &serde_json::Value, sheet: Sheet) -> Result<Vec<u8>> {
    let tables = tables(view)?;
    let reference = view["request"]["reference"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if tables.is_empty() {
        crate::fail!(
            Conflict,
            "the answer to {reference} has no tables of figures to put in a spreadsheet"
        );
    }
    match sheet {
        Sheet::Csv => csv(&reference, &tables),
        Sheet::Xlsx => xlsx(&reference, &tables),
    }
}

/// An amount in the table's unit as a spreadsheet shows it: pounds for
/// money (kept in pence), the count otherwise.
fn number(unit: &str, amount: i64) -> f64 {
    if unit == "gbp" {
        amount as f64 / 100.0
    } else {
        amount as f64
    }
}

fn amount_text(unit: &str, amount: i64) -> String {
    if unit == "gbp" {
        let sign = if amount < 0 { "-" } else { "" };
        let p = amount.unsigned_abs();
        if p.is_multiple_of(100) {
            format!("{sign}{}", p / 100)
        } else {
            format!("{sign}{}.{:02}", p / 100, p % 100)
        }
    } else {
        amount.to_string()
    }
}

/// One line per cell: question, caption, row, column, what the letter
/// says, the number (when one is given), the unit, the decision and basis.
fn csv(reference: &str, tables: &[Tabled]) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let io = |e: ::csv::Error| {
        Error::new(
            crate::error::Kind::Internal,
            format!("writing the CSV for {reference}: {e}"),
        )
    };
    w.write_record([
        "reference",
        "question",
        "table",
        "row",
        "column",
        "answer",
        "value",
        "unit",
        "decision",
        "basis",
    ])
    .map_err(io)?;
    for t in tables {
        for r in &t.table.rows {
            for (c, cell) in r.cells.iter().enumerate() {
                let column = t.table.columns.get(c).cloned().unwrap_or_default();
                let value = cell
                    .amount
                    .map(|a| amount_text(&t.table.unit, a))
                    .unwrap_or_default();
                w.write_record([
                    reference,
                    &t.question,
                    &t.table.caption,
                    &r.header,
                    &column,
                    &cell.text,
                    &value,
                    &t.table.unit,
                    &cell.decision,
                    cell.basis.as_deref().unwrap_or_default(),
                ])
                .map_err(io)?;
            }
        }
    }
    w.into_inner().map_err(|e| {
        Error::new(
            crate::error::Kind::Internal,
            format!("writing the CSV for {reference}: {e}"),
        )
    })
}

/// A sheet per table, named by its question, laid out as the letter: the
/// question, the caption, the header row, the rows, then the notes. A
/// figure given is a number; a list's answers are also given in the
/// letter's words (with their caveats) in a column beside it.
fn xlsx(reference: &str, tables: &[Tabled]) -> Result<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| {
        Error::new(
            crate::error::Kind::Internal,
            format!("writing the spreadsheet for {reference}: {e}"),
        )
    };
    let bold = CellFormat::new().set_bold();
    let pounds = CellFormat::new().set_num_format("£#,##0.##");
    let count = CellFormat::new().set_num_format("#,##0");
    let mut book = Workbook::new();
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        let sheet = book.add_worksheet();
        let mut name = format!("Question {}", t.question);
        name.truncate(31);
        let mut n = 2;
        while names.contains(&name) {
            name = format!("Question {} ({n})", t.question);
            n += 1;
        }
        sheet.set_name(&name).map_err(fail)?;
        names.push(name);
        let mut at: u32 = 0;
        let mut line = String::new();
        let _ = write!(line, "{reference}, question {}: {}", t.question, t.text);
        sheet.write_string(at, 0, &line).map_err(fail)?;
        at += 1;
        sheet
            .write_string_with_format(at, 0, &t.table.caption, &bold)
            .map_err(fail)?;
        at += 2;
        sheet
            .write_string_with_format(at, 0, &t.table.corner, &bold)
            .map_err(fail)?;
        let list = t.table.layout != "grid";
        for (c, title) in t.table.columns.iter().enumerate() {
            let col = u16::try_from(c + 1).map_err(|_| Error::invalid("too many columns"))?;
            sheet
                .write_string_with_format(at, col, title, &bold)
                .map_err(fail)?;
            if list {
                sheet
                    .write_string_with_format(at, col + 1, "As the letter says", &bold)
                    .map_err(fail)?;
            }
        }
        at += 1;
        for r in &t.table.rows {
            sheet.write_string(at, 0, &r.header).map_err(fail)?;
            for (c, cell) in r.cells.iter().enumerate() {
                let col = u16::try_from(c + 1).map_err(|_| Error::invalid("too many columns"))?;
                match cell.amount {
                    Some(a) => {
                        let format = if t.table.unit == "gbp" {
                            &pounds
                        } else {
                            &count
                        };
                        sheet
                            .write_number_with_format(at, col, number(&t.table.unit, a), format)
                            .map_err(fail)?;
                    }
                    None => {
                        sheet.write_string(at, col, &cell.text).map_err(fail)?;
                    }
                }
                // A list's cell in words too, caveats and all.
                if list {
                    sheet.write_string(at, col + 1, &cell.text).map_err(fail)?;
                }
            }
            at += 1;
        }
        at += 1;
        for note in &t.table.notes {
            sheet.write_string(at, 0, note).map_err(fail)?;
            at += 1;
        }
        sheet.set_column_width(0, 28).map_err(fail)?;
        for c in 0..t.table.columns.len() {
            let col = u16::try_from(c + 1).map_err(|_| Error::invalid("too many columns"))?;
            sheet.set_column_width(col, 16).map_err(fail)?;
            if list {
                sheet.set_column_width(col + 1, 70).map_err(fail)?;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}
