//! Reading one question: matching it to indicators and topics, with its filters, breakdowns, periods and confidence.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use crate::catalogue::{Catalogue, Indicator, Topic, Unit};
use crate::figure::Breakdown;
use crate::period::Period;
use crate::request::{Ask, FigureAsk};

use super::learn::{Synonym, SynonymTarget};
use super::periods::{
    BARE_YEAR_CONFIDENCE, PeriodMatch, collect_periods, period_only, resolve_periods,
};
use super::split::SplitQuestion;
use super::words::*;
use super::{MIN_CONFIDENCE, Understanding};

pub(super) const PHRASE: f32 = 2.0;
pub(super) const LOOSE: f32 = 1.0;
pub(super) const SHARED_WORD: f32 = 0.5;
pub(super) const HEAD: f32 = 1.0;
pub(super) const HEAD_WORDS: usize = 3;
pub(super) const FILTER: f32 = 0.5;
pub(super) const COUNT_FIT: f32 = 2.0;
pub(super) const NARRATIVE_FIT: f32 = 1.5;
pub(super) const PERIOD_FIT: f32 = 1.0;
pub(super) const OPENING_FIT: f32 = 1.5;
pub(super) const TOPIC_IN_COUNT: f32 = 0.7;
pub(super) const INDICATOR_IN_NARRATIVE: f32 = 0.4;
pub(super) const UNIT_MISMATCH: f32 = 0.5;
pub(super) const NONE_SCORE: f32 = 4.0;
pub(super) const TEMPERATURE: f32 = 2.0;
pub(super) const LEARNED_LEAD: f32 = 8.0;
pub(super) const MAX_ALTERNATIVES: usize = 3;
pub(super) const MIN_ALTERNATIVE: f32 = 0.01;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Indicator(String),
    Topic(String),
}

pub(super) struct Candidate {
    target: Target,
    phrases: Vec<Phrase>,
    vocabulary: BTreeSet<String>,
    opening: Option<String>,
    learned: Vec<Phrase>,
    /// A topic's subject: one of these must be named (see [`Topic::subject`]).
    subject: Vec<Phrase>,
}

pub(super) struct ValuePhrase {
    dimension: String,
    value: String,
    phrase: Phrase,
    learned: bool,
}

pub(super) struct Model<'c> {
    catalogue: &'c Catalogue,
    candidates: Vec<Candidate>,
    idf: BTreeMap<String, f32>,
    unknown_idf: f32,
    values: Vec<ValuePhrase>,
    generic: Vec<Phrase>,
    /// What figures cannot be split by, with how it is named (see
    /// `NOT_SPLIT`), less what the catalogue does name.
    not_split: Vec<(Phrase, &'static str)>,
    notes: Vec<String>,
}

/// A question's words with what its shape says.
pub(super) struct QuestionWords {
    words: Vec<Word>,
    /// The words of the preamble the question shares with others.
    context: Vec<Word>,
    head: Vec<usize>,
    opening: Option<String>,
    /// It asks for a number or an amount.
    count: bool,
    /// It asks for money ("how much", "budget", "spend").
    money: bool,
    /// It asks for a count of things ("how many", "number of", "age range").
    things: bool,
}

impl QuestionWords {
    fn new(text: &str) -> QuestionWords {
        let words = words(text);
        let asks = words.iter().position(|w| listed(INTERROGATIVES, &w.lower));
        let head = words
            .iter()
            .enumerate()
            .skip(asks.map_or(0, |a| a + 1))
            .filter(|(_, w)| !w.stop && !w.negated)
            .map(|(i, _)| i)
            .take(HEAD_WORDS)
            .collect();
        let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0].lower == a && p[1].lower == b);
        let money = pair("how", "much") || words.iter().any(|w| listed(MONEY_WORDS, &w.lower));
        let things = pair("how", "many") || pair("number", "of") || asks_age_range(&words);
        let count = money || things || words.iter().any(|w| listed(COUNT_WORDS, &w.lower));
        QuestionWords {
            opening: asks.map(|a| words[a].lower.clone()),
            context: Vec::new(),
            words,
            head,
            count,
            money,
            things,
        }
    }
}

pub(super) fn asks_age_range(words: &[Word]) -> bool {
    words
        .windows(2)
        .any(|p| p[0].lower == "age" && p[1].stem == "rang")
        || words
            .iter()
            .any(|w| matches!(w.lower.as_str(), "youngest" | "oldest"))
}

/// A reading of a question with its score and confidence.
#[derive(Debug, Clone)]
pub(super) struct Reading {
    target: Target,
    score: f32,
    confidence: f32,
    reasons: Vec<String>,
}

/// What the words of a question say for one candidate.
pub(super) struct Evidence {
    score: f32,
    claimed: Vec<bool>,
    phrase_found: bool,
    reasons: Vec<String>,
}

/// Dimension values named in a question.
#[derive(Debug, Default)]
pub(super) struct Filters {
    filter: Breakdown,
    weight: f32,
    notes: Vec<String>,
    /// Dimensions of which the question names several values ("community
    /// treatment, detox and rehab"), with the values: asked for as a breakdown.
    several: BTreeMap<String, BTreeSet<String>>,
}

impl<'c> Model<'c> {
    pub(super) fn new(catalogue: &'c Catalogue, learned: &[Synonym]) -> Model<'c> {
        let candidates: Vec<Candidate> = catalogue
            .indicators()
            .map(indicator_candidate)
            .chain(catalogue.topics().map(topic_candidate))
            .collect();
        let n = candidates.len().max(1) as f32;
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for stem in candidates.iter().flat_map(|c| &c.vocabulary) {
            *df.entry(stem.clone()).or_default() += 1;
        }
        let idf = df
            .into_iter()
            .map(|(stem, d)| (stem, (1.0 + n / d as f32).ln()))
            .collect();
        let mut model = Model {
            catalogue,
            candidates,
            idf,
            unknown_idf: (1.0 + n).ln(),
            values: value_phrases(catalogue),
            generic: GENERIC_PHRASES
                .iter()
                .filter_map(|p| Phrase::new(p))
                .collect(),
            not_split: not_split(catalogue),
            notes: Vec::new(),
        };
        for synonym in learned {
            model.learn(synonym);
        }
        model
    }

    /// Add an officer's synonym; one naming something the catalogue does not
    /// have is noted and ignored.
    fn learn(&mut self, synonym: &Synonym) {
        let Some(phrase) = Phrase::new(&synonym.phrase) else {
            return;
        };
        let (target, code) = match &synonym.target {
            SynonymTarget::Value { dimension, value } => {
                let known = self
                    .catalogue
                    .dimension(dimension)
                    .ok()
                    .and_then(|d| d.value(value).map(|v| (d.code.clone(), v.code.clone())));
                if let Some((dimension, value)) = known {
                    let learned = ValuePhrase {
                        dimension,
                        value,
                        phrase,
                        learned: true,
                    };
                    self.values.insert(0, learned);
                    return;
                }
                (None, format!("{dimension}={value}"))
            }
            SynonymTarget::Indicator(code) => (Some(Target::Indicator(code.clone())), code.clone()),
            SynonymTarget::Topic(code) => (Some(Target::Topic(code.clone())), code.clone()),
        };
        match self.candidates.iter_mut().find(|c| Some(&c.target) == target.as_ref()) {
            Some(c) => c.learned.push(phrase),
            None => self.notes.push(format!(
                "the learned synonym “{}” names '{code}', which the catalogue does not have; it was ignored",
                synonym.phrase
            )),
        }
    }

    fn weight(&self, word: &Word) -> f32 {
        if word.stop {
            STOP_WEIGHT
        } else {
            self.idf
                .get(&word.stem)
                .copied()
                .unwrap_or(self.unknown_idf)
        }
    }

    fn weight_of(&self, q: &QuestionWords, positions: &[usize], claimed: &[bool]) -> f32 {
        positions
            .iter()
            .filter(|&&p| !claimed.get(p).copied().unwrap_or(true))
            .filter_map(|&p| q.words.get(p))
            .map(|w| self.weight(w))
            .sum()
    }

    /// The lexical evidence for one candidate.
    fn evidence(&self, c: &Candidate, q: &QuestionWords) -> Evidence {
        let mut ev = Evidence {
            score: 0.0,
            claimed: vec![false; q.words.len()],
            phrase_found: false,
            reasons: Vec::new(),
        };
        let usable = |i: usize| q.words.get(i).is_some_and(|w| !w.negated);
        let mut unmatched = Vec::new();
        for phrase in &c.phrases {
            match find_phrase(&q.words, &phrase.words, &usable) {
                Some(positions) => self.count_phrase(&mut ev, q, &positions, PHRASE, || {
                    format!("“{}”", phrase.text)
                }),
                None => unmatched.push(phrase),
            }
        }
        for phrase in unmatched {
            if let Some(positions) = find_loose(&q.words, phrase) {
                self.count_phrase(&mut ev, q, &positions, LOOSE, || {
                    format!("the words of “{}”", phrase.text)
                });
            }
        }
        let mut shared = BTreeSet::new();
        for (i, w) in q.words.iter().enumerate() {
            if !ev.claimed[i] && !w.stop && !w.negated && c.vocabulary.contains(&w.stem) {
                if shared.insert(w.stem.clone()) {
                    ev.score += SHARED_WORD * self.weight(w);
                }
                ev.claimed[i] = true;
            }
        }
        if !shared.is_empty() {
            let shared: Vec<String> = shared.into_iter().collect();
            ev.reasons
                .push(format!("shared words: {}", shared.join(", ")));
        }
        ev
    }

    fn count_phrase(
        &self,
        ev: &mut Evidence,
        q: &QuestionWords,
        positions: &[usize],
        factor: f32,
        reason: impl Fn() -> String,
    ) {
        let w = self.weight_of(q, positions, &ev.claimed);
        if w > 0.0 {
            ev.score += factor * w;
            ev.phrase_found = true;
            ev.reasons.push(reason());
        }
        claim(&mut ev.claimed, positions);
    }

    /// A candidate's score: its evidence, then the question's shape. Only a
    /// phrase earns the bonuses; a shared word alone stays weak evidence.
    fn score(&self, c: &Candidate, q: &QuestionWords, has_periods: bool) -> Option<Reading> {
        let anywhere = |_: usize| true;
        let names_subject = c.subject.iter().any(|p| {
            find_phrase(&q.words, &p.words, &anywhere).is_some()
                || find_phrase(&q.context, &p.words, &anywhere).is_some()
        });
        if !c.subject.is_empty() && !names_subject {
            return None;
        }
        let Evidence {
            mut score,
            claimed,
            phrase_found,
            mut reasons,
        } = self.evidence(c, q);
        if score <= 0.0 {
            return None;
        }
        let bonus = |b: f32| if phrase_found { b } else { 0.0 };
        score += bonus(
            HEAD * q
                .head
                .iter()
                .filter(|&&i| claimed.get(i).copied().unwrap_or(false))
                .filter_map(|&i| q.words.get(i))
                .map(|w| self.weight(w))
                .sum::<f32>(),
        );
        match &c.target {
            Target::Indicator(code) => {
                if let Ok(indicator) = self.catalogue.indicator(code) {
                    score += bonus(FILTER * self.filters(q, indicator).weight);
                    // "How much … spend on rehab" asks for money, not placements.
                    let money = indicator.unit.is_money();
                    if (q.money && !money) || (q.things && !q.money && money) {
                        score *= UNIT_MISMATCH;
                        reasons.push(format!("but it counts {}", indicator.unit.noun()));
                    }
                }
                if q.count {
                    score += bonus(COUNT_FIT);
                    reasons.push("asks for a number".into());
                } else {
                    score *= INDICATOR_IN_NARRATIVE;
                }
                if has_periods {
                    score += bonus(PERIOD_FIT);
                }
            }
            Target::Topic(_) => {
                if q.count {
                    score *= TOPIC_IN_COUNT;
                } else {
                    score += bonus(NARRATIVE_FIT);
                }
                if phrase_found && q.opening.is_some() && q.opening == c.opening {
                    score += OPENING_FIT;
                    reasons.push(format!(
                        "opens with “{}” as the topic's question does",
                        q.opening.as_deref().unwrap_or("")
                    ));
                }
            }
        }
        Some(Reading {
            target: c.target.clone(),
            score,
            confidence: 0.0,
            reasons,
        })
    }

    /// Score every candidate and turn scores into confidences (softmax with
    /// "none of these" at [`NONE_SCORE`]). Returns the readings, best first,
    /// and the confidence that none fits.
    fn rank(&self, q: &QuestionWords, has_periods: bool) -> (Vec<Reading>, f32) {
        let mut readings: Vec<Reading> = self
            .candidates
            .iter()
            .filter_map(|c| self.score(c, q, has_periods))
            .collect();
        self.apply_learned(q, &mut readings);
        readings.sort_by(|a, b| b.score.total_cmp(&a.score));
        let top = readings.iter().map(|r| r.score).fold(NONE_SCORE, f32::max);
        let share = |s: f32| ((s - top) / TEMPERATURE).exp();
        let total: f32 = readings.iter().map(|r| share(r.score)).sum::<f32>() + share(NONE_SCORE);
        for r in &mut readings {
            r.confidence = share(r.score) / total;
        }
        (readings, share(NONE_SCORE) / total)
    }

    /// A learned synonym in the question puts its target ahead of every
    /// built-in reading.
    fn apply_learned(&self, q: &QuestionWords, readings: &mut Vec<Reading>) {
        let best = readings.iter().map(|r| r.score).fold(NONE_SCORE, f32::max);
        let usable = |i: usize| q.words.get(i).is_some_and(|w| !w.negated);
        let unclaimed = vec![false; q.words.len()];
        for c in &self.candidates {
            for phrase in &c.learned {
                let Some(positions) = find_phrase(&q.words, &phrase.words, &usable) else {
                    continue;
                };
                // The lead is fixed, so the built-in readings stay visible as
                // alternatives; the phrase's weight only breaks ties.
                let score = best + LEARNED_LEAD + 0.01 * self.weight_of(q, &positions, &unclaimed);
                let reason = format!("“{}” (an officer's earlier correction)", phrase.text);
                match readings.iter_mut().find(|r| r.target == c.target) {
                    Some(r) => {
                        r.score = r.score.max(score);
                        r.reasons.insert(0, reason);
                    }
                    None => readings.push(Reading {
                        target: c.target.clone(),
                        score,
                        confidence: 0.0,
                        reasons: vec![reason],
                    }),
                }
            }
        }
    }

    /// Dimension values named in the question that the indicator allows.
    fn filters(&self, q: &QuestionWords, indicator: &Indicator) -> Filters {
        let mut claimed = vec![false; q.words.len()];
        for g in &self.generic {
            let usable = |i: usize| !claimed[i];
            if let Some(positions) = find_phrase(&q.words, &g.words, &usable) {
                claim(&mut claimed, &positions);
            }
        }
        let mut hits: Vec<(usize, &ValuePhrase)> = Vec::new();
        for vp in &self.values {
            if !indicator.breakdowns.contains(&vp.dimension) {
                continue;
            }
            loop {
                let usable = |i: usize| !claimed[i] && q.words.get(i).is_some_and(|w| !w.negated);
                let Some(positions) = find_phrase(&q.words, &vp.phrase.words, &usable) else {
                    break;
                };
                claim(&mut claimed, &positions);
                let first = positions.first().copied().unwrap_or(0);
                hits.push((first, vp));
            }
        }
        hits.sort_by_key(|(at, vp)| (!vp.learned, *at));
        let mut out = Filters::default();
        for (_, vp) in &hits {
            if let Some(first) = hits.iter().find(|(_, h)| h.dimension == vp.dimension)
                && first.1.value != vp.value
            {
                out.several
                    .entry(vp.dimension.clone())
                    .or_default()
                    .insert(first.1.value.clone());
            }
        }
        for (_, vp) in hits {
            match out.filter.get(&vp.dimension) {
                None => {
                    out.filter.0.insert(vp.dimension.clone(), vp.value.clone());
                    out.weight += vp.phrase.words.iter().map(|w| self.weight(w)).sum::<f32>();
                    let how = if vp.learned {
                        " (an officer's earlier correction)"
                    } else {
                        ""
                    };
                    out.notes.push(format!(
                        "{} = {} from “{}”{how}",
                        vp.dimension, vp.value, vp.phrase.text
                    ));
                }
                Some(v) if v == vp.value => {}
                Some(_) => {
                    // Several values of one dimension: each is asked for.
                    let named = out.several.entry(vp.dimension.clone()).or_default();
                    named.insert(vp.value.clone());
                }
            }
        }
        out
    }

    /// Breakdowns asked for with "by …" that the indicator allows.
    fn breakdowns(&self, q: &QuestionWords, indicator: &Indicator) -> Vec<String> {
        let mut out = Vec::new();
        for (i, w) in q.words.iter().enumerate() {
            if w.lower != "by" || w.negated {
                continue;
            }
            for next in q.words.iter().skip(i + 1).take(6) {
                if next.stop || BREAKDOWN_FILLERS.contains(&next.lower.as_str()) {
                    continue;
                }
                match self.dimension_named(&next.stem, indicator) {
                    Some(d) if !out.contains(&d) => out.push(d),
                    Some(_) => {}
                    None => break,
                }
            }
        }
        out
    }

    fn dimension_named(&self, stem: &str, indicator: &Indicator) -> Option<String> {
        indicator
            .breakdowns
            .iter()
            .find(|code| {
                let extra = DIMENSION_WORDS
                    .iter()
                    .any(|(word, dim)| dim == code && self::stem(word) == stem);
                let titled = self.catalogue.dimension(code).is_ok_and(|d| {
                    words(&d.title)
                        .iter()
                        .chain(words(&d.code.replace('_', " ")).iter())
                        .any(|w| !w.stop && w.stem == stem)
                });
                extra || titled
            })
            .cloned()
    }

    /// The figures ask for an indicator: filters, breakdowns and age range
    /// from the question's words; periods are added by the caller.
    fn figure_ask(
        &self,
        q: &QuestionWords,
        indicator: &Indicator,
        notes: &mut Vec<String>,
    ) -> FigureAsk {
        let mut filters = self.filters(q, indicator);
        let mut breakdown = self.breakdowns(q, indicator);
        let allows_age = indicator.breakdowns.iter().any(|b| b == "age_band");
        let mut age_range = asks_age_range(&q.words);
        if age_range && !allows_age {
            notes.push(format!(
                "the question asks for an age range, but '{}' has no age breakdown",
                indicator.code
            ));
            age_range = false;
        }
        if age_range && !breakdown.iter().any(|b| b == "age_band") {
            breakdown.push("age_band".into());
        }
        for (dimension, values) in &filters.several {
            filters.filter.0.remove(dimension);
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            notes.push(format!(
                "it names several values of {dimension} ({}), so it is broken down by {dimension}",
                values.join(", ")
            ));
            if !breakdown.contains(dimension) {
                breakdown.push(dimension.clone());
            }
        }
        for b in &breakdown {
            if filters.several.contains_key(b) {
                continue;
            }
            if filters.filter.0.remove(b).is_some() {
                notes.push(format!(
                    "{b} is asked for as a breakdown, so it is not also a filter"
                ));
            }
        }
        notes.append(&mut filters.notes);
        if !breakdown.is_empty() {
            notes.push(format!("broken down by {}", breakdown.join(", ")));
        }
        if age_range {
            notes.push("asks for the youngest and oldest ages (age_range)".into());
        }
        FigureAsk {
            indicator: indicator.code.clone(),
            periods: Vec::new(),
            filter: filters.filter,
            breakdown,
            age_range,
            bands: vec![],
        }
    }

    fn ask_for(&self, target: &Target, q: &QuestionWords, periods: &[Period]) -> Option<Ask> {
        match target {
            Target::Topic(code) => Some(Ask::Statement {
                topic: code.clone(),
            }),
            Target::Indicator(code) => {
                let indicator = self.catalogue.indicator(code).ok()?;
                let mut ask = self.figure_ask(q, indicator, &mut Vec::new());
                ask.periods = periods.to_vec();
                Some(Ask::Figures(ask))
            }
        }
    }

    pub(super) fn understand(&self, q: &SplitQuestion, received: Date) -> Understanding {
        self.understand_within(q, received, "")
    }

    /// A question whose parts are the measures it asks for (see
    /// `measures.rs`): a heading, each part read on its own.
    pub(super) fn understand_measured(&self, q: &SplitQuestion, received: Date) -> Understanding {
        let parts: Vec<Understanding> = q
            .parts
            .iter()
            .map(|part| self.understand_part(part, q, received))
            .collect();
        Understanding {
            ask: None,
            confidence: parts.iter().map(|p| p.confidence).fold(1.0, f32::min),
            alternatives: Vec::new(),
            notes: vec![format!(
                "it asks for {} measures in one sentence: each is a part (a, b, …), read on its own",
                parts.len()
            )],
            needs_officer: parts.iter().any(|p| p.needs_officer),
            parts,
        }
    }

    /// [`Model::understand`] for a question inside `around` (the words of
    /// the question a part belongs to), which can name a topic's subject.
    fn understand_within(&self, q: &SplitQuestion, received: Date, around: &str) -> Understanding {
        let mut u = self.understand_text(q, received, around);
        if u.parts.is_empty() && !q.parts.is_empty() {
            u.parts = q
                .parts
                .iter()
                .map(|part| self.understand_part(part, q, received))
                .collect();
            if u.parts.iter().any(|p| p.needs_officer) {
                u.needs_officer = true;
            }
        }
        u
    }

    /// A lettered sub-question: alone, or failing that, read together with
    /// its question.
    fn understand_part(
        &self,
        part: &SplitQuestion,
        parent: &SplitQuestion,
        received: Date,
    ) -> Understanding {
        // A part's own preamble (a measure's question) comes after its
        // question's (the periods of "the same years").
        let preamble = match (&part.preamble, &parent.preamble) {
            (Some(own), Some(shared)) => Some(format!("{shared} {own}")),
            (own, shared) => own.clone().or_else(|| shared.clone()),
        };
        let alone = SplitQuestion {
            preamble,
            ..part.clone()
        };
        let u = self.understand_within(&alone, received, &parent.text);
        if !u.needs_officer {
            return u;
        }
        let together = SplitQuestion {
            number: part.number.clone(),
            text: format!("{} {}", parent.text, part.text),
            preamble: alone.preamble.clone(),
            parts: Vec::new(),
        };
        let mut joined = self.understand_text(&together, received, "");
        // The part's own shape still decides ("From which budget line …" under
        // a question that asks for figures).
        if joined.needs_officer || shape_doubt(&part.text).is_some() {
            return u;
        }
        joined
            .notes
            .insert(0, "read together with the words of its question".into());
        joined
    }

    /// One question's own reading (and its period parts, if any).
    fn understand_text(&self, q: &SplitQuestion, received: Date, around: &str) -> Understanding {
        let mut qw = QuestionWords::new(&q.text);
        qw.context = words(&format!("{} {around}", q.preamble.as_deref().unwrap_or("")));
        self.mark_values(&mut qw);
        let own = resolve_periods(&q.text, received);
        let preamble = q
            .preamble
            .as_deref()
            .map(|p| resolve_periods(p, received))
            .unwrap_or_default();
        let period_parts: Option<Vec<(Vec<Period>, f32)>> = if q.parts.is_empty() {
            None
        } else {
            q.parts
                .iter()
                .map(|p| period_only(&p.text, received))
                .collect()
        };
        let mut notes = self.notes.clone();
        let used: &[PeriodMatch] = if !own.is_empty() {
            describe_periods(&own, "the question", &mut notes);
            &own
        } else if period_parts.is_none() && !preamble.is_empty() {
            describe_periods(&preamble, "the preamble", &mut notes);
            &preamble
        } else {
            &[]
        };
        let (periods, period_confidence) = if used.is_empty() {
            (Vec::new(), 1.0)
        } else {
            collect_periods(used)
        };
        let doubts = PeriodDoubts {
            bare: used
                .iter()
                .filter(|m| m.bare_years)
                .map(|m| m.words.clone())
                .collect(),
            mistyped: used
                .iter()
                .filter(|m| m.mistyped)
                .map(|m| m.words.clone())
                .collect(),
        };
        let has_periods = !periods.is_empty() || period_parts.is_some();
        let (readings, none) = self.rank(&qw, has_periods);
        let best = readings.first().filter(|r| r.confidence > none);
        let alternatives: Vec<(Ask, f32)> = readings
            .iter()
            .filter(|r| Some(&r.target) != best.map(|b| &b.target))
            .filter(|r| r.confidence >= MIN_ALTERNATIVE)
            .take(MAX_ALTERNATIVES)
            .filter_map(|r| Some((self.ask_for(&r.target, &qw, &periods)?, r.confidence)))
            .collect();
        let Some(best) = best else {
            notes.push(format!(
                "no indicator or topic fits these words well enough (best: {}); choose one",
                readings
                    .first()
                    .map(describe_target)
                    .unwrap_or_else(|| "nothing".into())
            ));
            return Understanding {
                ask: None,
                confidence: none,
                alternatives,
                notes,
                needs_officer: true,
                parts: Vec::new(),
            };
        };
        notes.push(format!(
            "read as {} ({}): {}",
            describe_target(best),
            percent(best.confidence),
            best.reasons.join("; ")
        ));
        let mut u = Understanding {
            ask: None,
            confidence: best.confidence,
            alternatives,
            notes,
            needs_officer: false,
            parts: Vec::new(),
        };
        match &best.target {
            Target::Topic(code) => {
                u.ask = Some(Ask::Statement {
                    topic: code.clone(),
                })
            }
            Target::Indicator(code) => match self.catalogue.indicator(code) {
                Ok(indicator) => self.figures(
                    &mut u,
                    &qw,
                    indicator,
                    periods,
                    period_confidence,
                    period_parts,
                    q,
                    &doubts,
                ),
                Err(e) => {
                    u.notes.push(e.to_string());
                    u.needs_officer = true;
                }
            },
        }
        if matches!(best.target, Target::Indicator(_)) && !u.needs_officer && qw.money && qw.things
        {
            u.notes.push(
                "it asks for two things, a number and an amount of money: answer each (split the question into parts with `lantern request correct`)".into(),
            );
            if let Some(ask) = u.ask.take() {
                u.alternatives.insert(0, (ask, u.confidence));
            }
            u.needs_officer = true;
        }
        if let Target::Indicator(code) = &best.target
            && !u.needs_officer
            && let Some(what) = self.unsplit(&qw, self.catalogue.indicator(code).ok())
        {
            u.notes.push(format!(
                "it asks about {what}, which the catalogue has no figures or breakdown for: choose what to answer (the group it falls in, say) or say it is not held"
            ));
            if let Some(ask) = u.ask.take() {
                u.alternatives.insert(0, (ask, u.confidence));
            }
            u.needs_officer = true;
        }
        if let Target::Indicator(code) = &best.target
            && !u.needs_officer
            && let Ok(indicator) = self.catalogue.indicator(code)
            && let Some(doubt) = shape_doubt(&q.text)
                .or_else(|| what_is_counted_doubt(&q.text, indicator))
                .or_else(|| rate_doubt(&q.text))
                .or_else(|| record_search_doubt(&q.text))
                .or_else(|| self.joined_values_doubt(&q.text, &u))
                .or_else(|| overlapping_doubt(&u, indicator))
        {
            to_officer(&mut u, doubt);
        }
        if !u.needs_officer
            && let Some(doubt) = another_service_doubt(&q.text)
        {
            to_officer(&mut u, doubt);
        }
        if !u.needs_officer
            && let Some(doubt) = wider_area_doubt(&q.text)
                .or_else(|| q.preamble.as_deref().and_then(wider_area_doubt))
        {
            to_officer(&mut u, doubt);
        }
        if u.confidence < MIN_CONFIDENCE && !u.needs_officer {
            u.notes.push(format!(
                "not sure enough ({} is under {}): check the reading and the alternatives",
                percent(u.confidence),
                percent(MIN_CONFIDENCE)
            ));
            if let Some(ask) = u.ask.take() {
                u.alternatives.insert(0, (ask, u.confidence));
            }
            for part in &mut u.parts {
                part.needs_officer = true;
                if let Some(ask) = part.ask.take() {
                    part.alternatives.insert(0, (ask, part.confidence));
                }
            }
            u.needs_officer = true;
        }
        u
    }

    /// Why filters of two dimensions joined by "and" or "or" ("heroin and
    /// crack users") are doubtful, or none: people using both, or either, is
    /// the requester's meaning to find out, not Lantern's to guess.
    fn joined_values_doubt(&self, text: &str, u: &Understanding) -> Option<String> {
        let f = figures_of(u)?;
        if f.filter.0.len() < 2 {
            return None;
        }
        let lower = text.to_lowercase();
        let spots: Vec<(usize, usize, &str)> = f
            .filter
            .0
            .iter()
            .flat_map(|(dim, value)| {
                self.catalogue
                    .dimensions()
                    .filter(move |d| d.code == *dim)
                    .flat_map(|d| d.values.iter())
                    .filter(move |v| v.code == *value)
                    .flat_map(|v| std::iter::once(&v.label).chain(&v.aliases))
                    .filter(|phrase| phrase.trim().chars().count() >= 3)
                    .filter_map(|phrase| {
                        let p = phrase.to_lowercase();
                        let boundary = |i: usize| {
                            lower[..i]
                                .chars()
                                .next_back()
                                .is_none_or(|c| !c.is_alphanumeric())
                        };
                        lower
                            .match_indices(&p)
                            .map(|(at, _)| at)
                            .find(|&at| {
                                boundary(at)
                                    && lower[at + p.len()..]
                                        .chars()
                                        .next()
                                        .is_none_or(|c| !c.is_alphanumeric())
                            })
                            .map(|at| (at, at + p.len(), dim.as_str()))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for a in &spots {
            for b in &spots {
                if a.2 == b.2 || a.1 > b.0 {
                    continue;
                }
                let between = lower[a.1..b.0].trim();
                if matches!(between, "and" | "or" | "&" | "/" | "and/or") {
                    return Some(format!(
                        "“{}” joins two filters with “{between}”: people who are both, or either? choose",
                        &text[a.0..b.1]
                    ));
                }
            }
        }
        None
    }

    /// Mark the words that name a dimension value (any dimension's).
    fn mark_values(&self, q: &mut QuestionWords) {
        let anywhere = |_: usize| true;
        let mut marked = vec![false; q.words.len()];
        for v in &self.values {
            if let Some(positions) = find_phrase(&q.words, &v.phrase.words, &anywhere) {
                for p in positions {
                    marked[p] = true;
                }
            }
        }
        for (w, m) in q.words.iter_mut().zip(marked) {
            w.value = m;
        }
    }

    /// Something the question narrows the figures by that the catalogue
    /// cannot split them by (cannabis, under-18s, employment, …): answering
    /// without it would answer another question.
    ///
    /// A word counts only where the reading has not used it: as part of a
    /// catalogue value it matched, or as a breakdown it names after "by"
    /// ("by ethnicity"). A word the catalogue merely contains elsewhere
    /// ("disability" in a dimension's title) does not make "people with a
    /// learning disability" answerable as everyone.
    fn unsplit(&self, q: &QuestionWords, indicator: Option<&Indicator>) -> Option<&'static str> {
        let mut breakdown = vec![false; q.words.len()];
        if let Some(indicator) = indicator {
            for (i, w) in q.words.iter().enumerate() {
                if w.lower != "by" || w.negated {
                    continue;
                }
                for (j, next) in q.words.iter().enumerate().skip(i + 1).take(6) {
                    if next.stop {
                        continue;
                    }
                    if self.dimension_named(&next.stem, indicator).is_none() {
                        break;
                    }
                    breakdown[j] = true;
                }
            }
        }
        let usable = |i: usize| {
            q.words
                .get(i)
                .is_some_and(|w| !w.negated && !w.value && !breakdown[i])
        };
        self.not_split
            .iter()
            .find(|(phrase, _)| find_phrase(&q.words, &phrase.words, &usable).is_some())
            .map(|(_, what)| *what)
    }

    /// Fill in a figures reading: the ask itself, or a heading whose parts
    /// give the periods, or a question left for the officer with no period.
    #[allow(clippy::too_many_arguments)]
    fn figures(
        &self,
        u: &mut Understanding,
        qw: &QuestionWords,
        indicator: &Indicator,
        periods: Vec<Period>,
        period_confidence: f32,
        period_parts: Option<Vec<(Vec<Period>, f32)>>,
        q: &SplitQuestion,
        doubts: &PeriodDoubts,
    ) {
        let ask = self.figure_ask(qw, indicator, &mut u.notes);
        let bare_parts: Vec<String> = period_parts
            .iter()
            .flatten()
            .zip(&q.parts)
            .filter(|((_, c), _)| *c == BARE_YEAR_CONFIDENCE)
            .map(|(_, part)| part.text.clone())
            .collect();
        let bare: Vec<&String> = doubts.bare.iter().chain(&bare_parts).collect();
        let doubt = if !doubts.mistyped.is_empty() {
            Some(format!(
                "the periods include {}, which looks mistyped: check with the requester or enter the periods meant",
                doubts
                    .mistyped
                    .iter()
                    .map(|w| format!("“{w}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if let Some((a, b)) = overlapping_pair(&periods) {
            Some(format!(
                "the periods overlap ({} and {}): choose the periods to answer",
                a.describe(),
                b.describe()
            ))
        } else if let Some(span) = periods
            .iter()
            .find(|p| is_misaligned_span(p, counted_by_financial_year(indicator)))
        {
            Some(format!(
                "the question asks for one figure over {}, several years that do not line up with the years '{}' is counted in: choose the years to answer",
                span.describe(),
                indicator.code
            ))
        } else if !bare.is_empty() && counted_by_financial_year(indicator) {
            Some(format!(
                "the years are written bare ({}) but '{}' is counted by financial year: choose calendar years or the financial years meant",
                bare.iter()
                    .map(|w| format!("“{w}”"))
                    .collect::<Vec<_>>()
                    .join(", "),
                indicator.code
            ))
        } else {
            None
        };
        if let Some(doubt) = doubt {
            u.notes.push(doubt);
            u.needs_officer = true;
        }
        if !indicator.held_by_council {
            let holders: Vec<&str> = indicator
                .other_holders
                .iter()
                .map(|h| h.body.as_str())
                .collect();
            u.notes.push(format!(
                "the council does not hold '{}' (held_by_council = false): the answer will say not held, with section 16 advice{}",
                indicator.code,
                if holders.is_empty() {
                    String::new()
                } else {
                    format!(" naming {}", holders.join(", "))
                }
            ));
        }
        if let Some(parts) = period_parts {
            u.notes
                .push("a heading: each part gives the periods".into());
            u.parts = parts
                .into_iter()
                .zip(&q.parts)
                .map(|((periods, confidence), part)| Understanding {
                    ask: Some(Ask::Figures(FigureAsk {
                        periods: periods.clone(),
                        ..ask.clone()
                    })),
                    confidence: u.confidence * period_factor(confidence),
                    alternatives: Vec::new(),
                    notes: vec![format!(
                        "{} from the part's words “{}”",
                        periods
                            .iter()
                            .map(Period::describe)
                            .collect::<Vec<_>>()
                            .join(", "),
                        part.text
                    )],
                    needs_officer: u.needs_officer,
                    parts: Vec::new(),
                })
                .collect();
            return;
        }
        u.confidence *= period_factor(period_confidence);
        let ask = FigureAsk { periods, ..ask };
        if u.needs_officer {
            u.alternatives.insert(0, (Ask::Figures(ask), u.confidence));
            return;
        }
        if ask.periods.is_empty() {
            u.notes.push(
                "no period found in the question or a preamble: add the periods asked about".into(),
            );
            u.alternatives.insert(0, (Ask::Figures(ask), u.confidence));
            u.needs_officer = true;
            return;
        }
        u.ask = Some(Ask::Figures(ask));
    }
}

/// Leave a reading to the officer, with why: the ask (and each part's)
/// becomes the first alternative.
pub(super) fn to_officer(u: &mut Understanding, why: String) {
    u.notes.push(why);
    if let Some(ask) = u.ask.take() {
        u.alternatives.insert(0, (ask, u.confidence));
    }
    for part in &mut u.parts {
        part.needs_officer = true;
        if let Some(ask) = part.ask.take() {
            part.alternatives.insert(0, (ask, part.confidence));
        }
    }
    u.needs_officer = true;
}

/// The words of a text, lower case, split at anything but letters, digits,
/// hyphens and apostrophes.
fn plain_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Why a question's shape does not ask for figures, or none: its first
/// sentence is a yes/no question ("Is the budget held within …?", "Do you
/// have a preferred provider …?") or asks which, who, why or where ("From
/// which budget line …"). Such questions go to statement topics or the
/// officer, never to a figures reading.
pub(super) fn shape_doubt(text: &str) -> Option<String> {
    let first = super::split::sentences(text.trim())
        .into_iter()
        .next()
        .unwrap_or("");
    let words = plain_words(first);
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let aux = |i: usize| {
        matches!(
            w(i),
            "is" | "are" | "was" | "were" | "does" | "did" | "has" | "have" | "had"
        ) || (w(i) == "do"
            && w(i + 1) == "you"
            && w(i + 2) == "have"
            && matches!(w(i + 3), "a" | "an" | "any"))
    };
    // "In a situation where …, do you have a preferred provider?": the
    // clause after the last comma asks.
    let clause = first
        .rfind(',')
        .map(|at| plain_words(&first[at + 1..]).len())
        .map_or(0, |n| words.len().saturating_sub(n));
    let yes_no = aux(0) || (clause > 0 && aux(clause));
    let which = matches!(w(0), "which" | "who" | "why" | "where")
        || (matches!(w(0), "from" | "in" | "to" | "under") && matches!(w(1), "which" | "what"));
    if yes_no && first.trim_end().ends_with('?') {
        return Some(
            "it is a yes/no question, not a request for figures: answer it in words (a statement topic) or choose figures".into(),
        );
    }
    if which {
        return Some(format!(
            "it asks “{}”, not for a number or an amount: answer it in words or choose figures",
            words.iter().take(2).cloned().collect::<Vec<_>>().join(" ")
        ));
    }
    // "How the remaining amount has been allocated", "a record of how the
    // money was spent": it asks how something is done, not how much.
    let explains = words.iter().enumerate().any(|(i, x)| {
        x == "how"
            && !matches!(
                w(i + 1),
                "much" | "many" | "often" | "long" | "far" | "old" | "frequently"
            )
            && (i == 0
                || matches!(
                    w(i - 1),
                    "of" | "explain"
                        | "describe"
                        | "detail"
                        | "details"
                        | "outline"
                        | "show"
                        | "shows"
                        | "me"
                        | "on"
                        | "about"
                        | "exactly"
                ))
    });
    if explains {
        return Some(
            "it asks how something is done, not for a number or an amount: answer it in words or choose figures".into(),
        );
    }
    None
}

/// Words that ask for a rate, a share or an average rather than a total.
const RATE_WORDS: &[&[&str]] = &[
    &["weekly"],
    &["daily"],
    &["monthly"],
    &["per", "week"],
    &["per", "day"],
    &["per", "month"],
    &["a", "week"],
    &["each", "week"],
    &["per", "person"],
    &["per", "head"],
    &["per", "client"],
    &["per", "patient"],
    &["each", "individual"],
    &["average"],
    &["percentage"],
    &["proportion"],
];

/// Why a figures reading may answer something else because the question
/// asks for a rate (per week, per person), a share or an average, or none:
/// the catalogue holds totals for a year (or the period asked), and a rate
/// is the officer's to work out or refuse.
pub(super) fn rate_doubt(text: &str) -> Option<String> {
    let words = plain_words(text);
    let found = RATE_WORDS
        .iter()
        .find(|phrase| words.windows(phrase.len()).any(|w| w == **phrase))?;
    Some(format!(
        "it asks for a rate, a share or an average (“{}”), not the totals the catalogue holds: work it out, or choose what to answer",
        found.join(" ")
    ))
}

/// Words that say the count is of records found by searching them: a word
/// in a free-text field, or a diagnosis or classification code.
const RECORD_SEARCH_WORDS: &[&[&str]] = &[
    &["where", "the", "word"],
    &["containing", "the", "word"],
    &["containing", "the", "words"],
    &["free-text"],
    &["free", "text"],
    &["diagnosed", "as"],
    &["diagnosis", "code"],
    &["diagnosis", "field"],
    &["coded", "as"],
    &["classification", "system"],
    &["snomed"],
    &["read", "code"],
    &["read", "codes"],
];

/// Why a figures reading may count something else because the question
/// counts records found by a word search or a diagnosis code ("where the
/// word 'cocaine' appears in the free-text diagnosis field", "diagnosed as
/// F14 under the ICD-10 classification system"), or none: such a count is
/// narrower than any indicator (one substance, one code) and depends on how
/// the holder records it, so it is the officer's to answer or refuse.
pub(super) fn record_search_doubt(text: &str) -> Option<String> {
    let words = plain_words(text);
    let found = RECORD_SEARCH_WORDS
        .iter()
        .find(|phrase| words.windows(phrase.len()).any(|w| w == **phrase))?;
    Some(format!(
        "it counts records found by a word or a code (“{}”), narrower than the catalogue's figures: choose what to answer, or say it is not held",
        found.join(" ")
    ))
}

/// The figures a reading asks for: its own, or (for a heading whose parts
/// give the periods) its first part's.
fn figures_of(u: &Understanding) -> Option<&FigureAsk> {
    std::iter::once(&u.ask)
        .chain(u.parts.iter().map(|p| &p.ask))
        .find_map(|a| match a {
            Some(Ask::Figures(f)) => Some(f),
            _ => None,
        })
}

/// Why a count of people narrowed or split by setting, intervention or
/// funding is doubtful, or none: one person may count under several values
/// of these, so such figures are the officer's to choose.
fn overlapping_doubt(u: &Understanding, indicator: &Indicator) -> Option<String> {
    let f = figures_of(u)?;
    if !indicator.counts_people {
        return None;
    }
    let dims: Vec<&str> = f
        .filter
        .0
        .keys()
        .chain(&f.breakdown)
        .map(String::as_str)
        .filter(|d| crate::records::count::OVERLAPPING.contains(d))
        .collect();
    let dim = dims.first()?;
    Some(format!(
        "it counts people by {dim}, and one person may count under several {dim} values: choose what to answer"
    ))
}

/// Words naming another service's people doing the work asked about.
const OTHER_SERVICES: &[&str] = &[
    "police",
    "officers",
    "constables",
    "pcsos",
    "custody",
    "arrestees",
    "paramedics",
    "ambulance",
    "crews",
    "clinicians",
];

/// Why a question may be about another service's work (police officers
/// carrying naloxone, ambulance crews giving it), or none: a reading of the
/// council's treatment figures or statements would answer something else.
pub(super) fn another_service_doubt(text: &str) -> Option<String> {
    let words = plain_words(text);
    let who = OTHER_SERVICES
        .iter()
        .find(|w| words.iter().any(|x| x == *w))?;
    Some(format!(
        "it is about the work of another service (“{who}”), not the council's treatment services: say who holds it, or choose what to answer"
    ))
}

/// Places wider than one council's area: the whole country or a nation of
/// it. Lantern answers for the council's own area only.
const WIDER_AREAS: &[&[&str]] = &[
    &["the", "uk"],
    &["uk"],
    &["the", "united", "kingdom"],
    &["united", "kingdom"],
    &["great", "britain"],
    &["britain"],
    &["england", "and", "wales"],
    &["england"],
    &["wales"],
    &["scotland"],
    &["northern", "ireland"],
    &["the", "country"],
    &["the", "whole", "country"],
];

/// Words before a place that make it the area the figures cover ("in the
/// UK", "across England", "for Scotland").
const AREA_PREPOSITIONS: &[&str] = &["in", "across", "throughout", "for", "within", "over"];

/// Words after a place name that make it part of a body's name ("in NHS
/// England" never reaches here; "in England's prisons" does not count).
const BODY_WORDS: &[&str] = &[
    "nhs",
    "trust",
    "government",
    "police",
    "ambulance",
    "service",
    "executive",
    "office",
];

/// Breakdowns over many councils' areas ("by county", "separated by
/// London's boroughs", "for each local authority").
const AREA_BREAKDOWNS: &[&[&str]] = &[
    &["by", "county"],
    &["by", "counties"],
    &["by", "region"],
    &["by", "regions"],
    &["by", "local", "authority"],
    &["by", "local", "authorities"],
    &["by", "council", "area"],
    &["by", "council", "areas"],
    &["each", "local", "authority"],
    &["every", "local", "authority"],
    &["all", "local", "authorities"],
    &["per", "local", "authority"],
    &["by", "borough"],
    &["by", "boroughs"],
    &["london's", "boroughs"],
    &["each", "region"],
    &["each", "county"],
];

/// Why a question may be about figures for a wider area than the council's
/// (the whole country, a nation, every local authority), or none: the
/// council's own figures would answer another question, so the officer
/// says who holds them or chooses what to answer. "Nationally" and
/// "nationwide" count too.
pub(super) fn wider_area_doubt(text: &str) -> Option<String> {
    let words = plain_words(text);
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let mut found: Option<String> = None;
    for (i, x) in words.iter().enumerate() {
        if matches!(x.as_str(), "nationally" | "nationwide" | "countrywide") {
            found = Some(x.clone());
            break;
        }
        if !AREA_PREPOSITIONS.contains(&x.as_str()) {
            continue;
        }
        if let Some(area) = WIDER_AREAS.iter().find(|area| {
            area.iter().enumerate().all(|(k, a)| w(i + 1 + k) == *a)
                && !BODY_WORDS.contains(&w(i + 1 + area.len()))
        }) {
            found = Some(format!("{x} {}", area.join(" ")));
            break;
        }
    }
    if found.is_none() {
        found = AREA_BREAKDOWNS
            .iter()
            .find(|phrase| words.windows(phrase.len()).any(|win| win == **phrase))
            .map(|phrase| phrase.join(" "));
    }
    let found = found?;
    Some(format!(
        "it asks about a wider area than the council's (“{found}”): the council holds its own area's figures; say who holds these, or choose what to answer"
    ))
}

/// Words that introduce what a question counts.
const COUNT_CUES: &[[&str; 2]] = &[
    ["how", "many"],
    ["number", "of"],
    ["numbers", "of"],
    ["count", "of"],
    ["statistics", "for"],
    ["statistics", "on"],
    ["figures", "for"],
];

/// What happens after an offence is recorded (charges, cautions, court
/// outcomes): police-recorded offences do not count these.
const OUTCOME_WORDS: &[&str] = &[
    "convicted",
    "conviction",
    "convictions",
    "charged",
    "cautioned",
    "sentenced",
    "prosecuted",
    "prosecutions",
    "summonsed",
];

/// Things requesters count, each with the units of the indicators that
/// count them; a thing with no unit is counted by no indicator.
const COUNTED_THINGS: &[(&str, &[Unit])] = &[
    (
        "people",
        &[
            Unit::People,
            Unit::Placements,
            Unit::Deaths,
            Unit::Episodes,
            Unit::Attendances,
            Unit::Offences,
        ],
    ),
    ("persons", &[Unit::People, Unit::Placements]),
    (
        "individuals",
        &[Unit::People, Unit::Placements, Unit::Episodes],
    ),
    ("clients", &[Unit::People, Unit::Placements, Unit::Episodes]),
    ("users", &[Unit::People]),
    ("adults", &[Unit::People, Unit::Placements, Unit::Episodes]),
    ("patients", &[Unit::People, Unit::Placements]),
    ("residents", &[Unit::People]),
    ("men", &[Unit::People]),
    ("women", &[Unit::People]),
    ("placements", &[Unit::Placements]),
    ("kits", &[Unit::Kits]),
    ("deaths", &[Unit::Deaths]),
    ("attendances", &[Unit::Attendances]),
    ("presentations", &[Unit::People, Unit::Attendances]),
    ("offences", &[Unit::Offences]),
    ("arrests", &[Unit::Offences]),
    ("seizures", &[Unit::Offences]),
    ("exits", &[Unit::Episodes, Unit::People]),
    ("discharges", &[Unit::Episodes, Unit::People]),
    ("completions", &[Unit::People, Unit::Episodes]),
    ("investigations", &[]),
    ("referrals", &[]),
    ("beds", &[]),
    ("incidents", &[]),
    ("tests", &[]),
    ("calls", &[]),
    ("callouts", &[]),
    ("call-outs", &[]),
    ("times", &[]),
    ("cases", &[]),
    ("reports", &[]),
    ("items", &[]),
    ("officers", &[]),
    ("staff", &[]),
    ("employees", &[]),
    ("attacks", &[]),
    ("facilities", &[]),
    ("services", &[]),
    ("organisations", &[]),
    ("providers", &[]),
    ("doses", &[]),
    ("prescriptions", &[]),
    ("admissions", &[Unit::Placements]),
    ("hours", &[]),
    ("instances", &[]),
    ("contracts", &[]),
    ("applications", &[]),
    ("requests", &[]),
    ("refusals", &[]),
    ("conferences", &[]),
    ("plans", &[]),
    ("assessments", &[]),
    ("appointments", &[]),
    ("packs", &[]),
    ("needles", &[]),
    ("syringes", &[]),
    ("overdoses", &[]),
    ("collisions", &[]),
];

/// Words that may stand in the thing money is spent on, for the catalogue's
/// spend and budget (drug and alcohol treatment services of any kind).
const TREATMENT_WORDS: &[&str] = &[
    "drug",
    "drugs",
    "alcohol",
    "and",
    "or",
    "treatment",
    "treatments",
    "treating",
    "service",
    "services",
    "substance",
    "misuse",
    "addiction",
    "addictions",
    "community",
    "residential",
    "rehabilitation",
    "rehab",
    "rehabs",
    "detox",
    "detoxification",
    "inpatient",
    "in-patient",
    "tier",
    "support",
    "recovery",
    "the",
    "a",
    "an",
    "adult",
    "adults",
    "structured",
    "illicit",
    "dependency",
    "dependence",
    "use",
    "your",
    "its",
    "their",
    "all",
    "total",
    "placements",
    "specialist",
    "integrated",
    "provision",
    "programmes",
    "programme",
];

/// Words that make "how much" a question about money.
const HOW_MUCH_MONEY: &[&str] = &[
    "funding",
    "money",
    "spent",
    "spend",
    "spending",
    "cost",
    "costs",
    "budget",
    "paid",
    "invested",
    "investment",
    "expenditure",
    "£",
];

/// Words that open the thing money is spent on.
const MONEY_CUES: &[[&str; 2]] = &[
    ["spent", "on"],
    ["spend", "on"],
    ["spending", "on"],
    ["expenditure", "on"],
    ["cost", "of"],
    ["costs", "of"],
    ["invested", "in"],
    ["investment", "in"],
];

/// Why a figures reading may count something other than what the question
/// asks (the head of the question), or none: the thing counted after "how
/// many" or "number of" is one the indicator does not count ("investigations
/// into drug-related deaths", "beds commissioned"); the money is for
/// something the catalogue's spend does not single out ("the cost of ORT",
/// "spent on prevention"), or for alcohol alone; or a cause narrows it ("due
/// to violence").
pub(super) fn what_is_counted_doubt(text: &str, indicator: &Indicator) -> Option<String> {
    let words = plain_words(text);
    let after = |cues: &[[&str; 2]]| {
        words
            .windows(2)
            .position(|w| cues.iter().any(|c| w[0] == c[0] && w[1] == c[1]))
            .map(|i| i + 2)
    };
    if indicator.unit == Unit::Gbp {
        if let Some(start) = after(MONEY_CUES) {
            let object: Vec<&str> = words[start..]
                .iter()
                .map(String::as_str)
                .take_while(|w| {
                    !matches!(
                        *w,
                        "in" | "for"
                            | "over"
                            | "during"
                            | "from"
                            | "between"
                            | "since"
                            | "by"
                            | "each"
                            | "per"
                            | "across"
                            | "within"
                            | "to"
                    ) && !w.starts_with(|c: char| c.is_ascii_digit())
                })
                .collect();
            if let Some(other) = object.iter().find(|w| !TREATMENT_WORDS.contains(w)) {
                return Some(format!(
                    "the money asked about is for “{}” (“{other}”), which '{}' does not single out: choose what to answer or say it is not held",
                    object.join(" "),
                    indicator.code
                ));
            }
        }
        let mentions = |w: &str| words.iter().any(|x| x == w);
        if mentions("alcohol") && !(mentions("drug") || mentions("drugs") || mentions("substance"))
        {
            return Some(format!(
                "it asks about alcohol alone, and '{}' is not split by substance: choose what to answer",
                indicator.code
            ));
        }
    } else if words.windows(2).any(|w| w[0] == "how" && w[1] == "much")
        && words.iter().any(|w| HOW_MUCH_MONEY.contains(&w.as_str()))
    {
        return Some(format!(
            "it asks how much money, and '{}' is not an amount of money: choose what to answer",
            indicator.code
        ));
    } else if let Some(start) = after(COUNT_CUES) {
        let thing = words[start..]
            .iter()
            .take(8)
            .find_map(|w| COUNTED_THINGS.iter().find(|(t, _)| t == w));
        if let Some((thing, units)) = thing
            && !units.contains(&indicator.unit)
        {
            return Some(format!(
                "what is counted is “{thing}”, which '{}' does not count: choose what to answer or say it is not held",
                indicator.code
            ));
        }
    }
    if indicator.unit == Unit::Offences
        && let Some(outcome) = words.iter().find(|w| OUTCOME_WORDS.contains(&w.as_str()))
    {
        return Some(format!(
            "it asks about what happened after the offence (“{outcome}”), which '{}' does not count: choose what to answer or say it is not held",
            indicator.code
        ));
    }
    if text.to_lowercase().contains(" due to ") {
        return Some(format!(
            "a cause (“due to …”) narrows what is counted, and '{}' is not split by cause: choose what to answer",
            indicator.code
        ));
    }
    None
}

/// What makes the periods read from a question doubtful.
pub(super) struct PeriodDoubts {
    /// Words of years written bare.
    bare: Vec<String>,
    /// Words that look like mistyped years.
    mistyped: Vec<String>,
}

/// Two periods asked for that share days ("2020/21" and "2021 to
/// present"), if any.
fn overlapping_pair(periods: &[Period]) -> Option<(&Period, &Period)> {
    periods.iter().enumerate().find_map(|(i, a)| {
        periods[i + 1..]
            .iter()
            .find(|b| a.first_day() <= b.last_day() && b.first_day() <= a.last_day())
            .map(|b| (a, b))
    })
}

/// A span of more than a year that does not start and end with the years
/// the figures are counted in (1 April to 31 March, or 1 January to 31
/// December).
fn is_misaligned_span(period: &Period, financial: bool) -> bool {
    let Period::Range { first, last } = *period else {
        return false;
    };
    let long = (last - first).get_days() > 370;
    let (month_first, month_last) = if financial { (4, 3) } else { (1, 12) };
    let aligned = first.day() == 1
        && first.month() == month_first
        && last.month() == month_last
        && last.day() == last.days_in_month();
    long && !aligned
}

/// Whether an indicator's figures are held by financial year: money, and
/// counts of treatment, placements and kits (councils and NDTMS count by
/// financial year). Deaths registered, A&E attendances and recorded offences
/// are published by calendar year.
pub(super) fn counted_by_financial_year(indicator: &Indicator) -> bool {
    indicator.release.is_some()
        || matches!(
            indicator.unit,
            Unit::Gbp | Unit::People | Unit::Placements | Unit::Kits | Unit::Episodes
        )
}

pub(super) fn claim(claimed: &mut [bool], positions: &[usize]) {
    for &p in positions {
        if let Some(c) = claimed.get_mut(p) {
            *c = true;
        }
    }
}

pub(super) fn period_factor(confidence: f32) -> f32 {
    0.75 + 0.25 * confidence.clamp(0.0, 1.0)
}

pub(super) fn percent(confidence: f32) -> String {
    format!("{:.0}%", confidence * 100.0)
}

pub(super) fn describe_target(r: &Reading) -> String {
    match &r.target {
        Target::Indicator(code) => format!("figures of '{code}'"),
        Target::Topic(code) => format!("the statement topic '{code}'"),
    }
}

pub(super) fn describe_periods(matches: &[PeriodMatch], source: &str, notes: &mut Vec<String>) {
    for m in matches {
        notes.push(format!(
            "periods {} from “{}” in {source} ({})",
            m.periods
                .iter()
                .map(Period::describe)
                .collect::<Vec<_>>()
                .join(", "),
            m.words,
            m.reading
        ));
    }
}

pub(super) fn candidate(
    target: Target,
    phrases: Vec<Phrase>,
    opening: Option<String>,
) -> Candidate {
    let mut phrases = phrases;
    phrases.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
    let vocabulary = phrases
        .iter()
        .flat_map(|p| p.content())
        .map(|w| w.stem.clone())
        .collect();
    Candidate {
        target,
        phrases,
        vocabulary,
        opening,
        learned: Vec::new(),
        subject: Vec::new(),
    }
}

pub(super) fn indicator_candidate(i: &Indicator) -> Candidate {
    let mut phrases: Vec<Phrase> = i.synonyms.iter().filter_map(|s| Phrase::new(s)).collect();
    let title_known = phrases
        .iter()
        .any(|p| p.text.eq_ignore_ascii_case(&i.title));
    if !title_known {
        phrases.extend(Phrase::new(&i.title));
    }
    candidate(Target::Indicator(i.code.clone()), phrases, None)
}

pub(super) fn topic_candidate(t: &Topic) -> Candidate {
    let mut phrases: Vec<Phrase> = t.phrases.iter().filter_map(|p| Phrase::new(p)).collect();
    phrases.extend(Phrase::new(&t.question));
    let opening = words(&t.question)
        .first()
        .map(|w| w.lower.clone())
        .filter(|w| listed(INTERROGATIVES, w));
    let mut c = candidate(Target::Topic(t.code.clone()), phrases, opening);
    c.subject = t.subject.iter().filter_map(|p| Phrase::new(p)).collect();
    c
}

/// Labels and aliases of every dimension value (aliases under three letters,
/// such as `m` and `f`, are too easily found by accident and are left out).
pub(super) fn value_phrases(catalogue: &Catalogue) -> Vec<ValuePhrase> {
    let mut out: Vec<ValuePhrase> = Vec::new();
    for d in catalogue.dimensions() {
        for v in &d.values {
            let texts = std::iter::once(&v.label).chain(&v.aliases);
            for text in texts.filter(|t| t.trim().chars().count() >= 3) {
                if let Some(phrase) = Phrase::new(text) {
                    out.push(ValuePhrase {
                        dimension: d.code.clone(),
                        value: v.code.clone(),
                        phrase,
                        learned: false,
                    });
                }
            }
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.phrase.words.len()));
    out
}

/// What requesters narrow figures by that the NDTMS adult data (and the
/// shipped catalogue) do not split out, as (words, what it is).
pub(super) const NOT_SPLIT: &[(&str, &str)] = &[
    ("cannabis", "cannabis"),
    ("marijuana", "cannabis"),
    ("ketamine", "ketamine"),
    ("benzodiazepines", "benzodiazepines"),
    ("benzos", "benzodiazepines"),
    ("spice", "spice (synthetic cannabinoids)"),
    ("cannabinoids", "synthetic cannabinoids"),
    ("amphetamines", "amphetamines"),
    ("methamphetamine", "methamphetamine"),
    ("ecstasy", "ecstasy"),
    ("mdma", "ecstasy (MDMA)"),
    ("mephedrone", "mephedrone"),
    ("pregabalin", "pregabalin"),
    ("gabapentin", "gabapentin"),
    ("gabapentinoids", "gabapentinoids"),
    ("nitrous oxide", "nitrous oxide"),
    ("solvents", "solvents"),
    ("lsd", "LSD"),
    ("hallucinogens", "hallucinogens"),
    ("steroids", "steroids"),
    ("xylazine", "xylazine"),
    ("nitazenes", "nitazenes"),
    ("fentanyl", "fentanyl"),
    (
        "under 18",
        "people under 18 (young people's treatment is counted apart from adults')",
    ),
    (
        "under 18s",
        "people under 18 (young people's treatment is counted apart from adults')",
    ),
    (
        "young people",
        "young people (their treatment is counted apart from adults')",
    ),
    (
        "children",
        "children (their treatment is counted apart from adults')",
    ),
    (
        "teenagers",
        "teenagers (their treatment is counted apart from adults')",
    ),
    (
        "adolescents",
        "adolescents (their treatment is counted apart from adults')",
    ),
    ("employment", "employment"),
    ("employed", "employment"),
    ("unemployed", "employment"),
    ("homeless", "housing"),
    ("homelessness", "housing"),
    ("housing", "housing"),
    ("pregnant", "pregnancy"),
    ("pregnancy", "pregnancy"),
    ("ethnicity", "ethnicity"),
    ("ethnic", "ethnicity"),
    ("veterans", "veterans"),
    ("armed forces", "veterans"),
    ("prison", "prison"),
    ("mental health", "mental health"),
    ("disability", "disability"),
    ("disabled", "disability"),
    ("ward", "areas smaller than the council's"),
    ("postcode", "areas smaller than the council's"),
    ("waiting time", "waiting times"),
    ("waiting times", "waiting times"),
    ("referral source", "where referrals came from"),
    (
        "prescribed medication",
        "prescribed medicines (records do not say how a drug was obtained)",
    ),
    (
        "prescribed medicines",
        "prescribed medicines (records do not say how a drug was obtained)",
    ),
    (
        "prescribed drugs",
        "prescribed medicines (records do not say how a drug was obtained)",
    ),
    (
        "prescription drugs",
        "prescribed medicines (records do not say how a drug was obtained)",
    ),
];

/// [`NOT_SPLIT`] as phrases. What the catalogue can split by is found in
/// the question itself (a value matched, or a breakdown after "by": a
/// council that adds an `ethnicity` dimension answers by ethnicity), not by
/// the catalogue merely containing the word ([`Model::unsplit`]).
pub(super) fn not_split(_catalogue: &Catalogue) -> Vec<(Phrase, &'static str)> {
    NOT_SPLIT
        .iter()
        .filter_map(|(text, what)| Some((Phrase::new(text)?, *what)))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::catalogue::shipped;
    use crate::period::Period;
    use crate::request::Ask;
    use crate::understand::tests::*;
    use crate::understand::*;

    #[test]
    fn a_dated_statement_question_stays_a_statement() {
        let u = understand(
            &question(
                "Are there any concrete plans to repurchase Naloxone in the next financial year (between 1st April 2017 and 31st March 2018)?",
            ),
            day(2017, 4, 18),
            &shipped(),
            &[],
        );
        assert_eq!(
            u.ask,
            Some(Ask::Statement {
                topic: "naloxone.repurchase_plans".into()
            })
        );
    }

    // Understanding.

    #[test]
    fn opioid_deaths_are_ons_figures_the_council_does_not_hold() {
        let u = understand(
            &question("How many drug-related deaths registered in 2016 mentioned an opioid?"),
            day(2017, 4, 18),
            &shipped(),
            &[],
        );
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "drug_poisoning_deaths");
        assert_eq!(a.filter.get("drug_mentioned"), Some("any_opioid"));
        assert_eq!(a.periods, [Period::CalendarYear(2016)]);
        assert!(u.notes.iter().any(|n| n.contains("section 16")), "{u:#?}");
    }

    #[test]
    fn breakdowns_by_age_and_substance() {
        let u = understand(
            &question("How many people were in treatment in 2018/19, by age and by substance?"),
            day(2019, 10, 1),
            &shipped(),
            &[],
        );
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.breakdown, ["age_band", "substance_group"]);
    }

    #[test]
    fn how_much_asks_for_money_and_the_service_is_a_filter() {
        let u = understand(
            &question("How much did the council spend on residential rehab in 2019/20?"),
            day(2021, 5, 20),
            &shipped(),
            &[],
        );
        let Some(Ask::Figures(a)) = &u.ask else {
            panic!("{u:#?}")
        };
        assert_eq!(a.indicator, "spend");
        assert_eq!(a.filter.get("service"), Some("residential_rehab"));
    }

    #[test]
    fn naloxone_purchased_and_dispensed_are_different_indicators() {
        let catalogue = shipped();
        let received = day(2017, 4, 18);
        let indicator =
            |text: &str| match understand(&question(text), received, &catalogue, &[]).ask {
                Some(Ask::Figures(a)) => a.indicator,
                other => panic!("{text}: {other:?}"),
            };
        assert_eq!(
            indicator("How many Naloxone kits were purchased in 2016/17?"),
            "naloxone_kits_purchased"
        );
        assert_eq!(
            indicator("How many naloxone kits were dispensed in the community in 2016/17?"),
            "naloxone_kits_issued"
        );
    }

    #[test]
    fn nothing_fits_so_the_officer_decides() {
        let u = understand(
            &question("How many parking permits did you issue in 2018/19?"),
            day(2019, 6, 10),
            &shipped(),
            &[],
        );
        assert_eq!(u.ask, None);
        assert!(u.needs_officer);
        assert!(u.notes.iter().any(|n| n.contains("choose one")), "{u:#?}");
    }

    #[test]
    fn what_the_catalogue_cannot_split_out_is_left_for_the_officer() {
        let catalogue = shipped();
        let u = understand(
            &question("How many people aged under 25 were in treatment for cannabis in 2022/23?"),
            day(2023, 9, 4),
            &catalogue,
            &[],
        );
        assert!(u.needs_officer, "{u:#?}");
        assert_eq!(u.ask, None);
        assert!(
            u.notes.iter().any(|n| n.contains("cannabis")),
            "{:?}",
            u.notes
        );
        assert!(
            matches!(u.alternatives.first(), Some((Ask::Figures(f), _)) if f.indicator == "people_in_treatment"),
            "the reading stays as the first alternative"
        );
        for text in [
            "How many under 18s were in drug treatment in 2022/23?",
            "How many pregnant women were in treatment in 2022/23?",
            "How many homeless people were in treatment in 2022/23?",
            // The parental status dimension says "child", never "children":
            // children in treatment are still left to the officer.
            "How many children were in drug treatment in 2022/23?",
            // The catalogue has disability and accommodation need, but not
            // these: a word it contains elsewhere does not make them
            // everyone.
            "How many people with a learning disability were in treatment in 2022/23?",
            "How many people in social housing were in treatment in 2022/23?",
        ] {
            let u = understand(&question(text), day(2023, 9, 4), &catalogue, &[]);
            assert!(u.needs_officer && u.ask.is_none(), "{text}: {u:#?}");
        }
        // What the catalogue does name is read.
        for (text, filter) in [
            (
                "How many people over 50 were in treatment for alcohol in 2022/23?",
                "age_band=50+;substance_group=alcohol_only",
            ),
            (
                "How much was spent on inpatient detox and residential rehab in 2022/23?",
                "service=inpatient_detox_and_residential_rehab",
            ),
            // Employment status is counted from providers' records.
            (
                "How many people in treatment in 2022/23 were in employment?",
                "employment_status=regular_employment",
            ),
            (
                "How many disabled people were in treatment in 2022/23?",
                "disability=disabled",
            ),
        ] {
            let u = understand(&question(text), day(2023, 9, 4), &catalogue, &[]);
            match &u.ask {
                Some(Ask::Figures(f)) => assert_eq!(f.filter.key(), filter, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        // Crack cocaine is a value of the catalogue, so that question is read.
        let crack = understand(
            &question("How many women were in treatment for crack cocaine in 2022-23?"),
            day(2023, 9, 4),
            &catalogue,
            &[],
        );
        assert!(!crack.needs_officer, "{crack:#?}");
    }

    #[test]
    fn several_values_of_one_breakdown_ask_for_that_breakdown() {
        let u = understand(
            &question(
                "Please break down the spend by community treatment, detox and rehab for 2022/23.",
            ),
            day(2023, 7, 10),
            &shipped(),
            &[],
        );
        match &u.ask {
            Some(Ask::Figures(f)) => {
                assert_eq!(f.indicator, "spend");
                assert_eq!(f.breakdown, ["service"]);
                assert!(f.filter.0.is_empty(), "{:?}", f.filter);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_question_asking_for_a_number_and_money_goes_to_the_officer() {
        let u = understand(
            &question(
                "How many naloxone kits were purchased by the council in 2022/23, and how much did they cost?",
            ),
            day(2023, 7, 10),
            &shipped(),
            &[],
        );
        assert!(u.needs_officer && u.ask.is_none(), "{u:#?}");
        assert!(
            u.notes.iter().any(|n| n.contains("two things")),
            "{:?}",
            u.notes
        );
        assert!(
            !u.alternatives.is_empty(),
            "the readings stay as alternatives"
        );
    }

    #[test]
    fn a_council_that_adds_a_breakdown_is_answered_by_it() {
        let mut catalogue = shipped();
        catalogue
            .extend_from_toml(
                "council.toml",
                "[[dimension]]\ncode = \"mental_health\"\ntitle = \"Mental health\"\nvalues = [{ code = \"treated\", label = \"receiving mental health treatment\" }]\n\n[[indicator]]\ncode = \"clients_by_mental_health\"\ntitle = \"Clients by mental health\"\ndescription = \"People in treatment by mental health treatment.\"\nunit = \"people\"\nbreakdowns = [\"mental_health\"]\ncounts_people = true\nsynonyms = [\"clients by mental health\"]\n",
            )
            .unwrap();
        let u = understand(
            &question("How many clients by mental health were there in 2022/23?"),
            day(2023, 9, 4),
            &catalogue,
            &[],
        );
        assert!(!u.needs_officer, "{u:#?}");
        let flagged = understand(
            &question("How many clients by mental health were there in 2022/23?"),
            day(2023, 9, 4),
            &shipped(),
            &[],
        );
        assert!(flagged.needs_officer, "without the extension: {flagged:#?}");
        // Ethnicity is shipped (counted from providers' records).
        let ethnicity = understand(
            &question("How many clients by ethnicity were there in 2022/23?"),
            day(2023, 9, 4),
            &shipped(),
            &[],
        );
        assert!(!ethnicity.needs_officer, "{ethnicity:#?}");
        let Some(Ask::Figures(f)) = &ethnicity.ask else {
            panic!("{ethnicity:#?}")
        };
        assert_eq!(f.breakdown, ["ethnicity"], "{ethnicity:#?}");
    }

    #[test]
    fn a_topic_is_only_read_when_its_subject_is_named() {
        let catalogue = shipped();
        let received = day(2024, 5, 10);
        let other = understand(
            &question("Does the council commission a needle exchange?"),
            received,
            &catalogue,
            &[],
        );
        assert!(other.needs_officer, "{other:#?}");
        assert_eq!(other.ask, None);
        let tender = understand(
            &question("Was naloxone included in the last tender when commissioning services?"),
            received,
            &catalogue,
            &[],
        );
        assert_eq!(
            tender.ask,
            Some(Ask::Statement {
                topic: "naloxone.tender_included".into()
            })
        );
    }

    #[test]
    fn questions_about_what_hospitals_and_the_police_hold_are_read_as_not_held_here() {
        let catalogue = shipped();
        let received = day(2024, 5, 10);
        for (text, indicator) in [
            (
                "How many people presented to A&E with drug overdoses in 2023/24?",
                "drug_related_ae_attendances",
            ),
            (
                "How many drug offences were recorded in the city in 2023?",
                "drug_offences",
            ),
        ] {
            let u = understand(&question(text), received, &catalogue, &[]);
            let Some(Ask::Figures(a)) = &u.ask else {
                panic!("{text}: {u:#?}")
            };
            assert_eq!(a.indicator, indicator, "{text}");
            let held = catalogue.indicator(indicator).unwrap();
            assert!(!held.held_by_council && !held.other_holders.is_empty());
        }
    }

    // Issue 13: the head and shape of a question before matching.

    fn officer_because(text: &str, received: jiff::civil::Date, why: &str) {
        let u = understand(&question(text), received, &shipped(), &[]);
        assert!(u.needs_officer && u.ask.is_none(), "{text}: {u:#?}");
        assert!(
            u.notes.iter().any(|n| n.contains(why)),
            "{text}: no note with “{why}” in {:#?}",
            u.notes
        );
    }

    fn read_as(text: &str, received: jiff::civil::Date) -> crate::request::FigureAsk {
        let u = understand(&question(text), received, &shipped(), &[]);
        match u.ask {
            Some(Ask::Figures(f)) if !u.needs_officer => f,
            _ => panic!("{text}: {u:#?}"),
        }
    }

    #[test]
    fn bare_years_for_a_measure_counted_by_financial_year_go_to_the_officer() {
        let d = day(2019, 4, 16);
        officer_because(
            "How much was spent on residential rehab in the following years: 2008 / 2009 / 2010 / 2011",
            d,
            "written bare",
        );
        officer_because(
            "How many people were in treatment for each year between 2013 - 2021?",
            d,
            "written bare",
        );
        // Deaths are registered by calendar year: bare years are what they mean.
        let f = read_as(
            "How many drug poisoning deaths were registered in 2016, 2017 and 2018?",
            d,
        );
        assert_eq!(f.periods.len(), 3);
    }

    #[test]
    fn a_mistyped_year_goes_to_the_officer() {
        officer_because(
            "How much was spent on residential rehab in 2016/17, 20217/18 and 2018/19?",
            day(2021, 10, 12),
            "mistyped",
        );
    }

    #[test]
    fn one_figure_over_years_that_do_not_line_up_goes_to_the_officer() {
        officer_because(
            "What was the total number of people in drug treatment between 2013 - 2021?",
            day(2022, 1, 20),
            "do not line up",
        );
        officer_because(
            "Total drug-related deaths recorded during the period April 2022 to October 2024",
            day(2026, 1, 13),
            "do not line up",
        );
    }

    #[test]
    fn what_is_counted_must_be_what_the_indicator_counts() {
        let d = day(2018, 2, 5);
        officer_because(
            "The number of investigations opened into drug-related deaths in 2017.",
            d,
            "“investigations”",
        );
        officer_because(
            "How many inpatient detoxification beds were commissioned in 2017/18?",
            d,
            "“beds”",
        );
        officer_because(
            "Can you estimate the number of referrals made to alcohol treatment services in 2016/17?",
            d,
            "“referrals”",
        );
        // The people counted are what people_in_treatment counts.
        let f = read_as("How many opiate clients were in treatment in 2016/17?", d);
        assert_eq!(f.indicator, "people_in_treatment");
    }

    #[test]
    fn money_must_be_for_what_spend_and_budget_hold() {
        let d = day(2019, 6, 10);
        officer_because(
            "How much was spent on prevention of addiction in 2018/19?",
            d,
            "“prevention",
        );
        officer_because(
            "What was the cost of ORT in 2018/19?",
            d,
            "does not single out",
        );
        officer_because(
            "What was the amount spent on treatments for alcohol misuse in 2018/19?",
            d,
            "alcohol alone",
        );
        let f = read_as(
            "How much was spent on drug and alcohol treatment services in 2018/19?",
            d,
        );
        assert_eq!(f.indicator, "spend");
    }

    #[test]
    fn a_cause_narrowing_the_count_goes_to_the_officer() {
        officer_because(
            "The number of alcohol related attendances to A&E due to violence in 2017/18",
            day(2018, 3, 26),
            "due to",
        );
    }

    #[test]
    fn yes_no_and_which_questions_are_not_figures() {
        let d = day(2019, 4, 16);
        officer_because(
            "Is the budget for the treatment of addiction in 2019/20 within the Adult Social Care budget?",
            d,
            "yes/no",
        );
        officer_because(
            "From which budget line is the 2019/20 funding for rehab pulled?",
            d,
            "“from which”",
        );
        officer_because(
            "In a situation where testing is used, do you have a preferred provider? If not, please provide the total expenditure with each provider for 2023/24.",
            d,
            "yes/no",
        );
    }

    #[test]
    fn questions_asking_how_something_is_done_are_not_figures() {
        let d = day(2021, 6, 1);
        officer_because(
            "A documented record of how the remaining amount of the drug treatment budget has been allocated for 2021/22.",
            d,
            "how something is done",
        );
        officer_because(
            "How was the 2020/21 budget for drug treatment spent?",
            d,
            "how something is done",
        );
        // "How much" still asks for an amount.
        let f = read_as("How much was spent on drug treatment in 2020/21?", d);
        assert_eq!(f.indicator, "spend");
    }

    #[test]
    fn outcomes_of_offences_are_not_recorded_offences() {
        officer_because(
            "The number of people arrested and convicted for drug offences in 2021/22",
            day(2022, 9, 20),
            "what happened after the offence",
        );
    }

    #[test]
    fn counts_found_by_a_word_or_a_diagnosis_code_go_to_the_officer() {
        let d = day(2018, 2, 12);
        officer_because(
            "Please provide the figures for each calendar year from 2013 to 2017: The number of A&E attendances where the word ‘cocaine’ appears in the free-text diagnosis field.",
            d,
            "a word or a code",
        );
        officer_because(
            "Please provide the figures for each calendar year from 2013 to 2017: The number of A&E attendances diagnosed as F14 under the ICD-10 classification system.",
            d,
            "a word or a code",
        );
        // A classification named as the definition of what is counted does
        // not narrow it.
        assert!(
            super::record_search_doubt(
                "deaths related to drug poisoning (as defined by the International Classification of Diseases, ICD-9 and ICD-10) registered in 2015"
            )
            .is_none()
        );
        // Without a search word or code the same count is read.
        assert!(
            !understand(
                &question("The number of A&E attendances related to drugs in each calendar year from 2013 to 2017"),
                d,
                &shipped(),
                &[]
            )
            .notes
            .iter()
            .any(|n| n.contains("a word or a code"))
        );
    }

    #[test]
    fn rates_shares_and_averages_are_not_the_totals_held() {
        let d = day(2019, 9, 9);
        for (text, why) in [
            (
                "How many people are treated weekly for drug use in A&E in 2018?",
                "weekly",
            ),
            (
                "How much does each individual in drug treatment cost in 2018/19?",
                "each individual",
            ),
            (
                "What was the average spend per client on drug treatment in 2018/19?",
                "average",
            ),
            (
                "What percentage of people in treatment in 2018/19 were women?",
                "percentage",
            ),
        ] {
            officer_because(text, d, why);
        }
    }

    #[test]
    fn filters_joined_by_and_or_or_go_to_the_officer() {
        officer_because(
            "Please could you give me the number of heroin and crack users in treatment in 2014/15?",
            day(2015, 12, 19),
            "joins two filters",
        );
        let f = read_as(
            "How many women were in treatment for crack cocaine in 2022-23?",
            day(2023, 9, 4),
        );
        assert_eq!(f.filter.key(), "crack=crack;sex=female");
    }

    #[test]
    fn counts_of_people_by_an_overlapping_dimension_go_to_the_officer() {
        officer_because(
            "How many people on ORT were offered psychosocial treatment in 2019/20?",
            day(2021, 10, 12),
            "intervention",
        );
    }

    #[test]
    fn tier_4_is_detox_and_rehab() {
        let f = read_as(
            "What is your annual budget for Tier 4 residential treatment in the financial year 2022/23?",
            day(2023, 1, 16),
        );
        assert_eq!(f.indicator, "budget");
        assert_eq!(
            f.filter.key(),
            "service=inpatient_detox_and_residential_rehab"
        );
    }

    #[test]
    fn overlapping_periods_go_to_the_officer() {
        officer_because(
            "How much was spent on residential rehab in the financial years 2019/20, 2020/21 and 2021 to present?",
            day(2021, 10, 12),
            "overlap",
        );
    }

    #[test]
    fn by_name_of_substance_is_a_breakdown_by_the_drug_mentioned() {
        let f = read_as(
            "Broken down by name of substance/drug and calendar year, the number of drug-related deaths registered in the calendar years 2023 and 2024",
            day(2025, 2, 10),
        );
        assert_eq!(f.indicator, "drug_poisoning_deaths");
        assert_eq!(f.breakdown, ["drug_mentioned"]);
    }

    #[test]
    fn forecast_spend_is_the_budget_and_outturn_is_spend() {
        let d = day(2019, 6, 10);
        let f = read_as(
            "Can you provide an estimate for the amount your local authority area is forecast to spend on drug and alcohol treatment services in 2019/20?",
            d,
        );
        assert_eq!(f.indicator, "budget");
        // Outturn is what was spent: the reading offered is spend.
        let u = understand(
            &question(
                "Can you provide the outturn for drug and alcohol treatment services in 2017/18?",
            ),
            d,
            &shipped(),
            &[],
        );
        let offered = u
            .ask
            .iter()
            .chain(u.alternatives.iter().map(|(a, _)| a))
            .next();
        assert!(
            matches!(offered, Some(Ask::Figures(f)) if f.indicator == "spend"),
            "{u:#?}"
        );
    }

    #[test]
    fn another_services_work_goes_to_the_officer() {
        let u = understand(
            &question(
                "If officers are trained to administer naloxone, have THN providers received training?",
            ),
            day(2024, 10, 20),
            &shipped(),
            &[],
        );
        assert!(u.needs_officer, "{u:#?}");
        assert!(
            u.notes.iter().any(|n| n.contains("another service")),
            "{:?}",
            u.notes
        );
        // The council's own providers are not another service.
        let u = understand(
            &question("Have THN providers received training on how to train THN recipients?"),
            day(2017, 8, 4),
            &shipped(),
            &[],
        );
        assert!(!u.needs_officer, "{u:#?}");
    }

    #[test]
    fn figures_for_a_wider_area_than_the_council_go_to_the_officer() {
        officer_because(
            "How many people received methadone as part of an addiction treatment in Scotland in each year for the past 10 years?",
            day(2021, 8, 1),
            "wider area",
        );
        officer_because(
            "The number of deaths related to drug poisoning in the UK in 2022?",
            day(2023, 11, 1),
            "in the uk",
        );
        officer_because(
            "How many people were in treatment in 2023/24, broken down by council area?",
            day(2024, 6, 1),
            "by council area",
        );
        // Bodies named after a nation are not areas asked about.
        assert_eq!(
            super::wider_area_doubt("How many kits did you buy from NHS England in 2019/20?"),
            None
        );
        assert_eq!(
            super::wider_area_doubt("Figures reported to Public Health England for 2019/20"),
            None
        );
        assert_eq!(
            super::wider_area_doubt("What was spent in England's prisons?"),
            None
        );
        assert!(super::wider_area_doubt("the number of deaths across England and Wales").is_some());
        assert!(super::wider_area_doubt("How do you compare nationally?").is_some());
        // The council's own area is not wider.
        let u = understand(
            &question("How many people were in treatment in your local authority area in 2019/20?"),
            day(2020, 6, 1),
            &shipped(),
            &[],
        );
        assert!(u.is_complete(), "{u:#?}");
    }

    #[test]
    fn deaths_from_prescribed_medicines_are_narrower_than_the_indicator() {
        officer_because(
            "How many drug-related deaths were there in 2020 due to prescribed medication?",
            day(2021, 6, 1),
            "prescribed medicines",
        );
    }

    #[test]
    fn how_much_money_is_never_a_count() {
        officer_because(
            "How much in funding has been made available to raise awareness of drug deaths between 2010 and 2021?",
            day(2022, 2, 16),
            "how much money",
        );
    }
}
