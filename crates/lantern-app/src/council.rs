//! Councils: who answers requests, held in the store and versioned like
//! figures (`lantern_core::council` says what a council's settings are;
//! `lantern_store` keeps every version and confines casework to one
//! council). The use cases: list the councils, show one's settings (at a
//! data version), set them from typed input, and take in those
//! `lantern.toml` gives; and the one rule every other use case asks: which
//! settings a letter or a case uses ([`in_force`]).
//!
//! `lantern.toml`'s `[council]`, `[disclosure]` and `[casework]` sections
//! describe one council. `lantern init` (a new database) and `lantern
//! migrate` take them in as that council's settings. Afterwards the store
//! is what counts, but a file that still sets a value differing from the
//! store's is obeyed for the command, with a warning naming each
//! difference and how to store it, so deployments and scripts written
//! before councils were held keep working as configured.

use lantern_core::council::{Council, Field, Settings};
use lantern_store::{CouncilSet, ImportKind, ImportMeta, Store};

pub use lantern_store::{Adopted, StoredCouncil};

use crate::config::Config;
use crate::{Context, Error, Result};

/// The council `lantern.toml` describes (Lantern's defaults where it says
/// nothing), checked; a bad value is named by its key in the file.
pub fn from_config(config: &Config) -> Result<Council> {
    Council::new(config.council_settings()).map_err(|e| {
        Error::invalid(format!(
            "{}: {}: {}",
            config.file_name(),
            e.field.config_key(),
            e.message
        ))
    })
}

/// Whether `lantern.toml` describes `held`: it sets council settings and
/// names the same council (its `[council] code`; without one, its area is
/// the council's own, or it names no area).
fn describes(config: &Config, held: &Council) -> bool {
    if !config.sets_council() {
        return false;
    }
    match (&config.council.code, &config.council.area) {
        (Some(code), _) => code.trim() == held.code(),
        (None, Some(area)) => held.area() == Some(area.as_str()),
        (None, None) => true,
    }
}

/// `held` with the values `lantern.toml` sets itself in their place.
fn overlay(config: &Config, held: &Council) -> Result<Council> {
    let file = config.council_settings();
    let mut s = held.settings().clone();
    for field in &config.council_keys {
        match field {
            Field::Code => {}
            Field::Name => s.name = file.name.clone(),
            Field::Areas => s.areas = file.areas.clone(),
            Field::Team => s.team = file.team.clone(),
            Field::Email => s.email = file.email.clone(),
            Field::Address => s.address = file.address.clone(),
            Field::Signature => s.signature = file.signature.clone(),
            Field::Threshold => s.threshold = file.threshold,
            Field::Reference => s.reference = file.reference.clone(),
            Field::RetainYears => s.retain_years = file.retain_years,
            Field::TimeZone => s.time_zone = file.time_zone.clone(),
        }
    }
    Council::new(s).map_err(|e| {
        Error::invalid(format!(
            "{}: {}: {}",
            config.file_name(),
            e.field.config_key(),
            e.message
        ))
    })
}

/// The council settings a use case acts on for the council in use, as
/// they stood at data version `version` (now when `None`): the stored
/// ones; while the database holds no council, those `lantern.toml` gives
/// (or Lantern's defaults). Values `lantern.toml` sets that differ from the
/// stored ones are used instead, each with a warning ([`Context::warn`]).
pub fn in_force(ctx: &Context, store: &dyn Store, version: Option<i64>) -> Result<Council> {
    let Some(code) = store.council_in_use()? else {
        return from_config(&ctx.config);
    };
    let held = store
        .council_at(&code, version)?
        .ok_or_else(|| Error::not_found(format!("there is no council {code} in this database")))?
        .council;
    if !describes(&ctx.config, &held) {
        return Ok(held);
    }
    let given = overlay(&ctx.config, &held)?;
    for d in held.differences(&given) {
        ctx.warn(format!(
            "{}: {} is '{}', but the database holds '{}' for council {}; this command uses the file's. \
             Store it with `lantern council set {} --from-config`, or take it out of the file",
            ctx.config.file_name(),
            d.field.config_key(),
            d.given,
            d.held,
            held.code(),
            held.code()
        ));
    }
    Ok(given)
}

/// Confine a store's casework to the council `code` names (none: the only
/// council held), as [`Context::open`] does: for a store from a pool.
pub fn choose(store: &mut dyn Store, code: Option<&str>) -> Result<()> {
    if let Some(code) = code {
        store.use_council(code)?;
    }
    Ok(())
}

/// The councils the database holds, with their settings now.
pub fn list(ctx: &Context) -> Result<Vec<StoredCouncil>> {
    Ok(ctx.open_every_council()?.councils()?)
}

/// The code of the council `code` names, or the council in use.
fn chosen(ctx: &Context, store: &dyn Store, code: Option<&str>) -> Result<String> {
    if let Some(code) = code.or(ctx.council.as_deref()) {
        return Ok(code.to_string());
    }
    store.council_in_use()?.ok_or_else(|| {
        Error::not_found(
            "this database holds no council yet; add one with `lantern council set CODE --name NAME`",
        )
    })
}

/// A council's settings at data version `version` (now when `None`): the
/// council `code` names, else the one in use.
pub fn show(ctx: &Context, code: Option<&str>, version: Option<i64>) -> Result<StoredCouncil> {
    let mut store = ctx.open_every_council()?;
    let code = chosen(ctx, store.as_ref(), code)?;
    if let Some(v) = version {
        // A version that does not exist is said so, not read as "now".
        let newest = store.data_version()?;
        if v < 1 || v > newest {
            return Err(lantern_store::StoreError::NoSuchVersion { asked: v, newest }.into());
        }
    }
    store.use_council(&code)?;
    store
        .council_at(&code, version)?
        .ok_or_else(|| Error::not_found(format!("there is no council {code} in this database")))
}

/// Every version of a council's settings, oldest first.
pub fn history(ctx: &Context, code: Option<&str>) -> Result<Vec<StoredCouncil>> {
    let mut store = ctx.open_every_council()?;
    let code = chosen(ctx, store.as_ref(), code)?;
    store.use_council(&code)?;
    Ok(store.council_history(&code)?)
}

/// What to change in a council's settings: each `Some` replaces the held
/// value (for a new council, Lantern's default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Full name.
    pub name: Option<String>,
    /// Area codes, its own first.
    pub areas: Option<Vec<String>>,
    /// The team for internal reviews.
    pub team: Option<String>,
    /// Contact e-mail for reviews (`Some(None)` removes it).
    pub email: Option<Option<String>>,
    /// Postal address lines for reviews.
    pub address: Option<Vec<String>>,
    /// Lines closing a letter.
    pub signature: Option<Vec<String>>,
    /// The disclosure threshold.
    pub threshold: Option<u64>,
    /// How references are numbered.
    pub reference: Option<String>,
    /// Years requesters' details are kept.
    pub retain_years: Option<u8>,
    /// IANA time zone.
    pub time_zone: Option<String>,
}

impl Change {
    fn apply(&self, s: &mut Settings) {
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                slot.clone_from(v);
            }
        };
        set(&mut s.name, &self.name);
        set(&mut s.team, &self.team);
        set(&mut s.reference, &self.reference);
        set(&mut s.time_zone, &self.time_zone);
        if let Some(v) = &self.areas {
            s.areas.clone_from(v);
        }
        if let Some(v) = &self.email {
            s.email.clone_from(v);
        }
        if let Some(v) = &self.address {
            s.address.clone_from(v);
        }
        if let Some(v) = &self.signature {
            s.signature.clone_from(v);
        }
        if let Some(v) = self.threshold {
            s.threshold = v;
        }
        if let Some(v) = self.retain_years {
            s.retain_years = v;
        }
    }
}

/// What [`set`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set {
    /// The settings now in force.
    pub council: Council,
    /// Whether the council is new.
    pub created: bool,
    /// The store's receipt: the data version, what it adopted.
    pub stored: CouncilSet,
}

/// Where a council's settings came from, for the import list.
fn meta(ctx: &Context, source: &str, council: &Council) -> ImportMeta {
    let described = format!("{:?}", council.settings());
    ctx.meta(ImportKind::Council, source, described.as_bytes())
}

/// Set council `code`'s settings: its held settings (Lantern's defaults
/// for a new council) with `change` applied, stored as a new data version
/// (nothing is written when they are the same). A new council needs a
/// name. The first council a database holds takes over the casework held
/// before it.
pub fn set(ctx: &Context, code: &str, change: &Change) -> Result<Set> {
    let code = lantern_core::council::check_code(code)?;
    let mut store = ctx.open_every_council()?;
    let held = store.council_at(&code, None)?;
    let created = held.is_none();
    let mut settings = match &held {
        Some(h) => h.council.settings().clone(),
        None => {
            if change.name.is_none() {
                crate::fail!(
                    Invalid,
                    "council {code} is new: give its name with --name (and its area with --area)"
                );
            }
            Settings {
                code: code.clone(),
                ..Settings::default()
            }
        }
    };
    change.apply(&mut settings);
    let council = Council::new(settings)?;
    let stored = store.set_council(&meta(ctx, "lantern council set", &council), &council)?;
    Ok(Set {
        council,
        created,
        stored,
    })
}

/// Take in `lantern.toml`'s council settings (`lantern init`, `lantern
/// migrate`, `lantern council set --from-config`) for the council it
/// describes: the one its code names; without one, the only council held;
/// a new council when the database holds none. In a new database
/// (`new_database`) they are part of its first data version. `None` when
/// the file sets no council settings.
pub fn take_in(ctx: &Context, store: &mut dyn Store, new_database: bool) -> Result<Option<Set>> {
    if !ctx.config.sets_council() {
        return Ok(None);
    }
    let given = from_config(&ctx.config)?;
    let held = store.councils()?;
    let first = held.is_empty();
    let own_area = |area: &str| {
        held.iter()
            .find(|c| c.council.area() == Some(area))
            .map(|c| c.council.code().to_string())
    };
    let code = match (&ctx.config.council.code, &ctx.config.council.area) {
        (Some(code), _) => code.trim().to_string(),
        (None, Some(area)) => own_area(area).unwrap_or_else(|| given.code().to_string()),
        (None, None) => match (&ctx.council, held.as_slice()) {
            (Some(chosen), _) => chosen.clone(),
            (None, [only]) => only.council.code().to_string(),
            (None, []) => given.code().to_string(),
            (None, _) => {
                ctx.warn(format!(
                    "{} gives council settings but names no council ([council] code or area) and the database holds several; they were not taken in",
                    ctx.config.file_name()
                ));
                return Ok(None);
            }
        },
    };
    let held = store.council_at(&code, None)?;
    let council = match &held {
        Some(h) => overlay(&ctx.config, &h.council)?,
        None => Council::new(Settings {
            code: code.clone(),
            ..given.settings().clone()
        })?,
    };
    let meta = if new_database && first {
        lantern_store::init_meta(&ctx.actor, &ctx.clock.now())
    } else {
        meta(ctx, &ctx.config.file_name(), &council)
    };
    let stored = store.set_council(&meta, &council)?;
    Ok(Some(Set {
        council,
        created: held.is_none(),
        stored,
    }))
}

/// Make sure the database holds the council `lantern.toml` describes,
/// taking in its settings if it does not (settings held are left as they
/// are); returns its code (`lantern demo`).
pub fn ensure(ctx: &Context) -> Result<String> {
    let wanted = from_config(&ctx.config)?;
    let mut store = ctx.open_every_council()?;
    if store.council_at(wanted.code(), None)?.is_none() {
        let new_database = store.imports()?.len() == 1;
        take_in(ctx, store.as_mut(), new_database)?;
    }
    Ok(wanted.code().to_string())
}

/// Take in `lantern.toml`'s settings for the council it describes
/// (`lantern council set --from-config`): see [`take_in`].
pub fn set_from_config(ctx: &Context) -> Result<Set> {
    let mut store = ctx.open_every_council()?;
    take_in(ctx, store.as_mut(), false)?.ok_or_else(|| {
        Error::invalid(format!(
            "{} sets no council settings ([council], [disclosure], [casework]); nothing to take in",
            ctx.config.file_name()
        ))
    })
}

/// The letter's council: the details a letter prints.
pub fn letter_details(council: &Council) -> crate::config::Council {
    let s = council.settings();
    crate::config::Council {
        name: s.name.clone(),
        area: council.area().map(str::to_string),
        team: s.team.clone(),
        address: s.address.clone(),
        email: s.email.clone(),
        signature: s.signature.clone(),
        code: None,
        time_zone: None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("lantern.toml"), text).unwrap()
    }

    fn leicester() -> Council {
        Council::new(Settings {
            code: "E06000016".into(),
            name: "Leicester City Council".into(),
            areas: vec!["E06000016".into()],
            ..Settings::default()
        })
        .unwrap()
    }

    #[test]
    fn a_file_describes_the_council_it_names() {
        let held = leicester();
        assert!(!describes(&config("database = \"x.db\"\n"), &held));
        assert!(describes(
            &config("[council]\nname = \"X\"\narea = \"E06000016\"\n"),
            &held
        ));
        assert!(!describes(
            &config("[council]\nname = \"X\"\narea = \"E10000018\"\n"),
            &held
        ));
        assert!(describes(&config("[disclosure]\nthreshold = 10\n"), &held));
        assert!(!describes(
            &config("[council]\nname = \"X\"\ncode = \"leics\"\n"),
            &held
        ));
    }

    #[test]
    fn only_the_values_a_file_sets_replace_the_held_ones() {
        let held = leicester();
        let file = config("[casework]\nreference = \"IG/{seq}/{year}\"\n");
        let given = overlay(&file, &held).unwrap();
        let diffs = held.differences(&given);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert_eq!(diffs[0].field, Field::Reference);
        assert_eq!(given.name(), "Leicester City Council");
        let bad = config("[council]\nname = \"X\\nY\"\n");
        let err = overlay(&bad, &held).unwrap_err().to_string();
        assert!(err.starts_with("lantern.toml: [council] name:"), "{err}");
    }

    fn context(dir: &tempfile::TempDir, text: &str) -> Context {
        let database = dir.path().join("lantern.db").display().to_string();
        Context::new(database, config(text), "tester".into())
    }

    const CITY: &str = "[council]\nname = \"Leicester City Council\"\narea = \"E06000016\"\n";
    const COUNTY: &str =
        "[council]\nname = \"Leicestershire County Council\"\narea = \"E10000018\"\n";

    #[test]
    fn a_file_is_taken_in_for_the_council_it_names() {
        let dir = tempfile::tempdir().unwrap();
        crate::data::init(&context(&dir, CITY)).unwrap();
        // Another area, no code: a second council, with the area as its code.
        let migrated = crate::data::migrate(&context(&dir, COUNTY)).unwrap();
        let county = migrated.council.unwrap();
        assert!(county.created);
        assert_eq!(county.council.code(), "E10000018");
        // The city's own area again: its settings, not a new council.
        let again = context(&dir, &format!("{CITY}[disclosure]\nthreshold = 10\n"));
        let city = crate::data::migrate(&again).unwrap().council.unwrap();
        assert_eq!((city.created, city.council.code()), (false, "E06000016"));
        assert_eq!(city.council.policy().threshold, 10);
        // Settings that name no council, with two held: not taken in.
        let vague = context(&dir, "[disclosure]\nthreshold = 7\n");
        assert!(crate::data::migrate(&vague).unwrap().council.is_none());
        assert!(vague.warnings().take()[0].contains("names no council"));
        // …unless one is chosen.
        let chosen =
            context(&dir, "[disclosure]\nthreshold = 7\n").for_council(Some("E10000018".into()));
        let set = crate::data::migrate(&chosen).unwrap().council.unwrap();
        assert_eq!(
            (set.council.code(), set.council.policy().threshold),
            ("E10000018", 7)
        );
        let codes: Vec<String> = list(&chosen)
            .unwrap()
            .iter()
            .map(|c| c.council.code().to_string())
            .collect();
        assert_eq!(codes, ["E06000016", "E10000018"]);
    }

    #[test]
    fn a_change_replaces_only_what_it_gives() {
        let mut s = leicester().settings().clone();
        Change {
            signature: Some(vec!["Head of IG".into()]),
            email: Some(None),
            threshold: Some(10),
            ..Change::default()
        }
        .apply(&mut s);
        assert_eq!(s.signature, ["Head of IG"]);
        assert_eq!((s.email, s.threshold), (None, 10));
        assert_eq!(s.name, "Leicester City Council");
    }
}
