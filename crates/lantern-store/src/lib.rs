//! Lantern's storage boundary: the [`Store`] trait, spoken in domain
//! vocabulary, written once over any database engine (`sql/`), with two
//! engines: SQLite, the embedded default (`sqlite.rs`), and PostgreSQL for
//! shared deployments (`postgres.rs`). [`open`] and [`create`] pick the
//! engine from the location: a `postgres://` URL or a file path.
//!
//! Architecture invariants:
//! - The domain core never sees SQL. Adapters turn rows into core types
//!   (`Figure`, `Statement`, `Release`) and back; nothing else crosses.
//! - Every write is one transaction: an import either lands whole or not at
//!   all, and each change it makes is written to the audit log in the same
//!   transaction.
//! - Nothing is deleted or overwritten. A figure that a newer import changes
//!   is *retired* (its `retired_in` set) and the new one added, so every past
//!   data version can be read back exactly ([`Snapshot`]); that is how a
//!   letter made at version 7 can be made again, word for word, later.
//! - Providers' records are kept as they were packed
//!   (`lantern_core::records::chunk`): opaque bytes per submission and area,
//!   which the store never decodes. Only the counts computed from them
//!   (figure sets) are versioned and read back as figures.
//! - The portable subset of SQL is used (dates as ISO text, flags as
//!   integers, amounts as 64-bit integers in pence or units) so a PostgreSQL
//!   adapter can implement the same trait with the same schema.

pub mod accounts;
pub mod dump;
pub mod engine;
pub mod failpoint;
pub mod outbox;
pub mod pool;
pub mod postgres;
pub mod publications;
pub mod rows;
mod scrub;
pub mod sql;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
pub mod writer;

use lantern_core::FinancialYear;
use lantern_core::casework::{
    Action, ActionDetail, Case, CaseEvent, LogEntry, Status, TransitionError,
};
use lantern_core::catalogue::{Catalogue, CatalogueError};
use lantern_core::figure::{Figure, Status as FigureStatus};
use lantern_core::records::{Agency, YearMonth};
use lantern_core::release::Release;
use lantern_core::statement::Statement;

/// What kind of data an import brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// A new database.
    Init,
    /// Figures (long CSV).
    Figures,
    /// Statements.
    Statements,
    /// Releases (publication calendar).
    Releases,
    /// A council catalogue extension.
    Catalogue,
    /// The agency (provider) register.
    Agencies,
    /// A provider's episode-level submission.
    Episodes,
    /// Figures recomputed from the records of current submissions.
    Recompute,
    /// Bank holidays (gov.uk format) added to the shipped calendar.
    BankHolidays,
    /// A submission withdrawn by an officer.
    Withdrawal,
    /// A council's settings (`lantern council set`, or `lantern.toml` taken in).
    Council,
    /// A release withdrawn from the publication calendar by an officer.
    ReleaseWithdrawal,
    /// A phrase officers taught, removed (no data version: it changes how
    /// requests are read, not the data).
    PhraseRemoval,
    /// A not-held declaration made by an officer (on a case or council-wide).
    NotHeld,
    /// A not-held declaration withdrawn by an officer.
    NotHeldWithdrawal,
    /// Figures published by Lantern (no data version: it changes what is
    /// released, not the figures held).
    Publication,
    /// A publication added to the publication calendar.
    PublicationPlan,
    /// A council's letter template set or reverted to the default.
    LetterTemplate,
}

impl ImportKind {
    /// Code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Init => "init",
            ImportKind::Figures => "figures",
            ImportKind::Statements => "statements",
            ImportKind::Releases => "releases",
            ImportKind::Catalogue => "catalogue",
            ImportKind::Agencies => "agencies",
            ImportKind::Episodes => "episodes",
            ImportKind::Recompute => "recompute",
            ImportKind::BankHolidays => "bank_holidays",
            ImportKind::Withdrawal => "withdrawal",
            ImportKind::Council => "council",
            ImportKind::ReleaseWithdrawal => "release_withdrawal",
            ImportKind::PhraseRemoval => "phrase_removal",
            ImportKind::NotHeld => "not_held",
            ImportKind::NotHeldWithdrawal => "not_held_withdrawal",
            ImportKind::Publication => "publication",
            ImportKind::PublicationPlan => "publication_plan",
            ImportKind::LetterTemplate => "letter_template",
        }
    }
}

/// Who brought a file in, and what file it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMeta {
    /// The kind of data.
    pub kind: ImportKind,
    /// File name as given.
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Who ran the import.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReceipt {
    /// The import's id.
    pub import: i64,
    /// Records read.
    pub rows: usize,
    /// Records that were new.
    pub added: usize,
    /// Records that replaced a different earlier version.
    pub replaced: usize,
    /// Records identical to what was held (nothing written).
    pub unchanged: usize,
    /// The data version after the import.
    pub data_version: i64,
}

/// One past import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// Id (data versions are import ids).
    pub id: i64,
    /// Kind code.
    pub kind: String,
    /// File name.
    pub file: String,
    /// SHA-256 hex.
    pub sha256: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
    /// Counts.
    pub receipt: ImportReceipt,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// The import it belongs to.
    pub import: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What happened: `figure.add`, `figure.replace`, `statement.add`, …
    pub action: String,
    /// The record's key.
    pub key: String,
    /// Before and after, as JSON.
    pub detail: String,
}

/// What to look for in the audit trail ([`Store::audit_trail`]); an empty
/// field matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// Who acted (exactly).
    pub actor: String,
    /// What they did: the action's start (`figure.`, `approve`, `user.`).
    pub action: String,
    /// Which record: a case's reference, a user name, a record key (exactly).
    pub record: String,
    /// At or after this time (`YYYY-MM-DD` or an RFC 3339 time).
    pub from: String,
    /// Before this time (the same).
    pub before: String,
    /// How many of the newest matches to skip (paging).
    pub offset: usize,
    /// At most this many.
    pub limit: usize,
}

/// One line of the audit trail: who did what to which record, and when.
/// No detail: the details may quote a requester, and stay in the database
/// and dumps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// Where it is recorded: `data` (the audit log of imports and data
    /// changes), `case` (a case's history) or `account` (account events).
    pub source: String,
    /// What happened.
    pub action: String,
    /// The record it happened to.
    pub record: String,
}

/// A stored text of a case that erasing its requester's details rewrites
/// ([`Store::erase_requester`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseText {
    /// The message the case was opened from (`cases.original`).
    Original,
    /// The structured request (TOML), with the requester's words.
    Structured,
    /// The kept draft letter (its JSON form).
    Draft,
    /// A note in the case's history.
    Note,
    /// The question of one of the case's disclosure log entries.
    LogQuestion,
    /// A free text of a not-held declaration made on the case, or made
    /// council-wide while resolving one of its findings: its reason, who
    /// holds the information instead, and why it was withdrawn; also where
    /// the audit log quotes them. Only names and contact details may go:
    /// the reason still has to say why the council does not hold it.
    Declaration,
    /// An officer's words on how one of the case's findings was resolved
    /// (a note, how an s12 estimate was made, what was asked to clarify).
    Resolution,
    /// A phrase an officer taught Lantern on the case.
    Phrase,
}

/// The requester's details as a case holds them when they are erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldDetails<'a> {
    /// Their name, if held.
    pub name: Option<&'a str>,
    /// Their contact details, if held.
    pub contact: Option<&'a str>,
}

/// What replaces a text of a case when its requester's details are erased.
pub type Rewrite<'a> = &'a dyn Fn(HeldDetails<'_>, CaseText, &str) -> Result<String, StoreError>;

/// Who acts, and when (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The user.
    pub actor: String,
    /// The time.
    pub at: String,
}

/// A bank-holiday calendar an administrator imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar {
    /// The import that brought it.
    pub import: i64,
    /// Its [`lantern_core::deadline::Calendar::version`] as imported.
    pub version: String,
    /// The file's text (gov.uk JSON format).
    pub body: String,
}

/// A blocking finding resolved by an officer, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResolution {
    /// What was missing (`lantern_core::finding::Finding::what`).
    pub finding: String,
    /// How it was resolved (`not_held`, `not_held_council`, `refer_s21`,
    /// `s12`, `seek_clarification`).
    pub kind: String,
    /// Why, in the officer's words.
    pub why: String,
    /// The not-held declaration it records, if it records one: a new data
    /// version (an import of kind `not_held`), audited.
    pub declaration: Option<lantern_core::finding::Declaration>,
    /// For an s12 estimate: the hours.
    pub hours: Option<f64>,
    /// A clock action taken with it, in the same transaction (putting the
    /// case on hold for clarification), with its detail.
    pub clock: Option<(Action, ActionDetail)>,
}

/// A blocking finding's resolution, as held.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResolution {
    /// What was missing.
    pub finding: String,
    /// How it was resolved.
    pub kind: String,
    /// Why.
    pub why: String,
    /// For an s12 estimate: the hours.
    pub hours: Option<f64>,
    /// When.
    pub at: String,
    /// Who.
    pub by: String,
}

/// A file attached to a request's e-mail, to keep with its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// Its file name as the e-mail gave it (personal data: erased with the
    /// requester's details).
    pub name: Option<String>,
    /// Its declared content type.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A file kept with a case ([`Store::attachments`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// Its place among the e-mail's attachments, from 1.
    pub position: i64,
    /// Its file name (`None` once erased, or when the e-mail gave none).
    pub name: Option<String>,
    /// Its declared content type.
    pub content_type: String,
    /// Its size in bytes, as kept.
    pub size: u64,
    /// The SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// When it was kept (RFC 3339), and by whom.
    pub kept_at: String,
    /// Who kept it (the person who took the request in).
    pub kept_by: String,
    /// When its name and bytes were erased (past retention), if they were.
    pub erased_at: Option<String>,
}

/// The final letter as sent, to keep with a case ([`Store::send_with_letter`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinalLetter {
    /// Its file name as uploaded.
    pub name: Option<String>,
    /// Its content type, as its content shows (not its name).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether its figures were compared with the approved letter's.
    pub compared: bool,
    /// The differences found (empty when none, or not compared).
    pub differences: Vec<String>,
}

/// A final letter kept with a case ([`Store::final_letters`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFinalLetter {
    /// Its place among the letters kept with the case, from 1.
    pub position: i64,
    /// Its file name (`None` once erased).
    pub name: Option<String>,
    /// Its content type.
    pub content_type: String,
    /// Its size in bytes, as kept.
    pub size: u64,
    /// The SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Whether its figures were compared with the approved letter's.
    pub compared: bool,
    /// The differences found.
    pub differences: Vec<String>,
    /// When it was kept (RFC 3339).
    pub kept_at: String,
    /// Who kept it (who recorded the case as sent).
    pub kept_by: String,
    /// When its name and bytes were erased (past retention), if they were.
    pub erased_at: Option<String>,
}

/// A not-held declaration as held, with its history: who made it and
/// when, the data version it is in force from, and its withdrawal if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeclaration {
    /// The declaration (with its id).
    pub declaration: lantern_core::finding::Declaration,
    /// When it was made (RFC 3339).
    pub declared_at: String,
    /// Who made it.
    pub declared_by: String,
    /// The data version it is in force from (`None`: made before
    /// declarations were versioned, in force at every version).
    pub added_in: Option<i64>,
    /// Its withdrawal, if it was withdrawn.
    pub withdrawn: Option<DeclarationWithdrawal>,
}

/// A declaration's withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationWithdrawal {
    /// The data version from which it is no longer in force.
    pub retired_in: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
}

/// One entry of the disclosure log as the public reads it: a sent request,
/// written once with its answer (the published copy: no requester, other
/// people's names removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEntry {
    /// The request's reference.
    pub reference: String,
    /// When the answer was sent (RFC 3339).
    pub sent_at: String,
    /// The year it was sent.
    pub year: i64,
    /// The request's title (its subject, as the officer left it).
    pub title: String,
    /// The outcome's code (`answered`, `partly_answered`, `not_held`, `refused`).
    pub outcome: String,
    /// The indicator and statement-topic codes it was about.
    pub topics: Vec<String>,
    /// Its questions and figures, labelled in words (JSON).
    pub questions: String,
    /// The words it is searched by: title, questions, indicator names and
    /// the figures' labels.
    pub search_text: String,
    /// False for an answer sent before the public log kept its questions.
    pub recorded: bool,
}

/// Which public log entries to read: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicLogQuery {
    /// Words every entry found has (full-text, stemmed).
    pub search: Option<String>,
    /// The year sent.
    pub year: Option<i64>,
    /// A topic code.
    pub topic: Option<String>,
    /// An outcome code.
    pub outcome: Option<String>,
    /// How many entries at most.
    pub limit: usize,
    /// How many to skip (newest first).
    pub offset: usize,
}

/// One page of the public log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicLogPage {
    /// The entries, newest first.
    pub entries: Vec<PublicEntry>,
    /// How many entries the query finds in all.
    pub total: usize,
}

/// The values the public log's filters can take: the years and topics of
/// the entries it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicLogFacets {
    /// Years with an entry, oldest first.
    pub years: Vec<i64>,
    /// Topic codes with an entry, sorted.
    pub topics: Vec<String>,
}

/// A phrase an officer taught Lantern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSynonym {
    /// The requester's words.
    pub phrase: String,
    /// What they mean: an indicator or topic code, or `dimension=value`.
    pub target: String,
    /// The case it was taught on, if any.
    pub reference: Option<String>,
    /// When.
    pub added_at: String,
    /// Who.
    pub added_by: String,
}

/// One version of a council's settings, as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCouncil {
    /// The settings.
    pub council: lantern_core::council::Council,
    /// The data version (import) that set them.
    pub data_version: i64,
    /// The data version that replaced them, if any.
    pub retired_in: Option<i64>,
    /// Who set them.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
}

/// One version of one of a council's letter templates, as held
/// (migration 19).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTemplate {
    /// The template's file name (`letter.md.j2`, `letter.html.j2`).
    pub name: String,
    /// Its text; `None` when this version returned to the default.
    pub source: Option<String>,
    /// What the change did, in lines.
    pub summary: String,
    /// The data version (import) that set it.
    pub data_version: i64,
    /// The data version that replaced it, if any.
    pub retired_in: Option<i64>,
    /// Who set it.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
}

/// What [`Store::set_council`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CouncilSet {
    /// The import: added (a new council), replaced (new settings) or
    /// unchanged (the same settings: nothing written).
    pub receipt: ImportReceipt,
    /// What the first council took over from before councils (all zero
    /// otherwise).
    pub adopted: Adopted,
}

/// Rows of no council (written before councils were held) that the first
/// council created took over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Adopted {
    /// Cases (with their drafts).
    pub cases: u64,
    /// Entries of their histories.
    pub case_events: u64,
    /// Disclosure log entries.
    pub log_entries: u64,
    /// Learned phrases.
    pub phrases: u64,
}

/// A disclosure log entry with the council that sent it (see
/// [`Store::disclosure_log_of_every_council`]). References are unique only
/// within a council.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouncilLogEntry {
    /// The council's code (empty for entries from before councils).
    pub council: String,
    /// The entry.
    pub entry: LogEntry,
}

/// Which figures to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FigureQuery {
    /// Only this indicator.
    pub indicator: Option<String>,
    /// Only this area.
    pub area: Option<String>,
}

/// A provider's file of episode-level records, validated and pseudonymised,
/// to be stored (see [`Store::submit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    /// The provider (agency code).
    pub provider: String,
    /// The reporting month.
    pub month: YearMonth,
    /// Fingerprint of the pseudonym key the records were made with.
    pub key_fingerprint: String,
    /// Whether the file passed validation (a rejected one keeps its report only).
    pub accepted: bool,
    /// Rows in the file.
    pub rows_read: u64,
    /// Rows kept as records.
    pub rows_accepted: u64,
    /// Rows refused.
    pub rows_rejected: u64,
    /// The validation report, as JSON (stored as given).
    pub report_json: String,
    /// The records, packed per area (ignored for a rejected file).
    pub chunks: Vec<NewChunk>,
}

/// Some of a submission's records, packed: opaque bytes from
/// `lantern_core::records::chunk::encode`, which the store never decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChunk {
    /// The area (ONS code) the records belong to.
    pub area: String,
    /// How many records the body holds.
    pub records: u64,
    /// The packed records.
    pub body: Vec<u8>,
}

/// What became of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Stored, and now the provider's current submission.
    Current,
    /// Stored, but the provider already has an accepted submission for a
    /// later month, which stays current.
    Superseded,
    /// The same file (same SHA-256) is already the accepted submission for
    /// this provider and month; nothing was stored.
    Unchanged,
    /// Stored with its report, as rejected: no records, never current.
    Rejected,
}

/// The answer to [`Store::submit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    /// The submission's id (for [`SubmitOutcome::Unchanged`], the one already held).
    pub id: i64,
    /// What became of it.
    pub outcome: SubmitOutcome,
    /// The provider's current submission before this one, when this one
    /// became current (`None` if it did not, or the provider had none).
    pub previous_current: Option<i64>,
    /// The earlier accepted submission for the same provider and month that
    /// this one replaced, if any.
    pub replaced: Option<i64>,
    /// The import that recorded it (rows: rows read; added: rows accepted, at
    /// least 1; replaced: 1 if it replaced one; nothing for unchanged or
    /// rejected files, which do not move the data version).
    pub receipt: ImportReceipt,
    /// The recomputation this submission made owed (recorded in the same
    /// transaction), when it became current: settle it with
    /// [`Store::settle_recompute`].
    pub owed: Option<i64>,
}

/// A recomputation of the figures from records that is owed: something
/// made them stale (a submission became current, one was withdrawn) and
/// the figure sets that bring them up to date have not been written yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedRecompute {
    /// Id.
    pub id: i64,
    /// Why: `submission`, `withdrawal`.
    pub reason: String,
    /// The submission that became current (none for a withdrawal that left
    /// the provider with none).
    pub submission: Option<i64>,
    /// The submission it took over from, if any.
    pub previous: Option<i64>,
    /// The areas whose figures it touches, sorted.
    pub areas: Vec<String>,
    /// Since when (RFC 3339).
    pub at: String,
}

/// The answer to [`Store::withdraw_submission`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    /// The withdrawn submission.
    pub id: i64,
    /// Its provider.
    pub provider: String,
    /// Its month.
    pub month: YearMonth,
    /// Whether it was its provider's current submission (so figures change).
    pub was_current: bool,
    /// The recomputation owed because of it, if it was current.
    pub owed: Option<i64>,
    /// The data version after the withdrawal.
    pub data_version: i64,
}

/// One stored submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRecord {
    /// Id.
    pub id: i64,
    /// The import that stored it.
    pub import: i64,
    /// The provider (agency code).
    pub provider: String,
    /// The reporting month.
    pub month: YearMonth,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Fingerprint of the pseudonym key.
    pub key_fingerprint: String,
    /// File name as given.
    pub file: String,
    /// `accepted` or `rejected`.
    pub status: String,
    /// Rows in the file.
    pub rows_read: u64,
    /// Rows kept.
    pub rows_accepted: u64,
    /// Rows refused.
    pub rows_rejected: u64,
    /// The validation report, JSON as given.
    pub report: String,
    /// Areas its records belong to, sorted (empty when rejected).
    pub areas: Vec<String>,
    /// The later submission for the same provider and month that replaced it.
    pub replaced_by: Option<i64>,
    /// Who submitted it.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
    /// Whether it is its provider's current submission: accepted, not
    /// replaced, not withdrawn, and of the latest month among those.
    pub current: bool,
    /// Why it was withdrawn (`lantern submissions withdraw`), if it was.
    pub withdrawn: Option<String>,
}

/// Which record chunks to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkQuery {
    /// Only chunks of these areas (all areas when `None`).
    pub areas: Option<Vec<String>>,
    /// This submission's chunks, whatever its status; when `None`, the
    /// chunks of every provider's current submission.
    pub submission: Option<i64>,
}

/// One stored chunk, with the submission it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    /// The submission.
    pub submission: i64,
    /// Its provider.
    pub provider: String,
    /// Its month.
    pub month: YearMonth,
    /// The area.
    pub area: String,
    /// How many records.
    pub records: u64,
    /// The packed records, as submitted.
    pub body: Vec<u8>,
}

/// Counts computed from records for one area and financial year, to be
/// stored (see [`Store::write_figure_sets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFigureSet {
    /// Area code.
    pub area: String,
    /// The financial year.
    pub year: FinancialYear,
    /// Provisional or final.
    pub status: FigureStatus,
    /// The counts in `lantern_core::records::FigureSet::body` form.
    pub body: String,
    /// The submissions the counts were computed from.
    pub submissions: Vec<i64>,
}

/// A stored set of counts computed from records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFigureSet {
    /// Id.
    pub id: i64,
    /// Area code.
    pub area: String,
    /// The financial year.
    pub year: FinancialYear,
    /// Provisional or final.
    pub status: FigureStatus,
    /// The counts (`FigureSet::parse_body` reads them).
    pub body: String,
    /// The submissions they were computed from.
    pub submissions: Vec<i64>,
    /// The import (data version) that added it.
    pub added_in: i64,
}

/// Everything a letter needs, read at one data version.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The data version read.
    pub data_version: i64,
    /// The catalogue at that version.
    pub catalogue: Catalogue,
    /// Figures.
    pub figures: Vec<Figure>,
    /// Statements.
    pub statements: Vec<Statement>,
    /// Releases.
    pub releases: Vec<Release>,
}

/// What answering one request reads, at one data version
/// ([`Store::read_scope`]): only what `lantern_core::scope` says the
/// planner and disclosure control consult, not every figure of every area.
#[derive(Debug, Clone, Default)]
pub struct ScopedRead {
    /// The figures of the scope's indicators and areas whose period overlaps
    /// its window, in the order [`Snapshot::figures`] has them.
    pub figures: Vec<Figure>,
    /// The statements of the scope's areas and topics.
    pub statements: Vec<Statement>,
    /// The whole publication calendar.
    pub releases: Vec<Release>,
    /// The disclosure-log entries about the scope's indicators in its areas,
    /// whichever council sent them (each with its council), oldest first.
    pub log: Vec<CouncilLogEntry>,
}

/// A storage failure, said so a user can act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No database where one was expected.
    #[error(
        "there is no Lantern database at {path}; create one with `lantern init` (or pass --database)"
    )]
    Missing {
        /// Where it was looked for.
        path: String,
    },
    /// The file exists but is not a Lantern database.
    #[error("{path} is not a Lantern database ({reason})")]
    NotLantern {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The database was made by a newer Lantern.
    #[error(
        "the database schema is version {found}, newer than this Lantern understands ({supported}); upgrade Lantern"
    )]
    NewerSchema {
        /// Version found.
        found: i64,
        /// Newest this build knows.
        supported: i64,
    },
    /// A data version that does not exist.
    #[error("data version {asked} does not exist (the newest is {newest})")]
    NoSuchVersion {
        /// Asked for.
        asked: i64,
        /// Newest.
        newest: i64,
    },
    /// The schema is older than this Lantern's and migrating on open is off.
    #[error(
        "the database's schema is version {found}, older than this Lantern's {needed}; run `lantern migrate` (migrating when opened is off in lantern.toml)"
    )]
    OlderSchema {
        /// Found in the database.
        found: i64,
        /// This Lantern's.
        needed: i64,
    },
    /// A stored catalogue layer no longer parses.
    #[error("the stored catalogue is invalid: {0}")]
    Catalogue(CatalogueError),
    /// A catalogue extension was refused (nothing was stored).
    #[error("{0}")]
    Extension(CatalogueError),
    /// A stored row could not be read back.
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// The database engine failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed after connecting.
    #[error("PostgreSQL error: {0}")]
    Postgres(String),
    /// The database server could not be reached or refused us.
    #[error("cannot connect to PostgreSQL at {target}: {cause}")]
    Connect {
        /// host:port/database.
        target: String,
        /// Why, in one line.
        cause: String,
    },
    /// Another writer held the write lock for longer than a writer waits.
    #[error(
        "another import is running{}; try again when it finishes (waited {waited_seconds} s for it)",
        match (since, holder) {
            (Some(since), Some(holder)) => format!(" since {since} ({holder})"),
            (Some(since), None) => format!(" since {since}"),
            (None, Some(holder)) => format!(" ({holder})"),
            (None, None) => String::new(),
        }
    )]
    Busy {
        /// When the holder took the lock, `HH:MM UTC`, if known.
        since: Option<String>,
        /// What holds it (`lantern import episodes by alice`), if known.
        holder: Option<String>,
        /// How long this writer waited.
        waited_seconds: u64,
    },
    /// A dump file is not what it should be.
    #[error("not a usable Lantern dump: {0}")]
    BadDump(String),
    /// The database refused a row of a dump (nothing was restored). The
    /// adapter names the dump line with [`dump::line_of_row`].
    #[error("not a usable Lantern dump: table {table}, row {row}: {reason}")]
    DumpRow {
        /// The table.
        table: String,
        /// The row's position in the table's rows (from 1).
        row: usize,
        /// Why, in words (from [`dump::refusal`]).
        reason: String,
    },
    /// No case has this reference.
    #[error("there is no request {0}; `lantern request list` shows them")]
    NoSuchCase(String),
    /// No user has this name.
    #[error("there is no user {0}; `lantern user list` shows them")]
    NoSuchUser(String),
    /// A user with this name exists already.
    #[error("a user named {0} exists already; choose another name")]
    UserExists(String),
    /// A case with this reference exists already.
    #[error("request {0} already exists; choose another reference")]
    CaseExists(String),
    /// Someone else moved the case on since it was read.
    #[error(
        "request {reference} is now {now} ({by} at {at}); nothing was changed — look at it again with `lantern request show {reference}`"
    )]
    Conflict {
        /// The case.
        reference: String,
        /// Its status now.
        now: Status,
        /// Who moved it.
        by: String,
        /// When.
        at: String,
    },
    /// Someone else corrected what the case asks since the caller read it.
    #[error(
        "request {reference} was corrected by {by} at {at} since you read it; nothing was changed — look at it again with `lantern request structured {reference}`"
    )]
    Changed {
        /// The case.
        reference: String,
        /// Who changed it last.
        by: String,
        /// When.
        at: String,
    },
    /// The lifecycle does not allow the action.
    #[error("request {reference}: {error}")]
    Refused {
        /// The case.
        reference: String,
        /// Why.
        error: TransitionError,
    },
    /// A dump can only be restored into a database with no data.
    #[error("the database already holds data; restore a dump into a new, empty database")]
    NotEmpty,
    /// No council has this code.
    #[error(
        "there is no council {code} in this database; {}",
        held_councils(codes)
    )]
    NoSuchCouncil {
        /// The code asked for.
        code: String,
        /// The codes held.
        codes: Vec<String>,
    },
    /// The database holds several councils and the handle was not told
    /// which one's casework to read or write.
    #[error(
        "this database holds more than one council ({}); say which with --council CODE",
        codes.join(", ")
    )]
    ChooseCouncil {
        /// The codes held.
        codes: Vec<String>,
    },
    /// The disclosure log grew while a publication was being decided.
    #[error(
        "an answer or publication was released while these figures were being checked, and may combine with them; nothing was published: publish again"
    )]
    LogMoved,
    /// The store was handed something it cannot hold (nothing was stored).
    #[error("cannot store this: {0}")]
    Invalid(String),
    /// No pooled connection came free in time ([`pool::StorePool::get`]):
    /// every one was in use, or none could be opened. A web front end
    /// answers 503.
    #[error(
        "no database connection came free within {waited_ms} ms (at most {connections} are open at once){}; try again in a moment",
        cause.as_ref().map(|c| format!("; the last try to connect failed: {c}")).unwrap_or_default()
    )]
    PoolTimeout {
        /// How long the caller waited.
        waited_ms: u64,
        /// The pool's size.
        connections: u32,
        /// Why the last attempt to open a connection failed, if one did
        /// since the last that succeeded.
        cause: Option<String>,
    },
}

/// The councils a database holds, for messages.
fn held_councils(codes: &[String]) -> String {
    if codes.is_empty() {
        "it holds none yet (`lantern council set` adds one)".to_string()
    } else {
        format!("it holds {}", codes.join(", "))
    }
}

/// Whether [`create`] made a new database or found one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new database was made.
    New,
    /// One was already there (and is now migrated to the current schema).
    Existing,
}

/// The newest schema version this build understands (both engines).
pub const SCHEMA_VERSION: i64 = 25;

/// Whether a location names a PostgreSQL database rather than a file.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Open an existing Lantern database: a `postgres://` URL or an SQLite file
/// path, bringing its schema up to date.
pub fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    open_with(location, true)
}

/// Open an existing Lantern database; with `migrate` false, a database whose
/// schema is older than this Lantern's is refused ([`StoreError::OlderSchema`])
/// instead of migrated, for deployments that migrate only with `lantern migrate`.
pub fn open_with(location: &str, migrate: bool) -> Result<Box<dyn Store>, StoreError> {
    if is_postgres(location) {
        Ok(Box::new(postgres::open(location, migrate)?))
    } else {
        Ok(Box::new(sqlite::open(
            std::path::Path::new(location),
            migrate,
        )?))
    }
}

/// Create a Lantern database (schema and shipped catalogue) at a location,
/// or open and migrate the one already there.
pub fn create(location: &str, meta: &ImportMeta) -> Result<(Box<dyn Store>, Created), StoreError> {
    if is_postgres(location) {
        let (store, created) = postgres::create(location, meta)?;
        Ok((Box::new(store), created))
    } else {
        let (store, created) = sqlite::create(std::path::Path::new(location), meta)?;
        Ok((Box::new(store), created))
    }
}

/// The metadata of a new database's first import.
pub fn init_meta(actor: &str, at: &str) -> ImportMeta {
    ImportMeta {
        kind: ImportKind::Init,
        file: "catalogue/indicators.toml".into(),
        sha256: String::new(),
        actor: actor.into(),
        at: at.into(),
    }
}

/// An open case as the inbox lists it ([`Store::open_cases_with_history`]).
#[derive(Debug, Clone)]
pub struct OpenCase {
    /// The case.
    pub case: Case,
    /// The subject kept when its text was written
    /// ([`lantern_core::casework::subject_of`] of `case.original`), or
    /// `None` where it is not known (opened before schema 24, restored
    /// from a dump): then work it out from the text.
    pub subject: Option<String>,
    /// Its history, oldest first.
    pub history: Vec<CaseEvent>,
}

/// An open case as the inbox reads it ([`Store::open_cases_in_brief`]):
/// what its row shows and what its deadline and tags are worked out from,
/// without its text (unless no subject is kept) or the rest of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefCase {
    /// The reference.
    pub reference: String,
    /// When it was received.
    pub received: jiff::civil::Date,
    /// Its status.
    pub status: Status,
    /// Whether it holds a structured request.
    pub structured: bool,
    /// The subject kept when its text was written (see [`OpenCase::subject`]).
    pub subject: Option<String>,
    /// Its original text, read only when no subject is kept (`None` when
    /// one is).
    pub original: Option<String>,
    /// The events of its history that move its clock
    /// (`lantern_core::casework::CLOCK_ACTIONS`), oldest first: all that
    /// its deadline is counted from.
    pub clock: Vec<CaseEvent>,
}

/// A case as another request is related to it
/// ([`Store::relatable_cases_between`]): what it asks and who asked, not
/// its text or its clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatableCase {
    /// The reference.
    pub reference: String,
    /// When it was received.
    pub received: jiff::civil::Date,
    /// Its status.
    pub status: Status,
    /// The requester's name, if still held.
    pub requester_name: Option<String>,
    /// The requester's contact, if still held.
    pub requester_contact: Option<String>,
    /// What it is understood to ask (the structured request), if anything.
    pub structured: Option<String>,
}

/// Lantern's storage boundary. Each method is one transaction.
///
/// Casework (cases with their drafts and histories, the disclosure log,
/// learned phrases) belongs to one council: those methods read and write
/// the council in use ([`Store::use_council`]) only.
pub trait Store: accounts::Accounts + outbox::Outbox {
    /// The newest data version (the last import that changed anything).
    fn data_version(&self) -> Result<i64, StoreError>;

    /// The catalogue as held now.
    fn catalogue(&self) -> Result<Catalogue, StoreError>;

    /// Add a council extension to the catalogue.
    fn extend_catalogue(
        &mut self,
        meta: &ImportMeta,
        text: &str,
    ) -> Result<ImportReceipt, StoreError>;

    /// Take a newer shipped catalogue (`shipped`, the TOML text) as the base
    /// the council's extensions apply to, from a new data version on; earlier
    /// versions keep the catalogue they had. Unchanged when it is the one
    /// held; refused (nothing changes) when an extension no longer fits it.
    fn upgrade_catalogue(
        &mut self,
        meta: &ImportMeta,
        shipped: &str,
    ) -> Result<ImportReceipt, StoreError>;

    /// Bring in figures; each replaces the held figure with the same
    /// indicator, area, period, breakdown and source, if different.
    fn import_figures(
        &mut self,
        meta: &ImportMeta,
        figures: &[Figure],
    ) -> Result<ImportReceipt, StoreError>;

    /// Bring in statements; each replaces the held one with the same topic,
    /// area and start date, if different.
    fn import_statements(
        &mut self,
        meta: &ImportMeta,
        statements: &[Statement],
    ) -> Result<ImportReceipt, StoreError>;

    /// Bring in releases (with the line each came from); each replaces the
    /// held one with the same code, if different.
    fn import_releases(
        &mut self,
        meta: &ImportMeta,
        releases: &[(u64, Release)],
    ) -> Result<ImportReceipt, StoreError>;

    /// Withdraw a release from the publication calendar (it will not be
    /// published after all), with the reason, in one transaction with its
    /// audit entry (`release.withdraw`, who and when from `meta`, the
    /// release as it stood and the reason). The release's current version is
    /// retired, so it no longer decides section 21 or 22 from the new data
    /// version on; nothing is deleted, and importing it again brings it
    /// back. Refused if no release with that code is in the calendar now.
    fn withdraw_release(
        &mut self,
        meta: &ImportMeta,
        code: &str,
        reason: &str,
    ) -> Result<ImportReceipt, StoreError>;

    /// Bring in the agency register (with the line each came from); each
    /// agency replaces the held one with the same code, if different.
    /// Agencies missing from the file are kept.
    fn import_agencies(
        &mut self,
        meta: &ImportMeta,
        agencies: &[(u64, Agency)],
    ) -> Result<ImportReceipt, StoreError>;

    /// The agencies in the register now, by code.
    fn agencies(&self) -> Result<Vec<Agency>, StoreError>;

    /// Store a provider's submission (`meta` names the file, its SHA-256,
    /// who and when), in one transaction with its audit entries:
    ///
    /// - an accepted file identical (same SHA-256) to the provider's
    ///   accepted, not replaced submission for the same month stores nothing
    ///   but an import with no changes: [`SubmitOutcome::Unchanged`], with the
    ///   held submission's id;
    /// - a rejected file is stored with its report and no records
    ///   (`submission.reject`); the data version does not move;
    /// - otherwise the submission and its chunks are stored
    ///   (`submission.add`), and the provider's earlier accepted submission
    ///   for the same month, if any, is marked replaced by it
    ///   (`submission.replace`). It is [`SubmitOutcome::Current`] if it is now
    ///   the provider's current submission (accepted, not replaced, latest
    ///   month), else [`SubmitOutcome::Superseded`]. The data version moves.
    ///
    /// Writers are serialised, so two submissions for the same provider and
    /// month at once end with one replacing the other.
    fn submit(
        &mut self,
        meta: &ImportMeta,
        submission: &NewSubmission,
    ) -> Result<Submitted, StoreError>;

    /// Every submission, oldest first.
    fn submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError>;

    /// One submission.
    fn submission(&self, id: i64) -> Result<Option<SubmissionRecord>, StoreError>;

    /// One provider's submissions, newest first: at most `limit` from the
    /// `offset`th, and how many the provider has in all.
    fn provider_submissions(
        &self,
        provider: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SubmissionRecord>, u64), StoreError>;

    /// The distinct pseudonym-key fingerprints of accepted submissions, sorted.
    fn key_fingerprints(&self) -> Result<Vec<String>, StoreError>;

    /// Record chunks (see [`ChunkQuery`]), in one query: ordered by
    /// provider, month, submission and the order they were stored in.
    fn chunks(&self, query: &ChunkQuery) -> Result<Vec<StoredChunk>, StoreError>;

    /// The same chunks as [`Store::chunks`], handed to `each` one area at a
    /// time (areas in code order, an area's chunks in the order they were
    /// stored), all read in one snapshot. Only the area being handed over is
    /// held, so a nation's records need not be in memory at once, and the
    /// caller can compute one area while the next is read. An error from
    /// `each` stops the reading and is returned.
    fn chunks_by_area(
        &self,
        query: &ChunkQuery,
        each: &mut dyn FnMut(Vec<StoredChunk>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// The current (not retired) figure sets computed from records, of one
    /// area or all, ordered by area and year.
    fn figure_sets(&self, area: Option<&str>) -> Result<Vec<StoredFigureSet>, StoreError>;

    /// Store recomputed figure sets, in one transaction. For each (area,
    /// year) in `scope` and each set given: a set identical (status and body)
    /// to the current one is unchanged; a different one retires the current
    /// one, if any, and is added; a scoped (area, year) with no set given
    /// retires the current one (the area has no records that year any more;
    /// counted as replaced). Each change is audited (`figures.recompute`);
    /// the data version moves only if something changed. The sets' counts
    /// appear in [`Store::figures`] and [`Store::snapshot`] as figures from
    /// [`lantern_core::figure::Source::LocalRecords`].
    fn write_figure_sets(
        &mut self,
        meta: &ImportMeta,
        scope: &[(String, FinancialYear)],
        sets: &[NewFigureSet],
    ) -> Result<ImportReceipt, StoreError>;

    /// The recomputations owed (not yet settled), oldest first.
    fn owed_recomputes(&self) -> Result<Vec<OwedRecompute>, StoreError>;

    /// Store recomputed figure sets as [`Store::write_figure_sets`] does and,
    /// in the same transaction, settle the owed recomputations `owed` (those
    /// still unsettled). With `based_on`, only if the data version is still
    /// that one (the sets were computed from it): when another writer
    /// changed the data meanwhile nothing is written and `None` returned,
    /// for the caller to compute again.
    fn settle_recompute(
        &mut self,
        meta: &ImportMeta,
        scope: &[(String, FinancialYear)],
        sets: &[NewFigureSet],
        owed: &[i64],
        based_on: Option<i64>,
    ) -> Result<Option<ImportReceipt>, StoreError>;

    /// Withdraw an accepted submission (wrongly dated, from the wrong
    /// provider, …) with the reason, in one transaction with its audit
    /// entry (`submission.withdraw`, who and when from `meta`) and, when it
    /// was current, a recomputation owed for its areas and those of the
    /// provider's submission that is current again. A withdrawn submission
    /// is never current again; refused if it is rejected or withdrawn.
    fn withdraw_submission(
        &mut self,
        meta: &ImportMeta,
        id: i64,
        reason: &str,
    ) -> Result<Withdrawn, StoreError>;

    /// Figures held now: imported figures, then those computed from records.
    fn figures(&self, query: &FigureQuery) -> Result<Vec<Figure>, StoreError>;

    /// Everything as it stood at `version` (the newest when `None`).
    fn snapshot(&self, version: Option<i64>) -> Result<Snapshot, StoreError>;

    /// The publication calendar's releases as they stood at `version` (the
    /// newest when `None`; [`StoreError::NoSuchVersion`] when there is no
    /// such version), by date then code: the releases [`Store::snapshot`]
    /// and [`Store::read_scope`] give, without the rest.
    fn releases(&self, version: Option<i64>) -> Result<Vec<Release>, StoreError>;

    /// The data version `version` stands for (the newest when `None`;
    /// [`StoreError::NoSuchVersion`] when there is no such version) and the
    /// catalogue as it stood then.
    fn catalogue_at(&self, version: Option<i64>) -> Result<(i64, Catalogue), StoreError>;

    /// What answering a request of `scope` reads at data version `version`
    /// (see [`ScopedRead`] and `lantern_core::scope`), in one read
    /// transaction: the same figures, statements, releases and log entries
    /// the planner would use from [`Store::snapshot`] and
    /// [`Store::disclosure_log`], without the rest.
    fn read_scope(
        &self,
        version: i64,
        scope: &lantern_core::scope::Scope,
    ) -> Result<ScopedRead, StoreError>;

    /// [`Store::read_scope`] with only the log entries whose period shares a
    /// day with the scope's window (the same window: it is still widened by
    /// every logged period). Those are all the planner can use: a count of
    /// people joins a protected table only through a chain of overlapping
    /// periods from one of the request's, which lies inside the window, and
    /// the letter names only earlier answers about its own periods. A log of
    /// thousands of entries over many years is then read only for the years
    /// asked about. Entries with no period, or one that does not parse, hold
    /// no count and are left out too.
    fn read_scope_in_window(
        &self,
        version: i64,
        scope: &lantern_core::scope::Scope,
    ) -> Result<ScopedRead, StoreError>;

    /// The council in use's disclosure-log entries about exactly these
    /// cells (indicator, area, period as logged), oldest first: what an
    /// earlier answer gave of the figures a request asks for, without
    /// reading the rest of the log.
    fn disclosure_log_of_cells(
        &self,
        cells: &[(String, String, String)],
    ) -> Result<Vec<LogEntry>, StoreError>;

    /// [`Store::disclosure_log_of_cells`] summed up per earlier answer and
    /// cell (`lantern_core::related::LoggedCell`: the first line that gave
    /// the figure, whether any did not), in one row each: what
    /// `lantern_core::related::covered_by_logged` needs, without handing
    /// back every line (one per breakdown value) of the answers. An SQLite
    /// handle keeps what it read about each cell until anything in the
    /// database changes (`sql/log.rs`).
    fn logged_cells(
        &self,
        cells: &[(String, String, String)],
    ) -> Result<Vec<lantern_core::related::LoggedCell>, StoreError>;

    /// The providers' records held for `area` at data version `version`
    /// (see `lantern_core::records::count::HeldRecords`): every provider's
    /// submission current at that version, only its records of the area,
    /// and the agencies registered for the area then; in one read
    /// transaction. The same version always gives the same records.
    fn records_held(
        &self,
        version: i64,
        area: &str,
    ) -> Result<lantern_core::records::count::HeldRecords, StoreError>;

    /// [`Store::records_held`] without the records: the same submissions in
    /// the same order, each with an empty list of records, and the same
    /// registered agencies. Enough to tell whether records are held and
    /// which months they reach, without reading or decoding them.
    fn submissions_held(
        &self,
        version: i64,
        area: &str,
    ) -> Result<lantern_core::records::count::HeldRecords, StoreError>;

    /// The disclosure-log entries about `scope`'s indicators in its areas
    /// (whichever council sent them, each with its council), oldest first: the part of
    /// [`Store::disclosure_log`] that can concern a request of that scope.
    fn disclosure_log_about(
        &self,
        scope: &lantern_core::scope::Scope,
    ) -> Result<Vec<CouncilLogEntry>, StoreError>;

    /// Past imports, oldest first.
    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError>;

    /// The audit log, newest last (at most `limit` entries, the newest ones).
    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// The audit trail of the council in use, newest first: the audit log
    /// of data changes (shared by every council: figures, releases,
    /// calendars…; of council settings only its own), its cases' histories
    /// and its account events, as `search` narrows them.
    fn audit_trail(&self, search: &AuditSearch) -> Result<Vec<AuditLine>, StoreError>;

    /// Open a case for a new request (the reference must be new); `detail`
    /// goes with the history's first entry (the calendar the deadline was
    /// first counted on).
    fn open_case(&mut self, case: &Case, detail: &ActionDetail) -> Result<(), StoreError>;

    /// Open a case as [`Store::open_case`] does, keeping the files attached
    /// to its e-mail with it, in the same transaction (numbered from 1 in
    /// the order given; each recorded with who kept it and when, the
    /// case's opener).
    fn open_case_with(
        &mut self,
        case: &Case,
        detail: &ActionDetail,
        attachments: &[NewAttachment],
    ) -> Result<(), StoreError>;

    /// The files kept with a case, in order (without their bytes).
    fn attachments(&self, reference: &str) -> Result<Vec<StoredAttachment>, StoreError>;

    /// The bytes of the file kept at `position` with a case; `None` when
    /// there is no such file or its bytes were erased.
    fn attachment_bytes(
        &self,
        reference: &str,
        position: i64,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// A case by its reference.
    fn case(&self, reference: &str) -> Result<Option<Case>, StoreError>;

    /// Every case, oldest first.
    fn cases(&self) -> Result<Vec<Case>, StoreError>;

    /// The cases received on or after `from` and on or before `to` (either
    /// end open when `None`), oldest first: the cases a request can be
    /// related to, without reading the council's whole casework.
    fn cases_received_between(
        &self,
        from: Option<jiff::civil::Date>,
        to: Option<jiff::civil::Date>,
    ) -> Result<Vec<Case>, StoreError>;

    /// [`Store::cases_received_between`] with only what relating requests
    /// needs of each case ([`RelatableCase`]), oldest first, then by
    /// reference (compared as bytes, whatever the engine's collation):
    /// neither the original text nor the retention and opening details are
    /// read.
    fn relatable_cases_between(
        &self,
        from: Option<jiff::civil::Date>,
        to: Option<jiff::civil::Date>,
    ) -> Result<Vec<RelatableCase>, StoreError>;

    /// A case's history, oldest first.
    fn case_history(&self, reference: &str) -> Result<Vec<CaseEvent>, StoreError>;

    /// The open cases (not answered, not withdrawn), oldest first, each with
    /// its history oldest first and the subject kept for it, in one read:
    /// what the inbox lists, without reading the answered cases or one
    /// history per case.
    fn open_cases_with_history(&self) -> Result<Vec<OpenCase>, StoreError>;

    /// The open cases as [`Store::open_cases_with_history`] lists them,
    /// oldest first, then by reference (compared as bytes, whatever the
    /// engine's collation), each read only as far as the inbox needs
    /// ([`BriefCase`]): two queries in one read transaction.
    fn open_cases_in_brief(&self) -> Result<Vec<BriefCase>, StoreError>;

    /// Take an action on a case that the caller saw in status `seen`. If
    /// someone else moved the case on meanwhile, nothing changes and the
    /// answer is [`StoreError::Conflict`]; an action the lifecycle does not
    /// allow is [`StoreError::Refused`]. Returns the new status.
    fn act(
        &mut self,
        reference: &str,
        seen: Status,
        action: Action,
        who: &Who,
        detail: &ActionDetail,
    ) -> Result<Status, StoreError>;

    /// Replace what a case is understood to ask (the structured request) with
    /// an officer's correction, recorded in the history. Only before a draft:
    /// a case seen in any other state than received or in progress is refused.
    fn correct_case(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        structured: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Replace a case's working copy of what it asks (its structured
    /// request, complete or still to be decided in part) with `structured`,
    /// provided the case still holds `before` (what the officer's correction
    /// was made on: `None` when it held none); otherwise
    /// [`StoreError::Changed`]. Recorded in the history as `correct` with
    /// `note`. Only before a draft, as [`Store::correct_case`].
    fn revise_case(
        &mut self,
        reference: &str,
        seen: Status,
        before: Option<&str>,
        structured: &str,
        who: &Who,
        note: &str,
    ) -> Result<(), StoreError>;

    /// Record a drafted answer (the letter's JSON form and the data version it
    /// was made from) and move the case to drafted, as [`Store::act`] does.
    /// `notices` is what the draft's notices say (the releases it cites),
    /// kept beside it for lists ([`Store::open_draft_notices`]); `None`
    /// when the caller does not give them.
    fn save_draft(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        draft: &str,
        notices: Option<&str>,
        data_version: i64,
    ) -> Result<Status, StoreError>;

    /// The drafted answer of a case and its data version, if there is one.
    fn draft(&self, reference: &str) -> Result<Option<(String, i64)>, StoreError>;

    /// The open cases that have a draft, each with the notices kept beside
    /// it ([`Store::save_draft`]'s `notices`), or `None` where they are not
    /// known (a draft saved before schema 23, or rewritten since): then
    /// read the draft itself. One query.
    fn open_draft_notices(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Option<String>>, StoreError>;

    /// Mark a case sent and add its released figures and decisions to the
    /// disclosure log, and its entry to the public log, in one transaction.
    fn send(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        entries: &[LogEntry],
        public: &PublicEntry,
        detail: &ActionDetail,
    ) -> Result<Status, StoreError>;

    /// Send as [`Store::send`] does, keeping the final letter as sent with
    /// the case in the same transaction (recorded with who sent it, when).
    #[allow(clippy::too_many_arguments)] // one transaction's inputs, each of its own kind
    fn send_with_letter(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        entries: &[LogEntry],
        public: &PublicEntry,
        detail: &ActionDetail,
        letter: Option<&NewFinalLetter>,
    ) -> Result<Status, StoreError>;

    /// The final letters kept with a case, in order (without their bytes).
    fn final_letters(&self, reference: &str) -> Result<Vec<StoredFinalLetter>, StoreError>;

    /// The bytes of the final letter kept at `position` with a case; `None`
    /// when there is none or its bytes were erased.
    fn final_letter_bytes(
        &self,
        reference: &str,
        position: i64,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Give case `reference` (seen in status `seen`) the title its public
    /// log entry will have, with an entry (`retitle`, the title as its note)
    /// in its history saying who; refused once the answer is sent.
    fn retitle(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        title: &str,
    ) -> Result<(), StoreError>;

    /// One page of the council's public log, newest first, in one query.
    fn public_log(&self, query: &PublicLogQuery) -> Result<PublicLogPage, StoreError>;

    /// The years and topics the council's public log holds.
    fn public_log_facets(&self) -> Result<PublicLogFacets, StoreError>;

    /// How many entries the public log holds (every council's) and the
    /// largest entry id: entries are only ever added, each once and never
    /// changed or removed, so every addition changes this, in this process
    /// or another (a server keeps pages of the log while it is the same).
    /// Reads no rows: a bare count and the primary key's largest value.
    fn public_log_version(&self) -> Result<(i64, i64), StoreError>;

    /// Remember a phrase an officer taught while correcting case `reference`
    /// (seen in status `seen`), with an entry in its history; and, when the
    /// correction lets every question be understood, its new structured
    /// request (only before a draft, as [`Store::correct_case`]).
    fn learn(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        phrase: &str,
        target: &str,
        structured: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Every phrase officers of the council have taught and not removed,
    /// oldest first.
    fn synonyms(&self) -> Result<Vec<StoredSynonym>, StoreError>;

    /// Stop using a phrase the council's officers taught (compared without
    /// regard to case or spacing). The phrase's rows stay: the removal is a
    /// row of its own (its target empty) saying who removed it and when, so
    /// the store keeps who taught and who removed every phrase; the audit
    /// log has an entry `synonym.remove` (an import of kind
    /// `phrase_removal` that changes no data version). Returns how many
    /// taught rows it ends; 0 when the phrase is not in use (nothing is
    /// written).
    fn forget_synonym(&mut self, phrase: &str, who: &Who) -> Result<usize, StoreError>;

    /// Record how a blocking finding of case `reference` (seen in status
    /// `seen`) was resolved, with the not-held declaration it makes if any,
    /// and an entry in the case's history, in one transaction.
    fn resolve_finding(
        &mut self,
        reference: &str,
        seen: Status,
        who: &Who,
        resolution: &NewResolution,
    ) -> Result<(), StoreError>;

    /// The council's not-held declarations in force at data version `at`
    /// (made by then and not withdrawn by then), and those made on case
    /// `reference` if one is given, oldest first.
    fn not_held_declarations(
        &self,
        reference: Option<&str>,
        at: i64,
    ) -> Result<Vec<lantern_core::finding::Declaration>, StoreError>;

    /// Every not-held declaration of the council (and those made on its
    /// cases), withdrawn ones too, oldest first.
    fn declarations(&self) -> Result<Vec<StoredDeclaration>, StoreError>;

    /// Withdraw not-held declaration `id` with the reason: a new data
    /// version from which it is no longer in force, audited with who and
    /// why (and in the history of the case it was made on). Refused for a
    /// declaration that is not there or already withdrawn.
    fn withdraw_declaration(
        &mut self,
        meta: &ImportMeta,
        id: i64,
        reason: &str,
    ) -> Result<ImportReceipt, StoreError>;

    /// How case `reference`'s blocking findings were resolved, oldest first.
    fn resolutions(&self, reference: &str) -> Result<Vec<StoredResolution>, StoreError>;

    /// Erase a case's requester details (name and contact), recorded in its
    /// history with `note` (who and when; never what was erased), in one
    /// transaction with every other text of the case that could still hold
    /// them ([`CaseText`]), each replaced by what `rewrite` makes of it
    /// given the details as held. Erasing details already erased changes
    /// nothing and returns `false`.
    fn erase_requester(
        &mut self,
        reference: &str,
        who: &Who,
        note: &str,
        rewrite: Rewrite<'_>,
    ) -> Result<bool, StoreError>;

    /// After requesters' details were erased ([`Store::erase_requester`]),
    /// once for all of them: leave none of the old texts' bytes in the
    /// database's files (unused pages, the write-ahead log, old row
    /// versions).
    fn reclaim_erased(&mut self) -> Result<(), StoreError>;

    /// Add a bank-holiday calendar (gov.uk JSON `body`, whose parsed version
    /// is `version`) as an import: unchanged if a calendar with the same
    /// version is held already.
    fn import_calendar(
        &mut self,
        meta: &ImportMeta,
        version: &str,
        body: &str,
    ) -> Result<ImportReceipt, StoreError>;

    /// The imported calendars, oldest first.
    fn calendars(&self) -> Result<Vec<StoredCalendar>, StoreError>;

    /// The disclosure log of the council in use, oldest first.
    fn disclosure_log(&self) -> Result<Vec<LogEntry>, StoreError>;

    // Councils (migration 8; `council.rs`).

    /// Every council's settings in force now, by code.
    fn councils(&self) -> Result<Vec<StoredCouncil>, StoreError>;

    /// A council's settings in force at data version `version` (the newest
    /// when `None`); for a version from before the council was created, its
    /// first settings. `None` when no council has the code.
    fn council_at(
        &self,
        code: &str,
        version: Option<i64>,
    ) -> Result<Option<StoredCouncil>, StoreError>;

    /// Every version of a council's settings, oldest first (empty when no
    /// council has the code).
    fn council_history(&self, code: &str) -> Result<Vec<StoredCouncil>, StoreError>;

    /// Set a council's settings (a new council, or new settings for one
    /// held), who and when from `meta`: a new data version, audited
    /// (`council.add`, `council.replace` with before and after). The same
    /// settings as held change nothing and write no import. The first
    /// council a database holds adopts, in the same transaction, the cases,
    /// log entries and phrases written before it (`council.adopt`).
    ///
    /// With `meta.kind` [`ImportKind::Init`] the settings join the
    /// database's first import instead (data version 1), which only a new
    /// database (nothing but its init import) allows: so a database created
    /// with its council numbers its data versions as one created without.
    fn set_council(
        &mut self,
        meta: &ImportMeta,
        council: &lantern_core::council::Council,
    ) -> Result<CouncilSet, StoreError>;

    /// Confine this handle to one council: from now on every read and write
    /// of cases, drafts, the disclosure log and learned phrases is that
    /// council's. Until a council is chosen, a handle uses the only council
    /// held (or, while there is none, the rows of no council); with several
    /// held it refuses them ([`StoreError::ChooseCouncil`]). Refused with
    /// [`StoreError::NoSuchCouncil`] when no council has the code. Returns
    /// its settings in force now.
    fn use_council(&mut self, code: &str) -> Result<StoredCouncil, StoreError>;

    /// [`Store::use_council`] without reading the council's settings: the
    /// same choice and the same refusal ([`StoreError::NoSuchCouncil`]),
    /// for a caller that needs only the council in use chosen.
    fn choose_council(&mut self, code: &str) -> Result<(), StoreError>;

    /// The code of the council this handle's casework belongs to (see
    /// [`Store::use_council`]); `None` while the database holds no council.
    fn council_in_use(&self) -> Result<Option<String>, StoreError>;

    /// The disclosure log entries of every council (not only the one in
    /// use) about these areas (all entries when `None`), oldest first: what
    /// disclosure control must see, so that two councils answering about
    /// one area cannot be subtracted from each other.
    fn disclosure_log_of_every_council(
        &self,
        areas: Option<&[String]>,
    ) -> Result<Vec<CouncilLogEntry>, StoreError>;

    /// The newest disclosure-log line's id, every council's (0: none): what
    /// a publication was decided against ([`publications::NewPublication::log_seen`]).
    fn disclosure_log_mark(&self) -> Result<i64, StoreError>;

    /// Publish figures: the publication, its cells as published and its
    /// disclosure-log lines `entries`, with an audit entry naming who, in
    /// one transaction. Refused, nothing written, when the disclosure log
    /// has grown since `log_seen` ([`StoreError::LogMoved`]) or the
    /// reference is taken ([`StoreError::Invalid`]).
    fn publish(
        &mut self,
        publication: &publications::NewPublication,
        entries: &[LogEntry],
        who: &Who,
    ) -> Result<(), StoreError>;

    /// The council's publications, newest first.
    fn publications(&self) -> Result<Vec<publications::StoredPublication>, StoreError>;

    /// What the public figure pages are read from, as four numbers: how
    /// many publications there are and the largest publication id, and
    /// the same of the catalogue's layers (every council's). Publications
    /// (with their cells, written in the same transaction) and catalogue
    /// layers are only ever added, each once and never changed or removed,
    /// so every addition changes this, in this process or another (a
    /// server keeps published-figure pages while it is the same). One
    /// statement; reads no rows on SQLite (bare counts and the primary
    /// keys' largest values).
    fn published_version(&self) -> Result<[i64; 4], StoreError>;

    /// A page of the council's published cells.
    fn published_figures(
        &self,
        query: &publications::PublishedQuery,
    ) -> Result<publications::PublishedPage, StoreError>;

    /// Add a planned publication to the council's calendar, audited.
    fn plan_publication(
        &mut self,
        plan: &publications::NewPlan,
        who: &Who,
    ) -> Result<i64, StoreError>;

    /// The council's planned publications, by planned day.
    fn planned_publications(&self) -> Result<Vec<publications::StoredPlan>, StoreError>;
    // Letter templates (migration 19; `sql/templates.rs`).

    /// The council in use's own letter templates in force at data version
    /// `version` (the newest when `None`), by name; a template without a
    /// row, or whose row has no source, is the default.
    fn letter_templates_at(&self, version: Option<i64>) -> Result<Vec<StoredTemplate>, StoreError>;

    /// Every version of one of the council in use's letter templates,
    /// oldest first.
    fn letter_template_history(&self, name: &str) -> Result<Vec<StoredTemplate>, StoreError>;

    /// Set one of the council in use's letter templates (`source`; `None`
    /// returns it to the default), who and when from `meta`: a new data
    /// version, audited with before and after (`letter_template.add`,
    /// `letter_template.replace`). The same text as held (or the default
    /// when it is in force) changes nothing and writes no import.
    fn set_letter_template(
        &mut self,
        meta: &ImportMeta,
        name: &str,
        source: Option<&str>,
        summary: &str,
    ) -> Result<ImportReceipt, StoreError>;

    /// Every row of every table, for a dump.
    fn export(&self) -> Result<Vec<dump::TableRows>, StoreError>;

    /// Load a dump into this database, which must hold no data yet.
    fn restore(&mut self, tables: &[dump::TableRows]) -> Result<(), StoreError>;
}
