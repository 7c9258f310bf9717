//! Hostile files: inputs built to make a reader allocate, loop or trust a
//! damaged length. Each was found by hand or by the fuzzing harness
//! (`crates/lantern-fuzz`) and is refused cleanly (exit 1, a message naming
//! the limit or the damage, nothing stored) under a memory limit.

use std::io::Write as _;
use std::process::Command;

use crate::records::app_with_agencies;
use crate::{Run, TestApp};

const KEY: &str = "a test secret that is long enough";

/// The address-space limit the binary runs under here: an attempt to
/// allocate gigabytes is an abort, not a slow pass.
const MEMORY_LIMIT: &str = "--as=4000000000";

/// Run `lantern ARGS` under [`MEMORY_LIMIT`] (when `prlimit` is there).
fn run_limited(app: &TestApp, args: &[&str]) -> Run {
    let inner = app.command(args);
    let has_prlimit = Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut command = if has_prlimit {
        let mut c = Command::new("prlimit");
        c.arg(MEMORY_LIMIT)
            .arg(inner.get_program())
            .args(inner.get_args());
        c
    } else {
        Command::new(inner.get_program())
    };
    if !has_prlimit {
        command.args(inner.get_args());
    }
    if let Some(dir) = inner.get_current_dir() {
        command.current_dir(dir);
    }
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    command.env("LANTERN_PSEUDONYM_KEY", KEY);
    let output = command.output().expect("run lantern");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A workbook of one sheet whose `<sheetData>` is `rows`, with a shared
/// strings part when given.
fn workbook(rows: &str, shared_strings: Option<&str>) -> Vec<u8> {
    let mut parts: Vec<(&str, Vec<u8>)> = vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_vec(),
        ),
        (
            "_rels/.rels",
            format!(r#"<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes(),
        ),
        (
            "xl/workbook.xml",
            format!(r#"<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(r#"<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#).into_bytes(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(r#"<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#).into_bytes(),
        ),
    ];
    if let Some(sst) = shared_strings {
        parts.push(("xl/sharedStrings.xml", sst.as_bytes().to_vec()));
    }
    zip_of(&parts)
}

fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(*name, options).expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// Import `bytes` as provider A1's March 2026 workbook; it must be refused
/// cleanly with a message containing each of `expected`, and nothing kept.
#[track_caller]
fn refused_workbook(bytes: &[u8], expected: &[&str]) {
    let app = app_with_agencies();
    let version = app.data_version();
    std::fs::write(app.path("A1-2026-03.xlsx"), bytes).expect("write");
    let run = run_limited(&app, &["import", "episodes", "A1-2026-03.xlsx"]);
    assert_eq!(
        run.code, 1,
        "refused, not aborted\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stdout.contains("REJECTED"), "{}", run.stdout);
    for text in expected {
        assert!(run.stdout.contains(text), "{text:?} in\n{}", run.stdout);
    }
    assert_eq!(app.data_version(), version);
}

#[test]
fn a_tiny_workbook_with_two_cells_at_opposite_corners_is_refused_not_allocated() {
    // 1.3 KB: calamine's dense range for A1..XFD1048576 asked for 549 GB.
    let bytes = workbook(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>AGNCY</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
        None,
    );
    assert!(bytes.len() < 2_000);
    refused_workbook(
        &bytes,
        &[
            "A1-2026-03.xlsx: the area sheet 'Sheet1' spans (1,048,576 rows by 16,384 columns, cells A1 to XFD1048576)",
            "over the limit of 50,000,000 cells",
        ],
    );
}

#[test]
fn a_workbook_declaring_billions_of_shared_strings_is_refused_before_they_are_reserved() {
    let bytes = workbook(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
        Some(&format!(
            r#"<sst xmlns="{MAIN}" uniqueCount="22906492245"><si><t>AGNCY</t></si></sst>"#
        )),
    );
    refused_workbook(
        &bytes,
        &["the number of shared strings is 22,906,492,245, over the limit of 5,000,000"],
    );
}

#[test]
fn a_workbook_part_compressed_like_a_zip_bomb_is_refused() {
    // 8 MB of spaces in the sheet: deflate packs it a thousand times over.
    let padding = " ".repeat(8 << 20);
    let bytes = workbook(
        &format!(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>AGNCY</t></is></c></row>{padding}"#),
        None,
    );
    assert!(bytes.len() < 100_000);
    refused_workbook(
        &bytes,
        &[
            "the part xl/worksheets/sheet1.xml's compression ratio is",
            "over the limit of 200:1",
        ],
    );
}

#[test]
fn a_workbook_that_is_not_a_zip_at_all_is_refused_as_unreadable() {
    refused_workbook(
        b"PK\x03\x04 but nothing after it",
        &["not a readable XLSX workbook"],
    );
}

/// A repository file under `fuzz/seeds/`.
fn seed(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(path)
}

/// A database holding one provider's submission (so its dump has record
/// chunks), exported; the dump's text.
fn dump_with_chunks() -> String {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    let agencies = seed("agencies/generated.csv");
    app.run(&["import", "agencies", agencies.to_str().expect("utf-8")])
        .ok();
    std::fs::copy(
        seed("episodes/N0002-2026-03.csv"),
        app.path("N0002-2026-03.csv"),
    )
    .expect("copy");
    let mut import = app.command(&["import", "episodes", "N0002-2026-03.csv"]);
    import.env("LANTERN_PSEUDONYM_KEY", KEY);
    let out = import.output().expect("run lantern");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.run(&["export", "backup.jsonl"]).ok();
    std::fs::read_to_string(app.path("backup.jsonl")).expect("dump")
}

/// Restore `text` into a new database: it must be refused cleanly with
/// each of `expected` in the message, leaving nothing restored.
#[track_caller]
fn refused_dump(text: &str, expected: &[&str]) {
    let app = TestApp::empty();
    app.write("damaged.jsonl", text);
    let err = run_limited(&app, &["import", "dump", "damaged.jsonl"]).fails();
    for e in expected {
        assert!(err.contains(e), "{e:?} in {err}");
    }
    // Nothing half-restored: the database holds no submission.
    let listed = app.run(&["submissions", "--json"]);
    assert!(
        listed.code != 0 || !listed.stdout.contains("N0002"),
        "{}",
        listed.stdout
    );
}

/// The 1-based line of the first line of `text` starting with `prefix`.
fn line_starting(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?}"))
        + 1
}

#[test]
fn a_dump_whose_record_chunk_lost_two_bytes_is_refused_with_its_line() {
    let text = dump_with_chunks();
    // Restoring the undamaged dump works.
    let fine = TestApp::empty();
    fine.write("backup.jsonl", &text);
    fine.run(&["import", "dump", "backup.jsonl"]).ok();

    let header = line_starting(&text, r#"{"columns":["id","submission_id""#);
    let chunk = header + 1;
    let lines: Vec<&str> = text.lines().collect();
    let row = lines[chunk - 1];
    // Two hex digits (one byte) lost in the middle of the chunk's bytes.
    let start = row.find("\"4c524332").expect("a chunk's hex") + 1;
    let at = start + 200;
    let damaged_row = format!("{}{}", &row[..at], &row[at + 2..]);
    let damaged = text.replacen(row, &damaged_row, 1);
    refused_dump(
        &damaged,
        &[
            &format!("line {chunk}: the record chunk's checksum does not match its bytes"),
            "nothing was restored",
        ],
    );

    // A version 3 dump (no checksums) with the same damage: the chunk no
    // longer decodes whole.
    let sum_at = damaged_row.rfind(",\"").expect("checksum");
    let old_row = format!("{}]", &damaged_row[..sum_at]);
    let old = damaged
        .replacen(r#""lantern_dump":11"#, r#""lantern_dump":3"#, 1)
        .replacen(r#","body_sha256"]"#, "]", 1)
        .replacen(&damaged_row, &old_row, 1);
    // Nor a councils table (format 5; empty here, so its header alone).
    let old: String = old
        .lines()
        .filter(|l| !l.contains(r#""table":"councils""#))
        .map(|l| format!("{l}\n"))
        .collect();
    refused_dump(
        &old,
        &[&format!("line {chunk}: the record chunk cannot be read")],
    );
}

#[test]
fn constraint_errors_from_a_dump_name_its_line_not_the_database() {
    let text = dump_with_chunks();
    // The audit log's second row given twice (and counted).
    let header = line_starting(
        &text,
        r#"{"columns":["id","import_id","at","actor","action""#,
    );
    let lines: Vec<&str> = text.lines().collect();
    let count: usize = lines[header - 1]
        .rsplit_once(r#""rows":"#)
        .and_then(|(_, r)| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .expect("row count");
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[header - 1] = lines[header - 1].replacen(
        &format!(r#""rows":{count}"#),
        &format!(r#""rows":{}"#, count + 1),
        1,
    );
    edited.insert(header + 1, lines[header].to_string());
    let duplicated = edited.join("\n") + "\n";
    let err_line = header + 2;
    refused_dump(
        &duplicated,
        &[
            &format!(
                "damaged.jsonl: line {err_line}: table audit_log, row 2: its key is already in the table"
            ),
            "nothing was restored",
        ],
    );

    // A row that refers to an import the dump does not hold.
    let first = lines[header].to_string();
    let orphan = first.replacen("[1,1,", "[1,999,", 1);
    assert_ne!(orphan, first);
    let broken = text.replacen(&first, &orphan, 1);
    refused_dump(
        &broken,
        &[&format!(
            "line {}: table audit_log, row 1: it refers to a row the dump does not hold",
            header + 1
        )],
    );
}

#[test]
fn an_unreadable_date_header_is_reported_as_unreadable_not_missing() {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    app.write(
        "request.eml",
        "From: someone@example.org\nSubject: FOI\nDate: Someday, 99 Smarch 20x9\n\n\
         1) How many people were in treatment for opiates in 2017/18?\n",
    );
    let err = app.run(&["request", "new", "request.eml"]).fails();
    assert!(
        err.contains("the Date header 'Someday, 99 Smarch 20x9' cannot be read as a date")
            && err.contains("--received"),
        "{err}"
    );
    app.write(
        "undated.eml",
        "From: someone@example.org\nSubject: FOI\n\n1) How many people were in treatment in 2017/18?\n",
    );
    let err = app.run(&["request", "new", "undated.eml"]).fails();
    assert!(err.contains("has no Date header"), "{err}");
}

#[test]
fn a_file_without_end_is_read_only_up_to_its_kind_s_limit() {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    // /dev/zero says it has no size and never ends.
    let err = run_limited(&app, &["import", "bank-holidays", "/dev/zero"]).fails();
    assert!(
        err.contains("/dev/zero is 16777217 bytes or more, over the limit of 16777216 bytes"),
        "{err}"
    );
    let err = run_limited(&app, &["--config", "/dev/zero", "imports"]).fails();
    assert!(err.contains("over the limit of 16777216 bytes"), "{err}");
}
