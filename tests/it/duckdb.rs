//! The view files on an engine nobody here wrote: DuckDB (Python package) runs
//! `src/sql/views/*.sql` over the Parquet files of the warehouse's current Delta snapshot
//! (tests/python/duckdb_views.py), and every view's CSV must equal `ceping sql`'s byte for
//! byte. The same script runs the definitions from before the rewrite for speed
//! (tests/fixtures/views_before) to show that the rewrite changed no figure: on the sample
//! warehouse and on a generated M warehouse (bench/make_scale.py M: 100,000 plan rows).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Std;

use crate::common::{python, s, sample, scale_m, TestWarehouse};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every view's CSV from DuckDB (those in `only`, when given), ordered by all columns:
/// view name → CSV text.
fn duckdb_csvs(py: &Path, wh: &Path, views_dir: &Path, only: &[&str]) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let run = Std::new(py)
        .arg(repo().join("tests/python/duckdb_views.py"))
        .arg("--views")
        .arg(views_dir)
        .arg(wh)
        .arg(out.path())
        .args(only)
        .output()
        .unwrap();
    assert!(run.status.success(), "duckdb_views.py: {}", s(&run.stderr));
    std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// `ceping sql "SELECT <columns> FROM view ORDER BY 1, 2, …" --format csv`: the columns of
/// DuckDB's header, so a view that gained columns since an earlier definition is compared
/// on the columns that definition has.
fn ceping_csv(wh: &TestWarehouse, view: &str, header: &str) -> String {
    let columns: Vec<&str> = header.split(',').collect();
    let order: Vec<String> = (1..=columns.len()).map(|i| format!("{i} ASC NULLS LAST")).collect();
    let sql = format!(
        "SELECT {} FROM {view} ORDER BY {}",
        columns.join(", "),
        order.join(", ")
    );
    wh.run(&["sql", &sql, "--format", "csv"])
}

/// Compares DuckDB's CSV of every view in `views_dir` with ceping's; returns the views
/// compared. A difference names the view and its first differing line.
fn compare(py: &Path, wh: &TestWarehouse, views_dir: &Path) -> Vec<String> {
    compare_only(py, wh, views_dir, &[])
}

/// DuckDB's figures for `views` of `wh` (src/sql/views) equal ceping's: for the tests of
/// a view worked by hand on a small fixture.
pub fn same_on_duckdb(wh: &TestWarehouse, views: &[&str]) {
    let Some(py) = python(&["duckdb", "deltalake"]) else {
        return;
    };
    let compared = compare_only(&py, wh, &repo().join("src/sql/views"), views);
    assert_eq!(compared.len(), views.len(), "{compared:?}");
}

fn compare_only(py: &Path, wh: &TestWarehouse, views_dir: &Path, only: &[&str]) -> Vec<String> {
    let duck = duckdb_csvs(py, &wh.path(), views_dir, only);
    let mut differ = Vec::new();
    for (view, expected) in &duck {
        let actual = ceping_csv(wh, view, expected.lines().next().unwrap_or_default());
        if actual != *expected {
            let line = actual
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
            differ.push(format!(
                "{view}: line {}: ceping {:?}, DuckDB {:?} ({} vs {} lines)",
                line + 1,
                actual.lines().nth(line),
                expected.lines().nth(line),
                actual.lines().count(),
                expected.lines().count()
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    duck.into_keys().collect()
}

fn views_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn every_view_on_duckdb_equals_ceping_on_the_sample() {
    let Some(py) = python(&["duckdb", "deltalake"]) else {
        return;
    };
    let wh = sample();
    let dir = repo().join("src/sql/views");
    let compared = compare(&py, wh, &dir);
    assert_eq!(compared, views_in(&dir));
    // Not vacuous: the briefing's figures are among the rows compared.
    let duck = duckdb_csvs(&py, &wh.path(), &dir, &[]);
    assert!(
        duck["plan_coverage"].contains("\n2018,1,40,64,132\n"),
        "{}",
        duck["plan_coverage"]
    );
    assert!(
        duck["rectification_progress"].contains("\n2018,1,2018-03-31,3,3,6,"),
        "{}",
        duck["rectification_progress"]
    );
}

#[test]
fn rewritten_views_equal_their_previous_definitions_on_the_sample() {
    let Some(py) = python(&["duckdb", "deltalake"]) else {
        return;
    };
    let before = repo().join("tests/fixtures/views_before");
    let compared = compare(&py, sample(), &before);
    for v in [
        "cycle_status",
        "execution_by_quarter",
        "rectification_by_system",
        "rectification_progress",
        "rectification_status",
        "assessments_enriched",
        "plan_coverage",
    ] {
        assert!(compared.iter().any(|c| c == v), "{v} not compared: {compared:?}");
    }
}

/// A generated M warehouse (100,000 plan rows over 2019–2020, ~85,000 assessments twice a
/// year for some systems, ~100,000 findings): the shapes where the old and new queries
/// could part (systems assessed twice in a year, on the same day, in other years).
#[test]
fn rewritten_views_equal_their_previous_definitions_at_m() {
    let Some(py) = python(&["duckdb", "deltalake", "openpyxl"]) else {
        return;
    };
    let wh = scale_m();
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), "100000");
    let compared = compare(&py, wh, &repo().join("tests/fixtures/views_before"));
    assert!(compared.len() >= 12, "{compared:?}");
    // rectification_progress counts rows of rectification_by_system as distinct systems.
    assert_eq!(
        wh.scalar(
            "SELECT count(*) FROM (SELECT year, quarter, system_id FROM rectification_by_system \
             GROUP BY year, quarter, system_id HAVING count(*) > 1)"
        ),
        "0"
    );
    assert!(
        wh.scalar("SELECT count(*) FROM rectification_by_system")
            .parse::<u64>()
            .unwrap()
            > 100_000
    );
}
