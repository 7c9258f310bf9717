//! Cells that are not held as such but are the sum of cells that are: a
//! requested cut that is a union of separate values of one breakdown
//! ("under 25" from aged 18, 19 and 20 to 24; "aged 50 and over"; a
//! requester's "18-29"; "alcohol or opiates", written `alcohol_only|opiate`)
//! is the sum of the held cells it is made of, all from one source and for
//! exactly the period asked.
//!
//! This module owns finding those parts: for each dimension whose value is
//! not held, an exact cover of its leaves (in the catalogue the answer is
//! protected with, so a requester's own bands are values too) by values
//! held, or themselves composed, searched depth first. Only exact counts
//! and stated zeros are added: an approximate part makes the sum
//! approximate, which is not given as a sum.
//!
//! Disclosure control sees a composed cell like any other: a sum over the
//! same leaves as its parts, so its parts and its complement are protected
//! with it (`crate::protected`).

use std::collections::BTreeSet;

use crate::catalogue::Catalogue;
use crate::figure::{Breakdown, Figure, Source, Status, Value};
use crate::period::Period;

/// A cell composed from held parts.
#[derive(Debug, Clone)]
pub(crate) struct Composed<'a> {
    /// The sum.
    pub value: i64,
    /// The figures added, in the order found.
    pub parts: Vec<&'a Figure>,
}

impl Composed<'_> {
    /// Provisional if any part is.
    pub fn status(&self) -> Status {
        if self.parts.iter().any(|f| f.status == Status::Provisional) {
            Status::Provisional
        } else {
            Status::Final
        }
    }
}

/// How deep values may be split into values (a band into bands into leaves).
const DEPTH: usize = 4;

/// Where to look for parts.
pub(crate) struct Held<'a, 'q> {
    pub catalogue: &'q Catalogue,
    pub figures: &'a [Figure],
    /// `figures` grouped, when the caller has them so (the same figures).
    pub by_cell: Option<&'q super::ByCell<'a>>,
    pub indicator: &'q str,
    pub area: &'q str,
    pub period: Period,
    pub source: Source,
}

impl<'a> Held<'a, '_> {
    /// The exact-period figure of the source for a breakdown, if it holds
    /// one that can be added (exact or zero).
    fn direct(&self, breakdown: &Breakdown) -> Option<(i64, &'a Figure)> {
        let wanted = |f: &&'a Figure| {
            f.indicator == self.indicator
                && f.area == self.area
                && f.source == self.source
                && f.period == self.period
                && f.breakdown == *breakdown
        };
        let value = |f: &'a Figure| match f.value {
            Value::Exact(v) => Some((v, f)),
            Value::Zero { .. } => Some((0, f)),
            _ => None,
        };
        match self.by_cell {
            Some(by) => by
                .of(self.indicator, self.area, breakdown)
                .filter(wanted)
                .find_map(value),
            None => self.figures.iter().filter(wanted).find_map(value),
        }
    }

    /// The cell composed from held parts, or `None` when no set of held
    /// cells makes it up exactly. A cell held as such is not "composed".
    pub fn compose(&self, breakdown: &Breakdown) -> Option<Composed<'a>> {
        if self.direct(breakdown).is_some() {
            return None;
        }
        self.sum(breakdown, 0)
    }

    fn sum(&self, breakdown: &Breakdown, depth: usize) -> Option<Composed<'a>> {
        if let Some((value, f)) = self.direct(breakdown) {
            return Some(Composed {
                value,
                parts: vec![f],
            });
        }
        if depth >= DEPTH {
            return None;
        }
        for (d, v) in &breakdown.0 {
            let Ok(dim) = self.catalogue.dimension(d) else {
                continue;
            };
            let target: BTreeSet<String> = dim.leaves_of(v).into_iter().collect();
            if target.len() < 2 && !v.contains(crate::catalogue::UNION) {
                continue;
            }
            // Values inside the target, largest first.
            let mut pieces: Vec<(String, BTreeSet<String>)> = dim
                .values
                .iter()
                .filter(|c| c.code != *v)
                .map(|c| {
                    (
                        c.code.clone(),
                        dim.leaves_of(&c.code).into_iter().collect::<BTreeSet<_>>(),
                    )
                })
                .filter(|(_, leaves)| !leaves.is_empty() && leaves.is_subset(&target))
                .collect();
            pieces.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
            let mut chosen = Vec::new();
            if let Some(found) = self.cover(
                breakdown,
                d,
                &target,
                &BTreeSet::new(),
                &pieces,
                &mut chosen,
                depth,
            ) {
                return Some(found);
            }
        }
        None
    }

    /// An exact cover of `target` by `pieces` whose cells can each be
    /// summed; `covered` so far, `chosen` the pieces taken.
    #[allow(clippy::too_many_arguments)]
    fn cover(
        &self,
        breakdown: &Breakdown,
        dim: &str,
        target: &BTreeSet<String>,
        covered: &BTreeSet<String>,
        pieces: &[(String, BTreeSet<String>)],
        chosen: &mut Vec<Composed<'a>>,
        depth: usize,
    ) -> Option<Composed<'a>> {
        let Some(next) = target.iter().find(|l| !covered.contains(*l)) else {
            return Some(Composed {
                value: chosen.iter().map(|c| c.value).sum(),
                parts: chosen
                    .iter()
                    .flat_map(|c| c.parts.iter().copied())
                    .collect(),
            });
        };
        for (code, leaves) in pieces {
            if !leaves.contains(next) || !leaves.is_disjoint(covered) {
                continue;
            }
            let Some(part) = self.sum(&breakdown.with(dim, code), depth + 1) else {
                continue;
            };
            chosen.push(part);
            let covered: BTreeSet<String> = covered.union(leaves).cloned().collect();
            if let Some(done) = self.cover(breakdown, dim, target, &covered, pieces, chosen, depth)
            {
                return Some(done);
            }
            chosen.pop();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::figure::Provenance;

    fn figure(breakdown: &str, value: i64, source: Source) -> Figure {
        Figure {
            indicator: "people_in_treatment".into(),
            area: "E06000016".into(),
            period: Period::parse("2017/18").unwrap(),
            breakdown: Breakdown::from_key(breakdown),
            value: Value::Exact(value),
            source,
            status: Status::Final,
            coverage: vec![],
            note: None,
            provenance: Provenance {
                import: 1,
                file: "f.csv".into(),
                line: 2,
                actor: "t".into(),
                imported_at: "2020-01-01T00:00:00Z".into(),
            },
        }
    }

    fn held<'a>(catalogue: &'a Catalogue, figures: &'a [Figure]) -> Held<'a, 'a> {
        Held {
            catalogue,
            figures,
            by_cell: None,
            indicator: "people_in_treatment",
            area: "E06000016",
            period: Period::parse("2017/18").unwrap(),
            source: Source::NdtmsPartnership,
        }
    }

    #[test]
    fn a_band_is_the_sum_of_its_held_parts_from_one_source() {
        let c = shipped();
        let figures = [
            figure("age_band=18", 2, Source::NdtmsPartnership),
            figure("age_band=19", 4, Source::NdtmsPartnership),
            figure("age_band=20-24", 11, Source::NdtmsPartnership),
            figure("age_band=25-29", 30, Source::LocalRecords),
        ];
        let h = held(&c, &figures);
        let under_25 = h.compose(&Breakdown::from_key("age_band=18-24")).unwrap();
        assert_eq!(under_25.value, 17);
        assert_eq!(under_25.parts.len(), 3);
        // 25-29 is held only by another source: 18-29 is not made up.
        assert!(h.compose(&Breakdown::from_key("age_band=18-29")).is_none());
        // A cell held as such is not composed.
        assert!(h.compose(&Breakdown::from_key("age_band=19")).is_none());
    }

    #[test]
    fn a_union_and_a_requesters_band_are_sums_too() {
        let c = shipped().with_age_bands(&["25-34".to_string()]);
        let figures = [
            figure("substance_group=opiate", 300, Source::NdtmsPartnership),
            figure(
                "substance_group=alcohol_only",
                120,
                Source::NdtmsPartnership,
            ),
            figure("age_band=25-29", 30, Source::NdtmsPartnership),
            figure("age_band=30-34", 41, Source::NdtmsPartnership),
        ];
        let h = held(&c, &figures);
        let either = h
            .compose(&Breakdown::from_key("substance_group=alcohol_only|opiate"))
            .unwrap();
        assert_eq!(either.value, 420);
        assert_eq!(
            h.compose(&Breakdown::from_key("age_band=25-34"))
                .map(|c| c.value),
            Some(71)
        );
        // 18-22 cuts the held band 20-24: no sum of held cells makes it.
        let finer = shipped().with_age_bands(&["18-22".to_string()]);
        let h = held(&finer, &figures);
        assert!(h.compose(&Breakdown::from_key("age_band=18-22")).is_none());
    }
}
