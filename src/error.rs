//! The library's error type. Each variant carries what a person needs to act on it (data
//! errors: the file, sheet, row and column; I/O: the path; the writer: the lock, the
//! conflict, the log), and [`Error::hint`] picks the advice by variant. The CLI prints an
//! error once, with its hint.

use std::fmt;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a workbook something was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: String,
    pub sheet: Option<String>,
    /// 1-based, as Excel shows it.
    pub row: Option<u32>,
    pub column: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(s) = &self.sheet {
            write!(f, ", sheet {s}")?;
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{path}` is not a ceping warehouse: {why}")]
    ForeignDirectory { path: PathBuf, why: String },
    #[error("Delta table `{table}`: {source}")]
    Delta {
        table: String,
        source: deltalake::DeltaTableError,
    },
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// A file operation (`fs-err` names the path in the message).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A file ceping writes for people (a report, a letter, an export) could not be written.
    #[error("writing `{path}`: {message}")]
    Output { path: PathBuf, message: String },
    /// A table's staged or stored Parquet data could not be written or read.
    #[error("`{table}`: {message}")]
    Storage { table: String, message: String },
    /// The object store of an `s3://` warehouse.
    #[error("{message}")]
    Store { message: String },
    /// The file as a whole cannot be read: not a workbook, corrupt, encrypted, empty.
    #[error("{location}: {message}")]
    Workbook { location: Location, message: String },
    /// The writer lock file cannot be opened or locked (not: another writer holds it).
    #[error("cannot lock `{path}`: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
    /// Another writer holds the warehouse.
    #[error("{0}")]
    Busy(String),
    /// Another writer committed first (object storage has no lock: conditional puts
    /// decide); nothing of this write is recorded, and running it again is safe.
    #[error("{0}")]
    Conflict(String),
    /// The warehouse's log and its tables disagree in a way repair cannot fix.
    #[error("{0}")]
    CorruptLog(String),
    /// A pipeline file is not valid, or one of its steps failed.
    #[error("`{}`{}: {message}", path.display(), step.map(|s| format!(", step {s}")).unwrap_or_default())]
    Pipeline {
        path: PathBuf,
        step: Option<usize>,
        message: String,
    },
    /// The server cannot start (address, password, TLS).
    #[error("{0}")]
    Serve(String),
    /// The users file or the audit log (`ceping user`, `ceping audit`, `ceping serve`).
    #[error("`{}`: {message}", path.display())]
    Access { path: PathBuf, message: String },
    /// A bug: a thread ended without an answer.
    #[error("internal error: {0}")]
    Internal(String),
    /// A request that cannot be carried out as given (a flag, a name, a date).
    #[error("{0}")]
    Usage(String),
    /// A view file outside the portable view dialect (`ceping views`), each construct
    /// with its line and the form to use.
    #[error("view file {view}.sql is outside the portable view dialect (docs/SCALE.md):\n  {}", .findings.join("\n  "))]
    NotPortable { view: String, findings: Vec<String> },
}

impl Error {
    pub fn delta(table: &str, source: deltalake::DeltaTableError) -> Self {
        Error::Delta {
            table: table.to_string(),
            source,
        }
    }

    pub fn workbook(location: Location, message: impl Into<String>) -> Self {
        Error::Workbook {
            location,
            message: message.into(),
        }
    }

    pub fn output(path: &std::path::Path, message: impl fmt::Display) -> Self {
        Error::Output {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    /// What to do about it, chosen by the kind of error.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Busy(_) => Some("wait longer with --wait SECONDS, or run it again when the other ingest is done"),
            Error::Conflict(_) => Some("another writer won the race; running the same command again is safe"),
            Error::CorruptLog(_) => Some("`ceping check` reports what the log and the tables hold"),
            _ if self.missing_data_file() => Some(
                "a data file of the version read is gone; `ceping optimize` deletes the files of versions \
                 older than its retention (an --as-of time or version before that cannot be read), \
                 and `ceping check` says whether the newest version is whole",
            ),
            _ => None,
        }
    }

    /// Whether a data file (Parquet) a read needed is not in the store.
    fn missing_data_file(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cause {
            if let Some(object_store::Error::NotFound { path, .. }) = e.downcast_ref::<object_store::Error>() {
                return path.ends_with(".parquet");
            }
            if let Some(datafusion::error::DataFusionError::ObjectStore(inner)) =
                e.downcast_ref::<datafusion::error::DataFusionError>()
            {
                if let object_store::Error::NotFound { path, .. } = inner.as_ref() {
                    return path.ends_with(".parquet");
                }
            }
            // Parquet's async reader keeps only the text of the store's NotFound.
            if let Some(datafusion::error::DataFusionError::ParquetError(p)) =
                e.downcast_ref::<datafusion::error::DataFusionError>()
            {
                let text = p.to_string();
                return text.contains(".parquet") && text.contains("not found");
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::NotFound && io.to_string().contains(".parquet") {
                    return true;
                }
            }
            cause = e.source();
        }
        false
    }
}
