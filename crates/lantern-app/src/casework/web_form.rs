//! A request made by a member of the public through the web form
//! (`/make-a-request`): checked, throttled, taken in through the same
//! intake as an e-mail (understood question by question, the clock
//! starting on the day received in the council's time zone, the opening
//! event saying it came through the web form), and acknowledged: the
//! acknowledgement letter is queued in the outbox for the SMTP sender, or
//! for an officer to send by hand (`crate::outbox`).
//!
//! The requester's details are personal data, kept as a typed request's
//! are (the case's requester name and contact, erased by retention) and
//! nowhere else: the throttle keeps a keyed digest of the client's address
//! for one window ([`THROTTLE_WINDOW_MINUTES`]), never the address.
//!
//! The same text from the same address on the same day is the same
//! request: it opens no second case (the person is told the reference it
//! has), and is not acknowledged twice.

use std::net::IpAddr;

use jiff::civil::Date;
use lantern_core::correspondence::Kind as LetterKind;
use lantern_store::outbox::{Counted, NewMessage};
use sha2::Digest as _;

use super::correspondence::{LetterFile, letter};
use super::intake::{Form, NewRequest, take_in_noted};
use crate::{Context, Result};

/// Who the audit says acted when the public made a request.
pub const PUBLIC_ACTOR: &str = "the public (web form)";

/// The longest name or e-mail address, in characters.
pub const MAX_LINE: usize = 200;

/// The longest request text, in characters.
pub const MAX_TEXT: usize = 20_000;

/// The throttle's window, in minutes.
pub const THROTTLE_WINDOW_MINUTES: i64 = 60;

/// How many requests the form takes in one window: from one client, and
/// from every client together.
pub const THROTTLE_LIMITS: Counted = Counted {
    client: 5,
    overall: 200,
};

/// What the message queued for the requester is.
pub const ACKNOWLEDGEMENT: &str = "acknowledgement";

/// How the requester would like the answer (FOI Act s11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerBy {
    /// By e-mail (the default).
    Email,
    /// A printed copy by post.
    Post,
}

impl AnswerBy {
    /// The form's value for it.
    pub fn parse(value: &str) -> Option<AnswerBy> {
        match value {
            "" | "email" => Some(AnswerBy::Email),
            "post" => Some(AnswerBy::Post),
            _ => None,
        }
    }

    fn words(self) -> &'static str {
        match self {
            AnswerBy::Email => "by e-mail",
            AnswerBy::Post => "as a printed copy by post (ask for the postal address)",
        }
    }
}

/// A request as the form sends it.
#[derive(Debug, Clone)]
pub struct PublicRequest {
    /// The requester's name (FOI Act s8(1)(b)).
    pub name: String,
    /// The e-mail address for the reply (s8(1)(b)).
    pub email: String,
    /// The request, in their words.
    pub text: String,
    /// How they would like the answer.
    pub answer_by: AnswerBy,
}

/// A request made.
#[derive(Debug, Clone)]
pub struct Made {
    /// The case's reference.
    pub reference: String,
    /// The day it counts as received.
    pub received: Date,
    /// When the answer is due.
    pub due: Date,
    /// The same request was made before: no second case was opened.
    pub already_made: bool,
}

/// The form's answer.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Taken in (or found already taken in) and acknowledged.
    Made(Made),
    /// Too many requests lately, from this client or from everyone: try
    /// again after the window.
    Throttled {
        /// Minutes until it is worth trying again.
        minutes: i64,
    },
}

/// The throttle's key for a client: a keyed digest of its address (an
/// IPv6 address by its /64, which one household or phone holds), never the
/// address. `key` is the deployment's secret (the pseudonymisation key),
/// when it has one.
pub fn client_digest(key: Option<&[u8]>, address: IpAddr) -> String {
    let address = match address {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets()[..8].to_vec(),
        },
    };
    let key = key.unwrap_or(b"lantern request throttle");
    let mut hash = sha2::Sha256::new();
    hash.update((key.len() as u64).to_be_bytes());
    hash.update(key);
    hash.update(&address);
    crate::hex(&hash.finalize()[..16])
}

/// Check one line of the form: given, short, one line.
fn line(value: &str, missing: &str, what: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        crate::fail!(Invalid, "{missing}");
    }
    if value.chars().count() > MAX_LINE {
        crate::fail!(Invalid, "{what} must be {MAX_LINE} characters or fewer");
    }
    if value.chars().any(char::is_control) {
        crate::fail!(Invalid, "{what} must be one line of text");
    }
    Ok(value.to_string())
}

/// Check an e-mail address: one `@`, something either side, a dot in the
/// domain, nothing that would let it be read as more than one address.
fn email_address(value: &str) -> Result<String> {
    let value = line(value, "Enter your email address", "Your email address")?;
    let ok = value.split('@').count() == 2
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !value.chars().any(|c| {
            c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')' | '\\')
        });
    if !ok {
        crate::fail!(
            Invalid,
            "Enter an email address in the correct format, like name@example.com"
        );
    }
    Ok(value)
}

/// The request as checked: the name, the address, the text.
fn checked(request: &PublicRequest) -> Result<(String, String, String)> {
    let name = line(&request.name, "Enter your name", "Your name")?;
    let email = email_address(&request.email)?;
    let text = request.text.trim();
    if text.is_empty() {
        crate::fail!(Invalid, "Enter your request");
    }
    if text.chars().count() > MAX_TEXT {
        crate::fail!(
            Invalid,
            "Your request must be {MAX_TEXT} characters or fewer; send a longer one by email"
        );
    }
    // Line ends as one kind; no other control characters.
    let text: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect();
    Ok((name, email, text))
}

/// Make a request through the web form from `client` (its address, when
/// the server knows it): throttled, taken in, acknowledged. Refused
/// (invalid, with a message that starts with the field's words) when a
/// field is missing or wrong; nothing is stored then.
pub fn make_request(
    ctx: &Context,
    request: &PublicRequest,
    client: Option<&str>,
) -> Result<Outcome> {
    let (name, email, text) = checked(request)?;
    let mut store = ctx.open()?;
    // To the second, as every time the store keeps (`crate::now`).
    let now: jiff::Timestamp = crate::now()
        .parse()
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let window = jiff::SignedDuration::from_mins(THROTTLE_WINDOW_MINUTES);
    let since = now.checked_sub(window).unwrap_or(now);
    let admission = store.admit_request(
        client.unwrap_or("unknown"),
        &now.to_string(),
        &since.to_string(),
        THROTTLE_LIMITS,
    )?;
    if !admission.admitted {
        return Ok(Outcome::Throttled {
            minutes: THROTTLE_WINDOW_MINUTES,
        });
    }
    let received = ctx.today(store.as_ref())?;
    drop(store);
    // The same text from the same address on the same day is the same
    // request: the same Message-ID, which intake recognises.
    let id = {
        let normal: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let same = format!("{}\n{received}\n{normal}", email.to_lowercase());
        crate::hex(&sha2::Sha256::digest(same.as_bytes())[..16])
    };
    let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
    let subject = "Request for information (made through the website)";
    let message = format!(
        "From: \"{quoted}\" <{email}>\nSubject: {subject}\nMessage-ID: <web-{id}@lantern.invalid>\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
    );
    let how = format!(
        "received through the web form; the answer asked for {}",
        request.answer_by.words()
    );
    let opened = take_in_noted(
        ctx,
        &NewRequest {
            name: "the web form",
            bytes: message.as_bytes(),
            form: Form::Email,
            received: Some(received),
            reference: None,
            requester: Some(name),
            contact: Some(email.clone()),
        },
        Some(&how),
    )?;
    let reference = opened.case.reference.clone();
    acknowledge(ctx, &reference, &email)?;
    Ok(Outcome::Made(Made {
        reference,
        received: opened.case.received,
        due: opened.due.due,
        already_made: opened.already_taken_in,
    }))
}

/// Queue the acknowledgement of case `reference` for `email`, unless one
/// is queued or sent already (a request made twice, or a first try whose
/// queueing failed after the case was opened: made again, it is
/// acknowledged then).
fn acknowledge(ctx: &Context, reference: &str, email: &str) -> Result<()> {
    let store = ctx.open()?;
    let held = store.messages(None)?;
    if held
        .iter()
        .any(|m| m.reference == reference && m.kind == ACKNOWLEDGEMENT)
    {
        return Ok(());
    }
    drop(store);
    let body = letter(ctx, reference, LetterKind::Acknowledgement, LetterFile::Md)?;
    let body = String::from_utf8(body.bytes).map_err(|_| {
        crate::Error::new(
            crate::Kind::Internal,
            "the acknowledgement letter is not UTF-8",
        )
    })?;
    // Sent as a plain-text e-mail: the letter's words without Markdown's marks.
    let body = crate::letters::markdown_to_plain_text(&body);
    let mut store = ctx.open()?;
    let id = store.queue_message(
        &ctx.who(),
        &NewMessage {
            reference: reference.to_string(),
            kind: ACKNOWLEDGEMENT.to_string(),
            recipient: email.to_string(),
            subject: format!("Your request for information {reference}: acknowledgement"),
            body,
        },
    )?;
    tracing::info!(target: "lantern::outbox", message = id, case = reference, "acknowledgement queued");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_a_keyed_digest_of_its_address_never_the_address() {
        let a: IpAddr = "203.0.113.7".parse().unwrap();
        let digest = client_digest(Some(b"0123456789abcdef"), a);
        assert!(!digest.contains("203"));
        assert_eq!(digest.len(), 32);
        assert_ne!(digest, client_digest(Some(b"another key here!"), a));
        assert_ne!(
            digest,
            client_digest(Some(b"0123456789abcdef"), "203.0.113.8".parse().unwrap())
        );
        // One IPv6 /64 is one client.
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(client_digest(None, one), client_digest(None, two));
    }

    #[test]
    fn fields_are_checked_with_messages_that_name_them() {
        let request = |name: &str, email: &str, text: &str| PublicRequest {
            name: name.into(),
            email: email.into(),
            text: text.into(),
            answer_by: AnswerBy::Email,
        };
        let refused = |r: PublicRequest| checked(&r).unwrap_err().message().to_string();
        assert_eq!(refused(request(" ", "a@b.org", "x")), "Enter your name");
        assert_eq!(refused(request("Jo", "", "x")), "Enter your email address");
        for bad in [
            "jo",
            "jo@",
            "@b.org",
            "jo@b",
            "jo@b.org, x@y.org",
            "Jo <jo@b.org>",
            "a@b@c.org",
        ] {
            assert!(
                refused(request("Jo", bad, "x")).starts_with("Enter an email address"),
                "{bad}"
            );
        }
        assert_eq!(
            refused(request("Jo", "jo@b.org", "\n ")),
            "Enter your request"
        );
        assert!(
            refused(request(&"J".repeat(201), "jo@b.org", "x")).starts_with("Your name must be")
        );
        assert!(
            refused(request("Jo\nX", "jo@b.org", "x")).starts_with("Your name must be one line")
        );
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(refused(request("Jo", "jo@b.org", &long)).starts_with("Your request must be"));
        let (_, _, text) = checked(&request("Jo", "jo@b.org", "a\r\nb\u{0}c")).unwrap();
        assert_eq!(text, "a\nbc");
    }
}
