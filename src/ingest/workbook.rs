//! The I/O edge of ingestion: opens a file as a workbook (.xlsx, .xls, .ods) with calamine
//! and streams each sheet's rows as sparse cells. Nothing here interprets content.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, DataRef, Dimensions, Ods, Reader, Xls, Xlsx};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::normalize::{excel_serial, number_text};
use crate::error::{Error, Location, Result};

/// One cell's value, owned and independent of the file format.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reads it (for rejects and messages).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(v) => number_text(*v),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A sheet row: its 0-based index and its non-empty cells by 0-based column, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub index: u32,
    pub cells: Vec<(u32, Cell)>,
}

impl Row {
    pub fn get(&self, col: u32) -> Option<&Cell> {
        self.cells.iter().find(|(c, _)| *c == col).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
}

enum Inner {
    Xlsx(Box<Xlsx<Cursor<Vec<u8>>>>),
    Xls(Box<Xls<Cursor<Vec<u8>>>>),
    Ods(Box<Ods<Cursor<Vec<u8>>>>),
}

pub struct Workbook {
    /// The file name as given on the command line (lineage `source_file`).
    pub name: String,
    pub sha256: String,
    pub format: Format,
    pub is_1904: bool,
    inner: Inner,
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

impl Workbook {
    /// Reads and opens a workbook. Errors name the file and say what it is instead.
    pub fn open(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let loc = Location {
            file: name.clone(),
            ..Default::default()
        };
        let bytes =
            fs_err::read(path).map_err(|e| Error::workbook(loc.clone(), format!("cannot read the file: {e}")))?;
        Self::from_bytes(name, bytes)
    }

    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<Self> {
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
        let (inner, is_1904) = match format {
            Format::Xlsx => {
                let wb = Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
                let is_1904 = wb.has_1904_epoch();
                (Inner::Xlsx(Box::new(wb)), is_1904)
            }
            Format::Xls => {
                let wb = Xls::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
                let is_1904 = wb.has_1904_epoch();
                (Inner::Xls(Box::new(wb)), is_1904)
            }
            Format::Ods => (
                Inner::Ods(Box::new(
                    Ods::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?,
                )),
                false,
            ),
        };
        Ok(Workbook {
            name,
            sha256,
            format,
            is_1904,
            inner,
        })
    }

    pub fn sheet_names(&self) -> Vec<String> {
        match &self.inner {
            Inner::Xlsx(w) => w.sheet_names(),
            Inner::Xls(w) => w.sheet_names(),
            Inner::Ods(w) => w.sheet_names(),
        }
    }

    /// Merged regions of a sheet; `None` when the format gives none (.ods).
    pub fn merges(&mut self, sheet: &str) -> Result<Option<Vec<Dimensions>>> {
        let loc = self.location(sheet);
        match &mut self.inner {
            Inner::Xlsx(w) => w
                .merge_cells_by_sheet_name(sheet)
                .map(Some)
                .map_err(|e| Error::workbook(loc, e.to_string())),
            Inner::Xls(w) => w
                .merge_cells_by_sheet_name(sheet)
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
        let loc = self.location(sheet);
        let is_1904 = self.is_1904;
        let mut current = Row::default();
        let mut started = false;
        let mut push = |r: u32, c: u32, cell: Cell, sink: &mut dyn FnMut(Row) -> bool| -> bool {
            if started && r != current.index {
                let row = std::mem::replace(
                    &mut current,
                    Row {
                        index: r,
                        cells: Vec::new(),
                    },
                );
                if !row.cells.is_empty() && !sink(row) {
                    return false;
                }
            }
            started = true;
            current.index = r;
            if !cell.is_empty() {
                current.cells.push((c, cell));
            }
            true
        };
        match &mut self.inner {
            Inner::Xlsx(w) => {
                let mut reader = w
                    .worksheet_cells_reader(sheet)
                    .map_err(|e| Error::workbook(loc.clone(), e.to_string()))?;
                loop {
                    let next = reader
                        .next_cell()
                        .map_err(|e| Error::workbook(loc.clone(), format!("the sheet is corrupt: {e}")))?;
                    let Some(cell) = next else { break };
                    let (r, c) = cell.get_position();
                    if !push(r, c, from_ref(cell.get_value(), is_1904), &mut sink) {
                        return Ok(());
                    }
                }
            }
            // .xls and .ods have no streaming reader: the sheet comes as one range.
            Inner::Xls(_) | Inner::Ods(_) => {
                let range = match &mut self.inner {
                    Inner::Xls(w) => w.worksheet_range(sheet).map_err(|e| e.to_string()),
                    Inner::Ods(w) => w.worksheet_range(sheet).map_err(|e| e.to_string()),
                    Inner::Xlsx(_) => unreachable!("matched above"),
                }
                .map_err(|e| Error::workbook(loc.clone(), e))?;
                let (r0, c0) = range.start().unwrap_or((0, 0));
                for (r, c, v) in range.used_cells() {
                    if !push(r0 + r as u32, c0 + c as u32, from_data(v, is_1904), &mut sink) {
                        return Ok(());
                    }
                }
            }
        }
        if !current.cells.is_empty() {
            sink(current);
        }
        Ok(())
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
        DataRef::Error(e) => Cell::Error(format!("#{e:?}")),
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
        Data::Error(e) => Cell::Error(format!("#{e:?}")),
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

/// `A`, `B`, … `Z`, `AA`: the column letters Excel shows.
pub fn column_letter(col: u32) -> String {
    let mut n = col + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

pub use calamine::Dimensions as MergedRegion;
