//! Data states of the publication calendar, each built from files on the
//! Leicester example's database: a request is decided on the day of the
//! council's decision (`--as-of`), not the day it arrived. A release still
//! to come is section 22 with the real distance to publication; one that
//! has come gives the figure held, or offers section 21 with a blocking
//! finding when the figure is not loaded (never "not held"), which the
//! officer may settle by accepting the referral; a release that slips, is
//! withdrawn, or whose date passes, after a draft flags that draft in
//! `request list` and `show` and stops it being approved or sent.

use serde_json::Value;

use crate::{TestApp, example, notice, question, row};

/// A request for people in treatment for crack cocaine in `period`.
fn crack_request(app: &TestApp, name: &str, reference: &str, received: &str, period: &str) {
    app.write(
        name,
        &format!(
            "reference = \"{reference}\"\nreceived = {received}\n\n[[question]]\nnumber = \"1\"\n\
             text = \"How many people were in treatment for crack cocaine in {period}?\"\n\
             indicator = \"people_in_treatment\"\nfilter = {{ crack = \"crack\" }}\nperiods = [\"{period}\"]\n"
        ),
    );
}

fn answer(app: &TestApp, file: &str, as_of: &str, format: &str) -> String {
    app.run(&["answer", file, "--format", format, "--as-of", as_of])
        .ok()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

/// The example's calendar with the 2018/19 annual release moved to `date`.
fn calendar_with_2018_19_on(app: &TestApp, date: &str) {
    let calendar = std::fs::read_to_string(example("releases.csv")).expect("example releases");
    assert!(calendar.contains(",2019-11-07,"));
    app.write(
        "moved.csv",
        &calendar.replace(",2019-11-07,", &format!(",{date},")),
    );
    app.run(&["import", "releases", "moved.csv"]).ok();
}

#[test]
fn a_release_to_come_on_the_decision_day_is_section_22_and_once_passed_the_figure_is_given() {
    let app = TestApp::leicester();
    // Received before the 2017/18 statistics came out (1 November 2018).
    crack_request(&app, "q.toml", "FOI-2018-0100", "2018-10-15", "2017/18");

    let before = answer(&app, "q.toml", "2018-10-25", "json");
    let q1 = question(&json(&before), "1", None).clone();
    assert_eq!(row(&q1, "2017/18")["basis"], "s22");
    assert_eq!(
        notice(&q1, "s22").expect("s22 notice")["release"]["date"],
        "2018-11-01"
    );
    let letter = answer(&app, "q.toml", "2018-10-25", "md");
    assert!(letter.contains("will publish them in"), "{letter}");
    assert!(
        letter.contains("Publication is 7 days away, so the public interest in knowing the figures will be met shortly."),
        "{letter}"
    );

    // The same request decided late, after the release: the figure held is
    // given, and nothing promises a publication that has happened.
    let late = json(&answer(&app, "q.toml", "2018-11-20", "json"));
    assert_eq!(late["request"]["decided"], "2018-11-20");
    let q1 = question(&late, "1", None);
    let given = row(q1, "2017/18");
    assert_eq!(given["decision"], "given", "{given:#}");
    assert_eq!(given["value"]["amount"], 44);
    assert_eq!(late["findings"], serde_json::json!([]));
    let letter = answer(&app, "q.toml", "2018-11-20", "md");
    assert!(!letter.contains("will publish"), "{letter}");
    assert!(!letter.contains("section 22"), "{letter}");
}

#[test]
fn a_release_passed_but_not_loaded_offers_section_21_blocks_approval_and_never_says_not_held() {
    let app = TestApp::leicester();
    // 2018/19 was published on 7 November 2019; the example holds no
    // 2018/19 figure for crack.
    crack_request(&app, "q.toml", "FOI-2019-0900", "2019-10-20", "2018/19");
    app.run(&["request", "new", "q.toml"]).ok();
    let drafted = app.run(&["request", "draft", "FOI-2019-0900", "--as-of", "2019-11-20"]);
    assert_eq!(drafted.code, 0, "{}", drafted.stderr);
    assert!(
        drafted
            .stderr
            .contains("was published on 2019-11-07 but is not loaded"),
        "{}",
        drafted.stderr
    );
    let draft = json(
        &app.run(&["request", "letter", "FOI-2019-0900", "--json"])
            .ok(),
    );
    let q1 = question(&draft, "1", None);
    let offered = row(q1, "2018/19");
    assert_eq!(offered["basis"], "s21", "{offered:#}");
    let s21 = notice(q1, "s21").expect("s21 notice");
    assert_eq!(s21["release"]["code"], "ndtms_annual_2018_19");
    let findings = draft["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["question"], "1");
    assert!(
        findings[0]["what"]
            .as_str()
            .is_some_and(|w| w.contains("https://www.gov.uk/government/collections/alcohol-and-drug-misuse-and-treatment-statistics")),
        "{findings:#?}"
    );
    let text = serde_json::to_string(&draft).expect("json");
    assert!(!text.contains("\"decision\":\"not_held\""), "{text}");
    assert_eq!(draft["bases"], serde_json::json!(["s21"]));
    let letter = app
        .run(&["request", "letter", "FOI-2019-0900", "--format", "md"])
        .ok();
    assert!(!letter.to_lowercase().contains("not hold"), "{letter}");
    assert!(letter.contains("section 21"), "{letter}");

    let err = app
        .run(&[
            "request",
            "approve",
            "FOI-2019-0900",
            "--as-of",
            "2019-11-20",
        ])
        .fails();
    assert!(err.contains("cannot be approved"), "{err}");
    assert!(err.contains("blocking finding"), "{err}");
    assert!(
        err.contains("people_in_treatment for E06000016, 2018/19"),
        "{err}"
    );
    assert!(
        err.contains("refers the requester there under section 21"),
        "{err}"
    );

    // Loading the published figure settles it: the figure is given.
    app.write(
        "loaded.csv",
        "indicator,area,period,crack,value,source,status\n\
         people_in_treatment,E06000016,2018/19,crack,47,ndtms_partnership,final\n",
    );
    app.run(&["import", "figures", "loaded.csv"]).ok();
    app.run(&["request", "start", "FOI-2019-0900", "--as-of", "2019-11-21"])
        .ok();
    app.run(&["request", "draft", "FOI-2019-0900", "--as-of", "2019-11-21"])
        .ok();
    let draft = json(
        &app.run(&["request", "letter", "FOI-2019-0900", "--json"])
            .ok(),
    );
    assert_eq!(
        row(question(&draft, "1", None), "2018/19")["value"]["amount"],
        47
    );
    assert_eq!(draft["findings"], serde_json::json!([]));
    app.run(&[
        "request",
        "approve",
        "FOI-2019-0900",
        "--as-of",
        "2019-11-21",
    ])
    .ok();
}

#[test]
fn a_release_that_slips_after_approval_stops_the_send_until_the_case_is_redrafted() {
    let app = TestApp::leicester();
    let seed = example("requests/seed-000.toml");
    app.run(&["request", "new", seed.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-05"])
            .ok();
    }
    calendar_with_2018_19_on(&app, "2019-12-05");
    let listed = app.run(&["request", "list", "--as-of", "2019-07-05"]).ok();
    let line = listed
        .lines()
        .find(|l| l.starts_with("FOI-2019-0412"))
        .expect("listed");
    assert!(line.contains("[release changed: re-draft]"), "{listed}");
    let shown = app
        .run(&["request", "show", "FOI-2019-0412", "--as-of", "2019-07-05"])
        .ok();
    assert!(shown.contains("Release changed: re-draft."), "{shown}");
    assert!(
        shown.contains("release ndtms_annual_2018_19 (\"Adult substance misuse treatment statistics 2018 to 2019\"), cited under section 22 in the draft, has moved from 2019-11-07 to 2019-12-05"),
        "{shown}"
    );
    let err = app
        .run(&["request", "send", "FOI-2019-0412", "--as-of", "2019-07-05"])
        .fails();
    assert!(err.contains("cannot be sent unchanged"), "{err}");
    assert!(err.contains("release ndtms_annual_2018_19"), "{err}");
    assert!(err.contains("moved from 2019-11-07 to 2019-12-05"), "{err}");
    assert!(err.contains("lantern request draft FOI-2019-0412"), "{err}");
    let shown = json(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    );
    assert_eq!(shown["status"], "approved", "nothing was sent");

    // Drafted again, the letter names the new date and can be sent.
    for step in ["start", "draft", "approve", "send"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-08"])
            .ok();
    }
    let letter = app
        .run(&["request", "letter", "FOI-2019-0412", "--format", "md"])
        .ok();
    assert!(letter.contains("on 5 December 2019"), "{letter}");
    assert!(!letter.contains("7 November 2019"), "{letter}");
    let listed = app.run(&["request", "list", "--as-of", "2019-07-08"]).ok();
    assert!(!listed.contains("release changed"), "sent: {listed}");
}

#[test]
fn a_release_withdrawn_from_the_calendar_no_longer_justifies_section_22_and_flags_the_drafts_citing_it()
 {
    let app = TestApp::leicester();
    let seed = example("requests/seed-000.toml");
    app.run(&["request", "new", seed.to_str().expect("path")])
        .ok();
    app.run(&["request", "draft", "FOI-2019-0412", "--as-of", "2019-07-05"])
        .ok();
    let list = |app: &TestApp| {
        json(
            &app.run(&["request", "list", "--json", "--as-of", "2019-07-05"])
                .ok(),
        )[0]
        .clone()
    };
    assert_eq!(list(&app)["release_changed"], false);
    let version = app.data_version();

    // A reason is required, and the code must be in the calendar.
    let err = app
        .run(&[
            "release",
            "withdraw",
            "ndtms_annual_2018_19",
            "--reason",
            " ",
        ])
        .fails();
    assert!(err.contains("say why the release is withdrawn"), "{err}");
    let err = app
        .run(&["release", "withdraw", "ndtms_2018", "--reason", "cancelled"])
        .fails();
    assert!(
        err.contains("there is no release 'ndtms_2018' in the publication calendar"),
        "{err}"
    );
    assert_eq!(app.data_version(), version, "nothing was written");

    let done = app
        .run(&[
            "release",
            "withdraw",
            "ndtms_annual_2018_19",
            "--reason",
            "PHE cancelled the 2018/19 annual release",
        ])
        .ok();
    assert!(
        done.contains("Withdrew release ndtms_annual_2018_19 from the publication calendar (by tester: PHE cancelled the 2018/19 annual release)"),
        "{done}"
    );
    assert!(app.data_version() > version, "a new data version");
    // Audited with who, when and why.
    let imports = json(&app.run(&["imports", "--json"]).ok());
    let last = imports.as_array().and_then(|i| i.last()).expect("imports");
    assert_eq!(last["kind"], "release_withdrawal", "{last:#}");
    assert_eq!(last["actor"], "tester", "{last:#}");
    app.run(&["export", "dump.jsonl"]).ok();
    let dump = std::fs::read_to_string(app.path("dump.jsonl")).expect("dump");
    let audit = dump
        .lines()
        .find(|l| l.contains("release.withdraw"))
        .expect("audit entry");
    assert!(
        audit.contains("PHE cancelled the 2018/19 annual release"),
        "{audit}"
    );
    assert!(audit.contains("tester"), "{audit}");

    // The draft citing it is flagged where the officer looks, and refused.
    assert_eq!(list(&app)["release_changed"], true);
    let shown = json(
        &app.run(&[
            "request",
            "show",
            "FOI-2019-0412",
            "--json",
            "--as-of",
            "2019-07-05",
        ])
        .ok(),
    );
    let changes = shown["release_changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(
        changes[0]
            .as_str()
            .is_some_and(|c| c.contains("release ndtms_annual_2018_19")
                && c.contains("has been withdrawn from the publication calendar")),
        "{changes:#?}"
    );
    let err = app
        .run(&[
            "request",
            "approve",
            "FOI-2019-0412",
            "--as-of",
            "2019-07-05",
        ])
        .fails();
    assert!(err.contains("cannot be approved unchanged"), "{err}");
    assert!(err.contains("has been withdrawn"), "{err}");

    // Drafted again, nothing cites the withdrawn release or section 22 for it.
    app.run(&["request", "start", "FOI-2019-0412", "--as-of", "2019-07-05"])
        .ok();
    app.run(&["request", "draft", "FOI-2019-0412", "--as-of", "2019-07-05"])
        .ok();
    let draft = json(
        &app.run(&["request", "letter", "FOI-2019-0412", "--json"])
            .ok(),
    );
    assert_ne!(row(question(&draft, "1", None), "2018/19")["basis"], "s22");
    assert!(
        !serde_json::to_string(&draft)
            .expect("json")
            .contains("ndtms_annual_2018_19"),
        "{draft:#}"
    );
    assert_eq!(list(&app)["release_changed"], false);

    // Imported again, the release is back in the calendar.
    app.run(&[
        "import",
        "releases",
        example("releases.csv").to_str().expect("path"),
    ])
    .ok();
    let again = json(&answer(
        &app,
        seed.to_str().expect("path"),
        "2019-07-05",
        "json",
    ));
    assert_eq!(row(question(&again, "1", None), "2018/19")["basis"], "s22");
}

#[test]
fn the_officer_can_accept_the_section_21_offer_and_the_next_draft_refers_without_a_finding() {
    let app = TestApp::leicester();
    crack_request(&app, "q.toml", "FOI-2019-0900", "2019-10-20", "2018/19");
    app.run(&["request", "new", "q.toml"]).ok();
    app.run(&["request", "draft", "FOI-2019-0900", "--as-of", "2019-11-20"])
        .ok();

    // Accepting needs a why, and cannot be mixed with a not-held reason.
    let refused = |args: &[&str]| {
        let r = app.run(args);
        assert_ne!(r.code, 0, "{}", r.stdout);
        r.stderr
    };
    let err = refused(&[
        "request",
        "resolve",
        "FOI-2019-0900",
        "--finding",
        "1",
        "--refer",
    ]);
    assert!(err.contains("--note"), "{err}");
    let err = refused(&[
        "request",
        "resolve",
        "FOI-2019-0900",
        "--finding",
        "1",
        "--refer",
        "--reason",
        "x",
        "--note",
        "y",
    ]);
    assert!(err.contains("cannot be used with"), "{err}");

    let done = app
        .run(&[
            "request",
            "resolve",
            "FOI-2019-0900",
            "--finding",
            "1",
            "--refer",
            "--note",
            "The requester can read it in the published tables",
        ])
        .ok();
    assert!(
        done.contains("referred to the publication under section 21"),
        "{done}"
    );
    let shown = json(
        &app.run(&["request", "show", "FOI-2019-0900", "--json"])
            .ok(),
    );
    let resolutions = shown["resolutions"].as_array().expect("resolutions");
    assert_eq!(resolutions.len(), 1, "{resolutions:#?}");
    assert_eq!(resolutions[0]["resolution"], "refer_s21");
    assert_eq!(resolutions[0]["by"], "tester");
    assert_eq!(
        resolutions[0]["why"],
        "The requester can read it in the published tables"
    );
    assert!(
        shown["history"]
            .as_array()
            .expect("history")
            .iter()
            .any(|e| e["action"] == "resolve"
                && e["note"].as_str().is_some_and(|n| n.contains("refer_s21"))),
        "{shown:#}"
    );

    // The next draft refers under section 21 with the address, no finding.
    let drafted = app.run(&["request", "draft", "FOI-2019-0900", "--as-of", "2019-11-20"]);
    assert_eq!(drafted.code, 0, "{}", drafted.stderr);
    assert!(!drafted.stderr.contains("blocking"), "{}", drafted.stderr);
    let draft = json(
        &app.run(&["request", "letter", "FOI-2019-0900", "--json"])
            .ok(),
    );
    assert_eq!(draft["findings"], serde_json::json!([]));
    let q1 = question(&draft, "1", None);
    assert_eq!(row(q1, "2018/19")["basis"], "s21");
    assert_eq!(
        notice(q1, "s21").expect("s21 notice")["release"]["url"],
        "https://www.gov.uk/government/collections/alcohol-and-drug-misuse-and-treatment-statistics"
    );
    let letter = app
        .run(&["request", "letter", "FOI-2019-0900", "--format", "md"])
        .ok();
    assert!(letter.contains("section 21"), "{letter}");
    assert!(
        letter.contains("https://www.gov.uk/government/collections/alcohol-and-drug-misuse-and-treatment-statistics"),
        "{letter}"
    );
    for step in ["approve", "send"] {
        app.run(&["request", step, "FOI-2019-0900", "--as-of", "2019-11-21"])
            .ok();
    }

    // A finding no release published offers nothing to refer to.
    crack_request(&app, "old.toml", "FOI-2019-0901", "2019-10-20", "2015/16");
    app.run(&["request", "new", "old.toml"]).ok();
    app.run(&["request", "draft", "FOI-2019-0901", "--as-of", "2019-11-20"])
        .ok();
    let err = app
        .run(&[
            "request",
            "resolve",
            "FOI-2019-0901",
            "--finding",
            "1",
            "--refer",
            "--note",
            "published",
        ])
        .fails();
    assert!(err.contains("finding 1 offers no publication"), "{err}");
}

#[test]
fn a_release_date_passing_between_approval_and_sending_stops_the_send() {
    let app = TestApp::leicester();
    let seed = example("requests/seed-000.toml");
    app.run(&["request", "new", seed.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-05"])
            .ok();
    }
    let err = app
        .run(&["request", "send", "FOI-2019-0412", "--as-of", "2019-11-08"])
        .fails();
    assert!(err.contains("release ndtms_annual_2018_19"), "{err}");
    assert!(err.contains("was published on 2019-11-07"), "{err}");
    // Sent before the date, the same draft goes.
    app.run(&["request", "send", "FOI-2019-0412", "--as-of", "2019-11-06"])
        .ok();
}

#[test]
fn the_public_interest_wording_follows_the_real_distance_to_publication() {
    let app = TestApp::leicester();
    let far = app.answer("seed-000", "md").ok();
    assert!(
        far.contains("Publication is about 4 months away, so the public interest in knowing the figures will be met within that time."),
        "{far}"
    );
    assert!(!far.contains("Publication is close"), "{far}");
    let config = example("lantern.toml");
    let seed = example("requests/seed-000.toml");
    let near = app
        .run(&[
            "--config",
            config.to_str().expect("path"),
            "answer",
            seed.to_str().expect("path"),
            "--as-of",
            "2019-10-29",
        ])
        .ok();
    assert!(
        near.contains("Publication is 9 days away, so the public interest in knowing the figures will be met shortly."),
        "{near}"
    );
}

#[test]
fn a_day_to_act_on_that_is_not_a_date_is_refused() {
    let app = TestApp::leicester();
    let err = app.run(&["request", "list", "--as-of", "5/7/2019"]).fails();
    assert!(err.contains("--as-of 5/7/2019"), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}
