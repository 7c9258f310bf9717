//! Providers' submissions on the command line: `lantern import agencies`,
//! `lantern import episodes`, `lantern submissions`, `lantern recompute` and
//! `lantern generate`.
//!
//! This module is an adapter: it reads files, runs the core's validation
//! and pseudonymisation (`lantern_core::records::submission`) on both cores
//! at once, stores each file as one submission (one transaction), and keeps
//! the figures computed from records up to date by recomputing only the
//! areas and years a submission touches (`lantern_core::records::compute`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use lantern_core::FinancialYear;
use lantern_core::figure::Status as FigureStatus;
use lantern_core::records::compute::{self, ProviderRecords};
use lantern_core::records::submission::{self, BadRowLimit, Outcome, Report, Verdict};
use lantern_core::records::{FigureSet, PseudonymKey, Record, YearMonth, chunk, generate};
use lantern_store::{
    ChunkQuery, ImportKind, NewChunk, NewFigureSet, NewSubmission, Store, StoredChunk,
    SubmitOutcome,
};
use sha2::{Digest, Sha256};

use crate::app::{Ctx, hex, now, write_atomically};
use crate::{out, progress};

/// Options of `lantern import episodes`.
#[derive(Debug, Clone, Default)]
pub struct EpisodeOptions {
    /// The agency every file must be from (else from the file name or rows).
    pub provider: Option<String>,
    /// The reporting month (else from the file name).
    pub month: Option<String>,
    /// Bad-row limit overriding the configuration.
    pub max_bad_rows: Option<String>,
    /// Leave the figures alone (run `lantern recompute` afterwards).
    pub no_recompute: bool,
    /// Print JSON.
    pub json: bool,
}

/// Today's date (UTC), the latest date a submission may hold and the end
/// of the latest reporting month one may be for. `LANTERN_TODAY=YYYY-MM-DD`
/// sets it (a test hook, like the `--today` of reports); an unreadable
/// value is ignored for the real date.
fn today() -> Date {
    std::env::var("LANTERN_TODAY")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| {
            jiff::tz::Offset::UTC
                .to_datetime(jiff::Timestamp::now())
                .date()
        })
}

/// The deployment's pseudonymisation key: `$LANTERN_PSEUDONYM_KEY`, else
/// the file named by `[records] key_file`.
pub fn pseudonym_key(ctx: &Ctx) -> Result<PseudonymKey> {
    let secret: Vec<u8> = if let Some(k) = std::env::var_os("LANTERN_PSEUDONYM_KEY") {
        secret_bytes(k)
    } else if let Some(path) = ctx.config.key_file() {
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read the pseudonymisation key file {} ([records] key_file)",
                path.display()
            )
        })?;
        bytes.trim_ascii().to_vec()
    } else {
        bail!(
            "no pseudonymisation key: set LANTERN_PSEUDONYM_KEY or [records] key_file in lantern.toml \
             (a secret of at least 16 characters, kept out of the database; see docs/deploy.md)"
        );
    };
    PseudonymKey::new(&secret).context(
        "the pseudonymisation key is shorter than 16 bytes; use a long random secret (e.g. `openssl rand -hex 32`)",
    )
}

/// A key given in the environment, as bytes: a key that is not UTF-8 is
/// kept exactly as given (two keys that differ only in bytes that are not
/// text stay different keys), with surrounding white space removed.
fn secret_bytes(key: std::ffi::OsString) -> Vec<u8> {
    match key.into_string() {
        Ok(text) => text.trim().as_bytes().to_vec(),
        Err(raw) => raw.into_encoded_bytes().trim_ascii().to_vec(),
    }
}

/// The agency and reporting month a file name carries: `N0852-2026-03.csv`.
fn from_file_name(path: &Path) -> (Option<String>, Option<YearMonth>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    match stem.split_once('-') {
        Some((agency, month)) => (
            Some(agency.to_string()).filter(|a| !a.is_empty()),
            YearMonth::parse(month),
        ),
        None => (None, None),
    }
}

/// Whether a file name's first part looks like an agency code (`N0852`,
/// `A1`): capital letters then digits, with at least one of each. Other
/// names (`submission-2026-03.csv`) leave the agency to the rows.
fn looks_like_agency_code(name: &str) -> bool {
    let letters = name.bytes().take_while(u8::is_ascii_uppercase).count();
    let rest = &name.as_bytes()[letters..];
    (1..=4).contains(&letters)
        && !rest.is_empty()
        && rest.len() <= 8
        && rest.iter().all(u8::is_ascii_digit)
}

/// One file read, checked and packed, ready to store.
struct Parsed {
    name: String,
    /// Who the file says it is from, for a file rejected before its rows
    /// could say (the `--provider` flag or the file name).
    named_provider: String,
    sha256: String,
    outcome: Outcome,
    chunks: Vec<NewChunk>,
}

fn parse_file(
    path: &Path,
    opts: &EpisodeOptions,
    limit: BadRowLimit,
    key: &PseudonymKey,
    agencies: &BTreeSet<String>,
    today: Date,
) -> Result<Parsed> {
    let name = path.display().to_string();
    let (name_agency, name_month) = from_file_name(path);
    let month = match &opts.month {
        Some(m) => YearMonth::parse(m)
            .with_context(|| format!("--month {m}: give the reporting month as YYYY-MM"))?,
        None => name_month.with_context(|| {
            format!(
                "{name}: which reporting month is this? Give --month YYYY-MM, or name the file AGENCY-YYYY-MM.csv"
            )
        })?,
    };
    // A month that has not begun cannot be reported on; taken, it would
    // stay the provider's current submission and hide every real month.
    if month.first_day() > today {
        bail!(
            "{name}: the reporting month {month} has not begun (today is {today}); \
             check --month or the month in the file name (AGENCY-YYYY-MM.csv). \
             Nothing from this file was stored."
        );
    }
    let named_provider = opts
        .provider
        .clone()
        .or(name_agency.clone())
        .unwrap_or_else(|| "unknown".into());
    // A file named for an agency holds that agency's rows: a registered
    // code, or one shaped like an agency code, in the name is checked
    // against every row (and an unregistered one refused).
    let provider = opts
        .provider
        .clone()
        .or(name_agency.filter(|a| agencies.contains(a) || looks_like_agency_code(a)));
    let bytes = crate::app::read_bounded(path, crate::app::MAX_IMPORT_FILE)?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let context = submission::Context {
        key,
        agencies,
        provider: provider.as_deref(),
        month,
        today,
        limit,
    };
    let outcome = match Format::of(path, &bytes) {
        Format::Csv => submission::read(&bytes, &context),
        Format::Xlsx => crate::xlsx::read(&bytes, &context),
        Format::Xls => submission::unreadable(
            "an Excel 97-2003 workbook (.xls), which Lantern does not read: save it as .xlsx or .csv",
            &context,
        ),
    };
    let chunks = outcome
        .areas
        .iter()
        .map(|(area, records)| NewChunk {
            area: area.clone(),
            records: records.len() as u64,
            body: chunk::encode(records),
        })
        .collect();
    Ok(Parsed {
        name,
        named_provider,
        sha256,
        outcome,
        chunks,
    })
}

/// How a submission file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    /// An Excel workbook (Office Open XML, a zip).
    Xlsx,
    /// The old binary Excel format.
    Xls,
}

impl Format {
    /// From the file's first bytes (a zip, an OLE compound file), else its
    /// name; anything else is read as CSV.
    fn of(path: &Path, bytes: &[u8]) -> Format {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if bytes.starts_with(b"PK\x03\x04") || extension == "xlsx" {
            Format::Xlsx
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || extension == "xls" {
            Format::Xls
        } else {
            Format::Csv
        }
    }
}

/// `lantern import episodes FILE...`.
pub fn import_episodes(ctx: &Ctx, files: &[PathBuf], opts: &EpisodeOptions) -> Result<()> {
    let key = pseudonym_key(ctx)?;
    let mut store = ctx.open()?;
    let fingerprint = key.fingerprint();
    let held = store.key_fingerprints()?;
    if let Some(other) = held.iter().find(|f| **f != fingerprint) {
        bail!(
            "this pseudonymisation key is not the one earlier submissions were made with \
             (fingerprint {fingerprint}, held {other}); with a different key every person would be \
             counted twice. Use the deployment's key (LANTERN_PSEUDONYM_KEY or [records] key_file)."
        );
    }
    let agencies: BTreeSet<String> = store.agencies()?.into_iter().map(|a| a.code).collect();
    if agencies.is_empty() {
        bail!(
            "no treatment providers are registered; import the register first with `lantern import agencies FILE` (docs/formats/episodes.md)"
        );
    }
    let limit_text = opts
        .max_bad_rows
        .clone()
        .or_else(|| ctx.config.records.max_bad_rows.clone());
    let limit: BadRowLimit = match &limit_text {
        Some(t) => t
            .parse()
            .map_err(|e| anyhow::anyhow!("max bad rows '{t}': {e}"))?,
        None => BadRowLimit::default(),
    };
    let today = today();
    let total_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = progress::bar(total_bytes, "submissions");

    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    let mut results = Vec::new();
    let mut failures = 0usize;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<(usize, Result<Parsed>)>(workers);
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, key, agencies) = (&next, &key, &agencies);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let parsed = parse_file(path, opts, limit, key, agencies, today);
                    if tx.send((i, parsed)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Store in the order given (a later file for the same month wins).
        let mut waiting: BTreeMap<usize, Result<Parsed>> = BTreeMap::new();
        let mut due = 0usize;
        let mut done_bytes = 0u64;
        for (i, parsed) in rx {
            waiting.insert(i, parsed);
            while let Some(parsed) = waiting.remove(&due) {
                done_bytes += std::fs::metadata(&files[due]).map(|m| m.len()).unwrap_or(0);
                due += 1;
                let parsed = match parsed {
                    Ok(p) => p,
                    Err(e) => {
                        // Stop handing out files; those already stored stay stored.
                        next.store(files.len(), Ordering::Relaxed);
                        return Err(e);
                    }
                };
                let result = store_one(ctx, store.as_mut(), &parsed, &fingerprint, opts)?;
                if matches!(result.outcome, SubmitOutcome::Rejected) {
                    failures += 1;
                }
                bar.set_position(done_bytes);
                if !opts.json {
                    bar.suspend(|| print_result(&result, &parsed.outcome.report))?;
                }
                results.push((result, parsed.outcome.report));
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    if opts.no_recompute
        && !opts.json
        && results
            .iter()
            .any(|(r, _)| matches!(r.outcome, SubmitOutcome::Current))
    {
        out!(
            "The figures were not recomputed (--no-recompute): a recomputation is owed, and readers \
             are told so until `lantern recompute` or the next import pays it."
        );
    }
    if opts.json {
        let items: Vec<serde_json::Value> = results
            .iter()
            .map(|(r, report)| {
                serde_json::json!({
                    "file": r.file,
                    "submission": r.submission,
                    "provider": r.provider,
                    "month": r.month,
                    "outcome": outcome_code(r.outcome),
                    "report": report,
                    "recompute": r.recompute.as_ref().map(|s| serde_json::json!({
                        "areas": s.areas, "years": s.years, "changed": s.changed, "unchanged": s.unchanged,
                        "data_version": s.data_version,
                    })),
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&items)?);
    }
    if failures > 0 {
        bail!(
            "{failures} of {} file{} rejected; nothing from {} was applied (see the report{})",
            files.len(),
            if files.len() == 1 { " was" } else { "s were" },
            if failures == 1 { "it" } else { "them" },
            if failures == 1 { " above" } else { "s above" }
        );
    }
    Ok(())
}

fn outcome_code(o: SubmitOutcome) -> &'static str {
    match o {
        SubmitOutcome::Current => "current",
        SubmitOutcome::Superseded => "superseded",
        SubmitOutcome::Unchanged => "unchanged",
        SubmitOutcome::Rejected => "rejected",
    }
}

/// What storing one file did.
struct Stored {
    file: String,
    submission: i64,
    provider: String,
    month: String,
    outcome: SubmitOutcome,
    recompute: Option<Recomputed>,
}

fn store_one(
    ctx: &Ctx,
    store: &mut dyn Store,
    parsed: &Parsed,
    fingerprint: &str,
    opts: &EpisodeOptions,
) -> Result<Stored> {
    let report = &parsed.outcome.report;
    let accepted = !matches!(report.verdict, Verdict::Rejected { .. });
    let meta = lantern_store::ImportMeta {
        kind: ImportKind::Episodes,
        file: parsed.name.clone(),
        sha256: parsed.sha256.clone(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    let provider = if parsed.outcome.provider.is_empty() {
        parsed.named_provider.clone()
    } else {
        parsed.outcome.provider.clone()
    };
    let new = NewSubmission {
        provider: provider.clone(),
        month: parsed.outcome.month,
        key_fingerprint: fingerprint.to_string(),
        accepted,
        rows_read: report.rows,
        rows_accepted: report.accepted_rows,
        rows_rejected: report.rejected_rows,
        report_json: serde_json::to_string(report)?,
        chunks: if accepted {
            parsed.chunks.clone()
        } else {
            vec![]
        },
    };
    let submitted = store.submit(&meta, &new)?;
    lantern_store::failpoint::hit("after-submit-commit");
    let recompute = match submitted.owed {
        Some(owed) if !opts.no_recompute => {
            // Computed from the data version the submission made; should
            // another writer have changed the data since, everything owed
            // is settled afresh.
            let plan = plan_after(store, Some(submitted.id), submitted.previous_current)?;
            lantern_store::failpoint::hit("mid-recompute");
            match write_plan(ctx, store, plan, &[owed], submitted.receipt.data_version)? {
                Some(done) => Some(done),
                None => settle_owed(ctx, store)?,
            }
        }
        _ => None,
    };
    lantern_store::failpoint::hit("after-figures-commit");
    Ok(Stored {
        file: parsed.name.clone(),
        submission: submitted.id,
        provider,
        month: parsed.outcome.month.to_string(),
        outcome: submitted.outcome,
        recompute,
    })
}

fn print_result(r: &Stored, report: &Report) -> Result<()> {
    let mut lines = Vec::new();
    let head = match r.outcome {
        SubmitOutcome::Current => format!(
            "{}: submission {} from {} for {}: {} of {} rows accepted{}.",
            r.file,
            r.submission,
            r.provider,
            r.month,
            report.accepted_rows,
            report.rows,
            if report.rejected_rows > 0 {
                format!(", {} rejected", report.rejected_rows)
            } else {
                String::new()
            }
        ),
        SubmitOutcome::Superseded => format!(
            "{}: submission {} from {} for {} stored, but {} has sent a later month, which stays current.",
            r.file, r.submission, r.provider, r.month, r.provider
        ),
        SubmitOutcome::Unchanged => format!(
            "{}: the same file as submission {} ({} for {}); nothing changed.",
            r.file, r.submission, r.provider, r.month
        ),
        SubmitOutcome::Rejected => format!(
            "{}: REJECTED; nothing from it was applied (submission {} keeps the report).",
            r.file, r.submission
        ),
    };
    lines.push(head);
    if !report.errors.is_empty() || !report.warnings.is_empty() {
        lines.push(report.to_text(&r.file).trim_end().to_string());
    }
    if let Some(s) = &r.recompute {
        lines.push(format!(
            "  Recomputed {} area{} ({}): {} figure set{} changed, {} unchanged; data version {}.",
            s.areas.len(),
            if s.areas.len() == 1 { "" } else { "s" },
            describe_years(&s.years),
            s.changed,
            if s.changed == 1 { "" } else { "s" },
            s.unchanged,
            s.data_version
        ));
    }
    for line in lines {
        out!("{line}");
    }
    Ok(())
}

fn describe_years(years: &[String]) -> String {
    match years {
        [] => "no years".into(),
        [one] => one.clone(),
        [first, .., last] => format!("{first} to {last}"),
    }
}

/// What a recomputation changed.
#[derive(Debug, Clone, Default)]
pub struct Recomputed {
    /// What the import records as its file (`records: submission 7`).
    file: String,
    areas: Vec<String>,
    years: Vec<String>,
    changed: usize,
    unchanged: usize,
    data_version: i64,
}

fn decode(chunk: &StoredChunk) -> Result<Vec<Record>> {
    chunk::decode_for_compute(&chunk.body).with_context(|| {
        format!(
            "stored records of submission {} ({}, {}) are damaged",
            chunk.submission, chunk.provider, chunk.area
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
struct Plan {
    scope: Vec<(String, FinancialYear)>,
    sets: Vec<NewFigureSet>,
    summary: Recomputed,
}

/// After a submission became current: recompute the areas its provider's
/// records changed in, and only the years the changes reach.
fn plan_after(store: &dyn Store, new: Option<i64>, previous: Option<i64>) -> Result<Plan> {
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
    let today = today();
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
fn plan_areas(store: &dyn Store, areas: &[String]) -> Result<Plan> {
    let query = ChunkQuery {
        areas: Some(areas.to_vec()),
        submission: None,
    };
    let mut computed = compute_streamed(store, &query, today(), false)?;
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
fn write_plan(
    ctx: &Ctx,
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
    let meta = lantern_store::ImportMeta {
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

/// Pay every recomputation owed (a submission stored by a process that
/// died before its figures were written, `--no-recompute`, a withdrawal):
/// the figures of the areas touched are brought up to date and the debts
/// settled in the same transaction. Every writing command runs this before
/// anything else (`app::run`), and re-running an interrupted import does.
/// `None` when nothing was owed.
pub fn settle_owed(ctx: &Ctx, store: &mut dyn Store) -> Result<Option<Recomputed>> {
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
                plan_after(store, one.submission, one.previous)?
            }
            _ => {
                let areas: BTreeSet<String> =
                    owed.iter().flat_map(|o| o.areas.iter().cloned()).collect();
                plan_areas(store, &areas.into_iter().collect::<Vec<_>>())?
            }
        };
        lantern_store::failpoint::hit("mid-recompute");
        if let Some(done) = write_plan(ctx, store, plan, &ids, version)? {
            return Ok(Some(done));
        }
    }
    bail!(
        "the figures could not be brought up to date: other imports kept changing the data; try again"
    )
}

/// Before a writing command: settle what is owed, saying so on standard
/// error when there was anything.
pub fn settle_before_writing(ctx: &Ctx) -> Result<()> {
    let Ok(mut store) = ctx.open() else {
        // No database (yet): the command itself says what is wrong.
        return Ok(());
    };
    if store.owed_recomputes()?.is_empty() {
        return Ok(());
    }
    if let Some(done) = settle_owed(ctx, store.as_mut())? {
        eprintln!(
            "note: brought the figures from providers' records up to date first (an earlier import stopped before recomputing, or ran with --no-recompute): {} area{} ({}), {} figure set{} changed; data version {}.",
            done.areas.len(),
            if done.areas.len() == 1 { "" } else { "s" },
            describe_years(&done.years),
            done.changed,
            if done.changed == 1 { "" } else { "s" },
            done.data_version
        );
    }
    Ok(())
}

/// Set when a reading command found figures being brought up to date; the
/// binary then exits with [`FIGURES_OWED_EXIT`].
static FIGURES_OWED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The exit status of a reading command that ran while the figures from
/// providers' records were being brought up to date (docs/cli.md).
pub const FIGURES_OWED_EXIT: u8 = 3;

/// Whether this process found the figures being brought up to date.
pub fn figures_were_owed() -> bool {
    FIGURES_OWED.load(Ordering::Relaxed)
}

/// What to tell a reader when a recomputation is owed, or `None` when the
/// figures from records are up to date. (`lantern serve` shows it as a
/// banner.)
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

/// Before a reading command: say plainly (on standard error) when the
/// figures are being brought up to date, and remember it for the exit status.
pub fn warn_when_reading(ctx: &Ctx) -> Result<()> {
    let Ok(store) = ctx.open() else {
        return Ok(());
    };
    if let Some(notice) = figures_owed_notice(store.as_ref())? {
        eprintln!("warning: {notice}");
        FIGURES_OWED.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// `lantern recompute`: every indicator for every area and year, from the
/// current submissions in the store.
///
/// The store hands the records over one area at a time
/// ([`Store::chunks_by_area`]); worker threads (one per core) decode,
/// compute and serialise each area while the next is read, so reading and
/// computing overlap and only a few areas' records are in memory at once.
pub fn recompute(
    ctx: &Ctx,
    area: Option<String>,
    counts: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let mut store = ctx.open()?;
    // A full recomputation settles everything owed in the same transaction
    // as its figures; one area's leaves the rest to `settle_owed` first.
    let (owed, based_on) = match &area {
        None => (
            store
                .owed_recomputes()?
                .iter()
                .map(|o| o.id)
                .collect::<Vec<_>>(),
            Some(store.data_version()?),
        ),
        Some(_) => {
            settle_owed(ctx, store.as_mut())?;
            (Vec::new(), None)
        }
    };
    let started = Instant::now();
    let today = today();
    let query = ChunkQuery {
        areas: area.clone().map(|a| vec![a]),
        submission: None,
    };
    let mut computed = compute_streamed(store.as_ref(), &query, today, counts.is_some())?;
    let compute_time = started.elapsed();
    let mut sets = Vec::new();
    let mut scope: BTreeSet<(String, FinancialYear)> = BTreeSet::new();
    let areas = computed.len();
    let records: u64 = computed.iter().map(|d| d.records).sum();
    for done in &mut computed {
        scope.extend(done.sets.iter().map(|set| (set.area.clone(), set.year)));
        sets.append(&mut done.sets);
    }
    // Sets held for areas or years that no longer have records are retired.
    for held in store.figure_sets(area.as_deref())? {
        scope.insert((held.area.clone(), held.year));
    }
    let writing = Instant::now();
    let scope: Vec<(String, FinancialYear)> = scope.into_iter().collect();
    let meta = lantern_store::ImportMeta {
        kind: ImportKind::Recompute,
        file: match &area {
            Some(a) => format!("records: recompute {a}"),
            None => "records: recompute all".into(),
        },
        sha256: String::new(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    lantern_store::failpoint::hit("mid-recompute");
    let Some(receipt) = store.settle_recompute(&meta, &scope, &sets, &owed, based_on)? else {
        bail!(
            "another import changed the submissions while they were being recomputed; nothing was written: run `lantern recompute` again"
        );
    };
    let write_time = writing.elapsed();
    if let Some(path) = &counts {
        use std::fmt::Write as _;
        let mut csv = String::with_capacity(sets.len() * 16 * 1024);
        csv.push_str("area,year,indicator,breakdown,value\n");
        for done in &computed {
            for set in &done.computed {
                let prefix = format!("{},{},", set.area, set.year);
                for c in &set.counts {
                    csv.push_str(&prefix);
                    csv.push_str(&c.indicator);
                    csv.push(',');
                    csv.push_str(&c.breakdown);
                    let _ = writeln!(csv, ",{}", c.value);
                }
            }
        }
        write_atomically(path, csv.as_bytes())?;
    }
    if json {
        let v = serde_json::json!({
            "areas": areas,
            "records": records,
            "figure_sets": sets.len(),
            "added": receipt.added,
            "replaced": receipt.replaced,
            "unchanged": receipt.unchanged,
            "retired": scope.len().saturating_sub(sets.len()),
            "data_version": receipt.data_version,
            "seconds": { "read_and_compute": compute_time.as_secs_f64(), "write": write_time.as_secs_f64() },
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!(
            "Recomputed {} area{} from {} records: {} figure sets ({} new, {} changed, {} unchanged). Data version {}.",
            areas,
            if areas == 1 { "" } else { "s" },
            records,
            sets.len(),
            receipt.added,
            receipt.replaced,
            receipt.unchanged,
            receipt.data_version
        );
        out!(
            "Time: read and compute {:.2} s, write {:.2} s.",
            compute_time.as_secs_f64(),
            write_time.as_secs_f64()
        );
    }
    Ok(())
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
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a computation thread failed"))))
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

/// `lantern submissions [ID]`.
pub fn submissions(ctx: &Ctx, id: Option<i64>, json: bool) -> Result<()> {
    let store = ctx.open()?;
    if let Some(id) = id {
        let Some(s) = store.submission(id)? else {
            bail!("there is no submission {id}; `lantern submissions` lists them");
        };
        if json {
            let report: serde_json::Value =
                serde_json::from_str(&s.report).unwrap_or(serde_json::Value::Null);
            out!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "submission": s.id, "provider": s.provider, "month": s.month.to_string(),
                    "file": s.file, "sha256": s.sha256, "status": status_word(&s),
                    "rows": s.rows_read, "accepted_rows": s.rows_accepted, "rejected_rows": s.rows_rejected,
                    "areas": s.areas, "actor": s.actor, "at": s.at, "report": report,
                    "withdrawn": s.withdrawn,
                }))?
            );
            return Ok(());
        }
        out!(
            "Submission {} from {} for {} ({}), {} by {} at {}.",
            s.id,
            s.provider,
            s.month,
            s.file,
            status_word(&s),
            s.actor,
            s.at
        );
        let report: Report = serde_json::from_str(&s.report)
            .with_context(|| format!("the stored report of submission {id} is damaged"))?;
        out!("{}", report.to_text(&s.file).trim_end());
        return Ok(());
    }
    let all = store.submissions()?;
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|s| {
                serde_json::json!({
                    "submission": s.id, "provider": s.provider, "month": s.month.to_string(),
                    "file": s.file, "status": status_word(s), "rows": s.rows_read,
                    "accepted_rows": s.rows_accepted, "rejected_rows": s.rows_rejected,
                    "areas": s.areas, "actor": s.actor, "at": s.at,
                    "withdrawn": s.withdrawn,
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if all.is_empty() {
        out!("No submissions yet. Providers' files come in with `lantern import episodes FILE`.");
        return Ok(());
    }
    out!(
        "{:>5}  {:<8}  {:<7}  {:<10}  {:>9}  {:>9}  {:<20}  file",
        "id",
        "provider",
        "month",
        "status",
        "rows",
        "rejected",
        "at"
    );
    for s in &all {
        out!(
            "{:>5}  {:<8}  {:<7}  {:<10}  {:>9}  {:>9}  {:<20}  {}",
            s.id,
            s.provider,
            s.month.to_string(),
            status_word(s),
            s.rows_read,
            s.rows_rejected,
            s.at,
            s.file
        );
    }
    Ok(())
}

fn status_word(s: &lantern_store::SubmissionRecord) -> &'static str {
    if s.status == "rejected" {
        "rejected"
    } else if s.withdrawn.is_some() {
        "withdrawn"
    } else if s.replaced_by.is_some() {
        "replaced"
    } else if s.current {
        "current"
    } else {
        "superseded"
    }
}

/// `lantern submissions withdraw ID --reason TEXT`: the submission is never
/// current again, and the figures it touched are recomputed (the debt is
/// recorded with the withdrawal, so a crash in between is paid later).
pub fn withdraw(ctx: &Ctx, id: i64, reason: &str) -> Result<()> {
    let mut store = ctx.open()?;
    let meta = lantern_store::ImportMeta {
        kind: ImportKind::Withdrawal,
        file: format!("submission {id}"),
        sha256: String::new(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    let withdrawn = store.withdraw_submission(&meta, id, reason)?;
    out!(
        "Withdrew submission {} from {} for {} (by {}: {}). Data version {}.",
        withdrawn.id,
        withdrawn.provider,
        withdrawn.month,
        ctx.actor,
        reason.trim(),
        withdrawn.data_version
    );
    if withdrawn.owed.is_none() {
        out!("It was not its provider's current submission, so no figures change.");
        return Ok(());
    }
    if let Some(done) = settle_owed(ctx, store.as_mut())? {
        out!(
            "  Recomputed {} area{} ({}): {} figure set{} changed, {} unchanged; data version {}.",
            done.areas.len(),
            if done.areas.len() == 1 { "" } else { "s" },
            describe_years(&done.years),
            done.changed,
            if done.changed == 1 { "" } else { "s" },
            done.unchanged,
            done.data_version
        );
    }
    Ok(())
}

/// `lantern generate`: synthetic submissions for tests and benchmarks.
pub fn generate(scale: generate::Scale, seed: u64, dir: &Path) -> Result<()> {
    let started = Instant::now();
    let subdir = dir.join("submissions");
    std::fs::create_dir_all(&subdir)
        .with_context(|| format!("cannot create {}", subdir.display()))?;
    let agencies = generate::agencies(scale, seed);
    let mut register = String::from("code,name,area\n");
    for a in &agencies {
        register.push_str(&format!(
            "{},{},{}\n",
            a.code,
            a.name.replace(',', " "),
            a.area.as_deref().unwrap_or("")
        ));
    }
    write_atomically(&dir.join("agencies.csv"), register.as_bytes())?;
    let month = generate::REPORTING_MONTH;
    let mut sink = |agency: &lantern_core::records::Agency, bytes: &[u8]| -> Result<(), String> {
        let path = subdir.join(format!("{}-{month}.csv", agency.code));
        write_atomically(&path, bytes).map_err(|e| format!("{e:#}"))
    };
    let summary = generate::generate(scale, seed, &mut sink).map_err(anyhow::Error::msg)?;
    out!(
        "Generated {} rows for {} providers in {} area{} ({} people) in {:.1} s:",
        summary.rows,
        summary.providers,
        summary.areas,
        if summary.areas == 1 { "" } else { "s" },
        summary.people,
        started.elapsed().as_secs_f64()
    );
    out!("  {}", dir.join("agencies.csv").display());
    out!("  {}/*-{month}.csv", subdir.display());
    out!(
        "Load them with `lantern import agencies {}` and `lantern import episodes {}/*.csv`.",
        dir.join("agencies.csv").display(),
        subdir.display()
    );
    Ok(())
}
