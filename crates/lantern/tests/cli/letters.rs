//! The letters themselves: snapshots reviewed against the seeds, and the
//! promise that the same request over the same data gives the same letter.

use std::io::Cursor;

use calamine::{Data, Reader as _};

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
        let html = app.answer(seed, "html").ok();
        insta::assert_snapshot!(format!("{seed}.html"), html);
    }
    insta::assert_snapshot!("seed-003.json", app.answer("seed-003", "json").ok());
}

#[test]
fn a_letter_records_its_data_version_and_can_be_made_again_after_the_data_changes() {
    let app = TestApp::leicester();
    let first = app.answer("seed-000", "md").ok();
    let version = app.data_version();
    // The data version is in the letter's JSON form (and the case record),
    // not in the letter: no software footer.
    assert_eq!(
        app.decisions("seed-000")["made_with"]["data_version"],
        version
    );
    assert!(
        !first.contains("Lantern") && !first.contains("data version"),
        "{first}"
    );
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

/// Casework commands read the council's details from ./lantern.toml.
fn with_config(app: &TestApp) {
    let config = std::fs::read_to_string(example("lantern.toml")).expect("example config");
    app.write("lantern.toml", &config);
}

fn open_seed_000(app: &TestApp, extra: &[&str]) {
    let request = example("requests/seed-000.toml");
    let mut args = vec!["request", "new", request.to_str().expect("path")];
    args.extend_from_slice(extra);
    app.run(&args).ok();
}

#[test]
fn the_requester_is_addressed_by_name_and_the_published_copy_has_no_name_or_contact() {
    let app = TestApp::leicester();
    with_config(&app);
    open_seed_000(
        &app,
        &[
            "--requester",
            "Jo Bloggs",
            "--contact",
            "jo.bloggs@example.org",
        ],
    );
    let letter = |extra: &[&str]| {
        let mut args = vec!["request", "letter", "FOI-2019-0412"];
        args.extend_from_slice(extra);
        app.run(&args).ok()
    };
    let draft = letter(&[]);
    assert!(
        draft.contains("**Date:** Draft — date of sending"),
        "{draft}"
    );
    assert!(draft.contains("Dear Jo Bloggs,"), "{draft}");
    assert!(draft.contains("Yours sincerely,"), "{draft}");

    // Decided, approved and sent as of the day the council's letter went out.
    for step in ["draft", "approve", "send"] {
        app.run(&["request", step, "FOI-2019-0412", "--as-of", "2019-07-05"])
            .ok();
    }
    let sent = letter(&[]);
    assert!(sent.contains("**Date:** 5 July 2019"), "{sent}");
    assert!(sent.contains("Dear Jo Bloggs,"), "{sent}");

    // The published copy: the same decisions, dated, without the requester.
    for format in ["md", "html", "json"] {
        let published = letter(&["--published", "--format", format]);
        for personal in ["Jo", "Bloggs", "jo.bloggs", "example.org"] {
            assert!(
                !published.contains(personal),
                "{personal} in the published {format} copy: {published}"
            );
        }
        assert!(published.contains("5 July 2019"), "{published}");
    }
    let published = letter(&["--published"]);
    assert!(published.contains("This is the published copy of our reply"));
    assert!(!published.contains("Dear ") && !published.contains("Yours "));
    // Everything but the addressing is the requester's letter.
    let body = |text: &str| {
        text.lines()
            .filter(|l| {
                !l.starts_with("Dear ")
                    && !l.starts_with("Yours ")
                    && !l.starts_with("*This is the published copy")
            })
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&published), body(&sent));
    let json: serde_json::Value =
        serde_json::from_str(&letter(&["--published", "--json"])).expect("json");
    assert_eq!(json["published"], true);
    assert!(json["addressee"].is_null());

    // The disclosure log and the kept draft never held the name.
    let log = app.run(&["log", "--json"]).ok();
    assert!(!log.contains("Bloggs"), "{log}");
}

#[test]
fn a_requester_whose_name_is_not_known_is_addressed_as_sir_or_madam() {
    let app = TestApp::leicester();
    with_config(&app);
    open_seed_000(&app, &[]);
    let letter = app.run(&["request", "letter", "FOI-2019-0412"]).ok();
    assert!(letter.contains("Dear Sir or Madam,"), "{letter}");
    assert!(letter.contains("Yours faithfully,"), "{letter}");
    // The sign-off is the council's signature from its settings.
    assert!(
        letter
            .trim_end()
            .ends_with("Information Governance & Risk Team\\\nLeicester City Council"),
        "{letter}"
    );
}

/// Seed 000 as a request that asks for a spreadsheet (s11).
fn spreadsheet_request(app: &TestApp) -> String {
    let text = std::fs::read_to_string(example("requests/seed-000.toml")).expect("seed");
    let text = text.replacen(
        "received = 2019-06-10\n",
        "received = 2019-06-10\nspreadsheet = true\n",
        1,
    );
    assert!(text.contains("spreadsheet = true"));
    let path = app.write("spreadsheet.toml", &text);
    path.to_str().expect("path").to_string()
}

fn answer(app: &TestApp, request: &str, extra: &[&str]) -> crate::Run {
    let config = example("lantern.toml");
    let mut args = vec![
        "--config",
        config.to_str().expect("path"),
        "answer",
        request,
    ];
    args.extend_from_slice(extra);
    app.run(&args)
}

#[test]
fn a_request_for_a_spreadsheet_gets_the_tables_as_csv() {
    let app = TestApp::leicester();
    let request = spreadsheet_request(&app);
    let letter = answer(&app, &request, &[]).ok();
    assert!(
        letter.contains("As you asked, the tables below are also sent to you as a spreadsheet"),
        "{letter}"
    );
    let csv = answer(&app, &request, &["--format", "csv"]).ok();
    // The count behind "fewer than 5" is not in the spreadsheet either.
    assert!(
        csv.contains(",under 25,2017/18,fewer than 5,,people,suppressed,s40_2"),
        "{csv}"
    );
    insta::assert_snapshot!("seed-000.csv", csv);
}

#[test]
fn the_xlsx_holds_the_letters_cells_on_visible_sheets_and_nothing_hidden() {
    let app = TestApp::leicester();
    let request = spreadsheet_request(&app);
    let err = answer(&app, &request, &["--format", "xlsx"]).fails();
    assert!(err.contains("--output"), "{err}");
    answer(
        &app,
        &request,
        &["--format", "xlsx", "--output", "answer.xlsx"],
    )
    .ok();
    let bytes = std::fs::read(app.path("answer.xlsx")).expect("written");

    // Nothing hidden: no comments or drawings in the package...
    let zip = zip::ZipArchive::new(Cursor::new(&bytes)).expect("a zip");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("a file name").to_string())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("comments") || n.contains("vmlDrawing") || n.contains("threaded")),
        "{names:?}"
    );
    // ...and every sheet visible, one per table.
    let mut book =
        calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes)).expect("xlsx");
    let sheets: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == calamine::SheetVisible::Visible))
        .collect();
    assert_eq!(
        sheets,
        [
            "Question 1",
            "Question 2",
            "Question 3a",
            "Question 3b",
            "Question 3c",
            "Question 4a",
            "Question 4b",
            "Question 4c"
        ]
        .iter()
        .map(|n| (n.to_string(), true))
        .collect::<Vec<_>>()
    );

    // The grid of question 2: bands by years, numbers where the letter gives one.
    let grid = book.worksheet_range("Question 2").expect("sheet");
    let cell = |r: u32, c: u32| grid.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    let text = |s: &str| Data::String(s.to_string());
    assert_eq!(
        cell(1, 0),
        text("People in treatment: using crack, by age band")
    );
    let header: Vec<Data> = (0..4).map(|c| cell(3, c)).collect();
    assert_eq!(
        header,
        vec![
            text("Age band"),
            text("2018/19"),
            text("2017/18"),
            text("2016/17")
        ]
    );
    let row = |label: &str| -> Vec<Data> {
        let r = (4..grid.height() as u32)
            .find(|r| cell(*r, 0) == text(label))
            .unwrap_or_else(|| panic!("no row {label}"));
        (1..4).map(|c| cell(r, c)).collect()
    };
    assert_eq!(
        row("aged 40 and over"),
        vec![
            text("withheld (section 22)"),
            Data::Float(12.0),
            text("not held")
        ]
    );
    assert_eq!(
        row("under 25"),
        vec![
            text("withheld (section 22)"),
            text("fewer than 5"),
            text("not held")
        ]
    );
    // The notes below the grid, as in the letter.
    let all: Vec<Data> = grid.rows().flatten().cloned().collect();
    assert!(all.contains(&text("2016/17: No age-related data is held for 2016/17.")));

    // Money in pounds, as a number, and the letter's words beside it.
    let budget = book.worksheet_range("Question 3a").expect("sheet");
    let value = |r: u32, c: u32| budget.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(value(4, 0), text("2014/15"));
    assert_eq!(value(4, 1), Data::Float(7_339_755.0));
    assert!(
        matches!(value(4, 2), Data::String(s) if s.starts_with("£7,339,755. Part of this included"))
    );
}

/// Age-band figures of one year: a total and every leaf band.
fn age_leaves(year: &str, counts: [u32; 13]) -> String {
    let bands = [
        "18", "19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59",
        "60-64", "65-69", "70+",
    ];
    let total: u32 = counts.iter().sum();
    let mut out =
        format!("people_in_treatment,E06000016,{year},,{total},ndtms_partnership,final\n");
    for (band, n) in bands.iter().zip(counts) {
        out.push_str(&format!(
            "people_in_treatment,E06000016,{year},{band},{n},ndtms_partnership,final\n"
        ));
    }
    out
}

#[test]
fn a_letter_with_the_requesters_own_bands_over_several_years_is_a_grid_in_md_html_and_csv() {
    let app = TestApp::empty();
    app.run(&["init"]).ok();
    let figures = format!(
        "indicator,area,period,age_band,value,source,status\n{}{}",
        age_leaves("2016/17", [2, 3, 9, 11, 8, 7, 6, 5, 4, 3, 0, 0, 0]),
        age_leaves("2017/18", [1, 1, 2, 10, 6, 5, 5, 5, 5, 0, 0, 0, 0]),
    );
    app.write("figures.csv", &figures);
    app.run(&["import", "figures", "figures.csv"]).ok();
    app.write(
        "request.toml",
        "reference = \"FOI-2019-0500\"\nreceived = 2019-06-10\narea = \"E06000016\"\nspreadsheet = true\n\n\
         [[question]]\nnumber = \"1\"\ntext = \"How many people were in treatment in 2016/17 and 2017/18, by age: under 25, 25 to 49 and 50 and over?\"\n\
         indicator = \"people_in_treatment\"\nperiods = [\"2016/17\", \"2017/18\"]\nbands = [\"18-24\", \"25-49\", \"50+\"]\n",
    );
    let run = |format: &str| {
        app.run(&["answer", "request.toml", "--format", format])
            .ok()
    };
    let md = run("md");
    // Years as columns, the requester's bands as rows, the cut said in words.
    assert!(md.contains("*People in treatment, by age band*"), "{md}");
    assert!(md.contains("| Age band | 2016/17 | 2017/18 |"), "{md}");
    insta::assert_snapshot!("own-bands.md", md);
    insta::assert_snapshot!("own-bands.html", run("html"));
    insta::assert_snapshot!("own-bands.csv", run("csv"));
}
