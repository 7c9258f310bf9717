//! Accounts for the web application (migration 13): users with roles per
//! council, sign-in sessions, failed sign-ins and the account events, and
//! councils' policies. Kept in the database so that several server
//! processes share them.
//!
//! The store holds what it is given: password hashes (never passwords),
//! session ids only as a hash, roles as names. What they mean (hashing,
//! throttling, who may do what) is the application layer's.

use crate::{StoreError, Who};

/// One role granted to a user in one council.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    /// The council's code.
    pub council: String,
    /// The role's name (`foi_officer`, `approver`, `analyst`, `provider`, `admin`).
    pub role: String,
    /// For a provider's role: the provider it acts for; otherwise empty.
    pub provider: String,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The name they sign in with (unique).
    pub username: String,
    /// The name pages show.
    pub display_name: String,
    /// The password's hash (a PHC string).
    pub password_hash: String,
    /// The roles granted.
    pub roles: Vec<RoleGrant>,
}

/// A user as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    /// The user's id.
    pub id: i64,
    /// The name they sign in with.
    pub username: String,
    /// The name pages show.
    pub display_name: String,
    /// The password's hash.
    pub password_hash: String,
    /// Disabled: cannot sign in, and has no live session.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
    /// The roles granted, every council's.
    pub roles: Vec<RoleGrant>,
}

/// A session to start.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The hash of the session id (the id itself is only in the cookie).
    pub id_hash: String,
    /// The session's CSRF secret.
    pub csrf: String,
    /// When it ends of itself (RFC 3339).
    pub expires_at: String,
}

/// A session as held, with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The session's CSRF secret.
    pub csrf: String,
    /// When it started.
    pub created_at: String,
    /// When it ends of itself (RFC 3339).
    pub expires_at: String,
    /// When it was ended (sign-out, disabled, password reset), if it was.
    pub ended_at: Option<String>,
    /// Its user.
    pub user: StoredUser,
}

/// A change to an account or a sign-in, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    /// When.
    pub at: String,
    /// Who did it.
    pub actor: String,
    /// What: `user.add`, `user.disable`, `user.enable`, `user.password`,
    /// `sign_in`, `sign_in.failed`, `sign_out`, `policy.set`.
    pub action: String,
    /// The account concerned (for `policy.set`, the policy's name).
    pub username: String,
    /// The council it concerns ('' for none).
    pub council: String,
    /// What changed, as JSON (never a password or its hash).
    pub detail: String,
}

/// An API token to create (migration 20).
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The council it acts in.
    pub council: String,
    /// The provider (agency code) it acts for.
    pub provider: String,
    /// Its name, for people (`nightly upload`).
    pub name: String,
    /// The SHA-256 of its secret, lowercase hex (the secret itself is
    /// shown once and never stored).
    pub secret_hash: String,
}

/// An API token as held (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// Its id.
    pub id: i64,
    /// The council it acts in.
    pub council: String,
    /// The provider it acts for.
    pub provider: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
    /// When it was last used, if ever.
    pub last_used_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// Accounts, sessions and policies: every write one transaction with its
/// account event.
pub trait Accounts {
    /// Create a user with their roles (refused with
    /// [`StoreError::UserExists`] when the name is taken); `user.add`.
    fn create_user(&mut self, who: &Who, user: &NewUser) -> Result<i64, StoreError>;

    /// Every user, by name.
    fn users(&self) -> Result<Vec<StoredUser>, StoreError>;

    /// A user by name.
    fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError>;

    /// Replace a user's password hash and end their sessions; `user.password`.
    fn set_password(
        &mut self,
        who: &Who,
        council: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<(), StoreError>;

    /// Disable (or enable again) a user; disabling ends their sessions.
    /// `user.disable` / `user.enable`.
    fn set_disabled(
        &mut self,
        who: &Who,
        council: &str,
        username: &str,
        disabled: bool,
    ) -> Result<(), StoreError>;

    /// The times of the failed sign-ins under `username` at or after `since`
    /// (RFC 3339), oldest first.
    fn sign_in_failures(&self, username: &str, since: &str) -> Result<Vec<String>, StoreError>;

    /// Record a failed sign-in under `username` (a name that may not exist);
    /// `sign_in.failed`.
    fn sign_in_failed(&mut self, username: &str, at: &str) -> Result<(), StoreError>;

    /// Record a sign-in: forget the name's failed sign-ins and start the
    /// session; `sign_in`.
    fn start_session(
        &mut self,
        who: &Who,
        user_id: i64,
        session: &NewSession,
    ) -> Result<(), StoreError>;

    /// A session by the hash of its id, with its user (ended or expired
    /// ones too: the caller decides).
    fn session(&self, id_hash: &str) -> Result<Option<StoredSession>, StoreError>;

    /// End a session (sign-out); `sign_out`. Ending an ended one changes
    /// nothing.
    fn end_session(&mut self, who: &Who, id_hash: &str) -> Result<(), StoreError>;

    /// The newest `limit` account events, newest last.
    fn account_events(&self, limit: usize) -> Result<Vec<AccountEvent>, StoreError>;

    /// A council's policy `name` in force (its newest value), if set.
    fn council_policy(&self, council: &str, name: &str) -> Result<Option<String>, StoreError>;

    /// Record an account event that no other write records: a drafter's
    /// approval of their own answer under the council's policy
    /// (`approve.self`, `username` the approver).
    fn record_account_event(
        &mut self,
        who: &Who,
        action: &str,
        username: &str,
        council: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError>;

    /// Set a council's policy `name`; `policy.set` with before and after.
    fn set_council_policy(
        &mut self,
        who: &Who,
        council: &str,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError>;

    /// Create an API token; `token.create` (its name, provider and id,
    /// never its hash). Returns its id.
    fn create_token(&mut self, who: &Who, token: &NewToken) -> Result<i64, StoreError>;

    /// A council's API tokens (revoked ones too), for one provider or
    /// (`None`) every provider, newest first.
    fn tokens(&self, council: &str, provider: Option<&str>)
    -> Result<Vec<StoredToken>, StoreError>;

    /// The token whose secret has this hash (revoked ones too: the caller
    /// decides).
    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Revoke a token of `council`; `token.revoke`. Returns false when the
    /// council has no such token or it was revoked already (nothing
    /// changed, nothing recorded).
    fn revoke_token(&mut self, who: &Who, council: &str, id: i64) -> Result<bool, StoreError>;

    /// Note that a token was used at `at` (not an account event).
    fn token_used(&mut self, id: i64, at: &str) -> Result<(), StoreError>;
}
