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
    // Each letter is dated the day the real one went out (the request
    // file's `answered`), as the seeds were.
    for (p, date) in paths
        .iter()
        .zip(["5 July 2019", "11 July 2022", "16 May 2017"])
    {
        let text = std::fs::read_to_string(app.path(p)).expect("letter written");
        assert!(text.starts_with("# Freedom of Information Act 2000"));
        assert!(text.contains(&format!("**Date:** {date}\\\n")), "{text}");
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
fn a_letter_decided_on_a_stated_day_is_dated_that_day_and_otherwise_is_a_draft() {
    let app = TestApp::leicester();
    let seed = example("requests/seed-000.toml");
    let seed = seed.to_str().expect("path");
    let date_line = |letter: &str| {
        letter
            .lines()
            .find(|l| l.starts_with("**Date:**"))
            .unwrap_or_else(|| panic!("no date line: {letter}"))
            .to_string()
    };
    // The day the file records it was answered.
    let recorded = answer(&app, seed, &[]).ok();
    assert_eq!(date_line(&recorded), "**Date:** 5 July 2019\\");
    // --as-of decides, and dates, on another day.
    let later = answer(&app, seed, &["--as-of", "2019-07-08"]).ok();
    assert_eq!(date_line(&later), "**Date:** 8 July 2019\\");
    let json: serde_json::Value = serde_json::from_str(
        &answer(&app, seed, &["--as-of", "2019-07-08", "--format", "json"]).ok(),
    )
    .expect("json");
    assert_eq!(json["date"], "2019-07-08");
    assert_eq!(json["request"]["decided"], "2019-07-08");

    // Without either it is decided today: a draft, whatever it finds.
    let text = std::fs::read_to_string(example("requests/seed-000.toml")).expect("seed");
    let undated = text.replacen("answered = 2019-07-05\n", "", 1);
    assert_ne!(undated, text);
    let undated = app.write("undated.toml", &undated);
    let undated = undated.to_str().expect("path");
    let draft = answer(&app, undated, &[]).ok();
    assert_eq!(date_line(&draft), "**Date:** Draft — date of sending\\");
    let json: serde_json::Value =
        serde_json::from_str(&answer(&app, undated, &["--format", "json"]).ok()).expect("json");
    assert!(
        json["date"].is_null() && json["date_long"].is_null(),
        "{json:#}"
    );

    // A letter with a blocking finding open cannot be sent, so it is not
    // dated as sent: after the 2018/19 release (7 November 2019) the figure
    // is published but not loaded.
    let run = answer(&app, undated, &["--as-of", "2020-01-06"]);
    assert!(run.stderr.contains("blocking finding 1"), "{}", run.stderr);
    assert_eq!(date_line(&run.ok()), "**Date:** Draft — date of sending\\");
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

/// A question that names its writer and gives their telephone number and
/// e-mail address, signed on its own line; a second question with nothing
/// personal in it.
pub(crate) const SIGNED_QUESTION: &str = "I am Sam Smith, a reporter at the Mercury (call me on 07700 900123). How many service users did you have listed as in treatment for crack cocaine each year for the past three years? Thanks, Sam Smith, sam.smith@example.org";
pub(crate) const PLAIN_QUESTION: &str = "What budget did you allocate for community drug and alcohol treatment (excluding in-patient detoxification and rehabilitation) for 2018 - 19?";
/// What must not be in anything published about the signed e-mail.
pub(crate) const SAMS_DETAILS: [&str; 5] = ["Sam", "Smith", "sam.smith", "example.org", "07700"];

/// Take in Sam Smith's e-mail (the two questions above), then draft,
/// approve and send its answer on 5 July 2019: its reference.
pub(crate) fn send_signed_email(app: &TestApp) -> String {
    with_config(app);
    let email = app.write(
        "signed.txt",
        &format!(
            "From: Sam Smith <sam.smith@example.org>\nSubject: FOI request\n\nDear Sir or Madam,\n\n1) {SIGNED_QUESTION}\n\n2) {PLAIN_QUESTION}\n\nKind regards,\nSam Smith\n"
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
    for step in ["draft", "approve"] {
        app.run(&["request", step, &reference, "--as-of", "2019-07-05"])
            .ok();
    }
    app.run(&[
        "request",
        "send",
        &reference,
        "--as-of",
        "2019-07-05",
        "--on",
        "2019-07-05",
    ])
    .ok();
    reference
}

#[test]
fn the_requesters_name_and_contact_details_in_their_questions_are_not_published() {
    let app = TestApp::leicester();
    let reference = send_signed_email(&app);
    let letter = |extra: &[&str]| {
        let mut args = vec!["request", "letter", reference.as_str()];
        args.extend_from_slice(extra);
        app.run(&args).ok()
    };
    // The requester's own letter keeps their words as they wrote them.
    let sent = letter(&[]);
    assert!(sent.contains("Dear Sam Smith,"), "{sent}");
    assert!(sent.contains("I am Sam Smith, a reporter"), "{sent}");
    assert!(
        sent.contains("Thanks, Sam Smith, sam.smith@example.org"),
        "{sent}"
    );

    for format in ["md", "html", "json"] {
        let published = letter(&["--published", "--format", format]);
        for personal in SAMS_DETAILS {
            assert!(
                !published.contains(personal),
                "{personal} in the published {format} copy: {published}"
            );
        }
    }
    let published = letter(&["--published"]);
    assert!(
        published.contains(
            "I am \\[name removed\\], a reporter at the Mercury (call me on \\[contact details removed\\])."
        ),
        "{published}"
    );
    assert!(
        published.contains("Thanks, \\[name removed\\], \\[contact details removed\\]"),
        "{published}"
    );
    // What is not personal is published as asked, and the figures as sent.
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("json");
    let sent = json(&letter(&["--format", "json"]));
    let published = json(&letter(&["--published", "--format", "json"]));
    assert_eq!(sent["questions"][0]["text"], SIGNED_QUESTION);
    assert_eq!(
        published["questions"][0]["text"],
        "I am [name removed], a reporter at the Mercury (call me on [contact details removed]). How many service users did you have listed as in treatment for crack cocaine each year for the past three years? Thanks, [name removed], [contact details removed]"
    );
    for copy in [&sent, &published] {
        assert_eq!(copy["questions"][1]["text"], PLAIN_QUESTION);
    }
    assert_eq!(
        sent["questions"][0]["rows"],
        published["questions"][0]["rows"]
    );
    assert_eq!(sent["questions"][1], published["questions"][1]);

    // Nor does the disclosure log hold any of it.
    let log = app.run(&["log", "--json"]).ok();
    assert!(log.contains(&reference), "{log}");
    for personal in SAMS_DETAILS {
        assert!(!log.contains(personal), "{personal} in the log: {log}");
    }
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

const PSEUDONYM_KEY: &str = "a test secret that is long enough";

/// Episodes of one provider (`A1`, in Leicester) for the letter answered
/// from records: `count` people born in `born` (YYYYMM), each with one
/// community episode from `start` to `end` (YYYYMMDD; open when empty),
/// numbered from `from` so that everyone is a different person.
fn episodes(from: usize, count: usize, born: &str, start: &str, end: &str) -> Vec<String> {
    let (discharged, reason) = if end.is_empty() {
        ("", "")
    } else {
        (end, "80")
    };
    (from..from + count)
        .map(|n| {
            let first = char::from(b'A' + (n % 26) as u8);
            let second = char::from(b'A' + (n / 26 % 26) as u8);
            format!(
                "A1,p{n},{first},{second},{born}15,F,A,E06000016,ep{n},{start},{start},{start},{discharged},{reason},1101,,,mod{n},PSYCH,COM,{start},{discharged},LA,"
            )
        })
        .collect()
}

#[test]
fn a_letter_answered_from_providers_records_with_the_requesters_bands_over_two_years() {
    let app = TestApp::empty();
    // Leicester's settings (./lantern.toml), taken in by init.
    with_config(&app);
    app.run(&["init"]).ok();
    app.write(
        "agencies.csv",
        "code,name,area\nA1,First Step Leicester,E06000016\n",
    );
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    // Ages on the later of 1 April and the episode's start (the birthday
    // counted from the first of the month), in 2017/18 and 2018/19:
    let mut rows = Vec::new();
    // 21 and 22, in treatment throughout: 18-22 both years.
    rows.extend(episodes(0, 6, "199601", "20170501", ""));
    // 22, completed in December 2017: 18-22 in 2017/18 only.
    rows.extend(episodes(6, 3, "199501", "20170501", "20171201"));
    // 19, from May 2018: 18-22 in 2018/19.
    rows.extend(episodes(9, 3, "199901", "20180501", ""));
    // 25 and 26, throughout: 23-29 both years.
    rows.extend(episodes(12, 3, "199201", "20170501", ""));
    // 25, completed in February 2018: 23-29 in 2017/18 only.
    rows.extend(episodes(15, 4, "199201", "20170501", "20180201"));
    // 37 and 38, throughout: 30-49 both years.
    rows.extend(episodes(19, 9, "198001", "20170501", ""));
    // 48, from June 2018: 30-49 in 2018/19.
    rows.extend(episodes(28, 4, "197001", "20180601", ""));
    // 57 and 58, throughout: 50 and over both years.
    rows.extend(episodes(32, 5, "196001", "20170501", ""));
    // 63, from June 2018: 50 and over in 2018/19.
    rows.extend(episodes(37, 2, "195501", "20180601", ""));
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    app.write("A1-2019-03.csv", &super::records::file(&rows));
    let mut import = app.command(&["import", "episodes", "A1-2019-03.csv"]);
    import.env("LANTERN_PSEUDONYM_KEY", PSEUDONYM_KEY);
    let out = import.output().expect("run lantern");
    assert!(
        out.status.success(),
        "import failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The requester's own bands: 18-22 and 23-29 are no union of the
    // bands held as figures, so they are counted from the records; 30-49
    // and 50+ are unions of held bands (composites), so they are sums.
    app.write(
        "request.toml",
        "reference = \"FOI-2019-0600\"\nreceived = 2019-06-10\nanswered = 2019-07-05\narea = \"E06000016\"\n\n\
         [[question]]\nnumber = \"1\"\n\
         text = \"How many people were in treatment in each of the last two years, by age: 18-22, 23-29, 30-49 and 50 and over?\"\n\
         indicator = \"people_in_treatment\"\nperiods = [\"2017/18\", \"2018/19\"]\nbands = [\"18-22\", \"23-29\", \"30-49\", \"50+\"]\n",
    );
    let run = |format: &str| {
        let run = app.run(&["answer", "request.toml", "--format", format]);
        assert!(!run.stderr.contains("blocking finding"), "{}", run.stderr);
        run.ok()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("json");
    // The counts worked out by hand above, each from providers' records.
    let q1 = crate::question(&json, "1", None);
    let cells: Vec<(String, String, String, String)> = q1["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["period_label"].as_str().unwrap_or("").to_string(),
                r["breakdown_label"].as_str().unwrap_or("").to_string(),
                r["value"]["amount"]
                    .as_i64()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| r["text"].as_str().unwrap_or("").to_string()),
                r["source"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected = [
        ("2017/18", "aged 18 to 22", "9"),
        ("2017/18", "aged 23 to 29", "7"),
        ("2017/18", "aged 30 to 49", "9"),
        ("2017/18", "aged 50 and over", "5"),
        ("2018/19", "aged 18 to 22", "9"),
        ("2018/19", "aged 23 to 29", "fewer than 5"),
        ("2018/19", "aged 30 to 49", "13"),
        ("2018/19", "aged 50 and over", "7"),
    ];
    for (period, band, value) in expected {
        let found = cells
            .iter()
            .find(|c| c.0 == period && c.1 == band)
            .unwrap_or_else(|| panic!("no cell {period} {band}: {cells:#?}"));
        if value == "fewer than 5" {
            assert!(found.2.contains(value), "{period} {band}: {found:?}");
        } else {
            assert_eq!(found.2, value, "{period} {band}: {found:?}");
            assert_eq!(found.3, "local_records", "{period} {band}: {found:?}");
        }
    }
    assert_eq!(json["date_long"], "5 July 2019");

    let md = run("md");
    // Years as columns, the requester's bands as rows, the cut in words.
    assert!(md.contains("| Age band | 2017/18 | 2018/19 |"), "{md}");
    insta::assert_snapshot!("records-own-bands.md", md);
    insta::assert_snapshot!("records-own-bands.html", run("html"));
}

/// A letter answering a count by one of the optional fields (employment
/// status) over two years, from providers' records: years as columns, the
/// statuses as rows, a small count "fewer than 5".
#[test]
fn a_letter_by_employment_status_over_two_years_is_answered_from_records() {
    let app = TestApp::empty();
    with_config(&app);
    app.run(&["init"]).ok();
    app.write(
        "agencies.csv",
        "code,name,area\nA1,First Step Leicester,E06000016\n",
    );
    app.run(&["import", "agencies", "agencies.csv"]).ok();
    let with = |rows: Vec<String>, status: &str| -> Vec<String> {
        rows.into_iter().map(|r| format!("{r},{status}")).collect()
    };
    // 12 in regular employment and 8 unemployed, throughout both years; 3
    // long-term sick from May 2018 (2018/19 only).
    let mut rows = with(episodes(0, 12, "198001", "20170501", ""), "1");
    rows.extend(with(episodes(12, 8, "198501", "20170501", ""), "12"));
    rows.extend(with(episodes(20, 3, "197501", "20180501", ""), "9"));
    let mut text = format!("{},EMPSTAT\n", super::records::HEADER);
    for r in &rows {
        text.push_str(r);
        text.push('\n');
    }
    app.write("A1-2019-03.csv", &text);
    let mut import = app.command(&["import", "episodes", "A1-2019-03.csv"]);
    import.env("LANTERN_PSEUDONYM_KEY", PSEUDONYM_KEY);
    let out = import.output().expect("run lantern");
    assert!(
        out.status.success(),
        "import failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    app.write(
        "request.toml",
        "reference = \"FOI-2019-0610\"\nreceived = 2019-06-10\nanswered = 2019-07-05\narea = \"E06000016\"\n\n\
         [[question]]\nnumber = \"1\"\n\
         text = \"How many people in treatment were employed, unemployed or long-term sick in each of the last two years?\"\n\
         indicator = \"people_in_treatment\"\nperiods = [\"2017/18\", \"2018/19\"]\nbreakdown = [\"employment_status\"]\n",
    );
    let run = |format: &str| {
        let run = app.run(&["answer", "request.toml", "--format", format]);
        assert!(!run.stderr.contains("blocking finding"), "{}", run.stderr);
        run.ok()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("json");
    let q1 = crate::question(&json, "1", None);
    for r in q1["rows"].as_array().expect("rows") {
        assert_eq!(r["source"], "local_records", "{r:#}");
    }
    let md = run("md");
    assert!(
        md.contains("| Employment status | 2017/18 | 2018/19 |"),
        "{md}"
    );
    assert!(md.contains("| 12 | 12 |"), "{md}");
    assert!(md.contains("| 0 | fewer than 5 |"), "{md}");
    insta::assert_snapshot!("records-employment-status.md", md);
    insta::assert_snapshot!("records-employment-status.html", run("html"));
}
