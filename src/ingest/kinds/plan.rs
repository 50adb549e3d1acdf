//! Preview plans (测评计划预告) → `plan_items`.

use super::super::kind::{Context, Field, FillDown, Refresh, SourceKind};
use super::super::normalize;
use super::super::row::{FieldRow, RowError, Value};
use crate::schema::{col, ColumnType::*, TableDef, WritePolicy};

pub struct Plan;

pub static TABLE: TableDef = TableDef {
    name: "plan_items",
    kind: "plan",
    label: "测评计划预告",
    meaning: "one row per system per plan revision",
    lineage: true,
    write: WritePolicy::Append { revisioned: true },
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

/// A new current plan of a year decides which of that year's assessments were planned.
static PLANNED_FLAG: Refresh = Refresh {
    table: &super::assessments::TABLE,
    flag: "planned",
    id: "system_id",
    year: "year",
};

pub static FIELDS: &[Field] = &[
    Field::new(
        "department",
        &["主管部门", "主管单位", "上级主管部门", "主管部门名称", "主管部门(单位)"],
    )
    .fill_down(FillDown::Always),
    Field::new(
        "unit",
        &[
            "预算单位",
            "单位名称",
            "被测单位",
            "预算单位名称",
            "使用单位",
            "运营使用单位",
            "系统运营使用单位",
        ],
    )
    .required()
    .fill_down(FillDown::WithoutMergeInfo),
    Field::new(
        "system",
        &["系统名称", "信息系统名称", "被测系统名称", "被测系统", "系统"],
    )
    .required(),
    Field::new(
        "system_id",
        &["备案编号", "备案号", "系统备案编号", "等保备案编号", "定级备案编号"],
    ),
    Field::new(
        "level",
        &[
            "安全保护等级",
            "等级",
            "定级",
            "保护等级",
            "等保等级",
            "定级级别",
            "安全等级",
            "等级保护级别",
        ],
    ),
    Field::new("reason", &["测评原因", "测评类型", "测评类别", "计划类型", "类型"]),
    Field::new(
        "planned",
        &[
            "计划测评时间",
            "计划时间",
            "测评季度",
            "计划季度",
            "计划测评季度",
            "计划月份",
            "计划测评月份",
            "拟测评时间",
        ],
    ),
    Field::new(
        "last_assessed",
        &[
            "上次测评时间",
            "上年度测评时间",
            "最近测评时间",
            "上次测评日期",
            "上一次测评时间",
        ],
    ),
    Field::new(
        "trial_ended_on",
        &["试运行结束时间", "试运行结束日期", "试运行截止时间", "试运行结束"],
    ),
    Field::new("year", &["计划年度", "测评年度", "年度"]),
];

/// 测评原因 vocabulary.
const REASONS: &[(&str, &str)] = &[
    ("周期", "periodic"),
    ("定期", "periodic"),
    ("年度", "periodic"),
    ("periodic", "periodic"),
    ("新建", "new"),
    ("新上线", "new"),
    ("新系统", "new"),
    ("new", "new"),
    ("变更", "change"),
    ("复测", "change"),
    ("change", "change"),
];

impl SourceKind for Plan {
    fn keywords(&self) -> &'static [&'static str] {
        &["计划预告", "测评计划", "预告", "计划"]
    }
    fn table(&self) -> &'static TableDef {
        &TABLE
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }
    fn needs_year(&self) -> bool {
        true
    }
    fn refreshes(&self) -> Option<&'static Refresh> {
        Some(&PLANNED_FLAG)
    }

    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError> {
        let unit = row.required_text("unit")?;
        let system = row.required_text("system")?;
        let department = row
            .text("department")
            .or_else(|| row.sheet_department.map(str::to_string));
        let level = row.level("level")?;
        let last_assessed = row.date("last_assessed")?;
        let trial_ended_on = row.date("trial_ended_on")?;
        let year = match row.cell("year") {
            Some(_) => Some(
                row.count("year")?
                    .filter(|y| (2000..=2099).contains(y))
                    .ok_or_else(|| {
                        RowError::new(
                            Some(row.header("year")),
                            row.cell("year").map(|c| c.display()),
                            format!("column {}: not a plan year", row.header("year")),
                        )
                    })?,
            ),
            None => ctx.year,
        };
        let planned_quarter = row.quarter_in_year("planned", year)?;
        let reason = match row.vocabulary("reason", REASONS, "周期测评, 新建系统, 重大变更复测")? {
            Some(r) => r,
            None if trial_ended_on.is_some() => "new",
            None => "periodic",
        };
        let system_id = row
            .text("system_id")
            .map(|s| normalize::filing_number(&s))
            .unwrap_or_else(|| normalize::system_key(&unit, &system));
        Ok(vec![
            year.into(),
            ctx.revision.into(),
            department.into(),
            unit.into(),
            system.into(),
            system_id.into(),
            level.into(),
            reason.into(),
            planned_quarter.into(),
            last_assessed.into(),
            trial_ended_on.into(),
        ])
    }
}
