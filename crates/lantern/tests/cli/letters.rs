//! The letters themselves: snapshots reviewed against the seeds, and the
//! promise that the same request over the same data gives the same letter.

use crate::{TestApp, example};

#[test]
fn demo_writes_the_three_letters_and_prints_their_paths() {
    let app = TestApp::empty();
    let out = app.run(&["demo"]).ok();
    let paths: Vec<&str> = out.lines().collect();
    assert_eq!(
        paths,
        vec![
            "letters/seed-000.md",
            "letters/seed-002.md",
            "letters/seed-003.md"
        ]
    );
    for p in paths {
        let text = std::fs::read_to_string(app.path(p)).expect("letter written");
        assert!(text.starts_with("# Freedom of Information Act 2000"));
        assert!(text.contains("Open Government Licence"));
        assert!(text.contains("Information Commissioner"));
    }
    // Running the demo again changes no data and rewrites the same letters.
    let before = std::fs::read_to_string(app.path("letters/seed-000.md")).expect("letter");
    let version = app.data_version();
    app.run(&["demo"]).ok();
    assert_eq!(app.data_version(), version);
    assert_eq!(
        std::fs::read_to_string(app.path("letters/seed-000.md")).expect("letter"),
        before
    );
}

#[test]
fn letters_match_their_reviewed_snapshots() {
    let app = TestApp::leicester();
    for seed in ["seed-000", "seed-002", "seed-003"] {
        let letter = app.answer(seed, "md").ok();
        insta::assert_snapshot!(format!("{seed}.md"), letter);
    }
    insta::assert_snapshot!("seed-000.html", app.answer("seed-000", "html").ok());
    insta::assert_snapshot!("seed-003.json", app.answer("seed-003", "json").ok());
}

#[test]
fn a_letter_records_its_data_version_and_can_be_made_again_after_the_data_changes() {
    let app = TestApp::leicester();
    let first = app.answer("seed-000", "md").ok();
    let version = app.data_version();
    assert!(first.contains(&format!("from data version {version};")));
    assert_eq!(
        app.answer("seed-000", "md").ok(),
        first,
        "answering twice gives the same letter"
    );

    // A revised figure changes the letter made now...
    let revised = app.write(
        "revision.csv",
        "indicator,area,period,crack,value,source\npeople_in_treatment,E06000016,2017/18,crack,45,ndtms_partnership\n",
    );
    app.run(&["import", "figures", revised.to_str().expect("path")])
        .ok();
    let now = app.answer("seed-000", "md").ok();
    assert!(now.contains("45 people") && !now.contains("44 people"));

    // ...but the letter made from the earlier data version is reproduced exactly.
    let config = example("lantern.toml");
    let request = example("requests/seed-000.toml");
    let again = app
        .run(&[
            "--config",
            config.to_str().expect("path"),
            "answer",
            request.to_str().expect("path"),
            "--data-version",
            &version.to_string(),
        ])
        .ok();
    assert_eq!(again, first);
}

#[test]
fn a_council_can_replace_the_letter_template() {
    let app = TestApp::leicester();
    std::fs::create_dir_all(app.path("templates")).expect("dir");
    app.write(
        "templates/letter.md.j2",
        "Dear requester, {{ letter.request.reference }} is {{ letter.holding }}.\n",
    );
    app.write("lantern.toml", "[council]\nname = \"Test Council\"\narea = \"E06000016\"\n[letters]\ntemplates = \"templates\"\n");
    let request = example("requests/seed-000.toml");
    let out = app.run(&["answer", request.to_str().expect("path")]).ok();
    assert_eq!(out, "Dear requester, FOI-2019-0412 is some.\n");
}

#[test]
fn output_files_are_written_whole() {
    let app = TestApp::leicester();
    let config = example("lantern.toml");
    let request = example("requests/seed-003.toml");
    app.run(&[
        "--config",
        config.to_str().expect("path"),
        "answer",
        request.to_str().expect("path"),
        "--format",
        "html",
        "--output",
        "out/letter.html",
    ])
    .ok();
    let html = std::fs::read_to_string(app.path("out/letter.html")).expect("written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    let leftovers: Vec<_> = std::fs::read_dir(app.path("out")).expect("dir").collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");
}
