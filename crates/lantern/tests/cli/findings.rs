//! Every way forward from a blocking finding, through the built binary on a
//! real database: draft → finding → resolve → draft again → the letter's
//! text. Loading the figure, a section 12 estimate, asking the requester
//! to clarify; and a not-held declaration withdrawn (the finding comes
//! back, an approved letter relying on it cannot be sent unchanged, and a
//! letter made at the old data version still uses it).

use serde_json::Value;

use crate::TestApp;

const FIGURES_HEADER: &str =
    "indicator,area,period,crack,age_band,value,qualifier,reason,source,status";

/// People in treatment for crack in 2016/17 only: 2017/18 and 2018/19 are
/// not loaded.
const HELD: &str = "people_in_treatment,E06000016,2016/17,crack,,51,,,ndtms_partnership,final";

fn council() -> TestApp {
    let app = TestApp::empty();
    let config = std::fs::read_to_string(crate::example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    app.run(&["init"]).ok();
    app.write("figures.csv", &format!("{FIGURES_HEADER}\n{HELD}"));
    app.run(&["import", "figures", "figures.csv"]).ok();
    app
}

/// A case asking for people in treatment for crack over `periods`, from a
/// request file `REF.toml` (kept for `lantern answer`).
fn request(app: &TestApp, reference: &str, periods: &str) {
    let file = format!("{reference}.toml");
    app.write(
        &file,
        &format!(
            "reference = \"{reference}\"\nreceived = 2019-06-10\n\n[[question]]\nnumber = \"1\"\n\
             text = \"How many people were in treatment for crack?\"\nindicator = \"people_in_treatment\"\n\
             filter = {{ crack = \"crack\" }}\nperiods = [{periods}]\n"
        ),
    );
    app.run(&["request", "new", &file, "--requester", "A Person"])
        .ok();
}

fn letter(app: &TestApp, reference: &str, format: &str) -> String {
    app.run(&["request", "letter", reference, "--format", format])
        .ok()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

fn show(app: &TestApp, reference: &str) -> Value {
    json(&app.run(&["request", "show", reference, "--json"]).ok())
}

#[test]
fn an_open_finding_is_neither_held_nor_not_held_in_the_opening_statement() {
    let app = council();
    request(&app, "FOI-20", "\"2017/18\"");
    app.run(&["request", "draft", "FOI-20"]).ok();
    let md = letter(&app, "FOI-20", "md");
    assert!(
        md.contains(
            "Whether Leicester City Council holds the information asked for in question 1 for 2017/18 is not yet decided."
        ),
        "{md}"
    );
    assert!(!md.contains("holds the information you requested"), "{md}");
    assert!(!md.contains("does not hold"), "{md}");
    assert_eq!(
        json(&letter(&app, "FOI-20", "json"))["holding"],
        "not_stated"
    );

    // One year given, one undecided: "some", and the undecided one named.
    request(&app, "FOI-21", "\"2016/17\", \"2017/18\"");
    app.run(&["request", "draft", "FOI-21"]).ok();
    let md = letter(&app, "FOI-21", "md");
    assert!(
        md.contains("Leicester City Council holds some of the information you requested. Whether Leicester City Council holds the information asked for in question 1 for 2017/18 is not yet decided."),
        "{md}"
    );
}

#[test]
fn loading_the_figure_resolves_its_finding_and_leaves_the_others_open() {
    let app = council();
    request(&app, "FOI-22", "\"2016/17\", \"2017/18\", \"2018/19\"");
    let drafted = app.run(&["request", "draft", "FOI-22"]).ok();
    assert!(drafted.contains("2 blocking finding(s)"), "{drafted}");
    app.write(
        "more.csv",
        &format!(
            "{FIGURES_HEADER}\npeople_in_treatment,E06000016,2017/18,crack,,44,,,ndtms_partnership,final"
        ),
    );
    app.run(&["import", "figures", "more.csv"]).ok();
    let drafted = app.run(&["request", "draft", "FOI-22"]).ok();
    assert!(drafted.contains("1 blocking finding(s)"), "{drafted}");
    assert!(
        drafted.contains(
            "finding 1: question 1: no figure of people_in_treatment for E06000016, 2018/19"
        ),
        "{drafted}"
    );
    let view = json(&letter(&app, "FOI-22", "json"));
    let rows = view["questions"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows[1]["decision"], "given");
    assert_eq!(rows[1]["value"]["amount"], 44);
    assert_eq!(rows[2]["decision"], "missing");
    assert!(
        app.run(&["request", "approve", "FOI-22"])
            .fails()
            .contains("finding 1:")
    );
}

#[test]
fn an_s12_estimate_over_the_limit_refuses_that_part_with_advice_and_is_audited() {
    let app = council();
    request(&app, "FOI-23", "\"2016/17\", \"2017/18\"");
    app.run(&["request", "draft", "FOI-23"]).ok();
    let resolve = |hours: &str, note: Option<&str>| {
        let mut args = vec![
            "request",
            "resolve",
            "FOI-23",
            "--finding",
            "1",
            "--cost-estimate",
            hours,
        ];
        if let Some(n) = note {
            args.extend(["--note", n]);
        }
        app.run(&args)
    };
    let err = resolve("NaN", Some("x")).fails();
    assert!(err.contains("not a number of hours"), "{err}");
    // The estimate must say how it was made.
    let run = resolve("25", None);
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    assert!(run.stderr.contains("--note"), "{}", run.stderr);

    let out = resolve(
        "25",
        Some("the 2017/18 returns are on paper in three archives"),
    )
    .ok();
    assert!(
        out.contains("refused under section 12 on an estimate of 25 hours"),
        "{out}"
    );
    // The old draft still blocks until drafted again.
    assert!(
        app.run(&["request", "approve", "FOI-23"])
            .fails()
            .contains("blocking finding")
    );
    let drafted = app.run(&["request", "draft", "FOI-23"]).ok();
    assert!(!drafted.contains("blocking finding"), "{drafted}");

    let view = json(&letter(&app, "FOI-23", "json"));
    assert_eq!(view["findings"], serde_json::json!([]));
    let rows = view["questions"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows[0]["decision"], "given");
    assert_eq!(rows[1]["basis"], "s12");
    assert!(
        view["bases"]
            .as_array()
            .expect("bases")
            .iter()
            .any(|b| b == "s12")
    );
    assert_eq!(view["holding"], "some");
    assert!(view["cost_limit"].is_null(), "only that part is refused");

    let md = letter(&app, "FOI-23", "md");
    assert!(md.contains("Not answered (section 12)"), "{md}");
    assert!(
        md.contains("We estimate that locating, retrieving and extracting the information asked for in question 1 for 2017/18 would take about 25 hours of staff time, more than the appropriate limit of 18 hours"),
        "{md}"
    );
    assert!(md.contains("refusal notice under section 17(5)"), "{md}");
    assert!(
        md.contains(
            "Advice and assistance (section 16): you may wish to narrow that part of your request"
        ),
        "{md}"
    );
    assert!(!md.contains("not yet decided"), "{md}");
    app.run(&["request", "approve", "FOI-23"]).ok();

    let shown = show(&app, "FOI-23");
    let r = &shown["resolutions"][0];
    assert_eq!(r["resolution"], "s12");
    assert_eq!(r["hours"], 25.0);
    assert_eq!(r["by"], "tester");
    assert_eq!(
        r["why"],
        "the 2017/18 returns are on paper in three archives"
    );
}

#[test]
fn asking_for_clarification_puts_the_case_on_hold_and_the_finding_stays_open_until_the_reply() {
    let app = council();
    request(&app, "FOI-24", "\"2017/18\"");
    app.run(&["request", "draft", "FOI-24", "--as-of", "2019-06-12"])
        .ok();
    let run = app.run(&[
        "request",
        "resolve",
        "FOI-24",
        "--finding",
        "1",
        "--clarify",
    ]);
    assert_eq!(run.code, 2, "--note is required: {}", run.stderr);
    let out = app
        .run(&[
            "request",
            "resolve",
            "FOI-24",
            "--finding",
            "1",
            "--clarify",
            "--note",
            "Do you mean people in treatment for crack only, or with opiates too?",
            "--as-of",
            "2019-06-12",
        ])
        .ok();
    assert!(out.contains("on hold for clarification"), "{out}");
    assert!(out.contains("lantern request clarified FOI-24"), "{out}");

    let shown = show(&app, "FOI-24");
    assert_eq!(shown["status"], "clarification_sought");
    assert_eq!(shown["deadline"]["on_hold"], true, "{shown:#}");
    // The finding is still open, in the draft the case keeps.
    assert_eq!(shown["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(shown["resolutions"][0]["resolution"], "seek_clarification");
    let history = shown["history"].as_array().expect("history");
    let held = history
        .iter()
        .find(|e| e["action"] == "seek_clarification")
        .expect("the clock action is in the history");
    assert_eq!(held["actor"], "tester");
    assert!(
        held["note"]
            .as_str()
            .is_some_and(|n| n.contains("finding 1") && n.contains("opiates too")),
        "{held}"
    );
    let err = app.run(&["request", "approve", "FOI-24"]).fails();
    assert!(err.contains("FOI-24"), "{err}");

    // The reply: the clock starts again; drafted again, the figure is still
    // not loaded, so the finding is open again.
    app.run(&["request", "clarified", "FOI-24", "--on", "2019-06-20"])
        .ok();
    assert_eq!(show(&app, "FOI-24")["status"], "received");
    let drafted = app
        .run(&["request", "draft", "FOI-24", "--as-of", "2019-06-21"])
        .ok();
    assert!(drafted.contains("1 blocking finding(s)"), "{drafted}");
}

#[test]
fn a_withdrawn_declaration_brings_the_finding_back_and_stops_the_approved_letter() {
    let app = council();
    request(&app, "FOI-25", "\"2017/18\"");
    app.run(&["request", "draft", "FOI-25"]).ok();
    let before = app.data_version();
    app.run(&[
        "request",
        "resolve",
        "FOI-25",
        "--finding",
        "1",
        "--not-held",
        "--reason",
        "No figures were collected for 2017/18.",
    ])
    .ok();
    let declared = app.data_version();
    assert!(declared > before, "a declaration is a new data version");
    app.run(&["request", "draft", "FOI-25"]).ok();
    assert!(letter(&app, "FOI-25", "md").contains("No figures were collected for 2017/18."));
    app.run(&["request", "approve", "FOI-25"]).ok();

    let listed = json(&app.run(&["request", "declarations", "--json"]).ok());
    let listed = listed.as_array().expect("declarations");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["case"], "FOI-25");
    assert_eq!(listed[0]["declared_by"], "tester");
    assert_eq!(listed[0]["in_force_from"], declared);
    assert!(listed[0]["withdrawn"].is_null());
    let id = listed[0]["id"].as_i64().expect("id").to_string();

    let err = app
        .run(&["request", "withdraw-declaration", &id, "--reason", " "])
        .fails();
    assert!(err.contains("say why"), "{err}");
    let out = app
        .run(&[
            "request",
            "withdraw-declaration",
            &id,
            "--reason",
            "The 2017/18 figures were found in the provider's archive.",
        ])
        .ok();
    assert!(
        out.contains(&format!("declaration {id} withdrawn")),
        "{out}"
    );
    let withdrawn = app.data_version();
    let err = app
        .run(&["request", "withdraw-declaration", &id, "--reason", "again"])
        .fails();
    assert!(err.contains("already withdrawn"), "{err}");
    let listed = json(&app.run(&["request", "declarations", "--json"]).ok());
    assert_eq!(
        listed[0]["withdrawn"]["reason"],
        "The 2017/18 figures were found in the provider's archive."
    );
    assert_eq!(listed[0]["withdrawn"]["by"], "tester");
    assert!(
        app.run(&["request", "declarations"])
            .ok()
            .contains("WITHDRAWN by tester")
    );

    // The approved letter relied on it: flagged, and not sent unchanged.
    let list = app.run(&["request", "list"]).ok();
    assert!(list.contains("[declaration withdrawn: re-draft]"), "{list}");
    let shown = app.run(&["request", "show", "FOI-25"]).ok();
    assert!(
        shown.contains("Declaration withdrawn: re-draft."),
        "{shown}"
    );
    assert!(shown.contains("found in the provider's archive"), "{shown}");
    assert!(
        shown.contains("withdraw_declaration"),
        "in the history: {shown}"
    );
    let err = app.run(&["request", "send", "FOI-25"]).fails();
    assert!(err.contains("cannot be sent unchanged"), "{err}");
    assert!(err.contains(&format!("not-held declaration {id}")), "{err}");

    // Letters are reproducible by data version: at the version it was made
    // in, the declaration answers; before it and after its withdrawal, the
    // row is a blocking finding again.
    let answer = |version: i64| {
        app.run(&[
            "answer",
            "FOI-25.toml",
            "--data-version",
            &version.to_string(),
        ])
    };
    let at_declared = answer(declared);
    assert_eq!(at_declared.code, 0, "{}", at_declared.stderr);
    assert!(
        at_declared
            .stdout
            .contains("No figures were collected for 2017/18.")
    );
    assert!(at_declared.stdout.contains("section 1(1)"));
    for version in [before, withdrawn] {
        let run = answer(version);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !run.stdout.contains("No figures were collected"),
            "{version}: {}",
            run.stdout
        );
        assert!(
            run.stderr.contains("blocking finding 1"),
            "{version}: {}",
            run.stderr
        );
    }

    // Drafted again, the finding is back and approval is refused.
    app.run(&["request", "start", "FOI-25"]).ok();
    let drafted = app.run(&["request", "draft", "FOI-25"]).ok();
    assert!(drafted.contains("1 blocking finding(s)"), "{drafted}");
    assert!(
        app.run(&["request", "approve", "FOI-25"])
            .fails()
            .contains("finding 1:")
    );
    let list = app.run(&["request", "list"]).ok();
    assert!(!list.contains("declaration withdrawn"), "{list}");
}

#[test]
fn a_whole_request_over_the_cost_limit_prints_the_hours_as_estimated() {
    let app = council();
    app.write(
        "FOI-26.toml",
        "reference = \"FOI-26\"\nreceived = 2019-06-10\n\n[[question]]\nnumber = \"1\"\n\
         text = \"Every record since 2010?\"\nindicator = \"people_in_treatment\"\n\
         periods = [\"2016/17\"]\nestimate_hours = 20\n",
    );
    let md = app.run(&["answer", "FOI-26.toml"]).ok();
    assert!(
        md.contains("would take about 20 hours of staff time"),
        "{md}"
    );
}

/// Estimates for parts of one request are taken together (the Fees
/// Regulations: the 18 hours apply to the total): 12 hours for one year
/// alone is within the limit, so the finding stays open; 10 more for
/// another year makes 22, and both years are refused under section 12 in
/// one paragraph naming both, with advice on narrowing.
#[test]
fn s12_estimates_on_one_request_are_added_up() {
    let app = council();
    request(&app, "FOI-25", "\"2016/17\", \"2017/18\", \"2018/19\"");
    let drafted = app.run(&["request", "draft", "FOI-25"]).ok();
    assert!(drafted.contains("2 blocking finding(s)"), "{drafted}");
    let resolve = |finding: &str, hours: &str| {
        app.run(&[
            "request",
            "resolve",
            "FOI-25",
            "--finding",
            finding,
            "--cost-estimate",
            hours,
            "--note",
            "paper returns in the archive",
        ])
        .ok()
    };
    let out = resolve("1", "12");
    assert!(out.contains("together exceed the cost limit"), "{out}");
    let drafted = app.run(&["request", "draft", "FOI-25"]).ok();
    assert!(drafted.contains("2 blocking finding(s)"), "{drafted}");
    let view = json(&letter(&app, "FOI-25", "json"));
    assert!(
        view["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("total 12 hours"))),
        "{view:#}"
    );
    // The second finding (2018/19) now reads as finding 2 again.
    resolve("2", "10");
    let drafted = app.run(&["request", "draft", "FOI-25"]).ok();
    assert!(!drafted.contains("blocking finding"), "{drafted}");
    let md = letter(&app, "FOI-25", "md");
    assert!(
        md.contains("asked for in question 1 for 2017/18 and 2018/19 would take about 22 hours"),
        "{md}"
    );
    assert!(md.contains("Advice and assistance (section 16)"), "{md}");
    app.run(&["request", "approve", "FOI-25"]).ok();
}
