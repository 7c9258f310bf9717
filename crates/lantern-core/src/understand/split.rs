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
    let lines = normalise_markers(&lines);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
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
        .rposition(|l| question_marker(l).is_some() || bullet_marker(l).is_some())
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

/// `1)`, `1.`, `1.)`, `1:`, `(1)`, `Q1`, `Q1.`, `Question 1`, `Question 1:` at the
/// start of a line: the number and the rest of the line.
pub(super) fn question_marker(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    let worded = strip_prefix_ci(t, "question").or_else(|| strip_prefix_ci(t, "request"));
    let (rest, prefixed) = if let Some(r) = worded {
        let r2 = r.trim_start();
        (r2.len() < r.len() && r2.starts_with(|c: char| c.is_ascii_digit()))
            .then_some((r2, true))?
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
    } else if let Some(a) = after
        .strip_prefix(".)")
        .or_else(|| after.strip_prefix([')', '.', ':']))
    {
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
    let lower = t.to_ascii_lowercase();
    if prefixed
        && !(lower.starts_with("question") || lower.starts_with("request"))
        && starts_with_period(rest)
    {
        return None;
    }
    let rest = rest
        .strip_prefix(['-', ':', '–'])
        .map_or(rest, str::trim_start);
    Some((number.to_string(), rest))
}

/// A list bullet (`-`, `•`, `*`, `–`, `·`, `o` followed by a space) at the
/// start of a line: the rest of the line.
pub(super) fn bullet_marker(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let mut chars = t.chars();
    let bullet = chars.next()?;
    if !matches!(bullet, '-' | '•' | '*' | '–' | '·' | '▪' | '◦') {
        return None;
    }
    let rest = chars.as_str();
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    (!rest.is_empty()).then_some(rest)
}

/// `1a)`, `1a.`, `5a.)`, `(1a)`, `1(a)` at the start of a line: a question
/// number, the letter of its part, and the rest of the line.
pub(super) fn compound_marker(line: &str) -> Option<(String, String, &str)> {
    let t = line.trim_start();
    let t = t.strip_prefix('(').unwrap_or(t);
    let digits = leading_digits(t);
    let number: u32 = digits.parse().ok()?;
    if digits.len() > 2 || number == 0 {
        return None;
    }
    let rest = &t[digits.len()..];
    let rest = rest.strip_prefix('(').unwrap_or(rest);
    let mut chars = rest.chars();
    let letter = chars.next().filter(char::is_ascii_alphabetic)?;
    let after = chars.as_str();
    let after = after
        .strip_prefix(".)")
        .or_else(|| after.strip_prefix(')'))
        .or_else(|| after.strip_prefix('.'))?;
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    Some((
        number.to_string(),
        letter.to_ascii_lowercase().to_string(),
        after.trim_start(),
    ))
}

/// A line starting with a bare number and a capital (`1 The number of …`):
/// the number and the rest. Only taken as a question marker when such lines
/// count 1, 2, 3, … (see [`normalise_markers`]).
fn bare_number(line: &str) -> Option<(u32, &str)> {
    let t = line.trim_start();
    let digits = leading_digits(t);
    let number: u32 = digits.parse().ok()?;
    if digits.len() > 2 || number == 0 {
        return None;
    }
    let rest = t[digits.len()..].strip_prefix(' ')?;
    rest.starts_with(|c: char| c.is_uppercase())
        .then_some((number, rest))
}

/// A line that is only a marker (`A`, `B.`, `c)`, `1`, `2.`): its place in
/// the sequence it starts (`A` is 1, `b` is 2, `3` is 3) and whether it is a
/// letter.
fn standalone_marker(line: &str) -> Option<(u32, bool)> {
    let t = line.trim().trim_end_matches(['.', ')', ':']);
    let t = t.strip_prefix('(').unwrap_or(t);
    let mut chars = t.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic() && chars.next().is_none() {
        let n = u32::from(first.to_ascii_lowercase() as u8 - b'a') + 1;
        return Some((n, true));
    }
    let n: u32 = (t.len() <= 2).then(|| t.parse().ok()).flatten()?;
    (n > 0).then_some((n, false))
}

/// Markers written on a line of their own (`A` on one line, the question on
/// the next) are joined to the line after them (`A) …`, `1. …`), when at
/// least two of them count A, B, C, … or 1, 2, 3, … and each is followed by
/// words. A lone `I` or `1` elsewhere is left alone.
fn join_standalone_markers(lines: &[&str]) -> Vec<String> {
    let next_words = |i: usize| {
        lines
            .get(i + 1)
            .is_some_and(|l| !l.trim().is_empty() && standalone_marker(l).is_none())
    };
    let mut found: Vec<(usize, bool)> = Vec::new();
    let mut want = 1;
    let mut letters = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some((n, letter)) = standalone_marker(line)
            && n == want
            && letters.is_none_or(|l| l == letter)
            && next_words(i)
        {
            found.push((i, letter));
            letters = Some(letter);
            want += 1;
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut skip = false;
    for (i, line) in lines.iter().enumerate() {
        if skip {
            skip = false;
            continue;
        }
        match found.iter().find(|(at, _)| *at == i) {
            Some((_, letter)) if found.len() >= 2 => {
                let marker = line.trim().trim_end_matches(['.', ')', ':']);
                let marker = marker.strip_prefix('(').unwrap_or(marker);
                let next = lines[i + 1].trim();
                out.push(if *letter {
                    format!("{marker}) {next}")
                } else {
                    format!("{marker}. {next}")
                });
                skip = true;
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// Make the requester's numbering explicit before splitting:
/// - a marker on a line of its own is joined to the line after it (see
///   [`join_standalone_markers`]);
/// - bare numbers that count 1, 2, 3, … at the start of lines (`1 The
///   number …`, `2 The providers …`) become `1.`, `2.`, …, when no other
///   numbering is used;
/// - when the first numbered question is `2`, a `1.` or `1)` that starts a
///   sentence inside the line before it (question 1 written on the
///   introduction's line) starts a line of its own.
pub(super) fn normalise_markers(lines: &[&str]) -> Vec<String> {
    let mut out = join_standalone_markers(lines);
    let numbered: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, l)| question_marker(l).is_some())
        .map(|(i, _)| i)
        .collect();
    if numbered.is_empty() {
        let bare: Vec<(usize, u32)> = out
            .iter()
            .enumerate()
            .filter_map(|(i, l)| bare_number(l).map(|(n, _)| (i, n)))
            .collect();
        let counts = bare.len() >= 2 && bare.iter().zip(1..).all(|((_, n), want)| *n == want);
        if counts {
            for (i, _) in bare {
                if let Some((n, rest)) = bare_number(&out[i]) {
                    out[i] = format!("{n}. {rest}");
                }
            }
        }
        return out;
    }
    let first = numbered[0];
    if question_marker(&out[first]).is_some_and(|(n, _)| n == "2") {
        for i in (0..first).rev() {
            if out[i].trim().is_empty() {
                break;
            }
            let line = out[i].clone();
            let at = ["1. ", "1) "].iter().find_map(|m| {
                line.match_indices(m)
                    .map(|(at, _)| at)
                    .find(|&at| at > 0 && line[..at].trim_end().ends_with(['.', ':', '?', '!']))
            });
            if let Some(at) = at {
                out[i] = line[..at].trim_end().to_string();
                out.insert(i + 1, line[at..].to_string());
                break;
            }
        }
    }
    out
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
    /// `1a)`: part `a` of question `1`.
    Compound(String, String),
    /// A bulleted line: a question when nothing is numbered, else a part.
    Bullet,
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
        } else if let Some((n, l, rest)) = compound_marker(line) {
            (BlockKind::Compound(n, l), rest)
        } else if let Some(rest) = bullet_marker(line) {
            (BlockKind::Bullet, rest)
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
    let numbered = blocks
        .iter()
        .any(|b| matches!(b.kind, BlockKind::Question(_) | BlockKind::Compound(..)));
    let mut bullets = 0;
    // With nothing numbered, a lead-in that asks for data and ends in `:`
    // just before bullets ("could you please provide data on incidents
    // where either:") is the question, and its bullets are its parts.
    let mut bullets_are_parts = false;
    // A counting lead-in ending in `:` whose numbered items are values
    // ("how many emergency admissions were attributable … to the
    // consumption of:" then "1. mephedrone;" "2. piperazine;"): the lead-in
    // is the question and its numbered items are its parts, until an item
    // that is not a value.
    let mut numbers_are_values = false;
    for (at, block) in blocks.iter().enumerate() {
        if numbers_are_values {
            match &block.kind {
                BlockKind::Question(_) if is_value_item(&block.text) => {
                    if let Some(q) = questions.last_mut() {
                        continue_last_parts(q, &mut pending);
                        let letter = part_letter(q.parts.len());
                        q.parts.push(new_question(&letter, &block.text, &None));
                    }
                    continue;
                }
                _ => numbers_are_values = false,
            }
        }
        if block.kind == BlockKind::Paragraph
            && is_counting_lead_in(&block.text)
            && blocks
                .get(at + 1)
                .is_some_and(|b| matches!(b.kind, BlockKind::Question(_)) && is_value_item(&b.text))
        {
            continue_last(&mut questions, &mut pending);
            let number = (questions.len() + 1).to_string();
            questions.push(new_question(&number, &block.text, &None));
            numbers_are_values = true;
            continue;
        }
        let before_bullet = blocks
            .get(at + 1)
            .is_some_and(|b| b.kind == BlockKind::Bullet);
        // With nothing numbered, a question of its own ("How many people
        // have been convicted …?") just before bullets ("- of those
        // convicted, how many …?") is a question, and its bullets are its
        // parts; once questions have parts, a later question of its own is
        // a new question, not a continuation of the last part.
        if !numbered
            && block.kind == BlockKind::Paragraph
            && is_question_of_its_own(&block.text)
            && (before_bullet || bullets_are_parts)
        {
            continue_last(&mut questions, &mut pending);
            bullets += 1;
            questions.push(new_question(&bullets.to_string(), &block.text, &None));
            bullets_are_parts = true;
            continue;
        }
        if !numbered
            && block.kind == BlockKind::Paragraph
            && is_lead_in_request(&block.text)
            && blocks.get(at + 1).is_some_and(|b| {
                b.kind == BlockKind::Bullet
                    && !(starts_a_question(&b.text)
                        || asks_in_words(&b.text)
                        || b.text.trim_end().ends_with('?'))
            })
        {
            continue_last(&mut questions, &mut pending);
            bullets += 1;
            questions.push(new_question(&bullets.to_string(), &block.text, &None));
            bullets_are_parts = true;
            continue;
        }
        match &block.kind {
            BlockKind::Question(n) => {
                continue_last(&mut questions, &mut pending);
                if before_first(&questions) {
                    preamble = intro_preamble(&intro);
                }
                questions.push(new_question(n, &block.text, &preamble));
            }
            BlockKind::Compound(n, letter) => {
                continue_last(&mut questions, &mut pending);
                if before_first(&questions) {
                    preamble = intro_preamble(&intro);
                }
                if questions.last().is_none_or(|q| q.number != *n) {
                    questions.push(new_question(n, "", &preamble));
                }
                if let Some(q) = questions.last_mut() {
                    q.parts.push(new_question(letter, &block.text, &None));
                }
            }
            BlockKind::Bullet if !numbered && bullets_are_parts => {
                if let Some(q) = questions.last_mut() {
                    continue_last_parts(q, &mut pending);
                    let letter = part_letter(q.parts.len());
                    q.parts.push(new_question(&letter, &block.text, &None));
                }
            }
            BlockKind::Bullet if !numbered => {
                continue_last(&mut questions, &mut pending);
                if before_first(&questions) {
                    preamble = intro_preamble(&intro);
                }
                bullets += 1;
                questions.push(new_question(&bullets.to_string(), &block.text, &preamble));
            }
            BlockKind::Bullet => match questions.last_mut() {
                Some(q) => {
                    continue_last_parts(q, &mut pending);
                    let letter = part_letter(q.parts.len());
                    q.parts.push(new_question(&letter, &block.text, &None));
                }
                None => intro.push(&block.raw),
            },
            BlockKind::Part(letter) => {
                // With no numbered questions, `a)`, `b)`, … are the questions.
                let lettered = questions.iter().all(|q| q.number.parse::<u32>().is_err());
                let parts = questions.last().map(|q| q.parts.len());
                if lettered
                    && questions.is_empty()
                    && next_part(letter, 0)
                    && intro.last().is_some_and(|l| is_lead_in(l))
                    && names_period(&intro.join(" "))
                    && (intro.len() >= 2 || sentences(&intro.join(" ")).len() >= 2)
                {
                    // Letters under an introduction that names what is
                    // asked for and when ("Recorded discrepancies … over
                    // the last three years. … Details of such incidents
                    // should include the following:"): the introduction is
                    // the question, and the letters its parts.
                    let mut q = new_question("1", &intro.join(" "), &None);
                    q.parts.push(new_question(letter, &block.text, &None));
                    intro.clear();
                    questions.push(q);
                } else if !numbered
                    && next_part(letter, 0)
                    && questions
                        .last()
                        .is_some_and(|q| q.number.parse::<u32>().is_ok() && !q.parts.is_empty())
                {
                    // A second run of letters ("(i) … (iii) … In the years
                    // to March …: (i) …"): a new question, whose words are
                    // the lead-in that ends the part before.
                    continue_last(&mut questions, &mut pending);
                    let lead = questions
                        .last_mut()
                        .and_then(|q| q.parts.last_mut())
                        .and_then(|p| split_off_lead_in(&mut p.text))
                        .unwrap_or_default();
                    let mut q = new_question(&(questions.len() + 1).to_string(), &lead, &None);
                    q.parts.push(new_question(letter, &block.text, &None));
                    questions.push(q);
                } else if lettered && next_part(letter, questions.len()) {
                    continue_last(&mut questions, &mut pending);
                    if before_first(&questions) {
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
                if numbered
                    && questions.is_empty()
                    && (is_standalone_request(&block.text) || is_question_of_its_own(&block.text))
                {
                    // "Please supply any policies …" before the numbered
                    // questions: a request of its own, numbered 0.
                    questions.push(new_question("0", &block.text, &None));
                } else if before_first(&questions) {
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
    // Closing text after the last question is dropped, unless it asks
    // something, or the last question has no words yet ("Question 1" on a
    // line of its own) or only a heading's ("2. Naloxone outcome data").
    // A closing paragraph that asks for more in words ("I would also like
    // to know how many …", "For each incident, please detail …") is a
    // question of its own, unless it is about the reply itself ("Please
    // provide a response in an Excel format").
    if let Some(q) = questions.last()
        && !(q.text.is_empty() || is_heading(&q.text) || pending.iter().any(|p| p.ends_with('?')))
    {
        let next = q.number.parse::<u32>().ok();
        let asking: Vec<&str> = pending
            .iter()
            .copied()
            .filter(|p| asks_for_more(p))
            .collect();
        pending.clear();
        for (k, text) in asking.into_iter().enumerate() {
            let number = match next {
                Some(n) => (n + 1 + k as u32).to_string(),
                None => (questions.len() + 1).to_string(),
            };
            questions.push(new_question(&number, text, &None));
        }
    }
    continue_last(&mut questions, &mut pending);
    questions.retain(|q| !q.text.is_empty() || !q.parts.is_empty());
    questions
}

/// Take a lead-in sentence ending in `:` off the end of a text ("… took
/// place. In the years to March, 2019; …:"), leaving the rest.
fn split_off_lead_in(text: &mut String) -> Option<String> {
    if !text.trim_end().ends_with(':') {
        return None;
    }
    let last = sentences(text).last().map(|s| s.to_string())?;
    if last.len() == text.trim().len() {
        return None;
    }
    let at = text.rfind(&last)?;
    text.truncate(at);
    let kept = text.trim_end().to_string();
    *text = kept;
    Some(last)
}

/// Whether no numbered question has started yet (a request numbered 0 from
/// the introduction does not count).
fn before_first(questions: &[SplitQuestion]) -> bool {
    questions.iter().all(|q| q.number == "0")
}

/// Words that point to what follows: a lead-in, not a request of its own.
const POINTS_BELOW: &[&str] = &["following", "below", "these questions", "the questions"];

/// A lead-in that asks how many of something and ends in `:` ("how many
/// emergency admissions were attributable … to the consumption of:"). A
/// lead-in that names no counted thing ("Can I get the numbers of:") is
/// not one: its items are the things counted.
fn is_counting_lead_in(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.trim_end().ends_with(':')
        && ["how many", "how much"].iter().any(|w| lower.contains(w))
        && !POINTS_BELOW.iter().any(|w| lower.contains(w))
}

/// A numbered item that is a value completing its lead-in, not a question:
/// a few words ("mephedrone;", "salvia divinorum.") that ask nothing.
fn is_value_item(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.split_whitespace().count() <= 4
        && !t.ends_with('?')
        && !asks_in_words(t)
        && !starts_a_question(t)
}

/// A paragraph that is a whole question of its own: it ends in `?`, asks
/// for figures (how many, how much, the number of) and points to nothing
/// below ("the following", "these questions").
pub(super) fn is_question_of_its_own(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.trim_end().ends_with('?')
        && [
            "how many",
            "how much",
            "number of",
            "any convictions",
            "any arrests",
        ]
        .iter()
        .any(|w| lower.contains(w))
        && !POINTS_BELOW.iter().any(|w| lower.contains(w))
}

/// Words of a closing paragraph about the reply, not about what is asked:
/// its format, receipt, timing, or contacting the requester.
const ABOUT_THE_REPLY: &[&str] = &[
    "format",
    "excel",
    "csv",
    "spreadsheet",
    "electronic",
    "e-mail",
    "email",
    "receipt",
    "acknowledge",
    "clarif",
    "response",
    "respond",
    "reply",
    "working days",
    "contact me",
    "any questions",
    "queries",
    "if you need",
    "if you require",
    "if you have",
    "in writing",
    "by post",
];

/// A closing paragraph that asks for more: its first sentence, or its last
/// (the ask after an explanation: "… As such, I'd like any information
/// relating to …"), asks in words and is not about the reply itself.
fn asks_for_more(paragraph: &str) -> bool {
    let all = sentences(paragraph);
    let asks = |s: &str| asks_in_words(s) && !about_the_reply(s);
    all.first().is_some_and(|s| asks(s)) || all.last().is_some_and(|s| asks(s))
}

/// Whether a sentence is about the reply: it names one of
/// [`ABOUT_THE_REPLY`], a single word at the start of a word ("format",
/// "formatted", not "information").
fn about_the_reply(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    ABOUT_THE_REPLY.iter().any(|cue| {
        if cue.contains(' ') {
            lower.contains(cue)
        } else {
            words.iter().any(|w| w.starts_with(cue))
        }
    })
}

/// An introduction paragraph that is itself a request, not a lead-in to the
/// questions: it starts "Please supply/provide/send/give …" and points to
/// nothing below ("the following", "these questions", …).
pub(super) fn is_standalone_request(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "please supply",
        "please provide",
        "please send",
        "please give",
    ]
    .iter()
    .any(|w| lower.starts_with(w))
        && !text.trim_end().ends_with(':')
        && !POINTS_BELOW.iter().any(|w| lower.contains(w))
}

/// A lead-in that is itself a request for data: it asks in words, names
/// what it wants (data, information, figures, details, the number) and ends
/// in `:`.
pub(super) fn is_lead_in_request(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.trim_end().ends_with(':')
        && asks_in_words(text)
        && ["data", "information", "figures", "details", "number"]
            .iter()
            .any(|w| lower.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w))
}

/// A short title rather than a question: a few words, no sentence ending,
/// no colon ("Naloxone outcome data").
pub(super) fn is_heading(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.split_whitespace().count() <= 6
        && !t.ends_with(['?', '.', ':', ';', ','])
        && !names_period(t)
}

/// Add pending paragraphs to a question itself (or its last lettered part).
fn continue_last_parts(q: &mut SplitQuestion, pending: &mut Vec<&str>) {
    continue_last(std::slice::from_mut(q), pending);
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
    "i'd like the",
    "i'd like any",
    "i'd like details",
    "i'd like information",
    "i would like any",
    "it would be useful if",
    "it would be helpful if",
    "i would be grateful if you could",
    "i would be grateful for",
    "i request",
    "i am requesting",
    "i wish to request",
    "i wish to know",
    "i want to know",
    "i would request",
    "i am looking to",
    "i am looking for",
    "i am after",
    "i am seeking",
    "are you able to provide",
    "would you be able to",
    "would it be possible",
    "wondering if you",
    "wondering whether you",
    "i would appreciate",
    "i'd appreciate",
    "i'd be grateful",
    "i wish for",
    "i wish to have",
    "i wish to receive",
    "i wish to obtain",
    "i wish to see",
    "i would like to see",
    "i would like to receive",
    "please advise",
    "please indicate",
    "please detail",
    "please list",
    "please state",
    "please outline",
    "please explain",
    "please share",
    "please specify",
    "please identify",
    "please set out",
    "please disclose",
    "please break down",
    "freedom of information request over",
    "freedom of information request about",
    "freedom of information request regarding",
    "freedom of information request relating",
];

/// Whether a sentence asks for information in words.
pub(super) fn asks_in_words(sentence: &str) -> bool {
    // "I would also like to know …", "could you also tell …"
    let lower = sentence
        .to_lowercase()
        .replace('’', "'")
        .replace(" also ", " ");
    ASKING_WORDS.iter().any(|w| lower.contains(w)) || makes_a_request_about(&lower)
}

/// Whatever words come between: "I would like to make a (freedom of
/// information) request (please) about / regarding / concerning / relating
/// to / into / on …": the sentence names what it asks for.
fn makes_a_request_about(lower: &str) -> bool {
    let Some(at) = [
        "make a ",
        "make an ",
        "making a ",
        "making an ",
        "submit a ",
        "submit an ",
        "submitting a ",
        "submitting an ",
    ]
    .iter()
    .filter_map(|w| lower.find(w).map(|at| at + w.len()))
    .min() else {
        return false;
    };
    let rest = &lower[at..];
    let Some(request) = rest.find("request") else {
        return false;
    };
    // The request is named within a few words ("a freedom of information
    // request"), and what it is about follows it.
    rest[..request].split_whitespace().count() <= 5
        && [
            " about ",
            " regarding ",
            " concerning ",
            " relating to ",
            " into ",
            " on ",
        ]
        .iter()
        .any(|w| rest[request..].contains(w))
}

/// Words that open a request written as a statement ("The number of …",
/// "A list of …", "Any correspondence …") or a question without its `?`.
pub(super) const REQUEST_OPENERS: &[&str] = &[
    "how many",
    "how much",
    "what ",
    "which ",
    "who ",
    "when ",
    "where ",
    "whether ",
    "the number of",
    "number of",
    "the total number",
    "total number",
    "the total",
    "a breakdown",
    "breakdown of",
    "a list",
    "a full list",
    "a comprehensive list",
    "list of",
    "details of",
    "details on",
    "any correspondence",
    "any data",
    "any information",
    "any internal",
    "any records",
    "all correspondence",
    "all information",
    "copies of",
    "a copy of",
    "first ",
    "firstly",
    "second ",
    "secondly",
    "third ",
    "thirdly",
    "finally",
    "lastly",
];

/// Whether a sentence opens like a request.
pub(super) fn opens_a_request(sentence: &str) -> bool {
    let lower = sentence.trim_start().to_lowercase();
    REQUEST_OPENERS.iter().any(|o| lower.starts_with(o))
        || after_heading(&lower)
            .is_some_and(|rest| REQUEST_OPENERS.iter().any(|o| rest.starts_with(o)))
}

/// What follows a short heading and its colon ("Drug related incidents:
/// Total number of …"), or none.
fn after_heading(lower: &str) -> Option<&str> {
    let (heading, rest) = lower.split_once(": ")?;
    (heading.split_whitespace().count() <= 6).then_some(rest.trim_start())
}

/// Whether a paragraph stops mid-phrase ("The number of;") and so runs on
/// into the next one. A lead-in ending in `:` does not.
fn runs_on(paragraph: &str) -> bool {
    if is_lead_in(paragraph) {
        return false;
    }
    let last = paragraph
        .trim_end_matches([';', ','])
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        last.as_str(),
        "of" | "and" | "or" | "the" | "a" | "an" | "for" | "to" | "in" | "on" | "by" | "with"
    )
}

/// Split a paragraph written as an inline list ("… areas: 1. Users o Number
/// of … o Number of … 2. Episodes o Total …") into its lead and its items:
/// an item starts at ` o `, ` • ` or ` – ` before a capital, or at a number
/// with `.` or `)` before a capital. Fewer than two markers: no list.
pub(super) fn inline_items(text: &str) -> (String, Vec<String>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let upper_at = |k: usize| chars.get(k).is_some_and(|(_, c)| c.is_uppercase());
    let mut cuts: Vec<(usize, usize)> = Vec::new(); // (marker start, item start)
    for (k, &(at, c)) in chars.iter().enumerate() {
        let after_space = k > 0 && chars[k - 1].1 == ' ';
        if !after_space {
            continue;
        }
        if matches!(c, 'o' | '•' | '–')
            && chars.get(k + 1).is_some_and(|(_, n)| *n == ' ')
            && upper_at(k + 2)
        {
            cuts.push((at, chars[k + 2].0));
        } else if c.is_ascii_digit() {
            let mut e = k;
            while chars.get(e).is_some_and(|(_, d)| d.is_ascii_digit()) {
                e += 1;
            }
            if e - k <= 2
                && chars.get(e).is_some_and(|(_, m)| matches!(m, '.' | ')'))
                && chars.get(e + 1).is_some_and(|(_, n)| *n == ' ')
                && upper_at(e + 2)
            {
                cuts.push((at, chars[e + 2].0));
            }
        }
    }
    if cuts.len() < 2 {
        return (text.to_string(), Vec::new());
    }
    let lead = text[..cuts[0].0].trim().to_string();
    let items = cuts
        .iter()
        .enumerate()
        .map(|(n, &(_, start))| {
            let end = cuts.get(n + 1).map_or(text.len(), |&(next, _)| next);
            text[start..end].trim().to_string()
        })
        .filter(|i| !i.is_empty())
        .collect();
    (lead, items)
}

/// Whether a line starts a new question of its own: it opens like a request,
/// or is a question ending in `?`.
fn starts_a_question(line: &str) -> bool {
    let t = line.trim();
    opens_a_request(t) || (t.ends_with('?') && t.starts_with(|c: char| c.is_uppercase()))
}

/// Whether a paragraph is a lead-in to what follows: it ends in `:`, or in
/// a dash standing for one ("please could you give details of -").
pub(super) fn is_lead_in(paragraph: &str) -> bool {
    let t = paragraph.trim_end();
    t.ends_with(':')
        || t.ends_with(" -")
        || t.ends_with(":-")
        || t.ends_with('–')
        || t.ends_with('—')
}

/// The lead-in without its closing `:` or dash.
fn lead_in_words(paragraph: &str) -> &str {
    paragraph
        .trim_end()
        .trim_end_matches([':', '-', '–', '—'])
        .trim_end()
}

/// Whether a lead-in stops mid-sentence ("how many people have you arrested
/// for:", "details of -"): what follows completes its sentence, so one
/// item under it is one question with it.
fn lead_in_cut_short(paragraph: &str) -> bool {
    let last = lead_in_words(paragraph)
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        last.as_str(),
        "of" | "for"
            | "on"
            | "in"
            | "to"
            | "by"
            | "with"
            | "about"
            | "regarding"
            | "concerning"
            | "including"
            | "from"
            | "into"
            | "between"
            | "where"
            | "that"
            | "is"
            | "are"
            | "was"
            | "were"
            | "the"
            | "and"
            | "or"
    )
}

/// The items of a paragraph listed under a lead-in. Its lines are items of
/// their own when they are not filled to a common width, as wrapped prose
/// is: a list whose bullets were lost ("the type and amount of drug
/// involved" / "its total monetary worth" / …). Otherwise the paragraph is
/// one item.
fn listed_items(lines: &[String]) -> Vec<String> {
    let widest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let ragged = lines.len() >= 2
        && lines[..lines.len() - 1]
            .iter()
            .any(|l| l.chars().count() * 10 < widest * 6);
    if ragged {
        lines.to_vec()
    } else {
        vec![lines.join(" ")]
    }
}

/// With no numbering: sentences ending in `?`, asking in words or opening
/// like a request (a line that opens like one starts a new sentence, as in a
/// list whose numbers were lost), and every paragraph listed after a lead-in
/// ending in `:` or a dash (each of its lines, when they are a list). A
/// lead-in cut short ("how many people have you arrested for:") with one
/// item under it that closes its question with a `?`, even after a blank
/// line, is one question with that item;
/// items under any other lead-in carry it as their preamble. Once something
/// is asked, a paragraph that asks nothing is kept as a question too, for
/// the officer to keep or drop: nothing the requester wrote vanishes.
/// Numbered 1, 2, …
pub(super) fn unnumbered_questions(lines: &[&str]) -> Vec<SplitQuestion> {
    let text = lines.join("\n");
    // Paragraphs as lists of lines; a paragraph that stops mid-phrase takes
    // in the next.
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    for paragraph in text.split("\n\n") {
        let lines: Vec<String> = paragraph
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect();
        if lines.is_empty() {
            continue;
        }
        match paragraphs.last_mut() {
            Some(last) if runs_on(&last.join(" ")) => last.extend(lines),
            _ => paragraphs.push(lines),
        }
    }
    // What each paragraph asks, and the lead-in it is listed under.
    let mut found: Vec<(Vec<String>, Option<String>)> = Vec::new();
    let mut lead_in: Option<String> = None;
    for lines in &paragraphs {
        let joined = lines.join(" ");
        let mut asked = Vec::new();
        let under = lead_in.take();
        if under.is_some() && !is_lead_in(&joined) {
            asked.extend(listed_items(lines));
        } else {
            // Lines that open a question of their own start a new group.
            let mut groups: Vec<String> = Vec::new();
            for line in lines {
                match groups.last_mut() {
                    Some(g) if !starts_a_question(line) => {
                        g.push(' ');
                        g.push_str(line);
                    }
                    _ => groups.push(line.clone()),
                }
            }
            for group in &groups {
                let (lead, items) = inline_items(group);
                for item in items {
                    if !is_heading(&item) {
                        asked.push(item);
                    }
                }
                // A sentence that asks nothing after one that asks
                // continues it ("… in 2019. This should exclude …").
                let mut asking = false;
                for sentence in sentences(&lead) {
                    if sentence.ends_with('?')
                        || asks_in_words(sentence)
                        || opens_a_request(sentence)
                    {
                        asked.push(sentence.to_string());
                        asking = true;
                    } else if asking && let Some(last) = asked.last_mut() {
                        last.push(' ');
                        last.push_str(sentence);
                    }
                }
            }
        }
        if is_lead_in(&joined) {
            lead_in = Some(joined.clone());
        }
        found.push((asked, under.filter(|_| !is_lead_in(&joined))));
    }
    // A lead-in cut short with one item under it: one question, which takes
    // in whatever the lead-in asked.
    let mut merged = vec![false; found.len()];
    for k in 1..found.len() {
        let lead = paragraphs[k - 1].join(" ");
        // The item closes the lead-in's question with its `?` and opens
        // none of its own ("Possession of a legal high …?").
        let closes = |item: &String| item.ends_with('?') && !opens_a_request(item);
        if found[k].1.is_some()
            && found[k].0.len() == 1
            && closes(&found[k].0[0])
            && lead_in_cut_short(&lead)
        {
            let item = found[k].0.remove(0);
            found[k].0.push(format!("{} {item}", lead.trim_end()));
            found[k].1 = None;
            found[k - 1].0.clear();
            merged[k - 1] = true;
        }
    }
    // A request written as bare noun phrases ("Deaths in the last ten years
    // due to …") asks nothing in words: a paragraph that names a period is
    // what it asks for. A note with no period ("here are my details") is
    // not a question.
    if found.iter().all(|(f, _)| f.is_empty()) {
        for ((asked, _), lines) in found.iter_mut().zip(&paragraphs) {
            let joined = lines.join(" ");
            if !is_lead_in(&joined) && (names_period(&joined) || names_a_measure(&joined)) {
                asked.push(joined);
            }
        }
    }
    let any = found.iter().any(|(f, _)| !f.is_empty());
    let mut out = Vec::new();
    for ((lines, (asked, under)), merged) in paragraphs.iter().zip(found).zip(merged) {
        let joined = lines.join(" ");
        let texts = if asked.is_empty() && any && !is_lead_in(&joined) && !merged {
            vec![joined]
        } else {
            asked
        };
        for text in texts {
            out.push(SplitQuestion {
                number: (out.len() + 1).to_string(),
                text,
                preamble: under.clone(),
                parts: Vec::new(),
            });
        }
    }
    out
}

/// Whether a noun phrase names a measure of something ("The volume of
/// methadone dispensed by each pharmacy", "The amount spent on …") or a
/// breakdown of figures ("… by each pharmacy", "… broken down by …"):
/// what a request written without asking words asks for.
fn names_a_measure(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    let opening = lower
        .strip_prefix("the ")
        .or_else(|| lower.strip_prefix("a "))
        .unwrap_or(&lower);
    [
        "volume of",
        "volumes of",
        "amount of",
        "amounts of",
        "amount spent",
        "quantity of",
        "quantities of",
        "value of",
        "cost of",
        "costs of",
    ]
    .iter()
    .any(|w| opening.starts_with(w))
        || ["broken down by", "by each ", "for each ", "split by"]
            .iter()
            .any(|w| lower.contains(w))
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
                // A sentence that asks nothing continues the one before.
                "Under the Freedom of Information Act, please provide the number of people in treatment for opiates in each of the last three financial years. This is for a local news story.",
                "I would also like to know how many naloxone kits were issued in 2019/20."
            ]
        );
        assert_eq!(split[1].number, "2");
    }

    // Every line accounted for (issue 13).

    #[test]
    fn markers_on_a_line_of_their_own_number_the_line_after() {
        let body = "Please tell me:\nA\nHow many people were in treatment in 2019/20?\nB\nWho provides your detox service?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("a", "How many people were in treatment in 2019/20?"),
                ("b", "Who provides your detox service?")
            ]
        );
        // One-word items are kept too, and so are numbers alone on a line.
        let body = "Can I get the numbers of:\n1\nHomeless\n2\nDrug users\n";
        let split = split_questions(body).unwrap();
        assert_eq!(texts(&split), [("1", "Homeless"), ("2", "Drug users")]);
        // A lone letter that starts no sequence is not a marker.
        assert_eq!(
            join_standalone_markers(&["I", "would like to know the budget.", "B", "x"]),
            ["I", "would like to know the budget.", "B", "x"]
        );
    }

    #[test]
    fn a_counting_lead_in_completed_by_numbered_values_is_one_question() {
        let body = "For each of the last five years for which figures are available, how many emergency admissions were attributable to the consumption of:\n\n  1. mephedrone;\n  2. piperazine;\n  3. salvia divinorum.\n\nIf data is not available for previous 5 years, please supply the data for the years which is available.\n";
        let split = split_questions(body).unwrap();
        let q = &split[0];
        assert!(q.text.contains("how many emergency admissions"), "{q:#?}");
        let parts: Vec<&str> = q.parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(parts, ["mephedrone;", "piperazine;", "salvia divinorum."]);
        // The paragraph after the values asks for more: a question of its own.
        assert_eq!(split.len(), 2, "{split:#?}");
        // Numbered questions under a lead-in that counts nothing stay questions.
        let body = "I would like the plans you have for:\n1.) Acute alcohol intoxication.\n2.) Poisoning by an unknown drug.\n";
        assert_eq!(split_questions(body).unwrap().len(), 2);
    }

    #[test]
    fn numbers_written_with_a_dot_and_a_bracket() {
        let body = "I would like the plans you have for:\n1.) Acute alcohol intoxication.\n2.) Poisoning by an unknown drug.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("1", "Acute alcohol intoxication."),
                ("2", "Poisoning by an unknown drug.")
            ]
        );
    }

    #[test]
    fn other_ways_of_asking_in_words() {
        for text in [
            "Please advise how much crime in Jersey was in relation to alcohol or substance abuse.",
            "Specifically, I wish for data which shows the numbers of drug-related deaths.",
            "I'm wondering if you would be able to provide the following data.",
            "If possible, please also indicate which drug was present in each case.",
            "Would it be possible to have the figures for 2019/20?",
        ] {
            assert!(asks_in_words(text), "{text}");
        }
        assert!(!asks_in_words("I wish you a good weekend."));
        assert!(!asks_in_words("Following our call, here are my details."));
    }

    #[test]
    fn a_request_after_a_short_heading_and_its_colon() {
        assert!(opens_a_request(
            "Drug related incidents: Total number of drug related incidents in 2023/24."
        ));
        assert!(!opens_a_request(
            "As we discussed at length on the telephone last week: the number is wrong."
        ));
    }

    #[test]
    fn a_sentence_that_asks_nothing_continues_the_one_before() {
        let split = split_questions(
            "Please provide the number of naloxone kits issued in 2019/20. This should exclude kits given to staff.\n",
        )
        .unwrap();
        assert_eq!(
            texts(&split),
            [(
                "1",
                "Please provide the number of naloxone kits issued in 2019/20. This should exclude kits given to staff."
            )]
        );
    }

    #[test]
    fn items_under_a_lead_in_ending_in_a_dash() {
        let body = "In each case of seizure, please could you give details of -\n\nthe type and amount of drug involved\nits total monetary worth\nthe type of school premises involved, for example primary or secondary school\n";
        let split = split_questions(body).unwrap();
        let items: Vec<&str> = split.iter().skip(1).map(|q| q.text.as_str()).collect();
        assert_eq!(
            items,
            [
                "the type and amount of drug involved",
                "its total monetary worth",
                "the type of school premises involved, for example primary or secondary school"
            ]
        );
        // Each item shows the lead-in it completes.
        assert!(split[1..].iter().all(|q| {
            q.preamble
                .as_deref()
                .is_some_and(|p| p.ends_with("details of -"))
        }));
        // Wrapped prose under a lead-in stays one item.
        let body = "Please tell me the following:\n\nthe number of people who started treatment for alcohol in each of\nthe last three financial years, and how many of them completed it\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2, "{split:#?}");
    }

    #[test]
    fn a_question_cut_by_a_blank_line_after_its_colon_is_one_question() {
        let body = "Since the Act came into force in May, how many people have you arrested for:\n\nPossession of a legal high or NPS, and supplying?\n\nCan you give the age of the individuals arrested?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                (
                    "1",
                    "Since the Act came into force in May, how many people have you arrested for: Possession of a legal high or NPS, and supplying?"
                ),
                ("2", "Can you give the age of the individuals arrested?")
            ]
        );
    }

    #[test]
    fn a_request_written_as_a_bare_noun_phrase() {
        let split = split_questions(
            "Deaths in the last ten years due to prescribed medication such as benzodiazepines\n",
        )
        .unwrap();
        assert_eq!(split.len(), 1);
        assert!(split[0].text.starts_with("Deaths in the last ten years"));
        // A note that names no period is still no question.
        assert!(matches!(
            split_questions("Dear Council,\n\nFollowing our call, here are my details.\n"),
            Err(IntakeError::NoQuestions)
        ));
    }

    #[test]
    fn a_question_before_bullets_is_a_question_with_parts() {
        let body = "Please consider this request.\n\nHow many people were convicted of possession in 2019?\n- of those, how many were in Leeds?\n\nHow many were convicted of supply in 2019?\n- of those, how many were in Leeds?\n\nHave there been any convictions for production in 2019?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("1", "How many people were convicted of possession in 2019?"),
                ("2", "How many were convicted of supply in 2019?"),
                (
                    "3",
                    "Have there been any convictions for production in 2019?"
                ),
            ]
        );
        assert_eq!(split[0].parts.len(), 1);
        assert!(split[1].parts[0].text.starts_with("of those"));
        // A question that points below is still an introduction.
        let body = "Could you answer the following questions?\n- How many kits were issued in 2019/20?\n- How many were used?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert!(split[0].text.starts_with("How many kits"));
    }

    #[test]
    fn a_question_before_numbered_breakdowns_is_question_0() {
        let body = "Please would you let me know how many arrests were made for drug offences in 2019?\n\nI would like the figures broken down into:\n\n1. age group.\n2. gender.\n";
        let split = split_questions(body).unwrap();
        let numbers: Vec<&str> = split.iter().map(|q| q.number.as_str()).collect();
        assert_eq!(numbers, ["0", "1", "2"]);
        assert!(split[0].text.contains("how many arrests"));
    }

    #[test]
    fn a_closing_paragraph_that_asks_after_explaining_is_a_question() {
        // "information" is not about the reply's format.
        assert!(asks_for_more(
            "I am fully aware of the policy. As such, I'd like any information relating to instances where these decisions have been made."
        ));
        let body = "1. The number of notifiable offences recorded in 2017.\n\n2. The number of arrests associated to those offences.\n\nI am fully aware of the policy. As such, I'd like any information relating to instances where these decisions have been made.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 3, "{split:#?}");
        assert!(split[2].text.ends_with("have been made."));
        let body = "1. Number of arrests for cannabis possession since 2000\n\n2. Number of summons for cannabis possession since 2000\n\nIt would also be useful if these could be categorised according to the age of offender and by an annual basis.\n";
        assert_eq!(split_questions(body).unwrap().len(), 3);
        // Explaining and then asking about the reply is still closing text.
        let body = "1. The number of arrests in 2017.\n\nI am researching this. I would be grateful if you could reply by e-mail.\n";
        assert_eq!(split_questions(body).unwrap().len(), 1);
    }

    #[test]
    fn a_closing_paragraph_that_asks_in_words_is_a_question() {
        let body = "1. Please detail how many people died in 2017.\n\n[exclude the following part if it exceeds limits]\n\nFor each death, please detail whether the person was known to your services.\n\nPlease provide a response in an Excel format.\n\nI would prefer the information by e-mail.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("1", "Please detail how many people died in 2017."),
                (
                    "2",
                    "For each death, please detail whether the person was known to your services."
                ),
            ]
        );
    }

    #[test]
    fn a_bare_noun_phrase_naming_a_measure_is_the_question() {
        let split = split_questions(
            "The volume of methadone oral liquid dispensed by each pharmacy, by postcode.\n",
        )
        .unwrap();
        assert_eq!(split.len(), 1);
        assert!(split[0].text.starts_with("The volume of methadone"));
        // A note that names neither a measure nor a period is still none.
        assert!(matches!(
            split_questions("Dear Council,\n\nAs discussed, the value is in my details.\n"),
            Err(IntakeError::NoQuestions)
        ));
    }

    #[test]
    fn letters_under_an_introduction_that_leads_into_them_are_its_parts() {
        let body = "Recorded discrepancies in the storage of seized drugs over the last three years.\n\nDetails of such incidents should include the following:\n\na. The date the drugs were seized;\nb. The weight when seized;\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1, "{split:#?}");
        assert!(split[0].text.starts_with("Recorded discrepancies"));
        assert!(split[0].text.ends_with("the following:"));
        let parts: Vec<&str> = split[0].parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            parts,
            ["The date the drugs were seized;", "The weight when seized;"]
        );
        // A second run of letters after a lead-in is a second question.
        let body = "By seizures I mean seizures of nitazenes.\nIn the years to March, 2019; 2020; and so far in 2021:\n(i) please specify the substance seized\n(ii) please specify the quantity seized.\nIn the years to March, 2022; 2023; and so far in 2024:\n(i) please specify the form it was in\n(ii) please specify where the seizures took place.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2, "{split:#?}");
        assert_eq!(
            split[1].text,
            "In the years to March, 2022; 2023; and so far in 2024:"
        );
        assert_eq!(split[1].parts.len(), 2);
        assert_eq!(
            split[0].parts[1].text,
            "please specify the quantity seized."
        );
    }

    #[test]
    fn making_a_request_about_something_asks_for_it() {
        for text in [
            "I would like to make a freedom of information request please about the number of incidents in 2022.",
            "I am making a request regarding naloxone kits issued last year.",
            "I wish to submit an FOI request on drug deaths.",
        ] {
            assert!(asks_in_words(text), "{text}");
        }
        // Making a complaint, or a request with nothing named, asks nothing.
        assert!(!asks_in_words(
            "I would like to make a complaint about the service."
        ));
        assert!(!asks_in_words("I may make a request later."));
    }

    fn texts(split: &[SplitQuestion]) -> Vec<(&str, &str)> {
        split
            .iter()
            .map(|q| (q.number.as_str(), q.text.as_str()))
            .collect()
    }

    #[test]
    fn bullets_are_questions_when_nothing_is_numbered() {
        let body = "Please answer the following:\n- Is the budget held within adult social care?\n- How much was spent on rehab in 2017/18\n- How much was provided by the public health grant in 2017/18\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("1", "Is the budget held within adult social care?"),
                ("2", "How much was spent on rehab in 2017/18"),
                (
                    "3",
                    "How much was provided by the public health grant in 2017/18"
                ),
            ]
        );
    }

    #[test]
    fn bullets_under_a_numbered_question_are_its_parts() {
        let body = "1. How much was spent in 2018/19 on:\n• residential rehab\n• inpatient detox\n2. Who provides naloxone?";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        let parts: Vec<&str> = split[0].parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(parts, ["residential rehab", "inpatient detox"]);
    }

    #[test]
    fn sub_numbered_markers_are_parts_even_without_a_plain_number() {
        let body = "1a) How many people were on ORT in 2019/20?\n\n1b) How many of them had psychosocial support?\n\n2a) What was the cost of ORT?\n\n2b) What was the cost of psychosocial treatment?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(
            (split[0].number.as_str(), split[0].text.as_str()),
            ("1", "")
        );
        let numbers: Vec<(&str, &str)> = split
            .iter()
            .flat_map(|q| {
                q.parts
                    .iter()
                    .map(move |p| (q.number.as_str(), p.number.as_str()))
            })
            .collect();
        assert_eq!(numbers, [("1", "a"), ("1", "b"), ("2", "a"), ("2", "b")]);
        // `5a.)` after a plain `5.` is part a of question 5.
        let body = "5. Is there payment by results?\n5a.) What percentage depends on targets?\n5b.) Which targets?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(split[0].parts.len(), 2);
        assert_eq!(split[0].parts[1].text, "Which targets?");
    }

    #[test]
    fn bare_numbers_that_count_are_question_numbers() {
        let body = "We would like to know the following information\n1 The number of drug-related deaths registered in 2014.\n\nSubstances:\nHeroin\nCocaine\n\n2 The providers of your treatment services in 2014.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert!(
            split[0]
                .text
                .starts_with("The number of drug-related deaths")
        );
        // The substance lines stay with question 1.
        assert!(split[0].text.contains("Heroin Cocaine"), "{split:#?}");
        assert!(split[1].text.starts_with("The providers"));
        // A single line starting with a number is not numbering.
        let split = split_questions("10 Facilities closed. How many were there in 2020?").unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(split[0].number, "1");
    }

    #[test]
    fn question_one_on_the_introductions_line() {
        let body = "I am writing to request data on funding. 1. What was the total spend in 2019/20?\n2. What is the budget for 2022/23?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("1", "What was the total spend in 2019/20?"),
                ("2", "What is the budget for 2022/23?")
            ]
        );
    }

    #[test]
    fn the_paragraph_under_a_last_heading_is_kept() {
        let body = "1. Drug related deaths\n\nTotal deaths in 2023\n\n2. Naloxone outcome data\n\nAny data held on second doses in 2023\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(
            split[1].text,
            "Naloxone outcome data Any data held on second doses in 2023"
        );
    }

    #[test]
    fn a_request_before_the_numbered_questions_is_question_0() {
        let body = "Please supply any policies on roadside tests.\n\nPlease can you confirm:\n\n1) How many kits does the force have\n\n2) How many officers are trained\n";
        let split = split_questions(body).unwrap();
        let numbers: Vec<&str> = split.iter().map(|q| q.number.as_str()).collect();
        assert_eq!(numbers, ["0", "1", "2"]);
        assert_eq!(
            split[0].text,
            "Please supply any policies on roadside tests."
        );
        // A lead-in is not.
        let body = "Please provide the following information:\n\n1) How many kits were issued in 2019/20?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
    }

    #[test]
    fn unnumbered_requests_written_as_statements() {
        // Openers, a list after a lead-in, a paragraph that runs on.
        let body = "Please may you provide me with:\n\nA list of the organisations commissioned.\n\nStart and end dates of the contract.\n\nThe number of;\n\nAnd the area name of;\n\nFacilities that closed in 2020.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(
            texts(&split),
            [
                ("1", "A list of the organisations commissioned."),
                ("2", "Start and end dates of the contract."),
                (
                    "3",
                    "The number of; And the area name of; Facilities that closed in 2020."
                ),
            ]
        );
    }

    #[test]
    fn list_items_whose_numbers_were_lost_stay_apart() {
        // An HTML list read as text: one line per item, no numbers.
        let body = "Number of people using support services between 2018-2022, broken down by year\nA copy of your drug education resources,\nList of specific substances included in your resources\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 3);
        assert!(split[2].text.starts_with("List of specific substances"));
    }

    #[test]
    fn once_something_is_asked_no_paragraph_vanishes() {
        let body = "By postcode district, the monthly amount of methadone dispensed.\n\nSecond - the monthly charges received. Is there an exemption?\n\nLatest year - please say which 12 months.\n";
        let split = split_questions(body).unwrap();
        let all: String = split
            .iter()
            .map(|q| q.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        for words in [
            "By postcode district",
            "Second - the monthly charges",
            "Latest year",
        ] {
            assert!(all.contains(words), "{words}: {split:#?}");
        }
    }

    #[test]
    fn request_n_on_its_own_line_numbers_a_question() {
        let body = "Request 1\nThe number of arrests for possession in 2024.\nRequest 2\nThe number of times naloxone was used in 2024.\nOf these, how many needed a second dose?\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(
            split[1].text,
            "The number of times naloxone was used in 2024. Of these, how many needed a second dose?"
        );
    }

    #[test]
    fn an_inline_list_in_one_paragraph_is_its_items() {
        let body = "Please provide data covering the following areas: 1. Service Users o Number of individuals accessing services. o Age and gender of these service users. 2. Outcomes o Available data on treatment outcomes.";
        let split = split_questions(body).unwrap();
        let texts: Vec<&str> = split.iter().map(|q| q.text.as_str()).collect();
        assert!(
            texts.contains(&"Number of individuals accessing services."),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"Age and gender of these service users."),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"Available data on treatment outcomes."),
            "{texts:?}"
        );
        // Headings between the items are not questions.
        assert!(!texts.contains(&"Service Users"), "{texts:?}");
    }

    #[test]
    fn a_lead_in_asking_for_data_before_bullets_is_the_question() {
        let body = "Could you please provide data on ambulance incidents where either:\n- naloxone was given, or\n- an overdose was suspected.\n";
        let split = split_questions(body).unwrap();
        assert_eq!(split.len(), 1);
        assert_eq!(
            split[0].text,
            "Could you please provide data on ambulance incidents where either:"
        );
        assert_eq!(split[0].parts.len(), 2);
        // A lead-in that asks for nothing of its own, or bullets that are
        // questions, leave the bullets as questions.
        let body =
            "Please answer the following questions:\n- Who provides naloxone?\n- Who buys it?\n";
        assert_eq!(split_questions(body).unwrap().len(), 2);
        let body = "I am requesting these figures. I would like to know:\n• How many people were funded in 2020/21\n• Which rehab services are open?\n";
        assert_eq!(split_questions(body).unwrap().len(), 2);
    }
}
