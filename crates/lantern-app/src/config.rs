//! Configuration: `lantern.toml` (the deployment's database, templates
//! and records settings; and a council's name, area and contact details
//! for letters, the disclosure threshold and casework settings, which
//! `lantern init` and `lantern migrate` take into the store: see
//! `crate::council`).
//!
//! Looked for at `--config PATH`, then `$LANTERN_CONFIG`, then
//! `./lantern.toml`; when none exists the defaults apply and letters say
//! "the Council". Documented in `docs/configuration.md`.

use std::path::{Path, PathBuf};

use lantern_core::council::{Field, Settings};
use lantern_core::disclosure::Policy;
use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The database, when not given by `--database`: an SQLite file path
    /// (relative paths are taken from the configuration file's folder) or a
    /// `postgres://` URL.
    #[serde(default)]
    pub database: Option<String>,
    /// Bring an older schema up to date whenever a command opens the
    /// database (the default); `false` refuses it until `lantern migrate`
    /// runs, for shared deployments that upgrade in one controlled step.
    #[serde(default = "default_true")]
    pub migrate_on_open: bool,
    /// The council letters are written for.
    #[serde(default)]
    pub council: Council,
    /// Disclosure control.
    #[serde(default)]
    pub disclosure: Disclosure,
    /// Letter templates.
    #[serde(default)]
    pub letters: Letters,
    /// Providers' episode-level records.
    #[serde(default)]
    pub records: Records,
    /// FOI casework.
    #[serde(default)]
    pub casework: Casework,
    /// The SMTP server outgoing e-mail goes through (`crate::outbox`);
    /// none: nothing is sent, officers send the outbox by hand.
    #[serde(default)]
    pub smtp: Option<crate::outbox::SmtpSettings>,
    /// Where the file was read from (not in the file).
    #[serde(skip)]
    pub loaded_from: Option<PathBuf>,
    /// The council settings the file sets itself (not in the file): its
    /// `[council]`, `[disclosure]` and `[casework]` keys.
    #[serde(skip)]
    pub council_keys: Vec<Field>,
}

/// The council's details, as letters print them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Council {
    /// Full name, e.g. "Leicester City Council".
    pub name: String,
    /// Its area code (ONS), used when a request names none.
    #[serde(default)]
    pub area: Option<String>,
    /// The team that handles internal reviews.
    #[serde(default = "default_team")]
    pub team: String,
    /// Postal address lines for reviews.
    #[serde(default)]
    pub address: Vec<String>,
    /// Contact e-mail for reviews.
    #[serde(default)]
    pub email: Option<String>,
    /// Lines closing the letter.
    #[serde(default)]
    pub signature: Vec<String>,
    /// The code that names the council in the store and on the command
    /// line (`--council`); default: its area code. Not part of a letter.
    #[serde(default, skip_serializing)]
    pub code: Option<String>,
    /// Its IANA time zone (default Europe/London). Not part of a letter.
    #[serde(default, skip_serializing)]
    pub time_zone: Option<String>,
}

fn default_true() -> bool {
    true
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database: None,
            migrate_on_open: true,
            council: Council::default(),
            disclosure: Disclosure::default(),
            letters: Letters::default(),
            records: Records::default(),
            casework: Casework::default(),
            smtp: None,
            loaded_from: None,
            council_keys: Vec::new(),
        }
    }
}

fn default_team() -> String {
    "Information Governance Team".into()
}

impl Default for Council {
    fn default() -> Council {
        Council {
            name: "the Council".into(),
            area: None,
            team: default_team(),
            address: vec![],
            email: None,
            signature: vec![],
            code: None,
            time_zone: None,
        }
    }
}

/// Disclosure-control settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// Counts of people from 1 to threshold-1 are not released as such.
    #[serde(default = "default_threshold")]
    pub threshold: u64,
}

fn default_threshold() -> u64 {
    5
}

impl Default for Disclosure {
    fn default() -> Disclosure {
        Disclosure {
            threshold: default_threshold(),
        }
    }
}

/// Letter settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Letters {
    /// A directory holding `letter.md.j2` and/or `letter.html.j2` to use
    /// instead of the shipped templates (relative to the config file).
    #[serde(default)]
    pub templates: Option<PathBuf>,
}

/// Settings for providers' submissions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// A file holding the pseudonymisation secret (relative to the config
    /// file). `$LANTERN_PSEUDONYM_KEY` takes precedence. Keep it out of the
    /// database and out of backups of the database.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// How many bad rows a submission may have and still be applied
    /// without them: a count (`"0"`, the default) or a share (`"1%"`).
    #[serde(default)]
    pub max_bad_rows: Option<String>,
}

/// Casework settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Casework {
    /// How references are numbered: `{year}` and `{seq}` or `{seq:N}`.
    #[serde(default = "default_reference")]
    pub reference: String,
    /// How many years after receipt the requester's name and contact are kept.
    #[serde(default = "default_retain_years")]
    pub retain_years: u8,
}

fn default_reference() -> String {
    "FOI-{year}-{seq:04}".into()
}

fn default_retain_years() -> u8 {
    2
}

impl Default for Casework {
    fn default() -> Casework {
        Casework {
            reference: default_reference(),
            retain_years: default_retain_years(),
        }
    }
}

impl Config {
    /// The reference pattern for new requests.
    pub fn reference_pattern(&self) -> crate::Result<lantern_core::casework::ReferencePattern> {
        lantern_core::casework::ReferencePattern::parse(&self.casework.reference)
            .map_err(|e| crate::Error::invalid(format!("[casework] reference: {e}")))
    }

    /// The SMTP password file, resolved against the config file's folder.
    pub fn smtp_password_file(&self) -> Option<PathBuf> {
        self.smtp
            .as_ref()
            .and_then(|s| s.password_file.as_deref())
            .map(|p| self.resolve(p))
    }

    /// The pseudonymisation key file, resolved against the config file's folder.
    pub fn key_file(&self) -> Option<PathBuf> {
        self.records.key_file.as_deref().map(|p| self.resolve(p))
    }

    /// Read the configuration from `explicit`, `$LANTERN_CONFIG` or `./lantern.toml`.
    pub fn load(explicit: Option<&Path>) -> crate::Result<Config> {
        let env = std::env::var_os("LANTERN_CONFIG").map(PathBuf::from);
        let path = match explicit.map(Path::to_path_buf).or(env) {
            Some(p) => {
                if !p.exists() {
                    return Err(crate::Error::invalid(format!(
                        "the configuration file {} does not exist",
                        p.display()
                    )));
                }
                p
            }
            None => {
                let p = PathBuf::from("lantern.toml");
                if !p.exists() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let bytes = crate::files::read_bounded(&path, crate::files::MAX_SMALL_FILE)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            crate::Error::invalid(format!(
                "{} is not UTF-8 text; save it as UTF-8",
                path.display()
            ))
        })?;
        Config::parse(&path, &text)
    }

    /// Parse a configuration file's text.
    pub fn parse(path: &Path, text: &str) -> crate::Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| lantern_core::request::line_column(text, s.start))
                .unwrap_or((1, 1));
            crate::Error::invalid(format!(
                "{}:{line}:{column}: {}",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        config.policy()?;
        config
            .reference_pattern()
            .map_err(|e| crate::Error::invalid(format!("{}: {e}", path.display())))?;
        if !(1..=50).contains(&config.casework.retain_years) {
            return Err(crate::Error::invalid(format!(
                "{}: [casework] retain_years: {} is not a number of years from 1 to 50",
                path.display(),
                config.casework.retain_years
            )));
        }
        if let Some(area) = &config.council.area {
            config.council.area = Some(lantern_core::figure::check_area(area).map_err(|m| {
                crate::Error::invalid(format!("{}: [council] area: {m}", path.display()))
            })?);
        }
        if let Some(code) = &config.council.code {
            lantern_core::council::check_code(code)
                .map_err(|e| crate::Error::invalid(format!("{}: [council] {e}", path.display())))?;
        }
        if let Some(zone) = &config.council.time_zone {
            lantern_core::council::check_time_zone(zone)
                .map_err(|e| crate::Error::invalid(format!("{}: [council] {e}", path.display())))?;
        }
        config.council_keys = council_keys(text);
        config.loaded_from = Some(path.to_path_buf());
        Ok(config)
    }

    /// Whether the file sets any of a council's settings.
    pub fn sets_council(&self) -> bool {
        !self.council_keys.is_empty()
    }

    /// The council settings the file gives, with Lantern's defaults for
    /// those it does not: the code is `[council] code`, else its area,
    /// else `council`.
    pub fn council_settings(&self) -> Settings {
        let c = &self.council;
        Settings {
            code: c
                .code
                .clone()
                .or_else(|| c.area.clone())
                .unwrap_or_else(|| Settings::default().code),
            name: c.name.clone(),
            areas: c.area.iter().cloned().collect(),
            team: c.team.clone(),
            email: c.email.clone(),
            address: c.address.clone(),
            signature: c.signature.clone(),
            threshold: self.disclosure.threshold,
            reference: self.casework.reference.clone(),
            retain_years: self.casework.retain_years,
            time_zone: c
                .time_zone
                .clone()
                .unwrap_or_else(|| lantern_core::council::DEFAULT_TIME_ZONE.to_string()),
        }
    }

    /// Where the file was read from, for messages.
    pub fn file_name(&self) -> String {
        self.loaded_from
            .as_ref()
            .map_or_else(|| "lantern.toml".to_string(), |p| p.display().to_string())
    }

    /// The disclosure policy.
    pub fn policy(&self) -> crate::Result<Policy> {
        Policy::new(self.disclosure.threshold)
            .map_err(|e| crate::Error::invalid(format!("[disclosure] threshold: {e}")))
    }

    /// The template directory, resolved against the config file's folder.
    pub fn template_dir(&self) -> Option<PathBuf> {
        self.letters.templates.as_deref().map(|d| self.resolve(d))
    }

    /// The database named in the file: a URL as given, a path resolved
    /// against the file's folder.
    pub fn database(&self) -> Option<String> {
        let d = self.database.as_deref()?;
        if lantern_store::is_postgres(d) {
            Some(d.to_string())
        } else {
            Some(self.resolve(Path::new(d)).display().to_string())
        }
    }

    /// A path from the file, taken relative to the file's own folder.
    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            return path.to_path_buf();
        }
        let base = self
            .loaded_from
            .as_ref()
            .and_then(|p| p.parent())
            .unwrap_or(Path::new("."));
        base.join(path)
    }
}

/// The council settings a configuration file's text sets itself.
fn council_keys(text: &str) -> Vec<Field> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let has = |section: &str, key: &str| {
        table
            .get(section)
            .and_then(|s| s.as_table())
            .is_some_and(|s| s.contains_key(key))
    };
    Field::ALL
        .into_iter()
        .filter(|f| match f {
            // A [council] section always gives the name; its code defaults
            // to its area, which it gives when it has one.
            Field::Code => has("council", "code") || has("council", "area"),
            Field::Name => has("council", "name"),
            Field::Areas => has("council", "area"),
            Field::Team => has("council", "team"),
            Field::Email => has("council", "email"),
            Field::Address => has("council", "address"),
            Field::Signature => has("council", "signature"),
            Field::Threshold => has("disclosure", "threshold"),
            Field::Reference => has("casework", "reference"),
            Field::RetainYears => has("casework", "retain_years"),
            Field::TimeZone => has("council", "time_zone"),
        })
        .collect()
}
