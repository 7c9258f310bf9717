//! Providers' monthly record submissions: taking one in (accepted with its
//! record chunks, or rejected and kept for its report), which submission
//! is each provider's current one, withdrawing one, and reading the
//! submissions and their chunks of records back.

use serde_json::json;
use std::collections::BTreeMap;

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::{Sql, SqlRef};
use crate::{
    ChunkQuery, ImportMeta, ImportReceipt, NewSubmission, StoreError, StoredChunk,
    SubmissionRecord, SubmitOutcome, Submitted,
};

use super::audit::{audit, begin_import, data_version, finish_import};
use super::recompute::owe;
use super::{
    IN_LIST, SqlStore, count, damaged, int, invalid, month_text, opt_int, opt_text, param,
    param_text, stored_count, stored_month, take_blob, text,
};

/// The `WHERE` condition (on `submission_chunks c` joined to `submissions
/// s`) and parameters selecting a [`ChunkQuery`]'s chunks; `None` when it
/// can select none.
fn chunk_filter(query: &ChunkQuery) -> Option<(String, Vec<Sql>)> {
    let mut sql = String::new();
    let mut params = Vec::new();
    match query.submission {
        Some(id) => {
            sql.push_str("c.submission_id = $1");
            params.push(param(id));
        }
        None => sql.push_str(&format!("c.submission_id IN ({CURRENT_SUBMISSIONS})")),
    }
    if let Some(areas) = &query.areas {
        if areas.is_empty() {
            return None;
        }
        let first = params.len() + 1;
        let placeholders: Vec<String> = (first..first + areas.len())
            .map(|i| format!("${i}"))
            .collect();
        sql.push_str(&format!(" AND c.area IN ({})", placeholders.join(", ")));
        params.extend(areas.iter().map(|a| param_text(a)));
    }
    Some((sql, params))
}

/// The ids of every provider's current submission: accepted, not replaced,
/// and of the latest month among those (the newest, should two share it).
const CURRENT_SUBMISSIONS: &str = "SELECT s.id FROM submissions s
    WHERE s.status = 'accepted' AND s.replaced_by IS NULL AND s.withdrawn_in IS NULL
      AND NOT EXISTS (SELECT 1 FROM submissions t
        WHERE t.provider = s.provider AND t.status = 'accepted' AND t.replaced_by IS NULL
          AND t.withdrawn_in IS NULL
          AND (t.month > s.month OR (t.month = s.month AND t.id > s.id)))";

/// A provider's current submission (as [`CURRENT_SUBMISSIONS`] decides).
fn current_submission(tx: &mut dyn Tx, provider: &str) -> Result<Option<i64>, StoreError> {
    let rows = tx.query(
        "SELECT id FROM submissions
         WHERE provider = $1 AND status = 'accepted' AND replaced_by IS NULL
           AND withdrawn_in IS NULL
         ORDER BY month DESC, id DESC LIMIT 1",
        &[param_text(provider)],
        &[Kind::Int],
    )?;
    Ok(rows.first().map(|r| int(&r[0])))
}

/// The areas a submission's records are in (none for `None`).
fn submission_areas(tx: &mut dyn Tx, id: Option<i64>) -> Result<Vec<String>, StoreError> {
    let Some(id) = id else { return Ok(Vec::new()) };
    let rows = tx.query(
        "SELECT areas FROM submissions WHERE id = $1",
        &[param(id)],
        &[Kind::Text],
    )?;
    match rows.first() {
        Some(r) => serde_json::from_str(&text(&r[0]))
            .map_err(|e| damaged(format!("the areas of submission {id}: {e}"))),
        None => Ok(Vec::new()),
    }
}

const SUBMISSION_COLUMNS: &str = "SELECT id, import_id, provider, month, sha256, key_fingerprint,
    file, status, rows_read, rows_accepted, rows_rejected, report, areas, replaced_by, actor, at,
    withdrawn_reason";

const SUBMISSION_KINDS: &[Kind] = &[
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Int,
];

/// Submissions matching `filter` (SQL on `submissions`, may be empty), oldest first.
fn submissions_where(
    tx: &mut dyn Tx,
    filter: &str,
    params: &[Sql],
) -> Result<Vec<SubmissionRecord>, StoreError> {
    submissions_ordered(tx, &format!("{filter} ORDER BY id"), params)
}

/// Submissions by `tail`: the condition, order and limits after `FROM submissions`.
fn submissions_ordered(
    tx: &mut dyn Tx,
    tail: &str,
    params: &[Sql],
) -> Result<Vec<SubmissionRecord>, StoreError> {
    let rows = tx.query(
        &format!(
            "{SUBMISSION_COLUMNS},
                CAST(CASE WHEN id IN ({CURRENT_SUBMISSIONS}) THEN 1 ELSE 0 END AS BIGINT)
             FROM submissions {tail}"
        ),
        params,
        SUBMISSION_KINDS,
    )?;
    rows.iter()
        .map(|r| {
            let status = text(&r[7]);
            Ok(SubmissionRecord {
                id: int(&r[0]),
                import: int(&r[1]),
                provider: text(&r[2]),
                month: stored_month(&r[3])?,
                sha256: text(&r[4]),
                key_fingerprint: text(&r[5]),
                file: text(&r[6]),
                status: match status.as_str() {
                    "accepted" | "rejected" => status,
                    other => return Err(damaged(format!("submission status '{other}'"))),
                },
                rows_read: stored_count(&r[8], "rows read")?,
                rows_accepted: stored_count(&r[9], "rows accepted")?,
                rows_rejected: stored_count(&r[10], "rows rejected")?,
                report: text(&r[11]),
                areas: serde_json::from_str(&text(&r[12]))
                    .map_err(|e| damaged(format!("submission areas: {e}")))?,
                replaced_by: opt_int(&r[13]),
                actor: text(&r[14]),
                at: text(&r[15]),
                withdrawn: opt_text(&r[16]),
                current: int(&r[17]) == 1,
            })
        })
        .collect()
}

pub(super) fn submit<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    submission: &NewSubmission,
) -> Result<Submitted, StoreError> {
    let sub = submission;
    // Everything is checked before the transaction starts.
    if sub.provider.trim().is_empty() {
        return Err(invalid("a submission needs a provider"));
    }
    let month = month_text(sub.month)?;
    let key = format!("{} {month}", sub.provider);
    let rows_read = count(sub.rows_read, "rows read")?;
    let rows_accepted = count(sub.rows_accepted, "rows accepted")?;
    let rows_rejected = count(sub.rows_rejected, "rows rejected")?;
    let chunks = if sub.accepted { &sub.chunks[..] } else { &[] };
    let mut chunk_counts = Vec::with_capacity(chunks.len());
    for c in chunks {
        if c.area.trim().is_empty() {
            return Err(invalid("a chunk of records needs an area"));
        }
        chunk_counts.push(count(c.records, "records in a chunk")?);
    }
    let mut areas: Vec<&str> = chunks.iter().map(|c| c.area.as_str()).collect();
    areas.sort_unstable();
    areas.dedup();
    let rows_json = json!({
        "read": sub.rows_read,
        "accepted": sub.rows_accepted,
        "rejected": sub.rows_rejected,
    });
    store.engine.transaction(Mode::Write, |tx| {
        let insert = |tx: &mut dyn Tx, import: i64, status: &str| -> Result<i64, StoreError> {
            let rows = tx.query(
                "INSERT INTO submissions (import_id, provider, month, sha256, key_fingerprint,
                    file, status, rows_read, rows_accepted, rows_rejected, report, areas,
                    actor, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 RETURNING id",
                &[
                    param(import),
                    param_text(&sub.provider),
                    param_text(&month),
                    param_text(&meta.sha256),
                    param_text(&sub.key_fingerprint),
                    param_text(&meta.file),
                    param_text(status),
                    rows_read.clone(),
                    rows_accepted.clone(),
                    rows_rejected.clone(),
                    param_text(&sub.report_json),
                    param_text(&json!(areas).to_string()),
                    param_text(&meta.actor),
                    param_text(&meta.at),
                ],
                &[Kind::Int],
            )?;
            rows.first()
                .map(|r| int(&r[0]))
                .ok_or_else(|| damaged("the new submission has no id"))
        };
        let rows = usize::try_from(sub.rows_read).unwrap_or(usize::MAX);
        let accepted = usize::try_from(sub.rows_accepted).unwrap_or(usize::MAX);

        if !sub.accepted {
            // Kept for its report; an import with no changes, so the
            // data version does not move.
            let import = begin_import(tx, meta, rows)?;
            let id = insert(tx, import, "rejected")?;
            audit(
                tx,
                import,
                meta,
                "submission.reject",
                &key,
                json!({ "id": id, "sha256": meta.sha256, "rows": rows_json }),
            )?;
            let receipt = ImportReceipt {
                import,
                rows,
                data_version: data_version(tx)?,
                ..Default::default()
            };
            return Ok(Submitted {
                id,
                outcome: SubmitOutcome::Rejected,
                previous_current: None,
                replaced: None,
                receipt,
                owed: None,
            });
        }

        // The accepted, not replaced submission(s) for this provider and
        // month (one, unless the database was edited by hand).
        let same_month = tx.query(
            "SELECT id, sha256, key_fingerprint FROM submissions
             WHERE provider = $1 AND month = $2 AND status = 'accepted' AND replaced_by IS NULL
               AND withdrawn_in IS NULL
             ORDER BY id DESC",
            &[param_text(&sub.provider), param_text(&month)],
            &[Kind::Int, Kind::Text, Kind::Text],
        )?;
        if let Some(held) = same_month.first()
            && text(&held[1]) == meta.sha256
            && text(&held[2]) == sub.key_fingerprint
        {
            let import = begin_import(tx, meta, rows)?;
            let mut receipt = ImportReceipt {
                import,
                rows,
                unchanged: accepted,
                ..Default::default()
            };
            finish_import(tx, import, &receipt)?;
            receipt.data_version = data_version(tx)?;
            return Ok(Submitted {
                id: int(&held[0]),
                outcome: SubmitOutcome::Unchanged,
                previous_current: None,
                replaced: None,
                receipt,
                owed: None,
            });
        }

        let before = current_submission(tx, &sub.provider)?;
        let import = begin_import(tx, meta, rows)?;
        let id = insert(tx, import, "accepted")?;
        // The records go in by the engine's bulk path (COPY on PostgreSQL).
        let chunk_rows: Vec<Vec<SqlRef<'_>>> = chunks
            .iter()
            .zip(&chunk_counts)
            .map(|(c, records)| {
                vec![
                    SqlRef::Int(Some(id)),
                    SqlRef::Text(Some(&c.area)),
                    records.borrowed(),
                    SqlRef::Blob(Some(&c.body)),
                ]
            })
            .collect();
        tx.insert_many(
            "submission_chunks",
            &[
                ("submission_id", Kind::Int),
                ("area", Kind::Text),
                ("records", Kind::Int),
                ("body", Kind::Blob),
            ],
            &chunk_rows,
        )?;
        audit(
            tx,
            import,
            meta,
            "submission.add",
            &key,
            json!({
                "id": id,
                "sha256": meta.sha256,
                "key_fingerprint": sub.key_fingerprint,
                "rows": rows_json,
                "areas": areas,
            }),
        )?;
        for old in &same_month {
            tx.execute(
                "UPDATE submissions SET replaced_by = $2 WHERE id = $1",
                &[old[0].clone(), param(id)],
            )?;
            audit(
                tx,
                import,
                meta,
                "submission.replace",
                &key,
                json!({ "before": int(&old[0]), "before_sha256": text(&old[1]), "after": id }),
            )?;
        }
        // An accepted submission is always a new data version, even one
        // with no records (a month with no activity).
        let mut receipt = ImportReceipt {
            import,
            rows,
            added: accepted.max(1),
            replaced: same_month.len(),
            ..Default::default()
        };
        finish_import(tx, import, &receipt)?;
        receipt.data_version = data_version(tx)?;
        let (outcome, previous_current) = if current_submission(tx, &sub.provider)? == Some(id) {
            (SubmitOutcome::Current, before)
        } else {
            (SubmitOutcome::Superseded, None)
        };
        crate::failpoint::hit("before-submit-commit");
        // The figures are stale from this commit until the recomputation
        // settles what is owed here (see `records_owed`).
        let owed = if outcome == SubmitOutcome::Current {
            let mut touched: Vec<String> = areas.iter().map(|a| a.to_string()).collect();
            touched.extend(submission_areas(tx, previous_current)?);
            Some(owe(
                tx,
                import,
                meta,
                "submission",
                Some(id),
                previous_current,
                touched,
            )?)
        } else {
            None
        };
        Ok(Submitted {
            id,
            outcome,
            previous_current,
            replaced: same_month.first().map(|r| int(&r[0])),
            receipt,
            owed,
        })
    })
}

pub(super) fn submissions<E: Engine>(
    store: &SqlStore<E>,
) -> Result<Vec<SubmissionRecord>, StoreError> {
    store
        .engine
        .transaction(Mode::Read, |tx| submissions_where(tx, "", &[]))
}

pub(super) fn submission<E: Engine>(
    store: &SqlStore<E>,
    id: i64,
) -> Result<Option<SubmissionRecord>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        Ok(submissions_where(tx, "WHERE id = $1", &[param(id)])?
            .into_iter()
            .next())
    })
}

pub(super) fn provider_submissions<E: Engine>(
    store: &SqlStore<E>,
    provider: &str,
    offset: u64,
    limit: u64,
) -> Result<(Vec<SubmissionRecord>, u64), StoreError> {
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store.engine.transaction(Mode::Read, |tx| {
        let total = tx.query(
            "SELECT COUNT(*) FROM submissions WHERE provider = $1",
            &[param_text(provider)],
            &[Kind::Int],
        )?;
        let total = total.first().map(|r| int(&r[0])).unwrap_or(0);
        let page = submissions_ordered(
            tx,
            "WHERE provider = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
            &[param_text(provider), param(limit), param(offset)],
        )?;
        Ok((page, u64::try_from(total).unwrap_or(0)))
    })
}

pub(super) fn key_fingerprints<E: Engine>(store: &SqlStore<E>) -> Result<Vec<String>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let rows = tx.query(
            "SELECT DISTINCT key_fingerprint FROM submissions WHERE status = 'accepted'
             ORDER BY key_fingerprint",
            &[],
            &[Kind::Text],
        )?;
        Ok(rows.iter().map(|r| text(&r[0])).collect())
    })
}

pub(super) fn chunks<E: Engine>(
    store: &SqlStore<E>,
    query: &ChunkQuery,
) -> Result<Vec<StoredChunk>, StoreError> {
    let Some((filter, params)) = chunk_filter(query) else {
        return Ok(Vec::new());
    };
    // In index order: sorting would copy every body through a temporary B-tree.
    let sql = format!(
        "SELECT c.submission_id, s.provider, s.month, c.area, c.records, c.body
         FROM submission_chunks c JOIN submissions s ON s.id = c.submission_id
         WHERE {filter} ORDER BY c.submission_id, c.id"
    );
    store.engine.transaction(Mode::Read, |tx| {
        use Kind::{Blob, Int, Text};
        let rows = tx.query(&sql, &params, &[Int, Text, Text, Text, Int, Blob])?;
        rows.into_iter()
            .map(|mut r| {
                Ok(StoredChunk {
                    submission: int(&r[0]),
                    provider: text(&r[1]),
                    month: stored_month(&r[2])?,
                    area: text(&r[3]),
                    records: stored_count(&r[4], "records")?,
                    body: take_blob(&mut r[5]),
                })
            })
            .collect()
    })
}

pub(super) fn chunks_by_area<E: Engine>(
    store: &SqlStore<E>,
    query: &ChunkQuery,
    each: &mut dyn FnMut(Vec<StoredChunk>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let Some((filter, params)) = chunk_filter(query) else {
        return Ok(());
    };
    // First what the chunks are (small), then each area's bodies.
    let sql = format!(
        "SELECT c.id, c.submission_id, s.provider, s.month, c.area, c.records
         FROM submission_chunks c JOIN submissions s ON s.id = c.submission_id
         WHERE {filter}"
    );
    store.engine.transaction(Mode::Read, |tx| {
        use Kind::{Blob, Int, Text};
        let mut by_area: BTreeMap<String, Vec<(i64, StoredChunk)>> = BTreeMap::new();
        for r in tx.query(&sql, &params, &[Int, Int, Text, Text, Text, Int])? {
            let area = text(&r[4]);
            let chunk = StoredChunk {
                submission: int(&r[1]),
                provider: text(&r[2]),
                month: stored_month(&r[3])?,
                area: area.clone(),
                records: stored_count(&r[5], "records")?,
                body: Vec::new(),
            };
            by_area.entry(area).or_default().push((int(&r[0]), chunk));
        }
        for (_, mut chunks) in by_area {
            chunks.sort_by_key(|(id, _)| *id);
            let mut bodies: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
            for ids in chunks.chunks(IN_LIST) {
                let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
                let rows = tx.query(
                    &format!(
                        "SELECT id, body FROM submission_chunks WHERE id IN ({})",
                        placeholders.join(", ")
                    ),
                    &ids.iter().map(|(id, _)| param(*id)).collect::<Vec<_>>(),
                    &[Int, Blob],
                )?;
                for mut r in rows {
                    bodies.insert(int(&r[0]), take_blob(&mut r[1]));
                }
            }
            let chunks = chunks
                .into_iter()
                .map(|(id, mut chunk)| {
                    chunk.body = bodies
                        .remove(&id)
                        .ok_or_else(|| damaged(format!("record chunk {id} has no body")))?;
                    Ok(chunk)
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            each(chunks)?;
        }
        Ok(())
    })
}

pub(super) fn withdraw_submission<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    id: i64,
    reason: &str,
) -> Result<crate::Withdrawn, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "say why the submission is withdrawn (--reason); the audit log keeps it",
        ));
    }
    store.engine.transaction(Mode::Write, |tx| {
        let rows = tx.query(
            "SELECT provider, month, status, withdrawn_in, areas FROM submissions WHERE id = $1",
            &[param(id)],
            &[Kind::Text, Kind::Text, Kind::Text, Kind::Int, Kind::Text],
        )?;
        let Some(row) = rows.first() else {
            return Err(invalid(format!(
                "there is no submission {id}; `lantern submissions` lists them"
            )));
        };
        let provider = text(&row[0]);
        let month = stored_month(&row[1])?;
        if text(&row[2]) != "accepted" {
            return Err(invalid(format!(
                "submission {id} was rejected, so nothing from it is used; there is nothing to withdraw"
            )));
        }
        if opt_int(&row[3]).is_some() {
            return Err(invalid(format!("submission {id} is withdrawn already")));
        }
        let was_current = current_submission(tx, &provider)? == Some(id);
        let import = begin_import(tx, meta, 1)?;
        tx.execute(
            "UPDATE submissions SET withdrawn_in = $2, withdrawn_reason = $3 WHERE id = $1",
            &[param(id), param(import), param_text(reason)],
        )?;
        let now_current = current_submission(tx, &provider)?;
        let owed = if was_current {
            let mut areas = submission_areas(tx, Some(id))?;
            areas.extend(submission_areas(tx, now_current)?);
            Some(owe(tx, import, meta, "withdrawal", now_current, Some(id), areas)?)
        } else {
            None
        };
        audit(
            tx,
            import,
            meta,
            "submission.withdraw",
            &format!("{provider} {}", month_text(month)?),
            json!({ "id": id, "reason": reason, "was_current": was_current,
                    "current_now": now_current }),
        )?;
        let receipt = ImportReceipt {
            import,
            rows: 1,
            replaced: 1,
            ..Default::default()
        };
        finish_import(tx, import, &receipt)?;
        Ok(crate::Withdrawn {
            id,
            provider,
            month,
            was_current,
            owed,
            data_version: data_version(tx)?,
        })
    })
}
