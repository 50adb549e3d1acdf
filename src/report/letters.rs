//! Letters to units behind plan (`ceping letters --date D`): for every unit in
//! `letters_due_as_of(D)`, a 测评工作便函 (notice) or 测评工作督促函 (urge) naming its
//! systems behind plan (from `plans_behind_as_of(D)`), and an index workbook. The text is
//! fixed by the date and the warehouse version: the same inputs give the same files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, Workbook};

use super::docx::{Document, Style};
use super::{file_stem, unique_stem};
use crate::error::{Error, Result};
use crate::sql::exec::{query, strings};

/// The rule letters cite (the cycle rules of DATA_MODEL.md).
pub const RULE: &str = "《公共信息系统安全测评管理办法》第七条";
/// The law a critical information infrastructure system is behind on.
pub const CII_LAW: &str = "《网络安全法》第三十八条";
/// Days a unit has to reply: a notice, an urging letter.
pub const REPLY_DAYS: (u64, u64) = (15, 7);
/// Who signs.
pub const SENDER: &str = "市委网信办";

/// One system behind plan.
pub struct Behind {
    pub year: i32,
    pub system: String,
    pub planned_quarter: Option<i64>,
    pub due_by: String,
    pub days_late: i64,
    /// The rule the system is behind on (its plan, or 第三十八条 for a CII system).
    pub rule: String,
}

/// The two letters of the cycle rules: a 测评工作便函 first, then a 督促函.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LetterKind {
    /// 测评工作便函: the unit's systems are behind plan.
    Notice,
    /// 测评工作督促函: still behind after a notice (or more than 90 days late).
    Urge,
}

impl LetterKind {
    /// The code the views and the letters register use: `notice`, `urge`.
    pub fn code(self) -> &'static str {
        match self {
            LetterKind::Notice => "notice",
            LetterKind::Urge => "urge",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "notice" => Some(LetterKind::Notice),
            "urge" => Some(LetterKind::Urge),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            LetterKind::Notice => "测评工作便函",
            LetterKind::Urge => "测评工作督促函",
        }
    }

    /// The short name in a letter's number (测便〔2019〕3号 is a 便函).
    pub fn short(self) -> &'static str {
        match self {
            LetterKind::Notice => "便函",
            LetterKind::Urge => "督促函",
        }
    }
}

/// One unit's letter.
pub struct Letter {
    pub number: usize,
    pub department: String,
    pub unit: String,
    pub kind: LetterKind,
    pub systems: Vec<Behind>,
    pub file: PathBuf,
    pub reply_by: NaiveDate,
}

impl Letter {
    pub fn title(&self) -> &'static str {
        self.kind.title()
    }
    pub fn days_late(&self) -> i64 {
        self.systems.iter().map(|s| s.days_late).max().unwrap_or(0)
    }
}

fn zh_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The letters due on `date`, one per unit (all its plan years together), in department
/// and unit order; nothing written.
pub async fn due(ctx: &SessionContext, date: NaiveDate, dir: &Path) -> Result<Vec<Letter>> {
    let d = format!("DATE '{}'", date.format("%Y-%m-%d"));
    let sql = format!(
        "SELECT COALESCE(l.department, '') AS department, l.unit, l.letter, p.year, p.system, \
                CAST(p.planned_quarter AS BIGINT) AS planned_quarter, CAST(p.due_by AS VARCHAR) AS due_by, \
                CAST(p.days_late AS BIGINT) AS days_late, p.rule \
         FROM letters_due_as_of({d}) l \
         JOIN plans_behind_as_of({d}) p \
           ON p.year = l.year AND p.unit = l.unit AND COALESCE(p.department, '') = COALESCE(l.department, '') \
         ORDER BY 1, 2, 4, 7, 5"
    );
    let (_, batches) = query(ctx, &sql).await?;
    let mut units: BTreeMap<(String, String), (bool, Vec<Behind>)> = BTreeMap::new();
    for b in &batches {
        let text: Vec<_> = [0, 1, 2, 4, 6, 8]
            .into_iter()
            .map(|i| strings(b.column(i)))
            .collect::<Result<_>>()?;
        let int = |i: usize| -> Result<datafusion::arrow::array::Int64Array> {
            let c = datafusion::arrow::compute::cast(b.column(i), &DataType::Int64)?;
            Ok(c.as_primitive::<Int64Type>().clone())
        };
        let (year, quarter, late) = (int(3)?, int(5)?, int(7)?);
        for i in 0..b.num_rows() {
            let entry = units
                .entry((text[0].value(i).to_string(), text[1].value(i).to_string()))
                .or_default();
            entry.0 |= LetterKind::from_code(text[2].value(i)) == Some(LetterKind::Urge);
            entry.1.push(Behind {
                year: year.value(i) as i32,
                system: text[3].value(i).to_string(),
                planned_quarter: (!quarter.is_null(i)).then(|| quarter.value(i)),
                due_by: text[4].value(i).to_string(),
                days_late: late.value(i),
                rule: text[5].value(i).to_string(),
            });
        }
    }
    let mut counters = (0usize, 0usize);
    let mut taken = std::collections::HashSet::new();
    Ok(units
        .into_iter()
        .map(|((department, unit), (urge, systems))| {
            let kind = if urge { LetterKind::Urge } else { LetterKind::Notice };
            let n = if urge { &mut counters.1 } else { &mut counters.0 };
            *n += 1;
            let days = if urge { REPLY_DAYS.1 } else { REPLY_DAYS.0 };
            let stem = format!("{}_{}_{}", file_stem(&department), file_stem(&unit), kind.short());
            let file = dir.join(format!("{}.docx", unique_stem(stem, &mut taken)));
            Letter {
                number: *n,
                department,
                unit,
                kind,
                systems,
                file,
                reply_by: date + chrono::Days::new(days),
            }
        })
        .collect())
}

/// The letter as a document.
pub fn document(letter: &Letter, date: NaiveDate) -> Document {
    let mut d = Document::new(letter.title());
    d.paragraph(Style::Title, letter.title());
    d.paragraph(
        Style::Centred,
        format!("测评{}〔{}〕第{}号", letter.kind.short(), date.year(), letter.number),
    );
    let addressee = if letter.department.is_empty() {
        format!("{}：", letter.unit)
    } else {
        format!("{}（主管部门：{}）：", letter.unit, letter.department)
    };
    d.paragraph(Style::Plain, addressee);
    let mut years: Vec<i32> = letter.systems.iter().map(|s| s.year).collect();
    years.dedup();
    let years = years.iter().map(|y| format!("{y}年")).collect::<Vec<_>>().join("、");
    let law = if letter.systems.iter().any(|s| s.rule.contains(CII_LAW)) {
        format!("、{CII_LAW}（关键信息基础设施每年至少测评一次）")
    } else {
        String::new()
    };
    d.paragraph(
        Style::Body,
        format!(
            "根据{RULE}{law}和{years}测评计划预告，贵单位下列信息系统应在计划时间内完成安全测评。截至{}，以下 {} 个系统尚未完成测评：",
            zh_date(date),
            letter.systems.len()
        ),
    );
    let mut rows = vec![
        ["序号", "系统名称", "计划年度", "计划测评时间", "应测截止日", "逾期天数"]
            .map(String::from)
            .to_vec(),
    ];
    for (i, s) in letter.systems.iter().enumerate() {
        let quarter = s
            .planned_quarter
            .and_then(|q| ["第一季度", "第二季度", "第三季度", "第四季度"].get((q as usize).wrapping_sub(1)))
            .map(|q| format!("{}年{q}", s.year))
            .unwrap_or_else(|| format!("{}年内", s.year));
        rows.push(vec![
            (i + 1).to_string(),
            s.system.clone(),
            s.year.to_string(),
            quarter,
            s.due_by.clone(),
            s.days_late.to_string(),
        ]);
    }
    d.table(&[700, 3000, 1100, 1900, 1500, 1100], rows);
    let ask = if letter.kind == LetterKind::Urge {
        format!(
            "上述系统已超过计划测评时间（最长逾期 {} 天）仍未完成测评，现予督促。请贵单位高度重视，于{}前完成测评安排并书面函复我办；逾期仍未安排的，将在年度通报中予以说明。",
            letter.days_late(),
            zh_date(letter.reply_by)
        )
    } else {
        format!(
            "请贵单位抓紧与测评机构对接，尽快安排测评，并于{}前将测评安排书面函复我办。",
            zh_date(letter.reply_by)
        )
    };
    d.paragraph(Style::Body, ask);
    d.paragraph(Style::Body, "特此函告。");
    d.paragraph(Style::Right, SENDER);
    d.paragraph(Style::Right, zh_date(date));
    d
}

/// Writes every letter and the index workbook `函件索引.xlsx`; returns the index's path.
pub fn write(letters: &[Letter], date: NaiveDate, dir: &Path) -> Result<PathBuf> {
    fs_err::create_dir_all(dir)?;
    for l in letters {
        document(l, date).save(&l.file)?;
    }
    let index = dir.join("函件索引.xlsx");
    write_index(letters, date, &index).map_err(|e| Error::Usage(format!("writing `{}`: {e}", index.display())))?;
    Ok(index)
}

fn write_index(
    letters: &[Letter],
    date: NaiveDate,
    path: &Path,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
    let ws = wb.add_worksheet();
    ws.set_name("函件索引")?;
    ws.write_string(0, 0, format!("{} 应发测评工作函件", zh_date(date)))?;
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xD9E1F2));
    let headers = [
        "编号",
        "函件类型",
        "主管部门",
        "预算单位",
        "滞后系统数",
        "最长逾期天数",
        "复函期限",
        "系统",
        "文件",
    ];
    let widths = [18.0, 16.0, 16.0, 26.0, 11.0, 13.0, 13.0, 50.0, 40.0];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &header)?;
        ws.set_column_width(c as u16, widths[c])?;
    }
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    for (i, l) in letters.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(
            r,
            0,
            format!("测评{}〔{}〕第{}号", l.kind.short(), date.year(), l.number),
        )?;
        ws.write_string(r, 1, l.title())?;
        ws.write_string(r, 2, &l.department)?;
        ws.write_string(r, 3, &l.unit)?;
        ws.write_number(r, 4, l.systems.len() as f64)?;
        ws.write_number(r, 5, l.days_late() as f64)?;
        let reply = ExcelDateTime::from_ymd(
            l.reply_by.year() as u16,
            l.reply_by.month() as u8,
            l.reply_by.day() as u8,
        )?;
        ws.write_date_with_format(r, 6, &reply, &date_fmt)?;
        ws.write_string(
            r,
            7,
            l.systems
                .iter()
                .map(|s| s.system.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        )?;
        ws.write_string(
            r,
            8,
            l.file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )?;
    }
    ws.set_freeze_panes(2, 0)?;
    wb.save(path)
}
