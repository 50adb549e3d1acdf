//! Query results as worksheets: numbers stay numbers, yuan get a money format, dates a date
//! format, the header row is frozen. The workbook's creation time is fixed, so the same
//! data gives the same bytes (pipelines and `--as-of` reports are reproducible).

use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, SchemaRef};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::error::{Error, Result};

/// One sheet's content.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: Vec<String>,
    pub schema: SchemaRef,
    pub batches: &'a [RecordBatch],
}

/// A sheet of text: one line a row, with a second column (a report's prose and the views
/// each sentence's figures come from).
pub struct TextSheet<'a> {
    pub name: &'a str,
    pub header: [&'a str; 2],
    pub rows: Vec<(String, String)>,
}

/// Writes the sheets to `path`.
pub fn save(path: &Path, sheets: &[Sheet<'_>]) -> Result<()> {
    save_with_text(path, None, sheets)
}

/// Writes a text sheet first, then the sheets, to `path`.
pub fn save_with_text(path: &Path, text: Option<&TextSheet<'_>>, sheets: &[Sheet<'_>]) -> Result<()> {
    build(text, sheets)
        .and_then(|mut wb| wb.save(path))
        .map_err(|e| Error::output(path, e))
}

fn build(text: Option<&TextSheet<'_>>, sheets: &[Sheet<'_>]) -> std::result::Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&fixed));
    if let Some(t) = text {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(t.name))?;
        let bold = Format::new()
            .set_bold()
            .set_background_color(rust_xlsxwriter::Color::RGB(0xD9E1F2));
        let wrap = Format::new().set_text_wrap();
        ws.write_string_with_format(0, 0, t.header[0], &bold)?;
        ws.write_string_with_format(0, 1, t.header[1], &bold)?;
        ws.set_column_width(0, 100)?;
        ws.set_column_width(1, 40)?;
        for (i, (line, note)) in t.rows.iter().enumerate() {
            ws.write_string_with_format(i as u32 + 1, 0, line, &wrap)?;
            ws.write_string(i as u32 + 1, 1, note)?;
        }
    }
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(sheet.name))?;
        write_sheet(ws, sheet)?;
    }
    Ok(wb)
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet<'_>) -> std::result::Result<(), XlsxError> {
    let header = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xD9E1F2))
        .set_text_wrap();
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &header)?;
    }
    let mut row = 1u32;
    for b in sheet.batches {
        for (c, col) in b.columns().iter().enumerate() {
            let c = c as u16;
            for i in 0..b.num_rows() {
                let r = row + i as u32;
                if col.is_null(i) {
                    continue;
                }
                match col.data_type() {
                    DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
                    | DataType::UInt32
                    | DataType::UInt64
                    | DataType::Float32
                    | DataType::Float64 => {
                        let v = datafusion::arrow::compute::cast(&col.slice(i, 1), &DataType::Float64)
                            .map_err(|e| XlsxError::ParameterError(e.to_string()))?;
                        ws.write_number(r, c, v.as_primitive::<Float64Type>().value(0))?;
                    }
                    DataType::Decimal128(_, scale) => {
                        let v = col
                            .as_primitive::<datafusion::arrow::datatypes::Decimal128Type>()
                            .value(i);
                        // Yuan to the fen is exact in an f64 below 2^53 fen (90 trillion yuan).
                        ws.write_number_with_format(r, c, v as f64 / 10f64.powi(*scale as i32), &money)?;
                    }
                    DataType::Date32 => {
                        let days = col.as_primitive::<Date32Type>().value(i);
                        let d = Date32Type::to_naive_date_opt(days);
                        if let Some(d) = d {
                            use chrono::Datelike;
                            let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                            ws.write_date_with_format(r, c, &x, &date)?;
                        }
                    }
                    DataType::Boolean => {
                        ws.write_boolean(r, c, col.as_boolean().value(i))?;
                    }
                    _ => {
                        let v = datafusion::arrow::compute::cast(&col.slice(i, 1), &DataType::Utf8)
                            .map_err(|e| XlsxError::ParameterError(e.to_string()))?;
                        ws.write_string(r, c, v.as_string::<i32>().value(0))?;
                    }
                }
            }
        }
        row += b.num_rows() as u32;
    }
    ws.set_freeze_panes(1, 0)?;
    for c in 0..sheet.headers.len() {
        ws.set_column_width(c as u16, 14)?;
    }
    Ok(())
}
