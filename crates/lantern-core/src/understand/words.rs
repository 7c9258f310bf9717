//! Words and phrases as the matching compares them: lower case, stemmed, with negated words marked.

/// Function words: they weigh little and never count as shared words.
pub(super) const STOPWORDS: &str = "a an the of in on for to and or by with at from as is are was were be been being did \
    do does done you your i we our us me my have has had what how many much which who \
    whom whose when where why please any such this that these those there it its each \
    per if can could will would should may might not no all also than then so into about \
    e g eg ie see question questions tell let know information council year years \
    financial data figure figures following between since past last previous";

/// Words that may come between the words of a phrase ("kits were purchased").
pub(super) const FILLERS: &str = "is are was were be been being the a an";

/// Words a question opens with.
pub(super) const INTERROGATIVES: &str = "how what which who whom whose when where why is are was were do does did have has \
    had can could will would";

/// Words that make a question ask for a count or an amount.
pub(super) const COUNT_WORDS: &str = "total amount numbers";

/// Words that make a question ask for money.
pub(super) const MONEY_WORDS: &str = "budget budgets spend spent spending expenditure cost costs";

/// Phrases that name drug and alcohol services in general and fix no value.
pub(super) const GENERIC_PHRASES: &[&str] = &[
    "drug and alcohol",
    "drugs and alcohol",
    "drug and/or alcohol",
    "drugs and/or alcohol",
    "alcohol and drug",
    "substance misuse",
];

/// Extra words for breakdowns ("by gender" is by sex).
pub(super) const DIMENSION_WORDS: &[(&str, &str)] = &[
    ("gender", "sex"),
    ("drug", "substance_group"),
    ("substance", "substance_group"),
    ("substance", "drug_mentioned"),
    ("drug", "drug_mentioned"),
];

/// Words between "by" and a dimension that say nothing more ("by name of
/// substance", "by type of drug").
pub(super) const BREAKDOWN_FILLERS: &[&str] = &["name", "names", "type", "types", "kind", "kinds"];

pub(super) const STOP_WEIGHT: f32 = 0.3;

/// Whether `word` is one of the space-separated words of `list`.
pub(super) fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// A word of a text, ready for matching.
#[derive(Debug, Clone)]
pub(super) struct Word {
    pub(super) lower: String,
    pub(super) stem: String,
    pub(super) initials: String,
    pub(super) stop: bool,
    pub(super) negated: bool,
    /// Part of a dimension value the question names ("alcohol", "crack
    /// cocaine"): a phrase may step over it ("started alcohol treatment"
    /// is "started treatment" for alcohol).
    pub(super) value: bool,
}

pub(super) fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

pub(super) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// The words of a text (see the module docs for brackets and negation).
pub(super) fn words(text: &str) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Word> = Vec::new();
    let mut depth = 0usize;
    let mut negation: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() {
            let (lower, initials, next) = read_word(&chars, i);
            i = next;
            if chars.get(i..i + 3) == Some(&['(', 's', ')'][..]) {
                i += 3;
            }
            let trigger = starts_negation(out.last().map(|w| w.lower.as_str()), &lower);
            out.push(Word {
                stem: stem(&lower),
                stop: listed(STOPWORDS, &lower),
                initials,
                negated: negation.is_some(),
                value: false,
                lower,
            });
            if trigger && negation.is_none() {
                negation = Some(depth);
            }
            continue;
        }
        match c {
            '(' => {
                if let Some(next) = abbreviation_end(&chars, i, &out) {
                    i = next;
                    continue;
                }
                depth += 1;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                if negation.is_some_and(|d| depth < d) {
                    negation = None;
                }
            }
            '.' | '?' | '!' => negation = None,
            ',' | ';' | ':' if negation == Some(0) && depth == 0 => negation = None,
            _ => {}
        }
        i += 1;
    }
    out
}

pub(super) fn read_word(chars: &[char], start: usize) -> (String, String, usize) {
    let mut word = String::new();
    let mut initials = String::new();
    let mut new_part = true;
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        if c.is_alphanumeric() {
            if new_part {
                initials.extend(c.to_lowercase());
                new_part = false;
            }
            word.extend(c.to_lowercase());
            i += 1;
        } else if (is_hyphen(c) || is_apostrophe(c))
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        {
            new_part = is_hyphen(c);
            i += 1;
        } else {
            break;
        }
    }
    (word, initials, i)
}

pub(super) fn starts_negation(previous: Option<&str>, word: &str) -> bool {
    matches!(word, "excluding" | "except" | "excludes" | "exclude")
        || matches!(
            (previous, word),
            (Some("not"), "including") | (Some("other"), "than") | (Some("apart"), "from")
        )
}

/// `(THN)` after `Take-home Naloxone`: the bracket only abbreviates what came
/// before it, so it is skipped. Returns the index after the `)`.
pub(super) fn abbreviation_end(chars: &[char], open: usize, before: &[Word]) -> Option<usize> {
    let mut j = open + 1;
    while chars.get(j).is_some_and(|c| c.is_alphabetic()) {
        j += 1;
    }
    let letters = j - open - 1;
    if chars.get(j) != Some(&')') || !(2..=8).contains(&letters) {
        return None;
    }
    let abbreviation: String = chars[open + 1..j]
        .iter()
        .flat_map(|c| c.to_lowercase())
        .collect();
    let mut initials = String::new();
    for w in before.iter().rev().filter(|w| !w.stop) {
        initials.insert_str(0, &w.initials);
        if initials == abbreviation {
            return Some(j + 1);
        }
        if initials.len() >= abbreviation.len() {
            return None;
        }
    }
    None
}

/// A light suffix-stripping stemmer: `providing`, `provided`, `provides` and
/// `provide` all become `provid`.
pub(super) fn stem(word: &str) -> String {
    let n = word.chars().count();
    let base = if n > 4
        && let Some(s) = word.strip_suffix("ies")
    {
        format!("{s}y")
    } else if n > 5
        && let Some(s) = word.strip_suffix("ing")
    {
        s.to_string()
    } else if n > 4
        && let Some(s) = word.strip_suffix("ed")
    {
        s.to_string()
    } else if n > 4
        && let Some(s) = word.strip_suffix("es")
    {
        s.to_string()
    } else if n > 3
        && !word.ends_with("ss")
        && let Some(s) = word.strip_suffix('s')
    {
        s.to_string()
    } else {
        word.to_string()
    };
    match base.strip_suffix('e') {
        Some(s) if base.chars().count() > 4 => s.to_string(),
        _ => base,
    }
}

pub(super) fn is_filler(word: &Word) -> bool {
    listed(FILLERS, &word.lower)
}

/// A phrase from the catalogue or an officer, as words.
#[derive(Debug, Clone)]
pub(super) struct Phrase {
    pub(super) text: String,
    pub(super) words: Vec<Word>,
}

impl Phrase {
    pub(super) fn new(text: &str) -> Option<Phrase> {
        let words = words(text);
        (!words.is_empty()).then(|| Phrase {
            text: text.trim().to_string(),
            words,
        })
    }

    pub(super) fn content(&self) -> impl Iterator<Item = &Word> {
        self.words.iter().filter(|w| !w.stop)
    }
}

/// Where `phrase` occurs in `text` in order (fillers may come between), using
/// only positions `usable` allows.
pub(super) fn find_phrase(
    text: &[Word],
    phrase: &[Word],
    usable: &dyn Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let first = phrase.first()?;
    (0..text.len())
        .filter(|&s| usable(s) && text[s].stem == first.stem)
        .find_map(|s| match_from(text, phrase, usable, s))
}

pub(super) fn match_from(
    text: &[Word],
    phrase: &[Word],
    usable: &dyn Fn(usize) -> bool,
    start: usize,
) -> Option<Vec<usize>> {
    let mut positions = vec![start];
    let (mut t, mut p, mut skipped) = (start + 1, 1, 0);
    while p < phrase.len() {
        let want = &phrase[p];
        match text.get(t) {
            Some(w) if w.stem == want.stem && usable(t) => {
                positions.push(t);
                t += 1;
                p += 1;
                skipped = 0;
            }
            Some(w) if (is_filler(w) || w.value) && skipped < 2 => {
                t += 1;
                skipped += 1;
            }
            _ if is_filler(want) => p += 1,
            _ => return None,
        }
    }
    Some(positions)
}

/// Positions of a phrase's content words anywhere in the text (at least two).
pub(super) fn find_loose(text: &[Word], phrase: &Phrase) -> Option<Vec<usize>> {
    let content: Vec<&Word> = phrase.content().collect();
    if content.len() < 2 {
        return None;
    }
    content
        .iter()
        .map(|want| text.iter().position(|w| !w.negated && w.stem == want.stem))
        .collect()
}
