//! Bound propagation: tightening each variable's interval from the
//! relations it appears in, to a fixpoint, rounding inwards to integers,
//! and remembering which relation set each bound ([`Why`]).

use std::collections::VecDeque;

use super::model::{Bounds, INF, Net};

/// No equation has set this bound yet.
pub(super) const NO_REASON: usize = usize::MAX;

/// For every variable, the link that last tightened each bound.
pub(super) struct Why {
    pub(super) lo: Vec<usize>,
    pub(super) hi: Vec<usize>,
}

/// Tightens bounds to a fixpoint (or until the revision cap), starting from
/// the links in `seeds`. Returns false on a contradiction. Sound at any
/// point: no integer assignment meeting the original bounds is cut off.
pub(super) fn propagate(
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
#[inline]
fn term(a: i128, lo: i128, hi: i128) -> (Option<i128>, Option<i128>) {
    // Most coefficients are ±1: no multiplication needed (same results).
    if a == 1 {
        return (Some(lo), if hi >= INF { None } else { Some(hi) });
    }
    if a == -1 {
        return (
            if hi >= INF { None } else { hi.checked_neg() },
            lo.checked_neg(),
        );
    }
    let at_lo = a.checked_mul(lo);
    let at_hi = if hi >= INF { None } else { a.checked_mul(hi) };
    if a > 0 {
        (at_lo, at_hi)
    } else {
        (at_hi, at_lo)
    }
}

fn floor_div(x: i128, a: i128) -> Option<i128> {
    // Most coefficients are ±1: no division needed (same results).
    match a {
        1 => return Some(x),
        -1 => return x.checked_neg(),
        _ => {}
    }
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
