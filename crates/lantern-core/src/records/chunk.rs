//! The compact storage form of [`Record`]s: a column layout that packs a
//! record into 63 bytes plus its two identifiers, and reads back fast.
//!
//! # Layout (version 2)
//!
//! All integers are little-endian. `n` is the number of records; each column
//! block holds the records' values in order.
//!
//! | Block | Bytes | Value |
//! |---|---|---|
//! | magic | 4 | `LRC2` (the `2` is the version) |
//! | count | 4 | `n`, u32 |
//! | client | 16·n | [`ClientKey`] bytes |
//! | birth year | 2·n | i16 |
//! | birth month | 1·n | i8, 1–12 |
//! | sex | 1·n | [`Sex::index`] |
//! | ethnicity | 1·n | the code letter |
//! | referral | 4·n | [`Day`], i32 |
//! | triage | 4·n | [`Day`], i32 |
//! | start | 4·n | [`Day`], i32 |
//! | discharge | 4·n | [`Day`], i32; `i32::MIN` none |
//! | discharge reason | 1·n | u8; 0 none |
//! | drug 1, 2, 3 | 3 × 2·n | u16 each; 0 none |
//! | intervention | 1·n | [`Intervention::index`] |
//! | setting | 1·n | [`Setting::index`] |
//! | intervention start | 4·n | [`Day`], i32 |
//! | intervention end | 4·n | [`Day`], i32; `i32::MIN` none |
//! | funding | 1·n | [`Funding::index`] |
//! | naloxone kits | 2·n | u16 |
//! | referral source, employment, accommodation need, parental status, injecting status, disability | 6 × 1·n | [`Recorded::to_byte`] each: 0 not submitted, 1 not stated, 2 + the code's index |
//! | episode ids | n × (4 + len) | u32 byte length, then UTF-8 |
//! | modality ids | n × (4 + len) | u32 byte length, then UTF-8 |
//!
//! Version 1 (`LRC1`, written before the optional columns existed) is the
//! same without the six circumstance blocks; it is still read, every
//! record's circumstances "not submitted" (those submissions had no such
//! columns), so the store needs no rewriting.
//!
//! Nothing follows the last block. The identifiers come last so that
//! [`decode_for_compute`], which does not need them, stops before them.
//!
//! The sentinels mean that a discharge reason or drug code of `Some(0)` and
//! a day of `Some(Day(i32::MIN))` cannot be stored (they read back as
//! `None`); records made by [`super::submission`] never hold them.
//!
//! Decoding checks everything it reads (lengths, code indexes, months,
//! UTF-8, days and birth years within years 1 to 2999, the span periods
//! can name) and returns a [`ChunkError`] for damaged input; it never
//! panics and never allocates more than the input can justify: a count or
//! a length read from the bytes is checked against the bytes that remain
//! before anything is reserved for it.

use super::codes::{
    AccommodationNeed, Disability, Employment, InjectingStatus, ParentalStatus, ReferralSource,
};
use super::{
    Circumstances, ClientKey, Day, Funding, Intervention, Record, Recorded, Setting, Sex, YearMonth,
};

const MAGIC: &[u8; 3] = b"LRC";
/// The version written.
const VERSION: u8 = b'2';
/// The version before the circumstance blocks, still read.
const VERSION_1: u8 = b'1';

/// Bytes per record in the fixed-width columns of version 1.
const FIXED_BYTES_1: usize = 16 + 2 + 1 + 1 + 1 + 4 * 4 + 1 + 3 * 2 + 1 + 1 + 4 + 4 + 1 + 2;

/// Bytes per record in the fixed-width columns (version 2).
const FIXED_BYTES: usize = FIXED_BYTES_1 + 6;

/// The first and last day a chunk may hold: 0001-01-01 and 2999-12-31
/// (days since 1970-01-01), the years periods can name. A damaged chunk's
/// days fall outside them and are refused, rather than making a
/// recomputation span thousands of years.
const DAYS: std::ops::RangeInclusive<i32> = -719_162..=376_199;

/// Birth years a chunk may hold (as [`DAYS`]).
const BIRTH_YEARS: std::ops::RangeInclusive<i16> = 1..=2999;

/// What is wrong with bytes that should be a record chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// The bytes do not start with the chunk magic.
    #[error("not a record chunk (it does not start with LRC)")]
    NotAChunk,
    /// A chunk of a version this code cannot read.
    #[error("unknown version {0} (this Lantern reads versions 1 and 2)")]
    UnknownVersion(u8),
    /// The bytes end inside a block.
    #[error("truncated: the {0} block is incomplete")]
    Truncated(&'static str),
    /// A value outside its column's range.
    #[error("record {record}: {column} has the invalid value {value}")]
    BadValue {
        /// The column.
        column: &'static str,
        /// The record's position (from 0).
        record: usize,
        /// The value read.
        value: i64,
    },
    /// An identifier that is not UTF-8.
    #[error("record {record}: {column} is not UTF-8")]
    NotUtf8 {
        /// The column.
        column: &'static str,
        /// The record's position (from 0).
        record: usize,
    },
    /// Bytes after the last block.
    #[error("{0} unexpected bytes after the last block")]
    TrailingBytes(usize),
}

/// Pack records into the chunk form.
///
/// A chunk holds at most `u32::MAX` records and identifiers of at most
/// `u32::MAX` bytes (far beyond anything a submission can hold).
pub fn encode(records: &[Record]) -> Vec<u8> {
    let n = records.len();
    let ids: usize = records
        .iter()
        .map(|r| 8 + r.episode_id.len() + r.modality_id.len())
        .sum();
    let fixed = n * FIXED_BYTES;
    let mut out = Vec::with_capacity(8 + fixed + ids);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&length(n).to_le_bytes());
    out.resize(8 + fixed, 0);

    // One pass over the records, writing every column block at once.
    let body = &mut out[8..];
    let (client, body) = body.split_at_mut(n * 16);
    let (birth_year, body) = body.split_at_mut(n * 2);
    let (birth_month, body) = body.split_at_mut(n);
    let (sex, body) = body.split_at_mut(n);
    let (ethnicity, body) = body.split_at_mut(n);
    let (referral, body) = body.split_at_mut(n * 4);
    let (triage, body) = body.split_at_mut(n * 4);
    let (start, body) = body.split_at_mut(n * 4);
    let (discharge, body) = body.split_at_mut(n * 4);
    let (reason, body) = body.split_at_mut(n);
    let (drug1, body) = body.split_at_mut(n * 2);
    let (drug2, body) = body.split_at_mut(n * 2);
    let (drug3, body) = body.split_at_mut(n * 2);
    let (intervention, body) = body.split_at_mut(n);
    let (setting, body) = body.split_at_mut(n);
    let (modality_start, body) = body.split_at_mut(n * 4);
    let (modality_end, body) = body.split_at_mut(n * 4);
    let (funding, body) = body.split_at_mut(n);
    let (naloxone, body) = body.split_at_mut(n * 2);
    let (referral_source, body) = body.split_at_mut(n);
    let (employment, body) = body.split_at_mut(n);
    let (accommodation, body) = body.split_at_mut(n);
    let (parental, body) = body.split_at_mut(n);
    let (injecting, disability) = body.split_at_mut(n);
    let day = |d: Option<Day>| d.map_or(i32::MIN, |d| d.0).to_le_bytes();
    for (i, r) in records.iter().enumerate() {
        put(client, i, r.client.0);
        put(birth_year, i, r.birth.year.to_le_bytes());
        put(birth_month, i, r.birth.month.to_le_bytes());
        put(sex, i, [r.sex.index()]);
        put(ethnicity, i, [r.ethnicity]);
        put(referral, i, r.referral.0.to_le_bytes());
        put(triage, i, r.triage.0.to_le_bytes());
        put(start, i, r.start.0.to_le_bytes());
        put(discharge, i, day(r.discharge));
        put(reason, i, [r.discharge_reason.unwrap_or(0)]);
        put(drug1, i, r.drugs[0].unwrap_or(0).to_le_bytes());
        put(drug2, i, r.drugs[1].unwrap_or(0).to_le_bytes());
        put(drug3, i, r.drugs[2].unwrap_or(0).to_le_bytes());
        put(intervention, i, [r.intervention.index()]);
        put(setting, i, [r.setting.index()]);
        put(modality_start, i, r.modality_start.0.to_le_bytes());
        put(modality_end, i, day(r.modality_end));
        put(funding, i, [r.funding.index()]);
        put(naloxone, i, r.naloxone_kits.to_le_bytes());
        let c = &r.circumstances;
        put(
            referral_source,
            i,
            [c.referral_source.to_byte(ReferralSource::index)],
        );
        put(employment, i, [c.employment.to_byte(Employment::index)]);
        put(
            accommodation,
            i,
            [c.accommodation.to_byte(AccommodationNeed::index)],
        );
        put(parental, i, [c.parental.to_byte(ParentalStatus::index)]);
        put(injecting, i, [c.injecting.to_byte(InjectingStatus::index)]);
        put(disability, i, [c.disability.to_byte(Disability::index)]);
    }
    for r in records {
        put_id(&mut out, &r.episode_id);
    }
    for r in records {
        put_id(&mut out, &r.modality_id);
    }
    out
}

/// Write the `i`th value of a column block.
#[inline(always)]
fn put<const N: usize>(block: &mut [u8], i: usize, value: [u8; N]) {
    if let Some(slot) = block.get_mut(i * N..i * N + N) {
        slot.copy_from_slice(&value);
    }
}

fn length(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn put_id(out: &mut Vec<u8>, id: &str) {
    let len = length(id.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&id.as_bytes()[..len as usize]);
}

/// Read a chunk back, identifiers included.
pub fn decode(bytes: &[u8]) -> Result<Vec<Record>, ChunkError> {
    let mut input = Input { rest: bytes };
    let mut records = decode_fixed(&mut input)?;
    for (i, r) in records.iter_mut().enumerate() {
        r.episode_id = input.id("episode id", i)?;
    }
    for (i, r) in records.iter_mut().enumerate() {
        r.modality_id = input.id("modality id", i)?;
    }
    if !input.rest.is_empty() {
        return Err(ChunkError::TrailingBytes(input.rest.len()));
    }
    Ok(records)
}

/// Read a chunk back without its identifiers (`episode_id` and
/// `modality_id` are left empty): what computing figures needs, faster.
/// The identifier blocks are not read, so not checked.
pub fn decode_for_compute(bytes: &[u8]) -> Result<Vec<Record>, ChunkError> {
    decode_fixed(&mut Input { rest: bytes })
}

struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], ChunkError> {
        if self.rest.len() < len {
            return Err(ChunkError::Truncated(what));
        }
        let (head, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(head)
    }

    /// A column block of `n` values of `width` bytes.
    fn column(
        &mut self,
        n: usize,
        width: usize,
        what: &'static str,
    ) -> Result<&'a [u8], ChunkError> {
        let len = n.checked_mul(width).ok_or(ChunkError::Truncated(what))?;
        self.take(len, what)
    }

    fn id(&mut self, what: &'static str, record: usize) -> Result<String, ChunkError> {
        let len = self.take(4, what)?;
        let len = u32::from_le_bytes(array(len));
        let len = usize::try_from(len).map_err(|_| ChunkError::Truncated(what))?;
        let bytes = self.take(len, what)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_string()),
            Err(_) => Err(ChunkError::NotUtf8 {
                column: what,
                record,
            }),
        }
    }
}

/// The first `N` bytes of a slice known to hold them (zeros otherwise).
#[inline(always)]
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes
        .get(..N)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .unwrap_or([0; N])
}

#[inline(always)]
fn optional_day(bytes: &[u8]) -> Option<Day> {
    match i32::from_le_bytes(array(bytes)) {
        i32::MIN => None,
        d => Some(Day(d)),
    }
}

#[inline(always)]
fn nonzero<T: PartialEq + Default>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

fn decode_fixed(input: &mut Input<'_>) -> Result<Vec<Record>, ChunkError> {
    let magic = input.take(4, "header")?;
    if magic.get(..3) != Some(MAGIC.as_slice()) {
        return Err(ChunkError::NotAChunk);
    }
    let version = magic.get(3).copied().unwrap_or(0);
    if version != VERSION && version != VERSION_1 {
        return Err(ChunkError::UnknownVersion(if version.is_ascii_digit() {
            version - b'0'
        } else {
            version
        }));
    }
    let v2 = version == VERSION;
    let (fixed_bytes, blocks) = if v2 {
        (FIXED_BYTES, &BLOCKS[..])
    } else {
        (FIXED_BYTES_1, &BLOCKS[..BLOCKS_1])
    };
    let n = u32::from_le_bytes(array(input.take(4, "header")?));
    let n = usize::try_from(n).map_err(|_| ChunkError::Truncated("header"))?;
    // Every fixed-width block must be there before anything is allocated.
    if n.checked_mul(fixed_bytes)
        .is_none_or(|len| len > input.rest.len())
    {
        // Find the first incomplete block for the message.
        let mut probe = Input { rest: input.rest };
        for (width, what) in blocks {
            probe.column(n, *width, what)?;
        }
        return Err(ChunkError::Truncated("header"));
    }
    let client = input.column(n, 16, "client")?;
    let birth_year = input.column(n, 2, "birth year")?;
    let birth_month = input.column(n, 1, "birth month")?;
    let sex = input.column(n, 1, "sex")?;
    let ethnicity = input.column(n, 1, "ethnicity")?;
    let referral = input.column(n, 4, "referral")?;
    let triage = input.column(n, 4, "triage")?;
    let start = input.column(n, 4, "start")?;
    let discharge = input.column(n, 4, "discharge")?;
    let reason = input.column(n, 1, "discharge reason")?;
    let drug1 = input.column(n, 2, "drug 1")?;
    let drug2 = input.column(n, 2, "drug 2")?;
    let drug3 = input.column(n, 2, "drug 3")?;
    let intervention = input.column(n, 1, "intervention")?;
    let setting = input.column(n, 1, "setting")?;
    let modality_start = input.column(n, 4, "intervention start")?;
    let modality_end = input.column(n, 4, "intervention end")?;
    let funding = input.column(n, 1, "funding")?;
    let naloxone = input.column(n, 2, "naloxone kits")?;
    // Version 1 has no circumstance blocks: every value "not submitted".
    let mut circumstances: [&[u8]; 6] = [&[]; 6];
    if v2 {
        for (block, (_, what)) in circumstances.iter_mut().zip(&BLOCKS[BLOCKS_1..]) {
            *block = input.column(n, 1, what)?;
        }
    }
    let [
        referral_source,
        employment,
        accommodation,
        parental,
        injecting,
        disability,
    ] = circumstances;

    let mut records = Vec::with_capacity(n);
    let mut client = client.chunks_exact(16);
    let mut birth_year = birth_year.chunks_exact(2);
    let mut referral = referral.chunks_exact(4);
    let mut triage = triage.chunks_exact(4);
    let mut start = start.chunks_exact(4);
    let mut discharge = discharge.chunks_exact(4);
    let mut drug1 = drug1.chunks_exact(2);
    let mut drug2 = drug2.chunks_exact(2);
    let mut drug3 = drug3.chunks_exact(2);
    let mut modality_start = modality_start.chunks_exact(4);
    let mut modality_end = modality_end.chunks_exact(4);
    let mut naloxone = naloxone.chunks_exact(2);
    for i in 0..n {
        let (
            Some(client),
            Some(year),
            Some(&month),
            Some(&sex),
            Some(&ethnicity),
            Some(referral),
            Some(triage),
            Some(start),
            Some(discharge),
            Some(&reason),
            Some(drug1),
            Some(drug2),
        ) = (
            client.next(),
            birth_year.next(),
            birth_month.get(i),
            sex.get(i),
            ethnicity.get(i),
            referral.next(),
            triage.next(),
            start.next(),
            discharge.next(),
            reason.get(i),
            drug1.next(),
            drug2.next(),
        )
        else {
            return Err(ChunkError::Truncated("record"));
        };
        let (
            Some(drug3),
            Some(&intervention),
            Some(&setting),
            Some(modality_start),
            Some(modality_end),
            Some(&funding),
            Some(naloxone),
        ) = (
            drug3.next(),
            intervention.get(i),
            setting.get(i),
            modality_start.next(),
            modality_end.next(),
            funding.get(i),
            naloxone.next(),
        )
        else {
            return Err(ChunkError::Truncated("record"));
        };
        let bad = |column, value: u8| ChunkError::BadValue {
            column,
            record: i,
            value: i64::from(value),
        };
        let month = i8::from_le_bytes([month]);
        if !(1..=12).contains(&month) {
            return Err(ChunkError::BadValue {
                column: "birth month",
                record: i,
                value: i64::from(month),
            });
        }
        let year = i16::from_le_bytes(array(year));
        if !BIRTH_YEARS.contains(&year) {
            return Err(ChunkError::BadValue {
                column: "birth year",
                record: i,
                value: i64::from(year),
            });
        }
        let day = |column: &'static str, bytes: &[u8]| -> Result<Option<Day>, ChunkError> {
            match optional_day(bytes) {
                Some(Day(d)) if !DAYS.contains(&d) => Err(ChunkError::BadValue {
                    column,
                    record: i,
                    value: i64::from(d),
                }),
                day => Ok(day),
            }
        };
        let required = |column: &'static str, bytes: &[u8]| -> Result<Day, ChunkError> {
            day(column, bytes)?.ok_or(ChunkError::BadValue {
                column,
                record: i,
                value: i64::from(i32::MIN),
            })
        };
        records.push(Record {
            client: ClientKey(array(client)),
            birth: YearMonth { year, month },
            sex: Sex::from_index(sex).ok_or_else(|| bad("sex", sex))?,
            ethnicity,
            episode_id: String::new(),
            modality_id: String::new(),
            referral: required("referral", referral)?,
            triage: required("triage", triage)?,
            start: required("start", start)?,
            discharge: day("discharge", discharge)?,
            discharge_reason: nonzero(reason),
            drugs: [
                nonzero(u16::from_le_bytes(array(drug1))),
                nonzero(u16::from_le_bytes(array(drug2))),
                nonzero(u16::from_le_bytes(array(drug3))),
            ],
            intervention: Intervention::from_index(intervention)
                .ok_or_else(|| bad("intervention", intervention))?,
            setting: Setting::from_index(setting).ok_or_else(|| bad("setting", setting))?,
            modality_start: required("intervention start", modality_start)?,
            modality_end: day("intervention end", modality_end)?,
            funding: Funding::from_index(funding).ok_or_else(|| bad("funding", funding))?,
            naloxone_kits: u16::from_le_bytes(array(naloxone)),
            circumstances: Circumstances {
                referral_source: recorded(
                    referral_source,
                    i,
                    "referral source",
                    ReferralSource::from_index,
                )?,
                employment: recorded(employment, i, "employment status", Employment::from_index)?,
                accommodation: recorded(
                    accommodation,
                    i,
                    "accommodation need",
                    AccommodationNeed::from_index,
                )?,
                parental: recorded(parental, i, "parental status", ParentalStatus::from_index)?,
                injecting: recorded(
                    injecting,
                    i,
                    "injecting status",
                    InjectingStatus::from_index,
                )?,
                disability: recorded(disability, i, "disability", Disability::from_index)?,
            },
        });
    }
    Ok(records)
}

/// One record's value of a circumstance block (none in a version 1
/// chunk: not submitted).
fn recorded<T: Copy>(
    block: &[u8],
    record: usize,
    column: &'static str,
    from_index: fn(u8) -> Option<T>,
) -> Result<Recorded<T>, ChunkError> {
    match block.get(record) {
        None => Ok(Recorded::NotSubmitted),
        Some(&b) => Recorded::from_byte(b, from_index).ok_or(ChunkError::BadValue {
            column,
            record,
            value: i64::from(b),
        }),
    }
}

/// How many of [`BLOCKS`] a version 1 chunk has.
const BLOCKS_1: usize = 19;

/// The fixed-width blocks in order: width and name.
const BLOCKS: [(usize, &str); 25] = [
    (16, "client"),
    (2, "birth year"),
    (1, "birth month"),
    (1, "sex"),
    (1, "ethnicity"),
    (4, "referral"),
    (4, "triage"),
    (4, "start"),
    (4, "discharge"),
    (1, "discharge reason"),
    (2, "drug 1"),
    (2, "drug 2"),
    (2, "drug 3"),
    (1, "intervention"),
    (1, "setting"),
    (4, "intervention start"),
    (4, "intervention end"),
    (1, "funding"),
    (2, "naloxone kits"),
    (1, "referral source"),
    (1, "employment status"),
    (1, "accommodation need"),
    (1, "parental status"),
    (1, "injecting status"),
    (1, "disability"),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    fn sample(i: u32) -> Record {
        Record {
            client: ClientKey([i as u8; 16]),
            birth: YearMonth {
                year: 1980,
                month: 6,
            },
            sex: Sex::Female,
            ethnicity: b'A',
            episode_id: format!("E{i}"),
            modality_id: format!("M{i}-é"),
            referral: Day(20_000),
            triage: Day(20_001),
            start: Day(20_002),
            discharge: i.is_multiple_of(2).then_some(Day(20_100)),
            discharge_reason: i.is_multiple_of(2).then_some(80),
            drugs: [Some(1101), Some(3201), None],
            intervention: Intervention::Psychosocial,
            setting: Setting::Residential,
            modality_start: Day(20_002),
            modality_end: i.is_multiple_of(2).then_some(Day(20_050)),
            funding: Funding::SelfFunded,
            naloxone_kits: 2,
            circumstances: Circumstances {
                referral_source: Recorded::Code(ReferralSource::Probation),
                employment: Recorded::NotStated,
                injecting: Recorded::Code(InjectingStatus::Currently),
                disability: Recorded::Code(Disability::Declined),
                ..Circumstances::default()
            },
        }
    }

    #[test]
    fn the_block_table_matches_the_record_width() {
        assert_eq!(BLOCKS.iter().map(|(w, _)| w).sum::<usize>(), FIXED_BYTES);
        assert_eq!(FIXED_BYTES, 63);
        assert_eq!(
            BLOCKS[..BLOCKS_1].iter().map(|(w, _)| w).sum::<usize>(),
            FIXED_BYTES_1
        );
    }

    /// A chunk written before the optional columns (version 1: the same
    /// blocks without the six circumstance blocks) reads back with every
    /// circumstance "not submitted".
    #[test]
    fn version_1_chunks_are_read_as_not_submitted() {
        let records: Vec<Record> = (0..3)
            .map(|i| Record {
                circumstances: Circumstances::default(),
                ..sample(i)
            })
            .collect();
        let v2 = encode(&records);
        let n = records.len();
        let mut v1 = v2[..8 + n * FIXED_BYTES_1].to_vec();
        v1.extend_from_slice(&v2[8 + n * FIXED_BYTES..]);
        v1[3] = b'1';
        assert_eq!(decode(&v1).unwrap(), records);
        assert_eq!(decode_for_compute(&v1).unwrap().len(), 3);
        // Cut short inside the version 1 blocks, it names the block.
        assert_eq!(
            decode(&v1[..8 + n * 16]).unwrap_err(),
            ChunkError::Truncated("birth year")
        );
        // A version 2 chunk with a circumstance byte no code stands for.
        let mut bad = encode(&[sample(1)]);
        bad[8 + FIXED_BYTES_1] = 99;
        assert_eq!(
            decode(&bad).unwrap_err().to_string(),
            "record 0: referral source has the invalid value 99"
        );
    }

    #[test]
    fn records_round_trip() {
        let records: Vec<Record> = (0..5).map(sample).collect();
        let bytes = encode(&records);
        assert_eq!(&bytes[..4], b"LRC2");
        assert_eq!(decode(&bytes).unwrap(), records);
        let lean = decode_for_compute(&bytes).unwrap();
        assert!(
            lean.iter()
                .all(|r| r.episode_id.is_empty() && r.modality_id.is_empty())
        );
        assert_eq!(lean[3].client, records[3].client);
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn damage_is_named() {
        let bytes = encode(&[sample(1)]);
        let mut v7 = bytes.clone();
        v7[3] = b'7';
        assert_eq!(
            decode(&v7).unwrap_err().to_string(),
            "unknown version 7 (this Lantern reads versions 1 and 2)"
        );
        assert_eq!(
            decode(b"PK\x03\x04zzzz").unwrap_err(),
            ChunkError::NotAChunk
        );
        assert_eq!(decode(b"LR").unwrap_err(), ChunkError::Truncated("header"));
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(
            decode(cut).unwrap_err().to_string(),
            "truncated: the modality id block is incomplete"
        );
        assert!(decode_for_compute(cut).is_ok());
        assert_eq!(
            decode(&bytes[..20]).unwrap_err(),
            ChunkError::Truncated("client")
        );
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(decode(&extra).unwrap_err(), ChunkError::TrailingBytes(1));
        // The sex block follows client (16), birth year (2) and month (1).
        let mut bad_sex = bytes.clone();
        bad_sex[8 + 16 + 2 + 1] = 9;
        assert_eq!(
            decode(&bad_sex).unwrap_err().to_string(),
            "record 0: sex has the invalid value 9"
        );
        let mut bad_month = bytes.clone();
        bad_month[8 + 16 + 2] = 13;
        assert!(matches!(
            decode(&bad_month),
            Err(ChunkError::BadValue {
                column: "birth month",
                value: 13,
                ..
            })
        ));
        // A day beyond 2999 (a damaged chunk read as days) is refused.
        let mut far = sample(1);
        far.start = Day(376_200);
        assert_eq!(
            decode(&encode(&[far])).unwrap_err().to_string(),
            "record 0: start has the invalid value 376200"
        );
        let mut ancient = sample(1);
        ancient.birth.year = 0;
        assert!(matches!(
            decode_for_compute(&encode(&[ancient])),
            Err(ChunkError::BadValue {
                column: "birth year",
                ..
            })
        ));
        // A huge count with little data is refused before allocating.
        let mut huge = b"LRC1".to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0; 100]);
        assert_eq!(decode(&huge).unwrap_err(), ChunkError::Truncated("client"));
        // Broken UTF-8 in an identifier.
        let mut bad_utf8 = encode(&[sample(1)]);
        let last = bad_utf8.len() - 1;
        bad_utf8[last] = 0xFF;
        assert_eq!(
            decode(&bad_utf8).unwrap_err(),
            ChunkError::NotUtf8 {
                column: "modality id",
                record: 0
            }
        );
    }

    fn day() -> impl Strategy<Value = Day> {
        DAYS.prop_map(Day)
    }

    fn record() -> impl Strategy<Value = Record> {
        let who = (
            any::<[u8; 16]>(),
            BIRTH_YEARS,
            1i8..=12,
            prop::sample::select(Sex::ALL),
            any::<u8>(),
            ".{0,12}",
            ".{0,12}",
        );
        let when = (
            day(),
            day(),
            day(),
            prop::option::of(day()),
            prop::option::of(1u8..),
            [
                prop::option::of(1u16..),
                prop::option::of(1u16..),
                prop::option::of(1u16..),
            ],
        );
        let what = (
            prop::sample::select(Intervention::ALL),
            prop::sample::select(Setting::ALL),
            day(),
            prop::option::of(day()),
            prop::sample::select(Funding::ALL),
            any::<u16>(),
        );
        let about =
            (0u8..26, 0u8..13, 0u8..5, 0u8..7, 0u8..6, 0u8..5).prop_map(|(r, e, a, p, i, d)| {
                Circumstances {
                    referral_source: Recorded::from_byte(r, ReferralSource::from_index)
                        .unwrap_or_default(),
                    employment: Recorded::from_byte(e, Employment::from_index).unwrap_or_default(),
                    accommodation: Recorded::from_byte(a, AccommodationNeed::from_index)
                        .unwrap_or_default(),
                    parental: Recorded::from_byte(p, ParentalStatus::from_index)
                        .unwrap_or_default(),
                    injecting: Recorded::from_byte(i, InjectingStatus::from_index)
                        .unwrap_or_default(),
                    disability: Recorded::from_byte(d, Disability::from_index).unwrap_or_default(),
                }
            });
        (who, when, what, about).prop_map(
            |(
                (client, year, month, sex, ethnicity, episode_id, modality_id),
                (referral, triage, start, discharge, discharge_reason, drugs),
                (intervention, setting, modality_start, modality_end, funding, naloxone_kits),
                circumstances,
            )| Record {
                client: ClientKey(client),
                birth: YearMonth { year, month },
                sex,
                ethnicity,
                episode_id,
                modality_id,
                referral,
                triage,
                start,
                discharge,
                discharge_reason,
                drugs,
                intervention,
                setting,
                modality_start,
                modality_end,
                funding,
                naloxone_kits,
                circumstances,
            },
        )
    }

    proptest! {
        #[test]
        fn any_records_round_trip(records in prop::collection::vec(record(), 0..20)) {
            let bytes = encode(&records);
            prop_assert_eq!(decode(&bytes).unwrap(), records.clone());
            let lean: Vec<Record> = records
                .into_iter()
                .map(|r| Record { episode_id: String::new(), modality_id: String::new(), ..r })
                .collect();
            prop_assert_eq!(decode_for_compute(&bytes).unwrap(), lean);
        }

        #[test]
        fn damaged_encodings_never_panic(
            records in prop::collection::vec(record(), 0..6),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            bits in 1u8..,
        ) {
            let bytes = encode(&records);
            let end = cut.index(bytes.len() + 1);
            if end < bytes.len() {
                prop_assert!(decode(&bytes[..end]).is_err());
            }
            let _ = decode_for_compute(&bytes[..end]);
            let mut flipped = bytes.clone();
            let at = flip.index(flipped.len());
            flipped[at] ^= bits;
            let _ = decode(&flipped);
            let _ = decode_for_compute(&flipped);
        }

        #[test]
        fn arbitrary_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..400), count in 0u32..50) {
            let _ = decode(&tail);
            let _ = decode_for_compute(&tail);
            let mut bytes = b"LRC2".to_vec();
            bytes.extend_from_slice(&count.to_le_bytes());
            bytes.extend_from_slice(&tail);
            let _ = decode(&bytes);
            let _ = decode_for_compute(&bytes);
        }
    }
}
