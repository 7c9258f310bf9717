//! Reading only the cases a request can be related to
//! (`Store::cases_received_between`): the council's own cases received
//! within the window, ends included, oldest first, never another council's.

use jiff::civil::Date;
use lantern_core::casework::{ActionDetail, Case, Status};
use lantern_core::council::{Council, Settings};
use lantern_store::{Created, ImportKind, ImportMeta, Store, create, init_meta, open};

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
        let (mut store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
        assert_eq!(created, Created::New);
        let meta = ImportMeta {
            kind: ImportKind::Council,
            file: "lantern council set".into(),
            sha256: String::new(),
            actor: "admin".into(),
            at: "2026-01-01T00:00:00Z".into(),
        };
        store
            .set_council(&meta, &council("city", "E06000016"))
            .unwrap();
        store
            .set_council(&meta, &council("county", "E10000018"))
            .unwrap();
        store.use_council("city").unwrap();
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
            .cases_received_between(Some(Date::constant(2023, 12, 31)), Some(Date::constant(2023, 12, 31)))
            .unwrap();
        assert_eq!(read, [case("FOI-1", Date::constant(2023, 12, 31))]);
    }
);
