//! The operations layer: one function per operation, typed arguments in, typed results
//! out, progress through a [`Progress`] sink. The CLI (`app`), pipelines and the server
//! call these and render the results; nothing here prints.
//!
//! Every read goes through one warehouse snapshot; every write through the one
//! [`Writer`](crate::warehouse::Writer).

mod ingest;
mod maintain;
mod read;

pub use ingest::{ingest, inspect, FileResult, IngestRequest, Outcome};
pub use maintain::{optimize, Optimized};
pub use read::{
    check, describe, diff, export_fixlists, export_preview, history, letters, query, rejects, report, tables, trace,
    views_script, CheckResult, LettersWritten, ReportRequest, ReportWritten, TraceRequest,
};

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

use crate::error::Result;
use crate::settings::Settings;
use crate::warehouse::Warehouse;

/// Opens (or creates) the warehouse the settings name, with every kind's table.
pub async fn open(settings: Arc<Settings>) -> Result<Warehouse> {
    Warehouse::open_or_create(settings, crate::ingest::kinds::catalog()).await
}

/// A query result: its schema and rows.
pub type Rows = (SchemaRef, Vec<RecordBatch>);

/// Where long operations report progress (a terminal bar, a log, nothing).
pub trait Progress: Sync {
    /// A file is about to be read.
    fn file(&self, _path: &std::path::Path) {}
    /// Rows read so far in the current file.
    fn rows(&self, _n: u64) {}
    /// The current file is done.
    fn done(&self) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}
