//! `lantern request …`: cases, their lifecycle, deadlines and history.

use crate::{TestApp, example};

fn open_seed(app: &TestApp) -> serde_json::Value {
    let request = example("requests/seed-000.toml");
    let out = app
        .run(&[
            "request",
            "new",
            request.to_str().expect("path"),
            "--requester",
            "A Person",
            "--json",
        ])
        .ok();
    serde_json::from_str(&out).expect("json")
}

#[test]
fn a_request_is_opened_with_its_statutory_deadline() {
    let app = TestApp::leicester();
    let opened = open_seed(&app);
    assert_eq!(opened["reference"], "FOI-2019-0412");
    // Received Monday 10 June 2019: day 1 is 11 June, day 20 is Monday 8 July.
    assert_eq!(opened["due"], "2019-07-08");
    assert!(
        opened["calendar"]
            .as_str()
            .is_some_and(|c| c.contains("covers 2012-2028"))
    );
    let request = example("requests/seed-000.toml");
    let err = app
        .run(&["request", "new", request.to_str().expect("path")])
        .fails();
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn a_case_is_approved_before_it_is_sent_and_the_history_says_who_did_what() {
    let app = TestApp::leicester();
    open_seed(&app);
    app.run(&["request", "draft", "FOI-2019-0412"]).ok();
    let err = app.run(&["request", "send", "FOI-2019-0412"]).fails();
    assert!(err.contains("approve the draft first"), "{err}");
    app.run(&[
        "request",
        "approve",
        "FOI-2019-0412",
        "--note",
        "checked against the log",
    ])
    .ok();
    app.run(&["request", "send", "FOI-2019-0412"]).ok();
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    )
    .expect("json");
    let actions: Vec<&str> = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["open", "draft", "approve", "send"]);
    assert_eq!(shown["history"][2]["actor"], "tester");
    assert_eq!(shown["history"][2]["note"], "checked against the log");
    assert_eq!(shown["status"], "sent");
    let letter = app
        .run(&[
            "--config",
            example("lantern.toml").to_str().expect("path"),
            "request",
            "letter",
            "FOI-2019-0412",
        ])
        .ok();
    assert!(letter.contains("44 people"), "{letter}");
}

#[test]
fn clarification_restarts_the_clock() {
    let app = TestApp::leicester();
    open_seed(&app);
    app.run(&["request", "seek-clarification", "FOI-2019-0412"])
        .ok();
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(shown["deadline"]["on_hold"], true);
    app.run(&["request", "clarified", "FOI-2019-0412"]).ok();
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(shown["deadline"]["on_hold"], false);
    // The clarification arrived today, so the 20 days run from today.
    assert_ne!(shown["deadline"]["effective_receipt"], "2019-06-10");
}

#[test]
fn bad_request_files_are_refused_and_nothing_is_opened() {
    let app = TestApp::leicester();
    let good = std::fs::read_to_string(example("requests/seed-000.toml")).expect("example");
    let future = app.write(
        "future.toml",
        &good.replace("received = 2019-06-10", "received = 2999-01-01"),
    );
    let err = app
        .run(&["request", "new", future.to_str().expect("path")])
        .fails();
    assert!(err.contains("in the future"), "{err}");
    let binary = app.path("binary.toml");
    std::fs::write(&binary, b"reference = \"X\"\n\xff\xfe\n").expect("write");
    let err = app
        .run(&["request", "new", binary.to_str().expect("path")])
        .fails();
    assert!(err.contains("not UTF-8"), "{err}");
    let huge = app.path("huge.toml");
    std::fs::write(&huge, vec![b'#'; 5 << 20]).expect("write");
    let err = app
        .run(&["request", "new", huge.to_str().expect("path")])
        .fails();
    assert!(err.contains("too large"), "{err}");
    let listed = app.run(&["request", "list", "--json"]).ok();
    assert_eq!(listed.trim(), "[]", "nothing half-created");
}
