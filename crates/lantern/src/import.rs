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
                    field: Some(h.clone()),
                    message: format!(
                        "'{h}' is not a column of this file{}; the columns are: {}",
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
        let column = name.and_then(|n| self.table.column(n)).map(|i| i + 1);
        self.problems.push(Problem {
            line,
            column,
            field: name.map(str::to_string),
            message: message.into(),
        });
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
                field: Some(h.clone()),
                message: format!(
                    "'{h}' is neither a figures column nor a breakdown dimension{}",
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
}
