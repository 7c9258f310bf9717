//! `lantern request …`: cases, their lifecycle, deadlines and history.

use crate::{TestApp, example};

/// Casework commands read the council's details from ./lantern.toml.
fn with_config(app: &TestApp) {
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
}

fn open_seed(app: &TestApp) -> serde_json::Value {
    with_config(app);
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

/// Run `lantern ARGS` as `tester`, approvals too (the harness approves as
/// a second person).
fn as_tester(app: &TestApp, args: &[&str]) -> crate::Run {
    crate::Run::from(
        app.command(args)
            .env("LANTERN_ACTOR", "tester")
            .output()
            .expect("run lantern"),
    )
}

#[test]
fn whoever_drafted_cannot_approve_from_the_command_line_unless_the_council_allows_it() {
    let app = TestApp::leicester();
    open_seed(&app);
    let day = ["--as-of", "2019-07-05"];
    app.run(&["request", "draft", "FOI-2019-0412", day[0], day[1]])
        .ok();
    // `tester` drafted: their approval is refused, and nothing recorded.
    let err = as_tester(
        &app,
        &["request", "approve", "FOI-2019-0412", day[0], day[1]],
    )
    .fails();
    assert!(
        err.contains("tester drafted or corrected this answer")
            && err.contains("two-person sign-off")
            && err.contains("lantern council policy self-approval allowed"),
        "{err}"
    );
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(shown["status"], "drafted");
    assert_eq!(
        app.run(&["council", "policy", "self-approval"]).ok().trim(),
        "self-approval: refused (whoever drafted or corrected an answer may not approve it)"
    );
    // `--as` names another person: they may.
    let other = app
        .command(&[
            "request",
            "approve",
            "FOI-2019-0412",
            "--as",
            "ama",
            day[0],
            day[1],
        ])
        .env_remove("LANTERN_ACTOR")
        .output()
        .expect("run lantern");
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    )
    .expect("json");
    let approval = shown["history"]
        .as_array()
        .and_then(|h| h.iter().find(|e| e["action"] == "approve"))
        .expect("approved");
    assert_eq!(approval["actor"], "ama");
}

#[test]
fn a_drafter_approves_their_own_answer_where_the_council_allows_it_and_that_is_audited() {
    let app = TestApp::leicester();
    open_seed(&app);
    let day = ["--as-of", "2019-07-05"];
    app.run(&["request", "draft", "FOI-2019-0412", day[0], day[1]])
        .ok();
    let set = app
        .run(&["council", "policy", "self-approval", "allowed"])
        .ok();
    assert!(set.contains("self-approval: allowed"), "{set}");
    as_tester(
        &app,
        &["request", "approve", "FOI-2019-0412", day[0], day[1]],
    )
    .ok();
    // Both the policy change and the self-approval are in the dump's
    // account events, with who.
    app.run(&["export", "dump.jsonl"]).ok();
    let dump = std::fs::read_to_string(app.path("dump.jsonl")).expect("dump");
    let policy = dump
        .lines()
        .find(|l| l.contains("policy.set"))
        .expect("the policy change is audited");
    assert!(
        policy.contains("\"after\":\"allowed\"") || policy.contains("allowed"),
        "{policy}"
    );
    let own = dump
        .lines()
        .find(|l| l.contains("approve.self"))
        .expect("the self-approval is audited");
    assert!(
        own.contains("tester") && own.contains("FOI-2019-0412"),
        "{own}"
    );
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
    // Answered as of the day the council's letter went out.
    let day = ["--as-of", "2019-07-05"];
    app.run(&["request", "draft", "FOI-2019-0412", day[0], day[1]])
        .ok();
    let err = app
        .run(&["request", "send", "FOI-2019-0412", day[0], day[1]])
        .fails();
    assert!(err.contains("approve the draft first"), "{err}");
    // The drafter approves their own answer: the council allows it here.
    app.run(&["council", "policy", "self-approval", "allowed"])
        .ok();
    as_tester(
        &app,
        &[
            "request",
            "approve",
            "FOI-2019-0412",
            "--note",
            "checked against the log",
            day[0],
            day[1],
        ],
    )
    .ok();
    app.run(&["request", "send", "FOI-2019-0412", day[0], day[1]])
        .ok();
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
        &good
            .replace("received = 2019-06-10", "received = 2999-01-01")
            .replace("answered = 2019-07-05\n", ""),
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

fn request_file(app: &TestApp, name: &str, reference: &str, extra: &str) -> std::path::PathBuf {
    app.write(
        name,
        &format!(
            "reference = \"{reference}\"\nreceived = 2021-06-01\narea = \"E06000016\"\n\n[[question]]\nnumber = \"1\"\n\
             text = \"How many people were in treatment in 2019/20?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2019/20\"]\n{extra}"
        ),
    )
}

fn suppressed_bands(letter_json: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(letter_json).expect("json");
    v["questions"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["decision"] == "suppressed")
        .count()
}

#[test]
fn a_total_sent_in_one_answer_makes_the_next_answer_hide_one_more_band() {
    let app = TestApp::leicester();
    // The first half of 2019/20: NDTMS published the year's total (the
    // Leicester releases), which would join the table on its own, not the
    // half-year's.
    let half = "2019-04-01 to 2019-09-30";
    let figures = app.write(
        "ages.csv",
        &"indicator,area,period,age_band,value,source\n\
         people_in_treatment,E06000016,2019/20,,60,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,18-24,3,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,25-29,10,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,30-34,12,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,35-39,15,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,40+,20,ndtms_partnership\n"
            .replace("2019/20", half),
    );
    app.run(&["import", "figures", figures.to_str().expect("path")])
        .ok();
    let total = request_file(&app, "total.toml", "FOI-A", "");
    let bands = request_file(&app, "bands.toml", "FOI-B", "breakdown = [\"age_band\"]\n");
    for file in [&total, &bands] {
        let text = std::fs::read_to_string(file).expect("request file");
        std::fs::write(file, text.replace("\"2019/20\"", &format!("\"{half}\""))).expect("write");
    }

    // On its own, the request for bands hides only the small one.
    let alone = app
        .run(&["answer", bands.to_str().expect("path"), "--format", "json"])
        .ok();
    assert_eq!(suppressed_bands(&alone), 1);

    // The total goes out in one answer...
    app.run(&["request", "new", total.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve", "send"] {
        app.run(&["request", step, "FOI-A"]).ok();
    }
    let log = app.run(&["log", "--json"]).ok();
    assert!(log.contains("\"value\": 60"), "{log}");
    assert!(
        !log.contains("requester"),
        "the log holds no requester details"
    );

    // ...so the bands in the next one cannot all be given: 60 minus four bands would reveal the fifth.
    app.run(&["request", "new", bands.to_str().expect("path")])
        .ok();
    app.run(&["request", "draft", "FOI-B"]).ok();
    let drafted = app
        .run(&["request", "letter", "FOI-B", "--format", "json"])
        .ok();
    assert_eq!(suppressed_bands(&drafted), 2, "{drafted}");
}

#[test]
fn a_figure_that_differs_from_one_released_earlier_is_flagged() {
    let app = TestApp::leicester();
    let total = request_file(&app, "total.toml", "FOI-A", "");
    let figures = app.write(
        "t.csv",
        "indicator,area,period,value,source\npeople_in_treatment,E06000016,2019/20,60,ndtms_partnership\n",
    );
    app.run(&["import", "figures", figures.to_str().expect("path")])
        .ok();
    app.run(&["request", "new", total.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve", "send"] {
        app.run(&["request", step, "FOI-A"]).ok();
    }
    let revised = app.write(
        "r.csv",
        "indicator,area,period,value,source\npeople_in_treatment,E06000016,2019/20,62,ndtms_partnership\n",
    );
    app.run(&["import", "figures", revised.to_str().expect("path")])
        .ok();
    let again = request_file(&app, "again.toml", "FOI-C", "");
    app.run(&["request", "new", again.to_str().expect("path")])
        .ok();
    let run = app.run(&["request", "draft", "FOI-C"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("FOI-A released 60") && run.stderr.contains("gives 62"),
        "{}",
        run.stderr
    );
    // It must be explained before approval; the explanation is in the history.
    let err = app.run(&["request", "approve", "FOI-C"]).fails();
    assert!(
        err.contains("differ from earlier releases")
            && err.contains("FOI-A gave 60, this draft gives 62")
            && err.contains("--note"),
        "{err}"
    );
    app.run(&[
        "request",
        "approve",
        "FOI-C",
        "--note",
        "NDTMS revised 2019/20 in its 2021 refresh",
    ])
    .ok();
    let shown: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "show", "FOI-C", "--json"]).ok()).expect("json");
    let approval = shown["history"]
        .as_array()
        .and_then(|h| h.iter().find(|e| e["action"] == "approve"))
        .expect("approved");
    assert_eq!(
        approval["note"],
        "NDTMS revised 2019/20 in its 2021 refresh"
    );
}

/// One row as compared: period, decision, what the letter says.
type RowDecision = (String, String, String);

/// The rows' decisions of an answer, question by question, for comparing two answers.
fn decisions(letter_json: &str) -> Vec<(String, Vec<RowDecision>)> {
    fn walk(q: &serde_json::Value, prefix: &str, out: &mut Vec<(String, Vec<RowDecision>)>) {
        let number = format!("{prefix}{}", q["number"].as_str().unwrap_or_default());
        let rows = q["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["period"].as_str().unwrap_or_default().to_string(),
                    r["decision"].as_str().unwrap_or_default().to_string(),
                    r["full_text"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        out.push((number.clone(), rows));
        if let Some(text) = q["statement"]["text"].as_str() {
            out.push((
                format!("{number} statement"),
                vec![(String::new(), "statement".into(), text.into())],
            ));
        }
        for p in q["parts"].as_array().into_iter().flatten() {
            walk(p, &number, out);
        }
    }
    let v: serde_json::Value = serde_json::from_str(letter_json).expect("json");
    let mut out = Vec::new();
    for q in v["questions"].as_array().into_iter().flatten() {
        walk(q, "", &mut out);
    }
    out
}

#[test]
fn the_seed_requests_as_plain_emails_are_understood_and_drafted_to_the_same_decisions() {
    for (seed, received, answered) in [
        ("seed-000", "2019-06-10", "2019-07-05"),
        ("seed-003", "2017-04-18", "2017-05-16"),
    ] {
        let app = TestApp::leicester();
        with_config(&app);
        let email = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../lantern-core/tests-data/requests/{seed}.txt"));
        let opened: serde_json::Value = serde_json::from_str(
            &app.run(&[
                "request",
                "new",
                email.to_str().expect("path"),
                "--received",
                received,
                "--json",
            ])
            .ok(),
        )
        .expect("json");
        assert_eq!(opened["understood"], true, "{opened}");
        assert_eq!(opened["reference"], format!("FOI-{}-0001", &received[..4]));
        let reference = opened["reference"].as_str().expect("reference").to_string();
        // Drafted as of the day the seed's structured form records it was answered.
        app.run(&["request", "draft", &reference, "--as-of", answered])
            .ok();
        let from_email = app
            .run(&["request", "letter", &reference, "--format", "json"])
            .ok();
        let from_structured = app.answer(seed, "json").ok();
        assert_eq!(
            decisions(&from_email),
            decisions(&from_structured),
            "{seed}"
        );
    }
}

#[test]
fn an_email_with_no_questions_is_still_a_request_and_one_without_a_date_is_refused() {
    let app = TestApp::leicester();
    let email = app.write("thanks.txt", "Dear Sir or Madam,\n\nThank you for your help with my last request.\n\nKind regards,\nJo Bloggs\n");
    // Lantern finds no question in it, but the clock runs: the case is
    // opened and the officer enters its questions (or closes it).
    let opened = open_email(&app, &email, "2020-01-06");
    assert!(
        opened["questions_to_enter"]
            .as_str()
            .is_some_and(|w| w.contains("Lantern found no question in its text")),
        "{opened}"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "list", "--json"]).ok()).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let undated = app.write(
        "undated.txt",
        "1) How many people were in treatment in 2019/20?\n",
    );
    let err = app
        .run(&["request", "new", undated.to_str().expect("path")])
        .fails();
    assert!(err.contains("--received"), "{err}");
}

#[test]
fn the_officer_can_see_how_each_question_was_read() {
    let app = TestApp::leicester();
    with_config(&app);
    let email = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../lantern-core/tests-data/requests/seed-003.txt");
    app.run(&[
        "request",
        "new",
        email.to_str().expect("path"),
        "--received",
        "2017-04-18",
    ])
    .ok();
    let read: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "understand", "FOI-2017-0001", "--json"])
            .ok(),
    )
    .expect("json");
    let first = &read[0];
    assert_eq!(first["question"], "1");
    assert_eq!(
        first["reading"],
        "people_in_treatment for 2016/17 where substance_group=opiate"
    );
    assert!(first["confidence"].as_f64().is_some_and(|c| c >= 0.6));
    assert!(
        first["notes"].as_array().is_some_and(|n| !n.is_empty()),
        "the reading explains itself"
    );
    let q8 = read
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["question"] == "8")
        .expect("question 8");
    assert_eq!(q8["reading"], "statement naloxone.providers");
    assert!(
        !q8["alternatives"]
            .as_array()
            .expect("alternatives")
            .is_empty(),
        "what else was considered is shown"
    );
}

#[test]
fn an_officer_corrects_what_a_request_asks_before_drafting() {
    let app = TestApp::leicester();
    with_config(&app);
    let email = app.write(
        "q.txt",
        "Dear Sir or Madam,\n\n1) How many people were in treatment for alcohol in 2016/17?\n\nKind regards,\nJo Bloggs\n",
    );
    app.run(&[
        "request",
        "new",
        email.to_str().expect("path"),
        "--received",
        "2018-01-08",
    ])
    .ok();
    let held = app.run(&["request", "structured", "FOI-2018-0001"]).ok();
    assert!(
        held.contains("indicator = \"people_in_treatment\""),
        "{held}"
    );
    let corrected = app.write(
        "fixed.toml",
        &held.replace("alcohol_only", "non_opiate_and_alcohol"),
    );
    app.run(&[
        "request",
        "correct",
        "FOI-2018-0001",
        corrected.to_str().expect("path"),
        "--note",
        "both groups",
    ])
    .ok();
    assert_eq!(
        app.run(&["request", "structured", "FOI-2018-0001"]).ok(),
        std::fs::read_to_string(&corrected).expect("file")
    );
    let shown = app.run(&["request", "show", "FOI-2018-0001"]).ok();
    assert!(
        shown.contains("correct") && shown.contains("both groups"),
        "{shown}"
    );
    // A file for another request, or a correction after drafting, is refused.
    let other = app.write(
        "other.toml",
        &held.replace("FOI-2018-0001", "FOI-2018-0002"),
    );
    let err = app
        .run(&[
            "request",
            "correct",
            "FOI-2018-0001",
            other.to_str().expect("path"),
        ])
        .fails();
    assert!(err.contains("not FOI-2018-0001"), "{err}");
    app.run(&["request", "draft", "FOI-2018-0001"]).ok();
    let err = app
        .run(&[
            "request",
            "correct",
            "FOI-2018-0001",
            corrected.to_str().expect("path"),
        ])
        .fails();
    assert!(err.contains("start work on it again first"), "{err}");
}

fn shown(app: &TestApp, reference: &str) -> serde_json::Value {
    serde_json::from_str(&app.run(&["request", "show", reference, "--json"]).ok()).expect("json")
}

#[test]
fn a_fees_notice_pauses_the_clock_and_an_extension_sets_a_new_date() {
    let app = TestApp::leicester();
    open_seed(&app);
    // Received Monday 10 June 2019; due Monday 8 July.
    let err = app
        .run(&[
            "request",
            "fee-received",
            "FOI-2019-0412",
            "--on",
            "2019-06-12",
        ])
        .fails();
    assert!(err.contains("no fees notice was outstanding"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    let out = app
        .run(&[
            "request",
            "fee-notice",
            "FOI-2019-0412",
            "--on",
            "2019-06-14",
        ])
        .ok();
    assert!(out.contains("clock is stopped"), "{out}");
    assert_eq!(shown(&app, "FOI-2019-0412")["deadline"]["on_hold"], true);
    // Paid Tuesday 18 June: Friday 14, Monday 17 and Tuesday 18 are not
    // counted, so the answer is due three working days later.
    app.run(&[
        "request",
        "fee-received",
        "FOI-2019-0412",
        "--on",
        "2019-06-18",
    ])
    .ok();
    let case = shown(&app, "FOI-2019-0412");
    assert_eq!(case["deadline"]["due"], "2019-07-11");
    assert_eq!(case["deadline"]["fee_pauses"][0]["working_days"], 3);

    // An extension must be later than the deadline it extends.
    let err = app
        .run(&["request", "extend", "FOI-2019-0412", "--to", "2019-07-05"])
        .fails();
    assert!(err.contains("must be later"), "{err}");
    let extended = app
        .run(&[
            "request",
            "extend",
            "FOI-2019-0412",
            "--to",
            "2019-08-08",
            "--on",
            "2019-07-04",
            "--json",
        ])
        .ok();
    let extended: serde_json::Value = serde_json::from_str(&extended).expect("json");
    assert_eq!(extended["due"], "2019-08-08");
    assert_eq!(
        extended["s17_due"], "2019-07-11",
        "the s17 notice keeps day 20"
    );
    let case = shown(&app, "FOI-2019-0412");
    assert_eq!(case["deadline"]["extension"]["to"], "2019-08-08");
    assert_eq!(case["deadline"]["extension"]["beyond_normal"], false);
    let history = case["history"].as_array().expect("history");
    assert_eq!(history[3]["action"], "extend");
    assert_eq!(history[3]["on"], "2019-07-04");
    assert!(
        history[3]["calendar"]
            .as_str()
            .is_some_and(|c| c.contains("covers 2012-2028")),
        "each action records the calendar it was counted on"
    );
    // A date before receipt or in the future is refused.
    let err = app
        .run(&["request", "start", "FOI-2019-0412", "--on", "2019-01-01"])
        .fails();
    assert!(err.contains("before FOI-2019-0412 was received"), "{err}");
    let err = app
        .run(&["request", "start", "FOI-2019-0412", "--on", "2999-01-01"])
        .fails();
    assert!(err.contains("in the future"), "{err}");
}

#[test]
fn a_proclaimed_bank_holiday_imported_later_moves_the_deadline() {
    let app = TestApp::leicester();
    open_seed(&app);
    let before = shown(&app, "FOI-2019-0412");
    assert_eq!(before["deadline"]["due"], "2019-07-08");
    // A one-off holiday on Monday 24 June 2019, for England and Wales only.
    let proclaimed = app.write(
        "proclaimed.json",
        r#"{"england-and-wales": {"division": "england-and-wales", "events": [
            {"title": "Proclaimed holiday", "date": "2019-06-24", "notes": "", "bunting": true}
        ]}}"#,
    );
    let path = proclaimed.to_str().expect("path");
    let receipt = app.run(&["import", "bank-holidays", path, "--json"]).ok();
    let receipt: serde_json::Value = serde_json::from_str(&receipt).expect("json");
    assert_eq!(receipt["added"], 1);
    let after = shown(&app, "FOI-2019-0412");
    assert_eq!(after["deadline"]["due"], "2019-07-09");
    assert_ne!(
        after["deadline"]["calendar"], after["deadline"]["calendar_at_opening"],
        "the calendar version used is recorded and shown"
    );
    assert!(
        after["deadline"]["holidays"]
            .as_array()
            .expect("holidays")
            .iter()
            .any(|h| h["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Proclaimed holiday")))
    );
    // The same file again changes nothing; a bad one is refused whole.
    let again: serde_json::Value =
        serde_json::from_str(&app.run(&["import", "bank-holidays", path, "--json"]).ok())
            .expect("json");
    assert_eq!(
        (again["added"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
    let bad = app.write(
        "bad.json",
        r#"{"wales": {"division": "wales", "events": [{"title": "x", "date": "2019-06-25"}]}}"#,
    );
    let err = app
        .run(&["import", "bank-holidays", bad.to_str().expect("path")])
        .fails();
    assert!(err.contains("unknown division 'wales'"), "{err}");
    assert_eq!(
        shown(&app, "FOI-2019-0412")["deadline"]["due"],
        "2019-07-09"
    );
}

#[test]
fn sending_late_is_flagged_and_an_internal_review_gets_its_own_dates() {
    let app = TestApp::leicester();
    open_seed(&app);
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-09"])
            .ok();
    }
    let sent = app
        .run(&["request", "send", "FOI-2019-0412", "--on", "2019-07-09"])
        .stderr;
    assert!(sent.contains("after the deadline of 2019-07-08"), "{sent}");
    // The review window is 40 working days from the response.
    let case = shown(&app, "FOI-2019-0412");
    assert_eq!(case["review"]["accept_until"], "2019-09-06");
    let out = app
        .run(&["request", "review", "FOI-2019-0412", "--on", "2019-07-15"])
        .ok();
    assert!(out.contains("due 2019-08-13"), "{out}");
    let case = shown(&app, "FOI-2019-0412");
    assert_eq!(case["review"]["due"], "2019-08-13");
    assert_eq!(case["review"]["exceptional_due"], "2019-09-11");
    assert_eq!(case["review"]["late"], false);
    app.run(&[
        "request",
        "review",
        "FOI-2019-0412",
        "--outcome",
        "partly-upheld",
        "--on",
        "2019-08-01",
    ])
    .ok();
    app.run(&["request", "ico", "FOI-2019-0412"]).ok();
    assert_eq!(shown(&app, "FOI-2019-0412")["status"], "ico_complaint");
}

fn email(app: &TestApp, name: &str, from: &str, questions: &str) -> std::path::PathBuf {
    app.write(
        name,
        &format!(
            "From: {from}\nSubject: FOI request\n\nDear Sir or Madam,\n\n{questions}\n\nKind regards,\nJo Bloggs\n"
        ),
    )
}

fn open_email(app: &TestApp, file: &std::path::Path, received: &str) -> serde_json::Value {
    serde_json::from_str(
        &app.run(&[
            "request",
            "new",
            file.to_str().expect("path"),
            "--received",
            received,
            "--json",
        ])
        .ok(),
    )
    .expect("json")
}

#[test]
fn a_correction_is_one_step_and_is_remembered_for_later_requests() {
    let app = TestApp::leicester();
    with_config(&app);
    // Question 2 asks two things in two sentences (one sentence naming a
    // budget and a count is split into parts by Lantern itself).
    let questions = "1) How many methadone programme participants were there in 2017/18?";
    let first = email(&app, "a.txt", "Jo Bloggs <jo@example.org>", questions);
    let opened = open_email(&app, &first, "2018-05-01");
    assert_eq!(opened["understood"], false);
    assert_eq!(opened["for_the_officer"][0], "1");

    let correct = |question: &str, phrase: &str, means: &str| {
        app.run(&[
            "request",
            "correct",
            "FOI-2018-0001",
            "--question",
            question,
            "--phrase",
            phrase,
            "--means",
            means,
        ])
    };
    // Words not in the question, or a question that does not exist, are refused.
    let err = correct("1", "service users", "people_in_treatment").fails();
    assert!(err.contains("does not contain"), "{err}");
    let err = correct("7", "participants", "people_in_treatment").fails();
    assert!(err.contains("has no question 7"), "{err}");
    let err = correct("1", "participants", "people_in_treatmnt").fails();
    assert!(
        err.contains("people_in_treatment"),
        "nearest code suggested: {err}"
    );

    let out = correct(
        "1",
        "methadone programme participants",
        "people_in_treatment",
    )
    .ok();
    assert!(out.contains("every question is understood"), "{out}");
    let held = app.run(&["request", "structured", "FOI-2018-0001"]).ok();
    assert!(
        held.contains("indicator = \"people_in_treatment\""),
        "{held}"
    );
    let history = shown(&app, "FOI-2018-0001")["history"].clone();
    assert_eq!(history[1]["action"], "learn");

    // The next request with the same words is understood without the officer.
    let second = email(
        &app,
        "b.txt",
        "Sam <sam@example.org>",
        "1) How many methadone programme participants were there in 2016/17?",
    );
    let opened = open_email(&app, &second, "2018-06-01");
    assert_eq!(opened["understood"], true, "{opened}");
    let taught: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "synonyms", "--json"]).ok()).expect("json");
    assert_eq!(taught[0]["phrase"], "methadone programme participants");
    assert_eq!(taught[0]["means"], "people_in_treatment");
    assert_eq!(taught[0]["reference"], "FOI-2018-0001");
}

#[test]
fn related_requests_and_earlier_answers_are_offered_to_the_officer() {
    let app = TestApp::leicester();
    with_config(&app);
    let ask = "1) How many people were in treatment for crack cocaine in 2017/18?";
    let first = email(&app, "a.txt", "Jo Bloggs <jo@example.org>", ask);
    let opened = open_email(&app, &first, "2019-06-03");
    let reference = opened["reference"].as_str().expect("reference").to_string();
    assert_eq!(opened["related"], serde_json::json!([]));
    app.run(&["request", "draft", &reference]).ok();
    app.run(&["request", "approve", &reference]).ok();
    app.run(&["request", "send", &reference, "--on", "2019-06-20"])
        .ok();

    // The same requester asks again: linked as a possible repeat, and the
    // earlier answer is offered.
    let again = email(&app, "b.txt", "Jo Bloggs <JO@example.org>", ask);
    let opened = open_email(&app, &again, "2019-07-01");
    let related = &opened["related"][0];
    assert_eq!(related["reference"], reference.as_str());
    assert_eq!(related["same_requester"], true);
    assert_eq!(related["repeat"], true);
    assert_eq!(opened["covered_by"][0]["reference"], reference.as_str());
    assert_eq!(
        opened["covered_by"][0]["covers"],
        opened["covered_by"][0]["of"]
    );

    // Someone else on the same subject is related, not a repeat; the text says so.
    let other = email(&app, "c.txt", "Sam <sam@example.org>", ask);
    let out = app
        .run(&[
            "request",
            "new",
            other.to_str().expect("path"),
            "--received",
            "2019-07-02",
        ])
        .ok();
    assert!(out.contains("another requester"), "{out}");
    assert!(!out.contains("possible repeat"), "{out}");
    assert!(
        out.contains(&format!("Already answered: {reference}")),
        "{out}"
    );

    // Long after (more than 60 working days), it is no longer linked.
    let late = email(&app, "d.txt", "Jo Bloggs <jo@example.org>", ask);
    let opened = open_email(&app, &late, "2019-12-02");
    assert_eq!(opened["related"], serde_json::json!([]));
    assert_eq!(opened["covered_by"][0]["reference"], reference.as_str());
}

#[test]
fn requester_details_are_erased_after_the_retention_date_once_the_case_is_closed() {
    let app = TestApp::leicester();
    open_seed(&app);
    // Received 10 June 2019: kept until 10 June 2021.
    let dry: serde_json::Value = serde_json::from_str(
        &app.run(&[
            "request",
            "erase-expired",
            "--today",
            "2021-06-11",
            "--json",
        ])
        .ok(),
    )
    .expect("json");
    assert_eq!(dry["erased"], serde_json::json!([]));
    assert_eq!(
        dry["kept_open"][0], "FOI-2019-0412",
        "an open case keeps them"
    );
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-01"])
            .ok();
    }
    app.run(&["request", "send", "FOI-2019-0412", "--on", "2019-07-01"])
        .ok();
    let early = app
        .run(&["request", "erase-expired", "--today", "2021-06-10"])
        .ok();
    assert!(early.contains("No requester details"), "{early}");
    assert_eq!(shown(&app, "FOI-2019-0412")["requester"], "A Person");
    let out = app
        .run(&["request", "erase-expired", "--today", "2021-06-11"])
        .ok();
    assert!(
        out.contains("Erased the requester details of 1 case(s): FOI-2019-0412"),
        "{out}"
    );
    let case = shown(&app, "FOI-2019-0412");
    assert_eq!(case["requester"], serde_json::Value::Null);
    let last = case["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history")
        .clone();
    assert_eq!(last["action"], "erase_requester");
    let dump = app.path("after.jsonl");
    app.run(&["export", dump.to_str().expect("path")]).ok();
    let text = std::fs::read_to_string(&dump).expect("dump");
    assert!(
        !text.contains("A Person"),
        "the name is gone from the database"
    );
}

#[test]
fn a_request_written_as_sentences_without_numbers_or_question_marks_is_understood() {
    let app = TestApp::leicester();
    with_config(&app);
    let file = email(
        &app,
        "p.txt",
        "Jo Bloggs <jo@example.org>",
        "Under the Freedom of Information Act, please provide the number of people in treatment for opiates in each of the last three financial years. This is for a local news story.\n\nI would also like to know how many naloxone kits were given out in 2019/20.",
    );
    let opened = open_email(&app, &file, "2020-06-01");
    assert_eq!(opened["understood"], true, "{opened}");
    let held = app.run(&["request", "structured", "FOI-2020-0001"]).ok();
    assert!(
        held.contains("2017/18") && held.contains("2019/20"),
        "{held}"
    );
    assert!(held.contains("naloxone_kits_issued"), "{held}");
}

#[test]
fn bad_emails_are_refused_with_a_reason_and_nothing_is_opened() {
    let app = TestApp::leicester();
    with_config(&app);
    let latin1 = app.path("latin1.txt");
    std::fs::write(
        &latin1,
        b"Dear Sir,\n\n1) How many people were in treatment in caf\xe9s in 2019/20?\n",
    )
    .expect("write");
    let err = app
        .run(&[
            "request",
            "new",
            latin1.to_str().expect("path"),
            "--received",
            "2020-06-01",
        ])
        .fails();
    assert!(err.contains("UTF-8"), "{err}");
    let huge = app.path("huge.eml");
    let mut text = b"Subject: FOI\n\n1) How many people were in treatment in 2019/20?\n".to_vec();
    text.resize(50 << 20, b'x');
    std::fs::write(&huge, text).expect("write");
    let err = app
        .run(&[
            "request",
            "new",
            huge.to_str().expect("path"),
            "--received",
            "2020-06-01",
        ])
        .fails();
    assert!(err.contains("bytes, more than"), "{err}");
    let dated = app.write(
        "dated.eml",
        "Date: Fri, 1 Jan 2999 09:00:00 +0000\nFrom: Jo <jo@example.org>\nSubject: FOI\n\n1) How many people were in treatment in 2019/20?\n",
    );
    let err = app
        .run(&["request", "new", dated.to_str().expect("path")])
        .fails();
    assert!(err.contains("in the future"), "{err}");
    assert_eq!(app.run(&["request", "list", "--json"]).ok().trim(), "[]");
}

#[test]
fn references_follow_the_councils_pattern() {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write(
        "lantern.toml",
        &format!("{config}\n[casework]\nreference = \"IG/{{seq}}/{{year}}\"\nretain_years = 6\n"),
    );
    let ask = "1) How many people were in treatment for crack cocaine in 2017/18?";
    let first = email(&app, "a.txt", "Jo <jo@example.org>", ask);
    assert_eq!(
        open_email(&app, &first, "2019-06-03")["reference"],
        "IG/1/2019"
    );
    assert_eq!(
        open_email(&app, &first, "2019-06-04")["reference"],
        "IG/2/2019"
    );
    assert_eq!(shown(&app, "IG/2/2019")["retain_until"], "2025-06-04");
    app.write(
        "lantern.toml",
        &format!("{config}\n[casework]\nreference = \"FOI-{{year}}\"\n"),
    );
    let err = app.run(&["request", "list"]).fails();
    assert!(
        err.contains("[casework] reference") && err.contains("{seq}"),
        "{err}"
    );
}

#[test]
fn the_same_requesters_estimated_hours_add_up_for_the_cost_limit() {
    let app = TestApp::leicester();
    with_config(&app);
    let open = |name: &str, reference: &str, hours: f64| {
        let file = request_file(
            &app,
            name,
            reference,
            &format!("estimate_hours = {hours}\n"),
        );
        app.run(&[
            "request",
            "new",
            file.to_str().expect("path"),
            "--requester",
            "Jo Bloggs",
            "--contact",
            "jo@example.org",
        ])
        .ok()
    };
    open("a.toml", "FOI-A", 10.0);
    let out = open("b.toml", "FOI-B", 9.0);
    assert!(out.contains("Cost limit: with FOI-A"), "{out}");
    assert!(out.contains("19.0"), "{out}");
    let drafted = app.run(&["request", "draft", "FOI-B"]);
    assert!(
        drafted.stderr.contains("section 12(4)"),
        "the draft warns: {}",
        drafted.stderr
    );
    let letter: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "letter", "FOI-B", "--json"]).ok())
            .expect("json");
    assert!(
        letter["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("FOI-A"))),
        "the warning is kept with the draft"
    );
}

#[test]
fn the_list_shows_open_and_overdue_cases_soonest_due_first() {
    let app = TestApp::leicester();
    with_config(&app);
    let ask = "1) How many people were in treatment for crack cocaine in 2017/18?";
    let file = email(&app, "a.txt", "Jo <jo@example.org>", ask);
    for day in ["2019-06-03", "2019-05-01", "2019-07-01"] {
        open_email(&app, &file, day);
    }
    // FOI-2019-0001 (3 June) is answered; the others stay open.
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0001"]).ok();
    }
    app.run(&["request", "send", "FOI-2019-0001", "--on", "2019-06-20"])
        .ok();
    let listed = |args: &[&str]| -> Vec<String> {
        let out = app
            .run(&[&["request", "list", "--json"][..], args].concat())
            .ok();
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v.as_array()
            .expect("cases")
            .iter()
            .map(|c| c["reference"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(listed(&[]).len(), 3);
    assert_eq!(
        listed(&["--open"]),
        ["FOI-2019-0002", "FOI-2019-0003"],
        "soonest due first"
    );
    assert_eq!(listed(&["--overdue"]), ["FOI-2019-0002", "FOI-2019-0003"]);
    // Received 1 May 2019: due 31 May (the two May bank holidays are not counted).
    assert_eq!(listed(&["--due-by", "2019-05-31"]), ["FOI-2019-0002"]);
    assert!(listed(&["--due-by", "2019-05-30"]).is_empty());
    let err = app
        .run(&["request", "list", "--due-by", "30/05/2019"])
        .fails();
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

/// One of the core's e-mail fixtures.
fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../lantern-core/tests/email")
        .join(name)
}

fn take_in(app: &TestApp, file: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(
        &app.run(&["request", "new", file.to_str().expect("path"), "--json"])
            .ok(),
    )
    .expect("json")
}

fn opening_note(app: &TestApp, reference: &str) -> String {
    shown(app, reference)["history"][0]["note"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn an_email_with_no_questions_is_opened_with_its_questions_to_enter() {
    let app = TestApp::leicester();
    with_config(&app);
    let opened = take_in(&app, &fixture("no-questions.eml"));
    // Received Monday 10 June 2019: the clock runs, due Monday 8 July.
    assert_eq!(opened["received"], "2019-06-10");
    assert_eq!(opened["due"], "2019-07-08");
    assert_eq!(opened["understood"], false);
    let why = opened["questions_to_enter"].as_str().expect("flagged");
    assert!(
        why.contains("Lantern found no question in its text"),
        "{why}"
    );
    let reference = opened["reference"].as_str().expect("reference");
    assert!(opening_note(&app, reference).contains("questions to enter"));
    // Asking how it was read says why, and what to do.
    let err = app.run(&["request", "understand", reference]).fails();
    assert!(
        err.contains("questions to enter") && err.contains("lantern request correct"),
        "{err}"
    );
    // Its working copy, with no questions yet, is there to start from.
    let structured = app.run(&["request", "structured", reference]).ok();
    assert!(structured.contains("received = 2019-06-10"), "{structured}");
    // The list of cases flags it until its questions are entered.
    let listed = app.run(&["request", "list"]).ok();
    let line = listed
        .lines()
        .find(|l| l.starts_with(reference))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("[questions to enter"), "{listed}");
    let listed: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "list", "--json"]).ok()).expect("json");
    assert_eq!(listed[0]["questions_to_enter"], true, "{listed}");
    // Once the officer enters its questions, the flag goes.
    let entered = app.write(
        "entered.toml",
        &format!(
            "{structured}\n[[question]]\nnumber = \"1\"\ntext = \"How many people were in treatment in 2018/19?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2018/19\"]\n"
        ),
    );
    app.run(&[
        "request",
        "correct",
        reference,
        entered.to_str().expect("path"),
    ])
    .ok();
    let listed = app.run(&["request", "list"]).ok();
    assert!(!listed.contains("questions to enter"), "{listed}");
    // In words for the officer, too.
    let second = app.write(
        "again.txt",
        "Dear Council,\n\nFollowing our call, here are my details.\n",
    );
    let out = app
        .run(&[
            "request",
            "new",
            second.to_str().expect("path"),
            "--received",
            "2019-06-11",
        ])
        .ok();
    assert!(out.contains("Questions to enter: "), "{out}");
}

#[test]
fn an_attachment_only_email_is_opened_and_its_attachment_kept() {
    let app = TestApp::leicester();
    with_config(&app);
    let opened = take_in(&app, &fixture("attachment-only.eml"));
    assert_eq!(opened["due"], "2019-07-08");
    let why = opened["questions_to_enter"].as_str().expect("flagged");
    assert!(why.contains("only 1 attachment"), "{why}");
    assert!(why.contains("and its attachments"), "{why}");
    let reference = opened["reference"].as_str().expect("reference");
    let listed: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "attachments", reference, "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["name"], "request.pdf");
    assert_eq!(listed[0]["content_type"], "application/pdf");
    assert_eq!(listed[0]["kept_by"], opened_by(&app, reference));
    let out = app.path("out.pdf");
    app.run(&[
        "request",
        "attachment",
        reference,
        "1",
        "--output",
        out.to_str().expect("path"),
    ])
    .ok();
    let written = std::fs::read(&out).expect("written");
    assert!(written.starts_with(b"%PDF-1.4\n% request letter"));
    let err = app
        .run(&["request", "attachment", reference, "2", "-o", "x.pdf"])
        .fails();
    assert!(err.contains("has no attachment 2"), "{err}");
    assert!(opening_note(&app, reference).contains("1 attachment(s) kept"));
}

fn opened_by(app: &TestApp, reference: &str) -> serde_json::Value {
    shown(app, reference)["history"][0]["actor"].clone()
}

#[test]
fn an_email_in_an_unknown_character_set_is_opened_and_the_officer_told() {
    let app = TestApp::leicester();
    with_config(&app);
    let opened = take_in(&app, &fixture("unknown-charset.eml"));
    assert_eq!(opened["due"], "2019-07-08");
    let why = opened["questions_to_enter"].as_str().expect("flagged");
    assert!(
        why.contains("character set 'x-unheard-of', which Lantern cannot read"),
        "{why}"
    );
    // Its bytes are not UTF-8: kept exactly as received.
    let reference = opened["reference"].as_str().expect("reference");
    let listed = app.run(&["request", "attachments", reference]).ok();
    assert!(listed.contains("1. the e-mail as received"), "{listed}");
}

#[test]
fn a_file_that_is_not_an_email_is_refused_and_no_case_opened() {
    let app = TestApp::leicester();
    with_config(&app);
    let pdf = app.path("request.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").expect("write");
    let err = app
        .run(&["request", "new", pdf.to_str().expect("path")])
        .fails();
    assert!(
        err.contains("not an e-mail: it looks like a PDF document"),
        "{err}"
    );
    let msg = app.path("request.msg");
    std::fs::write(&msg, b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00\x00").expect("write");
    let err = app
        .run(&["request", "new", msg.to_str().expect("path")])
        .fails();
    assert!(err.contains("Outlook .msg"), "{err}");
    assert_eq!(app.run(&["request", "list", "--json"]).ok().trim(), "[]");
}

#[test]
fn a_forward_within_the_council_keeps_the_original_sender_and_day() {
    let app = TestApp::leicester();
    with_config(&app);
    // Forwarded on Thursday 13 June; the requester wrote on Monday 10 June.
    let opened = take_in(&app, &fixture("forward-outlook.eml"));
    assert_eq!(opened["received"], "2019-06-10");
    assert_eq!(opened["due"], "2019-07-08");
    assert_eq!(opened["transferred"], false);
    let reference = opened["reference"].as_str().expect("reference");
    assert_eq!(shown(&app, reference)["requester"], "A Requester");
    let kinds: Vec<&str> = opened["not_taken_as_a_question"]
        .as_array()
        .expect("set aside")
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["forwarding_note", "forward_header"]);
    let note = opening_note(&app, reference);
    assert!(
        note.contains("forwarded within the council (leicester.gov.uk) on 2019-06-13"),
        "{note}"
    );
    assert!(
        !note.contains("Requester"),
        "no names in the history: {note}"
    );
}

#[test]
fn a_request_transferred_from_another_body_is_flagged_and_runs_from_the_councils_receipt() {
    let app = TestApp::leicester();
    with_config(&app);
    let out = app
        .run(&[
            "request",
            "new",
            fixture("transferred.eml").to_str().expect("path"),
        ])
        .ok();
    // Received by the council on Monday 17 June (the trust had it on the
    // 10th): due Tuesday 16 July (12 July is a bank holiday in Northern
    // Ireland, and every UK bank holiday counts).
    assert!(
        out.contains("received 17 June 2019); answer due 16 July 2019"),
        "{out}"
    );
    assert!(out.contains("Transferred from another body"), "{out}");
    assert!(
        out.contains("Not taken as a question (note from whoever forwarded"),
        "{out}"
    );
}

#[test]
fn footers_and_quoted_text_are_shown_as_not_taken_as_a_question() {
    let app = TestApp::leicester();
    with_config(&app);
    let opened = take_in(&app, &fixture("whatdotheyknow.eml"));
    let set_aside = opened["not_taken_as_a_question"]
        .as_array()
        .expect("set aside");
    assert_eq!(set_aside.len(), 1);
    assert_eq!(set_aside[0]["kind"], "whatdotheyknow_footer");
    assert!(
        set_aside[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Please use this email address for all replies"))
    );
    let reference = opened["reference"].as_str().expect("reference");
    // The readings are of the questions alone; the footer is shown after
    // them as not taken as a question.
    let read = app.run(&["request", "understand", reference]).ok();
    let (readings, set_aside) = read
        .split_once("Not taken as a question (WhatDoTheyKnow footer):")
        .expect("the footer is shown");
    assert!(!readings.contains("Disclaimer"), "{read}");
    assert!(set_aside.contains("  | Disclaimer: This message"), "{read}");
}

#[test]
fn an_email_in_a_legacy_character_set_is_read_again_exactly_as_received() {
    let app = TestApp::leicester();
    with_config(&app);
    let opened = take_in(&app, &fixture("iso-8859-15.eml"));
    let reference = opened["reference"].as_str().expect("reference");
    let read = app.run(&["request", "understand", reference]).ok();
    assert!(read.contains("in € or £?"), "{read}");
}

#[test]
fn a_partly_understood_request_is_corrected_with_commands_alone_and_drafted() {
    let app = TestApp::leicester();
    with_config(&app);
    let questions = "1) How many methadone programme participants were there in 2017/18?\n2) What was the budget for drug treatment in 2017/18? How many people were in treatment in 2017/18?\n3) How many people were in treatment for alcohol\n4) in 2016/17?\n5) Please reply to this address.";
    let file = email(&app, "a.txt", "Jo Bloggs <jo@example.org>", questions);
    let opened = open_email(&app, &file, "2018-05-01");
    assert_eq!(opened["understood"], false);
    assert_eq!(opened["for_the_officer"].as_array().map(Vec::len), Some(5));
    let reference = "FOI-2018-0001";

    // Every case has a structured request to start from: the questions not
    // understood yet are shown as such.
    let held = app.run(&["request", "structured", reference]).ok();
    assert_eq!(held.matches("# Not understood yet").count(), 5, "{held}");
    let err = app.run(&["request", "draft", reference]).fails();
    assert!(err.contains("not been understood yet"), "{err}");

    let out = app
        .run(&[
            "request",
            "set-aside",
            reference,
            "5",
            "--reason",
            "a reply instruction, not a question",
        ])
        .ok();
    assert!(out.contains("question 5 set aside"), "{out}");
    let out = app.run(&["request", "merge", reference, "3", "4"]).ok();
    assert!(
        out.contains("3) people_in_treatment for 2016/17 where substance_group=alcohol_only"),
        "{out}"
    );
    let out = app
        .run(&["request", "split", reference, "2", "--at", "How many"])
        .ok();
    assert!(out.contains("2a) budget for 2017/18"), "{out}");
    assert!(out.contains("2b) people_in_treatment for 2017/18"), "{out}");
    assert!(
        out.contains("1) ? ← to decide: asks for nothing yet"),
        "{out}"
    );
    let err = app.run(&["request", "draft", reference]).fails();
    assert!(err.contains("question 1 asks for nothing yet"), "{err}");

    let out = app
        .run(&[
            "request",
            "set",
            reference,
            "1",
            "--indicator",
            "people_in_treatment",
            "--periods",
            "2017/18",
            "--filter",
            "substance_group=opiate",
        ])
        .ok();
    assert!(out.contains("every question is understood"), "{out}");
    let held = app.run(&["request", "structured", reference]).ok();
    assert!(!held.contains("Not understood"), "{held}");
    assert!(
        held.contains("[[set_aside]]\nnumber = \"5\"\ntext = \"Please reply to this address.\""),
        "the words set aside stay with the case: {held}"
    );
    let out = app.run(&["request", "draft", reference]).ok();
    assert!(out.contains("is now drafted"), "{out}");
    let out = app.run(&["request", "show", reference]).ok();
    assert!(
        out.contains("Not taken as a question (5): “Please reply to this address.” (a reply instruction, not a question)."),
        "{out}"
    );
    assert_eq!(
        shown(&app, reference)["not_taken_as_questions"][0]["reason"],
        "a reply instruction, not a question"
    );
    let history = shown(&app, reference)["history"].clone();
    let actions: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["open", "correct", "correct", "correct", "correct", "draft"]
    );
    // Once drafted, a correction is refused.
    let err = app
        .run(&["request", "set", reference, "1", "--periods", "2016/17"])
        .fails();
    assert!(err.contains("FOI-2018-0001"), "{err}");
}

#[test]
fn corrections_with_bad_input_are_refused_with_what_to_do() {
    let app = TestApp::leicester();
    with_config(&app);
    let questions = "1) How many methadone programme participants were there in 2017/18?\n2) Please reply to this address.";
    let file = email(&app, "a.txt", "Jo Bloggs <jo@example.org>", questions);
    open_email(&app, &file, "2018-05-01");
    let reference = "FOI-2018-0001";
    let before = app
        .run(&["request", "structured", reference, "--json"])
        .ok();
    let sheet: serde_json::Value = serde_json::from_str(&before).expect("json");
    let revision = sheet["revision"].as_str().expect("revision").to_string();
    assert_eq!(sheet["held"], false);
    for (args, says) in [
        (
            vec!["set", reference, "7", "--topic", "naloxone.purchaser"],
            "there is no question 7; the questions are 1, 2",
        ),
        (
            vec!["set", reference, "1", "--indicator", "people_in_treatmnt"],
            "did you mean people_in_treatment",
        ),
        (
            vec!["set", reference, "1", "--periods", "2017/18"],
            "set its indicator first",
        ),
        (
            vec![
                "set",
                reference,
                "1",
                "--indicator",
                "people_in_treatment",
                "--periods",
                "2017/18",
                "--filter",
                "substance_group=opiat",
            ],
            "did you mean opiate",
        ),
        (
            vec![
                "set",
                reference,
                "1",
                "--indicator",
                "budget",
                "--periods",
                "2017/18",
                "--breakdown",
                "sex",
            ],
            "cannot be broken down by 'sex'",
        ),
        (
            vec!["merge", reference, "1", "1"],
            "cannot be merged with itself",
        ),
        (
            vec!["split", reference, "1", "--at", "rehab"],
            "has no “rehab”",
        ),
        (
            vec!["set-aside", reference, "2", "--reason", " "],
            "say why",
        ),
        (vec!["set", reference, "1"], "say what to set"),
        (
            vec!["forget-phrase", "no such words"],
            "no phrase “no such words” is in use",
        ),
        (
            vec!["set", "FOI-2018-0404", "1", "--topic", "naloxone.purchaser"],
            "FOI-2018-0404",
        ),
    ] {
        let mut all = vec!["request"];
        all.extend(args.iter().copied());
        let err = app.run(&all).fails();
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Nothing was changed by any of them.
    assert_eq!(
        app.run(&["request", "structured", reference, "--json"])
            .ok(),
        before
    );
    // A correction made on what the officer saw is refused once someone
    // else changed it.
    app.run(&[
        "request",
        "set-aside",
        reference,
        "2",
        "--reason",
        "not a question",
        "--seen",
        &revision,
    ])
    .ok();
    let err = app
        .run(&[
            "request",
            "set",
            reference,
            "1",
            "--indicator",
            "people_in_treatment",
            "--seen",
            &revision,
        ])
        .fails();
    assert!(err.contains("changed since you read it"), "{err}");
}

#[test]
fn a_removed_phrase_reads_no_later_request() {
    let app = TestApp::leicester();
    with_config(&app);
    let questions = "1) How many methadone programme participants were there in 2017/18?";
    let first = email(&app, "a.txt", "Jo Bloggs <jo@example.org>", questions);
    open_email(&app, &first, "2018-05-01");
    app.run(&[
        "request",
        "correct",
        "FOI-2018-0001",
        "--question",
        "1",
        "--phrase",
        "methadone programme participants",
        "--means",
        "people_in_treatment",
    ])
    .ok();
    let out = app
        .run(&[
            "request",
            "forget-phrase",
            "Methadone programme participants",
            "--json",
        ])
        .ok();
    let gone: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(gone["ended"], 1);
    let listed = app.run(&["request", "synonyms", "--json"]).ok();
    assert_eq!(listed.trim(), "[]");
    let second = email(&app, "b.txt", "Sam <sam@example.org>", questions);
    let opened = open_email(&app, &second, "2018-06-01");
    assert_eq!(opened["understood"], false, "{opened}");
    // The case corrected with it keeps its reading.
    let held = app.run(&["request", "structured", "FOI-2018-0001"]).ok();
    assert!(
        held.contains("indicator = \"people_in_treatment\""),
        "{held}"
    );
}
