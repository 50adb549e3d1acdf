//! Preview plans (测评计划预告) → `plan_items`.

use super::kind::{Context, Field, FillDown, SourceKind};
use super::normalize;
use super::row::{FieldRow, RowError, Value};
use crate::warehouse::schema::{TableDef, PLAN_ITEMS};

pub struct Plan;

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
    fn name(&self) -> &'static str {
        "plan"
    }
    fn keywords(&self) -> &'static [&'static str] {
        &["计划预告", "测评计划", "预告", "计划"]
    }
    fn table(&self) -> &'static TableDef {
        &PLAN_ITEMS
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }
    fn needs_year(&self) -> bool {
        true
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
