//! Request understanding: from a requester's e-mail to a drafted [`Request`].
//!
//! Each step is a pure function; text and dates are handed in.
//!
//! 1. [`parse_email`] reads an `.eml` (RFC 5322 headers `Date`, `From` and
//!    `Subject`; quoted-printable or base64 bodies; the `text/plain` part of a
//!    multipart message, or failing one its `text/html` part as the text it
//!    shows) or plain text into an [`Email`].
//! 2. [`split_questions`] finds the requester's questions, verbatim.
//! 3. [`resolve_periods`] reads the periods a text names in words.
//! 4. [`understand`] decides what one question asks for; [`draft`] does the
//!    whole e-mail and builds the [`Request`] when every question is understood.
//!
//! # Splitting
//! - A question starts on a line beginning `1)`, `1.`, `1:`, `(1)`, `Q1` or
//!   `Question 1`; a part on a line beginning `a)`, `a.` or `(a)` (also `i)`,
//!   `ii)`, …). Lines that follow without a blank line continue it.
//! - A line that is only a period (`2014 - 15`) under a question is a part.
//! - Paragraphs before the first question are the introduction; the last one
//!   naming a period is the preamble of every question. A paragraph between
//!   questions that ends in `:` and names a period is the preamble of the
//!   questions after it; any other continues the question before it. Text
//!   after the last question is closing text and is dropped.
//! - The greeting line, and everything from the sign-off on, are dropped.
//! - With no numbered question, each sentence ending in `?` is a question,
//!   and so is each sentence that asks in words ("please provide …", "I
//!   would like to know …", "could you tell me …").
//!
//! # Matching model
//! Every catalogue indicator and statement topic is a candidate reading.
//! Texts are compared as stemmed words: lower case, `in-patient` is
//! `inpatient`, an abbreviation defined in brackets (`Take-home Naloxone
//! (THN)`) is read once, and words after `excluding`, `except`, `other than`
//! or `apart from` (to the closing bracket or the end of the clause) are
//! ignored. A word's weight is its rarity across the candidates,
//! `ln(1 + N/df)`; function words weigh 0.3. A candidate scores:
//! - 2 × weight for each of its phrases (an indicator's synonyms and title, a
//!   topic's phrases and question) found in order (`is`, `the`, `a`, or words
//!   naming a dimension value such as `alcohol`, may come between);
//! - 1 × weight for a phrase whose words are all present in any order;
//! - ½ × weight for each other word it shares with the question;
//! - 1 × weight again for matched words at the head of the question (the
//!   three words after `how many`, `what`, …), which name what is asked for;
//! - for an indicator, ½ × weight for the values of its breakdowns the
//!   question names (`crack cocaine`, `opiate clients`).
//!
//! Then the question's shape: a count (`how many`, `how much`, `number of`,
//! `total`, `budget`, `spend`, `age range`, …) adds 2 to indicators and
//! scales topics by 0.7; any other question adds 1.5 to topics and scales
//! indicators by 0.4 (so a yes/no or who/what question with dates stays a
//! statement); an indicator counted in the wrong unit (money asked for with
//! `how much`, `budget`, `spend`; things with `how many`) is scaled by 0.5; a
//! period adds 1 to indicators; a topic whose own question opens with the same
//! word (`who`, `is`, …) adds 1.5. Only a phrase earns these bonuses; shared
//! words alone stay weak evidence. Scores become confidences by
//! a softmax (temperature 2) that includes "none of these" at 4. The best
//! reading is taken when its confidence (for figures, times 0.75 + 0.25 × the
//! periods' confidence) is at least [`MIN_CONFIDENCE`]; otherwise the question
//! is left for the officer with what was considered. A learned [`Synonym`]
//! found in the question puts its target 8 ahead of the best built-in reading
//! (and of "none"), so it wins and the built-in readings stay as alternatives.
//!
//! # Figures
//! A question that narrows the figures by something no dimension stands for
//! (cannabis, ketamine, under-18s, employment, housing, … in `NOT_SPLIT`) is
//! left for the officer with its reading as the first alternative: answering
//! for everyone in treatment would answer another question. So is a question
//! that asks for a number and an amount of money at once. Several values of
//! one dimension ("community treatment, detox and rehab") ask for a
//! breakdown by it rather than a filter by the first.
//! Filters come from dimension value labels and aliases, longest first, only
//! for dimensions the indicator allows (`drug and alcohol` is generic and fixes
//! nothing). `by age`, `by substance`, `by sex`, … add breakdowns; `age
//! range`, `youngest`, `oldest` set `age_range` (and the `age_band`
//! breakdown). Periods come from the question's own words; otherwise from parts
//! that are only periods, which makes the question a heading whose parts ask
//! (seed 000, questions 3 and 4); otherwise from the preamble. A figures
//! reading without a period is left for the officer.
//!
//! # Periods in words ([`resolve_periods`])
//! Explicit spellings use [`Period::parse`]. "The past three years" and "the
//! last five financial years" are the complete financial years before the one
//! the request was received in, most recent first ("calendar years": calendar
//! years). "Since 2014/15" runs to the latest complete financial year, oldest
//! first. "From 1 April 2020 to date" ends on the received date. "The last
//! 12 months" are the complete calendar months before the month of receipt. "Between …
//! and …" is read as `Period::parse` reads it. A bare year counts only after
//! `in`, `during`, `for`, `registered` or `year` (so "Act 2000" is no period),
//! and so do the years listed after it ("in 2019, 2020 and 2021").
//! "Next financial year (between …)" gives the bracketed period only. A
//! question with no period of its own that says "the same years" (or "those
//! years", …) takes the periods of the latest question before it that named
//! its own. A question that narrows the one before ("how many of those …")
//! and cannot be placed alone is read together with it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use crate::catalogue::{Catalogue, Indicator, Topic};
use crate::figure::Breakdown;
use crate::period::{FinancialYear, Period};
use crate::request::{Ask, FigureAsk, Question, Request};

/// The most text Lantern reads from one request: 1 MiB.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// The least confidence at which a reading is taken without the officer.
pub const MIN_CONFIDENCE: f32 = 0.6;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A request that cannot be taken in, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The input is over [`MAX_INPUT_BYTES`].
    #[error(
        "the request is {size} bytes, more than Lantern reads ({limit} bytes); remove attachments and quoted earlier messages, or split the request, and try again"
    )]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The text is not valid UTF-8.
    #[error(
        "the request is not UTF-8 text (invalid byte at offset {offset}); save or export it as UTF-8 plain text and try again"
    )]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The e-mail declares a character set Lantern cannot decode.
    #[error(
        "the e-mail is in character set '{charset}', which Lantern cannot read; save it as UTF-8 plain text and try again"
    )]
    UnsupportedCharset {
        /// The declared character set.
        charset: String,
    },
    /// A transfer encoding or MIME structure is broken.
    #[error(
        "the e-mail's {encoding} encoding is broken ({reason}); save the message as plain text and try again"
    )]
    BadEncoding {
        /// Which encoding (base64, quoted-printable, MIME).
        encoding: String,
        /// What is wrong.
        reason: String,
    },
    /// A MIME e-mail without a plain-text part.
    #[error(
        "the e-mail has no plain-text part (it has {found}); save a plain-text copy of it, or ask the requester for one, and try again"
    )]
    NoTextPart {
        /// The content types found instead.
        found: String,
    },
    /// There is no body text.
    #[error(
        "the request has no body text; check that the whole message was saved, headers and body"
    )]
    EmptyBody,
    /// No question could be found.
    #[error(
        "no questions found: Lantern looks for numbered questions (1), 1., Q1, Question 1) or a sentence ending in '?'; number the questions and try again, or enter the request by hand"
    )]
    NoQuestions,
}

fn check_size(size: usize) -> Result<(), IntakeError> {
    if size > MAX_INPUT_BYTES {
        return Err(IntakeError::TooLarge {
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// E-mail intake
// ---------------------------------------------------------------------------

/// An e-mail as Lantern reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    /// The `Subject` header, decoded.
    pub subject: Option<String>,
    /// The sender's display name from `From`.
    pub from_name: Option<String>,
    /// The sender's address from `From`.
    pub from_address: Option<String>,
    /// The day in the `Date` header, as the sender's clock gave it.
    pub date: Option<Date>,
    /// A `Date` header that is there but cannot be read as a date: a short
    /// prefix of it (at most [`QUOTED_DATE_CHARS`] characters, control
    /// characters shown as `?`), so that it is reported as unreadable, not
    /// as missing.
    pub unreadable_date: Option<String>,
    /// The plain-text body, with `\n` line ends.
    pub body: String,
    /// The `Message-ID` header, without its angle brackets: the same
    /// e-mail taken in twice has the same one.
    pub message_id: Option<String>,
}

impl Email {
    /// Whether `other` is this same e-mail taken in again: the same
    /// Message-ID, or (when either has none) the same sender (ignoring
    /// case), the same `Date` header day and the same body (ignoring spacing
    /// and blank lines). The same words sent again on another day are
    /// another request (perhaps a repeat), not this one.
    pub fn is_same_as(&self, other: &Email) -> bool {
        if let (Some(a), Some(b)) = (&self.message_id, &other.message_id) {
            return a == b;
        }
        let sender = |e: &Email| e.from_address.as_ref().map(|a| a.to_lowercase());
        let body = |e: &Email| -> Vec<String> {
            e.body
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect()
        };
        sender(self).is_some()
            && sender(self) == sender(other)
            && self.date == other.date
            && body(self) == body(other)
    }
}

/// Header names that mark the start of an e-mail rather than plain text.
const KNOWN_HEADERS: &str = "from to cc date subject received return-path message-id \
    mime-version content-type content-transfer-encoding reply-to delivered-to x-mailer";

/// How deeply multipart messages may nest.
const MAX_MIME_DEPTH: usize = 5;

type Headers = Vec<(String, String)>;

/// Read an e-mail: an `.eml` message or plain text (then the whole text is
/// the body).
pub fn parse_email(raw: &[u8]) -> Result<Email, IntakeError> {
    check_size(raw.len())?;
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    let Some((headers, body)) = header_block(raw, true)? else {
        let body = normalise_newlines(&utf8(raw)?);
        return with_body(Email {
            body,
            ..Email::default()
        });
    };
    let (from_name, from_address) = header(&headers, "from")
        .map(parse_mailbox)
        .unwrap_or_default();
    let email = Email {
        subject: header(&headers, "subject")
            .map(decode_words)
            .filter(|s| !s.is_empty()),
        from_name,
        from_address,
        date: header(&headers, "date").and_then(parse_header_date),
        unreadable_date: header(&headers, "date")
            .filter(|d| parse_header_date(d).is_none())
            .map(quote_prefix),
        body: normalise_newlines(&entity_text(&headers, body, 0, true)?),
        message_id: header(&headers, "message-id")
            .map(|m| {
                m.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim()
                    .to_string()
            })
            .filter(|m| !m.is_empty()),
    };
    with_body(email)
}

fn with_body(email: Email) -> Result<Email, IntakeError> {
    if email.body.trim().is_empty() {
        return Err(IntakeError::EmptyBody);
    }
    Ok(email)
}

fn utf8(bytes: &[u8]) -> Result<String, IntakeError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| IntakeError::NotUtf8 {
            offset: e.valid_up_to(),
        })
}

fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn header<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Lines of a byte string: (line without its end, offset of the next line).
fn byte_lines(raw: &[u8]) -> Vec<(&[u8], usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(raw.len(), |i| start + i);
        let line = &raw[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.push((line, start, (end + 1).min(raw.len())));
        start = end + 1;
    }
    out
}

fn is_header_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    colon > 0 && line[..colon].iter().all(|b| (b'!'..=b'~').contains(b))
}

/// The header block and the body after it, if `raw` starts with one. With
/// `require_known`, at least one well-known header must be present (so plain
/// text that happens to start `Note: …` is not taken for headers).
fn header_block(raw: &[u8], require_known: bool) -> Result<Option<(Headers, &[u8])>, IntakeError> {
    let mut headers: Headers = Vec::new();
    for (line, start, next) in byte_lines(raw) {
        if line.is_empty() {
            if headers.is_empty() && require_known {
                return Ok(None);
            }
            let known = headers.iter().any(|(n, _)| listed(KNOWN_HEADERS, n));
            if require_known && !known {
                return Ok(None);
            }
            return Ok(Some((headers, &raw[next.max(start)..])));
        }
        // Header fields are ASCII; a stray byte is replaced, not an error (the
        // body's bytes are checked against its declared character set).
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            match headers.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(text.trim());
                }
                None => return Ok(None),
            }
        } else if is_header_line(line) {
            let (name, value) = text.split_once(':').unwrap_or((&text, ""));
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        } else {
            return Ok(None);
        }
    }
    // Headers only, no blank line: an e-mail with no body.
    let known = headers.iter().any(|(n, _)| listed(KNOWN_HEADERS, n));
    if known && !require_known {
        return Ok(Some((headers, &[])));
    }
    if known {
        return Err(IntakeError::EmptyBody);
    }
    Ok(None)
}

/// `text/plain; charset="utf-8"` → ("text/plain", {charset: utf-8}).
fn content_type(headers: &Headers) -> (String, BTreeMap<String, String>) {
    let value = header(headers, "content-type").unwrap_or("text/plain");
    let mut pieces = value.split(';');
    let mime = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            )
        })
        .collect();
    (mime, params)
}

/// The text of a MIME entity (recursing into multipart bodies): a
/// `text/plain` part, or failing any, a `text/html` one turned into text
/// (when `html` allows it).
fn entity_text(
    headers: &Headers,
    body: &[u8],
    depth: usize,
    html: bool,
) -> Result<String, IntakeError> {
    let (mime, params) = content_type(headers);
    if mime.starts_with("multipart/") {
        return multipart_text(&params, body, depth);
    }
    let is_html = mime == "text/html";
    if !(mime.is_empty() || mime == "text/plain" || (html && is_html)) {
        return Err(IntakeError::NoTextPart { found: mime });
    }
    let encoding = header(headers, "content-transfer-encoding").unwrap_or("");
    let bytes = decode_transfer(encoding, body)?;
    let text = decode_charset(params.get("charset").map(String::as_str), &bytes)?;
    Ok(if is_html { html_to_text(&text) } else { text })
}

/// The text an HTML body shows, with paragraphs, line breaks and list items
/// as lines (so questions split as in a plain-text e-mail); scripts, styles
/// and the head are dropped and character references decoded.
fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let text = |run: &str, out: &mut String| {
        // Line ends in HTML source are spaces.
        out.push_str(&decode_entities(&run.replace(['\r', '\n', '\t'], " ")));
    };
    while let Some(lt) = rest.find('<') {
        text(&rest[..lt], &mut out);
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[..gt].trim().to_ascii_lowercase();
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &after[gt + 1..];
        match name.as_str() {
            "script" | "style" | "head" | "title" if !closing => {
                let end = format!("</{name}");
                rest = match rest.to_ascii_lowercase().find(&end) {
                    Some(i) => rest[i..].find('>').map_or("", |g| &rest[i + g + 1..]),
                    None => "",
                };
            }
            "br" => out.push('\n'),
            "p" | "div" | "blockquote" | "table" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4"
            | "h5" | "h6" => out.push_str("\n\n"),
            "li" | "tr" if !closing => out.push('\n'),
            _ => {}
        }
    }
    text(rest, &mut out);
    // Tidy: trim each line, at most one blank line in a row.
    let mut tidy = String::new();
    let mut blank = true;
    for line in out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    {
        if line.is_empty() {
            if !blank {
                tidy.push('\n');
            }
            blank = true;
        } else {
            tidy.push_str(&line);
            tidy.push('\n');
            blank = false;
        }
    }
    tidy
}

/// Decode HTML character references (`&amp;`, `&#163;`, `&#x2019;`, the
/// common named ones); an unknown one is left as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                "pound" => '£',
                "ndash" => '–',
                "mdash" => '—',
                "lsquo" => '‘',
                "rsquo" => '’',
                "ldquo" => '“',
                "rdquo" => '”',
                "hellip" => '…',
                _ => {
                    let code = match name.strip_prefix('#') {
                        Some(hex) if hex.starts_with(['x', 'X']) => {
                            u32::from_str_radix(&hex[1..], 16).ok()
                        }
                        Some(dec) => dec.parse().ok(),
                        None => None,
                    };
                    code.and_then(char::from_u32)?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn multipart_text(
    params: &BTreeMap<String, String>,
    body: &[u8],
    depth: usize,
) -> Result<String, IntakeError> {
    if depth >= MAX_MIME_DEPTH {
        return Err(IntakeError::NoTextPart {
            found: "parts nested too deeply".into(),
        });
    }
    let boundary = params
        .get("boundary")
        .ok_or_else(|| IntakeError::BadEncoding {
            encoding: "MIME".into(),
            reason: "a multipart message without a boundary".into(),
        })?;
    let mut found = Vec::new();
    // Plain text wherever it is; an HTML part only when there is none.
    for html in [false, true] {
        found.clear();
        for part in multipart_parts(body, boundary) {
            let (headers, part_body) = header_block(part, false)?.unwrap_or((Vec::new(), part));
            let attachment = header(&headers, "content-disposition")
                .is_some_and(|d| d.trim().to_ascii_lowercase().starts_with("attachment"));
            if attachment {
                found.push("an attachment".to_string());
                continue;
            }
            match entity_text(&headers, part_body, depth + 1, html) {
                Ok(text) => return Ok(text),
                Err(IntakeError::NoTextPart { found: f }) => found.push(f),
                Err(e) => return Err(e),
            }
        }
    }
    Err(IntakeError::NoTextPart {
        found: if found.is_empty() {
            "no parts".into()
        } else {
            found.join(", ")
        },
    })
}

/// The bodies between `--boundary` lines.
fn multipart_parts<'b>(body: &'b [u8], boundary: &str) -> Vec<&'b [u8]> {
    let open = format!("--{boundary}");
    let close = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    for (line, start, next) in byte_lines(body) {
        let trimmed = line.trim_ascii_end();
        let is_close = trimmed == close.as_bytes();
        if trimmed == open.as_bytes() || is_close {
            if let Some(s) = part_start {
                let end = start.max(s);
                let part = &body[s..end];
                let part = part.strip_suffix(b"\n").unwrap_or(part);
                parts.push(part.strip_suffix(b"\r").unwrap_or(part));
            }
            if is_close {
                return parts;
            }
            part_start = Some(next);
        }
    }
    parts
}

fn decode_transfer(encoding: &str, body: &[u8]) -> Result<Vec<u8>, IntakeError> {
    match encoding.trim().to_ascii_lowercase().as_str() {
        "quoted-printable" => Ok(quoted_printable(body)),
        "base64" => base64(body).map_err(|reason| IntakeError::BadEncoding {
            encoding: "base64".into(),
            reason,
        }),
        "" | "7bit" | "8bit" | "binary" => Ok(body.to_vec()),
        other => Err(IntakeError::BadEncoding {
            encoding: other.to_string(),
            reason: "Lantern reads quoted-printable, base64, 7bit and 8bit bodies".into(),
        }),
    }
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable (RFC 2045): `=XX` bytes and `=` soft line breaks.
fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        match (input.get(i + 1), input.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(h), Some(l)) => match (hex_value(*h), hex_value(*l)) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

fn base64(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            other => return Err(format!("'{}' is not a base64 character", other as char)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Windows-1252 characters for bytes 0x80..=0x9F (undefined bytes map to
/// the Latin-1 control character of the same number).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn decode_charset(charset: Option<&str>, bytes: &[u8]) -> Result<String, IntakeError> {
    let name = charset
        .unwrap_or("utf-8")
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase();
    match name.as_str() {
        "" | "utf-8" | "utf8" | "us-ascii" | "ascii" => utf8(bytes),
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "iso-8859-15" => {
            Ok(bytes.iter().map(|b| *b as char).collect())
        }
        "windows-1252" | "cp1252" => Ok(bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252_HIGH[(b - 0x80) as usize],
                _ => b as char,
            })
            .collect()),
        _ => utf8(bytes).map_err(|_| IntakeError::UnsupportedCharset { charset: name }),
    }
}

/// Decode RFC 2047 encoded words (`=?UTF-8?Q?Caf=C3=A9?=`) in a header value.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_encoded = false;
    while let Some(start) = rest.find("=?") {
        let (before, after) = rest.split_at(start);
        match encoded_word(after) {
            Some((decoded, used)) => {
                if !(after_encoded && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                rest = after.get(used..).unwrap_or("");
                after_encoded = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = after.get(2..).unwrap_or("");
                after_encoded = false;
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// One encoded word at the start of `s`: its text and the bytes it used.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (raw_charset, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let text = &rest[..end];
    let bytes = match encoding {
        "Q" | "q" => quoted_printable(text.replace('_', " ").as_bytes()),
        "B" | "b" => base64(text.as_bytes()).ok()?,
        _ => return None,
    };
    // "UTF-8*en" names a language after the character set.
    let charset = raw_charset.split('*').next().unwrap_or(raw_charset);
    let decoded = decode_charset(Some(charset), &bytes).ok()?;
    let used = "=?".len() + raw_charset.len() + 1 + encoding.len() + 1 + end + "?=".len();
    Some((decoded, used))
}

/// `"Jane Smith" <jane@example.org>` → (Jane Smith, jane@example.org).
fn parse_mailbox(value: &str) -> (Option<String>, Option<String>) {
    let v = decode_words(value);
    let non_empty = |s: &str| {
        let s = s.trim().trim_matches('"').trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    if let (Some(lt), Some(gt)) = (v.rfind('<'), v.rfind('>'))
        && lt < gt
    {
        return (non_empty(&v[..lt]), non_empty(&v[lt + 1..gt]));
    }
    if let Some(open) = v.find('(')
        && v.ends_with(')')
    {
        return (non_empty(&v[open + 1..v.len() - 1]), non_empty(&v[..open]));
    }
    if v.contains('@') {
        (None, non_empty(&v))
    } else {
        (non_empty(&v), None)
    }
}

/// How much of an unreadable `Date` header is quoted back.
pub const QUOTED_DATE_CHARS: usize = 40;

/// A short, printable prefix of a header value for a message.
fn quote_prefix(value: &str) -> String {
    let value = value.trim();
    let mut out: String = value
        .chars()
        .take(QUOTED_DATE_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if value.chars().count() > QUOTED_DATE_CHARS {
        out.push('…');
    }
    out
}

/// The day in an RFC 5322 date (`Mon, 10 Jun 2019 09:15:00 +0100`).
fn parse_header_date(value: &str) -> Option<Date> {
    let tokens: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    tokens.windows(3).find_map(|w| {
        let day: i8 = w[0].parse().ok()?;
        let month = month_number(&w[1].to_lowercase())?;
        let year: i16 = w[2].parse().ok()?;
        let year = match year {
            0..=49 => 2000 + year,
            50..=99 => 1900 + year,
            _ => year,
        };
        Date::new(year, month, day).ok()
    })
}

// ---------------------------------------------------------------------------
// Splitting
// ---------------------------------------------------------------------------

/// A question as the requester wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitQuestion {
    /// "1", "2", … for questions; "a", "b", … for parts.
    pub number: String,
    /// The requester's words, verbatim (lines joined by spaces).
    pub text: String,
    /// Shared words before the questions that set a period for them ("For
    /// each of the last three financial years, please tell me:").
    pub preamble: Option<String>,
    /// Lettered parts, and lines of years under the question.
    pub parts: Vec<SplitQuestion>,
}

/// Find the questions in an e-mail body: numbered questions, lettered parts,
/// lines of years under a question, and a shared preamble; or, with no
/// numbering, the sentences ending in `?`.
pub fn split_questions(body: &str) -> Result<Vec<SplitQuestion>, IntakeError> {
    check_size(body.len())?;
    if body.trim().is_empty() {
        return Err(IntakeError::EmptyBody);
    }
    let lines = content_lines(body);
    let mut questions = assemble(&blocks(&lines));
    if questions.is_empty() {
        questions = unnumbered_questions(&lines);
    }
    if questions.is_empty() {
        return Err(IntakeError::NoQuestions);
    }
    Ok(questions)
}

const GREETINGS: &[&str] = &[
    "dear ",
    "dear,",
    "hello",
    "hi ",
    "hi,",
    "good morning",
    "good afternoon",
    "good evening",
    "to whom it may concern",
    "greetings",
];

const SIGN_OFFS: &[&str] = &[
    "kind regards",
    "kindest regards",
    "best regards",
    "warm regards",
    "regards",
    "yours faithfully",
    "yours sincerely",
    "yours truly",
    "many thanks",
    "thanks",
    "thank you",
    "with thanks",
    "best wishes",
    "all the best",
    "cheers",
    "sent from my",
    "-----original message",
];

fn is_greeting(line: &str) -> bool {
    let l = line.trim().to_lowercase();
    l == "hi" || (l.chars().count() < 80 && GREETINGS.iter().any(|g| l.starts_with(g)))
}

fn is_sign_off(line: &str) -> bool {
    let l = line.trim().to_lowercase();
    if l == "--" || (l.starts_with("on ") && l.ends_with("wrote:")) {
        return true;
    }
    l.chars().count() <= 60 && SIGN_OFFS.iter().any(|s| l.starts_with(s))
}

/// The body's lines without the greeting, and without the sign-off and what
/// follows it. The sign-off is looked for after the last numbered question
/// (or, with none, after the last line asking something), so "Thank you" at
/// the top of a letter does not end it.
fn content_lines(body: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = body.lines().map(str::trim_end).collect();
    if let Some(first) = lines.iter().position(|l| !l.trim().is_empty())
        && is_greeting(lines[first])
    {
        lines[first] = "";
    }
    let asks = |l: &&str| part_marker(l).is_some() || l.contains('?') || asks_in_words(l);
    let last_question = lines
        .iter()
        .rposition(|l| question_marker(l).is_some())
        .or_else(|| lines.iter().rposition(asks))
        .map_or(0, |i| i + 1);
    if let Some(cut) = lines
        .iter()
        .skip(last_question)
        .position(|l| is_sign_off(l))
    {
        lines.truncate(last_question + cut);
    }
    lines
}

fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn leading_digits(text: &str) -> &str {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    &text[..end]
}

/// `1)`, `1.`, `1:`, `(1)`, `Q1`, `Q1.`, `Question 1`, `Question 1:` at the
/// start of a line: the number and the rest of the line.
fn question_marker(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    let (rest, prefixed) = if let Some(r) = strip_prefix_ci(t, "question") {
        let r2 = r.trim_start();
        (r2.len() < r.len()).then_some((r2, true))?
    } else if let Some(r) = strip_prefix_ci(t, "q")
        && r.starts_with(|c: char| c.is_ascii_digit())
    {
        (r, true)
    } else {
        (t, false)
    };
    let (rest, bracketed) = match rest.strip_prefix('(') {
        Some(r) if !prefixed => (r, true),
        _ => (rest, false),
    };
    let digits = leading_digits(rest);
    let number: u32 = digits.parse().ok()?;
    if digits.len() > 2 || number == 0 {
        return None;
    }
    let after = &rest[digits.len()..];
    let after = if bracketed {
        after.strip_prefix(')')?
    } else if let Some(a) = after.strip_prefix([')', '.', ':']) {
        a
    } else if prefixed {
        after
    } else {
        return None;
    };
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let rest = after.trim_start();
    // "Q3 2016/17" is a quarter, not question 3.
    if prefixed && !t.to_ascii_lowercase().starts_with("question") && starts_with_period(rest) {
        return None;
    }
    let rest = rest
        .strip_prefix(['-', ':', '–'])
        .map_or(rest, str::trim_start);
    Some((number.to_string(), rest))
}

fn starts_with_period(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    first.len() >= 4 && Period::parse(first).is_ok()
}

/// `a)`, `a.`, `(a)`, `ii)` at the start of a line: the letter and the rest.
fn part_marker(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    let (inner, after) = if let Some(r) = t.strip_prefix('(') {
        let close = r.find(')')?;
        (&r[..close], &r[close + 1..])
    } else {
        let end = t.find([')', '.'])?;
        (&t[..end], &t[end + 1..])
    };
    let single_letter = inner.chars().count() == 1 && inner.chars().all(|c| c.is_alphabetic());
    let roman = (2..=4).contains(&inner.len())
        && inner
            .chars()
            .all(|c| matches!(c.to_ascii_lowercase(), 'i' | 'v' | 'x'));
    if !(single_letter || roman) || !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((inner.to_lowercase(), after.trim_start()))
}

/// A line that is only a period, such as `2014 - 15` or `2018/19,`.
fn period_line(line: &str) -> bool {
    let t = line.trim().trim_end_matches([',', ';']);
    t.chars().any(|c| c.is_ascii_digit()) && Period::parse(t).is_ok()
}

#[derive(Debug, PartialEq)]
enum BlockKind {
    Question(String),
    Part(String),
    PeriodLine,
    Paragraph,
}

#[derive(Debug)]
struct Block {
    kind: BlockKind,
    /// The words after the marker.
    text: String,
    /// The whole block as written, marker included.
    raw: String,
}

/// Group lines into blocks: a marker line and the lines that continue it,
/// a period line, or a paragraph.
fn blocks(lines: &[&str]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open = false;
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            open = false;
            continue;
        }
        let (kind, text) = if let Some((n, rest)) = question_marker(line) {
            (BlockKind::Question(n), rest)
        } else if let Some((l, rest)) = part_marker(line) {
            (BlockKind::Part(l), rest)
        } else if period_line(line) {
            (BlockKind::PeriodLine, trimmed)
        } else if open && let Some(last) = out.last_mut() {
            for text in [&mut last.text, &mut last.raw] {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(trimmed);
            }
            continue;
        } else {
            (BlockKind::Paragraph, trimmed)
        };
        open = kind != BlockKind::PeriodLine;
        out.push(Block {
            kind,
            text: text.trim().to_string(),
            raw: trimmed.to_string(),
        });
    }
    out
}

/// Whether a text names a period (whatever the received date).
fn names_period(text: &str) -> bool {
    !resolve_periods(text, Date::constant(2100, 1, 1)).is_empty()
}

fn part_letter(index: usize) -> String {
    char::from(b'a' + (index % 26) as u8).to_string()
}

const ROMAN: [&str; 10] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"];

/// Whether `letter` is the next part after `count` parts: `a`, `b`, … or
/// `i`, `ii`, … (so "J. Bloggs" under a question is not part j).
fn next_part(letter: &str, count: usize) -> bool {
    letter == part_letter(count) || ROMAN.get(count) == Some(&letter)
}

/// Turn blocks into questions (see the module docs for the rules).
fn assemble(blocks: &[Block]) -> Vec<SplitQuestion> {
    let mut questions: Vec<SplitQuestion> = Vec::new();
    let mut intro: Vec<&str> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    let mut preamble: Option<String> = None;
    let new_question = |number: &str, text: &str, preamble: &Option<String>| SplitQuestion {
        number: number.to_string(),
        text: text.to_string(),
        preamble: preamble.clone(),
        parts: Vec::new(),
    };
    for block in blocks {
        match &block.kind {
            BlockKind::Question(n) => {
                continue_last(&mut questions, &mut pending);
                if questions.is_empty() {
                    preamble = intro_preamble(&intro);
                }
                questions.push(new_question(n, &block.text, &preamble));
            }
            BlockKind::Part(letter) => {
                // With no numbered questions, `a)`, `b)`, … are the questions.
                let lettered = questions.iter().all(|q| q.number.parse::<u32>().is_err());
                let parts = questions.last().map(|q| q.parts.len());
                if lettered && next_part(letter, questions.len()) {
                    continue_last(&mut questions, &mut pending);
                    if questions.is_empty() {
                        preamble = intro_preamble(&intro);
                    }
                    questions.push(new_question(letter, &block.text, &preamble));
                } else if parts.is_some_and(|n| next_part(letter, n)) {
                    continue_last(&mut questions, &mut pending);
                    if let Some(q) = questions.last_mut() {
                        q.parts.push(new_question(letter, &block.text, &None));
                    }
                } else if questions.is_empty() {
                    intro.push(&block.raw);
                } else {
                    pending.push(&block.raw);
                }
            }
            BlockKind::PeriodLine => match questions.last_mut() {
                Some(q) if pending.is_empty() => {
                    let letter = part_letter(q.parts.len());
                    q.parts.push(new_question(&letter, &block.text, &None));
                }
                Some(_) => pending.push(&block.text),
                None => intro.push(&block.text),
            },
            BlockKind::Paragraph => {
                if questions.is_empty() {
                    intro.push(&block.text);
                } else if block.text.ends_with(':') && names_period(&block.text) {
                    continue_last(&mut questions, &mut pending);
                    preamble = Some(block.text.clone());
                } else {
                    pending.push(&block.text);
                }
            }
        }
    }
    // Closing text after the last question is dropped, unless it asks something
    // or the last question has no words yet ("Question 1" on a line of its own).
    if let Some(q) = questions.last()
        && !(q.text.is_empty() || pending.iter().any(|p| p.ends_with('?')))
    {
        pending.clear();
    }
    continue_last(&mut questions, &mut pending);
    questions.retain(|q| !q.text.is_empty() || !q.parts.is_empty());
    questions
}

/// The last paragraph of the introduction that names a period.
fn intro_preamble(intro: &[&str]) -> Option<String> {
    intro
        .iter()
        .rev()
        .find(|p| names_period(p))
        .map(|p| p.to_string())
}

/// Add pending paragraphs to the last question (or its last part).
fn continue_last(questions: &mut [SplitQuestion], pending: &mut Vec<&str>) {
    if pending.is_empty() {
        return;
    }
    if let Some(q) = questions.last_mut() {
        // A lettered sub-question continues; a line of years does not.
        let target = match q.parts.last_mut() {
            Some(p) if !q.text.is_empty() && !period_line(&p.text) => p,
            _ => q,
        };
        for p in pending.iter() {
            if !target.text.is_empty() {
                target.text.push(' ');
            }
            target.text.push_str(p);
        }
    }
    pending.clear();
}

/// Words with which a sentence asks for information without a question mark.
const ASKING_WORDS: &[&str] = &[
    "please provide",
    "please supply",
    "please send",
    "please tell",
    "please confirm",
    "please let me know",
    "please give",
    "please can you",
    "please could you",
    "could you provide",
    "could you please",
    "could you tell",
    "could you confirm",
    "can you provide",
    "can you please",
    "can you tell",
    "can you confirm",
    "i would like to know",
    "i would like to request",
    "i would like the",
    "i would like details",
    "i would like information",
    "i'd like to know",
    "i would be grateful if you could",
    "i would be grateful for",
    "i request",
    "i am requesting",
    "i wish to request",
    "i wish to know",
    "i want to know",
];

/// Whether a sentence asks for information in words.
fn asks_in_words(sentence: &str) -> bool {
    // "I would also like to know …", "could you also tell …"
    let lower = sentence
        .to_lowercase()
        .replace('’', "'")
        .replace(" also ", " ");
    ASKING_WORDS.iter().any(|w| lower.contains(w))
}

/// Sentences ending in `?` or asking in words, numbered 1, 2, …
fn unnumbered_questions(lines: &[&str]) -> Vec<SplitQuestion> {
    let mut out = Vec::new();
    let text = lines.join("\n");
    for paragraph in text.split("\n\n") {
        let paragraph = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        for sentence in sentences(&paragraph) {
            if sentence.ends_with('?') || asks_in_words(sentence) {
                out.push(SplitQuestion {
                    number: (out.len() + 1).to_string(),
                    text: sentence.to_string(),
                    preamble: None,
                    parts: Vec::new(),
                });
            }
        }
    }
    out
}

fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at_end = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '?' | '!') && at_end {
            let end = i + c.len_utf8();
            let s = text[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

// ---------------------------------------------------------------------------
// Periods in words
// ---------------------------------------------------------------------------

/// Periods found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodMatch {
    /// The periods, in the order the request means them.
    pub periods: Vec<Period>,
    /// The words matched, as written.
    pub words: String,
    /// Byte offset of the words in the text.
    pub start: usize,
    /// Byte offset just past the words.
    pub end: usize,
    /// How sure the reading is (0 to 1).
    pub confidence: f32,
    /// How the words were read, for the officer.
    pub reading: String,
}

/// Find the periods a text names, in order. Relative periods ("the past three
/// years") are counted back from the `received` date; see the module docs.
pub fn resolve_periods(text: &str, received: Date) -> Vec<PeriodMatch> {
    let scanner = Scanner {
        text,
        toks: lex(text),
        received,
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < scanner.toks.len() {
        match scanner.rule_at(i) {
            Some((m, next)) => {
                out.push(m);
                i = next.max(i + 1);
            }
            None => i += 1,
        }
    }
    if out.is_empty() {
        out.extend(scanner.whole_year());
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    Num { value: u32, digits: usize },
    Ordinal(u32),
    Word(String),
    Sym(char),
}

#[derive(Debug, Clone)]
struct PTok {
    lex: Lex,
    start: usize,
    end: usize,
}

fn lex(text: &str) -> Vec<PTok> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte_at = |i: usize| chars.get(i).map_or(text.len(), |(b, _)| *b);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_ascii_digit() {
                j += 1;
            }
            let digits = &text[start..byte_at(j)];
            let value = if digits.len() > 9 {
                u32::MAX
            } else {
                digits.parse().unwrap_or(u32::MAX)
            };
            let mut k = j;
            while k < chars.len() && chars[k].1.is_alphabetic() {
                k += 1;
            }
            let suffix = text[byte_at(j)..byte_at(k)].to_lowercase();
            if matches!(suffix.as_str(), "st" | "nd" | "rd" | "th") {
                out.push(PTok {
                    lex: Lex::Ordinal(value),
                    start,
                    end: byte_at(k),
                });
                i = k;
            } else {
                out.push(PTok {
                    lex: Lex::Num {
                        value,
                        digits: j - i,
                    },
                    start,
                    end: byte_at(j),
                });
                i = j;
            }
        } else if c.is_alphabetic() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_alphabetic() {
                j += 1;
            }
            out.push(PTok {
                lex: Lex::Word(text[start..byte_at(j)].to_lowercase()),
                start,
                end: byte_at(j),
            });
            i = j;
        } else {
            if !c.is_whitespace() {
                let sym = if matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}') {
                    '-'
                } else {
                    c
                };
                out.push(PTok {
                    lex: Lex::Sym(sym),
                    start,
                    end: start + c.len_utf8(),
                });
            }
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Atom {
    Day(Date),
    Span(Period),
    Year(i16),
}

impl Atom {
    fn period(self) -> Period {
        match self {
            Atom::Day(d) => Period::Range { first: d, last: d },
            Atom::Span(p) => p,
            Atom::Year(y) => Period::CalendarYear(y),
        }
    }
}

const NUMBER_WORDS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// Words before a bare year that make it a calendar year ("registered in 2015").
const YEAR_CUES: &[&str] = &[
    "in",
    "during",
    "for",
    "registered",
    "throughout",
    "year",
    "cy",
];

fn month_number(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = name.trim_end_matches('.');
    if name == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| *m == name || (name.len() == 3 && m.starts_with(name)))
        .map(|i| i as i8 + 1)
}

struct Scanner<'t> {
    text: &'t str,
    toks: Vec<PTok>,
    received: Date,
}

impl Scanner<'_> {
    fn word(&self, i: usize) -> Option<&str> {
        match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn is_word(&self, i: usize, options: &[&str]) -> bool {
        self.word(i).is_some_and(|w| options.contains(&w))
    }

    fn sym(&self, i: usize) -> Option<char> {
        match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Sym(c)) => Some(*c),
            _ => None,
        }
    }

    fn num(&self, i: usize, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
        match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Num { value, digits: d }) if digits.contains(d) => Some(*value),
            _ => None,
        }
    }

    fn adjacent(&self, i: usize) -> bool {
        matches!((self.toks.get(i), self.toks.get(i + 1)), (Some(a), Some(b)) if a.end == b.start)
    }

    fn slice(&self, from: usize, to: usize) -> (&str, usize, usize) {
        let start = self.toks.get(from).map_or(0, |t| t.start);
        let end = to
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(start, |t| t.end)
            .max(start);
        (self.text.get(start..end).unwrap_or(""), start, end)
    }

    fn found(
        &self,
        from: usize,
        to: usize,
        periods: Vec<Period>,
        confidence: f32,
        reading: impl Into<String>,
    ) -> Option<(PeriodMatch, usize)> {
        if periods.is_empty() {
            return None;
        }
        let (words, start, end) = self.slice(from, to);
        Some((
            PeriodMatch {
                periods,
                words: words.to_string(),
                start,
                end,
                confidence,
                reading: reading.into(),
            },
            to,
        ))
    }

    /// A date, month, quarter, financial year or year starting at `i`.
    fn atom(&self, i: usize) -> Option<(Atom, usize)> {
        self.iso_day(i)
            .or_else(|| self.numeric_day(i))
            .or_else(|| self.quarter_first(i))
            .or_else(|| self.financial_year(i))
            .or_else(|| self.worded_day(i))
            .or_else(|| self.month(i))
            .or_else(|| {
                let y = self.num(i, 4..=4)?;
                (1900..=2999)
                    .contains(&y)
                    .then_some((Atom::Year(y as i16), i + 1))
            })
    }

    fn iso_day(&self, i: usize) -> Option<(Atom, usize)> {
        let y = self.num(i, 4..=4)?;
        let (m, d) = (self.num(i + 2, 1..=2)?, self.num(i + 4, 1..=2)?);
        (self.sym(i + 1) == Some('-') && self.sym(i + 3) == Some('-')).then_some(())?;
        let date = Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
        Some((Atom::Day(date), i + 5))
    }

    fn numeric_day(&self, i: usize) -> Option<(Atom, usize)> {
        let d = self.num(i, 1..=2)?;
        let m = self.num(i + 2, 1..=2)?;
        let y = self.num(i + 4, 4..=4)?;
        (self.sym(i + 1) == Some('/') && self.sym(i + 3) == Some('/')).then_some(())?;
        let date = Date::new(i16::try_from(y).ok()?, m as i8, d as i8).ok()?;
        Some((Atom::Day(date), i + 5))
    }

    fn quarter_number(&self, i: usize) -> Option<u32> {
        (self.word(i) == Some("q") && self.adjacent(i))
            .then(|| self.num(i + 1, 1..=1))
            .flatten()
            .filter(|q| (1..=4).contains(q))
    }

    /// "Q3 2016/17".
    fn quarter_first(&self, i: usize) -> Option<(Atom, usize)> {
        self.quarter_number(i)?;
        let (_, next) = self.financial_year(i + 2)?;
        let (text, _, _) = self.slice(i, next);
        Some((Atom::Span(Period::parse(text).ok()?), next))
    }

    /// "2016/17", "2016 - 17", "FY 2016/17", "2016/17 Q3"; also "2016-10".
    fn financial_year(&self, i: usize) -> Option<(Atom, usize)> {
        let start = if self.word(i) == Some("fy") { i + 1 } else { i };
        self.num(start, 4..=4)?;
        matches!(self.sym(start + 1), Some('/' | '-')).then_some(())?;
        self.num(start + 2, 2..=4)?;
        let mut next = start + 3;
        if self.quarter_number(next).is_some() {
            next += 2;
        }
        let (text, _, _) = self.slice(start, next);
        let period = Period::parse(text).ok()?;
        Some((Atom::Span(period), next))
    }

    /// "31st March 2016", "1 of April 2017".
    fn worded_day(&self, i: usize) -> Option<(Atom, usize)> {
        let day = match self.toks.get(i).map(|t| &t.lex) {
            Some(Lex::Ordinal(d)) => *d,
            Some(Lex::Num {
                value,
                digits: 1..=2,
            }) => *value,
            _ => return None,
        };
        let m = if self.word(i + 1) == Some("of") {
            i + 2
        } else {
            i + 1
        };
        let month = month_number(self.word(m)?)?;
        let m = if self.sym(m + 1) == Some('.') {
            m + 1
        } else {
            m
        };
        let year = self.num(m + 1, 4..=4)?;
        let date = Date::new(i16::try_from(year).ok()?, month, i8::try_from(day).ok()?).ok()?;
        Some((Atom::Day(date), m + 2))
    }

    /// "October 2016".
    fn month(&self, i: usize) -> Option<(Atom, usize)> {
        let month = month_number(self.word(i)?)?;
        let year = self.num(i + 1, 4..=4)?;
        let period = Period::parse(&format!("{year}-{month:02}")).ok()?;
        Some((Atom::Span(period), i + 2))
    }

    fn rule_at(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        self.between(i)
            .or_else(|| self.since(i))
            .or_else(|| self.past_years(i))
            .or_else(|| self.calendar_years(i))
            .or_else(|| self.range_or_single(i))
    }

    /// Whether an explicit period (not a relative one) starts at `i`.
    fn explicit_at(&self, i: usize) -> bool {
        self.between(i).is_some()
            || self.calendar_years(i).is_some()
            || self.range_or_single(i).is_some()
    }

    /// "between 31st March 2016 and 1st April 2017".
    fn between(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.word(i) == Some("between")).then_some(())?;
        let (a, j) = self.atom(i + 1)?;
        (self.word(j) == Some("and")).then_some(())?;
        let (b, k) = self.atom(j + 1)?;
        let (text, _, _) = self.slice(i, k);
        let period = Period::parse(text)
            .or_else(|_| Period::range(a.period().first_day(), b.period().last_day()))
            .ok()?
            .normalised();
        self.found(i, k, vec![period], 0.95, "the span between the two dates")
    }

    fn latest_complete_year(&self) -> FinancialYear {
        FinancialYear::containing(self.received).previous()
    }

    /// "since 2014/15", "since April 2016", "since 2015".
    fn since(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.word(i) == Some("since")).then_some(())?;
        let (a, j) = self.atom(i + 1)?;
        let latest = self.latest_complete_year();
        let financial = (i.saturating_sub(4)..i).any(|k| self.word(k) == Some("financial"));
        let (periods, reading) = match a {
            Atom::Span(Period::FinancialYear(fy)) => (
                financial_years_from(fy, latest),
                "each financial year from it to the latest complete one before the request was received",
            ),
            Atom::Year(y) if financial => (
                financial_years_from(FinancialYear::starting(y).ok()?, latest),
                "each financial year from it to the latest complete one before the request was received",
            ),
            Atom::Year(y) => {
                let last = (self.received.year() - 1).max(y);
                (
                    (y..=last).map(Period::CalendarYear).collect(),
                    "each calendar year from it to the latest complete one before the request was received",
                )
            }
            other => (
                vec![Period::range(other.period().first_day(), self.received).ok()?],
                "from then to the date the request was received",
            ),
        };
        self.found(i, j, periods, 0.85, reading)
    }

    fn count_word(&self, i: usize) -> Option<u32> {
        if let Some(n) = self.num(i, 1..=2) {
            return Some(n);
        }
        let w = self.word(i)?;
        NUMBER_WORDS
            .iter()
            .position(|n| *n == w)
            .map(|p| p as u32 + 1)
    }

    /// "the past three years", "the last 5 financial years", "last calendar
    /// year"; also "next/this financial year" unless a bracket restates it.
    fn past_years(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let anchor = self.word(i)?;
        if matches!(anchor, "next" | "this" | "current") {
            return self.this_or_next_year(i);
        }
        if !matches!(anchor, "past" | "last" | "previous" | "preceding") {
            return None;
        }
        let mut j = i + 1;
        let n = match self.count_word(j) {
            Some(n) => {
                j += 1;
                n
            }
            None => 1,
        };
        if self.is_word(j, &["full", "complete", "whole"]) {
            j += 1;
        }
        let kind = self
            .word(j)
            .filter(|w| matches!(*w, "financial" | "fiscal" | "calendar"));
        if kind.is_some() {
            j += 1;
        }
        let from = if i > 0 && self.word(i - 1) == Some("the") {
            i - 1
        } else {
            i
        };
        if kind.is_none() && self.is_word(j, &["month", "months"]) && (1..=120).contains(&n) {
            // The complete calendar months before the month of receipt.
            let this_month = self.received.first_of_month();
            let first = this_month
                .checked_sub(jiff::Span::new().months(i64::from(n)))
                .ok()?;
            let last = this_month.yesterday().ok()?;
            let period = Period::range(first, last).ok()?;
            return self.found(
                from,
                j + 1,
                vec![period.normalised()],
                0.8,
                "complete calendar months before the month the request was received",
            );
        }
        if !self.is_word(j, &["year", "years"]) || !(1..=50).contains(&n) {
            return None;
        }
        let (periods, confidence, reading) = if kind == Some("calendar") {
            let last = self.received.year() - 1;
            (
                (0..n as i16)
                    .map(|k| Period::CalendarYear(last - k))
                    .collect(),
                0.9,
                "complete calendar years before the request was received, most recent first",
            )
        } else {
            let mut fy = self.latest_complete_year();
            let mut periods = Vec::new();
            for _ in 0..n {
                periods.push(Period::FinancialYear(fy));
                fy = fy.previous();
            }
            let (confidence, reading) = if kind.is_some() {
                (
                    0.9,
                    "complete financial years before the request was received, most recent first",
                )
            } else {
                (
                    0.75,
                    "taken as complete financial years before the request was received, most recent first",
                )
            };
            (periods, confidence, reading)
        };
        self.found(from, j + 1, periods, confidence, reading)
    }

    fn this_or_next_year(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        (self.word(i + 1) == Some("financial") && self.is_word(i + 2, &["year"])).then_some(())?;
        // "next financial year (between 1 April 2017 and 31 March 2018)": the
        // bracket says exactly which year; read that instead.
        if self.sym(i + 3) == Some('(') && self.explicit_at(i + 4) {
            return None;
        }
        let current = FinancialYear::containing(self.received);
        let fy = if self.word(i) == Some("next") {
            current.next()
        } else {
            current
        };
        self.found(
            i,
            i + 3,
            vec![Period::FinancialYear(fy)],
            0.8,
            "counted from the date the request was received",
        )
    }

    /// "the calendar years 2020 and 2021", "calendar year 2015".
    fn calendar_years(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let mut j = if self.word(i) == Some("calendar") && self.is_word(i + 1, &["year", "years"]) {
            i + 2
        } else if self.word(i) == Some("cy") {
            i + 1
        } else {
            return None;
        };
        let mut periods = Vec::new();
        while let Some((Atom::Year(y), next)) = self.atom(j) {
            periods.push(Period::CalendarYear(y));
            j = next;
            let joined = matches!(self.sym(j), Some(',' | '&')) || self.word(j) == Some("and");
            if !(joined && matches!(self.atom(j + 1), Some((Atom::Year(_), _)))) {
                break;
            }
            j += 1;
        }
        self.found(i, j, periods, 0.95, "calendar years")
    }

    /// "2012/13 to 2021/22", "from 1 April 2020 to date", "2018/19",
    /// "registered in 2015".
    fn range_or_single(&self, i: usize) -> Option<(PeriodMatch, usize)> {
        let from = i;
        let at = if self.word(i) == Some("from") {
            i + 1
        } else {
            i
        };
        let (a, j) = self.atom(at)?;
        let separator = self.is_word(j, &["to", "until", "till", "through", "thru"])
            || self.sym(j) == Some('-');
        if separator {
            let k = if self.word(j + 1) == Some("the") {
                j + 2
            } else {
                j + 1
            };
            if self.is_word(k, &["date", "present", "now", "today"]) {
                let period = Period::range(a.period().first_day(), self.received).ok()?;
                return self.found(
                    from,
                    k + 1,
                    vec![period.normalised()],
                    0.9,
                    "up to the date the request was received",
                );
            }
            if let Some((b, next)) = self.atom(j + 1) {
                let period = Period::range(a.period().first_day(), b.period().last_day()).ok()?;
                return self.found(from, next, vec![period.normalised()], 0.95, "a span");
            }
        }
        match a {
            Atom::Year(_) => {
                let cue = at
                    .checked_sub(1)
                    .is_some_and(|k| self.is_word(k, YEAR_CUES));
                cue.then_some(())?;
                // "in 2019, 2020 and 2021": the years listed after it too.
                let mut periods = vec![a.period()];
                let mut end = j;
                loop {
                    let next = match (self.sym(end), self.word(end)) {
                        (Some(','), _) if self.word(end + 1) == Some("and") => end + 2,
                        (Some(',' | '&'), _) | (_, Some("and")) => end + 1,
                        _ => break,
                    };
                    match self.atom(next) {
                        Some((Atom::Year(y), after)) => {
                            periods.push(Period::CalendarYear(y));
                            end = after;
                        }
                        _ => break,
                    }
                }
                let reading = if periods.len() > 1 {
                    "calendar years"
                } else {
                    "a calendar year"
                };
                self.found(at, end, periods, 0.8, reading)
            }
            _ => self.found(at, j, vec![a.period()], 1.0, "as written"),
        }
    }

    /// A text that is only a year ("2015") names that calendar year.
    fn whole_year(&self) -> Option<PeriodMatch> {
        let words: Vec<&PTok> = self
            .toks
            .iter()
            .filter(|t| !matches!(t.lex, Lex::Sym(_)))
            .collect();
        match (words.as_slice(), self.atom(0)) {
            ([only], Some((Atom::Year(y), _))) => Some(PeriodMatch {
                periods: vec![Period::CalendarYear(y)],
                words: self
                    .text
                    .get(only.start..only.end)
                    .unwrap_or("")
                    .to_string(),
                start: only.start,
                end: only.end,
                confidence: 0.9,
                reading: "a calendar year".into(),
            }),
            _ => None,
        }
    }
}

fn financial_years_from(first: FinancialYear, latest: FinancialYear) -> Vec<Period> {
    let mut out = vec![Period::FinancialYear(first)];
    let mut fy = first;
    while fy < latest && out.len() < 100 {
        fy = fy.next();
        out.push(Period::FinancialYear(fy));
    }
    out
}

/// The periods of a text that names nothing but periods ("2014 - 15",
/// "For 2018/19"), with the least confidence among them.
fn period_only(text: &str, received: Date) -> Option<(Vec<Period>, f32)> {
    let trimmed = text.trim().trim_end_matches([',', ';', '.', ':']);
    if let Ok(p) = Period::parse(trimmed) {
        return Some((vec![p], 1.0));
    }
    let matches = resolve_periods(text, received);
    if matches.is_empty() {
        return None;
    }
    let mut rest = String::new();
    let mut at = 0;
    for m in &matches {
        rest.push_str(text.get(at..m.start).unwrap_or(""));
        at = m.end;
    }
    rest.push_str(text.get(at..).unwrap_or(""));
    let only_periods = words(&rest).iter().all(|w| w.stop);
    only_periods.then(|| collect_periods(&matches))
}

fn collect_periods(matches: &[PeriodMatch]) -> (Vec<Period>, f32) {
    let mut periods = Vec::new();
    for p in matches.iter().flat_map(|m| &m.periods) {
        if !periods.contains(p) {
            periods.push(*p);
        }
    }
    let confidence = matches.iter().map(|m| m.confidence).fold(1.0_f32, f32::min);
    (periods, confidence)
}

// ---------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------

/// Function words: they weigh little and never count as shared words.
const STOPWORDS: &str = "a an the of in on for to and or by with at from as is are was were be been being did \
    do does done you your i we our us me my have has had what how many much which who \
    whom whose when where why please any such this that these those there it its each \
    per if can could will would should may might not no all also than then so into about \
    e g eg ie see question questions tell let know information council year years \
    financial data figure figures following between since past last previous";

/// Words that may come between the words of a phrase ("kits were purchased").
const FILLERS: &str = "is are was were be been being the a an";

/// Words a question opens with.
const INTERROGATIVES: &str = "how what which who whom whose when where why is are was were do does did have has \
    had can could will would";

/// Words that make a question ask for a count or an amount.
const COUNT_WORDS: &str = "total amount numbers";

/// Words that make a question ask for money.
const MONEY_WORDS: &str = "budget budgets spend spent spending expenditure cost costs";

/// Phrases that name drug and alcohol services in general and fix no value.
const GENERIC_PHRASES: &[&str] = &[
    "drug and alcohol",
    "drugs and alcohol",
    "drug and/or alcohol",
    "drugs and/or alcohol",
    "alcohol and drug",
    "substance misuse",
];

/// Extra words for breakdowns ("by gender" is by sex).
const DIMENSION_WORDS: &[(&str, &str)] = &[
    ("gender", "sex"),
    ("drug", "substance_group"),
    ("substance", "substance_group"),
];

const STOP_WEIGHT: f32 = 0.3;

/// Whether `word` is one of the space-separated words of `list`.
fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// A word of a text, ready for matching.
#[derive(Debug, Clone)]
struct Word {
    lower: String,
    stem: String,
    initials: String,
    stop: bool,
    negated: bool,
    /// Part of a dimension value the question names ("alcohol", "crack
    /// cocaine"): a phrase may step over it ("started alcohol treatment"
    /// is "started treatment" for alcohol).
    value: bool,
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// The words of a text (see the module docs for brackets and negation).
fn words(text: &str) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Word> = Vec::new();
    let mut depth = 0usize;
    let mut negation: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let (lower, initials, next) = read_word(&chars, i);
            i = next;
            if chars.get(i..i + 3) == Some(&['(', 's', ')'][..]) {
                i += 3;
            }
            let trigger = starts_negation(out.last().map(|w| w.lower.as_str()), &lower);
            out.push(Word {
                stem: stem(&lower),
                stop: listed(STOPWORDS, &lower),
                initials,
                negated: negation.is_some(),
                value: false,
                lower,
            });
            if trigger && negation.is_none() {
                negation = Some(depth);
            }
            continue;
        }
        match c {
            '(' => {
                if let Some(next) = abbreviation_end(&chars, i, &out) {
                    i = next;
                    continue;
                }
                depth += 1;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if negation.is_some_and(|d| depth < d) {
                    negation = None;
                }
            }
            '.' | '?' | '!' => negation = None,
            ',' | ';' | ':' if negation == Some(0) && depth == 0 => negation = None,
            _ => {}
        }
        i += 1;
    }
    out
}

fn read_word(chars: &[char], start: usize) -> (String, String, usize) {
    let mut word = String::new();
    let mut initials = String::new();
    let mut new_part = true;
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        if c.is_alphanumeric() {
            if new_part {
                initials.extend(c.to_lowercase());
                new_part = false;
            }
            word.extend(c.to_lowercase());
            i += 1;
        } else if (is_hyphen(c) || is_apostrophe(c))
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        {
            new_part = is_hyphen(c);
            i += 1;
        } else {
            break;
        }
    }
    (word, initials, i)
}

fn starts_negation(previous: Option<&str>, word: &str) -> bool {
    matches!(word, "excluding" | "except" | "excludes" | "exclude")
        || matches!(
            (previous, word),
            (Some("not"), "including") | (Some("other"), "than") | (Some("apart"), "from")
        )
}

/// `(THN)` after `Take-home Naloxone`: the bracket only abbreviates what came
/// before it, so it is skipped. Returns the index after the `)`.
fn abbreviation_end(chars: &[char], open: usize, before: &[Word]) -> Option<usize> {
    let mut j = open + 1;
    while chars.get(j).is_some_and(|c| c.is_alphabetic()) {
        j += 1;
    }
    let letters = j - open - 1;
    if chars.get(j) != Some(&')') || !(2..=8).contains(&letters) {
        return None;
    }
    let abbreviation: String = chars[open + 1..j]
        .iter()
        .flat_map(|c| c.to_lowercase())
        .collect();
    let mut initials = String::new();
    for w in before.iter().rev().filter(|w| !w.stop) {
        initials.insert_str(0, &w.initials);
        if initials == abbreviation {
            return Some(j + 1);
        }
        if initials.len() >= abbreviation.len() {
            return None;
        }
    }
    None
}

/// A light suffix-stripping stemmer: `providing`, `provided`, `provides` and
/// `provide` all become `provid`.
fn stem(word: &str) -> String {
    let n = word.chars().count();
    let base = if n > 4
        && let Some(s) = word.strip_suffix("ies")
    {
        format!("{s}y")
    } else if n > 5
        && let Some(s) = word.strip_suffix("ing")
    {
        s.to_string()
    } else if n > 4
        && let Some(s) = word.strip_suffix("ed")
    {
        s.to_string()
    } else if n > 4
        && let Some(s) = word.strip_suffix("es")
    {
        s.to_string()
    } else if n > 3
        && !word.ends_with("ss")
        && let Some(s) = word.strip_suffix('s')
    {
        s.to_string()
    } else {
        word.to_string()
    };
    match base.strip_suffix('e') {
        Some(s) if base.chars().count() > 4 => s.to_string(),
        _ => base,
    }
}

fn is_filler(word: &Word) -> bool {
    listed(FILLERS, &word.lower)
}

/// A phrase from the catalogue or an officer, as words.
#[derive(Debug, Clone)]
struct Phrase {
    text: String,
    words: Vec<Word>,
}

impl Phrase {
    fn new(text: &str) -> Option<Phrase> {
        let words = words(text);
        (!words.is_empty()).then(|| Phrase {
            text: text.trim().to_string(),
            words,
        })
    }

    fn content(&self) -> impl Iterator<Item = &Word> {
        self.words.iter().filter(|w| !w.stop)
    }
}

/// Where `phrase` occurs in `text` in order (fillers may come between), using
/// only positions `usable` allows.
fn find_phrase(
    text: &[Word],
    phrase: &[Word],
    usable: &dyn Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let first = phrase.first()?;
    (0..text.len())
        .filter(|&s| usable(s) && text[s].stem == first.stem)
        .find_map(|s| match_from(text, phrase, usable, s))
}

fn match_from(
    text: &[Word],
    phrase: &[Word],
    usable: &dyn Fn(usize) -> bool,
    start: usize,
) -> Option<Vec<usize>> {
    let mut positions = vec![start];
    let (mut t, mut p, mut skipped) = (start + 1, 1, 0);
    while p < phrase.len() {
        let want = &phrase[p];
        match text.get(t) {
            Some(w) if w.stem == want.stem && usable(t) => {
                positions.push(t);
                t += 1;
                p += 1;
                skipped = 0;
            }
            Some(w) if (is_filler(w) || w.value) && skipped < 2 => {
                t += 1;
                skipped += 1;
            }
            _ if is_filler(want) => p += 1,
            _ => return None,
        }
    }
    Some(positions)
}

/// Positions of a phrase's content words anywhere in the text (at least two).
fn find_loose(text: &[Word], phrase: &Phrase) -> Option<Vec<usize>> {
    let content: Vec<&Word> = phrase.content().collect();
    if content.len() < 2 {
        return None;
    }
    content
        .iter()
        .map(|want| text.iter().position(|w| !w.negated && w.stem == want.stem))
        .collect()
}

// ---------------------------------------------------------------------------
// Learned synonyms
// ---------------------------------------------------------------------------

/// A phrase an officer taught Lantern when correcting an understanding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonym {
    /// The requester's words, e.g. "methadone programme".
    pub phrase: String,
    /// What they mean.
    pub target: SynonymTarget,
}

/// What a learned phrase means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynonymTarget {
    /// An indicator code.
    Indicator(String),
    /// A statement topic code.
    Topic(String),
    /// A dimension value used as a filter.
    Value {
        /// Dimension code.
        dimension: String,
        /// Value code.
        value: String,
    },
}

impl SynonymTarget {
    /// Read `people_in_treatment`, `naloxone.purchaser` or
    /// `substance_group=opiate` against the catalogue.
    pub fn parse(text: &str, catalogue: &Catalogue) -> Result<SynonymTarget, String> {
        let t = text.trim();
        if let Some((dimension, value)) = t.split_once('=') {
            let dim = catalogue.dimension(dimension).map_err(|e| e.to_string())?;
            let value = dim.value(value).ok_or_else(|| {
                format!(
                    "'{}' is not a value of breakdown '{}'",
                    value.trim(),
                    dim.code
                )
            })?;
            return Ok(SynonymTarget::Value {
                dimension: dim.code.clone(),
                value: value.code.clone(),
            });
        }
        if catalogue.topic(t).is_some() {
            return Ok(SynonymTarget::Topic(t.to_string()));
        }
        catalogue
            .indicator(t)
            .map(|i| SynonymTarget::Indicator(i.code.clone()))
            .map_err(|e| format!("{e} (a synonym names an indicator, a topic or dimension=value)"))
    }
}

// ---------------------------------------------------------------------------
// The matching model
// ---------------------------------------------------------------------------

const PHRASE: f32 = 2.0;
const LOOSE: f32 = 1.0;
const SHARED_WORD: f32 = 0.5;
const HEAD: f32 = 1.0;
const HEAD_WORDS: usize = 3;
const FILTER: f32 = 0.5;
const COUNT_FIT: f32 = 2.0;
const NARRATIVE_FIT: f32 = 1.5;
const PERIOD_FIT: f32 = 1.0;
const OPENING_FIT: f32 = 1.5;
const TOPIC_IN_COUNT: f32 = 0.7;
const INDICATOR_IN_NARRATIVE: f32 = 0.4;
const UNIT_MISMATCH: f32 = 0.5;
const NONE_SCORE: f32 = 4.0;
const TEMPERATURE: f32 = 2.0;
const LEARNED_LEAD: f32 = 8.0;
const MAX_ALTERNATIVES: usize = 3;
const MIN_ALTERNATIVE: f32 = 0.01;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Indicator(String),
    Topic(String),
}

struct Candidate {
    target: Target,
    phrases: Vec<Phrase>,
    vocabulary: BTreeSet<String>,
    opening: Option<String>,
    learned: Vec<Phrase>,
    /// A topic's subject: one of these must be named (see [`Topic::subject`]).
    subject: Vec<Phrase>,
}

struct ValuePhrase {
    dimension: String,
    value: String,
    phrase: Phrase,
    learned: bool,
}

struct Model<'c> {
    catalogue: &'c Catalogue,
    candidates: Vec<Candidate>,
    idf: BTreeMap<String, f32>,
    unknown_idf: f32,
    values: Vec<ValuePhrase>,
    generic: Vec<Phrase>,
    /// What figures cannot be split by, with how it is named (see
    /// `NOT_SPLIT`), less what the catalogue does name.
    not_split: Vec<(Phrase, &'static str)>,
    notes: Vec<String>,
}

/// A question's words with what its shape says.
struct QuestionWords {
    words: Vec<Word>,
    /// The words of the preamble the question shares with others.
    context: Vec<Word>,
    head: Vec<usize>,
    opening: Option<String>,
    /// It asks for a number or an amount.
    count: bool,
    /// It asks for money ("how much", "budget", "spend").
    money: bool,
    /// It asks for a count of things ("how many", "number of", "age range").
    things: bool,
}

impl QuestionWords {
    fn new(text: &str) -> QuestionWords {
        let words = words(text);
        let asks = words.iter().position(|w| listed(INTERROGATIVES, &w.lower));
        let head = words
            .iter()
            .enumerate()
            .skip(asks.map_or(0, |a| a + 1))
            .filter(|(_, w)| !w.stop && !w.negated)
            .map(|(i, _)| i)
            .take(HEAD_WORDS)
            .collect();
        let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0].lower == a && p[1].lower == b);
        let money = pair("how", "much") || words.iter().any(|w| listed(MONEY_WORDS, &w.lower));
        let things = pair("how", "many") || pair("number", "of") || asks_age_range(&words);
        let count = money || things || words.iter().any(|w| listed(COUNT_WORDS, &w.lower));
        QuestionWords {
            opening: asks.map(|a| words[a].lower.clone()),
            context: Vec::new(),
            words,
            head,
            count,
            money,
            things,
        }
    }
}

fn asks_age_range(words: &[Word]) -> bool {
    words
        .windows(2)
        .any(|p| p[0].lower == "age" && p[1].stem == "rang")
        || words
            .iter()
            .any(|w| matches!(w.lower.as_str(), "youngest" | "oldest"))
}

/// A reading of a question with its score and confidence.
#[derive(Debug, Clone)]
struct Reading {
    target: Target,
    score: f32,
    confidence: f32,
    reasons: Vec<String>,
}

/// What the words of a question say for one candidate.
struct Evidence {
    score: f32,
    claimed: Vec<bool>,
    phrase_found: bool,
    reasons: Vec<String>,
}

/// Dimension values named in a question.
#[derive(Debug, Default)]
struct Filters {
    filter: Breakdown,
    weight: f32,
    notes: Vec<String>,
    /// Dimensions of which the question names several values ("community
    /// treatment, detox and rehab"), with the values: asked for as a breakdown.
    several: BTreeMap<String, BTreeSet<String>>,
}

impl<'c> Model<'c> {
    fn new(catalogue: &'c Catalogue, learned: &[Synonym]) -> Model<'c> {
        let candidates: Vec<Candidate> = catalogue
            .indicators()
            .map(indicator_candidate)
            .chain(catalogue.topics().map(topic_candidate))
            .collect();
        let n = candidates.len().max(1) as f32;
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for stem in candidates.iter().flat_map(|c| &c.vocabulary) {
            *df.entry(stem.clone()).or_default() += 1;
        }
        let idf = df
            .into_iter()
            .map(|(stem, d)| (stem, (1.0 + n / d as f32).ln()))
            .collect();
        let mut model = Model {
            catalogue,
            candidates,
            idf,
            unknown_idf: (1.0 + n).ln(),
            values: value_phrases(catalogue),
            generic: GENERIC_PHRASES
                .iter()
                .filter_map(|p| Phrase::new(p))
                .collect(),
            not_split: not_split(catalogue),
            notes: Vec::new(),
        };
        for synonym in learned {
            model.learn(synonym);
        }
        model
    }

    /// Add an officer's synonym; one naming something the catalogue does not
    /// have is noted and ignored.
    fn learn(&mut self, synonym: &Synonym) {
        let Some(phrase) = Phrase::new(&synonym.phrase) else {
            return;
        };
        let (target, code) = match &synonym.target {
            SynonymTarget::Value { dimension, value } => {
                let known = self
                    .catalogue
                    .dimension(dimension)
                    .ok()
                    .and_then(|d| d.value(value).map(|v| (d.code.clone(), v.code.clone())));
                if let Some((dimension, value)) = known {
                    let learned = ValuePhrase {
                        dimension,
                        value,
                        phrase,
                        learned: true,
                    };
                    self.values.insert(0, learned);
                    return;
                }
                (None, format!("{dimension}={value}"))
            }
            SynonymTarget::Indicator(code) => (Some(Target::Indicator(code.clone())), code.clone()),
            SynonymTarget::Topic(code) => (Some(Target::Topic(code.clone())), code.clone()),
        };
        match self.candidates.iter_mut().find(|c| Some(&c.target) == target.as_ref()) {
            Some(c) => c.learned.push(phrase),
            None => self.notes.push(format!(
                "the learned synonym “{}” names '{code}', which the catalogue does not have; it was ignored",
                synonym.phrase
            )),
        }
    }

    fn weight(&self, word: &Word) -> f32 {
        if word.stop {
            STOP_WEIGHT
        } else {
            self.idf
                .get(&word.stem)
                .copied()
                .unwrap_or(self.unknown_idf)
        }
    }

    fn weight_of(&self, q: &QuestionWords, positions: &[usize], claimed: &[bool]) -> f32 {
        positions
            .iter()
            .filter(|&&p| !claimed.get(p).copied().unwrap_or(true))
            .filter_map(|&p| q.words.get(p))
            .map(|w| self.weight(w))
            .sum()
    }

    /// The lexical evidence for one candidate.
    fn evidence(&self, c: &Candidate, q: &QuestionWords) -> Evidence {
        let mut ev = Evidence {
            score: 0.0,
            claimed: vec![false; q.words.len()],
            phrase_found: false,
            reasons: Vec::new(),
        };
        let usable = |i: usize| q.words.get(i).is_some_and(|w| !w.negated);
        let mut unmatched = Vec::new();
        for phrase in &c.phrases {
            match find_phrase(&q.words, &phrase.words, &usable) {
                Some(positions) => self.count_phrase(&mut ev, q, &positions, PHRASE, || {
                    format!("“{}”", phrase.text)
                }),
                None => unmatched.push(phrase),
            }
        }
        for phrase in unmatched {
            if let Some(positions) = find_loose(&q.words, phrase) {
                self.count_phrase(&mut ev, q, &positions, LOOSE, || {
                    format!("the words of “{}”", phrase.text)
                });
            }
        }
        let mut shared = BTreeSet::new();
        for (i, w) in q.words.iter().enumerate() {
            if !ev.claimed[i] && !w.stop && !w.negated && c.vocabulary.contains(&w.stem) {
                if shared.insert(w.stem.clone()) {
                    ev.score += SHARED_WORD * self.weight(w);
                }
                ev.claimed[i] = true;
            }
        }
        if !shared.is_empty() {
            let shared: Vec<String> = shared.into_iter().collect();
            ev.reasons
                .push(format!("shared words: {}", shared.join(", ")));
        }
        ev
    }

    fn count_phrase(
        &self,
        ev: &mut Evidence,
        q: &QuestionWords,
        positions: &[usize],
        factor: f32,
        reason: impl Fn() -> String,
    ) {
        let w = self.weight_of(q, positions, &ev.claimed);
        if w > 0.0 {
            ev.score += factor * w;
            ev.phrase_found = true;
            ev.reasons.push(reason());
        }
        claim(&mut ev.claimed, positions);
    }

    /// A candidate's score: its evidence, then the question's shape. Only a
    /// phrase earns the bonuses; a shared word alone stays weak evidence.
    fn score(&self, c: &Candidate, q: &QuestionWords, has_periods: bool) -> Option<Reading> {
        let anywhere = |_: usize| true;
        let names_subject = c.subject.iter().any(|p| {
            find_phrase(&q.words, &p.words, &anywhere).is_some()
                || find_phrase(&q.context, &p.words, &anywhere).is_some()
        });
        if !c.subject.is_empty() && !names_subject {
            return None;
        }
        let Evidence {
            mut score,
            claimed,
            phrase_found,
            mut reasons,
        } = self.evidence(c, q);
        if score <= 0.0 {
            return None;
        }
        let bonus = |b: f32| if phrase_found { b } else { 0.0 };
        score += bonus(
            HEAD * q
                .head
                .iter()
                .filter(|&&i| claimed.get(i).copied().unwrap_or(false))
                .filter_map(|&i| q.words.get(i))
                .map(|w| self.weight(w))
                .sum::<f32>(),
        );
        match &c.target {
            Target::Indicator(code) => {
                if let Ok(indicator) = self.catalogue.indicator(code) {
                    score += bonus(FILTER * self.filters(q, indicator).weight);
                    // "How much … spend on rehab" asks for money, not placements.
                    let money = indicator.unit.is_money();
                    if (q.money && !money) || (q.things && !q.money && money) {
                        score *= UNIT_MISMATCH;
                        reasons.push(format!("but it counts {}", indicator.unit.noun()));
                    }
                }
                if q.count {
                    score += bonus(COUNT_FIT);
                    reasons.push("asks for a number".into());
                } else {
                    score *= INDICATOR_IN_NARRATIVE;
                }
                if has_periods {
                    score += bonus(PERIOD_FIT);
                }
            }
            Target::Topic(_) => {
                if q.count {
                    score *= TOPIC_IN_COUNT;
                } else {
                    score += bonus(NARRATIVE_FIT);
                }
                if phrase_found && q.opening.is_some() && q.opening == c.opening {
                    score += OPENING_FIT;
                    reasons.push(format!(
                        "opens with “{}” as the topic's question does",
                        q.opening.as_deref().unwrap_or("")
                    ));
                }
            }
        }
        Some(Reading {
            target: c.target.clone(),
            score,
            confidence: 0.0,
            reasons,
        })
    }

    /// Score every candidate and turn scores into confidences (softmax with
    /// "none of these" at [`NONE_SCORE`]). Returns the readings, best first,
    /// and the confidence that none fits.
    fn rank(&self, q: &QuestionWords, has_periods: bool) -> (Vec<Reading>, f32) {
        let mut readings: Vec<Reading> = self
            .candidates
            .iter()
            .filter_map(|c| self.score(c, q, has_periods))
            .collect();
        self.apply_learned(q, &mut readings);
        readings.sort_by(|a, b| b.score.total_cmp(&a.score));
        let top = readings.iter().map(|r| r.score).fold(NONE_SCORE, f32::max);
        let share = |s: f32| ((s - top) / TEMPERATURE).exp();
        let total: f32 = readings.iter().map(|r| share(r.score)).sum::<f32>() + share(NONE_SCORE);
        for r in &mut readings {
            r.confidence = share(r.score) / total;
        }
        (readings, share(NONE_SCORE) / total)
    }

    /// A learned synonym in the question puts its target ahead of every
    /// built-in reading.
    fn apply_learned(&self, q: &QuestionWords, readings: &mut Vec<Reading>) {
        let best = readings.iter().map(|r| r.score).fold(NONE_SCORE, f32::max);
        let usable = |i: usize| q.words.get(i).is_some_and(|w| !w.negated);
        let unclaimed = vec![false; q.words.len()];
        for c in &self.candidates {
            for phrase in &c.learned {
                let Some(positions) = find_phrase(&q.words, &phrase.words, &usable) else {
                    continue;
                };
                // The lead is fixed, so the built-in readings stay visible as
                // alternatives; the phrase's weight only breaks ties.
                let score = best + LEARNED_LEAD + 0.01 * self.weight_of(q, &positions, &unclaimed);
                let reason = format!("“{}” (an officer's earlier correction)", phrase.text);
                match readings.iter_mut().find(|r| r.target == c.target) {
                    Some(r) => {
                        r.score = r.score.max(score);
                        r.reasons.insert(0, reason);
                    }
                    None => readings.push(Reading {
                        target: c.target.clone(),
                        score,
                        confidence: 0.0,
                        reasons: vec![reason],
                    }),
                }
            }
        }
    }

    /// Dimension values named in the question that the indicator allows.
    fn filters(&self, q: &QuestionWords, indicator: &Indicator) -> Filters {
        let mut claimed = vec![false; q.words.len()];
        for g in &self.generic {
            let usable = |i: usize| !claimed[i];
            if let Some(positions) = find_phrase(&q.words, &g.words, &usable) {
                claim(&mut claimed, &positions);
            }
        }
        let mut hits: Vec<(usize, &ValuePhrase)> = Vec::new();
        for vp in &self.values {
            if !indicator.breakdowns.contains(&vp.dimension) {
                continue;
            }
            loop {
                let usable = |i: usize| !claimed[i] && q.words.get(i).is_some_and(|w| !w.negated);
                let Some(positions) = find_phrase(&q.words, &vp.phrase.words, &usable) else {
                    break;
                };
                claim(&mut claimed, &positions);
                let first = positions.first().copied().unwrap_or(0);
                hits.push((first, vp));
            }
        }
        hits.sort_by_key(|(at, vp)| (!vp.learned, *at));
        let mut out = Filters::default();
        for (_, vp) in &hits {
            if let Some(first) = hits.iter().find(|(_, h)| h.dimension == vp.dimension)
                && first.1.value != vp.value
            {
                out.several
                    .entry(vp.dimension.clone())
                    .or_default()
                    .insert(first.1.value.clone());
            }
        }
        for (_, vp) in hits {
            match out.filter.get(&vp.dimension) {
                None => {
                    out.filter.0.insert(vp.dimension.clone(), vp.value.clone());
                    out.weight += vp.phrase.words.iter().map(|w| self.weight(w)).sum::<f32>();
                    let how = if vp.learned {
                        " (an officer's earlier correction)"
                    } else {
                        ""
                    };
                    out.notes.push(format!(
                        "{} = {} from “{}”{how}",
                        vp.dimension, vp.value, vp.phrase.text
                    ));
                }
                Some(v) if v == vp.value => {}
                Some(_) => {
                    // Several values of one dimension: each is asked for.
                    let named = out.several.entry(vp.dimension.clone()).or_default();
                    named.insert(vp.value.clone());
                }
            }
        }
        out
    }

    /// Breakdowns asked for with "by …" that the indicator allows.
    fn breakdowns(&self, q: &QuestionWords, indicator: &Indicator) -> Vec<String> {
        let mut out = Vec::new();
        for (i, w) in q.words.iter().enumerate() {
            if w.lower != "by" || w.negated {
                continue;
            }
            for next in q.words.iter().skip(i + 1).take(6) {
                if next.stop {
                    continue;
                }
                match self.dimension_named(&next.stem, indicator) {
                    Some(d) if !out.contains(&d) => out.push(d),
                    Some(_) => {}
                    None => break,
                }
            }
        }
        out
    }

    fn dimension_named(&self, stem: &str, indicator: &Indicator) -> Option<String> {
        indicator
            .breakdowns
            .iter()
            .find(|code| {
                let extra = DIMENSION_WORDS
                    .iter()
                    .any(|(word, dim)| dim == code && self::stem(word) == stem);
                let titled = self.catalogue.dimension(code).is_ok_and(|d| {
                    words(&d.title)
                        .iter()
                        .chain(words(&d.code.replace('_', " ")).iter())
                        .any(|w| !w.stop && w.stem == stem)
                });
                extra || titled
            })
            .cloned()
    }

    /// The figures ask for an indicator: filters, breakdowns and age range
    /// from the question's words; periods are added by the caller.
    fn figure_ask(
        &self,
        q: &QuestionWords,
        indicator: &Indicator,
        notes: &mut Vec<String>,
    ) -> FigureAsk {
        let mut filters = self.filters(q, indicator);
        let mut breakdown = self.breakdowns(q, indicator);
        let allows_age = indicator.breakdowns.iter().any(|b| b == "age_band");
        let mut age_range = asks_age_range(&q.words);
        if age_range && !allows_age {
            notes.push(format!(
                "the question asks for an age range, but '{}' has no age breakdown",
                indicator.code
            ));
            age_range = false;
        }
        if age_range && !breakdown.iter().any(|b| b == "age_band") {
            breakdown.push("age_band".into());
        }
        for (dimension, values) in &filters.several {
            filters.filter.0.remove(dimension);
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            notes.push(format!(
                "it names several values of {dimension} ({}), so it is broken down by {dimension}",
                values.join(", ")
            ));
            if !breakdown.contains(dimension) {
                breakdown.push(dimension.clone());
            }
        }
        for b in &breakdown {
            if filters.several.contains_key(b) {
                continue;
            }
            if filters.filter.0.remove(b).is_some() {
                notes.push(format!(
                    "{b} is asked for as a breakdown, so it is not also a filter"
                ));
            }
        }
        notes.append(&mut filters.notes);
        if !breakdown.is_empty() {
            notes.push(format!("broken down by {}", breakdown.join(", ")));
        }
        if age_range {
            notes.push("asks for the youngest and oldest ages (age_range)".into());
        }
        FigureAsk {
            indicator: indicator.code.clone(),
            periods: Vec::new(),
            filter: filters.filter,
            breakdown,
            age_range,
            bands: vec![],
        }
    }

    fn ask_for(&self, target: &Target, q: &QuestionWords, periods: &[Period]) -> Option<Ask> {
        match target {
            Target::Topic(code) => Some(Ask::Statement {
                topic: code.clone(),
            }),
            Target::Indicator(code) => {
                let indicator = self.catalogue.indicator(code).ok()?;
                let mut ask = self.figure_ask(q, indicator, &mut Vec::new());
                ask.periods = periods.to_vec();
                Some(Ask::Figures(ask))
            }
        }
    }

    fn understand(&self, q: &SplitQuestion, received: Date) -> Understanding {
        self.understand_within(q, received, "")
    }

    /// [`Model::understand`] for a question inside `around` (the words of
    /// the question a part belongs to), which can name a topic's subject.
    fn understand_within(&self, q: &SplitQuestion, received: Date, around: &str) -> Understanding {
        let mut u = self.understand_text(q, received, around);
        if u.parts.is_empty() && !q.parts.is_empty() {
            u.parts = q
                .parts
                .iter()
                .map(|part| self.understand_part(part, q, received))
                .collect();
            if u.parts.iter().any(|p| p.needs_officer) {
                u.needs_officer = true;
            }
        }
        u
    }

    /// A lettered sub-question: alone, or failing that, read together with
    /// its question.
    fn understand_part(
        &self,
        part: &SplitQuestion,
        parent: &SplitQuestion,
        received: Date,
    ) -> Understanding {
        let alone = SplitQuestion {
            preamble: part.preamble.clone().or_else(|| parent.preamble.clone()),
            ..part.clone()
        };
        let u = self.understand_within(&alone, received, &parent.text);
        if !u.needs_officer {
            return u;
        }
        let together = SplitQuestion {
            number: part.number.clone(),
            text: format!("{} {}", parent.text, part.text),
            preamble: alone.preamble.clone(),
            parts: Vec::new(),
        };
        let mut joined = self.understand_text(&together, received, "");
        if joined.needs_officer {
            return u;
        }
        joined
            .notes
            .insert(0, "read together with the words of its question".into());
        joined
    }

    /// One question's own reading (and its period parts, if any).
    fn understand_text(&self, q: &SplitQuestion, received: Date, around: &str) -> Understanding {
        let mut qw = QuestionWords::new(&q.text);
        qw.context = words(&format!("{} {around}", q.preamble.as_deref().unwrap_or("")));
        self.mark_values(&mut qw);
        let own = resolve_periods(&q.text, received);
        let preamble = q
            .preamble
            .as_deref()
            .map(|p| resolve_periods(p, received))
            .unwrap_or_default();
        let period_parts: Option<Vec<(Vec<Period>, f32)>> = if q.parts.is_empty() {
            None
        } else {
            q.parts
                .iter()
                .map(|p| period_only(&p.text, received))
                .collect()
        };
        let mut notes = self.notes.clone();
        let (periods, period_confidence) = if !own.is_empty() {
            describe_periods(&own, "the question", &mut notes);
            collect_periods(&own)
        } else if period_parts.is_none() && !preamble.is_empty() {
            describe_periods(&preamble, "the preamble", &mut notes);
            collect_periods(&preamble)
        } else {
            (Vec::new(), 1.0)
        };
        let has_periods = !periods.is_empty() || period_parts.is_some();
        let (readings, none) = self.rank(&qw, has_periods);
        let best = readings.first().filter(|r| r.confidence > none);
        let alternatives: Vec<(Ask, f32)> = readings
            .iter()
            .filter(|r| Some(&r.target) != best.map(|b| &b.target))
            .filter(|r| r.confidence >= MIN_ALTERNATIVE)
            .take(MAX_ALTERNATIVES)
            .filter_map(|r| Some((self.ask_for(&r.target, &qw, &periods)?, r.confidence)))
            .collect();
        let Some(best) = best else {
            notes.push(format!(
                "no indicator or topic fits these words well enough (best: {}); choose one",
                readings
                    .first()
                    .map(describe_target)
                    .unwrap_or_else(|| "nothing".into())
            ));
            return Understanding {
                ask: None,
                confidence: none,
                alternatives,
                notes,
                needs_officer: true,
                parts: Vec::new(),
            };
        };
        notes.push(format!(
            "read as {} ({}): {}",
            describe_target(best),
            percent(best.confidence),
            best.reasons.join("; ")
        ));
        let mut u = Understanding {
            ask: None,
            confidence: best.confidence,
            alternatives,
            notes,
            needs_officer: false,
            parts: Vec::new(),
        };
        match &best.target {
            Target::Topic(code) => {
                u.ask = Some(Ask::Statement {
                    topic: code.clone(),
                })
            }
            Target::Indicator(code) => match self.catalogue.indicator(code) {
                Ok(indicator) => self.figures(
                    &mut u,
                    &qw,
                    indicator,
                    periods,
                    period_confidence,
                    period_parts,
                    q,
                ),
                Err(e) => {
                    u.notes.push(e.to_string());
                    u.needs_officer = true;
                }
            },
        }
        if matches!(best.target, Target::Indicator(_)) && !u.needs_officer && qw.money && qw.things
        {
            u.notes.push(
                "it asks for two things, a number and an amount of money: answer each (split the question into parts with `lantern request correct`)".into(),
            );
            if let Some(ask) = u.ask.take() {
                u.alternatives.insert(0, (ask, u.confidence));
            }
            u.needs_officer = true;
        }
        if matches!(best.target, Target::Indicator(_))
            && !u.needs_officer
            && let Some(what) = self.unsplit(&qw)
        {
            u.notes.push(format!(
                "it asks about {what}, which the catalogue has no figures or breakdown for: choose what to answer (the group it falls in, say) or say it is not held"
            ));
            if let Some(ask) = u.ask.take() {
                u.alternatives.insert(0, (ask, u.confidence));
            }
            u.needs_officer = true;
        }
        if u.confidence < MIN_CONFIDENCE && !u.needs_officer {
            u.notes.push(format!(
                "not sure enough ({} is under {}): check the reading and the alternatives",
                percent(u.confidence),
                percent(MIN_CONFIDENCE)
            ));
            if let Some(ask) = u.ask.take() {
                u.alternatives.insert(0, (ask, u.confidence));
            }
            for part in &mut u.parts {
                part.needs_officer = true;
                if let Some(ask) = part.ask.take() {
                    part.alternatives.insert(0, (ask, part.confidence));
                }
            }
            u.needs_officer = true;
        }
        u
    }

    /// Mark the words that name a dimension value (any dimension's).
    fn mark_values(&self, q: &mut QuestionWords) {
        let anywhere = |_: usize| true;
        let mut marked = vec![false; q.words.len()];
        for v in &self.values {
            if let Some(positions) = find_phrase(&q.words, &v.phrase.words, &anywhere) {
                for p in positions {
                    marked[p] = true;
                }
            }
        }
        for (w, m) in q.words.iter_mut().zip(marked) {
            w.value = m;
        }
    }

    /// Something the question narrows the figures by that the catalogue
    /// cannot split them by (cannabis, under-18s, employment, …): answering
    /// without it would answer another question.
    fn unsplit(&self, q: &QuestionWords) -> Option<&'static str> {
        let usable = |i: usize| q.words.get(i).is_some_and(|w| !w.negated && !w.value);
        self.not_split
            .iter()
            .find(|(phrase, _)| find_phrase(&q.words, &phrase.words, &usable).is_some())
            .map(|(_, what)| *what)
    }

    /// Fill in a figures reading: the ask itself, or a heading whose parts
    /// give the periods, or a question left for the officer with no period.
    #[allow(clippy::too_many_arguments)]
    fn figures(
        &self,
        u: &mut Understanding,
        qw: &QuestionWords,
        indicator: &Indicator,
        periods: Vec<Period>,
        period_confidence: f32,
        period_parts: Option<Vec<(Vec<Period>, f32)>>,
        q: &SplitQuestion,
    ) {
        let ask = self.figure_ask(qw, indicator, &mut u.notes);
        if !indicator.held_by_council {
            let holders: Vec<&str> = indicator
                .other_holders
                .iter()
                .map(|h| h.body.as_str())
                .collect();
            u.notes.push(format!(
                "the council does not hold '{}' (held_by_council = false): the answer will say not held, with section 16 advice{}",
                indicator.code,
                if holders.is_empty() {
                    String::new()
                } else {
                    format!(" naming {}", holders.join(", "))
                }
            ));
        }
        if let Some(parts) = period_parts {
            u.notes
                .push("a heading: each part gives the periods".into());
            u.parts = parts
                .into_iter()
                .zip(&q.parts)
                .map(|((periods, confidence), part)| Understanding {
                    ask: Some(Ask::Figures(FigureAsk {
                        periods: periods.clone(),
                        ..ask.clone()
                    })),
                    confidence: u.confidence * period_factor(confidence),
                    alternatives: Vec::new(),
                    notes: vec![format!(
                        "{} from the part's words “{}”",
                        periods
                            .iter()
                            .map(Period::describe)
                            .collect::<Vec<_>>()
                            .join(", "),
                        part.text
                    )],
                    needs_officer: false,
                    parts: Vec::new(),
                })
                .collect();
            return;
        }
        u.confidence *= period_factor(period_confidence);
        let ask = FigureAsk { periods, ..ask };
        if ask.periods.is_empty() {
            u.notes.push(
                "no period found in the question or a preamble: add the periods asked about".into(),
            );
            u.alternatives.insert(0, (Ask::Figures(ask), u.confidence));
            u.needs_officer = true;
            return;
        }
        u.ask = Some(Ask::Figures(ask));
    }
}

fn claim(claimed: &mut [bool], positions: &[usize]) {
    for &p in positions {
        if let Some(c) = claimed.get_mut(p) {
            *c = true;
        }
    }
}

fn period_factor(confidence: f32) -> f32 {
    0.75 + 0.25 * confidence.clamp(0.0, 1.0)
}

fn percent(confidence: f32) -> String {
    format!("{:.0}%", confidence * 100.0)
}

fn describe_target(r: &Reading) -> String {
    match &r.target {
        Target::Indicator(code) => format!("figures of '{code}'"),
        Target::Topic(code) => format!("the statement topic '{code}'"),
    }
}

fn describe_periods(matches: &[PeriodMatch], source: &str, notes: &mut Vec<String>) {
    for m in matches {
        notes.push(format!(
            "periods {} from “{}” in {source} ({})",
            m.periods
                .iter()
                .map(Period::describe)
                .collect::<Vec<_>>()
                .join(", "),
            m.words,
            m.reading
        ));
    }
}

fn candidate(target: Target, phrases: Vec<Phrase>, opening: Option<String>) -> Candidate {
    let mut phrases = phrases;
    phrases.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
    let vocabulary = phrases
        .iter()
        .flat_map(|p| p.content())
        .map(|w| w.stem.clone())
        .collect();
    Candidate {
        target,
        phrases,
        vocabulary,
        opening,
        learned: Vec::new(),
        subject: Vec::new(),
    }
}

fn indicator_candidate(i: &Indicator) -> Candidate {
    let mut phrases: Vec<Phrase> = i.synonyms.iter().filter_map(|s| Phrase::new(s)).collect();
    let title_known = phrases
        .iter()
        .any(|p| p.text.eq_ignore_ascii_case(&i.title));
    if !title_known {
        phrases.extend(Phrase::new(&i.title));
    }
    candidate(Target::Indicator(i.code.clone()), phrases, None)
}

fn topic_candidate(t: &Topic) -> Candidate {
    let mut phrases: Vec<Phrase> = t.phrases.iter().filter_map(|p| Phrase::new(p)).collect();
    phrases.extend(Phrase::new(&t.question));
    let opening = words(&t.question)
        .first()
        .map(|w| w.lower.clone())
        .filter(|w| listed(INTERROGATIVES, w));
    let mut c = candidate(Target::Topic(t.code.clone()), phrases, opening);
    c.subject = t.subject.iter().filter_map(|p| Phrase::new(p)).collect();
    c
}

/// Labels and aliases of every dimension value (aliases under three letters,
/// such as `m` and `f`, are too easily found by accident and are left out).
fn value_phrases(catalogue: &Catalogue) -> Vec<ValuePhrase> {
    let mut out: Vec<ValuePhrase> = Vec::new();
    for d in catalogue.dimensions() {
        for v in &d.values {
            let texts = std::iter::once(&v.label).chain(&v.aliases);
            for text in texts.filter(|t| t.trim().chars().count() >= 3) {
                if let Some(phrase) = Phrase::new(text) {
                    out.push(ValuePhrase {
                        dimension: d.code.clone(),
                        value: v.code.clone(),
                        phrase,
                        learned: false,
                    });
                }
            }
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.phrase.words.len()));
    out
}

// ---------------------------------------------------------------------------
// Understanding and drafting
// ---------------------------------------------------------------------------

/// What Lantern understands a question to ask.
#[derive(Debug, Clone, PartialEq)]
pub struct Understanding {
    /// The ask; `None` for a heading whose parts ask, or when the officer must
    /// decide.
    pub ask: Option<Ask>,
    /// How sure Lantern is (0 to 1).
    pub confidence: f32,
    /// Other readings considered, with their confidence, best first.
    pub alternatives: Vec<(Ask, f32)>,
    /// Why, for the officer.
    pub notes: Vec<String>,
    /// The officer must decide this question (or one of its parts).
    pub needs_officer: bool,
    /// The understanding of each part, in the question's order.
    pub parts: Vec<Understanding>,
}

impl Understanding {
    /// Whether this question and all its parts are understood without the
    /// officer.
    pub fn is_complete(&self) -> bool {
        !self.needs_officer
            && (self.ask.is_some() || !self.parts.is_empty())
            && self.parts.iter().all(Understanding::is_complete)
    }
}

/// Understand one question (and its parts) against the catalogue. Learned
/// synonyms beat the built-in matching.
pub fn understand(
    q: &SplitQuestion,
    received: Date,
    catalogue: &Catalogue,
    learned: &[Synonym],
) -> Understanding {
    Model::new(catalogue, learned).understand(q, received)
}

/// One question of a draft: as split, and as understood.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftQuestion {
    /// The question as the requester wrote it.
    pub question: SplitQuestion,
    /// What Lantern understands it to ask.
    pub understanding: Understanding,
}

/// A request drafted from an e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Every question, split and understood.
    pub questions: Vec<DraftQuestion>,
    /// The structured request, when every question is understood without the
    /// officer.
    pub request: Option<Request>,
}

/// Draft a request from an e-mail: split it, understand every question, and
/// build the [`Request`] (with the caller's `reference`) when all are
/// understood.
pub fn draft(
    email: &Email,
    received: Date,
    catalogue: &Catalogue,
    learned: &[Synonym],
    reference: String,
) -> Result<Draft, IntakeError> {
    let model = Model::new(catalogue, learned);
    let mut questions: Vec<DraftQuestion> = Vec::new();
    // The latest question that named its own periods, for "the same years".
    let mut named_periods: Option<SplitQuestion> = None;
    for question in split_questions(&email.body)? {
        let own = !resolve_periods(&question.text, received).is_empty();
        let understanding = match &named_periods {
            Some(earlier) if !own && refers_to_earlier_periods(&question.text) => {
                let reading = SplitQuestion {
                    preamble: Some(match &question.preamble {
                        Some(p) => format!("{p} {}", earlier.text),
                        None => earlier.text.clone(),
                    }),
                    ..question.clone()
                };
                let mut u = model.understand(&reading, received);
                u.notes.insert(
                    0,
                    format!(
                        "“the same” periods are those of question {}",
                        earlier.number
                    ),
                );
                u
            }
            _ => model.understand(&question, received),
        };
        // "How many of those …": read with the question before, as a part
        // is read with its question, when alone it needs the officer.
        let understanding = match questions.last() {
            Some(before)
                if understanding.needs_officer && refers_to_earlier_people(&question.text) =>
            {
                let together = SplitQuestion {
                    text: format!("{} {}", before.question.text, question.text),
                    ..question.clone()
                };
                let mut joined = model.understand(&together, received);
                if joined.needs_officer {
                    understanding
                } else {
                    joined.notes.insert(
                        0,
                        format!(
                            "read together with question {}, which “those” refers to",
                            before.question.number
                        ),
                    );
                    joined
                }
            }
            _ => understanding,
        };
        if own {
            named_periods = Some(question.clone());
        }
        questions.push(DraftQuestion {
            understanding,
            question,
        });
    }
    let complete = questions.iter().all(|q| q.understanding.is_complete());
    let request = complete.then(|| Request {
        reference,
        received,
        answered: None,
        requester_reference: None,
        area: None,
        questions: questions
            .iter()
            .map(|q| request_question(&q.question, &q.understanding))
            .collect(),
        wants_spreadsheet: false,
    });
    Ok(Draft { questions, request })
}

/// What requesters narrow figures by that the NDTMS adult data (and the
/// shipped catalogue) do not split out, as (words, what it is).
const NOT_SPLIT: &[(&str, &str)] = &[
    ("cannabis", "cannabis"),
    ("marijuana", "cannabis"),
    ("ketamine", "ketamine"),
    ("benzodiazepines", "benzodiazepines"),
    ("benzos", "benzodiazepines"),
    ("spice", "spice (synthetic cannabinoids)"),
    ("cannabinoids", "synthetic cannabinoids"),
    ("amphetamines", "amphetamines"),
    ("methamphetamine", "methamphetamine"),
    ("ecstasy", "ecstasy"),
    ("mdma", "ecstasy (MDMA)"),
    ("mephedrone", "mephedrone"),
    ("pregabalin", "pregabalin"),
    ("gabapentin", "gabapentin"),
    ("gabapentinoids", "gabapentinoids"),
    ("nitrous oxide", "nitrous oxide"),
    ("solvents", "solvents"),
    ("lsd", "LSD"),
    ("hallucinogens", "hallucinogens"),
    ("steroids", "steroids"),
    ("xylazine", "xylazine"),
    ("nitazenes", "nitazenes"),
    ("fentanyl", "fentanyl"),
    (
        "under 18",
        "people under 18 (young people's treatment is counted apart from adults')",
    ),
    (
        "under 18s",
        "people under 18 (young people's treatment is counted apart from adults')",
    ),
    (
        "young people",
        "young people (their treatment is counted apart from adults')",
    ),
    (
        "children",
        "children (their treatment is counted apart from adults')",
    ),
    (
        "teenagers",
        "teenagers (their treatment is counted apart from adults')",
    ),
    (
        "adolescents",
        "adolescents (their treatment is counted apart from adults')",
    ),
    ("employment", "employment"),
    ("employed", "employment"),
    ("unemployed", "employment"),
    ("homeless", "housing"),
    ("homelessness", "housing"),
    ("housing", "housing"),
    ("pregnant", "pregnancy"),
    ("pregnancy", "pregnancy"),
    ("ethnicity", "ethnicity"),
    ("ethnic", "ethnicity"),
    ("veterans", "veterans"),
    ("armed forces", "veterans"),
    ("prison", "prison"),
    ("mental health", "mental health"),
    ("disability", "disability"),
    ("disabled", "disability"),
    ("ward", "areas smaller than the council's"),
    ("postcode", "areas smaller than the council's"),
    ("waiting time", "waiting times"),
    ("waiting times", "waiting times"),
    ("referral source", "where referrals came from"),
];

/// [`NOT_SPLIT`] as phrases, less anything the catalogue names (a council
/// that adds an `ethnicity` dimension answers by ethnicity).
fn not_split(catalogue: &Catalogue) -> Vec<(Phrase, &'static str)> {
    let mut named: BTreeSet<String> = BTreeSet::new();
    for d in catalogue.dimensions() {
        let texts = std::iter::once(&d.title).chain(
            d.values
                .iter()
                .flat_map(|v| std::iter::once(&v.label).chain(&v.aliases)),
        );
        for t in texts {
            named.extend(words(t).into_iter().map(|w| w.stem));
        }
        named.extend(words(&d.code.replace('_', " ")).into_iter().map(|w| w.stem));
    }
    NOT_SPLIT
        .iter()
        .filter_map(|(text, what)| Some((Phrase::new(text)?, *what)))
        .filter(|(phrase, _)| {
            !phrase
                .words
                .iter()
                .filter(|w| !w.stop)
                .all(|w| named.contains(&w.stem))
        })
        .collect()
}

/// Words by which a question takes the periods of the one before it.
const EARLIER_PERIODS: &[&str] = &[
    "the same year",
    "the same period",
    "the same time period",
    "the same financial year",
    "the same timeframe",
    "the same time frame",
    "the same dates",
    "those years",
    "these years",
    "those periods",
    "the same three years",
    "the same five years",
];

/// Words by which a question narrows the one before it ("how many of those").
const EARLIER_PEOPLE: &[&str] = &["of those", "of them", "of these", "of whom", "of which"];

/// Whether a question narrows the one before it.
fn refers_to_earlier_people(text: &str) -> bool {
    let lower = text.to_lowercase();
    EARLIER_PEOPLE.iter().any(|p| lower.contains(p))
}

/// Whether a question refers to the periods of an earlier one ("in the same years").
fn refers_to_earlier_periods(text: &str) -> bool {
    let lower = text.to_lowercase();
    EARLIER_PERIODS.iter().any(|p| lower.contains(p))
}

fn request_question(q: &SplitQuestion, u: &Understanding) -> Question {
    Question {
        number: q.number.clone(),
        text: q.text.clone(),
        ask: u.ask.clone(),
        parts: q
            .parts
            .iter()
            .zip(&u.parts)
            .map(|(p, pu)| request_question(p, pu))
            .collect(),
        estimate_hours: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::request::parse_request;

    const SEED_000: &str = include_str!("../tests-data/requests/seed-000.txt");
    const SEED_003: &str = include_str!("../tests-data/requests/seed-003.txt");
    const SEED_000_TOML: &str = include_str!("../../../examples/leicester/requests/seed-000.toml");
    const SEED_003_TOML: &str = include_str!("../../../examples/leicester/requests/seed-003.toml");

    fn day(y: i16, m: i8, d: i8) -> Date {
        Date::constant(y, m, d)
    }

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn periods(text: &str, received: Date) -> Vec<Period> {
        collect_periods(&resolve_periods(text, received)).0
    }

    fn question(text: &str) -> SplitQuestion {
        SplitQuestion {
            number: "1".into(),
            text: text.into(),
            preamble: None,
            parts: Vec::new(),
        }
    }

    /// A span of whole financial years is the same request as those years
    /// one by one (the planner gives one row per year either way).
    fn expanded(periods: &[Period]) -> Vec<Period> {
        periods
            .iter()
            .flat_map(|p| {
                let years = p.financial_years();
                if years.len() > 1 && years.iter().all(|y| y.is_full()) {
                    years
                        .iter()
                        .map(|y| Period::FinancialYear(y.year))
                        .collect()
                } else {
                    vec![*p]
                }
            })
            .collect()
    }

    fn assert_same_asks(got: &[Question], want: &[Question]) {
        assert_eq!(got.len(), want.len(), "number of questions or parts");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.number, w.number);
            match (&g.ask, &w.ask) {
                (Some(Ask::Figures(a)), Some(Ask::Figures(b))) => {
                    assert_eq!(a.indicator, b.indicator, "question {}", w.number);
                    assert_eq!(a.filter, b.filter, "question {}", w.number);
                    assert_eq!(a.breakdown, b.breakdown, "question {}", w.number);
                    assert_eq!(a.age_range, b.age_range, "question {}", w.number);
                    assert_eq!(
                        expanded(&a.periods),
                        expanded(&b.periods),
                        "question {}",
                        w.number
                    );
                }
                (a, b) => assert_eq!(a, b, "question {}", w.number),
            }
            assert_same_asks(&g.parts, &w.parts);
        }
    }

    fn assert_split_like(split: &[SplitQuestion], want: &[Question]) {
        assert_eq!(split.len(), want.len());
        for (s, w) in split.iter().zip(want) {
            assert_eq!(s.number, w.number);
            assert_eq!(s.text, w.text);
            assert_split_like(&s.parts, &w.parts);
        }
    }

    fn check_seed(email_text: &str, toml: &str, received: Date, reference: &str) {
        let catalogue = shipped();
        let want = parse_request("seed.toml", toml, &catalogue).unwrap();
        let email = parse_email(email_text.as_bytes()).unwrap();
        let draft = draft(&email, received, &catalogue, &[], reference.into()).unwrap();
        let split: Vec<SplitQuestion> =
            draft.questions.iter().map(|q| q.question.clone()).collect();
        assert_split_like(&split, &want.questions);
        for q in &draft.questions {
            assert!(
                q.understanding.is_complete(),
                "question {} needs the officer: {:#?}",
                q.question.number,
                q.understanding
            );
            assert!(
                q.understanding.confidence >= MIN_CONFIDENCE,
                "question {}: {}",
                q.question.number,
                q.understanding.confidence
            );
        }
        let request = draft.request.expect("every question understood");
        assert_eq!(request.reference, reference);
        assert_eq!(request.received, received);
        assert_same_asks(&request.questions, &want.questions);
    }

    #[test]
    fn seed_000_is_understood_as_its_structured_request() {
        check_seed(SEED_000, SEED_000_TOML, day(2019, 6, 10), "FOI-2019-0412");
    }

    #[test]
    fn seed_003_is_understood_as_its_structured_request() {
        check_seed(SEED_003, SEED_003_TOML, day(2017, 4, 18), "FOI-2017-0318");
    }

    #[test]
    fn seed_questions_keep_their_number_and_words() {
        let split = split_questions(SEED_000).unwrap();
        assert_eq!(split.len(), 4);
        assert_eq!(split[2].number, "3");
        assert_eq!(
            split[2]
                .parts
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>(),
            ["2014 - 15", "2018 - 19", "2019 - 20"]
        );
        assert!(split.iter().all(|q| q.preamble.is_none()));
        let split = split_questions(SEED_003).unwrap();
        assert_eq!(split.len(), 14);
        assert_eq!(split[8].parts.len(), 2);
        assert_eq!(split[8].parts[1].number, "b");
    }

    // Periods in words, one test per phrase.

    #[test]
    fn each_year_for_the_past_three_years() {
        assert_eq!(
            periods("each year for the past three years", day(2019, 6, 10)),
            [p("2018/19"), p("2017/18"), p("2016/17")]
        );
    }

    #[test]
    fn the_last_12_months_are_the_complete_months_before_receipt() {
        assert_eq!(
            periods("How many in the last 12 months?", day(2022, 10, 3)),
            [Period::range(day(2021, 10, 1), day(2022, 9, 30)).unwrap()]
        );
        // Twelve months from April are a financial year.
        assert_eq!(
            periods("over the past twelve months", day(2020, 4, 15)),
            [p("2019/20")]
        );
        assert_eq!(
            periods("the last 6 months", day(2024, 1, 31)),
            [Period::range(day(2023, 7, 1), day(2023, 12, 31)).unwrap()]
        );
    }

    #[test]
    fn a_list_of_bare_years_after_a_cue_is_every_year_listed() {
        assert_eq!(
            periods(
                "died in treatment in 2019, 2020 and 2021?",
                day(2022, 10, 3)
            ),
            [
                Period::CalendarYear(2019),
                Period::CalendarYear(2020),
                Period::CalendarYear(2021)
            ]
        );
        assert_eq!(
            periods("registered in 2015, 2016, and 2017", day(2022, 10, 3)).len(),
            3
        );
        // Without a cue a bare year is not a period ("the 2000 Act").
        assert!(periods("under the Act 2000, and 2001 rules", day(2022, 10, 3)).is_empty());
    }

    #[test]
    fn the_past_3_years() {
        assert_eq!(
            periods("What was it for the past 3 years?", day(2019, 6, 10)),
            [p("2018/19"), p("2017/18"), p("2016/17")]
        );
        // Received in March: the year then running is not complete.
        assert_eq!(
            periods("the past 3 years", day(2019, 3, 20)),
            [p("2017/18"), p("2016/17"), p("2015/16")]
        );
    }

    #[test]
    fn over_the_last_five_financial_years() {
        let m = resolve_periods("over the last five financial years", day(2019, 6, 10));
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].periods,
            [
                p("2018/19"),
                p("2017/18"),
                p("2016/17"),
                p("2015/16"),
                p("2014/15")
            ]
        );
        assert_eq!(m[0].words, "the last five financial years");
        assert!(m[0].confidence >= 0.9);
    }

    #[test]
    fn the_following_financial_years_listed_inline() {
        assert_eq!(
            periods(
                "the following financial years: a) 2014 - 15 b) 2018 - 19",
                day(2019, 6, 10)
            ),
            [p("2014/15"), p("2018/19")]
        );
    }

    #[test]
    fn between_31st_march_and_1st_april() {
        assert_eq!(
            periods(
                "how many were in treatment between 31st March 2016 and 1st April 2017?",
                day(2017, 4, 18)
            ),
            [p("2016/17")]
        );
    }

    #[test]
    fn in_each_financial_year_since() {
        assert_eq!(
            periods("in each financial year since 2014/15?", day(2017, 4, 18)),
            [p("2014/15"), p("2015/16"), p("2016/17")]
        );
    }

    #[test]
    fn in_the_calendar_years() {
        assert_eq!(
            periods("in the calendar years 2020 and 2021", day(2022, 5, 1)),
            [Period::CalendarYear(2020), Period::CalendarYear(2021)]
        );
    }

    #[test]
    fn from_a_date_to_date() {
        let received = day(2021, 5, 20);
        assert_eq!(
            periods("from 1 April 2020 to date", received),
            [Period::range(day(2020, 4, 1), received).unwrap()]
        );
    }

    #[test]
    fn a_span_of_financial_years() {
        assert_eq!(
            periods("for 2012/13 to 2021/22", day(2022, 6, 1)),
            [p("2012/13 to 2021/22")]
        );
    }

    #[test]
    fn registered_in_a_year() {
        assert_eq!(
            periods("deaths registered in 2015 where", day(2017, 4, 18)),
            [Period::CalendarYear(2015)]
        );
    }

    #[test]
    fn next_financial_year_with_its_dates_in_brackets() {
        assert_eq!(
            periods(
                "plans in the next financial year (between 1st April 2017 and 31st March 2018)?",
                day(2017, 4, 18)
            ),
            [p("2017/18")]
        );
        assert_eq!(
            periods("next financial year", day(2017, 4, 18)),
            [p("2018/19")]
        );
    }

    #[test]
    fn numbers_that_are_not_periods() {
        let received = day(2019, 6, 10);
        for text in [
            "Under the Freedom of Information Act 2000, please provide:",
            "(e.g. youngest 18, oldest 56 years old)",
            "as defined by ICD-9 and ICD-10",
            "please respond to Questions 4-14",
        ] {
            assert_eq!(periods(text, received), [], "{text}");
        }
    }

    #[test]
    fn a_dated_statement_question_stays_a_statement() {
        let u = understand(
            &question(
                "Are there any concrete plans to repurchase Naloxone in the next financial year (between 1st April 2017 and 31st March 2018)?",
            ),
            day(2017, 4, 18),
            &shipped(),
            &[],
        );
        assert_eq!(
            u.ask,
            Some(Ask::Statement {
                topic: "naloxone.repurchase_plans".into()
            })
        );
    }

    // Splitting.

    #[test]
    fn q_and_question_numbering() {
        let body = "Hello,\n\nQ1 How many people were in treatment in 2018/19?\nQuestion 2: What was the budget for 2018/19?\n\nThanks,\nJo";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].number, "1");
        assert_eq!(
            split[0].text,
            "How many people were in treatment in 2018/19?"
        );
        assert_eq!(split[1].number, "2");
        assert_eq!(split[1].text, "What was the budget for 2018/19?");
    }

    #[test]
    fn bracketed_letters_are_parts() {
        let body = "1. For 2018/19, how many people were in treatment:\n(a) aged under 25\n(b) aged 40 and over\n2. What was the budget in 2018/19?";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        let parts: Vec<(&str, &str)> = split[0]
            .parts
            .iter()
            .map(|p| (p.number.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(parts, [("a", "aged under 25"), ("b", "aged 40 and over")]);
        // Each part reads with its question's words.
        let u = understand(&split[0], day(2019, 6, 10), &shipped(), &[]);
        let Some(Ask::Figures(a)) = &u.parts[0].ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "people_in_treatment");
        assert_eq!(a.filter.get("age_band"), Some("18-24"));
        assert_eq!(a.periods, [p("2018/19")]);
    }

    #[test]
    fn a_shared_preamble_sets_the_period_of_every_question() {
        let body = "Dear Sir/Madam,\n\nFor each of the last three financial years, please tell me:\n\n1) How many people were in treatment?\n2) How many new presentations to treatment were there?\n\nYours faithfully,\nA. Requester";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        for q in &split {
            assert_eq!(
                q.preamble.as_deref(),
                Some("For each of the last three financial years, please tell me:")
            );
        }
        let u = understand(&split[1], day(2019, 6, 10), &shipped(), &[]);
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "new_presentations");
        assert_eq!(a.periods, [p("2018/19"), p("2017/18"), p("2016/17")]);
    }

    #[test]
    fn lines_of_years_under_a_question_are_parts() {
        let body = "1) What was the spend on residential rehab for:\n2015/16\n2016/17\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split[0].parts.len(), 2);
        assert_eq!(split[0].parts[1].number, "b");
        assert_eq!(split[0].parts[1].text, "2016/17");
    }

    #[test]
    fn a_single_unnumbered_question() {
        let body = "Hi,\n\nCould you tell me how many take-home naloxone kits were issued in 2016/17?\n\nKind regards,\nSam";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(split[0].number, "1");
        assert_eq!(
            split[0].text,
            "Could you tell me how many take-home naloxone kits were issued in 2016/17?"
        );
        let u = understand(&split[0], day(2017, 6, 1), &shipped(), &[]);
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "naloxone_kits_issued");
    }

    #[test]
    fn closing_text_and_signatures_are_not_questions() {
        let body = "Thank you.\n\n1) How many people were in treatment in 2018/19?\n\nI would prefer the information by e-mail.\n\nJ. Bloggs\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(
            split[0].text,
            "How many people were in treatment in 2018/19?"
        );
        assert!(split[0].parts.is_empty());
        let body =
            "1) How many people were in treatment in 2018/19?\n\nYours sincerely,\nJ. Bloggs\n";
        assert!(split_questions(body).unwrap()[0].parts.is_empty());
    }

    #[test]
    fn lettered_questions_without_numbers() {
        let body = "Please tell me:\na) how many people were in treatment in 2018/19\nb) the budget for community treatment in 2018/19\n";
        let split = split_questions(body).unwrap();
        let numbers: Vec<&str> = split.iter().map(|q| q.number.as_str()).collect();
        assert_eq!(numbers, ["a", "b"]);
        assert!(split.iter().all(|q| q.parts.is_empty()));
    }

    #[test]
    fn wrapped_lines_continue_the_question() {
        let body = "1) How many people were in treatment\nfor crack cocaine in 2017/18?\n2) Who purchases naloxone?";
        let split = split_questions(body).unwrap();
        assert_eq!(
            split[0].text,
            "How many people were in treatment for crack cocaine in 2017/18?"
        );
        assert_eq!(split[1].number, "2");
    }

    #[test]
    fn no_questions_is_an_error_that_says_what_to_do() {
        let err = split_questions(
            "Dear Sir,\n\nThank you for your letter of 3 May. It was most helpful.\n\nRegards,\nJo",
        )
        .unwrap_err();
        assert_eq!(err, IntakeError::NoQuestions);
        assert!(err.to_string().contains("number the questions"), "{err}");
    }

    #[test]
    fn sentences_that_ask_in_words_are_questions() {
        let body = "Dear Sir or Madam,\n\nUnder the Freedom of Information Act, please provide the number of people in treatment for opiates in each of the last three financial years. This is for a local news story.\n\nI would also like to know how many naloxone kits were issued in 2019/20.\n\nKind regards,\nJo Bloggs";
        let split = split_questions(body).unwrap();
        let texts: Vec<&str> = split.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Under the Freedom of Information Act, please provide the number of people in treatment for opiates in each of the last three financial years.",
                "I would also like to know how many naloxone kits were issued in 2019/20."
            ]
        );
        assert_eq!(split[1].number, "2");
    }

    #[test]
    fn non_utf8_input_is_an_error() {
        let err = parse_email(b"Dear Sir,\n\n1) How many caf\xe9s?\n").unwrap_err();
        assert_eq!(err, IntakeError::NotUtf8 { offset: 26 });
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn oversized_input_is_an_error() {
        let big = "1) How many? ".repeat(MAX_INPUT_BYTES / 10);
        let err = parse_email(big.as_bytes()).unwrap_err();
        assert!(matches!(err, IntakeError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("1048576 bytes"), "{err}");
        assert!(matches!(
            split_questions(&big),
            Err(IntakeError::TooLarge { .. })
        ));
    }

    #[test]
    fn an_empty_body_is_an_error() {
        assert_eq!(parse_email(b"  \n\n "), Err(IntakeError::EmptyBody));
        let headers_only = b"From: a@example.org\r\nSubject: FOI\r\n\r\n\r\n";
        let err = parse_email(headers_only).unwrap_err();
        assert_eq!(err, IntakeError::EmptyBody);
        assert!(err.to_string().contains("no body text"), "{err}");
        assert_eq!(split_questions(""), Err(IntakeError::EmptyBody));
    }

    // E-mail intake.

    #[test]
    fn eml_headers_and_quoted_printable_body() {
        let raw = b"From: \"Jane Smith\" <jane@example.org>\r\nTo: foi@leicester.gov.uk\r\nSubject: =?UTF-8?Q?FOI_=E2=80=93_crack?=\r\nDate: Mon, 10 Jun 2019 09:15:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nDear Sir,\r\n\r\n1) How many service users were in treatment for crack cocaine in 2017/=\r\n18? =E2=80=94 thanks\r\n";
        let email = parse_email(raw).unwrap();
        assert_eq!(email.subject.as_deref(), Some("FOI – crack"));
        assert_eq!(email.from_name.as_deref(), Some("Jane Smith"));
        assert_eq!(email.from_address.as_deref(), Some("jane@example.org"));
        assert_eq!(email.date, Some(day(2019, 6, 10)));
        assert!(
            email.body.contains("in 2017/18? — thanks"),
            "{}",
            email.body
        );
        assert!(!email.body.contains('\r'));
    }

    #[test]
    fn the_plain_text_part_of_a_multipart_message() {
        let raw = "From: jo@example.org\nDate: 18 Apr 2017 10:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"XYZ\"\n\nThis is a MIME message.\n--XYZ\nContent-Type: text/html\n\n<p>1) How many?</p>\n--XYZ\nContent-Type: text/plain; charset=\"us-ascii\"\nContent-Transfer-Encoding: base64\n\nMSkgSG93IG1hbnkgY2xpZW50cz8=\n--XYZ--\n";
        let email = parse_email(raw.as_bytes()).unwrap();
        assert_eq!(email.body, "1) How many clients?");
        assert_eq!(email.from_address.as_deref(), Some("jo@example.org"));
        assert_eq!(email.date, Some(day(2017, 4, 18)));
        // Without a plain-text part, the HTML one is read as text.
        let html_only = raw.replace("text/plain; charset=\"us-ascii\"", "image/png");
        assert_eq!(
            parse_email(html_only.as_bytes()).unwrap().body.trim(),
            "1) How many?"
        );
        let image_only = html_only.replace("text/html", "image/gif");
        assert!(matches!(
            parse_email(image_only.as_bytes()),
            Err(IntakeError::NoTextPart { .. })
        ));
    }

    #[test]
    fn an_html_only_email_is_read_as_the_text_it_shows() {
        let raw = "From: Chris <c@example.com>\nContent-Type: text/html; charset=utf-8\n\n<html><head><title>x</title><style>p {color: red}</style></head><body><p>Dear Sir,</p><p>1) How many people were\nin treatment in 2023/24?</p><ol><li>a) by age</li><li>b) by sex</li></ol><p>2) What was the budget &amp; spend (&pound;) in 2023&#47;24&#x3F;</p><p>Regards,<br>Chris</p><script>alert(1)</script></body></html>";
        let email = parse_email(raw.as_bytes()).unwrap();
        assert!(
            !email.body.contains('<') && !email.body.contains("color"),
            "{}",
            email.body
        );
        let split = split_questions(&email.body).unwrap();
        let texts: Vec<&str> = split.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "How many people were in treatment in 2023/24?",
                "What was the budget & spend (£) in 2023/24?"
            ]
        );
        assert_eq!(split[0].parts.len(), 2, "{split:#?}");
    }

    #[test]
    fn plain_text_is_all_body() {
        let email = parse_email(b"Note: this is not a header\n\n1) How many?").unwrap();
        assert_eq!(email.subject, None);
        assert!(email.body.starts_with("Note: this"));
    }

    // Understanding.

    #[test]
    fn opioid_deaths_are_ons_figures_the_council_does_not_hold() {
        let u = understand(
            &question("How many drug-related deaths registered in 2016 mentioned an opioid?"),
            day(2017, 4, 18),
            &shipped(),
            &[],
        );
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "drug_poisoning_deaths");
        assert_eq!(a.filter.get("drug_mentioned"), Some("any_opioid"));
        assert_eq!(a.periods, [Period::CalendarYear(2016)]);
        assert!(u.notes.iter().any(|n| n.contains("section 16")), "{u:#?}");
    }

    #[test]
    fn breakdowns_by_age_and_substance() {
        let u = understand(
            &question("How many people were in treatment in 2018/19, by age and by substance?"),
            day(2019, 10, 1),
            &shipped(),
            &[],
        );
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.breakdown, ["age_band", "substance_group"]);
    }

    #[test]
    fn how_much_asks_for_money_and_the_service_is_a_filter() {
        let u = understand(
            &question("How much did the council spend on residential rehab in 2019/20?"),
            day(2021, 5, 20),
            &shipped(),
            &[],
        );
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "spend");
        assert_eq!(a.filter.get("service"), Some("residential_rehab"));
    }

    #[test]
    fn naloxone_purchased_and_dispensed_are_different_indicators() {
        let catalogue = shipped();
        let received = day(2017, 4, 18);
        let indicator =
            |text: &str| match understand(&question(text), received, &catalogue, &[]).ask {
                Some(Ask::Figures(a)) => a.indicator,
                other => panic!("{text}: {other:?}"),
            };
        assert_eq!(
            indicator("How many Naloxone kits were purchased in 2016/17?"),
            "naloxone_kits_purchased"
        );
        assert_eq!(
            indicator("How many naloxone kits were dispensed in the community in 2016/17?"),
            "naloxone_kits_issued"
        );
    }

    #[test]
    fn nothing_fits_so_the_officer_decides() {
        let u = understand(
            &question("How many parking permits did you issue in 2018/19?"),
            day(2019, 6, 10),
            &shipped(),
            &[],
        );
        assert_eq!(u.ask, None);
        assert!(u.needs_officer);
        assert!(u.notes.iter().any(|n| n.contains("choose one")), "{u:#?}");
    }

    #[test]
    fn a_whatdotheyknow_request_is_read_without_its_footer() {
        let raw = include_str!("../tests-data/requests/whatdotheyknow.txt");
        let email = parse_email(raw.as_bytes()).unwrap();
        assert_eq!(email.date, Some(day(2023, 3, 15)));
        let drafted = draft(&email, day(2023, 3, 15), &shipped(), &[], "FOI-1".into()).unwrap();
        assert_eq!(drafted.questions.len(), 3, "the footer is not a question");
        let read = |n: usize| match &drafted.questions[n].understanding.ask {
            Some(Ask::Figures(f)) => (f.indicator.clone(), f.filter.key(), f.periods.clone()),
            other => panic!("question {}: {other:?}", n + 1),
        };
        let years = vec![p("2019/20"), p("2020/21"), p("2021/22")];
        // "started alcohol treatment": the phrase steps over the substance.
        assert_eq!(
            read(0),
            (
                "new_presentations".into(),
                "substance_group=alcohol_only".into(),
                years.clone()
            )
        );
        assert_eq!(
            read(1),
            (
                "successful_completions".into(),
                "substance_group=alcohol_only".into(),
                years
            )
        );
        // Waiting times are not in the catalogue: left for the officer.
        assert!(drafted.questions[2].understanding.needs_officer);
        assert!(drafted.request.is_none());
    }

    #[test]
    fn how_many_of_those_is_read_with_the_question_before() {
        let email = parse_email(
            b"Dear Sir,\n\nFor 2020/21 and 2021/22:\n\n(1) Total number of adults in treatment\n(2) Number of those who were opiate users\n\nThanks",
        )
        .unwrap();
        let drafted = draft(&email, day(2023, 6, 1), &shipped(), &[], "FOI-1".into()).unwrap();
        let second = &drafted.questions[1];
        assert_eq!(
            second.question.text,
            "Number of those who were opiate users"
        );
        match &second.understanding.ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(f.indicator, "people_in_treatment");
                assert_eq!(f.filter.key(), "substance_group=opiate");
            }
            other => panic!("{other:?}"),
        }
        assert!(second.understanding.notes[0].contains("question 1"));
    }

    #[test]
    fn the_same_years_are_those_of_the_question_before() {
        let email = parse_email(
            b"Dear Sir,\n\n1) How much did the council spend on drug and alcohol services in 2021/22 and 2022/23?\n2) How many inpatient detox placements were there in the same years?\n3) How many people were in treatment in 2019/20?\n4) How many of those were in residential rehab in those years?\n\nThanks\nPat",
        )
        .unwrap();
        let catalogue = shipped();
        let drafted = draft(&email, day(2023, 9, 4), &catalogue, &[], "FOI-1".into()).unwrap();
        let periods = |n: usize| match &drafted.questions[n].understanding.ask {
            Some(Ask::Figures(f)) => f.periods.clone(),
            other => panic!("question {}: {other:?}", n + 1),
        };
        assert_eq!(periods(1), [p("2021/22"), p("2022/23")]);
        assert!(drafted.questions[1].understanding.notes[0].contains("question 1"));
        assert_eq!(
            periods(3),
            [p("2019/20")],
            "the latest question with periods"
        );
        assert_eq!(
            drafted.questions[1].question.text,
            "How many inpatient detox placements were there in the same years?",
            "kept verbatim"
        );
    }

    #[test]
    fn what_the_catalogue_cannot_split_out_is_left_for_the_officer() {
        let catalogue = shipped();
        let u = understand(
            &question("How many people aged under 25 were in treatment for cannabis in 2022/23?"),
            day(2023, 9, 4),
            &catalogue,
            &[],
        );
        assert!(u.needs_officer, "{u:#?}");
        assert_eq!(u.ask, None);
        assert!(
            u.notes.iter().any(|n| n.contains("cannabis")),
            "{:?}",
            u.notes
        );
        assert!(
            matches!(u.alternatives.first(), Some((Ask::Figures(f), _)) if f.indicator == "people_in_treatment"),
            "the reading stays as the first alternative"
        );
        for text in [
            "How many under 18s were in drug treatment in 2022/23?",
            "How many pregnant women were in treatment in 2022/23?",
            "How many homeless people were in treatment in 2022/23?",
            // The parental status dimension says "child", never "children":
            // children in treatment are still left to the officer.
            "How many children were in drug treatment in 2022/23?",
        ] {
            let u = understand(&question(text), day(2023, 9, 4), &catalogue, &[]);
            assert!(u.needs_officer && u.ask.is_none(), "{text}: {u:#?}");
        }
        // What the catalogue does name is read.
        for (text, filter) in [
            (
                "How many people over 50 were in treatment for alcohol in 2022/23?",
                "age_band=50+;substance_group=alcohol_only",
            ),
            (
                "How much was spent on inpatient detox and residential rehab in 2022/23?",
                "service=inpatient_detox_and_residential_rehab",
            ),
            // Employment status is counted from providers' records.
            (
                "How many people in treatment in 2022/23 were in employment?",
                "employment_status=regular_employment",
            ),
        ] {
            let u = understand(&question(text), day(2023, 9, 4), &catalogue, &[]);
            match &u.ask {
                Some(Ask::Figures(f)) => assert_eq!(f.filter.key(), filter, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        // Crack cocaine is a value of the catalogue, so that question is read.
        let crack = understand(
            &question("How many women were in treatment for crack cocaine in 2022-23?"),
            day(2023, 9, 4),
            &catalogue,
            &[],
        );
        assert!(!crack.needs_officer, "{crack:#?}");
    }

    #[test]
    fn several_values_of_one_breakdown_ask_for_that_breakdown() {
        let u = understand(
            &question(
                "Please break down the spend by community treatment, detox and rehab for 2022/23.",
            ),
            day(2023, 7, 10),
            &shipped(),
            &[],
        );
        match &u.ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(f.indicator, "spend");
                assert_eq!(f.breakdown, ["service"]);
                assert!(f.filter.0.is_empty(), "{:?}", f.filter);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_question_asking_for_a_number_and_money_goes_to_the_officer() {
        let u = understand(
            &question(
                "How many naloxone kits were purchased by the council in 2022/23, and how much did they cost?",
            ),
            day(2023, 7, 10),
            &shipped(),
            &[],
        );
        assert!(u.needs_officer && u.ask.is_none(), "{u:#?}");
        assert!(
            u.notes.iter().any(|n| n.contains("two things")),
            "{:?}",
            u.notes
        );
        assert!(
            !u.alternatives.is_empty(),
            "the readings stay as alternatives"
        );
    }

    #[test]
    fn a_council_that_adds_a_breakdown_is_answered_by_it() {
        let mut catalogue = shipped();
        catalogue
            .extend_from_toml(
                "council.toml",
                "[[dimension]]\ncode = \"mental_health\"\ntitle = \"Mental health\"\nvalues = [{ code = \"treated\", label = \"receiving mental health treatment\" }]\n\n[[indicator]]\ncode = \"clients_by_mental_health\"\ntitle = \"Clients by mental health\"\ndescription = \"People in treatment by mental health treatment.\"\nunit = \"people\"\nbreakdowns = [\"mental_health\"]\ncounts_people = true\nsynonyms = [\"clients by mental health\"]\n",
            )
            .unwrap();
        let u = understand(
            &question("How many clients by mental health were there in 2022/23?"),
            day(2023, 9, 4),
            &catalogue,
            &[],
        );
        assert!(!u.needs_officer, "{u:#?}");
        let flagged = understand(
            &question("How many clients by mental health were there in 2022/23?"),
            day(2023, 9, 4),
            &shipped(),
            &[],
        );
        assert!(flagged.needs_officer, "without the extension: {flagged:#?}");
        // Ethnicity is shipped (counted from providers' records).
        let ethnicity = understand(
            &question("How many clients by ethnicity were there in 2022/23?"),
            day(2023, 9, 4),
            &shipped(),
            &[],
        );
        assert!(!ethnicity.needs_officer, "{ethnicity:#?}");
        let Some(Ask::Figures(f)) = &ethnicity.ask else {
            panic!("{ethnicity:#?}")
        };
        assert_eq!(f.breakdown, ["ethnicity"], "{ethnicity:#?}");
    }

    #[test]
    fn a_topic_is_only_read_when_its_subject_is_named() {
        let catalogue = shipped();
        let received = day(2024, 5, 10);
        let other = understand(
            &question("Does the council commission a needle exchange?"),
            received,
            &catalogue,
            &[],
        );
        assert!(other.needs_officer, "{other:#?}");
        assert_eq!(other.ask, None);
        let tender = understand(
            &question("Was naloxone included in the last tender when commissioning services?"),
            received,
            &catalogue,
            &[],
        );
        assert_eq!(
            tender.ask,
            Some(Ask::Statement {
                topic: "naloxone.tender_included".into()
            })
        );
    }

    #[test]
    fn questions_about_what_hospitals_and_the_police_hold_are_read_as_not_held_here() {
        let catalogue = shipped();
        let received = day(2024, 5, 10);
        for (text, indicator) in [
            (
                "How many people presented to A&E with drug overdoses in 2023/24?",
                "drug_related_ae_attendances",
            ),
            (
                "How many drug offences were recorded in the city in 2023?",
                "drug_offences",
            ),
        ] {
            let u = understand(&question(text), received, &catalogue, &[]);
            let Some(Ask::Figures(a)) = &u.ask else {
                panic!("{text}: {u:#?}")
            };
            assert_eq!(a.indicator, indicator, "{text}");
            let held = catalogue.indicator(indicator).unwrap();
            assert!(!held.held_by_council && !held.other_holders.is_empty());
        }
    }

    #[test]
    fn a_learned_synonym_places_an_unplaced_question() {
        let catalogue = shipped();
        let q = question("How many individuals were on the methadone programme in 2018/19?");
        let received = day(2019, 6, 10);
        let before = understand(&q, received, &catalogue, &[]);
        assert_eq!(before.ask, None);
        assert!(before.needs_officer);
        let learned = [
            Synonym {
                phrase: "methadone programme".into(),
                target: SynonymTarget::parse("people_in_treatment", &catalogue).unwrap(),
            },
            Synonym {
                phrase: "methadone".into(),
                target: SynonymTarget::parse("substance_group=opiates", &catalogue).unwrap(),
            },
        ];
        let after = understand(&q, received, &catalogue, &learned);
        assert!(!after.needs_officer, "{after:#?}");
        let Some(Ask::Figures(a)) = &after.ask else {
            panic!("{after:#?}")
        };
        assert_eq!(a.indicator, "people_in_treatment");
        assert_eq!(a.filter.get("substance_group"), Some("opiate"));
        assert_eq!(a.periods, [p("2018/19")]);
    }

    #[test]
    fn a_learned_synonym_beats_the_built_in_reading() {
        let catalogue = shipped();
        let q = question("How many THN kits were handed out in 2016/17?");
        let received = day(2017, 6, 1);
        let built_in = understand(&q, received, &catalogue, &[]);
        assert!(
            matches!(&built_in.ask, Some(Ask::Figures(a)) if a.indicator == "naloxone_kits_issued")
        );
        let learned = [Synonym {
            phrase: "THN kits were handed out".into(),
            target: SynonymTarget::Indicator("naloxone_kits_purchased".into()),
        }];
        let corrected = understand(&q, received, &catalogue, &learned);
        assert!(
            matches!(&corrected.ask, Some(Ask::Figures(a)) if a.indicator == "naloxone_kits_purchased"),
            "{corrected:#?}"
        );
        assert!(!corrected.alternatives.is_empty());
        assert!(SynonymTarget::parse("nonsense", &catalogue).is_err());
    }

    #[test]
    fn long_adversarial_input_does_not_overflow() {
        let text = "next financial year (".repeat(20_000);
        let _ = resolve_periods(&text, day(2019, 6, 10));
        let nested = "(".repeat(50_000) + "excluding" + &")".repeat(50_000);
        let _ = words(&nested);
        let lines = "1) a?\na) b\n".repeat(20_000);
        assert_eq!(split_questions(&lines).unwrap().len(), 20_000);
    }

    proptest::proptest! {
        #[test]
        fn nothing_panics_on_any_text(text in "\\PC{0,200}") {
            let received = day(2019, 6, 10);
            let _ = resolve_periods(&text, received);
            let _ = parse_email(text.as_bytes());
            let catalogue = shipped();
            if let Ok(questions) = split_questions(&text) {
                for q in &questions {
                    let _ = understand(q, received, &catalogue, &[]);
                }
            }
        }

        #[test]
        fn nothing_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_email(&bytes);
        }

        #[test]
        fn question_like_text_never_panics(
            text in "(Q?[0-9]{1,3}[).:]? |\\(?[a-z][).] |between |since |past |from |to |date |[0-9]{1,4}[/-]?[0-9]{0,4} |(st|of) |March |April |financial |years? |excluding |\\(|\\)|\\?|\n){0,40}"
        ) {
            let received = day(2019, 6, 10);
            let _ = resolve_periods(&text, received);
            if let Ok(questions) = split_questions(&text) {
                for q in &questions {
                    let _ = understand(q, received, &shipped(), &[]);
                }
            }
        }
    }

    #[test]
    fn no_input_panics() {
        let catalogue = shipped();
        let model = Model::new(&catalogue, &[]);
        for text in [
            "",
            "(",
            ")",
            "((((",
            "(s)",
            "between",
            "between 2016 and",
            "since",
            "past",
            "1)",
            "a)",
            "Q",
            "Q9",
            "Question",
            "=?utf-8?B?",
            "2016-",
            "31st",
            "32nd March 2016",
            "between 31st February 2016 and 1st April 2017",
            "from 2016/17 to date",
            "the last 99 years",
            "¿¡Ω≈ç√∫",
            "a-",
            "-a",
            "'",
            "’s",
        ] {
            let _ = resolve_periods(text, day(2019, 6, 10));
            let _ = split_questions(text);
            let _ = parse_email(text.as_bytes());
            let _ = model.understand(&question(text), day(2019, 6, 10));
        }
    }

    #[test]
    fn an_unreadable_date_header_is_kept_as_unreadable_not_missing() {
        let raw = b"From: a@example.org\nSubject: FOI\nDate: Someday, 99 Smarch 20x9 25:61\n\n1) How many people were in treatment?\n";
        let email = parse_email(raw).unwrap();
        assert_eq!(email.date, None);
        assert_eq!(
            email.unreadable_date.as_deref(),
            Some("Someday, 99 Smarch 20x9 25:61")
        );
        let long = format!(
            "From: a@example.org\nDate: {}\n\n1) How many?\n",
            "x".repeat(500)
        );
        let quoted = parse_email(long.as_bytes())
            .unwrap()
            .unreadable_date
            .unwrap();
        assert_eq!(quoted.chars().count(), QUOTED_DATE_CHARS + 1);
        let fine = parse_email(
            b"From: a@example.org\nDate: Mon, 10 Jun 2019 09:15:00 +0100\n\n1) How many?\n",
        )
        .unwrap();
        assert_eq!(fine.unreadable_date, None);
        let none = parse_email(b"From: a@example.org\n\n1) How many?\n").unwrap();
        assert_eq!((none.date, none.unreadable_date), (None, None));
    }
}
