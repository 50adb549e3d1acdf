//! `ceping optimize`: compaction as one recorded warehouse version, then vacuum.

use std::path::{Path, PathBuf};

use crate::common::{fixture, xlsx, TestWarehouse};

fn data_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        .count()
}

/// 30 one-row plans, results and findings: compaction leaves one file per table, the
/// same rows and figures, one new warehouse version (`(optimize)` in the history), and
/// an older version still readable until a vacuum with no retention deletes its files.
#[test]
fn optimize_compacts_as_one_version_with_the_same_figures_then_vacuums() {
    let wh = TestWarehouse::new();
    let header: &[&str] = &["主管部门", "预算单位", "系统名称", "安全保护等级", "计划测评时间"];
    let files: Vec<PathBuf> = (0..30)
        .map(|i| {
            let path = wh.file(&format!("2019年测评计划预告_{i:02}.xlsx"));
            let system = format!("系统{i}");
            let row: &[&str] = &["市教委", "考试院", &system, "第三级", "二季度"];
            xlsx(&path, &[("计划", &[header, row])]);
            path
        })
        .collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    wh.ingest(&refs);
    wh.ingest(&[
        &fixture("assessments_2019.xlsx"),
        &fixture("findings_2019.xlsx"),
        &fixture("findings_2019_v2.xlsx"),
    ]);
    let figures = |as_of: Option<&str>| {
        let mut out = Vec::new();
        for view in [
            "plan_coverage",
            "execution_by_quarter",
            "rectification_progress",
            "cycle_status",
        ] {
            let mut args = vec!["sql", "--format", "csv"];
            if let Some(v) = as_of {
                args.extend(["--as-of", v]);
            }
            let sql = format!("SELECT * FROM {view}");
            args.push(&sql);
            let mut rows = wh.rows_of(&args);
            rows.sort();
            out.push(rows);
        }
        out
    };
    let before = figures(None);
    let old = figures(Some("10"));
    assert_eq!(data_files(&wh.path().join("plan_items")), 30);
    let out = wh.run(&["optimize", "--no-vacuum"]);
    assert!(out.contains("plan_items: 30 data files → 1"), "{out}");
    assert!(out.contains("warehouse version 34"), "{out}");
    assert_eq!(figures(None), before);
    assert_eq!(figures(Some("10")), old, "time travel reads the old files");
    assert_eq!(
        wh.rows("SELECT file_name, kind, rows_loaded FROM ingest_log WHERE warehouse_version = 34"),
        vec![vec!["(optimize)", "optimize", "0"]]
    );
    let check = wh.run(&["check"]);
    assert!(check.contains("warehouse version 34: consistent"), "{check}");
    // Vacuum with no retention: the 30 compacted files go; the newest version reads on.
    let out = wh.run(&["optimize", "--retention-hours", "0"]);
    assert!(out.contains("nothing to compact"), "{out}");
    assert!(out.contains("vacuum: "), "{out}");
    assert_eq!(data_files(&wh.path().join("plan_items")), 1);
    assert_eq!(figures(None), before);
    let (code, err) = wh.fail(&["sql", "--as-of", "10", "SELECT count(DISTINCT system) FROM plan_items"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("hint: a data file of the version read is gone; `ceping optimize` deletes"),
        "{err}"
    );
    // A new ingest after both builds on the compacted table.
    let out = wh.ingest(&[&fixture("plan_2021.xls")]);
    assert!(out.contains("→ warehouse version 35"), "{out}");
    assert!(wh.run(&["check"]).contains("consistent"));
}
