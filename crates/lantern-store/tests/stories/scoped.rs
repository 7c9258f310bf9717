//! Reads sized to one request (`Store::catalogue_at`, `Store::read_scope`):
//! exactly what `lantern_core::scope` admits of the whole data version and
//! disclosure log, and so the same letter.

use jiff::civil::Date;
use lantern_core::answer::{self, EarlierRelease, Evidence};
use lantern_core::casework::{Action, ActionDetail, Case, LogEntry, Status as CaseStatus};
use lantern_core::disclosure::Policy;
use lantern_core::figure::{Breakdown, Figure, Provenance, Source, Status, Value};
use lantern_core::period::Period;
use lantern_core::protected::Shown;
use lantern_core::release::Release;
use lantern_core::request::parse_request;
use lantern_core::scope::Scope;
use lantern_core::statement::Statement;
use lantern_store::{
    Created, ImportKind, ImportMeta, NewFigureSet, Store, StoreError, Who, create, init_meta,
};

use crate::story;
use lantern_store::testing::TestDb;

const HOME: &str = "E06000016";
const OTHER: &str = "E08000001";

fn meta(kind: ImportKind) -> ImportMeta {
    ImportMeta {
        kind,
        file: "f.csv".into(),
        sha256: "00".into(),
        actor: "tester".into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

fn figure(indicator: &str, area: &str, period: &str, breakdown: &str, value: i64) -> Figure {
    Figure {
        indicator: indicator.into(),
        area: area.into(),
        period: Period::parse(period).unwrap(),
        breakdown: Breakdown::from_key(breakdown),
        value: if value == 0 {
            Value::Zero {
                reason: "none".into(),
            }
        } else {
            Value::Exact(value)
        },
        source: if indicator == "budget" {
            Source::Finance
        } else {
            Source::NdtmsPartnership
        },
        status: Status::Final,
        coverage: vec![],
        note: None,
        provenance: Provenance {
            import: 0,
            file: "f.csv".into(),
            line: 2,
            actor: "tester".into(),
            imported_at: "2026-01-01T00:00:00Z".into(),
        },
    }
}

/// Figures of two areas, three indicators and periods of every kind.
fn figures() -> Vec<Figure> {
    let mut out = Vec::new();
    for area in [HOME, OTHER] {
        for (n, year) in [
            "2012/13", "2016/17", "2017/18", "2018/19", "2019/20", "2020/21",
        ]
        .into_iter()
        .enumerate()
        {
            let n = n as i64;
            out.push(figure("people_in_treatment", area, year, "", 60 + n));
            out.push(figure(
                "people_in_treatment",
                area,
                year,
                "crack=crack",
                20 + n,
            ));
            out.push(figure(
                "people_in_treatment",
                area,
                year,
                "age_band=18-24;crack=crack",
                3 + n % 2,
            ));
            out.push(figure(
                "people_in_treatment",
                area,
                year,
                "age_band=25-29;crack=crack",
                n,
            ));
            out.push(figure("new_presentations", area, year, "", 30 + n));
            out.push(figure(
                "budget",
                area,
                year,
                "service=community_treatment",
                1_000_000 + n,
            ));
        }
        out.push(figure("people_in_treatment", area, "Q1 2018/19", "", 41));
        out.push(figure(
            "people_in_treatment",
            area,
            "2019",
            "crack=crack",
            24,
        ));
        out.push(figure(
            "people_in_treatment",
            area,
            "2014/15",
            "crack=crack",
            2,
        ));
    }
    out
}

fn set(area: &str, start: i16, body: &str) -> NewFigureSet {
    NewFigureSet {
        area: area.into(),
        year: lantern_core::FinancialYear::starting(start).unwrap(),
        status: Status::Final,
        body: body.into(),
        submissions: vec![],
    }
}

fn release(code: &str, date: Date, period: &str) -> Release {
    Release {
        code: code.into(),
        title: code.into(),
        publisher: "PHE".into(),
        date,
        announced: None,
        indicators: vec!["people_in_treatment".into()],
        periods: vec![Period::parse(period).unwrap()],
        url: None,
    }
}

fn statement(area: &str, topic: &str) -> Statement {
    Statement {
        topic: topic.into(),
        area: area.into(),
        text: format!("{topic} in {area}"),
        valid_from: Some(Date::constant(2016, 4, 1)),
        valid_to: None,
        source: None,
        provenance: Provenance {
            import: 0,
            file: "s.csv".into(),
            line: 2,
            actor: "tester".into(),
            imported_at: "2026-01-01T00:00:00Z".into(),
        },
    }
}

fn entry(indicator: &str, area: &str, period: &str, breakdown: &str, shown: &str) -> LogEntry {
    let value: Option<i64> = shown.parse().ok();
    LogEntry {
        reference: "FOI-0".into(),
        sent_at: "2019-01-10T00:00:00Z".into(),
        question: "1".into(),
        indicator: Some(indicator.into()),
        area: Some(area.into()),
        period: Some(period.into()),
        breakdown: Some(breakdown.into()),
        decision: if value.is_some() {
            "given"
        } else {
            "suppressed"
        }
        .into(),
        basis: value.is_none().then(|| "s40_2".into()),
        value,
        released: shown.into(),
    }
}

/// An answer sent before: log entries in and out of the request's scope.
fn send_earlier_answer(store: &mut dyn Store) {
    let case = Case {
        reference: "FOI-0".into(),
        received: Date::constant(2019, 1, 2),
        status: CaseStatus::Received,
        requester_name: None,
        requester_contact: None,
        retain_until: None,
        original: "How many?".into(),
        structured: None,
        opened_at: "2019-01-02T09:00:00Z".into(),
        opened_by: "alice".into(),
    };
    let who = Who {
        actor: "alice".into(),
        at: "2019-01-10T09:00:00Z".into(),
    };
    let detail = ActionDetail::default();
    store.open_case(&case, &detail).unwrap();
    let mut seen = CaseStatus::Received;
    for action in [Action::Start, Action::Draft, Action::Approve] {
        seen = store.act("FOI-0", seen, action, &who, &detail).unwrap();
    }
    let entries = [
        // In scope: home area, asked indicators; a calendar year chains
        // 2018/19 to 2019/20, so 2019/20 is read too.
        entry("people_in_treatment", HOME, "2018/19", "crack=crack", "23"),
        entry(
            "people_in_treatment",
            HOME,
            "2019",
            "crack=crack",
            "fewer than 5",
        ),
        entry(
            "budget",
            HOME,
            "2017/18",
            "service=community_treatment",
            "1000001",
        ),
        // Not in scope: another area, another indicator.
        entry("people_in_treatment", OTHER, "2018/19", "", "63"),
        entry("new_presentations", HOME, "2018/19", "", "33"),
        // In scope but in no asked period's chain.
        entry("people_in_treatment", HOME, "2012/13", "", "60"),
    ];
    store
        .send(
            "FOI-0",
            seen,
            &who,
            &entries,
            &crate::public_entry("FOI-0"),
            &detail,
        )
        .unwrap();
}

const REQUEST: &str = r#"
reference = "FOI-1"
received = 2019-06-10

[[question]]
number = "1"
text = "Crack users by age band"
indicator = "people_in_treatment"
filter = { crack = "crack" }
breakdown = ["age_band"]
periods = ["2017/18", "2018/19"]

[[question]]
number = "2"
text = "People in treatment"
indicator = "people_in_treatment"
periods = ["2018/19"]

[[question]]
number = "3"
text = "Budget"
indicator = "budget"
filter = { service = "community_treatment" }
periods = ["2018/19"]

[[question]]
number = "4"
text = "Who buys naloxone?"
topic = "naloxone.purchaser"
"#;

fn earlier(log: &[LogEntry], reference: &str) -> Vec<EarlierRelease> {
    log.iter()
        .filter(|e| e.reference != reference)
        .filter_map(|e| {
            Some(EarlierRelease {
                shown: Shown::from_log(&e.decision, e.value, &e.released)?,
                period: Period::parse(e.period.as_deref()?).ok()?,
                breakdown: Breakdown::from_key(e.breakdown.as_deref().unwrap_or("")),
                indicator: e.indicator.clone()?,
                area: e.area.clone()?,
                reference: e.reference.clone(),
                sent: e.sent_at.clone(),
            })
        })
        .collect()
}

story!(
    a_request_reads_only_what_its_answer_needs_and_gets_the_same_letter,
    |db: &TestDb| {
        let (mut store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
        assert_eq!(created, Created::New);
        store
            .import_figures(&meta(ImportKind::Figures), &figures())
            .unwrap();
        let body =
            "@new_presentations\n|31\n@people_in_treatment\n|61\ncrack=crack|21\nsex=female|4\n";
        let sets: Vec<NewFigureSet> = [HOME, OTHER]
            .into_iter()
            .flat_map(|a| (2012..=2020).map(move |y| set(a, y, body)))
            .collect();
        let scope_all: Vec<(String, lantern_core::FinancialYear)> =
            sets.iter().map(|s| (s.area.clone(), s.year)).collect();
        store
            .write_figure_sets(&meta(ImportKind::Recompute), &scope_all, &sets)
            .unwrap();
        let releases = [
            (
                1,
                release("ndtms_2017_18", Date::constant(2018, 11, 1), "2017/18"),
            ),
            (
                2,
                release("ndtms_2019_20", Date::constant(2020, 11, 1), "2019/20"),
            ),
            (
                3,
                release("ndtms_2015_16", Date::constant(2016, 11, 1), "2015/16"),
            ),
        ];
        store
            .import_releases(&meta(ImportKind::Releases), &releases)
            .unwrap();
        let before_statements = store.data_version().unwrap();
        store
            .import_statements(
                &meta(ImportKind::Statements),
                &[
                    statement(HOME, "naloxone.purchaser"),
                    statement(OTHER, "naloxone.purchaser"),
                    statement(HOME, "naloxone.providers"),
                ],
            )
            .unwrap();
        send_earlier_answer(store.as_mut());

        for version in [None, Some(before_statements)] {
            let (v, catalogue) = store.catalogue_at(version).unwrap();
            let whole = store.snapshot(version).unwrap();
            assert_eq!(v, whole.data_version);
            let request = parse_request("r.toml", REQUEST, &catalogue).unwrap();
            let scope = Scope::of(&request, HOME);
            let read = store.read_scope(v, &scope).unwrap();

            // Exactly what the scope admits, in the snapshot's order.
            let log: Vec<LogEntry> = store
                .disclosure_log()
                .unwrap()
                .into_iter()
                .filter(|e| {
                    scope.admits_entry(
                        e.indicator.as_deref().unwrap_or(""),
                        e.area.as_deref().unwrap_or(""),
                    )
                })
                .collect();
            let entries = |read: &[lantern_store::CouncilLogEntry]| -> Vec<LogEntry> {
                read.iter().map(|e| e.entry.clone()).collect()
            };
            assert_eq!(entries(&read.log), log);
            assert_eq!(entries(&store.disclosure_log_about(&scope).unwrap()), log);
            assert_eq!(read.log.len(), 4);
            assert_eq!(read.releases, whole.releases);
            let window = scope.window(
                log.iter()
                    .filter_map(|e| Period::parse(e.period.as_deref()?).ok())
                    .chain(whole.releases.iter().flat_map(|r| r.periods.clone())),
            );
            let admitted: Vec<Figure> = whole
                .figures
                .iter()
                .filter(|f| scope.admits(&window, f))
                .cloned()
                .collect();
            assert_eq!(read.figures, admitted);
            let statements: Vec<Statement> = whole
                .statements
                .iter()
                .filter(|s| s.area == HOME && s.topic == "naloxone.purchaser")
                .cloned()
                .collect();
            assert_eq!(read.statements, statements);

            // And it is a small part of the whole.
            assert!(read.figures.iter().all(|f| f.area == HOME));
            assert!(
                read.figures
                    .iter()
                    .all(|f| f.indicator != "new_presentations")
            );
            let years: std::collections::BTreeSet<String> =
                read.figures.iter().map(|f| f.period.to_string()).collect();
            assert!(
                years.contains("2019/20"),
                "chained by the logged 2019: {years:?}"
            );
            assert!(
                !years.contains("2012/13") && !years.contains("2020/21"),
                "{years:?}"
            );
            assert!(read.figures.len() * 3 < whole.figures.len());

            // The same letter.
            let all_log = store.disclosure_log().unwrap();
            let whole_earlier = earlier(&all_log, "FOI-1");
            let scoped_earlier = earlier(&entries(&read.log), "FOI-1");
            let from_whole = Evidence {
                catalogue: &whole.catalogue,
                figures: &whole.figures,
                statements: &whole.statements,
                releases: &whole.releases,
                policy: Policy::default(),
                area: HOME,
                earlier: &whole_earlier,
                records: None,
                declarations: &[],
                settled: &[],
            };
            let from_scope = Evidence {
                catalogue: &catalogue,
                figures: &read.figures,
                statements: &read.statements,
                releases: &read.releases,
                policy: Policy::default(),
                area: HOME,
                earlier: &scoped_earlier,
                records: None,
                declarations: &[],
                settled: &[],
            };
            let answer = answer::plan(&request, &from_scope);
            assert_eq!(answer, answer::plan(&request, &from_whole));
            assert!(
                answer.questions[0]
                    .rows
                    .iter()
                    .any(|r| matches!(r.outcome, answer::Outcome::Suppressed { .. })),
                "the small counts are withheld: {:?}",
                answer.questions[0].rows
            );

            // Read in the window: the same figures, statements and releases
            // (the window is still widened by every logged period), only the
            // log entries whose period overlaps it, and the same letter.
            let windowed = store.read_scope_in_window(v, &scope).unwrap();
            assert_eq!(windowed.figures, read.figures);
            assert_eq!(windowed.statements, read.statements);
            assert_eq!(windowed.releases, read.releases);
            let inside: Vec<LogEntry> = log
                .iter()
                .filter(|e| {
                    e.period
                        .as_deref()
                        .and_then(|p| Period::parse(p).ok())
                        .is_some_and(|p| window.overlaps(&p))
                })
                .cloned()
                .collect();
            assert_eq!(entries(&windowed.log), inside);
            assert_eq!(
                windowed.log.len(),
                3,
                "the 2012/13 entry is in no asked period's chain"
            );
            let windowed_earlier = earlier(&entries(&windowed.log), "FOI-1");
            let from_window = Evidence {
                figures: &windowed.figures,
                statements: &windowed.statements,
                releases: &windowed.releases,
                earlier: &windowed_earlier,
                ..from_scope
            };
            assert_eq!(answer::plan(&request, &from_window), answer);
        }

        assert!(matches!(
            store.catalogue_at(Some(999)),
            Err(StoreError::NoSuchVersion { asked: 999, .. })
        ));
        assert!(matches!(
            store.read_scope(999, &Scope::default()),
            Err(StoreError::NoSuchVersion { asked: 999, .. })
        ));
        let empty = store.read_scope(1, &Scope::default()).unwrap();
        assert!(empty.figures.is_empty() && empty.log.is_empty());
        assert!(matches!(
            store.read_scope_in_window(999, &Scope::default()),
            Err(StoreError::NoSuchVersion { asked: 999, .. })
        ));
        let empty = store.read_scope_in_window(1, &Scope::default()).unwrap();
        assert!(empty.figures.is_empty() && empty.log.is_empty());
    }
);
