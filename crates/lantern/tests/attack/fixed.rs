//! The fixed attacks of issue 10: seven ordinary requests and eight
//! follow-ups on a generated council; four parts and a total inside one
//! letter; overlapping periods for people and for events; an open
//! dimension whose members the attacker knows; settings and interventions,
//! under several of which one person counts; a publication of figures (a
//! release of Lantern's own) followed by answers.

use std::collections::BTreeSet;

use crate::attacker::Knowledge;
use crate::{Letters, TestApp, check, generated_providers, question};

const YEAR: &str = "2019/20";

/// The generated council the seven requests are made of.
const SEED: u64 = 1;

/// The seven requests for people in treatment in one year.
fn seven() -> Vec<String> {
    let p = "people_in_treatment";
    vec![
        question(1, p, YEAR, &[], &[]) + &question(2, p, YEAR, &[], &["age_band"]),
        question(1, p, YEAR, &[("crack", "crack")], &["age_band"]),
        question(1, p, YEAR, &[], &["sex"]),
        question(1, p, YEAR, &[], &["substance_group"]),
        question(1, p, YEAR, &[("substance_group", "opiate")], &["age_band"]),
        question(1, p, YEAR, &[("crack", "no_crack")], &["age_band"]),
        question(1, p, YEAR, &[], &["age_band", "substance_group"]),
    ]
}

#[test]
fn seven_requests_for_one_year_and_eight_follow_ups_recover_nothing() {
    let app = TestApp::generated(SEED);
    let knowledge = generated_providers();
    let mut letters = Letters::default();
    for (i, questions) in seven().iter().enumerate() {
        let reference = format!("FOI-7-{}", i + 1);
        letters.note(&reference, &app.ask(&reference, questions));
    }
    let after_seven = check(
        "seven requests",
        &app,
        &knowledge,
        &letters,
        Some(SEVEN_SECONDARY_BOUND),
        true,
    );

    // Eight follow-ups, each asking for one cell the answers withheld:
    // cells withheld to protect others first (the ones an attacker wants),
    // then small counts.
    let mut withheld: Vec<_> = after_seven.findings.clone();
    withheld.sort_by_key(|f| {
        (
            f.kind == crate::attacker::Kind::Primary,
            f.row.breakdown.clone(),
        )
    });
    let mut asked = BTreeSet::new();
    let mut n = 0;
    for f in withheld {
        if n == 8 {
            break;
        }
        if !asked.insert(f.row.breakdown.clone()) {
            continue;
        }
        let filter: Vec<(&str, &str)> = f
            .row
            .breakdown
            .split(';')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .collect();
        n += 1;
        let reference = format!("FOI-F-{n}");
        let questions = question(1, &f.row.indicator, &f.period, &filter, &[]);
        letters.note(&reference, &app.ask(&reference, &questions));
    }
    assert_eq!(n, 8, "eight cells to follow up");
    check(
        "seven requests and eight follow-ups",
        &app,
        &knowledge,
        &letters,
        Some(FOLLOW_UP_SECONDARY_BOUND),
        true,
    );
}

/// Utility for the seven requests: at most this many distinct cells
/// withheld beyond the 7 small counts themselves (about two per small
/// count; withholding everything would be over 80). The issue-10 defence
/// withholds 5.
const SEVEN_SECONDARY_BOUND: usize = 16;
/// And after the eight follow-ups (a cell asked for again and withheld
/// again counts once). The issue-10 defence: 5.
const FOLLOW_UP_SECONDARY_BOUND: usize = 16;

#[test]
fn four_parts_and_the_total_in_one_letter_recover_nothing() {
    let app = TestApp::with_figures(
        "indicator,area,period,substance_group,value,source\n\
         people_in_treatment,E06000016,2019/20,,21,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,opiate,5,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,non_opiate_only,6,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,non_opiate_and_alcohol,7,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,alcohol_only,3,ndtms_partnership\n",
    );
    let p = "people_in_treatment";
    let mut questions = String::new();
    for (n, group) in [
        "opiate",
        "non_opiate_only",
        "non_opiate_and_alcohol",
        "alcohol_only",
    ]
    .iter()
    .enumerate()
    {
        questions += &question(n + 1, p, YEAR, &[("substance_group", group)], &[]);
    }
    questions += &question(5, p, YEAR, &[], &[]);
    let mut letters = Letters::default();
    letters.note("FOI-P-1", &app.ask("FOI-P-1", &questions));
    check(
        "four parts and the total in one letter",
        &app,
        &Knowledge::default(),
        &letters,
        Some(2),
        // The old defence protects one letter's questions together.
        false,
    );
}

/// 2019/20 given, 2020/21 small, March 2019 none, then a span from 1 March
/// 2019 to 31 March 2021: for people the span lies between the larger year
/// and the sum (so 44 − 40 − 0 pins 2020/21 at 4), for events it is the sum.
fn overlapping_periods(indicator: &str, later_year: u32, span: u32) {
    let span_period = "2019-03-01 to 2021-03-31";
    let app = TestApp::with_figures(&format!(
        "indicator,area,period,value,source\n\
         {indicator},E06000016,2019/20,40,ndtms_partnership\n\
         {indicator},E06000016,2020/21,{later_year},ndtms_partnership\n\
         {indicator},E06000016,March 2019,0,ndtms_partnership\n\
         {indicator},E06000016,{span_period},{span},ndtms_partnership\n"
    ));
    let mut letters = Letters::default();
    let letter = question(1, indicator, "2019/20", &[], &[])
        + &question(2, indicator, "March 2019", &[], &[]);
    letters.note("FOI-O-1", &app.ask("FOI-O-1", &letter));
    let letter = question(1, indicator, "2020/21", &[], &[]);
    letters.note("FOI-O-2", &app.ask("FOI-O-2", &letter));
    let letter = question(1, indicator, "1 March 2019 to 31 March 2021", &[], &[]);
    letters.note("FOI-O-3", &app.ask("FOI-O-3", &letter));
    check(
        &format!("overlapping periods, {indicator}"),
        &app,
        &Knowledge::default(),
        &letters,
        Some(2),
        true,
    );
}

#[test]
fn overlapping_periods_of_people_recover_nothing() {
    overlapping_periods("people_in_treatment", 4, 44);
}

#[test]
fn overlapping_periods_of_events_recover_nothing() {
    overlapping_periods("inpatient_detox_placements", 3, 43);
}

/// Providers: total 100, Turning Point 97, the other small. The attacker
/// knows there are exactly two providers.
fn open_dimension(indicator: &str) {
    let app = TestApp::with_figures(&format!(
        "indicator,area,period,provider,value,source\n\
         {indicator},E06000016,2019/20,,100,ndtms_partnership\n\
         {indicator},E06000016,2019/20,Turning Point,97,ndtms_partnership\n\
         {indicator},E06000016,2019/20,Change Grow Live,3,ndtms_partnership\n"
    ));
    let mut letters = Letters::default();
    let letter = question(1, indicator, YEAR, &[], &[]);
    letters.note("FOI-D-1", &app.ask("FOI-D-1", &letter));
    let letter = question(1, indicator, YEAR, &[], &["provider"]);
    letters.note("FOI-D-2", &app.ask("FOI-D-2", &letter));
    let mut knowledge = Knowledge::default();
    knowledge.members.insert(
        "provider".into(),
        ["Turning Point", "Change Grow Live"]
            .into_iter()
            .map(String::from)
            .collect(),
    );
    check(
        &format!("open dimension, {indicator}"),
        &app,
        &knowledge,
        &letters,
        Some(1),
        true,
    );
}

#[test]
fn an_open_dimension_of_events_recovers_nothing() {
    open_dimension("inpatient_detox_placements");
}

#[test]
fn an_open_dimension_of_people_recovers_nothing() {
    open_dimension("people_in_treatment");
}

/// Composite bands answered as sums of held five-year bands (issue 12):
/// a total and the requester's bands in one letter, "under 25" in another,
/// then every band: the sums join the protected table with their parts, so
/// nothing small can be worked out from them.
#[test]
fn composite_bands_summed_from_held_parts_recover_nothing() {
    let mut csv = String::from(
        "indicator,area,period,age_band,value,source\n\
         people_in_treatment,E06000016,2019/20,,40,ndtms_partnership\n",
    );
    for (band, n) in [
        ("18", 1),
        ("19", 2),
        ("20-24", 4),
        ("25-29", 8),
        ("30-34", 6),
        ("35-39", 5),
        ("40-44", 5),
        ("45-49", 4),
        ("50-54", 3),
        ("55-59", 2),
        ("60-64", 0),
        ("65-69", 0),
        ("70+", 0),
    ] {
        csv += &format!("people_in_treatment,E06000016,2019/20,{band},{n},ndtms_partnership\n");
    }
    let app = TestApp::with_figures(&csv);
    let p = "people_in_treatment";
    let mut letters = Letters::default();
    let own_bands = question(1, p, YEAR, &[], &[])
        + &question(2, p, YEAR, &[], &[]).replace(
            "periods = [",
            "bands = [\"18-29\", \"30-49\", \"50+\"]\nperiods = [",
        );
    letters.note("FOI-C-1", &app.ask("FOI-C-1", &own_bands));
    let under_25 = question(1, p, YEAR, &[], &[])
        .replace("periods = [", "bands = [\"under 25\"]\nperiods = [");
    letters.note("FOI-C-2", &app.ask("FOI-C-2", &under_25));
    let every_band = question(1, p, YEAR, &[], &["age_band"]);
    letters.note("FOI-C-3", &app.ask("FOI-C-3", &every_band));
    check(
        "composite bands summed from held parts",
        &app,
        &Knowledge::default(),
        &letters,
        None,
        false,
    );
}

/// Settings and interventions of people in treatment, counted from the
/// generated council's records (one person may have several): the total
/// and every setting, two settings by age band, every intervention and one
/// by sex, then a follow-up for each of four cells withheld. The values do not add
/// up to the total, and nothing small can be worked out from them.
#[test]
fn settings_and_interventions_of_people_recover_nothing() {
    let app = TestApp::generated(SEED);
    let p = "people_in_treatment";
    let mut letters = Letters::default();
    // Settings in one year, interventions in the year before: each value
    // named doubles a table's combinations, so both in one year by age band
    // would be too wide to examine (everything would be withheld).
    let before = "2018/19";
    let asks = [
        question(1, p, YEAR, &[], &[]) + &question(2, p, YEAR, &[], &["setting"]),
        question(1, p, YEAR, &[("setting", "inpatient")], &["age_band"]),
        question(1, p, YEAR, &[("setting", "residential")], &["age_band"]),
        question(1, p, before, &[], &["intervention"])
            + &question(
                2,
                p,
                before,
                &[("intervention", "recovery_support")],
                &["sex"],
            ),
    ];
    for (i, questions) in asks.iter().enumerate() {
        let reference = format!("FOI-S-{}", i + 1);
        letters.note(&reference, &app.ask(&reference, questions));
    }
    let first = check(
        "settings and interventions",
        &app,
        &generated_providers(),
        &letters,
        None,
        true,
    );
    let mut asked = BTreeSet::new();
    for f in &first.findings {
        if asked.len() == 4 {
            break;
        }
        if !asked.insert(f.row.breakdown.clone()) {
            continue;
        }
        let filter: Vec<(&str, &str)> = f
            .row
            .breakdown
            .split(';')
            .filter_map(|p| p.split_once('='))
            .collect();
        let reference = format!("FOI-SF-{}", asked.len());
        let questions = question(1, &f.row.indicator, &f.period, &filter, &[]);
        letters.note(&reference, &app.ask(&reference, &questions));
    }
    assert!(
        first
            .findings
            .iter()
            .any(|f| f.row.breakdown.contains("setting=")),
        "the settings asked include some withheld: {}",
        first.explain()
    );
    check(
        "settings and interventions, follow-ups",
        &app,
        &generated_providers(),
        &letters,
        None,
        true,
    );
}

/// Publishing is a release: the publication of people in treatment by sex
/// gives the total and one sex, shows the small one as "fewer than 5" and
/// withholds a third; later answers ask for the withheld one alone, then
/// for every sex with one sex again. Had the publication not joined the
/// disclosure log, the first answer would give 396 and 1,200 − 800 − 396
/// would pin the small count at 4.
#[test]
fn a_publication_and_later_answers_recover_nothing() {
    let app = TestApp::with_figures(
        "indicator,area,period,sex,value,source\n\
         people_in_treatment,E06000016,2019/20,,1200,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,male,800,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,female,396,ndtms_partnership\n\
         people_in_treatment,E06000016,2019/20,other,4,ndtms_partnership\n",
    );
    app.run(&[
        "--as-of",
        "2026-05-01",
        "publish",
        "people_in_treatment",
        "--from",
        YEAR,
        "--by",
        "sex",
    ])
    .ok();
    let published = app.log();
    assert!(
        published
            .iter()
            .any(|r| r.reference == "PUB-0001" && r.released == "fewer than 5"),
        "the publication is in the disclosure log, its small count as \"fewer than 5\""
    );
    assert!(
        !published
            .iter()
            .any(|r| r.reference == "PUB-0001" && r.value.as_ref().is_some_and(|v| v == 4)),
        "the small count's value is never published"
    );
    let p = "people_in_treatment";
    let mut letters = Letters::default();
    let alone = app.ask(
        "FOI-PUB-1",
        &question(1, p, YEAR, &[("sex", "female")], &[]),
    );
    letters.note("FOI-PUB-1", &alone);
    assert_eq!(
        alone["questions"][0]["rows"][0]["decision"], "suppressed",
        "the cell the publication withheld stays withheld: {alone:#}"
    );
    let again =
        question(1, p, YEAR, &[], &["sex"]) + &question(2, p, YEAR, &[("sex", "male")], &[]);
    letters.note("FOI-PUB-2", &app.ask("FOI-PUB-2", &again));
    check(
        "a publication and later answers",
        &app,
        &Knowledge::default(),
        &letters,
        Some(2),
        false,
    );
}
