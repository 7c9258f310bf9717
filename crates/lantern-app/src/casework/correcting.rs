//! Correcting what a case asks without writing a file (`lantern request
//! set-aside`, `split`, `merge`, `set`, `reread`, `structured`; the web
//! workspace calls the same use cases): the officer's working copy of the
//! request, changed one step at a time (`lantern_core::correction`), each
//! change in one transaction with an entry in the case's history.
//!
//! The working copy is the case's structured request, which may now be
//! incomplete: a question not understood yet asks for nothing, a figures
//! question may lack periods. A case that holds none (an e-mail Lantern
//! could not fully read) starts from Lantern's reading of its e-mail with
//! the phrases taught so far. It can be drafted once nothing is left to
//! decide.
//!
//! Learned phrases change no case by themselves: a phrase taught applies to
//! requests taken in afterwards, to the reading shown by `request
//! understand`, and to a case's working copy only when the officer asks
//! for it to be read again (`reread`) or when the case holds no working
//! copy yet.

use lantern_core::correction::{self, Applied, CorrectionError};
use lantern_core::request::{self, Ask, Question, Request, SetAside};
use lantern_core::understand;
use lantern_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use super::{find, learned};
use crate::{Context, Error, Result};

pub use lantern_core::correction::Correction;

/// Corrections to make to one case, in order: all of them or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correcting {
    /// The case.
    pub reference: String,
    /// What to change.
    pub corrections: Vec<Correction>,
    /// The revision of the working copy the officer corrected
    /// ([`Worksheet::revision`]); when given and the case changed since,
    /// nothing is changed.
    pub seen: Option<String>,
    /// A note for the history.
    pub note: Option<String>,
}

/// One question or part of a working copy, for the officer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkQuestion {
    /// Its number ("3", "3b").
    pub question: String,
    /// The requester's words.
    pub text: String,
    /// What it asks for, in words; `None` while it asks for nothing (or is a
    /// heading whose parts ask).
    pub reading: Option<String>,
    /// What is left to decide for it, if anything.
    pub to_decide: Option<String>,
}

/// A case's working copy of what it asks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worksheet {
    /// The case.
    pub reference: String,
    /// A fingerprint of this working copy, to give back with a correction
    /// ([`Correcting::seen`]).
    pub revision: String,
    /// Every question and part, in order.
    pub questions: Vec<WorkQuestion>,
    /// Words not taken as a question, with why.
    pub set_aside: Vec<SetAside>,
    /// Nothing is left to decide: the case can be drafted.
    pub complete: bool,
    /// The case holds this working copy; otherwise it is Lantern's reading
    /// of the e-mail now, kept at the first correction.
    pub held: bool,
    /// The working copy in the structured request format
    /// (docs/formats/request.md), questions not understood yet shown as such.
    pub structured: String,
}

/// Corrections made, and the working copy they left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Corrected {
    /// What was done, one line per correction.
    pub done: Vec<String>,
    /// The working copy now.
    pub worksheet: Worksheet,
}

/// A removed phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// The phrase.
    pub phrase: String,
    /// How many taught meanings of it ended.
    pub ended: usize,
}

/// Words for an ask, for the officer.
pub(super) fn describe_ask(ask: &Ask) -> String {
    match ask {
        Ask::Statement { topic } => format!("statement {topic}"),
        Ask::Figures(f) => {
            let periods: Vec<String> = f.periods.iter().map(|p| p.to_string()).collect();
            let mut text = if periods.is_empty() {
                format!("{} (periods to decide)", f.indicator)
            } else {
                format!("{} for {}", f.indicator, periods.join(", "))
            };
            if !f.filter.0.is_empty() {
                text.push_str(&format!(" where {}", f.filter.key()));
            }
            if !f.breakdown.is_empty() {
                text.push_str(&format!(" by {}", f.breakdown.join(", ")));
            }
            if f.age_range {
                text.push_str(" (age range)");
            }
            text
        }
    }
}

/// A question as Lantern read it: its ask where Lantern is sure, nothing
/// where the officer must decide.
fn read_question(q: &understand::SplitQuestion, u: &understand::Understanding) -> Question {
    Question {
        number: q.number.clone(),
        text: q.text.clone(),
        ask: if u.needs_officer && q.parts.is_empty() {
            None
        } else {
            u.ask.clone()
        },
        parts: q
            .parts
            .iter()
            .zip(&u.parts)
            .map(|(p, pu)| read_question(p, pu))
            .collect(),
        estimate_hours: None,
    }
}

/// The working copy Lantern reads from a case's e-mail now.
fn reading_of(store: &dyn Store, case: &lantern_core::casework::Case) -> Result<Request> {
    let email = super::understanding::original_email(case)?;
    let catalogue = store.catalogue()?;
    let drafted = understand::draft(
        &email,
        case.received,
        &catalogue,
        &learned(store)?,
        case.reference.clone(),
    )
    .map_err(|e| Error::invalid(format!("{}: {e}", case.reference)))?;
    Ok(Request {
        reference: case.reference.clone(),
        received: case.received,
        answered: None,
        requester_reference: None,
        area: None,
        questions: drafted
            .questions
            .iter()
            .map(|q| read_question(&q.question, &q.understanding))
            .collect(),
        wants_spreadsheet: false,
        set_aside: Vec::new(),
    })
}

/// A case's working copy, and whether the case holds it.
fn working_copy(store: &dyn Store, case: &lantern_core::casework::Case) -> Result<(Request, bool)> {
    let catalogue = store.catalogue()?;
    match case.structured.as_deref() {
        Some(text) => {
            let request = request::parse_working(&case.reference, text, &catalogue)
                .map_err(|e| Error::from(StoreError::Damaged(format!("{e}"))))?;
            Ok((request, true))
        }
        None => Ok((reading_of(store, case)?, false)),
    }
}

fn sheet(request: &Request, held: bool) -> Worksheet {
    let structured = request::to_toml(request);
    let missing = request::missing(request);
    let to_decide = |number: &str| {
        missing
            .iter()
            .find(|(n, _)| n == number)
            .map(|(_, what)| what.to_string())
    };
    let mut questions = Vec::new();
    for q in &request.questions {
        questions.push(WorkQuestion {
            question: q.number.clone(),
            text: q.text.clone(),
            reading: q.ask.as_ref().map(describe_ask),
            to_decide: to_decide(&q.number),
        });
        for p in &q.parts {
            let number = format!("{}{}", q.number, p.number);
            questions.push(WorkQuestion {
                reading: p.ask.as_ref().map(describe_ask),
                to_decide: to_decide(&number),
                question: number,
                text: p.text.clone(),
            });
        }
    }
    Worksheet {
        reference: request.reference.clone(),
        revision: correction::revision(&structured),
        questions,
        set_aside: request.set_aside.clone(),
        complete: missing.is_empty() && !request.questions.is_empty(),
        held,
        structured,
    }
}

/// A case's working copy of what it asks: each question and part with its
/// reading or what is left to decide, and the words set aside.
pub fn worksheet(ctx: &Context, reference: &str) -> Result<Worksheet> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let (request, held) = working_copy(store.as_ref(), &case)?;
    Ok(sheet(&request, held))
}

/// The structured request a case holds, or for a case not fully understood
/// its working copy (questions not understood yet shown as such), to start
/// a corrected file from.
pub fn structured(ctx: &Context, reference: &str) -> Result<String> {
    Ok(worksheet(ctx, reference)?.structured)
}

/// Read again the words a split or merge made, as a question is read.
fn read_again(
    request: &mut Request,
    numbers: &[String],
    catalogue: &lantern_core::catalogue::Catalogue,
    learned: &[understand::Synonym],
) {
    for number in numbers {
        for q in &mut request.questions {
            if &q.number == number && q.parts.is_empty() {
                let split = understand::SplitQuestion {
                    number: q.number.clone(),
                    text: q.text.clone(),
                    preamble: None,
                    parts: Vec::new(),
                };
                let u = understand::understand(&split, request.received, catalogue, learned);
                if !u.needs_officer {
                    q.ask = u.ask;
                }
            }
            let heading = q.text.clone();
            for p in &mut q.parts {
                if &format!("{}{}", q.number, p.number) == number {
                    // The question's words give the part its periods, as a
                    // shared preamble does.
                    let split = understand::SplitQuestion {
                        number: p.number.clone(),
                        text: p.text.clone(),
                        preamble: Some(heading.clone()),
                        parts: Vec::new(),
                    };
                    let u = understand::understand(&split, request.received, catalogue, learned);
                    if !u.needs_officer {
                        p.ask = u.ask;
                    }
                }
            }
        }
    }
}

fn refused(reference: &str, e: CorrectionError) -> Error {
    match e {
        CorrectionError::NoSuchQuestion { .. } => Error::not_found(format!("{reference}: {e}")),
        CorrectionError::Refused(_) => Error::invalid(format!("{reference}: {e}")),
    }
}

/// Refuse a correction made on a working copy other than the one held now.
fn check_seen(reference: &str, seen: Option<&str>, now: &Worksheet) -> Result<()> {
    if let Some(seen) = seen
        && seen != now.revision
    {
        crate::fail!(
            Conflict,
            "request {reference} changed since you read it (revision {seen}, now {}); nothing was changed — look at it again with `lantern request structured {reference}`",
            now.revision
        );
    }
    Ok(())
}

/// Correct what a case asks: apply `input`'s corrections in order to its
/// working copy (all or none), read again the questions a split or merge
/// made, and keep the result with an entry in the case's history. Only
/// before a draft.
pub fn correct_questions(ctx: &Context, input: &Correcting) -> Result<Corrected> {
    let reference = input.reference.as_str();
    if input.corrections.is_empty() {
        crate::fail!(
            Invalid,
            "{reference}: no correction given; say what to change"
        );
    }
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    let learned = learned(store.as_ref())?;
    let (mut request, held) = working_copy(store.as_ref(), &case)?;
    check_seen(reference, input.seen.as_deref(), &sheet(&request, held))?;
    let mut done = Vec::new();
    for c in &input.corrections {
        let Applied {
            description,
            to_read,
        } = correction::apply(&mut request, c, &catalogue).map_err(|e| refused(reference, e))?;
        read_again(&mut request, &to_read, &catalogue, &learned);
        done.push(description);
    }
    let text = request::to_toml(&request);
    // What is kept must read back as written.
    let kept = request::parse_working(reference, &text, &catalogue)
        .map_err(|e| Error::invalid(format!("{reference}: {}", e.message)))?;
    let mut note = done.join("; ");
    if let Some(n) = input.note.as_deref().filter(|n| !n.trim().is_empty()) {
        note.push_str(&format!(" — {}", n.trim()));
    }
    store.revise_case(
        reference,
        case.status,
        case.structured.as_deref(),
        &text,
        &ctx.who(),
        &note,
    )?;
    Ok(Corrected {
        done,
        worksheet: sheet(&kept, true),
    })
}

/// Read a case's e-mail again with the phrases taught so far, replacing
/// its working copy (and every correction made to it) with that reading.
/// Only before a draft, and only for a case opened from an e-mail.
pub fn reread(
    ctx: &Context,
    reference: &str,
    seen: Option<&str>,
    note: Option<&str>,
) -> Result<Corrected> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    if request::parse_request(reference, &case.original, &catalogue).is_ok() {
        crate::fail!(
            Conflict,
            "request {reference} was opened from a structured request file; there is no e-mail to read again"
        );
    }
    let (now, held) = working_copy(store.as_ref(), &case)?;
    check_seen(reference, seen, &sheet(&now, held))?;
    let request = reading_of(store.as_ref(), &case)?;
    let text = request::to_toml(&request);
    let mut line = "read again from the e-mail with the phrases taught so far".to_string();
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        line.push_str(&format!(" — {}", n.trim()));
    }
    store.revise_case(
        reference,
        case.status,
        case.structured.as_deref(),
        &text,
        &ctx.who(),
        &line,
    )?;
    Ok(Corrected {
        done: vec![line],
        worksheet: sheet(&request, true),
    })
}

/// Stop using a phrase the council's officers taught (any case, any
/// spacing). Cases already corrected keep their readings; requests taken in
/// or read again from now on are read without it.
pub fn forget_phrase(ctx: &Context, phrase: &str) -> Result<Forgotten> {
    let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    if phrase.is_empty() {
        crate::fail!(Invalid, "give the phrase to remove");
    }
    let mut store = ctx.open()?;
    let ended = store.forget_synonym(&phrase, &ctx.who())?;
    if ended == 0 {
        let taught: Vec<String> = store.synonyms()?.into_iter().map(|s| s.phrase).collect();
        crate::fail!(
            NotFound,
            "no phrase “{phrase}” is in use{}",
            if taught.is_empty() {
                String::new()
            } else {
                format!("; the phrases taught are: {}", taught.join("; "))
            }
        );
    }
    Ok(Forgotten { phrase, ended })
}

/// The working copy of a case that must be complete to be answered, or
/// what is left to decide.
pub(super) fn to_answer<'c>(
    store: &dyn Store,
    case: &'c lantern_core::casework::Case,
) -> Result<&'c str> {
    let reference = &case.reference;
    let Some(structured) = case.structured.as_deref() else {
        crate::fail!(
            Conflict,
            "request {reference} has not been understood yet: there is no structured request to answer; see `lantern request structured {reference}` and correct it"
        );
    };
    let catalogue = store.catalogue()?;
    if request::parse_request(reference, structured, &catalogue).is_err()
        && let Ok(working) = request::parse_working(reference, structured, &catalogue)
    {
        let left: Vec<String> = request::missing(&working)
            .iter()
            .map(|(n, what)| format!("question {n} {what}"))
            .collect();
        if !left.is_empty() || working.questions.is_empty() {
            crate::fail!(
                Conflict,
                "request {reference} is not fully understood yet: {}; correct it (`lantern request set {reference} …`) and try again",
                if left.is_empty() {
                    "it has no questions".to_string()
                } else {
                    left.join(", ")
                }
            );
        }
    }
    Ok(structured)
}
