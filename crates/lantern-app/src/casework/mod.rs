//! Casework: FOI requests as cases, from intake to the answer sent, its
//! review, and the requester's details erased.
//!
//! This module owns the use cases of `lantern request …` (and of any other
//! front end that handles cases): the lifecycle rules and the statutory
//! clock are `lantern_core::casework` and `lantern_core::deadline`; here they
//! are applied to the cases the store holds, each use case in one
//! transaction with the case's history recording who did what.
//!
//! - [`intake`]: take in a request (an e-mail, read and understood, or a
//!   structured request).
//! - [`cases`]: list and show cases (deadline with its working, review
//!   dates, related requests, history), the structured request a case
//!   holds, and its letter.
//! - [`clock`]: the lifecycle and clock actions (start, clarification, fees,
//!   extension, withdrawal, internal review, ICO) and approval.
//! - [`drafting`]: draft the answer and send it, adding its disclosure-log
//!   entries once disclosure control is checked again.
//! - [`final_letter`]: the final letter as sent (DOCX or PDF), its type
//!   checked by content and a DOCX's figures compared with the approved
//!   letter's.
//! - [`findings`]: a draft's blocking findings (nothing recorded for a
//!   figure or statement) and their resolution; approval and sending are
//!   refused while any is open.
//! - [`understanding`]: how an e-mail was read, corrections, and the
//!   phrases officers have taught.
//! - [`correcting`]: correcting what a case asks one step at a time
//!   (set aside, split, merge, set a reading), its working copy, reading
//!   it again, and removing a taught phrase.
//! - [`retention`]: requesters' details erased past their retention date.
//!
//! Deadlines are counted on [`calendar`]: the shipped bank holidays with
//! every calendar an administrator imported.

pub mod cases;
pub mod clock;
pub mod correcting;
pub mod correspondence;
pub mod drafting;
pub mod final_letter;
pub mod findings;
pub mod intake;
pub mod retention;
pub mod understanding;
pub mod web_form;
pub mod workspace;

use std::collections::HashMap;

use jiff::civil::Date;
use lantern_core::casework;
use lantern_core::catalogue::Catalogue;
use lantern_core::related::{self, Asked};
use lantern_core::{request, understand};
use lantern_store::{Store, StoreError};

use crate::files::MAX_TEXT;
use crate::{Context, Error, Result};

pub use lantern_core::casework::{
    Action, Case, CaseEvent, LogEntry, ReferencePattern, ReviewOutcome, Status,
};
pub use lantern_core::deadline::{Calendar, Deadline, Review};
pub use lantern_core::related::{Aggregation, Covering, Link};
pub use lantern_store::{StoredAttachment, StoredSynonym};

pub use cases::{
    CaseList, CaseView, ListFilter, ListedCase, ReviewDates, letter, list, published,
    published_docx, show, spreadsheet,
};
pub use clock::{Acted, Acting, act, approve};
pub use correcting::{
    Corrected, Correcting, Correction, Forgotten, WorkQuestion, Worksheet, correct_questions,
    forget_phrase, reread, structured, worksheet,
};
pub use drafting::{
    Drafted, KeptLetter, Sent, check_still_protected, draft, log_entries, send, send_with,
};
pub use findings::{
    COST_LIMIT_S12, OpenFinding, REFER_S21, Resolved, Resolving, SEEK_CLARIFICATION, Way,
    declarations, open_findings, resolve, withdraw_declaration,
};
pub use intake::{
    AS_RECEIVED, Form, NewRequest, Opened, TypedRequest, attachment, attachments, take_in,
    take_in_typed,
};
pub use retention::{Erased, erase_expired};
pub use understanding::{
    Alternative, Reading, Taught, correct, not_taken, synonyms, teach, understanding,
};

/// The bank holidays deadlines are counted on: the shipped calendar with
/// every calendar an administrator imported (`lantern import bank-holidays`)
/// added in turn, so a proclaimed day counts from the moment it is imported.
pub fn calendar(store: &dyn Store) -> Result<Calendar> {
    let mut calendar = Calendar::shipped();
    for held in store.calendars()? {
        let extra = Calendar::from_govuk_json(&held.body)
            .map_err(|e| {
                Error::new(
                    crate::Kind::Internal,
                    format!(
                        "the bank holidays of import {} are unreadable: {e}",
                        held.import
                    ),
                )
            })?
            .labelled(format!("import {}", held.import));
        calendar = calendar.merged(&extra);
    }
    Ok(calendar)
}

/// The case with this reference, or "there is no request …".
fn find(store: &dyn Store, reference: &str) -> Result<Case> {
    store
        .case(reference)?
        .ok_or_else(|| StoreError::NoSuchCase(reference.to_string()).into())
}

/// Drafts parsed, each with the text it was parsed from.
type DraftsRead = Vec<(String, std::rc::Rc<serde_json::Value>)>;

thread_local! {
    /// The drafts parsed so far within [`reading_drafts_once`] on this
    /// thread (by their exact text); `None` outside it.
    static DRAFTS_READ: std::cell::RefCell<Option<DraftsRead>> =
        const { std::cell::RefCell::new(None) };
}

/// Run `f`, parsing each draft's JSON at most once (by its exact text) in
/// the use cases `f` calls on this thread: what one page of one case needs,
/// whose parts (the case, its letter, its withheld counts and findings)
/// each read the draft. The draft is still read from the store each time,
/// so a draft saved meanwhile is parsed afresh; nothing parsed is kept once
/// `f` returns.
pub fn reading_drafts_once<R>(f: impl FnOnce() -> R) -> R {
    struct Forget;
    impl Drop for Forget {
        fn drop(&mut self) {
            DRAFTS_READ.with(|d| *d.borrow_mut() = None);
        }
    }
    let outermost = DRAFTS_READ.with(|d| {
        let mut d = d.borrow_mut();
        let outermost = d.is_none();
        if outermost {
            *d = Some(Vec::new());
        }
        outermost
    });
    // Made only when needed: a `Forget` dropped at once would forget.
    #[allow(clippy::unnecessary_lazy_evaluations)]
    let _forget = outermost.then(|| Forget);
    f()
}

/// A draft's JSON (as parsed before within [`reading_drafts_once`]).
fn draft_json(text: &str) -> Result<std::rc::Rc<serde_json::Value>> {
    let known = DRAFTS_READ.with(|d| {
        d.borrow()
            .as_ref()
            .and_then(|read| read.iter().find(|(t, _)| t == text).map(|(_, v)| v.clone()))
    });
    if let Some(view) = known {
        return Ok(view);
    }
    let view: std::rc::Rc<serde_json::Value> = std::rc::Rc::new(serde_json::from_str(text)?);
    DRAFTS_READ.with(|d| {
        if let Some(read) = d.borrow_mut().as_mut() {
            read.push((text.to_string(), view.clone()));
        }
    });
    Ok(view)
}

/// [`draft_json`] to change: a copy when it is shared.
fn draft_json_owned(text: &str) -> Result<serde_json::Value> {
    Ok(std::rc::Rc::try_unwrap(draft_json(text)?).unwrap_or_else(|shared| (*shared).clone()))
}

/// A case's deadline, from its history.
fn case_deadline(store: &dyn Store, calendar: &Calendar, case: &Case) -> Result<Deadline> {
    let history = store.case_history(&case.reference)?;
    Ok(casework::case_deadline(calendar, case, &history)?)
}

/// The phrases officers have taught, as the understanding model takes them.
/// A phrase whose target the catalogue no longer has is left out.
fn learned(store: &dyn Store) -> Result<Vec<understand::Synonym>> {
    let catalogue = store.catalogue()?;
    Ok(store
        .synonyms()?
        .into_iter()
        .filter_map(|s| {
            Some(understand::Synonym {
                target: understand::SynonymTarget::parse(&s.target, &catalogue).ok()?,
                phrase: s.phrase,
            })
        })
        .collect())
}

/// Refuse a date after the day the context acts on (`--as-of`, else today
/// in the council's time zone; a day's grace for a clock set by hand).
fn not_future(ctx: &Context, store: &dyn Store, what: &str, day: Date) -> Result<()> {
    let today = ctx.today(store)?;
    let latest = today.tomorrow().unwrap_or(today);
    if day > latest {
        crate::fail!(
            Invalid,
            "{what} {day} is in the future; give the day it happened"
        );
    }
    Ok(())
}

/// A request's text from its bytes: refused when too large or not UTF-8,
/// with a message naming `name`.
fn text_of(name: &str, bytes: &[u8]) -> Result<String> {
    if bytes.len() as u64 > MAX_TEXT {
        crate::fail!(
            Invalid,
            "{name} is {} bytes, too large for a request (the limit is {MAX_TEXT}); is it the right file?",
            bytes.len()
        );
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        Error::invalid(format!(
            "{name} is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The requests related to a case and the earlier answers that cover it
/// (`lantern_core::related`), for the officer.
#[derive(Debug, Clone)]
pub struct Links {
    /// Requests about the same subject within 60 working days, or from the
    /// same requester.
    pub related: Vec<Link>,
    /// Earlier answers in the disclosure log that gave figures this one asks for.
    pub covered: Vec<Covering>,
    /// How many figures (cells) this request asks for.
    pub cells: usize,
    /// The same requester's related requests together over the cost limit.
    pub aggregation: Option<Aggregation>,
}

impl Links {
    /// The links of `case` among every case held.
    fn of(ctx: &Context, store: &dyn Store, case: &Case, calendar: &Calendar) -> Result<Links> {
        let (this, others, related) = Self::related_of(ctx, store, case, calendar)?;
        // Earlier answers of this council's about the cells it asks for:
        // the log entries about exactly those cells, not the whole log.
        let cells: Vec<(String, String, String)> = this
            .cells
            .iter()
            .map(|c| (c.indicator.clone(), c.area.clone(), c.period.clone()))
            .collect();
        let logged = store.logged_cells(&cells)?;
        let covered = related::covered_by_logged(&case.reference, &this.cells, &logged);
        let aggregation = related::aggregated_hours(&this, &others, &related);
        Ok(Links {
            related,
            covered,
            cells: this.cells.len(),
            aggregation,
        })
    }

    /// The cost-limit warning of `case` alone ([`Links::aggregation_warning`]
    /// of [`Links::of`]), without reading the earlier answers that cover it,
    /// which the warning does not use: what drafting needs.
    fn aggregation_warning_of(
        ctx: &Context,
        store: &dyn Store,
        case: &Case,
        calendar: &Calendar,
    ) -> Result<Option<String>> {
        let (this, others, related) = Self::related_of(ctx, store, case, calendar)?;
        let links = Links {
            aggregation: related::aggregated_hours(&this, &others, &related),
            related,
            covered: Vec::new(),
            cells: this.cells.len(),
        };
        Ok(links.aggregation_warning())
    }

    /// What `case` asks, what the requests received within its
    /// aggregation window ask, and which of them are related to it.
    fn related_of(
        ctx: &Context,
        store: &dyn Store,
        case: &Case,
        calendar: &Calendar,
    ) -> Result<(Asked, Vec<Asked>, Vec<Link>)> {
        let catalogue = store.catalogue()?;
        let home = crate::council::in_force(ctx, store, None)?
            .area()
            .unwrap_or_default()
            .to_string();
        let mut read = ReadAsked::for_catalogue(&catalogue, &home);
        let (subjects, cells, estimate_hours) = read
            .of(
                &case.reference,
                case.structured.as_deref(),
                &catalogue,
                &home,
            )
            .clone();
        let this = Asked {
            reference: case.reference.clone(),
            received: case.received,
            requester_name: case.requester_name.clone(),
            requester_contact: case.requester_contact.clone(),
            answered: case.status.is_answered(),
            subjects,
            cells,
            estimate_hours,
        };
        // Only requests received within the aggregation window can be
        // related (and so counted in an aggregation): read those alone. Of
        // those, one sharing no subject with this one is never linked, and
        // the aggregation counts only linked ones, so it is left out here
        // rather than copied. `others` serves only `related::related` and
        // `related::aggregated_hours` over the links.
        let (from, to) = related_window(calendar, case.received);
        let others: Vec<Asked> = store
            .relatable_cases_between(from, to)?
            .into_iter()
            .filter_map(|c| {
                let (subjects, cells, estimate_hours) =
                    read.of(&c.reference, c.structured.as_deref(), &catalogue, &home);
                if subjects.is_disjoint(&this.subjects) {
                    return None;
                }
                let mut other = Asked {
                    received: c.received,
                    answered: c.status.is_answered(),
                    subjects: subjects.clone(),
                    cells: Default::default(),
                    estimate_hours: *estimate_hours,
                    reference: c.reference,
                    requester_name: c.requester_name,
                    requester_contact: c.requester_contact,
                };
                // Its cells are compared only when it comes from the same
                // requester (a possible repeat): copied only then.
                if this.same_requester(&other) {
                    other.cells = cells.clone();
                }
                Some(other)
            })
            .collect();
        read.keep();
        // A case far outside the calendar's years is not linked rather than failing.
        let related = related::related(&this, &others, calendar).unwrap_or_default();
        Ok((this, others, related))
    }

    /// The cost-limit warning when the same requester's related requests
    /// together go over it.
    pub fn aggregation_warning(&self) -> Option<String> {
        let a = self.aggregation.as_ref()?;
        Some(format!(
            "with {} from the same requester within 60 working days, the estimated hours come to {:.1}, over the {}-hour cost limit: section 12(4) lets the costs be aggregated",
            a.with.join(", "),
            a.hours,
            lantern_core::foi::COUNCIL_COST_LIMIT_HOURS
        ))
    }
}

/// What a structured request asks, as [`Links::of`] compares requests: its
/// subjects, its cells and the hours estimated.
type AskedOf = (
    std::collections::BTreeSet<lantern_core::related::Subject>,
    std::collections::BTreeSet<lantern_core::related::Cell>,
    f64,
);

/// The requests read so far, for the catalogue and home area they were read
/// with. A workspace page relates its case to every request received within
/// the aggregation window, and parsing each of those was most of what the
/// page cost; a request's structured text, reference, catalogue and home
/// area decide what it asks, so what was read from the same four is kept
/// (by reference, with the text it was read from, never the requester) and
/// reused by the next page. Bounded: emptied when it grows past
/// [`ReadAsked::MOST`], or when the catalogue or the home area differ.
#[derive(Clone)]
struct Kept {
    catalogue: Catalogue,
    home: String,
    read: HashMap<String, (Option<String>, AskedOf)>,
}

/// What the process has read ([`Kept`]), shared by the pages worked out at
/// the same time: each page reads a snapshot of it (a reference count,
/// not a copy) and adds what it had to read itself when it is done. (Taken
/// whole by one page at a time, the pages worked out alongside found it
/// taken and parsed every request again, which under load was most of a
/// workspace page's time.)
static READ_ASKED: std::sync::Mutex<Option<std::sync::Arc<Kept>>> = std::sync::Mutex::new(None);

/// One page's reading: the process's snapshot, and what this page read.
struct ReadAsked {
    catalogue: Catalogue,
    home: String,
    kept: Option<std::sync::Arc<Kept>>,
    read: HashMap<String, (Option<String>, AskedOf)>,
}

impl ReadAsked {
    /// The most requests kept.
    const MOST: usize = 20_000;

    /// Those kept for this catalogue and home area, else none.
    fn for_catalogue(catalogue: &Catalogue, home: &str) -> ReadAsked {
        let kept = READ_ASKED
            .lock()
            .ok()
            .and_then(|kept| kept.clone())
            .filter(|k| k.home == home && k.catalogue == *catalogue);
        ReadAsked {
            catalogue: catalogue.clone(),
            home: home.to_string(),
            kept,
            read: HashMap::new(),
        }
    }

    /// What the request `reference` whose structured text is `text` asks
    /// (nothing when it holds no structured request or it does not parse).
    fn of(
        &mut self,
        reference: &str,
        text: Option<&str>,
        catalogue: &Catalogue,
        home: &str,
    ) -> &AskedOf {
        let same = |(read_from, _): &(Option<String>, AskedOf)| read_from.as_deref() == text;
        let in_kept = self
            .kept
            .as_ref()
            .and_then(|k| k.read.get(reference))
            .is_some_and(same);
        if in_kept && let Some(kept) = &self.kept {
            return &kept.read[reference].1;
        }
        let known = self.read.get(reference).is_some_and(same);
        if !known {
            let parsed =
                text.and_then(|text| request::parse_request(reference, text, catalogue).ok());
            let (subjects, cells) = parsed
                .as_ref()
                .map(|r| Asked::of(r, home))
                .unwrap_or_default();
            let hours = parsed.as_ref().map_or(0.0, Asked::hours_of);
            self.read.insert(
                reference.to_string(),
                (text.map(str::to_string), (subjects, cells, hours)),
            );
        }
        &self.read[reference].1
    }

    /// Keep what this page read for the next pages.
    fn keep(self) {
        let ReadAsked {
            catalogue,
            home,
            kept,
            read,
        } = self;
        if read.is_empty() {
            return;
        }
        // This page's snapshot let go of first, so that the process's can
        // be added to in place when no other page holds it.
        drop(kept);
        let Ok(mut held) = READ_ASKED.lock() else {
            return;
        };
        match held
            .as_mut()
            .filter(|k| k.home == home && k.catalogue == catalogue)
        {
            Some(k) => {
                let k = std::sync::Arc::make_mut(k);
                if k.read.len() + read.len() > Self::MOST {
                    k.read.clear();
                }
                k.read.extend(read);
            }
            None => {
                *held = Some(std::sync::Arc::new(Kept {
                    catalogue,
                    home,
                    read,
                }));
            }
        }
    }
}

/// The days of receipt a request received on `received` can be related to:
/// those at most [`related::AGGREGATION_WORKING_DAYS`] working days before
/// or after it, as `related::related` counts them. An end the calendar
/// cannot count to (a year it does not cover) is left open, so every case
/// on that side is read and `related::related` decides as it would over
/// every case.
fn related_window(calendar: &Calendar, received: Date) -> (Option<Date>, Option<Date>) {
    let limit = related::AGGREGATION_WORKING_DAYS;
    // Working days in (day, received] stay within the limit down to `first`.
    let mut first = received;
    let mut counted = 0;
    let first = loop {
        match calendar.is_working_day(first) {
            Ok(true) => counted += 1,
            Ok(false) => {}
            Err(_) => break None,
        }
        if counted > limit {
            break Some(first);
        }
        match first.yesterday() {
            Ok(day) => first = day,
            Err(_) => break None,
        }
    };
    // Working days in (received, day] stay within the limit up to `last`.
    let mut last = received;
    let mut counted = 0;
    let last = loop {
        let Ok(next) = last.tomorrow() else {
            break None;
        };
        match calendar.is_working_day(next) {
            Ok(true) => counted += 1,
            Ok(false) => {}
            Err(_) => break None,
        }
        if counted > limit {
            break Some(last);
        }
        last = next;
    };
    (first, last)
}

#[cfg(test)]
mod tests;
