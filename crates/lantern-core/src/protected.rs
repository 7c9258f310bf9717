//! One protected table across every release: the counts of people a new
//! answer would give, and every count already out — released *or* withheld —
//! in sent answers (the disclosure log) or any other release fed in the same
//! way (the totals of imported publications, see [`published`]), written as
//! disclosure-control tables ([`crate::disclosure`]) so that nothing can be
//! differenced.
//!
//! This module owns how cells relate:
//! - **Breakdowns.** Each cell is a sum over *leaves*: the cross product of
//!   the leaves of every dimension any cell of the table uses (so crack and
//!   no crack within an age band add up to the band).
//! - **Open dimensions** (providers, services) have the values seen plus one
//!   "everything else" leaf. The attacker is assumed to know the members,
//!   so the complement of the named values in each period and context is a
//!   cell too ([`Prior::Unasked`]): zero is taken as known, a small count
//!   must not become derivable.
//! - **Periods.** All periods of one indicator and area that overlap are one
//!   table. How they relate depends on what is counted ([`Unit`]), and the
//!   attacker is assumed to use the same rule: *events* (placements, kits,
//!   deaths, attendances, offences: any unit but people) add up over the
//!   parts of a span, so periods are unions of elementary intervals; counts
//!   of *distinct people* do not: a span counts at least as many people as
//!   any period inside it and at most the sum of periods covering it, leaf
//!   by leaf ([`Relation`]s).
//! - **Earlier releases.** A cell released exactly stays released; one shown
//!   as "fewer than t" is known to lie in `1..=t-1` (t the threshold then);
//!   one withheld as a secondary is known to be at least 1. Withheld cells
//!   stay withheld unless asked again and releasing them reveals nothing.
//!   The log is read whole: councils of one deployment answering about the
//!   same area share one protected table.
//!
//! Only cells of the same indicator and area, in periods that overlap one of
//! the new cells' periods (through a chain of overlaps), join a table.

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use crate::catalogue::{Catalogue, Unit};
use crate::disclosure::{self, Cell, Finding, Policy, Prior, Protection, Relation};
use crate::figure::{Breakdown, Figure, Source, Value};
use crate::period::Period;
use crate::release::Release;

/// A period as the days it spans: two periods spanning the same days are
/// the same cell whatever they are called.
type Span = (Date, Date);

fn span(p: Period) -> Span {
    (p.first_day(), p.last_day())
}

/// The leaf standing for every value of an open dimension not named in the
/// table.
const EVERYTHING_ELSE: &str = "\u{0}other";

/// What an earlier release showed of a count of people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The exact value.
    Exact(u64),
    /// "fewer than t", with the threshold then.
    FewerThan(u64),
    /// Withheld so that small numbers cannot be worked out.
    Withheld,
}

impl Shown {
    /// Reads a disclosure-log line: `given` with a value is exact;
    /// `suppressed` is "fewer than N" when the letter said so (the
    /// threshold then), otherwise a secondary withholding. Anything else
    /// (not held, s22, statements) is not a count and gives `None`.
    pub fn from_log(decision: &str, value: Option<i64>, released: &str) -> Option<Shown> {
        match decision {
            "given" => value.and_then(|v| u64::try_from(v).ok()).map(Shown::Exact),
            "suppressed" => Some(
                released
                    .trim()
                    .strip_prefix("fewer than ")
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .filter(|&t| t >= 2)
                    .map_or(Shown::Withheld, Shown::FewerThan),
            ),
            _ => None,
        }
    }
}

/// A count of people already out: released or withheld by a sent answer,
/// or a total a release published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownCell {
    /// Where it was released (an answer's reference, or `release:<code>`).
    pub source: String,
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// The period.
    pub period: Period,
    /// The breakdown.
    pub breakdown: Breakdown,
    /// What was shown.
    pub shown: Shown,
}

/// A count of people the answer being decided would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCell {
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// The period.
    pub period: Period,
    /// The breakdown.
    pub breakdown: Breakdown,
    /// The count.
    pub value: u64,
}

/// What [`protect`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// One protection per new cell, same order.
    pub protection: Vec<Protection>,
    /// Whether a search budget ran out somewhere (so more was withheld).
    pub budget_exhausted: bool,
}

/// What [`audit`] found over a set of releases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audit {
    /// Tables (indicator, area, overlapping periods) examined.
    pub tables: usize,
    /// Withheld cells checked.
    pub withheld: usize,
    /// Withheld cells (indices into the known cells) that can be pinned to
    /// one value, or not shown safe within the budget.
    pub findings: Vec<(usize, Finding)>,
}

/// Decides every new cell's protection against the new cells and every
/// known cell together (see the module notes).
pub fn protect(
    catalogue: &Catalogue,
    figures: &[Figure],
    new: &[NewCell],
    known: &[KnownCell],
    policy: &Policy,
) -> Decided {
    protect_on(catalogue, figures, new, known, policy, threads)
}

/// [`protect`], its tables decided on `threads(tables)` threads.
fn protect_on(
    catalogue: &Catalogue,
    figures: &[Figure],
    new: &[NewCell],
    known: &[KnownCell],
    policy: &Policy,
    threads: impl Fn(usize) -> usize,
) -> Decided {
    let mut protection = vec![Protection::Released; new.len()];
    let mut budget_exhausted = false;
    let tables: Vec<TableCells> = tables(catalogue, new, known)
        .into_iter()
        .filter(|t| !t.new.is_empty())
        .collect();
    let index = FigureIndex::new(
        figures,
        tables.iter().flat_map(|t| t.spans(new, known)).collect(),
    );
    // Tables share no cell, so each is decided on its own, the larger
    // requests' several tables side by side (see [`decide_tables`]).
    let workers = threads(tables.len());
    for (table, (decided, exhausted)) in tables.iter().zip(decide_tables(
        &tables, catalogue, &index, new, known, policy, workers,
    )) {
        budget_exhausted |= exhausted;
        for (pos, &i) in table.new.iter().enumerate() {
            protection[i] = decided[pos];
        }
    }
    Decided {
        protection,
        budget_exhausted,
    }
}

/// The most threads [`threads`] gives per processor.
const THREADS_PER_PROCESSOR: usize = 4;

/// How many threads decide `tables` tables: one when there is one
/// processor, else a thread per table, up to [`THREADS_PER_PROCESSOR`] per
/// processor. Tables of about the same size (one per year of a five-year
/// question) then finish together, where one thread per processor would
/// leave one processor a table to do alone.
fn threads(tables: usize) -> usize {
    let processors = std::thread::available_parallelism().map_or(1, usize::from);
    if processors > 1 {
        tables.min(THREADS_PER_PROCESSOR * processors)
    } else {
        1
    }
}

/// Decides each table's new cells: their protection in `TableCells::new`
/// order, and whether a search ran out of budget. A table's decision
/// depends on its own cells alone (its search budget is its own), so the
/// tables are decided side by side on `workers` threads, each taking the
/// next table not yet taken, and the outcome is the same as one after
/// another.
fn decide_tables(
    tables: &[TableCells],
    catalogue: &Catalogue,
    index: &FigureIndex,
    new: &[NewCell],
    known: &[KnownCell],
    policy: &Policy,
    workers: usize,
) -> Vec<(Vec<Protection>, bool)> {
    let decide = |table: &TableCells| -> (Vec<Protection>, bool) {
        let built = table.build(catalogue, index, new, known, policy);
        if built.too_wide {
            let protection = table
                .new
                .iter()
                .map(|&i| {
                    if new[i].value > 0 {
                        Protection::Secondary
                    } else {
                        Protection::Released
                    }
                })
                .collect();
            return (protection, true);
        }
        let decided =
            disclosure::protect_with(&built.cells, &built.priors, &built.relations, policy);
        (decided.protection, decided.budget_exhausted)
    };
    if workers <= 1 {
        return tables.iter().map(decide).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut finished = std::thread::scope(|scope| {
        let take = || {
            let mut done = Vec::new();
            loop {
                let t = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(table) = tables.get(t) else {
                    return done;
                };
                done.push((t, decide(table)));
            }
        };
        let others: Vec<_> = (1..workers).map(|_| scope.spawn(take)).collect();
        let mut finished = take();
        for worker in others {
            // A worker that panicked had a bug, not bad input: pass it on.
            finished.extend(
                worker
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        finished
    });
    // Each table was taken exactly once: back in the tables' order.
    finished.sort_unstable_by_key(|&(t, _)| t);
    finished.into_iter().map(|(_, decided)| decided).collect()
}

/// Which of `known` join a table with one of `new` (the same indicator and
/// area, in a period linked to a new cell's by a chain of overlaps): the
/// only known cells [`protect`] looks at, so the only ones whose true values
/// it may need. One flag per known cell.
pub fn in_play(catalogue: &Catalogue, new: &[NewCell], known: &[KnownCell]) -> Vec<bool> {
    let mut out = vec![false; known.len()];
    for table in tables(catalogue, new, known) {
        if table.new.is_empty() {
            continue;
        }
        for &k in &table.known {
            out[k] = true;
            for &r in table.repeats.get(&k).into_iter().flatten() {
                out[r] = true;
            }
        }
    }
    out
}

/// Checks that no withheld cell among `known` can be pinned to one value
/// from everything `known` released, table by table.
pub fn audit(
    catalogue: &Catalogue,
    figures: &[Figure],
    known: &[KnownCell],
    policy: &Policy,
) -> Audit {
    let mut out = Audit::default();
    let index = FigureIndex::new(
        figures,
        known
            .iter()
            .map(|c| (c.indicator.clone(), c.area.clone(), span(c.period)))
            .collect(),
    );
    // A cell withheld once and released exactly later was given on purpose
    // (releasing it revealed nothing then): it is not a finding.
    let given: BTreeSet<(&str, &str, Span, String)> = known
        .iter()
        .filter(|c| matches!(c.shown, Shown::Exact(_)))
        .map(|c| {
            (
                c.indicator.as_str(),
                c.area.as_str(),
                span(c.period),
                c.breakdown.key(),
            )
        })
        .collect();
    for table in tables(catalogue, &[], known) {
        let withheld: Vec<usize> = table
            .known
            .iter()
            .copied()
            .filter(|&k| !matches!(known[k].shown, Shown::Exact(_)))
            .filter(|&k| {
                let c = &known[k];
                !given.contains(&(
                    c.indicator.as_str(),
                    c.area.as_str(),
                    span(c.period),
                    c.breakdown.key(),
                ))
            })
            .collect();
        if withheld.is_empty() {
            continue;
        }
        out.tables += 1;
        out.withheld += withheld
            .iter()
            .map(|k| 1 + table.repeats.get(k).map_or(0, Vec::len))
            .sum::<usize>();
        let built = table.build(catalogue, &index, &[], known, policy);
        if built.too_wide {
            // Too wide to examine: not shown safe.
            for &k in &withheld {
                out.findings.push((k, Finding::Unproven));
                for &r in table.repeats.get(&k).into_iter().flatten() {
                    out.findings.push((r, Finding::Unproven));
                }
            }
            continue;
        }
        for (pos, finding) in
            disclosure::audit_with(&built.cells, &built.priors, &built.relations, policy)
        {
            if let Some(&k) = table.known.get(pos).filter(|k| withheld.contains(k)) {
                out.findings.push((k, finding));
                for &r in table.repeats.get(&k).into_iter().flatten() {
                    out.findings.push((r, finding));
                }
            }
        }
    }
    out.findings.sort();
    out.findings.dedup();
    out
}

/// The totals of counts of people that a release had published by `on`:
/// each joins the protected table as a [`KnownCell`] sourced
/// `release:<code>`, for the indicators and areas in `touched` only (an
/// answer's own, or the log's for an audit).
///
/// What counts as published (see `docs/disclosure-control.md`):
/// - a release dated on or before `on` lists the indicator and a period
///   spanning exactly the figure's days (a release of a year does not
///   publish its months);
/// - the figure is a total: releases do not say which breakdowns they
///   publish, and a breakdown wrongly taken as public would be given where
///   it should be withheld, so only totals are taken as out;
/// - the value held is exact (or zero), from the most preferred source
///   holding one. A total of 1 to `threshold - 1` is taken as "fewer than
///   `threshold`" (a publisher shows no small count either); approximate
///   values and ranges are left out (the table has no interval cells).
pub fn published(
    catalogue: &Catalogue,
    figures: &[Figure],
    releases: &[Release],
    on: Date,
    threshold: u64,
    touched: &BTreeSet<(String, String)>,
) -> Vec<KnownCell> {
    let counts_people = |code: &str| {
        catalogue
            .indicator(code)
            .map(|i| i.counts_people)
            .unwrap_or(false)
    };
    // Per indicator, area and period: the preferred source's value.
    let mut held: BTreeMap<(&str, &str, Span), (Source, Period, u64)> = BTreeMap::new();
    for f in figures {
        if !f.breakdown.0.is_empty()
            || !counts_people(&f.indicator)
            || !touched.contains(&(f.indicator.clone(), f.area.clone()))
        {
            continue;
        }
        let v = match f.value {
            Value::Exact(v) => match u64::try_from(v) {
                Ok(v) => v,
                Err(_) => continue,
            },
            Value::Zero { .. } => 0,
            _ => continue,
        };
        let e = held
            .entry((&f.indicator, &f.area, span(f.period)))
            .or_insert((f.source, f.period, v));
        if f.source < e.0 {
            *e = (f.source, f.period, v);
        }
    }
    let mut out = Vec::new();
    for ((indicator, area, days), (_, period, v)) in held {
        let Some(r) = releases
            .iter()
            .filter(|r| {
                r.date <= on
                    && r.indicators.iter().any(|i| i == indicator)
                    && r.periods.iter().any(|&p| span(p) == days)
            })
            .min_by_key(|r| (r.date, r.code.clone()))
        else {
            continue;
        };
        out.push(KnownCell {
            source: format!("release:{}", r.code),
            indicator: indicator.to_string(),
            area: area.to_string(),
            period,
            breakdown: Breakdown::total(),
            shown: if v == 0 || v >= threshold {
                Shown::Exact(v)
            } else {
                Shown::FewerThan(threshold)
            },
        });
    }
    out
}

/// The cells of one table: indices of new and known cells.
struct TableCells {
    indicator: String,
    area: String,
    new: Vec<usize>,
    /// Known cells, one per period, breakdown and what was shown (the same
    /// figure logged by many answers is one cell).
    known: Vec<usize>,
    /// The other known cells each of those stands for.
    repeats: BTreeMap<usize, Vec<usize>>,
}

/// Groups counts of people by indicator and area, then by chains of
/// overlapping periods. Known cells of indicators that do not count people,
/// or with a "*" (not held) breakdown, are left out.
fn tables(catalogue: &Catalogue, new: &[NewCell], known: &[KnownCell]) -> Vec<TableCells> {
    let counts_people = |code: &str| {
        catalogue
            .indicator(code)
            .map(|i| i.counts_people)
            .unwrap_or(false)
    };
    // Per indicator and area: the new cells, then the known cells.
    type Members = (Vec<usize>, Vec<usize>);
    let mut by_key: BTreeMap<(&str, &str), Members> = BTreeMap::new();
    for (i, c) in new.iter().enumerate() {
        by_key.entry((&c.indicator, &c.area)).or_default().0.push(i);
    }
    for (k, c) in known.iter().enumerate() {
        if !counts_people(&c.indicator) || c.breakdown.0.values().any(|v| v == "*") {
            continue;
        }
        by_key.entry((&c.indicator, &c.area)).or_default().1.push(k);
    }
    let mut out = Vec::new();
    for ((indicator, area), (news, knowns)) in by_key {
        // Chains of overlapping periods: sort by first day and sweep.
        let periods: BTreeSet<Span> = news
            .iter()
            .map(|&i| span(new[i].period))
            .chain(knowns.iter().map(|&k| span(known[k].period)))
            .collect();
        let mut component: BTreeMap<Span, usize> = BTreeMap::new();
        let mut reach: Option<Date> = None;
        let mut current = 0usize;
        for (n, &(first, last)) in periods.iter().enumerate() {
            match reach {
                Some(r) if first <= r => reach = Some(r.max(last)),
                _ => {
                    if n > 0 {
                        current += 1;
                    }
                    reach = Some(last);
                }
            }
            component.insert((first, last), current);
        }
        let mut parts: Vec<TableCells> = (0..=current)
            .map(|_| TableCells {
                indicator: indicator.to_string(),
                area: area.to_string(),
                new: Vec::new(),
                known: Vec::new(),
                repeats: BTreeMap::new(),
            })
            .collect();
        for &i in &news {
            parts[component[&span(new[i].period)]].new.push(i);
        }
        let mut first: FxHashMap<(Span, String, (u8, u64)), usize> = FxHashMap::default();
        for &k in &knowns {
            let c = &known[k];
            // What was shown, as a plain key (equal exactly when it is).
            let shown = match c.shown {
                Shown::Exact(v) => (0, v),
                Shown::FewerThan(t) => (1, t),
                Shown::Withheld => (2, 0),
            };
            let key = (span(c.period), c.breakdown.key(), shown);
            let part = &mut parts[component[&span(c.period)]];
            match first.get(&key) {
                Some(&f) => part.repeats.entry(f).or_default().push(k),
                None => {
                    first.insert(key, k);
                    part.known.push(k);
                }
            }
        }
        out.extend(
            parts
                .into_iter()
                .filter(|t| !t.new.is_empty() || !t.known.is_empty()),
        );
    }
    out
}

/// A table written for [`disclosure`]: new cells first (in `TableCells::new`
/// order), then known cells, then the open dimensions' complements.
struct Built {
    /// Overlapping values make the table too wide to examine
    /// ([`MAX_OVERLAP_WIDTH`]): nothing else is built.
    too_wide: bool,
    cells: Vec<Cell>,
    priors: Vec<Prior>,
    relations: Vec<Relation>,
}

impl TableCells {
    /// The margins of the table's cells that are not cells of the table
    /// themselves and hold a small count (1 to threshold − 1): each cell
    /// with two or more dimensions, summed over one or more of them
    /// ("other sex" summed over substance groups). Without them a table that
    /// gives every other row of a known total would pin the sum of two small
    /// cells, a small count of its own.
    fn small_margins(
        &self,
        index: &FigureIndex,
        keys: &[(Period, &Breakdown)],
        policy: &Policy,
    ) -> Vec<(Period, Breakdown, u64)> {
        let present: BTreeSet<(Span, String)> =
            keys.iter().map(|(p, b)| (span(*p), b.key())).collect();
        let mut seen: BTreeSet<(Span, String)> = BTreeSet::new();
        let mut work: Vec<(Period, Breakdown)> = keys
            .iter()
            .filter(|(_, b)| b.0.len() >= 2)
            .map(|(p, b)| (*p, (*b).clone()))
            .collect();
        let mut out = Vec::new();
        while let Some((period, b)) = work.pop() {
            if b.0.len() < 2 {
                continue;
            }
            for d in b.0.keys() {
                let mut m = b.clone();
                m.0.remove(d);
                let id = (span(period), m.key());
                if present.contains(&id) || !seen.insert(id) {
                    continue;
                }
                if let Some(v) = index.value(&self.indicator, &self.area, period, &m)
                    && v >= 1
                    && v < policy.threshold
                {
                    out.push((period, m.clone(), v));
                }
                work.push((period, m));
            }
        }
        out
    }

    /// The indicator, area and span of every period in the table.
    fn spans(&self, new: &[NewCell], known: &[KnownCell]) -> Vec<(String, String, Span)> {
        self.new
            .iter()
            .map(|&i| new[i].period)
            .chain(self.known.iter().map(|&k| known[k].period))
            .map(|p| (self.indicator.clone(), self.area.clone(), span(p)))
            .collect()
    }

    fn build(
        &self,
        catalogue: &Catalogue,
        index: &FigureIndex,
        new: &[NewCell],
        known: &[KnownCell],
        policy: &Policy,
    ) -> Built {
        let people = catalogue
            .indicator(&self.indicator)
            .map(|i| i.unit == Unit::People)
            .unwrap_or(true);
        let keys: Vec<(Period, &Breakdown)> = self
            .new
            .iter()
            .map(|&i| (new[i].period, &new[i].breakdown))
            .chain(
                self.known
                    .iter()
                    .map(|&k| (known[k].period, &known[k].breakdown)),
            )
            .collect();
        let margins = self.small_margins(index, &keys, policy);
        let all_keys: Vec<(Period, &Breakdown)> = keys
            .iter()
            .copied()
            .chain(margins.iter().map(|(p, b, _)| (*p, b)))
            .collect();
        let layout = Layout::new(catalogue, &all_keys, people);
        if !layout.overlap.is_empty() && layout.width > MAX_OVERLAP_WIDTH {
            return Built {
                too_wide: true,
                cells: Vec::new(),
                priors: Vec::new(),
                relations: Vec::new(),
            };
        }
        let mut cells: Vec<Cell> = Vec::new();
        let mut priors: Vec<Prior> = Vec::new();
        for &i in &self.new {
            cells.push(Cell {
                inner: layout.inner(catalogue, new[i].period, &new[i].breakdown),
                value: new[i].value,
            });
            priors.push(Prior::New);
        }
        for &k in &self.known {
            let c = &known[k];
            let hint = index.value(&c.indicator, &c.area, c.period, &c.breakdown);
            let (value, prior) = match c.shown {
                Shown::Exact(v) => (v, Prior::Released),
                Shown::FewerThan(threshold) => (
                    hint.unwrap_or(1),
                    Prior::FewerThan {
                        threshold,
                        known: hint.is_some_and(|v| v >= 1 && v < threshold),
                    },
                ),
                Shown::Withheld => (
                    hint.unwrap_or(1),
                    Prior::Withheld {
                        known: hint.is_some_and(|v| v >= 1),
                    },
                ),
            };
            cells.push(Cell {
                inner: layout.inner(catalogue, c.period, &c.breakdown),
                value,
            });
            priors.push(prior);
        }
        // Small margins of the cells in play: never asked as such, but a
        // table that gives the rest of a total would reveal them.
        for (period, breakdown, value) in &margins {
            cells.push(Cell {
                inner: layout.inner(catalogue, *period, breakdown),
                value: *value,
            });
            priors.push(Prior::Unasked);
        }
        // The "everything else" of each open dimension, per period and
        // context, as far as the figures held say.
        for (d, named) in &layout.open {
            let contexts: BTreeSet<(Span, Breakdown)> = keys
                .iter()
                .filter(|(_, b)| b.get(d).is_some())
                .map(|(p, b)| {
                    let mut context = (*b).clone();
                    context.0.remove(d);
                    (span(*p), context)
                })
                .collect();
            for (s, context) in contexts {
                let period = layout.period_of[&s];
                let value =
                    index.complement(&self.indicator, &self.area, period, &context, d, named);
                if value >= policy.threshold {
                    continue;
                }
                cells.push(Cell {
                    inner: layout.inner(catalogue, period, &context.with(d, EVERYTHING_ELSE)),
                    value,
                });
                priors.push(Prior::Unasked);
            }
        }
        // Each value of an overlapping dimension splits its context in two:
        // the people without it are the context less the people with it,
        // never asked but known to whoever has both; a small one must not
        // become derivable.
        let asked: FxHashMap<(Span, String), u64> = self
            .new
            .iter()
            .map(|&i| ((span(new[i].period), new[i].breakdown.key()), new[i].value))
            .collect();
        let value_of = |period: Period, b: &Breakdown| {
            asked
                .get(&(span(period), b.key()))
                .copied()
                .or_else(|| index.value(&self.indicator, &self.area, period, b))
        };
        let mut without: BTreeSet<(Span, String, String)> = BTreeSet::new();
        for (period, b) in &keys {
            for (d, _) in &layout.overlap {
                if b.get(d).is_none() || !without.insert((span(*period), b.key(), d.clone())) {
                    continue;
                }
                let mut context = (*b).clone();
                context.0.remove(d);
                let (Some(all), Some(with)) = (value_of(*period, &context), value_of(*period, b))
                else {
                    continue;
                };
                let value = all.saturating_sub(with);
                if value == 0 || value >= policy.threshold {
                    continue;
                }
                let inner_with = layout.inner(catalogue, *period, b);
                cells.push(Cell {
                    inner: layout
                        .inner(catalogue, *period, &context)
                        .difference(&inner_with)
                        .copied()
                        .collect(),
                    value,
                });
                priors.push(Prior::Unasked);
            }
        }
        Built {
            too_wide: false,
            cells,
            priors,
            relations: layout.relations(catalogue, &all_keys),
        }
    }
}

/// How a table's inner cells are numbered: time atoms × leaf combinations.
///
/// A leaf combination is a combination of the leaves of the disjoint
/// dimensions (`dims`) and, for the dimensions under several of whose
/// values one person may count ([`OVERLAPPING`]: settings, interventions,
/// funders), one yes/no bit per value named in the table ("with this value"
/// or not). So a value and its absence add up to the total, and the values
/// of such a dimension do not: a person with two settings is in both.
struct Layout {
    dims: Vec<String>,
    leaves: Vec<Vec<String>>,
    /// Overlapping dimensions and the leaves named in the table, each one
    /// bit of the overlap part of a combination (in this order).
    overlap: Vec<(String, Vec<String>)>,
    /// Open dimensions and the values named in the table.
    open: Vec<(String, BTreeSet<String>)>,
    /// Combinations of the disjoint dimensions' leaves.
    disjoint: usize,
    /// Leaf combinations per atom: `disjoint` × 2^(overlap bits).
    width: usize,
    /// Counts of distinct people (periods are atoms of their own) or events
    /// (periods are unions of elementary intervals).
    people: bool,
    /// The table's distinct periods, each with its atoms.
    periods: BTreeMap<Span, Vec<usize>>,
    /// A period for each span.
    period_of: BTreeMap<Span, Period>,
}

/// The dimensions under several of whose values one person may count.
const OVERLAPPING: [&str; 3] = crate::records::count::OVERLAPPING;

/// The most leaf combinations per atom a table with overlapping values may
/// have: each value named doubles them, so settings and interventions of
/// one year by age band and sex would be tens of thousands, beyond what
/// the disclosure search can examine. Past it, every new non-zero count of
/// the table is withheld and the budget reported as run out (the officer
/// is told to ask fewer breakdowns in one letter).
const MAX_OVERLAP_WIDTH: usize = 1024;

impl Layout {
    fn new(catalogue: &Catalogue, keys: &[(Period, &Breakdown)], people: bool) -> Layout {
        let mut all: Vec<String> = keys.iter().flat_map(|(_, b)| b.0.keys().cloned()).collect();
        all.sort();
        all.dedup();
        let mut overlap: Vec<(String, Vec<String>)> = Vec::new();
        let mut dims: Vec<String> = Vec::new();
        for d in all {
            match catalogue.dimension(&d) {
                // Only people: a placement has one funder, so placements by
                // funder add up.
                Ok(dim) if people && !dim.open && OVERLAPPING.contains(&d.as_str()) => {
                    let named: BTreeSet<String> = keys
                        .iter()
                        .filter_map(|(_, b)| b.get(&d))
                        .flat_map(|v| dim.leaves_of(v))
                        .collect();
                    let mut named: Vec<String> = named.into_iter().collect();
                    named.sort_by_key(|l| dim.position(l));
                    overlap.push((d, named));
                }
                _ => dims.push(d),
            }
        }
        // One bit per value named: only the values a table names split it.
        let bits: usize = overlap.iter().map(|(_, ls)| ls.len()).sum();
        let mut open = Vec::new();
        let leaves: Vec<Vec<String>> = dims
            .iter()
            .map(|d| match catalogue.dimension(d) {
                Ok(dim) if !dim.open => dim.leaves(),
                _ => {
                    let seen: BTreeSet<String> = keys
                        .iter()
                        .filter_map(|(_, b)| b.get(d).map(str::to_string))
                        .filter(|v| v != EVERYTHING_ELSE)
                        .collect();
                    open.push((d.clone(), seen.clone()));
                    let mut all: Vec<String> = seen.into_iter().collect();
                    all.push(EVERYTHING_ELSE.into());
                    all
                }
            })
            .collect();
        let disjoint = leaves.iter().map(Vec::len).product::<usize>().max(1);
        let width = disjoint << bits;
        let period_of: BTreeMap<Span, Period> = keys.iter().map(|(p, _)| (span(*p), *p)).collect();
        let distinct: Vec<Period> = period_of.values().copied().collect();
        let periods = if people {
            distinct
                .iter()
                .enumerate()
                .map(|(n, p)| (span(*p), vec![n]))
                .collect()
        } else {
            // Elementary intervals between every period's first day and the
            // day after its last.
            let mut cuts: BTreeSet<Date> = BTreeSet::new();
            for p in &distinct {
                cuts.insert(p.first_day());
                cuts.insert(p.last_day().tomorrow().unwrap_or(p.last_day()));
            }
            let cuts: Vec<Date> = cuts.into_iter().collect();
            distinct
                .iter()
                .map(|p| {
                    let first = p.first_day();
                    let end = p.last_day().tomorrow().unwrap_or(p.last_day());
                    let atoms = cuts
                        .windows(2)
                        .enumerate()
                        .filter(|(_, w)| w[0] >= first && w[1] <= end)
                        .map(|(n, _)| n)
                        .collect();
                    (span(*p), atoms)
                })
                .collect()
        };
        Layout {
            dims,
            leaves,
            overlap,
            open,
            disjoint,
            width,
            people,
            periods,
            period_of,
        }
    }

    /// The leaf combinations a breakdown covers, as indices below `width`:
    /// a disjoint-dimension combination times the overlap bits that meet
    /// every overlapping value asked (some leaf of it is "with").
    fn combos(&self, catalogue: &Catalogue, b: &Breakdown) -> Vec<usize> {
        let per_dim: Vec<Vec<usize>> = self
            .dims
            .iter()
            .zip(&self.leaves)
            .map(|(d, ls)| match b.get(d) {
                None => (0..ls.len()).collect(),
                Some(v) => {
                    let wanted = match catalogue.dimension(d) {
                        Ok(dim) if !dim.open => dim.leaves_of(v),
                        _ => vec![v.to_string()],
                    };
                    ls.iter()
                        .enumerate()
                        .filter(|(_, l)| wanted.contains(l))
                        .map(|(i, _)| i)
                        .collect()
                }
            })
            .collect();
        let mut disjoint = Vec::new();
        let mut stack = vec![(0usize, 0usize)];
        while let Some((depth, index)) = stack.pop() {
            if depth == per_dim.len() {
                disjoint.push(index);
                continue;
            }
            for &i in &per_dim[depth] {
                stack.push((depth + 1, index * self.leaves[depth].len() + i));
            }
        }
        let masks = self.masks(catalogue, b);
        let span = self.width / self.disjoint;
        let overlap: Vec<usize> = (0..span)
            .filter(|o| masks.iter().all(|m| o & m != 0))
            .collect();
        let mut out: Vec<usize> = disjoint
            .iter()
            .flat_map(|&d| overlap.iter().map(move |&o| d * span + o))
            .collect();
        out.sort_unstable();
        out
    }

    /// One mask per overlapping value `b` asks for: the bits of its leaves
    /// (a combination meets the value when it has one of them).
    fn masks(&self, catalogue: &Catalogue, b: &Breakdown) -> Vec<usize> {
        let mut masks: Vec<usize> = Vec::new();
        let mut bit = 0usize;
        for (d, named) in &self.overlap {
            if let Some(v) = b.get(d) {
                let wanted = catalogue
                    .dimension(d)
                    .map(|dim| dim.leaves_of(v))
                    .unwrap_or_default();
                let mask = named
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| wanted.contains(l))
                    .fold(0usize, |m, (i, _)| m | (1 << (bit + i)));
                masks.push(mask);
            }
            bit += named.len();
        }
        masks
    }

    /// The groups of leaf combinations whose counts of distinct people
    /// grow with the period: every combination alone when no dimension
    /// overlaps; otherwise, per disjoint combination, the combinations
    /// meeting each set of overlapping values the table's cells ask for
    /// (with nothing asked: all of them). A person with a setting in part
    /// of a span has it in the span, but one without it in the part may
    /// have it in the span, so the combinations alone do not grow.
    fn growing(&self, catalogue: &Catalogue, keys: &[(Period, &Breakdown)]) -> Vec<Vec<usize>> {
        if self.overlap.is_empty() {
            return (0..self.width).map(|c| vec![c]).collect();
        }
        let span = self.width / self.disjoint;
        let mut asked: BTreeSet<Vec<usize>> = BTreeSet::new();
        asked.insert(Vec::new());
        for n in 0..span.trailing_zeros() as usize {
            asked.insert(vec![1 << n]);
        }
        for (_, b) in keys {
            asked.insert(self.masks(catalogue, b));
        }
        let mut out = Vec::new();
        for d in 0..self.disjoint {
            for masks in &asked {
                out.push(
                    (0..span)
                        .filter(|o| masks.iter().all(|m| o & m != 0))
                        .map(|o| d * span + o)
                        .collect(),
                );
            }
        }
        out
    }

    /// A cell's inner cells.
    fn inner(&self, catalogue: &Catalogue, period: Period, b: &Breakdown) -> BTreeSet<usize> {
        let combos = self.combos(catalogue, b);
        let atoms = self
            .periods
            .get(&span(period))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        atoms
            .iter()
            .flat_map(|&a| combos.iter().map(move |&c| a * self.width + c))
            .collect()
    }

    /// For counts of distinct people, leaf by leaf: a period counts at least
    /// as many as any period inside it, and at most the sum of periods that
    /// cover it. Events need none: their periods add up by construction.
    fn relations(&self, catalogue: &Catalogue, keys: &[(Period, &Breakdown)]) -> Vec<Relation> {
        if !self.people {
            return Vec::new();
        }
        let groups = self.growing(catalogue, keys);
        let periods: Vec<(Period, usize)> = self
            .periods
            .iter()
            .filter_map(|(s, a)| Some((self.period_of[s], *a.first()?)))
            .collect();
        let mut out = Vec::new();
        for &(outer, a) in &periods {
            let inside: Vec<(Period, usize)> = periods
                .iter()
                .copied()
                .filter(|&(p, _)| span(p) != span(outer) && outer.contains(&p))
                .collect();
            for &(_, b) in &inside {
                for group in &groups {
                    let mut terms: Vec<(usize, i64)> =
                        group.iter().map(|&c| (a * self.width + c, 1)).collect();
                    terms.extend(group.iter().map(|&c| (b * self.width + c, -1)));
                    out.push(Relation {
                        terms,
                        at_least: Some(0),
                        at_most: None,
                    });
                }
            }
            // Covers: the greedy one, and every pair of periods inside that
            // covers it together.
            let mut covers: BTreeSet<Vec<usize>> = cover(outer, &inside).into_iter().collect();
            for (n, &(p, x)) in inside.iter().enumerate() {
                for &(q, y) in &inside[n + 1..] {
                    let (first, second) = if p.first_day() <= q.first_day() {
                        (p, q)
                    } else {
                        (q, p)
                    };
                    let joined = first
                        .last_day()
                        .tomorrow()
                        .is_ok_and(|d| d >= second.first_day());
                    if joined
                        && first.first_day() <= outer.first_day()
                        && first.last_day().max(second.last_day()) >= outer.last_day()
                    {
                        let mut pair = vec![x, y];
                        pair.sort_unstable();
                        covers.insert(pair);
                    }
                }
            }
            for cover in covers {
                for group in &groups {
                    let mut terms: Vec<(usize, i64)> =
                        group.iter().map(|&c| (a * self.width + c, 1)).collect();
                    for &b in &cover {
                        terms.extend(group.iter().map(|&c| (b * self.width + c, -1)));
                    }
                    out.push(Relation {
                        terms,
                        at_least: None,
                        at_most: Some(0),
                    });
                }
            }
        }
        out
    }
}

/// A few periods from `inside` whose union is `outer` (greedy: from the
/// first day, the period reaching furthest), as their atoms; `None` if they
/// do not cover it.
fn cover(outer: Period, inside: &[(Period, usize)]) -> Option<Vec<usize>> {
    let mut next = outer.first_day();
    let mut out = Vec::new();
    loop {
        let best = inside
            .iter()
            .filter(|(p, _)| p.first_day() <= next && p.last_day() >= next)
            .max_by_key(|(p, _)| p.last_day())?;
        out.push(best.1);
        if best.0.last_day() >= outer.last_day() {
            return Some(out);
        }
        next = best.0.last_day().tomorrow().ok()?;
    }
}

/// The figures held, for the indicators and areas in play, keyed for
/// look-up: the best source's exact count per period and breakdown.
struct FigureIndex {
    values: FxHashMap<(String, String, Span, String), (crate::figure::Source, u64)>,
    /// Per indicator, area and period: breakdowns held with their values.
    by_period: FxHashMap<(String, String, Span), Vec<(Breakdown, u64)>>,
}

impl FigureIndex {
    /// The figures of the indicators, areas and periods `wanted`.
    fn new(figures: &[Figure], wanted: BTreeSet<(String, String, Span)>) -> FigureIndex {
        let periods: BTreeSet<Span> = wanted.iter().map(|(_, _, s)| *s).collect();
        let mut values: FxHashMap<(String, String, Span, String), (crate::figure::Source, u64)> =
            FxHashMap::default();
        for f in figures {
            if !periods.contains(&span(f.period))
                || !wanted.contains(&(f.indicator.clone(), f.area.clone(), span(f.period)))
            {
                continue;
            }
            let v = match f.value {
                Value::Exact(v) => u64::try_from(v.max(0)).unwrap_or(0),
                Value::Zero { .. } => 0,
                _ => continue,
            };
            let key = (
                f.indicator.clone(),
                f.area.clone(),
                span(f.period),
                f.breakdown.key(),
            );
            let e = values.entry(key).or_insert((f.source, v));
            if f.source < e.0 {
                *e = (f.source, v);
            }
        }
        let mut by_period: FxHashMap<(String, String, Span), Vec<(Breakdown, u64)>> =
            FxHashMap::default();
        for ((i, a, p, b), (_, v)) in &values {
            by_period
                .entry((i.clone(), a.clone(), *p))
                .or_default()
                .push((Breakdown::from_key(b), *v));
        }
        FigureIndex { values, by_period }
    }

    fn value(&self, indicator: &str, area: &str, period: Period, b: &Breakdown) -> Option<u64> {
        self.values
            .get(&(
                indicator.to_string(),
                area.to_string(),
                span(period),
                b.key(),
            ))
            .map(|&(_, v)| v)
    }

    /// The sum of the figures held for the values of open dimension `d` not
    /// in `named`, within `context` (the other dimensions' values).
    fn complement(
        &self,
        indicator: &str,
        area: &str,
        period: Period,
        context: &Breakdown,
        d: &str,
        named: &BTreeSet<String>,
    ) -> u64 {
        self.by_period
            .get(&(indicator.to_string(), area.to_string(), span(period)))
            .into_iter()
            .flatten()
            .filter(|(b, _)| {
                b.get(d).is_some_and(|v| v != "*" && !named.contains(v))
                    && b.0.len() == context.0.len() + 1
                    && context.0.iter().all(|(k, v)| b.get(k) == Some(v))
            })
            .map(|(_, v)| *v)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::figure::{Provenance, Source, Status};

    const AREA: &str = "E06000016";

    fn period(p: &str) -> Period {
        Period::parse(p).unwrap()
    }

    fn figure(indicator: &str, p: &str, breakdown: &str, value: i64) -> Figure {
        Figure {
            indicator: indicator.into(),
            area: AREA.into(),
            period: period(p),
            breakdown: Breakdown::from_key(breakdown),
            value: if value == 0 {
                Value::Zero {
                    reason: "none".into(),
                }
            } else {
                Value::Exact(value)
            },
            source: Source::LocalRecords,
            status: Status::Final,
            coverage: vec![],
            note: None,
            provenance: Provenance {
                import: 1,
                file: "test.csv".into(),
                line: 2,
                actor: "tester".into(),
                imported_at: "2025-01-01T00:00:00Z".into(),
            },
        }
    }

    fn known(indicator: &str, p: &str, breakdown: &str, shown: Shown) -> KnownCell {
        KnownCell {
            source: "FOI-1".into(),
            indicator: indicator.into(),
            area: AREA.into(),
            period: period(p),
            breakdown: Breakdown::from_key(breakdown),
            shown,
        }
    }

    fn new(indicator: &str, p: &str, breakdown: &str, value: u64) -> NewCell {
        NewCell {
            indicator: indicator.into(),
            area: AREA.into(),
            period: period(p),
            breakdown: Breakdown::from_key(breakdown),
            value,
        }
    }

    /// Protects `asked` after `earlier`, then audits the union of both as
    /// the log would hold it: nothing may be derivable.
    fn protect_and_audit(
        figures: &[Figure],
        earlier: &[KnownCell],
        asked: &[NewCell],
    ) -> Vec<Protection> {
        let policy = Policy::default();
        let catalogue = shipped();
        let decided = protect(&catalogue, figures, asked, earlier, &policy);
        assert!(!decided.budget_exhausted);
        let mut log = earlier.to_vec();
        for (c, p) in asked.iter().zip(&decided.protection) {
            log.push(KnownCell {
                source: "FOI-2".into(),
                indicator: c.indicator.clone(),
                area: c.area.clone(),
                period: c.period,
                breakdown: c.breakdown.clone(),
                shown: match p {
                    Protection::Released => Shown::Exact(c.value),
                    Protection::Primary => Shown::FewerThan(policy.threshold),
                    Protection::Secondary => Shown::Withheld,
                },
            });
        }
        let audit = audit(&catalogue, figures, &log, &policy);
        assert_eq!(audit.findings, vec![], "derivable after {decided:?}");
        decided.protection
    }

    #[test]
    fn a_small_margin_of_two_small_cells_is_not_pinned_by_a_known_total() {
        // Total 1260 released earlier. Now sex by substance group: the
        // "other" row is 3, 0, 1, 0. Each small cell alone lies in 1..3,
        // but giving every male and female cell would pin "other" at
        // 1260 - 836 - 420 = 4, itself a small count.
        let rows = [
            ("male", [298, 122, 151, 265]),
            ("female", [124, 55, 59, 182]),
            ("other", [3, 0, 1, 0]),
        ];
        let groups = [
            "opiate",
            "non_opiate_only",
            "non_opiate_and_alcohol",
            "alcohol_only",
        ];
        let mut figures = vec![figure("people_in_treatment", "2019/20", "", 1260)];
        let mut asked = Vec::new();
        for (sex, values) in rows {
            figures.push(figure(
                "people_in_treatment",
                "2019/20",
                &format!("sex={sex}"),
                values.iter().sum(),
            ));
            for (group, v) in groups.iter().zip(values) {
                let key = format!("sex={sex};substance_group={group}");
                figures.push(figure("people_in_treatment", "2019/20", &key, v));
                asked.push(new("people_in_treatment", "2019/20", &key, v as u64));
            }
        }
        let earlier = [known(
            "people_in_treatment",
            "2019/20",
            "",
            Shown::Exact(1260),
        )];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p[8], Protection::Primary);
        assert_eq!(p[10], Protection::Primary);
        let secondary: Vec<usize> = (0..8).filter(|&i| p[i] == Protection::Secondary).collect();
        assert!(
            !secondary.is_empty(),
            "a male or female cell must be withheld so that the other row's sum stays unknown: {p:?}"
        );
    }

    /// Everyone in treatment in a community setting and in a residential
    /// one: the settings do not add up to the total, and nothing is
    /// withheld for it (a model adding them up would see 30 of 15).
    #[test]
    fn settings_under_which_one_person_counts_twice_need_not_add_up() {
        let y = "2019/20";
        let figures = vec![
            figure("people_in_treatment", y, "", 15),
            figure("people_in_treatment", y, "setting=community", 15),
            figure("people_in_treatment", y, "setting=residential", 15),
        ];
        let asked = [
            new("people_in_treatment", y, "", 15),
            new("people_in_treatment", y, "setting=community", 15),
            new("people_in_treatment", y, "setting=residential", 15),
        ];
        let p = protect_and_audit(&figures, &[], &asked);
        assert_eq!(p, vec![Protection::Released; 3]);
    }

    /// 40 in treatment, 37 of them in a community setting: the 3 without
    /// one would be the total less the community count, so one of those
    /// two is withheld; a setting of 2 is "fewer than 5".
    #[test]
    fn people_without_a_setting_are_the_total_less_those_with_it() {
        let y = "2019/20";
        let cells = [
            ("", 40),
            ("setting=community", 37),
            ("setting=residential", 2),
            ("setting=inpatient", 12),
        ];
        let figures: Vec<Figure> = cells
            .iter()
            .map(|&(b, v)| figure("people_in_treatment", y, b, v))
            .collect();
        let asked: Vec<NewCell> = cells
            .iter()
            .map(|&(b, v)| new("people_in_treatment", y, b, v as u64))
            .collect();
        let p = protect_and_audit(&figures, &[], &asked);
        assert_eq!(p[2], Protection::Primary, "{p:?}");
        assert!(
            p[0] == Protection::Secondary || p[1] == Protection::Secondary,
            "the total or the community count must be withheld: {p:?}"
        );
        assert_eq!(p[3], Protection::Released, "{p:?}");
    }

    /// The same by age band: each band's people with and without a
    /// setting add up to the band, year by year.
    #[test]
    fn a_setting_by_age_band_is_protected_band_by_band() {
        let mut figures = Vec::new();
        let mut asked = Vec::new();
        for (p, bands) in [
            ("2018/19", [(20, 18), (30, 29)]),
            ("2019/20", [(22, 19), (25, 25)]),
        ] {
            for (band, (all, with)) in ["18-29", "30-49"].iter().zip(bands) {
                for (b, v) in [
                    (format!("age_band={band}"), all),
                    (format!("age_band={band};setting=community"), with),
                ] {
                    figures.push(figure("people_in_treatment", p, &b, v));
                    asked.push(new("people_in_treatment", p, &b, v as u64));
                }
            }
        }
        let p = protect_and_audit(&figures, &[], &asked);
        // 2018/19 18-29: 2 without a setting; 30-49: 1; 2019/20 18-29: 3.
        for (all, with) in [(0, 1), (2, 3), (4, 5)] {
            assert!(
                p[all] != Protection::Released || p[with] != Protection::Released,
                "cells {all} and {with} would give a small count without a setting: {p:?}"
            );
        }
        assert_eq!(p[6], Protection::Released, "{p:?}");
        assert_eq!(p[7], Protection::Released, "{p:?}");
    }

    #[test]
    fn the_log_reads_given_fewer_than_and_withheld() {
        assert_eq!(
            Shown::from_log("given", Some(15), "15"),
            Some(Shown::Exact(15))
        );
        assert_eq!(
            Shown::from_log("suppressed", None, "fewer than 10"),
            Some(Shown::FewerThan(10))
        );
        assert_eq!(
            Shown::from_log(
                "suppressed",
                None,
                "withheld so that small numbers cannot be worked out (section 40(2))"
            ),
            Some(Shown::Withheld)
        );
        assert_eq!(Shown::from_log("not_held", None, "not held"), None);
        assert_eq!(Shown::from_log("given", None, "£3"), None);
    }

    #[test]
    fn a_cell_withheld_earlier_is_not_given_away_by_its_complement_in_a_filter() {
        // Earlier: aged 19 = 15 given, aged 19 using crack "fewer than 5"
        // (1). Now: aged 19 not using crack = 14 would give the 1 away.
        let figures = [
            figure("people_in_treatment", "2024/25", "age_band=19", 15),
            figure(
                "people_in_treatment",
                "2024/25",
                "age_band=19;crack=crack",
                1,
            ),
            figure(
                "people_in_treatment",
                "2024/25",
                "age_band=19;crack=no_crack",
                14,
            ),
        ];
        let earlier = [
            known(
                "people_in_treatment",
                "2024/25",
                "age_band=19",
                Shown::Exact(15),
            ),
            known(
                "people_in_treatment",
                "2024/25",
                "age_band=19;crack=crack",
                Shown::FewerThan(5),
            ),
        ];
        let asked = [new(
            "people_in_treatment",
            "2024/25",
            "age_band=19;crack=no_crack",
            14,
        )];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Secondary]);
    }

    #[test]
    fn a_secondary_withheld_earlier_stays_withheld_when_asked_alone() {
        // Earlier: total 100, male 60, female withheld, other "fewer than 5".
        // Asking for female alone must not give other = 100 - 60 - female.
        let figures = [
            figure("people_in_treatment", "2024/25", "", 100),
            figure("people_in_treatment", "2024/25", "sex=male", 60),
            figure("people_in_treatment", "2024/25", "sex=female", 37),
            figure("people_in_treatment", "2024/25", "sex=other", 3),
        ];
        let earlier = [
            known("people_in_treatment", "2024/25", "", Shown::Exact(100)),
            known(
                "people_in_treatment",
                "2024/25",
                "sex=male",
                Shown::Exact(60),
            ),
            known(
                "people_in_treatment",
                "2024/25",
                "sex=female",
                Shown::Withheld,
            ),
            known(
                "people_in_treatment",
                "2024/25",
                "sex=other",
                Shown::FewerThan(5),
            ),
        ];
        let asked = [new("people_in_treatment", "2024/25", "sex=female", 37)];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Secondary]);
    }

    #[test]
    fn an_earlier_secondary_asked_again_is_released_when_that_reveals_nothing() {
        // Earlier: total withheld with two bands (one small). Asking for the
        // large band again with nothing else out reveals nothing.
        let figures = [
            figure("people_in_treatment", "2024/25", "sex=male", 60),
            figure("people_in_treatment", "2024/25", "sex=female", 37),
        ];
        let earlier = [known(
            "people_in_treatment",
            "2024/25",
            "sex=female",
            Shown::Withheld,
        )];
        let asked = [new("people_in_treatment", "2024/25", "sex=female", 37)];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Released]);
    }

    #[test]
    fn events_add_up_over_the_parts_of_a_span() {
        // Placements: 2019/20 given (10), 2020/21 "fewer than 5" (3); the two
        // years together (13) would give the 3 away.
        let ind = "inpatient_detox_placements";
        let figures = [
            figure(ind, "2019/20", "", 10),
            figure(ind, "2020/21", "", 3),
            figure(ind, "2019-04-01 to 2021-03-31", "", 13),
        ];
        let earlier = [
            known(ind, "2019/20", "", Shown::Exact(10)),
            known(ind, "2020/21", "", Shown::FewerThan(5)),
        ];
        let asked = [new(ind, "2019-04-01 to 2021-03-31", "", 13)];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Secondary]);
        // A span with a month nobody has released leaves the year unknown.
        let asked = [new(ind, "2019-03-01 to 2021-03-31", "", 14)];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Released]);
        // Unless the month is out too.
        let mut earlier = earlier.to_vec();
        earlier.push(known(ind, "2019-03", "", Shown::Exact(1)));
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Secondary]);
    }

    #[test]
    fn distinct_people_over_a_span_lie_between_the_largest_part_and_the_sum() {
        let ind = "people_in_treatment";
        let figures = [
            figure(ind, "2019/20", "", 10),
            figure(ind, "2020/21", "", 3),
            figure(ind, "2019-04-01 to 2021-03-31", "", 13),
        ];
        let earlier = [
            known(ind, "2019/20", "", Shown::Exact(10)),
            known(ind, "2020/21", "", Shown::FewerThan(5)),
        ];
        // 13 people over both years: nobody in both, but an attacker cannot
        // know that, so the 3 stays anywhere in 1..=3.
        let asked = [new(ind, "2019-04-01 to 2021-03-31", "", 13)];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Released]);
        // The relations: each year is at most the span, the span at most
        // the two years.
        let keys = [
            (period("2019/20"), &Breakdown::total()),
            (period("2020/21"), &Breakdown::total()),
            (period("2019-04-01 to 2021-03-31"), &Breakdown::total()),
        ];
        let relations = Layout::new(&shipped(), &keys, true).relations(&shipped(), &keys);
        // Two "at least a part" relations and one "at most the cover".
        assert_eq!(relations.len(), 3);
        assert_eq!(relations.iter().filter(|r| r.at_most == Some(0)).count(), 1);
    }

    /// Over two years and their span, people with a setting grow with the
    /// period as the total does, but people without it need not (one
    /// without it in a year may have it in the other): the relations hold
    /// for the total and for "with", and a table where nobody keeps their
    /// combination across the years is still consistent.
    #[test]
    fn people_with_a_setting_grow_with_the_period_and_those_without_need_not() {
        let total = Breakdown::total();
        let community = Breakdown::from_key("setting=community");
        let keys = [
            (period("2019/20"), &total),
            (period("2019/20"), &community),
            (period("2020/21"), &total),
            (period("2020/21"), &community),
            (period("2019-04-01 to 2021-03-31"), &total),
            (period("2019-04-01 to 2021-03-31"), &community),
        ];
        let catalogue = shipped();
        let layout = Layout::new(&catalogue, &keys, true);
        assert_eq!(layout.width, 2);
        // Per year: the total and "with" at most the span (4), the span at
        // most the two years (2); never "without" alone.
        let relations = layout.relations(&catalogue, &keys);
        assert_eq!(relations.len(), 6, "{relations:#?}");
        for r in &relations {
            let without_alone = r.terms.iter().all(|(i, _)| i % 2 == 0);
            assert!(!without_alone, "{r:?}");
        }
        // 10 people: 8 with a community setting in 2019/20 only, 2 in
        // 2020/21 only; all 10 in both years and in the span.
        let y = |p: &str, b: &str, v: u64| (p.to_string(), b.to_string(), v);
        let cells = [
            y("2019/20", "", 10),
            y("2019/20", "setting=community", 8),
            y("2020/21", "", 10),
            y("2020/21", "setting=community", 2),
            y("2019-04-01 to 2021-03-31", "", 10),
            y("2019-04-01 to 2021-03-31", "setting=community", 10),
        ];
        let figures: Vec<Figure> = cells
            .iter()
            .map(|(p, b, v)| figure("people_in_treatment", p, b, *v as i64))
            .collect();
        let asked: Vec<NewCell> = cells
            .iter()
            .map(|(p, b, v)| new("people_in_treatment", p, b, *v))
            .collect();
        let p = protect_and_audit(&figures, &[], &asked);
        // 2 without a setting in 2019/20 (10 - 8) and 2 with one in
        // 2020/21: both small, so neither is given away.
        assert_eq!(p[3], Protection::Primary, "{p:?}");
        assert!(
            p[0] != Protection::Released || p[1] != Protection::Released,
            "{p:?}"
        );
    }

    #[test]
    fn a_span_of_people_is_at_most_the_sum_of_any_two_periods_covering_it() {
        let total = Breakdown::total();
        let keys = [
            (period("2019-04-01 to 2021-03-31"), &total),
            (period("2019/20"), &total),
            (period("2019-10-01 to 2021-03-31"), &total),
            (period("2020/21"), &total),
        ];
        let relations = Layout::new(&shipped(), &keys, true).relations(&shipped(), &keys);
        let at_most: Vec<usize> = relations
            .iter()
            .filter(|r| r.at_most == Some(0))
            .map(|r| r.terms.len())
            .collect();
        // The span: 2019/20 with either later period (two covers of two);
        // the later span: by nothing inside it that starts early enough.
        assert_eq!(at_most, vec![3, 3]);
        // Each period inside a span is at most the span: three inside the
        // whole span, 2020/21 inside the later one.
        assert_eq!(
            relations.iter().filter(|r| r.at_least == Some(0)).count(),
            4
        );
    }

    #[test]
    fn a_small_count_earlier_releases_already_pin_is_named_by_the_audit() {
        // 2019/20: 10 given. Span of both years: 14 given earlier. Then
        // 2020/21 "fewer than 5" is 4 and 14 <= 10 + x forces x = 4.
        let ind = "people_in_treatment";
        let figures = [
            figure(ind, "2019/20", "", 10),
            figure(ind, "2020/21", "", 4),
            figure(ind, "2019-04-01 to 2021-03-31", "", 14),
        ];
        let earlier = [
            known(ind, "2019/20", "", Shown::Exact(10)),
            known(ind, "2019-04-01 to 2021-03-31", "", Shown::Exact(14)),
        ];
        let asked = [new(ind, "2020/21", "", 4)];
        let decided = protect(&shipped(), &figures, &asked, &earlier, &Policy::default());
        assert_eq!(decided.protection, vec![Protection::Primary]);
        let audit = audit(
            &shipped(),
            &figures,
            &[
                earlier[0].clone(),
                earlier[1].clone(),
                known(ind, "2020/21", "", Shown::FewerThan(5)),
            ],
            &Policy::default(),
        );
        // The labels and the earlier releases alone pin it: the audit says so.
        assert_eq!(audit.findings, vec![(2, Finding::Derivable)]);
        // The same figure withheld by two answers is one cell, named twice.
        let twice = [
            earlier[0].clone(),
            known(ind, "2020/21", "", Shown::FewerThan(5)),
            earlier[1].clone(),
            known(ind, "2020/21", "", Shown::FewerThan(5)),
        ];
        let audit = super::audit(&shipped(), &figures, &twice, &Policy::default());
        assert_eq!(
            audit.findings,
            vec![(1, Finding::Derivable), (3, Finding::Derivable)]
        );
        assert_eq!(audit.withheld, 2);
    }

    #[test]
    fn the_everything_else_of_an_open_dimension_is_known_to_be_zero() {
        // Two providers: total 100, one 97, the other 3. Anyone who knows
        // there are two works out the 3 from 100 - 97.
        let figures = [
            figure("people_in_treatment", "2024/25", "", 100),
            figure(
                "people_in_treatment",
                "2024/25",
                "provider=turning_point",
                97,
            ),
            figure("people_in_treatment", "2024/25", "provider=other_one", 3),
        ];
        let asked = [
            new("people_in_treatment", "2024/25", "", 100),
            new(
                "people_in_treatment",
                "2024/25",
                "provider=turning_point",
                97,
            ),
            new("people_in_treatment", "2024/25", "provider=other_one", 3),
        ];
        let p = protect_and_audit(&figures, &[], &asked);
        assert_eq!(p[2], Protection::Primary);
        assert!(p[..2].contains(&Protection::Secondary), "{p:?}");
        // Asked for the one provider only, with the total: the rest is the
        // small provider, so something is withheld.
        let asked = [
            new("people_in_treatment", "2024/25", "", 100),
            new(
                "people_in_treatment",
                "2024/25",
                "provider=turning_point",
                97,
            ),
        ];
        let p = protect_and_audit(&figures, &[], &asked);
        assert!(p.contains(&Protection::Secondary), "{p:?}");
    }

    #[test]
    fn a_large_everything_else_leaves_an_open_dimension_alone() {
        let figures = [
            figure("people_in_treatment", "2024/25", "", 150),
            figure("people_in_treatment", "2024/25", "provider=a", 97),
            figure("people_in_treatment", "2024/25", "provider=b", 3),
            figure("people_in_treatment", "2024/25", "provider=c", 50),
        ];
        let asked = [
            new("people_in_treatment", "2024/25", "", 150),
            new("people_in_treatment", "2024/25", "provider=a", 97),
            new("people_in_treatment", "2024/25", "provider=b", 3),
        ];
        let p = protect_and_audit(&figures, &[], &asked);
        assert_eq!(
            p,
            vec![
                Protection::Released,
                Protection::Released,
                Protection::Primary
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Tables decided side by side decide as one after another: five
        /// years of crack users by age band (one table each), some small,
        /// with earlier answers about some of them, on 1, 2, 3 and 5
        /// threads.
        #[test]
        fn tables_decided_side_by_side_decide_as_one_after_another(
            values in proptest::collection::vec(0u64..40, 5 * 4),
            shown in proptest::collection::vec(0u8..4, 5 * 4),
        ) {
            let catalogue = shipped();
            let years = ["2020/21", "2021/22", "2022/23", "2023/24", "2024/25"];
            let bands = ["age_band=18-24", "age_band=25-29", "age_band=30-49", "age_band=50+"];
            let mut figures = Vec::new();
            let mut asked = Vec::new();
            let mut earlier = Vec::new();
            for (y, year) in years.iter().enumerate() {
                let mut total = 0;
                for (b, band) in bands.iter().enumerate() {
                    let v = values[y * bands.len() + b];
                    total += v;
                    let breakdown = format!("{band};crack=crack");
                    figures.push(figure("people_in_treatment", year, &breakdown, v as i64));
                    asked.push(new("people_in_treatment", year, &breakdown, v));
                    let was = match shown[y * bands.len() + b] {
                        0 => continue,
                        1 => Shown::Exact(v),
                        2 => Shown::FewerThan(5),
                        _ => Shown::Withheld,
                    };
                    earlier.push(known("people_in_treatment", year, &breakdown, was));
                }
                figures.push(figure("people_in_treatment", year, "crack=crack", total as i64));
                asked.push(new("people_in_treatment", year, "crack=crack", total));
            }
            let policy = Policy { threshold: 5 };
            let one = protect_on(&catalogue, &figures, &asked, &earlier, &policy, |_| 1);
            proptest::prop_assert_eq!(tables(&catalogue, &asked, &earlier).len(), 5);
            for workers in [2, 3, 5] {
                let side_by_side =
                    protect_on(&catalogue, &figures, &asked, &earlier, &policy, |_| workers);
                proptest::prop_assert_eq!(&side_by_side.protection, &one.protection);
                proptest::prop_assert_eq!(side_by_side.budget_exhausted, one.budget_exhausted);
            }
        }
    }

    #[test]
    fn periods_that_do_not_overlap_are_separate_tables() {
        let catalogue = shipped();
        let asked = [
            new("people_in_treatment", "2019/20", "", 10),
            new("people_in_treatment", "2020/21", "", 10),
            new("people_in_treatment", "2019-06", "", 10),
        ];
        let t = tables(&catalogue, &asked, &[]);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].new, vec![0, 2]);
        assert_eq!(t[1].new, vec![1]);
    }

    #[test]
    fn the_log_is_one_table_whichever_council_answered() {
        // Two councils' answers about the same area: one protected table.
        let figures = [
            figure("people_in_treatment", "2024/25", "", 40),
            figure("people_in_treatment", "2024/25", "sex=male", 27),
            figure("people_in_treatment", "2024/25", "sex=female", 10),
            figure("people_in_treatment", "2024/25", "sex=other", 3),
        ];
        let mut earlier = vec![known(
            "people_in_treatment",
            "2024/25",
            "",
            Shown::Exact(40),
        )];
        earlier[0].source = "OTHER-COUNCIL-1".into();
        earlier.push(known(
            "people_in_treatment",
            "2024/25",
            "sex=male",
            Shown::Exact(27),
        ));
        let asked = [
            new("people_in_treatment", "2024/25", "sex=female", 10),
            new("people_in_treatment", "2024/25", "sex=other", 3),
        ];
        let p = protect_and_audit(&figures, &earlier, &asked);
        assert_eq!(p, vec![Protection::Secondary, Protection::Primary]);
    }

    #[test]
    fn a_total_a_release_published_joins_the_table() {
        // NDTMS published the 2024/25 total (40). Asked for the sex
        // breakdown: 40 - 27 - 10 would give the 3 away.
        let ind = "people_in_treatment";
        let mut figures = vec![
            figure(ind, "2024/25", "", 40),
            figure(ind, "2024/25", "sex=male", 27),
            figure(ind, "2024/25", "sex=female", 10),
            figure(ind, "2024/25", "sex=other", 3),
            figure(ind, "2024-06", "", 2),
            figure(ind, "2023/24", "", 4),
            figure("budget", "2024/25", "", 5000),
            figure("new_presentations", "2024/25", "", 30),
        ];
        let mut approx = figure(ind, "2022/23", "", 1);
        approx.value = Value::Approximate { low: 30, high: 40 };
        figures.push(approx);
        let release = Release {
            code: "ndtms_annual_2024_25".into(),
            title: "Adult substance misuse treatment statistics".into(),
            publisher: "OHID".into(),
            date: Date::constant(2025, 11, 20),
            announced: None,
            indicators: vec![ind.into(), "budget".into(), "new_presentations".into()],
            periods: ["2024/25", "2023/24", "2022/23"]
                .into_iter()
                .map(period)
                .collect(),
            url: None,
        };
        let touched: BTreeSet<(String, String)> = [ind, "budget"]
            .map(|i| (i.to_string(), AREA.to_string()))
            .into();
        let out = |on: Date| {
            published(
                &shipped(),
                &figures,
                std::slice::from_ref(&release),
                on,
                5,
                &touched,
            )
        };
        // Before the release date nothing is out.
        assert_eq!(out(Date::constant(2025, 11, 19)), vec![]);
        let cells = out(Date::constant(2025, 11, 20));
        // The totals of the years it covers, not the breakdowns, nor a
        // month inside a year, nor an approximate value, nor an indicator
        // not asked about or not counting people; a small total as "fewer
        // than 5".
        let mut year = known(ind, "2024/25", "", Shown::Exact(40));
        year.source = "release:ndtms_annual_2024_25".into();
        let mut small = known(ind, "2023/24", "", Shown::FewerThan(5));
        small.source = year.source.clone();
        assert_eq!(cells, vec![small, year]);
        let asked = [
            new(ind, "2024/25", "sex=male", 27),
            new(ind, "2024/25", "sex=female", 10),
            new(ind, "2024/25", "sex=other", 3),
        ];
        let p = protect_and_audit(&figures, &cells, &asked);
        assert_eq!(p[2], Protection::Primary);
        assert!(p[..2].contains(&Protection::Secondary), "{p:?}");
        // Without the published total the two large counts are given.
        let p = protect_and_audit(&figures, &[], &asked);
        assert_eq!(
            p,
            vec![
                Protection::Released,
                Protection::Released,
                Protection::Primary
            ]
        );
    }
}
