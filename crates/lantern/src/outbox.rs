//! `lantern outbox …`: the messages Lantern sends requesters (the
//! acknowledgement of a request made through the web form). `send` sends
//! every queued message that is due through `[smtp]` once (what `lantern
//! serve` does in the background), `list` shows them (for the council's
//! officers: recipients are personal data, printed only here), `sent ID`
//! records one as sent by hand. The use cases are
//! `lantern_app::outbox`'s.

use anyhow::{Result, bail};
use clap::Subcommand;
use lantern_app::outbox;

use crate::app::Ctx;
use crate::out;

/// What `lantern outbox` can do.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Send the queued messages that are due through `[smtp]` (once).
    Send {
        /// Send at most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// The council's messages, newest first.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a message as sent by hand (after sending it yourself).
    Sent {
        /// The message's id (`lantern outbox list`).
        id: i64,
    },
}

/// Run `lantern outbox …`.
pub fn run(ctx: &Ctx, command: OutboxCommand) -> Result<()> {
    match command {
        OutboxCommand::Send { limit } => {
            let Some(mailer) = outbox::SmtpMailer::configured(ctx)? else {
                bail!(
                    "no [smtp] in {}: nothing can be sent; add [smtp] (docs/configuration.md) or send the messages by hand from the outbox page",
                    ctx.config.file_name()
                );
            };
            let mut sender = ctx.clone();
            outbox::SENDER.clone_into(&mut sender.actor);
            let report = outbox::send_due(&sender, &mailer, limit)?;
            out!(
                "sent {}, to try again later {}, given up on {} (the outbox page says why)",
                report.sent,
                report.retrying,
                report.failed
            );
        }
        OutboxCommand::List { json } => {
            let held = outbox::messages(ctx)?;
            if json {
                let rows: Vec<serde_json::Value> = held
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id,
                            "reference": m.reference,
                            "kind": m.kind,
                            "recipient": m.recipient,
                            "subject": m.subject,
                            "status": m.status.code(),
                            "attempts": m.attempts,
                            "last_error": m.last_error,
                            "created_at": m.created_at,
                            "sent_at": m.sent_at,
                            "sent_how": m.sent_how,
                            "erased": m.erased_at.is_some(),
                        })
                    })
                    .collect();
                out!("{:#}", serde_json::Value::Array(rows));
            } else {
                if held.is_empty() {
                    out!("the outbox is empty");
                }
                for m in &held {
                    out!(
                        "{}\t{}\t{}\t{}\t{}",
                        m.id,
                        m.reference,
                        m.kind,
                        m.status.code(),
                        m.recipient.as_deref().unwrap_or("(erased)")
                    );
                }
            }
        }
        OutboxCommand::Sent { id } => {
            let m = outbox::sent_by_hand(ctx, id)?;
            out!(
                "message {} of {} recorded as sent by hand",
                m.id,
                m.reference
            );
        }
    }
    Ok(())
}
