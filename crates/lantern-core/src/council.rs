//! A council: who answers requests, with everything letters and casework
//! need to know of it — its name, the areas it answers for, the team and
//! the addresses for internal reviews, the lines that close a letter, the
//! disclosure threshold, how its requests are numbered, how long
//! requesters' details are kept, and its time zone.
//!
//! Councils are held in the store and versioned like figures (a letter
//! made at data version N uses the settings in force at N); one database
//! may hold several. This module owns what a council's settings are and
//! what makes them valid: [`Settings`] is what is given (from
//! `lantern.toml`, `lantern council set` or a stored row), unchecked;
//! [`Council::new`] checks it once and the [`Council`] it returns is always
//! valid ("parse, don't validate").
//!
//! A council is named in commands by its **code**: its ONS local-authority
//! code where it has one (`E06000016` for Leicester), or a short slug
//! (`leicester`, `county-districts`). Codes are letters, digits, `-` and
//! `_`, at most 32, and compared exactly as written.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::casework::ReferencePattern;
use crate::disclosure::Policy;

/// The time zone a council works in unless it says otherwise.
pub const DEFAULT_TIME_ZONE: &str = "Europe/London";

/// The team that handles internal reviews unless a council names its own.
pub const DEFAULT_TEAM: &str = "Information Governance Team";

/// How references are numbered unless a council says otherwise.
pub const DEFAULT_REFERENCE: &str = "FOI-{year}-{seq:04}";

/// How many years requesters' details are kept unless a council says otherwise.
pub const DEFAULT_RETAIN_YEARS: u8 = 2;

/// The council name letters use when none is configured.
pub const DEFAULT_NAME: &str = "the Council";

/// The longest code, name or line a council's settings may have.
const MAX_CODE: usize = 32;
const MAX_TEXT: usize = 300;
const MAX_LINES: usize = 20;
const MAX_AREAS: usize = 500;

/// One of a council's settings, to name it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The code that names the council in commands.
    Code,
    /// Its full name.
    Name,
    /// The area codes it answers for.
    Areas,
    /// The team that handles internal reviews.
    Team,
    /// Contact e-mail for reviews.
    Email,
    /// Postal address lines for reviews.
    Address,
    /// The lines closing a letter.
    Signature,
    /// The disclosure threshold.
    Threshold,
    /// How references are numbered.
    Reference,
    /// How many years requesters' details are kept.
    RetainYears,
    /// Its IANA time zone.
    TimeZone,
}

impl Field {
    /// Every setting, in the order they are shown.
    pub const ALL: [Field; 11] = [
        Field::Code,
        Field::Name,
        Field::Areas,
        Field::Team,
        Field::Email,
        Field::Address,
        Field::Signature,
        Field::Threshold,
        Field::Reference,
        Field::RetainYears,
        Field::TimeZone,
    ];

    /// The setting's name (`lantern council show` prints it; `lantern
    /// council set --NAME` sets it, with `_` written `-`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Name => "name",
            Field::Areas => "areas",
            Field::Team => "team",
            Field::Email => "email",
            Field::Address => "address",
            Field::Signature => "signature",
            Field::Threshold => "threshold",
            Field::Reference => "reference",
            Field::RetainYears => "retain_years",
            Field::TimeZone => "time_zone",
        }
    }

    /// Where `lantern.toml` sets it (its section and key).
    pub fn config_key(self) -> &'static str {
        match self {
            Field::Code => "[council] code",
            Field::Name => "[council] name",
            Field::Areas => "[council] area",
            Field::Team => "[council] team",
            Field::Email => "[council] email",
            Field::Address => "[council] address",
            Field::Signature => "[council] signature",
            Field::Threshold => "[disclosure] threshold",
            Field::Reference => "[casework] reference",
            Field::RetainYears => "[casework] retain_years",
            Field::TimeZone => "[council] time_zone",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a council's settings were refused: which setting, and what is wrong
/// with it (never more than the setting's own value is quoted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CouncilError {
    /// The setting at fault.
    pub field: Field,
    /// What is wrong, and what would do.
    pub message: String,
}

fn refuse(field: Field, message: impl Into<String>) -> CouncilError {
    CouncilError {
        field,
        message: message.into(),
    }
}

/// A council's settings as given, not yet checked (see [`Council::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The code that names it in commands (see the module docs).
    pub code: String,
    /// Full name, e.g. "Leicester City Council".
    pub name: String,
    /// The area codes (ONS) it answers for; the first is its own area,
    /// which a request that names none is about.
    pub areas: Vec<String>,
    /// The team that handles internal reviews.
    pub team: String,
    /// Contact e-mail for reviews.
    pub email: Option<String>,
    /// Postal address lines for reviews.
    pub address: Vec<String>,
    /// Lines closing a letter.
    pub signature: Vec<String>,
    /// Counts of people from 1 to threshold − 1 are not given as such.
    pub threshold: u64,
    /// How references are numbered: `{year}` and `{seq}` or `{seq:N}`.
    pub reference: String,
    /// How many years after receipt a requester's name and contact are kept.
    pub retain_years: u8,
    /// The IANA time zone it works in (`Europe/London`): the day a request
    /// arrives on is its day there.
    pub time_zone: String,
}

impl Default for Settings {
    /// A council with no details given: "the Council", Lantern's defaults.
    fn default() -> Settings {
        Settings {
            code: "council".into(),
            name: DEFAULT_NAME.into(),
            areas: Vec::new(),
            team: DEFAULT_TEAM.into(),
            email: None,
            address: Vec::new(),
            signature: Vec::new(),
            threshold: Policy::default().threshold,
            reference: DEFAULT_REFERENCE.into(),
            retain_years: DEFAULT_RETAIN_YEARS,
            time_zone: DEFAULT_TIME_ZONE.into(),
        }
    }
}

/// A council's settings, checked: every [`Council`] is valid.
#[derive(Debug, Clone)]
pub struct Council {
    settings: Settings,
    reference: ReferencePattern,
    policy: Policy,
    zone: TimeZone,
}

impl PartialEq for Council {
    fn eq(&self, other: &Council) -> bool {
        // Everything else is derived from the settings.
        self.settings == other.settings
    }
}

impl Eq for Council {}

/// Check a council code (see the module docs).
pub fn check_code(code: &str) -> Result<String, CouncilError> {
    let c = code.trim();
    let ok = !c.is_empty()
        && c.len() <= MAX_CODE
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(c.to_string())
    } else {
        Err(refuse(
            Field::Code,
            format!(
                "'{code}' is not a council code; use letters, digits, '-' and '_' (at most {MAX_CODE}), \
                 e.g. the ONS code E06000016 or a slug such as leicester"
            ),
        ))
    }
}

/// One line of text, as given: not blank, no control characters, not too long.
fn line(field: Field, text: &str) -> Result<String, CouncilError> {
    if text.trim().is_empty() {
        return Err(refuse(
            field,
            "is empty; give the text, or leave the setting out",
        ));
    }
    list_line(field, text)
}

/// One line of a list (an address, a signature), as given: it may be
/// blank (room for a handwritten signature), but holds no control
/// characters and is not too long.
fn list_line(field: Field, text: &str) -> Result<String, CouncilError> {
    if text.chars().any(char::is_control) {
        return Err(refuse(
            field,
            "holds a line break or control character; give one line per item",
        ));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(refuse(
            field,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(text.to_string())
}

fn lines(field: Field, items: &[String]) -> Result<Vec<String>, CouncilError> {
    if items.len() > MAX_LINES {
        return Err(refuse(field, format!("has more than {MAX_LINES} lines")));
    }
    items.iter().map(|l| list_line(field, l)).collect()
}

/// An IANA time-zone name, as the time-zone database spells it.
pub fn check_time_zone(name: &str) -> Result<(String, TimeZone), CouncilError> {
    let n = name.trim();
    let zone = TimeZone::get(n).map_err(|_| {
        refuse(
            Field::TimeZone,
            format!(
                "'{name}' is not a time zone Lantern knows; use an IANA name such as Europe/London"
            ),
        )
    })?;
    let canonical = zone.iana_name().unwrap_or(n).to_string();
    Ok((canonical, zone))
}

impl Council {
    /// Check settings: every problem is named by its [`Field`]. Texts are
    /// kept as given; the code is trimmed, area codes upper-cased, the
    /// time zone spelt as the time-zone database does.
    pub fn new(given: Settings) -> Result<Council, CouncilError> {
        let code = check_code(&given.code)?;
        let name = line(Field::Name, &given.name)?;
        if given.areas.len() > MAX_AREAS {
            return Err(refuse(Field::Areas, format!("more than {MAX_AREAS} areas")));
        }
        let mut areas: Vec<String> = Vec::with_capacity(given.areas.len());
        for a in &given.areas {
            let a = crate::figure::check_area(a).map_err(|m| refuse(Field::Areas, m))?;
            if areas.contains(&a) {
                return Err(refuse(Field::Areas, format!("{a} is listed twice")));
            }
            areas.push(a);
        }
        let team = line(Field::Team, &given.team)?;
        let email = given
            .email
            .as_deref()
            .map(|e| line(Field::Email, e))
            .transpose()?;
        let address = lines(Field::Address, &given.address)?;
        let signature = lines(Field::Signature, &given.signature)?;
        let policy =
            Policy::new(given.threshold).map_err(|e| refuse(Field::Threshold, e.to_string()))?;
        if i64::try_from(given.threshold).is_err() {
            return Err(refuse(Field::Threshold, "is too large"));
        }
        let reference_text = given.reference.trim().to_string();
        let reference =
            ReferencePattern::parse(&reference_text).map_err(|m| refuse(Field::Reference, m))?;
        if !(1..=50).contains(&given.retain_years) {
            return Err(refuse(
                Field::RetainYears,
                format!(
                    "{} is not a number of years from 1 to 50",
                    given.retain_years
                ),
            ));
        }
        let (time_zone, zone) = check_time_zone(&given.time_zone)?;
        Ok(Council {
            settings: Settings {
                code,
                name,
                areas,
                team,
                email,
                address,
                signature,
                threshold: given.threshold,
                reference: reference_text,
                retain_years: given.retain_years,
                time_zone,
            },
            reference,
            policy,
            zone,
        })
    }

    /// The settings, as checked.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The code that names the council.
    pub fn code(&self) -> &str {
        &self.settings.code
    }

    /// Its full name.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// Its own area (the first listed): what a request that names no area
    /// is about. `None` when it lists none.
    pub fn area(&self) -> Option<&str> {
        self.settings.areas.first().map(String::as_str)
    }

    /// Every area it answers for.
    pub fn areas(&self) -> &[String] {
        &self.settings.areas
    }

    /// Its disclosure policy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// How it numbers requests.
    pub fn reference_pattern(&self) -> &ReferencePattern {
        &self.reference
    }

    /// Its time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The day it is at the council at `at`.
    pub fn local_date(&self, at: jiff::Timestamp) -> Date {
        self.zone.to_datetime(at).date()
    }

    /// The settings whose values differ between `self` (held) and
    /// `other` (given), in [`Field::ALL`] order, with both values shown.
    pub fn differences(&self, other: &Council) -> Vec<Difference> {
        Field::ALL
            .into_iter()
            .filter_map(|field| {
                let (held, given) = (self.value(field), other.value(field));
                (held != given).then_some(Difference { field, held, given })
            })
            .collect()
    }

    /// One setting's value as `lantern council show` prints it: lists
    /// joined by "; ", an absent e-mail as "(none)".
    pub fn value(&self, field: Field) -> String {
        let s = &self.settings;
        match field {
            Field::Code => s.code.clone(),
            Field::Name => s.name.clone(),
            Field::Areas => list(&s.areas),
            Field::Team => s.team.clone(),
            Field::Email => s.email.clone().unwrap_or_else(|| "(none)".into()),
            Field::Address => list(&s.address),
            Field::Signature => list(&s.signature),
            Field::Threshold => s.threshold.to_string(),
            Field::Reference => s.reference.clone(),
            Field::RetainYears => s.retain_years.to_string(),
            Field::TimeZone => s.time_zone.clone(),
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join("; ")
    }
}

/// A setting whose value differs between two versions of a council.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The setting.
    pub field: Field,
    /// Its value as held.
    pub held: String,
    /// Its value as given.
    pub given: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is '{}' in the database but '{}' here",
            self.field, self.held, self.given
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn leicester() -> Settings {
        Settings {
            code: "E06000016".into(),
            name: "Leicester City Council".into(),
            areas: vec!["e06000016".into()],
            team: "Information Governance & Risk Team".into(),
            email: Some("info.requests@leicester.gov.uk".into()),
            address: vec!["City Hall".into(), "Leicester LE1 1FZ".into()],
            signature: vec!["Leicester City Council".into()],
            ..Settings::default()
        }
    }

    #[test]
    fn settings_are_checked_once_and_tidied() {
        let council = Council::new(leicester()).unwrap();
        assert_eq!(council.code(), "E06000016");
        assert_eq!(council.area(), Some("E06000016"), "area codes upper-cased");
        assert_eq!(council.policy().threshold, 5);
        assert_eq!(council.settings().time_zone, "Europe/London");
        assert_eq!(council.reference_pattern().format(2019, 7), "FOI-2019-0007");
        let none = Council::new(Settings::default()).unwrap();
        assert_eq!((none.name(), none.area()), ("the Council", None));
    }

    #[test]
    fn each_bad_setting_is_named() {
        type Change = Box<dyn Fn(&mut Settings)>;
        let cases: Vec<(Field, Change)> = vec![
            (Field::Code, Box::new(|s| s.code = "Leicester City".into())),
            (Field::Code, Box::new(|s| s.code = "x".repeat(33))),
            (Field::Name, Box::new(|s| s.name = "  ".into())),
            (Field::Name, Box::new(|s| s.name = "A\nB".into())),
            (
                Field::Areas,
                Box::new(|s| s.areas = vec!["E06 000016".into()]),
            ),
            (
                Field::Areas,
                Box::new(|s| s.areas = vec!["E06000016".into(), "e06000016".into()]),
            ),
            (Field::Team, Box::new(|s| s.team = String::new())),
            (Field::Email, Box::new(|s| s.email = Some("\t".into()))),
            (
                Field::Address,
                Box::new(|s| s.address = vec!["a\u{7}".into()]),
            ),
            (
                Field::Signature,
                Box::new(|s| s.signature = vec!["x".into(); 21]),
            ),
            (Field::Threshold, Box::new(|s| s.threshold = 1)),
            (Field::Threshold, Box::new(|s| s.threshold = u64::MAX)),
            (
                Field::Reference,
                Box::new(|s| s.reference = "FOI-{year}".into()),
            ),
            (Field::RetainYears, Box::new(|s| s.retain_years = 0)),
            (Field::RetainYears, Box::new(|s| s.retain_years = 51)),
            (
                Field::TimeZone,
                Box::new(|s| s.time_zone = "Mars/Olympus".into()),
            ),
        ];
        for (field, change) in cases {
            let mut s = leicester();
            change(&mut s);
            let err = Council::new(s).unwrap_err();
            assert_eq!(err.field, field, "{err}");
            assert!(err.to_string().starts_with(field.name()), "{err}");
        }
    }

    #[test]
    fn time_zones_come_from_the_compiled_in_database() {
        for (given, canonical) in [
            ("Europe/London", "Europe/London"),
            ("europe/london", "Europe/London"),
            ("Europe/Belfast", "Europe/Belfast"),
            ("UTC", "UTC"),
        ] {
            let (name, _) = check_time_zone(given).unwrap();
            assert_eq!(name, canonical, "{given}");
        }
        let london = Council::new(leicester()).unwrap();
        // 23:30 UTC on 1 July is already 2 July in London (summer time).
        let late: jiff::Timestamp = "2019-07-01T23:30:00Z".parse().unwrap();
        assert_eq!(london.local_date(late), Date::constant(2019, 7, 2));
        let winter: jiff::Timestamp = "2019-12-01T23:30:00Z".parse().unwrap();
        assert_eq!(london.local_date(winter), Date::constant(2019, 12, 1));
    }

    #[test]
    fn differences_name_the_setting_and_both_values() {
        let held = Council::new(leicester()).unwrap();
        let mut s = leicester();
        s.threshold = 10;
        s.email = None;
        let given = Council::new(s).unwrap();
        let diffs = held.differences(&given);
        let fields: Vec<Field> = diffs.iter().map(|d| d.field).collect();
        assert_eq!(fields, vec![Field::Email, Field::Threshold]);
        assert_eq!(
            diffs[1].to_string(),
            "threshold is '5' in the database but '10' here"
        );
        assert!(held.differences(&held.clone()).is_empty());
    }
}
