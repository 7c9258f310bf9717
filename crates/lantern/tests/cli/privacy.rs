//! No personal data kept by accident (issue 10): providers' files full of
//! bad rows — names in the initials, NHS numbers and names as client
//! identifiers, a child's date of birth in several spellings, a valid
//! client's date of birth that an earlier Lantern quoted in "differs from
//! line 2" — go through the real binary, and none of those values may be
//! found afterwards in the database's own files (SQLite, with its `-wal`),
//! a `pg_dump` of the PostgreSQL database, `lantern export`, or anything
//! any command printed or wrote. Reports stored by an older Lantern are
//! scrubbed by migration 6, and a dump of an older database as it is
//! restored.

use std::process::Command;

use serde_json::Value;

use super::TestApp;
use super::records::{HEADER, app_with_agencies, file, xlsx};

const KEY: &str = "a test secret that is long enough";

/// Values that identify someone; not one may be found anywhere.
const SECRETS: &[&str] = &[
    "Zebedee",
    "Quartermain",
    "4857773456",
    "485 777 3456",
    "ZEBQ1983",
    "2011-07-23",
    "20110723",
    "23/07/2011",
    "2011/07/23",
    "1983-09-17",
    "19830917",
    "19830918",
];

/// Rows with every kind of identifying value in a bad cell, and a valid
/// client whose second row gives another date of birth.
fn bad_rows() -> String {
    file(&[
        // A valid client (ZEBQ1983, born 17 September 1983) ...
        "A1,ZEBQ1983,J,S,19830917,M,A,E06000016,e1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2",
        // ... whose second row differs in the date of birth.
        "A1,ZEBQ1983,J,S,19830918,M,A,E06000016,e1,20160520,20160525,20160601,,,1101,3201,,m2,PHARM,COM,20160601,,LA,",
        // A child named in every identifying field.
        "A1,4857773456 Zebedee Quartermain,Zebedee,Quartermain,2011-07-23,F,A,E06000016,e2,20250520,20250525,20250601,,,7000,,,m3,PSYCH,COM,20250601,,LA,",
        "A1,485 777 3456,Z,Q,20110723,F,A,E06000016,e3,20250520,20250525,20250601,,,7000,,,m4,PSYCH,COM,20250601,,LA,",
        "A1,4857773456,Z,Q,23/07/2011,F,A,E06000016,e4,20250520,20250525,20250601,,,7000,,,m5,PSYCH,COM,20250601,,LA,",
        "A1,4857773456,Zebedee Quartermain,Q,2011/07/23,F,A,E06000016,e5,20250520,20250525,20250601,,,7000,,,m6,PSYCH,COM,20250601,,LA,",
        // The date of birth after the referral.
        "A1,4857773456,Z,Q,20110723,F,A,E06000016,e6,20100520,20100525,20100601,,,7000,,,m7,PSYCH,COM,20100601,,LA,",
        // A name in a code column.
        "A1,4857773456,Z,Q,19830917,Quartermain,A,E06000016,e7,20160520,20160525,20160601,,,7000,,,m8,PSYCH,COM,20160601,,LA,",
    ])
}

/// A good episode (so that a file with bad rows within the limit applies
/// something).
const GOOD: &str = "A1,c9,A,B,19900115,F,B,E06000016,e9,20170115,20170120,20170201,,,7000,,,m9,PSYCH,COM,20170201,,LA,";

/// Run `lantern ARGS` with the pseudonym key; (exit code, stdout + stderr).
fn run(app: &TestApp, args: &[&str]) -> (i32, String) {
    let mut cmd = app.command(args);
    cmd.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = cmd.output().expect("run lantern");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

#[track_caller]
fn assert_no_secrets(what: &str, bytes: &[u8]) {
    for secret in SECRETS {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret:?} is in {what}");
    }
}

/// Every byte the database holds: the SQLite file and its write-ahead log
/// as they are on disk, or a `pg_dump` of the PostgreSQL database.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    match &app.postgres {
        Some(db) => {
            let out = Command::new("pg_dump")
                .arg("--dbname")
                .arg(db.location())
                .output()
                .expect("pg_dump is installed");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
        None => {
            let mut bytes = std::fs::read(app.path("lantern.db")).expect("database file");
            if let Ok(wal) = std::fs::read(app.path("lantern.db-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
    }
}

/// Every file in the working directory except the inputs the test wrote
/// (so a log file, a temporary file or a report left behind is searched).
fn written_files(app: &TestApp, inputs: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![app.path("")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if inputs.contains(&name.as_str()) {
                continue;
            }
            files.push((name, std::fs::read(&path).expect("read file")));
        }
    }
    files
}

#[test]
fn bad_rows_leave_no_identifiers_initials_or_dates_of_birth_anywhere() {
    let app = app_with_agencies();
    let mut printed = Vec::new();

    // Within a generous bad-row limit: the good episode applies and the
    // bad rows are reported and kept with the submission.
    let mut within = bad_rows();
    within.push_str(GOOD);
    within.push('\n');
    app.write("A1-2026-03.csv", &within);
    let (code, out) = run(
        &app,
        &[
            "import",
            "episodes",
            "A1-2026-03.csv",
            "--max-bad-rows",
            "100%",
        ],
    );
    assert_eq!(code, 0, "{out}");
    // The report still says where and what.
    for expected in [
        "A1-2026-03.csv:3: DOB: differs from line 2 of the same episode",
        "A1-2026-03.csv:4: FINITIAL (7 characters): not an initial",
        "A1-2026-03.csv:4: DOB: under 18",
        "A1-2026-03.csv:6: DOB (10 characters): not a date",
        "A1-2026-03.csv:8: DOB: not before the referral",
        "A1-2026-03.csv:9: SEX (11 characters): not a sex code",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    printed.push(out);

    // Over the limit: rejected whole, the report kept.
    app.write("A1-2026-02.csv", &bad_rows());
    let (code, out) = run(&app, &["import", "episodes", "A1-2026-02.csv"]);
    assert_eq!(code, 1, "{out}");
    printed.push(out);

    // The receipt as JSON.
    app.write("A1-2025-11.csv", &bad_rows());
    let (code, out) = run(&app, &["import", "episodes", "A1-2025-11.csv", "--json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("under 18"), "{out}");
    printed.push(out);

    // The same as a workbook.
    std::fs::write(app.path("A1-2026-01.xlsx"), xlsx(&bad_rows())).expect("write xlsx");
    let (code, out) = run(&app, &["import", "episodes", "A1-2026-01.xlsx"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("A1-2026-01.xlsx:Sheet1!E4: DOB: under 18"),
        "{out}"
    );
    printed.push(out);

    // A file without its header row: the first row is read as the header.
    let headerless = bad_rows().split_once('\n').expect("rows").1.to_string();
    app.write("A1-2025-12.csv", &headerless);
    let (code, out) = run(&app, &["import", "episodes", "A1-2025-12.csv"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the first row must be the header"), "{out}");
    printed.push(out);

    // Everything that shows submissions and their reports.
    let (code, list) = run(&app, &["submissions", "--json"]);
    assert_eq!(code, 0, "{list}");
    let ids: Vec<String> = serde_json::from_str::<Value>(&list)
        .expect("json")
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["submission"].as_i64().expect("id").to_string())
        .collect();
    assert_eq!(ids.len(), 5, "{list}");
    printed.push(list);
    printed.push(run(&app, &["submissions"]).1);
    for id in &ids {
        let (code, shown) = run(&app, &["submissions", id]);
        assert_eq!(code, 0, "{shown}");
        printed.push(shown);
        printed.push(run(&app, &["submissions", id, "--json"]).1);
    }
    printed.push(run(&app, &["recompute"]).1);
    let (code, out) = run(&app, &["export", "dump.jsonl"]);
    assert_eq!(code, 0, "{out}");
    printed.push(out);

    for (i, text) in printed.iter().enumerate() {
        assert_no_secrets(
            &format!("the output of command {i}:\n{text}"),
            text.as_bytes(),
        );
    }
    let dump = std::fs::read(app.path("dump.jsonl")).expect("dump");
    assert_no_secrets("the export", &dump);
    assert_no_secrets("the database", &database_bytes(&app));
    let inputs = [
        "agencies.csv",
        "A1-2026-03.csv",
        "A1-2026-02.csv",
        "A1-2025-11.csv",
        "A1-2026-01.xlsx",
        "A1-2025-12.csv",
    ];
    for (name, bytes) in written_files(&app, &inputs) {
        assert_no_secrets(&name, &bytes);
    }
}

/// A report as Lantern before schema 6 stored it: every value quoted. Its
/// many problems make it span several pages (so rewriting it frees pages
/// that would keep the old bytes).
fn old_style_report() -> String {
    let mut report = old_style_problems();
    let errors = report["errors"].as_array().expect("errors").clone();
    let many: Vec<Value> = (0..60).flat_map(|_| errors.iter().cloned()).collect();
    report["errors"] = Value::from(many);
    report.to_string()
}

fn old_style_problems() -> Value {
    serde_json::json!({
        "rows": 4,
        "accepted_rows": 0,
        "rejected_rows": 4,
        "verdict": { "rejected": {
            "reason": "unknown agency 'Zebedee Quartermain': register it with `lantern import agencies`"
        } },
        "errors": [
            { "line": 2, "field": "CLIENT", "value": "4857773456 Zebedee Quartermain", "reason": "longer than 64 bytes (70 bytes)" },
            { "line": 3, "field": "DOB", "value": "2011-07-23", "reason": "under 18: belongs to the young people's data set" },
            { "line": 3, "field": "FINITIAL", "value": "Zebedee", "reason": "not an initial: one letter A–Z" },
            { "line": 4, "field": "DOB", "value": "19830918", "reason": "differs from line 2 of the same episode (rows of an episode must agree)" },
            { "line": 5, "field": "DOB", "value": "20110723", "reason": "not before the referral (2011-07-22)" },
            { "line": 5, "field": "DRUG1", "value": "9999", "reason": "unknown drug code" }
        ],
        "warnings": [
            { "line": 2, "field": "EPISODID", "value": "ZEBQ1983", "reason": "dropped: line 4 of the same episode has errors" }
        ],
        "limit": "0",
        "truncated": 0
    })
}

/// Behind Lantern's back: put the old report into every submission and
/// take the database back to schema 5.
fn make_older(app: &TestApp) {
    let sql = format!(
        "{}{}{}{}{}{}
         UPDATE submissions SET report = '{}';
         DROP TABLE records_owed;
         ALTER TABLE submissions DROP COLUMN withdrawn_in;
         ALTER TABLE submissions DROP COLUMN withdrawn_reason;
         DELETE FROM lantern_schema WHERE version >= 6;",
        lantern_store::testing::UNDO_MIGRATION_21,
        lantern_store::testing::UNDO_MIGRATION_18,
        lantern_store::testing::UNDO_MIGRATION_14,
        lantern_store::testing::UNDO_MIGRATION_13,
        lantern_store::testing::UNDO_MIGRATION_9,
        lantern_store::testing::UNDO_MIGRATION_8,
        old_style_report().replace('\'', "''")
    );
    match &app.postgres {
        Some(db) => db.raw(&sql),
        None => {
            let conn = rusqlite::Connection::open(app.path("lantern.db")).expect("open");
            conn.execute_batch(&sql).expect("raw sql");
            // Into the main file, as an older Lantern would have left it.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .expect("checkpoint");
        }
    }
}

#[test]
fn reports_stored_by_an_older_lantern_are_scrubbed_leaving_no_old_bytes() {
    let app = app_with_agencies();
    let rows = file(&[
        "A1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,9999,3201,,m1,PHARM,COM,20160601,,LA,2",
    ]);
    app.write("A1-2026-03.csv", &rows);
    assert_eq!(run(&app, &["import", "episodes", "A1-2026-03.csv"]).0, 1);
    make_older(&app);
    // The test can fail: the old bytes are there before the migration.
    let before = database_bytes(&app);
    assert!(
        before
            .windows("Zebedee Quartermain".len())
            .any(|w| w == b"Zebedee Quartermain"),
        "the older report was not written"
    );

    let (code, out) = run(&app, &["migrate"]);
    assert_eq!(code, 0, "{out}");
    assert_no_secrets("the output of migrate", out.as_bytes());
    assert_no_secrets("the migrated database", &database_bytes(&app));

    // The report still locates every problem.
    let (code, shown) = run(&app, &["submissions", "1"]);
    assert_eq!(code, 0, "{shown}");
    assert_no_secrets("the scrubbed report", shown.as_bytes());
    for expected in [
        "A1-2026-03.csv:3: DOB: under 18",
        "A1-2026-03.csv:4: DOB: differs from line 2",
        "A1-2026-03.csv:5: DOB: not before the referral (2011)",
        "A1-2026-03.csv:5: DRUG1 '9999': unknown drug code",
        "rejected: unknown agency (19 characters)",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
}

#[test]
fn a_dump_of_an_older_database_is_scrubbed_as_it_is_restored() {
    let app = app_with_agencies();
    let rows = file(&[
        "A1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,9999,3201,,m1,PHARM,COM,20160601,,LA,2",
    ]);
    app.write("A1-2026-03.csv", &rows);
    assert_eq!(run(&app, &["import", "episodes", "A1-2026-03.csv"]).0, 1);
    assert_eq!(run(&app, &["export", "new.jsonl"]).0, 0);

    // The same dump as an older Lantern wrote it: schema 5, the report
    // with every value quoted.
    let text = std::fs::read_to_string(app.path("new.jsonl")).expect("dump");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut header: Value = serde_json::from_str(&lines[0]).expect("header");
    header["schema"] = Value::from(5);
    lines[0] = header.to_string();
    let at = lines
        .iter()
        .position(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v["table"] == "submissions"))
        .expect("submissions table");
    let head: Value = serde_json::from_str(&lines[at]).expect("table header");
    let report = head["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .position(|c| c == "report")
        .expect("report column");
    let mut row: Value = serde_json::from_str(&lines[at + 1]).expect("row");
    row[report] = Value::from(old_style_report());
    lines[at + 1] = row.to_string();
    let older = lines.join("\n") + "\n";
    assert!(older.contains("Zebedee Quartermain"));
    std::fs::write(app.path("old.jsonl"), older).expect("write dump");

    let restored = TestApp::empty();
    std::fs::copy(app.path("old.jsonl"), restored.path("old.jsonl")).expect("copy");
    let (code, out) = run(&restored, &["import", "dump", "old.jsonl"]);
    assert_eq!(code, 0, "{out}");
    assert_no_secrets("the output of import dump", out.as_bytes());
    let (code, shown) = run(&restored, &["submissions", "1"]);
    assert_eq!(code, 0, "{shown}");
    assert_no_secrets("the restored report", shown.as_bytes());
    assert!(shown.contains("A1-2026-03.csv:3: DOB: under 18"), "{shown}");
    assert_no_secrets("the restored database", &database_bytes(&restored));
    assert_eq!(run(&restored, &["export", "again.jsonl"]).0, 0);
    let again = std::fs::read(restored.path("again.jsonl")).expect("dump");
    assert_no_secrets("the export of the restored database", &again);
}

/// Smaller defects of the readers (issue 10, item 8), through the binary
/// and so on either engine: NUL bytes refused with their place (PostgreSQL
/// cannot store them, SQLite could), a column given twice refused, and a
/// huge cell quoted by a short prefix only.
#[test]
fn nul_bytes_repeated_columns_and_huge_cells_are_refused_alike_on_every_engine() {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    app.write(
        "statements.csv",
        "topic,area,text\nnaloxone.purchaser,E06000016,The provider\0 buys it.\n",
    );
    let err = app.run(&["import", "statements", "statements.csv"]).fails();
    assert!(
        err.contains("statements.csv:2:3: text: holds the control character U+0000"),
        "{err}"
    );

    app.write(
        "figures.csv",
        "indicator,area,period,value,source,value\npeople_in_treatment,E06000016,2017/18,44,ndtms_partnership,45\n",
    );
    let err = app.run(&["import", "figures", "figures.csv"]).fails();
    assert!(
        err.contains("figures.csv:1:6: value: the column 'value' is given twice"),
        "{err}"
    );

    let huge = format!(
        "indicator,area,period,value,source\npeople_in_treatment{},E06000016,2017/18,44,ndtms_partnership\n",
        "x".repeat(20_000_000)
    );
    app.write("huge.csv", &huge);
    let started = std::time::Instant::now();
    let err = app.run(&["import", "figures", "huge.csv"]).fails();
    assert!(started.elapsed().as_secs() < 30);
    assert!(err.len() < 1000, "{} bytes on stderr", err.len());
    assert!(err.contains("… (20000019 characters)"), "{err}");

    // The episodes reader too, for CSV (the XLSX header goes through the
    // same check).
    let app = app_with_agencies();
    app.write(
        "A1-2026-03.csv",
        &format!(
            "{HEADER},DRUG1\n{}\n",
            "A1,c1,J,S,19800510,M,A,E06000016,e\u{0}1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2,1101"
        ),
    );
    let (code, out) = run(&app, &["import", "episodes", "A1-2026-03.csv"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("DRUG1: column given twice (columns 15 and 25)"),
        "{out}"
    );
    app.write(
        "A1-2026-03.csv",
        &file(&["A1,c1,J,S,19800510,M,A,E06000016,e\u{0}1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2"]),
    );
    let (code, out) = run(&app, &["import", "episodes", "A1-2026-03.csv"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "A1-2026-03.csv:2: EPISODID (3 characters): holds the control character U+0000"
        ),
        "{out}"
    );
}

/// A workbook the reader cannot read because a cell holds an unknown error
/// value: the reader's message quoted the cell; Lantern's does not.
#[test]
fn an_unreadable_workbook_is_reported_without_its_content() {
    use std::io::{Read as _, Write as _};
    let app = app_with_agencies();
    let book = xlsx(&file(&[
        "A1,Zebedee Quartermain,Z,Q,20110723,F,A,E06000016,e1,20250520,20250525,20250601,,,7000,,,m1,PSYCH,COM,20250601,,LA,",
    ]));
    // The client identifier's cell, rewritten as an error cell.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("read entry");
        if name.ends_with("sheet1.xml") {
            let cell = r#"t="inlineStr"><is><t>Zebedee Quartermain</t></is>"#;
            assert!(text.contains(cell));
            text = text.replace(cell, r#"t="e"><v>Zebedee Quartermain</v>"#);
        }
        out.start_file(name, options).expect("zip entry");
        out.write_all(text.as_bytes()).expect("zip write");
    }
    let bytes = out.finish().expect("zip").into_inner();
    std::fs::write(app.path("A1-2026-03.xlsx"), bytes).expect("write");
    let (code, out) = run(&app, &["import", "episodes", "A1-2026-03.xlsx"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot be read") || out.contains("not a readable"),
        "{out}"
    );
    assert_no_secrets("the output", out.as_bytes());
    let (_, shown) = run(&app, &["submissions", "1"]);
    assert_no_secrets("the stored report", shown.as_bytes());
    assert_no_secrets("the database", &database_bytes(&app));
}

#[test]
fn nothing_of_the_requester_survives_the_erasure_of_their_details() {
    use super::letters::{SAMS_DETAILS, send_signed_email};
    let app = TestApp::leicester();
    // Sam Smith's e-mail names them in a question and its signature; it is
    // answered, sent and published on 5 July 2019.
    let reference = send_signed_email(&app);
    let printed = |args: &[&str]| {
        let (code, out) = run(&app, args);
        assert_eq!(code, 0, "{args:?}: {out}");
        out
    };
    let outputs = |printed: &dyn Fn(&[&str]) -> String| {
        [
            (
                "request show",
                vec!["request", "show", &reference, "--json"],
            ),
            ("the letter", vec!["request", "letter", &reference]),
            (
                "the published letter",
                vec!["request", "letter", &reference, "--published"],
            ),
            (
                "the published JSON",
                vec![
                    "request",
                    "letter",
                    &reference,
                    "--published",
                    "--format",
                    "json",
                ],
            ),
            ("the log", vec!["log", "--json"]),
        ]
        .map(|(what, args)| (what, printed(&args)))
    };
    let contains = |bytes: &[u8], s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    // The test can fail: before erasure the case holds Sam's details.
    let before = outputs(&printed);
    assert!(contains(&database_bytes(&app), "Sam Smith"));
    assert!(contains(&database_bytes(&app), "sam.smith@example.org"));
    assert!(before[0].1.contains("Sam Smith"), "{}", before[0].1);

    let out = printed(&["request", "erase-expired", "--as-of", "2021-06-11"]);
    assert!(out.contains(&reference), "{out}");

    let db = database_bytes(&app);
    for personal in SAMS_DETAILS {
        assert!(!contains(&db, personal), "{personal} is in the database");
    }
    let after = outputs(&printed);
    for (what, text) in &after {
        for personal in SAMS_DETAILS {
            assert!(!text.contains(personal), "{personal} in {what}: {text}");
        }
    }
    // The e-mail itself is gone: reading it again says so.
    let (code, understood) = run(&app, &["request", "understand", &reference]);
    assert_ne!(code, 0, "{understood}");
    assert!(
        understood.contains("original e-mail was erased"),
        "{understood}"
    );
    // The published copy and the log are what they were before.
    for i in [2, 3, 4] {
        assert_eq!(before[i], after[i], "{} changed", before[i].0);
    }
    // The history says who erased them and when, not what.
    let shown: Value = serde_json::from_str(&after[0].1).expect("json");
    let last = shown["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history")
        .clone();
    assert_eq!(last["action"], "erase_requester");
    assert!(
        last["actor"].as_str().is_some_and(|a| !a.is_empty()),
        "{last}"
    );
    assert!(last["at"].as_str().is_some_and(|a| !a.is_empty()), "{last}");
}

/// A case whose officers wrote its requester's name, another person's and
/// a telephone number into the texts findings add: a not-held declaration's
/// reason and other holder, the reason it was withdrawn, and the note of
/// an s12 estimate. Erasure leaves none of them in the database's bytes
/// (the audit log quotes declarations too), and each text keeps what it
/// says about the information.
#[test]
fn erasure_cleans_the_declarations_withdrawals_and_resolution_notes_of_a_case() {
    let app = TestApp::empty();
    let config = std::fs::read_to_string(super::example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    app.run(&["init"]).ok();
    app.write(
        "figures.csv",
        "indicator,area,period,crack,age_band,value,qualifier,reason,source,status\n\
         people_in_treatment,E06000016,2016/17,crack,,51,,,ndtms_partnership,final",
    );
    app.run(&["import", "figures", "figures.csv"]).ok();
    app.write(
        "FOI-40.toml",
        "reference = \"FOI-40\"\nreceived = 2019-06-10\n\n[[question]]\nnumber = \"1\"\n\
         text = \"How many people were in treatment for crack?\"\n\
         indicator = \"people_in_treatment\"\nfilter = { crack = \"crack\" }\n\
         periods = [\"2016/17\", \"2017/18\"]\n",
    );
    app.run(&[
        "request",
        "new",
        "FOI-40.toml",
        "--requester",
        "Quentin Zapata",
        "--contact",
        "q.zapata@example.net",
    ])
    .ok();
    let step = |args: &[&str]| {
        let (code, out) = run(&app, args);
        assert_eq!(code, 0, "{args:?}: {out}");
        out
    };
    step(&["request", "draft", "FOI-40", "--as-of", "2019-06-20"]);
    step(&[
        "request",
        "resolve",
        "FOI-40",
        "--finding",
        "1",
        "--not-held",
        "--reason",
        "No figures were collected for 2017/18, as Quentin Zapata was told by Dr Okonkwo.",
        "--held-by",
        "the provider (ask Mr Okonkwo on 07700 900456)",
        "--as-of",
        "2019-06-20",
    ]);
    let listed: Value =
        serde_json::from_str(&step(&["request", "declarations", "--json"])).expect("json");
    let id = listed[0]["id"].as_i64().expect("id").to_string();
    step(&[
        "request",
        "withdraw-declaration",
        &id,
        "--reason",
        "Quentin Zapata sent Dr Okonkwo's 2017/18 return after all.",
    ]);
    step(&["request", "draft", "FOI-40", "--as-of", "2019-06-21"]);
    step(&[
        "request",
        "resolve",
        "FOI-40",
        "--finding",
        "1",
        "--cost-estimate",
        "25",
        "--note",
        "The 2017/18 returns are on paper in three archives; Zapata asked Dr Okonkwo.",
        "--as-of",
        "2019-06-21",
    ]);
    for action in ["draft", "approve", "send"] {
        step(&["request", action, "FOI-40", "--as-of", "2019-07-05"]);
    }
    let personal = ["Quentin", "Zapata", "Okonkwo", "zapata@", "07700"];
    let contains = |bytes: &[u8], s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    // The test can fail: before erasure every one of them is held.
    let db = database_bytes(&app);
    for p in personal {
        assert!(
            contains(&db, p),
            "{p} is not in the database before erasure"
        );
    }

    let out = step(&["request", "erase-expired", "--as-of", "2030-01-01"]);
    assert!(out.contains("FOI-40"), "{out}");

    let db = database_bytes(&app);
    for p in personal {
        assert!(!contains(&db, p), "{p} is still in the database");
    }
    // What the texts say about the information is kept.
    let listed: Value =
        serde_json::from_str(&step(&["request", "declarations", "--json"])).expect("json");
    let d = &listed[0];
    assert_eq!(
        d["reason"],
        "No figures were collected for 2017/18, as [name removed] was told by [name removed].",
        "{d}"
    );
    assert_eq!(
        d["held_by"], "the provider (ask [name removed] on [contact details removed])",
        "{d}"
    );
    assert_eq!(
        d["withdrawn"]["reason"], "[name removed] sent [name removed] 2017/18 return after all.",
        "{d}"
    );
    let shown: Value =
        serde_json::from_str(&step(&["request", "show", "FOI-40", "--json"])).expect("json");
    let s12 = shown["resolutions"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["resolution"] == "s12"))
        .expect("the s12 resolution")
        .clone();
    assert_eq!(
        s12["why"],
        "The 2017/18 returns are on paper in three archives; [name removed] asked [name removed].",
        "{s12}"
    );
    assert_eq!(s12["hours"], 25.0);
}
