//! The data dictionary: every table of `shared/DATA_MODEL.md`, its columns, their Arrow
//! types and Chinese labels. Table creation, `ceping tables`/`describe`, the REPL's `\d`
//! and report headings are all generated from these definitions, so a column is added
//! here once.

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

#[derive(Debug)]
pub struct TableDef {
    pub name: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
    pub columns: &'static [ColumnDef],
    /// Rows loaded from a workbook carry `source_file`, `source_sha256`, `source_sheet`,
    /// `source_row` after their own columns.
    pub lineage: bool,
}

const fn col(name: &'static str, ty: ColumnType, label: &'static str, meaning: &'static str) -> ColumnDef {
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

pub const PLAN_ITEMS: TableDef = TableDef {
    name: "plan_items",
    label: "测评计划预告",
    meaning: "one row per system per plan revision",
    lineage: true,
    columns: &[
        col("year", Int32, "计划年度", "plan year"),
        col(
            "revision",
            Int32,
            "修订版次",
            "1 for the first published preview of the year, +1 per re-issued workbook",
        ),
        col("department", Utf8, "主管部门", "competent department, normalised name"),
        col("unit", Utf8, "预算单位", "budget unit, normalised name"),
        col("system", Utf8, "系统名称", "system name, normalised"),
        col(
            "system_id",
            Utf8,
            "系统标识",
            "filing number (备案编号) when given, else a key from normalised unit + system",
        ),
        col(
            "level",
            Int8,
            "安全保护等级",
            "protection level 1–5; null when the workbook does not say",
        ),
        col(
            "reason",
            Utf8,
            "测评原因",
            "periodic (周期测评), new (新建系统), change (重大变更复测)",
        ),
        col(
            "planned_quarter",
            Int8,
            "计划季度",
            "1–4 when the workbook gives a planned month or quarter",
        ),
        col(
            "last_assessed",
            Date32,
            "上次测评时间",
            "date of the previous assessment",
        ),
        col(
            "trial_ended_on",
            Date32,
            "试运行结束时间",
            "end of a new system's trial operation (due within 30 days after)",
        ),
    ],
};

pub const ASSESSMENTS: TableDef = TableDef {
    name: "assessments",
    label: "测评结果",
    meaning: "one row per completed assessment",
    lineage: true,
    columns: &[
        col(
            "assessment_id",
            Utf8,
            "报告编号",
            "report number; derived from system and date when absent",
        ),
        col("system_id", Utf8, "系统标识", "as in plan_items"),
        col("department", Utf8, "主管部门", "competent department"),
        col("unit", Utf8, "预算单位", "budget unit"),
        col("system", Utf8, "系统名称", "system name"),
        col("level", Int8, "安全保护等级", "level at assessment time"),
        col(
            "assessed_on",
            Date32,
            "出具报告日期",
            "date the assessment report was issued",
        ),
        col("year", Int32, "年度", "year of assessed_on"),
        col("quarter", Int8, "季度", "quarter of assessed_on"),
        col(
            "planned",
            Boolean,
            "是否计划内",
            "the system is in that year's current plan",
        ),
        col(
            "conclusion",
            Utf8,
            "测评结论",
            "excellent/good/fair/poor (优良中差) or pass/basic_pass/fail (符合/基本符合/不符合)",
        ),
        col("score", Float64, "得分", "0–100"),
        col("high_risks", Int32, "高风险数", "high-risk findings"),
        col("medium_risks", Int32, "中风险数", "medium-risk findings"),
        col("low_risks", Int32, "低风险数", "low-risk findings"),
        col("fee", Money, "测评费用", "assessment fee, yuan"),
    ],
};

pub const FINDINGS: TableDef = TableDef {
    name: "findings",
    label: "整改情况",
    meaning: "one row per finding, with its rectification state",
    lineage: true,
    columns: &[
        col("finding_id", Utf8, "问题编号", "report number + item number"),
        col("assessment_id", Utf8, "报告编号", "the assessment that found it"),
        col("system_id", Utf8, "系统标识", "the system, from the matched assessment"),
        col("risk", Utf8, "风险等级", "high, medium, low (高/中/低风险)"),
        col("category", Utf8, "安全类别", "MLPS 2.0 control area, e.g. 安全计算环境"),
        col("description", Utf8, "问题描述", "what was found"),
        col(
            "remedy",
            Utf8,
            "整改方式",
            "immediate (即知即改) or renovation (系统改造)",
        ),
        col("due_on", Date32, "整改期限", "rectification deadline"),
        col("status", Utf8, "整改状态", "open, in_progress, fixed"),
        col("fixed_on", Date32, "完成日期", "null unless fixed"),
        col("cost", Money, "整改费用", "rectification cost, yuan"),
    ],
};

pub const BUDGETS: TableDef = TableDef {
    name: "budgets",
    label: "经费预算",
    meaning: "one row per unit, year and category",
    lineage: true,
    columns: &[
        col("year", Int32, "预算年度", "budget year"),
        col("department", Utf8, "主管部门", "competent department"),
        col("unit", Utf8, "预算单位", "budget unit"),
        col(
            "category",
            Utf8,
            "经费类别",
            "assessment (测评), rectification (整改), service (安全服务)",
        ),
        col("requested", Money, "申报金额", "yuan requested"),
        col("approved", Money, "批复金额", "yuan approved"),
        col("spent", Money, "实际支出", "yuan spent"),
    ],
};

pub const INGEST_LOG: TableDef = TableDef {
    name: "ingest_log",
    label: "导入记录",
    meaning: "one row per ingested file; its Delta version is the warehouse version",
    lineage: false,
    columns: &[
        col("file_name", Utf8, "文件名", "file name as given"),
        col(
            "source_sha256",
            Utf8,
            "文件摘要",
            "SHA-256 of the bytes; the same bytes are ingested once",
        ),
        col("kind", Utf8, "类型", "plan, assessments, findings, budgets"),
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
    label: "拒绝行",
    meaning: "every source row that could not be loaded, with the reason and its raw cells",
    lineage: true,
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

/// Every table of the warehouse. `ingest_log` is last: its commit marks an ingest done.
pub const TABLES: &[&TableDef] = &[&PLAN_ITEMS, &ASSESSMENTS, &FINDINGS, &BUDGETS, &REJECTS, &INGEST_LOG];

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
}

pub fn table(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// Chinese label of a column name in any table (first match) or computed by a view, for
/// report headings, `describe` and XLSX exports.
pub fn label_of(column: &str) -> Option<&'static str> {
    column_def(column).map(|c| c.label)
}

/// A metric or helper view's Chinese label (its SQL, documentation and columns are in
/// `src/sql/views/NAME.sql`).
pub const VIEW_LABELS: &[(&str, &str)] = &[
    ("assessments_enriched", "测评结果（补全）"),
    ("budget_gaps", "经费核查"),
    ("cycle_status", "测评周期状态"),
    ("execution_by_quarter", "分季度测评实施"),
    ("findings_unmatched", "未匹配测评报告的问题"),
    ("latest_assessments", "系统最新测评"),
    ("letters_due", "应发函件"),
    ("plan_changes", "计划修订变化"),
    ("plan_coverage", "测评预告覆盖"),
    ("plan_items_current", "现行测评计划"),
    ("plan_latest", "系统最新计划条目"),
    ("plans_behind", "未按计划测评的系统"),
    ("rectification_by_system", "分系统整改进度"),
    ("rectification_progress", "分季度整改进度"),
    ("rectification_schedule", "整改计划与期限"),
    ("rectification_status", "整改状态"),
    ("spending", "经费执行"),
];

/// Columns that views compute (not stored in any table): their labels and meanings.
pub const VIEW_COLUMNS: &[ColumnDef] = &[
    col("as_of", Date32, "统计日期", "the date the row is evaluated on"),
    col(
        "assessment_fees",
        Money,
        "测评费合计",
        "sum of the assessments' fees, yuan",
    ),
    col(
        "fee_per_system",
        Money,
        "每系统测评费",
        "assessment fees / systems assessed, yuan",
    ),
    col("rectification_spent", Money, "整改支出", "yuan spent on rectification"),
    col(
        "service_spent",
        Money,
        "安全服务支出",
        "yuan spent on security services",
    ),
    col(
        "budget_category",
        Utf8,
        "经费类别",
        "assessment, rectification or service (the budgets table's category)",
    ),
    col(
        "gap",
        Utf8,
        "核查问题",
        "no_assessment_budget, no_rectification_budget, approved_below_requested or spent_above_approved",
    ),
    col(
        "rule",
        Utf8,
        "依据",
        "the rule the row falls under, in the office's words",
    ),
    col(
        "system_names",
        Utf8,
        "系统名称",
        "the systems behind the row, joined with 、",
    ),
    col("assessed_year", Int32, "测评年度", "year of the assessment counted"),
    col(
        "budget_year",
        Int32,
        "整改预算年度",
        "the year the rectification budget is requested in",
    ),
    col(
        "deadline",
        Date32,
        "整改期限",
        "31 Dec of the assessment year (first half) or two years later (second half)",
    ),
    col("half", Int8, "半年", "1: assessed by 30 June, 2: from 1 July"),
    col(
        "renovation_findings",
        Int64,
        "系统改造问题数",
        "findings that need system renovation (系统改造)",
    ),
    col(
        "renovation_fixed",
        Int64,
        "已完成改造问题数",
        "renovation findings fixed by the date",
    ),
    col(
        "after",
        Utf8,
        "变更后",
        "the value in the later revision (name, level, department / unit)",
    ),
    col(
        "before",
        Utf8,
        "变更前",
        "the value in the earlier revision (name, level, department / unit)",
    ),
    col(
        "change",
        Utf8,
        "变化",
        "added, removed, level_changed, moved or renamed",
    ),
    col("from_revision", Int32, "原版次", "the earlier revision compared"),
    col("to_revision", Int32, "新版次", "the later revision compared"),
    col(
        "complete",
        Boolean,
        "整改完成",
        "at least one finding and all fixed by the date",
    ),
    col(
        "completion_rate",
        Float64,
        "完成率",
        "systems assessed so far / systems planned",
    ),
    col(
        "cumulative_systems",
        Int64,
        "累计测评系统数",
        "distinct systems assessed in the year up to this quarter",
    ),
    col("days_late", Int32, "逾期天数", "days since the planned quarter ended"),
    col(
        "days_left",
        Int32,
        "剩余天数",
        "days until the next assessment is due (negative: overdue)",
    ),
    col("departments", Int64, "主管部门数", "distinct normalised departments"),
    col(
        "due_by",
        Date32,
        "应测截止日",
        "last day of the planned quarter (or of the year)",
    ),
    col(
        "earliest_due",
        Date32,
        "最早应测日",
        "the earliest due date among the unit's systems",
    ),
    col("findings", Int64, "问题数", "findings of the assessment counted"),
    col("findings_fixed", Int64, "已整改问题数", "findings fixed by the date"),
    col(
        "findings_overdue",
        Int64,
        "逾期未整改问题数",
        "findings past their deadline and not fixed by the date",
    ),
    col("letter", Utf8, "函件类型", "notice (便函) or urge (督促函)"),
    col(
        "next_due",
        Date32,
        "下次应测日期",
        "when the next assessment is due by the level's cycle",
    ),
    col(
        "planned_systems",
        Int64,
        "计划系统数",
        "distinct systems in the year's current plan",
    ),
    col(
        "planned_systems_assessed",
        Int64,
        "计划内已测系统数",
        "planned systems assessed so far",
    ),
    col("quarter_end", Date32, "季度末", "last day of the quarter"),
    col("systems", Int64, "系统数", "distinct systems"),
    col("systems_assessed", Int64, "已测系统数", "distinct systems assessed"),
    col(
        "systems_behind",
        Int64,
        "滞后系统数",
        "systems behind their planned quarter",
    ),
    col("units", Int64, "预算单位数", "distinct normalised budget units"),
    col(
        "unplanned_systems",
        Int64,
        "计划外测评系统数",
        "systems assessed that the year's current plan does not list",
    ),
];

/// A view's Chinese label.
pub fn view_label(view: &str) -> Option<&'static str> {
    VIEW_LABELS.iter().find(|(n, _)| *n == view).map(|(_, l)| *l)
}

/// A column's dictionary entry: a table's column, else a view-computed one.
pub fn column_def(column: &str) -> Option<&'static ColumnDef> {
    TABLES
        .iter()
        .find_map(|t| t.column(column))
        .or_else(|| VIEW_COLUMNS.iter().find(|c| c.name == column))
}
