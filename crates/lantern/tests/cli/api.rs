//! The JSON API over real HTTP against real `lantern serve` processes on a
//! real database (SQLite, or PostgreSQL with `LANTERN_TEST_BACKEND=postgres`):
//! every endpoint the OpenAPI document lists, called by nobody, by each role,
//! by another council's user and with a token that is not valid, answers as
//! the policy says with the one error body; a request taken in, drafted,
//! approved by someone else and sent through the API reaches the public
//! log, and its requester reaches no reply; the router's own errors, body
//! limits, wrong types and paging under `/api/` are JSON errors too.

use lantern_app::accounts::Role;
use lantern_app::policy::{self, Resource};

use crate::web::{
    LEI, PASSWORD, REQUESTER, Reply, Server, Session, actor, add_user, cookies,
    leicester_with_users, status_of,
};

/// `POST` a JSON body with the session's cookie and CSRF header.
pub(crate) fn post(server: &Server, path: &str, session: Option<&Session>, body: &str) -> Reply {
    let mut headers: Vec<(String, String)> = cookies(session)
        .into_iter()
        .map(|c| ("Cookie".to_string(), c))
        .collect();
    if let Some(s) = session {
        headers.push(("X-CSRF-Token".into(), s.csrf.clone()));
    }
    server.call("POST", path, &headers, Some(("application/json", body)))
}

/// `POST` a monthly file to `/api/submissions` (`query`: its name and
/// month) with the session's cookie and CSRF header.
fn submit(server: &Server, session: &Session, query: &str, file: &str) -> Reply {
    server.call(
        "POST",
        &format!("/api/submissions?{query}"),
        &[
            ("Cookie".into(), session.cookie.clone()),
            ("X-CSRF-Token".into(), session.csrf.clone()),
        ],
        Some(("text/csv", file)),
    )
}

/// `GET` with the session's cookie.
fn get(server: &Server, path: &str, session: Option<&Session>) -> Reply {
    server.get(path, session)
}

/// The reply's body as JSON.
fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", reply.status, reply.body))
}

/// An error reply is `{status, code, message, field}` as JSON, its status
/// repeated; returns it.
pub(crate) fn assert_error_body(reply: &Reply, what: &str) -> serde_json::Value {
    assert!(
        reply.head.contains("content-type: application/json"),
        "{what}: not JSON: {}\n{}",
        reply.head,
        reply.body
    );
    let body = json(reply);
    let keys: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {body}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 4, "{what}: {body}");
    assert_eq!(body["status"], reply.status, "{what}: {body}");
    assert!(
        body["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{what}: {body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| m.len() > 10),
        "{what}: {body}"
    );
    assert!(
        body["field"].is_null() || body["field"].is_string(),
        "{what}: {body}"
    );
    body
}

/// Another council in the same database, served by its own process, with
/// a user holding every role there, signed in there.
fn stranger(app: &crate::TestApp) -> (Server, Session) {
    app.run(&[
        "council",
        "set",
        "OTHER",
        "--name",
        "Other Council",
        "--area",
        "E06000017",
    ])
    .ok();
    add_user(
        app,
        Some("OTHER"),
        "stranger",
        &["foi_officer", "approver", "analyst", "admin"],
    );
    let theirs = Server::start(app, "OTHER");
    let session = theirs.session("stranger");
    (theirs, session)
}

#[test]
fn every_documented_endpoint_answers_each_role_another_council_and_a_bad_token_as_the_policy_says()
{
    let (app, reference) = leicester_with_users();
    let (_theirs, stranger_session) = stranger(&app);
    let server = Server::start(&app, LEI);
    let people = [
        ("nobody", None),
        ("officer", Some(actor("officer", LEI, &[Role::FoiOfficer]))),
        ("approver", Some(actor("approver", LEI, &[Role::Approver]))),
        ("analyst", Some(actor("analyst", LEI, &[Role::Analyst]))),
        ("provider", Some(actor("provider", LEI, &[Role::Provider]))),
        ("admin", Some(actor("admin", LEI, &[Role::Admin]))),
        (
            "stranger",
            Some(actor(
                "stranger",
                "OTHER",
                &[Role::FoiOfficer, Role::Approver, Role::Analyst, Role::Admin],
            )),
        ),
    ];
    let sessions: Vec<Option<Session>> = people
        .iter()
        .map(|(who, _)| match *who {
            "nobody" => None,
            "stranger" => Some(stranger_session.clone()),
            name => Some(server.session(name)),
        })
        .collect();
    let doc = serde_json::to_value(lantern_web::api::document()).expect("document");
    let routes = lantern_web::routes();
    let resource = Resource {
        council: LEI.into(),
        drafted_by: vec!["tester".into()],
        self_approval: false,
    };
    let mut called = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let path = template.replace("{reference}", &reference);
        for method in item.as_object().expect("item").keys() {
            let method = method.to_uppercase();
            let route = routes
                .iter()
                .find(|r| r.path == template && r.method == method)
                .unwrap_or_else(|| panic!("{method} {template} is documented but not routed"));
            for ((who, person), session) in people.iter().zip(&sessions) {
                let what = format!("{method} {path} by {who}");
                let reply = if method == "GET" {
                    get(&server, &path, session.as_ref())
                } else {
                    // Changes nothing when allowed: a status nobody saw,
                    // or fields the route does not take.
                    post(&server, &path, session.as_ref(), r#"{"seen":"stale"}"#)
                };
                let allowed = policy::may(person.as_ref(), route.action, &resource).allowed();
                match (allowed, person) {
                    (true, _) => assert!(
                        ![401, 403].contains(&reply.status),
                        "{what}: {} {}",
                        reply.status,
                        reply.body
                    ),
                    (false, None) => assert_eq!(reply.status, 401, "{what}: {}", reply.body),
                    // Another council's session is not one here at all.
                    (false, Some(_)) if *who == "stranger" => {
                        assert!([401, 403].contains(&reply.status), "{what}: {}", reply.body)
                    }
                    (false, Some(_)) => assert_eq!(reply.status, 403, "{what}: {}", reply.body),
                }
                if reply.status >= 400 {
                    let error = assert_error_body(&reply, &what);
                    if !allowed {
                        assert!(!reply.body.contains(REQUESTER), "{what}");
                        assert!(!reply.body.contains(&reference), "{what}: {error}");
                    }
                } else {
                    assert!(
                        reply.head.contains("content-type: application/json"),
                        "{what}: {}",
                        reply.head
                    );
                }
                assert!(!reply.body.contains(REQUESTER), "{what}: {}", reply.body);
                assert!(!reply.body.contains("z@example.org"), "{what}");
                called += 1;
            }
            // A token that is not valid opens nothing but the public routes.
            let reply = server.call(
                &method,
                &path,
                &[("Authorization".into(), "Bearer not-a-token".into())],
                (method == "POST").then_some(("application/json", "{}")),
            );
            let public = route.action == lantern_app::policy::Action::ReadPublic;
            if !public {
                assert_eq!(reply.status, 401, "{method} {path} with a bad token");
                let error = assert_error_body(&reply, &format!("{method} {path} bad token"));
                assert_eq!(error["code"], "invalid_token");
                assert!(
                    reply.head.contains("www-authenticate: bearer"),
                    "{}",
                    reply.head
                );
            }
        }
    }
    assert!(called >= 14 * people.len(), "called {called}");
    // Nothing was changed by any of it.
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["--council", LEI, "request", "show", &reference, "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(shown["status"], "drafted");
}

#[test]
fn a_request_taken_in_drafted_approved_and_sent_through_the_api_reaches_the_public_log() {
    let (app, seed) = leicester_with_users();
    let server = Server::start(&app, LEI);

    // Sign in with JSON: the cookie carries the session, the reply its secret.
    let signed = server.call(
        "POST",
        "/api/session",
        &[],
        Some((
            "application/json",
            &format!(r#"{{"username":"officer","password":"{PASSWORD}"}}"#),
        )),
    );
    assert_eq!(signed.status, 201, "{}", signed.body);
    let cookie = signed
        .set_cookie("lantern_session")
        .expect("a session cookie");
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=lax"),
        "{cookie}"
    );
    let officer = Session {
        cookie: cookie.split(';').next().expect("value").to_string(),
        csrf: json(&signed)["csrf"].as_str().expect("csrf").to_string(),
    };
    let me = json(&get(&server, "/api/session", Some(&officer)));
    assert_eq!(me["username"], "officer");
    assert_eq!(me["csrf"], officer.csrf.as_str());
    let wrong = server.call(
        "POST",
        "/api/session",
        &[],
        Some((
            "application/json",
            r#"{"username":"officer","password":"nope"}"#,
        )),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        assert_error_body(&wrong, "wrong password")["field"],
        "password"
    );

    // Take in a typed request; its requester is kept but never shown.
    let typed = serde_json::json!({"typed": {
        "requester": REQUESTER,
        "contact": "z@example.org",
        "received": "2019-07-01",
        "subject": "Crack cocaine treatment, again",
        "questions": "1) How many people were in treatment for crack cocaine in 2017/18?",
    }});
    // Without the CSRF header a session changes nothing.
    let refused = server.call(
        "POST",
        "/api/cases",
        &[("Cookie".into(), officer.cookie.clone())],
        Some(("application/json", &typed.to_string())),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(assert_error_body(&refused, "no csrf")["code"], "csrf");
    let before = json(&get(&server, "/api/cases", Some(&officer)))["total"].clone();
    let opened = post(&server, "/api/cases", Some(&officer), &typed.to_string());
    assert_eq!(opened.status, 201, "{}", opened.body);
    let opened = json(&opened);
    let reference = opened["reference"].as_str().expect("reference").to_string();
    assert_ne!(reference, seed);
    assert!(!opened.to_string().contains(REQUESTER), "{opened}");
    let listed = json(&get(&server, "/api/cases", Some(&officer)));
    assert_eq!(
        listed["total"].as_u64(),
        before.as_u64().map(|n| n + 1),
        "{listed}"
    );

    // Paging: one a page, links to the next and back, past the end refused.
    let first = json(&get(
        &server,
        "/api/cases?per_page=1&sort=reference",
        Some(&officer),
    ));
    assert_eq!(first["items"].as_array().map(Vec::len), Some(1), "{first}");
    assert_eq!(first["pages"], first["total"]);
    assert!(first["links"]["prev"].is_null());
    let next = first["links"]["next"]
        .as_str()
        .expect("a next page")
        .to_string();
    assert!(
        next.contains("page=2") && next.contains("sort=reference"),
        "{next}"
    );
    let second = json(&get(&server, &next, Some(&officer)));
    assert_ne!(
        second["items"][0]["reference"],
        first["items"][0]["reference"]
    );
    assert_eq!(second["links"]["prev"], first["links"]["self"]);
    let past = get(&server, "/api/cases?page=99", Some(&officer));
    assert_eq!(past.status, 400);
    assert_eq!(assert_error_body(&past, "past the end")["field"], "page");
    let big = get(&server, "/api/cases?per_page=101", Some(&officer));
    assert_eq!(assert_error_body(&big, "per_page")["field"], "per_page");
    let tag = get(&server, "/api/cases?status=late", Some(&officer));
    assert_eq!(assert_error_body(&tag, "status")["field"], "status");

    // One case: its questions with Lantern's reading, the clock, the history.
    let case = json(&get(
        &server,
        &format!("/api/cases/{reference}"),
        Some(&officer),
    ));
    assert_eq!(case["status"], "received", "{case}");
    assert!(
        case["questions"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("crack cocaine")),
        "{case}"
    );
    assert!(case["clock"]["due"].is_string(), "{case}");
    assert!(!case.to_string().contains(REQUESTER));
    assert!(!case.to_string().contains("z@example.org"));

    // The seed: drafted by someone else; the officer cannot approve it,
    // an approver can, then the officer sends it.
    let path = format!("/api/cases/{seed}");
    let shown = json(&get(&server, &path, Some(&officer)));
    assert_eq!(shown["status"], "drafted");
    assert!(shown["draft"].is_string(), "{shown}");
    let no = post(&server, &format!("{path}/approve"), Some(&officer), "{}");
    assert_eq!(no.status, 403, "{}", no.body);
    let approver = server.session("approver");
    let stale = post(
        &server,
        &format!("{path}/approve"),
        Some(&approver),
        r#"{"seen":"open"}"#,
    );
    assert_eq!(stale.status, 409);
    assert_eq!(assert_error_body(&stale, "stale")["field"], "seen");
    let approved = post(
        &server,
        &format!("{path}/approve"),
        Some(&approver),
        r#"{"seen":"drafted","note":"checked"}"#,
    );
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(json(&approved)["status"], "approved");
    let channel = post(
        &server,
        &format!("{path}/send"),
        Some(&officer),
        r#"{"channel":"fax"}"#,
    );
    assert_eq!(assert_error_body(&channel, "channel")["field"], "channel");
    let sent = post(
        &server,
        &format!("{path}/send"),
        Some(&officer),
        r#"{"channel":"email","seen":"approved"}"#,
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(status_of(&app, &seed), "sent");
    let again = post(
        &server,
        &format!("{path}/send"),
        Some(&officer),
        r#"{"channel":"email"}"#,
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_error_body(&again, "sent twice");

    // The public log has it, paged the same way, and no requester.
    let log = get(&server, "/api/log?per_page=1", None);
    assert_eq!(log.status, 200, "{}", log.body);
    let log = json(&log);
    assert_eq!(log["items"][0]["reference"], seed.as_str(), "{log}");
    assert_eq!(log["per_page"], 1);
    assert!(
        log["links"]["self"]
            .as_str()
            .is_some_and(|l| l.contains("per_page=1"))
    );
    assert!(!log.to_string().contains(REQUESTER));
    let log_page = get(&server, "/log?per_page=1", None);
    assert_eq!(log_page.status, 400, "per_page is the API's");

    // A clock action on the new case: a bad one is tied to its field.
    let bad = post(
        &server,
        &format!("/api/cases/{reference}/clock"),
        Some(&officer),
        r#"{"action":"pause"}"#,
    );
    assert_eq!(assert_error_body(&bad, "clock")["field"], "action");
    let sought = post(
        &server,
        &format!("/api/cases/{reference}/clock"),
        Some(&officer),
        r#"{"action":"seek_clarification","on":"2019-07-02","note":"which year?"}"#,
    );
    assert_eq!(sought.status, 200, "{}", sought.body);
    let held = json(&get(
        &server,
        &format!("/api/cases/{reference}"),
        Some(&officer),
    ));
    assert_eq!(held["clock"]["hold"]["kind"], "clarification", "{held}");
}

#[test]
fn the_routers_own_errors_body_limits_and_wrong_bodies_under_api_are_json_errors() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");

    // The document served is the one the code generates.
    let served = get(&server, "/api/openapi.json", None);
    assert_eq!(served.status, 200);
    assert_eq!(
        json(&served),
        serde_json::to_value(lantern_web::api::document()).expect("document")
    );

    let missing = get(&server, "/api/no-such-thing", None);
    assert_eq!(missing.status, 404);
    assert_eq!(assert_error_body(&missing, "404")["code"], "not_found");
    // Pages keep their HTML.
    let page = get(&server, "/no-such-page", None);
    assert_eq!(page.status, 404);
    assert!(!page.head.contains("application/json"), "{}", page.head);

    let method = server.call("POST", "/api/log", &[], Some(("application/json", "{}")));
    assert_eq!(method.status, 405);
    let error = assert_error_body(&method, "405");
    assert_eq!(error["code"], "method_not_allowed");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("GET")),
        "{error}"
    );

    let huge = format!(
        r#"{{"email":"{}"}}"#,
        "a".repeat(lantern_web::FORM_BODY_LIMIT + 1)
    );
    let large = post(&server, "/api/cases", Some(&officer), &huge);
    assert_eq!(large.status, 413);
    assert_eq!(assert_error_body(&large, "413")["code"], "too_large");

    let mut headers = vec![
        ("Cookie".to_string(), officer.cookie.clone()),
        ("X-CSRF-Token".to_string(), officer.csrf.clone()),
    ];
    let text = server.call(
        "POST",
        "/api/cases",
        &headers,
        Some(("text/plain", "Dear council, how many…")),
    );
    assert_eq!(text.status, 415);
    assert_error_body(&text, "415");
    let syntax = server.call(
        "POST",
        "/api/cases",
        &headers,
        Some(("application/json", "{not json")),
    );
    assert_eq!(syntax.status, 400);
    assert_error_body(&syntax, "400");
    let unknown = post(&server, "/api/cases", Some(&officer), r#"{"letter":"x"}"#);
    assert_eq!(unknown.status, 422);
    assert_eq!(assert_error_body(&unknown, "422")["field"], "letter");
    let both = post(
        &server,
        "/api/cases",
        Some(&officer),
        r#"{"email":"a","structured":"b"}"#,
    );
    assert_eq!(both.status, 400);
    assert_error_body(&both, "both");
    let empty = post(
        &server,
        "/api/cases",
        Some(&officer),
        r#"{"structured":"  "}"#,
    );
    assert_eq!(assert_error_body(&empty, "empty")["field"], "structured");
    // A structured request (the format of docs/formats/request.md) opens a case.
    let toml = std::fs::read_to_string(crate::example("requests/seed-000.toml"))
        .expect("the seed request");
    let filed = post(
        &server,
        "/api/cases",
        Some(&officer),
        &serde_json::json!({ "structured": toml }).to_string(),
    );
    assert_eq!(filed.status, 201, "{}", filed.body);
    assert_eq!(json(&filed)["reference"], "FOI-2019-0412");
    let corrections = post(
        &server,
        &format!("/api/cases/{reference}/questions"),
        Some(&officer),
        r#"{"corrections":[{"kind":"set_topic","question":"99","topic":"budget"}]}"#,
    );
    assert_eq!(corrections.status, 404, "{}", corrections.body);
    let error = assert_error_body(&corrections, "correction");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("no question 99")),
        "{error}"
    );

    // The public API's own refusals have the same shape.
    for path in [
        "/api/log?year=1800",
        "/api/log?colour=red",
        "/api/reports/timeliness?by=year",
        "/api/letters/FOI-1999-0001",
    ] {
        let reply = get(&server, path, None);
        assert!(reply.status == 400 || reply.status == 404, "{path}");
        assert_error_body(&reply, path);
    }
    let year = json(&get(&server, "/api/log?year=1800", None));
    assert_eq!(year["field"], "year", "{year}");
    headers.clear();
}

#[test]
fn an_officer_corrects_drafts_and_resolves_a_blocking_finding_through_the_api_then_it_is_approved()
{
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let path = format!("/api/cases/{reference}");
    // Reopen the draft to correct it.
    let started = post(
        &server,
        &format!("{path}/clock"),
        Some(&officer),
        r#"{"action":"start","seen":"drafted"}"#,
    );
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(json(&started)["status"], "in_progress");
    let case = json(&get(&server, &path, Some(&officer)));
    let revision = case["revision"].as_str().expect("revision").to_string();
    // Question 1 asks for a year the council has no figure for.
    let body = serde_json::json!({
        "corrections": [{"kind": "set_periods", "question": "1", "periods": ["2010/11"]}],
        "seen": revision,
        "note": "the requester meant 2010/11",
    });
    let corrected = post(
        &server,
        &format!("{path}/questions"),
        Some(&officer),
        &body.to_string(),
    );
    assert_eq!(corrected.status, 200, "{}", corrected.body);
    assert_ne!(json(&corrected)["revision"], revision.as_str());
    // The same correction against the old revision changes nothing.
    let stale = post(
        &server,
        &format!("{path}/questions"),
        Some(&officer),
        &body.to_string(),
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_error_body(&stale, "stale revision");

    let drafted = post(&server, &format!("{path}/draft"), Some(&officer), "");
    assert_eq!(drafted.status, 200, "{}", drafted.body);
    assert!(
        json(&drafted)["findings"].as_u64() >= Some(1),
        "{}",
        drafted.body
    );
    let case = json(&get(&server, &path, Some(&officer)));
    let finding = &case["findings"][0];
    assert_eq!(finding["question"], "1", "{case}");
    let number = finding["number"].as_u64().expect("number");
    // The approver cannot approve while it is open.
    let approver = server.session("approver");
    let blocked = post(&server, &format!("{path}/approve"), Some(&approver), "{}");
    assert!([400, 409].contains(&blocked.status), "{}", blocked.body);
    assert_error_body(&blocked, "blocked");

    let no_reason = post(
        &server,
        &format!("{path}/findings/resolve"),
        Some(&officer),
        &format!(r#"{{"finding":{number},"way":"record_not_held"}}"#),
    );
    assert_eq!(
        assert_error_body(&no_reason, "no reason")["field"],
        "reason"
    );
    let resolved = post(
        &server,
        &format!("{path}/findings/resolve"),
        Some(&officer),
        &format!(
            r#"{{"finding":{number},"way":"record_not_held","reason":"The council did not collect this before 2012."}}"#
        ),
    );
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    let redrafted = post(&server, &format!("{path}/draft"), Some(&officer), "{}");
    assert_eq!(redrafted.status, 200, "{}", redrafted.body);
    assert_eq!(json(&redrafted)["findings"], 0, "{}", redrafted.body);
    let approved = post(&server, &format!("{path}/approve"), Some(&approver), "{}");
    assert_eq!(approved.status, 200, "{}", approved.body);
    let history = json(&get(&server, &path, Some(&officer)))["history"].clone();
    assert!(
        history
            .as_array()
            .expect("history")
            .iter()
            .any(|e| e["actor"] == "officer"
                && e["note"].as_str().is_some_and(|n| n.contains("2010/11"))),
        "the correction is in the history with who made it: {history}"
    );
}

/// Checks each reply against its schema in the document with the Python
/// `jsonschema` package (JSON Schema 2020-12, as OpenAPI 3.1 is): every
/// object schema with properties is closed first, so a field a reply has
/// and the document does not is an error too. Reads
/// `{"components", "replies": [{what, schema, body}], "controls": […]}`;
/// every reply must pass and every control (a reply spoiled on purpose)
/// must fail.
const VALIDATE: &str = r#"
import json, sys
import jsonschema

given = json.load(open(sys.argv[1]))

def close(schema):
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            close(value)
    elif isinstance(schema, list):
        for value in schema:
            close(value)

components = given["components"]
close(components)
def errors(reply):
    schema = dict(reply["schema"])
    close(schema)
    schema["components"] = components
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(reply["body"])]

failed = False
for reply in given["replies"]:
    found = errors(reply)
    if found:
        failed = True
        print(f"{reply['what']} does not match its schema:")
        for e in found[:20]:
            print(f"  {e}")
for control in given["controls"]:
    if not errors(control):
        failed = True
        print(f"control {control['what']} passed: the check checks nothing")
print(f"checked {len(given['replies'])} replies and {len(given['controls'])} controls")
sys.exit(1 if failed else 0)
"#;

/// Leicester with its users and something in every list and report: a
/// sent answer (the log, its letter, the reports), a request open in the
/// inbox, published figures, a planned publication and the provider P1
/// registered. Returns the sent answer's reference.
fn populated() -> (crate::TestApp, String) {
    let (app, reference) = leicester_with_users();
    let day = ["--as-of", "2019-07-05"];
    app.run(&["request", "approve", &reference, day[0], day[1]])
        .ok();
    app.run(&["request", "send", &reference, day[0], day[1]])
        .ok();
    // A second request, open in the inbox.
    let open = app.write(
        "open.eml",
        &format!(
            "{}
And for 2017/18 as well, please.
",
            crate::web::seed_email()
        ),
    );
    app.run(&[
        "request",
        "new",
        open.to_str().expect("path"),
        "--received",
        "2019-07-01",
    ])
    .ok();
    crate::published_figures::publish_by_sex(&app);
    app.run(&[
        "publication",
        "plan",
        "people_in_treatment",
        "--period",
        "2024/25",
        "--on",
        "2025-12-01",
    ])
    .ok();
    app.write("agencies.csv", "code,name,area\nP1,First Step,E06000016\n");
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    (app, reference)
}

#[test]
fn every_documented_reply_matches_its_schema_in_the_document() {
    let python = std::env::var("LANTERN_PYTHON").unwrap_or_else(|_| "python3".into());
    let present = std::process::Command::new(&python)
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        assert!(
            std::env::var("CI").is_err(),
            "{python} with jsonschema is missing: CI must check the API's replies against the document (.ci/run installs openapi-spec-validator, which brings jsonschema)"
        );
        eprintln!(
            "SKIPPED: {python} with the jsonschema package is not installed, so the replies were not checked against the document"
        );
        return;
    }
    let (app, reference) = populated();
    let server = Server::start(&app, LEI);
    let sessions: Vec<(&str, Session, lantern_app::accounts::Actor)> = [
        ("officer", Role::FoiOfficer),
        ("approver", Role::Approver),
        ("analyst", Role::Analyst),
        ("provider", Role::Provider),
        ("admin", Role::Admin),
    ]
    .into_iter()
    .map(|(who, role)| (who, server.session(who), actor(who, LEI, &[role])))
    .collect();
    let provider = &sessions[3].1;
    let month = crate::providers::month_file("P1");
    let sent = submit(
        &server,
        provider,
        "name=P1-2019-06.csv&month=2019-06",
        &month,
    );
    assert_eq!(sent.status, 201, "{}", sent.body);
    let submission = json(&sent);
    assert!(
        !submission["report"]["errors"]
            .as_array()
            .expect("errors")
            .is_empty(),
        "{submission}"
    );
    let id = submission["submission"]["id"].as_i64().expect("id");

    let doc = serde_json::to_value(lantern_web::api::document()).expect("document");
    let schema_of = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
            .clone()
    };
    let resource = Resource {
        council: LEI.into(),
        drafted_by: vec!["tester".into()],
        self_approval: false,
    };
    // Writes' replies too: signing in, taking in a request, sending a file.
    let signed = server.call(
        "POST",
        "/api/session",
        &[],
        Some((
            "application/json",
            &format!(r#"{{"username":"officer","password":"{PASSWORD}"}}"#),
        )),
    );
    assert_eq!(signed.status, 201, "{}", signed.body);
    let taken = post(
        &server,
        "/api/cases",
        Some(&sessions[0].1),
        r#"{"typed": {"requester": "A Person", "received": "2019-07-02", "subject": "Naloxone",
            "questions": "1) How many naloxone kits were given out in 2018/19?"}}"#,
    );
    assert_eq!(taken.status, 201, "{}", taken.body);
    // A request the public makes: its acknowledgement fills the outbox.
    let made = server.call(
        "POST",
        "/api/requests",
        &[],
        Some((
            "application/json",
            r#"{"name": "Ann Other", "email": "ann@example.org",
                "request": "1. How many people were in treatment in 2018/19?"}"#,
        )),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    // The officer records its acknowledgement as sent by hand.
    let listed = json(&get(&server, "/api/outbox", Some(&sessions[0].1)));
    let message = listed["items"][0]["id"].as_i64().expect("a message");
    let recorded = post(
        &server,
        &format!("/api/outbox/{message}/sent"),
        Some(&sessions[0].1),
        "",
    );
    assert_eq!(recorded.status, 200, "{}", recorded.body);
    let mut replies = vec![
        serde_json::json!({
            "what": "POST /api/requests",
            "schema": schema_of("/api/requests", "post", "201"),
            "body": json(&made),
        }),
        serde_json::json!({
            "what": "POST /api/submissions",
            "schema": schema_of("/api/submissions", "post", "201"),
            "body": submission,
        }),
        serde_json::json!({
            "what": "POST /api/session",
            "schema": schema_of("/api/session", "post", "201"),
            "body": json(&signed),
        }),
        serde_json::json!({
            "what": "POST /api/cases",
            "schema": schema_of("/api/cases", "post", "201"),
            "body": json(&taken),
        }),
        serde_json::json!({
            "what": "POST /api/outbox/{id}/sent",
            "schema": schema_of("/api/outbox/{id}/sent", "post", "200"),
            "body": json(&recorded),
        }),
    ];
    let routes = lantern_web::routes();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        if item.get("get").is_none() || template == "/api/openapi.json" {
            continue;
        }
        let route = routes
            .iter()
            .find(|r| r.path == template && r.method == "GET")
            .expect("routed");
        // Someone the policy lets call it (nobody, for the public ones).
        let session = if route.action == policy::Action::ReadPublic {
            None
        } else {
            let (_, session, _) = sessions
                .iter()
                .find(|(_, _, a)| policy::may(Some(a), route.action, &resource).allowed())
                .unwrap_or_else(|| panic!("nobody may GET {template}"));
            Some(session)
        };
        let path = template
            .replace("{reference}", &reference)
            .replace("{id}", &id.to_string());
        let reply = get(&server, &path, session);
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        let body = json(&reply);
        // Nothing is checked against an empty list.
        for list in [&body["items"], &body["publications"], &body] {
            if let Some(items) = list.as_array() {
                assert!(!items.is_empty(), "GET {path} gave an empty list: {body}");
            }
        }
        replies.push(serde_json::json!({
            "what": format!("GET {path}"),
            "schema": schema_of(template, "get", "200"),
            "body": body,
        }));
    }
    assert!(replies.len() >= 13, "{} replies", replies.len());
    // Controls: a field the document does not have, and a wrong type.
    let mut extra = replies[0].clone();
    extra["what"] = "a submission with a field the document lacks".into();
    extra["body"]["submission"]["surprise"] = true.into();
    let mut wrong = replies[0].clone();
    wrong["what"] = "a report whose rows are text".into();
    wrong["body"]["report"]["rows"] = "many".into();
    let given = serde_json::json!({
        "components": doc["components"],
        "replies": replies,
        "controls": [extra, wrong],
    });
    let file = app.write(
        "replies.json",
        &serde_json::to_string(&given).expect("json"),
    );
    let script = app.write("validate.py", VALIDATE);
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(&file)
        .output()
        .expect("run python");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{said}");
    assert!(said.contains("checked"), "{said}");
}

#[test]
fn a_parameter_or_value_a_list_or_report_cannot_take_is_a_400_naming_it_and_what_it_takes() {
    let (app, _) = populated();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let provider = server.session("provider");
    // (address, who, the field named, words the message must have: the
    // parameters or values allowed).
    let cases: &[(&str, Option<&Session>, &str, &[&str])] = &[
        (
            "/api/log?colour=red",
            None,
            "colour",
            &["search", "year", "topic", "outcome", "page", "per_page"],
        ),
        ("/api/log?page=1&page=2", None, "page", &["once"]),
        ("/api/log?year=1800", None, "year", &["the values it takes"]),
        (
            "/api/log?topic=nope",
            None,
            "topic",
            &["people_in_treatment"],
        ),
        ("/api/log?outcome=nope", None, "outcome", &["answered"]),
        ("/api/log?page=0", None, "page", &["from 1"]),
        ("/api/log?per_page=500", None, "per_page", &["1 to 100"]),
        (
            "/api/figures?colour=red",
            None,
            "colour",
            &["indicator", "area", "period", "page", "per_page"],
        ),
        (
            "/api/figures?indicator=nope",
            None,
            "indicator",
            &["people_in_treatment"],
        ),
        ("/api/figures?area=nope", None, "area", &["E06000016"]),
        ("/api/figures?period=1999/00", None, "period", &["1999/00"]),
        ("/api/figures?page=x", None, "page", &["1"]),
        ("/api/figures?per_page=101", None, "per_page", &["1 to 100"]),
        ("/api/figures?page=99", None, "page", &["1"]),
        (
            "/api/reports/timeliness?colour=red",
            None,
            "colour",
            &["by", "from", "to"],
        ),
        (
            "/api/reports/timeliness?by=week",
            None,
            "by",
            &["month", "quarter"],
        ),
        (
            "/api/reports/outcomes?from=yesterday",
            None,
            "from",
            &["YYYY-MM-DD"],
        ),
        ("/api/reports/outcomes?to=soon", None, "to", &["YYYY-MM-DD"]),
        (
            "/api/cases?colour=red",
            Some(&officer),
            "colour",
            &["status", "sort", "page", "per_page"],
        ),
        (
            "/api/cases?status=nope",
            Some(&officer),
            "status",
            &["overdue", "due-soon"],
        ),
        (
            "/api/cases?sort=nope",
            Some(&officer),
            "sort",
            &["due", "received", "reference"],
        ),
        (
            "/api/cases?per_page=0",
            Some(&officer),
            "per_page",
            &["1 to 100"],
        ),
        ("/api/cases?page=5", Some(&officer), "page", &["1"]),
        (
            "/api/submissions?colour=red",
            Some(&provider),
            "colour",
            &["page", "per_page"],
        ),
        ("/api/submissions?page=x", Some(&provider), "page", &["1"]),
        (
            "/api/submissions?per_page=1000",
            Some(&provider),
            "per_page",
            &["1 to 100"],
        ),
        ("/api/submissions?page=3", Some(&provider), "page", &["1"]),
    ];
    let mut wrong = Vec::new();
    for (path, who, field, words) in cases {
        let reply = get(&server, path, *who);
        if reply.status != 400 {
            wrong.push(format!("{path}: {} {}", reply.status, reply.body));
            continue;
        }
        let error = assert_error_body(&reply, path);
        let message = error["message"].as_str().unwrap_or_default();
        if error["field"] != *field || !words.iter().all(|w| message.contains(w)) {
            wrong.push(format!("{path}: {error}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The report of a submission takes one parameter.
    let month = crate::providers::month_file("P1");
    let sent = submit(&server, &provider, "name=P1-2019-06.csv&colour=red", &month);
    assert_eq!(sent.status, 400, "{}", sent.body);
    assert_eq!(assert_error_body(&sent, "submit")["field"], "colour");
    let sent = submit(&server, &provider, "name=P1-2019-06.csv", &month);
    assert_eq!(sent.status, 201, "{}", sent.body);
    let id = json(&sent)["submission"]["id"].as_i64().expect("id");
    for (query, field) in [("format=xml", "format"), ("colour=red", "colour")] {
        let path = format!("/api/submissions/{id}/report?{query}");
        let reply = get(&server, &path, Some(&provider));
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        let error = assert_error_body(&reply, &path);
        assert_eq!(error["field"], field, "{path}: {error}");
        assert!(
            error["message"].as_str().is_some_and(|m| m.contains("csv")),
            "{error}"
        );
    }
}
