//! `TestWarehouse`: a temporary warehouse and helpers to run `ceping` against it.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub struct TestWarehouse {
    pub dir: TempDir,
    /// A warehouse on object storage: its `s3://` URL and the environment to reach it.
    pub remote: Option<(String, Vec<(String, String)>)>,
}

impl TestWarehouse {
    pub fn new() -> Self {
        TestWarehouse {
            dir: tempfile::tempdir().expect("a temp dir"),
            remote: None,
        }
    }

    /// A warehouse at `url` (s3://…), reached with `env` (files still go to a temp dir).
    pub fn remote(url: &str, env: Vec<(String, String)>) -> Self {
        TestWarehouse {
            dir: tempfile::tempdir().expect("a temp dir"),
            remote: Some((url.to_string(), env)),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("wh")
    }

    /// A file path inside the test's temp dir (outside the warehouse).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// The same command as a `std::process::Command`, for a process run in the background.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ceping"));
        match &self.remote {
            Some((url, env)) => {
                c.arg("--warehouse").arg(url).envs(env.iter().map(|(k, v)| (k, v)));
            }
            None => {
                c.arg("--warehouse").arg(self.path());
            }
        }
        c.env_remove("CEPING_WAREHOUSE")
            .env_remove("RUST_LOG")
            .env_remove("COLUMNS")
            .env_remove("CEPING_FAULT");
        c
    }

    pub fn output(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("ceping runs")
    }

    /// Runs and asserts success; returns stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "ceping {args:?} failed:\nstdout: {}\nstderr: {}",
            s(&out.stdout),
            s(&out.stderr)
        );
        s(&out.stdout)
    }

    /// Runs and asserts failure; returns (exit code, stderr).
    pub fn fail(&self, args: &[&str]) -> (i32, String) {
        let out = self.output(args);
        assert!(
            !out.status.success(),
            "ceping {args:?} should fail:\nstdout: {}",
            s(&out.stdout)
        );
        let stderr = s(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("stack backtrace") && !stderr.contains("internal error"),
            "no panic: {stderr}"
        );
        (out.status.code().unwrap_or(-1), stderr)
    }

    pub fn ingest(&self, files: &[&Path]) -> String {
        let mut args = vec!["ingest".to_string()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs)
    }

    /// Query rows as CSV fields (header dropped).
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let out = self.run(&["sql", "--format", "csv", sql]);
        parse_csv(&out).into_iter().skip(1).collect()
    }

    /// Rows of any command's CSV output (header dropped).
    pub fn rows_of(&self, args: &[&str]) -> Vec<Vec<String>> {
        parse_csv(&self.run(args)).into_iter().skip(1).collect()
    }

    pub fn scalar(&self, sql: &str) -> String {
        let rows = self.rows(sql);
        assert_eq!(rows.len(), 1, "one row from {sql}: {rows:?}");
        rows[0][0].clone()
    }
}

pub fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A small CSV parser for arrow's output (quotes doubled inside quoted fields).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Builds a small .xlsx for one behaviour: rows of optional text cells.
pub fn xlsx(path: &Path, sheets: &[(&str, &[&[&str]])]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

/// The sample warehouse built by the README's main job (`ceping run pipelines/briefing.toml`)
/// in a temp dir, once per test run: tests only read it or re-run the idempotent pipeline.
/// A generated M warehouse, made once per test run and shared (bench/make_scale.py M
/// many: 100,000 plan rows over 2019–2020, ~85,000 assessments, ~100,000 findings).
pub fn scale_m() -> &'static TestWarehouse {
    static M: std::sync::OnceLock<TestWarehouse> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let py = python(&["openpyxl"]).expect("a Python with openpyxl makes the M workbooks (bash .ci/setup)");
        let wh = TestWarehouse::new();
        let data = wh.file("M");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let gen = std::process::Command::new(&py)
            .arg(repo.join("bench/make_scale.py"))
            .args(["M"])
            .arg(&data)
            .arg("many")
            .output()
            .unwrap();
        assert!(gen.status.success(), "make_scale.py: {}", s(&gen.stderr));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let report = wh.ingest(&files.iter().map(PathBuf::as_path).collect::<Vec<_>>());
        assert!(report.contains("plan 2020 revision 1"), "{report}");
        wh
    })
}

pub fn sample() -> &'static TestWarehouse {
    static SAMPLE: std::sync::OnceLock<TestWarehouse> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        let wh = TestWarehouse::new();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::os::unix::fs::symlink(repo.join("data"), wh.dir.path().join("data")).unwrap();
        let out = wh
            .cmd()
            .current_dir(wh.dir.path())
            .args(["run"])
            .arg(repo.join("pipelines/briefing.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", s(&out.stderr));
        wh
    })
}

/// A small warehouse: two departments (one written with a stray space), three units,
/// four planned systems for 2019 with planned quarters, three assessments, findings.
pub fn small() -> TestWarehouse {
    let wh = TestWarehouse::new();
    let plan = wh.file("2019年测评计划预告.xlsx");
    xlsx(
        &plan,
        &[(
            "计划",
            &[
                &[
                    "主管部门",
                    "预算单位",
                    "系统名称",
                    "等级",
                    "计划测评时间",
                    "上次测评时间",
                    "测评原因",
                    "试运行结束时间",
                ],
                &["市教委", "考试院", "报名系统", "3", "一季度", "2018-05-01", "", ""],
                &["市 教委", "考试院", "阅卷系统", "2", "二季度", "2018-05-01", "", ""],
                &["市教委", "电教馆", "资源平台", "3", "", "2018-02-01", "", ""],
                &[
                    "市卫健委",
                    "卫生信息中心",
                    "挂号系统",
                    "3",
                    "一季度",
                    "",
                    "新建系统",
                    "2019-02-01",
                ],
            ],
        )],
    );
    let results = wh.file("测评结果.xlsx");
    xlsx(
        &results,
        &[(
            "结果",
            &[
                &[
                    "报告编号",
                    "主管部门",
                    "预算单位",
                    "系统名称",
                    "等级",
                    "出具报告日期",
                    "测评费用",
                ],
                &["R1", "市教委", "考试院", "报名系统", "3", "2019-02-10", "10000"],
                &["R2", "市教委", "考试院", "阅卷系统", "2", "2019-03-31", "8000"],
                &["R3", "市卫健委", "卫生信息中心", "挂号系统", "3", "2019-04-01", "12000"],
                &["R4", "市民政局", "救助站", "计划外系统", "2", "2019-05-05", "6000"],
            ],
        )],
    );
    let findings = wh.file("整改情况.xlsx");
    xlsx(
        &findings,
        &[(
            "整改",
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
                &["R1", "1", "高", "即知即改", "2019-03-10", "已整改", "2019-03-01"],
                &["R1", "2", "中", "即知即改", "2019-03-10", "已整改", "2019-03-31"],
                &["R2", "1", "中", "系统改造", "2019-03-30", "已整改", "2019-04-01"],
                &["R3", "1", "低", "即知即改", "2019-05-01", "未整改", ""],
            ],
        )],
    );
    let budgets = wh.file("2019年经费预算.xlsx");
    xlsx(
        &budgets,
        &[(
            "经费",
            &[
                &[
                    "主管部门",
                    "预算单位",
                    "类别",
                    "申报金额（万元）",
                    "批复金额（万元）",
                    "实际支出（元）",
                ],
                &["市教委", "考试院", "测评", "2", "1.8", "18000"],
                &["市教委", "电教馆", "整改", "1.5", "1", "9,500.50"],
            ],
        )],
    );
    wh.ingest(&[&plan, &results, &findings, &budgets]);
    wh
}

/// Writes a 2019 results workbook and a findings workbook (rows under their header rows)
/// and ingests them.
pub fn ingest_results_and_findings(wh: &TestWarehouse, results: &[&[&str]], findings: &[&[&str]]) {
    let results_file = wh.file("2019年测评结果.xlsx");
    xlsx(&results_file, &[("结果", results)]);
    let findings_file = wh.file("2019年整改情况.xlsx");
    xlsx(&findings_file, &[("整改", findings)]);
    wh.ingest(&[&results_file, &findings_file]);
}

/// A newer findings workbook for `small()`: R3's finding fixed on 2019-04-20.
pub fn later_findings(wh: &TestWarehouse) {
    let later = wh.file("整改情况_更新.xlsx");
    xlsx(
        &later,
        &[(
            "整改",
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
                &["R3", "1", "低", "即知即改", "2019-05-01", "已整改", "2019-04-20"],
            ],
        )],
    );
    wh.ingest(&[&later]);
}

/// A Python that imports `modules`: `CEPING_TEST_PYTHON` (the venv .ci/setup makes from
/// tests/python/requirements.txt; .ci/run sets it) or `python3`. None (and a note) when
/// there is none, except under CI, where the test fails instead.
pub fn python(modules: &[&str]) -> Option<PathBuf> {
    let candidate = std::env::var_os("CEPING_TEST_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let ok = std::process::Command::new(&candidate)
        .args(["-c", &format!("import {}", modules.join(", "))])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(candidate);
    }
    let modules = modules.join(", ");
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have a Python with {modules} (.ci/setup makes one; CEPING_TEST_PYTHON)"
    );
    eprintln!("skipped: no Python with {modules} (bash .ci/setup makes one; set CEPING_TEST_PYTHON)");
    None
}

/// The Python of the readers' venv (DuckDB's delta extension, polars, moto):
/// `CEPING_TEST_READERS_PYTHON`, made by .ci/setup from tests/python/readers.txt.
pub fn readers_python() -> Option<PathBuf> {
    let candidate =
        std::env::var_os("CEPING_TEST_READERS_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let ok = std::process::Command::new(&candidate)
        .args(["-c", "import duckdb, duckdb_extension_delta, polars, moto"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(candidate);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have the readers' Python (.ci/setup makes one; CEPING_TEST_READERS_PYTHON)"
    );
    eprintln!("skipped: no readers' Python (bash .ci/setup makes one; set CEPING_TEST_READERS_PYTHON)");
    None
}
