//! Query results on stdout or in a file: one `OutputFormat` enum, one `write_batches`.

use std::io::Write;
use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use unicode_width::UnicodeWidthStr;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for a terminal (Chinese text aligned by display width).
    #[default]
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
    /// Apache Parquet; needs `--out FILE`.
    Parquet,
}

/// Writes `batches` in `format` to a stream (Parquet needs a file: [`write_file`]).
pub fn write_batches(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<()> {
    if format == OutputFormat::Parquet {
        return Err(Error::Usage("--format parquet needs --out FILE".into()));
    }
    write_text(schema, batches, format, out)?;
    out.flush()?;
    Ok(())
}

/// Writes `batches` in `format` to a file.
pub fn write_file(schema: &SchemaRef, batches: &[RecordBatch], format: OutputFormat, path: &Path) -> Result<()> {
    if format == OutputFormat::Parquet {
        let file = fs_err::File::create(path)?;
        let fail =
            |e: datafusion::parquet::errors::ParquetError| Error::Usage(format!("writing `{}`: {e}", path.display()));
        let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).map_err(fail)?;
        for b in batches {
            writer.write(b).map_err(fail)?;
        }
        writer.close().map_err(fail)?;
        return Ok(());
    }
    let mut file = std::io::BufWriter::new(fs_err::File::create(path)?);
    write_text(schema, batches, format, &mut file)?;
    file.flush()?;
    Ok(())
}

fn write_text(schema: &SchemaRef, batches: &[RecordBatch], format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        OutputFormat::Table => out.write_all(format_table(schema, batches)?.as_bytes())?,
        OutputFormat::Csv => {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            if batches.is_empty() {
                w.write(&RecordBatch::new_empty(schema.clone()))?;
            }
            for b in batches {
                w.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut buf = Vec::new();
            {
                let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
                let refs: Vec<&RecordBatch> = batches.iter().collect();
                w.write_batches(&refs)?;
                w.finish()?;
            }
            if buf.is_empty() {
                buf.extend_from_slice(b"[]");
            }
            out.write_all(&buf)?;
            out.write_all(b"\n")?;
        }
        OutputFormat::Parquet => unreachable!("parquet is written to a file above"),
    }
    Ok(())
}

/// The cells of the batches as display strings (NULL as empty).
pub fn cell_strings(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for b in batches {
        let formatters = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for r in 0..b.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    Ok(rows)
}

/// A boxed table whose columns line up in a terminal: widths are display widths, so
/// 主管部门 counts as 8 columns, not 4.
pub fn format_table(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let rows = cell_strings(batches)?;
    let numeric: Vec<bool> = schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let rule = |l: char, m: char, r: char| {
        let mut s = String::new();
        s.push(l);
        for (i, w) in widths.iter().enumerate() {
            s.push_str(&"─".repeat(w + 2));
            s.push(if i + 1 == widths.len() { r } else { m });
        }
        s.push('\n');
        s
    };
    let line = |cells: &[String], right: &[bool]| {
        let mut s = String::from("│");
        for ((cell, w), r) in cells.iter().zip(&widths).zip(right) {
            let pad = " ".repeat(w - cell.width());
            if *r {
                s.push_str(&format!(" {pad}{cell} │"));
            } else {
                s.push_str(&format!(" {cell}{pad} │"));
            }
        }
        s.push('\n');
        s
    };
    let mut out = String::new();
    if header.is_empty() {
        return Ok(out);
    }
    out.push_str(&rule('┌', '┬', '┐'));
    out.push_str(&line(&header, &vec![false; header.len()]));
    out.push_str(&rule('├', '┼', '┤'));
    for row in &rows {
        out.push_str(&line(row, &numeric));
    }
    out.push_str(&rule('└', '┴', '┘'));
    out.push_str(&format!(
        "{} row{}\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    Ok(out)
}
