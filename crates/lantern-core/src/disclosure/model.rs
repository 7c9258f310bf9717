//! The constraint model shared by the rank test, propagation and search:
//! the attacker's variables (inner cells and each cell's sum), the linear
//! relations between them (each cell's sum, nesting relations derived from
//! the cells, the caller's [`Relation`]s) and what the attacker knows of
//! each under a protection pattern.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::search::{Outcome, SEARCH_NODES, search, sums_plainly};
use super::{Cell, Prior, Protection, Relation};

/// Stands for "no upper bound". Counts are `u64`, so real sums of even
/// millions of cells stay far below it, and sums saturate at it.
pub(super) const INF: i128 = 1 << 100;
/// Derived equations allowed in total (counted in terms), so that odd inputs
/// cannot make the model quadratic in size.
const DERIVED_TERMS: usize = 200_000;
/// Derived nesting equations allowed per cell.
const DERIVED_PER_CELL: usize = 16;

/// Adds two non-negative bounds, saturating at [`INF`].
pub(super) fn add(a: i128, b: i128) -> i128 {
    a.saturating_add(b).min(INF)
}

/// One input cell: its inner cells add up to its sum variable.
pub(super) struct Con {
    /// Index of the input cell.
    pub(super) cell: usize,
    /// Compact indices of its inner cells, ascending.
    pub(super) vars: Vec<usize>,
    /// The cell's true value (a placeholder when not `known`).
    pub(super) value: i128,
    /// Whether `value` is the true value.
    pub(super) known: bool,
    /// What the attacker knew of the cell before, when it is hidden:
    /// `[prior_lo, prior_hi]`.
    pub(super) prior_lo: i128,
    pub(super) prior_hi: i128,
}

/// One linear relation used by propagation: `lo <= sum(a * v) <= hi` over
/// distinct variables `v` with non-zero integer coefficients `a`.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) terms: Vec<(usize, i128)>,
    pub(super) lo: i128,
    pub(super) hi: i128,
    /// The constraints (cells) it was derived from.
    pub(super) sources: Vec<usize>,
}

/// Variables `0..m` are the inner cells; variable `m + k` is the sum of
/// constraint `k` (one per input cell with inner cells).
pub(super) struct Model {
    pub(super) m: usize,
    pub(super) cons: Vec<Con>,
    pub(super) con_of_cell: Vec<Option<usize>>,
    /// For each inner cell, the constraints containing it.
    pub(super) var_cons: Vec<Vec<usize>>,
    /// `links[k]` says constraint `k` is the sum of its inner cells; then
    /// come derived nesting relations (see [`Model::derive`]), then the
    /// caller's [`Relation`]s (from `relations` on).
    pub(super) links: Vec<Link>,
    /// Index of the first caller's relation in `links`.
    pub(super) relations: usize,
    /// For every variable, the links of `links` it appears in.
    var_links: Vec<Vec<usize>>,
    /// For every inner cell, the caller's relations (indices into `links`)
    /// it appears in, ascending.
    pub(super) var_relations: Vec<Vec<usize>>,
}

impl Model {
    pub(super) fn new(cells: &[Cell]) -> Model {
        Model::with_priors(cells, &[], &[])
    }

    pub(super) fn with_priors(cells: &[Cell], priors: &[Prior], relations: &[Relation]) -> Model {
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
        let mut var_links = vec![Vec::new(); m + cons.len()];
        for (l, link) in links.iter().enumerate() {
            for &(v, _) in &link.terms {
                var_links[v].push(l);
            }
        }
        let var_relations = (0..m)
            .map(|v| {
                var_links[v]
                    .iter()
                    .copied()
                    .filter(|&l| l >= first_relation)
                    .collect()
            })
            .collect();
        Model {
            m,
            cons,
            con_of_cell,
            var_cons,
            links,
            relations: first_relation,
            var_links,
            var_relations,
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
            // The inner cells the family covers (a flag per inner cell,
            // cleared after each family).
            let mut covered = vec![false; m];
            for &seed in &subs {
                if families.len() >= DERIVED_PER_CELL || budget < outer.len() + 1 {
                    break;
                }
                let mut family = vec![seed];
                for &v in &cons[seed].vars {
                    covered[v] = true;
                }
                for &a in &subs {
                    if a != seed && cons[a].vars.iter().all(|&v| !covered[v]) {
                        for &v in &cons[a].vars {
                            covered[v] = true;
                        }
                        family.push(a);
                    }
                }
                let mut terms: Vec<(usize, i128)> = Vec::new();
                terms.extend(outer.iter().filter(|&&v| !covered[v]).map(|&v| (v, 1)));
                for &a in &family {
                    for &v in &cons[a].vars {
                        covered[v] = false;
                    }
                }
                family.sort_unstable();
                if !families.insert(family.clone()) {
                    continue;
                }
                let rest = std::mem::take(&mut terms);
                terms.extend(family.iter().map(|&a| (m + a, 1)));
                terms.extend(rest);
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

    pub(super) fn width(&self) -> usize {
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
    pub(super) fn attacker_bounds(&self, protection: &[Protection], t: u64) -> Bounds {
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

    /// What is true of the cells: each known cell's sum is its value, each
    /// other cell's lies in what was known of it before.
    pub(super) fn truth_bounds(&self) -> Bounds {
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
        b
    }

    /// An assignment of the inner cells matching every cell's true value, if
    /// one can be found (there is none when the input is inconsistent).
    ///
    /// It is built directly when it can be ([`Model::constructed`], checked
    /// against every bound), and searched for otherwise. Any assignment
    /// matching the truth will do: it only seeds the witness searches (and
    /// tells them where to stay close to), and a witness search's answer —
    /// whether a cell can take another value — does not depend on where it
    /// starts, only how long it takes to find it. So the decisions are the
    /// same as with a searched one unless some search runs out of budget
    /// (`tests::decisions_do_not_depend_on_how_the_truth_was_found`).
    pub(super) fn truth(&self) -> Option<Vec<i128>> {
        let b = self.truth_bounds();
        #[cfg(test)]
        if tests::TRUTH_BY_SEARCH.with(std::cell::Cell::get) {
            return self.truth_by_search(&b);
        }
        match self.constructed(&b) {
            Some(x) => Some(x),
            None => self.truth_by_search(&b),
        }
    }

    /// The depth-first search for the truth (from the lower bounds, with no
    /// reference), when it is not simply built.
    fn truth_by_search(&self, b: &Bounds) -> Option<Vec<i128>> {
        let mut nodes = SEARCH_NODES;
        match search(&Net::new(self, Vec::new()), b, None, &mut nodes) {
            Outcome::Found(x) => Some(x),
            Outcome::Infeasible | Outcome::GaveUp => None,
        }
    }

    /// The truth built greedily, the north-west corner rule generalised:
    /// inner cells in turn (those in the most cells first, then by number)
    /// each take as much as every cell containing them still lacks, so a
    /// cell's inner cells fill it up to its value. For one-way tables, a
    /// table with its margins, independent margins of several dimensions
    /// and hierarchies of bands this meets every value; where it does not
    /// (odd overlaps, cells known only to lie in a range, relations) the
    /// result fails the check against `b` and `None` is returned.
    pub(super) fn constructed(&self, b: &Bounds) -> Option<Vec<i128>> {
        let m = self.m;
        // What each cell still lacks (the upper end for a cell known only
        // to lie in a range; INF for no upper end).
        let mut lacking: Vec<i128> = (0..self.cons.len()).map(|k| b.hi[m + k]).collect();
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by_key(|&v| (std::cmp::Reverse(self.var_cons[v].len()), v));
        let mut x = vec![0i128; m];
        for v in order {
            let take = self.var_cons[v]
                .iter()
                .map(|&k| lacking[k])
                .min()
                .unwrap_or(0);
            if take <= 0 || take >= INF {
                continue;
            }
            x[v] = take;
            for &k in &self.var_cons[v] {
                if lacking[k] < INF {
                    lacking[k] -= take;
                }
            }
        }
        self.satisfies(b, &x).then_some(x)
    }

    /// Every constraint's sum under the inner-cell assignment `x`.
    pub(super) fn sums(&self, x: &[i128]) -> Vec<i128> {
        if sums_plainly(x) {
            return self
                .cons
                .iter()
                .map(|c| c.vars.iter().map(|&v| x[v]).sum::<i128>().min(INF))
                .collect();
        }
        self.cons
            .iter()
            .map(|c| c.vars.iter().fold(0, |s, &v| add(s, x[v])))
            .collect()
    }

    /// Whether `x` meets every bound in `root`.
    pub(super) fn satisfies(&self, root: &Bounds, x: &[i128]) -> bool {
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
    pub(super) fn holds(&self, x: &[i128]) -> bool {
        let sum = self.terms.iter().fold(0i128, |s, &(v, a)| {
            s.saturating_add(a.saturating_mul(x.get(v).copied().unwrap_or(0)))
        });
        self.lo <= sum && sum <= self.hi
    }
}

/// The model's relations plus some for one protection pattern, indexed for
/// propagation.
pub(super) struct Net<'a> {
    pub(super) model: &'a Model,
    pub(super) extra: Vec<Link>,
    /// For every variable, the links it appears in.
    pub(super) var_links: Cow<'a, [Vec<usize>]>,
}

impl<'a> Net<'a> {
    pub(super) fn new(model: &'a Model, extra: Vec<Link>) -> Net<'a> {
        // The model's own index, extended with the extra links (numbered
        // after the model's) when there are any.
        let var_links = if extra.is_empty() {
            Cow::Borrowed(model.var_links.as_slice())
        } else {
            let mut var_links = model.var_links.clone();
            for (e, link) in extra.iter().enumerate() {
                for &(v, _) in &link.terms {
                    var_links[v].push(model.links.len() + e);
                }
            }
            Cow::Owned(var_links)
        };
        Net {
            model,
            extra,
            var_links,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.model.links.len() + self.extra.len()
    }

    pub(super) fn link(&self, l: usize) -> &Link {
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
pub(super) struct Bounds {
    pub(super) lo: Vec<i128>,
    pub(super) hi: Vec<i128>,
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::disclosure::{Cell, Prior};

    thread_local! {
        /// Find the truth by the search alone, as before it was built
        /// directly (the reference of the equivalence test).
        pub(in crate::disclosure) static TRUTH_BY_SEARCH: std::cell::Cell<bool> =
            const { std::cell::Cell::new(false) };
    }

    /// [`Model::derive`] as first written, with the covered inner cells in
    /// a set: the tests' reference.
    fn derive_by_sets(m: usize, cons: &[Con]) -> Vec<Link> {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The nesting relations are the same, term for term and source for
        /// source, as those of the first way of writing them.
        #[test]
        fn nesting_relations_are_derived_as_before(
            cells in prop::collection::vec(prop::collection::btree_set(0usize..10, 1..=8), 1..=12),
        ) {
            let cells: Vec<Cell> = cells
                .into_iter()
                .map(|inner| Cell { inner, value: 1 })
                .collect();
            let model = Model::with_priors(&cells, &vec![Prior::New; cells.len()], &[]);
            let derived = Model::derive(model.m, &model.cons);
            let reference = derive_by_sets(model.m, &model.cons);
            prop_assert_eq!(derived.len(), reference.len());
            for (a, b) in derived.iter().zip(&reference) {
                prop_assert_eq!(&a.terms, &b.terms);
                prop_assert_eq!(&a.sources, &b.sources);
                prop_assert_eq!((a.lo, a.hi), (b.lo, b.hi));
            }
        }
    }
}
