//! The public's request form, over real HTTP against a real `lantern
//! serve` on a real database: a request made through `/make-a-request`
//! opens a case (by the public, received through the web form) and queues
//! its acknowledgement; the same request again opens nothing new; bad
//! fields are errors tied to their fields, HTML in them only text; the
//! outbox page shows the message to officers, who record it as sent by
//! hand; the form is throttled per client; and with `[smtp]` the
//! acknowledgement reaches a local mail sink with the reference and no one
//! else's data, a server that does not answer leaving it queued for
//! another try.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::TestApp;
use crate::web::{REQUESTER, Reply, Server, encode, leicester_with_users};

const NAME: &str = "Wilhelmina Formfiller";
const EMAIL: &str = "w.formfiller@example.org";
const TEXT: &str = "1. How many people were in treatment for crack cocaine in 2018/19?";

/// The form's cookie and secret, from a fresh GET.
fn form(server: &Server) -> (String, String) {
    let page = server.get("/make-a-request", None);
    assert_eq!(page.status, 200, "{}", page.body);
    let set = page
        .set_cookie("lantern_request")
        .expect("the form's cookie");
    let cookie = set["lantern_request=".len()..]
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let at = page
        .body
        .find("name=\"csrf\" value=\"")
        .expect("csrf field");
    let rest = &page.body[at + 19..];
    (cookie, rest[..rest.find('"').expect("end")].to_string())
}

/// Make a request through the form, as a browser would (the form's
/// cookie with its secret), from `client` (an `X-Forwarded-For` address).
fn make(server: &Server, name: &str, email: &str, text: &str, client: &str) -> Reply {
    let (cookie, csrf) = form(server);
    let body = format!(
        "csrf={csrf}&name={}&email={}&request={}&answer_by=email",
        encode(name),
        encode(email),
        encode(text)
    );
    server.call(
        "POST",
        "/make-a-request",
        &[
            ("Cookie".to_string(), format!("lantern_request={cookie}")),
            ("X-Forwarded-For".to_string(), client.to_string()),
        ],
        Some(("application/x-www-form-urlencoded", &body)),
    )
}

/// The reference a "request sent" page gives.
fn reference_in(reply: &Reply) -> String {
    let at = reply.body.find("<strong>FOI-").expect("a reference");
    let rest = &reply.body[at + 8..];
    rest[..rest.find('<').expect("end")].to_string()
}

fn outbox(app: &TestApp) -> Vec<serde_json::Value> {
    let out = app.run(&["outbox", "list", "--json"]).ok();
    serde_json::from_str(&out).expect("json")
}

fn history(app: &TestApp, reference: &str) -> Vec<serde_json::Value> {
    shown(app, reference)["history"]
        .as_array()
        .expect("history")
        .clone()
}

fn shown(app: &TestApp, reference: &str) -> serde_json::Value {
    serde_json::from_str(&app.run(&["request", "show", reference, "--json"]).ok()).expect("json")
}

#[test]
fn a_request_made_through_the_form_opens_a_case_and_its_acknowledgement_waits_in_the_outbox() {
    let (app, earlier) = leicester_with_users();
    let server = Server::start(&app, crate::web::LEI);

    // Each missing or wrong field is an error tied to its field; nothing
    // is opened.
    for (name, email, text, field, message) in [
        ("", EMAIL, TEXT, "name", "Enter your name"),
        (
            NAME,
            "not an address",
            TEXT,
            "email",
            "Enter an email address in the correct format",
        ),
        (NAME, EMAIL, "  ", "request", "Enter your request"),
    ] {
        let refused = make(&server, name, email, text, "198.51.100.1");
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains("error-summary"), "{}", refused.body);
        assert!(
            refused.body.contains(&format!("href=\"#{field}\"")),
            "{}",
            refused.body
        );
        assert!(refused.body.contains(message), "{}", refused.body);
    }
    // Without the form's own secret: nothing.
    let stale = server.post(
        "/make-a-request",
        None,
        &format!("name={}&email={}&request=x", encode(NAME), encode(EMAIL)),
    );
    assert_eq!(stale.status, 400);
    assert!(outbox(&app).is_empty());

    // HTML and SQL in a field are text, shown escaped.
    let hostile = make(
        &server,
        "<script>alert(1)</script>",
        "x@example.org",
        "'); DROP TABLE cases; --",
        "198.51.100.2",
    );
    assert_eq!(hostile.status, 200, "{}", hostile.body);
    assert!(!hostile.body.contains("<script>alert"), "escaped");

    let made = make(&server, NAME, EMAIL, TEXT, "198.51.100.3");
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.body.contains("Request sent"), "{}", made.body);
    let reference = reference_in(&made);
    assert_ne!(reference, earlier);
    // The case: by the public, received today in the council's time zone
    // (the server's day), through the web form, the requester's details
    // as a typed request's.
    let case = shown(&app, &reference);
    assert_eq!(case["received"], "2019-07-05", "{case:#}");
    assert_eq!(case["requester"], NAME);
    let events = history(&app, &reference);
    assert_eq!(events[0]["actor"], "the public (web form)");
    assert!(
        events[0]["note"]
            .as_str()
            .is_some_and(|n| n.contains("received through the web form")),
        "{events:#?}"
    );
    assert_eq!(events[1]["action"], "message_queued");

    // The same request again (same text and address, the same day) is
    // recognised: no second case, no second acknowledgement.
    let again = make(&server, NAME, EMAIL, &format!("  {TEXT} "), "198.51.100.4");
    assert_eq!(again.status, 200);
    assert!(
        again.body.contains("We already have this request"),
        "{}",
        again.body
    );
    assert_eq!(reference_in(&again), reference);
    let queued = outbox(&app);
    let ours: Vec<&serde_json::Value> = queued
        .iter()
        .filter(|m| m["reference"] == reference.as_str())
        .collect();
    assert_eq!(ours.len(), 1, "{queued:#?}");
    assert_eq!(ours[0]["status"], "queued");
    assert_eq!(ours[0]["recipient"], EMAIL);

    // No SMTP: the officer sees the message and records it as sent by
    // hand; an approver sees it but may not; an analyst may not see it.
    let officer = server.session("officer");
    let page = server.get("/outbox", Some(&officer));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("No SMTP server is configured"),
        "{}",
        page.body
    );
    assert!(page.body.contains(EMAIL) && page.body.contains(&reference));
    assert!(page.body.contains(&format!("Dear {NAME}")), "{}", page.body);
    assert!(page.head.contains("cache-control: no-store"));
    let id = ours[0]["id"].as_i64().expect("id");
    let approver = server.session("approver");
    assert_eq!(server.get("/outbox", Some(&approver)).status, 200);
    let refused = server.post(
        &format!("/outbox/{id}/sent"),
        Some(&approver),
        &format!("csrf={}", approver.csrf),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(
        server
            .get("/outbox", Some(&server.session("analyst")))
            .status,
        403
    );
    let sent = server.post(
        &format!("/outbox/{id}/sent"),
        Some(&officer),
        &format!("csrf={}", officer.csrf),
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let twice = server.post(
        &format!("/outbox/{id}/sent"),
        Some(&officer),
        &format!("csrf={}", officer.csrf),
    );
    assert_eq!(twice.status, 409, "{}", twice.body);
    let after = outbox(&app);
    let m = after.iter().find(|m| m["id"] == id).expect("message");
    assert_eq!(
        (m["status"].as_str(), m["sent_how"].as_str()),
        (Some("sent"), Some("by_hand"))
    );
    let last = history(&app, &reference);
    let last = last.last().expect("event");
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("message_sent"), Some("officer"))
    );

    // Retention: once the case is closed and its retention date passed,
    // the message's address and text go with the requester's details; the
    // record that it was sent stays.
    app.run(&[
        "request",
        "withdraw",
        &reference,
        "--on",
        "2019-07-05",
        "--as-of",
        "2019-07-05",
    ])
    .ok();
    app.run(&["request", "erase-expired", "--as-of", "2021-07-06"])
        .ok();
    let erased = outbox(&app);
    let m = erased.iter().find(|m| m["id"] == id).expect("message");
    assert_eq!(m["recipient"], serde_json::Value::Null, "{m:#}");
    assert_eq!(
        (m["erased"].as_bool(), m["status"].as_str()),
        (Some(true), Some("sent"))
    );
    let page = server.get("/outbox", Some(&officer));
    assert!(
        !page.body.contains(EMAIL) && !page.body.contains(NAME),
        "{}",
        page.body
    );

    // The privacy notice is linked from the form and says what, why, how long.
    let privacy = server.get("/privacy", None);
    assert_eq!(privacy.status, 200);
    for words in ["section 8", "6(1)(c)", "6(1)(e)", "2 years"] {
        assert!(privacy.body.contains(words), "{words}: {}", privacy.body);
    }
    assert!(
        server
            .get("/make-a-request", None)
            .body
            .contains("href=\"/privacy\"")
    );
}

#[test]
fn the_form_is_throttled_per_client_and_the_refusal_says_when_to_try_again() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, crate::web::LEI);
    for n in 0..5 {
        let made = make(
            &server,
            NAME,
            EMAIL,
            &format!("{TEXT} ({n})"),
            "203.0.113.9",
        );
        assert_eq!(made.status, 200, "request {n}: {}", made.body);
    }
    let refused = make(
        &server,
        NAME,
        EMAIL,
        &format!("{TEXT} (again)"),
        "203.0.113.9",
    );
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(
        refused.body.contains("Too many requests"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("try again"), "{}", refused.body);
    // Nothing was opened for it; another client still gets in.
    assert_eq!(outbox(&app).len(), 5);
    let other = make(
        &server,
        NAME,
        EMAIL,
        &format!("{TEXT} (other)"),
        "203.0.113.10",
    );
    assert_eq!(other.status, 200, "{}", other.body);
    // The address is kept nowhere: not in a dump of everything the
    // database holds (the throttle is not dumped), nor as text in it.
    app.run(&["export", "all.jsonl"]).ok();
    let dump = std::fs::read_to_string(app.path("all.jsonl")).expect("dump");
    assert!(dump.contains("\"outbox\""), "the outbox is dumped");
    assert!(!dump.contains("203.0.113"), "no address in the dump");
}

/// What the mail sink took: each message's envelope recipients and DATA.
type Kept = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on 127.0.0.1 that takes every message and keeps
/// its envelope recipients and DATA.
fn mail_sink() -> (u16, Kept) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let kept = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&kept);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let _ = stream.write_all(b"220 sink ESMTP\r\n");
            let mut to = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let command = line.trim_end().to_uppercase();
                let reply: &[u8] = if command.starts_with("EHLO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if command.starts_with("RCPT TO:") {
                    to.push(line.trim_end()[8..].to_string());
                    b"250 OK\r\n"
                } else if command == "DATA" {
                    let _ = stream.write_all(b"354 go on\r\n");
                    let mut data = String::new();
                    loop {
                        let mut l = String::new();
                        if reader.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                            break;
                        }
                        data.push_str(&l);
                    }
                    keep.lock()
                        .expect("lock")
                        .push((std::mem::take(&mut to), data));
                    b"250 kept\r\n"
                } else if command == "QUIT" {
                    let _ = stream.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 OK\r\n"
                };
                let _ = stream.write_all(reply);
            }
        }
    });
    (port, kept)
}

#[test]
fn with_smtp_the_acknowledgement_reaches_the_mail_sink_with_its_reference_only() {
    let (app, earlier) = leicester_with_users();
    // The server runs without [smtp] (its own sender would race this
    // test's); `lantern outbox send` reads the [smtp] written after.
    let server = Server::start(&app, crate::web::LEI);
    let config = std::fs::read_to_string(app.path("lantern.toml")).expect("config");
    let with_smtp = |port: u16| {
        app.write(
            "lantern.toml",
            &format!(
                "{config}\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"foi@leicester.example\"\n"
            ),
        );
    };
    // A server that does not answer: the message waits for another try.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    with_smtp(closed_port);
    let first = reference_in(&make(&server, NAME, EMAIL, TEXT, "192.0.2.1"));
    let out = app.run(&["outbox", "send"]).ok();
    assert!(
        out.contains("sent 0, to try again later 1"),
        "{out} {:#?}",
        outbox(&app)
    );
    let held = outbox(&app);
    let m = held
        .iter()
        .find(|m| m["reference"] == first.as_str())
        .expect("message");
    assert_eq!(
        (m["status"].as_str(), m["attempts"].as_i64()),
        (Some("queued"), Some(1))
    );
    assert!(
        m["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{m:#}"
    );

    // A mail sink: the next request's acknowledgement arrives.
    let (port, kept) = mail_sink();
    with_smtp(port);
    let other = "someone.else@example.net";
    let second = reference_in(&make(
        &server,
        "Bartholomew Second",
        other,
        "2. How many people in treatment were aged 18-24 in 2018/19?",
        "192.0.2.2",
    ));
    let out = app.run(&["outbox", "send"]).ok();
    assert!(out.contains("sent 1"), "{out}");
    let mail = kept.lock().expect("lock").clone();
    assert_eq!(mail.len(), 1, "{mail:#?}");
    let (to, data) = &mail[0];
    assert_eq!(to, &[format!("<{other}>")]);
    assert!(data.contains(&second), "{data}");
    assert!(data.contains("Bartholomew Second"), "{data}");
    assert!(data.contains("From: foi@leicester.example"), "{data}");
    // A plain-text message: the letter's words, not its Markdown.
    assert!(!data.contains("**"), "Markdown marks in {data}");
    // No one else's data: not the first requester's, not the earlier case's.
    for someone_else in [NAME, EMAIL, REQUESTER, earlier.as_str(), first.as_str()] {
        assert!(!data.contains(someone_else), "{someone_else} in {data}");
    }
    let sent = outbox(&app);
    let m = sent
        .iter()
        .find(|m| m["reference"] == second.as_str())
        .expect("message");
    assert_eq!(
        (m["status"].as_str(), m["sent_how"].as_str()),
        (Some("sent"), Some("smtp"))
    );
    let events = history(&app, &second);
    let last = events.last().expect("event");
    assert_eq!(last["action"], "message_sent");
    assert_eq!(last["actor"], "the outbox sender (SMTP)");
    assert!(!last.to_string().contains(other), "{last}");
}

#[test]
fn a_request_made_as_json_is_the_forms_use_case() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, crate::web::LEI);
    let post = |body: &str| {
        server.call(
            "POST",
            "/api/requests",
            &[("X-Forwarded-For".to_string(), "192.0.2.50".to_string())],
            Some(("application/json", body)),
        )
    };
    let asked = serde_json::json!({ "name": NAME, "email": EMAIL, "request": TEXT }).to_string();
    let made = post(&asked);
    assert_eq!(made.status, 201, "{}", made.body);
    let v: serde_json::Value = serde_json::from_str(&made.body).expect("json");
    let reference = v["reference"].as_str().expect("reference").to_string();
    assert_eq!(
        (v["received"].as_str(), v["already_made"].as_bool()),
        (Some("2019-07-05"), Some(false))
    );
    let again = post(&asked);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains(&reference));
    let refused =
        post(&serde_json::json!({ "name": "", "email": EMAIL, "request": TEXT }).to_string());
    assert_eq!(refused.status, 400, "{}", refused.body);
    let error: serde_json::Value = serde_json::from_str(&refused.body).expect("json");
    assert_eq!(error["field"], "name", "{error:#}");
    // One acknowledgement queued, by the public.
    let queued: Vec<serde_json::Value> = outbox(&app)
        .into_iter()
        .filter(|m| m["reference"] == reference.as_str())
        .collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        history(&app, &reference)[0]["actor"],
        "the public (web form)"
    );
}

#[test]
fn the_api_records_a_message_as_sent_by_hand_once_for_whom_the_policy_allows() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, crate::web::LEI);
    let made = make(&server, NAME, EMAIL, TEXT, "203.0.113.7");
    assert_eq!(made.status, 200, "{}", made.body);
    let queued = outbox(&app);
    assert_eq!(queued.len(), 1, "{queued:#?}");
    let id = queued[0]["id"].as_i64().expect("id");
    let path = format!("/api/outbox/{id}/sent");
    let officer = server.session("officer");

    // An approver sees the outbox but may not record; a session's POST
    // without its CSRF header is refused; neither changes anything.
    let approver = server.session("approver");
    let refused = crate::api::post(&server, &path, Some(&approver), "");
    assert_eq!(refused.status, 403, "{}", refused.body);
    let no_csrf = server.call(
        "POST",
        &path,
        &[("Cookie".into(), officer.cookie.clone())],
        None,
    );
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    assert_eq!(outbox(&app)[0]["status"], "queued");

    // A body with fields it does not take, or an id that is not one.
    let extra = crate::api::post(&server, &path, Some(&officer), r#"{"when":"now"}"#);
    assert_eq!(extra.status, 422, "{}", extra.body);
    for missing in ["/api/outbox/abc/sent", "/api/outbox/999/sent"] {
        let reply = crate::api::post(&server, missing, Some(&officer), "");
        assert_eq!(reply.status, 404, "{missing}: {}", reply.body);
        crate::api::assert_error_body(&reply, missing);
    }
    // A status seen that is not one, or not the message's now.
    let bad = crate::api::post(&server, &path, Some(&officer), r#"{"seen":"lost"}"#);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(
        crate::api::assert_error_body(&bad, "seen lost")["field"],
        "seen"
    );
    let stale = crate::api::post(&server, &path, Some(&officer), r#"{"seen":"failed"}"#);
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(outbox(&app)[0]["status"], "queued");

    // The officer records it: the message as it now is; a second time is
    // a conflict that changes nothing.
    let sent = crate::api::post(&server, &path, Some(&officer), r#"{"seen":"queued"}"#);
    assert_eq!(sent.status, 200, "{}", sent.body);
    let body: serde_json::Value = serde_json::from_str(&sent.body).expect("json");
    assert_eq!(body["id"], id);
    assert_eq!(
        (body["status"].as_str(), body["sent_how"].as_str()),
        (Some("sent"), Some("by_hand")),
        "{body}"
    );
    let twice = crate::api::post(&server, &path, Some(&officer), "");
    assert_eq!(twice.status, 409, "{}", twice.body);
    crate::api::assert_error_body(&twice, "sent twice");
    let after = outbox(&app);
    assert_eq!(
        (after[0]["status"].as_str(), after[0]["sent_at"].as_str()),
        (Some("sent"), body["sent_at"].as_str())
    );
    let reference = after[0]["reference"].as_str().expect("reference");
    let events = history(&app, reference);
    let messages_sent = events
        .iter()
        .filter(|e| e["action"] == "message_sent")
        .count();
    assert_eq!(messages_sent, 1, "{events:#?}");
}
