//! Releases: the publication calendar. A release is a planned or past
//! publication (for example the NDTMS annual adult statistics for a financial
//! year) with the indicators and periods it covers and its date. Releases
//! drive section 22 (intended for future publication) and section 21
//! (reasonably accessible elsewhere), read at the date of the council's
//! decision on the request (Montague v Information Commissioner, UT 2022):
//! a release still to come on that day is future, one whose date has come
//! is published. The intention to publish must already have existed when
//! the request arrived. A release's address is printed in letters, so only
//! plain web addresses are accepted ([`is_web_address`]).

use jiff::civil::Date;

use crate::period::Period;

/// One publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Code, e.g. `ndtms_annual_2018_19`.
    pub code: String,
    /// Title as published.
    pub title: String,
    /// Who publishes it.
    pub publisher: String,
    /// Publication date (planned or actual).
    pub date: Date,
    /// When the intention to publish was settled (s22 needs it to exist when
    /// the request arrived). Absent means it always existed.
    pub announced: Option<Date>,
    /// Indicator codes it publishes.
    pub indicators: Vec<String>,
    /// Periods it covers.
    pub periods: Vec<Period>,
    /// Where it is (or will be) published.
    pub url: Option<String>,
}

impl Release {
    /// Whether this release publishes `indicator` for (a span within) `period`.
    pub fn covers(&self, indicator: &str, period: &Period) -> bool {
        self.indicators.iter().any(|i| i == indicator)
            && self.periods.iter().any(|p| p.contains(period))
    }

    /// Whether, for a request received on `received` and decided on
    /// `decided`, the release is still to come on the day of the decision
    /// and the intention to publish already existed when the request arrived.
    pub fn is_future_on(&self, received: Date, decided: Date) -> bool {
        decided < self.date && self.announced.is_none_or(|a| a <= received)
    }

    /// Whole days from `decided` to the publication date (negative once passed).
    pub fn days_after(&self, decided: Date) -> i32 {
        days_between(decided, self.date)
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i32 {
    from.until(to).map(|s| s.get_days()).unwrap_or(0)
}

/// The distance to a publication in words a letter can use: "3 days",
/// "about 2 weeks", "about 5 months"; `None` when the date has passed.
pub fn distance_in_words(days: i32) -> Option<String> {
    match days {
        ..=0 => None,
        1 => Some("1 day".into()),
        2..=13 => Some(format!("{days} days")),
        14..=55 => Some(format!("about {} weeks", (days + 3) / 7)),
        _ => {
            let months = ((days as f64) / 30.44).round() as i32;
            Some(if months <= 1 {
                "about a month".into()
            } else {
                format!("about {months} months")
            })
        }
    }
}

/// Whether `url` is a plain web address a letter may print and link to:
/// `http://` or `https://` (any case), a host, and only the characters
/// RFC 3986 allows in an address (so no spaces, quotes, angle brackets,
/// backslashes, control or non-ASCII characters: those are percent-encoded
/// in a real address). Anything else (`javascript:`, `data:`, a relative
/// path, markup) is not an address a council publishes at.
pub fn is_web_address(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    let host_ok = rest
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[');
    host_ok
        && url.len() <= MAX_URL_LENGTH
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b))
}

/// The longest release address accepted.
pub const MAX_URL_LENGTH: usize = 2048;

/// The release that will publish `indicator` for `period` after `decided`
/// (the day the request is decided), intended since the request was
/// `received`, if any.
pub fn upcoming<'a>(
    releases: &'a [Release],
    indicator: &str,
    period: &Period,
    received: Date,
    decided: Date,
) -> Option<&'a Release> {
    releases
        .iter()
        .filter(|r| r.covers(indicator, period) && r.is_future_on(received, decided))
        .min_by_key(|r| r.date)
}

/// The release that had already published `indicator` for `period` by
/// `decided` (the day the request is decided), if any.
pub fn published<'a>(
    releases: &'a [Release],
    indicator: &str,
    period: &Period,
    decided: Date,
) -> Option<&'a Release> {
    releases
        .iter()
        .filter(|r| r.covers(indicator, period) && r.date <= decided)
        .max_by_key(|r| r.date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(date: Date, announced: Option<Date>) -> Release {
        Release {
            code: "ndtms_annual_2018_19".into(),
            title: "Adult substance misuse treatment statistics 2018 to 2019".into(),
            publisher: "Public Health England".into(),
            date,
            announced,
            indicators: vec!["people_in_treatment".into()],
            periods: vec![Period::financial_year(2018).unwrap()],
            url: None,
        }
    }

    #[test]
    fn a_request_before_the_release_date_finds_it_upcoming() {
        let r = [release(Date::constant(2019, 11, 7), None)];
        let fy = Period::financial_year(2018).unwrap();
        let june = Date::constant(2019, 6, 10);
        assert!(upcoming(&r, "people_in_treatment", &fy, june, june).is_some());
        let on_the_day = Date::constant(2019, 11, 7);
        assert!(upcoming(&r, "people_in_treatment", &fy, on_the_day, on_the_day).is_none());
        assert!(published(&r, "people_in_treatment", &fy, Date::constant(2019, 12, 1)).is_some());
        assert!(upcoming(&r, "budget", &fy, june, june).is_none());
    }

    #[test]
    fn a_release_is_read_at_the_decision_date_not_the_received_date() {
        let r = [release(Date::constant(2019, 11, 7), None)];
        let fy = Period::financial_year(2018).unwrap();
        let received = Date::constant(2019, 10, 20);
        let decided_late = Date::constant(2019, 12, 2);
        assert!(upcoming(&r, "people_in_treatment", &fy, received, decided_late).is_none());
        assert!(published(&r, "people_in_treatment", &fy, decided_late).is_some());
        assert!(published(&r, "people_in_treatment", &fy, received).is_none());
    }

    #[test]
    fn the_distance_to_publication_is_said_as_it_is() {
        assert_eq!(distance_in_words(0), None);
        assert_eq!(distance_in_words(-3), None);
        assert_eq!(distance_in_words(1).as_deref(), Some("1 day"));
        assert_eq!(distance_in_words(9).as_deref(), Some("9 days"));
        assert_eq!(distance_in_words(21).as_deref(), Some("about 3 weeks"));
        assert_eq!(distance_in_words(122).as_deref(), Some("about 4 months"));
        assert_eq!(
            days_between(Date::constant(2019, 7, 5), Date::constant(2019, 11, 7)),
            125
        );
    }

    #[test]
    fn only_plain_web_addresses_are_release_addresses() {
        for good in [
            "https://www.gov.uk/government/collections/alcohol-and-drug-misuse-and-treatment-statistics",
            "http://example.org/a_b?x=1&y=%20#top",
            "HTTPS://EXAMPLE.ORG",
            "https://[2001:db8::1]/stats",
        ] {
            assert!(is_web_address(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript://example.org/%0Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://example.org/<script>alert(1)</script>",
            "https://example.org/\"onload=\"alert(1)",
            "https://example.org/a b",
            "https://",
            "https:///path",
            "//example.org/stats",
            "/stats",
            "ftp://example.org/stats",
            "https://exämple.org/",
            "",
        ] {
            assert!(!is_web_address(bad), "{bad}");
        }
        assert!(!is_web_address(&format!(
            "https://example.org/{}",
            "a".repeat(MAX_URL_LENGTH)
        )));
    }

    #[test]
    fn an_intention_formed_after_the_request_does_not_count() {
        let r = [release(
            Date::constant(2019, 11, 7),
            Some(Date::constant(2019, 7, 1)),
        )];
        let fy = Period::financial_year(2018).unwrap();
        let june = Date::constant(2019, 6, 10);
        assert!(upcoming(&r, "people_in_treatment", &fy, june, june).is_none());
    }
}
