//! Findings and their rectification (整改情况) → `findings`: from assessments (测评, by
//! report number), security inspections (安全检查) and monitoring (安全监测) — the last two
//! identify the system (filing number, or unit and system name) and the day found instead
//! of a report number. An approved extension (延期) is kept beside the deadline, never
//! written over it.

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
        col(
            "source",
            Utf8,
            "问题来源",
            "assessment (测评), inspection (安全检查), monitoring (安全监测)",
        ),
        col(
            "found_on",
            Date32,
            "发现日期",
            "the assessment's date, or the inspection / monitoring date",
        ),
        col(
            "extended_to",
            Date32,
            "延期至",
            "an approved extension (延期): overdue is judged against it",
        ),
        col("extension_reason", Utf8, "延期原因", "why the extension was granted"),
    ],
};

/// assessment_id → system_id of the assessments loaded: a finding names its system
/// through its report number.
static ASSESSED: Lookup = Lookup {
    name: "assessment_systems",
    tables: &["assessments"],
    sql: "SELECT assessment_id, system_id FROM assessments \
          WHERE assessment_id IS NOT NULL AND system_id IS NOT NULL",
    shape: Shape::Map,
};

/// assessment_id → its report date: an assessment finding was found that day.
static ASSESSED_ON: Lookup = Lookup {
    name: "assessment_dates",
    tables: &["assessments"],
    sql: "SELECT assessment_id, CAST(assessed_on AS VARCHAR) FROM assessments \
          WHERE assessment_id IS NOT NULL AND assessed_on IS NOT NULL",
    shape: Shape::Map,
};

static LOOKUPS: [&Lookup; 2] = [&ASSESSED, &ASSESSED_ON];

pub static FIELDS: &[Field] = &[
    Field::new("assessment_id", &["报告编号", "测评报告编号", "报告号"]).fill_down(FillDown::WithoutMergeInfo),
    Field::new("item", &["序号", "问题序号", "编号", "问题编号"]).required(),
    Field::new("risk", &["风险等级", "风险级别", "风险"]),
    Field::new("category", &["安全类别", "安全类", "控制类", "问题类别", "类别"]),
    Field::new("description", &["问题描述", "问题", "存在问题", "问题内容"]),
    Field::new("remedy", &["整改方式", "整改方法", "整改类型"]),
    Field::new("due_on", &["整改期限", "整改时限", "计划完成时间", "整改截止日期"]),
    Field::new("status", &["整改状态", "整改情况", "状态", "完成情况"]),
    Field::new("fixed_on", &["完成日期", "整改完成日期", "完成时间", "整改完成时间"]),
    Field::new("cost", &["整改费用", "费用", "整改经费", "金额"]),
    Field::new("source", &["问题来源", "来源", "发现途径", "问题发现途径"]),
    Field::new(
        "found_on",
        &["发现日期", "检查日期", "监测日期", "发现时间", "检查时间", "监测时间"],
    ),
    Field::new(
        "extended_to",
        &["延期至", "延期整改期限", "延期期限", "延期完成时间", "延长至"],
    ),
    Field::new("extension_reason", &["延期原因", "延期说明", "延期理由"]),
    // An inspection or monitoring finding names its system itself.
    Field::new("department", &["主管部门", "主管单位"]).fill_down(FillDown::Always),
    Field::new(
        "unit",
        &["预算单位", "被检查单位", "单位名称", "运营使用单位", "被测单位"],
    )
    .fill_down(FillDown::WithoutMergeInfo),
    Field::new("system", &["系统名称", "信息系统名称", "被检查系统", "被测系统名称"]),
    Field::new("system_id", &["备案编号", "备案号", "系统备案编号"]),
];

/// 问题来源 vocabulary.
const SOURCES: &[(&str, &str)] = &[
    ("测评", "assessment"),
    ("等级测评", "assessment"),
    ("assessment", "assessment"),
    ("安全检查", "inspection"),
    ("检查", "inspection"),
    ("inspection", "inspection"),
    ("安全监测", "monitoring"),
    ("监测", "monitoring"),
    ("monitoring", "monitoring"),
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

    /// A finding is its assessment's department's, else its system's (findings_owner.sql).
    fn department_owner(&self) -> Option<&'static str> {
        Some(include_str!("findings_owner.sql"))
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
        let item = row.required_text("item")?;
        let item = match row.count("item") {
            Ok(Some(n)) => n.to_string(),
            _ => normalize::filing_number(&item),
        };
        // The source: its column, else the workbook's title or name (a 安全检查 workbook),
        // else an assessment's.
        let source = match row.vocabulary("source", SOURCES, "测评/安全检查/安全监测")? {
            Some(s) => s,
            None if ctx.words.contains("安全检查") => "inspection",
            None if ctx.words.contains("安全监测") => "monitoring",
            None => "assessment",
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
        let found_on = row.date("found_on")?;
        let (finding_id, assessment_id, system_id, found_on) = if source == "assessment" {
            let assessment_id = normalize::filing_number(&row.required_text("assessment_id")?);
            let system_id = ctx.lookup(ASSESSED.name).get(&[&assessment_id]).map(str::to_string);
            let found_on = found_on.or_else(|| {
                ctx.lookup(ASSESSED_ON.name)
                    .get(&[&assessment_id])
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            });
            (
                format!("{assessment_id}#{item}"),
                Some(assessment_id),
                system_id,
                found_on,
            )
        } else {
            // Identified by the system and the day found: rejected only when the system
            // cannot be named.
            let system_id = match (row.text("system_id"), row.text("unit"), row.text("system")) {
                (Some(f), _, _) => normalize::filing_number(&f),
                (None, Some(u), Some(s)) => normalize::system_key(&u, &s),
                (None, unit, _) => {
                    return Err(RowError::new(
                        Some(row.header(if unit.is_none() { "unit" } else { "system" })),
                        None,
                        format!(
                            "an {source} finding names its system: {}, or {} and {}",
                            row.header("system_id"),
                            row.header("unit"),
                            row.header("system")
                        ),
                    ))
                }
            };
            let found_on = found_on.ok_or_else(|| row.missing("found_on"))?;
            let assessment_id = row.text("assessment_id").map(|a| normalize::filing_number(&a));
            let prefix = if source == "inspection" { "检查" } else { "监测" };
            (
                format!("{prefix}:{system_id}:{found_on}#{item}"),
                assessment_id,
                Some(system_id),
                Some(found_on),
            )
        };
        let due_on = row.date("due_on")?;
        let extended_to = row.date("extended_to")?;
        if let (Some(due), Some(extended)) = (due_on, extended_to) {
            if extended <= due {
                return Err(RowError::new(
                    Some(row.header("extended_to")),
                    Some(extended.to_string()),
                    format!(
                        "column {}: the extension ({extended}) is not after the deadline ({due})",
                        row.header("extended_to")
                    ),
                ));
            }
        }
        Ok(vec![
            finding_id.into(),
            assessment_id.into(),
            system_id.into(),
            row.vocabulary("risk", RISKS, "高/中/低风险")?.into(),
            row.text("category").into(),
            row.text("description").into(),
            row.vocabulary("remedy", REMEDIES, "即知即改/系统改造")?.into(),
            due_on.into(),
            status.into(),
            fixed_on.into(),
            row.money("cost")?.map(Value::Money).unwrap_or(Value::Null),
            source.into(),
            found_on.into(),
            extended_to.into(),
            row.text("extension_reason").into(),
        ])
    }
}
