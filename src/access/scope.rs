//! What a `department` user sees of each table: the rule per table, decided from the
//! table's columns so a new kind's table is covered by what it declares. Applied by the
//! server when it builds a department's session ([`crate::serve`]), before any view or
//! `*_as_of` function is planned; the rules themselves are here, pure.
//!
//! | table | a department user sees |
//! |---|---|
//! | any table with a `department` column (plan_items, assessments, systems, letters, budgets, …) | its rows of that department |
//! | a table whose kind declares `department_owner` (findings: the findings of its assessments; of no known assessment, of its systems — `ingest/kinds/findings_owner.sql`) | the rows that query gives it |
//! | rejects | rejected rows whose 主管部门 cell names it; with no such cell, rows of a file whose loaded rows are all its own |
//! | ingest_log | the files whose loaded rows are all its own (a file shared with other departments would show their counts) |
//! | any other table | nothing (closed until a rule is written) |

use crate::schema::TableDef;

/// The column an owner query adds: the department a row belongs to.
pub const OWNER: &str = "ceping_owner";

/// How one table's rows are chosen for a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `department = D`.
    DepartmentColumn,
    /// The rows of this query (the table's columns and [`OWNER`]) whose owner is `D`.
    Owner(&'static str),
    /// rejects: the 主管部门 cell of the raw row, else the file's owner.
    Rejects,
    /// ingest_log: the files wholly the department's.
    Files,
    /// No row.
    Nothing,
}

pub fn rule(table: &TableDef) -> Rule {
    if table.all_columns().any(|c| c.name == "department") {
        return Rule::DepartmentColumn;
    }
    if let Some(sql) = crate::ingest::kinds::by_table(table.name).and_then(|k| k.department_owner()) {
        return Rule::Owner(sql);
    }
    if table.name == crate::schema::REJECTS.name {
        Rule::Rejects
    } else if table.name == crate::schema::INGEST_LOG.name {
        Rule::Files
    } else {
        Rule::Nothing
    }
}

/// The department a rejected row names: the cell under a header any kind reads as
/// `department` (主管部门, 主管单位, …), normalised as ingest normalises it. `raw_cells` is
/// the JSON array of `[header, text]` pairs `rejects` keeps.
pub fn reject_department(raw_cells: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_json::from_str(raw_cells).ok()?;
    let headers = department_headers();
    pairs.into_iter().find_map(|(header, text)| {
        let key = crate::ingest::normalize::header_key(&header).0;
        let value = crate::ingest::normalize::text(&text);
        (headers.contains(&key) && !value.is_empty()).then_some(value)
    })
}

/// Every header word a kind reads as its `department` field, as header keys.
fn department_headers() -> &'static std::collections::HashSet<String> {
    static HEADERS: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    HEADERS.get_or_init(|| {
        crate::ingest::kinds::all()
            .iter()
            .flat_map(|k| k.fields().iter())
            .filter(|f| f.name == "department")
            .flat_map(|f| f.synonyms.iter())
            .map(|s| crate::ingest::normalize::header_key(s).0)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_rule_and_only_unknown_tables_show_nothing() {
        let catalog = crate::ingest::kinds::catalog();
        for table in catalog.tables() {
            let r = rule(table);
            assert_ne!(
                r,
                Rule::Nothing,
                "{} has no rule: a department would see none of it",
                table.name
            );
        }
        for name in ["plan_items", "assessments", "systems", "letters", "budgets"] {
            assert_eq!(rule(catalog.table(name).unwrap()), Rule::DepartmentColumn, "{name}");
        }
    }

    #[test]
    fn a_rejected_row_names_its_department_under_any_header_word() {
        assert_eq!(
            reject_department(r#"[["序号","11"],["主管部门"," 市教委 "],["检查日期","2019-05-30"]]"#).as_deref(),
            Some("市教委")
        );
        assert_eq!(
            reject_department(r#"[["主管单位","市 卫健委"]]"#).as_deref(),
            Some("市卫健委")
        );
        assert_eq!(
            reject_department(r#"[["* 主管部门：","市财政局"]]"#).as_deref(),
            Some("市财政局")
        );
        assert_eq!(reject_department(r#"[["主管部门",""],["系统名称","x"]]"#), None);
        assert_eq!(reject_department(r#"[["预算单位","市教委信息中心"]]"#), None);
        assert_eq!(reject_department("not json"), None);
    }
}
