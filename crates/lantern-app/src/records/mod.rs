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

    #[test]
    fn no_key_says_where_to_set_one() {
        let err = pseudonym_key(None, &Config::default()).expect_err("no key");
        assert!(err.message().contains("LANTERN_PSEUDONYM_KEY"), "{err}");
    }
}
