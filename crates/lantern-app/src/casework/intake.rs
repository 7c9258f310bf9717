//! Taking in a request (`lantern request new`): an e-mail read and
//! understood by `lantern_core::understand`, or a structured request, opened
//! as a case with its statutory deadline, the requests related to it and
//! the earlier answers that cover it.

use std::path::Path;

use jiff::civil::Date;
use lantern_core::casework::{ActionDetail, Case, Status};
use lantern_core::deadline::{self, Deadline};
use lantern_core::{request, understand};
use lantern_store::Store;

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
    /// Related requests and earlier answers that cover it.
    pub links: Links,
    /// The e-mail had already been taken in (the same Message-ID, or the
    /// same sender and body): `case` is the case it opened then, and no new
    /// case was opened.
    pub already_taken_in: bool,
}

/// The case an e-mail was already taken in as, if any: the same Message-ID,
/// or the same sender, date and body (`understand::Email::is_same_as`)
/// received the same day (`received`, when the officer gives it).
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
        let same_day = received.or(email.date).is_none_or(|d| d == case.received);
        if same_id || (earlier.is_same_as(email) && same_day) {
            return Ok(Some(case));
        }
    }
    Ok(None)
}

/// The largest e-mailed request taken in.
pub const MAX_EMAIL_BYTES: u64 = understand::MAX_INPUT_BYTES as u64;

/// Refuse an e-mail of `size` bytes larger than an e-mailed request may be
/// (a front end reading a file checks its size before reading it).
pub fn check_email_size(name: &str, size: u64) -> Result<()> {
    if size > MAX_EMAIL_BYTES {
        crate::fail!(
            Invalid,
            "{name} is {size} bytes, more than the {} an e-mailed request may be; is it the right file? (save the request's text without attachments)",
            understand::MAX_INPUT_BYTES
        );
    }
    Ok(())
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
}

/// The next reference in the council's pattern for the received year.
fn next_reference(ctx: &Context, store: &dyn Store, received: Date) -> Result<String> {
    let council = crate::council::in_force(ctx, store, None)?;
    let pattern = council.reference_pattern();
    let cases = store.cases()?;
    Ok(pattern.next(received.year(), cases.iter().map(|c| c.reference.as_str())))
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
        });
    }
    check_email_size(name, new.bytes.len() as u64)?;
    let email =
        understand::parse_email(new.bytes).map_err(|e| Error::invalid(format!("{name}: {e}")))?;
    let received = match (new.received, email.date) {
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
    let drafted = understand::draft(
        &email,
        received,
        &catalogue,
        &learned(store)?,
        reference.clone(),
    )
    .map_err(|e| Error::invalid(format!("{name}: {e}")))?;
    let unplaced = drafted
        .questions
        .iter()
        .filter(|q| !q.understanding.is_complete())
        .map(|q| q.question.number.clone())
        .collect();
    Ok(Intake {
        reference,
        received,
        requester_name: email.from_name.clone(),
        requester_contact: email.from_address.clone(),
        original: String::from_utf8_lossy(new.bytes).into_owned(),
        structured: drafted.request.as_ref().map(request::to_toml),
        unplaced,
    })
}

/// Take in a request: read it (an e-mail is understood question by
/// question), check its received date and deadline, and open its case.
/// Nothing is stored unless all of that succeeds.
pub fn take_in(ctx: &Context, new: &NewRequest<'_>) -> Result<Opened> {
    let mut store = ctx.open()?;
    // The same e-mail taken in again is the same request, not a new one
    // (and not a repeat under s14(2)): say which case it is.
    if new.form == Form::Email
        && let Ok(email) = understand::parse_email(new.bytes)
        && let Some(case) = taken_in_before(store.as_ref(), &email, new.received)?
    {
        let calendar = calendar(store.as_ref())?;
        let due = super::case_deadline(store.as_ref(), &calendar, &case)?;
        let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
        return Ok(Opened {
            case,
            due,
            unplaced: vec![],
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
    let opened = ActionDetail {
        calendar: Some(calendar.version().to_string()),
        ..ActionDetail::default()
    };
    store.open_case(&case, &opened)?;
    let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
    Ok(Opened {
        case,
        due,
        unplaced: taken.unplaced,
        links,
        already_taken_in: false,
    })
}
