//! Blocking findings on a case (`lantern request resolve`, and the checks
//! of `approve` and `send`): what a draft could not decide because nothing
//! is recorded, and how the officer resolves each — by recording that the
//! council does not hold it, with the reason (for this case, or for every
//! request), or by accepting the draft's offer to refer the requester to
//! the publication under section 21 — audited in the case's history with
//! who and why. Loading the
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
        "request {reference} cannot be {doing}: its draft has {} blocking finding(s) — {}. For each, load the figure (lantern import figures) or record that it is not held (lantern request resolve {reference} --finding N --not-held --reason TEXT), or, where the draft offers a publication, accept the section 21 referral (lantern request resolve {reference} --finding N --refer --note WHY), or ask the requester to clarify; then draft it again (lantern request draft {reference})",
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
    /// What the officer decides.
    pub way: Way,
    /// Why the officer resolves it so, for the history (for not held, the
    /// reason when not given; required to accept a referral).
    pub why: Option<String>,
}

/// What the officer decides about a blocking finding.
#[derive(Debug, Clone)]
pub enum Way {
    /// The council does not hold it (section 1(1)).
    NotHeld {
        /// The reason the letter gives.
        reason: String,
        /// Who holds it instead, for s16 advice.
        other_holder: Option<String>,
        /// Not held for any request (not only this case's).
        council_wide: bool,
    },
    /// Accept the draft's offer as it stands: the figure is refused under
    /// section 21 with the address of the publication that published it,
    /// without loading it. Only for a finding that offers a publication.
    Refer,
}

/// The resolution kind recorded when the officer accepts a draft's s21
/// offer ([`Way::Refer`]); the next draft of the case refers to the
/// publication without the finding while the finding reads the same.
pub const REFER_S21: &str = "refer_s21";

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
    let why = resolving
        .why
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty());
    match &resolving.way {
        Way::NotHeld { reason, .. } if reason.trim().is_empty() => crate::fail!(
            Invalid,
            "request {reference}: give the reason the council does not hold it (--reason TEXT): the letter says it to the requester"
        ),
        Way::Refer if why.is_none() => crate::fail!(
            Invalid,
            "request {reference}: say why the requester is referred to the publication rather than given the figure (--note TEXT): the case's history keeps it"
        ),
        _ => {}
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
    let what = s("what").unwrap_or_default();
    let resolution = match &resolving.way {
        Way::Refer => {
            if f["publication"].is_null() {
                crate::fail!(
                    Invalid,
                    "request {reference}: finding {} offers no publication to refer the requester to (no release had published it by the day of the decision); load the figure or record that it is not held (--not-held --reason TEXT)",
                    resolving.finding
                );
            }
            NewResolution {
                finding: what.clone(),
                kind: REFER_S21.to_string(),
                why: why.unwrap_or_default().to_string(),
                declaration: None,
            }
        }
        Way::NotHeld {
            reason,
            other_holder,
            council_wide,
        } => {
            let reason = reason.trim();
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
                other_holder: other_holder
                    .as_deref()
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_string),
                by: if *council_wide {
                    DeclaredBy::Council
                } else {
                    DeclaredBy::Case(reference.to_string())
                },
            };
            NewResolution {
                finding: what.clone(),
                kind: if *council_wide {
                    "not_held_council"
                } else {
                    "not_held"
                }
                .to_string(),
                why: why.unwrap_or(reason).to_string(),
                declaration: Some(declaration),
            }
        }
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

/// Take out of a case's decided view the findings the officer settled by
/// accepting the s21 offer ([`Way::Refer`]) while they read the same (same
/// question, cell and publication): the row stays refused under section 21
/// with the publication's address, and a warning says who accepted it.
/// A finding that reads differently (another release, another address)
/// is left open for the officer to look at again.
pub(crate) fn apply_referrals(
    store: &dyn Store,
    reference: &str,
    view: &mut crate::letters::LetterView,
) -> Result<()> {
    if view.findings.is_empty() {
        return Ok(());
    }
    let accepted: Vec<StoredResolution> = store
        .resolutions(reference)?
        .into_iter()
        .filter(|r| r.kind == REFER_S21)
        .collect();
    if accepted.is_empty() {
        return Ok(());
    }
    let mut settled = Vec::new();
    view.findings.retain(
        |f| match accepted.iter().rev().find(|a| a.finding == f.what) {
            Some(a) if f.publication.is_some() => {
                settled.push((f.number, a.by.clone(), a.at.clone()));
                false
            }
            _ => true,
        },
    );
    for (number, by, at) in settled {
        let tag = format!("blocking (finding {number})");
        view.warnings.retain(|w| !w.contains(&tag));
        view.warnings.push(format!(
            "finding {number}: the requester is referred to the publication under section 21, as {by} accepted on {at}"
        ));
    }
    Ok(())
}

/// How a case's findings were resolved, oldest first.
pub fn resolutions(store: &dyn Store, reference: &str) -> Result<Vec<StoredResolution>> {
    Ok(store.resolutions(reference)?)
}
