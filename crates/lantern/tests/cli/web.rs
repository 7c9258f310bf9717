//! The web application behind sign-in, over real HTTP against real
//! `lantern serve` processes on a real database (an SQLite file, or
//! PostgreSQL with `LANTERN_TEST_BACKEND=postgres`): the authorisation
//! matrix over every route the router has, for every role and another
//! council's user; forms without their CSRF secret, with HTML and SQL in
//! their text, made stale by someone else; two-person sign-off; sign-in
//! throttling shared by two processes; the cookies' flags; sign-out and
//! disabling ending sessions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use lantern_app::accounts::{Actor, Grant, Role};
use lantern_app::policy::{self, Resource};

use crate::TestApp;

/// Leicester's council code (the example's area).
pub(crate) const LEI: &str = "E06000016";
/// Every test user's password (the other council's too).
pub(crate) const PASSWORD: &str = "a long enough test password";
/// The requester of the test case (must reach nobody without the role).
pub(crate) const REQUESTER: &str = "Zebedee Requester";

/// A running `lantern serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

/// An HTTP response: status, head (lowercase), body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: String,
}

impl Reply {
    /// A `Set-Cookie` header's whole value for `name`, if set.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.head
            .lines()
            .filter_map(|l| l.strip_prefix("set-cookie: "))
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    pub(crate) fn location(&self) -> Option<&str> {
        self.head
            .lines()
            .find_map(|l| l.strip_prefix("location: "))
            .map(str::trim)
    }

    /// The first hidden `csrf` field's value in the page.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body));
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("end of value")].to_string()
    }
}

impl Server {
    pub(crate) fn start(app: &TestApp, council: &str) -> Server {
        let mut child = app
            .command(&[
                "--council",
                council,
                "--as-of",
                "2019-07-05",
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("LANTERN_PSEUDONYM_KEY", crate::providers::KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start lantern serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server says where it listens");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    fn request(&self, method: &str, path: &str, cookies: &[String], form: Option<&str>) -> Reply {
        let mut headers = Vec::new();
        if !cookies.is_empty() {
            headers.push(("Cookie".to_string(), cookies.join("; ")));
        }
        let body = form.map(|b| ("application/x-www-form-urlencoded", b));
        self.call(method, path, &headers, body)
    }

    /// A request with these headers and, if given, a body of that type.
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<(&str, &str)>,
    ) -> Reply {
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        match body {
            Some((kind, body)) => request.push_str(&format!(
                "Content-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )),
            None if method == "POST" => request.push_str("Content-Length: 0\r\n\r\n"),
            None => request.push_str("\r\n"),
        }
        self.raw(request.as_bytes())
    }

    /// Send a whole HTTP request as given (head and body) and read the reply.
    pub(crate) fn raw(&self, request: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        stream.write_all(request).expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
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

    pub(crate) fn get(&self, path: &str, session: Option<&Session>) -> Reply {
        self.request("GET", path, &cookies(session), None)
    }

    pub(crate) fn post(&self, path: &str, session: Option<&Session>, form: &str) -> Reply {
        self.request("POST", path, &cookies(session), Some(form))
    }

    /// Sign in: the reply to the form, and the session if one started.
    pub(crate) fn sign_in(&self, username: &str, password: &str) -> (Reply, Option<Session>) {
        let form = self.get("/sign-in", None);
        assert_eq!(form.status, 200, "{}", form.body);
        let secret = form
            .set_cookie("lantern_sign_in")
            .expect("the sign-in form sets its secret");
        let secret = secret.split(';').next().expect("value").to_string();
        let reply = self.request(
            "POST",
            "/sign-in",
            std::slice::from_ref(&secret),
            Some(&format!(
                "username={}&password={}&csrf={}",
                encode(username),
                encode(password),
                form.csrf()
            )),
        );
        let session = reply.set_cookie("lantern_session").map(|c| {
            let cookie = c.split(';').next().expect("value").to_string();
            let mut session = Session {
                cookie,
                csrf: String::new(),
            };
            let home = self.get("/staff", Some(&session));
            assert_eq!(home.status, 200, "{}", home.body);
            session.csrf = home.csrf();
            session
        });
        (reply, session)
    }

    pub(crate) fn session(&self, username: &str) -> Session {
        let (reply, session) = self.sign_in(username, PASSWORD);
        session
            .unwrap_or_else(|| panic!("{username} cannot sign in: {} {}", reply.status, reply.body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed-in session: its cookie and its forms' secret.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

pub(crate) fn cookies(session: Option<&Session>) -> Vec<String> {
    session.map(|s| vec![s.cookie.clone()]).unwrap_or_default()
}

/// Form encoding of a value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Add a user with the CLI (the password on standard input).
pub(crate) fn add_user(app: &TestApp, council: Option<&str>, username: &str, roles: &[&str]) {
    let mut args = vec![];
    if let Some(c) = council {
        args.extend(["--council", c]);
    }
    args.extend(["user", "add", username, "--name", "Test User"]);
    for r in roles {
        args.extend(["--role", r]);
    }
    let mut child = app
        .command(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lantern user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    let out = child.wait_with_output().expect("user add");
    assert!(
        out.status.success(),
        "user add {username}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The seed's e-mail, with a requester and a subject.
pub(crate) fn seed_email() -> String {
    let body = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../lantern-core/tests-data/requests/seed-000.txt"),
    )
    .expect("seed e-mail");
    format!("From: {REQUESTER} <z@example.org>\nSubject: Crack cocaine treatment\n\n{body}")
}

/// Leicester with its users (one per role, an officer who also approves,
/// a second approver, a user to act on) and a case drafted by `tester`.
pub(crate) fn leicester_with_users() -> (TestApp, String) {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(crate::example("lantern.toml")).expect("config");
    app.write("lantern.toml", &config);
    for (name, roles) in [
        ("officer", &["foi_officer"][..]),
        ("approver", &["approver"]),
        ("approver2", &["approver"]),
        ("both", &["foi_officer", "approver"]),
        ("analyst", &["analyst"]),
        ("provider", &["provider:P1"]),
        ("admin", &["admin"]),
        ("target", &["analyst"]),
    ] {
        add_user(&app, None, name, roles);
    }
    let email = app.write("seed.eml", &seed_email());
    let out = app
        .run(&[
            "request",
            "new",
            email.to_str().expect("path"),
            "--received",
            "2019-06-10",
            "--json",
        ])
        .ok();
    let opened: serde_json::Value = serde_json::from_str(&out).expect("json");
    let reference = opened["reference"].as_str().expect("reference").to_string();
    app.run(&["request", "draft", &reference, "--as-of", "2019-07-05"])
        .ok();
    (app, reference)
}

pub(crate) fn status_of(app: &TestApp, reference: &str) -> String {
    let shown: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "show", reference, "--json"]).ok())
            .expect("json");
    shown["status"].as_str().expect("status").to_string()
}

pub(crate) fn actor(username: &str, council: &str, roles: &[Role]) -> Actor {
    Actor {
        username: username.into(),
        display_name: "Test User".into(),
        council: council.into(),
        grants: roles
            .iter()
            .map(|r| Grant {
                role: *r,
                provider: (*r == Role::Provider).then(|| "P1".to_string()),
            })
            .collect(),
    }
}

#[test]
fn every_route_allows_exactly_whom_the_policy_allows_for_every_role_and_another_council() {
    let (app, reference) = leicester_with_users();
    // The provider manages their provider's API tokens (the policy's
    // Provider routes are then theirs; refusals without the permission
    // are `providers`' tests).
    app.run(&["token", "allow", "provider"]).ok();
    // Another council in the same database, with a user holding every role there.
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
        &app,
        Some("OTHER"),
        "stranger",
        &["foi_officer", "approver", "analyst", "admin"],
    );
    let server = Server::start(&app, LEI);
    let theirs = Server::start(&app, "OTHER");
    // The stranger cannot sign in here, and their own council's session
    // opens nothing here.
    let (refused, none) = server.sign_in("stranger", PASSWORD);
    assert_eq!(refused.status, 401);
    assert!(none.is_none());
    let stranger_session = theirs.session("stranger");

    let people: Vec<(&str, Option<Actor>)> = vec![
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
    let routes = lantern_web::routes();
    assert!(routes.len() >= 25, "the route table: {routes:?}");
    let mut checked = 0;
    for route in &routes {
        let path = route
            .path
            .replace("{reference}", &reference)
            .replace("{username}", "target")
            .replace("{letter}", "response.docx")
            .replace("{indicator}", "people_in_treatment")
            .replace("{template}", "letter.md.j2")
            .replace("{id}", "999");
        for (who, person) in &people {
            let session = match *who {
                "nobody" => None,
                "stranger" => Some(stranger_session.clone()),
                name => Some(server.session(name)),
            };
            let api = route.path.starts_with("/api/");
            let reply = if route.method == "GET" {
                server.get(&path, session.as_ref())
            } else if api {
                // A JSON body that changes nothing when allowed (a status
                // nobody saw, or fields the route does not take), with the
                // session's CSRF header.
                crate::api::post(&server, &path, session.as_ref(), r#"{"seen":"stale"}"#)
            } else {
                let csrf = session.as_ref().map(|s| s.csrf.clone()).unwrap_or_default();
                server.post(
                    &path,
                    session.as_ref(),
                    &format!("csrf={csrf}&seen=drafted&channel=email"),
                )
            };
            let resource = Resource {
                council: LEI.into(),
                drafted_by: vec!["tester".into()],
                self_approval: false,
            };
            let allowed = policy::may(person.as_ref(), route.action, &resource).allowed();
            let to_sign_in = reply.status == 303 && reply.location() == Some("/sign-in");
            // The API answers 401 (JSON) where a page sends to sign-in.
            let denied = reply.status == 403 || reply.status == 401 || to_sign_in;
            assert_eq!(
                !denied,
                allowed,
                "{} {path} by {who}: {} {}\n{}",
                route.method,
                reply.status,
                reply.location().unwrap_or_default(),
                reply.body
            );
            if denied && api {
                crate::api::assert_error_body(&reply, &format!("{} {path} by {who}", route.method));
            }
            if denied {
                // Nothing of the case reaches whoever is refused.
                assert!(!reply.body.contains(REQUESTER), "{path} by {who}");
                assert!(!reply.body.contains("crack cocaine"), "{path} by {who}");
                assert!(!reply.body.contains(&reference), "{path} by {who}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, routes.len() * people.len());

    // API tokens: one of P1's live, one revoked. A token counts on the
    // API only: a page or form takes none, so there the caller is nobody.
    app.write("agencies.csv", "code,name,area\nP1,First Step,E06000016\n");
    app.run(&["--council", LEI, "import", "agencies", "agencies.csv"])
        .ok();
    let make = |name: &str| -> (String, String) {
        let out = app
            .run(&[
                "--council",
                LEI,
                "token",
                "create",
                "--provider",
                "P1",
                "--name",
                name,
                "--json",
            ])
            .ok();
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        (
            v["id"].as_i64().expect("id").to_string(),
            v["secret"].as_str().expect("secret").to_string(),
        )
    };
    let (_, live) = make("live");
    let (revoked_id, revoked) = make("revoked");
    app.run(&["--council", LEI, "token", "revoke", &revoked_id])
        .ok();
    let token_actor = Actor {
        username: "token:1".into(),
        display_name: "live".into(),
        council: LEI.into(),
        grants: vec![Grant {
            role: Role::Provider,
            provider: Some("P1".into()),
        }],
    };
    for route in &routes {
        let path = route
            .path
            .replace("{reference}", &reference)
            .replace("{username}", "target")
            .replace("{letter}", "response.docx")
            .replace("{indicator}", "people_in_treatment")
            .replace("{id}", "999");
        for (who, secret) in [("live token", &live), ("revoked token", &revoked)] {
            let body = (route.method == "POST").then_some(&b"csrf=x"[..]);
            let reply = crate::providers::api_with(
                &server,
                route.method,
                &path,
                secret,
                body,
                "application/x-www-form-urlencoded",
            );
            let actor = (who == "live token" && path.starts_with("/api/")).then_some(&token_actor);
            let resource = Resource::council(LEI);
            let allowed = policy::may(actor, route.action, &resource).allowed();
            let to_sign_in = reply.status == 303 && reply.location() == Some("/sign-in");
            let denied = reply.status == 403 || reply.status == 401 || to_sign_in;
            assert_eq!(
                !denied, allowed,
                "{} {path} with a {who}: {} {}",
                route.method, reply.status, reply.body
            );
        }
    }
}

#[test]
fn forms_without_their_secret_or_made_stale_change_nothing_and_text_is_escaped() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let draft = format!("/cases/{reference}/draft");

    // No secret, a wrong one, another session's: refused, nothing changed.
    let other = server.session("both");
    let drafts = |app: &TestApp| {
        let shown: serde_json::Value =
            serde_json::from_str(&app.run(&["request", "show", &reference, "--json"]).ok())
                .expect("json");
        shown["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["action"] == "draft")
            .count()
    };
    let before = drafts(&app);
    for form in [
        "seen=drafted".to_string(),
        "csrf=0000&seen=drafted".to_string(),
        format!("csrf={}&seen=drafted", other.csrf),
    ] {
        let reply = server.post(&draft, Some(&officer), &form);
        assert_eq!(reply.status, 400, "{form}: {}", reply.body);
        assert!(reply.body.contains("security token"), "{}", reply.body);
    }
    assert_eq!(drafts(&app), before);
    assert_eq!(status_of(&app, &reference), "drafted");
    // With its secret, the same form works.
    let redrafted = server.post(
        &draft,
        Some(&officer),
        &format!("csrf={}&seen=drafted", officer.csrf),
    );
    assert_eq!(redrafted.status, 303, "{}", redrafted.body);
    assert_eq!(drafts(&app), before + 1);

    // Stale: two approvers load the same drafted case; the first approves,
    // the second's form is refused and the history has one approval.
    let (a, b) = (server.session("approver"), server.session("approver2"));
    let approve = format!("/cases/{reference}/approve");
    let first = server.post(&approve, Some(&a), &format!("csrf={}&seen=drafted", a.csrf));
    assert_eq!(first.status, 303, "{}", first.body);
    let second = server.post(&approve, Some(&b), &format!("csrf={}&seen=drafted", b.csrf));
    assert_eq!(second.status, 409, "{}", second.body);
    assert!(second.body.contains("moved on"), "{}", second.body);
    assert_eq!(status_of(&app, &reference), "approved");
    let shown: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "show", &reference, "--json"]).ok())
            .expect("json");
    let approvals = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["action"] == "approve")
        .count();
    assert_eq!(approvals, 1, "{shown}");

    // HTML and SQL in every text field of a new request, a new user and
    // the sign-in form: shown escaped, nothing else changed.
    let hostile = "<script>alert(1)</script>'; DROP TABLE cases; --";
    let email = format!(
        "From: {hostile} <x@example.org>\nSubject: {hostile}\n\n1) How many people were in treatment for crack cocaine in 2017/18? {hostile}\n"
    );
    let taken = server.post(
        "/cases",
        Some(&officer),
        &format!("csrf={}&email={}", officer.csrf, encode(&email)),
    );
    assert!(
        matches!(taken.status, 303 | 400),
        "{} {}",
        taken.status,
        taken.body
    );
    assert!(!taken.body.contains("<script>alert"), "{}", taken.body);
    if let Some(to) = taken.location() {
        let page = server.get(to, Some(&officer));
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("&lt;script&gt;alert(1)"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("<script>"), "{}", page.body);
    }
    let inbox = server.get("/inbox", Some(&officer));
    assert!(!inbox.body.contains("<script>"), "{}", inbox.body);
    assert!(
        inbox.body.contains(&reference),
        "the cases are all still there"
    );

    let admin = server.session("admin");
    let made = server.post(
        "/admin/users",
        Some(&admin),
        &format!(
            "csrf={}&username={}&name={}&password={}&analyst=yes",
            admin.csrf,
            encode(hostile),
            encode(hostile),
            encode(PASSWORD)
        ),
    );
    assert_eq!(made.status, 400, "a user name must be plain: {}", made.body);
    assert!(!made.body.contains("<script>"), "{}", made.body);
    assert!(
        made.body.contains("&lt;script&gt;"),
        "the form keeps what was typed, escaped"
    );
    let made = server.post(
        "/admin/users",
        Some(&admin),
        &format!(
            "csrf={}&username=odd.name&name={}&password={}&analyst=yes",
            admin.csrf,
            encode(hostile),
            encode(PASSWORD)
        ),
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let users = server.get("/admin/users", Some(&admin));
    assert!(!users.body.contains("<script>"), "{}", users.body);
    assert!(users.body.contains("odd.name"));
    assert!(users.body.contains("officer"), "every user is still there");
    let (bad, _) = server.sign_in(hostile, hostile);
    assert_eq!(bad.status, 401);
    assert!(!bad.body.contains("<script>"), "{}", bad.body);

    // A body larger than a form may be is refused before it is read.
    let huge = "a".repeat(lantern_web::FORM_BODY_LIMIT + 1);
    let reply = server.post(
        "/cases",
        Some(&officer),
        &format!("csrf={}&email={huge}", officer.csrf),
    );
    assert_eq!(reply.status, 413);
}

#[test]
fn whoever_drafted_cannot_approve_and_an_approver_then_the_officer_sends() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let both = server.session("both");
    let case = format!("/cases/{reference}");
    // `both` re-drafts, so they are an author now.
    let drafted = server.post(
        &format!("{case}/draft"),
        Some(&both),
        &format!("csrf={}&seen=drafted", both.csrf),
    );
    assert_eq!(drafted.status, 303, "{}", drafted.body);
    let page = server.get(&case, Some(&both));
    assert!(page.body.contains("two-person sign-off"), "{}", page.body);
    assert!(!page.body.contains("Approve the answer"));
    let refused = server.post(
        &format!("{case}/approve"),
        Some(&both),
        &format!("csrf={}&seen=drafted", both.csrf),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("two-person"), "{}", refused.body);
    assert_eq!(status_of(&app, &reference), "drafted");

    let approver = server.session("approver");
    let page = server.get(&case, Some(&approver));
    assert!(page.body.contains("Approve the answer"), "{}", page.body);
    let approved = server.post(
        &format!("{case}/approve"),
        Some(&approver),
        &format!("csrf={}&seen=drafted", approver.csrf),
    );
    assert_eq!(approved.status, 303, "{}", approved.body);

    let officer = server.session("officer");
    let sent = server.post(
        &format!("{case}/sent"),
        Some(&officer),
        &format!("csrf={}&seen=approved&channel=post", officer.csrf),
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(status_of(&app, &reference), "sent");
    let log = server.get("/log", None);
    assert!(log.body.contains(&reference), "{}", log.body);
    let history = app.run(&["request", "show", &reference]).ok();
    assert!(history.contains("sent by post"), "{history}");
    for who in ["both", "approver", "officer"] {
        assert!(history.contains(who), "{who} in\n{history}");
    }
}

#[test]
fn sign_in_is_throttled_across_processes_and_cookies_carry_their_flags() {
    let (app, _) = leicester_with_users();
    let (a, b) = (Server::start(&app, LEI), Server::start(&app, LEI));

    // The session cookie: HttpOnly, Secure, SameSite=Lax, with an expiry.
    let (reply, session) = a.sign_in("officer", PASSWORD);
    assert_eq!(reply.status, 303);
    assert_eq!(reply.location(), Some("/staff"));
    let cookie = reply
        .set_cookie("lantern_session")
        .expect("a session cookie");
    for flag in ["httponly", "secure", "samesite=lax", "max-age=", "path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    let session = session.expect("signed in");
    // The session works on the other process too, and sign-out ends it there.
    assert_eq!(b.get("/inbox", Some(&session)).status, 200);
    let out = a.post(
        "/sign-out",
        Some(&session),
        &format!("csrf={}", session.csrf),
    );
    assert_eq!(out.status, 303);
    assert!(
        out.set_cookie("lantern_session")
            .expect("cleared")
            .contains("max-age=0")
    );
    let after = b.get("/inbox", Some(&session));
    assert_eq!((after.status, after.location()), (303, Some("/sign-in")));

    // Five wrong passwords, on either process; then even the right one is
    // refused for a while, on both.
    for n in 0..5 {
        let server = if n % 2 == 0 { &a } else { &b };
        let (wrong, none) = server.sign_in("approver", "not the password at all");
        assert_eq!(wrong.status, 401, "{}", wrong.body);
        assert!(none.is_none());
        assert!(wrong.body.contains("not right"), "{}", wrong.body);
    }
    for server in [&a, &b] {
        let (throttled, none) = server.sign_in("approver", PASSWORD);
        assert_eq!(throttled.status, 429, "{}", throttled.body);
        assert!(none.is_none());
        assert!(
            throttled.body.contains("Try again after"),
            "{}",
            throttled.body
        );
    }
    // Another name is not held up.
    assert!(a.sign_in("approver2", PASSWORD).1.is_some());

    // Disabling a user ends their sessions; a reset password ends them too.
    let admin = a.session("admin");
    let target = b.session("analyst");
    assert_eq!(b.get("/staff", Some(&target)).status, 200);
    let off = a.post(
        "/admin/users/analyst/disable",
        Some(&admin),
        &format!("csrf={}", admin.csrf),
    );
    assert_eq!(off.status, 303, "{}", off.body);
    assert_eq!(b.get("/staff", Some(&target)).status, 303);
    assert_eq!(a.sign_in("analyst", PASSWORD).0.status, 401);
    let events = app.run(&["user", "list"]).ok();
    assert!(
        events.contains("analyst") && events.contains("disabled"),
        "{events}"
    );
}

#[test]
fn lantern_user_adds_lists_disables_and_resets_with_passwords_from_standard_input() {
    let app = TestApp::leicester();
    add_user(&app, None, "ana", &["foi_officer", "approver"]);
    let listed = app.run(&["user", "list"]).ok();
    assert!(
        listed.contains("ana\tTest User\tapprover, foi_officer"),
        "{listed}"
    );
    // A short password, an unknown role, a taken name: refused, said why.
    let short = app
        .command(&["user", "add", "bo", "--name", "Bo", "--role", "admin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().expect("stdin").write_all(b"short\n")?;
            child.wait_with_output()
        })
        .expect("run");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let unknown = app.run(&["user", "add", "bo", "--name", "Bo", "--role", "boss"]);
    assert!(unknown.fails().contains("role 'boss'"));
    let server = Server::start(&app, LEI);
    assert!(server.sign_in("ana", PASSWORD).1.is_some());
    app.run(&["user", "disable", "ana"]).ok();
    assert!(app.run(&["user", "list"]).ok().contains("disabled"));
    assert!(server.sign_in("ana", PASSWORD).1.is_none());
    app.run(&["user", "enable", "ana"]).ok();
    let reset = app
        .command(&["user", "reset-password", "ana"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"another long enough password\n")?;
            child.wait_with_output()
        })
        .expect("run");
    assert!(reset.status.success());
    assert!(server.sign_in("ana", PASSWORD).1.is_none());
    assert!(
        server
            .sign_in("ana", "another long enough password")
            .1
            .is_some()
    );
    assert!(
        app.run(&["user", "disable", "nobody"])
            .fails()
            .contains("no user nobody")
    );
}

/// `lantern demo --serve` started on `app`'s database: the server and the
/// accounts it printed (name, password).
fn demo_serve(app: &TestApp) -> (Server, Vec<(String, String)>) {
    let mut child = app
        .command(&["demo", "--serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lantern demo --serve");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    let mut line = String::new();
    while out.read_line(&mut line).expect("read") > 0 {
        lines.push(line.trim_end().to_string());
        line.clear();
        if lines.len() >= 10 {
            break;
        }
    }
    let port: u16 = lines
        .iter()
        .find_map(|l| l.split("http://127.0.0.1:").nth(1))
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {lines:?}"));
    let accounts: Vec<(String, String)> = lines
        .iter()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            (words.len() == 4 && words[2] == "password")
                .then(|| (words[0].to_string(), words[3].to_string()))
        })
        .collect();
    let names: Vec<&str> = accounts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["officer", "approver", "analyst", "provider", "admin"],
        "{lines:?}"
    );
    (Server { child, port }, accounts)
}

/// The case references (`FOI-YYYY-NNNN`) a page names, each once.
fn references(page: &str) -> std::collections::BTreeSet<String> {
    page.match_indices("FOI-")
        .filter_map(|(i, _)| page.get(i..i + 13))
        .filter(|r| {
            r[4..8].bytes().all(|b| b.is_ascii_digit())
                && r[9..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn lantern_demo_serve_prints_one_account_per_role_that_signs_in() {
    let app = TestApp::empty();
    let (server, accounts) = demo_serve(&app);
    for (name, password) in &accounts {
        let (reply, session) = server.sign_in(name, password);
        assert!(session.is_some(), "{name}: {} {}", reply.status, reply.body);
    }
    let officer = server
        .sign_in("officer", &accounts[0].1)
        .1
        .expect("officer");
    let inbox = server.get("/inbox", Some(&officer));
    assert_eq!(inbox.status, 200);
    assert!(inbox.body.contains("FOI-2019-0001"), "{}", inbox.body);
    let first_cases = references(&inbox.body);
    assert_eq!(first_cases.len(), 2, "{first_cases:?}");
    drop(server);

    // Run again on the same database (the README's command, twice): the
    // accounts are there, each with a fresh password that works, the old
    // ones no longer do, and the seed e-mails open no second case.
    let (again, fresh) = demo_serve(&app);
    for ((name, old), (_, new)) in accounts.iter().zip(&fresh) {
        assert_ne!(old, new);
        assert!(again.sign_in(name, new).1.is_some(), "{name}: new password");
        assert!(again.sign_in(name, old).1.is_none(), "{name}: old password");
    }
    let officer = again.sign_in("officer", &fresh[0].1).1.expect("officer");
    let inbox = again.get("/inbox", Some(&officer));
    assert_eq!(references(&inbox.body), first_cases, "{}", inbox.body);

    // Plain `lantern demo` still writes its letters and exits.
    let plain = TestApp::empty();
    plain.run(&["demo"]).ok();
    assert!(plain.path("letters/seed-000.md").exists());
}

#[test]
fn an_officer_records_clock_actions_and_the_inbox_tags_follow() {
    let (app, reference) = leicester_with_users();
    // Back to work on the drafted case, then clarification sought.
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let clock = format!("/cases/{reference}/clock");
    let started = server.post(
        &clock,
        Some(&officer),
        &format!("csrf={}&seen=drafted&action=start", officer.csrf),
    );
    assert_eq!(started.status, 303, "{}", started.body);
    let sought = server.post(
        &clock,
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&action=seek_clarification&on=2019-06-12&note={}",
            officer.csrf,
            encode("which years?")
        ),
    );
    assert_eq!(sought.status, 303, "{}", sought.body);
    let held = server.get("/inbox?status=on-hold-clarification", Some(&officer));
    assert!(held.body.contains(&reference), "{}", held.body);
    assert!(held.body.contains("On hold: clarification"));
    let due_soon = server.get("/inbox?status=due-soon", Some(&officer));
    assert!(
        !due_soon.body.contains(&reference),
        "on hold is not due soon"
    );
    // A bad date and an unknown action are refused, nothing recorded.
    for form in [
        "action=clarified&on=yesterday",
        "action=explode",
        "action=extend",
    ] {
        let bad = server.post(
            &clock,
            Some(&officer),
            &format!("csrf={}&seen=clarification_sought&{form}", officer.csrf),
        );
        assert_eq!(bad.status, 400, "{form}: {}", bad.body);
    }
    assert_eq!(status_of(&app, &reference), "clarification_sought");
    // The clarification arrives: the clock restarts from that day.
    let clarified = server.post(
        &clock,
        Some(&officer),
        &format!(
            "csrf={}&seen=clarification_sought&action=clarified&on=2019-06-14",
            officer.csrf
        ),
    );
    assert_eq!(clarified.status, 303, "{}", clarified.body);
    let page = server.get(&format!("/cases/{reference}"), Some(&officer));
    assert!(
        page.body.contains("2019-06-14"),
        "counted from the clarification"
    );
    assert!(
        page.body.contains("which years?"),
        "the note in the history"
    );
    // An approver may not record clock actions.
    let before = status_of(&app, &reference);
    let approver = server.session("approver");
    let refused = server.post(
        &clock,
        Some(&approver),
        &format!("csrf={}&seen={before}&action=withdraw", approver.csrf),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(status_of(&app, &reference), before);
    // Sorting and a bad filter.
    assert_eq!(
        server.get("/inbox?sort=reference", Some(&officer)).status,
        200
    );
    assert_eq!(
        server.get("/inbox?status=nonsense", Some(&officer)).status,
        400
    );
}

/// The council's settings as `lantern council show --json` prints them.
fn council_json(app: &TestApp) -> serde_json::Value {
    serde_json::from_str(&app.run(&["council", "show", "--json"]).ok()).expect("json")
}

#[test]
fn an_administrator_changes_the_councils_settings_bad_input_is_tied_to_its_field() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let admin = server.session("admin");
    let page = server.get("/admin/council", Some(&admin));
    assert_eq!(page.status, 200, "{}", page.body);
    for field in [
        "name",
        "areas",
        "threshold",
        "reference",
        "retain_years",
        "time_zone",
        "signature",
    ] {
        assert!(page.body.contains(&format!("id=\"{field}\"")), "{field}");
    }
    assert!(
        page.body.contains("Leicester City Council"),
        "{}",
        page.body
    );
    // Officers cannot see or change them.
    let officer = server.session("officer");
    assert_eq!(server.get("/admin/council", Some(&officer)).status, 403);
    let before = council_json(&app);

    // A threshold that is not a number: the error summary links the field,
    // the field says what is wrong, the text typed is kept, nothing changes.
    let bad = server.post(
        "/admin/council",
        Some(&admin),
        &format!(
            "csrf={}&name=Leicester+City+Council&threshold=five&reference=%3Cb%3E",
            admin.csrf
        ),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("href=\"#threshold\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"threshold-error\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"five\""), "{}", bad.body);
    assert!(!bad.body.contains("<b>") && bad.body.contains("&lt;b&gt;"));
    // A time zone the core refuses: tied to its field too.
    let zone = server.post(
        "/admin/council",
        Some(&admin),
        &format!("csrf={}&time_zone=Mars%2FOlympus", admin.csrf),
    );
    assert_eq!(zone.status, 400, "{}", zone.body);
    assert!(zone.body.contains("href=\"#time_zone\""), "{}", zone.body);
    // Without the form's secret: refused, nothing changes.
    let stale = server.post("/admin/council", Some(&admin), "threshold=7");
    assert_eq!(stale.status, 400);
    assert_eq!(council_json(&app), before);

    // A good change: a new version, saved by the administrator.
    let good = server.post(
        "/admin/council",
        Some(&admin),
        &format!(
            "csrf={}&threshold=7&signature=Ada+Lovelace%0D%0AInformation+Governance&email=foi%40leicester.example",
            admin.csrf
        ),
    );
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(good.location(), Some("/admin/council?saved=1"));
    let history: serde_json::Value =
        serde_json::from_str(&app.run(&["council", "show", "--history", "--json"]).ok())
            .expect("json");
    let versions = history.as_array().expect("versions");
    let now = versions.last().expect("a version");
    assert_eq!(now["set_by"], "admin", "{now:#}");
    assert_eq!(
        versions[versions.len() - 2]["data_version"],
        before["data_version"]
    );
    assert_eq!(now["threshold"], 7);
    let text = now.to_string();
    assert!(
        text.contains("Ada Lovelace") && text.contains("Information Governance"),
        "{text}"
    );
    assert!(text.contains("foi@leicester.example"), "{text}");
    let shown = server.get("/admin/council?saved=1", Some(&admin));
    assert!(shown.body.contains("Saved"), "{}", shown.body);
    assert!(shown.body.contains("value=\"7\""), "{}", shown.body);
}

#[test]
fn the_audit_log_is_searched_by_who_what_record_and_dates_and_shows_no_requester() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let admin = server.session("admin");
    let all = server.get("/admin/audit", Some(&admin));
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.body.contains("user.add"), "{}", all.body);
    assert!(all.body.contains(&reference), "{}", all.body);
    assert!(
        !all.body.contains(REQUESTER),
        "no requester on the audit page"
    );
    // By what and who: the draft, by tester.
    let drafts = server.get("/admin/audit?what=draft&who=tester", Some(&admin));
    assert_eq!(drafts.status, 200);
    assert!(drafts.body.contains(&reference), "{}", drafts.body);
    assert!(!drafts.body.contains("user.add"), "{}", drafts.body);
    // By record: the case's history only.
    let case = server.get(
        &format!("/admin/audit?record={}", encode(&reference)),
        Some(&admin),
    );
    assert!(
        case.body.contains("open") && case.body.contains("draft"),
        "{}",
        case.body
    );
    assert!(!case.body.contains("user.add"), "{}", case.body);
    // A date range that holds nothing (the events are recorded today, by
    // the system clock).
    let old = server.get("/admin/audit?from=2001-01-01&to=2001-12-31", Some(&admin));
    assert!(
        old.body.contains("Nothing in the audit log matches"),
        "{}",
        old.body
    );
    // A bad date: the error summary links the field.
    let bad = server.get("/admin/audit?from=yesterday", Some(&admin));
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("href=\"#from\"") && bad.body.contains("YYYY-MM-DD"),
        "{}",
        bad.body
    );
    let backwards = server.get("/admin/audit?from=2020-01-02&to=2020-01-01", Some(&admin));
    assert_eq!(backwards.status, 400);
    assert!(
        backwards.body.contains("href=\"#to\""),
        "{}",
        backwards.body
    );
    // Paged: a page past the end links back to the one before.
    let far = server.get("/admin/audit?what=user.&page=3", Some(&admin));
    assert!(
        far.body.contains("Nothing in the audit log matches"),
        "{}",
        far.body
    );
    assert!(
        far.body.contains("page=2") && far.body.contains("what=user."),
        "{}",
        far.body
    );
    // Another council's settings changes (and who made them) are not shown.
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
    let councils = server.get("/admin/audit?what=council.", Some(&admin));
    assert!(councils.body.contains(LEI), "{}", councils.body);
    assert!(!councils.body.contains("OTHER"), "{}", councils.body);
    // Officers and other councils' people cannot see it.
    assert_eq!(
        server
            .get("/admin/audit", Some(&server.session("officer")))
            .status,
        403
    );
}

#[test]
fn the_request_log_names_routes_and_statuses_never_references_or_searches() {
    let (app, reference) = leicester_with_users();
    let log = app.path("serve.log");
    let mut child = app
        .command(&[
            "--council",
            LEI,
            "--as-of",
            "2019-07-05",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start lantern serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("address");
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("port");
    let server = Server { child, port };
    let officer = server.session("officer");
    assert_eq!(
        server
            .get(&format!("/cases/{reference}"), Some(&officer))
            .status,
        200
    );
    assert_eq!(
        server.get("/log?search=Zebedee+Requester", None).status,
        200
    );
    assert_eq!(server.get("/no/such/Zebedee", None).status, 404);
    assert_eq!(server.get("/healthz", None).status, 200);
    // Stopped gracefully (SIGTERM), the log is complete.
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let mut server = server;
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("request")).collect();
    let find = |route: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("route={route} ")))
            .unwrap_or_else(|| panic!("no line for {route} in\n{text}"))
    };
    let case = find("/cases/{reference}");
    assert!(
        case.contains("method=GET") && case.contains("status=200"),
        "{case}"
    );
    assert!(case.contains("duration_ms="), "{case}");
    let search = find("/log");
    assert!(search.contains("query=search"), "{search}");
    let missing = find("(none)");
    assert!(missing.contains("status=404"), "{missing}");
    find("/healthz");
    // Nothing personal or identifying: no reference, no search text, no
    // path the router does not know, no cookie, no user name.
    for secret in [
        reference.as_str(),
        "Zebedee",
        "lantern_session",
        &officer.csrf,
        "officer",
    ] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}

#[test]
fn an_administrator_sees_the_bank_holidays_the_clock_uses_and_adds_one_it_then_skips() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let admin = server.session("admin");
    // The server's day is 2019-07-05: 2019 and 2020 are listed.
    let page = server.get("/admin/bank-holidays", Some(&admin));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2019-08-26") && page.body.contains("Summer bank holiday"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2020-12-25"), "{}", page.body);
    assert!(!page.body.contains("2022-06-20"), "{}", page.body);
    assert_eq!(
        server
            .get("/admin/bank-holidays", Some(&server.session("officer")))
            .status,
        403
    );
    // Bad input is tied to its field and adds nothing.
    let bad = server.post(
        "/admin/bank-holidays",
        Some(&admin),
        &format!(
            "csrf={}&date=20+June&title=Proclaimed&division=all",
            admin.csrf
        ),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("href=\"#date\""), "{}", bad.body);
    let untitled = server.post(
        "/admin/bank-holidays",
        Some(&admin),
        &format!("csrf={}&date=2022-06-20&title=&division=all", admin.csrf),
    );
    assert_eq!(untitled.status, 400, "{}", untitled.body);
    assert!(
        untitled.body.contains("href=\"#title\""),
        "{}",
        untitled.body
    );
    // A proclaimed day, added: audited, and the clock skips it. Seed 002,
    // received Tuesday 14 June 2022, is due on 13 July on the shipped
    // calendar (`lantern request new` after `lantern demo` says so).
    let added = server.post(
        "/admin/bank-holidays",
        Some(&admin),
        &format!(
            "csrf={}&date=2022-06-20&title=Proclaimed+%3Cb%3Eday%3C%2Fb%3E&division=all",
            admin.csrf
        ),
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let trail = server.get("/admin/audit?what=calendar.add&who=admin", Some(&admin));
    assert!(trail.body.contains("calendar.add"), "{}", trail.body);
    let request = crate::example("requests/seed-002.toml");
    let opened: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "new", request.to_str().expect("path"), "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(opened["due"], "2022-07-14", "{opened:#}");
    assert!(
        opened["calendar"]
            .as_str()
            .is_some_and(|c| c.contains("2022-06-20"))
    );
}

#[test]
fn an_administrator_removes_a_bank_holiday_after_confirming_and_later_counts_work_it() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let admin = server.session("admin");
    let remove = |body: String| server.post("/admin/bank-holidays/remove", Some(&admin), &body);
    // The table offers each day's removal.
    let page = server.get("/admin/bank-holidays", Some(&admin));
    assert!(
        page.body.contains("action=\"/admin/bank-holidays/remove\"")
            && page.body.contains("name=\"date\" value=\"2019-08-26\""),
        "{}",
        page.body
    );
    // 12 July 2022 (Battle of the Boyne, Northern Ireland) is skipped by
    // every UK deadline. From a row's button: a page that asks first and
    // changes nothing.
    let asked = remove(format!("csrf={}&date=2022-07-12", admin.csrf));
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("Remove 2022-07-12")
            && asked.body.contains("Battle of the Boyne")
            && asked.body.contains("name=\"confirm\" value=\"yes\""),
        "{}",
        asked.body
    );
    // Without the form's secret, or for a day that is not a bank holiday,
    // or with a date that is not one: refused, nothing changes.
    let forged = remove("csrf=wrong&date=2022-07-12&confirm=yes".into());
    assert!(
        forged.status == 403 || forged.status == 400,
        "{}",
        forged.status
    );
    let not_listed = remove(format!("csrf={}&date=2022-07-13&confirm=yes", admin.csrf));
    assert_eq!(not_listed.status, 400, "{}", not_listed.body);
    assert!(
        not_listed.body.contains("not a bank holiday"),
        "{}",
        not_listed.body
    );
    let not_a_date = remove(format!(
        "csrf={}&date=%3Cb%3E12+July&confirm=yes",
        admin.csrf
    ));
    assert_eq!(not_a_date.status, 400, "{}", not_a_date.body);
    assert!(
        !not_a_date.body.contains("<b>12"),
        "escaped: {}",
        not_a_date.body
    );
    let trail = server.get("/admin/audit?what=calendar.add", Some(&admin));
    assert!(!trail.body.contains("2022-07-12"), "{}", trail.body);
    // An officer cannot remove one.
    let officer = server.session("officer");
    let refused = server.post(
        "/admin/bank-holidays/remove",
        Some(&officer),
        &format!("csrf={}&date=2022-07-12&confirm=yes", officer.csrf),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);

    // Confirmed: removed, audited with who, and the page says so.
    let removed = remove(format!("csrf={}&date=2022-07-12&confirm=yes", admin.csrf));
    assert_eq!(removed.status, 303, "{}", removed.body);
    let banner = server.get("/admin/bank-holidays?removed=1", Some(&admin));
    assert!(
        banner.body.contains("The day was removed"),
        "{}",
        banner.body
    );
    let trail = server.get("/admin/audit?what=calendar.add&who=admin", Some(&admin));
    assert!(
        trail
            .body
            .contains("bank holiday 2022-07-12 removed by an administrator"),
        "{}",
        trail.body
    );
    // Seed 002, received Tuesday 14 June 2022, is due on 13 July on the
    // shipped calendar; counted now, 12 July is a working day.
    let request = crate::example("requests/seed-002.toml");
    let opened: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "new", request.to_str().expect("path"), "--json"])
            .ok(),
    )
    .expect("json");
    assert_eq!(opened["due"], "2022-07-12", "{opened:#}");
    assert!(
        opened["calendar"]
            .as_str()
            .is_some_and(|c| c.contains("removed (2022-07-12)")),
        "{opened:#}"
    );
    // Removed once, it is no longer there to remove.
    let again = remove(format!("csrf={}&date=2022-07-12&confirm=yes", admin.csrf));
    assert_eq!(again.status, 400, "{}", again.body);
    // Added back (the same day and title as the shipped calendar's): a
    // version of its own, merged last, so the day is a bank holiday again
    // and can be removed again (a day that is not one is refused, above).
    let added = server.post(
        "/admin/bank-holidays",
        Some(&admin),
        &format!(
            "csrf={}&date=2022-07-12&title=Battle+of+the+Boyne+%28Orangemen%E2%80%99s+Day%29&division=northern-ireland",
            admin.csrf
        ),
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let removed_again = remove(format!("csrf={}&date=2022-07-12&confirm=yes", admin.csrf));
    assert_eq!(removed_again.status, 303, "{}", removed_again.body);
    let gone = remove(format!("csrf={}&date=2022-07-12&confirm=yes", admin.csrf));
    assert_eq!(gone.status, 400, "{}", gone.body);
}

#[test]
fn the_inbox_lists_open_requests_by_subject_and_leaves_out_withdrawn_ones() {
    let (app, drafted) = leicester_with_users();
    let mut taken = Vec::new();
    // Received on different days: the same e-mail on the same day would be
    // the same request.
    for (subject, received) in [
        ("Second request about crack", "2019-06-11"),
        ("Request to be withdrawn", "2019-06-12"),
    ] {
        let email = seed_email().replace("Crack cocaine treatment", subject);
        let path = app.write(&format!("{}.eml", taken.len()), &email);
        let out = app
            .run(&[
                "request",
                "new",
                path.to_str().expect("path"),
                "--received",
                received,
                "--json",
            ])
            .ok();
        let opened: serde_json::Value = serde_json::from_str(&out).expect("json");
        taken.push(opened["reference"].as_str().expect("reference").to_string());
    }
    let (second, gone) = (&taken[0], &taken[1]);
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let withdrawn = server.post(
        &format!("/cases/{gone}/clock"),
        Some(&officer),
        &format!(
            "csrf={}&seen=received&action=withdraw&note={}",
            officer.csrf,
            encode("the requester withdrew it")
        ),
    );
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    assert_eq!(status_of(&app, gone), "withdrawn");
    assert_eq!(status_of(&app, second), "received");
    let inbox = server.get("/inbox?sort=reference", Some(&officer));
    assert_eq!(inbox.status, 200);
    assert_eq!(
        references(&inbox.body),
        [drafted.clone(), second.clone()].into_iter().collect(),
        "{}",
        inbox.body
    );
    assert!(
        inbox.body.contains("Crack cocaine treatment"),
        "{}",
        inbox.body
    );
    assert!(
        inbox.body.contains("Second request about crack"),
        "{}",
        inbox.body
    );
    assert!(
        !inbox.body.contains("Request to be withdrawn"),
        "{}",
        inbox.body
    );
    let awaiting = server.get("/inbox?status=awaiting-approval", Some(&officer));
    assert_eq!(
        references(&awaiting.body),
        [drafted.clone()].into_iter().collect(),
        "{}",
        awaiting.body
    );
}

#[test]
fn a_case_letters_download_with_their_type_and_file_name_and_the_published_copy_once_sent() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let base = format!("/cases/{reference}/letters");
    // The workspace links to every letter in every format.
    let page = server.get(&format!("/cases/{reference}"), Some(&officer));
    for link in [
        "response.docx",
        "response.html",
        "response.md",
        "acknowledgement.docx",
        "review-outcome.md",
    ] {
        assert!(
            page.body.contains(&format!("{base}/{link}\"")),
            "no link to {link} in {}",
            page.body
        );
    }
    for (letter, content_type, name) in [
        (
            "response.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "-response-draft.docx",
        ),
        (
            "response.md",
            "text/markdown; charset=utf-8",
            "-response-draft.md",
        ),
        (
            "response.html",
            "text/html; charset=utf-8",
            "-response-draft.html",
        ),
        (
            "acknowledgement.md",
            "text/markdown; charset=utf-8",
            "-acknowledgement.md",
        ),
    ] {
        let reply = server.get(&format!("{base}/{letter}"), Some(&officer));
        assert_eq!(reply.status, 200, "{letter}: {}", reply.body);
        assert!(
            reply
                .head
                .contains(&format!("content-type: {content_type}")),
            "{letter}: {}",
            reply.head
        );
        assert!(
            reply.head.contains(&format!(
                "content-disposition: attachment; filename=\"{}{name}\"",
                reference.to_lowercase()
            )),
            "{letter}: {}",
            reply.head
        );
        assert!(
            reply.head.contains("cache-control: no-store"),
            "{}",
            reply.head
        );
    }
    // The draft says it is one; the requester's name is in their copy.
    let md = server.get(&format!("{base}/response.md"), Some(&officer));
    assert!(md.body.contains("Draft — date of sending"), "{}", md.body);
    // A letter whose facts are not recorded says what to record.
    let refused = server.get(&format!("{base}/clarification.md"), Some(&officer));
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("seek clarification"),
        "{}",
        refused.body
    );
    let unknown = server.get(&format!("{base}/apology.md"), Some(&officer));
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    // A fees notice recorded on the clock form with its fee: the letter says it.
    let recorded = server.post(
        &format!("/cases/{reference}/clock"),
        Some(&officer),
        &format!(
            "csrf={}&seen=drafted&action=fee_notice&on=2019-06-20&fee=%C2%A312.50",
            officer.csrf
        ),
    );
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let fees = server.get(&format!("{base}/fees-notice.md"), Some(&officer));
    assert_eq!(fees.status, 200, "{}", fees.body);
    assert!(fees.body.contains("**£12.50**"), "{}", fees.body);
    let received = server.post(
        &format!("/cases/{reference}/clock"),
        Some(&officer),
        &format!(
            "csrf={}&seen=drafted&action=fee_received&on=2019-06-21",
            officer.csrf
        ),
    );
    assert_eq!(received.status, 303, "{}", received.body);
    // The published copy is there only once the answer is sent.
    let published = format!("/letters/{reference}/response.docx");
    assert_eq!(server.get(&published, None).status, 404);
    app.run(&[
        "request",
        "approve",
        &reference,
        "--as-of",
        "2019-07-05",
        "--actor",
        "approver",
    ])
    .ok();
    app.run(&["request", "send", &reference, "--as-of", "2019-07-05"])
        .ok();
    let page = server.get(&format!("/letters/{reference}"), None);
    assert!(
        page.body.contains(&format!("href=\"{published}\"")),
        "{}",
        page.body
    );
    let reply = server.get(&published, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.head.contains(
            "content-type: application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ),
        "{}",
        reply.head
    );
    let sent = server.get(&format!("{base}/response.md"), Some(&officer));
    assert!(
        !sent.body.contains("Draft — date of sending"),
        "{}",
        sent.body
    );
    assert!(sent.head.contains("-response-sent.md\""), "{}", sent.head);
}

/// A hidden field's value in a page (the first of that name).
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {page}"));
    let rest = &page[at + marker.len()..];
    rest[..rest.find('"').expect("end of value")].to_string()
}

/// A case's history entries as `request show --json` gives them.
fn history(app: &TestApp, reference: &str) -> Vec<serde_json::Value> {
    let shown: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "show", reference, "--json"]).ok())
            .expect("json");
    shown["history"].as_array().expect("history").clone()
}

/// What the case asks now, as the structured request the CLI shows.
fn structured(app: &TestApp, reference: &str) -> String {
    app.run(&["request", "structured", reference]).ok()
}

/// The seed case taken back to work (a drafted case's reading is only
/// corrected after reopening it): the officer's session and the workspace.
fn reopened(server: &Server, reference: &str) -> Session {
    let officer = server.session("officer");
    let started = server.post(
        &format!("/cases/{reference}/clock"),
        Some(&officer),
        &format!("csrf={}&seen=drafted&action=start", officer.csrf),
    );
    assert_eq!(started.status, 303, "{}", started.body);
    officer
}

#[test]
fn the_workspace_shows_each_question_beside_its_reading_and_corrects_it_in_place() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let case = format!("/cases/{reference}");
    // Drafted: the readings show, with how to correct them, but no forms.
    let officer = server.session("officer");
    let page = server.get(&case, Some(&officer));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(
            "How many service users did you have listed as in treatment for crack cocaine each year for the past three years?"
        ),
        "each question verbatim: {}",
        page.body
    );
    assert!(page.body.contains("Also considered"), "{}", page.body);
    assert!(page.body.contains("% sure"), "{}", page.body);
    assert!(!page.body.contains("/questions/set\""), "{}", page.body);
    assert!(page.body.contains("To correct them, record"));

    let officer = reopened(&server, &reference);
    let page = server.get(&case, Some(&officer));
    assert!(page.body.contains("/questions/set\""), "{}", page.body);
    for label in [
        "for=\"q1-indicator\"",
        "for=\"q1-periods\"",
        "for=\"q1-filter\"",
        "for=\"q1-breakdown\"",
        "for=\"q1-at\"",
        "for=\"q1-second\"",
        "for=\"q1-reason\"",
    ] {
        assert!(page.body.contains(label), "a label {label}");
    }
    let revision = hidden(&page.body, "revision");
    let set = format!("{case}/questions/set");
    let corrections = |app: &TestApp| {
        history(app, &reference)
            .iter()
            .filter(|e| e["action"] == "correct")
            .count()
    };
    let before = structured(&app, &reference);
    assert!(
        before.contains("periods = [\"2018/19\", \"2017/18\", \"2016/17\"]"),
        "{before}"
    );

    // Without the secret, nothing changes.
    let refused = server.post(
        &set,
        Some(&officer),
        &format!("seen=in_progress&revision={revision}&question=1&periods=2016%2F17"),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("security token"), "{}", refused.body);
    // HTML and SQL in a field: the use case refuses it, shown escaped on
    // the workspace with an error summary tied to the field.
    let hostile = "<script>alert(1)</script>'; DROP TABLE cases; --";
    let bad = server.post(
        &set,
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=1&periods={}",
            officer.csrf,
            encode(hostile)
        ),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("There is a problem"), "{}", bad.body);
    assert!(bad.body.contains("href=\"#q1-periods\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"q1-periods-error\""), "{}", bad.body);
    assert!(bad.body.contains("q1-periods-hint q1-periods-error"));
    assert!(!bad.body.contains("<script>alert"), "{}", bad.body);
    assert!(
        bad.body.contains(
            "id=\"q1-periods\" name=\"periods\" type=\"text\" value=\"&lt;script&gt;alert(1)"
        ),
        "what was typed is kept, escaped: {}",
        bad.body
    );
    // Nothing given to set, an unknown question: errors on the field.
    let empty = server.post(
        &set,
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=1",
            officer.csrf
        ),
    );
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains("href=\"#q1-indicator\""),
        "{}",
        empty.body
    );
    let merge = server.post(
        &format!("{case}/questions/merge"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=1&second=99",
            officer.csrf
        ),
    );
    assert_eq!(merge.status, 400, "{}", merge.body);
    assert!(merge.body.contains("href=\"#q1-second\""), "{}", merge.body);
    assert!(merge.body.contains("no question 99"), "{}", merge.body);
    let taught = server.post(
        &format!("{case}/correct"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&question=1&phrase={}&means={}",
            officer.csrf,
            encode(hostile),
            encode(hostile)
        ),
    );
    assert_eq!(taught.status, 400, "{}", taught.body);
    assert!(taught.body.contains("error-summary"), "{}", taught.body);
    assert!(!taught.body.contains("<script>alert"), "{}", taught.body);
    assert_eq!(structured(&app, &reference), before, "nothing changed");
    assert_eq!(corrections(&app), 0);
    assert!(
        history(&app, &reference)
            .iter()
            .all(|e| e["action"] != "learn"),
        "no phrase learned"
    );

    // The correction: question 1 asks for one year, audited with who.
    let done = server.post(
        &set,
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=1&periods={}&breakdown=age_band",
            officer.csrf,
            encode("2016/17")
        ),
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let after = structured(&app, &reference);
    assert!(after.contains("periods = [\"2016/17\"]"), "{after}");
    assert!(after.contains("breakdown = [\"age_band\"]"), "{after}");
    let entries = history(&app, &reference);
    let last = entries.last().expect("an entry");
    assert_eq!(last["action"], "correct", "{last}");
    assert_eq!(last["actor"], "officer", "{last}");
    let page = server.get(&case, Some(&officer));
    assert!(
        page.body
            .contains("people_in_treatment for 2016&#x2f;17 where crack=crack by age_band"),
        "the reading shown is the corrected one: {}",
        page.body
    );

    // The same form again, made before that correction: stale, refused.
    let stale = server.post(
        &set,
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=1&periods={}",
            officer.csrf,
            encode("2017/18")
        ),
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("error-summary"), "{}", stale.body);
    assert!(stale.body.contains("nothing was changed"), "{}", stale.body);
    assert_eq!(structured(&app, &reference), after);

    // Drop question 4 with a hostile reason: kept verbatim, shown escaped.
    let revision = hidden(&page.body, "revision");
    let dropped = server.post(
        &format!("{case}/questions/set-aside"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=4&reason={}",
            officer.csrf,
            encode(hostile)
        ),
    );
    assert_eq!(dropped.status, 303, "{}", dropped.body);
    let page = server.get(&case, Some(&officer));
    assert!(page.body.contains("Words not taken as a question"));
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(
        !page.body.contains("Question 4</h3>"),
        "question 4 is dropped"
    );
    assert_eq!(corrections(&app), 2);

    // Split question 2 at words of it, then merge its parts back.
    let revision = hidden(&page.body, "revision");
    let split = server.post(
        &format!("{case}/questions/split"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=2&at={}",
            officer.csrf,
            encode("(e.g. youngest")
        ),
    );
    assert_eq!(split.status, 303, "{}", split.body);
    let page = server.get(&case, Some(&officer));
    assert!(page.body.contains("Question 2a</h3>"), "{}", page.body);
    let revision = hidden(&page.body, "revision");
    let merged = server.post(
        &format!("{case}/questions/merge"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={revision}&question=2a&second=2b",
            officer.csrf
        ),
    );
    assert_eq!(merged.status, 303, "{}", merged.body);

    // Read the e-mail again: every correction replaced, audited.
    let page = server.get(&case, Some(&officer));
    let revision = hidden(&page.body, "revision");
    let reread = server.post(
        &format!("{case}/questions/reread"),
        Some(&officer),
        &format!("csrf={}&seen=in_progress&revision={revision}", officer.csrf),
    );
    assert_eq!(reread.status, 303, "{}", reread.body);
    assert_eq!(structured(&app, &reference), before);
    let page = server.get(&case, Some(&officer));
    assert!(
        page.body.contains("read again from the e-mail"),
        "{}",
        page.body
    );
    // The clock's working: the bank holidays counted, and an extension
    // recorded from the page with how far it goes (18 working days: the
    // Twelfth of July and Scotland's August bank holiday are not working
    // days anywhere in the UK, FOIA s10(6)).
    assert!(
        page.body.contains("Bank holidays in the count"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "Today (2019-07-05)</dt><dd class=\"summary-list__value\">1 working day left"
        ),
        "{}",
        page.body
    );
    let extended = server.post(
        &format!("{case}/clock"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&action=extend&extended_to=2019-08-05",
            officer.csrf
        ),
    );
    assert_eq!(extended.status, 303, "{}", extended.body);
    let page = server.get(&case, Some(&officer));
    assert!(
        page.body
            .contains("to 2019-08-05: 18 working days after the 20th working day"),
        "{}",
        page.body
    );
    // A case opened from a structured request file: its questions, and
    // why there is no reading of an e-mail beside them.
    app.write(
        "FOI-90.toml",
        "reference = \"FOI-90\"\nreceived = 2019-06-10\n\n[[question]]\nnumber = \"1\"\n\
         text = \"How many people were in treatment for crack?\"\nindicator = \"people_in_treatment\"\n\
         filter = { crack = \"crack\" }\nperiods = [\"2017/18\"]\n",
    );
    app.run(&["request", "new", "FOI-90.toml"]).ok();
    let filed = server.get("/cases/FOI-90", Some(&officer));
    assert_eq!(filed.status, 200, "{}", filed.body);
    assert!(
        filed
            .body
            .contains("How many people were in treatment for crack?"),
        "{}",
        filed.body
    );
    assert!(
        filed
            .body
            .contains("Lantern’s own reading of the e-mail is not shown: request FOI-90 was opened from a structured request file"),
        "{}",
        filed.body
    );
    // An approver sees the workspace but no correction forms, and is refused.
    let approver = server.session("approver");
    let seen = server.get(&case, Some(&approver));
    assert!(!seen.body.contains("/questions/set\""));
    let refused = server.post(
        &set,
        Some(&approver),
        &format!(
            "csrf={}&seen=in_progress&revision={}&question=1&periods=2016%2F17",
            approver.csrf,
            hidden(&page.body, "revision")
        ),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(structured(&app, &reference), before);
}

#[test]
fn a_blocking_finding_resolved_from_the_workspace_unblocks_approval() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let case = format!("/cases/{reference}");
    let officer = reopened(&server, &reference);
    // Question 1 asks for a year the council has no figure for.
    let page = server.get(&case, Some(&officer));
    let set = server.post(
        &format!("{case}/questions/set"),
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&revision={}&question=1&periods={}",
            officer.csrf,
            hidden(&page.body, "revision"),
            encode("2010/11")
        ),
    );
    assert_eq!(set.status, 303, "{}", set.body);
    let drafted = server.post(
        &format!("{case}/draft"),
        Some(&officer),
        &format!("csrf={}&seen=in_progress", officer.csrf),
    );
    assert_eq!(drafted.status, 303, "{}", drafted.body);
    let page = server.get(&case, Some(&officer));
    assert!(
        page.body.contains("Finding 1: question 1: no figure"),
        "{}",
        page.body
    );
    for way in [
        "value=\"record_not_held\"",
        "value=\"cost_estimate\"",
        "value=\"seek_clarification\"",
        "Load the figure",
    ] {
        assert!(page.body.contains(way), "{way} in {}", page.body);
    }
    assert!(
        page.body.contains("primary: the count is between 1 and 4"),
        "why withheld: {}",
        page.body
    );

    // The approver cannot approve while it is open.
    let approver = server.session("approver");
    let blocked = server.post(
        &format!("{case}/approve"),
        Some(&approver),
        &format!("csrf={}&seen=drafted", approver.csrf),
    );
    assert_eq!(blocked.status, 409, "{}", blocked.body);
    assert!(blocked.body.contains("finding 1"), "{}", blocked.body);

    let resolve = format!("{case}/findings/resolve");
    let resolutions = |app: &TestApp| {
        history(app, &reference)
            .iter()
            .filter(|e| e["action"] == "resolve")
            .count()
    };
    // No reason, hours that are not a number, a hostile reason from an
    // approver: errors on the field or refused, nothing recorded.
    let missing = server.post(
        &resolve,
        Some(&officer),
        &format!(
            "csrf={}&seen=drafted&finding=1&way=record_not_held",
            officer.csrf
        ),
    );
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert!(
        missing.body.contains("href=\"#f1-reason\""),
        "{}",
        missing.body
    );
    assert!(
        missing.body.contains("id=\"f1-reason-error\""),
        "{}",
        missing.body
    );
    let hours = server.post(
        &resolve,
        Some(&officer),
        &format!(
            "csrf={}&seen=drafted&finding=1&way=cost_estimate&hours={}",
            officer.csrf,
            encode("<b>many</b>")
        ),
    );
    assert_eq!(hours.status, 400, "{}", hours.body);
    assert!(hours.body.contains("href=\"#f1-hours\""), "{}", hours.body);
    assert!(!hours.body.contains("<b>many"), "{}", hours.body);
    assert!(
        hours.body.contains("value=\"&lt;b&gt;many"),
        "{}",
        hours.body
    );
    let no_secret = server.post(
        &resolve,
        Some(&officer),
        "seen=drafted&finding=1&way=record_not_held&reason=gone",
    );
    assert_eq!(no_secret.status, 400, "{}", no_secret.body);
    let stale = server.post(
        &resolve,
        Some(&officer),
        &format!(
            "csrf={}&seen=in_progress&finding=1&way=record_not_held&reason=gone",
            officer.csrf
        ),
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    let by_approver = server.post(
        &resolve,
        Some(&approver),
        &format!(
            "csrf={}&seen=drafted&finding=1&way=record_not_held&reason=gone",
            approver.csrf
        ),
    );
    assert_eq!(by_approver.status, 403, "{}", by_approver.body);
    assert_eq!(resolutions(&app), 0);

    // Recorded as not held from the page, with who; drafted again; approved.
    let hostile = "<script>alert(1)</script>'; DROP TABLE cases; --";
    let resolved = server.post(
        &resolve,
        Some(&officer),
        &format!(
            "csrf={}&seen=drafted&finding=1&way=record_not_held&reason={}",
            officer.csrf,
            encode(&format!("records before 2012 were not kept {hostile}"))
        ),
    );
    assert_eq!(resolved.status, 303, "{}", resolved.body);
    let entries = history(&app, &reference);
    let entry = entries
        .iter()
        .find(|e| e["action"] == "resolve")
        .expect("a resolve entry");
    assert_eq!(entry["actor"], "officer", "{entry}");
    let page = server.get(&case, Some(&officer));
    assert!(!page.body.contains("<script>"), "{}", page.body);
    let redrafted = server.post(
        &format!("{case}/draft"),
        Some(&officer),
        &format!("csrf={}&seen=drafted", officer.csrf),
    );
    assert_eq!(redrafted.status, 303, "{}", redrafted.body);
    let page = server.get(&case, Some(&officer));
    assert!(!page.body.contains("Blocking findings"), "{}", page.body);
    assert!(
        page.body.contains("records before 2012 were not kept"),
        "{}",
        page.body
    );
    let approved = server.post(
        &format!("{case}/approve"),
        Some(&approver),
        &format!("csrf={}&seen=drafted", approver.csrf),
    );
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(status_of(&app, &reference), "approved");

    // Sent: a later request for the same figures is related to it, and its
    // workspace names the earlier answer that gave them.
    let sent = server.post(
        &format!("{case}/sent"),
        Some(&officer),
        &format!("csrf={}&seen=approved&channel=email", officer.csrf),
    );
    assert_eq!(sent.status, 303, "{}", sent.body);
    let again = app.write(
        "again.eml",
        "From: Another Person <a@example.org>\nSubject: Treatment numbers\n\n1) What budget did you allocate for community drug and alcohol treatment in 2018 - 19?\n",
    );
    let out = app
        .run(&[
            "request",
            "new",
            again.to_str().expect("path"),
            "--received",
            "2019-07-01",
            "--json",
        ])
        .ok();
    let later: serde_json::Value = serde_json::from_str(&out).expect("json");
    let later = later["reference"].as_str().expect("reference");
    let page = server.get(&format!("/cases/{later}"), Some(&officer));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!(
            "<a href=\"/letters/{reference}\">{reference}</a>, sent"
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "<a href=\"/cases/{reference}\">{reference}</a>, received 2019-06-10"
        )),
        "{}",
        page.body
    );
}

#[test]
fn an_officer_titles_a_request_on_its_workspace_and_the_public_log_shows_the_title() {
    let (app, reference) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let case = format!("/cases/{reference}");
    let page = server.get(&case, Some(&officer));
    assert!(
        page.body.contains("Title in the disclosure log"),
        "{}",
        page.body
    );
    let titled = server.post(
        &format!("{case}/title"),
        Some(&officer),
        &format!(
            "csrf={}&seen=drafted&title=Crack+cocaine+treatment+%3Cb%3E",
            officer.csrf
        ),
    );
    assert_eq!(titled.status, 303, "{}", titled.body);
    // An empty title is refused, saying what to do.
    let empty = server.post(
        &format!("{case}/title"),
        Some(&officer),
        &format!("csrf={}&seen=drafted&title=+", officer.csrf),
    );
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(empty.body.contains("title"), "{}", empty.body);
    let history = app.run(&["request", "show", &reference]).ok();
    assert!(
        history.contains("retitle") && history.contains("officer"),
        "{history}"
    );
    for step in ["approve", "send"] {
        app.run(&["request", step, &reference, "--as-of", "2019-07-05"])
            .ok();
    }
    let log = server.get("/log", None);
    assert!(
        log.body.contains("Crack cocaine treatment &lt;b&gt;"),
        "{}",
        log.body
    );
    // Sent: the title is published and no longer changes.
    let page = server.get(&case, Some(&officer));
    assert!(
        !page.body.contains("Title in the disclosure log"),
        "{}",
        page.body
    );
}

/// Behind Lantern's back: forget the notices kept beside every draft, as
/// for drafts saved before they were kept (schema 23). How many drafts had
/// them, on SQLite (PostgreSQL: not counted, `None`).
fn forget_draft_notices(app: &TestApp) -> Option<i64> {
    let sql = "UPDATE cases SET draft_notices = NULL";
    match &app.postgres {
        Some(db) => {
            db.raw(sql);
            None
        }
        None => {
            let conn = rusqlite::Connection::open(app.path("lantern.db")).expect("open");
            let kept: i64 = conn
                .query_row(
                    "SELECT count(*) FROM cases WHERE draft_notices IS NOT NULL",
                    [],
                    |r| r.get(0),
                )
                .expect("count");
            conn.execute_batch(sql).expect("raw sql");
            Some(kept)
        }
    }
}

#[test]
fn the_inbox_flags_a_draft_whose_cited_release_moved_whether_or_not_its_notices_were_kept() {
    let (app, drafted) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let officer = server.session("officer");
    let flagged = |server: &Server| {
        let inbox = server.get("/inbox?status=release-changed", Some(&officer));
        assert_eq!(inbox.status, 200, "{}", inbox.body);
        references(&inbox.body)
    };
    assert!(flagged(&server).is_empty());

    // The release the draft cites under section 22 moves.
    let calendar = std::fs::read_to_string(crate::example("releases.csv")).expect("releases");
    assert!(calendar.contains(",2019-11-07,"));
    app.write(
        "moved.csv",
        &calendar.replace(",2019-11-07,", ",2019-12-05,"),
    );
    app.run(&["import", "releases", "moved.csv"]).ok();
    let expected: std::collections::BTreeSet<String> = [drafted.clone()].into_iter().collect();
    assert_eq!(flagged(&server), expected);

    // A draft whose notices were not kept beside it is read itself: the
    // same tag.
    if let Some(kept) = forget_draft_notices(&app) {
        assert_eq!(kept, 1, "the draft was saved with its notices");
    }
    assert_eq!(flagged(&server), expected);
}

#[test]
fn an_administrator_edits_a_letter_template_previewed_with_the_seed_requests() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let admin = server.session("admin");
    let list = server.get("/admin/templates", Some(&admin));
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("letter.md.j2") && list.body.contains("letter.html.j2"));
    let officer = server.session("officer");
    assert_eq!(server.get("/admin/templates", Some(&officer)).status, 403);
    let page = server.get("/admin/templates/letter.md.j2", Some(&admin));
    assert_eq!(page.status, 200, "{}", page.body);
    let shipped = app
        .run(&["council", "template", "show", "letter.md.j2"])
        .ok();
    let version = app.data_version();

    // A template with an undefined variable: refused with its line and
    // column, the text kept (escaped), nothing saved.
    let bad = format!("<b>ours</b> {{{{ letter.nothing_here }}}}\n{shipped}");
    let refused = server.post(
        "/admin/templates/letter.md.j2/preview",
        Some(&admin),
        &format!("csrf={}&source={}", admin.csrf, encode(&bad)),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("line 1, column"), "{}", refused.body);
    assert!(
        refused.body.contains("href=\"#source\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("&lt;b&gt;ours"), "{}", refused.body);
    assert!(!refused.body.contains("<b>ours</b>"));
    let refused = server.post(
        "/admin/templates/letter.md.j2",
        Some(&admin),
        &format!("csrf={}&source={}", admin.csrf, encode("{% if %}")),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(app.data_version(), version, "nothing saved");
    // Without the form's secret: refused.
    let stale = server.post(
        "/admin/templates/letter.md.j2",
        Some(&admin),
        &format!("source={}", encode(&shipped)),
    );
    assert_eq!(stale.status, 400);
    assert_eq!(app.data_version(), version, "nothing saved");

    // A good one, with markup in its own text: previewed with each seed
    // request, the markup printed as text, then saved.
    let good = format!("Our reference <i>{{{{ letter.request.reference | md }}}}</i>\n\n{shipped}");
    let previewed = server.post(
        "/admin/templates/letter.md.j2/preview",
        Some(&admin),
        &format!("csrf={}&source={}", admin.csrf, encode(&good)),
    );
    assert_eq!(previewed.status, 200, "{}", previewed.body);
    for seed in ["seed-000", "seed-002", "seed-003"] {
        assert!(previewed.body.contains(seed), "{seed}: {}", previewed.body);
    }
    assert!(
        previewed.body.contains("Our reference &lt;i&gt;"),
        "{}",
        previewed.body
    );
    assert!(!previewed.body.contains("<i>FOI"));
    assert_eq!(app.data_version(), version, "a preview saves nothing");
    let saved = server.post(
        "/admin/templates/letter.md.j2",
        Some(&admin),
        &format!("csrf={}&source={}", admin.csrf, encode(&good)),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(app.data_version() > version);
    let listed = app.run(&["council", "template", "list"]).ok();
    assert!(
        listed.contains("own") && listed.contains("by admin"),
        "{listed}"
    );
    let shown = server.get("/admin/templates/letter.md.j2?saved=1", Some(&admin));
    assert!(shown.body.contains("Saved") && shown.body.contains("2 lines added"));

    // Revert: the default again, recorded.
    let reverted = server.post(
        "/admin/templates/letter.md.j2/revert",
        Some(&admin),
        &format!("csrf={}", admin.csrf),
    );
    assert_eq!(reverted.status, 303, "{}", reverted.body);
    let listed = app.run(&["council", "template", "list"]).ok();
    assert!(listed.contains("letter.md.j2    default"), "{listed}");
    assert_eq!(
        server
            .get("/admin/templates/no-such.j2", Some(&admin))
            .status,
        404
    );
}
