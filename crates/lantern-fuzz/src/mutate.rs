//! Deterministic mutation of seed inputs: a small seeded generator and the
//! mutations (bytes, lines, fields, numbers, and for a workbook the XML of
//! its parts, re-zipped). The same seed and index always give the same input.

use std::io::{Cursor, Read, Write};

/// SplitMix64: small, fast, good enough to choose mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that make readers misbehave: limits, signs, overflow, dates
/// at the edges, odd text.
const INTERESTING: &[&str] = &[
    "0",
    "-1",
    "1",
    "4",
    "5",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999999",
    "1e308",
    "NaN",
    "-0",
    "0x10",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "2998/99",
    "1996/97",
    "20260399",
    "XFD1048576",
    "A1",
    "A0",
    "ZZZZZZZZ99999999999",
    "",
    " ",
    "\"",
    "\"\"",
    ",",
    ";",
    "\r\n",
    "\n",
    "\0",
    "\u{feff}",
    "\u{202e}",
    "é",
    "&amp;",
    "&#x0;",
    "&#1114112;",
    "<",
    "]]>",
    "=cmd|' /C calc'!A0",
    "[[",
    "]]",
    "{",
    "=?utf-8?B?",
    "=?utf-8?Q?=FF?=",
    "--",
    "boundary=\"",
];

/// Apply `count` random mutations to `data`, keeping it under `max_len`.
pub fn mutate(data: &mut Vec<u8>, rng: &mut Rng, count: usize, max_len: usize) {
    for _ in 0..count {
        mutate_once(data, rng);
        if data.len() > max_len {
            data.truncate(max_len);
        }
    }
}

fn mutate_once(data: &mut Vec<u8>, rng: &mut Rng) {
    let len = data.len();
    match rng.below(14) {
        // Flip a bit.
        0 if len > 0 => {
            let at = rng.below(len);
            data[at] ^= 1 << rng.below(8);
        }
        // Set a byte to anything.
        1 if len > 0 => {
            let at = rng.below(len);
            data[at] = rng.next() as u8;
        }
        // Delete a run.
        2 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(16));
            data.drain(at..at + n);
        }
        // Insert random bytes.
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(at..at, bytes);
        }
        // Insert an interesting value.
        4 | 5 => {
            let at = rng.below(len + 1);
            let value = rng.pick(INTERESTING).as_bytes().to_vec();
            data.splice(at..at, value);
        }
        // Replace a number (a run of digits) with an interesting value.
        6 | 7 => {
            let digits: Vec<usize> = (0..len)
                .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
                .collect();
            if digits.is_empty() {
                return;
            }
            let start = *rng.pick(&digits);
            let end = (start..len)
                .find(|&i| !data[i].is_ascii_digit())
                .unwrap_or(len);
            let value = rng.pick(INTERESTING).as_bytes().to_vec();
            data.splice(start..end, value);
        }
        // Duplicate a line (or a run of bytes).
        8 if len > 0 => {
            let (start, end) = line_at(data, rng.below(len));
            let copies = 1 + {
                let big = rng.one_in(8);
                rng.below(if big { 200 } else { 3 })
            };
            let line = data[start..end].to_vec();
            let at = end;
            let mut insert = Vec::new();
            for _ in 0..copies {
                insert.extend_from_slice(&line);
            }
            data.splice(at..at, insert);
        }
        // Delete a line.
        9 if len > 0 => {
            let (start, end) = line_at(data, rng.below(len));
            data.drain(start..end);
        }
        // Swap two lines.
        10 if len > 0 => {
            let a = line_at(data, rng.below(len));
            let b = line_at(data, rng.below(len));
            let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
            if first.1 <= second.0 {
                let one = data[first.0..first.1].to_vec();
                let two = data[second.0..second.1].to_vec();
                data.splice(second.0..second.1, one);
                data.splice(first.0..first.1, two);
            }
        }
        // Copy a run of bytes elsewhere (splice within the file).
        11 if len > 1 => {
            let from = rng.below(len);
            let n = 1 + rng.below((len - from).min(64));
            let piece = data[from..from + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, piece);
        }
        // Truncate.
        12 if len > 0 => {
            data.truncate(rng.below(len));
        }
        // Repeat a field-sized run many times (long cells).
        13 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(8));
            let piece = data[at..at + n].to_vec();
            let times = 1 + rng.below(2000);
            let mut insert = Vec::with_capacity(piece.len() * times);
            for _ in 0..times {
                insert.extend_from_slice(&piece);
            }
            data.splice(at..at, insert);
        }
        _ => {}
    }
}

/// The line (with its newline) around `at`.
fn line_at(data: &[u8], at: usize) -> (usize, usize) {
    let start = data[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = data[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |i| at + i + 1);
    (start, end)
}

/// A workbook's parts, unzipped once.
#[derive(Debug, Clone)]
pub struct Workbook {
    /// Each part's name and bytes, in zip order.
    pub parts: Vec<(String, Vec<u8>)>,
}

impl Workbook {
    /// Unzip a workbook.
    pub fn unzip(bytes: &[u8]) -> Option<Workbook> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let mut parts = Vec::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).ok()?;
            let mut data = Vec::new();
            file.read_to_end(&mut data).ok()?;
            parts.push((file.name().ok()?.to_string(), data));
        }
        Some(Workbook { parts })
    }

    /// Zip the parts again.
    pub fn zip(&self) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        for (name, data) in &self.parts {
            if zip.start_file(name.as_str(), options).is_err() || zip.write_all(data).is_err() {
                return Vec::new();
            }
        }
        zip.finish().map(Cursor::into_inner).unwrap_or_default()
    }
}

/// XML-aware mutations of a part: attribute values of the kinds readers
/// trust (cell references, counts, dimensions, row numbers, types), and
/// elements repeated or dropped.
const XML_VALUES: &[&str] = &[
    "XFD1048576",
    "A1048577",
    "XFE1",
    "A0",
    "AAAAAAAA1",
    "A99999999999",
    "A1:XFD1048576",
    "A1:A1",
    "B2:A1",
    "4294967295",
    "4294967296",
    "22906492245",
    "-1",
    "0",
    "1048576",
    "s",
    "str",
    "inlineStr",
    "b",
    "e",
    "n",
    "d",
    "999999",
];

/// Mutate one of the workbook's parts (XML-aware or bytes), or the list of
/// parts itself.
pub fn mutate_workbook(book: &mut Workbook, rng: &mut Rng, count: usize) {
    for _ in 0..count {
        if book.parts.is_empty() {
            return;
        }
        match rng.below(10) {
            0 => {
                // Drop or duplicate a part.
                let i = rng.below(book.parts.len());
                if rng.one_in(2) {
                    book.parts.remove(i);
                } else {
                    let part = book.parts[i].clone();
                    book.parts.push(part);
                }
            }
            1..=5 => {
                // An attribute value the readers trust.
                let i = prefer_sheet(book, rng);
                let data = &mut book.parts[i].1;
                let quotes: Vec<usize> = (0..data.len())
                    .filter(|&j| data[j] == b'"' && j > 0 && data[j - 1] == b'=')
                    .collect();
                if quotes.is_empty() {
                    continue;
                }
                let start = *rng.pick(&quotes) + 1;
                let Some(end) = data[start..].iter().position(|&b| b == b'"') else {
                    continue;
                };
                let value = rng.pick(XML_VALUES).as_bytes().to_vec();
                data.splice(start..start + end, value);
            }
            6 | 7 => {
                // Repeat or drop an element (`<row …>…</row>`, `<c …/>`, `<si>`).
                let i = prefer_sheet(book, rng);
                let data = &mut book.parts[i].1;
                let opens: Vec<usize> = (0..data.len().saturating_sub(1))
                    .filter(|&j| data[j] == b'<' && data[j + 1] != b'/')
                    .collect();
                if opens.is_empty() {
                    continue;
                }
                let start = *rng.pick(&opens);
                let Some(end) = data[start..].iter().position(|&b| b == b'>') else {
                    continue;
                };
                let end = start + end + 1;
                if rng.one_in(3) {
                    data.drain(start..end);
                } else {
                    let element = data[start..end].to_vec();
                    let times = 1 + {
                        let big = rng.one_in(4);
                        rng.below(if big { 500 } else { 4 })
                    };
                    let mut insert = Vec::new();
                    for _ in 0..times {
                        insert.extend_from_slice(&element);
                    }
                    data.splice(end..end, insert);
                }
            }
            _ => {
                let i = rng.below(book.parts.len());
                mutate(&mut book.parts[i].1, rng, 1, 1 << 20);
            }
        }
    }
}

/// A part index, the sheet or shared strings more often than the rest.
fn prefer_sheet(book: &Workbook, rng: &mut Rng) -> usize {
    if rng.one_in(3) {
        return rng.below(book.parts.len());
    }
    book.parts
        .iter()
        .position(|(name, _)| {
            if rng.one_in(3) {
                name.contains("sharedStrings")
            } else {
                name.contains("worksheets/")
            }
        })
        .unwrap_or_else(|| rng.below(book.parts.len()))
}
