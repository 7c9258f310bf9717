//! Providers' XLSX workbooks, read under explicit limits.
//!
//! This module owns everything Lantern does with the bytes of an `.xlsx`
//! submission before the core's checks see its rows
//! (`lantern_core::records::submission::read_sheet`). A workbook is a zip of
//! XML parts, and both layers trust numbers a hostile file can set: the zip
//! declares each part's uncompressed size, the shared-strings part declares
//! how many strings it holds (calamine reserves that many up front), and
//! cell references can put two cells at opposite corners of the sheet
//! (calamine's dense `Range` would allocate every cell between them: 549 GB
//! for `A1` and `XFD1048576`). So, in order:
//!
//! 1. [`inspect`] reads the zip's directory (the `zip` crate, the one
//!    calamine uses) and refuses too many parts, a part or a total that
//!    decompresses beyond the limits, or a compression ratio no spreadsheet
//!    has; it then reads the shared-strings part's declared and actual
//!    counts and refuses absurd ones. The `zip` crate itself refuses a part
//!    that decompresses beyond its declared size.
//! 2. calamine opens the workbook (shared strings, styles) and the first
//!    sheet is *streamed* cell by cell (`worksheet_cells_reader`), never
//!    made into a dense range: the cells kept are the ones present, their
//!    number, the rows and columns they span and the text they hold each
//!    under a limit.
//! 3. The rows go to the core in order, as the sheet shows them.
//!
//! Every refusal says which limit, the value found and what to do.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader as _};
use lantern_core::records::submission::{self, Outcome};

/// The limits a workbook is read under. [`Limits::default`] is what
/// `lantern import episodes` uses; each is far above a real provider's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The workbook file itself, in bytes.
    pub file_bytes: u64,
    /// Parts (files) in the zip.
    pub parts: usize,
    /// Any one part, uncompressed, in bytes.
    pub part_bytes: u64,
    /// All parts together, uncompressed, in bytes.
    pub total_bytes: u64,
    /// Uncompressed size over compressed size, for parts above 1 MB.
    pub ratio: u64,
    /// Strings in the shared-strings part (declared or present).
    pub shared_strings: u64,
    /// Cells present in the first sheet.
    pub cells: u64,
    /// Rows between the sheet's first and last cell.
    pub rows: u64,
    /// Columns between the sheet's leftmost and rightmost cell.
    pub columns: u64,
    /// Rows times columns of the area the cells span (what the rows handed
    /// to the checks cover).
    pub area: u64,
    /// Text held in the first sheet's cells, in bytes.
    pub text_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            file_bytes: 100 << 20,
            parts: 1_000,
            part_bytes: 1 << 30,
            total_bytes: 2 << 30,
            ratio: 200,
            shared_strings: 5_000_000,
            cells: 5_000_000,
            rows: 1_048_576,
            columns: 16_384,
            area: 50_000_000,
            text_bytes: 256 << 20,
        }
    }
}

/// Parts above this size must not be compressed more than [`Limits::ratio`].
const RATIO_FLOOR: u64 = 1 << 20;

/// Why a workbook is refused before its rows are checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a zip, or a damaged one, or calamine cannot read it.
    #[error("not a readable XLSX workbook ({0}); save it again from the spreadsheet, or as CSV")]
    Unreadable(String),
    /// The workbook has no sheet.
    #[error("the workbook has no sheets")]
    NoSheets,
    /// The first sheet cannot be read.
    #[error(
        "the first sheet ('{sheet}') cannot be read ({reason}); save it again from the spreadsheet, or as CSV"
    )]
    Sheet {
        /// The sheet's name.
        sheet: String,
        /// calamine's reason, in words that quote nothing of the workbook.
        reason: String,
    },
    /// A limit is exceeded.
    #[error("{what} is {found}, over the limit of {limit} that Lantern reads; {advice}")]
    Limit {
        /// What was measured, e.g. "the part xl/sharedStrings.xml uncompressed".
        what: String,
        /// The value found.
        found: String,
        /// The limit.
        limit: String,
        /// What to do.
        advice: &'static str,
    },
}

const RESAVE: &str =
    "save the sheet again from the spreadsheet (or as CSV) holding only the submission's table";

fn limit(what: impl Into<String>, found: u64, limit: u64, unit: &str) -> Refusal {
    Refusal::Limit {
        what: what.into(),
        found: format!("{}{unit}", thousands(found)),
        limit: format!("{}{unit}", thousands(limit)),
        advice: RESAVE,
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Read a submission from an XLSX workbook: its first sheet, header row
/// first, the same columns and rules as the CSV (docs/formats/episodes.md).
/// Each row keeps the number the sheet shows, and problems name their cell.
/// A workbook over [`Limits::default`] is rejected with the limit named.
pub fn read(bytes: &[u8], context: &submission::Context<'_>) -> Outcome {
    read_with(bytes, context, &Limits::default())
}

/// [`read`] under the given limits.
pub fn read_with(bytes: &[u8], context: &submission::Context<'_>, limits: &Limits) -> Outcome {
    match sheet(bytes, limits) {
        Ok(sheet) => sheet.check(context),
        Err(refusal) => submission::unreadable(&refusal.to_string(), context),
    }
}

/// The first sheet's cells, as read under the limits.
#[derive(Debug)]
pub struct FirstSheet {
    /// The sheet's name.
    pub name: String,
    /// Cells present, by (row, column), both from 0; text as the CSV would
    /// hold it.
    cells: BTreeMap<(u32, u32), String>,
}

impl FirstSheet {
    /// The sheet as CSV text, from its first row with a cell to its last
    /// (columns from its leftmost), and the number of rows above it: an
    /// importer's line `n` is the sheet's row `n` plus that number.
    pub fn to_csv(&self) -> (String, u32) {
        let Some((&(first_row, _), _)) = self.cells.first_key_value() else {
            return (String::new(), 0);
        };
        let last_row = self.cells.last_key_value().map_or(first_row, |(k, _)| k.0);
        let first_column = self.cells.keys().map(|k| k.1).min().unwrap_or(0);
        let last_column = self.cells.keys().map(|k| k.1).max().unwrap_or(0);
        let mut out = String::new();
        for row in first_row..=last_row {
            let cells: Vec<String> = (first_column..=last_column)
                .map(|col| {
                    let text = self.cells.get(&(row, col)).map_or("", String::as_str);
                    if text.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", text.replace('"', "\"\""))
                    } else {
                        text.to_string()
                    }
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        (out, first_row)
    }

    /// Run the core's checks on the sheet's rows.
    pub fn check(&self, context: &submission::Context<'_>) -> Outcome {
        let Some((&(first_row, _), _)) = self.cells.first_key_value() else {
            let sheet = submission::Sheet {
                name: &self.name,
                first_column: 0,
            };
            return submission::read_sheet(&sheet, std::iter::empty::<(u64, Vec<&str>)>(), context);
        };
        let last_row = self.cells.last_key_value().map_or(first_row, |(k, _)| k.0);
        let first_column = self.cells.keys().map(|k| k.1).min().unwrap_or(0);
        let sheet = submission::Sheet {
            name: &self.name,
            first_column,
        };
        // Each row from the sheet's leftmost column to its own last cell, at
        // least as wide as the header (the checks ignore empty cells past the
        // header's width), and the empty rows between, as the sheet shows
        // them: what a dense range of the sheet would give.
        let row_cells = |row: u32, width: usize| {
            let mut out = Vec::new();
            for (&(_, col), text) in self.cells.range((row, first_column)..=(row, u32::MAX)) {
                out.resize((col - first_column) as usize, "");
                out.push(text.as_str());
            }
            if out.len() < width {
                out.resize(width, "");
            }
            out
        };
        let mut header = row_cells(first_row, 0);
        while header.last() == Some(&"") {
            header.pop();
        }
        let width = header.len();
        let rows = (first_row..=last_row).map(|row| (u64::from(row) + 1, row_cells(row, width)));
        submission::read_sheet(&sheet, rows, context)
    }
}

/// Why a workbook cannot be read, in words that quote none of its content
/// (the reader's own messages can quote a cell: an unknown error value, an
/// XML escape), as reports must not (`docs/formats/episodes.md`).
fn workbook_problem(e: &calamine::XlsxError) -> &'static str {
    use calamine::XlsxError as E;
    match e {
        E::Password => "it is password-protected",
        E::Io(_) | E::Zip(_) => "it is not a whole zip archive",
        E::Xml(_) | E::XmlAttr(_) | E::XmlEof(_) | E::Encoding(_) => "its XML is damaged",
        E::CellError(_) | E::CellTAttribute(_) => "a cell holds a value of an unknown kind",
        E::FileNotFound(_)
        | E::RelationshipNotFound
        | E::WorksheetNotFound(_)
        | E::NotAWorksheet(_) => "a part of the workbook is missing",
        _ => "its content is damaged",
    }
}

/// Open the workbook under the limits and read its first sheet's cells.
pub fn sheet(bytes: &[u8], limits: &Limits) -> Result<FirstSheet, Refusal> {
    inspect(bytes, limits)?;
    let mut workbook = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes))
        .map_err(|e| Refusal::Unreadable(workbook_problem(&e).to_string()))?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err(Refusal::NoSheets);
    };
    let sheet_error = |e: calamine::XlsxError| Refusal::Sheet {
        sheet: name.clone(),
        reason: workbook_problem(&e).to_string(),
    };
    let mut reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(sheet_error)?;
    let mut cells = BTreeMap::new();
    let (mut text_bytes, mut count) = (0u64, 0u64);
    let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0u32, u32::MAX, 0u32);
    while let Some(cell) = reader.next_cell().map_err(sheet_error)? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        count += 1;
        if count > limits.cells {
            return Err(limit(
                format!("the number of cells in sheet '{name}'"),
                count,
                limits.cells,
                "",
            ));
        }
        let (row, col) = cell.get_position();
        (top, bottom) = (top.min(row), bottom.max(row));
        (left, right) = (left.min(col), right.max(col));
        let rows = u64::from(bottom - top) + 1;
        let columns = u64::from(right - left) + 1;
        if rows > limits.rows {
            return Err(limit(
                format!(
                    "the number of rows sheet '{name}' spans (its cells run from row {} to row {})",
                    top as u64 + 1,
                    bottom as u64 + 1
                ),
                rows,
                limits.rows,
                "",
            ));
        }
        if columns > limits.columns {
            return Err(limit(
                format!("the number of columns sheet '{name}' spans"),
                columns,
                limits.columns,
                "",
            ));
        }
        if rows * columns > limits.area {
            return Err(limit(
                format!(
                    "the area sheet '{name}' spans ({} rows by {} columns, cells {}{} to {}{})",
                    thousands(rows),
                    thousands(columns),
                    column_letters(left),
                    top as u64 + 1,
                    column_letters(right),
                    bottom as u64 + 1
                ),
                rows * columns,
                limits.area,
                " cells",
            ));
        }
        let text = cell_text(value);
        text_bytes += text.len() as u64;
        if text_bytes > limits.text_bytes {
            return Err(limit(
                format!("the text in sheet '{name}'"),
                text_bytes,
                limits.text_bytes,
                " bytes",
            ));
        }
        // A cell given twice keeps its last value, as calamine's range did.
        cells.insert((row, col), text);
    }
    Ok(FirstSheet { name, cells })
}

/// `A` for column 0, `XFD` for 16383.
fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut s = Vec::new();
    while n > 0 {
        s.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// Check the zip container and the shared-strings part against the limits
/// before calamine allocates anything for them.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let file_bytes = bytes.len() as u64;
    if file_bytes > limits.file_bytes {
        return Err(limit(
            "the workbook file",
            file_bytes,
            limits.file_bytes,
            " bytes",
        ));
    }
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    if zip.len() > limits.parts {
        return Err(limit(
            "the number of parts in the workbook",
            zip.len() as u64,
            limits.parts as u64,
            "",
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| Refusal::Unreadable(e.to_string()))?;
        let raw_name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let name = printable(&raw_name);
        let size = part.size();
        if size > limits.part_bytes {
            return Err(limit(
                format!("the part {name} uncompressed"),
                size,
                limits.part_bytes,
                " bytes",
            ));
        }
        total = total.saturating_add(size);
        if total > limits.total_bytes {
            return Err(limit(
                "the workbook uncompressed",
                total,
                limits.total_bytes,
                " bytes",
            ));
        }
        let ratio = size / part.compressed_size().max(1);
        if size > RATIO_FLOOR && ratio > limits.ratio {
            return Err(Refusal::Limit {
                what: format!("the part {name}'s compression ratio"),
                found: format!("{}:1", thousands(ratio)),
                limit: format!("{}:1", thousands(limits.ratio)),
                advice: "this is not how a spreadsheet compresses; save it again from the spreadsheet, or as CSV",
            });
        }
    }
    // Every part, whatever its name (a workbook's relationships say which
    // part is a sheet): shared-string counts and cell references.
    for i in 0..zip.len() {
        let part = zip
            .by_index(i)
            .map_err(|e| Refusal::Unreadable(e.to_string()))?;
        let name = printable(&part.name().map(|n| n.into_owned()).unwrap_or_default());
        scan_part(&name, part, limits)?;
    }
    Ok(())
}

/// A part name as messages show it: at most 60 printable characters.
fn printable(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(60)
        .collect();
    if name.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The last row and column a worksheet has (Excel's `XFD1048576`), from 1.
const LAST_ROW: u64 = 1_048_576;
const LAST_COLUMN: u64 = 16_384;

/// Scan one part's XML: a shared-strings table's declared `count` and
/// `uniqueCount` (calamine reserves room for them) and its `<si>` entries,
/// each within the limit; and every cell reference calamine turns into a
/// position (`r` of rows and cells, `ref` of dimensions, merged cells and
/// shared formulas), which must name a cell within Excel's sheet (calamine
/// does not check, and its arithmetic overflows).
fn scan_part(name: &str, part: impl Read, limits: &Limits) -> Result<(), Refusal> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    // As calamine reads them (so that nothing it reads is skipped here).
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    let mut buf = Vec::new();
    let mut strings = 0u64;
    let too_many = |n: u64| limit("the number of shared strings", n, limits.shared_strings, "");
    loop {
        buf.clear();
        let e = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => e,
            Ok(Event::Eof) => return Ok(()),
            // A damaged part is calamine's to report: it reads no further.
            Err(_) => return Ok(()),
            Ok(_) => continue,
        };
        let element = e.local_name();
        let element = element.as_ref();
        if element == "si" {
            strings += 1;
            if strings > limits.shared_strings {
                return Err(too_many(strings));
            }
        }
        let raw = e.attributes_raw();
        for (key, value) in raw_attributes(raw) {
            let key = key.rsplit(':').next().unwrap_or(key);
            match (element, key) {
                ("sst", "uniqueCount" | "count") => {
                    // calamine ignores a count it cannot read.
                    if let Ok(n) = value.trim().parse::<u64>()
                        && n > limits.shared_strings
                    {
                        return Err(too_many(n));
                    }
                }
                ("row" | "c", "r") | ("dimension" | "mergeCell" | "f", "ref") => {
                    for reference in value.split([':', ' ']).filter(|r| !r.is_empty()) {
                        if !within_sheet(reference.trim_start_matches('$')) {
                            let shown: String = reference.chars().take(24).collect();
                            return Err(Refusal::Limit {
                                what: format!("the cell reference '{shown}' in {name}"),
                                found: "beyond the last cell of a sheet".into(),
                                limit: "XFD1048576".into(),
                                advice: "the workbook is damaged or was not written by a spreadsheet; save it again from the spreadsheet, or as CSV",
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// A start tag's attributes as `key=value` pairs, read as leniently as
/// calamine reads them (quoted or not, duplicates kept).
fn raw_attributes(raw: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let key = key.rsplit(char::is_whitespace).next().unwrap_or(key);
        let after = rest[eq + 1..].trim_start();
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                match body.find(q) {
                    Some(end) => (&body[..end], &body[end + 1..]),
                    None => (body, ""),
                }
            }
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        out.push((key, value));
        rest = next;
    }
    out
}

/// Whether `reference` (`B12`, `12`, `B`) names a row and column within
/// a sheet's bounds. Anything else that is not letters then digits is left
/// to calamine to refuse.
fn within_sheet(reference: &str) -> bool {
    let letters = reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .count();
    let (column, rest) = reference.split_at(letters);
    let rest = rest.trim_start_matches('$');
    if letters > 3 || rest.len() > 7 {
        return false;
    }
    let column = column.bytes().fold(0u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1
    });
    if column > LAST_COLUMN {
        return false;
    }
    match rest.parse::<u64>() {
        Ok(row) => row <= LAST_ROW,
        Err(_) => rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// A cell's value as the CSV would hold it: text as it is; whole numbers
/// without a decimal point (`3201`, not `3201.0`); dates (cells formatted as
/// dates) as `YYYY-MM-DD`, or with the time when there is one (which the
/// validation then refuses); errors as Excel shows them (`#N/A`); formulas
/// as their saved values.
fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, m, day, h, min, sec, milli) = d.to_ymd_hms_milli();
            if (h, min, sec, milli) == (0, 0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{sec:02}")
            }
        }
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::io::Write as _;

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

    fn workbook(sheet_data: &str, extra: &[(&str, String)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut parts = vec![
            (
                "_rels/.rels",
                format!(
                    r#"<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/workbook.xml",
                format!(
                    r#"<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                ),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(
                    r#"<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>"#
                ),
            ),
        ];
        parts.extend(extra.iter().map(|(n, t)| (*n, t.clone())));
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn cell(at: &str, text: &str) -> String {
        format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn cells_are_read_sparsely_in_sheet_order() {
        let bytes = workbook(
            &format!(
                r#"<row r="2">{}{}</row><row r="4">{}</row>"#,
                cell("C2", "a"),
                cell("E2", "b"),
                cell("D4", "c")
            ),
            &[],
        );
        let sheet = sheet(&bytes, &Limits::default()).unwrap();
        assert_eq!(sheet.name, "Data");
        let cells: Vec<_> = sheet.cells.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(cells, [((1, 2), "a"), ((1, 4), "b"), ((3, 3), "c")]);
    }

    #[test]
    fn each_limit_is_named_with_the_value_found() {
        let three = format!(
            r#"<row r="1">{}{}{}</row>"#,
            cell("A1", "x"),
            cell("B1", "y"),
            cell("A3", "zz")
        );
        let bytes = workbook(&three, &[]);
        let refused = |limits: Limits| sheet(&bytes, &limits).unwrap_err().to_string();
        let at = Limits::default();
        assert!(
            refused(Limits { cells: 2, ..at })
                .starts_with("the number of cells in sheet 'Data' is 3, over the limit of 2"),
        );
        assert!(
            refused(Limits { rows: 2, ..at })
                .contains("(its cells run from row 1 to row 3) is 3, over the limit of 2")
        );
        assert!(
            refused(Limits { columns: 1, ..at })
                .contains("columns sheet 'Data' spans is 2, over the limit of 1")
        );
        assert!(refused(Limits { area: 5, ..at }).contains(
            "(3 rows by 2 columns, cells A1 to B3) is 6 cells, over the limit of 5 cells"
        ));
        assert!(
            refused(Limits {
                text_bytes: 3,
                ..at
            })
            .contains("the text in sheet 'Data' is 4 bytes")
        );
        assert!(
            refused(Limits { parts: 3, ..at }).contains("the number of parts in the workbook is 4")
        );
        assert!(
            refused(Limits {
                file_bytes: 10,
                ..at
            })
            .starts_with("the workbook file is")
        );
        assert!(
            refused(Limits {
                part_bytes: 50,
                ..at
            })
            .contains("uncompressed is")
        );
        assert!(sheet(&bytes, &at).is_ok());
    }

    #[test]
    fn references_beyond_the_sheet_are_refused_before_calamine() {
        for bad in [
            r#"<row r="4294967296"><c><v>1</v></c></row>"#,
            r#"<row><c r="AAAAAAAA1"><v>1</v></c></row>"#,
            r#"<row><c r="XFE1"><v>1</v></c></row>"#,
            r#"<row><c r="A1048577"><v>1</v></c></row>"#,
            r#"<row><c r='A99999999999'><v>1</v></c></row>"#,
            r#"<row><c r=A99999999999><v>1</v></c></row>"#,
        ] {
            let err = sheet(&workbook(bad, &[]), &Limits::default()).unwrap_err();
            assert!(
                err.to_string().contains("beyond the last cell of a sheet"),
                "{bad}: {err}"
            );
        }
        let dimension = format!(
            r#"<worksheet xmlns="{MAIN}"><dimension ref="A1:XFE3"/><sheetData/></worksheet>"#
        );
        let bytes = workbook("", &[("xl/worksheets/sheet2.xml", dimension)]);
        assert!(
            sheet(&bytes, &Limits::default())
                .unwrap_err()
                .to_string()
                .contains("'XFE3' in xl/worksheets/sheet2.xml")
        );
        assert!(
            within_sheet("XFD1048576")
                && within_sheet("A1")
                && within_sheet("7")
                && within_sheet("B")
        );
    }

    #[test]
    fn shared_strings_are_counted_before_calamine_reserves_them() {
        let sst = |attrs: &str, n: usize| {
            format!(
                r#"<sst xmlns="{MAIN}" {attrs}>{}</sst>"#,
                "<si><t>a</t></si>".repeat(n)
            )
        };
        let limits = Limits {
            shared_strings: 3,
            ..Limits::default()
        };
        let read = |text: String| sheet(&workbook("", &[("xl/sharedStrings.xml", text)]), &limits);
        assert!(read(sst(r#"uniqueCount="3""#, 3)).is_ok());
        assert!(
            read(sst(r#"uniqueCount="4""#, 1))
                .unwrap_err()
                .to_string()
                .contains("shared strings is 4")
        );
        assert!(
            read(sst(r#"count="9""#, 1))
                .unwrap_err()
                .to_string()
                .contains("shared strings is 9")
        );
        assert!(
            read(sst("", 4))
                .unwrap_err()
                .to_string()
                .contains("shared strings is 4")
        );
    }
}
