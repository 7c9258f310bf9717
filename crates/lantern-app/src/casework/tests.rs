//! The casework use cases on a throwaway SQLite database.

use jiff::civil::{Date, date};

use super::*;
use crate::config::Config;
use crate::{Clock, Context, Kind};

const SEED: &str = include_str!("../../../../examples/leicester/requests/seed-000.toml");
const FIGURES: &str = include_str!("../../../../examples/leicester/figures.csv");
const RELEASES: &str = include_str!("../../../../examples/leicester/releases.csv");

/// A new database with the shipped catalogue, a Leicester configuration,
/// and a clock fixed to `today`.
fn context(dir: &tempfile::TempDir, today: Date) -> Context {
    let database = dir.path().join("lantern.db").display().to_string();
    lantern_store::create(
        &database,
        &lantern_store::init_meta("tester", &crate::now()),
    )
    .expect("database created");
    let config = Config::parse(
        std::path::Path::new("lantern.toml"),
        "[council]\nname = \"Leicester City Council\"\narea = \"E06000016\"\n",
    )
    .expect("config");
    let mut ctx = Context::new(database, config, "tester".into());
    ctx.clock = Clock::fixed(today);
    ctx
}

fn seed() -> NewRequest<'static> {
    NewRequest {
        name: "seed-000.toml",
        bytes: SEED.as_bytes(),
        form: Form::of_name("seed-000.toml"),
        received: None,
        reference: None,
        requester: Some("A Person".into()),
        contact: None,
    }
}

fn acting(action: Action, on: Option<Date>) -> Acting {
    Acting {
        reference: "FOI-2019-0412".into(),
        action,
        note: None,
        on,
        extended_to: None,
        fee_pence: None,
    }
}

#[test]
fn a_structured_request_is_taken_in_drafted_approved_and_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2019, 7, 1));
    // The Leicester example's figures and calendar: every question is decided
    // (a figure with nothing recorded would block approval).
    for (kind, name, text) in [
        (crate::data::DataFile::Releases, "releases.csv", RELEASES),
        (crate::data::DataFile::Figures, "figures.csv", FIGURES),
    ] {
        crate::data::import(&ctx, kind, name, text.as_bytes(), &|_| {}).expect("imported");
    }
    let opened = take_in(&ctx, &seed()).expect("taken in");
    assert_eq!(opened.case.reference, "FOI-2019-0412");
    // Received Monday 10 June 2019: day 20 is Monday 8 July.
    assert_eq!(opened.due.due, date(2019, 7, 8));
    assert!(opened.unplaced.is_empty());
    let again = take_in(&ctx, &seed()).expect_err("already open");
    assert_eq!(again.kind(), Kind::Conflict);

    let listed = list(&ctx, &ListFilter::default()).expect("listed");
    assert_eq!((listed.held, listed.rows.len()), (1, 1));
    assert!(!listed.rows[0].overdue);

    let drafted = draft(&ctx, "FOI-2019-0412").expect("drafted");
    assert_eq!(drafted.status, Status::Drafted);
    let refused = send(&ctx, "FOI-2019-0412", None, None).expect_err("not approved");
    assert_eq!(refused.kind(), Kind::Conflict);
    assert!(refused.message().contains("approve"), "{refused}");
    // The database holds the example's figures and calendar: every question
    // is decided, so the draft has no blocking findings to resolve.
    assert!(drafted.findings.is_empty(), "{:#?}", drafted.findings);
    // Two-person sign-off: the drafter may not approve; someone else does.
    let own = approve(&ctx, "FOI-2019-0412", None, None).expect_err("own draft");
    assert_eq!(own.kind(), Kind::Forbidden);
    let approver = Context {
        actor: "approver".into(),
        ..ctx.clone()
    };
    approve(&approver, "FOI-2019-0412", Some("checked".into()), None).expect("approved");
    let sent = send(&ctx, "FOI-2019-0412", None, None).expect("sent");
    assert_eq!(sent.status, Status::Sent);
    assert!(!sent.late && sent.warnings.is_empty());
    assert!(sent.log_entries > 0);

    let shown = show(&ctx, "FOI-2019-0412").expect("shown");
    let actions: Vec<&str> = shown.history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["open", "draft", "approve", "send"]);
    assert!(shown.resolutions.is_empty());
    assert_eq!(shown.history[2].note.as_deref(), Some("checked"));
    let review = shown.review.expect("a sent case has review dates");
    assert!(review.requested.is_none());

    let asked = crate::reports::ReportAsked {
        grouping: crate::reports::Grouping::Month,
        from: None,
        to: None,
    };
    let timely = crate::reports::timeliness(&ctx, &asked, Some(date(2019, 7, 1)))
        .expect("report")
        .rows;
    assert_eq!(
        (timely[0].group.as_str(), timely[0].received),
        ("2019-06", 1)
    );
    let outcomes = crate::reports::outcomes(&ctx, &asked).expect("report");
    assert_eq!(outcomes[0].answered, 1);
}

#[test]
fn clock_actions_are_checked_before_anything_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2019, 7, 1));
    take_in(&ctx, &seed()).expect("taken in");
    let future = act(&ctx, &acting(Action::Start, Some(date(2019, 7, 10)))).expect_err("future");
    assert!(future.message().contains("in the future"), "{future}");
    let early = act(&ctx, &acting(Action::Start, Some(date(2019, 6, 1)))).expect_err("early");
    assert!(
        early
            .message()
            .contains("before FOI-2019-0412 was received")
    );
    let unpaid = act(&ctx, &acting(Action::FeeReceived, None)).expect_err("no fee notice");
    assert!(
        unpaid.message().contains("nothing was recorded"),
        "{unpaid}"
    );
    let missing = show(&ctx, "FOI-2019-9999").expect_err("no such case");
    assert_eq!(missing.kind(), Kind::NotFound);

    let paused = act(
        &ctx,
        &acting(Action::IssueFeeNotice, Some(date(2019, 6, 12))),
    )
    .expect("fee notice");
    assert!(paused.moves_clock && paused.after.on_hold());
    let paid = act(&ctx, &acting(Action::FeeReceived, Some(date(2019, 6, 14)))).expect("paid");
    assert!(paid.after.due > paid.before.due || paid.before.on_hold());
    assert_eq!(show(&ctx, "FOI-2019-0412").expect("shown").history.len(), 3);
    let sending = act(&ctx, &acting(Action::Send, None)).expect_err("its own use case");
    assert_eq!(sending.kind(), Kind::Invalid);
}

#[test]
fn an_email_is_understood_and_its_requester_erased_after_retention() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2019, 7, 1));
    let email = b"From: A Person <a.person@example.org>\n\
        Date: Mon, 10 Jun 2019 09:00:00 +0100\n\
        Subject: FOI request\n\n\
        1) How many people were in treatment in 2018/19?\n";
    let opened = take_in(
        &ctx,
        &NewRequest {
            name: "request.eml",
            bytes: email,
            form: Form::of_name("request.eml"),
            received: None,
            reference: None,
            requester: None,
            contact: None,
        },
    )
    .expect("taken in");
    assert_eq!(opened.case.reference, "FOI-2019-0001");
    assert_eq!(opened.case.requester_name.as_deref(), Some("A Person"));
    let readings = understanding(&ctx, "FOI-2019-0001").expect("understood");
    assert_eq!(readings[0].question, "1");
    assert!(
        readings[0]
            .reading
            .as_deref()
            .is_some_and(|r| r.starts_with("people_in_treatment")),
        "{readings:?}"
    );
    assert!(structured(&ctx, "FOI-2019-0001").is_ok());

    // Past its retention date, an open case keeps the details; a withdrawn one does not.
    let later = Some(date(2022, 1, 1));
    let kept = erase_expired(&ctx, later, true).expect("listed");
    assert_eq!(kept.kept_open, ["FOI-2019-0001"]);
    act(
        &ctx,
        &Acting {
            reference: "FOI-2019-0001".into(),
            action: Action::Withdraw,
            note: None,
            on: None,
            extended_to: None,
            fee_pence: None,
        },
    )
    .expect("withdrawn");
    let erased = erase_expired(&ctx, later, false).expect("erased");
    assert_eq!(erased.erased, ["FOI-2019-0001"]);
    let shown = show(&ctx, "FOI-2019-0001").expect("shown");
    assert_eq!(shown.case.requester_name, None);
}

#[test]
fn a_request_too_large_or_not_text_is_refused_before_anything_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2019, 7, 1));
    let binary = NewRequest {
        bytes: b"reference = \"X\"\n\xff\xfe\n",
        ..seed()
    };
    let err = take_in(&ctx, &binary).expect_err("binary");
    assert!(err.message().contains("not UTF-8"), "{err}");
    let huge = vec![b'a'; lantern_core::understand::MAX_INPUT_BYTES + 1];
    let err = take_in(
        &ctx,
        &NewRequest {
            name: "huge.eml",
            bytes: &huge,
            form: Form::Email,
            ..seed()
        },
    )
    .expect_err("huge");
    assert!(err.message().contains("bytes, more than"), "{err}");
    assert_eq!(list(&ctx, &ListFilter::default()).expect("listed").held, 0);
}

#[test]
fn the_log_has_one_line_per_figure_row_and_per_narrative_answer() {
    let view = serde_json::json!({
        "request": {"area": "E06000016"},
        "questions": [{
            "number": "1",
            "indicator": "people_in_treatment",
            "rows": [
                {"period": "2018/19", "breakdown": "", "decision": "given",
                 "value": {"kind": "exact", "amount": 42}, "full_text": "42"},
                {"period": "2017/18", "breakdown": "", "decision": "suppressed", "basis": "s40_2",
                 "value": {"kind": "suppressed"}, "full_text": "fewer than 5"},
            ],
            "parts": [{"number": "a", "statement": {"text": null}}],
        }],
    });
    let entries = log_entries("FOI-1", "2019-07-01T10:00:00Z", &view);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].value, Some(42));
    assert_eq!(entries[1].value, None);
    assert_eq!(entries[1].basis.as_deref(), Some("s40_2"));
    assert_eq!(entries[2].question, "1a");
    assert_eq!(
        (entries[2].decision.as_str(), entries[2].released.as_str()),
        ("not_held", "not held")
    );
    assert!(entries.iter().all(|e| e.reference == "FOI-1"));
}

#[test]
fn the_related_window_holds_exactly_the_days_related_counts_as_within_the_limit() {
    let calendar = Calendar::shipped();
    let years: Vec<i16> = calendar.covered_years().collect();
    let (Some(&start), Some(&end)) = (years.first(), years.last()) else {
        panic!("the shipped calendar covers some years");
    };
    // Days around Christmas, Easter and a plain summer week, in a year well
    // inside the calendar.
    let year = start + (end - start) / 2;
    for received in [
        date(year, 12, 24),
        date(year, 12, 27),
        date(year, 4, 1),
        date(year, 7, 14),
        date(year, 7, 15),
    ] {
        let (Some(first), Some(last)) = related_window(&calendar, received) else {
            panic!("{received}: both ends lie inside the calendar");
        };
        let within = |day: Date| {
            let (a, b) = if day <= received {
                (day, received)
            } else {
                (received, day)
            };
            calendar.working_days_between(a, b).expect("covered")
                <= lantern_core::related::AGGREGATION_WORKING_DAYS
        };
        assert!(within(first) && within(last), "{received}: {first}..{last}");
        assert!(
            !within(first.yesterday().expect("a day")),
            "{received}: {first}"
        );
        assert!(
            !within(last.tomorrow().expect("a day")),
            "{received}: {last}"
        );
        // More than 60 working days each side: at least twelve weeks.
        assert!(
            first
                <= received
                    .checked_sub(jiff::Span::new().days(84))
                    .expect("a day")
        );
        assert!(
            last >= received
                .checked_add(jiff::Span::new().days(84))
                .expect("a day")
        );
    }
    // A day the calendar cannot count from leaves that side open.
    let before = date(start - 1, 6, 1);
    assert_eq!(related_window(&calendar, before).0, None);
    let after = date(end, 12, 30);
    assert_eq!(related_window(&calendar, after).1, None);
}

/// An e-mail Lantern reads only in part: a phrase it does not know (1), two
/// measures in one question (2), one question cut in two by its numbering
/// (3 and 4) and a line that is not a question (5).
// Question 2 asks two things in two sentences (one sentence naming a budget
// and a count is split into parts by intake itself).
const PARTLY: &str = "From: Jo Bloggs <jo@example.org>\nSubject: FOI request\n\nDear Sir or Madam,\n\n1) How many methadone programme participants were there in 2017/18?\n2) What was the budget for drug treatment in 2017/18? How many people were in treatment in 2017/18?\n3) How many people were in treatment for alcohol\n4) in 2016/17?\n5) Please reply to this address.\n\nKind regards,\nJo Bloggs\n";

fn partly(reference: &str) -> NewRequest<'_> {
    NewRequest {
        name: "partly.eml",
        bytes: PARTLY.as_bytes(),
        form: Form::Email,
        received: Some(date(2018, 5, 1)),
        reference: Some(reference.to_string()),
        requester: None,
        contact: None,
    }
}

fn correcting(reference: &str, seen: Option<String>, corrections: Vec<Correction>) -> Correcting {
    Correcting {
        reference: reference.into(),
        corrections,
        seen,
        note: None,
    }
}

#[test]
fn a_partly_understood_request_is_corrected_step_by_step_and_drafted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2018, 5, 10));
    let opened = take_in(&ctx, &partly("FOI-2018-0001")).expect("taken in");
    assert_eq!(opened.unplaced.len(), 5, "{:?}", opened.unplaced);
    let sheet = worksheet(&ctx, "FOI-2018-0001").expect("working copy");
    assert!(!sheet.held && !sheet.complete);
    assert!(sheet.questions.iter().all(|q| q.to_decide.is_some()));
    assert!(sheet.structured.contains("# Not understood yet"));
    let refused = draft(&ctx, "FOI-2018-0001").expect_err("not understood");
    assert_eq!(refused.kind(), Kind::Conflict);

    let q = |s: &str| s.to_string();
    let done = correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            Some(sheet.revision.clone()),
            vec![
                Correction::SetAside {
                    question: q("5"),
                    reason: q("a reply instruction"),
                },
                Correction::Merge {
                    first: q("3"),
                    second: q("4"),
                },
                Correction::Split {
                    question: q("2"),
                    at: vec![q("How many")],
                },
            ],
        ),
    )
    .expect("corrected");
    assert_eq!(done.done.len(), 3);
    let readings: Vec<(&str, Option<&str>)> = done
        .worksheet
        .questions
        .iter()
        .map(|w| (w.question.as_str(), w.reading.as_deref()))
        .collect();
    // The merged question and the split parts are read again.
    assert_eq!(
        readings,
        [
            ("1", None),
            ("2", None),
            ("2a", Some("budget for 2017/18")),
            ("2b", Some("people_in_treatment for 2017/18")),
            (
                "3",
                Some("people_in_treatment for 2016/17 where substance_group=alcohol_only")
            ),
        ]
    );
    assert_eq!(
        done.worksheet.set_aside[0].text,
        "Please reply to this address."
    );
    // A partly corrected request still cannot be drafted, and says why.
    let refused = draft(&ctx, "FOI-2018-0001").expect_err("question 1 left");
    assert!(
        refused
            .message()
            .contains("question 1 asks for nothing yet"),
        "{refused}"
    );

    let done = correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            Some(done.worksheet.revision),
            vec![
                Correction::SetIndicator {
                    question: q("1"),
                    indicator: q("people_in_treatment"),
                },
                Correction::SetPeriods {
                    question: q("1"),
                    periods: vec![q("2017/18")],
                },
            ],
        ),
    )
    .expect("corrected");
    assert!(done.worksheet.complete, "{:#?}", done.worksheet);
    let drafted = draft(&ctx, "FOI-2018-0001").expect("drafted");
    assert_eq!(drafted.status, Status::Drafted);
    let shown = show(&ctx, "FOI-2018-0001").expect("shown");
    let actions: Vec<&str> = shown.history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["open", "correct", "correct", "draft"]);
    assert!(
        shown.history[1]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("question 5 set aside")),
        "{:?}",
        shown.history[1]
    );
    // Once drafted, what it asks is no longer corrected.
    let late = correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            None,
            vec![Correction::SetPeriods {
                question: q("1"),
                periods: vec![q("2016/17")],
            }],
        ),
    )
    .expect_err("drafted");
    assert_eq!(late.kind(), Kind::Conflict);
}

#[test]
fn bad_corrections_say_what_is_wrong_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2018, 5, 10));
    take_in(&ctx, &partly("FOI-2018-0001")).expect("taken in");
    let q = |s: &str| s.to_string();
    let first = correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            None,
            vec![Correction::SetAside {
                question: q("5"),
                reason: q("not a question"),
            }],
        ),
    )
    .expect("corrected");
    let before = worksheet(&ctx, "FOI-2018-0001").expect("working copy");
    assert_eq!(before, first.worksheet);
    for (corrections, kind, says) in [
        (vec![], Kind::Invalid, "no correction given"),
        (
            vec![Correction::SetTopic {
                question: q("9"),
                topic: q("naloxone.purchaser"),
            }],
            Kind::NotFound,
            "there is no question 9; the questions are 1, 2, 3, 4",
        ),
        (
            vec![Correction::SetIndicator {
                question: q("1"),
                indicator: q("budgt"),
            }],
            Kind::Invalid,
            "did you mean budget",
        ),
        (
            vec![Correction::Merge {
                first: q("2"),
                second: q("2"),
            }],
            Kind::Invalid,
            "cannot be merged with itself",
        ),
        // All or none: the first is fine, the second is not.
        (
            vec![
                Correction::SetAside {
                    question: q("4"),
                    reason: q("x"),
                },
                Correction::SetPeriods {
                    question: q("1"),
                    periods: vec![q("2017/18")],
                },
            ],
            Kind::Invalid,
            "set its indicator first",
        ),
    ] {
        let err = correct_questions(&ctx, &correcting("FOI-2018-0001", None, corrections))
            .expect_err("refused");
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.message().contains(says), "{err}");
        assert_eq!(worksheet(&ctx, "FOI-2018-0001").expect("same"), before);
    }
    // A correction made on a working copy someone has changed since.
    let stale = correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            Some("0123456789abcdef".into()),
            vec![Correction::SetAside {
                question: q("4"),
                reason: q("x"),
            }],
        ),
    )
    .expect_err("stale");
    assert_eq!(stale.kind(), Kind::Conflict);
    assert!(
        stale.message().contains("changed since you read it"),
        "{stale}"
    );
    assert_eq!(worksheet(&ctx, "FOI-2018-0001").expect("same"), before);
    let missing = worksheet(&ctx, "FOI-2018-0404").expect_err("no such case");
    assert_eq!(missing.kind(), Kind::NotFound);
}

#[test]
fn a_taught_phrase_reads_new_requests_and_open_ones_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2018, 5, 10));
    take_in(&ctx, &partly("FOI-2018-0001")).expect("taken in");
    let q = |s: &str| s.to_string();
    // The officer has started correcting the first case.
    correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            None,
            vec![Correction::SetAside {
                question: q("5"),
                reason: q("not a question"),
            }],
        ),
    )
    .expect("corrected");
    let held = worksheet(&ctx, "FOI-2018-0001").expect("working copy");
    // A phrase taught on another case.
    let other = NewRequest {
        bytes: b"From: Sam <sam@example.org>\n\n1) How many methadone programme participants were there in 2016/17?\n",
        ..partly("FOI-2018-0002")
    };
    take_in(&ctx, &other).expect("taken in");
    teach(
        &ctx,
        "FOI-2018-0002",
        "1",
        "methadone programme participants",
        "people_in_treatment",
    )
    .expect("taught");
    // The first case's working copy is as the officer left it...
    assert_eq!(worksheet(&ctx, "FOI-2018-0001").expect("same"), held);
    // ...until the officer asks for it to be read again.
    let again = reread(&ctx, "FOI-2018-0001", Some(&held.revision), None).expect("read again");
    assert_eq!(
        again.worksheet.questions[0].reading.as_deref(),
        Some("people_in_treatment for 2017/18")
    );
    // A request taken in now is read with it.
    let from_kim = PARTLY.replace("Jo Bloggs <jo@example.org>", "Kim <kim@example.org>");
    let kim = NewRequest {
        bytes: from_kim.as_bytes(),
        ..partly("FOI-2018-0003")
    };
    let third = take_in(&ctx, &kim).expect("taken in");
    assert!(!third.already_taken_in);
    assert!(
        !third.unplaced.contains(&"1".to_string()),
        "{:?}",
        third.unplaced
    );

    // Removed, it reads no later request; removing it twice is refused.
    let gone = forget_phrase(&ctx, "Methadone  programme participants").expect("removed");
    assert_eq!(gone.ended, 1);
    assert!(synonyms(&ctx).expect("listed").is_empty());
    let from_lee = PARTLY.replace("Jo Bloggs <jo@example.org>", "Lee <lee@example.org>");
    let lee = NewRequest {
        bytes: from_lee.as_bytes(),
        ..partly("FOI-2018-0004")
    };
    let fourth = take_in(&ctx, &lee).expect("taken in");
    assert!(!fourth.already_taken_in);
    assert!(
        fourth.unplaced.contains(&"1".to_string()),
        "{:?}",
        fourth.unplaced
    );
    let err = forget_phrase(&ctx, "methadone programme participants").expect_err("gone");
    assert_eq!(err.kind(), Kind::NotFound);
    // A case opened from a structured request has no e-mail to read again.
    let file = "reference = \"FOI-2018-0009\"\nreceived = 2018-05-01\n[[question]]\nnumber = \"1\"\ntext = \"How many?\"\nindicator = \"people_in_treatment\"\nperiods = [\"2017/18\"]\n";
    take_in(
        &ctx,
        &NewRequest {
            name: "r.toml",
            bytes: file.as_bytes(),
            form: Form::Structured,
            received: None,
            reference: None,
            requester: None,
            contact: None,
        },
    )
    .expect("taken in");
    let err = reread(&ctx, "FOI-2018-0009", None, None).expect_err("no e-mail");
    assert_eq!(err.kind(), Kind::Conflict);
}

#[test]
fn a_phrase_taught_on_a_corrected_case_keeps_the_officers_corrections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(&dir, date(2018, 5, 10));
    take_in(&ctx, &partly("FOI-2018-0001")).expect("taken in");
    let q = |s: &str| s.to_string();
    correct_questions(
        &ctx,
        &correcting(
            "FOI-2018-0001",
            None,
            vec![
                Correction::SetAside {
                    question: q("5"),
                    reason: q("not a question"),
                },
                Correction::Merge {
                    first: q("3"),
                    second: q("4"),
                },
                Correction::Split {
                    question: q("2"),
                    at: vec![q("How many")],
                },
            ],
        ),
    )
    .expect("corrected");
    let taught = teach(
        &ctx,
        "FOI-2018-0001",
        "1",
        "methadone programme participants",
        "people_in_treatment",
    )
    .expect("taught");
    assert!(taught.still_for_the_officer.is_empty(), "{taught:?}");
    let sheet = worksheet(&ctx, "FOI-2018-0001").expect("working copy");
    assert!(sheet.complete, "{sheet:#?}");
    assert_eq!(sheet.set_aside.len(), 1);
    let numbers: Vec<&str> = sheet
        .questions
        .iter()
        .map(|w| w.question.as_str())
        .collect();
    assert_eq!(numbers, ["1", "2", "2a", "2b", "3"]);
    assert_eq!(
        sheet.questions[0].reading.as_deref(),
        Some("people_in_treatment for 2017/18")
    );
}

#[test]
fn a_draft_is_parsed_once_within_one_page_and_afresh_after() {
    let draft = r#"{"findings":[{"number":1}],"questions":[]}"#;
    let other = r#"{"findings":[]}"#;
    // Outside: each read parses it again.
    let (a, b) = (draft_json(draft).unwrap(), draft_json(draft).unwrap());
    assert!(!std::rc::Rc::ptr_eq(&a, &b));
    let (inside, nested) = reading_drafts_once(|| {
        let first = draft_json(draft).unwrap();
        let again = draft_json(draft).unwrap();
        assert!(std::rc::Rc::ptr_eq(&first, &again));
        // Another text (a draft saved meanwhile) is parsed for itself.
        let changed = draft_json(other).unwrap();
        assert_eq!(changed["findings"], serde_json::json!([]));
        // A scope within the page keeps what the page parsed.
        let nested = reading_drafts_once(|| draft_json(draft).unwrap());
        assert!(std::rc::Rc::ptr_eq(&first, &nested));
        // What is changed is a copy: the parsed draft stays as it was.
        let mut owned = draft_json_owned(draft).unwrap();
        owned["findings"] = serde_json::json!([]);
        assert_eq!(draft_json(draft).unwrap()["findings"][0]["number"], 1);
        (first, nested)
    });
    assert_eq!(*inside, *a);
    assert!(std::rc::Rc::ptr_eq(&inside, &nested));
    // Nothing kept after the page.
    let after = draft_json(draft).unwrap();
    assert!(!std::rc::Rc::ptr_eq(&inside, &after));
    assert!(draft_json("not json").is_err());
}
