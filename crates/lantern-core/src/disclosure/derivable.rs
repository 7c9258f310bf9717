//! The audit: which withheld cells an attacker can pin to one value, by
//! (a) a rank test against the released cells, (b) bound propagation with
//! the relations they imply and (c) a witness search showing a cell can take
//! another value (see the module notes of [`crate::disclosure`]).

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::linear::{Basis, Overflow, is_zero};
use super::model::{Bounds, Link, Model, Net};
use super::propagate::{NO_REASON, Why, propagate};
use super::search::{Outcome, SEARCH_NODES, search};
use super::{Cell, Policy, Prior, Protection, Relation};

/// Search nodes allowed for all witness searches of one audit.
const AUDIT_NODES: usize = 100_000;
/// Longest equation taken from the elimination of the released cells.
const ELIMINATED_TERMS: usize = 64;

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

/// Why a hidden cell is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flag {
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

pub(super) struct Examination {
    /// Reported cells (input indices) and why.
    pub(super) flags: BTreeMap<usize, Flag>,
    /// The rank test and propagation it used (`None` when no cell was
    /// checked).
    pub(super) prep: Option<Rc<Prepared>>,
}

/// How much of the audit to run.
#[derive(Clone, Copy)]
pub(super) struct Scope<'s> {
    /// Run the witness search (otherwise only the rank test and propagation).
    pub(super) search: bool,
    /// Check only these cells (all cells still constrain the attacker).
    pub(super) only: Option<&'s BTreeSet<usize>>,
    /// Stop the witness search at the first cell it reports.
    pub(super) first: bool,
    /// Search nodes left for the whole of [`protect`](super::protect), if it is the caller.
    pub(super) pool: Option<&'s std::cell::Cell<usize>>,
}

impl Scope<'_> {
    pub(super) const FULL: Scope<'static> = Scope {
        search: true,
        only: None,
        first: false,
        pool: None,
    };
}

/// The part of an audit that depends only on the protection pattern, not on
/// which cells are checked or on the search budget: the rank test for every
/// concealed cell and bound propagation. [`protect`](super::protect) audits
/// the same pattern many times, so it keeps these (see [`Prepared::new`]).
pub(super) struct Prepared {
    /// What the attacker knows under the pattern.
    root: Bounds,
    /// Hidden constraints not exempt (their labels do not state them).
    concealed: Vec<usize>,
    /// For each of `concealed`, what the rank test says (`None`: not in the
    /// row space).
    linear: Vec<Option<Flag>>,
    /// Propagated bounds with reasons, `None` on a contradiction.
    pub(super) bounds: Option<(Bounds, Why)>,
    /// The links added for this pattern (reasons may point at them).
    pub(super) extra: Vec<Link>,
}

impl Prepared {
    /// Runs (a) and (b) of the audit for `protection`: exactly what
    /// [`examine`] would compute for any set of checked cells, since the
    /// elimination and the propagation use every cell whatever is checked.
    pub(super) fn new(model: &Model, protection: &[Protection], t: u64) -> Prepared {
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
            prot(k) != Protection::Released
                && root.lo[m + k] == root.hi[m + k]
                && root.lo[m + k] >= 1
        };
        let concealed: Vec<usize> = (0..model.cons.len())
            .filter(|&k| prot(k) != Protection::Released && !exempt(k))
            .collect();
        if concealed.is_empty() {
            return Prepared {
                root,
                concealed,
                linear: Vec::new(),
                bounds: None,
                extra: Vec::new(),
            };
        }

        // (a) Rank test, by elimination over the released cells with their
        // values carried along. Columns of inner cells outside every hidden
        // cell come first, so rows among hidden inner cells only (x + y = 2)
        // come out.
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
        let linear: Vec<Option<Flag>> = concealed
            .iter()
            .map(|&k| match basis.residual(row_of(&model.cons[k].vars, 0)) {
                _ if !whole => Some(Flag::Unproven),
                Ok(r) if is_zero(&r[..m]) => Some(Flag::Linear),
                Ok(_) => None,
                Err(Overflow) => Some(Flag::Unproven),
            })
            .collect();
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
        let bounds = propagate(&net, &mut b, 0..net.len(), Some(&mut why)).then_some((b, why));
        Prepared {
            root,
            concealed,
            linear,
            bounds,
            extra: net.extra,
        }
    }
}

/// Audits `protection` (one entry per cell). `truth` is an assignment
/// matching every true value, used to seed the witness search.
pub(super) fn examine(
    model: &Model,
    protection: &[Protection],
    t: u64,
    truth: Option<&[i128]>,
    scope: Scope,
) -> Examination {
    examine_prepared(
        model,
        Rc::new(Prepared::new(model, protection, t)),
        truth,
        scope,
    )
}

/// [`examine`] with (a) and (b) already run for the pattern.
pub(super) fn examine_prepared(
    model: &Model,
    prep: Rc<Prepared>,
    truth: Option<&[i128]>,
    scope: Scope,
) -> Examination {
    let m = model.m;
    let cell = |k: usize| model.cons[k].cell;
    let checked: Vec<(usize, Option<Flag>)> = prep
        .concealed
        .iter()
        .zip(&prep.linear)
        .filter(|&(&k, _)| scope.only.is_none_or(|o| o.contains(&cell(k))))
        .map(|(&k, &f)| (k, f))
        .collect();
    let mut flags = BTreeMap::new();
    if checked.is_empty() {
        return Examination { flags, prep: None };
    }
    for &(k, f) in &checked {
        if let Some(f) = f {
            flags.insert(cell(k), f);
        }
    }
    let Some((b, _)) = &prep.bounds else {
        for &(k, _) in &checked {
            flags.entry(cell(k)).or_insert(Flag::Contradiction);
        }
        return Examination {
            flags,
            prep: Some(prep),
        };
    };
    for &(k, _) in &checked {
        if b.lo[m + k] == b.hi[m + k] {
            flags.entry(cell(k)).or_insert(Flag::Bounds);
        }
    }

    // (c) Witness search.
    let open: Vec<usize> = checked
        .iter()
        .map(|&(k, _)| k)
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
        witnesses(&plain, &prep.root, b, truth, &open, &mut quota, &mut flags);
        if let Some(pool) = scope.pool {
            pool.set(pool.get().saturating_sub(before - quota.nodes));
        }
    }
    Examination {
        flags,
        prep: Some(prep),
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
                super::search::ran_out();
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
