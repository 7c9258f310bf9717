//! Providers' submissions as held: their history and status, one
//! submission's validation report, and withdrawing one.

use lantern_core::records::submission::Report;
use lantern_store::{ImportKind, ImportMeta, SubmissionRecord, Withdrawn};

use crate::{Context, Error, Kind, Result, now};

/// Every submission, oldest first.
pub fn submissions(ctx: &Context) -> Result<Vec<SubmissionRecord>> {
    let store = ctx.open()?;
    Ok(store.submissions()?)
}

/// One submission, with its report as stored (read it with [`report`]).
pub fn submission(ctx: &Context, id: i64) -> Result<SubmissionRecord> {
    let store = ctx.open()?;
    store.submission(id)?.ok_or_else(|| {
        Error::not_found(format!(
            "there is no submission {id}; `lantern submissions` lists them"
        ))
    })
}

/// A submission's validation report, read back from what was stored.
pub fn report(s: &SubmissionRecord) -> Result<Report> {
    serde_json::from_str(&s.report).map_err(|e| {
        Error::new(
            Kind::Internal,
            format!("the stored report of submission {} is damaged: {e}", s.id),
        )
    })
}

/// A submission's status in one word: `rejected`, `withdrawn`, `replaced`
/// (by a later file for the same month), `current` or `superseded` (the
/// provider has sent a later month).
pub fn status(s: &SubmissionRecord) -> &'static str {
    if s.status == "rejected" {
        "rejected"
    } else if s.withdrawn.is_some() {
        "withdrawn"
    } else if s.replaced_by.is_some() {
        "replaced"
    } else if s.current {
        "current"
    } else {
        "superseded"
    }
}

/// Withdraw a submission (wrongly dated, from the wrong provider, …): it is
/// never current again, and the audit keeps who, when and why.
///
/// When it was current, the recomputation of the figures it touched is
/// recorded as owed in the same transaction ([`Withdrawn::owed`]); pay it
/// with [`super::settle_owed`] (a crash in between leaves it for the next
/// writer).
pub fn withdraw(ctx: &Context, id: i64, reason: &str) -> Result<Withdrawn> {
    let mut store = ctx.open()?;
    let meta = ImportMeta {
        kind: ImportKind::Withdrawal,
        file: format!("submission {id}"),
        sha256: String::new(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    Ok(store.withdraw_submission(&meta, id, reason)?)
}
