//! Staging: an ingest's rows streamed into files while the sheet is read, so memory is
//! bounded by a batch, not by the file. Appended rows go straight into the table's data
//! files ([`Staged`], invisible until the commit adds them); keyed rows go to a scratch
//! Parquet file under `_ceping_staging/` ([`KeyedStage`]) for the upsert.

use std::path::PathBuf;

use datafusion::arrow::array::RecordBatch;
use deltalake::DeltaTable;

use super::commit::TableWrite;
use super::{Warehouse, Writer};
use crate::error::{Error, Result};
use crate::schema::TableDef;

impl Writer {
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

pub(super) async fn remove_files(table: &DeltaTable, def: &'static TableDef, paths: &[String]) -> bool {
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

impl Warehouse {
    /// Deletes data files no commit refers to; whether all went.
    pub(super) async fn remove_files(&self, def: &'static TableDef, paths: &[String]) -> bool {
        match self.table(def.name).await {
            Ok(table) => remove_files(&table, def, paths).await,
            Err(_) => false,
        }
    }
}
