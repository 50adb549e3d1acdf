//! `ceping check`: is the warehouse what its log says? Every table readable at its newest
//! and its recorded version, none ahead of the record, schemas as the data contract,
//! lineage complete, row counts per file equal to `ingest_log`'s, no staged file left.

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

use super::{Snapshot, Warehouse};
use crate::error::Result;
use crate::schema::{TableDef, WritePolicy, INGEST_LOG, LINEAGE, REJECTS};

/// One finding of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub table: String,
    /// What was checked: `log`, `version`, `schema`, `lineage`, `rows`, `files`.
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
    /// Whether `ceping check --repair` fixes it (a table ahead, a staged file left).
    pub repairable: bool,
}

/// The whole check.
#[derive(Debug, Clone)]
pub struct Report {
    pub version: i64,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn clean(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }
    /// Problems only `--repair` can fix (none that it cannot).
    pub fn repairable(&self) -> bool {
        !self.clean() && self.findings.iter().all(|f| f.ok || f.repairable)
    }
    /// The only problem is columns added since the tables were made (a warehouse of an
    /// earlier release): the next write migrates it.
    pub fn only_columns_missing(&self) -> bool {
        !self.clean()
            && self
                .findings
                .iter()
                .all(|f| f.ok || (f.repairable && f.check == "schema"))
    }
}

impl Warehouse {
    /// The newest checkpoint of a table's Delta log, if any.
    pub async fn last_checkpoint(&self, name: &str) -> Option<i64> {
        use futures::StreamExt;
        let table = deltalake::DeltaTableBuilder::from_url(self.table_url(name).ok()?)
            .ok()?
            .build()
            .ok()?;
        let store = table.object_store();
        let log = deltalake::Path::from("_delta_log");
        let mut files = store.list(Some(&log));
        let mut newest = None;
        while let Some(Ok(meta)) = files.next().await {
            let name = meta.location.filename().unwrap_or_default();
            if let Some(v) = name.split('.').next().filter(|_| name.contains(".checkpoint.")) {
                newest = newest.max(v.parse::<i64>().ok());
            }
        }
        newest
    }

    /// Checks the warehouse; changes nothing.
    pub async fn check(&self) -> Result<Report> {
        let mut findings = Vec::new();
        let mut push = |table: &str, check: &'static str, ok: bool, detail: String, repairable: bool| {
            findings.push(Finding {
                table: table.to_string(),
                check,
                ok,
                detail,
                repairable,
            })
        };
        let snapshot = match self.snapshot(None).await {
            Ok(s) => s,
            Err(e) => {
                push(
                    INGEST_LOG.name,
                    "log",
                    false,
                    format!("the log cannot be read: {e}"),
                    false,
                );
                return Ok(Report { version: -1, findings });
            }
        };
        for def in self.catalog().tables() {
            let recorded = snapshot.table_version(def.name);
            let latest = match self.latest_version(def.name).await {
                Ok(v) => v,
                Err(e) => {
                    push(def.name, "log", false, format!("cannot read its Delta log: {e}"), false);
                    continue;
                }
            };
            let table = match self.open(&snapshot, def.name).await {
                Ok(t) => t,
                Err(e) => {
                    push(
                        def.name,
                        "log",
                        false,
                        format!("cannot open recorded version {recorded}: {e}"),
                        false,
                    );
                    continue;
                }
            };
            push(
                def.name,
                "log",
                true,
                format!("readable; recorded version {recorded}, newest {latest}"),
                false,
            );
            let ahead = latest > recorded && self.ahead(def.name, recorded).await.unwrap_or(true);
            if latest < recorded {
                push(
                    def.name,
                    "version",
                    false,
                    format!("behind the record: newest {latest} < recorded {recorded}"),
                    false,
                );
            } else if ahead {
                push(
                    def.name,
                    "version",
                    false,
                    format!("ahead of the record: versions {}–{latest} hold data no log row records (an interrupted ingest)", recorded + 1),
                    true,
                );
            } else {
                push(def.name, "version", true, "at the recorded version".into(), false);
            }
            let schema_problems = schema_differences(def, &table.snapshot().map(|s| s.snapshot().arrow_schema()).ok());
            // Columns a newer ceping added are only missing: the next write (or `--repair`)
            // adds them as a warehouse version of kind `schema`.
            let only_missing = schema_problems.iter().all(|p| p.ends_with("is missing"));
            push(
                def.name,
                "schema",
                schema_problems.is_empty(),
                if schema_problems.is_empty() {
                    "as the data contract".into()
                } else if only_missing {
                    format!(
                        "{}: columns added since this table was made; the next ingest or `ceping check --repair` adds them",
                        schema_problems.join("; ")
                    )
                } else {
                    schema_problems.join("; ")
                },
                !schema_problems.is_empty() && only_missing && def.name != INGEST_LOG.name,
            );
            let protocol = table
                .snapshot()
                .map(|s| (s.protocol().min_reader_version(), s.protocol().min_writer_version()));
            let checkpoint = self.last_checkpoint(def.name).await;
            push(
                def.name,
                "protocol",
                true,
                format!(
                    "{}; {}",
                    match protocol {
                        Ok((r, w)) => format!("Delta reader {r} / writer {w}"),
                        Err(e) => format!("protocol unknown: {e}"),
                    },
                    match checkpoint {
                        Some(v) => format!("checkpoint at version {v}, {} commit(s) after it", latest - v),
                        None => format!(
                            "no checkpoint yet ({} commit(s); one every {})",
                            latest + 1,
                            super::CHECKPOINT_INTERVAL
                        ),
                    }
                ),
                false,
            );
            if self.local_root().is_none() {
                push(
                    def.name,
                    "files",
                    true,
                    "not listed on object storage (another writer may be staging files): `ceping optimize` vacuums unreferenced files older than its retention".into(),
                    false,
                );
                continue;
            }
            let since = self.oldest_commit_time(def.name);
            match self.unreferenced_files(def.name, since) {
                Ok(files) if files.is_empty() => {
                    push(def.name, "files", true, "no unreferenced data file".into(), false)
                }
                Ok(files) => push(
                    def.name,
                    "files",
                    false,
                    format!(
                        "{} data file(s) no commit references (staged by an interrupted ingest)",
                        files.len()
                    ),
                    true,
                ),
                Err(e) => push(def.name, "files", false, format!("cannot list data files: {e}"), false),
            }
        }
        let staging: Vec<_> = self
            .local_root()
            .map(|root| std::fs::read_dir(root.join(super::stage::STAGING_DIR)))
            .into_iter()
            .flatten()
            .flatten()
            .flatten()
            .collect();
        if !staging.is_empty() {
            push(
                super::stage::STAGING_DIR,
                "files",
                false,
                format!(
                    "{} scratch file(s) of an interrupted ingest of keyed rows",
                    staging.len()
                ),
                true,
            );
        }
        if findings.iter().all(|f| f.check != "log" || f.ok) {
            for f in data_checks(self, &snapshot).await? {
                findings.push(f);
            }
        }
        Ok(Report {
            version: snapshot.version,
            findings,
        })
    }
}

fn normal(t: &DataType) -> DataType {
    match t {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        DataType::Timestamp(u, Some(_)) => DataType::Timestamp(*u, Some("UTC".into())),
        other => other.clone(),
    }
}

fn schema_differences(def: &TableDef, actual: &Option<datafusion::arrow::datatypes::SchemaRef>) -> Vec<String> {
    let Some(actual) = actual else {
        return vec!["no schema".into()];
    };
    let mut out = Vec::new();
    for c in def.all_columns() {
        match actual.field_with_name(c.name) {
            Ok(f) if normal(f.data_type()) == normal(&c.ty.arrow()) => {}
            Ok(f) => out.push(format!(
                "`{}` is {}, the contract says {}",
                c.name,
                f.data_type(),
                c.ty.arrow()
            )),
            Err(_) => out.push(format!("`{}` is missing", c.name)),
        }
    }
    for f in actual.fields() {
        if def.column(f.name()).is_none() {
            out.push(format!("`{}` is not in the contract", f.name()));
        }
    }
    out
}

/// Lineage and row counts, over the snapshot.
async fn data_checks(wh: &Warehouse, snapshot: &Snapshot) -> Result<Vec<Finding>> {
    let ctx = SessionContext::new();
    wh.register(&ctx, snapshot, &[]).await?;
    let mut out = Vec::new();
    let count = |sql: String| {
        let ctx = &ctx;
        async move {
            let batches = ctx.sql(&sql).await?.collect().await?;
            super::first_i64(&batches)
        }
    };
    for def in wh.catalog().tables().filter(|d| d.lineage) {
        let nulls = LINEAGE
            .iter()
            .map(|c| format!("{} IS NULL", c.name))
            .collect::<Vec<_>>()
            .join(" OR ");
        let n = count(format!("SELECT COUNT(*) FROM {} WHERE {nulls}", def.name)).await?;
        out.push(Finding {
            table: def.name.into(),
            check: "lineage",
            ok: n == 0,
            detail: if n == 0 {
                "every row names its file, sheet and row".into()
            } else {
                format!("{n} row(s) without a complete source (file, digest, sheet, row)")
            },
            repairable: false,
        });
    }
    // Row counts per file, by each table's write policy: appended rows exactly as the log
    // recorded them (a revisioned table's within the revision the file was loaded as: a
    // department's return carries the other departments' rows with their own lineage);
    // keyed rows at most as many (a newer file may have replaced some); rejects exactly.
    for def in wh.catalog().tables() {
        let (column, which, same_revision, exact) = match def.write {
            WritePolicy::Append { revisioned } => (
                "rows_loaded",
                format!("l.kind = '{}'", def.kind),
                if revisioned { "AND t.revision = l.revision" } else { "" },
                true,
            ),
            WritePolicy::Upsert { .. } => ("rows_loaded", format!("l.kind = '{}'", def.kind), "", false),
            WritePolicy::Bookkeeping if def.name == REJECTS.name => ("rows_rejected", "TRUE".to_string(), "", true),
            WritePolicy::Bookkeeping => continue,
        };
        let differs = if exact { "logged <> stored" } else { "stored > logged" };
        let n = count(format!(
            "SELECT COUNT(*) FROM (SELECT l.source_sha256, l.{column} AS logged, COUNT(t.source_sha256) AS stored \
             FROM ingest_log l LEFT JOIN {t} t ON t.source_sha256 = l.source_sha256 {same_revision} \
             WHERE {which} GROUP BY l.source_sha256, l.{column}) WHERE {differs}",
            t = def.name,
        ))
        .await?;
        let orphans = count(format!(
            "SELECT COUNT(*) FROM {t} t LEFT JOIN ingest_log l ON t.source_sha256 = l.source_sha256 WHERE l.source_sha256 IS NULL",
            t = def.name
        ))
        .await?;
        let ok = n == 0 && orphans == 0;
        out.push(Finding {
            table: def.name.into(),
            check: "rows",
            ok,
            detail: match (ok, exact) {
                (true, true) => format!("rows per file equal ingest_log.{column}"),
                (true, false) => format!("rows per file at most ingest_log.{column} (newer files replace keyed rows)"),
                (false, true) => format!("{n} file(s) whose row count differs from ingest_log.{column}; {orphans} row(s) of files the log does not list"),
                (false, false) => format!("{n} file(s) with more rows than ingest_log.{column}; {orphans} row(s) of files the log does not list"),
            },
            repairable: false,
        });
    }
    Ok(out)
}
