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
}

impl TestWarehouse {
    pub fn new() -> Self {
        TestWarehouse {
            dir: tempfile::tempdir().expect("a temp dir"),
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
        let mut c = Command::cargo_bin("ceping").expect("the ceping binary is built");
        c.arg("--warehouse")
            .arg(self.path())
            .env_remove("CEPING_WAREHOUSE")
            .env_remove("RUST_LOG");
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
