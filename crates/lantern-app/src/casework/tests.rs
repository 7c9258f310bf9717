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
    approve(&ctx, "FOI-2019-0412", Some("checked".into()), None).expect("approved");
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
