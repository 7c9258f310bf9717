//! `lantern serve`: the disclosure log and casework statistics over HTTP,
//! from real server processes. Two servers share one database, as several
//! processes behind a load balancer do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{TestApp, example};

/// A running `lantern serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    port: u16,
}

impl Server {
    pub(crate) fn start(app: &TestApp) -> Server {
        Server::spawn(app.command(&["serve", "--listen", "127.0.0.1:0"]))
    }

    /// Start `lantern serve` with at most `files` open files (as a server
    /// started with the common default of 1,024 has).
    fn start_with_file_limit(app: &TestApp, files: u64) -> Server {
        let lantern = app.command(&["serve", "--listen", "127.0.0.1:0"]);
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={files}:{files}"))
            .arg("--")
            .arg(lantern.get_program())
            .args(lantern.get_args());
        if let Some(dir) = lantern.get_current_dir() {
            command.current_dir(dir);
        }
        for (name, value) in lantern.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        Server::spawn(command)
    }

    fn spawn(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
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

    /// GET `path`: the status code and body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ));
        (status, body)
    }

    /// Send a raw request: the status code, the head (lowercase) and the body.
    pub(crate) fn send(&self, request: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (status, head.to_lowercase(), body.to_string())
    }

    pub(crate) fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_servers_on_one_database_serve_the_same_disclosure_log_as_it_grows() {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    let (a, b) = (Server::start(&app), Server::start(&app));
    for server in [&a, &b] {
        let health = server.json("/healthz");
        assert_eq!(health["status"], "ok");
        assert_eq!(server.json("/api/log")["total"], 0);
    }
    // An officer sends an answer with the command line; both servers see it.
    let seed = example("requests/seed-000.toml");
    app.run(&["request", "new", seed.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-01"])
            .ok();
    }
    app.run(&["request", "send", "FOI-2019-0412", "--on", "2019-07-01"])
        .ok();
    let from_a = a.json("/api/log");
    assert_eq!(from_a, b.json("/api/log"));
    let entries = from_a["items"].as_array().expect("items");
    assert!(from_a.to_string().contains("44 people"), "{from_a}");
    assert_eq!(entries.len(), 1, "one entry per request: {from_a}");
    assert!(
        !serde_json::to_string(&from_a)
            .expect("json")
            .contains("A Person"),
        "no requester"
    );
    let searched = b.json("/api/log?search=crack");
    assert_eq!(searched["total"], 1, "{searched}");
    // The page is HTML that escapes what it is given.
    let (status, html) = a.get("/log?search=%3Cb%3E");
    assert_eq!(status, 200);
    assert!(
        html.contains("&lt;b&gt;") && !html.contains("<b>"),
        "{html}"
    );
    let (_, html) = a.get("/log");
    assert!(
        html.contains("Leicester City Council") && html.contains("44 people"),
        "{html}"
    );

    let timeliness = b.json("/api/reports/timeliness?by=quarter");
    assert_eq!(timeliness[0]["group"], "Q1 2019/20");
    assert_eq!(timeliness[0]["in_time"], 1);
    let outcomes = a.json("/api/reports/outcomes");
    assert_eq!(
        outcomes.as_array().and_then(|r| r.last()).expect("total")["part_refused"],
        1
    );
    let (status, page) = a.get("/reports/timeliness?by=quarter");
    assert_eq!(status, 200);
    // minijinja escapes "/" in HTML.
    assert!(page.contains("Q1 2019&#x2f;20"), "{page}");
}

#[test]
fn bad_parameters_and_unknown_paths_get_a_message_not_a_crash() {
    let app = TestApp::leicester();
    let server = Server::start(&app);
    let (status, body) = server.get("/api/reports/timeliness?by=year");
    assert_eq!(status, 400);
    assert!(body.contains("by=month or by=quarter"), "{body}");
    let (status, body) = server.get("/api/reports/outcomes?from=01/04/2019");
    assert_eq!(status, 400);
    assert!(body.contains("YYYY-MM-DD"), "{body}");
    let (status, _) = server.get("/no/such/page");
    assert_eq!(status, 404);
    // Still serving.
    assert_eq!(server.json("/healthz")["status"], "ok");
}

#[test]
fn a_server_refuses_to_start_without_a_database_or_with_a_bad_address() {
    let app = TestApp::empty();
    if app.database_name() == "lantern.db" {
        let err = app.run(&["serve", "--listen", "127.0.0.1:0"]).fails();
        assert!(err.contains("lantern init"), "{err}");
    }
    let app = TestApp::leicester();
    let err = app.run(&["serve", "--listen", "localhost"]).fails();
    assert!(err.contains("127.0.0.1:8080"), "{err}");
}

/// The security headers every response must carry, as they appear in a
/// response head (lowercased).
const SECURITY_HEADERS: [&str; 4] = [
    "x-content-type-options: nosniff",
    "x-frame-options: deny",
    "referrer-policy: no-referrer",
    "content-security-policy: default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
];

#[test]
fn every_response_carries_the_security_headers_errors_and_404s_included() {
    let app = TestApp::leicester();
    let server = Server::start(&app);
    let get =
        |path: &str| format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let big = "x".repeat(4096);
    let cases = [
        (get("/"), 200),
        (get("/healthz"), 200),
        (get("/log?search=%3Cscript%3E"), 200),
        (get("/api/log"), 200),
        (get("/reports/timeliness"), 200),
        (get("/api/reports/timeliness?by=quarter"), 200),
        (get("/api/reports/outcomes"), 200),
        (get("/style.css"), 200),
        (get("/no/such/page"), 404),
        (get("/letters/FOI-1999-0001"), 404),
        (get("/api/letters/FOI-1999-0001"), 404),
        (get("/api/reports/timeliness?by=year"), 400),
        (
            format!(
                "POST /log HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{big}",
                big.len()
            ),
            413,
        ),
        (
            "POST /api/log HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}".into(),
            405,
        ),
    ];
    for (request, status) in cases {
        let line = request.lines().next().unwrap_or_default().to_string();
        let (got, head, body) = server.send(&request);
        assert_eq!(got, status, "{line}: {head}\n{body}");
        for header in SECURITY_HEADERS {
            assert!(head.contains(header), "{line}: no {header:?} in\n{head}");
        }
    }
    // The pages use the style sheet, not inline style, which the policy forbids.
    let (_, page) = server.get("/log");
    assert!(
        page.contains(r#"<link rel="stylesheet" href="/style.css">"#) && !page.contains("<style"),
        "{page}"
    );
}

#[test]
fn two_thousand_idle_connections_do_not_stop_a_server_answering() {
    // This test holds 2,000 connections, so it needs more than the common
    // 1,024 open files; the server gets exactly 1,024.
    let files = rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-file limit");
    assert!(
        files >= 2_200,
        "this test needs an open-file limit of at least 2,200 (ulimit -Hn is {files})"
    );
    let app = TestApp::leicester();
    let server = Server::start_with_file_limit(&app, 1024);
    let idle: Vec<TcpStream> = (0..2_000)
        .map(|i| {
            TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], server.port)),
                Duration::from_secs(10),
            )
            .unwrap_or_else(|e| panic!("idle connection {i}: {e}"))
        })
        .collect();
    for path in ["/healthz", "/log", "/healthz"] {
        let started = Instant::now();
        let (status, body) = server.get(path);
        let took = started.elapsed();
        assert_eq!(status, 200, "{path}: {body}");
        assert!(took < Duration::from_secs(1), "{path} took {took:?}");
    }
    drop(idle);
}

#[test]
fn pages_print_a_hostile_council_name_as_text() {
    let app = TestApp::leicester();
    let config = app.write(
        "hostile.toml",
        "[council]\nname = \"<script>alert(1)</script> \\\"onload=\\\"alert(2) Council\"\narea = \"E06000016\"\n",
    );
    let server = Server::spawn(app.command(&[
        "--config",
        config.to_str().expect("path"),
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    for path in ["/", "/log", "/reports/timeliness"] {
        let (status, page) = server.get(path);
        assert_eq!(status, 200, "{path}: {page}");
        assert!(
            !page.contains("<script") && !page.contains("\"onload"),
            "{path}: {page}"
        );
        assert!(page.contains("&lt;script&gt;"), "{path}: {page}");
    }
}

#[test]
fn a_client_that_sends_its_headers_too_slowly_is_cut_off() {
    let app = TestApp::leicester();
    let server = Server::start(&app);
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let started = Instant::now();
    // Half a request, then nothing.
    slow.write_all(b"GET /log HTTP/1.1\r\nHost: loc")
        .expect("send");
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "closed after {took:?}"
    );
    // Meanwhile and afterwards, others are served.
    assert_eq!(server.json("/healthz")["status"], "ok");
}

#[test]
fn a_server_stops_promptly_on_sigterm_with_idle_connections_open() {
    let app = TestApp::leicester();
    let mut server = Server::start(&app);
    let idle: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(("127.0.0.1", server.port)).expect("connect"))
        .collect();
    assert_eq!(server.json("/healthz")["status"], "ok");
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    drop(idle);
}

#[test]
fn a_sent_answer_is_published_without_the_requester_and_a_draft_is_not() {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    let seed = example("requests/seed-000.toml");
    app.run(&[
        "request",
        "new",
        seed.to_str().expect("path"),
        "--requester",
        "Jo Bloggs",
        "--contact",
        "jo.bloggs@example.org",
    ])
    .ok();
    app.run(&["request", "draft", "FOI-2019-0412", "--as-of", "2019-07-05"])
        .ok();
    let server = Server::start(&app);
    // A draft is not published, and says no more than an unknown reference.
    let (status, body) = server.get("/letters/FOI-2019-0412");
    assert_eq!(status, 404, "{body}");
    assert_eq!(server.get("/api/letters/FOI-2019-0412").0, 404);
    let (status, unknown) = server.get("/letters/FOI-1999-0001");
    assert_eq!(status, 404);
    assert_eq!(
        body.replace("FOI-2019-0412", "X"),
        unknown.replace("FOI-1999-0001", "X")
    );

    for step in ["approve", "send"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-05"])
            .ok();
    }
    let (status, page) = server.get("/letters/FOI-2019-0412");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("5 July 2019"), "{page}");
    assert!(page.contains("<caption>People in treatment: using crack, by age band</caption>"));
    assert!(page.contains("This is the published copy of our reply"));
    let json = server.json("/api/letters/FOI-2019-0412");
    assert_eq!(json["published"], true);
    assert_eq!(json["date"], "2019-07-05");
    for text in [&page, &json.to_string()] {
        for personal in ["Jo", "Bloggs", "jo.bloggs", "example.org"] {
            assert!(!text.contains(personal), "{personal} published: {text}");
        }
    }
    // The log links each answer to its published copy.
    let (_, log) = server.get("/log");
    assert!(log.contains("href=\"/letters/FOI-2019-0412\""), "{log}");
}

#[test]
fn a_requesters_name_and_contact_details_in_their_questions_are_not_served() {
    use crate::letters::{PLAIN_QUESTION, SAMS_DETAILS, send_signed_email};
    let app = TestApp::leicester();
    let reference = send_signed_email(&app);
    let server = Server::start(&app);
    let (status, page) = server.get(&format!("/letters/{reference}"));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("I am [name removed], a reporter at the Mercury"),
        "{page}"
    );
    assert!(page.contains(PLAIN_QUESTION), "{page}");
    let letter = server.json(&format!("/api/letters/{reference}"));
    assert_eq!(letter["questions"][1]["text"], PLAIN_QUESTION);
    let (_, log) = server.get("/log");
    assert!(log.contains(&reference), "{log}");
    let api_log = server.json("/api/log").to_string();
    for text in [&page, &letter.to_string(), &log, &api_log] {
        for personal in SAMS_DETAILS {
            assert!(!text.contains(personal), "{personal} served: {text}");
        }
    }
}
