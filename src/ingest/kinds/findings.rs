//! Findings and their rectification (整改情况) → `findings`.

use super::super::kind::{Context, Field, FillDown, Lookup, Shape, SourceKind};
use super::super::normalize;
use super::super::row::{FieldRow, RowError, Value};
use crate::schema::{col, ColumnType::*, TableDef, WritePolicy};

pub struct Findings;

pub static TABLE: TableDef = TableDef {
    name: "findings",
    kind: "findings",
    label: "整改情况",
    meaning: "one row per finding, with its rectification state",
    lineage: true,
    write: WritePolicy::Upsert { key: &["finding_id"] },
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

/// assessment_id → system_id of the assessments loaded: a finding names its system
/// through its report number.
static ASSESSED: Lookup = Lookup {
    name: "assessments",
    tables: &["assessments"],
    sql: "SELECT assessment_id, system_id FROM assessments \
          WHERE assessment_id IS NOT NULL AND system_id IS NOT NULL",
    shape: Shape::Map,
};

pub static FIELDS: &[Field] = &[
    Field::new("assessment_id", &["报告编号", "测评报告编号", "报告号"])
        .required()
        .fill_down(FillDown::WithoutMergeInfo),
    Field::new("item", &["序号", "问题序号", "编号", "问题编号"]).required(),
    Field::new("risk", &["风险等级", "风险级别", "风险"]),
    Field::new("category", &["安全类别", "安全类", "控制类", "问题类别", "类别"]),
    Field::new("description", &["问题描述", "问题", "存在问题", "问题内容"]),
    Field::new("remedy", &["整改方式", "整改方法", "整改类型"]),
    Field::new("due_on", &["整改期限", "整改时限", "计划完成时间", "整改截止日期"]),
    Field::new("status", &["整改状态", "整改情况", "状态", "完成情况"]),
    Field::new("fixed_on", &["完成日期", "整改完成日期", "完成时间", "整改完成时间"]),
    Field::new("cost", &["整改费用", "费用", "整改经费", "金额"]),
];

const RISKS: &[(&str, &str)] = &[
    ("高", "high"),
    ("中", "medium"),
    ("低", "low"),
    ("high", "high"),
    ("medium", "medium"),
    ("low", "low"),
];
const REMEDIES: &[(&str, &str)] = &[
    ("即知即改", "immediate"),
    ("立即", "immediate"),
    ("immediate", "immediate"),
    ("系统改造", "renovation"),
    ("改造", "renovation"),
    ("renovation", "renovation"),
];
const STATUSES: &[(&str, &str)] = &[
    ("未整改", "open"),
    ("未完成", "open"),
    ("open", "open"),
    ("整改中", "in_progress"),
    ("进行中", "in_progress"),
    ("in_progress", "in_progress"),
    ("已整改", "fixed"),
    ("已完成", "fixed"),
    ("完成", "fixed"),
    ("fixed", "fixed"),
];

impl SourceKind for Findings {
    fn keywords(&self) -> &'static [&'static str] {
        &["整改", "问题清单", "整改情况"]
    }
    fn table(&self) -> &'static TableDef {
        &TABLE
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn lookups(&self) -> &'static [Lookup] {
        std::slice::from_ref(&ASSESSED)
    }
    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError> {
        let assessment_id = normalize::filing_number(&row.required_text("assessment_id")?);
        let item = row.required_text("item")?;
        let item = match row.count("item") {
            Ok(Some(n)) => n.to_string(),
            _ => normalize::filing_number(&item),
        };
        let fixed_on = row.date("fixed_on")?;
        let status = match row.vocabulary("status", STATUSES, "已整改/整改中/未整改")? {
            Some(s) => s,
            None if fixed_on.is_some() => "fixed",
            None => "open",
        };
        if status == "fixed" && fixed_on.is_none() && row.has("fixed_on") {
            return Err(RowError::new(
                Some(row.header("fixed_on")),
                None,
                format!("column {}: missing for a fixed finding", row.header("fixed_on")),
            ));
        }
        let fixed_on = if status == "fixed" { fixed_on } else { None };
        let system_id = ctx.lookup(ASSESSED.name).get(&[&assessment_id]).map(str::to_string);
        Ok(vec![
            format!("{assessment_id}#{item}").into(),
            assessment_id.into(),
            system_id.into(),
            row.vocabulary("risk", RISKS, "高/中/低风险")?.into(),
            row.text("category").into(),
            row.text("description").into(),
            row.vocabulary("remedy", REMEDIES, "即知即改/系统改造")?.into(),
            row.date("due_on")?.into(),
            status.into(),
            fixed_on.into(),
            row.money("cost")?.map(Value::Money).unwrap_or(Value::Null),
        ])
    }
}
