//! `ceping run PIPELINE.toml`: steps that ingest globs, print SQL results, export them
//! (csv, json, parquet, xlsx) and write reports. Idempotent: ingested bytes are skipped, exports are
//! rewritten with the same content. Paths are relative to the working directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ingest::load::Outcome;
use crate::ingest::Options;
use crate::ops;
use crate::sql::print::{write_batches, write_file, OutputFormat};
use crate::sql::{self, exec};
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
    /// `preview = true`: the department preview sheets of `year`'s plan, into `out`.
    pub preview: Option<bool>,
    /// `letters = "2019-07-01"`: the letters due on that date, into `out`.
    pub letters: Option<String>,
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
            s.preview == Some(true),
            s.letters.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        let report_ok = s.report.is_none() || (s.year.is_some() && s.out.is_some());
        let preview_ok = s.preview != Some(true) || (s.year.is_some() && s.out.is_some());
        let letters_ok = s.letters.is_none() || s.out.is_some();
        if let Some(q) = s.quarter.filter(|q| !(1..=4).contains(q)) {
            return Err(Error::Usage(format!(
                "`{}`, step {}: quarter = {q} is not a quarter (1–4)",
                path.display(),
                i + 1
            )));
        }
        if let Some(y) = s.year.filter(|y| !(1..=9999).contains(y)) {
            return Err(Error::Usage(format!(
                "`{}`, step {}: year = {y} is not a year (1–9999)",
                path.display(),
                i + 1
            )));
        }
        if actions != 1 || s.export.is_some() != s.to.is_some() || !report_ok || !preview_ok || !letters_ok {
            return Err(Error::Usage(format!(
                "`{}`, step {}: give exactly one of `ingest`, `print`, `export` with `to`, `report` or `preview = true` with `year` and `out`, or `letters` (a date) with `out`",
                path.display(),
                i + 1
            )));
        }
    }
    Ok(p)
}

/// Runs every step, writing what it shows to `out`; stops at the first failing one.
pub async fn run(wh: &Warehouse, path: &Path, out: &mut dyn Write) -> Result<()> {
    let pipeline = load(path)?;
    if let Some(d) = &pipeline.description {
        writeln!(out, "{d}")?;
    }
    for (i, step) in pipeline.steps.iter().enumerate() {
        let title = step.title.clone().unwrap_or_default();
        if let Some(patterns) = &step.ingest {
            writeln!(out, "\n== {}. ingest {title}", i + 1)?;
            ingest_step(wh, patterns, out).await?;
        } else if let Some(q) = &step.print {
            writeln!(out, "\n== {}. {title}", i + 1)?;
            let session = sql::session(wh, None).await?;
            for (schema, batches) in ops::query(&session, q).await? {
                write_batches(&schema, &batches, OutputFormat::Table, out)?;
            }
        } else if let (Some(q), Some(to)) = (&step.export, &step.to) {
            let session = sql::session(wh, None).await?;
            export(&session.ctx, q, to).await?;
            writeln!(out, "\n== {}. export {title}→ {}", i + 1, to.display())?;
        } else if let (Some(kind), Some(year), Some(dir)) = (&step.report, step.year, &step.out) {
            let briefing = match kind.as_str() {
                "briefing" => true,
                "quarterly" => false,
                other => {
                    return Err(Error::Usage(format!(
                        "`{}`, step {}: report `{other}` is `briefing` or `quarterly`",
                        path.display(),
                        i + 1
                    )))
                }
            };
            let lang = match step.lang.as_deref() {
                Some("en") => crate::report::Lang::En,
                None | Some("zh") => crate::report::Lang::Zh,
                Some(other) => {
                    return Err(Error::Usage(format!(
                        "`{}`, step {}: lang `{other}` is `zh` or `en`",
                        path.display(),
                        i + 1
                    )))
                }
            };
            let req = ops::ReportRequest {
                briefing,
                year,
                quarter: step.quarter,
                as_of: None,
                lang,
                out: dir.clone(),
            };
            ops::report(wh, &req)
                .await
                .map_err(|e| Error::Usage(format!("`{}`, step {}: {e}", path.display(), i + 1)))?;
            writeln!(out, "\n== {}. report {title}→ {}", i + 1, dir.display())?;
        } else if let (Some(true), Some(year), Some(dir)) = (step.preview, step.year, &step.out) {
            let (written, _) = ops::export_preview(wh, year, dir, None)
                .await
                .map_err(|e| Error::Usage(format!("`{}`, step {}: {e}", path.display(), i + 1)))?;
            writeln!(
                out,
                "\n== {}. preview sheets {title}→ {} ({} departments)",
                i + 1,
                dir.display(),
                written.files.len()
            )?;
        } else if let (Some(date), Some(dir)) = (&step.letters, &step.out) {
            let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| {
                Error::Usage(format!(
                    "`{}`, step {}: letters = \"{date}\" is not a date (YYYY-MM-DD): {e}",
                    path.display(),
                    i + 1
                ))
            })?;
            let written = ops::letters(wh, date, dir, None)
                .await
                .map_err(|e| Error::Usage(format!("`{}`, step {}: {e}", path.display(), i + 1)))?;
            let urge = written.letters.iter().filter(|l| l.kind == "urge").count();
            writeln!(
                out,
                "\n== {}. letters {title}→ {} ({} 便函, {urge} 督促函)",
                i + 1,
                dir.display(),
                written.letters.len() - urge
            )?;
        }
    }
    Ok(())
}

async fn ingest_step(wh: &Warehouse, patterns: &[String], out: &mut dyn Write) -> Result<()> {
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
        let req = ops::IngestRequest {
            files,
            options: Options::default(),
            wait: crate::warehouse::DEFAULT_WAIT,
        };
        for r in ops::ingest(wh, &req, &ops::Quiet).await? {
            let f = r.path.display();
            match r.outcome {
                Ok(Outcome::AlreadyIngested { .. }) => writeln!(out, "  {f}: already ingested")?,
                Ok(Outcome::Loaded { parsed, version, .. }) => writeln!(
                    out,
                    "  {f}: {} loaded, {} rejected → warehouse version {version}",
                    parsed.loaded(),
                    parsed.rejected()
                )?,
                Err(e) => {
                    writeln!(out, "  {f}: not loaded: {e}")?;
                    failed.push(f.to_string());
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
            // Chinese labels from the data dictionary; a column it does not know keeps its name.
            let headers = schema
                .fields()
                .iter()
                .map(|f| crate::warehouse::schema::label_of(f.name()).map_or_else(|| f.name().clone(), str::to_string))
                .collect();
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
    write_file(&schema, &batches, format, to)
}
