//! Department preview sheets (计划预告单, `ceping export preview`): one workbook per
//! department with its slice of the year's current plan, in the office's layout. A sheet
//! returned corrected ingests as the plan kind and revises that department's rows only
//! (the `主管部门：` line above the header says whose sheet it is).

use std::path::{Path, PathBuf};

use datafusion::arrow::array::Array;
use datafusion::prelude::SessionContext;
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::error::{Error, Result};
use crate::sql::exec::strings;

/// The header band, in order; each name is one of the plan kind's header synonyms
/// (`src/ingest/plan.rs`), so a returned sheet maps back without help.
pub const HEADERS: [&str; 10] = [
    "序号",
    "预算单位",
    "系统名称",
    "备案编号",
    "安全保护等级",
    "测评原因",
    "计划测评时间",
    "上次测评时间",
    "试运行结束时间",
    "备注",
];

/// Column widths in characters (a CJK character counts two).
const WIDTHS: [f64; 10] = [6.0, 28.0, 30.0, 20.0, 12.0, 12.0, 16.0, 13.0, 14.0, 24.0];

/// One system of the plan.
struct Item {
    unit: String,
    system: String,
    filing_number: Option<String>,
    level: Option<i64>,
    reason: Option<String>,
    planned_quarter: Option<i64>,
    last_assessed: Option<String>,
    trial_ended_on: Option<String>,
    /// 备注: what the system register says of it (关基, 涉密).
    remark: Option<&'static str>,
}

/// The 备注 of a critical information infrastructure system and of a classified one.
pub const CII_REMARK: &str = "关键信息基础设施：每年至少测评一次（《网络安全法》第三十八条）";
pub const CLASSIFIED_REMARK: &str = "涉密信息系统：按分级保护管理，不纳入本周期";

/// What was written.
pub struct Written {
    pub revision: i32,
    /// Each file with its department and number of systems.
    pub files: Vec<(PathBuf, String, usize)>,
}

/// Where the sheets go, and what has been written.
struct Output<'a> {
    dir: &'a Path,
    year: i32,
    revision: Option<i32>,
    files: Vec<(PathBuf, String, usize)>,
    taken: std::collections::HashSet<String>,
}

impl Output<'_> {
    /// Writes one department's sheet.
    fn write(&mut self, department: &str, items: &[Item]) -> Result<()> {
        fs_err::create_dir_all(self.dir)?;
        let stem = if department.is_empty() {
            "未填主管部门".to_string()
        } else {
            super::file_stem(department)
        };
        let name = super::unique_stem(stem, &mut self.taken);
        let path = self.dir.join(format!("{name}.xlsx"));
        write_one(&path, self.year, self.revision.unwrap_or(1), department, items)
            .map_err(|e| Error::Usage(format!("writing `{}`: {e}", path.display())))?;
        self.files.push((path, department.to_string(), items.len()));
        Ok(())
    }
}

/// Writes one preview sheet per department of `year`'s current plan into `dir`.
pub async fn export(ctx: &SessionContext, year: i32, dir: &Path) -> Result<Written> {
    let sql = format!(
        "SELECT COALESCE(p.department, '') AS department, p.unit, p.system, p.system_id, CAST(p.level AS BIGINT) AS level, \
                p.reason, CAST(p.planned_quarter AS BIGINT) AS planned_quarter, \
                CAST(p.last_assessed AS VARCHAR) AS last_assessed, CAST(p.trial_ended_on AS VARCHAR) AS trial_ended_on, \
                p.revision, \
                CASE WHEN s.classified THEN 'classified' WHEN s.cii THEN 'cii' END AS register \
         FROM plan_items_current p LEFT JOIN systems s ON s.system_id = p.system_id \
         WHERE p.year = {year} \
         ORDER BY department, p.unit, p.system, p.system_id"
    );
    // Streamed in department order: one department's items in memory at a time (a
    // national plan: 10,000 departments, 500,000 systems).
    let mut stream = ctx.sql(&sql).await?.execute_stream().await?;
    let mut out = Output {
        dir,
        year,
        revision: None,
        files: Vec::new(),
        taken: std::collections::HashSet::new(),
    };
    let mut current: Option<(String, Vec<Item>)> = None;
    use futures::StreamExt;
    while let Some(b) = stream.next().await {
        let b = b?;
        let text: Vec<_> = [0, 1, 2, 3, 5, 7, 8, 10]
            .into_iter()
            .map(|i| strings(b.column(i)))
            .collect::<Result<_>>()?;
        let number = |i: usize| -> Result<datafusion::arrow::array::Int64Array> {
            let c = datafusion::arrow::compute::cast(b.column(i), &datafusion::arrow::datatypes::DataType::Int64)?;
            Ok(datafusion::arrow::array::AsArray::as_primitive::<datafusion::arrow::datatypes::Int64Type>(&c).clone())
        };
        let (level, quarter, rev) = (number(4)?, number(6)?, number(9)?);
        let opt = |a: &datafusion::arrow::array::StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
        let int = |a: &datafusion::arrow::array::Int64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
        for i in 0..b.num_rows() {
            out.revision = out.revision.or(int(&rev, i).map(|r| r as i32));
            let department = text[0].value(i);
            let system_id = text[3].value(i);
            let item = Item {
                unit: text[1].value(i).to_string(),
                system: text[2].value(i).to_string(),
                // A derived key (unit|system) is not a filing number: the cell stays blank
                // and the key is derived again when the sheet comes back.
                filing_number: (!system_id.contains('|')).then(|| system_id.to_string()),
                level: int(&level, i),
                reason: opt(&text[4], i),
                planned_quarter: int(&quarter, i),
                last_assessed: opt(&text[5], i),
                trial_ended_on: opt(&text[6], i),
                remark: match opt(&text[7], i).as_deref() {
                    Some("classified") => Some(CLASSIFIED_REMARK),
                    Some("cii") => Some(CII_REMARK),
                    _ => None,
                },
            };
            match &mut current {
                Some((d, items)) if d == department => items.push(item),
                _ => {
                    if let Some((d, items)) = current.take() {
                        out.write(&d, &items)?;
                    }
                    current = Some((department.to_string(), vec![item]));
                }
            }
        }
    }
    if let Some((d, items)) = current.take() {
        out.write(&d, &items)?;
    }
    let Some(revision) = out.revision else {
        return Err(Error::Usage(format!(
            "no plan for {year} in the warehouse; ingest its preview workbook first"
        )));
    };
    let files = out.files;
    Ok(Written { revision, files })
}

const LEVELS: [&str; 5] = ["一级", "二级", "三级", "四级", "五级"];
const QUARTERS: [&str; 4] = ["第一季度", "第二季度", "第三季度", "第四季度"];

fn reason_zh(reason: &str) -> &str {
    match reason {
        "periodic" => "周期测评",
        "new" => "新建系统",
        "change" => "重大变更复测",
        other => other,
    }
}

fn excel_date(iso: &str) -> Option<ExcelDateTime> {
    let d = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
}

fn write_one(
    path: &Path,
    year: i32,
    revision: i32,
    department: &str,
    items: &[Item],
) -> std::result::Result<(), XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same plan gives the same bytes.
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
    let ws = wb.add_worksheet();
    ws.set_name("计划预告单")?;
    let last = (HEADERS.len() - 1) as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!("{year}年公共管理信息系统安全测评计划预告单"),
        &title,
    )?;
    ws.set_row_height(0, 30)?;
    if !department.is_empty() {
        ws.merge_range(
            1,
            0,
            1,
            3,
            &format!("主管部门：{department}"),
            &Format::new().set_bold(),
        )?;
    }
    ws.merge_range(
        1,
        4,
        1,
        last,
        &format!("依据：{year}年测评计划第{revision}版。如有变更，请在原表修改后报回。"),
        &Format::new().set_align(FormatAlign::Right),
    )?;
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9E1F2))
        .set_border(FormatBorder::Thin);
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &header)?;
        ws.set_column_width(c as u16, WIDTHS[c])?;
    }
    let cell = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
    let centred = cell.clone().set_align(FormatAlign::Center);
    let date = centred.clone().set_num_format("yyyy-mm-dd");
    for (n, item) in items.iter().enumerate() {
        let r = n as u32 + 3;
        ws.write_number_with_format(r, 0, (n + 1) as f64, &centred)?;
        ws.write_string_with_format(r, 1, &item.unit, &cell)?;
        ws.write_string_with_format(r, 2, &item.system, &cell)?;
        ws.write_string_with_format(r, 3, item.filing_number.as_deref().unwrap_or(""), &cell)?;
        let level = item
            .level
            .and_then(|l| LEVELS.get((l as usize).wrapping_sub(1)))
            .copied()
            .unwrap_or("");
        ws.write_string_with_format(r, 4, level, &centred)?;
        ws.write_string_with_format(r, 5, item.reason.as_deref().map(reason_zh).unwrap_or(""), &centred)?;
        let planned = item
            .planned_quarter
            .and_then(|q| QUARTERS.get((q as usize).wrapping_sub(1)))
            .map(|q| format!("{year}年{q}"))
            .unwrap_or_default();
        ws.write_string_with_format(r, 6, planned, &centred)?;
        for (c, d) in [(7u16, &item.last_assessed), (8, &item.trial_ended_on)] {
            match d.as_deref().and_then(excel_date) {
                Some(d) => ws.write_date_with_format(r, c, &d, &date)?,
                None => ws.write_string_with_format(r, c, "", &cell)?,
            };
        }
        ws.write_string_with_format(r, 9, item.remark.unwrap_or(""), &cell)?;
    }
    ws.set_freeze_panes(3, 0)?;
    ws.set_paper_size(9); // A4
    ws.set_landscape();
    ws.set_repeat_rows(0, 2)?;
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&C第 &P 页，共 &N 页");
    wb.save(path)
}
