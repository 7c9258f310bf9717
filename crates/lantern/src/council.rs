//! `lantern council …`: list the councils a database holds, show one's
//! settings (as they stood at a data version, or every version), and set
//! them. The use cases are `lantern_app::council`'s; this module parses,
//! prints and says what happened.

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use lantern_app::council::StoredCouncil;
use lantern_app::council::{self, Change, Set};
use lantern_core::council::{Council, Field};

use crate::app::Ctx;
use crate::out;

/// What `lantern council` can do.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum CouncilCommand {
    /// The councils the database holds, by code.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A council's settings: the one CODE names, else the one in use.
    Show {
        /// The council's code (default: `--council`, or the only one held).
        code: Option<String>,
        /// The settings in force at this data version (a letter made from it used them).
        #[arg(long, value_name = "N", conflicts_with = "history")]
        data_version: Option<i64>,
        /// Every version of the settings, who set it and when.
        #[arg(long)]
        history: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a council's settings (a new council needs --name): a new data
    /// version, audited; letters made from earlier versions keep the
    /// settings they had.
    Set {
        /// The council's code: its ONS code (E06000016) or a short slug
        /// (letters, digits, - and _).
        code: String,
        /// Full name, e.g. "Leicester City Council".
        #[arg(long)]
        name: Option<String>,
        /// An area (ONS code) it answers for; repeat for several, its own
        /// first (a request that names no area is about it). Replaces the list.
        #[arg(long = "area", value_name = "CODE")]
        areas: Vec<String>,
        /// The team that handles internal reviews.
        #[arg(long)]
        team: Option<String>,
        /// Contact e-mail for reviews.
        #[arg(long)]
        email: Option<String>,
        /// A line of the postal address for reviews; repeat for each line.
        /// Replaces the address.
        #[arg(long = "address", value_name = "LINE")]
        address: Vec<String>,
        /// A line closing letters; repeat for each line. Replaces the signature.
        #[arg(long = "signature", value_name = "LINE")]
        signature: Vec<String>,
        /// Counts of people from 1 to N-1 are given as "fewer than N".
        #[arg(long, value_name = "N")]
        threshold: Option<u64>,
        /// How references are numbered: {year} and {seq} or {seq:N}.
        #[arg(long, value_name = "PATTERN")]
        reference: Option<String>,
        /// How many years after receipt requesters' details are kept (1 to 50).
        #[arg(long, value_name = "YEARS")]
        retain_years: Option<u8>,
        /// The IANA time zone it works in, e.g. Europe/London.
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
        /// Empty a setting: areas, email, address or signature (repeatable).
        #[arg(long, value_enum, value_name = "SETTING")]
        clear: Vec<Clearable>,
        /// Take the settings lantern.toml gives for this council instead.
        #[arg(long, conflicts_with_all = [
            "name", "areas", "team", "email", "address", "signature", "threshold",
            "reference", "retain_years", "time_zone", "clear",
        ])]
        from_config: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A policy of the council in use: whether whoever drafted or corrected
    /// an answer may approve it too (two-person sign-off is the default);
    /// without a value, say what it is. Audited with before and after.
    Policy {
        /// The policy.
        #[arg(value_enum)]
        policy: PolicyName,
        /// `allowed` or `refused`.
        #[arg(value_enum)]
        value: Option<PolicyValue>,
    },
    /// The council in use's letter templates: list them, show one, set one
    /// from a file (checked against the seed requests first), or revert
    /// one to the default. Each change is a data version, audited; letters
    /// made before it keep the template they had.
    Template {
        /// What to do with them.
        #[command(subcommand)]
        command: TemplateCommand,
    },
}

/// What `lantern council template` can do.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Each template, whether it is the council's own or the default, and
    /// who changed it last.
    List,
    /// The text of a template in force, or (--history) its versions.
    Show {
        /// The template: letter.md.j2 or letter.html.j2.
        name: String,
        /// Every version the council set, newest first, instead of the text.
        #[arg(long)]
        history: bool,
    },
    /// Set a template from a file: refused, with the line and column, when
    /// it does not parse or render the seed requests' letters.
    Set {
        /// The template: letter.md.j2 or letter.html.j2.
        name: String,
        /// The file holding the new text (UTF-8).
        file: std::path::PathBuf,
    },
    /// Return a template to the default (the templates folder lantern.toml
    /// names, else the shipped one).
    Revert {
        /// The template: letter.md.j2 or letter.html.j2.
        name: String,
    },
}

/// Run `lantern council template …`.
fn template(ctx: &Ctx, command: TemplateCommand) -> Result<()> {
    use lantern_app::letter_templates as templates;
    match command {
        TemplateCommand::List => {
            for t in templates::list(ctx)? {
                let last = t.versions.first();
                out!(
                    "{:<15} {:<8} {}",
                    t.name,
                    if t.own { "own" } else { "default" },
                    match last {
                        Some(v) => format!(
                            "data version {} by {} at {}: {}",
                            v.data_version, v.actor, v.at, v.summary
                        ),
                        None => "never changed".to_string(),
                    }
                );
            }
            Ok(())
        }
        TemplateCommand::Show {
            name,
            history: false,
        } => {
            let t = templates::show(ctx, &name)?;
            out!("{}", t.source.trim_end());
            Ok(())
        }
        TemplateCommand::Show {
            name,
            history: true,
        } => {
            let t = templates::show(ctx, &name)?;
            if t.versions.is_empty() {
                out!("{}: the default; never changed", t.name);
            }
            for v in &t.versions {
                out!(
                    "data version {:<5} {} {} {}{}",
                    v.data_version,
                    v.at,
                    v.actor,
                    v.summary,
                    if v.retired_in.is_none() {
                        " (in force)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        TemplateCommand::Set { name, file } => {
            let bytes = lantern_app::files::read_bounded(&file, templates::SOURCE_LIMIT as u64)?;
            let Ok(source) = String::from_utf8(bytes) else {
                anyhow::bail!(
                    "{} is not UTF-8 text; save the template as UTF-8",
                    file.display()
                );
            };
            let changed = templates::set(ctx, &name, &source)?;
            print_template_change(&name, &changed)
        }
        TemplateCommand::Revert { name } => {
            let changed = templates::revert(ctx, &name)?;
            print_template_change(&name, &changed)
        }
    }
}

fn print_template_change(
    name: &str,
    changed: &lantern_app::letter_templates::Changed,
) -> Result<()> {
    if changed.written {
        out!(
            "{name}: {} (data version {}; letters made from now on use it)",
            changed.summary,
            changed.data_version
        );
    } else {
        out!("{name}: unchanged (nothing written)");
    }
    Ok(())
}

/// A council policy `lantern council policy` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyName {
    /// Whoever drafted or corrected an answer may approve it.
    SelfApproval,
}

/// A policy's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyValue {
    /// Allowed.
    Allowed,
    /// Refused (the default).
    Refused,
}

/// A setting `lantern council set --clear` can empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Clearable {
    /// The area codes.
    Areas,
    /// The contact e-mail.
    Email,
    /// The postal address.
    Address,
    /// The signature lines.
    Signature,
}

/// Run `lantern council …`.
pub fn run(ctx: &Ctx, command: CouncilCommand) -> Result<()> {
    match command {
        CouncilCommand::List { json } => list(ctx, json),
        CouncilCommand::Template { command } => template(ctx, command),
        CouncilCommand::Policy {
            policy: PolicyName::SelfApproval,
            value,
        } => {
            if let Some(value) = value {
                lantern_app::policy::set_self_approval_by_operator(
                    ctx,
                    value == PolicyValue::Allowed,
                )?;
            }
            let allowed = lantern_app::policy::self_approval_allowed(ctx)?;
            out!(
                "self-approval: {} (whoever drafted or corrected an answer {} approve it)",
                if allowed { "allowed" } else { "refused" },
                if allowed { "may" } else { "may not" }
            );
            Ok(())
        }
        CouncilCommand::Show {
            code,
            data_version,
            history: true,
            json,
        } => {
            let _ = data_version;
            let versions = council::history(ctx, code.as_deref())?;
            if json {
                let all: Vec<serde_json::Value> = versions.iter().map(to_json).collect();
                out!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for (i, v) in versions.iter().enumerate() {
                    if i > 0 {
                        out!("");
                    }
                    print_settings(v)?;
                }
            }
            Ok(())
        }
        CouncilCommand::Show {
            code,
            data_version,
            json,
            ..
        } => {
            let held = council::show(ctx, code.as_deref(), data_version)?;
            if json {
                out!("{}", serde_json::to_string_pretty(&to_json(&held))?);
            } else {
                print_settings(&held)?;
            }
            Ok(())
        }
        CouncilCommand::Set {
            from_config: true,
            code,
            json,
            ..
        } => {
            let set = council::set_from_config(ctx)?;
            if set.council.code() != code {
                anyhow::bail!(
                    "{} describes council {}, not {code}; name it with [council] code = \"{code}\"",
                    ctx.config.file_name(),
                    set.council.code()
                );
            }
            print_set(&set, json)
        }
        CouncilCommand::Set {
            code,
            name,
            areas,
            team,
            email,
            address,
            signature,
            threshold,
            reference,
            retain_years,
            time_zone,
            clear,
            json,
            from_config: false,
        } => {
            let list = |given: Vec<String>, which: Clearable| {
                if clear.contains(&which) {
                    Some(Vec::new())
                } else {
                    (!given.is_empty()).then_some(given)
                }
            };
            let change = Change {
                name,
                areas: list(areas, Clearable::Areas),
                team,
                email: if clear.contains(&Clearable::Email) {
                    Some(None)
                } else {
                    email.map(Some)
                },
                address: list(address, Clearable::Address),
                signature: list(signature, Clearable::Signature),
                threshold,
                reference,
                retain_years,
                time_zone,
            };
            let set = council::set(ctx, &code, &change)?;
            print_set(&set, json)
        }
    }
}

fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let councils = council::list(ctx)?;
    if json {
        let all: Vec<serde_json::Value> = councils.iter().map(to_json).collect();
        out!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if councils.is_empty() {
        out!("No councils yet: add one with `lantern council set CODE --name NAME --area AREA`.");
        return Ok(());
    }
    let width = councils
        .iter()
        .map(|c| c.council.code().len())
        .max()
        .unwrap_or(0);
    for c in &councils {
        out!(
            "{:width$}  {}  (areas: {})",
            c.council.code(),
            c.council.name(),
            c.council.value(Field::Areas)
        );
    }
    Ok(())
}

/// A council's settings and when they were set, as JSON.
fn to_json(held: &StoredCouncil) -> serde_json::Value {
    let s = held.council.settings();
    serde_json::json!({
        "code": s.code,
        "name": s.name,
        "areas": s.areas,
        "team": s.team,
        "email": s.email,
        "address": s.address,
        "signature": s.signature,
        "threshold": s.threshold,
        "reference": s.reference,
        "retain_years": s.retain_years,
        "time_zone": s.time_zone,
        "data_version": held.data_version,
        "replaced_in": held.retired_in,
        "set_by": held.actor,
        "set_at": held.at,
    })
}

fn print_settings(held: &StoredCouncil) -> Result<()> {
    let c: &Council = &held.council;
    out!("Council {}", c.code());
    for field in Field::ALL.into_iter().skip(1) {
        out!("  {:<13} {}", field.name(), c.value(field));
    }
    let until = held
        .retired_in
        .map(|v| format!(", replaced at data version {v}"))
        .unwrap_or_default();
    out!(
        "Set by {} at {} (data version {}{until}).",
        held.actor,
        held.at,
        held.data_version
    );
    Ok(())
}

fn print_set(set: &Set, json: bool) -> Result<()> {
    let r = &set.stored.receipt;
    if json {
        let a = &set.stored.adopted;
        let v = serde_json::json!({
            "code": set.council.code(),
            "created": set.created,
            "changed": r.added + r.replaced > 0,
            "data_version": r.data_version,
            "adopted": {
                "cases": a.cases,
                "log_entries": a.log_entries,
                "phrases": a.phrases,
            },
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    print_changed(set)
}

fn print_changed(set: &Set) -> Result<()> {
    let r = &set.stored.receipt;
    let c = &set.council;
    if r.added + r.replaced == 0 {
        out!(
            "Council {} ({}): the settings are those held; nothing changed (data version {}).",
            c.code(),
            c.name(),
            r.data_version
        );
        return Ok(());
    }
    out!(
        "Council {} ({}): {} at data version {}.",
        c.code(),
        c.name(),
        if set.created { "added" } else { "new settings" },
        r.data_version
    );
    let a = &set.stored.adopted;
    if a.cases + a.log_entries + a.phrases > 0 {
        out!(
            "It takes over what was held before councils: {} requests, {} disclosure log entries, {} learned phrases.",
            a.cases,
            a.log_entries,
            a.phrases
        );
    }
    Ok(())
}

/// Say what `lantern init` or `lantern migrate` took in from lantern.toml.
pub fn print_taken_in(ctx: &Ctx, set: &Set) -> Result<()> {
    let r = &set.stored.receipt;
    if r.added + r.replaced == 0 {
        return Ok(());
    }
    out!(
        "Council {} ({}): {} from {} at data version {}.",
        set.council.code(),
        set.council.name(),
        if set.created {
            "settings taken in"
        } else {
            "new settings taken in"
        },
        ctx.config.file_name(),
        r.data_version
    );
    let a = &set.stored.adopted;
    if a.cases + a.log_entries + a.phrases > 0 {
        out!(
            "It takes over what was held before councils: {} requests, {} disclosure log entries, {} learned phrases.",
            a.cases,
            a.log_entries,
            a.phrases
        );
    }
    Ok(())
}
