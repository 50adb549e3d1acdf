//! Tidy checks in the manner of rust-analyzer's `tidy.rs`: the module boundaries that
//! ARCHITECTURE.md states are the ones the code keeps (an allow-list: a module imports
//! only what its row names, and a new module must be given a row), a kind is named only
//! in its own file, every view has its words, trace and test, and no source file grows
//! past ~600 lines without saying why.

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

/// ARCHITECTURE.md's "Imports" table: module → the modules it may import.
fn allowed() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text
        .split("## Imports")
        .nth(1)
        .expect("ARCHITECTURE.md has an `## Imports` section");
    let mut rules = BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 || cells[1].starts_with('-') || cells[1] == "module" || cells[1].is_empty() {
            continue;
        }
        let module = cells[1].trim_matches('`').to_string();
        let may = cells[2]
            .split(',')
            .map(|m| m.trim().trim_matches('`').to_string())
            .filter(|m| !m.is_empty() && m != "—")
            .collect();
        rules.insert(module, may);
    }
    assert!(rules.len() >= 10, "the Imports table names the modules: {rules:?}");
    rules
}

/// The code of a file without its `#[cfg(test)]` module (tests may reach anywhere).
fn code_of(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
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
                out.push((i + 1, root_module(name)));
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
                    out.push((i + 1, root_module(name)));
                }
            }
        }
    }
    out
}

/// `crate::Error` and `crate::Result` are lib.rs's re-exports of the error module.
fn root_module(name: String) -> String {
    if name.starts_with(char::is_uppercase) {
        "error".to_string()
    } else {
        name
    }
}

#[test]
fn modules_import_only_what_architecture_md_allows() {
    let allowed = allowed();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file);
        if module == "lib" || module == "main" {
            continue;
        }
        let rel = file.strip_prefix(root()).unwrap_or(file).display().to_string();
        let Some(may) = allowed.get(&module) else {
            violations.push(format!(
                "{rel}: module `{module}` has no row in ARCHITECTURE.md's Imports table: add one"
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        for (line, imported) in crate_imports(code_of(&text)) {
            if imported != module && !may.contains(&imported) {
                violations.push(format!(
                    "{rel}:{line}: `{module}` imports `{imported}`, which its row in ARCHITECTURE.md does not allow"
                ));
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_core_imports_nothing_above_it() {
    // The rules the consistent core rests on, kept even if the table is edited.
    let allowed = allowed();
    for (module, never) in [
        ("warehouse", ["sql", "ingest", "ops", "report"]),
        ("ingest", ["warehouse", "sql", "ops", "report"]),
        ("schema", ["warehouse", "ingest", "sql", "ops"]),
    ] {
        let may = allowed.get(module).expect("a row for the module");
        for n in never {
            assert!(!may.contains(&n.to_string()), "`{module}` must not import `{n}`");
        }
    }
    assert_eq!(
        crate_imports("use crate::{sql, ingest::x};\nlet a = crate::report::y;"),
        vec![
            (1, "sql".to_string()),
            (1, "ingest".to_string()),
            (2, "report".to_string())
        ]
    );
}

/// A source kind is one file in `src/ingest/kinds/` and one line in the registry: no other
/// source file decides anything by its name (`kind.name() == "plan"`, `"plan" =>`,
/// `kind = 'plan'` in SQL). (Its table may be named: SQL reads tables.)
#[test]
fn a_kind_is_named_only_in_its_own_file() {
    let kinds_dir = root().join("src/ingest/kinds");
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(&kinds_dir).expect("src/ingest/kinds") {
        let path = entry.expect("an entry").path();
        // mod.rs is the registry; a .sql file is a kind's query (findings_owner.sql)
        if path.file_name().is_some_and(|n| n == "mod.rs") || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a kind file");
        let kind = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("kind: \"").and_then(|r| r.strip_suffix("\",")))
            .unwrap_or_else(|| panic!("{} declares `kind: \"NAME\",` in its table", path.display()))
            .to_string();
        kinds.push((path, kind));
    }
    assert!(kinds.len() >= 4, "{kinds:?}");
    let registry = std::fs::read_to_string(kinds_dir.join("mod.rs")).expect("the registry");
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut named = Vec::new();
    for (own, kind) in &kinds {
        let stem = own.file_stem().expect("a name").to_string_lossy().into_owned();
        assert!(
            registry.contains(&format!("&{stem}::")),
            "src/ingest/kinds/mod.rs registers `{stem}`"
        );
        for file in files.iter().filter(|f| *f != own && !f.ends_with("kinds/mod.rs")) {
            let text = std::fs::read_to_string(file).expect("a source file");
            for (i, line) in code_of(&text).lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                let decides = [
                    format!("== \"{kind}\""),
                    format!("\"{kind}\" =="),
                    format!("\"{kind}\" =>"),
                    format!("kind = '{kind}'"),
                ];
                if decides.iter().any(|d| code.contains(d.as_str())) {
                    named.push(format!("{}:{}: names the kind `{kind}`", file.display(), i + 1));
                }
            }
        }
    }
    assert!(named.is_empty(), "{}", named.join("\n"));
}

#[test]
fn every_view_has_its_words_a_trace_file_and_a_test_naming_it() {
    let views: Vec<PathBuf> = std::fs::read_dir(root().join("src/sql/views"))
        .expect("views")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
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
    for path in &views {
        let v = path.file_stem().expect("a name").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).expect("a view file");
        match ceping::sql::view_header::parse(&text) {
            Ok(h) if h.view == v => {}
            Ok(h) => missing.push(format!("{v}: its header names `{}`", h.view)),
            Err(e) => missing.push(format!("{v}: {e}")),
        }
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

/// A source file over ~600 lines of code (its tests not counted) says at its top why it
/// is one file.
#[test]
fn long_files_say_why() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let lines = code_of(&text).lines().count();
        let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
        if lines > 650 && !head.contains("(Long,") {
            long.push(format!(
                "{}: {lines} lines of code and no `(Long, …)` reason at its top",
                file.display()
            ));
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}
