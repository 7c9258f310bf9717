//! `import episodes`: providers' files in, one submission each.
//!
//! Each file is read, checked and pseudonymised by the core
//! (`lantern_core::records::submission`; a workbook through [`crate::xlsx`])
//! on one worker per core, while this thread stores the files in the order
//! given, each as one submission in its own transaction. A submission that
//! becomes current has the areas and years it changed recomputed at once
//! (unless asked not to), so the figures follow it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use jiff::civil::Date;
use lantern_core::records::submission::{self, BadRowLimit, Outcome, Report, Verdict};
use lantern_core::records::{PseudonymKey, YearMonth, chunk};
use lantern_store::{ImportKind, ImportMeta, NewChunk, NewSubmission, Store, SubmitOutcome};
use sha2::{Digest, Sha256};

use super::recompute::{Recomputed, plan_after, settle_owed_in, write_plan};
use crate::{Context, Error, Result, hex, now};

/// One provider's file to take in: its name and a way to read its bytes.
///
/// The bytes are read when a worker comes to the file, so that only a few
/// files are in memory at once however many are given.
pub struct EpisodeFile<'a> {
    /// The file's name as the user knows it (`N0852-2026-03.csv`): the
    /// agency and reporting month may be in it, `.xlsx` says a workbook,
    /// and problems are reported against it.
    pub name: String,
    /// Its size in bytes, for progress.
    pub size: u64,
    /// Its contents.
    pub bytes: Box<dyn Fn() -> Result<Vec<u8>> + Sync + 'a>,
}

impl<'a> EpisodeFile<'a> {
    /// A file whose bytes are already in memory.
    pub fn from_bytes(name: impl Into<String>, bytes: &'a [u8]) -> EpisodeFile<'a> {
        EpisodeFile {
            name: name.into(),
            size: bytes.len() as u64,
            bytes: Box::new(move || Ok(bytes.to_vec())),
        }
    }
}

/// How to take the files in.
#[derive(Debug, Clone, Default)]
pub struct EpisodeOptions {
    /// The agency every file must be from (else from the file name or rows).
    pub provider: Option<String>,
    /// The reporting month, `YYYY-MM` (else from the file name).
    pub month: Option<String>,
    /// Bad-row limit (`5`, `1%`) overriding `[records] max_bad_rows`.
    pub max_bad_rows: Option<String>,
    /// Leave the figures alone: the recomputation stays owed until
    /// `recompute` or the next import pays it.
    pub no_recompute: bool,
}

/// What storing one file did.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The file's name.
    pub file: String,
    /// The submission that holds it (for an unchanged file, the one
    /// already held).
    pub submission: i64,
    /// The agency it is from.
    pub provider: String,
    /// The reporting month, `YYYY-MM`.
    pub month: String,
    /// What became of it.
    pub outcome: SubmitOutcome,
    /// Its validation report.
    pub report: Report,
    /// The recomputation it brought about, if it became current.
    pub recompute: Option<Recomputed>,
}

/// Take providers' files in, in the order given (a later file for the same
/// provider and month wins).
///
/// `progress` is told how many bytes of the files have been stored;
/// `on_file` is given each file's result as soon as it is stored, and
/// stops the import (the files stored so far stay stored) by returning
/// [`ControlFlow::Break`]. Returns every file's result; a rejected file is
/// one of them (its report says why), not an error. An error stops the
/// import at the file it names; the files before it stay stored.
pub fn import_episodes(
    ctx: &Context,
    key: &PseudonymKey,
    files: &[EpisodeFile<'_>],
    options: &EpisodeOptions,
    progress: &dyn Fn(u64),
    on_file: &mut dyn FnMut(&FileResult) -> ControlFlow<()>,
) -> Result<Vec<FileResult>> {
    let mut store = ctx.open()?;
    let fingerprint = key.fingerprint();
    let held = store.key_fingerprints()?;
    if let Some(other) = held.iter().find(|f| **f != fingerprint) {
        return Err(Error::conflict(format!(
            "this pseudonymisation key is not the one earlier submissions were made with \
             (fingerprint {fingerprint}, held {other}); with a different key every person would be \
             counted twice. Use the deployment's key (LANTERN_PSEUDONYM_KEY or [records] key_file)."
        )));
    }
    let agencies: BTreeSet<String> = store.agencies()?.into_iter().map(|a| a.code).collect();
    if agencies.is_empty() {
        return Err(Error::conflict(
            "no treatment providers are registered; import the register first with `lantern import agencies FILE` (docs/formats/episodes.md)",
        ));
    }
    let limit_text = options
        .max_bad_rows
        .clone()
        .or_else(|| ctx.config.records.max_bad_rows.clone());
    let limit: BadRowLimit = match &limit_text {
        Some(t) => t
            .parse()
            .map_err(|e| Error::invalid(format!("max bad rows '{t}': {e}")))?,
        None => BadRowLimit::default(),
    };
    let today = ctx.clock.today();

    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    let mut results = Vec::new();
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<(usize, Result<Parsed>)>(workers);
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, agencies) = (&next, &agencies);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let parsed = parse_file(file, options, limit, key, agencies, today);
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
                done_bytes += files[due].size;
                due += 1;
                let parsed = match parsed {
                    Ok(p) => p,
                    Err(e) => {
                        // Stop handing out files; those already stored stay stored.
                        next.store(files.len(), Ordering::Relaxed);
                        return Err(e);
                    }
                };
                let result = store_one(ctx, store.as_mut(), parsed, &fingerprint, options)?;
                progress(done_bytes);
                let flow = on_file(&result);
                results.push(result);
                if flow.is_break() {
                    next.store(files.len(), Ordering::Relaxed);
                    return Ok(());
                }
            }
        }
        Ok(())
    })?;
    Ok(results)
}

/// The agency and reporting month a file name carries: `N0852-2026-03.csv`.
fn from_file_name(name: &str) -> (Option<String>, Option<YearMonth>) {
    let stem = Path::new(name)
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
    /// could say (the provider option or the file name).
    named_provider: String,
    sha256: String,
    outcome: Outcome,
    chunks: Vec<NewChunk>,
}

fn parse_file(
    file: &EpisodeFile<'_>,
    options: &EpisodeOptions,
    limit: BadRowLimit,
    key: &PseudonymKey,
    agencies: &BTreeSet<String>,
    today: Date,
) -> Result<Parsed> {
    let name = file.name.clone();
    let (name_agency, name_month) = from_file_name(&name);
    let month = match &options.month {
        Some(m) => YearMonth::parse(m).ok_or_else(|| {
            Error::invalid(format!(
                "--month {m}: give the reporting month as YYYY-MM"
            ))
        })?,
        None => name_month.ok_or_else(|| {
            Error::invalid(format!(
                "{name}: which reporting month is this? Give --month YYYY-MM, or name the file AGENCY-YYYY-MM.csv"
            ))
        })?,
    };
    // A month that has not begun cannot be reported on; taken, it would
    // stay the provider's current submission and hide every real month.
    if month.first_day() > today {
        return Err(Error::invalid(format!(
            "{name}: the reporting month {month} has not begun (today is {today}); \
             check --month or the month in the file name (AGENCY-YYYY-MM.csv). \
             Nothing from this file was stored."
        )));
    }
    let named_provider = options
        .provider
        .clone()
        .or(name_agency.clone())
        .unwrap_or_else(|| "unknown".into());
    // A file named for an agency holds that agency's rows: a registered
    // code, or one shaped like an agency code, in the name is checked
    // against every row (and an unregistered one refused).
    let provider = options
        .provider
        .clone()
        .or(name_agency.filter(|a| agencies.contains(a) || looks_like_agency_code(a)));
    let bytes = (file.bytes)()?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let context = submission::Context {
        key,
        agencies,
        provider: provider.as_deref(),
        month,
        today,
        limit,
    };
    let outcome = match Format::of(&name, &bytes) {
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
    fn of(name: &str, bytes: &[u8]) -> Format {
        let extension = Path::new(name)
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

/// Store one file as a submission (its own transaction), then recompute
/// what it changed (the figures' own transaction).
fn store_one(
    ctx: &Context,
    store: &mut dyn Store,
    parsed: Parsed,
    fingerprint: &str,
    options: &EpisodeOptions,
) -> Result<FileResult> {
    let Parsed {
        name,
        named_provider,
        sha256,
        outcome,
        chunks,
    } = parsed;
    let report = outcome.report;
    let accepted = !matches!(report.verdict, Verdict::Rejected { .. });
    let meta = ImportMeta {
        kind: ImportKind::Episodes,
        file: name.clone(),
        sha256,
        actor: ctx.actor.clone(),
        at: now(),
    };
    let provider = if outcome.provider.is_empty() {
        named_provider
    } else {
        outcome.provider
    };
    let new = NewSubmission {
        provider: provider.clone(),
        month: outcome.month,
        key_fingerprint: fingerprint.to_string(),
        accepted,
        rows_read: report.rows,
        rows_accepted: report.accepted_rows,
        rows_rejected: report.rejected_rows,
        report_json: serde_json::to_string(&report)?,
        chunks: if accepted { chunks } else { vec![] },
    };
    let submitted = store.submit(&meta, &new)?;
    lantern_store::failpoint::hit("after-submit-commit");
    let recompute = match submitted.owed {
        Some(owed) if !options.no_recompute => {
            // Computed from the data version the submission made; should
            // another writer have changed the data since, everything owed
            // is settled afresh.
            let plan = plan_after(
                store,
                Some(submitted.id),
                submitted.previous_current,
                ctx.clock.today(),
            )?;
            lantern_store::failpoint::hit("mid-recompute");
            match write_plan(ctx, store, plan, &[owed], submitted.receipt.data_version)? {
                Some(done) => Some(done),
                None => settle_owed_in(ctx, store)?,
            }
        }
        _ => None,
    };
    lantern_store::failpoint::hit("after-figures-commit");
    Ok(FileResult {
        file: name,
        submission: submitted.id,
        provider,
        month: outcome.month.to_string(),
        outcome: submitted.outcome,
        report,
        recompute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_gives_the_agency_and_month() {
        let (agency, month) = from_file_name("in/N0852-2026-03.csv");
        assert_eq!(agency.as_deref(), Some("N0852"));
        assert_eq!(month.map(|m| m.to_string()).as_deref(), Some("2026-03"));
        assert_eq!(from_file_name("march.csv"), (None, None));
        assert!(looks_like_agency_code("N0852"));
        assert!(looks_like_agency_code("A1"));
        assert!(!looks_like_agency_code("march"));
        assert!(!looks_like_agency_code("submission"));
        assert!(!looks_like_agency_code("N"));
    }

    #[test]
    fn a_workbook_is_told_by_its_bytes_or_its_name() {
        assert_eq!(Format::of("a.csv", b"PK\x03\x04rest"), Format::Xlsx);
        assert_eq!(Format::of("a.XLSX", b"client"), Format::Xlsx);
        assert_eq!(Format::of("a.csv", &[0xD0, 0xCF, 0x11, 0xE0]), Format::Xls);
        assert_eq!(Format::of("a.xls", b""), Format::Xls);
        assert_eq!(Format::of("a.txt", b"client,"), Format::Csv);
    }
}
