//! Exact linear algebra: integer vectors kept primitive (gcd 1, leading
//! entry positive), so two residuals are parallel exactly when they are
//! equal. Fraction-free elimination on `i128`; overflow is reported, never
//! wrapped.

pub(super) struct Overflow;

/// Echelon rows over the first `cols` entries of each vector (any further
/// entries, such as a right-hand side, are carried along).
pub(super) struct Basis {
    pub(super) cols: usize,
    pub(super) rows: Vec<Row>,
}

pub(super) struct Row {
    pub(super) pivot: usize,
    pub(super) v: Vec<i128>,
    /// The constraints combined into this row, ascending.
    pub(super) from: Vec<usize>,
    /// Where `v` is not zero, ascending (rows are mostly zeros).
    nonzero: Vec<usize>,
}

impl Row {
    pub(super) fn new(pivot: usize, v: Vec<i128>, from: Vec<usize>) -> Row {
        let nonzero = (0..v.len()).filter(|&i| v[i] != 0).collect();
        Row {
            pivot,
            v,
            from,
            nonzero,
        }
    }

    /// [`eliminate`] of this row's pivot column from `v`: the same result,
    /// visiting only the row's non-zero entries when its pivot entry is 1
    /// (then the others are left as they are).
    fn eliminate_from(&self, v: &mut [i128]) -> Result<(), Overflow> {
        let c = v[self.pivot];
        if self.v[self.pivot] != 1 || v.len() != self.v.len() {
            return eliminate(v, &self.v, self.pivot);
        }
        for &i in &self.nonzero {
            let rc = self.v[i].checked_mul(c).ok_or(Overflow)?;
            v[i] = v[i].checked_sub(rc).ok_or(Overflow)?;
        }
        normalize(v)
    }
}

impl Basis {
    pub(super) fn new(cols: usize) -> Basis {
        Basis {
            cols,
            rows: Vec::new(),
        }
    }

    /// Eliminates every pivot column from `v`, noting the rows used.
    fn reduce(&self, v: &mut [i128], from: &mut Vec<usize>) -> Result<(), Overflow> {
        for row in &self.rows {
            if v[row.pivot] != 0 {
                row.eliminate_from(v)?;
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
    pub(super) fn residual(&self, mut v: Vec<i128>) -> Result<Vec<i128>, Overflow> {
        self.reduce(&mut v, &mut Vec::new())?;
        Ok(v)
    }

    pub(super) fn pivot_of(&self, v: &[i128]) -> Option<usize> {
        v.iter().take(self.cols).position(|&a| a != 0)
    }

    pub(super) fn insert(
        &mut self,
        mut v: Vec<i128>,
        mut from: Vec<usize>,
    ) -> Result<(), Overflow> {
        self.reduce(&mut v, &mut from)?;
        if let Some(pivot) = self.pivot_of(&v) {
            self.rows.push(Row::new(pivot, v, from));
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
pub(super) fn eliminate(v: &mut [i128], row: &[i128], p: usize) -> Result<(), Overflow> {
    let (a, c) = (row[p], v[p]);
    for (x, &r) in v.iter_mut().zip(row) {
        if r == 0 && a == 1 {
            continue; // x * 1 - 0 * c = x
        }
        let xa = x.checked_mul(a).ok_or(Overflow)?;
        let rc = r.checked_mul(c).ok_or(Overflow)?;
        *x = xa.checked_sub(rc).ok_or(Overflow)?;
    }
    normalize(v)
}

fn normalize(v: &mut [i128]) -> Result<(), Overflow> {
    // Once the running gcd is 1 it stays 1: stop there (most rows are 0/±1).
    let mut g = 0u128;
    for &x in v.iter() {
        if x != 0 {
            g = gcd(g, x.unsigned_abs());
            if g == 1 {
                break;
            }
        }
    }
    if g == 0 {
        return Ok(());
    }
    let g = i128::try_from(g).map_err(|_| Overflow)?;
    let negate = v.iter().find(|&&x| x != 0).is_some_and(|&x| x < 0);
    if g == 1 && !negate {
        return Ok(());
    }
    for x in v.iter_mut() {
        if g != 1 {
            *x /= g;
        }
        if negate {
            *x = x.checked_neg().ok_or(Overflow)?;
        }
    }
    Ok(())
}

pub(super) fn is_zero(v: &[i128]) -> bool {
    v.iter().all(|&x| x == 0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Row, eliminate};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Eliminating a row's pivot column by its non-zero entries gives
        /// what the dense elimination gives: the same vector, or overflow
        /// alike.
        #[test]
        fn eliminating_by_the_non_zero_entries_is_the_dense_elimination(
            row in proptest::collection::vec(prop_oneof![4 => Just(0i128), 2 => -2i128..=2, 1 => Just(i128::MAX / 3)], 1..12),
            v in proptest::collection::vec(prop_oneof![3 => -3i128..=3, 1 => Just(i128::MIN / 2)], 1..12),
            pivot_one in any::<bool>(),
        ) {
            let n = row.len().min(v.len());
            let mut row = row[..n].to_vec();
            let mut v = v[..n].to_vec();
            let Some(p) = row.iter().position(|&a| a != 0) else {
                return Ok(());
            };
            if pivot_one {
                row[p] = 1;
            }
            if v[p] == 0 {
                v[p] = 1;
            }
            let mut dense = v.clone();
            let dense_ok = eliminate(&mut dense, &row, p).is_ok();
            let mut sparse = v.clone();
            let sparse_ok = Row::new(p, row.clone(), Vec::new()).eliminate_from(&mut sparse).is_ok();
            prop_assert_eq!(sparse_ok, dense_ok);
            if dense_ok {
                prop_assert_eq!(sparse, dense);
            }
        }
    }
}
