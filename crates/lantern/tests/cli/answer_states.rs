//! Data states: the same kind of request answered over different states of
//! what the council holds, each built from files in a real database through
//! the built binary, with the decision and letter text each state must get.
//! Not held is a recorded fact, never an absence; an e-mail taken in twice
//! is one case; an earlier answer covers only the figures it gave.

use serde_json::Value;

use crate::{TestApp, example};

const FIGURES_HEADER: &str =
    "indicator,area,period,crack,age_band,value,qualifier,reason,source,status";

/// A fresh database with the Leicester council details and `figures` (CSV
/// rows after the header) imported.
fn council(figures: &str) -> TestApp {
    let app = TestApp::empty();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    app.run(&["init"]).ok();
    app.write("figures.csv", &format!("{FIGURES_HEADER}\n{figures}"));
    app.run(&["import", "figures", "figures.csv"]).ok();
    app
}

/// A request for people in treatment for crack over `periods`.
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

fn letter_json(app: &TestApp, reference: &str) -> Value {
    serde_json::from_str(&letter(app, reference, "json")).expect("letter json")
}

const TWO_YEARS: &str = "people_in_treatment,E06000016,2016/17,crack,,51,,,ndtms_partnership,final";

#[test]
fn a_missing_figure_is_a_blocking_finding_approval_is_refused_and_nothing_says_not_held() {
    let app = council(TWO_YEARS);
    request(&app, "FOI-1", "\"2016/17\", \"2017/18\"");
    let drafted = app.run(&["request", "draft", "FOI-1"]).ok();
    assert!(drafted.contains("1 blocking finding(s)"), "{drafted}");
    assert!(
        drafted.contains("no figure of people_in_treatment for E06000016, 2017/18"),
        "{drafted}"
    );
    assert!(
        drafted.contains("lantern request resolve FOI-1 --finding 1 --not-held"),
        "the ways forward name the command: {drafted}"
    );

    let view = letter_json(&app, "FOI-1");
    let findings = view["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["period"], "2017/18");
    assert_eq!(findings[0]["breakdown"], "crack=crack");
    let ways: Vec<&str> = findings[0]["ways_forward"]
        .as_array()
        .expect("ways")
        .iter()
        .map(|w| w["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        ways,
        [
            "load",
            "record_not_held",
            "seek_clarification",
            "cost_estimate"
        ]
    );
    let rows = view["questions"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows[0]["decision"], "given");
    assert_eq!(rows[1]["decision"], "missing");
    assert!(
        !view["bases"]
            .as_array()
            .expect("bases")
            .iter()
            .any(|b| b == "s1_1")
    );

    // The letter says nothing is not held; the JSON's only mention is the
    // way forward offered to the officer.
    assert!(rows.iter().all(|r| r["decision"] != "not_held"));
    assert_eq!(view["questions"][0]["notices"], serde_json::json!([]));
    for format in ["md", "html"] {
        let text = letter(&app, "FOI-1", format).to_lowercase();
        assert!(!text.contains("not held"), "{format}: {text}");
        assert!(!text.contains("does not hold"), "{format}: {text}");
        assert!(!text.contains("section 1(1)"), "{format}: {text}");
    }

    let err = app.run(&["request", "approve", "FOI-1"]).fails();
    assert!(err.contains("cannot be approved"), "{err}");
    assert!(err.contains("finding 1:"), "{err}");
    assert!(err.contains("2017/18"), "{err}");
    assert!(
        err.contains("lantern request resolve FOI-1 --finding N --not-held"),
        "{err}"
    );
    let shown = app.run(&["request", "show", "FOI-1"]).ok();
    assert!(
        shown.contains("Blocking findings in the draft (1)"),
        "{shown}"
    );
    assert!(shown.contains("(drafted)"), "still drafted: {shown}");

    // Loading the figure is a way forward: drafted again, nothing is open.
    app.write(
        "more.csv",
        &format!(
            "{FIGURES_HEADER}\npeople_in_treatment,E06000016,2017/18,crack,,44,,,ndtms_partnership,final"
        ),
    );
    app.run(&["import", "figures", "more.csv"]).ok();
    let drafted = app.run(&["request", "draft", "FOI-1"]).ok();
    assert!(!drafted.contains("blocking"), "{drafted}");
    app.run(&["request", "approve", "FOI-1"]).ok();
}

#[test]
fn a_figure_recorded_not_held_is_refused_under_s1_1_with_its_reason() {
    let app = council(&format!(
        "{TWO_YEARS}\npeople_in_treatment,E06000016,2017/18,crack,,,not_held,The provider's system was replaced that year and its figures were lost.,ndtms_partnership,final"
    ));
    request(&app, "FOI-2", "\"2016/17\", \"2017/18\"");
    let drafted = app.run(&["request", "draft", "FOI-2"]).ok();
    assert!(!drafted.contains("blocking"), "{drafted}");
    let view = letter_json(&app, "FOI-2");
    assert_eq!(view["findings"], serde_json::json!([]));
    let rows = view["questions"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows[1]["decision"], "not_held");
    assert_eq!(rows[1]["basis"], "s1_1");
    let md = letter(&app, "FOI-2", "md");
    assert!(
        md.contains("The provider's system was replaced that year"),
        "{md}"
    );
    assert!(md.contains("section 1(1)"), "{md}");
    app.run(&["request", "approve", "FOI-2"]).ok();
}

#[test]
fn the_officer_records_not_held_with_a_reason_and_the_history_says_who_and_why() {
    let app = council(TWO_YEARS);
    request(&app, "FOI-3", "\"2016/17\", \"2017/18\"");
    app.run(&["request", "draft", "FOI-3"]).ok();
    let err = app
        .run(&[
            "request",
            "resolve",
            "FOI-3",
            "--finding",
            "2",
            "--not-held",
            "--reason",
            "x",
        ])
        .fails();
    assert!(err.contains("no finding 2 (its findings are 1)"), "{err}");
    let err = app
        .run(&[
            "request",
            "resolve",
            "FOI-3",
            "--finding",
            "1",
            "--not-held",
            "--reason",
            "  ",
        ])
        .fails();
    assert!(err.contains("give the reason"), "{err}");
    let out = app
        .run(&[
            "request",
            "resolve",
            "FOI-3",
            "--finding",
            "1",
            "--not-held",
            "--reason",
            "Treatment in 2017/18 was commissioned by the county council.",
            "--held-by",
            "Leicestershire County Council",
            "--note",
            "confirmed with the commissioning team",
        ])
        .ok();
    assert!(out.contains("Draft it again"), "{out}");
    // Until drafted again the old draft still blocks approval.
    let err = app.run(&["request", "approve", "FOI-3"]).fails();
    assert!(err.contains("blocking finding"), "{err}");
    app.run(&["request", "draft", "FOI-3"]).ok();
    let md = letter(&app, "FOI-3", "md");
    assert!(
        md.contains("Treatment in 2017/18 was commissioned by the county council."),
        "{md}"
    );
    assert!(md.contains("section 1(1)"), "{md}");
    assert!(
        md.contains("Advice and assistance (section 16): Leicestershire County Council"),
        "{md}"
    );
    app.run(&["request", "approve", "FOI-3"]).ok();
    let shown: Value =
        serde_json::from_str(&app.run(&["request", "show", "FOI-3", "--json"]).ok()).expect("json");
    let resolution = &shown["resolutions"][0];
    assert_eq!(resolution["by"], "tester");
    assert_eq!(resolution["why"], "confirmed with the commissioning team");
    assert_eq!(resolution["resolution"], "not_held");
    let history = shown["history"].as_array().expect("history");
    let resolve = history
        .iter()
        .find(|e| e["action"] == "resolve")
        .expect("a resolve entry in the history");
    assert_eq!(resolve["actor"], "tester");
    assert!(
        resolve["note"]
            .as_str()
            .is_some_and(|n| n.contains("confirmed with the commissioning team"))
    );

    // The officer's declaration was for this case only: another request for
    // the same figure is a finding again.
    request(&app, "FOI-4", "\"2017/18\"");
    let drafted = app.run(&["request", "draft", "FOI-4"]).ok();
    assert!(drafted.contains("1 blocking finding(s)"), "{drafted}");
}

#[test]
fn a_council_wide_declaration_answers_later_requests_too() {
    let app = council(TWO_YEARS);
    request(&app, "FOI-5", "\"2017/18\"");
    app.run(&["request", "draft", "FOI-5"]).ok();
    app.run(&[
        "request",
        "resolve",
        "FOI-5",
        "--finding",
        "1",
        "--not-held",
        "--reason",
        "No figures were collected for 2017/18.",
        "--council-wide",
    ])
    .ok();
    request(&app, "FOI-6", "\"2017/18\"");
    let drafted = app.run(&["request", "draft", "FOI-6"]).ok();
    assert!(!drafted.contains("blocking"), "{drafted}");
    assert!(letter(&app, "FOI-6", "md").contains("No figures were collected for 2017/18."));
}

const EMAIL: &str = "From: A Person <a.person@example.org>\r\n\
To: foi@leicester.gov.uk\r\n\
Subject: FOI request\r\n\
Date: Mon, 10 Jun 2019 09:00:00 +0100\r\n\
Message-ID: <abc123@example.org>\r\n\
\r\n\
Dear Sir or Madam,\r\n\
\r\n\
How many people were in treatment for crack cocaine in 2017/18?\r\n\
\r\n\
Yours faithfully,\r\n\
A Person\r\n";

#[test]
fn an_email_taken_in_twice_is_the_same_case_not_a_new_one_or_a_repeat() {
    let app = council(TWO_YEARS);
    app.write("request.eml", EMAIL);
    let first: Value =
        serde_json::from_str(&app.run(&["request", "new", "request.eml", "--json"]).ok())
            .expect("json");
    let reference = first["reference"].as_str().expect("reference").to_string();
    assert_eq!(first["already_taken_in"], false);

    let again = app.run(&["request", "new", "request.eml"]).ok();
    assert!(
        again.contains(&format!("already taken in as {reference}")),
        "{again}"
    );
    assert!(again.contains("no new case was opened"), "{again}");
    assert!(!again.contains("14(2)"), "{again}");

    // Forwarded again without its Message-ID: the same sender and body.
    let resent = EMAIL.replace("Message-ID: <abc123@example.org>\r\n", "");
    app.write("resent.eml", &resent);
    let json: Value =
        serde_json::from_str(&app.run(&["request", "new", "resent.eml", "--json"]).ok())
            .expect("json");
    assert_eq!(json["already_taken_in"], true);
    assert_eq!(json["reference"], reference.as_str());
    assert_eq!(json["related"], serde_json::json!([]));

    let listed: Value =
        serde_json::from_str(&app.run(&["request", "list", "--json"]).ok()).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    // A different request from the same person is a new case.
    app.write(
        "other.eml",
        &EMAIL
            .replace("abc123", "def456")
            .replace("2017/18", "2016/17"),
    );
    let other: Value =
        serde_json::from_str(&app.run(&["request", "new", "other.eml", "--json"]).ok())
            .expect("json");
    assert_eq!(other["already_taken_in"], false);
    assert_ne!(other["reference"], reference.as_str());
}

#[test]
fn an_answer_that_withheld_a_figure_is_not_offered_as_covering_it() {
    // 2018/19 is withheld under s22 (a release will publish it); 2016/17 is given.
    let app = council(TWO_YEARS);
    app.write(
        "releases.csv",
        "code,title,publisher,date,announced,indicators,periods,url\n\
         ndtms_2018_19,Adult substance misuse treatment statistics 2018 to 2019,OHID,2019-11-07,,people_in_treatment,2018/19,https://example.org/stats\n",
    );
    app.run(&["import", "releases", "releases.csv"]).ok();
    request(&app, "FOI-7", "\"2016/17\", \"2018/19\"");
    // Decided and sent in June 2019, before the release.
    let day = ["--as-of", "2019-06-28"];
    app.run(&["request", "draft", "FOI-7", day[0], day[1]]).ok();
    let drafted = letter_json(&app, "FOI-7");
    let rows = drafted["questions"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows[0]["decision"], "given");
    assert_eq!(rows[1]["basis"], "s22");
    app.run(&["request", "approve", "FOI-7", day[0], day[1]])
        .ok();
    app.run(&["request", "send", "FOI-7", day[0], day[1]]).ok();

    // The same figures asked again: only 2016/17 was given, so only it is covered.
    let file = "FOI-8.toml";
    app.write(
        file,
        "reference = \"FOI-8\"\nreceived = 2019-07-01\n\n[[question]]\nnumber = \"1\"\n\
         text = \"How many people were in treatment for crack?\"\nindicator = \"people_in_treatment\"\n\
         filter = { crack = \"crack\" }\nperiods = [\"2018/19\"]\n",
    );
    let out = app
        .run(&["request", "new", file, "--requester", "B Person", "--json"])
        .ok();
    let json: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        json["covered_by"],
        serde_json::json!([]),
        "a figure withheld under s22 is not covered: {json}"
    );
    let text = app.run(&["request", "show", "FOI-8"]).ok();
    assert!(!text.contains("section 21 may apply"), "{text}");

    app.write(
        "FOI-9.toml",
        "reference = \"FOI-9\"\nreceived = 2019-07-01\n\n[[question]]\nnumber = \"1\"\n\
         text = \"How many people were in treatment for crack?\"\nindicator = \"people_in_treatment\"\n\
         filter = { crack = \"crack\" }\nperiods = [\"2016/17\"]\n",
    );
    let json: Value = serde_json::from_str(
        &app.run(&[
            "request",
            "new",
            "FOI-9.toml",
            "--requester",
            "C Person",
            "--json",
        ])
        .ok(),
    )
    .expect("json");
    assert_eq!(json["covered_by"][0]["reference"], "FOI-7", "{json}");
}

#[test]
fn every_withheld_count_says_why_in_the_officers_view_and_the_json() {
    // 40 in treatment for crack in 2017/18: 27 men, 10 women, 3 other.
    let app = council("people_in_treatment,E06000016,2017/18,crack,,40,,,ndtms_partnership,final");
    app.write(
        "by-sex.csv",
        "indicator,area,period,crack,sex,value,source,status\n\
         people_in_treatment,E06000016,2017/18,crack,male,27,ndtms_partnership,final\n\
         people_in_treatment,E06000016,2017/18,crack,female,10,ndtms_partnership,final\n\
         people_in_treatment,E06000016,2017/18,crack,other,3,ndtms_partnership,final\n",
    );
    app.run(&["import", "figures", "by-sex.csv"]).ok();
    app.write(
        "FOI-10.toml",
        "reference = \"FOI-10\"\nreceived = 2019-06-10\n\n[[question]]\nnumber = \"1\"\n\
         text = \"How many in total?\"\nindicator = \"people_in_treatment\"\n\
         filter = { crack = \"crack\" }\nperiods = [\"2017/18\"]\n\n[[question]]\nnumber = \"2\"\n\
         text = \"By sex?\"\nindicator = \"people_in_treatment\"\n\
         filter = { crack = \"crack\" }\nperiods = [\"2017/18\"]\nbreakdown = [\"sex\"]\n",
    );
    app.run(&["request", "new", "FOI-10.toml"]).ok();
    let drafted = app.run(&["request", "draft", "FOI-10"]).ok();
    assert!(
        drafted.contains("Withheld under section 40(2), and why:"),
        "{drafted}"
    );
    assert!(
        drafted.contains("primary: the count is between 1 and 4"),
        "{drafted}"
    );
    let view = letter_json(&app, "FOI-10");
    let mut why: Vec<(String, String)> = Vec::new();
    for q in view["questions"].as_array().expect("questions") {
        for r in q["rows"].as_array().expect("rows") {
            if r["decision"] == "suppressed" {
                let w = &r["withheld_because"];
                why.push((
                    w["kind"].as_str().expect("kind").to_string(),
                    w["text"].as_str().expect("text").to_string(),
                ));
            } else {
                assert!(r.get("withheld_because").is_none(), "{r}");
            }
        }
    }
    assert!(why.iter().any(|(k, _)| k == "primary"), "{why:?}");
    let secondary: Vec<&(String, String)> = why.iter().filter(|(k, _)| k != "primary").collect();
    assert!(
        !secondary.is_empty(),
        "40 - 27 - 10 would give the 3: {why:?}"
    );
    for (kind, text) in secondary {
        assert!(
            ["total", "margin"].contains(&kind.as_str()),
            "{kind}: {text}"
        );
        assert!(text.contains("sex=other]"), "names the small count: {text}");
    }
    // The letter itself keeps to the section 40(2) wording.
    assert!(!letter(&app, "FOI-10", "md").contains("primary:"));
}
