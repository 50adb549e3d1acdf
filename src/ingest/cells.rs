//! The cells a sheet is read into, independent of the file format: pure data with no
//! I/O, shared by the workbook reader (which fills them) and the sheet walker (which
//! interprets them). Also compiled by the fuzz crate.

use chrono::NaiveDate;

use super::normalize::number_text;

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
            Cell::Text(s) => is_blank(s),
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

/// A sheet row: its 0-based index and its non-empty cells by 0-based column, in order
/// (`Workbook::for_each_row` never hands on an empty cell).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    pub index: u32,
    pub cells: Vec<(u32, Cell)>,
}

impl Row {
    /// A row from cells in any order: kept sorted by column, so a look-up is a binary
    /// search (a sheet 16,384 columns wide costs width × log width, not width²).
    pub fn new(index: u32, mut cells: Vec<(u32, Cell)>) -> Row {
        if !cells.is_sorted_by_key(|(c, _)| *c) {
            cells.sort_by_key(|(c, _)| *c);
        }
        Row { index, cells }
    }

    /// The cell in column `col` (rows are built sorted by column, see [`Row::new`]).
    pub fn get(&self, col: u32) -> Option<&Cell> {
        self.cells
            .binary_search_by_key(&col, |(c, _)| *c)
            .ok()
            .map(|i| &self.cells[i].1)
    }
}

pub fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii() && !b.is_ascii_whitespace() => false,
        _ => s.chars().all(char::is_whitespace),
    }
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
