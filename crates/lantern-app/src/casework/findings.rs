//! Blocking findings on a case (`lantern request resolve`, and the checks
//! of `approve` and `send`): what a draft could not decide because nothing
//! is recorded, and how the officer resolves each — by recording that the
//! council does not hold it, with the reason (for this case, or for every
//! request), audited in the case's history with who and why. Loading the
//! figure and drafting again resolves a finding too: it is simply not
//! found again.

use lantern_core::casework::Status;
use lantern_core::figure::Breakdown;
use lantern_core::finding::{Declaration, DeclaredBy};
use lantern_core::period::Period;
use lantern_store::{NewResolution, Store, StoredResolution};

use super::find;
use crate::{Context, Error, Result};

/// A blocking finding as a stored draft holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFinding {
    /// Its number in the draft.
    pub number: usize,
    /// What is missing, in words.
    pub what: String,
}

/// The blocking findings of a draft's JSON form (none in a draft made
/// before findings existed).
pub fn open_findings(view: &serde_json::Value) -> Vec<OpenFinding> {
    view["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| OpenFinding {
            number: f["number"].as_u64().unwrap_or(0) as usize,
            what: f["what"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// Refuse `doing` (approve, send) while the draft has blocking findings,
/// naming each and what to do.
pub(super) fn check_none_open(
    reference: &str,
    view: &serde_json::Value,
    doing: &str,
) -> Result<()> {
    let open = open_findings(view);
    if open.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = open
        .iter()
        .map(|f| format!("finding {}: {}", f.number, f.what))
        .collect();
    Err(Error::conflict(format!(
        "request {reference} cannot be {doing}: its draft has {} blocking finding(s) — {}. For each, load the figure (lantern import figures) or record that it is not held (lantern request resolve {reference} --finding N --not-held --reason TEXT), or ask the requester to clarify; then draft it again (lantern request draft {reference})",
        open.len(),
        listed.join("; ")
    )))
}

/// How an officer resolves one blocking finding.
#[derive(Debug, Clone)]
pub struct Resolving {
    /// The case.
    pub reference: String,
    /// The finding's number in the case's draft.
    pub finding: usize,
    /// The council does not hold it: the reason the letter gives.
    pub not_held_reason: String,
    /// Who holds it instead, for s16 advice.
    pub other_holder: Option<String>,
    /// The council does not hold it for any request (not only this case's).
    pub council_wide: bool,
    /// Why the officer resolves it so, for the history (the reason when
    /// not given).
    pub why: Option<String>,
}

/// A finding resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The case.
    pub reference: String,
    /// What was missing.
    pub what: String,
    /// The findings of the draft still open.
    pub still_open: Vec<OpenFinding>,
}

/// Resolve a blocking finding of a case's draft by recording that the
/// council does not hold it, with the reason; the case's history records
/// who and why. The draft must be made again to carry it.
pub fn resolve(ctx: &Context, resolving: &Resolving) -> Result<Resolved> {
    let reference = resolving.reference.as_str();
    let reason = resolving.not_held_reason.trim();
    if reason.is_empty() {
        crate::fail!(
            Invalid,
            "request {reference}: give the reason the council does not hold it (--reason TEXT): the letter says it to the requester"
        );
    }
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    if !matches!(
        case.status,
        Status::Received | Status::InProgress | Status::Drafted
    ) {
        crate::fail!(
            Conflict,
            "request {reference} is {}: findings are resolved before approval (lantern request start {reference} to work on it again)",
            case.status
        );
    }
    let Some((draft, _)) = store.draft(reference)? else {
        crate::fail!(
            Conflict,
            "request {reference} has no draft yet: draft it (lantern request draft {reference}) to see its findings"
        );
    };
    let view: serde_json::Value = serde_json::from_str(&draft)?;
    let Some(f) = view["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["number"].as_u64() == Some(resolving.finding as u64))
    else {
        let open: Vec<String> = open_findings(&view)
            .iter()
            .map(|f| f.number.to_string())
            .collect();
        crate::fail!(
            Invalid,
            "request {reference}: its draft has no finding {}{}",
            resolving.finding,
            if open.is_empty() {
                " (it has none)".to_string()
            } else {
                format!(" (its findings are {})", open.join(", "))
            }
        );
    };
    let s = |k: &str| f[k].as_str().map(str::to_string);
    let period = s("period")
        .map(|p| Period::parse(&p))
        .transpose()
        .map_err(|e| {
            Error::new(
                crate::Kind::Internal,
                format!("a stored finding's period: {e}"),
            )
        })?;
    let declaration = Declaration {
        subject: s("subject").unwrap_or_default(),
        area: s("area"),
        period,
        breakdown: Breakdown::from_key(&s("breakdown").unwrap_or_default()),
        reason: reason.to_string(),
        other_holder: resolving
            .other_holder
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_string),
        by: if resolving.council_wide {
            DeclaredBy::Council
        } else {
            DeclaredBy::Case(reference.to_string())
        },
    };
    let what = s("what").unwrap_or_default();
    let resolution = NewResolution {
        finding: what.clone(),
        kind: if resolving.council_wide {
            "not_held_council"
        } else {
            "not_held"
        }
        .to_string(),
        why: resolving
            .why
            .clone()
            .filter(|w| !w.trim().is_empty())
            .unwrap_or_else(|| reason.to_string()),
        declaration: Some(declaration),
    };
    store.resolve_finding(reference, case.status, &ctx.who(), &resolution)?;
    Ok(Resolved {
        reference: reference.to_string(),
        what,
        still_open: open_findings(&view)
            .into_iter()
            .filter(|o| o.number != resolving.finding)
            .collect(),
    })
}

/// How a case's findings were resolved, oldest first.
pub fn resolutions(store: &dyn Store, reference: &str) -> Result<Vec<StoredResolution>> {
    Ok(store.resolutions(reference)?)
}
