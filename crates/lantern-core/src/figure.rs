//! Figures: one value of an indicator for an area, period and breakdown, with
//! its source, status, coverage notes and provenance.
//!
//! Values are parsed once, at the edge, into [`Value`]; money is held exactly
//! in pence ([`Pence`]) and never as a float.

use std::collections::BTreeMap;
use std::fmt;

use crate::catalogue::Unit;
use crate::period::Period;

/// An amount of money in pence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pence(pub i64);

impl Pence {
    /// Parse "£7,339,755", "7339755", "£1,234.50" or "1234.5".
    pub fn parse(text: &str) -> Result<Pence, String> {
        let t = text.trim();
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.trim()),
            None => (false, t),
        };
        let t = t.trim_start_matches('£').trim();
        let t: String = t.chars().filter(|c| *c != ',' && *c != ' ').collect();
        if t.is_empty() {
            return Err(format!("'{text}' is not an amount of money"));
        }
        let (pounds, pence) = match t.split_once('.') {
            Some((p, d)) => (p, d),
            None => (t.as_str(), ""),
        };
        let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        if pounds.is_empty() || !digits(pounds) || !digits(pence) || pence.len() > 2 {
            return Err(format!(
                "'{text}' is not an amount of money (write it as £1,234 or 1234.56)"
            ));
        }
        let pounds: i64 = pounds
            .parse()
            .map_err(|_| format!("'{text}' is too large an amount"))?;
        let pence_part: i64 = match pence.len() {
            0 => 0,
            1 => pence.parse::<i64>().unwrap_or(0) * 10,
            _ => pence.parse::<i64>().unwrap_or(0),
        };
        let total = pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(pence_part))
            .ok_or_else(|| format!("'{text}' is too large an amount"))?;
        Ok(Pence(if negative { -total } else { total }))
    }
}

impl fmt::Display for Pence {
    /// "£7,339,755" for whole pounds, "£1,234.50" otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = group_thousands(abs / 100);
        match abs % 100 {
            0 => write!(f, "{sign}£{pounds}"),
            p => write!(f, "{sign}£{pounds}.{p:02}"),
        }
    }
}

/// "1234567" → "1,234,567".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The value a figure records. Amounts are counts, or pence for money.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// An exact amount.
    Exact(i64),
    /// An approximate amount or range ("£680,000-£700,000 approx"); `low == high` for "about X".
    Approximate {
        /// Lower end.
        low: i64,
        /// Upper end (not below `low`).
        high: i64,
    },
    /// None at all, for a stated reason ("naloxone was not issued in 2014/15").
    Zero {
        /// Why it is zero.
        reason: String,
    },
    /// The council does not hold the figure, and why.
    NotHeld {
        /// Why ("cannot be located", "only held for a combined area", …).
        reason: String,
    },
    /// The figure exists but cannot be shared yet.
    NotYetShareable {
        /// Why ("NDTMS data cannot yet be shared for 2021/22").
        reason: String,
    },
}

/// The `qualifier` column of a figures file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// An exact value (the default).
    Exact,
    /// An approximate value or range.
    Approximate,
    /// Zero, with a reason.
    Zero,
    /// Not held, with a reason.
    NotHeld,
    /// Held but not yet shareable, with a reason.
    NotYetShareable,
}

impl Qualifier {
    /// Parse the qualifier column; empty means exact.
    pub fn parse(text: &str) -> Result<Qualifier, String> {
        match text.trim().to_lowercase().replace([' ', '-'], "_").as_str() {
            "" | "exact" => Ok(Qualifier::Exact),
            "approx" | "approximate" | "estimate" => Ok(Qualifier::Approximate),
            "zero" | "none" => Ok(Qualifier::Zero),
            "not_held" => Ok(Qualifier::NotHeld),
            "not_yet_shareable" | "embargoed" => Ok(Qualifier::NotYetShareable),
            other => Err(format!(
                "'{other}' is not a qualifier; use one of: exact, approx, zero, not_held, not_yet_shareable"
            )),
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::Exact => "exact",
            Qualifier::Approximate => "approx",
            Qualifier::Zero => "zero",
            Qualifier::NotHeld => "not_held",
            Qualifier::NotYetShareable => "not_yet_shareable",
        }
    }
}

impl Value {
    /// Build a value from a figures file's `value`, `qualifier` and `reason`
    /// columns, for an indicator counted in `unit`.
    pub fn parse(
        value: &str,
        qualifier: Qualifier,
        reason: &str,
        unit: Unit,
    ) -> Result<Value, String> {
        let reason = reason.trim();
        let needs_reason = |kind: &str| {
            if reason.is_empty() {
                Err(format!(
                    "a {kind} figure needs a reason in the 'reason' column"
                ))
            } else {
                Ok(reason.to_string())
            }
        };
        let value = value.trim();
        match qualifier {
            Qualifier::NotHeld => {
                no_value(value, "not_held")?;
                Ok(Value::NotHeld {
                    reason: needs_reason("not_held")?,
                })
            }
            Qualifier::NotYetShareable => {
                no_value(value, "not_yet_shareable")?;
                Ok(Value::NotYetShareable {
                    reason: needs_reason("not_yet_shareable")?,
                })
            }
            Qualifier::Zero => {
                if !(value.is_empty() || value == "0") {
                    return Err(format!(
                        "a zero figure must have value 0 or be empty, not '{value}'"
                    ));
                }
                Ok(Value::Zero {
                    reason: needs_reason("zero")?,
                })
            }
            Qualifier::Exact => {
                if value.is_empty() {
                    return Err("the value is empty; give a number, or a qualifier such as not_held with a reason".into());
                }
                if looks_like_range(value) {
                    return Err(format!(
                        "'{value}' is a range; mark it with qualifier 'approx'"
                    ));
                }
                Ok(Value::Exact(parse_amount(value, unit)?))
            }
            Qualifier::Approximate => {
                if value.is_empty() {
                    return Err(
                        "an approximate figure needs a value or a range such as 680000-700000"
                            .into(),
                    );
                }
                let (low, high) = match split_range(value) {
                    Some((a, b)) => (parse_amount(a, unit)?, parse_amount(b, unit)?),
                    None => {
                        let v = parse_amount(value, unit)?;
                        (v, v)
                    }
                };
                if high < low {
                    return Err(format!("the range '{value}' ends below where it starts"));
                }
                Ok(Value::Approximate { low, high })
            }
        }
    }

    /// The qualifier that describes this value's kind.
    pub fn qualifier(&self) -> Qualifier {
        match self {
            Value::Exact(_) => Qualifier::Exact,
            Value::Approximate { .. } => Qualifier::Approximate,
            Value::Zero { .. } => Qualifier::Zero,
            Value::NotHeld { .. } => Qualifier::NotHeld,
            Value::NotYetShareable { .. } => Qualifier::NotYetShareable,
        }
    }

    /// Whether the value can be given to a requester (exact, approximate or zero).
    pub fn is_shareable(&self) -> bool {
        matches!(
            self,
            Value::Exact(_) | Value::Approximate { .. } | Value::Zero { .. }
        )
    }

    /// The reason attached to zero, not-held and not-yet-shareable values.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Value::Zero { reason }
            | Value::NotHeld { reason }
            | Value::NotYetShareable { reason } => Some(reason),
            _ => None,
        }
    }

    /// The value as text in the figures file's `value` column.
    pub fn amount_text(&self, unit: Unit) -> String {
        let one = |v: i64| {
            if unit.is_money() {
                let p = Pence(v);
                if v % 100 == 0 {
                    (v / 100).to_string()
                } else {
                    format!("{}.{:02}", p.0 / 100, (p.0 % 100).abs())
                }
            } else {
                v.to_string()
            }
        };
        match self {
            Value::Exact(v) => one(*v),
            Value::Approximate { low, high } if low == high => one(*low),
            Value::Approximate { low, high } => format!("{}-{}", one(*low), one(*high)),
            Value::Zero { .. } => "0".into(),
            _ => String::new(),
        }
    }

    /// The value as a requester reads it: "44", "£7,339,755", "£680,000-£700,000 approx".
    pub fn display(&self, unit: Unit) -> String {
        let one = |v: i64| format_amount(v, unit);
        match self {
            Value::Exact(v) => one(*v),
            Value::Approximate { low, high } if low == high => format!("about {}", one(*low)),
            Value::Approximate { low, high } => format!("{}-{} approx", one(*low), one(*high)),
            Value::Zero { reason } => format!("None ({reason})"),
            Value::NotHeld { reason } | Value::NotYetShareable { reason } => reason.clone(),
        }
    }
}

/// An amount in a unit: "44" or "£7,339,755".
pub fn format_amount(v: i64, unit: Unit) -> String {
    if unit.is_money() {
        Pence(v).to_string()
    } else if v < 0 {
        format!("-{}", group_thousands(v.unsigned_abs()))
    } else {
        group_thousands(v as u64)
    }
}

fn no_value(value: &str, kind: &str) -> Result<(), String> {
    if value.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a {kind} figure must leave the value empty (found '{value}')"
        ))
    }
}

fn looks_like_range(value: &str) -> bool {
    split_range(value).is_some()
}

fn split_range(value: &str) -> Option<(&str, &str)> {
    let v = value.trim_start_matches('-');
    let offset = value.len() - v.len();
    v.find(['-', '–']).map(|i| {
        let i = i + offset;
        let dash_len = value[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        (&value[..i], &value[i + dash_len..])
    })
}

fn parse_amount(text: &str, unit: Unit) -> Result<i64, String> {
    let t = text.trim();
    if unit.is_money() {
        return Pence::parse(t).map(|p| p.0);
    }
    if t.starts_with('£') {
        return Err(format!(
            "'{t}' is money, but this indicator counts {}",
            unit.noun()
        ));
    }
    let digits: String = t.chars().filter(|c| *c != ',').collect();
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("'{t}' is not a whole number of {}", unit.noun()))?;
    if n < 0 {
        return Err(format!("'{t}' is negative; counts cannot be"));
    }
    Ok(n)
}

/// Where a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// NDTMS partnership (local authority) reports.
    NdtmsPartnership,
    /// NDTMS provider reports.
    NdtmsProvider,
    /// The council's finance system.
    Finance,
    /// Providers' contract monitoring returns.
    ContractMonitoring,
    /// Computed by Lantern from providers' episode-level records.
    LocalRecords,
    /// Anything else (say what in the note).
    Other,
}

impl Source {
    /// All sources, in order of preference when two disagree.
    pub const ALL: [Source; 6] = [
        Source::NdtmsPartnership,
        Source::NdtmsProvider,
        Source::Finance,
        Source::ContractMonitoring,
        Source::LocalRecords,
        Source::Other,
    ];

    /// Code used in files.
    pub fn code(self) -> &'static str {
        match self {
            Source::NdtmsPartnership => "ndtms_partnership",
            Source::NdtmsProvider => "ndtms_provider",
            Source::Finance => "finance",
            Source::ContractMonitoring => "contract_monitoring",
            Source::LocalRecords => "local_records",
            Source::Other => "other",
        }
    }

    /// Words used in letters.
    pub fn label(self) -> &'static str {
        match self {
            Source::NdtmsPartnership => {
                "National Drug Treatment Monitoring System (NDTMS) partnership reports"
            }
            Source::NdtmsProvider => {
                "National Drug Treatment Monitoring System (NDTMS) provider reports"
            }
            Source::Finance => "the council's finance records",
            Source::ContractMonitoring => "contract monitoring returns from providers",
            Source::LocalRecords => "locally held data",
            Source::Other => "other records",
        }
    }

    /// Parse a source code.
    pub fn parse(text: &str) -> Result<Source, String> {
        let t = text.trim().to_lowercase().replace([' ', '-'], "_");
        Source::ALL
            .into_iter()
            .find(|s| s.code() == t)
            .ok_or_else(|| {
                format!(
                    "'{text}' is not a source; use one of: {}",
                    Source::ALL.map(Source::code).join(", ")
                )
            })
    }
}

/// Whether a figure may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// May be revised.
    Provisional,
    /// Final.
    Final,
}

impl Status {
    /// Code used in files.
    pub fn code(self) -> &'static str {
        match self {
            Status::Provisional => "provisional",
            Status::Final => "final",
        }
    }

    /// Parse a status; empty means final.
    pub fn parse(text: &str) -> Result<Status, String> {
        match text.trim().to_lowercase().as_str() {
            "" | "final" => Ok(Status::Final),
            "provisional" => Ok(Status::Provisional),
            other => Err(format!(
                "'{other}' is not a status; use final or provisional"
            )),
        }
    }
}

/// Breakdown of a figure: dimension code → value code. Empty for a total.
/// A value of `*` (only on not-held records) stands for every value.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Breakdown(pub BTreeMap<String, String>);

impl Breakdown {
    /// The empty breakdown (a total).
    pub fn total() -> Breakdown {
        Breakdown::default()
    }

    /// The value for a dimension, if the figure is broken down by it.
    pub fn get(&self, dimension: &str) -> Option<&str> {
        self.0.get(dimension).map(String::as_str)
    }

    /// This breakdown with one more dimension fixed.
    pub fn with(&self, dimension: &str, value: &str) -> Breakdown {
        let mut b = self.clone();
        b.0.insert(dimension.to_string(), value.to_string());
        b
    }

    /// Whether a record with breakdown `self` (which may use `*`) applies to `wanted`.
    pub fn covers(&self, wanted: &Breakdown) -> bool {
        self.0.len() == wanted.0.len()
            && self
                .0
                .iter()
                .all(|(d, v)| wanted.get(d).is_some_and(|w| v == "*" || v == w))
    }

    /// Canonical text, `crack=crack;age_band=40+` (empty for a total).
    pub fn key(&self) -> String {
        let len = self.0.iter().map(|(d, v)| d.len() + v.len() + 2).sum();
        let mut key = String::with_capacity(len);
        for (d, v) in &self.0 {
            if !key.is_empty() {
                key.push(';');
            }
            key.push_str(d);
            key.push('=');
            key.push_str(v);
        }
        key
    }

    /// Parse the canonical text.
    pub fn from_key(key: &str) -> Breakdown {
        Breakdown(
            key.split(';')
                .filter_map(|kv| kv.split_once('='))
                .map(|(d, v)| (d.to_string(), v.to_string()))
                .collect(),
        )
    }
}

/// Where a figure came from, exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The import that brought it in (also the data version it first appears in).
    pub import: i64,
    /// File name as imported.
    pub file: String,
    /// Line in that file (1-based, header is line 1).
    pub line: u64,
    /// Who imported it.
    pub actor: String,
    /// When (RFC 3339).
    pub imported_at: String,
}

/// One figure as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Indicator code.
    pub indicator: String,
    /// Area code (ONS), e.g. E06000016.
    pub area: String,
    /// The period it is about.
    pub period: Period,
    /// Breakdown (empty for a total).
    pub breakdown: Breakdown,
    /// The value.
    pub value: Value,
    /// Where it came from.
    pub source: Source,
    /// Provisional or final.
    pub status: Status,
    /// What it includes or leaves out ("includes self-funded placements").
    pub coverage: Vec<String>,
    /// Any other note to give with it.
    pub note: Option<String>,
    /// Where exactly it came from.
    pub provenance: Provenance,
}

impl Figure {
    /// The identity a newer import replaces: indicator, area, period, breakdown, source.
    pub fn key(&self) -> (String, String, String, String, &'static str) {
        (
            self.indicator.clone(),
            self.area.clone(),
            self.period.to_string(),
            self.breakdown.key(),
            self.source.code(),
        )
    }
}

/// Figures from different sources that give different amounts for the same
/// indicator, area, period and breakdown: both are kept, and this is how the
/// difference is reported rather than hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// Indicator code.
    pub indicator: String,
    /// Area code.
    pub area: String,
    /// The period.
    pub period: Period,
    /// The breakdown (empty for a total).
    pub breakdown: Breakdown,
    /// Each source's amount (exact, or zero), in [`Source::ALL`] order:
    /// the first is the one answers use.
    pub amounts: Vec<(Source, i64)>,
}

impl Disagreement {
    /// The largest amount less the smallest.
    pub fn spread(&self) -> i64 {
        let amounts = self.amounts.iter().map(|(_, a)| *a);
        amounts.clone().max().unwrap_or(0) - amounts.min().unwrap_or(0)
    }
}

/// Where figures held from different sources disagree: the same indicator,
/// area, period and breakdown with different exact amounts (a zero counts as
/// 0; approximate, not-held and not-yet-shareable figures are not compared).
/// Ordered by indicator, area, period and breakdown.
pub fn disagreements(figures: &[Figure]) -> Vec<Disagreement> {
    let mut groups: std::collections::BTreeMap<(String, String, String, String), Vec<&Figure>> =
        std::collections::BTreeMap::new();
    for f in figures {
        if matches!(f.value, Value::Exact(_) | Value::Zero { .. }) {
            groups
                .entry((
                    f.indicator.clone(),
                    f.area.clone(),
                    f.period.to_string(),
                    f.breakdown.key(),
                ))
                .or_default()
                .push(f);
        }
    }
    let mut out = Vec::new();
    for group in groups.into_values() {
        let mut amounts: Vec<(Source, i64)> = group
            .iter()
            .map(|f| {
                let amount = match f.value {
                    Value::Exact(v) => v,
                    _ => 0,
                };
                (f.source, amount)
            })
            .collect();
        amounts.sort_by_key(|(source, _)| Source::ALL.iter().position(|s| s == source));
        amounts.dedup_by_key(|(source, _)| *source);
        if amounts.windows(2).any(|w| w[0].1 != w[1].1) {
            let first = group[0];
            out.push(Disagreement {
                indicator: first.indicator.clone(),
                area: first.area.clone(),
                period: first.period,
                breakdown: first.breakdown.clone(),
                amounts,
            });
        }
    }
    out
}

/// Check an area code: an ONS code (E06000016) or a local code of letters,
/// digits, hyphens and underscores (up to 32). Returned in upper case.
pub fn check_area(code: &str) -> Result<String, String> {
    let c = code.trim();
    let ok = !c.is_empty()
        && c.len() <= 32
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(c.to_uppercase())
    } else {
        Err(format!(
            "'{code}' is not an area code; use the ONS code, e.g. E06000016 for Leicester"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(source: Source, period: &str, breakdown: &str, value: Value) -> Figure {
        Figure {
            indicator: "people_in_treatment".into(),
            area: "E06000016".into(),
            period: Period::parse(period).unwrap_or_else(|e| panic!("{e}")),
            breakdown: Breakdown::from_key(breakdown),
            value,
            source,
            status: Status::Final,
            coverage: vec![],
            note: None,
            provenance: Provenance {
                import: 1,
                file: "f.csv".into(),
                line: 2,
                actor: "tester".into(),
                imported_at: "now".into(),
            },
        }
    }

    #[test]
    fn sources_that_give_different_amounts_for_the_same_figure_are_listed() {
        let figures = [
            held(Source::LocalRecords, "2017/18", "", Value::Exact(46)),
            held(Source::NdtmsPartnership, "2017/18", "", Value::Exact(44)),
            // Agreeing sources, and figures of one source only, are not listed.
            held(Source::LocalRecords, "2016/17", "", Value::Exact(51)),
            held(Source::NdtmsPartnership, "2016/17", "", Value::Exact(51)),
            held(Source::NdtmsPartnership, "2018/19", "", Value::Exact(40)),
            // A zero is an amount; an approximate value is not compared.
            held(
                Source::LocalRecords,
                "2017/18",
                "sex=female",
                Value::Zero {
                    reason: "none".into(),
                },
            ),
            held(
                Source::NdtmsPartnership,
                "2017/18",
                "sex=female",
                Value::Exact(3),
            ),
            held(
                Source::LocalRecords,
                "2017/18",
                "sex=male",
                Value::Approximate { low: 40, high: 45 },
            ),
            held(
                Source::NdtmsPartnership,
                "2017/18",
                "sex=male",
                Value::Exact(41),
            ),
        ];
        let found = disagreements(&figures);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].amounts,
            [(Source::NdtmsPartnership, 44), (Source::LocalRecords, 46)],
            "the source answers use comes first"
        );
        assert_eq!(found[0].spread(), 2);
        assert_eq!(found[1].breakdown.key(), "sex=female");
        assert_eq!(found[1].spread(), 3);
    }

    #[test]
    fn money_is_exact_and_displays_like_the_letters() {
        assert_eq!(Pence::parse("£7,339,755"), Ok(Pence(733_975_500)));
        assert_eq!(Pence::parse("£7,339, 755"), Ok(Pence(733_975_500)));
        assert_eq!(Pence::parse("1234.5"), Ok(Pence(123_450)));
        assert_eq!(Pence(733_975_500).to_string(), "£7,339,755");
        assert_eq!(Pence(123_450).to_string(), "£1,234.50");
        assert!(Pence::parse("£12.345").is_err());
        assert!(Pence::parse("lots").is_err());
    }

    #[test]
    fn values_of_every_kind() {
        let approx =
            Value::parse("£680,000-£700,000", Qualifier::Approximate, "", Unit::Gbp).unwrap();
        assert_eq!(approx.display(Unit::Gbp), "£680,000-£700,000 approx");
        assert_eq!(approx.amount_text(Unit::Gbp), "680000-700000");
        let zero =
            Value::parse("", Qualifier::Zero, "naloxone was not issued", Unit::Kits).unwrap();
        assert!(zero.is_shareable());
        assert!(Value::parse("", Qualifier::NotHeld, "", Unit::People).is_err());
        assert!(Value::parse("12", Qualifier::NotHeld, "gone", Unit::People).is_err());
        assert!(Value::parse("1-2", Qualifier::Exact, "", Unit::People).is_err());
        assert!(Value::parse("£5", Qualifier::Exact, "", Unit::People).is_err());
        assert!(Value::parse("-5", Qualifier::Exact, "", Unit::People).is_err());
        assert_eq!(
            Value::parse("1,234", Qualifier::Exact, "", Unit::People),
            Ok(Value::Exact(1234))
        );
    }

    #[test]
    fn wildcard_breakdowns_cover_every_value() {
        let record = Breakdown::from_key("age_band=*;crack=crack");
        assert!(record.covers(&Breakdown::from_key("age_band=40+;crack=crack")));
        assert!(!record.covers(&Breakdown::from_key("crack=crack")));
        assert_eq!(Breakdown::from_key(&record.key()), record);
    }

    #[test]
    fn a_breakdowns_key_is_its_pairs_joined() {
        let pairs = |b: &Breakdown| {
            b.0.iter()
                .map(|(d, v)| format!("{d}={v}"))
                .collect::<Vec<_>>()
                .join(";")
        };
        for text in [
            "",
            "sex=female",
            "age_band=40+;crack=crack",
            "a=;=b",
            "=",
            "setting=residential rehab;sex=male;substance=opiate",
        ] {
            let b = Breakdown::from_key(text);
            assert_eq!(b.key(), pairs(&b), "{text:?}");
        }
        assert_eq!(Breakdown::default().key(), "");
    }
}
