//! Providers' submissions through the real binary: figures computed from
//! hand-built records whose right values are worked out here by hand,
//! idempotent and replacing submissions, hostile files, and a process
//! killed in the middle of an import.

use std::collections::BTreeMap;

use serde_json::Value;

use super::TestApp;

pub(super) const HEADER: &str = "AGNCY,CLIENT,FINITIAL,SINITIAL,DOB,SEX,ETHNIC,LA,EPISODID,REFLD,TRIAGED,EPSTART,DISD,DISRSN,DRUG1,DRUG2,DRUG3,MODID,MODAL,MODSET,MODST,MODEND,FUNDING,NALOXONE";
const KEY: &str = "a test secret that is long enough";
const LEICESTER: &str = "E06000016";

/// A directory with the provider register loaded.
pub(super) fn app_with_agencies() -> TestApp {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    app.write(
        "agencies.csv",
        "code,name,area\nA1,First Step Leicester,E06000016\nA2,Second Chance,E06000016\n",
    );
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    app
}

pub(super) fn file(rows: &[&str]) -> String {
    let mut text = String::from(HEADER);
    text.push('\n');
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text
}

/// Provider A1: three people.
/// - J.S., born May 1980, male: opiate and crack, in treatment since June 2016, still open.
/// - A.B., born January 1990, female: alcohol only, February to May 2017, completed (80).
/// - K.L., born March 1970, male: alcohol and powder cocaine; a self-funded
///   residential placement from May 2017; died in treatment (89) in September 2017.
fn a1() -> String {
    file(&[
        "A1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2",
        "A1,c2,A,B,1990-01-15,F,B,E06000016,e2,20170115,20170120,20170201,20170510,80,7000,,,m2,PSYCH,COM,20170201,20170510,LA,",
        "A1,c3,K,L,19700303,M,A,E06000016,e3,20170401,20170405,20170410,20170901,89,7000,3200,,m3,PSYCH,COM,20170410,20170501,LA,",
        "A1,c3,K,L,19700303,M,A,E06000016,e3,20170401,20170405,20170410,20170901,89,7000,3200,,m4,PHARM,RES,20170501,20170801,SELF,",
    ])
}

/// Provider A2: J.S. again (the same person), from June 2017, crack only.
fn a2() -> String {
    file(&[
        "A2,x9,J,S,19800510,M,A,E06000016,q1,20170525,20170528,20170601,,,3201,,,n1,PSYCH,COM,20170601,,LA,",
    ])
}

fn submit(app: &TestApp, name: &str, text: &str) -> String {
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The figures computed from records for an indicator: (period, breakdown) → value.
fn computed(app: &TestApp, indicator: &str) -> BTreeMap<(String, String), (i64, Vec<String>)> {
    let out = app
        .run(&["figures", indicator, "--area", LEICESTER, "--json"])
        .ok();
    let v: Value = serde_json::from_str(&out).expect("figures --json");
    v["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .filter(|f| f["source"] == "local_records")
        .map(|f| {
            let breakdown = f["breakdown"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default();
            let value = f["value"]
                .as_str()
                .and_then(|s| s.replace(',', "").parse().ok())
                .or_else(|| f["value"].as_i64())
                .unwrap_or(-1);
            let coverage = f["coverage"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (
                (f["period"].as_str().unwrap_or("").to_string(), breakdown),
                (value, coverage),
            )
        })
        .collect()
}

fn value(
    map: &BTreeMap<(String, String), (i64, Vec<String>)>,
    period: &str,
    breakdown: &str,
) -> i64 {
    map.get(&(period.to_string(), breakdown.to_string()))
        .map(|(v, _)| *v)
        .unwrap_or_else(|| {
            panic!(
                "no figure for {period} [{breakdown}]; have {:?}",
                map.keys().collect::<Vec<_>>()
            )
        })
}

#[test]
fn figures_from_hand_built_records_match_the_counts_worked_out_by_hand() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    submit(&app, "A2-2026-03.csv", &a2());

    let people = computed(&app, "people_in_treatment");
    // 2016/17: J.S. (from June 2016) and A.B. (from February 2017).
    assert_eq!(value(&people, "2016/17", ""), 2);
    assert_eq!(value(&people, "2016/17", "substance_group=opiate"), 1);
    assert_eq!(value(&people, "2016/17", "substance_group=alcohol_only"), 1);
    assert_eq!(value(&people, "2016/17", "crack=crack"), 1);
    // 2017/18: J.S. at two providers is one person; A.B. until May (the
    // episode spans the year boundary); K.L.
    assert_eq!(value(&people, "2017/18", ""), 3);
    assert_eq!(value(&people, "2017/18", "substance_group=opiate"), 1);
    assert_eq!(value(&people, "2017/18", "substance_group=alcohol_only"), 1);
    assert_eq!(
        value(&people, "2017/18", "substance_group=non_opiate_and_alcohol"),
        1
    );
    assert_eq!(
        value(&people, "2017/18", "substance_group=non_opiate_only"),
        0
    );
    assert_eq!(
        value(&people, "2017/18", "crack=crack;substance_group=opiate"),
        1
    );
    assert_eq!(value(&people, "2017/18", "crack=crack"), 1);
    assert_eq!(value(&people, "2017/18", "crack=no_crack"), 2);
    assert_eq!(value(&people, "2017/18", "sex=male"), 2);
    assert_eq!(value(&people, "2017/18", "sex=female"), 1);
    // Ages on 1 April 2017 (or the later episode start): 36, 27, 47.
    assert_eq!(value(&people, "2017/18", "age_band=35-39"), 1);
    assert_eq!(value(&people, "2017/18", "age_band=25-29"), 1);
    assert_eq!(value(&people, "2017/18", "age_band=45-49"), 1);
    assert_eq!(value(&people, "2017/18", "age_band=18"), 0);
    // Counted under each provider attended.
    assert_eq!(value(&people, "2017/18", "provider=A1"), 3);
    assert_eq!(value(&people, "2017/18", "provider=A2"), 1);

    let completions = computed(&app, "successful_completions");
    assert_eq!(value(&completions, "2017/18", ""), 1);
    let exits = computed(&app, "treatment_exits");
    assert_eq!(value(&exits, "2017/18", ""), 2);
    assert_eq!(value(&exits, "2016/17", ""), 0);
    let deaths = computed(&app, "deaths_in_treatment");
    assert_eq!(value(&deaths, "2017/18", ""), 1);
    assert_eq!(
        value(&deaths, "2017/18", "substance_group=non_opiate_and_alcohol"),
        1
    );

    let rehab = computed(&app, "residential_rehab_placements");
    assert_eq!(value(&rehab, "2017/18", ""), 1);
    assert_eq!(value(&rehab, "2017/18", "funding=self_funded"), 1);
    assert_eq!(value(&rehab, "2017/18", "funding=council"), 0);
    let total = &rehab[&("2017/18".to_string(), String::new())];
    assert_eq!(total.1, vec!["includes self-funded placements".to_string()]);
    let detox = computed(&app, "inpatient_detox_placements");
    assert_eq!(value(&detox, "2017/18", ""), 0);

    let naloxone = computed(&app, "naloxone_kits_issued");
    assert_eq!(value(&naloxone, "2016/17", ""), 2);
    assert_eq!(value(&naloxone, "2017/18", ""), 0);

    let new = computed(&app, "new_presentations");
    assert_eq!(value(&new, "2016/17", ""), 2);
    // J.S.'s second episode starts while the first is open: not a new journey.
    assert_eq!(value(&new, "2017/18", ""), 1);

    // Nothing is written for years before the records begin.
    assert!(!people.keys().any(|(p, _)| p == "2015/16"));
}

#[test]
fn the_same_file_twice_changes_nothing_and_a_new_month_replaces_the_old() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    submit(&app, "A2-2026-03.csv", &a2());
    let version = app.data_version();
    let again = submit(&app, "A2-2026-03.csv", &a2());
    assert!(again.contains("nothing changed"), "{again}");
    assert_eq!(app.data_version(), version);

    // A2 re-sends March without J.S.: he is still counted once (through A1),
    // and no longer under A2.
    let without = file(&[
        "A2,x7,Q,R,19850101,F,Z,E06000016,q2,20170701,20170702,20170703,,,5000,,,n2,PSYCH,COM,20170703,,LA,",
    ]);
    submit(&app, "A2-2026-03.csv", &without);
    let people = computed(&app, "people_in_treatment");
    assert_eq!(value(&people, "2017/18", ""), 4);
    assert_eq!(value(&people, "2017/18", "provider=A2"), 1);
    assert_eq!(
        value(&people, "2017/18", "substance_group=non_opiate_only"),
        1
    );

    let list: Value =
        serde_json::from_str(&app.run(&["submissions", "--json"]).ok()).expect("json");
    let statuses: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["current", "replaced", "current"]);
}

#[test]
fn a_hostile_file_gets_a_precise_report_and_changes_nothing() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    let version = app.data_version();
    let hostile = file(&[
        // Unknown drug code.
        "A1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,9999,3201,,m1,PHARM,COM,20160601,,LA,2",
        // One field short.
        "A1,c2,A,B,1990-01-15,F,B,E06000016,e2,20170115,20170120,20170201,20170510,80,7000,,,m2,PSYCH,COM,20170201,20170510,LA",
        // A spreadsheet formula in the client identifier.
        "A1,=cmd|' /C calc'!A0,K,L,19700303,M,A,E06000016,e3,20170401,20170405,20170410,20170901,89,7000,3200,,m3,PSYCH,COM,20170410,20170501,LA,",
        // A date in the future.
        "A1,c4,P,Q,19800101,M,A,E06000016,e4,20990101,20990102,20990103,,,7000,,,m5,PSYCH,COM,20990103,,LA,",
        // Discharge before start.
        "A1,c5,R,T,19800101,F,A,E06000016,e5,20170101,20170102,20170103,20160101,85,7000,,,m6,PSYCH,COM,20170103,20160101,LA,",
    ]);
    app.write("A1-2026-04.csv", &hostile);
    let mut cmd = app.command(&["import", "episodes", "A1-2026-04.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = cmd.output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for expected in [
        "A1-2026-04.csv:2: DRUG1 '9999'",
        "A1-2026-04.csv:3:",
        "A1-2026-04.csv:4: CLIENT",
        "formula",
        "A1-2026-04.csv:5:",
        "dated after the reporting month",
        "A1-2026-04.csv:6:",
        "discharge before start",
        "REJECTED",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert_eq!(app.data_version(), version);
    let people = computed(&app, "people_in_treatment");
    assert_eq!(value(&people, "2017/18", ""), 3);

    // The report is kept with the submission.
    let list: Value =
        serde_json::from_str(&app.run(&["submissions", "--json"]).ok()).expect("json");
    let rejected = list
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["status"] == "rejected")
        .expect("the rejected submission is listed");
    let id = rejected["submission"].as_i64().expect("id").to_string();
    let shown = app.run(&["submissions", &id]).ok();
    assert!(shown.contains("discharge before start"), "{shown}");
}

#[test]
fn files_that_are_not_text_or_have_enormous_lines_are_refused_cleanly() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    let version = app.data_version();

    let mut bytes = file(&[]).into_bytes();
    bytes.extend_from_slice(b"A1,c\xff\xfe1,J,S\n");
    std::fs::write(app.path("A1-2026-04.csv"), &bytes).expect("write");
    let mut cmd = app.command(&["import", "episodes", "A1-2026-04.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = cmd.output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("UTF-8"), "{stdout}");
    assert!(stdout.contains(":2"), "names the line: {stdout}");

    // A single line of 100 MB.
    let mut huge = file(&[]).into_bytes();
    huge.extend(std::iter::repeat_n(b'x', 100 << 20));
    huge.push(b'\n');
    std::fs::write(app.path("A1-2026-05.csv"), &huge).expect("write");
    let mut cmd = app.command(&["import", "episodes", "A1-2026-05.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = cmd.output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.len() < 10_000,
        "the report stays short: {} bytes",
        stdout.len()
    );
    assert!(stdout.contains("A1-2026-05.csv:2"), "{stdout}");

    assert_eq!(app.data_version(), version);
}

#[test]
fn a_different_pseudonymisation_key_or_none_is_refused() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    app.write("A2-2026-03.csv", &a2());
    let mut cmd = app.command(&["import", "episodes", "A2-2026-03.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", "another secret, also long enough");
    let out = cmd.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("not the one earlier submissions were made with"),
        "{stderr}"
    );

    let err = app.run(&["import", "episodes", "A2-2026-03.csv"]).fails();
    assert!(err.contains("LANTERN_PSEUDONYM_KEY"), "{err}");
}

/// Keys are bytes: two keys that are not UTF-8 and differ only in bytes
/// that are not text are different keys, so the second is refused.
#[cfg(unix)]
#[test]
fn keys_that_are_not_text_are_kept_as_bytes() {
    use std::os::unix::ffi::OsStringExt as _;
    let app = app_with_agencies();
    app.write("A1-2026-03.csv", &a1());
    app.write("A2-2026-03.csv", &a2());
    let key =
        |byte: u8| std::ffi::OsString::from_vec([vec![byte; 20], b"-secret".to_vec()].concat());
    let mut cmd = app.command(&["import", "episodes", "A1-2026-03.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", key(0xff));
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = app.command(&["import", "episodes", "A2-2026-03.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", key(0xfe));
    let out = cmd.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not the one earlier submissions were made with"),
        "{stderr}"
    );
    // The same bytes again are the same key.
    let mut cmd = app.command(&["import", "episodes", "A2-2026-03.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", key(0xff));
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unregistered_agency_is_refused() {
    let app = app_with_agencies();
    let text = a1().replace("A1,", "ZZ9,");
    app.write("ZZ9-2026-03.csv", &text);
    let mut cmd = app.command(&["import", "episodes", "ZZ9-2026-03.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = cmd.output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("unknown agency"), "{stdout}");
}

/// A file named for one agency holding another's rows is refused, with
/// the line and column, whether or not the named agency is registered.
#[test]
fn the_agency_in_the_file_name_and_in_the_rows_must_agree() {
    let app = app_with_agencies();
    for name in ["A2-2026-03.csv", "A7-2026-03.csv"] {
        app.write(name, &a1());
        let mut cmd = app.command(&["import", "episodes", name]);
        cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
        let out = cmd.output().expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
        assert!(stdout.contains("REJECTED"), "{name}: {stdout}");
        assert!(
            stdout.contains(&format!("{name}:2: AGNCY")) && stdout.contains("differs from"),
            "{name}: {stdout}"
        );
    }
    let list = app.run(&["submissions", "--json"]).ok();
    let list: Value = serde_json::from_str(&list).expect("json");
    assert!(
        list.as_array()
            .expect("array")
            .iter()
            .all(|s| s["status"] == "rejected"),
        "{list}"
    );
    // A name that is not an agency code leaves the agency to the rows.
    submit(&app, "march-2026-03.csv", &a1());
}

fn import_on(app: &TestApp, today: Option<&str>, args: &[&str]) -> super::Run {
    let mut all = vec!["import", "episodes"];
    all.extend_from_slice(args);
    let mut cmd = app.command(&all);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    if let Some(day) = today {
        cmd.env("LANTERN_TODAY", day);
    }
    super::Run::from(cmd.output().expect("run lantern"))
}

/// A reporting month that has not begun is refused (by `--month` or by the
/// file name), and the current month is not.
#[test]
fn a_month_that_has_not_begun_is_refused() {
    let app = app_with_agencies();
    app.write("a1.csv", &a1());
    let err = import_on(&app, None, &["--month", "2062-04", "a1.csv"]).fails();
    assert!(
        err.contains("a1.csv: the reporting month 2062-04 has not begun"),
        "{err}"
    );
    app.write("A1-2026-05.csv", &a1());
    let err = import_on(&app, Some("2026-04-30"), &["A1-2026-05.csv"]).fails();
    assert!(
        err.contains("2026-05 has not begun (today is 2026-04-30)"),
        "{err}"
    );
    // --as-of sets the same day (LANTERN_TODAY is its alias), and wins.
    let err = import_on(&app, None, &["--as-of", "2026-04-30", "A1-2026-05.csv"]).fails();
    assert!(
        err.contains("2026-05 has not begun (today is 2026-04-30)"),
        "{err}"
    );
    let err = import_on(
        &app,
        Some("2026-05-31"),
        &["--as-of", "2026-04-30", "A1-2026-05.csv"],
    )
    .fails();
    assert!(err.contains("(today is 2026-04-30)"), "{err}");
    let list = app.run(&["submissions", "--json"]).ok();
    assert_eq!(list.trim(), "[]", "nothing was stored");
    app.write("A1-2026-04.csv", &a1());
    import_on(&app, Some("2026-04-30"), &["A1-2026-04.csv"]).ok();
}

/// A wrongly dated submission (taken before months were checked) hides
/// every real month; withdrawing it, audited, brings the real one back and
/// recomputes the figures it touched.
#[test]
fn a_wrongly_dated_submission_can_be_withdrawn() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    let right = computed(&app, "people_in_treatment");

    // As if taken before the check: a month in 2062, without K.L.
    let wrong: Vec<String> = a1().lines().take(3).map(String::from).collect();
    app.write("A1-2062-04.csv", &format!("{}\n", wrong.join("\n")));
    import_on(&app, Some("2062-04-30"), &["A1-2062-04.csv"]).ok();
    assert!(
        computed(&app, "people_in_treatment") != right,
        "the wrong month took over"
    );
    let out = import_on(&app, None, &["A1-2026-03.csv"]).ok();
    assert!(out.contains("nothing changed"), "{out}");

    let list: Value =
        serde_json::from_str(&app.run(&["submissions", "--json"]).ok()).expect("json");
    let wrong_id = list[1]["submission"].as_i64().expect("id");
    assert_eq!(list[1]["status"], "current");

    let err = app
        .run(&[
            "submissions",
            "withdraw",
            &wrong_id.to_string(),
            "--reason",
            " ",
        ])
        .fails();
    assert!(err.contains("say why"), "{err}");
    let out = app
        .run(&[
            "--actor",
            "officer.b",
            "submissions",
            "withdraw",
            &wrong_id.to_string(),
            "--reason",
            "dated 2062 by mistake",
        ])
        .ok();
    assert!(
        out.contains(&format!(
            "Withdrew submission {wrong_id} from A1 for 2062-04"
        )),
        "{out}"
    );
    assert!(out.contains("Recomputed 1 area"), "{out}");
    assert!(
        computed(&app, "people_in_treatment") == right,
        "figures as before"
    );

    let list: Value =
        serde_json::from_str(&app.run(&["submissions", "--json"]).ok()).expect("json");
    assert_eq!(list[0]["status"], "current");
    assert_eq!(list[1]["status"], "withdrawn");
    assert_eq!(list[1]["withdrawn"], "dated 2062 by mistake");
    let imports: Value = serde_json::from_str(&app.run(&["imports", "--json"]).ok()).expect("json");
    assert!(
        imports
            .as_array()
            .expect("array")
            .iter()
            .any(|i| i["kind"] == "withdrawal"
                && i["actor"] == "officer.b"
                && i["file"] == format!("submission {wrong_id}")),
        "{imports}"
    );
    let err = app
        .run(&[
            "submissions",
            "withdraw",
            &wrong_id.to_string(),
            "--reason",
            "again",
        ])
        .fails();
    assert!(err.contains("withdrawn already"), "{err}");
}

/// A second writer waits a bounded time for an import in progress, then
/// says what holds the lock and since when, on either engine.
#[test]
fn a_second_writer_is_told_which_import_is_running_and_since_when() {
    use std::io::BufRead as _;
    let app = app_with_agencies();
    app.write("A1-2026-03.csv", &a1());
    let mut cmd = app.command(&["import", "episodes", "A1-2026-03.csv"]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY)
        .env("LANTERN_FAILPOINT", "before-submit-commit:pause")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut holder = cmd.spawn().expect("spawn");
    let stderr = holder.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let reached = lines.any(|l| l.is_ok_and(|l| l.contains("failpoint before-submit-commit")));
    assert!(reached, "the first import holds the write lock");

    let started = std::time::Instant::now();
    let mut second = app.command(&["import", "agencies", "agencies.csv"]);
    second.env("LANTERN_LOCK_WAIT", "1");
    let out = second.output().expect("run");
    let waited = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("another import is running since ")
            && err.contains(" UTC (lantern import episodes by tester); try again when it finishes"),
        "{err}"
    );
    assert!(!err.contains("database is locked"), "{err}");
    assert!(waited < std::time::Duration::from_secs(20), "{waited:?}");
    // Once it is gone, writing works again.
    app.run(&["import", "agencies", "agencies.csv"]).ok();
}

#[test]
fn no_names_initials_or_dates_of_birth_are_stored() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    app.run(&["export", "dump.jsonl"]).ok();
    let dump = std::fs::read_to_string(app.path("dump.jsonl")).expect("dump");
    for secret in [
        "19800510",
        "1980-05-10",
        "19700303",
        "1990-01-15",
        "c1",
        "c2",
        KEY,
    ] {
        assert!(
            !dump.contains(&format!("\"{secret}\"")),
            "{secret} is in the dump"
        );
    }
}

/// `lantern generate` never puts records on a real council's area unless asked.
#[test]
fn generated_areas_are_synthetic_unless_a_real_code_is_asked_for() {
    let app = TestApp::empty();
    let said = app
        .run(&["generate", "--scale", "council", "--out", "synthetic"])
        .ok();
    assert!(said.contains("synthetic code (E99"), "{said}");
    let register = std::fs::read_to_string(app.path("synthetic/agencies.csv")).expect("register");
    assert!(!register.contains("E06000016"), "{register}");
    assert!(
        register.lines().skip(1).all(|l| l.ends_with(",E99000001")),
        "{register}"
    );
    let submission = std::fs::read_to_string(app.path("synthetic/submissions/N0001-2026-03.csv"))
        .expect("submission");
    assert!(!submission.contains(",E06000016,"));
    assert!(
        submission
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains(",E99000001,"))
    );

    app.run(&[
        "generate",
        "--scale",
        "council",
        "--out",
        "real",
        "--area",
        "E06000016",
    ])
    .ok();
    let register = std::fs::read_to_string(app.path("real/agencies.csv")).expect("register");
    assert!(
        register.lines().skip(1).all(|l| l.ends_with(",E06000016")),
        "{register}"
    );
    let err = app
        .run(&[
            "generate",
            "--scale",
            "council",
            "--out",
            "bad",
            "--area",
            "Leicester",
        ])
        .fails();
    assert!(err.contains("--area Leicester"), "{err}");
    assert!(err.contains("E and eight digits"), "{err}");
}

/// Kill `lantern import episodes` at different moments; every time the
/// database must hold either the whole earlier state or the whole new
/// submission, never part of one.
#[test]
fn killing_an_import_leaves_the_previous_state_intact() {
    let app = app_with_agencies();
    let out = app
        .run(&[
            "generate", "--scale", "council", "--seed", "7", "--out", "gen",
        ])
        .ok();
    assert!(out.contains("Generated"), "{out}");
    app.run(&["import", "agencies", "gen/agencies.csv"]).ok();
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(app.path("gen/submissions"))
        .expect("generated")
        .map(|e| e.expect("entry").path())
        .collect();
    let first = files[0].to_str().expect("utf-8").to_string();
    let mut cmd = app.command(&["import", "episodes", &first]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    assert!(cmd.output().expect("run").status.success());
    let before = app.run(&["recompute", "--json"]).ok();
    let before: Value = serde_json::from_str(&before).expect("json");
    let records_before = before["records"].as_u64().expect("records");

    for delay_ms in [5u64, 30, 80, 150, 300] {
        let version = app.data_version();
        let mut cmd = app.command(&["import", "episodes", files[1].to_str().expect("utf-8")]);
        cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
        let mut child = cmd.spawn().expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();

        // The database opens and is consistent: a full recompute changes
        // nothing that an interrupted import left half-done.
        // Killed after its submission committed but before the
        // recomputation it owes, the listing says the figures are being
        // brought up to date (exit 3); the recompute below settles it.
        let listed = app.run(&["submissions", "--json"]);
        assert!(
            listed.code == 0
                || (listed.code == 3 && listed.stderr.contains("being brought up to date")),
            "exit {}: {}",
            listed.code,
            listed.stderr
        );
        let list: Value = serde_json::from_str(&listed.stdout).expect("json");
        let landed = list.as_array().expect("array").iter().any(|s| {
            s["file"].as_str().is_some_and(|f| {
                f.ends_with(files[1].file_name().and_then(|n| n.to_str()).unwrap_or("?"))
            })
        });
        let now: Value =
            serde_json::from_str(&app.run(&["recompute", "--json"]).ok()).expect("json");
        let records_now = now["records"].as_u64().expect("records");
        if landed {
            assert!(records_now > records_before, "the submission landed whole");
            break;
        }
        assert_eq!(
            records_now, records_before,
            "nothing of the killed import is held"
        );
        assert!(app.data_version() >= version);
    }
}

/// A submission's CSV text (as [`file`] makes it) as an XLSX workbook whose
/// one sheet holds the table from A1: dates as date cells (numbers
/// formatted as dates, as a spreadsheet stores them), numbers as numbers,
/// the rest as text, empty values as no cell.
pub(super) fn xlsx(csv: &str) -> Vec<u8> {
    use std::io::Write as _;
    const DATES: [&str; 7] = [
        "DOB", "REFLD", "TRIAGED", "EPSTART", "DISD", "MODST", "MODEND",
    ];
    let header: Vec<&str> = HEADER.split(',').collect();
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let column = |i: usize| -> String {
        let mut n = i + 1;
        let mut s = Vec::new();
        while n > 0 {
            s.push(b'A' + ((n - 1) % 26) as u8);
            n = (n - 1) / 26;
        }
        s.reverse();
        String::from_utf8(s).expect("letters")
    };
    // Days since 1899-12-30: Excel's serial for dates after February 1900.
    let serial = |text: &str| -> Option<i64> {
        let iso = if text.len() == 8 {
            format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..])
        } else {
            text.to_string()
        };
        let date: jiff::civil::Date = iso.parse().ok()?;
        Some((date - jiff::civil::date(1899, 12, 30)).get_days().into())
    };
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let lines: Vec<Vec<&str>> = csv.lines().map(|r| r.split(',').collect()).collect();
    for (r, cells) in lines.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, value) in cells.iter().enumerate() {
            let at = format!("{}{}", column(c), r + 1);
            let name = header.get(c).copied().unwrap_or("");
            if value.is_empty() {
                continue;
            }
            let date = (r > 0 && DATES.contains(&name))
                .then(|| serial(value))
                .flatten();
            if let Some(days) = date {
                sheet.push_str(&format!(r#"<c r="{at}" s="1"><v>{days}</v></c>"#));
            } else if r > 0 && value.bytes().all(|b| b.is_ascii_digit()) {
                sheet.push_str(&format!(r#"<c r="{at}"><v>{value}</v></c>"#));
            } else {
                sheet.push_str(&format!(
                    r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                    escape(value)
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rels = "http://schemas.openxmlformats.org/package/2006/relationships";
    let doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ),
        (
            "xl/workbook.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{doc}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{doc}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{doc}/styles" Target="styles.xml"/></Relationships>"#),
        ),
        (
            "xl/styles.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}"><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"#),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(text.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

fn import_bytes(app: &TestApp, name: &str, bytes: &[u8]) -> std::process::Output {
    std::fs::write(app.path(name), bytes).expect("write");
    let mut cmd = app.command(&["import", "episodes", name]);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    cmd.output().expect("run lantern")
}

#[test]
fn an_xlsx_submission_gives_the_same_figures_as_the_same_csv() {
    let from_csv = app_with_agencies();
    submit(&from_csv, "A1-2026-03.csv", &a1());
    submit(&from_csv, "A2-2026-03.csv", &a2());

    let from_xlsx = app_with_agencies();
    for (name, csv) in [("A1-2026-03.xlsx", a1()), ("A2-2026-03.xlsx", a2())] {
        let out = import_bytes(&from_xlsx, name, &xlsx(&csv));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("rows accepted"), "{stdout}");
    }
    for indicator in [
        "people_in_treatment",
        "new_presentations",
        "treatment_exits",
        "successful_completions",
        "deaths_in_treatment",
        "residential_rehab_placements",
        "inpatient_detox_placements",
        "naloxone_kits_issued",
    ] {
        let (csv, xlsx) = (
            computed(&from_csv, indicator),
            computed(&from_xlsx, indicator),
        );
        assert!(!csv.is_empty(), "{indicator}");
        assert_eq!(xlsx, csv, "{indicator}");
    }
    // Sending the same workbook again changes nothing.
    let version = from_xlsx.data_version();
    let again = import_bytes(&from_xlsx, "A2-2026-03.xlsx", &xlsx(&a2()));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    assert_eq!(from_xlsx.data_version(), version);

    // A bad cell is named in the sheet's notation; nothing is applied.
    let bad = xlsx(&file(&[
        "A1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,9999,3201,,m1,PHARM,COM,20160601,,LA,2",
        "A1,=cmd|' /C calc'!A0,K,L,19700303,M,A,E06000016,e3,20170401,20170405,20170410,20170901,89,7000,3200,,m3,PSYCH,COM,20170410,20170501,LA,",
    ]));
    let out = import_bytes(&from_xlsx, "A1-2026-04.xlsx", &bad);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for expected in [
        "A1-2026-04.xlsx:Sheet1!O2: DRUG1 '9999'",
        "A1-2026-04.xlsx:Sheet1!B3: CLIENT",
        "formula",
        "REJECTED",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let json: Value =
        serde_json::from_str(&from_xlsx.run(&["submissions", "--json"]).ok()).expect("json");
    let rejected = json
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["status"] == "rejected")
        .expect("the rejected workbook is listed")["submission"]
        .as_i64()
        .expect("id");
    let report: Value = serde_json::from_str(
        &from_xlsx
            .run(&["submissions", &rejected.to_string(), "--json"])
            .ok(),
    )
    .expect("json");
    let first = &report["report"]["errors"][0];
    assert_eq!(
        (first["line"].as_i64(), first["cell"].as_str()),
        (Some(2), Some("Sheet1!O2"))
    );
    assert_eq!(from_xlsx.data_version(), version);

    // A damaged workbook (cut short) is refused with a clear reason.
    let mut damaged = xlsx(&a2());
    damaged.truncate(damaged.len() / 2);
    let out = import_bytes(&from_xlsx, "A2-2026-04.xlsx", &damaged);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("A2-2026-04.xlsx: not a readable XLSX workbook"),
        "{stdout}"
    );
    assert!(stdout.contains("REJECTED"), "{stdout}");
    assert_eq!(from_xlsx.data_version(), version);
    assert_eq!(
        computed(&from_xlsx, "people_in_treatment"),
        computed(&from_csv, "people_in_treatment")
    );
}

#[test]
fn where_records_and_an_ndtms_report_disagree_both_are_kept_and_the_difference_listed() {
    let app = app_with_agencies();
    submit(&app, "A1-2026-03.csv", &a1());
    submit(&app, "A2-2026-03.csv", &a2());
    // NDTMS says 3 people in 2017/18 (as computed) but 4 in 2016/17 (2 computed).
    app.write(
        "ndtms.csv",
        "indicator,area,period,value,source\n\
         people_in_treatment,E06000016,2017/18,3,ndtms_partnership\n\
         people_in_treatment,E06000016,2016/17,4,ndtms_partnership\n",
    );
    app.run(&["import", "figures", "ndtms.csv"]).ok();
    let found: Value =
        serde_json::from_str(&app.run(&["differences", "--json"]).ok()).expect("json");
    let rows = found.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["period"], "2016/17");
    assert_eq!(rows[0]["breakdown"], "");
    assert_eq!(
        rows[0]["amounts"],
        serde_json::json!([
            {"source": "ndtms_partnership", "amount": 4},
            {"source": "local_records", "amount": 2},
        ])
    );
    assert_eq!(rows[0]["spread"], 2);
    let text = app.run(&["differences", "people_in_treatment"]).ok();
    assert!(
        text.contains("2016/17")
            && text.contains("ndtms_partnership 4")
            && text.contains("local_records 2"),
        "{text}"
    );
    // Both are kept: the figures list shows each source's.
    let held = app
        .run(&[
            "figures",
            "people_in_treatment",
            "--from",
            "2016/17",
            "--to",
            "2016/17",
        ])
        .ok();
    assert!(
        held.contains("ndtms_partnership") && held.contains("local_records"),
        "{held}"
    );
    let err = app.run(&["differences", "people_in_treatmnt"]).fails();
    assert!(err.contains("people_in_treatment"), "{err}");
}
