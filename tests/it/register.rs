//! The system register (issue 28): critical information infrastructure due yearly,
//! classified systems out of the cycle and the letters, a major change making a re-test
//! due, domestic cryptography and 密评 filing — each at its boundary, worked by hand.

use crate::common::{xlsx, TestWarehouse};
use crate::yearly::docx_text;

/// A 2019 plan listing `systems` (unit, system, level, planned quarter) of 市教委 and, when
/// given, results for some of them (unit, system, report number, date).
fn plan_and_results(wh: &TestWarehouse, systems: &[(&str, &str, &str, &str)], results: &[(&str, &str, &str, &str)]) {
    let plan = wh.file("2019年测评计划预告.xlsx");
    let mut rows: Vec<Vec<&str>> = vec![vec!["主管部门", "预算单位", "系统名称", "等级", "计划测评时间"]];
    for (unit, system, level, quarter) in systems {
        rows.push(vec!["市教委", unit, system, level, quarter]);
    }
    let refs: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(&plan, &[("计划", &refs)]);
    wh.ingest(&[&plan]);
    if results.is_empty() {
        return;
    }
    let file = wh.file("测评结果.xlsx");
    let mut rows: Vec<Vec<&str>> = vec![vec!["报告编号", "主管部门", "预算单位", "系统名称", "出具报告日期"]];
    for (unit, system, id, date) in results {
        rows.push(vec![id, "市教委", unit, system, date]);
    }
    let refs: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(&file, &[("结果", &refs)]);
    wh.ingest(&[&file]);
}

/// A register workbook named `name` with the header and rows given.
fn register(wh: &TestWarehouse, name: &str, header: &[&str], rows: &[&[&str]]) -> String {
    let file = wh.file(name);
    let mut all: Vec<&[&str]> = vec![&["示例市信息系统台账"], header];
    all.extend_from_slice(rows);
    xlsx(&file, &[("台账", &all)]);
    wh.ingest(&[&file])
}

const HEADER: &[&str] = &[
    "主管部门",
    "运营使用单位",
    "系统名称",
    "是否关键信息基础设施",
    "是否涉密",
    "最近一次重大变更",
];

#[test]
fn a_level_2_cii_system_is_due_after_12_months_not_24() {
    let wh = TestWarehouse::new();
    plan_and_results(
        &wh,
        &[
            ("考试院", "报名系统", "2", "四季度"),
            ("考试院", "阅卷系统", "2", "四季度"),
        ],
        &[
            ("考试院", "报名系统", "R1", "2019-03-01"),
            ("考试院", "阅卷系统", "R2", "2019-03-01"),
        ],
    );
    register(
        &wh,
        "系统台账.xlsx",
        HEADER,
        &[
            &["市教委", "考试院", "报名系统", "是", "否", ""],
            &["市教委", "考试院", "阅卷系统", "否", "否", ""],
        ],
    );
    let rows = wh.rows(
        "SELECT system, CAST(cii AS VARCHAR), CAST(next_due AS VARCHAR), status, rule \
         FROM cycle_status_as_of('2020-03-02') ORDER BY system",
    );
    assert_eq!(
        rows,
        [
            vec![
                "报名系统",
                "true",
                "2020-03-01",
                "overdue",
                "《网络安全法》第三十八条：关键信息基础设施每年至少测评一次"
            ],
            vec![
                "阅卷系统",
                "false",
                "2021-03-01",
                "on_time",
                "管理办法第七条：三级以下每两年测评一次"
            ],
        ]
    );
    // A year behind, the CII system is behind on its cycle: a letter is due for it.
    let letters =
        wh.rows("SELECT unit, systems_behind, CAST(earliest_due AS VARCHAR) FROM letters_due_as_of('2020-03-02')");
    assert_eq!(letters, [vec!["考试院", "1", "2020-03-01"]]);
    // The cycle table of the reports counts it among the overdue, as CII.
    assert_eq!(
        wh.rows("SELECT status, systems, cii_systems FROM cycle_summary_as_of('2020-03-02') ORDER BY status"),
        [vec!["on_time", "1", "0"], vec!["overdue", "1", "1"]]
    );
    let behind = wh.rows("SELECT system, rule FROM plans_behind_as_of('2020-03-02')");
    assert_eq!(
        behind,
        [vec![
            "报名系统",
            "《网络安全法》第三十八条：关键信息基础设施每年至少测评一次"
        ]]
    );
}

#[test]
fn a_classified_level_3_system_leaves_the_cycle_and_the_letters() {
    let wh = TestWarehouse::new();
    plan_and_results(
        &wh,
        &[
            ("保密局", "涉密办公系统", "3", "一季度"),
            ("保密局", "门户网站", "3", "一季度"),
        ],
        &[],
    );
    register(
        &wh,
        "系统台账.xlsx",
        HEADER,
        &[&["市教委", "保密局", "涉密办公系统", "否", "是", ""]],
    );
    assert_eq!(
        wh.rows("SELECT system FROM cycle_status_as_of('2019-07-01') ORDER BY system"),
        [vec!["门户网站"]]
    );
    assert_eq!(
        wh.rows("SELECT system FROM plans_behind_as_of('2019-07-01')"),
        [vec!["门户网站"]]
    );
    assert_eq!(
        wh.rows("SELECT unit, systems_behind FROM letters_due_as_of('2019-07-01')"),
        [vec!["保密局", "1"]]
    );
    assert_eq!(
        wh.rows("SELECT system, CAST(in_plan_year AS VARCHAR), rule FROM classified_systems"),
        [vec![
            "涉密办公系统",
            "2019",
            "管理办法第七条：涉密信息系统按分级保护管理，不纳入本周期"
        ]]
    );
    // The letter names only the unclassified system; the report counts the classified one.
    let out = wh.file("letters");
    wh.run(&["letters", "--date", "2019-07-01", "--out", &out.display().to_string()]);
    let docs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "docx"))
        .collect();
    assert_eq!(docs.len(), 1, "{docs:?}");
    let text = docx_text(&docs[0]);
    assert!(text.contains("门户网站") && !text.contains("涉密办公系统"), "{text}");
    let report = wh.file("report");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "2",
        "--out",
        &report.display().to_string(),
    ]);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("涉密系统 1 个，按分级保护管理，不纳入本周期"), "{md}");
}

#[test]
fn a_major_change_one_day_after_the_last_assessment_makes_the_system_due() {
    let wh = TestWarehouse::new();
    plan_and_results(
        &wh,
        &[
            ("考试院", "报名系统", "3", "一季度"),
            ("考试院", "阅卷系统", "3", "一季度"),
        ],
        &[
            ("考试院", "报名系统", "R1", "2019-03-01"),
            ("考试院", "阅卷系统", "R2", "2019-03-01"),
        ],
    );
    register(
        &wh,
        "系统台账.xlsx",
        HEADER,
        &[
            &["市教委", "考试院", "报名系统", "否", "否", "2019-03-02"],
            &["市教委", "考试院", "阅卷系统", "否", "否", "2019-02-28"],
        ],
    );
    let rows = wh.rows(
        "SELECT system, reason, CAST(next_due AS VARCHAR), status, rule \
         FROM cycle_status_as_of('2019-06-30') ORDER BY system",
    );
    assert_eq!(
        rows,
        [
            vec![
                "报名系统",
                "change",
                "2019-03-02",
                "overdue",
                "管理办法第七条：重大变更后及时复测"
            ],
            vec![
                "阅卷系统",
                "periodic",
                "2020-03-01",
                "on_time",
                "管理办法第七条：三级及以上每年测评一次"
            ],
        ]
    );
    // Before the change happened, it decides nothing.
    assert_eq!(
        wh.scalar("SELECT CAST(next_due AS VARCHAR) FROM cycle_status_as_of('2019-03-01') WHERE system = '报名系统'"),
        "2020-03-01"
    );
}

const CRYPTO_HEADER: &[&str] = &[
    "主管部门",
    "运营使用单位",
    "系统名称",
    "上线时间",
    "国产密码应用情况",
    "是否支持SM2",
    "密评日期",
    "密评结论",
    "密评备案日期",
];

#[test]
fn domestic_cryptography_new_systems_and_filing_on_day_30_or_31() {
    let wh = TestWarehouse::new();
    plan_and_results(&wh, &[("考试院", "报名系统", "3", "一季度")], &[]);
    register(
        &wh,
        "系统台账.xlsx",
        CRYPTO_HEADER,
        &[
            // went live in 2019 without domestic cryptography: listed
            &[
                "市教委",
                "考试院",
                "在线学习平台",
                "2019-05-01",
                "未采用",
                "否",
                "",
                "",
                "",
            ],
            // went live in 2019 with it: not listed
            &[
                "市教委",
                "考试院",
                "报名系统",
                "2019-01-10",
                "已采用",
                "是",
                "2019-03-01",
                "符合",
                "2019-03-31",
            ],
            // passed, filed on day 31: late
            &[
                "市教委",
                "电教馆",
                "资源平台",
                "2015-06-01",
                "改造中",
                "√",
                "2019-03-01",
                "基本符合",
                "2019-04-01",
            ],
            // passed, not filed by the year's end: late; failed: counted apart
            &[
                "市教委",
                "电教馆",
                "直播系统",
                "2016-06-01",
                "",
                "",
                "2019-11-01",
                "符合",
                "",
            ],
            &[
                "市教委",
                "电教馆",
                "点播系统",
                "2016-06-01",
                "已应用",
                "Y",
                "2019-08-01",
                "不符合",
                "",
            ],
        ],
    );
    let row = wh.rows(
        "SELECT systems, domestic, migrating, none, unknown, new_without_domestic, without_sm2, \
         crypto_passed, crypto_failed, filed_late FROM crypto_migration_as_of('2019-12-31') \
         WHERE year = 2019 AND department = '市教委'",
    );
    assert_eq!(row, [vec!["5", "2", "1", "1", "1", "1", "1", "3", "1", "2"]]);
    let listed = wh.rows(
        "SELECT system, crypto FROM crypto_register_as_of('2019-12-31') WHERE year = 2019 AND new_without_domestic",
    );
    assert_eq!(listed, [vec!["在线学习平台", "none"]]);
    let late = wh.rows(
        "SELECT system FROM crypto_register_as_of('2019-12-31') WHERE year = 2019 AND filed_late ORDER BY system",
    );
    assert_eq!(late, [vec!["直播系统"], vec!["资源平台"]]);
    // On 2019-11-30 the unfiled pass is 29 days old: not late yet.
    assert_eq!(
        wh.scalar("SELECT filed_late FROM crypto_register_as_of('2019-11-30') WHERE system = '直播系统'"),
        "false"
    );
    // Every figure is traced to the register's rows.
    let traced = wh.rows_of(&[
        "trace",
        "crypto_migration",
        "--year",
        "2019",
        "--date",
        "2019-12-31",
        "--format",
        "csv",
    ]);
    assert_eq!(traced.len(), 5);
    assert!(
        traced.iter().all(|r| r.iter().any(|c| c == "系统台账.xlsx")),
        "{traced:?}"
    );
}

#[test]
fn yes_and_no_in_every_written_form_and_a_word_that_is_neither() {
    let wh = TestWarehouse::new();
    let forms = [
        ("是", "true"),
        ("否", "false"),
        ("√", "true"),
        ("×", "false"),
        ("✓", "true"),
        ("✗", "false"),
        ("Y", "true"),
        ("N", "false"),
        ("yes", "true"),
        ("no", "false"),
        ("TRUE", "true"),
        ("false", "false"),
        ("1", "true"),
        ("0", "false"),
        ("有", "true"),
        ("无", "false"),
        ("", ""),
    ];
    let names: Vec<String> = (0..forms.len()).map(|i| format!("系统{i:02}")).collect();
    let mut rows: Vec<Vec<&str>> = forms
        .iter()
        .zip(&names)
        .map(|((form, _), name)| vec!["市教委", "考试院", name.as_str(), *form])
        .collect();
    rows.push(vec!["市教委", "考试院", "待定系统", "待定"]);
    let refs: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let out = register(
        &wh,
        "系统台账.xlsx",
        &["主管部门", "运营使用单位", "系统名称", "是否关基"],
        &refs,
    );
    assert!(out.contains(&format!("{} loaded, 1 rejected", forms.len())), "{out}");
    let got = wh.rows("SELECT system, COALESCE(CAST(cii AS VARCHAR), '') FROM systems ORDER BY system");
    let expected: Vec<Vec<String>> = forms
        .iter()
        .zip(&names)
        .map(|((_, v), n)| vec![n.clone(), v.to_string()])
        .collect();
    assert_eq!(got, expected);
    let reason = wh.scalar("SELECT reason FROM rejects");
    assert_eq!(
        reason,
        "column 是否关基: \"待定\" is not yes or no (是/否, 有/无, √/×, Y/N, yes/no, true/false, 1/0)"
    );
}

#[test]
fn a_later_register_row_replaces_the_earlier_and_as_of_reads_before() {
    let wh = TestWarehouse::new();
    register(
        &wh,
        "系统台账_2019年3月.xlsx",
        &["主管部门", "运营使用单位", "系统名称", "是否关基", "国产密码应用情况"],
        &[
            &["市教委", "考试院", "报名系统", "否", "未采用"],
            &["市教委", "考试院", "阅卷系统", "否", "未采用"],
        ],
    );
    let before = wh.scalar("SELECT MAX(warehouse_version) FROM ingest_log");
    register(
        &wh,
        "系统台账_2019年6月.xlsx",
        &["主管部门", "运营使用单位", "系统名称", "是否关基", "国产密码应用情况"],
        &[&["市教委", "考试院", "报名系统", "是", "改造中"]],
    );
    assert_eq!(
        wh.rows("SELECT system, CAST(cii AS VARCHAR), crypto, source_file FROM systems ORDER BY system"),
        [
            vec!["报名系统", "true", "migrating", "系统台账_2019年6月.xlsx"],
            vec!["阅卷系统", "false", "none", "系统台账_2019年3月.xlsx"],
        ]
    );
    let then = wh.rows_of(&[
        "sql",
        "--as-of",
        &before,
        "--format",
        "csv",
        "SELECT system, CAST(cii AS VARCHAR), crypto FROM systems ORDER BY system",
    ]);
    assert_eq!(
        then,
        [vec!["报名系统", "false", "none"], vec!["阅卷系统", "false", "none"]]
    );
    let check = wh.run(&["check"]);
    assert!(check.contains("consistent"), "{check}");
}

#[test]
fn a_plan_with_register_columns_fills_the_register_without_blanking_it() {
    let wh = TestWarehouse::new();
    register(
        &wh,
        "系统台账.xlsx",
        &["主管部门", "运营使用单位", "系统名称", "国产密码应用情况", "上线时间"],
        &[&["市教委", "考试院", "报名系统", "已采用", "2015-01-01"]],
    );
    let plan = wh.file("2019年测评计划预告.xlsx");
    xlsx(
        &plan,
        &[(
            "计划",
            &[
                &["主管部门", "预算单位", "系统名称", "等级", "是否关键信息基础设施"],
                &["市教委", "考试院", "报名系统", "2", "是"],
                &["市教委", "考试院", "阅卷系统", "2", ""],
                &["市教委", "考试院", "门户网站", "3", "否"],
                &["市教委", "考试院", "直播系统", "3", "不确定"],
            ],
        )],
    );
    let out = wh.ingest(&[&plan]);
    assert!(out.contains("plan 2019 revision 1"), "{out}");
    assert!(out.contains("3 loaded, 1 rejected"), "{out}");
    assert!(out.contains("also 2 rows of systems (系统台账)"), "{out}");
    // 报名系统 keeps its crypto and go-live date and gains CII; 门户网站 is added;
    // 阅卷系统 states nothing of the register and is not added.
    assert_eq!(
        wh.rows(
            "SELECT system, CAST(cii AS VARCHAR), COALESCE(crypto, ''), COALESCE(CAST(went_live_on AS VARCHAR), ''), source_file \
             FROM systems ORDER BY system"
        ),
        [
            vec!["报名系统", "true", "domestic", "2015-01-01", "2019年测评计划预告.xlsx"],
            vec!["门户网站", "false", "", "", "2019年测评计划预告.xlsx"],
        ]
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), "3");
    assert_eq!(
        wh.scalar("SELECT reason FROM rejects"),
        "column 是否关键信息基础设施: \"不确定\" is not yes or no (是/否, 有/无, √/×, Y/N, yes/no, true/false, 1/0)"
    );
    let check = wh.run(&["check"]);
    assert!(check.contains("consistent"), "{check}");
}

/// A warehouse made before the register existed reads it as empty and gets its table at
/// the next write.
#[test]
fn a_warehouse_without_the_register_table_reads_it_as_empty_and_gains_it() {
    let wh = crate::common::small();
    std::fs::remove_dir_all(wh.path().join("systems")).unwrap();
    assert_eq!(wh.scalar("SELECT count(*) FROM systems"), "0");
    assert_eq!(wh.scalar("SELECT count(*) FROM cycle_status"), "5");
    register(
        &wh,
        "系统台账.xlsx",
        HEADER,
        &[&["市教委", "考试院", "报名系统", "是", "否", ""]],
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM systems"), "1");
    let check = wh.run(&["check"]);
    assert!(check.contains("consistent"), "{check}");
}
