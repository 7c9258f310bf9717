//! Requesters' details past their retention date (`lantern request
//! erase-expired`): the name and contact are erased from every case whose
//! retention ended (`lantern_core::casework::retention`), each erasure
//! recorded in the case's history; a case still open keeps them until it is
//! answered or withdrawn, since the council must still reply.

use jiff::civil::Date;
use lantern_core::casework::{self, Case, Retention};

use crate::{Context, Result};

/// Cases holding requester details after their retention date.
pub(super) fn expired(cases: &[Case], today: Date) -> Vec<&Case> {
    cases
        .iter()
        .filter(|c| casework::retention(c, today) != Retention::Keep)
        .collect()
}

/// What an erasure did (or, on a dry run, would do).
#[derive(Debug, Clone)]
pub struct Erased {
    /// The day counted as today.
    pub today: Date,
    /// Only listed, nothing erased.
    pub dry_run: bool,
    /// The cases whose requester details were (or would be) erased.
    pub erased: Vec<String>,
    /// Cases past their retention date kept because they are still open.
    pub kept_open: Vec<String>,
}

/// Erase requester details past their retention date, counting as if today
/// were `today` (default: the clock's day); with `dry_run`, only list them.
pub fn erase_expired(ctx: &Context, today: Option<Date>, dry_run: bool) -> Result<Erased> {
    let mut store = ctx.open()?;
    let today = match today {
        Some(day) => day,
        None => ctx.today(store.as_ref())?,
    };
    let cases = store.cases()?;
    let mut erased = Vec::new();
    let mut kept = Vec::new();
    for case in expired(&cases, today) {
        if casework::retention(case, today) == Retention::KeepWhileOpen {
            kept.push(case.reference.clone());
            continue;
        }
        let note = format!(
            "requester details erased: retention ended {}",
            case.retain_until.map(|d| d.to_string()).unwrap_or_default()
        );
        if dry_run || store.erase_requester(&case.reference, &ctx.who(), &note)? {
            erased.push(case.reference.clone());
        }
    }
    Ok(Erased {
        today,
        dry_run,
        erased,
        kept_open: kept,
    })
}
