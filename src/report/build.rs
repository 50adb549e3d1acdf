//! Report content: which views, filtered how, under which titles. Every figure is read
//! from a metric view through SQL; nothing is computed here.

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

use crate::chart::Chart;
use crate::error::Result;
use crate::sql::exec::query;
use crate::sql::print::cell_strings;
use crate::sql::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Chinese titles, headers, axes and legends.
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// What to report on.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Quarterly { year: i32, quarter: i8 },
    Briefing { year: i32 },
}

impl Scope {
    /// The day dated metrics (letters, cycle status) are evaluated on: the quarter's or the
    /// year's last day, so a report depends on the warehouse version only.
    pub fn date(self) -> NaiveDate {
        let (y, m) = match self {
            Scope::Quarterly { year, quarter } => (year, quarter as u32 * 3),
            Scope::Briefing { year } => (year, 12),
        };
        let first_next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        first_next.and_then(|d| d.pred_opt()).expect("a valid quarter end")
    }
}

/// One table of a report: its title, the view it comes from, and the rows.
pub struct Table {
    pub title: String,
    pub view: &'static str,
    /// Headers as HTML and Markdown show them (money in 万元 in Chinese).
    pub headers: Vec<String>,
    /// Headers of the XLSX sheet, whose cells keep exact yuan.
    pub xlsx_headers: Vec<String>,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub lang: Lang,
}

impl Table {
    /// The cells as a briefing writes them: Chinese words for codes (便函 / 督促函, 按期 /
    /// 即将到期 / 逾期, conclusions, risk levels), rates as percentages with one decimal,
    /// money in 万元 with two decimals (Chinese) — or the codes, rates and yuan (English).
    pub fn cells(&self) -> Result<Vec<Vec<String>>> {
        let raw = cell_strings(&self.batches)?;
        let fields = self.schema.fields();
        Ok(raw
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .zip(fields.iter())
                    .map(|(cell, f)| display(&cell, f.name(), f.data_type(), self.lang))
                    .collect()
            })
            .collect())
    }

    /// The raw cells (codes, exact yuan, fractions): what XLSX and CSV keep.
    pub fn raw_cells(&self) -> Result<Vec<Vec<String>>> {
        cell_strings(&self.batches)
    }
}

/// A code's Chinese word, in the columns that hold codes.
fn zh_word(column: &str, value: &str) -> Option<&'static str> {
    Some(match (column, value) {
        ("letter", code) => super::letters::LetterKind::from_code(code)?.short(),
        ("status", "on_time") => "按期",
        ("status", "due_soon") => "即将到期",
        ("status", "overdue") => "逾期",
        ("status", "on_track") => "按计划",
        ("status", "late") => "超期",
        ("status", "done") => "已完成",
        ("status", "fixed") => "已整改",
        ("status", "open") => "未整改",
        ("status", "in_progress") => "整改中",
        ("conclusion", "pass") => "符合",
        ("conclusion", "basic_pass") => "基本符合",
        ("conclusion", "fail") => "不符合",
        ("conclusion", "excellent") => "优",
        ("conclusion", "good") => "良",
        ("conclusion", "fair") => "中",
        ("conclusion", "poor") => "差",
        ("risk" | "risk_level", "high") => "高",
        ("risk" | "risk_level", "medium") => "中",
        ("risk" | "risk_level", "low") => "低",
        ("reason", "periodic") => "周期测评",
        ("reason", "new") => "新建系统",
        ("reason", "change") => "重大变更复测",
        ("change", "added") => "新增",
        ("change", "removed") => "删除",
        ("change", "level_changed") => "等级调整",
        ("change", "moved") => "变更单位",
        ("change", "renamed") => "更名",
        _ => return None,
    })
}

/// One cell as a report shows it.
pub fn display(cell: &str, column: &str, ty: &datafusion::arrow::datatypes::DataType, lang: Lang) -> String {
    use datafusion::arrow::datatypes::DataType;
    if cell.is_empty() {
        return String::new();
    }
    if column.ends_with("_rate") {
        if let Ok(v) = cell.parse::<f64>() {
            return format!("{:.1}%", v * 100.0);
        }
    }
    if lang == Lang::En {
        return cell.to_string();
    }
    if let Some(word) = zh_word(column, cell) {
        return word.to_string();
    }
    if let DataType::Decimal128(_, 2) = ty {
        return wan_yuan(cell).unwrap_or_else(|| cell.to_string());
    }
    cell.to_string()
}

/// `622300.00` (yuan) → `62.23` (万元), rounded half away from zero to the hundredth.
pub fn wan_yuan(yuan: &str) -> Option<String> {
    let (int, frac) = yuan.split_once('.').unwrap_or((yuan, "0"));
    let neg = int.starts_with('-');
    let digits = format!("{}{:0<2}", int.trim_start_matches('-'), &frac[..frac.len().min(2)]);
    let fen: i128 = digits.parse().ok()?;
    // 1 万元 = 1,000,000 fen; hundredths of 万元 = 10,000 fen.
    let hundredths = (fen + 5_000) / 10_000;
    Some(format!(
        "{}{}.{:02}",
        if neg && hundredths > 0 { "-" } else { "" },
        hundredths / 100,
        hundredths % 100
    ))
}

/// A headline sentence with its figures.
pub struct Headline {
    pub label: String,
    pub text: String,
}

pub struct Report {
    pub title: String,
    pub warehouse_version: i64,
    pub date: NaiveDate,
    pub headlines: Vec<Headline>,
    pub tables: Vec<Table>,
    /// (file stem, chart)
    pub charts: Vec<(String, Chart)>,
}

/// A column's heading in the report's language: the short heading of its words in the
/// view's header (or the label of the table or view that has the column), the column
/// name in English.
fn header(session: &Session, view: &str, col: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return col.to_string();
    }
    session
        .column_words(Some(view), col)
        .map_or(col, |(heading, _)| heading)
        .to_string()
}

async fn table(session: &Session, title: &str, view: &'static str, sql: &str, lang: Lang) -> Result<Table> {
    let (schema, batches) = query(&session.ctx, sql).await?;
    let xlsx_headers: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| header(session, view, f.name(), lang))
        .collect();
    let headers = schema
        .fields()
        .iter()
        .zip(&xlsx_headers)
        .map(|(f, h)| match (lang, f.data_type()) {
            (Lang::Zh, datafusion::arrow::datatypes::DataType::Decimal128(_, 2)) => h.replace("（元）", "（万元）"),
            _ => h.clone(),
        })
        .collect();
    Ok(Table {
        title: title.to_string(),
        view,
        headers,
        xlsx_headers,
        schema,
        batches,
        lang,
    })
}

fn column_f64(t: &Table, name: &str) -> Result<Vec<f64>> {
    use datafusion::arrow::array::{Array, AsArray};
    let i = t.schema.index_of(name)?;
    let mut out = Vec::new();
    for b in &t.batches {
        let c = datafusion::arrow::compute::cast(b.column(i), &datafusion::arrow::datatypes::DataType::Float64)?;
        let c = c.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        out.extend((0..c.len()).map(|r| if c.is_null(r) { 0.0 } else { c.value(r) }));
    }
    Ok(out)
}

fn column_str(t: &Table, name: &str) -> Result<Vec<String>> {
    let i = t.schema.index_of(name)?;
    Ok(t.raw_cells()?.into_iter().map(|r| r[i].clone()).collect())
}

/// Reads everything a report shows.
pub async fn build(session: &Session, scope: Scope, lang: Lang) -> Result<Report> {
    let date = scope.date();
    let d = format!("DATE '{date}'");
    let (year, upto) = match scope {
        Scope::Quarterly { year, quarter } => (year, quarter),
        Scope::Briefing { year } => (year, 4),
    };
    let l = |zh: &str, en: &str| lang.pick(zh, en).to_string();
    let coverage = table(
        session,
        &l("测评计划预告", "Preview plan"),
        "plan_coverage",
        &format!("SELECT * FROM plan_coverage WHERE year = {year}"),
        lang,
    )
    .await?;
    let trend = table(
        session,
        &l("历年计划覆盖", "Plan coverage by year"),
        "plan_coverage",
        "SELECT * FROM plan_coverage ORDER BY year",
        lang,
    )
    .await?;
    let execution = table(
        session,
        &l("测评实施（按季度）", "Execution by quarter"),
        "execution_by_quarter",
        &format!("SELECT year, quarter, departments, units, systems, unplanned_systems, cumulative_systems, planned_systems, planned_systems_assessed, completion_rate FROM execution_by_quarter WHERE year = {year} AND quarter <= {upto} ORDER BY quarter"),
        lang,
    )
    .await?;
    let rectification = table(
        session,
        &l("测评整改（季末整改完成）", "Rectification complete at quarter end"),
        "rectification_progress",
        &format!("SELECT year, quarter, quarter_end, departments, units, systems, systems_assessed, findings, findings_fixed, findings_overdue FROM rectification_progress WHERE year = {year} AND quarter <= {upto} ORDER BY quarter"),
        lang,
    )
    .await?;
    let letters = table(
        session,
        &l(&format!("应发函件（截至{date}）"), &format!("Letters due as of {date}")),
        "letters_due",
        &format!("SELECT department, unit, systems_behind, earliest_due, days_late, letter FROM letters_due_as_of({d}) WHERE year = {year} ORDER BY letter DESC, days_late DESC, unit"),
        lang,
    )
    .await?;
    let spending = table(
        session,
        &l("经费（按主管部门）", "Spending by department"),
        "spending",
        &format!("SELECT department, requested, approved, spent, systems_assessed, assessment_fees, fee_per_system FROM spending WHERE year = {year} ORDER BY spent DESC NULLS LAST, department"),
        lang,
    )
    .await?;
    let cycle = table(
        session,
        &l(
            &format!("测评周期状态（截至{date}）"),
            &format!("Cycle status as of {date}"),
        ),
        "cycle_status",
        &format!("SELECT status, COUNT(*) AS systems FROM cycle_status_as_of({d}) GROUP BY status ORDER BY status"),
        lang,
    )
    .await?;
    let changes = table(
        session,
        &l(&format!("{year}年计划修订变化"), &format!("{year} plan revisions: changes")),
        "plan_changes",
        &format!("SELECT from_revision, to_revision, change, department, unit, system, before, after FROM plan_changes WHERE year = {year} ORDER BY to_revision, change, department, unit, system"),
        lang,
    )
    .await?;
    let schedule = table(
        session,
        &l(
            &format!("整改计划（系统改造，截至{date}）"),
            &format!("Rectification schedule (renovation) as of {date}"),
        ),
        "rectification_schedule",
        &format!("SELECT budget_year, deadline, status, COUNT(*) AS systems, SUM(renovation_findings) AS renovation_findings, SUM(renovation_fixed) AS renovation_fixed FROM rectification_schedule_as_of({d}) WHERE budget_year >= {year} - 1 AND budget_year <= {year} + 1 GROUP BY budget_year, deadline, status ORDER BY budget_year, deadline, status"),
        lang,
    )
    .await?;
    let next = table(
        session,
        &l("下一年度计划", "Next year's plan"),
        "plan_coverage",
        &format!("SELECT * FROM plan_coverage WHERE year = {}", year + 1),
        lang,
    )
    .await?;

    let mut headlines = Vec::new();
    if let Some(r) = coverage.cells()?.first() {
        let i = |n: &str| coverage.schema.index_of(n).map(|i| r[i].clone()).unwrap_or_default();
        headlines.push(Headline {
            label: l("测评预告", "Preview"),
            text: match lang {
                Lang::Zh => format!(
                    "{year}年测评预告：{}个主管部门、{}个预算单位、{}个系统",
                    i("departments"),
                    i("units"),
                    i("systems")
                ),
                Lang::En => format!(
                    "{year} preview: {} departments, {} budget units, {} systems",
                    i("departments"),
                    i("units"),
                    i("systems")
                ),
            },
        });
    }
    headlines.extend(revision_headlines(&changes, lang)?);
    let q_label = |q: &str| match lang {
        Lang::Zh => format!(
            "{}季度",
            ["一", "二", "三", "四"]
                .get(q.parse::<usize>().unwrap_or(1).saturating_sub(1))
                .unwrap_or(&"")
        ),
        Lang::En => format!("Q{q}"),
    };
    for (t, zh, en) in [
        (&execution, "测评实施", "Executed"),
        (&rectification, "整改完成", "Rectified"),
    ] {
        for r in t.cells()? {
            let at = |n: &str| t.schema.index_of(n).map(|i| r[i].clone()).unwrap_or_default();
            headlines.push(Headline {
                label: format!("{} {}", l(zh, en), q_label(&at("quarter"))),
                text: format!("{} / {} / {}", at("departments"), at("units"), at("systems")),
            });
        }
    }

    let mut charts = Vec::new();
    let years: Vec<String> = column_str(&trend, "year")?;
    charts.push((
        "plan_coverage".to_string(),
        Chart {
            title: l("历年测评计划覆盖", "Plan coverage by year"),
            category_label: l("年度", "year"),
            value_label: l("数量", "count"),
            categories: years,
            bars: vec![
                (l("主管部门", "departments"), column_f64(&trend, "departments")?),
                (l("预算单位", "budget units"), column_f64(&trend, "units")?),
                (l("系统", "systems"), column_f64(&trend, "systems")?),
            ],
            lines: vec![],
            horizontal: false,
            counts: true,
        },
    ));
    let quarters: Vec<String> = column_str(&execution, "quarter")?.iter().map(|q| q_label(q)).collect();
    charts.push((
        "execution_by_quarter".to_string(),
        Chart {
            title: l(&format!("{year}年测评实施"), &format!("{year} execution by quarter")),
            category_label: l("季度", "quarter"),
            value_label: l("系统数", "systems"),
            categories: quarters.clone(),
            bars: vec![(
                l("本季度已测系统", "assessed in quarter"),
                column_f64(&execution, "systems")?,
            )],
            lines: vec![
                (
                    l("累计已测系统", "cumulative"),
                    column_f64(&execution, "cumulative_systems")?,
                ),
                (l("计划系统", "planned"), column_f64(&execution, "planned_systems")?),
            ],
            horizontal: false,
            counts: true,
        },
    ));
    charts.push((
        "rectification_progress".to_string(),
        Chart {
            title: l(
                &format!("{year}年测评整改进度"),
                &format!("{year} rectification progress"),
            ),
            category_label: l("季度", "quarter"),
            value_label: l("系统数", "systems"),
            categories: quarters,
            bars: vec![
                (
                    l("整改完成系统", "rectification complete"),
                    column_f64(&rectification, "systems")?,
                ),
                (
                    l("已测系统", "systems assessed"),
                    column_f64(&rectification, "systems_assessed")?,
                ),
            ],
            lines: vec![],
            horizontal: false,
            counts: true,
        },
    ));
    let top = 15.min(spending.cells()?.len());
    let wan = |v: Vec<f64>| v.into_iter().take(top).map(|x| x / 10_000.0).collect::<Vec<_>>();
    charts.push((
        "spending".to_string(),
        Chart {
            title: l(
                &format!("{year}年经费（支出前{top}位主管部门，万元）"),
                &format!("{year} spending, top {top} departments (10k yuan)"),
            ),
            category_label: l("主管部门", "department"),
            value_label: l("万元", "10k yuan"),
            categories: column_str(&spending, "department")?.into_iter().take(top).collect(),
            bars: vec![
                (l("申报", "requested"), wan(column_f64(&spending, "requested")?)),
                (l("批复", "approved"), wan(column_f64(&spending, "approved")?)),
                (l("支出", "spent"), wan(column_f64(&spending, "spent")?)),
            ],
            lines: vec![],
            horizontal: true,
            counts: false,
        },
    ));
    let status_names: Vec<String> = column_str(&cycle, "status")?
        .iter()
        .map(|s| match (lang, s.as_str()) {
            (Lang::Zh, "on_time") => "按期".to_string(),
            (Lang::Zh, "due_soon") => "即将到期".to_string(),
            (Lang::Zh, "overdue") => "逾期".to_string(),
            (_, other) => other.to_string(),
        })
        .collect();
    charts.push((
        "cycle_status".to_string(),
        Chart {
            title: l(
                &format!("测评周期状态（截至{date}）"),
                &format!("Cycle status as of {date}"),
            ),
            category_label: l("状态", "status"),
            value_label: l("系统数", "systems"),
            categories: status_names,
            bars: vec![(l("系统", "systems"), column_f64(&cycle, "systems")?)],
            lines: vec![],
            horizontal: false,
            counts: true,
        },
    ));

    let (title, tables) = match scope {
        Scope::Quarterly { year, quarter } => (
            match lang {
                Lang::Zh => format!(
                    "{year}年第{}季度安全测评工作情况",
                    ["一", "二", "三", "四"][(quarter as usize).clamp(1, 4) - 1]
                ),
                Lang::En => format!("Security assessment, {year} Q{quarter}"),
            },
            vec![coverage, execution, rectification, schedule, letters, spending, cycle],
        ),
        Scope::Briefing { year } => (
            match lang {
                Lang::Zh => format!("{year}年度公共管理信息系统安全测评工作简报"),
                Lang::En => format!("{year} security assessment briefing"),
            },
            vec![
                coverage,
                changes,
                execution,
                rectification,
                trend,
                next,
                spending,
                letters,
                cycle,
            ],
        ),
    };
    Ok(Report {
        title,
        warehouse_version: session.warehouse_version,
        date,
        headlines,
        tables,
        charts,
    })
}

/// One sentence per pair of revisions compared: "第2版较第1版：新增 3 个系统，删除 2 个，…".
fn revision_headlines(changes: &Table, lang: Lang) -> Result<Vec<Headline>> {
    let raw = changes.raw_cells()?;
    let at = |r: &[String], n: &str| changes.schema.index_of(n).map(|i| r[i].clone()).unwrap_or_default();
    let mut pairs: Vec<(String, String)> = raw
        .iter()
        .map(|r| (at(r, "from_revision"), at(r, "to_revision")))
        .collect();
    pairs.dedup();
    let kinds = [
        ("added", "新增", "added"),
        ("removed", "删除", "removed"),
        ("level_changed", "等级调整", "level changed"),
        ("moved", "变更单位", "moved"),
        ("renamed", "更名", "renamed"),
    ];
    Ok(pairs
        .into_iter()
        .map(|(from, to)| {
            let count = |kind: &str| {
                raw.iter()
                    .filter(|r| at(r, "from_revision") == from && at(r, "to_revision") == to && at(r, "change") == kind)
                    .count()
            };
            let parts: Vec<String> = kinds
                .iter()
                .filter(|(k, _, _)| count(k) > 0)
                .map(|(k, zh, en)| match lang {
                    Lang::Zh => format!("{zh} {} 个系统", count(k)),
                    Lang::En => format!("{} {en}", count(k)),
                })
                .collect();
            Headline {
                label: lang.pick("计划修订", "Plan revision").to_string(),
                text: match lang {
                    Lang::Zh => format!("第{to}版较第{from}版：{}", parts.join("，")),
                    Lang::En => format!("revision {to} against {from}: {}", parts.join(", ")),
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::DataType;

    #[test]
    fn money_in_wan_yuan_to_the_hundredth() {
        assert_eq!(wan_yuan("622300.00").as_deref(), Some("62.23"));
        assert_eq!(wan_yuan("49.99").as_deref(), Some("0.00"));
        assert_eq!(wan_yuan("50.00").as_deref(), Some("0.01"));
        assert_eq!(wan_yuan("12345678.90").as_deref(), Some("1234.57"));
        assert_eq!(wan_yuan("0").as_deref(), Some("0.00"));
    }

    #[test]
    fn cells_read_as_a_briefing_writes_them() {
        let money = DataType::Decimal128(18, 2);
        assert_eq!(display("urge", "letter", &DataType::Utf8, Lang::Zh), "督促函");
        assert_eq!(display("notice", "letter", &DataType::Utf8, Lang::Zh), "便函");
        assert_eq!(display("due_soon", "status", &DataType::Utf8, Lang::Zh), "即将到期");
        assert_eq!(
            display("basic_pass", "conclusion", &DataType::Utf8, Lang::Zh),
            "基本符合"
        );
        assert_eq!(display("high", "risk", &DataType::Utf8, Lang::Zh), "高");
        assert_eq!(
            display("0.13636", "completion_rate", &DataType::Float64, Lang::Zh),
            "13.6%"
        );
        assert_eq!(display("622300.00", "spent", &money, Lang::Zh), "62.23");
        assert_eq!(display("urge", "letter", &DataType::Utf8, Lang::En), "urge");
        assert_eq!(display("622300.00", "spent", &money, Lang::En), "622300.00");
    }
}
