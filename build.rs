//! Embeds every `src/sql/views/*.sql` file: adding a view or metric is adding a file.
use std::fmt::Write as _;

fn main() {
    let dir = std::path::Path::new("src/sql/views");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("src/sql/views exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let mut out = String::from("/// (view name, SQL text) for every file in `src/sql/views`.\npub(crate) const VIEW_FILES: &[(&str, &str)] = &[\n");
    for n in &names {
        let stem = n.trim_end_matches(".sql");
        println!("cargo:rerun-if-changed={}/{n}", dir.display());
        writeln!(
            out,
            "    ({stem:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/src/sql/views/{n}\"))),"
        )
        .unwrap();
    }
    out.push_str("];\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("views.rs");
    std::fs::write(path, out).unwrap();
}
