//! Not-held declarations (the council's, or an officer's on one case) and
//! the resolutions of a draft's blocking findings: written together, with an
//! entry in the case's history, in one transaction; read back for answering
//! (`declarations`, in force at a data version) and for the case
//! (`resolutions`).
//!
//! A declaration is versioned like other data (migration 11): making one is
//! an import (a new data version, audited), and so is withdrawing one,
//! which retires it from that version on with the reason.

use lantern_core::casework::{ActionDetail, Status};
use lantern_core::figure::Breakdown;
use lantern_core::finding::{Declaration, DeclaredBy};
use lantern_core::period::Period;
use serde_json::json;

use crate::engine::{Engine, Kind, Mode, Tx};
use crate::rows::Sql;
use crate::{
    DeclarationWithdrawal, ImportKind, ImportMeta, ImportReceipt, NewResolution, StoreError,
    StoredDeclaration, StoredResolution, Who,
};

use super::audit::{audit, begin_import, data_version, finish_import};
use super::casework::{act_in, case_event, status_as_seen};
use super::{SqlStore, int, invalid, opt_int, opt_text, param, param_text, text};

pub(super) fn resolve<E: Engine>(
    store: &mut SqlStore<E>,
    reference: &str,
    seen: Status,
    who: &Who,
    resolution: &NewResolution,
) -> Result<(), StoreError> {
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let now = status_as_seen(tx, &council, reference, seen)?;
        let mut declaration_id = None;
        if let Some(d) = &resolution.declaration {
            declaration_id = Some(declare(tx, &council, who, d)?);
        }
        tx.execute(
            "INSERT INTO finding_resolutions (council, reference, finding, resolution, why,
                declaration_id, resolved_at, resolved_by, hours)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                param_text(&council),
                param_text(reference),
                param_text(&resolution.finding),
                param_text(&resolution.kind),
                param_text(&resolution.why),
                Sql::Int(declaration_id),
                param_text(&who.at),
                param_text(&who.actor),
                Sql::Text(resolution.hours.map(|h| h.to_string())),
            ],
        )?;
        let note = format!(
            "{} resolved ({}): {}",
            resolution.finding, resolution.kind, resolution.why
        );
        case_event(
            tx,
            &council,
            reference,
            who,
            "resolve",
            Some(now),
            now,
            &ActionDetail::note(Some(&note)),
        )?;
        if let Some((action, detail)) = &resolution.clock {
            act_in(tx, &council, reference, now, *action, who, detail)?;
        }
        Ok(())
    })
}

/// Store declaration `d` as a new data version (an import of kind
/// `not_held`, audited with who made it); its id.
fn declare(tx: &mut dyn Tx, council: &str, who: &Who, d: &Declaration) -> Result<i64, StoreError> {
    let meta = ImportMeta {
        kind: ImportKind::NotHeld,
        file: match &d.by {
            DeclaredBy::Council => "not held (council-wide)".to_string(),
            DeclaredBy::Case(r) => format!("not held (request {r})"),
        },
        sha256: String::new(),
        actor: who.actor.clone(),
        at: who.at.clone(),
    };
    let import = begin_import(tx, &meta, 1)?;
    let rows = tx.query(
        "INSERT INTO not_held_declarations (council, reference, subject, area, period,
            breakdown, reason, other_holder, declared_at, declared_by, added_in)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        &[
            param_text(council),
            Sql::Text(match &d.by {
                DeclaredBy::Council => None,
                DeclaredBy::Case(r) => Some(r.clone()),
            }),
            param_text(&d.subject),
            Sql::Text(d.area.clone()),
            Sql::Text(d.period.map(|p| p.to_string())),
            param_text(&d.breakdown.key()),
            param_text(&d.reason),
            Sql::Text(d.other_holder.clone()),
            param_text(&who.at),
            param_text(&who.actor),
            param(import),
        ],
        &[Kind::Int],
    )?;
    let id = rows
        .first()
        .map(|r| int(&r[0]))
        .ok_or_else(|| super::damaged("the new declaration has no id"))?;
    audit(
        tx,
        import,
        &meta,
        "not_held.declare",
        &id.to_string(),
        json!({
            "subject": d.subject,
            "area": d.area,
            "period": d.period.map(|p| p.to_string()),
            "breakdown": d.breakdown.key(),
            "reason": d.reason,
            "other_holder": d.other_holder,
            "case": match &d.by { DeclaredBy::Council => None, DeclaredBy::Case(r) => Some(r) },
        }),
    )?;
    finish_import(
        tx,
        import,
        &ImportReceipt {
            import,
            rows: 1,
            added: 1,
            ..Default::default()
        },
    )?;
    Ok(id)
}

/// Withdraw declaration `id` (see [`crate::Store::withdraw_declaration`]).
pub(super) fn withdraw<E: Engine>(
    store: &mut SqlStore<E>,
    meta: &ImportMeta,
    id: i64,
    reason: &str,
) -> Result<ImportReceipt, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "say why the declaration is withdrawn (--reason TEXT); the audit log and the case's history keep it",
        ));
    }
    store.engine.transaction(Mode::Write, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT reference, subject, period, breakdown, reason, retired_in
             FROM not_held_declarations WHERE council = $1 AND id = $2",
            &[param_text(&council), param(id)],
            &[
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Int,
            ],
        )?;
        let Some(row) = rows.first() else {
            return Err(invalid(format!(
                "there is no not-held declaration {id}; lantern declaration list shows them with their numbers"
            )));
        };
        if let Some(retired) = opt_int(&row[5]) {
            return Err(invalid(format!(
                "not-held declaration {id} was already withdrawn (data version {retired})"
            )));
        }
        let import = begin_import(tx, meta, 1)?;
        tx.execute(
            "UPDATE not_held_declarations SET retired_in = $1, withdrawn_reason = $2 WHERE id = $3",
            &[param(import), param_text(reason), param(id)],
        )?;
        let case = opt_text(&row[0]);
        audit(
            tx,
            import,
            meta,
            "not_held.withdraw",
            &id.to_string(),
            json!({
                "subject": text(&row[1]),
                "period": opt_text(&row[2]),
                "breakdown": text(&row[3]),
                "declared_reason": text(&row[4]),
                "case": case,
                "reason": reason,
            }),
        )?;
        // The cases it was made on (its own, or the one a council-wide
        // declaration was resolved on) keep the withdrawal in their history.
        let cases = tx.query(
            "SELECT DISTINCT reference FROM finding_resolutions
             WHERE council = $1 AND declaration_id = $2",
            &[param_text(&council), param(id)],
            &[Kind::Text],
        )?;
        let mut references: Vec<String> = cases.iter().map(|r| text(&r[0])).collect();
        references.extend(case);
        references.sort();
        references.dedup();
        let who = Who {
            actor: meta.actor.clone(),
            at: meta.at.clone(),
        };
        for reference in &references {
            let status = tx.query(
                "SELECT status FROM cases WHERE council = $1 AND reference = $2",
                &[param_text(&council), param_text(reference)],
                &[Kind::Text],
            )?;
            let Some(status) = status
                .first()
                .and_then(|r| Status::parse(&text(&r[0])))
            else {
                continue;
            };
            let note = format!(
                "not-held declaration {id} ({} {}) withdrawn: {reason}",
                text(&row[1]),
                opt_text(&row[2]).unwrap_or_else(|| "every period".into())
            );
            case_event(
                tx,
                &council,
                reference,
                &who,
                "withdraw_declaration",
                Some(status),
                status,
                &ActionDetail::note(Some(&note)),
            )?;
        }
        let mut receipt = ImportReceipt {
            import,
            rows: 1,
            replaced: 1,
            ..Default::default()
        };
        finish_import(tx, import, &receipt)?;
        receipt.data_version = data_version(tx)?;
        Ok(receipt)
    })
}

const DECLARATION_COLUMNS: &str = "SELECT id, reference, subject, area, period, breakdown,
    reason, other_holder, declared_at, declared_by, added_in, retired_in, withdrawn_reason
    FROM not_held_declarations";

const DECLARATION_KINDS: [Kind; 13] = [
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
    Kind::Int,
    Kind::Int,
    Kind::Text,
];

fn declaration_from(r: &[Sql]) -> Result<Declaration, StoreError> {
    let period = opt_text(&r[4])
        .map(|p| {
            Period::parse(&p)
                .map_err(|e| StoreError::Damaged(format!("not-held declaration period {p}: {e}")))
        })
        .transpose()?;
    Ok(Declaration {
        id: Some(int(&r[0])),
        by: match opt_text(&r[1]) {
            Some(r) => DeclaredBy::Case(r),
            None => DeclaredBy::Council,
        },
        subject: text(&r[2]),
        area: opt_text(&r[3]),
        period,
        breakdown: Breakdown::from_key(&text(&r[5])),
        reason: text(&r[6]),
        other_holder: opt_text(&r[7]),
    })
}

/// The council's declarations and those made on case `reference`, in
/// force at data version `at`.
pub(super) fn declarations<E: Engine>(
    store: &SqlStore<E>,
    reference: Option<&str>,
    at: i64,
) -> Result<Vec<Declaration>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!(
                "{DECLARATION_COLUMNS}
                 WHERE council = $1 AND (reference IS NULL OR reference = $2)
                   AND coalesce(added_in, 0) <= $3 AND (retired_in IS NULL OR retired_in > $3)
                 ORDER BY id"
            ),
            &[
                param_text(&council),
                param_text(reference.unwrap_or("")),
                param(at),
            ],
            &DECLARATION_KINDS,
        )?;
        rows.iter().map(|r| declaration_from(r)).collect()
    })
}

/// Every declaration of the council, withdrawn ones too, with who made and
/// withdrew each.
pub(super) fn all<E: Engine>(store: &SqlStore<E>) -> Result<Vec<StoredDeclaration>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            &format!("{DECLARATION_COLUMNS} WHERE council = $1 ORDER BY id"),
            &[param_text(&council)],
            &DECLARATION_KINDS,
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let withdrawn = match opt_int(&r[11]) {
                None => None,
                Some(retired_in) => {
                    let by = tx.query(
                        "SELECT actor, at FROM imports WHERE id = $1",
                        &[param(retired_in)],
                        &[Kind::Text, Kind::Text],
                    )?;
                    let (by, at) = by
                        .first()
                        .map(|b| (text(&b[0]), text(&b[1])))
                        .unwrap_or_default();
                    Some(DeclarationWithdrawal {
                        retired_in,
                        at,
                        by,
                        reason: opt_text(&r[12]).unwrap_or_default(),
                    })
                }
            };
            out.push(StoredDeclaration {
                declaration: declaration_from(r)?,
                declared_at: text(&r[8]),
                declared_by: text(&r[9]),
                added_in: opt_int(&r[10]),
                withdrawn,
            });
        }
        Ok(out)
    })
}

/// How case `reference`'s findings were resolved, oldest first.
pub(super) fn resolutions<E: Engine>(
    store: &SqlStore<E>,
    reference: &str,
) -> Result<Vec<StoredResolution>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT finding, resolution, why, resolved_at, resolved_by, hours
             FROM finding_resolutions
             WHERE council = $1 AND reference = $2 ORDER BY id",
            &[param_text(&council), param_text(reference)],
            &[Kind::Text; 6],
        )?;
        rows.iter()
            .map(|r| {
                let hours = opt_text(&r[5])
                    .map(|h| {
                        h.parse::<f64>().map_err(|e| {
                            StoreError::Damaged(format!("an s12 estimate of '{h}' hours: {e}"))
                        })
                    })
                    .transpose()?;
                Ok(StoredResolution {
                    finding: text(&r[0]),
                    kind: text(&r[1]),
                    why: text(&r[2]),
                    hours,
                    at: text(&r[3]),
                    by: text(&r[4]),
                })
            })
            .collect()
    })
}
