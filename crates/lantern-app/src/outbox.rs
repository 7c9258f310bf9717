//! The outbox: the messages Lantern sends for cases (the acknowledgement of
//! a request made through the web form, `casework::web_form`), and how they
//! leave. With `[smtp]` in `lantern.toml`, [`send_due`] sends what is
//! queued through the SMTP server ([`SmtpMailer`], `lettre`'s blocking
//! transport), retrying with a growing wait ([`next_try`]) and giving up
//! after [`MAX_TRIES`]; `lantern serve` runs it in the background and
//! `lantern outbox send` once. Without `[smtp]`, nothing is sent: officers
//! see the outbox ([`messages`]) and record a message as sent by hand
//! ([`sent_by_hand`]) after copying it into their own mail client.
//!
//! Every change of a message's status is a case event (the store writes
//! it). A message's recipient and text are personal data: they are shown
//! to the council's officers only, erased with the requester's details,
//! and never logged (logs name the message's id and case only).

use std::path::PathBuf;
use std::time::Duration;

use lantern_store::Who;
pub use lantern_store::outbox::StoredMessage;
use serde::Deserialize;

pub use lantern_store::outbox::MessageStatus;

use crate::{Context, Result};

/// The most times a message is tried before it is left for an officer.
pub const MAX_TRIES: i64 = 6;

/// Who the audit says sent a message by SMTP.
pub const SENDER: &str = "the outbox sender (SMTP)";

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// TLS from the start (port 465).
    Tls,
    /// No TLS: only for a relay on the same machine or a test sink.
    None,
}

/// `[smtp]` in `lantern.toml`: the deployment's SMTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The server's host name.
    pub host: String,
    /// Its port (default: 587 for STARTTLS, 465 for TLS, 25 without).
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub tls: TlsMode,
    /// The user name to authenticate as, if the server asks for one.
    #[serde(default)]
    pub user: Option<String>,
    /// A file holding the password (relative to the configuration file);
    /// the password is never in `lantern.toml` itself.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The address messages are sent from (the council's FOI mailbox).
    pub from: String,
}

impl SmtpSettings {
    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        })
    }
}

/// One message to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// To whom.
    pub to: &'a str,
    /// Its subject.
    pub subject: &'a str,
    /// Its text.
    pub body: &'a str,
}

/// Something that sends e-mail: the SMTP server, or a test's stand-in.
pub trait Mailer {
    /// Send one message; why not, when it fails (for the outbox's last
    /// error: the server's reply or the connection's failure).
    fn send(&self, message: &Outgoing<'_>) -> std::result::Result<(), String>;
}

/// A sending failure as the outbox keeps it: a mail server's refusal often
/// quotes the address (in any case), so the address becomes "the
/// recipient" wherever it appears.
fn naming_no_one(why: &str, address: &str) -> String {
    if address.is_empty() {
        return why.to_string();
    }
    // ASCII lowercasing keeps every byte where it was, so positions found
    // in the lowercased text cut the original.
    let (text, needle) = (why.to_ascii_lowercase(), address.to_ascii_lowercase());
    let mut out = String::with_capacity(why.len());
    let mut from = 0;
    while let Some(at) = text[from..].find(&needle) {
        out.push_str(&why[from..from + at]);
        out.push_str("the recipient");
        from += at + needle.len();
    }
    out.push_str(&why[from..]);
    out
}

/// The SMTP server of `[smtp]`.
pub struct SmtpMailer {
    transport: lettre::SmtpTransport,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    /// A mailer for the settings, its password read from its file
    /// (`base`: the configuration file's folder).
    pub fn new(settings: &SmtpSettings, password: Option<String>) -> Result<SmtpMailer> {
        use lettre::transport::smtp::authentication::Credentials;
        let from: lettre::message::Mailbox = settings.from.parse().map_err(|e| {
            crate::Error::invalid(format!(
                "[smtp] from: '{}' is not an e-mail address ({e}); write one such as foi@council.gov.uk",
                settings.from
            ))
        })?;
        let bad_host = |e: lettre::transport::smtp::Error| {
            crate::Error::invalid(format!(
                "[smtp] host: cannot use '{}' ({e}); write the SMTP server's host name",
                settings.host
            ))
        };
        let builder = match settings.tls {
            TlsMode::Starttls => {
                lettre::SmtpTransport::starttls_relay(&settings.host).map_err(bad_host)?
            }
            TlsMode::Tls => lettre::SmtpTransport::relay(&settings.host).map_err(bad_host)?,
            TlsMode::None => lettre::SmtpTransport::builder_dangerous(&settings.host),
        };
        let mut builder = builder.port(settings.port()).timeout(Some(SMTP_TIMEOUT));
        match (&settings.user, password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password));
            }
            (Some(_), None) => crate::fail!(
                Invalid,
                "[smtp] user is set but password_file is not: name the file that holds the SMTP password"
            ),
            (None, _) => {}
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    /// A mailer for the context's `[smtp]`, or `None` when there is none.
    pub fn configured(ctx: &Context) -> Result<Option<SmtpMailer>> {
        let Some(settings) = &ctx.config.smtp else {
            return Ok(None);
        };
        let password = match ctx.config.smtp_password_file() {
            Some(path) => {
                let bytes = crate::files::read_bounded(&path, 4096).map_err(|e| {
                    crate::Error::invalid(format!(
                        "[smtp] password_file {}: {}",
                        path.display(),
                        e.message()
                    ))
                })?;
                Some(
                    String::from_utf8(bytes)
                        .map_err(|_| {
                            crate::Error::invalid(format!(
                                "[smtp] password_file {} is not UTF-8 text",
                                path.display()
                            ))
                        })?
                        .trim()
                        .to_string(),
                )
            }
            None => None,
        };
        SmtpMailer::new(settings, password).map(Some)
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, message: &Outgoing<'_>) -> std::result::Result<(), String> {
        use lettre::Transport as _;
        let to: lettre::message::Mailbox = message
            .to
            .parse()
            .map_err(|e| format!("the address cannot be used ({e})"))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(message.body.to_string())
            .map_err(|e| format!("the message cannot be made ({e})"))?;
        self.transport
            .send(&email)
            .map(|_| ())
            .map_err(|e| format!("the SMTP server did not take it: {e}"))
    }
}

/// When to try a message again after its `tries`-th failed try: one
/// minute, then twice as long each time; `None` after [`MAX_TRIES`].
pub fn next_try(now: jiff::Timestamp, tries: i64) -> Option<jiff::Timestamp> {
    if tries >= MAX_TRIES {
        return None;
    }
    let minutes = 1i64 << (tries.clamp(1, 20) - 1);
    now.checked_add(jiff::SignedDuration::from_mins(minutes))
        .ok()
}

/// What one run of the sender did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Messages sent.
    pub sent: usize,
    /// Messages whose try failed and that wait for another.
    pub retrying: usize,
    /// Messages given up on (left for an officer).
    pub failed: usize,
}

/// Send every queued message that is due, through `mailer` (at most
/// `limit`), each recorded as sent or failed as it goes.
pub fn send_due(ctx: &Context, mailer: &dyn Mailer, limit: usize) -> Result<SendReport> {
    let mut store = ctx.open_every_council()?;
    // Times are kept to the second (`crate::now`): a message queued this
    // second is due.
    let now = jiff::Timestamp::now()
        .round(
            jiff::TimestampRound::new()
                .smallest(jiff::Unit::Second)
                .mode(jiff::RoundMode::Ceil),
        )
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let due = store.due_messages(&now.to_string(), limit)?;
    let mut report = SendReport::default();
    for message in due {
        let (Some(to), Some(body)) = (&message.recipient, &message.body) else {
            continue;
        };
        let tried = mailer.send(&Outgoing {
            to,
            subject: &message.subject,
            body,
        });
        let who = Who {
            actor: SENDER.to_string(),
            at: crate::now(),
        };
        match tried {
            Ok(()) => {
                store.message_sent(&who, message.id, "smtp")?;
                tracing::info!(target: "lantern::outbox", message = message.id, case = %message.reference, "sent");
                report.sent += 1;
            }
            Err(why) => {
                let why = naming_no_one(&why, to);
                let tries = message.attempts + 1;
                let next = next_try(now, tries).map(|t| t.to_string());
                store.message_failed(&who, message.id, &why, next.as_deref())?;
                tracing::warn!(target: "lantern::outbox", message = message.id, case = %message.reference, tries, "not sent (the outbox page says why)");
                if next.is_some() {
                    report.retrying += 1;
                } else {
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}

/// The council's messages, newest first (every status).
pub fn messages(ctx: &Context) -> Result<Vec<StoredMessage>> {
    let store = ctx.open()?;
    Ok(store.messages(None)?)
}

/// Record the council's message `id` as sent by hand by the person acting
/// (after they copied it into their own mail client).
pub fn sent_by_hand(ctx: &Context, id: i64) -> Result<StoredMessage> {
    let mut store = ctx.open()?;
    let Some(message) = store.message(id)? else {
        crate::fail!(NotFound, "there is no message {id} in the outbox");
    };
    if message.status == MessageStatus::Sent {
        crate::fail!(
            Conflict,
            "message {id} was already recorded as sent ({}); nothing was changed",
            message.sent_at.as_deref().unwrap_or("earlier")
        );
    }
    if message.erased_at.is_some() {
        crate::fail!(
            Conflict,
            "message {id} was erased with the requester's details; nothing was changed"
        );
    }
    if !store.message_sent(&ctx.who(), id, "by_hand")? {
        crate::fail!(
            Conflict,
            "message {id} was sent or erased meanwhile; nothing was changed"
        );
    }
    tracing::info!(target: "lantern::outbox", message = id, case = %message.reference, "sent by hand");
    Ok(store.message(id)?.unwrap_or(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_kept_in_the_outbox_names_no_one() {
        assert_eq!(
            naming_no_one(
                "permanent error (550): 5.1.1 <Jo.Bloggs@Example.org>: Recipient address rejected",
                "jo.bloggs@example.org"
            ),
            "permanent error (550): 5.1.1 <the recipient>: Recipient address rejected"
        );
        assert_eq!(
            naming_no_one("a@b.org a@b.org", "a@b.org"),
            "the recipient the recipient"
        );
        assert_eq!(
            naming_no_one("connection refused", "a@b.org"),
            "connection refused"
        );
    }

    #[test]
    fn tries_wait_longer_each_time_and_stop() {
        let now: jiff::Timestamp = "2026-12-05T09:00:00Z".parse().unwrap();
        let waits: Vec<String> = (1..=MAX_TRIES)
            .map(|n| next_try(now, n).map_or("none".into(), |t| t.to_string()))
            .collect();
        assert_eq!(
            waits,
            [
                "2026-12-05T09:01:00Z",
                "2026-12-05T09:02:00Z",
                "2026-12-05T09:04:00Z",
                "2026-12-05T09:08:00Z",
                "2026-12-05T09:16:00Z",
                "none"
            ]
        );
    }
}
