//! The lifecycle and clock actions on a case (`lantern request start`,
//! `seek-clarification`, `clarified`, `fee-notice`, `fee-received`,
//! `extend`, `withdraw`, `review`, `ico`, and `approve`; the ICO's decision
//! from the web workspace): each checked
//! against the lifecycle (`lantern_core::casework`) and, when it moves the
//! statutory clock, against the deadline rules before anything is recorded.

use jiff::civil::Date;
use lantern_core::casework::{self, Action, ActionDetail, Case, Status};
use lantern_core::deadline::{self, Deadline, Review};
use lantern_store::{Store, StoreError};

use super::{calendar, find, not_future};
use crate::{Context, Error, Result};

/// An action to take on a case.
#[derive(Debug, Clone)]
pub struct Acting {
    /// The case's reference.
    pub reference: String,
    /// What happened. Drafting and sending are their own use cases
    /// ([`super::draft`], [`super::send`]).
    pub action: Action,
    /// A note for the history.
    pub note: Option<String>,
    /// The day it happened, if not today: never in the future, never before
    /// the request was received.
    pub on: Option<Date>,
    /// For an extension: the new due date.
    pub extended_to: Option<Date>,
    /// For a fees notice: the fee asked for, in pence.
    pub fee_pence: Option<i64>,
}

/// An action taken: the case's new status and its deadline before and after.
#[derive(Debug, Clone)]
pub struct Acted {
    /// The case's reference.
    pub reference: String,
    /// The case's status now.
    pub status: Status,
    /// The day the action happened.
    pub on: Date,
    /// Whether the action moves the statutory clock.
    pub moves_clock: bool,
    /// The deadline before the action.
    pub before: Deadline,
    /// The deadline after it (the same as `before` unless it moves the clock).
    pub after: Deadline,
    /// For a review asked for: when it is due.
    pub review: Option<Review>,
    /// Points for the officer (a late s17 notice, a long extension, a late
    /// review request).
    pub warnings: Vec<String>,
}

/// The day an action happened: `on`, else the day the context acts on
/// (`--as-of`, else today in the council's time zone); never in the future
/// and never before the request was received.
pub(super) fn action_day(
    ctx: &Context,
    store: &dyn Store,
    case: &Case,
    on: Option<Date>,
) -> Result<Date> {
    let day = match on {
        Some(day) => day,
        None => ctx.today(store)?,
    };
    not_future(ctx, store, "--on", day)?;
    if day < case.received {
        crate::fail!(
            Invalid,
            "--on {day} is before {} was received ({})",
            case.reference,
            case.received
        );
    }
    Ok(day)
}

/// A draft whose figures differ from ones released earlier is approved
/// only with the officer's explanation (the note), which the history keeps.
fn explained(store: &dyn Store, reference: &str, note: Option<&str>) -> Result<()> {
    let Some((draft, _)) = store.draft(reference)? else {
        return Ok(());
    };
    let view: serde_json::Value = serde_json::from_str(&draft)?;
    let differing: Vec<String> = view["discrepancies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let breakdown = d["breakdown"].as_str().filter(|b| !b.is_empty());
            format!(
                "{} {}{}: {} gave {}, this draft gives {}",
                d["indicator"].as_str().unwrap_or_default(),
                d["period"].as_str().unwrap_or_default(),
                breakdown.map(|b| format!(" [{b}]")).unwrap_or_default(),
                d["earlier_reference"].as_str().unwrap_or_default(),
                d["earlier_value"],
                d["value"]
            )
        })
        .collect();
    casework::check_approval(differing, note)
        .map_err(|e| Error::conflict(format!("request {reference}: {e} (--note)")))
}

/// Take a lifecycle action. Actions that move the clock are checked against
/// the deadline rules before anything is recorded.
pub fn act(ctx: &Context, acting: &Acting) -> Result<Acted> {
    let reference = acting.reference.as_str();
    let action = acting.action;
    if matches!(action, Action::Draft | Action::Send) {
        crate::fail!(
            Invalid,
            "request {reference}: drafting and sending are their own steps (`lantern request draft`, `lantern request send`)"
        );
    }
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    casework::transition(case.status, action).map_err(|error| StoreError::Refused {
        reference: reference.to_string(),
        error,
    })?;
    let calendar = calendar(store.as_ref())?;
    let day = action_day(ctx, store.as_ref(), &case, acting.on)?;
    if action == Action::Approve {
        if let Some((draft, _)) = store.draft(reference)? {
            let view: serde_json::Value = serde_json::from_str(&draft)?;
            super::findings::check_none_open(reference, &view, "approved")?;
        }
        explained(store.as_ref(), reference, acting.note.as_deref())?;
        super::drafting::check_ready(store.as_ref(), &case, day, "approved")?;
    }
    let history = store.case_history(reference)?;
    if action == Action::IcoDecided
        && let Some(earlier) = history
            .iter()
            .find(|e| e.action == Action::IcoDecided.code())
    {
        crate::fail!(
            Conflict,
            "request {reference}: the ICO's decision is already recorded ({} by {}); nothing was recorded",
            earlier
                .on
                .map_or_else(|| earlier.at.clone(), |d| d.to_string()),
            earlier.actor
        );
    }
    // Two-person sign-off, for every front end: whoever drafted, re-drafted
    // or corrected the answer approves it only where the council allows it.
    let self_approved =
        action == Action::Approve && crate::policy::authors(&history).contains(&ctx.actor) && {
            crate::policy::check_self_approval(store.as_ref(), reference, &ctx.actor)?;
            true
        };
    let detail = ActionDetail {
        note: acting.note.clone(),
        on: Some(day),
        extended_to: acting.extended_to,
        calendar: Some(calendar.version().to_string()),
        fee_pence: acting
            .fee_pence
            .filter(|_| action == Action::IssueFeeNotice),
    };
    let moves_clock = action.moves_clock();
    let before = casework::case_deadline(&calendar, &case, &history)?;
    let after = if moves_clock {
        casework::deadline_after(&calendar, &case, &history, action, day, &detail).map_err(|e| {
            Error::conflict(format!("request {reference}: {e}; nothing was recorded"))
        })?
    } else {
        before.clone()
    };
    let mut warnings = Vec::new();
    if action == Action::Extend {
        if day > before.s17_due {
            warnings.push(format!(
                "the s17 notice saying the public interest test needs longer was due by {}; the extension was recorded on {day}",
                before.s17_due
            ));
        }
        if after.extension.is_some_and(|x| x.beyond_normal) {
            warnings.push(
                "the extension is more than 20 working days; the ICO expects that only in exceptional cases: record why in --note".to_string(),
            );
        }
    }
    let mut review = None;
    if action == Action::RequestReview {
        let sent = casework::sent_on(&history).unwrap_or(case.received);
        let window = deadline::review_window(&calendar, sent)?;
        let r = window.review(&calendar, day)?;
        if r.late {
            warnings.push(format!(
                "the review was asked for after {} (40 working days after the response): the council may decline it",
                window.accept_until
            ));
        }
        review = Some(r);
    }
    let status = store.act(reference, case.status, action, &ctx.who(), &detail)?;
    if self_approved {
        let council = store.council_in_use()?.unwrap_or_default();
        store.record_account_event(
            &ctx.who(),
            "approve.self",
            &ctx.actor,
            &council,
            serde_json::json!({ "reference": reference, "policy": crate::policy::SELF_APPROVAL }),
        )?;
    }
    Ok(Acted {
        reference: reference.to_string(),
        status,
        on: day,
        moves_clock,
        before,
        after,
        review,
        warnings,
    })
}

/// Approve the drafted answer: refused while the draft has blocking
/// findings; a draft whose figures differ from an earlier release needs a
/// note explaining why.
pub fn approve(
    ctx: &Context,
    reference: &str,
    note: Option<String>,
    on: Option<Date>,
) -> Result<Acted> {
    act(
        ctx,
        &Acting {
            reference: reference.to_string(),
            action: Action::Approve,
            note,
            on,
            extended_to: None,
            fee_pence: None,
        },
    )
}
