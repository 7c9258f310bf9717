//! Splitting an e-mail body into the requester's questions, verbatim.

use jiff::civil::Date;

use crate::period::Period;

use super::periods::resolve_periods;
use super::{IntakeError, check_size};

/// A question as the requester wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitQuestion {
    /// "1", "2", … for questions; "a", "b", … for parts.
    pub number: String,
    /// The requester's words, verbatim (lines joined by spaces).
    pub text: String,
    /// Shared words before the questions that set a period for them ("For
    /// each of the last three financial years, please tell me:").
    pub preamble: Option<String>,
    /// Lettered parts, and lines of years under the question.
    pub parts: Vec<SplitQuestion>,
}

/// Find the questions in an e-mail body: numbered questions, lettered parts,
/// lines of years under a question, and a shared preamble; or, with no
/// numbering, the sentences ending in `?`.
pub fn split_questions(body: &str) -> Result<Vec<SplitQuestion>, IntakeError> {
    check_size(body.len())?;
    if body.trim().is_empty() {
        return Err(IntakeError::EmptyBody);
    }
    let lines = content_lines(body);
    let mut questions = assemble(&blocks(&lines));
    if questions.is_empty() {
        questions = unnumbered_questions(&lines);
    }
    if questions.is_empty() {
        return Err(IntakeError::NoQuestions);
    }
    Ok(questions)
}

pub(super) const GREETINGS: &[&str] = &[
    "dear ",
    "dear,",
    "hello",
    "hi ",
    "hi,",
    "good morning",
    "good afternoon",
    "good evening",
    "to whom it may concern",
    "greetings",
];

pub(super) const SIGN_OFFS: &[&str] = &[
    "kind regards",
    "kindest regards",
    "best regards",
    "warm regards",
    "regards",
    "yours faithfully",
    "yours sincerely",
    "yours truly",
    "many thanks",
    "thanks",
    "thank you",
    "with thanks",
    "best wishes",
    "all the best",
    "cheers",
    "sent from my",
    "-----original message",
];

pub(super) fn is_greeting(line: &str) -> bool {
    let l = line.trim().to_lowercase();
    l == "hi" || (l.chars().count() < 80 && GREETINGS.iter().any(|g| l.starts_with(g)))
}

pub(super) fn is_sign_off(line: &str) -> bool {
    let l = line.trim().to_lowercase();
    if l == "--" || (l.starts_with("on ") && l.ends_with("wrote:")) {
        return true;
    }
    l.chars().count() <= 60 && SIGN_OFFS.iter().any(|s| l.starts_with(s))
}

/// The body's lines without the greeting, and without the sign-off and what
/// follows it. The sign-off is looked for after the last numbered question
/// (or, with none, after the last line asking something), so "Thank you" at
/// the top of a letter does not end it.
pub(super) fn content_lines(body: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = body.lines().map(str::trim_end).collect();
    if let Some(first) = lines.iter().position(|l| !l.trim().is_empty())
        && is_greeting(lines[first])
    {
        lines[first] = "";
    }
    let asks = |l: &&str| part_marker(l).is_some() || l.contains('?') || asks_in_words(l);
    let last_question = lines
        .iter()
        .rposition(|l| question_marker(l).is_some())
        .or_else(|| lines.iter().rposition(asks))
        .map_or(0, |i| i + 1);
    if let Some(cut) = lines
        .iter()
        .skip(last_question)
        .position(|l| is_sign_off(l))
    {
        lines.truncate(last_question + cut);
    }
    lines
}

pub(super) fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

pub(super) fn leading_digits(text: &str) -> &str {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    &text[..end]
}

/// `1)`, `1.`, `1:`, `(1)`, `Q1`, `Q1.`, `Question 1`, `Question 1:` at the
/// start of a line: the number and the rest of the line.
pub(super) fn question_marker(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    let (rest, prefixed) = if let Some(r) = strip_prefix_ci(t, "question") {
        let r2 = r.trim_start();
        (r2.len() < r.len()).then_some((r2, true))?
    } else if let Some(r) = strip_prefix_ci(t, "q")
        && r.starts_with(|c: char| c.is_ascii_digit())
    {
        (r, true)
    } else {
        (t, false)
    };
    let (rest, bracketed) = match rest.strip_prefix('(') {
        Some(r) if !prefixed => (r, true),
        _ => (rest, false),
    };
    let digits = leading_digits(rest);
    let number: u32 = digits.parse().ok()?;
    if digits.len() > 2 || number == 0 {
        return None;
    }
    let after = &rest[digits.len()..];
    let after = if bracketed {
        after.strip_prefix(')')?
    } else if let Some(a) = after.strip_prefix([')', '.', ':']) {
        a
    } else if prefixed {
        after
    } else {
        return None;
    };
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let rest = after.trim_start();
    // "Q3 2016/17" is a quarter, not question 3.
    if prefixed && !t.to_ascii_lowercase().starts_with("question") && starts_with_period(rest) {
        return None;
    }
    let rest = rest
        .strip_prefix(['-', ':', '–'])
        .map_or(rest, str::trim_start);
    Some((number.to_string(), rest))
}

pub(super) fn starts_with_period(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    first.len() >= 4 && Period::parse(first).is_ok()
}

/// `a)`, `a.`, `(a)`, `ii)` at the start of a line: the letter and the rest.
pub(super) fn part_marker(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    let (inner, after) = if let Some(r) = t.strip_prefix('(') {
        let close = r.find(')')?;
        (&r[..close], &r[close + 1..])
    } else {
        let end = t.find([')', '.'])?;
        (&t[..end], &t[end + 1..])
    };
    let single_letter = inner.chars().count() == 1 && inner.chars().all(|c| c.is_alphabetic());
    let roman = (2..=4).contains(&inner.len())
        && inner
            .chars()
            .all(|c| matches!(c.to_ascii_lowercase(), 'i' | 'v' | 'x'));
    if !(single_letter || roman) || !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((inner.to_lowercase(), after.trim_start()))
}

/// A line that is only a period, such as `2014 - 15` or `2018/19,`.
pub(super) fn period_line(line: &str) -> bool {
    let t = line.trim().trim_end_matches([',', ';']);
    t.chars().any(|c| c.is_ascii_digit()) && Period::parse(t).is_ok()
}

#[derive(Debug, PartialEq)]
pub(super) enum BlockKind {
    Question(String),
    Part(String),
    PeriodLine,
    Paragraph,
}

#[derive(Debug)]
pub(super) struct Block {
    kind: BlockKind,
    /// The words after the marker.
    text: String,
    /// The whole block as written, marker included.
    raw: String,
}

/// Group lines into blocks: a marker line and the lines that continue it,
/// a period line, or a paragraph.
pub(super) fn blocks(lines: &[&str]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open = false;
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            open = false;
            continue;
        }
        let (kind, text) = if let Some((n, rest)) = question_marker(line) {
            (BlockKind::Question(n), rest)
        } else if let Some((l, rest)) = part_marker(line) {
            (BlockKind::Part(l), rest)
        } else if period_line(line) {
            (BlockKind::PeriodLine, trimmed)
        } else if open && let Some(last) = out.last_mut() {
            for text in [&mut last.text, &mut last.raw] {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(trimmed);
            }
            continue;
        } else {
            (BlockKind::Paragraph, trimmed)
        };
        open = kind != BlockKind::PeriodLine;
        out.push(Block {
            kind,
            text: text.trim().to_string(),
            raw: trimmed.to_string(),
        });
    }
    out
}

/// Whether a text names a period (whatever the received date).
pub(super) fn names_period(text: &str) -> bool {
    !resolve_periods(text, Date::constant(2100, 1, 1)).is_empty()
}

pub(super) fn part_letter(index: usize) -> String {
    char::from(b'a' + (index % 26) as u8).to_string()
}

pub(super) const ROMAN: [&str; 10] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"];

/// Whether `letter` is the next part after `count` parts: `a`, `b`, … or
/// `i`, `ii`, … (so "J. Bloggs" under a question is not part j).
pub(super) fn next_part(letter: &str, count: usize) -> bool {
    letter == part_letter(count) || ROMAN.get(count) == Some(&letter)
}

/// Turn blocks into questions (see the module docs for the rules).
pub(super) fn assemble(blocks: &[Block]) -> Vec<SplitQuestion> {
    let mut questions: Vec<SplitQuestion> = Vec::new();
    let mut intro: Vec<&str> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    let mut preamble: Option<String> = None;
    let new_question = |number: &str, text: &str, preamble: &Option<String>| SplitQuestion {
        number: number.to_string(),
        text: text.to_string(),
        preamble: preamble.clone(),
        parts: Vec::new(),
    };
    for block in blocks {
        match &block.kind {
            BlockKind::Question(n) => {
                continue_last(&mut questions, &mut pending);
                if questions.is_empty() {
                    preamble = intro_preamble(&intro);
                }
                questions.push(new_question(n, &block.text, &preamble));
            }
            BlockKind::Part(letter) => {
                // With no numbered questions, `a)`, `b)`, … are the questions.
                let lettered = questions.iter().all(|q| q.number.parse::<u32>().is_err());
                let parts = questions.last().map(|q| q.parts.len());
                if lettered && next_part(letter, questions.len()) {
                    continue_last(&mut questions, &mut pending);
                    if questions.is_empty() {
                        preamble = intro_preamble(&intro);
                    }
                    questions.push(new_question(letter, &block.text, &preamble));
                } else if parts.is_some_and(|n| next_part(letter, n)) {
                    continue_last(&mut questions, &mut pending);
                    if let Some(q) = questions.last_mut() {
                        q.parts.push(new_question(letter, &block.text, &None));
                    }
                } else if questions.is_empty() {
                    intro.push(&block.raw);
                } else {
                    pending.push(&block.raw);
                }
            }
            BlockKind::PeriodLine => match questions.last_mut() {
                Some(q) if pending.is_empty() => {
                    let letter = part_letter(q.parts.len());
                    q.parts.push(new_question(&letter, &block.text, &None));
                }
                Some(_) => pending.push(&block.text),
                None => intro.push(&block.text),
            },
            BlockKind::Paragraph => {
                if questions.is_empty() {
                    intro.push(&block.text);
                } else if block.text.ends_with(':') && names_period(&block.text) {
                    continue_last(&mut questions, &mut pending);
                    preamble = Some(block.text.clone());
                } else {
                    pending.push(&block.text);
                }
            }
        }
    }
    // Closing text after the last question is dropped, unless it asks something
    // or the last question has no words yet ("Question 1" on a line of its own).
    if let Some(q) = questions.last()
        && !(q.text.is_empty() || pending.iter().any(|p| p.ends_with('?')))
    {
        pending.clear();
    }
    continue_last(&mut questions, &mut pending);
    questions.retain(|q| !q.text.is_empty() || !q.parts.is_empty());
    questions
}

/// The last paragraph of the introduction that names a period.
pub(super) fn intro_preamble(intro: &[&str]) -> Option<String> {
    intro
        .iter()
        .rev()
        .find(|p| names_period(p))
        .map(|p| p.to_string())
}

/// Add pending paragraphs to the last question (or its last part).
pub(super) fn continue_last(questions: &mut [SplitQuestion], pending: &mut Vec<&str>) {
    if pending.is_empty() {
        return;
    }
    if let Some(q) = questions.last_mut() {
        // A lettered sub-question continues; a line of years does not.
        let target = match q.parts.last_mut() {
            Some(p) if !q.text.is_empty() && !period_line(&p.text) => p,
            _ => q,
        };
        for p in pending.iter() {
            if !target.text.is_empty() {
                target.text.push(' ');
            }
            target.text.push_str(p);
        }
    }
    pending.clear();
}

/// Words with which a sentence asks for information without a question mark.
pub(super) const ASKING_WORDS: &[&str] = &[
    "please provide",
    "please supply",
    "please send",
    "please tell",
    "please confirm",
    "please let me know",
    "please give",
    "please can you",
    "please could you",
    "could you provide",
    "could you please",
    "could you tell",
    "could you confirm",
    "can you provide",
    "can you please",
    "can you tell",
    "can you confirm",
    "i would like to know",
    "i would like to request",
    "i would like the",
    "i would like details",
    "i would like information",
    "i'd like to know",
    "i would be grateful if you could",
    "i would be grateful for",
    "i request",
    "i am requesting",
    "i wish to request",
    "i wish to know",
    "i want to know",
];

/// Whether a sentence asks for information in words.
pub(super) fn asks_in_words(sentence: &str) -> bool {
    // "I would also like to know …", "could you also tell …"
    let lower = sentence
        .to_lowercase()
        .replace('’', "'")
        .replace(" also ", " ");
    ASKING_WORDS.iter().any(|w| lower.contains(w))
}

/// Sentences ending in `?` or asking in words, numbered 1, 2, …
pub(super) fn unnumbered_questions(lines: &[&str]) -> Vec<SplitQuestion> {
    let mut out = Vec::new();
    let text = lines.join("\n");
    for paragraph in text.split("\n\n") {
        let paragraph = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        for sentence in sentences(&paragraph) {
            if sentence.ends_with('?') || asks_in_words(sentence) {
                out.push(SplitQuestion {
                    number: (out.len() + 1).to_string(),
                    text: sentence.to_string(),
                    preamble: None,
                    parts: Vec::new(),
                });
            }
        }
    }
    out
}

pub(super) fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at_end = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '?' | '!') && at_end {
            let end = i + c.len_utf8();
            let s = text[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;
    use crate::request::Ask;
    use crate::understand::tests::*;
    use crate::understand::*;

    // Splitting.

    #[test]
    fn q_and_question_numbering() {
        let body = "Hello,\n\nQ1 How many people were in treatment in 2018/19?\nQuestion 2: What was the budget for 2018/19?\n\nThanks,\nJo";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].number, "1");
        assert_eq!(
            split[0].text,
            "How many people were in treatment in 2018/19?"
        );
        assert_eq!(split[1].number, "2");
        assert_eq!(split[1].text, "What was the budget for 2018/19?");
    }

    #[test]
    fn bracketed_letters_are_parts() {
        let body = "1. For 2018/19, how many people were in treatment:\n(a) aged under 25\n(b) aged 40 and over\n2. What was the budget in 2018/19?";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        let parts: Vec<(&str, &str)> = split[0]
            .parts
            .iter()
            .map(|p| (p.number.as_str(), p.text.as_str()))
            .collect();
        assert_eq!(parts, [("a", "aged under 25"), ("b", "aged 40 and over")]);
        // Each part reads with its question's words.
        let u = understand(&split[0], day(2019, 6, 10), &shipped(), &[]);
        let Some(Ask::Figures(a)) = &u.parts[0].ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "people_in_treatment");
        assert_eq!(a.filter.get("age_band"), Some("18-24"));
        assert_eq!(a.periods, [p("2018/19")]);
    }

    #[test]
    fn a_shared_preamble_sets_the_period_of_every_question() {
        let body = "Dear Sir/Madam,\n\nFor each of the last three financial years, please tell me:\n\n1) How many people were in treatment?\n2) How many new presentations to treatment were there?\n\nYours faithfully,\nA. Requester";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        for q in &split {
            assert_eq!(
                q.preamble.as_deref(),
                Some("For each of the last three financial years, please tell me:")
            );
        }
        let u = understand(&split[1], day(2019, 6, 10), &shipped(), &[]);
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "new_presentations");
        assert_eq!(a.periods, [p("2018/19"), p("2017/18"), p("2016/17")]);
    }

    #[test]
    fn lines_of_years_under_a_question_are_parts() {
        let body = "1) What was the spend on residential rehab for:\n2015/16\n2016/17\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split[0].parts.len(), 2);
        assert_eq!(split[0].parts[1].number, "b");
        assert_eq!(split[0].parts[1].text, "2016/17");
    }

    #[test]
    fn a_single_unnumbered_question() {
        let body = "Hi,\n\nCould you tell me how many take-home naloxone kits were issued in 2016/17?\n\nKind regards,\nSam";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(split[0].number, "1");
        assert_eq!(
            split[0].text,
            "Could you tell me how many take-home naloxone kits were issued in 2016/17?"
        );
        let u = understand(&split[0], day(2017, 6, 1), &shipped(), &[]);
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "naloxone_kits_issued");
    }

    #[test]
    fn closing_text_and_signatures_are_not_questions() {
        let body = "Thank you.\n\n1) How many people were in treatment in 2018/19?\n\nI would prefer the information by e-mail.\n\nJ. Bloggs\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(
            split[0].text,
            "How many people were in treatment in 2018/19?"
        );
        assert!(split[0].parts.is_empty());
        let body =
            "1) How many people were in treatment in 2018/19?\n\nYours sincerely,\nJ. Bloggs\n";
        assert!(split_questions(body).unwrap()[0].parts.is_empty());
    }

    #[test]
    fn lettered_questions_without_numbers() {
        let body = "Please tell me:\na) how many people were in treatment in 2018/19\nb) the budget for community treatment in 2018/19\n";
        let split = split_questions(body).unwrap();
        let numbers: Vec<&str> = split.iter().map(|q| q.number.as_str()).collect();
        assert_eq!(numbers, ["a", "b"]);
        assert!(split.iter().all(|q| q.parts.is_empty()));
    }

    #[test]
    fn wrapped_lines_continue_the_question() {
        let body = "1) How many people were in treatment\nfor crack cocaine in 2017/18?\n2) Who purchases naloxone?";
        let split = split_questions(body).unwrap();
        assert_eq!(
            split[0].text,
            "How many people were in treatment for crack cocaine in 2017/18?"
        );
        assert_eq!(split[1].number, "2");
    }

    #[test]
    fn no_questions_is_an_error_that_says_what_to_do() {
        let err = split_questions(
            "Dear Sir,\n\nThank you for your letter of 3 May. It was most helpful.\n\nRegards,\nJo",
        )
        .unwrap_err();
        assert_eq!(err, IntakeError::NoQuestions);
        assert!(err.to_string().contains("number the questions"), "{err}");
    }

    #[test]
    fn sentences_that_ask_in_words_are_questions() {
        let body = "Dear Sir or Madam,\n\nUnder the Freedom of Information Act, please provide the number of people in treatment for opiates in each of the last three financial years. This is for a local news story.\n\nI would also like to know how many naloxone kits were issued in 2019/20.\n\nKind regards,\nJo Bloggs";
        let split = split_questions(body).unwrap();
        let texts: Vec<&str> = split.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Under the Freedom of Information Act, please provide the number of people in treatment for opiates in each of the last three financial years.",
                "I would also like to know how many naloxone kits were issued in 2019/20."
            ]
        );
        assert_eq!(split[1].number, "2");
    }
}
