//! Lantern's own publications and the publication calendar in the store
//! (migration 21), told as stories on both engines: a publication written
//! with its disclosure-log lines and audit entry in one transaction, refused
//! (nothing written) when the log grew since it was decided or its
//! reference is taken; pages of published cells by filter; planned
//! publications by day; everything through a dump and back; the version
//! the public figure pages are kept by, changed by every publication and
//! catalogue layer added, by nothing refused or read.

use lantern_core::casework::LogEntry;
use lantern_store::publications::{NewPlan, NewPublication, PublishedCell, PublishedQuery};
use lantern_store::{Created, ImportKind, ImportMeta, Store, StoreError, Who, create, init_meta};

use crate::story;
use lantern_store::testing::TestDb;

fn new_store(db: &TestDb) -> Box<dyn Store> {
    let (store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    assert_eq!(created, Created::New);
    store
}

fn who(at: &str) -> Who {
    Who {
        actor: "ana".into(),
        at: at.into(),
    }
}

fn cell(
    period: &str,
    breakdown: &str,
    decision: &str,
    value: Option<i64>,
    released: &str,
) -> PublishedCell {
    PublishedCell {
        caption: "People in treatment by sex".into(),
        period: period.into(),
        period_label: period.into(),
        breakdown: breakdown.into(),
        breakdown_label: breakdown.replace("sex=", ""),
        decision: decision.into(),
        value,
        released: released.into(),
    }
}

fn publication(reference: &str, log_seen: i64, period: &str) -> NewPublication {
    NewPublication {
        reference: reference.into(),
        indicator: "people_in_treatment".into(),
        area: "E06000016".into(),
        from: period.into(),
        to: period.into(),
        breakdowns: vec!["sex".into()],
        title: format!("People in treatment, {period}"),
        data_version: 1,
        log_seen,
        cells: vec![
            cell(period, "", "given", Some(1200), "1,200 people"),
            cell(period, "sex=male", "given", Some(800), "800 people"),
            cell(period, "sex=other", "suppressed", None, "fewer than 5"),
        ],
    }
}

fn lines(p: &NewPublication, at: &str) -> Vec<LogEntry> {
    p.cells
        .iter()
        .map(|c| LogEntry {
            reference: p.reference.clone(),
            sent_at: at.into(),
            question: "1".into(),
            indicator: Some(p.indicator.clone()),
            area: Some(p.area.clone()),
            period: Some(c.period.clone()),
            breakdown: Some(c.breakdown.clone()),
            decision: c.decision.clone(),
            basis: (c.decision == "suppressed").then(|| "s40_2".to_string()),
            value: c.value,
            released: c.released.clone(),
        })
        .collect()
}

story!(
    a_publication_joins_the_disclosure_log_and_the_audit_at_once,
    |db: &TestDb| {
        let mut store = new_store(db);
        assert_eq!(store.disclosure_log_mark().unwrap(), 0);
        let first = publication("PUB-0001", 0, "2022/23");
        let at = "2026-12-05T09:00:00Z";
        store.publish(&first, &lines(&first, at), &who(at)).unwrap();
        let log = store.disclosure_log().unwrap();
        assert_eq!(log.len(), 3);
        assert!(log.iter().all(|e| e.reference == "PUB-0001"));
        let mark = store.disclosure_log_mark().unwrap();
        assert!(mark > 0);
        let audit = store.audit(10).unwrap();
        assert!(
            audit.iter().any(|a| a.action == "publication.publish"
                && a.actor == "ana"
                && a.key == "PUB-0001"),
            "{audit:?}"
        );
        let kept = store.publications().unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].published_by, "ana");
        assert_eq!(kept[0].breakdowns, vec!["sex".to_string()]);

        // Decided before the log grew: refused, nothing written.
        let stale = publication("PUB-0002", 0, "2023/24");
        assert!(matches!(
            store.publish(&stale, &lines(&stale, at), &who(at)),
            Err(StoreError::LogMoved)
        ));
        // The same reference again: refused, nothing written.
        let again = publication("PUB-0001", mark, "2023/24");
        assert!(matches!(
            store.publish(&again, &lines(&again, at), &who(at)),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(store.disclosure_log().unwrap().len(), 3);
        assert_eq!(store.publications().unwrap().len(), 1);

        let second = publication("PUB-0002", mark, "2023/24");
        store
            .publish(&second, &lines(&second, at), &who(at))
            .unwrap();

        // Pages: the newest publication first, each in its own order.
        let all = store
            .published_figures(&PublishedQuery {
                limit: 100,
                ..PublishedQuery::default()
            })
            .unwrap();
        assert_eq!(all.total, 6);
        let order: Vec<(&str, &str)> = all
            .figures
            .iter()
            .map(|f| (f.reference.as_str(), f.cell.breakdown.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("PUB-0002", ""),
                ("PUB-0002", "sex=male"),
                ("PUB-0002", "sex=other"),
                ("PUB-0001", ""),
                ("PUB-0001", "sex=male"),
                ("PUB-0001", "sex=other"),
            ]
        );
        let small = all
            .figures
            .iter()
            .find(|f| f.cell.breakdown == "sex=other")
            .unwrap();
        assert_eq!(
            small.cell.value, None,
            "a small count's value is never kept for the public"
        );
        let one_year = store
            .published_figures(&PublishedQuery {
                period: Some("2022/23".into()),
                limit: 2,
                offset: 2,
                ..PublishedQuery::default()
            })
            .unwrap();
        assert_eq!(one_year.total, 3);
        assert_eq!(one_year.figures.len(), 1);
        assert_eq!(one_year.figures[0].cell.breakdown, "sex=other");
        let none = store
            .published_figures(&PublishedQuery {
                area: Some("E06000017".into()),
                limit: 10,
                ..PublishedQuery::default()
            })
            .unwrap();
        assert_eq!(none.total, 0);
    }
);

story!(
    planned_publications_by_day_and_through_a_dump,
    |db: &TestDb| {
        let mut store = new_store(db);
        for (period, on) in [("2024/25", "2025-11-01"), ("2023/24", "2024-11-01")] {
            store
                .plan_publication(
                    &NewPlan {
                        indicator: "people_in_treatment".into(),
                        period: period.into(),
                        planned_on: on.into(),
                    },
                    &who("2026-12-05T09:00:00Z"),
                )
                .unwrap();
        }
        let plans = store.planned_publications().unwrap();
        let days: Vec<&str> = plans.iter().map(|p| p.planned_on.as_str()).collect();
        assert_eq!(days, vec!["2024-11-01", "2025-11-01"]);
        assert_eq!(plans[0].planned_by, "ana");
        assert!(
            store
                .audit(10)
                .unwrap()
                .iter()
                .any(|a| a.action == "publication.plan" && a.actor == "ana")
        );
        let first = publication("PUB-0001", 0, "2023/24");
        let at = "2026-12-05T09:00:00Z";
        store.publish(&first, &lines(&first, at), &who(at)).unwrap();

        let tables = store.export().unwrap();
        for name in ["publications", "published_figures", "planned_publications"] {
            let t = tables.iter().find(|t| t.table == name).unwrap();
            assert!(!t.rows.is_empty(), "{name} is dumped");
        }
        let mut bytes = Vec::new();
        lantern_store::dump::write(&mut bytes, lantern_store::SCHEMA_VERSION, &tables).unwrap();
        let read = lantern_store::dump::read(&mut bytes.as_slice()).unwrap();
        let other = match db {
            TestDb::Sqlite(_) => TestDb::sqlite(),
            TestDb::Postgres { server, .. } => TestDb::postgres(server),
        };
        let mut target = new_store(&other);
        target.restore(&read).unwrap();
        assert_eq!(target.export().unwrap(), tables);
        assert_eq!(
            target.publications().unwrap(),
            store.publications().unwrap()
        );
        assert_eq!(target.planned_publications().unwrap(), plans);
    }
);

story!(
    the_published_version_changes_with_each_publication_and_catalogue_layer_only,
    |db: &TestDb| {
        let mut store = new_store(db);
        let start = store.published_version().unwrap();
        assert_eq!((start[0], start[1]), (0, 0), "no publications: {start:?}");
        assert!(
            start[2] >= 1 && start[3] >= 1,
            "the shipped layer: {start:?}"
        );
        assert_eq!(
            store.published_version().unwrap(),
            start,
            "reading changes nothing"
        );

        let at = "2026-12-05T09:00:00Z";
        let first = publication("PUB-0001", 0, "2022/23");
        store.publish(&first, &lines(&first, at), &who(at)).unwrap();
        let one = store.published_version().unwrap();
        assert_eq!(one[0], 1);
        assert!(one[1] > 0, "{one:?}");
        assert_eq!(one[2..], start[2..], "the catalogue is as it was");

        // Refused, nothing written: the version is the same.
        let stale = publication("PUB-0002", 0, "2023/24");
        assert!(store.publish(&stale, &lines(&stale, at), &who(at)).is_err());
        assert_eq!(store.published_version().unwrap(), one);

        // A plan is not a publication (the calendar is not kept by it).
        store
            .plan_publication(
                &NewPlan {
                    indicator: "people_in_treatment".into(),
                    period: "2024/25".into(),
                    planned_on: "2026-06-01".into(),
                },
                &who(at),
            )
            .unwrap();
        assert_eq!(store.published_version().unwrap(), one);

        let mark = store.disclosure_log_mark().unwrap();
        let second = publication("PUB-0002", mark, "2023/24");
        store
            .publish(&second, &lines(&second, at), &who(at))
            .unwrap();
        let two = store.published_version().unwrap();
        assert_eq!(two[0], 2);
        assert!(two[1] > one[1], "{one:?} then {two:?}");

        // A catalogue layer (names, descriptions, units) changes it too.
        let extension = "[[indicator]]\ncode = \"hep_c_tests\"\ntitle = \"Hepatitis C tests\"\ndescription = \"Tests.\"\nunit = \"people\"\ncounts_people = true\n";
        store
            .extend_catalogue(
                &ImportMeta {
                    kind: ImportKind::Catalogue,
                    file: "council.toml".into(),
                    sha256: "00".into(),
                    actor: "tester".into(),
                    at: at.into(),
                },
                extension,
            )
            .unwrap();
        let three = store.published_version().unwrap();
        assert_eq!(three[..2], two[..2]);
        assert_eq!(three[2], two[2] + 1);
        assert!(three[3] > two[3], "{two:?} then {three:?}");
    }
);
