//! Metric views: the briefing figures from the bundled sample, and each view on a small
//! warehouse whose answers are worked out by hand here, rules tested at their boundaries.

use std::path::Path;

use crate::common::{ingest_results_and_findings, parse_csv, sample, small, xlsx, TestWarehouse};

#[test]
fn the_sample_reproduces_the_briefing_figures() {
    let wh = sample();
    assert_eq!(
        wh.rows("SELECT year, revision, departments, units, systems FROM plan_coverage ORDER BY year"),
        vec![
            vec!["2018", "1", "40", "64", "132"],
            vec!["2019", "2", "37", "57", "124"]
        ]
    );
    assert_eq!(
        wh.rows("SELECT departments, units, systems FROM execution_by_quarter WHERE year = 2018 AND quarter = 1"),
        vec![vec!["10", "13", "18"]]
    );
    assert_eq!(
        wh.rows("SELECT departments, units, systems FROM rectification_progress WHERE year = 2018 AND quarter = 1"),
        vec![vec!["3", "3", "6"]]
    );
    assert_eq!(
        wh.scalar("SELECT count(*) FROM rectification_as_of('2018-03-31') WHERE complete"),
        "6"
    );
    // The bad rows of the sample are rejected, not counted.
    assert!(wh.scalar("SELECT count(*) FROM rejects").parse::<i32>().unwrap() >= 4);
}

#[test]
fn the_pipeline_is_idempotent() {
    let wh = sample();
    let first = std::fs::read(wh.file("out/briefing/execution_by_quarter.csv")).unwrap();
    let xlsx_first = std::fs::read(wh.file("out/briefing/spending.xlsx")).unwrap();
    // The yearly documents: one preview sheet per department of the 2019 plan, one letter
    // per unit due one on 2019-07-01, and the index.
    let listing = |dir: &str| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(wh.file(dir))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let previews = listing("out/预告单/2019");
    let letters = listing("out/letters/2019-07-01");
    assert_eq!(
        previews.len().to_string(),
        wh.scalar("SELECT departments FROM plan_coverage WHERE year = 2019")
    );
    assert!(
        previews.iter().any(|(f, _)| f == "市教委.xlsx"),
        "{:?}",
        previews.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    assert_eq!(
        (letters.len() - 1).to_string(),
        // one letter per unit and plan year (the register keeps letters per plan year)
        wh.scalar("SELECT COUNT(*) FROM letters_due_as_of('2019-07-01')")
    );
    assert!(letters.iter().any(|(f, _)| f == "函件索引.xlsx"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = wh
        .cmd()
        .current_dir(wh.dir.path())
        .arg("run")
        .arg(repo.join("pipelines/briefing.toml"))
        .output()
        .unwrap();
    let stdout = crate::common::s(&out.stdout);
    assert!(out.status.success());
    assert_eq!(stdout.matches(": already ingested").count(), 10, "{stdout}");
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "10");
    assert_eq!(
        std::fs::read(wh.file("out/briefing/execution_by_quarter.csv")).unwrap(),
        first
    );
    assert_eq!(
        std::fs::read(wh.file("out/briefing/spending.xlsx")).unwrap(),
        xlsx_first,
        "xlsx output is byte-stable"
    );
    assert!(listing("out/预告单/2019") == previews, "preview sheets are byte-stable");
    assert!(listing("out/letters/2019-07-01") == letters, "letters are byte-stable");
    assert!(
        stdout.contains("│ 2018 │ 40 / 64 / 132 │ 10 / 13 / 18 │ 3 / 3 / 6        │"),
        "{stdout}"
    );
}

#[test]
fn trace_lists_the_source_rows_behind_a_figure() {
    let wh = sample();
    let rows = wh.rows_of(&[
        "trace",
        "execution_by_quarter",
        "--year",
        "2018",
        "--quarter",
        "1",
        "--format",
        "csv",
    ]);
    assert_eq!(rows.len(), 18, "one row per system assessed in 2018 Q1");
    assert!(
        rows.iter()
            .all(|r| r[9] == "2018年信息系统安全测评结果汇总（示例）.xlsx" && r[10] == "测评结果"),
        "{rows:?}"
    );
    let (_, err) = wh.fail(&["trace", "spending", "--quarter", "1"]);
    assert!(
        err.contains("`spending` has no quarter; its figures are traced by year, department, unit"),
        "{err}"
    );
    let (_, err) = wh.fail(&["trace", "nope"]);
    assert!(err.contains("traceable views: "), "{err}");
}

#[test]
fn plan_coverage_counts_distinct_normalised_names() {
    let wh = small();
    assert_eq!(
        wh.rows("SELECT year, departments, units, systems FROM plan_coverage"),
        vec![vec!["2019", "2", "3", "4"]]
    );
}

#[test]
fn execution_by_quarter_counts_quarters_cumulates_and_rates() {
    let wh = small();
    let rows = wh.rows(
        "SELECT quarter, departments, units, systems, unplanned_systems, cumulative_systems, planned_systems, \
         planned_systems_assessed, completion_rate FROM execution_by_quarter ORDER BY quarter",
    );
    assert_eq!(
        rows,
        vec![
            // R1, R2 (2019-03-31 is still Q1): one department, one unit, two systems.
            vec!["1", "1", "1", "2", "0", "2", "4", "2", "0.5"],
            // R3 (2019-04-01) and the unplanned R4.
            vec!["2", "2", "2", "2", "1", "4", "4", "3", "0.75"],
            vec!["3", "0", "0", "0", "0", "4", "4", "3", "0.75"],
            vec!["4", "0", "0", "0", "0", "4", "4", "3", "0.75"],
        ]
    );
}

#[test]
fn rectification_counts_fixes_on_or_before_the_quarter_end() {
    let wh = small();
    let rows = wh.rows(
        "SELECT quarter, departments, units, systems, systems_assessed, findings, findings_fixed, findings_overdue \
         FROM rectification_progress ORDER BY quarter",
    );
    assert_eq!(
        rows,
        vec![
            // R1 fixed on 03-01 and 03-31 (the quarter's last day counts); R2 fixed 04-01 and overdue.
            vec!["1", "1", "1", "1", "2", "3", "2", "1"],
            // By 06-30 R2 is fixed too; R3's finding is open and overdue; R4 has no findings.
            vec!["2", "1", "1", "2", "4", "4", "3", "1"],
            vec!["3", "1", "1", "2", "4", "4", "3", "1"],
            vec!["4", "1", "1", "2", "4", "4", "3", "1"],
        ]
    );
    assert_eq!(
        wh.rows("SELECT system, complete FROM rectification_as_of('2019-03-31') ORDER BY system"),
        vec![vec!["报名系统", "true"], vec!["阅卷系统", "false"],]
    );
    assert_eq!(
        wh.scalar("SELECT complete FROM rectification_as_of('2019-04-01') WHERE system = '阅卷系统'"),
        "true"
    );
}

/// A system assessed twice in a year counts, in each quarter, by its latest assessment so
/// far; two reports on one day: the higher report number. `rectification_by_system` keeps
/// one row per (year, quarter, system), which `rectification_progress` counts.
#[test]
fn a_system_assessed_twice_counts_once_by_its_latest_assessment() {
    let wh = TestWarehouse::new();
    ingest_results_and_findings(
        &wh,
        &[
            &["报告编号", "主管部门", "预算单位", "系统名称", "等级", "出具报告日期"],
            &["A1", "市教委", "考试院", "报名系统", "3", "2019-02-01"],
            &["A2", "市教委", "考试院", "报名系统", "3", "2019-05-10"],
            &["A4", "市教委", "电教馆", "资源平台", "3", "2019-05-10"],
            &["A3", "市教委", "电教馆", "资源平台", "3", "2019-05-10"],
        ],
        &[
            &["报告编号", "序号", "风险等级", "整改期限", "整改状态", "完成日期"],
            &["A1", "1", "高", "2019-03-31", "已整改", "2019-03-01"],
            &["A2", "1", "中", "2019-12-31", "未整改", ""],
            &["A3", "1", "中", "2019-12-31", "未整改", ""],
            &["A4", "1", "低", "2019-12-31", "已整改", "2019-06-01"],
        ],
    );
    assert_eq!(
        wh.rows(
            "SELECT quarter, system, assessment_id, complete FROM rectification_by_system ORDER BY quarter, system"
        ),
        vec![
            vec!["1", "报名系统", "A1", "true"],
            vec!["2", "报名系统", "A2", "false"],
            vec!["2", "资源平台", "A4", "true"],
            vec!["3", "报名系统", "A2", "false"],
            vec!["3", "资源平台", "A4", "true"],
            vec!["4", "报名系统", "A2", "false"],
            vec!["4", "资源平台", "A4", "true"],
        ]
    );
    assert_eq!(
        wh.rows("SELECT quarter, systems, systems_assessed, findings, findings_fixed FROM rectification_progress ORDER BY quarter"),
        vec![
            vec!["1", "1", "1", "1", "1"],
            vec!["2", "1", "2", "2", "1"],
            vec!["3", "1", "2", "2", "1"],
            vec!["4", "1", "2", "2", "1"],
        ]
    );
    assert_eq!(
        wh.rows("SELECT system, assessment_id FROM rectification_as_of('2019-12-31') ORDER BY system"),
        vec![vec!["报名系统", "A2"], vec!["资源平台", "A4"]]
    );
    assert_eq!(
        wh.rows("SELECT system, assessment_id FROM latest_assessments_as_of('2019-05-09') ORDER BY system"),
        vec![vec!["报名系统", "A1"]]
    );
    assert_eq!(
        wh.rows("SELECT system, assessment_id FROM latest_assessments ORDER BY system"),
        vec![vec!["报名系统", "A2"], vec!["资源平台", "A4"]]
    );
    assert_eq!(
        wh.scalar("SELECT last_assessed FROM cycle_status_as_of('2019-12-31') WHERE system = '资源平台'"),
        "2019-05-10"
    );
    assert_eq!(
        wh.scalar(
            "SELECT count(*) FROM (SELECT year, quarter, system_id FROM rectification_by_system \
             GROUP BY year, quarter, system_id HAVING count(*) > 1)"
        ),
        "0"
    );
}

/// plan_latest: one row per system, from its newest plan year and, in 2019 (two
/// revisions in the sample), from the newest revision listing it.
#[test]
fn plan_latest_is_each_systems_newest_plan_row() {
    let wh = sample();
    assert_eq!(
        wh.scalar("SELECT count(*) FROM plan_latest"),
        wh.scalar("SELECT count(DISTINCT system_id) FROM plan_items")
    );
    assert_eq!(
        wh.scalar(
            "SELECT count(*) FROM plan_latest l \
             JOIN (SELECT system_id, MAX(year * 100 + revision) AS newest FROM plan_items GROUP BY system_id) n \
               ON n.system_id = l.system_id WHERE l.year * 100 + l.revision <> n.newest"
        ),
        "0"
    );
    // Systems of the 2019 plan are read from its second revision.
    let revisions =
        wh.rows("SELECT revision, count(*) FROM plan_latest WHERE year = 2019 GROUP BY revision ORDER BY revision");
    assert_eq!(revisions.last().map(|r| r[0].as_str()), Some("2"), "{revisions:?}");
}

/// plan_changes: two revisions of a 2021 plan, compared by system_id: a system moved to
/// another unit (same filing number), one re-levelled and renamed, one removed, one added,
/// and one without a filing number unchanged.
#[test]
fn plan_changes_between_revisions() {
    let wh = TestWarehouse::new();
    let header: &[&str] = &["主管部门", "预算单位", "系统名称", "备案编号", "等级", "计划测评时间"];
    let first = wh.file("2021年测评计划预告（第1版）.xlsx");
    xlsx(
        &first,
        &[(
            "计划",
            &[
                header,
                &["市教委", "考试院", "门户网站", "31010021001-00001", "3", "一季度"],
                &["市教委", "考试院", "办公系统", "31010021001-00002", "2", "二季度"],
                &["市教委", "电教馆", "旧系统", "31010021001-00003", "3", "二季度"],
                &["市卫健委", "卫生信息中心", "挂号系统", "", "3", "三季度"],
            ],
        )],
    );
    let second = wh.file("2021年测评计划预告（第2版）.xlsx");
    xlsx(
        &second,
        &[(
            "计划",
            &[
                header,
                &["市教委", "电教馆", "门户网站", "31010021001-00001", "3", "一季度"],
                &["市教委", "考试院", "协同办公系统", "31010021001-00002", "3", "二季度"],
                &["市卫健委", "卫生信息中心", "挂号系统", "", "3", "三季度"],
                &["市卫健委", "卫生信息中心", "新系统", "31010021001-00005", "2", "四季度"],
            ],
        )],
    );
    wh.ingest(&[&first]);
    wh.ingest(&[&second]);
    assert_eq!(
        wh.rows(
            "SELECT from_revision, to_revision, system_id, unit, system, change, before, after \
             FROM plan_changes WHERE year = 2021 ORDER BY system_id, change"
        ),
        vec![
            vec![
                "1",
                "2",
                "31010021001-00001",
                "电教馆",
                "门户网站",
                "moved",
                "市教委 / 考试院",
                "市教委 / 电教馆"
            ],
            vec![
                "1",
                "2",
                "31010021001-00002",
                "考试院",
                "协同办公系统",
                "level_changed",
                "2",
                "3"
            ],
            vec![
                "1",
                "2",
                "31010021001-00002",
                "考试院",
                "协同办公系统",
                "renamed",
                "办公系统",
                "协同办公系统"
            ],
            vec![
                "1",
                "2",
                "31010021001-00003",
                "电教馆",
                "旧系统",
                "removed",
                "旧系统",
                ""
            ],
            vec![
                "1",
                "2",
                "31010021001-00005",
                "卫生信息中心",
                "新系统",
                "added",
                "",
                "新系统"
            ],
        ]
    );
    // The plan rows behind a change: both revisions' rows of the moved system.
    let traced = wh.rows_of(&[
        "trace",
        "plan_changes",
        "--year",
        "2021",
        "--unit",
        "电教馆",
        "--format",
        "csv",
    ]);
    assert!(
        traced.iter().any(|r| r.iter().any(|c| c.contains("第1版")))
            && traced.iter().any(|r| r.iter().any(|c| c.contains("第2版"))),
        "{traced:?}"
    );
    // The briefing says it in one sentence and lists the changes.
    let out = wh.file("report");
    wh.run(&["report", "briefing", "--year", "2021", "--out", out.to_str().unwrap()]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("第2版较第1版：新增 1 个系统，删除 1 个系统，等级调整 1 个系统，变更单位 1 个系统，更名 1 个系统"),
        "{md}"
    );
    assert!(
        md.contains("| 1 | 2 | 变更单位 | 市教委 | 电教馆 | 门户网站 | 市教委 / 考试院 | 市教委 / 电教馆 |"),
        "{md}"
    );
}

/// rectification_schedule at its boundaries: assessed 30 June (first half: budget that
/// year, fixed by 31 December) vs 1 July (second half: budget the next year, fixed by the
/// end of the year after); done, late and on track either side of the deadline; immediate
/// fixes not scheduled.
#[test]
fn rectification_schedule_by_half_year() {
    let wh = TestWarehouse::new();
    ingest_results_and_findings(
        &wh,
        &[
            &["报告编号", "主管部门", "预算单位", "系统名称", "等级", "出具报告日期"],
            &["H1", "市教委", "考试院", "报名系统", "3", "2019-06-30"],
            &["H2", "市教委", "考试院", "阅卷系统", "3", "2019-07-01"],
            &["OK", "市教委", "电教馆", "资源平台", "3", "2019-03-01"],
            &["IM", "市卫健委", "卫生信息中心", "挂号系统", "3", "2019-02-01"],
        ],
        &[
            &[
                "报告编号",
                "序号",
                "风险等级",
                "整改方式",
                "整改期限",
                "整改状态",
                "完成日期",
            ],
            &["H1", "1", "高", "系统改造", "2019-12-31", "未整改", ""],
            &["H2", "1", "中", "系统改造", "2021-12-31", "未整改", ""],
            &["OK", "1", "中", "系统改造", "2019-12-31", "已整改", "2019-11-01"],
            &["OK", "2", "低", "即知即改", "2019-03-31", "未整改", ""],
            &["IM", "1", "低", "即知即改", "2019-03-31", "未整改", ""],
        ],
    );
    let at = |date: &str| {
        wh.rows(&format!(
            "SELECT assessment_id, half, budget_year, deadline, renovation_findings, renovation_fixed, status \
             FROM rectification_schedule_as_of('{date}') ORDER BY assessment_id"
        ))
    };
    assert_eq!(
        at("2019-12-31"),
        vec![
            vec!["H1", "1", "2019", "2019-12-31", "1", "0", "on_track"],
            vec!["H2", "2", "2021", "2021-12-31", "1", "0", "on_track"],
            vec!["OK", "1", "2019", "2019-12-31", "1", "1", "done"],
        ]
    );
    assert_eq!(
        at("2020-01-01").iter().map(|r| r[6].as_str()).collect::<Vec<_>>(),
        ["late", "on_track", "done"]
    );
    assert_eq!(at("2022-01-01")[1][6], "late");
    // Fixed after 1 November is not fixed on 31 October.
    assert_eq!(at("2019-10-31")[2][6], "on_track");
    let traced = wh.rows_of(&[
        "trace",
        "rectification_schedule",
        "--date",
        "2020-01-01",
        "--format",
        "csv",
    ]);
    assert_eq!(traced.len(), 3, "{traced:?}");
    // The quarterly report shows the schedule in Chinese.
    let out = wh.file("report");
    wh.run(&[
        "report",
        "quarterly",
        "--year",
        "2019",
        "--quarter",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("整改计划（系统改造"), "{md}");
    assert!(md.contains("| 2020 | 2021 | 2021-12-31 | 按计划 | 1 |"), "{md}");
}

#[test]
fn spending_sums_yuan_exactly_and_divides_fees_by_systems() {
    let wh = small();
    assert_eq!(
        wh.rows("SELECT department, requested, approved, spent, systems_assessed, assessment_fees, fee_per_system FROM spending WHERE year = 2019 ORDER BY department"),
        vec![
            vec!["市卫健委", "", "", "", "1", "12000.00", "12000.00"],
            vec!["市教委", "35000.00", "28000.00", "27500.50", "2", "18000.00", "9000.00"],
            vec!["市民政局", "", "", "", "1", "6000.00", "6000.00"],
        ]
    );
}

fn cycle(wh: &TestWarehouse, date: &str, system: &str) -> Vec<String> {
    wh.rows(&format!(
        "SELECT next_due, days_left, status FROM cycle_status_as_of('{date}') WHERE system = '{system}'"
    ))
    .remove(0)
}

#[test]
fn cycle_status_at_its_boundaries() {
    let wh = small();
    // 资源平台: level 3, last assessed 2018-02-01, not assessed since: due a year later.
    assert_eq!(cycle(&wh, "2019-01-31", "资源平台"), ["2019-02-01", "1", "due_soon"]);
    assert_eq!(cycle(&wh, "2019-02-01", "资源平台"), ["2019-02-01", "0", "due_soon"]);
    assert_eq!(cycle(&wh, "2019-02-02", "资源平台"), ["2019-02-01", "-1", "overdue"]);
    // 60 days ahead is due_soon, 61 is on time.
    assert_eq!(cycle(&wh, "2018-12-03", "资源平台")[1..], ["60", "due_soon"]);
    assert_eq!(cycle(&wh, "2018-12-02", "资源平台")[1..], ["61", "on_time"]);
    // Level 2 vs 3, both last assessed 2019 Q1: yearly vs every two years.
    assert_eq!(cycle(&wh, "2019-06-01", "报名系统")[0], "2020-02-10");
    assert_eq!(cycle(&wh, "2019-06-01", "阅卷系统")[0], "2021-03-31");
    // A new system whose trial ended 2019-02-01 is due within 30 days: day 29, 30, 31.
    assert_eq!(cycle(&wh, "2019-03-02", "挂号系统"), ["2019-03-03", "1", "due_soon"]);
    assert_eq!(cycle(&wh, "2019-03-03", "挂号系统"), ["2019-03-03", "0", "due_soon"]);
    assert_eq!(cycle(&wh, "2019-03-04", "挂号系统"), ["2019-03-03", "-1", "overdue"]);
    // Once assessed (2019-04-01) it follows the level-3 yearly cycle.
    assert_eq!(cycle(&wh, "2019-04-02", "挂号系统"), ["2020-04-01", "365", "on_time"]);
}

#[test]
fn letters_are_due_after_the_planned_quarter_and_not_urged_without_a_notice() {
    let wh = small();
    let letters = |date: &str| {
        wh.rows(&format!(
            "SELECT unit, systems_behind, days_late, letter FROM letters_due_as_of('{date}') ORDER BY unit"
        ))
    };
    // 挂号系统 (Q1) is assessed only on 04-01; on 03-31 its quarter has not ended.
    assert_eq!(letters("2019-03-31"), Vec::<Vec<String>>::new());
    assert_eq!(
        letters("2019-04-01"),
        Vec::<Vec<String>>::new(),
        "assessed on the first day late"
    );
    // 资源平台 has no planned quarter: due by the year's end.
    assert_eq!(letters("2019-12-31"), Vec::<Vec<String>>::new());
    assert_eq!(letters("2020-01-01"), vec![vec!["电教馆", "1", "1", "notice"]]);
    // However late, a unit no 便函 was sent to gets a 便函, not a 督促函 (the letters
    // register decides escalation: tests/it/accountability.rs).
    assert_eq!(letters("2020-03-31"), vec![vec!["电教馆", "1", "91", "notice"]]);
    // The trace lists the plan row behind the letter.
    let trace = wh.rows_of(&["trace", "letters_due", "--date", "2020-01-01", "--format", "csv"]);
    assert_eq!(trace.len(), 1);
    assert_eq!(
        trace[0][3..],
        [
            "behind",
            "资源平台",
            "2019-12-31",
            "2019年测评计划预告.xlsx",
            "计划",
            "4"
        ]
    );
}

#[test]
fn as_of_reproduces_old_figures_after_later_ingests() {
    let wh = small();
    let before = wh.run(&[
        "sql",
        "--format",
        "csv",
        "SELECT * FROM rectification_progress ORDER BY quarter",
    ]);
    let version = wh.scalar("SELECT max(warehouse_version) FROM ingest_log");
    crate::common::later_findings(&wh);
    let now = wh.run(&[
        "sql",
        "--format",
        "csv",
        "SELECT * FROM rectification_progress ORDER BY quarter",
    ]);
    assert_ne!(now, before);
    let then = wh.run(&[
        "sql",
        "--format",
        "csv",
        "--as-of",
        &version,
        "SELECT * FROM rectification_progress ORDER BY quarter",
    ]);
    assert_eq!(then, before);
}

/// Every view, helper views included, traces to source rows of the sample workbooks.
#[test]
fn every_view_traces_to_rows_of_the_sample_workbooks() {
    let wh = sample();
    let files: Vec<String> = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for view in [
        "plan_items_current",
        "assessments_enriched",
        "plans_behind",
        "rectification_status",
        "rectification_by_system",
        "findings_unmatched",
        "plan_coverage",
        "execution_by_quarter",
        "rectification_progress",
        "spending",
        "letters_due",
        "cycle_status",
    ] {
        let out = wh.run(&["trace", view, "--date", "2019-07-01", "--format", "csv"]);
        let rows = parse_csv(&out);
        let header = &rows[0];
        let at = header
            .iter()
            .position(|h| h == "source_file")
            .expect("a source_file column");
        let row_at = header
            .iter()
            .position(|h| h == "source_row")
            .expect("a source_row column");
        if view != "findings_unmatched" {
            assert!(rows.len() > 1, "{view}: some source rows");
        }
        for r in &rows[1..] {
            assert!(files.contains(&r[at]), "{view}: {} is a sample workbook", r[at]);
            assert!(r[row_at].parse::<u32>().unwrap() >= 1, "{view}: {r:?}");
        }
    }
}
