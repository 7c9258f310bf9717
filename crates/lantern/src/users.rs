//! `lantern user …`: the administrator's bootstrap of the web
//! application's accounts (add, list, disable, enable, reset-password). The
//! use cases are `lantern_app::accounts`'; passwords are read from standard
//! input (one line), never from the command line, where other users of
//! the machine could see them.

use anyhow::{Result, bail};
use clap::Subcommand;
use lantern_app::accounts::{self, Grant, NewAccount};

use crate::app::Ctx;
use crate::out;

/// What `lantern user` can do.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user with roles in the council (the password is read from
    /// standard input: one line).
    Add {
        /// The name they sign in with (lowercase letters, digits, . _ -).
        username: String,
        /// Their full name, as pages show it.
        #[arg(long)]
        name: String,
        /// A role: foi_officer, approver, analyst, provider:AGENCY or admin;
        /// repeat for several.
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
    },
    /// The council's users and their roles.
    List,
    /// Disable a user: they cannot sign in, and their sessions end.
    Disable {
        /// The user's name.
        username: String,
    },
    /// Let a disabled user sign in again.
    Enable {
        /// The user's name.
        username: String,
    },
    /// Give a user a new password (read from standard input: one line);
    /// their sessions end.
    ResetPassword {
        /// The user's name.
        username: String,
    },
}

/// One line of standard input, without its line ending: a password.
fn password_from_stdin() -> Result<String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(accounts::MAX_PASSWORD as u64 + 2)
        .read_to_end(&mut bytes)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("the password on standard input is not UTF-8 text"))?;
    let line = text.lines().next().unwrap_or_default().to_string();
    if line.is_empty() {
        bail!(
            "write the password on standard input (one line), e.g. `lantern user add … < password.txt`"
        );
    }
    Ok(line)
}

/// Run `lantern user …`.
pub fn run(ctx: &Ctx, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            username,
            name,
            roles,
        } => {
            let grants = roles
                .iter()
                .map(|r| Grant::parse(r))
                .collect::<lantern_app::Result<Vec<_>>>()?;
            let password = password_from_stdin()?;
            let user = accounts::create_user(
                ctx,
                &NewAccount {
                    username,
                    display_name: name,
                    password,
                    grants,
                },
            )?;
            out!(
                "added user {} ({})",
                user.username,
                roles_text(&user.grants)
            );
        }
        UserCommand::List => {
            let users = accounts::list_users(ctx)?;
            if users.is_empty() {
                out!("no users yet; add one with `lantern user add`");
            }
            for u in users {
                out!(
                    "{}\t{}\t{}{}",
                    u.username,
                    u.display_name,
                    roles_text(&u.grants),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        UserCommand::Disable { username } => {
            accounts::set_disabled(ctx, &username, true)?;
            out!("disabled {username}; their sessions have ended");
        }
        UserCommand::Enable { username } => {
            accounts::set_disabled(ctx, &username, false)?;
            out!("enabled {username}");
        }
        UserCommand::ResetPassword { username } => {
            let password = password_from_stdin()?;
            accounts::reset_password(ctx, &username, &password)?;
            out!("new password set for {username}; their sessions have ended");
        }
    }
    Ok(())
}

fn roles_text(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(|g| match &g.provider {
            Some(p) => format!("{}:{p}", g.role.code()),
            None => g.role.code().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
