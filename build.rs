//! Embeds every `src/sql/views/*.sql` and `src/sql/trace/*.sql` file: adding a view, a
//! metric or a trace is adding a file. A view file must carry its words (label, description,
//! its columns' words: `src/sql/view_header.rs`); the build stops at one that does not.
use std::fmt::Write as _;

#[path = "src/sql/view_header.rs"]
#[allow(dead_code)]
mod view_header;

fn main() {
    embed("src/sql/views", "views.rs", "VIEW_FILES");
    embed("src/sql/trace", "trace.rs", "TRACE_FILES");
    check_view_words("src/sql/views");
}

/// Every view file names itself and has its label and description.
fn check_view_words(dir: &str) {
    for entry in std::fs::read_dir(dir).expect("the views folder exists") {
        let path = entry.expect("a folder entry").path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a view file is text");
        let stem = path.file_stem().expect("a file name").to_string_lossy().into_owned();
        match view_header::parse(&text) {
            Ok(h) if h.view == stem => {}
            Ok(h) => panic!(
                "{}: `-- view: {}` names another view than its file",
                path.display(),
                h.view
            ),
            Err(e) => panic!(
                "{}: {e} (every view carries its words: src/sql/view_header.rs)",
                path.display()
            ),
        }
    }
}

fn embed(dir: &str, out_name: &str, constant: &str) {
    let dir = std::path::Path::new(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the SQL folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let mut out = format!(
        "/// (name, SQL text) for every file in `{}`.\npub(crate) const {constant}: &[(&str, &str)] = &[\n",
        dir.display()
    );
    for n in &names {
        let stem = n.trim_end_matches(".sql");
        println!("cargo:rerun-if-changed={}/{n}", dir.display());
        writeln!(
            out,
            "    ({stem:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{}/{n}\"))),",
            dir.display()
        )
        .unwrap();
    }
    out.push_str("];\n");
    if constant == "TRACE_FILES" {
        let stems: Vec<&str> = names.iter().map(|n| n.trim_end_matches(".sql")).collect();
        writeln!(
            out,
            "/// `ceping trace --help`: every view with a trace file.\npub const TRACE_HELP: &str = {:?};",
            format!("The view whose figures to trace: {}", stems.join(", "))
        )
        .unwrap();
    }
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join(out_name);
    std::fs::write(path, out).unwrap();
}
