//! Report content: which views, filtered how, under which titles. Every figure is read
//! from a metric view through SQL; nothing is computed here.

use chrono::NaiveDate;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

pub use super::cells::{display, wan_yuan};
use super::headlines::{cii_headline, count, crypto_headline, revision_headlines};
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
    /// A sentence under the table (what it leaves out, and why).
    pub note: Option<String>,
}

impl Table {
    /// The Chinese heading of a column the report computes itself (a count the view does
    /// not have), where the dictionary's word for that name would mislead.
    fn heading(mut self, column: &str, zh: &str) -> Self {
        if self.lang == Lang::Zh {
            if let Some(i) = self.schema.fields().iter().position(|f| f.name() == column) {
                self.headers[i] = zh.to_string();
                self.xlsx_headers[i] = zh.to_string();
            }
        }
        self
    }

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
    /// 总体情况, 存在问题, 下一步工作: the prose the office's bulletins lead with.
    pub prose: Vec<super::prose::Section>,
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

pub(super) async fn table(session: &Session, title: &str, view: &'static str, sql: &str, lang: Lang) -> Result<Table> {
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
        note: None,
    })
}

pub(super) fn column_f64(t: &Table, name: &str) -> Result<Vec<f64>> {
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

pub(super) fn column_str(t: &Table, name: &str) -> Result<Vec<String>> {
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
        &format!("SELECT year, quarter, quarter_end, departments, units, systems, systems_assessed, findings, findings_fixed, findings_overdue, findings_extended FROM rectification_progress WHERE year = {year} AND quarter <= {upto} ORDER BY quarter"),
        lang,
    )
    .await?;
    let by_source = table(
        session,
        &l("整改问题（按来源）", "Findings by source"),
        "findings_by_source",
        &format!("SELECT source, findings, findings_fixed, findings_overdue, findings_extended FROM findings_by_source WHERE year = {year} AND quarter = {upto} ORDER BY source"),
        lang,
    )
    .await?;
    let sent = table(
        session,
        &l(&format!("{year}年函件发出与答复（截至{date}）"), &format!("{year} letters sent and answered as of {date}")),
        "letters_sent",
        &format!("SELECT kind, SUM(sent) AS sent, SUM(answered_on_time) AS answered_on_time, SUM(answered_late) AS answered_late, SUM(awaiting) AS awaiting, SUM(unanswered) AS unanswered FROM letters_sent_as_of({d}) WHERE year = {year} GROUP BY kind ORDER BY kind"),
        lang,
    )
    .await?;
    let scorecard = table(
        session,
        &l(
            &format!("各主管部门落实情况（截至{date}）"),
            &format!("Departments as of {date}"),
        ),
        "department_scorecard",
        &format!("SELECT rank, department, planned, assessed, on_time, behind, overdue, rectified, rectification_late, letters_sent, letters_unanswered, budget_gaps FROM department_scorecard_as_of({d}) WHERE year = {year} AND quarter = {upto} ORDER BY rank, department"),
        lang,
    )
    .await?;
    let letters = table(
        session,
        &l(&format!("应发函件（截至{date}）"), &format!("Letters due as of {date}")),
        "letters_due",
        &format!("SELECT department, unit, systems_behind, earliest_due, days_late, letter, prior_letter FROM letters_due_as_of({d}) WHERE year = {year} ORDER BY letter DESC, days_late DESC, unit"),
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
    let mut cycle = table(
        session,
        &l(
            &format!("测评周期状态（截至{date}）"),
            &format!("Cycle status as of {date}"),
        ),
        "cycle_summary",
        &format!("SELECT status, systems, cii_systems FROM cycle_summary_as_of({d}) ORDER BY status"),
        lang,
    )
    .await?;
    let classified = count(session, "SELECT COUNT(*) FROM classified_systems").await?;
    cycle.note = Some(match lang {
        Lang::Zh => format!("涉密系统 {classified} 个，按分级保护管理，不纳入本周期（视图 classified_systems）。"),
        Lang::En => format!(
            "{classified} classified systems follow graded protection and are outside this cycle (view classified_systems)."
        ),
    });
    let crypto = table(
        session,
        &l(&format!("{year}年国产密码应用情况"), &format!("{year} domestic cryptography")),
        "crypto_migration",
        &format!("SELECT department, systems, domestic, migrating, none, unknown, new_without_domestic, without_sm2, crypto_passed, crypto_failed, filed_late FROM crypto_migration_as_of({d}) WHERE year = {year} ORDER BY department"),
        lang,
    )
    .await?;
    let crypto_new = table(
        session,
        &l(
            &format!("{year}年新建系统未采用国产密码"),
            &format!("{year} new systems without domestic cryptography"),
        ),
        "crypto_register",
        &format!("SELECT department, unit, system, went_live_on, crypto FROM crypto_register_as_of({d}) WHERE year = {year} AND new_without_domestic ORDER BY department, unit, system"),
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
        &format!("SELECT request_year, budget_year, deadline, status, COUNT(*) AS systems, SUM(renovation_findings) AS renovation_findings, SUM(renovation_fixed) AS renovation_fixed FROM rectification_schedule_as_of({d}) WHERE request_year >= {year} - 1 AND request_year <= {year} + 1 GROUP BY request_year, budget_year, deadline, status ORDER BY request_year, budget_year, deadline, status"),
        lang,
    )
    .await?
    .heading("systems", "系统数");
    let next = table(
        session,
        &l("下一年度计划", "Next year's plan"),
        "plan_coverage",
        &format!("SELECT * FROM plan_coverage WHERE year = {}", year + 1),
        lang,
    )
    .await?;

    let mut headlines = Vec::new();
    let cii = cii_headline(session, &d, date, lang).await?;
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
    if let Some(h) = cii {
        headlines.push(h);
    }
    if let Scope::Briefing { .. } = scope {
        headlines.extend(crypto_headline(&crypto, year, lang)?);
    }
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
            stacked: false,
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
            stacked: false,
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
            stacked: false,
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
            stacked: false,
        },
    ));
    // The ten departments furthest behind (the scorecard is in rank order).
    let worst = column_str(&scorecard, "department")?.len().min(10);
    let ten = |v: Vec<f64>| v.into_iter().take(worst).collect::<Vec<_>>();
    charts.push((
        "department_scorecard".to_string(),
        Chart {
            title: l(
                &format!("滞后最多的{worst}个主管部门（截至{date}）"),
                &format!("The {worst} departments furthest behind as of {date}"),
            ),
            category_label: l("主管部门", "department"),
            value_label: l("系统数", "systems"),
            categories: column_str(&scorecard, "department")?.into_iter().take(worst).collect(),
            bars: vec![
                (l("滞后于计划", "behind plan"), ten(column_f64(&scorecard, "behind")?)),
                (
                    l("超过测评周期", "overdue by the cycle"),
                    ten(column_f64(&scorecard, "overdue")?),
                ),
                (
                    l("未复函件", "letters unanswered"),
                    ten(column_f64(&scorecard, "letters_unanswered")?),
                ),
            ],
            lines: vec![],
            horizontal: true,
            counts: true,
            stacked: false,
        },
    ));
    if let Scope::Briefing { .. } = scope {
        let departments = column_str(&crypto, "department")?;
        charts.push((
            "crypto_migration".to_string(),
            Chart {
                title: l(
                    &format!("{year}年国产密码应用情况（按主管部门）"),
                    &format!("{year} domestic cryptography by department"),
                ),
                category_label: l("主管部门", "department"),
                value_label: l("系统数", "systems"),
                categories: departments,
                bars: vec![
                    (l("已采用", "domestic"), column_f64(&crypto, "domestic")?),
                    (l("改造中", "migrating"), column_f64(&crypto, "migrating")?),
                    (l("未采用", "none"), column_f64(&crypto, "none")?),
                    (l("未填报", "not stated"), column_f64(&crypto, "unknown")?),
                ],
                lines: vec![],
                horizontal: true,
                counts: true,
                stacked: true,
            },
        ));
    }
    let status_names: Vec<String> = column_str(&cycle, "status")?
        .iter()
        .map(|s| match (lang, s.as_str()) {
            (Lang::Zh, "on_time") => "按期".to_string(),
            (Lang::Zh, "due_soon") => "即将到期".to_string(),
            (Lang::Zh, "overdue") => "逾期".to_string(),
            (Lang::Zh, "unknown") => "无法确定".to_string(),
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
            stacked: false,
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
            vec![
                coverage,
                execution,
                rectification,
                by_source,
                schedule,
                scorecard,
                letters,
                sent,
                spending,
                cycle,
            ],
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
                by_source,
                trend,
                next,
                scorecard,
                spending,
                letters,
                sent,
                cycle,
                crypto,
                crypto_new,
            ],
        ),
    };
    let prose = super::prose::sections(session, scope, lang).await?;
    Ok(Report {
        title,
        warehouse_version: session.warehouse_version,
        date,
        headlines,
        prose,
        tables,
        charts,
    })
}
