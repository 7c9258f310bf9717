//! `lantern token …`: providers' API tokens from the command line (create,
//! list, revoke, and allowing a provider user to manage their own). The
//! command line acts for the council's administrators: every provider's
//! tokens. The use cases are `lantern_app::tokens`'; a new token's secret
//! is printed once, on standard output, and never again.

use anyhow::Result;
use clap::Subcommand;
use lantern_app::tokens::{self, Scope, TokenView};

use crate::app::Ctx;
use crate::out;

/// What `lantern token` can do.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a provider; its secret is printed once.
    Create {
        /// The provider (agency code) it sends files for.
        #[arg(long)]
        provider: String,
        /// What it is for (such as "nightly upload").
        #[arg(long)]
        name: String,
        /// Print the token as JSON (`id`, `secret`, …).
        #[arg(long)]
        json: bool,
    },
    /// The council's tokens, newest first (never their secrets).
    List {
        /// Only this provider's.
        #[arg(long)]
        provider: Option<String>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it never works again.
    Revoke {
        /// The token's id (`lantern token list`).
        id: i64,
    },
    /// Let a provider user create and revoke their own provider's tokens
    /// on the web (`--no` to stop).
    Allow {
        /// The provider user's name.
        username: String,
        /// Take the permission away.
        #[arg(long)]
        no: bool,
    },
}

/// Run `lantern token …`.
pub fn run(ctx: &Ctx, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            provider,
            name,
            json,
        } => {
            let made = tokens::create(ctx, &Scope::Council, Some(&provider), &name)?;
            if json {
                let mut value = serde_json::to_value(&made.token)?;
                value["secret"] = serde_json::Value::String(made.secret.clone());
                out!("{value:#}");
            } else {
                out!(
                    "created token {} \"{}\" for provider {}; it is shown this once:\n{}",
                    made.token.id,
                    made.token.name,
                    made.token.provider,
                    made.secret
                );
            }
        }
        TokenCommand::List { provider, json } => {
            let scope = match provider {
                Some(p) => Scope::Provider(p),
                None => Scope::Council,
            };
            let held = tokens::list(ctx, &scope)?;
            if json {
                out!("{:#}", serde_json::to_value(&held)?);
            } else {
                if held.is_empty() {
                    out!("no API tokens yet; create one with `lantern token create`");
                }
                for t in &held {
                    out!("{}", line(t));
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let t = tokens::revoke(ctx, &Scope::Council, id)?;
            out!(
                "revoked token {} \"{}\" of provider {}",
                t.id,
                t.name,
                t.provider
            );
        }
        TokenCommand::Allow { username, no } => {
            tokens::allow_managing(ctx, &username, !no)?;
            if no {
                out!("{username} may no longer manage their provider's API tokens");
            } else {
                out!("{username} may now create and revoke their provider's API tokens");
            }
        }
    }
    Ok(())
}

fn line(t: &TokenView) -> String {
    format!(
        "{}\t{}\t{}\tcreated {} by {}\tlast used {}\t{}",
        t.id,
        t.provider,
        t.name,
        t.created_at,
        t.created_by,
        t.last_used_at.as_deref().unwrap_or("never"),
        match (&t.revoked_at, &t.revoked_by) {
            (Some(at), Some(by)) => format!("revoked {at} by {by}"),
            (Some(at), None) => format!("revoked {at}"),
            _ => "live".to_string(),
        }
    )
}
