//! Several measures asked for in one sentence ("the budgeted spend per year,
//! the actual spend per year and the total number of individuals treated
//! during each of the above financial years"): each measure becomes a part
//! of the question, with the words the measures share, so that each is read
//! on its own. Only measures of different kinds (a budget, a spend, a count)
//! are split: "the number of men and the number of women" is one measure
//! with a breakdown.

/// The kind of figure a measure asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Budget,
    Spend,
    Money,
    Count,
}

/// Words that may come before a measure's own word ("the total number").
const LEADING: &[&str] = &[
    "the", "your", "its", "their", "also", "total", "overall", "annual", "yearly", "a", "an",
];

/// Words after which the words the measures share begin ("… using these
/// facilities during each year").
const SHARED_FROM: &[&str] = &[
    "in", "on", "for", "during", "within", "at", "across", "between", "from", "over", "using",
    "by", "to",
];

fn kind_at(words: &[&str], i: usize) -> Option<Kind> {
    let w = |k: usize| words.get(k).map(|s| s.to_lowercase()).unwrap_or_default();
    match w(i).as_str() {
        "budget" | "budgets" | "budgeted" | "allocation" | "allocated" => Some(Kind::Budget),
        "spend" | "spent" | "expenditure" | "outturn" | "cost" | "costs" => Some(Kind::Spend),
        "actual"
            if matches!(
                w(i + 1).as_str(),
                "spend" | "expenditure" | "cost" | "costs"
            ) =>
        {
            Some(Kind::Spend)
        }
        "number" | "numbers" if w(i + 1) == "of" => Some(Kind::Count),
        "how" if w(i + 1) == "many" => Some(Kind::Count),
        "how" if w(i + 1) == "much" => Some(Kind::Money),
        _ => None,
    }
}

/// The measure a chunk of a sentence starts with (after "the", "total", …).
fn starts_with_measure(chunk: &str) -> Option<Kind> {
    let words: Vec<&str> = chunk
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .collect();
    let first = words
        .iter()
        .position(|w| !LEADING.contains(&w.to_lowercase().as_str()))?;
    kind_at(&words, first)
}

/// Split a sentence at list separators, keeping each separator with the
/// chunk after it.
fn chunks(sentence: &str) -> Vec<(&'static str, &str)> {
    const SEPARATORS: &[&str] = &[", and ", " as well as ", " and ", "; ", ", "];
    let mut out: Vec<(&'static str, &str)> = Vec::new();
    let mut rest = sentence;
    let mut sep: &'static str = "";
    loop {
        let next = SEPARATORS
            .iter()
            .filter_map(|s| rest.find(s).map(|at| (at, *s)))
            .min_by_key(|(at, s)| (*at, std::cmp::Reverse(s.len())));
        match next {
            Some((at, s)) => {
                out.push((sep, &rest[..at]));
                sep = s;
                rest = &rest[at + s.len()..];
            }
            None => {
                out.push((sep, rest));
                return out;
            }
        }
    }
}

/// Where the words a measure shares with the others begin in the last
/// measure's words: at the first of [`SHARED_FROM`] after its own word (and
/// after the "of" of "number of …"), if any.
fn shared_tail(item: &str) -> Option<&str> {
    let lower = item.to_lowercase();
    let skip = lower.find(" of ").map_or(0, |at| at + 4);
    let at = SHARED_FROM
        .iter()
        .filter_map(|w| {
            let pat = format!(" {w} ");
            lower[skip..].find(&pat).map(|at| skip + at + 1)
        })
        .min()?;
    item.get(at..)
}

/// The parts of a question asking for measures of different kinds in one
/// sentence, each with the lead-in and the words the measures share; none
/// when it asks for one kind only.
pub(super) fn measure_parts(text: &str) -> Option<Vec<String>> {
    for sentence in super::split::sentences(text) {
        let pieces = chunks(sentence);
        let (_, first) = pieces.first()?;
        // The lead-in ("Please also provide the") is before the first
        // measure of the first chunk.
        let words: Vec<&str> = first.split_whitespace().collect();
        let cleaned: Vec<&str> = words
            .iter()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect();
        let Some(at) = (0..cleaned.len()).find(|&i| kind_at(&cleaned, i).is_some()) else {
            continue;
        };
        let mut start = at;
        while start > 0 && LEADING.contains(&cleaned[start - 1].to_lowercase().as_str()) {
            start -= 1;
        }
        let lead = words[..start].join(" ");
        let mut items: Vec<(Kind, String)> = vec![(
            kind_at(&cleaned, at).expect("found above"),
            words[start..].join(" "),
        )];
        for (sep, chunk) in &pieces[1..] {
            match starts_with_measure(chunk) {
                Some(kind) => items.push((kind, chunk.trim().to_string())),
                None => {
                    if let Some((_, last)) = items.last_mut() {
                        last.push_str(sep);
                        last.push_str(chunk);
                    }
                }
            }
        }
        let kinds = |k: Kind| items.iter().any(|(x, _)| *x == k);
        let distinct = [Kind::Budget, Kind::Spend, Kind::Money, Kind::Count]
            .into_iter()
            .filter(|k| kinds(*k))
            .count();
        if items.len() < 2 || distinct < 2 {
            continue;
        }
        let tail = items
            .last()
            .and_then(|(_, t)| shared_tail(t))
            .map(str::to_string);
        let last = items.len() - 1;
        let parts = items
            .iter()
            .enumerate()
            .map(|(i, (_, item))| {
                let mut part = if lead.is_empty() {
                    item.clone()
                } else {
                    format!("{lead} {item}")
                };
                if i != last
                    && let Some(tail) = &tail
                    && shared_tail(item).is_none()
                {
                    part.push(' ');
                    part.push_str(tail);
                }
                part
            })
            .collect();
        return Some(parts);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_a_spend_and_a_count_in_one_sentence_are_three_parts() {
        let parts = measure_parts(
            "Please also provide the budgeted spend per year and actual spend per year on these facilities and the total number of individuals treated using these facilities during each of the above financial years.",
        )
        .unwrap();
        assert_eq!(
            parts,
            [
                "Please also provide the budgeted spend per year using these facilities during each of the above financial years.",
                "Please also provide actual spend per year on these facilities",
                "Please also provide the total number of individuals treated using these facilities during each of the above financial years.",
            ]
        );
        let parts = measure_parts(
            "What was the budget, the spend and the number of people in residential rehab in 2019/20?",
        )
        .unwrap();
        assert_eq!(
            parts,
            [
                "What was the budget in residential rehab in 2019/20?",
                "What was the spend in residential rehab in 2019/20?",
                "What was the number of people in residential rehab in 2019/20?",
            ]
        );
    }

    #[test]
    fn one_kind_of_measure_is_not_split() {
        for text in [
            "How many men and how many women were in treatment in 2019/20?",
            "What was the budget for drug and alcohol treatment in 2019/20?",
            "How many people were in treatment for opiates and crack in 2019/20?",
            "Please tell me the number of people in treatment, and whether you commission rehab.",
        ] {
            assert_eq!(measure_parts(text), None, "{text}");
        }
    }
}
