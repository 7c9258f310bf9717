//! Cases, scoped to the handle's council: opening one, its status moved
//! on by actions checked against what the caller saw, its history of
//! events, corrections, the draft letter and its data version, sending
//! (which writes the disclosure log entries), and erasing the requester.

use jiff::civil::Date;
use lantern_core::casework::{self, Action, ActionDetail, Case, CaseEvent, LogEntry, Status};

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{Sql, SqlRef};
use crate::{CaseText, StoreError, Who};

use super::{
    SqlStore, damaged, date, int, lent_opt_text, lent_str, one_int, opt_date, opt_int, opt_text,
    param, param_text, take_opt_text, take_text, text,
};

const CASE_COLUMNS: &str = "SELECT reference, received, status, requester_name, requester_contact,
    retain_until, original, structured, opened_at, opened_by FROM cases WHERE council = $1";

fn status(code: &str) -> Result<Status, StoreError> {
    Status::parse(code).ok_or_else(|| damaged(format!("unknown case status '{code}'")))
}

fn case_from(r: &[Sql]) -> Result<Case, StoreError> {
    Ok(Case {
        reference: text(&r[0]),
        received: date(&text(&r[1]))?,
        status: status(&text(&r[2]))?,
        requester_name: opt_text(&r[3]),
        requester_contact: opt_text(&r[4]),
        retain_until: opt_date(opt_text(&r[5]))?,
        original: text(&r[6]),
        structured: opt_text(&r[7]),
        opened_at: text(&r[8]),
        opened_by: text(&r[9]),
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn case_event(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    who: &Who,
    action: &str,
    from: Option<Status>,
    to: Status,
    detail: &ActionDetail,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO case_events (reference, at, actor, action, from_status, to_status, note,
            on_day, extended_to, calendar, council, fee_pence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            param_text(reference),
            param_text(&who.at),
            param_text(&who.actor),
            param_text(action),
            Sql::Text(from.map(|s| s.code().to_string())),
            param_text(to.code()),
            Sql::Text(detail.note.clone()),
            Sql::Text(detail.on.map(|d| d.to_string())),
            Sql::Text(detail.extended_to.map(|d| d.to_string())),
            Sql::Text(detail.calendar.clone()),
            param_text(council),
            Sql::Int(detail.fee_pence),
        ],
    )?;
    Ok(())
}

/// Take an action on a case inside a write transaction (see [`crate::Store::act`]).
pub(super) fn act_in(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    seen: Status,
    action: Action,
    who: &Who,
    detail: &ActionDetail,
) -> Result<Status, StoreError> {
    let now = status_as_seen(tx, council, reference, seen)?;
    let to = casework::transition(now, action).map_err(|error| StoreError::Refused {
        reference: reference.to_string(),
        error,
    })?;
    tx.execute(
        "UPDATE cases SET status = $2 WHERE reference = $1 AND council = $3",
        &[
            param_text(reference),
            param_text(to.code()),
            param_text(council),
        ],
    )?;
    case_event(
        tx,
        council,
        reference,
        who,
        action.code(),
        Some(now),
        to,
        detail,
    )?;
    Ok(to)
}

/// A case's status when what it asks may still be corrected (before a
/// draft); see [`status_as_seen`] for a case moved on meanwhile.
pub(super) fn correctable(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    seen: Status,
) -> Result<Status, StoreError> {
    let now = status_as_seen(tx, council, reference, seen)?;
    if !matches!(now, Status::Received | Status::InProgress) {
        return Err(StoreError::Refused {
            reference: reference.to_string(),
            error: casework::correction_refused(now),
        });
    }
    Ok(now)
}

/// A case's status now.
pub(super) fn case_status(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
) -> Result<Status, StoreError> {
    let rows = tx.query(
        "SELECT status FROM cases WHERE reference = $1 AND council = $2",
        &[param_text(reference), param_text(council)],
        &[Kind::Text],
    )?;
    match rows.first() {
        Some(r) => status(&text(&r[0])),
        None => Err(StoreError::NoSuchCase(reference.to_string())),
    }
}

/// A case's status, provided it is still the one the caller saw; otherwise a
/// conflict naming who moved it on and when.
pub(super) fn status_as_seen(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    seen: Status,
) -> Result<Status, StoreError> {
    let rows = tx.query(
        "SELECT status FROM cases WHERE reference = $1 AND council = $2",
        &[param_text(reference), param_text(council)],
        &[Kind::Text],
    )?;
    let now = match rows.first() {
        Some(r) => status(&text(&r[0]))?,
        None => return Err(StoreError::NoSuchCase(reference.to_string())),
    };
    if now != seen {
        let last = tx.query(
            "SELECT actor, at FROM case_events WHERE reference = $1 AND council = $2
             ORDER BY id DESC LIMIT 1",
            &[param_text(reference), param_text(council)],
            &[Kind::Text, Kind::Text],
        )?;
        let (by, at) = last
            .first()
            .map(|r| (text(&r[0]), text(&r[1])))
            .unwrap_or_default();
        return Err(StoreError::Conflict {
            reference: reference.to_string(),
            now,
            by,
            at,
        });
    }
    Ok(now)
}

pub(super) fn open_case<E: Engine>(
    store: &mut SqlStore<E>,
    case: &Case,
    detail: &ActionDetail,
    attachments: &[crate::NewAttachment],
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let exists = one_int(
            tx,
            "SELECT count(*) FROM cases WHERE reference = $1 AND council = $2",
            &[param_text(&case.reference), param_text(&council)],
        )?;
        if exists > 0 {
            return Err(StoreError::CaseExists(case.reference.clone()));
        }
        tx.execute(
            "INSERT INTO cases (reference, received, status, requester_name, requester_contact,
                retain_until, original, structured, opened_at, opened_by, council, subject)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                param_text(&case.reference),
                param_text(&case.received.to_string()),
                param_text(case.status.code()),
                Sql::Text(case.requester_name.clone()),
                Sql::Text(case.requester_contact.clone()),
                Sql::Text(case.retain_until.map(|d| d.to_string())),
                param_text(&case.original),
                Sql::Text(case.structured.clone()),
                param_text(&case.opened_at),
                param_text(&case.opened_by),
                param_text(&council),
                param_text(&lantern_core::casework::subject_of(&case.original)),
            ],
        )?;
        for (i, a) in attachments.iter().enumerate() {
            use sha2::Digest as _;
            let digest: String = sha2::Sha256::digest(&a.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            tx.execute(
                "INSERT INTO case_attachments (council, reference, position, name, content_type,
                    size, sha256, body, kept_at, kept_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    param_text(&council),
                    param_text(&case.reference),
                    super::count(i as u64 + 1, "an attachment's position")?,
                    Sql::Text(a.name.clone()),
                    param_text(&a.content_type),
                    super::count(a.bytes.len() as u64, "an attachment's size")?,
                    param_text(&digest),
                    Sql::Blob(Some(a.bytes.clone())),
                    param_text(&case.opened_at),
                    param_text(&case.opened_by),
                ],
            )?;
        }
        case_event(
            tx,
            &council,
            &case.reference,
            &Who {
                actor: case.opened_by.clone(),
                at: case.opened_at.clone(),
            },
            "open",
            None,
            case.status,
            detail,
        )
    })
}

/// The files kept with a case, in order, without their bytes.
pub(super) fn attachments<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
) -> Result<Vec<crate::StoredAttachment>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT position, name, content_type, size, sha256, kept_at, kept_by, erased_at
             FROM case_attachments WHERE council = $1 AND reference = $2 ORDER BY position",
            &[param_text(&council), param_text(reference)],
            &[
                Kind::Int,
                Kind::Text,
                Kind::Text,
                Kind::Int,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
            ],
        )?;
        rows.iter()
            .map(|r| {
                Ok(crate::StoredAttachment {
                    position: super::int(&r[0]),
                    name: opt_text(&r[1]),
                    content_type: text(&r[2]),
                    size: super::stored_count(&r[3], "an attachment's size")?,
                    sha256: text(&r[4]),
                    kept_at: text(&r[5]),
                    kept_by: text(&r[6]),
                    erased_at: opt_text(&r[7]),
                })
            })
            .collect()
    })
}

/// The bytes of one file kept with a case, unless erased.
pub(super) fn attachment_bytes<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
    position: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    kept_bytes(store, "case_attachments", reference, position)
}

/// The bytes of the file at `position` of case `reference` in `table` (a
/// table of files kept with cases: `case_attachments`, `final_letters`),
/// unless erased.
fn kept_bytes<E: Engine>(
    store: &SqlStore<E>,
    table: &'static str,
    reference: &str,
    position: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut rows = tx.query(
            &format!(
                "SELECT body FROM {table}
                 WHERE council = $1 AND reference = $2 AND position = $3 AND body IS NOT NULL"
            ),
            &[param_text(&council), param_text(reference), param(position)],
            &[Kind::Blob],
        )?;
        Ok(rows.first_mut().map(|r| super::take_blob(&mut r[0])))
    })
}

pub(super) fn case<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
) -> Result<Option<Case>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!("{CASE_COLUMNS} AND reference = $2"),
            &[param_text(&council), param_text(reference)],
            &[Kind::Text; 10],
        )?;
        rows.first().map(|r| case_from(r)).transpose()
    })
}

pub(super) fn cases<E: Engine>(store: &SqlStore<E>) -> Result<Vec<Case>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!("{CASE_COLUMNS} ORDER BY received, reference"),
            &[param_text(&council)],
            &[Kind::Text; 10],
        )?;
        rows.iter().map(|r| case_from(r)).collect()
    })
}

/// The council's cases received within `[from, to]` (dates are stored as
/// `YYYY-MM-DD` text, so they compare as dates).
pub(super) fn cases_received_between<E: Engine>(
    store: &SqlStore<E>,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<Case>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut sql = CASE_COLUMNS.to_string();
        let mut params = vec![param_text(&council)];
        for (end, op) in [(from, ">="), (to, "<=")] {
            if let Some(day) = end {
                params.push(param_text(&day.to_string()));
                sql.push_str(&format!(" AND received {op} ${}", params.len()));
            }
        }
        sql.push_str(" ORDER BY received, reference");
        let rows = tx.query(&sql, &params, &[Kind::Text; 10])?;
        rows.iter().map(|r| case_from(r)).collect()
    })
}

/// [`cases_received_between`] with only the columns relating requests
/// reads.
pub(super) fn relatable_cases_between<E: Engine>(
    store: &SqlStore<E>,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<crate::RelatableCase>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let mut sql = "SELECT reference, received, status, requester_name, requester_contact, \
            structured FROM cases WHERE council = $1"
            .to_string();
        let mut params = vec![param_text(&council)];
        for (end, op) in [(from, ">="), (to, "<=")] {
            if let Some(day) = end {
                params.push(param_text(&day.to_string()));
                sql.push_str(&format!(" AND received {op} ${}", params.len()));
            }
        }
        // Sorted here rather than in SQL: the sort would copy every row's
        // structured text through SQLite's sorter. Each row is read where
        // it lies, its values copied once.
        let mut cases = Vec::new();
        tx.query_each(&sql, &params, &[Kind::Text; 6], &mut |r| {
            cases.push(crate::RelatableCase {
                reference: lent_str(r[0]).to_string(),
                received: date(lent_str(r[1]))?,
                status: status(lent_str(r[2]))?,
                requester_name: lent_opt_text(r[3]),
                requester_contact: lent_opt_text(r[4]),
                structured: lent_opt_text(r[5]),
            });
            Ok(())
        })?;
        cases.sort_by(|a, b| (a.received, &a.reference).cmp(&(b.received, &b.reference)));
        Ok(cases)
    })
}

pub(super) fn case_history<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
) -> Result<Vec<CaseEvent>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!("{EVENT_COLUMNS} WHERE reference = $1 AND council = $2 ORDER BY id"),
            &[param_text(reference), param_text(&council)],
            &EVENT_KINDS,
        )?;
        rows.into_iter().map(|mut r| event_from(&mut r)).collect()
    })
}

/// The columns of a case event, its case's reference first.
const EVENT_COLUMNS: &str = "SELECT reference, at, actor, action, from_status, to_status, note,
    on_day, extended_to, calendar, fee_pence FROM case_events";

/// The kinds of [`EVENT_COLUMNS`].
const EVENT_KINDS: [Kind; 11] = {
    let mut kinds = [Kind::Text; 11];
    kinds[10] = Kind::Int;
    kinds
};

/// An event from its row ([`EVENT_COLUMNS`]), its values taken out of it.
fn event_from(r: &mut [Sql]) -> Result<CaseEvent, StoreError> {
    Ok(CaseEvent {
        at: take_text(&mut r[1]),
        actor: take_text(&mut r[2]),
        action: take_text(&mut r[3]),
        from: opt_text(&r[4]).and_then(|s| Status::parse(&s)),
        to: status(&text(&r[5]))?,
        note: take_opt_text(&mut r[6]),
        on: opt_date(opt_text(&r[7]))?,
        extended_to: opt_date(opt_text(&r[8]))?,
        calendar: take_opt_text(&mut r[9]),
        fee_pence: opt_int(&r[10]),
    })
}

/// The open statuses' codes as an SQL list (`'received', …`): the
/// program's own constants, not input.
fn open_statuses() -> String {
    casework::STATUSES
        .iter()
        .filter(|s| s.is_open())
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The council's open cases (see [`Status::is_open`]), oldest first, each
/// with its history oldest first: two queries in one read transaction,
/// instead of every case and then one history read per case.
pub(super) fn open_cases_with_history<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<crate::OpenCase>, StoreError> {
    let open = open_statuses();
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let cases = tx.query(
            &format!(
                "SELECT reference, received, status, requester_name, requester_contact,
                    retain_until, original, structured, opened_at, opened_by, subject
                 FROM cases WHERE council = $1 AND status IN ({open})
                 ORDER BY received, reference"
            ),
            &[param_text(&council)],
            &[Kind::Text; 11],
        )?;
        let events = tx.query(
            &format!(
                "{EVENT_COLUMNS} WHERE council = $1 AND reference IN
                 (SELECT reference FROM cases WHERE council = $1 AND status IN ({open}))
                 ORDER BY reference, id"
            ),
            &[param_text(&council)],
            &EVENT_KINDS,
        )?;
        let mut histories: std::collections::HashMap<String, Vec<CaseEvent>> =
            std::collections::HashMap::new();
        for mut r in events {
            histories
                .entry(take_text(&mut r[0]))
                .or_default()
                .push(event_from(&mut r)?);
        }
        cases
            .iter()
            .map(|r| {
                let case = case_from(r)?;
                let history = histories.remove(&case.reference).unwrap_or_default();
                Ok(crate::OpenCase {
                    case,
                    subject: opt_text(&r[10]),
                    history,
                })
            })
            .collect()
    })
}

/// The open cases as the inbox reads them: see `Store::open_cases_in_brief`.
pub(super) fn open_cases_in_brief<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<crate::BriefCase>, StoreError> {
    let open = open_statuses();
    let clock = casework::CLOCK_ACTIONS
        .iter()
        .map(|a| format!("'{}'", a.code()))
        .collect::<Vec<_>>()
        .join(", ");
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        // Each row read where it lies, its values copied once.
        let mut brief = Vec::new();
        tx.query_each(
            &format!(
                "SELECT reference, received, status,
                    CAST(CASE WHEN structured IS NULL THEN 0 ELSE 1 END AS BIGINT),
                    subject, CASE WHEN subject IS NULL THEN original END
                 FROM cases WHERE council = $1 AND status IN ({open})"
            ),
            &[param_text(&council)],
            &[
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Int,
                Kind::Text,
                Kind::Text,
            ],
            &mut |r| {
                brief.push(crate::BriefCase {
                    received: date(lent_str(r[1]))?,
                    status: status(lent_str(r[2]))?,
                    structured: !matches!(r[3], SqlRef::Int(Some(0))),
                    subject: lent_opt_text(r[4]),
                    original: lent_opt_text(r[5]),
                    clock: Vec::new(),
                    reference: lent_str(r[0]).to_string(),
                });
                Ok(())
            },
        )?;
        // The council's clock events in the history's order, through its
        // index on (council, reference, id), and those of the open cases
        // kept: joining each event to its case to ask whether it is open
        // cost a look-up in the cases' index per event.
        let events = tx.query(
            &format!(
                "{EVENT_COLUMNS} WHERE council = $1 AND action IN ({clock})
                 ORDER BY reference, id"
            ),
            &[param_text(&council)],
            &EVENT_KINDS,
        )?;
        let mut clocks: std::collections::HashMap<String, Vec<CaseEvent>> = brief
            .iter()
            .map(|case| (case.reference.clone(), Vec::new()))
            .collect();
        for mut r in events {
            if let Some(clock) = clocks.get_mut(&text(&r[0])) {
                clock.push(event_from(&mut r)?);
            }
        }
        for case in &mut brief {
            case.clock = clocks.remove(&case.reference).unwrap_or_default();
        }
        // Sorted here rather than through SQLite's sorter.
        brief.sort_by(|a, b| (a.received, &a.reference).cmp(&(b.received, &b.reference)));
        Ok(brief)
    })
}

pub(super) fn act<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    action: Action,
    who: &Who,
    detail: &ActionDetail,
) -> Result<Status, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        act_in(tx, &council, reference, seen, action, who, detail)
    })
}

pub(super) fn correct_case<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    who: &Who,
    structured: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let now = correctable(tx, &council, reference, seen)?;
        tx.execute(
            "UPDATE cases SET structured = $2 WHERE reference = $1 AND council = $3",
            &[
                param_text(reference),
                param_text(structured),
                param_text(&council),
            ],
        )?;
        case_event(
            tx,
            &council,
            reference,
            who,
            "correct",
            Some(now),
            now,
            &ActionDetail::note(note),
        )
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn revise_case<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    before: Option<&str>,
    structured: &str,
    who: &Who,
    note: &str,
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let now = correctable(tx, &council, reference, seen)?;
        let rows = tx.query(
            "SELECT structured FROM cases WHERE reference = $1 AND council = $2",
            &[param_text(reference), param_text(&council)],
            &[Kind::Text],
        )?;
        let held = rows.first().and_then(|r| opt_text(&r[0]));
        if held.as_deref() != before {
            let last = tx.query(
                "SELECT actor, at FROM case_events WHERE reference = $1 AND council = $2
                 ORDER BY id DESC LIMIT 1",
                &[param_text(reference), param_text(&council)],
                &[Kind::Text, Kind::Text],
            )?;
            let (by, at) = last
                .first()
                .map(|r| (text(&r[0]), text(&r[1])))
                .unwrap_or_default();
            return Err(StoreError::Changed {
                reference: reference.to_string(),
                by,
                at,
            });
        }
        tx.execute(
            "UPDATE cases SET structured = $2 WHERE reference = $1 AND council = $3",
            &[
                param_text(reference),
                param_text(structured),
                param_text(&council),
            ],
        )?;
        case_event(
            tx,
            &council,
            reference,
            who,
            "correct",
            Some(now),
            now,
            &ActionDetail::note(Some(note)),
        )
    })
}

pub(super) fn save_draft<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    who: &Who,
    draft: &str,
    notices: Option<&str>,
    data_version: i64,
) -> Result<Status, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let to = act_in(
            tx,
            &council,
            reference,
            seen,
            Action::Draft,
            who,
            &ActionDetail::default(),
        )?;
        tx.execute(
            "UPDATE cases SET draft = $2, draft_version = $3, draft_notices = $5
             WHERE reference = $1 AND council = $4",
            &[
                param_text(reference),
                param_text(draft),
                param(data_version),
                param_text(&council),
                Sql::Text(notices.map(str::to_string)),
            ],
        )?;
        Ok(to)
    })
}

/// The open cases with a draft and the notices kept beside it (`None`: not
/// known, read the draft). One query.
pub(super) fn open_draft_notices<E: Engine>(
    store: &SqlStore<E>,
) -> Result<std::collections::BTreeMap<String, Option<String>>, StoreError> {
    let open = open_statuses();
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!(
                "SELECT reference, draft_notices FROM cases
                 WHERE council = $1 AND status IN ({open}) AND draft IS NOT NULL"
            ),
            &[param_text(&council)],
            &[Kind::Text, Kind::Text],
        )?;
        Ok(rows
            .iter()
            .map(|r| (text(&r[0]), opt_text(&r[1])))
            .collect())
    })
}

pub(super) fn draft<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
) -> Result<Option<(String, i64)>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT draft, draft_version FROM cases WHERE reference = $1 AND council = $2",
            &[param_text(reference), param_text(&council)],
            &[Kind::Text, Kind::Int],
        )?;
        Ok(rows
            .first()
            .and_then(|r| Some((opt_text(&r[0])?, opt_int(&r[1]).unwrap_or(0)))))
    })
}

#[allow(clippy::too_many_arguments)] // one transaction's inputs
pub(super) fn send<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    who: &Who,
    entries: &[LogEntry],
    public: &crate::PublicEntry,
    detail: &ActionDetail,
    letter: Option<&crate::NewFinalLetter>,
) -> Result<Status, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let to = act_in(tx, &council, reference, seen, Action::Send, who, detail)?;
        super::public_log::insert(tx, &council, public)?;
        if let Some(letter) = letter {
            keep_final_letter(tx, &council, reference, who, letter)?;
        }
        for e in entries {
            tx.execute(
                "INSERT INTO disclosure_log (reference, sent_at, question, indicator, area, period,
                    breakdown, decision, basis, value, released, council)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    param_text(&e.reference),
                    param_text(&e.sent_at),
                    param_text(&e.question),
                    Sql::Text(e.indicator.clone()),
                    Sql::Text(e.area.clone()),
                    Sql::Text(e.period.clone()),
                    Sql::Text(e.breakdown.clone()),
                    param_text(&e.decision),
                    Sql::Text(e.basis.clone()),
                    Sql::Int(e.value),
                    param_text(&e.released),
                    param_text(&council),
                ],
            )?;
        }
        Ok(to)
    })
}

/// Keep the final letter as sent with case `reference`, after the ones
/// kept before.
fn keep_final_letter(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    who: &Who,
    letter: &crate::NewFinalLetter,
) -> Result<(), StoreError> {
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(&letter.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let kept = one_int(
        tx,
        "SELECT count(*) FROM final_letters WHERE council = $1 AND reference = $2",
        &[param_text(council), param_text(reference)],
    )?;
    tx.execute(
        "INSERT INTO final_letters (council, reference, position, name, content_type, size,
            sha256, body, compared, differences, kept_at, kept_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            param_text(council),
            param_text(reference),
            param(kept + 1),
            Sql::Text(letter.name.clone()),
            param_text(&letter.content_type),
            super::count(letter.bytes.len() as u64, "a final letter's size")?,
            param_text(&digest),
            Sql::Blob(Some(letter.bytes.clone())),
            param(i64::from(letter.compared)),
            param_text(&serde_json::Value::from(letter.differences.clone()).to_string()),
            param_text(&who.at),
            param_text(&who.actor),
        ],
    )?;
    Ok(())
}

/// The final letters kept with a case, in order, without their bytes.
pub(super) fn final_letters<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
) -> Result<Vec<crate::StoredFinalLetter>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT position, name, content_type, size, sha256, compared, differences,
                kept_at, kept_by, erased_at
             FROM final_letters WHERE council = $1 AND reference = $2 ORDER BY position",
            &[param_text(&council), param_text(reference)],
            &[
                Kind::Int,
                Kind::Text,
                Kind::Text,
                Kind::Int,
                Kind::Text,
                Kind::Int,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
            ],
        )?;
        rows.iter()
            .map(|r| {
                Ok(crate::StoredFinalLetter {
                    position: int(&r[0]),
                    name: opt_text(&r[1]),
                    content_type: text(&r[2]),
                    size: super::stored_count(&r[3], "a final letter's size")?,
                    sha256: text(&r[4]),
                    compared: int(&r[5]) != 0,
                    differences: serde_json::from_str(&text(&r[6])).map_err(|e| {
                        damaged(format!("a final letter's differences are unreadable: {e}"))
                    })?,
                    kept_at: text(&r[7]),
                    kept_by: text(&r[8]),
                    erased_at: opt_text(&r[9]),
                })
            })
            .collect()
    })
}

/// The bytes of one final letter kept with a case, unless erased.
pub(super) fn final_letter_bytes<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
    position: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    kept_bytes(store, "final_letters", reference, position)
}

pub(super) fn retitle<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    who: &Who,
    title: &str,
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let now = status_as_seen(tx, &council, reference, seen)?;
        if !casework::retitlable(now) {
            return Err(StoreError::Refused {
                reference: reference.to_string(),
                error: casework::retitle_refused(now),
            });
        }
        case_event(
            tx,
            &council,
            reference,
            who,
            "retitle",
            Some(now),
            now,
            &ActionDetail::note(Some(title)),
        )
    })
}

pub(super) fn erase_requester<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    who: &Who,
    note: &str,
    rewrite: crate::Rewrite<'_>,
) -> Result<bool, StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT status, requester_name, requester_contact, original, structured, draft
             FROM cases WHERE reference = $1 AND council = $2",
            &[param_text(reference), param_text(&council)],
            &[Kind::Text; 6],
        )?;
        let Some(r) = rows.first() else {
            return Err(StoreError::NoSuchCase(reference.to_string()));
        };
        let now = status(&text(&r[0]))?;
        let (name, contact) = (opt_text(&r[1]), opt_text(&r[2]));
        if name.is_none() && contact.is_none() {
            return Ok(false);
        }
        let held = crate::HeldDetails {
            name: name.as_deref(),
            contact: contact.as_deref(),
        };
        let rewritten = |kind, t: Option<String>| t.map(|t| rewrite(held, kind, &t)).transpose();
        let original = rewrite(held, CaseText::Original, &text(&r[3]))?;
        let structured = rewritten(CaseText::Structured, opt_text(&r[4]))?;
        let draft = rewritten(CaseText::Draft, opt_text(&r[5]))?;
        tx.execute(
            "UPDATE cases SET requester_name = NULL, requester_contact = NULL,
                original = $3, structured = $4, draft = $5, draft_notices = NULL, subject = $6
             WHERE reference = $1 AND council = $2",
            &[
                param_text(reference),
                param_text(&council),
                param_text(&original),
                Sql::Text(structured),
                Sql::Text(draft),
                param_text(&lantern_core::casework::subject_of(&original)),
            ],
        )?;
        let again = |kind, t: &str| rewrite(held, kind, t);
        rewrite_column(
            tx,
            ("case_events", "note"),
            &council,
            reference,
            CaseText::Note,
            &again,
        )?;
        rewrite_column(
            tx,
            ("disclosure_log", "question"),
            &council,
            reference,
            CaseText::LogQuestion,
            &again,
        )?;
        rewrite_column(
            tx,
            ("finding_resolutions", "why"),
            &council,
            reference,
            CaseText::Resolution,
            &again,
        )?;
        rewrite_column(
            tx,
            ("synonyms", "phrase"),
            &council,
            reference,
            CaseText::Phrase,
            &again,
        )?;
        rewrite_declarations(tx, &council, reference, &again)?;
        // A file kept with the case is the requester's own document, and
        // the final letter as sent names them: their names and bytes go,
        // the record that they were kept stays.
        for table in ["case_attachments", "final_letters"] {
            tx.execute(
                &format!(
                    "UPDATE {table} SET name = NULL, body = NULL, erased_at = $3
                     WHERE council = $1 AND reference = $2 AND erased_at IS NULL"
                ),
                &[
                    param_text(&council),
                    param_text(reference),
                    param_text(&who.at),
                ],
            )?;
        }
        // The messages sent to them: their address and text go, the
        // record that they were sent stays.
        super::outbox::erase_messages(tx, &council, reference, &who.at)?;
        case_event(
            tx,
            &council,
            reference,
            who,
            "erase_requester",
            Some(now),
            now,
            &ActionDetail::note(Some(note)),
        )?;
        Ok(true)
    })
}

/// Rewrite text column `column` of `table` in every row of case
/// `reference` that has one, as `rewrite` makes it; only the rows it
/// changes are written.
fn rewrite_column(
    tx: &mut dyn Tx,
    (table, column): (&str, &str),
    council: &str,
    reference: &str,
    kind: CaseText,
    rewrite: &dyn Fn(CaseText, &str) -> Result<String, StoreError>,
) -> Result<(), StoreError> {
    let rows = tx.query(
        &format!(
            "SELECT id, {column} FROM {table}
             WHERE reference = $1 AND council = $2 AND {column} IS NOT NULL"
        ),
        &[param_text(reference), param_text(council)],
        &[Kind::Int, Kind::Text],
    )?;
    for r in &rows {
        let old = text(&r[1]);
        let new = rewrite(kind, &old)?;
        if new != old {
            tx.execute(
                &format!("UPDATE {table} SET {column} = $2 WHERE id = $1"),
                &[r[0].clone(), param_text(&new)],
            )?;
        }
    }
    Ok(())
}

/// Rewrite the free texts of the not-held declarations made on case
/// `reference` or made council-wide while resolving one of its findings
/// (reason, other holder, withdrawal reason), and the same texts where
/// the audit entries of their making and withdrawal quote them.
fn rewrite_declarations(
    tx: &mut dyn Tx,
    council: &str,
    reference: &str,
    rewrite: &dyn Fn(CaseText, &str) -> Result<String, StoreError>,
) -> Result<(), StoreError> {
    let rows = tx.query(
        "SELECT id, reason, other_holder, withdrawn_reason FROM not_held_declarations
         WHERE council = $1 AND (reference = $2 OR id IN (
             SELECT declaration_id FROM finding_resolutions
             WHERE council = $1 AND reference = $2 AND declaration_id IS NOT NULL))
         ORDER BY id",
        &[param_text(council), param_text(reference)],
        &[Kind::Int, Kind::Text, Kind::Text, Kind::Text],
    )?;
    let again = |t: Option<String>| t.map(|t| rewrite(CaseText::Declaration, &t)).transpose();
    let mut keys = Vec::with_capacity(rows.len());
    for r in &rows {
        let old = (text(&r[1]), opt_text(&r[2]), opt_text(&r[3]));
        let new = (
            rewrite(CaseText::Declaration, &old.0)?,
            again(old.1.clone())?,
            again(old.2.clone())?,
        );
        if new != old {
            tx.execute(
                "UPDATE not_held_declarations
                 SET reason = $2, other_holder = $3, withdrawn_reason = $4 WHERE id = $1",
                &[
                    r[0].clone(),
                    param_text(&new.0),
                    Sql::Text(new.1),
                    Sql::Text(new.2),
                ],
            )?;
        }
        keys.push(param_text(&int(&r[0]).to_string()));
    }
    if keys.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let entries = tx.query(
        &format!(
            "SELECT id, detail FROM audit_log
             WHERE action IN ('not_held.declare', 'not_held.withdraw')
               AND record_key IN ({})",
            list.join(", ")
        ),
        &keys,
        &[Kind::Int, Kind::Text],
    )?;
    for r in &entries {
        let old = text(&r[1]);
        let mut detail: serde_json::Value = serde_json::from_str(&old)
            .map_err(|e| damaged(format!("an audit entry of a not-held declaration: {e}")))?;
        if let Some(fields) = detail.as_object_mut() {
            for key in ["reason", "declared_reason", "other_holder"] {
                if let Some(serde_json::Value::String(t)) = fields.get_mut(key) {
                    *t = rewrite(CaseText::Declaration, t)?;
                }
            }
        }
        let new = detail.to_string();
        if new != old {
            tx.execute(
                "UPDATE audit_log SET detail = $2 WHERE id = $1",
                &[r[0].clone(), param_text(&new)],
            )?;
        }
    }
    Ok(())
}
