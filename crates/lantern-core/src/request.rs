//! Requests: an FOI request as Lantern understands it — a reference, the date
//! it was received, and numbered questions (with lettered parts), each keeping
//! the requester's words verbatim plus what it asks for.
//!
//! The structured request file format (TOML, documented in
//! `docs/formats/request.md`) is parsed here, against the catalogue, so every
//! request Lantern holds names known indicators, valid breakdowns and real
//! periods. Errors carry the file, line and column.

use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;

use crate::catalogue::{AGE_BAND, AgeSpan, Catalogue, UNION};
use crate::figure::Breakdown;
use crate::period::Period;
use crate::statement::check_topic;

/// A request for information.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The council's reference, e.g. FOI-2019-0412.
    pub reference: String,
    /// The date it was received (the s10 clock starts the next working day).
    pub received: Date,
    /// The day the council decided it, when the file records one (a request
    /// answered in the past, such as the example's): releases are read as of
    /// that day unless the user gives another (`--as-of`).
    pub answered: Option<Date>,
    /// The requester's own reference, if they gave one.
    pub requester_reference: Option<String>,
    /// The area asked about (the council's own area when absent).
    pub area: Option<String>,
    /// The questions, in the requester's order.
    pub questions: Vec<Question>,
    /// The requester asked for the figures in a spreadsheet or another
    /// reusable form (s11): the answer's tables then go out as CSV and XLSX
    /// too. Set by the officer (`spreadsheet = true`).
    pub wants_spreadsheet: bool,
    /// Text of the request the officer decided is not a question (a
    /// signature, a footer, a greeting read as a question), with why: kept
    /// so that nothing the requester wrote vanishes from the case.
    pub set_aside: Vec<SetAside>,
}

/// Words of a request not taken as a question, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetAside {
    /// The number the words had as a question ("3", "2b"), if any.
    pub number: Option<String>,
    /// The requester's words, verbatim.
    pub text: String,
    /// Why they are not a question, in the officer's words.
    pub reason: String,
}

/// One numbered question or lettered part.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// "1", "2", … for questions; "a", "b", … for parts.
    pub number: String,
    /// The requester's words, verbatim.
    pub text: String,
    /// What it asks for; `None` for a heading whose parts do the asking.
    pub ask: Option<Ask>,
    /// Lettered parts.
    pub parts: Vec<Question>,
    /// The officer's estimate of hours to locate, retrieve and extract what
    /// Lantern does not hold in its store (for the s12 cost limit).
    pub estimate_hours: Option<f64>,
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// Figures of an indicator.
    Figures(FigureAsk),
    /// A narrative fact on a topic.
    Statement {
        /// Topic code.
        topic: String,
    },
}

/// A request for figures.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureAsk {
    /// Indicator code.
    pub indicator: String,
    /// The periods asked about, in the requester's order.
    pub periods: Vec<Period>,
    /// Dimension values fixed by the question ("crack users": crack = crack).
    pub filter: Breakdown,
    /// Dimensions to split by ("by age").
    pub breakdown: Vec<String>,
    /// The question asks for youngest and oldest ages.
    pub age_range: bool,
    /// The requester's own age bands, in their order (age-band codes of the
    /// catalogue, or spans of ages such as `18-22` and `50+`, none
    /// overlapping); empty when the question takes the bands held.
    pub bands: Vec<String>,
}

/// A request file that could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RequestError {
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong and what to do.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    reference: Spanned<String>,
    received: Spanned<DateText>,
    #[serde(default)]
    answered: Option<Spanned<DateText>>,
    #[serde(default)]
    requester_reference: Option<String>,
    #[serde(default)]
    area: Option<Spanned<String>>,
    #[serde(default)]
    spreadsheet: bool,
    #[serde(default)]
    question: Vec<QuestionFile>,
    #[serde(default)]
    set_aside: Vec<SetAsideFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetAsideFile {
    #[serde(default)]
    number: Option<String>,
    text: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DateText {
    Text(String),
    Toml(toml::value::Datetime),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    #[serde(alias = "letter")]
    number: Spanned<String>,
    text: String,
    #[serde(default)]
    indicator: Option<Spanned<String>>,
    #[serde(default)]
    periods: Vec<Spanned<String>>,
    #[serde(default)]
    filter: Option<Spanned<toml::Table>>,
    #[serde(default)]
    breakdown: Vec<Spanned<String>>,
    #[serde(default)]
    age_range: bool,
    #[serde(default)]
    bands: Vec<Spanned<String>>,
    #[serde(default)]
    topic: Option<Spanned<String>>,
    #[serde(default)]
    estimate_hours: Option<f64>,
    #[serde(default)]
    part: Vec<QuestionFile>,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    catalogue: &'a Catalogue,
    /// A working copy: questions may still ask for nothing, and figures
    /// may still lack periods (see [`parse_working`]).
    working: bool,
}

impl Ctx<'_> {
    fn error(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> RequestError {
        let (line, column) = line_column(self.text, span.start);
        RequestError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Refuse NUL and the other control characters (tabs and line breaks
/// aside) in a request, written as they are or as escapes in a string
/// (`\u0000`, `\b`), at their line and column: no engine could store
/// them alike, and no question holds them.
fn control_characters(ctx: &Ctx<'_>) -> Result<(), RequestError> {
    let refused = |c: u32| {
        char::from_u32(c).is_some_and(|ch| ch.is_control() && !matches!(ch, '\t' | '\n' | '\r'))
    };
    let fail = |at: usize, c: u32| {
        Err(ctx.error(
            at..at,
            format!("the control character U+{c:04X} is not allowed in a request; remove it"),
        ))
    };
    let bytes = ctx.text.as_bytes();
    let mut chars = ctx.text.char_indices();
    while let Some((at, ch)) = chars.next() {
        if refused(u32::from(ch)) {
            return fail(at, u32::from(ch));
        }
        if ch != '\\' {
            continue;
        }
        // An escape (in a basic string; a literal string holds few
        // backslashes, and none followed by these).
        let Some((_, next)) = chars.next() else {
            break;
        };
        let digits = match next {
            'b' => return fail(at, 0x08),
            'f' => return fail(at, 0x0C),
            'e' => return fail(at, 0x1B),
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => continue,
        };
        let start = at + 2;
        let hex = bytes
            .get(start..start + digits)
            .and_then(|h| std::str::from_utf8(h).ok());
        if let Some(c) = hex.and_then(|h| u32::from_str_radix(h, 16).ok())
            && refused(c)
        {
            return fail(at, c);
        }
    }
    Ok(())
}

/// Parse a structured request file against the catalogue.
pub fn parse_request(
    file: &str,
    text: &str,
    catalogue: &Catalogue,
) -> Result<Request, RequestError> {
    parse(Ctx {
        file,
        text,
        catalogue,
        working: false,
    })
}

/// Parse an officer's working copy of a request: a structured request in
/// which a question may still ask for nothing (not understood yet) and a
/// figures question may still lack its periods. Everything it does name is
/// checked against the catalogue as [`parse_request`] checks it; use
/// [`missing`] for what is left to decide.
pub fn parse_working(
    file: &str,
    text: &str,
    catalogue: &Catalogue,
) -> Result<Request, RequestError> {
    parse(Ctx {
        file,
        text,
        catalogue,
        working: true,
    })
}

/// What a working copy still lacks, question by question ("3", "2b"), in
/// words: an empty list means it is a complete request.
pub fn missing(request: &Request) -> Vec<(String, &'static str)> {
    fn walk(q: &Question, prefix: &str, out: &mut Vec<(String, &'static str)>) {
        let number = format!("{prefix}{}", q.number);
        match &q.ask {
            None if q.parts.is_empty() => out.push((number.clone(), "asks for nothing yet")),
            Some(Ask::Figures(f)) if f.periods.is_empty() && q.parts.is_empty() => {
                out.push((number.clone(), "has no periods"))
            }
            _ => {}
        }
        for p in &q.parts {
            walk(p, &number, out);
        }
    }
    let mut out = Vec::new();
    for q in &request.questions {
        walk(q, "", &mut out);
    }
    out
}

fn parse(ctx: Ctx<'_>) -> Result<Request, RequestError> {
    let text = ctx.text;
    control_characters(&ctx)?;
    let raw: RequestFile = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ctx.error(span, e.message().trim_end().to_string())
    })?;
    let reference = raw.reference.get_ref().trim().to_string();
    if reference.is_empty() {
        return Err(ctx.error(raw.reference.span(), "the reference is empty"));
    }
    let received_span = raw.received.span();
    let received_text = match raw.received.into_inner() {
        DateText::Text(s) => s,
        DateText::Toml(d) => d.to_string(),
    };
    let received: Date = received_text.trim().parse().map_err(|_| {
        ctx.error(
            received_span.clone(),
            format!("'{received_text}' is not a date; write the received date as YYYY-MM-DD"),
        )
    })?;
    let answered = match raw.answered {
        Some(a) => {
            let span = a.span();
            let text = match a.into_inner() {
                DateText::Text(s) => s,
                DateText::Toml(d) => d.to_string(),
            };
            let day: Date = text.trim().parse().map_err(|_| {
                ctx.error(
                    span.clone(),
                    format!("'{text}' is not a date; write the answered date as YYYY-MM-DD"),
                )
            })?;
            if day < received {
                return Err(ctx.error(
                    span,
                    format!("answered = {day} is before received = {received}; a request is answered on or after the day it arrives"),
                ));
            }
            Some(day)
        }
        None => None,
    };
    let area = match raw.area {
        Some(a) => {
            Some(crate::figure::check_area(a.get_ref()).map_err(|m| ctx.error(a.span(), m))?)
        }
        None => None,
    };
    if raw.question.is_empty() && (!ctx.working || raw.set_aside.is_empty()) {
        return Err(ctx.error(0..0, "the request has no [[question]]"));
    }
    let mut questions = Vec::new();
    for q in raw.question {
        questions.push(question(&ctx, q, None)?);
    }
    Ok(Request {
        reference,
        received,
        answered,
        requester_reference: raw.requester_reference,
        area,
        questions,
        wants_spreadsheet: raw.spreadsheet,
        set_aside: raw
            .set_aside
            .into_iter()
            .map(|s| SetAside {
                number: s.number.map(|n| n.trim().to_string()),
                text: s.text.trim().to_string(),
                reason: s.reason.trim().to_string(),
            })
            .collect(),
    })
}

fn question(
    ctx: &Ctx,
    q: QuestionFile,
    parent: Option<&QuestionFile>,
) -> Result<Question, RequestError> {
    let number = q.number.get_ref().trim().to_string();
    if number.is_empty() {
        return Err(ctx.error(q.number.span(), "the question number is empty"));
    }
    let ask = ask(ctx, &q, parent)?;
    let mut parts = Vec::new();
    for p in &q.part {
        if let Some(nested) = p.part.first() {
            return Err(ctx.error(
                nested.number.span(),
                "a part cannot have parts of its own; make it a separate question",
            ));
        }
        // Parts inherit the parent's indicator, filter and breakdown.
        let p = QuestionFile {
            number: p.number.clone(),
            text: p.text.clone(),
            indicator: p.indicator.clone(),
            periods: p.periods.clone(),
            filter: p.filter.clone(),
            breakdown: p.breakdown.clone(),
            age_range: p.age_range,
            bands: p.bands.clone(),
            topic: p.topic.clone(),
            estimate_hours: p.estimate_hours,
            part: vec![],
        };
        parts.push(question(ctx, p, Some(&q))?);
    }
    if ask.is_none() && parts.is_empty() && !ctx.working {
        return Err(ctx.error(
            q.number.span(),
            format!(
                "question {number} asks for nothing: give it an indicator and periods, a topic, or parts"
            ),
        ));
    }
    Ok(Question {
        number,
        text: q.text.trim().to_string(),
        ask,
        parts,
        estimate_hours: q.estimate_hours,
    })
}

fn ask(
    ctx: &Ctx,
    q: &QuestionFile,
    parent: Option<&QuestionFile>,
) -> Result<Option<Ask>, RequestError> {
    if let Some(topic) = &q.topic {
        if q.indicator.is_some() {
            return Err(ctx.error(
                topic.span(),
                "a question asks for a topic or an indicator, not both",
            ));
        }
        let topic = check_topic(topic.get_ref()).map_err(|m| ctx.error(topic.span(), m))?;
        return Ok(Some(Ask::Statement { topic }));
    }
    let inherited = parent.filter(|_| !q.periods.is_empty());
    let indicator = q
        .indicator
        .as_ref()
        .or_else(|| inherited.and_then(|p| p.indicator.as_ref()));
    let Some(indicator_code) = indicator else {
        if let Some(p) = q.periods.first() {
            return Err(ctx.error(
                p.span(),
                "periods are given but no indicator; add indicator = \"…\"",
            ));
        }
        return Ok(None);
    };
    let indicator = ctx
        .catalogue
        .indicator(indicator_code.get_ref())
        .map_err(|e| ctx.error(indicator_code.span(), e.to_string()))?;
    if q.periods.is_empty() && !q.part.is_empty() {
        // A heading: its parts give the periods and inherit the indicator.
        return Ok(None);
    }
    if q.periods.is_empty() && !ctx.working {
        return Err(ctx.error(
            indicator_code.span(),
            format!(
                "question {} names an indicator but no periods; add periods = [\"2016/17\"]",
                q.number.get_ref()
            ),
        ));
    }
    let mut periods = Vec::new();
    for p in &q.periods {
        periods.push(Period::parse(p.get_ref()).map_err(|e| ctx.error(p.span(), e.to_string()))?);
    }
    let mut filter = Breakdown::total();
    let filters = [inherited.and_then(|p| p.filter.as_ref()), q.filter.as_ref()];
    for table in filters.into_iter().flatten() {
        for (dim, value) in table.get_ref() {
            let members = filter_members(value).ok_or_else(|| {
                ctx.error(
                    table.span(),
                    format!(
                        "filter '{dim}' must be a value or a list of values such as [\"alcohol_only\", \"opiate\"]"
                    ),
                )
            })?;
            let dimension = ctx
                .catalogue
                .dimension(dim)
                .map_err(|e| ctx.error(table.span(), e.to_string()))?;
            let mut codes: Vec<String> = Vec::new();
            for member in &members {
                let code = ctx
                    .catalogue
                    .breakdown_value(indicator, dim, member)
                    .map_err(|e| ctx.error(table.span(), format!("filter '{dim}': {e}")))?;
                if code == "*" && members.len() > 1 {
                    return Err(ctx.error(
                        table.span(),
                        format!("filter '{dim}': '*' cannot be one of several values; give the values or '*' alone"),
                    ));
                }
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            // A union is kept in the catalogue's order, so the same values
            // asked in another order are the same cut.
            codes.sort_by_key(|c| (dimension.position(c), c.clone()));
            filter
                .0
                .insert(dimension.code.clone(), codes.join(&UNION.to_string()));
        }
    }
    let mut breakdown = Vec::new();
    let inherited_breakdown = inherited.map(|p| p.breakdown.as_slice()).unwrap_or(&[]);
    for b in inherited_breakdown.iter().chain(&q.breakdown) {
        let dim = ctx
            .catalogue
            .dimension(b.get_ref())
            .map_err(|e| ctx.error(b.span(), e.to_string()))?;
        if !indicator.breakdowns.contains(&dim.code) {
            return Err(ctx.error(
                b.span(),
                format!(
                    "indicator '{}' cannot be broken down by '{}'",
                    indicator.code, dim.code
                ),
            ));
        }
        if filter.get(&dim.code).is_some() {
            return Err(ctx.error(
                b.span(),
                format!("'{}' is both a filter and a breakdown", dim.code),
            ));
        }
        if !breakdown.contains(&dim.code) {
            breakdown.push(dim.code.clone());
        }
    }
    let own_bands = if q.bands.is_empty() {
        inherited.map(|p| p.bands.as_slice()).unwrap_or(&[])
    } else {
        q.bands.as_slice()
    };
    let bands = bands(ctx, indicator, own_bands, &filter)?;
    if !bands.is_empty() && !breakdown.iter().any(|b| b == AGE_BAND) {
        breakdown.push(AGE_BAND.to_string());
    }
    let age_range = q.age_range || inherited.is_some_and(|p| p.age_range);
    if age_range && !breakdown.iter().any(|b| b == "age_band") {
        if !indicator.breakdowns.iter().any(|b| b == "age_band") {
            return Err(ctx.error(
                indicator_code.span(),
                format!(
                    "age_range needs an indicator with an age_band breakdown; '{}' has none",
                    indicator.code
                ),
            ));
        }
        breakdown.push("age_band".to_string());
    }
    Ok(Some(Ask::Figures(FigureAsk {
        indicator: indicator.code.clone(),
        periods,
        filter,
        breakdown,
        age_range,
        bands,
    })))
}

/// The values a filter asks for: one value, a union spelled `a|b`, or a
/// list of values (a union, "alcohol or opiates"); `None` when it is
/// neither, or names no value.
fn filter_members(value: &toml::Value) -> Option<Vec<String>> {
    let texts: Vec<&str> = match value {
        toml::Value::String(s) => vec![s.as_str()],
        toml::Value::Array(items) => items
            .iter()
            .map(toml::Value::as_str)
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    let members: Vec<String> = texts
        .iter()
        .flat_map(|t| t.split(UNION))
        .map(|m| m.trim().to_string())
        .collect();
    (!members.is_empty() && members.iter().all(|m| !m.is_empty())).then_some(members)
}

/// The requester's own age bands as age-band codes: a catalogue value
/// (`under 25`, `50+`) or a span of ages (`18-22`, `18 to 22`, `50+`,
/// `50 and over`); none may overlap another.
fn bands(
    ctx: &Ctx,
    indicator: &crate::catalogue::Indicator,
    given: &[Spanned<String>],
    filter: &Breakdown,
) -> Result<Vec<String>, RequestError> {
    let Some(first) = given.first() else {
        return Ok(Vec::new());
    };
    if !indicator.breakdowns.iter().any(|b| b == AGE_BAND) {
        return Err(ctx.error(
            first.span(),
            format!(
                "bands need an indicator with an age_band breakdown; '{}' has none",
                indicator.code
            ),
        ));
    }
    if filter.get(AGE_BAND).is_some() {
        return Err(ctx.error(
            first.span(),
            "'age_band' is both a filter and the requester's bands; keep one",
        ));
    }
    let dim = ctx
        .catalogue
        .dimension(AGE_BAND)
        .map_err(|e| ctx.error(first.span(), e.to_string()))?;
    let mut out: Vec<(String, AgeSpan)> = Vec::new();
    for b in given {
        let text = b.get_ref().trim();
        let code = match dim.value(text) {
            Some(v) => v.code.clone(),
            None => {
                let spelled = text
                    .replace(" to ", "-")
                    .replace(" and over", "+")
                    .replace(' ', "");
                match AgeSpan::parse(&spelled) {
                    Some(span) => dim
                        .value(&span.code())
                        .map(|v| v.code.clone())
                        .unwrap_or_else(|| span.code()),
                    None => {
                        return Err(ctx.error(
                            b.span(),
                            format!(
                                "'{text}' is not an age band; write a span of ages such as \"18-29\" or \"50+\", or a band of the catalogue"
                            ),
                        ));
                    }
                }
            }
        };
        let leaves = dim.leaves_of(&code);
        let spans: Vec<AgeSpan> = leaves.iter().filter_map(|l| AgeSpan::parse(l)).collect();
        let span = AgeSpan::parse(&code).or_else(|| {
            (spans.len() == leaves.len() && !spans.is_empty()).then(|| AgeSpan {
                low: spans.iter().map(|s| s.low).min().unwrap_or(0),
                high: if spans.iter().any(|s| s.high.is_none()) {
                    None
                } else {
                    spans.iter().filter_map(|s| s.high).max()
                },
            })
        });
        let Some(span) = span else {
            return Err(ctx.error(
                b.span(),
                format!("'{text}' is not a span of ages; write one such as \"18-29\""),
            ));
        };
        if let Some((other, _)) = out.iter().find(|(_, s)| s.overlaps(span)) {
            return Err(ctx.error(
                b.span(),
                format!(
                    "band '{text}' overlaps band '{other}': a table's bands must not overlap; change one of them"
                ),
            ));
        }
        out.push((code, span));
    }
    Ok(out.into_iter().map(|(c, _)| c).collect())
}

/// The comment [`to_toml`] writes under a question that asks for nothing
/// yet (a working copy's question not understood).
const TO_DECIDE: &str =
    "# Not understood yet: give it an indicator and periods, or a topic (or set it aside).\n";

/// Write a request in the structured request file format, so that
/// [`parse_request`] reads back the same request. Used to keep what Lantern
/// understood from an e-mail as a file an officer can read and correct.
pub fn to_toml(request: &Request) -> String {
    fn esc(s: &str) -> String {
        toml::Value::String(s.to_string()).to_string()
    }
    fn ask_lines(out: &mut String, ask: &Option<Ask>) {
        match ask {
            Some(Ask::Statement { topic }) => out.push_str(&format!("topic = {}\n", esc(topic))),
            Some(Ask::Figures(f)) => {
                out.push_str(&format!("indicator = {}\n", esc(&f.indicator)));
                let periods: Vec<String> = f.periods.iter().map(|p| esc(&p.to_string())).collect();
                out.push_str(&format!("periods = [{}]\n", periods.join(", ")));
                if !f.filter.0.is_empty() {
                    let pairs: Vec<String> = f
                        .filter
                        .0
                        .iter()
                        .map(|(d, v)| {
                            if v.contains(UNION) {
                                let members: Vec<String> = v.split(UNION).map(esc).collect();
                                format!("{d} = [{}]", members.join(", "))
                            } else {
                                format!("{d} = {}", esc(v))
                            }
                        })
                        .collect();
                    out.push_str(&format!("filter = {{ {} }}\n", pairs.join(", ")));
                }
                let breakdown: Vec<&String> = f
                    .breakdown
                    .iter()
                    .filter(|b| !(f.age_range && *b == "age_band"))
                    .collect();
                if !breakdown.is_empty() {
                    let b: Vec<String> = breakdown.iter().map(|b| esc(b)).collect();
                    out.push_str(&format!("breakdown = [{}]\n", b.join(", ")));
                }
                if f.age_range {
                    out.push_str("age_range = true\n");
                }
                if !f.bands.is_empty() {
                    let b: Vec<String> = f.bands.iter().map(|b| esc(b)).collect();
                    out.push_str(&format!("bands = [{}]\n", b.join(", ")));
                }
            }
            None => {}
        }
    }
    let mut out = String::new();
    out.push_str(&format!("reference = {}\n", esc(&request.reference)));
    out.push_str(&format!("received = {}\n", request.received));
    if let Some(a) = request.answered {
        out.push_str(&format!("answered = {a}\n"));
    }
    if let Some(r) = &request.requester_reference {
        out.push_str(&format!("requester_reference = {}\n", esc(r)));
    }
    if let Some(a) = &request.area {
        out.push_str(&format!("area = {}\n", esc(a)));
    }
    if request.wants_spreadsheet {
        out.push_str("spreadsheet = true\n");
    }
    for q in &request.questions {
        out.push_str(&format!(
            "\n[[question]]\nnumber = {}\ntext = {}\n",
            esc(&q.number),
            esc(&q.text)
        ));
        if q.ask.is_none() && q.parts.is_empty() {
            out.push_str(TO_DECIDE);
        }
        ask_lines(&mut out, &q.ask);
        if let Some(h) = q.estimate_hours {
            out.push_str(&format!("estimate_hours = {h}\n"));
        }
        for p in &q.parts {
            out.push_str(&format!(
                "\n[[question.part]]\nletter = {}\ntext = {}\n",
                esc(&p.number),
                esc(&p.text)
            ));
            if p.ask.is_none() {
                out.push_str(TO_DECIDE);
            }
            ask_lines(&mut out, &p.ask);
            if let Some(h) = p.estimate_hours {
                out.push_str(&format!("estimate_hours = {h}\n"));
            }
        }
    }
    for s in &request.set_aside {
        out.push_str("\n# Not taken as a question.\n[[set_aside]]\n");
        if let Some(n) = &s.number {
            out.push_str(&format!("number = {}\n", esc(n)));
        }
        out.push_str(&format!(
            "text = {}\nreason = {}\n",
            esc(&s.text),
            esc(&s.reason)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::shipped;

    #[test]
    fn a_request_written_out_reads_back_the_same() {
        for text in [
            GOOD,
            include_str!("../../../examples/leicester/requests/seed-000.toml"),
            include_str!("../../../examples/leicester/requests/seed-002.toml"),
            include_str!("../../../examples/leicester/requests/seed-003.toml"),
        ] {
            let request = parse_request("r.toml", text, &shipped()).unwrap();
            let again = parse_request("again.toml", &to_toml(&request), &shipped()).unwrap();
            assert_eq!(again, request);
        }
    }

    const GOOD: &str = r#"
reference = "FOI-1"
received = 2019-06-10

[[question]]
number = "1"
text = "How many crack users?"
indicator = "people_in_treatment"
periods = ["2018/19", "2017-18"]
filter = { crack = "crack" }

[[question]]
number = "3"
text = "What budget?"
indicator = "budget"
filter = { service = "community" }

[[question.part]]
letter = "a"
text = "2014 - 15"
periods = ["2014 - 15"]
"#;

    #[test]
    fn parts_inherit_the_parents_indicator_and_filter() {
        let r = parse_request("r.toml", GOOD, &shipped()).unwrap();
        assert_eq!(r.received, Date::constant(2019, 6, 10));
        assert_eq!(r.questions.len(), 2);
        let Some(Ask::Figures(part)) = &r.questions[1].parts[0].ask else {
            panic!("part has no ask")
        };
        assert_eq!(part.indicator, "budget");
        assert_eq!(part.filter.get("service"), Some("community_treatment"));
        assert_eq!(part.periods, vec![Period::financial_year(2014).unwrap()]);
    }

    #[test]
    fn the_requesters_own_bands_and_a_spreadsheet_are_read_and_written_back() {
        let text = "reference = \"FOI-1\"\nreceived = 2019-06-10\nspreadsheet = true\n\n[[question]]\nnumber = \"1\"\ntext = \"By age\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"18-29\", \"30 to 49\", \"50 and over\", \"16-17\"]\n";
        let r = parse_request("r.toml", text, &shipped()).unwrap();
        assert!(r.wants_spreadsheet);
        let Some(Ask::Figures(f)) = &r.questions[0].ask else {
            panic!("no figures")
        };
        // Catalogue values keep their codes; other spans are written as spans.
        assert_eq!(f.bands, ["18-29", "30-49", "50+", "16-17"]);
        assert_eq!(f.breakdown, ["age_band"]);
        let again = parse_request("again.toml", &to_toml(&r), &shipped()).unwrap();
        assert_eq!(again, r);
    }

    #[test]
    fn a_filter_may_be_a_union_of_values_in_either_spelling() {
        let text = |filter: &str| {
            format!(
                "reference = \"FOI-1\"\nreceived = 2019-06-10\n[[question]]\nnumber = \"1\"\ntext = \"Alcohol or opiates\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nfilter = {{ substance_group = {filter} }}\n"
            )
        };
        for filter in [
            "[\"alcohol_only\", \"opiate\"]",
            "[\"opiates\", \"alcohol\", \"opiate\"]",
            "\"alcohol_only|opiate\"",
            "\"opiate | alcohol\"",
        ] {
            let r = parse_request("r.toml", &text(filter), &shipped()).unwrap();
            let Some(Ask::Figures(f)) = &r.questions[0].ask else {
                panic!("no figures")
            };
            // Aliases read as their codes, duplicates dropped, in the
            // catalogue's order whatever the requester's.
            assert_eq!(
                f.filter.get("substance_group"),
                Some("opiate|alcohol_only"),
                "{filter}"
            );
            let written = to_toml(&r);
            assert!(
                written.contains("filter = { substance_group = [\"opiate\", \"alcohol_only\"] }"),
                "{written}"
            );
            assert_eq!(
                parse_request("again.toml", &written, &shipped()).unwrap(),
                r
            );
        }
        let err =
            parse_request("r.toml", &text("[\"alcohol\", \"cannabis\"]"), &shipped()).unwrap_err();
        assert_eq!((err.line, err.column), (8, 10), "{err}");
        assert!(
            err.message
                .contains("'cannabis' is not a value of breakdown 'substance_group'"),
            "{err}"
        );
        for bad in ["[]", "\"opiate|\"", "[\"opiate\", 3]", "3"] {
            let err = parse_request("r.toml", &text(bad), &shipped()).unwrap_err();
            assert_eq!(err.line, 8, "{bad}: {err}");
            assert!(err.message.contains("list of values"), "{bad}: {err}");
        }
        let err = parse_request("r.toml", &text("[\"*\", \"opiate\"]"), &shipped()).unwrap_err();
        assert!(
            err.message.contains("'*' cannot be one of several"),
            "{err}"
        );
    }

    #[test]
    fn bands_that_overlap_or_are_not_ages_are_located() {
        let text = |bands: &str| {
            format!(
                "reference = \"FOI-1\"\nreceived = 2019-06-10\n[[question]]\nnumber = \"1\"\ntext = \"By age\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [{bands}]\n"
            )
        };
        let err =
            parse_request("r.toml", &text("\"18-29\", \"under 25\""), &shipped()).unwrap_err();
        assert_eq!((err.line, err.column), (8, 19), "{err}");
        assert!(err.message.contains("overlaps band '18-29'"), "{err}");
        let err = parse_request("r.toml", &text("\"young people\""), &shipped()).unwrap_err();
        assert_eq!((err.line, err.column), (8, 10), "{err}");
        assert!(err.message.contains("not an age band"), "{err}");
        let budget = text("\"18-29\"").replace("people_in_treatment", "budget");
        let err = parse_request("r.toml", &budget, &shipped()).unwrap_err();
        assert!(err.message.contains("age_band breakdown"), "{err}");
    }

    #[test]
    fn control_characters_are_refused_at_their_place() {
        let cat = crate::catalogue::shipped();
        for (text, at) in [
            (
                "reference = \"FOI-1\"\nreceived = \"2019-06-10\"\n[[question]]\nnumber = \"1\"\ntext = \"How many\\u0000?\"\n",
                (5, 17),
            ),
            ("reference = \"FOI-1\\b\"\n", (1, 19)),
            ("reference = \"FOI-1\"\n# a comment \u{7}\n", (2, 13)),
        ] {
            let err = parse_request("r.toml", text, &cat).unwrap_err();
            assert_eq!((err.line, err.column), at, "{err}");
            assert!(err.message.contains("control character U+00"), "{err}");
        }
        // Tabs and line breaks written as escapes are text.
        let ok = "reference = \"FOI-1\"\nreceived = \"2019-06-10\"\n[[question]]\nnumber = \"1\"\ntext = \"How\\tmany\\n?\"\ntopic = \"naloxone.purchaser\"\n";
        assert!(
            parse_request("r.toml", ok, &cat).is_ok(),
            "{:?}",
            parse_request("r.toml", ok, &cat).err()
        );
    }

    #[test]
    fn unknown_indicators_and_impossible_periods_are_located() {
        let bad = GOOD.replace("\"people_in_treatment\"", "\"people_in_treatmnt\"");
        let err = parse_request("r.toml", &bad, &shipped()).unwrap_err();
        assert_eq!((err.line, err.column), (8, 13));
        assert!(
            err.message.contains("did you mean people_in_treatment"),
            "{err}"
        );
        let bad = GOOD.replace("2017-18", "2017-19");
        let err = parse_request("r.toml", &bad, &shipped()).unwrap_err();
        assert_eq!(err.line, 9);
        assert!(err.message.contains("2017/18"), "{err}");
        let bad = GOOD.replace("received = 2019-06-10", "received = \"June\"");
        assert!(
            parse_request("r.toml", &bad, &shipped())
                .unwrap_err()
                .message
                .contains("YYYY-MM-DD")
        );
        let bad = GOOD.replace("crack = \"crack\"", "crack = \"heroin\"");
        assert!(parse_request("r.toml", &bad, &shipped()).is_err());
    }
}
