//! The embedded backend's faults, and how they map onto the engine's ports.

use std::path::PathBuf;

use stepwise_engine::{queue, store};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path} has schema version {found}; this build knows versions up to {supported}")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// WAL is what makes readers and the writer independent and a crash safe; a file
    /// system that refuses it (some network mounts) is refused in turn.
    #[error("{path}: journal_mode=WAL refused (the mode stayed {mode})")]
    NoWal { path: PathBuf, mode: String },
    #[error("sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("corrupt row {key}: {message}")]
    Corrupt { key: String, message: String },
    /// The transaction a write was grouped into did not commit (see the group commit in
    /// `db.rs`): nothing of the write is stored, and it may succeed when tried again.
    #[error("the write's group did not commit: {0}")]
    Group(String),
    /// The blocking task running a statement panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn corrupt(key: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            key: key.into(),
            message: error.to_string(),
        }
    }
}

/// A row that does not parse will not parse on a retry either (`Corrupt`, poison); a
/// busy database, an I/O error or a failed task may pass on the next delivery.
impl From<Error> for store::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Corrupt { key, message } => store::Error::Corrupt { key, message },
            other => store::Error::Unavailable(other.to_string()),
        }
    }
}

impl From<Error> for queue::Error {
    fn from(error: Error) -> Self {
        queue::Error::Unavailable(error.to_string())
    }
}
