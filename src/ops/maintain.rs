//! Upkeep of a warehouse that has taken many small ingests: compaction and vacuum.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::schema::INGEST_LOG;
use crate::warehouse::{LogRow, TableWrite, Warehouse};

/// What `optimize` did.
#[derive(Debug, Clone)]
pub struct Optimized {
    /// The warehouse version that records the compaction (unchanged when nothing needed it).
    pub version: i64,
    /// (table, data files before, after) of each table compacted.
    pub compacted: Vec<(String, usize, usize)>,
    /// (table, data files deleted) when vacuumed.
    pub vacuumed: Option<Vec<(String, usize)>>,
}

/// On object storage another writer may be staging files meanwhile: vacuum keeps at
/// least this much.
const MIN_RETENTION_ON_OBJECT_STORAGE: Duration = Duration::from_secs(3600);

/// Compacts every data table holding more than one data file (the same rows in fewer,
/// larger files) as one warehouse version, recorded by an `ingest_log` row of kind
/// `optimize`; then, with a retention, deletes the data files no version newer than it
/// needs. `ingest_log` itself is not compacted: its Delta versions are the warehouse
/// versions (its checkpoints keep its log short).
pub async fn optimize(wh: &Warehouse, retention: Option<Duration>, wait: Duration) -> Result<Optimized> {
    if let Some(r) = retention.filter(|r| wh.local_root().is_none() && *r < MIN_RETENTION_ON_OBJECT_STORAGE) {
        return Err(Error::Usage(format!(
            "a retention of {} s is too short on object storage, where another writer may be staging files: \
             give at least 1 hour",
            r.as_secs()
        )));
    }
    let mut writer = wh.writer(wait).await?;
    let files = |snapshot: crate::warehouse::Snapshot| async move {
        let mut out = Vec::new();
        for def in wh.catalog().tables().filter(|d| d.name != INGEST_LOG.name) {
            let table = wh.open(&snapshot, def.name).await?;
            let n = table.get_file_uris().map_err(|e| Error::delta(def.name, e))?.count();
            out.push((def, n));
        }
        Ok::<_, Error>(out)
    };
    let before = files(writer.snapshot().clone()).await?;
    let writes: Vec<TableWrite> = before
        .iter()
        .filter(|(_, n)| *n > 1)
        .map(|(def, _)| TableWrite::Optimize(def))
        .collect();
    let mut version = writer.snapshot().version;
    let mut compacted = Vec::new();
    if !writes.is_empty() {
        let now = chrono::Utc::now();
        let row = LogRow {
            file_name: "(optimize)".into(),
            sha256: format!("optimize {}", now.to_rfc3339()),
            kind: "optimize".into(),
            year: None,
            revision: None,
            rows_loaded: 0,
            rows_rejected: 0,
            rows_skipped: 0,
        };
        version = writer.commit(writes, row).await?;
        let after = files(writer.snapshot().clone()).await?;
        compacted = before
            .iter()
            .zip(&after)
            .filter(|((_, b), _)| *b > 1)
            .map(|((def, b), (_, a))| (def.name.to_string(), *b, *a))
            .collect();
    }
    let vacuumed = match retention {
        Some(r) => Some(writer.vacuum(r).await?),
        None => None,
    };
    Ok(Optimized {
        version,
        compacted,
        vacuumed,
    })
}
