//! A case's letters as files: the response as DOCX (the figures, nothing
//! hidden), and the other letters made from what the case records, or
//! refused with what to record.

use crate::{TestApp, example};

#[path = "../common/docx.rs"]
mod docx;

const REF: &str = "FOI-2019-0412";
const REQUESTER: &str = "A Person";

/// The seed's case, opened with the example council's details.
fn opened() -> TestApp {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    let request = example("requests/seed-000.toml");
    app.run(&[
        "request",
        "new",
        request.to_str().expect("path"),
        "--requester",
        REQUESTER,
    ])
    .ok();
    app
}

fn docx_of(app: &TestApp, args: &[&str], file: &str) -> docx::Opened {
    let mut all = vec!["request", "letter", REF, "--format", "docx", "--out", file];
    all.extend_from_slice(args);
    app.run(&all).ok();
    docx::open(&std::fs::read(app.path(file)).expect("docx written"))
}

#[test]
fn the_response_as_docx_holds_the_figures_in_word_tables_and_hides_nothing() {
    let app = opened();
    let day = ["--as-of", "2019-07-05"];
    app.run(&["request", "draft", REF, day[0], day[1]]).ok();
    let draft = docx_of(&app, &[], "draft.docx");
    docx::assert_nothing_hidden(&draft, &[REQUESTER, "tester"]);
    // The same figures as the Markdown letter, and marked as a draft.
    let md = app.run(&["request", "letter", REF]).ok();
    assert!(md.contains("44 people"), "{md}");
    assert!(draft.text.contains("44 people"), "{}", draft.text);
    assert!(
        draft.text.contains("Draft — date of sending"),
        "{}",
        draft.text
    );
    assert!(draft.text.contains(&format!("Dear {REQUESTER},")));
    assert!(
        draft
            .core
            .contains("<dc:creator>Leicester City Council</dc:creator>"),
        "{}",
        draft.core
    );
    // Headings in Word's heading styles.
    assert!(draft.document.contains(r#"<w:pStyle w:val="Heading1"/>"#));
    assert!(draft.document.contains(r#"<w:pStyle w:val="Heading2"/>"#));

    app.run(&["request", "approve", REF, day[0], day[1]]).ok();
    app.run(&["request", "send", REF, day[0], day[1]]).ok();
    let sent = docx_of(&app, &[], "sent.docx");
    docx::assert_nothing_hidden(&sent, &[REQUESTER, "tester"]);
    assert!(sent.text.contains("5 July 2019"), "{}", sent.text);
    assert!(!sent.text.contains("Draft"), "{}", sent.text);
    // Every table of the Markdown letter is a Word table with a header row.
    let tables = md.lines().filter(|l| l.starts_with("|---")).count();
    assert!(tables > 0, "{md}");
    assert_eq!(sent.document.matches("<w:tbl>").count(), tables);
    assert_eq!(sent.document.matches("<w:tblHeader/>").count(), tables);
    // The published copy names nobody.
    let published = docx_of(&app, &["--published"], "published.docx");
    docx::assert_nothing_hidden(&published, &[REQUESTER]);
    assert!(!published.text.contains(REQUESTER), "{}", published.text);
    assert!(published.text.contains("44 people"));
    // A DOCX is not text: it goes to a file.
    let err = app
        .run(&["request", "letter", REF, "--format", "docx"])
        .fails();
    assert!(err.contains("--output FILE"), "{err}");
}

fn letter(app: &TestApp, kind: &str) -> crate::Run {
    app.run(&[
        "--as-of",
        "2019-06-11",
        "request",
        "letter",
        REF,
        "--kind",
        kind,
    ])
}

#[test]
fn each_other_letter_is_made_from_what_the_case_records_or_says_what_to_record() {
    let app = opened();
    // The acknowledgement needs nothing more than the case and its clock.
    insta::assert_snapshot!("acknowledgement.md", letter(&app, "acknowledgement").ok());

    // Nothing recorded yet: each other letter says what to record.
    for (kind, says) in [
        ("clarification", "record it first (seek clarification"),
        ("fees-notice", "record the fees notice first"),
        ("extension", "record the extension with its new date first"),
        ("review-outcome", "record the request for a review"),
    ] {
        let err = letter(&app, kind).fails();
        assert!(err.contains(says), "{kind}: {err}");
    }
    let err = letter(&app, "apology").fails();
    assert!(err.contains("acknowledgement, clarification"), "{err}");

    // Clarification: what to clarify is the note of the recorded request.
    app.run(&[
        "request",
        "seek-clarification",
        REF,
        "--on",
        "2019-06-12",
        "--note",
        "Which years do you mean by \"recent\"? <b>",
    ])
    .ok();
    insta::assert_snapshot!("clarification.md", letter(&app, "clarification").ok());
    app.run(&["request", "clarified", REF, "--on", "2019-06-14"])
        .ok();

    // Fees notice: recorded, but no amount is, so it is refused.
    app.run(&["request", "fee-notice", REF, "--on", "2019-06-17"])
        .ok();
    let err = letter(&app, "fees-notice").fails();
    assert!(err.contains("no fee amount is recorded"), "{err}");
    app.run(&["request", "fee-received", REF, "--on", "2019-06-18"])
        .ok();
    // With the fee recorded, the notice says it.
    let err = app
        .run(&["request", "fee-notice", REF, "--fee", "nothing"])
        .fails();
    assert!(err.contains("write the fee in pounds"), "{err}");
    app.run(&[
        "request",
        "fee-notice",
        REF,
        "--on",
        "2019-06-19",
        "--fee",
        "£25.50",
        "--note",
        "Photocopying and postage of 255 pages at 10p a page.",
    ])
    .ok();
    let fees = letter(&app, "fees-notice").ok();
    assert!(fees.contains("**£25.50**"), "{fees}");
    insta::assert_snapshot!("fees-notice.md", fees);
    app.run(&["request", "fee-received", REF, "--on", "2019-06-20"])
        .ok();

    // Extension: the new date, and the qualified exemption (s22) the
    // answer as decided relies on.
    app.run(&[
        "request",
        "extend",
        REF,
        "--on",
        "2019-07-05",
        "--to",
        "2019-08-02",
    ])
    .ok();
    let extension = letter(&app, "extension").ok();
    assert!(extension.contains("section 22"), "{extension}");
    insta::assert_snapshot!("extension.md", extension);

    // Review outcome: after the answer was sent, reviewed and decided.
    let day = ["--as-of", "2019-07-05"];
    for step in ["draft", "approve", "send"] {
        app.run(&["request", step, REF, day[0], day[1]]).ok();
    }
    app.run(&["request", "review", REF, "--on", "2019-07-20"])
        .ok();
    let err = letter(&app, "review-outcome").fails();
    assert!(err.contains("no outcome recorded"), "{err}");
    app.run(&[
        "request",
        "review",
        REF,
        "--on",
        "2019-08-10",
        "--outcome",
        "upheld",
        "--note",
        "The figures for 2018/19 were published on 7 November 2019 as planned.",
    ])
    .ok();
    insta::assert_snapshot!("review-outcome.md", letter(&app, "review-outcome").ok());

    // The same letter as DOCX and HTML.
    let out = app.path("review.docx");
    app.run(&[
        "request",
        "letter",
        REF,
        "--kind",
        "review-outcome",
        "--format",
        "docx",
        "--output",
        out.to_str().expect("path"),
    ])
    .ok();
    let opened = docx::open(&std::fs::read(&out).expect("written"));
    docx::assert_nothing_hidden(&opened, &[REQUESTER, "tester"]);
    assert!(
        opened
            .text
            .contains("The review has upheld our original response.")
    );
    assert!(opened.text.contains(&format!("Dear {REQUESTER},")));
    let html = app
        .run(&[
            "request",
            "letter",
            REF,
            "--kind",
            "review-outcome",
            "--format",
            "html",
        ])
        .ok();
    assert!(
        html.contains("<title>Your request for an internal review (FOI-2019-0412)</title>"),
        "{html}"
    );
    let err = app
        .run(&[
            "request",
            "letter",
            REF,
            "--kind",
            "extension",
            "--format",
            "json",
        ])
        .fails();
    assert!(err.contains("md, html or docx"), "{err}");
}

#[test]
fn the_final_letter_as_sent_and_the_icos_decision_are_recorded_from_the_command_line() {
    let app = opened();
    let day = ["--as-of", "2019-07-05"];
    app.run(&["request", "draft", REF, day[0], day[1]]).ok();
    app.run(&["request", "approve", REF, day[0], day[1]]).ok();
    // The officer edits the approved letter in Word: one figure changed.
    app.run(&[
        "request",
        "letter",
        REF,
        "--format",
        "docx",
        "--out",
        "final.docx",
    ])
    .ok();
    // Not a DOCX or PDF: refused, nothing recorded.
    app.write("letter.txt", "Dear A Person, 44 people");
    let refused = app
        .run(&[
            "request",
            "send",
            REF,
            "--on",
            "2019-07-05",
            "--letter",
            "letter.txt",
        ])
        .fails();
    assert!(
        refused.contains("DOCX") || refused.contains("PDF"),
        "{refused}"
    );
    let shown = app.run(&["request", "show", REF, "--json"]).ok();
    assert!(shown.contains("\"approved\""), "{shown}");
    // The DOCX as sent by post: kept with the case, the history says how.
    let final_letter = app.path("final.docx");
    let sent = app.run(&[
        "request",
        "send",
        REF,
        "--on",
        "2019-07-05",
        "--letter",
        final_letter.to_str().expect("path"),
        "--channel",
        "post",
    ]);
    let out = sent.ok();
    assert!(out.contains("is now sent"), "{out}");
    let shown = app.run(&["request", "show", REF]).ok();
    assert!(shown.contains("sent by post"), "{shown}");
    // The complaint and the Commissioner's decision.
    let early = app
        .run(&["request", "ico-decision", REF, "--note", "upheld"])
        .fails();
    assert!(early.contains("complaint"), "{early}");
    app.run(&["request", "ico", REF, "--on", "2019-08-01"]).ok();
    app.run(&[
        "request",
        "ico-decision",
        REF,
        "--on",
        "2019-10-01",
        "--note",
        "decision notice: upheld",
    ])
    .ok();
    let shown = app.run(&["request", "show", REF]).ok();
    assert!(shown.contains("decision notice: upheld"), "{shown}");
}
