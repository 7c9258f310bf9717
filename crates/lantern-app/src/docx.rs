//! Letters as Word documents (DOCX), made from the same Markdown as the
//! HTML letter, so the three formats cannot say different things.
//!
//! This module owns the package Lantern writes and what it leaves out. A
//! letter's DOCX holds only the parts a letter needs: the document, its
//! styles, its list numbering, the package's relationships and content
//! types, and the core and application properties. Nothing is hidden: no
//! comments part, no tracked changes (`w:ins`, `w:del`), no hidden text
//! (`w:vanish`), no custom XML or custom properties, and the core
//! properties name the council as creator (never a person) and carry no
//! dates, so the same letter gives the same bytes.
//!
//! Accessibility: headings use Word's heading styles (outline levels), a
//! table is a real Word table whose first row is marked as its header row
//! (`w:tblHeader`, repeated on each page) with its caption as the table's
//! description (`w:tblCaption`) and as a "Caption" paragraph above it, and
//! lists are Word lists. Links keep plain `http`/`https` addresses only
//! (as in the HTML letter); any raw HTML in the Markdown is printed as text.
//!
//! The package is written with `zip` and the XML with `quick-xml` (which
//! escapes every text and attribute); the WordprocessingML vocabulary is
//! Lantern's own, small and tested by opening the result.

use std::io::{Cursor, Write};

use lantern_core::release::is_web_address;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as Xml};

/// The MIME type of a DOCX file.
pub const CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL_HYPERLINK: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";

/// What the document says about itself (core properties).
#[derive(Debug, Clone)]
pub struct About<'a> {
    /// The document's title ("Response to FOI-2019-0412").
    pub title: &'a str,
    /// Who made it: the council's name, never a person's.
    pub creator: &'a str,
}

/// The letter's Markdown as a DOCX file.
pub fn from_markdown(md: &str, about: &About<'_>) -> crate::Result<Vec<u8>> {
    let mut body = Body::default();
    body.walk(md).map_err(xml_error)?;
    let document = body.document().map_err(xml_error)?;
    let rels = relationships(&body.links).map_err(xml_error)?;
    let core = core_properties(about).map_err(xml_error)?;
    package(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("docProps/core.xml", &core),
        ("docProps/app.xml", APP.as_bytes()),
        ("word/document.xml", &document),
        ("word/_rels/document.xml.rels", &rels),
        ("word/styles.xml", STYLES.as_bytes()),
        ("word/numbering.xml", NUMBERING.as_bytes()),
    ])
}

fn xml_error(e: impl std::fmt::Display) -> crate::Error {
    crate::Error::new(
        crate::error::Kind::Internal,
        format!("cannot write the letter as DOCX: {e}"),
    )
}

fn package(parts: &[(&str, &[u8])]) -> crate::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in parts {
        zip.start_file(*name, options).map_err(xml_error)?;
        zip.write_all(bytes).map_err(xml_error)?;
    }
    Ok(zip.finish().map_err(xml_error)?.into_inner())
}

type XmlResult = std::io::Result<()>;

/// Inline formatting in force.
#[derive(Debug, Default, Clone, Copy)]
struct Marks {
    bold: bool,
    italic: bool,
    link: bool,
}

/// A table being read: its rows of cells, each cell its runs.
#[derive(Debug, Default)]
struct TableBuf {
    caption: Option<String>,
    rows: Vec<Vec<Vec<u8>>>,
    head_rows: usize,
}

/// The document body as it is written.
#[derive(Default)]
struct Body {
    out: Vec<u8>,
    /// Runs of the paragraph (or cell) being written.
    runs: Vec<u8>,
    /// The paragraph's style, when it has one.
    style: Option<&'static str>,
    /// Open lists: numbered or not.
    lists: Vec<bool>,
    marks: Marks,
    table: Option<TableBuf>,
    in_head: bool,
    /// External links: relationship target addresses, in order (`rIdN`).
    links: Vec<String>,
    /// The caption waiting for the table that follows.
    caption: Option<String>,
}

fn writer(buf: &mut Vec<u8>) -> Writer<&mut Vec<u8>> {
    Writer::new(buf)
}

fn start(w: &mut Writer<&mut Vec<u8>>, name: &str, attrs: &[(&str, &str)]) -> XmlResult {
    let mut e = BytesStart::new(name);
    for a in attrs {
        e.push_attribute(*a);
    }
    w.write_event(Xml::Start(e))
}

fn empty(w: &mut Writer<&mut Vec<u8>>, name: &str, attrs: &[(&str, &str)]) -> XmlResult {
    let mut e = BytesStart::new(name);
    for a in attrs {
        e.push_attribute(*a);
    }
    w.write_event(Xml::Empty(e))
}

fn end(w: &mut Writer<&mut Vec<u8>>, name: &str) -> XmlResult {
    w.write_event(Xml::End(BytesEnd::new(name)))
}

fn text(w: &mut Writer<&mut Vec<u8>>, name: &str, s: &str) -> XmlResult {
    let mut e = BytesStart::new(name);
    if s.starts_with(' ') || s.ends_with(' ') {
        e.push_attribute(("xml:space", "preserve"));
    }
    w.write_event(Xml::Start(e))?;
    w.write_event(Xml::Text(BytesText::new(s)))?;
    end(w, name)
}

impl Body {
    fn walk(&mut self, md: &str) -> XmlResult {
        let events: Vec<Event<'_>> = Parser::new_ext(md, Options::ENABLE_TABLES).collect();
        let mut i = 0;
        while i < events.len() {
            // A paragraph that is only emphasis, right before a table, is
            // the table's caption (as in the HTML letter).
            if let Some((caption, next)) = crate::letters::caption_at(&events, i) {
                self.caption = Some(caption);
                i = next;
                continue;
            }
            self.event(&events[i])?;
            i += 1;
        }
        Ok(())
    }

    fn event(&mut self, event: &Event<'_>) -> XmlResult {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.style = Some(match level {
                    HeadingLevel::H1 => "Heading1",
                    HeadingLevel::H2 => "Heading2",
                    _ => "Heading3",
                });
            }
            Event::End(TagEnd::Heading(_)) | Event::End(TagEnd::Paragraph)
                if self.table.is_none() =>
            {
                self.paragraph()?;
            }
            Event::Start(Tag::Paragraph) => {}
            Event::Start(Tag::List(first)) => self.lists.push(first.is_some()),
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
            }
            Event::Start(Tag::Item) => {}
            // A tight list item's text is not in a paragraph.
            Event::End(TagEnd::Item) if !self.runs.is_empty() => self.paragraph()?,
            Event::Start(Tag::Strong) => self.marks.bold = true,
            Event::End(TagEnd::Strong) => self.marks.bold = false,
            Event::Start(Tag::Emphasis) => self.marks.italic = true,
            Event::End(TagEnd::Emphasis) => self.marks.italic = false,
            Event::Start(Tag::Link { dest_url, .. }) if is_web_address(dest_url) => {
                self.links.push(dest_url.to_string());
                let id = format!("rId{}", self.links.len() + 2);
                let mut w = writer(&mut self.runs);
                start(&mut w, "w:hyperlink", &[("r:id", &id)])?;
                self.marks.link = true;
            }
            Event::End(TagEnd::Link) if self.marks.link => {
                self.marks.link = false;
                end(&mut writer(&mut self.runs), "w:hyperlink")?;
            }
            Event::Start(Tag::Table(_)) => {
                self.table = Some(TableBuf {
                    caption: self.caption.take(),
                    ..TableBuf::default()
                });
            }
            Event::Start(Tag::TableHead) => {
                self.in_head = true;
                if let Some(t) = &mut self.table {
                    t.rows.push(vec![]);
                }
            }
            Event::End(TagEnd::TableHead) => {
                self.in_head = false;
                if let Some(t) = &mut self.table {
                    t.head_rows = t.rows.len();
                }
            }
            Event::Start(Tag::TableRow) => {
                if let Some(t) = &mut self.table {
                    t.rows.push(vec![]);
                }
            }
            Event::Start(Tag::TableCell) => self.runs.clear(),
            Event::End(TagEnd::TableCell) => {
                let runs = std::mem::take(&mut self.runs);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(runs);
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = self.table.take() {
                    self.write_table(t)?;
                }
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                self.run(t)?;
            }
            Event::SoftBreak => self.run(" ")?,
            Event::HardBreak => empty(&mut writer(&mut self.runs), "w:br", &[])?,
            Event::Rule => {
                self.paragraph()?;
            }
            // Images, footnotes and the rest: a letter has none; their text
            // (if any) arrives as text events.
            _ => {}
        }
        Ok(())
    }

    fn run(&mut self, s: &str) -> XmlResult {
        let marks = self.marks;
        let bold = marks.bold || self.in_head;
        let mut w = writer(&mut self.runs);
        start(&mut w, "w:r", &[])?;
        if bold || marks.italic || marks.link {
            start(&mut w, "w:rPr", &[])?;
            if marks.link {
                empty(&mut w, "w:rStyle", &[("w:val", "Hyperlink")])?;
            }
            if bold {
                empty(&mut w, "w:b", &[])?;
            }
            if marks.italic {
                empty(&mut w, "w:i", &[])?;
            }
            end(&mut w, "w:rPr")?;
        }
        text(&mut w, "w:t", s)?;
        end(&mut w, "w:r")
    }

    /// Write the paragraph gathered so far.
    fn paragraph(&mut self) -> XmlResult {
        let runs = std::mem::take(&mut self.runs);
        let style = self.style.take();
        let list = self.lists.last().copied();
        let mut w = writer(&mut self.out);
        start(&mut w, "w:p", &[])?;
        if style.is_some() || list.is_some() {
            start(&mut w, "w:pPr", &[])?;
            match (style, list) {
                (Some(s), _) => empty(&mut w, "w:pStyle", &[("w:val", s)])?,
                (None, Some(numbered)) => {
                    empty(&mut w, "w:pStyle", &[("w:val", "ListParagraph")])?;
                    start(&mut w, "w:numPr", &[])?;
                    let level = (self.lists.len() - 1).min(8).to_string();
                    empty(&mut w, "w:ilvl", &[("w:val", &level)])?;
                    empty(
                        &mut w,
                        "w:numId",
                        &[("w:val", if numbered { "2" } else { "1" })],
                    )?;
                    end(&mut w, "w:numPr")?;
                }
                (None, None) => {}
            }
            end(&mut w, "w:pPr")?;
        }
        w.get_mut().extend_from_slice(&runs);
        end(&mut w, "w:p")
    }

    fn write_table(&mut self, t: TableBuf) -> XmlResult {
        let columns = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if let Some(c) = &t.caption {
            self.style = Some("Caption");
            self.run(c)?;
            self.paragraph()?;
        }
        let mut w = writer(&mut self.out);
        start(&mut w, "w:tbl", &[])?;
        start(&mut w, "w:tblPr", &[])?;
        empty(&mut w, "w:tblStyle", &[("w:val", "TableGrid")])?;
        empty(&mut w, "w:tblW", &[("w:w", "5000"), ("w:type", "pct")])?;
        if let Some(c) = &t.caption {
            empty(&mut w, "w:tblCaption", &[("w:val", c)])?;
        }
        end(&mut w, "w:tblPr")?;
        start(&mut w, "w:tblGrid", &[])?;
        for _ in 0..columns {
            empty(&mut w, "w:gridCol", &[])?;
        }
        end(&mut w, "w:tblGrid")?;
        for (i, row) in t.rows.iter().enumerate() {
            start(&mut w, "w:tr", &[])?;
            if i < t.head_rows {
                start(&mut w, "w:trPr", &[])?;
                empty(&mut w, "w:tblHeader", &[])?;
                end(&mut w, "w:trPr")?;
            }
            for c in 0..columns {
                start(&mut w, "w:tc", &[])?;
                start(&mut w, "w:p", &[])?;
                if let Some(runs) = row.get(c) {
                    w.get_mut().extend_from_slice(runs);
                }
                end(&mut w, "w:p")?;
                end(&mut w, "w:tc")?;
            }
            end(&mut w, "w:tr")?;
        }
        end(&mut w, "w:tbl")?;
        // Word needs a paragraph between two tables.
        start(&mut w, "w:p", &[])?;
        end(&mut w, "w:p")
    }

    fn document(&self) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        let mut w = writer(&mut buf);
        w.write_event(Xml::Decl(BytesDecl::new("1.0", Some("UTF-8"), Some("yes"))))?;
        start(&mut w, "w:document", &[("xmlns:w", W), ("xmlns:r", R)])?;
        start(&mut w, "w:body", &[])?;
        w.get_mut().extend_from_slice(&self.out);
        start(&mut w, "w:sectPr", &[])?;
        // A4 with 2.5 cm margins.
        empty(&mut w, "w:pgSz", &[("w:w", "11906"), ("w:h", "16838")])?;
        empty(
            &mut w,
            "w:pgMar",
            &[
                ("w:top", "1417"),
                ("w:right", "1417"),
                ("w:bottom", "1417"),
                ("w:left", "1417"),
                ("w:header", "708"),
                ("w:footer", "708"),
                ("w:gutter", "0"),
            ],
        )?;
        end(&mut w, "w:sectPr")?;
        end(&mut w, "w:body")?;
        end(&mut w, "w:document")?;
        Ok(buf)
    }
}

fn relationships(links: &[String]) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = writer(&mut buf);
    w.write_event(Xml::Decl(BytesDecl::new("1.0", Some("UTF-8"), Some("yes"))))?;
    start(
        &mut w,
        "Relationships",
        &[(
            "xmlns",
            "http://schemas.openxmlformats.org/package/2006/relationships",
        )],
    )?;
    empty(
        &mut w,
        "Relationship",
        &[
            ("Id", "rId1"),
            (
                "Type",
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles",
            ),
            ("Target", "styles.xml"),
        ],
    )?;
    empty(
        &mut w,
        "Relationship",
        &[
            ("Id", "rId2"),
            (
                "Type",
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering",
            ),
            ("Target", "numbering.xml"),
        ],
    )?;
    for (i, url) in links.iter().enumerate() {
        let id = format!("rId{}", i + 3);
        empty(
            &mut w,
            "Relationship",
            &[
                ("Id", id.as_str()),
                ("Type", REL_HYPERLINK),
                ("Target", url.as_str()),
                ("TargetMode", "External"),
            ],
        )?;
    }
    end(&mut w, "Relationships")?;
    Ok(buf)
}

fn core_properties(about: &About<'_>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut w = writer(&mut buf);
    w.write_event(Xml::Decl(BytesDecl::new("1.0", Some("UTF-8"), Some("yes"))))?;
    start(
        &mut w,
        "cp:coreProperties",
        &[
            (
                "xmlns:cp",
                "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            ),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ],
    )?;
    text(&mut w, "dc:title", about.title)?;
    text(&mut w, "dc:creator", about.creator)?;
    text(&mut w, "dc:language", "en-GB")?;
    end(&mut w, "cp:coreProperties")?;
    Ok(buf)
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;

const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Lantern</Application></Properties>"#;

/// Word's built-in styles a letter uses, in system fonts: headings with
/// their outline levels (the navigation pane and screen readers see them),
/// the caption above a table, a bordered table, list paragraphs and links.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:eastAsia="Arial" w:cs="Arial"/><w:sz w:val="24"/><w:szCs w:val="24"/><w:lang w:val="en-GB"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="30"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="200" w:after="100"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:sz w:val="26"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:after="80"/></w:pPr><w:rPr><w:b/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="80"/><w:ind w:left="720"/></w:pPr></w:style><w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:rPr><w:color w:val="1D70B8"/><w:u w:val="single"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="505A5F"/><w:left w:val="single" w:sz="4" w:space="0" w:color="505A5F"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="505A5F"/><w:right w:val="single" w:sz="4" w:space="0" w:color="505A5F"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="505A5F"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="505A5F"/></w:tblBorders><w:tblCellMar><w:left w:w="108" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>"#;

/// One bulleted and one numbered list.
const NUMBERING: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="◦"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1440" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1440" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::io::Read;

    fn part(docx: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(docx)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn a_table_is_a_word_table_with_a_header_row_and_its_caption() {
        let md = "# Heading\n\nDear Sir or Madam\n\n*People in treatment, by age band*\n\n| Age band | 2017/18 |\n|---|---|\n| 40+ | 12 |\n\n- one\n- two <b>\n";
        let docx = from_markdown(
            md,
            &About {
                title: "Response to R & D",
                creator: "Council",
            },
        )
        .unwrap();
        let doc = part(&docx, "word/document.xml");
        assert!(doc.contains(r#"<w:pStyle w:val="Heading1"/>"#), "{doc}");
        assert!(
            doc.contains(r#"<w:tblCaption w:val="People in treatment, by age band"/>"#),
            "{doc}"
        );
        assert!(
            doc.contains("<w:tr><w:trPr><w:tblHeader/></w:trPr>"),
            "{doc}"
        );
        assert_eq!(doc.matches("<w:tblHeader/>").count(), 1, "{doc}");
        assert!(doc.contains("<w:t>12</w:t>"), "{doc}");
        assert!(doc.contains("&lt;b&gt;"), "raw HTML is text: {doc}");
        assert!(doc.contains(r#"<w:numId w:val="1"/>"#), "{doc}");
        let core = part(&docx, "docProps/core.xml");
        assert!(core.contains("<dc:title>Response to R &amp; D</dc:title>"));
        assert!(core.contains("<dc:creator>Council</dc:creator>"));
        assert!(!core.contains("lastModifiedBy"));
    }
}
