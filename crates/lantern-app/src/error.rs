//! The one error type every use case returns.
//!
//! A use case fails for a reason a front end must tell apart: the input was
//! wrong ([`Kind::Invalid`], with the file, line and field in its message),
//! the thing named does not exist ([`Kind::NotFound`]), the request is not
//! allowed in the current state ([`Kind::Conflict`]), the store is busy or
//! unreachable ([`Kind::Unavailable`]), the person may not do it
//! ([`Kind::Forbidden`]), or something broke that the user
//! cannot fix ([`Kind::Internal`]). The CLI maps every kind to exit status 1
//! with the message; the web maps them to 400/404/409/403/503/500.
//!
//! Messages are complete sentences for the user: what was wrong, where, and
//! what to do. [`Context::context`] prefixes where, as `outer: inner`, so a
//! message reads the same as the chain of causes it came from.

use std::fmt;

use lantern_store::StoreError;

/// What kind of failure, for front ends that answer differently to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input was wrong: fix it and try again.
    Invalid,
    /// What was named (a request, a submission, a council) does not exist.
    NotFound,
    /// Not allowed now: the case or the data is in a state that forbids it.
    Conflict,
    /// Not allowed for this person: the policy refuses it
    /// ([`crate::policy::may`]).
    Forbidden,
    /// The database is busy (another writer holds it) or cannot be reached.
    Unavailable,
    /// A fault the user cannot fix (a broken file on disk, a bug).
    Internal,
}

/// A use case's failure: its kind and the message for the user.
#[derive(Debug)]
pub struct Error {
    kind: Kind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The result of a use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message for the user.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Bad input.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, message)
    }

    /// Something named that does not exist.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(Kind::NotFound, message)
    }

    /// Not allowed in the current state.
    pub fn conflict(message: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, message)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The message, without its kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying store error, when the failure came from the store.
    pub fn store_error(&self) -> Option<&StoreError> {
        self.source.as_deref()?.downcast_ref::<StoreError>()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        let kind = match &e {
            StoreError::Busy { .. } | StoreError::Connect { .. } => Kind::Unavailable,
            StoreError::NoSuchCase(_)
            | StoreError::NoSuchUser(_)
            | StoreError::NoSuchCouncil { .. }
            | StoreError::NoSuchVersion { .. }
            | StoreError::Missing { .. } => Kind::NotFound,
            StoreError::CaseExists(_)
            | StoreError::UserExists(_)
            | StoreError::Conflict { .. }
            | StoreError::Changed { .. }
            | StoreError::Refused { .. }
            | StoreError::LogMoved => Kind::Conflict,
            StoreError::Damaged(_) | StoreError::Sqlite(_) | StoreError::Postgres(_) => {
                Kind::Internal
            }
            _ => Kind::Invalid,
        };
        Error {
            kind,
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

macro_rules! invalid_from {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Error {
                Error::invalid(e.to_string())
            }
        }
    )*};
}

invalid_from!(
    lantern_core::catalogue::CatalogueError,
    lantern_core::catalogue::UnknownIndicator,
    lantern_core::request::RequestError,
    lantern_core::period::PeriodError,
    lantern_core::casework::TransitionError,
    lantern_core::deadline::CalendarError,
    lantern_core::deadline::DeadlineError,
    lantern_core::disclosure::PolicyError,
    lantern_core::understand::IntakeError,
    lantern_core::council::CouncilError,
    crate::import::FileProblems,
);

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(Kind::Internal, e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::new(Kind::Internal, e.to_string())
    }
}

impl From<minijinja::Error> for Error {
    fn from(e: minijinja::Error) -> Error {
        Error::new(Kind::Internal, format!("{e:#}"))
    }
}

/// Say where a failure happened: `result.context("lantern.toml")` turns
/// "bad value" into "lantern.toml: bad value", keeping the kind.
pub trait Context<T> {
    /// Prefix the message with `what`.
    fn context(self, what: impl fmt::Display) -> Result<T>;
    /// Prefix the message with what `what` returns, computed only on failure.
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| {
            let mut e = e.into();
            e.message = format!("{what}: {}", e.message);
            e
        })
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| {
            let mut e = e.into();
            e.message = format!("{}: {}", what(), e.message);
            e
        })
    }
}

/// Return early with an error of a kind: `fail!(Invalid, "…{x}…")`.
#[macro_export]
macro_rules! fail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::Error::new($crate::error::Kind::$kind, format!($($arg)*)))
    };
}
