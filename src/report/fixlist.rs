//! Fix-list workbooks (`ceping rejects --export DIR`): for each source file, its rejected
//! rows with their original cells under the original headers and the reason in a
//! highlighted column, for the unit to correct and resubmit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray};
use datafusion::prelude::SessionContext;
use rust_xlsxwriter::{Color, Format, Workbook};

use crate::error::{Error, Result};
use crate::sql::exec::{query, strings};

struct FixRow {
    sheet: String,
    row: i32,
    reason: String,
    raw: Vec<(String, String)>,
}

/// Writes one workbook per source file; returns each path with its row count.
pub async fn export(ctx: &SessionContext, filter: &str, dir: &Path) -> Result<Vec<(PathBuf, usize)>> {
    let q = format!("SELECT source_file, source_sheet, CAST(source_row AS INT) AS row_number, reason, raw_cells FROM rejects {filter} ORDER BY source_file, source_sheet, source_row");
    let (_, batches) = query(ctx, &q).await?;
    let mut by_file: BTreeMap<String, Vec<FixRow>> = BTreeMap::new();
    for b in &batches {
        let file = strings(b.column(0))?;
        let sheet = strings(b.column(1))?;
        let row = b.column(2).as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        let reason = strings(b.column(3))?;
        let raw = strings(b.column(4))?;
        for i in 0..b.num_rows() {
            let cells: Vec<[String; 2]> = if raw.is_null(i) {
                Vec::new()
            } else {
                serde_json::from_str(raw.value(i)).unwrap_or_default()
            };
            by_file.entry(file.value(i).to_string()).or_default().push(FixRow {
                sheet: sheet.value(i).to_string(),
                row: row.value(i),
                reason: reason.value(i).to_string(),
                raw: cells.into_iter().map(|[h, v]| (h, v)).collect(),
            });
        }
    }
    fs_err::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (file, rows) in by_file {
        let stem = Path::new(&file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(file.clone());
        let path = dir.join(format!("{stem}_待修改.xlsx"));
        write_one(&path, &file, &rows).map_err(|e| Error::Usage(format!("writing `{}`: {e}", path.display())))?;
        written.push((path, rows.len()));
    }
    Ok(written)
}

fn write_one(path: &Path, file: &str, rows: &[FixRow]) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    // Columns: every header seen, in first-seen order.
    let mut headers: Vec<String> = Vec::new();
    for r in rows {
        for (h, _) in &r.raw {
            if !headers.contains(h) {
                headers.push(h.clone());
            }
        }
    }
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("待修改")?;
    let bold = Format::new().set_bold().set_background_color(Color::RGB(0xD9E1F2));
    let reason_fmt = Format::new()
        .set_background_color(Color::RGB(0xFFEB9C))
        .set_font_color(Color::RGB(0x9C0006))
        .set_text_wrap();
    ws.write_string(0, 0, format!("{file} 中未能导入的行：请按“原因”列修改原表后重新报送"))?;
    let fixed = ["工作表", "行号", "原因"];
    for (i, h) in fixed
        .iter()
        .map(|s| s.to_string())
        .chain(headers.iter().cloned())
        .enumerate()
    {
        ws.write_string_with_format(1, i as u16, h, &bold)?;
    }
    for (n, r) in rows.iter().enumerate() {
        let at = n as u32 + 2;
        ws.write_string(at, 0, &r.sheet)?;
        ws.write_number(at, 1, r.row as f64)?;
        ws.write_string_with_format(at, 2, &r.reason, &reason_fmt)?;
        for (h, v) in &r.raw {
            let col = headers.iter().position(|x| x == h).expect("every header was collected") + fixed.len();
            ws.write_string(at, col as u16, v)?;
        }
    }
    ws.set_column_width(2, 50)?;
    ws.set_freeze_panes(2, 0)?;
    wb.save(path)
}
