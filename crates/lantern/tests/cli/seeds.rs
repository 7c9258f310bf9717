//! The three Leicester letters: Lantern must reach the same decisions the
//! council did (../shared/seeds/), from the data in examples/leicester/.

use serde_json::Value;

use crate::{TestApp, notice, question, row, rows};

fn amount(r: &Value) -> i64 {
    assert_eq!(r["decision"], "given", "{r:#}");
    r["value"]["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("no amount: {r:#}"))
}

fn pounds(r: &Value) -> i64 {
    amount(r) / 100
}

fn notes(r: &Value) -> String {
    r["full_text"].as_str().unwrap_or_default().to_string()
}

#[test]
fn seed_000_crack_users_are_given_for_published_years_and_withheld_under_s22_for_2018_19() {
    let app = TestApp::leicester();
    let answer = app.decisions("seed-000");
    assert_eq!(answer["holding"], "some");
    let q1 = question(&answer, "1", None);
    assert_eq!(amount(row(q1, "2016/17")), 51);
    assert_eq!(amount(row(q1, "2017/18")), 44);
    let withheld = row(q1, "2018/19");
    assert_eq!(withheld["decision"], "withheld");
    assert_eq!(withheld["basis"], "s22");
    let s22 = notice(q1, "s22").expect("s22 notice");
    assert_eq!(s22["items"], serde_json::json!(["2018/19"]));
    assert_eq!(s22["release"]["date"], "2019-11-07");
    assert_eq!(s22["qualified"], true);
}

#[test]
fn seed_000_age_range_is_answered_in_bands_without_youngest_or_oldest_ages() {
    let app = TestApp::leicester();
    let answer = app.decisions("seed-000");
    let q2 = question(&answer, "2", None);
    let y1718 = rows(q2, "2017/18");
    let band = |label: &str| {
        *y1718
            .iter()
            .find(|r| r["breakdown_label"] == label)
            .unwrap_or_else(|| panic!("no {label} row in {y1718:#?}"))
    };
    assert_eq!(amount(band("aged 40 and over")), 12);
    let under_25 = band("under 25");
    assert_eq!(under_25["decision"], "suppressed");
    assert_eq!(under_25["basis"], "s40_2");
    assert_eq!(under_25["text"], "fewer than 5");
    assert!(
        under_25["value"].is_null(),
        "a suppressed count carries no value"
    );
    let extremes = band("youngest and oldest ages");
    assert_eq!(extremes["basis"], "s40_2");
    let s40 = notice(q2, "s40_2").expect("s40(2) notice");
    assert_eq!(s40["extremes"], true);
    assert_eq!(s40["small_numbers"], true);
    assert_eq!(row(q2, "2016/17")["decision"], "not_held");
    assert!(notice(q2, "s1_1").is_some_and(|n| n["partly"] == true));
    assert_eq!(row(q2, "2018/19")["basis"], "s22");
    // The exact small count never appears anywhere in the answer.
    let text = serde_json::to_string(&answer).expect("json");
    assert!(
        !text.contains("\"amount\":3,"),
        "the count behind 'fewer than 5' leaked"
    );
}

#[test]
fn seed_000_budgets_are_exact_money_with_their_caveats() {
    let app = TestApp::leicester();
    let answer = app.decisions("seed-000");
    let community = |part: &str| question(&answer, "3", Some(part))["rows"][0].clone();
    assert_eq!(pounds(&community("a")), 7_339_755);
    assert!(
        notes(&community("a"))
            .contains("criminal justice service that served Leicester, Leicestershire and Rutland")
    );
    assert_eq!(pounds(&community("b")), 5_219_734);
    assert_eq!(pounds(&community("c")), 5_277_510);
    for part in ["b", "c"] {
        assert!(
            notes(&community(part))
                .contains("contributions from NHSE and the Police and Crime Commissioner")
        );
    }
    let detox_rehab = |part: &str| question(&answer, "4", Some(part))["rows"][0].clone();
    assert_eq!(pounds(&detox_rehab("a")), 469_767);
    assert_eq!(pounds(&detox_rehab("b")), 684_599);
    let approx = detox_rehab("c");
    assert_eq!(approx["value"]["kind"], "approx");
    assert_eq!(approx["value"]["low"], 68_000_000);
    assert_eq!(approx["value"]["high"], 70_000_000);
    assert_eq!(approx["text"], "£680,000-£700,000 approx");
}

#[test]
fn seed_002_gives_the_ten_year_rehab_and_detox_tables() {
    let app = TestApp::leicester();
    let answer = app.decisions("seed-002");
    assert_eq!(answer["holding"], "some");
    let years = [
        "2012/13", "2013/14", "2014/15", "2015/16", "2016/17", "2017/18", "2018/19", "2019/20",
        "2020/21", "2021/22",
    ];

    let rehab = question(&answer, "1", Some("a"));
    let given: Vec<i64> = years[3..].iter().map(|y| amount(row(rehab, y))).collect();
    assert_eq!(given, vec![33, 30, 27, 34, 37, 29, 27]);
    for y in &years[3..] {
        assert!(
            notes(row(rehab, y)).contains("self-payers"),
            "self-funder caveat missing for {y}"
        );
    }
    assert!(notes(row(rehab, "2012/13 to 2013/14")).contains("cannot be located"));
    assert!(notes(row(rehab, "2014/15")).contains("Leicester and Leicestershire combined"));

    let rehab_spend = question(&answer, "1", Some("d"));
    let spend: Vec<i64> = years.iter().map(|y| pounds(row(rehab_spend, y))).collect();
    assert_eq!(
        spend,
        vec![
            395_641, 271_979, 207_214, 263_232, 438_586, 394_388, 352_515, 274_703, 189_058,
            177_193
        ]
    );
    let rehab_budget = question(&answer, "1", Some("c"));
    assert_eq!(rehab_budget["all_not_held"], false);
    assert!(notes(row(rehab_budget, "2012/13 to 2021/22")).contains("no set budget"));
    assert!(
        question(&answer, "1", Some("b"))["statement"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("range of residential rehabilitation providers"))
    );

    let detox = question(&answer, "2", Some("a"));
    let placements: Vec<i64> = years[..9].iter().map(|y| amount(row(detox, y))).collect();
    assert_eq!(placements, vec![167, 153, 144, 79, 72, 58, 59, 86, 58]);
    let latest = row(detox, "2021/22");
    assert_eq!(amount(latest), 74);
    assert_eq!(latest["source"], "contract_monitoring");
    assert!(notes(latest).contains("NDTMS data cannot yet be shared for 2021/22"));

    for part in ["c", "d"] {
        let block = question(&answer, "2", Some(part));
        for y in &years[3..] {
            assert_eq!(pounds(row(block, y)), 276_949, "detox {part} {y}");
        }
        assert!(
            notes(row(block, "2012/13 to 2014/15"))
                .contains("does not have access to Leicestershire Partnership Trust (LPT) data")
        );
    }
}

#[test]
fn seed_003_decides_s22_not_held_with_advice_naloxone_counts_and_statements() {
    let app = TestApp::leicester();
    let answer = app.decisions("seed-003");
    assert_eq!(answer["holding"], "some");

    let q1 = question(&answer, "1", None);
    assert_eq!(row(q1, "2016/17")["basis"], "s22");
    assert!(notice(q1, "s22").is_some());

    let q2 = question(&answer, "2", None);
    assert_eq!(q2["all_not_held"], true);
    assert!(notice(q2, "s1_1").is_some_and(|n| n["partly"] == false));
    assert!(
        q2["advice"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("Office for National Statistics"))
    );

    // Not held because the example records it (with its reason), never
    // because no figure was loaded.
    let q6 = question(&answer, "6", None);
    assert_eq!(
        q6["rows"].as_array().map(Vec::len),
        Some(1),
        "three not-held years read as one"
    );
    assert_eq!(q6["rows"][0]["decision"], "not_held");
    assert!(
        q6["rows"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("bought by the commissioned provider"))
    );
    assert!(notice(q6, "s1_1").is_some_and(|n| n["partly"] == false));
    assert_eq!(answer["findings"], serde_json::json!([]));

    let q13 = question(&answer, "13", None);
    let none = row(q13, "2014/15");
    assert_eq!(none["value"]["kind"], "zero");
    assert!(notes(none).contains("not issued"));
    assert_eq!(amount(row(q13, "2015/16")), 260);
    let partial = row(q13, "2016/17");
    assert_eq!(amount(partial), 104);
    assert!(notes(partial).contains("October 2016 to March 2017 only"));

    for (n, expected) in [
        ("3", "Yes."),
        ("5", "Turning Point"),
        ("12", "2 (1 spare/back-up kit)."),
        ("14", "reported quarterly"),
    ] {
        let text = question(&answer, n, None)["statement"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(text.contains(expected), "question {n}: {text}");
    }
    let q9a = question(&answer, "9", Some("a"));
    assert!(
        q9a["statement"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Police"))
    );
    assert!(
        question(&answer, "7", None)["statement"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("recovery week"))
    );
}

#[test]
fn every_seed_is_decided_from_recorded_facts_with_no_blocking_finding() {
    // Where a seed letter says "not held", the example data records it;
    // nothing is decided by absence, so no seed draft is blocked.
    let app = TestApp::leicester();
    for seed in ["seed-000", "seed-002", "seed-003"] {
        let answer = app.decisions(seed);
        assert_eq!(answer["findings"], serde_json::json!([]), "{seed}");
    }
}
