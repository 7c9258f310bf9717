//! Request understanding: from a requester's e-mail to a drafted [`Request`].
//!
//! Each step is a pure function; text and dates are handed in.
//!
//! 1. [`parse_email`] reads an `.eml` (MIME by `mailparse`, character sets
//!    by `encoding_rs`, an HTML body as the text it shows by `html2text`,
//!    the `Date` with its zone by `jiff`) or plain text into an [`Email`]:
//!    the request's text, with WhatDoTheyKnow footers, quoted replies and a
//!    forward's note and header lines set aside for the officer; the
//!    message it forwards; its attachments; what it could not read.
//!    [`Email::receipt`] says who the request is from and the day the
//!    council received it (`email.rs`).
//! 2. [`split_questions`] finds the requester's questions, verbatim.
//! 3. [`resolve_periods`] reads the periods a text names in words.
//! 4. [`understand`] decides what one question asks for; [`draft`] does the
//!    whole e-mail and builds the [`Request`] when every question is understood.
//!    On the way, [`draft`] makes the measures one sentence asks for into
//!    parts (`measures.rs`) and resolves references to earlier questions
//!    ("this budget", "(as above)", "how many are …") with
//!    [`find_reference`] and [`resolve_reference`] (`refer.rs`), reading a
//!    question together with the one it points to or showing the officer
//!    the candidates.
//!
//! # Splitting
//! - A question starts on a line beginning `1)`, `1.`, `1:`, `(1)`, `Q1` or
//!   `Question 1`; a part on a line beginning `a)`, `a.` or `(a)` (also `i)`,
//!   `ii)`, …). Lines that follow without a blank line continue it.
//! - A line that is only a period (`2014 - 15`) under a question is a part.
//! - Paragraphs before the first question are the introduction; the last one
//!   naming a period is the preamble of every question. A paragraph between
//!   questions that ends in `:` and names a period is the preamble of the
//!   questions after it; any other continues the question before it. Text
//!   after the last question is closing text and is dropped.
//! - The greeting line, and everything from the sign-off on, are dropped.
//! - With no numbered question, each sentence ending in `?` is a question,
//!   and so is each sentence that asks in words ("please provide …", "I
//!   would like to know …", "could you tell me …").
//!
//! # Matching model
//! Every catalogue indicator and statement topic is a candidate reading.
//! Texts are compared as stemmed words: lower case, `in-patient` is
//! `inpatient`, an abbreviation defined in brackets (`Take-home Naloxone
//! (THN)`) is read once, and words after `excluding`, `except`, `other than`
//! or `apart from` (to the closing bracket or the end of the clause) are
//! ignored. A word's weight is its rarity across the candidates,
//! `ln(1 + N/df)`; function words weigh 0.3. A candidate scores:
//! - 2 × weight for each of its phrases (an indicator's synonyms and title, a
//!   topic's phrases and question) found in order (`is`, `the`, `a`, or words
//!   naming a dimension value such as `alcohol`, may come between);
//! - 1 × weight for a phrase whose words are all present in any order;
//! - ½ × weight for each other word it shares with the question;
//! - 1 × weight again for matched words at the head of the question (the
//!   three words after `how many`, `what`, …), which name what is asked for;
//! - for an indicator, ½ × weight for the values of its breakdowns the
//!   question names (`crack cocaine`, `opiate clients`).
//!
//! Then the question's shape: a count (`how many`, `how much`, `number of`,
//! `total`, `budget`, `spend`, `age range`, …) adds 2 to indicators and
//! scales topics by 0.7; any other question adds 1.5 to topics and scales
//! indicators by 0.4 (so a yes/no or who/what question with dates stays a
//! statement); an indicator counted in the wrong unit (money asked for with
//! `how much`, `budget`, `spend`; things with `how many`) is scaled by 0.5; a
//! period adds 1 to indicators; a topic whose own question opens with the same
//! word (`who`, `is`, …) adds 1.5. Only a phrase earns these bonuses; shared
//! words alone stay weak evidence. Scores become confidences by
//! a softmax (temperature 2) that includes "none of these" at 4. The best
//! reading is taken when its confidence (for figures, times 0.75 + 0.25 × the
//! periods' confidence) is at least [`MIN_CONFIDENCE`]; otherwise the question
//! is left for the officer with what was considered. A learned [`Synonym`]
//! found in the question puts its target 8 ahead of the best built-in reading
//! (and of "none"), so it wins and the built-in readings stay as alternatives.
//!
//! # Figures
//! A question that narrows the figures by something no dimension stands for
//! (cannabis, ketamine, under-18s, social housing, a learning disability, …
//! in `NOT_SPLIT`) is left for the officer with its reading as the first
//! alternative: answering for everyone in treatment would answer another
//! question. Such a word is used up only by what the reading took from it
//! (a dimension value matched, "in employment"; a breakdown named after
//! "by"), not by the catalogue containing the word somewhere. So is a question
//! that asks for a number and an amount of money at once. Several values of
//! one dimension ("community treatment, detox and rehab") ask for a
//! breakdown by it rather than a filter by the first.
//! Filters come from dimension value labels and aliases, longest first, only
//! for dimensions the indicator allows (`drug and alcohol` is generic and fixes
//! nothing). `by age`, `by substance`, `by sex`, … add breakdowns; `age
//! range`, `youngest`, `oldest` set `age_range` (and the `age_band`
//! breakdown). Periods come from the question's own words; otherwise from parts
//! that are only periods, which makes the question a heading whose parts ask
//! (seed 000, questions 3 and 4); otherwise from the preamble. A figures
//! reading without a period is left for the officer.
//!
//! # Periods in words ([`resolve_periods`])
//! Explicit spellings use [`Period::parse`]. "The past three years" and "the
//! last five financial years" are the complete financial years before the one
//! the request was received in, most recent first ("calendar years": calendar
//! years). "Since 2014/15" runs to the latest complete financial year, oldest
//! first. "From 1 April 2020 to date" ends on the received date. "The last
//! 12 months" are the complete calendar months before the month of receipt. "Between …
//! and …" is read as `Period::parse` reads it. A bare year counts only after
//! `in`, `during`, `for`, `registered` or `year` (so "Act 2000" is no period),
//! and so do the years listed after it ("in 2019, 2020 and 2021").
//! "Next financial year (between …)" gives the bracketed period only. A
//! question with no period of its own that says "the same years" (or "those
//! years", …) takes the periods of the latest question before it that named
//! its own. A question that narrows the one before ("how many of those …")
//! and cannot be placed alone is read together with it.

//!
//! # Files
//! One file per step: `email.rs` (intake), `split.rs` (splitting),
//! `periods.rs` (periods in words), `words.rs` (words and phrases for
//! matching), `reading.rs` (the matching model: what one question asks),
//! `learn.rs` (phrases an officer taught); this file holds the shared types
//! and [`draft`].

mod email;
mod learn;
mod measures;
mod periods;
mod reading;
mod refer;
mod split;
mod words;

use jiff::civil::Date;

use crate::catalogue::Catalogue;
use crate::request::{Ask, Question, Request};

pub use email::{
    Aside, Attachment, Email, ForwardStyle, Forwarded, MAX_EMAIL_BYTES, QUOTED_DATE_CHARS, Receipt,
    SetAside, Unread, parse_email, subject_line,
};
pub use learn::{Synonym, SynonymTarget};
pub use periods::{PeriodMatch, resolve_periods};
pub use refer::{Reference, Resolved, find_reference, resolve as resolve_reference};
pub use split::{SplitQuestion, split_questions};

use reading::Model;

/// The most text Lantern reads from one request: 1 MiB.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// The least confidence at which a reading is taken without the officer.
pub const MIN_CONFIDENCE: f32 = 0.6;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// A request that cannot be taken in, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    /// The input is over [`MAX_INPUT_BYTES`].
    #[error(
        "the request is {size} bytes, more than Lantern reads ({limit} bytes); remove attachments and quoted earlier messages, or split the request, and try again"
    )]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The text is not valid UTF-8.
    #[error(
        "the request is not UTF-8 text (invalid byte at offset {offset}); save or export it as UTF-8 plain text and try again"
    )]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A transfer encoding or MIME structure is broken.
    #[error(
        "the e-mail's {encoding} encoding is broken ({reason}); save the message as plain text and try again"
    )]
    BadEncoding {
        /// Which encoding (base64, quoted-printable, MIME).
        encoding: String,
        /// What is wrong.
        reason: String,
    },
    /// The file is not an e-mail or text at all.
    #[error(
        "the file is not an e-mail: it looks like {looks_like}; save the e-mail itself (as .eml, or its text) and take that in; a letter attached to an e-mail is kept with the case when the e-mail is taken in"
    )]
    NotAnEmail {
        /// What it looks like ("a PDF document").
        looks_like: &'static str,
    },
    /// There is no body text.
    #[error(
        "the request has no body text; check that the whole message was saved, headers and body"
    )]
    EmptyBody,
    /// No question could be found.
    #[error(
        "no questions found: Lantern looks for numbered questions (1), 1., Q1, Question 1) or a sentence ending in '?'; number the questions and try again, or enter the request by hand"
    )]
    NoQuestions,
}

fn check_size(size: usize) -> Result<(), IntakeError> {
    if size > MAX_INPUT_BYTES {
        return Err(IntakeError::TooLarge {
            size,
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Understanding and drafting
// ---------------------------------------------------------------------------

/// What Lantern understands a question to ask.
#[derive(Debug, Clone, PartialEq)]
pub struct Understanding {
    /// The ask; `None` for a heading whose parts ask, or when the officer must
    /// decide.
    pub ask: Option<Ask>,
    /// How sure Lantern is (0 to 1).
    pub confidence: f32,
    /// Other readings considered, with their confidence, best first.
    pub alternatives: Vec<(Ask, f32)>,
    /// Why, for the officer.
    pub notes: Vec<String>,
    /// The officer must decide this question (or one of its parts).
    pub needs_officer: bool,
    /// The understanding of each part, in the question's order.
    pub parts: Vec<Understanding>,
}

impl Understanding {
    /// Whether this question and all its parts are understood without the
    /// officer.
    pub fn is_complete(&self) -> bool {
        !self.needs_officer
            && (self.ask.is_some() || !self.parts.is_empty())
            && self.parts.iter().all(Understanding::is_complete)
    }
}

/// Understand one question (and its parts) against the catalogue. Learned
/// synonyms beat the built-in matching.
pub fn understand(
    q: &SplitQuestion,
    received: Date,
    catalogue: &Catalogue,
    learned: &[Synonym],
) -> Understanding {
    Model::new(catalogue, learned).understand(q, received)
}

/// One question of a draft: as split, and as understood.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftQuestion {
    /// The question as the requester wrote it.
    pub question: SplitQuestion,
    /// What Lantern understands it to ask.
    pub understanding: Understanding,
}

/// A request drafted from an e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Every question, split and understood.
    pub questions: Vec<DraftQuestion>,
    /// The structured request, when every question is understood without the
    /// officer.
    pub request: Option<Request>,
}

/// Draft a request from an e-mail: split it, understand every question, and
/// build the [`Request`] (with the caller's `reference`) when all are
/// understood.
pub fn draft(
    email: &Email,
    received: Date,
    catalogue: &Catalogue,
    learned: &[Synonym],
    reference: String,
) -> Result<Draft, IntakeError> {
    let model = Model::new(catalogue, learned);
    let mut questions: Vec<DraftQuestion> = Vec::new();
    // The latest question that named its own periods, for "the same years".
    let mut named_periods: Option<SplitQuestion> = None;
    for mut question in split_questions(&email.body)? {
        // Several measures of different kinds in one sentence: each a part,
        // read on its own (the question is their heading).
        let measured = match measures::measure_parts(&question.text) {
            Some(parts) if question.parts.is_empty() => {
                question.parts = parts
                    .into_iter()
                    .enumerate()
                    // The question's own words are each part's preamble:
                    // a period they name applies to a part that names none.
                    .map(|(i, text)| SplitQuestion {
                        number: split::part_letter(i),
                        text,
                        preamble: Some(match &question.preamble {
                            Some(p) => format!("{p} {}", question.text),
                            None => question.text.clone(),
                        }),
                        parts: Vec::new(),
                    })
                    .collect();
                true
            }
            _ => false,
        };
        let read = |q: &SplitQuestion| {
            if measured {
                model.understand_measured(q, received)
            } else {
                model.understand(q, received)
            }
        };
        let own = !resolve_periods(&question.text, received).is_empty();
        let understanding = match &named_periods {
            Some(earlier) if !own && refers_to_earlier_periods(&question.text) => {
                let reading = SplitQuestion {
                    preamble: Some(match &question.preamble {
                        Some(p) => format!("{p} {}", earlier.text),
                        None => earlier.text.clone(),
                    }),
                    ..question.clone()
                };
                let mut u = read(&reading);
                u.notes.insert(
                    0,
                    format!(
                        "“the same” periods are those of question {}",
                        earlier.number
                    ),
                );
                u
            }
            _ => read(&question),
        };
        // "How many of those …": read with the question before, as a part
        // is read with its question, when alone it needs the officer.
        let understanding = match questions.last() {
            Some(before)
                if understanding.needs_officer && refers_to_earlier_people(&question.text) =>
            {
                let together = SplitQuestion {
                    text: format!("{} {}", before.question.text, question.text),
                    ..question.clone()
                };
                let mut joined = model.understand(&together, received);
                if joined.needs_officer {
                    understanding
                } else {
                    joined.notes.insert(
                        0,
                        format!(
                            "read together with question {}, which “those” refers to",
                            before.question.number
                        ),
                    );
                    joined
                }
            }
            _ => understanding,
        };
        let understanding = refer_to_earlier(
            &model,
            &question,
            understanding,
            &questions,
            received,
            measured,
        );
        if own {
            named_periods = Some(question.clone());
        }
        questions.push(DraftQuestion {
            understanding,
            question,
        });
    }
    same_wider_area(&mut questions);
    let complete = questions.iter().all(|q| q.understanding.is_complete());
    let request = complete.then(|| Request {
        reference,
        received,
        answered: None,
        requester_reference: None,
        area: None,
        questions: questions
            .iter()
            .map(|q| request_question(&q.question, &q.understanding))
            .collect(),
        wants_spreadsheet: false,
        set_aside: Vec::new(),
    });
    Ok(Draft { questions, request })
}

/// A request that asks about a wider area than the council's in one
/// question ("deaths in the UK in 2022"): its other figures questions name
/// no area of their own, and most likely ask about that area too, so they
/// go to the officer rather than be answered with the council's figures.
fn same_wider_area(questions: &mut [DraftQuestion]) {
    fn find(q: &SplitQuestion) -> Option<String> {
        reading::wider_area_doubt(&q.text)
            .or_else(|| q.preamble.as_deref().and_then(reading::wider_area_doubt))
            .or_else(|| q.parts.iter().find_map(find))
    }
    fn mark(u: &mut Understanding, why: &str) {
        if u.is_complete() && matches!(u.ask, Some(Ask::Figures(_))) {
            reading::to_officer(u, why.to_string());
        }
        for part in &mut u.parts {
            mark(part, why);
        }
    }
    let Some(why) = questions.iter().find_map(|q| find(&q.question)) else {
        return;
    };
    let area = why
        .split_once('“')
        .and_then(|(_, rest)| rest.split_once('”'))
        .map_or("", |(area, _)| area);
    let why = format!(
        "this request asks about a wider area than the council's (“{area}”) elsewhere, and this question names no area: check which area it asks about"
    );
    for q in questions.iter_mut() {
        mark(&mut q.understanding, &why);
    }
}

/// Nouns that name a measure rather than a subject: "this budget" points to
/// a figure, not to what another question narrows it to.
const MEASURE_NOUNS: &[&str] = &[
    "budget", "budgets", "spend", "funding", "money", "amount", "figure", "figures", "total",
    "totals", "data", "number", "numbers", "cost", "costs",
];

/// A question that refers to an earlier one ("this budget", "(as above)",
/// "the same services", "how many are …"): resolved to the question it
/// points to where that is unambiguous (and read together with it when
/// alone it needs the officer, or when its words name nothing of their
/// own), otherwise shown to the officer with the candidates. A lettered part
/// whose count names nothing ("(b) How many are under 30") counts the
/// people of its question, which the officer checks.
fn refer_to_earlier(
    model: &Model<'_>,
    question: &SplitQuestion,
    mut u: Understanding,
    before: &[DraftQuestion],
    received: Date,
    measured: bool,
) -> Understanding {
    for (part, pu) in question.parts.iter().zip(u.parts.iter_mut()) {
        if let Some(r) = refer::find_reference(&part.text)
            && r.noun.is_none()
            && r.number.is_none()
            && pu.is_complete()
        {
            reading::to_officer(
                pu,
                format!(
                    "“{}” counts whom question {} is about: check who is counted",
                    r.words, question.number
                ),
            );
            u.needs_officer = true;
        }
    }
    let Some(r) = refer::find_reference(&question.text) else {
        return u;
    };
    if u.notes
        .iter()
        .any(|n| n.starts_with("read together with question"))
    {
        return u;
    }
    let earlier: Vec<SplitQuestion> = before.iter().map(|d| d.question.clone()).collect();
    match refer::resolve(&r, &earlier) {
        refer::Resolved::To(n) => {
            let Some(referent) = earlier.iter().find(|q| q.number == n) else {
                return u;
            };
            // "this budget", "as in question 2": the question names its
            // own subject; "these facilities", "as above": it takes its
            // subject from the question it points to.
            let own_subject = r.number.is_some()
                || r.noun
                    .as_deref()
                    .is_some_and(|n| MEASURE_NOUNS.contains(&n));
            if !u.needs_officer && own_subject {
                u.notes
                    .insert(0, format!("“{}” is what question {n} asks about", r.words));
                return u;
            }
            let together = SplitQuestion {
                text: format!("{} {}", referent.text, question.text),
                preamble: question.preamble.clone().or(referent.preamble.clone()),
                ..question.clone()
            };
            let mut joined = model.understand(&together, received);
            // The question's own shape still decides ("how was it spent"),
            // and its measures stay parts of their own.
            if !measured && joined.is_complete() && reading::shape_doubt(&question.text).is_none() {
                joined.notes.insert(
                    0,
                    format!(
                        "read together with question {n}, which “{}” refers to",
                        r.words
                    ),
                );
                return joined;
            }
            // Whatever can be read alone, the subject it takes from the
            // question it points to is the officer's to carry over.
            if !own_subject || !u.needs_officer {
                reading::to_officer(
                    &mut u,
                    format!(
                        "“{}” refers to question {n}, and read together with it the question is not clear: check what is asked",
                        r.words
                    ),
                );
            } else {
                u.notes
                    .insert(0, format!("“{}” refers to question {n}", r.words));
            }
            u
        }
        refer::Resolved::Ambiguous(candidates) => {
            let list = candidates.join(" or ");
            reading::to_officer(
                &mut u,
                format!(
                    "“{}” may refer to question {list}: choose which, and correct the reading",
                    r.words
                ),
            );
            u
        }
        // "(see Question 11)" in question 11 itself, or a later one: a
        // pointer for the reader, not a question this one depends on.
        refer::Resolved::Nothing if r.number.is_some() => {
            u.notes.push(format!(
                "“{}” points to no earlier question: check it",
                r.words
            ));
            u
        }
        refer::Resolved::Nothing => {
            reading::to_officer(
                &mut u,
                format!(
                    "“{}” refers to no earlier question Lantern found: check what it means",
                    r.words
                ),
            );
            u
        }
    }
}

/// Words by which a question takes the periods of the one before it.
const EARLIER_PERIODS: &[&str] = &[
    "the same year",
    "the same period",
    "the same time period",
    "the same financial year",
    "the same timeframe",
    "the same time frame",
    "the same dates",
    "those years",
    "these years",
    "those periods",
    "the same three years",
    "the same five years",
    "the above years",
    "the above financial years",
    "the above calendar years",
    "the above period",
    "the above time period",
    "the above dates",
];

/// Words by which a question narrows the one before it ("how many of those").
const EARLIER_PEOPLE: &[&str] = &["of those", "of them", "of these", "of whom", "of which"];

/// Whether a question narrows the one before it.
fn refers_to_earlier_people(text: &str) -> bool {
    let lower = text.to_lowercase();
    EARLIER_PEOPLE.iter().any(|p| lower.contains(p))
}

/// Whether a question refers to the periods of an earlier one ("in the same years").
fn refers_to_earlier_periods(text: &str) -> bool {
    let lower = text.to_lowercase();
    EARLIER_PERIODS.iter().any(|p| lower.contains(p))
}

fn request_question(q: &SplitQuestion, u: &Understanding) -> Question {
    Question {
        number: q.number.clone(),
        text: q.text.clone(),
        ask: u.ask.clone(),
        parts: q
            .parts
            .iter()
            .zip(&u.parts)
            .map(|(p, pu)| request_question(p, pu))
            .collect(),
        estimate_hours: None,
    }
}

#[cfg(test)]
mod tests {
    use super::periods::collect_periods;
    use super::words::words;
    use super::*;
    use crate::catalogue::shipped;
    use crate::period::Period;
    use crate::request::parse_request;

    const SEED_000: &str = include_str!("../../tests-data/requests/seed-000.txt");
    const SEED_003: &str = include_str!("../../tests-data/requests/seed-003.txt");
    const SEED_000_TOML: &str =
        include_str!("../../../../examples/leicester/requests/seed-000.toml");
    const SEED_003_TOML: &str =
        include_str!("../../../../examples/leicester/requests/seed-003.toml");

    pub(super) fn day(y: i16, m: i8, d: i8) -> Date {
        Date::constant(y, m, d)
    }

    pub(super) fn p(s: &str) -> Period {
        Period::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) fn periods(text: &str, received: Date) -> Vec<Period> {
        collect_periods(&resolve_periods(text, received)).0
    }

    pub(super) fn question(text: &str) -> SplitQuestion {
        SplitQuestion {
            number: "1".into(),
            text: text.into(),
            preamble: None,
            parts: Vec::new(),
        }
    }

    /// A span of whole financial years is the same request as those years
    /// one by one (the planner gives one row per year either way).
    pub(super) fn expanded(periods: &[Period]) -> Vec<Period> {
        periods
            .iter()
            .flat_map(|p| {
                let years = p.financial_years();
                if years.len() > 1 && years.iter().all(|y| y.is_full()) {
                    years
                        .iter()
                        .map(|y| Period::FinancialYear(y.year))
                        .collect()
                } else {
                    vec![*p]
                }
            })
            .collect()
    }

    pub(super) fn assert_same_asks(got: &[Question], want: &[Question]) {
        assert_eq!(got.len(), want.len(), "number of questions or parts");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.number, w.number);
            match (&g.ask, &w.ask) {
                (Some(Ask::Figures(a)), Some(Ask::Figures(b))) => {
                    assert_eq!(a.indicator, b.indicator, "question {}", w.number);
                    assert_eq!(a.filter, b.filter, "question {}", w.number);
                    assert_eq!(a.breakdown, b.breakdown, "question {}", w.number);
                    assert_eq!(a.age_range, b.age_range, "question {}", w.number);
                    assert_eq!(
                        expanded(&a.periods),
                        expanded(&b.periods),
                        "question {}",
                        w.number
                    );
                }
                (a, b) => assert_eq!(a, b, "question {}", w.number),
            }
            assert_same_asks(&g.parts, &w.parts);
        }
    }

    pub(super) fn assert_split_like(split: &[SplitQuestion], want: &[Question]) {
        assert_eq!(split.len(), want.len());
        for (s, w) in split.iter().zip(want) {
            assert_eq!(s.number, w.number);
            assert_eq!(s.text, w.text);
            assert_split_like(&s.parts, &w.parts);
        }
    }

    pub(super) fn check_seed(email_text: &str, toml: &str, received: Date, reference: &str) {
        let catalogue = shipped();
        let want = parse_request("seed.toml", toml, &catalogue).unwrap();
        let email = parse_email(email_text.as_bytes()).unwrap();
        let draft = draft(&email, received, &catalogue, &[], reference.into()).unwrap();
        let split: Vec<SplitQuestion> =
            draft.questions.iter().map(|q| q.question.clone()).collect();
        assert_split_like(&split, &want.questions);
        for q in &draft.questions {
            assert!(
                q.understanding.is_complete(),
                "question {} needs the officer: {:#?}",
                q.question.number,
                q.understanding
            );
            assert!(
                q.understanding.confidence >= MIN_CONFIDENCE,
                "question {}: {}",
                q.question.number,
                q.understanding.confidence
            );
        }
        let request = draft.request.expect("every question understood");
        assert_eq!(request.reference, reference);
        assert_eq!(request.received, received);
        assert_same_asks(&request.questions, &want.questions);
    }

    #[test]
    fn seed_000_is_understood_as_its_structured_request() {
        check_seed(SEED_000, SEED_000_TOML, day(2019, 6, 10), "FOI-2019-0412");
    }

    #[test]
    fn seed_003_is_understood_as_its_structured_request() {
        check_seed(SEED_003, SEED_003_TOML, day(2017, 4, 18), "FOI-2017-0318");
    }

    #[test]
    fn seed_questions_keep_their_number_and_words() {
        let split = split_questions(SEED_000).unwrap();
        assert_eq!(split.len(), 4);
        assert_eq!(split[2].number, "3");
        assert_eq!(
            split[2]
                .parts
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>(),
            ["2014 - 15", "2018 - 19", "2019 - 20"]
        );
        assert!(split.iter().all(|q| q.preamble.is_none()));
        let split = split_questions(SEED_003).unwrap();
        assert_eq!(split.len(), 14);
        assert_eq!(split[8].parts.len(), 2);
        assert_eq!(split[8].parts[1].number, "b");
    }

    #[test]
    fn a_whatdotheyknow_request_is_read_without_its_footer() {
        let raw = include_str!("../../tests-data/requests/whatdotheyknow.txt");
        let email = parse_email(raw.as_bytes()).unwrap();
        assert_eq!(email.date, Some(day(2023, 3, 15)));
        let drafted = draft(&email, day(2023, 3, 15), &shipped(), &[], "FOI-1".into()).unwrap();
        assert_eq!(drafted.questions.len(), 3, "the footer is not a question");
        let read = |n: usize| match &drafted.questions[n].understanding.ask {
            Some(Ask::Figures(f)) => (f.indicator.clone(), f.filter.key(), f.periods.clone()),
            other => panic!("question {}: {other:?}", n + 1),
        };
        let years = vec![p("2019/20"), p("2020/21"), p("2021/22")];
        // "started alcohol treatment": the phrase steps over the substance.
        assert_eq!(
            read(0),
            (
                "new_presentations".into(),
                "substance_group=alcohol_only".into(),
                years.clone()
            )
        );
        assert_eq!(
            read(1),
            (
                "successful_completions".into(),
                "substance_group=alcohol_only".into(),
                years
            )
        );
        // Waiting times are not in the catalogue: left for the officer.
        assert!(drafted.questions[2].understanding.needs_officer);
        assert!(drafted.request.is_none());
    }

    #[test]
    fn a_request_about_the_whole_country_sends_its_other_figures_to_the_officer() {
        let email = parse_email(
            b"Dear Sir,\n\n1. The number of deaths related to drug poisoning in the UK in 2022\n2. The number of adults entering treatment for drug addictions from April 2022-March 2023\n\nThanks",
        )
        .unwrap();
        let drafted = draft(&email, day(2023, 11, 1), &shipped(), &[], "FOI-1".into()).unwrap();
        let [first, second] = &drafted.questions[..] else {
            panic!("{drafted:#?}")
        };
        assert!(first.understanding.needs_officer, "{first:#?}");
        assert!(
            first
                .understanding
                .notes
                .iter()
                .any(|n| n.contains("wider area")),
            "{first:#?}"
        );
        // The second names no area of its own: the UK of the first is the
        // likeliest, so the officer checks; its reading stays an
        // alternative.
        assert!(second.understanding.needs_officer, "{second:#?}");
        assert!(second.understanding.ask.is_none());
        assert!(
            second
                .understanding
                .notes
                .iter()
                .any(|n| n.contains("wider area") && n.contains("in the uk")),
            "{second:#?}"
        );
        assert!(matches!(
            second.understanding.alternatives.first(),
            Some((Ask::Figures(f), _)) if f.indicator == "new_presentations"
        ));
        assert!(drafted.request.is_none());
        // Without the country, the same question is the council's own.
        let email = parse_email(
            b"Dear Sir,\n\n1. The number of adults entering treatment for drug addictions from April 2022-March 2023\n\nThanks",
        )
        .unwrap();
        let drafted = draft(&email, day(2023, 11, 1), &shipped(), &[], "FOI-1".into()).unwrap();
        assert!(
            drafted.questions[0].understanding.is_complete(),
            "{drafted:#?}"
        );
    }

    #[test]
    fn how_many_of_those_is_read_with_the_question_before() {
        let email = parse_email(
            b"Dear Sir,\n\nFor 2020/21 and 2021/22:\n\n(1) Total number of adults in treatment\n(2) Number of those who were opiate users\n\nThanks",
        )
        .unwrap();
        let drafted = draft(&email, day(2023, 6, 1), &shipped(), &[], "FOI-1".into()).unwrap();
        let second = &drafted.questions[1];
        assert_eq!(
            second.question.text,
            "Number of those who were opiate users"
        );
        match &second.understanding.ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(f.indicator, "people_in_treatment");
                assert_eq!(f.filter.key(), "substance_group=opiate");
            }
            other => panic!("{other:?}"),
        }
        assert!(second.understanding.notes[0].contains("question 1"));
    }

    #[test]
    fn the_same_years_are_those_of_the_question_before() {
        let email = parse_email(
            b"Dear Sir,\n\n1) How much did the council spend on drug and alcohol services in 2021/22 and 2022/23?\n2) How many inpatient detox placements were there in the same years?\n3) How many people were in treatment in 2019/20?\n4) How many of those were in residential rehab in those years?\n\nThanks\nPat",
        )
        .unwrap();
        let catalogue = shipped();
        let drafted = draft(&email, day(2023, 9, 4), &catalogue, &[], "FOI-1".into()).unwrap();
        let periods = |n: usize| match &drafted.questions[n].understanding.ask {
            Some(Ask::Figures(f)) => f.periods.clone(),
            other => panic!("question {}: {other:?}", n + 1),
        };
        assert_eq!(periods(1), [p("2021/22"), p("2022/23")]);
        assert!(drafted.questions[1].understanding.notes[0].contains("question 1"));
        assert_eq!(
            periods(3),
            [p("2019/20")],
            "the latest question with periods"
        );
        assert_eq!(
            drafted.questions[1].question.text,
            "How many inpatient detox placements were there in the same years?",
            "kept verbatim"
        );
    }

    #[test]
    fn references_to_earlier_questions_are_resolved_or_shown_with_the_candidates() {
        let catalogue = shipped();
        let drafted = |body: &str| {
            let email = parse_email(body.as_bytes()).unwrap();
            draft(&email, day(2023, 9, 4), &catalogue, &[], "FOI-1".into()).unwrap()
        };
        // Two earlier questions name a budget: "this budget" is the officer's.
        let d = drafted(
            "1) What was your budget for drug treatment in 2022/23?\n2) What was your budget for alcohol treatment in 2022/23?\n3) How much of this budget was spent on residential rehab in 2022/23?\n",
        );
        let third = &d.questions[2].understanding;
        assert!(third.needs_officer && third.ask.is_none(), "{third:#?}");
        assert!(
            third
                .notes
                .iter()
                .any(|n| n.contains("“this budget” may refer to question 1 or 2")),
            "{third:#?}"
        );
        // One does: resolved, and the reading says so.
        let d = drafted(
            "1) What was your budget for drug treatment in 2022/23?\n2) How much of this budget was spent on residential rehab in 2022/23?\n",
        );
        let second = &d.questions[1].understanding;
        assert!(second.is_complete(), "{second:#?}");
        assert!(second.notes[0].contains("question 1"), "{second:#?}");
        // "As above" names nothing: read with the question before.
        let d = drafted(
            "1) How many people were in treatment for opiates in 2021/22?\n2) How many of these were women (as above)?\n",
        );
        match &d.questions[1].understanding.ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(f.indicator, "people_in_treatment");
                assert_eq!(f.periods, [p("2021/22")]);
            }
            other => panic!("{other:?}"),
        }
        // A count that names nothing under a question: the officer checks whom.
        let d = drafted(
            "1. The number of people in treatment in 2021/22, including:\n(a) How many are under 30\n",
        );
        let part = &d.questions[0].understanding.parts[0];
        assert!(part.needs_officer, "{part:#?}");
        assert!(
            part.notes.iter().any(|n| n.contains("counts whom")),
            "{part:#?}"
        );
    }

    #[test]
    fn several_measures_in_one_question_become_parts_each_read() {
        let email = parse_email(
            b"Dear Sir,\n\n1) What was the budget, the spend and the number of people in residential rehab in 2019/20?\n\nThanks",
        )
        .unwrap();
        let drafted = draft(&email, day(2020, 9, 1), &shipped(), &[], "FOI-1".into()).unwrap();
        // The period at the end is shared by a measure that names its own
        // service ("the budget for drug treatment … in 2019/20").
        let shared = parse_email(
            b"1) What was the budget for drug treatment and how many people were in treatment in 2019/20?\n",
        )
        .unwrap();
        let shared = draft(&shared, day(2020, 9, 1), &shipped(), &[], "FOI-2".into()).unwrap();
        match &shared.questions[0].understanding.parts[0].ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(
                    (f.indicator.as_str(), f.periods.as_slice()),
                    ("budget", &[p("2019/20")][..])
                );
            }
            other => panic!("{other:?} {:#?}", shared.questions[0]),
        }
        let q = &drafted.questions[0];
        assert_eq!(
            q.question.text,
            "What was the budget, the spend and the number of people in residential rehab in 2019/20?",
            "kept verbatim"
        );
        assert_eq!(q.question.parts.len(), 3, "{:#?}", q.question.parts);
        assert!(q.understanding.ask.is_none(), "a heading");
        let indicator = |i: usize| match &q.understanding.parts[i].ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(f.periods, [p("2019/20")]);
                f.indicator.clone()
            }
            other => panic!("part {i}: {other:?} {:#?}", q.understanding.parts[i]),
        };
        assert_eq!(indicator(0), "budget");
        assert_eq!(indicator(1), "spend");
        assert_eq!(indicator(2), "residential_rehab_placements");
        // The structured request carries the parts.
        let request = drafted.request.expect("understood");
        assert_eq!(request.questions[0].parts.len(), 3);
    }

    #[test]
    fn long_adversarial_input_does_not_overflow() {
        let text = "next financial year (".repeat(20_000);
        let _ = resolve_periods(&text, day(2019, 6, 10));
        let nested = "(".repeat(50_000) + "excluding" + &")".repeat(50_000);
        let _ = words(&nested);
        let lines = "1) a?\na) b\n".repeat(20_000);
        assert_eq!(split_questions(&lines).unwrap().len(), 20_000);
    }

    proptest::proptest! {
        #[test]
        fn nothing_panics_on_any_text(text in "\\PC{0,200}") {
            let received = day(2019, 6, 10);
            let _ = resolve_periods(&text, received);
            let _ = parse_email(text.as_bytes());
            let catalogue = shipped();
            if let Ok(questions) = split_questions(&text) {
                for q in &questions {
                    let _ = understand(q, received, &catalogue, &[]);
                }
            }
        }

        #[test]
        fn nothing_panics_on_any_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_email(&bytes);
        }

        #[test]
        fn question_like_text_never_panics(
            text in "(Q?[0-9]{1,3}[).:]? |\\(?[a-z][).] |between |since |past |from |to |date |[0-9]{1,4}[/-]?[0-9]{0,4} |(st|of) |March |April |financial |years? |excluding |\\(|\\)|\\?|\n){0,40}"
        ) {
            let received = day(2019, 6, 10);
            let _ = resolve_periods(&text, received);
            if let Ok(questions) = split_questions(&text) {
                for q in &questions {
                    let _ = understand(q, received, &shipped(), &[]);
                }
            }
        }
    }

    #[test]
    fn no_input_panics() {
        let catalogue = shipped();
        let model = Model::new(&catalogue, &[]);
        for text in [
            "",
            "(",
            ")",
            "((((",
            "(s)",
            "between",
            "between 2016 and",
            "since",
            "past",
            "1)",
            "a)",
            "Q",
            "Q9",
            "Question",
            "=?utf-8?B?",
            "2016-",
            "31st",
            "32nd March 2016",
            "between 31st February 2016 and 1st April 2017",
            "from 2016/17 to date",
            "the last 99 years",
            "¿¡Ω≈ç√∫",
            "a-",
            "-a",
            "'",
            "’s",
        ] {
            let _ = resolve_periods(text, day(2019, 6, 10));
            let _ = split_questions(text);
            let _ = parse_email(text.as_bytes());
            let _ = model.understand(&question(text), day(2019, 6, 10));
        }
    }
}
