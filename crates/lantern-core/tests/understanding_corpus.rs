//! The labelled corpus of real requests (`tests/corpus`): its labels are well
//! formed, the scoring classifies as `bench/understanding` documents, and on
//! the tuning part Lantern drops nothing and is never silently wrong (the
//! precision target of issue 13).

#[path = "understanding/score.rs"]
mod score;

use std::path::PathBuf;

use score::{Outcome, Summary};

#[test]
fn every_label_reads_and_a_quarter_is_kept_aside() {
    let dir = score::corpus_dir();
    let mut labels: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    labels.sort();
    assert!(labels.len() >= 60, "{} labelled requests", labels.len());
    let mut held = 0;
    let mut fresh = 0;
    let mut seen_fresh = 0;
    for path in &labels {
        let label = score::read_label(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !label.items.is_empty(),
            "{}: no labelled question",
            label.name
        );
        let eml = path.with_extension("eml");
        assert!(eml.is_file(), "{} has no e-mail", label.name);
        held += usize::from(label.heldout);
        fresh += usize::from(label.fresh);
        seen_fresh += usize::from(label.seen_fresh);
    }
    // The first quarter was chosen among the requests before the fresh sets.
    let first = labels.len() - fresh - seen_fresh;
    let quarter = first / 4;
    assert!(
        held + 1 >= quarter && held <= quarter + 1,
        "{held} of {first} requests kept aside"
    );
    // The first four fresh sets (081-101, 102-121, 122-141, 142-161) were seen and
    // are tuning data now; a fifth, when there is one, is the held-out
    // measure and holds at least 15 requests.
    assert!(
        seen_fresh >= 81,
        "{seen_fresh} requests in the seen fresh sets"
    );
    assert!(
        fresh == 0 || fresh >= 15,
        "{fresh} requests in the fresh held-out set"
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lantern-understanding-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[test]
fn scoring_tells_right_silently_wrong_dropped_and_left_for_the_officer_apart() {
    let dir = scratch("scoring");
    std::fs::write(
        dir.join("001.eml"),
        "Date: Mon, 07 Aug 2017 10:00:00 +0100\nFrom: A <a@example.invalid>\nSubject: Naloxone\n\n\
         1. How many naloxone kits were purchased in 2016/17?\n\
         2. Who is responsible for purchasing naloxone?\n\
         3. What is your policy on smoking breaks?\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("001.toml"),
        r#"
source = "test"
[[question]]
starts = "How many naloxone kits were purchased"
reading = "indicator:naloxone_kits_purchased"
periods = ["2016/17"]
reason = "right when drafted with this reading"
[[question]]
starts = "Who is responsible for purchasing naloxone"
reading = "topic:naloxone.providers"
reason = "deliberately not Lantern's reading: silently wrong"
[[question]]
starts = "What is your policy on smoking breaks"
reading = "indicator:budget"
periods = ["2016/17"]
reason = "Lantern has no reading: left for the officer"
[[question]]
starts = "words that are in no question"
reading = "outside"
reason = "dropped"
"#,
    )
    .unwrap();
    let scored = score::score_corpus(&dir).expect("the scratch corpus scores");
    let outcomes: Vec<Outcome> = scored.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Right,
            Outcome::SilentlyWrong,
            Outcome::LeftForOfficer,
            Outcome::Dropped
        ],
        "{scored:#?}"
    );
    let summary = Summary::of(&scored);
    assert_eq!(
        (
            summary.right,
            summary.silently_wrong,
            summary.dropped,
            summary.left_for_officer
        ),
        (1, 1, 1, 1)
    );
    assert!(summary.line("x").starts_with(
        "understanding (x): right=25.0% silently_wrong=1 dropped=1 left_for_officer=1"
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tuning_part_is_never_silently_wrong_and_drops_nothing() {
    let scored = score::score_corpus(&score::corpus_dir()).expect("the corpus scores");
    let tuning: Vec<&score::Scored> = scored.iter().filter(|s| !s.heldout && !s.fresh).collect();
    let summary = Summary::of(tuning.iter().copied());
    let failing: Vec<String> = tuning
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::SilentlyWrong | Outcome::Dropped))
        .map(|s| s.line())
        .collect();
    assert_eq!(
        (summary.silently_wrong, summary.dropped),
        (0, 0),
        "{}\n{}",
        summary.line("tuning"),
        failing.join("\n")
    );
}
