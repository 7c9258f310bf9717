//! The outbox and the request form's throttle (migration 25), told as
//! stories on both engines: a message queued for a case, sent or given up
//! on, each change a case event naming the message and never its
//! recipient; its recipient and text erased with the requester's details;
//! carried through a dump; requests admitted per client and overall, a
//! refused one not counted, old ones forgotten.

use jiff::civil::Date;
use lantern_core::casework::{ActionDetail, Case, Status};
use lantern_store::outbox::{Counted, MessageStatus, NewMessage};
use lantern_store::{Created, Store, Who, create, init_meta};

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

fn case(reference: &str) -> Case {
    Case {
        reference: reference.into(),
        received: Date::constant(2026, 12, 4),
        status: Status::Received,
        requester_name: Some("Jo Bloggs".into()),
        requester_contact: Some("jo@example.org".into()),
        retain_until: Some(Date::constant(2028, 12, 4)),
        original: "How many people?".into(),
        structured: None,
        opened_at: "2026-12-04T09:00:00Z".into(),
        opened_by: "the public (web form)".into(),
    }
}

fn acknowledgement(reference: &str) -> NewMessage {
    NewMessage {
        reference: reference.into(),
        kind: "acknowledgement".into(),
        recipient: "jo@example.org".into(),
        subject: format!("Your request {reference}"),
        body: "Dear Jo Bloggs, we received your request.".into(),
    }
}

story!(
    messages_are_queued_sent_or_given_up_on_and_audited,
    |db: &TestDb| {
        let mut store = new_store(db);
        store
            .open_case(&case("FOI-1"), &ActionDetail::default())
            .unwrap();
        store
            .open_case(&case("FOI-2"), &ActionDetail::default())
            .unwrap();
        let public = who("the public (web form)", "2026-12-04T09:00:00Z");
        let first = store
            .queue_message(&public, &acknowledgement("FOI-1"))
            .unwrap();
        let second = store
            .queue_message(&public, &acknowledgement("FOI-2"))
            .unwrap();
        assert_ne!(first, second);
        // No case, no message.
        assert!(
            store
                .queue_message(&public, &acknowledgement("FOI-9"))
                .is_err()
        );
        assert!(store.message(99).unwrap().is_none());

        let due = store.due_messages("2026-12-04T09:00:00Z", 10).unwrap();
        assert_eq!(
            due.iter().map(|m| m.id).collect::<Vec<_>>(),
            [first, second]
        );
        assert_eq!(
            store.due_messages("2026-12-04T09:00:00Z", 1).unwrap().len(),
            1
        );

        // A failed try is queued again for later, then given up on.
        let sender = who("smtp", "2026-12-04T09:01:00Z");
        store
            .message_failed(
                &sender,
                second,
                "connection refused",
                Some("2026-12-04T09:06:00Z"),
            )
            .unwrap();
        let later = store.message(second).unwrap().unwrap();
        assert_eq!(later.status, MessageStatus::Queued);
        assert_eq!(later.attempts, 1);
        assert_eq!(later.last_error.as_deref(), Some("connection refused"));
        assert_eq!(
            store
                .due_messages("2026-12-04T09:02:00Z", 10)
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect::<Vec<_>>(),
            [first],
            "not due again before its next try"
        );
        store
            .message_failed(
                &sender,
                second,
                "550 <jo@example.org>: recipient rejected",
                None,
            )
            .unwrap();
        let failed = store.message(second).unwrap().unwrap();
        assert_eq!((failed.status, failed.attempts), (MessageStatus::Failed, 2));

        // Sent by SMTP once; a second time changes nothing.
        assert!(store.message_sent(&sender, first, "smtp").unwrap());
        assert!(!store.message_sent(&sender, first, "smtp").unwrap());
        let sent = store.message(first).unwrap().unwrap();
        assert_eq!(sent.status, MessageStatus::Sent);
        assert_eq!(sent.sent_how.as_deref(), Some("smtp"));
        // A failed one is sent by hand by an officer.
        assert!(
            store
                .message_sent(&who("ana", "2026-12-04T10:00:00Z"), second, "by_hand")
                .unwrap()
        );
        assert_eq!(store.messages(Some(MessageStatus::Sent)).unwrap().len(), 2);
        assert!(
            store
                .messages(Some(MessageStatus::Queued))
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .due_messages("2027-01-01T00:00:00Z", 10)
                .unwrap()
                .is_empty()
        );

        // Each change is a case event naming the message, never its recipient.
        let history = store.case_history("FOI-2").unwrap();
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["open", "message_queued", "message_failed", "message_sent"]
        );
        assert!(history.iter().all(|e| e.to == Status::Received));
        for e in &history {
            let note = e.note.clone().unwrap_or_default();
            assert!(
                !note.contains("jo@example.org") && !note.contains("Jo"),
                "{note}"
            );
        }
        assert_eq!(history[3].actor, "ana");

        // Carried through a dump.
        let tables = store.export().unwrap();
        let outbox = tables.iter().find(|t| t.table == "outbox").unwrap();
        assert_eq!(outbox.rows.len(), 2);

        // Erasing the requester erases the address and text, not the record.
        let rewrite = |_: lantern_store::HeldDetails<'_>, _: lantern_store::CaseText, t: &str| {
            Ok(t.replace("Jo Bloggs", "[erased]"))
        };
        assert!(
            store
                .erase_requester(
                    "FOI-1",
                    &who("retention", "2029-01-01T00:00:00Z"),
                    "retention",
                    &rewrite
                )
                .unwrap()
        );
        let erased = store.message(first).unwrap().unwrap();
        assert_eq!((erased.recipient, erased.body), (None, None));
        assert_eq!(erased.erased_at.as_deref(), Some("2029-01-01T00:00:00Z"));
        assert_eq!(erased.status, MessageStatus::Sent);
        let kept = store.message(second).unwrap().unwrap();
        assert_eq!(kept.recipient.as_deref(), Some("jo@example.org"));
        // A server's last refusal may quote the address: erased with it.
        assert!(kept.last_error.is_some());
        assert!(
            store
                .erase_requester(
                    "FOI-2",
                    &who("retention", "2029-01-01T00:00:00Z"),
                    "retention",
                    &rewrite
                )
                .unwrap()
        );
        let erased = store.message(second).unwrap().unwrap();
        assert_eq!(
            (erased.recipient, erased.body, erased.last_error),
            (None, None, None)
        );
    }
);

story!(
    requests_are_throttled_per_client_and_overall,
    |db: &TestDb| {
        let mut store = new_store(db);
        let limits = Counted {
            client: 2,
            overall: 3,
        };
        let window = "2026-12-04T09:00:00Z";
        let admit = |store: &mut Box<dyn Store>, client: &str, at: &str| {
            store.admit_request(client, at, window, limits).unwrap()
        };
        assert!(admit(&mut store, "a", "2026-12-04T09:10:00Z").admitted);
        assert!(admit(&mut store, "a", "2026-12-04T09:11:00Z").admitted);
        let refused = admit(&mut store, "a", "2026-12-04T09:12:00Z");
        assert!(!refused.admitted, "a third from one client");
        assert_eq!(
            refused.before,
            Counted {
                client: 2,
                overall: 2
            }
        );
        // The refused one did not count: another client still gets in, once.
        assert!(admit(&mut store, "b", "2026-12-04T09:13:00Z").admitted);
        let full = admit(&mut store, "c", "2026-12-04T09:14:00Z");
        assert!(!full.admitted, "the overall limit");
        assert_eq!(full.before.overall, 3);
        // Past the window, what came before is forgotten.
        let next = store
            .admit_request("a", "2026-12-04T10:20:00Z", "2026-12-04T09:20:00Z", limits)
            .unwrap();
        assert!(next.admitted);
        assert_eq!(
            next.before,
            Counted {
                client: 0,
                overall: 0
            }
        );
        // The throttle is never dumped.
        let tables = store.export().unwrap();
        assert!(tables.iter().all(|t| t.table != "request_throttle"));
    }
);
