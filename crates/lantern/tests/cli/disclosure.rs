//! Disclosure control across every release, through the real casework flow
//! (request new, draft, approve, send): the differencing attacks that beat
//! the old defence are replayed, and after each sequence the disclosure log
//! is checked twice — by the attack itself, done by hand on `lantern log
//! --json`, and by `lantern log --audit` over the whole log.

use serde_json::Value;

use crate::{TestApp, example};

/// A fresh database with the Leicester council details and `figures`
/// (CSV body after the header) imported.
fn council(figures: &str) -> TestApp {
    let app = TestApp::empty();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    app.run(&["init"]).ok();
    app.write(
        "figures.csv",
        &format!(
            "indicator,area,period,crack,age_band,sex,substance_group,provider,value,source,status\n{figures}"
        ),
    );
    app.run(&["import", "figures", "figures.csv"]).ok();
    app
}

/// Record, as the council would, that it holds no figures for the age
/// bands other than those imported (for the total and each crack filter):
/// not held is a recorded fact, so the letters may say so.
fn other_age_bands_not_held(app: &TestApp, period: &str) {
    let mut csv =
        "indicator,area,period,crack,age_band,value,qualifier,reason,source,status\n".to_string();
    for crack in ["", "crack", "no_crack"] {
        csv.push_str(&format!(
            "people_in_treatment,E06000016,{period},{crack},*,,not_held,No figures are held for the other age bands.,local_records,final\n"
        ));
    }
    app.write("not-held.csv", &csv);
    app.run(&["import", "figures", "not-held.csv"]).ok();
}

/// One question of a request file.
fn question(number: usize, indicator: &str, period: &str, filter: &str, breakdown: &str) -> String {
    let mut q = format!(
        "[[question]]\nnumber = \"{number}\"\ntext = \"Question {number}\"\nindicator = \"{indicator}\"\nperiods = [\"{period}\"]\n"
    );
    if !filter.is_empty() {
        q.push_str(&format!("filter = {{ {filter} }}\n"));
    }
    if !breakdown.is_empty() {
        q.push_str(&format!("breakdown = [\"{breakdown}\"]\n"));
    }
    q
}

/// The day these requests are drafted, approved and sent on (received on
/// 1 September 2025; releases are read as of this day).
const AS_OF: &str = "2025-09-20";

/// Opens, drafts, approves and sends a request; returns the draft's JSON.
fn send(app: &TestApp, reference: &str, questions: &[String]) -> Value {
    let draft = draft(app, reference, questions);
    app.run(&[
        "request", "approve", reference, "--note", "checked", "--as-of", AS_OF,
    ])
    .ok();
    app.run(&["request", "send", reference, "--as-of", AS_OF])
        .ok();
    draft
}

/// Opens and drafts a request; returns the draft's JSON.
fn draft(app: &TestApp, reference: &str, questions: &[String]) -> Value {
    let file = format!("{reference}.toml");
    app.write(
        &file,
        &format!(
            "reference = \"{reference}\"\nreceived = 2025-09-01\n\n{}",
            questions.join("\n")
        ),
    );
    app.run(&["request", "new", &file, "--requester", "A Person"])
        .ok();
    redraft(app, reference)
}

/// Drafts (again) and returns the draft's JSON.
fn redraft(app: &TestApp, reference: &str) -> Value {
    app.run(&["request", "draft", reference, "--as-of", AS_OF])
        .ok();
    let letter = app.run(&["request", "letter", reference, "--json"]).ok();
    serde_json::from_str(&letter).expect("letter json")
}

/// Every exact value the log gives for a cell (indicator, period,
/// breakdown key), as an attacker reads `lantern log --json`.
struct Log(Vec<Value>);

impl Log {
    fn read(app: &TestApp) -> Log {
        let out = app.run(&["log", "--json"]).ok();
        Log(serde_json::from_str::<Vec<Value>>(&out).expect("log json"))
    }

    fn given(&self, indicator: &str, period: &str, breakdown: &str) -> Option<i64> {
        self.0
            .iter()
            .find(|e| {
                e["indicator"] == indicator
                    && e["period"] == period
                    && e["breakdown"].as_str().unwrap_or("") == breakdown
                    && e["decision"] == "given"
            })
            .and_then(|e| e["value"].as_i64())
    }

    fn suppressed(&self, indicator: &str, period: &str, breakdown: &str) -> bool {
        self.0.iter().any(|e| {
            e["indicator"] == indicator
                && e["period"] == period
                && e["breakdown"].as_str().unwrap_or("") == breakdown
                && e["decision"] == "suppressed"
        })
    }
}

/// `lantern log --audit` finds nothing.
#[track_caller]
fn audit_is_clean(app: &TestApp) {
    let out = app.run(&["log", "--audit"]).ok();
    assert!(out.contains("none can be worked out"), "{out}");
}

const PIT: &str = "people_in_treatment";

#[test]
fn a_small_count_cannot_be_worked_out_from_a_band_and_its_complement_in_another_letter() {
    // Aged 19: 15, of whom 1 uses crack and 14 do not.
    let app = council(
        "people_in_treatment,E06000016,2024/25,,,,,,200,local_records,final
people_in_treatment,E06000016,2024/25,,18,,,,20,local_records,final
people_in_treatment,E06000016,2024/25,,19,,,,15,local_records,final
people_in_treatment,E06000016,2024/25,,20-24,,,,165,local_records,final
people_in_treatment,E06000016,2024/25,crack,18,,,,6,local_records,final
people_in_treatment,E06000016,2024/25,crack,19,,,,1,local_records,final
people_in_treatment,E06000016,2024/25,crack,20-24,,,,40,local_records,final
people_in_treatment,E06000016,2024/25,no_crack,18,,,,14,local_records,final
people_in_treatment,E06000016,2024/25,no_crack,19,,,,14,local_records,final
people_in_treatment,E06000016,2024/25,no_crack,20-24,,,,125,local_records,final
",
    );
    other_age_bands_not_held(&app, "2024/25");
    send(
        &app,
        "FOI-1",
        &[
            question(1, PIT, "2024/25", "", ""),
            question(2, PIT, "2024/25", "", "age_band"),
        ],
    );
    send(
        &app,
        "FOI-2",
        &[question(1, PIT, "2024/25", "crack = \"crack\"", "age_band")],
    );
    let third = send(
        &app,
        "FOI-3",
        &[question(
            1,
            PIT,
            "2024/25",
            "crack = \"no_crack\"",
            "age_band",
        )],
    );
    assert_eq!(third["disclosure"]["budget_exhausted"], false);
    // The follow-up asks for the one withheld cell alone.
    send(
        &app,
        "FOI-4",
        &[question(
            1,
            PIT,
            "2024/25",
            "crack = \"no_crack\", age_band = \"19\"",
            "",
        )],
    );
    let log = Log::read(&app);
    assert!(log.suppressed(PIT, "2024/25", "age_band=19;crack=crack"));
    // The attack: aged 19 minus aged 19 not using crack.
    let band = log.given(PIT, "2024/25", "age_band=19");
    let rest = log.given(PIT, "2024/25", "age_band=19;crack=no_crack");
    assert!(
        band.is_none() || rest.is_none(),
        "aged 19 using crack = {band:?} - {rest:?}"
    );
    // The other route: all crack users minus the other crack bands (not
    // asked here), and the 18 and 20-24 bands stay given.
    assert_eq!(log.given(PIT, "2024/25", "age_band=18"), Some(20));
    audit_is_clean(&app);
}

#[test]
fn a_withheld_cell_asked_for_alone_stays_withheld() {
    let app = council(
        "people_in_treatment,E06000016,2024/25,,,,,,100,local_records,final
people_in_treatment,E06000016,2024/25,,,male,,,60,local_records,final
people_in_treatment,E06000016,2024/25,,,female,,,37,local_records,final
people_in_treatment,E06000016,2024/25,,,other,,,3,local_records,final
",
    );
    let first = send(
        &app,
        "FOI-1",
        &[
            question(1, PIT, "2024/25", "", ""),
            question(2, PIT, "2024/25", "", "sex"),
        ],
    );
    assert_eq!(first["disclosure"]["secondary"], 1, "{first:#}");
    let female = send(
        &app,
        "FOI-2",
        &[question(1, PIT, "2024/25", "sex = \"female\"", "")],
    );
    assert_eq!(female["disclosure"]["secondary"], 1, "{female:#}");
    let male = send(
        &app,
        "FOI-3",
        &[question(1, PIT, "2024/25", "sex = \"male\"", "")],
    );
    let log = Log::read(&app);
    assert!(log.suppressed(PIT, "2024/25", "sex=other"));
    // The attack: other = total - male - female.
    let parts = [
        log.given(PIT, "2024/25", ""),
        log.given(PIT, "2024/25", "sex=male"),
        log.given(PIT, "2024/25", "sex=female"),
    ];
    assert!(parts.iter().any(Option::is_none), "{parts:?} ({male:#})");
    audit_is_clean(&app);
}

#[test]
fn four_questions_each_asking_one_part_and_one_asking_the_total_hide_a_part() {
    let app = council(
        "people_in_treatment,E06000016,2024/25,,,,,,21,local_records,final
people_in_treatment,E06000016,2024/25,,,,opiate,,5,local_records,final
people_in_treatment,E06000016,2024/25,,,,non_opiate_only,,6,local_records,final
people_in_treatment,E06000016,2024/25,,,,non_opiate_and_alcohol,,7,local_records,final
people_in_treatment,E06000016,2024/25,,,,alcohol_only,,3,local_records,final
",
    );
    let letter = send(
        &app,
        "FOI-1",
        &[
            question(1, PIT, "2024/25", "substance_group = \"opiate\"", ""),
            question(
                2,
                PIT,
                "2024/25",
                "substance_group = \"non_opiate_only\"",
                "",
            ),
            question(
                3,
                PIT,
                "2024/25",
                "substance_group = \"non_opiate_and_alcohol\"",
                "",
            ),
            question(4, PIT, "2024/25", "substance_group = \"alcohol_only\"", ""),
            question(5, PIT, "2024/25", "", ""),
        ],
    );
    assert!(
        letter["disclosure"]["secondary"].as_u64().unwrap_or(0) >= 1,
        "{letter:#}"
    );
    let log = Log::read(&app);
    assert!(log.suppressed(PIT, "2024/25", "substance_group=alcohol_only"));
    let parts = [
        log.given(PIT, "2024/25", ""),
        log.given(PIT, "2024/25", "substance_group=opiate"),
        log.given(PIT, "2024/25", "substance_group=non_opiate_only"),
        log.given(PIT, "2024/25", "substance_group=non_opiate_and_alcohol"),
    ];
    assert!(parts.iter().any(Option::is_none), "{parts:?}");
    audit_is_clean(&app);
}

#[test]
fn overlapping_periods_of_events_cannot_be_differenced() {
    // Placements add up over time: 2019/20 10, 2020/21 3, March 2019 none,
    // so 1 March 2019 to 31 March 2021 is 13.
    const DETOX: &str = "inpatient_detox_placements";
    let app = TestApp::empty();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    app.run(&["init"]).ok();
    app.write(
        "figures.csv",
        "indicator,area,period,value,qualifier,reason,source,status
inpatient_detox_placements,E06000016,2019/20,10,,,local_records,final
inpatient_detox_placements,E06000016,2020/21,3,,,local_records,final
inpatient_detox_placements,E06000016,2019-03,0,,,local_records,final
inpatient_detox_placements,E06000016,2019-03-01 to 2021-03-31,13,,,local_records,final
",
    );
    let imported = app.run(&["import", "figures", "figures.csv"]);
    if imported.code != 0 {
        // A zero needs a reason in figures files.
        app.write(
            "figures.csv",
            "indicator,area,period,value,qualifier,reason,source,status
inpatient_detox_placements,E06000016,2019/20,10,,,local_records,final
inpatient_detox_placements,E06000016,2020/21,3,,,local_records,final
inpatient_detox_placements,E06000016,2019-03,0,zero,No placements began that month.,local_records,final
inpatient_detox_placements,E06000016,2019-03-01 to 2021-03-31,13,,,local_records,final
",
        );
        app.run(&["import", "figures", "figures.csv"]).ok();
    }
    send(
        &app,
        "FOI-1",
        &[
            question(1, DETOX, "2019/20", "", ""),
            question(2, DETOX, "2020/21", "", ""),
        ],
    );
    send(&app, "FOI-2", &[question(1, DETOX, "2019-03", "", "")]);
    let span = send(
        &app,
        "FOI-3",
        &[question(1, DETOX, "2019-03-01 to 2021-03-31", "", "")],
    );
    let log = Log::read(&app);
    assert!(log.suppressed(DETOX, "2020/21", ""));
    assert_eq!(log.given(DETOX, "2019/20", ""), Some(10));
    // The attack: the span minus 2019/20 minus March 2019.
    let month = log.given(DETOX, "2019-03", "");
    let whole = log.given(DETOX, "2019-03-01 to 2021-03-31", "");
    assert!(
        month.is_none() || whole.is_none(),
        "2020/21 = {whole:?} - 10 - {month:?} ({span:#})"
    );
    audit_is_clean(&app);
}

#[test]
fn the_rest_of_an_open_dimension_is_protected_as_if_its_members_were_known() {
    // Two providers: anyone who knows that works out the small one from
    // the total and the large one.
    let app = council(
        "people_in_treatment,E06000016,2024/25,,,,,,100,local_records,final
people_in_treatment,E06000016,2024/25,,,,,Turning Point,97,local_records,final
people_in_treatment,E06000016,2024/25,,,,,Change Grow Live,3,local_records,final
",
    );
    let letter = send(
        &app,
        "FOI-1",
        &[
            question(1, PIT, "2024/25", "", ""),
            question(2, PIT, "2024/25", "", "provider"),
        ],
    );
    assert_eq!(letter["disclosure"]["secondary"], 1, "{letter:#}");
    let log = Log::read(&app);
    assert!(log.suppressed(PIT, "2024/25", "provider=Change Grow Live"));
    let parts = [
        log.given(PIT, "2024/25", ""),
        log.given(PIT, "2024/25", "provider=Turning Point"),
    ];
    assert!(parts.iter().any(Option::is_none), "{parts:?}");
    audit_is_clean(&app);
}

#[test]
fn an_answer_drafted_before_another_was_sent_is_drafted_again_before_it_goes() {
    let app = council(
        "people_in_treatment,E06000016,2024/25,,,,,,100,local_records,final
people_in_treatment,E06000016,2024/25,,,male,,,60,local_records,final
people_in_treatment,E06000016,2024/25,,,female,,,37,local_records,final
people_in_treatment,E06000016,2024/25,,,other,,,3,local_records,final
",
    );
    // Drafted while nothing was out: female alone is given.
    let early = draft(
        &app,
        "FOI-2",
        &[question(1, PIT, "2024/25", "sex = \"female\"", "")],
    );
    assert_eq!(early["disclosure"]["secondary"], 0, "{early:#}");
    app.run(&["request", "approve", "FOI-2", "--note", "checked"])
        .ok();
    send(
        &app,
        "FOI-1",
        &[
            question(1, PIT, "2024/25", "", ""),
            question(2, PIT, "2024/25", "", "sex"),
        ],
    );
    let err = app.run(&["request", "send", "FOI-2"]).fails();
    assert!(err.contains("draft it again"), "{err}");
    app.run(&["request", "start", "FOI-2"]).ok();
    let again = redraft(&app, "FOI-2");
    assert_eq!(again["disclosure"]["secondary"], 1, "{again:#}");
    app.run(&["request", "approve", "FOI-2", "--note", "checked"])
        .ok();
    app.run(&["request", "send", "FOI-2"]).ok();
    audit_is_clean(&app);
}

#[test]
fn the_audit_names_counts_the_labels_alone_give_away() {
    // Four groups each "fewer than 5" inside a total "fewer than 5": each
    // must be 1. No choice of withheld cells can help; the audit says so.
    let app = council(
        "people_in_treatment,E06000016,2024/25,,,,,,4,local_records,final
people_in_treatment,E06000016,2024/25,,,,opiate,,1,local_records,final
people_in_treatment,E06000016,2024/25,,,,non_opiate_only,,1,local_records,final
people_in_treatment,E06000016,2024/25,,,,non_opiate_and_alcohol,,1,local_records,final
people_in_treatment,E06000016,2024/25,,,,alcohol_only,,1,local_records,final
",
    );
    send(
        &app,
        "FOI-1",
        &[
            question(1, PIT, "2024/25", "", ""),
            question(2, PIT, "2024/25", "", "substance_group"),
        ],
    );
    let run = app.run(&["log", "--audit"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("FOI-1 Q2 people_in_treatment E06000016 2024/25 [substance_group=opiate]: can be worked out exactly"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("are not safe"), "{}", run.stderr);
    let json: Value =
        serde_json::from_str(&app.run(&["log", "--audit", "--json"]).stdout).expect("json");
    assert_eq!(
        json["findings"].as_array().map(Vec::len),
        Some(5),
        "{json:#}"
    );
    // Never the counts themselves.
    assert!(json["findings"][0].get("value").is_none());
}

/// Imports a publication calendar with one release of the people in
/// treatment total for 2024/25.
fn release(app: &TestApp, date: &str, announced: &str) {
    app.write(
        "releases.csv",
        &format!(
            "code,title,publisher,date,announced,indicators,periods\nndtms_annual_2024_25,Adult substance misuse treatment statistics,OHID,{date},{announced},people_in_treatment,2024/25\n"
        ),
    );
    app.run(&["import", "releases", "releases.csv"]).ok();
}

/// NDTMS holds the total; the council's own records the sex breakdown.
const PUBLISHED_TOTAL: &str =
    "people_in_treatment,E06000016,2024/25,,,,,,40,ndtms_partnership,final
people_in_treatment,E06000016,2024/25,,,male,,,27,local_records,final
people_in_treatment,E06000016,2024/25,,,female,,,10,local_records,final
people_in_treatment,E06000016,2024/25,,,other,,,3,local_records,final
";

#[test]
fn a_small_count_cannot_be_worked_out_from_a_published_total() {
    // The 2024/25 total (40) was published before the request arrived; the
    // request asks only for the breakdown by sex. Giving 27 and 10 would
    // give the 3 away by subtraction from the published total.
    let app = council(PUBLISHED_TOTAL);
    release(&app, "2025-07-10", "");
    let draft = send(&app, "FOI-1", &[question(1, PIT, "2024/25", "", "sex")]);
    assert_eq!(draft["disclosure"]["secondary"], 1, "{draft:#}");
    let log = Log::read(&app);
    assert!(log.suppressed(PIT, "2024/25", "sex=other"));
    assert!(
        log.given(PIT, "2024/25", "sex=male").is_none()
            || log.given(PIT, "2024/25", "sex=female").is_none(),
        "both large counts given beside the published total"
    );
    audit_is_clean(&app);
}

#[test]
fn the_audit_counts_totals_published_after_an_answer_was_sent() {
    // Sent before the total was published (the intention to publish came
    // after the request): male and female given, safe then. Once the total
    // is out, the audit names the small count it gives away.
    let app = council(PUBLISHED_TOTAL);
    release(&app, "2025-10-01", "2025-09-15");
    let draft = send(&app, "FOI-1", &[question(1, PIT, "2024/25", "", "sex")]);
    assert_eq!(draft["disclosure"]["secondary"], 0, "{draft:#}");
    let run = app.run(&["log", "--audit"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "FOI-1 Q1 people_in_treatment E06000016 2024/25 [sex=other]: can be worked out exactly"
        ),
        "{}",
        run.stdout
    );
}
