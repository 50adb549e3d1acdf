//! Recovery: taking the lock, a writer puts every table that is ahead of the recorded
//! version back to it (Delta RESTORE: an interrupted ingest committed it but not its log
//! row) and, when an ingest was interrupted (`_ceping_pending`), removes the data files it
//! staged that no commit references. `ceping check --repair` does the same for any time.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use deltalake::DeltaTable;

use super::stage::STAGING_DIR;
use super::{TableVersions, Warehouse, Writer};
use crate::error::{Error, Result};
use crate::schema::INGEST_LOG;

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

impl Writer {
    /// `ceping check --repair`: recovery, and a search of every table for data files no
    /// commit references, interrupted ingest or not.
    pub async fn repair(&mut self) -> Result<Recovery> {
        let done = self.recover(true).await?;
        self.migrate().await?;
        self.snapshot = self.wh.snapshot(None).await?;
        self.base.insert(INGEST_LOG.name.to_string(), self.snapshot.version);
        Ok(done)
    }

    /// Puts tables ahead of the recorded version back, and removes staged files of an
    /// interrupted ingest (of any time when `full`). Sets the writer's base versions from
    /// the same look-ups (each table's newest version, or the one its restore made).
    pub(super) async fn recover(&mut self, full: bool) -> Result<Recovery> {
        let mut done = Recovery::default();
        let mut base = TableVersions::new();
        for def in self.wh.catalog().tables().filter(|d| d.name != INGEST_LOG.name) {
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
            for def in self.wh.catalog().tables() {
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
