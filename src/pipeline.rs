//! `ceping run PIPELINE.toml`: steps that ingest globs, print SQL results, export them
//! (csv, json, parquet, xlsx) and write reports. Idempotent: ingested bytes are skipped, exports are
//! rewritten with the same content. Paths are relative to the working directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::ingest::Options;
use crate::ops::{self, Outcome};
use crate::report::letters::LetterKind;
use crate::report::{Lang, ReportKind};
use crate::sql::print::{write_batches, write_file, OutputFormat};
use crate::sql::{self, exec, Session};
use crate::warehouse::Warehouse;

/// A pipeline file: a description and its steps, in order.
#[derive(Debug)]
pub struct Pipeline {
    pub description: Option<String>,
    pub steps: Vec<(Option<String>, Step)>,
}

/// One step of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Glob patterns; each expands in sorted order (so 第1版 loads before 第2版).
    Ingest { patterns: Vec<String> },
    /// A query whose result is printed as a table.
    Print { sql: String },
    /// A query written to `to`, in the format its extension names.
    Export { sql: String, to: PathBuf },
    /// A report of `year` (and `quarter`), written to `out`.
    Report {
        kind: ReportKind,
        year: i32,
        quarter: Option<i8>,
        out: PathBuf,
        lang: Lang,
    },
    /// The department preview sheets of `year`'s plan, into `out`.
    Preview { year: i32, out: PathBuf },
    /// The letters due on `date`, into `out`.
    Letters { date: chrono::NaiveDate, out: PathBuf },
}

/// A `[[step]]` table as written: a title, one action and its parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    title: Option<String>,
    ingest: Option<Vec<String>>,
    print: Option<String>,
    export: Option<String>,
    to: Option<PathBuf>,
    report: Option<ReportKind>,
    year: Option<i32>,
    quarter: Option<i8>,
    out: Option<PathBuf>,
    lang: Option<Lang>,
    preview: Option<bool>,
    letters: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    description: Option<String>,
    #[serde(rename = "step", default)]
    steps: Vec<RawStep>,
}

const SHAPES: &str = "give exactly one of `ingest`, `print`, `export` with `to`, `report` or `preview = true` with `year` and `out`, or `letters` (a date) with `out`";

impl TryFrom<RawStep> for Step {
    type Error = String;
    fn try_from(s: RawStep) -> std::result::Result<Step, String> {
        if let Some(q) = s.quarter.filter(|q| !(1..=4).contains(q)) {
            return Err(format!("quarter = {q} is not a quarter (1–4)"));
        }
        if let Some(y) = s.year.filter(|y| !(1..=9999).contains(y)) {
            return Err(format!("year = {y} is not a year (1–9999)"));
        }
        let step = match s {
            RawStep {
                ingest: Some(patterns),
                print: None,
                export: None,
                to: None,
                report: None,
                preview: None | Some(false),
                letters: None,
                ..
            } => Step::Ingest { patterns },
            RawStep {
                print: Some(sql),
                ingest: None,
                export: None,
                to: None,
                report: None,
                preview: None | Some(false),
                letters: None,
                ..
            } => Step::Print { sql },
            RawStep {
                export: Some(sql),
                to: Some(to),
                ingest: None,
                print: None,
                report: None,
                preview: None | Some(false),
                letters: None,
                ..
            } => Step::Export { sql, to },
            RawStep {
                report: Some(kind),
                year: Some(year),
                out: Some(out),
                ingest: None,
                print: None,
                export: None,
                to: None,
                preview: None | Some(false),
                letters: None,
                quarter,
                lang,
                ..
            } => Step::Report {
                kind,
                year,
                quarter,
                out,
                lang: lang.unwrap_or_default(),
            },
            RawStep {
                preview: Some(true),
                year: Some(year),
                out: Some(out),
                ingest: None,
                print: None,
                export: None,
                to: None,
                report: None,
                letters: None,
                ..
            } => Step::Preview { year, out },
            RawStep {
                letters: Some(date),
                out: Some(out),
                ingest: None,
                print: None,
                export: None,
                to: None,
                report: None,
                preview: None | Some(false),
                ..
            } => {
                let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                    .map_err(|e| format!("letters = \"{date}\" is not a date (YYYY-MM-DD): {e}"))?;
                Step::Letters { date, out }
            }
            _ => return Err(SHAPES.into()),
        };
        Ok(step)
    }
}

pub fn load(path: &Path) -> Result<Pipeline> {
    let text = fs_err::read_to_string(path)?;
    let error = |step: Option<usize>, message: String| Error::Pipeline {
        path: path.to_path_buf(),
        step,
        message,
    };
    let raw: RawPipeline = toml::from_str(&text).map_err(|e| error(None, e.to_string()))?;
    let steps = raw
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let title = s.title.clone();
            Step::try_from(s)
                .map(|step| (title, step))
                .map_err(|e| error(Some(i + 1), e))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Pipeline {
        description: raw.description,
        steps,
    })
}

/// Runs every step, writing what it shows to `out`; stops at the first failing one.
pub async fn run(wh: &Warehouse, path: &Path, out: &mut dyn Write) -> Result<()> {
    let pipeline = load(path)?;
    if let Some(d) = &pipeline.description {
        writeln!(out, "{d}")?;
    }
    for (i, (title, step)) in pipeline.steps.iter().enumerate() {
        let title = title.clone().unwrap_or_default();
        let failed = |e: Error| Error::Pipeline {
            path: path.to_path_buf(),
            step: Some(i + 1),
            message: e.to_string(),
        };
        match step {
            Step::Ingest { patterns } => {
                writeln!(out, "\n== {}. ingest {title}", i + 1)?;
                ingest_step(wh, patterns, out).await?;
            }
            Step::Print { sql } => {
                writeln!(out, "\n== {}. {title}", i + 1)?;
                let session = sql::session(wh, None).await?;
                for (schema, batches) in ops::query(&session, sql).await? {
                    write_batches(&schema, &batches, OutputFormat::Table, out)?;
                }
            }
            Step::Export { sql, to } => {
                let session = sql::session(wh, None).await?;
                export(&session, sql, to).await?;
                writeln!(out, "\n== {}. export {title}→ {}", i + 1, to.display())?;
            }
            Step::Report {
                kind,
                year,
                quarter,
                out: dir,
                lang,
            } => {
                let req = ops::ReportRequest {
                    kind: *kind,
                    year: *year,
                    quarter: *quarter,
                    as_of: None,
                    lang: *lang,
                    out: dir.clone(),
                };
                ops::report(wh, &req).await.map_err(failed)?;
                writeln!(out, "\n== {}. report {title}→ {}", i + 1, dir.display())?;
            }
            Step::Preview { year, out: dir } => {
                let (written, _) = ops::export_preview(wh, *year, dir, None).await.map_err(failed)?;
                writeln!(
                    out,
                    "\n== {}. preview sheets {title}→ {} ({} departments)",
                    i + 1,
                    dir.display(),
                    written.files.len()
                )?;
            }
            Step::Letters { date, out: dir } => {
                let written = ops::letters(wh, *date, dir, None).await.map_err(failed)?;
                let urge = written.letters.iter().filter(|l| l.kind == LetterKind::Urge).count();
                writeln!(
                    out,
                    "\n== {}. letters {title}→ {} ({} 便函, {urge} 督促函)",
                    i + 1,
                    dir.display(),
                    written.letters.len() - urge
                )?;
            }
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
pub async fn export(session: &Session, q: &str, to: &Path) -> Result<()> {
    let ctx = &session.ctx;
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
                .map(|f| {
                    session
                        .column_words(None, f.name())
                        .map_or_else(|| f.name().clone(), |(_, zh)| zh.to_string())
                })
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
