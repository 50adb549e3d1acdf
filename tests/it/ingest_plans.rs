//! Plan ingestion: every quirk of DATA_MODEL.md, in .xlsx, .xls and .ods.

use crate::common::{fixture, parse_csv, xlsx, TestWarehouse};

fn plan_rows(wh: &TestWarehouse, file: &str) -> Vec<Vec<String>> {
    wh.rows(&format!(
        "SELECT department, unit, system, system_id, level, reason, planned_quarter, last_assessed, trial_ended_on, source_sheet, source_row \
         FROM plan_items WHERE source_file = '{file}' ORDER BY source_sheet, source_row"
    ))
}

#[test]
fn a_messy_plan_loads_every_quirk_and_rejects_bad_rows() {
    let wh = TestWarehouse::new();
    let out = wh.ingest(&[&fixture("plan_2019.xlsx")]);
    assert!(out.contains("plan 2019 revision 1 → warehouse version 1"), "{out}");
    assert!(
        out.contains("sheet 计划: 7 loaded, 4 rejected, 6 skipped (title 2, header 1, total 1, note 2)"),
        "{out}"
    );
    assert!(out.contains("ceping rejects --file 'plan_2019.xlsx'"), "{out}");
    let rows = plan_rows(&wh, "plan_2019.xlsx");
    let want = [
        // merged department and unit cells, a name with a line break and spaces, a serial date
        [
            "市教委",
            "市教育考试院",
            "网上报名系统",
            "31010013001-19001",
            "3",
            "periodic",
            "1",
            "2018-03-05",
            "",
            "计划",
            "4",
        ],
        // 三级, 一季度, text date
        [
            "市教委",
            "市教育考试院",
            "阅卷系统",
            "市教育考试院|阅卷系统",
            "3",
            "periodic",
            "1",
            "2018-03-05",
            "",
            "计划",
            "5",
        ],
        // 第三级, blank reason → periodic, 2019/5/6, 2018/3/5
        [
            "市教委",
            "市电化教育馆",
            "教育资源平台",
            "市电化教育馆|教育资源平台",
            "3",
            "periodic",
            "2",
            "2018-03-05",
            "",
            "计划",
            "6",
        ],
        // full-width ＯＡ, S3A3G3, a date cell as planned time, 2018.03.05
        [
            "市教委",
            "市电化教育馆",
            "OA办公系统",
            "市电化教育馆|oa办公系统",
            "3",
            "periodic",
            "3",
            "2018-03-05",
            "",
            "计划",
            "7",
        ],
        // 3级, 重大变更复测, 2019.3, an East-Asian date format cell (yyyy"年"m"月"d"日")
        [
            "市卫健委",
            "市卫生信息中心",
            "全民健康信息平台",
            "31010013002-19002",
            "3",
            "change",
            "1",
            "2018-03-05",
            "",
            "计划",
            "8",
        ],
        // full-width ２, 新建系统, 2019年3月, trial end 2019年2月28日
        [
            "市卫健委",
            "市卫生信息中心",
            "预约挂号系统",
            "市卫生信息中心|预约挂号系统",
            "2",
            "new",
            "1",
            "",
            "2019-02-28",
            "计划",
            "9",
        ],
        // 第二级（S2A2G2）, 四季度, 2017.3 → the month's first day
        [
            "市卫健委",
            "市血液中心",
            "血液管理系统",
            "市血液中心|血液管理系统",
            "2",
            "periodic",
            "4",
            "2017-03-01",
            "",
            "计划",
            "10",
        ],
    ];
    assert_eq!(rows, want.map(|r| r.map(String::from).to_vec()).to_vec());

    let rejects = wh.rows(
        "SELECT source_file, source_sheet, source_row, column_name, value, reason FROM rejects ORDER BY source_row",
    );
    assert_eq!(rejects.len(), 4);
    assert_eq!(rejects[0][..5], ["plan_2019.xlsx", "计划", "11", "定级", "五六级"]);
    assert_eq!(
        rejects[0][5],
        "column 定级: \"五六级\" is not a protection level (expected 1–5, 三级, 第三级, S3A3G3)"
    );
    assert_eq!(rejects[1][2..5], ["12", "上次测评时间", "2019-14-02"]);
    assert_eq!(rejects[2][2..5], ["13", "上次测评时间", "2019-02-30"]);
    assert!(rejects[2][5].contains("no such day"), "{:?}", rejects[2]);
    assert_eq!(rejects[3][2..4], ["14", "信息系统名称"]);
    assert_eq!(rejects[3][5], "column 信息系统名称: missing (it identifies the row)");
    // The raw cells of a reject keep the original text under the original headers.
    let raw = wh.scalar("SELECT raw_cells FROM rejects WHERE source_row = 11");
    assert!(
        raw.contains(r#"["定级","五六级"]"#) && raw.contains(r#"["信息系统名称","献血者服务系统"]"#),
        "{raw}"
    );
}

#[test]
fn every_data_row_is_loaded_or_rejected() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let log = wh.rows("SELECT rows_loaded, rows_rejected, rows_skipped FROM ingest_log");
    // 11 data rows written by the fixture script; 2 title, 1 header, 1 total, 2 note rows.
    assert_eq!(log, vec![vec!["7", "4", "6"]]);
    assert_eq!(
        wh.scalar("SELECT count(*) FROM plan_items") + "+" + &wh.scalar("SELECT count(*) FROM rejects"),
        "7+4"
    );
}

#[test]
fn the_same_bytes_again_change_nothing() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let out = wh.ingest(&[&fixture("plan_2019.xlsx")]);
    assert!(
        out.contains("already ingested (same bytes as plan_2019.xlsx); nothing to do"),
        "{out}"
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), "7");
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "1");
    assert_eq!(wh.scalar("SELECT count(*) FROM rejects"), "4");
}

#[test]
fn a_reissued_plan_is_the_next_revision_and_current() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let out = wh.ingest(&[&fixture("plan_2019_rev2.xlsx")]);
    assert!(out.contains("plan 2019 revision 2"), "{out}");
    let current = wh.rows("SELECT DISTINCT revision FROM plan_items_current WHERE year = 2019");
    assert_eq!(current, vec![vec!["2"]]);
    let systems: Vec<String> = wh
        .rows("SELECT system FROM plan_items_current ORDER BY source_row")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(
        systems.contains(&"公交卡系统".to_string()) && !systems.contains(&"阅卷系统".to_string()),
        "{systems:?}"
    );
    // Departments written once above unmerged blanks fill down.
    assert_eq!(
        wh.scalar("SELECT department FROM plan_items_current WHERE system = '预约挂号系统'"),
        "市卫健委"
    );
    assert_eq!(
        wh.scalar("SELECT level FROM plan_items_current WHERE system = '教育资源平台'"),
        "2"
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items WHERE year = 2019"), "14");
}

#[test]
fn a_sheet_per_department_takes_the_department_from_the_sheet_name() {
    let wh = TestWarehouse::new();
    let out = wh.ingest(&[&fixture("plan_2020_by_department.xlsx")]);
    assert!(
        out.contains("sheet 填表说明: not read, no plan header row in its first 20 rows (2 rows)"),
        "{out}"
    );
    let rows = wh.rows("SELECT department, unit, planned_quarter FROM plan_items ORDER BY department, unit");
    assert_eq!(
        rows,
        vec![
            vec!["市卫健委", "市卫生信息中心", "3"],
            vec!["市教委", "市教育考试院", "1"],
            vec!["市教委", "市电化教育馆", "2"]
        ]
    );
}

#[test]
fn dates_of_a_1904_workbook_are_right() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2018_1904.xlsx")]);
    let rows = wh.rows("SELECT system, planned_quarter, last_assessed FROM plan_items ORDER BY source_row");
    assert_eq!(
        rows,
        vec![
            vec!["养老服务系统", "1", "2017-03-05"],
            vec!["救助管理系统", "4", "2016-06-30"]
        ]
    );
}

#[test]
fn legacy_xls_with_merged_departments() {
    let wh = TestWarehouse::new();
    let out = wh.ingest(&[&fixture("plan_2021.xls")]);
    assert!(
        out.contains("3 loaded, 0 rejected, 3 skipped (title 1, header 1, total 1)"),
        "{out}"
    );
    let rows = plan_rows(&wh, "plan_2021.xls");
    assert_eq!(
        rows.iter()
            .map(|r| [r[0].as_str(), r[4].as_str(), r[6].as_str(), r[7].as_str()])
            .collect::<Vec<_>>(),
        vec![
            ["市水务局", "3", "2", "2020-05-10"],
            ["市水务局", "3", "3", "2020-07-01"],
            ["市水务局", "2", "4", "2019-10-01"],
        ]
    );
}

#[test]
fn ods_merges_fill_down_without_merge_information() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2022.ods")]);
    let rows = wh.rows("SELECT department, unit, system, level, last_assessed FROM plan_items ORDER BY source_row");
    assert_eq!(
        rows,
        vec![
            vec!["市公安局", "市公安局信息中心", "交通违法处理系统", "3", "2021-04-01"],
            vec!["市公安局", "市公安局信息中心", "户籍管理系统", "4", "2021-04-01"],
            vec!["市公安局", "市看守所", "监管信息系统", "3", ""],
        ]
    );
}

#[test]
fn broken_files_get_a_clear_error_and_change_nothing() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2022.ods")]);
    for (file, says) in [
        (
            "not_a_workbook.xlsx",
            "not_a_workbook.xlsx: not a workbook: this is a text file",
        ),
        (
            "corrupt.xlsx",
            "corrupt.xlsx: cannot open the workbook, it may be corrupt or truncated",
        ),
        ("empty.xlsx", "empty.xlsx: the workbook is empty"),
        ("encrypted.xlsx", "encrypted.xlsx: the workbook is encrypted"),
    ] {
        let (code, err) = wh.fail(&["ingest", fixture(file).to_str().unwrap()]);
        assert_eq!(code, 1, "{file}");
        assert!(err.contains(says), "{file}: {err}");
        assert!(err.contains("the warehouse is unchanged"), "{err}");
    }
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "1");
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), "3");
}

#[test]
fn each_file_of_a_command_succeeds_or_fails_on_its_own() {
    let wh = TestWarehouse::new();
    let out = wh.output(&[
        "ingest",
        fixture("corrupt.xlsx").to_str().unwrap(),
        fixture("plan_2021.xls").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "non-zero when any file failed");
    assert!(crate::common::s(&out.stdout).contains("plan_2021.xls: plan 2021 revision 1"));
    assert_eq!(
        wh.scalar("SELECT string_agg(file_name, ',') FROM ingest_log"),
        "plan_2021.xls"
    );
}

#[test]
fn a_file_without_a_year_asks_for_year_and_one_without_a_kind_for_kind() {
    let wh = TestWarehouse::new();
    let f = wh.file("list.xlsx");
    xlsx(
        &f,
        &[(
            "Sheet1",
            &[&["主管部门", "预算单位", "系统名称"], &["市教委", "考试院", "报名系统"]],
        )],
    );
    let (_, err) = wh.fail(&["ingest", f.to_str().unwrap()]);
    assert!(
        err.contains("list.xlsx: cannot tell the year") && err.contains("--year"),
        "{err}"
    );
    let out = wh.run(&["ingest", "--year", "2023", f.to_str().unwrap()]);
    assert!(out.contains("plan 2023 revision 1"), "{out}");

    let g = wh.file("other.xlsx");
    xlsx(&g, &[("Sheet1", &[&["姓名", "电话"], &["张三", "123"]])]);
    let (_, err) = wh.fail(&["ingest", g.to_str().unwrap()]);
    assert!(
        err.contains("other.xlsx: no sheet has a header row of any known kind") && err.contains("--kind"),
        "{err}"
    );
    let (_, err) = wh.fail(&["ingest", "--kind", "menu", g.to_str().unwrap()]);
    assert!(err.contains("unknown kind `menu`"), "{err}");
}

#[test]
fn a_stray_cell_far_out_costs_nothing() {
    let wh = TestWarehouse::new();
    let f = wh.file("2024年测评计划预告.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["主管部门", "预算单位", "系统名称", "等级"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["市教委", "考试院", "报名系统", "3"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    wb.save(&f).unwrap();
    let out = wh.ingest(&[&f]);
    assert!(
        out.contains("1 loaded, 0 rejected, 2 skipped (header 1, blank 1)"),
        "{out}"
    );
}

#[test]
fn east_asian_date_formats_are_dates() {
    let wh = TestWarehouse::new();
    let f = wh.file("2025年测评计划预告.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["预算单位", "系统名称", "上次测评时间", "试运行结束时间"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "考试院").unwrap();
    ws.write_string(1, 1, "报名系统").unwrap();
    // Built-in formats 31 (yyyy年m月d日) and 57 (yyyy年m月) hold serial numbers.
    ws.write_number_with_format(1, 2, 45_356.0, &rust_xlsxwriter::Format::new().set_num_format_index(31))
        .unwrap();
    ws.write_number_with_format(1, 3, 45_366.0, &rust_xlsxwriter::Format::new().set_num_format_index(57))
        .unwrap();
    wb.save(&f).unwrap();
    wh.ingest(&[&f]);
    assert_eq!(
        wh.rows("SELECT last_assessed, trial_ended_on, reason FROM plan_items"),
        vec![vec!["2024-03-05", "2024-03-15", "new"]]
    );
}

#[test]
fn inspect_shows_the_header_mapping_skips_and_rejects_without_loading() {
    let wh = TestWarehouse::new();
    let out = wh.run(&["inspect", fixture("plan_2019.xlsx").to_str().unwrap()]);
    for line in [
        "plan_2019.xlsx: kind plan, year 2019",
        "  header: row 3 (9 of 10 fields named)",
        "    F    定级 → level",
        "    A    序号 → (not used)",
        "  merged regions: 7;",
        "  would load 7 rows, reject 4, skip 6 (title 2, header 1, total 1, note 2)",
        "    row 11: column 定级: \"五六级\" is not a protection level",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    assert!(!wh.path().exists(), "inspect creates no warehouse");
}

#[test]
fn rejects_export_a_fix_list_and_the_corrected_file_loads() {
    let wh = TestWarehouse::new();
    let f = wh.file("2026年测评计划预告.xlsx");
    xlsx(
        &f,
        &[(
            "计划",
            &[
                &["预算单位", "系统名称", "等级"],
                &["考试院", "报名系统", "3"],
                &["考试院", "阅卷系统", "五六级"],
            ],
        )],
    );
    wh.ingest(&[&f]);
    let dir = wh.file("fix");
    let out = wh.run(&["rejects", "--export", dir.to_str().unwrap()]);
    assert!(
        out.contains("2026年测评计划预告_待修改.xlsx: 1 rows to correct"),
        "{out}"
    );
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.join("2026年测评计划预告_待修改.xlsx")).unwrap();
    let range = book.worksheet_range("待修改").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert_eq!(
        [cell(1, 0), cell(1, 1), cell(1, 2), cell(1, 3), cell(1, 4), cell(1, 5)],
        ["工作表", "行号", "原因", "预算单位", "系统名称", "等级"]
    );
    assert_eq!(
        [cell(2, 0), cell(2, 1), cell(2, 3), cell(2, 5)],
        ["计划", "3", "考试院", "五六级"]
    );
    assert!(cell(2, 2).contains("is not a protection level"));

    xlsx(
        &f,
        &[(
            "计划",
            &[
                &["预算单位", "系统名称", "等级"],
                &["考试院", "报名系统", "3"],
                &["考试院", "阅卷系统", "二级"],
            ],
        )],
    );
    let out = wh.ingest(&[&f]);
    assert!(
        out.contains("revision 2") && out.contains("2 loaded, 0 rejected"),
        "{out}"
    );
    assert_eq!(
        wh.scalar("SELECT level FROM plan_items_current WHERE system = '阅卷系统'"),
        "2"
    );
    let listed = parse_csv(&wh.run(&["rejects", "--format", "csv"]));
    assert_eq!(
        listed.len(),
        2,
        "the old reject is still listed with its file: {listed:?}"
    );
}

/// A sheet that breaks part-way (its rows were already being written as data files):
/// a clear error naming the file and sheet, nothing committed and no data file left.
#[test]
fn a_sheet_broken_part_way_leaves_no_rows_and_no_files() {
    use std::io::{Read, Write};
    let wh = TestWarehouse::new();
    let good = wh.file("good.xlsx");
    let mut rows: Vec<Vec<String>> = vec![vec!["主管部门".into(), "预算单位".into(), "系统名称".into()]];
    for i in 1..=40 {
        rows.push(vec!["市教委".into(), format!("单位{i}"), format!("系统{i}")]);
    }
    let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(&good, &[("计划", &rows)]);
    // The same workbook with a cell reference that is not one in row 30.
    let broken = wh.file("2025年测评计划预告.xlsx");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&good).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(&broken).unwrap());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            assert!(xml.contains("<c r=\"B30\""), "the writer's layout changed");
            bytes = xml.replacen("<c r=\"B30\"", "<c r=\"B#30\"", 1).into_bytes();
        }
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        out.start_file(name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();

    let (code, err) = wh.fail(&["ingest", broken.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "2025年测评计划预告.xlsx, sheet 计划, row 30, column B: the sheet is corrupt: a cell reference \"B#30\""
        ),
        "{err}"
    );
    assert!(err.contains("the warehouse is unchanged"), "{err}");
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), "0");
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "0");
    assert_eq!(data_files(&wh, "plan_items"), Vec::<String>::new());
    // The intact workbook loads all 40 rows.
    let out = wh.run(&["ingest", "--year", "2025", good.to_str().unwrap()]);
    assert!(out.contains("40 loaded, 0 rejected"), "{out}");
}

/// The files of a table's directory besides its log: data files, committed or not.
fn data_files(wh: &TestWarehouse, table: &str) -> Vec<String> {
    std::fs::read_dir(wh.path().join(table))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "_delta_log")
        .collect()
}

/// An office-shaped plan: title, sub-title with a filing date, header, then `data`.
fn office_plan(wh: &TestWarehouse, name: &str, title: &str, data: &[[&str; 7]]) -> std::path::PathBuf {
    let path = wh.file(name);
    let mut rows: Vec<Vec<&str>> = vec![
        vec![title],
        vec!["填报日期：2019年12月20日"],
        vec![
            "序号",
            "主管部门",
            "预算单位",
            "系统名称",
            "安全保护等级",
            "计划测评时间",
            "备注",
        ],
    ];
    rows.extend(data.iter().map(|r| r.to_vec()));
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(&path, &[("计划", &rows)]);
    path
}

/// DATA_MODEL.md "Row rules": a first data row whose remark reads like a header is data.
#[test]
fn a_first_data_row_with_a_remark_is_loaded_not_taken_as_a_header() {
    for remark in ["试运行结束后30日内测评", "计划测评时间待定", "安全保护等级待复核"] {
        let wh = TestWarehouse::new();
        let file = office_plan(
            &wh,
            "计划.xlsx",
            "2020年公共管理信息系统安全测评计划预告",
            &[
                ["1", "市教委", "市第一中学", "教务系统", "第二级", "2020年3月", remark],
                ["2", "市教委", "市第二中学", "门户网站", "第二级", "二季度", ""],
                ["3", "市卫健委", "市人民医院", "挂号系统", "第三级", "2020年8月", remark],
            ],
        );
        let out = wh.ingest(&[&file]);
        assert!(out.contains("3 loaded, 0 rejected"), "{remark}: {out}");
        assert_eq!(
            wh.rows("SELECT unit, system, planned_quarter FROM plan_items ORDER BY source_row"),
            vec![
                vec!["市第一中学".to_string(), "教务系统".into(), "1".into()],
                vec!["市第二中学".to_string(), "门户网站".into(), "2".into()],
                vec!["市人民医院".to_string(), "挂号系统".into(), "3".into()],
            ],
            "{remark}"
        );
        let inspect = wh.run(&["inspect", file.to_str().unwrap()]);
        assert!(inspect.contains("header: row 3 ("), "{remark}: {inspect}");
    }
}

#[test]
fn a_title_naming_a_range_of_years_asks_for_year() {
    let wh = TestWarehouse::new();
    let file = office_plan(
        &wh,
        "计划预告.xlsx",
        "2018-2025年度公共管理信息系统安全测评计划预告",
        &[["1", "市教委", "市第一中学", "教务系统", "第二级", "三季度", ""]],
    );
    let (code, err) = wh.fail(&["ingest", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("its title names a range of years (2018–2025); pass --year"),
        "{err}"
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "0");
    let out = wh.run(&["ingest", "--year", "2020", file.to_str().unwrap()]);
    assert!(out.contains("plan 2020 revision 1"), "{out}");
    // A title and a file name that disagree name no year either.
    let other = office_plan(
        &wh,
        "2021年计划预告.xlsx",
        "2022年公共管理信息系统安全测评计划预告",
        &[["1", "市教委", "市第三中学", "教务系统", "第二级", "三季度", ""]],
    );
    let (_, err) = wh.fail(&["ingest", other.to_str().unwrap()]);
    assert!(
        err.contains("its title says 2022 and its file name 2021; pass --year"),
        "{err}"
    );
}

#[test]
fn a_planned_time_outside_the_plan_year_rejects_the_row() {
    let wh = TestWarehouse::new();
    let file = office_plan(
        &wh,
        "计划.xlsx",
        "2020年公共管理信息系统安全测评计划预告",
        &[
            ["1", "市教委", "市第一中学", "教务系统", "第二级", "2020年5月", ""],
            ["2", "市教委", "市第二中学", "门户网站", "第二级", "2021年5月", ""],
            ["3", "市教委", "市第三中学", "OA系统", "第二级", "2020年第四季度", ""],
        ],
    );
    let out = wh.ingest(&[&file]);
    assert!(out.contains("2 loaded, 1 rejected"), "{out}");
    let rejects = wh.rows("SELECT source_row, reason FROM rejects");
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0][0], "5");
    assert!(
        rejects[0][1].contains("the planned time is in 2021, outside the plan's year 2020"),
        "{rejects:?}"
    );
}

/// More than half of a sheet's rows rejected for one column: the header was probably
/// misread, so the file stops with the header row and the column named.
#[test]
fn most_rows_rejected_for_one_column_stops_the_file_unless_accepted() {
    let wh = TestWarehouse::new();
    let file = office_plan(
        &wh,
        "计划.xlsx",
        "2020年公共管理信息系统安全测评计划预告",
        &[
            ["1", "市教委", "市第一中学", "教务系统", "九级", "三季度", ""],
            ["2", "市教委", "市第二中学", "门户网站", "十级", "三季度", ""],
            ["3", "市教委", "市第三中学", "OA系统", "第二级", "三季度", ""],
        ],
    );
    let (code, err) = wh.fail(&["ingest", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("计划.xlsx, sheet 计划, column 安全保护等级: 2 of 3 data rows would be rejected for this column"),
        "{err}"
    );
    assert!(err.contains("the header was taken from row 3"), "{err}");
    assert!(
        err.contains("ceping inspect") && err.contains("--accept-rejects"),
        "{err}"
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "0");
    let inspect = wh.run(&["inspect", file.to_str().unwrap()]);
    assert!(
        inspect.contains("WARNING: 2 of 3 data rows would be rejected for column 安全保护等级"),
        "{inspect}"
    );
    let out = wh.run(&["ingest", "--accept-rejects", file.to_str().unwrap()]);
    assert!(out.contains("1 loaded, 2 rejected"), "{out}");
}
