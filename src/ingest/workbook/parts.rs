//! The limits of one workbook checked where they can be before anything is built: part
//! sizes from the zip's directory, each cell as it is read.

use std::io::Cursor;

use super::{column_letter, Bytes, CellView};
use crate::error::{Error, Location, Result};
use crate::settings::Limits;

/// Refuses a workbook whose sheet or shared-strings part would inflate past the limits,
/// from the sizes the zip's directory declares (nothing is inflated).
pub(super) fn check_part_sizes<R: std::io::Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    parts: Option<&[(String, String)]>,
    loc: &Location,
    limits: &Limits,
) -> Result<()> {
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else { continue };
        let Ok(name) = entry.name().map(|n| n.to_string()) else {
            continue;
        };
        let size = entry.size();
        let (limit, limit_name, what) = if name == "xl/sharedStrings.xml" {
            (
                limits.shared_strings_bytes,
                "shared_strings_bytes",
                "its shared-strings table".to_string(),
            )
        } else if name == "content.xml" {
            (
                limits.sheet_bytes,
                "sheet_bytes",
                "its sheets (content.xml)".to_string(),
            )
        } else if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            let sheet = parts
                .and_then(|p| p.iter().find(|(_, part)| *part == name))
                .map_or_else(|| name.clone(), |(sheet, _)| format!("sheet {sheet}"));
            (limits.sheet_bytes, "sheet_bytes", sheet)
        } else {
            continue;
        };
        if size > limit {
            return Err(Error::workbook(
                loc.clone(),
                format!(
                    "{what} inflates to {size} bytes, more than the limit {limit_name} = {limit}; \
                     not read (raise it with --limit {limit_name}=… if the file is genuine)"
                ),
            ));
        }
    }
    Ok(())
}

/// A sheet part inflated, refused past the `sheet_bytes` limit.
pub(super) fn read_sheet_part(
    zip: &mut zip::ZipArchive<Cursor<Bytes>>,
    part: &str,
    limits: &Limits,
) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read as _;
    let limit = limits.sheet_bytes;
    let mut xml = Vec::new();
    zip.by_name(part)
        .map_err(|e| e.to_string())?
        .take(limit + 1)
        .read_to_end(&mut xml)
        .map_err(|e| e.to_string())?;
    if xml.len() as u64 > limit {
        return Err(format!("{part} inflates past the limit sheet_bytes = {limit}"));
    }
    Ok(xml)
}

/// The error for a cell beyond a limit.
fn over_limit(loc: &Location, r: u32, c: u32, what: String, limit_name: &str, limit: u64) -> Error {
    Error::workbook(
        Location {
            row: Some(r.saturating_add(1)),
            column: Some(column_letter(c)),
            ..loc.clone()
        },
        format!(
            "{what}, more than the limit {limit_name} = {limit}; the file is not loaded \
             (raise it with --limit {limit_name}=… if the file is genuine)"
        ),
    )
}

/// Checks one cell against the row, column and cell-length limits.
pub(super) fn check_cell(loc: &Location, limits: &Limits, r: u32, c: u32, view: &CellView<'_>) -> Result<()> {
    if r >= limits.rows {
        return Err(over_limit(
            loc,
            r,
            c,
            format!("a cell in row {}", r as u64 + 1),
            "rows",
            limits.rows as u64,
        ));
    }
    if c >= limits.columns {
        return Err(over_limit(
            loc,
            r,
            c,
            format!("a cell in column {}", c as u64 + 1),
            "columns",
            limits.columns as u64,
        ));
    }
    if let CellView::Text(t) = view {
        if t.len() > limits.cell_chars {
            let chars = t.chars().count();
            if chars > limits.cell_chars {
                return Err(over_limit(
                    loc,
                    r,
                    c,
                    format!("a cell of {chars} characters"),
                    "cell_chars",
                    limits.cell_chars as u64,
                ));
            }
        }
    }
    Ok(())
}
