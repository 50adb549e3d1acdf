//! The foundation: warehouse creation, the dictionary, SQL in every format, the REPL,
//! time travel and errors.

use unicode_width::UnicodeWidthStr;

use crate::common::{fixture, s, TestWarehouse};

#[test]
fn first_use_creates_a_delta_table_per_table() {
    let wh = TestWarehouse::new();
    let out = wh.run(&["init"]);
    assert!(out.contains("version 0"), "{out}");
    for t in [
        "plan_items",
        "assessments",
        "findings",
        "budgets",
        "ingest_log",
        "rejects",
    ] {
        assert!(
            wh.path()
                .join(t)
                .join("_delta_log")
                .join("00000000000000000000.json")
                .is_file(),
            "{t}"
        );
    }
    assert!(wh.path().join("_ceping_warehouse.json").is_file());
}

#[test]
fn a_foreign_directory_is_refused_and_left_alone() {
    let wh = TestWarehouse::new();
    std::fs::create_dir_all(wh.path()).unwrap();
    std::fs::write(wh.path().join("notes.txt"), "mine").unwrap();
    let (code, err) = wh.fail(&["tables"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("is not a ceping warehouse") && err.contains("not empty"),
        "{err}"
    );
    let entries: Vec<_> = std::fs::read_dir(wh.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing was written");
}

#[test]
fn tables_lists_every_table_and_view_with_labels() {
    let wh = TestWarehouse::new();
    let rows = crate::common::parse_csv(&wh.run(&["tables", "--format", "csv"]));
    let names: Vec<&str> = rows.iter().skip(1).map(|r| r[0].as_str()).collect();
    for t in [
        "plan_items",
        "assessments",
        "findings",
        "budgets",
        "rejects",
        "ingest_log",
        "plan_items_current",
    ] {
        assert!(names.contains(&t), "{t} in {names:?}");
    }
    let plan = rows.iter().find(|r| r[0] == "plan_items").unwrap();
    assert_eq!((plan[1].as_str(), plan[2].as_str()), ("table", "测评计划预告"));
}

#[test]
fn describe_gives_types_and_chinese_labels() {
    let wh = TestWarehouse::new();
    let rows = crate::common::parse_csv(&wh.run(&["describe", "assessments", "--format", "csv"]));
    let fee = rows.iter().find(|r| r[0] == "fee").unwrap();
    assert_eq!(&fee[1..3], ["Decimal128(18, 2)", "测评费用"]);
    let assessed = rows.iter().find(|r| r[0] == "assessed_on").unwrap();
    assert_eq!(&assessed[1..3], ["Date32", "出具报告日期"]);
    let (_, err) = wh.fail(&["describe", "nope"]);
    assert!(err.contains("no table or view named `nope`"), "{err}");
}

#[test]
fn table_output_aligns_chinese_by_display_width() {
    let wh = TestWarehouse::new();
    let out = wh.run(&["sql", "SELECT '市教委' AS department, 'OA' AS system UNION ALL SELECT 'Education Commission', '网上报名系统' ORDER BY 1"]);
    let widths: Vec<usize> = out
        .lines()
        .filter(|l| l.starts_with(['│', '┌', '├', '└']))
        .map(|l| l.width())
        .collect();
    assert!(widths.len() >= 5, "{out}");
    assert!(
        widths.iter().all(|w| *w == widths[0]),
        "every line is equally wide on screen:\n{out}"
    );
    assert!(out.contains("│ 市教委               │"), "{out}");
    assert!(out.trim_end().ends_with("2 rows"));
}

#[test]
fn csv_json_and_parquet_formats() {
    let wh = TestWarehouse::new();
    let q = "SELECT 1 AS n, '市教委' AS d, CAST(12800.5 AS DECIMAL(18,2)) AS fee";
    assert_eq!(wh.run(&["sql", "--format", "csv", q]), "n,d,fee\n1,市教委,12800.50\n");
    let json: serde_json::Value = serde_json::from_str(&wh.run(&["sql", "--format", "json", q])).unwrap();
    assert_eq!(json[0]["d"], "市教委");
    assert_eq!(json[0]["n"], 1);
    let out = wh.file("out.parquet");
    let (_, err) = wh.fail(&["sql", "--format", "parquet", q]);
    assert!(err.contains("--out"), "{err}");
    wh.run(&["sql", "--format", "parquet", "--out", out.to_str().unwrap(), q]);
    let file = std::fs::File::open(&out).unwrap();
    let reader = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(
        reader.schema().field(2).data_type(),
        &datafusion::arrow::datatypes::DataType::Decimal128(18, 2)
    );
    let batches: Vec<_> = reader.build().unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
}

#[test]
fn sql_from_a_file_runs_every_statement() {
    let wh = TestWarehouse::new();
    let f = wh.file("q.sql");
    std::fs::write(&f, "-- two statements\nSELECT 1 AS a;\nSELECT 'b' AS b;\n").unwrap();
    assert_eq!(
        wh.run(&["sql", "--format", "csv", "-f", f.to_str().unwrap()]),
        "a\n1\nb\nb\n"
    );
}

#[test]
fn the_repl_reads_statements_and_backslash_commands_from_stdin() {
    let wh = TestWarehouse::new();
    let out = wh
        .cmd()
        .args(["sql", "--format", "csv"])
        .write_stdin("\\d\nSELECT 40 +\n  2 AS answer;\n\\d plan_items\nSELECT nope;\n\\q\nSELECT 'zz_after_quit';\n")
        .output()
        .unwrap();
    let stdout = s(&out.stdout);
    assert!(stdout.contains("plan_items_current"), "\\d lists views: {stdout}");
    assert!(stdout.contains("answer\n42\n"), "a multi-line statement: {stdout}");
    assert!(stdout.contains("安全保护等级"), "\\d NAME shows labels: {stdout}");
    assert!(!stdout.contains("zz_after_quit"), "\\q stops reading");
    assert!(
        s(&out.stderr).contains("error:"),
        "a bad statement is reported and the REPL goes on"
    );
}

/// A `;` at the end of a line inside a string or a comment does not end the statement.
#[test]
fn the_repl_splits_statements_with_the_sql_tokenizer_and_times_them() {
    let wh = TestWarehouse::new();
    let out = wh
        .cmd()
        .args(["sql", "--format", "csv"])
        .write_stdin("SELECT 'ends with;\n' AS s, -- a comment;\n  1 AS n;\n\\timing\nSELECT 2 AS two;\n")
        .output()
        .unwrap();
    let stdout = s(&out.stdout);
    assert_eq!(s(&out.stderr), "", "no statement was cut in two");
    assert!(stdout.starts_with("s,n\n\"ends with;\n\",1\n"), "{stdout}");
    assert!(stdout.contains("Timing is on.\ntwo\n2\nTime: "), "{stdout}");
    assert!(stdout.trim_end().ends_with(" ms"), "{stdout}");
}

#[test]
fn as_of_reads_the_warehouse_as_it_was() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    wh.ingest(&[&fixture("plan_2022.ods")]);
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), "10");
    assert_eq!(
        wh.run(&[
            "sql",
            "--format",
            "csv",
            "--as-of",
            "1",
            "SELECT count(*) AS n FROM plan_items"
        ]),
        "n\n7\n"
    );
    assert_eq!(
        wh.run(&[
            "sql",
            "--format",
            "csv",
            "--as-of",
            "0",
            "SELECT count(*) AS n FROM plan_items"
        ]),
        "n\n0\n"
    );
    // A time between the two commits.
    let t = wh.scalar("SELECT CAST(loaded_at AS VARCHAR) FROM ingest_log WHERE warehouse_version = 1");
    let after_first = t.replace(' ', "T");
    let out = wh.run(&[
        "sql",
        "--format",
        "csv",
        "--as-of",
        &after_first,
        "SELECT count(*) AS n FROM plan_items",
    ]);
    assert!(out == "n\n7\n", "{out} at {after_first}");
    let (_, err) = wh.fail(&["sql", "--as-of", "9", "SELECT 1"]);
    assert!(err.contains("version 9 does not exist"), "{err}");
}

#[test]
fn sql_errors_are_one_clear_line() {
    let wh = TestWarehouse::new();
    let (code, err) = wh.fail(&["sql", "SELEC 1"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: ") && err.lines().count() == 1, "{err}");
    let (_, err) = wh.fail(&["sql", "SELECT * FROM no_such_table"]);
    assert!(err.contains("no_such_table"), "{err}");
    let (code, _) = wh.fail(&["sql", "--format", "xml", "SELECT 1"]);
    assert_eq!(code, 2, "bad flags are usage errors");
    let (_, err) = wh.fail(&["sql", "INSERT INTO plan_items (year) VALUES (2019)"]);
    assert!(err.contains("only by `ceping ingest`"), "{err}");
}

/// The data dictionary labels every view and every column of every view in Chinese.
#[test]
fn every_view_and_every_view_column_has_a_chinese_label() {
    let wh = TestWarehouse::new();
    let rows = crate::common::parse_csv(&wh.run(&["tables", "--format", "csv"]));
    let views: Vec<&Vec<String>> = rows.iter().skip(1).filter(|r| r[1] == "view").collect();
    assert!(views.len() >= 12, "{views:?}");
    let mut missing = Vec::new();
    for v in &views {
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        if !cjk(&v[2]) {
            missing.push(format!("view {}", v[0]));
        }
        let cols = crate::common::parse_csv(&wh.run(&["describe", &v[0], "--format", "csv"]));
        for c in cols.iter().skip(1) {
            if !cjk(&c[2]) {
                missing.push(format!("{}.{}", v[0], c[0]));
            }
        }
    }
    assert!(missing.is_empty(), "no Chinese label: {missing:?}");
}

/// `ceping tables` fits an 80- and a 120-column terminal (`COLUMNS`), Chinese counted as
/// two columns; compared with the committed snapshots (`UPDATE_SNAPSHOTS=1` rewrites them).
#[test]
fn tables_fit_80_and_120_columns() {
    let wh = TestWarehouse::new();
    for width in [80, 120] {
        let out = wh
            .cmd()
            .env("COLUMNS", width.to_string())
            .arg("tables")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = s(&out.stdout);
        for line in text.lines() {
            assert!(line.width() <= width, "{} > {width}: {line}", line.width());
        }
        assert!(text.lines().any(|l| l.width() == width), "uses the width it has");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/snapshots/tables_{width}.txt"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            text,
            expected,
            "`ceping tables` at {width} columns differs from {}",
            path.display()
        );
    }
    // Piped without COLUMNS: never wrapped.
    let out = wh.cmd().env_remove("COLUMNS").arg("tables").output().unwrap();
    assert!(s(&out.stdout).lines().any(|l| l.width() > 120));
}

/// A new view is one `.sql` file with its words in its header (issue 27): dropped into
/// `CEPING_VIEWS_DIR`, with no Rust changed, `tables` lists it with its label, `describe`
/// gives its columns' words, SQL and the REPL's `\d` use it. A file without its words is
/// refused, naming what is missing.
#[test]
fn a_new_view_is_one_sql_file_with_its_words() {
    let wh = crate::common::small();
    let views = wh.file("views");
    std::fs::create_dir_all(&views).unwrap();
    std::fs::write(
        views.join("units_per_department.sql"),
        "-- view: units_per_department\n\
         -- label: 各主管部门预算单位数 | Units per department\n\
         -- description: Budget units of each department in each year's current plan.\n\
         -- column year: 计划年度 | plan year\n\
         -- column department: 主管部门 | competent department\n\
         -- column units: 预算单位数 | distinct budget units | short: 单位数\n\
         SELECT year, department, COUNT(DISTINCT unit) AS units\n\
         FROM plan_items_current GROUP BY year, department\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = wh.cmd().env("CEPING_VIEWS_DIR", &views).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", s(&out.stderr));
        s(&out.stdout)
    };
    let tables = crate::common::parse_csv(&run(&["tables", "--format", "csv"]));
    let row = tables
        .iter()
        .find(|r| r[0] == "units_per_department")
        .expect("the new view is listed");
    assert_eq!(
        row[1..],
        [
            "view",
            "各主管部门预算单位数",
            "Budget units of each department in each year's current plan."
        ]
    );
    let described = crate::common::parse_csv(&run(&["describe", "units_per_department", "--format", "csv"]));
    assert_eq!(
        described[1..]
            .iter()
            .map(|r| (r[0].as_str(), r[2].as_str(), r[3].as_str()))
            .collect::<Vec<_>>(),
        [
            ("year", "计划年度", "plan year"),
            ("department", "主管部门", "competent department"),
            ("units", "预算单位数", "distinct budget units")
        ]
    );
    let rows = crate::common::parse_csv(&run(&[
        "sql",
        "--format",
        "csv",
        "SELECT department, units FROM units_per_department ORDER BY department",
    ]));
    assert_eq!(rows[1..], [vec!["市卫健委", "1"], vec!["市教委", "2"]]);

    std::fs::write(
        views.join("no_words.sql"),
        "-- A view someone forgot to label.\nSELECT 1 AS one\n",
    )
    .unwrap();
    let out = wh
        .cmd()
        .env("CEPING_VIEWS_DIR", &views)
        .args(["sql", "SELECT 1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = s(&out.stderr);
    assert!(err.contains("view `no_words`: no `-- view: NAME` line"), "{err}");
}
