//! E-mail intake: an `.eml` or plain text read into an [`Email`].

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::periods::month_number;
use super::words::listed;
use super::{IntakeError, check_size};

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
pub(super) const KNOWN_HEADERS: &str = "from to cc date subject received return-path message-id \
    mime-version content-type content-transfer-encoding reply-to delivered-to x-mailer";

/// How deeply multipart messages may nest.
pub(super) const MAX_MIME_DEPTH: usize = 5;

pub(super) type Headers = Vec<(String, String)>;

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

pub(super) fn with_body(email: Email) -> Result<Email, IntakeError> {
    if email.body.trim().is_empty() {
        return Err(IntakeError::EmptyBody);
    }
    Ok(email)
}

pub(super) fn utf8(bytes: &[u8]) -> Result<String, IntakeError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| IntakeError::NotUtf8 {
            offset: e.valid_up_to(),
        })
}

pub(super) fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

pub(super) fn header<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Lines of a byte string: (line without its end, offset of the next line).
pub(super) fn byte_lines(raw: &[u8]) -> Vec<(&[u8], usize, usize)> {
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

pub(super) fn is_header_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    colon > 0 && line[..colon].iter().all(|b| (b'!'..=b'~').contains(b))
}

/// The header block and the body after it, if `raw` starts with one. With
/// `require_known`, at least one well-known header must be present (so plain
/// text that happens to start `Note: …` is not taken for headers).
pub(super) fn header_block(
    raw: &[u8],
    require_known: bool,
) -> Result<Option<(Headers, &[u8])>, IntakeError> {
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
pub(super) fn content_type(headers: &Headers) -> (String, BTreeMap<String, String>) {
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
pub(super) fn entity_text(
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
pub(super) fn html_to_text(html: &str) -> String {
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
pub(super) fn decode_entities(text: &str) -> String {
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

pub(super) fn multipart_text(
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
pub(super) fn multipart_parts<'b>(body: &'b [u8], boundary: &str) -> Vec<&'b [u8]> {
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

pub(super) fn decode_transfer(encoding: &str, body: &[u8]) -> Result<Vec<u8>, IntakeError> {
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

pub(super) fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable (RFC 2045): `=XX` bytes and `=` soft line breaks.
pub(super) fn quoted_printable(input: &[u8]) -> Vec<u8> {
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

pub(super) fn base64(input: &[u8]) -> Result<Vec<u8>, String> {
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
pub(super) const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

pub(super) fn decode_charset(charset: Option<&str>, bytes: &[u8]) -> Result<String, IntakeError> {
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
pub(super) fn decode_words(value: &str) -> String {
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
pub(super) fn encoded_word(s: &str) -> Option<(String, usize)> {
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
pub(super) fn parse_mailbox(value: &str) -> (Option<String>, Option<String>) {
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
pub(super) fn quote_prefix(value: &str) -> String {
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
pub(super) fn parse_header_date(value: &str) -> Option<Date> {
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

#[cfg(test)]
mod tests {
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
