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
    let figures = app.write(
        "ages.csv",
        "indicator,area,period,age_band,value,source\n\
         people_in_treatment,E06000016,2019/20,,60,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,18-24,3,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,25-29,10,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,30-34,12,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,35-39,15,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,40+,20,ndtms_partnership\n",
    );
    app.run(&["import", "figures", figures.to_str().expect("path")])
        .ok();
    let total = request_file(&app, "total.toml", "FOI-A", "");
    let bands = request_file(&app, "bands.toml", "FOI-B", "breakdown = [\"age_band\"]\n");

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
    for (seed, received) in [("seed-000", "2019-06-10"), ("seed-003", "2017-04-18")] {
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
        app.run(&["request", "draft", &reference]).ok();
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
fn an_email_with_no_questions_is_refused_and_nothing_is_opened() {
    let app = TestApp::leicester();
    let email = app.write("thanks.txt", "Dear Sir or Madam,\n\nThank you for your help with my last request.\n\nKind regards,\nJo Bloggs\n");
    let err = app
        .run(&[
            "request",
            "new",
            email.to_str().expect("path"),
            "--received",
            "2020-01-06",
        ])
        .fails();
    assert!(err.contains("thanks.txt"), "{err}");
    assert_eq!(app.run(&["request", "list", "--json"]).ok().trim(), "[]");
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
