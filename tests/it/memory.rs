//! Memory is bounded by a batch, not by the file: a 200,000-row plan with half its rows
//! rejected and a 200,000-row findings workbook (a keyed kind) each ingest within a
//! bound, measured as the child process's peak RSS (`wait4`'s `ru_maxrss`).

use std::path::Path;
use std::process::Command;

use crate::common::TestWarehouse;

const ROWS: usize = 200_000;
/// Peak RSS allowed for one ingest of ROWS rows (the target at 1M rows is 400 MB).
const BOUND_MB: i64 = 400;

/// Runs `ceping ARGS` on the warehouse; (success, peak RSS in MB, stderr). The peak is
/// the kernel's high-water mark of the child's resident set (`VmHWM`), read until it exits.
pub(crate) fn peak_rss(wh: &TestWarehouse, args: &[&str]) -> (bool, i64, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ceping"))
        .arg("--warehouse")
        .arg(wh.path())
        .args(args)
        .env_remove("CEPING_WAREHOUSE")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).ok();
        s
    });
    let mut peak_kb = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (status.success(), peak_kb / 1024, reader.join().unwrap())
}

/// Rows `rows` (numbered from 1 in the first column, 序号) under a title and a header.
fn write_xlsx(
    path: &Path,
    header: &[&str],
    title: &str,
    rows: std::ops::Range<usize>,
    row: impl Fn(usize) -> Vec<String>,
) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, title).unwrap();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for (n, i) in rows.enumerate() {
        let r = n as u32 + 2;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        for (c, v) in row(i).iter().enumerate() {
            ws.write_string(r, c as u16 + 1, v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn ingest_memory_is_bounded_by_the_batch_for_bad_rows_and_keyed_kinds() {
    let wh = TestWarehouse::new();
    let plan = wh.file("2020年测评计划预告.xlsx");
    write_xlsx(
        &plan,
        &[
            "序号",
            "主管部门",
            "预算单位",
            "系统名称",
            "安全保护等级",
            "计划测评时间",
        ],
        "2020年公共管理信息系统安全测评计划预告",
        0..ROWS,
        |i| {
            vec![
                format!("部门{}", i % 400),
                format!("单位{}", i % 3000),
                format!("系统{i:07}"),
                // Every other row has a level that does not exist: rejected.
                if i % 2 == 0 {
                    "第三级".into()
                } else {
                    format!("{}级", 9 + i % 7)
                },
                "二季度".into(),
            ]
        },
    );
    let (ok, mb, err) = peak_rss(&wh, &["ingest", plan.to_str().unwrap()]);
    assert!(ok, "{err}");
    eprintln!("memory: plan of {ROWS} rows, half rejected: peak {mb} MB");
    assert!(mb < BOUND_MB, "plan with half its rows rejected: {mb} MB");
    assert_eq!(wh.scalar("SELECT count(*) FROM rejects"), (ROWS / 2).to_string());
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), (ROWS / 2).to_string());

    let findings = wh.file("2020年测评发现问题整改情况.xlsx");
    write_xlsx(
        &findings,
        &["序号", "报告编号", "风险等级", "问题描述", "整改方式", "整改状态"],
        "2020年测评发现问题整改情况",
        0..ROWS,
        finding(false),
    );
    let (ok, mb, err) = peak_rss(&wh, &["ingest", findings.to_str().unwrap()]);
    assert!(ok, "{err}");
    eprintln!("memory: findings of {ROWS} rows (keyed MERGE): peak {mb} MB");
    assert!(mb < BOUND_MB, "findings: {mb} MB");
    assert_eq!(wh.scalar("SELECT count(*) FROM findings"), ROWS.to_string());

    // A newer workbook: the second half of those findings fixed (updates) and as many new
    // ones (inserts). The upsert rewrites by key digests, never a hash table of a side.
    let later = wh.file("2020年测评发现问题整改情况（更新）.xlsx");
    write_xlsx(
        &later,
        &[
            "序号",
            "报告编号",
            "风险等级",
            "问题描述",
            "整改方式",
            "整改状态",
            "完成日期",
        ],
        "2020年测评发现问题整改情况",
        ROWS / 2..ROWS * 3 / 2,
        finding(true),
    );
    let (ok, mb, err) = peak_rss(&wh, &["ingest", later.to_str().unwrap()]);
    assert!(ok, "{err}");
    eprintln!("memory: findings of {ROWS} rows, half updating, half new: peak {mb} MB");
    assert!(mb < BOUND_MB, "findings update: {mb} MB");
    assert_eq!(
        wh.rows(
            "SELECT status, source_file, count(*), count(DISTINCT finding_id) FROM findings \
             GROUP BY status, source_file ORDER BY status"
        ),
        vec![
            vec![
                "fixed",
                "2020年测评发现问题整改情况（更新）.xlsx",
                &ROWS.to_string(),
                &ROWS.to_string()
            ],
            vec![
                "open",
                "2020年测评发现问题整改情况.xlsx",
                &(ROWS / 2).to_string(),
                &(ROWS / 2).to_string()
            ],
        ]
    );
    let check = wh.run(&["check"]);
    assert!(check.contains("consistent"), "{check}");
}

/// Finding `i` of the memory workbooks: report R2020-(i/10), open, or fixed on 2020-06-30.
fn finding(fixed: bool) -> impl Fn(usize) -> Vec<String> {
    move |i| {
        let mut row = vec![
            format!("R2020-{:06}", i / 10),
            ["高", "中", "低"][i % 3].into(),
            format!("问题描述{i}"),
            "系统改造".into(),
            if fixed { "已整改" } else { "未整改" }.into(),
        ];
        if fixed {
            row.push("2020-06-30".into());
        }
        row
    }
}

/// `--memory-limit`: a sort larger than the limit spills to temporary files and gives the
/// same rows as without a limit; EXPLAIN ANALYZE shows the spills.
#[test]
fn a_query_larger_than_the_memory_limit_spills_and_finishes() {
    let wh = TestWarehouse::new();
    let query = "SELECT value * 7919 % 1000003 AS k, value FROM range(2000000) ORDER BY k, value";
    let free = wh.run(&["sql", query, "--format", "csv"]);
    let limited = wh.run(&["--memory-limit", "48M", "sql", query, "--format", "csv"]);
    assert_eq!(limited.lines().count(), 2_000_001);
    assert!(limited == free, "the spilled sort gave other rows");
    let analyzed = wh.run(&["--memory-limit", "48M", "sql", &format!("EXPLAIN ANALYZE {query}")]);
    let spills: u64 = analyzed
        .split("spill_count=")
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<u64>().ok())
        .sum();
    assert!(spills > 0, "no spill under 48M: {analyzed}");
    let unlimited = wh.run(&["sql", &format!("EXPLAIN ANALYZE {query}")]);
    assert!(!unlimited.contains("spill_count=1"), "{unlimited}");
}
