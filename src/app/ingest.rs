//! Rendering of `ingest`, `inspect` and `rejects`: progress, summaries, fix-list export.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::IngestArgs;
use crate::ingest::{KindName, Options, Parsed, SheetReport};
use crate::ops::{self, Outcome};
use crate::settings::Limits;
use crate::sql::print::{write_batches, OutputFormat};
use crate::warehouse::Warehouse;

/// A spinner per file on a terminal; nothing when stderr is piped.
struct Bar(Mutex<Option<ProgressBar>>);

impl ops::Progress for Bar {
    fn file(&self, path: &Path) {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let pb = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}: {human_pos} rows read ({per_sec})") {
            pb.set_style(style);
        }
        pb.set_message(path.display().to_string());
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(pb);
        }
    }
    fn rows(&self, n: u64) {
        if let Ok(slot) = self.0.lock() {
            if let Some(pb) = slot.as_ref() {
                pb.set_position(n);
            }
        }
    }
    fn done(&self) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(pb) = slot.take() {
                pb.finish_and_clear();
            }
        }
    }
}

pub async fn ingest(wh: &Warehouse, args: IngestArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let req = ops::IngestRequest {
        files: args.files,
        options: Options {
            kind: args.kind,
            year: args.year,
            revision: args.revision,
            accept_rejects: args.accept_rejects,
        },
        wait: std::time::Duration::from_secs_f64(args.wait.max(0.0)),
    };
    let mut failed = 0;
    for r in ops::ingest(wh, &req, &Bar(Mutex::new(None))).await? {
        let shown = r.path.display().to_string();
        match r.outcome {
            Ok(Outcome::AlreadyIngested { earlier }) => {
                writeln!(
                    out,
                    "{shown}: already ingested (same bytes as {earlier}); nothing to do"
                )?;
            }
            Ok(Outcome::Loaded {
                parsed,
                revision,
                version,
                carried,
            }) => {
                let year = parsed.year.filter(|_| parsed.kind.needs_year());
                let what = match (year, revision) {
                    (Some(y), Some(r)) => format!("{} {y} revision {r}", parsed.kind.name()),
                    (Some(y), None) => format!("{} {y}", parsed.kind.name()),
                    _ => parsed.kind.name().to_string(),
                };
                writeln!(out, "{shown}: {what} → warehouse version {version}")?;
                if let (Some(departments), Some((n, from))) = (parsed.returned_departments(), carried) {
                    writeln!(
                        out,
                        "  a department's return ({}): its rows replace its rows of revision {from}; {n} rows of the other departments carried over",
                        departments.join("、")
                    )?;
                }
                print_sheets(&parsed.sheets, out)?;
                writeln!(
                    out,
                    "  total: {} loaded, {} rejected, {} skipped",
                    parsed.loaded(),
                    parsed.rejected(),
                    parsed.skipped()
                )?;
                if let Some((c, n)) = parsed.companion {
                    writeln!(
                        out,
                        "  also {n} rows of {} ({}) from its {} columns: they fill in, never blank, what it holds",
                        c.table().name,
                        c.table().label,
                        c.table().label
                    )?;
                }
                if parsed.rejected() > 0 {
                    writeln!(
                        out,
                        "  see the rejects: ceping rejects --file '{}'",
                        parsed.workbook_name
                    )?;
                }
            }
            Err(e) => {
                failed += 1;
                out.flush()?;
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

/// The table of the companion a file's sheets were also read for (`inspect` shows its
/// columns as `systems.cii`).
fn companion_table(parsed: &Parsed) -> Option<&'static str> {
    crate::ingest::kinds::companion_of(parsed.kind).map(|c| c.table().name)
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

fn print_sheets(sheets: &[SheetReport], out: &mut dyn Write) -> std::io::Result<()> {
    for s in sheets {
        match &s.ignored {
            Some(why) => writeln!(out, "  sheet {}: not read, {why} ({} rows)", s.sheet, s.ignored_rows)?,
            None => writeln!(
                out,
                "  sheet {}: {} loaded, {} rejected, {} skipped{}",
                s.sheet,
                s.loaded,
                s.rejected,
                s.skipped_total(),
                skips(s)
            )?,
        }
    }
    Ok(())
}

/// `ceping inspect`: how the file would be read, without a warehouse.
pub fn inspect(
    path: &Path,
    kind: Option<KindName>,
    max_rejects: usize,
    limits: &Limits,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let parsed: Parsed = ops::inspect(path, kind, limits)?;
    writeln!(
        out,
        "{}: kind {}, year {}",
        parsed.workbook_name,
        parsed.kind.name(),
        parsed
            .year
            .map_or("unknown (pass --year to ingest)".into(), |y| y.to_string())
    )?;
    let fields = parsed.fields;
    let own = parsed.kind.fields().len();
    for s in &parsed.sheets {
        writeln!(out)?;
        writeln!(out, "sheet {}", s.sheet)?;
        let Some(band) = &s.band else {
            writeln!(out, "  not read: {}", s.ignored.as_deref().unwrap_or("no header"))?;
            continue;
        };
        let rows: Vec<String> = band.rows.iter().map(|r| (r + 1).to_string()).collect();
        writeln!(
            out,
            "  header: row {} ({} of {} fields named{})",
            rows.join("–"),
            band.by_field[..own.min(band.by_field.len())].iter().flatten().count(),
            own,
            if band.rows.len() == 2 {
                "; a two-row band, group and sub-headers joined"
            } else {
                ""
            }
        )?;
        for (i, (f, m)) in fields.iter().zip(&band.by_field).enumerate() {
            // (The companion's own columns are listed only when the sheet has them.)
            if i >= own && m.is_none() {
                continue;
            }
            let name = match companion_table(&parsed).filter(|_| i >= own) {
                Some(table) => format!("{table}.{}", f.name),
                None => f.name.to_string(),
            };
            match m {
                Some(m) => writeln!(
                    out,
                    "    {:<4} {} → {}{}",
                    crate::ingest::workbook::column_letter(m.col),
                    m.header,
                    name,
                    m.unit.as_ref().map(|u| format!(" (unit {u})")).unwrap_or_default()
                )?,
                None if f.required => writeln!(
                    out,
                    "    ---- (no column) → {name} — required: every row will be rejected"
                )?,
                None => writeln!(out, "    ---- (no column) → {name}")?,
            }
        }
        for (c, h) in &band.unmapped {
            writeln!(
                out,
                "    {:<4} {} → (not used)",
                crate::ingest::workbook::column_letter(*c),
                h
            )?;
        }
        match (&s.department, s.department_line) {
            (Some(d), true) => writeln!(
                out,
                "  department from the line 主管部门：{d} above the header (a department's return: it revises only {d}'s rows)"
            )?,
            (Some(d), false) => writeln!(out, "  department from the sheet name: {d}")?,
            (None, _) => {}
        }
        writeln!(
            out,
            "  merged regions: {}; cells filled from merges or the row above: {}",
            s.merged_regions, s.filled
        )?;
        writeln!(
            out,
            "  would load {} rows, reject {}, skip {}{}",
            s.loaded,
            s.rejected,
            s.skipped_total(),
            skips(s)
        )?;
        for (column, (n, why)) in &s.rejected_by_column {
            writeln!(out, "  rejected for column {column}: {n} rows (first: {why})")?;
        }
        if let Some((column, n, _)) = s.mostly_rejected() {
            writeln!(
                out,
                "  WARNING: {n} of {} data rows would be rejected for column {column}: is the header row right? \
                 `ceping ingest` stops here unless given --accept-rejects",
                s.loaded + s.rejected
            )?;
        }
        for r in parsed.rejects.iter().filter(|r| r.sheet == s.sheet).take(max_rejects) {
            writeln!(out, "    row {}: {}", r.row, r.reason)?;
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
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match export {
        None => {
            let (schema, batches) = ops::rejects(wh, file).await?;
            write_batches(&schema, &batches, format, out)?;
        }
        Some(dir) => {
            for (path, n) in ops::export_fixlists(wh, file, dir).await? {
                writeln!(out, "{}: {n} rows to correct", path.display())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
