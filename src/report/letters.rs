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

/// One unit's letter for one plan year.
pub struct Letter {
    /// Its number among the year's letters of its kind, continuing from the register.
    pub number: usize,
    /// The year in its number (the year it is written in).
    pub number_year: i32,
    /// The plan year it is about.
    pub year: i32,
    pub department: String,
    pub unit: String,
    pub kind: LetterKind,
    pub systems: Vec<Behind>,
    pub file: PathBuf,
    pub reply_by: NaiveDate,
    /// The letter it follows (an urge follows an unanswered notice).
    pub prior: Option<String>,
}

impl LetterKind {
    /// The prefix of its number: 测便 (便函), 测督 (督促函).
    pub fn prefix(self) -> &'static str {
        match self {
            LetterKind::Notice => "测便",
            LetterKind::Urge => "测督",
        }
    }
}

impl Letter {
    pub fn title(&self) -> &'static str {
        self.kind.title()
    }
    pub fn days_late(&self) -> i64 {
        self.systems.iter().map(|s| s.days_late).max().unwrap_or(0)
    }
    /// 测便〔2019〕3号: the number the register keeps.
    pub fn letter_no(&self) -> String {
        letter_no(self.kind, self.number_year, self.number)
    }
}

/// A letter's number: 测便〔2019〕3号.
pub fn letter_no(kind: LetterKind, year: i32, n: usize) -> String {
    format!("{}〔{year}〕{n}号", kind.prefix())
}

/// The kind, year and number of a register number in ceping's form (测督〔2019〕12号).
pub fn parse_letter_no(no: &str) -> Option<(LetterKind, i32, usize)> {
    let kind = [LetterKind::Notice, LetterKind::Urge]
        .into_iter()
        .find(|k| no.starts_with(k.prefix()))?;
    let rest = no.strip_prefix(kind.prefix())?.strip_prefix('〔')?;
    let (year, rest) = rest.split_once('〕')?;
    let n = rest.strip_suffix('号')?;
    Some((kind, year.parse().ok()?, n.parse().ok()?))
}

fn zh_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The highest number the register holds for each kind in `year` (numbers are never
/// reused, issued or not).
async fn numbers_taken(ctx: &SessionContext, year: i32) -> Result<(usize, usize)> {
    let (_, batches) = query(ctx, "SELECT letter_no FROM letters").await?;
    let mut taken = (0, 0);
    for b in &batches {
        let numbers = strings(b.column(0))?;
        for no in numbers.iter().flatten() {
            match parse_letter_no(no) {
                Some((LetterKind::Notice, y, n)) if y == year => taken.0 = taken.0.max(n),
                Some((LetterKind::Urge, y, n)) if y == year => taken.1 = taken.1.max(n),
                _ => {}
            }
        }
    }
    Ok(taken)
}

/// The letters due on `date`, one per unit and plan year (`letters_due_as_of`), in plan
/// year, department and unit order, numbered on from the register; nothing written.
pub async fn due(ctx: &SessionContext, date: NaiveDate, dir: &Path) -> Result<Vec<Letter>> {
    let d = format!("DATE '{}'", date.format("%Y-%m-%d"));
    let sql = format!(
        "SELECT COALESCE(l.department, '') AS department, l.unit, l.letter, p.year, p.system, \
                CAST(p.planned_quarter AS BIGINT) AS planned_quarter, CAST(p.due_by AS VARCHAR) AS due_by, \
                CAST(p.days_late AS BIGINT) AS days_late, p.rule, COALESCE(l.prior_letter, '') AS prior_letter \
         FROM letters_due_as_of({d}) l \
         JOIN plans_behind_as_of({d}) p \
           ON p.year = l.year AND p.unit = l.unit AND COALESCE(p.department, '') = COALESCE(l.department, '') \
         ORDER BY 4, 1, 2, 7, 5"
    );
    let (_, batches) = query(ctx, &sql).await?;
    type Key = (i32, String, String);
    let mut units: BTreeMap<Key, (LetterKind, String, Vec<Behind>)> = BTreeMap::new();
    for b in &batches {
        let text: Vec<_> = [0, 1, 2, 4, 6, 8, 9]
            .into_iter()
            .map(|i| strings(b.column(i)))
            .collect::<Result<_>>()?;
        let int = |i: usize| -> Result<datafusion::arrow::array::Int64Array> {
            let c = datafusion::arrow::compute::cast(b.column(i), &DataType::Int64)?;
            Ok(c.as_primitive::<Int64Type>().clone())
        };
        let (year, quarter, late) = (int(3)?, int(5)?, int(7)?);
        for i in 0..b.num_rows() {
            let kind = LetterKind::from_code(text[2].value(i)).unwrap_or(LetterKind::Notice);
            let entry = units
                .entry((
                    year.value(i) as i32,
                    text[0].value(i).to_string(),
                    text[1].value(i).to_string(),
                ))
                .or_insert_with(|| (kind, text[6].value(i).to_string(), Vec::new()));
            entry.2.push(Behind {
                year: year.value(i) as i32,
                system: text[3].value(i).to_string(),
                planned_quarter: (!quarter.is_null(i)).then(|| quarter.value(i)),
                due_by: text[4].value(i).to_string(),
                days_late: late.value(i),
                rule: text[5].value(i).to_string(),
            });
        }
    }
    let mut counters = numbers_taken(ctx, date.year()).await?;
    let mut taken = std::collections::HashSet::new();
    Ok(units
        .into_iter()
        .map(|((year, department, unit), (kind, prior, systems))| {
            let n = match kind {
                LetterKind::Notice => &mut counters.0,
                LetterKind::Urge => &mut counters.1,
            };
            *n += 1;
            let days = match kind {
                LetterKind::Notice => REPLY_DAYS.0,
                LetterKind::Urge => REPLY_DAYS.1,
            };
            let stem = format!(
                "{year}_{}_{}_{}",
                file_stem(&department),
                file_stem(&unit),
                kind.short()
            );
            let file = dir.join(format!("{}.docx", unique_stem(stem, &mut taken)));
            Letter {
                number: *n,
                number_year: date.year(),
                year,
                department,
                unit,
                kind,
                systems,
                file,
                reply_by: date + chrono::Days::new(days),
                prior: (!prior.is_empty()).then_some(prior),
            }
        })
        .collect())
}

/// The letter as a document.
pub fn document(letter: &Letter, date: NaiveDate) -> Document {
    let mut d = Document::new(letter.title());
    d.paragraph(Style::Title, letter.title());
    d.paragraph(Style::Centred, letter.letter_no());
    let addressee = if letter.department.is_empty() {
        format!("{}：", letter.unit)
    } else {
        format!("{}（主管部门：{}）：", letter.unit, letter.department)
    };
    d.paragraph(Style::Plain, addressee);
    let years = format!("{}年", letter.year);
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
        let after = letter
            .prior
            .as_deref()
            .map(|p| format!("我办已于前期发出测评工作便函（{p}），贵单位逾期未复函，"))
            .unwrap_or_default();
        format!(
            "{after}上述系统已超过计划测评时间（最长逾期 {} 天）仍未完成测评，现予督促。请贵单位高度重视，于{}前完成测评安排并书面函复我办；逾期仍未安排的，将在年度通报中予以说明。",
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

/// The index, in the layout of the letters register (发函登记): the office fills in 发函日期
/// when a letter goes out and 复函日期 when the unit answers, and ingests the workbook back
/// (`ceping ingest 函件索引.xlsx`).
fn write_index(
    letters: &[Letter],
    date: NaiveDate,
    path: &Path,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
    let ws = wb.add_worksheet();
    ws.set_name("发函登记")?;
    ws.write_string(
        0,
        0,
        format!(
            "{} 应发测评工作函件（发函后填写发函日期，收到复函后填写复函日期，报回导入）",
            zh_date(date)
        ),
    )?;
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xD9E1F2));
    let headers = [
        "函号",
        "函件类型",
        "年度",
        "主管部门",
        "预算单位",
        "滞后系统数",
        "发函日期",
        "复函期限",
        "复函日期",
        "最长逾期天数",
        "前函",
        "系统",
        "文件",
    ];
    let widths = [
        18.0, 16.0, 8.0, 16.0, 26.0, 11.0, 13.0, 13.0, 13.0, 13.0, 18.0, 50.0, 40.0,
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &header)?;
        ws.set_column_width(c as u16, widths[c])?;
    }
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    for (i, l) in letters.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, l.letter_no())?;
        ws.write_string(r, 1, l.title())?;
        ws.write_number(r, 2, l.year as f64)?;
        ws.write_string(r, 3, &l.department)?;
        ws.write_string(r, 4, &l.unit)?;
        ws.write_number(r, 5, l.systems.len() as f64)?;
        let reply = ExcelDateTime::from_ymd(
            l.reply_by.year() as u16,
            l.reply_by.month() as u8,
            l.reply_by.day() as u8,
        )?;
        ws.write_date_with_format(r, 7, &reply, &date_fmt)?;
        ws.write_number(r, 9, l.days_late() as f64)?;
        ws.write_string(r, 10, l.prior.as_deref().unwrap_or(""))?;
        ws.write_string(
            r,
            11,
            l.systems
                .iter()
                .map(|s| s.system.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        )?;
        ws.write_string(
            r,
            12,
            l.file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )?;
    }
    ws.set_freeze_panes(2, 0)?;
    wb.save(path)
}
