//! How domain records become versioned table rows, independent of the
//! database engine. Every adapter stores figures, statements and releases
//! the same way: find the current row with the record's key, keep it if its
//! data is identical, otherwise retire it and add the new one, and audit the
//! change. Adapters only turn a [`Versioned`] row into their own SQL.

use lantern_core::figure::Figure;
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use serde_json::json;

/// A value bound to a column: 64-bit integers and text (dates are ISO text,
/// lists JSON text), which every backend stores the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sql {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// Text, or NULL.
    Text(Option<String>),
}

impl Sql {
    fn text(s: impl Into<String>) -> Sql {
        Sql::Text(Some(s.into()))
    }

    fn opt_text(s: Option<impl Into<String>>) -> Sql {
        Sql::Text(s.map(Into::into))
    }

    /// The value as JSON, for the audit log.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Sql::Int(v) => json!(v),
            Sql::Text(v) => json!(v),
        }
    }
}

/// One record as a versioned row.
#[derive(Debug, Clone)]
pub struct Versioned {
    /// Table name.
    pub table: &'static str,
    /// Audit action prefix: `figure`, `statement`, `release`.
    pub entity: &'static str,
    /// Columns that identify the record across versions.
    pub key: Vec<(&'static str, Sql)>,
    /// Columns that may change between versions.
    pub data: Vec<(&'static str, Sql)>,
    /// Line in the imported file.
    pub line: u64,
    /// How the audit log names the record.
    pub label: String,
}

impl Versioned {
    /// The data columns as a JSON object, for the audit log.
    pub fn data_json(&self, values: &[Sql]) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .data
            .iter()
            .zip(values)
            .map(|((c, _), v)| (c.to_string(), v.json()))
            .collect();
        serde_json::Value::Object(map)
    }

    /// The data values alone.
    pub fn data_values(&self) -> Vec<Sql> {
        self.data.iter().map(|(_, v)| v.clone()).collect()
    }
}

/// A figure's row: keyed by indicator, area, period, breakdown and source.
pub fn figure(f: &Figure) -> Versioned {
    let (amount, amount_high) = match f.value {
        lantern_core::figure::Value::Exact(v) => (Some(v), None),
        lantern_core::figure::Value::Approximate { low, high } => (Some(low), Some(high)),
        _ => (None, None),
    };
    let period = f.period.to_string();
    let breakdown = f.breakdown.key();
    Versioned {
        table: "figures",
        entity: "figure",
        label: format!(
            "{} {} {} [{}] {}",
            f.indicator,
            f.area,
            period,
            breakdown,
            f.source.code()
        ),
        key: vec![
            ("indicator", Sql::text(&f.indicator)),
            ("area", Sql::text(&f.area)),
            ("period", Sql::text(period)),
            ("breakdown", Sql::text(breakdown)),
            ("source", Sql::text(f.source.code())),
        ],
        data: vec![
            ("period_first", Sql::text(f.period.first_day().to_string())),
            ("period_last", Sql::text(f.period.last_day().to_string())),
            ("kind", Sql::text(f.value.qualifier().as_str())),
            ("amount", Sql::Int(amount)),
            ("amount_high", Sql::Int(amount_high)),
            ("reason", Sql::opt_text(f.value.reason())),
            ("status", Sql::text(f.status.code())),
            (
                "coverage",
                Sql::text(serde_json::Value::from(f.coverage.clone()).to_string()),
            ),
            ("note", Sql::opt_text(f.note.clone())),
        ],
        line: f.provenance.line,
    }
}

/// A statement's row: keyed by topic, area and the day it became valid.
pub fn statement(s: &Statement) -> Versioned {
    let from = s.valid_from.map(|d| d.to_string());
    Versioned {
        table: "statements",
        entity: "statement",
        label: format!(
            "{} {} from {}",
            s.topic,
            s.area,
            from.as_deref().unwrap_or("(always)")
        ),
        key: vec![
            ("topic", Sql::text(&s.topic)),
            ("area", Sql::text(&s.area)),
            ("valid_from", Sql::opt_text(from)),
        ],
        data: vec![
            ("text", Sql::text(&s.text)),
            ("valid_to", Sql::opt_text(s.valid_to.map(|d| d.to_string()))),
            ("source", Sql::opt_text(s.source.clone())),
        ],
        line: s.provenance.line,
    }
}

/// A release's row: keyed by its code.
pub fn release(line: u64, r: &Release) -> Versioned {
    let periods: Vec<String> = r.periods.iter().map(ToString::to_string).collect();
    Versioned {
        table: "releases",
        entity: "release",
        label: r.code.clone(),
        key: vec![("code", Sql::text(&r.code))],
        data: vec![
            ("title", Sql::text(&r.title)),
            ("publisher", Sql::text(&r.publisher)),
            ("date", Sql::text(r.date.to_string())),
            (
                "announced",
                Sql::opt_text(r.announced.map(|d| d.to_string())),
            ),
            (
                "indicators",
                Sql::text(serde_json::Value::from(r.indicators.clone()).to_string()),
            ),
            (
                "periods",
                Sql::text(serde_json::Value::from(periods).to_string()),
            ),
            ("url", Sql::opt_text(r.url.clone())),
        ],
        line,
    }
}
