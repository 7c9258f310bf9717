//! How many rows with errors a submission may have and still be applied:
//! [`BadRowLimit`], written `5` or `1%`.

use std::fmt;
use std::str::FromStr;

/// How many rows with errors a file may have and still be accepted (its
/// good rows applied): a number of rows, or a share of the file's rows.
/// Written `5` or `1%` / `0.5%`; the default is `0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BadRowLimit {
    /// At most this many rows.
    Rows(u64),
    /// At most this share of the rows, from 0.0 to 1.0.
    Share(f64),
}

impl Default for BadRowLimit {
    fn default() -> Self {
        BadRowLimit::Rows(0)
    }
}

impl BadRowLimit {
    /// Whether `bad` rows with errors out of `rows` are within the limit.
    pub fn allows(self, bad: u64, rows: u64) -> bool {
        match self {
            BadRowLimit::Rows(n) => bad <= n,
            // A tiny tolerance so that e.g. 1 of 100 is within 1%.
            BadRowLimit::Share(share) => (bad as f64) <= share * (rows as f64) + 1e-9,
        }
    }
}

impl fmt::Display for BadRowLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadRowLimit::Rows(n) => write!(f, "{n}"),
            BadRowLimit::Share(share) => {
                let text = format!("{:.6}", share * 100.0);
                let text = text.trim_end_matches('0').trim_end_matches('.');
                write!(f, "{text}%")
            }
        }
    }
}

/// A bad-row limit that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a bad-row limit: {why}")]
pub struct BadRowLimitError {
    text: String,
    why: &'static str,
}

impl FromStr for BadRowLimit {
    type Err = BadRowLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let fail = |why| BadRowLimitError {
            text: s.to_string(),
            why,
        };
        const HOW: &str = "give a number of rows (e.g. 5) or a share of the rows (e.g. 1% or 0.5%)";
        if let Some(number) = text.strip_suffix('%') {
            let number = number.trim();
            let shape_ok = !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && number.bytes().filter(|&b| b == b'.').count() <= 1
                && number != ".";
            if !shape_ok {
                return Err(fail(HOW));
            }
            let percent: f64 = number.parse().map_err(|_| fail(HOW))?;
            if !(0.0..=100.0).contains(&percent) {
                return Err(fail("a share cannot be more than 100%"));
            }
            Ok(BadRowLimit::Share(percent / 100.0))
        } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse()
                .map(BadRowLimit::Rows)
                .map_err(|_| fail("the number is too large"))
        } else {
            Err(fail(HOW))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bad_row_limits_parse_and_print() {
        for (text, limit, shown) in [
            ("5", BadRowLimit::Rows(5), "5"),
            (" 0 ", BadRowLimit::Rows(0), "0"),
            ("1%", BadRowLimit::Share(0.01), "1%"),
            ("0.5%", BadRowLimit::Share(0.005), "0.5%"),
            ("100%", BadRowLimit::Share(1.0), "100%"),
        ] {
            let parsed: BadRowLimit = text.parse().unwrap();
            assert_eq!(parsed, limit);
            assert_eq!(parsed.to_string(), shown);
            assert_eq!(shown.parse::<BadRowLimit>().unwrap(), limit);
        }
        assert_eq!(BadRowLimit::default(), BadRowLimit::Rows(0));
        assert_eq!(
            "abc".parse::<BadRowLimit>().unwrap_err().to_string(),
            "'abc' is not a bad-row limit: give a number of rows (e.g. 5) or a share of the rows (e.g. 1% or 0.5%)"
        );
        assert_eq!(
            "150%".parse::<BadRowLimit>().unwrap_err().to_string(),
            "'150%' is not a bad-row limit: a share cannot be more than 100%"
        );
        for bad in [
            "", "-1", "%", "1.2.3%", "nan%", "inf%", "1e2%", "1.5", "-1%", ".%",
        ] {
            assert!(bad.parse::<BadRowLimit>().is_err(), "{bad}");
        }
    }
}
