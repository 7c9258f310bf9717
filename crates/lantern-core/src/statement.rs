//! Statements: narrative facts a council holds, with the dates they are true
//! for ("Take-home naloxone is provided"; "Naloxone is purchased by the
//! commissioned provider"). They answer yes/no and narrative questions.

use jiff::civil::Date;

use crate::figure::Provenance;

/// One narrative fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Topic code, e.g. `naloxone.take_home_provided`.
    pub topic: String,
    /// Area code the fact is about.
    pub area: String,
    /// The answer text, as it should appear in a letter.
    pub text: String,
    /// First day it is true (open if absent).
    pub valid_from: Option<Date>,
    /// Last day it is true (open if absent).
    pub valid_to: Option<Date>,
    /// Where it comes from (free text: "contract", "commissioner").
    pub source: Option<String>,
    /// Where exactly it came from.
    pub provenance: Provenance,
}

impl Statement {
    /// Whether the fact is true on `day`.
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }
}

/// Check a topic code: dotted lower-case words, e.g. `naloxone.purchaser`.
pub fn check_topic(topic: &str) -> Result<String, String> {
    let t = topic.trim();
    let ok = !t.is_empty()
        && t.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        });
    if ok {
        Ok(t.to_string())
    } else {
        Err(format!(
            "'{topic}' is not a topic; use dotted lower-case words such as naloxone.purchaser"
        ))
    }
}

/// The statement on `topic` for `area` that is valid on `day`; when several
/// are, the one that became valid most recently.
pub fn current<'a>(
    statements: &'a [Statement],
    topic: &str,
    area: &str,
    day: Date,
) -> Option<&'a Statement> {
    statements
        .iter()
        .filter(|s| s.topic == topic && s.area == area && s.valid_on(day))
        .max_by_key(|s| s.valid_from)
}
