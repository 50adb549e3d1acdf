//! One function per command: resolve arguments, call the library, print.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{Cli, Command, SqlArgs};
use crate::sql::{self, exec};
use crate::warehouse::Warehouse;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `inspect` reads only the workbook: it must not create a warehouse as a side effect.
    if let Command::Inspect { file, kind, rejects } = &cli.command {
        return crate::ingest::cli::inspect(file, kind.as_deref(), *rejects);
    }
    let wh = Warehouse::open_or_create(&cli.warehouse).await?;
    match cli.command {
        Command::Init => {
            println!(
                "warehouse `{}` ready (version {})",
                wh.root().display(),
                wh.version().await?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Tables { format } => {
            exec::print_listing(exec::list_tables()?, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Describe { name, format } => {
            let session = sql::session(&wh, None).await?;
            exec::print_listing(exec::describe(&session, &name).await?, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sql(args) => run_sql(&wh, args).await,
        Command::History { format } => {
            let session = sql::session(&wh, None).await?;
            let q = "SELECT warehouse_version AS version, loaded_at, file_name, kind, year, revision, \
                     rows_loaded, rows_rejected, rows_skipped FROM ingest_log ORDER BY warehouse_version";
            exec::run_and_print(&session.ctx, q, format, None).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { pipeline } => {
            crate::pipeline::run(&wh, &pipeline).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Trace(t) => {
            let session = sql::session(&wh, t.as_of.as_ref()).await?;
            let filters = sql::trace::Filters {
                year: t.year,
                quarter: t.quarter,
                department: t.department,
                unit: t.unit,
                date: t.date,
            };
            let (schema, batches) = sql::trace::trace(&session, &t.view, &filters).await?;
            sql::print::write_batches(&schema, &batches, t.format, None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(r) => {
            let scope = match (r.kind, r.quarter) {
                (crate::cli::ReportKind::Quarterly, Some(quarter)) => {
                    crate::report::Scope::Quarterly { year: r.year, quarter }
                }
                (crate::cli::ReportKind::Quarterly, None) => anyhow::bail!("a quarterly report needs --quarter 1–4"),
                (crate::cli::ReportKind::Briefing, _) => crate::report::Scope::Briefing { year: r.year },
            };
            let session = sql::session(&wh, r.as_of.as_ref()).await?;
            let files = crate::report::write(&session, scope, r.lang, &r.out).await?;
            println!(
                "report written to {} ({} files, warehouse version {})",
                r.out.display(),
                files.len(),
                session.warehouse_version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { from, to, view } => {
            let to = match to {
                Some(t) => t,
                None => crate::warehouse::AsOf::Version(wh.version().await?),
            };
            print!("{}", crate::report::diff::diff(&wh, &from, &to, &view).await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest(args) => crate::ingest::cli::ingest(&wh, args).await,
        Command::Inspect { .. } => unreachable!("handled before the warehouse is opened"),
        Command::Rejects { file, export, format } => {
            crate::ingest::cli::rejects(&wh, file.as_deref(), export.as_deref(), format).await
        }
    }
}

async fn run_sql(wh: &Warehouse, args: SqlArgs) -> anyhow::Result<ExitCode> {
    let session = sql::session(wh, args.as_of.as_ref()).await?;
    let text = match (&args.query, &args.file) {
        (Some(q), _) => Some(q.clone()),
        (None, Some(f)) => Some(fs_err::read_to_string(f).context("reading the SQL file")?),
        (None, None) => None,
    };
    match text {
        Some(sql_text) => {
            exec::run_and_print(&session.ctx, &sql_text, args.format, args.out.as_deref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let ok = sql::repl::run(&session, args.format).await?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
