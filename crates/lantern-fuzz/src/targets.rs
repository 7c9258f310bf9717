//! The parsers under test, their seed files, and how one input is made
//! (deterministically, from the seed and its index) and run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lantern_core::records::submission::{self, BadRowLimit, Context};
use lantern_core::records::{PseudonymKey, YearMonth, chunk};

use crate::mutate::{self, Rng, Workbook};

/// Every parser the harness drives, by name.
pub const TARGETS: &[&str] = &[
    "figures",
    "statements",
    "releases",
    "agencies",
    "episodes-csv",
    "episodes-xlsx",
    "request",
    "email",
    "dump",
    "chunk",
    "bank-holidays",
    "config",
];

/// Inputs are cut to this length (a bigger input is no more hostile,
/// only slower).
const MAX_INPUT: usize = 256 << 10;

/// The repository's root (seeds are read from it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A target with its seeds, ready to make and run inputs.
pub struct Target {
    /// The target's name (one of [`TARGETS`]).
    pub name: &'static str,
    seeds: Vec<Vec<u8>>,
    workbooks: Vec<Workbook>,
    fixture: Fixture,
}

/// What the parsers need besides the input.
struct Fixture {
    catalogue: lantern_core::catalogue::Catalogue,
    key: PseudonymKey,
    agencies: BTreeSet<String>,
}

impl Target {
    /// The target named `name`, with its seeds loaded.
    pub fn load(name: &str) -> Result<Target, String> {
        let name = *TARGETS
            .iter()
            .find(|t| **t == name)
            .ok_or_else(|| format!("no target {name:?}; the targets are {}", TARGETS.join(", ")))?;
        let fixture = Fixture {
            catalogue: lantern_core::catalogue::shipped(),
            key: PseudonymKey::new(b"a fuzzing secret, long enough").ok_or("key")?,
            agencies: ["N0001", "N0002", "A1"].map(String::from).into(),
        };
        let mut seeds = seed_files(name)?;
        let mut workbooks = Vec::new();
        match name {
            "episodes-xlsx" => {
                let csvs = seed_files("episodes-csv")?;
                for csv in &csvs {
                    let bytes = xlsx_of_csv(csv);
                    workbooks.extend(Workbook::unzip(&bytes));
                    seeds.push(bytes);
                }
            }
            "chunk" => {
                for csv in seed_files("episodes-csv")? {
                    let outcome = submission::read(&csv, &fixture.context());
                    for records in outcome.areas.values() {
                        seeds.push(chunk::encode(records));
                    }
                }
            }
            _ => {}
        }
        if seeds.is_empty() {
            return Err(format!("no seeds for {name}"));
        }
        Ok(Target {
            name,
            seeds,
            workbooks,
            fixture,
        })
    }

    /// Input `index` of the run with `seed`: a seed file with a few
    /// mutations (the same every time).
    pub fn input(&self, seed: u64, index: u64) -> Vec<u8> {
        let mut rng = Rng::new(
            seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ (self.name.len() as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)
                ^ u64::from(self.name.as_bytes()[0]) << 48,
        );
        // Warm up: nearby indexes must not share their first choices.
        rng.next();
        let mutations = 1 + {
            let big = rng.one_in(4);
            rng.below(if big { 16 } else { 4 })
        };
        if !self.workbooks.is_empty() && !rng.one_in(4) {
            let mut book = rng.pick(&self.workbooks).clone();
            mutate::mutate_workbook(&mut book, &mut rng, mutations);
            return book.zip();
        }
        let mut data = rng.pick(&self.seeds).clone();
        if index == 0 {
            return data; // the seed itself must pass through cleanly
        }
        mutate::mutate(&mut data, &mut rng, mutations, MAX_INPUT);
        data
    }

    /// Run the parser on one input. Any outcome (accepted, refused) is fine;
    /// what counts is a panic, an abort, a timeout or too much memory.
    pub fn run(&self, input: &[u8]) {
        let f = &self.fixture;
        let quiet = |_: u64| {};
        let who = lantern_app::import::Importer {
            actor: "fuzz".into(),
            at: "2026-04-15T00:00:00Z".into(),
        };
        match self.name {
            "figures" => drop(lantern_app::import::figures(
                "f.csv",
                input,
                &f.catalogue,
                &who,
                &quiet,
            )),
            "statements" => drop(lantern_app::import::statements(
                "s.csv", input, &who, &quiet,
            )),
            "releases" => drop(lantern_app::import::releases(
                "r.csv",
                input,
                &f.catalogue,
                &quiet,
            )),
            "agencies" => drop(lantern_app::import::agencies("a.csv", input, &quiet)),
            "episodes-csv" => drop(submission::read(input, &f.context())),
            "episodes-xlsx" => drop(lantern_app::xlsx::read(input, &f.context())),
            "request" => {
                let text = String::from_utf8_lossy(input);
                drop(lantern_core::request::parse_request(
                    "r.toml",
                    &text,
                    &f.catalogue,
                ));
                drop(lantern_core::request::parse_working(
                    "r.toml",
                    &text,
                    &f.catalogue,
                ));
            }
            "email" => {
                if let Ok(email) = lantern_core::understand::parse_email(input) {
                    drop(lantern_core::understand::split_questions(&email.body));
                }
            }
            "dump" => {
                if let Ok(tables) = lantern_store::dump::read(&mut &input[..]) {
                    drop(tables);
                }
            }
            "chunk" => {
                drop(chunk::decode(input));
                drop(chunk::decode_for_compute(input));
            }
            "bank-holidays" => {
                let text = String::from_utf8_lossy(input);
                drop(lantern_core::deadline::Calendar::from_govuk_json(&text));
            }
            "config" => {
                let text = String::from_utf8_lossy(input);
                drop(lantern_app::config::Config::parse(
                    Path::new("lantern.toml"),
                    &text,
                ));
            }
            _ => {}
        }
    }
}

impl Fixture {
    fn context(&self) -> Context<'_> {
        Context {
            key: &self.key,
            agencies: &self.agencies,
            provider: None,
            month: YearMonth {
                year: 2026,
                month: 3,
            },
            today: jiff::civil::date(2026, 4, 15),
            limit: BadRowLimit::default(),
        }
    }
}

/// The seed files of a target: the repository's examples, shipped data and
/// the hand seeds in `fuzz/seeds/`.
fn seed_files(name: &str) -> Result<Vec<Vec<u8>>, String> {
    let root = root();
    let example = root.join("examples/leicester");
    let hand = root.join("fuzz/seeds");
    let mut paths: Vec<PathBuf> = match name {
        "figures" => vec![example.join("figures.csv")],
        "statements" => vec![example.join("statements.csv")],
        "releases" => vec![example.join("releases.csv")],
        "agencies" => files_in(&hand.join("agencies")),
        "episodes-csv" => files_in(&hand.join("episodes")),
        "request" => files_in(&example.join("requests")),
        "email" => {
            let mut p = files_in(&hand.join("email"));
            p.extend(files_in(
                &root.join("crates/lantern-core/tests-data/requests"),
            ));
            p
        }
        "dump" => files_in(&hand.join("dump")),
        "bank-holidays" => {
            let mut p = files_in(&hand.join("bank-holidays"));
            p.push(root.join("crates/lantern-core/data/bank-holidays.json"));
            p
        }
        "config" => {
            let mut p = files_in(&hand.join("config"));
            p.push(example.join("lantern.toml"));
            p
        }
        _ => Vec::new(),
    };
    // Hand seeds for any target: fuzz/seeds/<target>/.
    if !matches!(
        name,
        "agencies" | "episodes-csv" | "email" | "dump" | "bank-holidays" | "config"
    ) {
        paths.extend(files_in(&hand.join(name)));
    }
    paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("seed {}: {e}", p.display())))
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A submission's CSV as a one-sheet workbook: shared strings for text,
/// numbers as numbers, a styles part, so that mutations reach every part
/// calamine reads.
pub fn xlsx_of_csv(csv: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(csv);
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut strings: Vec<String> = Vec::new();
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:X30"/><sheetData>"#,
    );
    for (r, line) in text.lines().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, value) in line.split(',').enumerate() {
            if value.is_empty() {
                continue;
            }
            let at = format!("{}{}", column(c), r + 1);
            if r > 0 && value.len() < 9 && value.bytes().all(|b| b.is_ascii_digit()) {
                sheet.push_str(&format!(r#"<c r="{at}"><v>{value}</v></c>"#));
            } else {
                strings.push(escape(value));
                sheet.push_str(&format!(
                    r#"<c r="{at}" t="s"><v>{}</v></c>"#,
                    strings.len() - 1
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rels = "http://schemas.openxmlformats.org/package/2006/relationships";
    let doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{0}" uniqueCount="{0}">"#,
        strings.len()
    );
    for s in &strings {
        sst.push_str(&format!("<si><t>{s}</t></si>"));
    }
    sst.push_str("</sst>");
    let parts = vec![
        ("[Content_Types].xml".to_string(), br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_vec()),
        ("_rels/.rels".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes()),
        ("xl/workbook.xml".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{doc}"><workbookPr date1904="false"/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets><definedNames><definedName name="x">Sheet1!$A$1</definedName></definedNames></workbook>"#).into_bytes()),
        ("xl/_rels/workbook.xml.rels".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{doc}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{doc}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="{doc}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#).into_bytes()),
        ("xl/styles.xml".to_string(), format!(r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#).into_bytes()),
        ("xl/sharedStrings.xml".to_string(), sst.into_bytes()),
        ("xl/worksheets/sheet1.xml".to_string(), sheet.into_bytes()),
    ];
    Workbook { parts }.zip()
}

fn column(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        s.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}
