//! Assessment results (测评结果) → `assessments`.

use chrono::Datelike;

use super::super::kind::{Context, Field, FillDown, Lookup, Shape, SourceKind};
use super::super::normalize;
use super::super::row::{FieldRow, RowError, Value};
use crate::schema::{col, ColumnType::*, TableDef, WritePolicy};

pub struct Assessments;

pub static TABLE: TableDef = TableDef {
    name: "assessments",
    kind: "assessments",
    label: "测评结果",
    meaning: "one row per completed assessment",
    lineage: true,
    write: WritePolicy::Upsert {
        key: &["assessment_id"],
    },
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

/// `(year, system_id)` of every system in each year's current plan (its highest
/// revision, as `plan_items_current` defines it): `planned` is whether the assessed system
/// is in its year's plan.
static PLANNED: Lookup = Lookup {
    name: "planned",
    tables: &["plan_items"],
    sql: "SELECT CAST(p.year AS VARCHAR), p.system_id FROM plan_items p \
          JOIN (SELECT year AS y, MAX(revision) AS r FROM plan_items GROUP BY year) latest \
          ON p.year = latest.y AND p.revision = latest.r WHERE p.system_id IS NOT NULL",
    shape: Shape::Set,
};

static LOOKUPS: [&Lookup; 1] = [&PLANNED];

pub static FIELDS: &[Field] = &[
    Field::new("assessment_id", &["报告编号", "测评报告编号", "报告号"]).required(),
    Field::new("department", &["主管部门", "主管单位", "上级主管部门"]).fill_down(FillDown::Always),
    Field::new("unit", &["预算单位", "单位名称", "被测单位", "预算单位名称"]).fill_down(FillDown::WithoutMergeInfo),
    Field::new("system", &["系统名称", "信息系统名称", "被测系统名称", "被测系统"]),
    Field::new("system_id", &["备案编号", "备案号", "系统备案编号"]),
    Field::new("level", &["安全保护等级", "等级", "定级", "保护等级"]),
    Field::new(
        "assessed_on",
        &[
            "出具报告日期",
            "测评日期",
            "报告日期",
            "测评完成日期",
            "测评时间",
            "报告出具日期",
        ],
    ),
    Field::new("conclusion", &["测评结论", "结论", "测评结果"]),
    Field::new("score", &["得分", "测评得分", "综合得分", "分数"]),
    Field::new(
        "high_risks",
        &["高风险", "高风险数", "高风险问题数", "风险数量高", "高"],
    ),
    Field::new(
        "medium_risks",
        &["中风险", "中风险数", "中风险问题数", "风险数量中", "中"],
    ),
    Field::new("low_risks", &["低风险", "低风险数", "低风险问题数", "风险数量低", "低"]),
    Field::new("fee", &["测评费用", "费用", "测评费", "金额"]),
];

/// 测评结论 vocabulary: the 等级测评 grades and the 符合性 verdicts.
const CONCLUSIONS: &[(&str, &str)] = &[
    ("基本符合", "basic_pass"),
    ("不符合", "fail"),
    ("符合", "pass"),
    ("优", "excellent"),
    ("良", "good"),
    ("中", "fair"),
    ("差", "poor"),
    ("excellent", "excellent"),
    ("good", "good"),
    ("fair", "fair"),
    ("poor", "poor"),
    ("basic_pass", "basic_pass"),
    ("fail", "fail"),
    ("pass", "pass"),
];

impl SourceKind for Assessments {
    fn keywords(&self) -> &'static [&'static str] {
        &["测评结果", "测评情况", "测评报告", "测评实施"]
    }
    fn table(&self) -> &'static TableDef {
        &TABLE
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn lookups(&self) -> &'static [&'static Lookup] {
        &LOOKUPS
    }
    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError> {
        let assessment_id = row
            .required_text("assessment_id")
            .map(|s| normalize::filing_number(&s))?;
        let unit = row.text("unit");
        let system = row.text("system");
        let system_id = match (row.text("system_id"), &unit, &system) {
            (Some(f), _, _) => normalize::filing_number(&f),
            (None, Some(u), Some(s)) => normalize::system_key(u, s),
            (None, _, _) => return Err(row.missing(if unit.is_none() { "unit" } else { "system" })),
        };
        let assessed_on = row.date("assessed_on")?.ok_or_else(|| row.missing("assessed_on"))?;
        let year = assessed_on.year();
        let quarter = ((assessed_on.month() - 1) / 3 + 1) as i8;
        let planned = ctx.lookup(PLANNED.name).contains(&[&year.to_string(), &system_id]);
        let department = row
            .text("department")
            .or_else(|| row.sheet_department.map(str::to_string));
        Ok(vec![
            assessment_id.into(),
            system_id.into(),
            department.into(),
            unit.into(),
            system.into(),
            row.level("level")?.into(),
            assessed_on.into(),
            year.into(),
            quarter.into(),
            planned.into(),
            row.vocabulary("conclusion", CONCLUSIONS, "优/良/中/差 or 符合/基本符合/不符合")?
                .into(),
            row.number("score", 0.0..=100.0)?.into(),
            row.count("high_risks")?.into(),
            row.count("medium_risks")?.into(),
            row.count("low_risks")?.into(),
            row.money("fee")?.map(Value::Money).unwrap_or(Value::Null),
        ])
    }
}
