//! The `lantern` command line: argument definitions and one function per
//! command. Commands are thin: they read files, call the store and the core,
//! and print. Rules live in `lantern-core`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use lantern_app::Store;
use lantern_app::data::{self, DataFile, ImportReceipt, Initialised};
use lantern_app::{answering, disclosure_log};
use lantern_core::disclosure::Finding;

use crate::config::Config;
use crate::render::Format;
use crate::{demo, out, progress};

/// Lantern: a council's drug and alcohol treatment figures, and answers to
/// Freedom of Information requests about them.
#[derive(Debug, Parser)]
#[command(name = "lantern", version, about, long_about = None)]
pub struct Cli {
    /// The database: an SQLite file path, or a postgres:// URL for a shared
    /// deployment. Default: `database` in lantern.toml, else lantern.db.
    #[arg(long, global = true, env = "LANTERN_DATABASE", value_name = "PATH|URL")]
    pub database: Option<String>,
    /// Configuration file. Default: $LANTERN_CONFIG, else ./lantern.toml if present.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Who is acting (`--as` for short), for the audit log and two-person
    /// sign-off: whoever drafted or corrected an answer cannot approve it
    /// unless the council allows it (`lantern council policy`); use the
    /// user name they sign in to the web application with. Default:
    /// $LANTERN_ACTOR, else $USER.
    #[arg(
        long,
        visible_alias = "as",
        global = true,
        env = "LANTERN_ACTOR",
        value_name = "NAME"
    )]
    pub actor: Option<String>,
    /// The council whose requests, log and learned phrases to work on
    /// (`lantern council list` shows the codes). Needed only when the
    /// database holds more than one council.
    #[arg(long, global = true, env = "LANTERN_COUNCIL", value_name = "CODE")]
    pub council: Option<String>,
    /// The day to act on (YYYY-MM-DD): drafts and answers read the
    /// publication calendar as of this day (section 22 or 21), and approvals,
    /// sending and the clock actions are recorded on it. Default: today in
    /// the council's time zone.
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Lantern's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new database holding the shipped indicator catalogue.
    Init,
    /// Bring a file into the database: figures, statements, releases, a
    /// catalogue extension, agencies, providers' episodes, bank holidays, or a dump.
    Import {
        /// What the file holds.
        kind: ImportWhat,
        /// The file (CSV; TOML for a catalogue). Episodes: one or more
        /// providers' files, each named AGENCY-YYYY-MM.csv or given --month.
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Episodes: the agency every file must come from.
        #[arg(long, value_name = "CODE")]
        provider: Option<String>,
        /// Episodes: the reporting month (YYYY-MM), when file names do not say.
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        /// Episodes: how many bad rows a file may have and still be applied
        /// without them: a count or a share such as 1% (default 0, or
        /// `[records] max_bad_rows`).
        #[arg(long, value_name = "N|P%")]
        max_bad_rows: Option<String>,
        /// Episodes: store only; recompute the figures later with `lantern recompute`.
        #[arg(long)]
        no_recompute: bool,
        /// Print the receipt as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The publication calendar: withdraw a release that will not be published.
    Release {
        /// What to do to a release.
        #[command(subcommand)]
        action: ReleaseAction,
    },
    /// Providers' submissions: history and status, or one submission's validation report.
    #[command(args_conflicts_with_subcommands = true)]
    Submissions {
        /// Show this submission's validation report.
        id: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Withdraw a submission.
        #[command(subcommand)]
        action: Option<SubmissionAction>,
    },
    /// Recompute every indicator from the providers' records held (all areas, all years).
    Recompute {
        /// Only this area (ONS code).
        #[arg(long)]
        area: Option<String>,
        /// Also write every computed count to this CSV file (area,year,indicator,breakdown,value).
        #[arg(long, value_name = "FILE")]
        counts: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write synthetic providers' submissions (deterministic from the seed) for trials and benchmarks.
    Generate {
        /// One council (about 3,000 people a year) or all of England (about 150 areas, 300,000 people a year).
        #[arg(long, value_enum, default_value_t = GenerateScale::Council)]
        scale: GenerateScale,
        /// The random seed: the same seed gives the same files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write agencies.csv and submissions/.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Put the council's area (at national scale, the first area) on this
        /// real area code (E and eight digits). Without it every area has a
        /// synthetic code (E99…), so generated records never touch a real
        /// council's figures or letters.
        #[arg(long, value_name = "CODE")]
        area: Option<String>,
    },
    /// Show the figures held for an indicator (as held: before disclosure control, not for publication).
    Figures {
        /// Indicator code, e.g. people_in_treatment.
        indicator: String,
        /// Only this area (ONS code).
        #[arg(long)]
        area: Option<String>,
        /// From this financial year (e.g. 2015/16).
        #[arg(long, value_name = "FY")]
        from: Option<String>,
        /// Up to this financial year.
        #[arg(long, value_name = "FY")]
        to: Option<String>,
        /// Read the data as it was at this version.
        #[arg(long, value_name = "N")]
        data_version: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Where sources disagree: figures from local records, NDTMS reports or
    /// other sources that give different amounts for the same indicator,
    /// area, period and breakdown (as held: not for publication).
    Differences {
        /// Only this indicator.
        indicator: Option<String>,
        /// Only this area (ONS code).
        #[arg(long)]
        area: Option<String>,
        /// Read the data as it was at this version.
        #[arg(long, value_name = "N")]
        data_version: Option<i64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Decide and write the answer letter to a structured request file.
    Answer {
        /// The request (TOML; see docs/formats/request.md).
        request: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LetterFormat::Md)]
        format: LetterFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Answer from the data as it was at this version (to reproduce an earlier letter).
        #[arg(long, value_name = "N")]
        data_version: Option<i64>,
    },
    /// Load the Leicester example and write its three answer letters to ./letters/.
    Demo {
        /// Where to write the letters.
        #[arg(long, default_value = "letters", value_name = "DIR")]
        letters: PathBuf,
        /// Then take in the seed e-mails, add one account per role (their
        /// passwords are printed) and serve the web application.
        #[arg(long)]
        serve: bool,
        /// With --serve: the address and port to listen on (port 0: any free port).
        #[arg(
            long,
            default_value = "127.0.0.1:8080",
            value_name = "ADDR:PORT",
            requires = "serve"
        )]
        listen: String,
    },
    /// Write everything the database holds to a dump file (to move between SQLite and PostgreSQL).
    Export {
        /// The dump file to write (docs/formats/dump.md).
        file: PathBuf,
    },
    /// Bring the database's schema up to date (opening it does this too),
    /// take the catalogue shipped with this Lantern, and take in the council
    /// settings lantern.toml gives.
    Migrate,
    /// Councils: who answers requests, with the details letters print and
    /// the settings casework and disclosure control use, versioned like data.
    Council {
        /// What to do.
        #[command(subcommand)]
        command: crate::council::CouncilCommand,
    },
    /// The web application's users: add, list, disable, enable, reset a
    /// password (passwords are read from standard input).
    User {
        /// What to do.
        #[command(subcommand)]
        command: crate::users::UserCommand,
    },
    /// Providers' API tokens: create (the secret shown once), list,
    /// revoke, and allow a provider user to manage their own.
    Token {
        /// What to do.
        #[command(subcommand)]
        command: crate::tokens::TokenCommand,
    },
    /// The messages sent to requesters: send the queued ones through
    /// [smtp], list them, record one as sent by hand.
    Outbox {
        /// What to do.
        #[command(subcommand)]
        command: crate::outbox::OutboxCommand,
    },
    /// FOI casework: open requests, move them on, see deadlines and history.
    Request {
        /// What to do.
        #[command(subcommand)]
        command: crate::casework::RequestCommand,
    },
    /// The disclosure log: every figure and decision in sent answers (no requesters).
    Log {
        /// Only this indicator.
        #[arg(long)]
        indicator: Option<String>,
        /// Only entries whose text, reference or period contain this.
        #[arg(long)]
        search: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Check the whole log instead of listing it: prove that no count
        /// withheld in any sent answer can be worked out exactly from
        /// everything the log released, and name any that can (exit 1).
        #[arg(long, conflicts_with_all = ["indicator", "search"])]
        audit: bool,
    },
    /// Casework reports: timeliness (answered within 20 working days, within
    /// an extension, late) or outcomes (granted, part refused, refused, not
    /// held; exemptions; internal reviews), by month or quarter.
    Report {
        /// Which report.
        #[arg(value_enum)]
        kind: crate::reports::ReportKind,
        /// Group requests by the month or financial-year quarter they were received in.
        #[arg(long, value_enum, default_value_t = crate::reports::By::Month)]
        by: crate::reports::By,
        /// Only requests received on or after this day.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        /// Only requests received on or before this day.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<String>,
        /// Count unanswered requests as overdue as of this day: an alias of
        /// --as-of, kept for scripts (default: the --as-of day, else today in
        /// the council's time zone).
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<String>,
        /// Print CSV.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve the disclosure log and casework statistics over HTTP (pages
    /// and /api/ JSON), read-only; several servers may share one database.
    Serve {
        /// The address and port to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: String,
    },
    /// List past imports (each that changed data is a data version).
    Imports {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish an indicator's figures for the public (/figures): a release,
    /// decided under disclosure control against every answer and
    /// publication before it, added to the disclosure log and audited.
    Publish {
        /// The indicator's code, e.g. people_in_treatment.
        indicator: String,
        /// The first financial year (e.g. 2016/17).
        #[arg(long, value_name = "FY")]
        from: String,
        /// The last financial year (default: --from).
        #[arg(long, value_name = "FY")]
        to: Option<String>,
        /// Also publish the figures broken down by this (repeat for several), e.g. age_band.
        #[arg(long, value_name = "BREAKDOWN")]
        by: Vec<String>,
        /// The area (ONS code; default: the council's).
        #[arg(long)]
        area: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The publication calendar: plan a publication, or list them.
    Publication {
        /// What to do.
        #[command(subcommand)]
        command: crate::publishing::PublicationCommand,
    },
    /// For `bench/answer`: run `answer` or `request draft` several times in
    /// this process and print each run's wall time as JSON.
    #[command(hide = true)]
    TimeUseCase {
        /// Which use case.
        #[arg(value_enum)]
        use_case: crate::timing::UseCase,
        /// The request file (answer) or the case's reference (draft).
        target: String,
        /// Runs measured.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Runs before those, not measured.
        #[arg(long, default_value_t = 2)]
        warm_up: usize,
    },
}

/// What `lantern release` can do to a release in the calendar.
#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Withdraw a release from the publication calendar (it will not be
    /// published after all): it no longer justifies section 22 or 21, every
    /// open draft citing it is flagged for re-drafting, and the audit log
    /// keeps who, when and why. Importing the release again brings it back.
    Withdraw {
        /// The release's code, as in the releases file.
        code: String,
        /// Why it is withdrawn (kept in the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// What `lantern submissions` can do to a submission.
#[derive(Debug, Subcommand)]
pub enum SubmissionAction {
    /// Withdraw a submission (wrongly dated, from the wrong provider, …):
    /// it is never current again, the figures it touched are recomputed,
    /// and the audit log keeps who, when and why.
    Withdraw {
        /// The submission's id (`lantern submissions` lists them).
        id: i64,
        /// Why it is withdrawn (kept in the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// How much synthetic data `lantern generate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateScale {
    /// One area, two providers, about 3,000 people a year.
    Council,
    /// About 150 areas, 300,000 people a year, FY 2012/13 to 2025/26.
    National,
}

/// Kinds of file `lantern import` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportWhat {
    /// Figures, long CSV (docs/formats/figures.md).
    Figures,
    /// Statements CSV (docs/formats/statements.md).
    Statements,
    /// Releases CSV (docs/formats/releases.md).
    Releases,
    /// A council's catalogue extension, TOML (docs/formats/catalogue.md).
    Catalogue,
    /// A dump made by `lantern export`, into a new database (docs/formats/dump.md).
    Dump,
    /// The register of treatment providers, CSV code,name,area (docs/formats/episodes.md).
    Agencies,
    /// Providers' episode-level submissions, CSV (docs/formats/episodes.md).
    Episodes,
    /// UK bank holidays in the gov.uk JSON format (later years, proclaimed days),
    /// added to the shipped calendar that deadlines are counted on.
    BankHolidays,
}

/// A letter's format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LetterFormat {
    /// The letter in Markdown.
    Md,
    /// The letter as a standalone HTML page.
    Html,
    /// The decisions as JSON.
    Json,
    /// The answer's tables as CSV (a line per cell), for a requester who
    /// asked for a spreadsheet (s11).
    Csv,
    /// The answer's tables as an Excel workbook (a sheet per table); needs
    /// --output.
    Xlsx,
    /// The letter as a Word document; needs --output.
    Docx,
}

/// What a letter format asks for: the letter, or its tables as a spreadsheet.
pub enum Wanted {
    /// The letter (or its JSON form).
    Letter(Format),
    /// The tables.
    Sheet(lantern_app::sheets::Sheet),
    /// The letter as a Word document.
    Docx,
}

impl LetterFormat {
    /// The letter or the spreadsheet this format asks for.
    pub fn wanted(self) -> Wanted {
        match self {
            LetterFormat::Md => Wanted::Letter(Format::Md),
            LetterFormat::Html => Wanted::Letter(Format::Html),
            LetterFormat::Json => Wanted::Letter(Format::Json),
            LetterFormat::Csv => Wanted::Sheet(lantern_app::sheets::Sheet::Csv),
            LetterFormat::Xlsx => Wanted::Sheet(lantern_app::sheets::Sheet::Xlsx),
            LetterFormat::Docx => Wanted::Docx,
        }
    }
}

/// Write what a letter command made: to `output`, or to standard output
/// (a workbook or a Word document only to a file, since it is not text).
pub fn write_out(output: Option<&Path>, bytes: &[u8], binary: bool) -> Result<()> {
    match output {
        Some(path) => Ok(write_atomically(path, bytes)?),
        None if binary => Err(anyhow::anyhow!(
            "an XLSX workbook or a DOCX document is not text: name the file to write with --output FILE"
        )),
        None => {
            std::io::stdout().lock().write_all(bytes)?;
            Ok(())
        }
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let database = cli
        .database
        .clone()
        .or_else(|| config.database())
        .unwrap_or_else(|| "lantern.db".to_string());
    let mut ctx = Ctx::new(
        database,
        config,
        cli.actor.clone().unwrap_or_else(default_actor),
    )
    .for_council(cli.council.clone());
    if let Some(day) = &cli.as_of {
        let day = day
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--as-of {day}: write the day to act on as YYYY-MM-DD"))?;
        ctx.clock = lantern_app::Clock::fixed(day);
    }
    let warnings = ctx.warnings();
    let done = dispatch(ctx, cli);
    // Said after the command, so a failure's message still comes first.
    stash_warnings(warnings.take());
    done
}

/// Warnings the last command noted, for `main` to print after its outcome.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn stash_warnings(warnings: Vec<String>) {
    if let Ok(mut held) = WARNINGS.lock() {
        held.extend(warnings);
    }
}

/// The warnings the command noted (a lantern.toml that differs from the
/// council held, …), taken: `main` prints them after the outcome.
pub fn warnings() -> Vec<String> {
    WARNINGS
        .lock()
        .map(|mut held| std::mem::take(&mut *held))
        .unwrap_or_default()
}

/// Run one command in its context.
fn dispatch(ctx: Ctx, cli: Cli) -> Result<()> {
    // Other writers kept waiting for the lock are told what holds it.
    ctx.name_writer(&command_name(&cli.command));
    // Figures follow their submissions: a writing command first finishes a
    // recomputation an earlier one left owed; a reading one says so.
    match &cli.command {
        Command::Import { kind, .. } if !matches!(kind, ImportWhat::Dump) => {
            crate::records::settle_before_writing(&ctx)?
        }
        Command::Request { .. }
        | Command::Publish { .. }
        | Command::Submissions {
            action: Some(_), ..
        } => crate::records::settle_before_writing(&ctx)?,
        Command::Figures { .. }
        | Command::Differences { .. }
        | Command::Answer { .. }
        | Command::Submissions { .. }
        | Command::Imports { .. } => crate::records::warn_when_reading(&ctx)?,
        _ => {}
    }
    match cli.command {
        Command::Init => init(&ctx),
        Command::Import {
            kind: ImportWhat::Episodes,
            files,
            provider,
            month,
            max_bad_rows,
            no_recompute,
            json,
        } => crate::records::import_episodes(
            &ctx,
            &files,
            &crate::records::EpisodeOptions {
                provider,
                month,
                max_bad_rows,
                no_recompute,
                json,
            },
        ),
        Command::Import {
            ref kind,
            ref provider,
            ref month,
            ref max_bad_rows,
            no_recompute,
            ..
        } if provider.is_some() || month.is_some() || max_bad_rows.is_some() || no_recompute => {
            bail!(
                "--provider, --month, --max-bad-rows and --no-recompute apply to `lantern import episodes`, not to {}",
                format!("{kind:?}").to_lowercase()
            )
        }
        Command::Import { files, .. } if files.len() > 1 => {
            bail!("give one file at a time (only episodes take several)")
        }
        Command::Import {
            kind: ImportWhat::Dump,
            files,
            ..
        } => restore(&ctx, &files[0]),
        Command::Release {
            action: ReleaseAction::Withdraw { code, reason },
        } => withdraw_release(&ctx, &code, &reason),
        Command::Submissions {
            action: Some(SubmissionAction::Withdraw { id, reason }),
            ..
        } => crate::records::withdraw(&ctx, id, &reason),
        Command::Submissions { id, json, .. } => crate::records::submissions(&ctx, id, json),
        Command::Recompute { area, counts, json } => {
            crate::records::recompute(&ctx, area, counts, json)
        }
        Command::Generate {
            scale,
            seed,
            out,
            area,
        } => crate::records::generate(
            match scale {
                GenerateScale::Council => lantern_core::records::generate::Scale::Council,
                GenerateScale::National => lantern_core::records::generate::Scale::National,
            },
            seed,
            area.as_deref(),
            &out,
        ),
        Command::Export { file } => export(&ctx, &file),
        Command::Publish {
            indicator,
            from,
            to,
            by,
            area,
            json,
        } => crate::publishing::publish(
            &ctx,
            &lantern_app::publishing::Publish {
                indicator,
                from,
                to,
                by,
                area,
            },
            json,
        ),
        Command::Publication { command } => crate::publishing::run(&ctx, command),
        Command::Council { command } => crate::council::run(&ctx, command),
        Command::User { command } => crate::users::run(&ctx, command),
        Command::Token { command } => crate::tokens::run(&ctx, command),
        Command::Outbox { command } => crate::outbox::run(&ctx, command),
        Command::Migrate => migrate(&ctx),
        Command::Import {
            kind, files, json, ..
        } => {
            let file = &files[0];
            let mut store = ctx.open()?;
            let receipt = import_file(&ctx, store.as_mut(), kind, file)?;
            print_receipt(file, kind, &receipt, json)
        }
        Command::Figures {
            indicator,
            area,
            from,
            to,
            data_version,
            json,
        } => figures(&ctx, &indicator, area, from, to, data_version, json),
        Command::Differences {
            indicator,
            area,
            data_version,
            json,
        } => differences(&ctx, indicator, area, data_version, json),
        Command::Answer {
            request,
            format,
            output,
            data_version,
        } => {
            let store = ctx.open()?;
            match format.wanted() {
                Wanted::Letter(format) => {
                    let letter = answer_file(&ctx, store.as_ref(), &request, format, data_version)?;
                    write_out(output.as_deref(), letter.as_bytes(), false)
                }
                Wanted::Sheet(sheet) => {
                    let text = read_text(&request)?;
                    let bytes = lantern_app::answering::spreadsheet(
                        &ctx,
                        store.as_ref(),
                        &request.display().to_string(),
                        &text,
                        sheet,
                        data_version,
                    )?;
                    let binary = sheet == lantern_app::sheets::Sheet::Xlsx;
                    write_out(output.as_deref(), &bytes, binary)
                }
                Wanted::Docx => Err(anyhow::anyhow!(
                    "lantern answer writes md, html, json, csv or xlsx; a case's letter as DOCX is `lantern request letter REF --format docx --output FILE`"
                )),
            }
        }
        Command::Demo {
            letters,
            serve: false,
            ..
        } => demo::run(&ctx, &letters),
        Command::Demo {
            letters, listen, ..
        } => demo::serve(&ctx, &letters, &listen),
        Command::Imports { json } => imports(&ctx, json),
        Command::TimeUseCase {
            use_case,
            target,
            runs,
            warm_up,
        } => crate::timing::run(&ctx, use_case, &target, runs, warm_up),
        Command::Serve { listen } => {
            lantern_web::run(&ctx, &listen, &lantern_web::Options::default())
        }
        Command::Request { command } => crate::casework::run(&ctx, command),
        Command::Log {
            json, audit: true, ..
        } => log_audit(&ctx, json),
        Command::Log {
            indicator,
            search,
            json,
            audit: false,
        } => log(&ctx, indicator, search, json),
        Command::Report {
            kind,
            by,
            from,
            to,
            today,
            csv,
            json,
        } => {
            let day = |flag: &str, v: Option<String>| -> Result<Option<jiff::civil::Date>> {
                v.map(|v| {
                    v.parse()
                        .map_err(|_| anyhow::anyhow!("--{flag} {v}: write the date as YYYY-MM-DD"))
                })
                .transpose()
            };
            let options = crate::reports::ReportOptions {
                by,
                from: day("from", from)?,
                to: day("to", to)?,
                today: match (day("today", today)?, ctx.clock.fixed_day()) {
                    (Some(t), Some(a)) if t != a => bail!(
                        "--today {t} and --as-of {a} name different days; give one (--today is an alias of --as-of)"
                    ),
                    (t, a) => t.or(a),
                },
                csv,
                json,
            };
            crate::reports::run(&ctx, kind, &options)
        }
    }
}

/// What every command needs: the application layer's context.
pub use lantern_app::Context as Ctx;
pub use lantern_app::files::{
    MAX_IMPORT_FILE, MAX_SMALL_FILE, MAX_TEXT, read_bounded, read_text, write_atomically,
};
pub use lantern_app::{hex, now};

/// A command as typed (`import episodes`, `recompute`), for messages.
fn command_name(command: &Command) -> String {
    let debug = match command {
        Command::Import { kind, .. } => format!("Import {kind:?}"),
        Command::Request { command } => format!("Request {command:?}"),
        other => format!("{other:?}"),
    };
    debug
        .split(|c: char| !c.is_ascii_alphanumeric() && c != ' ')
        .next()
        .unwrap_or_default()
        .split(' ')
        .take(2)
        .map(|w| {
            // CamelCase to kebab-case: `BankHolidays` -> `bank-holidays`.
            let mut out = String::new();
            for (i, c) in w.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn default_actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn init(ctx: &Ctx) -> Result<()> {
    match data::init(ctx)? {
        Initialised::New {
            indicators,
            council,
        } => {
            out!(
                "Created {} with {} indicators in the catalogue.",
                ctx.display_database(),
                indicators
            );
            // lantern.toml's council, part of the first data version.
            if let Some(taken) = council {
                crate::council::print_taken_in(ctx, &taken)?;
            }
        }
        Initialised::Existing { data_version } => out!(
            "{} is already a Lantern database (data version {}); nothing changed.",
            ctx.display_database(),
            data_version
        ),
    }
    Ok(())
}

/// `lantern release withdraw CODE --reason TEXT`.
fn withdraw_release(ctx: &Ctx, code: &str, reason: &str) -> Result<()> {
    let receipt = data::withdraw_release(ctx, code, reason)?;
    out!(
        "Withdrew release {} from the publication calendar (by {}: {}). Data version {}.",
        code.trim(),
        ctx.actor,
        reason.trim(),
        receipt.data_version
    );
    out!(
        "It no longer decides section 22 or 21. Drafts citing it are flagged in `lantern request list` and cannot be approved or sent until drafted again."
    );
    Ok(())
}

fn migrate(ctx: &Ctx) -> Result<()> {
    let migrated = data::migrate(ctx)?;
    out!(
        "{} is at schema version {} (data version {}).",
        ctx.display_database(),
        migrated.schema_version,
        migrated.data_version
    );
    if let Some(import) = migrated.catalogue_import {
        out!(
            "The catalogue now starts from the one shipped with this Lantern (import {}); earlier data versions keep theirs.",
            import
        );
    }
    if let Some(taken) = &migrated.council {
        crate::council::print_taken_in(ctx, taken)?;
    }
    Ok(())
}

impl ImportWhat {
    /// The application layer's kind of data file, for the kinds imported
    /// one file at a time into a database with data.
    fn data_file(self) -> Option<DataFile> {
        match self {
            ImportWhat::Figures => Some(DataFile::Figures),
            ImportWhat::Statements => Some(DataFile::Statements),
            ImportWhat::Releases => Some(DataFile::Releases),
            ImportWhat::Catalogue => Some(DataFile::Catalogue),
            ImportWhat::Agencies => Some(DataFile::Agencies),
            ImportWhat::BankHolidays => Some(DataFile::BankHolidays),
            ImportWhat::Dump | ImportWhat::Episodes => None,
        }
    }
}

/// Import one file of the given kind.
pub fn import_file(
    ctx: &Ctx,
    store: &mut dyn Store,
    kind: ImportWhat,
    path: &Path,
) -> Result<ImportReceipt> {
    let limit = kind
        .data_file()
        .map_or(MAX_IMPORT_FILE, |kind| kind.size_limit());
    let bytes = read_bounded(path, limit)?;
    let name = path.display().to_string();
    import_bytes(ctx, store, kind, &name, &bytes)
}

/// Import file contents already read (the demo uses embedded files), with
/// a progress bar while a large file is read
/// ([`lantern_app::data::import_into`]).
pub fn import_bytes(
    ctx: &Ctx,
    store: &mut dyn Store,
    kind: ImportWhat,
    name: &str,
    bytes: &[u8],
) -> Result<ImportReceipt> {
    let Some(kind) = kind.data_file() else {
        if kind == ImportWhat::Dump {
            bail!(
                "a dump is restored with `lantern import dump FILE`, not imported into a database with data"
            );
        }
        bail!("episodes are imported with `lantern import episodes FILE...`");
    };
    let len = bytes.len() as u64;
    let bar = progress::bar(len, name);
    // The whole length: reading is done, and the bar goes while storing.
    let tick = |pos: u64| {
        if pos >= len {
            bar.finish_and_clear();
        } else {
            bar.set_position(pos);
        }
    };
    Ok(data::import_into(ctx, store, kind, name, bytes, &tick)?)
}

fn print_receipt(file: &Path, kind: ImportWhat, r: &ImportReceipt, json: bool) -> Result<()> {
    if json {
        let v = serde_json::json!({
            "file": file.display().to_string(),
            "kind": format!("{kind:?}").to_lowercase(),
            "import": r.import,
            "rows": r.rows,
            "added": r.added,
            "replaced": r.replaced,
            "unchanged": r.unchanged,
            "data_version": r.data_version,
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!(
            "Imported {}: {} rows, {} added, {} replaced, {} unchanged. Data version {}.",
            file.display(),
            r.rows,
            r.added,
            r.replaced,
            r.unchanged,
            r.data_version
        );
    }
    Ok(())
}

fn figures(
    ctx: &Ctx,
    indicator: &str,
    area: Option<String>,
    from: Option<String>,
    to: Option<String>,
    data_version: Option<i64>,
    json: bool,
) -> Result<()> {
    let store = ctx.open()?;
    let held = answering::figures(
        store.as_ref(),
        &answering::FiguresAsked {
            indicator,
            area: area.as_deref(),
            from: from
                .map(|f| answering::financial_year(&f, "--from"))
                .transpose()?,
            to: to
                .map(|t| answering::financial_year(&t, "--to"))
                .transpose()?,
            data_version,
        },
    )?;
    let ind = &held.indicator;
    let figures = &held.figures;
    if json {
        let rows: Vec<serde_json::Value> = figures
            .iter()
            .map(|f| {
                serde_json::json!({
                    "indicator": f.indicator,
                    "area": f.area,
                    "period": f.period.to_string(),
                    "breakdown": f.breakdown.0,
                    "kind": f.value.qualifier().as_str(),
                    "value": f.value.amount_text(ind.unit),
                    "display": f.value.display(ind.unit),
                    "reason": f.value.reason(),
                    "unit": format!("{:?}", ind.unit).to_lowercase(),
                    "source": f.source.code(),
                    "status": f.status.code(),
                    "coverage": f.coverage,
                    "note": f.note,
                    "provenance": { "import": f.provenance.import, "file": f.provenance.file, "line": f.provenance.line, "actor": f.provenance.actor, "at": f.provenance.imported_at },
                })
            })
            .collect();
        let out = serde_json::json!({ "indicator": ind.code, "data_version": held.data_version, "figures": rows });
        out!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    out!(
        "{} ({}) — data version {}",
        ind.title,
        ind.code,
        held.data_version
    );
    if figures.is_empty() {
        out!("No figures held.");
        return Ok(());
    }
    let table: Vec<[String; 5]> = figures
        .iter()
        .map(|f| {
            let mut value = f.value.display(ind.unit);
            if !f.coverage.is_empty() || f.note.is_some() {
                value.push_str(" *");
            }
            [
                f.area.clone(),
                f.period.to_string(),
                if f.breakdown.0.is_empty() {
                    "total".into()
                } else {
                    f.breakdown.key()
                },
                value,
                format!("{} {}", f.source.code(), f.status.code()),
            ]
        })
        .collect();
    let headers = ["area", "period", "breakdown", "value", "source"];
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count().min(60))
                .max()
                .unwrap_or(0)
                .max(headers[i].len())
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    out!("{}", line(&headers.map(String::from)));
    for r in &table {
        out!("{}", line(r));
    }
    out!(
        "(* has coverage notes: see --json)  Figures as held, before disclosure control: not for publication."
    );
    Ok(())
}

/// Answer a request file from the store, in a format.
pub fn answer_file(
    ctx: &Ctx,
    store: &dyn Store,
    path: &Path,
    format: Format,
    data_version: Option<i64>,
) -> Result<String> {
    let text = read_text(path)?;
    answer_text(
        ctx,
        store,
        &path.display().to_string(),
        &text,
        format,
        data_version,
    )
}

/// Answer a request given as text.
pub fn answer_text(
    ctx: &Ctx,
    store: &dyn Store,
    name: &str,
    text: &str,
    format: Format,
    data_version: Option<i64>,
) -> Result<String> {
    let answer = lantern_app::answering::answer(ctx, store, name, text, format, data_version)?;
    for w in &answer.warnings {
        eprintln!("warning: {w}");
    }
    for f in &answer.findings {
        eprintln!("{f}");
    }
    Ok(answer.letter)
}

fn differences(
    ctx: &Ctx,
    indicator: Option<String>,
    area: Option<String>,
    data_version: Option<i64>,
    json: bool,
) -> Result<()> {
    let store = ctx.open()?;
    let answering::Differences {
        data_version,
        catalogue,
        found,
    } = answering::differences(
        store.as_ref(),
        indicator.as_deref(),
        area.as_deref(),
        data_version,
    )?;
    let unit = |code: &str| catalogue.indicator(code).map(|i| i.unit);
    if json {
        let rows: Vec<serde_json::Value> = found
            .iter()
            .map(|d| {
                serde_json::json!({
                    "indicator": d.indicator, "area": d.area,
                    "period": d.period.to_string(), "breakdown": d.breakdown.key(),
                    "amounts": d.amounts.iter().map(|(s, a)| serde_json::json!({"source": s.code(), "amount": a})).collect::<Vec<_>>(),
                    "spread": d.spread(),
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if found.is_empty() {
        out!(
            "No figures disagree at data version {}: where two sources hold the same figure, they give the same amount.",
            data_version
        );
        return Ok(());
    }
    out!(
        "{} figure(s) where sources disagree, at data version {} (answers use the first source and warn):",
        found.len(),
        data_version
    );
    for d in &found {
        let amounts: Vec<String> = d
            .amounts
            .iter()
            .map(|(s, a)| {
                let shown = match unit(&d.indicator) {
                    Ok(u) => lantern_core::figure::Value::Exact(*a).display(u),
                    Err(_) => a.to_string(),
                };
                format!("{} {shown}", s.code())
            })
            .collect();
        let breakdown = d.breakdown.key();
        out!(
            "{}  {}  {}  {}  {}",
            d.indicator,
            d.area,
            d.period,
            if breakdown.is_empty() {
                "total"
            } else {
                &breakdown
            },
            amounts.join(" | ")
        );
    }
    out!("Figures as held, before disclosure control: not for publication.");
    Ok(())
}

fn log(ctx: &Ctx, indicator: Option<String>, search: Option<String>, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let entries = disclosure_log::search(store.as_ref(), indicator.as_deref(), search.as_deref())?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&disclosure_log::to_json(&entries))?
        );
        return Ok(());
    }
    if entries.is_empty() {
        out!("The disclosure log is empty: answers are logged when they are sent.");
    }
    for e in entries {
        let what = match (&e.indicator, &e.period) {
            (Some(i), Some(p)) => format!(
                "{i} {p}{}",
                e.breakdown
                    .as_deref()
                    .filter(|b| !b.is_empty())
                    .map(|b| format!(" [{b}]"))
                    .unwrap_or_default()
            ),
            _ => "narrative answer".into(),
        };
        out!(
            "{}  {:<14} Q{:<4} {:<48} {:<10} {}",
            e.sent_at.get(..10).unwrap_or(&e.sent_at),
            e.reference,
            e.question,
            what,
            e.decision,
            e.released
        );
    }
    Ok(())
}

fn finding_text(f: Finding) -> &'static str {
    match f {
        Finding::Derivable => {
            "can be worked out exactly from what the log released and releases published"
        }
        Finding::Unproven => "could not be shown safe within the search budget",
    }
}

fn log_audit(ctx: &Ctx, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let audit = disclosure_log::audit(ctx, store.as_ref())?;
    let rows = &audit.findings;
    if json {
        let findings: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "reference": r.reference, "question": r.question,
                    "indicator": r.indicator, "area": r.area, "period": r.period,
                    "breakdown": r.breakdown, "released": r.released,
                    "finding": match r.finding { Finding::Derivable => "derivable", Finding::Unproven => "unproven" },
                })
            })
            .collect();
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "tables": audit.tables,
                "withheld": audit.withheld,
                "findings": findings,
            }))?
        );
    } else {
        for r in rows {
            out!(
                "{}{} {} {} {}{}: {}",
                r.reference,
                r.question
                    .as_ref()
                    .map(|q| format!(" Q{q}"))
                    .unwrap_or_default(),
                r.indicator,
                r.area,
                r.period,
                r.breakdown
                    .as_deref()
                    .map(|b| format!(" [{b}]"))
                    .unwrap_or_default(),
                finding_text(r.finding)
            );
        }
        if rows.is_empty() {
            out!(
                "Checked {} withheld count(s) in {} table(s): none can be worked out from the disclosure log and the totals releases have published.",
                audit.withheld,
                audit.tables
            );
        }
    }
    if !rows.is_empty() {
        bail!(
            "{} withheld count(s) in the disclosure log or published totals are not safe (listed above); answer no further request for them and review the answers named",
            rows.len()
        );
    }
    Ok(())
}

fn imports(ctx: &Ctx, json: bool) -> Result<()> {
    let imports = data::imports(ctx)?;
    if json {
        let rows: Vec<serde_json::Value> = imports
            .iter()
            .map(|i| {
                serde_json::json!({
                    "id": i.id, "kind": i.kind, "file": i.file, "sha256": i.sha256, "actor": i.actor, "at": i.at,
                    "rows": i.receipt.rows, "added": i.receipt.added, "replaced": i.receipt.replaced, "unchanged": i.receipt.unchanged,
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for i in imports {
        out!(
            "{:>4}  {}  {:<10} {:<40} by {:<12} {} rows: {} added, {} replaced, {} unchanged",
            i.id,
            i.at,
            i.kind,
            i.file,
            i.actor,
            i.receipt.rows,
            i.receipt.added,
            i.receipt.replaced,
            i.receipt.unchanged
        );
    }
    Ok(())
}

fn export(ctx: &Ctx, path: &Path) -> Result<()> {
    let exported = data::export(ctx)?;
    write_atomically(path, &exported.bytes)?;
    out!(
        "Exported {} (data version {}): {} rows in {} tables to {}.",
        ctx.display_database(),
        exported.data_version,
        exported.rows,
        exported.tables,
        path.display()
    );
    Ok(())
}

fn restore(ctx: &Ctx, path: &Path) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let restored = data::restore_from(
        ctx,
        &path.display().to_string(),
        &mut std::io::BufReader::new(file),
    )?;
    out!(
        "Restored {} into {}: {} rows; data version {}.",
        path.display(),
        ctx.display_database(),
        restored.rows,
        restored.data_version
    );
    Ok(())
}
