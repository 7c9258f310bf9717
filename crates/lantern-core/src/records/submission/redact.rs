//! What a validation report may show of a value: only what cannot identify
//! anyone ([`shown`], the rule in `docs/formats/episodes.md`), and
//! scrubbing reports stored before the rule down to it ([`scrub`]).

use std::collections::BTreeSet;

use super::header::edit_distance;
use super::report::{Report, Verdict, plural, thousands};
use super::{
    ACCMNEED, AGNCY, COLUMNS, DISABILITY, DISRSN, DRUG1, DRUG2, DRUG3, EMPSTAT, ETHNIC, FUNDING,
    INJSTAT, LA, MODAL, MODSET, NALOXONE, PRNTSTAT, RFLS, SEX,
};
use crate::records::codes::{self, Funding, Intervention, Setting, Sex};

/// How many characters of a value a problem quotes.
const SHOWN_CHARS: usize = 40;

/// What a problem shows of the value at fault (see [`shown`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Shown {
    /// Nothing: the problem is not with one value, or the value may
    /// identify someone and its form is not in question.
    Nothing,
    /// The value itself: it cannot identify anyone.
    Value(String),
    /// Only the value's length in characters.
    Length(u64),
}

/// The columns whose values come from a code list (or are small numbers):
/// a report may show their values when they look like codes.
const CODE_COLUMNS: [usize; 17] = [
    SEX, ETHNIC, LA, DISRSN, DRUG1, DRUG2, DRUG3, MODAL, MODSET, FUNDING, NALOXONE, RFLS, EMPSTAT,
    ACCMNEED, PRNTSTAT, INJSTAT, DISABILITY,
];

/// Excel's error values, as a cell holding one reads (`#N/A`).
const SPREADSHEET_ERRORS: [&str; 10] = [
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
];

/// Whether a value is shaped like a code of this format, so that showing it
/// cannot identify anyone: a code of one of the code lists (any case), a
/// number of at most four digits, an area code (a letter and eight digits),
/// or a spreadsheet error value.
fn is_code_like(value: &str) -> bool {
    let b = value.as_bytes();
    if (1..=4).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    // One letter: no one is identified by it.
    if b.len() == 1 && b[0].is_ascii_alphanumeric() {
        return true;
    }
    if b.len() == 9 && b[0].is_ascii_alphabetic() && b[1..].iter().all(u8::is_ascii_digit) {
        return true;
    }
    if b.len() > 5 && !value.starts_with('#') {
        return false;
    }
    let upper = value.to_ascii_uppercase();
    Sex::parse(&upper).is_some()
        || (b.len() == 1 && codes::is_ethnicity(upper.as_bytes()[0]))
        || Intervention::parse(&upper).is_some()
        || Setting::parse(&upper).is_some()
        || Funding::parse(&upper).is_some()
        || codes::DISABILITY_CODES.contains(&upper.as_str())
        || SPREADSHEET_ERRORS.contains(&upper.as_str())
}

/// The value of a cell as a validation report may show it, or `None` when
/// it must not be shown. The rule (`docs/formats/episodes.md`, "What a
/// report shows"): a value is shown only where it cannot identify anyone.
///
/// - `AGNCY`: a registered agency, or the provider the submission is from
///   (given on the command line or in the file's name).
/// - The code columns (`SEX`, `ETHNIC`, `LA`, `DISRSN`, `DRUG1`–`DRUG3`,
///   `MODAL`, `MODSET`, `FUNDING`, `NALOXONE`, and the optional `RFLS`,
///   `EMPSTAT`, `ACCMNEED`, `PRNTSTAT`, `INJSTAT`, `DISABILITY`): a value
///   shaped like a code
///   (see [`is_code_like`]), whether or not it is valid.
/// - Every other column — the client identifier, the initials, the date of
///   birth, every other date, the episode and intervention identifiers —
///   never.
///
/// Used for new reports and to scrub reports stored before the rule
/// ([`scrub`]).
pub fn shown(
    column: &str,
    value: &str,
    agencies: &BTreeSet<String>,
    provider: Option<&str>,
) -> Option<String> {
    let col = COLUMNS.iter().position(|c| *c == column)?;
    let show_it = if col == AGNCY {
        agencies.contains(value) || provider == Some(value)
    } else {
        CODE_COLUMNS.contains(&col) && is_code_like(value)
    };
    (show_it && !value.is_empty()).then(|| show(value.as_bytes()))
}

/// A header cell as a report may show it: only when it is close to one of
/// the columns' names (a misspelt column), never a header that may be a
/// row of data (a file without its header row).
pub(super) fn shown_column_name(name: &[u8]) -> Option<String> {
    if name.is_empty()
        || name.len() > 16
        || !name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b' ')
    {
        return None;
    }
    let distance = COLUMNS
        .iter()
        .map(|c| edit_distance(name, c.as_bytes()))
        .min()
        .unwrap_or(usize::MAX);
    let allowed = if name.len() >= 6 { 2 } else { 1 };
    (distance <= allowed).then(|| show(name))
}

/// The number of characters of a value (for a value not shown).
pub(super) fn char_count(value: &[u8]) -> u64 {
    String::from_utf8_lossy(value).chars().count() as u64
}

/// A value as a report quotes it: at most [`SHOWN_CHARS`] characters (then
/// `…`), control characters escaped.
pub(super) fn show(value: &[u8]) -> String {
    // Only the start is looked at, however long the value.
    let head = &value[..value.len().min(SHOWN_CHARS * 4 + 4)];
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for (i, ch) in text.chars().enumerate() {
        if i == SHOWN_CHARS {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

/// Rewrite a report stored before the rule on what reports show ([`shown`])
/// so that it shows no more than a new report would: values that may
/// identify someone are dropped, dates in reasons are cut to their year,
/// and quoted text in reasons that is not a registered agency, the
/// submission's provider or a code is replaced by its length. A report
/// made under the rule is left as it is, except that dates in reasons
/// (the reporting month's bounds, today) are cut to their year too.
pub fn scrub(report: &mut Report, agencies: &BTreeSet<String>, provider: Option<&str>) {
    for p in report.errors.iter_mut().chain(&mut report.warnings) {
        if let Some(value) = p.value.take() {
            p.value = match &p.field {
                Some(field) => shown(field, &value, agencies, provider),
                None => shown_column_name(value.as_bytes()),
            };
        }
        p.reason = scrub_text(&p.reason, agencies, provider);
    }
    if let Verdict::Rejected { reason } = &mut report.verdict {
        *reason = scrub_text(reason, agencies, provider);
    }
}

/// A stored reason with no dates (only their years) and no quoted text
/// that might identify someone.
fn scrub_text(text: &str, agencies: &BTreeSet<String>, provider: Option<&str>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digits = |from: usize, n: usize| {
        chars.len() >= from + n && chars[from..from + n].iter().all(char::is_ascii_digit)
    };
    let boundary = |at: usize| at >= chars.len() || !chars[at].is_ascii_alphanumeric();
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        // YYYY-MM-DD (and the time after it, if any) or YYYYMMDD: the year.
        if starts_word && digits(i, 4) {
            let dashed = chars.get(i + 4) == Some(&'-')
                && digits(i + 5, 2)
                && chars.get(i + 7) == Some(&'-')
                && digits(i + 8, 2);
            let end = if dashed && boundary(i + 10) {
                Some(i + 10)
            } else if digits(i, 8) && boundary(i + 8) {
                Some(i + 8)
            } else {
                None
            };
            if let Some(end) = end {
                out.extend(&chars[i..i + 4]);
                i = end;
                continue;
            }
        }
        // 'quoted': kept only if it cannot identify anyone.
        if chars[i] == '\'' && (i == 0 || matches!(chars[i - 1], ' ' | '(')) {
            let close = chars[i + 1..]
                .iter()
                .position(|&c| c == '\'')
                .map(|p| p + i + 1)
                .filter(|&c| {
                    chars
                        .get(c + 1)
                        .is_none_or(|n| matches!(n, ' ' | ')' | ':' | ',' | ';' | '.'))
                });
            if let Some(close) = close {
                let quoted: String = chars[i + 1..close].iter().collect();
                if agencies.contains(&quoted)
                    || provider == Some(quoted.as_str())
                    || is_code_like(&quoted)
                {
                    out.push('\'');
                    out.push_str(&quoted);
                    out.push('\'');
                } else {
                    let n = quoted.chars().count() as u64;
                    out.push_str(&format!(
                        "({} {})",
                        thousands(n),
                        plural(n, "character", "characters")
                    ));
                }
                i = close + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use super::*;
    use crate::records::submission::{BadRowLimit, Problem};

    #[test]
    fn values_are_shortened_and_escaped() {
        assert_eq!(show(b"a\tb\x1b"), "a\\tb\\u{1b}");
        assert_eq!(show("é".repeat(50).as_bytes()), "é".repeat(40) + "…");
    }

    /// Identifying values that reports must never show, in the spellings
    /// the tests use.
    const SECRETS: [&str; 9] = [
        "Zebedee",
        "Quartermain",
        "4857773456",
        "2011-07-23",
        "20110723",
        "1980-01-15",
        "19800115",
        "ZQ",
        "EPZEB",
    ];

    fn assert_no_secrets(report: &Report) {
        let text = report.to_text("f.csv");
        let json = serde_json::to_string(report).unwrap();
        for secret in SECRETS {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
            assert!(!json.contains(secret), "{secret} in:\n{json}");
        }
    }

    #[test]
    fn reports_show_no_identifiers_initials_or_dates_of_birth() {
        let mut f = fixture();
        f.limit = BadRowLimit::Rows(100);
        let o = f.rows(&[
            // A valid client whose later row differs: the first line's date
            // of birth (and this one's) must not be quoted.
            row(&[]),
            row(&[("MODID", "M2"), ("DOB", "19800116")]),
            // A child, an NHS number and a name as identifier, names in the
            // initials, a date of birth in several spellings.
            row(&[
                ("MODID", "M3"),
                ("EPISODID", "EPZEB"),
                ("CLIENT", "4857773456 Zebedee Quartermain"),
                ("FINITIAL", "Zebedee"),
                ("SINITIAL", "Quartermain"),
                ("DOB", "2011-07-23"),
            ]),
            row(&[("MODID", "M4"), ("EPISODID", "E4"), ("DOB", "20110723")]),
            row(&[("MODID", "M5"), ("EPISODID", "E5"), ("DOB", "23/07/2011")]),
            row(&[("MODID", "M6"), ("EPISODID", "E6"), ("FINITIAL", "ZQ")]),
            row(&[
                ("MODID", "M7"),
                ("EPISODID", "EPZEB"),
                ("DOB", "2011-07-23"),
            ]),
            // The agency column holding a name.
            row(&[("MODID", "M8"), ("EPISODID", "E8"), ("AGNCY", "Zebedee")]),
        ]);
        assert!(o.report.errors.len() >= 7, "{:?}", o.report.errors);
        assert_no_secrets(&o.report);
        // The problems still say where and what.
        let text = o.report.to_text("f.csv");
        assert!(
            text.contains("f.csv:3: DOB: differs from line 2 of the same episode"),
            "{text}"
        );
        assert!(
            text.contains("f.csv:4: FINITIAL (7 characters): not an initial"),
            "{text}"
        );
        assert!(
            text.contains("f.csv:6: DOB (10 characters): not a date"),
            "{text}"
        );
        assert!(text.contains("f.csv:5: DOB: under 18"), "{text}");

        // A file without its header row: the first row is not quoted.
        let mut bytes = row(&[
            ("CLIENT", "4857773456"),
            ("FINITIAL", "Z"),
            ("SINITIAL", "Q"),
            ("DOB", "20110723"),
        ])
        .into_bytes();
        bytes.extend(b"\n");
        bytes.extend(row(&[]).into_bytes());
        let o = fixture().read(&bytes);
        assert!(matches!(o.report.verdict, Verdict::Rejected { .. }));
        assert_no_secrets(&o.report);
        assert!(
            o.report
                .to_text("f.csv")
                .contains("the first row must be the header"),
            "{}",
            o.report.to_text("f.csv")
        );
    }

    #[test]
    fn old_reports_are_scrubbed_to_what_a_new_one_shows() {
        let problem = |line, field: Option<&str>, value: Option<&str>, reason: &str| Problem {
            line,
            cell: None,
            field: field.map(str::to_string),
            value: value.map(str::to_string),
            length: None,
            reason: reason.to_string(),
        };
        let mut report = Report {
            rows: 3,
            accepted_rows: 0,
            rejected_rows: 3,
            verdict: Verdict::Rejected {
                reason: "unknown agency 'Zebedee': register it with `lantern import agencies`"
                    .into(),
            },
            errors: vec![
                problem(
                    2,
                    Some("DOB"),
                    Some("2011-07-23"),
                    "under 18: belongs to the young people's data set",
                ),
                problem(2, Some("CLIENT"), Some("4857773456"), "missing"),
                problem(
                    2,
                    Some("FINITIAL"),
                    Some("Zebedee"),
                    "not an initial: one letter A–Z",
                ),
                problem(
                    3,
                    Some("DOB"),
                    Some("19800115"),
                    "differs from line 2 of the same episode (rows of an episode must agree)",
                ),
                problem(
                    3,
                    Some("DOB"),
                    Some("20110723"),
                    "not before the referral (2011-07-24)",
                ),
                problem(
                    3,
                    Some("AGNCY"),
                    Some("Zebedee"),
                    "differs from the agency on line 2 ('N0001'): a file holds one provider's records",
                ),
                problem(
                    3,
                    Some("AGNCY"),
                    Some("N0001"),
                    "unknown agency 'Quartermain': register it",
                ),
                problem(
                    1,
                    None,
                    Some("Zebedee Quartermain"),
                    "unknown column; the nearest valid name is SINITIAL",
                ),
                problem(
                    1,
                    None,
                    Some("DISRSNN"),
                    "unknown column; the nearest valid name is DISRSN",
                ),
                problem(4, Some("DRUG1"), Some("9999"), "unknown drug code"),
            ],
            warnings: vec![problem(
                3,
                Some("EPSTART"),
                Some("20250112"),
                "episode start before triage (2025-01-10)",
            )],
            limit: "0".into(),
            truncated: 0,
        };
        let agencies: BTreeSet<String> = ["N0001".to_string()].into();
        scrub(&mut report, &agencies, Some("N0852"));
        assert_no_secrets(&report);
        let shown: Vec<Option<&str>> = report.errors.iter().map(|p| p.value.as_deref()).collect();
        assert_eq!(
            shown,
            [
                None,
                None,
                None,
                None,
                None,
                None,
                Some("N0001"),
                None,
                Some("DISRSNN"),
                Some("9999")
            ]
        );
        assert_eq!(report.errors[4].reason, "not before the referral (2011)");
        assert_eq!(
            report.errors[5].reason,
            "differs from the agency on line 2 ('N0001'): a file holds one provider's records"
        );
        assert_eq!(
            report.errors[6].reason,
            "unknown agency (11 characters): register it"
        );
        assert_eq!(
            report.errors[0].reason,
            "under 18: belongs to the young people's data set"
        );
        assert_eq!(
            report.verdict,
            Verdict::Rejected {
                reason: "unknown agency (7 characters): register it with `lantern import agencies`"
                    .into()
            }
        );
        // Scrubbing twice changes nothing more.
        let once = report.clone();
        scrub(&mut report, &agencies, Some("N0852"));
        assert_eq!(report, once);
    }
}
