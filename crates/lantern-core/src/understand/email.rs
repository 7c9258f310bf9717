//! E-mail intake: the bytes of an `.eml` file (or plain text) become an
//! [`Email`]: its headers, the request's text, the lines set aside as "not
//! taken as a question" (WhatDoTheyKnow footers, quoted replies, a
//! forwarding note and the forwarded message's header lines), the message
//! it forwards, its attachments, and what could not be read.
//!
//! MIME structure, transfer encodings and encoded-word headers are read by
//! `mailparse`; character sets by `encoding_rs` (so windows-1252 and
//! ISO-8859-15 are what they say, not Latin-1); an HTML body by `html2text`
//! (lists stay numbered lines); the `Date` header by `jiff` with its time
//! zone. Which day the council received a request ([`Email::receipt`]) is
//! decided in the council's time zone, and for a forward, by who forwarded
//! it.

use jiff::ZonedDateTime;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use mailparse::{DispositionType, MailAddr, MailHeaderMap, ParsedMail};

use super::periods::month_number;
use super::{IntakeError, check_size};

/// The largest e-mail file Lantern takes in, attachments included: 4 MiB.
/// Its text (the body Lantern reads questions from) is still at most
/// [`MAX_INPUT_BYTES`](super::MAX_INPUT_BYTES).
pub const MAX_EMAIL_BYTES: usize = 4 * 1024 * 1024;

/// How many multipart boundaries an e-mail may declare (bounds how deeply
/// its parts nest, and so the work of reading them).
const MAX_BOUNDARIES: usize = 64;

/// How deeply parts (and attached messages) may nest.
const MAX_MIME_DEPTH: usize = 8;

/// How wide an HTML body's lines may be before they are wrapped (wide
/// enough that a question is never broken across lines).
const HTML_WIDTH: usize = 4000;

/// An e-mail as Lantern reads it: the file's own headers, and what it
/// carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    /// The `Subject` header, decoded.
    pub subject: Option<String>,
    /// The sender's display name from `From` (for a forward, the
    /// forwarder: see [`Email::requester`]).
    pub from_name: Option<String>,
    /// The sender's address from `From`.
    pub from_address: Option<String>,
    /// The day in the `Date` header, as the sender's clock gave it.
    pub date: Option<Date>,
    /// When it was sent, with the offset the `Date` header gave.
    pub sent: Option<ZonedDateTime>,
    /// A `Date` header that is there but cannot be read as a date: a short
    /// prefix of it (at most [`QUOTED_DATE_CHARS`] characters, control
    /// characters shown as `?`), so that it is reported as unreadable, not
    /// as missing.
    pub unreadable_date: Option<String>,
    /// The request's text, with `\n` line ends: for a forward, the
    /// forwarded message's; without footers and quoted text (those are in
    /// [`Email::set_aside`]).
    pub body: String,
    /// The `Message-ID` header, without its angle brackets: the same
    /// e-mail taken in twice has the same one.
    pub message_id: Option<String>,
    /// Lines that are not the request: shown to the officer as "not taken
    /// as a question", in the order they came.
    pub set_aside: Vec<SetAside>,
    /// The message this e-mail forwards, if it forwards one.
    pub forwarded: Option<Forwarded>,
    /// Files attached (not the text Lantern reads).
    pub attachments: Vec<Attachment>,
    /// Text Lantern could not read (a character set it does not know, a
    /// broken encoding), for the officer.
    pub unread: Vec<Unread>,
}

/// Lines of an e-mail that are not the request, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// What they are.
    pub kind: Aside,
    /// The lines, as written.
    pub text: String,
}

/// What set-aside lines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aside {
    /// The notice WhatDoTheyKnow adds under each request (reply address,
    /// "wrong address" form, disclaimer, links to the site).
    WhatDoTheyKnowFooter,
    /// An earlier message quoted in a reply (`> …`, "On … wrote:",
    /// "-----Original Message-----").
    QuotedReply,
    /// What the person forwarding the request wrote above it.
    ForwardingNote,
    /// The forwarded message's header lines (From, Date or Sent, To,
    /// Subject).
    ForwardHeader,
}

impl Aside {
    /// Words for the officer.
    pub fn describe(self) -> &'static str {
        match self {
            Aside::WhatDoTheyKnowFooter => "WhatDoTheyKnow footer",
            Aside::QuotedReply => "quoted earlier message",
            Aside::ForwardingNote => "note from whoever forwarded the request",
            Aside::ForwardHeader => "header of the forwarded message",
        }
    }

    /// A short code (JSON, history).
    pub fn code(self) -> &'static str {
        match self {
            Aside::WhatDoTheyKnowFooter => "whatdotheyknow_footer",
            Aside::QuotedReply => "quoted_reply",
            Aside::ForwardingNote => "forwarding_note",
            Aside::ForwardHeader => "forward_header",
        }
    }
}

/// How a message was forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardStyle {
    /// `---------- Forwarded message ---------` (Gmail and others).
    Marked,
    /// `Begin forwarded message:` (Apple Mail).
    BeginForwarded,
    /// A `From: … Sent: … To: … Subject: …` block (Outlook).
    Outlook,
    /// The original attached whole (`message/rfc822`).
    Attached,
}

/// The message an e-mail forwards: its sender and when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// How it was forwarded.
    pub style: ForwardStyle,
    /// The original sender's display name.
    pub from_name: Option<String>,
    /// The original sender's address.
    pub from_address: Option<String>,
    /// The day the original was sent, as its header gave it.
    pub date: Option<Date>,
    /// When the original was sent, when its header gave an offset.
    pub sent: Option<ZonedDateTime>,
}

/// A file attached to an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name, as the e-mail gives it (may be personal data).
    pub name: Option<String>,
    /// Its declared content type (`application/pdf`).
    pub content_type: String,
    /// Its bytes, decoded.
    pub bytes: Vec<u8>,
}

/// Text in an e-mail that Lantern could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// A character set Lantern does not know (its name as declared, at
    /// most 40 characters).
    Charset(String),
    /// Text that is not UTF-8 and declares no character set.
    Undeclared,
    /// A transfer encoding that is broken (which one).
    Encoding(String),
    /// An HTML body that could not be turned into text.
    Html,
    /// Parts nested more deeply than Lantern reads.
    TooDeep,
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::Charset(c) => write!(
                f,
                "its text is in the character set '{c}', which Lantern cannot read"
            ),
            Unread::Undeclared => {
                f.write_str("its text is not UTF-8 and does not say which character set it is in")
            }
            Unread::Encoding(e) => write!(f, "its text's {e} encoding is broken"),
            Unread::Html => f.write_str("its HTML text could not be read"),
            Unread::TooDeep => f.write_str("its parts are nested too deeply to read"),
        }
    }
}

/// Who a request is from and the day the council received it, as an
/// e-mail shows them ([`Email::receipt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The requester's name (personal data).
    pub requester_name: Option<String>,
    /// The requester's address (personal data).
    pub requester_address: Option<String>,
    /// The day the council received it, in the council's time zone; `None`
    /// when the e-mail does not say.
    pub received: Option<Date>,
    /// Forwarded to the council by another body: the council's clock runs
    /// from its own receipt.
    pub transferred: bool,
    /// What the officer should know about how the requester and the day
    /// were found (no personal data: domains, dates, never names).
    pub notes: Vec<String>,
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

    /// The day this e-mail arrived in `zone` (the council's): the `Date`
    /// header's instant on the council's clock, or the day it names when it
    /// gives no time.
    pub fn date_in(&self, zone: &TimeZone) -> Option<Date> {
        self.sent
            .as_ref()
            .map(|s| s.with_time_zone(zone.clone()).date())
            .or(self.date)
    }

    /// Who the request is from and the day the council received it.
    ///
    /// An e-mail that forwards another: the requester is the original
    /// sender. The day received depends on who forwarded it, known by the
    /// council's own e-mail address (`council_email`, its domain):
    /// - someone at the council (the same domain, or a subdomain of it):
    ///   the day the original reached the council;
    /// - the requester (the same address as the original's sender): the
    ///   day of this e-mail;
    /// - anyone else: a request transferred from another body, whose clock
    ///   runs from the council's own receipt, the day of this e-mail;
    /// - with no council address to compare: the original's day (the
    ///   earlier, so no deadline is missed), and the officer is asked to
    ///   check.
    pub fn receipt(&self, zone: &TimeZone, council_email: Option<&str>) -> Receipt {
        let own_day = self.date_in(zone);
        let Some(fwd) = &self.forwarded else {
            return Receipt {
                requester_name: self.from_name.clone(),
                requester_address: self.from_address.clone(),
                received: own_day,
                transferred: false,
                notes: Vec::new(),
            };
        };
        let original_day = fwd
            .sent
            .as_ref()
            .map(|s| s.with_time_zone(zone.clone()).date())
            .or(fwd.date);
        let mut receipt = Receipt {
            requester_name: fwd.from_name.clone().or_else(|| self.from_name.clone()),
            requester_address: fwd
                .from_address
                .clone()
                .or_else(|| self.from_address.clone()),
            received: own_day,
            transferred: false,
            notes: Vec::new(),
        };
        let day = |d: Option<Date>| d.map_or("an unknown day".to_string(), |d| d.to_string());
        let forwarder = self.from_address.as_deref().and_then(domain_of);
        let council = council_email.and_then(domain_of);
        let same_sender = match (&self.from_address, &fwd.from_address) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        if same_sender {
            receipt.notes.push(format!(
                "the requester forwarded their own e-mail of {}; the day received is that of this e-mail ({}) unless the council received the earlier one",
                day(original_day),
                day(own_day)
            ));
            return receipt;
        }
        match (forwarder, council) {
            (Some(f), Some(c)) if within(&f, &c) => {
                receipt.received = original_day.or(own_day);
                receipt.notes.push(format!(
                    "forwarded within the council ({f}) on {}: the day received is the day the original reached the council, {}",
                    day(own_day),
                    day(original_day)
                ));
                if original_day.is_none() {
                    receipt.notes.push(
                        "the forwarded message's date could not be read: check the day the council first received it".into(),
                    );
                }
            }
            (Some(f), Some(_)) => {
                receipt.transferred = true;
                receipt.notes.push(format!(
                    "transferred from another body ({f}), which received it on {}: the council's clock runs from its own receipt, {}",
                    day(original_day),
                    day(own_day)
                ));
            }
            _ => {
                receipt.received = original_day.or(own_day);
                receipt.notes.push(format!(
                    "forwarded on {}; Lantern cannot tell whether the forwarder is at the council (no council e-mail address is set: `lantern council set --email`), so the original's day, {}, is taken: check it",
                    day(own_day),
                    day(original_day)
                ));
            }
        }
        receipt
    }
}

/// The domain of an address, lower case.
fn domain_of(address: &str) -> Option<String> {
    let (_, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('>').to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Whether `domain` is `council` or a subdomain of it.
fn within(domain: &str, council: &str) -> bool {
    domain == council || domain.ends_with(&format!(".{council}"))
}

/// Header names that mark the start of an e-mail rather than plain text.
const KNOWN_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "date",
    "subject",
    "received",
    "return-path",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "reply-to",
    "delivered-to",
    "x-mailer",
];

/// Read an e-mail: an `.eml` message, or plain text (then the whole text is
/// the body). A file that is neither (a PDF, a spreadsheet, an image, any
/// binary file) is refused with what it looks like.
pub fn parse_email(raw: &[u8]) -> Result<Email, IntakeError> {
    if raw.len() > MAX_EMAIL_BYTES {
        return Err(IntakeError::TooLarge {
            size: raw.len(),
            limit: MAX_EMAIL_BYTES,
        });
    }
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    if !starts_with_headers(raw) {
        return plain_text(raw);
    }
    parse_message(raw, 0)
}

/// The subject line [`parse_email`] would read from `raw`, reading only the
/// headers: `Ok(None)` for plain text and for a message without a subject,
/// an error where [`parse_email`] refuses plain text (not text, too large,
/// not UTF-8, empty) or the headers do not parse. A list of cases shows
/// each one's subject without reading every body.
pub fn subject_line(raw: &[u8]) -> Result<Option<String>, IntakeError> {
    if raw.len() > MAX_EMAIL_BYTES {
        return Err(IntakeError::TooLarge {
            size: raw.len(),
            limit: MAX_EMAIL_BYTES,
        });
    }
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    if !starts_with_headers(raw) {
        if let Some(what) = not_text(raw) {
            return Err(IntakeError::NotAnEmail { looks_like: what });
        }
        check_size(raw.len())?;
        let text = std::str::from_utf8(raw).map_err(|e| IntakeError::NotUtf8 {
            offset: e.valid_up_to(),
        })?;
        if text.trim().is_empty() {
            return Err(IntakeError::EmptyBody);
        }
        return Ok(None);
    }
    let (headers, _) = mailparse::parse_headers(raw).map_err(|e| IntakeError::BadEncoding {
        encoding: "MIME".into(),
        reason: e.to_string(),
    })?;
    Ok(headers
        .get_first_value("Subject")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// Plain text (or an HTML page) given as the request.
fn plain_text(raw: &[u8]) -> Result<Email, IntakeError> {
    if let Some(what) = not_text(raw) {
        return Err(IntakeError::NotAnEmail { looks_like: what });
    }
    check_size(raw.len())?;
    let text = std::str::from_utf8(raw).map_err(|e| IntakeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(IntakeError::EmptyBody);
    }
    let lower = text
        .trim_start()
        .get(..14)
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut email = Email::default();
    let text = if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        match html_to_text(text) {
            Some(t) => t,
            None => {
                email.unread.push(Unread::Html);
                String::new()
            }
        }
    } else {
        normalise(text)
    };
    read_text(&mut email, &text);
    Ok(email)
}

/// What a file that is not text looks like, from its first bytes.
fn not_text(raw: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF document"),
        (
            b"PK\x03\x04",
            "a ZIP archive or an Office document (Word, Excel)",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an Outlook .msg file or an old Office document",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"{\\rtf", "an RTF document"),
        (b"\x1F\x8B", "a gzip archive"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| raw.starts_with(m)) {
        return Some(what);
    }
    raw.iter()
        .take(64 * 1024)
        .any(|b| *b == 0)
        .then_some("a binary file")
}

/// Whether the bytes start with a block of header lines (at least one of
/// them a well-known e-mail header), ended by a blank line or the end.
fn starts_with_headers(raw: &[u8]) -> bool {
    let mut known = false;
    let mut any = false;
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return known;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if !any {
                return false;
            }
            continue;
        }
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|b| (b'!'..=b'~').contains(b)) {
            return false;
        }
        any = true;
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        known |= KNOWN_HEADERS.contains(&name.as_str());
    }
    known
}

/// How many multipart boundaries the message declares (a bound on its
/// nesting, checked before it is parsed).
fn boundaries(raw: &[u8]) -> usize {
    let needle = b"boundary";
    raw.windows(needle.len())
        .filter(|w| w.eq_ignore_ascii_case(needle))
        .count()
}

fn parse_message(raw: &[u8], depth: usize) -> Result<Email, IntakeError> {
    if boundaries(raw) > MAX_BOUNDARIES {
        return Err(IntakeError::BadEncoding {
            encoding: "MIME".into(),
            reason: format!("more than {MAX_BOUNDARIES} multipart sections"),
        });
    }
    let mail = mailparse::parse_mail(raw).map_err(|e| IntakeError::BadEncoding {
        encoding: "MIME".into(),
        reason: e.to_string(),
    })?;
    let headers = &mail.headers;
    let (from_name, from_address) = mailbox(&mail, "From");
    let date_header = headers.get_first_value("Date");
    let sent = date_header.as_deref().and_then(header_instant);
    let date = sent
        .as_ref()
        .map(ZonedDateTime::date)
        .or_else(|| date_header.as_deref().and_then(day_in_words));
    let mut email = Email {
        subject: headers
            .get_first_value("Subject")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        from_name,
        from_address,
        date,
        sent,
        unreadable_date: date_header
            .as_deref()
            .filter(|_| date.is_none())
            .map(quote_prefix),
        message_id: headers
            .get_first_value("Message-ID")
            .map(|m| {
                m.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim()
                    .to_string()
            })
            .filter(|m| !m.is_empty()),
        ..Email::default()
    };
    let mut found = Found::default();
    walk(&mail, depth, &mut found);
    email.attachments = found.attachments;
    email.unread = found.unread;
    let text = match (found.plain, found.html) {
        (Some(plain), _) => plain,
        (None, Some(html)) => match html_to_text(&html) {
            Some(t) => t,
            None => {
                email.unread.push(Unread::Html);
                String::new()
            }
        },
        (None, None) => String::new(),
    };
    check_size(text.len())?;
    // A message attached whole, under a short note or none: the request is
    // the attached message.
    let attached = found.messages.into_iter().next();
    match attached {
        Some(inner) if !asks_anything(&text) => {
            let note = text.trim();
            if !note.is_empty() {
                email.set_aside.push(SetAside {
                    kind: Aside::ForwardingNote,
                    text: note.to_string(),
                });
            }
            email.forwarded = Some(Forwarded {
                style: ForwardStyle::Attached,
                from_name: inner.from_name.clone(),
                from_address: inner.from_address.clone(),
                date: inner.date,
                sent: inner.sent.clone(),
            });
            email.body = inner.body;
            email.set_aside.extend(inner.set_aside);
            email.attachments.extend(inner.attachments);
            email.unread.extend(inner.unread);
        }
        other => {
            if let Some(inner) = other {
                email.attachments.push(Attachment {
                    name: inner.subject.clone().map(|s| format!("{s}.eml")),
                    content_type: "message/rfc822".into(),
                    bytes: inner.raw,
                });
            }
            read_text(&mut email, &text);
        }
    }
    Ok(email)
}

/// A message attached to another.
struct Inner {
    subject: Option<String>,
    from_name: Option<String>,
    from_address: Option<String>,
    date: Option<Date>,
    sent: Option<ZonedDateTime>,
    body: String,
    set_aside: Vec<SetAside>,
    attachments: Vec<Attachment>,
    unread: Vec<Unread>,
    raw: Vec<u8>,
}

/// What the parts of a message hold.
#[derive(Default)]
struct Found {
    plain: Option<String>,
    html: Option<String>,
    attachments: Vec<Attachment>,
    messages: Vec<Inner>,
    unread: Vec<Unread>,
}

fn walk(part: &ParsedMail<'_>, depth: usize, found: &mut Found) {
    if depth > MAX_MIME_DEPTH {
        if !found.unread.contains(&Unread::TooDeep) {
            found.unread.push(Unread::TooDeep);
        }
        return;
    }
    let mime = part.ctype.mimetype.as_str();
    if mime.starts_with("multipart/") {
        for sub in &part.subparts {
            walk(sub, depth + 1, found);
        }
        return;
    }
    let disposition = part.get_content_disposition();
    let file_name = disposition
        .params
        .get("filename")
        .or_else(|| part.ctype.params.get("name"))
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let attached = disposition.disposition == DispositionType::Attachment;
    let bytes = match part.get_body_raw() {
        Ok(b) => b,
        Err(_) => {
            let encoding = part
                .headers
                .get_first_value("Content-Transfer-Encoding")
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            found.unread.push(Unread::Encoding(short(&encoding)));
            return;
        }
    };
    if mime == "message/rfc822" {
        if let Ok(inner) = parse_message(&bytes, depth + 1) {
            found.messages.push(Inner {
                subject: inner.subject,
                from_name: inner.from_name,
                from_address: inner.from_address,
                date: inner.date,
                sent: inner.sent,
                body: inner.body,
                set_aside: inner.set_aside,
                attachments: inner.attachments,
                unread: inner.unread,
                raw: bytes,
            });
        } else {
            found.attachments.push(Attachment {
                name: file_name,
                content_type: mime.to_string(),
                bytes,
            });
        }
        return;
    }
    let is_text = mime == "text/plain" || mime == "text/html";
    if attached || !is_text || (file_name.is_some() && mime != "text/html") {
        found.attachments.push(Attachment {
            name: file_name,
            content_type: mime.to_string(),
            bytes,
        });
        return;
    }
    let slot = if mime == "text/html" {
        &found.html
    } else {
        &found.plain
    };
    if slot.is_some() {
        // A second text part of the same kind: kept as an attachment so
        // nothing is lost.
        found.attachments.push(Attachment {
            name: file_name,
            content_type: mime.to_string(),
            bytes,
        });
        return;
    }
    match decode_charset(part.ctype.params.get("charset").map(String::as_str), &bytes) {
        Ok(text) => {
            let text = normalise(&text);
            if mime == "text/html" {
                found.html = Some(text);
            } else {
                found.plain = Some(text);
            }
        }
        Err(unread) => found.unread.push(unread),
    }
}

/// Text in the character set a part declares (none: UTF-8).
fn decode_charset(charset: Option<&str>, bytes: &[u8]) -> Result<String, Unread> {
    let Some(label) = charset.map(|c| c.trim().trim_matches('"')) else {
        return std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| Unread::Undeclared);
    };
    // "utf-8*en" names a language after the character set.
    let label = label.split('*').next().unwrap_or(label);
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes())
        .filter(|e| *e != encoding_rs::REPLACEMENT)
        .ok_or_else(|| Unread::Charset(short(label)))?;
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Ok(text.into_owned())
}

/// At most 40 printable characters of a value, for a message.
fn short(value: &str) -> String {
    value
        .chars()
        .take(40)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// `\r\n` and `\r` as `\n`; no-break spaces as spaces.
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\u{a0}', " ")
}

/// The text an HTML body shows: paragraphs, line breaks and list items as
/// lines, numbered lists numbered (so questions split as in a plain-text
/// e-mail); at most one blank line in a row.
fn html_to_text(html: &str) -> Option<String> {
    if html_depth(html) > MAX_HTML_DEPTH {
        return None;
    }
    let text = html2text::config::plain_no_decorate()
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), HTML_WIDTH)
        .ok()?;
    let mut tidy = String::new();
    let mut blank = true;
    for line in normalise(&text).lines().map(str::trim_end).map(own_marker) {
        if line.trim().is_empty() {
            if !blank {
                tidy.push('\n');
            }
            blank = true;
        } else {
            tidy.push_str(line);
            tidy.push('\n');
            blank = false;
        }
    }
    Some(tidy)
}

/// How deeply an HTML body's elements may nest (real e-mails stay far
/// below; deeper is refused before it is laid out, which would take time
/// that grows with the depth).
const MAX_HTML_DEPTH: usize = 200;

/// How deeply an HTML text's elements nest, roughly: opening tags less
/// closing ones, elements that never hold others not counted.
fn html_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "td", "tr", "th", "option",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|b| *b == b'<') {
        i += at + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = i + usize::from(closing);
        let end = bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |e| start + e);
        if end == start {
            continue;
        }
        let name = html[start..end].to_ascii_lowercase();
        let self_closing = bytes[end..]
            .iter()
            .position(|b| *b == b'>')
            .is_some_and(|gt| gt > 0 && bytes[end + gt - 1] == b'/');
        if closing {
            depth = depth.saturating_sub(usize::from(!VOID.contains(&name.as_str())));
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// A list item that carries its own marker (`<li>a) by age</li>`,
/// rendered `1. a) by age`): the item's marker, not the list's number.
fn own_marker(line: &str) -> &str {
    let trimmed = line.trim_start();
    let digits = trimmed.len()
        - trimmed
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    let Some(rest) = trimmed[digits..].strip_prefix(". ") else {
        return line;
    };
    if digits == 0 {
        return line;
    }
    let item = rest.trim_start();
    let marker_end = item.find([')', '.']).unwrap_or(0);
    let marker = item[..marker_end].trim_start_matches('(');
    let own = (1..=4).contains(&marker.len())
        && (marker.chars().all(|c| c.is_ascii_digit())
            || (marker.len() == 1 && marker.chars().all(|c| c.is_ascii_lowercase()))
            || marker.chars().all(|c| matches!(c, 'i' | 'v' | 'x')))
        && item[marker_end + 1..].starts_with(' ');
    let question = item.len() > 1
        && (item.starts_with('Q') || item.starts_with('q'))
        && item[1..].starts_with(|c: char| c.is_ascii_digit());
    if own || question { item } else { line }
}

/// The first mailbox of a header: (display name, address).
fn mailbox(mail: &ParsedMail<'_>, name: &str) -> (Option<String>, Option<String>) {
    let Some(header) = mail.headers.get_first_header(name) else {
        return (None, None);
    };
    let parsed = mailparse::addrparse_header(header).ok().and_then(|list| {
        list.iter().find_map(|a| match a {
            MailAddr::Single(s) => Some(s.clone()),
            MailAddr::Group(g) => g.addrs.first().cloned(),
        })
    });
    match parsed {
        Some(s) => (
            s.display_name
                .map(|n| n.trim().trim_matches('"').trim().to_string())
                .filter(|n| !n.is_empty()),
            Some(s.addr).filter(|a| !a.is_empty()),
        ),
        None => mailbox_in_words(&header.get_value()),
    }
}

/// A mailbox as written in a forwarded message's header lines: `Jane
/// Smith <jane@example.org>`, `Jane Smith [mailto:jane@example.org]`,
/// `jane@example.org`, or a name alone.
fn mailbox_in_words(value: &str) -> (Option<String>, Option<String>) {
    let v = value.trim().trim_matches('*').trim();
    let name = |s: &str| {
        let s = s.trim().trim_matches('"').trim_matches('\'').trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    for (open, close) in [("<", ">"), ("[mailto:", "]"), ("(", ")")] {
        if let Some(start) = v.find(open)
            && let Some(len) = v[start..].find(close)
        {
            let inner = &v[start + open.len()..start + len];
            let rest = format!("{}{}", &v[..start], &v[start + len + 1..]);
            if inner.contains('@') {
                return (name(&rest), name(inner.trim_start_matches("mailto:")));
            }
        }
    }
    if v.contains('@') && !v.contains(' ') {
        (None, name(v))
    } else {
        (name(v), None)
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

/// An RFC 2822 `Date` (`Mon, 10 Jun 2019 09:15:00 +0100 (BST)`), with its
/// offset. Lenient about the day of the week.
fn header_instant(value: &str) -> Option<ZonedDateTime> {
    static PARSER: jiff::fmt::rfc2822::DateTimeParser =
        jiff::fmt::rfc2822::DateTimeParser::new().relaxed_weekday(true);
    PARSER.parse_zoned_datetime(value.trim()).ok()
}

/// A day written in words or digits, as forwarded messages' headers and
/// hand-written `Date` headers give it: `Mon, 10 Jun 2019 at 09:15`,
/// `Monday, June 10, 2019 9:15 AM`, `10 June 2019 at 09:15:00 BST`,
/// `10/06/2019 09:15` (day first, as in the UK), `2019-06-10`.
fn day_in_words(value: &str) -> Option<Date> {
    let tokens: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let year = |t: &str| -> Option<i16> {
        let y: i16 = t.parse().ok()?;
        match (t.len(), y) {
            (2, 0..=49) => Some(2000 + y),
            (2, 50..=99) => Some(1900 + y),
            (4, _) => Some(y),
            _ => None,
        }
    };
    let day = |t: &str| -> Option<i8> {
        let t = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        (t.len() <= 2).then(|| t.parse().ok()).flatten()
    };
    let words = tokens.windows(3).find_map(|w| {
        if let (Some(d), Some(m), Some(y)) =
            (day(w[0]), month_number(&w[1].to_lowercase()), year(w[2]))
        {
            return Date::new(y, m, d).ok();
        }
        if let (Some(m), Some(d), Some(y)) =
            (month_number(&w[0].to_lowercase()), day(w[1]), year(w[2]))
        {
            return Date::new(y, m, d).ok();
        }
        None
    });
    words.or_else(|| {
        tokens.iter().find_map(|t| {
            if let Ok(d) = t.parse::<Date>() {
                return Some(d);
            }
            let parts: Vec<&str> = t.split(['/', '.']).collect();
            match parts.as_slice() {
                [d, m, y] => Date::new(year(y)?, m.parse().ok()?, day(d)?).ok(),
                _ => None,
            }
        })
    })
}

// ---------------------------------------------------------------------------
// The text: forwards, footers and quoted replies
// ---------------------------------------------------------------------------

/// Whether a text asks anything (a question mark, a numbered line, or
/// words that ask): a forwarding note does not.
fn asks_anything(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l.contains('?')
            || l.split_whitespace().next().is_some_and(|w| {
                w.len() <= 4
                    && w.trim_end_matches(['.', ')', ':']).parse::<u32>().is_ok()
                    && w.ends_with(['.', ')', ':'])
            })
            || {
                let lower = l.to_lowercase();
                [
                    "please provide",
                    "please tell",
                    "please send",
                    "i would like",
                    "could you",
                ]
                .iter()
                .any(|p| lower.contains(p))
            }
    })
}

/// Read the e-mail's text into its body and the lines set aside: a
/// forwarded message (the innermost, when forwarded again) becomes the
/// body, with the note above it and its header lines set aside; then
/// footers and quoted text are set aside.
fn read_text(email: &mut Email, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0;
    // Forwards, outermost first; the request is the innermost.
    while let Some(fwd) = find_forward(&lines[start..], email, start == 0) {
        let at = start + fwd.marker;
        let note = lines[start..at].join("\n");
        if !note.trim().is_empty() {
            email.set_aside.push(SetAside {
                kind: Aside::ForwardingNote,
                text: note.trim().to_string(),
            });
        }
        let header_end = start + fwd.body;
        email.set_aside.push(SetAside {
            kind: Aside::ForwardHeader,
            text: lines[at..header_end].join("\n").trim().to_string(),
        });
        email.forwarded = Some(fwd.forwarded);
        start = header_end;
    }
    let (body, aside) = set_aside(&lines[start..]);
    email.body = body;
    email.set_aside.extend(aside);
}

/// A forward found in a text: where its marker is, where the forwarded
/// text starts, and what its header lines say.
struct ForwardAt {
    marker: usize,
    body: usize,
    forwarded: Forwarded,
}

/// Header lines a forwarded message's block may hold.
const FORWARD_KEYS: &[&str] = &["from", "sent", "date", "to", "cc", "subject", "reply-to"];

/// `*From:* Jane` → ("from", "Jane").
fn key_line(line: &str) -> Option<(String, &str)> {
    let l = line.trim().trim_start_matches(['*', '>', ' ']);
    let (key, value) = l.split_once(':')?;
    let key = key.trim().trim_end_matches('*').trim().to_ascii_lowercase();
    FORWARD_KEYS
        .contains(&key.as_str())
        .then(|| (key, value.trim().trim_start_matches('*').trim()))
}

fn find_forward(lines: &[&str], email: &Email, outermost: bool) -> Option<ForwardAt> {
    let subject_forwards = outermost
        && email.subject.as_deref().is_some_and(|s| {
            let s = s.trim_start().to_ascii_lowercase();
            s.starts_with("fw:") || s.starts_with("fwd:") || s.starts_with("fw ")
        });
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim().to_ascii_lowercase();
        let style = if l.starts_with("---") && l.contains("forwarded message") {
            Some((ForwardStyle::Marked, i + 1))
        } else if l.starts_with("begin forwarded message") {
            Some((ForwardStyle::BeginForwarded, i + 1))
        } else if (l.starts_with("-----original message")
            || (l.len() >= 20 && l.chars().all(|c| c == '_')))
            && key_line(lines.get(i + 1).copied().unwrap_or("")).is_some()
        {
            let before = lines[..i].join("\n");
            (subject_forwards || !asks_anything(&before)).then_some((ForwardStyle::Outlook, i + 1))
        } else if key_line(line).is_some_and(|(k, _)| k == "from") && outlook_block(&lines[i..]) {
            let before = lines[..i].join("\n");
            (subject_forwards || !asks_anything(&before)).then_some((ForwardStyle::Outlook, i))
        } else {
            None
        };
        let Some((style, first_header)) = style else {
            continue;
        };
        // The header lines, up to the first blank line after them.
        let mut j = first_header;
        while j < lines.len() && lines[j].trim().is_empty() {
            j += 1;
        }
        let mut forwarded = Forwarded {
            style,
            from_name: None,
            from_address: None,
            date: None,
            sent: None,
        };
        while j < lines.len() && !lines[j].trim().is_empty() {
            if let Some((key, value)) = key_line(lines[j]) {
                match key.as_str() {
                    "from" => {
                        (forwarded.from_name, forwarded.from_address) = mailbox_in_words(value)
                    }
                    "sent" | "date" => {
                        forwarded.sent = header_instant(value);
                        forwarded.date = forwarded
                            .sent
                            .as_ref()
                            .map(ZonedDateTime::date)
                            .or_else(|| day_in_words(value));
                    }
                    _ => {}
                }
            }
            j += 1;
        }
        return Some(ForwardAt {
            marker: i,
            body: j,
            forwarded,
        });
    }
    None
}

/// Whether the lines start with an Outlook header block: From, then Sent
/// (or Date) and Subject within the next few lines.
fn outlook_block(lines: &[&str]) -> bool {
    let keys: Vec<String> = lines
        .iter()
        .take(7)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| key_line(l).map(|(k, _)| k))
        .collect();
    keys.iter().any(|k| k == "sent" || k == "date") && keys.iter().any(|k| k == "subject")
}

/// Phrases that start the notice WhatDoTheyKnow adds under a request.
const WDTK_FOOTER: &[&str] = &[
    "please use this email address for all replies to this request",
    "the wrong address for freedom of information requests",
    "disclaimer: this message and any reply that you make will be published",
];

fn is_wdtk_footer(line: &str) -> bool {
    let l = line.to_lowercase();
    WDTK_FOOTER.iter().any(|p| l.contains(p))
}

/// A line that is only a link to, or an address at, WhatDoTheyKnow.
fn is_wdtk_link(line: &str) -> bool {
    let l = line.trim().to_lowercase();
    l.contains("whatdotheyknow.com") && !l.contains(' ')
}

/// "On Mon, 10 Jun 2019 at 09:15, Jane <…> wrote:" (perhaps over two
/// lines): how many lines it takes, if it starts here.
fn on_wrote(lines: &[&str]) -> Option<usize> {
    let first = lines.first()?.trim().to_lowercase();
    if !first.starts_with("on ") {
        return None;
    }
    if first.ends_with("wrote:") {
        return Some(1);
    }
    let second = lines.get(1)?.trim().to_lowercase();
    (second.ends_with("wrote:") && !second.is_empty()).then_some(2)
}

fn is_separator(line: &str) -> bool {
    let l = line.trim();
    l.len() >= 5 && l.chars().all(|c| c == '-' || c == '_' || c == '=')
}

/// The body without the lines that are not the request, and those lines
/// in runs, each with what it is.
fn set_aside(lines: &[&str]) -> (String, Vec<SetAside>) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Body,
        Footer,
        Quoted,
    }
    fn push(kind: Aside, line: &str, runs: &mut Vec<(Aside, Vec<String>)>) {
        match runs.last_mut() {
            Some((k, held)) if *k == kind => held.push(line.to_string()),
            _ => runs.push((kind, vec![line.to_string()])),
        }
    }
    let mut state = State::Body;
    let mut body: Vec<&str> = Vec::new();
    let mut held: Vec<(Aside, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if state != State::Quoted {
            if let Some(n) = on_wrote(&lines[i..]) {
                state = State::Quoted;
                for l in &lines[i..i + n] {
                    push(Aside::QuotedReply, l, &mut held);
                }
                i += n;
                continue;
            }
            if line
                .trim()
                .to_lowercase()
                .starts_with("-----original message")
            {
                state = State::Quoted;
            }
        }
        if state == State::Body && is_wdtk_footer(line) {
            state = State::Footer;
            // The separator line and blank lines above it belong to the footer.
            let mut moved = Vec::new();
            while let Some(last) = body.last() {
                if last.trim().is_empty() || is_separator(last) {
                    moved.push(body.pop().unwrap_or_default());
                } else {
                    break;
                }
            }
            for l in moved.into_iter().rev() {
                push(Aside::WhatDoTheyKnowFooter, l, &mut held);
            }
        }
        match state {
            State::Footer => push(Aside::WhatDoTheyKnowFooter, line, &mut held),
            State::Quoted => push(Aside::QuotedReply, line, &mut held),
            State::Body if line.trim_start().starts_with('>') => {
                push(Aside::QuotedReply, line, &mut held)
            }
            State::Body if is_wdtk_link(line) => push(Aside::WhatDoTheyKnowFooter, line, &mut held),
            State::Body => body.push(line),
        }
        i += 1;
    }
    let aside = held
        .into_iter()
        .filter_map(|(kind, lines)| {
            let text = lines.join("\n").trim().to_string();
            (!text.is_empty()).then_some(SetAside { kind, text })
        })
        .collect();
    (body.join("\n"), aside)
}

#[cfg(test)]
mod earlier_tests {
    use super::*;
    use crate::understand::tests::*;
    use crate::understand::*;

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
        let err = parse_email(b"  \n\n ").unwrap_err();
        assert!(err.to_string().contains("no body text"), "{err}");
        // An e-mail with headers and no text is still an e-mail: its case
        // is opened with its questions to enter.
        let headers_only = b"From: a@example.org\r\nSubject: FOI\r\n\r\n\r\n";
        assert_eq!(parse_email(headers_only).unwrap().body.trim(), "");
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
        // With no text at all, the e-mail is still read: its parts are
        // kept as attachments and its body is empty.
        let image_only = html_only.replace("text/html", "image/gif");
        let email = parse_email(image_only.as_bytes()).unwrap();
        assert_eq!(email.body, "");
        let types: Vec<&str> = email
            .attachments
            .iter()
            .map(|a| a.content_type.as_str())
            .collect();
        assert_eq!(types, ["image/gif", "image/png"]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understand::split_questions;

    fn fixture(name: &str) -> Email {
        let path = format!("{}/tests/email/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        parse_email(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").expect("bundled tz database")
    }

    fn day(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn texts(email: &Email) -> Vec<String> {
        split_questions(&email.body)
            .expect("questions")
            .into_iter()
            .map(|q| format!("{} {}", q.number, q.text))
            .collect()
    }

    fn aside(email: &Email, kind: Aside) -> String {
        email
            .set_aside
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn an_html_list_in_windows_1252_becomes_numbered_questions() {
        let email = fixture("html-list-windows-1252.eml");
        assert_eq!(
            texts(&email),
            [
                "1 How many adults were in treatment for alcohol in 2019/20?",
                "2 What was the council’s budget for drug and alcohol services in 2019/20 (£)?",
                "3 How many people completed treatment in 2019/20 – by substance?",
            ]
        );
        assert!(email.body.contains("council’s area"), "{}", email.body);
        assert!(!email.body.contains("margin"), "styles are not text");
    }

    #[test]
    fn iso_8859_15_is_not_read_as_latin_1() {
        let email = fixture("iso-8859-15.eml");
        assert!(email.body.contains("in € or £?"), "{}", email.body);
        assert!(!email.body.contains('¤'));
    }

    #[test]
    fn encoded_word_headers_are_decoded() {
        let email = fixture("encoded-words.eml");
        assert_eq!(
            email.subject.as_deref(),
            Some("FOI request – drug and alcohol treatment")
        );
        assert_eq!(email.from_name.as_deref(), Some("Seán Ó Ceallaigh"));
        assert_eq!(email.from_address.as_deref(), Some("sean@example.invalid"));
    }

    #[test]
    fn the_date_keeps_its_zone_and_the_day_received_is_the_councils() {
        // 23:30 UTC on 9 June is 00:30 on 10 June in London (summer time).
        let email = fixture("midnight-summer.eml");
        assert_eq!(email.date, Some(day("2019-06-09")), "the sender's day");
        let sent = email.sent.clone().expect("instant");
        assert_eq!(sent.offset(), jiff::tz::Offset::UTC);
        assert_eq!(email.date_in(&london()), Some(day("2019-06-10")));
        assert_eq!(
            email
                .receipt(&london(), Some("foi@leicester.gov.uk"))
                .received,
            Some(day("2019-06-10"))
        );
        // In winter London is on UTC: 23:30 stays the same day.
        let winter = parse_email(
            b"From: a@example.invalid\nDate: Sat, 30 Nov 2019 23:30:00 +0000\n\n1. How many?\n",
        )
        .expect("email");
        assert_eq!(winter.date_in(&london()), Some(day("2019-11-30")));
        // Sent just after midnight in summer time: 9 June 23:30 UTC.
        let early = parse_email(
            b"From: a@example.invalid\nDate: Mon, 10 Jun 2019 00:30:00 +0100\n\n1. How many?\n",
        )
        .expect("email");
        assert_eq!(early.date_in(&london()), Some(day("2019-06-10")));
        assert_eq!(
            early.date_in(&TimeZone::UTC),
            Some(day("2019-06-09")),
            "on UTC it was still the day before"
        );
    }

    #[test]
    fn a_date_without_a_zone_or_in_words_gives_its_day() {
        let email = parse_email(b"From: a@example.invalid\nDate: 10 June 2019\n\n1. How many?\n")
            .expect("email");
        assert_eq!(email.sent, None);
        assert_eq!(email.date_in(&london()), Some(day("2019-06-10")));
        let bad =
            parse_email(b"From: a@example.invalid\nDate: soon\n\n1. How many?\n").expect("email");
        assert_eq!(bad.date, None);
        assert_eq!(bad.unreadable_date.as_deref(), Some("soon"));
    }

    #[test]
    fn a_whatdotheyknow_footer_is_set_aside_not_a_question() {
        let email = fixture("whatdotheyknow.eml");
        assert_eq!(
            texts(&email),
            [
                "1 How many residential rehab placements did the council fund in 2018/19?",
                "2 How many people were in treatment for opiates in 2018/19?",
            ]
        );
        let footer = aside(&email, Aside::WhatDoTheyKnowFooter);
        for words in [
            "Please use this email address for all replies to this request",
            "the wrong address for Freedom of Information requests",
            "Disclaimer: This message and any reply",
            "https://www.whatdotheyknow.com/help/officers",
            "If you find this service useful",
        ] {
            assert!(footer.contains(words), "{words} in {footer}");
            assert!(!email.body.contains(words), "{words} not in the body");
        }
        assert!(
            email.body.contains("Yours faithfully"),
            "the sign-off stays for splitting"
        );
    }

    #[test]
    fn quoted_replies_are_set_aside_not_questions() {
        let email = fixture("quoted-reply.eml");
        assert_eq!(
            texts(&email),
            [
                "1 Further to your answer, could you tell me how many people were in treatment for alcohol in 2018/19?"
            ]
        );
        let quoted = aside(&email, Aside::QuotedReply);
        assert!(quoted.contains("> 1. Is the budget for rehab held within public health?"));
        assert!(quoted.contains("wrote:"));
        assert!(quoted.contains("> How many staff work in the team?"));
        assert!(!email.body.contains("How many staff"));
    }

    fn assert_forward_within_council(name: &str, style: ForwardStyle, original: &str) {
        let email = fixture(name);
        let fwd = email
            .forwarded
            .clone()
            .unwrap_or_else(|| panic!("{name}: a forward"));
        assert_eq!(fwd.style, style, "{name}");
        assert_eq!(
            fwd.from_address.as_deref(),
            Some("requester@example.invalid"),
            "{name}"
        );
        assert_eq!(fwd.from_name.as_deref(), Some("A Requester"), "{name}");
        let receipt = email.receipt(&london(), Some("info.requests@leicester.gov.uk"));
        assert_eq!(
            receipt.requester_address.as_deref(),
            Some("requester@example.invalid")
        );
        assert_eq!(receipt.requester_name.as_deref(), Some("A Requester"));
        assert_eq!(
            receipt.received,
            Some(day(original)),
            "{name}: the council's first receipt"
        );
        assert!(!receipt.transferred);
        assert!(
            receipt.notes.iter().any(
                |n| n.contains("forwarded within the council (leicester.gov.uk) on 2019-06-13")
            ),
            "{name}: {:?}",
            receipt.notes
        );
        assert!(
            receipt
                .notes
                .iter()
                .all(|n| !n.contains("Requester") && !n.contains("Colleague")),
            "no names in notes"
        );
        assert_eq!(
            texts(&email),
            ["1 How many adults were in treatment in 2019/20?"],
            "{name}"
        );
        if style != ForwardStyle::Attached {
            assert!(!aside(&email, Aside::ForwardHeader).is_empty(), "{name}");
        }
        assert!(
            !aside(&email, Aside::ForwardingNote).is_empty(),
            "{name}: the note is shown"
        );
    }

    #[test]
    fn forwards_within_the_council_take_the_original_sender_and_day() {
        assert_forward_within_council("forward-marked.eml", ForwardStyle::Marked, "2019-06-10");
        assert_forward_within_council(
            "forward-apple.eml",
            ForwardStyle::BeginForwarded,
            "2019-06-10",
        );
        assert_forward_within_council("forward-outlook.eml", ForwardStyle::Outlook, "2019-06-10");
        // Attached whole: its own Date header, 23:30 UTC, is 10 June in London.
        assert_forward_within_council("forward-attached.eml", ForwardStyle::Attached, "2019-06-10");
    }

    #[test]
    fn a_request_transferred_from_another_body_runs_from_the_councils_receipt() {
        let email = fixture("transferred.eml");
        let receipt = email.receipt(&london(), Some("info.requests@leicester.gov.uk"));
        assert!(receipt.transferred);
        assert_eq!(receipt.received, Some(day("2019-06-17")));
        assert_eq!(
            receipt.requester_address.as_deref(),
            Some("requester@example.invalid")
        );
        assert!(
            receipt.notes[0].contains("transferred from another body (trust.example.nhs.uk), which received it on 2019-06-10"),
            "{:?}",
            receipt.notes
        );
        assert_eq!(
            texts(&email),
            ["1 How many adults were in treatment for alcohol in 2019/20?"]
        );
        assert!(aside(&email, Aside::ForwardingNote).contains("transferring the request"));
        // Without the council's address Lantern cannot tell: the earlier
        // day, and the officer is asked to check.
        let unknown = email.receipt(&london(), None);
        assert!(!unknown.transferred);
        assert_eq!(unknown.received, Some(day("2019-06-10")));
        assert!(unknown.notes[0].contains("check it"));
    }

    #[test]
    fn a_reply_quoting_an_outlook_message_is_not_a_forward() {
        let email = parse_email(
            b"From: a@example.invalid\nSubject: RE: FOI\nDate: Mon, 10 Jun 2019 09:15:00 +0100\n\n1. How many adults were in treatment in 2019/20?\n\n-----Original Message-----\nFrom: FOI <foi@leicester.gov.uk>\nSent: 01 June 2019 10:00\nSubject: FOI\n\n2. How many staff?\n",
        )
        .expect("email");
        assert_eq!(email.forwarded, None);
        assert_eq!(
            texts(&email),
            ["1 How many adults were in treatment in 2019/20?"]
        );
        assert!(aside(&email, Aside::QuotedReply).contains("2. How many staff?"));
    }

    #[test]
    fn attachments_are_kept_and_an_attachment_only_email_is_read() {
        let email = fixture("attachment-only.eml");
        assert_eq!(email.body, "");
        assert_eq!(email.attachments.len(), 1);
        let a = &email.attachments[0];
        assert_eq!(a.name.as_deref(), Some("request.pdf"));
        assert_eq!(a.content_type, "application/pdf");
        assert!(a.bytes.starts_with(b"%PDF-1.4"));
    }

    #[test]
    fn an_unknown_charset_is_reported_not_refused() {
        let email = fixture("unknown-charset.eml");
        assert_eq!(email.body, "");
        assert_eq!(email.unread, [Unread::Charset("x-unheard-of".into())]);
        assert_eq!(
            email.unread[0].to_string(),
            "its text is in the character set 'x-unheard-of', which Lantern cannot read"
        );
        let undeclared =
            parse_email(b"From: a@example.invalid\nContent-Type: text/plain\n\nCaf\xe9?\n")
                .expect("email");
        assert_eq!(undeclared.unread, [Unread::Undeclared]);
    }

    #[test]
    fn a_file_that_is_not_an_email_is_refused_with_what_it_looks_like() {
        for (bytes, what) in [
            (&b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"[..], "a PDF document"),
            (&b"PK\x03\x04\x14\x00\x06\x00"[..], "Office document"),
            (
                &b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"[..],
                "Outlook .msg",
            ),
            (&b"\x89PNG\r\n\x1a\n"[..], "a PNG image"),
            (&b"some text\x00\x01\x02"[..], "a binary file"),
        ] {
            let err = parse_email(bytes).expect_err("not an e-mail");
            assert!(matches!(err, IntakeError::NotAnEmail { .. }), "{err:?}");
            assert!(err.to_string().contains(what), "{err}");
        }
        assert_eq!(
            parse_email(b" \n\n").expect_err("empty"),
            IntakeError::EmptyBody
        );
    }

    #[test]
    fn nesting_and_size_are_bounded() {
        let mut nested =
            String::from("From: a@example.invalid\nContent-Type: multipart/mixed; boundary=b0\n\n");
        for i in 1..200 {
            nested.push_str(&format!(
                "--b{}\nContent-Type: multipart/mixed; boundary=b{i}\n\n",
                i - 1
            ));
        }
        let err = parse_email(nested.as_bytes()).expect_err("too many sections");
        assert!(err.to_string().contains("multipart sections"), "{err}");
        let huge = vec![b'a'; MAX_EMAIL_BYTES + 1];
        assert!(matches!(
            parse_email(&huge),
            Err(IntakeError::TooLarge { .. })
        ));
        let long_text = vec![b'a'; crate::understand::MAX_INPUT_BYTES + 1];
        assert!(matches!(
            parse_email(&long_text),
            Err(IntakeError::TooLarge { .. })
        ));
    }

    #[test]
    fn forwarded_header_dates_in_words() {
        for (text, want) in [
            ("Mon, 10 Jun 2019 at 09:15", "2019-06-10"),
            ("Monday, June 10, 2019 9:15 AM", "2019-06-10"),
            ("10 June 2019 at 09:15:00 BST", "2019-06-10"),
            ("10/06/2019 09:15", "2019-06-10"),
            ("2019-06-10", "2019-06-10"),
            ("Thursday, 1st August 2019 10:00", "2019-08-01"),
        ] {
            assert_eq!(day_in_words(text), Some(day(want)), "{text}");
        }
        assert_eq!(day_in_words("next Tuesday"), None);
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;

    #[test]
    fn deeply_nested_html_is_reported_unreadable_not_laid_out() {
        for (open, close) in [
            ("<div>", "</div>"),
            ("<ol><li>", "</li></ol>"),
            ("<table><tr><td>", "</td></tr></table>"),
            ("<b>", "</b>"),
        ] {
            let depth = 900 * 1024 / (open.len() + close.len());
            let html = format!(
                "From: a@example.invalid\nContent-Type: text/html\n\n{}1. How many?{}",
                open.repeat(depth),
                close.repeat(depth)
            );
            let email = parse_email(html.as_bytes()).expect("an e-mail");
            assert_eq!(email.unread, [Unread::Html], "{open}");
        }
        // Nesting as real e-mails have it is read.
        let html = format!(
            "From: a@example.invalid\nContent-Type: text/html\n\n{}<ol><li>How many?</li></ol>{}",
            "<div><table><tr><td>".repeat(95),
            "</td></tr></table></div>".repeat(95)
        );
        let email = parse_email(html.as_bytes()).expect("an e-mail");
        assert!(email.body.contains("1. How many?"), "{}", email.body);
        // Many elements side by side are read too.
        let html = format!(
            "From: a@example.invalid\nContent-Type: text/html\n\n<ol>{}</ol>",
            "<li>How many?</li>".repeat(20_000)
        );
        let email = parse_email(html.as_bytes()).expect("an e-mail");
        assert!(email.body.contains("20000. How many?"));
    }

    #[test]
    fn html_depth_counts_elements_that_hold_others() {
        assert_eq!(html_depth("<p>a<br>b<img src=x/></p>"), 0);
        assert_eq!(html_depth("<div><span>a</span><span>b</span></div>"), 2);
        assert_eq!(html_depth("<div><div/></div>"), 1);
        assert_eq!(html_depth("a < b and </x> <"), 0);
    }
}
