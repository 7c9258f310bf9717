//! The indicator catalogue: every measure Lantern can hold figures for, the
//! breakdowns (dimensions) it can be split by, and who else holds it.
//!
//! The catalogue is a TOML document. Lantern ships one
//! (`catalogue/indicators.toml`); a council extends it with its own file,
//! which may add indicators and dimensions but never silently changes a
//! shipped one (redefining an existing code is an error).
//!
//! Invariants, checked by [`Catalogue::from_toml`]:
//! - indicator and dimension codes are unique, lower-case `[a-z0-9_]`;
//!   dimension value codes (`18-24`, `40+`) are unique within their dimension;
//! - every breakdown an indicator allows names a known dimension;
//! - every dimension value's `parts` name values of the same dimension, the
//!   parts relation has no cycles, and every value resolves to a non-empty set
//!   of leaves (values without parts), so any set of cells can be written as
//!   sums over leaves for disclosure control.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

/// The unit an indicator is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Distinct people.
    People,
    /// Placements (a person may have several).
    Placements,
    /// Naloxone kits.
    Kits,
    /// Pounds sterling, held exactly in pence.
    Gbp,
    /// Deaths.
    Deaths,
    /// Episodes or exits.
    Episodes,
    /// Attendances (at A&E, for instance).
    Attendances,
    /// Recorded offences.
    Offences,
}

impl Unit {
    /// The noun used in tables and letters ("people", "placements", "£").
    pub fn noun(self) -> &'static str {
        match self {
            Unit::People => "people",
            Unit::Placements => "placements",
            Unit::Kits => "kits",
            Unit::Gbp => "£",
            Unit::Deaths => "deaths",
            Unit::Episodes => "episodes",
            Unit::Attendances => "attendances",
            Unit::Offences => "offences",
        }
    }

    /// Whether values are amounts of money.
    pub fn is_money(self) -> bool {
        self == Unit::Gbp
    }
}

/// What Lantern does with a figure once the release that publishes it is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterPublication {
    /// Give the figure in the answer.
    #[default]
    Give,
    /// Refuse under s21 and say where it is published.
    Refer,
}

/// Another body that holds information about an indicator (for s16 advice).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherHolder {
    /// The body, e.g. "Office for National Statistics".
    pub body: String,
    /// What it publishes or holds, as a sentence fragment.
    pub holds: String,
    /// Where to find it.
    #[serde(default)]
    pub url: Option<String>,
}

/// One measure, e.g. adults in treatment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// Stable code, e.g. `people_in_treatment`.
    pub code: String,
    /// Short title for tables.
    pub title: String,
    /// What exactly is counted.
    pub description: String,
    /// Unit of the values.
    pub unit: Unit,
    /// Dimensions figures may be broken down by.
    pub breakdowns: Vec<String>,
    /// Whether each unit is a person (then disclosure control applies).
    pub counts_people: bool,
    /// The release series that publishes it, if any (e.g. `ndtms_annual`).
    pub release: Option<String>,
    /// What to do once published.
    pub after_publication: AfterPublication,
    /// Other bodies holding it (s16 advice).
    pub other_holders: Vec<OtherHolder>,
    /// Words requesters use for it (used by request understanding).
    pub synonyms: Vec<String>,
    /// Whether the council itself ever holds it (false: always s1(1) with advice).
    pub held_by_council: bool,
}

/// One value of a dimension, e.g. age band `40+`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionValue {
    /// Code used in files and requests.
    pub code: String,
    /// Words used in letters.
    pub label: String,
    /// Values this one is the sum of (empty for a leaf).
    #[serde(default)]
    pub parts: Vec<String>,
    /// Other spellings accepted for this value.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A statement topic: a narrative question a council answers from statements
/// (e.g. "Who purchases naloxone?"), with the phrases that identify it in a
/// request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Code, dotted lower-case words, e.g. `naloxone.purchaser`.
    pub code: String,
    /// The question the topic answers, in plain words.
    pub question: String,
    /// Words and phrases requesters use for it.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// What the topic is about (`naloxone`, `THN`): a question that names
    /// none of these (nor does its question or preamble) is not read as this
    /// topic, however well its other words match. Empty: no such condition.
    #[serde(default)]
    pub subject: Vec<String>,
}

/// A breakdown, e.g. age band, with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// Code, e.g. `age_band`.
    pub code: String,
    /// Title used in tables.
    pub title: String,
    /// Whether values outside the list are allowed (providers, services).
    pub open: bool,
    /// The values, in display order.
    pub values: Vec<DimensionValue>,
}

/// Whether `text.to_lowercase() == lower`, without building the lowercase
/// text when `text` is ASCII (codes and aliases are, nearly always).
fn lowercase_is(text: &str, lower: &str) -> bool {
    if text.is_ascii() {
        text.len() == lower.len()
            && text
                .bytes()
                .zip(lower.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b)
    } else {
        text.to_lowercase() == lower
    }
}

impl Dimension {
    /// Look a value up by code or alias (case-insensitive).
    pub fn value(&self, code: &str) -> Option<&DimensionValue> {
        let wanted = code.trim().to_lowercase();
        self.values.iter().find(|v| {
            lowercase_is(&v.code, &wanted) || v.aliases.iter().any(|a| lowercase_is(a, &wanted))
        })
    }

    /// The leaves a value is the sum of, in display order (a leaf is its own leaf).
    pub fn leaves_of(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_leaves(code, &mut out, 0);
        out.sort_by_key(|leaf| self.position(leaf));
        out.dedup();
        out
    }

    fn collect_leaves(&self, code: &str, out: &mut Vec<String>, depth: usize) {
        if depth > self.values.len() {
            return;
        }
        // A union of values written `a|b` (a requester's "alcohol or
        // opiates") is the sum of its members.
        if code.contains(UNION) {
            for member in code.split(UNION) {
                self.collect_leaves(member, out, depth + 1);
            }
            return;
        }
        match self.value(code) {
            Some(v) if !v.parts.is_empty() => {
                for part in &v.parts {
                    self.collect_leaves(part, out, depth + 1);
                }
            }
            Some(v) => out.push(v.code.clone()),
            None => out.push(code.to_string()),
        }
    }

    /// All leaf values, in display order.
    pub fn leaves(&self) -> Vec<String> {
        self.values
            .iter()
            .filter(|v| v.parts.is_empty())
            .map(|v| v.code.clone())
            .collect()
    }

    /// Display position of a value (unknown values of open dimensions sort last).
    pub fn position(&self, code: &str) -> usize {
        self.values
            .iter()
            .position(|v| v.code == code)
            .unwrap_or(self.values.len())
    }

    /// The label for a value, falling back to the code; a union `a|b` is
    /// "a or b", an age range not in the catalogue "aged 18 to 22".
    pub fn label(&self, code: &str) -> String {
        if code.contains(UNION) {
            let labels: Vec<String> = code.split(UNION).map(|m| self.label(m)).collect();
            return match labels.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} or {last}", rest.join(", "))
                }
                _ => labels.join(""),
            };
        }
        if let Some(v) = self.value(code) {
            return v.label.clone();
        }
        match (self.code == AGE_BAND)
            .then(|| AgeSpan::parse(code))
            .flatten()
        {
            Some(span) => span.label(),
            None => code.to_string(),
        }
    }
}

/// What joins the members of a union value (`opiate|alcohol_only`).
pub const UNION: char = '|';

/// The age-band dimension's code: its values are ages, so a requester's own
/// band can be read as a span of ages.
pub const AGE_BAND: &str = "age_band";

/// A span of whole years of age, `low..=high` (`high` none: and over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AgeSpan {
    /// The youngest age in the span.
    pub low: u32,
    /// The oldest, if there is one.
    pub high: Option<u32>,
}

impl AgeSpan {
    /// Read an age-band code: `18`, `20-24`, `70+`.
    pub fn parse(code: &str) -> Option<AgeSpan> {
        let code = code.trim();
        let number = |t: &str| -> Option<u32> {
            let t = t.trim();
            (!t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        };
        if let Some(low) = code.strip_suffix('+') {
            return Some(AgeSpan {
                low: number(low)?,
                high: None,
            });
        }
        if let Some((low, high)) = code.split_once('-') {
            let (low, high) = (number(low)?, number(high)?);
            return (low <= high).then_some(AgeSpan {
                low,
                high: Some(high),
            });
        }
        let age = number(code)?;
        Some(AgeSpan {
            low: age,
            high: Some(age),
        })
    }

    /// The canonical code (`18`, `20-24`, `70+`).
    pub fn code(self) -> String {
        match self.high {
            None => format!("{}+", self.low),
            Some(h) if h == self.low => h.to_string(),
            Some(h) => format!("{}-{h}", self.low),
        }
    }

    /// Words for a letter ("aged 18 to 22", "aged 50 and over").
    pub fn label(self) -> String {
        match self.high {
            None => format!("aged {} and over", self.low),
            Some(h) if h == self.low => format!("aged {h}"),
            Some(h) => format!("aged {} to {h}", self.low),
        }
    }

    /// Whether an age is in the span.
    pub fn contains(self, age: u32) -> bool {
        age >= self.low && self.high.is_none_or(|h| age <= h)
    }

    /// Whether two spans share an age.
    pub fn overlaps(self, other: AgeSpan) -> bool {
        let below = |a: AgeSpan, b: AgeSpan| a.high.is_some_and(|h| h < b.low);
        !below(self, other) && !below(other, self)
    }
}

/// The whole catalogue. Its maps are shared between copies until one is
/// changed (a catalogue is read far more often than changed, and a copy of
/// it taken by every reader of a page's), so copying one costs nothing and
/// two copies of the same compare at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    indicators: Arc<BTreeMap<String, Indicator>>,
    dimensions: Arc<BTreeMap<String, Dimension>>,
    topics: Arc<BTreeMap<String, Topic>>,
}

/// A catalogue problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// The TOML itself could not be read.
    #[error("{source_name}: {message}")]
    Syntax {
        /// Which catalogue file.
        source_name: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A rule in the module docs is broken.
    #[error("{source_name}: {message}")]
    Invalid {
        /// Which catalogue file.
        source_name: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// An indicator code that is not in the catalogue, with the nearest known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown indicator '{code}'{}", suggest(.nearest))]
pub struct UnknownIndicator {
    /// The code as given.
    pub code: String,
    /// Known codes nearest to it, best first.
    pub nearest: Vec<String>,
}

/// A dimension or dimension value that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", suggest(.nearest))]
pub struct UnknownBreakdown {
    /// What is wrong.
    pub message: String,
    /// Nearest known codes.
    pub nearest: Vec<String>,
}

fn suggest(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", nearest.join(", "))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    #[serde(default)]
    dimension: Vec<DimensionFile>,
    #[serde(default)]
    indicator: Vec<IndicatorFile>,
    #[serde(default)]
    topic: Vec<Topic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DimensionFile {
    code: String,
    title: String,
    #[serde(default)]
    open: bool,
    #[serde(default)]
    values: Vec<DimensionValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    code: String,
    title: String,
    description: String,
    unit: Unit,
    #[serde(default)]
    breakdowns: Vec<String>,
    counts_people: bool,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    after_publication: AfterPublication,
    #[serde(default)]
    other_holders: Vec<OtherHolder>,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default = "yes")]
    held_by_council: bool,
}

fn yes() -> bool {
    true
}

impl Catalogue {
    /// Read a catalogue document. `source_name` names it in errors.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Catalogue, CatalogueError> {
        let mut catalogue = Catalogue::default();
        catalogue.extend_from_toml(source_name, text)?;
        Ok(catalogue)
    }

    /// Add a council's extension document to this catalogue.
    pub fn extend_from_toml(
        &mut self,
        source_name: &str,
        text: &str,
    ) -> Result<(), CatalogueError> {
        let file: CatalogueFile = toml::from_str(text).map_err(|e| CatalogueError::Syntax {
            source_name: source_name.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| CatalogueError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let mut next = self.clone();
        for d in file.dimension {
            check_code(&d.code).map_err(&invalid)?;
            if next.dimensions.contains_key(&d.code) {
                return Err(invalid(format!(
                    "dimension '{}' is already defined; choose another code",
                    d.code
                )));
            }
            let dim = Dimension {
                code: d.code.clone(),
                title: d.title,
                open: d.open,
                values: d.values,
            };
            check_dimension(&dim).map_err(&invalid)?;
            Arc::make_mut(&mut next.dimensions).insert(d.code, dim);
        }
        for i in file.indicator {
            check_code(&i.code).map_err(&invalid)?;
            if next.indicators.contains_key(&i.code) {
                return Err(invalid(format!(
                    "indicator '{}' is already defined; choose another code",
                    i.code
                )));
            }
            for b in &i.breakdowns {
                if !next.dimensions.contains_key(b) {
                    return Err(invalid(format!(
                        "indicator '{}' allows breakdown '{b}', which is not a dimension{}",
                        i.code,
                        suggest(&nearest(b, next.dimensions.keys()))
                    )));
                }
            }
            Arc::make_mut(&mut next.indicators).insert(
                i.code.clone(),
                Indicator {
                    code: i.code,
                    title: i.title,
                    description: i.description,
                    unit: i.unit,
                    breakdowns: i.breakdowns,
                    counts_people: i.counts_people,
                    release: i.release,
                    after_publication: i.after_publication,
                    other_holders: i.other_holders,
                    synonyms: i.synonyms,
                    held_by_council: i.held_by_council,
                },
            );
        }
        for t in file.topic {
            crate::statement::check_topic(&t.code).map_err(&invalid)?;
            if next.topics.contains_key(&t.code) {
                return Err(invalid(format!(
                    "topic '{}' is already defined; choose another code",
                    t.code
                )));
            }
            Arc::make_mut(&mut next.topics).insert(t.code.clone(), t);
        }
        *self = next;
        Ok(())
    }

    /// All statement topics, by code.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values()
    }

    /// The topic with this code.
    pub fn topic(&self, code: &str) -> Option<&Topic> {
        self.topics.get(code)
    }

    /// The indicator with this code, or an error naming the nearest codes.
    pub fn indicator(&self, code: &str) -> Result<&Indicator, UnknownIndicator> {
        self.indicators
            .get(code.trim())
            .ok_or_else(|| UnknownIndicator {
                code: code.to_string(),
                nearest: nearest(code, self.indicators.keys()),
            })
    }

    /// All indicators, by code.
    pub fn indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.values()
    }

    /// The dimension with this code.
    pub fn dimension(&self, code: &str) -> Result<&Dimension, UnknownBreakdown> {
        self.dimensions
            .get(code.trim())
            .ok_or_else(|| UnknownBreakdown {
                message: format!("unknown breakdown '{code}'"),
                nearest: nearest(code, self.dimensions.keys()),
            })
    }

    /// All dimensions, by code.
    pub fn dimensions(&self) -> impl Iterator<Item = &Dimension> {
        self.dimensions.values()
    }

    /// This catalogue with a requester's own age bands (span codes such as
    /// `18-22` or `25-34`, see [`AgeSpan`]) as values of the age-band
    /// dimension, so that disclosure control can write them as sums over
    /// leaves like any other value. A band the leaves tile is the sum of
    /// those leaves; otherwise the leaves are refined into the spans between
    /// every band's and leaf's boundaries (codes `~18-19`), and every value
    /// is re-expressed over them. Bands already values are left alone.
    pub fn with_age_bands(&self, bands: &[String]) -> Catalogue {
        let mut next = self.clone();
        let Some(dim) = Arc::make_mut(&mut next.dimensions).get_mut(AGE_BAND) else {
            return next;
        };
        let wanted: Vec<AgeSpan> = bands
            .iter()
            .filter(|b| dim.value(b).is_none() && !b.contains(UNION))
            .filter_map(|b| AgeSpan::parse(b))
            .collect();
        if wanted.is_empty() {
            return next;
        }
        let leaves: Vec<(String, AgeSpan)> = dim
            .leaves()
            .into_iter()
            .filter_map(|l| AgeSpan::parse(&l).map(|s| (l, s)))
            .collect();
        let tiling = |band: AgeSpan, leaves: &[(String, AgeSpan)]| -> Option<Vec<String>> {
            let mut inside: Vec<&(String, AgeSpan)> = leaves
                .iter()
                .filter(|(_, s)| {
                    s.low >= band.low
                        && match (s.high, band.high) {
                            (_, None) => true,
                            (Some(h), Some(b)) => h <= b,
                            (None, Some(_)) => false,
                        }
                })
                .collect();
            inside.sort_by_key(|(_, s)| s.low);
            let mut next_age = band.low;
            for (_, s) in &inside {
                if s.low != next_age {
                    return None;
                }
                match s.high {
                    Some(h) => next_age = h + 1,
                    None => {
                        return band
                            .high
                            .is_none()
                            .then(|| inside.iter().map(|(c, _)| c.clone()).collect());
                    }
                }
            }
            (band.high == Some(next_age.wrapping_sub(1)) && !inside.is_empty())
                .then(|| inside.iter().map(|(c, _)| c.clone()).collect())
        };
        let all_tiled = wanted.iter().all(|b| tiling(*b, &leaves).is_some());
        if !all_tiled {
            // The boundaries of every leaf and band cut the ages into atoms.
            let mut cuts: BTreeSet<u32> = BTreeSet::new();
            let mut open_ended = false;
            for s in leaves.iter().map(|(_, s)| *s).chain(wanted.iter().copied()) {
                cuts.insert(s.low);
                match s.high {
                    Some(h) => {
                        cuts.insert(h + 1);
                    }
                    None => open_ended = true,
                }
            }
            let cuts: Vec<u32> = cuts.into_iter().collect();
            let mut atoms: Vec<AgeSpan> = cuts
                .windows(2)
                .map(|w| AgeSpan {
                    low: w[0],
                    high: Some(w[1] - 1),
                })
                .collect();
            if open_ended && let Some(&last) = cuts.last() {
                atoms.push(AgeSpan {
                    low: last,
                    high: None,
                });
            }
            let atom_values: Vec<(String, AgeSpan)> = atoms
                .iter()
                .map(|a| (format!("~{}", a.code()), *a))
                .collect();
            for v in dim.values.iter_mut().filter(|v| v.parts.is_empty()) {
                if let Some(span) = AgeSpan::parse(&v.code) {
                    v.parts = tiling(span, &atom_values).unwrap_or_default();
                }
            }
            for (code, span) in &atom_values {
                dim.values.push(DimensionValue {
                    code: code.clone(),
                    label: span.label(),
                    parts: vec![],
                    aliases: vec![],
                });
            }
            for band in &wanted {
                if dim.value(&band.code()).is_none() {
                    let parts = tiling(*band, &atom_values).unwrap_or_default();
                    dim.values.push(DimensionValue {
                        code: band.code(),
                        label: band.label(),
                        parts,
                        aliases: vec![],
                    });
                }
            }
        } else {
            for band in &wanted {
                if dim.value(&band.code()).is_none() {
                    let parts = tiling(*band, &leaves).unwrap_or_default();
                    dim.values.push(DimensionValue {
                        code: band.code(),
                        label: band.label(),
                        parts,
                        aliases: vec![],
                    });
                }
            }
        }
        next
    }

    /// Check a breakdown value for an indicator and return its canonical code.
    pub fn breakdown_value(
        &self,
        indicator: &Indicator,
        dimension: &str,
        value: &str,
    ) -> Result<String, UnknownBreakdown> {
        let dim = self.dimension(dimension)?;
        if !indicator.breakdowns.iter().any(|b| b == &dim.code) {
            return Err(UnknownBreakdown {
                message: format!(
                    "indicator '{}' cannot be broken down by '{}' (it allows: {})",
                    indicator.code,
                    dim.code,
                    if indicator.breakdowns.is_empty() {
                        "no breakdowns".to_string()
                    } else {
                        indicator.breakdowns.join(", ")
                    }
                ),
                nearest: vec![],
            });
        }
        if value.trim() == "*" {
            return Ok("*".to_string());
        }
        match dim.value(value) {
            Some(v) => Ok(v.code.clone()),
            None if dim.open && !value.trim().is_empty() => Ok(value.trim().to_string()),
            None => Err(UnknownBreakdown {
                message: format!("'{value}' is not a value of breakdown '{}'", dim.code),
                nearest: nearest(value, dim.values.iter().map(|v| &v.code)),
            }),
        }
    }
}

fn check_code(code: &str) -> Result<(), String> {
    let ok = !code.is_empty()
        && code
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{code}' is not a valid code: use lower-case letters, digits and underscores"
        ))
    }
}

fn check_dimension(dim: &Dimension) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for v in &dim.values {
        if !seen.insert(v.code.to_lowercase()) {
            return Err(format!(
                "dimension '{}' lists value '{}' twice",
                dim.code, v.code
            ));
        }
    }
    for v in &dim.values {
        for part in &v.parts {
            if dim.value(part).is_none() {
                return Err(format!(
                    "value '{}' of dimension '{}' has part '{part}', which is not a value of it",
                    v.code, dim.code
                ));
            }
        }
        // A cycle would make a value its own part.
        let mut stack: Vec<&str> = v.parts.iter().map(String::as_str).collect();
        let mut visited = BTreeSet::new();
        while let Some(code) = stack.pop() {
            if code == v.code {
                return Err(format!(
                    "value '{}' of dimension '{}' is part of itself",
                    v.code, dim.code
                ));
            }
            if visited.insert(code.to_string())
                && let Some(next) = dim.value(code)
            {
                stack.extend(next.parts.iter().map(String::as_str));
            }
        }
    }
    Ok(())
}

/// The longest text nearest-code suggestions are worked out for: nothing
/// longer is near a code, and the edit distance costs its length times
/// each code's.
pub const MAX_SUGGESTED_CHARS: usize = 100;

/// The known codes closest to `wanted` (edit distance, or containment), best
/// first; none for text longer than [`MAX_SUGGESTED_CHARS`].
pub fn nearest<'a>(wanted: &str, known: impl Iterator<Item = &'a String>) -> Vec<String> {
    let wanted = wanted.trim();
    if wanted.len() > 4 * MAX_SUGGESTED_CHARS || wanted.chars().count() > MAX_SUGGESTED_CHARS {
        return Vec::new();
    }
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(usize, String)> = known
        .map(|k| {
            let d = edit_distance(&wanted, &k.to_lowercase());
            let contains =
                !wanted.is_empty() && (k.contains(wanted.as_str()) || wanted.contains(k.as_str()));
            (if contains { d.min(2) } else { d }, k.clone())
        })
        .collect();
    scored.sort();
    let limit = (wanted.chars().count() / 2).max(3);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(3)
        .map(|(_, k)| k)
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut prev = row[0];
        row[0] = i;
        for j in 1..=b.len() {
            let cur = row[j];
            row[j] = if a[i - 1] == b[j - 1] {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j - 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// The catalogue Lantern ships with.
pub const SHIPPED: &str = include_str!("../../../catalogue/indicators.toml");

/// The shipped catalogue, parsed.
pub fn shipped() -> Catalogue {
    // The shipped file is checked by a unit test, so this cannot fail at run time.
    Catalogue::from_toml("catalogue/indicators.toml", SHIPPED).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_is_comparing_lowercase_text() {
        let texts = [
            "crack", "Crack", "CRACK", "crac", "crackk", "18-24", "Ōpiate", "ōpiate", "ΣΑΣ", "σας",
            "σαΣ", "İ", "i̇", "", "a|b",
        ];
        for text in texts {
            for other in texts {
                let lower = other.trim().to_lowercase();
                assert_eq!(
                    lowercase_is(text, &lower),
                    text.to_lowercase() == lower,
                    "{text} / {lower}"
                );
            }
        }
    }

    #[test]
    fn shipped_catalogue_is_valid_and_covers_the_seeds() {
        let c = Catalogue::from_toml("shipped", SHIPPED).unwrap_or_else(|e| panic!("{e}"));
        for code in [
            "people_in_treatment",
            "new_presentations",
            "successful_completions",
            "deaths_in_treatment",
            "inpatient_detox_placements",
            "residential_rehab_placements",
            "naloxone_kits_issued",
            "naloxone_kits_purchased",
            "budget",
            "spend",
            "drug_poisoning_deaths",
        ] {
            assert!(c.indicator(code).is_ok(), "{code} missing");
        }
        let age = c.dimension("age_band").unwrap();
        assert_eq!(
            age.leaves_of("40+").first().map(String::as_str),
            Some("40-44")
        );
        assert_eq!(age.leaves_of("18-24"), vec!["18", "19", "20-24"]);
    }

    #[test]
    fn no_suggestions_are_worked_out_for_absurdly_long_text() {
        let cat = shipped();
        let long = format!("people_in_treatment{}", "x".repeat(10_000_000));
        let err = cat.indicator(&long).unwrap_err();
        assert!(err.nearest.is_empty());
        let near = format!(
            "people_in_treatment{}",
            "x".repeat(MAX_SUGGESTED_CHARS - 30)
        );
        assert_eq!(
            cat.indicator(&near).unwrap_err().nearest,
            ["people_in_treatment"]
        );
    }

    #[test]
    fn unknown_indicator_names_the_nearest_codes() {
        let c = shipped();
        let err = c.indicator("people_in_treatmnt").unwrap_err();
        assert_eq!(
            err.nearest.first().map(String::as_str),
            Some("people_in_treatment")
        );
        assert!(err.to_string().contains("did you mean people_in_treatment"));
    }

    #[test]
    fn extensions_add_but_never_redefine() {
        let mut c = shipped();
        let ext = r#"
            [[indicator]]
            code = "hep_c_tests"
            title = "Hepatitis C tests"
            description = "Tests offered"
            unit = "people"
            counts_people = true
        "#;
        c.extend_from_toml("council.toml", ext).unwrap();
        assert!(c.indicator("hep_c_tests").is_ok());
        let err = c.extend_from_toml("council.toml", ext).unwrap_err();
        assert!(err.to_string().contains("already defined"));
    }

    #[test]
    fn bad_catalogues_are_rejected_with_the_reason() {
        let bad_part = r#"
            [[dimension]]
            code = "x"
            title = "X"
            values = [{ code = "a", label = "A", parts = ["b"] }]
        "#;
        assert!(
            Catalogue::from_toml("t", bad_part)
                .unwrap_err()
                .to_string()
                .contains("part 'b'")
        );
        let cycle = r#"
            [[dimension]]
            code = "x"
            title = "X"
            values = [{ code = "a", label = "A", parts = ["b"] }, { code = "b", label = "B", parts = ["a"] }]
        "#;
        assert!(
            Catalogue::from_toml("t", cycle)
                .unwrap_err()
                .to_string()
                .contains("part of itself")
        );
        let syntax = "[[indicator]]\ncode = ";
        assert!(matches!(
            Catalogue::from_toml("t", syntax),
            Err(CatalogueError::Syntax { .. })
        ));
    }
}
