//! The I/O edge of ingestion: opens a file as a workbook and streams each sheet's rows as
//! sparse cells: .xlsx with ceping's own streaming reader (`ingest::xlsx`), .xls and .ods
//! with calamine. Nothing here interprets content.
//!
//! (Long, ~670 lines: calamine's .xlsx path stays beside ceping's as the reference the
//! differential test reads every file with, with its repeated-name and error-value
//! workarounds; it goes when calamine's reader is no longer the yardstick.)

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use calamine::{Data, DataRef, Dimensions, Ods, Reader, Xls, Xlsx};
use sha2::{Digest, Sha256};

mod chunk;
mod names;
mod parts;

use chunk::Packed;
pub use chunk::RowChunk;
use names::distinct_sheet_names;
use names::{replace_bytes, replace_part};
use parts::{check_cell, check_part_sizes, read_sheet_part};

use super::cells::is_blank;
pub use super::cells::{column_letter, Cell, MergedRegion, Row};
use super::normalize::excel_serial;
use super::xlsx;
use crate::error::{Error, Location, Result};
use crate::settings::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
}

/// The file's bytes, shared by calamine and the merged-region scan.
#[derive(Clone)]
struct Bytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

enum Inner {
    /// ceping's reader: every limit enforced while the sheet streams.
    Xlsx(Box<xlsx::Package<Cursor<Bytes>>>),
    /// calamine's .xlsx reader, kept as the reference the differential test compares
    /// ceping's with ([`Workbook::open_with_calamine`]).
    Calamine {
        reader: Box<Xlsx<Cursor<Bytes>>>,
        zip: Box<zip::ZipArchive<Cursor<Bytes>>>,
        /// Sheet name → part path, when the package resolves the usual way.
        parts: Option<Vec<(String, String)>>,
    },
    Xls(Box<Xls<Cursor<Bytes>>>),
    Ods(Box<Ods<Cursor<Bytes>>>),
}

pub struct Workbook {
    /// The file name as given on the command line (lineage `source_file`).
    pub name: String,
    pub sha256: String,
    pub format: Format,
    pub is_1904: bool,
    inner: Inner,
    /// The sheets in workbook order, as ceping names them: a sheet that repeats an
    /// earlier sheet's name (Excel refuses that, a crafted file can hold it) is
    /// `NAME (sheet N)`, read by its position.
    sheets: Vec<String>,
    /// The names the cell reader knows the sheets by, in the same order (ceping's names
    /// except for repeats in an .xls file).
    reader_names: Vec<String>,
    /// The file's bytes as the reader holds them.
    bytes: Bytes,
    /// What this file may make ceping do.
    limits: Limits,
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl Workbook {
    /// Reads and opens a workbook. Errors name the file and say what it is instead.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self> {
        let name = path
            .file_name()
            .map_or_else(|| path.display().to_string(), file_name_text);
        let loc = Location {
            file: name.clone(),
            ..Default::default()
        };
        let bytes =
            fs_err::read(path).map_err(|e| Error::workbook(loc.clone(), format!("cannot read the file: {e}")))?;
        Self::from_bytes(name, bytes, limits)
    }

    pub fn from_bytes(name: String, bytes: Vec<u8>, limits: &Limits) -> Result<Self> {
        Self::from_bytes_with(name, bytes, limits, false)
    }

    /// Opens an .xlsx with calamine's reader instead of ceping's: the reference the
    /// differential test (tests/it/sheet_reader.rs) compares every cell with.
    #[doc(hidden)]
    pub fn open_with_calamine(path: &Path, limits: &Limits) -> Result<Self> {
        let name = path
            .file_name()
            .map_or_else(|| path.display().to_string(), file_name_text);
        let bytes = fs_err::read(path).map_err(|e| Error::Internal(e.to_string()))?;
        Self::from_bytes_with(name, bytes, limits, true)
    }

    fn from_bytes_with(name: String, bytes: Vec<u8>, limits: &Limits, calamine: bool) -> Result<Self> {
        let loc = Location {
            file: name.clone(),
            ..Default::default()
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        if bytes.is_empty() {
            return Err(Error::workbook(loc, "the file is empty (0 bytes), not a workbook"));
        }
        let format = if bytes.starts_with(b"PK\x03\x04") {
            if is_ods(&bytes) {
                Format::Ods
            } else {
                Format::Xlsx
            }
        } else if bytes.starts_with(&CFB_MAGIC) {
            if contains_utf16(&bytes, "EncryptedPackage") {
                return Err(Error::workbook(
                    loc,
                    "the workbook is encrypted (password-protected); save an unprotected copy and ingest that",
                ));
            }
            Format::Xls
        } else {
            let head = &bytes[..bytes.len().min(4096)];
            let text =
                std::str::from_utf8(head).is_ok() || std::str::from_utf8(&head[..head.len().saturating_sub(3)]).is_ok();
            let what = if text {
                "a text file (CSV or similar); open it in Excel or WPS and save it as .xlsx"
            } else {
                "an unknown binary file"
            };
            return Err(Error::workbook(
                loc,
                format!("not a workbook: this is {what}; ceping reads .xlsx, .xls and .ods"),
            ));
        };
        let corrupt = |e: String| {
            Error::workbook(
                loc.clone(),
                format!("cannot open the workbook, it may be corrupt or truncated: {e}"),
            )
        };
        let bytes = Bytes(Arc::new(bytes));
        let file = bytes.clone();
        let (inner, is_1904) = match format {
            Format::Xlsx => {
                // The zip's directory first: a part that would inflate past a limit stops
                // the file before anything is inflated.
                let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).map_err(|e| corrupt(e.to_string()))?;
                let parts = xlsx::package::sheet_parts(&mut zip);
                check_part_sizes(&mut zip, parts.as_deref(), &loc, limits)?;
                if calamine {
                    let wb = Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
                    let is_1904 = wb.has_1904_epoch();
                    (
                        Inner::Calamine {
                            reader: Box::new(wb),
                            zip: Box::new(zip),
                            parts,
                        },
                        is_1904,
                    )
                } else {
                    let read_limits = xlsx::ReadLimits {
                        cell_chars: limits.cell_chars,
                        merged_regions: limits.merged_regions,
                        shared_strings_bytes: limits.shared_strings_bytes,
                    };
                    let pkg = xlsx::Package::open(zip, read_limits).map_err(|e| placed_error(&loc, e))?;
                    tracing::debug!(shared_strings_bytes = pkg.strings_bytes(), "package read");
                    let is_1904 = pkg.is_1904();
                    (Inner::Xlsx(Box::new(pkg)), is_1904)
                }
            }
            Format::Xls => {
                let wb = Xls::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
                let is_1904 = wb.has_1904_epoch();
                (Inner::Xls(Box::new(wb)), is_1904)
            }
            Format::Ods => {
                let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).map_err(|e| corrupt(e.to_string()))?;
                check_part_sizes(&mut zip, None, &loc, limits)?;
                (
                    Inner::Ods(Box::new(
                        Ods::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?,
                    )),
                    false,
                )
            }
        };
        let raw = match &inner {
            Inner::Xlsx(pkg) => pkg.sheet_names(),
            Inner::Calamine { reader, .. } => reader.sheet_names(),
            Inner::Xls(w) => w.sheet_names(),
            Inner::Ods(w) => w.sheet_names(),
        };
        let sheets = distinct_sheet_names(&raw);
        let mut wb = Workbook {
            name,
            sha256,
            format,
            is_1904,
            inner,
            reader_names: sheets.clone(),
            sheets,
            bytes: file,
            limits: *limits,
        };
        if wb.sheets != raw {
            for (i, (shown, was)) in wb.sheets.iter().zip(&raw).enumerate() {
                if shown != was {
                    tracing::warn!(
                        file = wb.name,
                        "sheet {} repeats the name {was:?}; read by its position as {shown:?}",
                        i + 1
                    );
                }
            }
            // The readers find sheets by name: the .xlsx and .ods packages' sheets are
            // renamed; an .xls file's repeated names are altered in place (the same
            // length, so nothing in the stream moves) and mapped back by position.
            let names = wb.sheets.clone();
            match wb.format {
                // ceping's reader finds a sheet by its position: nothing to rename.
                Format::Xlsx if matches!(wb.inner, Inner::Xlsx(_)) => {}
                Format::Xlsx => wb.rename_xlsx_sheets(&names, &loc)?,
                Format::Ods => wb.rename_ods_sheets(&raw, &names, &loc)?,
                Format::Xls => wb.alter_xls_sheet_names(&raw, &loc)?,
            }
        }
        Ok(wb)
    }

    /// The sheets in workbook order (a repeated name is `NAME (sheet N)`).
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.clone()
    }

    /// The name the cell reader knows a sheet by (differs from ceping's only for a
    /// repeated name in an .xls file).
    fn reader_name<'a>(&'a self, sheet: &'a str) -> &'a str {
        self.sheets
            .iter()
            .position(|s| s == sheet)
            .and_then(|i| self.reader_names.get(i))
            .map_or(sheet, String::as_str)
    }

    /// Merged regions of a sheet; `None` when the format gives none (.ods).
    pub fn merges(&mut self, sheet: &str) -> Result<Option<Vec<Dimensions>>> {
        let loc = self.location(sheet);
        let merges = self.merges_unchecked(sheet)?;
        let limit = self.limits.merged_regions;
        match merges {
            Some(m) if m.len() > limit => Err(Error::workbook(
                loc,
                format!(
                    "{} merged regions, more than the limit merged_regions = {limit}; the file is not loaded \
                     (raise it with --limit merged_regions=… if the file is genuine)",
                    m.len()
                ),
            )),
            other => Ok(other),
        }
    }

    fn merges_unchecked(&mut self, sheet: &str) -> Result<Option<Vec<Dimensions>>> {
        let loc = self.location(sheet);
        let reader_name = self.reader_name(sheet).to_string();
        let index = self.sheets.iter().position(|s| s == sheet);
        match &mut self.inner {
            Inner::Xlsx(pkg) => {
                let index = index.ok_or_else(|| Error::workbook(loc.clone(), "no such sheet"))?;
                pkg.merges(index).map(Some).map_err(|e| placed_error(&loc, e))
            }
            Inner::Calamine { reader, zip, parts } => {
                let part = parts
                    .as_ref()
                    .and_then(|p| p.iter().find(|(n, _)| n == sheet))
                    .map(|(_, p)| p.as_str());
                match part
                    .and_then(|p| xlsx::merges::merges(zip, p, usize::MAX))
                    .and_then(|m| m.ok())
                {
                    Some(m) => Ok(Some(m)),
                    None => reader
                        .merge_cells_by_sheet_name(sheet)
                        .map(Some)
                        .map_err(|e| Error::workbook(loc, e.to_string())),
                }
            }
            Inner::Xls(w) => w
                .merge_cells_by_sheet_name(&reader_name)
                .map(Some)
                .map_err(|e| Error::workbook(loc, e.to_string())),
            Inner::Ods(_) => Ok(None),
        }
    }

    fn location(&self, sheet: &str) -> Location {
        Location {
            file: self.name.clone(),
            sheet: Some(sheet.to_string()),
            ..Default::default()
        }
    }

    /// Streams the rows of a sheet (rows with at least one cell, in order) into `sink`
    /// until it returns `false`. .xlsx is read cell by cell, so memory does not grow with
    /// the sheet and a stray cell at XFD1048576 costs nothing.
    pub fn for_each_row(&mut self, sheet: &str, mut sink: impl FnMut(Row) -> bool) -> Result<()> {
        let mut current = Row::default();
        let mut started = false;
        self.for_each_cell(sheet, |r, c, cell| {
            if started && r != current.index {
                // Rows are alike: the next one gets the last one's size at once.
                let capacity = current.cells.len();
                let row = std::mem::replace(
                    &mut current,
                    Row {
                        index: r,
                        cells: Vec::with_capacity(capacity),
                    },
                );
                if !row.cells.is_empty() && !sink(Row::new(row.index, row.cells)) {
                    return false;
                }
            }
            started = true;
            current.index = r;
            current.cells.push((c, cell.to_cell()));
            true
        })?;
        if !current.cells.is_empty() {
            sink(Row::new(current.index, current.cells));
        }
        Ok(())
    }

    /// [`Self::for_each_row`] in chunks of about `rows` rows packed for a trip to another
    /// thread: the chunk's text in one buffer, so the reading thread allocates per chunk,
    /// not per cell (the mapping thread unpacks, see [`RowChunk::into_rows`]).
    pub fn for_each_chunk(&mut self, sheet: &str, rows: usize, mut sink: impl FnMut(RowChunk) -> bool) -> Result<()> {
        let mut chunk = RowChunk::default();
        let mut go_on = true;
        self.for_each_cell(sheet, |r, c, cell| {
            if chunk.rows.last().is_none_or(|(last, _)| *last != r) {
                if chunk.rows.len() == rows {
                    let next = RowChunk::like(&chunk);
                    let full = std::mem::replace(&mut chunk, next);
                    go_on = sink(full);
                    if !go_on {
                        return false;
                    }
                }
                chunk.rows.push((r, chunk.cells.len() as u32));
            }
            let packed = match cell {
                CellView::Text(t) => {
                    let start = chunk.text.len() as u32;
                    chunk.text.push_str(t);
                    Packed::Text(start, chunk.text.len() as u32)
                }
                CellView::Other(c) => Packed::Other(c),
            };
            chunk.cells.push((c, packed));
            true
        })?;
        if go_on && !chunk.rows.is_empty() {
            sink(chunk);
        }
        Ok(())
    }

    /// The .xlsx branch of [`Self::for_each_cell`]: cells after `skip_through`.
    fn xlsx_cells(
        &mut self,
        sheet: &str,
        loc: &Location,
        limits: &Limits,
        skip_through: Option<(u32, u32)>,
        f: &mut dyn FnMut(u32, u32, CellView<'_>) -> bool,
    ) -> std::result::Result<(), XlsxStop> {
        let is_1904 = self.is_1904;
        let Inner::Calamine { reader, .. } = &mut self.inner else {
            return Ok(());
        };
        let mut reader = reader
            .worksheet_cells_reader(sheet)
            .map_err(|e| XlsxStop::Failed(Box::new(Error::workbook(loc.clone(), e.to_string()))))?;
        loop {
            let next = match reader.next_cell() {
                Ok(next) => next,
                Err(calamine::XlsxError::CellError(value)) if value.starts_with('#') => {
                    return Err(XlsxStop::UnknownErrorValue(value))
                }
                Err(e) => {
                    return Err(XlsxStop::Failed(Box::new(Error::workbook(
                        loc.clone(),
                        format!("the sheet is corrupt: {e}"),
                    ))))
                }
            };
            let Some(cell) = next else { return Ok(()) };
            let (r, c) = cell.get_position();
            if skip_through.is_some_and(|last| (r, c) <= last) {
                continue;
            }
            let view = view_ref(cell.get_value(), is_1904);
            if view.is_empty() {
                continue;
            }
            check_cell(loc, limits, r, c, &view).map_err(|e| XlsxStop::Failed(Box::new(e)))?;
            if !f(r, c, view) {
                return Ok(());
            }
        }
    }

    /// Rewrites the sheet's part so its error cells (`t="e"`) are text cells holding the
    /// error value, and opens the workbook again from the rewritten package.
    fn error_cells_as_text(&mut self, sheet: &str, loc: &Location, value: &str) -> Result<()> {
        let Inner::Calamine { reader, zip, parts } = &mut self.inner else {
            return Ok(());
        };
        let unknown = || Error::workbook(loc.clone(), format!("the sheet is corrupt: unknown cell error {value}"));
        let part = parts
            .as_ref()
            .and_then(|p| p.iter().find(|(n, _)| n == sheet))
            .map(|(_, p)| p.clone())
            .ok_or_else(unknown)?;
        let fail =
            |e: &dyn std::fmt::Display| Error::workbook(loc.clone(), format!("cannot read the sheet again: {e}"));
        let xml = read_sheet_part(zip, &part, &self.limits).map_err(|e| fail(&e))?;
        let xml = replace_bytes(&replace_bytes(&xml, b" t=\"e\"", b" t=\"str\""), b" t='e'", b" t='str'");
        let bytes = replace_part(zip, &part, &xml).map_err(|e| fail(&e))?;
        **reader = Xlsx::new(Cursor::new(bytes.clone())).map_err(|e| fail(&e))?;
        **zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| fail(&e))?;
        Ok(())
    }

    /// Every non-empty cell of a sheet in row order, until `f` returns `false`.
    fn for_each_cell(&mut self, sheet: &str, mut f: impl FnMut(u32, u32, CellView<'_>) -> bool) -> Result<()> {
        let loc = self.location(sheet);
        let limits = self.limits;
        let is_1904 = self.is_1904;
        let reader_name = self.reader_name(sheet).to_string();
        let index = self.sheets.iter().position(|s| s == sheet);
        match &mut self.inner {
            Inner::Xlsx(pkg) => {
                let index = index.ok_or_else(|| Error::workbook(loc.clone(), "no such sheet"))?;
                let mut failed = None;
                pkg.cells(index, |r, c, v| {
                    let view = match v {
                        xlsx::Value::Text(t) => CellView::Text(t),
                        xlsx::Value::Number(n) => CellView::Other(Cell::Number(n)),
                        xlsx::Value::Date(n) => CellView::Other(serial_cell(n, is_1904)),
                        xlsx::Value::Bool(b) => CellView::Other(Cell::Bool(b)),
                        xlsx::Value::Error(e) => CellView::Other(Cell::Error(e.to_string())),
                    };
                    if view.is_empty() {
                        return true;
                    }
                    if let Err(e) = check_cell(&loc, &limits, r, c, &view) {
                        failed = Some(e);
                        return false;
                    }
                    f(r, c, view)
                })
                .map_err(|e| placed_error(&loc, e))?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            Inner::Calamine { .. } => {
                // calamine refuses an error value it does not know (`#SPILL!`, `#CALC!` …):
                // the sheet is then read again with its error cells as text (and the
                // cells already handed on skipped), so the row mapper sees the value.
                let mut delivered: Option<(u32, u32)> = None;
                let mut retried = false;
                loop {
                    let skip_through = delivered;
                    let mut sink = |r: u32, c: u32, v: CellView<'_>| {
                        delivered = Some((r, c));
                        f(r, c, v)
                    };
                    match self.xlsx_cells(sheet, &loc, &limits, skip_through, &mut sink) {
                        Ok(()) => return Ok(()),
                        Err(XlsxStop::UnknownErrorValue(value)) if !retried => {
                            tracing::info!(sheet, value, "reading the sheet again with error cells as text");
                            self.error_cells_as_text(sheet, &loc, &value)?;
                            retried = true;
                        }
                        Err(XlsxStop::UnknownErrorValue(value)) => {
                            return Err(Error::workbook(
                                loc,
                                format!("the sheet is corrupt: unknown cell error {value}"),
                            ))
                        }
                        Err(XlsxStop::Failed(e)) => return Err(*e),
                    }
                }
            }
            // .xls and .ods have no streaming reader: the sheet comes as one range.
            Inner::Xls(_) | Inner::Ods(_) => {
                let range = match &mut self.inner {
                    Inner::Xls(w) => w.worksheet_range(&reader_name).map_err(|e| e.to_string()),
                    Inner::Ods(w) => w.worksheet_range(&reader_name).map_err(|e| e.to_string()),
                    Inner::Xlsx(_) | Inner::Calamine { .. } => unreachable!("matched above"),
                }
                .map_err(|e| Error::workbook(loc.clone(), e))?;
                let (r0, c0) = range.start().unwrap_or((0, 0));
                for (r, c, v) in range.used_cells() {
                    let view = view_data(v, is_1904);
                    if view.is_empty() {
                        continue;
                    }
                    let (r, c) = (r0.saturating_add(r as u32), c0.saturating_add(c as u32));
                    check_cell(&loc, &limits, r, c, &view)?;
                    if !f(r, c, view) {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

/// A file name as stored in the warehouse: itself when it is UTF-8, else its valid
/// parts with every other byte written `\xNN` (lossless and visible), with a warning.
pub fn file_name_text(name: &std::ffi::OsStr) -> String {
    if let Some(s) = name.to_str() {
        return s.to_string();
    }
    let mut out = String::new();
    for chunk in name.as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    tracing::warn!("the file name is not UTF-8; it is recorded as {out:?}");
    out
}

/// A failure of ceping's .xlsx reader as an error naming the file, sheet, row and column.
fn placed_error(loc: &Location, e: xlsx::XlsxError) -> Error {
    let at = |at: Option<(u32, u32)>| Location {
        row: at.map(|(r, _)| r.saturating_add(1)),
        column: at.map(|(_, c)| column_letter(c)),
        ..loc.clone()
    };
    match e {
        xlsx::XlsxError::Limit {
            limit,
            value,
            what,
            at: pos,
        } => Error::workbook(
            at(pos),
            format!(
                "{what}, more than the limit {limit} = {value}; the file is not loaded \
                 (raise it with --limit {limit}=… if the file is genuine)"
            ),
        ),
        xlsx::XlsxError::Corrupt { message, at: pos, part } => {
            let what = if pos.is_some() || part.contains("worksheets/") {
                "sheet"
            } else {
                "workbook"
            };
            Error::workbook(at(pos), format!("the {what} is corrupt: {message}"))
        }
    }
}

/// Why reading an .xlsx sheet stopped early.
enum XlsxStop {
    /// An error value calamine does not know (`#SPILL!`): read the sheet again.
    UnknownErrorValue(String),
    Failed(Box<Error>),
}

/// A cell as read, its text still borrowed from the reader.
enum CellView<'a> {
    Text(&'a str),
    Other(Cell),
}

impl CellView<'_> {
    fn is_empty(&self) -> bool {
        match self {
            CellView::Text(t) => is_blank(t),
            CellView::Other(c) => c.is_empty(),
        }
    }

    fn to_cell(&self) -> Cell {
        match self {
            CellView::Text(t) => Cell::Text((*t).to_string()),
            CellView::Other(c) => c.clone(),
        }
    }
}

fn view_ref<'a>(v: &'a DataRef<'_>, is_1904: bool) -> CellView<'a> {
    match v {
        DataRef::SharedString(s) => CellView::Text(s),
        DataRef::String(s) => CellView::Text(s),
        other => CellView::Other(from_ref(other, is_1904)),
    }
}

fn view_data(v: &Data, is_1904: bool) -> CellView<'_> {
    match v {
        Data::String(s) => CellView::Text(s),
        other => CellView::Other(from_data(other, is_1904)),
    }
}

fn from_ref(v: &DataRef<'_>, is_1904: bool) -> Cell {
    match v {
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => serial_cell(dt.as_f64(), is_1904),
        DataRef::DateTimeIso(s) => Cell::Text(s.clone()),
        DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

fn from_data(v: &Data, is_1904: bool) -> Cell {
    match v {
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => serial_cell(dt.as_f64(), is_1904),
        Data::DateTimeIso(s) => Cell::Text(s.clone()),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

/// A date-formatted number (including the East-Asian built-in formats 27–36, 50–58).
fn serial_cell(serial: f64, is_1904: bool) -> Cell {
    match excel_serial(serial, is_1904) {
        Some(d) => Cell::Date(d),
        None => Cell::Number(serial),
    }
}

fn is_ods(bytes: &[u8]) -> bool {
    // An ODF package stores an uncompressed `mimetype` entry first.
    bytes.len() > 90 && bytes[30..38] == *b"mimetype" && bytes[38..90].windows(11).any(|w| w == b"opendocumen")
}

fn contains_utf16(bytes: &[u8], needle: &str) -> bool {
    let pattern: Vec<u8> = needle.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    bytes.windows(pattern.len()).any(|w| w == pattern.as_slice())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packed chunks unpack to exactly the rows read one by one, in every format.
    #[test]
    fn chunks_unpack_to_the_same_rows() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for file in [
            "plan_2019.xlsx",
            "plan_2021.xls",
            "plan_2022.ods",
            "plan_2020_by_department.xlsx",
        ] {
            let mut wb = Workbook::open(&root.join(file), &Limits::default()).unwrap();
            for sheet in wb.sheet_names() {
                let mut one_by_one = Vec::new();
                wb.for_each_row(&sheet, |r| {
                    one_by_one.push(r);
                    true
                })
                .unwrap();
                let mut chunked = Vec::new();
                wb.for_each_chunk(&sheet, 3, |c| {
                    assert!(c.len() <= 3);
                    chunked.extend(c.into_rows());
                    true
                })
                .unwrap();
                assert!(!one_by_one.is_empty(), "{file} / {sheet}");
                assert_eq!(chunked, one_by_one, "{file} / {sheet}");
            }
        }
    }
}
