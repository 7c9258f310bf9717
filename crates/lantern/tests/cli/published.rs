//! Other people's names in the published copy: an e-mail naming a
//! caseworker, a council officer by title and someone copied in, taken in,
//! answered and sent through the built binary; the published copy (and the
//! disclosure log) lose the names but keep the council's name, the
//! substance and the figures.

use crate::{TestApp, example};

const QUESTION: &str = "My caseworker Jane Doe told me Mr Jones counted them for Leicester City Council. How many service users did you have listed as in treatment for crack cocaine each year for the past three years? Priya Shah at Public Health England asked too.";

/// Who must not appear in anything published.
const OTHERS: [&str; 5] = ["Jane", "Doe", "Jones", "Priya", "Shah"];

#[test]
fn other_peoples_names_are_removed_from_the_published_copy_and_the_log() {
    let app = TestApp::leicester();
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
    let email = app.write(
        "named.txt",
        &format!(
            "From: Sam Smith <sam.smith@example.org>\nCc: Priya Shah <priya@example.org>\nSubject: FOI request\n\nDear Mr Khan,\n\n1) {QUESTION}\n\nKind regards,\nSam Smith\n"
        ),
    );
    let opened: serde_json::Value = serde_json::from_str(
        &app.run(&[
            "request",
            "new",
            email.to_str().expect("path"),
            "--received",
            "2019-06-10",
            "--json",
        ])
        .ok(),
    )
    .expect("json");
    assert_eq!(opened["understood"], true, "{opened}");
    let reference = opened["reference"].as_str().expect("reference").to_string();
    for step in ["draft", "approve", "send"] {
        app.run(&["request", step, &reference, "--as-of", "2019-07-05"])
            .ok();
    }
    let letter = |extra: &[&str]| {
        let mut args = vec!["request", "letter", reference.as_str()];
        args.extend_from_slice(extra);
        app.run(&args).ok()
    };
    // The requester's own letter keeps their words.
    assert!(letter(&[]).contains("My caseworker Jane Doe told me Mr Jones"));
    for format in ["md", "html", "json"] {
        let published = letter(&["--published", "--format", format]);
        for name in OTHERS {
            assert!(
                !published.contains(name),
                "{name} in the published {format} copy: {published}"
            );
        }
        for kept in [
            "Leicester City Council",
            "Public Health England",
            "crack cocaine",
        ] {
            assert!(published.contains(kept), "{kept} lost: {published}");
        }
    }
    let published: serde_json::Value =
        serde_json::from_str(&letter(&["--published", "--format", "json"])).expect("json");
    assert_eq!(
        published["questions"][0]["text"],
        "My caseworker [name removed] told me [name removed] counted them for Leicester City Council. How many service users did you have listed as in treatment for crack cocaine each year for the past three years? [name removed] at Public Health England asked too."
    );
    let log = app.run(&["log", "--json"]).ok();
    assert!(log.contains(&reference), "{log}");
    for name in OTHERS {
        assert!(!log.contains(name), "{name} in the log: {log}");
    }
}
