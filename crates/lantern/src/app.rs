//! The `lantern` command line: argument definitions and one function per
//! command. Commands are thin: they read files, call the store and the core,
//! and print. Rules live in `lantern-core`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use lantern_core::answer::{self, Evidence};
use lantern_core::catalogue::Catalogue;
use lantern_core::disclosure::Finding;
use lantern_core::figure::Figure;
use lantern_core::period::Period;
use lantern_core::protected::{self, KnownCell, Shown};
use lantern_core::request;
use lantern_store::{Created, Store};
use lantern_store::{FigureQuery, ImportKind, ImportMeta, ImportReceipt};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::import::{self, Importer};
use crate::render::{self, Format, Templates};
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
    /// Who is acting, for the audit log. Default: $LANTERN_ACTOR, else $USER.
    #[arg(long, global = true, env = "LANTERN_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,
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
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
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
    },
    /// Write everything the database holds to a dump file (to move between SQLite and PostgreSQL).
    Export {
        /// The dump file to write (docs/formats/dump.md).
        file: PathBuf,
    },
    /// Bring the database's schema up to date (opening it does this too) and
    /// take the catalogue shipped with this Lantern.
    Migrate,
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
        /// Count unanswered requests as overdue as of this day (default today).
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

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let database = cli
        .database
        .clone()
        .or_else(|| config.database())
        .unwrap_or_else(|| "lantern.db".to_string());
    let ctx = Ctx {
        database,
        config,
        actor: cli.actor.clone().unwrap_or_else(default_actor),
    };
    // Other writers kept waiting for the lock are told what holds it.
    lantern_store::writer::set_label(&format!(
        "lantern {} by {}",
        command_name(&cli.command),
        ctx.actor
    ));
    // Figures follow their submissions: a writing command first finishes a
    // recomputation an earlier one left owed; a reading one says so.
    match &cli.command {
        Command::Import { kind, .. } if !matches!(kind, ImportWhat::Dump) => {
            crate::records::settle_before_writing(&ctx)?
        }
        Command::Request { .. }
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
        Command::Submissions {
            action: Some(SubmissionAction::Withdraw { id, reason }),
            ..
        } => crate::records::withdraw(&ctx, id, &reason),
        Command::Submissions { id, json, .. } => crate::records::submissions(&ctx, id, json),
        Command::Recompute { area, counts, json } => {
            crate::records::recompute(&ctx, area, counts, json)
        }
        Command::Generate { scale, seed, out } => crate::records::generate(
            match scale {
                GenerateScale::Council => lantern_core::records::generate::Scale::Council,
                GenerateScale::National => lantern_core::records::generate::Scale::National,
            },
            seed,
            &out,
        ),
        Command::Export { file } => export(&ctx, &file),
        Command::Migrate => {
            let mut store = lantern_store::open(&ctx.database)?;
            let shipped = lantern_core::catalogue::SHIPPED;
            let meta = ctx.meta(
                ImportKind::Catalogue,
                &format!(
                    "catalogue/indicators.toml (Lantern {})",
                    env!("CARGO_PKG_VERSION")
                ),
                shipped.as_bytes(),
            );
            let upgraded = store.upgrade_catalogue(&meta, shipped)?;
            out!(
                "{} is at schema version {} (data version {}).",
                ctx.display_database(),
                lantern_store::SCHEMA_VERSION,
                upgraded.data_version
            );
            if upgraded.added > 0 {
                out!(
                    "The catalogue now starts from the one shipped with this Lantern (import {}); earlier data versions keep theirs.",
                    upgraded.import
                );
            }
            Ok(())
        }
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
            let letter = answer_file(&ctx, store.as_ref(), &request, format, data_version)?;
            match output {
                Some(path) => write_atomically(&path, letter.as_bytes()),
                None => {
                    std::io::stdout().lock().write_all(letter.as_bytes())?;
                    Ok(())
                }
            }
        }
        Command::Demo { letters } => demo::run(&ctx, &letters),
        Command::Imports { json } => imports(&ctx, json),
        Command::Serve { listen } => crate::serve::run(&ctx, &listen),
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
                today: day("today", today)?.unwrap_or_else(|| {
                    jiff::tz::Offset::UTC
                        .to_datetime(jiff::Timestamp::now())
                        .date()
                }),
                csv,
                json,
            };
            crate::reports::run(&ctx, kind, &options)
        }
    }
}

/// What every command needs.
pub struct Ctx {
    /// Database path or URL.
    pub database: String,
    /// Configuration.
    pub config: Config,
    /// Who is acting.
    pub actor: String,
}

impl Ctx {
    /// The database as messages show it (a URL without its password).
    pub fn display_database(&self) -> String {
        if lantern_store::is_postgres(&self.database) {
            match self.database.split_once('@') {
                Some((scheme_user, rest)) => match scheme_user.rsplit_once(':') {
                    Some((before, _password))
                        if before.contains("//") && before.matches(':').count() == 1 =>
                    {
                        format!("{before}:***@{rest}")
                    }
                    _ => self.database.clone(),
                },
                None => self.database.clone(),
            }
        } else {
            self.database.clone()
        }
    }

    /// Open the database (migrating it unless `migrate_on_open = false`).
    pub fn open(&self) -> Result<Box<dyn Store>> {
        Ok(lantern_store::open_with(
            &self.database,
            self.config.migrate_on_open,
        )?)
    }

    /// Provenance for an import of `file` with these bytes.
    pub fn meta(&self, kind: ImportKind, file: &str, bytes: &[u8]) -> ImportMeta {
        ImportMeta {
            kind,
            file: file.to_string(),
            sha256: hex(&Sha256::digest(bytes)),
            actor: self.actor.clone(),
            at: now(),
        }
    }

    fn importer(&self) -> Importer {
        Importer {
            actor: self.actor.clone(),
            at: now(),
        }
    }
}

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

/// The current time, to the second, RFC 3339.
pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Bytes as lowercase hex (file digests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn init(ctx: &Ctx) -> Result<()> {
    let meta = lantern_store::init_meta(&ctx.actor, &now());
    let (store, created) = lantern_store::create(&ctx.database, &meta)?;
    let catalogue = store.catalogue()?;
    match created {
        Created::New => out!(
            "Created {} with {} indicators in the catalogue.",
            ctx.display_database(),
            catalogue.indicators().count()
        ),
        Created::Existing => out!(
            "{} is already a Lantern database (data version {}); nothing changed.",
            ctx.display_database(),
            store.data_version()?
        ),
    }
    Ok(())
}

/// Import one file of the given kind.
pub fn import_file(
    ctx: &Ctx,
    store: &mut dyn Store,
    kind: ImportWhat,
    path: &Path,
) -> Result<ImportReceipt> {
    let limit = match kind {
        ImportWhat::BankHolidays | ImportWhat::Catalogue => MAX_SMALL_FILE,
        _ => MAX_IMPORT_FILE,
    };
    let bytes = read_bounded(path, limit)?;
    let name = path.display().to_string();
    import_bytes(ctx, store, kind, &name, &bytes)
}

/// Import file contents already read (the demo uses embedded files).
pub fn import_bytes(
    ctx: &Ctx,
    store: &mut dyn Store,
    kind: ImportWhat,
    name: &str,
    bytes: &[u8],
) -> Result<ImportReceipt> {
    let catalogue = store.catalogue()?;
    let bar = progress::bar(bytes.len() as u64, name);
    let tick = |pos: u64| bar.set_position(pos);
    let receipt = match kind {
        ImportWhat::Figures => {
            let figures = import::figures(name, bytes, &catalogue, &ctx.importer(), &tick)?;
            bar.finish_and_clear();
            store.import_figures(&ctx.meta(ImportKind::Figures, name, bytes), &figures)?
        }
        ImportWhat::Statements => {
            let statements = import::statements(name, bytes, &ctx.importer(), &tick)?;
            bar.finish_and_clear();
            store.import_statements(&ctx.meta(ImportKind::Statements, name, bytes), &statements)?
        }
        ImportWhat::Releases => {
            let releases = import::releases(name, bytes, &catalogue, &tick)?;
            bar.finish_and_clear();
            store.import_releases(&ctx.meta(ImportKind::Releases, name, bytes), &releases)?
        }
        ImportWhat::Dump => {
            bar.finish_and_clear();
            bail!(
                "a dump is restored with `lantern import dump FILE`, not imported into a database with data"
            );
        }
        ImportWhat::Agencies => {
            let agencies = import::agencies(name, bytes, &tick)?;
            bar.finish_and_clear();
            store.import_agencies(&ctx.meta(ImportKind::Agencies, name, bytes), &agencies)?
        }
        ImportWhat::Episodes => {
            bar.finish_and_clear();
            bail!("episodes are imported with `lantern import episodes FILE...`");
        }
        ImportWhat::BankHolidays => {
            bar.finish_and_clear();
            let text =
                std::str::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
            let meta = ctx.meta(ImportKind::BankHolidays, name, bytes);
            let calendar = lantern_core::deadline::Calendar::from_govuk_json(text)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?
                .labelled(format!(
                    "imported gov.uk bank holidays, sha256 {}",
                    &meta.sha256[..12.min(meta.sha256.len())]
                ));
            store.import_calendar(&meta, calendar.version(), text)?
        }
        ImportWhat::Catalogue => {
            bar.finish_and_clear();
            let text =
                std::str::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
            store.extend_catalogue(&ctx.meta(ImportKind::Catalogue, name, bytes), text)?
        }
    };
    Ok(receipt)
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

fn parse_fy(text: &str, flag: &str) -> Result<Period> {
    let period = Period::parse(text).with_context(|| format!("--{flag}"))?;
    match period.within_financial_year() {
        Some(fy) => Ok(Period::FinancialYear(fy)),
        None => bail!("--{flag} {text}: give one financial year, such as 2016/17"),
    }
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
    // The current figures of one area are read from the store by area (a
    // national store holds every area's); an earlier version is read whole.
    let snapshot = match (data_version, &area) {
        (None, Some(a)) => {
            let area = lantern_core::figure::check_area(a).map_err(anyhow::Error::msg)?;
            let data_version = store.data_version()?;
            lantern_store::Snapshot {
                data_version,
                catalogue: store.catalogue()?,
                figures: store.figures(&FigureQuery {
                    indicator: None,
                    area: Some(area),
                })?,
                statements: vec![],
                releases: vec![],
            }
        }
        _ => store.snapshot(data_version)?,
    };
    let ind = snapshot.catalogue.indicator(indicator)?;
    let from = from.map(|f| parse_fy(&f, "from")).transpose()?;
    let to = to.map(|t| parse_fy(&t, "to")).transpose()?;
    let area = area
        .map(|a| lantern_core::figure::check_area(&a).map_err(anyhow::Error::msg))
        .transpose()?;
    let query = FigureQuery {
        indicator: Some(ind.code.clone()),
        area,
    };
    let figures: Vec<&Figure> = snapshot
        .figures
        .iter()
        .filter(|f| f.indicator == ind.code)
        .filter(|f| query.area.as_ref().is_none_or(|a| &f.area == a))
        .filter(|f| from.is_none_or(|p| f.period.last_day() >= p.first_day()))
        .filter(|f| to.is_none_or(|p| f.period.first_day() <= p.last_day()))
        .collect();
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
        let out = serde_json::json!({ "indicator": ind.code, "data_version": snapshot.data_version, "figures": rows });
        out!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    out!(
        "{} ({}) — data version {}",
        ind.title,
        ind.code,
        snapshot.data_version
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

/// The largest text file Lantern reads whole (requests, e-mails).
const MAX_TEXT: u64 = 4 << 20;

/// The largest figures, statements, releases or agencies file (and
/// providers' episode files): far above any real one.
pub const MAX_IMPORT_FILE: u64 = 1 << 30;

/// The largest catalogue, bank-holiday or configuration file.
pub const MAX_SMALL_FILE: u64 = 16 << 20;

/// Read a whole file of at most `limit` bytes, refusing a larger one (by its
/// size, and by what is read, for a file that grows or is not a regular
/// file) with a message naming the limit.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let too_large = |size: u64| {
        anyhow::anyhow!(
            "{} is {size} bytes or more, over the limit of {limit} bytes Lantern reads for this kind of file; is it the right file?",
            path.display()
        )
    };
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Read a text file, refusing binary, non-UTF-8 and oversized files with a
/// message that says which.
pub fn read_text(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_TEXT {
        bail!(
            "{} is {} bytes, too large for a request (the limit is {MAX_TEXT}); is it the right file?",
            path.display(),
            size
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
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
    let view = decide(ctx, store, name, text, data_version)?;
    let templates = Templates::load(ctx.config.template_dir().as_deref())?;
    templates.render(&view, format)
}

/// Every count of people in the disclosure-log entries `log` except
/// `reference`'s own: released (`given`, with its value) or withheld
/// (`suppressed`: "fewer than N", or a secondary). The entries are those
/// about the request's indicators and areas, whichever council sent the
/// answer: protection is per deployment, not per council.
fn earlier_releases(
    log: &[lantern_core::casework::LogEntry],
    reference: &str,
) -> Vec<answer::EarlierRelease> {
    log.iter()
        .filter(|e| e.reference != reference)
        .filter_map(|e| {
            Some(answer::EarlierRelease {
                shown: Shown::from_log(&e.decision, e.value, &e.released)?,
                period: lantern_core::period::Period::parse(e.period.as_deref()?).ok()?,
                breakdown: lantern_core::figure::Breakdown::from_key(
                    e.breakdown.as_deref().unwrap_or(""),
                ),
                indicator: e.indicator.clone()?,
                area: e.area.clone()?,
                reference: e.reference.clone(),
                sent: e.sent_at.clone(),
            })
        })
        .collect()
}

/// What the planner reads to answer `request` about `area` at
/// `data_version`: the request's figures, statements and releases and the
/// disclosure-log entries disclosure control must see with them
/// (`lantern_core::scope`), not the whole data version.
fn evidence_for(
    store: &dyn Store,
    request: &request::Request,
    area: &str,
    data_version: i64,
) -> Result<(lantern_store::ScopedRead, Vec<answer::EarlierRelease>)> {
    let scope = lantern_core::scope::Scope::of(request, area);
    let read = store.read_scope(data_version, &scope)?;
    let earlier = earlier_releases(&read.log, &request.reference);
    Ok((read, earlier))
}

/// Decide a request given as text: the letter's view model, from the data
/// at `data_version` (the newest when `None`) and the disclosure log.
pub fn decide(
    ctx: &Ctx,
    store: &dyn Store,
    name: &str,
    text: &str,
    data_version: Option<i64>,
) -> Result<render::LetterView> {
    decide_with(ctx, store, name, text, data_version, true)
}

/// [`decide`], printing the planner's warnings to standard error or not.
pub fn decide_with(
    ctx: &Ctx,
    store: &dyn Store,
    name: &str,
    text: &str,
    data_version: Option<i64>,
    print_warnings: bool,
) -> Result<render::LetterView> {
    let (data_version, catalogue) = store.catalogue_at(data_version)?;
    let request = request::parse_request(name, text, &catalogue)?;
    let area = request
        .area
        .clone()
        .or_else(|| ctx.config.council.area.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{name}: the request names no area and lantern.toml sets no [council] area; add area = \"E06000016\" to one of them"
            )
        })?;
    let policy = ctx.config.policy()?;
    let (read, earlier) = evidence_for(store, &request, &area, data_version)?;
    let evidence = Evidence {
        catalogue: &catalogue,
        figures: &read.figures,
        statements: &read.statements,
        releases: &read.releases,
        policy,
        area: &area,
        earlier: &earlier,
    };
    let decided = answer::plan(&request, &evidence);
    for w in decided.warnings.iter().filter(|_| print_warnings) {
        eprintln!("warning: {w}");
    }
    Ok(render::view(
        &decided,
        &catalogue,
        &ctx.config.council,
        data_version,
    ))
}

/// The catalogue held in the database.
pub fn catalogue(store: &dyn Store) -> Result<Catalogue> {
    Ok(store.catalogue()?)
}

fn differences(
    ctx: &Ctx,
    indicator: Option<String>,
    area: Option<String>,
    data_version: Option<i64>,
    json: bool,
) -> Result<()> {
    let store = ctx.open()?;
    let snapshot = store.snapshot(data_version)?;
    let unit = |code: &str| snapshot.catalogue.indicator(code).map(|i| i.unit);
    if let Some(code) = &indicator {
        snapshot.catalogue.indicator(code)?;
    }
    let area = area
        .map(|a| lantern_core::figure::check_area(&a).map_err(anyhow::Error::msg))
        .transpose()?;
    let found: Vec<_> = lantern_core::figure::disagreements(&snapshot.figures)
        .into_iter()
        .filter(|d| indicator.as_ref().is_none_or(|i| &d.indicator == i))
        .filter(|d| area.as_ref().is_none_or(|a| &d.area == a))
        .collect();
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
            snapshot.data_version
        );
        return Ok(());
    }
    out!(
        "{} figure(s) where sources disagree, at data version {} (answers use the first source and warn):",
        found.len(),
        snapshot.data_version
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

/// The disclosure log, optionally only one indicator's entries and those
/// whose reference, text or period contain `search` (ignoring case).
pub fn log_matching(
    store: &dyn Store,
    indicator: Option<&str>,
    search: Option<&str>,
) -> Result<Vec<lantern_core::casework::LogEntry>> {
    let needle = search.map(str::to_lowercase).filter(|n| !n.is_empty());
    Ok(store
        .disclosure_log()?
        .into_iter()
        .filter(|e| indicator.is_none_or(|i| e.indicator.as_deref() == Some(i)))
        .filter(|e| {
            needle.as_ref().is_none_or(|n| {
                [Some(&e.reference), Some(&e.released), e.period.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|f| f.to_lowercase().contains(n.as_str()))
            })
        })
        .collect())
}

/// The disclosure log's JSON form (`lantern log --json`, `/api/log`).
pub fn log_json(entries: &[lantern_core::casework::LogEntry]) -> serde_json::Value {
    entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "reference": e.reference, "sent_at": e.sent_at, "question": e.question,
                "indicator": e.indicator, "area": e.area, "period": e.period, "breakdown": e.breakdown,
                "decision": e.decision, "basis": e.basis, "value": e.value, "released": e.released,
            })
        })
        .collect()
}

fn log(ctx: &Ctx, indicator: Option<String>, search: Option<String>, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let entries = log_matching(store.as_ref(), indicator.as_deref(), search.as_deref())?;
    if json {
        out!("{}", serde_json::to_string_pretty(&log_json(&entries))?);
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

/// The counts of people in disclosure-log lines, each with its line's
/// index: released (`given`) or withheld (`suppressed`).
pub fn known_cells(entries: &[lantern_core::casework::LogEntry]) -> Vec<(usize, KnownCell)> {
    entries
        .iter()
        .enumerate()
        .filter_map(|(n, e)| {
            Some((
                n,
                KnownCell {
                    shown: Shown::from_log(&e.decision, e.value, &e.released)?,
                    period: Period::parse(e.period.as_deref()?).ok()?,
                    breakdown: lantern_core::figure::Breakdown::from_key(
                        e.breakdown.as_deref().unwrap_or(""),
                    ),
                    indicator: e.indicator.clone()?,
                    area: e.area.clone()?,
                    source: e.reference.clone(),
                },
            ))
        })
        .collect()
}

/// What an audit finding names: a disclosure-log line, or a total a
/// release published.
pub enum Audited {
    /// The index of a log line.
    Line(usize),
    /// A published total (`source` is `release:<code>`).
    Published(KnownCell),
}

/// Audits `entries`, with the totals releases have published by today, as
/// one protected table (see `lantern_core::protected`); what is named, with
/// what was found. Counts are never shown.
pub fn audit_log(
    ctx: &Ctx,
    store: &dyn Store,
    entries: &[lantern_core::casework::LogEntry],
) -> Result<(protected::Audit, Vec<Audited>)> {
    let snapshot = store.snapshot(None)?;
    let policy = ctx.config.policy()?;
    let cells = known_cells(entries);
    let mut known: Vec<KnownCell> = cells.iter().map(|(_, c)| c.clone()).collect();
    let touched = known
        .iter()
        .map(|c| (c.indicator.clone(), c.area.clone()))
        .collect();
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    known.extend(protected::published(
        &snapshot.catalogue,
        &snapshot.figures,
        &snapshot.releases,
        today,
        policy.threshold,
        &touched,
    ));
    let audit = protected::audit(&snapshot.catalogue, &snapshot.figures, &known, &policy);
    let named = audit
        .findings
        .iter()
        .map(|&(k, _)| match cells.get(k) {
            Some(&(n, _)) => Audited::Line(n),
            None => Audited::Published(known[k].clone()),
        })
        .collect();
    Ok((audit, named))
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
    let entries = store.disclosure_log()?;
    let (audit, named) = audit_log(ctx, store.as_ref(), &entries)?;
    // Each finding as the log line it names, or the published total.
    struct Row {
        reference: String,
        question: Option<String>,
        indicator: String,
        area: String,
        period: String,
        breakdown: Option<String>,
        released: String,
        finding: Finding,
    }
    let rows: Vec<Row> = named
        .into_iter()
        .zip(&audit.findings)
        .map(|(a, &(_, finding))| match a {
            Audited::Line(n) => {
                let e = &entries[n];
                Row {
                    reference: e.reference.clone(),
                    question: Some(e.question.clone()),
                    indicator: e.indicator.clone().unwrap_or_default(),
                    area: e.area.clone().unwrap_or_default(),
                    period: e.period.clone().unwrap_or_default(),
                    breakdown: e.breakdown.clone().filter(|b| !b.is_empty()),
                    released: e.released.clone(),
                    finding,
                }
            }
            Audited::Published(c) => Row {
                reference: c.source,
                question: None,
                indicator: c.indicator,
                area: c.area,
                period: c.period.to_string(),
                breakdown: None,
                released: "published total".into(),
                finding,
            },
        })
        .collect();
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
        for r in &rows {
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
    let store = ctx.open()?;
    let imports = store.imports()?;
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
    let store = ctx.open()?;
    let tables = store.export()?;
    let mut bytes = Vec::new();
    lantern_store::dump::write(&mut bytes, lantern_store::SCHEMA_VERSION, &tables)?;
    write_atomically(path, &bytes)?;
    let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    out!(
        "Exported {} (data version {}): {rows} rows in {} tables to {}.",
        ctx.display_database(),
        store.data_version()?,
        tables.len(),
        path.display()
    );
    Ok(())
}

fn restore(ctx: &Ctx, path: &Path) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let tables = lantern_store::dump::read(&mut std::io::BufReader::new(file))
        .with_context(|| format!("{}", path.display()))?;
    let meta = lantern_store::init_meta(&ctx.actor, &now());
    let (mut store, _) = lantern_store::create(&ctx.database, &meta)?;
    if let Err(e) = store.restore(&tables) {
        // A row the database refused: name its line in the dump.
        if let lantern_store::StoreError::DumpRow { table, row, reason } = &e {
            let line = std::fs::File::open(path).ok().and_then(|f| {
                lantern_store::dump::line_of_row(&mut std::io::BufReader::new(f), table, *row)
            });
            let at = line.map_or(String::new(), |l| format!("line {l}: "));
            bail!("{}: {at}table {table}, row {row}: {reason}", path.display());
        }
        return Err(e.into());
    }
    let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    out!(
        "Restored {} into {}: {rows} rows; data version {}.",
        path.display(),
        ctx.display_database(),
        store.data_version()?
    );
    Ok(())
}

/// Write a file so that it is either all there or not changed at all.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
