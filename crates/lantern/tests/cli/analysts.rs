//! The analysts' pages over real HTTP against a real `lantern serve` on a
//! real database (an SQLite file, or PostgreSQL with
//! `LANTERN_TEST_BACKEND=postgres`): a figures file with a bad row is
//! refused with that row's line, field and reason and imports nothing; a
//! good one is imported as the analyst, and the explorer shows each figure
//! with its file and line, where two sources differ, and the same rows as
//! CSV; a filter naming another council's area is refused with why; the
//! dashboards draw what is held, each chart with its table and CSV, and say
//! so where nothing is held; officers may look but not upload; providers
//! may not look.

use crate::web::{LEI, Server, leicester_with_users};
use crate::web_actions::multipart;

const BAD: &str = "indicator,area,period,value,source\n\
deaths_in_treatment,E06000016,2018/19,7,ndtms_partnership\n\
deaths_in_treatment,E06000016,2019/20,seven,ndtms_partnership\n";

const GOOD: &str = "indicator,area,period,value,source\n\
deaths_in_treatment,E06000016,2018/19,7,ndtms_partnership\n\
deaths_in_treatment,E06000016,2018/19,9,contract_monitoring\n\
deaths_in_treatment,E06000016,2019/20,5,ndtms_partnership\n";

#[test]
fn an_analyst_uploads_figures_explores_them_with_provenance_and_sees_them_charted() {
    let (app, _) = leicester_with_users();
    // Another council's area in the same database.
    app.run(&[
        "council",
        "set",
        "OTHER",
        "--name",
        "Other Council",
        "--area",
        "E06000017",
    ])
    .ok();
    let server = Server::start(&app, LEI);
    let analyst = server.session("analyst");
    let csrf = analyst.csrf.clone();

    let form = server.get("/figures/upload", Some(&analyst));
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("enctype=\"multipart/form-data\""));

    // A bad row: its line, field and reason on screen; nothing imported.
    let refused = multipart(
        &server,
        "/figures/upload",
        &analyst,
        &[("csrf", &csrf), ("kind", "figures")],
        Some(("file", "deaths.csv", BAD.as_bytes())),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("nothing from it was imported"));
    assert!(
        refused.body.contains(
            "<td class=\"num\">3</td><td>value</td><td>&#x27;seven&#x27; is not a whole number"
        ) || refused
            .body
            .contains("<td class=\"num\">3</td><td>value</td>"),
        "{}",
        refused.body
    );
    let none = server.get(
        "/figures/explore?indicator=deaths_in_treatment",
        Some(&analyst),
    );
    assert_eq!(none.status, 200);
    assert!(
        none.body
            .contains("No figure of Deaths in treatment is held"),
        "{}",
        none.body
    );

    // Without the form's secret: refused, nothing imported.
    let stale = multipart(
        &server,
        "/figures/upload",
        &analyst,
        &[("csrf", "wrong"), ("kind", "figures")],
        Some(("file", "deaths.csv", GOOD.as_bytes())),
    );
    assert_ne!(stale.status, 200);

    // A good file: imported as the analyst.
    let imported = multipart(
        &server,
        "/figures/upload",
        &analyst,
        &[("csrf", &csrf), ("kind", "figures")],
        Some(("file", "deaths.csv", GOOD.as_bytes())),
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(imported.body.contains("File imported"), "{}", imported.body);
    assert!(
        imported.body.contains("3 rows read, 3 new"),
        "{}",
        imported.body
    );
    let imports = app.run(&["imports"]).ok();
    assert!(
        imports
            .lines()
            .any(|l| l.contains("deaths.csv") && l.contains("analyst")),
        "{imports}"
    );

    // The explorer: each figure with its file and line; the two sources'
    // difference; the same rows as CSV.
    let page = server.get(
        "/figures/explore?indicator=deaths_in_treatment",
        Some(&analyst),
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains("deaths.csv line 2"), "{}", page.body);
    assert!(page.body.contains("deaths.csv line 4"), "{}", page.body);
    assert!(
        page.body
            .contains("ndtms_partnership: 7; contract_monitoring: 9"),
        "{}",
        page.body
    );
    let narrowed = server.get(
        "/figures/explore?indicator=deaths_in_treatment&period=2019%2F20",
        Some(&analyst),
    );
    assert!(narrowed.body.contains("deaths.csv line 4"));
    assert!(!narrowed.body.contains("deaths.csv line 2"));
    let csv = server.get(
        "/figures/explore.csv?indicator=deaths_in_treatment",
        Some(&analyst),
    );
    assert_eq!(csv.status, 200);
    assert!(csv.head.contains("content-type: text/csv"));
    assert!(
        csv.body
            .starts_with("indicator,area,period,breakdown,value,source")
    );
    assert_eq!(csv.body.matches("deaths.csv").count(), 3, "{}", csv.body);

    // Another council's area, or a period not held: refused, saying so.
    let theirs = server.get(
        "/figures/explore?indicator=deaths_in_treatment&area=E06000017",
        Some(&analyst),
    );
    assert_eq!(theirs.status, 400);
    assert!(
        theirs.body.contains("not one of the council&#x27;s areas")
            || theirs.body.contains("not one of the council's areas"),
        "{}",
        theirs.body
    );
    let unheld = server.get(
        "/figures/explore?indicator=deaths_in_treatment&period=2001%2F02",
        Some(&analyst),
    );
    assert_eq!(unheld.status, 400);
    assert!(
        unheld
            .body
            .contains("periods held: 2018&#x2f;19, 2019&#x2f;20"),
        "{}",
        unheld.body
    );

    // The dashboards: the deaths chart with its table; an indicator with
    // nothing held says so.
    let dash = server.get("/dashboards", Some(&analyst));
    assert_eq!(dash.status, 200, "{}", dash.body);
    assert!(dash.body.contains("<svg"), "{}", dash.body);
    assert!(dash.body.contains("Deaths in treatment: the figures"));
    assert!(
        dash.body
            .contains("<th scope=\"row\">2019/20</th><td class=\"num\">5</td>"),
        "{}",
        dash.body
    );
    // Answers use NDTMS first: 7, not the contract return's 9.
    assert!(
        dash.body
            .contains("<th scope=\"row\">2018/19</th><td class=\"num\">7</td>"),
        "{}",
        dash.body
    );
    assert!(dash.body.contains("No figures are held for this chart"));
    let chart = server.get("/dashboards.csv?chart=deaths", Some(&analyst));
    assert_eq!(chart.status, 200);
    assert_eq!(
        chart.body,
        "Financial year,Deaths in treatment\r\n2018/19,7\r\n2019/20,5\r\n"
    );
    let unknown = server.get("/dashboards.csv?chart=nope", Some(&analyst));
    assert_eq!(unknown.status, 400);
    // The comparison of areas: no other council has published figures
    // here, and an indicator it does not offer is refused saying so.
    assert!(
        dash.body
            .contains("No other council in this deployment has published")
    );
    let compared = server.get(
        "/dashboards.csv?chart=comparison&compare=deaths_in_treatment",
        Some(&analyst),
    );
    assert_eq!(compared.status, 200);
    assert!(
        compared
            .body
            .starts_with("Financial year,\"E06000016 (this council, as held)\"\r\n2018/19,7\r\n"),
        "{}",
        compared.body
    );
    let nope = server.get("/dashboards?compare=budget", Some(&analyst));
    assert_eq!(nope.status, 400);
    assert!(
        nope.body.contains("budget cannot be compared"),
        "{}",
        nope.body
    );

    // Officers may look but not upload; providers may not look.
    let officer = server.session("officer");
    assert_eq!(server.get("/dashboards", Some(&officer)).status, 200);
    assert_eq!(server.get("/figures/upload", Some(&officer)).status, 403);
    let provider = server.session("provider");
    let denied = server.get("/dashboards", Some(&provider));
    assert_eq!(denied.status, 403);
    assert!(!denied.body.contains("Deaths in treatment"));
    assert_eq!(server.get("/dashboards", None).status, 303);

    // Recompute: done for the analyst, with the counts.
    let recomputed = server.post(
        "/figures/recompute",
        Some(&analyst),
        &format!("csrf={csrf}"),
    );
    assert_eq!(recomputed.status, 200, "{}", recomputed.body);
    assert!(recomputed.body.contains("Figures recomputed"));
}

/// A workbook whose first sheet holds `rows` from its third row down
/// (two empty rows above the header).
fn workbook(rows: &[[&str; 5]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 2, c as u16, *cell)
                .expect("cell");
        }
    }
    book.save_to_buffer().expect("workbook")
}

#[test]
fn an_analyst_uploads_a_workbook_and_its_problems_name_the_sheets_rows() {
    let (app, _) = leicester_with_users();
    let server = Server::start(&app, LEI);
    let analyst = server.session("analyst");
    let csrf = analyst.csrf.clone();
    let header = ["indicator", "area", "period", "value", "source"];
    let bad = workbook(&[
        header,
        [
            "deaths_in_treatment",
            "E06000016",
            "2018/19",
            "7",
            "ndtms_partnership",
        ],
        [
            "deaths_in_treatment",
            "E06000016",
            "2019/20",
            "seven",
            "ndtms_partnership",
        ],
    ]);
    let refused = multipart(
        &server,
        "/figures/upload",
        &analyst,
        &[("csrf", &csrf), ("kind", "figures")],
        Some(("file", "deaths.xlsx", &bad)),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    // The bad row is the sheet's fifth (two empty rows, the header, a
    // good row).
    assert!(
        refused
            .body
            .contains("<td class=\"num\">5</td><td>value</td>"),
        "{}",
        refused.body
    );
    let good = workbook(&[
        header,
        [
            "deaths_in_treatment",
            "E06000016",
            "2018/19",
            "7",
            "ndtms_partnership",
        ],
    ]);
    let imported = multipart(
        &server,
        "/figures/upload",
        &analyst,
        &[("csrf", &csrf), ("kind", "figures")],
        Some(("file", "deaths.xlsx", &good)),
    );
    assert_eq!(imported.status, 200, "{}", imported.body);
    assert!(
        imported.body.contains("1 rows read, 1 new"),
        "{}",
        imported.body
    );
    let chart = server.get("/dashboards.csv?chart=deaths", Some(&analyst));
    assert_eq!(
        chart.body,
        "Financial year,Deaths in treatment\r\n2018/19,7\r\n"
    );
}
