//! Statistical disclosure control for counts of people released in an FOI
//! answer: which figures are shown, which are shown as "fewer than t", and
//! which are withheld so that the small ones cannot be worked out.
//!
//! # Model
//!
//! A *table* is a set of [`Cell`]s released together. Every cell is a sum over
//! some *inner cells*: the finest, unreleased, non-overlapping units (a single
//! age band of a single year, say). A total is the set of all inner cells, a
//! band is a subset, and 2-D tables with margins, hierarchies and overlapping
//! aggregates ("40+" and "45-49") are all written the same way.
//!
//! The attacker knows every released cell exactly, that every inner cell is a
//! non-negative integer, that a primary-suppressed cell lies in `[1, t-1]`
//! (it is shown as "fewer than t") and that a secondary-suppressed cell is at
//! least 1 (zeros are always shown, so a withheld cell is never zero).
//!
//! # Rules
//!
//! 1. *Primary suppression*: a cell whose value is `1..=t-1` is shown as
//!    "fewer than t". Zero is shown as 0.
//! 2. *Secondary suppression*: no hidden cell may be derivable exactly. The
//!    cells withheld are chosen deterministically, preferring cells with the
//!    fewest inner cells, then the smallest value, then the lowest index; a
//!    zero is never chosen.
//!
//! # How [`protect`] works
//!
//! 1. Cells with identical inner sets are one *figure* and get one decision.
//! 2. A Gaussian pass makes the pattern safe against linear attacks: figures
//!    are offered for release from the least to the most preferred for
//!    withholding (totals and large values first); a figure is withheld when
//!    releasing it would put some hidden figure in the row space of the
//!    released ones. Exact integer elimination, no floats.
//! 3. The pattern is audited (see below). While some hidden cell is still
//!    derivable, one more figure is forced hidden and step 2 is run again.
//!    The figure is the first, in preference order, of those the attack used
//!    (the relations propagation leaned on) whose hiding repairs the cell; if
//!    none does on its own, the first of them. Each round forces one more
//!    figure, so the loop ends; when nothing is left to hide it stops.
//!
//! # How [`audit`] works
//!
//! For each hidden cell:
//! - (a) a rank test: is its 0/1 vector in the row space of the released
//!   cells (plus the inner cells a released zero pins to 0)? Exact
//!   fraction-free elimination on `i128`.
//! - (b) bound propagation over the attacker's constraints (inner cells
//!   `>= 0`, released sums exact, primaries in `[1, t-1]`, secondaries
//!   `>= 1`), with each cell's sum as its own variable, to a fixpoint (with an
//!   iteration cap), rounding to integers. A cell whose interval collapses to
//!   one value is derivable; this catches cells forced to their bounds, such
//!   as `x + y = 2` with `x, y >= 1`. Plain interval arithmetic forgets that
//!   a sub-total is known, so propagation also uses relations implied by the
//!   released ones: nesting (a total equals its disjoint sub-cells plus what
//!   is left over) and the short rows of the elimination in (a).
//! - (c) a witness search: a cell that (a) and (b) do not flag is only called
//!   safe once a depth-first search (with propagation, starting from the true
//!   table and staying close to it) finds an assignment consistent with
//!   everything the attacker knows in which the cell has a different value.
//!   If the search proves no such assignment exists the cell is derivable;
//!   if it runs out of budget the cell is reported too, to be safe.
//!
//! So a cell the audit passes is provably not derivable; the audit can only
//! err by reporting a cell that is in fact safe, when the search runs out of
//! budget.
//!
//! # Limits
//!
//! - Only *exact* disclosure is prevented. A hidden cell may still be narrowed
//!   to a small interval, and two small cells hidden together may have a small
//!   known sum. Differences between overlapping figures that are not
//!   themselves cells ("40+" minus "40-49") are not protected unless the
//!   difference is added as a cell.
//! - Propagation is weaker than linear programming: it can miss a cell pinned
//!   by a combination of several relations that no single relation (original
//!   or derived) shows. The witness search then decides, so safety does not
//!   depend on it, but proving such a cell derivable can take exponential
//!   search. Each search, each audit and each run of [`protect`] has a node
//!   budget; when a run of [`protect`] exhausts its budget it withholds every
//!   non-zero figure. In practice this needs three-way tables with all
//!   two-way margins and many small counts.
//! - Some cells are given away by the labels alone, whatever is withheld: four
//!   bands each "fewer than 5" inside a total "fewer than 5" must all be 1.
//!   [`protect`] cannot fix those and [`audit`] reports them. With threshold 2
//!   the label "fewer than 2" states the value (1) outright; such cells are
//!   never reported.
//! - Inconsistent input (a total that is not the sum of its parts) never
//!   panics; every small cell is still hidden, but the attacker may well see
//!   that the figures disagree, and more may be withheld than necessary.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The threshold used when none is configured: counts of 1 to 4 are hidden.
const DEFAULT_THRESHOLD: u64 = 5;

/// Disclosure-control settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Counts from 1 to `threshold - 1` are small: they are shown as "fewer
    /// than `threshold`". Must be at least 2 (see [`Policy::new`]).
    pub threshold: u64,
}

impl Default for Policy {
    /// The usual rule: counts of 1 to 4 are shown as "fewer than 5".
    fn default() -> Self {
        Policy {
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl Policy {
    /// A policy hiding counts from 1 to `threshold - 1`. A threshold below 2
    /// would hide nothing and is rejected.
    pub fn new(threshold: u64) -> Result<Policy, PolicyError> {
        if threshold < 2 {
            Err(PolicyError { threshold })
        } else {
            Ok(Policy { threshold })
        }
    }

    /// Whether `value` is a small count (1 to `threshold - 1`) that must not
    /// be released. Zero is not small.
    pub fn is_small(&self, value: u64) -> bool {
        value >= 1 && value < self.threshold
    }
}

/// A disclosure threshold that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "disclosure threshold {threshold} is too low: small counts are those from 1 \
     to threshold - 1, so a threshold below 2 would hide nothing; set it to 2 or \
     more (5, hiding 1 to 4, is the usual rule)"
)]
pub struct PolicyError {
    /// The threshold that was rejected.
    pub threshold: u64,
}

/// One figure to be released: a count of people summed over `inner` cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The inner cells (finest, non-overlapping units) this figure adds up.
    pub inner: BTreeSet<usize>,
    /// The count of people.
    pub value: u64,
}

/// What happens to a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protection {
    /// The exact value is shown.
    Released,
    /// A small count, shown as "fewer than t".
    Primary,
    /// Withheld so that a small count cannot be worked out from the rest.
    Secondary,
}

/// Decide which cells are released. Returns one Protection per input cell,
/// same order.
///
/// Small counts are [`Protection::Primary`]; further cells are made
/// [`Protection::Secondary`] until [`audit`] finds no hidden cell derivable
/// (apart from cells the labels alone give away; see the module notes).
/// Cells with identical inner sets always get the same protection. A cell
/// with no inner cells carries no information about the others: it is
/// primary if small and released otherwise.
pub fn protect(cells: &[Cell], policy: &Policy) -> Vec<Protection> {
    protect_after(cells, &[], policy)
}

/// Like [`protect`], for a table some of whose cells were already released
/// exactly in earlier answers (`published[i]` true; missing entries count as
/// false). Those cells stay released — what is out cannot be taken back —
/// and are used as the attacker would use them: the new cells are chosen so
/// that no hidden cell can be derived from the earlier releases and this one
/// together (differencing across answers). The protection returned for a
/// published cell is always [`Protection::Released`].
pub fn protect_after(cells: &[Cell], published: &[bool], policy: &Policy) -> Vec<Protection> {
    let priors: Vec<Prior> = (0..cells.len())
        .map(|i| {
            if published.get(i).copied().unwrap_or(false) {
                Prior::Released
            } else {
                Prior::New
            }
        })
        .collect();
    protect_with(cells, &priors, &[], policy).protection
}

/// What an attacker already knows about a cell before the answer being
/// decided: the disclosure log (and any other release) as constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// A cell of the answer being decided: nothing is known of it yet.
    New,
    /// Released exactly before; the cell's value is the value released.
    /// It stays released: what is out cannot be taken back.
    Released,
    /// Shown before as "fewer than `threshold`" (the threshold then): the
    /// attacker knows it lies in `1..=threshold-1`. Stays withheld.
    FewerThan {
        /// The threshold of the answer that withheld it.
        threshold: u64,
        /// Whether the cell's value is its true value (otherwise it is only
        /// a placeholder and the cell is taken to be anywhere in its range).
        known: bool,
    },
    /// Withheld before as a secondary: known only to be at least 1 (zeros
    /// are always shown). Stays withheld unless it is asked again and
    /// releasing it reveals nothing.
    Withheld {
        /// Whether the cell's value is its true value.
        known: bool,
    },
    /// Never released, but its members may be known to an attacker (the
    /// "everything else" of an open dimension). A zero is taken as known to
    /// the attacker; a small count must not be derivable and is taken as
    /// known to be small (`1..=t-1`); a larger count should not be given.
    Unasked,
}

/// A linear relation between inner cells that the attacker knows besides the
/// cells' own sums: `at_least <= sum(coefficient * inner) <= at_most`. Used
/// for how counts of distinct people over periods relate (a span counts at
/// least as many people as any part of it and at most the sum of its parts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Inner cell and coefficient.
    pub terms: Vec<(usize, i64)>,
    /// Lower end, if any.
    pub at_least: Option<i64>,
    /// Upper end, if any.
    pub at_most: Option<i64>,
}

/// The outcome of [`protect_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    /// One protection per input cell.
    pub protection: Vec<Protection>,
    /// Whether the search budget ran out, so that cells not shown safe in
    /// time were withheld (more is withheld than a longer search might have
    /// needed, never less).
    pub budget_exhausted: bool,
}

/// Decides which cells of a table are released, given what earlier
/// releases told the attacker (`priors`, one per cell; missing entries are
/// [`Prior::New`]) and further relations between inner cells.
///
/// Cells whose prior is [`Prior::Released`] stay released; cells withheld
/// before ([`Prior::FewerThan`], [`Prior::Withheld`]) stay withheld when
/// only the earlier release has them, and are audited like any hidden cell:
/// a new answer may not make them derivable. New cells get protection as in
/// [`protect`]. The search is bounded in steps (never time), so the same
/// input always gives the same output.
pub fn protect_with(
    cells: &[Cell],
    priors: &[Prior],
    relations: &[Relation],
    policy: &Policy,
) -> Protected {
    let table = Table::with_priors(cells, priors, relations, *policy);
    let protection = table.run();
    Protected {
        protection,
        budget_exhausted: table.nodes.get() == 0,
    }
}

/// Why [`audit_with`] names a withheld cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    /// Its value can be worked out exactly from what was released.
    Derivable,
    /// The search budget ran out before it could be shown safe.
    Unproven,
}

/// Audits a table of cells all of which were already released or withheld
/// (their [`Prior`]s say how; [`Prior::New`] counts as released): the
/// withheld cells that can be pinned to one value, or that could not be
/// shown safe within the budget, ascending by index. Withheld cells whose
/// label alone states the value ("fewer than 2") are not reported.
pub fn audit_with(
    cells: &[Cell],
    priors: &[Prior],
    relations: &[Relation],
    policy: &Policy,
) -> Vec<(usize, Finding)> {
    let t = policy.threshold;
    let protection: Vec<Protection> = (0..cells.len())
        .map(|i| match priors.get(i).copied().unwrap_or(Prior::New) {
            Prior::New | Prior::Released => Protection::Released,
            Prior::FewerThan { .. } => Protection::Primary,
            Prior::Withheld { .. } => Protection::Secondary,
            Prior::Unasked if cells[i].value == 0 => Protection::Released,
            Prior::Unasked => Protection::Primary,
        })
        .collect();
    let model = Model::with_priors(cells, priors, relations);
    let truth = model.truth();
    examine(&model, &protection, t, truth.as_deref(), Scope::FULL)
        .flags
        .into_iter()
        .filter(|&(c, _)| !(priors.get(c) == Some(&Prior::Unasked) && cells[c].value >= t))
        .map(|(c, f)| {
            let finding = match f {
                Flag::Unproven => Finding::Unproven,
                _ => Finding::Derivable,
            };
            (c, finding)
        })
        .collect()
}

impl Table<'_> {
    /// Protects the table: the Gaussian pass, then audits, forcing one more
    /// figure hidden per round until nothing leaks (see the module notes).
    fn run(&self) -> Vec<Protection> {
        let mut forced = BTreeSet::new();
        let mut truth: Option<Option<Vec<i128>>> = None;
        // Whether a reported cell is given away by the labels alone.
        let mut inherent: BTreeMap<usize, bool> = BTreeMap::new();
        loop {
            let hidden = self.gauss(&forced);
            let protection = self.expand(&hidden);
            if !protection.iter().any(|&p| p != Protection::Released) {
                return protection;
            }
            let truth = truth.get_or_insert_with(|| self.model.truth()).as_deref();
            let Some((exam, cell, flag)) = self.first_leak(&protection, truth, &mut inherent)
            else {
                return protection;
            };
            if flag == Flag::Unproven && self.nodes.get() == 0 {
                // Out of search budget: nothing more can be shown safe, so
                // withhold every remaining figure.
                return self.expand(&vec![true; self.groups.len()]);
            }
            match self.choose(&hidden, &forced, &exam, cell, flag, truth) {
                Some(group) => {
                    forced.insert(group);
                }
                None => return protection,
            }
        }
    }
}

/// The indices of hidden cells whose value an attacker could determine exactly
/// from the released ones (empty for any output of `protect`).
///
/// The one exception to "empty": a cell the labels alone give away (for
/// example four bands "fewer than 5" inside a total "fewer than 5", which must
/// all be 1) is reported, because no choice of withheld cells can protect it.
/// A primary cell with threshold 2 is never reported: its label already
/// states its value. Missing entries of `protection` count as
/// [`Protection::Released`]; extra entries are ignored. Indices are ascending.
pub fn audit(cells: &[Cell], protection: &[Protection], policy: &Policy) -> Vec<usize> {
    let protection: Vec<Protection> = (0..cells.len())
        .map(|i| protection.get(i).copied().unwrap_or(Protection::Released))
        .collect();
    let model = Model::new(cells);
    let truth = model.truth();
    examine(
        &model,
        &protection,
        policy.threshold,
        truth.as_deref(),
        Scope::FULL,
    )
    .flags
    .into_keys()
    .collect()
}

// ---------------------------------------------------------------------------
// The constraint model shared by the rank test, propagation and search.

/// Stands for "no upper bound". Counts are `u64`, so real sums of even
/// millions of cells stay far below it, and sums saturate at it.
const INF: i128 = 1 << 100;
/// No equation has set this bound yet.
const NO_REASON: usize = usize::MAX;
/// Search nodes allowed for one witness search.
const SEARCH_NODES: usize = 1_500;
/// Search nodes allowed for all witness searches of one audit.
const AUDIT_NODES: usize = 100_000;
/// Search nodes allowed for all the audits of one [`protect`]. Past it,
/// cells not yet shown safe count as derivable and more is hidden.
const PROTECT_NODES: usize = 400_000;
/// Candidates tried (with propagation only) when repairing a derivable cell.
const CHEAP_TRIALS: usize = 12;
/// Candidates tried (with the witness search) when propagation cannot tell.
const FULL_TRIALS: usize = 3;
/// Derived equations allowed in total (counted in terms), so that odd inputs
/// cannot make the model quadratic in size.
const DERIVED_TERMS: usize = 200_000;
/// Derived nesting equations allowed per cell.
const DERIVED_PER_CELL: usize = 16;
/// Longest equation taken from the elimination of the released cells.
const ELIMINATED_TERMS: usize = 64;

/// Adds two non-negative bounds, saturating at [`INF`].
fn add(a: i128, b: i128) -> i128 {
    a.saturating_add(b).min(INF)
}

/// One input cell: its inner cells add up to its sum variable.
struct Con {
    /// Index of the input cell.
    cell: usize,
    /// Compact indices of its inner cells, ascending.
    vars: Vec<usize>,
    /// The cell's true value (a placeholder when not `known`).
    value: i128,
    /// Whether `value` is the true value.
    known: bool,
    /// What the attacker knew of the cell before, when it is hidden:
    /// `[prior_lo, prior_hi]`.
    prior_lo: i128,
    prior_hi: i128,
}

/// One linear relation used by propagation: `lo <= sum(a * v) <= hi` over
/// distinct variables `v` with non-zero integer coefficients `a`.
#[derive(Clone)]
struct Link {
    terms: Vec<(usize, i128)>,
    lo: i128,
    hi: i128,
    /// The constraints (cells) it was derived from.
    sources: Vec<usize>,
}

/// Variables `0..m` are the inner cells; variable `m + k` is the sum of
/// constraint `k` (one per input cell with inner cells).
struct Model {
    m: usize,
    cons: Vec<Con>,
    con_of_cell: Vec<Option<usize>>,
    /// For each inner cell, the constraints containing it.
    var_cons: Vec<Vec<usize>>,
    /// `links[k]` says constraint `k` is the sum of its inner cells; then
    /// come derived nesting relations (see [`Model::derive`]), then the
    /// caller's [`Relation`]s (from `relations` on).
    links: Vec<Link>,
    /// Index of the first caller's relation in `links`.
    relations: usize,
}

impl Model {
    fn new(cells: &[Cell]) -> Model {
        Model::with_priors(cells, &[], &[])
    }

    fn with_priors(cells: &[Cell], priors: &[Prior], relations: &[Relation]) -> Model {
        let all: BTreeSet<usize> = cells
            .iter()
            .flat_map(|c| c.inner.iter().copied())
            .chain(
                relations
                    .iter()
                    .flat_map(|r| r.terms.iter().map(|&(i, _)| i)),
            )
            .collect();
        let index: BTreeMap<usize, usize> = all.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let m = index.len();
        let mut cons = Vec::new();
        let mut con_of_cell = vec![None; cells.len()];
        let mut var_cons = vec![Vec::new(); m];
        for (ci, cell) in cells.iter().enumerate() {
            if cell.inner.is_empty() {
                continue;
            }
            let vars: Vec<usize> = cell
                .inner
                .iter()
                .filter_map(|i| index.get(i).copied())
                .collect();
            let k = cons.len();
            for &v in &vars {
                var_cons[v].push(k);
            }
            con_of_cell[ci] = Some(k);
            let (known, prior_lo, prior_hi) = match priors.get(ci).copied().unwrap_or(Prior::New) {
                Prior::New | Prior::Released => (true, 0, INF),
                Prior::FewerThan { threshold, known } => (known, 1, primary_hi(threshold)),
                Prior::Withheld { known } => (known, 1, INF),
                Prior::Unasked => (true, 1, INF),
            };
            cons.push(Con {
                cell: ci,
                vars,
                value: i128::from(cell.value),
                known,
                prior_lo,
                prior_hi,
            });
        }
        // Cells with the same inner set have the same value: a placeholder
        // takes the value released, or else the value of a cell of this
        // answer, or else a known value.
        let mut reference: BTreeMap<&[usize], (u8, i128)> = BTreeMap::new();
        for c in &cons {
            let rank = match priors.get(c.cell).copied().unwrap_or(Prior::New) {
                Prior::Released => 0,
                Prior::New => 1,
                _ if c.known => 2,
                _ => continue,
            };
            let e = reference.entry(&c.vars).or_insert((rank, c.value));
            if rank < e.0 {
                *e = (rank, c.value);
            }
        }
        let fill: Vec<Option<i128>> = cons
            .iter()
            .map(|c| {
                (!c.known)
                    .then(|| reference.get(c.vars.as_slice()).map(|&(_, v)| v))
                    .flatten()
            })
            .collect();
        for (c, v) in cons.iter_mut().zip(fill) {
            if let Some(v) = v {
                c.value = v;
                c.known = true;
            }
        }
        let mut links: Vec<Link> = cons
            .iter()
            .enumerate()
            .map(|(k, c)| Link {
                terms: c
                    .vars
                    .iter()
                    .map(|&v| (v, 1))
                    .chain(std::iter::once((m + k, -1)))
                    .collect(),
                lo: 0,
                hi: 0,
                sources: vec![k],
            })
            .collect();
        links.extend(Model::derive(m, &cons));
        let first_relation = links.len();
        links.extend(relations.iter().filter(|r| !r.terms.is_empty()).map(|r| {
            let mut terms: BTreeMap<usize, i128> = BTreeMap::new();
            for &(i, a) in &r.terms {
                if let Some(&v) = index.get(&i) {
                    *terms.entry(v).or_insert(0) += i128::from(a);
                }
            }
            Link {
                terms: terms.into_iter().filter(|&(_, a)| a != 0).collect(),
                lo: r.at_least.map_or(-INF, i128::from),
                hi: r.at_most.map_or(INF, i128::from),
                sources: Vec::new(),
            }
        }));
        Model {
            m,
            cons,
            con_of_cell,
            var_cons,
            links,
            relations: first_relation,
        }
    }

    /// Relations that follow from nesting, so that propagation sees sums of
    /// sums: a cell equals a family of disjoint cells inside it plus the
    /// inner cells left over (a total = the rows; a band = a sub-band plus
    /// the rest). For each cell, each sub-cell of two or more inner cells
    /// seeds one family, completed greedily with the largest disjoint
    /// sub-cells. Interval arithmetic on the plain sums loses these.
    fn derive(m: usize, cons: &[Con]) -> Vec<Link> {
        let mut out = Vec::new();
        let mut budget = DERIVED_TERMS;
        // One representative per distinct inner set, largest first.
        let mut reps: Vec<usize> = Vec::new();
        let mut seen: BTreeSet<&[usize]> = BTreeSet::new();
        for (k, c) in cons.iter().enumerate() {
            if seen.insert(&c.vars) {
                reps.push(k);
            }
        }
        reps.sort_by_key(|&k| (std::cmp::Reverse(cons[k].vars.len()), k));
        for (pos, &b) in reps.iter().enumerate() {
            let outer = &cons[b].vars;
            let subs: Vec<usize> = reps[pos + 1..]
                .iter()
                .copied()
                .filter(|&a| {
                    let inner = &cons[a].vars;
                    inner.len() >= 2 && inner.len() < outer.len() && is_subset(inner, outer)
                })
                .collect();
            let mut families: BTreeSet<Vec<usize>> = BTreeSet::new();
            for &seed in &subs {
                if families.len() >= DERIVED_PER_CELL || budget < outer.len() + 1 {
                    break;
                }
                let mut covered: BTreeSet<usize> = cons[seed].vars.iter().copied().collect();
                let mut family = vec![seed];
                for &a in &subs {
                    if a != seed && cons[a].vars.iter().all(|v| !covered.contains(v)) {
                        covered.extend(cons[a].vars.iter().copied());
                        family.push(a);
                    }
                }
                family.sort_unstable();
                if !families.insert(family.clone()) {
                    continue;
                }
                let mut terms: Vec<(usize, i128)> = family.iter().map(|&a| (m + a, 1)).collect();
                terms.extend(
                    outer
                        .iter()
                        .filter(|v| !covered.contains(v))
                        .map(|&v| (v, 1)),
                );
                terms.push((m + b, -1));
                budget = budget.saturating_sub(terms.len());
                let mut sources = family;
                sources.push(b);
                out.push(Link {
                    terms,
                    lo: 0,
                    hi: 0,
                    sources,
                });
            }
        }
        out
    }

    fn width(&self) -> usize {
        self.m + self.cons.len()
    }

    /// Inner cells `>= 0`, unbounded; sums to be filled in.
    fn free_bounds(&self) -> Bounds {
        Bounds {
            lo: vec![0; self.width()],
            hi: vec![INF; self.width()],
        }
    }

    /// What the attacker knows under `protection`.
    fn attacker_bounds(&self, protection: &[Protection], t: u64) -> Bounds {
        let mut b = self.free_bounds();
        for (k, con) in self.cons.iter().enumerate() {
            let (lo, hi) = match protection.get(con.cell) {
                Some(Protection::Primary) => (con.prior_lo.max(1), con.prior_hi.min(primary_hi(t))),
                Some(Protection::Secondary) => (con.prior_lo.max(1), con.prior_hi),
                Some(Protection::Released) | None => (con.value, con.value),
            };
            b.lo[self.m + k] = lo;
            b.hi[self.m + k] = hi;
        }
        b
    }

    /// An assignment of the inner cells matching every cell's true value, if
    /// one can be found (there is none when the input is inconsistent).
    fn truth(&self) -> Option<Vec<i128>> {
        let mut b = self.free_bounds();
        for (k, con) in self.cons.iter().enumerate() {
            let (lo, hi) = if con.known {
                (con.value, con.value)
            } else {
                (con.prior_lo, con.prior_hi)
            };
            b.lo[self.m + k] = lo;
            b.hi[self.m + k] = hi;
        }
        let mut nodes = SEARCH_NODES;
        match search(&Net::new(self, Vec::new()), &b, None, &mut nodes) {
            Outcome::Found(x) => Some(x),
            Outcome::Infeasible | Outcome::GaveUp => None,
        }
    }

    /// Every constraint's sum under the inner-cell assignment `x`.
    fn sums(&self, x: &[i128]) -> Vec<i128> {
        self.cons
            .iter()
            .map(|c| c.vars.iter().fold(0, |s, &v| add(s, x[v])))
            .collect()
    }

    /// Whether `x` meets every bound in `root`.
    fn satisfies(&self, root: &Bounds, x: &[i128]) -> bool {
        x.len() == self.m
            && x.iter()
                .enumerate()
                .all(|(i, &v)| root.lo[i] <= v && v <= root.hi[i])
            && self
                .sums(x)
                .iter()
                .enumerate()
                .all(|(k, &s)| root.lo[self.m + k] <= s && s <= root.hi[self.m + k])
            && self.links[self.relations..].iter().all(|l| l.holds(x))
    }
}

impl Link {
    /// Whether an assignment of the inner cells meets this relation (only
    /// for relations over inner cells).
    fn holds(&self, x: &[i128]) -> bool {
        let sum = self.terms.iter().fold(0i128, |s, &(v, a)| {
            s.saturating_add(a.saturating_mul(x.get(v).copied().unwrap_or(0)))
        });
        self.lo <= sum && sum <= self.hi
    }
}

/// The model's relations plus some for one protection pattern, indexed for
/// propagation.
struct Net<'a> {
    model: &'a Model,
    extra: Vec<Link>,
    /// For every variable, the links it appears in.
    var_links: Vec<Vec<usize>>,
}

impl<'a> Net<'a> {
    fn new(model: &'a Model, extra: Vec<Link>) -> Net<'a> {
        let mut var_links = vec![Vec::new(); model.width()];
        for (l, link) in model.links.iter().chain(&extra).enumerate() {
            for &(v, _) in &link.terms {
                var_links[v].push(l);
            }
        }
        Net {
            model,
            extra,
            var_links,
        }
    }

    fn len(&self) -> usize {
        self.model.links.len() + self.extra.len()
    }

    fn link(&self, l: usize) -> &Link {
        match l.checked_sub(self.model.links.len()) {
            None => &self.model.links[l],
            Some(e) => &self.extra[e],
        }
    }
}

/// Whether sorted `a` is a subset of sorted `b`.
fn is_subset(a: &[usize], b: &[usize]) -> bool {
    let mut rest = b.iter();
    a.iter().all(|x| rest.any(|y| y == x))
}

/// The upper end of "fewer than t" (never below the lower end, 1).
fn primary_hi(t: u64) -> i128 {
    (i128::from(t) - 1).max(1)
}

#[derive(Clone, Debug)]
struct Bounds {
    lo: Vec<i128>,
    hi: Vec<i128>,
}

/// For every variable, the link that last tightened each bound.
struct Why {
    lo: Vec<usize>,
    hi: Vec<usize>,
}

// ---------------------------------------------------------------------------
// Bound propagation.

/// Tightens bounds to a fixpoint (or until the revision cap), starting from
/// the links in `seeds`. Returns false on a contradiction. Sound at any
/// point: no integer assignment meeting the original bounds is cut off.
fn propagate(
    net: &Net,
    b: &mut Bounds,
    seeds: impl IntoIterator<Item = usize>,
    mut why: Option<&mut Why>,
) -> bool {
    let n = net.len();
    let mut queued = vec![false; n];
    let mut queue = VecDeque::new();
    for l in seeds {
        if l < n && !queued[l] {
            queued[l] = true;
            queue.push_back(l);
        }
    }
    let mut budget = 64 * n + 256;
    let mut changed = Vec::new();
    while let Some(l) = queue.pop_front() {
        queued[l] = false;
        if budget == 0 {
            break;
        }
        budget -= 1;
        changed.clear();
        if !revise(net, b, l, &mut changed, why.as_deref_mut()) {
            return false;
        }
        for &v in &changed {
            for &l2 in &net.var_links[v] {
                if !queued[l2] {
                    queued[l2] = true;
                    queue.push_back(l2);
                }
            }
        }
    }
    true
}

/// Narrows `[lo, hi]` of variable `v`; false if it becomes empty.
fn tighten(
    b: &mut Bounds,
    v: usize,
    lo: i128,
    hi: i128,
    reason: usize,
    changed: &mut Vec<usize>,
    why: Option<&mut Why>,
) -> bool {
    let raise = lo > b.lo[v];
    let lower = hi < b.hi[v];
    if raise {
        b.lo[v] = lo;
    }
    if lower {
        b.hi[v] = hi;
    }
    if let Some(w) = why {
        if raise {
            w.lo[v] = reason;
        }
        if lower {
            w.hi[v] = reason;
        }
    }
    if raise || lower {
        changed.push(v);
    }
    b.lo[v] <= b.hi[v]
}

/// The range of `a * v` for `v` in `[lo, hi]`; `None` is unbounded (also
/// used when a product overflows, which only loosens).
fn term(a: i128, lo: i128, hi: i128) -> (Option<i128>, Option<i128>) {
    let at_lo = a.checked_mul(lo);
    let at_hi = if hi >= INF { None } else { a.checked_mul(hi) };
    if a > 0 {
        (at_lo, at_hi)
    } else {
        (at_hi, at_lo)
    }
}

fn floor_div(x: i128, a: i128) -> Option<i128> {
    let (x, a) = if a < 0 {
        (x.checked_neg()?, a.checked_neg()?)
    } else {
        (x, a)
    };
    (a != 0).then(|| x.div_euclid(a))
}

fn ceil_div(x: i128, a: i128) -> Option<i128> {
    floor_div(x.checked_neg()?, a)?.checked_neg()
}

/// One pass over link `l`: each variable is bounded by what the others
/// leave room for, rounded inwards to integers.
fn revise(
    net: &Net,
    b: &mut Bounds,
    l: usize,
    changed: &mut Vec<usize>,
    mut why: Option<&mut Why>,
) -> bool {
    let link = net.link(l);
    let (mut lo_sum, mut lo_inf, mut hi_sum, mut hi_inf) = (0i128, 0usize, 0i128, 0usize);
    for &(v, a) in &link.terms {
        let (tl, th) = term(a, b.lo[v], b.hi[v]);
        match tl.map(|x| lo_sum.checked_add(x)) {
            Some(Some(s)) => lo_sum = s,
            Some(None) => return true,
            None => lo_inf += 1,
        }
        match th.map(|x| hi_sum.checked_add(x)) {
            Some(Some(s)) => hi_sum = s,
            Some(None) => return true,
            None => hi_inf += 1,
        }
    }
    for &(v, a) in &link.terms {
        let (tl, th) = term(a, b.lo[v], b.hi[v]);
        // The others' total lies in [rest_lo, rest_hi].
        let rest_lo = match tl {
            Some(x) if lo_inf == 0 => lo_sum.checked_sub(x),
            None if lo_inf == 1 => Some(lo_sum),
            _ => None,
        };
        let rest_hi = match th {
            Some(x) if hi_inf == 0 => hi_sum.checked_sub(x),
            None if hi_inf == 1 => Some(hi_sum),
            _ => None,
        };
        // So a * v lies in [link.lo - rest_hi, link.hi - rest_lo].
        let t_lo = rest_hi
            .filter(|_| link.lo > -INF)
            .and_then(|r| link.lo.checked_sub(r));
        let t_hi = rest_lo
            .filter(|_| link.hi < INF)
            .and_then(|r| link.hi.checked_sub(r));
        let (new_lo, new_hi) = if a > 0 {
            (
                t_lo.and_then(|x| ceil_div(x, a)),
                t_hi.and_then(|x| floor_div(x, a)),
            )
        } else {
            (
                t_hi.and_then(|x| ceil_div(x, a)),
                t_lo.and_then(|x| floor_div(x, a)),
            )
        };
        let new_lo = new_lo.unwrap_or(i128::MIN);
        let new_hi = new_hi.filter(|&h| h < INF).unwrap_or(INF);
        if !tighten(b, v, new_lo, new_hi, l, changed, why.as_deref_mut()) {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Depth-first search for an assignment meeting a set of bounds.

enum Outcome {
    /// An assignment of the inner cells meeting every bound.
    Found(Vec<i128>),
    /// Proved that none exists.
    Infeasible,
    /// Ran out of budget.
    GaveUp,
}

struct Frame {
    base: Bounds,
    var: usize,
    pivot: i128,
    /// Try the values above the pivot before those below.
    up_first: bool,
    next: u8,
}

/// Looks for inner-cell values meeting `root`, staying close to `reference`
/// (or to the lower bounds without one). At each node it first tries the
/// reference values clamped into the current bounds; if some cell's sum is
/// then out of range it branches, three ways (`= p`, `< p`, `> p`), on a
/// variable of such a cell. Exhausting the tree proves infeasibility. `nodes`
/// is the budget and is decremented.
fn search(net: &Net, root: &Bounds, reference: Option<&[i128]>, nodes: &mut usize) -> Outcome {
    let model = net.model;
    let mut node = root.clone();
    if !propagate(net, &mut node, 0..net.len(), None) {
        return Outcome::Infeasible;
    }
    let depth_cap = 4 * model.m + 64;
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let z: Vec<i128> = (0..model.m)
            .map(|i| {
                let want = reference
                    .and_then(|y| y.get(i).copied())
                    .unwrap_or(node.lo[i]);
                want.max(node.lo[i]).min(node.hi[i])
            })
            .collect();
        match repair_var(model, root, &node, &z) {
            Repair::Done => return Outcome::Found(z),
            Repair::DeadEnd => {}
            Repair::Branch(var, up_first) => {
                if stack.len() >= depth_cap {
                    return Outcome::GaveUp;
                }
                stack.push(Frame {
                    pivot: z[var],
                    base: node,
                    var,
                    up_first,
                    next: 0,
                });
            }
        }
        loop {
            let Some(top) = stack.last_mut() else {
                return Outcome::Infeasible;
            };
            if top.next > 2 {
                stack.pop();
                continue;
            }
            let which = top.next;
            top.next += 1;
            let (var, p) = (top.var, top.pivot);
            let (lo, hi) = (top.base.lo[var], top.base.hi[var]);
            let (a, z) = match (which, top.up_first) {
                (0, _) => (p, p),
                (1, true) | (2, false) => (p + 1, hi),
                _ => (lo, p - 1),
            };
            if a > z {
                continue;
            }
            if *nodes == 0 {
                return Outcome::GaveUp;
            }
            *nodes -= 1;
            let mut next = top.base.clone();
            next.lo[var] = a;
            next.hi[var] = z;
            if propagate(net, &mut next, net.var_links[var].iter().copied(), None) {
                node = next;
                break;
            }
        }
    }
}

enum Repair {
    /// The candidate meets every bound.
    Done,
    /// Some cell is out of range with all its inner cells fixed.
    DeadEnd,
    /// Branch on this variable; true if raising it helps.
    Branch(usize, bool),
}

/// Checks candidate `z` against `root`; if it fails, picks the narrowest
/// unfixed inner cell of a cell whose sum is out of range.
fn repair_var(model: &Model, root: &Bounds, node: &Bounds, z: &[i128]) -> Repair {
    let mut best: Option<(i128, usize, bool)> = None;
    let mut broken = false;
    for (k, con) in model.cons.iter().enumerate() {
        let sum = con.vars.iter().fold(0, |s, &v| add(s, z[v]));
        let (lo, hi) = (root.lo[model.m + k], root.hi[model.m + k]);
        if lo <= sum && sum <= hi {
            continue;
        }
        broken = true;
        for &v in &con.vars {
            if node.lo[v] < node.hi[v] {
                let width = node.hi[v] - node.lo[v];
                if best.is_none_or(|(w, b, _)| (width, v) < (w, b)) {
                    best = Some((width, v, sum < lo));
                }
            }
        }
    }
    for link in &model.links[model.relations..] {
        if link.holds(z) {
            continue;
        }
        broken = true;
        let sum = link
            .terms
            .iter()
            .fold(0i128, |s, &(v, a)| s.saturating_add(a.saturating_mul(z[v])));
        for &(v, a) in &link.terms {
            if node.lo[v] < node.hi[v] {
                let width = node.hi[v] - node.lo[v];
                if best.is_none_or(|(w, b, _)| (width, v) < (w, b)) {
                    best = Some((width, v, (sum < link.lo) == (a > 0)));
                }
            }
        }
    }
    let in_range = z
        .iter()
        .enumerate()
        .all(|(i, &v)| root.lo[i] <= v && v <= root.hi[i]);
    match best {
        Some((_, v, up)) => Repair::Branch(v, up),
        None if broken || !in_range => Repair::DeadEnd,
        None => Repair::Done,
    }
}

// ---------------------------------------------------------------------------
// Exact linear algebra: integer vectors kept primitive (gcd 1, leading entry
// positive), so two residuals are parallel exactly when they are equal.

struct Overflow;

/// Echelon rows over the first `cols` entries of each vector (any further
/// entries, such as a right-hand side, are carried along).
struct Basis {
    cols: usize,
    rows: Vec<Row>,
}

struct Row {
    pivot: usize,
    v: Vec<i128>,
    /// The constraints combined into this row, ascending.
    from: Vec<usize>,
}

impl Basis {
    fn new(cols: usize) -> Basis {
        Basis {
            cols,
            rows: Vec::new(),
        }
    }

    /// Eliminates every pivot column from `v`, noting the rows used.
    fn reduce(&self, v: &mut [i128], from: &mut Vec<usize>) -> Result<(), Overflow> {
        for row in &self.rows {
            if v[row.pivot] != 0 {
                eliminate(v, &row.v, row.pivot)?;
                if !row.from.is_empty() {
                    from.extend(row.from.iter().copied());
                    from.sort_unstable();
                    from.dedup();
                }
            }
        }
        normalize(v)
    }

    /// `v` reduced; zero in the first `cols` entries iff `v` is in the span.
    fn residual(&self, mut v: Vec<i128>) -> Result<Vec<i128>, Overflow> {
        self.reduce(&mut v, &mut Vec::new())?;
        Ok(v)
    }

    fn pivot_of(&self, v: &[i128]) -> Option<usize> {
        v.iter().take(self.cols).position(|&a| a != 0)
    }

    fn insert(&mut self, mut v: Vec<i128>, mut from: Vec<usize>) -> Result<(), Overflow> {
        self.reduce(&mut v, &mut from)?;
        if let Some(pivot) = self.pivot_of(&v) {
            self.rows.push(Row { pivot, v, from });
        }
        Ok(())
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `v := row[p] * v - v[p] * row`, then made primitive.
fn eliminate(v: &mut [i128], row: &[i128], p: usize) -> Result<(), Overflow> {
    let (a, c) = (row[p], v[p]);
    for (x, &r) in v.iter_mut().zip(row) {
        let xa = x.checked_mul(a).ok_or(Overflow)?;
        let rc = r.checked_mul(c).ok_or(Overflow)?;
        *x = xa.checked_sub(rc).ok_or(Overflow)?;
    }
    normalize(v)
}

fn normalize(v: &mut [i128]) -> Result<(), Overflow> {
    let g = v.iter().fold(0u128, |g, &x| gcd(g, x.unsigned_abs()));
    if g == 0 {
        return Ok(());
    }
    let g = i128::try_from(g).map_err(|_| Overflow)?;
    let negate = v.iter().find(|&&x| x != 0).is_some_and(|&x| x < 0);
    for x in v.iter_mut() {
        *x /= g;
        if negate {
            *x = x.checked_neg().ok_or(Overflow)?;
        }
    }
    Ok(())
}

fn is_zero(v: &[i128]) -> bool {
    v.iter().all(|&x| x == 0)
}

// ---------------------------------------------------------------------------
// The audit.

/// Why a hidden cell is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    /// In the row space of the released cells.
    Linear,
    /// Its interval collapsed under bound propagation.
    Bounds,
    /// The search proved it can take no other value.
    Exhausted,
    /// The attacker's constraints have no solution at all (inconsistent
    /// input), so nothing can be shown safe.
    Contradiction,
    /// Not shown safe within the search budget (or arithmetic overflowed).
    Unproven,
}

struct Examination {
    /// Reported cells (input indices) and why.
    flags: BTreeMap<usize, Flag>,
    /// Propagated bounds with reasons, when there was no contradiction.
    bounds: Option<(Bounds, Why)>,
    /// The links added for this pattern (reasons may point at them).
    extra: Vec<Link>,
}

/// How much of the audit to run.
#[derive(Clone, Copy)]
struct Scope<'s> {
    /// Run the witness search (otherwise only the rank test and propagation).
    search: bool,
    /// Check only these cells (all cells still constrain the attacker).
    only: Option<&'s BTreeSet<usize>>,
    /// Stop the witness search at the first cell it reports.
    first: bool,
    /// Search nodes left for the whole of [`protect`], if it is the caller.
    pool: Option<&'s std::cell::Cell<usize>>,
}

impl Scope<'_> {
    const FULL: Scope<'static> = Scope {
        search: true,
        only: None,
        first: false,
        pool: None,
    };
}

/// Audits `protection` (one entry per cell). `truth` is an assignment
/// matching every true value, used to seed the witness search.
fn examine(
    model: &Model,
    protection: &[Protection],
    t: u64,
    truth: Option<&[i128]>,
    scope: Scope,
) -> Examination {
    let m = model.m;
    let prot = |k: usize| {
        protection
            .get(model.cons[k].cell)
            .copied()
            .unwrap_or(Protection::Released)
    };
    let root = model.attacker_bounds(protection, t);
    // A hidden cell whose label alone states its value ("fewer than 2").
    let exempt = |k: usize| {
        prot(k) != Protection::Released && root.lo[m + k] == root.hi[m + k] && root.lo[m + k] >= 1
    };
    let concealed: Vec<usize> = (0..model.cons.len())
        .filter(|&k| prot(k) != Protection::Released && !exempt(k))
        .collect();
    let checked: Vec<usize> = concealed
        .iter()
        .copied()
        .filter(|&k| scope.only.is_none_or(|o| o.contains(&model.cons[k].cell)))
        .collect();
    let mut flags = BTreeMap::new();
    if checked.is_empty() {
        return Examination {
            flags,
            bounds: None,
            extra: Vec::new(),
        };
    }
    let cell = |k: usize| model.cons[k].cell;

    // (a) Rank test, by elimination over the released cells with their values
    // carried along. Columns of inner cells outside every hidden cell come
    // first, so rows among hidden inner cells only (x + y = 2) come out.
    let mut in_hidden = vec![false; m];
    for &k in &concealed {
        for &v in &model.cons[k].vars {
            in_hidden[v] = true;
        }
    }
    let mut var_at: Vec<usize> = (0..m).collect();
    var_at.sort_by_key(|&v| (in_hidden[v], v));
    let mut col = vec![0; m];
    for (c, &v) in var_at.iter().enumerate() {
        col[v] = c;
    }
    let row_of = |vars: &[usize], value: i128| {
        let mut r = vec![0; m + 1];
        for &v in vars {
            r[col[v]] = 1;
        }
        r[m] = value;
        r
    };
    let mut basis = Basis::new(m);
    let mut whole = true;
    for (k, con) in model.cons.iter().enumerate() {
        let p = prot(k);
        if p == Protection::Released && con.value == 0 {
            for &v in &con.vars {
                whole &= basis.insert(row_of(&[v], 0), vec![k]).is_ok();
            }
        } else if p == Protection::Released {
            whole &= basis.insert(row_of(&con.vars, con.value), vec![k]).is_ok();
        } else if exempt(k) {
            whole &= basis
                .insert(row_of(&con.vars, root.lo[m + k]), vec![k])
                .is_ok();
        }
    }
    for &k in &checked {
        let flag = match basis.residual(row_of(&model.cons[k].vars, 0)) {
            _ if !whole => Some(Flag::Unproven),
            Ok(r) if is_zero(&r[..m]) => Some(Flag::Linear),
            Ok(_) => None,
            Err(Overflow) => Some(Flag::Unproven),
        };
        if let Some(f) = flag {
            flags.insert(cell(k), f);
        }
    }
    // Short rows of the elimination become relations for propagation.
    let extra: Vec<Link> = basis
        .rows
        .iter()
        .filter(|row| row.v[..m].iter().filter(|&&a| a != 0).count() <= ELIMINATED_TERMS)
        .map(|row| Link {
            terms: (0..m)
                .filter(|&c| row.v[c] != 0)
                .map(|c| (var_at[c], row.v[c]))
                .collect(),
            lo: row.v[m],
            hi: row.v[m],
            sources: row.from.clone(),
        })
        .collect();
    let net = Net::new(model, extra);

    // (b) Bound propagation.
    let mut b = root.clone();
    let mut why = Why {
        lo: vec![NO_REASON; model.width()],
        hi: vec![NO_REASON; model.width()],
    };
    if !propagate(&net, &mut b, 0..net.len(), Some(&mut why)) {
        for &k in &checked {
            flags.entry(cell(k)).or_insert(Flag::Contradiction);
        }
        return Examination {
            flags,
            bounds: None,
            extra: net.extra,
        };
    }
    for &k in &checked {
        if b.lo[m + k] == b.hi[m + k] {
            flags.entry(cell(k)).or_insert(Flag::Bounds);
        }
    }

    // (c) Witness search.
    let open: Vec<usize> = checked
        .iter()
        .copied()
        .filter(|&k| !flags.contains_key(&cell(k)))
        .collect();
    if scope.search && !open.is_empty() {
        let mut quota = Quota {
            first: scope.first,
            nodes: AUDIT_NODES.min(scope.pool.map_or(usize::MAX, |p| p.get())),
        };
        let before = quota.nodes;
        // The search propagates over the cells' own relations only: the
        // long eliminated rows slow each node down more than they prune.
        let plain = Net::new(model, Vec::new());
        witnesses(&plain, &root, &b, truth, &open, &mut quota, &mut flags);
        if let Some(pool) = scope.pool {
            pool.set(pool.get().saturating_sub(before - quota.nodes));
        }
    }
    Examination {
        flags,
        bounds: Some((b, why)),
        extra: net.extra,
    }
}

/// Limits on one round of witness searches.
struct Quota {
    /// Stop at the first cell reported.
    first: bool,
    /// Search nodes left.
    nodes: usize,
}

/// Shows each constraint in `open` non-derivable by finding two assignments
/// meeting `root` that give it different sums; reports the rest in `flags`.
/// `b` is `root` after propagation.
fn witnesses(
    net: &Net,
    root: &Bounds,
    b: &Bounds,
    truth: Option<&[i128]>,
    open: &[usize],
    quota: &mut Quota,
    flags: &mut BTreeMap<usize, Flag>,
) {
    let Quota {
        first,
        nodes: budget,
    } = quota;
    let first = *first;
    let model = net.model;
    let run = |bounds: &Bounds, reference: Option<&[i128]>, budget: &mut usize| {
        let mut nodes = SEARCH_NODES.min(*budget);
        let before = nodes;
        let outcome = search(net, bounds, reference, &mut nodes);
        *budget -= before - nodes;
        outcome
    };
    let base = match truth.filter(|x| model.satisfies(root, x)) {
        Some(x) => x.to_vec(),
        None => match run(b, None, budget) {
            Outcome::Found(y) => y,
            outcome => {
                let flag = match outcome {
                    Outcome::Infeasible => Flag::Contradiction,
                    _ => Flag::Unproven,
                };
                for &k in open {
                    flags.insert(model.cons[k].cell, flag);
                }
                return;
            }
        },
    };
    let base_sums = model.sums(&base);
    let mut certified = vec![false; model.cons.len()];
    for &k in open {
        if certified[k] {
            continue;
        }
        let s = model.m + k;
        let y = base_sums[k];
        let mut proved = true;
        let mut found = None;
        for down in [true, false] {
            let mut r = b.clone();
            if down {
                if y - 1 < r.lo[s] {
                    continue;
                }
                r.hi[s] = r.hi[s].min(y - 1);
            } else {
                if y + 1 > r.hi[s] {
                    continue;
                }
                r.lo[s] = r.lo[s].max(y + 1);
            }
            if *budget == 0 {
                proved = false;
                break;
            }
            match run(&r, Some(&base), budget) {
                Outcome::Found(z) => {
                    found = Some(z);
                    break;
                }
                Outcome::Infeasible => {}
                Outcome::GaveUp => proved = false,
            }
        }
        match found {
            Some(z) => {
                let sums = model.sums(&z);
                for &k2 in open {
                    if sums[k2] != base_sums[k2] {
                        certified[k2] = true;
                    }
                }
            }
            None => {
                let flag = if proved {
                    Flag::Exhausted
                } else {
                    Flag::Unproven
                };
                flags.insert(model.cons[k].cell, flag);
                if first {
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Choosing what to hide.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Every member is zero: always released.
    Zero,
    /// Some member is a small count: primary.
    Small,
    /// Released unless chosen as a secondary.
    Other,
    /// Released in an earlier answer: stays released, known to the attacker.
    Published,
    /// Withheld in an earlier answer (or an unasked small "everything
    /// else") and not asked now: stays hidden, and must stay safe.
    Held,
}

/// Cells with identical inner sets: one figure, one decision.
struct Group {
    vars: Vec<usize>,
    members: Vec<usize>,
    kind: Kind,
    value: u64,
    /// Withheld in an earlier answer: hidden first, to stay consistent.
    withheld_before: bool,
}

impl Group {
    /// Lower sorts first when choosing what to hide: withheld before, then
    /// fewest inner cells, then smallest value, then lowest index.
    fn hide_key(&self) -> (bool, usize, u64, usize) {
        (
            !self.withheld_before,
            self.vars.len(),
            self.value,
            self.members.first().copied().unwrap_or(usize::MAX),
        )
    }
}

/// A table being protected: its cells, their constraint model and their
/// figures (groups of cells with identical inner sets).
struct Table<'a> {
    cells: &'a [Cell],
    priors: &'a [Prior],
    policy: Policy,
    /// Search nodes left for this run of [`protect`].
    nodes: std::cell::Cell<usize>,
    model: Model,
    groups: Vec<Group>,
    group_of_cell: Vec<Option<usize>>,
}

impl<'a> Table<'a> {
    fn with_priors(
        cells: &'a [Cell],
        priors: &'a [Prior],
        relations: &[Relation],
        policy: Policy,
    ) -> Table<'a> {
        let prior = |c: usize| priors.get(c).copied().unwrap_or(Prior::New);
        let model = Model::with_priors(cells, priors, relations);
        let mut by_vars: BTreeMap<&[usize], usize> = BTreeMap::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of_cell = vec![None; cells.len()];
        for con in &model.cons {
            let g = *by_vars.entry(&con.vars).or_insert_with(|| {
                groups.push(Group {
                    vars: con.vars.clone(),
                    members: Vec::new(),
                    kind: Kind::Zero,
                    value: 0,
                    withheld_before: false,
                });
                groups.len() - 1
            });
            groups[g].members.push(con.cell);
            group_of_cell[con.cell] = Some(g);
        }
        for g in &mut groups {
            // Only this answer's cells (and unasked ones) decide: earlier
            // withheld cells carry at most a placeholder value.
            let deciding: Vec<usize> = g
                .members
                .iter()
                .copied()
                .filter(|&c| matches!(prior(c), Prior::New | Prior::Unasked))
                .collect();
            let values = deciding.iter().map(|&c| cells[c].value);
            g.value = values.clone().max().unwrap_or(0);
            g.withheld_before = g
                .members
                .iter()
                .any(|&c| matches!(prior(c), Prior::FewerThan { .. } | Prior::Withheld { .. }));
            let asked = g.members.iter().any(|&c| prior(c) == Prior::New);
            g.kind = if g.members.iter().any(|&c| prior(c) == Prior::Released) {
                Kind::Published
            } else if asked && values.clone().any(|v| policy.is_small(v)) {
                Kind::Small
            } else if !deciding.is_empty()
                && values.clone().all(|v| v == 0)
                && (asked || !g.withheld_before)
            {
                Kind::Zero
            } else if asked {
                Kind::Other
            } else {
                Kind::Held
            };
        }
        Table {
            cells,
            priors,
            policy,
            nodes: std::cell::Cell::new(PROTECT_NODES),
            model,
            groups,
            group_of_cell,
        }
    }

    fn vector(&self, g: usize) -> Vec<i128> {
        let mut v = vec![0; self.model.m];
        for &i in &self.groups[g].vars {
            v[i] = 1;
        }
        v
    }

    /// The linear pass: which groups are hidden, given the primaries and the
    /// groups in `forced`. Releases groups from the least to the most
    /// preferred for hiding, hiding one whenever releasing it would make a
    /// hidden group a linear combination of released ones.
    fn gauss(&self, forced: &BTreeSet<usize>) -> Vec<bool> {
        let t = self.policy.threshold;
        let mut hidden = vec![false; self.groups.len()];
        let m = self.model.m;
        let mut basis = Basis::new(m);
        for (gi, g) in self.groups.iter().enumerate() {
            if g.kind == Kind::Published {
                // Out already: the attacker knows it exactly.
                let _ = basis.insert(self.vector(gi), Vec::new());
            }
            if g.kind == Kind::Zero {
                for &i in &g.vars {
                    let mut unit = vec![0; m];
                    unit[i] = 1;
                    let _ = basis.insert(unit, Vec::new());
                }
            }
        }
        for (gi, g) in self.groups.iter().enumerate() {
            hidden[gi] = match g.kind {
                Kind::Small | Kind::Held => true,
                Kind::Other => forced.contains(&gi),
                Kind::Zero | Kind::Published => false,
            };
            if g.kind == Kind::Small && t <= 2 {
                // Its label states its value: it is known, like a release.
                let _ = basis.insert(self.vector(gi), Vec::new());
            }
        }
        let mut residuals: Vec<Vec<i128>> = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            if !hidden[gi] || (g.kind == Kind::Small && t <= 2) {
                continue;
            }
            match basis.residual(self.vector(gi)) {
                Ok(r) if !is_zero(&r) => residuals.push(r),
                _ => {}
            }
        }
        let mut order: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.groups[g].kind == Kind::Other && !hidden[g])
            .collect();
        order.sort_by_key(|&g| std::cmp::Reverse(self.groups[g].hide_key()));
        for g in order {
            let Ok(r) = basis.residual(self.vector(g)) else {
                hidden[g] = true;
                continue;
            };
            let Some(p) = basis.pivot_of(&r) else {
                continue; // Already determined by what is released.
            };
            if residuals.contains(&r) {
                hidden[g] = true;
                residuals.push(r);
                continue;
            }
            let mut updated = Vec::with_capacity(residuals.len());
            let mut ok = true;
            for h in &residuals {
                let mut h2 = h.clone();
                if h2[p] != 0 && eliminate(&mut h2, &r, p).is_err() {
                    ok = false;
                    break;
                }
                updated.push(h2);
            }
            if ok {
                residuals = updated;
                basis.rows.push(Row {
                    pivot: p,
                    v: r,
                    from: Vec::new(),
                });
            } else {
                hidden[g] = true;
                residuals.push(r);
            }
        }
        hidden
    }

    /// One protection per input cell for a pattern of hidden groups.
    fn expand(&self, hidden: &[bool]) -> Vec<Protection> {
        self.cells
            .iter()
            .enumerate()
            .map(|(i, c)| match self.group_of_cell[i] {
                None if self.policy.is_small(c.value) => Protection::Primary,
                None => Protection::Released,
                Some(g) => match self.groups[g].kind {
                    Kind::Small => Protection::Primary,
                    Kind::Zero | Kind::Published => Protection::Released,
                    Kind::Held => match self.priors.get(i) {
                        Some(Prior::Withheld { .. }) => Protection::Secondary,
                        _ => Protection::Primary,
                    },
                    Kind::Other if hidden.get(g).copied().unwrap_or(true) => Protection::Secondary,
                    Kind::Other => Protection::Released,
                },
            })
            .collect()
    }

    /// The cells of `cells` reported even when every non-zero figure is
    /// hidden: no pattern can protect them, so [`protect`] does not try.
    fn inherent(&self, cells: &BTreeSet<usize>, truth: Option<&[i128]>) -> BTreeSet<usize> {
        let all = vec![true; self.groups.len()];
        let protection = self.expand(&all);
        let scope = Scope {
            only: Some(cells),
            pool: Some(&self.nodes),
            ..Scope::FULL
        };
        examine(
            &self.model,
            &protection,
            self.policy.threshold,
            truth,
            scope,
        )
        .flags
        .into_iter()
        .filter(|&(_, f)| f != Flag::Unproven)
        .map(|(c, _)| c)
        .collect()
    }

    /// Audits `protection` looking for one hidden cell that leaks and that
    /// some pattern could protect: first with the rank test and propagation
    /// for all cells, then with the witness search, stopping at the first
    /// leak. Returns that audit and the cell, or `None` if nothing leaks.
    /// `inherent` caches which cells the labels alone give away.
    fn first_leak(
        &self,
        protection: &[Protection],
        truth: Option<&[i128]>,
        inherent: &mut BTreeMap<usize, bool>,
    ) -> Option<(Examination, usize, Flag)> {
        let t = self.policy.threshold;
        let cheap = Scope {
            search: false,
            ..Scope::FULL
        };
        let exam = examine(&self.model, protection, t, truth, cheap);
        if let Some((cell, flag)) = self.first_open(&exam, truth, inherent) {
            return Some((exam, cell, flag));
        }
        let mut rest: BTreeSet<usize> = (0..self.cells.len())
            .filter(|&c| {
                protection
                    .get(c)
                    .is_some_and(|&p| p != Protection::Released)
            })
            .filter(|c| !exam.flags.contains_key(c))
            .collect();
        while !rest.is_empty() {
            let scope = Scope {
                search: true,
                only: Some(&rest),
                first: true,
                pool: Some(&self.nodes),
            };
            let exam = examine(&self.model, protection, t, truth, scope);
            if let Some((cell, flag)) = self.first_open(&exam, truth, inherent) {
                return Some((exam, cell, flag));
            }
            if exam.flags.is_empty() {
                return None;
            }
            for c in exam.flags.keys() {
                rest.remove(c);
            }
        }
        None
    }

    /// The first reported cell of `exam` that the labels alone do not give
    /// away.
    fn first_open(
        &self,
        exam: &Examination,
        truth: Option<&[i128]>,
        inherent: &mut BTreeMap<usize, bool>,
    ) -> Option<(usize, Flag)> {
        let unknown: BTreeSet<usize> = exam
            .flags
            .keys()
            .filter(|c| !inherent.contains_key(c))
            .copied()
            .collect();
        if !unknown.is_empty() {
            let found = self.inherent(&unknown, truth);
            for c in unknown {
                inherent.insert(c, found.contains(&c));
            }
        }
        exam.flags
            .iter()
            .find(|(c, _)| !inherent.get(c).copied().unwrap_or(false))
            .map(|(&c, &f)| (c, f))
    }

    /// The next group to force hidden, to repair reported cell `cell`.
    fn choose(
        &self,
        hidden: &[bool],
        forced: &BTreeSet<usize>,
        exam: &Examination,
        cell: usize,
        flag: Flag,
        truth: Option<&[i128]>,
    ) -> Option<usize> {
        let mut released: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.groups[g].kind == Kind::Other && !hidden[g])
            .collect();
        released.sort_by_key(|&g| self.groups[g].hide_key());
        if released.is_empty() {
            return None;
        }
        let k = self.model.con_of_cell.get(cell).copied().flatten();
        let near: BTreeSet<usize> = match (flag, k, &exam.bounds) {
            (Flag::Bounds, Some(k), Some((_, why))) => self.explain(why, &exam.extra, k),
            (Flag::Contradiction, _, _) => released.iter().copied().collect(),
            (_, Some(k), _) => self.neighbours(k),
            _ => BTreeSet::new(),
        };
        let mut list: Vec<usize> = released
            .iter()
            .copied()
            .filter(|g| near.contains(g))
            .collect();
        if list.is_empty() {
            list = released;
        }
        let full = matches!(flag, Flag::Exhausted | Flag::Unproven);
        let trials = if full { FULL_TRIALS } else { CHEAP_TRIALS };
        let only = BTreeSet::from([cell]);
        let scope = Scope {
            search: full,
            only: Some(&only),
            first: true,
            pool: Some(&self.nodes),
        };
        for &g in list.iter().take(trials) {
            let mut more = forced.clone();
            more.insert(g);
            let hidden = self.gauss(&more);
            let protection = self.expand(&hidden);
            let exam = examine(
                &self.model,
                &protection,
                self.policy.threshold,
                truth,
                scope,
            );
            let repaired = !exam.flags.contains_key(&cell)
                && !exam.flags.values().any(|&f| f == Flag::Contradiction);
            if repaired {
                return Some(g);
            }
        }
        list.first().copied()
    }

    /// The groups whose relations were used to pin constraint `k`.
    fn explain(&self, why: &Why, extra: &[Link], k: usize) -> BTreeSet<usize> {
        let model = &self.model;
        let link = |l: usize| match l.checked_sub(model.links.len()) {
            None => model.links.get(l),
            Some(e) => extra.get(e),
        };
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::new();
        let push = |r: usize, seen: &mut BTreeSet<usize>, queue: &mut VecDeque<usize>| {
            if r != NO_REASON && seen.insert(r) {
                queue.push_back(r);
            }
        };
        push(why.lo[model.m + k], &mut seen, &mut queue);
        push(why.hi[model.m + k], &mut seen, &mut queue);
        while let Some(l) = queue.pop_front() {
            for &(v, _) in link(l).map(|l| l.terms.as_slice()).unwrap_or(&[]) {
                push(why.lo[v], &mut seen, &mut queue);
                push(why.hi[v], &mut seen, &mut queue);
            }
        }
        seen.iter()
            .filter_map(|&l| link(l))
            .flat_map(|l| l.sources.iter())
            .filter_map(|&c| self.group_of_cell[model.cons[c].cell])
            .collect()
    }

    /// Groups within two steps of constraint `k` (sharing an inner cell with
    /// a cell that shares one with it).
    fn neighbours(&self, k: usize) -> BTreeSet<usize> {
        let model = &self.model;
        let mut vars = BTreeSet::new();
        for &v in &model.cons[k].vars {
            for &k2 in &model.var_cons[v] {
                vars.extend(model.cons[k2].vars.iter().copied());
            }
        }
        vars.iter()
            .flat_map(|&v| model.var_cons[v].iter())
            .filter_map(|&k2| self.group_of_cell[model.cons[k2].cell])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Protection::{Primary, Released, Secondary};
    use proptest::prelude::*;

    fn cell(inner: impl IntoIterator<Item = usize>, value: u64) -> Cell {
        Cell {
            inner: inner.into_iter().collect(),
            value,
        }
    }

    fn five() -> Policy {
        Policy::default()
    }

    fn hidden(p: &[Protection]) -> Vec<usize> {
        (0..p.len()).filter(|&i| p[i] != Released).collect()
    }

    // --- Earlier releases ----------------------------------------------------

    #[test]
    fn bands_released_after_their_total_was_released_elsewhere_cannot_be_differenced() {
        // An earlier answer gave the total, 40. This answer gives five bands,
        // one of them 3: on its own it would hide just the 3, but 40 minus
        // the other four would reveal it.
        let total = cell(0..5, 40);
        let bands = [10, 12, 8, 7, 3];
        let mut cells = vec![total];
        cells.extend(bands.iter().enumerate().map(|(i, &v)| cell([i], v)));
        let alone = protect(&cells[1..], &five());
        assert_eq!(
            hidden(&alone),
            vec![4],
            "without the earlier total only the 3 is hidden"
        );
        let after = protect_after(&cells, &[true], &five());
        assert_eq!(after[0], Released, "the earlier release stays released");
        assert_eq!(after[5], Primary);
        assert!(
            hidden(&after[1..5]).len() == 1,
            "one more band is withheld: {after:?}"
        );
        assert!(audit(&cells, &after, &five()).is_empty());
    }

    #[test]
    fn an_earlier_release_identical_to_a_new_cell_keeps_it_released() {
        let cells = [cell(0..2, 9), cell(0..2, 9), cell([0], 6), cell([1], 3)];
        let p = protect_after(&cells, &[true], &five());
        assert_eq!((p[0], p[1]), (Released, Released));
        assert_eq!((p[2], p[3]), (Secondary, Primary));
    }

    // --- Policy -------------------------------------------------------------

    #[test]
    fn the_default_threshold_is_five_and_hides_one_to_four() {
        let p = Policy::default();
        assert_eq!(p.threshold, 5);
        assert!(!p.is_small(0));
        assert!((1..5).all(|v| p.is_small(v)));
        assert!(!p.is_small(5));
    }

    #[test]
    fn a_threshold_below_two_is_rejected_with_advice() {
        assert_eq!(Policy::new(1), Err(PolicyError { threshold: 1 }));
        assert!(Policy::new(0).is_err());
        let message = PolicyError { threshold: 1 }.to_string();
        assert!(message.contains("at least 2") || message.contains("2 or more"));
        assert!(message.contains("5"));
        assert_eq!(Policy::new(2).map(|p| p.threshold), Ok(2));
    }

    // --- protect ------------------------------------------------------------

    #[test]
    fn a_band_of_three_next_to_its_total_and_one_other_band_hides_the_other_band() {
        let cells = [cell([0, 1], 13), cell([0], 3), cell([1], 10)];
        let p = protect(&cells, &five());
        assert_eq!(p, vec![Released, Primary, Secondary]);
        assert!(audit(&cells, &p, &five()).is_empty());
    }

    #[test]
    fn zero_is_shown() {
        let cells = [
            cell([0, 1, 2], 12),
            cell([0], 0),
            cell([1], 3),
            cell([2], 9),
        ];
        let p = protect(&cells, &five());
        assert_eq!(p[1], Released);
        assert_eq!(p[2], Primary);
        assert_ne!(p[3], Released, "9 would give the 3 away");
        assert!(audit(&cells, &p, &five()).is_empty());
    }

    #[test]
    fn counts_at_or_above_the_threshold_with_no_small_cell_are_all_released() {
        let cells = [cell(0..3, 60), cell([0], 5), cell([1], 25), cell([2], 30)];
        assert_eq!(protect(&cells, &five()), vec![Released; 4]);
    }

    #[test]
    fn the_seed_case_hides_only_the_three_when_the_middle_bands_are_not_in_the_table() {
        // Inner cells: 18-24, 25-29, 30-34, 35-39, 40-44, 45+.
        let cells = [cell(0..6, 44), cell([0], 3), cell([4, 5], 12)];
        let p = protect(&cells, &five());
        assert_eq!(p, vec![Released, Primary, Released]);
        assert!(audit(&cells, &p, &five()).is_empty());
    }

    #[test]
    fn a_two_by_two_table_with_one_small_cell_hides_the_rectangle_and_shows_the_margins() {
        // Interior a=2 b=7 / c=8 d=9, inner cells 0..4 in row order.
        let cells = [
            cell([0], 2),
            cell([1], 7),
            cell([2], 8),
            cell([3], 9),
            cell([0, 1], 9),
            cell([2, 3], 17),
            cell([0, 2], 10),
            cell([1, 3], 16),
            cell(0..4, 26),
        ];
        let p = protect(&cells, &five());
        assert_eq!(&p[..4], &[Primary, Secondary, Secondary, Secondary]);
        assert_eq!(&p[4..], &[Released; 5]);
        assert!(audit(&cells, &p, &five()).is_empty());
    }

    #[test]
    fn two_ones_in_a_relation_with_a_released_total_take_a_third_cell_with_them() {
        let cells = [
            cell(0..4, 52),
            cell([0], 1),
            cell([1], 1),
            cell([2], 20),
            cell([3], 30),
        ];
        let p = protect(&cells, &five());
        assert_eq!(p[1], Primary);
        assert_eq!(p[2], Primary);
        assert_eq!(p[3], Secondary, "the smallest other band goes with them");
        assert_eq!(p[4], Released);
        assert!(audit(&cells, &p, &five()).is_empty());
        // The audit sees the problem without the third cell.
        let naked = [Released, Primary, Primary, Released, Released];
        assert_eq!(audit(&cells, &naked, &five()), vec![1, 2]);
    }

    #[test]
    fn a_threshold_of_ten_hides_counts_up_to_nine() {
        let ten = Policy::new(10).unwrap_or_default();
        let cells = [
            cell(0..4, 62),
            cell([0], 7),
            cell([1], 15),
            cell([2], 10),
            cell([3], 30),
        ];
        let p = protect(&cells, &ten);
        assert_eq!(p, vec![Released, Primary, Released, Secondary, Released]);
        assert!(audit(&cells, &p, &ten).is_empty());
        // Under the default policy nothing here is small.
        assert_eq!(protect(&cells, &five()), vec![Released; 5]);
    }

    #[test]
    fn inconsistent_totals_do_not_panic_and_still_hide_every_small_count() {
        let cases: Vec<Vec<Cell>> = vec![
            // The total is not the sum of its parts.
            vec![cell(0..3, 50), cell([0], 3), cell([1], 20), cell([2], 22)],
            vec![cell(0..3, 10), cell([0], 3), cell([1], 20), cell([2], 22)],
            // The same figure with two values.
            vec![
                cell([0, 1], 12),
                cell([0, 1], 3),
                cell([0], 2),
                cell([1], 9),
            ],
            // A part bigger than its small total; nested small cells that cannot add up.
            vec![
                cell(0..5, 4),
                cell([0], 1),
                cell([1], 1),
                cell([2], 1),
                cell([3], 1),
                cell([4], 1),
            ],
            // A cell with no inner cells, huge values, sparse indices.
            vec![
                cell([], 3),
                cell([], 40),
                cell([7, 1_000_000], u64::MAX),
                cell([7], 2),
            ],
            vec![cell([usize::MAX], u64::MAX), cell([usize::MAX, 0], 1)],
            vec![],
        ];
        for cells in cases {
            let p = protect(&cells, &five());
            assert_eq!(p.len(), cells.len());
            for (c, prot) in cells.iter().zip(&p) {
                if five().is_small(c.value) {
                    assert_eq!(*prot, Primary, "{cells:?}");
                }
            }
            let _ = audit(&cells, &p, &five());
        }
    }

    #[test]
    fn a_policy_built_by_hand_with_a_silly_threshold_does_not_panic() {
        let cells = [cell(0..2, 10), cell([0], 1), cell([1], 9)];
        for threshold in [0, 1, u64::MAX] {
            let policy = Policy { threshold };
            let p = protect(&cells, &policy);
            let _ = audit(&cells, &p, &policy);
            let _ = audit(&cells, &[Primary, Primary], &policy);
        }
    }

    #[test]
    fn the_same_figure_asked_twice_gets_the_same_protection() {
        let cells = [
            cell(0..3, 30),
            cell([0], 2),
            cell([1], 12),
            cell([2], 16),
            cell([1], 12),
            cell(0..3, 30),
        ];
        let p = protect(&cells, &five());
        assert_eq!(p[2], p[4]);
        assert_eq!(p[0], p[5]);
        assert_eq!(p[1], Primary);
        assert!(audit(&cells, &p, &five()).is_empty());
        // Releasing one copy of a hidden figure gives it away.
        let mut leaky = p.clone();
        leaky[4] = Released;
        assert!(audit(&cells, &leaky, &five()).contains(&2));
    }

    #[test]
    fn overlapping_aggregates_are_protected_against_differencing() {
        // "40+" = {4, 5, 6} and "40-49" = {4, 5}: their difference is "50+".
        let cells = [
            cell(0..7, 80),
            cell([4, 5, 6], 23),
            cell([4, 5], 20),
            cell([6], 3),
            cell([0], 10),
        ];
        let p = protect(&cells, &five());
        assert_eq!(p[3], Primary);
        assert!(p[1] != Released || p[2] != Released, "{p:?}");
        assert!(audit(&cells, &p, &five()).is_empty());
    }

    #[test]
    fn cells_the_labels_alone_give_away_are_reported_by_the_audit() {
        // Four bands "fewer than 5" inside a total "fewer than 5": all must be 1.
        let cells = [
            cell(0..4, 4),
            cell([0], 1),
            cell([1], 1),
            cell([2], 1),
            cell([3], 1),
        ];
        let p = protect(&cells, &five());
        assert_eq!(p, vec![Primary; 5]);
        assert_eq!(audit(&cells, &p, &five()), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn with_threshold_two_the_label_states_the_value_and_is_not_reported() {
        let two = Policy::new(2).unwrap_or_default();
        let cells = [cell(0..3, 20), cell([0], 1), cell([1], 9), cell([2], 10)];
        let p = protect(&cells, &two);
        assert_eq!(p[1], Primary);
        // "fewer than 2" already says 1, so nothing else needs hiding.
        assert_eq!(hidden(&p), vec![1]);
        assert!(audit(&cells, &p, &two).is_empty());
    }

    #[test]
    fn the_audit_flags_a_primary_next_to_its_total_and_one_released_band() {
        let cells = [cell([0, 1], 13), cell([0], 3), cell([1], 10)];
        assert_eq!(
            audit(&cells, &[Released, Primary, Released], &five()),
            vec![1]
        );
        // Missing entries count as released.
        assert_eq!(audit(&cells, &[Released, Primary], &five()), vec![1]);
    }

    #[test]
    fn a_table_of_a_few_hundred_cells_is_protected_quickly() {
        // 14 x 14 interior (196 inner cells) with margins: 225 cells.
        let n = 14;
        let value = |i: usize, j: usize| ((i * 7 + j * 13 + i * j) % 23) as u64;
        let mut cells = Vec::new();
        for i in 0..n {
            for j in 0..n {
                cells.push(cell([i * n + j], value(i, j)));
            }
        }
        for i in 0..n {
            let row = (0..n).map(|j| value(i, j)).sum();
            cells.push(cell((0..n).map(|j| i * n + j), row));
        }
        for j in 0..n {
            let col = (0..n).map(|i| value(i, j)).sum();
            cells.push(cell((0..n).map(|i| i * n + j), col));
        }
        let total = cells[..n * n].iter().map(|c| c.value).sum();
        cells.push(cell(0..n * n, total));
        let start = std::time::Instant::now();
        let p = protect(&cells, &five());
        let took = start.elapsed();
        assert!(audit(&cells, &p, &five()).is_empty());
        assert!(took.as_secs() < 20, "took {took:?}");
        // Row 10 is fourteen 1s: its total of 14 would pin them all.
        assert_ne!(p[n * n + 10], Released);
    }

    #[test]
    fn the_brute_force_attacker_catches_a_missing_secondary() {
        let cells = [cell([0, 1], 13), cell([0], 3), cell([1], 10)];
        let truth = [3, 10];
        let naked = Attacker::new(&cells, &[Released, Primary, Released], 5, &truth);
        assert!(!naked.can_differ(1, 3));
        let covered = Attacker::new(&cells, &[Released, Primary, Secondary], 5, &truth);
        assert!(covered.can_differ(1, 3) && covered.can_differ(2, 10));
        // x + y = 2 with both at least 1.
        let cells = [cell(0..3, 12), cell([0], 1), cell([1], 1), cell([2], 10)];
        let pair = Attacker::new(
            &cells,
            &[Released, Primary, Primary, Released],
            5,
            &[1, 1, 10],
        );
        assert!(!pair.can_differ(1, 1));
    }

    // --- An independent brute-force attacker --------------------------------

    /// Knows what an FOI reader knows: released values, "fewer than t" for
    /// primaries, "at least 1" for secondaries, non-negative integer inner
    /// cells numbered `0..n`.
    struct Attacker {
        sets: Vec<Vec<usize>>,
        lo: Vec<u64>,
        hi: Vec<u64>,
        /// Largest value tried for each inner cell: the smallest upper bound
        /// of a cell containing it, or well above its true value if none.
        cap: Vec<u64>,
        member: Vec<Vec<usize>>,
    }

    impl Attacker {
        fn new(cells: &[Cell], prot: &[Protection], t: u64, truth: &[u64]) -> Attacker {
            let n = truth.len();
            let sets: Vec<Vec<usize>> = cells
                .iter()
                .map(|c| c.inner.iter().copied().collect())
                .collect();
            let (lo, hi): (Vec<u64>, Vec<u64>) = cells
                .iter()
                .zip(prot)
                .map(|(c, p)| match p {
                    Released => (c.value, c.value),
                    Primary => (1, t - 1),
                    Secondary => (1, u64::MAX),
                })
                .unzip();
            let mut cap: Vec<u64> = truth.iter().map(|&v| v + 3 * t + 5).collect();
            let mut member = vec![Vec::new(); n];
            for (c, set) in sets.iter().enumerate() {
                for &i in set {
                    cap[i] = cap[i].min(hi[c]);
                    member[i].push(c);
                }
            }
            Attacker {
                sets,
                lo,
                hi,
                cap,
                member,
            }
        }

        fn sum(&self, c: usize, x: &[u64]) -> u64 {
            self.sets[c].iter().map(|&i| x[i]).sum()
        }

        fn consistent(&self, x: &[u64]) -> bool {
            (0..self.sets.len()).all(|c| (self.lo[c]..=self.hi[c]).contains(&self.sum(c, x)))
        }

        /// Is there a consistent assignment in which cell `target` is not
        /// `avoid`? Exhaustive depth-first search over the capped box (the
        /// cap can only hide alternatives, so it errs towards failing the
        /// test, never towards passing it). As the true table is consistent
        /// (checked separately), "yes" means the cell takes at least two
        /// values over all consistent assignments.
        fn can_differ(&self, target: usize, avoid: u64) -> bool {
            let n = self.cap.len();
            let mut order = self.sets[target].clone();
            let mut rest: Vec<usize> = (0..n).filter(|i| !order.contains(i)).collect();
            rest.sort_by_key(|&i| (self.cap[i], i));
            order.extend(rest);
            let mut partial = vec![0u64; self.sets.len()];
            let mut room: Vec<u64> = self
                .sets
                .iter()
                .map(|s| s.iter().map(|&i| self.cap[i]).sum())
                .collect();
            let mut left: Vec<usize> = self.sets.iter().map(Vec::len).collect();
            let mut nodes = 0u64;
            self.dfs(
                &order,
                &mut partial,
                &mut room,
                &mut left,
                target,
                avoid,
                &mut nodes,
            )
        }

        #[allow(clippy::too_many_arguments)]
        fn dfs(
            &self,
            order: &[usize],
            partial: &mut [u64],
            room: &mut [u64],
            left: &mut [usize],
            target: usize,
            avoid: u64,
            nodes: &mut u64,
        ) -> bool {
            let Some((&i, order)) = order.split_first() else {
                return true;
            };
            for v in 0..=self.cap[i] {
                *nodes += 1;
                assert!(*nodes < 5_000_000, "brute force too slow");
                for &c in &self.member[i] {
                    partial[c] += v;
                    room[c] -= self.cap[i];
                    left[c] -= 1;
                }
                let over = self.member[i].iter().any(|&c| partial[c] > self.hi[c]);
                let ok = !over
                    && self.member[i].iter().all(|&c| {
                        partial[c] + room[c] >= self.lo[c]
                            && !(c == target && left[c] == 0 && partial[c] == avoid)
                    });
                let found = ok && self.dfs(order, partial, room, left, target, avoid, nodes);
                for &c in &self.member[i] {
                    partial[c] -= v;
                    room[c] += self.cap[i];
                    left[c] += 1;
                }
                if found {
                    return true;
                }
                if over {
                    break;
                }
            }
            false
        }
    }

    /// Protects `cells` (whose inner cells have the values `truth`) and
    /// attacks the result by brute force.
    fn check(cells: &[Cell], truth: &[u64], t: u64) -> Result<(), TestCaseError> {
        let policy = Policy::new(t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let prot = protect(cells, &policy);
        prop_assert_eq!(prot.len(), cells.len());
        for (i, c) in cells.iter().enumerate() {
            // (1) Nothing small is released; only small cells are primary;
            // zeros are shown.
            prop_assert_eq!(prot[i] == Primary, policy.is_small(c.value));
            if c.value == 0 {
                prop_assert_eq!(prot[i], Released);
            }
            for (j, d) in cells.iter().enumerate() {
                if c.inner == d.inner {
                    prop_assert_eq!(prot[i], prot[j]);
                }
            }
        }
        let attacker = Attacker::new(cells, &prot, t, truth);
        // (3) The true table is consistent with what is published.
        prop_assert!(attacker.consistent(truth));
        // What is inevitably given away by the labels alone.
        let all_hidden: Vec<Protection> = cells
            .iter()
            .map(|c| match c.value {
                0 => Released,
                v if policy.is_small(v) => Primary,
                _ => Secondary,
            })
            .collect();
        let labels_only = Attacker::new(cells, &all_hidden, t, truth);
        let mut derivable = BTreeSet::new();
        for i in hidden(&prot) {
            if !attacker.can_differ(i, cells[i].value) {
                // (2) No hidden cell is derivable, unless no pattern could help.
                prop_assert!(
                    !labels_only.can_differ(i, cells[i].value),
                    "cell {} derivable\ncells {:?}\nprotection {:?}",
                    i,
                    cells,
                    prot
                );
                // With threshold 2 the label states the value; not reported.
                if !(t <= 2 && prot[i] == Primary) {
                    derivable.insert(i);
                }
            }
        }
        // (4) The audit agrees: empty, apart from those inevitable cells.
        let reported: BTreeSet<usize> = audit(cells, &prot, &policy).into_iter().collect();
        prop_assert_eq!(reported, derivable);
        Ok(())
    }

    /// Two answers over one table: the cells where `first` is true are
    /// answered first, the rest later with the first answer's releases and
    /// withholdings as priors. Nothing hidden by either answer may be
    /// derivable from both together, unless the first answer's releases and
    /// the labels alone give it away.
    fn check_two_answers(
        cells: &[Cell],
        truth: &[u64],
        first: &[bool],
        t: u64,
    ) -> Result<(), TestCaseError> {
        let policy = Policy::new(t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let a: Vec<usize> = (0..cells.len()).filter(|&i| first[i]).collect();
        let a_cells: Vec<Cell> = a.iter().map(|&i| cells[i].clone()).collect();
        let a_prot = protect(&a_cells, &policy);
        let mut priors = vec![Prior::New; cells.len()];
        for (&i, p) in a.iter().zip(&a_prot) {
            priors[i] = match p {
                Released => Prior::Released,
                Primary => Prior::FewerThan {
                    threshold: t,
                    known: true,
                },
                Secondary => Prior::Withheld { known: true },
            };
        }
        let second = protect_with(cells, &priors, &[], &policy);
        let mut prot = second.protection.clone();
        for (&i, &p) in a.iter().zip(&a_prot) {
            prot[i] = p;
        }
        for i in 0..cells.len() {
            if !first[i] {
                prop_assert_eq!(prot[i] == Primary, policy.is_small(cells[i].value));
            }
        }
        let attacker = Attacker::new(cells, &prot, t, truth);
        prop_assert!(attacker.consistent(truth));
        let worst: Vec<Protection> = (0..cells.len())
            .map(|i| match cells[i].value {
                _ if first[i] => prot[i],
                0 => Released,
                v if policy.is_small(v) => Primary,
                _ => Secondary,
            })
            .collect();
        let labels_only = Attacker::new(cells, &worst, t, truth);
        for i in hidden(&prot) {
            if t <= 2 && prot[i] == Primary {
                continue;
            }
            if !attacker.can_differ(i, cells[i].value) {
                prop_assert!(
                    !labels_only.can_differ(i, cells[i].value),
                    "cell {} derivable\ncells {:?}\nfirst {:?}\nprotection {:?}",
                    i,
                    cells,
                    first,
                    prot
                );
            }
        }
        Ok(())
    }

    /// k leaves and their total.
    fn one_way() -> impl Strategy<Value = (Vec<Cell>, Vec<u64>)> {
        prop::collection::vec(0u64..=15, 2..=5).prop_map(|values| {
            let k = values.len();
            let mut cells: Vec<Cell> = (0..k).map(|i| cell([i], values[i])).collect();
            cells.push(cell(0..k, values.iter().sum()));
            (cells, values)
        })
    }

    /// r x c interior cells with row totals, column totals and grand total.
    fn two_way() -> impl Strategy<Value = (Vec<Cell>, Vec<u64>)> {
        (2usize..=3, 2usize..=3).prop_flat_map(|(r, c)| {
            prop::collection::vec(0u64..=9, r * c).prop_map(move |values| {
                let at = |i: usize, j: usize| i * c + j;
                let mut cells: Vec<Cell> = (0..r * c).map(|k| cell([k], values[k])).collect();
                for i in 0..r {
                    let inner: Vec<usize> = (0..c).map(|j| at(i, j)).collect();
                    cells.push(cell(inner.clone(), inner.iter().map(|&k| values[k]).sum()));
                }
                for j in 0..c {
                    let inner: Vec<usize> = (0..r).map(|i| at(i, j)).collect();
                    cells.push(cell(inner.clone(), inner.iter().map(|&k| values[k]).sum()));
                }
                cells.push(cell(0..r * c, values.iter().sum()));
                (cells, values)
            })
        })
    }

    /// Leaves (some left out of the table), two overlapping aggregates of
    /// consecutive leaves, and the total.
    fn hierarchy() -> impl Strategy<Value = (Vec<Cell>, Vec<u64>)> {
        (
            prop::collection::vec(0u64..=12, 3..=6),
            any::<[u8; 4]>(),
            prop::collection::vec(prop::bool::weighted(0.75), 6),
        )
            .prop_map(|(values, seeds, shown)| {
                let n = values.len();
                let sum = |range: std::ops::RangeInclusive<usize>| -> Cell {
                    let total = range.clone().map(|i| values[i]).sum();
                    cell(range, total)
                };
                // First aggregate: [a, b] with b > a.
                let a = usize::from(seeds[0]) % (n - 1);
                let b = a + 1 + usize::from(seeds[1]) % (n - 1 - a);
                // Second: starts inside the first, so they overlap.
                let c = (a + usize::from(seeds[2]) % (b - a + 1)).min(n - 2);
                let d = c + 1 + usize::from(seeds[3]) % (n - 1 - c);
                let mut cells: Vec<Cell> = (0..n)
                    .filter(|&i| shown[i])
                    .map(|i| cell([i], values[i]))
                    .collect();
                cells.push(sum(a..=b));
                cells.push(sum(c..=d));
                cells.push(sum(0..=n - 1));
                (cells, values)
            })
    }

    /// A 2 x 2 x 2 table with all its two-way margins and, sometimes, the
    /// grand total: relations a 2-D table does not have.
    fn three_way() -> impl Strategy<Value = (Vec<Cell>, Vec<u64>)> {
        (prop::collection::vec(0u64..=7, 8), any::<bool>()).prop_map(|(values, total)| {
            let at = |i: usize, j: usize, k: usize| (i * 2 + j) * 2 + k;
            let mut cells: Vec<Cell> = (0..8).map(|x| cell([x], values[x])).collect();
            let mut add = |inner: Vec<usize>| {
                let v = inner.iter().map(|&x| values[x]).sum();
                cells.push(cell(inner, v));
            };
            for a in 0..2 {
                for b in 0..2 {
                    add((0..2).map(|k| at(a, b, k)).collect());
                    add((0..2).map(|j| at(a, j, b)).collect());
                    add((0..2).map(|i| at(i, a, b)).collect());
                }
            }
            if total {
                add((0..8).collect());
            }
            (cells, values)
        })
    }

    /// Arbitrary overlapping cells over a few inner cells, plus the total.
    fn overlapping() -> impl Strategy<Value = (Vec<Cell>, Vec<u64>)> {
        (
            prop::collection::vec(0u64..=6, 3..=7),
            prop::collection::vec(prop::collection::btree_set(0usize..7, 1..=5), 1..=7),
        )
            .prop_map(|(values, sets)| {
                let n = values.len();
                let mut cells: Vec<Cell> = sets
                    .into_iter()
                    .map(|set| set.into_iter().filter(|&i| i < n).collect::<Vec<_>>())
                    .filter(|inner| !inner.is_empty())
                    .map(|inner| {
                        let v = inner.iter().map(|&i| values[i]).sum();
                        cell(inner, v)
                    })
                    .collect();
                cells.push(cell(0..n, values.iter().sum()));
                (cells, values)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn two_answers_over_a_two_way_table_are_safe_together((cells, truth) in two_way(), mask in prop::collection::vec(any::<bool>(), 16), t in 3u64..=6) {
            let first: Vec<bool> = (0..cells.len()).map(|i| mask[i % mask.len()]).collect();
            check_two_answers(&cells, &truth, &first, t)?;
        }

        #[test]
        fn two_answers_over_a_hierarchy_are_safe_together((cells, truth) in hierarchy(), mask in prop::collection::vec(any::<bool>(), 16), t in 3u64..=6) {
            let first: Vec<bool> = (0..cells.len()).map(|i| mask[i % mask.len()]).collect();
            check_two_answers(&cells, &truth, &first, t)?;
        }

        #[test]
                fn one_way_tables_are_safe_against_a_brute_force_attacker((cells, truth) in one_way(), t in 3u64..=6) {
            check(&cells, &truth, t)?;
        }

        #[test]
        fn two_way_tables_are_safe_against_a_brute_force_attacker((cells, truth) in two_way(), t in 3u64..=6) {
            check(&cells, &truth, t)?;
        }

        #[test]
        fn hierarchies_are_safe_against_a_brute_force_attacker((cells, truth) in hierarchy(), t in 3u64..=6) {
            check(&cells, &truth, t)?;
        }

        #[test]
        fn three_way_tables_are_safe_against_a_brute_force_attacker((cells, truth) in three_way(), t in 2u64..=6) {
            check(&cells, &truth, t)?;
        }

        #[test]
        fn overlapping_cells_are_safe_against_a_brute_force_attacker((cells, truth) in overlapping(), t in 2u64..=6) {
            check(&cells, &truth, t)?;
        }
    }
}
