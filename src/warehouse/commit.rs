//! The commit of one ingest: each data table on exactly the version the writer started
//! from (no retries, conditional puts on object storage), then `ingest_log` last — its
//! Delta version is the warehouse version, its row records every table's version. A
//! failure before the log commit restores the tables already written and removes staged
//! files; a kill leaves them for the next writer, invisible meanwhile.

use std::path::PathBuf;

use chrono::Utc;
use datafusion::arrow::array::RecordBatch;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;

use super::faults;
use super::upsert::rewrite_upsert;
use super::{TableVersions, Writer};
use crate::error::{Error, Result};
use crate::schema::{ColumnDef, ColumnType, TableDef, INGEST_LOG};

/// Commits on exactly the version read: a concurrent commit is a conflict, never merged.
pub(super) fn no_retries() -> deltalake::kernel::transaction::CommitProperties {
    deltalake::kernel::transaction::CommitProperties::default().with_max_retries(0)
}

/// A commit that lost a race to another writer, as [`Error::Conflict`].
pub(super) fn conflict(e: Error, read: i64) -> Error {
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

impl Writer {
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
        faults::abort_at(&self.wh.settings().faults, "before-data-commit");
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
        // Every table's version, written or not (a table created after the last log row
        // is at its first version, 0).
        let mut versions: TableVersions = self
            .wh
            .catalog()
            .tables()
            .map(|d| (d.name.to_string(), self.snapshot.table_version(d.name)))
            .collect();
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
                TableWrite::AddColumns(_, columns) => {
                    let fields = columns.iter().map(|c| delta_field(c)).collect::<Result<Vec<_>>>()?;
                    tracing::info!(table = def.name, columns = ?columns.iter().map(|c| c.name).collect::<Vec<_>>(), "adding columns");
                    table
                        .add_columns()
                        .with_fields(fields)
                        .with_commit_properties(no_retries())
                        .await
                        .map_err(|e| Error::delta(def.name, e))?
                }
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
            faults::abort_at(&self.wh.settings().faults, "after-data-commit");
        }
        faults::abort_at(&self.wh.settings().faults, "before-log-commit");
        faults::pause(&self.wh.settings().faults, "before-log-commit").await;
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
        faults::abort_at(&self.wh.settings().faults, "after-log-commit");
        Ok(new_version)
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
    /// Columns the dictionary has and the stored table does not yet (a migration: the table
    /// was made by an older ceping); their values are null in the rows already stored.
    AddColumns(&'static TableDef, Vec<&'static ColumnDef>),
}

impl TableWrite {
    /// Drops a write that will not be committed, with any scratch file it staged.
    pub fn discard(self) {
        if let TableWrite::UpsertFile { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }

    pub(super) fn table(&self) -> &'static TableDef {
        match self {
            TableWrite::Append(t, _)
            | TableWrite::Files(t, _)
            | TableWrite::UpsertFile { table: t, .. }
            | TableWrite::Optimize(t)
            | TableWrite::AddColumns(t, _) => t,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            TableWrite::Append(_, batches) => batches.iter().all(|b| b.num_rows() == 0),
            TableWrite::Files(_, adds) => adds.is_empty(),
            TableWrite::UpsertFile { rows, .. } => *rows == 0,
            TableWrite::Optimize(_) => false,
            TableWrite::AddColumns(_, columns) => columns.is_empty(),
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

/// A dictionary column as a Delta field (nullable, as every column is).
fn delta_field(c: &ColumnDef) -> Result<deltalake::kernel::StructField> {
    use deltalake::kernel::{DataType, DecimalType, PrimitiveType, StructField};
    let ty = match c.ty {
        ColumnType::Utf8 => PrimitiveType::String,
        ColumnType::Int8 => PrimitiveType::Byte,
        ColumnType::Int32 => PrimitiveType::Integer,
        ColumnType::Int64 => PrimitiveType::Long,
        ColumnType::Float64 => PrimitiveType::Double,
        ColumnType::Boolean => PrimitiveType::Boolean,
        ColumnType::Date32 => PrimitiveType::Date,
        ColumnType::Timestamp => PrimitiveType::Timestamp,
        ColumnType::Money => PrimitiveType::Decimal(
            DecimalType::try_new(crate::schema::MONEY_PRECISION, crate::schema::MONEY_SCALE as u8).map_err(|e| {
                Error::Storage {
                    table: c.name.to_string(),
                    message: e.to_string(),
                }
            })?,
        ),
    };
    Ok(StructField::new(c.name, DataType::Primitive(ty), true))
}
