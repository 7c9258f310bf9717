//! A small linear system over non-negative variables and the interval each
//! linear expression can take in it, by linear programming (`good_lp` with
//! the pure-Rust `microlp` solver).
//!
//! This module knows nothing about Lantern: the attacker (`attacker.rs`)
//! writes what the disclosure log released as rows of this system.

use std::collections::BTreeSet;

use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, microlp,
    variable,
};

/// How a row's left side relates to its right side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `=`
    Eq,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// One linear constraint: `Σ coefficient × variable  op  rhs`.
#[derive(Clone, Debug)]
pub struct Row {
    /// (variable index, coefficient) pairs.
    pub terms: Vec<(usize, f64)>,
    /// The relation.
    pub op: Op,
    /// The right side.
    pub rhs: f64,
    /// The fact this row comes from (e.g. a log row), if it may be left out
    /// when looking for the facts a result needs.
    pub tag: Option<usize>,
}

/// A linear system over non-negative variables.
#[derive(Default, Clone)]
pub struct System {
    variables: usize,
    rows: Vec<Row>,
}

/// The smallest and largest value an expression can take (the largest may
/// be infinite), or `None` when the system has no solution at all.
pub type Interval = Option<(f64, f64)>;

/// The whole numbers in a real interval: `[ceil(min), floor(max)]`.
pub fn whole(interval: (f64, f64)) -> (i64, Option<i64>) {
    const EPS: f64 = 1e-6;
    let lo = (interval.0 - EPS).ceil() as i64;
    let hi = interval
        .1
        .is_finite()
        .then(|| (interval.1 + EPS).floor() as i64);
    (lo, hi)
}

/// Is an interval a single whole number?
pub fn pinned(interval: (f64, f64)) -> bool {
    let (lo, hi) = whole(interval);
    hi == Some(lo)
}

impl System {
    /// A new non-negative variable; its index.
    pub fn variable(&mut self) -> usize {
        self.variables += 1;
        self.variables - 1
    }

    /// Add a row that always holds (a rule of the model).
    pub fn add(&mut self, terms: Vec<(usize, f64)>, op: Op, rhs: f64) {
        self.rows.push(Row {
            terms,
            op,
            rhs,
            tag: None,
        });
    }

    /// Add a row that comes from fact `tag`.
    pub fn add_fact(&mut self, tag: usize, terms: Vec<(usize, f64)>, op: Op, rhs: f64) {
        self.rows.push(Row {
            terms,
            op,
            rhs,
            tag: Some(tag),
        });
    }

    /// The smallest and largest value of `target` over every solution.
    pub fn interval(&self, target: &[(usize, f64)]) -> Interval {
        self.interval_without(target, &BTreeSet::new())
    }

    /// The same, leaving out the rows of the facts in `left_out`.
    pub fn interval_without(
        &self,
        target: &[(usize, f64)],
        left_out: &BTreeSet<usize>,
    ) -> Interval {
        let low = self.optimum(target, false, left_out)?;
        let high = self.optimum(target, true, left_out)?;
        Some((low, high))
    }

    /// Does the system have a solution?
    pub fn feasible(&self) -> bool {
        self.optimum(&[], false, &BTreeSet::new()).is_some()
    }

    /// A small set of facts that still pin `target` to one whole value
    /// (each fact left in is needed), found by leaving facts out one by one.
    pub fn facts_needed(&self, target: &[(usize, f64)]) -> Vec<usize> {
        let tags: BTreeSet<usize> = self.rows.iter().filter_map(|r| r.tag).collect();
        let mut left_out = BTreeSet::new();
        for tag in &tags {
            left_out.insert(*tag);
            if !self.interval_without(target, &left_out).is_some_and(pinned) {
                left_out.remove(tag);
            }
        }
        tags.difference(&left_out).copied().collect()
    }

    /// Minimise (or maximise) `target`; `None` when infeasible, infinity
    /// when unbounded.
    /// The whole values among `candidates` that `target` can take when every
    /// variable is a whole number (integer programming: used on narrow
    /// intervals only, where it is cheap).
    pub fn whole_values(&self, target: &[(usize, f64)], candidates: &[i64]) -> Vec<i64> {
        candidates
            .iter()
            .copied()
            .filter(|&v| {
                self.solve(&[], false, &BTreeSet::new(), Some((target, v as f64)), true)
                    .is_some()
            })
            .collect()
    }

    fn optimum(
        &self,
        target: &[(usize, f64)],
        maximise: bool,
        left_out: &BTreeSet<usize>,
    ) -> Option<f64> {
        self.solve(target, maximise, left_out, None, false)
    }

    /// Optimise `target` (with `fixed` held at a value, all variables whole
    /// numbers if `integer`); `None` when infeasible.
    fn solve(
        &self,
        target: &[(usize, f64)],
        maximise: bool,
        left_out: &BTreeSet<usize>,
        fixed: Option<(&[(usize, f64)], f64)>,
        integer: bool,
    ) -> Option<f64> {
        let mut problem = ProblemVariables::new();
        let vars: Vec<Variable> = (0..self.variables)
            .map(|_| {
                let v = variable().min(0);
                problem.add(if integer { v.integer() } else { v })
            })
            .collect();
        let expression = |terms: &[(usize, f64)]| -> Expression {
            terms.iter().map(|&(i, c)| c * vars[i]).sum::<Expression>()
        };
        let objective = expression(target);
        let mut model = if maximise {
            problem.maximise(objective.clone())
        } else {
            problem.minimise(objective.clone())
        }
        .using(microlp);
        if let Some((terms, value)) = fixed {
            model = model.with(expression(terms).eq(value));
        }
        for row in &self.rows {
            if row.tag.is_some_and(|t| left_out.contains(&t)) {
                continue;
            }
            let lhs = expression(&row.terms);
            model = model.with(match row.op {
                Op::Eq => lhs.eq(row.rhs),
                Op::Le => lhs.leq(row.rhs),
                Op::Ge => lhs.geq(row.rhs),
            });
        }
        match model.solve() {
            Ok(solution) => Some(
                target
                    .iter()
                    .map(|&(i, c)| c * solution.value(vars[i]))
                    .sum(),
            ),
            Err(ResolutionError::Unbounded) => Some(if maximise {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }),
            Err(ResolutionError::Infeasible) => None,
            Err(other) => panic!("the solver failed: {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(i: usize) -> Vec<(usize, f64)> {
        vec![(i, 1.0)]
    }

    #[test]
    fn a_part_of_a_known_total_with_the_other_part_given_is_recovered() {
        let mut s = System::default();
        let (x, y) = (s.variable(), s.variable());
        s.add(vec![(x, 1.0), (y, 1.0)], Op::Eq, 10.0);
        s.add(one(x), Op::Eq, 7.0);
        let got = s.interval(&one(y)).expect("feasible");
        assert!(pinned(got), "{got:?}");
        assert_eq!(whole(got), (3, Some(3)));
    }

    #[test]
    fn the_facts_needed_leave_out_what_does_not_matter() {
        let mut s = System::default();
        let (x, y, z) = (s.variable(), s.variable(), s.variable());
        s.add_fact(0, vec![(x, 1.0), (y, 1.0)], Op::Eq, 10.0);
        s.add_fact(1, one(x), Op::Eq, 7.0);
        s.add_fact(2, one(z), Op::Eq, 4.0);
        assert_eq!(s.facts_needed(&one(y)), vec![0, 1]);
    }

    #[test]
    fn two_suppressed_cells_of_a_total_of_two_are_recovered() {
        // x + y = 2 with both at least 1 (suppressed, not zero).
        let mut s = System::default();
        let (x, y) = (s.variable(), s.variable());
        s.add(vec![(x, 1.0), (y, 1.0)], Op::Eq, 2.0);
        s.add(one(x), Op::Ge, 1.0);
        s.add(one(y), Op::Ge, 1.0);
        assert_eq!(whole(s.interval(&one(x)).expect("feasible")), (1, Some(1)));
    }

    #[test]
    fn two_suppressed_cells_of_a_wider_total_are_not_recovered() {
        // x + y = 6, each "fewer than 5" (1..4): x lies in 2..4.
        let mut s = System::default();
        let (x, y) = (s.variable(), s.variable());
        s.add(vec![(x, 1.0), (y, 1.0)], Op::Eq, 6.0);
        for v in [x, y] {
            s.add(one(v), Op::Ge, 1.0);
            s.add(one(v), Op::Le, 4.0);
        }
        let got = s.interval(&one(x)).expect("feasible");
        assert!(!pinned(got), "{got:?}");
        assert_eq!(whole(got), (2, Some(4)));
    }

    /// x + 2z = 2 with z at least 0.5: by linear programming x lies in
    /// 0..1, but with whole numbers z = 1 and x = 0.
    #[test]
    fn integer_reasoning_pins_what_rounding_cannot() {
        let mut s = System::default();
        let (x, y, z) = (s.variable(), s.variable(), s.variable());
        s.add(vec![(x, 2.0), (y, 2.0)], Op::Eq, 6.0);
        s.add(vec![(x, 1.0), (z, 2.0)], Op::Eq, 2.0);
        s.add(one(z), Op::Ge, 0.5);
        let lp = s.interval(&one(x)).expect("feasible");
        assert_eq!(whole(lp), (0, Some(1)), "{lp:?}");
        assert_eq!(s.whole_values(&one(x), &[0, 1]), vec![0]);
    }

    #[test]
    fn an_unbounded_cell_has_no_upper_end() {
        let mut s = System::default();
        let (x, y) = (s.variable(), s.variable());
        s.add(vec![(x, 1.0), (y, -1.0)], Op::Eq, 0.0);
        assert_eq!(whole(s.interval(&one(x)).expect("feasible")), (0, None));
    }

    #[test]
    fn an_impossible_system_says_so() {
        let mut s = System::default();
        let x = s.variable();
        s.add(one(x), Op::Eq, 3.0);
        s.add(one(x), Op::Le, 2.0);
        assert!(!s.feasible());
        assert!(s.interval(&one(x)).is_none());
    }

    /// People over periods: a two-year span's count lies between the larger
    /// year and the sum of both, so a given span and a given year do not pin
    /// the other year (they would if people added up like events).
    #[test]
    fn people_in_a_span_lie_between_the_largest_part_and_the_sum() {
        let mut s = System::default();
        let (y1, y2, span) = (s.variable(), s.variable(), s.variable());
        s.add(one(y1), Op::Eq, 20.0);
        s.add(one(span), Op::Eq, 23.0);
        s.add(one(y2), Op::Ge, 1.0);
        s.add(one(y2), Op::Le, 4.0);
        // max(y1, y2) <= span <= y1 + y2
        s.add(vec![(y1, 1.0), (span, -1.0)], Op::Le, 0.0);
        s.add(vec![(y2, 1.0), (span, -1.0)], Op::Le, 0.0);
        s.add(vec![(span, 1.0), (y1, -1.0), (y2, -1.0)], Op::Le, 0.0);
        let people = s.interval(&one(y2)).expect("feasible");
        assert_eq!(whole(people), (3, Some(4)), "not pinned for people");

        // The same numbers as events (span = y1 + y2) pin the second year.
        let mut e = System::default();
        let (y1, y2) = (e.variable(), e.variable());
        e.add(one(y1), Op::Eq, 20.0);
        e.add(vec![(y1, 1.0), (y2, 1.0)], Op::Eq, 23.0);
        e.add(one(y2), Op::Ge, 1.0);
        e.add(one(y2), Op::Le, 4.0);
        assert_eq!(whole(e.interval(&one(y2)).expect("feasible")), (3, Some(3)));
    }
}
