//! Accounts for the web application: an administrator creates users with
//! roles in a council, resets their passwords and disables them; people
//! sign in (argon2id hashes, compared in constant time, failed attempts
//! throttled through the database so that every server process agrees) and
//! out; a session is looked up by the token its cookie carries.
//!
//! Only a hash of a session's token is stored, so the database alone
//! cannot be used to sign in. Every write is an account event with who
//! did it (`Store::account_events`).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use lantern_store::accounts::{NewSession, NewUser, RoleGrant, StoredUser};
use lantern_store::{Store, Who};
use sha2::{Digest, Sha256};

use crate::{Context, Error, Result, hex};

/// What a person may be in a council.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Takes in, corrects, drafts and sends requests.
    FoiOfficer,
    /// Approves drafted answers (not ones they drafted or corrected).
    Approver,
    /// Works with the figures.
    Analyst,
    /// Acts for one treatment provider (its submissions).
    Provider,
    /// Manages the council's users and settings.
    Admin,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 5] = [
        Role::FoiOfficer,
        Role::Approver,
        Role::Analyst,
        Role::Provider,
        Role::Admin,
    ];

    /// The role's name as stored and typed (`foi_officer`, …).
    pub fn code(self) -> &'static str {
        match self {
            Role::FoiOfficer => "foi_officer",
            Role::Approver => "approver",
            Role::Analyst => "analyst",
            Role::Provider => "provider",
            Role::Admin => "admin",
        }
    }

    /// The role in words, for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::FoiOfficer => "FOI officer",
            Role::Approver => "Approver",
            Role::Analyst => "Analyst",
            Role::Provider => "Provider",
            Role::Admin => "Administrator",
        }
    }

    /// The role a name says, if any.
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// A role granted in a council; a provider's names its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The role.
    pub role: Role,
    /// For [`Role::Provider`]: the provider (agency code) it acts for.
    pub provider: Option<String>,
}

impl Grant {
    /// Read `role` or `provider:AGENCY` (as typed on the command line).
    pub fn parse(text: &str) -> Result<Grant> {
        let (name, provider) = match text.split_once(':') {
            Some((name, provider)) => (name.trim(), Some(provider.trim().to_string())),
            None => (text.trim(), None),
        };
        let Some(role) = Role::parse(name) else {
            crate::fail!(
                Invalid,
                "role '{name}' is not one Lantern knows; write one of {}",
                Role::ALL.map(Role::code).join(", ")
            );
        };
        match (role, provider) {
            (Role::Provider, None) => crate::fail!(
                Invalid,
                "a provider's role names its provider: write provider:AGENCY (the agency code)"
            ),
            (Role::Provider, Some(p)) if !valid_provider(&p) => crate::fail!(
                Invalid,
                "provider '{p}': write the agency code (letters, digits, '-', '_', at most 32)"
            ),
            (Role::Provider, Some(p)) => Ok(Grant {
                role,
                provider: Some(p),
            }),
            (_, Some(_)) => crate::fail!(
                Invalid,
                "only the provider role names a provider; write {} alone",
                role.code()
            ),
            (_, None) => Ok(Grant {
                role,
                provider: None,
            }),
        }
    }
}

fn valid_provider(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 32
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A signed-in person as the policy sees them: who, and their roles in the
/// council being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The name they sign in with (what the audit records).
    pub username: String,
    /// The name pages show.
    pub display_name: String,
    /// The council these roles are in.
    pub council: String,
    /// Their roles in that council.
    pub grants: Vec<Grant>,
}

impl Actor {
    /// Whether they hold `role` in their council.
    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }

    fn of(user: &StoredUser, council: &str) -> Actor {
        Actor {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            council: council.to_string(),
            grants: user
                .roles
                .iter()
                .filter(|g| g.council == council)
                .filter_map(|g| {
                    Some(Grant {
                        role: Role::parse(&g.role)?,
                        provider: (!g.provider.is_empty()).then(|| g.provider.clone()),
                    })
                })
                .collect(),
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// The longest password accepted (hashing reads all of it).
pub const MAX_PASSWORD: usize = 256;
/// Failed sign-ins under one name within [`THROTTLE_MINUTES`] after which
/// that name is refused until the window passes.
pub const MAX_FAILURES: usize = 5;
/// The throttling window, in minutes.
pub const THROTTLE_MINUTES: i64 = 15;
/// How long a session lasts from sign-in, in hours.
pub const SESSION_HOURS: i64 = 8;

/// Check a user name: 1 to 64 of lowercase letters, digits, `.`, `_`, `-`.
pub fn check_username(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        crate::fail!(
            Invalid,
            "user name: write 1 to 64 lowercase letters, digits, '.', '_' or '-'"
        );
    }
    Ok(())
}

fn check_display_name(name: &str) -> Result<()> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 || name.chars().any(char::is_control) {
        crate::fail!(
            Invalid,
            "full name: write the person's name, 1 to 100 characters on one line"
        );
    }
    Ok(())
}

fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        crate::fail!(
            Invalid,
            "password: use at least {MIN_PASSWORD} characters (a few unrelated words make a good one)"
        );
    }
    if password.len() > MAX_PASSWORD {
        crate::fail!(Invalid, "password: use at most {MAX_PASSWORD} bytes");
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            Error::new(
                crate::Kind::Internal,
                format!("cannot hash a password: {e}"),
            )
        })
}

/// Whether `password` matches the stored hash (argon2's comparison is
/// constant-time).
fn verify(password: &str, stored: &str) -> bool {
    password.len() <= MAX_PASSWORD
        && Argon2::default()
            .verify_password(password.as_bytes(), stored)
            .is_ok()
}

/// A hash no password is known for, checked when the name is unknown so
/// that an unknown name takes as long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY
        .get_or_init(|| hash_password(&hex(&random::<32>().unwrap_or([7; 32]))).unwrap_or_default())
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            crate::Kind::Internal,
            format!("the system gave no random bytes: {e}"),
        )
    })?;
    Ok(bytes)
}

/// A new random secret (64 hex digits), for a form that comes before
/// any session (the sign-in form).
pub fn new_secret() -> Result<String> {
    Ok(hex(&random::<32>()?))
}

/// Whether two secrets are equal, in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn now_stamp() -> jiff::Timestamp {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
}

fn who_at(actor: &str, at: jiff::Timestamp) -> Who {
    Who {
        actor: actor.to_string(),
        at: at.to_string(),
    }
}

/// The council whose accounts `ctx` manages: the one chosen, or the only one.
fn council_of(store: &dyn Store) -> Result<String> {
    match store.council_in_use()? {
        Some(code) => Ok(code),
        None => crate::fail!(
            Conflict,
            "this database holds no council yet; add one with `lantern council set` before adding users"
        ),
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The name they sign in with.
    pub username: String,
    /// Their name as pages show it.
    pub display_name: String,
    /// Their first password.
    pub password: String,
    /// Their roles in the council.
    pub grants: Vec<Grant>,
}

/// A user as an administrator sees them (never their hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    /// The name they sign in with.
    pub username: String,
    /// Their name.
    pub display_name: String,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// Their roles in the council.
    pub grants: Vec<Grant>,
    /// When the account was created, and by whom.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
}

/// Create a user with roles in the council in use (`lantern user add`, the
/// administrator's page).
pub fn create_user(ctx: &Context, new: &NewAccount) -> Result<UserView> {
    check_username(&new.username)?;
    check_display_name(&new.display_name)?;
    check_password(&new.password)?;
    if new.grants.is_empty() {
        crate::fail!(Invalid, "roles: give the user at least one role");
    }
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    let user = NewUser {
        username: new.username.clone(),
        display_name: new.display_name.trim().to_string(),
        password_hash: hash_password(&new.password)?,
        roles: new
            .grants
            .iter()
            .map(|g| RoleGrant {
                council: council.clone(),
                role: g.role.code().to_string(),
                provider: g.provider.clone().unwrap_or_default(),
            })
            .collect(),
    };
    store.create_user(&ctx.who(), &user)?;
    Ok(UserView {
        username: user.username,
        display_name: user.display_name,
        disabled: false,
        grants: new.grants.clone(),
        created_at: ctx.who().at,
        created_by: ctx.actor.clone(),
    })
}

/// The users with a role in the council in use, by name.
pub fn list_users(ctx: &Context) -> Result<Vec<UserView>> {
    let store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    Ok(store
        .users()?
        .iter()
        .filter(|u| u.roles.iter().any(|g| g.council == council))
        .map(|u| UserView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            disabled: u.disabled,
            grants: Actor::of(u, &council).grants,
            created_at: u.created_at.clone(),
            created_by: u.created_by.clone(),
        })
        .collect())
}

/// A user of the council in use, or not found (a user of another council
/// only is not this council's to change).
fn council_user(store: &dyn Store, council: &str, username: &str) -> Result<StoredUser> {
    match store.user(username)? {
        Some(u) if u.roles.iter().any(|g| g.council == council) => Ok(u),
        _ => Err(lantern_store::StoreError::NoSuchUser(username.to_string()).into()),
    }
}

/// Give a user a new password; their sessions end.
pub fn reset_password(ctx: &Context, username: &str, password: &str) -> Result<()> {
    check_password(password)?;
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    council_user(store.as_ref(), &council, username)?;
    let hash = hash_password(password)?;
    store.set_password(&ctx.who(), &council, username, &hash)?;
    Ok(())
}

/// Disable a user (their sessions end) or enable them again. An
/// administrator cannot disable themself (someone must be left to undo it).
pub fn set_disabled(ctx: &Context, username: &str, disabled: bool) -> Result<()> {
    if disabled && username == ctx.actor {
        crate::fail!(
            Conflict,
            "you cannot disable your own account; ask another administrator"
        );
    }
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    council_user(store.as_ref(), &council, username)?;
    store.set_disabled(&ctx.who(), &council, username, disabled)?;
    Ok(())
}

/// A started session: the token for the cookie (shown once, never stored).
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's token (the cookie's value).
    pub token: String,
    /// The secret every form of this session carries.
    pub csrf: String,
    /// When the session ends of itself.
    pub expires_at: jiff::Timestamp,
    /// Who signed in, with their roles in the council.
    pub actor: Actor,
}

/// What a sign-in came to.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Signed in.
    SignedIn(Session),
    /// The name or password is wrong, the account is disabled, or it has
    /// no role in this council (the person is not told which).
    Refused,
    /// Too many failed sign-ins under this name lately: refused without
    /// looking at the password until this time.
    Throttled {
        /// When a sign-in under this name is looked at again.
        until: jiff::Timestamp,
    },
}

/// Sign in to the council in use: throttled per name (across every server
/// process, through the database), the password checked against its
/// argon2id hash, a new session started.
pub fn sign_in(ctx: &Context, username: &str, password: &str) -> Result<SignIn> {
    let key: String = username.trim().to_lowercase().chars().take(64).collect();
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    let now = now_stamp();
    let window = jiff::SignedDuration::from_mins(THROTTLE_MINUTES);
    let since = now.checked_sub(window).unwrap_or(now);
    let user = store.user(&key)?;
    let failing = failure_name(&key, user.is_some());
    let failures = store.sign_in_failures(&failing, &since.to_string())?;
    if failures.len() >= MAX_FAILURES {
        let oldest = failures
            .iter()
            .rev()
            .nth(MAX_FAILURES - 1)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .unwrap_or(now);
        let until = oldest.checked_add(window).unwrap_or(now);
        return Ok(SignIn::Throttled { until });
    }
    let matches = match &user {
        Some(u) => verify(password, &u.password_hash),
        None => {
            verify(password, decoy());
            false
        }
    };
    let actor = user.as_ref().map(|u| Actor::of(u, &council));
    let usable = matches
        && user.as_ref().is_some_and(|u| !u.disabled)
        && actor.as_ref().is_some_and(|a| !a.grants.is_empty());
    let (Some(user), Some(actor), true) = (user, actor, usable) else {
        store.sign_in_failed(&failing, &now.to_string())?;
        return Ok(SignIn::Refused);
    };
    let token = hex(&random::<32>()?);
    let csrf = hex(&random::<32>()?);
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS))
        .unwrap_or(now);
    store.start_session(
        &who_at(&user.username, now),
        user.id,
        &NewSession {
            id_hash: token_hash(&token),
            csrf: csrf.clone(),
            expires_at: expires_at.to_string(),
        },
    )?;
    Ok(SignIn::SignedIn(Session {
        token,
        csrf,
        expires_at,
        actor,
    }))
}

/// The name a failed sign-in is counted and audited under: the account's
/// own name when there is one; otherwise a digest of what was typed, since
/// a name no account has may be anything (a password typed into the wrong
/// field) and is never kept. The digest still counts repeated tries of one
/// name towards its throttle.
fn failure_name(key: &str, known: bool) -> String {
    if known {
        key.to_string()
    } else {
        format!("unknown:{}", &token_hash(key)[..16])
    }
}

/// A live session: who, and the secret its forms carry.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// Who is signed in, with their roles in the council served.
    pub actor: Actor,
    /// The secret every form carries.
    pub csrf: String,
    /// When it ends of itself.
    pub expires_at: jiff::Timestamp,
}

/// The live session a cookie's token names, for the council in use: none
/// when the token is unknown, the session ended or expired, the account
/// disabled, or it holds no role in this council.
pub fn session(store: &dyn Store, token: &str) -> Result<Option<LiveSession>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(held) = store.session(&token_hash(token))? else {
        return Ok(None);
    };
    let Ok(expires_at) = held.expires_at.parse::<jiff::Timestamp>() else {
        return Ok(None);
    };
    if held.ended_at.is_some() || held.user.disabled || expires_at <= jiff::Timestamp::now() {
        return Ok(None);
    }
    let Some(council) = store.council_in_use()? else {
        return Ok(None);
    };
    let actor = Actor::of(&held.user, &council);
    if actor.grants.is_empty() {
        return Ok(None);
    }
    Ok(Some(LiveSession {
        actor,
        csrf: held.csrf,
        expires_at,
    }))
}

/// Sign out: the session named by the token ends (an unknown or ended one
/// changes nothing).
pub fn sign_out(ctx: &Context, token: &str) -> Result<()> {
    let mut store = ctx.open()?;
    store.end_session(&who_at(&ctx.actor, now_stamp()), &token_hash(token))?;
    Ok(())
}

/// The newest `limit` account events (who changed which account, sign-ins).
pub fn events(ctx: &Context, limit: usize) -> Result<Vec<lantern_store::accounts::AccountEvent>> {
    Ok(ctx.open()?.account_events(limit)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &hash));
        assert!(!verify("correct horse batterY", &hash));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }

    /// A new database with Leicester as its council.
    fn context(dir: &tempfile::TempDir) -> Context {
        let database = dir.path().join("lantern.db").display().to_string();
        lantern_store::create(
            &database,
            &lantern_store::init_meta("tester", &crate::now()),
        )
        .expect("database created");
        let config = crate::config::Config::parse(
            std::path::Path::new("lantern.toml"),
            "[council]\nname = \"Leicester City Council\"\narea = \"E06000016\"\n",
        )
        .expect("config");
        let ctx = Context::new(database, config, "tester".into());
        let code = crate::council::ensure(&ctx).expect("council");
        ctx.for_council(Some(code))
    }

    const PW: &str = "correct horse battery";

    #[test]
    fn sessions_end_at_expiry_sign_out_and_disabling_and_failures_are_throttled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = context(&dir);
        create_user(
            &ctx,
            &NewAccount {
                username: "ana".into(),
                display_name: "Ana".into(),
                password: PW.into(),
                grants: vec![Grant::parse("foi_officer").unwrap()],
            },
        )
        .unwrap();
        let SignIn::SignedIn(signed) = sign_in(&ctx, "ana", PW).unwrap() else {
            panic!("ana signs in");
        };
        assert_eq!(signed.actor.grants[0].role, Role::FoiOfficer);
        let mut store = ctx.open().unwrap();
        assert!(session(store.as_ref(), &signed.token).unwrap().is_some());
        // A session past its expiry is no session.
        let stale = "e".repeat(64);
        let id = store.user("ana").unwrap().unwrap().id;
        store
            .start_session(
                &who_at("ana", now_stamp()),
                id,
                &NewSession {
                    id_hash: token_hash(&stale),
                    csrf: "x".into(),
                    expires_at: "2000-01-01T00:00:00Z".into(),
                },
            )
            .unwrap();
        assert!(session(store.as_ref(), &stale).unwrap().is_none());
        // Nor is a malformed or unknown token.
        assert!(session(store.as_ref(), "nope").unwrap().is_none());
        assert!(session(store.as_ref(), &"f".repeat(64)).unwrap().is_none());
        // Signing out ends it.
        sign_out(&ctx, &signed.token).unwrap();
        assert!(session(store.as_ref(), &signed.token).unwrap().is_none());

        // Five failures, then even the right password waits.
        for _ in 0..MAX_FAILURES {
            assert!(matches!(
                sign_in(&ctx, "ana", "wrong wrong wrong").unwrap(),
                SignIn::Refused
            ));
        }
        assert!(matches!(
            sign_in(&ctx, "ana", PW).unwrap(),
            SignIn::Throttled { .. }
        ));
        // Unknown names are refused alike, and counted, under a digest:
        // what was typed (here a password in the name field) is never kept.
        for _ in 0..MAX_FAILURES {
            assert!(matches!(
                sign_in(&ctx, "Tr0ub4dor&3 secret", PW).unwrap(),
                SignIn::Refused
            ));
        }
        assert!(matches!(
            sign_in(&ctx, "tr0ub4dor&3 secret", PW).unwrap(),
            SignIn::Throttled { .. }
        ));
        drop(store);
        let bytes = std::fs::read(dir.path().join("lantern.db")).unwrap_or_default();
        let wal = std::fs::read(dir.path().join("lantern.db-wal")).unwrap_or_default();
        for file in [&bytes, &wal] {
            assert!(
                !file
                    .windows(9)
                    .any(|w| w.eq_ignore_ascii_case(b"tr0ub4dor")),
                "the typed name is in the database"
            );
        }
        let store = ctx.open().unwrap();

        // A disabled user cannot sign in (bo, not throttled).
        create_user(
            &ctx,
            &NewAccount {
                username: "bo".into(),
                display_name: "Bo".into(),
                password: PW.into(),
                grants: vec![Grant::parse("approver").unwrap()],
            },
        )
        .unwrap();
        let SignIn::SignedIn(bo) = sign_in(&ctx, "bo", PW).unwrap() else {
            panic!("bo signs in");
        };
        set_disabled(&ctx, "bo", true).unwrap();
        assert!(session(store.as_ref(), &bo.token).unwrap().is_none());
        assert!(matches!(sign_in(&ctx, "bo", PW).unwrap(), SignIn::Refused));
        // Nobody disables themself.
        let mut me = ctx.clone();
        me.actor = "bo".into();
        assert_eq!(
            set_disabled(&me, "bo", true).unwrap_err().kind(),
            crate::Kind::Conflict
        );
    }

    #[test]
    fn grants_and_names_are_read_strictly() {
        assert_eq!(Grant::parse("approver").unwrap().role, Role::Approver);
        let p = Grant::parse("provider:AG-01").unwrap();
        assert_eq!(p.provider.as_deref(), Some("AG-01"));
        assert!(Grant::parse("provider").is_err());
        assert!(Grant::parse("admin:X").is_err());
        assert!(Grant::parse("boss").is_err());
        assert!(check_username("ana.smith").is_ok());
        assert!(check_username("Ana").is_err());
        assert!(check_username("<script>").is_err());
        assert!(check_password("short").is_err());
    }
}
