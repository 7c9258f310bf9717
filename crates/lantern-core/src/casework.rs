//! The life of an FOI request as casework: which states it can be in, which
//! actions move it between them, and which actions are refused where.
//!
//! ```text
//! received ──> in progress ──> drafted ──> approved ──> sent ──> review requested ──> review upheld
//!    │  ▲          │  ▲           │                       │            │               review partly upheld
//!    ▼  │          ▼  │           └─> (redraft) in progress  │            └───────────> review overturned
//! clarification sought                                       └─> ICO complaint (from sent or any review outcome)
//! withdrawn: from any state before sent
//! ```
//!
//! Invariants: a request is only sent after it was approved; an approved
//! answer cannot be changed without going back to in progress (which
//! withdraws the approval); nothing leaves `withdrawn`. Each accepted action
//! becomes one history entry (who, when, from, to), kept by the store.

use std::fmt;

use jiff::civil::Date;

use crate::deadline::{self, Calendar, ClockEvent, Deadline, DeadlineError};

/// A request as a case: what was received, from whom, and where it stands.
/// The requester's name and contact are personal data, kept only until
/// `retain_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The council's reference, e.g. FOI-2019-0412.
    pub reference: String,
    /// The date it was received.
    pub received: Date,
    /// Where it stands.
    pub status: Status,
    /// The requester's name (personal data).
    pub requester_name: Option<String>,
    /// How to reply: an e-mail or postal address (personal data).
    pub requester_contact: Option<String>,
    /// When the requester's details are to be erased.
    pub retain_until: Option<Date>,
    /// The request as received (e-mail text or structured request file).
    pub original: String,
    /// The structured request (TOML, docs/formats/request.md), once understood.
    pub structured: Option<String>,
    /// When the case was opened (RFC 3339).
    pub opened_at: String,
    /// Who opened it.
    pub opened_by: String,
}

/// The subject a case is listed by, from the request's text: its e-mail's
/// subject line, "(no subject)" for an e-mail without one, else
/// "Structured request" (a structured request file, or text the e-mail
/// reader refuses). Only the headers are read
/// ([`crate::understand::subject_line`]).
pub fn subject_of(original: &str) -> String {
    match crate::understand::subject_line(original.as_bytes()) {
        Ok(subject) => subject
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "(no subject)".to_string()),
        Err(_) => "Structured request".to_string(),
    }
}

/// One line of the disclosure log: a figure or decision in a sent answer,
/// with the requester removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The request's reference.
    pub reference: String,
    /// When the answer was sent (RFC 3339).
    pub sent_at: String,
    /// The question or part ("1", "3b").
    pub question: String,
    /// Indicator code, for figures.
    pub indicator: Option<String>,
    /// Area code, for figures.
    pub area: Option<String>,
    /// Period (canonical), for figures.
    pub period: Option<String>,
    /// Breakdown key, for figures.
    pub breakdown: Option<String>,
    /// `given`, `suppressed`, `not_held`, `withheld` or `statement`.
    pub decision: String,
    /// The basis cited, if any (`s22`, `s40_2`, …).
    pub basis: Option<String>,
    /// The exact value given (counts; pence for money), if one was.
    pub value: Option<i64>,
    /// What the letter said.
    pub released: String,
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What (an [`Action`] code, or `open`).
    pub action: String,
    /// The status before (none for `open`).
    pub from: Option<Status>,
    /// The status after.
    pub to: Status,
    /// A note the officer gave.
    pub note: Option<String>,
    /// The day it happened, when the officer gave one (a clarification that
    /// arrived on Monday but was recorded on Tuesday); otherwise the day of `at`.
    pub on: Option<Date>,
    /// For a public interest extension: the new due date.
    pub extended_to: Option<Date>,
    /// The [`Calendar::version`] the deadline was counted on when this happened.
    pub calendar: Option<String>,
    /// For a fees notice: the fee asked for, in pence, when it was recorded.
    pub fee_pence: Option<i64>,
}

impl CaseEvent {
    /// The day the event happened: the officer's date, else the day it was recorded.
    pub fn day(&self) -> Option<Date> {
        self.on.or_else(|| self.at.get(..10)?.parse().ok())
    }
}

/// What an officer says about an action besides who did it and when it was
/// recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionDetail {
    /// A note for the history.
    pub note: Option<String>,
    /// The day it happened, if not the day it is recorded.
    pub on: Option<Date>,
    /// For [`Action::Extend`]: the new due date.
    pub extended_to: Option<Date>,
    /// The calendar version the deadline is counted on now.
    pub calendar: Option<String>,
    /// For [`Action::IssueFeeNotice`]: the fee asked for, in pence.
    pub fee_pence: Option<i64>,
}

impl ActionDetail {
    /// Just a note.
    pub fn note(note: Option<&str>) -> ActionDetail {
        ActionDetail {
            note: note.map(str::to_string),
            ..ActionDetail::default()
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Logged, not yet worked on.
    Received,
    /// Waiting for the requester to clarify (the clock is stopped).
    ClarificationSought,
    /// Being worked on.
    InProgress,
    /// An answer is drafted, awaiting approval.
    Drafted,
    /// The answer is approved and may be sent.
    Approved,
    /// The answer has been sent.
    Sent,
    /// The requester withdrew the request.
    Withdrawn,
    /// The requester asked for an internal review.
    ReviewRequested,
    /// The review upheld the original answer.
    ReviewUpheld,
    /// The review partly upheld it.
    ReviewPartlyUpheld,
    /// The review overturned it.
    ReviewOverturned,
    /// The requester complained to the Information Commissioner.
    IcoComplaint,
}

/// Every status, in lifecycle order.
pub const STATUSES: [Status; 12] = [
    Status::Received,
    Status::ClarificationSought,
    Status::InProgress,
    Status::Drafted,
    Status::Approved,
    Status::Sent,
    Status::Withdrawn,
    Status::ReviewRequested,
    Status::ReviewUpheld,
    Status::ReviewPartlyUpheld,
    Status::ReviewOverturned,
    Status::IcoComplaint,
];

impl Status {
    /// Code stored and shown: `received`, `clarification_sought`, …
    pub fn code(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::ClarificationSought => "clarification_sought",
            Status::InProgress => "in_progress",
            Status::Drafted => "drafted",
            Status::Approved => "approved",
            Status::Sent => "sent",
            Status::Withdrawn => "withdrawn",
            Status::ReviewRequested => "review_requested",
            Status::ReviewUpheld => "review_upheld",
            Status::ReviewPartlyUpheld => "review_partly_upheld",
            Status::ReviewOverturned => "review_overturned",
            Status::IcoComplaint => "ico_complaint",
        }
    }

    /// Parse a stored code.
    pub fn parse(code: &str) -> Option<Status> {
        STATUSES.into_iter().find(|s| s.code() == code)
    }

    /// Whether the council still owes an answer: not sent, not withdrawn.
    pub fn is_open(self) -> bool {
        !self.is_answered() && self != Status::Withdrawn
    }

    /// Whether the answer has gone to the requester.
    pub fn is_answered(self) -> bool {
        matches!(
            self,
            Status::Sent
                | Status::ReviewRequested
                | Status::ReviewUpheld
                | Status::ReviewPartlyUpheld
                | Status::ReviewOverturned
                | Status::IcoComplaint
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code().replace('_', " "))
    }
}

/// The outcome of an internal review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewOutcome {
    /// The original answer stands.
    Upheld,
    /// It stands in part.
    PartlyUpheld,
    /// It is replaced.
    Overturned,
}

/// Something an officer (or the requester, through the officer) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Ask the requester to clarify.
    SeekClarification,
    /// The clarification arrived.
    Clarified,
    /// Start work (or go back to work on a drafted or approved answer).
    Start,
    /// Record a drafted answer.
    Draft,
    /// Approve the drafted answer.
    Approve,
    /// Send the approved answer.
    Send,
    /// The requester withdrew.
    Withdraw,
    /// The requester asked for an internal review.
    RequestReview,
    /// The review was decided.
    DecideReview(ReviewOutcome),
    /// The requester complained to the ICO.
    ComplainToIco,
    /// The Commissioner decided the complaint (the decision notice's
    /// outcome in the note); the case stays an ICO complaint, decided.
    IcoDecided,
    /// A fees notice (s9) was issued: the clock pauses until the fee arrives.
    IssueFeeNotice,
    /// The fee was received: the clock runs again.
    FeeReceived,
    /// The public interest test needs longer (s10(3)): a new due date for the
    /// substantive answer, given in [`ActionDetail::extended_to`].
    Extend,
}

impl Action {
    /// Whether the action moves the statutory clock (and is checked by
    /// [`deadline_after`] before it is recorded).
    pub fn moves_clock(self) -> bool {
        matches!(
            self,
            Action::SeekClarification
                | Action::Clarified
                | Action::IssueFeeNotice
                | Action::FeeReceived
                | Action::Extend
        )
    }

    /// Code stored in the history.
    pub fn code(self) -> &'static str {
        match self {
            Action::SeekClarification => "seek_clarification",
            Action::Clarified => "clarified",
            Action::Start => "start",
            Action::Draft => "draft",
            Action::Approve => "approve",
            Action::Send => "send",
            Action::Withdraw => "withdraw",
            Action::RequestReview => "request_review",
            Action::DecideReview(ReviewOutcome::Upheld) => "review_upheld",
            Action::DecideReview(ReviewOutcome::PartlyUpheld) => "review_partly_upheld",
            Action::DecideReview(ReviewOutcome::Overturned) => "review_overturned",
            Action::ComplainToIco => "ico_complaint",
            Action::IcoDecided => "ico_decision",
            Action::IssueFeeNotice => "fee_notice",
            Action::FeeReceived => "fee_received",
            Action::Extend => "extend",
        }
    }
}

/// An action refused in the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot be {verb}{}", hint(*.from, *.action))]
pub struct TransitionError {
    /// The state it was in.
    pub from: Status,
    /// What was tried.
    pub action: Action,
    verb: &'static str,
}

fn hint(from: Status, action: Action) -> &'static str {
    match (from, action) {
        (Status::Drafted, Action::Send) | (Status::InProgress, Action::Send) => {
            "; approve the draft first"
        }
        (Status::Received, Action::Approve) | (Status::InProgress, Action::Approve) => {
            "; draft an answer first"
        }
        (Status::Approved, Action::Approve) => "; it is already approved",
        (Status::Withdrawn, _) => "; it was withdrawn",
        _ => "",
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::SeekClarification => "put on hold for clarification",
        Action::Clarified => "marked clarified",
        Action::Start => "started",
        Action::Draft => "drafted",
        Action::Approve => "approved",
        Action::Send => "sent",
        Action::Withdraw => "withdrawn",
        Action::RequestReview => "reviewed",
        Action::DecideReview(_) => "given a review decision",
        Action::ComplainToIco => "recorded as an ICO complaint",
        Action::IcoDecided => "given the ICO's decision (record the complaint first)",
        Action::IssueFeeNotice => "sent a fees notice",
        Action::FeeReceived => "marked as having paid a fee",
        Action::Extend => "given a public interest extension",
    }
}

/// The refusal for correcting what a case asks once it has a draft: the
/// officer goes back to work on it (`Start`) first.
pub fn correction_refused(from: Status) -> TransitionError {
    TransitionError {
        from,
        action: Action::Start,
        verb: "corrected; start work on it again first",
    }
}

/// The state `action` leads to from `from`, or why it is refused.
pub fn transition(from: Status, action: Action) -> Result<Status, TransitionError> {
    use Status as S;
    let to = match (from, action) {
        // A draft may show that a question can be read another way (a
        // blocking finding): the officer asks then, and drafts again after.
        (S::Received | S::InProgress | S::Drafted, Action::SeekClarification) => {
            Some(S::ClarificationSought)
        }
        (S::ClarificationSought, Action::Clarified) => Some(S::Received),
        (S::Received | S::Drafted | S::Approved, Action::Start) => Some(S::InProgress),
        (S::Received | S::InProgress | S::Drafted, Action::Draft) => Some(S::Drafted),
        (S::Drafted, Action::Approve) => Some(S::Approved),
        (S::Approved, Action::Send) => Some(S::Sent),
        (
            S::Received | S::ClarificationSought | S::InProgress | S::Drafted | S::Approved,
            Action::Withdraw,
        ) => Some(S::Withdrawn),
        (S::Sent, Action::RequestReview) => Some(S::ReviewRequested),
        (S::ReviewRequested, Action::DecideReview(o)) => Some(match o {
            ReviewOutcome::Upheld => S::ReviewUpheld,
            ReviewOutcome::PartlyUpheld => S::ReviewPartlyUpheld,
            ReviewOutcome::Overturned => S::ReviewOverturned,
        }),
        (
            S::Sent | S::ReviewUpheld | S::ReviewPartlyUpheld | S::ReviewOverturned,
            Action::ComplainToIco,
        ) => Some(S::IcoComplaint),
        // The decision notice is recorded on the complaint, once (the
        // application layer refuses a second from the history).
        (S::IcoComplaint, Action::IcoDecided) => Some(S::IcoComplaint),
        // The clock's own events leave the case where it is; whether the
        // clock allows them (a fee paid with no notice outstanding, …) is
        // for `deadline` to say.
        (
            S::Received | S::InProgress | S::Drafted,
            Action::IssueFeeNotice | Action::FeeReceived,
        ) => Some(from),
        (S::Received | S::InProgress | S::Drafted | S::Approved, Action::Extend) => Some(from),
        _ => None,
    };
    to.ok_or(TransitionError {
        from,
        action,
        verb: verb(action),
    })
}

/// How a council numbers its requests: text with `{year}` (the year
/// received) and one `{seq}` or `{seq:N}` (the next number that year,
/// zero-padded to N digits), e.g. `FOI-{year}-{seq:04}` gives FOI-2019-0412.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePattern {
    before: String,
    after: String,
    width: usize,
}

impl ReferencePattern {
    /// The pattern Lantern uses unless configured: `FOI-{year}-{seq:04}`.
    pub fn standard() -> ReferencePattern {
        ReferencePattern {
            before: "FOI-{year}-".into(),
            after: String::new(),
            width: 4,
        }
    }

    /// Read a pattern; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<ReferencePattern, String> {
        let Some(start) = text.find("{seq") else {
            return Err(format!(
                "'{text}' has no {{seq}}: a reference needs a number, e.g. FOI-{{year}}-{{seq:04}}"
            ));
        };
        let rest = &text[start..];
        let Some(close) = rest.find('}') else {
            return Err(format!("'{text}': {{seq is not closed with }}"));
        };
        let width = match &rest[4..close] {
            "" => 0,
            spec => spec
                .strip_prefix(':')
                .and_then(|w| w.parse::<usize>().ok())
                .filter(|w| (1..=9).contains(w))
                .ok_or_else(|| {
                    format!("'{text}': write {{seq}} or {{seq:N}} with N from 1 to 9 digits")
                })?,
        };
        let before = &text[..start];
        let after = &rest[close + 1..];
        if after.contains("{seq") {
            return Err(format!("'{text}' has more than one {{seq}}"));
        }
        for part in [before, after] {
            let unknown = part.replace("{year}", "");
            if unknown.contains('{') || unknown.contains('}') {
                return Err(format!(
                    "'{text}': only {{year}} and {{seq}} may appear in braces"
                ));
            }
        }
        if text.trim().is_empty() || text.chars().any(char::is_whitespace) {
            return Err(format!("'{text}': a reference has no spaces"));
        }
        Ok(ReferencePattern {
            before: before.to_string(),
            after: after.to_string(),
            width,
        })
    }

    /// The reference numbered `seq` in `year`.
    pub fn format(&self, year: i16, seq: u32) -> String {
        let y = year.to_string();
        format!(
            "{}{seq:0width$}{}",
            self.before.replace("{year}", &y),
            self.after.replace("{year}", &y),
            width = self.width
        )
    }

    /// The number of `reference` if it follows this pattern for `year`.
    pub fn number_of(&self, reference: &str, year: i16) -> Option<u32> {
        let y = year.to_string();
        let digits = reference
            .strip_prefix(&self.before.replace("{year}", &y))?
            .strip_suffix(&self.after.replace("{year}", &y))?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// The next reference for a request received in `year`, after `taken`.
    pub fn next<'a>(&self, year: i16, taken: impl IntoIterator<Item = &'a str>) -> String {
        let last = taken
            .into_iter()
            .filter_map(|r| self.number_of(r, year))
            .max()
            .unwrap_or(0);
        self.format(year, last + 1)
    }
}

/// Why an answer cannot be approved as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the draft gives figures that differ from earlier releases ({}); approve it with a note saying why (revised data, a different definition, …)",
    .differences.join("; ")
)]
pub struct Unexplained {
    /// Each differing figure, described.
    pub differences: Vec<String>,
}

/// An answer whose figures differ from ones released earlier is approved
/// only with the officer's explanation, which the history keeps.
pub fn check_approval(differences: Vec<String>, note: Option<&str>) -> Result<(), Unexplained> {
    let explained = note.is_some_and(|n| !n.trim().is_empty());
    if differences.is_empty() || explained {
        Ok(())
    } else {
        Err(Unexplained { differences })
    }
}

/// What the retention rule says of a case's requester details on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Held and still within the retention period (or none are held).
    Keep,
    /// Past the retention date and the case is closed: erase them.
    Erase,
    /// Past the retention date, but the case is open: the council must
    /// still reply, so they are kept until it is answered or withdrawn.
    KeepWhileOpen,
}

/// The retention rule: requester details are erased after `retain_until`,
/// once the case is closed.
pub fn retention(case: &Case, today: Date) -> Retention {
    let held = case.requester_name.is_some() || case.requester_contact.is_some();
    let past = case.retain_until.is_some_and(|until| until < today);
    match (held && past, case.status.is_open()) {
        (false, _) => Retention::Keep,
        (true, true) => Retention::KeepWhileOpen,
        (true, false) => Retention::Erase,
    }
}

/// The actions that move the clock ([`Action::moves_clock`]): the only
/// events of a history [`clock_events`] reads, so a reader after a case's
/// deadline alone may read those and no others.
pub const CLOCK_ACTIONS: [Action; 5] = [
    Action::SeekClarification,
    Action::Clarified,
    Action::IssueFeeNotice,
    Action::FeeReceived,
    Action::Extend,
];

/// The events in a case's history that move its deadline, in order.
pub fn clock_events(history: &[CaseEvent]) -> Vec<ClockEvent> {
    history
        .iter()
        .filter_map(|e| {
            let day = e.day()?;
            match e.action.as_str() {
                "seek_clarification" => Some(ClockEvent::ClarificationSought(day)),
                "clarified" => Some(ClockEvent::Clarified(day)),
                "fee_notice" => Some(ClockEvent::FeeNoticeIssued(day)),
                "fee_received" => Some(ClockEvent::FeePaid(day)),
                "extend" => Some(ClockEvent::Extended { to: e.extended_to? }),
                _ => None,
            }
        })
        .collect()
}

/// A case's statutory deadline after everything in its history.
pub fn case_deadline(
    calendar: &Calendar,
    case: &Case,
    history: &[CaseEvent],
) -> Result<Deadline, DeadlineError> {
    deadline::deadline(calendar, case.received, &clock_events(history))
}

/// The deadline as it would be if `action` (with `detail`, on `day`) were
/// added to the history: how an action that moves the clock is checked
/// before it is recorded (a fee paid with no notice outstanding, an
/// extension that is not later than the deadline, a date before receipt or
/// before an earlier event are refused with the reason).
pub fn deadline_after(
    calendar: &Calendar,
    case: &Case,
    history: &[CaseEvent],
    action: Action,
    day: Date,
    detail: &ActionDetail,
) -> Result<Deadline, DeadlineError> {
    let mut events = clock_events(history);
    let event = match action {
        Action::SeekClarification => Some(ClockEvent::ClarificationSought(day)),
        Action::Clarified => Some(ClockEvent::Clarified(day)),
        Action::IssueFeeNotice => Some(ClockEvent::FeeNoticeIssued(day)),
        Action::FeeReceived => Some(ClockEvent::FeePaid(day)),
        Action::Extend => detail.extended_to.map(|to| ClockEvent::Extended { to }),
        _ => None,
    };
    events.extend(event);
    deadline::deadline(calendar, case.received, &events)
}

/// The day the answer was sent, if it was.
pub fn sent_on(history: &[CaseEvent]) -> Option<Date> {
    history.iter().rfind(|e| e.action == "send")?.day()
}

/// Whether a case's title may still change: until its answer is sent (the
/// title is published with it in the disclosure log).
pub fn retitlable(status: Status) -> bool {
    matches!(
        status,
        Status::Received
            | Status::ClarificationSought
            | Status::InProgress
            | Status::Drafted
            | Status::Approved
    )
}

/// Why a case cannot be given a new title now.
pub fn retitle_refused(from: Status) -> TransitionError {
    TransitionError {
        from,
        action: Action::Send,
        verb: "given a new title: its title is published with the answer, so it can only change before sending",
    }
}

/// The title an officer gave a case last (`retitle` in its history), if any.
pub fn title_of(history: &[CaseEvent]) -> Option<&str> {
    history
        .iter()
        .rfind(|e| e.action == "retitle")?
        .note
        .as_deref()
}

/// What a sent answer did, as the public log says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every question answered.
    Answered,
    /// Some of it answered, some withheld, not held or refused.
    PartlyAnswered,
    /// None of it is held.
    NotHeld,
    /// Nothing given: withheld or refused.
    Refused,
}

/// Every outcome, in the order the log lists them.
pub const OUTCOMES: [Outcome; 4] = [
    Outcome::Answered,
    Outcome::PartlyAnswered,
    Outcome::NotHeld,
    Outcome::Refused,
];

impl Outcome {
    /// The code filters and downloads use.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::PartlyAnswered => "partly_answered",
            Outcome::NotHeld => "not_held",
            Outcome::Refused => "refused",
        }
    }

    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Answered => "Answered in full",
            Outcome::PartlyAnswered => "Partly answered",
            Outcome::NotHeld => "Information not held",
            Outcome::Refused => "Withheld",
        }
    }

    /// The outcome with this code.
    pub fn from_code(code: &str) -> Option<Outcome> {
        OUTCOMES.into_iter().find(|o| o.code() == code)
    }

    /// The outcome of an answer whose log lines have these decisions
    /// (`given`, `statement`, `not_held`, `suppressed`, `withheld`); an
    /// answer with no line is not held.
    pub fn of<'a>(decisions: impl IntoIterator<Item = &'a str>) -> Outcome {
        let (mut given, mut not_held, mut other) = (0, 0, 0);
        for d in decisions {
            match d {
                "given" | "statement" => given += 1,
                "not_held" => not_held += 1,
                _ => other += 1,
            }
        }
        match (given, not_held + other, other) {
            (g, 0, _) if g > 0 => Outcome::Answered,
            (g, _, _) if g > 0 => Outcome::PartlyAnswered,
            (_, _, 0) => Outcome::NotHeld,
            _ => Outcome::Refused,
        }
    }
}

/// When an internal review was asked for and, once decided, its outcome and
/// the day it was decided.
pub fn review_of(history: &[CaseEvent]) -> Option<(Date, Option<(ReviewOutcome, Date)>)> {
    let requested = history.iter().rfind(|e| e.action == "request_review")?;
    let decided = history
        .iter()
        .rfind(|e| e.action.starts_with("review_"))
        .and_then(|e| {
            let outcome = match e.action.as_str() {
                "review_upheld" => ReviewOutcome::Upheld,
                "review_partly_upheld" => ReviewOutcome::PartlyUpheld,
                "review_overturned" => ReviewOutcome::Overturned,
                _ => return None,
            };
            Some((outcome, e.day()?))
        });
    Some((requested.day()?, decided))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clock_actions_give_clock_events() {
        let every = ACTIONS;
        for action in every
            .into_iter()
            .map(|a| a.code())
            .chain(["open", "learn", "correct"])
        {
            let event = CaseEvent {
                at: "2024-03-20T09:00:00Z".into(),
                actor: "alice".into(),
                action: action.into(),
                from: None,
                to: Status::InProgress,
                note: None,
                on: Some(Date::constant(2024, 3, 20)),
                extended_to: Some(Date::constant(2024, 5, 20)),
                calendar: None,
                fee_pence: None,
            };
            let listed = CLOCK_ACTIONS.iter().any(|a| a.code() == action);
            assert_eq!(
                clock_events(&[event]).len(),
                usize::from(listed),
                "{action}"
            );
        }
        for action in every {
            assert_eq!(
                action.moves_clock(),
                CLOCK_ACTIONS.contains(&action),
                "{action:?}"
            );
        }
    }

    const ACTIONS: [Action; 16] = [
        Action::SeekClarification,
        Action::Clarified,
        Action::Start,
        Action::Draft,
        Action::Approve,
        Action::Send,
        Action::Withdraw,
        Action::RequestReview,
        Action::DecideReview(ReviewOutcome::Upheld),
        Action::DecideReview(ReviewOutcome::PartlyUpheld),
        Action::DecideReview(ReviewOutcome::Overturned),
        Action::ComplainToIco,
        Action::IcoDecided,
        Action::IssueFeeNotice,
        Action::FeeReceived,
        Action::Extend,
    ];

    #[test]
    fn the_usual_path_from_receipt_to_review() {
        let mut s = Status::Received;
        for a in [
            Action::SeekClarification,
            Action::Clarified,
            Action::Start,
            Action::Draft,
            Action::Approve,
            Action::Send,
            Action::RequestReview,
            Action::DecideReview(ReviewOutcome::PartlyUpheld),
            Action::ComplainToIco,
            Action::IcoDecided,
        ] {
            s = transition(s, a).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(s, Status::IcoComplaint);
        let early = transition(Status::Sent, Action::IcoDecided).unwrap_err();
        assert!(
            early.to_string().contains("record the complaint first"),
            "{early}"
        );
    }

    #[test]
    fn only_an_approved_answer_is_sent_and_approval_happens_once() {
        let err = transition(Status::Drafted, Action::Send).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a request that is drafted cannot be sent; approve the draft first"
        );
        let err = transition(Status::Approved, Action::Approve).unwrap_err();
        assert!(err.to_string().contains("already approved"));
        for a in ACTIONS {
            if let Ok(to) = transition(Status::Received, a) {
                assert_ne!(to, Status::Sent, "{a:?} skips approval");
            }
        }
    }

    #[test]
    fn nothing_leaves_withdrawn_and_sent_requests_cannot_be_withdrawn() {
        for a in ACTIONS {
            assert!(transition(Status::Withdrawn, a).is_err(), "{a:?}");
        }
        assert!(transition(Status::Sent, Action::Withdraw).is_err());
    }

    #[test]
    fn references_follow_the_council_pattern_and_count_per_year() {
        let standard = ReferencePattern::standard();
        assert_eq!(standard.format(2019, 412), "FOI-2019-0412");
        assert_eq!(
            standard.next(
                2019,
                ["FOI-2019-0411", "FOI-2019-0007", "FOI-2018-0999", "X"]
            ),
            "FOI-2019-0412"
        );
        assert_eq!(standard.next(2020, ["FOI-2019-0411"]), "FOI-2020-0001");
        let own = ReferencePattern::parse("IG/{seq}/{year}").unwrap();
        assert_eq!(own.next(2024, ["IG/9/2024", "IG/10/2024"]), "IG/11/2024");
        assert_eq!(
            ReferencePattern::parse("FOI-{year}-{seq:04}").unwrap(),
            standard
        );
        for bad in [
            "FOI-{year}",
            "FOI {seq}",
            "{seq}{seq}",
            "{seq:x}",
            "{yr}-{seq}",
            "{seq",
        ] {
            assert!(ReferencePattern::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_reference_reads_back_as_its_number(
            before in "[A-Z]{0,4}[-/]?",
            after in "([-/][A-Z]{1,3})?",
            width in 0usize..6,
            year in 2000i16..2100,
            seq in 1u32..100_000,
        ) {
            let spec = if width == 0 { "{seq}".to_string() } else { format!("{{seq:{width}}}") };
            let pattern = ReferencePattern::parse(&format!("{before}{{year}}-{spec}{after}"))
                .unwrap_or_else(|e| panic!("{e}"));
            let reference = pattern.format(year, seq);
            proptest::prop_assert_eq!(pattern.number_of(&reference, year), Some(seq));
            proptest::prop_assert_eq!(pattern.number_of(&reference, year + 1), None);
            proptest::prop_assert_eq!(pattern.next(year, [reference.as_str()]), pattern.format(year, seq + 1));
        }
    }

    #[test]
    fn a_differing_figure_needs_an_explanation_before_approval() {
        let differs = || vec!["people_in_treatment 2019/20: FOI-A gave 60".to_string()];
        let err = check_approval(differs(), None).unwrap_err();
        assert!(err.to_string().contains("FOI-A gave 60"), "{err}");
        assert!(
            check_approval(differs(), Some("  ")).is_err(),
            "a blank note explains nothing"
        );
        assert!(check_approval(differs(), Some("NDTMS revised it")).is_ok());
        assert!(check_approval(vec![], None).is_ok());
    }

    #[test]
    fn requester_details_are_erased_after_retention_once_closed() {
        let case = |status, name: Option<&str>| Case {
            reference: "FOI-1".into(),
            received: Date::constant(2019, 6, 10),
            status,
            requester_name: name.map(str::to_string),
            requester_contact: None,
            retain_until: Some(Date::constant(2021, 6, 10)),
            original: String::new(),
            structured: None,
            opened_at: String::new(),
            opened_by: String::new(),
        };
        let (on_the_day, after) = (Date::constant(2021, 6, 10), Date::constant(2021, 6, 11));
        assert_eq!(
            retention(&case(Status::Sent, Some("Jo")), on_the_day),
            Retention::Keep
        );
        assert_eq!(
            retention(&case(Status::Sent, Some("Jo")), after),
            Retention::Erase
        );
        assert_eq!(
            retention(&case(Status::Withdrawn, Some("Jo")), after),
            Retention::Erase
        );
        assert_eq!(
            retention(&case(Status::InProgress, Some("Jo")), after),
            Retention::KeepWhileOpen
        );
        assert_eq!(
            retention(&case(Status::Sent, None), after),
            Retention::Keep,
            "already erased"
        );
    }

    #[test]
    fn status_codes_round_trip() {
        for s in STATUSES {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
    }
}
