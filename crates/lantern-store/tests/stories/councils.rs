//! Councils in the store, told as stories: several councils in one
//! database, each with its own casework; settings versioned by data
//! version; a database from before councils adopted by the first one.

use jiff::civil::Date;
use lantern_core::casework::{Action, ActionDetail, Case, LogEntry, Status};
use lantern_core::council::{Council, Settings};
use lantern_store::{
    Adopted, Created, ImportKind, ImportMeta, Store, StoreError, Who, create, init_meta, open,
};

use crate::story;
use lantern_store::testing::TestDb;

use lantern_store::testing::UNDO_MIGRATION_8;

fn meta(kind: ImportKind, actor: &str) -> ImportMeta {
    ImportMeta {
        kind,
        file: "lantern council set".into(),
        sha256: String::new(),
        actor: actor.into(),
        at: "2026-01-01T00:00:00Z".into(),
    }
}

fn settings(code: &str, name: &str, area: &str) -> Settings {
    Settings {
        code: code.into(),
        name: name.into(),
        areas: vec![area.into()],
        email: Some(format!("foi@{code}.example")),
        ..Settings::default()
    }
}

fn council(code: &str, name: &str, area: &str) -> Council {
    Council::new(settings(code, name, area)).unwrap()
}

fn new_store(db: &TestDb) -> Box<dyn Store> {
    let (store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    assert_eq!(created, Created::New);
    store
}

fn case(reference: &str, original: &str) -> Case {
    Case {
        reference: reference.into(),
        received: Date::constant(2019, 6, 10),
        status: Status::Received,
        requester_name: Some("A. Requester".into()),
        requester_contact: Some("a@example.org".into()),
        retain_until: Some(Date::constant(2021, 6, 10)),
        original: original.into(),
        structured: None,
        opened_at: "2019-06-10T09:00:00Z".into(),
        opened_by: "alice".into(),
    }
}

fn who(actor: &str) -> Who {
    Who {
        actor: actor.into(),
        at: "2019-06-11T09:00:00Z".into(),
    }
}

fn entry(reference: &str, area: &str, value: i64) -> LogEntry {
    LogEntry {
        reference: reference.into(),
        sent_at: "2019-06-12T09:00:00Z".into(),
        question: "1".into(),
        indicator: Some("people_in_treatment".into()),
        area: Some(area.into()),
        period: Some("2018/19".into()),
        breakdown: Some(String::new()),
        decision: "given".into(),
        basis: None,
        value: Some(value),
        released: value.to_string(),
    }
}

/// Open `reference`, teach a phrase on it, draft, approve and send it with
/// one log entry about `area`.
fn answer(store: &mut dyn Store, reference: &str, phrase: &str, area: &str, value: i64) {
    let none = ActionDetail::default();
    store
        .open_case(&case(reference, &format!("asked of {phrase}")), &none)
        .unwrap();
    store
        .learn(
            reference,
            Status::Received,
            &who("alice"),
            phrase,
            "people_in_treatment",
            None,
        )
        .unwrap();
    store
        .save_draft(reference, Status::Received, &who("alice"), "{}", None, 1)
        .unwrap();
    store
        .act(
            reference,
            Status::Drafted,
            Action::Approve,
            &who("bob"),
            &none,
        )
        .unwrap();
    store
        .send(
            reference,
            Status::Approved,
            &who("bob"),
            &[entry(reference, area, value)],
            &crate::public_entry(reference),
            &none,
        )
        .unwrap();
}

story!(
    two_councils_each_see_only_their_own_casework,
    |db: &TestDb| {
        let mut store = new_store(db);
        store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("E06000016", "Leicester City Council", "E06000016"),
            )
            .unwrap();
        store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("leics", "Leicestershire County Council", "E10000018"),
            )
            .unwrap();
        let codes: Vec<String> = store
            .councils()
            .unwrap()
            .iter()
            .map(|c| c.council.code().to_string())
            .collect();
        assert_eq!(codes, ["E06000016", "leics"]);

        // With two councils, casework needs one chosen.
        let err = store.cases().unwrap_err();
        assert!(
            matches!(&err, StoreError::ChooseCouncil { codes } if codes.len() == 2),
            "{err}"
        );
        assert!(
            err.to_string().contains("E06000016, leics") && err.to_string().contains("--council"),
            "{err}"
        );
        let err = store.use_council("rutland").unwrap_err();
        assert!(
            err.to_string().contains(
                "there is no council rutland in this database; it holds E06000016, leics"
            ),
            "{err}"
        );

        // The same reference in both: each council numbers its own requests.
        store.use_council("E06000016").unwrap();
        assert_eq!(
            store.council_in_use().unwrap().as_deref(),
            Some("E06000016")
        );
        answer(
            store.as_mut(),
            "FOI-2019-0001",
            "city phrase",
            "E06000016",
            40,
        );
        let mut county = open(&db.location()).unwrap();
        county.use_council("leics").unwrap();
        assert!(county.cases().unwrap().is_empty());
        assert!(county.case("FOI-2019-0001").unwrap().is_none());
        assert!(county.draft("FOI-2019-0001").unwrap().is_none());
        assert!(county.disclosure_log().unwrap().is_empty());
        assert!(county.synonyms().unwrap().is_empty());
        // Nor can it act on the city's case.
        let err = county
            .act(
                "FOI-2019-0001",
                Status::Sent,
                Action::RequestReview,
                &who("carol"),
                &ActionDetail::default(),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::NoSuchCase(_)), "{err}");
        let err = county
            .erase_requester("FOI-2019-0001", &who("carol"), "retention", &|_, _, t| {
                Ok(t.to_string())
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::NoSuchCase(_)), "{err}");
        answer(
            county.as_mut(),
            "FOI-2019-0001",
            "county phrase",
            "E06000016",
            45,
        );

        for (store, phrase, value) in [(&store, "city phrase", 40), (&county, "county phrase", 45)]
        {
            let cases = store.cases().unwrap();
            assert_eq!(cases.len(), 1);
            assert_eq!(cases[0].original, format!("asked of {phrase}"));
            assert_eq!(cases[0].status, Status::Sent);
            let history = store.case_history("FOI-2019-0001").unwrap();
            let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(actions, ["open", "learn", "draft", "approve", "send"]);
            let log = store.disclosure_log().unwrap();
            assert_eq!(log.len(), 1);
            assert_eq!(log[0].value, Some(value));
            let phrases = store.synonyms().unwrap();
            assert_eq!(phrases.len(), 1);
            assert_eq!(phrases[0].phrase, phrase);
        }

        // Disclosure control sees both councils' entries about the area.
        let every = store
            .disclosure_log_of_every_council(Some(&["E06000016".to_string()]))
            .unwrap();
        let seen: Vec<(&str, Option<i64>)> = every
            .iter()
            .map(|e| (e.council.as_str(), e.entry.value))
            .collect();
        assert_eq!(seen, [("E06000016", Some(40)), ("leics", Some(45))]);
        assert!(
            store
                .disclosure_log_of_every_council(Some(&["E10000018".to_string()]))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            county.disclosure_log_of_every_council(None).unwrap().len(),
            2
        );
    }
);

story!(
    a_councils_settings_are_versioned_like_data,
    |db: &TestDb| {
        let mut store = new_store(db);
        let first = store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("E06000016", "Leicester City Council", "E06000016"),
            )
            .unwrap();
        assert_eq!((first.receipt.added, first.receipt.data_version), (1, 2));
        assert_eq!(first.adopted, Adopted::default(), "nothing to adopt");

        // The same settings again: nothing written, no import listed.
        let imports = store.imports().unwrap().len();
        let same = store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("E06000016", "Leicester City Council", "E06000016"),
            )
            .unwrap();
        assert_eq!((same.receipt.unchanged, same.receipt.data_version), (1, 2));
        assert_eq!(store.imports().unwrap().len(), imports);

        let mut changed = settings("E06000016", "Leicester City Council", "E06000016");
        changed.threshold = 10;
        changed.signature = vec!["Head of Information Governance".into()];
        let second = store
            .set_council(
                &meta(ImportKind::Council, "bob"),
                &Council::new(changed).unwrap(),
            )
            .unwrap();
        assert_eq!(
            (second.receipt.replaced, second.receipt.data_version),
            (1, 3)
        );

        let at = |store: &dyn Store, v: Option<i64>| {
            store
                .council_at("E06000016", v)
                .unwrap()
                .unwrap()
                .council
                .policy()
                .threshold
        };
        assert_eq!(at(store.as_ref(), Some(2)), 5, "in force at version 2");
        assert_eq!(at(store.as_ref(), Some(3)), 10);
        assert_eq!(at(store.as_ref(), None), 10);
        assert_eq!(
            at(store.as_ref(), Some(1)),
            5,
            "before the council existed: its first settings"
        );
        assert!(store.council_at("leics", None).unwrap().is_none());

        let history = store.council_history("E06000016").unwrap();
        let versions: Vec<(i64, Option<i64>, &str)> = history
            .iter()
            .map(|v| (v.data_version, v.retired_in, v.actor.as_str()))
            .collect();
        assert_eq!(versions, [(2, Some(3), "admin"), (3, None, "bob")]);

        // Audited like other data, before and after.
        let audit = store.audit(10).unwrap();
        let actions: Vec<(&str, &str)> = audit
            .iter()
            .filter(|a| a.action.starts_with("council."))
            .map(|a| (a.action.as_str(), a.actor.as_str()))
            .collect();
        assert_eq!(
            actions,
            [("council.add", "admin"), ("council.replace", "bob")]
        );
        let replace = audit
            .iter()
            .find(|a| a.action == "council.replace")
            .unwrap();
        assert!(
            replace.detail.contains(r#""threshold":5"#),
            "{}",
            replace.detail
        );
        assert!(
            replace.detail.contains(r#""threshold":10"#),
            "{}",
            replace.detail
        );
        let kinds: Vec<String> = store
            .imports()
            .unwrap()
            .iter()
            .map(|i| i.kind.clone())
            .collect();
        assert_eq!(kinds, ["init", "council", "council"]);
    }
);

story!(
    a_new_databases_council_is_part_of_its_first_data_version,
    |db: &TestDb| {
        let mut store = new_store(db);
        let set = store
            .set_council(
                &init_meta("tester", "now"),
                &council("E06000016", "Leicester City Council", "E06000016"),
            )
            .unwrap();
        assert_eq!(set.receipt.data_version, 1);
        assert_eq!(store.imports().unwrap().len(), 1);
        assert_eq!(
            store
                .council_at("E06000016", Some(1))
                .unwrap()
                .unwrap()
                .data_version,
            1
        );
        // Only a new database: another council, or one later, is its own import.
        let err = store
            .set_council(
                &init_meta("tester", "now"),
                &council("leics", "Leicestershire County Council", "E10000018"),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        let later = store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("leics", "Leicestershire County Council", "E10000018"),
            )
            .unwrap();
        assert_eq!(later.receipt.data_version, 2);
    }
);

story!(one_council_needs_no_choosing, |db: &TestDb| {
    let mut store = new_store(db);
    // No council yet: casework is kept for the first one.
    assert_eq!(store.council_in_use().unwrap(), None);
    answer(
        store.as_mut(),
        "FOI-2019-0001",
        "early phrase",
        "E06000016",
        7,
    );
    let set = store
        .set_council(
            &meta(ImportKind::Council, "admin"),
            &council("E06000016", "Leicester City Council", "E06000016"),
        )
        .unwrap();
    assert_eq!(
        set.adopted,
        Adopted {
            cases: 1,
            case_events: 5,
            log_entries: 1,
            phrases: 1
        }
    );
    // The same handle, and a new one, see it as the only council's.
    let reopened = open(&db.location()).unwrap();
    for store in [store.as_ref(), reopened.as_ref()] {
        assert_eq!(
            store.council_in_use().unwrap().as_deref(),
            Some("E06000016")
        );
        assert_eq!(store.cases().unwrap().len(), 1);
        assert_eq!(store.case_history("FOI-2019-0001").unwrap().len(), 5);
        assert_eq!(store.disclosure_log().unwrap().len(), 1);
        assert_eq!(store.synonyms().unwrap().len(), 1);
    }
    let audit = store.audit(5).unwrap();
    let adopt = audit.iter().find(|a| a.action == "council.adopt").unwrap();
    assert_eq!(adopt.key, "E06000016");
    assert!(adopt.detail.contains(r#""cases":1"#), "{}", adopt.detail);
    // A second council adopts nothing, and casework now needs a choice.
    let second = store
        .set_council(
            &meta(ImportKind::Council, "admin"),
            &council("leics", "Leicestershire County Council", "E10000018"),
        )
        .unwrap();
    assert_eq!(second.adopted, Adopted::default());
    assert!(matches!(
        store.synonyms(),
        Err(StoreError::ChooseCouncil { .. })
    ));
});

story!(
    a_database_from_before_councils_is_adopted_by_the_first,
    |db: &TestDb| {
        drop(new_store(db));
        // Schema 7 with a case, its history, a log entry and a phrase.
        db.raw(lantern_store::testing::UNDO_MIGRATION_21);
        db.raw(lantern_store::testing::UNDO_MIGRATION_18);
        db.raw(lantern_store::testing::UNDO_MIGRATION_14);
        db.raw(lantern_store::testing::UNDO_MIGRATION_13);
        db.raw(lantern_store::testing::UNDO_MIGRATION_9);
        db.raw(UNDO_MIGRATION_8);
        db.raw(
            "INSERT INTO cases (reference, received, status, original, opened_at, opened_by, draft,
            draft_version)
         VALUES ('FOI-2019-0001', '2019-06-10', 'sent', 'How many?', 'now', 'alice', '{}', 1);
         INSERT INTO case_events (id, reference, at, actor, action, to_status)
         VALUES (1, 'FOI-2019-0001', 'now', 'alice', 'open', 'received'),
                (2, 'FOI-2019-0001', 'now', 'bob', 'send', 'sent');
         INSERT INTO disclosure_log (reference, sent_at, question, decision, released)
         VALUES ('FOI-2019-0001', 'now', '1', 'not_held', 'not held');
         INSERT INTO synonyms (phrase, target, reference, added_at, added_by)
         VALUES ('clients', 'people_in_treatment', 'FOI-2019-0001', 'now', 'alice');",
        );
        let mut store = open(&db.location()).unwrap();
        // Migrated: held for no council yet, and readable as before.
        assert_eq!(store.cases().unwrap().len(), 1);
        assert_eq!(
            store.draft("FOI-2019-0001").unwrap(),
            Some(("{}".into(), 1))
        );
        assert_eq!(store.case_history("FOI-2019-0001").unwrap().len(), 2);
        // New history entries are numbered after the copied ones.
        store
            .act(
                "FOI-2019-0001",
                Status::Sent,
                Action::RequestReview,
                &who("carol"),
                &ActionDetail::default(),
            )
            .unwrap();
        let set = store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("E06000016", "Leicester City Council", "E06000016"),
            )
            .unwrap();
        assert_eq!(
            set.adopted,
            Adopted {
                cases: 1,
                case_events: 3,
                log_entries: 1,
                phrases: 1
            }
        );
        // The answer sent before the public log has an entry there, from
        // its log lines, saying its questions were not kept.
        let public = store
            .public_log(&lantern_store::PublicLogQuery {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(public.total, 1);
        assert_eq!(public.entries[0].reference, "FOI-2019-0001");
        assert_eq!(public.entries[0].outcome, "not_held");
        assert!(!public.entries[0].recorded);
        let mut again = open(&db.location()).unwrap();
        again.use_council("E06000016").unwrap();
        assert_eq!(again.case_history("FOI-2019-0001").unwrap().len(), 3);
        assert_eq!(again.disclosure_log().unwrap().len(), 1);
        assert_eq!(again.synonyms().unwrap()[0].phrase, "clients");
        let every = again.disclosure_log_of_every_council(None).unwrap();
        assert_eq!(every[0].council, "E06000016");
    }
);

story!(councils_and_their_casework_survive_a_dump, |db: &TestDb| {
    let mut store = new_store(db);
    for (code, name, area) in [
        ("E06000016", "Leicester City Council", "E06000016"),
        ("leics", "Leicestershire County Council", "E10000018"),
    ] {
        store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council(code, name, area),
            )
            .unwrap();
        store.use_council(code).unwrap();
        answer(store.as_mut(), "FOI-2019-0001", code, area, 12);
    }
    let tables = store.export().unwrap();
    let mut bytes = Vec::new();
    lantern_store::dump::write(&mut bytes, lantern_store::SCHEMA_VERSION, &tables).unwrap();
    let read = lantern_store::dump::read(&mut bytes.as_slice()).unwrap();
    assert_eq!(read, tables);

    let other = match db {
        TestDb::Sqlite(_) => TestDb::sqlite(),
        TestDb::Postgres { server, .. } => TestDb::postgres(server),
    };
    let mut restored = new_store(&other);
    restored.restore(&read).unwrap();
    assert_eq!(restored.export().unwrap(), tables);
    assert_eq!(restored.councils().unwrap().len(), 2);
    for code in ["E06000016", "leics"] {
        restored.use_council(code).unwrap();
        assert_eq!(restored.synonyms().unwrap()[0].phrase, code);
        assert_eq!(restored.case_history("FOI-2019-0001").unwrap().len(), 5);
    }
    // New rows after a restore get new ids.
    restored
        .set_council(
            &meta(ImportKind::Council, "admin"),
            &council("rutland", "Rutland County Council", "E06000017"),
        )
        .unwrap();
    restored.use_council("rutland").unwrap();
    answer(
        restored.as_mut(),
        "FOI-2019-0001",
        "rutland",
        "E06000017",
        3,
    );
    // Each council's public log, searched (FTS5 or tsvector), survives.
    let searched = |store: &dyn lantern_store::Store, words: &str| {
        store
            .public_log(&lantern_store::PublicLogQuery {
                search: Some(words.to_string()),
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .total
    };
    restored.use_council("leics").unwrap();
    assert_eq!(searched(restored.as_ref(), "FOI-2019-0001"), 1);
    assert_eq!(searched(restored.as_ref(), "nothing"), 0);

    // A dump from before the public log (format 7, no such table): its
    // answers get their entries back from their log lines, none vanishes.
    let mut older = read.clone();
    older
        .iter_mut()
        .filter(|t| t.table == "public_log")
        .for_each(|t| t.rows.clear());
    let from_older = match db {
        TestDb::Sqlite(_) => TestDb::sqlite(),
        TestDb::Postgres { server, .. } => TestDb::postgres(server),
    };
    let mut rebuilt = new_store(&from_older);
    rebuilt.restore(&older).unwrap();
    for code in ["E06000016", "leics"] {
        rebuilt.use_council(code).unwrap();
        let log = rebuilt
            .public_log(&lantern_store::PublicLogQuery {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(log.total, 1, "{code}");
        assert_eq!(log.entries[0].reference, "FOI-2019-0001");
        assert!(!log.entries[0].recorded);
        assert_eq!(searched(rebuilt.as_ref(), "FOI-2019-0001"), 1);
    }
});

story!(
    a_removed_phrase_ends_for_its_council_alone_and_the_removal_is_kept,
    |db: &TestDb| {
        let mut city = new_store(db);
        for (code, name, area) in [
            ("E06000016", "Leicester City Council", "E06000016"),
            ("leics", "Leicestershire County Council", "E10000018"),
        ] {
            city.set_council(
                &meta(ImportKind::Council, "admin"),
                &council(code, name, area),
            )
            .unwrap();
        }
        city.use_council("E06000016").unwrap();
        let mut county = open(&db.location()).unwrap();
        county.use_council("leics").unwrap();
        let none = ActionDetail::default();
        for store in [&mut city, &mut county] {
            store.open_case(&case("FOI-1", "asked"), &none).unwrap();
            store
                .learn(
                    "FOI-1",
                    Status::Received,
                    &who("alice"),
                    "Service Users",
                    "people_in_treatment",
                    None,
                )
                .unwrap();
        }
        let version = county.data_version().unwrap();
        // The county removing its phrase leaves the city's (same words) in use.
        assert_eq!(
            county
                .forget_synonym("service  users", &who("carol"))
                .unwrap(),
            1
        );
        assert!(county.synonyms().unwrap().is_empty());
        assert_eq!(city.synonyms().unwrap().len(), 1);
        // The removal is in the audit log, and changes no data version.
        let audit = county.audit(1).unwrap();
        assert_eq!(
            (
                audit[0].action.as_str(),
                audit[0].actor.as_str(),
                audit[0].key.as_str()
            ),
            ("synonym.remove", "carol", "service users")
        );
        assert!(
            audit[0].detail.contains("people_in_treatment"),
            "{}",
            audit[0].detail
        );
        assert_eq!(county.data_version().unwrap(), version);
        // Removing a phrase not in use ends nothing.
        assert_eq!(
            county
                .forget_synonym("service users", &who("carol"))
                .unwrap(),
            0
        );
        // Taught again after its removal, it is in use again.
        county
            .learn(
                "FOI-1",
                Status::Received,
                &who("dave"),
                "service users",
                "adults_in_treatment",
                None,
            )
            .unwrap();
        let phrases = county.synonyms().unwrap();
        assert_eq!(phrases.len(), 1);
        assert_eq!(
            (phrases[0].target.as_str(), phrases[0].added_by.as_str()),
            ("adults_in_treatment", "dave")
        );
    }
);

story!(
    a_working_copy_is_revised_only_from_what_the_officer_saw,
    |db: &TestDb| {
        let mut store = new_store(db);
        let none = ActionDetail::default();
        store.open_case(&case("FOI-1", "asked"), &none).unwrap();
        // First correction: the case held none.
        store
            .revise_case(
                "FOI-1",
                Status::Received,
                None,
                "first",
                &who("alice"),
                "question 2 set aside",
            )
            .unwrap();
        assert_eq!(
            store.case("FOI-1").unwrap().unwrap().structured.as_deref(),
            Some("first")
        );
        // A correction made on what the case held before is refused, naming who changed it.
        let err = store
            .revise_case(
                "FOI-1",
                Status::Received,
                None,
                "second",
                &who("bob"),
                "stale",
            )
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Changed { by, .. } if by == "alice"),
            "{err}"
        );
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(
            store.case("FOI-1").unwrap().unwrap().structured.as_deref(),
            Some("first")
        );
        store
            .revise_case(
                "FOI-1",
                Status::Received,
                Some("first"),
                "second",
                &who("bob"),
                "question 1 asks for budget",
            )
            .unwrap();
        let history = store.case_history("FOI-1").unwrap();
        let notes: Vec<(&str, &str, Option<&str>)> = history
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_str(), e.note.as_deref()))
            .collect();
        assert_eq!(
            notes,
            [
                ("open", "alice", None),
                ("correct", "alice", Some("question 2 set aside")),
                ("correct", "bob", Some("question 1 asks for budget")),
            ]
        );
        // Once drafted, what it asks is no longer corrected.
        store
            .save_draft("FOI-1", Status::Received, &who("bob"), "{}", None, 1)
            .unwrap();
        let err = store
            .revise_case(
                "FOI-1",
                Status::Drafted,
                Some("second"),
                "third",
                &who("bob"),
                "late",
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Refused { .. }), "{err}");
    }
);

// Letter templates (migration 19): each council's own, versioned by data
// version, audited, dumped and restored.
story!(
    letter_templates_are_each_councils_own_and_versioned,
    |db: &TestDb| {
        let mut store = new_store(db);
        let tpl = meta(ImportKind::LetterTemplate, "ada");
        // No council yet: refused, nothing written.
        let none = store.set_letter_template(&tpl, "letter.md.j2", Some("x"), "1 line added");
        assert!(matches!(none, Err(StoreError::Invalid(_))), "{none:?}");
        store
            .set_council(
                &meta(ImportKind::Council, "root"),
                &council("LEI", "Leicester", "E06000016"),
            )
            .unwrap();
        store
            .set_council(
                &meta(ImportKind::Council, "root"),
                &council("NOT", "Nottingham", "E06000018"),
            )
            .unwrap();
        store.use_council("LEI").unwrap();
        let before = store.data_version().unwrap();
        assert!(store.letter_templates_at(None).unwrap().is_empty());

        let first = store
            .set_letter_template(&tpl, "letter.md.j2", Some("Dear {{ x }}\n"), "1 line added")
            .unwrap();
        assert_eq!(first.added, 1);
        let v1 = first.data_version;
        assert!(v1 > before);
        // The same text again: nothing written, no new data version.
        let same = store
            .set_letter_template(&tpl, "letter.md.j2", Some("Dear {{ x }}\n"), "")
            .unwrap();
        assert_eq!((same.unchanged, same.data_version), (1, v1));
        let second = store
            .set_letter_template(
                &tpl,
                "letter.md.j2",
                Some("Hello {{ x }}\n"),
                "1 line added, 1 removed",
            )
            .unwrap();
        assert_eq!(second.replaced, 1);
        let v2 = second.data_version;

        // In force by data version: none before, the first at v1, the second now.
        assert!(store.letter_templates_at(Some(before)).unwrap().is_empty());
        let at_v1 = store.letter_templates_at(Some(v1)).unwrap();
        assert_eq!(at_v1.len(), 1);
        assert_eq!(at_v1[0].source.as_deref(), Some("Dear {{ x }}\n"));
        assert_eq!(at_v1[0].actor, "ada");
        let now = store.letter_templates_at(None).unwrap();
        assert_eq!(now[0].source.as_deref(), Some("Hello {{ x }}\n"));
        assert_eq!(now[0].data_version, v2);

        // Back to the default: a version with no source.
        let reverted = store
            .set_letter_template(&tpl, "letter.md.j2", None, "reverted to the default")
            .unwrap();
        assert_eq!(reverted.replaced, 1);
        assert_eq!(store.letter_templates_at(None).unwrap()[0].source, None);
        // Reverting again changes nothing.
        let again = store
            .set_letter_template(&tpl, "letter.md.j2", None, "")
            .unwrap();
        assert_eq!(again.unchanged, 1);
        let history = store.letter_template_history("letter.md.j2").unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[2].retired_in, None);
        assert_eq!(history[0].retired_in, Some(v2));
        assert_eq!(history[1].summary, "1 line added, 1 removed");

        // Audited with before and after.
        let audit = store.audit(50).unwrap();
        let replaced = audit
            .iter()
            .find(|a| a.action == "letter_template.replace")
            .expect("audited");
        assert_eq!(replaced.actor, "ada");
        assert!(replaced.detail.contains("Hello"), "{}", replaced.detail);

        // Another council holds none of these.
        store.use_council("NOT").unwrap();
        assert!(store.letter_templates_at(None).unwrap().is_empty());
        assert!(
            store
                .letter_template_history("letter.md.j2")
                .unwrap()
                .is_empty()
        );

        // Dumped and restored whole.
        let tables = store.export().unwrap();
        let held = tables
            .iter()
            .find(|t| t.table == "letter_templates")
            .expect("dumped");
        assert_eq!(held.rows.len(), 3);
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
        target.use_council("LEI").unwrap();
        assert_eq!(
            target.letter_templates_at(Some(v1)).unwrap()[0]
                .source
                .as_deref(),
            Some("Dear {{ x }}\n")
        );
    }
);

story!(
    choosing_a_council_without_its_settings_scopes_and_refuses_as_using_it,
    |db: &TestDb| {
        let mut store = new_store(db);
        store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("E06000016", "Leicester City Council", "E06000016"),
            )
            .unwrap();
        store
            .set_council(
                &meta(ImportKind::Council, "admin"),
                &council("leics", "Leicestershire County Council", "E10000018"),
            )
            .unwrap();
        let refused = store.choose_council("rutland").unwrap_err();
        let refused_using = store.use_council("rutland").unwrap_err();
        assert!(
            matches!(&refused, StoreError::NoSuchCouncil { code, codes }
                if code == "rutland" && codes.len() == 2),
            "{refused}"
        );
        assert_eq!(refused.to_string(), refused_using.to_string());
        // Nothing chosen by a refusal: casework still asks for a council.
        assert!(matches!(
            store.cases().unwrap_err(),
            StoreError::ChooseCouncil { .. }
        ));

        store.choose_council("leics").unwrap();
        assert_eq!(store.council_in_use().unwrap().as_deref(), Some("leics"));
        answer(store.as_mut(), "FOI-1", "county phrase", "E10000018", 12);
        let mut city = open(&db.location()).unwrap();
        city.choose_council("E06000016").unwrap();
        assert!(city.case("FOI-1").unwrap().is_none());
        // A handle moves from one council to another as with use_council.
        city.choose_council("leics").unwrap();
        assert!(city.case("FOI-1").unwrap().is_some());
    }
);
