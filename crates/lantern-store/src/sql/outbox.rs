//! Outgoing messages and the request form's throttle (migration 25): each
//! change of a message's status one transaction with its case event.

use lantern_core::casework::ActionDetail;

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::outbox::{Admission, Counted, MessageStatus, NewMessage, Outbox, StoredMessage};
use crate::rows::Sql;
use crate::{StoreError, Who};

use super::casework::{case_event, case_status};
use super::{SqlStore, damaged, int, opt_text, param, param_text, text};

const MESSAGE_COLUMNS: &str = "SELECT id, reference, kind, recipient, subject, body, status,
    attempts, last_error, next_attempt_at, created_at, created_by, sent_at, sent_by, sent_how,
    erased_at, council FROM outbox";

const MESSAGE_KINDS: [Kind; 17] = [
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
];

/// Messages matching `filter` (a `WHERE …` clause and its order), each
/// with the council it belongs to.
fn messages_where(
    tx: &mut dyn Tx,
    filter: &str,
    params: &[Sql],
) -> Result<Vec<(StoredMessage, String)>, StoreError> {
    let rows = tx.query(
        &format!("{MESSAGE_COLUMNS} {filter}"),
        params,
        &MESSAGE_KINDS,
    )?;
    rows.iter()
        .map(|r| {
            let code = text(&r[6]);
            let status = MessageStatus::parse(&code)
                .ok_or_else(|| damaged(format!("unknown message status '{code}'")))?;
            Ok((
                StoredMessage {
                    id: int(&r[0]),
                    reference: text(&r[1]),
                    kind: text(&r[2]),
                    recipient: opt_text(&r[3]),
                    subject: text(&r[4]),
                    body: opt_text(&r[5]),
                    status,
                    attempts: int(&r[7]),
                    last_error: opt_text(&r[8]),
                    next_attempt_at: opt_text(&r[9]),
                    created_at: text(&r[10]),
                    created_by: text(&r[11]),
                    sent_at: opt_text(&r[12]),
                    sent_by: opt_text(&r[13]),
                    sent_how: opt_text(&r[14]),
                    erased_at: opt_text(&r[15]),
                },
                text(&r[16]),
            ))
        })
        .collect()
}

/// Write the case event saying what happened to message `id` (its id and
/// kind only), the case's status unchanged.
fn message_event(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    who: &Who,
    action: &str,
    note: &str,
) -> Result<(), StoreError> {
    let now = case_status(tx, council, reference)?;
    case_event(
        tx,
        council,
        reference,
        who,
        action,
        Some(now),
        now,
        &ActionDetail::note(Some(note)),
    )
}

/// Erase the recipient and body of case `reference`'s messages (inside the
/// requester's erasure's transaction).
pub(super) fn erase_messages(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    at: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE outbox SET recipient = NULL, body = NULL, last_error = NULL, erased_at = $3
         WHERE council = $1 AND reference = $2 AND erased_at IS NULL",
        &[param_text(council), param_text(reference), param_text(at)],
    )?;
    Ok(())
}

impl<E: Engine> Outbox for SqlStore<E> {
    fn queue_message(&mut self, who: &Who, message: &NewMessage) -> Result<i64, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let council = self.scope(tx)?;
            // The case must be there (and the event names its status).
            case_status(tx, &council, &message.reference)?;
            tx.execute(
                "INSERT INTO outbox (council, reference, kind, recipient, subject, body, status,
                     attempts, next_attempt_at, created_at, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7, $8)",
                &[
                    param_text(&council),
                    param_text(&message.reference),
                    param_text(&message.kind),
                    param_text(&message.recipient),
                    param_text(&message.subject),
                    param_text(&message.body),
                    param_text(&who.at),
                    param_text(&who.actor),
                ],
            )?;
            let rows = tx.query(
                "SELECT max(id) FROM outbox WHERE council = $1 AND reference = $2",
                &[param_text(&council), param_text(&message.reference)],
                &[Kind::Int],
            )?;
            let id = rows.first().map(|r| int(&r[0])).unwrap_or_default();
            message_event(
                tx,
                &council,
                &message.reference,
                who,
                "message_queued",
                &format!("{} queued as message {id}", message.kind),
            )?;
            Ok(id)
        })
    }

    fn messages(&self, status: Option<MessageStatus>) -> Result<Vec<StoredMessage>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            let found = match status {
                Some(s) => messages_where(
                    tx,
                    "WHERE council = $1 AND status = $2 ORDER BY id DESC",
                    &[param_text(&council), param_text(s.code())],
                )?,
                None => messages_where(
                    tx,
                    "WHERE council = $1 ORDER BY id DESC",
                    &[param_text(&council)],
                )?,
            };
            Ok(found.into_iter().map(|(m, _)| m).collect())
        })
    }

    fn message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            let council = self.scope(tx)?;
            Ok(messages_where(
                tx,
                "WHERE council = $1 AND id = $2",
                &[param_text(&council), param(id)],
            )?
            .into_iter()
            .next()
            .map(|(m, _)| m))
        })
    }

    fn due_messages(&self, now: &str, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        self.engine.transaction(Mode::Read, |tx| {
            Ok(messages_where(
                tx,
                "WHERE status = 'queued' AND erased_at IS NULL
                   AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
                 ORDER BY id LIMIT $2",
                &[
                    param_text(now),
                    param(i64::try_from(limit).unwrap_or(i64::MAX)),
                ],
            )?
            .into_iter()
            .map(|(m, _)| m)
            .collect())
        })
    }

    fn message_sent(&mut self, who: &Who, id: i64, how: &str) -> Result<bool, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let Some((message, council)) = messages_where(tx, "WHERE id = $1", &[param(id)])?
                .into_iter()
                .next()
            else {
                return Ok(false);
            };
            let changed = tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = $2, sent_by = $3, sent_how = $4,
                     next_attempt_at = NULL
                 WHERE id = $1 AND status <> 'sent' AND erased_at IS NULL",
                &[
                    param(id),
                    param_text(&who.at),
                    param_text(&who.actor),
                    param_text(how),
                ],
            )?;
            if changed == 0 {
                return Ok(false);
            }
            let how = if how == "by_hand" { "by hand" } else { how };
            message_event(
                tx,
                &council,
                &message.reference,
                who,
                "message_sent",
                &format!("{} (message {id}) sent {how}", message.kind),
            )?;
            Ok(true)
        })
    }

    fn message_failed(
        &mut self,
        who: &Who,
        id: i64,
        error: &str,
        next_attempt_at: Option<&str>,
    ) -> Result<(), StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            let Some((message, council)) = messages_where(tx, "WHERE id = $1", &[param(id)])?
                .into_iter()
                .next()
            else {
                return Ok(());
            };
            let status = if next_attempt_at.is_some() {
                "queued"
            } else {
                "failed"
            };
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, status = $3,
                     next_attempt_at = $4
                 WHERE id = $1 AND status = 'queued'",
                &[
                    param(id),
                    param_text(error),
                    param_text(status),
                    Sql::Text(next_attempt_at.map(str::to_string)),
                ],
            )?;
            if next_attempt_at.is_none() {
                message_event(
                    tx,
                    &council,
                    &message.reference,
                    who,
                    "message_failed",
                    &format!(
                        "{} (message {id}) not sent after {} tries; send it by hand",
                        message.kind,
                        message.attempts + 1
                    ),
                )?;
            }
            Ok(())
        })
    }

    fn admit_request(
        &mut self,
        client: &str,
        at: &str,
        since: &str,
        limits: Counted,
    ) -> Result<Admission, StoreError> {
        self.engine.transaction(Mode::Write, |tx| {
            tx.execute(
                "DELETE FROM request_throttle WHERE at < $1",
                &[param_text(since)],
            )?;
            let rows = tx.query(
                "SELECT count(*), coalesce(sum(CASE WHEN client = $1 THEN 1 ELSE 0 END), 0)
                 FROM request_throttle",
                &[param_text(client)],
                &[Kind::Int, Kind::Int],
            )?;
            let count = |v: &Sql| u64::try_from(int(v)).unwrap_or(0);
            let before = rows.first().map_or(
                Counted {
                    client: 0,
                    overall: 0,
                },
                |r| Counted {
                    overall: count(&r[0]),
                    client: count(&r[1]),
                },
            );
            let admitted = before.client < limits.client && before.overall < limits.overall;
            if admitted {
                tx.execute(
                    "INSERT INTO request_throttle (client, at) VALUES ($1, $2)",
                    &[param_text(client), param_text(at)],
                )?;
            }
            Ok(Admission { admitted, before })
        })
    }
}
