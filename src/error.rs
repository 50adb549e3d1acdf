//! The library's error type. Data errors carry where they happened (file, sheet, row,
//! column); the CLI prints them once.

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
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file as a whole cannot be read: not a workbook, corrupt, encrypted, empty.
    #[error("{location}: {message}")]
    Workbook { location: Location, message: String },
    #[error("{0}")]
    Usage(String),
    /// Another writer holds the warehouse.
    #[error("{0}")]
    Busy(String),
    /// Another writer committed first (object storage has no lock: conditional puts
    /// decide); nothing of this write is recorded, and running it again is safe.
    #[error("{0}")]
    Conflict(String),
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
}
