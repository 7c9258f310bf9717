//! API tokens for providers' machine submissions: created by an
//! administrator (or the command line) for one of the council's providers,
//! or by a provider user an administrator allowed to manage their own
//! provider's tokens; shown once; stored as the SHA-256 of their secret
//! (a random 32 bytes, high-entropy, so a plain hash is enough: nothing to
//! guess); each scoped to one council and one provider, with a name, who
//! created it, when it was last used; revocable. Creating and revoking are
//! account events with who did it.
//!
//! [`authenticate`] turns a token's secret into the [`Actor`] the policy
//! sees: a provider of the token's provider in the token's council, named
//! `token:ID` in the audit.

use lantern_store::Store;
use lantern_store::accounts::{NewToken, StoredToken};
use sha2::{Digest, Sha256};

use crate::accounts::{Actor, Grant, Role};
use crate::{Context, Error, Kind, Result, hex};

/// What every token's secret starts with (so that a leaked one is easy to
/// recognise and search for).
pub const PREFIX: &str = "lantern_";

/// The longest token name, in characters.
pub const MAX_NAME: usize = 80;

/// The council policy, per provider user, that lets them manage their own
/// provider's tokens (`allowed`; anything else, or unset: not).
pub fn manage_policy(username: &str) -> String {
    format!("provider_tokens:{username}")
}

/// Whose tokens someone may manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every provider's in the council (an administrator, the command line).
    Council,
    /// One provider's only (a provider user an administrator allowed).
    Provider(String),
}

impl Scope {
    fn covers(&self, provider: &str) -> bool {
        match self {
            Scope::Council => true,
            Scope::Provider(p) => p == provider,
        }
    }
}

/// A token as people see it (never its secret or hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenView {
    /// Its id.
    pub id: i64,
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

impl TokenView {
    fn of(t: StoredToken) -> TokenView {
        TokenView {
            id: t.id,
            provider: t.provider,
            name: t.name,
            created_at: t.created_at,
            created_by: t.created_by,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            revoked_by: t.revoked_by,
        }
    }
}

/// A token just created: its secret, shown this once.
#[derive(Debug, Clone)]
pub struct Created {
    /// The token as held.
    pub token: TokenView,
    /// The secret to give the provider's system (`Authorization: Bearer …`).
    pub secret: String,
}

fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn council_of(store: &dyn Store) -> Result<String> {
    match store.council_in_use()? {
        Some(code) => Ok(code),
        None => crate::fail!(
            Conflict,
            "this database holds no council yet; add one with `lantern council set` first"
        ),
    }
}

/// Whose tokens `actor` may manage in their council: an administrator
/// every provider's; a provider user their own provider's when an
/// administrator allowed them; anyone else none (refused).
pub fn scope_of(ctx: &Context, actor: &Actor) -> Result<Scope> {
    let store = ctx.open()?;
    scope_in(store.as_ref(), actor)
}

fn scope_in(store: &dyn Store, actor: &Actor) -> Result<Scope> {
    let council = council_of(store)?;
    if actor.council != council {
        crate::fail!(Forbidden, "you have no role in this council");
    }
    if actor.has(Role::Admin) {
        return Ok(Scope::Council);
    }
    if let Some(provider) = actor
        .grants
        .iter()
        .find(|g| g.role == Role::Provider)
        .and_then(|g| g.provider.clone())
        && !actor.username.starts_with("token:")
        && store
            .council_policy(&council, &manage_policy(&actor.username))?
            .as_deref()
            == Some("allowed")
    {
        return Ok(Scope::Provider(provider));
    }
    crate::fail!(
        Forbidden,
        "managing API tokens needs an administrator's permission; ask one to allow you"
    )
}

/// Create a token for `provider` (for a provider user: their own, which
/// they need not name) called `name`; returns its secret, shown once.
pub fn create(ctx: &Context, scope: &Scope, provider: Option<&str>, name: &str) -> Result<Created> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        crate::fail!(
            Invalid,
            "token name: write what it is for, 1 to {MAX_NAME} characters on one line (such as \"nightly upload\")"
        );
    }
    let provider = match (scope, provider.map(str::trim).filter(|p| !p.is_empty())) {
        (Scope::Provider(own), None) => own.clone(),
        (Scope::Provider(own), Some(p)) if p == own => own.clone(),
        (Scope::Provider(_), Some(_)) => crate::fail!(
            Forbidden,
            "you may create tokens for your own provider only"
        ),
        (Scope::Council, None) => crate::fail!(
            Invalid,
            "provider: name the provider (agency code) the token submits for"
        ),
        (Scope::Council, Some(p)) => p.to_string(),
    };
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    if !store.agencies()?.iter().any(|a| a.code == provider) {
        crate::fail!(
            Invalid,
            "provider '{provider}' is not in the register of providers; import it with `lantern import agencies FILE` or check the code"
        );
    }
    let secret = format!("{PREFIX}{}", hex(&random()?));
    let id = store.create_token(
        &ctx.who(),
        &NewToken {
            council: council.clone(),
            provider: provider.clone(),
            name: name.to_string(),
            secret_hash: secret_hash(&secret),
        },
    )?;
    let token = store
        .tokens(&council, Some(&provider))?
        .into_iter()
        .find(|t| t.id == id)
        .map(TokenView::of)
        .ok_or_else(|| Error::new(Kind::Internal, "the token just created is not held"))?;
    Ok(Created { token, secret })
}

fn random() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            Kind::Internal,
            format!("the system gave no random bytes: {e}"),
        )
    })?;
    Ok(bytes)
}

/// The tokens in `scope` (revoked ones too), newest first.
pub fn list(ctx: &Context, scope: &Scope) -> Result<Vec<TokenView>> {
    let store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    let provider = match scope {
        Scope::Council => None,
        Scope::Provider(p) => Some(p.as_str()),
    };
    Ok(store
        .tokens(&council, provider)?
        .into_iter()
        .map(TokenView::of)
        .collect())
}

/// Revoke token `id`: it never authenticates again. A token outside
/// `scope` is not found (its existence is not revealed); one revoked
/// already is a conflict.
pub fn revoke(ctx: &Context, scope: &Scope, id: i64) -> Result<TokenView> {
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    let Some(token) = store
        .tokens(&council, None)?
        .into_iter()
        .find(|t| t.id == id && scope.covers(&t.provider))
    else {
        crate::fail!(
            NotFound,
            "there is no API token {id}; the tokens page lists them"
        );
    };
    if token.revoked_at.is_some() {
        crate::fail!(Conflict, "API token {id} was revoked already");
    }
    if !store.revoke_token(&ctx.who(), &council, id)? {
        crate::fail!(Conflict, "API token {id} was revoked already");
    }
    store
        .tokens(&council, Some(&token.provider))?
        .into_iter()
        .find(|t| t.id == id)
        .map(TokenView::of)
        .ok_or_else(|| Error::new(Kind::Internal, "the token just revoked is not held"))
}

/// Allow a provider user of the council to manage their own provider's
/// tokens (or no longer); a council policy, audited.
pub fn allow_managing(ctx: &Context, username: &str, allowed: bool) -> Result<()> {
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    let user = store.user(username)?;
    let is_provider = user.as_ref().is_some_and(|u| {
        u.roles
            .iter()
            .any(|g| g.council == council && g.role == Role::Provider.code())
    });
    if !is_provider {
        crate::fail!(
            NotFound,
            "{username} is not a provider user of this council; only provider users manage their own tokens"
        );
    }
    store.set_council_policy(
        &ctx.who(),
        &council,
        &manage_policy(username),
        if allowed { "allowed" } else { "not allowed" },
    )?;
    Ok(())
}

/// Whether a provider user may manage their provider's tokens.
pub fn may_manage(ctx: &Context, actor: &Actor) -> Result<bool> {
    match scope_of(ctx, actor) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == Kind::Forbidden => Ok(false),
        Err(e) => Err(e),
    }
}

/// The person a token's secret stands for: a provider of the token's
/// provider in its council, named `token:ID`. Refused (forbidden, with
/// one message for every case, so that nothing is learnt from it) when
/// the secret is malformed or unknown, the token revoked, or of another
/// council. A use is noted as the token's last use.
pub fn authenticate(ctx: &Context, secret: &str) -> Result<Actor> {
    let refused = || {
        Error::new(
            Kind::Forbidden,
            "the API token is not valid: it is unknown, revoked or for another council; ask for a new one",
        )
    };
    let well_formed = secret
        .strip_prefix(PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(refused());
    }
    let mut store = ctx.open()?;
    let council = council_of(store.as_ref())?;
    let Some(token) = store.token_by_hash(&secret_hash(secret))? else {
        return Err(refused());
    };
    if token.revoked_at.is_some() || token.council != council {
        return Err(refused());
    }
    store.token_used(token.id, &ctx.who().at)?;
    Ok(Actor {
        username: format!("token:{}", token.id),
        display_name: token.name,
        council,
        grants: vec![Grant {
            role: Role::Provider,
            provider: Some(token.provider),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{Grant, NewAccount, create_user};

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
        let ctx = Context::new(database, config, "root".into());
        let code = crate::council::ensure(&ctx).expect("council");
        let ctx = ctx.for_council(Some(code));
        let agencies = dir.path().join("agencies.csv");
        std::fs::write(
            &agencies,
            "code,name,area\nP1,First,E06000016\nP2,Second,E06000016\n",
        )
        .expect("agencies");
        let bytes = std::fs::read(&agencies).expect("read");
        crate::data::import(
            &ctx,
            crate::data::DataFile::Agencies,
            "agencies.csv",
            &bytes,
            &|_| {},
        )
        .expect("register");
        ctx
    }

    fn actor(ctx: &Context, username: &str, grant: &str) -> Actor {
        create_user(
            ctx,
            &NewAccount {
                username: username.into(),
                display_name: username.into(),
                password: "correct horse battery".into(),
                grants: vec![Grant::parse(grant).unwrap()],
            },
        )
        .unwrap();
        Actor {
            username: username.into(),
            display_name: username.into(),
            council: ctx.council.clone().unwrap(),
            grants: vec![Grant::parse(grant).unwrap()],
        }
    }

    #[test]
    fn scopes_secrets_and_revocation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = context(&dir);
        let admin = actor(&ctx, "ada", "admin");
        let pat = actor(&ctx, "pat", "provider:P1");
        let officer = actor(&ctx, "olu", "foi_officer");
        assert_eq!(scope_of(&ctx, &admin).unwrap(), Scope::Council);
        assert_eq!(
            scope_of(&ctx, &officer).unwrap_err().kind(),
            Kind::Forbidden
        );
        // A provider user until allowed: refused; then their own only.
        assert_eq!(scope_of(&ctx, &pat).unwrap_err().kind(), Kind::Forbidden);
        allow_managing(&ctx, "pat", true).unwrap();
        let own = scope_of(&ctx, &pat).unwrap();
        assert_eq!(own, Scope::Provider("P1".into()));
        assert_eq!(
            allow_managing(&ctx, "olu", true).unwrap_err().kind(),
            Kind::NotFound
        );
        assert_eq!(
            create(&ctx, &own, Some("P2"), "x").unwrap_err().kind(),
            Kind::Forbidden
        );
        assert_eq!(
            create(&ctx, &Scope::Council, Some("NOPE"), "x")
                .unwrap_err()
                .kind(),
            Kind::Invalid
        );

        let made = create(&ctx, &own, None, "nightly").unwrap();
        assert_eq!(made.token.provider, "P1");
        let theirs = create(&ctx, &Scope::Council, Some("P2"), "theirs").unwrap();
        // The secret is not in the database, only its hash.
        let db = std::fs::read(dir.path().join("lantern.db")).unwrap_or_default();
        let wal = std::fs::read(dir.path().join("lantern.db-wal")).unwrap_or_default();
        for file in [&db, &wal] {
            assert!(
                !file
                    .windows(40)
                    .any(|w| w == &made.secret.as_bytes()[8..48])
            );
        }
        // The token acts as a provider of P1, named for the audit.
        let as_token = authenticate(&ctx, &made.secret).unwrap();
        assert_eq!(as_token.username, format!("token:{}", made.token.id));
        assert_eq!(
            crate::providers::provider_of(&as_token).unwrap(),
            "P1".to_string()
        );
        // A token never manages tokens, even its allowed user's.
        assert_eq!(
            scope_of(&ctx, &as_token).unwrap_err().kind(),
            Kind::Forbidden
        );
        // The provider user sees and revokes their own only.
        assert_eq!(list(&ctx, &own).unwrap().len(), 1);
        assert_eq!(
            revoke(&ctx, &own, theirs.token.id).unwrap_err().kind(),
            Kind::NotFound
        );
        revoke(&ctx, &own, made.token.id).unwrap();
        assert_eq!(
            revoke(&ctx, &own, made.token.id).unwrap_err().kind(),
            Kind::Conflict
        );
        // Revoked, forged or malformed: refused alike.
        let forged = format!("{PREFIX}{}", "0".repeat(64));
        for secret in [made.secret.as_str(), forged.as_str(), "nonsense"] {
            let e = authenticate(&ctx, secret).unwrap_err();
            assert_eq!(e.kind(), Kind::Forbidden);
            assert!(e.message().starts_with("the API token is not valid"));
        }
        assert!(authenticate(&ctx, &theirs.secret).is_ok());
        let _ = pat;
    }
}
