//! `lantern report timeliness|outcomes`: the casework figures councils publish.

use crate::{TestApp, example};

/// Three cases: one answered in time, one answered late, one still open.
fn three_cases(app: &TestApp) {
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    let seed = example("requests/seed-000.toml");
    let seed = seed.to_str().expect("path");
    // Received Monday 10 June 2019, due Monday 8 July: sent on the day.
    app.run(&["request", "new", seed]).ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-08"])
            .ok();
    }
    app.run(&["request", "send", "FOI-2019-0412", "--on", "2019-07-08"])
        .ok();
    // The same request received on 1 July, due 30 July (12 July is a bank
    // holiday in Northern Ireland): sent a day late.
    app.run(&[
        "request",
        "new",
        seed,
        "--reference",
        "FOI-2019-0500",
        "--received",
        "2019-07-01",
    ])
    .ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0500", "--as-of", "2019-07-31"])
            .ok();
    }
    app.run(&["request", "send", "FOI-2019-0500", "--on", "2019-07-31"])
        .ok();
    app.run(&["request", "review", "FOI-2019-0500", "--on", "2019-08-01"])
        .ok();
    // Received 2 September, never answered.
    app.run(&[
        "request",
        "new",
        seed,
        "--reference",
        "FOI-2019-0600",
        "--received",
        "2019-09-02",
    ])
    .ok();
}

#[test]
fn timeliness_counts_answers_in_time_late_and_overdue_by_quarter() {
    let app = TestApp::leicester();
    three_cases(&app);
    let rows: serde_json::Value = serde_json::from_str(
        &app.run(&[
            "report",
            "timeliness",
            "--by",
            "quarter",
            "--today",
            "2019-12-31",
            "--json",
        ])
        .ok(),
    )
    .expect("json");
    let rows = rows.as_array().expect("rows");
    let groups: Vec<&str> = rows
        .iter()
        .map(|r| r["group"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(groups, ["Q1 2019/20", "Q2 2019/20", "total"]);
    assert_eq!(rows[0]["received"], 1);
    assert_eq!(rows[0]["in_time"], 1);
    assert_eq!(rows[1]["received"], 2);
    assert_eq!(rows[1]["late"], 1);
    assert_eq!(rows[1]["overdue"], 1);
    assert_eq!(rows[2]["timely_percent"], 33.3);
    // Before the third request's deadline it is not yet due, and not counted against.
    let rows: serde_json::Value = serde_json::from_str(
        &app.run(&["report", "timeliness", "--today", "2019-09-10", "--json"])
            .ok(),
    )
    .expect("json");
    let total = rows
        .as_array()
        .and_then(|r| r.last())
        .expect("total")
        .clone();
    assert_eq!(total["not_yet_due"], 1);
    assert_eq!(total["timely_percent"], 50.0);

    let csv = app
        .run(&["report", "timeliness", "--today", "2019-12-31", "--csv"])
        .ok();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "group,received,in_time,within_extension,late,on_hold,not_yet_due,overdue,withdrawn,timely_percent"
        )
    );
    assert_eq!(lines.next(), Some("2019-06,1,1,0,0,0,0,0,0,100.0"));
    let text = app
        .run(&["report", "timeliness", "--today", "2019-12-31"])
        .ok();
    assert!(text.contains("2019-07") && text.contains("total"), "{text}");
}

#[test]
fn the_report_day_follows_as_of_and_today_is_its_alias() {
    let app = TestApp::leicester();
    three_cases(&app);
    let json = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&app.run(args).ok()).expect("json")
    };
    let by_as_of = json(&["report", "timeliness", "--as-of", "2019-09-10", "--json"]);
    let by_today = json(&["report", "timeliness", "--today", "2019-09-10", "--json"]);
    assert_eq!(by_as_of, by_today);
    let later = json(&["report", "timeliness", "--as-of", "2019-12-31", "--json"]);
    assert_ne!(by_as_of, later, "the day decides what is overdue");
    let text = app
        .run(&["report", "timeliness", "--as-of", "2019-09-10"])
        .ok();
    assert!(text.contains("(as of 2019-09-10)"), "{text}");
    let err = app
        .run(&[
            "report",
            "timeliness",
            "--today",
            "2019-09-10",
            "--as-of",
            "2019-12-31",
        ])
        .fails();
    assert!(
        err.contains("--today 2019-09-10 and --as-of 2019-12-31"),
        "{err}"
    );
}

#[test]
fn outcomes_count_refusals_exemptions_and_reviews() {
    let app = TestApp::leicester();
    three_cases(&app);
    let rows: serde_json::Value = serde_json::from_str(
        &app.run(&["report", "outcomes", "--by", "quarter", "--json"])
            .ok(),
    )
    .expect("json");
    let total = rows
        .as_array()
        .and_then(|r| r.last())
        .expect("total")
        .clone();
    // Seed 000 gives figures and withholds a future publication (s22) and
    // small numbers (s40(2)): part refused, both times.
    assert_eq!(total["answered"], 2);
    assert_eq!(total["part_refused"], 2);
    assert_eq!(total["exemptions"]["s22"], 2);
    assert_eq!(total["exemptions"]["s40_2"], 2);
    assert_eq!(total["reviews"], 1);
    assert_eq!(total["reviews_pending"], 1);
    let csv = app.run(&["report", "outcomes", "--csv"]).ok();
    assert!(
        csv.starts_with("group,answered,granted,part_refused,refused,not_held,exemption_s22,exemption_s40_2,reviews,"),
        "{csv}"
    );
    let err = app
        .run(&["report", "outcomes", "--from", "01/04/2019"])
        .fails();
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn the_reports_as_printed_are_reviewed_snapshots() {
    let app = TestApp::leicester();
    three_cases(&app);
    let args = ["--today", "2019-12-31", "--by", "quarter"];
    let timeliness = app
        .run(&[&["report", "timeliness"][..], &args[..]].concat())
        .ok();
    insta::assert_snapshot!("timeliness.txt", timeliness);
    let outcomes = app.run(&["report", "outcomes", "--by", "quarter"]).ok();
    insta::assert_snapshot!("outcomes.txt", outcomes);
    let csv = app
        .run(&["report", "outcomes", "--csv", "--by", "quarter"])
        .ok();
    insta::assert_snapshot!("outcomes.csv", csv);
}
