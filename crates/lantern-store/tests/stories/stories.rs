//! What every storage backend must do, told as stories.

use jiff::civil::Date;
use lantern_core::figure::{Breakdown, Figure, Provenance, Source, Status, Value};
use lantern_core::period::Period;
use lantern_core::records::{Agency, YearMonth};
use lantern_core::release::Release;
use lantern_core::statement::Statement;
use lantern_store::{
    ChunkQuery, Created, FigureQuery, ImportKind, ImportMeta, NewChunk, NewFigureSet,
    NewSubmission, Store, StoreError, create, init_meta, open,
};

use crate::story;
use lantern_store::testing::{TestDb, postgres_server};

fn meta(kind: ImportKind, file: &str) -> ImportMeta {
    ImportMeta {
        kind,
        file: file.into(),
        sha256: "00".into(),
        actor: "tester".into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

fn provenance() -> Provenance {
    Provenance {
        import: 0,
        file: "f.csv".into(),
        line: 2,
        actor: "tester".into(),
        imported_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn figure(period: &str, value: i64) -> Figure {
    Figure {
        indicator: "budget".into(),
        area: "E06000016".into(),
        period: Period::parse(period).unwrap(),
        breakdown: Breakdown::from_key("service=community_treatment"),
        value: Value::Exact(value),
        source: Source::Finance,
        status: Status::Final,
        coverage: vec!["Includes NHSE contributions.".into()],
        note: None,
        provenance: provenance(),
    }
}

fn new_store(db: &TestDb) -> Box<dyn Store> {
    let (store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    assert_eq!(created, Created::New);
    store
}

fn statement() -> Statement {
    Statement {
        topic: "naloxone.purchaser".into(),
        area: "E06000016".into(),
        text: "The commissioned provider.".into(),
        valid_from: Some(Date::constant(2016, 4, 1)),
        valid_to: None,
        source: Some("contract".into()),
        provenance: provenance(),
    }
}

fn release() -> Release {
    Release {
        code: "ndtms_2018_19".into(),
        title: "Stats".into(),
        publisher: "PHE".into(),
        date: Date::constant(2019, 11, 7),
        announced: Some(Date::constant(2019, 1, 1)),
        indicators: vec!["people_in_treatment".into()],
        periods: vec![Period::parse("2018/19").unwrap()],
        url: None,
    }
}

story!(
    a_changed_figure_retires_the_old_one_and_old_versions_stay_readable,
    |db: &TestDb| {
        let mut store = new_store(db);
        let first = store
            .import_figures(
                &meta(ImportKind::Figures, "a.csv"),
                &[figure("2018/19", 100)],
            )
            .unwrap();
        assert_eq!((first.added, first.data_version), (1, 2));
        let same = store
            .import_figures(
                &meta(ImportKind::Figures, "a.csv"),
                &[figure("2018/19", 100)],
            )
            .unwrap();
        assert_eq!(
            (same.unchanged, same.data_version),
            (1, 2),
            "an unchanged import is not a new version"
        );
        let revised = store
            .import_figures(
                &meta(ImportKind::Figures, "b.csv"),
                &[figure("2018/19", 120)],
            )
            .unwrap();
        assert_eq!((revised.replaced, revised.data_version), (1, 4));

        let now = store.figures(&FigureQuery::default()).unwrap();
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].value, Value::Exact(120));
        assert_eq!(now[0].provenance.file, "b.csv");
        let then = store.snapshot(Some(2)).unwrap();
        assert_eq!(then.figures[0].value, Value::Exact(100));
        assert_eq!(
            then.figures[0].coverage,
            vec!["Includes NHSE contributions.".to_string()]
        );
        assert!(matches!(
            store.snapshot(Some(9)),
            Err(StoreError::NoSuchVersion { newest: 4, .. })
        ));

        let audit = store.audit(10).unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["catalogue.init", "figure.add", "figure.replace"]);
        assert!(audit[2].detail.contains("\"before\""));
        let filtered = store
            .figures(&FigureQuery {
                indicator: Some("spend".into()),
                area: None,
            })
            .unwrap();
        assert!(filtered.is_empty());
    }
);

story!(statements_and_releases_round_trip, |db: &TestDb| {
    let mut store = new_store(db);
    store
        .import_statements(&meta(ImportKind::Statements, "s.csv"), &[statement()])
        .unwrap();
    store
        .import_releases(&meta(ImportKind::Releases, "r.csv"), &[(2, release())])
        .unwrap();
    let again = store
        .import_statements(&meta(ImportKind::Statements, "s.csv"), &[statement()])
        .unwrap();
    assert_eq!(again.unchanged, 1);
    let snap = store.snapshot(None).unwrap();
    assert_eq!(snap.releases, vec![release()]);
    assert_eq!(snap.statements[0].text, statement().text);
    assert_eq!(snap.statements[0].valid_from, statement().valid_from);
    assert_eq!(snap.statements[0].provenance.file, "s.csv");
});

story!(
    a_withdrawn_release_leaves_the_calendar_audited_and_an_import_brings_it_back,
    |db: &TestDb| {
        let mut store = new_store(db);
        let added = store
            .import_releases(&meta(ImportKind::Releases, "r.csv"), &[(2, release())])
            .unwrap();
        let withdraw = meta(ImportKind::ReleaseWithdrawal, "release ndtms_2018_19");
        let err = store
            .withdraw_release(&withdraw, "ndtms_2018_19", "  ")
            .unwrap_err();
        assert!(err.to_string().contains("say why"), "{err}");
        let err = store
            .withdraw_release(&withdraw, "nope", "cancelled")
            .unwrap_err();
        assert!(err.to_string().contains("no release 'nope'"), "{err}");
        assert_eq!(store.data_version().unwrap(), added.data_version);

        let gone = store
            .withdraw_release(&withdraw, "ndtms_2018_19", "PHE cancelled it")
            .unwrap();
        assert!(gone.data_version > added.data_version);
        assert!(store.snapshot(None).unwrap().releases.is_empty());
        // Older data versions still read it: nothing is deleted.
        assert_eq!(
            store.snapshot(Some(added.data_version)).unwrap().releases,
            vec![release()]
        );
        let audit = store.audit(1).unwrap();
        assert_eq!(audit[0].action, "release.withdraw");
        assert_eq!(audit[0].key, "ndtms_2018_19");
        assert_eq!(audit[0].actor, "tester");
        assert!(
            audit[0].detail.contains("PHE cancelled it"),
            "{:?}",
            audit[0]
        );
        let imports = store.imports().unwrap();
        assert_eq!(imports.last().unwrap().kind, "release_withdrawal");
        // Withdrawn twice: there is nothing in the calendar to withdraw.
        assert!(
            store
                .withdraw_release(&withdraw, "ndtms_2018_19", "again")
                .is_err()
        );

        let back = store
            .import_releases(&meta(ImportKind::Releases, "r.csv"), &[(2, release())])
            .unwrap();
        assert_eq!(back.added, 1);
        assert_eq!(store.snapshot(None).unwrap().releases, vec![release()]);
    }
);

story!(creating_twice_finds_the_existing_database, |db: &TestDb| {
    let mut store = new_store(db);
    store
        .import_figures(
            &meta(ImportKind::Figures, "a.csv"),
            &[figure("2018/19", 100)],
        )
        .unwrap();
    drop(store);
    let (again, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    assert_eq!(created, Created::Existing);
    assert_eq!(again.data_version().unwrap(), 2);
    assert_eq!(
        open(&db.location())
            .unwrap()
            .figures(&FigureQuery::default())
            .unwrap()
            .len(),
        1
    );
});

story!(a_database_from_a_newer_lantern_is_refused, |db: &TestDb| {
    drop(new_store(db));
    db.raw("INSERT INTO lantern_schema (version) VALUES (99)");
    let Err(err) = open(&db.location()) else {
        panic!("a newer schema was opened")
    };
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Lantern"));
});

story!(
    an_older_database_is_migrated_on_open_or_refused_when_that_is_off,
    |db: &TestDb| {
        drop(new_store(db));
        // Back to schema 4, as the previous release left it.
        db.raw(lantern_store::testing::UNDO_MIGRATION_21);
        db.raw(lantern_store::testing::UNDO_MIGRATION_18);
        db.raw(lantern_store::testing::UNDO_MIGRATION_14);
        db.raw(lantern_store::testing::UNDO_MIGRATION_13);
        db.raw(lantern_store::testing::UNDO_MIGRATION_9);
        db.raw(lantern_store::testing::UNDO_MIGRATION_8);
        db.raw(
            "ALTER TABLE case_events DROP COLUMN on_day;
             ALTER TABLE case_events DROP COLUMN extended_to;
             ALTER TABLE case_events DROP COLUMN calendar;
             DROP TABLE calendars;
             DROP TABLE synonyms;
             DELETE FROM lantern_schema WHERE version >= 5;
             DROP TABLE records_owed;
             ALTER TABLE submissions DROP COLUMN withdrawn_in;
             ALTER TABLE submissions DROP COLUMN withdrawn_reason;",
        );
        let Err(err) = lantern_store::open_with(&db.location(), false) else {
            panic!("an older schema was opened with migrating off")
        };
        assert!(
            matches!(
                err,
                StoreError::OlderSchema {
                    found: 4,
                    needed: lantern_store::SCHEMA_VERSION
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("lantern migrate"), "{err}");
        // Refusing changed nothing: migrating on open still works.
        let store = lantern_store::open_with(&db.location(), true).unwrap();
        assert!(store.synonyms().unwrap().is_empty());
        drop(store);
        assert!(lantern_store::open_with(&db.location(), false).is_ok());
    }
);

story!(a_bad_catalogue_extension_changes_nothing, |db: &TestDb| {
    let mut store = new_store(db);
    let version = store.data_version().unwrap();
    let err = store
        .extend_catalogue(&meta(ImportKind::Catalogue, "ext.toml"), "[[indicator]]\ncode = \"budget\"\ntitle = \"B\"\ndescription = \"d\"\nunit = \"gbp\"\ncounts_people = false\n")
        .unwrap_err();
    assert!(err.to_string().contains("already defined"), "{err}");
    assert_eq!(store.data_version().unwrap(), version);
    assert_eq!(
        store.imports().unwrap().len(),
        1,
        "the failed import left no record"
    );
});

story!(
    a_dump_restores_into_an_empty_database_exactly,
    |db: &TestDb| {
        let mut store = new_store(db);
        store
            .import_figures(
                &meta(ImportKind::Figures, "a.csv"),
                &[figure("2018/19", 100)],
            )
            .unwrap();
        store
            .import_figures(
                &meta(ImportKind::Figures, "b.csv"),
                &[figure("2018/19", 120), figure("2019/20", 5)],
            )
            .unwrap();
        store
            .import_statements(&meta(ImportKind::Statements, "s.csv"), &[statement()])
            .unwrap();
        store
            .import_releases(&meta(ImportKind::Releases, "r.csv"), &[(2, release())])
            .unwrap();
        store
            .open_case_with(
                &case("FOI-3"),
                &lantern_core::casework::ActionDetail::default(),
                &[lantern_store::NewAttachment {
                    name: Some("letter.pdf".into()),
                    content_type: "application/pdf".into(),
                    bytes: b"%PDF\x00\xff".to_vec(),
                }],
            )
            .unwrap();
        store
            .act(
                "FOI-3",
                lantern_core::casework::Status::Received,
                lantern_core::casework::Action::Start,
                &who("alice"),
                &lantern_core::casework::ActionDetail::note(Some("on it")),
            )
            .unwrap();
        store
            .learn(
                "FOI-3",
                lantern_core::casework::Status::InProgress,
                &who("alice"),
                "service users",
                "people_in_treatment",
                None,
            )
            .unwrap();
        store
            .resolve_finding(
                "FOI-3",
                lantern_core::casework::Status::InProgress,
                &who("alice"),
                &not_held("FOI-3", Some("2018/19")),
            )
            .unwrap();
        store
            .import_calendar(
                &meta(ImportKind::BankHolidays, "bh.json"),
                "calendar-v1",
                "{}",
            )
            .unwrap();
        // Records: a submission replaced by another (bytes in chunks), a
        // rejected one, an agency and a figure set computed from them.
        store
            .import_agencies(
                &meta(ImportKind::Agencies, "agencies.csv"),
                &[(
                    2,
                    Agency {
                        code: "N0001".into(),
                        name: "Provider".into(),
                        area: None,
                    },
                )],
            )
            .unwrap();
        let mut ids = Vec::new();
        for (sha, accepted) in [("aa", true), ("bb", true), ("cc", false)] {
            let submitted = store
                .submit(
                    &ImportMeta {
                        sha256: sha.into(),
                        ..meta(ImportKind::Episodes, "n0001.csv")
                    },
                    &submission(accepted),
                )
                .unwrap();
            ids.push(submitted.id);
        }
        store
            .write_figure_sets(
                &meta(ImportKind::Recompute, "recompute"),
                &[],
                &[NewFigureSet {
                    area: "E06000016".into(),
                    year: lantern_core::FinancialYear::starting(2024).unwrap(),
                    status: Status::Provisional,
                    body: "@people_in_treatment\n|40\n".into(),
                    submissions: vec![ids[1]],
                }],
            )
            .unwrap();
        let tables = store.export().unwrap();
        let mut bytes = Vec::new();
        lantern_store::dump::write(&mut bytes, lantern_store::SCHEMA_VERSION, &tables).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"lantern_dump":11,"#),
            "{}",
            &text[..40]
        );
        assert!(text.contains("service users") && text.contains("calendar-v1"));
        assert!(
            text.contains(r#""4c52433202000000"#),
            "chunk bodies are hex"
        );
        let read = lantern_store::dump::read(&mut bytes.as_slice()).unwrap();
        assert_eq!(read, tables);

        // Into a fresh database of the same kind.
        let other = match db {
            TestDb::Sqlite(_) => TestDb::sqlite(),
            TestDb::Postgres { server, .. } => TestDb::postgres(server),
        };
        let mut target = new_store(&other);
        target.restore(&read).unwrap();
        assert_eq!(target.export().unwrap(), tables);
        assert_eq!(
            target.snapshot(Some(2)).unwrap().figures[0].value,
            Value::Exact(100)
        );
        assert_eq!(target.submissions().unwrap(), store.submissions().unwrap());
        assert_eq!(
            target.chunks(&ChunkQuery::default()).unwrap(),
            store.chunks(&ChunkQuery::default()).unwrap()
        );
        assert_eq!(
            target.figures(&FigureQuery::default()).unwrap(),
            store.figures(&FigureQuery::default()).unwrap()
        );
        assert_eq!(target.agencies().unwrap().len(), 1);
        assert_eq!(
            target.attachment_bytes("FOI-3", 1).unwrap().as_deref(),
            Some(&b"%PDF\x00\xff"[..])
        );
        // New imports continue after the restored ids.
        let next = target
            .import_figures(&meta(ImportKind::Figures, "c.csv"), &[figure("2020/21", 7)])
            .unwrap();
        assert_eq!(next.import, store.imports().unwrap().len() as i64 + 1);
        // A database with data refuses a restore.
        assert!(matches!(target.restore(&read), Err(StoreError::NotEmpty)));
    }
);

story!(
    concurrent_imports_of_the_same_figures_end_with_one_current_version,
    |db: &TestDb| {
        drop(new_store(db));
        let location = db.location();
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let location = location.clone();
                std::thread::spawn(move || {
                    let mut store = open(&location).unwrap();
                    let figures: Vec<Figure> = ["2016/17", "2017/18", "2018/19"]
                        .iter()
                        .map(|p| figure(p, 1000 + i))
                        .collect();
                    store
                        .import_figures(&meta(ImportKind::Figures, &format!("t{i}.csv")), &figures)
                        .unwrap()
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let store = open(&location).unwrap();
        let now = store.figures(&FigureQuery::default()).unwrap();
        assert_eq!(now.len(), 3, "one current figure per key");
        // All three come from the same import: no mixing of two writers' rows.
        let files: std::collections::BTreeSet<&str> =
            now.iter().map(|f| f.provenance.file.as_str()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(store.imports().unwrap().len(), 5);
    }
);

#[test]
fn an_unreachable_postgres_server_is_one_clear_line() {
    let Err(err) = open("postgres://postgres@127.0.0.1:1/nowhere") else {
        panic!("connected to nothing")
    };
    let text = err.to_string();
    assert!(
        text.starts_with("cannot connect to PostgreSQL at 127.0.0.1:1/nowhere: "),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    if let Some(server) = postgres_server() {
        let base = server
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(server);
        let Err(err) = open(&format!("{base}/lantern_no_such_database")) else {
            panic!("opened a database that does not exist")
        };
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}

fn submission(accepted: bool) -> NewSubmission {
    NewSubmission {
        provider: "N0001".into(),
        month: YearMonth::parse("2024-04").unwrap(),
        key_fingerprint: "0123456789abcdef".into(),
        accepted,
        rows_read: 2,
        rows_accepted: if accepted { 2 } else { 0 },
        rows_rejected: if accepted { 0 } else { 2 },
        report_json: "{}".into(),
        chunks: vec![NewChunk {
            area: "E06000016".into(),
            records: 2,
            body: two_records(),
        }],
    }
}

/// A real record chunk of two records (a dump's chunks must decode whole).
fn two_records() -> Vec<u8> {
    use lantern_core::records::{
        ClientKey, Day, Funding, Intervention, Record, Setting, Sex, chunk,
    };
    let record = |i: u8| Record {
        client: ClientKey([i; 16]),
        birth: YearMonth::parse("1980-06").unwrap(),
        sex: Sex::Female,
        ethnicity: b'A',
        episode_id: format!("E{i}"),
        modality_id: format!("M{i}"),
        referral: Day(19_800),
        triage: Day(19_801),
        start: Day(19_802),
        discharge: None,
        discharge_reason: None,
        drugs: [Some(1101), None, None],
        intervention: Intervention::Psychosocial,
        setting: Setting::Residential,
        modality_start: Day(19_802),
        modality_end: None,
        funding: Funding::SelfFunded,
        naloxone_kits: 0,
        circumstances: Default::default(),
    };
    chunk::encode(&[record(1), record(2)])
}

fn case(reference: &str) -> lantern_core::casework::Case {
    lantern_core::casework::Case {
        reference: reference.into(),
        received: Date::constant(2019, 6, 10),
        status: lantern_core::casework::Status::Received,
        requester_name: Some("A. Requester".into()),
        requester_contact: Some("a@example.org".into()),
        retain_until: Some(Date::constant(2021, 6, 10)),
        original: "How many people…?".into(),
        structured: None,
        opened_at: "2019-06-10T09:00:00Z".into(),
        opened_by: "alice".into(),
    }
}

/// A finding of case `reference` resolved as not held, for that case only.
fn not_held(reference: &str, period: Option<&str>) -> lantern_store::NewResolution {
    lantern_store::NewResolution {
        finding: "question 1: no figure of people_in_treatment".into(),
        kind: "not_held".into(),
        why: "confirmed with the commissioner".into(),
        declaration: Some(lantern_core::finding::Declaration {
            id: None,
            subject: "people_in_treatment".into(),
            area: Some("E06000016".into()),
            period: period.map(|p| Period::parse(p).unwrap()),
            breakdown: Breakdown::from_key("crack=crack"),
            reason: "Not collected that year.".into(),
            other_holder: Some("The county council".into()),
            by: lantern_core::finding::DeclaredBy::Case(reference.into()),
        }),
        hours: None,
        clock: None,
    }
}

story!(
    a_not_held_declaration_is_recorded_with_its_case_and_read_back_for_it_only,
    |db: &TestDb| {
        use lantern_core::casework::Status;
        use lantern_core::finding::DeclaredBy;
        let mut store = new_store(db);
        for reference in ["FOI-1", "FOI-2"] {
            store
                .open_case(
                    &case(reference),
                    &lantern_core::casework::ActionDetail::default(),
                )
                .unwrap();
        }
        store
            .resolve_finding(
                "FOI-1",
                Status::Received,
                &who("alice"),
                &not_held("FOI-1", Some("2018/19")),
            )
            .unwrap();
        let mut council_wide = not_held("FOI-1", None);
        if let Some(d) = council_wide.declaration.as_mut() {
            d.by = DeclaredBy::Council;
            d.reason = "Never collected.".into();
        }
        store
            .resolve_finding("FOI-1", Status::Received, &who("bob"), &council_wide)
            .unwrap();
        // A status that moved on since is a conflict, and nothing is written.
        assert!(
            store
                .resolve_finding("FOI-1", Status::Drafted, &who("bob"), &council_wide)
                .is_err()
        );
        let now = store.data_version().unwrap();
        let mine = store.not_held_declarations(Some("FOI-1"), now).unwrap();
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].by, DeclaredBy::Case("FOI-1".into()));
        assert_eq!(mine[0].period, Some(Period::parse("2018/19").unwrap()));
        assert_eq!(mine[0].breakdown, Breakdown::from_key("crack=crack"));
        assert_eq!(mine[0].other_holder.as_deref(), Some("The county council"));
        let theirs = store.not_held_declarations(Some("FOI-2"), now).unwrap();
        assert_eq!(theirs.len(), 1, "only the council's");
        assert_eq!(theirs[0].by, DeclaredBy::Council);
        let resolved = store.resolutions("FOI-1").unwrap();
        assert_eq!(resolved.len(), 2);
        assert_eq!(resolved[0].by, "alice");
        assert_eq!(resolved[0].why, "confirmed with the commissioner");
        assert!(store.resolutions("FOI-2").unwrap().is_empty());
        let history = store.case_history("FOI-1").unwrap();
        assert_eq!(history.iter().filter(|e| e.action == "resolve").count(), 2);
    }
);

story!(
    a_declaration_is_in_force_from_its_data_version_until_withdrawn,
    |db: &TestDb| {
        use lantern_core::casework::{Action, ActionDetail, Status};
        let mut store = new_store(db);
        store
            .open_case(&case("FOI-1"), &ActionDetail::default())
            .unwrap();
        let before = store.data_version().unwrap();
        store
            .resolve_finding(
                "FOI-1",
                Status::Received,
                &who("alice"),
                &not_held("FOI-1", Some("2018/19")),
            )
            .unwrap();
        // Declaring is a new data version, audited with who made it.
        let declared = store.data_version().unwrap();
        assert!(declared > before);
        let imports = store.imports().unwrap();
        assert_eq!(imports.last().unwrap().kind, "not_held");
        assert_eq!(imports.last().unwrap().actor, "alice");
        let at = |store: &dyn Store, v: i64| store.not_held_declarations(Some("FOI-1"), v).unwrap();
        assert!(
            at(store.as_ref(), before).is_empty(),
            "not yet made at the version before"
        );
        let made = at(store.as_ref(), declared);
        assert_eq!(made.len(), 1);
        let id = made[0].id.expect("a stored declaration has its id");

        // Withdrawn with the reason: gone from the new version on, still in
        // force at the version it was made in.
        let withdraw = ImportMeta {
            actor: "bob".into(),
            ..meta(ImportKind::NotHeldWithdrawal, "not-held declaration")
        };
        assert!(matches!(
            store.withdraw_declaration(&withdraw, id, "  "),
            Err(StoreError::Invalid(_))
        ));
        let receipt = store
            .withdraw_declaration(&withdraw, id, "The figures were found.")
            .unwrap();
        assert!(receipt.data_version > declared);
        assert_eq!(at(store.as_ref(), declared).len(), 1);
        assert!(at(store.as_ref(), receipt.data_version).is_empty());
        // Once only.
        assert!(matches!(
            store.withdraw_declaration(&withdraw, id, "again"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            store.withdraw_declaration(&withdraw, 999, "no such"),
            Err(StoreError::Invalid(_))
        ));
        let all = store.declarations().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].declared_by, "alice");
        assert_eq!(all[0].added_in, Some(declared));
        let w = all[0].withdrawn.as_ref().expect("withdrawn");
        assert_eq!(w.by, "bob");
        assert_eq!(w.reason, "The figures were found.");
        assert_eq!(w.retired_in, receipt.data_version);
        // The case's history says so too.
        let history = store.case_history("FOI-1").unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.action, "withdraw_declaration");
        assert_eq!(last.actor, "bob");
        assert!(
            last.note
                .as_deref()
                .unwrap()
                .contains("The figures were found.")
        );

        // An s12 estimate keeps its hours; asking for clarification puts the
        // case on hold in the same transaction.
        store
            .resolve_finding(
                "FOI-1",
                Status::Received,
                &who("alice"),
                &lantern_store::NewResolution {
                    finding: "question 1: no figure".into(),
                    kind: "s12".into(),
                    why: "paper files in three offices".into(),
                    declaration: None,
                    hours: Some(25.5),
                    clock: None,
                },
            )
            .unwrap();
        store
            .resolve_finding(
                "FOI-1",
                Status::Received,
                &who("alice"),
                &lantern_store::NewResolution {
                    finding: "question 1: no figure".into(),
                    kind: "seek_clarification".into(),
                    why: "which year?".into(),
                    declaration: None,
                    hours: None,
                    clock: Some((
                        Action::SeekClarification,
                        ActionDetail::note(Some("which year?")),
                    )),
                },
            )
            .unwrap();
        let resolved = store.resolutions("FOI-1").unwrap();
        assert_eq!(resolved[1].hours, Some(25.5));
        assert_eq!(resolved[2].hours, None);
        assert_eq!(
            store.case("FOI-1").unwrap().unwrap().status,
            Status::ClarificationSought
        );
    }
);

fn who(actor: &str) -> lantern_store::Who {
    lantern_store::Who {
        actor: actor.into(),
        at: "2019-06-11T09:00:00Z".into(),
    }
}

story!(
    a_case_moves_through_its_lifecycle_with_a_history,
    |db: &TestDb| {
        use lantern_core::casework::{Action, Status};
        let mut store = new_store(db);
        store
            .open_case(
                &case("FOI-1"),
                &lantern_core::casework::ActionDetail::default(),
            )
            .unwrap();
        assert!(matches!(
            store.open_case(
                &case("FOI-1"),
                &lantern_core::casework::ActionDetail::default()
            ),
            Err(StoreError::CaseExists(_))
        ));
        let mut seen = Status::Received;
        for action in [Action::Start, Action::Draft, Action::Approve, Action::Send] {
            seen = store
                .act(
                    "FOI-1",
                    seen,
                    action,
                    &who("alice"),
                    &lantern_core::casework::ActionDetail::default(),
                )
                .unwrap();
        }
        assert_eq!(seen, Status::Sent);
        let refused = store
            .act(
                "FOI-1",
                Status::Sent,
                Action::Approve,
                &who("bob"),
                &lantern_core::casework::ActionDetail::default(),
            )
            .unwrap_err();
        assert!(matches!(refused, StoreError::Refused { .. }), "{refused}");
        let history = store.case_history("FOI-1").unwrap();
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["open", "start", "draft", "approve", "send"]);
        assert_eq!(history[3].from, Some(Status::Drafted));
        assert_eq!(
            store.case("FOI-1").unwrap().unwrap(),
            lantern_core::casework::Case {
                status: Status::Sent,
                ..case("FOI-1")
            }
        );
        assert!(matches!(
            store.act(
                "FOI-9",
                Status::Received,
                Action::Start,
                &who("bob"),
                &lantern_core::casework::ActionDetail::default()
            ),
            Err(StoreError::NoSuchCase(_))
        ));
    }
);

story!(
    two_officers_approving_at_once_one_succeeds_and_the_other_is_told,
    |db: &TestDb| {
        use lantern_core::casework::{Action, Status};
        let mut store = new_store(db);
        store
            .open_case(
                &case("FOI-2"),
                &lantern_core::casework::ActionDetail::default(),
            )
            .unwrap();
        store
            .act(
                "FOI-2",
                Status::Received,
                Action::Draft,
                &who("alice"),
                &lantern_core::casework::ActionDetail::default(),
            )
            .unwrap();
        drop(store);
        let location = db.location();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let officers: Vec<_> = ["alice", "bob"]
            .into_iter()
            .map(|officer| {
                let (location, barrier) = (location.clone(), barrier.clone());
                std::thread::spawn(move || {
                    // Each officer has their own connection and saw the draft.
                    let mut store = open(&location).unwrap();
                    barrier.wait();
                    store.act(
                        "FOI-2",
                        Status::Drafted,
                        Action::Approve,
                        &who(officer),
                        &lantern_core::casework::ActionDetail::default(),
                    )
                })
            })
            .collect();
        let results: Vec<_> = officers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        let err = results.into_iter().find_map(Result::err).unwrap();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    now: Status::Approved,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("is now approved"), "{err}");
        let store = open(&location).unwrap();
        let approvals = store
            .case_history("FOI-2")
            .unwrap()
            .iter()
            .filter(|e| e.action == "approve")
            .count();
        assert_eq!(approvals, 1);
    }
);

story!(
    clock_dates_synonyms_erasure_and_calendars_are_kept,
    |db: &TestDb| {
        use lantern_core::casework::{Action, ActionDetail, Status};
        let mut store = new_store(db);
        let opened = ActionDetail {
            calendar: Some("calendar v1".into()),
            ..ActionDetail::default()
        };
        store.open_case(&case("FOI-4"), &opened).unwrap();
        let extension = ActionDetail {
            note: Some("public interest test".into()),
            on: Some(Date::constant(2019, 6, 20)),
            extended_to: Some(Date::constant(2019, 8, 6)),
            calendar: Some("calendar v2".into()),
            fee_pence: None,
        };
        let now = store
            .act(
                "FOI-4",
                Status::Received,
                Action::Extend,
                &who("alice"),
                &extension,
            )
            .unwrap();
        assert_eq!(now, Status::Received, "an extension leaves the status");
        let history = store.case_history("FOI-4").unwrap();
        assert_eq!(history[0].calendar.as_deref(), Some("calendar v1"));
        assert_eq!(history[1].action, "extend");
        assert_eq!(history[1].on, extension.on);
        assert_eq!(history[1].extended_to, extension.extended_to);
        assert_eq!(history[1].calendar.as_deref(), Some("calendar v2"));
        assert_eq!(history[1].day(), Some(Date::constant(2019, 6, 20)));

        // A phrase taught on a case, with its structured request.
        store
            .learn(
                "FOI-4",
                Status::Received,
                &who("bob"),
                "service users",
                "people_in_treatment",
                Some("reference = \"FOI-4\""),
            )
            .unwrap();
        let learned = store.synonyms().unwrap();
        assert_eq!(learned.len(), 1);
        assert_eq!(learned[0].phrase, "service users");
        assert_eq!(learned[0].target, "people_in_treatment");
        assert_eq!(learned[0].reference.as_deref(), Some("FOI-4"));
        assert_eq!(
            store.case("FOI-4").unwrap().unwrap().structured.as_deref(),
            Some("reference = \"FOI-4\"")
        );

        // Erasing the requester once changes the case, its texts rewritten
        // in the same transaction given the details as held; twice changes
        // nothing and rewrites nothing.
        let seen = std::cell::RefCell::new(Vec::new());
        let rewrite =
            |held: lantern_store::HeldDetails<'_>, kind: lantern_store::CaseText, t: &str| {
                seen.borrow_mut()
                    .push((kind, held.name.map(str::to_string)));
                Ok(match kind {
                    lantern_store::CaseText::Original => "erased".to_string(),
                    _ => t.replace("FOI-4", "FOI-4 rewritten"),
                })
            };
        assert!(
            store
                .erase_requester("FOI-4", &who("carol"), "retention", &rewrite)
                .unwrap()
        );
        assert!(
            !store
                .erase_requester("FOI-4", &who("carol"), "retention", &rewrite)
                .unwrap()
        );
        let seen = seen.into_inner();
        assert!(seen.contains(&(
            lantern_store::CaseText::Structured,
            Some("A. Requester".to_string())
        )));
        assert!(
            seen.iter()
                .all(|(kind, _)| *kind != lantern_store::CaseText::Draft)
        );
        let erased = store.case("FOI-4").unwrap().unwrap();
        assert_eq!(erased.requester_name, None);
        assert_eq!(erased.requester_contact, None);
        assert_eq!(erased.original, "erased");
        assert_eq!(
            erased.structured.as_deref(),
            Some("reference = \"FOI-4 rewritten\"")
        );
        let actions: Vec<String> = store
            .case_history("FOI-4")
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["open", "extend", "learn", "erase_requester"]);

        // A calendar is an import; the same version again changes nothing.
        let body = r#"{"scotland": {"division": "scotland", "events": []}}"#;
        let first = store
            .import_calendar(&meta(ImportKind::BankHolidays, "bh.json"), "v-1", body)
            .unwrap();
        assert_eq!((first.added, first.unchanged), (1, 0));
        let again = store
            .import_calendar(&meta(ImportKind::BankHolidays, "bh.json"), "v-1", body)
            .unwrap();
        assert_eq!((again.added, again.unchanged), (0, 1));
        let held = store.calendars().unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].import, first.import);
        assert_eq!(held[0].body, body);
        assert!(
            store
                .audit(100)
                .unwrap()
                .iter()
                .any(|e| e.action == "calendar.add" && e.key == "v-1")
        );
    }
);

story!(
    a_newer_shipped_catalogue_applies_from_a_new_data_version_under_the_councils_extensions,
    |db: &TestDb| {
        let mut store = new_store(db);
        let extension = "[[indicator]]\ncode = \"hep_c_tests\"\ntitle = \"Hepatitis C tests\"\ndescription = \"Tests.\"\nunit = \"people\"\ncounts_people = true\n";
        store
            .extend_catalogue(&meta(ImportKind::Catalogue, "council.toml"), extension)
            .unwrap();
        let before = store.data_version().unwrap();
        let newer = format!(
            "{}\n[[indicator]]\ncode = \"new_shipped\"\ntitle = \"New\"\ndescription = \"New.\"\nunit = \"people\"\ncounts_people = true\n",
            lantern_core::catalogue::SHIPPED
        );
        let receipt = store
            .upgrade_catalogue(&meta(ImportKind::Catalogue, "shipped"), &newer)
            .unwrap();
        assert_eq!(receipt.added, 1);
        let now = store.catalogue().unwrap();
        assert!(now.indicator("new_shipped").is_ok());
        assert!(
            now.indicator("hep_c_tests").is_ok(),
            "extensions still apply"
        );
        let then = store.snapshot(Some(before)).unwrap().catalogue;
        assert!(
            then.indicator("new_shipped").is_err(),
            "earlier versions keep theirs"
        );
        // The same again changes nothing.
        let again = store
            .upgrade_catalogue(&meta(ImportKind::Catalogue, "shipped"), &newer)
            .unwrap();
        assert_eq!((again.added, again.unchanged), (0, 1));
        // A shipped catalogue that clashes with an extension is refused whole.
        let clash = format!(
            "{}\n[[indicator]]\ncode = \"hep_c_tests\"\ntitle = \"Clash\"\ndescription = \"Clash.\"\nunit = \"people\"\ncounts_people = true\n",
            lantern_core::catalogue::SHIPPED
        );
        let version = store.data_version().unwrap();
        let err = store
            .upgrade_catalogue(&meta(ImportKind::Catalogue, "shipped"), &clash)
            .unwrap_err();
        assert!(err.to_string().contains("hep_c_tests"), "{err}");
        assert_eq!(store.data_version().unwrap(), version);
        assert!(store.catalogue().unwrap().indicator("new_shipped").is_ok());
    }
);

/// A budget figure for a (local) area code, with a value.
fn area_figure(area: usize, value: i64, line: u64) -> Figure {
    let mut f = figure("2018/19", value);
    f.area = format!("AREA{area:04}");
    f.provenance.line = line;
    f
}

story!(
    a_large_import_tells_unchanged_changed_and_new_rows_apart_row_for_row,
    |db: &TestDb| {
        let mut store = new_store(db);
        let first: Vec<Figure> = (0..1_200)
            .map(|i| area_figure(i, i as i64, i as u64 + 2))
            .collect();
        let receipt = store
            .import_figures(&meta(ImportKind::Figures, "first.csv"), &first)
            .unwrap();
        assert_eq!((receipt.added, receipt.data_version), (1_200, 2));

        // 400 unchanged, 400 changed, 400 not in the file (they stay), 400
        // new; a held key twice (unchanged, then changed) and a new key
        // twice (the file's later version wins).
        let mut second: Vec<Figure> = Vec::new();
        second.extend((0..400).map(|i| area_figure(i, i as i64, 0)));
        second.extend((400..800).map(|i| area_figure(i, i as i64 + 1, 0)));
        second.extend((1_200..1_600).map(|i| area_figure(i, i as i64, 0)));
        second.push(area_figure(0, 5, 0));
        second.push(area_figure(1_600, 1, 0));
        second.push(area_figure(1_600, 2, 0));
        for (line, f) in second.iter_mut().enumerate() {
            f.provenance.line = line as u64 + 2;
        }
        let receipt = store
            .import_figures(&meta(ImportKind::Figures, "second.csv"), &second)
            .unwrap();
        assert_eq!(
            (
                receipt.unchanged,
                receipt.replaced,
                receipt.added,
                receipt.data_version
            ),
            (400, 402, 401, 3)
        );

        let now = store.figures(&FigureQuery::default()).unwrap();
        assert_eq!(now.len(), 1_601);
        let value = |figures: &[Figure], area: usize| {
            let code = format!("AREA{area:04}");
            let found: Vec<&Figure> = figures.iter().filter(|f| f.area == code).collect();
            assert_eq!(found.len(), 1, "{code}: one current version");
            (found[0].value.clone(), found[0].provenance.file.clone())
        };
        assert_eq!(value(&now, 0), (Value::Exact(5), "second.csv".into()));
        assert_eq!(value(&now, 1), (Value::Exact(1), "first.csv".into()));
        assert_eq!(value(&now, 500), (Value::Exact(501), "second.csv".into()));
        assert_eq!(
            value(&now, 1_000),
            (Value::Exact(1_000), "first.csv".into())
        );
        assert_eq!(value(&now, 1_600), (Value::Exact(2), "second.csv".into()));
        // The version before is still readable.
        let then = store.snapshot(Some(2)).unwrap();
        assert_eq!(then.figures.len(), 1_200);
        assert_eq!(
            value(&then.figures, 500),
            (Value::Exact(500), "first.csv".into())
        );

        // One audit entry per change, in the file's order.
        let audit: Vec<_> = store
            .audit(10_000)
            .unwrap()
            .into_iter()
            .filter(|a| a.import == 3)
            .collect();
        assert_eq!(audit.len(), 803);
        let count = |action: &str| audit.iter().filter(|a| a.action == action).count();
        assert_eq!((count("figure.replace"), count("figure.add")), (402, 401));
        assert!(audit[0].key.contains("AREA0400"), "{:?}", audit[0]);
        assert!(audit[0].detail.contains("\"before\""));
        assert!(
            audit[0].detail.contains("\"line\":402"),
            "{}",
            audit[0].detail
        );
        let last: Vec<&str> = audit[800..].iter().map(|a| a.action.as_str()).collect();
        assert_eq!(last, ["figure.replace", "figure.add", "figure.replace"]);
        assert!(audit[802].detail.contains("\"before\""));

        // The current state again changes nothing and is no new version.
        let receipt = store
            .import_figures(&meta(ImportKind::Figures, "again.csv"), &now)
            .unwrap();
        assert_eq!((receipt.unchanged, receipt.data_version), (1_601, 3));

        // Keys read in batches: 1,200 releases, each its own code.
        let releases: Vec<(u64, Release)> = (0..1_200)
            .map(|i| {
                let mut r = release();
                r.code = format!("release_{i:04}");
                (i as u64 + 2, r)
            })
            .collect();
        let receipt = store
            .import_releases(&meta(ImportKind::Releases, "r.csv"), &releases)
            .unwrap();
        assert_eq!(receipt.added, 1_200);
        let receipt = store
            .import_releases(&meta(ImportKind::Releases, "r.csv"), &releases)
            .unwrap();
        assert_eq!((receipt.unchanged, receipt.added), (1_200, 0));
    }
);

story!(
    files_attached_to_a_request_are_kept_with_its_case_until_retention_erases_them,
    |db: &TestDb| {
        let mut store = new_store(db);
        let letter = lantern_store::NewAttachment {
            name: Some("request letter.pdf".into()),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 the request".to_vec(),
        };
        let sheet = lantern_store::NewAttachment {
            name: None,
            content_type: "text/csv".into(),
            bytes: vec![0, 1, 2, 255],
        };
        store
            .open_case_with(
                &case("FOI-A"),
                &lantern_core::casework::ActionDetail::note(Some("questions to enter")),
                &[letter.clone(), sheet.clone()],
            )
            .unwrap();
        // The same reference again is refused and keeps nothing more.
        assert!(matches!(
            store.open_case_with(
                &case("FOI-A"),
                &lantern_core::casework::ActionDetail::default(),
                std::slice::from_ref(&letter),
            ),
            Err(StoreError::CaseExists(_))
        ));
        let kept = store.attachments("FOI-A").unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].position, 1);
        assert_eq!(kept[0].name.as_deref(), Some("request letter.pdf"));
        assert_eq!(kept[0].content_type, "application/pdf");
        assert_eq!(kept[0].size, 20);
        assert_eq!(kept[0].kept_by, "alice");
        assert_eq!(kept[0].kept_at, "2019-06-10T09:00:00Z");
        assert_eq!(kept[0].erased_at, None);
        // sha256("%PDF-1.4 the request")
        assert_eq!(kept[0].sha256.len(), 64);
        assert_ne!(kept[0].sha256, kept[1].sha256);
        assert_eq!(kept[1].name, None);
        assert_eq!(
            store.attachment_bytes("FOI-A", 1).unwrap().as_deref(),
            Some(&b"%PDF-1.4 the request"[..])
        );
        assert_eq!(
            store.attachment_bytes("FOI-A", 2).unwrap(),
            Some(vec![0, 1, 2, 255])
        );
        assert_eq!(store.attachment_bytes("FOI-A", 3).unwrap(), None);
        assert!(store.attachments("FOI-B").unwrap().is_empty());
        let history = store.case_history("FOI-A").unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].note.as_deref(), Some("questions to enter"));

        // Retention erases each file's name and bytes with the requester;
        // the record that it was kept stays.
        assert!(
            store
                .erase_requester("FOI-A", &who("carol"), "retention", &|_, _, t| Ok(
                    t.to_string()
                ))
                .unwrap()
        );
        let erased = store.attachments("FOI-A").unwrap();
        assert_eq!(erased.len(), 2);
        assert!(erased.iter().all(|a| a.name.is_none()));
        assert!(
            erased
                .iter()
                .all(|a| a.erased_at.as_deref() == Some("2019-06-11T09:00:00Z"))
        );
        assert_eq!(erased[0].size, 20, "what was kept is still on record");
        assert_eq!(store.attachment_bytes("FOI-A", 1).unwrap(), None);
        assert_eq!(store.attachment_bytes("FOI-A", 2).unwrap(), None);
        store.reclaim_erased().unwrap();
    }
);

story!(
    erasing_a_requester_rewrites_the_declarations_resolutions_and_phrases_of_their_case,
    |db: &TestDb| {
        use lantern_core::casework::{ActionDetail, Status};
        use lantern_core::finding::DeclaredBy;
        use lantern_store::CaseText;
        let mut store = new_store(db);
        for reference in ["FOI-1", "FOI-2"] {
            store
                .open_case(&case(reference), &ActionDetail::default())
                .unwrap();
        }
        let named = |reference: &str, by: DeclaredBy| {
            let mut r = not_held(reference, Some("2018/19"));
            r.why = "A. Requester agreed".into();
            if let Some(d) = r.declaration.as_mut() {
                d.reason = "Not collected; A. Requester was told.".into();
                d.other_holder = Some("A. Requester's provider".into());
                d.by = by;
            }
            r
        };
        // On FOI-1: its own declaration, withdrawn; a council-wide one made
        // while resolving it; a phrase. On FOI-2: a council-wide one.
        let on_case = named("FOI-1", DeclaredBy::Case("FOI-1".into()));
        let council_wide = named("FOI-1", DeclaredBy::Council);
        for r in [&on_case, &council_wide] {
            store
                .resolve_finding("FOI-1", Status::Received, &who("alice"), r)
                .unwrap();
        }
        store
            .resolve_finding(
                "FOI-2",
                Status::Received,
                &who("alice"),
                &named("FOI-2", DeclaredBy::Council),
            )
            .unwrap();
        let own = store.declarations().unwrap()[0].declaration.id.expect("id");
        let withdraw = meta(ImportKind::NotHeldWithdrawal, "not-held declaration");
        store
            .withdraw_declaration(&withdraw, own, "A. Requester found the figures.")
            .unwrap();
        store
            .learn(
                "FOI-1",
                Status::Received,
                &who("bob"),
                "A. Requester's users",
                "people_in_treatment",
                None,
            )
            .unwrap();

        let kinds = std::cell::RefCell::new(Vec::new());
        let rewrite = |_: lantern_store::HeldDetails<'_>, kind: CaseText, t: &str| {
            kinds.borrow_mut().push(kind);
            Ok(t.replace("A. Requester", "[name]"))
        };
        assert!(
            store
                .erase_requester("FOI-1", &who("carol"), "retention", &rewrite)
                .unwrap()
        );
        let kinds = kinds.into_inner();
        for kind in [
            CaseText::Declaration,
            CaseText::Resolution,
            CaseText::Phrase,
        ] {
            assert!(kinds.contains(&kind), "{kind:?} not rewritten: {kinds:?}");
        }

        // FOI-1's declarations lose the name, keep the rest; FOI-2's
        // council-wide declaration is not FOI-1's to erase.
        let all = store.declarations().unwrap();
        assert_eq!(all.len(), 3);
        for d in &all[..2] {
            assert_eq!(d.declaration.reason, "Not collected; [name] was told.");
            assert_eq!(
                d.declaration.other_holder.as_deref(),
                Some("[name]'s provider")
            );
        }
        assert_eq!(
            all[0].withdrawn.as_ref().map(|w| w.reason.as_str()),
            Some("[name] found the figures.")
        );
        assert_eq!(
            all[2].declaration.reason,
            "Not collected; A. Requester was told."
        );
        for r in store.resolutions("FOI-1").unwrap() {
            assert_eq!(r.why, "[name] agreed");
        }
        assert_eq!(
            store.resolutions("FOI-2").unwrap()[0].why,
            "A. Requester agreed"
        );
        assert_eq!(store.synonyms().unwrap()[0].phrase, "[name]'s users");
        // The audit entries quoting FOI-1's declarations (its own, its
        // withdrawal, the council-wide one) are rewritten too; FOI-2's is not.
        let quoted: Vec<String> = store
            .audit(100)
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("not_held."))
            .map(|e| e.detail)
            .collect();
        assert_eq!(quoted.len(), 4, "{quoted:?}");
        let erased = quoted.iter().filter(|d| d.contains("[name]")).count();
        let kept = quoted.iter().filter(|d| d.contains("A. Requester")).count();
        assert_eq!((erased, kept), (3, 1), "{quoted:?}");
    }
);
