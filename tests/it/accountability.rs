//! Accountability (issue 29): the department scorecard against counts made by hand, the
//! letters register (numbers that continue, escalation only after an issued 便函 went
//! unanswered, a reply that stops it), findings from inspections and monitoring, extensions
//! that never hide lateness, the budget year of the briefing's rule, and the prose of the
//! reports parsed back against the views. DuckDB runs every new view on the same fixtures.

use std::path::{Path, PathBuf};

use calamine::Reader;

use crate::common::{sample, xlsx, TestWarehouse};
use crate::duckdb::same_on_duckdb;

const PLAN_HEADER: &[&str] = &["主管部门", "预算单位", "系统名称", "等级", "计划测评时间"];
const RESULTS_HEADER: &[&str] = &["报告编号", "主管部门", "预算单位", "系统名称", "等级", "出具报告日期"];
const FINDINGS_HEADER: &[&str] = &[
    "报告编号",
    "序号",
    "风险等级",
    "整改方式",
    "整改期限",
    "整改状态",
    "完成日期",
];
const LETTERS_HEADER: &[&str] = &[
    "函号",
    "函件类型",
    "年度",
    "主管部门",
    "预算单位",
    "滞后系统数",
    "发函日期",
    "复函期限",
    "复函日期",
];
const BUDGET_HEADER: &[&str] = &[
    "主管部门",
    "预算单位",
    "类别",
    "申报金额（万元）",
    "批复金额（万元）",
    "实际支出（元）",
];

/// Writes one sheet of `header` + `rows` to `name` in the test's dir and ingests it.
fn load(wh: &TestWarehouse, name: &str, sheet: &str, header: &[&str], rows: &[&[&str]]) -> String {
    let file = wh.file(name);
    let mut all: Vec<&[&str]> = vec![header];
    all.extend_from_slice(rows);
    xlsx(&file, &[(sheet, &all)]);
    wh.ingest(&[&file])
}

/// The office of the scorecard test: 市教委 with four planned systems (one assessed on
/// time, one late, one not yet due, one behind and overdue by the cycle), 市卫健委 with one,
/// findings (one system rectified, a 2018 renovation past its deadline), three letters and
/// one budget row.
fn office() -> TestWarehouse {
    let wh = TestWarehouse::new();
    load(
        &wh,
        "2019年测评计划预告.xlsx",
        "计划",
        PLAN_HEADER,
        &[
            &["市教委", "考试院", "报名系统", "3", "一季度"],
            &["市教委", "考试院", "阅卷系统", "2", "一季度"],
            &["市教委", "电教馆", "资源平台", "3", "二季度"],
            &["市教委", "电教馆", "门户网站", "3", "一季度"],
            &["市卫健委", "卫生信息中心", "挂号系统", "3", "一季度"],
        ],
    );
    load(
        &wh,
        "测评结果.xlsx",
        "结果",
        RESULTS_HEADER,
        &[
            &["R0", "市教委", "电教馆", "门户网站", "3", "2018-01-10"],
            &["R1", "市教委", "考试院", "报名系统", "3", "2019-02-10"],
            &["R2", "市教委", "考试院", "阅卷系统", "2", "2019-05-10"],
            &["R3", "市卫健委", "卫生信息中心", "挂号系统", "3", "2019-03-01"],
        ],
    );
    load(
        &wh,
        "整改情况.xlsx",
        "整改",
        FINDINGS_HEADER,
        &[
            &["R1", "1", "高", "即知即改", "2019-03-10", "已整改", "2019-03-01"],
            &["R1", "2", "中", "即知即改", "2019-03-10", "已整改", "2019-03-20"],
            &["R2", "1", "中", "系统改造", "2019-12-31", "未整改", ""],
            &["R0", "1", "中", "系统改造", "2018-12-31", "未整改", ""],
        ],
    );
    load(
        &wh,
        "2019年测评工作函件登记.xlsx",
        "发函登记",
        LETTERS_HEADER,
        &[
            &[
                "测便〔2019〕1号",
                "便函",
                "2019",
                "市教委",
                "电教馆",
                "1",
                "2019-04-15",
                "2019-04-30",
                "2019-04-25",
            ],
            &[
                "测便〔2019〕2号",
                "便函",
                "2019",
                "市教委",
                "考试院",
                "1",
                "2019-04-15",
                "2019-04-30",
                "",
            ],
            &[
                "测便〔2019〕3号",
                "便函",
                "2019",
                "市卫健委",
                "卫生信息中心",
                "1",
                "2019-07-15",
                "2019-07-30",
                "",
            ],
        ],
    );
    load(
        &wh,
        "2019年经费预算.xlsx",
        "经费",
        BUDGET_HEADER,
        &[&["市教委", "考试院", "测评", "2", "2", "18000"]],
    );
    wh
}

const CARD: &str = "SELECT department, planned, assessed, on_time, behind, overdue, rectified, \
                    rectification_late, letters_sent, letters_unanswered, budget_gaps, rank \
                    FROM department_scorecard";

/// A scorecard row, worked by hand from `office()` (2019 Q2, as of 30 June):
/// 市教委 planned 4; assessed 2 (报名系统 in Q1, 阅卷系统 on 10 May); on time 1 (阅卷系统
/// was due in Q1); behind 1 (门户网站, due in Q1; 资源平台 is due on 30 June itself); overdue
/// 1 (门户网站: assessed 2018-01-10, level 3, due again 2019-01-10); rectified 1 (报名系统,
/// both findings fixed); rectification late 1 (门户网站's 2018 renovation, due 31 Dec 2018);
/// letters sent 2 (1号 and 2号 on 15 April), unanswered 1 (2号); budget gaps 2 (电教馆 has
/// no assessment budget, 考试院 no rectification budget for R2's first-half renovation).
#[test]
fn a_department_scorecard_row_equals_the_counts_made_by_hand() {
    let wh = office();
    let q2 = wh.rows(&format!("{CARD} WHERE year = 2019 AND quarter = 2 ORDER BY rank"));
    let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        q2,
        [
            row(&["市教委", "4", "2", "1", "1", "1", "1", "1", "2", "1", "2", "1"]),
            row(&["市卫健委", "1", "1", "1", "0", "0", "0", "0", "0", "0", "1", "2"]),
        ]
    );
    // A quarter on: 资源平台 is behind and overdue too; 市卫健委's letter of 15 July is sent
    // and unanswered (its deadline, 30 July, passed).
    let q3 = wh.rows(&format!("{CARD} WHERE year = 2019 AND quarter = 3 ORDER BY rank"));
    assert_eq!(
        q3,
        [
            row(&["市教委", "4", "2", "1", "2", "2", "1", "1", "2", "1", "2", "1"]),
            row(&["市卫健委", "1", "1", "1", "0", "0", "0", "0", "1", "1", "1", "2"]),
        ]
    );
    // The budget gaps counted are budget_gaps' rows.
    assert_eq!(
        wh.rows("SELECT unit, gap FROM budget_gaps WHERE year = 2019 AND department = '市教委' ORDER BY unit"),
        [
            row(&["电教馆", "no_assessment_budget"]),
            row(&["考试院", "no_rectification_budget"])
        ]
    );
    // As of a day inside Q2, the Q2 row is that day's, and there is no Q3 row.
    let mid = wh.rows(
        "SELECT quarter, CAST(quarter_end AS VARCHAR), assessed, letters_sent FROM department_scorecard_as_of('2019-05-01') \
         WHERE department = '市教委' ORDER BY quarter",
    );
    assert_eq!(
        mid,
        [row(&["1", "2019-03-31", "1", "0"]), row(&["2", "2019-05-01", "1", "2"])]
    );
    same_on_duckdb(
        &wh,
        &[
            "department_scorecard",
            "letters_sent",
            "letter_replies",
            "letters_due",
            "findings_by_source",
            "rectification_due",
            "rectification_schedule",
            "budget_gaps",
        ],
    );
}

/// The scorecard repeats the cycle rules for every quarter's end: its overdue count equals
/// cycle_status_as_of(quarter end) per department, for every quarter of the sample.
#[test]
fn the_scorecard_overdue_equals_cycle_status_at_every_quarter_end() {
    let wh = sample();
    let ends = wh.rows(
        "SELECT DISTINCT CAST(quarter_end AS VARCHAR) FROM department_scorecard WHERE year IN (2018, 2019) ORDER BY 1",
    );
    assert_eq!(ends.len(), 8, "{ends:?}");
    let mut nonzero = 0;
    for e in ends.iter().map(|r| r[0].as_str()) {
        let card = wh.rows(&format!(
            "SELECT department, overdue FROM department_scorecard WHERE quarter_end = DATE '{e}' AND overdue > 0 ORDER BY 1"
        ));
        let cycle = wh.rows(&format!(
            "SELECT department, COUNT(*) FROM cycle_status_as_of('{e}') WHERE status = 'overdue' \
             AND department IN (SELECT department FROM department_scorecard WHERE quarter_end = DATE '{e}') \
             GROUP BY department ORDER BY 1"
        ));
        assert_eq!(card, cycle, "as of {e}");
        nonzero += card.len();
    }
    assert!(nonzero > 10, "the comparison is not of zeros ({nonzero} rows)");
}

/// A 2019 plan of `units` of 市教委, each with one system planned in Q1, none assessed.
fn behind_units(wh: &TestWarehouse, units: &[&str]) {
    let rows: Vec<Vec<&str>> = units
        .iter()
        .map(|u| vec!["市教委", u, "业务系统", "3", "一季度"])
        .collect();
    let refs: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    load(wh, "2019年测评计划预告.xlsx", "计划", PLAN_HEADER, &refs);
}

fn letters(wh: &TestWarehouse, date: &str) -> (PathBuf, Vec<Vec<String>>) {
    let out = wh.file(&format!("letters-{date}"));
    wh.run(&["letters", "--date", date, "--out", out.to_str().unwrap()]);
    let index = out.join("函件索引.xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&index).unwrap();
    let range = wb.worksheet_range("发函登记").unwrap();
    let rows = range
        .rows()
        .skip(2)
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    (index, rows)
}

/// The index of a letters run filled in as the office does (发函日期 and, where given,
/// 复函日期 per letter number), saved in the register layout and ingested.
fn file_back(wh: &TestWarehouse, index: &Path, issued: &str, replies: &[(&str, &str)]) {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(index).unwrap();
    let range = wb.worksheet_range("发函登记").unwrap();
    let mut rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    for row in rows.iter_mut().skip(2) {
        row[6] = issued.to_string();
        // 复函期限 as the date Excel shows
        if let Ok(serial) = row[7].parse::<f64>() {
            let d = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap() + chrono::Days::new(serial as u64);
            row[7] = d.to_string();
        }
        if let Some((_, replied)) = replies.iter().find(|(no, _)| *no == row[0]) {
            row[8] = replied.to_string();
        }
    }
    let refs: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let filled = wh.file(&format!(
        "{}-已填.xlsx",
        index.parent().unwrap().file_name().unwrap().to_string_lossy()
    ));
    xlsx(&filled, &[("发函登记", &refs)]);
    let report = wh.ingest(&[&filled]);
    assert!(report.contains(": letters"), "{report}");
}

fn numbers(rows: &[Vec<String>]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r[0].clone(), r[4].clone(), r[10].clone()))
        .collect()
}

fn t(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.to_string(), b.to_string(), c.to_string())
}

/// Numbers continue from the register across runs, never reused, per kind and year; the
/// index goes back in as the register.
#[test]
fn letter_numbers_continue_across_runs_and_years() {
    let wh = TestWarehouse::new();
    behind_units(&wh, &["考试院", "电教馆"]);
    // First run: two 便函, numbered from 1 (units in name order: 电 before 考).
    let (index, rows) = letters(&wh, "2019-07-01");
    assert_eq!(
        numbers(&rows),
        [t("测便〔2019〕1号", "电教馆", ""), t("测便〔2019〕2号", "考试院", "")]
    );
    // Run again before the index is filed back: the same letters, the same numbers.
    let (_, again) = letters(&wh, "2019-07-01");
    assert_eq!(numbers(&again), numbers(&rows));
    // Filed back: both issued 2 July (deadline 16 July); 电教馆 replies on 10 July.
    file_back(&wh, &index, "2019-07-02", &[("测便〔2019〕1号", "2019-07-10")]);
    assert_eq!(
        wh.rows(
            "SELECT letter_no, kind, CAST(issued_on AS VARCHAR), CAST(reply_due_on AS VARCHAR) FROM letters ORDER BY 1"
        ),
        [
            vec!["测便〔2019〕1号", "notice", "2019-07-02", "2019-07-16"],
            vec!["测便〔2019〕2号", "notice", "2019-07-02", "2019-07-16"],
        ]
    );
    // 15 August: 考试院's 便函 went unanswered past its deadline → the first 督促函, citing it;
    // 电教馆 answered → nothing yet.
    let (index, rows) = letters(&wh, "2019-08-15");
    assert_eq!(numbers(&rows), [t("测督〔2019〕1号", "考试院", "测便〔2019〕2号")]);
    file_back(&wh, &index, "2019-08-16", &[]);
    // 15 October: 90 days after 电教馆's reply, still behind → a new 便函, number 3 (1 and 2
    // are taken); 考试院's 督促函 awaits no more (deadline 23 August) but an urge is not urged.
    let (index, rows) = letters(&wh, "2019-10-15");
    assert_eq!(numbers(&rows), [t("测便〔2019〕3号", "电教馆", "测便〔2019〕1号")]);
    file_back(&wh, &index, "2019-10-16", &[]);
    // A new year: letters written in 2020 are numbered from 1 in 2020's series, the 2019
    // plan's units included; a 2020 plan's unit behind gets its first 便函.
    load(
        &wh,
        "2020年测评计划预告.xlsx",
        "计划",
        PLAN_HEADER,
        &[&["市卫健委", "卫生信息中心", "挂号系统", "3", "一季度"]],
    );
    let (_, rows) = letters(&wh, "2020-04-15");
    assert_eq!(
        numbers(&rows),
        [
            t("测督〔2020〕1号", "电教馆", "测便〔2019〕3号"),
            t("测便〔2020〕1号", "卫生信息中心", ""),
        ]
    );
}

/// letters_due on a register written by hand: no 督促函 until a 便函 was issued and its reply
/// deadline passed; a registered but unsent 便函 does not count; a reply stops escalation.
#[test]
fn no_urge_without_an_issued_notice_past_its_deadline_and_a_reply_stops_it() {
    let wh = TestWarehouse::new();
    behind_units(&wh, &["考试院", "电教馆", "档案馆", "图书馆"]);
    load(
        &wh,
        "2019年测评工作函件登记.xlsx",
        "发函登记",
        LETTERS_HEADER,
        &[
            // 考试院: issued, deadline 30 April, no reply
            &[
                "测便〔2019〕1号",
                "便函",
                "2019",
                "市教委",
                "考试院",
                "1",
                "2019-04-15",
                "2019-04-30",
                "",
            ],
            // 电教馆: registered, never sent
            &[
                "测便〔2019〕2号",
                "便函",
                "2019",
                "市教委",
                "电教馆",
                "1",
                "",
                "2019-04-30",
                "",
            ],
            // 档案馆: issued, answered on 20 April
            &[
                "测便〔2019〕3号",
                "便函",
                "2019",
                "市教委",
                "档案馆",
                "1",
                "2019-04-15",
                "2019-04-30",
                "2019-04-20",
            ],
        ],
    );
    let due = |d: &str| {
        wh.rows(&format!(
            "SELECT unit, letter, COALESCE(prior_letter, '') FROM letters_due_as_of('{d}') ORDER BY unit"
        ))
    };
    let row = |v: [&str; 3]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Before 考试院's deadline: it is awaiting its reply — no letter; 电教馆's was never sent
    // and 图书馆 has none — 便函.
    assert_eq!(
        due("2019-04-25"),
        [row(["图书馆", "notice", ""]), row(["电教馆", "notice", ""])]
    );
    // The day after the deadline: 考试院 gets the 督促函; 档案馆, answered, gets nothing.
    assert_eq!(
        due("2019-05-01"),
        [
            row(["图书馆", "notice", ""]),
            row(["电教馆", "notice", ""]),
            row(["考试院", "urge", "测便〔2019〕1号"])
        ]
    );
    // 90 days after its reply (20 April + 90 = 19 July), 档案馆 still behind: a new 便函.
    assert_eq!(due("2019-07-19").iter().filter(|r| r[0] == "档案馆").count(), 0);
    assert_eq!(
        due("2019-07-20")
            .into_iter()
            .filter(|r| r[0] == "档案馆")
            .collect::<Vec<_>>(),
        [row(["档案馆", "notice", "测便〔2019〕3号"])]
    );
    // The register's figures: sent 2 (one unsent), answered on time 1, unanswered 1.
    assert_eq!(
        wh.rows("SELECT kind, sent, answered_on_time, answered_late, awaiting, unanswered FROM letters_sent_as_of('2019-05-01')"),
        [vec!["notice", "2", "1", "0", "0", "1"]]
    );
    same_on_duckdb(&wh, &["letters_due", "letter_replies", "letters_sent"]);
}

/// An inspection finding has no report number: it names its system and the day found, and
/// is counted apart. One that cannot name its system is rejected with the columns to fill.
#[test]
fn inspection_and_monitoring_findings_load_without_a_report_number_and_are_counted() {
    let wh = TestWarehouse::new();
    behind_units(&wh, &["考试院"]);
    let report = load(
        &wh,
        "2019年网络安全检查发现问题.xlsx",
        "安全检查",
        &[
            "主管部门",
            "预算单位",
            "系统名称",
            "备案编号",
            "检查日期",
            "序号",
            "风险等级",
            "整改期限",
            "整改状态",
            "完成日期",
        ],
        &[
            &[
                "市教委",
                "考试院",
                "业务系统",
                "",
                "2019-05-10",
                "1",
                "高",
                "2019-06-10",
                "已整改",
                "2019-05-20",
            ],
            &[
                "市教委",
                "考试院",
                "业务系统",
                "",
                "2019-05-10",
                "2",
                "中",
                "2019-06-10",
                "未整改",
                "",
            ],
            &[
                "",
                "",
                "",
                "11010099001-00001",
                "2019-08-01",
                "1",
                "低",
                "2019-12-31",
                "未整改",
                "",
            ],
            &[
                "市教委",
                "档案馆",
                "",
                "",
                "2019-05-10",
                "1",
                "低",
                "2019-06-10",
                "未整改",
                "",
            ],
        ],
    );
    assert!(report.contains("3 loaded, 1 rejected"), "{report}");
    let rejects = wh.run(&["rejects", "--format", "csv"]);
    assert!(
        rejects.contains("an inspection finding names its system: 备案编号, or 预算单位 and 系统名称"),
        "{rejects}"
    );
    // Identified by the system (its key from unit and name, as the plan's; or its filing
    // number) and the day found.
    let key = wh.scalar("SELECT system_id FROM plan_items WHERE unit = '考试院'");
    let mut expected = vec![
        vec![
            "inspection".to_string(),
            "检查:11010099001-00001:2019-08-01#1".into(),
            "2019-08-01".into(),
        ],
        vec![
            "inspection".to_string(),
            format!("检查:{key}:2019-05-10#1"),
            "2019-05-10".into(),
        ],
        vec![
            "inspection".to_string(),
            format!("检查:{key}:2019-05-10#2"),
            "2019-05-10".into(),
        ],
    ];
    expected.sort_by(|a, b| a[1].cmp(&b[1]));
    assert_eq!(
        wh.rows(
            "SELECT source, finding_id, CAST(found_on AS VARCHAR) FROM findings WHERE assessment_id IS NULL ORDER BY 2"
        ),
        expected
    );
    // Counted per source and quarter: Q2 two found, one fixed, one overdue (deadline 10 June);
    // the filing number's, found in Q3, is due on 31 December: not overdue on that day.
    assert_eq!(
        wh.rows(
            "SELECT quarter, source, findings, findings_fixed, findings_overdue FROM findings_by_source \
             WHERE year = 2019 ORDER BY quarter"
        ),
        [
            vec!["1", "inspection", "0", "0", "0"],
            vec!["2", "inspection", "2", "1", "1"],
            vec!["3", "inspection", "3", "1", "1"],
            vec!["4", "inspection", "3", "1", "1"],
        ]
    );
    // A monitoring workbook: the source from the column.
    load(
        &wh,
        "监测问题.xlsx",
        "问题",
        &[
            "问题来源",
            "预算单位",
            "系统名称",
            "发现日期",
            "序号",
            "整改期限",
            "整改状态",
        ],
        &[&[
            "安全监测",
            "考试院",
            "业务系统",
            "2019-09-01",
            "1",
            "2019-09-30",
            "未整改",
        ]],
    );
    assert_eq!(
        wh.rows(
            "SELECT inspection_findings, inspection_fixed, inspection_overdue, monitoring_findings, monitoring_overdue \
             FROM rectification_progress WHERE year = 2019 AND quarter = 4"
        ),
        [vec!["3", "1", "1", "1", "1"]]
    );
    same_on_duckdb(
        &wh,
        &["findings_by_source", "rectification_progress", "rectification_due"],
    );
}

/// An extension is kept beside the deadline: not overdue before the extended date, overdue
/// after it, and counted as extended throughout; an extension not after the deadline is
/// rejected.
#[test]
fn an_extended_finding_is_not_overdue_before_its_extension_and_is_counted_extended() {
    let wh = TestWarehouse::new();
    load(
        &wh,
        "测评结果.xlsx",
        "结果",
        RESULTS_HEADER,
        &[&["R1", "市教委", "考试院", "报名系统", "3", "2019-02-10"]],
    );
    let report = load(
        &wh,
        "整改情况.xlsx",
        "整改",
        &["报告编号", "序号", "整改期限", "延期至", "延期原因", "整改状态"],
        &[
            &["R1", "1", "2019-03-31", "2019-06-30", "待采购设备到货", "整改中"],
            &["R1", "2", "2019-03-31", "", "", "未整改"],
            &["R1", "3", "2019-03-31", "2019-03-01", "", "未整改"],
        ],
    );
    assert!(report.contains("2 loaded, 1 rejected"), "{report}");
    let rejects = wh.run(&["rejects", "--format", "csv"]);
    assert!(
        rejects.contains("column 延期至: the extension (2019-03-01) is not after the deadline (2019-03-31)"),
        "{rejects}"
    );
    let status = |d: &str| {
        wh.rows(&format!(
            "SELECT findings, findings_overdue, findings_extended FROM rectification_as_of('{d}')"
        ))
    };
    // 15 May: item 2 is overdue; item 1 is not (extended to 30 June) but counted extended.
    assert_eq!(status("2019-05-15"), [vec!["2", "1", "1"]]);
    // 1 July: both overdue; item 1 still counted extended.
    assert_eq!(status("2019-07-01"), [vec!["2", "2", "1"]]);
    assert_eq!(
        wh.rows(
            "SELECT quarter, findings_overdue, findings_extended FROM rectification_by_system WHERE year = 2019 ORDER BY quarter"
        ),
        [
            vec!["1", "0", "1"],
            vec!["2", "1", "1"],
            vec!["3", "2", "1"],
            vec!["4", "2", "1"]
        ]
    );
    // As of 31 March, next quarter's deadlines: item 1's extension (30 June), not its
    // original deadline.
    assert_eq!(
        wh.rows("SELECT finding_id, CAST(deadline AS VARCHAR), extended FROM rectification_due_as_of('2019-03-31')"),
        [vec!["R1#1", "2019-06-30", "true"]]
    );
    // The report says both.
    let out = wh.file("q2");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("测评发现问题2项，已整改0项，逾期未整改1项，已延期1项"),
        "{md}"
    );
    same_on_duckdb(
        &wh,
        &["rectification_by_system", "rectification_status", "rectification_due"],
    );
}

/// The briefing's rule: assessed in the first half of Y → budget year Y; in the second half
/// → requested in Y+1, budget year Y+2. A budget row for Y+2 closes the gap; one for Y+1
/// (the year of the request) does not.
#[test]
fn a_second_half_assessment_needs_its_rectification_budget_in_the_year_after_next() {
    let wh = TestWarehouse::new();
    load(
        &wh,
        "测评结果.xlsx",
        "结果",
        RESULTS_HEADER,
        &[
            &["R5", "市教委", "考试院", "报名系统", "3", "2019-08-20"],
            &["R6", "市教委", "电教馆", "门户网站", "3", "2019-09-10"],
            &["R7", "市教委", "档案馆", "档案系统", "3", "2019-03-01"],
        ],
    );
    load(
        &wh,
        "整改情况.xlsx",
        "整改",
        FINDINGS_HEADER,
        &[
            &["R5", "1", "中", "系统改造", "", "未整改", ""],
            &["R6", "1", "中", "系统改造", "", "未整改", ""],
            &["R7", "1", "中", "系统改造", "", "未整改", ""],
        ],
    );
    assert_eq!(
        wh.rows(
            "SELECT assessment_id, half, request_year, budget_year, CAST(deadline AS VARCHAR) \
             FROM rectification_schedule ORDER BY 1"
        ),
        [
            vec!["R5", "2", "2020", "2021", "2021-12-31"],
            vec!["R6", "2", "2020", "2021", "2021-12-31"],
            vec!["R7", "1", "2019", "2019", "2019-12-31"],
        ]
    );
    // 考试院 requests for budget year 2021 (right); 电教馆 for 2020 (the year of the request:
    // the old reading); 档案馆 for 2019.
    load(
        &wh,
        "2021年经费预算.xlsx",
        "经费",
        BUDGET_HEADER,
        &[&["市教委", "考试院", "整改", "5", "5", "0"]],
    );
    load(
        &wh,
        "2020年经费预算.xlsx",
        "经费",
        BUDGET_HEADER,
        &[&["市教委", "电教馆", "整改", "5", "5", "0"]],
    );
    load(
        &wh,
        "2019年经费预算.xlsx",
        "经费",
        BUDGET_HEADER,
        &[&["市教委", "档案馆", "整改", "5", "5", "0"]],
    );
    assert_eq!(
        wh.rows("SELECT year, unit, system_names FROM budget_gaps WHERE gap = 'no_rectification_budget' ORDER BY 1, 2"),
        [vec!["2021", "电教馆", "门户网站"]]
    );
    same_on_duckdb(&wh, &["rectification_schedule", "budget_gaps"]);
}

/// Reads the values of `{}` in `pattern` out of `text` (the literal pieces in order).
fn scan(text: &str, pattern: &str) -> Option<Vec<String>> {
    let number = |c: char| c.is_ascii_digit() || c == '.';
    let mut pieces: Vec<&str> = pattern.split("{}").collect();
    let mut out = Vec::new();
    let mut at = if pieces[0].is_empty() {
        // a leading value: the number just before the first literal piece
        pieces.remove(0);
        let found = text.find(pieces[0])?;
        let start = text[..found].trim_end_matches(number).len();
        out.push(text[start..found].to_string());
        found + pieces[0].len()
    } else {
        text.find(pieces[0])? + pieces[0].len()
    };
    for piece in &pieces[1..] {
        let end = if piece.is_empty() {
            text[at..].find(|c: char| !number(c)).map_or(text.len(), |i| at + i)
        } else {
            at + text[at..].find(piece)?
        };
        out.push(text[at..end].to_string());
        at = end + piece.len();
    }
    Some(out)
}

/// The prose of the sample's reports, parsed back, equals the views: every quarter of
/// 2018 and 2019.
#[test]
fn the_prose_figures_equal_the_views_for_every_sample_quarter() {
    let wh = sample();
    let dir = tempfile::tempdir().unwrap();
    for (year, quarter) in (2018..=2019).flat_map(|y| (1..=4).map(move |q| (y, q))) {
        let out = dir.path().join(format!("{year}Q{quarter}"));
        wh.run(&[
            "report",
            "quarterly",
            "--year",
            &year.to_string(),
            "--quarter",
            &quarter.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        let ctx = format!("{year} Q{quarter}");
        let end = wh.scalar(&format!(
            "SELECT CAST(quarter_end AS VARCHAR) FROM rectification_progress WHERE year = {year} AND quarter = {quarter}"
        ));
        // 总体情况
        let v = scan(&md, "全市计划测评{}个系统，已完成{}个，完成率{}%").unwrap_or_else(|| panic!("{ctx}: {md}"));
        let exec = &wh.rows(&format!(
            "SELECT planned_systems, planned_systems_assessed, ROUND(completion_rate * 100, 1) \
             FROM execution_by_quarter WHERE year = {year} AND quarter = {quarter}"
        ))[0];
        assert_eq!(v[0], exec[0], "{ctx}");
        assert_eq!(v[1], exec[1], "{ctx}");
        assert_eq!(v[2].parse::<f64>().unwrap(), exec[2].parse::<f64>().unwrap(), "{ctx}");
        let v = scan(&md, "季度测评{}个主管部门、{}个预算单位、{}个系统，其中计划外系统{}个").unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT departments, units, systems, unplanned_systems FROM execution_by_quarter \
                 WHERE year = {year} AND quarter = {quarter}"
            ))[0],
            "{ctx}"
        );
        let v = scan(
            &md,
            "截至季末，{}个主管部门、{}个预算单位、{}个系统完成测评整改；测评发现问题{}项，已整改{}项，逾期未整改{}项，已延期{}项",
        )
        .unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT departments, units, systems, findings, findings_fixed, findings_overdue, findings_extended \
                 FROM rectification_progress WHERE year = {year} AND quarter = {quarter}"
            ))[0],
            "{ctx}"
        );
        let inspections = wh.rows(&format!(
            "SELECT inspection_findings, inspection_fixed, inspection_overdue, inspection_extended \
             FROM rectification_progress WHERE year = {year} AND quarter = {quarter}"
        ))[0]
            .clone();
        match scan(&md, "安全检查发现问题{}项，已整改{}项、逾期未整改{}项、已延期{}项") {
            Some(v) => assert_eq!(v, inspections, "{ctx}"),
            None => assert_eq!(inspections[0], "0", "{ctx}: no sentence, no inspection findings"),
        }
        // 存在问题
        let behind = wh.rows(&format!(
            "SELECT COUNT(*), COALESCE(SUM(behind), 0) FROM department_scorecard \
             WHERE year = {year} AND quarter = {quarter} AND behind > 0"
        ))[0]
            .clone();
        match scan(&md, "{}个主管部门有{}个系统滞后于计划，滞后最多的是{}（滞后{}个系统）")
        {
            Some(v) => {
                assert_eq!(v[..2], behind[..], "{ctx}");
                let top = &wh.rows(&format!(
                    "SELECT department, behind FROM department_scorecard WHERE year = {year} AND quarter = {quarter} \
                     ORDER BY rank, department LIMIT 1"
                ))[0];
                assert_eq!((&v[2], &v[3]), (&top[0], &top[1]), "{ctx}");
            }
            None => {
                assert_eq!(behind[0], "0", "{ctx}");
                assert!(md.contains("各主管部门均无滞后于计划的系统"), "{ctx}");
            }
        }
        let v = scan(&md, "{}个系统超过测评周期未测评，其中关键信息基础设施{}个").unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT COALESCE(SUM(systems), 0), COALESCE(SUM(cii_systems), 0) FROM cycle_summary_as_of('{end}') \
                 WHERE status = 'overdue'"
            ))[0],
            "{ctx}"
        );
        let v = scan(&md, "已发测评工作函件{}件，按期复函{}件、逾期复函{}件，逾期未复函{}件").unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT COALESCE(SUM(sent), 0), COALESCE(SUM(answered_on_time), 0), COALESCE(SUM(answered_late), 0), \
                 COALESCE(SUM(unanswered), 0) FROM letters_sent_as_of('{end}') WHERE year = {year}"
            ))[0],
            "{ctx}"
        );
        let v = scan(&md, "经费核查发现问题{}项，其中未申请测评经费{}项、未申请整改经费{}项").unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN gap = 'no_assessment_budget' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN gap = 'no_rectification_budget' THEN 1 ELSE 0 END), 0) \
                 FROM budget_gaps WHERE year = {year}"
            ))[0],
            "{ctx}"
        );
        // 下一步工作
        let v = scan(&md, "对滞后单位发出测评工作便函{}件、督促函{}件").unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT COALESCE(SUM(CASE WHEN letter = 'notice' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN letter = 'urge' THEN 1 ELSE 0 END), 0) \
                 FROM letters_due_as_of('{end}') WHERE year = {year}"
            ))[0],
            "{ctx}"
        );
        let v = scan(&md, "下季度到期的整改问题{}项（涉及{}个系统，其中已延期{}项）").unwrap();
        assert_eq!(
            v,
            wh.rows(&format!(
                "SELECT COUNT(*), COUNT(DISTINCT system_id), COALESCE(SUM(CASE WHEN extended THEN 1 ELSE 0 END), 0) \
                 FROM rectification_due_as_of('{end}')"
            ))[0],
            "{ctx}"
        );
        // Every section names its views and the warehouse version.
        assert!(md.matches("（`ceping sql --as-of").count() >= 3, "{ctx}: {md}");
    }
}
