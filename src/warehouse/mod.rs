//! The warehouse: a directory with one Delta table per table of the data dictionary.
//!
//! Owns opening and creating the directory, reading tables at a warehouse version, and
//! committing. Only this module writes Delta. The *warehouse version* is the Delta version
//! of `ingest_log`: every ingest appends its data tables first and its `ingest_log` row
//! last, and that row records the Delta version of every table, so `--as-of` can put
//! every table back to the same moment.

pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};

use datafusion::arrow::datatypes::Int64Type;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;
use url::Url;

use crate::error::{Error, Result};
use schema::{TableDef, INGEST_LOG, TABLES};

/// The file that marks a directory as a ceping warehouse.
pub const MARKER: &str = "_ceping_warehouse.json";

#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

/// A point in the warehouse's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf {
    Version(i64),
    Time(DateTime<Utc>),
}

impl std::str::FromStr for AsOf {
    type Err = String;
    /// `12` (a warehouse version), `2019-04-01` (the end of that day, UTC) or an RFC 3339 /
    /// `YYYY-MM-DD HH:MM:SS` time (UTC).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        if let Ok(v) = s.parse::<i64>() {
            return if v >= 0 {
                Ok(AsOf::Version(v))
            } else {
                Err(format!("a warehouse version is 0 or more: {s}"))
            };
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(AsOf::Time(t.with_timezone(&Utc)));
        }
        for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                return Ok(AsOf::Time(Utc.from_utc_datetime(&t)));
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let end = d
                .and_hms_milli_opt(23, 59, 59, 999)
                .expect("23:59:59.999 is a valid time");
            return Ok(AsOf::Time(Utc.from_utc_datetime(&end)));
        }
        Err(format!(
            "expected a warehouse version (0, 1, …), a date (2019-04-01) or a time (2019-04-01T12:00:00Z): {s}"
        ))
    }
}

/// The Delta version of each table at one warehouse version.
pub type TableVersions = BTreeMap<String, i64>;

impl Warehouse {
    /// Opens the warehouse at `root`, creating it when the directory is missing or empty.
    /// A non-empty directory without the marker file is refused, never written to.
    pub async fn open_or_create(root: &Path) -> Result<Self> {
        let wh = Warehouse {
            root: root.to_path_buf(),
        };
        if root.join(MARKER).is_file() {
            return Ok(wh);
        }
        if root.exists() {
            if !root.is_dir() {
                return Err(Error::ForeignDirectory {
                    path: root.into(),
                    why: "it is a file, not a directory".into(),
                });
            }
            let mut entries = fs_err::read_dir(root)?;
            if entries.next().is_some() {
                return Err(Error::ForeignDirectory {
                    path: root.into(),
                    why: format!("it is not empty and has no `{MARKER}`; give an empty or new directory"),
                });
            }
        }
        wh.create().await?;
        Ok(wh)
    }

    async fn create(&self) -> Result<()> {
        fs_err::create_dir_all(&self.root)?;
        tracing::info!(path = %self.root.display(), "creating warehouse");
        for def in TABLES {
            fs_err::create_dir_all(self.root.join(def.name))?;
            let empty = RecordBatch::new_empty(def.schema());
            DeltaTable::try_from_url(self.table_url(def.name)?)
                .await
                .map_err(|e| Error::delta(def.name, e))?
                .write(vec![empty])
                .with_save_mode(SaveMode::ErrorIfExists)
                .with_table_name(def.name)
                .with_description(def.label)
                .await
                .map_err(|e| Error::delta(def.name, e))?;
        }
        // Written last: a directory with the marker holds every table.
        let marker = serde_json::json!({ "format": 1, "created_by": concat!("ceping ", env!("CARGO_PKG_VERSION")) });
        fs_err::write(self.root.join(MARKER), format!("{marker:#}\n"))?;
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn table_url(&self, name: &str) -> Result<Url> {
        let dir = self.root.join(name);
        let abs = std::path::absolute(&dir)?;
        Url::from_directory_path(&abs).map_err(|()| Error::Usage(format!("cannot make a URL of `{}`", abs.display())))
    }

    /// The table at its latest version.
    pub async fn table(&self, name: &str) -> Result<DeltaTable> {
        deltalake::open_table(self.table_url(name)?)
            .await
            .map_err(|e| Error::delta(name, e))
    }

    /// The table at a given Delta version.
    pub async fn table_at(&self, name: &str, version: i64) -> Result<DeltaTable> {
        deltalake::open_table_with_version(self.table_url(name)?, version as u64)
            .await
            .map_err(|e| Error::delta(name, e))
    }

    /// The current warehouse version (Delta version of `ingest_log`).
    pub async fn version(&self) -> Result<i64> {
        let log = self.table(INGEST_LOG.name).await?;
        Ok(log.version().map_or(0, |v| v as i64))
    }

    /// Resolves an `--as-of` to the warehouse version it names.
    pub async fn resolve_version(&self, as_of: &AsOf) -> Result<i64> {
        let current = self.version().await?;
        match as_of {
            AsOf::Version(v) if *v > current => Err(Error::Usage(format!(
                "warehouse version {v} does not exist yet; the latest is {current}"
            ))),
            AsOf::Version(v) => Ok(*v),
            AsOf::Time(t) => {
                // The times `ceping history` shows: each version's `loaded_at`.
                let micros = t.timestamp_micros();
                let rows = self
                    .query_log(&format!(
                        "SELECT CAST(COALESCE(MAX(warehouse_version), 0) AS BIGINT) FROM log \
                         WHERE CAST(loaded_at AS BIGINT) <= {micros}"
                    ))
                    .await?;
                Ok(rows[0].column(0).as_primitive::<Int64Type>().value(0))
            }
        }
    }

    /// The Delta version of every table at a warehouse version.
    pub async fn table_versions_at(&self, warehouse_version: i64) -> Result<TableVersions> {
        let log = self.table_at(INGEST_LOG.name, warehouse_version).await?;
        let mut versions: TableVersions = TABLES.iter().map(|t| (t.name.to_string(), 0)).collect();
        let ctx = datafusion::prelude::SessionContext::new();
        log.update_datafusion_session(&ctx.state())
            .map_err(|e| Error::delta(INGEST_LOG.name, e))?;
        ctx.register_table("log", log.table_provider().await?)?;
        let batches = ctx
            .sql("SELECT table_versions FROM log ORDER BY warehouse_version DESC LIMIT 1")
            .await?
            .collect()
            .await?;
        if let Some(json) = batches.iter().find(|b| b.num_rows() > 0).map(|b| {
            crate::sql::exec::strings(b.column(0))
                .map(|a| a.value(0).to_string())
                .unwrap_or_default()
        }) {
            let recorded: TableVersions = serde_json::from_str(&json)
                .map_err(|e| Error::Usage(format!("ingest_log.table_versions is not valid JSON: {e}")))?;
            versions.extend(recorded);
        }
        versions.insert(INGEST_LOG.name.to_string(), warehouse_version);
        Ok(versions)
    }

    /// Writes one ingest as one logical commit: the data tables first, `ingest_log` last
    /// (with the resulting table versions). If any write fails, the tables already written
    /// are restored to their previous versions, so the warehouse reads as before.
    pub async fn commit_ingest(&self, writes: Vec<TableWrite>, log_row: LogRow) -> Result<i64> {
        // Staged files the commit may not get to: removed if it fails before adding them.
        let staged: Vec<(&'static TableDef, Vec<String>)> = writes
            .iter()
            .filter_map(|w| match w {
                TableWrite::Files(def, adds) => Some((*def, adds.iter().map(|a| a.path.clone()).collect())),
                _ => None,
            })
            .collect();
        let mut before: Vec<(&'static TableDef, i64)> = Vec::new();
        let result = match WriterLock::take(&self.root) {
            Ok(_lock) => self.commit_inner(writes, log_row, &mut before).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            for (def, paths) in &staged {
                if !before.iter().any(|(d, _)| d.name == def.name) {
                    self.remove_files(def, paths).await;
                }
            }
            for (def, version) in before {
                tracing::warn!(table = def.name, version, "rolling back a partial ingest");
                if let Ok(t) = self.table(def.name).await {
                    let _ = t.restore().with_version_to_restore(version as u64).await;
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
        let warehouse_version = self.version().await?;
        let mut versions = self.table_versions_at(warehouse_version).await?;
        for write in writes {
            let def = write.table();
            if write.is_empty() {
                continue;
            }
            let table = self.table(def.name).await?;
            before.push((def, table.version().map_or(0, |v| v as i64)));
            let table = match write {
                TableWrite::Append(_, batches) => table
                    .write(batches)
                    .with_save_mode(SaveMode::Append)
                    .await
                    .map_err(|e| Error::delta(def.name, e))?,
                TableWrite::Files(_, adds) => add_files(table, def, adds).await?,
                TableWrite::Upsert { batch, keys, .. } => upsert(table, def, batch, keys).await?,
            };
            versions.insert(def.name.to_string(), table.version().map_or(0, |v| v as i64));
        }
        let new_version = warehouse_version + 1;
        versions.insert(INGEST_LOG.name.to_string(), new_version);
        let batch = log_row.to_batch(new_version, &versions)?;
        self.table(INGEST_LOG.name)
            .await?
            .write(vec![batch])
            .with_save_mode(SaveMode::Append)
            .await
            .map_err(|e| Error::delta(INGEST_LOG.name, e))?;
        Ok(new_version)
    }

    /// Whether these bytes were ingested before: the earlier log entry's file name.
    pub async fn already_ingested(&self, sha256: &str) -> Result<Option<String>> {
        let rows = self
            .query_log(&format!(
                "SELECT file_name FROM log WHERE source_sha256 = '{}' LIMIT 1",
                sha256.replace('\'', "")
            ))
            .await?;
        Ok(rows.iter().find(|b| b.num_rows() > 0).map(|b| {
            crate::sql::exec::strings(b.column(0))
                .map(|a| a.value(0).to_string())
                .unwrap_or_default()
        }))
    }

    /// The number of plan revisions of a year already loaded.
    pub async fn plan_revisions(&self, year: i32) -> Result<i64> {
        let rows = self
            .query_log(&format!(
                "SELECT COALESCE(MAX(revision), 0) FROM log WHERE kind = 'plan' AND year = {year}"
            ))
            .await?;
        let col = rows[0].column(0);
        let col = datafusion::arrow::compute::cast(col, &datafusion::arrow::datatypes::DataType::Int64)?;
        Ok(col.as_primitive::<Int64Type>().value(0))
    }

    async fn query_log(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let log = self.table(INGEST_LOG.name).await?;
        let ctx = datafusion::prelude::SessionContext::new();
        log.update_datafusion_session(&ctx.state())
            .map_err(|e| Error::delta(INGEST_LOG.name, e))?;
        ctx.register_table("log", log.table_provider().await?)?;
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(batches
            .into_iter()
            .filter(|b| b.num_rows() > 0 || b.column(0).is_empty())
            .collect())
    }
}

/// One writer at a time: the warehouse version is read, then written, so two concurrent
/// ingests would both claim the next version. The lock file is removed when dropped.
struct WriterLock(PathBuf);

impl WriterLock {
    const NAME: &'static str = "_ceping_writer.lock";

    fn take(root: &Path) -> Result<Self> {
        let path = root.join(Self::NAME);
        match fs_err::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => Ok(WriterLock(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Usage(format!(
                "another ingest is writing to this warehouse (`{}` exists); wait for it, or delete the file if no ceping is running",
                path.display()
            ))),
            Err(e) => Err(e.into()),
        }
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// New rows of one table streamed into data files as they are read: memory stays
/// bounded however long the sheet. The files are invisible until `commit_ingest`
/// commits them ([`TableWrite::Files`]); [`Staged::discard`] removes them.
pub struct Staged {
    def: &'static TableDef,
    table: DeltaTable,
    writer: deltalake::writer::RecordBatchWriter,
}

impl Warehouse {
    pub async fn stage(&self, def: &'static TableDef) -> Result<Staged> {
        let table = self.table(def.name).await?;
        let writer = deltalake::writer::RecordBatchWriter::for_table(&table).map_err(|e| Error::delta(def.name, e))?;
        Ok(Staged { def, table, writer })
    }
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

impl Warehouse {
    /// Deletes data files no commit refers to.
    async fn remove_files(&self, def: &'static TableDef, paths: &[String]) {
        if let Ok(table) = self.table(def.name).await {
            remove_files(&table, def, paths).await;
        }
    }
}

async fn remove_files(table: &DeltaTable, def: &'static TableDef, paths: &[String]) {
    use futures::{StreamExt, TryStreamExt};
    let paths: Vec<_> = paths.iter().map(|p| Ok(deltalake::Path::from(p.as_str()))).collect();
    let removed: std::result::Result<Vec<_>, _> = table
        .object_store()
        .delete_stream(futures::stream::iter(paths).boxed())
        .try_collect()
        .await;
    if let Err(e) = removed {
        tracing::warn!(table = def.name, "could not remove uncommitted data files: {e}");
    }
}

/// One table's part of an ingest commit.
pub enum TableWrite {
    /// New rows.
    Append(&'static TableDef, Vec<RecordBatch>),
    /// Data files already written by [`Staged`], added in the commit.
    Files(&'static TableDef, Vec<deltalake::kernel::Add>),
    /// Rows that replace the rows with the same key, or are added (Delta MERGE).
    Upsert {
        table: &'static TableDef,
        batch: RecordBatch,
        keys: &'static [&'static str],
    },
}

impl TableWrite {
    fn table(&self) -> &'static TableDef {
        match self {
            TableWrite::Append(t, _) | TableWrite::Files(t, _) | TableWrite::Upsert { table: t, .. } => t,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            TableWrite::Append(_, batches) => batches.iter().all(|b| b.num_rows() == 0),
            TableWrite::Files(_, adds) => adds.is_empty(),
            TableWrite::Upsert { batch, .. } => batch.num_rows() == 0,
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
    let finalized = CommitBuilder::default()
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

/// MERGE `batch` into `table` on `keys`: matched rows take every column of the new row
/// (lineage included, so they point at the newer file), unmatched rows are inserted.
async fn upsert(
    table: DeltaTable,
    def: &'static TableDef,
    batch: RecordBatch,
    keys: &'static [&'static str],
) -> Result<DeltaTable> {
    let ctx = datafusion::prelude::SessionContext::new();
    let source = ctx.read_batch(batch)?;
    let on = keys
        .iter()
        .map(|k| format!("t.{k} = s.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let columns: Vec<&'static str> = def.all_columns().map(|c| c.name).collect();
    let (table, metrics) = table
        .merge(source, on)
        .with_source_alias("s")
        .with_target_alias("t")
        .when_matched_update(|mut u| {
            for c in &columns {
                u = u.update(*c, format!("s.{c}"));
            }
            u
        })
        .and_then(|m| {
            m.when_not_matched_insert(|mut i| {
                for c in &columns {
                    i = i.set(*c, format!("s.{c}"));
                }
                i
            })
        })
        .map_err(|e| Error::delta(def.name, e))?
        .await
        .map_err(|e| Error::delta(def.name, e))?;
    tracing::info!(
        table = def.name,
        updated = metrics.num_target_rows_updated,
        inserted = metrics.num_target_rows_inserted,
        "merged"
    );
    Ok(table)
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
