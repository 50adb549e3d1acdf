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
        for name in cells[1].split(',') {
            out.push((t.clone(), name.trim().to_string(), cells[2].replace(' ', "")));
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
