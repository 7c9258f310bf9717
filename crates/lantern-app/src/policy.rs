//! Who may do what: one function, [`may`], that every page and API call of
//! a front end consults before it shows or changes anything, and that the
//! use cases acting for a signed-in person ([`approve_as`], …) consult again
//! with what the store holds.
//!
//! The rules:
//! - The public pages (disclosure log, published letters, reports) need no
//!   account.
//! - Everything else needs a role in the council the resource belongs to:
//!   a user of another council is refused.
//! - FOI officers and approvers see the inbox and cases (the requester's
//!   name, drafts and unapproved letters are theirs only); officers take in,
//!   correct, draft and send; approvers approve.
//! - Two-person sign-off: whoever drafted, re-drafted or corrected a case's
//!   answer cannot approve it, unless the council relaxed this
//!   ([`SELF_APPROVAL`], set by an administrator and audited).
//! - Administrators manage the council's users, its policies and its
//!   settings, and search its audit trail.
//! - Providers see and send their own provider's submissions only (the
//!   use cases in `providers` check which provider's, and answer "not
//!   found" for another's, so that its existence is not revealed); they
//!   manage their provider's API tokens when an administrator allowed
//!   them (`tokens`). Administrators manage every provider's tokens.
//! - Analysts see the figures held for the council's areas, their
//!   provenance and the dashboards, upload figures, statements and
//!   releases, and recompute from records; FOI officers may see the
//!   figures and dashboards too (they answer from them). Analysts and
//!   providers have no casework pages.
//! - Analysts and administrators publish figures for the public and plan
//!   publications (`Action::Publish`).
//! - The public makes a request through the web form without an account
//!   (`Action::ReadPublic`, throttled). The outbox (the messages sent to
//!   requesters: personal data) is seen by FOI officers, approvers and
//!   administrators of the council; officers and administrators record a
//!   message as sent by hand.

use lantern_core::casework::CaseEvent;

use crate::accounts::{Actor, Role};
use crate::{Context, Result};

/// The council policy that lets the person who drafted or corrected an
/// answer approve it too (`"allowed"`; anything else, or unset: not).
pub const SELF_APPROVAL: &str = "self_approval";

/// What someone wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read a public page (the log, published letters, reports).
    ReadPublic,
    /// See their own start page and sign out.
    Home,
    /// See the inbox of open requests.
    ViewInbox,
    /// See one case: its e-mail, readings, draft, clock and history.
    ViewCase,
    /// Take in a new request.
    TakeIn,
    /// Correct a case's reading.
    Correct,
    /// Draft (or re-draft) an answer.
    Draft,
    /// Approve a drafted answer.
    Approve,
    /// Record an approved answer as sent.
    Send,
    /// Record a clock action (clarification, fees, extension, withdrawal).
    ClockAction,
    /// See the council's users.
    ViewUsers,
    /// Create, disable or reset users.
    ManageUsers,
    /// Change the council's policies.
    SetPolicy,
    /// See the council's settings.
    ViewCouncil,
    /// Change the council's settings (a new version, audited).
    SetCouncil,
    /// Search the audit trail.
    ViewAudit,
    /// See their own provider's submissions, their status and validation
    /// reports (the use cases in `providers` check which provider's).
    ViewSubmissions,
    /// Send a submission (a monthly file) for their own provider.
    Submit,
    /// See, create and revoke API tokens for any of the council's
    /// providers, and allow provider users to manage their own.
    ManageTokens,
    /// See, create and revoke their own provider's API tokens (when an
    /// administrator allowed them: `tokens` checks it).
    ManageProviderTokens,
    /// See the figures held, their provenance and the dashboards.
    ViewFigures,
    /// Upload figures, statements and releases; recompute from records.
    ManageFigures,
    /// Publish figures for the public and plan publications (a release,
    /// under disclosure control, audited).
    Publish,
    /// See the outbox: the messages Lantern sends requesters, their
    /// recipients and texts, their status.
    ViewOutbox,
    /// Record an outbox message as sent by hand (audited).
    SendOutbox,
}

impl Action {
    /// Every action, for tests and pages that list them.
    pub const ALL: [Action; 25] = [
        Action::ReadPublic,
        Action::Home,
        Action::ViewInbox,
        Action::ViewCase,
        Action::TakeIn,
        Action::Correct,
        Action::Draft,
        Action::Approve,
        Action::Send,
        Action::ClockAction,
        Action::ViewUsers,
        Action::ManageUsers,
        Action::SetPolicy,
        Action::ViewCouncil,
        Action::SetCouncil,
        Action::ViewAudit,
        Action::ViewSubmissions,
        Action::Submit,
        Action::ManageTokens,
        Action::ManageProviderTokens,
        Action::ViewFigures,
        Action::ManageFigures,
        Action::Publish,
        Action::ViewOutbox,
        Action::SendOutbox,
    ];

    /// The roles that may do it (empty: anyone, signed in or not, for
    /// [`Action::ReadPublic`]; any role for [`Action::Home`]).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::ReadPublic => &[],
            Action::Home => &Role::ALL,
            Action::ViewInbox | Action::ViewCase => &[Role::FoiOfficer, Role::Approver],
            Action::TakeIn
            | Action::Correct
            | Action::Draft
            | Action::Send
            | Action::ClockAction => &[Role::FoiOfficer],
            Action::Approve => &[Role::Approver],
            Action::ViewUsers
            | Action::ManageUsers
            | Action::SetPolicy
            | Action::ViewCouncil
            | Action::SetCouncil
            | Action::ViewAudit
            | Action::ManageTokens => &[Role::Admin],
            Action::ViewSubmissions | Action::Submit | Action::ManageProviderTokens => {
                &[Role::Provider]
            }
            Action::ViewFigures => &[Role::Analyst, Role::FoiOfficer],
            Action::ManageFigures => &[Role::Analyst],
            Action::Publish => &[Role::Analyst, Role::Admin],
            Action::ViewOutbox => &[Role::FoiOfficer, Role::Approver, Role::Admin],
            Action::SendOutbox => &[Role::FoiOfficer, Role::Admin],
        }
    }
}

/// What it is done to: the council it belongs to, and for a case's answer,
/// who drafted or corrected it and whether the council lets them approve it.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// The council the resource belongs to.
    pub council: String,
    /// Who drafted, re-drafted or corrected the case's answer.
    pub drafted_by: Vec<String>,
    /// The council lets them approve it too ([`SELF_APPROVAL`]).
    pub self_approval: bool,
}

impl Resource {
    /// A council's page or list.
    pub fn council(code: &str) -> Resource {
        Resource {
            council: code.to_string(),
            ..Resource::default()
        }
    }
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Not signed in: sign in first.
    SignIn,
    /// Refused, and why (for the person refused).
    Deny(String),
}

impl Decision {
    /// Whether it allows.
    pub fn allowed(&self) -> bool {
        *self == Decision::Allow
    }
}

/// May `actor` (nobody signed in: `None`) do `action` to `resource`?
pub fn may(actor: Option<&Actor>, action: Action, resource: &Resource) -> Decision {
    if action == Action::ReadPublic {
        return Decision::Allow;
    }
    let Some(actor) = actor else {
        return Decision::SignIn;
    };
    if actor.council != resource.council || actor.grants.is_empty() {
        return Decision::Deny("You have no role in this council.".to_string());
    }
    let roles = action.roles();
    if !roles.iter().any(|r| actor.has(*r)) {
        let names: Vec<&str> = roles.iter().map(|r| r.label()).collect();
        return Decision::Deny(format!(
            "Only {} may do this; ask an administrator if you need the role.",
            names.join(" or ")
        ));
    }
    if action == Action::Approve
        && !resource.self_approval
        && resource.drafted_by.contains(&actor.username)
    {
        return Decision::Deny(
            "You drafted or corrected this answer, so someone else must approve it (two-person sign-off)."
                .to_string(),
        );
    }
    Decision::Allow
}

/// The history actions that make someone an author of a case's answer.
const AUTHORING: [&str; 3] = ["draft", "correct", "learn"];

/// Who drafted, re-drafted or corrected a case's answer, from its history.
pub fn authors(history: &[CaseEvent]) -> Vec<String> {
    let mut out: Vec<String> = history
        .iter()
        .filter(|e| AUTHORING.contains(&e.action.as_str()))
        .map(|e| e.actor.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The resource a case is, as the store holds it now (not found when the
/// council in use has no such case).
pub fn case_resource(store: &dyn lantern_store::Store, reference: &str) -> Result<Resource> {
    let Some(council) = store.council_in_use()? else {
        crate::fail!(NotFound, "there is no request {reference}");
    };
    let history = store.case_history(reference)?;
    if history.is_empty() {
        crate::fail!(NotFound, "there is no request {reference}");
    }
    Ok(Resource {
        self_approval: self_approval(store, &council)?,
        council,
        drafted_by: authors(&history),
    })
}

/// `actor` drafted or corrected `reference`'s answer: refuse their approval
/// unless the council in use allows self-approval ([`SELF_APPROVAL`]).
pub fn check_self_approval(
    store: &dyn lantern_store::Store,
    reference: &str,
    actor: &str,
) -> Result<()> {
    let allowed = match store.council_in_use()? {
        Some(council) => self_approval(store, &council)?,
        None => false,
    };
    if !allowed {
        crate::fail!(
            Forbidden,
            "request {reference}: {actor} drafted or corrected this answer, so someone else must approve it (two-person sign-off); nothing was recorded. Approve as another person (--actor NAME), or an administrator may allow self-approval with `lantern council policy self-approval allowed`"
        );
    }
    Ok(())
}

fn self_approval(store: &dyn lantern_store::Store, council: &str) -> Result<bool> {
    Ok(store.council_policy(council, SELF_APPROVAL)?.as_deref() == Some("allowed"))
}

/// Refuse unless the policy allows.
pub fn check(actor: &Actor, action: Action, resource: &Resource) -> Result<()> {
    match may(Some(actor), action, resource) {
        Decision::Allow => Ok(()),
        Decision::SignIn => crate::fail!(Forbidden, "Sign in first."),
        Decision::Deny(why) => crate::fail!(Forbidden, "{why}"),
    }
}

/// Approve a case's drafted answer as `actor`: the policy is consulted with
/// the case's history as held (two-person sign-off), then
/// [`crate::casework::approve`].
pub fn approve_as(
    ctx: &Context,
    actor: &Actor,
    reference: &str,
    note: Option<String>,
) -> Result<crate::casework::Acted> {
    let resource = case_resource(ctx.open()?.as_ref(), reference)?;
    check(actor, Action::Approve, &resource)?;
    crate::casework::approve(ctx, reference, note, None)
}

/// Let (or stop letting) whoever drafted an answer approve it too, for the
/// council in use; audited with before and after.
pub fn set_self_approval(ctx: &Context, actor: &Actor, allowed: bool) -> Result<()> {
    let mut store = ctx.open()?;
    let Some(council) = store.council_in_use()? else {
        crate::fail!(Conflict, "this database holds no council yet");
    };
    check(actor, Action::SetPolicy, &Resource::council(&council))?;
    store.set_council_policy(
        &ctx.who(),
        &council,
        SELF_APPROVAL,
        if allowed { "allowed" } else { "refused" },
    )?;
    Ok(())
}

/// [`set_self_approval`] for whoever runs the command line: they hold the
/// database itself (as `lantern user add` does), so no role is asked for;
/// audited with who (`--actor`), before and after.
pub fn set_self_approval_by_operator(ctx: &Context, allowed: bool) -> Result<()> {
    let mut store = ctx.open()?;
    let Some(council) = store.council_in_use()? else {
        crate::fail!(
            Conflict,
            "this database holds no council yet: set one with `lantern council set`"
        );
    };
    store.set_council_policy(
        &ctx.who(),
        &council,
        SELF_APPROVAL,
        if allowed { "allowed" } else { "refused" },
    )?;
    Ok(())
}

/// Whether the council in use lets the drafter approve.
pub fn self_approval_allowed(ctx: &Context) -> Result<bool> {
    let store = ctx.open()?;
    match store.council_in_use()? {
        Some(council) => self_approval(store.as_ref(), &council),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Grant;

    fn actor(name: &str, council: &str, roles: &[Role]) -> Actor {
        Actor {
            username: name.into(),
            display_name: name.into(),
            council: council.into(),
            grants: roles
                .iter()
                .map(|r| Grant {
                    role: *r,
                    provider: (*r == Role::Provider).then(|| "P1".to_string()),
                })
                .collect(),
        }
    }

    #[test]
    fn each_action_is_allowed_to_its_roles_only() {
        let here = Resource::council("LEI");
        for action in Action::ALL {
            for role in Role::ALL {
                let decision = may(Some(&actor("u", "LEI", &[role])), action, &here);
                let expected = action == Action::ReadPublic || action.roles().contains(&role);
                assert_eq!(decision.allowed(), expected, "{action:?} by {role:?}");
            }
            // Nobody signed in: only the public pages.
            assert_eq!(
                may(None, action, &here).allowed(),
                action == Action::ReadPublic
            );
            // Another council's user with every role: only the public pages.
            assert_eq!(
                may(Some(&actor("x", "NOT", &Role::ALL)), action, &here).allowed(),
                action == Action::ReadPublic,
                "{action:?} by another council's user"
            );
        }
    }

    #[test]
    fn who_drafted_or_corrected_cannot_approve_unless_the_council_relaxed_it() {
        let mut case = Resource {
            council: "LEI".into(),
            drafted_by: vec!["ana".into()],
            self_approval: false,
        };
        let ana = actor("ana", "LEI", &[Role::FoiOfficer, Role::Approver]);
        let bo = actor("bo", "LEI", &[Role::Approver]);
        assert!(matches!(
            may(Some(&ana), Action::Approve, &case),
            Decision::Deny(why) if why.contains("two-person")
        ));
        assert!(may(Some(&bo), Action::Approve, &case).allowed());
        case.self_approval = true;
        assert!(may(Some(&ana), Action::Approve, &case).allowed());
    }

    #[test]
    fn authors_are_those_who_drafted_redrafted_or_corrected() {
        let event = |actor: &str, action: &str| CaseEvent {
            at: "2026-01-01T00:00:00Z".into(),
            actor: actor.into(),
            action: action.into(),
            from: None,
            to: lantern_core::casework::Status::Received,
            note: None,
            on: None,
            extended_to: None,
            calendar: None,
            fee_pence: None,
        };
        let history = [
            event("intake", "open"),
            event("cy", "correct"),
            event("ana", "draft"),
            event("bo", "approve"),
            event("dee", "learn"),
            event("ana", "draft"),
        ];
        assert_eq!(authors(&history), ["ana", "cy", "dee"]);
    }
}
