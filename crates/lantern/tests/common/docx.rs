//! Opening a DOCX the way a reader's software would (the zip, then the
//! XML), for tests of letters as Word documents: its text, and whether it
//! hides anything.

#![allow(dead_code)]

use std::io::{Cursor, Read};

use quick_xml::events::Event;

/// A DOCX opened.
pub struct Opened {
    /// Every part's name.
    pub parts: Vec<String>,
    /// `word/document.xml`.
    pub document: String,
    /// `docProps/core.xml`.
    pub core: String,
    /// The text, a line per paragraph, a table's cells joined by " | ".
    pub text: String,
}

/// Open a DOCX (panics on anything that is not one).
pub fn open(bytes: &[u8]) -> Opened {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a DOCX is a zip");
    let parts: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("a part name").to_string())
        .collect();
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("no {name} in {parts:?}", parts = parts.clone()))
            .read_to_string(&mut s)
            .expect("utf-8 part");
        s
    };
    let document = read("word/document.xml");
    let core = read("docProps/core.xml");
    let text = text_of(&document);
    Opened {
        parts,
        document,
        core,
        text,
    }
}

fn text_of(document: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(document);
    let mut out = String::new();
    let mut in_text = false;
    let mut cell_started = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == "w:t" => in_text = true,
            Event::End(e) if e.name().as_ref() == "w:t" => in_text = false,
            Event::Text(t) if in_text => {
                out.push_str(&t);
            }
            Event::Start(e) if e.name().as_ref() == "w:tc" => {
                if cell_started {
                    out.push_str(" | ");
                }
                cell_started = true;
            }
            Event::End(e) if e.name().as_ref() == "w:tr" => {
                cell_started = false;
                out.push('\n');
            }
            Event::End(e) if e.name().as_ref() == "w:p" && !cell_started => out.push('\n'),
            Event::GeneralRef(r) if in_text => {
                let name = r.to_string();
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                    continue;
                }
                out.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "?",
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The parts a letter may have: nothing else (no comments, custom XML,
/// custom properties, macros, embedded objects or people part).
const ALLOWED: [&str; 8] = [
    "[Content_Types].xml",
    "_rels/.rels",
    "docProps/core.xml",
    "docProps/app.xml",
    "word/document.xml",
    "word/_rels/document.xml.rels",
    "word/styles.xml",
    "word/numbering.xml",
];

/// Assert the document hides nothing and names none of `people` in its
/// properties: no parts but a letter's, no comments, tracked changes or
/// hidden text, and a creator that is not a person.
pub fn assert_nothing_hidden(o: &Opened, people: &[&str]) {
    for p in &o.parts {
        assert!(ALLOWED.contains(&p.as_str()), "unexpected part {p}");
    }
    for hidden in [
        "<w:vanish",
        "<w:specVanish",
        "<w:webHidden",
        "<w:ins ",
        "<w:del ",
        "<w:moveFrom",
        "<w:moveTo",
        "<w:commentReference",
        "<w:commentRangeStart",
        "<w:customXml",
        "<w:sdt>",
    ] {
        assert!(!o.document.contains(hidden), "{hidden} in the document");
    }
    for who in people {
        assert!(
            !o.core.contains(who),
            "{who} in the document's properties: {}",
            o.core
        );
    }
    assert!(
        !o.core.contains("lastModifiedBy"),
        "last modified by: {}",
        o.core
    );
}
