//! Assessment results, findings and budgets: mappings, exact money, upserts, rejects.

use crate::common::{fixture, TestWarehouse};

#[test]
fn assessments_load_with_a_two_row_header_and_exact_fees() {
    let wh = TestWarehouse::new();
    let out = wh.ingest(&[&fixture("plan_2019.xlsx"), &fixture("assessments_2019.xlsx")]);
    assert!(
        out.contains("sheet 2019年测评结果: 4 loaded, 3 rejected, 4 skipped (title 1, header 2, total 1)"),
        "{out}"
    );
    let rows = wh.rows(
        "SELECT assessment_id, system_id, level, assessed_on, year, quarter, planned, conclusion, score, \
         high_risks, medium_risks, low_risks, CAST(fee AS VARCHAR) FROM assessments ORDER BY assessment_id",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                "BG2019-001",
                "31010013001-19001",
                "3",
                "2019-02-20",
                "2019",
                "1",
                "true",
                "good",
                "82.5",
                "1",
                "3",
                "5",
                "12800.00"
            ],
            vec![
                "BG2019-002",
                "市教育考试院|阅卷系统",
                "3",
                "2019-03-15",
                "2019",
                "1",
                "true",
                "basic_pass",
                "78.0",
                "0",
                "2",
                "4",
                "12800.00"
            ],
            vec![
                "BG2019-003",
                "31010013002-19002",
                "3",
                "2019-05-08",
                "2019",
                "2",
                "true",
                "fair",
                "71.0",
                "2",
                "4",
                "6",
                "15000.00"
            ],
            vec![
                "BG2019-004",
                "市救助站|未列入计划系统",
                "2",
                "2019-07-01",
                "2019",
                "3",
                "false",
                "excellent",
                "91.0",
                "0",
                "0",
                "1",
                "8000.00"
            ],
        ]
    );
    let rejects = wh.rows(
        "SELECT source_row, column_name, value, reason FROM rejects WHERE kind = 'assessments' ORDER BY source_row",
    );
    assert_eq!(rejects[0][..3], ["8", "测评费用(元)", "-500"], "a negative fee");
    assert!(rejects[0][3].ends_with("is negative; an amount is 0 or more"));
    assert_eq!(rejects[1][..3], ["9", "风险数量/高", "约10"], "text in a count");
    assert_eq!(
        rejects[2][..3],
        ["10", "出具报告日期", "2019-02-30"],
        "an impossible date"
    );
}

#[test]
fn planned_follows_the_current_plan_whatever_the_order_of_loading() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("assessments_2019.xlsx")]);
    assert_eq!(wh.scalar("SELECT count(*) FROM assessments WHERE planned"), "0");
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    assert_eq!(
        wh.scalar("SELECT string_agg(assessment_id, ',' ORDER BY assessment_id) FROM assessments WHERE planned"),
        "BG2019-001,BG2019-002,BG2019-003"
    );
    // Revision 2 drops 阅卷系统 from the plan.
    wh.ingest(&[&fixture("plan_2019_rev2.xlsx")]);
    assert_eq!(
        wh.scalar("SELECT planned FROM assessments WHERE assessment_id = 'BG2019-002'"),
        "false"
    );
    assert_eq!(
        wh.scalar("SELECT count(*) FROM assessments"),
        "4",
        "no duplicates from the refresh"
    );
}

#[test]
fn findings_map_states_and_unknown_reports_are_kept() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("assessments_2019.xlsx"), &fixture("findings_2019.xlsx")]);
    let rows = wh.rows(
        "SELECT finding_id, assessment_id, system_id, risk, category, remedy, due_on, status, fixed_on, CAST(cost AS VARCHAR) \
         FROM findings ORDER BY finding_id",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                "BG2019-001#1",
                "BG2019-001",
                "31010013001-19001",
                "high",
                "安全计算环境",
                "immediate",
                "2019-03-31",
                "fixed",
                "2019-03-10",
                ""
            ],
            vec![
                "BG2019-001#2",
                "BG2019-001",
                "31010013001-19001",
                "medium",
                "安全管理制度",
                "immediate",
                "2019-03-31",
                "fixed",
                "2019-03-25",
                ""
            ],
            vec![
                "BG2019-002#1",
                "BG2019-002",
                "市教育考试院|阅卷系统",
                "medium",
                "安全区域边界",
                "renovation",
                "2019-12-31",
                "in_progress",
                "",
                "125000.00"
            ],
            vec![
                "BG2019-003#1",
                "BG2019-003",
                "31010013002-19002",
                "high",
                "安全通信网络",
                "renovation",
                "2020-06-30",
                "open",
                "",
                "12800.00"
            ],
            vec![
                "BG2099-999#1",
                "BG2099-999",
                "",
                "low",
                "安全管理人员",
                "immediate",
                "",
                "open",
                "",
                ""
            ],
        ]
    );
    assert_eq!(
        wh.rows("SELECT finding_id FROM findings_unmatched"),
        vec![vec!["BG2099-999#1"]]
    );
    let reject = wh.rows("SELECT column_name, value, reason FROM rejects WHERE kind = 'findings'");
    assert_eq!(reject[0][..2], ["风险等级", "特高"], "特高 is not 高");
}

#[test]
fn a_newer_findings_workbook_updates_state_without_duplicates() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("assessments_2019.xlsx"), &fixture("findings_2019.xlsx")]);
    wh.ingest(&[&fixture("findings_2019_v2.xlsx")]);
    assert_eq!(wh.scalar("SELECT count(*) FROM findings"), "5");
    assert_eq!(
        wh.rows("SELECT status, fixed_on, source_file FROM findings WHERE finding_id = 'BG2019-002#1'"),
        vec![vec!["fixed", "2019-11-30", "findings_2019_v2.xlsx"]]
    );
    // The earlier state is still there for --as-of.
    let before = wh.run(&[
        "sql",
        "--format",
        "csv",
        "--as-of",
        "2",
        "SELECT status FROM findings WHERE finding_id = 'BG2019-002#1'",
    ]);
    assert_eq!(before, "status\nin_progress\n");
}

#[test]
fn budgets_convert_wan_yuan_and_yuan_columns_side_by_side_to_the_fen() {
    let wh = TestWarehouse::new();
    let out = wh.ingest(&[&fixture("budgets_2019.xlsx")]);
    assert!(
        out.contains("budgets 2019") && out.contains("3 loaded, 2 rejected, 3 skipped"),
        "{out}"
    );
    let rows = wh.rows(
        "SELECT year, department, unit, category, CAST(requested AS VARCHAR), CAST(approved AS VARCHAR), CAST(spent AS VARCHAR) \
         FROM budgets ORDER BY source_row",
    );
    assert_eq!(
        rows,
        vec![
            vec![
                "2019",
                "市教委",
                "市教育考试院",
                "assessment",
                "25600.00",
                "25600.00",
                "25600.00"
            ],
            vec![
                "2019",
                "市教委",
                "市教育考试院",
                "rectification",
                "125000.00",
                "100000.00",
                "98000.00"
            ],
            vec!["2019", "市教委", "市电化教育馆", "service", "12800.00", "", ""],
        ]
    );
    let types = wh.rows("SELECT arrow_typeof(requested), arrow_typeof(spent) FROM budgets LIMIT 1");
    assert_eq!(types, vec![vec!["Decimal128(18, 2)", "Decimal128(18, 2)"]]);
    let rejects = wh.rows("SELECT source_row, value FROM rejects ORDER BY source_row");
    assert_eq!(rejects, vec![vec!["6", "待定"], vec!["7", "-1"]]);
}

#[test]
fn a_duplicate_key_in_one_workbook_is_rejected_pointing_at_the_first() {
    let wh = TestWarehouse::new();
    let f = wh.file("2019年测评结果.xlsx");
    crate::common::xlsx(
        &f,
        &[(
            "结果",
            &[
                &["报告编号", "预算单位", "系统名称", "测评日期"],
                &["BG-1", "考试院", "报名系统", "2019-03-01"],
                &["BG-1", "考试院", "阅卷系统", "2019-03-02"],
            ],
        )],
    );
    wh.ingest(&[&f]);
    assert_eq!(
        wh.rows("SELECT source_row, reason FROM rejects"),
        vec![vec![
            "3",
            "duplicate assessment_id: BG-1 is already on sheet 结果, row 2"
        ]]
    );
}
