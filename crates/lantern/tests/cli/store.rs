//! The store behind the CLI: imports are idempotent and audited, and a
//! council can extend the catalogue.

use crate::{TestApp, example};

#[test]
fn init_creates_a_database_once() {
    let app = TestApp::empty();
    let out = app.run(&["init"]).ok();
    assert!(
        out.contains(&format!("Created {}", app.database_name())),
        "{out}"
    );
    let out = app.run(&["init"]).ok();
    assert!(out.contains("already a Lantern database"), "{out}");
    let out = app.run(&["--database", "other.db", "init"]).ok();
    assert!(out.contains("other.db"), "{out}");
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    let figures = example("figures.csv");
    let first = app
        .run(&[
            "import",
            "figures",
            figures.to_str().expect("path"),
            "--json",
        ])
        .ok();
    let first: serde_json::Value = serde_json::from_str(&first).expect("json");
    assert!(first["added"].as_u64().unwrap_or(0) > 50);
    let second = app
        .run(&[
            "import",
            "figures",
            figures.to_str().expect("path"),
            "--json",
        ])
        .ok();
    let second: serde_json::Value = serde_json::from_str(&second).expect("json");
    assert_eq!(second["added"], 0);
    assert_eq!(second["replaced"], 0);
    assert_eq!(second["unchanged"], first["added"]);
    assert_eq!(second["data_version"], first["data_version"]);
}

#[test]
fn figures_show_values_and_provenance() {
    let app = TestApp::leicester();
    let out = app
        .run(&[
            "figures", "budget", "--from", "2018/19", "--to", "2019-20", "--json",
        ])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let figures = v["figures"].as_array().expect("figures");
    assert!(!figures.is_empty());
    assert!(figures.iter().all(|f| f["period"] != "2014/15"));
    let approx = figures
        .iter()
        .find(|f| f["kind"] == "approx")
        .expect("the 2019/20 approximate budget");
    assert_eq!(approx["value"], "680000-700000");
    assert_eq!(
        approx["provenance"]["file"],
        "examples/leicester/figures.csv"
    );
    assert_eq!(approx["provenance"]["actor"], "tester");
    let table = app.run(&["figures", "budget"]).ok();
    assert!(table.contains("£7,339,755"), "{table}");
}

#[test]
fn a_council_extension_adds_an_indicator_figures_can_use() {
    let app = TestApp::leicester();
    let ext = app.write(
        "council.toml",
        "[[indicator]]\ncode = \"hep_c_tests\"\ntitle = \"Hepatitis C tests\"\ndescription = \"People tested\"\nunit = \"people\"\ncounts_people = true\n",
    );
    app.run(&["import", "catalogue", ext.to_str().expect("path")])
        .ok();
    let figs = app.write(
        "hep.csv",
        "indicator,area,period,value,source\nhep_c_tests,E06000016,2020/21,120,contract_monitoring\n",
    );
    app.run(&["import", "figures", figs.to_str().expect("path")])
        .ok();
    let out = app.run(&["figures", "hep_c_tests"]).ok();
    assert!(out.contains("120"), "{out}");
}

#[test]
fn a_dump_moves_everything_between_sqlite_and_postgresql_and_back() {
    let Some(server) = lantern_store::testing::postgres_server() else {
        eprintln!("LANTERN_TEST_POSTGRES=off: round trip not run");
        return;
    };
    let app = TestApp::leicester();
    let letter = app.answer("seed-000", "md").ok();
    app.run(&["export", "first.jsonl"]).ok();

    let pg = lantern_store::testing::TestDb::postgres(&server);
    let url = pg.location();
    let out = app
        .run(&["--database", &url, "import", "dump", "first.jsonl"])
        .ok();
    assert!(out.contains("Restored first.jsonl"), "{out}");
    app.run(&["--database", &url, "export", "second.jsonl"])
        .ok();

    let sqlite = app.path("copy.db");
    let sqlite = sqlite.to_str().expect("path");
    app.run(&["--database", sqlite, "import", "dump", "second.jsonl"])
        .ok();
    app.run(&["--database", sqlite, "export", "third.jsonl"])
        .ok();

    let read = |name: &str| std::fs::read_to_string(app.path(name)).expect("dump written");
    assert_eq!(
        read("first.jsonl"),
        read("second.jsonl"),
        "SQLite → PostgreSQL keeps everything"
    );
    assert_eq!(
        read("second.jsonl"),
        read("third.jsonl"),
        "PostgreSQL → SQLite keeps everything"
    );

    // The moved database answers the same request with the same letter.
    let config = example("lantern.toml");
    let request = example("requests/seed-000.toml");
    let moved = app
        .run(&[
            "--database",
            &url,
            "--config",
            config.to_str().expect("path"),
            "answer",
            request.to_str().expect("path"),
        ])
        .ok();
    assert_eq!(moved, letter);
    // A database that already holds data refuses a dump.
    let err = app
        .run(&["--database", sqlite, "import", "dump", "first.jsonl"])
        .fails();
    assert!(err.contains("already holds data"), "{err}");
}

#[test]
fn an_unreachable_or_wrong_postgresql_url_is_one_clear_line() {
    let app = TestApp::empty();
    let err = app
        .run(&[
            "--database",
            "postgres://postgres@127.0.0.1:1/lantern",
            "figures",
            "budget",
        ])
        .fails();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot connect to PostgreSQL at 127.0.0.1:1/lantern: "),
        "{err}"
    );
    if let Some(server) = lantern_store::testing::postgres_server() {
        let base = server
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(server);
        let err = app
            .run(&["--database", &format!("{base}/no_such_lantern_db"), "init"])
            .fails();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("no_such_lantern_db") && err.contains("does not exist"),
            "{err}"
        );
    }
}

#[test]
fn migrate_reports_the_schema_and_keeps_a_current_catalogue_as_it_is() {
    let app = TestApp::leicester();
    let version = app.data_version();
    let out = app.run(&["migrate"]).ok();
    assert!(
        out.contains(&format!("schema version {}", lantern_store::SCHEMA_VERSION)),
        "{out}"
    );
    assert!(!out.contains("catalogue now starts"), "{out}");
    assert_eq!(app.data_version(), version, "nothing changed");
    let imports = app.run(&["imports", "--json"]).ok();
    assert!(
        !imports.contains("Lantern 0"),
        "no import is recorded: {imports}"
    );
}
