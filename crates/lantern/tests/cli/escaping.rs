//! Letters and pages print data, never markup: a council name, release
//! titles and addresses, statements, figures' notes and the requester's
//! words that hold HTML, attribute breakers and `javascript:` links come out
//! as text in every renderer, and release addresses other than plain
//! `http`/`https` ones are refused at import.

use lantern_core::period::Period;
use lantern_core::release::Release;
use lantern_store::{ImportKind, ImportMeta};

use crate::{TestApp, example};

/// Text an attacker would put anywhere a letter prints data.
const HOSTILE: &str = r#"<script>alert(1)</script> "onload="alert(2) javascript:alert(3) [x](javascript:alert(4)) <img src=x onerror=alert(5)> <a href="javascript:alert(6)">y</a> &lt;b&gt;"#;

/// The tags a letter's HTML may hold, and the attributes they may have.
const TAGS: &[&str] = &[
    "!doctype",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "h1",
    "h2",
    "h3",
    "p",
    "strong",
    "em",
    "table",
    "caption",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "blockquote",
];
const ATTRIBUTES: &[&str] = &[
    "lang", "charset", "name", "content", "href", "style", "scope",
];

/// Every tag in `html` is one a letter may hold, with only harmless
/// attributes, and every link is a plain web address.
fn assert_no_executable_markup(html: &str) {
    let lower = html.to_lowercase();
    for (at, _) in lower.match_indices('<') {
        let rest = &lower[at + 1..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let tag = tag.trim_start_matches('/');
        let name = tag.split([' ', '\n', '\t']).next().unwrap_or_default();
        assert!(
            TAGS.contains(&name),
            "tag <{tag}> in the letter: {}",
            &html[at.saturating_sub(80)..(at + 80).min(html.len())]
        );
        if name == "!doctype" {
            continue;
        }
        for (key, value) in attributes(&tag[name.len()..]) {
            assert!(ATTRIBUTES.contains(&key), "attribute {key} in <{tag}>");
            if key == "scope" {
                assert!(value == "col" || value == "row", "scope {value}");
            }
            if key == "href" {
                assert!(
                    value.starts_with("https://") || value.starts_with("http://"),
                    "link to {value}"
                );
            }
        }
    }
}

/// The attributes of a tag (what follows its name): name and value.
fn attributes(mut rest: &str) -> Vec<(&str, &str)> {
    let mut out = vec![];
    loop {
        rest = rest.trim_start().trim_start_matches('/').trim_start();
        if rest.is_empty() {
            return out;
        }
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = &rest[..end];
        rest = &rest[end..];
        let value = match rest.strip_prefix('=') {
            Some(v) => match v.strip_prefix('"') {
                Some(quoted) => {
                    let close = quoted.find('"').unwrap_or(quoted.len());
                    rest = quoted.get(close + 1..).unwrap_or("");
                    &quoted[..close]
                }
                None => {
                    let close = v.find(char::is_whitespace).unwrap_or(v.len());
                    rest = &v[close..];
                    &v[..close]
                }
            },
            None => "",
        };
        out.push((key, value));
    }
}

/// The Leicester example with `HOSTILE` in every text a letter prints: the
/// council's details, releases (stored directly, as a database from before
/// addresses were checked may hold them), statements, figures' notes and the
/// first question. Returns the configuration and request to answer with.
fn hostile_council(app: &TestApp) -> (String, String) {
    let toml_text = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
    let config = format!(
        "[council]\nname = \"{t} Council\"\narea = \"E06000016\"\nteam = \"{t}\"\n\
         address = [\"{t}\", \"1 High Street\"]\nemail = \"{t}\"\nsignature = [\"{t}\", \"{t}\"]\n",
        t = toml_text
    );
    let config = app.write("hostile.toml", &config);

    // Statements and figures with hostile text, imported as usual.
    for (file, column) in [("statements.csv", "text"), ("figures.csv", "note")] {
        let mut reader = csv::Reader::from_path(example(file)).expect("example file");
        let headers = reader.headers().expect("header").clone();
        let at = headers.iter().position(|h| h == column).expect("column");
        let mut writer = csv::Writer::from_writer(vec![]);
        writer.write_record(&headers).expect("write");
        for record in reader.records() {
            let record = record.expect("record");
            let fields: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    if i == at && (column == "text" || record.get(8) == Some("")) {
                        // A note only where the figure has no qualifier.
                        format!("{f} {HOSTILE}").trim().to_string()
                    } else {
                        f.to_string()
                    }
                })
                .collect();
            writer.write_record(&fields).expect("write");
        }
        let text = String::from_utf8(writer.into_inner().expect("csv")).expect("utf-8");
        let path = app.write(&format!("hostile-{file}"), &text);
        let kind = file.trim_end_matches(".csv");
        app.run(&["import", kind, path.to_str().expect("path")])
            .ok();
    }

    // Releases with a hostile title, publisher and address, stored directly.
    let mut reader = csv::Reader::from_path(example("releases.csv")).expect("releases");
    let releases: Vec<(u64, Release)> = reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.expect("release");
            let field = |n: usize| r.get(n).unwrap_or_default().to_string();
            (
                i as u64 + 2,
                Release {
                    code: field(0),
                    title: format!("{} {HOSTILE}", field(1)),
                    publisher: HOSTILE.into(),
                    date: field(3).parse().expect("date"),
                    announced: None,
                    indicators: field(5).split('|').map(str::to_string).collect(),
                    periods: field(6)
                        .split('|')
                        .map(|p| Period::parse(p).expect("period"))
                        .collect(),
                    url: Some(format!("javascript:alert(7)//{HOSTILE}")),
                },
            )
        })
        .collect();
    let location = match app.database_name().as_str() {
        "lantern.db" => app.path("lantern.db").to_string_lossy().into_owned(),
        other => other.to_string(),
    };
    let mut store = lantern_store::open(&location).expect("open the store");
    store
        .import_releases(
            &ImportMeta {
                kind: ImportKind::Releases,
                file: "old-releases.csv".into(),
                sha256: "0".repeat(64),
                actor: "tester".into(),
                at: "2019-01-01T00:00:00Z".into(),
            },
            &releases,
        )
        .expect("store the releases");

    // The requester's words.
    let request = std::fs::read_to_string(example("requests/seed-000.toml")).expect("request");
    let request = request.replacen(
        "text = \"How many service users",
        &format!("text = \"{toml_text} How many service users"),
        1,
    );
    let request = app.write("hostile-request.toml", &request);
    (
        config.to_string_lossy().into_owned(),
        request.to_string_lossy().into_owned(),
    )
}

#[test]
fn hostile_data_comes_out_of_every_renderer_as_text() {
    let app = TestApp::leicester();
    let (config, request) = hostile_council(&app);
    let answer = |format: &str| {
        app.run(&["--config", &config, "answer", &request, "--format", format])
            .ok()
    };

    let html = answer("html");
    assert_no_executable_markup(&html);
    // What was hostile is shown, as text.
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(5)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&amp;lt;b&amp;gt;"),
        "entities are shown as typed: {html}"
    );
    assert!(
        html.contains("Public Health England") || html.contains("will publish them in"),
        "the section 22 notice is there: {html}"
    );
    // The stored javascript: address is not printed at all.
    assert!(!html.contains("alert(7)"), "{html}");

    let md = answer("md");
    // Every angle bracket from data is escaped for Markdown.
    assert!(
        md.match_indices('<')
            .all(|(at, _)| md[..at].ends_with('\\')),
        "{md}"
    );
    assert!(!md.contains("alert(7)"), "{md}");
    assert!(md.contains("\\<script\\>alert(1)\\</script\\>"), "{md}");
    assert_no_executable_markup(&lantern::render::markdown_to_html(&md));

    let json: serde_json::Value = serde_json::from_str(&answer("json")).expect("JSON");
    assert!(
        json["council"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("<script>")),
        "JSON carries the data as it is: {json}"
    );
    assert!(!json.to_string().contains("alert(7)"), "{json}");
}

#[test]
fn markdown_to_html_prints_raw_html_as_text_and_keeps_only_web_links() {
    let html = lantern::render::markdown_to_html(
        "<script>alert(1)</script>\n\n\
         a <b onclick=\"x\">b</b> [c](javascript:alert(2)) [d](https://example.org/d) \
         <javascript:alert(3)> ![e](https://example.org/e.png) [f](data:text/html,x)\n",
    );
    assert_no_executable_markup(&html);
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains(r#"<a href="https://example.org/d">d</a>"#),
        "{html}"
    );
    assert!(
        !html.contains("javascript:alert(2)") && !html.contains("data:"),
        "{html}"
    );
    assert!(
        html.contains(" c "),
        "a dropped link keeps its words: {html}"
    );
    assert!(
        html.contains(" e "),
        "an image becomes its description: {html}"
    );
}

#[test]
fn release_addresses_other_than_http_and_https_are_refused_at_import() {
    let app = TestApp::leicester();
    let header = "code,title,publisher,date,announced,indicators,periods,url\n";
    for url in [
        "javascript:alert(1)",
        "\"data:text/html,<script>alert(1)</script>\"",
        "https://example.org/<script>",
        "\"https://example.org/ \"\"onload=\"\"x\"",
        "/stats",
    ] {
        let path = app.write(
            "releases.csv",
            &format!("{header}r1,Title,Publisher,2019-11-07,,people_in_treatment,2018/19,{url}\n"),
        );
        let err = app
            .run(&["import", "releases", path.to_str().expect("path")])
            .fails();
        assert!(
            err.contains("releases.csv:2:8") && err.contains("https://"),
            "{url}: {err}"
        );
    }
    let path = app.write(
        "releases.csv",
        &format!("{header}r1,Title,Publisher,2019-11-07,,people_in_treatment,2018/19,HTTPS://example.org/r1?a=1&b=2\n"),
    );
    app.run(&["import", "releases", path.to_str().expect("path")])
        .ok();
}
