//! Personal data removed from what is published (the published copy of a
//! letter and the disclosure log's texts): the requester's known name and
//! contact details, other people's names, and any e-mail address or UK
//! telephone number whoever it belongs to, each replaced with a marker
//! saying what was removed.
//!
//! The requester's name is matched case-insensitively as the full name (its
//! words separated by any spaces) and as each part of it longer than two
//! letters, as a whole word. Other people's names are found by a
//! conservative rule ([`others`]), which prefers leaving a name to damaging
//! ordinary words ("Leicester City Council", "Public Health England", month
//! and substance names):
//! - a title and the capitalised name after it ("Mr Jones", "Dr A. Patel");
//! - "Dear" and a name ending the line or followed by a comma;
//! - "my" and a relation or role ("my caseworker", "my son") and the
//!   capitalised name after it;
//! - a signature: a sign-off ("Kind regards,", "Yours sincerely") and the
//!   name that ends the line or the text after it;
//! - the people the case's e-mail headers name (From, To, Cc, Reply-To
//!   display names that look like a person's name), whole and by each
//!   capitalised part.
//!
//! Names no rule catches remain: an officer still reads the published copy
//! before it goes out.

/// What replaces a name.
pub const NAME_REMOVED: &str = "[name removed]";
/// What replaces an e-mail address, a telephone number or the requester's
/// recorded contact.
pub const CONTACT_REMOVED: &str = "[contact details removed]";

/// The requester as a case records them: what to look for besides any
/// e-mail address or telephone number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requester<'a> {
    /// Their name, if known.
    pub name: Option<&'a str>,
    /// Their contact details as recorded (an e-mail or postal address, a
    /// telephone number), if known.
    pub contact: Option<&'a str>,
    /// The message the case was opened from, if it was an e-mail: the
    /// people its headers name are removed too.
    pub message: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Name,
    Contact,
}

/// Remove personal data ([`remove`]) from the texts of a letter's JSON form
/// that come from people rather than from figures: each question's words
/// (and its parts'), each narrative answer and its recorded reason for not
/// holding something.
pub fn remove_from_letter(view: &mut serde_json::Value, requester: Requester<'_>) {
    fn question(q: &mut serde_json::Value, requester: Requester<'_>) {
        if let Some(text) = q.get_mut("text") {
            scrub(text, requester);
        }
        if let Some(statement) = q.get_mut("statement") {
            for field in ["text", "not_held_reason"] {
                if let Some(text) = statement.get_mut(field) {
                    scrub(text, requester);
                }
            }
        }
        if let Some(parts) = q.get_mut("parts").and_then(|p| p.as_array_mut()) {
            for part in parts {
                question(part, requester);
            }
        }
    }
    fn scrub(text: &mut serde_json::Value, requester: Requester<'_>) {
        if let Some(t) = text.as_str() {
            *text = remove(t, requester).into();
        }
    }
    if let Some(questions) = view.get_mut("questions").and_then(|q| q.as_array_mut()) {
        for q in questions {
            question(q, requester);
        }
    }
}

/// `text` with the requester's name and contact details, and every e-mail
/// address and UK telephone number, replaced by [`NAME_REMOVED`] or
/// [`CONTACT_REMOVED`]. Text without any is returned unchanged.
pub fn remove(text: &str, requester: Requester<'_>) -> String {
    let mut contact: Vec<(usize, usize)> = Vec::new();
    if let Some(recorded) = requester.contact.map(str::trim).filter(|c| c.len() > 2) {
        let words: Vec<&str> = recorded.split_whitespace().collect();
        contact.extend(phrases(text, &words));
    }
    contact.extend(email_addresses(text));
    contact.extend(phone_numbers(text));

    let mut name: Vec<(usize, usize)> = Vec::new();
    if let Some(full) = requester.name.map(str::trim).filter(|n| !n.is_empty()) {
        let words: Vec<&str> = full.split_whitespace().collect();
        name.extend(phrases(text, &words));
        for part in name_parts(full) {
            name.extend(phrases(text, &[part]));
        }
    }
    for other in requester.message.map(header_names).unwrap_or_default() {
        let words: Vec<&str> = other.split_whitespace().collect();
        name.extend(phrases(text, &words));
        for part in name_parts(&other) {
            if !is_stop_word(part) {
                name.extend(phrases(text, &[part]).into_iter().filter(|&(s, e)| {
                    text[s..].starts_with(char::is_uppercase) && !names_an_organisation(text, s, e)
                }));
            }
        }
    }
    name.extend(others(text));

    // Contact details first; a name inside one (jo.bloggs@…) goes with it.
    let mut spans: Vec<(usize, usize, Found)> = Vec::new();
    for (kind, found) in [(Found::Contact, contact), (Found::Name, name)] {
        let mut found = found;
        found.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        for (start, end) in found {
            if let Some(span) = spans.iter_mut().find(|s| start < s.1 && s.0 < end) {
                if span.2 == kind {
                    span.0 = span.0.min(start);
                    span.1 = span.1.max(end);
                }
                continue;
            }
            spans.push((start, end, kind));
        }
    }
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_by_key(|s| s.0);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, kind) in spans {
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(match kind {
            Found::Name => NAME_REMOVED,
            Found::Contact => CONTACT_REMOVED,
        });
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Capitalised words that are never taken for a person's name: the words
/// of organisations and services, salutations, months and days, and
/// substances (compared ignoring case).
const STOP_WORDS: &[&str] = &[
    // Organisations, places and roles.
    "council",
    "councils",
    "city",
    "county",
    "borough",
    "district",
    "parish",
    "authority",
    "government",
    "department",
    "ministry",
    "office",
    "service",
    "services",
    "team",
    "unit",
    "trust",
    "nhs",
    "health",
    "public",
    "england",
    "english",
    "britain",
    "british",
    "uk",
    "united",
    "kingdom",
    "national",
    "local",
    "foundation",
    "university",
    "college",
    "school",
    "hospital",
    "police",
    "agency",
    "commission",
    "commissioner",
    "partnership",
    "group",
    "centre",
    "center",
    "limited",
    "ltd",
    "plc",
    "company",
    "society",
    "charity",
    "association",
    "board",
    "committee",
    "information",
    "freedom",
    "officer",
    "manager",
    "mayor",
    "minister",
    "governance",
    "data",
    "protection",
    "treatment",
    "drug",
    "drugs",
    "recovery",
    "substance",
    "misuse",
    "ndtms",
    "ohid",
    "phe",
    "ons",
    "ico",
    "foi",
    "gp",
    "street",
    "road",
    "lane",
    "avenue",
    "house",
    "hall",
    "square",
    "act",
    "section",
    "the",
    "of",
    "and",
    "for",
    // Salutations.
    "sir",
    "sirs",
    "madam",
    "colleague",
    "colleagues",
    "all",
    "everyone",
    "whom",
    "friend",
    "friends",
    // Months and days.
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    // Substances.
    "alcohol",
    "heroin",
    "cocaine",
    "crack",
    "opiate",
    "opiates",
    "opioid",
    "opioids",
    "methadone",
    "buprenorphine",
    "cannabis",
    "amphetamine",
    "amphetamines",
    "ecstasy",
    "mdma",
    "ketamine",
    "spice",
    "benzodiazepine",
    "benzodiazepines",
    "naloxone",
    "nitrous",
];

/// Titles before a name ("Mr Jones").
const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Professor",
    "Sir",
    "Dame",
    "Lady",
    "Lord",
    "Rev",
    "Revd",
    "Reverend",
    "Cllr",
    "Councillor",
];

/// Relations and roles after "my" that a name may follow ("my caseworker
/// Jane Smith"), one or two words.
const ROLES: &[&str] = &[
    "caseworker",
    "case worker",
    "key worker",
    "keyworker",
    "support worker",
    "social worker",
    "worker",
    "gp",
    "doctor",
    "nurse",
    "counsellor",
    "therapist",
    "son",
    "daughter",
    "brother",
    "sister",
    "husband",
    "wife",
    "partner",
    "mother",
    "father",
    "mum",
    "mom",
    "dad",
    "friend",
    "colleague",
    "client",
    "nephew",
    "niece",
    "uncle",
    "aunt",
    "cousin",
    "grandson",
    "granddaughter",
    "grandmother",
    "grandfather",
    "neighbour",
    "solicitor",
    "mp",
    "councillor",
    "carer",
    "manager",
    "boss",
    "landlord",
];

/// Sign-offs a signature follows.
const SIGN_OFFS: &[&str] = &[
    "yours sincerely",
    "yours faithfully",
    "yours truly",
    "kind regards",
    "best regards",
    "warm regards",
    "warmest regards",
    "many thanks",
    "with thanks",
    "best wishes",
    "all the best",
    "regards",
    "thanks",
    "thank you",
    "cheers",
    "sincerely",
    "best",
];

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.iter().any(|s| s.eq_ignore_ascii_case(word))
}

/// A word of a text: its byte range.
type Word = (usize, usize);

/// The words of `text` (letters, digits, apostrophes and hyphens inside).
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let inner = |c: char| c.is_alphanumeric() || c == '\'' || c == '’' || c == '-';
    for (i, c) in text.char_indices() {
        match (start, inner(c)) {
            (None, true) if c.is_alphanumeric() => start = Some(i),
            (Some(s), false) => {
                out.push(trim_word(text, s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(trim_word(text, s, text.len()));
    }
    out
}

/// A word without trailing apostrophes or hyphens.
fn trim_word(text: &str, start: usize, end: usize) -> Word {
    let trimmed = text[start..end].trim_end_matches(['\'', '’', '-']);
    (start, start + trimmed.len())
}

/// Whether `word` looks like part of a person's name: capitalised, letters
/// (with an apostrophe or hyphen inside), a lower-case letter after the
/// first unless it is an initial, and not a stop word.
fn is_name_word(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let initial = word.chars().count() == 1;
    first.is_uppercase()
        && word
            .chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-')
        && (initial || word.chars().skip(1).any(char::is_lowercase))
        && word.len() <= 40
        && !is_stop_word(word)
}

/// The name starting at word `i` of `ws`: up to three name words joined by
/// one space (or ". " after an initial) on one line; the index after it.
fn name_at(text: &str, ws: &[Word], i: usize) -> Option<usize> {
    let mut j = i;
    while j < ws.len() && j - i < 3 && is_name_word(&text[ws[j].0..ws[j].1]) {
        if j > i {
            let gap = &text[ws[j - 1].1..ws[j].0];
            let initial = ws[j - 1].1 - ws[j - 1].0 == 1;
            if !(gap == " " || (initial && gap == ". ")) {
                break;
            }
        }
        j += 1;
    }
    (j > i).then_some(j)
}

/// Whether the words `ws[i..]` spell `phrase` (lower case, spaces between
/// words) one after another, separated by single spaces; the index after.
fn phrase_words(text: &str, ws: &[Word], i: usize, phrase: &str) -> Option<usize> {
    let mut j = i;
    for (n, want) in phrase.split(' ').enumerate() {
        let &(s, e) = ws.get(j)?;
        if n > 0 && !text[ws[j - 1].1..s].chars().all(|c| c == ' ') {
            return None;
        }
        if !text[s..e].eq_ignore_ascii_case(want) {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// The byte range of a name spanning words `ws[i..j]`, with an initial's
/// full stop inside.
fn span(ws: &[Word], i: usize, j: usize) -> (usize, usize) {
    (ws[i].0, ws[j - 1].1)
}

/// Names of people other than the requester that `text` shows by the
/// rules in the module documentation: byte ranges.
fn others(text: &str) -> Vec<(usize, usize)> {
    let ws = words(text);
    let mut found = Vec::new();
    let ends_line = |end: usize| {
        let rest = &text[end..];
        let line = rest.split('\n').next().unwrap_or_default();
        line.trim_matches(|c: char| c.is_whitespace() || ",.;:!".contains(c))
            .is_empty()
    };
    for i in 0..ws.len() {
        let word = &text[ws[i].0..ws[i].1];
        // A title and the name after it: "Mr Jones", "Dr. A. Patel".
        if TITLES.contains(&word) {
            let after = &text[ws[i].1..ws.get(i + 1).map_or(text.len(), |w| w.0)];
            if (after == " " || after == ". ")
                && let Some(j) = name_at(text, &ws, i + 1)
            {
                found.push(span(&ws, i, j));
                continue;
            }
        }
        // "Dear Jane Smith," (the name ends the line or takes a comma).
        if word == "Dear"
            && text[ws[i].1..].starts_with(' ')
            && let Some(j) = name_at(text, &ws, i + 1)
        {
            let end = ws[j - 1].1;
            if text[end..].starts_with(',') || ends_line(end) {
                found.push(span(&ws, i + 1, j));
            }
        }
        // "my caseworker Jane Smith".
        if word.eq_ignore_ascii_case("my") {
            for role in ROLES {
                if let Some(k) = phrase_words(text, &ws, i + 1, role)
                    && k < ws.len()
                    && text[ws[k - 1].1..ws[k].0] == *" "
                    && let Some(j) = name_at(text, &ws, k)
                {
                    found.push(span(&ws, k, j));
                    break;
                }
            }
        }
        // A signature: "Kind regards,\nJane Smith" or "Thanks, Jane".
        let starts_line = text[..ws[i].0]
            .chars()
            .rev()
            .find(|c| !c.is_whitespace() || *c == '\n')
            .is_none_or(|c| c == '\n' || ".!?".contains(c));
        if starts_line {
            for sign_off in SIGN_OFFS {
                let Some(k) = phrase_words(text, &ws, i, sign_off) else {
                    continue;
                };
                if k >= ws.len() {
                    break;
                }
                // The sign-off ends with a comma or the line: "Best
                // Practice Guidance" is no signature.
                let gap = &text[ws[k - 1].1..ws[k].0];
                let gap_ok = gap
                    .trim_start_matches([',', '.', '!'])
                    .chars()
                    .all(char::is_whitespace)
                    && (gap.contains(',') || gap.contains('\n'));
                if gap_ok
                    && let Some(j) = name_at(text, &ws, k)
                    && ends_line(ws[j - 1].1)
                {
                    found.push(span(&ws, k, j));
                }
                break;
            }
        }
    }
    found
}

/// Whether the word at `start..end` of `text` is part of an organisation's
/// or place's name: next to a capitalised stop word ("Leicester City
/// Council", "Public Health England"), so a header's name part equal to it
/// is not taken for the person there.
fn names_an_organisation(text: &str, start: usize, end: usize) -> bool {
    let capitalised_stop = |w: &str| w.starts_with(char::is_uppercase) && is_stop_word(w);
    let next = text[end..].strip_prefix(' ').map(|rest| {
        rest.split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or_default()
    });
    let previous = text[..start].strip_suffix(' ').map(|rest| {
        rest.rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or_default()
    });
    next.is_some_and(capitalised_stop) || previous.is_some_and(capitalised_stop)
}

/// The people an e-mail's headers name: the display names of From, To,
/// Cc and Reply-To that look like a person's name (two to four words, each
/// a name word or an initial, none a stop word). A message without
/// headers (a structured request) names nobody.
fn header_names(message: &str) -> Vec<String> {
    let head = message
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default();
    // Unfold continued header lines.
    let mut lines: Vec<String> = Vec::new();
    for line in head.lines() {
        match lines.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_string()),
        }
    }
    let mut names = Vec::new();
    for line in &lines {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        if !["from", "to", "cc", "reply-to"]
            .iter()
            .any(|f| field.trim().eq_ignore_ascii_case(f))
        {
            continue;
        }
        for address in split_addresses(value) {
            let Some((display, _)) = address.split_once('<') else {
                continue;
            };
            let display = display.trim().trim_matches('"').trim();
            // "Smith, Jane" is "Jane Smith".
            let display = match display.split_once(',') {
                Some((last, first)) => format!("{} {}", first.trim(), last.trim()),
                None => display.to_string(),
            };
            let parts: Vec<&str> = display.split_whitespace().collect();
            let person = (2..=4).contains(&parts.len())
                && !display.contains("=?")
                && parts.iter().all(|p| is_name_word(p.trim_end_matches('.')));
            if person && !names.contains(&display) {
                names.push(display);
            }
        }
    }
    names
}

/// The addresses of a header value, split at commas outside quotes and
/// angle brackets.
fn split_addresses(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angled, mut start) = (false, false, 0);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' if !quoted && !angled => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

/// The parts of a name matched on their own: each word (and each half of a
/// hyphenated word) longer than two letters, without surrounding
/// punctuation.
fn name_parts(name: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for word in name.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        let pieces = std::iter::once(word).chain(word.split('-'));
        for piece in pieces {
            let piece = piece.trim_matches(|c: char| !c.is_alphanumeric());
            if piece.chars().filter(|c| c.is_alphabetic()).count() > 2 && !parts.contains(&piece) {
                parts.push(piece);
            }
        }
    }
    parts
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Where `words` occur in `text` one after another, separated by any run of
/// whitespace, ignoring case, as whole words: byte ranges.
fn phrases(text: &str, words: &[&str]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    if words.is_empty() || words.iter().any(|w| w.is_empty()) {
        return found;
    }
    let starts_word = words[0].chars().next().is_some_and(is_word_char);
    let ends_word = words[words.len() - 1]
        .chars()
        .next_back()
        .is_some_and(is_word_char);
    for (start, _) in text.char_indices() {
        if starts_word && text[..start].chars().next_back().is_some_and(is_word_char) {
            continue;
        }
        let Some(end) = phrase_at(text, start, words) else {
            continue;
        };
        if ends_word && text[end..].chars().next().is_some_and(is_word_char) {
            continue;
        }
        found.push((start, end));
    }
    found
}

/// The end of `words` matched at `start` of `text`, if they are there.
fn phrase_at(text: &str, start: usize, words: &[&str]) -> Option<usize> {
    let mut at = start;
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            let gap = text[at..]
                .char_indices()
                .find(|&(_, c)| !c.is_whitespace())
                .map_or(text.len() - at, |(n, _)| n);
            if gap == 0 {
                return None;
            }
            at += gap;
        }
        at = word_at(text, at, word)?;
    }
    Some(at)
}

/// The end of `word` matched at `at` of `text`, ignoring case.
fn word_at(text: &str, at: usize, word: &str) -> Option<usize> {
    let mut rest = text[at..].char_indices();
    for w in word.chars() {
        let (_, c) = rest.next()?;
        if !c.to_lowercase().eq(w.to_lowercase()) {
            return None;
        }
    }
    Some(rest.next().map_or(text.len(), |(n, _)| at + n))
}

/// E-mail addresses in `text` (something@domain.tld): byte ranges.
fn email_addresses(text: &str) -> Vec<(usize, usize)> {
    let local = |c: char| c.is_alphanumeric() || "._%+-'!#$&*=?^`{|}~".contains(c);
    let domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    let mut found = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| local(c))
            .last()
            .map_or(at, |(i, _)| i);
        // An address does not start with a dot or a quote.
        let start = start
            + text[start..at]
                .char_indices()
                .find(|&(_, c)| c.is_alphanumeric())
                .map_or(at - start, |(i, _)| i);
        let after = at + 1;
        let mut end = text[after..]
            .char_indices()
            .find(|&(_, c)| !domain(c))
            .map_or(text.len(), |(i, _)| after + i);
        // A full stop ending the sentence is not part of the address.
        while end > after && matches!(text[..end].chars().next_back(), Some('.' | '-')) {
            end -= 1;
        }
        let host = &text[after..end];
        let tld_ok = host.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.chars().filter(|c| c.is_alphabetic()).count() >= 2
        });
        if start < at && tld_ok {
            found.push((start, end));
        }
    }
    found
}

/// UK telephone numbers in `text`: byte ranges. A national number starts
/// with 0 and has 10 or 11 digits, its first group at least three of them
/// ("0116 454 1000", "07700 900123", "(0116) 4541000", "020-7946-0000");
/// an international one starts +44 or 0044, optionally "(0)", and has 9 or
/// 10 digits after it. Digits run into by a letter or another digit are
/// not a number.
fn phone_numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !text[..i].chars().next_back().is_some_and(is_word_char);
        let start = i;
        let candidate = if !boundary {
            None
        } else if bytes[i] == b'+' && text[i..].starts_with("+44") {
            international(bytes, i + 3)
        } else if text[i..].starts_with("0044") {
            international(bytes, i + 4)
        } else if bytes[i] == b'(' || bytes[i] == b'0' {
            national(bytes, i)
        } else {
            None
        };
        match candidate {
            Some(end) => {
                found.push((start, end));
                i = end;
            }
            None => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    found
}

/// Groups of digits from `at`, separated by up to three of space, hyphen or
/// parentheses (`opened`: the number started with "(", which the first
/// group's ")" closes): for each group, its end, the digits counted so far
/// and its own digits.
fn groups(bytes: &[u8], mut at: usize, opened: bool) -> Vec<(usize, usize, usize)> {
    // (end of group, digits so far, digits in this group)
    let mut out = Vec::new();
    let mut digits = 0;
    loop {
        let mut sep = at;
        while sep < bytes.len() && sep - at < 3 && matches!(bytes[sep], b' ' | b'-' | b'(' | b')') {
            sep += 1;
        }
        let mut end = sep;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        if end == sep {
            return out;
        }
        digits += end - sep;
        out.push((end, digits, end - sep));
        at = end;
        // The parenthesis closing an area code opened before it ("(0116)").
        if opened && out.len() == 1 && bytes.get(at) == Some(&b')') {
            at += 1;
            if let Some(last) = out.last_mut() {
                last.0 = at;
            }
        }
    }
}

/// The longest run of groups ending where no digit or letter follows with
/// a count of digits in `counts`, its groups after the first at least two
/// digits long.
fn longest(bytes: &[u8], groups: &[(usize, usize, usize)], counts: &[usize]) -> Option<usize> {
    let mut best = None;
    for (n, &(end, digits, len)) in groups.iter().enumerate() {
        if n > 0 && len < 2 {
            break;
        }
        let next_is_word = bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric());
        if counts.contains(&digits) && !next_is_word {
            best = Some(end);
        }
    }
    best
}

fn national(bytes: &[u8], start: usize) -> Option<usize> {
    let open = usize::from(bytes[start] == b'(');
    if bytes.get(start + open) != Some(&b'0') {
        return None;
    }
    let groups = groups(bytes, start + open, open == 1);
    let &(first_end, _, first_len) = groups.first()?;
    // A "(" not closing the area code is not the number's (it is found
    // again from its first digit).
    if first_len < 3 || (open == 1 && bytes[first_end - 1] != b')') {
        return None;
    }
    // After "(0116)" comes the rest of the number.
    longest(bytes, &groups, &[10, 11]).filter(|&end| open == 0 || end > first_end)
}

fn international(bytes: &[u8], mut at: usize) -> Option<usize> {
    // An optional "(0)" after the country code is not counted.
    let skip = bytes[at..].iter().position(|&b| b != b' ').unwrap_or(0);
    if bytes[at + skip..].starts_with(b"(0)") {
        at += skip + 3;
    }
    let groups = groups(bytes, at, false);
    if groups.first().is_none_or(|g| g.2 < 2) {
        return None;
    }
    longest(bytes, &groups, &[9, 10])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAM: Requester<'static> = Requester {
        name: Some("Sam Smith"),
        contact: Some("sam.smith@example.org"),
        message: None,
    };

    #[test]
    fn the_name_is_removed_whole_and_in_parts_ignoring_case() {
        assert_eq!(
            remove("I am Sam  Smith, a reporter. Thanks, SAM", SAM),
            "I am [name removed], a reporter. Thanks, [name removed]"
        );
        assert_eq!(
            remove("Ask smith or Smithson", SAM),
            "Ask [name removed] or Smithson"
        );
        // Parts of two letters are not matched alone; the full name is.
        let jo = Requester {
            name: Some("Jo Bloggs"),
            contact: None,
            message: None,
        };
        assert_eq!(
            remove("Jo asks; jo bloggs signs; Bloggs.", jo),
            "Jo asks; [name removed] signs; [name removed]."
        );
        let hyphen = Requester {
            name: Some("Mary-Jane O'Brien"),
            contact: None,
            message: None,
        };
        assert_eq!(
            remove("From Jane, o'brien and Mary-Jane", hyphen),
            "From [name removed], [name removed] and [name removed]"
        );
    }

    #[test]
    fn any_email_address_and_uk_phone_number_is_removed() {
        let nobody = Requester::default();
        assert_eq!(
            remove("Write to jo.b+foi@mail.example.co.uk.", nobody),
            "Write to [contact details removed]."
        );
        for phone in [
            "07700 900123",
            "07700900123",
            "0116 454 1000",
            "(0116) 454 1000",
            "020-7946-0000",
            "+44 7700 900123",
            "+44 (0)116 454 1000",
            "+447700900123",
            "0044 20 7946 0000",
        ] {
            assert_eq!(
                remove(&format!("Call {phone}, please"), nobody),
                "Call [contact details removed], please",
                "{phone}"
            );
            assert_eq!(
                remove(&format!("(call {phone}) or ({phone})"), nobody),
                "(call [contact details removed]) or ([contact details removed])",
                "{phone}"
            );
        }
        // Periods, dates, counts and money are not telephone numbers.
        for text in [
            "How many in 2017/18 and 2018/19?",
            "From 01-04-2017 - 31-03-2018 and 01.04.2017",
            "0 people, £1,234,567, 1234567890",
            "Reference 12345678901 or A0116454100",
            "Not an address: @home or user@localhost",
        ] {
            assert_eq!(remove(text, nobody), text);
        }
    }

    #[test]
    fn a_name_inside_the_contact_goes_with_the_contact() {
        assert_eq!(
            remove(
                "Thanks, Sam Smith, sam.smith@example.org, 07700 900123",
                SAM
            ),
            "Thanks, [name removed], [contact details removed], [contact details removed]"
        );
        let postal = Requester {
            name: None,
            contact: Some("12 High Street, Leicester"),
            message: None,
        };
        assert_eq!(
            remove("Post to 12 high street, Leicester please", postal),
            "Post to [contact details removed] please"
        );
    }

    #[test]
    fn text_without_personal_data_is_unchanged() {
        let q = "1) How many service users were in treatment for crack cocaine in 2017/18? (e.g. youngest 18, oldest 56)";
        assert_eq!(remove(q, SAM), q);
    }

    #[test]
    fn other_peoples_names_are_removed_by_title_role_salutation_and_signature() {
        let nobody = Requester::default();
        for (text, want) in [
            (
                "Dear Mr Jones, how many people were in treatment?",
                "Dear [name removed], how many people were in treatment?",
            ),
            (
                "My caseworker Jane Smith said 2017/18 figures exist.",
                "My caseworker [name removed] said 2017/18 figures exist.",
            ),
            (
                "I asked my key worker Tom about it, and my GP Dr. A. Patel.",
                "I asked my key worker [name removed] about it, and my GP [name removed].",
            ),
            (
                "How many in 2018/19?\n\nKind regards,\nJane Smith\nResearcher",
                "How many in 2018/19?\n\nKind regards,\n[name removed]\nResearcher",
            ),
            ("Thanks, Priya", "Thanks, [name removed]"),
            (
                "Dear Jane Smith,\nPlease send",
                "Dear [name removed],\nPlease send",
            ),
            (
                "Cllr O'Brien-Hughes asked the same in March.",
                "[name removed] asked the same in March.",
            ),
        ] {
            assert_eq!(remove(text, nobody), want, "{text}");
        }
    }

    #[test]
    fn ordinary_words_are_not_taken_for_names() {
        let nobody = Requester::default();
        for text in [
            "Dear Sir or Madam, please give figures for Leicester City Council.",
            "Dear Leicester City Council,",
            "Dear Freedom of Information Team,",
            "Public Health England and the Office for Health Improvement and Disparities publish them.",
            "From April 2017 to March 2018, and in May, June and December 2019.",
            "People using Heroin, Crack, Cocaine, Alcohol, Cannabis or Methadone on a Monday.",
            "Yours faithfully,\nLeicester City Council",
            "Kind regards,\nThe FOI Team",
            "Best Practice Guidance for NDTMS returns",
            "Thank you for your help with this request.",
            "My local council Leicester City Council holds it.",
            "The Lord Mayor of Leicester opened it.",
            "Turning Point and Change Grow Live provide treatment in Leicester.",
            "Yours sincerely,\nPublic Health Team",
        ] {
            assert_eq!(remove(text, nobody), text);
        }
    }

    #[test]
    fn the_people_the_email_headers_name_are_removed() {
        let message = "From: \"Smith, Jane\" <jane.smith@example.org>\r\n\
            To: Leicester City Council FOI <foi@leicester.gov.uk>\r\n\
            Cc: Peter O'Neill <p@example.org>, Housing Team <h@example.org>\r\n\
            Subject: FOI\r\n\r\n\
            Body mentioning Peter O'Neill.";
        let requester = Requester {
            name: None,
            contact: None,
            message: Some(message),
        };
        assert_eq!(
            remove(
                "Jane Smith and O'Neill asked; Peter agreed. Leicester City Council and the Housing Team did not.",
                requester
            ),
            "[name removed] and [name removed] asked; [name removed] agreed. Leicester City Council and the Housing Team did not."
        );
        // A name part is matched only capitalised: "jane" in lower case is a word.
        assert_eq!(
            header_names(message),
            vec!["Jane Smith".to_string(), "Peter O'Neill".to_string()]
        );
        // A display name that shares a word with an organisation's name
        // does not take that word out of the organisation's.
        let mercury = Requester {
            message: Some("From: Leicester Mercury <news@example.org>\r\n\r\nHi"),
            ..Requester::default()
        };
        assert_eq!(
            remove("Leicester City Council and Public Health England", mercury),
            "Leicester City Council and Public Health England"
        );
        // A structured request has no headers and names nobody.
        assert!(header_names("reference = \"FOI-1\"\ntext = \"From: me\"").is_empty());
    }
}
