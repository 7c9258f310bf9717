//! Blocking findings on a case (`lantern request resolve`, and the checks
//! of `approve` and `send`): what a draft could not decide because nothing
//! is recorded, and how the officer resolves each, audited in the case's
//! history with who and why:
//! - record that the council does not hold it, with the reason (for this
//!   case, or for every request): a not-held declaration, a new data
//!   version, which can be withdrawn ([`withdraw_declaration`]);
//! - accept the draft's offer to refer the requester to the publication
//!   under section 21;
//! - refuse it under section 12 on the officer's estimate of the hours
//!   finding it would take (over the cost limit);
//! - ask the requester to clarify: the case goes on hold for clarification
//!   (section 1(3)), and the finding stays open until the reply.
//!
//! Loading the figure and drafting again resolves a finding too: it is
//! simply not found again.

use lantern_core::casework::{self, Action, ActionDetail, Status};
use lantern_core::figure::Breakdown;
use lantern_core::finding::{Declaration, DeclaredBy, Settled, Settlement};
use lantern_core::period::Period;
use lantern_store::{NewResolution, Store, StoredResolution};

use super::clock::action_day;
use super::{calendar, find};
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
        "request {reference} cannot be {doing}: its draft has {} blocking finding(s) — {}. For each, load the figure (lantern import figures) or record that it is not held (lantern request resolve {reference} --finding N --not-held --reason TEXT), or, where the draft offers a publication, accept the section 21 referral (lantern request resolve {reference} --finding N --refer --note WHY), or refuse it under section 12 on your estimate of the hours (lantern request resolve {reference} --finding N --cost-estimate HOURS --note WHY), or ask the requester to clarify (lantern request resolve {reference} --finding N --clarify --note WHAT); then draft it again (lantern request draft {reference})",
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
    /// Section 12: finding it would take this many hours, more than the
    /// cost limit (18 hours for a council); the letter refuses that part
    /// under section 12 with advice on narrowing it.
    CostEstimate {
        /// The officer's estimate.
        hours: f64,
    },
    /// Ask the requester to clarify: the case goes on hold for
    /// clarification (section 1(3)) on the day the context acts on; the
    /// finding stays open until the reply and a new draft.
    Clarify,
}

/// The resolution kind recorded when the officer accepts a draft's s21
/// offer ([`Way::Refer`]); the next draft of the case refers to the
/// publication without the finding while the finding reads the same.
pub const REFER_S21: &str = "refer_s21";

/// The resolution kind recorded for an s12 estimate ([`Way::CostEstimate`]);
/// the next draft refuses the cell under section 12 while the finding
/// reads the same.
pub const COST_LIMIT_S12: &str = "s12";

/// The resolution kind recorded when the officer asks the requester to
/// clarify ([`Way::Clarify`]); it settles nothing by itself.
pub const SEEK_CLARIFICATION: &str = "seek_clarification";

/// The most hours an estimate may say (a typing slip is refused).
const MAX_ESTIMATE_HOURS: f64 = 10_000.0;

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
        Way::CostEstimate { .. } if why.is_none() => crate::fail!(
            Invalid,
            "request {reference}: say how the estimate was made (--note TEXT: where the information would have to be found and why it takes that long): the case's history keeps it"
        ),
        Way::CostEstimate { hours }
            if !hours.is_finite() || *hours <= 0.0 || *hours > MAX_ESTIMATE_HOURS =>
        {
            crate::fail!(
                Invalid,
                "request {reference}: --cost-estimate {hours} is not a number of hours between 0 and {MAX_ESTIMATE_HOURS}"
            )
        }
        Way::Clarify if why.is_none() => crate::fail!(
            Invalid,
            "request {reference}: say what you ask the requester to clarify (--note TEXT): the case's history keeps it"
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
    let plain = |kind: &str, hours: Option<f64>| NewResolution {
        finding: what.clone(),
        kind: kind.to_string(),
        why: why.unwrap_or_default().to_string(),
        declaration: None,
        hours,
        clock: None,
    };
    let resolution = match &resolving.way {
        Way::CostEstimate { hours } => {
            if f["kind"] == "statement" {
                crate::fail!(
                    Invalid,
                    "request {reference}: finding {} is a narrative answer; section 12 is estimated for figures here: load the statement, record that it is not held, or ask the requester to clarify",
                    resolving.finding
                );
            }
            plain(COST_LIMIT_S12, Some(*hours))
        }
        Way::Clarify => {
            // On hold for clarification (s1(3)), checked against the
            // lifecycle and the clock before anything is recorded.
            let action = Action::SeekClarification;
            casework::transition(case.status, action).map_err(|error| {
                lantern_store::StoreError::Refused {
                    reference: reference.to_string(),
                    error,
                }
            })?;
            let calendar = calendar(store.as_ref())?;
            let day = action_day(ctx, store.as_ref(), &case, None)?;
            let detail = ActionDetail {
                note: Some(format!(
                    "clarification sought for finding {}: {}",
                    resolving.finding,
                    why.unwrap_or_default()
                )),
                on: Some(day),
                extended_to: None,
                calendar: Some(calendar.version().to_string()),
                fee_pence: None,
            };
            let history = store.case_history(reference)?;
            casework::deadline_after(&calendar, &case, &history, action, day, &detail).map_err(
                |e| Error::conflict(format!("request {reference}: {e}; nothing was recorded")),
            )?;
            NewResolution {
                clock: Some((action, detail)),
                ..plain(SEEK_CLARIFICATION, None)
            }
        }
        Way::Refer => {
            if f["publication"].is_null() {
                crate::fail!(
                    Invalid,
                    "request {reference}: finding {} offers no publication to refer the requester to (no release had published it by the day of the decision); load the figure or record that it is not held (--not-held --reason TEXT)",
                    resolving.finding
                );
            }
            plain(REFER_S21, None)
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
                id: None,
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
                hours: None,
                clock: None,
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

/// The findings the officer settled on case `reference` without a figure
/// or a declaration, for the planner: the s21 offers accepted and the s12
/// estimates (each applies while its finding reads the same).
pub(crate) fn settled(store: &dyn Store, reference: &str) -> Result<Vec<Settled>> {
    Ok(store
        .resolutions(reference)?
        .into_iter()
        .filter_map(|r| {
            let how = match (r.kind.as_str(), r.hours) {
                (REFER_S21, _) => Settlement::Refer,
                (COST_LIMIT_S12, Some(hours)) => Settlement::CostLimit { hours },
                _ => return None,
            };
            Some(Settled {
                finding: r.finding,
                how,
                by: r.by,
                at: r.at,
            })
        })
        .collect())
}

/// How a case's findings were resolved, oldest first.
pub fn resolutions(store: &dyn Store, reference: &str) -> Result<Vec<StoredResolution>> {
    Ok(store.resolutions(reference)?)
}

/// Every not-held declaration of the council and its cases, withdrawn ones
/// too, oldest first (`lantern declaration list`).
pub fn declarations(ctx: &Context) -> Result<Vec<lantern_store::StoredDeclaration>> {
    Ok(ctx.open()?.declarations()?)
}

/// Withdraw not-held declaration `id` with the reason (`lantern declaration
/// withdraw`): from the new data version on it is no longer in force, so
/// the next draft of a request it covered carries the blocking finding
/// again; a letter made at an earlier data version still uses it. Audited
/// with who and why, and noted in the history of the case it was made on.
/// A draft or approved letter that relied on it cannot be approved or sent
/// unchanged ([`super::drafting::check_ready`]).
pub fn withdraw_declaration(
    ctx: &Context,
    id: i64,
    reason: &str,
) -> Result<lantern_store::ImportReceipt> {
    if reason.trim().is_empty() {
        crate::fail!(
            Invalid,
            "say why declaration {id} is withdrawn (--reason TEXT): the audit log and the case's history keep it"
        );
    }
    let mut store = ctx.open()?;
    let who = ctx.who();
    let meta = lantern_store::ImportMeta {
        kind: lantern_store::ImportKind::NotHeldWithdrawal,
        file: format!("not-held declaration {id}"),
        sha256: String::new(),
        actor: who.actor,
        at: who.at,
    };
    Ok(store.withdraw_declaration(&meta, id, reason.trim())?)
}
