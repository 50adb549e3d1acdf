//! The sheet walker shared by every kind: finds the header band among the first rows,
//! maps columns to the kind's fields, skips title/total/note/repeated-header rows, fills
//! merged and "same as above" cells, and hands each data row on; and reads the year, money
//! unit and department that titles and sheet names state. Pure: rows in, events out.
//!
//! (Long, ~730 lines and its tests: the header band's rules and the walker's skip and fill
//! rules decide together which row is data, and the fuzz crate compiles this file with
//! `cells`, `field` and `normalize` alone; split, it would need a fifth file there.)

use std::collections::BTreeMap;

use super::cells::{column_letter, Cell, MergedRegion, Row};
use super::field::{Field, FillDown, MappedColumn};
use super::normalize::{header_key, text};

/// How many rows from the top may hold titles before the header.
pub const HEADER_SCAN_ROWS: usize = 20;

/// Why a row was not treated as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    Title,
    Header,
    Blank,
    Total,
    Note,
}

impl Skip {
    pub fn label(self) -> &'static str {
        match self {
            Skip::Title => "title",
            Skip::Header => "header",
            Skip::Blank => "blank",
            Skip::Total => "total",
            Skip::Note => "note",
        }
    }
}

/// The header band a sheet was read with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeaderBand {
    /// 0-based rows of the band (one or two).
    pub rows: Vec<u32>,
    /// By field index: the column that feeds it.
    pub by_field: Vec<Option<MappedColumn>>,
    /// Headers of columns no field takes, by column.
    pub unmapped: BTreeMap<u32, String>,
}

impl HeaderBand {
    pub fn score(&self) -> usize {
        self.by_field.iter().filter(|c| c.is_some()).count()
    }

    /// The header shown for a column (mapped or not), or its letter.
    pub fn header_of(&self, col: u32) -> String {
        self.by_field
            .iter()
            .flatten()
            .find(|m| m.col == col)
            .map(|m| m.header.clone())
            .or_else(|| self.unmapped.get(&col).cloned())
            .unwrap_or_else(|| column_letter(col))
    }
}

/// A field's synonyms as header keys, normalised once per process: synonyms are
/// `'static` slices, so their address identifies them (a program has finitely many).
fn synonym_keys(field: &Field) -> &'static [String] {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Keys = HashMap<(usize, usize), &'static [String]>;
    static CACHE: OnceLock<Mutex<Keys>> = OnceLock::new();
    let key = (field.synonyms.as_ptr() as usize, field.synonyms.len());
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    cache.entry(key).or_insert_with(|| {
        let keys: Vec<String> = field.synonyms.iter().map(|s| header_key(s).0).collect();
        Box::leak(keys.into_boxed_slice())
    })
}

/// The field a header names: an exact synonym, else the longest synonym it starts with.
pub fn match_field(fields: &[Field], key: &str) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    let index = field_index(fields);
    if let Some(i) = index.exact.get(key) {
        return Some(*i);
    }
    // Longest first: the first prefix that matches is the longest.
    index
        .prefixes
        .iter()
        .find(|(s, _)| key.starts_with(s.as_str()))
        .map(|(_, i)| *i)
}

/// A kind's synonyms as look-up tables: built once per field list, so matching a header
/// cell is one hash look-up and a short prefix scan (a header window 16,384 columns wide
/// is read in linear time with a small constant).
struct FieldIndex {
    exact: std::collections::HashMap<String, usize>,
    /// Synonyms of two or more characters with their field, longest first.
    prefixes: Vec<(String, usize)>,
}

fn field_index(fields: &[Field]) -> std::sync::Arc<FieldIndex> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Indexes = HashMap<(usize, usize), Arc<FieldIndex>>;
    static CACHE: OnceLock<Mutex<Indexes>> = OnceLock::new();
    let key = (fields.as_ptr() as usize, fields.len());
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| {
            let mut exact = HashMap::new();
            let mut prefixes = Vec::new();
            for (i, f) in fields.iter().enumerate() {
                for s in synonym_keys(f).iter() {
                    exact.entry(s.clone()).or_insert(i);
                    if s.chars().count() >= 2 {
                        prefixes.push((s.clone(), i));
                    }
                }
            }
            // Longest first; among equals, the earlier field (as the linear scan chose).
            prefixes.sort_by(|(a, ia), (b, ib)| b.len().cmp(&a.len()).then(ia.cmp(ib)));
            Arc::new(FieldIndex { exact, prefixes })
        })
        .clone()
}

fn cell_text(row: &Row, col: u32) -> Option<String> {
    row.get(col).map(|c| c.display()).filter(|s| !s.trim().is_empty())
}

/// The merged regions starting on `row` and spanning columns (group headers), as
/// (first column, last column) sorted by first column: looked up by binary search, so
/// a header row costs its width × log(regions), however many regions the sheet has.
fn spans_on(merges: Option<&[MergedRegion]>, row: u32) -> Vec<(u32, u32)> {
    let mut spans: Vec<(u32, u32)> = merges
        .unwrap_or_default()
        .iter()
        .filter(|r| r.start.0 == row && r.end.1 > r.start.1)
        .map(|r| (r.start.1, r.end.1))
        .collect();
    spans.sort_unstable();
    spans
}

/// The span covering `col`, if any.
fn span_at(spans: &[(u32, u32)], col: u32) -> Option<(u32, u32)> {
    let i = spans.partition_point(|(first, _)| *first <= col);
    spans[..i].last().copied().filter(|(_, last)| col <= *last)
}

/// Builds the band from one header row, or two (a group header such as 风险数量 above
/// 高/中/低): each column's name is the group and the sub-header joined, else either.
pub fn band(fields: &'static [Field], top: &Row, bottom: Option<&Row>, merges: Option<&[MergedRegion]>) -> HeaderBand {
    let mut cols: Vec<u32> = top.cells.iter().map(|(c, _)| *c).collect();
    if let Some(b) = bottom {
        cols.extend(b.cells.iter().map(|(c, _)| *c));
    }
    cols.sort_unstable();
    cols.dedup();
    let mut by_field: Vec<Option<MappedColumn>> = vec![None; fields.len()];
    let mut unmapped = BTreeMap::new();
    let mut carried_group: Option<String> = None;
    let groups = spans_on(merges, top.index);
    for col in cols {
        let mut group = cell_text(top, col);
        if bottom.is_some() {
            if group.is_none() {
                // A merged group header covers this column, or (no merge info) the group
                // written to the left runs on over the sub-headers.
                group = span_at(&groups, col)
                    .filter(|(first, _)| *first < col)
                    .and_then(|(first, _)| cell_text(top, first))
                    .or_else(|| if merges.is_none() { carried_group.clone() } else { None });
            } else {
                carried_group = group.clone();
            }
        }
        let sub = bottom.and_then(|b| cell_text(b, col));
        let candidates: Vec<String> = match (&group, &sub) {
            (Some(g), Some(s)) => vec![format!("{g}{s}"), s.clone(), format!("{s}{g}"), g.clone()],
            (Some(g), None) => vec![g.clone()],
            (None, Some(s)) => vec![s.clone()],
            (None, None) => continue,
        };
        let shown = match (&group, &sub) {
            (Some(g), Some(s)) => format!("{}/{}", text(g), text(s)),
            (Some(x), None) | (None, Some(x)) => text(x),
            (None, None) => unreachable!("skipped above"),
        };
        let found = candidates.iter().find_map(|c| {
            let (key, unit) = header_key(c);
            match_field(fields, &key)
                .filter(|i| by_field[*i].is_none())
                .map(|i| (i, unit))
        });
        match found {
            Some((i, unit)) => {
                // A unit may be stated on the group (金额（万元）over 申报/批复).
                let unit = unit.or_else(|| group.as_deref().and_then(|g| header_key(g).1));
                by_field[i] = Some(MappedColumn {
                    col,
                    field: i,
                    header: shown,
                    unit,
                });
            }
            None => {
                unmapped.insert(col, shown);
            }
        }
    }
    let rows = std::iter::once(top.index).chain(bottom.map(|b| b.index)).collect();
    HeaderBand {
        rows,
        by_field,
        unmapped,
    }
}

/// A row holding a number, a date or a truth value is data, never a header.
pub fn data_like(row: &Row) -> bool {
    row.cells
        .iter()
        .any(|(_, c)| matches!(c, Cell::Number(_) | Cell::Date(_) | Cell::Bool(_)))
}

/// Whether `top` can be the group row of a two-row band: short header cells, none a
/// `label：value` line (`主管部门：市教委` or `依据：第2版` above a header are titles).
pub fn group_row(top: &Row) -> bool {
    top.cells.iter().all(|(_, cell)| match cell {
        Cell::Text(t) => {
            let t = text(t);
            t.chars().count() <= 16 && !label_value(&t)
        }
        _ => true,
    })
}

/// `X:Y` with a value after a colon outside parentheses (`金额(单位:万元)` is a header).
fn label_value(t: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in t.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ':' if depth <= 0 => return !t[i + 1..].trim().is_empty(),
            _ => {}
        }
    }
    false
}

/// Whether `bottom` can be the sub-header row of a band under `top`: header cells only.
/// A data row is never one (DATA_MODEL.md, "Row rules"): its cells are numbers, dates,
/// sequence numbers or long values, and it has values under headers that stand on their
/// own (a name under 主管部门), where a sub-header row has cells only under group headers
/// or under nothing.
pub fn sub_header_row(fields: &[Field], top: &Row, bottom: &Row, merges: Option<&[MergedRegion]>) -> bool {
    let groups = spans_on(merges, top.index);
    let groups_at = |col: u32| span_at(&groups, col).is_some();
    bottom.cells.iter().all(|(col, cell)| {
        let raw = match cell {
            Cell::Empty => return true,
            Cell::Text(t) => text(t),
            _ => return false,
        };
        if raw.is_empty() {
            return true;
        }
        let sequence = raw
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace());
        if sequence || raw.chars().count() > 16 || raw.chars().any(|c| c.is_ascii_digit()) {
            return false;
        }
        match cell_text(top, *col) {
            Some(h) if !groups_at(*col) => match_field(fields, &header_key(&h).0).is_none(),
            _ => true,
        }
    })
}

/// Finds the best header band among the first rows: the row (or pair of rows) that names
/// the most fields, at least two and at least one required field.
pub fn find_header(
    fields: &'static [Field],
    rows: &[Row],
    merges: Option<&[MergedRegion]>,
) -> Option<(usize, HeaderBand)> {
    let mut best: Option<(usize, HeaderBand)> = None;
    for (i, top) in rows.iter().enumerate().take(HEADER_SCAN_ROWS) {
        if data_like(top) {
            continue;
        }
        let one = band(fields, top, None, merges);
        let two = rows
            .get(i + 1)
            .filter(|b| b.index == top.index + 1 && group_row(top) && sub_header_row(fields, top, b, merges))
            .map(|b| band(fields, top, Some(b), merges));
        // A two-row band must name more fields than either of its rows alone.
        let bottom_alone = rows.get(i + 1).map_or(0, |b| band(fields, b, None, merges).score());
        let chosen = match two {
            Some(t) if t.score() > one.score() && t.score() > bottom_alone => t,
            _ => one,
        };
        let has_required = fields
            .iter()
            .enumerate()
            .any(|(fi, f)| f.required && chosen.by_field[fi].is_some());
        if chosen.score() >= 2 && has_required && best.as_ref().is_none_or(|(_, b)| chosen.score() > b.score()) {
            best = Some((i, chosen));
        }
    }
    best
}

/// A row the walker hands on as data.
#[derive(Debug)]
pub struct DataRow {
    /// 1-based, as Excel shows it.
    pub number: u32,
    /// By field index, after filling.
    pub cells: Vec<Option<Cell>>,
    /// Bit `i` set: field `i`'s cell was filled (merged or same-as-above), not read.
    pub filled: u64,
    /// The row's other non-empty cells (columns no field takes), by column.
    pub rest: Vec<(u32, Cell)>,
}

/// Walks the rows after the header band of one sheet.
pub struct Walker {
    fields: &'static [Field],
    pub band: HeaderBand,
    /// By column: the field it feeds.
    field_of_col: Vec<Option<usize>>,
    /// By field: whether a blank cell takes the value above.
    down: Vec<bool>,
    /// By field: the first characters of its header synonyms (a quick "not a header").
    header_firsts: Vec<Vec<char>>,
    /// Merged regions over mapped columns below the header, by first row; the walker
    /// moves each into `active` when it reaches its first row.
    merges: Vec<MergedRegion>,
    next_merge: usize,
    /// Regions covering the current row: the only ones a row looks at, so time is linear
    /// in rows plus regions, whatever their number.
    active: Vec<MergedRegion>,
    /// Values of active merged regions' top-left cells.
    merge_values: BTreeMap<(u32, u32), Cell>,
    last: Vec<Option<Cell>>,
    in_notes: bool,
    pub skipped: BTreeMap<Skip, u64>,
    pub filled: u64,
}

impl Walker {
    pub fn new(fields: &'static [Field], band: HeaderBand, merges: Option<Vec<MergedRegion>>) -> Self {
        assert!(fields.len() <= 64, "a kind has at most 64 fields");
        let has_merge_info = merges.is_some();
        let mut merges = merges.unwrap_or_default();
        // Only regions below the header matter for data; keep them sorted by first row.
        let last_header = band.rows.last().copied().unwrap_or(0);
        let mapped_cols: Vec<u32> = band.by_field.iter().flatten().map(|m| m.col).collect();
        merges.retain(|r| r.end.0 > last_header && mapped_cols.iter().any(|c| r.start.1 <= *c && *c <= r.end.1));
        merges.sort_by_key(|r| r.start.0);
        let mapped = band.by_field.iter().flatten();
        let mut field_of_col = vec![None; mapped.clone().map(|m| m.col as usize + 1).max().unwrap_or(0)];
        for m in mapped {
            field_of_col[m.col as usize] = Some(m.field);
        }
        let down = fields
            .iter()
            .map(|f| match f.fill_down {
                FillDown::Always => true,
                FillDown::WithoutMergeInfo => !has_merge_info,
                FillDown::Never => false,
            })
            .collect();
        let header_firsts = fields
            .iter()
            .map(|f| synonym_keys(f).iter().filter_map(|k| k.chars().next()).collect())
            .collect();
        Walker {
            last: vec![None; fields.len()],
            fields,
            band,
            field_of_col,
            down,
            header_firsts,
            merges,
            next_merge: 0,
            active: Vec::new(),
            merge_values: BTreeMap::new(),
            in_notes: false,
            skipped: BTreeMap::new(),
            filled: 0,
        }
    }

    pub fn skip(&mut self, why: Skip) {
        *self.skipped.entry(why).or_default() += 1;
    }

    fn field_of(&self, col: u32) -> Option<usize> {
        self.field_of_col.get(col as usize).copied().flatten()
    }

    /// Classifies one row below the header: `Some(data)` or a counted skip.
    pub fn push(&mut self, mut row: Row) -> Option<DataRow> {
        row.cells.retain(|(_, c)| !c.is_empty());
        self.remember_merge_values(&row);
        let non_empty = || row.cells.iter();
        let Some((_, first)) = non_empty().next() else {
            self.skip(Skip::Blank);
            return None;
        };
        // Only text starting like 合计/小计/总计/共计 can be a total: normalise just those.
        let total = non_empty().any(|(_, c)| match c {
            Cell::Text(t) => {
                t.trim_start().starts_with(['合', '小', '总', '共']) && is_total(&text(t).replace(' ', ""))
            }
            _ => false,
        });
        if total {
            self.skip(Skip::Total);
            return None;
        }
        if matches!(first, Cell::Text(t) if is_note_start(&text(t).replace(' ', ""))) {
            self.in_notes = true;
            self.skip(Skip::Note);
            return None;
        }
        let count = non_empty().count();
        if self.in_notes && count <= 1 {
            self.skip(Skip::Note);
            return None;
        }
        self.in_notes = false;
        // A repeated header starts with header cells: the first mapped text cell decides
        // whether the rest are worth checking.
        let mapped_text = non_empty().find(|(c, v)| matches!(v, Cell::Text(_)) && self.field_of(*c).is_some());
        let header_like = match mapped_text {
            Some((c, v)) if self.is_header_cell(*c, v) => {
                non_empty().filter(|(c, v)| self.is_header_cell(*c, v)).count()
            }
            _ => 0,
        };
        if header_like * 2 > count && header_like >= 2 && !data_like(&row) {
            self.skip(Skip::Header);
            return None;
        }
        // The row's cells move to their fields; the rest are kept for rejects.
        let mut cells: Vec<Option<Cell>> = vec![None; self.fields.len()];
        let mut rest = Vec::new();
        for (col, cell) in row.cells {
            match self.field_of(col) {
                Some(fi) => cells[fi] = Some(cell),
                None => rest.push((col, cell)),
            }
        }
        if cells.iter().all(Option::is_none) {
            // Only columns no field takes (a pre-numbered 序号, a stray far-out cell).
            self.skip(Skip::Blank);
            return None;
        }
        let filled = self.fill(row.index, &mut cells);
        Some(DataRow {
            number: row.index + 1,
            cells,
            filled,
            rest,
        })
    }

    /// A row's original cells under their headers (for rejects): what was read, not
    /// what was filled in.
    pub fn raw(&self, cells: &[Option<Cell>], filled: u64, rest: &[(u32, Cell)]) -> Vec<(String, String)> {
        let mut source: Vec<(u32, &Cell)> = cells
            .iter()
            .enumerate()
            .filter(|(fi, _)| filled & (1 << fi) == 0)
            .filter_map(|(fi, c)| Some((self.band.by_field[fi].as_ref()?.col, c.as_ref()?)))
            .chain(rest.iter().map(|(c, v)| (*c, v)))
            .collect();
        source.sort_by_key(|(c, _)| *c);
        source
            .into_iter()
            .map(|(c, v)| (self.band.header_of(c), v.display()))
            .collect()
    }

    /// Whether a cell repeats the header of the field its column feeds (a repeated header
    /// row). Compares with that field's synonyms only: this runs on every data row.
    fn is_header_cell(&self, col: u32, v: &Cell) -> bool {
        let Cell::Text(t) = v else { return false };
        let Some(fi) = self.field_of(col) else {
            return false;
        };
        // A header key keeps a CJK ideograph as written: one that starts no synonym
        // settles it without normalising.
        let first = t
            .chars()
            .find(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | ':' | '：' | '\u{200b}' | '\u{feff}'));
        if first.is_some_and(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c) && !self.header_firsts[fi].contains(&c)) {
            return false;
        }
        let key = header_key(t).0;
        synonym_keys(&self.fields[fi])
            .iter()
            .any(|s| *s == key || (s.chars().count() >= 2 && key.starts_with(s.as_str())))
    }

    fn remember_merge_values(&mut self, row: &Row) {
        // Regions that ended above this row leave; regions starting here (or skipped
        // rows ago) join.
        if self.active.iter().any(|r| r.end.0 < row.index) {
            let values = &mut self.merge_values;
            self.active.retain(|r| {
                let keep = r.end.0 >= row.index;
                if !keep {
                    values.remove(&r.start);
                }
                keep
            });
        }
        while let Some(r) = self.merges.get(self.next_merge).filter(|r| r.start.0 <= row.index) {
            if r.end.0 >= row.index {
                self.active.push(*r);
            }
            self.next_merge += 1;
        }
        for r in &self.active {
            if r.start.0 == row.index {
                if let Some(v) = row.get(r.start.1) {
                    self.merge_values.insert(r.start, v.clone());
                }
            }
        }
    }

    /// Fills blank cells from merged regions and from the row above; returns which.
    fn fill(&mut self, index: u32, cells: &mut [Option<Cell>]) -> u64 {
        let mut filled = 0u64;
        for (fi, slot) in cells.iter_mut().enumerate() {
            if slot.is_none() {
                let Some(col) = self.band.by_field[fi].as_ref().map(|m| m.col) else {
                    continue;
                };
                let merged = self
                    .active
                    .iter()
                    .find(|r| {
                        r.start.0 <= index
                            && index <= r.end.0
                            && r.start.1 <= col
                            && col <= r.end.1
                            && (r.start.0, r.start.1) != (index, col)
                    })
                    .and_then(|r| self.merge_values.get(&r.start).cloned());
                let above = || if self.down[fi] { self.last[fi].clone() } else { None };
                if let Some(v) = merged.or_else(above) {
                    *slot = Some(v);
                    filled |= 1 << fi;
                    self.filled += 1;
                }
            }
            if let Some(v) = slot.as_ref().filter(|_| self.down[fi]) {
                if self.last[fi].as_ref() != Some(v) {
                    self.last[fi] = Some(v.clone());
                }
            }
        }
        filled
    }
}

fn is_total(t: &str) -> bool {
    ["合计", "小计", "总计", "共计", "总合计"]
        .iter()
        .any(|w| t == *w || t.starts_with(&format!("{w}:")) || (t.starts_with(w) && t.chars().count() <= 4))
}

fn is_note_start(t: &str) -> bool {
    [
        "注:",
        "注：",
        "注1",
        "说明:",
        "说明：",
        "备注:",
        "备注：",
        "填表说明",
        "制表人",
        "制表:",
        "填报人",
        "审核人",
        "联系人",
        "单位负责人",
        "填报日期",
    ]
    .iter()
    .any(|w| t.starts_with(w))
        || t == "注"
        || t == "说明"
}

/// The one year a title or file name names: `2019年…计划预告`, `计划_2020_v2.xlsx`.
/// Dates (`2018年12月20日`, `2018-12-20`) are not the year a file is about. A range
/// (`2018-2025年度`, `2018年至2020年`) or two different years name no one year:
/// `Err` says which, and the ingest asks for `--year` (DATA_MODEL.md, "Row rules").
pub fn find_year(s: &str) -> Result<Option<i32>, String> {
    let t = text(s);
    let chars: Vec<char> = t.chars().collect();
    let year_at = |i: usize| -> Option<i32> {
        let digits: String = chars.get(i..i + 4)?.iter().collect();
        let y: i32 = digits.parse().ok()?;
        let before_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let after_digit = chars.get(i + 4).is_some_and(|c| c.is_ascii_digit());
        ((2000..=2099).contains(&y) && !before_digit && !after_digit).then_some(y)
    };
    let digits_from = |i: usize| {
        chars[i.min(chars.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut years: Vec<i32> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(y) = year_at(i) else {
            i += 1;
            continue;
        };
        let mut j = i + 4;
        if chars.get(j) == Some(&'年') {
            j += 1;
        }
        // A date: 2018年12月…, 2018-12-20, 2018.12, 2018/12.
        let month_follows = |k: usize| {
            let n = digits_from(k);
            (1..=2).contains(&n) && matches!(chars.get(k + n), Some('月' | '-' | '.' | '/') | None)
        };
        if (chars.get(i + 4) == Some(&'年') && month_follows(i + 5))
            || (matches!(chars.get(i + 4), Some('-' | '.' | '/')) && month_follows(i + 5) && digits_from(i + 5) <= 2)
        {
            i += 5;
            continue;
        }
        // A range: 2018-2025, 2018年至2025年, 2018～2020.
        let mut k = j;
        while chars.get(k).is_some_and(|c| c.is_whitespace()) {
            k += 1;
        }
        if matches!(chars.get(k), Some('-' | '–' | '—' | '~' | '～' | '至' | '到')) {
            let mut m = k + 1;
            while chars.get(m).is_some_and(|c| c.is_whitespace() || *c == '—') {
                m += 1;
            }
            if let Some(y2) = year_at(m) {
                return Err(format!("names a range of years ({y}–{y2})"));
            }
        }
        if !years.contains(&y) {
            years.push(y);
        }
        i += 4;
    }
    match years.as_slice() {
        [] => Ok(None),
        [y] => Ok(Some(*y)),
        many => Err(format!(
            "names several years ({})",
            many.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// A sheet-wide money unit from a title line such as `单位：万元` or `（金额单位：元）`.
pub fn find_money_unit(s: &str) -> Option<String> {
    let t: String = text(s).chars().filter(|c| !c.is_whitespace()).collect();
    let i = t.find("单位:")?;
    let rest = &t[i + "单位:".len()..];
    let unit: String = rest
        .chars()
        .take_while(|c| !matches!(c, ')' | ',' | ';' | '。'))
        .collect();
    (!unit.is_empty()).then_some(unit)
}

/// The department a `主管部门：X` line above the header names (a department's preview
/// sheet, 计划预告单): one cell such as `主管部门：市教委`.
pub fn find_department_line(s: &str) -> Option<String> {
    let t = text(s);
    let i = t.find("主管部门:")?;
    let name: String = t[i + "主管部门:".len()..]
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | ',' | ';' | '。'))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The department a sheet's name gives, unless the name is generic (Sheet1, 汇总, 计划…).
pub fn department_from_sheet_name(name: &str) -> Option<String> {
    let t = text(name);
    let lower = t.to_lowercase();
    let generic = lower.starts_with("sheet")
        || lower.starts_with("工作表")
        || [
            "计划", "预告", "汇总", "总表", "结果", "整改", "经费", "预算", "清单", "明细", "说明", "数据", "全部",
            "附件", "附表", "表",
        ]
        .iter()
        .any(|w| t.contains(w))
        || t.chars().all(|c| c.is_ascii_digit());
    (!generic && !t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: u32, cells: &[(u32, &str)]) -> Row {
        Row {
            index,
            cells: cells.iter().map(|(c, s)| (*c, Cell::Text(s.to_string()))).collect(),
        }
    }

    mod header_property {
        use super::super::*;
        use crate::ingest::kind::SourceKind;
        use proptest::prelude::*;

        const WORDS: &[&str] = &[
            "市教委",
            "市第一中学",
            "教务系统",
            "第三级",
            "二季度",
            "试运行结束后30日内测评",
            "门户网站",
        ];
        const SUFFIXES: &[&str] = &["", "待定", "待复核", "30日内"];

        /// A data cell: any synonym of any field (with a suffix), or an ordinary value.
        fn cell() -> impl Strategy<Value = String> {
            let fields = crate::ingest::kinds::plan::Plan.fields();
            prop_oneof![
                (0..fields.len(), 0usize..8, 0..SUFFIXES.len()).prop_map(move |(f, s, x)| {
                    let syn = fields[f].synonyms;
                    format!("{}{}", syn[s % syn.len()], SUFFIXES[x])
                }),
                (0..WORDS.len()).prop_map(|w| WORDS[w].to_string()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]
            /// Whatever synonyms the data cells hold, the header row chosen is the real one
            /// and every data row is handed on (loaded or rejected), none taken as a header.
            #[test]
            fn the_real_header_is_chosen_and_no_data_row_is_skipped(
                title in any::<bool>(),
                extra in proptest::sample::subsequence((0..crate::ingest::kinds::plan::Plan.fields().len()).collect::<Vec<_>>(), 0..6),
                data in proptest::collection::vec(proptest::collection::vec(cell(), 8), 1..25),
            ) {
                let kind = &crate::ingest::kinds::plan::Plan;
                let fields = kind.fields();
                let mut chosen: Vec<usize> = fields
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.required)
                    .map(|(i, _)| i)
                    .collect();
                for i in extra {
                    if !chosen.contains(&i) {
                        chosen.push(i);
                    }
                }
                let mut rows = Vec::new();
                if title {
                    rows.push(row(0, &[(0, "2020年公共管理信息系统安全测评计划预告")]));
                }
                let at = rows.len() as u32;
                let mut header: Vec<(u32, &str)> = vec![(0, "序号")];
                header.extend(chosen.iter().enumerate().map(|(c, &f)| (c as u32 + 1, fields[f].synonyms[0])));
                rows.push(row(at, &header));
                for (k, cells) in data.iter().enumerate() {
                    let index = at + 1 + k as u32;
                    let mut r = Row { index, cells: vec![(0, Cell::Number(k as f64 + 1.0))] };
                    r.cells.extend(cells.iter().take(chosen.len()).enumerate().map(|(c, v)| (c as u32 + 1, Cell::Text(v.clone()))));
                    rows.push(r);
                }
                let (found, band) = find_header(kind.fields(), &rows, None).expect("a header");
                prop_assert_eq!(found, at as usize);
                prop_assert_eq!(&band.rows, &vec![at]);
                let mut walker = Walker::new(fields, band, None);
                let handed_on = rows[at as usize + 1..].iter().filter(|r| walker.push((*r).clone()).is_some()).count();
                prop_assert_eq!(handed_on, data.len());
                prop_assert_eq!(walker.skipped.get(&Skip::Header).copied().unwrap_or(0), 0);
            }
        }

        fn row(index: u32, cells: &[(u32, &str)]) -> Row {
            Row {
                index,
                cells: cells.iter().map(|(c, s)| (*c, Cell::Text(s.to_string()))).collect(),
            }
        }
    }

    #[test]
    fn years_come_from_titles_and_file_names() {
        assert_eq!(find_year("2019年公共管理信息系统安全测评计划预告"), Ok(Some(2019)));
        assert_eq!(find_year("测评计划预告_2020_v2.xlsx"), Ok(Some(2020)));
        assert_eq!(find_year("２０１８年计划"), Ok(Some(2018)));
        assert_eq!(find_year("编号 12019 计划"), Ok(None));
        assert_eq!(find_year("2019年测评计划预告 填报日期：2018年12月20日"), Ok(Some(2019)));
        assert_eq!(find_year("2019年计划（2018-12-20 印发）"), Ok(Some(2019)));
        assert_eq!(find_year("2019年计划（2019年修订）"), Ok(Some(2019)));
        assert!(find_year("2018-2025年度公共管理信息系统安全测评计划预告")
            .unwrap_err()
            .contains("2018–2025"));
        assert!(find_year("2018年至2020年测评计划").is_err());
        assert!(find_year("2018年测评计划（2019年）")
            .unwrap_err()
            .contains("2018, 2019"));
    }

    #[test]
    fn label_value_lines_are_not_group_headers() {
        assert!(label_value("主管部门:市教委"));
        assert!(!label_value("金额(单位:万元)"));
        assert!(!label_value("风险数量"));
        assert!(!label_value("备注:"));
        assert!(!group_row(&row(1, &[(0, "主管部门：市教委"), (4, "风险数量")])));
        assert!(group_row(&row(1, &[(0, "金额（单位：万元）"), (4, "风险数量")])));
    }

    #[test]
    fn departments_come_from_department_lines() {
        assert_eq!(find_department_line("主管部门：市教委"), Some("市教委".into()));
        assert_eq!(find_department_line("主管部门: 市 卫健委"), Some("市卫健委".into()));
        assert_eq!(find_department_line("主管部门：市教委（盖章）"), Some("市教委".into()));
        assert_eq!(find_department_line("主管部门："), None);
        assert_eq!(find_department_line("2019年测评计划预告"), None);
    }

    #[test]
    fn money_units_come_from_title_lines() {
        assert_eq!(find_money_unit("（金额单位：万元）"), Some("万元".into()));
        assert_eq!(find_money_unit("单位: 元"), Some("元".into()));
        assert_eq!(find_money_unit("2019年经费预算"), None);
    }

    #[test]
    fn sheet_names_give_departments_unless_generic() {
        assert_eq!(department_from_sheet_name("市教委"), Some("市教委".into()));
        assert_eq!(department_from_sheet_name("Sheet1"), None);
        assert_eq!(department_from_sheet_name("2019年计划"), None);
    }

    #[test]
    fn merged_department_cells_fill_down_from_merged_regions() {
        let fields = super::super::kinds::plan::FIELDS;
        let header = row(1, &[(0, "主管部门"), (1, "预算单位"), (2, "系统名称")]);
        let band = band(fields, &header, None, Some(&[]));
        let merges = vec![MergedRegion {
            start: (2, 0),
            end: (4, 0),
        }];
        let mut w = Walker::new(fields, band, Some(merges));
        let dept = fields.iter().position(|f| f.name == "department").unwrap();
        let first = w.push(row(2, &[(0, "市教委"), (1, "A校"), (2, "OA")])).unwrap();
        let third = w.push(row(4, &[(1, "B校"), (2, "门户")])).unwrap();
        assert_eq!(first.cells[dept], Some(Cell::Text("市教委".into())));
        assert_eq!(third.cells[dept], Some(Cell::Text("市教委".into())));
        assert_eq!(third.number, 5);
    }

    #[test]
    fn totals_notes_and_repeated_headers_are_skipped() {
        let fields = super::super::kinds::plan::FIELDS;
        let header = row(0, &[(0, "主管部门"), (1, "预算单位"), (2, "系统名称")]);
        let band = band(fields, &header, None, None);
        let mut w = Walker::new(fields, band, None);
        assert!(w.push(row(1, &[(0, "合计"), (2, "3")])).is_none());
        assert!(w
            .push(row(2, &[(0, "主管部门"), (1, "预算单位"), (2, "系统名称")]))
            .is_none());
        assert!(w.push(row(3, &[(0, "注：本表由各单位填报")])).is_none());
        assert!(w.push(row(4, &[(0, "1. 等级以备案为准")])).is_none());
        assert_eq!(w.skipped.get(&Skip::Total), Some(&1));
        assert_eq!(w.skipped.get(&Skip::Header), Some(&1));
        assert_eq!(w.skipped.get(&Skip::Note), Some(&2));
    }

    #[test]
    fn two_row_header_bands_join_group_and_sub_headers() {
        let fields = super::super::kinds::assessments::FIELDS;
        let top = row(2, &[(0, "报告编号"), (1, "系统名称"), (2, "风险数量")]);
        let bottom = row(3, &[(2, "高"), (3, "中"), (4, "低")]);
        let merges = [MergedRegion {
            start: (2, 2),
            end: (2, 4),
        }];
        let b = band(fields, &top, Some(&bottom), Some(&merges));
        let col_of = |name: &str| {
            b.by_field[fields.iter().position(|f| f.name == name).unwrap()]
                .as_ref()
                .map(|m| (m.col, m.header.clone()))
        };
        assert_eq!(col_of("high_risks"), Some((2, "风险数量/高".into())));
        assert_eq!(col_of("low_risks"), Some((4, "风险数量/低".into())));
    }
}
