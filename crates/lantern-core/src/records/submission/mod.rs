//! Reading one provider submission (`docs/formats/episodes.md`): the CSV is
//! checked row by row, every problem is located (line, column, reason, and
//! the value only where it cannot identify anyone: [`shown`]), and the good
//! rows are pseudonymised into [`Record`]s grouped by local authority.
//!
//! [`read`] never fails: whatever the bytes, it returns an [`Outcome`] whose
//! [`Report`] says what was wrong and whether the file is accepted. Problems
//! are of two kinds:
//!
//! - **file problems** (not UTF-8, a missing, unknown or repeated column, an
//!   unknown or mismatched agency, no rows) reject the whole file;
//! - **row problems**: errors make a row unusable, warnings do not. Whether
//!   a file with bad rows is accepted is decided by [`BadRowLimit`]; when it
//!   is, the bad rows are dropped together with every other row of their
//!   episodes, so no half-episode is ever kept.
//!
//! Line numbers are the CSV's physical lines (the header is line 1; a quoted
//! value spanning lines counts each). A problem with line 0 concerns the
//! file as a whole rather than one line.
//!
//! The reader works on bytes: one reused [`csv::ByteRecord`], dates and
//! numbers parsed by hand, a string allocated per row only for the episode
//! and intervention identifiers. A client's key is reused while the rows
//! are the same client's (rows of an episode are usually together): an HMAC
//! costs about as much as a hash-table look-up, so a table would not pay.
//!
//! # Layout
//!
//! - this module: the columns, [`Context`], [`Outcome`] and [`read`];
//! - `reader`: the reader's state over a file, the CSV bytes, and the
//!   verdict (which rows are applied);
//! - `header`: the header row and the agency the file must be from;
//! - `rows`: the rules of a data row, episodes that must agree, and the
//!   good row pseudonymised into a [`Record`];
//! - `check`: one row's cells checked and parsed where they are;
//! - `cells`: cell values read by hand (dates, codes, numbers);
//! - `sheet`: the same checks over a spreadsheet's rows, located by cell;
//! - `limit`: [`BadRowLimit`];
//! - `report`: [`Report`], its problems and how it reads as text;
//! - `redact`: what a report may show of a value ([`shown`]) and [`scrub`];
//! - `ids`: identifier tables and the seeded hash the reader uses.

mod cells;
mod check;
mod header;
mod ids;
mod limit;
mod reader;
mod redact;
mod report;
mod rows;
mod sheet;
#[cfg(test)]
mod testing;

use std::collections::{BTreeMap, BTreeSet};

use super::{PseudonymKey, Record, YearMonth};
use reader::Reader;
use redact::Shown;

pub use limit::{BadRowLimit, BadRowLimitError};
pub use redact::{scrub, shown};
pub use report::{MAX_LISTED_PROBLEMS, Problem, Report, Verdict};
pub use sheet::{Sheet, read_sheet};

/// The columns of a submission, in the order the format lists them (any
/// order, any case in a file). The first [`REQUIRED`] must be present; the
/// rest are optional ([`crate::records::Field`]): a file without one has
/// not submitted that field.
pub const COLUMNS: [&str; 30] = [
    "AGNCY",
    "CLIENT",
    "FINITIAL",
    "SINITIAL",
    "DOB",
    "SEX",
    "ETHNIC",
    "LA",
    "EPISODID",
    "REFLD",
    "TRIAGED",
    "EPSTART",
    "DISD",
    "DISRSN",
    "DRUG1",
    "DRUG2",
    "DRUG3",
    "MODID",
    "MODAL",
    "MODSET",
    "MODST",
    "MODEND",
    "FUNDING",
    "NALOXONE",
    "RFLS",
    "EMPSTAT",
    "ACCMNEED",
    "PRNTSTAT",
    "INJSTAT",
    "DISABILITY",
];

/// How many of [`COLUMNS`] (the first) every file must have.
pub const REQUIRED: usize = 24;

/// The longest cell accepted, in bytes.
pub const MAX_CELL_BYTES: usize = 64;

const NCOLS: usize = COLUMNS.len();
const AGNCY: usize = 0;
const CLIENT: usize = 1;
const FINITIAL: usize = 2;
const SINITIAL: usize = 3;
const DOB: usize = 4;
const SEX: usize = 5;
const ETHNIC: usize = 6;
const LA: usize = 7;
const EPISODID: usize = 8;
const REFLD: usize = 9;
const TRIAGED: usize = 10;
const EPSTART: usize = 11;
const DISD: usize = 12;
const DISRSN: usize = 13;
const DRUG1: usize = 14;
const DRUG2: usize = 15;
const DRUG3: usize = 16;
const MODID: usize = 17;
const MODAL: usize = 18;
const MODSET: usize = 19;
const MODST: usize = 20;
const MODEND: usize = 21;
const FUNDING: usize = 22;
const NALOXONE: usize = 23;
const RFLS: usize = 24;
const EMPSTAT: usize = 25;
const ACCMNEED: usize = 26;
const PRNTSTAT: usize = 27;
const INJSTAT: usize = 28;
const DISABILITY: usize = 29;

/// Everything [`read`] needs besides the bytes.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The key client pseudonyms are made with.
    pub key: &'a PseudonymKey,
    /// The registered agency codes.
    pub agencies: &'a BTreeSet<String>,
    /// The agency the file must be from (`--provider` or the file name);
    /// `None`: the agency of the first row, which every row must share.
    pub provider: Option<&'a str>,
    /// The reporting month: no date may be after its last day.
    pub month: YearMonth,
    /// The day of the import: no date may be after it.
    pub today: jiff::civil::Date,
    /// How many rows with errors a file may have and still be applied.
    pub limit: BadRowLimit,
}

/// What reading a submission gave.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The agency the file is from (`""` when it could not be told).
    pub provider: String,
    /// The reporting month.
    pub month: YearMonth,
    /// The accepted records by local authority (ONS code); empty when the
    /// file is rejected.
    pub areas: BTreeMap<String, Vec<Record>>,
    /// The validation report.
    pub report: Report,
}

/// Read, check and pseudonymise one submission file.
pub fn read(bytes: &[u8], ctx: &Context<'_>) -> Outcome {
    let mut reader = Reader::new(ctx);
    reader.run(bytes);
    reader.finish()
}

/// A submission that could not be read at all (e.g. a damaged workbook):
/// rejected, with `reason` as its one problem.
pub fn unreadable(reason: &str, ctx: &Context<'_>) -> Outcome {
    let mut reader = Reader::new(ctx);
    reader
        .sink
        .file_error(0, None, Shown::Nothing, || reason.to_string());
    reader.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::rows::client_key;
    use super::testing::*;
    use super::*;
    use crate::records::{Day, Funding, Intervention, Setting, Sex};
    use hmac::{Hmac, KeyInit};
    use jiff::civil::date;
    use sha2::Sha256;

    #[test]
    fn a_valid_file_becomes_records() {
        let f = fixture();
        let o = f.rows(&[
            row(&[]),
            row(&[("MODID", "M2"), ("MODAL", "PSYCH"), ("NALOXONE", "")]),
            row(&[
                ("CLIENT", "C2"),
                ("DOB", "19851231"),
                ("LA", "E06000015"),
                ("EPISODID", "E2"),
                ("MODID", "M3"),
                ("DISD", "20260301"),
                ("DISRSN", "80"),
                ("MODEND", "20260301"),
                ("DRUG3", "7000"),
                ("FUNDING", "SELF"),
            ]),
        ]);
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
        assert!(o.report.errors.is_empty() && o.report.warnings.is_empty());
        assert_eq!(
            (
                o.report.rows,
                o.report.accepted_rows,
                o.report.rejected_rows
            ),
            (3, 3, 0)
        );
        assert_eq!(o.provider, "N0852");
        assert_eq!(o.month.to_string(), "2026-03");
        assert_eq!(
            o.areas.keys().collect::<Vec<_>>(),
            ["E06000015", "E06000016"]
        );
        let leicester = &o.areas["E06000016"];
        let (a, b) = (&leicester[0], &leicester[1]);
        let c = &o.areas["E06000015"][0];
        assert_eq!(a.client, b.client);
        assert_ne!(a.client, c.client);
        // The key is the HMAC of the attributor, cut to 16 bytes.
        let mac = Hmac::<Sha256>::new_from_slice(f.key.secret()).unwrap();
        assert_eq!(a.client, client_key(&mac, b"J|S|19800115|M"));
        assert_eq!(
            a.birth,
            YearMonth {
                year: 1980,
                month: 1
            }
        );
        assert_eq!(
            c.birth,
            YearMonth {
                year: 1985,
                month: 12
            }
        );
        assert_eq!((a.sex, a.ethnicity), (Sex::Male, b'A'));
        assert_eq!(
            (a.episode_id.as_str(), a.modality_id.as_str()),
            ("E1", "M1")
        );
        assert_eq!(a.referral, Day::from_date(date(2025, 1, 5)));
        assert_eq!(a.triage, Day::from_date(date(2025, 1, 10)));
        assert_eq!(a.start, Day::from_date(date(2025, 1, 12)));
        assert_eq!(
            (a.discharge, a.discharge_reason, a.modality_end),
            (None, None, None)
        );
        assert_eq!(a.drugs, [Some(1101), Some(3201), None]);
        assert_eq!(
            (a.intervention, a.setting, a.funding),
            (
                Intervention::Pharmacological,
                Setting::Community,
                Funding::Council
            )
        );
        assert_eq!((a.naloxone_kits, b.naloxone_kits), (1, 0));
        assert_eq!(b.intervention, Intervention::Psychosocial);
        assert_eq!(c.discharge, Some(Day::from_date(date(2026, 3, 1))));
        assert_eq!(c.discharge_reason, Some(80));
        assert_eq!(c.modality_end, c.discharge);
        assert_eq!(c.drugs, [Some(1101), Some(3201), Some(7000)]);
        assert_eq!(c.funding, Funding::SelfFunded);
    }
}
