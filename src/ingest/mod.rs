//! Ingestion's read side: detect a workbook's kind and year, read every sheet through the
//! shared walker, map rows to their kind's columns. Nothing here writes: the rows and
//! rejects go to callbacks (`ops::ingest` stages and commits them through `warehouse`).
//!
//! - [`detect`]: the kind and the year, from the first rows, titles and file name;
//! - [`read`]: the reader thread and the sheet state machine that feeds the mapper;
//! - [`reject`]: a rejected row and its `rejects` batch;
//! - [`kinds`]: the registry, one file per kind.

pub mod cells;
pub mod detect;
pub mod field;
pub mod kind;
pub mod kinds;
pub mod normalize;
pub mod read;
pub mod reject;
pub mod row;
pub mod sheet;
pub mod workbook;
pub mod xlsx;

use std::collections::BTreeMap;

pub use detect::{detect_kind, prepare, Prepared};
pub use kinds::KindName;
pub use read::{read_file, read_rows, Outputs, BATCH_ROWS};
pub use reject::{rejects_batch, Reject, REJECT_SAMPLES};

use kind::SourceKind;
use sheet::{HeaderBand, Skip};

/// Flags that override detection.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub kind: Option<KindName>,
    pub year: Option<i32>,
    pub revision: Option<i32>,
    /// Load a sheet even when more than half its data rows are rejected for one column
    /// (by default that stops the file: the header is probably not the one meant).
    pub accept_rejects: bool,
}

/// What happened to one sheet.
#[derive(Debug, Clone, Default)]
pub struct SheetReport {
    pub sheet: String,
    pub band: Option<HeaderBand>,
    /// Why the sheet was not read, when it was not.
    pub ignored: Option<String>,
    pub loaded: u64,
    pub rejected: u64,
    pub skipped: BTreeMap<Skip, u64>,
    pub merged_regions: usize,
    pub filled: u64,
    pub department: Option<String>,
    /// The department came from a `主管部门：X` line above the header (a department's
    /// preview sheet, 计划预告单), not from the sheet's name.
    pub department_line: bool,
    /// Rows of a sheet that was not read (no header of the kind).
    pub ignored_rows: u64,
    /// Rejected rows by the column at fault: (count, the first reason).
    pub rejected_by_column: BTreeMap<String, (u64, String)>,
}

impl SheetReport {
    /// The column most rows were rejected for, when that is more than half the sheet's
    /// data rows: a sign the header was misread (DATA_MODEL.md, "Row rules").
    pub fn mostly_rejected(&self) -> Option<(&str, u64, &str)> {
        let data = self.loaded + self.rejected;
        self.rejected_by_column
            .iter()
            .max_by_key(|(_, (n, _))| *n)
            .filter(|(_, (n, _))| *n * 2 > data)
            .map(|(c, (n, why))| (c.as_str(), *n, why.as_str()))
    }
}

impl SheetReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// The result of reading a file: what each sheet gave and a sample of the rejects (the
/// rows and every reject went to the callbacks).
pub struct Parsed {
    pub workbook_name: String,
    pub sha256: String,
    pub kind: &'static dyn SourceKind,
    pub year: Option<i32>,
    pub sheets: Vec<SheetReport>,
    /// The first [`REJECT_SAMPLES`] rejects of each sheet, for `inspect` and summaries.
    pub rejects: Vec<Reject>,
    /// The companion that took rows from this file, and how many (the register, from a
    /// plan with 关基 columns).
    pub companion: Option<(&'static dyn SourceKind, u64)>,
    /// The fields the sheets were read with (the kind's, then the companion's own): a
    /// band's `by_field` follows them.
    pub fields: &'static [field::Field],
}

impl Parsed {
    pub fn loaded(&self) -> u64 {
        self.sheets.iter().map(|s| s.loaded).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.sheets.iter().map(|s| s.rejected).sum()
    }
    pub fn skipped(&self) -> u64 {
        self.sheets.iter().map(|s| s.skipped_total()).sum()
    }

    /// The departments of a department's return: every sheet read names its department in
    /// a `主管部门：X` line above the header (the layout of `ceping export preview`). A plan
    /// returned this way revises only those departments' rows.
    pub fn returned_departments(&self) -> Option<Vec<String>> {
        let read: Vec<&SheetReport> = self.sheets.iter().filter(|s| s.band.is_some()).collect();
        if read.is_empty() || !read.iter().all(|s| s.department_line) {
            return None;
        }
        let mut d: Vec<String> = read.iter().filter_map(|s| s.department.clone()).collect();
        d.sort();
        d.dedup();
        Some(d)
    }
}
