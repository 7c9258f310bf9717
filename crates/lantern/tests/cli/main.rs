//! End-to-end tests of the real `lantern` binary against a real database.
//! One test binary; each test gets its own [`TestApp`] (a fresh directory
//! and database). The database is an SQLite file in that directory, or, with
//! `LANTERN_TEST_BACKEND=postgres`, a PostgreSQL database made for the test
//! (see `lantern_store::testing`).

mod analysts;
mod answer_states;
mod api;
mod bad_input;
mod case_letters;
mod casework;
mod computed;
mod councils;
mod disclosure;
mod escaping;
mod findings;
mod hostile;
mod kill;
mod layers;
mod letters;
mod make_request;
mod privacy;
mod providers;
mod public_log;
mod published;
mod published_figures;
mod records;
mod release_states;
mod reports;
mod seeds;
mod serve;
mod store;
mod web;
mod web_actions;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lantern_store::testing::{TestDb, cli_backend_is_postgres, postgres_server};
use serde_json::Value;

/// A fresh working directory with its own database, and the binary.
pub struct TestApp {
    dir: tempfile::TempDir,
    /// The PostgreSQL database, when the tests run on PostgreSQL.
    postgres: Option<TestDb>,
}

/// What a run of the binary did.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
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

    /// Assert a clean failure (exit 1, a message, no panic) and return stderr.
    #[track_caller]
    pub fn fails(self) -> String {
        assert_eq!(
            self.code, 1,
            "expected exit 1\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "panicked: {}",
            self.stderr
        );
        assert!(
            self.stderr.starts_with("error: "),
            "stderr: {}",
            self.stderr
        );
        self.stderr
    }
}

/// The repository's `examples/leicester` folder.
pub fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/leicester")
        .join(path)
}

impl TestApp {
    /// An empty directory, no database yet.
    pub fn empty() -> TestApp {
        let postgres = cli_backend_is_postgres().then(|| {
            let server = postgres_server()
                .expect("LANTERN_TEST_BACKEND=postgres needs LANTERN_TEST_POSTGRES");
            TestDb::postgres(&server)
        });
        TestApp {
            dir: tempfile::tempdir().expect("temporary directory"),
            postgres,
        }
    }

    /// How messages name this test's database.
    pub fn database_name(&self) -> String {
        match &self.postgres {
            Some(db) => db.location(),
            None => "lantern.db".into(),
        }
    }

    /// A directory where `lantern demo` has loaded the Leicester example.
    pub fn leicester() -> TestApp {
        let app = TestApp::empty();
        app.run(&["demo"]).ok();
        app
    }

    /// The working directory.
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
        // Two-person sign-off: whoever drafted an answer cannot approve it,
        // so the tests' approvals are a second person's (`approver`); a
        // test of the refusal sets LANTERN_ACTOR itself.
        let approving = args.windows(2).any(|w| w == ["request", "approve"]);
        let mut command = Command::new(env!("CARGO_BIN_EXE_lantern"));
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

    /// Answer an example request with the Leicester configuration.
    pub fn answer(&self, request: &str, format: &str) -> Run {
        let config = example("lantern.toml");
        let request = example(&format!("requests/{request}.toml"));
        self.run(&[
            "--config",
            config.to_str().expect("utf-8 path"),
            "answer",
            request.to_str().expect("utf-8 path"),
            "--format",
            format,
        ])
    }

    /// The JSON decisions for an example request.
    pub fn decisions(&self, request: &str) -> Value {
        let out = self.answer(request, "json").ok();
        serde_json::from_str(&out).expect("answer --format json prints JSON")
    }

    /// The current data version.
    pub fn data_version(&self) -> i64 {
        let out = self.run(&["imports", "--json"]).ok();
        let imports: Value = serde_json::from_str(&out).expect("imports --json");
        imports
            .as_array()
            .expect("array")
            .iter()
            .filter(|i| i["added"].as_i64().unwrap_or(0) + i["replaced"].as_i64().unwrap_or(0) > 0)
            .map(|i| i["id"].as_i64().unwrap_or(0))
            .max()
            .unwrap_or(0)
    }
}

/// Find question `number` (and part `part`) in an answer's JSON.
pub fn question<'a>(answer: &'a Value, number: &str, part: Option<&str>) -> &'a Value {
    let q = answer["questions"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["number"] == number))
        .unwrap_or_else(|| panic!("no question {number}"));
    match part {
        None => q,
        Some(p) => q["parts"]
            .as_array()
            .and_then(|ps| ps.iter().find(|x| x["number"] == p))
            .unwrap_or_else(|| panic!("no part {number}{p}")),
    }
}

/// The rows of a question for one period label, in order.
pub fn rows<'a>(q: &'a Value, period_label: &str) -> Vec<&'a Value> {
    q["rows"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| r["period_label"] == period_label)
                .collect()
        })
        .unwrap_or_default()
}

/// The single row of a question for a period.
#[track_caller]
pub fn row<'a>(q: &'a Value, period_label: &str) -> &'a Value {
    let found = rows(q, period_label);
    assert_eq!(found.len(), 1, "rows for {period_label}: {found:#?}");
    found[0]
}

/// The notice of a basis in a question.
pub fn notice<'a>(q: &'a Value, basis: &str) -> Option<&'a Value> {
    q["notices"]
        .as_array()
        .and_then(|ns| ns.iter().find(|n| n["basis"] == basis))
}
