//! End to end in headless Chromium (Debian's `chromium` and
//! `chromium-driver`), driven over the W3C WebDriver protocol from Rust:
//! an FOI officer signs in, pastes seed 000's e-mail, corrects one
//! reading and drafts; the same officer (who also approves) is not offered
//! approval and is refused it; an approver approves; the officer downloads
//! the letter as DOCX (opened here: its figures, nothing hidden), records
//! the answer as sent, and the public disclosure log shows it; a member of
//! the public makes a request through the form (its errors, then its
//! reference) and the officer records its acknowledgement, queued in the
//! outbox, as sent by hand; an analyst
//! opens the dashboards and sees a chart with its table beside it. The server's
//! clock is the seed's response date. Screenshots of each main page are
//! written to `target/screenshots/` (`scripts/screenshots` copies them to
//! `docs/screenshots/`).
//!
//! Skipped, saying so, when Chromium or its driver is not installed, except
//! in CI (`CI` set), where `.ci/run` installs them and their absence fails.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

#[path = "../common/docx.rs"]
mod docx;

const PASSWORD: &str = "a long enough test password";
const REQUESTER: &str = "Zebedee Requester";
/// Who makes a request through the public form.
const PUBLIC_REQUESTER: &str = "Yolanda Public";
const PUBLIC_EMAIL: &str = "yolanda@example.org";

/// A child process stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// One HTTP exchange with the driver: the JSON it answers.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to chromedriver");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    // Read the head, then the body by its length (or its chunks): the
    // driver may keep the connection open.
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if n == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line.to_lowercase());
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let json = match length {
        Some(n) => {
            let mut body = vec![0; n];
            reader.read_exact(&mut body).expect("body");
            String::from_utf8_lossy(&body).into_owned()
        }
        None => {
            let mut out = Vec::new();
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).expect("chunk size");
                let size = usize::from_str_radix(size.trim(), 16).expect("hex size");
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).expect("chunk");
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..size]);
            }
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    let value: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert!(
        value["value"]["error"].is_null(),
        "{method} {path}: {}",
        value["value"]
    );
    value["value"].clone()
}

/// A browser session.
struct Browser {
    port: u16,
    session: String,
    base: String,
    shots: PathBuf,
    /// axe-core's script, when installed (see [`axe_script`]).
    axe: Option<String>,
}

/// The pinned axe-core version `.ci/run` installs.
const AXE_VERSION: &str = "4.14.1";

/// axe-core's script from the npm registry, as `.ci/run` installs it
/// (`npm install --prefix target/axe axe-core@VERSION`), or where
/// `LANTERN_AXE` says. Absent locally: the checks are skipped, saying so;
/// absent in CI: a failure.
fn axe_script() -> Option<String> {
    let path = std::env::var_os("LANTERN_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install axe-core {AXE_VERSION} at {} (.ci/run does)",
                path.display()
            );
            eprintln!(
                "accessibility checks skipped: npm install --prefix target/axe axe-core@{AXE_VERSION}"
            );
            None
        }
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    fn open(&self, page: &str) {
        call(
            self.port,
            "POST",
            &self.path("/url"),
            Some(&json!({ "url": format!("{}{page}", self.base) })),
        );
    }

    fn find(&self, css: &str) -> String {
        let found = call(
            self.port,
            "POST",
            &self.path("/element"),
            Some(&json!({ "using": "css selector", "value": css })),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .to_string()
    }

    fn count(&self, css: &str) -> usize {
        call(
            self.port,
            "POST",
            &self.path("/elements"),
            Some(&json!({ "using": "css selector", "value": css })),
        )
        .as_array()
        .map_or(0, Vec::len)
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        call(
            self.port,
            "POST",
            &self.path(&format!("/element/{element}/value")),
            Some(&json!({ "text": text })),
        );
    }

    /// Click, and when that submits a form, wait until the next page is
    /// there (its source differs from this one's).
    fn click(&self, css: &str) {
        let element = self.find(css);
        let before = self.source();
        call(
            self.port,
            "POST",
            &self.path(&format!("/element/{element}/click")),
            Some(&json!({})),
        );
        if !css.contains("button") {
            return;
        }
        let started = Instant::now();
        while self.source() == before {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{css}: no new page after the click"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let ready = json!({ "script": "return document.readyState", "args": [] });
        while call(self.port, "POST", &self.path("/execute/sync"), Some(&ready)) != "complete" {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{css}: the page did not load"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn source(&self) -> String {
        call(self.port, "GET", &self.path("/source"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn url(&self) -> String {
        call(self.port, "GET", &self.path("/url"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Look at the page as a person would: a screenshot, and axe-core's
    /// WCAG 2.2 A and AA rules with no serious or critical violation.
    fn look(&self, name: &str) {
        self.screenshot(name);
        let Some(axe) = &self.axe else {
            return;
        };
        call(
            self.port,
            "POST",
            &self.path("/execute/sync"),
            Some(&json!({ "script": format!("{axe}\n;return typeof axe;"), "args": [] })),
        );
        let check = "var done = arguments[arguments.length - 1];\
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })\
            .then(function (r) { done(r.violations.map(function (v) { return { id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.html; }) }; })); })\
            .catch(function (e) { done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]); });";
        let violations = call(
            self.port,
            "POST",
            &self.path("/execute/async"),
            Some(&json!({ "script": check, "args": [] })),
        );
        let serious: Vec<&Value> = violations
            .as_array()
            .expect("axe's violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "{name}: serious or critical accessibility violations: {serious:#?}"
        );
    }

    fn screenshot(&self, name: &str) {
        let png = call(self.port, "GET", &self.path("/screenshot"), None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64"))
            .expect("a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).expect("write screenshot");
    }

    fn sign_in(&self, username: &str) {
        self.open("/sign-in");
        self.type_into("#username", username);
        self.type_into("#password", PASSWORD);
        self.click("form[action='/sign-in'] button");
        assert!(
            self.url().ends_with("/staff"),
            "{username}: {}",
            self.source()
        );
    }

    /// Download what `page` serves with the browser's session cookie, over
    /// plain HTTP (WebDriver cannot hand over a download): the head
    /// (lowercase) and the body's bytes.
    fn download(&self, page: &str) -> (String, Vec<u8>) {
        let cookie = call(
            self.port,
            "GET",
            &self.path("/cookie/lantern_session"),
            None,
        );
        let cookie = format!(
            "lantern_session={}",
            cookie["value"].as_str().expect("the session cookie")
        );
        let address = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {page} HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let end = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        (
            String::from_utf8_lossy(&response[..end]).to_lowercase(),
            response[end + 4..].to_vec(),
        )
    }

    fn sign_out(&self) {
        self.click("form[action='/sign-out'] button");
        let page = self.source();
        assert!(page.contains("Staff sign in"), "{}: {page}", self.url());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            call(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            )
        });
    }
}

fn lantern(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lantern"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("LANTERN_DATABASE")
        .env_remove("LANTERN_CONFIG")
        .env("LANTERN_ACTOR", "tester");
    command
}

fn add_user(dir: &Path, username: &str, roles: &[&str]) {
    let mut args = vec!["user", "add", username, "--name"];
    let name = format!("{username} Person");
    args.push(&name);
    for r in roles {
        args.extend(["--role", r]);
    }
    let mut child = lantern(dir, &args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("lantern user add");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Serve `dir`'s database (as of 2019-07-05, with a pseudonymisation
/// key) and open a headless Chromium on it: the server, the driver and
/// the browser, each stopped when dropped.
fn start(dir: &Path, chromium: &Path, driver: &Path) -> (Running, Running, Browser) {
    let mut server = lantern(
        dir,
        &["--as-of", "2019-07-05", "serve", "--listen", "127.0.0.1:0"],
    )
    .env("LANTERN_PSEUDONYM_KEY", "a test secret that is long enough")
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Running(server);
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_string();

    let port = free_port();
    let driver = Running(
        Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let created = call(
        port,
        "POST",
        "/session",
        Some(
            &json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"]
            }}}}),
        ),
    );
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Browser {
        port,
        session: created["sessionId"].as_str().unwrap().to_string(),
        base,
        shots,
        axe: axe_script(),
    };
    (server, driver, browser)
}

#[test]
fn an_officer_takes_in_corrects_and_drafts_an_approver_approves_and_the_log_shows_the_answer() {
    let (Some(chromium), Some(driver)) = (
        find_program(&["chromium", "chromium-browser"]),
        find_program(&["chromedriver"]),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver (.ci/run does)"
        );
        eprintln!("browser tests skipped: install chromium and chromium-driver to run them");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(lantern(dir, &["demo"]).output().unwrap().status.success());
    std::fs::write(
        dir.join("lantern.toml"),
        include_str!("../../../../examples/leicester/lantern.toml"),
    )
    .unwrap();
    // The officer also approves: two-person sign-off must still stop them.
    add_user(dir, "officer", &["foi_officer", "approver"]);
    add_user(dir, "approver", &["approver"]);
    add_user(dir, "admin", &["admin"]);

    let (_server, _driver, browser) = start(dir, &chromium, &driver);

    // The public pages need no account.
    browser.open("/");
    browser.look("public-home");

    // The officer signs in and pastes seed 000's e-mail.
    browser.open("/sign-in");
    browser.look("sign-in");
    browser.sign_in("officer");
    browser.look("start");
    browser.open("/cases/new");
    let email = format!(
        "Date: Mon, 10 Jun 2019 09:00:00 +0100\nFrom: {REQUESTER} <z@example.org>\nSubject: Crack cocaine treatment\n\n{}",
        include_str!("../../../lantern-core/tests-data/requests/seed-000.txt")
    );
    browser.type_into("#email", &email);
    browser.look("new-request");
    browser.click("form[action='/cases'] button");
    let url = browser.url();
    assert!(
        url.contains("/cases/FOI-2019-0001"),
        "{url}: {}",
        browser.source()
    );
    let page = browser.source();
    assert!(
        page.contains("How many service users"),
        "the questions verbatim"
    );
    browser.look("workspace-received");

    // Corrects one reading in place (question 1's forms open beside it),
    // then drafts.
    browser.click("#q1-correct summary");
    browser.look("workspace-correcting");
    // Saving nothing: the error summary links to the field, which says why.
    browser.click("#q1-correct form[action$='/questions/set'] button");
    let page = browser.source();
    assert!(page.contains("href=\"#q1-indicator\""), "{page}");
    assert!(page.contains("id=\"q1-indicator-error\""), "{page}");
    browser.look("workspace-error");
    browser.type_into("#q1-phrase", "service users");
    browser.type_into("#q1-means", "people_in_treatment");
    browser.click("#q1-correct form[action$='/correct'] button");
    let page = browser.source();
    assert!(page.contains("correct"), "the history has the correction");
    browser.click("form[action$='/draft'] button");
    let page = browser.source();
    assert!(page.contains("drafted"), "{page}");
    assert!(page.contains("The drafted letter") || page.contains("class=\"letter\""));
    // The same officer is not offered approval, and is refused it.
    assert_eq!(browser.count("form[action$='/approve']"), 0);
    assert!(page.contains("two-person sign-off"));
    browser.look("workspace-drafted");
    browser.open("/inbox");
    assert!(browser.source().contains("Awaiting approval"));
    browser.look("inbox");
    browser.sign_out();

    // An approver approves.
    browser.sign_in("approver");
    browser.open("/cases/FOI-2019-0001");
    browser.click("form[action$='/approve'] button");
    assert!(browser.source().contains("approved"));
    browser.sign_out();

    // The officer records it as sent; the public log shows the answer.
    browser.sign_in("officer");
    browser.open("/cases/FOI-2019-0001");
    browser.look("workspace-approved");
    // The officer downloads the approved letter as DOCX from the
    // workspace's link; it holds the letter's figures and hides nothing.
    let link = "/cases/FOI-2019-0001/letters/response.docx";
    assert_eq!(browser.count(&format!("a[href='{link}']")), 1);
    let (head, bytes) = browser.download(link);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains(
            "content-disposition: attachment; filename=\"foi-2019-0001-response-approved.docx\""
        ),
        "{head}"
    );
    let letter = docx::open(&bytes);
    docx::assert_nothing_hidden(&letter, &[REQUESTER, "officer", "approver"]);
    assert!(
        letter.text.contains(&format!("Dear {REQUESTER},")),
        "{}",
        letter.text
    );
    let (_, md) = browser.download("/cases/FOI-2019-0001/letters/response.md");
    let md = String::from_utf8(md).unwrap();
    // Every row of every table, as the Markdown letter gives it.
    let mut rows = 0;
    for line in md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains("---"))
    {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().replace('\\', ""))
            .collect();
        let row = cells.join(" | ");
        assert!(letter.text.contains(&row), "{row} not in {}", letter.text);
        rows += 1;
    }
    assert!(rows > 1, "{md}");
    assert_eq!(
        letter.document.matches("<w:tblHeader/>").count(),
        md.lines().filter(|l| l.starts_with("|---")).count()
    );
    browser.click("#sent-channel-email");
    browser.click("form[action$='/sent'] button");
    assert!(browser.source().contains("sent"));
    browser.sign_out();
    browser.open("/log");
    let log = browser.source();
    assert!(log.contains("FOI-2019-0001"), "{log}");
    assert!(
        !log.contains(REQUESTER),
        "the log never names the requester"
    );
    browser.look("disclosure-log");
    browser.open("/letters/FOI-2019-0001");
    assert!(!browser.source().contains(REQUESTER));
    browser.look("published-letter");

    // A member of the public reads the privacy notice, then makes a request
    // through the form: sent empty, the error summary links the first field
    // missing; filled in, a panel gives the reference (the council's next).
    browser.open("/privacy");
    assert!(browser.source().contains("How long we keep it"));
    browser.look("privacy");
    browser.open("/");
    browser.click("main a[href='/make-a-request']");
    assert!(
        browser.url().ends_with("/make-a-request"),
        "{}",
        browser.url()
    );
    browser.look("make-a-request");
    browser.click("form[action='/make-a-request'] button");
    let page = browser.source();
    assert!(page.contains("There is a problem"), "{page}");
    assert!(page.contains("href=\"#name\""), "{page}");
    assert!(page.contains("id=\"name-error\""), "{page}");
    assert!(page.contains("Enter your name"), "{page}");
    browser.look("make-a-request-errors");
    browser.type_into("#name", PUBLIC_REQUESTER);
    browser.type_into("#email", PUBLIC_EMAIL);
    browser.type_into(
        "#request",
        "1. How many people were in treatment for alcohol in 2018/19?",
    );
    browser.click("form[action='/make-a-request'] button");
    let page = browser.source();
    assert!(page.contains("Request sent"), "{page}");
    assert!(
        page.contains("Your reference is<br><strong>FOI-2019-0002</strong>"),
        "{page}"
    );
    assert!(
        !page.contains(PUBLIC_EMAIL),
        "the confirmation does not echo the address"
    );
    browser.look("make-a-request-done");

    // The officer finds its acknowledgement queued in the outbox (no SMTP
    // here), sends it by hand and records that.
    browser.sign_in("officer");
    browser.open("/outbox");
    assert_eq!(
        browser.count("a[href='/cases/FOI-2019-0002']"),
        1,
        "{}",
        browser.source()
    );
    let page = browser.source();
    assert!(page.contains(PUBLIC_EMAIL), "{page}");
    assert!(page.contains(">queued</strong>"), "{page}");
    assert!(page.contains("Lantern does not send e-mail here"), "{page}");
    let sent = browser.count("form[action$='/sent'] button");
    assert_eq!(sent, 1, "one message to record: {page}");
    browser.look("outbox");
    browser.click("form[action$='/sent'] button");
    let page = browser.source();
    assert!(browser.url().ends_with("/outbox"), "{}", browser.url());
    assert!(page.contains(">sent</strong> by hand"), "{page}");
    assert_eq!(browser.count("form[action$='/sent']"), 0, "{page}");
    browser.sign_out();

    // The administrator's page.
    browser.sign_in("admin");
    browser.open("/admin/users");
    assert!(browser.source().contains("officer"));
    browser.look("users");
    browser.open("/admin/council");
    assert!(browser.source().contains("Reference pattern"));
    browser.look("council-settings");
    browser.open("/admin/bank-holidays");
    assert!(browser.source().contains("Summer bank holiday"));
    browser.look("bank-holidays");
    // Letter templates: a template that does not render is refused with its
    // line and column; an edit is previewed with the seed requests, then saved.
    browser.open("/admin/templates");
    assert!(browser.source().contains("letter.md.j2"));
    browser.look("letter-templates");
    browser.open("/admin/templates/letter.md.j2");
    browser.type_into("#source", "\n{{ letter.nothing_here }}\n");
    browser.click("form[action$='/preview'] button");
    let refused = browser.source();
    assert!(refused.contains("column"), "{refused}");
    assert!(refused.contains("href=\"#source\""), "{refused}");
    browser.look("letter-template-refused");
    browser.open("/admin/templates/letter.md.j2");
    browser.type_into(
        "#source",
        "\nOur reference <b>{{ letter.request.reference | md }}</b>\n",
    );
    browser.click("form[action$='/preview'] button");
    let previewed = browser.source();
    for seed in ["seed-000", "seed-002", "seed-003"] {
        assert!(previewed.contains(seed), "{seed}: {previewed}");
    }
    assert!(
        !previewed.contains("<b>FOI"),
        "markup in a template is text"
    );
    browser.look("letter-template-preview");
    browser.click("button[formaction$='letter.md.j2']");
    assert!(browser.source().contains("Saved"));
    browser.open("/admin/audit?what=approve");
    assert!(browser.source().contains("FOI-2019-0001"));
    assert!(!browser.source().contains(REQUESTER));
    browser.look("audit-log");

    // Publishing: the administrator publishes people in treatment by sex
    // through the form (a release under disclosure control); a member of
    // the public opens the indicator's page and sees "fewer than 5" where
    // the count is small, never the count.
    std::fs::write(dir.join("by-sex.csv"), BY_SEX).unwrap();
    for args in [
        &["import", "figures", "by-sex.csv"][..],
        &[
            "publication",
            "plan",
            "people_in_treatment",
            "--period",
            "2024/25",
            "--on",
            // Before the day the server is fixed to: late.
            "2019-07-01",
        ][..],
    ] {
        assert!(lantern(dir, args).output().unwrap().status.success());
    }
    browser.open("/publishing");
    browser.look("publishing");
    browser.type_into("#indicator", "people_in_treatment");
    browser.type_into("#from", "2025/26");
    browser.type_into("#to", "2026/27");
    browser.type_into("#by", "sex");
    browser.click("form[action='/publishing/publish'] button");
    assert!(
        browser.source().contains("Published PUB-0001"),
        "{}",
        browser.source()
    );
    browser.sign_out();
    browser.open("/figures");
    assert!(browser.source().contains("People in treatment"));
    browser.look("published-figures");
    browser.open("/figures/people_in_treatment");
    let page = browser.source();
    // In the table beside the chart, not only in the page's notes.
    assert!(page.contains(">fewer than 5</td>"), "{page}");
    assert!(page.contains("<svg"), "a chart: {page}");
    assert!(
        page.contains(">other or not stated</th>"),
        "breakdowns in words: {page}"
    );
    assert!(
        !page.contains(">4 people<"),
        "the small count is never shown"
    );
    browser.look("published-indicator");
    browser.open("/publications");
    assert!(browser.source().contains("Late"), "{}", browser.source());
    browser.look("publication-calendar");
}

/// People in treatment by sex: "other" in 2025/26 is 4 (small). Years the
/// release calendar has no release for: the server's day is 2019-07-05.
const BY_SEX: &str = "indicator,area,period,sex,value,source,status\n\
people_in_treatment,E06000016,2025/26,,1200,ndtms_partnership,final\n\
people_in_treatment,E06000016,2025/26,male,800,ndtms_partnership,final\n\
people_in_treatment,E06000016,2025/26,female,396,ndtms_partnership,final\n\
people_in_treatment,E06000016,2025/26,other,4,ndtms_partnership,final\n\
people_in_treatment,E06000016,2026/27,,1250,ndtms_partnership,final\n\
people_in_treatment,E06000016,2026/27,male,830,ndtms_partnership,final\n\
people_in_treatment,E06000016,2026/27,female,410,ndtms_partnership,final\n\
people_in_treatment,E06000016,2026/27,other,10,ndtms_partnership,final\n";

#[test]
fn a_provider_uploads_a_file_with_a_bad_row_and_sees_its_error_another_provider_sees_nothing() {
    let (Some(chromium), Some(driver)) = (
        find_program(&["chromium", "chromium-browser"]),
        find_program(&["chromedriver"]),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver (.ci/run does)"
        );
        eprintln!("browser tests skipped: install chromium and chromium-driver to run them");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(lantern(dir, &["demo"]).output().unwrap().status.success());
    std::fs::write(
        dir.join("agencies.csv"),
        "code,name,area\nP1,First Step,E06000016\nP2,Second Chance,E06000016\n",
    )
    .unwrap();
    assert!(
        lantern(dir, &["import", "agencies", "agencies.csv"])
            .output()
            .unwrap()
            .status
            .success()
    );
    add_user(dir, "provider", &["provider:P1"]);
    add_user(dir, "provider2", &["provider:P2"]);
    add_user(dir, "admin", &["admin"]);
    assert!(
        lantern(dir, &["token", "allow", "provider"])
            .output()
            .unwrap()
            .status
            .success()
    );
    // Line 3: a sex that is not a code; the client's identifier and date
    // of birth must never come back.
    let file = dir.join("P1-2019-05.csv");
    std::fs::write(
        &file,
        "AGNCY,CLIENT,FINITIAL,SINITIAL,DOB,SEX,ETHNIC,LA,EPISODID,REFLD,TRIAGED,EPSTART,DISD,DISRSN,DRUG1,DRUG2,DRUG3,MODID,MODAL,MODSET,MODST,MODEND,FUNDING,NALOXONE\n\
         P1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2\n\
         P1,zz9secret,A,B,19771231,Q,B,E06000016,e2,20170115,20170120,20170201,20170510,80,7000,,,m2,PSYCH,COM,20170201,20170510,LA,\n",
    )
    .unwrap();
    let (_server, _driver, browser) = start(dir, &chromium, &driver);

    browser.sign_in("provider");
    browser.open("/provider");
    browser.look("provider-submissions-empty");
    browser.type_into("#file", file.to_str().unwrap());
    browser.click("form[action='/provider/submissions'] button");
    let report_url = browser.url();
    assert!(
        report_url.contains("/provider/submissions/"),
        "{report_url}"
    );
    let page = browser.source();
    assert!(
        page.contains("<td>3</td><td>SEX</td><td>Q</td>"),
        "the bad row's error: {page}"
    );
    for secret in ["zz9secret", "19771231"] {
        assert!(!page.contains(secret), "the report shows {secret}");
    }
    browser.look("provider-submission-report");
    browser.open("/provider");
    assert!(browser.source().contains("P1-2019-05.csv"));
    browser.look("provider-submissions");
    browser.open("/provider/tokens");
    browser.type_into("#name", "nightly upload");
    browser.click("form[action='/provider/tokens'] button");
    assert!(browser.source().contains("shown this once"));
    browser.look("provider-token-created");
    let path = report_url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, p)| format!("/{p}"))
        .unwrap();
    let id = path.rsplit('/').next().unwrap().to_string();
    browser.sign_out();

    // Another provider: neither the file nor its report, on the pages or
    // through the API with their session.
    browser.sign_in("provider2");
    browser.open("/provider");
    assert!(!browser.source().contains("P1-2019-05.csv"));
    browser.open(&path);
    let refused = browser.source();
    assert!(refused.contains("Not found"), "{refused}");
    assert!(!refused.contains("SEX"), "{refused}");
    for api in [
        format!("/api/submissions/{id}"),
        format!("/api/submissions/{id}/report"),
        format!("{path}/report.csv"),
    ] {
        let (head, body) = browser.download(&api);
        assert!(head.starts_with("http/1.1 404"), "{api}: {head}");
        assert!(!String::from_utf8_lossy(&body).contains("SEX"), "{api}");
    }
    let (_, list) = browser.download("/api/submissions");
    assert!(!String::from_utf8_lossy(&list).contains("P1-2019-05.csv"));
    browser.open("/staff");
    browser.sign_out();

    // The administrator's tokens page.
    browser.sign_in("admin");
    browser.open("/admin/tokens");
    assert!(browser.source().contains("nightly upload"));
    browser.look("admin-tokens");
}

#[test]
fn an_analyst_opens_a_dashboard_and_sees_a_chart_and_its_table() {
    let (Some(chromium), Some(driver)) = (
        find_program(&["chromium", "chromium-browser"]),
        find_program(&["chromedriver"]),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver (.ci/run does)"
        );
        eprintln!("browser tests skipped: install chromium and chromium-driver to run them");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(lantern(dir, &["demo"]).output().unwrap().status.success());
    add_user(dir, "analyst", &["analyst"]);
    let (_server, _driver, browser) = start(dir, &chromium, &driver);

    // The demo's crack figures by financial year: a chart and its table.
    browser.sign_in("analyst");
    browser.open("/dashboards");
    assert_eq!(browser.count("#in-treatment-crack-heading"), 1);
    assert_eq!(
        browser.count("section[aria-labelledby='in-treatment-crack-heading'] svg[role='img']"),
        1
    );
    assert_eq!(browser.count("#in-treatment-crack-table"), 1);
    let page = browser.source();
    assert!(
        page.contains("People in treatment using crack: the figures"),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">2016/17</th><td class=\"num\">51</td>"),
        "{page}"
    );
    assert!(page.contains("No figures are held for this chart"));
    browser.look("dashboards");
    browser.open("/figures/explore?indicator=people_in_treatment");
    assert!(
        browser
            .source()
            .contains("examples/leicester/figures.csv line 2")
    );
    browser.look("figures-explore");
    browser.open("/figures/upload");
    browser.look("figures-upload");
}
