//! Scoring Lantern's understanding against the labelled corpus of real
//! requests (`tests/corpus`, see its README). Shared by the
//! `understanding_corpus` test and the `understanding` example that
//! `bench/understanding` runs.
//!
//! Each labelled question or part with a `reading` is one scored item. It is
//! found in Lantern's draft as the smallest question or part whose words
//! contain the label's `starts` words (spaces and case ignored), and is then:
//!
//! - **dropped** when no question or part holds those words (words kept only
//!   in a preamble, set aside or lost all count as dropped);
//! - **right** when the reading matches the label: for `outside`, Lantern
//!   gives no reading of its own; for `officer = true`, Lantern leaves it to
//!   the officer; otherwise Lantern drafts it without the officer with the
//!   same indicator or topic, periods, filters, breakdowns and age range;
//! - **silently wrong** when not right and drafted without the officer;
//! - **left for the officer** otherwise.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lantern_core::Period;
use lantern_core::catalogue;
use lantern_core::request::Ask;
use lantern_core::understand::{self, SplitQuestion, Understanding};

/// The name of the fresh held-out set not yet seen, as its labels say it.
pub const FRESH: &str = "fresh6";

/// The corpus shipped with the crate.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// What a label says a question asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Not something the catalogue holds.
    Outside,
    /// Figures of an indicator.
    Indicator(String),
    /// A statement topic.
    Topic(String),
}

/// One labelled question or part.
#[derive(Debug, Clone)]
pub struct Item {
    pub starts: String,
    pub reading: Reading,
    pub periods: BTreeSet<String>,
    pub filters: BTreeMap<String, String>,
    pub breakdowns: BTreeSet<String>,
    pub age_range: bool,
    pub officer: bool,
}

/// A labelled request.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub name: String,
    /// The quarter kept aside first (`heldout = true`), since seen.
    pub heldout: bool,
    /// The fresh held-out set not yet seen (`heldout = "fresh6"`): the
    /// independent measure.
    pub fresh: bool,
    /// A fresh held-out set whose results were looked at (`heldout =
    /// "fresh, seen"` for 081-101, `"fresh2, seen"` for 102-121, `"fresh3,
    /// seen"` for 122-141, `"fresh4, seen"` for 142-161, `"fresh5, seen"`
    /// for 162-181): tuning
    /// data now.
    pub seen_fresh: bool,
    pub items: Vec<Item>,
}

/// How an item came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Right,
    SilentlyWrong,
    Dropped,
    LeftForOfficer,
}

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::Right => "right",
            Outcome::SilentlyWrong => "WRONG",
            Outcome::Dropped => "DROPPED",
            Outcome::LeftForOfficer => "officer",
        }
    }
}

/// One scored item.
#[derive(Debug, Clone)]
pub struct Scored {
    pub request: String,
    pub heldout: bool,
    pub fresh: bool,
    pub covered: bool,
    pub starts: String,
    pub expected: String,
    pub got: String,
    pub outcome: Outcome,
}

impl Scored {
    /// One line for the bench.
    pub fn line(&self) -> String {
        let mut starts: String = self.starts.chars().take(60).collect();
        if self.starts.chars().count() > 60 {
            starts.push('…');
        }
        format!(
            "{} {:<7} expected {} | got {} | {}",
            self.request,
            self.outcome.word(),
            self.expected,
            self.got,
            starts
        )
    }
}

/// The counts of one part of the corpus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub items: usize,
    pub covered: usize,
    pub right: usize,
    pub right_covered: usize,
    pub silently_wrong: usize,
    pub dropped: usize,
    pub left_for_officer: usize,
}

impl Summary {
    pub fn of<'s>(scored: impl IntoIterator<Item = &'s Scored>) -> Summary {
        let mut s = Summary::default();
        for item in scored {
            s.items += 1;
            s.covered += usize::from(item.covered);
            match item.outcome {
                Outcome::Right => {
                    s.right += 1;
                    s.right_covered += usize::from(item.covered);
                }
                Outcome::SilentlyWrong => s.silently_wrong += 1,
                Outcome::Dropped => s.dropped += 1,
                Outcome::LeftForOfficer => s.left_for_officer += 1,
            }
        }
        s
    }

    /// The bench's summary line.
    pub fn line(&self, part: &str) -> String {
        let pct = |n: usize, d: usize| {
            if d == 0 {
                0.0
            } else {
                100.0 * n as f64 / d as f64
            }
        };
        format!(
            "understanding ({part}): right={:.1}% silently_wrong={} dropped={} left_for_officer={} \
             (items={} right={} covered={} right_of_covered={:.1}%)",
            pct(self.right, self.items),
            self.silently_wrong,
            self.dropped,
            self.left_for_officer,
            self.items,
            self.right,
            self.covered,
            pct(self.right_covered, self.covered),
        )
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn string_list(table: &toml::Table, key: &str, file: &str) -> Result<Vec<String>, String> {
    match table.get(key) {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(values)) => values
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{file}: `{key}` must be a list of strings"))
            })
            .collect(),
        Some(_) => Err(format!("{file}: `{key}` must be a list of strings")),
    }
}

fn item(table: &toml::Table, file: &str) -> Result<Option<Item>, String> {
    let Some(reading) = table.get("reading") else {
        return Ok(None);
    };
    let starts = table
        .get("starts")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| format!("{file}: a question has no `starts`"))?
        .to_string();
    let reading = match reading.as_str() {
        Some("outside") => Reading::Outside,
        Some(r) if r.starts_with("indicator:") => Reading::Indicator(r[10..].to_string()),
        Some(r) if r.starts_with("topic:") => Reading::Topic(r[6..].to_string()),
        _ => return Err(format!("{file}: `{starts}`: unknown reading {reading}")),
    };
    let mut periods = BTreeSet::new();
    for p in string_list(table, "periods", file)? {
        let period = Period::parse(&p).map_err(|e| format!("{file}: `{starts}`: {e}"))?;
        periods.insert(period.to_string());
    }
    let mut filters = BTreeMap::new();
    if let Some(f) = table.get("filters") {
        let f = f
            .as_table()
            .ok_or_else(|| format!("{file}: `{starts}`: `filters` must be a table"))?;
        for (k, v) in f {
            let v = v
                .as_str()
                .ok_or_else(|| format!("{file}: `{starts}`: filter values are strings"))?;
            filters.insert(k.clone(), v.to_string());
        }
    }
    let breakdowns = string_list(table, "breakdowns", file)?
        .into_iter()
        .collect();
    let flag = |key: &str| table.get(key).and_then(toml::Value::as_bool) == Some(true);
    Ok(Some(Item {
        starts,
        reading,
        periods,
        filters,
        breakdowns,
        age_range: flag("age_range"),
        officer: flag("officer"),
    }))
}

/// Read one label file.
pub fn read_label(path: &Path) -> Result<Labelled, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    let mut items = Vec::new();
    let questions = table
        .get("question")
        .and_then(toml::Value::as_array)
        .ok_or_else(|| format!("{file}: no [[question]]"))?;
    for q in questions {
        let q = q
            .as_table()
            .ok_or_else(|| format!("{file}: [[question]] must be a table"))?;
        items.extend(item(q, &file)?);
        if let Some(parts) = q.get("part").and_then(toml::Value::as_array) {
            for p in parts {
                let p = p
                    .as_table()
                    .ok_or_else(|| format!("{file}: [[question.part]] must be a table"))?;
                items.extend(item(p, &file)?);
            }
        }
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (heldout, fresh, seen_fresh) = match table.get("heldout") {
        None | Some(toml::Value::Boolean(false)) => (false, false, false),
        Some(toml::Value::Boolean(true)) => (true, false, false),
        Some(toml::Value::String(s))
            if s == "fresh, seen"
                || s == "fresh2, seen"
                || s == "fresh3, seen"
                || s == "fresh4, seen"
                || s == "fresh5, seen" =>
        {
            (false, false, true)
        }
        Some(toml::Value::String(s)) if s == FRESH => (false, true, false),
        Some(other) => {
            return Err(format!(
                "{file}: heldout must be true, false, \"fresh, seen\", \"fresh2, seen\", \"fresh3, seen\", \"fresh4, seen\", \"fresh5, seen\" or \"{FRESH}\", not {other}"
            ));
        }
    };
    Ok(Labelled {
        name,
        heldout,
        fresh,
        seen_fresh,
        items,
    })
}

/// Every question and part Lantern made, with its understanding.
fn units<'d>(
    q: &'d SplitQuestion,
    u: &'d Understanding,
    out: &mut Vec<(String, &'d Understanding)>,
) {
    out.push((normalise(&q.text), u));
    for (part, pu) in q.parts.iter().zip(&u.parts) {
        units(part, pu, out);
    }
}

/// The reading of a unit: its ask, or, for a heading whose parts all ask for
/// the same figures over different periods ("for the following years: a.
/// 2016/17 b. …"), those figures over all the parts' periods.
fn effective_ask(u: &Understanding) -> Option<Ask> {
    if let Some(ask) = &u.ask {
        return Some(ask.clone());
    }
    let mut merged: Option<lantern_core::request::FigureAsk> = None;
    for part in &u.parts {
        let Some(Ask::Figures(f)) = &part.ask else {
            return None;
        };
        match &mut merged {
            None => merged = Some(f.clone()),
            Some(m) => {
                if m.indicator != f.indicator
                    || m.filter != f.filter
                    || m.breakdown != f.breakdown
                    || m.age_range != f.age_range
                {
                    return None;
                }
                m.periods.extend(f.periods.iter().copied());
            }
        }
    }
    merged.map(Ask::Figures)
}

/// The dimensions a figure reading splits by. Youngest and oldest ages are
/// worked out from the age bands, so `age_range` brings `age_band` with it;
/// that `age_band` is not a breakdown the requester asked for.
fn breakdowns_of(f: &lantern_core::request::FigureAsk) -> BTreeSet<String> {
    f.breakdown
        .iter()
        .filter(|b| !(f.age_range && *b == "age_band"))
        .cloned()
        .collect()
}

fn describe_ask(ask: &Ask) -> String {
    match ask {
        Ask::Statement { topic } => format!("topic:{topic}"),
        Ask::Figures(f) => {
            let periods: BTreeSet<String> = f.periods.iter().map(Period::to_string).collect();
            describe(
                &format!("indicator:{}", f.indicator),
                &periods,
                &f.filter.0,
                &breakdowns_of(f),
                f.age_range,
            )
        }
    }
}

fn describe(
    reading: &str,
    periods: &BTreeSet<String>,
    filters: &BTreeMap<String, String>,
    breakdowns: &BTreeSet<String>,
    age_range: bool,
) -> String {
    let mut s = reading.to_string();
    if !periods.is_empty() {
        let _ = write!(
            s,
            " [{}]",
            periods.iter().cloned().collect::<Vec<_>>().join(",")
        );
    }
    if !filters.is_empty() {
        let f: Vec<String> = filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(s, " where {}", f.join(","));
    }
    if !breakdowns.is_empty() {
        let _ = write!(
            s,
            " by {}",
            breakdowns.iter().cloned().collect::<Vec<_>>().join(",")
        );
    }
    if age_range {
        s.push_str(" age-range");
    }
    s
}

fn describe_item(item: &Item) -> String {
    let reading = match &item.reading {
        Reading::Outside => "outside".to_string(),
        Reading::Indicator(code) => format!("indicator:{code}"),
        Reading::Topic(code) => format!("topic:{code}"),
    };
    let mut s = describe(
        &reading,
        &item.periods,
        &item.filters,
        &item.breakdowns,
        item.age_range,
    );
    if item.officer {
        s.push_str(" (officer)");
    }
    s
}

fn matches(item: &Item, ask: &Ask) -> bool {
    match (&item.reading, ask) {
        (Reading::Topic(code), Ask::Statement { topic }) => code == topic,
        (Reading::Indicator(code), Ask::Figures(f)) => {
            let periods: BTreeSet<String> = f.periods.iter().map(Period::to_string).collect();
            *code == f.indicator
                && periods == item.periods
                && f.filter.0 == item.filters
                && breakdowns_of(f) == item.breakdowns
                && f.age_range == item.age_range
        }
        _ => false,
    }
}

fn score(item: &Item, unit: Option<&Understanding>) -> (Outcome, String) {
    let Some(u) = unit else {
        return (Outcome::Dropped, "nothing".to_string());
    };
    let drafted = u.is_complete();
    let ask = effective_ask(u);
    let got = format!(
        "{}{}",
        ask.as_ref()
            .map(describe_ask)
            .unwrap_or_else(|| "no reading".to_string()),
        if drafted { "" } else { " (officer)" }
    );
    let right = if item.officer {
        !drafted
    } else if item.reading == Reading::Outside {
        ask.is_none() && !drafted
    } else {
        drafted && ask.as_ref().is_some_and(|a| matches(item, a))
    };
    let outcome = if right {
        Outcome::Right
    } else if drafted {
        Outcome::SilentlyWrong
    } else {
        Outcome::LeftForOfficer
    };
    (outcome, got)
}

/// Run one request through intake and score its items.
pub fn score_request(dir: &Path, label: &Labelled) -> Vec<Scored> {
    let eml = dir.join(format!("{}.eml", label.name));
    let catalogue = catalogue::shipped();
    let draft = std::fs::read(&eml)
        .map_err(|e| e.to_string())
        .and_then(|raw| understand::parse_email(&raw).map_err(|e| e.to_string()))
        .and_then(|email| {
            let received = email.date.unwrap_or_else(|| jiff::civil::date(2000, 1, 1));
            understand::draft(&email, received, &catalogue, &[], label.name.clone())
                .map_err(|e| e.to_string())
        });
    let mut flat: Vec<(String, &Understanding)> = Vec::new();
    if let Ok(draft) = &draft {
        for q in &draft.questions {
            units(&q.question, &q.understanding, &mut flat);
        }
    }
    label
        .items
        .iter()
        .map(|item| {
            let want = normalise(&item.starts);
            let unit = flat
                .iter()
                .filter(|(text, _)| text.contains(&want))
                .min_by_key(|(text, _)| text.len())
                .map(|(_, u)| *u);
            let (outcome, mut got) = score(item, unit);
            if let Err(e) = &draft {
                got = format!("intake failed: {e}");
            }
            Scored {
                request: label.name.clone(),
                heldout: label.heldout,
                fresh: label.fresh,
                covered: item.reading != Reading::Outside,
                starts: item.starts.clone(),
                expected: describe_item(item),
                got,
                outcome,
            }
        })
        .collect()
}

/// Score the whole corpus in `dir`, requests in name order.
pub fn score_corpus(dir: &Path) -> Result<Vec<Scored>, String> {
    let mut labels: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    labels.sort();
    let mut out = Vec::new();
    for path in labels {
        let label = read_label(&path)?;
        out.extend(score_request(dir, &label));
    }
    Ok(out)
}
