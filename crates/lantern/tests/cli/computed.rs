//! Held means computable, through the real binary on a real database: a
//! composite band over held parts is their sum (withheld as "fewer than 5"
//! when small, with its complement protected); the requester's own bands
//! are counted from providers' records, reproducibly at a data version, and
//! only when every registered provider's records reach the period; a band
//! the records cannot give is explained; and one table takes one source,
//! the other source's values and the difference shown to the officer.

use serde_json::Value;

use super::records::file;
use super::{TestApp, question};

const KEY: &str = "a test secret that is long enough";

/// A database with figures from `figures` (the Leicester columns).
fn with_figures(figures: &str) -> TestApp {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    app.write(
        "figures.csv",
        &format!("indicator,area,period,age_band,value,source,status\n{figures}"),
    );
    app.run(&["import", "figures", "figures.csv"]).ok();
    app
}

/// A database with the provider register `agencies` (`code,area` lines).
fn with_agencies(agencies: &[&str]) -> TestApp {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    let mut text = String::from("code,name,area\n");
    for a in agencies {
        text.push_str(&format!("{a},Provider {a},E06000016\n"));
    }
    app.write("agencies.csv", &text);
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    app
}

fn submit(app: &TestApp, name: &str, text: &str) {
    app.write(name, text);
    let mut cmd = app.command(&["import", "episodes", name]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = cmd.output().expect("run lantern");
    assert!(
        out.status.success(),
        "import failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Person `n` of provider `agency`: born on `dob` (YYYYMMDD), male, using
/// heroin, in treatment from 1 May 2017 and still open.
fn person(agency: &str, n: usize, dob: &str) -> String {
    let first = char::from(b'A' + (n % 26) as u8);
    let second = char::from(b'A' + (n / 26 % 26) as u8);
    format!(
        "{agency},c{n},{first},{second},{dob},M,A,E06000016,e{n},20170420,20170425,20170501,,,1101,,,m{n},PSYCH,COM,20170501,,LA,"
    )
}

/// `count` people of `agency` born on `dob`, numbered from `from`.
fn people(agency: &str, from: usize, count: usize, dob: &str) -> Vec<String> {
    (from..from + count)
        .map(|n| person(agency, n, dob))
        .collect()
}

fn request(app: &TestApp, body: &str) -> String {
    let text = format!(
        "reference = \"FOI-1\"\nreceived = 2019-06-10\narea = \"E06000016\"\n\n[[question]]\nnumber = \"1\"\n{body}"
    );
    app.write("request.toml", &text);
    "request.toml".into()
}

fn answer(app: &TestApp, args: &[&str]) -> Value {
    let mut all = vec!["answer", "request.toml", "--format", "json"];
    all.extend_from_slice(args);
    let out = app.run(&all).ok();
    serde_json::from_str(&out).expect("answer --format json prints JSON")
}

/// (breakdown label, decision, value or text) of each row of question 1.
fn table(answer: &Value) -> Vec<(String, String, String)> {
    question(answer, "1", None)["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["breakdown_label"].as_str().unwrap_or("").to_string(),
                r["decision"].as_str().unwrap_or("").to_string(),
                r["value"]["amount"]
                    .as_i64()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| r["text"].as_str().unwrap_or("").to_string()),
            )
        })
        .collect()
}

fn warnings(answer: &Value) -> Vec<String> {
    answer["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

const AGE_LEAVES: &str = "\
people_in_treatment,E06000016,2017/18,,40,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,18,1,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,19,1,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,20-24,2,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,25-29,10,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,30-34,6,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,35-39,5,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,40-44,5,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,45-49,5,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,50-54,5,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,55-59,0,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,60-64,0,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,65-69,0,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,70+,0,ndtms_partnership,final
";

#[test]
fn a_composite_band_over_held_parts_is_their_sum() {
    let app = with_figures(AGE_LEAVES);
    request(
        &app,
        "text = \"How many aged 18-29, 30-49 and 50+?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"18-29\", \"30-49\", \"50+\"]\n",
    );
    let a = answer(&app, &[]);
    assert_eq!(
        table(&a),
        [
            ("aged 18 to 29".into(), "given".into(), "14".into()),
            ("aged 30 to 49".into(), "given".into(), "21".into()),
            ("aged 50 and over".into(), "given".into(), "5".into()),
        ],
        "{a:#}"
    );
    let notes = question(&a, "1", None)["rows"][0]["notes"].to_string();
    assert!(
        notes.contains("sum of the figures for aged 18, aged 19, aged 20 to 24 and aged 25 to 29"),
        "{notes}"
    );
    let text = app.run(&["answer", "request.toml", "--format", "md"]).ok();
    assert!(!text.contains("does not hold"), "{text}");
}

#[test]
fn a_small_composite_band_is_fewer_than_5_and_its_complement_is_protected() {
    let app = with_figures(AGE_LEAVES);
    request(
        &app,
        "text = \"How many in total?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\n\n\
         [[question]]\nnumber = \"2\"\ntext = \"How many under 25, and 25 and over?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"under 25\", \"25+\"]\n",
    );
    let a = answer(&app, &[]);
    let q2 = question(&a, "2", None)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    let under = q2
        .iter()
        .find(|r| r["breakdown_label"] == "under 25")
        .expect("under 25");
    assert_eq!(under["decision"], "suppressed", "{under:#}");
    assert!(
        under["text"]
            .as_str()
            .unwrap_or("")
            .contains("fewer than 5"),
        "{under:#}"
    );
    // The total (40) and "25 and over" (36) would give the 4 away: one goes.
    let over = q2
        .iter()
        .find(|r| r["breakdown_label"] == "aged 25 and over")
        .expect("25 and over");
    let total = &question(&a, "1", None)["rows"][0];
    assert!(
        over["decision"] == "suppressed" || total["decision"] == "suppressed",
        "{a:#}"
    );
    for r in q2.iter().chain([total]) {
        if let Some(v) = r["value"]["amount"].as_i64() {
            assert!(v == 0 || v >= 5, "small count released: {r:#}");
        }
    }
}

#[test]
fn the_requesters_own_bands_are_counted_from_records_and_reproducible_at_a_data_version() {
    let app = with_agencies(&["A1"]);
    // Ages on 1 May 2017: 22 (10 people), 37 (8), 57 (6).
    let mut rows = people("A1", 0, 10, "19950101");
    rows.extend(people("A1", 10, 8, "19800101"));
    rows.extend(people("A1", 18, 6, "19600101"));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    submit(&app, "A1-2018-03.csv", &file(&rows));
    let version = app.data_version();
    request(
        &app,
        "text = \"By age: 18-22, 23-49 and 50+\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"18-22\", \"23-49\", \"50+\"]\n",
    );
    let before = answer(&app, &[]);
    assert_eq!(
        table(&before),
        [
            ("aged 18 to 22".into(), "given".into(), "10".into()),
            ("aged 23 to 49".into(), "given".into(), "8".into()),
            ("aged 50 and over".into(), "given".into(), "6".into()),
        ],
        "{before:#}"
    );
    let row = &question(&before, "1", None)["rows"][0];
    assert_eq!(row["source"], "local_records", "{row:#}");

    // A month later the provider sends two more people aged 22.
    let mut later = people("A1", 0, 12, "19950101");
    later.extend(people("A1", 12, 8, "19800101"));
    later.extend(people("A1", 20, 6, "19600101"));
    let later: Vec<&str> = later.iter().map(String::as_str).collect();
    submit(&app, "A1-2018-04.csv", &file(&later));
    assert_eq!(
        table(&answer(&app, &[]))[0],
        ("aged 18 to 22".into(), "given".into(), "12".into())
    );
    // The earlier data version gives the earlier counts.
    let again = answer(&app, &["--data-version", &version.to_string()]);
    assert_eq!(table(&again), table(&before));
}

#[test]
fn records_missing_for_a_registered_provider_are_a_blocking_finding() {
    let app = with_agencies(&["A1", "A2"]);
    let rows = people("A1", 0, 10, "19950101");
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    submit(&app, "A1-2017-12.csv", &file(&rows));
    request(
        &app,
        "text = \"By age: 18-22 and 23+\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"18-22\", \"23+\"]\n",
    );
    let a = answer(&app, &[]);
    for (label, decision, value) in table(&a) {
        assert_eq!(decision, "missing", "{label}: {value}");
    }
    let findings = a["findings"].as_array().expect("findings").clone();
    assert_eq!(findings.len(), 2, "{a:#}");
    for f in &findings {
        let what = f["what"].as_str().unwrap_or("");
        assert!(what.contains("incomplete for this period"), "{what}");
        assert!(
            what.contains("A1 (2018-01 to 2018-03), A2 (2017-04 to 2018-03)"),
            "{what}"
        );
    }
    // A draft with these findings is not ready: nothing says "not held".
    let text = app.run(&["answer", "request.toml", "--format", "md"]).ok();
    assert!(!text.contains("does not hold"), "{text}");
}

#[test]
fn a_band_the_records_cannot_give_is_explained_not_counted() {
    let app = with_agencies(&["A1"]);
    let rows = people("A1", 0, 10, "19950101");
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    submit(&app, "A1-2018-03.csv", &file(&rows));
    request(
        &app,
        "text = \"Aged 16 to 20, and older\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbands = [\"16-20\", \"21+\"]\n",
    );
    let a = answer(&app, &[]);
    let rows = table(&a);
    assert_eq!(rows[0].1, "not_held", "{a:#}");
    let explained = question(&a, "1", None)["rows"][0].to_string();
    assert!(
        explained.contains("aged 18 and over")
            && explained.contains("Figures can be given for people aged 18 to 20 instead"),
        "{explained}"
    );
    assert_eq!(
        rows[1],
        ("aged 21 and over".into(), "given".into(), "10".into())
    );
}

#[test]
fn two_sources_give_one_per_table_with_the_difference_shown() {
    let app = with_figures(
        "people_in_treatment,E06000016,2017/18,,44,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,,660,local_records,final
people_in_treatment,E06000016,2017/18,18-24,60,local_records,final
people_in_treatment,E06000016,2017/18,25-29,100,local_records,final
people_in_treatment,E06000016,2017/18,25-29,9,ndtms_partnership,final
",
    );
    request(
        &app,
        "text = \"By age\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbreakdown = [\"age_band\"]\n",
    );
    let a = answer(&app, &[]);
    let rows = question(&a, "1", None)["rows"]
        .as_array()
        .expect("rows")
        .clone();
    // NDTMS comes first and gives every band it holds: the whole table is
    // NDTMS's; local records' bands are not mixed in.
    for r in rows.iter().filter(|r| r["decision"] == "given") {
        assert_eq!(r["source"], "ndtms_partnership", "{r:#}");
    }
    assert!(
        !rows.iter().any(|r| r["breakdown_label"] == "under 25"),
        "{a:#}"
    );
    let w = warnings(&a).join("\n");
    assert!(
        w.contains(
            "the table uses ndtms_partnership (9); local_records gives 100, a difference of 91"
        ),
        "{w}"
    );
}

/// "Alcohol or opiates", asked as a list of values and in the `a|b`
/// spelling: the sum of the held cells, or counted from the records when
/// the council holds them and no figure does.
#[test]
fn a_filter_that_is_a_union_of_values_is_their_sum_or_counted_from_records() {
    let ask = |filter: &str| {
        format!(
            "text = \"How many for alcohol or opiates?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nfilter = {{ substance_group = {filter} }}\n"
        )
    };
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    app.write(
        "figures.csv",
        "indicator,area,period,substance_group,value,source,status
people_in_treatment,E06000016,2017/18,,50,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,opiate,30,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,alcohol_only,12,ndtms_partnership,final
people_in_treatment,E06000016,2017/18,non_opiate_only,8,ndtms_partnership,final
",
    );
    app.run(&["import", "figures", "figures.csv"]).ok();
    for filter in ["[\"alcohol\", \"opiates\"]", "\"opiate|alcohol_only\""] {
        request(&app, &ask(filter));
        let a = answer(&app, &[]);
        let rows = table(&a);
        assert_eq!(rows.len(), 1, "{a:#}");
        assert_eq!(
            (&rows[0].1, &rows[0].2),
            (&"given".into(), &"42".into()),
            "{a:#}"
        );
        let notes = question(&a, "1", None)["rows"][0]["notes"].to_string();
        assert!(
            notes.contains("sum of the figures for alcohol only and opiate"),
            "{notes}"
        );
        let text = app.run(&["answer", "request.toml", "--format", "md"]).ok();
        assert!(
            text.contains(
                "42 people. This figure is the sum of the figures for alcohol only and opiate."
            ),
            "{text}"
        );
        assert!(!text.contains("does not hold"), "{text}");
    }

    // No figures, but every provider's records: counted from them.
    let app = with_agencies(&["A1"]);
    let with_drug = |rows: Vec<String>, drug: &str| -> Vec<String> {
        rows.into_iter()
            .map(|r| r.replace(",1101,", &format!(",{drug},")))
            .collect()
    };
    let mut rows = people("A1", 0, 10, "19800101");
    rows.extend(with_drug(people("A1", 10, 7, "19800101"), "7000"));
    rows.extend(with_drug(people("A1", 17, 6, "19800101"), "3201"));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    submit(&app, "A1-2018-03.csv", &file(&rows));
    request(&app, &ask("[\"alcohol_only\", \"opiate\"]"));
    let a = answer(&app, &[]);
    assert_eq!(
        table(&a)
            .into_iter()
            .map(|(_, d, v)| (d, v))
            .collect::<Vec<_>>(),
        [("given".to_string(), "17".to_string())],
        "{a:#}"
    );
    assert_eq!(
        question(&a, "1", None)["rows"][0]["source"],
        "local_records",
        "{a:#}"
    );
}

/// Fields every submission holds but no fixed table splits by (ethnicity)
/// are counted from the records on demand; so are settings, under several
/// of which one person may count: each setting's people are counted once,
/// the rows do not add up to the total and the letter says so, and a small
/// setting is "fewer than 5" with the people without it protected too.
#[test]
fn ethnicity_and_settings_are_counted_from_records() {
    let app = with_agencies(&["A1"]);
    // 10 White British and 6 Indian people in community treatment, and 5
    // White British people in residential rehabilitation; 3 of the
    // community ones are in residential rehabilitation too, and 2 in an
    // inpatient unit.
    let mut rows = people("A1", 0, 10, "19800101");
    rows.extend(
        people("A1", 10, 6, "19800101")
            .into_iter()
            .map(|r| r.replace(",19800101,M,A,", ",19800101,M,H,")),
    );
    rows.extend(
        people("A1", 16, 5, "19800101")
            .into_iter()
            .map(|r| r.replace(",PSYCH,COM,", ",PSYCH,RES,")),
    );
    for n in 0..3 {
        rows.push(
            person("A1", n, "19800101")
                .replace(&format!(",m{n},PSYCH,COM,"), &format!(",r{n},PSYCH,RES,")),
        );
    }
    for n in 3..5 {
        rows.push(
            person("A1", n, "19800101")
                .replace(&format!(",m{n},PSYCH,COM,"), &format!(",i{n},PHARM,INP,")),
        );
    }
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    submit(&app, "A1-2018-03.csv", &file(&rows));
    request(
        &app,
        "text = \"How many people in treatment by ethnicity?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbreakdown = [\"ethnicity\"]\n\n\
         [[question]]\nnumber = \"2\"\ntext = \"How many in inpatient or residential settings?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nfilter = { setting = [\"inpatient\", \"residential\"] }\n\n\
         [[question]]\nnumber = \"3\"\ntext = \"How many people in treatment in each setting?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbreakdown = [\"setting\"]\n",
    );
    let a = answer(&app, &[]);
    let rows = table(&a);
    let row = |label: &str| {
        rows.iter()
            .find(|r| r.0 == label)
            .unwrap_or_else(|| panic!("no row {label}: {a:#}"))
            .clone()
    };
    assert_eq!(
        row("White British"),
        ("White British".into(), "given".into(), "15".into())
    );
    assert_eq!(row("Indian"), ("Indian".into(), "given".into(), "6".into()));
    assert_eq!(
        row("Chinese"),
        ("Chinese".into(), "given".into(), "0".into())
    );
    for r in question(&a, "1", None)["rows"].as_array().expect("rows") {
        assert_eq!(r["source"], "local_records", "{r:#}");
    }
    // Inpatient or residential: 5 + 3 + 2 people, each once.
    let q2 = &question(&a, "2", None)["rows"][0];
    assert_eq!(q2["decision"], "given", "{a:#}");
    assert_eq!(q2["value"]["amount"], 10, "{a:#}");
    assert_eq!(q2["source"], "local_records", "{a:#}");
    // Each setting: 16 community, 8 residential, 2 inpatient (fewer than
    // 5), none in the others; 26 rows for 21 people.
    let settings: Vec<(String, String, String)> = question(&a, "3", None)["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["breakdown_label"].as_str().unwrap_or("").to_string(),
                r["decision"].as_str().unwrap_or("").to_string(),
                r["value"]["amount"]
                    .as_i64()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let setting = |label: &str| {
        settings
            .iter()
            .find(|r| r.0.contains(label))
            .unwrap_or_else(|| panic!("no setting {label}: {settings:?}"))
            .clone()
    };
    assert_eq!(setting("community").1, "given", "{settings:?}");
    assert_eq!(setting("community").2, "16", "{settings:?}");
    assert_eq!(setting("residential").2, "8", "{settings:?}");
    assert_eq!(setting("inpatient").1, "suppressed", "{settings:?}");
    assert_eq!(setting("primary care").2, "0", "{settings:?}");
    assert!(
        a["findings"].as_array().is_none_or(|f| f.is_empty()),
        "{a:#}"
    );
    let letter = app.run(&["answer", "request.toml", "--format", "md"]).ok();
    assert!(
        letter.contains("One person may be counted under more than one setting"),
        "{letter}"
    );
    assert!(letter.contains("fewer than 5"), "{letter}");
}

/// The header of a submission with the optional columns `extra` after the
/// required ones.
fn header_with(extra: &[&str]) -> String {
    let mut header = super::records::HEADER.to_string();
    for c in extra {
        header.push(',');
        header.push_str(c);
    }
    header
}

/// Rows of `people` with `values` appended (one per optional column).
fn with_values(rows: Vec<String>, values: &str) -> Vec<String> {
    rows.into_iter().map(|r| format!("{r},{values}")).collect()
}

fn submission(header: &str, rows: &[String]) -> String {
    let mut text = format!("{header}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text
}

/// Employment status, an optional column every provider here sent, is
/// counted from the records on demand: one value per person, the table
/// adding up to the total.
#[test]
fn a_count_by_employment_status_is_answered_from_records() {
    let app = with_agencies(&["A1", "A2"]);
    let header = header_with(&["EMPSTAT", "INJSTAT"]);
    // A1: 10 people in regular employment, 6 unemployed; A2: 5 long-term
    // sick, and 2 with the cell empty (not stated).
    let mut a1 = with_values(people("A1", 0, 10, "19800101"), "1,N");
    a1.extend(with_values(people("A1", 10, 6, "19800101"), "12,C"));
    submit(&app, "A1-2018-03.csv", &submission(&header, &a1));
    let mut a2 = with_values(people("A2", 100, 5, "19800101"), "9,P");
    a2.extend(with_values(people("A2", 105, 2, "19800101"), ","));
    submit(&app, "A2-2018-03.csv", &submission(&header, &a2));
    request(
        &app,
        "text = \"How many people in treatment were in employment, by employment status?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nbreakdown = [\"employment_status\"]\n\n\
         [[question]]\nnumber = \"2\"\ntext = \"How many were currently injecting?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nfilter = { injecting_status = \"currently_injecting\" }\n",
    );
    let a = answer(&app, &[]);
    assert_eq!(a["findings"].as_array().map_or(0, Vec::len), 0, "{a:#}");
    let rows = table(&a);
    let row = |label: &str| {
        rows.iter()
            .find(|r| r.0 == label)
            .unwrap_or_else(|| panic!("no row {label}: {a:#}"))
            .2
            .clone()
    };
    assert_eq!(row("in regular employment"), "10");
    assert_eq!(row("unemployed and seeking work"), "6");
    assert_eq!(row("long-term sick or disabled"), "5");
    assert_eq!(row("a homemaker"), "0");
    // Two people, fewer than five: withheld, not given.
    let not_stated = rows
        .iter()
        .find(|r| r.0 == "employment status not stated or not known")
        .expect("a not stated row");
    assert_ne!(not_stated.1, "given", "{a:#}");
    for r in question(&a, "1", None)["rows"].as_array().expect("rows") {
        assert_eq!(r["source"], "local_records", "{r:#}");
    }
    let q2 = &question(&a, "2", None)["rows"][0];
    assert_eq!(q2["decision"], "given", "{q2:#}");
    assert_eq!(q2["value"]["amount"], 6, "{q2:#}");
}

/// A provider whose file had no EMPSTAT column: a count by employment
/// status would leave its people out, so the draft carries a blocking
/// finding naming the provider and month (never a zero or a partial
/// count) and cannot be approved; a count that does not need the field is
/// still given.
#[test]
fn a_provider_that_did_not_send_the_column_makes_a_blocking_finding_and_approval_is_refused() {
    let app = TestApp::empty();
    let config = std::fs::read_to_string(crate::example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    app.run(&["init"]).ok();
    app.write(
        "agencies.csv",
        "code,name,area\nA1,Provider A1,E06000016\nA2,Provider A2,E06000016\n",
    );
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    let a1 = with_values(people("A1", 0, 10, "19800101"), "1");
    submit(
        &app,
        "A1-2018-03.csv",
        &submission(&header_with(&["EMPSTAT"]), &a1),
    );
    // A2 sent the required columns only.
    let a2 = people("A2", 100, 8, "19800101");
    submit(
        &app,
        "A2-2018-03.csv",
        &submission(super::records::HEADER, &a2),
    );
    app.write(
        "FOI-9.toml",
        "reference = \"FOI-9\"\nreceived = 2019-06-10\narea = \"E06000016\"\n\n\
         [[question]]\nnumber = \"1\"\ntext = \"How many people in treatment were in employment?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\nfilter = { employment_status = \"regular_employment\" }\n\n\
         [[question]]\nnumber = \"2\"\ntext = \"How many people were in treatment?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\n",
    );
    app.run(&["request", "new", "FOI-9.toml", "--requester", "A Person"])
        .ok();
    let drafted = app.run(&["request", "draft", "FOI-9"]).ok();
    assert!(drafted.contains("1 blocking finding(s)"), "{drafted}");
    let view: Value = serde_json::from_str(
        &app.run(&["request", "letter", "FOI-9", "--format", "json"])
            .ok(),
    )
    .expect("letter json");
    let findings = view["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{view:#}");
    let what = findings[0]["what"].as_str().unwrap_or_default();
    assert!(what.contains("A2 (2018-03: no EMPSTAT column)"), "{what}");
    assert!(!what.contains("A1 ("), "A1 sent the column: {what}");
    let q1 = &view["questions"][0]["rows"][0];
    assert_eq!(q1["decision"], "missing", "{q1:#}");
    assert!(q1["value"]["amount"].is_null(), "no count is given: {q1:#}");
    // The total needs no optional field: counted from every provider.
    let q2 = &view["questions"][1]["rows"][0];
    assert_eq!(q2["decision"], "given", "{q2:#}");
    assert_eq!(q2["value"]["amount"], 18, "{q2:#}");
    let text = app
        .run(&["request", "letter", "FOI-9", "--format", "md"])
        .ok()
        .to_lowercase();
    assert!(!text.contains("does not hold"), "{text}");

    let err = app.run(&["request", "approve", "FOI-9"]).fails();
    assert!(err.contains("cannot be approved"), "{err}");
    assert!(err.contains("finding 1:"), "{err}");
}

/// Submissions imported before the optional columns existed (a dump whose
/// record chunks are of version 1) are still read: their counts are given,
/// and a count over a field they could not hold is a blocking finding
/// naming each provider and month.
#[test]
fn submissions_from_before_the_optional_columns_are_read_as_not_submitted() {
    let app = TestApp::empty();
    let dump = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/seeds/dump/small.jsonl"
    ))
    .expect("the seed dump");
    assert!(dump.contains("\"4c524331"), "version 1 chunks");
    app.write("old.jsonl", &dump);
    app.run(&["import", "dump", "old.jsonl"]).ok();
    // The dump's catalogue is a small one: take the shipped catalogue.
    app.run(&["migrate"]).ok();
    app.write(
        "request.toml",
        "reference = \"FOI-1\"\nreceived = 2026-06-10\narea = \"E06000016\"\n\n\
         [[question]]\nnumber = \"1\"\ntext = \"How many in employment?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2016/17\"]\nfilter = { employment_status = \"regular_employment\" }\n\n\
         [[question]]\nnumber = \"2\"\ntext = \"How many?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2016/17\"]\n",
    );
    let a = answer(&app, &[]);
    let findings = a["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{a:#}");
    let what = findings[0]["what"].as_str().unwrap_or_default();
    assert!(
        what.contains("N0001 (2026-03: no EMPSTAT column), N0002 (2026-03: no EMPSTAT column)"),
        "{what}"
    );
    assert_eq!(question(&a, "1", None)["rows"][0]["decision"], "missing");
    let total = &question(&a, "2", None)["rows"][0];
    assert_eq!(total["decision"], "given", "{total:#}");
    assert_eq!(total["value"]["amount"], 8, "{total:#}");
}
