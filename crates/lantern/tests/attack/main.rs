//! An independent attacker against Lantern's disclosure control.
//!
//! Each test replays requests through the real casework flow of the built
//! binary (`request new`, `draft`, `approve`, `send`) on its own database
//! (an SQLite file, or PostgreSQL with `LANTERN_TEST_BACKEND=postgres`),
//! reads the whole disclosure log (`lantern log --json`) and asks the
//! attacker (`attacker.rs`, a linear-programming model written apart from
//! `lantern_core::disclosure`) for the smallest and largest value of every
//! suppressed cell. A cell pinned to one value is recovered.
//!
//! What a run must show is set by [`expectation`]: with `Safe` nothing may
//! be recovered and the answers must stay useful (no disclosure budget run
//! out, secondary suppressions within the sequence's bound); `Recover`
//! checks that the fixed sequences beat a weak defence. See
//! `docs/disclosure-control-attacker.md`.

mod attacker;
mod fixed;
mod random;
mod solver;

use std::path::PathBuf;
use std::process::{Command, Output};

use lantern_store::testing::{TestDb, cli_backend_is_postgres, postgres_server};
use serde_json::Value;

use attacker::{Attack, Catalogue, Knowledge};

/// The pseudonymisation key the generated records are imported with.
const KEY: &str = "a test secret that is long enough";

/// What the attack tests assert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Nothing recovered, no budget run out, secondary within bounds.
    Safe,
    /// Something recovered in each fixed sequence (shows the attacker can
    /// fail a weak defence: use on a Lantern without the issue-10 defence).
    Recover,
    /// Print the counts, assert nothing.
    Report,
}

/// The default when `LANTERN_ATTACK_EXPECT` is not set.
///
/// `Safe`: nothing may be recovered. `recover` is for checking the attacker
/// against an older defence (which the fixed sequences beat), with
/// `LANTERN_ATTACK_BIN` pointing at that build.
const DEFAULT_EXPECT: Expect = Expect::Safe;

/// `LANTERN_ATTACK_EXPECT=safe|recover|report`, else [`DEFAULT_EXPECT`].
pub fn expectation() -> Expect {
    match std::env::var("LANTERN_ATTACK_EXPECT").as_deref() {
        Ok("safe") => Expect::Safe,
        Ok("recover") => Expect::Recover,
        Ok("report") => Expect::Report,
        Ok(other) => panic!("LANTERN_ATTACK_EXPECT={other}: use safe, recover or report"),
        Err(_) => DEFAULT_EXPECT,
    }
}

/// A fresh working directory with its own database, and the binary.
pub struct TestApp {
    dir: tempfile::TempDir,
    postgres: Option<TestDb>,
}

/// What a run of the binary did.
pub struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Assert success and return stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.stdout
    }
}

impl TestApp {
    /// A new database with the Leicester council details in ./lantern.toml.
    pub fn initialised() -> TestApp {
        let postgres = cli_backend_is_postgres().then(|| {
            let server = postgres_server()
                .expect("LANTERN_TEST_BACKEND=postgres needs LANTERN_TEST_POSTGRES");
            TestDb::postgres(&server)
        });
        let app = TestApp {
            dir: tempfile::tempdir().expect("temporary directory"),
            postgres,
        };
        let config = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/leicester/lantern.toml"
        ))
        .expect("example config");
        app.write("lantern.toml", &config);
        app.run(&["init"]).ok();
        app
    }

    /// A council whose providers' records are generated (`--seed`) and
    /// imported, so every indicator computed from records is held.
    pub fn generated(seed: u64) -> TestApp {
        let app = TestApp::initialised();
        let seed = seed.to_string();
        app.run(&[
            "generate",
            "--scale",
            "council",
            "--seed",
            &seed,
            "--out",
            "gen",
            "--area",
            "E06000016",
        ])
        .ok();
        app.run(&["import", "agencies", "gen/agencies.csv"]).ok();
        let mut files: Vec<String> = std::fs::read_dir(app.path("gen/submissions"))
            .expect("generated submissions")
            .map(|e| e.expect("entry").path().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut args = vec!["import", "episodes"];
        args.extend(files.iter().map(String::as_str));
        let mut command = app.command(&args);
        command.env("LANTERN_PSEUDONYM_KEY", KEY);
        Run::from(command.output().expect("run lantern")).ok();
        app
    }

    /// A council holding exactly the figures of a CSV (`docs/formats/figures.md`).
    pub fn with_figures(csv: &str) -> TestApp {
        let app = TestApp::initialised();
        app.write("figures.csv", csv);
        app.run(&["import", "figures", "figures.csv"]).ok();
        app
    }

    /// A path in the working directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write a file into the working directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write test file");
        path
    }

    /// Run `lantern ARGS` in the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run lantern"))
    }

    /// The command `lantern ARGS`, set up for this test's directory and database.
    pub fn command(&self, args: &[&str]) -> Command {
        // LANTERN_ATTACK_BIN runs the attack against another build.
        let binary = std::env::var_os("LANTERN_ATTACK_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_lantern").into());
        // Two-person sign-off: whoever drafted an answer cannot approve it,
        // so the tests' approvals are a second person's (`approver`); a
        // test of the refusal sets LANTERN_ACTOR itself.
        let approving = args.windows(2).any(|w| w == ["request", "approve"]);
        let mut command = Command::new(binary);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("LANTERN_DATABASE")
            .env_remove("LANTERN_CONFIG")
            .env(
                "LANTERN_ACTOR",
                if approving { "approver" } else { "tester" },
            );
        if let Some(db) = &self.postgres {
            command.env("LANTERN_DATABASE", db.location());
        }
        command
    }

    /// Open a case for a structured request (its questions in TOML), draft,
    /// approve and send it; the letter's JSON as sent.
    pub fn ask(&self, reference: &str, questions: &str) -> Value {
        let file = format!("{reference}.toml");
        self.write(
            &file,
            &format!(
                "reference = \"{reference}\"\nreceived = 2026-06-01\narea = \"E06000016\"\n\n{questions}"
            ),
        );
        self.run(&["request", "new", &file]).ok();
        self.run(&["request", "draft", reference]).ok();
        // What the council's data cannot give is never assumed not held:
        // the officer records it (for this case), then drafts again.
        let draft: Value = serde_json::from_str(
            &self
                .run(&["request", "letter", reference, "--format", "json"])
                .ok(),
        )
        .expect("request letter --format json");
        let findings: Vec<String> = draft["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["number"].as_u64().map(|n| n.to_string()))
            .collect();
        for n in &findings {
            self.run(&[
                "request",
                "resolve",
                reference,
                "--finding",
                n,
                "--not-held",
                "--reason",
                "Not in the records the council holds.",
            ])
            .ok();
        }
        if !findings.is_empty() {
            self.run(&["request", "draft", reference]).ok();
        }
        self.run(&[
            "request",
            "approve",
            reference,
            "--note",
            "checked by the attack test",
        ])
        .ok();
        self.run(&["request", "send", reference, "--on", "2026-06-10"])
            .ok();
        let letter = self
            .run(&["request", "letter", reference, "--format", "json"])
            .ok();
        serde_json::from_str(&letter).expect("request letter --format json")
    }

    /// Keep the working directory (its database, requests and config)
    /// after the test, and say where it is: for replaying one draft under
    /// a profiler (`LANTERN_ATTACK_STOP_BEFORE`).
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }

    /// The disclosure log.
    pub fn log(&self) -> Vec<attacker::LogRow> {
        attacker::parse_log(&self.run(&["log", "--json"]).ok())
    }
}

/// The members of open dimensions the attacker is assumed to know: the
/// providers of a generated council.
pub fn generated_providers() -> Knowledge {
    let mut knowledge = Knowledge::default();
    knowledge.members.insert(
        "provider".into(),
        ["N0001", "N0002"].into_iter().map(String::from).collect(),
    );
    knowledge
}

/// One question asking for a cut, as structured request TOML.
pub fn question(
    number: usize,
    indicator: &str,
    period: &str,
    filter: &[(&str, &str)],
    breakdown: &[&str],
) -> String {
    let mut q = format!(
        "[[question]]\nnumber = \"{number}\"\ntext = \"{indicator} in {period}\"\nindicator = \"{indicator}\"\nperiods = [\"{period}\"]\n"
    );
    if !filter.is_empty() {
        let parts: Vec<String> = filter
            .iter()
            .map(|(d, v)| format!("\"{d}\" = \"{v}\""))
            .collect();
        q.push_str(&format!("filter = {{ {} }}\n", parts.join(", ")));
    }
    if !breakdown.is_empty() {
        let parts: Vec<String> = breakdown.iter().map(|d| format!("\"{d}\"")).collect();
        q.push_str(&format!("breakdown = [{}]\n", parts.join(", ")));
    }
    q.push('\n');
    q
}

/// What the letters of a sequence said about their own disclosure control.
#[derive(Default, Debug)]
pub struct Letters {
    /// References whose letter reports `"disclosure": {"budget_exhausted": true}`.
    pub budget_exhausted: Vec<String>,
    /// References whose letter carries no `"disclosure"` summary at all (so
    /// the budget cannot be checked).
    pub without_summary: Vec<String>,
}

impl Letters {
    /// Note one sent letter.
    pub fn note(&mut self, reference: &str, letter: &Value) {
        match letter["disclosure"]["budget_exhausted"].as_bool() {
            Some(true) => self.budget_exhausted.push(reference.to_string()),
            Some(false) => {}
            None => self.without_summary.push(reference.to_string()),
        }
    }
}

/// The figures held for an indicator, as (area, period, sorted breakdown
/// key) → value: to tell a real recovery from a wrong model.
fn held(
    app: &TestApp,
    indicator: &str,
) -> std::collections::BTreeMap<(String, String, String), i64> {
    let out = app.run(&["figures", indicator, "--json"]).ok();
    let json: Value = serde_json::from_str(&out).expect("figures --json");
    let mut held = std::collections::BTreeMap::new();
    for f in json["figures"].as_array().into_iter().flatten() {
        let Some(value) = f["value"]
            .as_str()
            .and_then(|v| v.replace(',', "").parse().ok())
        else {
            continue;
        };
        let mut parts: Vec<String> = f["breakdown"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(d, v)| format!("{d}={}", v.as_str().unwrap_or_default()))
            .collect();
        parts.sort();
        let key = (
            f["area"].as_str().unwrap_or_default().to_string(),
            f["period"].as_str().unwrap_or_default().to_string(),
            parts.join(";"),
        );
        held.insert(key, value);
    }
    held
}

/// A log row's breakdown key with its parts sorted.
fn sorted_key(key: &str) -> String {
    let mut parts: Vec<&str> = key.split(';').filter(|p| !p.is_empty()).collect();
    parts.sort();
    parts.join(";")
}

/// Attack the whole log of `app` and check it against [`expectation`].
///
/// `secondary_bound`: the most cells the sequence may withhold beyond the
/// small counts themselves (utility; `None` for no bound). `weak_loses`: a
/// sequence the old defence is known to lose (checked by `Expect::Recover`).
pub fn check(
    name: &str,
    app: &TestApp,
    knowledge: &Knowledge,
    letters: &Letters,
    secondary_bound: Option<usize>,
    weak_loses: bool,
) -> Attack {
    let started = std::time::Instant::now();
    let mut result = attacker::attack(&Catalogue::shipped(), knowledge, &app.log());
    // A cell pinned to a value other than the one held means the attacker's
    // model does not fit these figures (e.g. people counted by two
    // providers): noted, not counted as a recovery.
    let mut figures = std::collections::BTreeMap::new();
    for f in result.findings.iter_mut().filter(|f| f.recovered) {
        let held = figures
            .entry(f.row.indicator.clone())
            .or_insert_with(|| held(app, &f.row.indicator));
        let key = (
            f.row.area.clone(),
            f.period.clone(),
            sorted_key(&f.row.breakdown),
        );
        f.held = held.get(&key).copied();
        if f.held.is_some_and(|h| Some(h) != f.interval.1) {
            f.recovered = false;
            result.notes.push(format!(
                "the model pins {} {} [{}] at {}, but {} is held: the model does not fit",
                f.row.indicator,
                f.period,
                f.row.breakdown,
                f.interval.0,
                f.held.unwrap_or_default()
            ));
        }
    }
    let recovered = result.recovered();
    println!(
        "attack {name}: {} [{} ms]",
        result.counts(),
        started.elapsed().as_millis()
    );
    for f in &result.findings {
        println!("  {f}");
    }
    for n in &result.notes {
        println!("  note: {n}");
    }
    match expectation() {
        Expect::Safe => {
            assert!(
                recovered.is_empty(),
                "{name}: the attacker recovered suppressed cells:\n{}",
                result.explain()
            );
            assert!(
                letters.without_summary.is_empty(),
                "{name}: letters without a \"disclosure\": {{\"budget_exhausted\": …}} summary, \
                 so the budget cannot be checked: {:?}",
                letters.without_summary
            );
            assert!(
                letters.budget_exhausted.is_empty(),
                "{name}: the disclosure budget ran out in {:?}",
                letters.budget_exhausted
            );
            if let Some(bound) = secondary_bound {
                assert!(
                    result.secondary <= bound,
                    "{name}: {} cells withheld beyond the small counts (bound {bound}): {}",
                    result.secondary,
                    result.counts()
                );
            }
        }
        Expect::Recover => assert!(
            !weak_loses || !recovered.is_empty(),
            "{name}: expected the attacker to recover cells from a weak defence: {}",
            result.explain()
        ),
        Expect::Report => {}
    }
    result
}
