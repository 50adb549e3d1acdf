//! The warehouse: a directory with one Delta table per table of the data dictionary.
//!
//! Owns opening and creating the directory, reading tables at a warehouse version, and
//! committing. Only this module writes Delta. The *warehouse version* is the Delta version
//! of `ingest_log`, the one commit point: every ingest commits its data tables first and
//! its `ingest_log` row last, and that row records the Delta version of every table.
//! Every read goes through a [`Snapshot`] (the tables at the versions one log row
//! records), so data committed to a table but not recorded is invisible; the next
//! [`Writer`] puts such tables back ([`writer`]), `ceping check` verifies it ([`check`]).

pub mod check;
mod commit;
mod faults;
mod lock;
mod migrate;
mod recover;
mod snapshot;
mod stage;
pub mod store;
mod upsert;
mod vacuum;
mod writer;

pub use commit::{LogRow, TableWrite};
pub use recover::Recovery;
pub use snapshot::Snapshot;
pub use stage::{KeyedStage, Staged};
pub use store::Root;
pub use upsert::conform;
pub use writer::{Writer, DEFAULT_WAIT};

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};

use datafusion::arrow::datatypes::Int64Type;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;
use url::Url;

use crate::error::{Error, Result};
use crate::schema::{Catalog, TableDef, INGEST_LOG};
use crate::settings::Settings;

/// The file that marks a directory as a ceping warehouse.
pub const MARKER: &str = "_ceping_warehouse.json";

/// Every table writes a Delta checkpoint each this many commits (`delta.checkpointInterval`,
/// Spark's default; delta-rs's is 100): a reader (ceping, Spark, DuckDB, polars) reads one
/// checkpoint and at most this many commits after it. Measured on 60 one-row ingests
/// (debug build): 10 takes 39 s, 100 takes 79 s, the log replays dominating.
pub const CHECKPOINT_INTERVAL: &str = "10";

/// An open warehouse: where it is, the tables it holds (the [`Catalog`] the source kinds
/// declare) and the settings the command runs with.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: Root,
    catalog: &'static Catalog,
    settings: std::sync::Arc<Settings>,
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
    /// Opens the warehouse `settings` names, creating it when the directory (or
    /// object-storage prefix) is missing or empty. A non-empty one without the marker file
    /// is refused, never written to.
    pub async fn open_or_create(settings: std::sync::Arc<Settings>, catalog: &'static Catalog) -> Result<Self> {
        let root = Root::parse(&settings.warehouse)?;
        let wh = Warehouse {
            root: root.clone(),
            catalog,
            settings,
        };
        let root = &root;
        let path = std::path::PathBuf::from(root.to_string());
        match root {
            Root::Local(dir) => {
                if dir.join(MARKER).is_file() {
                    return Ok(wh);
                }
                if dir.exists() {
                    if !dir.is_dir() {
                        return Err(Error::ForeignDirectory {
                            path,
                            why: "it is a file, not a directory".into(),
                        });
                    }
                    let mut entries = fs_err::read_dir(dir)?;
                    if entries.next().is_some() {
                        return Err(Error::ForeignDirectory {
                            path,
                            why: format!("it is not empty and has no `{MARKER}`; give an empty or new directory"),
                        });
                    }
                }
            }
            Root::S3(url) => {
                let store = store::RootStore::open(url)?;
                if store.get(MARKER).await?.is_some() {
                    return Ok(wh);
                }
                if !store.is_empty().await? {
                    return Err(Error::ForeignDirectory {
                        path,
                        why: format!("the prefix holds objects but no `{MARKER}`; give an empty or new prefix"),
                    });
                }
            }
        }
        wh.create().await?;
        Ok(wh)
    }

    async fn create(&self) -> Result<()> {
        if let Root::Local(dir) = &self.root {
            fs_err::create_dir_all(dir)?;
        }
        tracing::info!(root = %self.root, "creating warehouse");
        for def in self.catalog.tables() {
            self.create_table(def).await?;
        }
        // Written last: a warehouse with the marker holds every table.
        let marker = serde_json::json!({
            "format": 1,
            "created_by": concat!("ceping ", env!("CARGO_PKG_VERSION")),
            "dictionary": self.catalog.fingerprint(),
        });
        let marker = format!("{marker:#}\n");
        match &self.root {
            Root::Local(dir) => fs_err::write(dir.join(MARKER), marker)?,
            Root::S3(url) => store::RootStore::open(url)?.put(MARKER, marker.into_bytes()).await?,
        }
        Ok(())
    }

    /// An empty table at Delta version 0.
    async fn create_table(&self, def: &'static TableDef) -> Result<()> {
        if let Root::Local(dir) = &self.root {
            fs_err::create_dir_all(dir.join(def.name))?;
        }
        let empty = RecordBatch::new_empty(def.schema());
        DeltaTable::try_from_url(self.table_url(def.name)?)
            .await
            .map_err(|e| Error::delta(def.name, e))?
            .write(vec![empty])
            .with_save_mode(SaveMode::ErrorIfExists)
            .with_table_name(def.name)
            .with_description(def.label)
            .with_configuration(std::collections::HashMap::from([(
                "delta.checkpointInterval".to_string(),
                Some(CHECKPOINT_INTERVAL.to_string()),
            )]))
            .await
            .map_err(|e| Error::delta(def.name, e))?;
        Ok(())
    }

    /// Whether a table of the catalog exists yet: a warehouse made before a kind was added
    /// has none of its table until a writer creates it ([`Warehouse::create_missing_tables`]).
    pub async fn has_table(&self, name: &str) -> Result<bool> {
        deltalake::DeltaTableBuilder::from_url(self.table_url(name)?)
            .and_then(|b| b.build())
            .map_err(|e| Error::delta(name, e))?
            .verify_deltatable_existence()
            .await
            .map_err(|e| Error::delta(name, e))
    }

    /// Creates the catalog's tables the warehouse does not have yet (each empty, at Delta
    /// version 0, which every earlier warehouse version reads as it was: empty). Called by
    /// the writer under its lock.
    pub(crate) async fn create_missing_tables(&self) -> Result<Vec<&'static str>> {
        let mut created = Vec::new();
        for def in self.catalog.tables() {
            if !self.has_table(def.name).await? {
                tracing::info!(table = def.name, "creating a table this warehouse did not have yet");
                self.create_table(def).await?;
                created.push(def.name);
            }
        }
        Ok(created)
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Every table of the warehouse.
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    /// The settings the command runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The local directory, `None` on object storage.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        self.root.local()
    }

    pub fn table_url(&self, name: &str) -> Result<Url> {
        self.root.join_dir(name)
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

    /// The newest warehouse version: the Delta version of `ingest_log`, the one commit
    /// point. Data a table holds beyond what this version records is not part of it.
    pub async fn version(&self) -> Result<i64> {
        // The log's newest commit file, listed without loading the table's state: cheap
        // enough to ask before every statement the server runs.
        let log = deltalake::DeltaTableBuilder::from_url(self.table_url(INGEST_LOG.name)?)
            .and_then(|b| b.build())
            .map_err(|e| Error::delta(INGEST_LOG.name, e))?;
        let v = log
            .get_latest_version()
            .await
            .map_err(|e| Error::delta(INGEST_LOG.name, e))?;
        Ok(v as i64)
    }

    /// Runs `sql` over `ingest_log` (registered as `log`) at a warehouse version.
    pub(crate) async fn query_log(&self, version: i64, sql: &str) -> Result<Vec<RecordBatch>> {
        let log = self.table_at(INGEST_LOG.name, version).await?;
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

/// The first value of a one-column string result, if any row came back.
pub(crate) fn first_string(batches: &[RecordBatch]) -> Result<Option<String>> {
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(None);
    };
    let col = datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Utf8)?;
    let col = col.as_string::<i32>();
    Ok((!col.is_null(0)).then(|| col.value(0).to_string()))
}

/// The first value of a one-column integer result (0 when there is none).
pub(crate) fn first_i64(batches: &[RecordBatch]) -> Result<i64> {
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(0);
    };
    let col = datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Int64)?;
    let col = col.as_primitive::<Int64Type>();
    Ok(if col.is_null(0) { 0 } else { col.value(0) })
}
