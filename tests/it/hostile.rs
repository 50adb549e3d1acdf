//! Hostile and odd workbooks: each is refused with one error naming the file, sheet (and
//! cell) and the limit, or read by a stated rule, and the warehouse is unchanged.
//! The files are generated here (small zips that would inflate large).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{s, xlsx, TestWarehouse};
use crate::memory::peak_rss;

const PLAN_HEADER: &[&str] = &["主管部门", "预算单位", "系统名称", "安全保护等级", "计划测评时间"];

fn plan(wh: &TestWarehouse, name: &str, rows: &[&[&str]]) -> PathBuf {
    let path = wh.file(name);
    let mut all: Vec<&[&str]> = vec![PLAN_HEADER];
    all.extend_from_slice(rows);
    xlsx(&path, &[("计划", &all)]);
    path
}

fn unchanged(wh: &TestWarehouse) {
    assert_eq!(
        wh.scalar("SELECT count(*) FROM ingest_log"),
        "0",
        "the warehouse is unchanged"
    );
}

/// Rewrites entries of a zip (an .xlsx): `edit(name, bytes)` returns the new bytes.
fn rewrite_zip(path: &Path, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut entry = src.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        out.write_all(&edit(&name, data)).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn a_cell_longer_than_the_limit_stops_the_file_with_its_cell_named() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    // Excel writers refuse such a cell: put it into the shared strings by hand.
    let file = plan(
        &wh,
        "2020年测评计划预告.xlsx",
        &[&["市教委", "LONGCELL", "系统", "第三级", "二季度"]],
    );
    rewrite_zip(&file, |name, data| {
        if name == "xl/sharedStrings.xml" {
            String::from_utf8(data)
                .unwrap()
                .replace("LONGCELL", &"长".repeat(40_000))
                .into_bytes()
        } else {
            data
        }
    });
    let err = refused(&wh, &["ingest", file.to_str().unwrap()]);
    assert!(
        err.contains("sheet 计划, row 2, column B: a cell of 40000 characters, more than the limit cell_chars = 32767"),
        "{err}"
    );
    unchanged(&wh);
    // The limit is a setting: raised, the file loads (the long name is a unit's name).
    let out = wh.run(&["--limit", "cell_chars=50000", "ingest", file.to_str().unwrap()]);
    assert!(out.contains("1 loaded"), "{out}");
}

#[test]
fn rows_columns_and_merged_regions_beyond_their_limits_are_refused() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let file = plan(
        &wh,
        "2020年测评计划预告.xlsx",
        &[
            &["市教委", "考试院", "系统一", "第三级", "二季度"],
            &["市教委", "考试院", "系统二", "第三级", "二季度"],
            &["市教委", "考试院", "系统三", "第三级", "二季度"],
        ],
    );
    let f = file.to_str().unwrap();
    let err = refused(&wh, &["--limit", "rows=3", "ingest", f]);
    assert!(
        err.contains("row 4, column A: a cell in row 4, more than the limit rows = 3"),
        "{err}"
    );
    let err = refused(&wh, &["--limit", "columns=4", "ingest", f]);
    assert!(
        err.contains("column E: a cell in column 5, more than the limit columns = 4"),
        "{err}"
    );

    let merged = wh.file("2021年测评计划预告.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("计划").unwrap();
    for (c, h) in PLAN_HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let fmt = rust_xlsxwriter::Format::new();
    for i in 0..3u32 {
        ws.merge_range(1 + 2 * i, 0, 2 + 2 * i, 0, "市教委", &fmt).unwrap();
        for r in [1 + 2 * i, 2 + 2 * i] {
            ws.write_string(r, 1, "考试院").unwrap();
            ws.write_string(r, 2, format!("系统{r}")).unwrap();
            ws.write_string(r, 3, "第三级").unwrap();
        }
    }
    wb.save(&merged).unwrap();
    let err = refused(
        &wh,
        &["--limit", "merged_regions=2", "ingest", merged.to_str().unwrap()],
    );
    assert!(
        err.contains("sheet 计划: at least 3 merged regions, more than the limit merged_regions = 2"),
        "{err}"
    );
    unchanged(&wh);
    let out = wh.run(&["ingest", merged.to_str().unwrap()]);
    assert!(out.contains("6 loaded"), "merged department cells fill down: {out}");
}

#[test]
fn a_sheet_that_would_inflate_past_the_limit_is_refused_before_inflating() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let file = plan(
        &wh,
        "2020年测评计划预告.xlsx",
        &[&["市教委", "考试院", "系统", "第三级", "二季度"]],
    );
    // 200 MB of whitespace between rows: ~200 KB on disk.
    rewrite_zip(&file, |name, data| {
        if name != "xl/worksheets/sheet1.xml" {
            return data;
        }
        let text = String::from_utf8(data).unwrap();
        text.replacen("<sheetData>", &format!("<sheetData>{}", " ".repeat(200 << 20)), 1)
            .into_bytes()
    });
    assert!(std::fs::metadata(&file).unwrap().len() < 2 << 20);
    let (ok, peak_mb, err) = peak_rss(&wh, &["--limit", "sheet_bytes=64M", "ingest", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("sheet 计划 inflates to") && err.contains("more than the limit sheet_bytes = 67108864"),
        "{err}"
    );
    assert!(
        peak_mb < 150,
        "refused from the zip directory, not after inflating: {peak_mb} MB"
    );
    unchanged(&wh);
}

/// Two sheets of one name (Excel refuses it; a crafted .xlsx can hold it): both are read,
/// by position, the second reported and recorded as `计划 (sheet 2)`.
#[test]
fn two_sheets_of_one_name_are_both_read_by_position() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let file = wh.file("2020年测评计划预告.xlsx");
    let first: &[&[&str]] = &[PLAN_HEADER, &["市教委", "考试院", "系统一", "第三级", "二季度"]];
    let second: &[&[&str]] = &[PLAN_HEADER, &["市教委", "考试院", "系统二", "第三级", "二季度"]];
    xlsx(&file, &[("计划", first), ("计划B", second)]);
    rewrite_zip(&file, |name, data| {
        if name == "xl/workbook.xml" {
            String::from_utf8(data)
                .unwrap()
                .replace("name=\"计划B\"", "name=\"计划\"")
                .into_bytes()
        } else {
            data
        }
    });
    let out = wh.ingest(&[&file]);
    assert!(out.contains("计划 (sheet 2)"), "{out}");
    assert_eq!(
        wh.rows("SELECT source_sheet, system FROM plan_items ORDER BY source_sheet"),
        vec![vec!["计划", "系统一"], vec!["计划 (sheet 2)", "系统二"]]
    );
}

#[test]
fn control_characters_are_removed_from_names_and_sub_fen_amounts_rejected() {
    let wh = TestWarehouse::new();
    let file = plan(
        &wh,
        "2020年测评计划预告.xlsx",
        &[&[
            "市教委",
            "考试\u{1b}[31m院\u{202e}",
            "报名\u{0}系统",
            "第三级",
            "二季度",
        ]],
    );
    wh.ingest(&[&file]);
    assert_eq!(
        wh.rows("SELECT unit, system FROM plan_items"),
        vec![vec!["考试[31m院".to_string(), "报名系统".to_string()]]
    );

    let budgets = wh.file("2020年网络安全经费预算.xlsx");
    xlsx(
        &budgets,
        &[(
            "经费",
            &[
                &[
                    "年度",
                    "主管部门",
                    "预算单位",
                    "经费类别",
                    "申请金额（元）",
                    "批复金额（元）",
                    "执行金额（元）",
                ],
                &["2020", "市教委", "考试院", "测评", "0.004", "100", "50"],
                &["2020", "市教委", "电教馆", "测评", "0.01", "100", "50"],
            ],
        )],
    );
    let out = wh.ingest(&[&budgets]);
    assert!(out.contains("1 loaded, 1 rejected"), "{out}");
    let reason = wh.scalar("SELECT reason FROM rejects WHERE source_file LIKE '%经费%'");
    assert!(reason.contains("less than one fen"), "{reason}");
}

#[test]
fn a_file_name_that_is_not_utf8_is_recorded_escaped() {
    use std::os::unix::ffi::OsStrExt;
    let wh = TestWarehouse::new();
    let good = plan(
        &wh,
        "2020年测评计划预告.xlsx",
        &[&["市教委", "考试院", "系统", "第三级", "二季度"]],
    );
    let mut name = b"2020\xff\xfe".to_vec();
    name.extend_from_slice("年测评计划预告.xlsx".as_bytes());
    let odd = wh.dir.path().join(std::ffi::OsStr::from_bytes(&name));
    std::fs::rename(&good, &odd).unwrap();
    let out = wh.cmd().args(["ingest", "--year", "2020"]).arg(&odd).output().unwrap();
    assert!(out.status.success(), "{}", s(&out.stderr));
    assert!(
        s(&out.stderr).contains("the file name is not UTF-8"),
        "{}",
        s(&out.stderr)
    );
    let recorded = "2020\\xFF\\xFE年测评计划预告.xlsx";
    assert_eq!(wh.scalar("SELECT file_name FROM ingest_log"), recorded);
    assert_eq!(wh.scalar("SELECT DISTINCT source_file FROM plan_items"), recorded);
}

/// A plan whose cells marked 987654321 are error cells (`t="e"`) holding `value`.
fn plan_with_error_cells(wh: &TestWarehouse, name: &str, value: &str) -> PathBuf {
    let path = wh.file(name);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("计划").unwrap();
    let header = [
        "主管部门",
        "预算单位",
        "系统名称",
        "安全保护等级",
        "计划测评时间",
        "备注",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: the error in the unit column (mapped); row 3: in 备注 (not mapped); row 4 clean.
    let rows: [[&str; 6]; 3] = [
        ["市教委", "ERR", "系统一", "第三级", "二季度", ""],
        ["市教委", "考试院", "系统二", "第三级", "二季度", "ERR"],
        ["市教委", "考试院", "系统三", "第三级", "二季度", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match *v {
                "ERR" => ws.write_number(r as u32 + 1, c as u16, 987654321).map(|_| ()),
                "" => Ok(()),
                v => ws.write_string(r as u32 + 1, c as u16, v).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save(&path).unwrap();
    rewrite_zip(&path, |name, data| {
        if name.starts_with("xl/worksheets/") {
            String::from_utf8(data)
                .unwrap()
                .replace("><v>987654321</v>", &format!(" t=\"e\"><v>{value}</v>"))
                .into_bytes()
        } else {
            data
        }
    });
    path
}

/// The error fixtures' outcome: row 2 (the error in the unit column) rejected naming
/// `value`, row 3 (the error in 备注, not mapped) and row 4 loaded.
fn only_row_2_rejected(wh: &TestWarehouse, out: &str, value: &str) {
    assert!(out.contains("2 loaded, 1 rejected"), "{value}: {out}");
    let reject = wh.rows("SELECT source_row, column_name, value, reason FROM rejects");
    assert_eq!(reject.len(), 1, "{value}: {reject:?}");
    assert_eq!((reject[0][0].as_str(), reject[0][2].as_str()), ("2", value));
    assert!(
        reject[0][3].contains(&format!("the error value {value}")),
        "{value}: {reject:?}"
    );
    assert_eq!(
        wh.rows("SELECT system FROM plan_items ORDER BY source_row"),
        vec![vec!["系统二".to_string()], vec!["系统三".to_string()]],
        "{value}: the error in an unmapped column is ignored"
    );
}

#[test]
fn newer_excel_error_values_are_error_cells_rejected_where_mapped_and_ignored_elsewhere() {
    for value in [
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#BUSY!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#PYTHON!",
        "#REF!",
    ] {
        let wh = TestWarehouse::new();
        let file = plan_with_error_cells(&wh, "2020年测评计划预告.xlsx", value);
        let out = wh.ingest(&[&file]);
        only_row_2_rejected(&wh, &out, value);
    }
}

/// An .ods plan as LibreOffice writes one: text cells, and error cells as a formula whose
/// result is an error (`calcext:value-type="error"`, the error's text in the paragraph).
/// `ERR` marks the cells that hold `value`.
fn ods_with_error_cells(wh: &TestWarehouse, name: &str, value: &str) -> PathBuf {
    let rows: [[&str; 6]; 4] = [
        [
            "主管部门",
            "预算单位",
            "系统名称",
            "安全保护等级",
            "计划测评时间",
            "备注",
        ],
        ["市教委", "ERR", "系统一", "第三级", "二季度", ""],
        ["市教委", "考试院", "系统二", "第三级", "二季度", "ERR"],
        ["市教委", "考试院", "系统三", "第三级", "二季度", ""],
    ];
    let mut body = String::new();
    for row in rows {
        body.push_str("<table:table-row>");
        for v in row {
            body.push_str(&match v {
                "" => "<table:table-cell/>".to_string(),
                "ERR" => format!(
                    r#"<table:table-cell table:formula="of:=[.Z99]" office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>{value}</text:p></table:table-cell>"#
                ),
                v => format!(r#"<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{v}</text:p></table:table-cell>"#),
            });
        }
        body.push_str("</table:table-row>");
    }
    let path = wh.file(name);
    ods_file(&path, &[("计划", &body)]);
    path
}

/// Writes an .ods package holding one table per `(name, rows' XML)`.
fn ods_file(path: &Path, tables: &[(&str, &str)]) {
    let tables: String = tables
        .iter()
        .map(|(name, body)| format!(r#"<table:table table:name="{name}">{body}</table:table>"#))
        .collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", deflated).unwrap();
    zip.write_all(manifest.as_bytes()).unwrap();
    zip.start_file("content.xml", deflated).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
}

/// An .ods table's rows of text cells.
fn ods_rows(rows: &[&[&str]]) -> String {
    rows.iter()
        .map(|row| {
            let cells: String = row
                .iter()
                .map(|v| {
                    format!(r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#)
                })
                .collect();
            format!("<table:table-row>{cells}</table:table-row>")
        })
        .collect()
}

/// Two or three sheets of one name in an .ods file (LibreOffice refuses it; a generator
/// can write it): every sheet is read by position, as in .xlsx.
#[test]
fn ods_sheets_of_one_name_are_all_read_by_position() {
    let wh = TestWarehouse::new();
    let file = wh.file("2020年测评计划预告.ods");
    let one = ods_rows(&[PLAN_HEADER, &["市教委", "考试院", "系统一", "第三级", "二季度"]]);
    let two = ods_rows(&[PLAN_HEADER, &["市教委", "考试院", "系统二", "第三级", "二季度"]]);
    let three = ods_rows(&[PLAN_HEADER, &["市教委", "考试院", "系统三", "第三级", "二季度"]]);
    ods_file(&file, &[("计划", &one), ("计划", &two), ("Q&amp;A", &three)]);
    let out = wh.ingest(&[&file]);
    assert!(out.contains("计划 (sheet 2)"), "{out}");
    assert!(out.contains("3 loaded"), "{out}");
    assert_eq!(
        wh.rows("SELECT source_sheet, system FROM plan_items ORDER BY system"),
        // (一 三 二 in code point order)
        vec![
            vec!["计划", "系统一"],
            vec!["Q&A", "系统三"],
            vec!["计划 (sheet 2)", "系统二"]
        ]
    );
}

/// The same in .xls (BIFF8, written by xlwt and renamed after it checked): a repeated
/// name stored as UTF-16 (计划) and one stored as 8-bit (Sheet1), three times.
#[test]
fn xls_sheets_of_one_name_are_all_read_by_position() {
    let Some(python) = crate::common::python(&["xlwt"]) else {
        return;
    };
    let wh = TestWarehouse::new();
    let file = wh.file("2020年测评计划预告.xls");
    let script = r##"
import sys, xlwt
wb = xlwt.Workbook(encoding="utf-8")
header = ["主管部门", "预算单位", "系统名称", "安全保护等级", "计划测评时间"]
for i, (name, real) in enumerate([("计划", "计划"), ("计划x", "计划"), ("Sheet1", "Sheet1"), ("Sheet1x", "Sheet1"), ("Sheet1y", "Sheet1")]):
    ws = wb.add_sheet(name)
    ws.name = real
    for c, h in enumerate(header):
        ws.write(0, c, h)
    for c, v in enumerate(["市教委", "考试院", "系统%d" % (i + 1), "第三级", "二季度"]):
        ws.write(1, c, v)
wb.save(sys.argv[1])
"##;
    write_with_python(&python, script, &file);
    let out = wh.ingest(&[&file]);
    assert!(out.contains("5 loaded"), "{out}");
    assert_eq!(
        wh.rows("SELECT source_sheet, system FROM plan_items ORDER BY system"),
        vec![
            vec!["计划", "系统1"],
            vec!["计划 (sheet 2)", "系统2"],
            vec!["Sheet1", "系统3"],
            vec!["Sheet1 (sheet 4)", "系统4"],
            vec!["Sheet1 (sheet 5)", "系统5"]
        ]
    );
}

/// In .ods files the error values LibreOffice shows (its own `Err:502` and the ones it
/// shares with Excel, new and old) are error cells too: rejected where mapped, ignored
/// elsewhere. (.xls cannot hold the newer values: BIFF8 has eight fixed error codes, so
/// an .xls holds `#REF!`, `#N/A` … or the text of a newer value, read by the same rule.)
#[test]
fn error_values_in_ods_files_are_error_cells() {
    for value in ["#SPILL!", "#CALC!", "#N/A", "#REF!", "Err:502"] {
        let wh = TestWarehouse::new();
        let file = ods_with_error_cells(&wh, "2020年测评计划预告.ods", value);
        let out = wh.ingest(&[&file]);
        only_row_2_rejected(&wh, &out, value);
    }
}

/// In .xls (BIFF8) files, written by xlwt: the error codes BIFF8 has (`#REF!`, `#N/A`,
/// `#DIV/0!`) are error cells, and a newer value stored as its text (`#SPILL!`, as WPS
/// exports it) is read by the same rule: rejected where mapped, ignored elsewhere.
#[test]
fn error_values_in_xls_files_are_error_cells() {
    let Some(python) = crate::common::python(&["xlwt"]) else {
        return;
    };
    let wh = TestWarehouse::new();
    let file = wh.file("2020年测评计划预告.xls");
    let script = r##"
import sys, xlwt
wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("计划")
for c, h in enumerate(["主管部门", "预算单位", "系统名称", "安全保护等级", "计划测评时间", "备注"]):
    ws.write(0, c, h)
rows = [
    ["市教委", 0x17, "系统一", "第三级", "二季度", ""],
    ["市教委", "考试院", "系统二", "第三级", "二季度", 0x2A],
    ["市教委", 0x2A, "系统三", "第三级", "二季度", ""],
    ["市教委", "考试院", "系统四", "第三级", "二季度", 0x07],
    ["市教委", "#SPILL!", "系统五", "第三级", "二季度", ""],
    ["市教委", "考试院", "系统六", "第三级", "二季度", "#CALC!"],
]
for r, row in enumerate(rows, start=1):
    for c, v in enumerate(row):
        if isinstance(v, int):
            ws.row(r).set_cell_error(c, v)
        elif v:
            ws.write(r, c, v)
wb.save(sys.argv[1])
"##;
    write_with_python(&python, script, &file);
    let out = wh.ingest(&[&file]);
    assert!(out.contains("3 loaded, 3 rejected"), "{out}");
    assert_eq!(
        wh.rows("SELECT source_row, value FROM rejects ORDER BY source_row"),
        vec![vec!["2", "#REF!"], vec!["4", "#N/A"], vec!["6", "#SPILL!"]]
    );
    assert_eq!(
        wh.rows("SELECT system FROM plan_items ORDER BY source_row"),
        vec![vec!["系统二"], vec!["系统四"], vec!["系统六"]]
    );
}

/// Runs an ingest that must be refused: its stderr, after checking that it failed without
/// a panic and that its peak memory (the child's high-water mark) stayed bounded.
fn refused(wh: &TestWarehouse, args: &[&str]) -> String {
    let (ok, peak_mb, err) = peak_rss(wh, args);
    assert!(!ok, "ceping {args:?} should fail");
    assert!(!err.contains("panicked") && !err.contains("internal error"), "{err}");
    assert!(peak_mb < 300, "ceping {args:?} peaked at {peak_mb} MB");
    err
}

/// Runs `script` (given the output path as its argument) to write a workbook.
fn write_with_python(python: &Path, script: &str, file: &Path) {
    let out = std::process::Command::new(python)
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", s(&out.stderr));
}

/// Sets the uncompressed size the zip declares for `part` (local header and central
/// directory) to `size`: a zip that lies about how large a part inflates.
fn declare_size(path: &Path, part: &str, size: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    let name = part.as_bytes();
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(46) {
        let (sig, name_at, size_at) = match &bytes[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => (0, 30, 22),
            [0x50, 0x4b, 0x01, 0x02] => (1, 46, 24),
            _ => continue,
        };
        let len_at = if sig == 0 { 26 } else { 28 };
        let len = u16::from_le_bytes([bytes[i + len_at], bytes[i + len_at + 1]]) as usize;
        if bytes.get(i + name_at..i + name_at + len) == Some(name) {
            bytes[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "{part}: local header and central directory");
    std::fs::write(path, bytes).unwrap();
}

/// A zip that declares a small size for a part that inflates large: the declared sizes,
/// which the limits are checked against before anything is inflated, also bound the
/// inflating (the zip reader stops past a part's declared size), so a lying part is a
/// corrupt file, for the shared strings (held in memory) and for a sheet alike.
#[test]
fn a_part_that_inflates_past_its_declared_size_is_refused_while_inflating() {
    for part in ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"] {
        let wh = TestWarehouse::new();
        wh.run(&["init"]);
        let file = plan(
            &wh,
            "2020年测评计划预告.xlsx",
            &[&["市教委", "考试院", "系统", "第三级", "二季度"]],
        );
        rewrite_zip(&file, |name, data| {
            if name != part {
                return data;
            }
            let text = String::from_utf8(data).unwrap();
            let at = text.rfind("</").unwrap();
            format!("{}{}{}", &text[..at], " ".repeat(100 << 20), &text[at..]).into_bytes()
        });
        declare_size(&file, part, 4096);
        let (ok, peak_mb, err) = peak_rss(&wh, &["ingest", file.to_str().unwrap()]);
        assert!(!ok, "{part}");
        assert!(
            err.contains("2020年测评计划预告.xlsx") && err.contains("larger than its declared uncompressed size"),
            "{part}: {err}"
        );
        assert!(peak_mb < 150, "{part}: stopped while inflating: {peak_mb} MB");
        unchanged(&wh);
    }
}

/// A crafted file from `bench/make_crafted.py` (the generator the benchmark of the crafted
/// files uses at gigabyte sizes), written with the system's Python (standard library only).
fn crafted(wh: &TestWarehouse, class: &str, size: &str) -> PathBuf {
    let path = wh.file(&format!("2020年测评计划预告_{class}.xlsx"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/make_crafted.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args([class, size])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", s(&out.stderr));
    assert!(
        std::fs::metadata(&path).unwrap().len() < 2 << 20,
        "{class}: small on disk"
    );
    path
}

/// Each class of crafted file is answered with memory bounded however large it inflates
/// (120 MB here; the benchmark's 1.5 GB versions in docs/PERFORMANCE.md): ceping's reader
/// never holds a token, a value or the merged regions past their bounds.
#[test]
fn crafted_files_are_answered_in_bounded_memory() {
    // Loaded: a blank cell of 120 MB of spaces, 120 MB of whitespace between rows, a cell
    // of ideographic spaces as entities (3 bytes a character: a cut at the byte bound would
    // split one; it panicked once), a blank cell in a million rich-text runs.
    for (class, size) in [
        ("cell-spaces", "120M"),
        ("between", "120M"),
        ("cell-wide", "1000K"),
        ("cell-runs", "40M"),
    ] {
        let wh = TestWarehouse::new();
        wh.run(&["init"]);
        let file = crafted(&wh, class, size);
        let (ok, peak_mb, err) = peak_rss(&wh, &["ingest", file.to_str().unwrap()]);
        assert!(ok, "{class}: {err}");
        assert!(peak_mb < 200, "{class}: {peak_mb} MB");
        assert_eq!(
            wh.scalar("SELECT count(*) FROM plan_items"),
            "2",
            "{class}: the two good rows"
        );
    }
    // Refused while streaming, each naming its limit.
    let cases = [
        (
            "cell-text",
            "120M",
            vec![],
            "sheet 计划, row 3, column B: a cell with more than 327734 bytes of text, more than the limit cell_chars = 32767",
        ),
        ("comment", "40M", vec![], "the sheet is corrupt: markup (a tag or comment) longer than 16777216 bytes"),
        (
            "merges",
            "500000",
            vec!["--limit", "merged_regions=100000"],
            "sheet 计划: at least 100001 merged regions, more than the limit merged_regions = 100000",
        ),
        (
            "sst-unused",
            "300M",
            vec![],
            "more than the limit shared_strings_bytes = 268435456",
        ),
        // The zip's directory says 1 KB: the inflater stops at the declared size.
        (
            "sst-lying",
            "20M",
            vec![],
            "_sst-lying.xlsx: the workbook is corrupt: xl/sharedStrings.xml: I/O error: File is larger than its declared uncompressed size",
        ),
    ];
    for (class, size, flags, message) in cases {
        let wh = TestWarehouse::new();
        wh.run(&["init"]);
        let file = crafted(&wh, class, size);
        let mut args = flags.clone();
        args.extend(["ingest", file.to_str().unwrap()]);
        let err = refused(&wh, &args);
        assert!(err.contains(message), "{class}: {err}");
        unchanged(&wh);
    }
}
