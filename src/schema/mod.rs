//! The data dictionary's types: a table is a [`TableDef`] (columns with Arrow types,
//! Chinese labels and meanings, and how rows are written), the [`Catalog`] is every table
//! of the warehouse. Each source kind declares its own table in its file
//! (`src/ingest/kinds/`); the bookkeeping tables the warehouse keeps for itself are here.
//! Table creation, `ceping tables`/`describe`, `check` and report headings all read these
//! definitions, so a column is added in one place.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Money is yuan with two decimals (fen), never a float.
pub const MONEY_PRECISION: u8 = 18;
pub const MONEY_SCALE: i8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Utf8,
    Int8,
    Int32,
    Int64,
    Float64,
    Boolean,
    Date32,
    /// `Decimal128(18,2)` yuan.
    Money,
    /// UTC microseconds.
    Timestamp,
}

impl ColumnType {
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Int8 => DataType::Int8,
            ColumnType::Int32 => DataType::Int32,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Date32 => DataType::Date32,
            ColumnType::Money => DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE),
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub name: &'static str,
    pub ty: ColumnType,
    /// Chinese label used by reports and `describe`.
    pub label: &'static str,
    pub meaning: &'static str,
}

/// How a table's rows are written, and so what `check` expects of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePolicy {
    /// A file's rows are added. `revisioned`: each file is the next revision of its year
    /// (a `revision` column; the highest is the year's current one), and a department's
    /// return revises only that department's rows. `check`: a file's rows equal its log
    /// count (within the revision it was loaded as).
    Append { revisioned: bool },
    /// A row replaces the stored row with the same key (a newer workbook updates state).
    /// `check`: a file keeps at most the rows it logged (newer files replace some).
    Upsert { key: &'static [&'static str] },
    /// Kept by the warehouse itself (`rejects`, `ingest_log`).
    Bookkeeping,
}

#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    /// The source kind whose files write it (`ingest_log.kind`, `--kind`); empty for the
    /// bookkeeping tables.
    pub kind: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
    pub columns: &'static [ColumnDef],
    /// Rows loaded from a workbook carry `source_file`, `source_sha256`, `source_sheet`,
    /// `source_row` after their own columns.
    pub lineage: bool,
    pub write: WritePolicy,
}

pub const fn col(name: &'static str, ty: ColumnType, label: &'static str, meaning: &'static str) -> ColumnDef {
    ColumnDef {
        name,
        ty,
        label,
        meaning,
    }
}

use ColumnType::*;

pub const LINEAGE: &[ColumnDef] = &[
    col("source_file", Utf8, "来源文件", "file name as given to `ceping ingest`"),
    col("source_sha256", Utf8, "文件摘要", "SHA-256 of the file's bytes"),
    col("source_sheet", Utf8, "工作表", "sheet the row came from"),
    col("source_row", Int32, "行号", "1-based row number as Excel shows it"),
];

pub const INGEST_LOG: TableDef = TableDef {
    name: "ingest_log",
    kind: "",
    label: "导入记录",
    meaning: "one row per ingested file; its Delta version is the warehouse version",
    lineage: false,
    write: WritePolicy::Bookkeeping,
    columns: &[
        col("file_name", Utf8, "文件名", "file name as given"),
        col(
            "source_sha256",
            Utf8,
            "文件摘要",
            "SHA-256 of the bytes; the same bytes are ingested once",
        ),
        col(
            "kind",
            Utf8,
            "类型",
            "the kind of file (`ceping ingest --help` lists them), or `optimize`",
        ),
        col("year", Int32, "年度", "year the file is about"),
        col("revision", Int32, "修订版次", "plan revision (plans only)"),
        col("rows_loaded", Int64, "导入行数", "rows loaded"),
        col("rows_rejected", Int64, "拒绝行数", "rows sent to rejects"),
        col(
            "rows_skipped",
            Int64,
            "跳过行数",
            "title, header, blank, total and note rows",
        ),
        col("loaded_at", Timestamp, "导入时间", "when the commit was made (UTC)"),
        col(
            "warehouse_version",
            Int64,
            "仓库版本",
            "this commit's warehouse version (`--as-of`)",
        ),
        col(
            "table_versions",
            Utf8,
            "表版本",
            "JSON map of each table's Delta version at this warehouse version",
        ),
    ],
};
pub const REJECTS: TableDef = TableDef {
    name: "rejects",
    kind: "",
    label: "拒绝行",
    meaning: "every source row that could not be loaded, with the reason and its raw cells",
    lineage: true,
    write: WritePolicy::Bookkeeping,
    columns: &[
        col("kind", Utf8, "类型", "the kind of file"),
        col(
            "column_name",
            Utf8,
            "列名",
            "the source column at fault, as headed in the sheet",
        ),
        col("value", Utf8, "原值", "the offending cell as text"),
        col("reason", Utf8, "原因", "why the row was not loaded"),
        col(
            "raw_cells",
            Utf8,
            "原始单元格",
            "JSON array of [header, cell text] pairs of the whole row",
        ),
    ],
};

impl TableDef {
    pub fn all_columns(&self) -> impl Iterator<Item = &'static ColumnDef> {
        let lineage: &'static [ColumnDef] = if self.lineage { LINEAGE } else { &[] };
        self.columns.iter().chain(lineage.iter())
    }

    /// Arrow schema; every column nullable (Delta enforces no NOT NULL constraints here, the
    /// ingest mappers enforce required fields and reject rows instead).
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.all_columns()
                .map(|c| Field::new(c.name, c.ty.arrow(), true))
                .collect::<Vec<_>>(),
        ))
    }

    pub fn column(&self, name: &str) -> Option<&'static ColumnDef> {
        self.all_columns().find(|c| c.name == name)
    }

    /// The key rows are upserted on (empty when rows are appended).
    pub fn key(&self) -> &'static [&'static str] {
        match self.write {
            WritePolicy::Upsert { key } => key,
            _ => &[],
        }
    }

    /// Whether each file is the next revision of its year.
    pub fn revisioned(&self) -> bool {
        matches!(self.write, WritePolicy::Append { revisioned: true })
    }
}

/// Every table of a warehouse: the source kinds' tables in the registry's order, then
/// `rejects` and `ingest_log` (last: its commit marks an ingest done).
#[derive(Debug)]
pub struct Catalog {
    sources: Vec<&'static TableDef>,
}

impl Catalog {
    pub fn new(sources: Vec<&'static TableDef>) -> Self {
        Catalog { sources }
    }

    /// The source kinds' tables.
    pub fn sources(&self) -> &[&'static TableDef] {
        &self.sources
    }

    /// Every table, `ingest_log` last.
    pub fn tables(&self) -> impl Iterator<Item = &'static TableDef> + '_ {
        self.sources.iter().copied().chain([&REJECTS, &INGEST_LOG])
    }

    pub fn table(&self, name: &str) -> Option<&'static TableDef> {
        self.tables().find(|t| t.name == name)
    }

    /// A digest of every table's columns and types: what a warehouse's tables were made or
    /// migrated to (recorded in its marker file).
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for t in self.tables() {
            h.update(t.name.as_bytes());
            for c in t.all_columns() {
                h.update(format!("|{}:{:?}", c.name, c.ty).as_bytes());
            }
            h.update(b"\n");
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A column's entry in the first table that has it.
    pub fn column_def(&self, column: &str) -> Option<&'static ColumnDef> {
        self.tables().find_map(|t| t.column(column))
    }
}
