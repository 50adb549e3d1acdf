//! The `ingest`, `inspect` and `rejects` commands: progress, summaries, fix-list export.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::load::{ingest_file, Outcome};
use super::{kind::Context, read_file, Options, Parsed, SheetReport};
use crate::cli::IngestArgs;
use crate::sql::{self, exec, print::OutputFormat};
use crate::warehouse::Warehouse;

fn progress_bar(file: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(None, target);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {human_pos} rows read ({per_sec})").expect("a valid template"),
    );
    pb.set_message(file.to_string());
    pb
}

pub async fn ingest(wh: &Warehouse, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let opts = Options {
        kind: args.kind,
        year: args.year,
        revision: args.revision,
    };
    let mut failed = 0;
    for path in &args.files {
        let shown = path.display().to_string();
        let pb = progress_bar(&shown);
        let result = ingest_file(wh, path, &opts, &|n| pb.set_position(n)).await;
        pb.finish_and_clear();
        match result {
            Ok(Outcome::AlreadyIngested { earlier }) => {
                println!("{shown}: already ingested (same bytes as {earlier}); nothing to do");
            }
            Ok(Outcome::Loaded {
                parsed,
                revision,
                version,
            }) => {
                let year = parsed.year.filter(|_| parsed.kind.needs_year());
                let what = match (year, revision) {
                    (Some(y), Some(r)) => format!("{} {y} revision {r}", parsed.kind.name()),
                    (Some(y), None) => format!("{} {y}", parsed.kind.name()),
                    _ => parsed.kind.name().to_string(),
                };
                println!("{shown}: {what} → warehouse version {version}");
                print_sheets(&parsed.sheets);
                println!(
                    "  total: {} loaded, {} rejected, {} skipped",
                    parsed.loaded(),
                    parsed.rejected(),
                    parsed.skipped()
                );
                if parsed.rejected() > 0 {
                    println!("  see the rejects: ceping rejects --file '{}'", parsed.workbook_name);
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
                eprintln!("  {shown}: not loaded; the warehouse is unchanged");
            }
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn skips(s: &SheetReport) -> String {
    let parts: Vec<String> = s
        .skipped
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{} {n}", k.label()))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn print_sheets(sheets: &[SheetReport]) {
    for s in sheets {
        match &s.ignored {
            Some(why) => println!("  sheet {}: not read, {why} ({} rows)", s.sheet, s.ignored_rows),
            None => println!(
                "  sheet {}: {} loaded, {} rejected, {} skipped{}",
                s.sheet,
                s.loaded,
                s.rejected,
                s.skipped_total(),
                skips(s)
            ),
        }
    }
}

/// `ceping inspect`: how the file would be read, without a warehouse.
pub fn inspect(path: &Path, kind: Option<&str>, max_rejects: usize) -> anyhow::Result<ExitCode> {
    let opts = Options {
        kind: kind.map(str::to_string),
        year: None,
        revision: Some(1),
    };
    let parsed: Parsed = read_file(path, &opts, &Context::default())?;
    println!(
        "{}: kind {}, year {}",
        parsed.workbook_name,
        parsed.kind.name(),
        parsed
            .year
            .map_or("unknown (pass --year to ingest)".into(), |y| y.to_string())
    );
    let fields = parsed.kind.fields();
    for s in &parsed.sheets {
        println!();
        println!("sheet {}", s.sheet);
        let Some(band) = &s.band else {
            println!("  not read: {}", s.ignored.as_deref().unwrap_or("no header"));
            continue;
        };
        let rows: Vec<String> = band.rows.iter().map(|r| (r + 1).to_string()).collect();
        println!(
            "  header: row {} ({} of {} fields named{})",
            rows.join("–"),
            band.score(),
            fields.len(),
            if band.rows.len() == 2 {
                "; a two-row band, group and sub-headers joined"
            } else {
                ""
            }
        );
        for (f, m) in fields.iter().zip(&band.by_field) {
            match m {
                Some(m) => println!(
                    "    {:<4} {} → {}{}",
                    super::workbook::column_letter(m.col),
                    m.header,
                    f.name,
                    m.unit.as_ref().map(|u| format!(" (unit {u})")).unwrap_or_default()
                ),
                None if f.required => println!(
                    "    ---- (no column) → {} — required: every row will be rejected",
                    f.name
                ),
                None => println!("    ---- (no column) → {}", f.name),
            }
        }
        for (c, h) in &band.unmapped {
            println!("    {:<4} {} → (not used)", super::workbook::column_letter(*c), h);
        }
        if let Some(d) = &s.department {
            println!("  department from the sheet name: {d}");
        }
        println!(
            "  merged regions: {}; cells filled from merges or the row above: {}",
            s.merged_regions, s.filled
        );
        println!(
            "  would load {} rows, reject {}, skip {}{}",
            s.loaded,
            s.rejected,
            s.skipped_total(),
            skips(s)
        );
        for r in parsed.rejects.iter().filter(|r| r.sheet == s.sheet).take(max_rejects) {
            println!("    row {}: {}", r.row, r.reason);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ceping rejects`: list them, or export one fix-list workbook per source file.
pub async fn rejects(
    wh: &Warehouse,
    file: Option<&str>,
    export: Option<&Path>,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let session = sql::session(wh, None).await?;
    let filter = file
        .map(|f| format!("WHERE source_file = '{}'", f.replace('\'', "''")))
        .unwrap_or_default();
    match export {
        None => {
            let q = format!("SELECT source_file, source_sheet, source_row, kind, reason FROM rejects {filter} ORDER BY source_file, source_sheet, source_row");
            exec::run_and_print(&session.ctx, &q, format, None).await?;
        }
        Some(dir) => {
            let written = crate::report::fixlist::export(&session.ctx, &filter, dir).await?;
            for (path, n) in written {
                println!("{}: {n} rows to correct", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
