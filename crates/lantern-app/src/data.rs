//! The data a council holds, in and out: create a database, bring its
//! schema and shipped catalogue up to date, import figures, statements,
//! releases, agencies, bank holidays and catalogue extensions (bytes and a
//! name), list past imports, and export or restore a whole database as a
//! dump.
//!
//! Each import is checked whole before the store is touched (problems
//! located by file, line and column, [`crate::import`]) and written in one
//! transaction with its audit; one that changes anything is a new data
//! version.

use std::io::{BufRead, Cursor, Seek, SeekFrom};

use lantern_core::deadline::Calendar;
use lantern_store::{Created, ImportKind, Store, StoreError, dump};

pub use lantern_store::{ImportReceipt, ImportRecord};

use crate::files::{MAX_IMPORT_FILE, MAX_SMALL_FILE};
use crate::{Context, Error, Result, ResultExt, now};

/// What a data file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFile {
    /// Figures, long CSV (docs/formats/figures.md).
    Figures,
    /// Statements CSV (docs/formats/statements.md).
    Statements,
    /// Releases CSV (docs/formats/releases.md).
    Releases,
    /// A council's catalogue extension, TOML (docs/formats/catalogue.md).
    Catalogue,
    /// The register of treatment providers, CSV code,name,area.
    Agencies,
    /// UK bank holidays in the gov.uk JSON format.
    BankHolidays,
}

impl DataFile {
    /// The largest file of this kind that is read.
    pub fn size_limit(self) -> u64 {
        match self {
            DataFile::BankHolidays | DataFile::Catalogue => MAX_SMALL_FILE,
            _ => MAX_IMPORT_FILE,
        }
    }
}

/// What [`init`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initialised {
    /// A new database, with this many indicators in its catalogue.
    New {
        /// Indicators in the shipped catalogue.
        indicators: usize,
        /// The council `lantern.toml` describes, taken in as part of the
        /// first data version (`crate::council::take_in`), if it describes one.
        council: Option<Box<crate::council::Set>>,
    },
    /// A Lantern database was already there; nothing changed.
    Existing {
        /// Its data version.
        data_version: i64,
    },
}

/// Create a database holding the shipped indicator catalogue (and the
/// council `lantern.toml` describes), or find the one already there.
pub fn init(ctx: &Context) -> Result<Initialised> {
    if ctx.config.sets_council() {
        // Checked before anything is created.
        crate::council::from_config(&ctx.config)?;
    }
    let meta = lantern_store::init_meta(&ctx.actor, &now());
    let (mut store, created) = lantern_store::create(&ctx.database, &meta)?;
    let catalogue = store.catalogue()?;
    Ok(match created {
        Created::New => Initialised::New {
            indicators: catalogue.indicators().count(),
            council: crate::council::take_in(ctx, store.as_mut(), true)?.map(Box::new),
        },
        Created::Existing => Initialised::Existing {
            data_version: store.data_version()?,
        },
    })
}

/// What [`migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The schema version the database is now at.
    pub schema_version: i64,
    /// Its data version.
    pub data_version: i64,
    /// The import that took in the catalogue shipped with this Lantern,
    /// when it was newer than the one held.
    pub catalogue_import: Option<i64>,
    /// The council settings taken in from `lantern.toml`, if it gives any
    /// (`crate::council::take_in`; unchanged when they are those held).
    pub council: Option<crate::council::Set>,
}

/// Bring the schema up to date (whatever `migrate_on_open` says), take
/// in the catalogue shipped with this Lantern as a new layer (earlier data
/// versions keep theirs) and the council settings `lantern.toml` gives.
pub fn migrate(ctx: &Context) -> Result<Migrated> {
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
    let council = crate::council::take_in(ctx, store.as_mut(), false)?;
    Ok(Migrated {
        schema_version: lantern_store::SCHEMA_VERSION,
        data_version: council
            .as_ref()
            .map_or(upgraded.data_version, |c| c.stored.receipt.data_version),
        catalogue_import: (upgraded.added > 0).then_some(upgraded.import),
        council,
    })
}

/// Import a file's contents, named `name` in messages and provenance.
///
/// `progress` is told how many bytes have been read, and is given the
/// whole length once reading is done and the store is being written.
pub fn import(
    ctx: &Context,
    kind: DataFile,
    name: &str,
    bytes: &[u8],
    progress: &dyn Fn(u64),
) -> Result<ImportReceipt> {
    let mut store = ctx.open()?;
    import_into(ctx, store.as_mut(), kind, name, bytes, progress)
}

/// [`import`] into a store already open (the demo fills the database it
/// has just created).
pub fn import_into(
    ctx: &Context,
    store: &mut dyn Store,
    kind: DataFile,
    name: &str,
    bytes: &[u8],
    progress: &dyn Fn(u64),
) -> Result<ImportReceipt> {
    let catalogue = store.catalogue()?;
    let read = || progress(bytes.len() as u64);
    let receipt = match kind {
        DataFile::Figures => {
            let figures =
                crate::import::figures(name, bytes, &catalogue, &ctx.importer(), progress)?;
            read();
            store.import_figures(&ctx.meta(ImportKind::Figures, name, bytes), &figures)?
        }
        DataFile::Statements => {
            let statements = crate::import::statements(name, bytes, &ctx.importer(), progress)?;
            read();
            store.import_statements(&ctx.meta(ImportKind::Statements, name, bytes), &statements)?
        }
        DataFile::Releases => {
            let releases = crate::import::releases(name, bytes, &catalogue, progress)?;
            read();
            store.import_releases(&ctx.meta(ImportKind::Releases, name, bytes), &releases)?
        }
        DataFile::Agencies => {
            let agencies = crate::import::agencies(name, bytes, progress)?;
            read();
            store.import_agencies(&ctx.meta(ImportKind::Agencies, name, bytes), &agencies)?
        }
        DataFile::BankHolidays => {
            read();
            let text = utf8(name, bytes)?;
            let meta = ctx.meta(ImportKind::BankHolidays, name, bytes);
            let calendar = Calendar::from_govuk_json(text)
                .map_err(|e| Error::invalid(format!("{name}: {e}")))?
                .labelled(format!(
                    "imported gov.uk bank holidays, sha256 {}",
                    &meta.sha256[..12.min(meta.sha256.len())]
                ));
            store.import_calendar(&meta, calendar.version(), text)?
        }
        DataFile::Catalogue => {
            read();
            let text = utf8(name, bytes)?;
            store.extend_catalogue(&ctx.meta(ImportKind::Catalogue, name, bytes), text)?
        }
    };
    Ok(receipt)
}

/// Withdraw release `code` from the publication calendar (it will not be
/// published after all), with the reason, audited with who and when: from
/// the new data version on it no longer justifies section 22 (or 21), and
/// every open draft citing it is flagged and cannot be approved or sent
/// unchanged (`casework::drafting::check_ready`).
pub fn withdraw_release(ctx: &Context, code: &str, reason: &str) -> Result<ImportReceipt> {
    let mut store = ctx.open()?;
    let meta = lantern_store::ImportMeta {
        kind: ImportKind::ReleaseWithdrawal,
        file: format!("release {code}"),
        sha256: String::new(),
        actor: ctx.actor.clone(),
        at: now(),
    };
    Ok(store.withdraw_release(&meta, code.trim(), reason)?)
}

fn utf8<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| Error::invalid(format!("{name} is not UTF-8 text: {e}")))
}

/// Every past import, oldest first (each that changed data is a data
/// version).
pub fn imports(ctx: &Context) -> Result<Vec<ImportRecord>> {
    let store = ctx.open()?;
    Ok(store.imports()?)
}

/// A whole database as a dump (docs/formats/dump.md).
#[derive(Debug, Clone)]
pub struct Exported {
    /// The dump.
    pub bytes: Vec<u8>,
    /// Rows written.
    pub rows: usize,
    /// Tables written.
    pub tables: usize,
    /// The data version exported.
    pub data_version: i64,
}

/// Everything the database holds, as dump bytes (to move between SQLite
/// and PostgreSQL, or to keep).
pub fn export(ctx: &Context) -> Result<Exported> {
    let store = ctx.open()?;
    let tables = store.export()?;
    let mut bytes = Vec::new();
    dump::write(&mut bytes, lantern_store::SCHEMA_VERSION, &tables)?;
    Ok(Exported {
        bytes,
        rows: tables.iter().map(|t| t.rows.len()).sum(),
        tables: tables.len(),
        data_version: store.data_version()?,
    })
}

/// What [`restore`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restored {
    /// Rows restored.
    pub rows: usize,
    /// The data version restored.
    pub data_version: i64,
}

/// A dump to restore from: read once to check and load it, and again
/// from the start only to name the line of a row the database refused.
/// A file (`BufReader<File>`) or bytes in memory (`Cursor<&[u8]>`).
pub trait DumpInput: BufRead + Seek {}

impl<T: BufRead + Seek> DumpInput for T {}

/// Restore a dump's bytes (named `name` in messages) into a new, empty
/// database. The dump is checked whole first; a row the database refuses
/// is named by its line in the dump, and nothing is restored.
pub fn restore(ctx: &Context, name: &str, bytes: &[u8]) -> Result<Restored> {
    restore_from(ctx, name, &mut Cursor::new(bytes))
}

/// [`restore`] from a reader, so that a dump larger than memory allows is
/// never read whole (and a file without end is refused at its first
/// overlong line).
pub fn restore_from(ctx: &Context, name: &str, input: &mut dyn DumpInput) -> Result<Restored> {
    let tables = dump::read(input).context(name)?;
    let meta = lantern_store::init_meta(&ctx.actor, &now());
    let (mut store, _) = lantern_store::create(&ctx.database, &meta)?;
    if let Err(e) = store.restore(&tables) {
        // A row the database refused: name its line in the dump.
        if let StoreError::DumpRow { table, row, reason } = &e {
            let line = input
                .seek(SeekFrom::Start(0))
                .ok()
                .and_then(|_| dump::line_of_row(input, table, *row));
            let at = line.map_or(String::new(), |l| format!("line {l}: "));
            return Err(Error::invalid(format!(
                "{name}: {at}table {table}, row {row}: {reason}"
            )));
        }
        return Err(e.into());
    }
    Ok(Restored {
        rows: tables.iter().map(|t| t.rows.len()).sum(),
        data_version: store.data_version()?,
    })
}

/// What a health check reports: the database answers, at these versions,
/// and whether figures from records are being brought up to date.
pub struct Health {
    /// The schema version this Lantern writes.
    pub schema: i64,
    /// The newest data version.
    pub data_version: i64,
    /// Set while a recomputation is owed: what to tell readers.
    pub figures_owed: Option<String>,
}

/// Check the database answers (`/healthz`).
pub fn health(store: &dyn Store) -> Result<Health> {
    Ok(Health {
        schema: lantern_store::SCHEMA_VERSION,
        data_version: store.data_version()?,
        figures_owed: crate::records::figures_owed_notice(store)?,
    })
}

/// The bank holidays the casework clock counts on, from `from` to `to`
/// (weekdays only: a holiday on a weekend changes no count), each with
/// its description, and the calendar's version (shipped, then every
/// imported or added calendar merged in turn; see
/// [`crate::casework::calendar`]).
pub fn bank_holidays(
    ctx: &Context,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> Result<(String, Vec<(jiff::civil::Date, String)>)> {
    let store = ctx.open()?;
    let calendar = crate::casework::calendar(store.as_ref())?;
    let before = from.yesterday().unwrap_or(from);
    Ok((
        calendar.version().to_string(),
        calendar.holidays_between(before, to),
    ))
}

/// Add one bank holiday (a day proclaimed, say) for `divisions`: a
/// gov.uk-format calendar of that one day, imported as `lantern import
/// bank-holidays` would (a new data version, audited `calendar.add` with
/// who). Deadlines counted from then on skip it. Calendars are kept, not
/// changed: a day is taken out again by [`remove_bank_holiday`].
pub fn add_bank_holiday(
    ctx: &Context,
    day: jiff::civil::Date,
    title: &str,
    divisions: &[lantern_core::deadline::Division],
) -> Result<ImportReceipt> {
    let title = title.trim();
    if title.is_empty() {
        crate::fail!(
            Invalid,
            "title: write what the day is, such as \"Coronation of King Charles III\""
        );
    }
    if title.chars().count() > 100 || title.chars().any(char::is_control) {
        crate::fail!(Invalid, "title: write at most 100 characters on one line");
    }
    if divisions.is_empty() {
        crate::fail!(Invalid, "division: choose where the day is a holiday");
    }
    let mut file = serde_json::Map::new();
    for d in divisions {
        file.insert(
            d.key().to_string(),
            serde_json::json!({
                "division": d.key(),
                "events": [{ "title": title, "date": day.to_string(), "notes": "" }],
            }),
        );
    }
    let text = serde_json::Value::Object(file).to_string();
    let name = format!("bank holiday {day} added by an administrator");
    let mut store = ctx.open()?;
    let in_use = crate::casework::calendar(store.as_ref())?;
    let calendar = Calendar::from_govuk_json(&text)
        .map_err(|e| Error::invalid(format!("{name}: {e}")))?
        .labelled(calendar_change_label(store.as_ref(), &name)?);
    if in_use.merged(&calendar).is_working_day(day) == Ok(true) {
        crate::fail!(
            Internal,
            "date: {day} would still be a working day after the addition; nothing was changed"
        );
    }
    import_calendar_change(ctx, store.as_mut(), &name, &calendar, &text)
}

/// The label of an administrator's change to the calendar: the change and
/// the number the new calendar version will have. Every change is a
/// version of its own, merged last, even when its text repeats an earlier
/// one (a day added back after it was removed, or removed again after
/// that); a text alone would be taken for the earlier version, and the
/// change would silently not happen.
fn calendar_change_label(store: &dyn Store, name: &str) -> Result<String> {
    let held = store.calendars()?.len();
    Ok(format!("{name}, calendar version {}", held + 1))
}

/// Store an administrator's calendar change; refused when another change
/// took its version number first (two administrators at once), so that
/// nothing is reported done that was not.
fn import_calendar_change(
    ctx: &Context,
    store: &mut dyn Store,
    name: &str,
    calendar: &Calendar,
    text: &str,
) -> Result<ImportReceipt> {
    let meta = ctx.meta(ImportKind::BankHolidays, name, text.as_bytes());
    let receipt = store.import_calendar(&meta, calendar.version(), text)?;
    if receipt.unchanged > 0 {
        crate::fail!(
            Conflict,
            "the bank holidays were changed by someone else at the same time; nothing was changed: look at the calendar again and repeat the change"
        );
    }
    Ok(receipt)
}

/// Take a bank holiday out of the calendar the clock counts on (a day
/// added in error, say): a new calendar version, the day's year as the
/// calendar in use lists it without that day (a gov.uk-format file of all
/// three divisions, so it replaces that year, [`Calendar::year_without`]),
/// imported as an addition is (a new data version, audited `calendar.add`
/// with who and "bank holiday DAY removed"). Calendars already held are
/// not changed: what a case's history recorded (the calendar version a
/// deadline was counted on) stays as written, and every count from then on
/// treats the day as a working day. Refused, with the reason, when the day
/// is not a bank holiday in the calendar, its year is not covered, or it is
/// a division's only January or December day.
pub fn remove_bank_holiday(ctx: &Context, day: jiff::civil::Date) -> Result<ImportReceipt> {
    let mut store = ctx.open()?;
    let in_use = crate::casework::calendar(store.as_ref())?;
    let text = in_use
        .year_without(day)
        .map_err(|e| Error::invalid(format!("date: {e}")))?;
    let name = format!("bank holiday {day} removed by an administrator");
    let calendar = Calendar::from_govuk_json(&text)
        .map_err(|e| Error::new(crate::Kind::Internal, format!("{name}: {e}")))?
        .labelled(calendar_change_label(store.as_ref(), &name)?);
    // Checked before anything is written: merged last, the year is taken
    // wholly from it.
    if in_use.merged(&calendar).is_working_day(day) != Ok(true) {
        crate::fail!(
            Internal,
            "date: {day} would still be a bank holiday after the removal; nothing was changed"
        );
    }
    import_calendar_change(ctx, store.as_mut(), &name, &calendar, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn context(dir: &std::path::Path, name: &str) -> Context {
        let database = dir.join(name).display().to_string();
        Context::new(database, Config::default(), "tester".into())
    }

    /// Init twice, import, list, export and restore into a new database.
    #[test]
    fn a_database_goes_out_as_a_dump_and_comes_back() {
        let dir = tempfile::tempdir().expect("a directory");
        let ctx = context(dir.path(), "a.db");
        assert!(matches!(init(&ctx).expect("init"), Initialised::New { .. }));
        let read = std::cell::Cell::new(0);
        let agencies = b"code,name,area\nA1,First Step,E06000016\n";
        let receipt = import(&ctx, DataFile::Agencies, "agencies.csv", agencies, &|pos| {
            read.set(pos)
        })
        .expect("agencies");
        assert_eq!(
            read.get(),
            agencies.len() as u64,
            "reading done is reported"
        );
        assert_eq!(receipt.added, 1);
        assert_eq!(
            init(&ctx).expect("again"),
            Initialised::Existing {
                data_version: receipt.data_version
            }
        );
        let migrated = migrate(&ctx).expect("migrate");
        assert_eq!(migrated.schema_version, lantern_store::SCHEMA_VERSION);
        assert_eq!(
            migrated.catalogue_import, None,
            "the shipped catalogue is held"
        );
        let listed = imports(&ctx).expect("imports");
        assert!(
            listed.iter().any(|i| i.file == "agencies.csv"),
            "{listed:?}"
        );
        let err =
            import(&ctx, DataFile::Catalogue, "x.toml", b"\xff", &|_| {}).expect_err("not UTF-8");
        assert!(
            err.message().starts_with("x.toml is not UTF-8 text: "),
            "{err}"
        );

        let exported = export(&ctx).expect("export");
        let copy = context(dir.path(), "b.db");
        let restored = restore(&copy, "a.dump", &exported.bytes).expect("restore");
        assert_eq!(restored.rows, exported.rows);
        assert_eq!(restored.data_version, exported.data_version);
        let again = restore(&copy, "a.dump", &exported.bytes).expect_err("not empty");
        assert!(again.message().contains("already holds data"), "{again}");
        let broken =
            restore(&context(dir.path(), "c.db"), "bad.dump", b"{}\n").expect_err("not a dump");
        assert!(
            broken
                .message()
                .starts_with("bad.dump: not a usable Lantern dump"),
            "{broken}"
        );
    }
}
