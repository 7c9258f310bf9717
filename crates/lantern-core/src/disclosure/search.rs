//! The depth-first search for an assignment of the inner cells meeting a
//! set of bounds: it finds a witness, proves there is none, or runs out of
//! its node budget.

use super::model::{Bounds, INF, Model, Net, add};
use super::propagate::{Scratch, propagate_with};

/// Discarded bounds a search keeps for reuse.
const SPARE_BOUNDS: usize = 4;
/// Search nodes allowed for one witness search.
pub(super) const SEARCH_NODES: usize = 1_500;

#[cfg(test)]
thread_local! {
    /// Searches that gave up (ran out of nodes or depth) on this thread,
    /// for tests comparing two ways of deciding: their decisions must agree
    /// whenever neither gave up.
    pub(super) static GAVE_UP: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a search or audit that ran out of budget (tests only).
pub(super) fn note_gave_up() {
    #[cfg(test)]
    GAVE_UP.with(|g| g.set(g.get() + 1));
}

pub(super) enum Outcome {
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
pub(super) fn search(
    net: &Net,
    root: &Bounds,
    reference: Option<&[i128]>,
    nodes: &mut usize,
) -> Outcome {
    let model = net.model;
    let mut scratch = Scratch::default();
    let mut node = root.clone();
    if !propagate_with(net, &mut node, 0..net.len(), None, &mut scratch) {
        return Outcome::Infeasible;
    }
    let depth_cap = 4 * model.m + 64;
    let mut stack: Vec<Frame> = Vec::new();
    // The candidate, and a copy in u64 for [`repair_var`] (buffers reused).
    let mut z: Vec<i128> = Vec::with_capacity(model.m);
    let mut narrow: Vec<u64> = Vec::with_capacity(model.m);
    // Bounds no longer needed, kept to be overwritten rather than
    // allocated again (a few at most).
    let mut spare: Vec<Bounds> = Vec::new();
    let recycle = |spare: &mut Vec<Bounds>, b: Bounds| {
        if spare.len() < SPARE_BOUNDS {
            spare.push(b);
        }
    };
    loop {
        z.clear();
        z.extend((0..model.m).map(|i| {
            let want = reference
                .and_then(|y| y.get(i).copied())
                .unwrap_or(node.lo[i]);
            want.max(node.lo[i]).min(node.hi[i])
        }));
        match repair_var(model, root, &node, &z, &mut narrow) {
            Repair::Done => return Outcome::Found(z),
            Repair::DeadEnd => recycle(&mut spare, node),
            Repair::Branch(var, up_first) => {
                if stack.len() >= depth_cap {
                    note_gave_up();
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
                if let Some(done) = stack.pop() {
                    recycle(&mut spare, done.base);
                }
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
                note_gave_up();
                return Outcome::GaveUp;
            }
            *nodes -= 1;
            let mut next = match spare.pop() {
                Some(mut b) => {
                    b.lo.clone_from(&top.base.lo);
                    b.hi.clone_from(&top.base.hi);
                    b
                }
                None => top.base.clone(),
            };
            next.lo[var] = a;
            next.hi[var] = z;
            let seeds = net.var_links[var].iter().copied();
            if propagate_with(net, &mut next, seeds, None, &mut scratch) {
                node = next;
                break;
            }
            recycle(&mut spare, next);
        }
    }
}

/// Whether the cells' sums of `z` may be taken plainly, capped at [`INF`]
/// once: with every value in `[0, INF]` (`INF` = 2^100) and fewer than
/// 2^26 values no sum overflows, and since no term is negative, capping
/// the total equals capping every partial sum as [`add`] does.
pub(super) fn sums_plainly(z: &[i128]) -> bool {
    z.len() < 1 << 26 && z.iter().all(|&x| (0..=INF).contains(&x))
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
fn repair_var(
    model: &Model,
    root: &Bounds,
    node: &Bounds,
    z: &[i128],
    narrow: &mut Vec<u64>,
) -> Repair {
    let mut best: Option<(i128, usize, bool)> = None;
    let mut broken = false;
    let plain = sums_plainly(z);
    // Small values (the usual case) are summed as u64: with every value at
    // most 2^40 and fewer than 2^20 of them, no sum reaches 2^60 < INF, so
    // the sums are exactly the plain ones (no cap applies).
    narrow.clear();
    if plain && z.len() < 1 << 20 && z.iter().all(|&x| x <= 1 << 40) {
        narrow.extend(z.iter().map(|&x| x as u64));
    }
    let small = narrow.len() == z.len();
    for (k, con) in model.cons.iter().enumerate() {
        let sum = if small {
            i128::from(con.vars.iter().map(|&v| narrow[v]).sum::<u64>())
        } else if plain {
            con.vars.iter().map(|&v| z[v]).sum::<i128>().min(INF)
        } else {
            con.vars.iter().fold(0, |s, &v| add(s, z[v]))
        };
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
