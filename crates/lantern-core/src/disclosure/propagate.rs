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
    why: Option<&mut Why>,
) -> bool {
    propagate_with(net, b, seeds, why, &mut Scratch::default(), None)
}

/// Buffers [`propagate_with`] reuses between calls (their contents do not
/// carry over: every call starts them afresh).
#[derive(Default)]
pub(super) struct Scratch {
    queued: Vec<bool>,
    queue: VecDeque<usize>,
    changed: Vec<Undo>,
}

/// A variable's bounds before a change: `(variable, lo, hi)`. Putting them
/// back, latest first, undoes a propagation.
pub(super) type Undo = (usize, i128, i128);

/// [`propagate`] with buffers kept by the caller. With a `trail`, every
/// change of a bound is recorded there (the bounds before it, see
/// [`Undo`]), so that the caller can undo the propagation, even a failed
/// one, instead of keeping a copy of the bounds.
pub(super) fn propagate_with(
    net: &Net,
    b: &mut Bounds,
    seeds: impl IntoIterator<Item = usize>,
    mut why: Option<&mut Why>,
    scratch: &mut Scratch,
    mut trail: Option<&mut Vec<Undo>>,
) -> bool {
    let n = net.len();
    let Scratch {
        queued,
        queue,
        changed,
    } = scratch;
    queued.clear();
    queued.resize(n, false);
    queue.clear();
    changed.clear();
    for l in seeds {
        if l < n && !queued[l] {
            queued[l] = true;
            queue.push_back(l);
        }
    }
    let mut budget = 64 * n + 256;
    while let Some(l) = queue.pop_front() {
        queued[l] = false;
        if budget == 0 {
            break;
        }
        budget -= 1;
        changed.clear();
        let ok = revise(net, b, l, changed, why.as_deref_mut());
        if let Some(trail) = trail.as_deref_mut() {
            trail.extend_from_slice(changed);
        }
        if !ok {
            return false;
        }
        for &(v, _, _) in changed.iter() {
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

/// Narrows `[lo, hi]` of variable `v`, noting its bounds before in
/// `changed` if it changes them; false if it becomes empty.
fn tighten(
    b: &mut Bounds,
    v: usize,
    lo: i128,
    hi: i128,
    reason: usize,
    changed: &mut Vec<Undo>,
    why: Option<&mut Why>,
) -> bool {
    let raise = lo > b.lo[v];
    let lower = hi < b.hi[v];
    if raise || lower {
        note(changed, (v, b.lo[v], b.hi[v]));
    }
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
    b.lo[v] <= b.hi[v]
}

/// Records a change (rare among the terms a revision visits, so kept out
/// of the revision's loop).
#[cold]
#[inline(never)]
fn note(changed: &mut Vec<Undo>, before: Undo) {
    changed.push(before);
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
    changed: &mut Vec<Undo>,
    why: Option<&mut Why>,
) -> bool {
    revise_with(net, b, l, changed, why, true)
}

/// The sums over a link's terms that its revision starts from: the lower
/// ends' total and how many lower ends are unbounded, likewise for the
/// upper ends, and whether the revision can narrow nothing (see the
/// shortcut in [`revise_with`]). `None` when a sum overflows (the revision
/// then gives up, changing nothing).
struct Ends {
    lo_sum: i128,
    lo_inf: usize,
    hi_sum: i128,
    hi_inf: usize,
    quiet: bool,
}

/// Finite bounds below this (and links of fewer than 2^20 terms) are summed
/// in `i64` by [`ends_small`]: no sum reaches 2^61.
const SMALL: i128 = 1 << 40;

/// [`Ends`] summed plainly in `i128`, for any link and bounds.
fn ends_general(net: &Net, b: &Bounds, l: usize) -> Option<Ends> {
    let link = net.link(l);
    let (mut lo_sum, mut lo_inf, mut hi_sum, mut hi_inf) = (0i128, 0usize, 0i128, 0usize);
    // The widest `|a| * (hi - lo)` of a term, and whether every bound is
    // ordered and at most INF (see the shortcut in [`revise_with`]).
    let mut widest = 0i128;
    let mut ordered = true;
    for &(v, a) in &link.terms {
        let (lo, hi) = (b.lo[v], b.hi[v]);
        let (tl, th) = term(a, lo, hi);
        match tl.map(|x| lo_sum.checked_add(x)) {
            Some(Some(s)) => lo_sum = s,
            Some(None) => return None,
            None => lo_inf += 1,
        }
        match th.map(|x| hi_sum.checked_add(x)) {
            Some(Some(s)) => hi_sum = s,
            Some(None) => return None,
            None => hi_inf += 1,
        }
        ordered &= lo <= hi && hi <= INF;
        let w = hi
            .checked_sub(lo)
            .and_then(|w| w.checked_mul(a.abs()))
            .unwrap_or(i128::MAX);
        widest = widest.max(w);
    }
    let quiet = |inf: usize, end_open: bool, slack: Option<i128>| {
        end_open || inf >= 2 || (inf == 0 && slack.is_some_and(|s| s >= widest))
    };
    let quiet = ordered
        && quiet(lo_inf, link.hi >= INF, link.hi.checked_sub(lo_sum))
        && quiet(hi_inf, link.lo <= -INF, hi_sum.checked_sub(link.lo));
    Some(Ends {
        lo_sum,
        lo_inf,
        hi_sum,
        hi_inf,
        quiet,
    })
}

/// [`ends_general`] for the usual link (every coefficient 1 or -1) and the
/// usual bounds (ordered, each end finite and below [`SMALL`] in size, or
/// an upper end of INF), summed in `i64`: the same sums, counts and
/// verdict. `None` when the link or the bounds are not of that kind.
fn ends_small(net: &Net, b: &Bounds, l: usize) -> Option<Ends> {
    let link = net.link(l);
    let small = |x: i128| -SMALL < x && x < SMALL;
    if link.terms.len() >= 1 << 20
        || !(link.lo <= -INF || small(link.lo))
        || !(link.hi >= INF || small(link.hi))
    {
        return None;
    }
    let (mut lo_sum, mut lo_inf, mut hi_sum, mut hi_inf) = (0i64, 0usize, 0i64, 0usize);
    // The widest `hi - lo` of a bounded term; whether some term is
    // unbounded above (its width, INF - lo, exceeds every slack here).
    let mut widest = 0i64;
    let mut open = false;
    for &(v, a) in &link.terms {
        let (lo, hi) = (b.lo[v], b.hi[v]);
        if !(small(lo) && lo <= hi && (hi == INF || small(hi))) {
            return None;
        }
        // Exact: both below 2^40 in size.
        let lo = lo as i64;
        match (a, hi == INF) {
            (1, false) => {
                let hi = hi as i64;
                lo_sum += lo;
                hi_sum += hi;
                widest = widest.max(hi - lo);
            }
            (-1, false) => {
                let hi = hi as i64;
                lo_sum -= hi;
                hi_sum -= lo;
                widest = widest.max(hi - lo);
            }
            (1, true) => {
                lo_sum += lo;
                hi_inf += 1;
                open = true;
            }
            (-1, true) => {
                lo_inf += 1;
                hi_sum -= lo;
                open = true;
            }
            _ => return None,
        }
    }
    // As in [`ends_general`]: a slack here is below 2^62, so it is never
    // at least an unbounded term's width (about 2^100).
    let quiet = |inf: usize, end_open: bool, slack: i64| {
        end_open || inf >= 2 || (inf == 0 && !open && slack >= widest)
    };
    // The ends are small unless open, and then their slack is not used.
    let link_hi = if link.hi >= INF { 0 } else { link.hi as i64 };
    let link_lo = if link.lo <= -INF { 0 } else { link.lo as i64 };
    let quiet = quiet(lo_inf, link.hi >= INF, link_hi - lo_sum)
        && quiet(hi_inf, link.lo <= -INF, hi_sum - link_lo);
    Some(Ends {
        lo_sum: i128::from(lo_sum),
        lo_inf,
        hi_sum: i128::from(hi_sum),
        hi_inf,
        quiet,
    })
}

/// [`revise`], with the shortcut (which changes nothing but speed) or
/// without it, and with the sums taken in `i64` where they can be
/// ([`ends_small`], which changes nothing either) or not.
fn revise_with(
    net: &Net,
    b: &mut Bounds,
    l: usize,
    changed: &mut Vec<Undo>,
    why: Option<&mut Why>,
    shortcut: bool,
) -> bool {
    revise_by(net, b, l, changed, why, shortcut, true)
}

fn revise_by(
    net: &Net,
    b: &mut Bounds,
    l: usize,
    changed: &mut Vec<Undo>,
    mut why: Option<&mut Why>,
    shortcut: bool,
    in_i64: bool,
) -> bool {
    let link = net.link(l);
    let ends = match in_i64.then(|| ends_small(net, b, l)).flatten() {
        Some(ends) => ends,
        None => match ends_general(net, b, l) {
            Some(ends) => ends,
            None => return true,
        },
    };
    let Ends {
        lo_sum,
        lo_inf,
        hi_sum,
        hi_inf,
        quiet,
    } = ends;
    // Shortcut: when the loop below would change nothing, skip it. Write
    // S = link.hi - lo_sum. With no infinite lower term, a variable with
    // a > 0 gets hi' = lo + floor(S / a), and one with a < 0 gets
    // lo' = hi - floor(S / |a|); neither narrows when S >= |a| * (hi - lo).
    // With two or more infinite lower terms, or link.hi = INF, no upper
    // side is derived at all. The same holds for the lower side with
    // S' = hi_sum - link.lo. Then every tightening is a no-op and, the
    // bounds being ordered and at most INF, none reports a contradiction.
    if shortcut && quiet {
        return true;
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::super::Cell;
    use super::super::model::{Bounds, INF, Model, Net};
    use super::{NO_REASON, SMALL, Why, revise_by};

    fn bound() -> impl Strategy<Value = (i128, i128)> {
        prop_oneof![
            6 => (0i128..12, 0i128..12).prop_map(|(a, b)| (a.min(b), a.max(b))),
            3 => (0i128..12).prop_map(|a| (a, INF)),
            // Around the ends of the i64 sums, unordered, negative.
            1 => (0i128..4, 0i128..4).prop_map(|(a, b)| (SMALL - 2 + a, SMALL - 2 + a + b)),
            1 => (0i128..12, 0i128..12).prop_map(|(a, b)| (a.max(b), a.min(b))),
            1 => (-SMALL - 1..-SMALL + 2, 0i128..12).prop_map(|(a, b)| (a, b)),
            1 => (0i128..12).prop_map(|a| (a, INF + 1)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The shortcut in `revise` changes nothing, nor do the sums taken
        /// in `i64`: same bounds, same reasons, same variables changed,
        /// same verdict, for every link of random tables (with relations of
        /// other coefficients) and bounds, against the revision with
        /// neither.
        #[test]
        fn the_shortcut_changes_nothing(
            sets in proptest::collection::vec(proptest::collection::btree_set(0usize..6, 1..5), 1..6),
            relation in proptest::collection::vec((0usize..6, -3i64..=3), 1..4),
            ends in (proptest::option::of(-4i64..8), proptest::option::of(-4i64..12)),
            bounds in proptest::collection::vec(bound(), 12),
        ) {
            let cells: Vec<Cell> = sets
                .iter()
                .map(|s: &BTreeSet<usize>| Cell { inner: s.clone(), value: 0 })
                .collect();
            let relations = [super::super::Relation {
                terms: relation,
                at_least: ends.0,
                at_most: ends.1,
            }];
            let model = Model::with_priors(&cells, &[], &relations);
            let net = Net::new(&model, Vec::new());
            let width = model.width();
            let start = Bounds {
                lo: (0..width).map(|v| bounds[v % bounds.len()].0).collect(),
                hi: (0..width).map(|v| bounds[v % bounds.len()].1).collect(),
            };
            for l in 0..net.len() {
                let run = |shortcut: bool, in_i64: bool| {
                    let mut b = start.clone();
                    let mut changed = Vec::new();
                    let mut why = Why { lo: vec![NO_REASON; width], hi: vec![NO_REASON; width] };
                    let ok = revise_by(&net, &mut b, l, &mut changed, Some(&mut why), shortcut, in_i64);
                    (ok, b.lo, b.hi, changed, why.lo, why.hi)
                };
                let reference = run(false, false);
                prop_assert_eq!(&run(true, false), &reference);
                prop_assert_eq!(&run(false, true), &reference);
                prop_assert_eq!(&run(true, true), &reference);
            }
        }
    }
}
