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
//!
//! # Layout
//!
//! - `policy`: the threshold ([`Policy`]) and why one is refused.
//! - this module: what goes in and comes out ([`Cell`], [`Protection`],
//!   [`Prior`], [`Relation`]).
//! - `suppress`: choosing what to withhold ([`protect`], [`protect_after`],
//!   [`protect_with`]): figures, the Gaussian pass and the repair loop.
//! - `derivable`: whether any hidden cell is derivable ([`audit`],
//!   [`audit_with`]): the rank test, propagation and the witness search.
//! - `model`: the attacker's constraints shared by both: inner cells, sums,
//!   derived nesting relations, bounds.
//! - `propagate`: bound propagation over those constraints, with reasons.
//! - `search`: the depth-first search for an assignment meeting bounds.
//! - `linear`: exact integer elimination (fraction-free, on `i128`).

mod derivable;
mod linear;
mod model;
mod policy;
mod propagate;
mod search;
mod suppress;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use derivable::{Finding, audit, audit_with};
pub use policy::{Policy, PolicyError};
pub use suppress::{Protected, protect, protect_after, protect_with};

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
