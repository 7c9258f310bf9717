//! Accounts in the store (migration 13), told as stories on both engines:
//! users with roles per council, sessions ended by sign-out, disabling and
//! password resets, failed sign-ins counted for every process, council
//! policies with the newest in force; every write an account event.

use lantern_store::accounts::{NewSession, NewUser, RoleGrant};
use lantern_store::{Created, Store, StoreError, Who, create, init_meta, open};

use crate::story;
use lantern_store::testing::TestDb;

fn new_store(db: &TestDb) -> Box<dyn Store> {
    let (store, created) = create(&db.location(), &init_meta("tester", "now")).unwrap();
    assert_eq!(created, Created::New);
    store
}

fn who(actor: &str, at: &str) -> Who {
    Who {
        actor: actor.into(),
        at: at.into(),
    }
}

fn user(name: &str, council: &str, role: &str) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: format!("{name} Person"),
        password_hash: format!("$argon2id$fake${name}"),
        roles: vec![RoleGrant {
            council: council.into(),
            role: role.into(),
            provider: String::new(),
        }],
    }
}

fn session(id: &str) -> NewSession {
    NewSession {
        id_hash: id.into(),
        csrf: format!("csrf-{id}"),
        expires_at: "2026-12-04T20:00:00Z".into(),
    }
}

story!(users_sessions_and_their_events, |db: &TestDb| {
    let mut store = new_store(db);
    let admin = who("root", "2026-12-04T09:00:00Z");
    let id = store
        .create_user(&admin, &user("ana", "LEI", "foi_officer"))
        .unwrap();
    assert!(matches!(
        store.create_user(&admin, &user("ana", "NOT", "approver")),
        Err(StoreError::UserExists(_))
    ));
    let ana = store.user("ana").unwrap().unwrap();
    assert_eq!(ana.id, id);
    assert_eq!(ana.roles.len(), 1);
    assert_eq!(ana.roles[0].council, "LEI");
    assert!(!ana.disabled);

    // A session is read back by the hash of its id, from another handle.
    store
        .start_session(&who("ana", "2026-12-04T10:00:00Z"), id, &session("h1"))
        .unwrap();
    store
        .start_session(&who("ana", "2026-12-04T10:05:00Z"), id, &session("h2"))
        .unwrap();
    let other = open(&db.location()).unwrap();
    let held = other.session("h1").unwrap().unwrap();
    assert_eq!(held.user.username, "ana");
    assert_eq!(held.csrf, "csrf-h1");
    assert_eq!(held.ended_at, None);
    assert!(other.session("nope").unwrap().is_none());

    // Sign-out ends that session only; a reset ends the rest.
    store
        .end_session(&who("ana", "2026-12-04T11:00:00Z"), "h1")
        .unwrap();
    assert!(other.session("h1").unwrap().unwrap().ended_at.is_some());
    assert!(other.session("h2").unwrap().unwrap().ended_at.is_none());
    store
        .set_password(&admin, "LEI", "ana", "$argon2id$new")
        .unwrap();
    assert!(other.session("h2").unwrap().unwrap().ended_at.is_some());
    assert_eq!(
        other.user("ana").unwrap().unwrap().password_hash,
        "$argon2id$new"
    );

    // Disabling and enabling again.
    store.set_disabled(&admin, "LEI", "ana", true).unwrap();
    assert!(other.user("ana").unwrap().unwrap().disabled);
    store.set_disabled(&admin, "LEI", "ana", false).unwrap();
    assert!(!other.user("ana").unwrap().unwrap().disabled);
    assert!(matches!(
        store.set_disabled(&admin, "LEI", "nobody", true),
        Err(StoreError::NoSuchUser(_))
    ));

    let actions: Vec<String> = other
        .account_events(100)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {}", e.actor, e.action, e.username))
        .collect();
    assert_eq!(
        actions,
        [
            "root user.add ana",
            "ana sign_in ana",
            "ana sign_in ana",
            "ana sign_out ana",
            "root user.password ana",
            "root user.disable ana",
            "root user.enable ana",
        ]
    );
    // No event holds a password hash.
    assert!(
        other
            .account_events(100)
            .unwrap()
            .iter()
            .all(|e| !e.detail.contains("argon2"))
    );
});

story!(
    failed_sign_ins_are_counted_for_every_process_and_forgotten_at_sign_in,
    |db: &TestDb| {
        let mut store = new_store(db);
        let id = store
            .create_user(
                &who("root", "2026-12-04T09:00:00Z"),
                &user("bo", "LEI", "approver"),
            )
            .unwrap();
        let mut other = open(&db.location()).unwrap();
        store.sign_in_failed("bo", "2026-12-04T10:00:00Z").unwrap();
        other.sign_in_failed("bo", "2026-12-04T10:01:00Z").unwrap();
        store
            .sign_in_failed("ghost", "2026-12-04T10:02:00Z")
            .unwrap();
        assert_eq!(
            store
                .sign_in_failures("bo", "2026-12-04T09:00:00Z")
                .unwrap(),
            ["2026-12-04T10:00:00Z", "2026-12-04T10:01:00Z"]
        );
        assert_eq!(
            other
                .sign_in_failures("bo", "2026-12-04T10:00:30Z")
                .unwrap()
                .len(),
            1
        );
        other
            .start_session(&who("bo", "2026-12-04T10:03:00Z"), id, &session("s"))
            .unwrap();
        assert!(
            store
                .sign_in_failures("bo", "2026-01-01T00:00:00Z")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .sign_in_failures("ghost", "2026-01-01T00:00:00Z")
                .unwrap()
                .len(),
            1
        );
    }
);

story!(
    council_policies_newest_in_force_and_audited,
    |db: &TestDb| {
        let mut store = new_store(db);
        assert_eq!(store.council_policy("LEI", "self_approval").unwrap(), None);
        store
            .set_council_policy(
                &who("root", "2026-12-04T09:00:00Z"),
                "LEI",
                "self_approval",
                "allowed",
            )
            .unwrap();
        store
            .set_council_policy(
                &who("root", "2026-12-04T09:01:00Z"),
                "LEI",
                "self_approval",
                "refused",
            )
            .unwrap();
        assert_eq!(
            store
                .council_policy("LEI", "self_approval")
                .unwrap()
                .as_deref(),
            Some("refused")
        );
        assert_eq!(store.council_policy("NOT", "self_approval").unwrap(), None);
        let events = store.account_events(10).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].action, "policy.set");
        assert!(events[1].detail.contains("\"before\":\"allowed\""));
    }
);

story!(
    accounts_and_policies_go_into_a_dump_and_come_back_sessions_do_not,
    |db: &TestDb| {
        let mut store = new_store(db);
        let root = who("root", "2026-12-04T09:00:00Z");
        let ana = store
            .create_user(&root, &user("ana", "LEI", "foi_officer"))
            .unwrap();
        let mut provider = user("pat", "LEI", "provider");
        provider.roles[0].provider = "P1".into();
        store.create_user(&root, &provider).unwrap();
        store.set_disabled(&root, "LEI", "pat", true).unwrap();
        store
            .set_council_policy(&root, "LEI", "self_approval", "allowed")
            .unwrap();
        store
            .start_session(&who("ana", "2026-12-04T10:00:00Z"), ana, &session("live"))
            .unwrap();
        store.sign_in_failed("ana", "2026-12-04T09:59:00Z").unwrap();

        let tables = store.export().unwrap();
        let names: Vec<&str> = tables.iter().map(|t| t.table.as_str()).collect();
        assert!(!names.contains(&"sessions") && !names.contains(&"sign_in_failures"));
        let mut bytes = Vec::new();
        lantern_store::dump::write(&mut bytes, lantern_store::SCHEMA_VERSION, &tables).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("$argon2id$fake$ana"), "hashes are dumped");
        assert!(!text.contains("csrf-live"), "sessions are not");
        let read = lantern_store::dump::read(&mut bytes.as_slice()).unwrap();

        let other = match db {
            TestDb::Sqlite(_) => TestDb::sqlite(),
            TestDb::Postgres { server, .. } => TestDb::postgres(server),
        };
        let mut target = new_store(&other);
        target.restore(&read).unwrap();
        assert_eq!(target.export().unwrap(), tables);
        assert_eq!(target.users().unwrap(), store.users().unwrap());
        let pat = target.user("pat").unwrap().unwrap();
        assert!(pat.disabled);
        assert_eq!(pat.roles[0].provider, "P1");
        assert_eq!(
            target.user("ana").unwrap().unwrap().password_hash,
            "$argon2id$fake$ana"
        );
        assert_eq!(
            target
                .council_policy("LEI", "self_approval")
                .unwrap()
                .as_deref(),
            Some("allowed")
        );
        assert_eq!(
            target.account_events(100).unwrap(),
            store.account_events(100).unwrap()
        );
        // Nobody is signed in after a restore.
        assert_eq!(target.session("live").unwrap(), None);
        assert!(
            target
                .sign_in_failures("ana", "2026-01-01T00:00:00Z")
                .unwrap()
                .is_empty()
        );
        // New accounts continue after the restored ids.
        let next = target
            .create_user(&root, &user("cy", "LEI", "approver"))
            .unwrap();
        assert!(next > ana);
        // A database with accounts refuses a restore.
        assert!(matches!(target.restore(&read), Err(StoreError::NotEmpty)));
    }
);

story!(
    api_tokens_are_found_by_hash_revoked_once_audited_and_stay_revoked_after_a_restore,
    |db: &TestDb| {
        use lantern_store::accounts::NewToken;
        let mut store = new_store(db);
        let admin = who("root", "2026-12-04T09:00:00Z");
        let token = |provider: &str, name: &str, hash: &str| NewToken {
            council: "LEI".into(),
            provider: provider.into(),
            name: name.into(),
            secret_hash: hash.into(),
        };
        let live = store
            .create_token(&admin, &token("P1", "nightly", "h1"))
            .unwrap();
        let gone = store
            .create_token(&admin, &token("P1", "old", "h2"))
            .unwrap();
        let theirs = store
            .create_token(&admin, &token("P2", "theirs", "h3"))
            .unwrap();
        let other_council = store
            .create_token(
                &admin,
                &NewToken {
                    council: "OTHER".into(),
                    ..token("P1", "elsewhere", "h4")
                },
            )
            .unwrap();

        // By council, by provider, newest first; by hash.
        let ids = |t: Vec<lantern_store::accounts::StoredToken>| -> Vec<i64> {
            t.iter().map(|t| t.id).collect()
        };
        assert_eq!(
            ids(store.tokens("LEI", None).unwrap()),
            vec![theirs, gone, live]
        );
        assert_eq!(
            ids(store.tokens("LEI", Some("P1")).unwrap()),
            vec![gone, live]
        );
        assert_eq!(
            ids(store.tokens("OTHER", None).unwrap()),
            vec![other_council]
        );
        let found = store.token_by_hash("h1").unwrap().unwrap();
        assert_eq!((found.id, found.provider.as_str()), (live, "P1"));
        assert_eq!(found.created_by, "root");
        assert_eq!(found.last_used_at, None);
        assert_eq!(store.token_by_hash("nope").unwrap(), None);

        // Used: noted, not audited.
        store.token_used(live, "2026-12-04T10:00:00Z").unwrap();
        assert_eq!(
            store
                .token_by_hash("h1")
                .unwrap()
                .unwrap()
                .last_used_at
                .as_deref(),
            Some("2026-12-04T10:00:00Z")
        );

        // Revoked once, by whom; not from another council; twice: nothing.
        let revoker = who("ada", "2026-12-04T11:00:00Z");
        assert!(!store.revoke_token(&revoker, "OTHER", gone).unwrap());
        assert!(store.revoke_token(&revoker, "LEI", gone).unwrap());
        assert!(!store.revoke_token(&revoker, "LEI", gone).unwrap());
        let revoked = store.token_by_hash("h2").unwrap().unwrap();
        assert_eq!(revoked.revoked_at.as_deref(), Some("2026-12-04T11:00:00Z"));
        assert_eq!(revoked.revoked_by.as_deref(), Some("ada"));
        let events = store.account_events(100).unwrap();
        let tokens: Vec<(&str, &str, &str)> = events
            .iter()
            .filter(|e| e.action.starts_with("token."))
            .map(|e| (e.action.as_str(), e.actor.as_str(), e.username.as_str()))
            .collect();
        let gone_name = format!("token:{gone}");
        assert_eq!(tokens.len(), 5, "{tokens:?}");
        assert_eq!(tokens[4], ("token.revoke", "ada", gone_name.as_str()));
        assert!(
            events.iter().all(|e| !e.detail.contains("h1")),
            "no hash in the audit"
        );

        // A dump keeps the hashes and the revocation: restored, the live
        // token is found and the revoked one is still revoked.
        let tables = store.export().unwrap();
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
        assert_eq!(target.token_by_hash("h2").unwrap(), Some(revoked));
        assert_eq!(
            target.token_by_hash("h1").unwrap().unwrap().revoked_at,
            None
        );
        // New tokens continue after the restored ids.
        let next = target
            .create_token(&admin, &token("P1", "after", "h5"))
            .unwrap();
        assert!(next > other_council);
    }
);
