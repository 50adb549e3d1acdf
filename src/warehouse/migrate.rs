//! Migration: a table made by an older ceping lacks the columns a kind has added since
//! (DATA_MODEL.md: "add columns freely"). The writer adds them as one warehouse version
//! of kind `schema` (rows already stored read null there), so every version stays
//! readable: a read of an older version gets the missing columns as nulls
//! ([`super::Warehouse::register`]). The marker file remembers the dictionary it was
//! brought up to, so a writer looks at the tables' schemas only when the dictionary moved.

use super::commit::{LogRow, TableWrite};
use super::store::RootStore;
use super::{Root, Writer, MARKER};
use crate::error::Result;
use crate::schema::{ColumnDef, INGEST_LOG};

impl Writer {
    /// Adds the columns the dictionary has and the stored tables do not, as one warehouse
    /// version; the new version, if one was needed.
    pub async fn migrate(&mut self) -> Result<Option<i64>> {
        let fingerprint = self.wh.catalog().fingerprint();
        if self.wh.marker_dictionary().await?.as_deref() == Some(fingerprint.as_str()) {
            return Ok(None);
        }
        let mut writes = Vec::new();
        // (`ingest_log` is the commit point: its columns are not added this way.)
        for def in self.wh.catalog().tables().filter(|d| d.name != INGEST_LOG.name) {
            let base = self.base.get(def.name).copied().unwrap_or(0);
            let table = self.wh.table_at(def.name, base).await?;
            let stored = table
                .snapshot()
                .map(|s| s.snapshot().arrow_schema())
                .map_err(|e| crate::error::Error::delta(def.name, e))?;
            let missing: Vec<&'static ColumnDef> = def
                .all_columns()
                .filter(|c| stored.field_with_name(c.name).is_err())
                .collect();
            if !missing.is_empty() {
                writes.push(TableWrite::AddColumns(def, missing));
            }
        }
        let version = if writes.is_empty() {
            None
        } else {
            let now = chrono::Utc::now();
            let row = LogRow {
                file_name: "(schema)".into(),
                sha256: format!("schema {}", now.to_rfc3339()),
                kind: "schema".into(),
                year: None,
                revision: None,
                rows_loaded: 0,
                rows_rejected: 0,
                rows_skipped: 0,
            };
            Some(self.commit(writes, row).await?)
        };
        self.wh.set_marker_dictionary(&fingerprint).await?;
        Ok(version)
    }
}

impl super::Warehouse {
    /// The dictionary fingerprint the marker file records, if any.
    async fn marker_dictionary(&self) -> Result<Option<String>> {
        let bytes = match self.root() {
            Root::Local(dir) => fs_err::read(dir.join(MARKER)).ok(),
            Root::S3(url) => RootStore::open(url)?.get(MARKER).await?,
        };
        Ok(bytes
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("dictionary")?.as_str().map(str::to_string)))
    }

    /// Records in the marker file the dictionary the tables were brought up to.
    async fn set_marker_dictionary(&self, fingerprint: &str) -> Result<()> {
        let mut marker = match self.root() {
            Root::Local(dir) => fs_err::read(dir.join(MARKER)).ok(),
            Root::S3(url) => RootStore::open(url)?.get(MARKER).await?,
        }
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .unwrap_or_else(|| serde_json::json!({ "format": 1 }));
        marker["dictionary"] = serde_json::Value::String(fingerprint.to_string());
        let text = format!("{marker:#}\n");
        match self.root() {
            Root::Local(dir) => fs_err::write(dir.join(MARKER), text)?,
            Root::S3(url) => RootStore::open(url)?.put(MARKER, text.into_bytes()).await?,
        }
        Ok(())
    }
}
