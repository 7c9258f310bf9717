//! Figures follow their submissions: `lantern import episodes` is killed
//! at every step of storing and recomputing (the `LANTERN_FAILPOINT` test
//! hook) and at random moments (`SIGKILL` after a delay), and every time,
//! after at most the next command (the same import run again), the figures
//! equal those of an uninterrupted run. Meanwhile a reader says the figures
//! are being brought up to date, with its own exit status (3).
//!
//! Runs on SQLite, and on PostgreSQL with `LANTERN_TEST_BACKEND=postgres`.

use std::io::{BufRead as _, Read as _, Write as _};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::TestApp;

const KEY: &str = "a test secret that is long enough";

/// The files every run imports, in this order: two providers for March, and
/// the first provider again for April (which takes over from its March).
/// Cut from a generated council so that an import takes a little while.
fn files() -> &'static [(String, String)] {
    static FILES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let app = TestApp::empty();
        app.run(&[
            "generate",
            "--scale",
            "council",
            "--seed",
            "11",
            "--out",
            "gen",
            "--area",
            "E06000016",
        ])
        .ok();
        let read = |name: &str| {
            std::fs::read_to_string(app.path(&format!("gen/submissions/{name}")))
                .expect("generated file")
        };
        let first = |text: &str, rows: usize| -> String {
            let mut out: String = text.lines().take(rows + 1).collect::<Vec<_>>().join("\n");
            out.push('\n');
            out
        };
        let (a, b) = (read("N0001-2026-03.csv"), read("N0002-2026-03.csv"));
        vec![
            ("N0001-2026-03.csv".into(), first(&a, 2000)),
            ("N0002-2026-03.csv".into(), first(&b, 1500)),
            ("N0001-2026-04.csv".into(), first(&a, 2600)),
        ]
    })
}

/// A fresh database with the provider register and the files written.
fn fresh() -> TestApp {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    app.write(
        "agencies.csv",
        "code,name,area\nN0001,First,E06000016\nN0002,Second,E06000016\n",
    );
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    for (name, text) in files() {
        app.write(name, text);
    }
    app
}

fn import(app: &TestApp) -> std::process::Command {
    let mut args = vec!["import", "episodes"];
    args.extend(files().iter().map(|(name, _)| name.as_str()));
    let mut cmd = app.command(&args);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    cmd
}

/// The figures computed from records, as `lantern figures --json` prints
/// them, without provenance (which import wrote a set differs from run to
/// run, not what it holds). Also returns the exit status.
fn figures(app: &TestApp) -> (Vec<Value>, i32) {
    let mut all = Vec::new();
    let mut code = 0;
    for indicator in ["people_in_treatment", "successful_completions"] {
        let run = app.run(&["figures", indicator, "--json"]);
        assert!(
            run.code == 0 || run.code == 3,
            "figures failed: {}",
            run.stderr
        );
        code = code.max(run.code);
        let v: Value = serde_json::from_str(&run.stdout).expect("figures --json");
        for mut f in v["figures"].as_array().cloned().unwrap_or_default() {
            if f["source"] == "local_records" {
                if let Some(o) = f.as_object_mut() {
                    o.remove("provenance");
                }
                all.push(f);
            }
        }
    }
    (all, code)
}

/// The figures of an uninterrupted import, and how long it took.
fn baseline() -> &'static (Vec<Value>, Duration) {
    static BASELINE: OnceLock<(Vec<Value>, Duration)> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let app = fresh();
        let started = Instant::now();
        let out = import(&app).output().expect("run lantern");
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (figures, code) = figures(&app);
        assert_eq!(code, 0, "nothing is owed after an uninterrupted import");
        assert!(figures.len() > 100, "figures were computed");
        (figures, took)
    })
}

/// After an interrupted import: a reader tells the truth about the figures,
/// and running the same import again brings them to an uninterrupted run's.
#[track_caller]
fn check_after_kill(app: &TestApp, what: &str) {
    let list = app.run(&["submissions", "--json"]);
    if list.code == 3 {
        assert!(
            list.stderr.contains("being brought up to date"),
            "{what}: {}",
            list.stderr
        );
    } else {
        assert_eq!(list.code, 0, "{what}: {}", list.stderr);
    }
    let again = import(app).output().expect("run lantern");
    assert!(
        again.status.success(),
        "{what}: the import run again: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let (after, code) = figures(app);
    assert_eq!(code, 0, "{what}: nothing is owed after the next command");
    assert!(
        after == baseline().0,
        "{what}: the figures differ from an uninterrupted run's ({} figures, expected {})",
        after.len(),
        baseline().0.len()
    );
}

#[test]
fn an_import_killed_at_any_step_is_completed_by_the_next_command() {
    let _ = baseline();
    let mut kills = 0;
    let mut owed_seen = 0;
    // Every step, at each of the three files (the last file's figures
    // commit is the end of the command, so the others only).
    let mut points: Vec<String> = Vec::new();
    for step in [
        "before-submit-commit",
        "after-submit-commit",
        "mid-recompute",
        "before-figures-commit",
    ] {
        for n in 1..=3 {
            points.push(format!("{step}@{n}"));
        }
    }
    points.extend([
        "after-figures-commit@1".into(),
        "after-figures-commit@2".into(),
    ]);
    for point in &points {
        let app = fresh();
        let out = import(&app)
            .env("LANTERN_FAILPOINT", point)
            .output()
            .expect("run lantern");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("failpoint"),
            "{point}: the process was not stopped: {stderr}"
        );
        kills += 1;
        let owed = app.run(&["submissions"]).code == 3;
        if point.starts_with("after-submit")
            || point.starts_with("mid-recompute")
            || point.starts_with("before-figures")
        {
            assert!(owed, "{point}: a reader sees the figures are owed");
        }
        owed_seen += usize::from(owed);
        check_after_kill(&app, point);
    }

    // SIGKILL at moments spread over an uninterrupted import's duration.
    let took = baseline().1;
    // (Until eight have landed: an import that finished first is no kill.)
    let mut landed = 0;
    for i in 0..20u32 {
        if landed == 8 {
            break;
        }
        let app = fresh();
        let delay = took.mul_f64(f64::from((i * 37 + 11) % 80) / 100.0);
        let mut child = import(&app)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if !status.success() {
            kills += 1;
            landed += 1;
        }
        check_after_kill(&app, &format!("SIGKILL after {delay:?}"));
    }
    assert!(kills >= 20, "only {kills} imports were killed");
    assert!(owed_seen >= 9, "only {owed_seen} kills left figures owed");
}

#[test]
fn figures_stored_without_recomputing_are_owed_until_a_recompute_or_the_next_import() {
    let app = fresh();
    let out = import(&app)
        .arg("--no-recompute")
        .output()
        .expect("run lantern");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = app.run(&["submissions"]);
    assert_eq!(list.code, 3, "{}", list.stderr);
    assert!(
        list.stderr.contains("being brought up to date"),
        "{}",
        list.stderr
    );
    assert!(list.stderr.contains("lantern recompute"), "{}", list.stderr);
    let (_, code) = figures(&app);
    assert_eq!(code, 3);

    assert_eq!(healthz(&app)["figures"], "updating");

    app.run(&["recompute"]).ok();
    assert_eq!(healthz(&app)["figures"], "current");
    let (after, code) = figures(&app);
    assert_eq!(code, 0, "a full recompute settles what is owed");
    assert!(
        after == baseline().0,
        "the figures equal an uninterrupted run's"
    );

    // Owed again; this time the next import (of anything) pays first.
    let app = fresh();
    let out = import(&app)
        .arg("--no-recompute")
        .output()
        .expect("run lantern");
    assert!(out.status.success());
    let run = app.run(&["import", "agencies", "agencies.csv"]);
    assert!(run.stderr.contains("up to date first"), "{}", run.stderr);
    run.ok();
    let (after, code) = figures(&app);
    assert_eq!(code, 0);
    assert!(
        after == baseline().0,
        "the figures equal an uninterrupted run's"
    );
}

/// `GET /healthz` from a `lantern serve` started for the purpose.
fn healthz(app: &TestApp) -> Value {
    let mut child = app
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lantern serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server says where it listens");
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let _ = child.kill();
    let _ = child.wait();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}
