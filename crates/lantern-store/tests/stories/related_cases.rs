//! Reading only what a request's links need: the cases it can be related
//! to (`Store::cases_received_between`: the council's own cases received
//! within the window, ends included, oldest first) and the earlier answers
//! about its cells (`Store::disclosure_log_of_cells`), never another
//! council's.

use jiff::civil::Date;
use lantern_core::casework::{Action, ActionDetail, Case, LogEntry, Status};
use lantern_core::council::{Council, Settings};
use lantern_store::{ImportKind, ImportMeta, Store, Who, create, init_meta, open};

use crate::story;
use lantern_store::testing::TestDb;

fn council(code: &str, area: &str) -> Council {
    Council::new(Settings {
        code: code.into(),
        name: format!("{code} council"),
        areas: vec![area.into()],
        ..Settings::default()
    })
    .unwrap()
}

/// How the stories' councils are set: by an administrator, from the CLI.
fn council_set() -> ImportMeta {
    ImportMeta {
        kind: ImportKind::Council,
        file: "lantern council set".into(),
        sha256: String::new(),
        actor: "admin".into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

/// A new database with two councils, the city (in use) and the county.
fn city_and_county(db: &TestDb) -> Box<dyn Store> {
    let (mut store, _) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    let meta = council_set();
    store
        .set_council(&meta, &council("city", "E06000016"))
        .unwrap();
    store
        .set_council(&meta, &council("county", "E10000018"))
        .unwrap();
    store.use_council("city").unwrap();
    store
}

fn case(reference: &str, received: Date) -> Case {
    Case {
        reference: reference.into(),
        received,
        status: Status::Received,
        requester_name: Some("A. Requester".into()),
        requester_contact: Some("a@example.org".into()),
        retain_until: None,
        original: format!("request {reference}"),
        structured: None,
        opened_at: format!("{received}T09:00:00Z"),
        opened_by: "alice".into(),
    }
}

fn references(cases: &[Case]) -> Vec<&str> {
    cases.iter().map(|c| c.reference.as_str()).collect()
}

story!(
    only_the_cases_received_within_a_window_are_read,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let none = ActionDetail::default();
        // Opened out of date order; one date holds two cases.
        for (reference, received) in [
            ("FOI-5", Date::constant(2024, 9, 30)),
            ("FOI-1", Date::constant(2023, 12, 31)),
            ("FOI-3", Date::constant(2024, 3, 15)),
            ("FOI-2", Date::constant(2024, 1, 1)),
            ("FOI-4", Date::constant(2024, 3, 15)),
            ("FOI-6", Date::constant(2024, 10, 1)),
        ] {
            store.open_case(&case(reference, received), &none).unwrap();
        }
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        county
            .open_case(&case("FOI-9", Date::constant(2024, 3, 15)), &none)
            .unwrap();

        let within = |store: &dyn Store, from: Option<Date>, to: Option<Date>| {
            store
                .cases_received_between(from, to)
                .unwrap()
                .iter()
                .map(|c| c.reference.clone())
                .collect::<Vec<_>>()
        };
        // Both ends are included; oldest first, then by reference.
        assert_eq!(
            within(
                store.as_ref(),
                Some(Date::constant(2024, 1, 1)),
                Some(Date::constant(2024, 9, 30))
            ),
            ["FOI-2", "FOI-3", "FOI-4", "FOI-5"]
        );
        // A window of one day, and one with nothing in it.
        assert_eq!(
            within(
                store.as_ref(),
                Some(Date::constant(2024, 3, 15)),
                Some(Date::constant(2024, 3, 15))
            ),
            ["FOI-3", "FOI-4"]
        );
        assert!(
            within(
                store.as_ref(),
                Some(Date::constant(2024, 3, 16)),
                Some(Date::constant(2024, 9, 29))
            )
            .is_empty()
        );
        // Open ends read everything on that side.
        assert_eq!(
            within(store.as_ref(), None, Some(Date::constant(2024, 1, 1))),
            ["FOI-1", "FOI-2"]
        );
        assert_eq!(
            within(store.as_ref(), Some(Date::constant(2024, 9, 30)), None),
            ["FOI-5", "FOI-6"]
        );
        // With both ends open it is every case, as `cases` reads them.
        assert_eq!(
            within(store.as_ref(), None, None),
            references(&store.cases().unwrap())
        );
        assert_eq!(within(store.as_ref(), None, None).len(), 6);
        // The other council's case on the same day is never read.
        assert_eq!(
            within(
                county.as_ref(),
                Some(Date::constant(2024, 1, 1)),
                Some(Date::constant(2024, 12, 31))
            ),
            ["FOI-9"]
        );
        // Cases come back whole.
        let read = store
            .cases_received_between(
                Some(Date::constant(2023, 12, 31)),
                Some(Date::constant(2023, 12, 31)),
            )
            .unwrap();
        assert_eq!(read, [case("FOI-1", Date::constant(2023, 12, 31))]);
    }
);

fn entry(reference: &str, indicator: &str, area: &str, period: &str, value: i64) -> LogEntry {
    LogEntry {
        reference: reference.into(),
        sent_at: "2024-03-20T09:00:00Z".into(),
        question: "1".into(),
        indicator: Some(indicator.into()),
        area: Some(area.into()),
        period: Some(period.into()),
        breakdown: Some(String::new()),
        decision: "given".into(),
        basis: None,
        value: Some(value),
        released: value.to_string(),
    }
}

/// Opens, drafts, approves and sends `reference` with `entries` logged.
fn send(store: &mut dyn Store, reference: &str, entries: &[LogEntry]) {
    let none = ActionDetail::default();
    let who = Who {
        actor: "alice".into(),
        at: "2024-03-20T09:00:00Z".into(),
    };
    store
        .open_case(&case(reference, Date::constant(2024, 3, 15)), &none)
        .unwrap();
    store
        .save_draft(reference, Status::Received, &who, "{}", None, 1)
        .unwrap();
    store
        .act(reference, Status::Drafted, Action::Approve, &who, &none)
        .unwrap();
    store
        .send(
            reference,
            Status::Approved,
            &who,
            entries,
            &crate::public_entry(reference),
            &none,
        )
        .unwrap();
}

story!(
    only_the_log_entries_about_a_requests_cells_are_read,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let pit = "people_in_treatment";
        let exits = "treatment_exits";
        let (home, other) = ("E06000016", "E08000001");
        send(
            store.as_mut(),
            "FOI-1",
            &[
                entry("FOI-1", pit, home, "2022/23", 40),
                entry("FOI-1", pit, home, "2023/24", 41),
                // Each of indicator, area and period asked for, but not
                // together: not about the cells.
                entry("FOI-1", exits, home, "2023/24", 7),
                entry("FOI-1", pit, other, "2022/23", 9),
                entry("FOI-1", exits, other, "2022/23", 8),
            ],
        );
        send(
            store.as_mut(),
            "FOI-2",
            &[
                entry("FOI-2", pit, home, "2021/22", 39),
                entry("FOI-2", pit, other, "2023/24", 12),
            ],
        );
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        send(
            county.as_mut(),
            "FOI-9",
            &[entry("FOI-9", pit, home, "2022/23", 40)],
        );

        let cell = |i: &str, a: &str, p: &str| (i.to_string(), a.to_string(), p.to_string());
        let asked = [
            cell(pit, home, "2022/23"),
            cell(pit, home, "2023/24"),
            cell(pit, other, "2023/24"),
            cell(exits, other, "2022/23"),
        ];
        let read = store.disclosure_log_of_cells(&asked).unwrap();
        let got: Vec<(&str, Option<i64>)> = read
            .iter()
            .map(|e| (e.reference.as_str(), e.value))
            .collect();
        // Exactly the entries about those cells, oldest first, whole.
        assert_eq!(
            got,
            [
                ("FOI-1", Some(40)),
                ("FOI-1", Some(41)),
                ("FOI-1", Some(8)),
                ("FOI-2", Some(12)),
            ]
        );
        assert_eq!(read[0], entry("FOI-1", pit, home, "2022/23", 40));
        // The same as the council's whole log filtered to those cells.
        let whole: Vec<LogEntry> = store
            .disclosure_log()
            .unwrap()
            .into_iter()
            .filter(|e| {
                asked.iter().any(|(i, a, p)| {
                    e.indicator.as_ref() == Some(i)
                        && e.area.as_ref() == Some(a)
                        && e.period.as_ref() == Some(p)
                })
            })
            .collect();
        assert_eq!(read, whole);
        // The other council's answer about the same cell is its own.
        let theirs = county.disclosure_log_of_cells(&asked).unwrap();
        assert_eq!(theirs, [entry("FOI-9", pit, home, "2022/23", 40)]);
        assert!(store.disclosure_log_of_cells(&[]).unwrap().is_empty());
    }
);

story!(
    the_notices_kept_beside_a_draft_are_listed_for_open_cases_only,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let none = ActionDetail::default();
        let who = Who {
            actor: "alice".into(),
            at: "2024-03-20T09:00:00Z".into(),
        };
        let day = Date::constant(2024, 3, 15);
        for reference in ["FOI-1", "FOI-2", "FOI-3"] {
            store.open_case(&case(reference, day), &none).unwrap();
        }
        let notices = r#"{"questions":[{"notices":[{"basis":"s22"}],"parts":[]}]}"#;
        store
            .save_draft("FOI-1", Status::Received, &who, "{}", Some(notices), 1)
            .unwrap();
        // Saved without its notices (as before schema 23): not known.
        store
            .save_draft("FOI-2", Status::Received, &who, "{}", None, 1)
            .unwrap();
        // Sent: no longer open, so not listed.
        send(store.as_mut(), "FOI-4", &[]);
        // Another council's draft is not this council's.
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        county.open_case(&case("FOI-1", day), &none).unwrap();
        county
            .save_draft("FOI-1", Status::Received, &who, "{}", Some("{}"), 1)
            .unwrap();

        let listed = store.open_draft_notices().unwrap();
        let listed: Vec<(&str, Option<&str>)> = listed
            .iter()
            .map(|(r, n)| (r.as_str(), n.as_deref()))
            .collect();
        assert_eq!(listed, vec![("FOI-1", Some(notices)), ("FOI-2", None)]);

        // Drafted again without them, they are no longer known: never the
        // old draft's notices beside a new draft.
        store
            .save_draft("FOI-1", Status::Drafted, &who, "{}", None, 1)
            .unwrap();
        assert_eq!(store.open_draft_notices().unwrap()["FOI-1"], None);
    }
);

story!(
    the_public_log_version_changes_with_each_entry_added_by_any_council,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        assert_eq!(store.public_log_version().unwrap(), (0, 0));
        send(store.as_mut(), "FOI-1", &[]);
        let one = store.public_log_version().unwrap();
        assert_eq!(one.0, 1);
        assert!(one.1 > 0, "{one:?}");
        assert_eq!(
            store.public_log_version().unwrap(),
            one,
            "reading changes nothing"
        );
        // Another council's answer changes it too (it counts every entry).
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        send(county.as_mut(), "FOI-9", &[]);
        let two = store.public_log_version().unwrap();
        assert_eq!(two.0, 2);
        assert!(two.1 > one.1, "{one:?} then {two:?}");
        assert_eq!(county.public_log_version().unwrap(), two);
        send(store.as_mut(), "FOI-2", &[]);
        let three = store.public_log_version().unwrap();
        assert_eq!(three.0, 3);
        assert!(three.1 > two.1, "{two:?} then {three:?}");
    }
);

story!(
    the_subject_kept_with_a_case_is_listed_and_follows_its_text,
    |db: &TestDb| {
        let (mut store, _) = create(&db.location(), &init_meta("tester", "now")).unwrap();
        let meta = council_set();
        store
            .set_council(&meta, &council("city", "E06000016"))
            .unwrap();
        store.use_council("city").unwrap();
        let none = ActionDetail::default();
        let day = Date::constant(2024, 3, 15);
        let email = "From: A. Requester <a@example.org>\r\nTo: foi@example.invalid\r\n\
            Subject: FOI from A. Requester: crack users\r\n\r\nHow many crack users?\r\n";
        let mut emailed = case("FOI-1", day);
        emailed.original = email.into();
        store.open_case(&emailed, &none).unwrap();
        store.open_case(&case("FOI-2", day), &none).unwrap();
        send(store.as_mut(), "FOI-3", &[]);

        let listed = store.open_cases_with_history().unwrap();
        let subjects: Vec<(&str, Option<&str>)> = listed
            .iter()
            .map(|o| (o.case.reference.as_str(), o.subject.as_deref()))
            .collect();
        assert_eq!(
            subjects,
            vec![
                ("FOI-1", Some("FOI from A. Requester: crack users")),
                ("FOI-2", Some("(no subject)")),
            ]
        );
        for open in &listed {
            assert_eq!(
                open.subject.as_deref(),
                Some(lantern_core::casework::subject_of(&open.case.original).as_str())
            );
            assert_eq!(open.history.len(), 1, "{open:?}");
        }

        // Erasing the requester's details rewrites the text: the subject
        // kept is worked out from the new text, never left with the name.
        let who = Who {
            actor: "alice".into(),
            at: "2024-03-20T09:00:00Z".into(),
        };
        let rewrite = |held: lantern_store::HeldDetails<'_>, _kind, text: &str| {
            Ok(text.replace(held.name.unwrap_or("\u{0}"), "[name erased]"))
        };
        assert!(
            store
                .erase_requester("FOI-1", &who, "erased", &rewrite)
                .unwrap()
        );
        let listed = store.open_cases_with_history().unwrap();
        assert_eq!(
            listed[0].subject.as_deref(),
            Some("FOI from [name erased]: crack users")
        );

        // A restored dump does not carry it: not known, so read from the text.
        let tables = store.export().unwrap();
        let other = match db {
            TestDb::Sqlite(_) => TestDb::sqlite(),
            TestDb::Postgres { server, .. } => TestDb::postgres(server),
        };
        let (mut target, _) = create(&other.location(), &init_meta("tester", "now")).unwrap();
        target.restore(&tables).unwrap();
        target.use_council("city").unwrap();
        let restored = target.open_cases_with_history().unwrap();
        assert_eq!(restored.len(), 2);
        assert!(restored.iter().all(|o| o.subject.is_none()), "{restored:?}");
    }
);

story!(
    the_log_summed_up_per_answer_and_cell_covers_as_its_lines_do,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let pit = "people_in_treatment";
        let (home, other) = ("E06000016", "E08000001");
        let line = |reference: &str, period: &str, band: &str, decision: &str| LogEntry {
            breakdown: Some(band.into()),
            decision: decision.into(),
            value: (decision == "given").then_some(5),
            ..entry(reference, pit, home, period, 5)
        };
        // FOI-1 gave 2022/23 in full, withheld a band of 2023/24.
        send(
            store.as_mut(),
            "FOI-1",
            &[
                line("FOI-1", "2022/23", "", "given"),
                line("FOI-1", "2022/23", "sex=female", "given"),
                line("FOI-1", "2023/24", "", "given"),
                line("FOI-1", "2023/24", "sex=female", "suppressed"),
            ],
        );
        // FOI-2 gave both, one of them on a later line of another area too.
        send(
            store.as_mut(),
            "FOI-2",
            &[
                entry("FOI-2", pit, other, "2023/24", 3),
                line("FOI-2", "2023/24", "", "given"),
                line("FOI-2", "2022/23", "", "given"),
            ],
        );
        // FOI-3 withheld everything it logged.
        send(
            store.as_mut(),
            "FOI-3",
            &[line("FOI-3", "2022/23", "", "withheld")],
        );
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        send(
            county.as_mut(),
            "FOI-9",
            &[line("FOI-9", "2022/23", "", "given")],
        );
        let cell = |a: &str, p: &str| (pit.to_string(), a.to_string(), p.to_string());
        let asked = [cell(home, "2022/23"), cell(home, "2023/24")];
        let logged = store.logged_cells(&asked).unwrap();
        let summed: Vec<(&str, &str, bool, bool)> = logged
            .iter()
            .map(|l| {
                (
                    l.reference.as_str(),
                    l.cell.period.as_str(),
                    l.first_given.is_some(),
                    l.not_given,
                )
            })
            .collect();
        // One row per answer and cell asked for, this council's only.
        assert_eq!(
            summed,
            [
                ("FOI-1", "2022/23", true, false),
                ("FOI-1", "2023/24", true, true),
                ("FOI-2", "2022/23", true, false),
                ("FOI-2", "2023/24", true, false),
                ("FOI-3", "2022/23", false, true),
            ]
        );
        // The first line that gave it: FOI-2's 2023/24 line came before its
        // 2022/23 one.
        let first = |r: &str, p: &str| {
            logged
                .iter()
                .find(|l| l.reference == r && l.cell.period == p)
                .and_then(|l| l.first_given.as_ref())
                .map(|g| g.0)
                .unwrap()
        };
        assert!(first("FOI-2", "2023/24") < first("FOI-2", "2022/23"));
        assert!(first("FOI-1", "2022/23") < first("FOI-2", "2023/24"));
        // What they cover is what the lines themselves say.
        let cells: std::collections::BTreeSet<lantern_core::related::Cell> = asked
            .iter()
            .map(|(i, a, p)| lantern_core::related::Cell {
                indicator: i.clone(),
                area: a.clone(),
                period: p.clone(),
            })
            .collect();
        let lines = store.disclosure_log_of_cells(&asked).unwrap();
        for this in ["FOI-1", "FOI-5"] {
            let covered = lantern_core::related::covered_by_logged(this, &cells, &logged);
            assert_eq!(
                covered,
                lantern_core::related::covered_by(this, &cells, &lines)
            );
        }
        let covered = lantern_core::related::covered_by_logged("FOI-5", &cells, &logged);
        let refs: Vec<(&str, usize)> = covered
            .iter()
            .map(|c| (c.reference.as_str(), c.covered.len()))
            .collect();
        assert_eq!(refs, [("FOI-2", 2), ("FOI-1", 1)]);
        assert!(store.logged_cells(&[]).unwrap().is_empty());
        // Many cells (read together rather than one by one) give the same.
        let mut many = asked.to_vec();
        many.extend((0..80).map(|i| cell(home, &format!("{}/{:02}", 1900 + i, i % 100))));
        many.extend(asked.iter().cloned());
        assert_eq!(store.logged_cells(&many).unwrap(), logged);
        // The other council sees its own answer only.
        let theirs = county.logged_cells(&asked).unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].reference, "FOI-9");
    }
);

story!(
    the_relatable_cases_are_the_window_s_cases_without_their_text,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let none = ActionDetail::default();
        for (reference, received, structured, requester) in [
            (
                "FOI-3",
                Date::constant(2024, 3, 15),
                Some("[[question]]"),
                None,
            ),
            (
                "FOI-1",
                Date::constant(2023, 12, 31),
                None,
                Some("B. Other"),
            ),
            ("FOI-2", Date::constant(2024, 3, 15), None, None),
            ("FOI-4", Date::constant(2024, 4, 2), Some("x = 1"), None),
        ] {
            let mut opened = case(reference, received);
            opened.structured = structured.map(str::to_string);
            if let Some(name) = requester {
                opened.requester_name = Some(name.into());
                opened.requester_contact = None;
            }
            store.open_case(&opened, &none).unwrap();
        }
        let who = Who {
            actor: "alice".into(),
            at: "2024-03-20T09:00:00Z".into(),
        };
        store
            .act("FOI-2", Status::Received, Action::Withdraw, &who, &none)
            .unwrap();
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        county
            .open_case(&case("FOI-9", Date::constant(2024, 3, 15)), &none)
            .unwrap();

        for (from, to) in [
            (None, None),
            (Some(Date::constant(2024, 1, 1)), None),
            (None, Some(Date::constant(2024, 3, 15))),
            (
                Some(Date::constant(2024, 3, 15)),
                Some(Date::constant(2024, 3, 15)),
            ),
        ] {
            let whole: Vec<lantern_store::RelatableCase> = store
                .cases_received_between(from, to)
                .unwrap()
                .into_iter()
                .map(|c| lantern_store::RelatableCase {
                    reference: c.reference,
                    received: c.received,
                    status: c.status,
                    requester_name: c.requester_name,
                    requester_contact: c.requester_contact,
                    structured: c.structured,
                })
                .collect();
            assert_eq!(
                store.relatable_cases_between(from, to).unwrap(),
                whole,
                "{from:?} to {to:?}"
            );
        }
        let all = store.relatable_cases_between(None, None).unwrap();
        let refs: Vec<&str> = all.iter().map(|c| c.reference.as_str()).collect();
        assert_eq!(refs, ["FOI-1", "FOI-2", "FOI-3", "FOI-4"]);
        assert_eq!(all[1].status, Status::Withdrawn);
        assert_eq!(all[2].structured.as_deref(), Some("[[question]]"));
        assert_eq!(all[0].requester_name.as_deref(), Some("B. Other"));
        assert_eq!(all[0].requester_contact, None);
        let theirs = county.relatable_cases_between(None, None).unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].reference, "FOI-9");
    }
);

story!(
    the_inbox_reads_the_open_cases_in_brief_as_listed_in_full,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let none = ActionDetail::default();
        let who = Who {
            actor: "alice".into(),
            at: "2024-03-20T09:00:00Z".into(),
        };
        let email = "From: A. Requester <a@example.org>\r\nTo: foi@example.invalid\r\n\
            Subject: Needle exchanges\r\n\r\nHow many?\r\n";
        let mut emailed = case("FOI-2", Date::constant(2024, 3, 15));
        emailed.original = email.into();
        emailed.structured = Some("[[question]]".into());
        store.open_case(&emailed, &none).unwrap();
        store
            .open_case(&case("FOI-1", Date::constant(2024, 3, 18)), &none)
            .unwrap();
        // FOI-1's clock: on hold for clarification, which came, then extended.
        let on = |day: Date| ActionDetail {
            on: Some(day),
            ..ActionDetail::default()
        };
        store
            .act(
                "FOI-1",
                Status::Received,
                Action::SeekClarification,
                &who,
                &on(Date::constant(2024, 3, 19)),
            )
            .unwrap();
        store
            .act(
                "FOI-1",
                Status::ClarificationSought,
                Action::Clarified,
                &who,
                &on(Date::constant(2024, 3, 25)),
            )
            .unwrap();
        store
            .act("FOI-1", Status::Received, Action::Start, &who, &none)
            .unwrap();
        send(store.as_mut(), "FOI-3", &[]);
        store
            .open_case(&case("FOI-4", Date::constant(2024, 3, 1)), &none)
            .unwrap();
        store
            .act("FOI-4", Status::Received, Action::Withdraw, &who, &none)
            .unwrap();
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        county
            .open_case(&case("FOI-9", Date::constant(2024, 3, 15)), &none)
            .unwrap();

        let check = |store: &dyn Store| {
            let full = store.open_cases_with_history().unwrap();
            let brief = store.open_cases_in_brief().unwrap();
            assert_eq!(brief.len(), full.len());
            for (b, f) in brief.iter().zip(&full) {
                assert_eq!(b.reference, f.case.reference);
                assert_eq!(b.received, f.case.received);
                assert_eq!(b.status, f.case.status);
                assert_eq!(b.structured, f.case.structured.is_some());
                assert_eq!(b.subject, f.subject);
                // The text only where no subject is kept.
                let original = f.subject.is_none().then(|| f.case.original.clone());
                assert_eq!(b.original, original);
                let clock: Vec<_> = f
                    .history
                    .iter()
                    .filter(|e| {
                        lantern_core::casework::CLOCK_ACTIONS
                            .iter()
                            .any(|a| a.code() == e.action)
                    })
                    .cloned()
                    .collect();
                assert_eq!(b.clock, clock);
            }
            brief
        };
        let brief = check(store.as_ref());
        let listed: Vec<(&str, usize, bool)> = brief
            .iter()
            .map(|b| (b.reference.as_str(), b.clock.len(), b.structured))
            .collect();
        assert_eq!(listed, [("FOI-2", 0, true), ("FOI-1", 2, false)]);
        assert_eq!(brief[0].subject.as_deref(), Some("Needle exchanges"));
        assert_eq!(brief[0].original, None);
        assert_eq!(brief[1].clock[0].action, "seek_clarification");
        assert_eq!(brief[1].clock[1].on, Some(Date::constant(2024, 3, 25)));
        let theirs = county.open_cases_in_brief().unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].reference, "FOI-9");

        // A restored dump keeps no subject: the text is read instead.
        let tables = store.export().unwrap();
        let other = match db {
            TestDb::Sqlite(_) => TestDb::sqlite(),
            TestDb::Postgres { server, .. } => TestDb::postgres(server),
        };
        let (mut target, _) = create(&other.location(), &init_meta("tester", "now")).unwrap();
        target.restore(&tables).unwrap();
        target.use_council("city").unwrap();
        let restored = check(target.as_ref());
        assert_eq!(restored.len(), 2);
        assert_eq!(restored[0].original.as_deref(), Some(email));
        assert_eq!(restored[1].subject, None);
    }
);

story!(
    the_log_s_cells_kept_by_a_connection_are_read_again_after_any_change,
    |db: &TestDb| {
        let mut store = city_and_county(db);
        let pit = "people_in_treatment";
        let home = "E06000016";
        let line = |reference: &str, decision: &str| LogEntry {
            decision: decision.into(),
            value: (decision == "given").then_some(5),
            ..entry(reference, pit, home, "2022/23", 5)
        };
        let asked = [(pit.to_string(), home.to_string(), "2022/23".to_string())];
        let answers = |store: &dyn Store| -> Vec<(String, bool, bool)> {
            store
                .logged_cells(&asked)
                .unwrap()
                .into_iter()
                .map(|l| (l.reference, l.first_given.is_some(), l.not_given))
                .collect()
        };
        send(store.as_mut(), "FOI-1", &[line("FOI-1", "given")]);
        let first = answers(store.as_ref());
        assert_eq!(first, [("FOI-1".to_string(), true, false)]);
        // Read again with nothing changed: the same.
        assert_eq!(answers(store.as_ref()), first);
        // An answer sent through another connection is seen.
        let mut other = open(&db.location()).unwrap();
        other.use_council("city").unwrap();
        send(other.as_mut(), "FOI-2", &[line("FOI-2", "withheld")]);
        assert_eq!(
            answers(store.as_ref()),
            [
                ("FOI-1".to_string(), true, false),
                ("FOI-2".to_string(), false, true)
            ]
        );
        // And one sent through this one.
        send(store.as_mut(), "FOI-3", &[line("FOI-3", "given")]);
        assert_eq!(answers(store.as_ref()).len(), 3);
        // Another council's handle on the same connection kind sees its own.
        let mut county = open(&db.location()).unwrap();
        county.use_council("county").unwrap();
        assert!(answers(county.as_ref()).is_empty());
        // A change anywhere else in the database is a change too: the lines
        // are read again, and are still the same.
        send(
            other.as_mut(),
            "FOI-4",
            &[entry("FOI-4", pit, "E08000001", "2022/23", 3)],
        );
        assert_eq!(answers(store.as_ref()).len(), 3);
    }
);
