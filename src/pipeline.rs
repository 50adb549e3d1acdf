//! `ceping run PIPELINE.toml`: steps that ingest globs, print SQL results, export them
//! (csv, json, parquet, xlsx) and write reports. Idempotent: ingested bytes are skipped, exports are
//! rewritten with the same content. Paths are relative to the working directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ingest::load::{ingest_file, Outcome};
use crate::ingest::Options;
use crate::sql::{self, exec, print::OutputFormat};
use crate::warehouse::Warehouse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub description: Option<String>,
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

/// One step: exactly one of `ingest`, `print`, `export` (with `to`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: Option<String>,
    /// Glob patterns; each expands in sorted order (so 第1版 loads before 第2版).
    pub ingest: Option<Vec<String>>,
    /// A query whose result is printed as a table.
    pub print: Option<String>,
    /// A query written to `to`, in the format its extension names.
    pub export: Option<String>,
    pub to: Option<PathBuf>,
    /// `quarterly` or `briefing`, written to `out` for `year` (and `quarter`).
    pub report: Option<String>,
    pub year: Option<i32>,
    pub quarter: Option<i8>,
    pub out: Option<PathBuf>,
    /// `zh` (default) or `en`.
    pub lang: Option<String>,
}

pub fn load(path: &Path) -> Result<Pipeline> {
    let text = fs_err::read_to_string(path)?;
    let p: Pipeline = toml::from_str(&text).map_err(|e| Error::Usage(format!("`{}`: {e}", path.display())))?;
    for (i, s) in p.steps.iter().enumerate() {
        let actions = [
            s.ingest.is_some(),
            s.print.is_some(),
            s.export.is_some(),
            s.report.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        let report_ok = s.report.is_none() || (s.year.is_some() && s.out.is_some());
        if actions != 1 || s.export.is_some() != s.to.is_some() || !report_ok {
            return Err(Error::Usage(format!(
                "`{}`, step {}: give exactly one of `ingest`, `print`, `export` with `to`, or `report` with `year` and `out`",
                path.display(),
                i + 1
            )));
        }
    }
    Ok(p)
}

/// Runs every step; stops at the first failing one.
pub async fn run(wh: &Warehouse, path: &Path) -> Result<()> {
    let pipeline = load(path)?;
    if let Some(d) = &pipeline.description {
        println!("{d}");
    }
    for (i, step) in pipeline.steps.iter().enumerate() {
        let title = step.title.clone().unwrap_or_default();
        if let Some(patterns) = &step.ingest {
            println!("\n== {}. ingest {title}", i + 1);
            ingest_step(wh, patterns).await?;
        } else if let Some(q) = &step.print {
            println!("\n== {}. {title}", i + 1);
            let session = sql::session(wh, None).await?;
            exec::run_and_print(&session.ctx, q, OutputFormat::Table, None).await?;
        } else if let (Some(q), Some(to)) = (&step.export, &step.to) {
            let session = sql::session(wh, None).await?;
            export(&session.ctx, q, to).await?;
            println!("\n== {}. export {title}→ {}", i + 1, to.display());
        } else if let (Some(kind), Some(year), Some(out)) = (&step.report, step.year, &step.out) {
            let scope = match (kind.as_str(), step.quarter) {
                ("quarterly", Some(quarter)) => crate::report::Scope::Quarterly { year, quarter },
                ("briefing", _) => crate::report::Scope::Briefing { year },
                _ => {
                    return Err(Error::Usage(format!(
                        "step {}: report is `briefing`, or `quarterly` with `quarter`",
                        i + 1
                    )))
                }
            };
            let lang = if step.lang.as_deref() == Some("en") {
                crate::report::Lang::En
            } else {
                crate::report::Lang::Zh
            };
            let session = sql::session(wh, None).await?;
            crate::report::write(&session, scope, lang, out).await?;
            println!("\n== {}. report {title}→ {}", i + 1, out.display());
        }
    }
    Ok(())
}

async fn ingest_step(wh: &Warehouse, patterns: &[String]) -> Result<()> {
    let mut failed = Vec::new();
    for pattern in patterns {
        let mut files: Vec<PathBuf> = glob::glob(pattern)
            .map_err(|e| Error::Usage(format!("bad glob `{pattern}`: {e}")))?
            .filter_map(|p| p.ok())
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Error::Usage(format!(
                "`{pattern}` matches no file (paths are relative to the working directory)"
            )));
        }
        for f in files {
            match ingest_file(wh, &f, &Options::default(), &|_| {}).await {
                Ok(Outcome::AlreadyIngested { .. }) => println!("  {}: already ingested", f.display()),
                Ok(Outcome::Loaded { parsed, version, .. }) => println!(
                    "  {}: {} loaded, {} rejected → warehouse version {version}",
                    f.display(),
                    parsed.loaded(),
                    parsed.rejected()
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    failed.push(f.display().to_string());
                }
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{} file(s) failed to ingest: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

/// Writes a query's result to a file whose extension names the format.
pub async fn export(ctx: &datafusion::prelude::SessionContext, q: &str, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::create_dir_all(dir)?;
    }
    let (schema, batches) = exec::query(ctx, q).await?;
    let ext = to.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    let format = match ext.as_str() {
        "csv" => OutputFormat::Csv,
        "json" => OutputFormat::Json,
        "parquet" => OutputFormat::Parquet,
        "xlsx" => {
            let name = to
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "result".into());
            let headers = schema.fields().iter().map(|f| f.name().clone()).collect();
            return crate::report::xlsx::save(
                to,
                &[crate::report::xlsx::Sheet {
                    name: &name,
                    headers,
                    schema,
                    batches: &batches,
                }],
            );
        }
        other => {
            return Err(Error::Usage(format!(
                "`{}`: unknown export format `.{other}` (csv, json, parquet, xlsx)",
                to.display()
            )))
        }
    };
    sql::print::write_batches(&schema, &batches, format, Some(to))
}
