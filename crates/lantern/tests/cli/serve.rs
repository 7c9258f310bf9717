//! `lantern serve`: the disclosure log and casework statistics over HTTP,
//! from real server processes. Two servers share one database, as several
//! processes behind a load balancer do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use crate::{TestApp, example};

/// A running `lantern serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(app: &TestApp) -> Server {
        let mut child = app
            .command(&["serve", "--listen", "127.0.0.1:0"])
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
    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn json(&self, path: &str) -> serde_json::Value {
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
        assert_eq!(server.json("/api/log"), serde_json::json!([]));
    }
    // An officer sends an answer with the command line; both servers see it.
    let seed = example("requests/seed-000.toml");
    app.run(&["request", "new", seed.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412"]).ok();
    }
    app.run(&["request", "send", "FOI-2019-0412", "--on", "2019-07-01"])
        .ok();
    let from_a = a.json("/api/log");
    assert_eq!(from_a, b.json("/api/log"));
    let entries = from_a.as_array().expect("entries");
    assert!(
        entries.iter().any(|e| e["released"] == "44 people"),
        "{from_a}"
    );
    assert!(
        !serde_json::to_string(&from_a)
            .expect("json")
            .contains("A Person"),
        "no requester"
    );
    let searched = b.json("/api/log?search=section%2022");
    assert!(
        searched
            .as_array()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|e| e["basis"] == "s22")),
        "{searched}"
    );
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
