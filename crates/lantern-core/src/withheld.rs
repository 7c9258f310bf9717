//! Why each withheld count of people is withheld, in terms an officer can
//! check: a *primary* suppression is a count of 1 to threshold − 1; a
//! *secondary* one is named with the relation that forced it — it is the
//! total (or a margin) that a small count is part of, or it is a part of
//! the same total as a small count (a total given in this answer, or
//! released earlier: with its reference), or the small count is in an
//! overlapping period of the same indicator and area.
//!
//! Disclosure control ([`crate::protected`]) decides what is withheld; this
//! module only explains the decision from the answer's rows and what was
//! already out, so it never changes one.

use crate::catalogue::Catalogue;
use crate::disclosure::Protection;
use crate::figure::Breakdown;
use crate::period::Period;
use crate::protected::{KnownCell, Shown};

/// Why a count of people is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithheldBecause {
    /// A count of 1 to `threshold − 1` (given as "fewer than threshold").
    SmallCount {
        /// The disclosure threshold.
        threshold: u64,
    },
    /// Withheld so that a small count cannot be worked out.
    Secondary(Forcing),
}

/// The relation that forced a secondary suppression. Cells are named as
/// "period [breakdown]", e.g. "2017/18 [age_band=18-24;crack=crack]".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forcing {
    /// This count is the total (or a margin) a small count is part of: the
    /// total minus the parts given would reveal it.
    Total {
        /// The small count it contains.
        small: String,
    },
    /// This count and a small count are parts of the same total: the total
    /// minus this count would reveal it.
    Margin {
        /// The small count.
        small: String,
        /// The total they are part of.
        total: String,
        /// Where the total was released: an earlier answer's reference or
        /// `release:CODE`; `None` when this answer gives it.
        released_in: Option<String>,
    },
    /// A small count of the same indicator and area in an overlapping
    /// period (counts of different periods constrain each other).
    Overlap {
        /// The small count.
        small: String,
    },
    /// No single relation names it: the protected table of the indicator
    /// and area (chained periods, earlier answers, published totals) as a
    /// whole would let a small count be narrowed down.
    Table,
}

impl WithheldBecause {
    /// The officer's explanation in words.
    pub fn describe(&self) -> String {
        match self {
            WithheldBecause::SmallCount { threshold } => format!(
                "primary: the count is between 1 and {}",
                threshold.saturating_sub(1)
            ),
            WithheldBecause::Secondary(Forcing::Total { small }) => format!(
                "secondary: it is the total that the small count {small} is part of; with the parts given it would reveal that count"
            ),
            WithheldBecause::Secondary(Forcing::Margin {
                small,
                total,
                released_in,
            }) => format!(
                "secondary: it and the small count {small} are parts of the total {total}{}; the total minus this count and the other parts given would reveal the small one",
                match released_in {
                    Some(r) => format!(" released in {r}"),
                    None => " given in this answer".to_string(),
                }
            ),
            WithheldBecause::Secondary(Forcing::Overlap { small }) => format!(
                "secondary: the small count {small} is in an overlapping period of the same indicator and area, and the two together would reveal it"
            ),
            WithheldBecause::Secondary(Forcing::Table) => "secondary: together with the other counts of this indicator and area (in this answer, earlier answers and published totals) it would let a small count be worked out".to_string(),
        }
    }

    /// A stable code: `primary`, `total`, `margin`, `overlap` or `table`.
    pub fn code(&self) -> &'static str {
        match self {
            WithheldBecause::SmallCount { .. } => "primary",
            WithheldBecause::Secondary(Forcing::Total { .. }) => "total",
            WithheldBecause::Secondary(Forcing::Margin { .. }) => "margin",
            WithheldBecause::Secondary(Forcing::Overlap { .. }) => "overlap",
            WithheldBecause::Secondary(Forcing::Table) => "table",
        }
    }
}

/// One count of people of the answer, as disclosure control decided it.
#[derive(Debug, Clone)]
pub struct Decided {
    /// Indicator code.
    pub indicator: String,
    /// The figure's period.
    pub period: Period,
    /// Its breakdown.
    pub breakdown: Breakdown,
    /// What was decided.
    pub protection: Protection,
}

fn name(period: &Period, breakdown: &Breakdown) -> String {
    if breakdown.0.is_empty() {
        format!("{period} [total]")
    } else {
        format!("{period} [{}]", breakdown.key())
    }
}

/// Whether `outer` is a total or margin of `inner`: every value of `outer`
/// is one `inner` has (or a band whose leaves include `inner`'s), and the
/// two differ.
fn contains(catalogue: &Catalogue, outer: &Breakdown, inner: &Breakdown) -> bool {
    outer != inner
        && outer.0.iter().all(|(d, v)| {
            inner.get(d).is_some_and(|w| {
                w == v
                    || catalogue.dimension(d).is_ok_and(|dim| {
                        let mine = dim.leaves_of(v);
                        let theirs = dim.leaves_of(w);
                        !theirs.is_empty() && theirs.iter().all(|l| mine.contains(l))
                    })
            })
        })
}

fn overlaps(a: &Period, b: &Period) -> bool {
    a.first_day() <= b.last_day() && b.first_day() <= a.last_day()
}

/// Explain every withheld cell in `decided` (the answer's counts in the
/// order registered, all in `area`), given `known`: what earlier answers and
/// releases put out. One explanation per cell (`None` for released ones).
pub fn explain(
    catalogue: &Catalogue,
    area: &str,
    decided: &[Decided],
    known: &[KnownCell],
    threshold: u64,
) -> Vec<Option<WithheldBecause>> {
    let known: Vec<&KnownCell> = known.iter().filter(|k| k.area == area).collect();
    // Small counts: this answer's primaries and what earlier answers gave
    // as "fewer than t".
    let mut small: Vec<(&str, Period, &Breakdown)> = decided
        .iter()
        .filter(|c| c.protection == Protection::Primary)
        .map(|c| (c.indicator.as_str(), c.period, &c.breakdown))
        .chain(
            known
                .iter()
                .filter(|k| matches!(k.shown, Shown::FewerThan(_)))
                .map(|k| (k.indicator.as_str(), k.period, &k.breakdown)),
        )
        .collect();
    // Totals out: this answer's released counts and what was released before.
    let mut totals: Vec<(&str, Period, &Breakdown, Option<&str>)> = decided
        .iter()
        .filter(|c| c.protection == Protection::Released)
        .map(|c| (c.indicator.as_str(), c.period, &c.breakdown, None))
        .chain(
            known
                .iter()
                .filter(|k| matches!(k.shown, Shown::Exact(_)))
                .map(|k| {
                    (
                        k.indicator.as_str(),
                        k.period,
                        &k.breakdown,
                        Some(k.source.as_str()),
                    )
                }),
        )
        .collect();
    // Whichever order the cells came in (a scoped read or the whole log),
    // the same cell is named.
    let days = |p: &Period| (p.first_day(), p.last_day());
    // (Keys computed once per entry: a log has thousands.)
    small.sort_by_cached_key(|(i, p, b)| (*i, days(p), b.key()));
    small.dedup_by_key(|(i, p, b)| (*i, days(p), b.key()));
    totals.sort_by_cached_key(|(i, p, b, s)| (*i, days(p), b.key(), s.is_some(), *s));
    let same_days =
        |a: &Period, b: &Period| a.first_day() == b.first_day() && a.last_day() == b.last_day();
    decided
        .iter()
        .map(|c| match c.protection {
            Protection::Released => None,
            Protection::Primary => Some(WithheldBecause::SmallCount { threshold }),
            Protection::Secondary => {
                let mine = small
                    .iter()
                    .filter(|(i, p, b)| {
                        *i == c.indicator && !(same_days(p, &c.period) && **b == c.breakdown)
                    })
                    .collect::<Vec<_>>();
                if let Some((_, p, b)) = mine.iter().find(|(_, p, b)| {
                    same_days(p, &c.period) && contains(catalogue, &c.breakdown, b)
                }) {
                    return Some(WithheldBecause::Secondary(Forcing::Total {
                        small: name(p, b),
                    }));
                }
                for (_, p, b) in mine.iter().filter(|(_, p, _)| same_days(p, &c.period)) {
                    if let Some((_, tp, tb, source)) = totals.iter().find(|(i, tp, tb, _)| {
                        *i == c.indicator
                            && same_days(tp, &c.period)
                            && contains(catalogue, tb, &c.breakdown)
                            && contains(catalogue, tb, b)
                    }) {
                        return Some(WithheldBecause::Secondary(Forcing::Margin {
                            small: name(p, b),
                            total: name(tp, tb),
                            released_in: source.map(str::to_string),
                        }));
                    }
                }
                // Overlaps are named from this answer's own small counts:
                // earlier ones in other periods depend on how far the log
                // was read, and the explanation must not.
                Some(WithheldBecause::Secondary(
                    mine.iter()
                        .filter(|(i, p, b)| {
                            decided.iter().any(|d| {
                                d.protection == Protection::Primary
                                    && d.indicator == *i
                                    && same_days(&d.period, p)
                                    && d.breakdown == **b
                            })
                        })
                        .find(|(_, p, _)| overlaps(p, &c.period))
                        .map_or(Forcing::Table, |(_, p, b)| Forcing::Overlap {
                            small: name(p, b),
                        }),
                ))
            }
        })
        .collect()
}
