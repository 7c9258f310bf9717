//! Test fixtures shared by the submission reader's unit tests: a valid row,
//! files made of rows, a reading context, and problems as
//! (line, field, reason).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use jiff::civil::date;

use super::*;

/// A valid row, column by column (see [`COLUMNS`]).
pub(super) const ROW: [&str; NCOLS] = [
    "N0852",
    "C1",
    "J",
    "S",
    "19800115",
    "M",
    "A",
    "E06000016",
    "E1",
    "20250105",
    "20250110",
    "20250112",
    "",
    "",
    "1101",
    "3201",
    "",
    "M1",
    "PHARM",
    "COM",
    "20250112",
    "",
    "LA",
    "1",
    "4",
    "1",
    "3",
    "14",
    "N",
    "NN",
];

pub(super) fn row(changes: &[(&str, &str)]) -> String {
    let mut values = ROW;
    for (name, value) in changes {
        let col = COLUMNS.iter().position(|c| c == name).unwrap();
        values[col] = value;
    }
    values.join(",")
}

pub(super) fn file(rows: &[String]) -> Vec<u8> {
    let mut text = COLUMNS.join(",");
    text.push('\n');
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text.into_bytes()
}

pub(super) struct Fixture {
    pub(super) key: PseudonymKey,
    pub(super) agencies: BTreeSet<String>,
    pub(super) provider: Option<&'static str>,
    pub(super) today: jiff::civil::Date,
    pub(super) limit: BadRowLimit,
}

pub(super) fn fixture() -> Fixture {
    Fixture {
        key: PseudonymKey::new(b"a test key of thirty-two bytes!!").unwrap(),
        agencies: ["N0852", "N0001"].map(String::from).into(),
        provider: Some("N0852"),
        today: date(2026, 4, 10),
        limit: BadRowLimit::default(),
    }
}

impl Fixture {
    pub(super) fn read(&self, bytes: &[u8]) -> Outcome {
        let ctx = Context {
            key: &self.key,
            agencies: &self.agencies,
            provider: self.provider,
            month: YearMonth::parse("2026-03").unwrap(),
            today: self.today,
            limit: self.limit,
        };
        read(bytes, &ctx)
    }

    pub(super) fn rows(&self, rows: &[String]) -> Outcome {
        self.read(&file(rows))
    }

    pub(super) fn context(&self) -> Context<'_> {
        Context {
            key: &self.key,
            agencies: &self.agencies,
            provider: self.provider,
            month: YearMonth::parse("2026-03").unwrap(),
            today: self.today,
            limit: self.limit,
        }
    }
}

/// Problems as (line, field, reason).
pub(super) fn listed(problems: &[Problem]) -> Vec<(u64, String, String)> {
    problems
        .iter()
        .map(|p| {
            let field = p.field.clone().unwrap_or_default();
            (p.line, field, p.reason.clone())
        })
        .collect()
}

pub(super) fn errors(o: &Outcome) -> Vec<(u64, String, String)> {
    listed(&o.report.errors)
}

pub(super) fn warnings(o: &Outcome) -> Vec<(u64, String, String)> {
    listed(&o.report.warnings)
}

pub(super) fn p(line: u64, field: &str, reason: &str) -> (u64, String, String) {
    (line, field.to_string(), reason.to_string())
}

/// The errors of a one-row file.
pub(super) fn row_errors(changes: &[(&str, &str)]) -> Vec<(u64, String, String)> {
    errors(&fixture().rows(&[row(changes)]))
}

pub(super) fn all_records(o: &Outcome) -> Vec<&Record> {
    o.areas.values().flatten().collect()
}

pub(super) fn rejected(o: &Outcome) -> String {
    match &o.report.verdict {
        Verdict::Rejected { reason } => reason.clone(),
        v => panic!("not rejected: {v:?}"),
    }
}
