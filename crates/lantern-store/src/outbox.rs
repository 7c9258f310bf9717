//! Outgoing e-mail and the public request form's throttle (migration 25).
//!
//! The outbox holds each message Lantern sends for a case (the
//! acknowledgement of a request made through the web form) until it is
//! sent: by the SMTP sender, or by an officer who copied it into their own
//! mail client when no SMTP server is configured. Its recipient and body
//! are personal data, erased with the case's requester details
//! ([`crate::Store::erase_requester`], in the same transaction). Every
//! change of a message's status is written with a case event saying so
//! (the message's id, never its recipient or text).
//!
//! The throttle counts the requests made through the web form per client
//! (a keyed digest of its address, never the address: the application
//! layer makes it) and overall, in the database, so that every server
//! process counts alike.

use crate::{StoreError, Who};

/// A message's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Waiting to be sent (perhaps after a failed try).
    Queued,
    /// Sent, by SMTP or by hand.
    Sent,
    /// Given up on after the last try; an officer sends it by hand.
    Failed,
}

impl MessageStatus {
    /// The code stored.
    pub fn code(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }

    /// The status a stored code names.
    pub fn parse(code: &str) -> Option<MessageStatus> {
        match code {
            "queued" => Some(MessageStatus::Queued),
            "sent" => Some(MessageStatus::Sent),
            "failed" => Some(MessageStatus::Failed),
            _ => None,
        }
    }
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The case it is for (in the council in use).
    pub reference: String,
    /// What it is (`acknowledgement`).
    pub kind: String,
    /// The address it goes to (personal data).
    pub recipient: String,
    /// Its subject line (names the case, never the requester).
    pub subject: String,
    /// Its text (personal data: the letter names the requester).
    pub body: String,
}

/// A message as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its id.
    pub id: i64,
    /// The case it is for.
    pub reference: String,
    /// What it is (`acknowledgement`).
    pub kind: String,
    /// The address it goes to; `None` once erased.
    pub recipient: Option<String>,
    /// Its subject line.
    pub subject: String,
    /// Its text; `None` once erased.
    pub body: Option<String>,
    /// Queued, sent or failed.
    pub status: MessageStatus,
    /// How many times sending was tried.
    pub attempts: i64,
    /// Why the last try failed (never the message's text).
    pub last_error: Option<String>,
    /// When to try again (RFC 3339), while queued.
    pub next_attempt_at: Option<String>,
    /// When it was queued, and by whom.
    pub created_at: String,
    /// Who queued it.
    pub created_by: String,
    /// When it was sent.
    pub sent_at: Option<String>,
    /// Who sent it (the sender's name, or the officer's).
    pub sent_by: Option<String>,
    /// How: `smtp` or `by_hand`.
    pub sent_how: Option<String>,
    /// When its recipient and body were erased.
    pub erased_at: Option<String>,
}

/// Requests counted by the throttle (or its limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// From one client.
    pub client: u64,
    /// From every client together.
    pub overall: u64,
}

/// Outgoing messages and the request form's throttle.
pub trait Outbox {
    /// Queue a message for a case of the council in use, with a case event
    /// `message_queued` (its id and kind). Returns its id.
    fn queue_message(&mut self, who: &Who, message: &NewMessage) -> Result<i64, StoreError>;

    /// The council in use's messages, newest first: every one, or those of
    /// one status.
    fn messages(&self, status: Option<MessageStatus>) -> Result<Vec<StoredMessage>, StoreError>;

    /// One message of the council in use.
    fn message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError>;

    /// Queued messages of every council whose next try is due at `now`
    /// (RFC 3339), oldest first, at most `limit`.
    fn due_messages(&self, now: &str, limit: usize) -> Result<Vec<StoredMessage>, StoreError>;

    /// Record a message as sent (`how`: `smtp` or `by_hand`), with a case
    /// event `message_sent`; false (nothing changed) when it was sent
    /// already or its text was erased. Any council's message: the sender
    /// works for every council, an officer's page checks the council
    /// first.
    fn message_sent(&mut self, who: &Who, id: i64, how: &str) -> Result<bool, StoreError>;

    /// Record a failed try: one more attempt, the error, and either the
    /// next try's time or (`None`) failed for good, with a case event
    /// `message_failed` when it is given up on.
    fn message_failed(
        &mut self,
        who: &Who,
        id: i64,
        error: &str,
        next_attempt_at: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Admit a request made through the web form by `client` at `at` if
    /// fewer than `limits` were admitted since `since` (the window's
    /// start), from that client and from every client: forget every one
    /// before `since`, and record this one only when it is admitted (a
    /// refused request does not count, so one client's flood does not
    /// close the form to everyone). One write transaction.
    fn admit_request(
        &mut self,
        client: &str,
        at: &str,
        since: &str,
        limits: Counted,
    ) -> Result<Admission, StoreError>;
}

/// The throttle's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The request is admitted (and was counted).
    pub admitted: bool,
    /// What was counted since the window began, before this request.
    pub before: Counted,
}
