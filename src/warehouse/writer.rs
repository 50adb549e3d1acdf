//! The writer: one at a time, recovery of an interrupted ingest, and the one commit. In
//! parts, one job each, as delta-rs splits its operations: [`super::lock`] (the OS lock of
//! a local warehouse), [`super::recover`] (tables ahead of the log, staged files left),
//! [`super::stage`] (rows streamed to files before the commit), [`super::upsert`] (keyed
//! rows), [`super::commit`] (data tables, then the log), [`super::vacuum`],
//! [`super::faults`] (the test hooks).
//!
//! - **Writer rule.** A [`Writer`] holds an OS advisory lock on `_ceping_writer.lock`
//!   (released by the kernel when the process ends, however it ends), waiting up to a
//!   given time for another writer. Everything an ingest decides from the warehouse (is
//!   the file new, which revision is next, the lookups) is decided under it.
//! - **Recovery rule.** Taking the lock, the writer first puts every table that is ahead
//!   of the newest recorded version back to that version (Delta RESTORE: an interrupted
//!   ingest committed it but not its log row), and, when an ingest was interrupted
//!   (`_ceping_pending` is present), removes the data files it staged that no commit
//!   references.
//! - **Commit rule.** Data tables first, `ingest_log` last: the log commit is the commit
//!   point. A failure before it restores the tables already written and removes staged
//!   files; a kill before it leaves them for the next writer, invisible meanwhile.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;

use super::recover::Recovery;
use super::{Snapshot, TableVersions, Warehouse};
use crate::error::Result;

/// How long a second writer waits for the first by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// Present while an ingest has staged or committed data its log row does not record yet.
const PENDING_FILE: &str = "_ceping_pending";

/// The one writer of a warehouse, with the lock held. Dropping it releases the lock.
pub struct Writer {
    pub(super) wh: Warehouse,
    /// The OS lock of a local warehouse; on object storage there is none (conditional
    /// puts decide between writers, see [`Writer::commit`]).
    pub(super) _lock: Option<std::fs::File>,
    pub(super) snapshot: Snapshot,
    /// Each table's Delta version this writer builds on: the newest when it started (after
    /// recovery), whose data is the recorded version's. Every commit is made on exactly
    /// that version (no retries), so a table another writer touched meanwhile fails the
    /// commit instead of mixing that writer's unrecorded rows into this one's.
    pub(super) base: TableVersions,
    /// What taking the lock had to repair.
    pub recovery: Recovery,
}

impl Warehouse {
    /// Takes the writer lock (waiting up to `wait` for another writer), then recovers an
    /// interrupted ingest, if any.
    pub async fn writer(&self, wait: Duration) -> Result<Writer> {
        let mut writer = self.writer_without_recovery(wait).await?;
        // (Delta RESTORE commits on the version it read: on object storage another writer
        // may take it first, a conflict like any other.)
        let read = writer.snapshot.version;
        writer.recovery = writer
            .recover(false)
            .await
            .map_err(|e| super::commit::conflict(e, read))?;
        if !writer.recovery.is_empty() {
            tracing::warn!(
                restored = ?writer.recovery.restored,
                removed_files = writer.recovery.removed_files.len(),
                "recovered from an interrupted ingest"
            );
        }
        // Tables made by an older ceping get the columns added since.
        if let Some(version) = writer.migrate().await? {
            tracing::info!(version, "added the dictionary's new columns to the stored tables");
        }
        Ok(writer)
    }

    /// Takes the writer lock and changes nothing recorded (`ceping check` looks before
    /// repairing); a table of a kind newer than the warehouse is created, empty.
    pub async fn writer_without_recovery(&self, wait: Duration) -> Result<Writer> {
        let lock = match self.local_root() {
            Some(root) => Some(super::lock::lock(root, wait).await?),
            None => None,
        };
        self.create_missing_tables().await?;
        let snapshot = self.snapshot(None).await?;
        Ok(Writer {
            wh: self.clone(),
            _lock: lock,
            base: snapshot.tables.clone(),
            snapshot,
            recovery: Recovery::default(),
        })
    }
}

impl Writer {
    /// The warehouse as recorded when the lock was taken (after recovery).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn warehouse(&self) -> &Warehouse {
        &self.wh
    }

    pub(super) fn pending_path(&self) -> Option<PathBuf> {
        self.wh.local_root().map(|r| r.join(PENDING_FILE))
    }

    /// Marks a local warehouse as having uncommitted work (staged files, data commits).
    /// (On object storage another writer may be at work meanwhile: files nobody
    /// references are left to `ceping optimize`'s vacuum, which keeps recent ones.)
    pub(super) fn begin(&self) -> Result<()> {
        let Some(path) = self.pending_path() else {
            return Ok(());
        };
        if !path.exists() {
            let note = serde_json::json!({ "pid": std::process::id(), "since": Utc::now().to_rfc3339() });
            fs_err::write(&path, format!("{note}\n"))?;
        }
        Ok(())
    }

    pub(super) fn end(&self) {
        if let Some(path) = self.pending_path() {
            let _ = std::fs::remove_file(path);
        }
    }
}
