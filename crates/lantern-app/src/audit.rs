//! The audit trail searched (the administrators' audit log page): who did
//! what to which record and when, for the council in use — the audit log
//! of data changes, its cases' histories and its account events — by who,
//! what, which record and a date range, a page at a time. It shows no
//! detail (a detail may quote a requester): who, what, which and when.

use jiff::civil::Date;
pub use lantern_store::AuditLine;
use lantern_store::AuditSearch;

use crate::{Context, Result};

/// Lines on a page.
pub const PAGE_SIZE: usize = 50;

/// The longest text a search field takes.
const MAX_FIELD: usize = 200;

/// What to look for; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Who acted (their user name or `--actor`), exactly.
    pub actor: String,
    /// What they did: the start of the action (`approve`, `user.`, `figure.`).
    pub action: String,
    /// Which record: a case's reference, a user name or a record key, exactly.
    pub record: String,
    /// On or after this day.
    pub from: Option<Date>,
    /// On or before this day.
    pub to: Option<Date>,
    /// The page, from 1.
    pub page: usize,
}

/// One page of the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Its lines, newest first.
    pub lines: Vec<AuditLine>,
    /// Which page it is, from 1.
    pub page: usize,
    /// Whether there is a page after it.
    pub more: bool,
}

/// A page of the council's audit trail as `search` narrows it.
pub fn search(ctx: &Context, search: &Search) -> Result<Page> {
    for (name, value) in [
        ("who", &search.actor),
        ("what", &search.action),
        ("record", &search.record),
    ] {
        if value.chars().count() > MAX_FIELD {
            crate::fail!(Invalid, "{name}: write at most {MAX_FIELD} characters");
        }
    }
    if let (Some(from), Some(to)) = (search.from, search.to)
        && from > to
    {
        crate::fail!(
            Invalid,
            "to: the last day ({to}) is before the first ({from})"
        );
    }
    let page = search.page.max(1);
    let before = match search.to {
        Some(to) => to
            .tomorrow()
            .map_err(|_| crate::Error::invalid(format!("to: {to} is too late a day")))?
            .to_string(),
        None => String::new(),
    };
    let store = ctx.open()?;
    let mut lines = store.audit_trail(&AuditSearch {
        actor: search.actor.trim().to_string(),
        action: search.action.trim().to_string(),
        record: search.record.trim().to_string(),
        from: search.from.map(|d| d.to_string()).unwrap_or_default(),
        before,
        offset: (page - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE + 1,
    })?;
    let more = lines.len() > PAGE_SIZE;
    lines.truncate(PAGE_SIZE);
    Ok(Page { lines, page, more })
}
