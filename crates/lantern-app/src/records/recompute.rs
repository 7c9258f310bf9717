//! Keeping the figures computed from records up to date.
//!
//! - [`recompute`]: every indicator for every area and year (or one area),
//!   from the current submissions. The store hands the records over one
//!   area at a time ([`Store::chunks_by_area`]); worker threads (one per
//!   core) decode, compute and serialise each area while the next is read,
//!   so reading and computing overlap and only a few areas' records are in
//!   memory at once.
//! - The incremental plans: after a submission became current, only the
//!   areas its provider's records changed in and the years the changes
//!   reach (`compute::touched_years`); for anything else owed, every year
//!   of the areas touched.
//! - [`settle_owed`]: pay every recomputation owed (a submission stored by
//!   a process that died before its figures were written, one imported
//!   with `no_recompute`, a withdrawal), the figures and the settling in
//!   one transaction, refused by the store if the data moved meanwhile.
//!   Writing commands run it first ([`settle_before_writing`]); readers are
//!   told while something is owed ([`owed_notice`]).
//!
//! A figure set is final once its financial year has ended (by the
//! context's clock), provisional before.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use jiff::civil::Date;
use lantern_core::FinancialYear;
use lantern_core::figure::Status as FigureStatus;
use lantern_core::records::compute::{self, ProviderRecords};
use lantern_core::records::{FigureSet, Record, chunk};
use lantern_store::{ChunkQuery, ImportKind, ImportMeta, NewFigureSet, Store, StoredChunk};

use crate::{Context, Error, Kind, Result, now};

/// What a recomputation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// What the import records as its file (`records: submission 7`).
    pub file: String,
    /// The areas recomputed (ONS codes), sorted.
    pub areas: Vec<String>,
    /// The financial years recomputed (`2025/26`), in order.
    pub years: Vec<String>,
    /// Figure sets added or replaced.
    pub changed: usize,
    /// Figure sets computed the same as held.
    pub unchanged: usize,
    /// The data version after it.
    pub data_version: i64,
}

/// What [`recompute`] did.
#[derive(Debug, Clone)]
pub struct Recomputation {
    /// Areas computed.
    pub areas: usize,
    /// Records read.
    pub records: u64,
    /// Figure sets computed.
    pub figure_sets: usize,
    /// Sets new to the store.
    pub added: usize,
    /// Sets that replaced a different one.
    pub replaced: usize,
    /// Sets the same as held.
    pub unchanged: usize,
    /// Sets held for areas or years with no records any more, retired.
    pub retired: usize,
    /// The data version after it.
    pub data_version: i64,
    /// How long reading and computing took.
    pub read_and_compute: Duration,
    /// How long writing took.
    pub write: Duration,
    /// Every computed figure set with its counts, when asked for.
    pub counts: Vec<FigureSet>,
}

impl Recomputation {
    /// The computed counts as CSV: `area,year,indicator,breakdown,value`,
    /// one line per count (empty unless the counts were asked for).
    pub fn counts_csv(&self) -> String {
        use std::fmt::Write as _;
        let mut csv = String::with_capacity(self.counts.len() * 16 * 1024);
        csv.push_str("area,year,indicator,breakdown,value\n");
        for set in &self.counts {
            let prefix = format!("{},{},", set.area, set.year);
            for c in &set.counts {
                csv.push_str(&prefix);
                csv.push_str(&c.indicator);
                csv.push(',');
                csv.push_str(&c.breakdown);
                let _ = writeln!(csv, ",{}", c.value);
            }
        }
        csv
    }
}

/// Recompute every indicator for every area and year (or only `area`'s)
/// from the current submissions, keeping every computed count in the
/// result when `keep_counts`.
///
/// A full recomputation settles everything owed in the same transaction as
/// its figures; one area's settles what is owed first.
pub fn recompute(ctx: &Context, area: Option<&str>, keep_counts: bool) -> Result<Recomputation> {
    let mut store = ctx.open()?;
    let (owed, based_on) = match area {
        None => (
            store
                .owed_recomputes()?
                .iter()
                .map(|o| o.id)
                .collect::<Vec<_>>(),
            Some(store.data_version()?),
        ),
        Some(_) => {
            settle_owed_in(ctx, store.as_mut())?;
            (Vec::new(), None)
        }
    };
    let started = Instant::now();
    let today = ctx.clock.today();
    let query = ChunkQuery {
        areas: area.map(|a| vec![a.to_string()]),
        submission: None,
    };
    let mut computed = compute_streamed(store.as_ref(), &query, today, keep_counts)?;
    let read_and_compute = started.elapsed();
    let mut sets = Vec::new();
    let mut scope: BTreeSet<(String, FinancialYear)> = BTreeSet::new();
    let areas = computed.len();
    let records: u64 = computed.iter().map(|d| d.records).sum();
    for done in &mut computed {
        scope.extend(done.sets.iter().map(|set| (set.area.clone(), set.year)));
        sets.append(&mut done.sets);
    }
    // Sets held for areas or years that no longer have records are retired.
    for held in store.figure_sets(area)? {
        scope.insert((held.area.clone(), held.year));
    }
    let writing = Instant::now();
    let scope: Vec<(String, FinancialYear)> = scope.into_iter().collect();
    let meta = ImportMeta {
        kind: ImportKind::Recompute,
        file: match area {
            Some(a) => format!("records: recompute {a}"),
            None => "records: recompute all".into(),
        },
        sha256: String::new(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    lantern_store::failpoint::hit("mid-recompute");
    let Some(receipt) = store.settle_recompute(&meta, &scope, &sets, &owed, based_on)? else {
        return Err(Error::conflict(
            "another import changed the submissions while they were being recomputed; nothing was written: run `lantern recompute` again",
        ));
    };
    Ok(Recomputation {
        areas,
        records,
        figure_sets: sets.len(),
        added: receipt.added,
        replaced: receipt.replaced,
        unchanged: receipt.unchanged,
        retired: scope.len().saturating_sub(sets.len()),
        data_version: receipt.data_version,
        read_and_compute,
        write: writing.elapsed(),
        counts: computed.into_iter().flat_map(|d| d.computed).collect(),
    })
}

/// One area computed: its sets ready to store, and (when asked for) the
/// counts themselves.
struct AreaDone {
    records: u64,
    sets: Vec<NewFigureSet>,
    computed: Vec<FigureSet>,
}

/// Compute every area the query selects, in area order: the store reads
/// areas on this thread and hands each to a worker (one per core) through
/// a short queue, so that reading waits when the workers are behind.
fn compute_streamed(
    store: &dyn Store,
    query: &ChunkQuery,
    today: Date,
    keep_counts: bool,
) -> Result<Vec<AreaDone>> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<StoredChunk>)>(workers);
    // Shared by the workers; when they are all gone (even by a panic), it
    // is dropped and the reading stops rather than waiting for them.
    let work_rx = std::sync::Arc::new(std::sync::Mutex::new(work_rx));
    let (done_tx, done_rx) = mpsc::channel::<(usize, Result<AreaDone>)>();
    let mut results: Vec<Option<Result<AreaDone>>> = Vec::new();
    let read = std::thread::scope(|scope| {
        for _ in 0..workers {
            let (work_rx, done_tx) = (std::sync::Arc::clone(&work_rx), done_tx.clone());
            scope.spawn(move || {
                loop {
                    // The lock is held only to take the next area.
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((i, chunks)) = next else { break };
                    let done = compute_one(&chunks, today, keep_counts);
                    drop(chunks);
                    if done_tx.send((i, done)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        drop(work_rx);
        let mut n = 0usize;
        let read = store.chunks_by_area(query, &mut |chunks| {
            work_tx.send((n, chunks)).map_err(|_| {
                lantern_store::StoreError::Invalid("the computation stopped".into())
            })?;
            n += 1;
            Ok(())
        });
        drop(work_tx);
        results.resize_with(n, || None);
        for (i, done) in done_rx {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(done);
            }
        }
        read
    });
    read?;
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| Err(Error::new(Kind::Internal, "a computation thread failed")))
        })
        .collect()
}

/// Decode, compute and serialise one area's sets.
fn compute_one(chunks: &[StoredChunk], today: Date, keep_counts: bool) -> Result<AreaDone> {
    let Some(area) = chunks.first().map(|c| c.area.clone()) else {
        return Ok(AreaDone {
            records: 0,
            sets: Vec::new(),
            computed: Vec::new(),
        });
    };
    let records = chunks.iter().map(decode).collect::<Result<Vec<_>>>()?;
    let input: Vec<ProviderRecords> = chunks
        .iter()
        .zip(&records)
        .map(|(c, r)| ProviderRecords {
            provider: &c.provider,
            records: r,
        })
        .collect();
    let submissions: Vec<i64> = chunks.iter().map(|c| c.submission).collect();
    let computed = compute::compute_area(&area, &input, None);
    let sets = computed
        .iter()
        .map(|set| new_set(set, &submissions, today))
        .collect();
    Ok(AreaDone {
        records: chunks.iter().map(|c| c.records).sum(),
        sets,
        computed: if keep_counts { computed } else { Vec::new() },
    })
}

fn decode(chunk: &StoredChunk) -> Result<Vec<Record>> {
    chunk::decode_for_compute(&chunk.body).map_err(|e| {
        Error::new(
            Kind::Internal,
            format!(
                "stored records of submission {} ({}, {}) are damaged: {e}",
                chunk.submission, chunk.provider, chunk.area
            ),
        )
    })
}

fn status_of(year: FinancialYear, today: Date) -> FigureStatus {
    if year.last_day() < today {
        FigureStatus::Final
    } else {
        FigureStatus::Provisional
    }
}

fn new_set(set: &FigureSet, submissions: &[i64], today: Date) -> NewFigureSet {
    NewFigureSet {
        area: set.area.clone(),
        year: set.year,
        status: status_of(set.year, today),
        body: set.body(),
        submissions: submissions.to_vec(),
    }
}

/// Figure sets computed and ready to write: the (area, year)s they replace
/// and what to report.
pub(super) struct Plan {
    scope: Vec<(String, FinancialYear)>,
    sets: Vec<NewFigureSet>,
    summary: Recomputed,
}

/// After a submission became current: recompute the areas its provider's
/// records changed in, and only the years the changes reach.
pub(super) fn plan_after(
    store: &dyn Store,
    new: Option<i64>,
    previous: Option<i64>,
    today: Date,
) -> Result<Plan> {
    let new_chunks = match new {
        Some(new) => store.chunks(&ChunkQuery {
            areas: None,
            submission: Some(new),
        })?,
        None => vec![],
    };
    let old_chunks = match previous {
        Some(p) => store.chunks(&ChunkQuery {
            areas: None,
            submission: Some(p),
        })?,
        None => vec![],
    };
    let areas: BTreeSet<String> = new_chunks
        .iter()
        .chain(&old_chunks)
        .map(|c| c.area.clone())
        .collect();
    let current = store.chunks(&ChunkQuery {
        areas: Some(areas.iter().cloned().collect()),
        submission: None,
    })?;
    let mut scope = Vec::new();
    let mut sets = Vec::new();
    let mut all_years = BTreeSet::new();
    for area in &areas {
        // The area now, and as it was before this submission.
        let now: Vec<&StoredChunk> = current.iter().filter(|c| &c.area == area).collect();
        let mut then: Vec<&StoredChunk> = now
            .iter()
            .copied()
            .filter(|c| Some(c.submission) != new)
            .collect();
        then.extend(old_chunks.iter().filter(|c| &c.area == area));
        let now_records = now.iter().map(|c| decode(c)).collect::<Result<Vec<_>>>()?;
        let then_records = then.iter().map(|c| decode(c)).collect::<Result<Vec<_>>>()?;
        let now_input: Vec<ProviderRecords> = now
            .iter()
            .zip(&now_records)
            .map(|(c, r)| ProviderRecords {
                provider: &c.provider,
                records: r,
            })
            .collect();
        let then_input: Vec<ProviderRecords> = then
            .iter()
            .zip(&then_records)
            .map(|(c, r)| ProviderRecords {
                provider: &c.provider,
                records: r,
            })
            .collect();
        let years: Vec<FinancialYear> = compute::touched_years(&then_input, &now_input)
            .into_iter()
            .collect();
        if years.is_empty() {
            continue;
        }
        let submissions: Vec<i64> = now.iter().map(|c| c.submission).collect();
        for set in compute::compute_area(area, &now_input, Some(&years)) {
            sets.push(new_set(&set, &submissions, today));
        }
        for y in &years {
            scope.push((area.clone(), *y));
            all_years.insert(*y);
        }
    }
    let summary = Recomputed {
        areas: areas.into_iter().collect(),
        years: all_years.iter().map(|y| y.to_string()).collect(),
        file: match new {
            Some(new) => format!("records: submission {new}"),
            None => "records: withdrawal".into(),
        },
        ..Recomputed::default()
    };
    Ok(Plan {
        scope,
        sets,
        summary,
    })
}

/// Every year of these areas computed afresh from the current submissions;
/// sets held for years (or areas) with no records any more are retired.
fn plan_areas(store: &dyn Store, areas: &[String], today: Date) -> Result<Plan> {
    let query = ChunkQuery {
        areas: Some(areas.to_vec()),
        submission: None,
    };
    let mut computed = compute_streamed(store, &query, today, false)?;
    let mut scope: BTreeSet<(String, FinancialYear)> = BTreeSet::new();
    let mut sets = Vec::new();
    for done in &mut computed {
        scope.extend(done.sets.iter().map(|set| (set.area.clone(), set.year)));
        sets.append(&mut done.sets);
    }
    for area in areas {
        for held in store.figure_sets(Some(area))? {
            scope.insert((held.area.clone(), held.year));
        }
    }
    let years: BTreeSet<FinancialYear> = scope.iter().map(|(_, y)| *y).collect();
    Ok(Plan {
        scope: scope.into_iter().collect(),
        sets,
        summary: Recomputed {
            areas: areas.to_vec(),
            years: years.iter().map(|y| y.to_string()).collect(),
            file: "records: owed recomputation".into(),
            ..Recomputed::default()
        },
    })
}

/// Write a plan's sets and settle `owed` in one transaction, if the data
/// is still at `based_on`; `None` when another writer changed it meanwhile.
pub(super) fn write_plan(
    ctx: &Context,
    store: &mut dyn Store,
    plan: Plan,
    owed: &[i64],
    based_on: i64,
) -> Result<Option<Recomputed>> {
    let Plan {
        scope,
        sets,
        mut summary,
    } = plan;
    let meta = ImportMeta {
        kind: ImportKind::Recompute,
        file: summary.file.clone(),
        sha256: String::new(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    let Some(receipt) = store.settle_recompute(&meta, &scope, &sets, owed, Some(based_on))? else {
        return Ok(None);
    };
    summary.changed = receipt.added + receipt.replaced;
    summary.unchanged = receipt.unchanged;
    summary.data_version = receipt.data_version;
    Ok(Some(summary))
}

/// How many times a recomputation is tried again when other writers keep
/// changing the data under it.
const ATTEMPTS: usize = 5;

/// Pay every recomputation owed: the figures of the areas touched are
/// brought up to date and the debts settled in the same transaction.
/// `None` when nothing was owed.
pub fn settle_owed(ctx: &Context) -> Result<Option<Recomputed>> {
    let mut store = ctx.open()?;
    settle_owed_in(ctx, store.as_mut())
}

/// [`settle_owed`] on a store already open.
pub(super) fn settle_owed_in(ctx: &Context, store: &mut dyn Store) -> Result<Option<Recomputed>> {
    let today = ctx.clock.today();
    for _ in 0..ATTEMPTS {
        let owed = store.owed_recomputes()?;
        if owed.is_empty() {
            return Ok(None);
        }
        let version = store.data_version()?;
        let ids: Vec<i64> = owed.iter().map(|o| o.id).collect();
        // One submission that became current: the same incremental
        // recomputation its import would have done. Anything else: every
        // year of the areas touched.
        let plan = match owed.as_slice() {
            [one] if one.reason == "submission" && one.submission.is_some() => {
                plan_after(store, one.submission, one.previous, today)?
            }
            _ => {
                let areas: BTreeSet<String> =
                    owed.iter().flat_map(|o| o.areas.iter().cloned()).collect();
                plan_areas(store, &areas.into_iter().collect::<Vec<_>>(), today)?
            }
        };
        lantern_store::failpoint::hit("mid-recompute");
        if let Some(done) = write_plan(ctx, store, plan, &ids, version)? {
            return Ok(Some(done));
        }
    }
    Err(Error::new(
        Kind::Unavailable,
        "the figures could not be brought up to date: other imports kept changing the data; try again",
    ))
}

/// Before a writing use case: settle what is owed. `None` when there is no
/// database yet (the use case itself says what is wrong) or nothing was
/// owed; else what was recomputed, for the front end to mention.
pub fn settle_before_writing(ctx: &Context) -> Result<Option<Recomputed>> {
    let Ok(mut store) = ctx.open() else {
        return Ok(None);
    };
    if store.owed_recomputes()?.is_empty() {
        return Ok(None);
    }
    settle_owed_in(ctx, store.as_mut())
}

/// What to tell a reader when a recomputation is owed, or `None` when the
/// figures from records are up to date (or there is no database yet).
pub fn owed_notice(ctx: &Context) -> Result<Option<String>> {
    let Ok(store) = ctx.open() else {
        return Ok(None);
    };
    figures_owed_notice(store.as_ref())
}

/// [`owed_notice`] on a store already open (`lantern serve` shows it as a
/// banner and in `/healthz`).
pub fn figures_owed_notice(store: &dyn Store) -> Result<Option<String>> {
    let owed = store.owed_recomputes()?;
    let Some(first) = owed.first() else {
        return Ok(None);
    };
    let areas: BTreeSet<&str> = owed
        .iter()
        .flat_map(|o| o.areas.iter().map(String::as_str))
        .collect();
    Ok(Some(format!(
        "the figures from providers' records are being brought up to date (owed since {} for {}); figures for {} may be out of date until it finishes. If no import is running, run `lantern recompute` (or any import) to finish it.",
        first.at,
        if areas.len() == 1 {
            "1 area".to_string()
        } else {
            format!("{} areas", areas.len())
        },
        areas.into_iter().collect::<Vec<_>>().join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_final_once_it_has_ended() {
        let year = FinancialYear::starting(2024).expect("a year");
        let last = year.last_day();
        assert_eq!(status_of(year, last), FigureStatus::Provisional);
        let after = last.tomorrow().expect("a day");
        assert_eq!(status_of(year, after), FigureStatus::Final);
    }
}
