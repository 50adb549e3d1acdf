//! Budgets and spending (经费预算) → `budgets`.

use super::super::kind::{Context, Field, FillDown, SourceKind};
use super::super::row::{FieldRow, RowError, Value};
use crate::schema::{col, ColumnType::*, TableDef, WritePolicy};

pub struct Budgets;

pub static TABLE: TableDef = TableDef {
    name: "budgets",
    kind: "budgets",
    label: "经费预算",
    meaning: "one row per unit, year and category",
    lineage: true,
    write: WritePolicy::Upsert {
        key: &["year", "unit", "category"],
    },
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

pub static FIELDS: &[Field] = &[
    Field::new("department", &["主管部门", "主管单位", "上级主管部门"]).fill_down(FillDown::Always),
    Field::new("unit", &["预算单位", "单位名称", "预算单位名称"])
        .required()
        .fill_down(FillDown::WithoutMergeInfo),
    Field::new("category", &["类别", "经费类别", "预算类别", "项目类别", "费用类别"]).required(),
    Field::new("requested", &["申报金额", "申报", "申请金额", "预算申报金额", "申报数"]),
    Field::new("approved", &["批复金额", "批复", "核定金额", "批复数"]),
    Field::new("spent", &["实际支出", "支出金额", "已支出", "实际支出金额", "执行金额"]),
    Field::new("year", &["预算年度", "年度"]),
];

const CATEGORIES: &[(&str, &str)] = &[
    ("测评", "assessment"),
    ("整改", "rectification"),
    ("安全服务", "service"),
    ("服务", "service"),
    ("assessment", "assessment"),
    ("rectification", "rectification"),
    ("service", "service"),
];

impl SourceKind for Budgets {
    fn keywords(&self) -> &'static [&'static str] {
        &["经费", "预算"]
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

    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError> {
        let unit = row.required_text("unit")?;
        let category = row
            .vocabulary("category", CATEGORIES, "测评/整改/安全服务")?
            .ok_or_else(|| row.missing("category"))?;
        let year = match row.cell("year") {
            Some(_) => row.count("year")?,
            None => ctx.year,
        };
        let money = |f: &str| row.money(f).map(|m| m.map(Value::Money).unwrap_or(Value::Null));
        Ok(vec![
            year.into(),
            row.text("department")
                .or_else(|| row.sheet_department.map(str::to_string))
                .into(),
            unit.into(),
            category.into(),
            money("requested")?,
            money("approved")?,
            money("spent")?,
        ])
    }
}
