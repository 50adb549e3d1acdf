//! Ingest and inspect: the write path of ingestion. `ingest/` reads a workbook (detect,
//! walk, map); this drives it file by file under the writer ([`load`]) and runs a file
//! again when it lost a commit race on object storage.

mod load;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Progress;
use crate::error::{Error, Result};
use crate::ingest::kind::Context;
use crate::ingest::{read_file, KindName, Options, Parsed};
use crate::settings::Limits;
use crate::warehouse::Warehouse;
use load::ingest_file;
pub use load::Outcome;

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
        let mut attempt = 0;
        let outcome = loop {
            let outcome = async {
                let mut writer = wh.writer(req.wait).await?;
                ingest_file(&mut writer, path, &req.options, &|n| progress.rows(n)).await
            }
            .await;
            // On object storage a writer that lost a commit race to another recorded
            // nothing: it reads the new version and runs again (the idempotency check then
            // sees a file the other writer loaded).
            match outcome {
                Err(Error::Conflict(why)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    let pause = backoff(attempt);
                    tracing::warn!(attempt, "{why}; trying again in {} ms", pause.as_millis());
                    tokio::time::sleep(pause).await;
                }
                other => break other,
            }
        };
        progress.done();
        out.push(FileResult {
            path: path.clone(),
            outcome,
        });
    }
    Ok(out)
}

/// How often an ingest that lost a commit race is run again before it fails.
const CONFLICT_RETRIES: u32 = 10;

/// A growing pause with jitter (two writers that collided must not collide again).
fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u32(attempt);
    let base = 100u64 << attempt.min(5);
    Duration::from_millis(base + h.finish() % (base * 2))
}

/// How a file would be read, without a warehouse.
pub fn inspect(path: &Path, kind: Option<KindName>, limits: &Limits) -> Result<Parsed> {
    let opts = Options {
        kind,
        year: None,
        revision: Some(1),
        // Inspect shows what the guard would stop, rather than stopping.
        accept_rejects: true,
    };
    read_file(path, &opts, &Context::default(), limits)
}
