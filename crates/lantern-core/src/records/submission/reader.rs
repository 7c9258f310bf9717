//! The reader's state over one file ([`Reader`]): the CSV bytes read row by
//! row, and at the end the verdict: whether the file is accepted, which
//! rows are applied (a bad row's whole episode is dropped) and the records
//! grouped by area.

use std::collections::{BTreeMap, HashMap};

use hmac::{Hmac, KeyInit};
use sha2::Sha256;

use super::cells::{Ymd, text};
use super::check::Bounds;
use super::ids::{IdTable, Seeded};
use super::redact::Shown;
use super::report::{Report, Sink, Verdict, plural, thousands};
use super::rows::{Attributor, Sig};
use super::{Context, NCOLS, Outcome};
use crate::records::{ClientKey, Record};

/// An episode as first seen, and whether any of its rows is bad.
pub(super) struct Episode {
    pub(super) first_line: u64,
    pub(super) sig: Sig,
    /// The first line of the episode with an error, if any.
    pub(super) bad_line: Option<u64>,
}

/// Where a good row (waiting for the verdict) came from.
pub(super) struct Kept {
    pub(super) line: u64,
    pub(super) episode: u32,
    pub(super) area: u32,
}

/// One submission being read: the problems found, the header's column
/// map, the episodes and identifiers seen, and the good rows kept so far.
pub(super) struct Reader<'c, 'a> {
    pub(super) ctx: &'c Context<'a>,
    pub(super) sink: Sink,
    pub(super) bounds: Bounds,
    pub(super) mac: Option<Hmac<Sha256>>,
    pub(super) last_client: Option<(Attributor, ClientKey)>,
    pub(super) hash: Seeded,
    pub(super) map: [usize; NCOLS],
    /// How many columns the header has (every row must have as many).
    pub(super) width: usize,
    pub(super) agency: Option<String>,
    pub(super) agency_from: String,
    pub(super) episodes: Vec<Episode>,
    pub(super) episode_ids: IdTable,
    pub(super) modality_ids: IdTable,
    pub(super) modality_lines: Vec<u64>,
    pub(super) records: Vec<Record>,
    pub(super) kept: Vec<Kept>,
    pub(super) areas: Vec<[u8; 9]>,
    pub(super) area_index: HashMap<[u8; 9], u32, Seeded>,
    pub(super) rows: u64,
    pub(super) bad_rows: u64,
    pub(super) header_ok: bool,
}

impl<'c, 'a> Reader<'c, 'a> {
    pub(super) fn new(ctx: &'c Context<'a>) -> Self {
        let month_end = Ymd::from_date(ctx.month.last_day());
        let hash = Seeded::new();
        Reader {
            ctx,
            sink: Sink::default(),
            bounds: Bounds {
                month: ctx.month,
                month_end,
                today: Ymd::from_date(ctx.today),
            },
            mac: Hmac::<Sha256>::new_from_slice(ctx.key.secret()).ok(),
            last_client: None,
            hash,
            map: [usize::MAX; NCOLS],
            width: NCOLS,
            agency: None,
            agency_from: String::new(),
            episodes: Vec::new(),
            episode_ids: IdTable::new(hash),
            modality_ids: IdTable::new(hash),
            modality_lines: Vec::new(),
            records: Vec::new(),
            kept: Vec::new(),
            areas: Vec::new(),
            area_index: HashMap::with_hasher(hash),
            rows: 0,
            bad_rows: 0,
            header_ok: false,
        }
    }

    pub(super) fn run(&mut self, bytes: &[u8]) {
        if let Err(e) = std::str::from_utf8(bytes) {
            let offset = e.valid_up_to();
            let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            let byte = bytes.get(offset).copied().unwrap_or(0);
            self.sink.file_error(line, None, Shown::Nothing, || {
                format!(
                    "not UTF-8: byte 0x{byte:02X} at byte offset {offset} is not valid UTF-8 \
                     (save the file as UTF-8)"
                )
            });
            return;
        }
        if !self.key_ok() {
            return;
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body);
        let mut record = csv::ByteRecord::new();
        // Room for every row (a row takes at least 64 bytes of the file).
        let lines = body.iter().filter(|&&b| b == b'\n').count() + 1;
        let rows = lines.min(body.len() / 64 + 1);
        self.records.reserve(rows);
        self.kept.reserve(rows);
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => {
                self.sink
                    .file_error(0, None, Shown::Nothing, || "empty: no header row".into());
                return;
            }
            Err(e) => {
                self.sink.file_error(1, None, Shown::Nothing, || {
                    format!("not readable as CSV: {e}")
                });
                return;
            }
        }
        if !self.begin(1, &record) {
            // Count the rows for the report; nothing else can be read.
            while let Ok(true) = csv.read_byte_record(&mut record) {
                self.rows += 1;
            }
            return;
        }
        loop {
            match csv.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    self.sink.file_error(line, None, Shown::Nothing, || {
                        format!("not readable as CSV: {e}")
                    });
                    break;
                }
            }
            let line = record.position().map_or(0, csv::Position::line);
            self.row(line, &record);
        }
    }

    /// Whether the pseudonym key can be used (a file problem if not).
    pub(super) fn key_ok(&mut self) -> bool {
        if self.mac.is_none() {
            self.sink.file_error(0, None, Shown::Nothing, || {
                "the pseudonym key cannot be used".into()
            });
            return false;
        }
        true
    }

    pub(super) fn finish(self) -> Outcome {
        let Reader {
            ctx,
            mut sink,
            agency,
            episodes,
            records,
            kept,
            areas: area_codes,
            rows,
            bad_rows,
            header_ok,
            ..
        } = self;
        let mut accepted_rows = 0u64;
        let rejected = |reason: String| Verdict::Rejected { reason };
        // Which rows are applied, if any.
        let mut keep: Option<Vec<bool>> = None;
        let verdict = if sink.file_errors > 0 {
            let first = sink.first_file_error.clone().unwrap_or_default();
            let more = sink.file_errors - 1;
            rejected(if more == 0 {
                first
            } else {
                format!(
                    "{first} (and {} more {} with the file)",
                    thousands(more),
                    plural(more, "problem", "problems")
                )
            })
        } else if header_ok && rows == 0 {
            sink.error(0, None, Shown::Nothing, || {
                "the file has a header but no rows".into()
            });
            rejected("no rows".into())
        } else if bad_rows == 0 {
            keep = Some(vec![true; kept.len()]);
            Verdict::Accepted
        } else if ctx.limit.allows(bad_rows, rows) {
            let mut flags = Vec::with_capacity(kept.len());
            for k in &kept {
                let bad_line = episodes.get(k.episode as usize).and_then(|e| e.bad_line);
                if let Some(bad_line) = bad_line {
                    sink.warning(k.line, Some("EPISODID"), Shown::Nothing, || {
                        format!(
                            "dropped: line {bad_line} of the same episode has errors, and \
                             an episode's rows are kept or dropped together"
                        )
                    });
                }
                flags.push(bad_line.is_none());
            }
            keep = Some(flags);
            Verdict::AcceptedWithRejections
        } else {
            rejected(format!(
                "{} of {} {} {} errors; the limit is {} (set [records] max_bad_rows or \
                 --max-bad-rows)",
                thousands(bad_rows),
                thousands(rows),
                plural(rows, "row", "rows"),
                plural(bad_rows, "has", "have"),
                ctx.limit
            ))
        };
        let mut areas = BTreeMap::new();
        let everything = keep.as_ref().is_some_and(|k| k.iter().all(|&k| k));
        if everything && area_codes.len() == 1 {
            // One area, every row: the records as they are.
            accepted_rows = records.len() as u64;
            if let Some(code) = area_codes.first() {
                areas.insert(text(code).to_string(), records);
            }
        } else if let Some(keep) = keep {
            let mut sizes = vec![0usize; area_codes.len()];
            for (k, &keep) in kept.iter().zip(&keep) {
                if keep && let Some(size) = sizes.get_mut(k.area as usize) {
                    *size += 1;
                }
            }
            let mut by_area: Vec<Vec<Record>> =
                sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
            for ((k, keep), record) in kept.iter().zip(keep).zip(records) {
                if keep && let Some(list) = by_area.get_mut(k.area as usize) {
                    list.push(record);
                    accepted_rows += 1;
                }
            }
            for (code, list) in area_codes.iter().zip(by_area) {
                if !list.is_empty() {
                    areas.insert(text(code).to_string(), list);
                }
            }
        }
        sink.errors.sort_by_key(|p| p.line);
        sink.warnings.sort_by_key(|p| p.line);
        Outcome {
            provider: agency.unwrap_or_default(),
            month: ctx.month,
            areas,
            report: Report {
                rows,
                accepted_rows,
                rejected_rows: rows - accepted_rows,
                verdict,
                errors: sink.errors,
                warnings: sink.warnings,
                limit: ctx.limit.to_string(),
                truncated: sink.truncated,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::*;
    use crate::records::submission::{BadRowLimit, Verdict};

    #[test]
    fn a_byte_order_mark_is_allowed() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(file(&[row(&[])]));
        let o = fixture().read(&bytes);
        assert_eq!(o.report.verdict, Verdict::Accepted, "{:?}", o.report);
    }

    #[test]
    fn invalid_utf8_rejects_the_file_with_its_place() {
        let mut bytes = file(&[row(&[]), row(&[("MODID", "M2")])]);
        let offset = bytes.len() - 5;
        bytes[offset] = 0xFF;
        let o = fixture().read(&bytes);
        assert_eq!(o.report.errors.len(), 1);
        assert_eq!(o.report.errors[0].line, 3);
        assert_eq!(
            o.report.errors[0].reason,
            format!(
                "not UTF-8: byte 0xFF at byte offset {offset} is not valid UTF-8 (save the file as UTF-8)"
            )
        );
        assert!(rejected(&o).starts_with("not UTF-8"));
        assert!(o.areas.is_empty());
    }

    #[test]
    fn files_without_rows_are_rejected() {
        let o = fixture().read(&file(&[]));
        assert_eq!(rejected(&o), "no rows");
        assert_eq!(o.report.rows, 0);
        let o = fixture().read(b"");
        assert_eq!(rejected(&o), "empty: no header row");
    }

    #[test]
    fn lines_count_quoted_line_breaks() {
        let o = fixture().rows(&[
            row(&[("CLIENT", "\"C,\n1\""), ("ETHNIC", "I")]),
            row(&[("EPISODID", "E2"), ("MODID", "M2"), ("SEX", "X")]),
        ]);
        let lines: Vec<(u64, Option<&str>)> = o
            .report
            .errors
            .iter()
            .map(|p| (p.line, p.field.as_deref()))
            .collect();
        assert_eq!(lines, [(2, Some("ETHNIC")), (4, Some("SEX"))]);
    }

    /// Ten rows in five episodes of two; line 4 (episode E2) is bad.
    fn ten_rows_one_bad() -> Vec<String> {
        (0..10)
            .map(|i| {
                let episode = format!("E{}", i / 2 + 1);
                let modality = format!("M{i}");
                let sex = if i == 2 { "X" } else { "M" };
                row(&[("EPISODID", &episode), ("MODID", &modality), ("SEX", sex)])
            })
            .collect()
    }

    #[test]
    fn the_bad_row_limit() {
        let mut f = fixture();
        let o = f.rows(&ten_rows_one_bad());
        assert_eq!(
            rejected(&o),
            "1 of 10 rows has errors; the limit is 0 (set [records] max_bad_rows or --max-bad-rows)"
        );
        assert!(o.areas.is_empty());
        assert_eq!((o.report.accepted_rows, o.report.rejected_rows), (0, 10));

        for limit in [BadRowLimit::Rows(1), BadRowLimit::Share(0.1)] {
            f.limit = limit;
            let o = f.rows(&ten_rows_one_bad());
            assert_eq!(o.report.verdict, Verdict::AcceptedWithRejections, "{limit}");
            // Line 4's episode partner (line 5) goes with it.
            assert_eq!((o.report.accepted_rows, o.report.rejected_rows), (8, 2));
            assert_eq!(
                warnings(&o),
                [p(
                    5,
                    "EPISODID",
                    "dropped: line 4 of the same episode has errors, and an episode's rows are kept or dropped together"
                )]
            );
            let kept: Vec<&str> = all_records(&o)
                .iter()
                .map(|r| r.episode_id.as_str())
                .collect();
            assert!(!kept.contains(&"E2") && kept.len() == 8);
        }

        f.limit = BadRowLimit::Share(0.05);
        let o = f.rows(&ten_rows_one_bad());
        assert_eq!(
            rejected(&o),
            "1 of 10 rows has errors; the limit is 5% (set [records] max_bad_rows or --max-bad-rows)"
        );
        assert!(BadRowLimit::Share(0.01).allows(1, 100));
        assert!(!BadRowLimit::Share(0.01).allows(2, 100));
    }
}
