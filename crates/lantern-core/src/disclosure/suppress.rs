//! Choosing what to withhold: the cells of a table are grouped into
//! figures (identical inner sets), a Gaussian pass releases figures from
//! the least to the most preferred for withholding, and audits force one
//! more figure hidden per round until nothing leaks (see the module notes
//! of [`crate::disclosure`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use super::derivable::{Examination, Flag, Prepared, Scope, examine_prepared};
use super::linear::{Basis, Row, eliminate, is_zero};
use super::model::{Link, Model};
use super::propagate::{NO_REASON, Why};
use super::{Cell, Policy, Prior, Protection, Relation};

/// Search nodes allowed for all the audits of one [`protect`]. Past it,
/// cells not yet shown safe count as derivable and more is hidden.
const PROTECT_NODES: usize = 400_000;
/// Candidates tried (with propagation only) when repairing a derivable cell.
const CHEAP_TRIALS: usize = 12;
/// Audited patterns whose rank test and propagation are kept (the cache is
/// emptied when full; it only saves time).
const PREPARED_KEPT: usize = 64;
/// Candidates tried (with the witness search) when propagation cannot tell.
const FULL_TRIALS: usize = 3;

/// Decide which cells are released. Returns one Protection per input cell,
/// same order.
///
/// Small counts are [`Protection::Primary`]; further cells are made
/// [`Protection::Secondary`] until [`audit`](super::audit) finds no hidden
/// cell derivable (apart from cells the labels alone give away; see the
/// module notes).
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
    /// Rank tests and propagation of the patterns audited so far.
    prepared: RefCell<HashMap<Vec<Protection>, Rc<Prepared>>>,
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
            prepared: RefCell::new(HashMap::new()),
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
                basis.rows.push(Row::new(p, r, Vec::new()));
            } else {
                hidden[g] = true;
                residuals.push(r);
            }
        }
        hidden
    }

    /// Audits `protection` as [`examine`](super::derivable::examine) does,
    /// reusing the rank test and propagation of a pattern audited before
    /// (they depend on the pattern alone, so the result is the same).
    fn examine(
        &self,
        protection: &[Protection],
        truth: Option<&[i128]>,
        scope: Scope,
    ) -> Examination {
        let cached = self.prepared.borrow().get(protection).cloned();
        let prep = match cached {
            Some(p) => p,
            None => {
                let p = Rc::new(Prepared::new(
                    &self.model,
                    protection,
                    self.policy.threshold,
                ));
                let mut cache = self.prepared.borrow_mut();
                if cache.len() >= PREPARED_KEPT {
                    cache.clear();
                }
                cache.insert(protection.to_vec(), Rc::clone(&p));
                p
            }
        };
        examine_prepared(&self.model, prep, truth, scope)
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
        self.examine(&protection, truth, scope)
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
        let cheap = Scope {
            search: false,
            ..Scope::FULL
        };
        let exam = self.examine(protection, truth, cheap);
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
            let exam = self.examine(protection, truth, scope);
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
        let bounds = exam.prep.as_ref().and_then(|p| p.bounds.as_ref());
        let near: BTreeSet<usize> = match (flag, k, bounds) {
            (Flag::Bounds, Some(k), Some((_, why))) => {
                let extra = exam.prep.as_ref().map_or(&[][..], |p| p.extra.as_slice());
                self.explain(why, extra, k)
            }
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
            let exam = self.examine(&protection, truth, scope);
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
