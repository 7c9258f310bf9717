//! Treatment providers' own view of their submissions, for the pages and
//! the API: their history and status (newest first, paged), one
//! submission with its validation report (on screen, as JSON or as CSV),
//! and sending a monthly file (a resubmission for a month already sent is
//! a new submission; the earlier one is kept, replaced, as
//! [`crate::records`] does for every file).
//!
//! Every use case takes the acting person and checks the scope here: a
//! provider acts for the one provider their role names, and another
//! provider's submission is "not found", exactly as one that does not
//! exist, so that its existence is not revealed. What is shown carries no
//! personal data: the validation report names rows, columns and reasons,
//! and only values that cannot identify anyone (the rule of
//! `lantern_core::records::submission::redact`).

use std::ops::ControlFlow;
use std::path::Path;

use lantern_core::records::submission::Report;
use lantern_core::records::{PseudonymKey, YearMonth};
use lantern_store::SubmissionRecord;

use crate::accounts::{Actor, Role};
use crate::records::{EpisodeFile, EpisodeOptions, FileResult, import_episodes};
use crate::{Context, Error, Kind, Result};

/// Submissions per page of a provider's history.
pub const PAGE_SIZE: u64 = 25;

/// The largest submission file taken from a page or the API, in bytes.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// The provider (agency code) `actor` acts for: refused for anyone
/// without a provider's role.
pub fn provider_of(actor: &Actor) -> Result<String> {
    actor
        .grants
        .iter()
        .find(|g| g.role == Role::Provider)
        .and_then(|g| g.provider.clone())
        .ok_or_else(|| {
            Error::new(
                Kind::Forbidden,
                "only a provider's users see and send its submissions",
            )
        })
}

/// A submission as its provider sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SubmissionView {
    /// Its id.
    pub id: i64,
    /// The provider.
    pub provider: String,
    /// The reporting month, `YYYY-MM`.
    pub month: String,
    /// The file's name as sent.
    pub file: String,
    /// `current`, `superseded`, `replaced`, `withdrawn` or `rejected`
    /// ([`crate::records::status`]).
    pub status: &'static str,
    /// Rows read, kept and refused.
    pub rows_read: u64,
    /// Rows kept.
    pub rows_accepted: u64,
    /// Rows refused.
    pub rows_rejected: u64,
    /// The later submission for the same month that replaced it.
    pub replaced_by: Option<i64>,
    /// Who sent it (a user name, or `token:ID` for an API token).
    pub sent_by: String,
    /// When (RFC 3339).
    pub sent_at: String,
}

impl SubmissionView {
    fn of(s: &SubmissionRecord) -> SubmissionView {
        SubmissionView {
            id: s.id,
            provider: s.provider.clone(),
            month: s.month.to_string(),
            file: s.file.clone(),
            status: crate::records::status(s),
            rows_read: s.rows_read,
            rows_accepted: s.rows_accepted,
            rows_rejected: s.rows_rejected,
            replaced_by: s.replaced_by,
            sent_by: s.actor.clone(),
            sent_at: s.at.clone(),
        }
    }
}

/// One page of a provider's submissions, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SubmissionPage {
    /// The provider.
    pub provider: String,
    /// This page's submissions.
    pub submissions: Vec<SubmissionView>,
    /// The page (from 1).
    pub page: u64,
    /// Submissions per page.
    pub per_page: u64,
    /// How many pages there are (at least 1).
    pub pages: u64,
    /// How many submissions the provider has.
    pub total: u64,
}

/// Page `page` (from 1) of `actor`'s provider's submissions, newest first,
/// `per_page` to a page (the pages use [`PAGE_SIZE`]; the API its own).
/// A page past the last is refused as invalid, naming the pages there are.
pub fn submissions(
    ctx: &Context,
    actor: &Actor,
    page: u64,
    per_page: u64,
) -> Result<SubmissionPage> {
    let provider = provider_of(actor)?;
    if page == 0 {
        crate::fail!(Invalid, "page={page}: pages are numbered from 1");
    }
    if per_page == 0 {
        crate::fail!(Invalid, "per_page=0: a page holds at least 1 submission");
    }
    let store = ctx.open()?;
    let offset = (page - 1).saturating_mul(per_page);
    let (held, total) = store.provider_submissions(&provider, offset, per_page)?;
    let pages = total.div_ceil(per_page).max(1);
    if page > pages {
        crate::fail!(
            Invalid,
            "page {page}: there are {pages} pages of submissions"
        );
    }
    Ok(SubmissionPage {
        provider,
        submissions: held.iter().map(SubmissionView::of).collect(),
        page,
        per_page,
        pages,
        total,
    })
}

/// One submission with its validation report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SubmissionDetail {
    /// The submission.
    pub submission: SubmissionView,
    /// Its validation report.
    pub report: Report,
}

/// Submission `id` of `actor`'s provider, with its report: not found when
/// there is none, or it is another provider's.
pub fn submission(ctx: &Context, actor: &Actor, id: i64) -> Result<SubmissionDetail> {
    let provider = provider_of(actor)?;
    let store = ctx.open()?;
    match store.submission(id)? {
        Some(s) if s.provider == provider => Ok(SubmissionDetail {
            report: crate::records::report(&s)?,
            submission: SubmissionView::of(&s),
        }),
        _ => Err(Error::not_found(format!(
            "there is no submission {id} of yours; your submissions page lists them"
        ))),
    }
}

/// A validation report as CSV: one line per problem, errors then
/// warnings, with the columns `kind`, `row`, `cell`, `field`, `value`,
/// `length` and `reason` (a value only where it cannot identify anyone).
pub fn report_csv(report: &Report) -> Result<String> {
    let failed = |e: csv::Error| Error::new(Kind::Internal, format!("cannot write CSV: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["kind", "row", "cell", "field", "value", "length", "reason"])
        .map_err(failed)?;
    let problems = report
        .errors
        .iter()
        .map(|p| ("error", p))
        .chain(report.warnings.iter().map(|p| ("warning", p)));
    for (kind, p) in problems {
        out.write_record([
            kind,
            &p.line.to_string(),
            p.cell.as_deref().unwrap_or(""),
            p.field.as_deref().unwrap_or(""),
            p.value.as_deref().unwrap_or(""),
            &p.length.map(|n| n.to_string()).unwrap_or_default(),
            &p.reason,
        ])
        .map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::new(Kind::Internal, format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::new(Kind::Internal, format!("CSV: {e}")))
}

/// What a submission file is, from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// Comma-separated text.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// The file's type: a `.csv` name with text in it, or an `.xlsx` name
/// with a workbook (a zip) in it; anything else is refused, saying what
/// to send.
pub fn file_type(name: &str, bytes: &[u8]) -> Result<FileType> {
    let extension = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let zip = bytes.starts_with(b"PK\x03\x04");
    let head = &bytes[..bytes.len().min(8192)];
    let text = !zip && !head.contains(&0) && !bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    match extension.as_str() {
        "csv" if text => Ok(FileType::Csv),
        "xlsx" if zip => Ok(FileType::Xlsx),
        "csv" | "xlsx" => crate::fail!(
            Invalid,
            "the file's content is not what its name says ({name}): send the monthly file as CSV text (.csv) or an Excel workbook (.xlsx)"
        ),
        _ => crate::fail!(
            Invalid,
            "send the monthly file as CSV (.csv) or an Excel workbook (.xlsx); a file named {name} is neither"
        ),
    }
}

/// The reporting month: the one given (`YYYY-MM`), else the one the file
/// name carries (`AGENCY-YYYY-MM.csv`).
fn month_of(name: &str, given: Option<&str>) -> Result<YearMonth> {
    if let Some(m) = given.map(str::trim).filter(|m| !m.is_empty()) {
        return YearMonth::parse(m).ok_or_else(|| {
            Error::invalid(format!(
                "month '{m}': give the reporting month as YYYY-MM, such as 2026-03"
            ))
        });
    }
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    stem.split_once('-')
        .and_then(|(_, m)| YearMonth::parse(m))
        .ok_or_else(|| {
            Error::invalid(format!(
                "which reporting month is {name}? Give the month (YYYY-MM), or name the file AGENCY-YYYY-MM.csv"
            ))
        })
}

/// Send a monthly file for `actor`'s provider: checked (every row must be
/// the provider's own), pseudonymised with `key` and stored as a new
/// submission; the figures it changes are recomputed. A file for a month
/// already sent replaces the earlier submission, which is kept. A file
/// with bad rows is a submission with its report, not an error; a file
/// of the wrong type, or with no month, is refused with nothing stored.
pub fn submit(
    ctx: &Context,
    actor: &Actor,
    key: &PseudonymKey,
    name: &str,
    bytes: &[u8],
    month: Option<&str>,
) -> Result<FileResult> {
    let provider = provider_of(actor)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        crate::fail!(
            Invalid,
            "name the file (such as {provider}-2026-03.csv), at most 200 characters on one line"
        );
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        crate::fail!(
            Invalid,
            "the file is larger than {} MB; send one month's records",
            MAX_FILE_BYTES >> 20
        );
    }
    file_type(name, bytes)?;
    let month = month_of(name, month)?;
    let today = ctx.clock.today();
    if month.first_day() > today {
        crate::fail!(
            Invalid,
            "the reporting month {month} has not begun (today is {today}); check the month. Nothing was stored."
        );
    }
    let files = [EpisodeFile::from_bytes(name, bytes)];
    let options = EpisodeOptions {
        provider: Some(provider),
        month: Some(month.to_string()),
        ..EpisodeOptions::default()
    };
    let mut results = import_episodes(ctx, key, &files, &options, &|_| {}, &mut |_| {
        ControlFlow::Continue(())
    })?;
    results
        .pop()
        .ok_or_else(|| Error::new(Kind::Internal, "the file was not stored"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Grant;
    use lantern_core::records::submission::Problem;

    #[test]
    fn file_types_are_checked_by_name_and_content() {
        assert_eq!(
            file_type("P1-2026-03.csv", b"AGNCY,CLIENT\n").unwrap(),
            FileType::Csv
        );
        assert_eq!(
            file_type("P1-2026-03.XLSX", b"PK\x03\x04rest").unwrap(),
            FileType::Xlsx
        );
        for (name, bytes) in [
            ("P1-2026-03.xlsx", &b"AGNCY,CLIENT\n"[..]),
            ("P1-2026-03.csv", &b"PK\x03\x04rest"[..]),
            ("P1-2026-03.csv", &b"AG\0NCY"[..]),
            ("P1-2026-03.csv", &[0xD0, 0xCF, 0x11, 0xE0][..]),
            ("P1-2026-03.pdf", &b"%PDF-1.4"[..]),
            ("P1-2026-03", &b"AGNCY\n"[..]),
        ] {
            assert_eq!(
                file_type(name, bytes).unwrap_err().kind(),
                Kind::Invalid,
                "{name}"
            );
        }
    }

    #[test]
    fn the_month_is_the_one_given_else_the_file_names() {
        assert_eq!(
            month_of("P1-2026-03.csv", None).unwrap().to_string(),
            "2026-03"
        );
        assert_eq!(
            month_of("whatever.csv", Some("2025-11"))
                .unwrap()
                .to_string(),
            "2025-11"
        );
        assert!(month_of("whatever.csv", None).is_err());
        assert!(month_of("P1-2026-03.csv", Some("March")).is_err());
    }

    #[test]
    fn only_a_providers_users_act_for_it() {
        let actor = |grant: &str| Actor {
            username: "u".into(),
            display_name: "u".into(),
            council: "C".into(),
            grants: vec![Grant::parse(grant).unwrap()],
        };
        assert_eq!(provider_of(&actor("provider:P7")).unwrap(), "P7");
        assert_eq!(
            provider_of(&actor("admin")).unwrap_err().kind(),
            Kind::Forbidden
        );
    }

    #[test]
    fn the_csv_report_has_a_header_and_one_line_per_problem() {
        let problem = |line: u64, field: &str| Problem {
            line,
            cell: None,
            field: Some(field.into()),
            value: None,
            length: Some(8),
            reason: "not a date, \"really\"".into(),
        };
        let report = Report {
            rows: 3,
            accepted_rows: 2,
            rejected_rows: 1,
            verdict: lantern_core::records::submission::Verdict::AcceptedWithRejections,
            errors: vec![problem(3, "DOB")],
            warnings: vec![problem(4, "DISD")],
            limit: "1".into(),
            truncated: 0,
        };
        assert_eq!(
            report_csv(&report).unwrap(),
            "kind,row,cell,field,value,length,reason\n\
             error,3,,DOB,,8,\"not a date, \"\"really\"\"\"\n\
             warning,4,,DISD,,8,\"not a date, \"\"really\"\"\"\n"
        );
    }
}
