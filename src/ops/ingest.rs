//! Ingest and inspect.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Progress;
use crate::error::{Error, Result};
use crate::ingest::kind::Context;
use crate::ingest::load::{ingest_file, Outcome};
use crate::ingest::{read_file, Options, Parsed};
use crate::warehouse::Warehouse;

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    pub files: Vec<PathBuf>,
    pub options: Options,
    /// How long to wait for another writer before giving up on a file.
    pub wait: Duration,
}

/// One file's outcome: each file succeeds or fails on its own.
pub struct FileResult {
    pub path: PathBuf,
    pub outcome: Result<Outcome>,
}

/// Ingests each file as one commit, taking the writer lock for each. Options that no
/// file could satisfy are an error before any file is read.
pub async fn ingest(wh: &Warehouse, req: &IngestRequest, progress: &dyn Progress) -> Result<Vec<FileResult>> {
    if let Some(y) = req.options.year.filter(|y| !(1..=9999).contains(y)) {
        return Err(Error::Usage(format!("--year {y} is not a year (1–9999)")));
    }
    if let Some(r) = req.options.revision.filter(|r| *r < 1) {
        return Err(Error::Usage(format!("--revision {r}: revisions are numbered from 1")));
    }
    let mut out = Vec::new();
    for path in &req.files {
        progress.file(path);
        let outcome = async {
            let mut writer = wh.writer(req.wait).await?;
            ingest_file(&mut writer, path, &req.options, &|n| progress.rows(n)).await
        }
        .await;
        progress.done();
        out.push(FileResult {
            path: path.clone(),
            outcome,
        });
    }
    Ok(out)
}

/// How a file would be read, without a warehouse.
pub fn inspect(path: &Path, kind: Option<&str>) -> Result<Parsed> {
    let opts = Options {
        kind: kind.map(str::to_string),
        year: None,
        revision: Some(1),
        // Inspect shows what the guard would stop, rather than stopping.
        accept_rejects: true,
    };
    read_file(path, &opts, &Context::default())
}
