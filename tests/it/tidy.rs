//! Tidy checks in the manner of rust-analyzer's `tidy.rs`: the module boundaries that
//! ARCHITECTURE.md states are the ones the code keeps, and every view has its trace and
//! a test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/warehouse/check.rs` → warehouse).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(root().join("src")).expect("under src/");
    let first = rel
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// ARCHITECTURE.md's "Imports" table: module → the modules it must not import.
fn rules() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text
        .split("## Imports")
        .nth(1)
        .expect("ARCHITECTURE.md has an `## Imports` section");
    let mut rules = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[1].starts_with('-') || cells[1] == "module" {
            continue;
        }
        let module = cells[1].trim_matches('`').to_string();
        let banned = cells[3]
            .split(',')
            .map(|m| m.trim().trim_matches('`').to_string())
            .filter(|m| !m.is_empty() && m != "—")
            .collect();
        rules.insert(module, banned);
    }
    assert!(rules.len() >= 5, "the Imports table names the modules: {rules:?}");
    rules
}

/// Every `crate::X` a file names, in `use` lines and in paths alike.
fn crate_imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            }
            rest = after;
        }
        // `use crate::{a, b}`
        if let Some(group) = code.trim().strip_prefix("use crate::{") {
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((i + 1, name));
                }
            }
        }
    }
    out
}

#[test]
fn modules_import_only_what_architecture_md_allows() {
    let rules = rules();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file);
        let Some(banned) = rules.get(&module) else { continue };
        let text = std::fs::read_to_string(file).expect("a source file");
        for (line, imported) in crate_imports(&text) {
            if banned.contains(&imported) {
                violations.push(format!(
                    "{}:{line}: `{module}` imports `{imported}`, which ARCHITECTURE.md forbids",
                    file.strip_prefix(root()).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_warehouse_imports_neither_sql_nor_ingest() {
    // The rule the consistent core rests on, kept even if the table is edited.
    let rules = rules();
    let banned = rules.get("warehouse").expect("a rule for warehouse");
    assert!(banned.contains(&"sql".to_string()) && banned.contains(&"ingest".to_string()));
    assert_eq!(
        crate_imports("use crate::{sql, ingest::x};\nlet a = crate::report::y;"),
        vec![
            (1, "sql".to_string()),
            (1, "ingest".to_string()),
            (2, "report".to_string())
        ]
    );
}

#[test]
fn every_view_has_a_trace_file_and_a_test_naming_it() {
    let views: Vec<String> = std::fs::read_dir(root().join("src/sql/views"))
        .expect("views")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| p.file_stem().expect("a name").to_string_lossy().into_owned())
        .collect();
    assert!(views.len() >= 12, "{views:?}");
    let mut tests = Vec::new();
    rust_files(&root().join("tests"), &mut tests);
    let test_text: String = tests
        .iter()
        .filter(|p| !p.ends_with("tidy.rs"))
        .map(|p| std::fs::read_to_string(p).expect("a test file"))
        .collect();
    let mut missing = Vec::new();
    for v in &views {
        if !root().join("src/sql/trace").join(format!("{v}.sql")).is_file() {
            missing.push(format!("{v}: no src/sql/trace/{v}.sql"));
        }
        if !test_text.contains(&format!("\"{v}\""))
            && !test_text.contains(&format!(" {v} "))
            && !test_text.contains(&format!("FROM {v}"))
        {
            missing.push(format!("{v}: no test names it"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
