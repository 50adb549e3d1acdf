//! Snapshots: one warehouse version, and the Delta version of every table it records.
//! Every reader (SQL sessions, reports, trace, diff, the ingest's own lookups) opens
//! tables through one, so a read never mixes two ingests or sees unrecorded data.

use std::sync::Arc;

use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionContext;
use deltalake::DeltaTable;

use super::{first_i64, first_string, AsOf, TableVersions, Warehouse};
use crate::error::{Error, Result};
use crate::schema::INGEST_LOG;

/// The warehouse at one version: what every table held when that version was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The warehouse version (`ingest_log`'s Delta version).
    pub version: i64,
    /// The Delta version of every table at that warehouse version.
    pub tables: TableVersions,
}

impl Snapshot {
    /// The Delta version of `table` in this snapshot.
    pub fn table_version(&self, table: &str) -> i64 {
        self.tables.get(table).copied().unwrap_or(0)
    }
}

impl Warehouse {
    /// The newest snapshot, or the one `as_of` names.
    pub async fn snapshot(&self, as_of: Option<&AsOf>) -> Result<Snapshot> {
        let latest = self.version().await?;
        let version = match as_of {
            None => latest,
            Some(a) => self.resolve_version(a, latest).await?,
        };
        let tables = self.table_versions_at(version).await?;
        Ok(Snapshot { version, tables })
    }

    /// `table` as the snapshot records it.
    pub async fn open(&self, snapshot: &Snapshot, table: &str) -> Result<DeltaTable> {
        self.table_at(table, snapshot.table_version(table)).await
    }

    /// Registers `tables` (all when empty) into `ctx` at the snapshot's versions. A table
    /// the warehouse does not have yet (its kind is newer than the warehouse) reads as
    /// empty until a writer creates it.
    pub async fn register(&self, ctx: &SessionContext, snapshot: &Snapshot, tables: &[&str]) -> Result<()> {
        let scan = scan_settings(ctx);
        for def in self
            .catalog()
            .tables()
            .filter(|d| tables.is_empty() || tables.contains(&d.name))
        {
            let table = match self.open(snapshot, def.name).await {
                Ok(t) => t,
                // Recorded at no version but its first: a table of a kind newer than the
                // warehouse, not created yet, is empty.
                Err(e) if snapshot.table_version(def.name) == 0 => {
                    if self.has_table(def.name).await? {
                        return Err(e);
                    }
                    let empty = datafusion::datasource::MemTable::try_new(def.schema(), vec![vec![]])?;
                    ctx.register_table(def.name, Arc::new(empty))?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            table
                .update_datafusion_session(&ctx.state())
                .map_err(|e| Error::delta(def.name, e))?;
            let provider = table.table_provider().with_session(scan.clone()).await?;
            let stored = provider.schema();
            let missing = def.all_columns().any(|c| stored.field_with_name(c.name).is_err());
            if !missing {
                ctx.register_table(def.name, provider)?;
                continue;
            }
            // A version stored before a column was added: the column reads as null.
            let raw = format!("__{}_stored", def.name);
            ctx.register_table(raw.as_str(), provider)?;
            let columns: Vec<String> = def
                .all_columns()
                .map(|c| match stored.field_with_name(c.name) {
                    Ok(_) => format!("\"{}\"", c.name),
                    Err(_) => format!("CAST(NULL AS {}) AS \"{}\"", sql_type(c.ty), c.name),
                })
                .collect();
            ctx.sql(&format!(
                "CREATE VIEW {} AS SELECT {} FROM {raw}",
                def.name,
                columns.join(", ")
            ))
            .await?;
        }
        Ok(())
    }

    /// Resolves an `--as-of` to the warehouse version it names.
    async fn resolve_version(&self, as_of: &AsOf, latest: i64) -> Result<i64> {
        match as_of {
            AsOf::Version(v) if *v > latest => Err(Error::Usage(format!(
                "warehouse version {v} does not exist yet; the latest is {latest}"
            ))),
            AsOf::Version(v) => Ok(*v),
            AsOf::Time(t) => {
                // The times `ceping history` shows: each version's `loaded_at`.
                let micros = t.timestamp_micros();
                let rows = self
                    .query_log(
                        latest,
                        &format!(
                            "SELECT CAST(COALESCE(MAX(warehouse_version), 0) AS BIGINT) FROM log \
                             WHERE CAST(loaded_at AS BIGINT) <= {micros}"
                        ),
                    )
                    .await?;
                first_i64(&rows)
            }
        }
    }

    /// The Delta version of every table at a warehouse version, from its log row.
    async fn table_versions_at(&self, warehouse_version: i64) -> Result<TableVersions> {
        let mut versions = TableVersions::new();
        if warehouse_version > 0 {
            // The row was added by that very commit: file statistics prune the others.
            let rows = self
                .query_log(
                    warehouse_version,
                    &format!("SELECT table_versions FROM log WHERE warehouse_version = {warehouse_version}"),
                )
                .await?;
            let json = first_string(&rows)?.ok_or_else(|| {
                Error::CorruptLog(format!(
                    "ingest_log has no row for warehouse version {warehouse_version}"
                ))
            })?;
            let recorded: TableVersions = serde_json::from_str(&json)
                .map_err(|e| Error::CorruptLog(format!("ingest_log.table_versions is not valid JSON: {e}")))?;
            versions.extend(recorded);
        }
        versions.insert(INGEST_LOG.name.to_string(), warehouse_version);
        Ok(versions)
    }

    /// Whether these bytes were ingested by a snapshot's version: the earlier file's name.
    pub async fn already_ingested(&self, snapshot: &Snapshot, sha256: &str) -> Result<Option<String>> {
        let sha: String = sha256.chars().filter(char::is_ascii_hexdigit).collect();
        let rows = self
            .query_log(
                snapshot.version,
                &format!("SELECT file_name FROM log WHERE source_sha256 = '{sha}' LIMIT 1"),
            )
            .await?;
        first_string(&rows)
    }

    /// The revisions of a year a snapshot holds of a revisioned kind's files, in order.
    pub async fn revisions(&self, snapshot: &Snapshot, kind: &str, year: i32) -> Result<Vec<i32>> {
        let kind = kind.replace('\'', "''");
        let rows = self
            .query_log(
                snapshot.version,
                &format!(
                    "SELECT CAST(revision AS BIGINT) AS r FROM log WHERE kind = '{kind}' AND year = {year} \
                     AND revision IS NOT NULL ORDER BY r"
                ),
            )
            .await?;
        let mut out = Vec::new();
        for b in &rows {
            let col = b.column(0);
            let col = datafusion::arrow::array::AsArray::as_primitive::<datafusion::arrow::datatypes::Int64Type>(col);
            out.extend(col.iter().flatten().map(|v| v as i32));
        }
        Ok(out)
    }
}

/// A dictionary type in SQL.
fn sql_type(ty: crate::schema::ColumnType) -> &'static str {
    use crate::schema::ColumnType::*;
    match ty {
        Utf8 => "VARCHAR",
        Int8 => "TINYINT",
        Int32 => "INT",
        Int64 => "BIGINT",
        Float64 => "DOUBLE",
        Boolean => "BOOLEAN",
        Date32 => "DATE",
        Money => "DECIMAL(18, 2)",
        Timestamp => "TIMESTAMP",
    }
}

/// What delta-rs's scans take from a session: the session's string types (`Utf8`, not
/// `Utf8View`: see `sql::config`) with delta-rs's own default of pushing predicates into
/// the Parquet scan kept (it reads that from `pushdown_filters`, which is off in the
/// session itself: row-level filtering there made the metric views slower).
fn scan_settings(ctx: &SessionContext) -> Arc<SessionState> {
    let mut config = ctx.copied_config();
    config.options_mut().execution.parquet.pushdown_filters = true;
    Arc::new(SessionStateBuilder::new().with_config(config).build())
}
