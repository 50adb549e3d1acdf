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
    write_text(schema, batches, format, out, terminal_width())?;
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
    write_text(schema, batches, format, &mut file, None)?;
    file.flush()?;
    Ok(())
}

fn write_text(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
    out: &mut dyn Write,
    width: Option<usize>,
) -> Result<()> {
    match format {
        OutputFormat::Table => out.write_all(format_table_width(schema, batches, width)?.as_bytes())?,
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

/// The width to fit table output to: `COLUMNS` when set, else the terminal's when stdout
/// is one; `None` (no wrapping) for pipes and files.
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return (n > 0).then_some(n);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize)
}

/// Breaks `text` into lines of at most `width` display columns: between words, or between
/// any two characters of Chinese text; a word longer than a line is cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut tokens: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in paragraph.chars() {
            if c == ' ' {
                if !word.is_empty() {
                    tokens.push(std::mem::take(&mut word));
                }
                tokens.push(" ".into());
            } else if c.to_string().width() > 1 {
                if !word.is_empty() {
                    tokens.push(std::mem::take(&mut word));
                }
                tokens.push(c.to_string());
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            tokens.push(word);
        }
        let mut line = String::new();
        for token in tokens {
            if token == " " && line.is_empty() {
                continue;
            }
            if line.width() + token.width() > width {
                if !line.trim_end().is_empty() {
                    lines.push(line.trim_end().to_string());
                }
                line = String::new();
                if token == " " {
                    continue;
                }
                // A word longer than the line: cut it.
                let mut piece = String::new();
                for c in token.chars() {
                    if piece.width() + c.to_string().width() > width && !piece.is_empty() {
                        lines.push(std::mem::take(&mut piece));
                    }
                    piece.push(c);
                }
                line = piece;
                continue;
            }
            line.push_str(&token);
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Column widths that fit `max` display columns in all (borders included): columns
/// narrower than their fair share keep their width, the others share the rest.
fn fit_widths(natural: &[usize], max: usize) -> Vec<usize> {
    let borders = 3 * natural.len() + 1;
    let total: usize = natural.iter().sum::<usize>() + borders;
    if total <= max || natural.is_empty() {
        return natural.to_vec();
    }
    const MIN: usize = 6;
    let mut avail = max.saturating_sub(borders);
    let mut widths = vec![0; natural.len()];
    let mut open: Vec<usize> = (0..natural.len()).collect();
    loop {
        let fair = (avail / open.len().max(1)).max(MIN);
        let (fits, rest): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&i| natural[i] <= fair);
        if fits.is_empty() {
            for (k, &i) in rest.iter().enumerate() {
                // The remainder goes to the first columns.
                let extra = usize::from(k < avail.saturating_sub(fair * rest.len()));
                widths[i] = if fair * rest.len() > avail { fair } else { fair + extra };
            }
            return widths;
        }
        for &i in &fits {
            widths[i] = natural[i];
            avail = avail.saturating_sub(natural[i]);
        }
        open = rest;
        if open.is_empty() {
            return widths;
        }
    }
}

/// A boxed table whose columns line up in a terminal: widths are display widths, so
/// 主管部门 counts as 8 columns, not 4.
pub fn format_table(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    format_table_width(schema, batches, terminal_width())
}

/// [`format_table`] fitted to `max` display columns: long cells wrap onto more lines.
pub fn format_table_width(schema: &SchemaRef, batches: &[RecordBatch], max: Option<usize>) -> Result<String> {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    // Control characters would act on the terminal: shown escaped.
    let rows: Vec<Vec<String>> = cell_strings(batches)?
        .into_iter()
        .map(|r| r.into_iter().map(|c| escape_controls(&c)).collect())
        .collect();
    let numeric: Vec<bool> = schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
    let mut natural: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &rows {
        for (w, cell) in natural.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let widths = match max {
        Some(m) => fit_widths(&natural, m),
        None => natural,
    };
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
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| if c.width() <= *w { vec![c.clone()] } else { wrap(c, *w) })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let mut s = String::new();
        for k in 0..height {
            s.push('│');
            for ((lines, w), r) in wrapped.iter().zip(&widths).zip(right) {
                let cell = lines.get(k).map(String::as_str).unwrap_or("");
                let pad = " ".repeat(w.saturating_sub(cell.width()));
                if *r {
                    s.push_str(&format!(" {pad}{cell} │"));
                } else {
                    s.push_str(&format!(" {cell}{pad} │"));
                }
            }
            s.push('\n');
        }
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

/// C0 controls (except tab and newline), DEL and bidirectional overrides as `\u{…}`, so a
/// cell cannot move the cursor, clear the screen or reorder what is shown.
pub fn escape_controls(s: &str) -> String {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if bad(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_words_and_chinese_by_display_width() {
        assert_eq!(
            wrap("the current plan of every year", 12),
            vec!["the current", "plan of", "every year"]
        );
        assert_eq!(wrap("测评计划预告覆盖情况", 8), vec!["测评计划", "预告覆盖", "情况"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        for line in wrap("每年 current plan 的最高版次 highest revision", 10) {
            assert!(line.width() <= 10, "{line}");
        }
    }

    #[test]
    fn widths_fit_the_terminal() {
        assert_eq!(fit_widths(&[4, 5], 80), vec![4, 5]);
        let w = fit_widths(&[10, 4, 300], 80);
        assert_eq!(w.iter().sum::<usize>() + 3 * 3 + 1, 80, "{w:?}");
        assert_eq!(&w[..2], &[10, 4]);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("市\u{1b}[2J教委\u{202e}"), "市\\u{1b}[2J教委\\u{202e}");
        assert_eq!(escape_controls("普通\t文本"), "普通\t文本");
    }
}
