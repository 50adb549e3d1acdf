//! The sections a 季度通报 or leadership briefing leads with, written from the views:
//! 总体情况 (where the year stands), 存在问题 (who is behind, what is overdue, letters
//! unanswered, budget gaps) and 下一步工作 (letters due, next quarter's rectification
//! deadlines). Every sentence names the views its figures come from; the report names the
//! warehouse version, so each number can be reproduced with `ceping sql --as-of`.

use chrono::{Datelike, NaiveDate};

use super::build::{Lang, Scope};
use crate::error::Result;
use crate::sql::exec::query;
use crate::sql::print::cell_strings;
use crate::sql::Session;

/// One sentence and the views behind its figures.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub text: String,
    pub views: Vec<&'static str>,
}

/// A titled run of sentences.
#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    pub sentences: Vec<Sentence>,
}

impl Section {
    /// Every view the section's figures come from, once, in order.
    pub fn views(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for v in self.sentences.iter().flat_map(|s| s.views.iter()) {
            if !out.contains(v) {
                out.push(v);
            }
        }
        out
    }
}

/// The first row of a query as strings by column name (empty when no row).
async fn row(session: &Session, sql: &str) -> Result<Vec<(String, String)>> {
    let (schema, batches) = query(&session.ctx, sql).await?;
    let cells = cell_strings(&batches)?;
    Ok(cells
        .into_iter()
        .next()
        .map(|r| schema.fields().iter().map(|f| f.name().clone()).zip(r).collect())
        .unwrap_or_default())
}

/// Every row of a query.
async fn rows(session: &Session, sql: &str) -> Result<Vec<Vec<String>>> {
    let (_, batches) = query(&session.ctx, sql).await?;
    cell_strings(&batches)
}

fn get(row: &[(String, String)], name: &str) -> i64 {
    row.iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.parse::<f64>().ok())
        .map_or(0, |v| v as i64)
}

fn rate(row: &[(String, String)], name: &str) -> Option<f64> {
    row.iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.parse::<f64>().ok())
}

fn zh_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];

/// The three sections, for a quarter's end (a briefing: the year's last quarter).
pub async fn sections(session: &Session, scope: Scope, lang: Lang) -> Result<Vec<Section>> {
    let (year, quarter) = match scope {
        Scope::Quarterly { year, quarter } => (year, quarter),
        Scope::Briefing { year } => (year, 4),
    };
    let date = scope.date();
    let d = format!("DATE '{date}'");
    let zh = lang == Lang::Zh;
    let say = |zh_text: String, en_text: String, views: &[&'static str]| Sentence {
        text: if zh { zh_text } else { en_text },
        views: views.to_vec(),
    };

    // 总体情况
    let exec = row(
        session,
        &format!("SELECT * FROM execution_by_quarter WHERE year = {year} AND quarter = {quarter}"),
    )
    .await?;
    let before = row(
        session,
        &format!(
            "SELECT completion_rate FROM execution_by_quarter WHERE year = {year} AND quarter = {}",
            quarter - 1
        ),
    )
    .await?;
    let rect = row(
        session,
        &format!("SELECT * FROM rectification_progress WHERE year = {year} AND quarter = {quarter}"),
    )
    .await?;
    let mut overall = Vec::new();
    let (planned, assessed) = (get(&exec, "planned_systems"), get(&exec, "planned_systems_assessed"));
    let now = rate(&exec, "completion_rate").map(|r| r * 100.0);
    let change = match (now, rate(&before, "completion_rate").map(|r| r * 100.0)) {
        (Some(n), Some(b)) if quarter > 1 => {
            let delta = n - b;
            if delta.abs() < 0.05 {
                (
                    "，与上季度持平".to_string(),
                    ", level with the quarter before".to_string(),
                )
            } else {
                let (zh_word, en_word) = if delta > 0.0 {
                    ("提高", "up")
                } else {
                    ("降低", "down")
                };
                (
                    format!("，较上季度{zh_word}{:.1}个百分点", delta.abs()),
                    format!(", {en_word} {:.1} points on the quarter before", delta.abs()),
                )
            }
        }
        _ => (String::new(), String::new()),
    };
    overall.push(say(
        format!(
            "截至{}，全市计划测评{planned}个系统，已完成{assessed}个，完成率{:.1}%{}。",
            zh_date(date),
            now.unwrap_or(0.0),
            change.0
        ),
        format!(
            "As of {date}, {assessed} of the {planned} planned systems are assessed ({:.1}%){}.",
            now.unwrap_or(0.0),
            change.1
        ),
        &["execution_by_quarter"],
    ));
    overall.push(say(
        format!(
            "{year}年第{}季度测评{}个主管部门、{}个预算单位、{}个系统，其中计划外系统{}个。",
            QUARTERS[(quarter as usize).clamp(1, 4) - 1],
            get(&exec, "departments"),
            get(&exec, "units"),
            get(&exec, "systems"),
            get(&exec, "unplanned_systems")
        ),
        format!(
            "In {year} Q{quarter}, {} departments, {} budget units and {} systems were assessed ({} outside the plan).",
            get(&exec, "departments"),
            get(&exec, "units"),
            get(&exec, "systems"),
            get(&exec, "unplanned_systems")
        ),
        &["execution_by_quarter"],
    ));
    overall.push(say(
        format!(
            "截至季末，{}个主管部门、{}个预算单位、{}个系统完成测评整改；测评发现问题{}项，已整改{}项，逾期未整改{}项，已延期{}项。",
            get(&rect, "departments"),
            get(&rect, "units"),
            get(&rect, "systems"),
            get(&rect, "findings"),
            get(&rect, "findings_fixed"),
            get(&rect, "findings_overdue"),
            get(&rect, "findings_extended")
        ),
        format!(
            "At the quarter's end, {} departments, {} units and {} systems had completed rectification; of {} findings, {} fixed, {} overdue, {} extended.",
            get(&rect, "departments"),
            get(&rect, "units"),
            get(&rect, "systems"),
            get(&rect, "findings"),
            get(&rect, "findings_fixed"),
            get(&rect, "findings_overdue"),
            get(&rect, "findings_extended")
        ),
        &["rectification_progress"],
    ));
    // Inspection (安全检查) and monitoring (安全监测) findings, each when there are any.
    let mut parts = (Vec::new(), Vec::new());
    for (source, zh_word, en_word) in [
        ("inspection", "安全检查", "Inspections"),
        ("monitoring", "安全监测", "Monitoring"),
    ] {
        let found = get(&rect, &format!("{source}_findings"));
        if found == 0 {
            continue;
        }
        let (fixed, overdue, extended) = (
            get(&rect, &format!("{source}_fixed")),
            get(&rect, &format!("{source}_overdue")),
            get(&rect, &format!("{source}_extended")),
        );
        parts.0.push(format!(
            "{zh_word}发现问题{found}项，已整改{fixed}项、逾期未整改{overdue}项、已延期{extended}项"
        ));
        parts.1.push(format!(
            "{en_word} found {found} problems ({fixed} fixed, {overdue} overdue, {extended} extended)"
        ));
    }
    if !parts.0.is_empty() {
        overall.push(say(
            format!("{}。", parts.0.join("；")),
            format!("{}.", parts.1.join("; ")),
            &["rectification_progress"],
        ));
    }

    // 存在问题
    let mut problems = Vec::new();
    let behind = rows(
        session,
        &format!(
            "SELECT department, behind, overdue FROM department_scorecard_as_of({d}) \
             WHERE year = {year} AND quarter = {quarter} AND behind > 0 ORDER BY rank, department LIMIT 3"
        ),
    )
    .await?;
    let total_behind = row(
        session,
        &format!(
            "SELECT COUNT(*) AS departments, COALESCE(SUM(behind), 0) AS systems FROM department_scorecard_as_of({d}) \
             WHERE year = {year} AND quarter = {quarter} AND behind > 0"
        ),
    )
    .await?;
    if behind.is_empty() {
        problems.push(say(
            "各主管部门均无滞后于计划的系统。".into(),
            "No department has systems behind its plan.".into(),
            &["department_scorecard"],
        ));
    } else {
        let named_zh: Vec<String> = behind
            .iter()
            .map(|r| format!("{}（滞后{}个系统）", r[0], r[1]))
            .collect();
        let named_en: Vec<String> = behind
            .iter()
            .map(|r| format!("{} ({} systems behind)", r[0], r[1]))
            .collect();
        problems.push(say(
            format!(
                "{}个主管部门有{}个系统滞后于计划，滞后最多的是{}。",
                get(&total_behind, "departments"),
                get(&total_behind, "systems"),
                named_zh.join("、")
            ),
            format!(
                "{} departments have {} systems behind plan; furthest behind: {}.",
                get(&total_behind, "departments"),
                get(&total_behind, "systems"),
                named_en.join(", ")
            ),
            &["department_scorecard"],
        ));
    }
    let overdue = row(
        session,
        &format!(
            "SELECT COALESCE(SUM(systems), 0) AS systems, COALESCE(SUM(cii_systems), 0) AS cii \
             FROM cycle_summary_as_of({d}) WHERE status = 'overdue'"
        ),
    )
    .await?;
    problems.push(say(
        format!(
            "{}个系统超过测评周期未测评，其中关键信息基础设施{}个。",
            get(&overdue, "systems"),
            get(&overdue, "cii")
        ),
        format!(
            "{} systems are overdue by the assessment cycle, {} of them critical infrastructure.",
            get(&overdue, "systems"),
            get(&overdue, "cii")
        ),
        &["cycle_summary"],
    ));
    let letters = row(
        session,
        &format!(
            "SELECT COALESCE(SUM(sent), 0) AS sent, COALESCE(SUM(answered_on_time), 0) AS on_time, \
             COALESCE(SUM(answered_late), 0) AS late, COALESCE(SUM(unanswered), 0) AS unanswered \
             FROM letters_sent_as_of({d}) WHERE year = {year}"
        ),
    )
    .await?;
    problems.push(say(
        format!(
            "已发测评工作函件{}件，按期复函{}件、逾期复函{}件，逾期未复函{}件。",
            get(&letters, "sent"),
            get(&letters, "on_time"),
            get(&letters, "late"),
            get(&letters, "unanswered")
        ),
        format!(
            "{} letters sent: {} answered on time, {} late, {} unanswered past their deadline.",
            get(&letters, "sent"),
            get(&letters, "on_time"),
            get(&letters, "late"),
            get(&letters, "unanswered")
        ),
        &["letters_sent"],
    ));
    let gaps = row(
        session,
        &format!(
            "SELECT COUNT(*) AS gaps, \
             SUM(CASE WHEN gap = 'no_assessment_budget' THEN 1 ELSE 0 END) AS no_assessment, \
             SUM(CASE WHEN gap = 'no_rectification_budget' THEN 1 ELSE 0 END) AS no_rectification \
             FROM budget_gaps WHERE year = {year}"
        ),
    )
    .await?;
    problems.push(say(
        format!(
            "经费核查发现问题{}项，其中未申请测评经费{}项、未申请整改经费{}项。",
            get(&gaps, "gaps"),
            get(&gaps, "no_assessment"),
            get(&gaps, "no_rectification")
        ),
        format!(
            "The budget checks found {} gaps: {} units with no assessment budget, {} with no rectification budget.",
            get(&gaps, "gaps"),
            get(&gaps, "no_assessment"),
            get(&gaps, "no_rectification")
        ),
        &["budget_gaps"],
    ));

    // 下一步工作
    let mut next = Vec::new();
    let due = row(
        session,
        &format!(
            "SELECT COALESCE(SUM(CASE WHEN letter = 'notice' THEN 1 ELSE 0 END), 0) AS notices, \
             COALESCE(SUM(CASE WHEN letter = 'urge' THEN 1 ELSE 0 END), 0) AS urges \
             FROM letters_due_as_of({d}) WHERE year = {year}"
        ),
    )
    .await?;
    next.push(say(
        format!(
            "对滞后单位发出测评工作便函{}件、督促函{}件（`ceping letters --date {date}`）。",
            get(&due, "notices"),
            get(&due, "urges")
        ),
        format!(
            "Send {} notices and {} urging letters to the units behind (`ceping letters --date {date}`).",
            get(&due, "notices"),
            get(&due, "urges")
        ),
        &["letters_due"],
    ));
    let deadlines = row(
        session,
        &format!(
            "SELECT COUNT(*) AS findings, COUNT(DISTINCT system_id) AS systems, \
             COALESCE(SUM(CASE WHEN extended THEN 1 ELSE 0 END), 0) AS extended \
             FROM rectification_due_as_of({d})"
        ),
    )
    .await?;
    next.push(say(
        format!(
            "下季度到期的整改问题{}项（涉及{}个系统，其中已延期{}项），督促按期完成整改。",
            get(&deadlines, "findings"),
            get(&deadlines, "systems"),
            get(&deadlines, "extended")
        ),
        format!(
            "{} findings of {} systems fall due next quarter ({} on an extension): see that they are fixed in time.",
            get(&deadlines, "findings"),
            get(&deadlines, "systems"),
            get(&deadlines, "extended")
        ),
        &["rectification_due"],
    ));

    let heading = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
    Ok(vec![
        Section {
            heading: heading("总体情况", "Overview"),
            sentences: overall,
        },
        Section {
            heading: heading("存在问题", "Problems"),
            sentences: problems,
        },
        Section {
            heading: heading("下一步工作", "Next steps"),
            sentences: next,
        },
    ])
}
