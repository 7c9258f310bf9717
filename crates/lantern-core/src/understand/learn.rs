//! Phrases an officer taught Lantern when correcting an understanding.

use crate::catalogue::Catalogue;

/// A phrase an officer taught Lantern when correcting an understanding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonym {
    /// The requester's words, e.g. "methadone programme".
    pub phrase: String,
    /// What they mean.
    pub target: SynonymTarget,
}

/// What a learned phrase means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynonymTarget {
    /// An indicator code.
    Indicator(String),
    /// A statement topic code.
    Topic(String),
    /// A dimension value used as a filter.
    Value {
        /// Dimension code.
        dimension: String,
        /// Value code.
        value: String,
    },
}

impl SynonymTarget {
    /// Read `people_in_treatment`, `naloxone.purchaser` or
    /// `substance_group=opiate` against the catalogue.
    pub fn parse(text: &str, catalogue: &Catalogue) -> Result<SynonymTarget, String> {
        let t = text.trim();
        if let Some((dimension, value)) = t.split_once('=') {
            let dim = catalogue.dimension(dimension).map_err(|e| e.to_string())?;
            let value = dim.value(value).ok_or_else(|| {
                format!(
                    "'{}' is not a value of breakdown '{}'",
                    value.trim(),
                    dim.code
                )
            })?;
            return Ok(SynonymTarget::Value {
                dimension: dim.code.clone(),
                value: value.code.clone(),
            });
        }
        if catalogue.topic(t).is_some() {
            return Ok(SynonymTarget::Topic(t.to_string()));
        }
        catalogue
            .indicator(t)
            .map(|i| SynonymTarget::Indicator(i.code.clone()))
            .map_err(|e| format!("{e} (a synonym names an indicator, a topic or dimension=value)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::request::Ask;
    use crate::understand::tests::*;
    use crate::understand::*;

    #[test]
    fn a_learned_synonym_places_an_unplaced_question() {
        let catalogue = shipped();
        let q = question("How many individuals were on the methadone programme in 2018/19?");
        let received = day(2019, 6, 10);
        let before = understand(&q, received, &catalogue, &[]);
        assert_eq!(before.ask, None);
        assert!(before.needs_officer);
        let learned = [
            Synonym {
                phrase: "methadone programme".into(),
                target: SynonymTarget::parse("people_in_treatment", &catalogue).unwrap(),
            },
            Synonym {
                phrase: "methadone".into(),
                target: SynonymTarget::parse("substance_group=opiates", &catalogue).unwrap(),
            },
        ];
        let after = understand(&q, received, &catalogue, &learned);
        assert!(!after.needs_officer, "{after:#?}");
        let Some(Ask::Figures(a)) = &after.ask else {
            panic!("{after:#?}")
        };
        assert_eq!(a.indicator, "people_in_treatment");
        assert_eq!(a.filter.get("substance_group"), Some("opiate"));
        assert_eq!(a.periods, [p("2018/19")]);
    }

    #[test]
    fn a_learned_synonym_beats_the_built_in_reading() {
        let catalogue = shipped();
        let q = question("How many THN kits were handed out in 2016/17?");
        let received = day(2017, 6, 1);
        let built_in = understand(&q, received, &catalogue, &[]);
        assert!(
            matches!(&built_in.ask, Some(Ask::Figures(a)) if a.indicator == "naloxone_kits_issued")
        );
        let learned = [Synonym {
            phrase: "THN kits were handed out".into(),
            target: SynonymTarget::Indicator("naloxone_kits_purchased".into()),
        }];
        let corrected = understand(&q, received, &catalogue, &learned);
        assert!(
            matches!(&corrected.ask, Some(Ask::Figures(a)) if a.indicator == "naloxone_kits_purchased"),
            "{corrected:#?}"
        );
        assert!(!corrected.alternatives.is_empty());
        assert!(SynonymTarget::parse("nonsense", &catalogue).is_err());
    }
}
