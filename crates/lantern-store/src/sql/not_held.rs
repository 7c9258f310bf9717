//! Not-held declarations (the council's, or an officer's on one case) and
//! the resolutions of a draft's blocking findings: written together, with an
//! entry in the case's history, in one transaction; read back for answering
//! (`declarations`) and for the case (`resolutions`).

use lantern_core::casework::{ActionDetail, Status};
use lantern_core::figure::Breakdown;
use lantern_core::finding::{Declaration, DeclaredBy};
use lantern_core::period::Period;

use crate::engine::{Engine, Kind, Mode};
use crate::rows::Sql;
use crate::{NewResolution, StoreError, StoredResolution, Who};

use super::casework::{case_event, status_as_seen};
use super::{SqlStore, int, opt_text, param_text, text};

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
            tx.execute(
                "INSERT INTO not_held_declarations (council, reference, subject, area, period,
                    breakdown, reason, other_holder, declared_at, declared_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    param_text(&council),
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
                ],
            )?;
            let rows = tx.query(
                "SELECT MAX(id) FROM not_held_declarations WHERE council = $1",
                &[param_text(&council)],
                &[Kind::Int],
            )?;
            declaration_id = rows.first().map(|r| int(&r[0]));
        }
        tx.execute(
            "INSERT INTO finding_resolutions (council, reference, finding, resolution, why,
                declaration_id, resolved_at, resolved_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                param_text(&council),
                param_text(reference),
                param_text(&resolution.finding),
                param_text(&resolution.kind),
                param_text(&resolution.why),
                Sql::Int(declaration_id),
                param_text(&who.at),
                param_text(&who.actor),
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
        )
    })
}

/// The council's declarations and those made on case `reference`.
pub(super) fn declarations<E: Engine>(
    store: &SqlStore<E>,
    reference: Option<&str>,
) -> Result<Vec<Declaration>, StoreError> {
    store.engine.transaction(Mode::Read, |tx| {
        let council = store.scope(tx)?;
        let rows = tx.query(
            "SELECT reference, subject, area, period, breakdown, reason, other_holder
             FROM not_held_declarations
             WHERE council = $1 AND (reference IS NULL OR reference = $2) ORDER BY id",
            &[param_text(&council), param_text(reference.unwrap_or(""))],
            &[Kind::Text; 7],
        )?;
        rows.iter()
            .map(|r| {
                let period = opt_text(&r[3])
                    .map(|p| {
                        Period::parse(&p).map_err(|e| {
                            StoreError::Damaged(format!("not-held declaration period {p}: {e}"))
                        })
                    })
                    .transpose()?;
                Ok(Declaration {
                    by: match opt_text(&r[0]) {
                        Some(r) => DeclaredBy::Case(r),
                        None => DeclaredBy::Council,
                    },
                    subject: text(&r[1]),
                    area: opt_text(&r[2]),
                    period,
                    breakdown: Breakdown::from_key(&text(&r[4])),
                    reason: text(&r[5]),
                    other_holder: opt_text(&r[6]),
                })
            })
            .collect()
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
            "SELECT finding, resolution, why, resolved_at, resolved_by FROM finding_resolutions
             WHERE council = $1 AND reference = $2 ORDER BY id",
            &[param_text(&council), param_text(reference)],
            &[Kind::Text; 5],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredResolution {
                finding: text(&r[0]),
                kind: text(&r[1]),
                why: text(&r[2]),
                at: text(&r[3]),
                by: text(&r[4]),
            })
            .collect())
    })
}
