//! The office's yearly cycle: budget checks, department preview sheets and letters, each
//! worked out by hand at its rule's boundaries.

use crate::common::{ingest_results_and_findings, xlsx, TestWarehouse};

/// budget_gaps for budget years 2019 and 2020, worked by hand:
/// - 考试院 is in the 2020 plan and asked for assessment money: no assessment gap; its
///   阅卷系统, assessed 1 July 2019 (second half) with a renovation finding, needs
///   rectification money in 2020: it asked 100,000, was approved 80,000, spent 90,000;
/// - 电教馆 is in the 2020 plan and asked for nothing;
/// - 卫生信息中心 is in no plan, but its level-3 挂号系统 was assessed 30 June 2019, so it
///   is due again on 30 June 2020 (a unit outside the plan that is due), and its renovation
///   finding (first half) needed rectification money in 2019.
#[test]
fn budget_gaps_by_rule() {
    let wh = TestWarehouse::new();
    let plan = wh.file("2020年测评计划预告.xlsx");
    xlsx(
        &plan,
        &[(
            "计划",
            &[
                &["主管部门", "预算单位", "系统名称", "等级", "计划测评时间"],
                &["市教委", "考试院", "报名系统", "3", "二季度"],
                &["市教委", "电教馆", "资源平台", "2", "三季度"],
            ],
        )],
    );
    wh.ingest(&[&plan]);
    ingest_results_and_findings(
        &wh,
        &[
            &["报告编号", "主管部门", "预算单位", "系统名称", "等级", "出具报告日期"],
            &["H1", "市卫健委", "卫生信息中心", "挂号系统", "3", "2019-06-30"],
            &["H2", "市教委", "考试院", "阅卷系统", "2", "2019-07-01"],
        ],
        &[
            &["报告编号", "序号", "风险等级", "整改方式", "整改期限", "整改状态"],
            &["H1", "1", "高", "系统改造", "2019-12-31", "未整改"],
            &["H2", "1", "中", "系统改造", "2021-12-31", "未整改"],
        ],
    );
    let budgets = wh.file("2020年网络安全经费预算.xlsx");
    xlsx(
        &budgets,
        &[(
            "经费",
            &[
                &["主管部门", "预算单位", "类别", "申报金额", "批复金额", "实际支出"],
                &["市教委", "考试院", "测评", "5000", "5000", "5000"],
                &["市教委", "考试院", "整改", "100000", "80000", "90000"],
            ],
        )],
    );
    wh.ingest(&[&budgets]);
    // H1 (first half of 2019) → budget year 2019; H2 (second half) → requested in 2020 for
    // budget year 2021 (the briefing's rule): 考试院's 2020 rectification row, made for the
    // year of the request, leaves 2021 without one.
    let gaps = wh.rows(
        "SELECT year, unit, gap, budget_category, systems, system_names, requested, approved, spent \
         FROM budget_gaps WHERE year IN (2019, 2020, 2021) ORDER BY year, unit, gap",
    );
    let row = |v: [&str; 9]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        gaps,
        vec![
            row([
                "2019",
                "卫生信息中心",
                "no_rectification_budget",
                "rectification",
                "1",
                "挂号系统",
                "",
                "",
                ""
            ]),
            row([
                "2020",
                "卫生信息中心",
                "no_assessment_budget",
                "assessment",
                "1",
                "挂号系统",
                "",
                "",
                ""
            ]),
            row([
                "2020",
                "电教馆",
                "no_assessment_budget",
                "assessment",
                "1",
                "资源平台",
                "",
                "",
                ""
            ]),
            row([
                "2020",
                "考试院",
                "approved_below_requested",
                "rectification",
                "0",
                "",
                "100000.00",
                "80000.00",
                "90000.00",
            ]),
            row([
                "2020",
                "考试院",
                "spent_above_approved",
                "rectification",
                "0",
                "",
                "100000.00",
                "80000.00",
                "90000.00",
            ]),
            // (阅卷系统, level 2, assessed 2019-07-01, is due again in 2021)
            row([
                "2021",
                "考试院",
                "no_assessment_budget",
                "assessment",
                "1",
                "阅卷系统",
                "",
                "",
                ""
            ]),
            row([
                "2021",
                "考试院",
                "no_rectification_budget",
                "rectification",
                "1",
                "阅卷系统",
                "",
                "",
                ""
            ]),
        ]
    );
    // Each gap names its rule.
    assert_eq!(
        wh.scalar("SELECT rule FROM budget_gaps WHERE year = 2019"),
        "上半年测评的系统当年申请、当年预算整改；下半年测评的次年申请、第三年预算到位后整改"
    );
    // The source rows behind 考试院's gaps: in 2021, the assessment whose second-half date
    // put its rectification budget there; in 2020, the budget rows.
    let traced = |year: &str| -> Vec<(String, String, String)> {
        wh.rows_of(&[
            "trace",
            "budget_gaps",
            "--year",
            year,
            "--unit",
            "考试院",
            "--format",
            "csv",
        ])
        .iter()
        .map(|r| (r[3].clone(), r[4].clone(), r[6].clone()))
        .collect()
    };
    let t = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        traced("2021"),
        [
            t("no_assessment_budget", "assessment", "2019年测评结果.xlsx"),
            t("no_rectification_budget", "assessment", "2019年测评结果.xlsx"),
        ]
    );
    assert_eq!(
        traced("2020"),
        [
            t("approved_below_requested", "budget", "2020年网络安全经费预算.xlsx"),
            t("spent_above_approved", "budget", "2020年网络安全经费预算.xlsx"),
        ]
    );
}

/// The 2019 plan of the preview and letters tests: two departments; filing numbers, a
/// derived key, a new system with its trial end, a change re-test, a system with no
/// planned quarter.
fn plan_2019(wh: &TestWarehouse) {
    let plan = wh.file("2019年测评计划预告.xlsx");
    xlsx(
        &plan,
        &[(
            "计划",
            &[
                &["2019年公共管理信息系统安全测评计划预告"],
                &[
                    "主管部门",
                    "预算单位",
                    "系统名称",
                    "备案编号",
                    "等级",
                    "测评原因",
                    "计划测评时间",
                    "上次测评时间",
                    "试运行结束时间",
                ],
                &[
                    "市教委",
                    "考试院",
                    "报名系统",
                    "31010021001-00001",
                    "3",
                    "周期测评",
                    "一季度",
                    "2018-05-01",
                    "",
                ],
                &[
                    "市教委",
                    "考试院",
                    "阅卷系统",
                    "",
                    "2",
                    "重大变更",
                    "三季度",
                    "2017-06-01",
                    "",
                ],
                &[
                    "市教委",
                    "电教馆",
                    "资源平台",
                    "31010021001-00003",
                    "3",
                    "",
                    "",
                    "2018-02-01",
                    "",
                ],
                &[
                    "市卫健委",
                    "卫生信息中心",
                    "挂号系统",
                    "31010021001-00004",
                    "3",
                    "新建系统",
                    "一季度",
                    "",
                    "2019-02-01",
                ],
            ],
        )],
    );
    wh.ingest(&[&plan]);
}

/// A cell as text the way a person reads it: dates as yyyy-mm-dd, whole numbers without
/// a decimal point.
fn cell_text(c: &calamine::Data) -> String {
    use calamine::DataType as _;
    match c {
        calamine::Data::DateTime(_) => c.as_date().map(|d| d.to_string()).unwrap_or_default(),
        calamine::Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string(),
    }
}

/// One sheet of a workbook as rows of text cells.
fn sheet_cells(path: &std::path::Path) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.rows().map(|r| r.iter().map(cell_text).collect()).collect()
}

/// A part of a zip package (an .xlsx or .docx) as text.
fn zip_part(path: &std::path::Path, part: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(part).unwrap().read_to_string(&mut text).unwrap();
    text
}

/// `ceping export preview`: one workbook per department in the office's layout, its cells
/// equal to the plan; a department's corrected copy loads as the next revision of its own
/// rows, the other department's rows carried over with their lineage.
#[test]
fn preview_sheets_round_trip() {
    let wh = TestWarehouse::new();
    plan_2019(&wh);
    let dir = wh.file("预告单");
    let out = wh.run(&["export", "preview", "--year", "2019", "--out", dir.to_str().unwrap()]);
    assert!(out.contains("2 preview sheets of the 2019 plan (revision 1"), "{out}");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["市卫健委.xlsx", "市教委.xlsx"]);
    let edu = dir.join("市教委.xlsx");
    let cells = sheet_cells(&edu);
    assert_eq!(cells[0][0], "2019年公共管理信息系统安全测评计划预告单");
    assert_eq!(cells[1][0], "主管部门：市教委");
    assert_eq!(cells[1][4], "依据：2019年测评计划第1版。如有变更，请在原表修改后报回。");
    assert_eq!(
        cells[2],
        [
            "序号",
            "预算单位",
            "系统名称",
            "备案编号",
            "安全保护等级",
            "测评原因",
            "计划测评时间",
            "上次测评时间",
            "试运行结束时间",
            "备注"
        ]
    );
    assert_eq!(
        cells[3..],
        [
            [
                "1",
                "电教馆",
                "资源平台",
                "31010021001-00003",
                "三级",
                "周期测评",
                "",
                "2018-02-01",
                "",
                ""
            ],
            [
                "2",
                "考试院",
                "报名系统",
                "31010021001-00001",
                "三级",
                "周期测评",
                "2019年第一季度",
                "2018-05-01",
                "",
                ""
            ],
            [
                "3",
                "考试院",
                "阅卷系统",
                "",
                "二级",
                "重大变更复测",
                "2019年第三季度",
                "2017-06-01",
                "",
                ""
            ],
        ]
    );
    assert_eq!(
        sheet_cells(&dir.join("市卫健委.xlsx"))[3],
        [
            "1",
            "卫生信息中心",
            "挂号系统",
            "31010021001-00004",
            "三级",
            "新建系统",
            "2019年第一季度",
            "",
            "2019-02-01",
            ""
        ]
    );
    // Print set-up: A4 landscape, one page wide, the title, department and header rows
    // repeated on every page, the header frozen.
    let sheet = zip_part(&edu, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"paperSize="9""#) && sheet.contains(r#"orientation="landscape""#),
        "{sheet}"
    );
    assert!(
        sheet.contains(r#"fitToHeight="0""#) && sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#),
        "{sheet}"
    );
    assert!(sheet.contains(r#"ySplit="3""#), "{sheet}");
    assert!(zip_part(&edu, "xl/workbook.xml").contains("计划预告单!$1:$3"));

    // The unexported sheet is recognised as this year's plan and would load every row.
    let inspect = wh.run(&["inspect", edu.to_str().unwrap()]);
    assert!(inspect.contains("kind plan, year 2019"), "{inspect}");
    assert!(inspect.contains("would load 3 rows, reject 0"), "{inspect}");
    assert!(
        inspect.contains("department from the line 主管部门：市教委"),
        "{inspect}"
    );

    // 市教委 returns its sheet corrected: 报名系统 is now level 4, 阅卷系统 is gone, a new
    // system is added.
    let mut rows: Vec<Vec<String>> = cells.clone();
    rows[4][4] = "四级".into();
    rows.remove(5);
    rows.push(
        [
            "3",
            "电教馆",
            "直播平台",
            "",
            "二级",
            "新建系统",
            "2019年第四季度",
            "",
            "2019-09-01",
            "新上线",
        ]
        .map(String::from)
        .to_vec(),
    );
    let corrected = wh.file("市教委（修改）.xlsx");
    let refs: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    xlsx(&corrected, &[("计划预告单", &refs)]);
    let out = wh.ingest(&[&corrected]);
    assert!(out.contains("plan 2019 revision 2"), "{out}");
    assert!(
        out.contains("a department's return (市教委): its rows replace its rows of revision 1; 1 rows of the other departments carried over"),
        "{out}"
    );
    assert_eq!(
        wh.rows(
            "SELECT department, unit, system, level, reason, source_file FROM plan_items_current \
             WHERE year = 2019 ORDER BY department, unit, system"
        ),
        vec![
            vec![
                "市卫健委",
                "卫生信息中心",
                "挂号系统",
                "3",
                "new",
                "2019年测评计划预告.xlsx"
            ],
            vec!["市教委", "电教馆", "直播平台", "2", "new", "市教委（修改）.xlsx"],
            vec!["市教委", "电教馆", "资源平台", "3", "periodic", "市教委（修改）.xlsx"],
            vec!["市教委", "考试院", "报名系统", "4", "periodic", "市教委（修改）.xlsx"],
        ]
    );
    assert_eq!(
        wh.rows("SELECT change, system FROM plan_changes WHERE year = 2019 ORDER BY change, system"),
        vec![
            vec!["added", "直播平台"],
            vec!["level_changed", "报名系统"],
            vec!["removed", "阅卷系统"]
        ]
    );
    // The carried row keeps its source: the first workbook's row 6.
    assert_eq!(
        wh.scalar("SELECT source_row FROM plan_items WHERE revision = 2 AND system = '挂号系统'"),
        "6"
    );
    let check = wh.run(&["check"]);
    assert!(check.contains("consistent"), "{check}");
}

/// The text a reader sees in a .docx: one line per paragraph, a table row's cells joined
/// by tabs.
pub(crate) fn docx_text(path: &std::path::Path) -> String {
    let xml = zip_part(path, "word/document.xml");
    let mut out = String::new();
    let mut in_cell = false;
    let mut rest = xml.as_str();
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').map(|j| i + j).unwrap();
        let tag = &rest[i + 1..j];
        rest = &rest[j + 1..];
        match tag.split(' ').next().unwrap() {
            "w:t" => {
                let end = rest.find("</w:t>").unwrap();
                out.push_str(
                    &rest[..end]
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&amp;", "&"),
                );
                rest = &rest[end..];
            }
            "w:tc" => in_cell = true,
            "/w:tc" => {
                in_cell = false;
                out.push('\t');
            }
            "/w:tr" => {
                out.pop();
                out.push('\n');
            }
            "/w:p" if !in_cell => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// `ceping letters`: who gets a letter, which kind (a 督促函 only after an issued 便函 went
/// unanswered past its deadline), the systems and days named, the prior letter cited, an
/// index in the register's layout, and the same bytes for the same date.
#[test]
fn letters_by_date() {
    let wh = TestWarehouse::new();
    plan_2019(&wh);
    ingest_results_and_findings(
        &wh,
        &[
            &[
                "报告编号",
                "主管部门",
                "预算单位",
                "系统名称",
                "备案编号",
                "等级",
                "出具报告日期",
            ],
            &[
                "R4",
                "市卫健委",
                "卫生信息中心",
                "挂号系统",
                "31010021001-00004",
                "3",
                "2019-03-15",
            ],
        ],
        &[
            &["报告编号", "序号", "风险等级", "整改方式", "整改状态"],
            &["R4", "1", "低", "即知即改", "已整改"],
        ],
    );
    let letters = |date: &str| {
        let dir = wh.file(&format!("letters-{date}"));
        let out = wh.run(&["letters", "--date", date, "--out", dir.to_str().unwrap()]);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        (dir, out, files)
    };
    // 报名系统 was due by 31 March: behind from 1 April. With no letter sent yet, however
    // late, the letter due is a 便函.
    let (_, out, files) = letters("2019-06-30");
    assert_eq!(files, ["2019_市教委_考试院_便函.docx", "函件索引.xlsx"], "{out}");
    assert!(out.contains("1 letters due on 2019-06-30 (1 便函, 0 督促函"), "{out}");
    // The register: a 便函 to 考试院 went out on 10 April, its reply due 25 April, no reply.
    let register = wh.file("2019年测评工作函件登记.xlsx");
    xlsx(
        &register,
        &[(
            "发函登记",
            &[
                &[
                    "函号",
                    "函件类型",
                    "年度",
                    "主管部门",
                    "预算单位",
                    "发函日期",
                    "复函期限",
                    "复函日期",
                ],
                &[
                    "测便〔2019〕1号",
                    "便函",
                    "2019",
                    "市教委",
                    "考试院",
                    "2019-04-10",
                    "2019-04-25",
                    "",
                ],
            ],
        )],
    );
    wh.ingest(&[&register]);
    std::fs::remove_dir_all(wh.file("letters-2019-06-30")).unwrap();
    let (dir, out, files) = letters("2019-06-30");
    assert_eq!(files, ["2019_市教委_考试院_督促函.docx", "函件索引.xlsx"], "{out}");
    assert!(out.contains("1 letters due on 2019-06-30 (0 便函, 1 督促函"), "{out}");
    let text = docx_text(&dir.join("2019_市教委_考试院_督促函.docx"));
    assert_eq!(
        text,
        "测评工作督促函\n\
         测督〔2019〕1号\n\
         考试院（主管部门：市教委）：\n\
         根据《公共信息系统安全测评管理办法》第七条和2019年测评计划预告，贵单位下列信息系统应在计划时间内完成安全测评。截至2019年6月30日，以下 1 个系统尚未完成测评：\n\
         序号\t系统名称\t计划年度\t计划测评时间\t应测截止日\t逾期天数\n\
         1\t报名系统\t2019\t2019年第一季度\t2019-03-31\t91\n\
         我办已于前期发出测评工作便函（测便〔2019〕1号），贵单位逾期未复函，上述系统已超过计划测评时间（最长逾期 91 天）仍未完成测评，现予督促。请贵单位高度重视，于2019年7月7日前完成测评安排并书面函复我办；逾期仍未安排的，将在年度通报中予以说明。\n\
         特此函告。\n\
         市委网信办\n\
         2019年6月30日\n"
    );
    // At the year's end: 考试院 is behind on two systems (the re-test planned for Q3 too)
    // and its 便函 is still unanswered (the 督促函 was not registered as sent) → a 督促函,
    // numbered in 2020's series; 电教馆 on the system planned for the year as a whole → its
    // first 便函; 卫生信息中心 was assessed.
    let (dir, out, files) = letters("2020-01-02");
    assert_eq!(
        files,
        [
            "2019_市教委_电教馆_便函.docx",
            "2019_市教委_考试院_督促函.docx",
            "函件索引.xlsx"
        ],
        "{out}"
    );
    let text = docx_text(&dir.join("2019_市教委_电教馆_便函.docx"));
    assert!(
        text.starts_with("测评工作便函\n测便〔2020〕1号\n电教馆（主管部门：市教委）：\n"),
        "{text}"
    );
    assert!(
        text.contains("\n1\t资源平台\t2019\t2019年内\t2019-12-31\t2\n"),
        "{text}"
    );
    assert!(text.contains("并于2020年1月17日前将测评安排书面函复我办"), "{text}");
    let text = docx_text(&dir.join("2019_市教委_考试院_督促函.docx"));
    assert!(text.contains("以下 2 个系统尚未完成测评"), "{text}");
    assert!(
        text.contains(
            "\n1\t报名系统\t2019\t2019年第一季度\t2019-03-31\t277\n2\t阅卷系统\t2019\t2019年第三季度\t2019-09-30\t94\n"
        ),
        "{text}"
    );
    // The index lists every letter in the register's layout, 发函日期 and 复函日期 blank.
    let index = sheet_cells(&dir.join("函件索引.xlsx"));
    assert!(
        index[0][0].starts_with("2020年1月2日 应发测评工作函件"),
        "{:?}",
        index[0]
    );
    assert_eq!(
        index[1],
        [
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
            "文件"
        ]
    );
    assert_eq!(
        index[2..],
        [
            [
                "测便〔2020〕1号",
                "测评工作便函",
                "2019",
                "市教委",
                "电教馆",
                "1",
                "",
                "2020-01-17",
                "",
                "2",
                "",
                "资源平台",
                "2019_市教委_电教馆_便函.docx"
            ],
            [
                "测督〔2020〕1号",
                "测评工作督促函",
                "2019",
                "市教委",
                "考试院",
                "2",
                "",
                "2020-01-09",
                "",
                "277",
                "测便〔2019〕1号",
                "报名系统、阅卷系统",
                "2019_市教委_考试院_督促函.docx"
            ],
        ]
    );
    // The same date and warehouse version give the same files, byte for byte.
    let again = wh.file("again");
    wh.run(&["letters", "--date", "2020-01-02", "--out", again.to_str().unwrap()]);
    for f in &files {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // An independent reader (python-docx) opens the letter and sees the same text.
    if let Some(python) = crate::common::python(&["docx"]) {
        let out = std::process::Command::new(python)
            .args([
                "-c",
                "import docx, sys\nd = docx.Document(sys.argv[1])\nprint(d.paragraphs[0].text)\nprint([[c.text for c in r.cells] for r in d.tables[0].rows][2])",
                dir.join("2019_市教委_考试院_督促函.docx").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "测评工作督促函\n['2', '阅卷系统', '2019', '2019年第三季度', '2019-09-30', '94']\n"
        );
    }
}
