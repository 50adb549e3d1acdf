//! The system register (系统台账) → `systems`: one current row per system, with what the
//! office's rules turn on — critical information infrastructure (关键信息基础设施, 关基),
//! classified systems (涉密信息系统), the last major change (重大变更), domestic
//! cryptography (国产密码, SM2) and the commercial-crypto assessment (密评). A newer
//! register row replaces the older (upsert by `system_id`; the Delta log keeps the
//! history for `--as-of`). A plan, results or findings workbook whose header carries the
//! register's own columns fills the register too ([`SourceKind::companion_fields`]): those
//! rows fill in, never blank what the register holds.

use super::super::kind::{Context, Field, FillDown, Lookup, Shape, SourceKind};
use super::super::normalize;
use super::super::row::{FieldRow, RowError, Value};
use crate::schema::{col, ColumnType::*, TableDef, WritePolicy};

pub struct Systems;

pub static TABLE: TableDef = TableDef {
    name: "systems",
    kind: "systems",
    label: "系统台账",
    meaning: "the system register: one current row per system, with CII, classified, changes and cryptography",
    lineage: true,
    write: WritePolicy::Upsert { key: &["system_id"] },
    columns: &[
        col(
            "system_id",
            Utf8,
            "系统标识",
            "filing number (备案编号) when given, else a key from normalised unit + system",
        ),
        col("department", Utf8, "主管部门", "competent department, normalised name"),
        col("unit", Utf8, "预算单位", "budget unit (operator), normalised name"),
        col("system", Utf8, "系统名称", "system name, normalised"),
        col(
            "level",
            Int8,
            "安全保护等级",
            "protection level 1–5; null when not stated",
        ),
        col(
            "cii",
            Boolean,
            "关键信息基础设施",
            "critical information infrastructure (关基): assessed at least yearly; null = not stated",
        ),
        col(
            "cii_sector",
            Utf8,
            "关基行业",
            "the CII's sector: 金融, 能源, 电力, 通信, 交通, 政务 …",
        ),
        col(
            "classified",
            Boolean,
            "涉密信息系统",
            "classified: graded protection by the secrecy bureau, outside this cycle; null = not stated",
        ),
        col("went_live_on", Date32, "上线时间", "when the system went live"),
        col(
            "last_major_change_on",
            Date32,
            "最近重大变更时间",
            "the last major change of network structure or processing (re-test due from it)",
        ),
        col(
            "crypto",
            Utf8,
            "国产密码应用",
            "domestic (已采用), migrating (改造中), none (未采用); null = not stated",
        ),
        col(
            "sm2_products",
            Boolean,
            "支持SM2",
            "its VPN/IPsec gateways, server crypto machines and smart keys support SM2",
        ),
        col(
            "crypto_assessed_on",
            Date32,
            "密评日期",
            "date of the commercial-crypto assessment report (商用密码应用安全性评估)",
        ),
        col("crypto_result", Utf8, "密评结论", "pass, basic_pass or fail"),
        col(
            "crypto_filed_on",
            Date32,
            "密评备案日期",
            "when a passed 密评 was filed (due within 30 days)",
        ),
    ],
};

pub static FIELDS: &[Field] = &[
    Field::new("department", &["主管部门", "主管单位", "上级主管部门", "主管部门名称"]).fill_down(FillDown::Always),
    Field::new(
        "unit",
        &[
            "预算单位",
            "运营使用单位",
            "系统运营使用单位",
            "使用单位",
            "单位名称",
            "预算单位名称",
            "被测单位",
        ],
    )
    .fill_down(FillDown::WithoutMergeInfo),
    Field::new("system", &["系统名称", "信息系统名称", "被测系统名称", "被测系统"]).required(),
    Field::new(
        "system_id",
        &["备案编号", "备案号", "系统备案编号", "等保备案编号", "定级备案编号"],
    ),
    Field::new(
        "level",
        &["安全保护等级", "等级", "定级", "保护等级", "等保等级", "定级级别"],
    ),
    Field::new(
        "cii",
        &[
            "是否关键信息基础设施",
            "是否为关键信息基础设施",
            "关键信息基础设施",
            "是否关基",
            "是否为关基",
            "关基",
            "CII",
            "是否CII",
        ],
    ),
    Field::new(
        "cii_sector",
        &[
            "关基行业",
            "关基领域",
            "关键信息基础设施行业",
            "所属行业",
            "行业领域",
            "所属领域",
        ],
    ),
    Field::new(
        "classified",
        &[
            "是否涉密",
            "是否涉密系统",
            "是否涉密信息系统",
            "涉密系统",
            "涉密信息系统",
            "涉密",
        ],
    ),
    Field::new(
        "went_live_on",
        &[
            "上线时间",
            "上线日期",
            "投入运行时间",
            "投入运行日期",
            "投运时间",
            "投入使用时间",
        ],
    ),
    Field::new(
        "last_major_change_on",
        &[
            "最近重大变更时间",
            "最近一次重大变更",
            "最近一次重大变更时间",
            "重大变更时间",
            "重大变更日期",
            "变更日期",
            "变更时间",
        ],
    ),
    Field::new(
        "crypto",
        &[
            "国产密码应用情况",
            "国产密码应用",
            "国产密码",
            "密码应用情况",
            "密码应用",
            "是否采用国产密码",
        ],
    ),
    Field::new(
        "sm2_products",
        &[
            "是否支持SM2",
            "支持SM2",
            "SM2",
            "是否支持SM2算法",
            "密码产品是否支持SM2",
        ],
    ),
    Field::new(
        "crypto_assessed_on",
        &[
            "密评日期",
            "密评时间",
            "密评报告日期",
            "商用密码应用安全性评估",
            "商用密码应用安全性评估日期",
        ],
    ),
    Field::new("crypto_result", &["密评结论", "密评结果", "商用密码应用安全性评估结论"]),
    Field::new("crypto_filed_on", &["密评备案日期", "密评备案时间", "密评备案"]),
];

/// The register's own columns: a workbook of another kind whose header carries any of
/// them also fills the register.
const ATTRIBUTES: &[&str] = &[
    "cii",
    "cii_sector",
    "classified",
    "went_live_on",
    "last_major_change_on",
    "crypto",
    "sm2_products",
    "crypto_assessed_on",
    "crypto_result",
    "crypto_filed_on",
];

/// 国产密码应用 vocabulary (matched in order: 未采用 and 部分采用 before 采用).
const CRYPTO: &[(&str, &str)] = &[
    ("未采用", "none"),
    ("未应用", "none"),
    ("未使用", "none"),
    ("否", "none"),
    ("无", "none"),
    ("none", "none"),
    ("改造中", "migrating"),
    ("迁移中", "migrating"),
    ("正在改造", "migrating"),
    ("部分采用", "migrating"),
    ("改造", "migrating"),
    ("migrating", "migrating"),
    ("已采用", "domestic"),
    ("已应用", "domestic"),
    ("已使用", "domestic"),
    ("已完成", "domestic"),
    ("采用", "domestic"),
    ("是", "domestic"),
    ("domestic", "domestic"),
];

/// 密评结论 vocabulary.
const CRYPTO_RESULTS: &[(&str, &str)] = &[
    ("基本符合", "basic_pass"),
    ("不符合", "fail"),
    ("不通过", "fail"),
    ("未通过", "fail"),
    ("符合", "pass"),
    ("通过", "pass"),
    ("basic_pass", "basic_pass"),
    ("fail", "fail"),
    ("pass", "pass"),
];

/// assessment_id → system_id: a findings workbook names its system by report number.
static ASSESSMENT_SYSTEMS: Lookup = Lookup {
    name: "assessment_systems",
    tables: &["assessments"],
    sql: "SELECT assessment_id, system_id FROM assessments \
          WHERE assessment_id IS NOT NULL AND system_id IS NOT NULL",
    shape: Shape::Map,
};

static LOOKUPS: [&Lookup; 1] = [&ASSESSMENT_SYSTEMS];

impl SourceKind for Systems {
    fn keywords(&self) -> &'static [&'static str] {
        &["系统台账", "台账", "系统清单", "信息系统清单", "关基", "密码应用"]
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
    fn companion_fields(&self) -> &'static [&'static str] {
        ATTRIBUTES
    }

    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError> {
        let unit = row.text("unit");
        let system = row.text("system");
        let system_id = match (row.text("system_id"), &unit, &system) {
            (Some(f), _, _) => normalize::filing_number(&f),
            (None, Some(u), Some(s)) => normalize::system_key(u, s),
            // A findings workbook names the system by its report number.
            _ => match row
                .declares("assessment_id")
                .then(|| row.text("assessment_id"))
                .flatten()
                .map(|a| normalize::filing_number(&a))
                .and_then(|a| ctx.lookup(ASSESSMENT_SYSTEMS.name).get(&[&a]).map(str::to_string))
            {
                Some(id) => id,
                None => {
                    return Err(RowError::new(
                        Some(row.header(if unit.is_none() { "unit" } else { "system" })),
                        None,
                        format!(
                            "the register needs the system: {}, or {} and {}",
                            row.header("system_id"),
                            row.header("unit"),
                            row.header("system")
                        ),
                    ))
                }
            },
        };
        let department = row
            .text("department")
            .or_else(|| row.sheet_department.map(str::to_string));
        Ok(vec![
            system_id.into(),
            department.into(),
            unit.into(),
            system.into(),
            row.level("level")?.into(),
            row.yes_no("cii")?.into(),
            row.text("cii_sector").into(),
            row.yes_no("classified")?.into(),
            row.date("went_live_on")?.into(),
            row.date("last_major_change_on")?.into(),
            row.vocabulary("crypto", CRYPTO, "已采用/改造中/未采用")?.into(),
            row.yes_no("sm2_products")?.into(),
            row.date("crypto_assessed_on")?.into(),
            row.vocabulary("crypto_result", CRYPTO_RESULTS, "符合/基本符合/不符合")?
                .into(),
            row.date("crypto_filed_on")?.into(),
        ])
    }
}
