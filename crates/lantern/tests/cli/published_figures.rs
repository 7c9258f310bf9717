//! Published figures for the public and the publication calendar, from the
//! built binary and a real `lantern serve` (an SQLite file, or PostgreSQL
//! with `LANTERN_TEST_BACKEND=postgres`): `lantern publish` is a release
//! (its cells in the disclosure log, audited, a small count "fewer than 5"
//! and its complement withheld, never the number); later answers are
//! checked against it; `/figures`, `/figures/{indicator}`, `/api/figures`
//! (paged, filters refused when unknown) and `/figures.csv` show it in
//! words; `/publications` shows planned publications, late ones as late.

use serde_json::Value;

use crate::TestApp;
use crate::serve::Server;

/// People in treatment by sex: "other" in 2022/23 is 4 (small).
pub(crate) const BY_SEX: &str = "indicator,area,period,sex,value,source,status\n\
people_in_treatment,E06000016,2022/23,,1200,ndtms_partnership,final\n\
people_in_treatment,E06000016,2022/23,male,800,ndtms_partnership,final\n\
people_in_treatment,E06000016,2022/23,female,396,ndtms_partnership,final\n\
people_in_treatment,E06000016,2022/23,other,4,ndtms_partnership,final\n\
people_in_treatment,E06000016,2023/24,,1250,ndtms_partnership,final\n\
people_in_treatment,E06000016,2023/24,male,830,ndtms_partnership,final\n\
people_in_treatment,E06000016,2023/24,female,410,ndtms_partnership,final\n\
people_in_treatment,E06000016,2023/24,other,10,ndtms_partnership,final\n";

/// Leicester with people in treatment by sex published for 2022/23 and 2023/24.
pub(crate) fn published() -> TestApp {
    let app = TestApp::leicester();
    let published = publish_by_sex(&app);
    assert_eq!(published["reference"], "PUB-0001", "{published:#}");
    assert_eq!(published["fewer_than"], 1, "{published:#}");
    assert_eq!(published["withheld"], 1, "{published:#}");
    app
}

/// Import [`BY_SEX`] into `app` and publish it (2022/23 and 2023/24, by
/// sex, on 1 January 2025): what `lantern publish --json` said.
pub(crate) fn publish_by_sex(app: &TestApp) -> Value {
    app.write("by-sex.csv", BY_SEX);
    app.run(&["import", "figures", "by-sex.csv"]).ok();
    let out = app
        .run(&[
            "--as-of",
            "2025-01-01",
            "publish",
            "people_in_treatment",
            "--from",
            "2022/23",
            "--to",
            "2023/24",
            "--by",
            "sex",
            "--json",
        ])
        .ok();
    serde_json::from_str(&out).expect("publish --json")
}

fn log(app: &TestApp) -> Vec<Value> {
    let out = app.run(&["log", "--json"]).ok();
    serde_json::from_str::<Value>(&out)
        .expect("log --json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_publication_is_a_release_in_the_log_audited_and_later_answers_keep_to_it() {
    let app = published();
    let lines: Vec<Value> = log(&app)
        .into_iter()
        .filter(|e| e["reference"] == "PUB-0001")
        .collect();
    assert_eq!(lines.len(), 8, "{lines:#?}");
    let other = lines
        .iter()
        .find(|e| e["period"] == "2022/23" && e["breakdown"] == "sex=other")
        .expect("the small count's line");
    assert_eq!(other["released"], "fewer than 5");
    assert!(other["value"].is_null(), "{other}");
    // One more cell is withheld, so 1,200 − 800 − female cannot give 4.
    let female = lines
        .iter()
        .find(|e| e["period"] == "2022/23" && e["breakdown"] == "sex=female")
        .expect("female");
    assert_eq!(female["decision"], "suppressed", "{female}");

    // Audited with who published it.
    let imports: Value =
        serde_json::from_str(&app.run(&["imports", "--json"]).ok()).expect("imports --json");
    assert!(
        imports
            .as_array()
            .expect("imports")
            .iter()
            .any(|i| i["kind"] == "publication" && i["actor"] == "tester"),
        "{imports:#}"
    );

    // A later request for the withheld cell alone is refused it: the
    // publication is in the table disclosure control protects.
    app.write(
        "later.toml",
        "reference = \"FOI-2025-0001\"\nreceived = 2025-02-01\narea = \"E06000016\"\n\n\
         [[question]]\nnumber = \"1\"\ntext = \"How many women were in treatment in 2022/23?\"\n\
         indicator = \"people_in_treatment\"\nfilter = { sex = \"female\" }\nperiods = [\"2022/23\"]\n",
    );
    let letter: Value = serde_json::from_str(
        &app.run(&[
            "--as-of",
            "2025-02-03",
            "answer",
            "later.toml",
            "--format",
            "json",
        ])
        .ok(),
    )
    .expect("answer json");
    let row = &letter["questions"][0]["rows"][0];
    assert_eq!(row["decision"], "suppressed", "{row:#}");
    assert_ne!(row["text"], "396 people");

    // Publishing needs figures: an indicator with none held is refused and
    // nothing is published.
    let refused = app.run(&[
        "--as-of",
        "2025-01-01",
        "publish",
        "people_in_treatment",
        "--from",
        "2010/11",
    ]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("nothing was published"),
        "{}",
        refused.stderr
    );
    let bad = app.run(&["publish", "people_in_treatmnt", "--from", "2022/23"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("people_in_treatment"), "{}", bad.stderr);
    let bad = app.run(&[
        "publish",
        "people_in_treatment",
        "--from",
        "2022/23",
        "--by",
        "colour",
    ]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("--by colour"), "{}", bad.stderr);
    assert_eq!(
        log(&app)
            .iter()
            .filter(|e| e["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("PUB-")))
            .count(),
        8
    );
}

#[test]
fn the_public_sees_published_figures_in_words_with_small_counts_as_fewer_than_5() {
    let app = published();
    let server = Server::start(&app);
    let (status, index) = server.get("/figures");
    assert_eq!(status, 200);
    assert!(index.contains("People in treatment"), "{index}");
    let (status, page) = server.get("/figures/people_in_treatment");
    assert_eq!(status, 200, "{page}");
    // The table beside each chart says it, not only the page's notes.
    assert!(page.contains(">fewer than 5</td>"), "{page}");
    assert!(page.contains(">1,200 people</td>"), "{page}");
    // One table for the totals, one by sex, each with its chart; the
    // breakdown in words.
    assert_eq!(page.matches("<table").count(), 2, "{page}");
    assert_eq!(page.matches("<svg").count(), 2, "{page}");
    assert!(page.contains("People in treatment by sex, "), "{page}");
    assert!(page.contains(">other or not stated</th>"), "{page}");
    // Labels in words: no breakdown codes, never the small number.
    assert!(
        !page.contains("sex=") && !page.contains(">4 people"),
        "{page}"
    );
    assert!(!page.contains(">people_in_treatment<"), "{page}");
    let (status, _) = server.get("/figures/budget");
    assert_eq!(status, 404);

    let api = server.json("/api/figures");
    assert_eq!(api["total"], 8, "{api:#}");
    assert_eq!(api["pages"], 1);
    assert_eq!(api["per_page"], 20);
    assert!(api["links"]["next"].is_null(), "{api:#}");
    let cells = api["items"].as_array().expect("items");
    let small = cells
        .iter()
        .find(|c| c["status"] == "fewer_than")
        .expect("a small count");
    assert_eq!(small["figure"], "fewer than 5");
    assert!(small["value"].is_null(), "{small}");
    assert_eq!(small["breakdown"], "other or not stated");
    assert_eq!(small["indicator_name"], "People in treatment");
    assert!(!api.to_string().contains("sex="), "{api:#}");
    assert_eq!(
        server.json("/api/figures?indicator=people_in_treatment&period=2023/24&area=E06000016")["total"],
        4
    );
    // Paged as every list of the API: the filters kept in the links.
    let first = server.json("/api/figures?indicator=people_in_treatment&per_page=3");
    assert_eq!(
        (&first["total"], &first["pages"]),
        (&8.into(), &3.into()),
        "{first:#}"
    );
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));
    let next = first["links"]["next"].as_str().expect("a next page");
    assert_eq!(
        next,
        "/api/figures?indicator=people_in_treatment&page=2&per_page=3"
    );
    let last = server.json("/api/figures?indicator=people_in_treatment&page=3&per_page=3");
    assert_eq!(last["items"].as_array().map(Vec::len), Some(2), "{last:#}");
    assert!(last["links"]["next"].is_null(), "{last:#}");
    let mut seen: Vec<String> = [&first, &server.json(next), &last]
        .iter()
        .flat_map(|p| p["items"].as_array().cloned().unwrap_or_default())
        .map(|c| c.to_string())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8, "every cell once across the pages");
    for (query, says) in [
        (
            "indicator=people_in_treatmnt",
            "indicator=people_in_treatmnt",
        ),
        ("area=E06000017", "published areas: E06000016"),
        ("period=someday", "period=someday"),
        ("period=2019/20", "nothing is published"),
        ("page=2", "from 1 to 1"),
        ("page=0", "page '0' is not allowed"),
        ("per_page=101", "from 1 to 100"),
        ("per_page=0", "per_page '0'"),
        ("colour=red", "indicator, area, period, page and per_page"),
    ] {
        let (status, body) = server.get(&format!("/api/figures?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(says), "{query}: {body}");
    }
    let (status, csv) = server.get("/figures.csv?period=2022/23");
    assert_eq!(status, 200);
    assert!(csv.starts_with("publication,indicator,area"), "{csv}");
    assert!(
        csv.contains("fewer than 5") && !csv.contains("sex="),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5, "{csv}");
}

/// The server keeps the pages of published figures it rendered, but
/// checks the publications' version with every request: a publication
/// made by another process (here the CLI, as an analyst's publish through
/// another server sharing the database would) shows at once on the
/// indicator's page, the list of indicators and the API, never a kept
/// page from before it; and a refusal is never kept in place of a page.
#[test]
fn a_publication_by_another_process_shows_at_once_on_pages_read_before() {
    let app = published();
    let server = Server::start(&app);
    for _ in 0..2 {
        let (status, page) = server.get("/figures/people_in_treatment");
        assert_eq!(status, 200);
        assert!(page.contains("(PUB-0001)"), "{page}");
        assert!(!page.contains("PUB-0002"), "{page}");
        let (status, index) = server.get("/figures");
        assert_eq!(status, 200);
        assert!(
            index.contains("People in treatment, 2022&#x2f;23 to 2023&#x2f;24"),
            "{index}"
        );
        assert_eq!(server.json("/api/figures")["total"], 8);
        let (status, _) = server.get("/api/figures?period=2024/25");
        assert_eq!(status, 400, "nothing published for 2024/25 yet");
    }
    app.write(
        "2024.csv",
        "indicator,area,period,sex,value,source,status\n\
         people_in_treatment,E06000016,2024/25,,1300,ndtms_partnership,final\n",
    );
    app.run(&["import", "figures", "2024.csv"]).ok();
    app.run(&[
        "--as-of",
        "2026-01-01",
        "publish",
        "people_in_treatment",
        "--from",
        "2024/25",
    ])
    .ok();
    let (status, page) = server.get("/figures/people_in_treatment");
    assert_eq!(status, 200);
    assert!(
        page.contains("(PUB-0002)"),
        "the new publication at once: {page}"
    );
    assert!(page.contains(">1,300 people</td>"), "{page}");
    assert!(
        page.contains("People in treatment, 2022&#x2f;23 to 2023&#x2f;24, published"),
        "the first among the earlier ones: {page}"
    );
    let (_, index) = server.get("/figures");
    assert!(
        index.contains("People in treatment, 2024&#x2f;25"),
        "{index}"
    );
    assert_eq!(server.json("/api/figures")["total"], 9);
    assert_eq!(server.json("/api/figures?period=2024/25")["total"], 1);
}

#[test]
fn the_calendar_shows_planned_published_and_late_publications() {
    let app = published();
    for (period, on) in [
        ("2023/24", "2024-12-15"),
        ("2021/22", "2024-06-01"),
        ("2026/27", "2099-01-01"),
    ] {
        app.run(&[
            "publication",
            "plan",
            "people_in_treatment",
            "--period",
            period,
            "--on",
            on,
        ])
        .ok();
    }
    let bad = app.run(&[
        "publication",
        "plan",
        "people_in_treatment",
        "--period",
        "2024/25",
        "--on",
        "soon",
    ]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("YYYY-MM-DD"), "{}", bad.stderr);
    let server = Server::start(&app);
    let calendar = server.json("/api/publications");
    let statuses: Vec<(String, String)> = calendar["publications"]
        .as_array()
        .expect("publications")
        .iter()
        .map(|p| {
            (
                p["planned_on"].as_str().unwrap_or_default().to_string(),
                p["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("2024-06-01".to_string(), "late".to_string()),
            ("2024-12-15".to_string(), "published".to_string()),
            ("2099-01-01".to_string(), "planned".to_string()),
        ]
    );
    let (status, page) = server.get("/publications");
    assert_eq!(status, 200);
    assert!(
        page.contains("Late") && page.contains("2024-06-01"),
        "a late plan is shown: {page}"
    );
    assert!(!page.contains("people_in_treatment<"), "{page}");
}
