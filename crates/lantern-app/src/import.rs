//! Importers: read figures, statements and releases files (CSV, long
//! format) into domain values, checking every row against the catalogue.
//!
//! A file is read whole before anything is stored: every problem is
//! collected with its line, column and field, and a file with any problem
//! imports nothing. Formats are documented in `docs/formats/`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use jiff::civil::Date;
use lantern_core::catalogue::{Catalogue, nearest};
use lantern_core::figure::{self, Breakdown, Figure, Provenance, Qualifier, Source, Status, Value};
use lantern_core::period::Period;
use lantern_core::release::Release;
use lantern_core::statement::{self, Statement};

/// One problem in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line (the header is line 1).
    pub line: u64,
    /// 1-based column (field number), if the problem is in one field.
    pub column: Option<usize>,
    /// The column's name.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

/// Every problem found in a file; nothing from it was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileProblems {
    /// The file as named by the user.
    pub file: String,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

/// How many problems to print before summarising.
const SHOWN_PROBLEMS: usize = 20;

/// How many characters of a cell a message quotes.
const QUOTED_CHARS: usize = 40;

/// The longest cell accepted in a column that holds a code, a period, a
/// date or a number (free-text columns are not limited here).
const MAX_CODE_CHARS: usize = 200;

/// How many control-character problems are listed before the file is
/// refused.
const MAX_CONTROL_PROBLEMS: usize = 100;

/// A cell as a message quotes it: whole when short, else its first
/// [`QUOTED_CHARS`] characters then `… (N characters)`.
pub fn quote(cell: &str) -> String {
    let mut chars = cell.char_indices();
    match chars.nth(QUOTED_CHARS) {
        None => cell.to_string(),
        Some((cut, _)) => {
            let n = cell.chars().count();
            format!("{}… ({n} characters)", &cell[..cut])
        }
    }
}

/// A message with every quoted span (`'…'`) longer than [`QUOTED_CHARS`]
/// shortened as [`quote`] does, and `cell` shortened wherever it appears:
/// the core's messages quote what they were given, whole.
fn bounded(message: String, cell: Option<&str>) -> String {
    let message = match cell {
        Some(cell) if cell.chars().count() > QUOTED_CHARS && message.contains(cell) => {
            message.replace(cell, &quote(cell))
        }
        _ => message,
    };
    // Long quoted spans that are parts of a cell (one period of a list).
    let mut out = String::new();
    let mut rest = message.as_str();
    while let Some(open) = rest.find('\'') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        match rest.find('\'') {
            Some(close) => {
                let span = &rest[..close];
                // A span shortened already ends "… (N characters)".
                if span.ends_with(" characters)") && span.contains("… (") {
                    out.push_str(span);
                } else {
                    out.push_str(&quote(span));
                }
                out.push('\'');
                rest = &rest[close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    // Whatever is left: a message is never longer than this.
    let limit = 4 * QUOTED_CHARS + 400;
    if out.chars().count() > limit {
        let cut = out.char_indices().nth(limit).map_or(out.len(), |(i, _)| i);
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// The first control character in a cell that text may not hold (NUL and
/// the rest, except tab and line breaks), with the line it is on, counted
/// from the cell's first line.
fn control_character(cell: &str) -> Option<(char, usize, u64)> {
    let mut lines = 0;
    for (i, ch) in cell.chars().enumerate() {
        if ch == '\n' {
            lines += 1;
        }
        if ch.is_control() && !matches!(ch, '\t' | '\n' | '\r') {
            return Some((ch, i + 1, lines));
        }
    }
    None
}

/// How a message names a control character: `U+0000`.
fn control_name(ch: char) -> String {
    format!("U+{:04X}", u32::from(ch))
}

impl fmt::Display for FileProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{} has {n} problem{}; nothing from it was imported:",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems.iter().take(SHOWN_PROBLEMS) {
            match (p.column, &p.field) {
                (Some(c), Some(name)) => {
                    writeln!(f, "  {}:{}:{c}: {name}: {}", self.file, p.line, p.message)?
                }
                _ => writeln!(f, "  {}:{}: {}", self.file, p.line, p.message)?,
            }
        }
        if n > SHOWN_PROBLEMS {
            writeln!(f, "  … and {} more", n - SHOWN_PROBLEMS)?;
        }
        write!(f, "Fix the file and import it again.")
    }
}

/// A CSV file's header and rows, with line numbers.
struct Table {
    file: String,
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read_table(file: &str, bytes: &[u8], progress: &dyn Fn(u64)) -> Result<Table, FileProblems> {
    let fail = |line: u64, message: String| FileProblems {
        file: file.to_string(),
        problems: vec![Problem {
            line,
            column: None,
            field: None,
            message,
        }],
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        fail(
            line,
            "the file is not UTF-8 text; save it as CSV UTF-8".into(),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(1, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(fail(1, "the file is empty; it needs a header row".into()));
    }
    let mut problems = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if let Some((ch, at, _)) = control_character(h) {
            problems.push(Problem {
                line: 1,
                column: Some(i + 1),
                field: None,
                message: format!(
                    "the column name holds the control character {} at character {at}; \
                     remove it",
                    control_name(ch)
                ),
            });
        } else if let Some(first) = header[..i].iter().position(|other| other == h) {
            problems.push(Problem {
                line: 1,
                column: Some(i + 1),
                field: Some(quote(h)),
                message: format!(
                    "the column '{}' is given twice (columns {} and {}); a column may \
                     appear once",
                    quote(h),
                    first + 1,
                    i + 1
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(FileProblems {
            file: file.to_string(),
            problems,
        });
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let pos = record
                    .position()
                    .map(|p| (p.line(), p.byte()))
                    .unwrap_or((0, 0));
                progress(pos.1);
                if record.iter().all(|f| f.is_empty()) {
                    continue;
                }
                // NUL and other control characters: refused on every
                // engine alike (PostgreSQL cannot store NUL in text).
                for (i, cell) in record.iter().enumerate() {
                    if problems.len() >= MAX_CONTROL_PROBLEMS {
                        break;
                    }
                    if let Some((ch, at, lines)) = control_character(cell) {
                        problems.push(Problem {
                            line: pos.0 + lines,
                            column: Some(i + 1),
                            field: header.get(i).map(|h| quote(h)),
                            message: format!(
                                "holds the control character {} at character {at}; text may \
                                 hold tabs and line breaks but no other control characters: \
                                 remove it",
                                control_name(ch)
                            ),
                        });
                    }
                }
                rows.push((pos.0, record.clone()));
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "this row has {len} fields but the header has {expected_len}; check for a missing or extra comma, or quote text containing commas"
                    ),
                    _ => e.to_string(),
                };
                return Err(fail(line, message));
            }
        }
    }
    if !problems.is_empty() {
        return Err(FileProblems {
            file: file.to_string(),
            problems,
        });
    }
    Ok(Table {
        file: file.to_string(),
        header,
        rows,
    })
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Refuse columns that are not among `known` (a misspelt optional column
    /// would otherwise be silently ignored).
    fn only(&self, known: &[&str]) -> Result<(), FileProblems> {
        let problems: Vec<Problem> = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| !known.contains(&h.as_str()))
            .map(|(i, h)| {
                let names: Vec<String> = known.iter().map(|k| k.to_string()).collect();
                let hint = nearest(h, names.iter());
                Problem {
                    line: 1,
                    column: Some(i + 1),
                    field: Some(quote(h)),
                    message: format!(
                        "'{}' is not a column of this file{}; the columns are: {}",
                        quote(h),
                        if hint.is_empty() {
                            String::new()
                        } else {
                            format!(" (did you mean {}?)", hint.join(", "))
                        },
                        known.join(", ")
                    ),
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(FileProblems {
                file: self.file.clone(),
                problems,
            })
        }
    }

    fn require(&self, names: &[&str]) -> Result<(), FileProblems> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.column(n).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(FileProblems {
            file: self.file.clone(),
            problems: vec![Problem {
                line: 1,
                column: None,
                field: None,
                message: format!(
                    "the header lacks the column{} {}; the header must name: {}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    names.join(", ")
                ),
            }],
        })
    }
}

/// Collects problems for one file.
struct Checker<'a> {
    table: &'a Table,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn field<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.table
            .column(name)
            .and_then(|i| record.get(i))
            .unwrap_or("")
    }

    fn problem(&mut self, line: u64, name: Option<&str>, message: impl Into<String>) {
        let column = name.and_then(|n| self.table.column(n));
        // The cell, to shorten wherever the message quotes it.
        let cell = column.and_then(|c| {
            let row = self
                .table
                .rows
                .binary_search_by_key(&line, |(l, _)| *l)
                .ok()?;
            self.table.rows.get(row)?.1.get(c)
        });
        self.problems.push(Problem {
            line,
            column: column.map(|i| i + 1),
            field: name.map(str::to_string),
            message: bounded(message.into(), cell),
        });
    }

    /// Refuse cells longer than [`MAX_CODE_CHARS`] in every column but the
    /// free-text ones (before anything tries to read them as codes); true
    /// if the row had one.
    fn too_long(&mut self, line: u64, record: &csv::StringRecord, free_text: &[&str]) -> bool {
        let mut found = false;
        for (i, cell) in record.iter().enumerate() {
            let Some(name) = self.table.header.get(i) else {
                continue;
            };
            if free_text.contains(&name.as_str()) || cell.len() <= MAX_CODE_CHARS {
                continue;
            }
            let n = cell.chars().count();
            if n > MAX_CODE_CHARS {
                found = true;
                let name = name.clone();
                self.problem(
                    line,
                    Some(&name),
                    format!(
                        "'{}' is too long for the column {name} ({n} characters; at \
                         most {MAX_CODE_CHARS})",
                        quote(cell)
                    ),
                );
            }
        }
        found
    }

    fn finish<T>(self, value: T) -> Result<T, FileProblems> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(FileProblems {
                file: self.table.file.clone(),
                problems: self.problems,
            })
        }
    }
}

/// The columns every figures file has; any other column must be a dimension.
const FIGURE_COLUMNS: [&str; 10] = [
    "indicator",
    "area",
    "period",
    "value",
    "qualifier",
    "reason",
    "coverage",
    "source",
    "status",
    "note",
];

/// Who is importing, for provenance.
#[derive(Debug, Clone)]
pub struct Importer {
    /// The user.
    pub actor: String,
    /// When (RFC 3339).
    pub at: String,
}

/// Read a figures file.
pub fn figures(
    file: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
    who: &Importer,
    progress: &dyn Fn(u64),
) -> Result<Vec<Figure>, FileProblems> {
    let table = read_table(file, bytes, progress)?;
    table.require(&["indicator", "area", "period", "value", "source"])?;
    let mut check = Checker {
        table: &table,
        problems: vec![],
    };
    let dimension_codes: Vec<String> = catalogue.dimensions().map(|d| d.code.clone()).collect();
    let mut dimension_columns = Vec::new();
    for (i, h) in table.header.iter().enumerate() {
        if FIGURE_COLUMNS.contains(&h.as_str()) {
            continue;
        }
        if dimension_codes.contains(h) {
            dimension_columns.push(h.clone());
        } else {
            let mut known: Vec<String> = FIGURE_COLUMNS.iter().map(|s| s.to_string()).collect();
            known.extend(dimension_codes.iter().cloned());
            let hint = nearest(h, known.iter());
            check.problems.push(Problem {
                line: 1,
                column: Some(i + 1),
                field: Some(quote(h)),
                message: format!(
                    "'{}' is neither a figures column nor a breakdown dimension{}",
                    quote(h),
                    if hint.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", hint.join(", "))
                    }
                ),
            });
        }
    }
    let mut out = Vec::new();
    let mut seen: HashMap<(String, String, String, String, &'static str), u64> = HashMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        if check.too_long(line, record, &["reason", "coverage", "note"]) {
            continue;
        }
        let before = check.problems.len();
        let indicator_code = check.field(record, "indicator").to_string();
        let indicator = match catalogue.indicator(&indicator_code) {
            Ok(i) => Some(i),
            Err(e) => {
                check.problem(line, Some("indicator"), e.to_string());
                None
            }
        };
        let area = figure::check_area(check.field(record, "area"))
            .map_err(|m| check.problem(line, Some("area"), m))
            .ok();
        let period = Period::parse(check.field(record, "period"))
            .map_err(|e| check.problem(line, Some("period"), e.to_string()))
            .ok();
        let qualifier = Qualifier::parse(check.field(record, "qualifier"))
            .map_err(|m| check.problem(line, Some("qualifier"), m))
            .ok();
        let source = Source::parse(check.field(record, "source"))
            .map_err(|m| check.problem(line, Some("source"), m))
            .ok();
        let status = Status::parse(check.field(record, "status"))
            .map_err(|m| check.problem(line, Some("status"), m))
            .ok();
        let mut breakdown = Breakdown::total();
        if let Some(ind) = indicator {
            for dim in &dimension_columns {
                let v = check.field(record, dim).to_string();
                if v.is_empty() {
                    continue;
                }
                match catalogue.breakdown_value(ind, dim, &v) {
                    Ok(code) => {
                        breakdown.0.insert(dim.clone(), code);
                    }
                    Err(e) => check.problem(line, Some(dim), e.to_string()),
                }
            }
        }
        let value = match (indicator, qualifier) {
            (Some(ind), Some(q)) => Value::parse(
                check.field(record, "value"),
                q,
                check.field(record, "reason"),
                ind.unit,
            )
            .map_err(|m| {
                let field = if m.contains("'reason'") {
                    "reason"
                } else {
                    "value"
                };
                check.problem(line, Some(field), m)
            })
            .ok(),
            _ => None,
        };
        if let Some(v) = &value
            && breakdown.0.values().any(|b| b == "*")
            && !matches!(v, Value::NotHeld { .. })
        {
            check.problem(
                line,
                None,
                "'*' (every value) may only be used on not_held rows",
            );
        }
        if check.problems.len() > before {
            continue;
        }
        let (Some(ind), Some(area), Some(period), Some(value), Some(source), Some(status)) =
            (indicator, area, period, value, source, status)
        else {
            continue;
        };
        let coverage = check
            .field(record, "coverage")
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let note = Some(check.field(record, "note").to_string()).filter(|n| !n.is_empty());
        let f = Figure {
            indicator: ind.code.clone(),
            area,
            period,
            breakdown,
            value,
            source,
            status,
            coverage,
            note,
            provenance: Provenance {
                import: 0,
                file: file.to_string(),
                line,
                actor: who.actor.clone(),
                imported_at: who.at.clone(),
            },
        };
        if let Some(first) = seen.insert(f.key(), line) {
            check.problem(
                line,
                None,
                format!("this figure repeats line {first} (same indicator, area, period, breakdown and source)"),
            );
            continue;
        }
        out.push(f);
    }
    check.finish(out)
}

fn parse_date_field(
    check: &mut Checker,
    line: u64,
    name: &str,
    text: &str,
) -> Option<Option<Date>> {
    if text.is_empty() {
        return Some(None);
    }
    match text.parse::<Date>() {
        Ok(d) => Some(Some(d)),
        Err(_) => {
            check.problem(
                line,
                Some(name),
                format!("'{text}' is not a date; write YYYY-MM-DD"),
            );
            None
        }
    }
}

/// Read a statements file.
pub fn statements(
    file: &str,
    bytes: &[u8],
    who: &Importer,
    progress: &dyn Fn(u64),
) -> Result<Vec<Statement>, FileProblems> {
    let table = read_table(file, bytes, progress)?;
    table.require(&["topic", "area", "text"])?;
    table.only(&["topic", "area", "text", "valid_from", "valid_to", "source"])?;
    let mut check = Checker {
        table: &table,
        problems: vec![],
    };
    let mut out = Vec::new();
    let mut seen: BTreeMap<(String, String, Option<Date>), u64> = BTreeMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        if check.too_long(line, record, &["text", "source"]) {
            continue;
        }
        let before = check.problems.len();
        let topic = statement::check_topic(check.field(record, "topic"))
            .map_err(|m| check.problem(line, Some("topic"), m))
            .ok();
        let area = figure::check_area(check.field(record, "area"))
            .map_err(|m| check.problem(line, Some("area"), m))
            .ok();
        let text = check.field(record, "text").to_string();
        if text.is_empty() {
            check.problem(line, Some("text"), "the statement's text is empty");
        }
        let from_text = check.field(record, "valid_from").to_string();
        let to_text = check.field(record, "valid_to").to_string();
        let from = parse_date_field(&mut check, line, "valid_from", &from_text);
        let to = parse_date_field(&mut check, line, "valid_to", &to_text);
        if let (Some(Some(f)), Some(Some(t))) = (from, to)
            && t < f
        {
            check.problem(line, Some("valid_to"), "valid_to is before valid_from");
        }
        if check.problems.len() > before {
            continue;
        }
        let (Some(topic), Some(area), Some(from), Some(to)) = (topic, area, from, to) else {
            continue;
        };
        if let Some(first) = seen.insert((topic.clone(), area.clone(), from), line) {
            check.problem(
                line,
                None,
                format!("this statement repeats line {first} (same topic, area and valid_from)"),
            );
            continue;
        }
        let source = Some(check.field(record, "source").to_string()).filter(|s| !s.is_empty());
        out.push(Statement {
            topic,
            area,
            text,
            valid_from: from,
            valid_to: to,
            source,
            provenance: Provenance {
                import: 0,
                file: file.to_string(),
                line,
                actor: who.actor.clone(),
                imported_at: who.at.clone(),
            },
        });
    }
    check.finish(out)
}

/// Read the register of treatment providers (`code,name,area`; see
/// docs/formats/episodes.md). Returns each agency with its line.
pub fn agencies(
    file: &str,
    bytes: &[u8],
    progress: &dyn Fn(u64),
) -> Result<Vec<(u64, lantern_core::records::Agency)>, FileProblems> {
    let table = read_table(file, bytes, progress)?;
    table.require(&["code", "name"])?;
    table.only(&["code", "name", "area"])?;
    let mut check = Checker {
        table: &table,
        problems: vec![],
    };
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        if check.too_long(line, record, &["name"]) {
            continue;
        }
        let code = check.field(record, "code").trim().to_string();
        let valid_code =
            !code.is_empty() && code.len() <= 16 && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid_code {
            check.problem(
                line,
                Some("code"),
                format!("'{code}' is not an agency code: use letters and digits, such as N0852"),
            );
            continue;
        }
        let name = check.field(record, "name").trim().to_string();
        if name.is_empty() {
            check.problem(line, Some("name"), "the agency's name is empty");
            continue;
        }
        let area_text = check.field(record, "area").trim().to_string();
        let area = if area_text.is_empty() {
            None
        } else {
            match figure::check_area(&area_text) {
                Ok(a) => Some(a),
                Err(m) => {
                    check.problem(line, Some("area"), m);
                    continue;
                }
            }
        };
        if let Some(first) = seen.insert(code.clone(), line) {
            check.problem(
                line,
                Some("code"),
                format!("agency {code} is already on line {first}"),
            );
            continue;
        }
        out.push((line, lantern_core::records::Agency { code, name, area }));
    }
    check.finish(out)
}

/// Read a releases file. Returns each release with its line.
pub fn releases(
    file: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
    progress: &dyn Fn(u64),
) -> Result<Vec<(u64, Release)>, FileProblems> {
    let table = read_table(file, bytes, progress)?;
    table.require(&[
        "code",
        "title",
        "publisher",
        "date",
        "indicators",
        "periods",
    ])?;
    table.only(&[
        "code",
        "title",
        "publisher",
        "date",
        "announced",
        "indicators",
        "periods",
        "url",
    ])?;
    let mut check = Checker {
        table: &table,
        problems: vec![],
    };
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for (line, record) in &table.rows {
        let line = *line;
        if check.too_long(line, record, &["title", "publisher", "url"]) {
            continue;
        }
        let before = check.problems.len();
        let code = check.field(record, "code").to_string();
        if code.is_empty() {
            check.problem(line, Some("code"), "the release code is empty");
        }
        let title = check.field(record, "title").to_string();
        if title.is_empty() {
            check.problem(line, Some("title"), "the title is empty");
        }
        let publisher = check.field(record, "publisher").to_string();
        if publisher.is_empty() {
            check.problem(
                line,
                Some("publisher"),
                "name who publishes it (letters cite the publisher)",
            );
        }
        let date_text = check.field(record, "date").to_string();
        let date = match parse_date_field(&mut check, line, "date", &date_text) {
            Some(Some(d)) => Some(d),
            Some(None) => {
                check.problem(line, Some("date"), "a release needs its (planned) date");
                None
            }
            None => None,
        };
        let announced_text = check.field(record, "announced").to_string();
        let announced = parse_date_field(&mut check, line, "announced", &announced_text);
        let mut indicators = Vec::new();
        for code in check
            .field(record, "indicators")
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match catalogue.indicator(code) {
                Ok(i) => indicators.push(i.code.clone()),
                Err(e) => check.problem(line, Some("indicators"), e.to_string()),
            }
        }
        let mut periods = Vec::new();
        for p in check
            .field(record, "periods")
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match Period::parse(p) {
                Ok(p) => periods.push(p),
                Err(e) => check.problem(line, Some("periods"), e.to_string()),
            }
        }
        if indicators.is_empty() && check.problems.len() == before {
            check.problem(
                line,
                Some("indicators"),
                "list the indicators it publishes, separated by |",
            );
        }
        if periods.is_empty() && check.problems.len() == before {
            check.problem(
                line,
                Some("periods"),
                "list the periods it covers, separated by |",
            );
        }
        if check.problems.len() > before {
            continue;
        }
        let (Some(date), Some(announced)) = (date, announced) else {
            continue;
        };
        if let Some(first) = seen.insert(code.clone(), line) {
            check.problem(
                line,
                Some("code"),
                format!("release '{code}' is already on line {first}"),
            );
            continue;
        }
        let url = Some(check.field(record, "url").to_string()).filter(|s| !s.is_empty());
        if let Some(u) = &url
            && !lantern_core::release::is_web_address(u)
        {
            check.problem(
                line,
                Some("url"),
                "write the address where it is published, starting https:// (or http://), \
                 with spaces and quotes percent-encoded, or leave it empty",
            );
            continue;
        }
        out.push((
            line,
            Release {
                code,
                title,
                publisher,
                date,
                announced,
                indicators,
                periods,
                url,
            },
        ));
    }
    check.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Importer {
        Importer {
            actor: "test".into(),
            at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_malformed_row_is_reported_with_line_column_and_field() {
        let csv = "indicator,area,period,crack,value,source\n\
                   people_in_treatment,E06000016,2017/18,crack,44,ndtms_partnership\n\
                   people_in_treatment,E06000016,2017/19,crack,51,ndtms_partnership\n\
                   people_in_treatmnt,E06000016,2016/17,,51,ndtms_partnership\n";
        let err = figures(
            "f.csv",
            csv.as_bytes(),
            &lantern_core::catalogue::shipped(),
            &who(),
            &|_| {},
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 2);
        assert_eq!((err.problems[0].line, err.problems[0].column), (3, Some(3)));
        assert!(err.problems[0].message.contains("2017/18"));
        assert!(
            err.problems[1]
                .message
                .contains("did you mean people_in_treatment")
        );
        assert!(err.to_string().contains("f.csv:3:3: period:"));
    }

    #[test]
    fn unknown_columns_and_ragged_rows_are_errors() {
        let csv = "indicator,area,period,colour,value,source\n";
        let err = figures(
            "f.csv",
            csv.as_bytes(),
            &lantern_core::catalogue::shipped(),
            &who(),
            &|_| {},
        )
        .unwrap_err();
        assert!(err.problems[0].message.contains("'colour'"));
        let csv = "indicator,area,period,value,source\npeople_in_treatment,E06000016,2017/18,44\n";
        let err = figures(
            "f.csv",
            csv.as_bytes(),
            &lantern_core::catalogue::shipped(),
            &who(),
            &|_| {},
        )
        .unwrap_err();
        assert_eq!(err.problems[0].line, 2);
    }

    fn figures_of(csv: &str) -> Result<Vec<Figure>, FileProblems> {
        figures(
            "f.csv",
            csv.as_bytes(),
            &lantern_core::catalogue::shipped(),
            &who(),
            &|_| {},
        )
    }

    #[test]
    fn a_column_given_twice_is_refused_in_every_reader() {
        let err = figures_of(
            "indicator,area,period,value,source,value\n\
             people_in_treatment,E06000016,2017/18,44,ndtms_partnership,45\n",
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert_eq!((err.problems[0].line, err.problems[0].column), (1, Some(6)));
        assert!(
            err.problems[0]
                .message
                .contains("the column 'value' is given twice (columns 4 and 6)"),
            "{err}"
        );
        // Names are compared as the readers match them: trimmed, any case.
        let err = statements(
            "s.csv",
            b"topic,area,text, Text\nnaloxone.purchaser,E06000016,a,b\n",
            &who(),
            &|_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        let err = agencies("a.csv", b"code,name,code\nA1,First,A1\n", &|_| {}).unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        let err = releases(
            "r.csv",
            b"code,title,publisher,date,indicators,periods,date\n",
            &lantern_core::catalogue::shipped(),
            &|_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
    }

    #[test]
    fn control_characters_are_refused_with_their_place() {
        let err = figures_of(
            "indicator,area,period,value,source,note\n\
             people_in_treatment,E06000016,2017/18,44,ndtms_partnership,fine\n\
             people_in_treatment,E06000016,2018/19,45,ndtms_partnership,\"two\nlines \0 here\"\n",
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        let p = &err.problems[0];
        // The NUL is on the second line of a cell that starts on line 3.
        assert_eq!(
            (p.line, p.column, p.field.as_deref()),
            (4, Some(6), Some("note"))
        );
        assert!(p.message.contains("U+0000 at character 11"), "{err}");
        // Tabs and line breaks are text.
        assert!(
            statements(
                "s.csv",
                b"topic,area,text\nnaloxone.purchaser,E06000016,\"a\tb\r\nc\"\n",
                &who(),
                &|_| {}
            )
            .is_ok()
        );
        let err = agencies("a.csv", b"code,name\nA1,First\x07Step\n", &|_| {}).unwrap_err();
        assert!(err.to_string().contains("a.csv:2:2: name:"), "{err}");
        assert!(err.to_string().contains("U+0007"), "{err}");
    }

    #[test]
    fn messages_quote_a_short_prefix_of_a_long_cell() {
        let long = format!("people_in_treatment{}", "x".repeat(5_000_000));
        let csv = format!(
            "indicator,area,period,value,source\n{long},E06000016,2017/18,44,ndtms_partnership\n\
             people_in_treatment,E06000016,{},44,ndtms_partnership\n\
             people_in_treatment,E06000016,2017/18|{},44,ndtms_partnership\n",
            "y".repeat(150),
            "z".repeat(150)
        );
        let started = std::time::Instant::now();
        let err = figures_of(&csv).unwrap_err();
        assert!(started.elapsed().as_secs() < 10);
        assert_eq!(err.problems.len(), 3, "{err}");
        for p in &err.problems {
            assert!(p.message.len() < 400, "{}", p.message);
        }
        assert!(
            err.problems[0].message.contains("… (5000019 characters)"),
            "{}",
            err.problems[0].message
        );
        assert!(
            err.problems[1].message.contains("… (150 characters)"),
            "{err}"
        );
        assert!(
            err.problems[2].message.contains("… (158 characters)"),
            "{err}"
        );
        assert!(err.to_string().len() < 2000);
        assert_eq!(quote("short"), "short");
        assert_eq!(
            quote(&"é".repeat(41)),
            format!("{}… (41 characters)", "é".repeat(40))
        );
    }
}
