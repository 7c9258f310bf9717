//! What a case asks (`lantern request understand`, `structured`,
//! `correct`, `synonyms`): how Lantern read an e-mailed request question by
//! question, the structured request a case holds, the officer's corrections
//! (a whole corrected request, or one phrase taught in one step), and the
//! phrases officers have taught, which every later request is read with.

use lantern_core::{request, understand};
use lantern_store::StoredSynonym;

use super::correcting::describe_ask;
use super::{find, learned, text_of};
use crate::{Context, Error, Result};

/// A confidence to two decimal places, as shown to the officer.
fn rounded(confidence: f32) -> f64 {
    (f64::from(confidence) * 100.0).round() / 100.0
}

/// Another reading Lantern considered for a question.
#[derive(Debug, Clone)]
pub struct Alternative {
    /// The reading, in words.
    pub reading: String,
    /// How sure (0 to 1, two decimal places).
    pub confidence: f64,
}

/// How Lantern read one question (or part, "3b") of an e-mailed request.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The question's number, with its part's letter.
    pub question: String,
    /// The requester's words.
    pub text: String,
    /// What it was taken to ask, in words; `None` when left for the officer.
    pub reading: Option<String>,
    /// How sure (0 to 1, two decimal places).
    pub confidence: f64,
    /// The officer must decide it.
    pub needs_officer: bool,
    /// Other readings considered, best first.
    pub alternatives: Vec<Alternative>,
    /// Why, for the officer.
    pub notes: Vec<String>,
}

impl Reading {
    fn of(number: &str, text: &str, u: &understand::Understanding) -> Reading {
        Reading {
            question: number.to_string(),
            text: text.to_string(),
            reading: u.ask.as_ref().map(describe_ask),
            confidence: rounded(u.confidence),
            needs_officer: u.needs_officer,
            alternatives: u
                .alternatives
                .iter()
                .map(|(a, c)| Alternative {
                    reading: describe_ask(a),
                    confidence: rounded(*c),
                })
                .collect(),
            notes: u.notes.clone(),
        }
    }
}

/// How Lantern reads a case's e-mail now (with every phrase taught so
/// far): each question and part, what it was taken to ask, how sure, and
/// what else was considered.
pub fn understanding(ctx: &Context, reference: &str) -> Result<Vec<Reading>> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    if request::parse_request(reference, &case.original, &catalogue).is_ok() {
        crate::fail!(
            Conflict,
            "request {reference} was opened from a structured request file, not an e-mail: its questions are as the file gave them"
        );
    }
    let email = original_email(store.as_ref(), &case)?;
    let drafted = if email.unread.is_empty() {
        understand::draft(
            &email,
            case.received,
            &catalogue,
            &learned(store.as_ref())?,
            case.reference.clone(),
        )
    } else {
        Err(understand::IntakeError::NoQuestions)
    };
    let drafted = match drafted {
        Ok(d) => d,
        Err(e @ (understand::IntakeError::NoQuestions | understand::IntakeError::EmptyBody)) => {
            crate::fail!(
                Conflict,
                "request {reference}: {}",
                super::intake::why_no_questions(&email, Some(&e))
            )
        }
        Err(e) => return Err(Error::invalid(format!("{reference}: {e}"))),
    };
    let mut rows = Vec::new();
    for q in &drafted.questions {
        rows.push(Reading::of(
            &q.question.number,
            &q.question.text,
            &q.understanding,
        ));
        for (p, u) in q.question.parts.iter().zip(&q.understanding.parts) {
            rows.push(Reading::of(
                &format!("{}{}", q.question.number, p.number),
                &p.text,
                u,
            ));
        }
    }
    Ok(rows)
}

/// The lines of a case's e-mail that were not taken as a question
/// (WhatDoTheyKnow footers, quoted earlier messages, a forward's note and
/// header lines), as the officer should see them beside the readings.
pub fn not_taken(ctx: &Context, reference: &str) -> Result<Vec<understand::SetAside>> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    if case.original == super::retention::ORIGINAL_ERASED {
        return Ok(vec![]);
    }
    let bytes = super::intake::email_bytes(store.as_ref(), &case)?;
    Ok(understand::parse_email(&bytes)
        .map(|e| e.set_aside)
        .unwrap_or_default())
}

/// Replace a case's structured request with an officer's corrected one
/// (`name` says where it came from, for messages), before it is drafted.
/// The reference and the date of receipt must stay the case's.
pub fn correct(
    ctx: &Context,
    reference: &str,
    name: &str,
    bytes: &[u8],
    note: Option<&str>,
) -> Result<()> {
    let text = text_of(name, bytes)?;
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    let parsed = request::parse_request(name, &text, &catalogue)?;
    if parsed.reference != reference {
        crate::fail!(
            Invalid,
            "{name} is for request {}, not {reference}; correct the reference in the file",
            parsed.reference
        );
    }
    if parsed.received != case.received {
        crate::fail!(
            Invalid,
            "{name} says the request was received on {}, but {reference} was received on {}; the date of receipt is not corrected this way",
            parsed.received,
            case.received
        );
    }
    store.correct_case(reference, case.status, &ctx.who(), &text, note)?;
    Ok(())
}

/// Words compared without regard to case or spacing.
fn words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What a target means, in the form the catalogue names it.
fn target_code(target: &understand::SynonymTarget) -> String {
    match target {
        understand::SynonymTarget::Indicator(c) | understand::SynonymTarget::Topic(c) => c.clone(),
        understand::SynonymTarget::Value { dimension, value } => format!("{dimension}={value}"),
    }
}

/// Whether an understanding reads the question as `target`.
fn reads_as(u: &understand::Understanding, target: &understand::SynonymTarget) -> bool {
    match (&u.ask, target) {
        (Some(request::Ask::Figures(f)), understand::SynonymTarget::Indicator(code)) => {
            &f.indicator == code
        }
        (Some(request::Ask::Statement { topic }), understand::SynonymTarget::Topic(code)) => {
            topic == code
        }
        (Some(request::Ask::Figures(f)), understand::SynonymTarget::Value { dimension, value }) => {
            f.filter.key().contains(&format!("{dimension}={value}"))
        }
        _ => false,
    }
}

/// A phrase taught, and what the case reads as now.
#[derive(Debug, Clone)]
pub struct Taught {
    /// The phrase, its spacing tidied.
    pub phrase: String,
    /// What it means: an indicator or topic code, or `dimension=value`.
    pub means: String,
    /// The question corrected.
    pub question: String,
    /// What that question now reads as, in words.
    pub reading: String,
    /// The questions that still need the officer.
    pub still_for_the_officer: Vec<String>,
}

/// Correct one question in one step: the officer says what a phrase of
/// question `number` ("2", "3b") means (`means`: an indicator code, a topic
/// code, or dimension=value); Lantern remembers the phrase for every later
/// request, reads the case again with it, and keeps the new structured
/// request. A case that holds a working copy (the officer's corrections,
/// see [`super::correcting`]) has only that question read anew in it. Nothing
/// is recorded unless the question then reads as meant.
pub fn teach(
    ctx: &Context,
    reference: &str,
    number: &str,
    phrase: &str,
    means: &str,
) -> Result<Taught> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    if request::parse_request(reference, &case.original, &catalogue).is_ok() {
        crate::fail!(
            Conflict,
            "request {reference} was opened from a structured request file; correct it with `lantern request correct {reference} FILE`"
        );
    }
    let target = understand::SynonymTarget::parse(means, &catalogue)
        .map_err(|e| Error::invalid(format!("--means {means}: {e}")))?;
    let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    if phrase.is_empty() {
        crate::fail!(
            Invalid,
            "--phrase is empty; give the requester's words that say what is asked for"
        );
    }
    let email = original_email(store.as_ref(), &case)?;
    // The question (or part, "3b") the officer names, and its words.
    let split = understand::split_questions(&email.body)
        .map_err(|e| Error::invalid(format!("{reference}: {e}")))?;
    let mut numbers = Vec::new();
    let mut text = None;
    for q in &split {
        numbers.push(q.number.clone());
        if q.number == number {
            text = Some(q.text.clone());
        }
        for p in &q.parts {
            let n = format!("{}{}", q.number, p.number);
            if n == number {
                text = Some(format!("{} {}", q.text, p.text));
            }
            numbers.push(n);
        }
    }
    let Some(text) = text else {
        crate::fail!(
            NotFound,
            "request {reference} has no question {number}; its questions are {}",
            numbers.join(", ")
        );
    };
    if !words(&text).contains(&words(&phrase)) {
        crate::fail!(
            Invalid,
            "question {number} does not contain “{phrase}”; give words from it: “{}”",
            text.trim()
        );
    }
    let mut taught = learned(store.as_ref())?;
    taught.push(understand::Synonym {
        phrase: phrase.clone(),
        target: target.clone(),
    });
    let drafted = understand::draft(
        &email,
        case.received,
        &catalogue,
        &taught,
        case.reference.clone(),
    )
    .map_err(|e| Error::invalid(format!("{reference}: {e}")))?;
    let mut reading = None;
    for q in &drafted.questions {
        if q.question.number == number {
            reading = Some(&q.understanding);
        }
        for (p, u) in q.question.parts.iter().zip(&q.understanding.parts) {
            if format!("{}{}", q.question.number, p.number) == number {
                reading = Some(u);
            }
        }
    }
    let Some(reading) = reading.filter(|u| reads_as(u, &target)) else {
        crate::fail!(
            Invalid,
            "even taught “{phrase}”, Lantern does not read question {number} as {means}; correct the whole request with `lantern request structured {reference}` and `lantern request correct {reference} FILE`; nothing was recorded"
        );
    };
    let described = reading.ask.as_ref().map(describe_ask).unwrap_or_default();
    let (structured, still) = match case.structured.as_deref() {
        // The case holds a working copy the officer may have corrected:
        // only the question taught is read anew in it.
        Some(held) => {
            let mut working = request::parse_working(reference, held, &catalogue)?;
            let mut found = false;
            for q in &mut working.questions {
                if q.number == number && q.parts.is_empty() {
                    q.ask = reading.ask.clone();
                    found = true;
                }
                for p in &mut q.parts {
                    if format!("{}{}", q.number, p.number) == number {
                        p.ask = reading.ask.clone();
                        found = true;
                    }
                }
            }
            let still = request::missing(&working)
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            (found.then(|| request::to_toml(&working)), still)
        }
        None => (
            drafted.request.as_ref().map(request::to_toml),
            drafted
                .questions
                .iter()
                .filter(|q| !q.understanding.is_complete())
                .map(|q| q.question.number.clone())
                .collect(),
        ),
    };
    let code = target_code(&target);
    store.learn(
        reference,
        case.status,
        &ctx.who(),
        &phrase,
        &code,
        structured.as_deref(),
    )?;
    Ok(Taught {
        phrase,
        means: code,
        question: number.to_string(),
        reading: described,
        still_for_the_officer: still,
    })
}

/// The phrases officers have taught, and what they mean.
pub fn synonyms(ctx: &Context) -> Result<Vec<StoredSynonym>> {
    let store = ctx.open()?;
    Ok(store.synonyms()?)
}

/// The e-mail a case was opened from (exactly as received); refused once it
/// was erased with the requester's details (`request erase-expired`).
pub(super) fn original_email(
    store: &dyn lantern_store::Store,
    case: &lantern_core::casework::Case,
) -> Result<understand::Email> {
    if case.original == super::retention::ORIGINAL_ERASED {
        crate::fail!(
            Conflict,
            "request {}'s original e-mail was erased with the requester's details when its retention ended; there is nothing left to read",
            case.reference
        );
    }
    understand::parse_email(&super::intake::email_bytes(store, case)?)
        .map_err(|e| Error::invalid(format!("{}: {e}", case.reference)))
}
