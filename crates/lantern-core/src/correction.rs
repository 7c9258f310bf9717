//! Corrections of what a request asks, one step at a time, without
//! writing a file: the officer's working copy of a request (a [`Request`]
//! whose questions may still ask for nothing, read with
//! [`request::parse_working`]) changed by one [`Correction`].
//!
//! A question or part is named as the officer sees it: `3` for question 3,
//! `3b` for its part b. Codes are the catalogue's; an unknown one is refused
//! with the nearest known codes. A correction either applies whole, leaving
//! a working copy that reads back as it was written, or changes nothing.
//!
//! - Setting aside: the question's words move to the request's
//!   [`SetAside`] list with the officer's reason ("not taken as a
//!   question"); they never vanish.
//! - Splitting at words: the question keeps its words whole (the letter
//!   quotes them) and gets one part per piece, each to be read on its own;
//!   splitting a question that has parts makes each part a question of its
//!   own (`3a`, `3b`).
//! - Merging: the second question's words (and parts) join the first's; the
//!   merged question is read again.
//! - Setting the indicator, topic, periods, filters or breakdowns of a
//!   question with parts sets them on each part.

use serde::{Deserialize, Serialize};

use crate::catalogue::{AGE_BAND, Catalogue, Indicator, UNION, nearest};
use crate::figure::Breakdown;
use crate::period::Period;
use crate::request::{self, Ask, FigureAsk, Question, Request, SetAside};

/// One correction of a request's working copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Correction {
    /// Take a question (or part) out of the request as not a question,
    /// with why; its words stay with the case.
    SetAside {
        /// The question, "3" or "3b".
        question: String,
        /// Why it is not a question.
        reason: String,
    },
    /// Split a question into parts, each starting at one of `at` (the
    /// requester's words, in order); with `at` empty, make a question's
    /// parts questions of their own.
    Split {
        /// The question.
        question: String,
        /// Words at which a new part starts.
        at: Vec<String>,
    },
    /// Join `second` to `first`: two questions, or two parts of one question.
    Merge {
        /// The question that stays.
        first: String,
        /// The question joined to it.
        second: String,
    },
    /// Read a question as figures of an indicator (periods, filters and
    /// breakdowns it allows are kept).
    SetIndicator {
        /// The question.
        question: String,
        /// Indicator code.
        indicator: String,
    },
    /// Read a question as a statement on a topic.
    SetTopic {
        /// The question.
        question: String,
        /// Topic code.
        topic: String,
    },
    /// The periods a figures question asks about, in the requester's order.
    SetPeriods {
        /// The question.
        question: String,
        /// Periods as the request format spells them ("2019/20", "2021").
        periods: Vec<String>,
    },
    /// The values a figures question is narrowed to, as
    /// `dimension=value` (`a|b` for either); none for everyone.
    SetFilter {
        /// The question.
        question: String,
        /// `dimension=value` pairs.
        filter: Vec<String>,
    },
    /// The dimensions a figures question is broken down by; none for a total.
    SetBreakdown {
        /// The question.
        question: String,
        /// Dimension codes.
        breakdown: Vec<String>,
    },
}

/// A correction that cannot be applied; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionError {
    /// No question or part has that number.
    #[error("there is no question {number}; the questions are {}", known.join(", "))]
    NoSuchQuestion {
        /// The number given.
        number: String,
        /// The numbers there are.
        known: Vec<String>,
    },
    /// The correction does not fit the request (what is wrong and what to do).
    #[error("{0}")]
    Refused(String),
}

fn refused<T>(message: impl Into<String>) -> Result<T, CorrectionError> {
    Err(CorrectionError::Refused(message.into()))
}

/// A correction applied: what changed, in words for the history, and the
/// questions whose words changed, to be read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What was done, e.g. "question 2 split into 2a, 2b".
    pub description: String,
    /// The questions or parts ("2a") made or changed by a split or merge,
    /// which ask for nothing until read again or set.
    pub to_read: Vec<String>,
}

/// Where a question is: its index, and its part's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct At {
    question: usize,
    part: Option<usize>,
}

/// Every question and part's number, as the officer names them.
pub fn numbers(request: &Request) -> Vec<String> {
    let mut out = Vec::new();
    for q in &request.questions {
        out.push(q.number.clone());
        for p in &q.parts {
            out.push(format!("{}{}", q.number, p.number));
        }
    }
    out
}

fn locate(request: &Request, number: &str) -> Result<At, CorrectionError> {
    let wanted = number.trim();
    for (qi, q) in request.questions.iter().enumerate() {
        if q.number == wanted {
            return Ok(At {
                question: qi,
                part: None,
            });
        }
    }
    for (qi, q) in request.questions.iter().enumerate() {
        for (pi, p) in q.parts.iter().enumerate() {
            if format!("{}{}", q.number, p.number) == wanted {
                return Ok(At {
                    question: qi,
                    part: Some(pi),
                });
            }
        }
    }
    Err(CorrectionError::NoSuchQuestion {
        number: wanted.to_string(),
        known: numbers(request),
    })
}

fn get_mut(request: &mut Request, at: At) -> &mut Question {
    let q = &mut request.questions[at.question];
    match at.part {
        Some(p) => &mut q.parts[p],
        None => q,
    }
}

/// The letter after `letter` ("a" → "b", "z" → "za").
fn next_letter(letter: &str) -> String {
    match letter.chars().last() {
        Some(c) if c.is_ascii_lowercase() && c != 'z' => {
            let mut next = letter[..letter.len() - 1].to_string();
            next.push((c as u8 + 1) as char);
            next
        }
        _ => format!("{letter}a"),
    }
}

/// Letters `a`, `b`, … for `n` parts.
fn letters(n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut letter = "a".to_string();
    for _ in 0..n {
        out.push(letter.clone());
        letter = next_letter(&letter);
    }
    out
}

/// Where `words` begin in `text` at or after byte `from`, compared
/// without regard to case, char by char (so every offset is a char
/// boundary of `text`).
fn find_words(text: &str, words: &str, from: usize) -> Option<usize> {
    let wanted: Vec<char> = words.trim().chars().flat_map(char::to_lowercase).collect();
    if wanted.is_empty() {
        return None;
    }
    text.char_indices()
        .map(|(i, _)| i)
        .filter(|i| *i >= from)
        .find(|i| {
            let mut got = text[*i..].chars().flat_map(char::to_lowercase);
            wanted.iter().all(|w| got.next() == Some(*w))
        })
}

/// The request as the officer changed it by `correction`, checked against
/// the catalogue; `request` is unchanged when it fails.
pub fn apply(
    request: &mut Request,
    correction: &Correction,
    catalogue: &Catalogue,
) -> Result<Applied, CorrectionError> {
    let mut next = request.clone();
    let applied = apply_to(&mut next, correction, catalogue)?;
    // What the working copy holds must read back as it was written.
    let text = request::to_toml(&next);
    let read = request::parse_working(&next.reference, &text, catalogue)
        .map_err(|e| CorrectionError::Refused(e.message))?;
    *request = read;
    Ok(applied)
}

fn apply_to(
    request: &mut Request,
    correction: &Correction,
    catalogue: &Catalogue,
) -> Result<Applied, CorrectionError> {
    let done = |description: String| Applied {
        description,
        to_read: Vec::new(),
    };
    match correction {
        Correction::SetAside { question, reason } => {
            let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
            if reason.is_empty() {
                return refused(format!(
                    "say why question {question} is not a question (a signature, a footer, …)"
                ));
            }
            let at = locate(request, question)?;
            let number = numbers_at(request, at);
            let removed = match at.part {
                Some(p) => request.questions[at.question].parts.remove(p),
                None => request.questions.remove(at.question),
            };
            let mut text = removed.text.clone();
            for p in &removed.parts {
                text.push_str(&format!("\n{}) {}", p.number, p.text));
            }
            request.set_aside.push(SetAside {
                number: Some(number.clone()),
                text,
                reason: reason.clone(),
            });
            Ok(done(format!(
                "question {number} set aside as not a question: {reason}"
            )))
        }
        Correction::Split {
            question,
            at: words,
        } => split(request, question, words),
        Correction::Merge { first, second } => merge(request, first, second),
        Correction::SetIndicator {
            question,
            indicator,
        } => {
            let at = locate(request, question)?;
            let indicator = catalogue
                .indicator(indicator)
                .map_err(|e| CorrectionError::Refused(e.to_string()))?;
            let mut dropped = Vec::new();
            for q in targets(request, at) {
                let mut ask = match &q.ask {
                    Some(Ask::Figures(f)) => f.clone(),
                    _ => FigureAsk {
                        indicator: String::new(),
                        periods: Vec::new(),
                        filter: Breakdown::total(),
                        breakdown: Vec::new(),
                        age_range: false,
                        bands: Vec::new(),
                    },
                };
                ask.indicator = indicator.code.clone();
                let allowed = |d: &String| indicator.breakdowns.contains(d);
                for d in ask.filter.0.keys().chain(&ask.breakdown) {
                    if !allowed(d) && !dropped.contains(d) {
                        dropped.push(d.clone());
                    }
                }
                ask.filter.0.retain(|d, _| allowed(d));
                ask.breakdown.retain(allowed);
                if !allowed(&AGE_BAND.to_string()) {
                    ask.age_range = false;
                    ask.bands.clear();
                }
                q.ask = Some(Ask::Figures(ask));
            }
            let number = numbers_at(request, at);
            let mut description = format!("question {number} asks for {}", indicator.code);
            if !dropped.is_empty() {
                description.push_str(&format!(
                    " (which cannot be split by {}: dropped)",
                    dropped.join(", ")
                ));
            }
            Ok(done(description))
        }
        Correction::SetTopic { question, topic } => {
            let at = locate(request, question)?;
            let code = topic.trim();
            if catalogue.topic(code).is_none() {
                let known: Vec<String> = catalogue.topics().map(|t| t.code.clone()).collect();
                let near = nearest(code, known.iter());
                return refused(format!(
                    "unknown topic '{code}'{}",
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", near.join(", "))
                    }
                ));
            }
            let q = get_mut(request, at);
            if !q.parts.is_empty() {
                return refused(format!(
                    "question {question} has parts; set the topic of each part, or merge them first"
                ));
            }
            q.ask = Some(Ask::Statement {
                topic: code.to_string(),
            });
            Ok(done(format!(
                "question {question} asks for the statement {code}"
            )))
        }
        Correction::SetPeriods { question, periods } => {
            let at = locate(request, question)?;
            if periods.is_empty() {
                return refused(format!(
                    "give question {question} at least one period, such as 2019/20"
                ));
            }
            let mut parsed = Vec::new();
            for p in periods {
                let period = Period::parse(p)
                    .map_err(|e| CorrectionError::Refused(format!("period '{p}': {e}")))?;
                if !parsed.contains(&period) {
                    parsed.push(period);
                }
            }
            for_figures(request, at, question, catalogue, |f, _| {
                f.periods = parsed.clone();
                Ok(())
            })?;
            let shown: Vec<String> = parsed.iter().map(|p| p.to_string()).collect();
            Ok(done(format!(
                "question {question} asks for {}",
                shown.join(", ")
            )))
        }
        Correction::SetFilter { question, filter } => {
            let at = locate(request, question)?;
            for_figures(request, at, question, catalogue, |f, indicator| {
                f.filter = filter_of(filter, indicator, catalogue)?;
                if let Some(d) = f.breakdown.iter().find(|d| f.filter.get(d).is_some()) {
                    return refused(format!(
                        "'{d}' is both a filter and a breakdown of question {question}; set its breakdown without it first"
                    ));
                }
                Ok(())
            })?;
            Ok(done(if filter.is_empty() {
                format!("question {question} is for everyone (no filter)")
            } else {
                format!("question {question} is narrowed to {}", filter.join(", "))
            }))
        }
        Correction::SetBreakdown {
            question,
            breakdown,
        } => {
            let at = locate(request, question)?;
            for_figures(request, at, question, catalogue, |f, indicator| {
                let mut codes = Vec::new();
                for b in breakdown {
                    let dim = catalogue
                        .dimension(b)
                        .map_err(|e| CorrectionError::Refused(e.to_string()))?;
                    if !indicator.breakdowns.contains(&dim.code) {
                        return refused(format!(
                            "indicator '{}' cannot be broken down by '{}' (it allows: {})",
                            indicator.code,
                            dim.code,
                            indicator.breakdowns.join(", ")
                        ));
                    }
                    if f.filter.get(&dim.code).is_some() {
                        return refused(format!(
                            "'{}' is both a filter and a breakdown of question {question}; set its filter without it first",
                            dim.code
                        ));
                    }
                    if !codes.contains(&dim.code) {
                        codes.push(dim.code.clone());
                    }
                }
                if (f.age_range || !f.bands.is_empty()) && !codes.iter().any(|c| c == AGE_BAND) {
                    f.age_range = false;
                    f.bands.clear();
                }
                f.breakdown = codes;
                Ok(())
            })?;
            Ok(done(if breakdown.is_empty() {
                format!("question {question} asks for totals (no breakdown)")
            } else {
                format!(
                    "question {question} is broken down by {}",
                    breakdown.join(", ")
                )
            }))
        }
    }
}

/// The number the officer sees for a question or part.
fn numbers_at(request: &Request, at: At) -> String {
    let q = &request.questions[at.question];
    match at.part {
        Some(p) => format!("{}{}", q.number, q.parts[p].number),
        None => q.number.clone(),
    }
}

/// The question itself, or each of its parts when it has parts.
fn targets(request: &mut Request, at: At) -> Vec<&mut Question> {
    let q = get_mut(request, at);
    if q.parts.is_empty() {
        vec![q]
    } else {
        q.ask = None;
        q.parts.iter_mut().collect()
    }
}

/// Change the figures asks of a question (or of each of its parts).
fn for_figures(
    request: &mut Request,
    at: At,
    question: &str,
    catalogue: &Catalogue,
    mut change: impl FnMut(&mut FigureAsk, &Indicator) -> Result<(), CorrectionError>,
) -> Result<(), CorrectionError> {
    let q = get_mut(request, at);
    let has_parts = !q.parts.is_empty();
    let asks: Vec<&mut Option<Ask>> = if has_parts {
        q.parts.iter_mut().map(|p| &mut p.ask).collect()
    } else {
        vec![&mut q.ask]
    };
    for ask in asks {
        let Some(Ask::Figures(f)) = ask else {
            return refused(format!(
                "question {question} has no indicator yet{}; set its indicator first",
                if has_parts { " in each part" } else { "" }
            ));
        };
        let indicator = catalogue
            .indicator(&f.indicator)
            .map_err(|e| CorrectionError::Refused(e.to_string()))?;
        change(f, indicator)?;
    }
    Ok(())
}

/// A filter from `dimension=value` pairs, checked as a request file's is.
fn filter_of(
    pairs: &[String],
    indicator: &Indicator,
    catalogue: &Catalogue,
) -> Result<Breakdown, CorrectionError> {
    let mut filter = Breakdown::total();
    for pair in pairs {
        let Some((dim, value)) = pair.split_once('=') else {
            return refused(format!(
                "filter '{pair}' is not dimension=value, such as substance_group=opiate"
            ));
        };
        let dimension = catalogue
            .dimension(dim)
            .map_err(|e| CorrectionError::Refused(e.to_string()))?;
        let mut codes: Vec<String> = Vec::new();
        let members: Vec<&str> = value.split(UNION).map(str::trim).collect();
        for member in &members {
            let code = catalogue
                .breakdown_value(indicator, dim, member)
                .map_err(|e| CorrectionError::Refused(format!("filter '{pair}': {e}")))?;
            if code == "*" && members.len() > 1 {
                return refused(format!(
                    "filter '{pair}': '*' cannot be one of several values"
                ));
            }
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        codes.sort_by_key(|c| (dimension.position(c), c.clone()));
        filter
            .0
            .insert(dimension.code.clone(), codes.join(&UNION.to_string()));
    }
    Ok(filter)
}

fn split(
    request: &mut Request,
    question: &str,
    words: &[String],
) -> Result<Applied, CorrectionError> {
    let at = locate(request, question)?;
    if at.part.is_some() {
        return refused(format!(
            "{question} is a part; a part cannot be split (merge it with its question's other parts, or set its reading)"
        ));
    }
    let q = &mut request.questions[at.question];
    if words.is_empty() {
        if q.parts.is_empty() {
            return refused(format!(
                "question {question} has no parts; say where to split it (the words each new part starts with)"
            ));
        }
        let heading = request.questions.remove(at.question);
        let mut made = Vec::new();
        for (i, p) in heading.parts.into_iter().enumerate() {
            let number = format!("{}{}", heading.number, p.number);
            made.push(number.clone());
            request.questions.insert(
                at.question + i,
                Question {
                    number,
                    parts: Vec::new(),
                    ..p
                },
            );
        }
        if let Some(clash) = made
            .iter()
            .find(|n| request.questions.iter().filter(|q| &&q.number == n).count() > 1)
        {
            return refused(format!(
                "question {clash} exists already; its parts cannot become questions of their own"
            ));
        }
        return Ok(Applied {
            description: format!(
                "question {question}'s parts made questions of their own: {}",
                made.join(", ")
            ),
            to_read: Vec::new(),
        });
    }
    if !q.parts.is_empty() {
        return refused(format!(
            "question {question} has parts already; split it into its parts (no --at) first"
        ));
    }
    let mut cuts = vec![0];
    let mut from = 0;
    for w in words {
        let Some(i) = find_words(&q.text, w, from) else {
            return refused(format!(
                "question {question} has no “{}” after the last split point; give words from it: “{}”",
                w.trim(),
                q.text
            ));
        };
        if i == 0 || q.text[i..].trim().is_empty() {
            return refused(format!(
                "“{}” is at the start or end of question {question}; split where a new part begins",
                w.trim()
            ));
        }
        if q.text[cuts[cuts.len() - 1]..i].trim().is_empty() {
            return refused(format!(
                "“{}” would make an empty part of question {question}",
                w.trim()
            ));
        }
        cuts.push(i);
        from = i + q.text[i..].chars().next().map_or(1, char::len_utf8);
    }
    cuts.push(q.text.len());
    let names = letters(cuts.len() - 1);
    q.parts = cuts
        .windows(2)
        .zip(&names)
        .map(|(w, letter)| Question {
            number: letter.clone(),
            text: q.text[w[0]..w[1]]
                .trim()
                .trim_end_matches([',', ';'])
                .trim()
                .to_string(),
            ask: None,
            parts: Vec::new(),
            estimate_hours: None,
        })
        .collect();
    q.ask = None;
    let made: Vec<String> = names.iter().map(|l| format!("{}{l}", q.number)).collect();
    Ok(Applied {
        description: format!("question {question} split into {}", made.join(", ")),
        to_read: made,
    })
}

fn merge(request: &mut Request, first: &str, second: &str) -> Result<Applied, CorrectionError> {
    let a = locate(request, first)?;
    let b = locate(request, second)?;
    if a == b {
        return refused(format!(
            "question {first} cannot be merged with itself; name two questions"
        ));
    }
    match (a.part, b.part) {
        (None, None) => {
            let taken = request.questions.remove(b.question);
            let into = if b.question < a.question {
                a.question - 1
            } else {
                a.question
            };
            let q = &mut request.questions[into];
            q.text = format!("{} {}", q.text, taken.text);
            let mut letter = q
                .parts
                .last()
                .map_or("a".to_string(), |p| next_letter(&p.number));
            for p in taken.parts {
                while q.parts.iter().any(|held| held.number == letter) {
                    letter = next_letter(&letter);
                }
                q.parts.push(Question {
                    number: letter.clone(),
                    ..p
                });
                letter = next_letter(&letter);
            }
            q.ask = None;
            let to_read = if q.parts.is_empty() {
                vec![q.number.clone()]
            } else {
                Vec::new()
            };
            Ok(Applied {
                description: format!("question {second} merged into question {first}"),
                to_read,
            })
        }
        (Some(pa), Some(pb)) if a.question == b.question => {
            let q = &mut request.questions[a.question];
            let taken = q.parts.remove(pb);
            let into = if pb < pa { pa - 1 } else { pa };
            let part = &mut q.parts[into];
            part.text = format!("{} {}", part.text, taken.text);
            part.ask = None;
            Ok(Applied {
                description: format!("part {second} merged into part {first}"),
                to_read: vec![format!("{}{}", q.number, part.number)],
            })
        }
        _ => refused(format!(
            "{first} and {second} are not two questions nor two parts of one question; merge questions with questions, parts with parts of the same question"
        )),
    }
}

/// A short fingerprint of a working copy as written, so that a correction
/// made on what an officer saw is refused once someone else changed it.
pub fn revision(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::request::{missing, parse_request, parse_working, to_toml};

    const WORKING: &str = r#"
reference = "FOI-1"
received = 2019-06-10

[[question]]
number = "1"
text = "How many methadone programme participants were there in 2018/19?"

[[question]]
number = "2"
text = "What was the budget and how many people were in treatment in 2018/19?"

[[question]]
number = "3"
text = "How many crack users"
indicator = "people_in_treatment"
periods = ["2018/19"]
filter = { crack = "crack" }

[[question]]
number = "4"
text = "Heading"

[[question.part]]
letter = "a"
text = "In 2017/18"
indicator = "people_in_treatment"
periods = ["2017/18"]

[[question.part]]
letter = "b"
text = "In 2018/19"

[[question]]
number = "5"
text = "Kind regards, Jo"
"#;

    fn working() -> Request {
        parse_working("w.toml", WORKING, &shipped()).unwrap()
    }

    fn apply_one(r: &mut Request, c: Correction) -> Result<Applied, CorrectionError> {
        apply(r, &c, &shipped())
    }

    fn q(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn a_working_copy_reads_back_and_says_what_is_left() {
        let r = working();
        assert_eq!(parse_working("again", &to_toml(&r), &shipped()).unwrap(), r);
        assert_eq!(
            missing(&r),
            vec![
                (q("1"), "asks for nothing yet"),
                (q("2"), "asks for nothing yet"),
                (q("4b"), "asks for nothing yet"),
                (q("5"), "asks for nothing yet"),
            ]
        );
        // The same file is not a request to answer: the first question
        // left to decide is named where it is.
        let err = parse_request("w.toml", WORKING, &shipped()).unwrap_err();
        assert!(err.message.contains("question 1 asks for nothing"), "{err}");
        assert_eq!(err.line, 6);
        // An indicator without periods is kept, and is left to decide.
        let text = "reference = \"R\"\nreceived = 2019-06-10\n[[question]]\nnumber = \"1\"\ntext = \"x\"\nindicator = \"budget\"\n";
        let r = parse_working("w", text, &shipped()).unwrap();
        assert_eq!(missing(&r), vec![(q("1"), "has no periods")]);
        assert!(parse_request("w", text, &shipped()).is_err());
    }

    #[test]
    fn words_set_aside_stay_with_the_request_and_say_why() {
        let mut r = working();
        let done = apply_one(
            &mut r,
            Correction::SetAside {
                question: q("5"),
                reason: q("  the signature "),
            },
        )
        .unwrap();
        assert_eq!(
            done.description,
            "question 5 set aside as not a question: the signature"
        );
        assert!(r.questions.iter().all(|x| x.number != "5"));
        assert_eq!(
            r.set_aside,
            vec![SetAside {
                number: Some(q("5")),
                text: q("Kind regards, Jo"),
                reason: q("the signature"),
            }]
        );
        // Written out and read back, the words are still there.
        let again = parse_working("w", &to_toml(&r), &shipped()).unwrap();
        assert_eq!(again.set_aside, r.set_aside);
        // A reason is required.
        let before = r.clone();
        let err = apply_one(
            &mut r,
            Correction::SetAside {
                question: q("1"),
                reason: q(" "),
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("say why"), "{err}");
        assert_eq!(r, before, "nothing changed");
    }

    #[test]
    fn an_unknown_question_is_named_with_the_questions_there_are() {
        let mut r = working();
        let err = apply_one(
            &mut r,
            Correction::SetPeriods {
                question: q("7"),
                periods: vec![q("2018/19")],
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no question 7; the questions are 1, 2, 3, 4, 4a, 4b, 5"
        );
        assert!(matches!(err, CorrectionError::NoSuchQuestion { .. }));
    }

    #[test]
    fn a_question_split_at_words_keeps_its_words_and_gets_a_part_per_piece() {
        let mut r = working();
        let done = apply_one(
            &mut r,
            Correction::Split {
                question: q("2"),
                at: vec![q("How many")],
            },
        )
        .unwrap();
        assert_eq!(done.to_read, vec![q("2a"), q("2b")]);
        let two = &r.questions[1];
        assert_eq!(
            two.text,
            "What was the budget and how many people were in treatment in 2018/19?"
        );
        let parts: Vec<(&str, &str)> = two
            .parts
            .iter()
            .map(|p| (p.number.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(
            parts,
            [
                ("a", "What was the budget and"),
                ("b", "how many people were in treatment in 2018/19?")
            ]
        );
        // Words not in the question, a part, or a cut at the very start are refused.
        for (question, at, says) in [
            ("1", "rehab", "has no “rehab”"),
            ("4a", "2017", "a part cannot be split"),
            ("1", "How many", "at the start or end"),
            ("4", "In", "has parts already"),
        ] {
            let before = r.clone();
            let err = apply_one(
                &mut r,
                Correction::Split {
                    question: q(question),
                    at: vec![q(at)],
                },
            )
            .unwrap_err();
            assert!(err.to_string().contains(says), "{question}: {err}");
            assert_eq!(r, before);
        }
    }

    #[test]
    fn splitting_words_of_any_case_and_script_never_cuts_inside_a_letter() {
        let mut r = working();
        r.questions[0].text = q("İİ Straße ÉTÉ and how many ǅ people?");
        for at in ["straSSE", "été", "HOW MANY", "ǆ"] {
            let mut copy = r.clone();
            let _ = apply_one(
                &mut copy,
                Correction::Split {
                    question: q("1"),
                    at: vec![q(at)],
                },
            );
        }
        apply_one(
            &mut r,
            Correction::Split {
                question: q("1"),
                at: vec![q("été"), q("HOW MANY")],
            },
        )
        .unwrap();
        let parts: Vec<&str> = r.questions[0]
            .parts
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(parts, ["İİ Straße", "ÉTÉ and", "how many ǅ people?"]);
    }

    #[test]
    fn a_question_split_into_its_parts_makes_each_a_question() {
        let mut r = working();
        apply_one(
            &mut r,
            Correction::Split {
                question: q("4"),
                at: vec![],
            },
        )
        .unwrap();
        let numbers: Vec<&str> = r.questions.iter().map(|x| x.number.as_str()).collect();
        assert_eq!(numbers, ["1", "2", "3", "4a", "4b", "5"]);
        assert!(
            matches!(&r.questions[3].ask, Some(Ask::Figures(f)) if f.indicator == "people_in_treatment")
        );
        let err = apply_one(
            &mut r,
            Correction::Split {
                question: q("1"),
                at: vec![],
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("has no parts"), "{err}");
    }

    #[test]
    fn two_questions_merge_into_the_first_and_are_read_again() {
        let mut r = working();
        let done = apply_one(
            &mut r,
            Correction::Merge {
                first: q("3"),
                second: q("1"),
            },
        )
        .unwrap();
        assert_eq!(done.to_read, vec![q("3")]);
        let numbers: Vec<&str> = r.questions.iter().map(|x| x.number.as_str()).collect();
        assert_eq!(numbers, ["2", "3", "4", "5"]);
        assert_eq!(
            r.questions[1].text,
            "How many crack users How many methadone programme participants were there in 2018/19?"
        );
        assert_eq!(r.questions[1].ask, None, "to be read again");
        // Two parts of one question merge too; the parts of another do not.
        apply_one(
            &mut r,
            Correction::Merge {
                first: q("4a"),
                second: q("4b"),
            },
        )
        .unwrap();
        assert_eq!(r.questions[2].parts.len(), 1);
        assert_eq!(r.questions[2].parts[0].text, "In 2017/18 In 2018/19");
        for (a, b, says) in [
            ("2", "2", "cannot be merged with itself"),
            ("2", "4a", "not two questions"),
            ("2", "9", "there is no question 9"),
        ] {
            let err = apply_one(
                &mut r,
                Correction::Merge {
                    first: q(a),
                    second: q(b),
                },
            )
            .unwrap_err();
            assert!(err.to_string().contains(says), "{a} {b}: {err}");
        }
    }

    #[test]
    fn a_reading_is_set_by_catalogue_codes_with_the_nearest_suggested() {
        let mut r = working();
        let set = |r: &mut Request, c: Correction| apply_one(r, c);
        // Periods need an indicator first.
        let err = set(
            &mut r,
            Correction::SetPeriods {
                question: q("1"),
                periods: vec![q("2018/19")],
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("set its indicator first"), "{err}");
        let err = set(
            &mut r,
            Correction::SetIndicator {
                question: q("1"),
                indicator: q("people_in_treatmnt"),
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("did you mean people_in_treatment"),
            "{err}"
        );
        set(
            &mut r,
            Correction::SetIndicator {
                question: q("1"),
                indicator: q("people_in_treatment"),
            },
        )
        .unwrap();
        assert_eq!(missing(&r)[0], (q("1"), "has no periods"));
        let err = set(
            &mut r,
            Correction::SetPeriods {
                question: q("1"),
                periods: vec![q("20217/18")],
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("period '20217/18'"), "{err}");
        set(
            &mut r,
            Correction::SetPeriods {
                question: q("1"),
                periods: vec![q("2018/19"), q("2017-18")],
            },
        )
        .unwrap();
        let err = set(
            &mut r,
            Correction::SetFilter {
                question: q("1"),
                filter: vec![q("substance_group=opiat")],
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("did you mean opiate"), "{err}");
        set(
            &mut r,
            Correction::SetFilter {
                question: q("1"),
                filter: vec![q("substance_group=opiate")],
            },
        )
        .unwrap();
        let err = set(
            &mut r,
            Correction::SetBreakdown {
                question: q("1"),
                breakdown: vec![q("substance_group")],
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("both a filter and a breakdown"),
            "{err}"
        );
        set(
            &mut r,
            Correction::SetBreakdown {
                question: q("1"),
                breakdown: vec![q("sex")],
            },
        )
        .unwrap();
        let Some(Ask::Figures(f)) = &r.questions[0].ask else {
            panic!("figures")
        };
        assert_eq!(f.periods.len(), 2);
        assert_eq!(f.filter.get("substance_group"), Some("opiate"));
        assert_eq!(f.breakdown, vec![q("sex")]);
        // Another indicator keeps the periods and drops what it cannot split by.
        let done = set(
            &mut r,
            Correction::SetIndicator {
                question: q("1"),
                indicator: q("budget"),
            },
        )
        .unwrap();
        assert!(done.description.contains("dropped"), "{}", done.description);
        let Some(Ask::Figures(f)) = &r.questions[0].ask else {
            panic!("figures")
        };
        assert_eq!(
            (f.periods.len(), f.filter.0.len(), f.breakdown.len()),
            (2, 0, 0)
        );
        let err = set(
            &mut r,
            Correction::SetBreakdown {
                question: q("1"),
                breakdown: vec![q("sex")],
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("cannot be broken down by 'sex'"),
            "{err}"
        );
        // Topics by code.
        let err = set(
            &mut r,
            Correction::SetTopic {
                question: q("2"),
                topic: q("naloxone.purchasr"),
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("did you mean naloxone.purchaser"),
            "{err}"
        );
        set(
            &mut r,
            Correction::SetTopic {
                question: q("2"),
                topic: q("naloxone.purchaser"),
            },
        )
        .unwrap();
        // A question with parts is set in each part.
        set(
            &mut r,
            Correction::SetIndicator {
                question: q("4"),
                indicator: q("people_in_treatment"),
            },
        )
        .unwrap();
        set(
            &mut r,
            Correction::SetPeriods {
                question: q("4b"),
                periods: vec![q("2018/19")],
            },
        )
        .unwrap();
        set(
            &mut r,
            Correction::SetAside {
                question: q("5"),
                reason: q("signature"),
            },
        )
        .unwrap();
        assert_eq!(missing(&r), vec![]);
        assert!(parse_request("r", &to_toml(&r), &shipped()).is_ok());
    }

    #[test]
    fn corrections_are_serialisable_for_every_front_end() {
        let c = Correction::SetFilter {
            question: q("2b"),
            filter: vec![q("substance_group=opiate")],
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"set_filter","question":"2b","filter":["substance_group=opiate"]}"#
        );
        assert_eq!(serde_json::from_str::<Correction>(&json).unwrap(), c);
    }

    fn any_correction() -> impl proptest::strategy::Strategy<Value = Correction> {
        use proptest::prelude::*;
        let number = prop_oneof![
            Just(q("1")),
            Just(q("2")),
            Just(q("4a")),
            Just(q("4")),
            "\\PC{0,4}"
        ];
        let text = "\\PC{0,12}";
        prop_oneof![
            (number.clone(), text)
                .prop_map(|(question, reason)| Correction::SetAside { question, reason }),
            (number.clone(), proptest::collection::vec(text, 0..3))
                .prop_map(|(question, at)| Correction::Split { question, at }),
            (number.clone(), number.clone())
                .prop_map(|(first, second)| Correction::Merge { first, second }),
            (
                number.clone(),
                prop_oneof![
                    Just(q("people_in_treatment")),
                    Just(q("budget")),
                    text.prop_map(String::from)
                ]
            )
                .prop_map(|(question, indicator)| Correction::SetIndicator {
                    question,
                    indicator
                }),
            (
                number.clone(),
                proptest::collection::vec(
                    prop_oneof![Just(q("2018/19")), text.prop_map(String::from)],
                    0..3
                )
            )
                .prop_map(|(question, periods)| Correction::SetPeriods { question, periods }),
            (
                number.clone(),
                proptest::collection::vec(
                    prop_oneof![
                        Just(q("substance_group=opiate")),
                        Just(q("sex=a|b")),
                        text.prop_map(String::from)
                    ],
                    0..3
                )
            )
                .prop_map(|(question, filter)| Correction::SetFilter { question, filter }),
            (
                number,
                proptest::collection::vec(
                    prop_oneof![Just(q("sex")), text.prop_map(String::from)],
                    0..3
                )
            )
                .prop_map(|(question, breakdown)| Correction::SetBreakdown {
                    question,
                    breakdown
                }),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_corrections_leave_a_working_copy_that_reads_back(
            corrections in proptest::collection::vec(any_correction(), 0..6)
        ) {
            let catalogue = shipped();
            let mut r = working();
            for c in &corrections {
                let before = r.clone();
                match apply(&mut r, c, &catalogue) {
                    Ok(_) => {}
                    Err(_) => proptest::prop_assert_eq!(&r, &before),
                }
                let again = parse_working("again", &to_toml(&r), &catalogue);
                proptest::prop_assert_eq!(again.as_ref().ok(), Some(&r));
            }
        }
    }

    #[test]
    fn the_revision_changes_with_the_working_copy() {
        let r = working();
        let a = revision(&to_toml(&r));
        assert_eq!(a, revision(&to_toml(&r)));
        assert_eq!(a.len(), 16);
        let mut changed = r.clone();
        changed.questions.pop();
        assert_ne!(a, revision(&to_toml(&changed)));
    }
}
