//! Embeds every `src/sql/views/*.sql` and `src/sql/trace/*.sql` file: adding a view, a
//! metric or a trace is adding a file.
use std::fmt::Write as _;

fn main() {
    embed("src/sql/views", "views.rs", "VIEW_FILES");
    embed("src/sql/trace", "trace.rs", "TRACE_FILES");
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
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join(out_name);
    std::fs::write(path, out).unwrap();
}
