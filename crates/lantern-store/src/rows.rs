//! How domain records become versioned table rows, independent of the
//! database engine. Every adapter stores figures, statements, releases and
//! agencies
//! the same way: find the current row with the record's key, keep it if its
//! data is identical, otherwise retire it and add the new one, and audit the
//! change. Adapters only turn a [`Versioned`] row into their own SQL.

use lantern_core::figure::Figure;
use lantern_core::records::Agency;
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use serde_json::json;

/// A value bound to a column: 64-bit integers, text (dates are ISO text,
/// lists JSON text) and opaque bytes, which every backend stores the same way.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Sql {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// Text, or NULL.
    Text(Option<String>),
    /// Bytes, or NULL (`BLOB` / `BYTEA`).
    Blob(Option<Vec<u8>>),
}

impl std::fmt::Debug for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sql::Int(v) => f.debug_tuple("Int").field(v).finish(),
            Sql::Text(v) => f.debug_tuple("Text").field(v).finish(),
            // Chunk bodies run to megabytes: say how many, not what.
            Sql::Blob(None) => f.write_str("Blob(None)"),
            Sql::Blob(Some(b)) => write!(f, "Blob({} bytes)", b.len()),
        }
    }
}

/// A value bound to a column, borrowed: what a bulk insert
/// ([`crate::engine::Tx::insert_many`]) takes, so that megabytes of packed
/// records are not copied to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlRef<'a> {
    /// An integer, or NULL.
    Int(Option<i64>),
    /// Text, or NULL.
    Text(Option<&'a str>),
    /// Bytes, or NULL.
    Blob(Option<&'a [u8]>),
}

impl Sql {
    /// The value, borrowed.
    pub fn borrowed(&self) -> SqlRef<'_> {
        match self {
            Sql::Int(v) => SqlRef::Int(*v),
            Sql::Text(v) => SqlRef::Text(v.as_deref()),
            Sql::Blob(v) => SqlRef::Blob(v.as_deref()),
        }
    }
}

/// Bytes as lowercase hexadecimal (how blobs appear in dumps and the audit log).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Bytes back from hexadecimal (either case); `None` if it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
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
            Sql::Blob(v) => json!(v.as_deref().map(hex)),
        }
    }

    /// The kind of column this value is read back as.
    pub fn kind(&self) -> crate::engine::Kind {
        match self {
            Sql::Int(_) => crate::engine::Kind::Int,
            Sql::Text(_) => crate::engine::Kind::Text,
            Sql::Blob(_) => crate::engine::Kind::Blob,
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

/// An agency's row (the provider register): keyed by its code.
pub fn agency(line: u64, a: &Agency) -> Versioned {
    Versioned {
        table: "agencies",
        entity: "agency",
        label: a.code.clone(),
        key: vec![("code", Sql::text(&a.code))],
        data: vec![
            ("name", Sql::text(&a.name)),
            ("area", Sql::opt_text(a.area.clone())),
        ],
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(unhex("00AB7f"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
