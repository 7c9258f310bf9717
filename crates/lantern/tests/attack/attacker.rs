//! The attacker: everything the disclosure log released, written as one
//! linear system per indicator and area, and the interval each suppressed
//! cell can lie in.
//!
//! Written apart from `lantern_core::disclosure` on purpose (it shares no
//! code with the defence). Its model is set out in
//! `docs/disclosure-control-attacker.md`:
//!
//! - Variables are non-negative inner cells: one per period piece and per
//!   combination of dimension leaves (leaves that no released value tells
//!   apart are merged into one block, which changes no interval).
//! - A `given` row with a value is exact; `suppressed` with "fewer than N"
//!   lies in 1..N-1; any other `suppressed` row is at least 1 (zeros are
//!   shown as 0).
//! - Closed dimensions: a value is the sum of its leaves. Open dimensions:
//!   the members are known (those named in the log plus those the caller
//!   says exist), so a total is the sum of its members. When that makes the
//!   system impossible (people seen by two providers are counted by both),
//!   the members of a people count are overlapping groups (each at most the
//!   total, the total at most their sum), and failing that each member is
//!   attacked as its own system.
//! - Settings, interventions and funders of people (one person may have
//!   several): each value asked is a yes/no of its own, so the people with
//!   it and without it add up to the total and the values need not.
//! - Periods: events (every unit but people) add up over the pieces of a
//!   span; for people a span lies between its largest part and the sum of
//!   its parts, and every sub-period's count is at most the span's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::civil::Date;
use lantern_core::period::Period;
use serde::Deserialize;

use crate::solver::{Op, System, whole};

/// Dimensions under several of whose values one person may count, for
/// counts of people (a person treated in two settings, with two kinds of
/// intervention or by two funders): their values need not add up to the
/// total, each splits it into those with the value and those without.
const SEVERAL: [&str; 3] = ["setting", "intervention", "funding"];

/// The catalogue as the attacker reads it: each dimension's values and
/// their parts, and each indicator's unit.
pub struct Catalogue {
    dimensions: BTreeMap<String, Dimension>,
    units: BTreeMap<String, String>,
}

struct Dimension {
    open: bool,
    /// Value code → its parts (empty for a leaf).
    values: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct CatalogueFile {
    #[serde(default)]
    dimension: Vec<DimensionEntry>,
    #[serde(default)]
    indicator: Vec<IndicatorEntry>,
}

#[derive(Deserialize)]
struct DimensionEntry {
    code: String,
    #[serde(default)]
    open: bool,
    #[serde(default)]
    values: Vec<ValueEntry>,
}

#[derive(Deserialize)]
struct ValueEntry {
    code: String,
    #[serde(default)]
    parts: Vec<String>,
}

#[derive(Deserialize)]
struct IndicatorEntry {
    code: String,
    unit: String,
}

impl Catalogue {
    /// The shipped catalogue (`catalogue/indicators.toml`).
    pub fn shipped() -> Catalogue {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../catalogue/indicators.toml"
        );
        let text = std::fs::read_to_string(path).expect("the shipped catalogue");
        let file: CatalogueFile = toml::from_str(&text).expect("the catalogue is TOML");
        Catalogue {
            dimensions: file
                .dimension
                .into_iter()
                .map(|d| {
                    let values = d.values.into_iter().map(|v| (v.code, v.parts)).collect();
                    (
                        d.code,
                        Dimension {
                            open: d.open,
                            values,
                        },
                    )
                })
                .collect(),
            units: file
                .indicator
                .into_iter()
                .map(|i| (i.code, i.unit))
                .collect(),
        }
    }

    fn dimension(&self, code: &str) -> &Dimension {
        self.dimensions
            .get(code)
            .unwrap_or_else(|| panic!("the log names dimension '{code}', not in the catalogue"))
    }

    fn counts_people(&self, indicator: &str) -> bool {
        self.units.get(indicator).is_some_and(|u| u == "people")
    }

    fn is_money(&self, indicator: &str) -> bool {
        self.units.get(indicator).is_some_and(|u| u == "gbp")
    }
}

impl Dimension {
    /// The leaves a value covers (a value the catalogue does not know, in
    /// an open dimension, is its own leaf).
    fn leaves_of(&self, code: &str) -> Vec<String> {
        match self.values.get(code) {
            Some(parts) if !parts.is_empty() => {
                parts.iter().flat_map(|p| self.leaves_of(p)).collect()
            }
            _ => vec![code.to_string()],
        }
    }

    fn catalogue_leaves(&self) -> Vec<String> {
        self.values
            .iter()
            .filter(|(_, parts)| parts.is_empty())
            .map(|(code, _)| code.clone())
            .collect()
    }
}

/// One line of `lantern log --json`.
#[derive(Deserialize, Clone, Debug)]
pub struct LogRow {
    /// The answer's reference.
    pub reference: String,
    /// The question (and part).
    pub question: String,
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// Canonical period.
    pub period: String,
    /// Breakdown key, `dim=value;dim=value`, empty for a total.
    pub breakdown: String,
    /// given, suppressed, …
    pub decision: String,
    /// The exemption, if any.
    pub basis: Option<String>,
    /// The number given, when one was.
    pub value: Option<serde_json::Value>,
    /// What the letter said.
    pub released: String,
}

impl fmt::Display for LogRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} q{} {} {} [{}] {}: {}",
            self.reference,
            self.question,
            self.indicator,
            self.period,
            self.breakdown,
            self.decision,
            self.released
        )
    }
}

/// Read `lantern log --json`.
pub fn parse_log(json: &str) -> Vec<LogRow> {
    serde_json::from_str(json).expect("lantern log --json is a list of rows")
}

/// What a row tells the attacker about its cell.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fact {
    Exact(f64),
    /// A small count: 1..=high.
    Small(f64),
    /// Withheld to protect another cell: not zero.
    NotZero,
}

/// The part of the period a given figure covers, from "This figure covers
/// X only." in what the letter said.
fn covers_only(released: &str) -> Option<String> {
    let start = released.find("This figure covers ")? + "This figure covers ".len();
    let rest = &released[start..];
    let end = rest.find(" only")?;
    Period::parse(&rest[..end]).ok().map(|p| p.to_string())
}

/// What a suppressed cell was withheld as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// "fewer than N": the small count itself.
    Primary,
    /// Withheld so that a small count cannot be worked out.
    Secondary,
}

fn fact(row: &LogRow) -> Option<Fact> {
    match row.decision.as_str() {
        "given" => row
            .value
            .as_ref()
            .and_then(serde_json::Value::as_f64)
            .map(Fact::Exact),
        "suppressed" => {
            let fewer = row
                .released
                .trim()
                .strip_prefix("fewer than ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.replace(',', "").parse::<f64>().ok());
            Some(match fewer {
                Some(n) => Fact::Small(n - 1.0),
                None => Fact::NotZero,
            })
        }
        _ => None,
    }
}

/// What the attacker found about one suppressed cell.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The (first) log row that withheld it.
    pub row: LogRow,
    /// The period it is about: the row's, or the part a figure given
    /// beside it said it covers.
    pub period: String,
    /// Small count or secondary.
    pub kind: Kind,
    /// Smallest and largest whole value it can take (no largest: unbounded).
    pub interval: (i64, Option<i64>),
    /// Pinned to one value.
    pub recovered: bool,
    /// For a recovered cell, the log rows that pin it (each one needed).
    pub used: Vec<String>,
    /// The figure actually held, when the test looked it up.
    pub held: Option<i64>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hi = self
            .interval
            .1
            .map_or_else(|| "unbounded".to_string(), |h| h.to_string());
        write!(
            f,
            "{} {} [{}] ({:?}): lies in {}..{}{}",
            self.row.indicator,
            self.period,
            self.row.breakdown,
            self.kind,
            self.interval.0,
            hi,
            if self.recovered { "  RECOVERED" } else { "" }
        )?;
        if let Some(held) = self.held {
            write!(f, " (held: {held})")?;
        }
        if self.recovered {
            write!(f, "\n    from the log rows:")?;
            for u in &self.used {
                write!(f, "\n      {u}")?;
            }
        }
        Ok(())
    }
}

/// The attack on a whole log.
#[derive(Clone, Debug, Default)]
pub struct Attack {
    /// Rows given with a number.
    pub given: usize,
    /// Distinct small counts withheld ("fewer than N").
    pub primary: usize,
    /// Distinct cells withheld to protect small counts.
    pub secondary: usize,
    /// Every distinct suppressed cell and its interval.
    pub findings: Vec<Finding>,
    /// Where the attacker had to weaken its model, and why.
    pub notes: Vec<String>,
}

impl Attack {
    /// The cells pinned to one value.
    pub fn recovered(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.recovered).collect()
    }

    /// One line of counts for the report.
    pub fn counts(&self) -> String {
        let recovered = self.recovered();
        format!(
            "given {}, primary {}, secondary {}, recovered {} ({} small counts, {} secondary)",
            self.given,
            self.primary,
            self.secondary,
            recovered.len(),
            recovered.iter().filter(|f| f.kind == Kind::Primary).count(),
            recovered
                .iter()
                .filter(|f| f.kind == Kind::Secondary)
                .count(),
        )
    }

    /// Everything recovered, for an assertion message.
    pub fn explain(&self) -> String {
        let mut out = self.counts();
        for f in self.recovered() {
            out.push_str(&format!("\n  {f}"));
        }
        for n in &self.notes {
            out.push_str(&format!("\n  note: {n}"));
        }
        out
    }
}

/// What the attacker knows besides the log: the full list of members of
/// open dimensions (e.g. the providers in the area).
#[derive(Clone, Debug, Default)]
pub struct Knowledge {
    /// Dimension code → its members.
    pub members: BTreeMap<String, BTreeSet<String>>,
}

/// A log row read for the system.
#[derive(Clone, Debug)]
struct Cell {
    row: usize,
    /// The period it is about (canonical).
    period: String,
    /// (dimension, value), sorted by dimension.
    breakdown: Vec<(String, String)>,
    /// First day and the day after the last.
    span: (Date, Date),
    /// The member of an open dimension the row is about, when members are
    /// modelled as overlapping groups of people (see [`Mode::Overlap`]).
    member: Option<String>,
    fact: Fact,
}

/// How members of open dimensions relate to their total.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// The total is the sum of the members (each counted once).
    Partition,
    /// People: a member's count is at most the total, the total at most the
    /// sum of the members (someone may be seen by two providers).
    Overlap,
    /// Each member's figures a system of their own.
    Split,
}

/// Attack every suppressed cell of the log.
pub fn attack(catalogue: &Catalogue, knowledge: &Knowledge, log: &[LogRow]) -> Attack {
    let mut out = Attack::default();
    let mut groups: BTreeMap<(String, String), Vec<Cell>> = BTreeMap::new();
    // A row given from a figure for part of the period asked says so ("This
    // figure covers 2019/20 only."); a row withheld beside it in the same
    // question is read as covering the same part when its siblings agree.
    let mut covered: BTreeMap<(&str, &str, &str), BTreeSet<String>> = BTreeMap::new();
    for row in log {
        if let Some(part) = covers_only(&row.released) {
            covered
                .entry((&row.reference, &row.question, &row.period))
                .or_default()
                .insert(part);
        }
    }
    for (i, row) in log.iter().enumerate() {
        if catalogue.is_money(&row.indicator) {
            continue;
        }
        let Some(fact) = fact(row) else { continue };
        let period_text = covers_only(&row.released).unwrap_or_else(|| {
            match covered.get(&(
                row.reference.as_str(),
                row.question.as_str(),
                row.period.as_str(),
            )) {
                Some(parts) if parts.len() == 1 && row.decision == "suppressed" => {
                    parts.iter().next().cloned().unwrap_or_default()
                }
                _ => row.period.clone(),
            }
        });
        let period = Period::parse(&period_text)
            .unwrap_or_else(|e| panic!("log period '{period_text}': {e}"));
        let mut breakdown: Vec<(String, String)> = row
            .breakdown
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (d, v) = p
                    .split_once('=')
                    .unwrap_or_else(|| panic!("breakdown key '{}'", row.breakdown));
                (d.to_string(), v.to_string())
            })
            .collect();
        breakdown.sort();
        groups
            .entry((row.indicator.clone(), row.area.clone()))
            .or_default()
            .push(Cell {
                row: i,
                period: period.to_string(),
                breakdown,
                span: (
                    period.first_day(),
                    period.last_day().tomorrow().expect("a day"),
                ),
                member: None,
                fact,
            });
    }
    for ((indicator, area), cells) in groups {
        let people = catalogue.counts_people(&indicator);
        // The strongest model first; weaker ones only when the log is
        // impossible under it.
        let attempts = [
            (Mode::Partition, 1.0),
            (Mode::Overlap, 1.0),
            (Mode::Split, 1.0),
            (Mode::Split, 0.0),
        ];
        let mut done = false;
        for (n, &(mode, floor)) in attempts.iter().enumerate() {
            let Some((subsystems, members)) = split(catalogue, knowledge, &cells, mode, people)
            else {
                continue;
            };
            let mut findings = Vec::new();
            let mut feasible = true;
            for sub in &subsystems {
                match solve(
                    catalogue,
                    knowledge,
                    log,
                    sub,
                    people,
                    floor,
                    members.as_deref(),
                ) {
                    Some(f) => findings.extend(f),
                    None => {
                        feasible = false;
                        break;
                    }
                }
            }
            if feasible {
                if n > 0 {
                    out.notes.push(format!(
                        "{indicator} in {area}: the log is impossible if members of open \
                         dimensions add up to the total; {}{}",
                        match mode {
                            Mode::Overlap => "each member taken as at most the total, the total as at most their sum",
                            _ => "each member attacked on its own",
                        },
                        if floor == 0.0 {
                            ", and withheld cells allowed to be zero"
                        } else {
                            ""
                        }
                    ));
                }
                out.findings.extend(findings);
                done = true;
                break;
            }
        }
        if !done {
            out.notes.push(format!(
                "{indicator} in {area}: the released figures contradict each other under every model"
            ));
        }
    }
    // Counts: distinct cells (a cell withheld in two letters counts once).
    let mut given = BTreeSet::new();
    for row in log {
        if row.decision == "given" && row.value.is_some() {
            given.insert((&row.indicator, &row.area, &row.period, &row.breakdown));
        }
    }
    out.given = given.len();
    out.primary = out
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Primary)
        .count();
    out.secondary = out.findings.len() - out.primary;
    out
}

/// Split a group's cells into systems for a mode, with the members of the
/// open dimension when they are modelled as overlapping groups; `None` when
/// the mode does not apply (overlap: people, one open dimension whose
/// members the attacker knows, each asked for by a member's name).
#[allow(clippy::type_complexity)]
fn split(
    catalogue: &Catalogue,
    knowledge: &Knowledge,
    cells: &[Cell],
    mode: Mode,
    people: bool,
) -> Option<(Vec<Vec<Cell>>, Option<Vec<String>>)> {
    let strip = |c: &Cell| -> (Vec<(String, String)>, Cell) {
        let (open, closed): (Vec<_>, Vec<_>) = c
            .breakdown
            .iter()
            .cloned()
            .partition(|(d, _)| catalogue.dimension(d).open);
        (
            open,
            Cell {
                breakdown: closed,
                ..c.clone()
            },
        )
    };
    match mode {
        Mode::Partition => Some((vec![cells.to_vec()], None)),
        Mode::Split => {
            let mut systems: BTreeMap<Vec<(String, String)>, Vec<Cell>> = BTreeMap::new();
            for c in cells {
                let (open, cell) = strip(c);
                systems.entry(open).or_default().push(cell);
            }
            Some((systems.into_values().collect(), None))
        }
        Mode::Overlap => {
            if !people {
                return None;
            }
            let open: BTreeSet<&str> = cells
                .iter()
                .flat_map(|c| c.breakdown.iter())
                .filter(|(d, _)| catalogue.dimension(d).open)
                .map(|(d, _)| d.as_str())
                .collect();
            let [dimension] = open.into_iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            let known = knowledge.members.get(dimension)?;
            let mut members: BTreeSet<String> = known.clone();
            let mut out = Vec::new();
            for c in cells {
                let (open, mut cell) = strip(c);
                if let Some((_, value)) = open.first() {
                    if catalogue.dimension(dimension).leaves_of(value) != [value.clone()] {
                        return None;
                    }
                    members.insert(value.clone());
                    cell.member = Some(value.clone());
                }
                out.push(cell);
            }
            Some((vec![out], Some(members.into_iter().collect())))
        }
    }
}

/// Build one system and attack its suppressed cells; `None` when the
/// system is impossible.
fn solve(
    catalogue: &Catalogue,
    knowledge: &Knowledge,
    log: &[LogRow],
    cells: &[Cell],
    people: bool,
    floor: f64,
    members: Option<&[String]>,
) -> Option<Vec<Finding>> {
    // Dimensions and their blocks of leaves.
    let dims: BTreeSet<&str> = cells
        .iter()
        .flat_map(|c| c.breakdown.iter().map(|(d, _)| d.as_str()))
        .collect();
    let dims: Vec<&str> = dims.into_iter().collect();
    // For each dimension: value → set of block indexes, and the block count.
    // A dimension under several of whose values one person may count
    // (settings, interventions, funders of people) is one yes/no digit per
    // block instead: its "block" is the set of blocks a person has, and a
    // value covers every set meeting one of its blocks. `masks` holds, for
    // those, each value's blocks as bits.
    let mut blocks_of: Vec<BTreeMap<String, BTreeSet<usize>>> = Vec::new();
    let mut block_counts = Vec::new();
    let mut masks: Vec<Option<BTreeMap<String, usize>>> = Vec::new();
    for d in &dims {
        let dimension = catalogue.dimension(d);
        let several = people && SEVERAL.contains(d);
        let used: BTreeSet<&str> = cells
            .iter()
            .flat_map(|c| c.breakdown.iter())
            .filter(|(dd, _)| dd == d)
            .map(|(_, v)| v.as_str())
            .collect();
        let mut universe: BTreeSet<String> = dimension.catalogue_leaves().into_iter().collect();
        if dimension.open {
            universe = used.iter().flat_map(|v| dimension.leaves_of(v)).collect();
            if let Some(members) = knowledge.members.get(*d) {
                universe.extend(members.iter().cloned());
            }
        }
        let used: Vec<(&str, BTreeSet<String>)> = used
            .into_iter()
            .map(|v| (v, dimension.leaves_of(v).into_iter().collect()))
            .collect();
        let mut signatures: BTreeMap<Vec<bool>, usize> = BTreeMap::new();
        let mut map: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for leaf in &universe {
            let sig: Vec<bool> = used.iter().map(|(_, ls)| ls.contains(leaf)).collect();
            // Values nobody asked about split nobody among several.
            if several && !sig.contains(&true) {
                continue;
            }
            let next = signatures.len();
            let block = *signatures.entry(sig.clone()).or_insert(next);
            for ((v, _), inside) in used.iter().zip(sig) {
                if inside {
                    map.entry((*v).to_string()).or_default().insert(block);
                }
            }
        }
        if several {
            let bits: BTreeMap<String, usize> = map
                .iter()
                .map(|(v, blocks)| (v.clone(), blocks.iter().fold(0, |m, b| m | (1 << b))))
                .collect();
            let sets = 1usize << signatures.len();
            let covered = bits
                .iter()
                .map(|(v, &m)| (v.clone(), (0..sets).filter(|s| s & m != 0).collect()))
                .collect();
            blocks_of.push(covered);
            block_counts.push(sets);
            masks.push(Some(bits));
        } else {
            blocks_of.push(map);
            block_counts.push(signatures.len());
            masks.push(None);
        }
    }
    let combos: usize = block_counts.iter().product();

    // Periods: atoms between every boundary; for people also each period
    // asked for as a set of its own.
    let mut bounds: BTreeSet<Date> = BTreeSet::new();
    for c in cells {
        bounds.insert(c.span.0);
        bounds.insert(c.span.1);
    }
    let bounds: Vec<Date> = bounds.into_iter().collect();
    // A piece: an interval between boundaries and, when members of an open
    // dimension overlap, one member (`None`: every member).
    type Piece = (Date, Date, Option<String>);
    let intervals: Vec<(Date, Date)> = bounds
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|a| cells.iter().any(|c| c.span.0 <= a.0 && a.1 <= c.span.1))
        .collect();
    let atoms: Vec<Piece> = match members {
        None => intervals.iter().map(|&(a, b)| (a, b, None)).collect(),
        Some(members) => intervals
            .iter()
            .flat_map(|&(a, b)| members.iter().map(move |m| (a, b, Some(m.clone()))))
            .collect(),
    };
    let set_of = |c: &Cell| -> Piece { (c.span.0, c.span.1, c.member.clone()) };
    let mut sets: Vec<Piece> = atoms.clone();
    if people {
        for c in cells {
            if !sets.contains(&set_of(c)) {
                sets.push(set_of(c));
            }
        }
    }
    let within = |inner: &Piece, outer: &Piece| {
        outer.0 <= inner.0 && inner.1 <= outer.1 && (outer.2.is_none() || outer.2 == inner.2)
    };

    let mut system = System::default();
    let vars: Vec<Vec<usize>> = sets
        .iter()
        .map(|_| (0..combos).map(|_| system.variable()).collect())
        .collect();

    // Which combinations a breakdown covers.
    let matching = |breakdown: &[(String, String)]| -> Vec<usize> {
        let allowed: Vec<Option<&BTreeSet<usize>>> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| {
                breakdown
                    .iter()
                    .find(|(dd, _)| dd == d)
                    .map(|(_, v)| &blocks_of[i][v])
            })
            .collect();
        (0..combos)
            .filter(|&combo| {
                let mut rest = combo;
                allowed.iter().zip(&block_counts).all(|(a, &n)| {
                    let block = rest % n;
                    rest /= n;
                    a.is_none_or(|set| set.contains(&block))
                })
            })
            .collect()
    };
    let terms_of = |c: &Cell| -> Vec<(usize, f64)> {
        let combos = matching(&c.breakdown);
        let pieces: Vec<usize> = if people {
            vec![sets.iter().position(|s| *s == set_of(c)).expect("a set")]
        } else {
            (0..atoms.len())
                .filter(|&a| within(&atoms[a], &set_of(c)))
                .collect()
        };
        pieces
            .iter()
            .flat_map(|&s| combos.iter().map(move |&k| (s, k)))
            .map(|(s, k)| (vars[s][k], 1.0))
            .collect()
    };

    let mut row_terms = Vec::new();
    for c in cells {
        let terms = terms_of(c);
        match c.fact {
            Fact::Exact(v) => system.add_fact(c.row, terms.clone(), Op::Eq, v),
            Fact::Small(high) => {
                system.add_fact(c.row, terms.clone(), Op::Ge, 1.0);
                system.add_fact(c.row, terms.clone(), Op::Le, high);
            }
            Fact::NotZero => system.add_fact(c.row, terms.clone(), Op::Ge, floor),
        }
        row_terms.push(terms);
    }
    // Cells some answer gave outright: withholding them elsewhere protects
    // nothing, and giving them is the defence's choice, not a recovery.
    let given: BTreeSet<(&str, &str)> = cells
        .iter()
        .filter(|c| matches!(c.fact, Fact::Exact(_)))
        .map(|c| (c.period.as_str(), log[c.row].breakdown.as_str()))
        .collect();

    // People over periods: a sub-period's count is at most its span's; a
    // span's at most the sum of the atoms it is made of, and at most the sum
    // of any two sets that cover it. Combination by combination, except
    // across dimensions of several values: someone without a setting in a
    // year may have it in the span, so there the relations hold for the
    // people meeting each set of values asked (and for all of them).
    let groups: Vec<Vec<usize>> = if masks.iter().all(Option::is_none) {
        (0..combos).map(|k| vec![k]).collect()
    } else {
        let digits = |k: usize| -> Vec<usize> {
            let mut rest = k;
            block_counts
                .iter()
                .map(|&n| {
                    let d = rest % n;
                    rest /= n;
                    d
                })
                .collect()
        };
        // Conditions: per dimension of several values, a mask one of whose
        // bits the set must have.
        let mut conditions: BTreeSet<Vec<(usize, usize)>> = BTreeSet::new();
        conditions.insert(Vec::new());
        for (i, m) in masks.iter().enumerate() {
            if m.is_some() {
                for b in 0..block_counts[i].trailing_zeros() as usize {
                    conditions.insert(vec![(i, 1 << b)]);
                }
            }
        }
        for c in cells {
            let condition: Vec<(usize, usize)> = dims
                .iter()
                .enumerate()
                .filter_map(|(i, d)| {
                    let bits = masks[i].as_ref()?;
                    let (_, v) = c.breakdown.iter().find(|(dd, _)| dd == d)?;
                    Some((i, bits[v]))
                })
                .collect();
            conditions.insert(condition);
        }
        // (the other dimensions' blocks, condition) → combinations.
        type Group = (Vec<usize>, Vec<(usize, usize)>);
        let mut grouped: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
        for k in 0..combos {
            let ds = digits(k);
            let base: Vec<usize> = ds
                .iter()
                .enumerate()
                .map(|(i, &d)| if masks[i].is_some() { 0 } else { d })
                .collect();
            for condition in &conditions {
                if condition.iter().all(|&(i, m)| ds[i] & m != 0) {
                    grouped
                        .entry((base.clone(), condition.clone()))
                        .or_default()
                        .push(k);
                }
            }
        }
        grouped.into_values().collect()
    };
    if people && sets.len() > 1 {
        let sum = |set: usize, group: &[usize], sign: f64| -> Vec<(usize, f64)> {
            group.iter().map(|&k| (vars[set][k], sign)).collect()
        };
        for group in &groups {
            for (i, a) in sets.iter().enumerate() {
                for (j, b) in sets.iter().enumerate() {
                    if i != j && within(a, b) {
                        let mut terms = sum(i, group, 1.0);
                        terms.extend(sum(j, group, -1.0));
                        system.add(terms, Op::Le, 0.0);
                    }
                }
                let parts: Vec<usize> = (0..atoms.len())
                    .filter(|&p| within(&atoms[p], a) && atoms[p] != *a)
                    .collect();
                if parts.len() > 1 {
                    let mut terms = sum(i, group, 1.0);
                    for &p in &parts {
                        terms.extend(sum(p, group, -1.0));
                    }
                    system.add(terms, Op::Le, 0.0);
                }
                for (j, b) in sets.iter().enumerate() {
                    for (l, c) in sets.iter().enumerate().skip(j + 1) {
                        let covers = atoms
                            .iter()
                            .filter(|atom| within(atom, a))
                            .all(|atom| within(atom, b) || within(atom, c));
                        if i != j && i != l && !within(a, b) && !within(a, c) && covers {
                            let mut terms = sum(i, group, 1.0);
                            terms.extend(sum(j, group, -1.0));
                            terms.extend(sum(l, group, -1.0));
                            system.add(terms, Op::Le, 0.0);
                        }
                    }
                }
            }
        }
    }

    if !system.feasible() {
        return None;
    }

    // Attack each distinct suppressed cell once.
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, c) in cells.iter().enumerate() {
        let kind = match c.fact {
            Fact::Exact(_) => continue,
            Fact::Small(_) => Kind::Primary,
            Fact::NotZero => Kind::Secondary,
        };
        let key = (c.period.as_str(), log[c.row].breakdown.as_str());
        if given.contains(&key) || !seen.insert(key) {
            continue;
        }
        let target = &row_terms[n];
        let interval = system.interval(target)?;
        let mut range = whole(interval);
        // Two whole values left: integer programming decides (cheap here).
        if let (lo, Some(hi)) = range
            && hi == lo + 1
        {
            let possible = system.whole_values(target, &[lo, hi]);
            if let [only] = possible[..] {
                range = (only, Some(only));
            }
        }
        let recovered = range.1 == Some(range.0);
        let used = if recovered {
            system
                .facts_needed(target)
                .into_iter()
                .map(|row| log[row].to_string())
                .collect()
        } else {
            Vec::new()
        };
        findings.push(Finding {
            row: log[c.row].clone(),
            period: c.period.clone(),
            kind,
            interval: range,
            recovered,
            used,
            held: None,
        });
    }
    Some(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(question: &str, breakdown: &str, released: &str) -> LogRow {
        let value = released.parse::<i64>().ok().map(serde_json::Value::from);
        LogRow {
            reference: "FOI-T".into(),
            question: question.into(),
            indicator: "people_in_treatment".into(),
            area: "E06000016".into(),
            period: "2019/20".into(),
            breakdown: breakdown.into(),
            decision: if value.is_some() {
                "given"
            } else {
                "suppressed"
            }
            .into(),
            basis: None,
            value,
            released: released.into(),
        }
    }

    fn providers(names: &[&str]) -> Knowledge {
        let mut k = Knowledge::default();
        k.members.insert(
            "provider".into(),
            names.iter().map(|n| n.to_string()).collect(),
        );
        k
    }

    #[test]
    fn a_small_provider_is_recovered_when_the_providers_add_up_to_the_total() {
        let log = vec![
            row("1", "", "100"),
            row("2", "provider=A", "97"),
            row("2", "provider=B", "fewer than 5"),
        ];
        let got = attack(&Catalogue::shipped(), &providers(&["A", "B"]), &log);
        assert_eq!(got.recovered().len(), 1, "{}", got.explain());
        assert_eq!(got.recovered()[0].interval, (3, Some(3)));
        // Not knowing the members, a third provider could hold the rest.
        let got = attack(&Catalogue::shipped(), &providers(&["A", "B", "C"]), &log);
        assert!(got.recovered().is_empty(), "{}", got.explain());
    }

    /// People seen by two providers: the providers' men add up to more than
    /// all men, so the members cannot be a partition; as overlapping groups
    /// the women are at most the providers' women together, which pins C
    /// (all women but 40 − 20 − 16 = 4 of them) at 4.
    #[test]
    fn overlapping_providers_of_people_still_bound_the_total() {
        let log = vec![
            row("1", "sex=male", "50"),
            row("1", "sex=female", "40"),
            row("1", "sex=other", "0"),
            row("2", "provider=A", "60"),
            row("2", "provider=B", "36"),
            row("2", "provider=C", "fewer than 5"),
            row("3", "provider=A;sex=male", "40"),
            row("3", "provider=B;sex=male", "20"),
        ];
        let got = attack(&Catalogue::shipped(), &providers(&["A", "B", "C"]), &log);
        assert_eq!(got.recovered().len(), 1, "{}", got.explain());
        assert_eq!(got.recovered()[0].interval, (4, Some(4)));
        assert!(
            got.notes.iter().any(|n| n.contains("at most their sum")),
            "{:?}",
            got.notes
        );
    }

    /// Everyone in two settings: the settings add up to twice the total,
    /// which is no contradiction, and a small setting stays unknown.
    #[test]
    fn settings_need_not_add_up_and_a_small_one_stays_unknown() {
        let log = vec![
            row("1", "", "15"),
            row("2", "setting=community", "15"),
            row("2", "setting=residential", "15"),
            row("2", "setting=inpatient", "fewer than 5"),
        ];
        let got = attack(&Catalogue::shipped(), &Knowledge::default(), &log);
        assert!(got.notes.is_empty(), "{:?}", got.notes);
        assert!(got.recovered().is_empty(), "{}", got.explain());
        assert_eq!(got.findings[0].interval, (1, Some(4)));
    }

    /// Everyone has a community setting (10 of 10), so the 3 aged 18 to 29
    /// all have one: the people with and without a setting add up within
    /// each band.
    #[test]
    fn people_with_and_without_a_setting_add_up_within_a_band() {
        let log = vec![
            row("1", "", "10"),
            row("1", "setting=community", "10"),
            row("2", "age_band=18-29", "3"),
            row(
                "2",
                "age_band=18-29;setting=community",
                "withheld so that small numbers cannot be worked out",
            ),
        ];
        let got = attack(&Catalogue::shipped(), &Knowledge::default(), &log);
        assert_eq!(got.recovered().len(), 1, "{}", got.explain());
        assert_eq!(got.recovered()[0].interval, (3, Some(3)));
    }

    #[test]
    fn a_cell_withheld_once_and_given_later_is_not_a_recovery() {
        let log = vec![
            row("1", "", "20"),
            row("2", "sex=male", "10"),
            row(
                "2",
                "sex=female",
                "withheld so that small numbers cannot be worked out",
            ),
            row("2", "sex=other", "fewer than 5"),
            row("3", "sex=female", "7"),
        ];
        let got = attack(&Catalogue::shipped(), &Knowledge::default(), &log);
        // female was given in the end; other = 20 − 10 − 7 = 3 is recovered.
        assert_eq!(got.secondary, 0);
        assert_eq!(got.recovered().len(), 1, "{}", got.explain());
        assert_eq!(got.recovered()[0].row.breakdown, "sex=other");
    }
}
