//! Reading operations: SQL, the dictionary, history, rejects, trace, reports, diff, check.
//! Each opens one snapshot and reads everything through it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Rows;
use crate::error::{Error, Result};
use crate::report::{Lang, ReportKind, Scope};
use crate::sql::{self, exec, trace::Filters, Session};
use crate::warehouse::check::Report as CheckReport;
use crate::warehouse::{AsOf, Warehouse};

/// Runs every `;`-separated statement of `sql_text`; a result per statement that has one.
pub async fn query(session: &Session, sql_text: &str) -> Result<Vec<Rows>> {
    exec::run_all(&session.ctx, sql_text).await
}

/// Every table and view with its label and meaning.
pub fn tables(wh: &Warehouse) -> Result<Rows> {
    exec::list_tables(wh.catalog(), sql::views(wh.settings().query.views_dir.as_deref()))
}

/// One table's or view's columns, and its kind, label and documentation.
pub async fn describe(wh: &Warehouse, name: &str) -> Result<(Rows, Option<(&'static str, &'static str, String)>)> {
    let session = sql::session(wh, None).await?;
    Ok((exec::describe(&session, name).await?, exec::doc_of(&session, name)))
}

/// The warehouse's versions, one per ingested file.
pub async fn history(wh: &Warehouse) -> Result<Rows> {
    let session = sql::session(wh, None).await?;
    exec::query(
        &session.ctx,
        "SELECT warehouse_version AS version, loaded_at, file_name, kind, year, revision, \
         rows_loaded, rows_rejected, rows_skipped FROM ingest_log ORDER BY warehouse_version",
    )
    .await
}

fn file_filter(file: Option<&str>) -> String {
    file.map(|f| format!("WHERE source_file = '{}'", f.replace('\'', "''")))
        .unwrap_or_default()
}

/// Rejected rows, of one source file or all.
pub async fn rejects(wh: &Warehouse, file: Option<&str>) -> Result<Rows> {
    let session = sql::session(wh, None).await?;
    let q = format!(
        "SELECT source_file, source_sheet, source_row, kind, reason FROM rejects {} \
         ORDER BY source_file, source_sheet, source_row",
        file_filter(file)
    );
    exec::query(&session.ctx, &q).await
}

/// One fix-list workbook per source file in `dir`: each path with its row count.
pub async fn export_fixlists(wh: &Warehouse, file: Option<&str>, dir: &Path) -> Result<Vec<(PathBuf, usize)>> {
    let session = sql::session(wh, None).await?;
    crate::report::fixlist::export(&session.ctx, &file_filter(file), dir).await
}

/// The source rows behind a view's figures.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    pub view: String,
    pub filters: Filters,
    pub as_of: Option<AsOf>,
}

pub async fn trace(wh: &Warehouse, req: &TraceRequest) -> Result<Rows> {
    let session = sql::session(wh, req.as_of.as_ref()).await?;
    sql::trace::trace(&session, &req.view, &req.filters).await
}

/// A report to write.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub kind: ReportKind,
    pub year: i32,
    pub quarter: Option<i8>,
    pub as_of: Option<AsOf>,
    pub lang: Lang,
    pub out: PathBuf,
}

/// What a report wrote, from which warehouse version.
pub struct ReportWritten {
    pub files: Vec<PathBuf>,
    pub warehouse_version: i64,
}

pub async fn report(wh: &Warehouse, req: &ReportRequest) -> Result<ReportWritten> {
    if !(1..=9999).contains(&req.year) {
        return Err(Error::Usage(format!("--year {} is not a year (1–9999)", req.year)));
    }
    let scope = match (req.kind, req.quarter) {
        (ReportKind::Briefing, _) => Scope::Briefing { year: req.year },
        (ReportKind::Quarterly, Some(quarter)) if (1..=4).contains(&quarter) => Scope::Quarterly {
            year: req.year,
            quarter,
        },
        (ReportKind::Quarterly, Some(quarter)) => {
            return Err(Error::Usage(format!("quarter {quarter} is not a quarter (1–4)")))
        }
        (ReportKind::Quarterly, None) => {
            return Err(Error::Usage(
                "a quarterly report needs a quarter (--quarter 1–4)".into(),
            ))
        }
    };
    let session = sql::session(wh, req.as_of.as_ref()).await?;
    let files = crate::report::write(&session, scope, req.lang, &req.out).await?;
    Ok(ReportWritten {
        files,
        warehouse_version: session.warehouse_version,
    })
}

/// Which figures of `view` moved between two warehouse states (`to`: now).
pub async fn diff(wh: &Warehouse, from: &AsOf, to: Option<&AsOf>, view: &str) -> Result<String> {
    let to = match to {
        Some(t) => t.clone(),
        None => AsOf::Version(wh.version().await?),
    };
    crate::report::diff::diff(wh, from, &to, view).await
}

/// The outcome of `check`: the findings, and with `--repair` what was done and the
/// findings after it.
pub struct CheckResult {
    pub before: CheckReport,
    pub repaired: Option<(crate::warehouse::Recovery, CheckReport)>,
}

/// Verifies the warehouse (under the writer lock, so no ingest is half-way), and repairs
/// what recovery can when asked.
pub async fn check(wh: &Warehouse, repair: bool, wait: Duration) -> Result<CheckResult> {
    let mut writer = wh.writer_without_recovery(wait).await?;
    let before = wh.check().await?;
    let repaired = if repair {
        let done = writer.repair().await?;
        Some((done, wh.check().await?))
    } else {
        None
    };
    drop(writer);
    Ok(CheckResult { before, repaired })
}

/// The department preview sheets of a year's current plan, written into `out`.
pub async fn export_preview(
    wh: &Warehouse,
    year: i32,
    out: &Path,
    as_of: Option<&AsOf>,
) -> Result<(crate::report::preview::Written, i64)> {
    let session = sql::session(wh, as_of).await?;
    let written = crate::report::preview::export(&session.ctx, year, out).await?;
    Ok((written, session.warehouse_version))
}

/// What `letters` wrote.
pub struct LettersWritten {
    pub letters: Vec<crate::report::letters::Letter>,
    pub index: PathBuf,
    pub warehouse_version: i64,
}

/// The letters due on `date` (one .docx per unit) and their index workbook, into `out`.
pub async fn letters(
    wh: &Warehouse,
    date: chrono::NaiveDate,
    out: &Path,
    as_of: Option<&AsOf>,
) -> Result<LettersWritten> {
    use crate::report::letters;
    let session = sql::session(wh, as_of).await?;
    let due = letters::due(&session.ctx, date, out).await?;
    let index = letters::write(&due, date, out)?;
    Ok(LettersWritten {
        letters: due,
        index,
        warehouse_version: session.warehouse_version,
    })
}

/// The statements that register the warehouse's tables (at one snapshot) and every metric
/// view in another engine (`ceping views --dialect`): Delta locations for Spark, Sail and
/// DuckDB, or with `files` the snapshot's Parquet files (an engine without a Delta
/// reader). `date` is the views' date (`CURRENT_DATE` when none).
pub async fn views_script(
    wh: &Warehouse,
    dialect: sql::dialect::Dialect,
    as_of: Option<&AsOf>,
    date: Option<chrono::NaiveDate>,
    files: bool,
) -> Result<String> {
    use sql::dialect::{Source, TableBinding};
    let snapshot = wh.snapshot(as_of).await?;
    let mut tables = Vec::new();
    for def in wh.catalog().tables() {
        let source = match wh.open(&snapshot, def.name).await {
            Ok(table) => {
                let stored: Vec<String> = table
                    .snapshot()
                    .map_err(|e| Error::delta(def.name, e))?
                    .schema()
                    .fields()
                    .map(|f| f.name().to_string())
                    .collect();
                if files {
                    let files = table.get_file_uris().map_err(|e| Error::delta(def.name, e))?.collect();
                    Source::Files { files, stored }
                } else {
                    Source::Delta {
                        location: wh.table_url(def.name)?.to_string().trim_end_matches('/').to_string(),
                        version: snapshot.table_version(def.name),
                        stored,
                    }
                }
            }
            // recorded at no version but its first: not created yet (as `register` reads it)
            Err(_) if snapshot.table_version(def.name) == 0 && !wh.has_table(def.name).await? => Source::Empty,
            Err(e) => return Err(e),
        };
        tables.push(TableBinding {
            name: def.name,
            columns: def.all_columns().map(|c| (c.name, c.ty)).collect(),
            source,
        });
    }
    let views: Vec<sql::ViewFile> = sql::views(wh.settings().query.views_dir.as_deref()).collect();
    for view in &views {
        let findings = sql::dialect::check(view.sql);
        if !findings.is_empty() {
            return Err(Error::NotPortable {
                view: view.name.to_string(),
                findings: findings.iter().map(ToString::to_string).collect(),
            });
        }
    }
    let date_sql = date.map_or("CURRENT_DATE".to_string(), |d| format!("DATE '{d}'"));
    let header = format!(
        "ceping {}: warehouse version {} ({} tables, {} views), the views' date {}.\n\
         Run these statements in one session; every table reads the snapshot's version.",
        env!("CARGO_PKG_VERSION"),
        snapshot.version,
        tables.len(),
        views.len(),
        date.map_or("today (CURRENT_DATE)".to_string(), |d| d.to_string()),
    );
    Ok(sql::dialect::script(dialect, &tables, &views, &date_sql, &header))
}
