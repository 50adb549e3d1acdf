//! The data dictionary in code matches the contract in DATA_MODEL.md, column by column.

use std::path::Path;

use ceping::schema::{TableDef, LINEAGE};

/// A table of the warehouse's catalog (every kind's, and the bookkeeping ones).
fn table(name: &str) -> Option<&'static TableDef> {
    ceping::ingest::kinds::catalog().table(name)
}

fn contract() -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = std::fs::read_to_string(repo.join("docs/DATA_MODEL.md")).expect("docs/DATA_MODEL.md is committed");
    // In CI and in the team's checkout the steering copy sits beside the repo: the
    // committed copy must not drift from it.
    if let Ok(shared) = std::fs::read_to_string(repo.join("../shared/DATA_MODEL.md")) {
        assert_eq!(
            copy, shared,
            "docs/DATA_MODEL.md differs from ../shared/DATA_MODEL.md: copy it over"
        );
    }
    copy
}

/// (table, column, type) from the `### name` sections' markdown tables.
fn documented_columns(doc: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            let name = h.split_whitespace().next().unwrap_or("").to_string();
            current = table(&name).map(|_| name);
            continue;
        }
        let Some(t) = &current else { continue };
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[1] == "column" || cells[1].starts_with("---") {
            continue;
        }
        if cells[1] == "+ lineage" {
            for c in LINEAGE {
                out.push((t.clone(), c.name.to_string(), String::new()));
            }
            continue;
        }
        // `a, b | Utf8` types both; `a, b | Date32, Utf8` one each ("Decimal128(18,2)" has
        // no space after its comma).
        let names: Vec<&str> = cells[1].split(',').map(str::trim).collect();
        let types: Vec<&str> = cells[2].split(", ").collect();
        for (i, name) in names.iter().enumerate() {
            let ty = if types.len() == names.len() { types[i] } else { cells[2] };
            out.push((t.clone(), name.to_string(), ty.replace(' ', "")));
        }
    }
    out
}

#[test]
fn every_documented_column_exists_with_its_type() {
    let doc = contract();
    let columns = documented_columns(&doc);
    assert!(columns.len() > 50, "the parser found the tables: {}", columns.len());
    for (t, c, ty) in columns {
        let def = table(&t).unwrap();
        let col = def
            .column(&c)
            .unwrap_or_else(|| panic!("{t}.{c} is in DATA_MODEL.md but not in the dictionary"));
        if !ty.is_empty() {
            let arrow = col.ty.arrow().to_string().replace(' ', "");
            assert_eq!(arrow, ty, "{t}.{c}");
        }
    }
}

#[test]
fn money_and_dates_have_the_contract_types() {
    let fee = table("assessments").unwrap().column("fee").unwrap();
    assert_eq!(
        fee.ty.arrow(),
        datafusion::arrow::datatypes::DataType::Decimal128(18, 2)
    );
    let due = table("findings").unwrap().column("due_on").unwrap();
    assert_eq!(due.ty.arrow(), datafusion::arrow::datatypes::DataType::Date32);
    let level = table("plan_items").unwrap().column("level").unwrap();
    assert_eq!(level.ty.arrow(), datafusion::arrow::datatypes::DataType::Int8);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A warehouse made by the previous release (tests/fixtures/warehouse_0.1: findings
/// without source, found_on, extended_to, extension_reason; no systems or letters table)
/// reads as it is, takes the new columns on its first write as one `schema` version, and
/// its old versions stay readable.
#[test]
fn a_warehouse_of_the_previous_release_reads_and_migrates_on_its_first_write() {
    let wh = crate::common::TestWarehouse::new();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/warehouse_0.1"),
        &wh.path(),
    );
    for f in ["README.md", "make.sh"] {
        std::fs::remove_file(wh.path().join(f)).unwrap();
    }
    // Before any write: the new columns read as nulls, the views run, the briefing's
    // 2018 Q1 rectification figures (3 / 3 / 6) come out of the old rows.
    assert_eq!(
        wh.rows("SELECT count(*), count(source), count(extended_to) FROM findings"),
        [vec!["594", "0", "0"]]
    );
    assert_eq!(
        wh.rows("SELECT departments, units, systems FROM rectification_progress WHERE year = 2018 AND quarter = 1"),
        [vec!["3", "3", "6"]]
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM letters"), "0");
    let (code, _) = wh.fail(&["check"]);
    assert_eq!(code, 2);
    let out = wh.output(&["check"]);
    let said = crate::common::s(&out.stdout) + &crate::common::s(&out.stderr);
    assert!(
        said.contains("`source` is missing") && said.contains("made by an earlier ceping"),
        "{said}"
    );
    // The first write: a `schema` version adds the columns, then the file's own.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let report = wh.ingest(&[&data.join("2019年网络安全检查发现问题（示例）.xlsx")]);
    assert!(report.contains("findings → warehouse version 5"), "{report}");
    let log = wh.rows("SELECT warehouse_version, kind FROM ingest_log ORDER BY 1");
    assert_eq!(
        log.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        [
            ("1", "plan"),
            ("2", "assessments"),
            ("3", "findings"),
            ("4", "schema"),
            ("5", "findings")
        ]
    );
    assert_eq!(
        wh.rows("SELECT COALESCE(source, '(old)'), count(*), count(found_on) FROM findings GROUP BY 1 ORDER BY 1"),
        [vec!["(old)", "594", "0"], vec!["inspection", "10", "10"]]
    );
    // Old versions read with the columns added since as nulls.
    assert_eq!(
        wh.rows_of(&[
            "sql",
            "--as-of",
            "3",
            "--format",
            "csv",
            "SELECT count(*), count(extended_to) FROM findings"
        ]),
        [vec!["594", "0"]]
    );
    let check = wh.run(&["check"]);
    assert!(check.contains("warehouse version 5: consistent"), "{check}");
    // A second write does not migrate again.
    let report = wh.ingest(&[&data.join("2019年测评工作函件登记（示例）.xlsx")]);
    assert!(report.contains("letters → warehouse version 6"), "{report}");
}
