//! The officer's actions through the web application, over real HTTP
//! against a real `lantern serve` on a real database (an SQLite file, or
//! PostgreSQL with `LANTERN_TEST_BACKEND=postgres`): new requests by an
//! uploaded `.eml` or a typed form, duplicates told; oversized, wrong-type
//! and secret-less uploads refused with nothing changed; the clock's
//! actions and review/ICO each recorded with its day and who, or refused
//! with why; and "sent" with the final letter kept, a changed figure in an
//! uploaded DOCX shown and recorded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::TestApp;
use crate::web::{LEI, Reply, Server, Session, encode, leicester_with_users, status_of};

/// A multipart form posted with the session's cookie: its text fields and
/// at most one file (field, file name, bytes).
pub(crate) fn multipart(
    server: &Server,
    path: &str,
    session: &Session,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Reply {
    let boundary = "----lantern-test-boundary-7d3f";
    let mut body: Vec<u8> = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        session.cookie,
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send");
    // The server may answer (and close) before reading a refused body.
    let _ = stream.write_all(&body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    Reply {
        status,
        head: head.to_lowercase(),
        body: body.to_string(),
    }
}

/// The case's history as `lantern request show --json` gives it.
fn history(app: &TestApp, reference: &str) -> Vec<Value> {
    let shown: Value =
        serde_json::from_str(&app.run(&["request", "show", reference, "--json"]).ok())
            .expect("json");
    shown["history"].as_array().expect("history").clone()
}

/// How many cases the database holds.
fn cases(app: &TestApp) -> usize {
    let listed: Value =
        serde_json::from_str(&app.run(&["request", "list", "--json"]).ok()).expect("json");
    listed.as_array().map_or(0, Vec::len)
}

/// An e-mail with a Date header (so an upload needs nothing more).
fn dated_email(subject: &str, question: &str) -> String {
    format!(
        "From: Yolanda Asker <y@example.org>\nDate: Mon, 17 Jun 2019 09:30:00 +0100\nMessage-ID: <{}@example.org>\nSubject: {subject}\n\n1) {question}\n",
        subject.replace(' ', "-")
    )
}

#[test]
fn new_requests_by_upload_or_typed_form_duplicates_told_bad_uploads_change_nothing() {
    let (app, existing) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let csrf = officer.csrf.clone();
    let page = server.get("/cases/new", Some(&officer));
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("name=\"questions\""));
    assert_eq!(cases(&app), 1);

    // An .eml upload opens a case, taken in by the officer.
    let eml = dated_email(
        "Crack treatment 2017",
        "How many people were in treatment for crack cocaine in 2017/18?",
    );
    let opened = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[("csrf", &csrf)],
        Some(("eml", "request.eml", eml.as_bytes())),
    );
    assert_eq!(opened.status, 303, "{}", opened.body);
    let to = opened.location().expect("to the case").to_string();
    let reference = to.trim_start_matches("/cases/").to_uppercase();
    assert_ne!(reference, existing);
    assert_eq!(status_of(&app, &reference), "received");
    let events = history(&app, &reference);
    assert_eq!(events[0]["action"], "open");
    assert_eq!(events[0]["actor"], "officer");
    assert_eq!(cases(&app), 2);

    // The same file again, and the seed e-mail already taken in: no new
    // case; the officer is told which case it is, with a link.
    for (bytes, was) in [
        (eml.clone(), reference.clone()),
        (crate::web::seed_email(), existing.clone()),
    ] {
        let again = multipart(
            &server,
            "/cases/upload",
            &officer,
            &[("csrf", &csrf)],
            Some(("eml", "again.eml", bytes.as_bytes())),
        );
        assert_eq!(again.status, 200, "{}", again.body);
        assert!(again.body.contains("already taken in"), "{}", again.body);
        assert!(again.body.contains(&format!("href=\"/cases/{was}\"")));
    }
    assert_eq!(cases(&app), 2);

    // Too large, not an e-mail, no file, no secret: a GOV.UK error, nothing stored.
    let mut huge = dated_email("Huge", "How many?").into_bytes();
    huge.resize(4 * 1024 * 1024 + 1000, b'x');
    let too_large = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[("csrf", &csrf)],
        Some(("eml", "huge.eml", &huge)),
    );
    assert_eq!(too_large.status, 413, "{}", too_large.body);
    assert!(
        too_large.body.contains("error-summary"),
        "{}",
        too_large.body
    );
    assert!(too_large.body.contains("smaller than 4 MB"));
    let pdf = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[("csrf", &csrf)],
        Some(("eml", "request.eml", b"%PDF-1.7\n1 0 obj\n")),
    );
    assert_eq!(pdf.status, 415, "{}", pdf.body);
    assert!(pdf.body.contains("must be an e-mail saved as .eml"));
    assert!(pdf.body.contains("error-summary"));
    let none = multipart(&server, "/cases/upload", &officer, &[("csrf", &csrf)], None);
    assert_eq!(none.status, 400, "{}", none.body);
    assert!(none.body.contains("Choose the request"));
    let other = dated_email("Other", "How many people were in treatment in 2016/17?");
    let no_secret = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[],
        Some(("eml", "other.eml", other.as_bytes())),
    );
    assert_eq!(no_secret.status, 400, "{}", no_secret.body);
    let wrong_secret = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[("csrf", "not-the-secret")],
        Some(("eml", "other.eml", other.as_bytes())),
    );
    assert_eq!(wrong_secret.status, 400, "{}", wrong_secret.body);
    assert_eq!(cases(&app), 2);

    // A typed request: a bad date is shown again with what was typed.
    let typed = |received: &str| {
        format!(
            "csrf={csrf}&requester={}&contact={}&received={received}&subject={}&questions={}",
            encode("Xavier <b>Typed</b>"),
            encode("x@example.org"),
            encode("Treatment by post"),
            encode("1) How many people were in treatment for crack cocaine in 2016/17?")
        )
    };
    let bad = server.post("/cases/typed", Some(&officer), &typed("last%20week"));
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("YYYY-MM-DD"));
    assert!(
        bad.body.contains("Xavier &lt;b&gt;Typed&lt;") && !bad.body.contains("<b>Typed"),
        "escaped and kept: {}",
        bad.body
    );
    assert_eq!(cases(&app), 2);
    let made = server.post("/cases/typed", Some(&officer), &typed("2019-06-20"));
    assert_eq!(made.status, 303, "{}", made.body);
    let typed_ref = made
        .location()
        .expect("to the case")
        .trim_start_matches("/cases/")
        .to_uppercase();
    let shown: Value =
        serde_json::from_str(&app.run(&["request", "show", &typed_ref, "--json"]).ok())
            .expect("json");
    assert_eq!(shown["received"], "2019-06-20");
    assert_eq!(shown["requester"], "Xavier <b>Typed</b>");
    assert_eq!(history(&app, &typed_ref)[0]["actor"], "officer");
    // Typed twice: the same request, told so.
    let twice = server.post("/cases/typed", Some(&officer), &typed("2019-06-20"));
    assert_eq!(twice.status, 200, "{}", twice.body);
    assert!(twice.body.contains(&typed_ref), "{}", twice.body);
    assert_eq!(cases(&app), 3);

    // An approver may not take requests in.
    let approver = server.session("approver");
    let refused = multipart(
        &server,
        "/cases/upload",
        &approver,
        &[("csrf", &approver.csrf)],
        Some(("eml", "other.eml", other.as_bytes())),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(cases(&app), 3);

    // An e-mail with no Date header: refused until the day it arrived is given.
    let undated = "From: Wendy Undated <w@example.org>\nSubject: Undated\n\n1) How many people were in treatment for crack cocaine in 2015/16?\n";
    let refused = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[("csrf", &csrf)],
        Some(("eml", "undated.eml", undated.as_bytes())),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("no Date header"), "{}", refused.body);
    let dated = multipart(
        &server,
        "/cases/upload",
        &officer,
        &[("csrf", &csrf), ("received", "2019-06-18")],
        Some(("eml", "undated.eml", undated.as_bytes())),
    );
    assert_eq!(dated.status, 303, "{}", dated.body);
    let undated_ref = dated
        .location()
        .expect("to the case")
        .trim_start_matches("/cases/")
        .to_uppercase();
    let shown: Value =
        serde_json::from_str(&app.run(&["request", "show", &undated_ref, "--json"]).ok())
            .expect("json");
    assert_eq!(shown["received"], "2019-06-18");
    assert_eq!(cases(&app), 4);
}

/// Post a clock or review action as `session`, from status `seen`.
fn record(
    server: &Server,
    session: &Session,
    reference: &str,
    route: &str,
    seen: &str,
    rest: &str,
) -> Reply {
    server.post(
        &format!("/cases/{reference}/{route}"),
        Some(session),
        &format!("csrf={}&seen={seen}&{rest}", session.csrf),
    )
}

#[test]
fn each_action_is_recorded_with_its_day_and_who_or_refused_with_why() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let steps = [
        ("clock", "drafted", "action=start", "in_progress"),
        (
            "clock",
            "in_progress",
            "action=seek_clarification&on=2019-06-12",
            "clarification_sought",
        ),
        (
            "clock",
            "clarification_sought",
            "action=clarified&on=2019-06-14",
            "received",
        ),
        (
            "clock",
            "received",
            "action=fee_notice&on=2019-06-17",
            "received",
        ),
        (
            "clock",
            "received",
            "action=fee_received&on=2019-06-19",
            "received",
        ),
        (
            "clock",
            "received",
            "action=extend&on=2019-07-03&extended_to=2019-08-01",
            "received",
        ),
    ];
    for (route, seen, form, to) in steps {
        let reply = record(&server, &officer, &reference, route, seen, form);
        assert_eq!(reply.status, 303, "{form}: {}", reply.body);
        assert_eq!(status_of(&app, &reference), to, "{form}");
    }
    let events = history(&app, &reference);
    for (action, on) in [
        ("seek_clarification", "2019-06-12"),
        ("clarified", "2019-06-14"),
        ("fee_notice", "2019-06-17"),
        ("fee_received", "2019-06-19"),
        ("extend", "2019-07-03"),
    ] {
        let e = events
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {events:?}"));
        assert_eq!(e["actor"], "officer", "{action}");
        assert_eq!(e["on"], on, "{action}");
    }
    assert_eq!(
        events.iter().find(|e| e["action"] == "extend").unwrap()["extended_to"],
        "2019-08-01"
    );
    let before = events.len();

    // Refused when the case's state does not allow it, with the reason.
    let paid_twice = record(
        &server,
        &officer,
        &reference,
        "clock",
        "received",
        "action=fee_received",
    );
    assert_eq!(paid_twice.status, 409, "{}", paid_twice.body);
    assert!(
        paid_twice.body.contains("nothing was recorded"),
        "{}",
        paid_twice.body
    );
    let early_review = record(
        &server,
        &officer,
        &reference,
        "review",
        "received",
        "action=review_upheld",
    );
    assert_eq!(early_review.status, 409, "{}", early_review.body);
    assert!(
        early_review
            .body
            .contains("cannot be given a review decision"),
        "{}",
        early_review.body
    );
    let not_yet_sent = record(
        &server,
        &officer,
        &reference,
        "review",
        "received",
        "action=ico_complaint",
    );
    assert_eq!(not_yet_sent.status, 409, "{}", not_yet_sent.body);
    // An approver may not record them; nor may anyone from a stale form.
    let approver = server.session("approver");
    let refused = record(
        &server,
        &approver,
        &reference,
        "review",
        "received",
        "action=request_review",
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let stale = record(
        &server,
        &officer,
        &reference,
        "clock",
        "drafted",
        "action=withdraw",
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(history(&app, &reference).len(), before);
    assert_eq!(status_of(&app, &reference), "received");

    // Drafted, approved by another, sent (no letter) on a given day by post.
    assert_eq!(
        record(&server, &officer, &reference, "draft", "received", "").status,
        303
    );
    assert_eq!(
        record(&server, &approver, &reference, "approve", "drafted", "").status,
        303
    );
    let page = server.get(&format!("/cases/{reference}"), Some(&officer));
    assert!(
        page.body.contains("Record the answer as sent"),
        "{}",
        page.body
    );
    let sent = multipart(
        &server,
        &format!("/cases/{reference}/sent"),
        &officer,
        &[
            ("csrf", &officer.csrf),
            ("seen", "approved"),
            ("channel", "post"),
            ("on", "2019-07-04"),
        ],
        None,
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let events = history(&app, &reference);
    let send = events.iter().find(|e| e["action"] == "send").expect("sent");
    assert_eq!(send["actor"], "officer");
    assert_eq!(send["on"], "2019-07-04");
    assert_eq!(send["note"], "sent by post");

    // After the answer: review asked for, decided, then the ICO.
    let page = server.get(&format!("/cases/{reference}"), Some(&officer));
    assert!(page.body.contains("action=\"/cases/"), "{}", page.body);
    assert!(page.body.contains("Internal review asked for"));
    for (seen, form, to) in [
        (
            "sent",
            "action=request_review&on=2019-07-05",
            "review_requested",
        ),
        (
            "review_requested",
            "action=review_partly_upheld&on=2019-07-05&note=one+figure+corrected",
            "review_partly_upheld",
        ),
        (
            "review_partly_upheld",
            "action=ico_complaint&on=2019-07-05",
            "ico_complaint",
        ),
        (
            "ico_complaint",
            "action=ico_decision&on=2019-07-05&note=not+upheld",
            "ico_complaint",
        ),
    ] {
        let reply = record(&server, &officer, &reference, "review", seen, form);
        assert_eq!(reply.status, 303, "{form}: {}", reply.body);
        assert_eq!(status_of(&app, &reference), to);
    }
    let events = history(&app, &reference);
    for action in [
        "request_review",
        "review_partly_upheld",
        "ico_complaint",
        "ico_decision",
    ] {
        let e = events.iter().find(|e| e["action"] == action).expect(action);
        assert_eq!(e["actor"], "officer");
        assert_eq!(e["on"], "2019-07-05");
    }
    // A review decided twice is refused.
    let twice = record(
        &server,
        &officer,
        &reference,
        "review",
        "ico_complaint",
        "action=review_upheld",
    );
    assert_eq!(twice.status, 409, "{}", twice.body);
    // So is the ICO's decision recorded twice, with when it was.
    let again = record(
        &server,
        &officer,
        &reference,
        "review",
        "ico_complaint",
        "action=ico_decision",
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again
            .body
            .contains("already recorded (2019-07-05 by officer)"),
        "{}",
        again.body
    );
    assert_eq!(
        history(&app, &reference)
            .iter()
            .filter(|e| e["action"] == "ico_decision")
            .count(),
        1
    );

    // Withdrawn: a request typed in, then withdrawn by the requester.
    let made = server.post(
        "/cases/typed",
        Some(&officer),
        &format!(
            "csrf={}&requester=W+Asker&received=2019-07-01&subject=Withdrawn&questions={}",
            officer.csrf,
            encode("1) How many people were in treatment for crack cocaine in 2017/18?")
        ),
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let other = made
        .location()
        .expect("case")
        .trim_start_matches("/cases/")
        .to_uppercase();
    let withdrawn = record(
        &server,
        &officer,
        &other,
        "clock",
        "received",
        "action=withdraw&on=2019-07-02",
    );
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    assert_eq!(status_of(&app, &other), "withdrawn");
    let after = record(
        &server,
        &officer,
        &other,
        "review",
        "withdrawn",
        "action=request_review",
    );
    assert_eq!(after.status, 409, "{}", after.body);
    assert!(after.body.contains("withdrawn"), "{}", after.body);
}

/// The tables of a Markdown letter as a DOCX's `word/document.xml` tables,
/// with `from` replaced by `to` in the cells.
fn docx_of(markdown: &str, from: &str, to: &str) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>Dear Sir or Madam</w:t></w:r></w:p>",
    );
    let mut in_table = false;
    for line in markdown.lines().map(str::trim) {
        let Some(inner) = line.strip_prefix('|') else {
            if in_table {
                xml.push_str("</w:tbl>");
                in_table = false;
            }
            continue;
        };
        let cells: Vec<&str> = inner.trim_end_matches('|').split('|').collect();
        if cells.iter().all(|c| c.trim().chars().all(|ch| ch == '-')) {
            continue;
        }
        if !in_table {
            xml.push_str("<w:tbl>");
            in_table = true;
        }
        xml.push_str("<w:tr>");
        for c in cells {
            let text = c
                .trim()
                .replace(from, to)
                .replace('&', "&amp;")
                .replace('<', "&lt;");
            xml.push_str(&format!(
                "<w:tc><w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p></w:tc>"
            ));
        }
        xml.push_str("</w:tr>");
    }
    if in_table {
        xml.push_str("</w:tbl>");
    }
    xml.push_str("</w:body></w:document>");
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).expect("zip");
    zip.write_all(b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>")
        .expect("zip");
    zip.start_file("word/document.xml", options).expect("zip");
    zip.write_all(xml.as_bytes()).expect("zip");
    zip.finish().expect("zip");
    out.into_inner()
}

#[test]
fn the_final_letter_as_sent_is_kept_and_a_changed_figure_is_shown_and_recorded() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let approver = server.session("approver");
    assert_eq!(
        record(&server, &approver, &reference, "approve", "drafted", "").status,
        303
    );
    let officer = server.session("officer");
    let sent_path = format!("/cases/{reference}/sent");
    let approved = app
        .run(&["request", "letter", &reference, "--format", "md"])
        .ok();
    assert!(approved.contains("| 2017/18 | 44 people |"), "{approved}");

    // Not a DOCX or PDF whatever its name, too large, no secret: refused, nothing recorded.
    let form = [
        ("csrf", officer.csrf.as_str()),
        ("seen", "approved"),
        ("channel", "email"),
    ];
    let html = multipart(
        &server,
        &sent_path,
        &officer,
        &form,
        Some(("letter", "letter.docx", b"<html>a letter</html>")),
    );
    assert_eq!(html.status, 400, "{}", html.body);
    assert!(html.body.contains("neither"), "{}", html.body);
    let big = vec![b'%'; 10 * 1024 * 1024 + 100];
    let too_large = multipart(
        &server,
        &sent_path,
        &officer,
        &form,
        Some(("letter", "letter.pdf", &big)),
    );
    assert_eq!(too_large.status, 413, "{}", too_large.body);
    assert!(
        too_large.body.contains("smaller than 10 MB"),
        "{}",
        too_large.body
    );
    let no_secret = multipart(
        &server,
        &sent_path,
        &officer,
        &form[1..],
        Some(("letter", "letter.docx", &docx_of(&approved, "", ""))),
    );
    assert_eq!(no_secret.status, 400, "{}", no_secret.body);
    assert_eq!(status_of(&app, &reference), "approved");

    // The letter as sent has 45 where 44 was approved.
    let changed = docx_of(&approved, "44 people", "45 people");
    let sent = multipart(
        &server,
        &sent_path,
        &officer,
        &form,
        Some(("letter", "final letter.docx", &changed)),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(
        sent.body.contains("differs from the approved one"),
        "{}",
        sent.body
    );
    assert!(
        sent.body.contains(
            "approved &quot;44 people&quot;, the letter as sent says &quot;45 people&quot;"
        ),
        "{}",
        sent.body
    );
    assert_eq!(status_of(&app, &reference), "sent");
    let events = history(&app, &reference);
    let send = events.iter().find(|e| e["action"] == "send").expect("sent");
    assert_eq!(send["actor"], "officer");
    let note = send["note"].as_str().expect("note");
    assert!(note.starts_with("sent by e-mail"), "{note}");
    assert!(
        note.contains("differs from the approved letter") && note.contains("\"45 people\""),
        "{note}"
    );
    // Only that figure differs.
    assert_eq!(note.matches("the letter as sent says").count(), 1, "{note}");
    // The workspace shows it, and it downloads as it was uploaded.
    let page = server.get(&format!("/cases/{reference}"), Some(&officer));
    assert!(
        page.body.contains("Differs from the approved letter"),
        "{}",
        page.body
    );
    let link = format!("/cases/{reference}/final-letters/1");
    assert!(
        page.body.contains(&format!("href=\"{link}\"")),
        "{}",
        page.body
    );
    let download = server.get(&link, Some(&officer));
    assert_eq!(download.status, 200, "{}", download.body);
    assert!(download.head.contains("content-disposition: attachment"));
    assert!(download.body.starts_with("PK"), "a DOCX comes back");
    assert_eq!(
        server
            .get(
                &format!("/cases/{reference}/final-letters/2"),
                Some(&officer)
            )
            .status,
        404
    );

    // The letter is kept with the case, and goes into the dump.
    app.run(&["export", "dump.jsonl"]).ok();
    let dump = std::fs::read_to_string(app.path("dump.jsonl")).expect("dump");
    let header = dump
        .lines()
        .find(|l| l.contains("\"table\":\"final_letters\""))
        .expect("final_letters in the dump");
    assert!(header.contains("\"rows\":1"), "{header}");
    let row = dump
        .lines()
        .skip_while(|l| !l.contains("\"table\":\"final_letters\""))
        .nth(1)
        .expect("its row");
    assert!(row.contains("final letter.docx"), "{row}");
    assert!(row.contains("45 people"), "{row}");

    // Past retention the letter (it names the requester) is erased with
    // the requester's details: the record that it was kept stays.
    app.run(&["request", "erase-expired", "--as-of", "2030-01-01"])
        .ok();
    app.run(&["export", "erased.jsonl"]).ok();
    let dump = std::fs::read_to_string(app.path("erased.jsonl")).expect("dump");
    let row: Vec<Value> = serde_json::from_str(
        dump.lines()
            .skip_while(|l| !l.contains("\"table\":\"final_letters\""))
            .nth(1)
            .expect("its row"),
    )
    .expect("json row");
    assert_eq!(row[4], Value::Null, "name erased: {row:?}");
    assert_eq!(row[8], Value::Null, "bytes erased: {row:?}");
    assert!(row[13].is_string(), "erased_at set: {row:?}");
}
