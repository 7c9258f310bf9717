//! Councils held in the store, through the binary: a newcomer drafts after
//! the demo with no configuration file; two councils share one database,
//! each seeing only its own requests, log, settings and learned phrases; a
//! letter made before a settings change is made again identically.

use crate::{TestApp, example};

/// An e-mailed request with one question.
fn email(app: &TestApp, name: &str, question: &str) -> String {
    app.write(
        name,
        &format!(
            "Date: Mon, 3 Jun 2019 09:00:00 +0100\nFrom: Jo Bloggs <jo@example.org>\n\
             Subject: FOI request\n\nDear Sir or Madam,\n\n1) {question}\n\nKind regards,\nJo Bloggs\n"
        ),
    );
    name.to_string()
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).expect("JSON")
}

/// `lantern [--council CODE] ARGS`.
fn as_council(app: &TestApp, council: &str, args: &[&str]) -> crate::Run {
    let mut all = vec!["--council", council];
    all.extend_from_slice(args);
    app.run(&all)
}

#[test]
fn a_newcomer_drafts_after_the_demo_with_no_configuration_file() {
    let app = TestApp::leicester();
    assert!(!app.path("lantern.toml").exists());
    let ask = email(
        &app,
        "ask.eml",
        "How many people were in treatment for crack cocaine in 2017/18?",
    );
    let opened = json(&app.run(&["request", "new", &ask, "--json"]).ok());
    assert_eq!(opened["reference"], "FOI-2019-0001");
    let drafted = app.run(&["request", "draft", "FOI-2019-0001"]).ok();
    assert!(drafted.contains("now drafted"), "{drafted}");
    let letter = app.run(&["request", "letter", "FOI-2019-0001"]).ok();
    assert!(letter.contains("Leicester City Council"), "{letter}");
}

#[test]
fn two_councils_in_one_database_each_see_only_their_own() {
    let app = TestApp::leicester();
    let added = app
        .run(&[
            "council",
            "set",
            "leics",
            "--name",
            "Leicestershire County Council",
            "--area",
            "E10000018",
            "--email",
            "foi@leics.example",
            "--reference",
            "LCC/{year}/{seq:03}",
        ])
        .ok();
    assert!(
        added.contains("Council leics (Leicestershire County Council): added"),
        "{added}"
    );
    let listed = json(&app.run(&["council", "list", "--json"]).ok());
    let codes: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["E06000016", "leics"]);

    // With two councils, casework says which to choose.
    let err = app.run(&["request", "list"]).fails();
    assert!(
        err.contains("more than one council (E06000016, leics)") && err.contains("--council"),
        "{err}"
    );
    let err = as_council(&app, "rutland", &["request", "list"]).fails();
    assert!(
        err.contains("there is no council rutland in this database; it holds E06000016, leics"),
        "{err}"
    );

    // The city answers a request; the county takes in the same words.
    let ask = email(
        &app,
        "city.eml",
        "How many methadone programme participants were there in 2018/19?",
    );
    let city = json(&as_council(&app, "E06000016", &["request", "new", &ask, "--json"]).ok());
    assert_eq!(city["reference"], "FOI-2019-0001");
    let county = json(&as_council(&app, "leics", &["request", "new", &ask, "--json"]).ok());
    assert_eq!(
        county["reference"], "LCC/2019/001",
        "each council numbers its own"
    );
    assert_eq!(county["understood"], false);

    // The county teaches a phrase; only the county learns it.
    as_council(
        &app,
        "leics",
        &[
            "request",
            "correct",
            "LCC/2019/001",
            "--question",
            "1",
            "--phrase",
            "methadone programme participants",
            "--means",
            "people_in_treatment",
        ],
    )
    .ok();
    let learned = |council: &str| {
        json(&as_council(&app, council, &["request", "synonyms", "--json"]).ok())
            .as_array()
            .expect("list")
            .len()
    };
    assert_eq!((learned("leics"), learned("E06000016")), (1, 0));
    let again = email(
        &app,
        "again.eml",
        "How many methadone programme participants were there in 2016/17?",
    );
    let city_again =
        json(&as_council(&app, "E06000016", &["request", "new", &again, "--json"]).ok());
    assert_eq!(
        city_again["understood"], false,
        "the city was not taught it"
    );
    let county_again = json(&as_council(&app, "leics", &["request", "new", &again, "--json"]).ok());
    assert_eq!(county_again["understood"], true, "the county was");

    // The city's request is answered and logged; the county sees none of it.
    as_council(
        &app,
        "E06000016",
        &[
            "request",
            "correct",
            "FOI-2019-0001",
            "--question",
            "1",
            "--phrase",
            "methadone programme participants",
            "--means",
            "people_in_treatment",
        ],
    )
    .ok();
    // The city holds the figure asked for (a missing figure would block
    // approval: not held is never assumed).
    app.write(
        "total.csv",
        "indicator,area,period,value,source,status\npeople_in_treatment,E06000016,2017/18,1234,ndtms_partnership,final\n",
    );
    app.run(&["import", "figures", "total.csv"]).ok();
    // Answered in June 2019, before the 2018/19 figures were published.
    for step in ["draft", "approve", "send"] {
        as_council(
            &app,
            "E06000016",
            &["request", step, "FOI-2019-0001", "--as-of", "2019-06-20"],
        )
        .ok();
    }
    let cases = |council: &str| {
        json(&as_council(&app, council, &["request", "list", "--json"]).ok())
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["reference"].as_str().expect("reference").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(cases("E06000016"), ["FOI-2019-0001", "FOI-2019-0002"]);
    assert_eq!(cases("leics"), ["LCC/2019/001", "LCC/2019/002"]);
    let err = as_council(&app, "leics", &["request", "show", "FOI-2019-0001"]).fails();
    assert!(err.contains("there is no request FOI-2019-0001"), "{err}");
    let log = |council: &str| {
        json(&as_council(&app, council, &["log", "--json"]).ok())
            .as_array()
            .expect("log")
            .len()
    };
    assert!(log("E06000016") > 0);
    assert_eq!(log("leics"), 0);

    // Each council's own settings.
    let shown =
        |council: &str| json(&as_council(&app, council, &["council", "show", "--json"]).ok());
    assert_eq!(shown("E06000016")["name"], "Leicester City Council");
    assert_eq!(shown("leics")["name"], "Leicestershire County Council");
    assert_eq!(shown("leics")["areas"][0], "E10000018");
    assert_eq!(shown("leics")["email"], "foi@leics.example");
}

#[test]
fn a_letter_made_before_a_settings_change_is_made_again_identically() {
    let app = TestApp::leicester();
    let request = example("requests/seed-000.toml");
    let request = request.to_str().expect("path");
    let version = app.data_version().to_string();
    let before = app.run(&["answer", request]).ok();
    assert!(
        before.contains("Information Governance & Risk Team"),
        "{before}"
    );

    let changed = app
        .run(&[
            "council",
            "set",
            "E06000016",
            "--signature",
            "Head of Information Governance",
            "--signature",
            "Leicester City Council",
            "--team",
            "Information Governance Team",
        ])
        .ok();
    assert!(
        changed.contains("new settings at data version"),
        "{changed}"
    );

    let again = app
        .run(&["answer", request, "--data-version", &version])
        .ok();
    assert_eq!(again, before, "made again from data version {version}");
    let now = app.run(&["answer", request]).ok();
    assert!(now.contains("Head of Information Governance"), "{now}");
    assert_ne!(now, before);

    // The settings as they stood, and every version.
    let then = app
        .run(&["council", "show", "--data-version", &version, "--json"])
        .ok();
    assert_eq!(json(&then)["team"], "Information Governance & Risk Team");
    let history = json(&app.run(&["council", "show", "--history", "--json"]).ok());
    assert_eq!(history.as_array().expect("versions").len(), 2);
    // The change is audited like other data: listed as an import.
    let imports = app.run(&["imports"]).ok();
    assert!(imports.contains("council"), "{imports}");
}

#[test]
fn a_configuration_file_that_differs_from_the_store_is_obeyed_with_a_warning() {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write(
        "lantern.toml",
        &config.replace("threshold = 5", "threshold = 10"),
    );
    let request = example("requests/seed-000.toml");
    let run = app.run(&["answer", request.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: lantern.toml: [disclosure] threshold is '10', but the database holds '5' for council E06000016"
        ) && run.stderr.contains("lantern council set E06000016 --from-config"),
        "{}",
        run.stderr
    );
    // Stored as it says, the warning goes.
    let taken = app
        .run(&["council", "set", "E06000016", "--from-config"])
        .ok();
    assert!(
        taken.contains("new settings taken in") || taken.contains("new settings"),
        "{taken}"
    );
    let run = app.run(&["answer", request.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("warning: lantern.toml"),
        "{}",
        run.stderr
    );
    let shown = json(&app.run(&["council", "show", "--json"]).ok());
    assert_eq!(shown["threshold"], 10);
}

#[test]
fn init_takes_in_the_councils_settings_as_part_of_the_first_data_version() {
    let app = TestApp::empty();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    let out = app.run(&["init"]).ok();
    assert!(
        out.contains("Council E06000016 (Leicester City Council): settings taken in from lantern.toml at data version 1."),
        "{out}"
    );
    assert_eq!(app.data_version(), 1);
    // migrate finds nothing new to take in.
    let out = app.run(&["migrate"]).ok();
    assert!(!out.contains("Council"), "{out}");
}

/// A structured request about Leicester's people in treatment in the first
/// half of 2019/20, with `extra` lines for its question.
fn half_year_request(app: &TestApp, name: &str, reference: &str, extra: &str) -> String {
    app.write(
        name,
        &format!(
            "reference = \"{reference}\"\nreceived = 2021-06-01\narea = \"E06000016\"\n\n[[question]]\n\
             number = \"1\"\ntext = \"How many people were in treatment?\"\n\
             indicator = \"people_in_treatment\"\nperiods = [\"2019-04-01 to 2019-09-30\"]\n{extra}"
        ),
    );
    name.to_string()
}

fn suppressed_bands(letter_json: &str) -> usize {
    json(letter_json)["questions"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["decision"] == "suppressed")
        .count()
}

#[test]
fn one_councils_answers_protect_another_councils_about_the_same_area() {
    let app = TestApp::leicester();
    app.run(&[
        "council",
        "set",
        "leics",
        "--name",
        "Leicestershire County Council",
        "--area",
        "E10000018",
    ])
    .ok();
    let figures = app.write(
        "ages.csv",
        "indicator,area,period,age_band,value,source\n\
         people_in_treatment,E06000016,2019-04-01 to 2019-09-30,,60,ndtms_partnership\n\
         people_in_treatment,E06000016,2019-04-01 to 2019-09-30,18-24,3,ndtms_partnership\n\
         people_in_treatment,E06000016,2019-04-01 to 2019-09-30,25-29,10,ndtms_partnership\n\
         people_in_treatment,E06000016,2019-04-01 to 2019-09-30,30-34,12,ndtms_partnership\n\
         people_in_treatment,E06000016,2019-04-01 to 2019-09-30,35-39,15,ndtms_partnership\n\
         people_in_treatment,E06000016,2019-04-01 to 2019-09-30,40+,20,ndtms_partnership\n",
    );
    app.run(&["import", "figures", figures.to_str().expect("path")])
        .ok();
    // The county's request has the same reference as the city's: each
    // council numbers its own, and neither hides the other's answer.
    let total = half_year_request(&app, "total.toml", "FOI-A", "");
    let bands = half_year_request(&app, "bands.toml", "FOI-A", "breakdown = [\"age_band\"]\n");

    // Asked alone, the bands hide only the small one.
    as_council(&app, "leics", &["request", "new", &bands]).ok();
    as_council(&app, "leics", &["request", "draft", "FOI-A"]).ok();
    let alone = as_council(
        &app,
        "leics",
        &["request", "letter", "FOI-A", "--format", "json"],
    )
    .ok();
    assert_eq!(suppressed_bands(&alone), 1);
    as_council(&app, "leics", &["request", "start", "FOI-A"]).ok();

    // The city sends the total...
    as_council(&app, "E06000016", &["request", "new", &total]).ok();
    for step in ["draft", "approve", "send"] {
        as_council(&app, "E06000016", &["request", step, "FOI-A"]).ok();
    }
    // ...so the county's bands can no longer all be given: 60 minus four
    // bands would reveal the fifth.
    as_council(&app, "leics", &["request", "draft", "FOI-A"]).ok();
    let drafted = as_council(
        &app,
        "leics",
        &["request", "letter", "FOI-A", "--format", "json"],
    )
    .ok();
    assert_eq!(suppressed_bands(&drafted), 2, "{drafted}");
    // The county's own log stays its own.
    assert_eq!(
        as_council(&app, "leics", &["log", "--json"]).ok().trim(),
        "[]"
    );
}

#[test]
fn a_letter_made_before_a_template_change_is_made_again_identically() {
    let app = TestApp::leicester();
    let request = example("requests/seed-000.toml");
    let request = request.to_str().expect("path");
    let version = app.data_version();
    let before = app.run(&["answer", request]).ok();
    let ask = email(
        &app,
        "ask.eml",
        "How many people were in treatment for crack cocaine in 2017/18?",
    );
    app.run(&["request", "new", &ask]).ok();
    app.run(&["request", "draft", "FOI-2019-0001"]).ok();
    let drafted = app.run(&["request", "letter", "FOI-2019-0001"]).ok();
    let drafted_html = app
        .run(&["request", "letter", "FOI-2019-0001", "--format", "html"])
        .ok();
    let version = version.max(app.data_version());

    let listed = app.run(&["council", "template", "list"]).ok();
    assert!(listed.contains("letter.md.j2    default"), "{listed}");
    let shipped = app
        .run(&["council", "template", "show", "letter.md.j2"])
        .ok();
    assert!(shipped.contains("letter.request.reference"), "{shipped}");

    // A variable the letter does not have, and a syntax error: each refused
    // with its line and column, and nothing is saved.
    let lines = shipped.lines().count();
    let undefined = app.write(
        "undefined.md.j2",
        &format!("{shipped}\nAlso {{{{ letter.no_such_field }}}}\n"),
    );
    let refused = app
        .run(&[
            "council",
            "template",
            "set",
            "letter.md.j2",
            undefined.to_str().expect("path"),
        ])
        .fails();
    assert!(
        refused.contains(&format!("template letter.md.j2, line {}", lines + 2)),
        "{refused}"
    );
    assert!(refused.contains("column"), "{refused}");
    let broken = app.write("broken.html.j2", "<p>{% if %}</p>\n");
    let refused = app
        .run(&[
            "council",
            "template",
            "set",
            "letter.html.j2",
            broken.to_str().expect("path"),
        ])
        .fails();
    assert!(
        refused.contains("template letter.html.j2, line 1, column"),
        "{refused}"
    );
    assert_eq!(app.data_version(), version, "nothing saved");

    // The council's own template: a new data version from which letters use it.
    let own = app.write(
        "own.md.j2",
        &format!("Our reference: {{{{ letter.request.reference | md }}}}\n\n{shipped}"),
    );
    let set = app
        .run(&[
            "council",
            "template",
            "set",
            "letter.md.j2",
            own.to_str().expect("path"),
        ])
        .ok();
    assert!(set.contains("2 lines added"), "{set}");
    assert!(app.data_version() > version);
    let now = app.run(&["answer", request]).ok();
    assert!(now.starts_with("Our reference: "), "{now}");
    // Made again at the version before the change: identical.
    let again = app
        .run(&["answer", request, "--data-version", &version.to_string()])
        .ok();
    assert_eq!(again, before);
    // The drafted case's letter keeps the template of its draft's data version.
    assert_eq!(
        app.run(&["request", "letter", "FOI-2019-0001"]).ok(),
        drafted
    );
    assert_eq!(
        app.run(&["request", "letter", "FOI-2019-0001", "--format", "html"])
            .ok(),
        drafted_html
    );

    let listed = app.run(&["council", "template", "list"]).ok();
    assert!(listed.contains("letter.md.j2    own"), "{listed}");
    assert!(listed.contains("2 lines added"), "{listed}");
    // Audited like other data: listed as an import, with who.
    let imports = app.run(&["imports"]).ok();
    assert!(imports.contains("letter_template"), "{imports}");

    // Back to the default.
    let reverted = app
        .run(&["council", "template", "revert", "letter.md.j2"])
        .ok();
    assert!(reverted.contains("reverted to the default"), "{reverted}");
    let history = app
        .run(&["council", "template", "show", "letter.md.j2", "--history"])
        .ok();
    assert_eq!(history.lines().count(), 2, "{history}");
    assert!(
        !app.run(&["answer", request])
            .ok()
            .starts_with("Our reference")
    );
    let unchanged = app
        .run(&["council", "template", "revert", "letter.md.j2"])
        .ok();
    assert!(unchanged.contains("unchanged"), "{unchanged}");
}
