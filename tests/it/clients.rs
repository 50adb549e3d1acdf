//! The BI tools analysts use, each through its real driver, against `ceping serve` on the
//! sample warehouse (issue 30): SQLAlchemy (psycopg2 and psycopg 3 dialects, the
//! inspector calls and pandas.read_sql: Superset, pandas), pgjdbc (DBeaver, Metabase,
//! DataGrip: DatabaseMetaData), psqlODBC through pyodbc (Excel, WPS, Power BI),
//! node-postgres, and pgcli's metadata queries. psql and plain psycopg 3 are in
//! serve.rs. Each connects, lists tables and views with their Chinese comments, reads a
//! table's columns, keys and indexes, runs a metric view and a parameterised query, gets
//! exact money and dates, and sees a write refused — every figure compared with `ceping sql`.
//!
//! The drivers come from Debian (libpostgresql-jdbc-java, odbc-postgresql + unixodbc),
//! PyPI (tests/python/bi.txt) and npm (tests/clients/node/package.json), installed by
//! `.ci/setup`; outside CI a test without its driver says so and returns.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::common::{s, sample};
use crate::serve::Server;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Skips (outside CI) or fails (under CI) for a missing tool.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have {what} (.ci/setup installs it)"
    );
    eprintln!("skipped: {what} is not installed (bash .ci/setup installs it)");
}

/// The figures every client must see, from `ceping sql` on the same warehouse.
struct Expected {
    coverage: Vec<Vec<String>>,
    spent: String,
    first_assessment: String,
}

fn expected() -> Expected {
    let wh = sample();
    Expected {
        coverage: wh.rows("SELECT year, departments, units, systems FROM plan_coverage ORDER BY year"),
        spent: wh.scalar("SELECT spent FROM spending WHERE year = 2018 AND department = '市教委'"),
        first_assessment: wh.scalar("SELECT CAST(min(assessed_on) AS VARCHAR) FROM assessments"),
    }
}

/// The BI Python (`CEPING_TEST_BI_PYTHON`, the venv .ci/setup makes from
/// tests/python/bi.txt), if it has the drivers.
fn bi_python() -> Option<PathBuf> {
    let python = std::env::var_os("CEPING_TEST_BI_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let ok = Command::new(&python)
        .args(["-c", "import sqlalchemy, psycopg2, psycopg, pandas, pyodbc, pgcli"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        missing("the BI Python drivers (CEPING_TEST_BI_PYTHON)");
        None
    }
}

fn python_client(python: &Path, server: &Server, client: &str) -> Value {
    let out = Command::new(python)
        .arg(repo().join("tests/python/bi_clients.py"))
        .args([client, "127.0.0.1", &server.port().to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{client}: {}", s(&out.stderr));
    serde_json::from_str(s(&out.stdout).trim()).unwrap_or_else(|e| panic!("{client}: {e}: {}", s(&out.stdout)))
}

/// No step of a client failed.
fn no_errors(client: &str, out: &Value) {
    let failed: Vec<String> = out
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.get("error").is_some())
        .map(|(k, v)| format!("{k}: {}", v["error"]))
        .collect();
    assert!(failed.is_empty(), "{client}: {}", failed.join("\n"));
}

fn coverage_json(e: &Expected) -> Value {
    Value::from(
        e.coverage
            .iter()
            .map(|r| Value::from(r.iter().map(|c| c.parse::<i64>().unwrap()).collect::<Vec<_>>()))
            .collect::<Vec<_>>(),
    )
}

#[test]
fn sqlalchemy_inspects_queries_and_reads_with_pandas_in_both_dialects() {
    let Some(python) = bi_python() else { return };
    let server = Server::start(sample(), &[]);
    let e = expected();
    for dialect in ["sqlalchemy-psycopg2", "sqlalchemy-psycopg"] {
        let out = python_client(&python, &server, dialect);
        no_errors(dialect, &out);
        assert_eq!(out["server_version"], json!([16, 6]), "{dialect}");
        assert!(
            out["schemas"].as_array().unwrap().contains(&json!("public")),
            "{dialect}"
        );
        assert!(
            out["tables"].as_array().unwrap().contains(&json!("findings")),
            "{dialect}"
        );
        assert!(
            out["views"]
                .as_array()
                .unwrap()
                .contains(&json!("department_scorecard")),
            "{dialect}"
        );
        assert_eq!(out["table_comment"], "整改情况", "{dialect}");
        assert_eq!(out["view_comment"], "测评预告覆盖", "{dialect}");
        assert_eq!(
            out["columns"][0],
            json!(["finding_id", "TEXT", "问题编号"]),
            "{dialect}"
        );
        assert!(
            out["columns"]
                .as_array()
                .unwrap()
                .contains(&json!(["extended_to", "DATE", "延期至"])),
            "{dialect}: {}",
            out["columns"]
        );
        assert_eq!(out["view_columns"][0], json!(["year", "计划年度"]), "{dialect}");
        assert_eq!(out["pk"]["constrained_columns"], json!(["finding_id"]), "{dialect}");
        assert_eq!(out["pk"]["name"], "findings_pkey", "{dialect}");
        assert_eq!(out["budget_pk"], json!(["year", "unit", "category"]), "{dialect}");
        assert_eq!(
            out["indexes"],
            json!([]),
            "{dialect}: the key's index is the primary key's"
        );
        assert_eq!(out["foreign_keys"], json!([]), "{dialect}");
        assert_eq!(
            out["view_definition"], "-- view: plan_coverage\n-- label: 测评预告覆盖 ",
            "{dialect}"
        );
        assert_eq!(out["metric_view"], coverage_json(&e), "{dialect}");
        assert_eq!(
            out["parameterised"],
            json!([["市教委", {"decimal": e.spent}]]),
            "{dialect}: money as Decimal"
        );
        assert_eq!(out["date"], json!({"date": e.first_assessment}), "{dialect}");
        assert_eq!(out["savepoint"], 1, "{dialect}: SAVEPOINT / ROLLBACK TO / RELEASE");
        assert_eq!(out["write"], json!({"sqlstate": "25006"}), "{dialect}");
        assert_eq!(
            out["read_sql"],
            coverage_json(&e)
                .as_array()
                .unwrap()
                .iter()
                .map(|r| json!([r[0], r[3]]))
                .collect::<Value>(),
            "{dialect}"
        );
    }
}

#[test]
fn pgjdbc_reads_the_database_metadata_dbeaver_and_metabase_ask_for() {
    let jar = Path::new("/usr/share/java/postgresql.jar");
    let have_java = Command::new("javac")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !jar.exists() || !have_java {
        return missing("pgjdbc (libpostgresql-jdbc-java) and a JDK");
    }
    let classes = tempfile::tempdir().unwrap();
    let built = Command::new("javac")
        .arg("-d")
        .arg(classes.path())
        .arg(repo().join("tests/clients/jdbc/ClientCheck.java"))
        .output()
        .unwrap();
    assert!(built.status.success(), "javac: {}", s(&built.stderr));
    let server = Server::start(sample(), &[]);
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}:{}", jar.display(), classes.path().display()))
        .arg("ClientCheck")
        .arg(format!("jdbc:postgresql://127.0.0.1:{}/ceping", server.port()))
        .output()
        .unwrap();
    assert!(out.status.success(), "java: {}", s(&out.stderr));
    let text = s(&out.stdout);
    let step = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_string()
    };
    let e = expected();
    for name in [
        "product",
        "tables",
        "views",
        "columns",
        "primary_keys",
        "index_info",
        "type_info",
        "imported_keys",
        "metric_view",
        "parameterised",
        "date",
    ] {
        assert!(!step(name).starts_with("ERROR"), "{name}: {}", step(name));
    }
    assert_eq!(step("product"), "PostgreSQL 16.6");
    assert!(
        step("tables").split(';').any(|t| t == "findings|整改情况"),
        "{}",
        step("tables")
    );
    assert!(
        step("tables").split(';').any(|t| t == "letters|发函登记"),
        "{}",
        step("tables")
    );
    let view_list = step("views");
    let views: Vec<&str> = view_list.split(';').collect();
    assert_eq!(views.len(), 5, "{views:?}");
    assert!(views.contains(&"plan_coverage|测评预告覆盖"), "{views:?}");
    assert!(
        views.iter().all(|v| !v.ends_with("|null")),
        "every view has its label: {views:?}"
    );
    assert!(
        step("columns").starts_with("finding_id|text|问题编号;"),
        "{}",
        step("columns")
    );
    assert_eq!(
        step("primary_keys"),
        "year|1|budgets_pkey;unit|2|budgets_pkey;category|3|budgets_pkey"
    );
    assert_eq!(step("index_info"), "findings_pkey|f|finding_id");
    assert!(
        step("type_info").ends_with(" [date, numeric, text]"),
        "{}",
        step("type_info")
    );
    assert_eq!(step("imported_keys"), "");
    let coverage: Vec<String> = e.coverage.iter().map(|r| r.join("|")).collect();
    assert_eq!(step("metric_view"), coverage.join(";"));
    assert_eq!(step("parameterised"), format!("市教委|{}|BigDecimal", e.spent));
    assert_eq!(step("date"), format!("{}|Date", e.first_assessment));
    assert!(step("write").starts_with("ERROR\t25006\t"), "{}", step("write"));
}

#[test]
fn psqlodbc_through_pyodbc_lists_keys_and_binds_question_marks() {
    let Some(python) = bi_python() else { return };
    let registered = Command::new("odbcinst")
        .args(["-q", "-d"])
        .output()
        .is_ok_and(|o| s(&o.stdout).contains("[PostgreSQL Unicode]"));
    if !registered {
        return missing("psqlODBC (odbc-postgresql, unixodbc)");
    }
    let server = Server::start(sample(), &[]);
    let out = python_client(&python, &server, "odbc");
    no_errors("odbc", &out);
    let e = expected();
    assert_eq!(out["dbms"][0], "PostgreSQL");
    // (psqlODBC writes the version it parsed from server_version 16.6 as 16.0.6)
    assert!(out["dbms"][1].as_str().unwrap().starts_with("16."), "{}", out["dbms"]);
    let tables = out["tables"].as_array().unwrap();
    assert!(tables.contains(&json!(["findings", "TABLE"])), "{tables:?}");
    assert!(tables.contains(&json!(["department_scorecard", "VIEW"])), "{tables:?}");
    assert_eq!(out["columns"][0], json!(["finding_id", "text"]));
    assert_eq!(
        out["primary_keys"],
        json!([
            ["year", 1, "budgets_pkey"],
            ["unit", 2, "budgets_pkey"],
            ["category", 3, "budgets_pkey"]
        ])
    );
    assert_eq!(out["comments"], json!([["findings", "整改情况"]]));
    assert_eq!(out["parameterised"], json!([["市教委", {"decimal": e.spent}]]));
    assert_eq!(out["date"], json!({"date": e.first_assessment}));
    assert_eq!(out["write"], json!({"sqlstate": "25006"}));
}

#[test]
fn pgcli_completes_tables_columns_and_the_as_of_functions() {
    let Some(python) = bi_python() else { return };
    let server = Server::start(sample(), &[]);
    let out = python_client(&python, &server, "pgcli");
    no_errors("pgcli", &out);
    assert!(out["server_version"].as_str().unwrap().starts_with("16.6 (ceping"));
    assert_eq!(out["schemata"], json!(["pg_catalog", "public"]));
    assert!(out["tables"].as_array().unwrap().contains(&json!("findings")));
    assert!(out["views"]
        .as_array()
        .unwrap()
        .contains(&json!("department_scorecard")));
    assert_eq!(out["table_columns"][0], json!(["public", "findings", "finding_id"]));
    assert!(out["view_columns"].as_u64().unwrap() > 100);
    assert!(
        out["functions"]
            .as_array()
            .unwrap()
            .contains(&json!(["department_scorecard_as_of", ["date"], "record"])),
        "{}",
        out["functions"]
    );
    assert!(out["databases"].as_array().unwrap().contains(&json!("ceping")));
    let e = expected();
    let rows: Vec<Value> = e
        .coverage
        .iter()
        .map(|r| json!([r[0].parse::<i64>().unwrap(), r[3].parse::<i64>().unwrap()]))
        .collect();
    assert_eq!(out["query"][0][1], Value::from(rows));
}

#[test]
fn node_postgres_reads_views_comments_money_and_dates() {
    let modules = std::env::var_os("CEPING_TEST_NODE_MODULES").map(PathBuf::from);
    let have = modules.as_ref().is_some_and(|m| m.join("pg").exists())
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !have {
        return missing("node and node-postgres (CEPING_TEST_NODE_MODULES)");
    }
    let server = Server::start(sample(), &[]);
    let out = Command::new("node")
        .arg(repo().join("tests/clients/node/check.js"))
        .args(["127.0.0.1", &server.port().to_string()])
        .env("NODE_PATH", modules.unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "node: {}", s(&out.stderr));
    let out: Value = serde_json::from_str(s(&out.stdout).trim()).unwrap();
    let e = expected();
    assert!(
        out["version"].as_str().unwrap().starts_with("PostgreSQL 16.6 (ceping "),
        "{}",
        out["version"]
    );
    assert!(out["tables"]
        .as_array()
        .unwrap()
        .contains(&json!({"table_name": "findings", "table_type": "BASE TABLE"})));
    assert_eq!(
        out["comments"],
        json!([{"relname": "findings", "label": "整改情况"}, {"relname": "plan_coverage", "label": "测评预告覆盖"}])
    );
    let rows: Vec<Vec<String>> = out["metric_view"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            ["year", "departments", "units", "systems"]
                .iter()
                .map(|k| r[k].to_string().trim_matches('"').to_string())
                .collect()
        })
        .collect();
    assert_eq!(rows, e.coverage);
    assert_eq!(
        out["parameterised"],
        json!([{"department": "市教委", "spent": e.spent}]),
        "numeric as exact text"
    );
    assert_eq!(out["date"]["isDate"], true);
    assert_eq!(out["write"]["sqlstate"], "25006");
}
