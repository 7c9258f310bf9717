//! Bad input gets a precise error, a non-zero exit and changes nothing.

use crate::{TestApp, example};

#[test]
fn a_malformed_figures_file_names_file_line_column_and_imports_nothing() {
    let app = TestApp::leicester();
    let version = app.data_version();
    let file = app.write(
        "bad.csv",
        "indicator,area,period,crack,value,source\n\
         people_in_treatment,E06000016,2019/20,crack,40,ndtms_partnership\n\
         people_in_treatment,E06000016,2020/22,crack,41,ndtms_partnership\n\
         people_in_treatment,E06000016,2021/22,crack,lots,ndtms_partnership\n",
    );
    let err = app
        .run(&["import", "figures", file.to_str().expect("path")])
        .fails();
    assert!(err.contains("bad.csv:3:3: period:"), "{err}");
    assert!(
        err.contains("2020/21"),
        "suggests the year it probably meant: {err}"
    );
    assert!(err.contains("bad.csv:4:5: value:"), "{err}");
    assert!(err.contains("nothing from it was imported"), "{err}");
    assert_eq!(
        app.data_version(),
        version,
        "the good first row was not imported either"
    );
    let held = app.run(&["figures", "people_in_treatment", "--json"]).ok();
    assert!(!held.contains("2019/20"), "{held}");
}

#[test]
fn an_unknown_indicator_is_an_error_naming_the_nearest_codes() {
    let app = TestApp::leicester();
    let file = app.write(
        "typo.csv",
        "indicator,area,period,value,source\nnaloxone_kits_isued,E06000016,2019/20,12,contract_monitoring\n",
    );
    let err = app
        .run(&["import", "figures", file.to_str().expect("path")])
        .fails();
    assert!(err.contains("typo.csv:2:1: indicator: unknown indicator 'naloxone_kits_isued'; did you mean naloxone_kits_issued"), "{err}");
    let err = app.run(&["figures", "people_in_treatmnt"]).fails();
    assert!(err.contains("did you mean people_in_treatment"), "{err}");
}

#[test]
fn a_request_with_an_unknown_indicator_or_impossible_period_is_refused_clearly() {
    let app = TestApp::leicester();
    let good = std::fs::read_to_string(example("requests/seed-000.toml")).expect("example");
    let bad = app.write(
        "unknown.toml",
        &good.replacen("\"people_in_treatment\"", "\"crack_users\"", 1),
    );
    let err = app
        .run(&["answer", bad.to_str().expect("path"), "--format", "json"])
        .fails();
    assert!(err.contains("unknown.toml:"), "{err}");
    assert!(err.contains("unknown indicator 'crack_users'"), "{err}");
    let bad = app.write(
        "period.toml",
        &good.replacen("\"2017/18\"", "\"2017/19\"", 1),
    );
    let err = app.run(&["answer", bad.to_str().expect("path")]).fails();
    assert!(err.contains("period.toml:17:"), "{err}");
    assert!(err.contains("'2017/19' is not a period"), "{err}");
    let bad = app.write("broken.toml", "reference = \"X\"\nreceived = \n");
    let err = app.run(&["answer", bad.to_str().expect("path")]).fails();
    assert!(err.contains("broken.toml:2:"), "{err}");
}

#[test]
fn commands_without_a_database_say_how_to_make_one() {
    let app = TestApp::empty();
    let err = app.run(&["figures", "budget"]).fails();
    assert!(err.contains("lantern init"), "{err}");
    assert!(
        !app.path("lantern.db").exists(),
        "a failed command creates no database"
    );
}

#[test]
fn a_bad_configuration_file_is_reported_with_its_location() {
    let app = TestApp::leicester();
    app.write("lantern.toml", "[disclosure]\nthreshold = 1\n");
    let err = app.run(&["imports"]).fails();
    assert!(err.contains("threshold"), "{err}");
    app.write("lantern.toml", "[council]\nnam = \"x\"\n");
    let err = app.run(&["imports"]).fails();
    assert!(err.contains("lantern.toml:2:1"), "{err}");
}

#[test]
fn a_catalogue_extension_that_redefines_an_indicator_is_refused() {
    let app = TestApp::leicester();
    let ext = app.write(
        "council.toml",
        "[[indicator]]\ncode = \"budget\"\ntitle = \"B\"\ndescription = \"d\"\nunit = \"gbp\"\ncounts_people = false\n",
    );
    let err = app
        .run(&["import", "catalogue", ext.to_str().expect("path")])
        .fails();
    assert!(err.contains("already defined"), "{err}");
}

#[test]
fn misspelt_columns_in_statements_and_releases_are_refused() {
    let app = TestApp::leicester();
    let file = app.write(
        "s.csv",
        "topic,area,text,valid_form\nnaloxone.purchaser,E06000016,Turning Point,2020-01-01\n",
    );
    let err = app
        .run(&["import", "statements", file.to_str().expect("path")])
        .fails();
    assert!(
        err.contains("s.csv:1:4: valid_form:") && err.contains("did you mean valid_from"),
        "{err}"
    );
    let file = app.write(
        "r.csv",
        "code,title,publisher,date,indicators,periods\nx,Stats,,2030-01-01,budget,2028/29\n",
    );
    let err = app
        .run(&["import", "releases", file.to_str().expect("path")])
        .fails();
    assert!(err.contains("r.csv:2:3: publisher:"), "{err}");
}

#[test]
fn a_missing_templates_folder_is_an_error_not_a_silent_fallback() {
    let app = TestApp::leicester();
    app.write(
        "lantern.toml",
        "[council]\nname = \"X\"\narea = \"E06000016\"\n[letters]\ntemplates = \"nowhere\"\n",
    );
    let request = example("requests/seed-000.toml");
    let err = app
        .run(&["answer", request.to_str().expect("path")])
        .fails();
    assert!(
        err.contains("nowhere") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let app = TestApp::leicester();
    let mut child = app
        .command(&["figures", "spend"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
