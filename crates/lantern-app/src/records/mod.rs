//! Providers' episode-level records: the use cases that take their files
//! in, keep the figures computed from them up to date, and list and
//! withdraw submissions.
//!
//! - [`episodes`]: `import episodes` — each file read, checked and
//!   pseudonymised on every core at once, stored as one submission in its
//!   own transaction, then the areas and years it touched recomputed.
//! - [`recompute`]: a full or one-area recomputation streamed area by area
//!   to one worker per core; the incremental plans a submission or a
//!   withdrawal needs; settling the recomputations owed (and telling
//!   readers while one is).
//! - [`submissions`]: the history of submissions, one submission's
//!   validation report, and withdrawing one.
//!
//! The rules (validation, pseudonymisation, what a record counts towards)
//! are `lantern_core::records`'; this module reads and writes the store
//! around them. The pseudonymisation key is a value the front end hands
//! in ([`pseudonym_key`] builds it from the deployment's settings).

pub mod episodes;
pub mod recompute;
pub mod submissions;

use std::ffi::OsString;

use lantern_core::records::PseudonymKey;

pub use episodes::{EpisodeFile, EpisodeOptions, FileResult, import_episodes};
pub use lantern_core::records::submission::Report;
pub use lantern_store::{SubmissionRecord, SubmitOutcome, Withdrawn};
pub use recompute::{
    Recomputation, Recomputed, figures_owed_notice, owed_notice, recompute, settle_before_writing,
    settle_owed,
};
pub use submissions::{report, status, submission, submissions, withdraw};

use crate::config::Config;
use crate::{Error, Result, ResultExt};

/// The deployment's pseudonymisation key: `from_env` (the front end passes
/// `$LANTERN_PSEUDONYM_KEY` when it is set), else the file named by
/// `[records] key_file` in the configuration.
///
/// The secret never comes from the database: a key given as text is used
/// with the white space around it removed, and one that is not UTF-8 is
/// kept exactly as given (two keys that differ only in bytes that are not
/// text stay different keys).
pub fn pseudonym_key(from_env: Option<OsString>, config: &Config) -> Result<PseudonymKey> {
    let secret: Vec<u8> = if let Some(k) = from_env {
        secret_bytes(k)
    } else if let Some(path) = config.key_file() {
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read the pseudonymisation key file {} ([records] key_file)",
                path.display()
            )
        })?;
        bytes.trim_ascii().to_vec()
    } else {
        return Err(Error::invalid(
            "no pseudonymisation key: set LANTERN_PSEUDONYM_KEY or [records] key_file in lantern.toml \
             (a secret of at least 16 characters, kept out of the database; see docs/deploy.md)",
        ));
    };
    PseudonymKey::new(&secret).ok_or_else(|| {
        Error::invalid(
            "the pseudonymisation key is shorter than 16 bytes; use a long random secret (e.g. `openssl rand -hex 32`)",
        )
    })
}

/// A key given in the environment, as bytes.
fn secret_bytes(key: OsString) -> Vec<u8> {
    match key.into_string() {
        Ok(text) => text.trim().as_bytes().to_vec(),
        Err(raw) => raw.into_encoded_bytes().trim_ascii().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_is_refused_and_a_long_one_taken() {
        let config = Config::default();
        let err = pseudonym_key(Some("short".into()), &config).expect_err("short");
        assert!(err.message().contains("shorter than 16 bytes"), "{err}");
        let key = pseudonym_key(Some("  a-secret-of-sixteen-or-more  ".into()), &config)
            .expect("long enough");
        assert_eq!(key.secret(), b"a-secret-of-sixteen-or-more");
    }

    /// A provider's file in, through the use cases alone: stored, the
    /// figures recomputed, listed, withdrawn, and the withdrawal's
    /// recomputation owed until it is settled.
    #[test]
    fn a_submission_goes_in_and_is_withdrawn() {
        use std::ops::ControlFlow;

        use crate::data::{self, DataFile};
        use crate::{Clock, Context};

        let dir = tempfile::tempdir().expect("a directory");
        let database = dir.path().join("lantern.db").display().to_string();
        let mut ctx = Context::new(database, Config::default(), "tester".into());
        ctx.clock = Clock::fixed("2026-04-30".parse().expect("a day"));
        data::init(&ctx).expect("init");
        data::import(
            &ctx,
            DataFile::Agencies,
            "agencies.csv",
            b"code,name,area\nA1,First Step,E06000016\n",
            &|_| {},
        )
        .expect("agencies");
        let key = pseudonym_key(
            Some("a test secret that is long enough".into()),
            &ctx.config,
        )
        .expect("key");
        let csv = "AGNCY,CLIENT,FINITIAL,SINITIAL,DOB,SEX,ETHNIC,LA,EPISODID,REFLD,TRIAGED,EPSTART,DISD,DISRSN,DRUG1,DRUG2,DRUG3,MODID,MODAL,MODSET,MODST,MODEND,FUNDING,NALOXONE\n\
            A1,c1,J,S,19800510,M,A,E06000016,e1,20160520,20160525,20160601,,,1101,3201,,m1,PHARM,COM,20160601,,LA,2\n";
        let files = [EpisodeFile::from_bytes("A1-2026-03.csv", csv.as_bytes())];
        let mut seen = Vec::new();
        let results = import_episodes(
            &ctx,
            &key,
            &files,
            &EpisodeOptions::default(),
            &|_| {},
            &mut |r| {
                seen.push(r.file.clone());
                ControlFlow::Continue(())
            },
        )
        .expect("import");
        assert_eq!(seen, ["A1-2026-03.csv"]);
        let [one] = results.as_slice() else {
            panic!("one result: {results:?}")
        };
        assert_eq!(one.outcome, SubmitOutcome::Current, "{:?}", one.report);
        assert_eq!(
            (one.provider.as_str(), one.month.as_str()),
            ("A1", "2026-03")
        );
        let recomputed = one.recompute.as_ref().expect("recomputed");
        assert_eq!(recomputed.areas, ["E06000016"]);
        assert!(recomputed.changed > 0);
        assert_eq!(owed_notice(&ctx).expect("notice"), None);

        let listed = submissions(&ctx).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(status(&listed[0]), "current");
        assert_eq!(report(&listed[0]).expect("report"), one.report);
        let missing = submission(&ctx, 99).expect_err("no such submission");
        assert_eq!(missing.kind(), crate::Kind::NotFound);

        let withdrawn = withdraw(&ctx, one.submission, "wrong month").expect("withdraw");
        assert!(withdrawn.owed.is_some());
        assert!(owed_notice(&ctx).expect("notice").is_some());
        let settled = settle_owed(&ctx)
            .expect("settle")
            .expect("something was owed");
        assert_eq!(settled.areas, ["E06000016"]);
        assert_eq!(owed_notice(&ctx).expect("notice"), None);
        assert_eq!(settle_before_writing(&ctx).expect("nothing owed"), None);
        let full = recompute(&ctx, None, true).expect("recompute");
        assert_eq!((full.areas, full.records), (0, 0));
        assert_eq!(full.counts_csv(), "area,year,indicator,breakdown,value\n");
    }

    #[test]
    fn no_key_says_where_to_set_one() {
        let err = pseudonym_key(None, &Config::default()).expect_err("no key");
        assert!(err.message().contains("LANTERN_PSEUDONYM_KEY"), "{err}");
    }
}
