//! References to earlier questions ("this budget", "(as above)", "of those
//! people", "the same services", "as in question 2", "how many are …"):
//! finding them in a question's words and the earlier questions they may
//! point to. Reading a question together with the one it points to is
//! [`super::draft`]'s; this module only finds and resolves.

use super::SplitQuestion;

/// A reference to something asked earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The requester's words that refer ("this budget", "as above").
    pub words: String,
    /// What is referred to, when named ("budget", "services"); none for "as
    /// above", "of those" or "how many are".
    pub noun: Option<String>,
    /// The question named outright ("as in question 2").
    pub number: Option<String>,
}

/// Where a reference points among the earlier questions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// One question, by its number.
    To(String),
    /// Several may be meant: the officer chooses.
    Ambiguous(Vec<String>),
    /// No earlier question fits.
    Nothing,
}

/// Words pointing back that are followed by what they point to.
const POINTERS: &[&str] = &[
    "this",
    "that",
    "these",
    "those",
    "the same",
    "the above",
    "the said",
];

/// Nouns after a pointer that are not earlier questions' subjects: the
/// request itself, time, or periods (these, with [`PERIOD_WORDS`], are the
/// periods' references).
const NOT_SUBJECTS: &[&str] = &[
    "request",
    "question",
    "questions",
    "information",
    "email",
    "e-mail",
    "letter",
    "act",
    "date",
    "day",
    "moment",
    "stage",
    "point",
    "week",
    "quarter",
    "way",
    "is",
    "was",
    "are",
    "were",
    "would",
    "will",
    "may",
    "can",
    "has",
    "have",
    "in",
    "of",
    "to",
    "for",
    "on",
    "and",
    "or",
    "the",
    "a",
];

/// Words after "the above" that make it a reference to periods.
const PERIOD_WORDS: &[&str] = &[
    "time",
    "year",
    "years",
    "period",
    "periods",
    "financial",
    "calendar",
    "month",
    "months",
    "dates",
    "timeframe",
];

/// Words that point back without naming what.
const BARE_POINTERS: &[&str] = &[
    "(as above)",
    "as above",
    "as per above",
    "the above",
    "the previous question",
    "the question above",
    "of those",
    "of them",
    "of these",
    "of whom",
];

fn plain(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace('’', "'")
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The first reference to an earlier question in a text, if any.
pub fn find_reference(text: &str) -> Option<Reference> {
    let words = plain(text);
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    // "as in question 2", "see question 3", "from Q2", "question 2 above".
    for (i, x) in words.iter().enumerate() {
        if i > 0
            && matches!(x.as_str(), "question" | "q")
            && w(i + 1).chars().all(|c| c.is_ascii_digit())
            && !w(i + 1).is_empty()
            && matches!(w(i - 1), "in" | "to" | "from" | "see" | "per" | "at" | "of")
        {
            return Some(Reference {
                words: format!("{} {x} {}", w(i - 1), w(i + 1)),
                noun: None,
                number: Some(w(i + 1).trim_start_matches('0').to_string()),
            });
        }
        if let Some(number) = x
            .strip_prefix('q')
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            && i > 0
            && matches!(w(i - 1), "in" | "to" | "from" | "see" | "per" | "at" | "of")
        {
            return Some(Reference {
                words: format!("{} {x}", w(i - 1)),
                noun: None,
                number: Some(number.to_string()),
            });
        }
    }
    // "this budget", "the same services", "those people".
    for (i, _) in words.iter().enumerate() {
        for pointer in POINTERS {
            let p: Vec<&str> = pointer.split(' ').collect();
            if (0..p.len()).all(|k| w(i + k) == p[k]) {
                let noun = w(i + p.len());
                if !noun.is_empty()
                    && !NOT_SUBJECTS.contains(&noun)
                    && !PERIOD_WORDS.contains(&noun)
                    && !noun.chars().any(|c| c.is_ascii_digit())
                {
                    return Some(Reference {
                        words: format!("{pointer} {noun}"),
                        noun: Some(noun.to_string()),
                        number: None,
                    });
                }
            }
        }
    }
    let lower = text.to_lowercase();
    if let Some(bare) = BARE_POINTERS.iter().find(|b| lower.contains(**b)) {
        // "the above financial years" points to periods, handled with them.
        let after = lower.split(bare).nth(1).map(plain).unwrap_or_default();
        if !after
            .first()
            .is_some_and(|n| PERIOD_WORDS.contains(&n.as_str()))
        {
            return Some(Reference {
                words: (*bare).to_string(),
                noun: None,
                number: None,
            });
        }
    }
    // "How many are treated …", "how many were women": a count with no
    // thing counted counts the people of the question before.
    for (i, x) in words.iter().enumerate() {
        if x == "how"
            && w(i + 1) == "many"
            && matches!(w(i + 2), "are" | "were" | "is" | "was" | "have" | "had")
        {
            return Some(Reference {
                words: format!("how many {}", w(i + 2)),
                noun: None,
                number: None,
            });
        }
    }
    None
}

/// Whether a question's words name a noun (or its singular or plural).
fn names(text: &str, noun: &str) -> bool {
    let stem = noun
        .strip_suffix("ies")
        .map(|s| format!("{s}y"))
        .unwrap_or_else(|| noun.trim_end_matches('s').to_string());
    plain(text).iter().any(|w| {
        *w == noun || *w == stem || w.trim_end_matches('s') == stem || {
            w.strip_suffix("ies")
                .is_some_and(|s| format!("{s}y") == stem)
        }
    })
}

/// The earlier question a reference points to, given the questions before
/// it (in order; parts' words count as their question's).
/// - A question named outright is that question, if there is one.
/// - A noun ("this budget") points to the earlier questions that name it:
///   one is resolved; several are the officer's to choose; none, with only
///   one question before, is that question; otherwise nothing fits.
/// - Words that name nothing ("as above", "of those", "how many are")
///   point to the question just before.
pub fn resolve(reference: &Reference, earlier: &[SplitQuestion]) -> Resolved {
    let all_words = |q: &SplitQuestion| {
        let mut t = q.text.clone();
        for p in &q.parts {
            t.push(' ');
            t.push_str(&p.text);
        }
        t
    };
    if let Some(n) = &reference.number {
        return if earlier.iter().any(|q| q.number == *n) {
            Resolved::To(n.clone())
        } else {
            Resolved::Nothing
        };
    }
    match &reference.noun {
        Some(noun) => {
            let naming: Vec<String> = earlier
                .iter()
                .filter(|q| names(&all_words(q), noun))
                .map(|q| q.number.clone())
                .collect();
            match naming.as_slice() {
                [one] => Resolved::To(one.clone()),
                [] if earlier.len() == 1 => Resolved::To(earlier[0].number.clone()),
                [] => Resolved::Nothing,
                _ => Resolved::Ambiguous(naming),
            }
        }
        None => earlier
            .last()
            .map_or(Resolved::Nothing, |q| Resolved::To(q.number.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(number: &str, text: &str) -> SplitQuestion {
        SplitQuestion {
            number: number.into(),
            text: text.into(),
            preamble: None,
            parts: Vec::new(),
        }
    }

    fn noun_of(text: &str) -> Option<String> {
        find_reference(text).and_then(|r| r.noun)
    }

    #[test]
    fn references_are_found_with_what_they_name() {
        assert_eq!(
            noun_of("How much of this budget was spent on rehab in 2022/23?").as_deref(),
            Some("budget")
        );
        assert_eq!(
            noun_of("Were the same services commissioned in 2019/20?").as_deref(),
            Some("services")
        );
        assert_eq!(
            noun_of("How many of those people died in 2020?").as_deref(),
            Some("people")
        );
        let r = find_reference("What was the cost over the last ten years (as above)").unwrap();
        assert_eq!((r.words.as_str(), r.noun), ("(as above)", None));
        let r = find_reference("As in question 2, how many were women?").unwrap();
        assert_eq!(r.number.as_deref(), Some("2"));
        let r = find_reference("How many are treated in A&E?").unwrap();
        assert_eq!(r.words, "how many are");
        // Time and the request itself are not earlier questions' subjects.
        for text in [
            "How many people were in treatment this year?",
            "Under the same period, how much was spent?",
            "I am making this request under the Act.",
            "How many people were in treatment in 2019/20?",
        ] {
            assert_eq!(find_reference(text), None, "{text}");
        }
    }

    #[test]
    fn references_resolve_to_the_one_question_they_point_to_or_the_candidates() {
        let earlier = [
            q("1", "What was your budget for drug treatment in 2022/23?"),
            q("2", "Which services did you commission in 2022/23?"),
            q("3", "What was the budget for alcohol treatment in 2022/23?"),
        ];
        let r = |t: &str| resolve(&find_reference(t).unwrap(), &earlier);
        // Named by one earlier question.
        assert_eq!(
            r("Were the same services commissioned in 2023/24?"),
            Resolved::To("2".into())
        );
        // Named by two: the officer chooses between them.
        assert_eq!(
            r("How much of this budget was spent on rehab?"),
            Resolved::Ambiguous(vec!["1".into(), "3".into()])
        );
        // Named by none, with several before: nothing fits.
        assert_eq!(r("How many of those clients died?"), Resolved::Nothing);
        // Naming nothing: the question just before.
        assert_eq!(
            r("How many of these were rehab placements?"),
            Resolved::To("3".into())
        );
        assert_eq!(
            r("As in question 1, how much was spent?"),
            Resolved::To("1".into())
        );
        assert_eq!(
            r("As in question 7, how much was spent?"),
            Resolved::Nothing
        );
        // With one question before, whatever it is named is that one.
        assert_eq!(
            resolve(
                &find_reference("the spend on these facilities").unwrap(),
                &earlier[..1]
            ),
            Resolved::To("1".into())
        );
    }
}
