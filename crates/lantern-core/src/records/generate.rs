//! Deterministic synthetic provider submissions (`docs/formats/episodes.md`)
//! for tests, demonstrations and benchmarks: one council, or a whole
//! England-sized nation, calibrated to the national figures in the research
//! notes (`../shared/research/ndtms.md` §4).
//!
//! The model: each area has a stream of people starting a first treatment
//! journey every financial year from 1996/97 (so the caseload of 2012/13 is
//! not empty), in four substance groups whose sizes, ages and sexes follow
//! the national tables; each person's episodes (with re-presentations,
//! transfers, a second provider at the same time, deaths) and interventions
//! (community, inpatient detox, residential rehab, naloxone) are drawn from
//! the person's own random choices. Only episodes still open on, or
//! discharged after, 1 March 2012 are written.
//!
//! Invariants:
//! - The same scale and seed give byte-identical files, in the same order:
//!   the random numbers come from a xoshiro256** generator written here,
//!   seeded per area, and nothing reads a clock or the environment.
//! - Every row passes the validation rules of the format: adults on the
//!   episode start, referral ≤ triage, referral ≤ start, interventions inside
//!   their episode and ended when it is, unique intervention identifiers per
//!   file, the same episode fields on every row of an episode, and no date
//!   after the reporting month (March 2026).
//! - Generation streams area by area: a provider's file is handed over as
//!   soon as the last area it serves is done, and nothing else is kept.
//! - Areas have clearly synthetic codes at every scale ([`SYNTHETIC_PREFIX`]:
//!   `E99…`, an entity code ONS does not use), so generated records never
//!   land on a real council's figures, unless a real code is asked for
//!   (`--area`): the council's area, or the first area of a nation.

use super::compute::{civil_from_days, days_from_civil};
use super::{Agency, YearMonth};

/// How every synthetic area code starts: `E99` is no ONS entity code, and
/// the codes still have the submission format's shape (E and eight digits).
pub const SYNTHETIC_PREFIX: &str = "E99";

/// The synthetic code of the one area of [`Scale::Council`].
pub const SYNTHETIC_COUNCIL_AREA: &str = "E99000001";

/// Whether `code` is one of the synthetic area codes generation uses.
pub fn is_synthetic_area(code: &str) -> bool {
    code.starts_with(SYNTHETIC_PREFIX)
}

/// The reporting month of every generated submission.
pub const REPORTING_MONTH: YearMonth = YearMonth {
    year: 2026,
    month: 3,
};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// One council's area ([`SYNTHETIC_COUNCIL_AREA`] unless another code is
    /// given), about 3,000 people in treatment a year, with two providers.
    Council,
    /// England: about 150 areas and 300,000 people in treatment a year.
    National,
}

/// What a generation produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Provider files handed to the sink.
    pub providers: usize,
    /// Rows (interventions) written, over all files.
    pub rows: u64,
    /// People with at least one row (counted once per area).
    pub people: u64,
    /// Areas generated.
    pub areas: usize,
}

/// The required columns of every generated file's header.
const HEADER: &[u8] = b"AGNCY,CLIENT,FINITIAL,SINITIAL,DOB,SEX,ETHNIC,LA,EPISODID,REFLD,TRIAGED,EPSTART,DISD,DISRSN,DRUG1,DRUG2,DRUG3,MODID,MODAL,MODSET,MODST,MODEND,FUNDING,NALOXONE";

/// The optional columns a provider sends: every provider the first four,
/// and the first provider of the register (index 0, 2, …) also parental
/// status and disability, so that synthetic data has providers that did
/// not submit a field.
fn optional_columns(agency: usize) -> &'static [&'static str] {
    const ALL: [&str; 6] = [
        "RFLS",
        "EMPSTAT",
        "ACCMNEED",
        "INJSTAT",
        "PRNTSTAT",
        "DISABILITY",
    ];
    if agency.is_multiple_of(2) {
        &ALL
    } else {
        &ALL[..4]
    }
}

/// An episode's circumstances, drawn from their own generator (seeded by
/// the person and the episode), so that the rest of the data is what it
/// was before these columns existed. Illustrative shares, not calibrated:
/// the research notes give no national table of them.
struct Circumstances {
    referral: &'static str,
    employment: &'static str,
    accommodation: &'static str,
    injecting: &'static str,
    parental: &'static str,
    disability: &'static str,
}

impl Circumstances {
    fn draw(person: &Person, episode: u64) -> Circumstances {
        let mut state = person
            .id
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(episode.wrapping_mul(0xBF58_476D_1CE4_E5B9));
        let rng = &mut Rng::new(splitmix64(&mut state));
        let opiate = person.group == OPIATE;
        let referral = rng.pick(&[
            ("4", 55.0),
            ("24", 3.0),
            ("3", 10.0),
            ("19", 3.0),
            ("22", 4.0),
            ("5", if opiate { 7.0 } else { 2.0 }),
            ("8", if opiate { 6.0 } else { 3.0 }),
            ("13", if opiate { 4.0 } else { 1.0 }),
            ("6", 1.0),
            ("1", 3.0),
            ("2", 2.0),
            ("15", 3.0),
            ("", 2.0),
        ]);
        let employed = if opiate { 12.0 } else { 40.0 };
        let employment = rng.pick(&[
            ("1", employed),
            ("12", 25.0),
            ("9", 20.0),
            ("10", 3.0),
            ("2", 2.0),
            ("15", if person.group == ALCOHOL { 8.0 } else { 1.0 }),
            ("14", 1.0),
            ("5", 4.0),
            ("99", 3.0),
            ("", 2.0),
        ]);
        let accommodation = rng.pick(&[
            ("1", if opiate { 8.0 } else { 3.0 }),
            ("2", if opiate { 17.0 } else { 9.0 }),
            ("3", if opiate { 72.0 } else { 85.0 }),
            ("", 3.0),
        ]);
        let injecting = if opiate {
            rng.pick(&[("C", 28.0), ("P", 35.0), ("N", 33.0), ("Z", 2.0), ("", 2.0)])
        } else {
            rng.pick(&[("C", 1.0), ("P", 4.0), ("N", 90.0), ("Z", 2.0), ("", 3.0)])
        };
        let parental = rng.pick(&[
            ("11", 14.0),
            ("12", 4.0),
            ("13", 26.0),
            ("14", 50.0),
            ("15", 3.0),
            ("", 3.0),
        ]);
        let disability = rng.pick(&[
            ("NN", 70.0),
            ("01", 6.0),
            ("05", 5.0),
            ("08", 5.0),
            ("04", 2.0),
            ("XX", 2.0),
            ("ZZ", 6.0),
            ("", 4.0),
        ]);
        Circumstances {
            referral,
            employment,
            accommodation,
            injecting,
            parental,
            disability,
        }
    }

    /// The values of `columns`, each after a comma.
    fn write(&self, buf: &mut Vec<u8>, columns: &[&str]) {
        for c in columns {
            let value = match *c {
                "RFLS" => self.referral,
                "EMPSTAT" => self.employment,
                "ACCMNEED" => self.accommodation,
                "INJSTAT" => self.injecting,
                "PRNTSTAT" => self.parental,
                _ => self.disability,
            };
            buf.push(b',');
            buf.extend_from_slice(value.as_bytes());
        }
    }
}

// ---- calibration ---------------------------------------------------------

/// First financial year in which people start treatment in the simulation.
const SIM_FIRST_FY: i32 = 1996;
/// Last financial year simulated (the one of the reporting month).
const SIM_LAST_FY: i32 = 2025;
/// First financial year of the calibration tables.
const TABLE_FIRST_FY: i32 = 2012;

const OPIATE: usize = 0;
const NON_OPIATE: usize = 1;
const NON_OPIATE_ALCOHOL: usize = 2;
const ALCOHOL: usize = 3;

/// People starting a first treatment journey in England each year, in
/// thousands, by substance group (opiate, non-opiate only, non-opiate and
/// alcohol, alcohol only), FY 2012/13 to 2025/26. Re-presentations come on
/// top. Tuned so that the computed people in treatment, new presentations
/// and group shares follow the national table (§4).
const ENTRANTS: [[f64; 14]; 4] = [
    [
        36.0, 34.0, 33.0, 31.0, 30.0, 29.5, 29.5, 29.5, 29.0, 29.0, 28.5, 29.0, 29.0, 28.5,
    ],
    [
        16.5, 16.0, 16.0, 16.0, 15.4, 15.4, 15.6, 16.4, 17.0, 18.5, 21.5, 27.0, 30.0, 29.5,
    ],
    [
        16.6, 16.0, 16.0, 16.0, 16.0, 16.0, 16.6, 17.6, 17.1, 18.7, 21.0, 25.0, 28.0, 27.5,
    ],
    [
        51.0, 50.0, 48.0, 45.0, 42.5, 40.0, 40.5, 40.5, 43.5, 47.5, 48.0, 55.0, 57.5, 56.0,
    ],
];

/// Yearly first-journey starts (thousands) before 2012/13, by group.
const ENTRANTS_BEFORE: [f64; 4] = [35.0, 15.0, 16.0, 52.0];

/// The council area's share of the national stream (about 3,000 people in
/// treatment in 2024/25).
const COUNCIL_WEIGHT: f64 = 0.0091;

/// Share of men by group.
const MALE: [f64; 4] = [0.72, 0.76, 0.74, 0.61];

/// Re-presentation after a discharge that was not a death, by group.
const REPRESENT: [f64; 4] = [0.4, 0.2, 0.25, 0.3];

/// Inpatient detox and residential rehab placements per episode, by group.
const INPATIENT: [f64; 4] = [0.024, 0.008, 0.02, 0.036];
const RESIDENTIAL: [f64; 4] = [0.016, 0.0065, 0.012, 0.016];

/// Share of an opiate client's interventions with naloxone kits, and of a
/// non-opiate crack user's.
const NALOXONE_OPIATE: f64 = 0.24;
const NALOXONE_CRACK: f64 = 0.04;

/// In an area with two or more providers: a second episode at another
/// provider during an episode, and a transfer on discharge code 83.
const CONCURRENT: f64 = 0.06;
const TRANSFER: f64 = 0.6;

/// Discharge reasons and their weights, by group.
const REASONS: [&[(u8, f64)]; 4] = [
    &[
        (80, 22.0),
        (83, 8.0),
        (84, 3.0),
        (85, 47.0),
        (86, 4.0),
        (87, 2.0),
        (88, 3.0),
        (89, 5.0),
        (93, 2.0),
    ],
    &[
        (80, 50.0),
        (82, 8.0),
        (83, 6.0),
        (84, 2.0),
        (85, 28.0),
        (86, 3.0),
        (88, 2.5),
        (89, 0.5),
    ],
    &[
        (80, 33.0),
        (81, 14.0),
        (82, 6.0),
        (83, 6.0),
        (84, 2.0),
        (85, 31.0),
        (86, 3.0),
        (88, 3.0),
        (89, 1.0),
    ],
    &[
        (81, 54.0),
        (80, 2.0),
        (83, 6.0),
        (84, 1.0),
        (85, 28.0),
        (86, 3.0),
        (88, 3.0),
        (89, 2.0),
    ],
];

const OPIATES: &[(u16, f64)] = &[
    (1101, 75.0),
    (1105, 8.0),
    (1000, 7.0),
    (1110, 6.0),
    (1106, 4.0),
];
const NON_OPIATES: &[(u16, f64)] = &[
    (3200, 30.0),
    (5000, 33.0),
    (3201, 12.0),
    (3100, 8.0),
    (2200, 5.0),
    (3406, 3.0),
    (6500, 4.0),
    (4000, 2.0),
    (6000, 1.0),
];
const ETHNICITY: &[(u8, f64)] = &[
    (b'A', 80.0),
    (b'B', 1.0),
    (b'C', 4.0),
    (b'D', 1.2),
    (b'E', 0.4),
    (b'F', 0.5),
    (b'G', 0.6),
    (b'H', 1.2),
    (b'J', 1.0),
    (b'K', 0.4),
    (b'L', 0.6),
    (b'M', 1.2),
    (b'N', 1.2),
    (b'P', 0.4),
    (b'R', 0.2),
    (b'S', 1.0),
    (b'Z', 3.0),
];

// ---- random numbers ------------------------------------------------------

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut s = seed;
        Rng([
            splitmix64(&mut s),
            splitmix64(&mut s),
            splitmix64(&mut s),
            splitmix64(&mut s),
        ])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in 0..=n days.
    fn days(&mut self, n: i32) -> i32 {
        self.below(n.max(0) as u64 + 1) as i32
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// A whole number with expectation `x`.
    fn round(&mut self, x: f64) -> u64 {
        let floor = x.floor();
        floor as u64 + u64::from(self.chance(x - floor))
    }

    fn pick<T: Copy>(&mut self, table: &[(T, f64)]) -> T {
        let total: f64 = table.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for &(v, w) in table {
            if x < w {
                return v;
            }
            x -= w;
        }
        table[table.len() - 1].0
    }
}

// ---- the register --------------------------------------------------------

struct AreaPlan {
    code: String,
    /// Share of the national stream of people.
    weight: f64,
    /// Agencies (indexes into the register) and their shares of the area.
    providers: Vec<(usize, f64)>,
}

struct Plan {
    areas: Vec<AreaPlan>,
    agencies: Vec<Agency>,
    /// For each agency, the last area (index) it serves.
    last_area: Vec<usize>,
}

const NAME_FIRST: &[&str] = &[
    "Beacon",
    "Harbour",
    "Northway",
    "Riverside",
    "Pathways",
    "Horizon",
    "Compass",
    "Bridge",
    "Meridian",
    "Oakfield",
    "Lighthouse",
    "Waymark",
    "Cornerstone",
    "Threshold",
    "Kestrel",
];
const NAME_SECOND: &[&str] = &[
    "Recovery Service",
    "Drug and Alcohol Service",
    "Treatment Partnership",
    "Community Recovery",
    "Substance Use Service",
];

/// The 21 county council codes used (E10…).
const COUNTIES: [u32; 21] = [
    2, 3, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 27, 28,
];

/// The plan of a scale; `area` names the code the council's area (or the
/// first area of a nation) takes instead of its synthetic one.
fn plan(scale: Scale, seed: u64, area: Option<&str>) -> Plan {
    let mut plan = synthetic_plan(scale, seed);
    if let Some(real) = area
        && let Some(first) = plan.areas.first_mut()
    {
        let synthetic = std::mem::replace(&mut first.code, real.to_string());
        for agency in &mut plan.agencies {
            if agency.area.as_deref() == Some(synthetic.as_str()) {
                agency.area = Some(real.to_string());
            }
        }
    }
    plan
}

fn synthetic_plan(scale: Scale, seed: u64) -> Plan {
    match scale {
        Scale::Council => Plan {
            areas: vec![AreaPlan {
                code: SYNTHETIC_COUNCIL_AREA.into(),
                weight: COUNCIL_WEIGHT,
                providers: vec![(0, 0.7), (1, 0.3)],
            }],
            agencies: vec![
                Agency {
                    code: "N0001".into(),
                    name: "Beacon Drug and Alcohol Service".into(),
                    area: Some(SYNTHETIC_COUNCIL_AREA.into()),
                },
                Agency {
                    code: "N0002".into(),
                    name: "Harbour Community Recovery".into(),
                    area: Some(SYNTHETIC_COUNCIL_AREA.into()),
                },
            ],
            last_area: vec![0, 0],
        },
        Scale::National => national_plan(seed),
    }
}

fn national_plan(seed: u64) -> Plan {
    let mut rng = Rng::new(seed ^ 0x05EE_D0FA_2EA5);
    // (code, typical size): unitaries, metropolitan districts (bigger),
    // London boroughs, counties (biggest); synthetic codes E99KNNNNN, K the kind.
    let code = |kind: u32, i: u32| format!("{SYNTHETIC_PREFIX}{kind}{i:05}");
    let mut areas: Vec<(String, f64)> = Vec::new();
    for i in 1..=60 {
        areas.push((code(1, i), rng.lognormal(1.0, 0.5)));
    }
    for i in 1..=36 {
        let city = match i {
            25 => 2.5, // the largest cities
            3 | 35 => 1.8,
            12 | 19 => 1.5,
            _ => 1.0,
        };
        areas.push((code(2, i), city * rng.lognormal(1.4, 0.45)));
    }
    for i in 1..=33 {
        areas.push((code(3, i), rng.lognormal(1.0, 0.4)));
    }
    for i in COUNTIES {
        areas.push((code(4, i), rng.lognormal(2.2, 0.35)));
    }
    let total: f64 = areas.iter().map(|(_, w)| w).sum();

    let mut agencies: Vec<Agency> = Vec::new();
    let mut last_area: Vec<usize> = Vec::new();
    let mut plans: Vec<AreaPlan> = Vec::new();
    for (index, (code, weight)) in areas.into_iter().enumerate() {
        let n = rng.pick(&[(1usize, 35.0), (2, 45.0), (3, 20.0)]);
        let shares: &[f64] = match n {
            1 => &[1.0],
            2 => &[0.65, 0.35],
            _ => &[0.5, 0.3, 0.2],
        };
        let mut providers = Vec::with_capacity(n);
        for (slot, &share) in shares.iter().enumerate() {
            // Now and then the main provider of the previous area also
            // serves this one (neighbouring areas).
            let shared = slot == n - 1 && index > 0 && n > 1 && rng.chance(0.15);
            let agency = match plans.last().and_then(|p: &AreaPlan| p.providers.first()) {
                Some(&(previous, _)) if shared => previous,
                _ => {
                    let number = agencies.len() + 1;
                    let name = format!(
                        "{} {}",
                        NAME_FIRST[rng.below(NAME_FIRST.len() as u64) as usize],
                        NAME_SECOND[rng.below(NAME_SECOND.len() as u64) as usize]
                    );
                    agencies.push(Agency {
                        code: format!("N{number:04}"),
                        name,
                        area: Some(code.clone()),
                    });
                    last_area.push(index);
                    agencies.len() - 1
                }
            };
            last_area[agency] = index;
            providers.push((agency, share));
        }
        plans.push(AreaPlan {
            code,
            weight: weight / total,
            providers,
        });
    }
    Plan {
        areas: plans,
        agencies,
        last_area,
    }
}

/// The register of providers the generated files use (codes `N0001`…,
/// names, and the area each mainly serves); `area` as for [`generate`].
pub fn agencies(scale: Scale, seed: u64, area: Option<&str>) -> Vec<Agency> {
    plan(scale, seed, area).agencies
}

// ---- writing -------------------------------------------------------------

fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

fn push_date(buf: &mut Vec<u8>, day: i32) {
    let (y, m, d) = civil_from_days(day);
    let y = y.clamp(0, 9999) as u32;
    buf.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (d / 10) as u8,
        b'0' + (d % 10) as u8,
    ]);
}

/// A provider's file being written.
struct File {
    buf: Vec<u8>,
    episodes: u64,
    modalities: u64,
}

struct Person {
    /// Identifier unique over the generation (the providers' CLIENT).
    id: u64,
    group: usize,
    initials: [u8; 2],
    dob: i32,
    sex: u8,
    ethnicity: u8,
    drugs: [u16; 3],
}

/// One intervention of an episode.
struct Modality {
    modal: &'static str,
    setting: &'static str,
    start: i32,
    end: Option<i32>,
    funding: &'static str,
    kits: u64,
}

/// Generates one area.
struct AreaGen<'a> {
    rng: Rng,
    code: &'a str,
    /// Agency indexes and shares.
    providers: &'a [(usize, f64)],
    files: &'a mut [Option<File>],
    agencies: &'a [Agency],
    end: i32,
    emit_from: i32,
    next_person: u64,
    rows: u64,
    people: u64,
    modalities: Vec<Modality>,
    prefix: Vec<u8>,
}

impl AreaGen<'_> {
    fn run(&mut self, weight: f64) {
        for fy in SIM_FIRST_FY..=SIM_LAST_FY {
            let first = days_from_civil(fy, 4, 1);
            let last = days_from_civil(fy + 1, 3, 31).min(self.end);
            for group in [OPIATE, NON_OPIATE, NON_OPIATE_ALCOHOL, ALCOHOL] {
                let national = usize::try_from(fy - TABLE_FIRST_FY)
                    .ok()
                    .and_then(|i| ENTRANTS[group].get(i))
                    .copied()
                    .unwrap_or(ENTRANTS_BEFORE[group]);
                let n = self.rng.round(national * 1000.0 * weight);
                for _ in 0..n {
                    let start = first + self.rng.days(last - first);
                    self.person(group, start, fy);
                }
            }
        }
    }

    fn slot(&mut self) -> usize {
        let mut x = self.rng.unit();
        for (i, (_, share)) in self.providers.iter().enumerate() {
            if x < *share {
                return i;
            }
            x -= share;
        }
        0
    }

    fn other_slot(&mut self, slot: usize) -> usize {
        let n = self.providers.len();
        (slot + 1 + self.rng.below(n as u64 - 1) as usize) % n
    }

    fn person(&mut self, group: usize, start: i32, fy: i32) {
        let rng = &mut self.rng;
        let sex = if rng.chance(MALE[group]) {
            b'M'
        } else if rng.chance(0.994) {
            b'F'
        } else if rng.chance(0.5) {
            b'I'
        } else {
            b'Z'
        };
        let years = f64::from(fy - TABLE_FIRST_FY);
        let (mean, sd) = match group {
            OPIATE if fy < TABLE_FIRST_FY => (34.0 + 0.3 * years, 7.5),
            OPIATE => (34.0 + 0.6 * years, 7.5),
            NON_OPIATE => (27.5 + 0.15 * years.max(0.0), 7.5),
            NON_OPIATE_ALCOHOL => (32.0 + 0.1 * years.max(0.0), 8.5),
            _ => (45.0, 11.0),
        };
        let age = (mean + sd * rng.normal()).round().clamp(18.0, 85.0) as i32;
        let mut dob = start - age * 365 - age / 4 - rng.days(364);
        while exact_age(dob, start) < 18 {
            dob -= 31;
        }
        let drugs = drugs(rng, group);
        let letter = |rng: &mut Rng| b'A' + rng.below(26) as u8;
        let person = Person {
            id: self.next_person,
            group,
            initials: [letter(rng), letter(rng)],
            dob,
            sex,
            ethnicity: rng.pick(ETHNICITY),
            drugs,
        };
        self.next_person += 1;

        let several = self.providers.len() > 1;
        let mut slot = self.slot();
        let mut start = start;
        let mut emitted = false;
        for _ in 0..8 {
            let days = self.duration(group);
            let reason = self.rng.pick(REASONS[group]);
            let planned = start.saturating_add(days);
            let (discharge, reason) = if planned <= self.end {
                (Some(planned), reason)
            } else {
                (None, 0)
            };
            emitted |= self.episode(&person, slot, start, planned, discharge, reason);
            if several && self.rng.chance(CONCURRENT) {
                let other = self.other_slot(slot);
                let begins = start + self.rng.days(days.min(300));
                let mut ends = begins + self.rng.lognormal(100.0, 0.6) as i32;
                let mut why = match self.rng.pick(REASONS[group]) {
                    89 => 85,
                    r => r,
                };
                if reason == 89 && discharge.is_some_and(|d| ends > d) {
                    ends = discharge.unwrap_or(ends);
                    why = 89;
                }
                if begins <= self.end {
                    let discharged = (ends <= self.end).then_some(ends);
                    emitted |= self.episode(&person, other, begins, ends, discharged, why);
                }
            }
            let Some(discharge) = discharge else {
                break;
            };
            if reason == 89 {
                break;
            }
            if reason == 83 && several && self.rng.chance(TRANSFER) {
                slot = self.other_slot(slot);
                start = discharge + self.rng.days(14);
            } else {
                let successful = matches!(reason, 80..=82);
                let p = REPRESENT[group] * if successful { 0.5 } else { 1.0 };
                if !self.rng.chance(p) {
                    break;
                }
                let gap = if self.rng.chance(0.2) {
                    1 + self.rng.days(20)
                } else {
                    22 + self.rng.exponential(420.0) as i32
                };
                start = discharge.saturating_add(gap);
                if several && self.rng.chance(0.15) {
                    slot = self.other_slot(slot);
                }
            }
            if start > self.end {
                break;
            }
        }
        if emitted {
            self.people += 1;
        }
    }

    /// An episode's length in days.
    fn duration(&mut self, group: usize) -> i32 {
        let days = match group {
            OPIATE if self.rng.chance(0.4) => self.rng.exponential(110.0),
            OPIATE => self.rng.lognormal(750.0, 1.0),
            NON_OPIATE => self.rng.lognormal(120.0, 0.75),
            NON_OPIATE_ALCOHOL => self.rng.lognormal(140.0, 0.75),
            _ => self.rng.lognormal(150.0, 0.7),
        };
        days.clamp(0.0, 11_000.0) as i32
    }

    /// Draws and writes one episode; whether it was written (it is left
    /// out when discharged before the extract's window).
    fn episode(
        &mut self,
        p: &Person,
        slot: usize,
        start: i32,
        planned: i32,
        discharge: Option<i32>,
        reason: u8,
    ) -> bool {
        let rng = &mut self.rng;
        let referral = if rng.chance(0.4) {
            start
        } else {
            start - rng.days(35)
        };
        let triage = referral + rng.days(start - referral);
        // Interventions are spread over the whole planned episode; those
        // that would start after the reporting month are not there yet.
        let last = discharge.unwrap_or(planned);
        let span = last - start;
        let end_of = |from: i32, length: i32| -> Option<i32> {
            let end = from.saturating_add(length);
            match discharge {
                Some(d) => Some(end.min(d)),
                None => (end <= self.end).then_some(end),
            }
        };

        // The main intervention runs the whole episode.
        self.modalities.clear();
        let main = match p.group {
            OPIATE if rng.chance(0.9) => "PHARM",
            ALCOHOL if rng.chance(0.25) => "PHARM",
            _ => "PSYCH",
        };
        let setting = if main == "PHARM" && rng.chance(0.12) {
            "PRI"
        } else if rng.chance(0.01) {
            "RHS"
        } else {
            "COM"
        };
        self.modalities.push(Modality {
            modal: main,
            setting,
            start: start + rng.days(span.min(7).min(self.end - start)),
            end: discharge,
            funding: if rng.chance(0.93) { "LA" } else { "OTH" },
            kits: 0,
        });
        let total = rng.pick(&[(1usize, 35.0), (2, 35.0), (3, 20.0), (4, 10.0)]);
        let mut placements = Vec::with_capacity(2);
        if rng.chance(INPATIENT[p.group]) {
            placements.push(("PHARM", "INP", 7 + rng.days(21)));
        }
        if rng.chance(RESIDENTIAL[p.group]) {
            placements.push(("PSYCH", "RES", 42 + rng.days(126)));
        }
        for (modal, setting, length) in placements {
            let from = start + rng.days(span - length);
            let funding = rng.pick(&[("LA", 65.0), ("SELF", 20.0), ("OTH", 15.0)]);
            self.modalities.push(Modality {
                modal,
                setting,
                start: from,
                end: end_of(from, length),
                funding,
                kits: 0,
            });
        }
        while self.modalities.len() < total {
            let (modal, length) = if rng.chance(0.6) {
                ("PSYCH", 28 + rng.days(112))
            } else {
                ("RECOV", 30 + rng.days(330))
            };
            let from = start + rng.days(span);
            self.modalities.push(Modality {
                modal,
                setting: "COM",
                start: from,
                end: end_of(from, length),
                funding: rng.pick(&[("LA", 93.0), ("OTH", 6.5), ("SELF", 0.5)]),
                kits: 0,
            });
        }
        let end = self.end;
        self.modalities.retain(|m| m.start <= end);
        let crack = p.drugs.contains(&3201);
        for m in &mut self.modalities {
            let p_kits = match p.group {
                OPIATE => NALOXONE_OPIATE,
                _ if crack => NALOXONE_CRACK,
                _ => 0.0,
            };
            if p_kits > 0.0 && rng.chance(p_kits) {
                m.kits = rng.pick(&[(1, 70.0), (2, 25.0), (3, 5.0)]);
            }
        }

        if discharge.is_some_and(|d| d < self.emit_from) {
            return false;
        }
        let agency = self.providers[slot].0;
        let Some(file) = self.files[agency].as_mut() else {
            return false;
        };
        file.episodes += 1;
        let circumstances = Circumstances::draw(p, file.episodes);
        let optional = optional_columns(agency);
        let prefix = &mut self.prefix;
        prefix.clear();
        prefix.extend_from_slice(self.agencies[agency].code.as_bytes());
        prefix.extend_from_slice(b",C");
        push_u64(prefix, p.id);
        prefix.extend_from_slice(&[b',', p.initials[0], b',', p.initials[1], b',']);
        push_date(prefix, p.dob);
        prefix.extend_from_slice(&[b',', p.sex, b',', p.ethnicity, b',']);
        prefix.extend_from_slice(self.code.as_bytes());
        prefix.extend_from_slice(b",E");
        push_u64(prefix, file.episodes);
        prefix.push(b',');
        push_date(prefix, referral);
        prefix.push(b',');
        push_date(prefix, triage);
        prefix.push(b',');
        push_date(prefix, start);
        prefix.push(b',');
        if let Some(d) = discharge {
            push_date(prefix, d);
            prefix.push(b',');
            push_u64(prefix, u64::from(reason));
        } else {
            prefix.push(b',');
        }
        for d in p.drugs {
            prefix.push(b',');
            if d != 0 {
                push_u64(prefix, u64::from(d));
            }
        }
        prefix.push(b',');
        for m in &self.modalities {
            let buf = &mut file.buf;
            buf.extend_from_slice(prefix);
            file.modalities += 1;
            buf.push(b'M');
            push_u64(buf, file.modalities);
            buf.push(b',');
            buf.extend_from_slice(m.modal.as_bytes());
            buf.push(b',');
            buf.extend_from_slice(m.setting.as_bytes());
            buf.push(b',');
            push_date(buf, m.start);
            buf.push(b',');
            if let Some(e) = m.end {
                push_date(buf, e);
            }
            buf.push(b',');
            buf.extend_from_slice(m.funding.as_bytes());
            buf.push(b',');
            if m.kits > 0 {
                push_u64(buf, m.kits);
            }
            circumstances.write(buf, optional);
            buf.push(b'\n');
        }
        self.rows += self.modalities.len() as u64;
        true
    }
}

/// Age in whole years on a day, from the exact date of birth.
fn exact_age(dob: i32, on: i32) -> i32 {
    let (by, bm, bd) = civil_from_days(dob);
    let (y, m, d) = civil_from_days(on);
    y - by - i32::from((m, d) < (bm, bd))
}

/// A person's substances (up to three, 0 for none) for their group.
fn drugs(rng: &mut Rng, group: usize) -> [u16; 3] {
    let mut out = [0u16; 3];
    let mut n = 0;
    let mut add = |d: u16| {
        if n < 3 && !out.contains(&d) {
            out[n] = d;
            n += 1;
        }
    };
    match group {
        OPIATE => {
            add(rng.pick(OPIATES));
            if rng.chance(0.45) {
                add(3201);
            }
            for (d, p) in [(7000, 0.12), (2200, 0.06), (5000, 0.08), (3200, 0.05)] {
                if rng.chance(p) {
                    add(d);
                }
            }
        }
        NON_OPIATE => {
            add(rng.pick(NON_OPIATES));
            if rng.chance(0.25) {
                add(rng.pick(NON_OPIATES));
            }
        }
        NON_OPIATE_ALCOHOL => {
            if rng.chance(0.5) {
                add(7000);
                add(rng.pick(NON_OPIATES));
            } else {
                add(rng.pick(NON_OPIATES));
                add(7000);
            }
            if rng.chance(0.15) {
                add(rng.pick(NON_OPIATES));
            }
        }
        _ => add(7000),
    }
    out
}

/// Generates every provider's submission for March 2026 and hands each to
/// `sink` (the agency and the whole CSV file: header and rows) as soon as
/// it is complete. The same scale and seed give the same files, byte for
/// byte, in the same order. An error from the sink stops the generation.
/// Areas have synthetic codes, except that `area` (a real code, given on
/// purpose) replaces the council's (or a nation's first area's).
#[allow(clippy::type_complexity)]
pub fn generate(
    scale: Scale,
    seed: u64,
    area: Option<&str>,
    sink: &mut dyn FnMut(&Agency, &[u8]) -> Result<(), String>,
) -> Result<Summary, String> {
    let plan = plan(scale, seed, area);
    let end = REPORTING_MONTH.last_day();
    let end = days_from_civil(i32::from(end.year()), end.month() as u32, end.day() as u32);
    let emit_from = days_from_civil(2012, 3, 1);
    let mut files: Vec<Option<File>> = plan.agencies.iter().map(|_| None).collect();
    let mut summary = Summary {
        areas: plan.areas.len(),
        ..Summary::default()
    };
    for (index, area) in plan.areas.iter().enumerate() {
        for &(agency, _) in &area.providers {
            if files[agency].is_none() {
                let mut buf = Vec::with_capacity(1 << 20);
                buf.extend_from_slice(HEADER);
                for c in optional_columns(agency) {
                    buf.push(b',');
                    buf.extend_from_slice(c.as_bytes());
                }
                buf.push(b'\n');
                files[agency] = Some(File {
                    buf,
                    episodes: 0,
                    modalities: 0,
                });
            }
        }
        let mut state = seed ^ (index as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F);
        let mut generator = AreaGen {
            rng: Rng::new(splitmix64(&mut state)),
            code: &area.code,
            providers: &area.providers,
            files: &mut files,
            agencies: &plan.agencies,
            end,
            emit_from,
            next_person: (index as u64 + 1) * 10_000_000,
            rows: 0,
            people: 0,
            modalities: Vec::with_capacity(4),
            prefix: Vec::with_capacity(128),
        };
        generator.run(area.weight);
        summary.rows += generator.rows;
        summary.people += generator.people;
        for (agency, last) in plan.last_area.iter().enumerate() {
            if *last == index
                && let Some(file) = files[agency].take()
            {
                sink(&plan.agencies[agency], &file.buf)?;
                summary.providers += 1;
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::FinancialYear;
    use crate::records::compute::{ProviderRecords, compute_area};
    use crate::records::{ClientKey, Day, Funding, Intervention, Record, Setting, Sex, codes};
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    fn files(scale: Scale, seed: u64) -> (Vec<(Agency, Vec<u8>)>, Summary) {
        let mut out = Vec::new();
        let summary = generate(scale, seed, None, &mut |a, bytes| {
            out.push((a.clone(), bytes.to_vec()));
            Ok(())
        })
        .unwrap();
        (out, summary)
    }

    fn date(text: &str) -> Day {
        Day::from_date(text.parse().unwrap())
    }

    fn opt_date(text: &str) -> Option<Day> {
        (!text.is_empty()).then(|| date(text))
    }

    /// Reads a generated file by hand (no quoting is ever needed), checks
    /// every validation rule of the format and gives (area, record) pairs;
    /// the client key is the attributor itself, padded.
    fn read(file: &[u8], agency: &str) -> Vec<(String, Record)> {
        let text = std::str::from_utf8(file).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(header[..24].join(",").as_bytes(), HEADER);
        let optional = &header[24..];
        assert!(optional.len() == 4 || optional.len() == 6, "{header:?}");
        let last_day = Day::from_date(REPORTING_MONTH.last_day());
        let mut modality_ids = BTreeSet::new();
        let mut episodes: HashMap<String, String> = HashMap::new();
        let mut out = Vec::new();
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 24 + optional.len(), "{line}");
            // The optional columns hold codes of their lists, or nothing.
            for (column, value) in optional.iter().zip(&f[24..]) {
                let valid = value.is_empty()
                    || match *column {
                        "RFLS" => codes::ReferralSource::parse(value).is_some(),
                        "EMPSTAT" => codes::Employment::parse(value).is_some(),
                        "ACCMNEED" => codes::AccommodationNeed::parse(value).is_some(),
                        "INJSTAT" => codes::InjectingStatus::parse(value).is_some(),
                        "PRNTSTAT" => codes::ParentalStatus::parse(value).is_some(),
                        _ => codes::Disability::parse(value).is_some(),
                    };
                assert!(valid, "{column} {value}: {line}");
            }
            for cell in &f {
                assert!(cell.len() <= 64);
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']));
            }
            assert_eq!(f[0], agency);
            for initial in [f[2], f[3]] {
                assert!(initial.len() == 1 && initial.as_bytes()[0].is_ascii_uppercase());
            }
            let dob: jiff::civil::Date = f[4].parse().unwrap();
            let (referral, triage, start) = (date(f[9]), date(f[10]), date(f[11]));
            let discharge = opt_date(f[12]);
            let reason: Option<u8> = (!f[13].is_empty()).then(|| f[13].parse().unwrap());
            assert_eq!(discharge.is_some(), reason.is_some());
            assert!(dob.year() >= 1902 && dob < referral.date());
            assert!(referral <= triage && referral <= start, "{line}");
            let age = start.date().year()
                - dob.year()
                - i16::from((start.date().month(), start.date().day()) < (dob.month(), dob.day()));
            assert!(age >= 18, "{line}");
            let (mod_start, mod_end) = (date(f[20]), opt_date(f[21]));
            assert!(
                mod_start >= start && discharge.is_none_or(|d| mod_start <= d),
                "{line}"
            );
            assert!(mod_end.is_none_or(|e| e >= mod_start), "{line}");
            if let Some(d) = discharge {
                assert!(d >= start);
                assert!(mod_end.is_some_and(|e| e <= d), "{line}");
            }
            for d in [
                Some(referral),
                Some(triage),
                Some(start),
                discharge,
                Some(mod_start),
                mod_end,
            ]
            .into_iter()
            .flatten()
            {
                assert!(d <= last_day, "{line}");
            }
            assert!(
                modality_ids.insert(f[17].to_string()),
                "duplicate MODID {}",
                f[17]
            );
            let episode_fields = format!("{},{}", f[..17].join(","), f[24..].join(","));
            let previous = episodes
                .entry(f[8].to_string())
                .or_insert_with(|| episode_fields.clone());
            assert_eq!(*previous, episode_fields);
            // A stand-in for the keyed hash: spread like one.
            let mut state = 0u64;
            for byte in format!("{}{}{}{}", f[2], f[3], f[4], f[5]).bytes() {
                state = splitmix64(&mut (state ^ u64::from(byte)));
            }
            let mut key = [0u8; 16];
            key[..8].copy_from_slice(&splitmix64(&mut state).to_be_bytes());
            key[8..].copy_from_slice(&splitmix64(&mut state).to_be_bytes());
            let drug = |s: &str| (!s.is_empty()).then(|| s.parse::<u16>().unwrap());
            assert!(drug(f[14]).is_some_and(|d| crate::records::codes::drug_group(d).is_some()));
            let record = Record {
                client: ClientKey(key),
                birth: YearMonth {
                    year: dob.year(),
                    month: dob.month(),
                },
                sex: Sex::parse(f[5]).unwrap(),
                ethnicity: f[6].as_bytes()[0],
                episode_id: String::new(),
                modality_id: String::new(),
                referral,
                triage,
                start,
                discharge,
                discharge_reason: reason,
                drugs: [drug(f[14]), drug(f[15]), drug(f[16])],
                intervention: Intervention::parse(f[18]).unwrap(),
                setting: Setting::parse(f[19]).unwrap(),
                modality_start: mod_start,
                modality_end: mod_end,
                funding: Funding::parse(f[22]).unwrap(),
                naloxone_kits: if f[23].is_empty() {
                    0
                } else {
                    f[23].parse().unwrap()
                },
                circumstances: Default::default(),
            };
            assert!(crate::records::codes::is_ethnicity(record.ethnicity));
            assert!(crate::records::codes::exit(reason.unwrap_or(80)).is_some());
            out.push((f[7].to_string(), record));
        }
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let (a, sa) = files(Scale::Council, 7);
        let (b, sb) = files(Scale::Council, 7);
        assert_eq!(sa, sb);
        assert!(a == b);
        let (c, _) = files(Scale::Council, 8);
        assert!(a != c);
        assert_eq!(
            agencies(Scale::National, 3, None),
            agencies(Scale::National, 3, None)
        );
    }

    #[test]
    fn areas_are_synthetic_at_every_scale_unless_a_real_code_is_given() {
        for scale in [Scale::Council, Scale::National] {
            let plan = plan(scale, 5, None);
            assert!(plan.areas.iter().all(|a| is_synthetic_area(&a.code)));
            assert!(
                plan.areas
                    .iter()
                    .all(|a| a.code.len() == 9 && a.code[1..].bytes().all(|b| b.is_ascii_digit()))
            );
            assert!(
                plan.agencies
                    .iter()
                    .all(|a| a.area.as_deref().is_some_and(is_synthetic_area))
            );
            let codes: BTreeSet<&str> = plan.areas.iter().map(|a| a.code.as_str()).collect();
            assert_eq!(codes.len(), plan.areas.len(), "codes are distinct");
        }
        let mut rows_areas = BTreeSet::new();
        generate(Scale::Council, 5, Some("E06000016"), &mut |_, bytes| {
            for line in std::str::from_utf8(bytes).unwrap().lines().skip(1) {
                rows_areas.insert(line.split(',').nth(7).unwrap_or_default().to_string());
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(rows_areas, BTreeSet::from(["E06000016".to_string()]));
        assert!(
            agencies(Scale::Council, 5, Some("E06000016"))
                .iter()
                .all(|a| a.area.as_deref() == Some("E06000016"))
        );
    }

    #[test]
    fn a_council_has_two_providers_and_about_3000_people_a_year() {
        let (files, summary) = files(Scale::Council, 42);
        assert_eq!(summary.areas, 1);
        assert_eq!(summary.providers, 2);
        assert_eq!(files.len(), 2);
        let register = agencies(Scale::Council, 42, None);
        assert_eq!(
            files.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
            register
        );
        let mut records = Vec::new();
        for (agency, bytes) in &files {
            let rows = read(bytes, &agency.code);
            assert!(rows.iter().all(|(area, _)| area == SYNTHETIC_COUNCIL_AREA));
            records.push(rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>());
        }
        assert_eq!(
            summary.rows,
            records.iter().map(|r| r.len() as u64).sum::<u64>()
        );
        let input: Vec<ProviderRecords<'_>> = files
            .iter()
            .zip(&records)
            .map(|((a, _), r)| ProviderRecords {
                provider: &a.code,
                records: r,
            })
            .collect();
        let year = FinancialYear::starting(2024).unwrap();
        let sets = compute_area(SYNTHETIC_COUNCIL_AREA, &input, Some(&[year]));
        let people = sets[0]
            .counts
            .iter()
            .find(|c| c.indicator == "people_in_treatment" && c.breakdown.is_empty())
            .unwrap()
            .value;
        assert!((2_600..=3_400).contains(&people), "{people}");
        // People at both providers in one year.
        let both = ["provider=N0001", "provider=N0002"]
            .iter()
            .map(|k| {
                sets[0]
                    .counts
                    .iter()
                    .find(|c| c.indicator == "people_in_treatment" && c.breakdown == *k)
                    .unwrap()
                    .value
            })
            .sum::<u64>()
            - people;
        println!("2024/25: {people} people in treatment, {both} at both providers");
        assert!(both > 0 && both < people / 10, "{both}");
    }

    /// National scale: calibration table and speed. Release mode only:
    /// `cargo test --release -p lantern-core generate -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn national_scale_calibration_and_speed() {
        let started = std::time::Instant::now();
        let mut bytes = 0usize;
        let summary = generate(Scale::National, 1, None, &mut |_, b| {
            bytes += b.len();
            Ok(())
        })
        .unwrap();
        let generation = started.elapsed();
        println!(
            "generated {summary:?}, {} MB in {generation:?}",
            bytes / 1_000_000
        );

        let (files, _) = files(Scale::National, 1);
        // Some agency serves two areas.
        assert!(files.iter().any(|(_, file)| {
            let areas: BTreeSet<&str> = std::str::from_utf8(file)
                .unwrap()
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').nth(7))
                .collect();
            areas.len() > 1
        }));
        let mut by_area: BTreeMap<String, Vec<(String, Vec<Record>)>> = BTreeMap::new();
        let mut kit_clients: BTreeSet<(i16, String, ClientKey)> = BTreeSet::new();
        for (agency, file) in &files {
            let mut areas: BTreeMap<String, Vec<Record>> = BTreeMap::new();
            for (area, r) in read(file, &agency.code) {
                let opiate = r.drugs.iter().flatten().any(|d| {
                    crate::records::codes::drug_group(*d)
                        == Some(crate::records::codes::DrugGroup::Opiate)
                });
                if r.naloxone_kits > 0 && opiate {
                    let year = FinancialYear::containing(r.modality_start.date()).start_year();
                    kit_clients.insert((year, area.clone(), r.client));
                }
                areas.entry(area).or_default().push(r);
            }
            for (area, records) in areas {
                by_area
                    .entry(area)
                    .or_default()
                    .push((agency.code.clone(), records));
            }
        }
        drop(files);
        // Best of three (the first also warms the allocator).
        let mut sets = Vec::new();
        let mut rows = 0;
        let mut computation = std::time::Duration::MAX;
        for _ in 0..3 {
            sets.clear();
            rows = 0;
            let started = std::time::Instant::now();
            for (area, providers) in &by_area {
                let input: Vec<ProviderRecords<'_>> = providers
                    .iter()
                    .map(|(code, records)| ProviderRecords {
                        provider: code,
                        records,
                    })
                    .collect();
                rows += providers.iter().map(|(_, r)| r.len()).sum::<usize>();
                sets.extend(compute_area(area, &input, None));
            }
            computation = computation.min(started.elapsed());
        }
        println!(
            "computed {} sets for {} areas from {rows} rows in {computation:?} ({:.1} M rows/s)",
            sets.len(),
            by_area.len(),
            rows as f64 / computation.as_secs_f64() / 1e6
        );
        let mut total: BTreeMap<(i16, String, String), u64> = BTreeMap::new();
        for set in &sets {
            for c in &set.counts {
                if !c.breakdown.starts_with("provider=") {
                    *total
                        .entry((
                            set.year.start_year(),
                            c.indicator.clone(),
                            c.breakdown.clone(),
                        ))
                        .or_default() += c.value;
                }
            }
        }
        let get = |y: i16, i: &str, b: &str| {
            total
                .get(&(y, i.to_string(), b.to_string()))
                .copied()
                .unwrap_or(0)
        };
        println!(
            "FY       people    new  opiate  nonop  nonop+alc alcohol crack|op male%  exits  succ%  deaths  inp  res  kits  op40+% kit%"
        );
        for y in 2011..=2025 {
            let people = get(y, "people_in_treatment", "");
            let opiate = get(y, "people_in_treatment", "substance_group=opiate");
            let over40: u64 = ["40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70+"]
                .iter()
                .map(|a| {
                    get(
                        y,
                        "people_in_treatment",
                        &format!("age_band={a};substance_group=opiate"),
                    )
                })
                .sum();
            let exits = get(y, "treatment_exits", "");
            println!(
                "{y}  {people:>8} {:>6} {opiate:>7} {:>6} {:>10} {:>7} {:>8} {:>5.1} {exits:>6} {:>5.1} {:>7} {:>4} {:>4} {:>5} {:>6.1} {:>4.1}",
                get(y, "new_presentations", ""),
                get(y, "people_in_treatment", "substance_group=non_opiate_only"),
                get(
                    y,
                    "people_in_treatment",
                    "substance_group=non_opiate_and_alcohol"
                ),
                get(y, "people_in_treatment", "substance_group=alcohol_only"),
                get(
                    y,
                    "people_in_treatment",
                    "crack=crack;substance_group=opiate"
                ),
                100.0 * get(y, "people_in_treatment", "sex=male") as f64 / people as f64,
                100.0 * get(y, "successful_completions", "") as f64 / exits as f64,
                get(y, "deaths_in_treatment", ""),
                get(y, "inpatient_detox_placements", ""),
                get(y, "residential_rehab_placements", ""),
                get(y, "naloxone_kits_issued", ""),
                100.0 * over40 as f64 / opiate as f64,
                100.0 * kit_clients.iter().filter(|(year, _, _)| *year == y).count() as f64
                    / opiate as f64,
            );
        }
        let people = get(2024, "people_in_treatment", "");
        assert!((280_000..=380_000).contains(&people), "{people}");
        assert!((4_000_000..=6_500_000).contains(&summary.rows));
        assert!((140..=160).contains(&summary.areas));
    }
}
