//! One data row seen through its kind's fields: typed accessors that turn cells into
//! values or into a `RowError` naming the column and the value. And the Arrow builder
//! that collects mapped rows into a table's `RecordBatch`.

use std::sync::Arc;

use datafusion::arrow::array::{
    make_builder, ArrayBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder,
    Int64Builder, Int8Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::DataType;

pub use super::field::MappedColumn;
use super::kind::Field;
use super::normalize::{self, DateValue};
use super::workbook::Cell;
use crate::error::Result;
use crate::schema::TableDef;

/// A column value ready for Arrow.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    I8(i8),
    I32(i32),
    I64(i64),
    F64(f64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Fen (yuan × 100).
    Money(i128),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}
impl From<i8> for Value {
    fn from(v: i8) -> Self {
        Value::I8(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::I32(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}
impl From<chrono::NaiveDate> for Value {
    fn from(d: chrono::NaiveDate) -> Self {
        Value::Date(normalize::date32(d))
    }
}

/// Why a row was not loaded, and the column at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub column: Option<String>,
    pub value: Option<String>,
    pub reason: String,
}

impl RowError {
    pub fn new(column: Option<String>, value: Option<String>, reason: impl Into<String>) -> Self {
        RowError {
            column,
            value,
            reason: reason.into(),
        }
    }
}

/// A data row by field: the cells after merged-cell and fill-down filling.
pub struct FieldRow<'a> {
    pub fields: &'static [Field],
    pub cells: Vec<Option<Cell>>,
    pub columns: &'a [Option<MappedColumn>],
    pub is_1904: bool,
    /// The department a sheet-per-department workbook gives in its sheet name.
    pub sheet_department: Option<&'a str>,
    /// The sheet's default money unit from a `单位：万元` title line.
    pub default_money_unit: Option<&'a str>,
}

type Res<T> = std::result::Result<T, RowError>;

impl FieldRow<'_> {
    fn index(&self, field: &str) -> usize {
        self.fields
            .iter()
            .position(|f| f.name == field)
            .unwrap_or_else(|| panic!("field `{field}` is declared by its kind"))
    }

    /// Whether the sheet has a column for this field.
    pub fn has(&self, field: &str) -> bool {
        self.columns.get(self.index(field)).is_some_and(|c| c.is_some())
    }

    pub fn header(&self, field: &str) -> String {
        let i = self.index(field);
        self.columns
            .get(i)
            .and_then(|c| c.as_ref())
            .map(|c| c.header.clone())
            .unwrap_or_else(|| self.fields[i].label().to_string())
    }

    /// A mapped cell holding a spreadsheet error value (`#REF!`, `#N/A`, `#SPILL!` …),
    /// read as an error cell or written as that text: the row cannot be loaded, whatever
    /// the field (a unit must not be named `#REF!`). Unmapped columns are never looked at.
    pub fn error_value(&self) -> Res<()> {
        for (i, cell) in self.cells.iter().enumerate() {
            let value = match cell {
                Some(Cell::Error(e)) => e.as_str(),
                Some(Cell::Text(t)) if is_error_literal(t.trim()) => t.trim(),
                _ => continue,
            };
            let header = self.header(self.fields[i].name);
            return Err(RowError::new(
                Some(header.clone()),
                Some(value.to_string()),
                format!("column {header}: the cell holds the error value {value} (a formula that failed), not a value"),
            ));
        }
        Ok(())
    }

    pub fn cell(&self, field: &str) -> Option<&Cell> {
        self.cells
            .get(self.index(field))
            .and_then(|c| c.as_ref())
            .filter(|c| !c.is_empty())
    }

    fn err(&self, field: &str, cell: &Cell, reason: String) -> RowError {
        RowError::new(
            Some(self.header(field)),
            Some(cell.display()),
            format!("column {}: {reason}", self.header(field)),
        )
    }

    pub fn missing(&self, field: &str) -> RowError {
        RowError::new(
            Some(self.header(field)),
            None,
            format!("column {}: missing (it identifies the row)", self.header(field)),
        )
    }

    /// Normalised text, or None when blank.
    pub fn text(&self, field: &str) -> Option<String> {
        self.text_cow(field).map(std::borrow::Cow::into_owned)
    }

    /// [`Self::text`], borrowed from the cell when it is already normal.
    fn text_cow(&self, field: &str) -> Option<std::borrow::Cow<'_, str>> {
        let t = match self.cell(field)? {
            Cell::Text(t) => normalize::text_cow(t),
            other => normalize::text(&other.display()).into(),
        };
        (!t.is_empty()).then_some(t)
    }

    pub fn required_text(&self, field: &str) -> Res<String> {
        self.text(field).ok_or_else(|| self.missing(field))
    }

    pub fn level(&self, field: &str) -> Res<Option<i8>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        let raw = match cell {
            Cell::Number(v) if v.fract() == 0.0 => normalize::number_text(*v),
            other => other.display(),
        };
        normalize::level(&raw).map(Some).map_err(|e| self.err(field, cell, e))
    }

    pub fn date_value(&self, field: &str) -> Res<Option<DateValue>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        let parsed = match cell {
            Cell::Date(d) => Ok(DateValue::Day(*d)),
            Cell::Number(v) => normalize::date_number(*v, self.is_1904),
            Cell::Text(t) => normalize::date_text(t),
            other => Err(format!(
                "{:?} is not a date ({})",
                other.display(),
                normalize::DATE_EXPECTED
            )),
        };
        parsed.map(Some).map_err(|e| self.err(field, cell, e))
    }

    /// A day; month-only values mean the month's first day; a bare quarter is an error.
    pub fn date(&self, field: &str) -> Res<Option<chrono::NaiveDate>> {
        match self.date_value(field)? {
            None => Ok(None),
            Some(v) => v.as_day().map(Some).ok_or_else(|| {
                let cell = self.cell(field).expect("a parsed date has a cell");
                self.err(
                    field,
                    cell,
                    format!(
                        "{:?} is a quarter, not a date ({})",
                        cell.display(),
                        normalize::DATE_EXPECTED
                    ),
                )
            }),
        }
    }

    /// A planned quarter from a date, month or quarter; a plain number is a quarter (1–4)
    /// under a 季度 header and a month (1–12) under a 月 header.
    pub fn quarter(&self, field: &str) -> Res<Option<i8>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        // A bare number, typed as a number or as text: a quarter or a month by the header.
        let bare = match cell {
            Cell::Number(v) => Some(*v),
            Cell::Text(t) => normalize::text_cow(t).parse::<f64>().ok().filter(|v| *v < 13.0),
            _ => None,
        };
        if let Some(n) = bare {
            let header = self.header(field);
            if n.fract() == 0.0 && (1.0..=12.0).contains(&n) {
                let month_header = header.contains('月') && !header.contains("季");
                if month_header {
                    return Ok(Some(((n as i8) - 1) / 3 + 1));
                }
                if n <= 4.0 {
                    return Ok(Some(n as i8));
                }
                return Err(self.err(
                    field,
                    cell,
                    format!(
                        "{} is not a quarter (expected 1–4, 一季度, 2019年第一季度 or a date)",
                        normalize::number_text(n)
                    ),
                ));
            }
        }
        if let Cell::Text(t) = cell {
            let t = normalize::text_cow(t);
            let month = t.strip_suffix('月').or_else(|| t.strip_suffix("月份"));
            if let Some(m) = month
                .and_then(|m| m.parse::<i8>().ok())
                .filter(|m| (1..=12).contains(m))
            {
                return Ok(Some((m - 1) / 3 + 1));
            }
        }
        Ok(self.date_value(field)?.map(|d| d.quarter() as i8))
    }

    /// A quarter of `year`: a planned time that names another year (`2023年5月` in a 2020
    /// plan) is an error naming both years, never a quarter of this one.
    pub fn quarter_in_year(&self, field: &str, year: Option<i32>) -> Res<Option<i8>> {
        use chrono::Datelike;
        let quarter = self.quarter(field)?;
        let (Some(year), Some(cell)) = (year, self.cell(field)) else {
            return Ok(quarter);
        };
        let named = match cell {
            Cell::Number(_) => None,
            _ => match self.date_value(field) {
                Ok(Some(DateValue::Day(d))) => Some(d.year()),
                Ok(Some(DateValue::Month { year, .. })) => Some(year),
                Ok(Some(DateValue::Quarter { year, .. })) => year,
                _ => None,
            },
        };
        let named = named.or(match cell {
            Cell::Date(d) => Some(d.year()),
            Cell::Number(v) if *v > 366.0 => self
                .date_value(field)
                .ok()
                .flatten()
                .and_then(|d| d.as_day())
                .map(|d| d.year()),
            _ => None,
        });
        match named {
            Some(y) if y != year => Err(self.err(
                field,
                cell,
                format!("the planned time is in {y}, outside the plan's year {year}"),
            )),
            _ => Ok(quarter),
        }
    }

    fn money_shift(&self, field: &str) -> Res<u32> {
        let i = self.index(field);
        let unit = self
            .columns
            .get(i)
            .and_then(|c| c.as_ref())
            .and_then(|c| c.unit.as_deref())
            .or(self.default_money_unit);
        normalize::money_unit(unit).ok_or_else(|| {
            RowError::new(
                Some(self.header(field)),
                None,
                format!(
                    "column {}: unknown money unit {unit:?} (expected 元 or 万元)",
                    self.header(field)
                ),
            )
        })
    }

    /// An amount in fen; negative amounts are errors.
    pub fn money(&self, field: &str) -> Res<Option<i128>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        let shift = self.money_shift(field)?;
        let raw = match cell {
            Cell::Number(v) => normalize::number_text(*v),
            Cell::Text(t) => t.clone(),
            other => return Err(self.err(field, cell, format!("{:?} is not an amount", other.display()))),
        };
        let fen = normalize::money_text(&raw, shift).map_err(|e| self.err(field, cell, e))?;
        if fen < 0 {
            return Err(self.err(field, cell, format!("{raw:?} is negative; an amount is 0 or more")));
        }
        if fen >= 10i128.pow(18) {
            return Err(self.err(field, cell, format!("{raw:?} is too large for an amount in yuan")));
        }
        Ok(Some(fen))
    }

    pub fn count(&self, field: &str) -> Res<Option<i32>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        match cell {
            Cell::Number(v) => normalize::count_number(*v),
            Cell::Text(t) => normalize::count_text(t),
            other => Err(format!("{:?} is not a whole count", other.display())),
        }
        .map(Some)
        .map_err(|e| self.err(field, cell, e))
    }

    /// A number within `range` (e.g. a score 0–100).
    pub fn number(&self, field: &str, range: std::ops::RangeInclusive<f64>) -> Res<Option<f64>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        let v = match cell {
            Cell::Number(v) => Some(*v),
            Cell::Text(t) => normalize::text(t).trim_end_matches('分').parse::<f64>().ok(),
            _ => None,
        };
        match v {
            Some(v) if range.contains(&v) => Ok(Some(v)),
            Some(_) => Err(self.err(
                field,
                cell,
                format!(
                    "{:?} is out of range ({}–{})",
                    cell.display(),
                    range.start(),
                    range.end()
                ),
            )),
            None => Err(self.err(field, cell, format!("{:?} is not a number", cell.display()))),
        }
    }

    /// A yes/no cell (是/否, √/×, Y/N, 1/0 …); blank is unknown (None), never no.
    pub fn yes_no(&self, field: &str) -> Res<Option<bool>> {
        let Some(cell) = self.cell(field) else {
            return Ok(None);
        };
        let raw = match cell {
            Cell::Number(v) => normalize::number_text(*v),
            Cell::Bool(b) => return Ok(Some(*b)),
            other => other.display(),
        };
        normalize::yes_no(&raw).map(Some).map_err(|e| self.err(field, cell, e))
    }

    /// Whether this row's kind (and its companions) declare `field`: a mapper shared by
    /// several workbook kinds asks before it reads a field only some of them have.
    pub fn declares(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f.name == field)
    }

    /// Text mapped through a vocabulary of (contains-pattern, value); unknown text is an error.
    pub fn vocabulary(&self, field: &str, vocab: &[(&str, &'static str)], expected: &str) -> Res<Option<&'static str>> {
        let Some(text) = self.text_cow(field) else {
            return Ok(None);
        };
        let mut key = String::with_capacity(text.len());
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            normalize::push_lower(&mut key, c);
        }
        let short = key.trim_end_matches("风险").trim_end_matches('级');
        // One-character words (高, 良, 中) must match exactly: 特高 is not 高.
        vocab
            .iter()
            .find(|(pattern, _)| {
                key == *pattern || short == *pattern || (pattern.chars().count() >= 2 && key.contains(pattern))
            })
            .map(|(_, v)| Some(*v))
            .ok_or_else(|| {
                self.err(
                    field,
                    self.cell(field).expect("text has a cell"),
                    format!("{text:?} is not one of {expected}"),
                )
            })
    }
}

/// Where a row came from: the table's last four columns.
pub struct Lineage<'a> {
    pub file: &'a str,
    pub sha: &'a str,
    pub sheet: &'a str,
    /// 1-based, as Excel shows it.
    pub row: u32,
}

/// Collects rows of one table into Arrow arrays.
pub struct TableBuilder {
    def: &'static TableDef,
    builders: Vec<Box<dyn ArrayBuilder>>,
    types: Vec<DataType>,
}

impl TableBuilder {
    pub fn new(def: &'static TableDef) -> Self {
        let schema = def.schema();
        let types: Vec<DataType> = schema.fields().iter().map(|f| f.data_type().clone()).collect();
        let builders = types.iter().map(|t| make_builder(t, 1024)).collect();
        TableBuilder { def, builders, types }
    }

    pub fn len(&self) -> usize {
        self.builders.first().map_or(0, |b| b.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one row; `values` are in the table's column order.
    pub fn push(&mut self, values: Vec<Value>) {
        assert_eq!(
            values.len(),
            self.builders.len(),
            "a row of `{}` has one value per column",
            self.def.name
        );
        for ((b, t), v) in self.builders.iter_mut().zip(&self.types).zip(values) {
            append(b.as_mut(), t, v);
        }
    }

    /// Appends one row of a table with lineage: its own `values`, then where it came from
    /// (written straight into the builders: no strings per row).
    pub fn push_with_lineage(&mut self, values: Vec<Value>, lineage: &Lineage<'_>) {
        let own = self.builders.len() - 4;
        assert_eq!(
            values.len(),
            own,
            "a row of `{}` has one value per column",
            self.def.name
        );
        for ((b, t), v) in self.builders.iter_mut().zip(&self.types).zip(values) {
            append(b.as_mut(), t, v);
        }
        let [file, sha, sheet, row] = &mut self.builders[own..] else {
            unreachable!("four lineage columns")
        };
        for (b, v) in [(file, lineage.file), (sha, lineage.sha), (sheet, lineage.sheet)] {
            b.as_any_mut()
                .downcast_mut::<StringBuilder>()
                .expect("lineage names are strings")
                .append_value(v);
        }
        row.as_any_mut()
            .downcast_mut::<Int32Builder>()
            .expect("source_row is an Int32")
            .append_value(lineage.row as i32);
    }

    pub fn finish(&mut self) -> Result<RecordBatch> {
        let arrays = self.builders.iter_mut().map(|b| b.finish()).collect::<Vec<_>>();
        let arrays = arrays
            .into_iter()
            .zip(&self.types)
            .map(|(a, t)| {
                if a.data_type() == t {
                    Ok(a)
                } else {
                    datafusion::arrow::compute::cast(&a, t)
                }
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(RecordBatch::try_new(Arc::clone(&self.def.schema()), arrays)?)
    }
}

fn append(b: &mut dyn ArrayBuilder, t: &DataType, v: Value) {
    macro_rules! put {
        ($builder:ty, $val:expr) => {{
            let b = b
                .as_any_mut()
                .downcast_mut::<$builder>()
                .expect("the builder matches the column type");
            match $val {
                Some(x) => b.append_value(x),
                None => b.append_null(),
            }
        }};
    }
    let mismatch = |v: &Value| -> ! { panic!("value {v:?} does not fit a {t} column") };
    match (t, v) {
        (DataType::Utf8, Value::Str(s)) => put!(StringBuilder, Some(s)),
        (DataType::Utf8, Value::Null) => put!(StringBuilder, None::<String>),
        (DataType::Int8, Value::I8(x)) => put!(Int8Builder, Some(x)),
        (DataType::Int8, Value::Null) => put!(Int8Builder, None),
        (DataType::Int32, Value::I32(x)) => put!(Int32Builder, Some(x)),
        (DataType::Int32, Value::Null) => put!(Int32Builder, None),
        (DataType::Int64, Value::I64(x)) => put!(Int64Builder, Some(x)),
        (DataType::Int64, Value::Null) => put!(Int64Builder, None),
        (DataType::Float64, Value::F64(x)) => put!(Float64Builder, Some(x)),
        (DataType::Float64, Value::Null) => put!(Float64Builder, None),
        (DataType::Boolean, Value::Bool(x)) => put!(BooleanBuilder, Some(x)),
        (DataType::Boolean, Value::Null) => put!(BooleanBuilder, None),
        (DataType::Date32, Value::Date(x)) => put!(Date32Builder, Some(x)),
        (DataType::Date32, Value::Null) => put!(Date32Builder, None),
        (DataType::Decimal128(_, _), Value::Money(x)) => put!(Decimal128Builder, Some(x)),
        (DataType::Decimal128(_, _), Value::Null) => put!(Decimal128Builder, None),
        (_, v) => mismatch(&v),
    }
}

/// The error values Excel, WPS and LibreOffice show in a cell.
pub const ERROR_VALUES: &[&str] = &[
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#DATA!",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#BUSY!",
    "#UNKNOWN!",
    "#CONNECT!",
    "#PYTHON!",
    "#EXTERNAL!",
];

/// An error value, including LibreOffice's `Err:502` form.
pub fn is_error_literal(t: &str) -> bool {
    ERROR_VALUES.contains(&t)
        || t.strip_prefix("Err:")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}
