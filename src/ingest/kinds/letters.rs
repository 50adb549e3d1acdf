//! The register of letters sent (发函登记) → `letters`: one row per 测评工作便函 or 督促函,
//! numbered per year and kind (测便〔2019〕3号), with when it was issued, its reply deadline
//! and when the unit replied. `ceping letters` writes its index in this layout; the office
//! fills in 发函日期 / 复函日期 and ingests it back (upsert by `letter_no`: a later register
//! row updates the letter). `letters_due` escalates from it.

use super::super::kind::{Context, Field, FillDown, SourceKind};
use super::super::normalize;
use super::super::row::{FieldRow, RowError, Value};
use crate::schema::{col, ColumnType::*, TableDef, WritePolicy};

pub struct Letters;

pub static TABLE: TableDef = TableDef {
    name: "letters",
    kind: "letters",
    label: "发函登记",
    meaning: "the register of letters sent: one row per 便函 or 督促函, issued, due and answered",
    lineage: true,
    write: WritePolicy::Upsert { key: &["letter_no"] },
    columns: &[
        col("letter_no", Utf8, "函号", "e.g. 测便〔2019〕3号; unique, never reused"),
        col("kind", Utf8, "函件类型", "notice (便函) or urge (督促函)"),
        col("year", Int32, "年度", "the plan year the letter is about"),
        col("department", Utf8, "主管部门", "competent department, normalised name"),
        col(
            "unit",
            Utf8,
            "预算单位",
            "budget unit the letter went to, normalised name",
        ),
        col("systems", Int32, "滞后系统数", "systems behind plan the letter names"),
        col(
            "issued_on",
            Date32,
            "发函日期",
            "when the letter was sent; null until it is",
        ),
        col("reply_due_on", Date32, "复函期限", "the unit's reply deadline"),
        col(
            "replied_on",
            Date32,
            "复函日期",
            "when the unit replied; null until it does",
        ),
    ],
};

pub static FIELDS: &[Field] = &[
    Field::new("letter_no", &["函号", "函件编号", "文号", "编号"]).required(),
    Field::new("kind", &["函件类型", "函件种类", "类型"]),
    Field::new("year", &["年度", "计划年度"]),
    Field::new("department", &["主管部门", "主管单位"]).fill_down(FillDown::Always),
    Field::new("unit", &["预算单位", "受函单位", "单位名称"])
        .required()
        .fill_down(FillDown::WithoutMergeInfo),
    Field::new("systems", &["滞后系统数", "系统数", "滞后系统"]),
    Field::new("issued_on", &["发函日期", "发文日期", "发函时间"]),
    Field::new("reply_due_on", &["复函期限", "回复期限", "复函截止日期"]),
    Field::new("replied_on", &["复函日期", "回复日期", "复函时间"]),
];

/// 函件类型 vocabulary.
const KINDS: &[(&str, &str)] = &[
    ("督促函", "urge"),
    ("督促", "urge"),
    ("urge", "urge"),
    ("便函", "notice"),
    ("notice", "notice"),
];

impl SourceKind for Letters {
    fn keywords(&self) -> &'static [&'static str] {
        &["发函登记", "函件索引", "函件", "便函", "督促函"]
    }
    fn table(&self) -> &'static TableDef {
        &TABLE
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn map_row(&self, row: &FieldRow<'_>, ctx: &Context) -> Result<Vec<Value>, RowError> {
        let letter_no = letter_number(&row.required_text("letter_no")?);
        let unit = row.required_text("unit")?;
        // The kind: its column, else the number's prefix (测便 / 测督).
        let kind = match row.vocabulary("kind", KINDS, "便函/督促函")? {
            Some(k) => k,
            None if letter_no.starts_with("测督") => "urge",
            None if letter_no.starts_with("测便") => "notice",
            None => return Err(row.missing("kind")),
        };
        let year = match row.cell("year") {
            Some(_) => row
                .count("year")?
                .filter(|y| (2000..=2099).contains(y))
                .ok_or_else(|| {
                    RowError::new(
                        Some(row.header("year")),
                        row.cell("year").map(|c| c.display()),
                        format!("column {}: not a plan year", row.header("year")),
                    )
                })?,
            None => ctx.year.ok_or_else(|| row.missing("year"))?,
        };
        let issued_on = row.date("issued_on")?;
        let reply_due_on = row.date("reply_due_on")?;
        let replied_on = row.date("replied_on")?;
        if let (None, Some(replied)) = (issued_on, replied_on) {
            return Err(RowError::new(
                Some(row.header("replied_on")),
                Some(replied.to_string()),
                format!(
                    "column {}: a reply to a letter never issued ({} is blank)",
                    row.header("replied_on"),
                    row.header("issued_on")
                ),
            ));
        }
        Ok(vec![
            letter_no.into(),
            kind.into(),
            year.into(),
            row.text("department")
                .or_else(|| row.sheet_department.map(str::to_string))
                .into(),
            unit.into(),
            row.count("systems")?.into(),
            issued_on.into(),
            reply_due_on.into(),
            replied_on.into(),
        ])
    }
}

/// A letter number as the register keeps it: 测便〔2019〕3号, whatever brackets and spaces
/// were typed (测便[2019]第3号, 测便（2019）3 号).
pub fn letter_number(raw: &str) -> String {
    let t = normalize::text(raw);
    let mut out = String::with_capacity(t.len());
    for c in t.chars().filter(|c| !c.is_whitespace()) {
        match c {
            '[' | '【' | '(' | '（' | '〈' | '［' => out.push('〔'),
            ']' | '】' | ')' | '）' | '〉' | '］' => out.push('〕'),
            c => out.push(c),
        }
    }
    out.replace("〕第", "〕")
}

#[cfg(test)]
mod tests {
    use super::letter_number;

    #[test]
    fn letter_numbers_are_kept_in_one_form() {
        assert_eq!(letter_number("测便〔2019〕3号"), "测便〔2019〕3号");
        assert_eq!(letter_number("测便[2019]第3号"), "测便〔2019〕3号");
        assert_eq!(letter_number(" 测督（２０１９）12 号"), "测督〔2019〕12号");
    }
}
