//! Writing: one writer at a time, recovery of an interrupted ingest, and the one commit.
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

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::Utc;
use datafusion::arrow::array::RecordBatch;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;

use super::schema::{TableDef, INGEST_LOG, TABLES};
use super::{Snapshot, TableVersions, Warehouse};
use crate::error::{Error, Result};

/// How long a second writer waits for the first by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

const LOCK_FILE: &str = "_ceping_writer.lock";
/// Present while an ingest has staged or committed data its log row does not record yet.
const PENDING_FILE: &str = "_ceping_pending";

/// The one writer of a warehouse, with the lock held. Dropping it releases the lock.
pub struct Writer {
    wh: Warehouse,
    /// The OS lock of a local warehouse; on object storage there is none (conditional
    /// puts decide between writers, see [`Writer::commit`]).
    _lock: Option<std::fs::File>,
    snapshot: Snapshot,
    /// Each table's Delta version this writer builds on: the newest when it started (after
    /// recovery), whose data is the recorded version's. Every commit is made on exactly
    /// that version (no retries), so a table another writer touched meanwhile fails the
    /// commit instead of mixing that writer's unrecorded rows into this one's.
    base: TableVersions,
    /// What taking the lock had to repair.
    pub recovery: Recovery,
}

/// What a recovery did.
#[derive(Debug, Default, Clone)]
pub struct Recovery {
    /// (table, its newest Delta version before, the recorded version it was put back to)
    pub restored: Vec<(String, i64, i64)>,
    /// Data files no commit references, removed (table/file).
    pub removed_files: Vec<String>,
}

impl Recovery {
    pub fn is_empty(&self) -> bool {
        self.restored.is_empty() && self.removed_files.is_empty()
    }
}

impl Warehouse {
    /// Takes the writer lock (waiting up to `wait` for another writer), then recovers an
    /// interrupted ingest, if any.
    pub async fn writer(&self, wait: Duration) -> Result<Writer> {
        let mut writer = self.writer_without_recovery(wait).await?;
        // (Delta RESTORE commits on the version it read: on object storage another writer
        // may take it first, a conflict like any other.)
        let read = writer.snapshot.version;
        writer.recovery = writer.recover(false).await.map_err(|e| conflict(e, read))?;
        if !writer.recovery.is_empty() {
            tracing::warn!(
                restored = ?writer.recovery.restored,
                removed_files = writer.recovery.removed_files.len(),
                "recovered from an interrupted ingest"
            );
        }
        Ok(writer)
    }

    /// Takes the writer lock and changes nothing (`ceping check` looks before repairing).
    pub async fn writer_without_recovery(&self, wait: Duration) -> Result<Writer> {
        let lock = match self.local_root() {
            Some(root) => Some(lock(root, wait).await?),
            None => None,
        };
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

async fn lock(root: &Path, wait: Duration) -> Result<std::fs::File> {
    let path = root.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::Usage(format!("cannot open the writer lock `{}`: {e}", path.display())))?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Busy(format!(
                    "another ceping is writing to `{}` (waited {} s); try again when it is done, or wait longer with --wait SECONDS",
                    root.display(),
                    wait.as_secs_f64()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Usage(format!("cannot lock `{}`: {e}", path.display())))
            }
        }
    }
}

/// Test hook: `CEPING_PAUSE=<point>:<dir>` stops once at that point of a commit, writes
/// `<dir>/paused`, and goes on when `<dir>/go` exists (a race made deterministic).
async fn pause(point: &str) {
    static ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let Ok(v) = std::env::var("CEPING_PAUSE") else {
        return;
    };
    let Some(dir) = v.strip_prefix(point).and_then(|r| r.strip_prefix(':')) else {
        return;
    };
    if ONCE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let dir = Path::new(dir);
    let _ = std::fs::write(dir.join("paused"), b"");
    for _ in 0..1200 {
        if dir.join("go").exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Commits on exactly the version read: a concurrent commit is a conflict, never merged.
fn no_retries() -> deltalake::kernel::transaction::CommitProperties {
    deltalake::kernel::transaction::CommitProperties::default().with_max_retries(0)
}

/// A commit that lost a race to another writer, as [`Error::Conflict`].
fn conflict(e: Error, read: i64) -> Error {
    use deltalake::kernel::transaction::TransactionError;
    use deltalake::DeltaTableError;
    let lost = match &e {
        Error::Delta { source, .. } => matches!(
            source,
            DeltaTableError::VersionAlreadyExists(_)
                | DeltaTableError::Transaction {
                    source: TransactionError::MaxCommitAttempts(_)
                        | TransactionError::VersionAlreadyExists(_)
                        | TransactionError::CommitConflict(_)
                }
        ),
        _ => false,
    };
    if !lost {
        return e;
    }
    let table = match &e {
        Error::Delta { table, .. } => table.clone(),
        _ => String::new(),
    };
    Error::Conflict(format!(
        "another writer committed to `{table}` after this one read warehouse version {read}; \
         nothing of this ingest is recorded: run it again"
    ))
}

/// Test hook: `CEPING_FAULT=<point>` ends the process at that point of a commit, as a
/// kill would (no destructors, no clean-up).
fn fault(point: &str) {
    if std::env::var("CEPING_FAULT").is_ok_and(|v| v == point) {
        tracing::error!("CEPING_FAULT: stopping at {point}");
        std::process::abort();
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

    async fn newest_versions(&self) -> Result<TableVersions> {
        let mut base = TableVersions::new();
        for def in TABLES.iter().filter(|d| d.name != INGEST_LOG.name) {
            base.insert(def.name.to_string(), self.wh.latest_version(def.name).await?);
        }
        base.insert(INGEST_LOG.name.to_string(), self.snapshot.version);
        Ok(base)
    }

    fn pending_path(&self) -> Option<PathBuf> {
        self.wh.local_root().map(|r| r.join(PENDING_FILE))
    }

    /// Marks a local warehouse as having uncommitted work (staged files, data commits).
    /// (On object storage another writer may be at work meanwhile: files nobody
    /// references are left to `ceping optimize`'s vacuum, which keeps recent ones.)
    fn begin(&self) -> Result<()> {
        let Some(path) = self.pending_path() else {
            return Ok(());
        };
        if !path.exists() {
            let note = serde_json::json!({ "pid": std::process::id(), "since": Utc::now().to_rfc3339() });
            fs_err::write(&path, format!("{note}\n"))?;
        }
        Ok(())
    }

    fn end(&self) {
        if let Some(path) = self.pending_path() {
            let _ = std::fs::remove_file(path);
        }
    }

    /// `ceping check --repair`: recovery, and a search of every table for data files no
    /// commit references, interrupted ingest or not.
    pub async fn repair(&mut self) -> Result<Recovery> {
        let done = self.recover(true).await?;
        self.snapshot = self.wh.snapshot(None).await?;
        self.base.insert(INGEST_LOG.name.to_string(), self.snapshot.version);
        Ok(done)
    }

    /// Puts tables ahead of the recorded version back, and removes staged files of an
    /// interrupted ingest (of any time when `full`). Sets the writer's base versions from
    /// the same look-ups (each table's newest version, or the one its restore made).
    async fn recover(&mut self, full: bool) -> Result<Recovery> {
        let mut done = Recovery::default();
        let mut base = TableVersions::new();
        for def in TABLES.iter().filter(|d| d.name != INGEST_LOG.name) {
            let recorded = self.snapshot.table_version(def.name);
            let latest = self.wh.latest_version(def.name).await?;
            base.insert(def.name.to_string(), latest);
            if latest < recorded {
                return Err(Error::Usage(format!(
                    "table `{}` is at Delta version {latest} but the warehouse records {recorded}: its log was damaged",
                    def.name
                )));
            }
            if latest > recorded && self.wh.ahead(def.name, recorded).await? {
                let table = self.wh.table(def.name).await?;
                let (restored, _) = table
                    .restore()
                    .with_version_to_restore(recorded as u64)
                    .await
                    .map_err(|e| Error::delta(def.name, e))?;
                let now = match restored.version() {
                    Some(v) => v as i64,
                    None => self.wh.latest_version(def.name).await?,
                };
                base.insert(def.name.to_string(), now);
                done.restored.push((def.name.to_string(), latest, recorded));
            }
        }
        base.insert(INGEST_LOG.name.to_string(), self.snapshot.version);
        self.base = base;
        let (Some(pending), Some(root)) = (self.pending_path(), self.wh.local_root()) else {
            return Ok(done);
        };
        let marked = fs_err::metadata(&pending).and_then(|m| m.modified()).ok();
        if marked.is_some() || full {
            let staging = root.join(STAGING_DIR);
            if staging.is_dir() {
                for entry in fs_err::read_dir(&staging)? {
                    let path = entry?.path();
                    fs_err::remove_file(&path)?;
                    done.removed_files.push(format!(
                        "{STAGING_DIR}/{}",
                        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
                    ));
                }
            }
            for def in TABLES {
                let since = match marked {
                    Some(t) if !full => t,
                    _ => self.wh.oldest_commit_time(def.name),
                };
                for file in self.wh.unreferenced_files(def.name, since)? {
                    fs_err::remove_file(&file)?;
                    done.removed_files.push(format!(
                        "{}/{}",
                        def.name,
                        file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
                    ));
                }
            }
            self.end();
        }
        Ok(done)
    }

    /// Deletes data files no version newer than `retention` needs (files compaction or
    /// upserts replaced, and files an interrupted ingest left): `--as-of` a time older
    /// than the retention may then fail. Returns the files deleted per table.
    pub async fn vacuum(&mut self, retention: Duration) -> Result<Vec<(String, usize)>> {
        use deltalake::operations::vacuum::VacuumMode;
        let mut out = Vec::new();
        let retention = chrono::Duration::from_std(retention).map_err(|e| Error::Usage(format!("retention: {e}")))?;
        for def in TABLES {
            let table = self.wh.table(def.name).await?;
            let (_, metrics) = table
                .vacuum()
                .with_retention_period(retention)
                .with_enforce_retention_duration(false)
                .with_mode(VacuumMode::Full)
                .await
                .map_err(|e| Error::delta(def.name, e))?;
            out.push((def.name.to_string(), metrics.files_deleted.len()));
        }
        self.base = self.newest_versions().await?;
        Ok(out)
    }

    /// New rows of `def` streamed to data files, committed later by [`Writer::commit`].
    pub async fn stage(&self, def: &'static TableDef) -> Result<Staged> {
        self.begin()?;
        let table = self.wh.table(def.name).await?;
        // Row groups of 65,536 rows: the Parquet writer holds one row group's arrays, not a
        // million rows' (its default).
        let props = datafusion::parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(65_536))
            .build();
        let writer = deltalake::writer::RecordBatchWriter::for_table(&table)
            .map_err(|e| Error::delta(def.name, e))?
            .with_writer_properties(props);
        Ok(Staged { def, table, writer })
    }

    /// Writes one ingest as one logical commit: the data tables first, `ingest_log` last
    /// (with the resulting table versions). If a write fails, the tables already written
    /// are restored and staged files removed, so the warehouse reads as before.
    pub async fn commit(&mut self, writes: Vec<TableWrite>, log_row: LogRow) -> Result<i64> {
        self.begin()?;
        let staged: Vec<(&'static TableDef, Vec<String>)> = writes
            .iter()
            .filter_map(|w| match w {
                TableWrite::Files(def, adds) => Some((*def, adds.iter().map(|a| a.path.clone()).collect())),
                _ => None,
            })
            .collect();
        let mut before: Vec<(&'static TableDef, i64)> = Vec::new();
        let scratch: Vec<PathBuf> = writes
            .iter()
            .filter_map(|w| match w {
                TableWrite::UpsertFile { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect();
        fault("before-data-commit");
        let result = self
            .commit_inner(writes, log_row, &mut before)
            .await
            .map_err(|e| conflict(e, self.snapshot.version));
        for path in scratch {
            let _ = std::fs::remove_file(path);
        }
        match &result {
            Ok(version) => {
                self.end();
                // The commit stands; a failure to re-read it only leaves the old snapshot.
                // (This writer's own version: on object storage another may be newer.)
                match self.wh.snapshot(Some(&super::AsOf::Version(*version))).await {
                    Ok(snapshot) => {
                        // The next commit builds on what this one recorded.
                        for (def, _) in &before {
                            self.base.insert(def.name.to_string(), snapshot.table_version(def.name));
                        }
                        self.base.insert(INGEST_LOG.name.to_string(), *version);
                        self.snapshot = snapshot;
                    }
                    Err(e) => tracing::warn!("committed version {version}, but could not re-read it: {e}"),
                }
            }
            Err(e) => {
                tracing::warn!("ingest commit failed, rolling back: {e}");
                let mut clean = true;
                for (def, paths) in &staged {
                    if !before.iter().any(|(d, _)| d.name == def.name) {
                        clean &= self.wh.remove_files(def, paths).await;
                    }
                }
                // On object storage another writer may build on these tables now: what
                // this one committed stays unrecorded (invisible) for the next writer.
                let before = if self.wh.local_root().is_some() {
                    before
                } else {
                    Vec::new()
                };
                for (def, version) in before {
                    tracing::warn!(table = def.name, version, "rolling back a partial ingest");
                    let restored = match self.wh.table(def.name).await {
                        Ok(t) => t
                            .restore()
                            .with_version_to_restore(version as u64)
                            .await
                            .map_err(|e| Error::delta(def.name, e)),
                        Err(e) => Err(e),
                    };
                    if let Err(e) = restored {
                        // Invisible all the same (not recorded); the next writer restores it.
                        tracing::error!(table = def.name, "rollback failed, left to the next writer: {e}");
                        clean = false;
                    }
                }
                if clean {
                    self.end();
                }
            }
        }
        result
    }

    async fn commit_inner(
        &self,
        writes: Vec<TableWrite>,
        log_row: LogRow,
        before: &mut Vec<(&'static TableDef, i64)>,
    ) -> Result<i64> {
        let mut versions: TableVersions = self.snapshot.tables.clone();
        for write in writes {
            let def = write.table();
            if write.is_empty() {
                continue;
            }
            let base = self.base.get(def.name).copied().unwrap_or(0);
            let table = self.wh.table_at(def.name, base).await?;
            before.push((def, base));
            let table = match write {
                TableWrite::Append(_, batches) => table
                    .write(batches)
                    .with_save_mode(SaveMode::Append)
                    .with_commit_properties(no_retries())
                    .await
                    .map_err(|e| Error::delta(def.name, e))?,
                TableWrite::Files(_, adds) => add_files(table, def, adds).await?,
                TableWrite::UpsertFile { path, keys, .. } => rewrite_upsert(table, def, &path, keys).await?,
                TableWrite::Optimize(_) => {
                    let (table, metrics) = table
                        .optimize()
                        .with_commit_properties(no_retries())
                        .await
                        .map_err(|e| Error::delta(def.name, e))?;
                    tracing::info!(
                        table = def.name,
                        removed = metrics.num_files_removed,
                        added = metrics.num_files_added,
                        "compacted"
                    );
                    table
                }
            };
            versions.insert(def.name.to_string(), table.version().map_or(0, |v| v as i64));
            fault("after-data-commit");
        }
        fault("before-log-commit");
        pause("before-log-commit").await;
        let new_version = self.snapshot.version + 1;
        versions.insert(INGEST_LOG.name.to_string(), new_version);
        let batch = log_row.to_batch(new_version, &versions)?;
        // On top of exactly the version this writer read: if another writer has taken
        // the next version, the conditional put fails and nothing is recorded.
        let log = self
            .wh
            .table_at(INGEST_LOG.name, self.snapshot.version)
            .await?
            .write(vec![batch])
            .with_save_mode(SaveMode::Append)
            .with_commit_properties(no_retries())
            .await
            .map_err(|e| Error::delta(INGEST_LOG.name, e))?;
        let committed = log.version().map_or(0, |v| v as i64);
        if committed != new_version {
            return Err(Error::Usage(format!(
                "ingest_log was committed as version {committed}, expected {new_version}: another writer without the lock?"
            )));
        }
        fault("after-log-commit");
        Ok(new_version)
    }
}

impl Warehouse {
    /// When the oldest commit still in a table's log was written.
    pub(crate) fn oldest_commit_time(&self, table: &str) -> SystemTime {
        let Some(root) = self.local_root() else {
            return SystemTime::UNIX_EPOCH;
        };
        let dir = root.join(table).join("_delta_log");
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| e.metadata().ok()?.modified().ok())
            .min()
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// A table's newest Delta version, without loading its state.
    pub(crate) async fn latest_version(&self, name: &str) -> Result<i64> {
        let t = DeltaTable::try_from_url(self.table_url(name)?)
            .await
            .map_err(|e| Error::delta(name, e))?;
        Ok(t.get_latest_version().await.map_err(|e| Error::delta(name, e))? as i64)
    }

    /// Whether a table's newest state holds other data files than at `recorded`.
    pub(crate) async fn ahead(&self, name: &str, recorded: i64) -> Result<bool> {
        let files = |t: &DeltaTable| -> Result<BTreeSet<String>> {
            Ok(t.get_file_uris().map_err(|e| Error::delta(name, e))?.collect())
        };
        let latest = self.table(name).await?;
        let then = self.table_at(name, recorded).await?;
        Ok(files(&latest)? != files(&then)?)
    }

    /// Data files of a table written since `since` that no commit references: what an
    /// interrupted ingest staged.
    pub(crate) fn unreferenced_files(&self, name: &str, since: SystemTime) -> Result<Vec<PathBuf>> {
        // File times are coarse on some file systems: look a little further back.
        let since = since.checked_sub(Duration::from_secs(2)).unwrap_or(since);
        let Some(root) = self.local_root() else {
            return Ok(Vec::new());
        };
        let dir = root.join(name);
        let log_dir = dir.join("_delta_log");
        let mut referenced: HashSet<String> = HashSet::new();
        for entry in fs_err::read_dir(&log_dir)? {
            let entry = entry?;
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") || entry.metadata()?.modified()? < since {
                continue;
            }
            for line in fs_err::read_to_string(&path)?.lines() {
                let Ok(action) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                for kind in ["add", "remove"] {
                    if let Some(p) = action.get(kind).and_then(|a| a.get("path")).and_then(|p| p.as_str()) {
                        referenced.insert(percent_decode(p));
                    }
                }
            }
        }
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in fs_err::read_dir(&d)? {
                let entry = entry?;
                let path = entry.path();
                let meta = entry.metadata()?;
                if meta.is_dir() {
                    if path != log_dir {
                        stack.push(path);
                    }
                    continue;
                }
                if path.extension().is_none_or(|e| e != "parquet") || meta.modified()? < since {
                    continue;
                }
                let rel = path
                    .strip_prefix(&dir)
                    .map(|r| r.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                if !referenced.contains(&rel) {
                    out.push(path);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes data files no commit refers to; whether all went.
    async fn remove_files(&self, def: &'static TableDef, paths: &[String]) -> bool {
        match self.table(def.name).await {
            Ok(table) => remove_files(&table, def, paths).await,
            Err(_) => false,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Keyed rows (results, findings, budgets) staged in a scratch Parquet file under
/// `_ceping_staging/` while the sheet is read, for the upsert at the commit ([`rewrite_upsert`]).
pub struct KeyedStage {
    def: &'static TableDef,
    keys: &'static [&'static str],
    path: PathBuf,
    writer: Option<datafusion::parquet::arrow::ArrowWriter<std::fs::File>>,
    rows: usize,
}

pub(crate) const STAGING_DIR: &str = "_ceping_staging";

impl Writer {
    /// Starts staging keyed rows of `def` for an upsert on `keys`.
    pub fn stage_keyed(&self, def: &'static TableDef, keys: &'static [&'static str]) -> Result<KeyedStage> {
        use datafusion::parquet::file::properties::WriterProperties;
        self.begin()?;
        let dir = match self.wh.local_root() {
            Some(root) => root.join(STAGING_DIR),
            None => std::env::temp_dir().join("ceping-staging"),
        };
        fs_err::create_dir_all(&dir)?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!("{}-{}-{stamp}.parquet", def.name, std::process::id()));
        let file = fs_err::File::create(&path)?.into_parts().0;
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(65_536))
            .build();
        let writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, def.schema(), Some(props))
            .map_err(|e| Error::Usage(format!("staging `{}`: {e}", path.display())))?;
        Ok(KeyedStage {
            def,
            keys,
            path,
            writer: Some(writer),
            rows: 0,
        })
    }
}

impl KeyedStage {
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let Some(w) = self.writer.as_mut() else {
            return Ok(());
        };
        self.rows += batch.num_rows();
        w.write(batch)
            .map_err(|e| Error::Usage(format!("staging `{}`: {e}", self.path.display())))
    }

    /// Closes the file: the write to commit (the file is removed after the commit).
    pub fn finish(mut self) -> Result<TableWrite> {
        if let Some(w) = self.writer.take() {
            w.close()
                .map_err(|e| Error::Usage(format!("staging `{}`: {e}", self.path.display())))?;
        }
        Ok(TableWrite::UpsertFile {
            table: self.def,
            path: std::mem::take(&mut self.path),
            rows: self.rows,
            keys: self.keys,
        })
    }
}

impl Drop for KeyedStage {
    /// A stage that is not finished (the file failed) leaves no scratch file.
    fn drop(&mut self) {
        self.writer.take();
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// New rows of one table streamed into data files as they are read: memory stays
/// bounded however long the sheet. The files are invisible until [`Writer::commit`]
/// commits them ([`TableWrite::Files`]); [`Staged::discard`] removes them.
pub struct Staged {
    def: &'static TableDef,
    table: DeltaTable,
    writer: deltalake::writer::RecordBatchWriter,
}

impl Staged {
    pub async fn write(&mut self, batch: RecordBatch) -> Result<()> {
        use deltalake::writer::DeltaWriter;
        self.writer
            .write(batch)
            .await
            .map_err(|e| Error::delta(self.def.name, e))
    }

    /// Closes the files: the write to commit.
    pub async fn finish(mut self) -> Result<TableWrite> {
        use deltalake::writer::DeltaWriter;
        let adds = self.writer.flush().await.map_err(|e| Error::delta(self.def.name, e))?;
        Ok(TableWrite::Files(self.def, adds))
    }

    /// Removes what was written (a failed ingest leaves no files behind).
    pub async fn discard(mut self) {
        use deltalake::writer::DeltaWriter;
        if let Ok(adds) = self.writer.flush().await {
            let paths: Vec<String> = adds.into_iter().map(|a| a.path).collect();
            remove_files(&self.table, self.def, &paths).await;
        }
    }
}

async fn remove_files(table: &DeltaTable, def: &'static TableDef, paths: &[String]) -> bool {
    use futures::{StreamExt, TryStreamExt};
    let paths: Vec<_> = paths.iter().map(|p| Ok(deltalake::Path::from(p.as_str()))).collect();
    let removed: std::result::Result<Vec<_>, _> = table
        .object_store()
        .delete_stream(futures::stream::iter(paths).boxed())
        .try_collect()
        .await;
    match removed {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(table = def.name, "could not remove uncommitted data files: {e}");
            false
        }
    }
}

/// One table's part of an ingest commit.
pub enum TableWrite {
    /// New rows.
    Append(&'static TableDef, Vec<RecordBatch>),
    /// Data files already written by [`Staged`], added in the commit.
    Files(&'static TableDef, Vec<deltalake::kernel::Add>),
    /// Rows that replace the rows with the same key, or are added, staged in a scratch
    /// Parquet file by [`KeyedStage`] (never all in memory; see [`rewrite_upsert`]).
    UpsertFile {
        table: &'static TableDef,
        path: PathBuf,
        rows: usize,
        keys: &'static [&'static str],
    },
    /// Compaction (`ceping optimize`): the table's small files rewritten as fewer large
    /// ones, the same rows; recorded by a log row like any other write.
    Optimize(&'static TableDef),
}

impl TableWrite {
    /// Drops a write that will not be committed, with any scratch file it staged.
    pub fn discard(self) {
        if let TableWrite::UpsertFile { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }

    fn table(&self) -> &'static TableDef {
        match self {
            TableWrite::Append(t, _)
            | TableWrite::Files(t, _)
            | TableWrite::UpsertFile { table: t, .. }
            | TableWrite::Optimize(t) => t,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            TableWrite::Append(_, batches) => batches.iter().all(|b| b.num_rows() == 0),
            TableWrite::Files(_, adds) => adds.is_empty(),
            TableWrite::UpsertFile { rows, .. } => *rows == 0,
            TableWrite::Optimize(_) => false,
        }
    }
}

/// Commits data files written by [`Staged`] as one append.
async fn add_files(
    mut table: DeltaTable,
    def: &'static TableDef,
    adds: Vec<deltalake::kernel::Add>,
) -> Result<DeltaTable> {
    use deltalake::kernel::transaction::CommitBuilder;
    use deltalake::kernel::Action;
    use deltalake::protocol::DeltaOperation;
    let operation = DeltaOperation::Write {
        mode: SaveMode::Append,
        partition_by: None,
        predicate: None,
    };
    let snapshot = table.snapshot().map_err(|e| Error::delta(def.name, e))?;
    // (From the properties: a checkpoint every `delta.checkpointInterval` commits.)
    let finalized = CommitBuilder::from(no_retries())
        .with_actions(adds.into_iter().map(Action::Add).collect())
        .build(Some(snapshot), table.log_store(), operation)
        .await
        .map_err(|e| Error::delta(def.name, e))?;
    table
        .load_version(finalized.version())
        .await
        .map_err(|e| Error::delta(def.name, e))?;
    Ok(table)
}

/// Upserts the rows staged in the scratch Parquet file at `path` into `table` on `keys`,
/// in memory bounded by a batch and one 16-byte digest per new key (a Delta MERGE builds
/// a hash table of one whole side: 935 MB for a million updated findings):
/// 1. the digests of the new rows' keys;
/// 2. each data file's key column(s), read alone: files holding none of them stay;
/// 3. the files that do are rewritten without those rows (copy on write, as MERGE does);
/// 4. the new rows are appended, and the removes and adds are one commit.
///
/// Matched rows take every column of the new row (lineage included, so they point at the
/// newer file); the others are inserted. A failed commit deletes the files it wrote.
async fn rewrite_upsert(
    mut table: DeltaTable,
    def: &'static TableDef,
    path: &Path,
    keys: &'static [&'static str],
) -> Result<DeltaTable> {
    use datafusion::arrow::compute::filter_record_batch;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    // ParquetObjectReader is deprecated in parquet 59 in favour of a hand-written
    // AsyncFileReader; it still reads ranges from the table's object store (local or S3).
    #[allow(deprecated)]
    use datafusion::parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
    use datafusion::parquet::arrow::ProjectionMask;
    use deltalake::kernel::transaction::CommitBuilder;
    use deltalake::kernel::Action;
    use deltalake::protocol::DeltaOperation;
    use deltalake::writer::DeltaWriter;
    use futures::StreamExt;

    const BATCH: usize = 65_536;
    let delta = |e: deltalake::DeltaTableError| Error::delta(def.name, e);
    let parquet =
        |e: datafusion::parquet::errors::ParquetError| Error::Usage(format!("{}: reading Parquet: {e}", def.name));
    let schema = def.schema();
    let key_index: Vec<usize> = keys
        .iter()
        .map(|k| schema.index_of(k))
        .collect::<std::result::Result<_, _>>()?;
    let digests =
        |b: &RecordBatch, columns: &[usize]| -> Result<Vec<u128>> { key_digests(b, columns, &schema, &key_index) };

    // 1. The new rows' keys.
    let open_scratch = |projection: Option<&[usize]>| -> Result<_> {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(fs_err::File::open(path)?.into_parts().0).map_err(parquet)?;
        let builder = match projection {
            Some(cols) => {
                let mask = ProjectionMask::roots(builder.parquet_schema(), cols.iter().copied());
                builder.with_projection(mask)
            }
            None => builder,
        };
        builder.with_batch_size(BATCH).build().map_err(parquet)
    };
    let mut new_keys: HashSet<u128> = HashSet::new();
    let projected: Vec<usize> = (0..key_index.len()).collect();
    for b in open_scratch(Some(&key_index))? {
        new_keys.extend(digests(&b?, &projected)?);
    }

    // 2–3. Files holding any of them, rewritten without those rows.
    let store = table.object_store();
    let files: Vec<(deltalake::Path, u64, deltalake::kernel::Remove)> = table
        .snapshot()
        .map_err(delta)?
        .log_data()
        .into_iter()
        .map(|f| (f.object_store_path(), f.size().max(0) as u64, f.remove_action(true)))
        .collect();
    let props = datafusion::parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(BATCH))
        .build();
    let mut writer = deltalake::writer::RecordBatchWriter::for_table(&table)
        .map_err(delta)?
        .with_writer_properties(props);
    let mut removes = Vec::new();
    let (mut kept, mut replaced) = (0usize, 0usize);
    for (file, size, remove) in files {
        #[allow(deprecated)]
        let reader = || ParquetObjectReader::new(store.clone(), file.clone()).with_file_size(size);
        let builder = ParquetRecordBatchStreamBuilder::new(reader()).await.map_err(parquet)?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), key_index.iter().copied());
        let mut stream = builder
            .with_projection(mask)
            .with_batch_size(BATCH)
            .build()
            .map_err(parquet)?;
        let mut hit = false;
        while let Some(b) = stream.next().await {
            if digests(&b.map_err(parquet)?, &projected)?
                .iter()
                .any(|d| new_keys.contains(d))
            {
                hit = true;
                break;
            }
        }
        if !hit {
            continue;
        }
        let mut stream = ParquetRecordBatchStreamBuilder::new(reader())
            .await
            .map_err(parquet)?
            .with_batch_size(BATCH)
            .build()
            .map_err(parquet)?;
        while let Some(b) = stream.next().await {
            let b = conform(&b.map_err(parquet)?, &schema)?;
            let keep: datafusion::arrow::array::BooleanArray = digests(&b, &key_index)?
                .iter()
                .map(|d| Some(!new_keys.contains(d)))
                .collect();
            let rest = filter_record_batch(&b, &keep)?;
            replaced += b.num_rows() - rest.num_rows();
            kept += rest.num_rows();
            if rest.num_rows() > 0 {
                writer.write(rest).await.map_err(delta)?;
            }
        }
        removes.push(remove);
    }

    // 4. The new rows, then one commit.
    for b in open_scratch(None)? {
        let b = conform(&b?, &schema)?;
        writer.write(b).await.map_err(delta)?;
    }
    let adds = writer.flush().await.map_err(delta)?;
    let written: Vec<String> = adds.iter().map(|a| a.path.clone()).collect();
    let operation = DeltaOperation::Merge {
        predicate: None,
        merge_predicate: Some(
            keys.iter()
                .map(|k| format!("t.{k} = s.{k}"))
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
        matched_predicates: vec![],
        not_matched_predicates: vec![],
        not_matched_by_source_predicates: vec![],
    };
    let actions = removes
        .into_iter()
        .map(Action::Remove)
        .chain(adds.into_iter().map(Action::Add))
        .collect();
    let committed = match table.snapshot() {
        Ok(snapshot) => CommitBuilder::from(no_retries())
            .with_actions(actions)
            .build(Some(snapshot), table.log_store(), operation)
            .await
            .map_err(delta),
        Err(e) => Err(delta(e)),
    };
    let finalized = match committed {
        Ok(f) => f,
        Err(e) => {
            remove_files(&table, def, &written).await;
            return Err(e);
        }
    };
    table.load_version(finalized.version()).await.map_err(delta)?;
    tracing::info!(
        table = def.name,
        updated = replaced,
        inserted = new_keys.len().saturating_sub(replaced),
        rewritten_rows_kept = kept,
        "upserted"
    );
    Ok(table)
}

/// A batch read back (Parquet, a scan's Utf8View) in the table's own types: the Delta
/// writer checks the schema.
pub fn conform(b: &RecordBatch, schema: &datafusion::arrow::datatypes::SchemaRef) -> Result<RecordBatch> {
    let columns = b
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| datafusion::arrow::compute::cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// 128-bit digests of each row's key: `columns` are the key columns' positions in `b`,
/// `key_index` their positions in the table schema (for their types). Two independent
/// 64-bit hashes of the row-format bytes, as the ingest's duplicate check keeps.
fn key_digests(
    b: &RecordBatch,
    columns: &[usize],
    schema: &datafusion::arrow::datatypes::SchemaRef,
    key_index: &[usize],
) -> Result<Vec<u128>> {
    use datafusion::arrow::row::{RowConverter, SortField};
    use std::hash::{Hash, Hasher};
    let fields: Vec<SortField> = key_index
        .iter()
        .map(|i| SortField::new(schema.field(*i).data_type().clone()))
        .collect();
    let arrays = columns
        .iter()
        .zip(key_index)
        .map(|(c, i)| datafusion::arrow::compute::cast(b.column(*c), schema.field(*i).data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let converter = RowConverter::new(fields)?;
    let rows = converter.convert_columns(&arrays)?;
    Ok(rows
        .iter()
        .map(|r| {
            let bytes = r.as_ref();
            let mut a = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut a);
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (bytes, 0x9E37_79B9_7F4A_7C15_u64).hash(&mut h);
            (u128::from(a.finish()) << 64) | u128::from(h.finish())
        })
        .collect())
}

/// What an ingest records about its file.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub file_name: String,
    pub sha256: String,
    pub kind: String,
    pub year: Option<i32>,
    pub revision: Option<i32>,
    pub rows_loaded: i64,
    pub rows_rejected: i64,
    pub rows_skipped: i64,
}

impl LogRow {
    fn to_batch(&self, warehouse_version: i64, versions: &TableVersions) -> Result<RecordBatch> {
        use datafusion::arrow::array::{Int32Array, Int64Array, StringArray, TimestampMicrosecondArray};
        use std::sync::Arc;
        let json = serde_json::to_string(versions).expect("a map of strings to integers serialises");
        let now = Utc::now().timestamp_micros();
        Ok(RecordBatch::try_new(
            INGEST_LOG.schema(),
            vec![
                Arc::new(StringArray::from(vec![self.file_name.clone()])),
                Arc::new(StringArray::from(vec![self.sha256.clone()])),
                Arc::new(StringArray::from(vec![self.kind.clone()])),
                Arc::new(Int32Array::from(vec![self.year])),
                Arc::new(Int32Array::from(vec![self.revision])),
                Arc::new(Int64Array::from(vec![self.rows_loaded])),
                Arc::new(Int64Array::from(vec![self.rows_rejected])),
                Arc::new(Int64Array::from(vec![self.rows_skipped])),
                Arc::new(TimestampMicrosecondArray::from(vec![now]).with_timezone("UTC")),
                Arc::new(Int64Array::from(vec![warehouse_version])),
                Arc::new(StringArray::from(vec![json])),
            ],
        )?)
    }
}
