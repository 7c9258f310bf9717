//! One area's indicator counts from its providers' records, exactly as
//! `docs/indicators-from-records.md` defines them, and the years a change of
//! records touches (for incremental recomputation).
//!
//! How it is done, for speed at national scale (well over ten million
//! records a second on one core): each record is reduced to a 32-byte row
//! (client, provider, episode dates, drug flags, birth, sex); the rows are
//! put in (client, episode) order by a counting sort on the client key (a
//! keyed hash, so evenly spread); each person is walked once, and for every
//! year they reach their attributes index one cell of a flat cube
//! (substance group × crack × age band × sex) per indicator. Every breakdown
//! written is a sum over that cube, and the breakdown keys are built once
//! per area, already in sorted order. Working buffers are kept per thread
//! between calls (a fresh large buffer costs a page fault per page).
//!
//! Choices where the definitions leave room:
//! - A person's provider cells count the provider of each qualifying
//!   episode: for `people_in_treatment` every episode overlapping the year,
//!   for `new_presentations` the episode starting the journey, for exits
//!   and completions the episode discharged. Provider cells of person
//!   indicators are written for the providers with people in treatment that
//!   year; those of placements and naloxone for the providers with an
//!   intervention starting that year (zeros included).
//! - Ages under 18 (which valid records cannot give) count in band `18`.
//!
//! Invariants:
//! - An episode is identified by (provider, client, start, referral): the
//!   records may come without their episode identifiers. Its rows carry the
//!   same episode fields; its substances are the union over its rows.
//! - A set is written for a year only when the area has an episode
//!   overlapping it or an intervention starting in it, and only for years
//!   from the one of the earliest episode start to the one of the latest date
//!   in the records (an open episode does not reach past what is held).
//! - Providers are matched by code: the same code given twice is one
//!   provider. Rows of one episode that disagree are read the same whatever
//!   their order (latest discharge, union of substances).

use std::collections::BTreeSet;

use super::codes::{self, DrugGroup, Exit};
use super::{Count, FigureSet, Funding, Record, Setting, Sex};
use crate::FinancialYear;

/// One provider's current records in one area.
#[derive(Debug, Clone, Copy)]
pub struct ProviderRecords<'a> {
    /// The provider's agency code (written in `provider=` cells).
    pub provider: &'a str,
    /// Its current records whose area of residence is the area.
    pub records: &'a [Record],
}

/// A later episode starting more than this many days after every earlier
/// one was discharged starts a new treatment journey.
const JOURNEY_GAP_DAYS: i64 = 21;

const SUBSTANCE_GROUPS: [&str; 4] = [
    "opiate",
    "non_opiate_only",
    "non_opiate_and_alcohol",
    "alcohol_only",
];
const CRACK_VALUES: [&str; 2] = ["crack", "no_crack"];
const AGE_BANDS: [&str; 13] = [
    "18", "19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64",
    "65-69", "70+",
];
const SEXES: [&str; 3] = ["male", "female", "other"];
const FUNDINGS: [&str; 3] = ["council", "self_funded", "other"];

const NS: usize = SUBSTANCE_GROUPS.len();
const NC: usize = CRACK_VALUES.len();
const NA: usize = AGE_BANDS.len();
const NX: usize = SEXES.len();
/// Cells of the attribute cube: substance group × crack × age band × sex.
const CUBE: usize = NS * NC * NA * NX;

/// The person-counted indicators, in cube order.
const PERSON_INDICATORS: [&str; 5] = [
    "people_in_treatment",
    "new_presentations",
    "treatment_exits",
    "successful_completions",
    "deaths_in_treatment",
];
const K_PEOPLE: usize = 0;
const K_NEW: usize = 1;
const K_EXIT: usize = 2;
const K_SUCCESS: usize = 3;
const K_DEATH: usize = 4;
const NK: usize = PERSON_INDICATORS.len();
/// Person indicators with provider cells (all but deaths).
const NKP: usize = 4;

const PLACEMENTS: [&str; 2] = ["inpatient_detox_placements", "residential_rehab_placements"];
const NALOXONE: &str = "naloxone_kits_issued";
const SELF_FUNDED_NOTE: &str = "includes self-funded placements";

const OPIATE_BIT: u8 = 1;
const CRACK_BIT: u8 = 2;
const NON_OPIATE_BIT: u8 = 4;
const ALCOHOL_BIT: u8 = 8;

const EXITED: u8 = 1;
const SUCCESS: u8 = 2;
const DIED: u8 = 4;

/// An open episode's discharge day.
const OPEN: i32 = i32::MAX;

/// The civil date (year, month, day) of a day counted from 1970-01-01.
pub(crate) fn civil_from_days(day: i32) -> (i32, u32, u32) {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u32, d as u32)
}

/// The day (counted from 1970-01-01) of a civil date.
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// The starting year of the financial year a day falls in.
pub(crate) fn fy_of(day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    if m >= 4 { y } else { y - 1 }
}

/// Drug code → flag bits, for every four-digit code.
fn drug_table() -> Vec<u8> {
    let mut table = vec![0u8; 10_000];
    for &(code, _, group) in codes::DRUGS {
        if let Some(slot) = table.get_mut(usize::from(code)) {
            *slot = match group {
                DrugGroup::Opiate => OPIATE_BIT,
                DrugGroup::Crack => CRACK_BIT,
                DrugGroup::NonOpiate => NON_OPIATE_BIT,
                DrugGroup::Alcohol => ALCOHOL_BIT,
            };
        }
    }
    table
}

fn drug_bits(table: &[u8], drugs: &[Option<u16>; 3]) -> u8 {
    drugs
        .iter()
        .flatten()
        .map(|&c| table.get(usize::from(c)).copied().unwrap_or(0))
        .fold(0, |a, b| a | b)
}

/// Discharge reason → exit flags (for a discharged episode).
fn exit_table() -> [u8; 256] {
    let mut table = [EXITED; 256];
    for (reason, flags) in (0u8..=255).zip(table.iter_mut()) {
        let meaning = codes::exit(reason)
            .or_else(|| codes::modern_discharge_code(reason).and_then(codes::exit));
        *flags |= match meaning {
            Some(Exit::Successful) => SUCCESS,
            Some(Exit::Died) => DIED,
            _ => 0,
        };
    }
    table
}

fn sex_index(sex: Sex) -> u8 {
    match sex {
        Sex::Male => 0,
        Sex::Female => 1,
        Sex::Other | Sex::NotStated => 2,
    }
}

fn funding_index(funding: Funding) -> usize {
    match funding {
        Funding::Council => 0,
        Funding::SelfFunded => 1,
        Funding::Other => 2,
    }
}

fn substance_group(bits: u8) -> usize {
    let non_opiate = bits & (CRACK_BIT | NON_OPIATE_BIT) != 0;
    let alcohol = bits & ALCOHOL_BIT != 0;
    if bits & OPIATE_BIT != 0 {
        0
    } else if non_opiate && !alcohol {
        1
    } else if non_opiate {
        2
    } else {
        3
    }
}

fn age_band(age: i32) -> usize {
    if age < 20 {
        (age - 18).max(0) as usize
    } else {
        (2 + (age - 20) / 5).min(12) as usize
    }
}

fn cube_cell(sg: usize, crack: usize, age: usize, sex: usize) -> usize {
    ((sg * NC + crack) * NA + age) * NX + sex
}

/// Days are kept in 24 bits in a sort key: ±8 million days from 1970 holds
/// every date jiff can.
const DAY_BIAS: i64 = 1 << 23;

/// The episode part of a row's sort key: provider (16 bits), start,
/// referral.
fn episode_key(prov: u32, start: i32, referral: i32) -> u64 {
    let day = |d: i32| ((i64::from(d) + DAY_BIAS) as u64) & 0xFF_FFFF;
    (u64::from(prov & 0xFFFF) << 48) | (day(start) << 24) | day(referral)
}

/// Working memory kept between computations on a thread: fresh large
/// buffers cost a page fault per page, which at national scale is a good
/// part of the time.
#[derive(Default)]
struct Scratch {
    rows: Vec<Row>,
    sorted: Vec<Row>,
    modalities: Vec<Modality>,
    starts: Vec<u32>,
    cube: Vec<u64>,
    calendar: Calendar,
}

/// For each day of the years computed: its year index, calendar year and
/// month, without date arithmetic.
#[derive(Default)]
struct Calendar {
    first_fy: i32,
    /// The first day (1 April of the first year).
    base: i32,
    /// Per day: year index << 4 | month.
    days: Vec<u32>,
}

/// Years longer than this are not tabulated (dates are converted instead).
const CALENDAR_YEARS: i32 = 200;

impl Calendar {
    fn fill(&mut self, first_fy: i32, last_fy: i32) {
        self.first_fy = first_fy;
        self.base = days_from_civil(first_fy, 4, 1);
        self.days.clear();
        if last_fy - first_fy >= CALENDAR_YEARS {
            return;
        }
        for (index, fy) in (first_fy..=last_fy).enumerate() {
            for (year, month) in (4..=12)
                .map(|m| (fy, m))
                .chain((1..=3).map(|m| (fy + 1, m)))
            {
                let length = days_from_civil(year + i32::from(month == 12), month % 12 + 1, 1)
                    - days_from_civil(year, month, 1);
                let cell = (index as u32) << 4 | month;
                self.days.extend(std::iter::repeat_n(cell, length as usize));
            }
        }
    }

    /// A day's year index (from the first year), calendar year and month.
    fn day(&self, day: i32) -> (i32, i32, i32) {
        match usize::try_from(day - self.base)
            .ok()
            .and_then(|i| self.days.get(i))
        {
            Some(&cell) => {
                let index = (cell >> 4) as i32;
                let month = (cell & 0xF) as i32;
                (index, self.first_fy + index + i32::from(month <= 3), month)
            }
            None => {
                let (y, m, _) = civil_from_days(day);
                let fy = if m >= 4 { y } else { y - 1 };
                (fy - self.first_fy, y, m as i32)
            }
        }
    }
}

/// Buffers larger than this many rows are not kept.
const SCRATCH_KEEP: usize = 1 << 21;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// A record reduced to what the person walk needs (32 bytes). Sorted by
/// (client, episode key), a person's rows are together and each episode's
/// rows are adjacent.
#[derive(Clone, Copy)]
struct Row {
    hi: u64,
    lo: u64,
    /// [`episode_key`]: provider, start, referral.
    episode: u64,
    discharge: i32,
    birth_year: i16,
    /// Exit flags (0 while open) in the low four bits, sex above.
    exit_sex: u8,
    /// Drug flags in the low four bits, birth month (1–12) above.
    drugs_month: u8,
}

impl Row {
    fn key(&self) -> (u64, u64, u64) {
        (self.hi, self.lo, self.episode)
    }
    fn prov(&self) -> u32 {
        (self.episode >> 48) as u32
    }
    fn start(&self) -> i32 {
        (((self.episode >> 24) & 0xFF_FFFF) as i64 - DAY_BIAS) as i32
    }
    fn exit(&self) -> u8 {
        self.exit_sex & 0x0F
    }
    fn sex(&self) -> u8 {
        self.exit_sex >> 4
    }
    fn drugs(&self) -> u8 {
        self.drugs_month & 0x0F
    }
    /// Birth year and month.
    fn birth(&self) -> (i16, u8) {
        (self.birth_year, self.drugs_month >> 4)
    }
}

/// An intervention reduced to what its counts need.
#[derive(Clone, Copy)]
struct Modality {
    start: i32,
    prov: u32,
    kits: u16,
    /// 0 inpatient, 1 residential, 2 other settings.
    setting: u8,
    funding: u8,
}

#[derive(Clone, Copy)]
struct Episode {
    prov: u32,
    start: i32,
    discharge: i32,
    /// Year indexes (from the area's first year); `discharge_fy` is
    /// `i32::MAX` for an open episode.
    start_fy: i32,
    discharge_fy: i32,
    start_year: i32,
    start_month: i32,
    drugs: u8,
    exit: u8,
    journey: bool,
}

/// The flat accumulators, indexed by year (from the area's first year).
struct Acc {
    np: usize,
    /// `[year][indicator][cell]`.
    cube: Vec<u64>,
    /// `[year][provider][person indicator with provider cells]`.
    prov: Vec<u64>,
    /// `[year][setting (INP, RES)][funding]`.
    place: Vec<u64>,
    /// `[year][provider][setting]`.
    place_prov: Vec<u64>,
    /// `[year]`.
    naloxone: Vec<u64>,
    /// `[year][provider]`.
    naloxone_prov: Vec<u64>,
    /// `[year][provider]`: an intervention of the provider starts that year.
    intervened: Vec<bool>,
    /// `[year]`: any intervention starts that year.
    any_intervention: Vec<bool>,
}

impl Acc {
    fn new(ny: usize, np: usize, mut cube: Vec<u64>) -> Acc {
        cube.clear();
        cube.resize(ny * NK * CUBE, 0);
        Acc {
            np,
            cube,
            prov: vec![0; ny * np * NKP],
            place: vec![0; ny * 2 * 3],
            place_prov: vec![0; ny * np * 2],
            naloxone: vec![0; ny],
            naloxone_prov: vec![0; ny * np],
            intervened: vec![false; ny * np],
            any_intervention: vec![false; ny],
        }
    }

    fn intervention(&mut self, yi: usize, m: &Modality) {
        let prov = m.prov as usize;
        self.any_intervention[yi] = true;
        self.intervened[yi * self.np + prov] = true;
        if m.setting < 2 {
            let s = usize::from(m.setting);
            self.place[(yi * 2 + s) * 3 + usize::from(m.funding)] += 1;
            self.place_prov[(yi * self.np + prov) * 2 + s] += 1;
        }
        let kits = u64::from(m.kits);
        self.naloxone[yi] += kits;
        self.naloxone_prov[yi * self.np + prov] += kits;
    }
}

/// The providers' codes once each, and each input's index among them.
fn providers<'a>(input: &[ProviderRecords<'a>]) -> (Vec<&'a str>, Vec<u32>) {
    let mut codes: Vec<&'a str> = Vec::new();
    let mut index = Vec::with_capacity(input.len());
    for p in input {
        let i = codes
            .iter()
            .position(|c| *c == p.provider)
            .unwrap_or_else(|| {
                codes.push(p.provider);
                codes.len() - 1
            });
        index.push(i as u32);
    }
    (codes, index)
}

fn latest_date(r: &Record) -> i32 {
    let mut d = r
        .referral
        .0
        .max(r.triage.0)
        .max(r.start.0)
        .max(r.modality_start.0);
    if let Some(x) = r.discharge {
        d = d.max(x.0);
    }
    if let Some(x) = r.modality_end {
        d = d.max(x.0);
    }
    d
}

/// The financial years (starting years) the records reach: from the one of
/// the earliest episode start to the one of the latest date present.
fn reach(input: &[ProviderRecords<'_>]) -> Option<(i32, i32)> {
    let mut first = i32::MAX;
    let mut last = i32::MIN;
    for r in input.iter().flat_map(|p| p.records) {
        first = first.min(r.start.0);
        last = last.max(latest_date(r));
    }
    (first <= last).then(|| (fy_of(first), fy_of(last)))
}

/// Sorts rows by (client, episode key) into `sorted`, in linear time: a
/// counting sort on the top bits of the client key (uniformly spread: it
/// is a keyed hash), then an insertion sort of each small bucket.
fn sort_rows(rows: &[Row], sorted: &mut Vec<Row>, starts: &mut Vec<u32>) {
    sorted.clear();
    let Some(&first) = rows.first() else {
        return;
    };
    let n = rows.len();
    let bits = (usize::BITS - (n / 4).max(1).leading_zeros()).clamp(1, 24);
    let shift = 64 - bits;
    let buckets = 1usize << bits;
    starts.clear();
    starts.resize(buckets + 1, 0);
    for r in rows {
        starts[(r.hi >> shift) as usize + 1] += 1;
    }
    for b in 0..buckets {
        starts[b + 1] += starts[b];
    }
    sorted.resize(n, first);
    for r in rows {
        let b = (r.hi >> shift) as usize;
        sorted[starts[b] as usize] = *r;
        starts[b] += 1;
    }
    // `starts[b]` is now the end of bucket b.
    let mut from = 0;
    for &end in &starts[..buckets] {
        let bucket = &mut sorted[from..end as usize];
        if bucket.len() > 16 {
            bucket.sort_unstable_by_key(Row::key);
        } else {
            for i in 1..bucket.len() {
                let mut j = i;
                while j > 0 && bucket[j - 1].key() > bucket[j].key() {
                    bucket.swap(j - 1, j);
                    j -= 1;
                }
            }
        }
        from = end as usize;
    }
}

/// The fixed grid: every (indicator, breakdown) written for every area and
/// year whatever the records hold (totals, the substance, crack, age and sex
/// breakdowns and their crosses, placements by funding), sorted. The other
/// cells of a set, by provider, are written only for the providers active
/// that year. [`FigureSet::body`] leaves out the grid's zeros.
pub fn fixed_cells() -> &'static [(&'static str, String)] {
    static FIXED: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    FIXED.get_or_init(|| {
        Layout::new(&[])
            .cells
            .into_iter()
            .filter(|c| matches!(c.shown, Shown::Always))
            .map(|c| (c.indicator, c.key))
            .collect()
    })
}

/// Every indicator of `docs/indicators-from-records.md` for one area, one
/// [`FigureSet`] per financial year.
///
/// `years`: `None` computes every year the area's records reach (from the
/// year of the earliest episode start to the year of the latest date in the
/// records); `Some` computes only those of the given years within that
/// reach. Either way a set is returned only for a year in which the area has
/// an episode overlapping it or an intervention starting in it. Each set's
/// counts are sorted, with canonical breakdown keys (`age_band=18;crack=crack`).
pub fn compute_area(
    area: &str,
    input: &[ProviderRecords<'_>],
    years: Option<&[FinancialYear]>,
) -> Vec<FigureSet> {
    let mut scratch = SCRATCH.with(|s| s.take());
    let sets = compute(area, input, years, &mut scratch);
    if scratch.rows.capacity() <= SCRATCH_KEEP {
        SCRATCH.with(|s| *s.borrow_mut() = scratch);
    }
    sets
}

fn compute(
    area: &str,
    input: &[ProviderRecords<'_>],
    years: Option<&[FinancialYear]>,
    scratch: &mut Scratch,
) -> Vec<FigureSet> {
    let (codes, canon) = providers(input);
    let np = codes.len();
    let drug_table = drug_table();
    let exit_table = exit_table();

    // One pass over the records: the compact rows, the interventions and
    // the span of days held.
    let rows = &mut scratch.rows;
    let modalities = &mut scratch.modalities;
    rows.clear();
    modalities.clear();
    let (mut first_day, mut last_day) = (i32::MAX, i32::MIN);
    for (p, &prov) in input.iter().zip(&canon) {
        for r in p.records {
            let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, q] = r.client.0;
            first_day = first_day.min(r.start.0);
            last_day = last_day.max(latest_date(r));
            let exit = match r.discharge {
                Some(_) => exit_table[usize::from(r.discharge_reason.unwrap_or(0))],
                None => 0,
            };
            let month = r.birth.month.clamp(1, 12) as u8;
            rows.push(Row {
                hi: u64::from_be_bytes([a, b, c, d, e, f, g, h]),
                lo: u64::from_be_bytes([i, j, k, l, m, n, o, q]),
                episode: episode_key(prov, r.start.0, r.referral.0),
                discharge: r.discharge.map_or(OPEN, |d| d.0),
                birth_year: r.birth.year,
                exit_sex: exit | (sex_index(r.sex) << 4),
                drugs_month: drug_bits(&drug_table, &r.drugs) | (month << 4),
            });
            modalities.push(Modality {
                start: r.modality_start.0,
                prov,
                kits: r.naloxone_kits,
                setting: match r.setting {
                    Setting::Inpatient => 0,
                    Setting::Residential => 1,
                    _ => 2,
                },
                funding: funding_index(r.funding) as u8,
            });
        }
    }
    if first_day > last_day {
        return Vec::new();
    }
    let (first_fy, last_fy) = (fy_of(first_day), fy_of(last_day));
    let ny = (last_fy - first_fy + 1) as usize;
    let mut wanted = vec![years.is_none(); ny];
    for y in years.unwrap_or(&[]) {
        let i = i32::from(y.start_year()) - first_fy;
        if let Some(w) = usize::try_from(i).ok().and_then(|i| wanted.get_mut(i)) {
            *w = true;
        }
    }
    if !wanted.contains(&true) {
        return Vec::new();
    }

    let mut acc = Acc::new(ny, np, std::mem::take(&mut scratch.cube));
    scratch.calendar.fill(first_fy, last_fy);
    for m in modalities.iter() {
        if let Ok(yi) = usize::try_from(scratch.calendar.day(m.start).0)
            && yi < ny
            && wanted[yi]
        {
            acc.intervention(yi, m);
        }
    }

    sort_rows(rows, &mut scratch.sorted, &mut scratch.starts);
    let rows = &scratch.sorted;
    let mut walk = Walk {
        first_fy,
        calendar: &scratch.calendar,
        ny,
        wanted: &wanted,
        episodes: Vec::new(),
        stamps: vec![0; NKP * np],
        token: 0,
    };
    let mut i = 0;
    while i < rows.len() {
        let (hi, lo) = (rows[i].hi, rows[i].lo);
        let mut j = i + 1;
        while j < rows.len() && rows[j].hi == hi && rows[j].lo == lo {
            j += 1;
        }
        walk.person(&rows[i..j], &mut acc);
        i = j;
    }

    let layout = Layout::new(&codes);
    let mut values = Vec::new();
    let sets = (0..ny)
        .filter(|&yi| wanted[yi])
        .filter_map(|yi| {
            let year = FinancialYear::starting((first_fy + yi as i32) as i16).ok()?;
            let counts = layout.counts(&acc, yi, &mut values)?;
            Some(FigureSet {
                area: area.to_string(),
                year,
                counts,
            })
        })
        .collect();
    scratch.cube = acc.cube;
    sets
}

/// The state of the walk over people.
struct Walk<'w> {
    first_fy: i32,
    calendar: &'w Calendar,
    ny: usize,
    wanted: &'w [bool],
    episodes: Vec<Episode>,
    /// `[indicator][provider]`: the person-year a provider cell was last
    /// counted for, so a person counts once per provider.
    stamps: Vec<u64>,
    token: u64,
}

impl Walk<'_> {
    fn person(&mut self, rows: &[Row], acc: &mut Acc) {
        // Episodes: adjacent rows with the same provider, start and
        // referral. Should their rows disagree, the latest discharge, the
        // union of substances and the smallest birth and sex are taken, so
        // the result does not depend on the order of the records.
        self.episodes.clear();
        let (mut birth, mut sex) = ((i16::MAX, u8::MAX), u8::MAX);
        let mut k = 0;
        while k < rows.len() {
            let r = rows[k];
            let (mut drugs, mut discharge, mut exit) = (r.drugs(), r.discharge, r.exit());
            birth = birth.min(r.birth());
            sex = sex.min(r.sex());
            let mut m = k + 1;
            while m < rows.len() && rows[m].episode == r.episode {
                let s = rows[m];
                drugs |= s.drugs();
                birth = birth.min(s.birth());
                sex = sex.min(s.sex());
                if s.discharge > discharge {
                    (discharge, exit) = (s.discharge, s.exit());
                } else if s.discharge == discharge {
                    exit |= s.exit();
                }
                m += 1;
            }
            let start = r.start();
            let (start_fy, start_year, start_month) = self.calendar.day(start);
            self.episodes.push(Episode {
                prov: r.prov(),
                start,
                discharge,
                start_fy,
                discharge_fy: if discharge == OPEN {
                    i32::MAX
                } else {
                    self.calendar.day(discharge).0
                },
                start_year,
                start_month,
                drugs,
                exit,
                journey: false,
            });
            k = m;
        }
        if self.episodes.len() > 1 {
            self.episodes
                .sort_unstable_by_key(|e| (e.start, e.prov, e.discharge, e.drugs, e.exit));
        }

        // Journeys: the first episode, or one starting more than 21 days
        // after every earlier episode was discharged.
        let mut latest: Option<i64> = None;
        let mut open = false;
        for (n, e) in self.episodes.iter_mut().enumerate() {
            e.journey = n == 0
                || (!open && latest.is_some_and(|l| i64::from(e.start) - l > JOURNEY_GAP_DAYS));
            if e.discharge == OPEN {
                open = true;
            } else {
                latest =
                    Some(latest.map_or(i64::from(e.discharge), |l| l.max(i64::from(e.discharge))));
            }
        }

        let (birth_year, birth_month) = (i32::from(birth.0), i32::from(birth.1));
        let sex = usize::from(sex);
        if let [e] = self.episodes[..] {
            self.one_episode(&e, birth_year, birth_month, sex, acc);
            return;
        }
        let np = acc.np;
        let low = self
            .episodes
            .iter()
            .map(|e| e.start_fy)
            .min()
            .unwrap_or(0)
            .max(0);
        let high = self
            .episodes
            .iter()
            .map(|e| e.discharge_fy)
            .max()
            .unwrap_or(-1)
            .min(self.ny as i32 - 1);
        for yi in low..=high {
            let y = yi as usize;
            if !self.wanted[y] {
                continue;
            }
            self.token += 1;
            let token = self.token;
            let mut drugs = 0u8;
            let mut earliest: Option<(i32, i32, i32)> = None;
            let mut flags = 0u8;
            let mut new = false;
            for e in &self.episodes {
                if e.start_fy > yi {
                    break;
                }
                if e.discharge_fy < yi {
                    continue;
                }
                drugs |= e.drugs;
                if earliest.is_none() {
                    earliest = Some((e.start_fy, e.start_year, e.start_month));
                }
                let p = e.prov as usize;
                let mut mark = |k: usize| {
                    let s = &mut self.stamps[k * np + p];
                    if *s != token {
                        *s = token;
                        acc.prov[(y * np + p) * NKP + k] += 1;
                    }
                };
                mark(K_PEOPLE);
                if e.journey && e.start_fy == yi {
                    new = true;
                    mark(K_NEW);
                }
                if e.discharge_fy == yi {
                    flags |= e.exit;
                    if e.exit & EXITED != 0 {
                        mark(K_EXIT);
                    }
                    if e.exit & SUCCESS != 0 {
                        mark(K_SUCCESS);
                    }
                }
            }
            let Some((start_fy, sy, sm)) = earliest else {
                continue;
            };
            // Age on the later of the year's first day (1 April) and the
            // earliest overlapping episode's start, birthday on the 1st.
            let (on_year, on_month) = if start_fy < yi {
                (self.first_fy + yi, 4)
            } else {
                (sy, sm)
            };
            let age = on_year - birth_year - i32::from(on_month < birth_month);
            let crack = if drugs & CRACK_BIT != 0 { 0 } else { 1 };
            let cell = cube_cell(substance_group(drugs), crack, age_band(age), sex);
            let base = y * NK * CUBE + cell;
            acc.cube[base + K_PEOPLE * CUBE] += 1;
            if new {
                acc.cube[base + K_NEW * CUBE] += 1;
            }
            if flags & EXITED != 0 {
                acc.cube[base + K_EXIT * CUBE] += 1;
            }
            if flags & SUCCESS != 0 {
                acc.cube[base + K_SUCCESS * CUBE] += 1;
            }
            if flags & DIED != 0 {
                acc.cube[base + K_DEATH * CUBE] += 1;
            }
        }
    }
}

impl Walk<'_> {
    /// The common case, a person with one episode: the same substances
    /// every year, a new journey in the year it starts, an exit in the year
    /// it ends, one provider.
    fn one_episode(
        &self,
        e: &Episode,
        birth_year: i32,
        birth_month: i32,
        sex: usize,
        acc: &mut Acc,
    ) {
        let np = acc.np;
        let p = e.prov as usize;
        let crack = if e.drugs & CRACK_BIT != 0 { 0 } else { 1 };
        let group = substance_group(e.drugs);
        let low = e.start_fy.max(0);
        let high = e.discharge_fy.min(self.ny as i32 - 1);
        for yi in low..=high {
            let y = yi as usize;
            if !self.wanted[y] {
                continue;
            }
            let (on_year, on_month) = if e.start_fy < yi {
                (self.first_fy + yi, 4)
            } else {
                (e.start_year, e.start_month)
            };
            let age = on_year - birth_year - i32::from(on_month < birth_month);
            let cell = cube_cell(group, crack, age_band(age), sex);
            let base = y * NK * CUBE + cell;
            let prov = (y * np + p) * NKP;
            acc.cube[base + K_PEOPLE * CUBE] += 1;
            acc.prov[prov + K_PEOPLE] += 1;
            if yi == e.start_fy {
                acc.cube[base + K_NEW * CUBE] += 1;
                acc.prov[prov + K_NEW] += 1;
            }
            if yi == e.discharge_fy && e.exit & EXITED != 0 {
                acc.cube[base + K_EXIT * CUBE] += 1;
                acc.prov[prov + K_EXIT] += 1;
                if e.exit & SUCCESS != 0 {
                    acc.cube[base + K_SUCCESS * CUBE] += 1;
                    acc.prov[prov + K_SUCCESS] += 1;
                }
                if e.exit & DIED != 0 {
                    acc.cube[base + K_DEATH * CUBE] += 1;
                }
            }
        }
    }
}

/// Values of one person indicator's margins, in this order: total,
/// substance group, crack, age band, sex, crack × substance group, age band
/// × crack, age band × substance group.
const MARGINS: usize = 1 + NS + NC + NA + NX + NC * NS + NA * NC + NA * NS;
const M_SG: usize = 1;
const M_CRACK: usize = M_SG + NS;
const M_AGE: usize = M_CRACK + NC;
const M_SEX: usize = M_AGE + NA;
const M_CRACK_SG: usize = M_SEX + NX;
const M_AGE_CRACK: usize = M_CRACK_SG + NC * NS;
const M_AGE_SG: usize = M_AGE_CRACK + NA * NC;

fn margins(cube: &[u64], out: &mut [u64]) {
    out.fill(0);
    for s in 0..NS {
        for c in 0..NC {
            for a in 0..NA {
                for x in 0..NX {
                    let v = cube[cube_cell(s, c, a, x)];
                    if v == 0 {
                        continue;
                    }
                    out[0] += v;
                    out[M_SG + s] += v;
                    out[M_CRACK + c] += v;
                    out[M_AGE + a] += v;
                    out[M_SEX + x] += v;
                    out[M_CRACK_SG + c * NS + s] += v;
                    out[M_AGE_CRACK + a * NC + c] += v;
                    out[M_AGE_SG + a * NS + s] += v;
                }
            }
        }
    }
}

/// When a cell is written.
#[derive(Clone, Copy)]
enum Shown {
    /// Always (the fixed dimensions' cells and totals).
    Always,
    /// When the provider has people in treatment that year.
    Present(usize),
    /// When an intervention of the provider starts that year.
    Intervened(usize),
}

/// One cell of a year's counts: where its value is, in the year's value
/// vector, and when it is written.
struct Cell {
    indicator: &'static str,
    key: String,
    value: usize,
    shown: Shown,
    /// A placement total: its setting, for the coverage note.
    placement_total: Option<usize>,
}

/// Every cell a year can have, in sorted order, built once per area.
struct Layout {
    np: usize,
    cells: Vec<Cell>,
}

impl Layout {
    // The year's value vector: person margins by indicator; provider cells
    // of person indicators; placements (total and three fundings, by
    // setting); placements by provider; naloxone total and by provider.
    fn provider_base(&self) -> usize {
        NK * MARGINS
    }
    fn placement_base(&self) -> usize {
        self.provider_base() + self.np * NKP
    }
    fn placement_provider_base(&self) -> usize {
        self.placement_base() + 2 * 4
    }
    fn naloxone_base(&self) -> usize {
        self.placement_provider_base() + self.np * 2
    }
    fn len(&self) -> usize {
        self.naloxone_base() + 1 + self.np
    }

    fn new(providers: &[&str]) -> Layout {
        let np = providers.len();
        let mut layout = Layout {
            np,
            cells: Vec::new(),
        };
        let one = |dim: &str, values: &[&str]| -> Vec<String> {
            values.iter().map(|v| format!("{dim}={v}")).collect()
        };
        let two = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter()
                .flat_map(|x| b.iter().map(move |y| format!("{x};{y}")))
                .collect()
        };
        let sg = one("substance_group", &SUBSTANCE_GROUPS);
        let crack = one("crack", &CRACK_VALUES);
        let age = one("age_band", &AGE_BANDS);
        let sex = one("sex", &SEXES);
        let provider = one("provider", providers);
        let funding = one("funding", &FUNDINGS);
        let mut all = vec![String::new()];
        all.extend(sg.iter().cloned());
        all.extend(crack.iter().cloned());
        all.extend(age.iter().cloned());
        all.extend(sex.iter().cloned());
        all.extend(two(&crack, &sg));
        all.extend(two(&age, &crack));
        all.extend(two(&age, &sg));
        let mut cells = Vec::new();
        for (k, indicator) in PERSON_INDICATORS.iter().enumerate() {
            let crossed = k == K_PEOPLE || k == K_NEW;
            for (m, key) in all.iter().enumerate() {
                let wanted = if crossed {
                    true
                } else {
                    m < M_CRACK || (M_AGE..M_CRACK_SG).contains(&m)
                };
                if wanted {
                    cells.push(Cell {
                        indicator,
                        key: key.clone(),
                        value: k * MARGINS + m,
                        shown: Shown::Always,
                        placement_total: None,
                    });
                }
            }
            if k < NKP {
                for (p, key) in provider.iter().enumerate() {
                    cells.push(Cell {
                        indicator,
                        key: key.clone(),
                        value: layout.provider_base() + p * NKP + k,
                        shown: Shown::Present(p),
                        placement_total: None,
                    });
                }
            }
        }
        for (s, indicator) in PLACEMENTS.iter().enumerate() {
            cells.push(Cell {
                indicator,
                key: String::new(),
                value: layout.placement_base() + s * 4,
                shown: Shown::Always,
                placement_total: Some(s),
            });
            for (f, key) in funding.iter().enumerate() {
                cells.push(Cell {
                    indicator,
                    key: key.clone(),
                    value: layout.placement_base() + s * 4 + 1 + f,
                    shown: Shown::Always,
                    placement_total: None,
                });
            }
            for (p, key) in provider.iter().enumerate() {
                cells.push(Cell {
                    indicator,
                    key: key.clone(),
                    value: layout.placement_provider_base() + p * 2 + s,
                    shown: Shown::Intervened(p),
                    placement_total: None,
                });
            }
        }
        cells.push(Cell {
            indicator: NALOXONE,
            key: String::new(),
            value: layout.naloxone_base(),
            shown: Shown::Always,
            placement_total: None,
        });
        for (p, key) in provider.iter().enumerate() {
            cells.push(Cell {
                indicator: NALOXONE,
                key: key.clone(),
                value: layout.naloxone_base() + 1 + p,
                shown: Shown::Intervened(p),
                placement_total: None,
            });
        }
        cells.sort_by(|a, b| (a.indicator, &a.key).cmp(&(b.indicator, &b.key)));
        layout.cells = cells;
        layout
    }

    /// The counts of one year, sorted, or `None` when the area has nothing
    /// in it.
    fn counts(&self, acc: &Acc, y: usize, values: &mut Vec<u64>) -> Option<Vec<Count>> {
        let np = self.np;
        values.clear();
        values.resize(self.len(), 0);
        for k in 0..NK {
            let cube = &acc.cube[(y * NK + k) * CUBE..(y * NK + k + 1) * CUBE];
            margins(cube, &mut values[k * MARGINS..(k + 1) * MARGINS]);
        }
        if values[K_PEOPLE * MARGINS] == 0 && !acc.any_intervention[y] {
            return None;
        }
        let base = self.provider_base();
        values[base..base + np * NKP].copy_from_slice(&acc.prov[y * np * NKP..(y + 1) * np * NKP]);
        for s in 0..2 {
            let by_funding = &acc.place[(y * 2 + s) * 3..(y * 2 + s + 1) * 3];
            let at = self.placement_base() + s * 4;
            values[at] = by_funding.iter().sum();
            values[at + 1..at + 4].copy_from_slice(by_funding);
        }
        let base = self.placement_provider_base();
        values[base..base + np * 2].copy_from_slice(&acc.place_prov[y * np * 2..(y + 1) * np * 2]);
        let base = self.naloxone_base();
        values[base] = acc.naloxone[y];
        values[base + 1..base + 1 + np].copy_from_slice(&acc.naloxone_prov[y * np..(y + 1) * np]);

        let mut out = Vec::with_capacity(self.cells.len());
        for cell in &self.cells {
            let shown = match cell.shown {
                Shown::Always => true,
                Shown::Present(p) => acc.prov[(y * np + p) * NKP + K_PEOPLE] > 0,
                Shown::Intervened(p) => acc.intervened[y * np + p],
            };
            if !shown {
                continue;
            }
            let coverage = cell.placement_total.and_then(|s| {
                (acc.place[(y * 2 + s) * 3 + funding_index(Funding::SelfFunded)] > 0)
                    .then(|| SELF_FUNDED_NOTE.to_string())
            });
            out.push(Count {
                indicator: cell.indicator.to_string(),
                breakdown: cell.key.clone(),
                value: values[cell.value],
                coverage,
            });
        }
        Some(out)
    }
}

/// A total order on records (every field), so that two lists of records
/// sort alike exactly when they hold the same records.
fn record_order(a: &Record, b: &Record) -> std::cmp::Ordering {
    let key = |r: &Record| {
        (
            (
                r.client,
                r.birth,
                r.sex,
                r.ethnicity,
                r.referral,
                r.triage,
                r.start,
            ),
            (
                r.discharge,
                r.discharge_reason,
                r.drugs,
                r.intervention,
                r.setting,
            ),
            (r.modality_start, r.modality_end, r.funding, r.naloxone_kits),
        )
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| a.episode_id.cmp(&b.episode_id))
        .then_with(|| a.modality_id.cmp(&b.modality_id))
}

/// The years that must be recomputed for one area when its records change
/// from `old` to `new`: every year reached by a person (client key) whose
/// records (with their providers) differ between the two, each episode's
/// span extended 21 days past its discharge (the journey rule) and an open
/// episode reaching the year of the latest date in either. Empty when the
/// two hold the same records. Years entering or leaving the span of years
/// the records reach are included too. A returned year for which
/// [`compute_area`] over `new` gives no set has no figures any more.
pub fn touched_years(
    old: &[ProviderRecords<'_>],
    new: &[ProviderRecords<'_>],
) -> BTreeSet<FinancialYear> {
    fn flatten<'a>(input: &[ProviderRecords<'a>]) -> Vec<(&'a str, &'a Record)> {
        let mut v: Vec<(&str, &Record)> = input
            .iter()
            .flat_map(|p| p.records.iter().map(move |r| (p.provider, r)))
            .collect();
        v.sort_unstable_by(|a, b| {
            a.1.client
                .cmp(&b.1.client)
                .then_with(|| a.0.cmp(b.0))
                .then_with(|| record_order(a.1, b.1))
        });
        v
    }
    // Years that enter or leave the reach (an open episode of anyone counts
    // in every year up to the latest date held).
    let mut years = BTreeSet::new();
    let (before, after) = (reach(old), reach(new));
    if before != after {
        for (a, b) in [(before, after), (after, before)] {
            if let Some((first, last)) = a {
                years.extend((first..=last).filter(|y| b.is_none_or(|(f, l)| y < &f || y > &l)));
            }
        }
    }
    let old = flatten(old);
    let new = flatten(new);
    let latest = old
        .iter()
        .chain(&new)
        .map(|(_, r)| latest_date(r))
        .max()
        .unwrap_or(i32::MIN);
    let mut reached = |rows: &[(&str, &Record)]| {
        for (_, r) in rows {
            let end = r
                .discharge
                .map_or(latest, |d| d.0.saturating_add(JOURNEY_GAP_DAYS as i32));
            for y in fy_of(r.start.0)..=fy_of(end.max(r.start.0)) {
                years.insert(y);
            }
        }
    };
    let group_end = |rows: &[(&str, &Record)], from: usize| {
        let client = rows[from].1.client;
        from + rows[from..]
            .iter()
            .take_while(|(_, r)| r.client == client)
            .count()
    };
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) => a.1.client.cmp(&b.1.client),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                let e = group_end(&old, i);
                reached(&old[i..e]);
                i = e;
            }
            std::cmp::Ordering::Greater => {
                let e = group_end(&new, j);
                reached(&new[j..e]);
                j = e;
            }
            std::cmp::Ordering::Equal => {
                let (ei, ej) = (group_end(&old, i), group_end(&new, j));
                let same = ei - i == ej - j
                    && old[i..ei]
                        .iter()
                        .zip(&new[j..ej])
                        .all(|(a, b)| a.0 == b.0 && a.1 == b.1);
                if !same {
                    reached(&old[i..ei]);
                    reached(&new[j..ej]);
                }
                i = ei;
                j = ej;
            }
        }
    }
    years
        .into_iter()
        .filter_map(|y| {
            i16::try_from(y)
                .ok()
                .and_then(|y| FinancialYear::starting(y).ok())
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::records::{ClientKey, Day, Intervention, YearMonth};
    use jiff::civil::Date;
    use proptest::prelude::*;

    fn day(s: &str) -> Day {
        Day::from_date(s.parse().unwrap())
    }

    fn fy(y: i16) -> FinancialYear {
        FinancialYear::starting(y).unwrap()
    }

    /// One intervention row, community, council-funded, starting with its
    /// episode (born June 1980, male).
    fn rec(client: u8, start: &str, discharge: Option<(&str, u8)>, drugs: &[u16]) -> Record {
        let mut key = [0u8; 16];
        key[0] = client;
        let mut d = [None; 3];
        for (slot, code) in d.iter_mut().zip(drugs) {
            *slot = Some(*code);
        }
        Record {
            client: ClientKey(key),
            birth: YearMonth {
                year: 1980,
                month: 6,
            },
            sex: Sex::Male,
            ethnicity: b'A',
            episode_id: String::new(),
            modality_id: String::new(),
            referral: day(start),
            triage: day(start),
            start: day(start),
            discharge: discharge.map(|(d, _)| day(d)),
            discharge_reason: discharge.map(|(_, r)| r),
            drugs: d,
            intervention: Intervention::Psychosocial,
            setting: Setting::Community,
            modality_start: day(start),
            modality_end: discharge.map(|(d, _)| day(d)),
            funding: Funding::Council,
            naloxone_kits: 0,
            circumstances: Default::default(),
        }
    }

    fn one(records: &[Record]) -> Vec<FigureSet> {
        compute_area(
            "E06000016",
            &[ProviderRecords {
                provider: "N0001",
                records,
            }],
            None,
        )
    }

    fn get(sets: &[FigureSet], year: i16, indicator: &str, key: &str) -> Option<u64> {
        sets.iter()
            .find(|s| s.year == fy(year))?
            .counts
            .iter()
            .find(|c| c.indicator == indicator && c.breakdown == key)
            .map(|c| c.value)
    }

    const PIT: &str = "people_in_treatment";

    #[test]
    fn civil_conversions_agree_with_jiff() {
        for d in (-40_000..40_000).step_by(7) {
            let date = Day(d).date();
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(
                (y, m, dd),
                (
                    i32::from(date.year()),
                    date.month() as u32,
                    date.day() as u32
                )
            );
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(fy_of(day("2017-03-31").0), 2016);
        assert_eq!(fy_of(day("2017-04-01").0), 2017);
    }

    #[test]
    fn the_calendar_agrees_with_date_arithmetic() {
        let mut calendar = Calendar::default();
        calendar.fill(1999, 2003);
        for d in day("1995-01-01").0..day("2007-01-01").0 {
            let (y, m, _) = civil_from_days(d);
            let fy = if m >= 4 { y } else { y - 1 };
            assert_eq!(calendar.day(d), (fy - 1999, y, m as i32), "{}", Day(d));
        }
    }

    #[test]
    fn a_person_at_two_providers_is_counted_once() {
        let a = [rec(1, "2020-05-01", None, &[1101])];
        let b = [rec(1, "2020-06-01", Some(("2020-09-01", 85)), &[1101])];
        let sets = compute_area(
            "E06000016",
            &[
                ProviderRecords {
                    provider: "N0001",
                    records: &a,
                },
                ProviderRecords {
                    provider: "N0002",
                    records: &b,
                },
            ],
            None,
        );
        assert_eq!(sets.len(), 1);
        assert_eq!(get(&sets, 2020, PIT, ""), Some(1));
        assert_eq!(get(&sets, 2020, PIT, "provider=N0001"), Some(1));
        assert_eq!(get(&sets, 2020, PIT, "provider=N0002"), Some(1));
        assert_eq!(get(&sets, 2020, "new_presentations", ""), Some(1));
        assert_eq!(
            get(&sets, 2020, "new_presentations", "provider=N0001"),
            Some(1)
        );
        assert_eq!(
            get(&sets, 2020, "new_presentations", "provider=N0002"),
            Some(0)
        );
        assert_eq!(get(&sets, 2020, "treatment_exits", ""), Some(1));
        assert_eq!(
            get(&sets, 2020, "treatment_exits", "provider=N0002"),
            Some(1)
        );
        assert_eq!(
            get(&sets, 2020, "treatment_exits", "provider=N0001"),
            Some(0)
        );
        // Sorted, with every fixed cell written.
        let counts = &sets[0].counts;
        assert!(counts.windows(2).all(|w| w[0] < w[1]));
        let n = |ind: &str| counts.iter().filter(|c| c.indicator == ind).count();
        // total + 4 + 13 + 3 + 2 + 8 + 26 + 52 + 2 providers
        assert_eq!(n(PIT), 111);
        assert_eq!(n("new_presentations"), 111);
        // total + 4 + 13 + 3 + 2 providers
        assert_eq!(n("treatment_exits"), 23);
        assert_eq!(n("deaths_in_treatment"), 21);
        // total + 3 funding + 2 providers
        assert_eq!(n("inpatient_detox_placements"), 6);
        assert_eq!(n("naloxone_kits_issued"), 3);
        assert_eq!(
            get(&sets, 2020, PIT, "age_band=70+;crack=no_crack"),
            Some(0)
        );
    }

    #[test]
    fn an_episode_over_the_year_end_counts_in_both_years() {
        let sets = one(&[rec(1, "2020-03-01", Some(("2020-05-01", 85)), &[7000])]);
        assert_eq!(sets.len(), 2);
        assert_eq!(get(&sets, 2019, PIT, ""), Some(1));
        assert_eq!(get(&sets, 2020, PIT, ""), Some(1));
        assert_eq!(get(&sets, 2019, "new_presentations", ""), Some(1));
        assert_eq!(get(&sets, 2020, "new_presentations", ""), Some(0));
        assert_eq!(get(&sets, 2019, "treatment_exits", ""), Some(0));
        assert_eq!(get(&sets, 2020, "treatment_exits", ""), Some(1));
    }

    #[test]
    fn substance_groups_and_crack() {
        let sets = one(&[
            rec(1, "2020-05-01", None, &[1101, 3201]),
            rec(2, "2020-05-01", None, &[7000]),
            rec(3, "2020-05-01", None, &[5000, 7000]),
            rec(4, "2020-05-01", None, &[3200]),
            rec(5, "2020-05-01", None, &[3201]),
        ]);
        let g = |key: &str| get(&sets, 2020, PIT, key);
        assert_eq!(g("substance_group=opiate"), Some(1));
        assert_eq!(g("substance_group=alcohol_only"), Some(1));
        assert_eq!(g("substance_group=non_opiate_and_alcohol"), Some(1));
        assert_eq!(g("substance_group=non_opiate_only"), Some(2));
        assert_eq!(g("crack=crack"), Some(2));
        assert_eq!(g("crack=no_crack"), Some(3));
        assert_eq!(g("crack=crack;substance_group=opiate"), Some(1));
        assert_eq!(g("crack=crack;substance_group=non_opiate_only"), Some(1));
        assert_eq!(g("crack=no_crack;substance_group=alcohol_only"), Some(1));
        assert_eq!(g("age_band=35-39;crack=crack"), Some(2));
        assert_eq!(g("age_band=35-39;substance_group=opiate"), Some(1));
    }

    #[test]
    fn substances_come_from_every_episode_overlapping_the_year() {
        // Alcohol in 2019, then a cocaine episode in 2020 while still in
        // the alcohol one: non-opiate and alcohol in 2020.
        let sets = one(&[
            rec(1, "2019-05-01", Some(("2020-06-01", 80)), &[7000]),
            rec(1, "2020-05-01", None, &[3200]),
        ]);
        assert_eq!(
            get(&sets, 2019, PIT, "substance_group=alcohol_only"),
            Some(1)
        );
        assert_eq!(
            get(&sets, 2020, PIT, "substance_group=non_opiate_and_alcohol"),
            Some(1)
        );
        assert_eq!(get(&sets, 2020, "new_presentations", ""), Some(0));
        assert_eq!(
            get(
                &sets,
                2020,
                "successful_completions",
                "substance_group=non_opiate_and_alcohol"
            ),
            Some(1)
        );
    }

    #[test]
    fn a_self_funded_residential_placement() {
        let mut r = rec(1, "2020-05-01", Some(("2020-09-01", 80)), &[7000]);
        r.setting = Setting::Residential;
        r.funding = Funding::SelfFunded;
        let sets = one(&[r]);
        let res = "residential_rehab_placements";
        let counts = &sets[0].counts;
        let total = counts
            .iter()
            .find(|c| c.indicator == res && c.breakdown.is_empty())
            .unwrap();
        assert_eq!(total.value, 1);
        assert_eq!(
            total.coverage.as_deref(),
            Some("includes self-funded placements")
        );
        assert_eq!(get(&sets, 2020, res, "funding=self_funded"), Some(1));
        assert_eq!(get(&sets, 2020, res, "funding=council"), Some(0));
        assert_eq!(get(&sets, 2020, res, "provider=N0001"), Some(1));
        let inp = counts
            .iter()
            .find(|c| c.indicator == "inpatient_detox_placements" && c.breakdown.is_empty())
            .unwrap();
        assert_eq!((inp.value, inp.coverage.as_deref()), (0, None));
    }

    #[test]
    fn deaths_and_successful_completions() {
        let sets = one(&[
            rec(1, "2020-05-01", Some(("2020-09-01", 89)), &[1101]),
            rec(2, "2020-05-01", Some(("2020-10-01", 80)), &[3200]),
        ]);
        assert_eq!(get(&sets, 2020, "deaths_in_treatment", ""), Some(1));
        assert_eq!(
            get(&sets, 2020, "deaths_in_treatment", "substance_group=opiate"),
            Some(1)
        );
        assert_eq!(get(&sets, 2020, "treatment_exits", ""), Some(2));
        assert_eq!(get(&sets, 2020, "successful_completions", ""), Some(1));
        assert_eq!(
            get(
                &sets,
                2020,
                "successful_completions",
                "substance_group=non_opiate_only"
            ),
            Some(1)
        );
        assert_eq!(
            get(&sets, 2020, "successful_completions", "provider=N0001"),
            Some(1)
        );
    }

    #[test]
    fn age_on_the_year_start_or_the_later_episode_start() {
        // Born June 1990. In treatment since 2014: age on 1 April 2015 is 24.
        // Starting 1 July 2015: 25 (the birthday counts from 1 June).
        let mut a = rec(1, "2014-06-01", None, &[7000]);
        let mut b = rec(2, "2015-07-01", None, &[7000]);
        for r in [&mut a, &mut b] {
            r.birth = YearMonth {
                year: 1990,
                month: 6,
            };
        }
        let sets = one(&[a, b]);
        assert_eq!(get(&sets, 2015, PIT, "age_band=20-24"), Some(1));
        assert_eq!(get(&sets, 2015, PIT, "age_band=25-29"), Some(1));
        assert_eq!(get(&sets, 2014, PIT, "age_band=20-24"), Some(1));
        assert_eq!(get(&sets, 2014, PIT, "age_band=25-29"), Some(0));
    }

    #[test]
    fn new_presentations_follow_the_21_day_rule() {
        let sets = one(&[
            // Back after 10 days: the same journey.
            rec(1, "2020-05-01", Some(("2021-03-25", 85)), &[7000]),
            rec(1, "2021-04-04", None, &[7000]),
            // Back after 30 days: a new journey.
            rec(2, "2020-05-01", Some(("2021-03-10", 85)), &[7000]),
            rec(2, "2021-04-09", None, &[7000]),
            // A second episode while the first is still open: the same journey.
            rec(3, "2020-05-01", Some(("2021-12-01", 85)), &[7000]),
            rec(3, "2021-06-01", None, &[7000]),
        ]);
        assert_eq!(get(&sets, 2020, "new_presentations", ""), Some(3));
        assert_eq!(get(&sets, 2021, "new_presentations", ""), Some(1));
        assert_eq!(get(&sets, 2021, PIT, ""), Some(3));
    }

    #[test]
    fn naloxone_kits_by_intervention_start() {
        let mut a = rec(1, "2020-05-01", None, &[1101]);
        a.naloxone_kits = 2;
        let mut b = a.clone();
        b.modality_start = day("2020-08-01");
        b.naloxone_kits = 3;
        let mut c = a.clone();
        c.modality_start = day("2021-08-01");
        c.naloxone_kits = 1;
        let sets = one(&[a, b, c]);
        assert_eq!(get(&sets, 2020, "naloxone_kits_issued", ""), Some(5));
        assert_eq!(
            get(&sets, 2020, "naloxone_kits_issued", "provider=N0001"),
            Some(5)
        );
        assert_eq!(get(&sets, 2021, "naloxone_kits_issued", ""), Some(1));
        // Three rows, one episode, one person.
        assert_eq!(get(&sets, 2020, PIT, ""), Some(1));
    }

    #[test]
    fn only_the_years_asked_for_within_the_reach() {
        let records = [
            rec(1, "2018-05-01", None, &[1101]),
            rec(2, "2021-05-01", None, &[7000]),
        ];
        let input = [ProviderRecords {
            provider: "N0001",
            records: &records,
        }];
        let all = compute_area("E", &input, None);
        assert_eq!(
            all.iter().map(|s| s.year.start_year()).collect::<Vec<_>>(),
            [2018, 2019, 2020, 2021]
        );
        let some = compute_area("E", &input, Some(&[fy(2020), fy(2025), fy(2010)]));
        assert_eq!(some, vec![all[2].clone()]);
    }

    // ---- property tests -------------------------------------------------

    const DRUG_CHOICES: [u16; 7] = [1101, 3201, 3200, 5000, 7000, 1105, 2200];

    /// (client, provider, start offset, duration, open, drugs, rows)
    type Ep = (u8, usize, i32, i32, bool, (usize, Option<usize>), u8);

    fn episodes() -> impl Strategy<Value = Vec<Ep>> {
        proptest::collection::vec(
            (
                0u8..6,
                0usize..3,
                0i32..5_934,
                0i32..1_500,
                any::<bool>(),
                (0usize..7, proptest::option::of(0usize..7)),
                1u8..4,
            ),
            1..25,
        )
    }

    fn build(eps: &[Ep]) -> Vec<Vec<Record>> {
        let base = day("2010-01-01").0;
        let end = day("2026-03-31").0;
        let mut by_provider = vec![Vec::new(); 3];
        let mut seen = std::collections::BTreeSet::new();
        for &(client, prov, offset, duration, open, (d1, d2), rows) in eps {
            // An episode is (client, provider, start, referral): one each.
            if !seen.insert((client, prov, offset)) {
                continue;
            }
            let start = base + offset;
            let discharge = (!open && start + duration <= end).then_some(start + duration);
            let drugs: Vec<u16> = std::iter::once(DRUG_CHOICES[d1])
                .chain(d2.map(|d| DRUG_CHOICES[d]))
                .collect();
            for n in 0..rows {
                let mut r = rec(client, "2010-01-01", None, &drugs);
                r.birth = YearMonth {
                    year: 1950 + i16::from(client) * 7,
                    month: 1 + (client % 12) as i8,
                };
                r.sex = [Sex::Male, Sex::Female, Sex::NotStated][usize::from(client % 3)];
                r.referral = Day(start - 3);
                r.triage = Day(start - 1);
                r.start = Day(start);
                r.discharge = discharge.map(Day);
                r.discharge_reason = discharge.map(|_| [80u8, 85, 89][usize::from(n) % 3]);
                r.modality_start = Day(start + i32::from(n) * duration / 4);
                r.modality_end = r.discharge;
                by_provider[prov].push(r);
            }
        }
        by_provider
    }

    fn input(records: &[Vec<Record>]) -> Vec<ProviderRecords<'_>> {
        const CODES: [&str; 3] = ["N0001", "N0002", "N0003"];
        records
            .iter()
            .enumerate()
            .map(|(i, r)| ProviderRecords {
                provider: CODES[i],
                records: r,
            })
            .collect()
    }

    fn brute_band(age: i32) -> &'static str {
        match age {
            ..=18 => "18",
            19 => "19",
            20..=24 => "20-24",
            25..=29 => "25-29",
            30..=34 => "30-34",
            35..=39 => "35-39",
            40..=44 => "40-44",
            45..=49 => "45-49",
            50..=54 => "50-54",
            55..=59 => "55-59",
            60..=64 => "60-64",
            65..=69 => "65-69",
            _ => "70+",
        }
    }

    proptest! {
        #[test]
        fn people_in_treatment_matches_a_brute_force_count(eps in episodes()) {
            let records = build(&eps);
            let input = input(&records);
            let sets = compute_area("E", &input, None);
            let all: Vec<&Record> = records.iter().flatten().collect();
            let first = all.iter().map(|r| r.start).min().unwrap();
            let last = all
                .iter()
                .flat_map(|r| [Some(r.start), Some(r.modality_start), r.discharge, r.modality_end])
                .flatten()
                .max()
                .unwrap();
            let (y0, y1) = (FinancialYear::containing(first.date()), FinancialYear::containing(last.date()));
            let mut clients: Vec<ClientKey> = all.iter().map(|r| r.client).collect();
            clients.sort();
            clients.dedup();
            let mut year = y0;
            while year <= y1 {
                let (from, to) = (year.first_day(), year.last_day());
                let mut total = 0u64;
                let mut by_key: std::collections::BTreeMap<String, u64> = Default::default();
                for c in &clients {
                    let overlapping: Vec<&&Record> = all
                        .iter()
                        .filter(|r| r.client == *c && r.start.date() <= to && r.discharge.is_none_or(|d| d.date() >= from))
                        .collect();
                    if overlapping.is_empty() {
                        continue;
                    }
                    total += 1;
                    let groups: Vec<DrugGroup> = overlapping
                        .iter()
                        .flat_map(|r| r.drugs.iter().flatten().filter_map(|d| codes::drug_group(*d)))
                        .collect();
                    let has = |g: DrugGroup| groups.contains(&g);
                    let non_opiate = has(DrugGroup::NonOpiate) || has(DrugGroup::Crack);
                    let group = if has(DrugGroup::Opiate) {
                        "opiate"
                    } else if non_opiate && !has(DrugGroup::Alcohol) {
                        "non_opiate_only"
                    } else if non_opiate {
                        "non_opiate_and_alcohol"
                    } else {
                        "alcohol_only"
                    };
                    *by_key.entry(format!("substance_group={group}")).or_default() += 1;
                    let earliest: Date = overlapping.iter().map(|r| r.start.date()).min().unwrap();
                    let on = if earliest > from { earliest } else { from };
                    let age = overlapping[0].birth.age_on(on);
                    *by_key.entry(format!("age_band={}", brute_band(age))).or_default() += 1;
                }
                let set = sets.iter().find(|s| s.year == year);
                match set {
                    None => prop_assert_eq!(total, 0),
                    Some(set) => {
                        let value = |key: &str| set.counts.iter().find(|c| c.indicator == PIT && c.breakdown == key).map(|c| c.value);
                        prop_assert_eq!(value(""), Some(total));
                        for g in SUBSTANCE_GROUPS {
                            let key = format!("substance_group={g}");
                            prop_assert_eq!(value(&key), Some(by_key.get(&key).copied().unwrap_or(0)));
                        }
                        for a in AGE_BANDS {
                            let key = format!("age_band={a}");
                            prop_assert_eq!(value(&key), Some(by_key.get(&key).copied().unwrap_or(0)));
                        }
                    }
                }
                year = year.next();
            }
        }

        #[test]
        fn a_stored_set_reads_back_with_every_zero(eps in episodes()) {
            // The body leaves the grid's zeros out; reading it gives back
            // exactly the counts computed, zeros and all.
            let records = build(&eps);
            for set in compute_area("E", &input(&records), None) {
                let body = set.body();
                prop_assert_eq!(FigureSet::parse_body(&body).unwrap(), set.counts.clone());
                let written = body.lines().filter(|l| !l.starts_with(['@', '#'])).count();
                let nonzero = set.counts.iter().filter(|c| c.value > 0).count();
                let providers = set.counts.iter().filter(|c| c.breakdown.contains("provider=")).count();
                prop_assert!(written <= nonzero + providers);
            }
        }

        #[test]
        fn recomputing_the_touched_years_is_recomputing_everything(
            eps in episodes(),
            extra in episodes(),
            drop in 0usize..30,
            change in 0usize..30,
        ) {
            let old = build(&eps);
            let old_input = input(&old);
            prop_assert!(touched_years(&old_input, &old_input).is_empty());
            let copy = old.clone();
            prop_assert!(touched_years(&old_input, &input(&copy)).is_empty());

            // Drop an episode, end another differently, add a few.
            let mut changed: Vec<Ep> = eps.clone();
            if drop < changed.len() {
                changed.remove(drop);
            }
            if let Some(e) = changed.get_mut(change) {
                e.3 = (e.3 + 40) % 1_500;
                e.4 = !e.4;
            }
            changed.extend(extra.iter().take(3).cloned());
            let new = build(&changed);
            let new_input = input(&new);
            let touched = touched_years(&old_input, &new_input);
            let before = compute_area("E", &old_input, None);
            let after = compute_area("E", &new_input, None);
            let years: Vec<FinancialYear> = touched.iter().copied().collect();
            let partial = compute_area("E", &new_input, Some(&years));
            for set in &partial {
                prop_assert!(touched.contains(&set.year));
            }
            for set in &after {
                if touched.contains(&set.year) {
                    prop_assert_eq!(partial.iter().find(|s| s.year == set.year), Some(set));
                } else {
                    prop_assert_eq!(before.iter().find(|s| s.year == set.year), Some(set));
                }
            }
            for set in &before {
                if !touched.contains(&set.year) {
                    prop_assert_eq!(after.iter().find(|s| s.year == set.year), Some(set));
                }
            }
        }

        /// Counting on demand (`records::count`) gives every cell of the
        /// fixed grid and the provider cells exactly as this module writes
        /// them, so a table from records on demand and one from stored
        /// sets agree.
        #[test]
        fn counting_on_demand_agrees_with_every_written_cell(eps in episodes()) {
            use crate::records::count::{self, Counter, HeldRecords, HeldSubmission};
            let records = build(&eps);
            let input = input(&records);
            let held = HeldRecords {
                area: "E".into(),
                submissions: input
                    .iter()
                    .map(|p| HeldSubmission {
                        provider: p.provider.to_string(),
                        month: YearMonth { year: 2030, month: 3 },
                        records: p.records.to_vec(),
                    })
                    .collect(),
                registered: vec![],
            };
            let counter = Counter::new(&held);
            let catalogue = crate::catalogue::shipped();
            for set in compute_area("E", &input, None) {
                for c in &set.counts {
                    if !count::COUNTABLE.contains(&c.indicator.as_str()) {
                        continue;
                    }
                    let breakdown = crate::figure::Breakdown::from_key(&c.breakdown);
                    let got = counter.count(
                        &catalogue,
                        &c.indicator,
                        crate::period::Period::FinancialYear(set.year),
                        &breakdown,
                    );
                    prop_assert_eq!(got, Ok(c.value), "{} {} {}", set.year, c.indicator, c.breakdown);
                }
            }
        }
    }
}
