//! The command-line front end: one function per command that resolves arguments, calls
//! the operations layer ([`crate::ops`]) and renders the result on stdout.

mod access;
mod ingest;
mod repl;
mod serve;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use crate::cli::{Cli, Command, SqlArgs};
use crate::ops;
use crate::settings::{Flags, Settings};
use crate::sql::print::{write_batches, write_file, OutputFormat};
use crate::sql::{self, exec};
use crate::warehouse::Warehouse;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = run_to(cli, &mut out).await?;
    out.flush()?;
    Ok(code)
}

/// The settings of this run: flags, environment, `<warehouse>/ceping.toml`.
fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    Settings::resolve(Flags {
        warehouse: cli.warehouse.clone(),
        limits: cli.limits.clone(),
        memory_limit: cli.memory_limit,
        access_dir: cli.access_dir.clone(),
    })
    .map_err(anyhow::Error::msg)
}

async fn run_to(cli: Cli, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let settings = Arc::new(settings(&cli)?);
    // `inspect` reads only the workbook: it must not create a warehouse as a side effect.
    if let Command::Inspect { file, kind, rejects } = &cli.command {
        return ingest::inspect(file, *kind, *rejects, &settings.limits, out);
    }
    let wh = ops::open(settings).await?;
    match cli.command {
        Command::Init => {
            writeln!(out, "warehouse `{}` ready (version {})", wh.root(), wh.version().await?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tables { format } => {
            let (schema, batches) = ops::tables(&wh)?;
            write_batches(&schema, &batches, format, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe { name, format } => {
            let ((schema, batches), doc) = ops::describe(&wh, &name).await?;
            if let (OutputFormat::Table, Some((kind, label, doc))) = (format, doc) {
                writeln!(out, "{kind} {name} ({label})")?;
                for line in sql::print::wrap(&doc, sql::print::terminal_width().unwrap_or(100)) {
                    writeln!(out, "  {line}")?;
                }
                writeln!(out)?;
            }
            write_batches(&schema, &batches, format, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sql(args) => run_sql(&wh, args, out).await,
        Command::Serve(args) => serve::run(&wh, args).await,
        Command::User { action } => access::user(&wh, action, out).await,
        Command::Audit {
            user,
            since,
            event,
            refused,
            last,
            format,
        } => access::audit(
            &wh,
            access::AuditFilter {
                user,
                since,
                event,
                refused,
                last,
            },
            format,
            out,
        ),
        Command::History { format } => {
            let (schema, batches) = ops::history(&wh).await?;
            write_batches(&schema, &batches, format, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { pipeline } => {
            crate::pipeline::run(&wh, &pipeline, out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace(t) => {
            let req = ops::TraceRequest {
                view: t.view,
                filters: sql::trace::Filters {
                    year: t.year,
                    quarter: t.quarter,
                    department: t.department,
                    unit: t.unit,
                    date: t.date,
                },
                as_of: t.as_of,
            };
            let (schema, batches) = ops::trace(&wh, &req).await?;
            write_batches(&schema, &batches, t.format, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(r) => {
            let req = ops::ReportRequest {
                kind: r.kind,
                year: r.year,
                quarter: r.quarter,
                as_of: r.as_of,
                lang: r.lang,
                out: r.out.clone(),
            };
            let written = ops::report(&wh, &req).await?;
            writeln!(
                out,
                "report written to {} ({} files, warehouse version {})",
                r.out.display(),
                written.files.len(),
                written.warehouse_version
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what: crate::cli::ExportWhat::Preview { year, out: dir, as_of },
        } => {
            let (written, version) = ops::export_preview(&wh, year, &dir, as_of.as_ref()).await?;
            for (path, department, n) in &written.files {
                writeln!(out, "{}: {department}, {n} systems", path.display())?;
            }
            writeln!(
                out,
                "{} preview sheets of the {year} plan (revision {}, warehouse version {version}) written to {}",
                written.files.len(),
                written.revision,
                dir.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Letters { date, out: dir, as_of } => {
            let written = ops::letters(&wh, date, &dir, as_of.as_ref()).await?;
            for l in &written.letters {
                writeln!(
                    out,
                    "{}: {} to {} ({} systems behind, up to {} days late)",
                    l.file.display(),
                    l.title(),
                    l.unit,
                    l.systems.len(),
                    l.days_late()
                )?;
            }
            let urge = written
                .letters
                .iter()
                .filter(|l| l.kind == crate::report::letters::LetterKind::Urge)
                .count();
            writeln!(
                out,
                "{} letters due on {date} ({} 便函, {urge} 督促函; warehouse version {}); index: {}",
                written.letters.len(),
                written.letters.len() - urge,
                written.warehouse_version,
                written.index.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Views {
            dialect,
            as_of,
            date,
            files,
        } => {
            write!(
                out,
                "{}",
                ops::views_script(&wh, dialect.into(), as_of.as_ref(), date, files).await?
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { from, to, view } => {
            write!(out, "{}", ops::diff(&wh, &from, to.as_ref(), &view).await?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { repair, wait, format } => check(&wh, repair, wait, format, out).await,
        Command::Optimize {
            retention_hours,
            no_vacuum,
            wait,
        } => {
            let retention = (!no_vacuum).then(|| std::time::Duration::from_secs_f64(retention_hours.max(0.0) * 3600.0));
            let done = ops::optimize(&wh, retention, std::time::Duration::from_secs_f64(wait.max(0.0))).await?;
            for (table, before, after) in &done.compacted {
                writeln!(out, "{table}: {before} data files → {after}")?;
            }
            if done.compacted.is_empty() {
                writeln!(out, "nothing to compact (every table holds at most one data file)")?;
            }
            if let Some(vacuumed) = &done.vacuumed {
                let n: usize = vacuumed.iter().map(|(_, n)| n).sum();
                writeln!(
                    out,
                    "vacuum: {n} data files no version of the last {retention_hours} h needs deleted"
                )?;
            }
            writeln!(out, "warehouse version {}", done.version)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest(args) => ingest::ingest(&wh, args, out).await,
        Command::Inspect { .. } => unreachable!("handled before the warehouse is opened"),
        Command::Rejects { file, export, format } => {
            ingest::rejects(&wh, file.as_deref(), export.as_deref(), format, out).await
        }
    }
}

/// `ceping check [--repair]`: exit 0 when the warehouse is consistent (or was repaired),
/// 2 when it needs `--repair`, 1 when it has problems repair cannot fix.
async fn check(
    wh: &Warehouse,
    repair: bool,
    wait: f64,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let result = ops::check(wh, repair, std::time::Duration::from_secs_f64(wait.max(0.0))).await?;
    let render = |report: &crate::warehouse::check::Report, out: &mut dyn Write| -> anyhow::Result<()> {
        let rows = report
            .findings
            .iter()
            .map(|f| {
                vec![
                    f.table.clone(),
                    f.check.to_string(),
                    if f.ok {
                        "ok"
                    } else if f.repairable {
                        "REPAIR"
                    } else {
                        "PROBLEM"
                    }
                    .to_string(),
                    f.detail.clone(),
                ]
            })
            .collect();
        let (schema, batches) = exec::string_batch(&["table", "check", "status", "detail"], rows)?;
        write_batches(&schema, &batches, format, out)?;
        Ok(())
    };
    render(&result.before, out)?;
    let last = match &result.repaired {
        None => &result.before,
        Some((done, after)) => {
            for (table, from, to) in &done.restored {
                writeln!(
                    out,
                    "repaired: {table} put back from Delta version {from} to the recorded {to}"
                )?;
            }
            for f in &done.removed_files {
                writeln!(out, "repaired: removed unreferenced data file {f}")?;
            }
            writeln!(out, "after repair:")?;
            render(after, out)?;
            after
        }
    };
    let summary = if last.clean() {
        (
            format!("warehouse version {}: consistent", last.version),
            ExitCode::SUCCESS,
        )
    } else if last.only_columns_missing() {
        (
            format!("warehouse version {}: made by an earlier ceping, its tables lack the columns added since; the next ingest or `ceping check --repair` adds them (reads already see them as nulls)", last.version),
            ExitCode::from(2),
        )
    } else if last.repairable() {
        (
            format!("warehouse version {}: an interrupted ingest left data to undo; run `ceping check --repair` (the next ingest also does it)", last.version),
            ExitCode::from(2),
        )
    } else {
        (
            format!(
                "warehouse version {}: problems that repair cannot fix (see above)",
                last.version
            ),
            ExitCode::FAILURE,
        )
    };
    if format == OutputFormat::Table {
        writeln!(out, "{}", summary.0)?;
    } else {
        out.flush()?;
        eprintln!("{}", summary.0);
    }
    Ok(summary.1)
}

async fn run_sql(wh: &Warehouse, args: SqlArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let session = sql::session(wh, args.as_of.as_ref()).await?;
    let text = match (&args.query, &args.file) {
        (Some(q), _) => Some(q.clone()),
        (None, Some(f)) => Some(fs_err::read_to_string(f).context("reading the SQL file")?),
        (None, None) => None,
    };
    match text {
        Some(sql_text) => {
            let mut results = ops::query(&session, &sql_text).await?;
            // With --out, only the last statement's result goes to the file.
            let last = match (&args.out, results.pop()) {
                (Some(path), Some((schema, batches))) => Some((path, schema, batches)),
                (None, Some(r)) => {
                    results.push(r);
                    None
                }
                (_, None) => None,
            };
            for (schema, batches) in &results {
                write_batches(schema, batches, args.format, out)?;
            }
            if let Some((path, schema, batches)) = last {
                write_file(&schema, &batches, args.format, path)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let ok = repl::run(&session, args.format).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
