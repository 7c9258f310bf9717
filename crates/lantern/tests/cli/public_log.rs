//! The disclosure log as the public reads it, from a real `lantern serve`
//! on a real database (an SQLite file with its FTS5 index, or PostgreSQL
//! with its `tsvector` column when `LANTERN_TEST_BACKEND=postgres`): one
//! entry per sent request with its title, questions and figures in words;
//! search, filters, paging and their refusals; the downloads and the feed;
//! and no requester's name or contact details in anything public.

use crate::letters::{SAMS_DETAILS, send_signed_email};
use crate::serve::Server;
use crate::{TestApp, example};

const TITLE: &str = "Crack users in treatment by age";

/// The requester who uses the public form.
const FORM_NAME: &str = "Wilhelmina Formfiller";
const FORM_EMAIL: &str = "w.formfiller@example.org";

/// Make a request through `/make-a-request` as a browser would (the form's
/// cookie and secret); its reference.
fn make_request_through_the_form(server: &Server) -> String {
    let (status, head, body) =
        server.send("GET /make-a-request HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: lantern_request="))
        .and_then(|v| v.split(';').next())
        .expect("the form's cookie")
        .to_string();
    let at = body.find("name=\"csrf\" value=\"").expect("csrf");
    let csrf = &body[at + 19..];
    let csrf = &csrf[..csrf.find('"').expect("end")];
    let form = format!(
        "csrf={csrf}&name={}&email={}&answer_by=email&request={}",
        crate::web::encode(FORM_NAME),
        crate::web::encode(FORM_EMAIL),
        crate::web::encode(
            "1. How many people were in treatment for crack cocaine in 2018/19, by age band?"
        ),
    );
    let (status, _, made) = server.send(&format!(
        "POST /make-a-request HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: lantern_request={cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    ));
    assert_eq!(status, 200, "{made}");
    let at = made.find("<strong>FOI-").expect("a reference");
    let rest = &made[at + 8..];
    rest[..rest.find('<').expect("end")].to_string()
}

/// Leicester with two answers sent: seed-000 (crack by age band, from a
/// named requester, retitled by the officer) and Sam Smith's e-mail (his
/// name in the From header and his sign-off).
fn two_sent() -> (TestApp, String) {
    let app = TestApp::leicester();
    let sam = send_signed_email(&app);
    let seed = example("requests/seed-000.toml");
    app.run(&[
        "request",
        "new",
        seed.to_str().expect("path"),
        "--requester",
        "Jo Bloggs",
        "--contact",
        "jo.bloggs@example.net",
    ])
    .ok();
    app.run(&["request", "title", "FOI-2019-0412", TITLE]).ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-01"])
            .ok();
    }
    app.run(&[
        "request",
        "send",
        "FOI-2019-0412",
        "--on",
        "2019-07-01",
        "--as-of",
        "2019-07-01",
    ])
    .ok();
    (app, sam)
}

fn entry<'a>(log: &'a serde_json::Value, reference: &str) -> &'a serde_json::Value {
    log["items"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["reference"] == reference))
        .unwrap_or_else(|| panic!("no {reference} in {log:#}"))
}

fn references(log: &serde_json::Value) -> Vec<String> {
    log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["reference"].as_str().expect("reference").to_string())
        .collect()
}

#[test]
fn each_sent_request_is_one_entry_with_its_title_questions_and_figures_in_words() {
    let (app, sam) = two_sent();
    let server = Server::start(&app);
    let log = server.json("/api/log");
    assert_eq!(log["total"], 2, "{log:#}");
    assert_eq!(log["pages"], 1);
    let seed = entry(&log, "FOI-2019-0412");
    assert_eq!(seed["title"], TITLE);
    assert_eq!(seed["letter"], "/letters/FOI-2019-0412");
    let question = &seed["questions"][0];
    assert!(
        question["text"].as_str().is_some_and(|t| t.len() > 20),
        "the question verbatim: {seed:#}"
    );
    let figures = question["figures"].as_array().expect("figures");
    assert!(!figures.is_empty(), "{seed:#}");
    // Labelled in words, never in codes.
    let text = seed["questions"].to_string();
    for code in ["age_band", "=*", "crack=crack", "people_in_treatment"] {
        assert!(!text.contains(code), "{code} in {seed:#}");
    }
    // The age bands as the letter words them.
    assert!(
        seed["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .flat_map(|q| q["figures"].as_array().into_iter().flatten())
            .any(|f| f["breakdown"] == "aged 40 and over" && f["released"] == "12 people"),
        "age bands in words: {seed:#}"
    );
    assert!(
        figures.iter().any(|f| f["released"] == "44 people"),
        "{seed:#}"
    );
    // Sam's e-mail keeps its subject as its title.
    assert_eq!(entry(&log, &sam)["title"], "FOI request");

    // The title changed before sending is in the history with who; after
    // sending it cannot change.
    let shown: serde_json::Value = serde_json::from_str(
        &app.run(&["request", "show", "FOI-2019-0412", "--json"])
            .ok(),
    )
    .expect("json");
    let retitled = shown["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|e| e["action"] == "retitle")
        .unwrap_or_else(|| panic!("no retitle in {shown:#}"))
        .clone();
    assert_eq!(retitled["note"], TITLE);
    assert!(retitled["actor"].as_str().is_some_and(|a| !a.is_empty()));
    let refused = app
        .run(&["request", "title", "FOI-2019-0412", "Another title"])
        .fails();
    assert!(refused.contains("only change before sending"), "{refused}");
    assert_eq!(
        entry(&server.json("/api/log"), "FOI-2019-0412")["title"],
        TITLE
    );

    // The page shows the same, linking the published reply.
    let (status, page) = server.get("/log");
    assert_eq!(status, 200);
    assert!(page.contains(TITLE), "{page}");
    assert!(page.contains("href=\"/letters/FOI-2019-0412\""), "{page}");
    assert!(page.contains("44 people"), "{page}");
    assert!(!page.contains("age_band"), "{page}");
}

#[test]
fn search_finds_words_in_titles_questions_and_indicator_names_and_filters_say_what_they_take() {
    let (app, sam) = two_sent();
    let server = Server::start(&app);
    // A word of a question (Sam asked about crack cocaine), of a title
    // ("crack", "users"), stemmed ("budgets" finds "budget").
    let crack = server.json("/api/log?search=crack");
    let mut found = references(&crack);
    found.sort();
    let mut both = vec!["FOI-2019-0412".to_string(), sam.clone()];
    both.sort();
    assert_eq!(found, both, "{crack:#}");
    assert_eq!(
        references(&server.json("/api/log?search=reporters")),
        vec![sam.clone()]
    );
    assert_eq!(
        references(&server.json("/api/log?search=crack%20mercury")),
        vec![sam.clone()],
        "every word must be found"
    );
    // An indicator's name: the catalogue's words, not the question's.
    let named = server.json("/api/log?search=treatment");
    assert!(
        references(&named).contains(&"FOI-2019-0412".to_string()),
        "{named:#}"
    );
    let none = server.json("/api/log?search=heliotrope");
    assert_eq!(none["total"], 0);
    // Operators and quotes are words, never syntax.
    for odd in ["%22crack", "crack%20OR", "NEAR(crack", "*", "%27%3B"] {
        let (status, body) = server.get(&format!("/api/log?search={odd}"));
        assert_eq!(status, 200, "{odd}: {body}");
    }

    // Filters: year, topic, outcome; each refused value names those allowed.
    assert_eq!(server.json("/api/log?year=2019")["total"], 2);
    let (status, body) = server.get("/api/log?year=2018");
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("year '2018'") && body.contains("2019"),
        "{body}"
    );
    let topics = server.json("/api/log?topic=people_in_treatment");
    assert!(
        references(&topics).contains(&"FOI-2019-0412".to_string()),
        "{topics:#}"
    );
    let (status, body) = server.get("/api/log?topic=people_in_treatmnet");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("people_in_treatment"), "{body}");
    let (status, body) = server.get("/log?topic=people_in_treatmnet");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("people_in_treatment"), "{body}");
    let (status, body) = server.get("/api/log?outcome=granted");
    assert_eq!(status, 400);
    assert!(body.contains("partly_answered"), "{body}");
    let outcome = entry(&server.json("/api/log"), "FOI-2019-0412")["outcome"]
        .as_str()
        .expect("outcome")
        .to_string();
    assert!(
        references(&server.json(&format!("/api/log?outcome={outcome}")))
            .contains(&"FOI-2019-0412".to_string())
    );
    // The old parameter, or any other, is refused rather than ignored.
    let (status, body) = server.get("/api/log?indicator=people_in_treatment");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("the log takes search, year"), "{body}");
    // Paging: a page past the last is refused with the last page's number.
    assert_eq!(server.json("/api/log?page=1")["page"], 1);
    let (status, body) = server.get("/api/log?page=2");
    assert_eq!(status, 400);
    assert!(body.contains("from 1 to 1"), "{body}");
    let (status, _) = server.get("/api/log?page=zero");
    assert_eq!(status, 400);

    // Downloads and the feed take the same filters.
    let (status, csv) = server.get("/log.csv?search=crack");
    assert_eq!(status, 200);
    assert!(csv.starts_with("reference,sent_at,title"), "{csv}");
    assert!(csv.contains(TITLE) && csv.contains("44 people"), "{csv}");
    let (status, json) = server.get("/log.json?outcome=granted");
    assert_eq!(status, 400, "{json}");
    let downloaded: serde_json::Value =
        serde_json::from_str(&server.get("/log.json?search=reporter").1).expect("json");
    assert_eq!(
        downloaded.as_array().map(Vec::len),
        Some(1),
        "{downloaded:#}"
    );
    let (status, atom) = server.get("/log.atom");
    assert_eq!(status, 200);
    assert!(
        atom.starts_with("<?xml") && atom.matches("<entry>").count() == 2,
        "{atom}"
    );
    assert!(atom.contains(TITLE), "{atom}");
}

#[test]
fn no_public_page_feed_download_or_api_reply_names_a_requester() {
    let (app, sam) = two_sent();
    // Figures published after the answers: their pages, API and download
    // are public too.
    app.write("by-sex.csv", crate::published_figures::BY_SEX);
    app.run(&["import", "figures", "by-sex.csv"]).ok();
    app.run(&[
        "--as-of",
        "2025-01-01",
        "publish",
        "people_in_treatment",
        "--from",
        "2022/23",
        "--by",
        "sex",
    ])
    .ok();
    app.run(&[
        "publication",
        "plan",
        "people_in_treatment",
        "--period",
        "2023/24",
        "--on",
        "2024-12-01",
    ])
    .ok();
    let server = Server::start(&app);
    // A request made through the public form by a named requester, taken
    // to sent: the form, the acknowledgement queued for them and the
    // answer published leave their name and address nowhere public.
    let formed = make_request_through_the_form(&server);
    let refer = [
        "request",
        "resolve",
        &formed,
        "--finding",
        "1",
        "--refer",
        "--note",
        "published by PHE",
    ];
    for step in [
        &["request", "draft", formed.as_str()][..],
        &refer,
        &["request", "draft", formed.as_str()],
        &["request", "approve", formed.as_str()],
    ] {
        app.run(step).ok();
    }
    let shown: serde_json::Value =
        serde_json::from_str(&app.run(&["request", "show", &formed, "--json"]).ok()).expect("json");
    let received = shown["received"].as_str().expect("received").to_string();
    app.run(&["request", "send", &formed, "--on", &received])
        .ok();
    let (_, log) = server.get("/api/log?per_page=100");
    assert!(log.contains(&formed), "{formed} is in the log: {log}");
    let mut checked = 0;
    for route in lantern_web::routes() {
        // A DOCX is compressed: its text is not searchable as bytes.
        if route.method != "GET"
            || route.action != lantern_app::policy::Action::ReadPublic
            || route.path.ends_with(".docx")
        {
            continue;
        }
        for reference in [sam.as_str(), "FOI-2019-0412", formed.as_str()] {
            let path = route
                .path
                .replace("{reference}", reference)
                .replace("{indicator}", "people_in_treatment");
            let mut paths = vec![path.clone()];
            if path.contains("figures") {
                for q in [
                    "indicator=people_in_treatment",
                    "period=2022/23",
                    "area=E06000016",
                ] {
                    paths.push(format!("{path}?{q}"));
                }
            }
            if path.contains("log") {
                for q in [
                    "search=crack",
                    "search=treatment",
                    "year=2019",
                    "outcome=partly_answered",
                ] {
                    paths.push(format!("{path}?{q}"));
                }
            }
            for p in paths {
                let (_, body) = server.get(&p);
                for personal in SAMS_DETAILS
                    .iter()
                    .chain(&["Jo Bloggs", "Bloggs", "jo.bloggs", "example.net"])
                    .chain(&[FORM_NAME, "Formfiller", FORM_EMAIL, "formfiller"])
                {
                    assert!(!body.contains(personal), "{personal} in {p}: {body}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "{checked} replies checked");
    // Searching for the requester's name finds nothing.
    assert_eq!(server.json("/api/log?search=Smith")["total"], 0);
    assert_eq!(server.json("/api/log?search=Formfiller")["total"], 0);
}

#[test]
fn the_log_page_of_a_small_database() {
    let (app, sam) = two_sent();
    let server = Server::start(&app);
    let (status, page) = server.get("/log");
    assert_eq!(status, 200);
    let page = page.replace(&sam, "SAMS-REFERENCE");
    insta::assert_snapshot!("public-log.html", page);
}

/// The server keeps pages of the log it rendered, but checks the log's
/// version with every request: an answer sent by another process (here the
/// CLI, as another server sharing the database would) shows at once on
/// the page and in the API, never a kept page from before it.
#[test]
fn an_answer_sent_by_another_process_shows_at_once_on_pages_read_before() {
    let app = TestApp::leicester();
    let sam = send_signed_email(&app);
    let server = Server::start(&app);
    let crack = server.json("/api/log?search=crack")["total"]
        .as_i64()
        .expect("total");
    for _ in 0..2 {
        assert_eq!(references(&server.json("/api/log")), vec![sam.clone()]);
        let (status, page) = server.get("/log");
        assert_eq!(status, 200);
        assert!(!page.contains("FOI-2019-0412"), "{page}");
        assert_eq!(server.json("/api/log?search=crack")["total"], crack);
    }
    let seed = example("requests/seed-000.toml");
    app.run(&["request", "new", seed.to_str().expect("path")])
        .ok();
    for step in ["draft", "approve"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-01"])
            .ok();
    }
    app.run(&[
        "request",
        "send",
        "FOI-2019-0412",
        "--on",
        "2019-07-01",
        "--as-of",
        "2019-07-01",
    ])
    .ok();
    let log = server.json("/api/log");
    assert_eq!(log["total"], 2, "{log:#}");
    entry(&log, "FOI-2019-0412");
    let (status, page) = server.get("/log");
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/letters/FOI-2019-0412\""), "{page}");
    assert_eq!(server.json("/api/log?search=crack")["total"], crack + 1);
}
