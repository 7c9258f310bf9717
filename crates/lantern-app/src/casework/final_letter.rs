//! The final letter as sent, uploaded when a case is recorded as sent: its
//! type found from its content (a DOCX is a zip holding
//! `word/document.xml`, a PDF starts `%PDF-`; the file's name is not
//! trusted), its size bounded, and for a DOCX its tables' figures compared
//! with the approved letter's, cell by cell. A PDF is kept but not
//! compared (the officer is told so). What differs is recorded with the
//! letter and in the case's history.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use lantern_store::{NewFinalLetter, StoredFinalLetter};

use crate::{Error, Result};

/// The largest final letter kept (a letter with a few tables is well
/// under a megabyte; a scanned PDF may be larger).
pub const MAX_FINAL_LETTER_BYTES: u64 = 10 << 20;

/// The most `word/document.xml` may decompress to.
const MAX_DOCUMENT_XML: u64 = 32 << 20;

/// The content type of a DOCX.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The content type of a PDF.
pub const PDF: &str = "application/pdf";

/// A final letter as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Its file name as given (kept; never used to decide its type).
    pub name: Option<String>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The letter's type from its content: DOCX or PDF, else refused.
fn content_type(bytes: &[u8]) -> Result<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(PDF);
    }
    if bytes.starts_with(b"PK\x03\x04")
        && let Ok(zip) = zip::ZipArchive::new(Cursor::new(bytes))
        && zip.index_for_name("word/document.xml").is_some()
    {
        return Ok(DOCX);
    }
    Err(Error::invalid(
        "the final letter must be a Word document (.docx) or a PDF; the file uploaded is neither (its content was checked, not its name)",
    ))
}

/// Check an upload and compare its figures with the approved letter (its
/// Markdown): the letter as it will be kept.
pub fn examine(upload: &Upload, approved_md: &str) -> Result<NewFinalLetter> {
    let size = upload.bytes.len() as u64;
    if size == 0 {
        crate::fail!(
            Invalid,
            "the final letter uploaded is empty; choose the file again"
        );
    }
    if size > MAX_FINAL_LETTER_BYTES {
        crate::fail!(
            Invalid,
            "the final letter is {size} bytes, more than the {MAX_FINAL_LETTER_BYTES} Lantern keeps; save it without images, or as a smaller PDF"
        );
    }
    let content_type = content_type(&upload.bytes)?;
    let (compared, differences) = if content_type == DOCX {
        let letter = docx_tables(&upload.bytes)?;
        (true, differences(&markdown_tables(approved_md), &letter))
    } else {
        (false, vec![])
    };
    Ok(NewFinalLetter {
        name: upload.name.clone(),
        content_type: content_type.to_string(),
        bytes: upload.bytes.clone(),
        compared,
        differences,
    })
}

/// The final letters kept with a case (without their bytes).
pub fn kept(ctx: &crate::Context, reference: &str) -> Result<Vec<StoredFinalLetter>> {
    let store = ctx.open()?;
    let case = super::find(store.as_ref(), reference)?;
    Ok(store.final_letters(&case.reference)?)
}

/// The final letter kept at `position` with a case, with its bytes;
/// refused when there is none, or when it was erased with the
/// requester's details.
pub fn kept_bytes(
    ctx: &crate::Context,
    reference: &str,
    position: i64,
) -> Result<(StoredFinalLetter, Vec<u8>)> {
    let store = ctx.open()?;
    let case = super::find(store.as_ref(), reference)?;
    let Some(found) = store
        .final_letters(&case.reference)?
        .into_iter()
        .find(|l| l.position == position)
    else {
        crate::fail!(
            NotFound,
            "request {reference} has no final letter {position}"
        );
    };
    match store.final_letter_bytes(&case.reference, position)? {
        Some(bytes) => Ok((found, bytes)),
        None => crate::fail!(
            Conflict,
            "final letter {position} of request {reference} was erased with the requester's details when its retention ended"
        ),
    }
}

/// A table as rows of cell texts, the first row its headings.
type Table = Vec<Vec<String>>;

/// The tables of a DOCX's `word/document.xml`: each `w:tbl`'s rows
/// (`w:tr`) of cells (`w:tc`), a cell's text its `w:t` runs joined.
fn docx_tables(bytes: &[u8]) -> Result<Vec<Table>> {
    use quick_xml::events::Event;
    let unreadable = |e: &dyn std::fmt::Display| {
        Error::invalid(format!(
            "the final letter's Word document cannot be read ({e}); save it again from Word"
        ))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let part = zip
        .by_name("word/document.xml")
        .map_err(|e| unreadable(&e))?;
    if part.size() > MAX_DOCUMENT_XML {
        crate::fail!(
            Invalid,
            "the final letter's text is {} bytes once unpacked, more than {MAX_DOCUMENT_XML}; is it the right file?",
            part.size()
        );
    }
    let mut xml_bytes = Vec::new();
    part.take(MAX_DOCUMENT_XML + 1)
        .read_to_end(&mut xml_bytes)
        .map_err(|e| unreadable(&e))?;
    let mut xml = quick_xml::Reader::from_reader(xml_bytes.as_slice());
    xml.config_mut().trim_text(false);
    let mut tables: Vec<Table> = Vec::new();
    // Tables being read (nested tables are read as their own).
    let mut open: Vec<Table> = Vec::new();
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|e| unreadable(&e))? {
            Event::Start(e) => match e.local_name().as_ref() {
                "tbl" => open.push(Vec::new()),
                "tr" => {
                    if let Some(t) = open.last_mut() {
                        t.push(Vec::new());
                    }
                }
                "tc" => {
                    if let Some(row) = open.last_mut().and_then(|t| t.last_mut()) {
                        row.push(String::new());
                    }
                }
                "t" => in_text = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "tbl" => tables.extend(open.pop()),
                "t" => in_text = false,
                "p" => {
                    // Paragraphs in one cell are words apart.
                    if let Some(cell) = open
                        .last_mut()
                        .and_then(|t| t.last_mut())
                        .and_then(|r| r.last_mut())
                    {
                        cell.push(' ');
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                let text = t.xml10_content();
                if let Some(cell) = open
                    .last_mut()
                    .and_then(|t| t.last_mut())
                    .and_then(|r| r.last_mut())
                {
                    cell.push_str(&text);
                }
            }
            Event::GeneralRef(r) if in_text => {
                let text = match r.resolve_char_ref().map_err(|e| unreadable(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        quick_xml::escape::unescape(&format!("&{name};"))
                            .map_err(|e| unreadable(&e))?
                            .into_owned()
                    }
                };
                if let Some(cell) = open
                    .last_mut()
                    .and_then(|t| t.last_mut())
                    .and_then(|r| r.last_mut())
                {
                    cell.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(tables)
}

/// The tables of a letter in Markdown: runs of lines starting `|`, the
/// line of dashes under the headings left out.
fn markdown_tables(md: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut table: Table = Vec::new();
    for line in md.lines().map(str::trim) {
        if let Some(inner) = line.strip_prefix('|') {
            let inner = inner.strip_suffix('|').unwrap_or(inner);
            let cells: Vec<String> = inner.split('|').map(|c| c.trim().to_string()).collect();
            let rule = cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')));
            if !rule {
                table.push(cells);
            }
        } else if !table.is_empty() {
            tables.push(std::mem::take(&mut table));
        }
    }
    if !table.is_empty() {
        tables.push(table);
    }
    tables
}

/// Words compared as the same whatever their spacing and case.
fn normal(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The numbers a cell gives, in order ("1,234" is 1234).
fn numbers(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joins = matches!(c, ',' | '.')
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() {
            current.push(c);
        } else if joins {
            if c == '.' {
                current.push('.');
            }
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Every cell of the tables with figures, by (row's first cell, column
/// heading): its text as shown. A key seen twice is told apart by its
/// count.
fn cells(tables: &[Table]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for table in tables {
        let Some((headings, rows)) = table.split_first() else {
            continue;
        };
        for row in rows {
            let Some((label, values)) = row.split_first() else {
                continue;
            };
            for (i, value) in values.iter().enumerate() {
                let heading = headings.get(i + 1).map(String::as_str).unwrap_or_default();
                let mut key = (normal(label), normal(heading));
                let mut n = 1;
                while out.contains_key(&key) {
                    n += 1;
                    key.1 = format!("{} ({n})", normal(heading));
                }
                out.insert(key, value.trim().to_string());
            }
        }
    }
    out
}

/// What differs between the approved letter's table cells and the
/// uploaded letter's: a figure changed, a cell with figures missing, or a
/// cell with figures the approved letter does not have.
fn differences(approved: &[Table], letter: &[Table]) -> Vec<String> {
    let approved = cells(approved);
    let letter = cells(letter);
    let mut out = Vec::new();
    let place = |(row, column): &(String, String)| {
        if column.is_empty() {
            format!("'{row}'")
        } else {
            format!("'{row}', '{column}'")
        }
    };
    for (key, value) in &approved {
        let figures = numbers(value);
        match letter.get(key) {
            Some(theirs) if numbers(theirs) != figures => out.push(format!(
                "{}: approved \"{value}\", the letter as sent says \"{theirs}\"",
                place(key)
            )),
            Some(_) => {}
            None if !figures.is_empty() => out.push(format!(
                "{}: approved \"{value}\", not found in the letter as sent",
                place(key)
            )),
            None => {}
        }
    }
    for (key, value) in &letter {
        if !approved.contains_key(key) && !numbers(value).is_empty() {
            out.push(format!(
                "{}: the letter as sent says \"{value}\", which the approved letter does not have",
                place(key)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPROVED: &str = "Intro\n\n| Period | People in treatment |\n|---|---|\n| 2017/18 | 44 people |\n| 2016/17 | 1,051 people |\n\nEnd\n";

    fn docx(rows: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write as _;
        let mut body = String::from(
            "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:tbl>",
        );
        for (a, b) in [("Period", "People in treatment")].iter().chain(rows) {
            body.push_str(&format!(
                "<w:tr><w:tc><w:p><w:r><w:t>{a}</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>{b}</w:t></w:r></w:p></w:tc></w:tr>"
            ));
        }
        body.push_str("</w:tbl></w:body></w:document>");
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        zip.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    }

    fn upload(bytes: Vec<u8>) -> Upload {
        Upload {
            name: Some("letter.docx".into()),
            bytes,
        }
    }

    #[test]
    fn the_same_figures_are_no_difference_and_a_changed_one_is_named() {
        let same = examine(
            &upload(docx(&[
                ("2017/18", "44 people"),
                ("2016/17", "1051 people"),
            ])),
            APPROVED,
        )
        .unwrap();
        assert!(same.compared);
        assert_eq!(same.differences, Vec::<String>::new());
        let changed = examine(
            &upload(docx(&[
                ("2017/18", "45 people"),
                ("2016/17", "1,051 people"),
            ])),
            APPROVED,
        )
        .unwrap();
        assert_eq!(
            changed.differences,
            vec!["'2017/18', 'people in treatment': approved \"44 people\", the letter as sent says \"45 people\"".to_string()]
        );
        let dropped = examine(&upload(docx(&[("2017/18", "44 people")])), APPROVED).unwrap();
        assert_eq!(dropped.differences.len(), 1, "{:?}", dropped.differences);
        assert!(dropped.differences[0].contains("not found"));
    }

    #[test]
    fn a_pdf_is_kept_uncompared_and_anything_else_is_refused_by_content() {
        let pdf = examine(&upload(b"%PDF-1.7\n...".to_vec()), APPROVED).unwrap();
        assert_eq!(pdf.content_type, PDF);
        assert!(!pdf.compared);
        let named_docx = examine(&upload(b"<html>not a letter</html>".to_vec()), APPROVED);
        assert!(named_docx.unwrap_err().message().contains("neither"));
        let big = examine(
            &upload(vec![b'%'; MAX_FINAL_LETTER_BYTES as usize + 1]),
            APPROVED,
        );
        assert!(big.unwrap_err().message().contains("more than"));
    }
}
