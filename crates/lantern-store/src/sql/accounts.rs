//! Accounts, sessions, failed sign-ins and council policies (migration 13):
//! each write one transaction with its account event.

use serde_json::json;

use crate::accounts::{
    AccountEvent, Accounts, NewSession, NewToken, NewUser, RoleGrant, StoredSession, StoredToken,
    StoredUser,
};
use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::Sql;
use crate::{StoreError, Who};

use super::{SqlStore, int, opt_text, param, param_text, text};

const USER_COLUMNS: &str =
    "SELECT id, username, display_name, password_hash, disabled, created_at, created_by FROM users";

fn event(
    tx: &mut dyn Tx,
    who: &Who,
    action: &str,
    username: &str,
    council: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO account_events (at, actor, action, username, council, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            param_text(&who.at),
            param_text(&who.actor),
            param_text(action),
            param_text(username),
            param_text(council),
            param_text(&detail.to_string()),
        ],
    )?;
    Ok(())
}

fn roles_of(tx: &mut dyn Tx, user: i64) -> Result<Vec<RoleGrant>, StoreError> {
    let rows = tx.query(
        "SELECT council, role, provider FROM user_roles WHERE user_id = $1
         ORDER BY council, role, provider",
        &[param(user)],
        &[Kind::Text; 3],
    )?;
    Ok(rows
        .iter()
        .map(|r| RoleGrant {
            council: text(&r[0]),
            role: text(&r[1]),
            provider: text(&r[2]),
        })
        .collect())
}

fn users_where(
    tx: &mut dyn Tx,
    condition: &str,
    params: &[Sql],
) -> Result<Vec<StoredUser>, StoreError> {
    let rows = tx.query(
        &format!("{USER_COLUMNS} {condition} ORDER BY username"),
        params,
        &[
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Text,
            Kind::Text,
        ],
    )?;
    rows.iter()
        .map(|r| {
            let id = int(&r[0]);
            Ok(StoredUser {
                id,
                username: text(&r[1]),
                display_name: text(&r[2]),
                password_hash: text(&r[3]),
                disabled: int(&r[4]) != 0,
                created_at: text(&r[5]),
                created_by: text(&r[6]),
                roles: roles_of(tx, id)?,
            })
        })
        .collect()
}

fn user_id(tx: &mut dyn Tx, username: &str) -> Result<i64, StoreError> {
    let rows = tx.query(
        "SELECT id FROM users WHERE username = $1",
        &[param_text(username)],
        &[Kind::Int],
    )?;
    rows.first()
        .map(|r| int(&r[0]))
        .ok_or_else(|| StoreError::NoSuchUser(username.to_string()))
}

fn end_sessions_of(tx: &mut dyn Tx, user: i64, at: &str) -> Result<u64, StoreError> {
    tx.execute(
        "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL",
        &[param_text(at), param(user)],
    )
}

impl<E: Engine> Accounts for SqlStore<E> {
    fn create_user(&mut self, who: &Who, user: &NewUser) -> Result<i64, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let taken = tx.query(
                "SELECT id FROM users WHERE username = $1",
                &[param_text(&user.username)],
                &[Kind::Int],
            )?;
            if !taken.is_empty() {
                return Err(StoreError::UserExists(user.username.clone()));
            }
            tx.execute(
                "INSERT INTO users (username, display_name, password_hash, disabled, created_at, created_by)
                 VALUES ($1, $2, $3, 0, $4, $5)",
                &[
                    param_text(&user.username),
                    param_text(&user.display_name),
                    param_text(&user.password_hash),
                    param_text(&who.at),
                    param_text(&who.actor),
                ],
            )?;
            let id = user_id(tx, &user.username)?;
            for grant in &user.roles {
                tx.execute(
                    "INSERT INTO user_roles (user_id, council, role, provider) VALUES ($1, $2, $3, $4)",
                    &[
                        param(id),
                        param_text(&grant.council),
                        param_text(&grant.role),
                        param_text(&grant.provider),
                    ],
                )?;
            }
            let councils: Vec<&str> = user.roles.iter().map(|g| g.council.as_str()).collect();
            let roles: Vec<String> = user
                .roles
                .iter()
                .map(|g| {
                    if g.provider.is_empty() {
                        format!("{}:{}", g.council, g.role)
                    } else {
                        format!("{}:{}:{}", g.council, g.role, g.provider)
                    }
                })
                .collect();
            event(
                tx,
                who,
                "user.add",
                &user.username,
                councils.first().copied().unwrap_or(""),
                json!({ "display_name": user.display_name, "roles": roles }),
            )?;
            Ok(id)
        })
    }

    fn users(&self) -> Result<Vec<StoredUser>, StoreError> {
        self.engine
            .transaction(Mode::Read, |tx| users_where(tx, "", &[]))
    }

    fn user(&self, username: &str) -> Result<Option<StoredUser>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            Ok(
                users_where(tx, "WHERE username = $1", &[param_text(username)])?
                    .into_iter()
                    .next(),
            )
        })
    }

    fn set_password(
        &mut self,
        who: &Who,
        council: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let id = user_id(tx, username)?;
            tx.execute(
                "UPDATE users SET password_hash = $1 WHERE id = $2",
                &[param_text(password_hash), param(id)],
            )?;
            let ended = end_sessions_of(tx, id, &who.at)?;
            event(
                tx,
                who,
                "user.password",
                username,
                council,
                json!({ "sessions_ended": ended }),
            )
        })
    }

    fn set_disabled(
        &mut self,
        who: &Who,
        council: &str,
        username: &str,
        disabled: bool,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let id = user_id(tx, username)?;
            let before = tx.query(
                "SELECT disabled FROM users WHERE id = $1",
                &[param(id)],
                &[Kind::Int],
            )?;
            let was = before.first().is_some_and(|r| int(&r[0]) != 0);
            tx.execute(
                "UPDATE users SET disabled = $1 WHERE id = $2",
                &[param(i64::from(disabled)), param(id)],
            )?;
            let ended = if disabled {
                end_sessions_of(tx, id, &who.at)?
            } else {
                0
            };
            event(
                tx,
                who,
                if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                username,
                council,
                json!({ "before": { "disabled": was }, "after": { "disabled": disabled }, "sessions_ended": ended }),
            )
        })
    }

    fn sign_in_failures(&self, username: &str, since: &str) -> Result<Vec<String>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT at FROM sign_in_failures WHERE username = $1 AND at >= $2 ORDER BY at, id",
                &[param_text(username), param_text(since)],
                &[Kind::Text],
            )?;
            Ok(rows.iter().map(|r| text(&r[0])).collect())
        })
    }

    fn sign_in_failed(&mut self, username: &str, at: &str) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO sign_in_failures (username, at) VALUES ($1, $2)",
                &[param_text(username), param_text(at)],
            )?;
            let who = Who {
                actor: username.to_string(),
                at: at.to_string(),
            };
            event(tx, &who, "sign_in.failed", username, "", json!({}))
        })
    }

    fn start_session(
        &mut self,
        who: &Who,
        user_id: i64,
        session: &NewSession,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            tx.execute(
                "DELETE FROM sign_in_failures WHERE username = $1",
                &[param_text(&who.actor)],
            )?;
            tx.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    param_text(&session.id_hash),
                    param(user_id),
                    param_text(&session.csrf),
                    param_text(&who.at),
                    param_text(&session.expires_at),
                ],
            )?;
            event(
                tx,
                who,
                "sign_in",
                &who.actor,
                "",
                json!({ "expires_at": session.expires_at }),
            )
        })
    }

    fn session(&self, id_hash: &str) -> Result<Option<StoredSession>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT user_id, csrf, created_at, expires_at, ended_at FROM sessions WHERE id_hash = $1",
                &[param_text(id_hash)],
                &[Kind::Int, Kind::Text, Kind::Text, Kind::Text, Kind::Text],
            )?;
            let Some(r) = rows.first() else {
                return Ok(None);
            };
            let Some(user) = users_where(tx, "WHERE id = $1", &[param(int(&r[0]))])?
                .into_iter()
                .next()
            else {
                return Ok(None);
            };
            Ok(Some(StoredSession {
                csrf: text(&r[1]),
                created_at: text(&r[2]),
                expires_at: text(&r[3]),
                ended_at: opt_text(&r[4]),
                user,
            }))
        })
    }

    fn end_session(&mut self, who: &Who, id_hash: &str) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let ended = tx.execute(
                "UPDATE sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL",
                &[param_text(&who.at), param_text(id_hash)],
            )?;
            if ended > 0 {
                event(tx, who, "sign_out", &who.actor, "", json!({}))?;
            }
            Ok(())
        })
    }

    fn account_events(&self, limit: usize) -> Result<Vec<AccountEvent>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut rows = tx.query(
                "SELECT at, actor, action, username, council, detail FROM account_events
                 ORDER BY id DESC LIMIT $1",
                &[param(limit)],
                &[Kind::Text; 6],
            )?;
            rows.reverse();
            Ok(rows
                .iter()
                .map(|r| AccountEvent {
                    at: text(&r[0]),
                    actor: text(&r[1]),
                    action: text(&r[2]),
                    username: text(&r[3]),
                    council: text(&r[4]),
                    detail: text(&r[5]),
                })
                .collect())
        })
    }

    fn record_account_event(
        &mut self,
        who: &Who,
        action: &str,
        username: &str,
        council: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            event(tx, who, action, username, council, detail.clone())
        })
    }

    fn council_policy(&self, council: &str, name: &str) -> Result<Option<String>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let rows = tx.query(
                "SELECT value FROM council_policies WHERE council = $1 AND name = $2
                 ORDER BY id DESC LIMIT 1",
                &[param_text(council), param_text(name)],
                &[Kind::Text],
            )?;
            Ok(rows.first().map(|r| text(&r[0])))
        })
    }

    fn set_council_policy(
        &mut self,
        who: &Who,
        council: &str,
        name: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let before = tx.query(
                "SELECT value FROM council_policies WHERE council = $1 AND name = $2
                 ORDER BY id DESC LIMIT 1",
                &[param_text(council), param_text(name)],
                &[Kind::Text],
            )?;
            let before = before.first().map(|r| text(&r[0]));
            tx.execute(
                "INSERT INTO council_policies (council, name, value, set_at, set_by)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    param_text(council),
                    param_text(name),
                    param_text(value),
                    param_text(&who.at),
                    param_text(&who.actor),
                ],
            )?;
            event(
                tx,
                who,
                "policy.set",
                name,
                council,
                json!({ "before": before, "after": value }),
            )
        })
    }

    fn create_token(&mut self, who: &Who, token: &NewToken) -> Result<i64, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO api_tokens (council, provider, name, secret_hash, created_at, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    param_text(&token.council),
                    param_text(&token.provider),
                    param_text(&token.name),
                    param_text(&token.secret_hash),
                    param_text(&who.at),
                    param_text(&who.actor),
                ],
            )?;
            let rows = tx.query(
                "SELECT id FROM api_tokens WHERE secret_hash = $1",
                &[param_text(&token.secret_hash)],
                &[Kind::Int],
            )?;
            let id = rows.first().map(|r| int(&r[0])).unwrap_or_default();
            event(
                tx,
                who,
                "token.create",
                &format!("token:{id}"),
                &token.council,
                json!({ "name": token.name, "provider": token.provider }),
            )?;
            Ok(id)
        })
    }

    fn tokens(
        &self,
        council: &str,
        provider: Option<&str>,
    ) -> Result<Vec<StoredToken>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| match provider {
            Some(p) => tokens_where(
                tx,
                "WHERE council = $1 AND provider = $2",
                &[param_text(council), param_text(p)],
            ),
            None => tokens_where(tx, "WHERE council = $1", &[param_text(council)]),
        })
    }

    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<StoredToken>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            Ok(
                tokens_where(tx, "WHERE secret_hash = $1", &[param_text(secret_hash)])?
                    .into_iter()
                    .next(),
            )
        })
    }

    fn revoke_token(&mut self, who: &Who, council: &str, id: i64) -> Result<bool, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let held = tokens_where(
                tx,
                "WHERE council = $1 AND id = $2",
                &[param_text(council), param(id)],
            )?;
            let Some(token) = held.into_iter().next() else {
                return Ok(false);
            };
            let revoked = tx.execute(
                "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2
                 WHERE id = $3 AND revoked_at IS NULL",
                &[param_text(&who.at), param_text(&who.actor), param(id)],
            )?;
            if revoked == 0 {
                return Ok(false);
            }
            event(
                tx,
                who,
                "token.revoke",
                &format!("token:{id}"),
                council,
                json!({ "name": token.name, "provider": token.provider }),
            )?;
            Ok(true)
        })
    }

    fn token_used(&mut self, id: i64, at: &str) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            tx.execute(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
                &[param_text(at), param(id)],
            )?;
            Ok(())
        })
    }
}

fn tokens_where(
    tx: &mut dyn Tx,
    condition: &str,
    params: &[Sql],
) -> Result<Vec<StoredToken>, StoreError> {
    let rows = tx.query(
        &format!(
            "SELECT id, council, provider, name, created_at, created_by, last_used_at, revoked_at,
                    revoked_by
             FROM api_tokens {condition} ORDER BY id DESC"
        ),
        params,
        &[
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
        ],
    )?;
    Ok(rows
        .iter()
        .map(|r| StoredToken {
            id: int(&r[0]),
            council: text(&r[1]),
            provider: text(&r[2]),
            name: text(&r[3]),
            created_at: text(&r[4]),
            created_by: text(&r[5]),
            last_used_at: opt_text(&r[6]),
            revoked_at: opt_text(&r[7]),
            revoked_by: opt_text(&r[8]),
        })
        .collect())
}
