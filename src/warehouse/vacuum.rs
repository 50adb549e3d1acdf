//! Vacuum: deleting data files no version newer than a retention needs (files compaction
//! or upserts replaced, files an interrupted ingest left on object storage).

use std::time::Duration;

use super::{TableVersions, Writer};
use crate::error::{Error, Result};
use crate::schema::INGEST_LOG;

impl Writer {
    async fn newest_versions(&self) -> Result<TableVersions> {
        let mut base = TableVersions::new();
        for def in self.wh.catalog().tables().filter(|d| d.name != INGEST_LOG.name) {
            base.insert(def.name.to_string(), self.wh.latest_version(def.name).await?);
        }
        base.insert(INGEST_LOG.name.to_string(), self.snapshot.version);
        Ok(base)
    }

    /// Deletes data files no version newer than `retention` needs (files compaction or
    /// upserts replaced, and files an interrupted ingest left): `--as-of` a time older
    /// than the retention may then fail. Returns the files deleted per table.
    pub async fn vacuum(&mut self, retention: Duration) -> Result<Vec<(String, usize)>> {
        use deltalake::operations::vacuum::VacuumMode;
        let mut out = Vec::new();
        let retention = chrono::Duration::from_std(retention).map_err(|e| Error::Usage(format!("retention: {e}")))?;
        for def in self.wh.catalog().tables() {
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
}
