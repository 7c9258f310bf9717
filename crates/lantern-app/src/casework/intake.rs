//! Taking in a request (`lantern request new`): an e-mail read and
//! understood by `lantern_core::understand`, or a structured request, opened
//! as a case with its statutory deadline, the requests related to it and
//! the earlier answers that cover it.

use std::path::Path;

use jiff::civil::Date;
use lantern_core::casework::{ActionDetail, Case, Status};
use lantern_core::deadline::{self, Deadline};
use lantern_core::{request, understand};
use lantern_store::{NewAttachment, Store};

use super::{Links, calendar, learned, not_future, text_of};
use crate::{Context, Error, Result};

/// The form a request arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// An e-mail (.eml or plain text), read and understood.
    Email,
    /// A structured request (TOML, docs/formats/request.md).
    Structured,
}

impl Form {
    /// The form a file's name says: `.toml` is a structured request,
    /// anything else an e-mail.
    pub fn of_name(name: &str) -> Form {
        if Path::new(name).extension().is_some_and(|e| e == "toml") {
            Form::Structured
        } else {
            Form::Email
        }
    }
}

/// A request to take in.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// Where it came from (a file name), for messages.
    pub name: &'a str,
    /// The e-mail or structured request, as received.
    pub bytes: &'a [u8],
    /// Which of the two it is.
    pub form: Form,
    /// The date it was received (default: the e-mail's Date, or the
    /// structured request's `received`).
    pub received: Option<Date>,
    /// The reference (default: the structured request's, or the next in the
    /// council's pattern).
    pub reference: Option<String>,
    /// The requester's name (personal data: kept until the retention date).
    pub requester: Option<String>,
    /// Where to reply (personal data).
    pub contact: Option<String>,
}

/// A request taken in: the case opened, its deadline, the questions Lantern
/// could not place, and its related requests.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The case as opened.
    pub case: Case,
    /// Its statutory deadline.
    pub due: Deadline,
    /// The numbers of the questions left for the officer.
    pub unplaced: Vec<String>,
    /// Lantern found no question to read: the case is open, its clock
    /// running, and the officer enters its questions; why.
    pub questions_to_enter: Option<String>,
    /// How the requester and the day received were found (a forward, a
    /// transfer from another body), for the officer.
    pub notes: Vec<String>,
    /// Transferred from another body: the clock runs from the council's
    /// own receipt.
    pub transferred: bool,
    /// Lines of the e-mail not taken as a question (footers, quoted text, a
    /// forward's note and header lines), shown to the officer.
    pub set_aside: Vec<understand::SetAside>,
    /// The files kept with the case (its e-mail's attachments).
    pub attachments: Vec<lantern_store::StoredAttachment>,
    /// Related requests and earlier answers that cover it.
    pub links: Links,
    /// The e-mail had already been taken in (the same Message-ID, or the
    /// same sender and body): `case` is the case it opened then, and no new
    /// case was opened.
    pub already_taken_in: bool,
}

/// The case an e-mail was already taken in as, if any: the same Message-ID,
/// or the same sender, date and body (`understand::Email::is_same_as`)
/// received the same day (`received`: the officer's, or the e-mail's day
/// received).
fn taken_in_before(
    store: &dyn Store,
    email: &understand::Email,
    received: Option<Date>,
) -> Result<Option<Case>> {
    for case in store.cases()? {
        let Ok(earlier) = understand::parse_email(case.original.as_bytes()) else {
            continue;
        };
        let same_id = email.message_id.is_some() && earlier.message_id == email.message_id;
        let same_day = received.is_none_or(|d| d == case.received);
        if same_id || (earlier.is_same_as(email) && same_day) {
            return Ok(Some(case));
        }
    }
    Ok(None)
}

/// The content type under which an e-mail's own bytes are kept with its
/// case when they are not UTF-8 (a windows-1252 body sent 8-bit), so it
/// can be read again exactly as received.
pub const AS_RECEIVED: &str = "message/rfc822; x-lantern=as-received";

/// The e-mail a case was opened from, exactly as received: its bytes kept
/// with the case when they were not UTF-8, else its text.
pub(super) fn email_bytes(store: &dyn Store, case: &Case) -> Result<Vec<u8>> {
    let kept = store.attachments(&case.reference)?;
    if let Some(a) = kept.iter().find(|a| a.content_type == AS_RECEIVED)
        && let Some(bytes) = store.attachment_bytes(&case.reference, a.position)?
    {
        return Ok(bytes);
    }
    Ok(case.original.clone().into_bytes())
}

/// The largest e-mailed request taken in (attachments included).
pub const MAX_EMAIL_BYTES: u64 = understand::MAX_EMAIL_BYTES as u64;

/// Refuse an e-mail of `size` bytes larger than an e-mailed request may be
/// (a front end reading a file checks its size before reading it).
pub fn check_email_size(name: &str, size: u64) -> Result<()> {
    if size > MAX_EMAIL_BYTES {
        crate::fail!(
            Invalid,
            "{name} is {size} bytes, more than the {} an e-mailed request may be, attachments included; is it the right file? (save the request's text without its attachments)",
            understand::MAX_EMAIL_BYTES
        );
    }
    Ok(())
}

/// Whether bytes are an e-mail by their content: they start with a
/// header line (`Name: value`, the name printable ASCII without spaces)
/// and are not a known binary format.
pub fn looks_like_email(bytes: &[u8]) -> bool {
    let binary = [
        &b"%PDF"[..],
        b"PK\x03\x04",
        b"\xD0\xCF\x11\xE0",
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
    ];
    if binary.iter().any(|m| bytes.starts_with(m)) {
        return false;
    }
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    match first.iter().position(|b| *b == b':') {
        Some(0) | None => false,
        Some(colon) => first[..colon]
            .iter()
            .all(|b| b.is_ascii_graphic() && *b != b':'),
    }
}

/// What a request's bytes were made into before the case is opened.
struct Intake {
    reference: String,
    received: Date,
    requester_name: Option<String>,
    requester_contact: Option<String>,
    original: String,
    structured: Option<String>,
    unplaced: Vec<String>,
    questions_to_enter: Option<String>,
    notes: Vec<String>,
    transferred: bool,
    set_aside: Vec<understand::SetAside>,
    attachments: Vec<NewAttachment>,
}

/// The next reference in the council's pattern for the received year.
fn next_reference(ctx: &Context, store: &dyn Store, received: Date) -> Result<String> {
    let council = crate::council::in_force(ctx, store, None)?;
    let pattern = council.reference_pattern();
    let cases = store.cases()?;
    Ok(pattern.next(received.year(), cases.iter().map(|c| c.reference.as_str())))
}

/// Who an e-mail is from and the day the council received it, in the
/// council's time zone, told apart by the council's own e-mail address.
fn receipt(
    ctx: &Context,
    store: &dyn Store,
    email: &understand::Email,
) -> Result<understand::Receipt> {
    let council = crate::council::in_force(ctx, store, None)?;
    Ok(email.receipt(council.time_zone(), council.settings().email.as_deref()))
}

/// Why an e-mail has no questions Lantern can read, for the officer.
pub(super) fn why_no_questions(
    email: &understand::Email,
    error: Option<&understand::IntakeError>,
) -> String {
    let mut why: Vec<String> = email.unread.iter().map(ToString::to_string).collect();
    if why.is_empty() {
        why.push(
            match (email.body.trim().is_empty(), email.attachments.len()) {
                (true, 0) => "the e-mail has no text".to_string(),
                (true, n) => {
                    format!("the e-mail has no text, only {n} attachment(s), kept with the case")
                }
                (false, _) => match error {
                    Some(understand::IntakeError::EmptyBody) => "the e-mail has no text".into(),
                    _ => "Lantern found no question in its text (a numbered line, a sentence ending in '?', or one asking in words)".into(),
                },
            },
        );
    }
    format!(
        "questions to enter: {}; read the e-mail{} and enter its questions (`lantern request correct`)",
        why.join("; "),
        if email.attachments.is_empty() {
            ""
        } else {
            " and its attachments"
        }
    )
}

fn intake(ctx: &Context, store: &dyn Store, new: &NewRequest<'_>) -> Result<Intake> {
    let catalogue = store.catalogue()?;
    let name = new.name;
    if new.form == Form::Structured {
        let text = text_of(name, new.bytes)?;
        let parsed = request::parse_request(name, &text, &catalogue)?;
        return Ok(Intake {
            reference: new.reference.clone().unwrap_or(parsed.reference),
            received: new.received.unwrap_or(parsed.received),
            requester_name: None,
            requester_contact: None,
            original: text.clone(),
            structured: Some(text),
            unplaced: vec![],
            questions_to_enter: None,
            notes: vec![],
            transferred: false,
            set_aside: vec![],
            attachments: vec![],
        });
    }
    check_email_size(name, new.bytes.len() as u64)?;
    let email =
        understand::parse_email(new.bytes).map_err(|e| Error::invalid(format!("{name}: {e}")))?;
    let receipt = receipt(ctx, store, &email)?;
    let received = match (new.received, receipt.received) {
        (Some(r), _) => r,
        (None, Some(d)) => d,
        (None, None) => match &email.unreadable_date {
            Some(date) => crate::fail!(
                Invalid,
                "{name}: the Date header '{date}' cannot be read as a date; give the date the request arrived with --received YYYY-MM-DD"
            ),
            None => crate::fail!(
                Invalid,
                "{name} has no Date header; give the date the request arrived with --received YYYY-MM-DD"
            ),
        },
    };
    let reference = match &new.reference {
        Some(r) => r.clone(),
        None => next_reference(ctx, store, received)?,
    };
    let mut attachments: Vec<NewAttachment> = Vec::new();
    if std::str::from_utf8(new.bytes).is_err() {
        attachments.push(NewAttachment {
            name: None,
            content_type: AS_RECEIVED.to_string(),
            bytes: new.bytes.to_vec(),
        });
    }
    attachments.extend(email.attachments.iter().map(|a| NewAttachment {
        name: a.name.clone(),
        content_type: a.content_type.clone(),
        bytes: a.bytes.clone(),
    }));
    let drafted = if email.unread.is_empty() {
        understand::draft(
            &email,
            received,
            &catalogue,
            &learned(store)?,
            reference.clone(),
        )
    } else {
        Err(understand::IntakeError::NoQuestions)
    };
    let (structured, unplaced, questions_to_enter) = match drafted {
        Ok(drafted) => (
            drafted.request.as_ref().map(request::to_toml),
            drafted
                .questions
                .iter()
                .filter(|q| !q.understanding.is_complete())
                .map(|q| q.question.number.clone())
                .collect(),
            None,
        ),
        // A request whose questions Lantern cannot find is still a request:
        // its clock runs, and the officer enters them.
        Err(e @ (understand::IntakeError::NoQuestions | understand::IntakeError::EmptyBody)) => {
            (None, vec![], Some(why_no_questions(&email, Some(&e))))
        }
        Err(e) => crate::fail!(Invalid, "{name}: {e}"),
    };
    Ok(Intake {
        reference,
        received,
        requester_name: receipt.requester_name,
        requester_contact: receipt.requester_address,
        original: String::from_utf8_lossy(new.bytes).into_owned(),
        structured,
        unplaced,
        questions_to_enter,
        notes: receipt.notes,
        transferred: receipt.transferred,
        set_aside: email.set_aside,
        attachments,
    })
}

/// Take in a request: read it (an e-mail is understood question by
/// question), check its received date and deadline, and open its case.
/// Nothing is stored unless all of that succeeds.
pub fn take_in(ctx: &Context, new: &NewRequest<'_>) -> Result<Opened> {
    take_in_noted(ctx, new, None)
}

/// [`take_in`], the case's opening event noting `how` (the channel it came
/// through, when the request's bytes do not say it: "received through the
/// web form").
pub(super) fn take_in_noted(
    ctx: &Context,
    new: &NewRequest<'_>,
    how: Option<&str>,
) -> Result<Opened> {
    let mut store = ctx.open()?;
    // The same e-mail taken in again is the same request, not a new one
    // (and not a repeat under s14(2)): say which case it is.
    if new.form == Form::Email
        && let Ok(email) = understand::parse_email(new.bytes)
        && let Some(case) = taken_in_before(
            store.as_ref(),
            &email,
            new.received
                .or(receipt(ctx, store.as_ref(), &email)?.received),
        )?
    {
        let calendar = calendar(store.as_ref())?;
        let due = super::case_deadline(store.as_ref(), &calendar, &case)?;
        let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
        let attachments = store.attachments(&case.reference)?;
        return Ok(Opened {
            case,
            due,
            unplaced: vec![],
            questions_to_enter: None,
            notes: vec![],
            transferred: false,
            set_aside: vec![],
            attachments,
            links,
            already_taken_in: true,
        });
    }
    let taken = intake(ctx, store.as_ref(), new)?;
    let council = crate::council::in_force(ctx, store.as_ref(), None)?;
    let received = taken.received;
    not_future(ctx, store.as_ref(), "the received date", received)?;
    let case = Case {
        reference: taken.reference.clone(),
        received,
        status: Status::Received,
        requester_name: new.requester.clone().or(taken.requester_name),
        requester_contact: new.contact.clone().or(taken.requester_contact),
        retain_until: received
            .checked_add(jiff::Span::new().years(i16::from(council.settings().retain_years)))
            .ok(),
        original: taken.original,
        structured: taken.structured,
        opened_at: ctx.clock.now(),
        opened_by: ctx.actor.clone(),
    };
    // The deadline must be countable before the case is opened.
    let calendar = calendar(store.as_ref())?;
    let due = deadline::deadline(&calendar, received, &[])?;
    // The history says what the officer must know of how it was taken in
    // (never the requester's details: domains and dates only).
    let mut note: Vec<String> = how.map(str::to_string).into_iter().collect();
    note.extend(taken.notes.iter().cloned());
    if let Some(why) = &taken.questions_to_enter {
        note.push(why.clone());
    }
    let kept = taken
        .attachments
        .iter()
        .filter(|a| a.content_type != AS_RECEIVED)
        .count();
    if kept > 0 {
        note.push(format!("{kept} attachment(s) kept with the case"));
    }
    let opened = ActionDetail {
        calendar: Some(calendar.version().to_string()),
        note: (!note.is_empty()).then(|| note.join("; ")),
        ..ActionDetail::default()
    };
    store.open_case_with(&case, &opened, &taken.attachments)?;
    let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
    let attachments = store.attachments(&case.reference)?;
    Ok(Opened {
        case,
        due,
        unplaced: taken.unplaced,
        questions_to_enter: taken.questions_to_enter,
        notes: taken.notes,
        transferred: taken.transferred,
        set_aside: taken.set_aside,
        attachments,
        links,
        already_taken_in: false,
    })
}

/// The files kept with a case (its e-mail's attachments, and the e-mail's
/// own bytes when they were not UTF-8, typed [`AS_RECEIVED`]).
pub fn attachments(ctx: &Context, reference: &str) -> Result<Vec<lantern_store::StoredAttachment>> {
    let store = ctx.open()?;
    let case = super::find(store.as_ref(), reference)?;
    Ok(store.attachments(&case.reference)?)
}

/// The bytes of the file kept at `position` with a case; refused when there
/// is none, or when it was erased with the requester's details.
pub fn attachment(
    ctx: &Context,
    reference: &str,
    position: i64,
) -> Result<(lantern_store::StoredAttachment, Vec<u8>)> {
    let store = ctx.open()?;
    let case = super::find(store.as_ref(), reference)?;
    let kept = store.attachments(&case.reference)?;
    let Some(found) = kept.into_iter().find(|a| a.position == position) else {
        crate::fail!(
            NotFound,
            "request {reference} has no attachment {position}; `lantern request attachments {reference}` lists them"
        );
    };
    match store.attachment_bytes(&case.reference, position)? {
        Some(bytes) => Ok((found, bytes)),
        None => crate::fail!(
            Conflict,
            "attachment {position} of request {reference} was erased with the requester's details when its retention ended"
        ),
    }
}

/// A request an officer types in (one that came by post, by phone, or
/// through a web form): who asked, when it arrived, its subject and its
/// questions as the requester wrote them.
#[derive(Debug, Clone)]
pub struct TypedRequest {
    /// The requester's name (personal data: kept until the retention date).
    pub requester: String,
    /// Where to reply, if given (personal data).
    pub contact: Option<String>,
    /// The day it arrived.
    pub received: Date,
    /// Its subject.
    pub subject: String,
    /// Its questions, as written (numbered lines, or sentences).
    pub questions: String,
}

/// The longest requester, contact or subject typed in, in characters.
pub const MAX_TYPED_LINE: usize = 200;

/// Take in a typed request: read and understood as an e-mail from the
/// requester with that subject and text would be, received on the day
/// given (the same request typed twice is the case it opened the first
/// time).
pub fn take_in_typed(ctx: &Context, typed: &TypedRequest) -> Result<Opened> {
    let line = |what: &str, value: &str| -> Result<String> {
        let value = value.trim();
        if value.is_empty() {
            crate::fail!(Invalid, "enter {what}");
        }
        if value.chars().count() > MAX_TYPED_LINE {
            crate::fail!(
                Invalid,
                "{what} must be {MAX_TYPED_LINE} characters or fewer"
            );
        }
        if value.chars().any(char::is_control) {
            crate::fail!(Invalid, "{what} must be one line of text");
        }
        Ok(value.to_string())
    };
    let requester = line("the requester's name", &typed.requester)?;
    let contact = match typed.contact.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Some(line("where to reply", c)?),
        _ => None,
    };
    let subject = line("the request's subject", &typed.subject)?;
    let questions = typed.questions.trim();
    if questions.is_empty() {
        crate::fail!(
            Invalid,
            "enter the request's questions as the requester wrote them"
        );
    }
    // The name quoted (it may hold any character); the address only when
    // it is one.
    let quoted = requester.replace('\\', "\\\\").replace('"', "\\\"");
    let from = match &contact {
        Some(c) if c.contains('@') && !c.contains(['<', '>', ' ']) => {
            format!("\"{quoted}\" <{c}>")
        }
        _ => format!("\"{quoted}\""),
    };
    // The same request typed twice has the same id: it is recognised as
    // the case it opened the first time.
    let id: String = {
        use sha2::Digest as _;
        let typed_as = format!("{requester}\n{}\n{subject}\n{questions}", typed.received);
        sha2::Sha256::digest(typed_as.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let text = format!(
        "From: {from}\nSubject: {subject}\nMessage-ID: <typed-{id}@lantern.invalid>\nContent-Type: text/plain; charset=utf-8\n\n{questions}\n"
    );
    take_in(
        ctx,
        &NewRequest {
            name: "the typed request",
            bytes: text.as_bytes(),
            form: Form::Email,
            received: Some(typed.received),
            reference: None,
            requester: Some(requester),
            contact,
        },
    )
}
