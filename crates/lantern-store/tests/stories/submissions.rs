//! Providers' submissions, their record chunks, the agency register and the
//! figure sets computed from records, told as stories on every backend.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use lantern_core::FinancialYear;
use lantern_core::figure::{Breakdown, Source, Status, Value};
use lantern_core::period::Period;
use lantern_core::records::{Agency, YearMonth};
use lantern_store::testing::TestDb;
use lantern_store::{
    ChunkQuery, Created, FigureQuery, ImportKind, ImportMeta, NewChunk, NewFigureSet,
    NewSubmission, Store, StoreError, SubmitOutcome, create, init_meta, open,
};

use crate::story;

fn new_store(db: &TestDb) -> Box<dyn Store> {
    let (store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    assert_eq!(created, Created::New);
    store
}

fn meta(kind: ImportKind, file: &str, sha256: &str) -> ImportMeta {
    ImportMeta {
        kind,
        file: file.into(),
        sha256: sha256.into(),
        actor: "tester".into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

fn month(text: &str) -> YearMonth {
    YearMonth::parse(text).unwrap()
}

/// A provider's file: `sha` stands for its contents; its records are in
/// two areas, with bodies made from `fill` so that each submission's chunks
/// can be told apart.
fn file(provider: &str, when: &str, sha: &str, fill: u8) -> (ImportMeta, NewSubmission) {
    let submission = NewSubmission {
        provider: provider.into(),
        month: month(when),
        key_fingerprint: "0123456789abcdef".into(),
        accepted: true,
        rows_read: 30,
        rows_accepted: 30,
        rows_rejected: 0,
        report_json: r#"{"problems":[]}"#.into(),
        chunks: vec![
            NewChunk {
                area: "E06000016".into(),
                records: 20,
                body: vec![fill; 2000],
            },
            NewChunk {
                area: "E06000017".into(),
                records: 10,
                body: (0..=255u8).chain([fill]).collect(),
            },
        ],
    };
    (
        meta(ImportKind::Episodes, &format!("{provider}-{when}.csv"), sha),
        submission,
    )
}

fn current_ids(store: &dyn Store) -> Vec<i64> {
    store
        .submissions()
        .unwrap()
        .iter()
        .filter(|s| s.current)
        .map(|s| s.id)
        .collect()
}

fn chunk_submissions(store: &dyn Store, query: &ChunkQuery) -> BTreeSet<i64> {
    store
        .chunks(query)
        .unwrap()
        .iter()
        .map(|c| c.submission)
        .collect()
}

story!(
    submissions_replace_supersede_and_stay_readable,
    |db: &TestDb| {
        let mut store = new_store(db);
        let v0 = store.data_version().unwrap();

        // The first file for a month is current.
        let (m, s) = file("N0001", "2024-04", "aa", 1);
        let first = store.submit(&m, &s).unwrap();
        assert_eq!(first.outcome, SubmitOutcome::Current);
        assert_eq!((first.previous_current, first.replaced), (None, None));
        assert_eq!((first.receipt.added, first.receipt.rows), (30, 30));
        assert!(first.receipt.data_version > v0);
        let v1 = store.data_version().unwrap();
        assert_eq!(v1, first.receipt.data_version);
        let held = store.submission(first.id).unwrap().unwrap();
        assert!(held.status == "accepted" && held.current);
        assert_eq!(held.provider, "N0001");
        assert_eq!(held.month, month("2024-04"));
        assert_eq!(held.sha256, "aa");
        assert_eq!(held.file, "N0001-2024-04.csv");
        assert_eq!(held.areas, ["E06000016", "E06000017"]);
        assert_eq!(held.report, r#"{"problems":[]}"#);
        assert_eq!(held.replaced_by, None);
        let chunks = store.chunks(&ChunkQuery::default()).unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].body, vec![1; 2000], "bytes come back as given");
        assert_eq!(chunks[1].body.len(), 257);
        assert_eq!(
            (chunks[0].records, chunks[0].area.as_str()),
            (20, "E06000016")
        );
        assert_eq!(chunks[0].provider, "N0001");
        assert_eq!(chunks[0].month, month("2024-04"));

        // The same file again changes nothing, not even the data version.
        let again = store.submit(&m, &s).unwrap();
        assert_eq!(again.outcome, SubmitOutcome::Unchanged);
        assert_eq!(again.id, first.id);
        assert_eq!(store.data_version().unwrap(), v1);
        assert_eq!(store.submissions().unwrap().len(), 1);

        // A corrected file for the same month replaces it.
        let (m, s) = file("N0001", "2024-04", "bb", 2);
        let second = store.submit(&m, &s).unwrap();
        assert_eq!(second.outcome, SubmitOutcome::Current);
        assert_eq!(second.previous_current, Some(first.id));
        assert_eq!(second.replaced, Some(first.id));
        assert_eq!(second.receipt.replaced, 1);
        let v2 = store.data_version().unwrap();
        assert!(v2 > v1);
        let old = store.submission(first.id).unwrap().unwrap();
        assert_eq!(old.replaced_by, Some(second.id));
        assert!(!old.current);
        assert_eq!(current_ids(&*store), [second.id]);
        assert_eq!(
            chunk_submissions(&*store, &ChunkQuery::default()),
            BTreeSet::from([second.id])
        );
        // A replaced submission's chunks are still there when asked for by id.
        let old_chunks = store
            .chunks(&ChunkQuery {
                areas: None,
                submission: Some(first.id),
            })
            .unwrap();
        assert_eq!(old_chunks.len(), 2);
        assert_eq!(old_chunks[0].body, vec![1; 2000]);

        // A later month supersedes it.
        let (m, s) = file("N0001", "2024-05", "cc", 3);
        let may = store.submit(&m, &s).unwrap();
        assert_eq!(may.outcome, SubmitOutcome::Current);
        assert_eq!(
            (may.previous_current, may.replaced),
            (Some(second.id), None)
        );
        assert_eq!(current_ids(&*store), [may.id]);

        // An older month sent afterwards is stored but does not take over.
        let (m, s) = file("N0001", "2024-03", "dd", 4);
        let march = store.submit(&m, &s).unwrap();
        assert_eq!(march.outcome, SubmitOutcome::Superseded);
        assert_eq!(march.previous_current, None);
        assert!(store.data_version().unwrap() > v2);
        assert_eq!(current_ids(&*store), [may.id]);
        assert_eq!(
            chunk_submissions(&*store, &ChunkQuery::default()),
            BTreeSet::from([may.id])
        );

        // Another provider: each provider has its own current submission,
        // and chunks can be read for some areas only.
        let (m, mut s) = file("N0002", "2024-04", "ee", 5);
        s.chunks.truncate(1);
        let other = store.submit(&m, &s).unwrap();
        assert_eq!(other.outcome, SubmitOutcome::Current);
        assert_eq!(other.previous_current, None);
        assert_eq!(current_ids(&*store), [may.id, other.id]);
        let all = store.chunks(&ChunkQuery::default()).unwrap();
        let order: Vec<(&str, &str)> = all
            .iter()
            .map(|c| (c.provider.as_str(), c.area.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("N0001", "E06000016"),
                ("N0001", "E06000017"),
                ("N0002", "E06000016")
            ]
        );
        let only = store
            .chunks(&ChunkQuery {
                areas: Some(vec!["E06000017".into()]),
                submission: None,
            })
            .unwrap();
        assert_eq!(only.len(), 1);
        assert_eq!((only[0].submission, only[0].body[256]), (may.id, 3));
        assert!(
            store
                .chunks(&ChunkQuery {
                    areas: Some(vec![]),
                    submission: None
                })
                .unwrap()
                .is_empty()
        );

        let ids: Vec<i64> = store.submissions().unwrap().iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [first.id, second.id, may.id, march.id, other.id],
            "oldest first"
        );
        assert_eq!(store.key_fingerprints().unwrap(), ["0123456789abcdef"]);
        assert_eq!(store.submission(9999).unwrap(), None);

        let audit = store.audit(100).unwrap();
        let actions: Vec<(&str, &str)> = audit
            .iter()
            .filter(|a| a.action.starts_with("submission."))
            .map(|a| (a.action.as_str(), a.key.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("submission.add", "N0001 2024-04"),
                ("submission.add", "N0001 2024-04"),
                ("submission.replace", "N0001 2024-04"),
                ("submission.add", "N0001 2024-05"),
                ("submission.add", "N0001 2024-03"),
                ("submission.add", "N0002 2024-04"),
            ]
        );
        assert!(audit.iter().any(|a| a.detail.contains("\"sha256\":\"bb\"")));
        let kinds: Vec<String> = store
            .imports()
            .unwrap()
            .iter()
            .map(|i| i.kind.clone())
            .collect();
        assert_eq!(kinds.iter().filter(|k| *k == "episodes").count(), 6);
    }
);

story!(
    a_rejected_file_is_kept_with_its_report_and_changes_nothing_else,
    |db: &TestDb| {
        let mut store = new_store(db);
        let (m, s) = file("N0001", "2024-04", "aa", 1);
        let good = store.submit(&m, &s).unwrap();
        let version = store.data_version().unwrap();

        let (m, mut s) = file("N0001", "2024-05", "bb", 2);
        s.accepted = false;
        s.rows_accepted = 0;
        s.rows_rejected = 30;
        s.report_json = r#"{"problems":[{"line":2,"message":"bad date"}]}"#.into();
        let rejected = store.submit(&m, &s).unwrap();
        assert_eq!(rejected.outcome, SubmitOutcome::Rejected);
        assert_eq!(rejected.previous_current, None);
        assert_eq!(store.data_version().unwrap(), version);
        assert_eq!(rejected.receipt.data_version, version);

        let held = store.submission(rejected.id).unwrap().unwrap();
        assert!(held.status == "rejected" && !held.current);
        assert_eq!(held.report, s.report_json);
        assert_eq!((held.rows_read, held.rows_rejected), (30, 30));
        assert!(held.areas.is_empty());
        assert!(
            store
                .chunks(&ChunkQuery {
                    areas: None,
                    submission: Some(rejected.id)
                })
                .unwrap()
                .is_empty(),
            "a rejected file keeps no records"
        );
        assert_eq!(current_ids(&*store), [good.id]);
        let last = store.audit(1).unwrap();
        assert_eq!(
            (last[0].action.as_str(), last[0].key.as_str()),
            ("submission.reject", "N0001 2024-05")
        );

        // A rejected file does not count as the held one: the same bytes
        // accepted later are stored.
        let (m, s) = file("N0001", "2024-05", "bb", 2);
        assert_eq!(
            store.submit(&m, &s).unwrap().outcome,
            SubmitOutcome::Current
        );
    }
);

story!(
    two_processes_submitting_the_same_month_end_with_one_current_submission,
    |db: &TestDb| {
        drop(new_store(db));
        let location = db.location();
        let writers = 4;
        let barrier = Arc::new(Barrier::new(writers));
        let threads: Vec<_> = (0..writers)
            .map(|i| {
                let (location, barrier) = (location.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = open(&location).unwrap();
                    let fill = u8::try_from(i + 10).unwrap();
                    let (m, s) = file("N0001", "2024-04", &format!("sha{i}"), fill);
                    barrier.wait();
                    store.submit(&m, &s).unwrap()
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        // Writers are serialised: each was current when it was written.
        assert!(
            results.iter().all(|r| r.outcome == SubmitOutcome::Current),
            "{results:?}"
        );
        let store = open(&location).unwrap();
        let subs = store.submissions().unwrap();
        assert_eq!(subs.len(), writers);
        let current = current_ids(&*store);
        assert_eq!(current.len(), 1, "{subs:?}");
        assert_eq!(
            subs.iter().filter(|s| s.replaced_by.is_some()).count(),
            writers - 1
        );
        let chunks = store.chunks(&ChunkQuery::default()).unwrap();
        assert_eq!(chunks.len(), 2);
        assert!(chunks.iter().all(|c| c.submission == current[0]));
        // The bytes are all one writer's.
        let fill = chunks[0].body[0];
        assert!(chunks[0].body.iter().all(|b| *b == fill));
        assert_eq!(chunks[1].body[256], fill);

        // The same file from two processes at once: stored once.
        let barrier = Arc::new(Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (location, barrier) = (location.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = open(&location).unwrap();
                    let (m, s) = file("N0001", "2024-05", "same", 99);
                    barrier.wait();
                    store.submit(&m, &s).unwrap()
                })
            })
            .collect();
        let mut outcomes: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().unwrap().outcome)
            .collect();
        outcomes.sort_by_key(|o| *o == SubmitOutcome::Unchanged);
        assert_eq!(outcomes, [SubmitOutcome::Current, SubmitOutcome::Unchanged]);
        assert_eq!(store.submissions().unwrap().len(), writers + 1);
        assert_eq!(current_ids(&*store).len(), 1);
    }
);

fn year(start: i16) -> FinancialYear {
    FinancialYear::starting(start).unwrap()
}

fn set(area: &str, start: i16, body: &str, submissions: &[i64]) -> NewFigureSet {
    NewFigureSet {
        area: area.into(),
        year: year(start),
        status: Status::Provisional,
        body: body.into(),
        submissions: submissions.to_vec(),
    }
}

fn local(store: &dyn Store, version: Option<i64>) -> Vec<(String, String, String, i64)> {
    let figures = match version {
        Some(v) => store.snapshot(Some(v)).unwrap().figures,
        None => store.figures(&FigureQuery::default()).unwrap(),
    };
    figures
        .iter()
        .filter(|f| f.source == Source::LocalRecords)
        .map(|f| {
            let Value::Exact(v) = f.value else {
                panic!("{f:?}")
            };
            (f.indicator.clone(), f.area.clone(), f.breakdown.key(), v)
        })
        .collect()
}

story!(
    figure_sets_are_versioned_and_read_as_figures,
    |db: &TestDb| {
        let mut store = new_store(db);
        let recompute = meta(ImportKind::Recompute, "recompute", "");
        let scope = [("E06000016".to_string(), year(2016))];
        let body = "@people_in_treatment\n|12\nsex=f|5\n@residential_rehab_placements\n|3|includes self-funded placements\n";

        let added = store
            .write_figure_sets(&recompute, &scope, &[set("E06000016", 2016, body, &[1, 2])])
            .unwrap();
        assert_eq!((added.added, added.replaced, added.unchanged), (1, 0, 0));
        let v1 = store.data_version().unwrap();
        assert_eq!(added.data_version, v1);

        let figures = store.figures(&FigureQuery::default()).unwrap();
        assert_eq!(figures.len(), 3);
        let f = &figures[0];
        assert_eq!(f.indicator, "people_in_treatment");
        assert_eq!(f.area, "E06000016");
        assert_eq!(f.period, Period::financial_year(2016).unwrap());
        assert_eq!(f.breakdown, Breakdown::total());
        assert_eq!(f.value, Value::Exact(12));
        assert_eq!(
            (f.source, f.status),
            (Source::LocalRecords, Status::Provisional)
        );
        assert!(f.coverage.is_empty() && f.note.is_none());
        assert_eq!(f.provenance.file, "records: submissions 1, 2");
        assert_eq!((f.provenance.import, f.provenance.line), (v1, 0));
        assert_eq!(f.provenance.actor, "tester");
        assert_eq!(f.provenance.imported_at, "2026-01-01T00:00:00Z");
        assert_eq!(figures[1].breakdown, Breakdown::from_key("sex=f"));
        assert_eq!(
            figures[2].coverage,
            vec!["includes self-funded placements".to_string()]
        );

        // Filters apply to computed figures as to imported ones.
        let rehab = store
            .figures(&FigureQuery {
                indicator: Some("residential_rehab_placements".into()),
                area: None,
            })
            .unwrap();
        assert_eq!(rehab.len(), 1);
        let elsewhere = store
            .figures(&FigureQuery {
                indicator: None,
                area: Some("E06000017".into()),
            })
            .unwrap();
        assert!(elsewhere.is_empty());

        // The same counts again: nothing changes.
        let same = store
            .write_figure_sets(&recompute, &scope, &[set("E06000016", 2016, body, &[1, 2])])
            .unwrap();
        assert_eq!((same.added, same.replaced, same.unchanged), (0, 0, 1));
        assert_eq!(store.data_version().unwrap(), v1);

        // New counts replace the old; the old stay readable at their version.
        let revised = store
            .write_figure_sets(
                &recompute,
                &scope,
                &[set("E06000016", 2016, "@people_in_treatment\n|14\n", &[3])],
            )
            .unwrap();
        assert_eq!((revised.added, revised.replaced), (0, 1));
        let v2 = store.data_version().unwrap();
        assert!(v2 > v1);
        assert_eq!(
            local(&*store, None),
            [(
                "people_in_treatment".into(),
                "E06000016".into(),
                String::new(),
                14
            )]
        );
        assert_eq!(local(&*store, Some(v1)).len(), 3);
        assert_eq!(local(&*store, Some(v1))[0].3, 12);
        let sets = store.figure_sets(None).unwrap();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].submissions, [3]);
        assert_eq!((sets[0].added_in, sets[0].year), (v2, year(2016)));
        assert_eq!(store.figure_sets(Some("E06000016")).unwrap().len(), 1);
        assert!(store.figure_sets(Some("E06000017")).unwrap().is_empty());

        // A status change alone is a change.
        let mut final_set = set("E06000016", 2016, "@people_in_treatment\n|14\n", &[3]);
        final_set.status = Status::Final;
        let finalised = store
            .write_figure_sets(&recompute, &scope, &[final_set])
            .unwrap();
        assert_eq!(finalised.replaced, 1);
        let v3 = store.data_version().unwrap();
        assert_eq!(
            store.figures(&FigureQuery::default()).unwrap()[0].status,
            Status::Final
        );

        // A scoped area and year with no set any more: retired.
        let retired = store.write_figure_sets(&recompute, &scope, &[]).unwrap();
        assert_eq!((retired.added, retired.replaced), (0, 1));
        let v4 = store.data_version().unwrap();
        assert!(v4 > v3);
        assert!(local(&*store, None).is_empty());
        assert_eq!(local(&*store, Some(v3)).len(), 1);
        assert!(store.figure_sets(None).unwrap().is_empty());

        let recomputes = store
            .audit(100)
            .unwrap()
            .iter()
            .filter(|a| a.action == "figures.recompute")
            .count();
        assert_eq!(recomputes, 4, "one entry per change");

        // Bodies that do not read back are refused before anything is stored.
        let err = store
            .write_figure_sets(
                &recompute,
                &scope,
                &[set("E06000016", 2016, "nonsense\n", &[])],
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert_eq!(store.data_version().unwrap(), v4);
    }
);

story!(the_agency_register_is_versioned, |db: &TestDb| {
    let mut store = new_store(db);
    let agency = |code: &str, name: &str, area: Option<&str>| Agency {
        code: code.into(),
        name: name.into(),
        area: area.map(str::to_string),
    };
    let register = meta(ImportKind::Agencies, "agencies.csv", "r1");
    let first = store
        .import_agencies(
            &register,
            &[
                (2, agency("N0852", "Turning Point", Some("E06000016"))),
                (3, agency("N0001", "Change Grow Live", None)),
            ],
        )
        .unwrap();
    assert_eq!(first.added, 2);
    let again = store
        .import_agencies(
            &register,
            &[(2, agency("N0852", "Turning Point", Some("E06000016")))],
        )
        .unwrap();
    assert_eq!(
        (again.unchanged, again.data_version),
        (1, first.data_version)
    );
    let renamed = store
        .import_agencies(
            &register,
            &[(
                2,
                agency("N0852", "Turning Point Leicester", Some("E06000016")),
            )],
        )
        .unwrap();
    assert_eq!(renamed.replaced, 1);
    assert_eq!(
        store.agencies().unwrap(),
        [
            agency("N0001", "Change Grow Live", None),
            agency("N0852", "Turning Point Leicester", Some("E06000016")),
        ]
    );
    let actions: Vec<String> = store
        .audit(10)
        .unwrap()
        .iter()
        .map(|a| a.action.clone())
        .collect();
    assert_eq!(
        actions,
        [
            "catalogue.init",
            "agency.add",
            "agency.add",
            "agency.replace"
        ]
    );
    assert_eq!(store.imports().unwrap()[1].kind, "agencies");
});

/// Make the database fail any insert of `table` whose area is `BOOM`.
fn fail_on_boom(db: &TestDb, table: &str) {
    match db {
        TestDb::Sqlite(_) => db.raw(&format!(
            "CREATE TRIGGER boom_{table} BEFORE INSERT ON {table} WHEN NEW.area = 'BOOM'
             BEGIN SELECT RAISE(ABORT, 'boom'); END;"
        )),
        TestDb::Postgres { .. } => db.raw(&format!(
            "CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.area = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER boom_{table} BEFORE INSERT ON {table}
             FOR EACH ROW EXECUTE FUNCTION boom();"
        )),
    }
}

story!(
    a_write_that_fails_half_way_leaves_nothing_behind,
    |db: &TestDb| {
        let mut store = new_store(db);
        let (m, s) = file("N0001", "2024-04", "aa", 1);
        let first = store.submit(&m, &s).unwrap();
        let before = (
            store.data_version().unwrap(),
            store.imports().unwrap(),
            store.audit(1000).unwrap(),
            store.submissions().unwrap(),
            store.chunks(&ChunkQuery::default()).unwrap(),
        );
        fail_on_boom(db, "submission_chunks");
        fail_on_boom(db, "record_figure_sets");

        // A replacement whose second chunk fails: the submission row, its first
        // chunk, the replacement mark, the import and the audit all go.
        let (m, mut s) = file("N0001", "2024-04", "bb", 2);
        s.chunks[1].area = "BOOM".into();
        let err = store.submit(&m, &s).unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");

        // Figure sets: the first (area A…) is written, the second fails.
        let err = store
            .write_figure_sets(
                &meta(ImportKind::Recompute, "recompute", ""),
                &[],
                &[
                    set("A0000001", 2016, "@people_in_treatment\n|1\n", &[first.id]),
                    set("BOOM", 2016, "@people_in_treatment\n|1\n", &[first.id]),
                ],
            )
            .unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");

        let after = (
            store.data_version().unwrap(),
            store.imports().unwrap(),
            store.audit(1000).unwrap(),
            store.submissions().unwrap(),
            store.chunks(&ChunkQuery::default()).unwrap(),
        );
        assert_eq!(after, before);
        assert!(store.figure_sets(None).unwrap().is_empty());
        assert_eq!(current_ids(&*store), [first.id]);

        // And the store works on afterwards.
        let (m, s) = file("N0001", "2024-04", "cc", 3);
        let next = store.submit(&m, &s).unwrap();
        assert_eq!(next.replaced, Some(first.id));
    }
);

/// A database moved from SQLite to PostgreSQL and back keeps every byte of
/// every chunk.
#[test]
fn submissions_move_between_engines_exactly() {
    let Some(server) = lantern_store::testing::postgres_server() else {
        return;
    };
    let (lite, pg) = (TestDb::sqlite(), TestDb::postgres(&server));
    let mut store = new_store(&lite);
    for (i, when) in ["2024-04", "2024-04", "2024-05"].iter().enumerate() {
        let (m, s) = file("N0001", when, &format!("sha{i}"), u8::try_from(i).unwrap());
        store.submit(&m, &s).unwrap();
    }
    store
        .write_figure_sets(
            &meta(ImportKind::Recompute, "recompute", ""),
            &[],
            &[set("E06000016", 2024, "@people_in_treatment\n|30\n", &[3])],
        )
        .unwrap();
    let tables = store.export().unwrap();
    let mut target = new_store(&pg);
    target.restore(&tables).unwrap();
    assert_eq!(target.export().unwrap(), tables);
    assert_eq!(
        target.chunks(&ChunkQuery::default()).unwrap(),
        store.chunks(&ChunkQuery::default()).unwrap()
    );
    let (m, s) = file("N0001", "2024-05", "sha9", 9);
    let next = target.submit(&m, &s).unwrap();
    assert_eq!(next.replaced, Some(3), "ids go on after the restored ones");
    assert_eq!(next.id, 4);

    let back = TestDb::sqlite();
    let mut again = new_store(&back);
    again.restore(&target.export().unwrap()).unwrap();
    assert_eq!(again.export().unwrap(), target.export().unwrap());
}

/// National scale: ~300 submissions (one per provider), ~250 MB of chunks,
/// then every current chunk read back in one go.
/// Run with `cargo test -p lantern-store --release --test stories -- --ignored --nocapture`.
#[test]
#[ignore = "slow: a national-scale ingest (~250 MB) on both engines"]
fn national_scale_ingest_and_read() {
    let mut dbs = vec![TestDb::sqlite()];
    if let Some(server) = lantern_store::testing::postgres_server() {
        dbs.push(TestDb::postgres(&server));
    }
    for db in &dbs {
        let mut store = new_store(db);
        let started = std::time::Instant::now();
        let providers = 300;
        for provider in 0..providers {
            let (m, mut s) = file(
                &format!("N{provider:04}"),
                "2024-04",
                &format!("{provider}"),
                0,
            );
            s.rows_read = 100_000;
            s.rows_accepted = 100_000;
            // Three areas of ~280 KB each: ~830 KB a submission.
            s.chunks = (0..3u8)
                .map(|a| NewChunk {
                    area: format!("E0600001{a}"),
                    records: 33_000,
                    body: (0..280_000u32)
                        .map(|i| u8::try_from((i * 7 + u32::from(a)) % 251).unwrap())
                        .collect(),
                })
                .collect();
            store.submit(&m, &s).unwrap();
        }
        let ingest = started.elapsed();
        let started = std::time::Instant::now();
        let chunks = store.chunks(&ChunkQuery::default()).unwrap();
        let read = started.elapsed();
        let bytes: usize = chunks.iter().map(|c| c.body.len()).sum();
        assert_eq!(chunks.len(), providers * 3);
        eprintln!(
            "{}: {providers} submissions in {ingest:.1?}; current chunks ({} MB) read in {read:.1?}",
            db.location().split('/').next_back().unwrap_or_default(),
            bytes / 1_000_000
        );
    }
}

story!(chunks_come_one_area_at_a_time, |db: &TestDb| {
    let mut store = new_store(db);
    let (m, s) = file("N0001", "2024-04", "aa", 1);
    let first = store.submit(&m, &s).unwrap().id;
    let (m, s) = file("N0002", "2024-04", "bb", 2);
    let second = store.submit(&m, &s).unwrap().id;
    // A superseded month is not current: its chunks are not read.
    let (m, s) = file("N0002", "2024-03", "cc", 3);
    assert_eq!(
        store.submit(&m, &s).unwrap().outcome,
        SubmitOutcome::Superseded
    );

    let by_area = |query: &ChunkQuery| {
        let mut areas = Vec::new();
        store
            .chunks_by_area(query, &mut |chunks| {
                areas.push(chunks);
                Ok(())
            })
            .unwrap();
        areas
    };
    let all = store.chunks(&ChunkQuery::default()).unwrap();
    let areas = by_area(&ChunkQuery::default());
    assert_eq!(areas.len(), 2);
    for (group, area) in areas.iter().zip(["E06000016", "E06000017"]) {
        // The area's chunks, as `chunks` gives them, in the order stored.
        let expected: Vec<_> = all.iter().filter(|c| c.area == area).cloned().collect();
        assert_eq!(group, &expected);
        assert_eq!(
            group.iter().map(|c| c.submission).collect::<Vec<_>>(),
            [first, second]
        );
    }
    assert_eq!(areas[0][1].body, vec![2; 2000], "bytes come back as given");

    let one = by_area(&ChunkQuery {
        areas: Some(vec!["E06000017".into()]),
        submission: Some(second),
    });
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].len(), 1);
    assert_eq!((one[0][0].submission, one[0][0].records), (second, 10));
    assert!(
        by_area(&ChunkQuery {
            areas: Some(vec![]),
            submission: None,
        })
        .is_empty()
    );

    // The caller can stop the reading; its error comes back.
    let mut seen = 0;
    let err = store
        .chunks_by_area(&ChunkQuery::default(), &mut |_| {
            seen += 1;
            Err(StoreError::Invalid("stop".into()))
        })
        .unwrap_err();
    assert_eq!((seen, err.to_string().contains("stop")), (1, true));
});

/// Hold a write transaction open on `store` that has bulk-loaded one more
/// chunk of `submission` (the engine's COPY path on PostgreSQL), and run
/// `during` before it commits.
fn with_import_open<E: lantern_store::engine::Engine>(
    store: &lantern_store::sql::SqlStore<E>,
    submission: i64,
    during: impl FnOnce(),
) {
    use lantern_store::engine::{Kind, Mode};
    use lantern_store::rows::SqlRef;
    store
        .engine()
        .transaction(Mode::Write, |tx| {
            let body = [7u8; 3000];
            let n = tx.insert_many(
                "submission_chunks",
                &[
                    ("submission_id", Kind::Int),
                    ("area", Kind::Text),
                    ("records", Kind::Int),
                    ("body", Kind::Blob),
                ],
                &[vec![
                    SqlRef::Int(Some(submission)),
                    SqlRef::Text(Some("E06000018")),
                    SqlRef::Int(Some(5)),
                    SqlRef::Blob(Some(&body)),
                ]],
            )?;
            assert_eq!(n, 1);
            during();
            Ok(())
        })
        .unwrap();
}

story!(
    readers_are_not_blocked_by_an_import_in_progress,
    |db: &TestDb| {
        let mut store = new_store(db);
        let (m, s) = file("N0001", "2024-04", "aa", 1);
        let id = store.submit(&m, &s).unwrap().id;
        let version = store.data_version().unwrap();
        drop(store);
        let location = db.location();

        // While the import's transaction is open, a reader on another
        // connection reads at once, and sees the state before it.
        let during = || {
            let (tx, rx) = std::sync::mpsc::channel();
            let location = location.clone();
            std::thread::spawn(move || {
                let reader = open(&location).unwrap();
                let chunks = reader.chunks(&ChunkQuery::default()).unwrap();
                let snapshot = reader.snapshot(None).unwrap();
                let _ = tx.send((chunks.len(), snapshot.data_version));
            });
            let seen = rx
                .recv_timeout(std::time::Duration::from_secs(20))
                .expect("the reader waited for the import");
            assert_eq!(seen, (2, version));
        };
        match db {
            TestDb::Sqlite(_) => with_import_open(
                &lantern_store::sqlite::open(std::path::Path::new(&location), true).unwrap(),
                id,
                during,
            ),
            TestDb::Postgres { .. } => with_import_open(
                &lantern_store::postgres::open(&location, true).unwrap(),
                id,
                during,
            ),
        }
        // Committed: now every reader sees it.
        let store = open(&location).unwrap();
        assert_eq!(store.chunks(&ChunkQuery::default()).unwrap().len(), 3);
    }
);

story!(
    a_current_submission_owes_a_recomputation_until_its_figures_are_written,
    |db: &TestDb| {
        let mut store = new_store(db);
        let (m, s) = file("N0001", "2024-04", "aa", 1);
        let first = store.submit(&m, &s).unwrap();
        let owed = store.owed_recomputes().unwrap();
        assert_eq!(owed.len(), 1, "owed in the submission's own transaction");
        assert_eq!(first.owed, Some(owed[0].id));
        assert_eq!(owed[0].submission, Some(first.id));
        assert_eq!(owed[0].areas, ["E06000016", "E06000017"]);

        // Computed from data that moved since: nothing written, still owed.
        let stale = first.receipt.data_version;
        let (m2, s2) = file("N0002", "2024-04", "bb", 2);
        let second = store.submit(&m2, &s2).unwrap();
        let sets = [set(
            "E06000016",
            2024,
            "@people_in_treatment\n|3\n",
            &[first.id],
        )];
        let scope = [("E06000016".to_string(), year(2024))];
        let meta_r = meta(ImportKind::Recompute, "records", "");
        let written = store
            .settle_recompute(&meta_r, &scope, &sets, &[owed[0].id], Some(stale))
            .unwrap();
        assert_eq!(written, None);
        assert_eq!(store.owed_recomputes().unwrap().len(), 2);
        assert!(store.figure_sets(None).unwrap().is_empty());

        // From the data as it is: written and settled together.
        let now = store.data_version().unwrap();
        let ids: Vec<i64> = store
            .owed_recomputes()
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect();
        let sets = [set(
            "E06000016",
            2024,
            "@people_in_treatment\n|3\n",
            &[first.id, second.id],
        )];
        let receipt = store
            .settle_recompute(&meta_r, &scope, &sets, &ids, Some(now))
            .unwrap()
            .expect("written");
        assert_eq!(receipt.added, 1);
        assert!(store.owed_recomputes().unwrap().is_empty());
        assert_eq!(store.figure_sets(None).unwrap().len(), 1);

        // Withdrawing the current one: never current again, owed again.
        let withdrawn = store
            .withdraw_submission(
                &meta(ImportKind::Withdrawal, "submission", ""),
                second.id,
                "wrong provider",
            )
            .unwrap();
        assert!(withdrawn.was_current);
        assert!(withdrawn.data_version > now);
        let held = store.submission(second.id).unwrap().unwrap();
        assert!(!held.current);
        assert_eq!(held.withdrawn.as_deref(), Some("wrong provider"));
        let owed = store.owed_recomputes().unwrap();
        assert_eq!(owed.len(), 1);
        assert_eq!(
            (owed[0].submission, owed[0].previous),
            (None, Some(second.id))
        );
        let err = store
            .withdraw_submission(
                &meta(ImportKind::Withdrawal, "submission", ""),
                second.id,
                "again",
            )
            .unwrap_err();
        assert!(err.to_string().contains("withdrawn already"), "{err}");
        assert!(
            store
                .audit(50)
                .unwrap()
                .iter()
                .any(|a| a.action == "submission.withdraw")
        );
    }
);

story!(
    a_providers_submissions_are_listed_newest_first_paged_and_only_its_own,
    |db: &TestDb| {
        let mut store = new_store(db);
        let mut mine = Vec::new();
        for (i, when) in ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
            .iter()
            .enumerate()
        {
            let (m, s) = file("N0001", when, &format!("a{i}"), i as u8);
            mine.push(store.submit(&m, &s).unwrap().id);
            let (m, s) = file("N0002", when, &format!("b{i}"), i as u8);
            store.submit(&m, &s).unwrap();
        }
        // The same month again: a new submission, the earlier replaced.
        let (m, s) = file("N0001", "2024-05", "a5", 9);
        mine.push(store.submit(&m, &s).unwrap().id);

        let (page, total) = store.provider_submissions("N0001", 0, 4).unwrap();
        assert_eq!(total, 6);
        let ids: Vec<i64> = page.iter().map(|s| s.id).collect();
        let newest: Vec<i64> = mine.iter().rev().take(4).copied().collect();
        assert_eq!(ids, newest, "newest first");
        assert!(page.iter().all(|s| s.provider == "N0001"));
        assert!(page[0].current);
        assert_eq!(page[1].replaced_by, Some(page[0].id));
        let (rest, _) = store.provider_submissions("N0001", 4, 4).unwrap();
        let ids: Vec<i64> = rest.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![mine[1], mine[0]]);
        // Beyond the last page: nothing; another provider: none of these.
        assert!(
            store
                .provider_submissions("N0001", 8, 4)
                .unwrap()
                .0
                .is_empty()
        );
        let (theirs, n) = store.provider_submissions("N0002", 0, 100).unwrap();
        assert_eq!(n, 5);
        assert!(theirs.iter().all(|s| !mine.contains(&s.id)));
        assert_eq!(
            store.provider_submissions("NONE", 0, 10).unwrap(),
            (vec![], 0)
        );
    }
);
