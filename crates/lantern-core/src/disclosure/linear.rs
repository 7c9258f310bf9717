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
