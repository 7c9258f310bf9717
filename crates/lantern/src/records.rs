//! Providers' submissions on the command line: `lantern import episodes`,
//! `lantern submissions`, `lantern recompute` and `lantern generate`, and
//! what every command says about a recomputation of the figures owed.
//!
//! This module is an adapter: it reads the files, calls the use cases in
//! `lantern_app::records` (which check, pseudonymise, store and recompute)
//! and prints what they return. `lantern generate` writes synthetic files
//! from `lantern_core::records::generate`: a tool, not a use case.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lantern_app::Clock;
use lantern_app::records::{self, EpisodeFile, FileResult, SubmitOutcome};
use lantern_core::records::generate;

use crate::app::{Ctx, MAX_IMPORT_FILE, read_bounded, write_atomically};
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

/// The context the records' use cases run in: its clock's day is the
/// `--as-of` day when given, else `LANTERN_TODAY=YYYY-MM-DD` when that is
/// set (an alias kept for scripts and tests, like `--today` of reports; an
/// unreadable value is ignored for the real date). It is the latest date a
/// submission may hold, the end of the latest reporting month one may be
/// for, and what makes a year's figures final. Without either, providers'
/// records (which belong to no one council) are dated in UTC.
pub fn records_context(ctx: &Ctx) -> Ctx {
    let mut records = ctx.clone();
    if ctx.clock.fixed_day().is_some() {
        return records;
    }
    if let Some(day) = std::env::var("LANTERN_TODAY")
        .ok()
        .and_then(|d| d.parse().ok())
    {
        records.clock = Clock::fixed(day);
    }
    records
}

/// `lantern import episodes FILE...`.
pub fn import_episodes(ctx: &Ctx, files: &[PathBuf], opts: &EpisodeOptions) -> Result<()> {
    let ctx = &records_context(ctx);
    let key = records::pseudonym_key(std::env::var_os("LANTERN_PSEUDONYM_KEY"), &ctx.config)?;
    let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let total_bytes: u64 = files.iter().map(|f| size(f)).sum();
    let bar = progress::bar(total_bytes, "submissions");
    let episode_files: Vec<EpisodeFile> = files
        .iter()
        .map(|path| EpisodeFile {
            name: path.display().to_string(),
            size: size(path),
            bytes: Box::new(move || read_bounded(path, MAX_IMPORT_FILE)),
        })
        .collect();
    let options = records::EpisodeOptions {
        provider: opts.provider.clone(),
        month: opts.month.clone(),
        max_bad_rows: opts.max_bad_rows.clone(),
        no_recompute: opts.no_recompute,
    };
    // Standard output closed (`| head`): stop, and say so as the error.
    let mut printing = None;
    let results = records::import_episodes(
        ctx,
        &key,
        &episode_files,
        &options,
        &|done| bar.set_position(done),
        &mut |result| {
            if opts.json {
                return ControlFlow::Continue(());
            }
            match bar.suspend(|| print_result(result)) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    printing = Some(e);
                    ControlFlow::Break(())
                }
            }
        },
    )?;
    if let Some(e) = printing {
        return Err(e);
    }
    bar.finish_and_clear();
    let failures = results
        .iter()
        .filter(|r| matches!(r.outcome, SubmitOutcome::Rejected))
        .count();
    if opts.no_recompute
        && !opts.json
        && results
            .iter()
            .any(|r| matches!(r.outcome, SubmitOutcome::Current))
    {
        out!(
            "The figures were not recomputed (--no-recompute): a recomputation is owed, and readers \
             are told so until `lantern recompute` or the next import pays it."
        );
    }
    if opts.json {
        let items: Vec<serde_json::Value> = results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "file": r.file,
                    "submission": r.submission,
                    "provider": r.provider,
                    "month": r.month,
                    "outcome": outcome_code(r.outcome),
                    "report": r.report,
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

fn print_result(r: &FileResult) -> Result<()> {
    let report = &r.report;
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

/// Before a writing command: settle what is owed, saying so on standard
/// error when there was anything.
pub fn settle_before_writing(ctx: &Ctx) -> Result<()> {
    if let Some(done) = records::settle_before_writing(&records_context(ctx))? {
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
static FIGURES_OWED: AtomicBool = AtomicBool::new(false);

/// The exit status of a reading command that ran while the figures from
/// providers' records were being brought up to date (docs/cli.md).
pub const FIGURES_OWED_EXIT: u8 = 3;

/// Whether this process found the figures being brought up to date.
pub fn figures_were_owed() -> bool {
    FIGURES_OWED.load(Ordering::Relaxed)
}

/// Before a reading command: say plainly (on standard error) when the
/// figures are being brought up to date, and remember it for the exit status.
pub fn warn_when_reading(ctx: &Ctx) -> Result<()> {
    if let Some(notice) = records::owed_notice(ctx)? {
        eprintln!("warning: {notice}");
        FIGURES_OWED.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// `lantern recompute`: every indicator for every area and year (or one
/// area), from the current submissions in the store.
pub fn recompute(
    ctx: &Ctx,
    area: Option<String>,
    counts: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let ctx = &records_context(ctx);
    let done = records::recompute(ctx, area.as_deref(), counts.is_some())?;
    if let Some(path) = &counts {
        write_atomically(path, done.counts_csv().as_bytes())?;
    }
    if json {
        let v = serde_json::json!({
            "areas": done.areas,
            "records": done.records,
            "figure_sets": done.figure_sets,
            "added": done.added,
            "replaced": done.replaced,
            "unchanged": done.unchanged,
            "retired": done.retired,
            "data_version": done.data_version,
            "seconds": { "read_and_compute": done.read_and_compute.as_secs_f64(), "write": done.write.as_secs_f64() },
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!(
            "Recomputed {} area{} from {} records: {} figure sets ({} new, {} changed, {} unchanged). Data version {}.",
            done.areas,
            if done.areas == 1 { "" } else { "s" },
            done.records,
            done.figure_sets,
            done.added,
            done.replaced,
            done.unchanged,
            done.data_version
        );
        out!(
            "Time: read and compute {:.2} s, write {:.2} s.",
            done.read_and_compute.as_secs_f64(),
            done.write.as_secs_f64()
        );
    }
    Ok(())
}

/// `lantern submissions [ID]`.
pub fn submissions(ctx: &Ctx, id: Option<i64>, json: bool) -> Result<()> {
    if let Some(id) = id {
        let s = records::submission(ctx, id)?;
        if json {
            let report: serde_json::Value =
                serde_json::from_str(&s.report).unwrap_or(serde_json::Value::Null);
            out!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "submission": s.id, "provider": s.provider, "month": s.month.to_string(),
                    "file": s.file, "sha256": s.sha256, "status": records::status(&s),
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
            records::status(&s),
            s.actor,
            s.at
        );
        let report = records::report(&s)?;
        out!("{}", report.to_text(&s.file).trim_end());
        return Ok(());
    }
    let all = records::submissions(ctx)?;
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|s| {
                serde_json::json!({
                    "submission": s.id, "provider": s.provider, "month": s.month.to_string(),
                    "file": s.file, "status": records::status(s), "rows": s.rows_read,
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
            records::status(s),
            s.rows_read,
            s.rows_rejected,
            s.at,
            s.file
        );
    }
    Ok(())
}

/// `lantern submissions withdraw ID --reason TEXT`: the submission is never
/// current again, and the figures it touched are recomputed (the debt is
/// recorded with the withdrawal, so a crash in between is paid later).
pub fn withdraw(ctx: &Ctx, id: i64, reason: &str) -> Result<()> {
    let ctx = &records_context(ctx);
    let withdrawn = records::withdraw(ctx, id, reason)?;
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
    if let Some(done) = records::settle_owed(ctx)? {
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

/// `lantern generate`: synthetic submissions for tests and benchmarks, on
/// synthetic area codes unless `area` names a real one.
pub fn generate(scale: generate::Scale, seed: u64, area: Option<&str>, dir: &Path) -> Result<()> {
    let area = area.map(str::trim);
    if let Some(code) = area
        && !(code.len() == 9
            && code.starts_with('E')
            && code[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        anyhow::bail!(
            "--area {code}: give a local authority code as providers' submissions write it, E and eight digits (e.g. E06000016)"
        );
    }
    let started = Instant::now();
    let subdir = dir.join("submissions");
    std::fs::create_dir_all(&subdir)
        .with_context(|| format!("cannot create {}", subdir.display()))?;
    let agencies = generate::agencies(scale, seed, area);
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
    let summary = generate::generate(scale, seed, area, &mut sink).map_err(anyhow::Error::msg)?;
    out!(
        "Generated {} rows for {} providers in {} area{} ({} people) in {:.1} s:",
        summary.rows,
        summary.providers,
        summary.areas,
        if summary.areas == 1 { "" } else { "s" },
        summary.people,
        started.elapsed().as_secs_f64()
    );
    match area {
        Some(code) => {
            out!("  The council's area is {code}, as asked; every other area is synthetic (E99…).")
        }
        None => out!(
            "  Every area has a synthetic code (E99…), so no real council's figures change; --area CODE puts the council's on a real code."
        ),
    }
    out!("  {}", dir.join("agencies.csv").display());
    out!("  {}/*-{month}.csv", subdir.display());
    out!(
        "Load them with `lantern import agencies {}` and `lantern import episodes {}/*.csv`.",
        dir.join("agencies.csv").display(),
        subdir.display()
    );
    Ok(())
}
