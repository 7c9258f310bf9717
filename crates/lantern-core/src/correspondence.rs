//! The letters a case sends besides the answer: the acknowledgement, the
//! request for clarification (s1(3)), the fees notice (s9), the public
//! interest extension (s10(3)) and the internal review's outcome.
//!
//! This module owns what each of these letters says and which recorded
//! facts it needs. Each is made from the case's record only (its dates from
//! the case's clock and history, the sender from the council's settings):
//! where a fact a letter needs is not recorded, [`write`] refuses with
//! [`Missing`], saying what to record, rather than leave a gap or guess.
//! Nothing here reads the clock or the store; the letters come out as
//! Markdown, escaped like the answer letter, for the same HTML and DOCX
//! renderers.

use std::fmt::Write as _;

use jiff::civil::Date;

use crate::casework::{CaseEvent, ReviewOutcome, review_of};
use crate::deadline::{Deadline, Hold};
use crate::foi::Basis;
use crate::letter::{escape_markdown as md, long_date};

/// Which letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// "We have your request; we will reply by …".
    Acknowledgement,
    /// Asking the requester what they mean (s1(3)); the clock stops.
    Clarification,
    /// A fee to pay before the request is answered (s9); the clock stops.
    FeesNotice,
    /// More time to weigh the public interest (s10(3), with the s17(1)
    /// notice naming the exemption).
    Extension,
    /// The internal review's outcome.
    ReviewOutcome,
}

impl Kind {
    /// Every kind, in the order a case meets them.
    pub const ALL: [Kind; 5] = [
        Kind::Acknowledgement,
        Kind::Clarification,
        Kind::FeesNotice,
        Kind::Extension,
        Kind::ReviewOutcome,
    ];

    /// Its code (in addresses, file names and on the command line).
    pub fn code(self) -> &'static str {
        match self {
            Kind::Acknowledgement => "acknowledgement",
            Kind::Clarification => "clarification",
            Kind::FeesNotice => "fees-notice",
            Kind::Extension => "extension",
            Kind::ReviewOutcome => "review-outcome",
        }
    }

    /// The kind a code names.
    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The letter's heading.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Acknowledgement => "Your request for information",
            Kind::Clarification => "Your request for information: we need more detail",
            Kind::FeesNotice => "Your request for information: fees notice",
            Kind::Extension => {
                "Your request for information: more time to consider the public interest"
            }
            Kind::ReviewOutcome => "Your request for an internal review",
        }
    }
}

/// Who sends the letter: the council's settings.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The council's name.
    pub name: &'a str,
    /// The team that handles requests and reviews.
    pub team: &'a str,
    /// Its postal address.
    pub address: &'a [String],
    /// Its e-mail address.
    pub email: Option<&'a str>,
    /// The lines that close a letter.
    pub signature: &'a [String],
}

/// A fee recorded with a fees notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fee {
    /// The amount, in pence.
    pub pence: i64,
}

/// An exemption whose public interest test an extension is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    /// The exemption (a qualified one).
    pub basis: Basis,
    /// The questions and periods it covers ("question 1 for 2018/19").
    pub covers: String,
}

/// Everything recorded about a case that its letters may say.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The council's reference.
    pub reference: &'a str,
    /// When the request was received.
    pub received: Date,
    /// The requester's name, when known ("Dear NAME"; else "Dear Sir or Madam").
    pub addressee: Option<&'a str>,
    /// The sender.
    pub sender: Sender<'a>,
    /// Today, by the clock: the date of a letter not tied to an event.
    pub today: Date,
    /// The case's deadline after everything in its history.
    pub deadline: &'a Deadline,
    /// The case's history.
    pub history: &'a [CaseEvent],
    /// The fee of the latest fees notice, when one is recorded.
    pub fee: Option<Fee>,
    /// The qualified exemptions the answer as decided now relies on.
    pub exemptions: &'a [Exemption],
}

/// A fact a letter needs that is not recorded: the message says what to
/// record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub String);

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Missing {}

/// The latest event of `action` in the history.
fn latest<'a>(history: &'a [CaseEvent], action: &str) -> Option<&'a CaseEvent> {
    history.iter().rfind(|e| e.action == action)
}

fn note(e: &CaseEvent) -> Option<&str> {
    e.note.as_deref().map(str::trim).filter(|n| !n.is_empty())
}

/// "£25.00" from pence.
fn pounds(pence: i64) -> String {
    crate::figure::format_amount(pence, crate::catalogue::Unit::Gbp)
}

fn describe(basis: Basis) -> &'static str {
    match basis {
        Basis::FuturePublication => "information intended for future publication",
        Basis::AccessibleElsewhere => "information reasonably accessible by other means",
        Basis::PersonalData => "personal data",
        Basis::NotHeld => "information not held",
        Basis::CostLimit => "the cost limit",
    }
}

/// A quotation of the officer's words, escaped.
fn quote(text: &str) -> String {
    md(text)
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Write a letter as Markdown, or say which fact is not recorded.
pub fn write(kind: Kind, facts: &Facts<'_>) -> Result<String, Missing> {
    let r = md(facts.reference);
    let received = long_date(facts.received);
    let (date, body) = match kind {
        Kind::Acknowledgement => (facts.today, acknowledgement(facts)),
        Kind::Clarification => {
            let sought = latest(facts.history, "seek_clarification").ok_or_else(|| {
                Missing(format!(
                    "no request for clarification is recorded for {}: record it first (seek clarification, with what you need to know as its note)",
                    facts.reference
                ))
            })?;
            let what = note(sought).ok_or_else(|| {
                Missing(format!(
                    "the request for clarification recorded for {} has no note saying what the requester should clarify: record it again with that note",
                    facts.reference
                ))
            })?;
            (day(sought, facts), clarification(facts, what))
        }
        Kind::FeesNotice => {
            let notice = latest(facts.history, "fee_notice").ok_or_else(|| {
                Missing(format!(
                    "no fees notice is recorded for {}: record the fees notice first",
                    facts.reference
                ))
            })?;
            let fee = facts.fee.ok_or_else(|| {
                Missing(format!(
                    "no fee amount is recorded with the fees notice for {}: record a fees notice with the fee the requester is to pay",
                    facts.reference
                ))
            })?;
            (day(notice, facts), fees_notice(facts, fee, note(notice)))
        }
        Kind::Extension => {
            let extended = latest(facts.history, "extend").ok_or_else(|| {
                Missing(format!(
                    "no extension is recorded for {}: record the extension with its new date first",
                    facts.reference
                ))
            })?;
            let to = extended.extended_to.ok_or_else(|| {
                Missing(format!(
                    "the extension recorded for {} has no new date: record the extension again with the date the answer is now due",
                    facts.reference
                ))
            })?;
            if facts.exemptions.is_empty() {
                return Err(Missing(format!(
                    "the answer to {} as decided now relies on no exemption with a public interest test, which is what an extension under section 10(3) is for: record the decisions that need one (or do not send this letter)",
                    facts.reference
                )));
            }
            (day(extended, facts), extension(facts, to))
        }
        Kind::ReviewOutcome => {
            let (requested, decided) = review_of(facts.history).ok_or_else(|| {
                Missing(format!(
                    "no internal review is recorded for {}: record the request for a review and its outcome first",
                    facts.reference
                ))
            })?;
            let (outcome, on) = decided.ok_or_else(|| {
                Missing(format!(
                    "the internal review of {} has no outcome recorded: record the outcome (upheld, partly upheld or overturned) first",
                    facts.reference
                ))
            })?;
            let decision = facts
                .history
                .iter()
                .rfind(|e| e.action.starts_with("review_"));
            let reasons = decision.and_then(note).ok_or_else(|| {
                Missing(format!(
                    "the internal review's outcome for {} has no reasons recorded: record the outcome with the reviewer's reasons as its note",
                    facts.reference
                ))
            })?;
            (on, review_outcome(facts, requested, outcome, reasons))
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", kind.title());
    let _ = writeln!(out, "**Date:** {}\\", long_date(date));
    let _ = writeln!(out, "**Our reference:** {r}\\");
    let _ = writeln!(out, "**Request received:** {received}\n");
    let _ = writeln!(
        out,
        "Dear {},\n",
        md(facts
            .addressee
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("Sir or Madam"))
    );
    out.push_str(&body);
    let _ = writeln!(
        out,
        "{}\n",
        if facts.addressee.is_some() {
            "Yours sincerely,"
        } else {
            "Yours faithfully,"
        }
    );
    let signature: Vec<String> = facts.sender.signature.iter().map(|l| md(l)).collect();
    if signature.is_empty() {
        let _ = writeln!(out, "{}", md(facts.sender.team));
        let _ = writeln!(out, "{}", md(facts.sender.name));
    } else {
        let _ = writeln!(out, "{}", signature.join("\\\n"));
    }
    Ok(out)
}

/// The day of an event (the officer's date, else the day it was recorded),
/// or today.
fn day(e: &CaseEvent, facts: &Facts<'_>) -> Date {
    e.day().unwrap_or(facts.today)
}

/// "the Information Governance Team, at foi@council.gov.uk".
fn contact(facts: &Facts<'_>) -> String {
    let s = facts.sender;
    let mut out = format!("the {}", md(s.team.trim_start_matches("the ")));
    if let Some(e) = s.email {
        let _ = write!(out, " at {}", md(e));
    }
    if !s.address.is_empty() {
        let lines: Vec<String> = s.address.iter().map(|l| md(l)).collect();
        let _ = write!(out, ", {}", lines.join(", "));
    }
    out
}

fn acknowledgement(facts: &Facts<'_>) -> String {
    let mut out = format!(
        "Thank you for your request for information, which {} received on {}. We are dealing with it under the Freedom of Information Act 2000. Our reference is {}: please quote it if you contact us about this request.\n\n",
        md(facts.sender.name),
        long_date(facts.received),
        md(facts.reference),
    );
    match facts.deadline.hold {
        Some(Hold::Clarification { sought }) => {
            let _ = write!(
                out,
                "On {} we asked you to clarify your request. The time we have to reply is paused until we hear from you; once we do, we will reply within 20 working days.\n\n",
                long_date(sought)
            );
        }
        Some(Hold::Fee { notice_issued }) => {
            let _ = write!(
                out,
                "On {} we sent you a fees notice. The time we have to reply is paused until the fee is paid.\n\n",
                long_date(notice_issued)
            );
        }
        None => {
            let _ = write!(
                out,
                "We will reply promptly, and by {} at the latest: the Act gives us 20 working days, not counting weekends and bank holidays.\n\n",
                long_date(facts.deadline.due)
            );
        }
    }
    let _ = write!(
        out,
        "If we need you to clarify anything, or to pay a fee, we will write to you; the time we have to reply then pauses until we hear from you. If you have any questions, please contact {}.\n\n",
        contact(facts)
    );
    out
}

fn clarification(facts: &Facts<'_>, what: &str) -> String {
    format!(
        "Thank you for your request for information, which we received on {}. Before we can answer it, we need you to tell us more:\n\n{}\n\nSection 1(3) of the Freedom of Information Act 2000 means we are not obliged to answer the request until we have this information. The 20 working days we have to reply will start again on the day we receive your reply.\n\nIf it would help to talk about what you are looking for, please contact {}; we will be glad to help (section 16).\n\n",
        long_date(facts.received),
        quote(what),
        contact(facts),
    )
}

fn fees_notice(facts: &Facts<'_>, fee: Fee, why: Option<&str>) -> String {
    let mut out = format!(
        "Thank you for your request for information, which we received on {}. This letter is a fees notice under section 9 of the Freedom of Information Act 2000: the fee for answering your request is **{}**.\n\n",
        long_date(facts.received),
        pounds(fee.pence),
    );
    if let Some(why) = why {
        let _ = write!(out, "How the fee is made up:\n\n{}\n\n", quote(why));
    }
    let _ = write!(
        out,
        "We are not obliged to answer your request until the fee is paid. The time we have to reply is paused from the date of this notice until we receive the fee. If the fee is not paid within three months of the date of this notice, we are not obliged to answer the request at all (section 9(2)).\n\nTo pay, or if you would like to talk about narrowing your request so that no fee is needed, please contact {}.\n\n",
        contact(facts)
    );
    out
}

fn extension(facts: &Facts<'_>, to: Date) -> String {
    let exemptions: Vec<String> = facts
        .exemptions
        .iter()
        .map(|e| {
            format!(
                "- {} ({}), for {}",
                e.basis.citation(),
                describe(e.basis),
                md(&e.covers)
            )
        })
        .collect();
    format!(
        "Thank you for your request for information, which we received on {}. We hold information within your request that we consider may be exempt from disclosure under the Freedom of Information Act 2000:\n\n{}\n\n{} a qualified exemption: before withholding the information we must decide whether the public interest in maintaining the exemption outweighs the public interest in disclosing it. We need more time to consider the public interest, as section 10(3) of the Act allows, and we now expect to give you our decision by **{}**.\n\nThis letter is a notice under section 17(1) and (2) of the Act. If you have any questions, please contact {}.\n\n",
        long_date(facts.received),
        exemptions.join("\n"),
        if exemptions.len() == 1 {
            "This is"
        } else {
            "Each is"
        },
        long_date(to),
        contact(facts),
    )
}

fn review_outcome(
    facts: &Facts<'_>,
    requested: Date,
    outcome: ReviewOutcome,
    reasons: &str,
) -> String {
    let decided = match outcome {
        ReviewOutcome::Upheld => "The review has upheld our original response.",
        ReviewOutcome::PartlyUpheld => "The review has upheld our original response in part.",
        ReviewOutcome::Overturned => "The review has not upheld our original response.",
    };
    format!(
        "On {} you asked for an internal review of how we handled your request for information {}. {}\n\nThe reviewer's reasons:\n\n{}\n\nIf you are not satisfied with the outcome of the review, you may complain to the Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF (https://ico.org.uk/make-a-complaint/).\n\n",
        long_date(requested),
        md(facts.reference),
        decided,
        quote(reasons),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::casework::Status;
    use crate::deadline::Calendar;

    fn event(action: &str, on: Date, note: Option<&str>) -> CaseEvent {
        CaseEvent {
            at: format!("{on}T10:00:00Z"),
            actor: "officer".into(),
            action: action.into(),
            from: None,
            to: Status::InProgress,
            note: note.map(str::to_string),
            on: Some(on),
            extended_to: None,
            calendar: None,
            fee_pence: None,
        }
    }

    fn deadline(received: Date) -> Deadline {
        crate::deadline::deadline(&Calendar::shipped(), received, &[]).unwrap()
    }

    #[test]
    fn each_letter_refuses_until_what_it_needs_is_recorded() {
        let received = jiff::civil::date(2019, 6, 10);
        let due = deadline(received);
        let facts = Facts {
            reference: "FOI-1",
            received,
            addressee: None,
            sender: Sender {
                name: "Council",
                team: "FOI team",
                address: &[],
                email: None,
                signature: &[],
            },
            today: received,
            deadline: &due,
            history: &[],
            fee: None,
            exemptions: &[],
        };
        assert!(write(Kind::Acknowledgement, &facts).is_ok());
        for (kind, says) in [
            (Kind::Clarification, "seek clarification"),
            (Kind::FeesNotice, "record the fees notice"),
            (Kind::Extension, "record the extension"),
            (Kind::ReviewOutcome, "record the request for a review"),
        ] {
            let Missing(m) = write(kind, &facts).unwrap_err();
            assert!(m.contains(says), "{kind:?}: {m}");
        }
        let history = [event("fee_notice", received, None)];
        let Missing(m) = write(
            Kind::FeesNotice,
            &Facts {
                history: &history,
                ..facts
            },
        )
        .unwrap_err();
        assert!(m.contains("no fee amount"), "{m}");
    }
}
