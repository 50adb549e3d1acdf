//! Department access over `ceping serve` (issue 33): users with roles, each department
//! seeing its own rows in every table, view and `*_as_of` function, the ways around it
//! tried one by one, logins and sessions refused, and the audit trail. Real clients:
//! psql, psycopg 3 and DuckDB (tests/python/access_check.py).

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::common::{s, sample, TestWarehouse};
use crate::serve::{client, psql, psql_available, python, Server};

const WJW: &str = "市卫健委";
const JW: &str = "市教委";

/// `ceping user add` with the password on standard input.
fn add_user(
    wh: &TestWarehouse,
    access: &Path,
    name: &str,
    role: &str,
    department: Option<&str>,
    password: &str,
) -> String {
    let mut cmd = wh.std_cmd();
    cmd.arg("--access-dir")
        .arg(access)
        .args(["user", "add", name, "--role", role]);
    if let Some(d) = department {
        cmd.args(["--department", d]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "user add {name}: {}", s(&out.stderr));
    s(&out.stdout)
}

/// The sample served with users wjw and jw (two departments), boss (office) and aud
/// (auditor) in a fresh access directory.
struct Setup {
    access: tempfile::TempDir,
    server: Server,
}

impl Setup {
    fn start(extra: &[&str]) -> Setup {
        let wh = sample();
        let access = tempfile::tempdir().unwrap();
        add_user(wh, access.path(), "wjw", "department", Some(WJW), "wjw-pw");
        add_user(wh, access.path(), "jw", "department", Some(JW), "jw-pw");
        add_user(wh, access.path(), "boss", "office", None, "boss-pw");
        add_user(wh, access.path(), "aud", "auditor", None, "aud-pw");
        let dir = access.path().to_string_lossy().into_owned();
        let mut args = vec!["--access-dir", dir.as_str()];
        args.extend_from_slice(extra);
        let server = Server::start(wh, &args);
        Setup { access, server }
    }

    fn dsn(&self, user: &str, password: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} password={password} dbname=ceping",
            self.server.port()
        )
    }

    fn user(&self, user: &str) -> String {
        self.dsn(user, &format!("{user}-pw"))
    }

    fn audit(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let dir = self.access.path().to_string_lossy().into_owned();
        let text = sample().run(&[&["--access-dir", dir.as_str(), "audit", "--format", "json"], args].concat());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

/// psql's unaligned, tuples-only output of each statement (and its error text).
fn psql_all(dsn: &str, statements: &[&str]) -> Vec<(String, String)> {
    statements
        .iter()
        .map(|sql| {
            let out = psql(dsn, &["-A", "-t", "-c", sql], None);
            (s(&out.stdout), s(&out.stderr))
        })
        .collect()
}

/// Every department the office sees.
fn departments(office: &str) -> Vec<String> {
    let out = crate::serve::psql_ok(
        office,
        &[
            "-A",
            "-t",
            "-c",
            "SELECT DISTINCT department FROM plan_items UNION SELECT DISTINCT department FROM assessments",
        ],
    );
    out.lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

#[test]
fn every_view_for_a_department_user_is_the_view_over_its_own_rows() {
    let (Some(py), true) = (python(), psql_available()) else {
        return;
    };
    let setup = Setup::start(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/access_check.py");
    let mut counts = Vec::new();
    for (user, department) in [("wjw", WJW), ("jw", JW)] {
        let out = std::process::Command::new(&py)
            .arg(&script)
            .args(["views"])
            .arg(sample().path())
            .arg(setup.user("boss"))
            .arg(setup.user(user))
            .arg(department)
            .output()
            .unwrap();
        assert!(out.status.success(), "access_check.py: {}", s(&out.stderr));
        let report: serde_json::Value = serde_json::from_str(s(&out.stdout).trim()).unwrap();
        let views = report["views"].as_object().unwrap();
        let files = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sql/views"))
            .unwrap()
            .count();
        assert_eq!(views.len(), files, "every view compared");
        let functions = report["functions"].as_object().unwrap();
        assert!(functions.len() >= 5, "{functions:?}");
        for (name, entry) in views
            .iter()
            .chain(report["tables"].as_object().unwrap())
            .chain(functions)
        {
            // (a) the view as DuckDB computes it over only this department's rows
            assert_eq!(entry["same_as_duckdb"], true, "{user} {name}: {entry}");
            // (b) the office's view filtered to the department, where the view has one
            // — except the scorecard's rank, which ranks the departments a user sees
            if let Some(same) = entry.get("same_as_office_filtered") {
                if !name.starts_with("department_scorecard") {
                    assert_eq!(same, true, "{user} {name}: {entry}");
                }
            }
        }
        for must_have_rows in ["plan_items", "assessments", "findings", "systems", "budgets"] {
            assert!(
                report["tables"][must_have_rows]["rows"].as_u64().unwrap() > 0,
                "{user} {must_have_rows}"
            );
        }
        counts.push(report["tables"]["plan_items"]["rows"].as_u64().unwrap());
    }
    // The two departments see different rows; the office sees more than either.
    let office_rows: u64 = psql_all(&setup.user("boss"), &["SELECT count(*) FROM plan_items"])[0]
        .0
        .trim()
        .parse()
        .unwrap();
    assert!(counts.iter().all(|c| *c < office_rows), "{counts:?} of {office_rows}");
}

#[test]
fn no_statement_of_a_department_user_reaches_another_departments_rows() {
    if !psql_available() {
        return;
    }
    let setup = Setup::start(&[]);
    let office = setup.user("boss");
    let wjw = setup.user("wjw");
    let others: Vec<String> = departments(&office).into_iter().filter(|d| d != WJW).collect();
    assert!(others.len() > 30, "{others:?}");
    let own_plan = psql_all(
        &office,
        &[&format!("SELECT count(*) FROM plan_items WHERE department = '{WJW}'")],
    )[0]
    .0
    .trim()
    .to_string();
    let all_plan = psql_all(&office, &["SELECT count(*) FROM plan_items"])[0]
        .0
        .trim()
        .to_string();
    let attempts = [
        // the tables and views
        "SELECT DISTINCT department FROM plan_items",
        "SELECT department FROM plan_items UNION SELECT department FROM assessments UNION SELECT department FROM budgets \
         UNION SELECT department FROM letters UNION SELECT department FROM systems",
        "SELECT count(*) FROM plan_items",
        // subqueries, CTEs, joins
        "SELECT count(*) FROM (SELECT * FROM plan_items) p",
        "WITH p AS (SELECT * FROM plan_items), a AS (SELECT * FROM assessments) \
         SELECT DISTINCT p.department FROM p LEFT JOIN a ON a.system_id = p.system_id",
        &format!("SELECT count(*) FROM plan_items WHERE department IN ('{JW}', '市公安局') OR department <> '{WJW}'"),
        "SELECT (SELECT count(*) FROM assessments) + (SELECT count(*) FROM findings)",
        "SELECT * FROM department_scorecard",
        "SELECT * FROM plan_coverage",
        // as-of functions and earlier versions
        "SELECT DISTINCT department FROM plans_behind_as_of('2019-12-31')",
        "SET ceping.as_of = 3; SELECT DISTINCT department FROM plan_items",
        // the catalogs and statistics
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM information_schema.columns WHERE table_name = 'plan_items'",
        "SELECT relname, reltuples FROM pg_catalog.pg_class",
        "SELECT * FROM pg_catalog.pg_description",
        "SELECT pg_total_relation_size('plan_items'), pg_table_size('assessments')",
        // plans and their counts
        "EXPLAIN SELECT * FROM plan_items",
        "EXPLAIN ANALYZE SELECT * FROM plan_items WHERE level = 3",
        "EXPLAIN VERBOSE SELECT department, count(*) FROM assessments GROUP BY department",
        // errors that would print a value
        "SELECT CAST(department AS INT) FROM plan_items",
        "SELECT CAST(unit AS DATE) FROM assessments",
        // the bookkeeping
        "SELECT * FROM ingest_log",
        "SELECT * FROM rejects",
    ];
    let answers = psql_all(&wjw, &attempts);
    for (sql, (stdout, stderr)) in attempts.iter().zip(&answers) {
        for other in &others {
            assert!(
                !stdout.contains(other.as_str()) && !stderr.contains(other.as_str()),
                "`{sql}` shows {other}:\n{stdout}{stderr}"
            );
        }
        assert!(
            !stdout.contains(&format!("output_rows={all_plan}")),
            "`{sql}`: {stdout}"
        );
    }
    assert_eq!(answers[0].0.trim(), WJW);
    assert_eq!(answers[2].0.trim(), own_plan);
    assert_eq!(answers[3].0.trim(), own_plan);
    assert_eq!(answers[5].0.trim(), "0", "another department's name finds nothing");
    assert!(
        answers[10]
            .0
            .trim()
            .lines()
            .all(|l| l == WJW || l.is_empty() || l == "SET"),
        "{:?}",
        answers[10]
    );
    // EXPLAIN ANALYZE counts the department's rows: the filter saw this many in all.
    assert!(answers[17].0.contains(&format!("/{own_plan})")), "{:?}", answers[17]);
    // the error names the first value it met: the department's own
    assert!(
        answers[19].1.contains(&format!("Cannot cast string '{WJW}'")),
        "{:?}",
        answers[19]
    );
    assert_eq!(
        answers[21].0.trim(),
        "",
        "the sample's files each hold several departments: none is wholly 市卫健委's"
    );
    // The Parquet files behind the tables are not reachable from SQL.
    let file = std::fs::read_dir(sample().path().join("plan_items"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let file = file.display().to_string();
    for sql in [
        format!("SELECT * FROM '{file}'"),
        format!("SELECT * FROM read_parquet('{file}')"),
    ] {
        let (stdout, stderr) = &psql_all(&wjw, &[&sql])[0];
        assert!(
            stdout.is_empty() && stderr.contains("not found"),
            "`{sql}`: {stdout}{stderr}"
        );
    }
    // A prepared statement with another department as its parameter finds nothing.
    if let Some(py) = python() {
        let typed = client(
            &py,
            &wjw,
            &["types", "SELECT count(*) FROM plan_items WHERE department = %s", JW],
        );
        assert_eq!(typed["rows"][0][0][1], 0, "{typed}");
        let own = client(
            &py,
            &wjw,
            &["types", "SELECT count(*) FROM plan_items WHERE department = %s", WJW],
        );
        assert_eq!(own["rows"][0][0][1].to_string(), own_plan, "{own}");
    }
    // The audit trail and the engine's settings are not a department's.
    let refused = psql_all(
        &wjw,
        &[
            "SELECT * FROM audit_log",
            "SET datafusion.explain.show_statistics = true",
        ],
    );
    assert!(
        refused[0].1.contains("audit_log") && refused[0].1.contains("not found"),
        "{:?}",
        refused[0]
    );
    assert!(
        refused[1].1.contains("42501") || refused[1].1.contains("the engine's settings"),
        "{:?}",
        refused[1]
    );
    // 市教委's rejected rows are its own: the ones whose 主管部门 cell names it.
    let jw = setup.user("jw");
    let theirs = psql_all(&jw, &["SELECT count(*) FROM rejects"])[0].0.trim().to_string();
    let named = psql_all(
        &office,
        &[&format!(
            "SELECT count(*) FROM rejects WHERE raw_cells LIKE '%[\"主管部门\",\"{JW}\"]%'"
        )],
    )[0]
    .0
    .trim()
    .to_string();
    assert_eq!(theirs, named);
    assert_ne!(theirs, "0");
}

#[test]
fn logins_are_checked_and_sessions_end_when_the_user_goes() {
    let Some(py) = python() else {
        return;
    };
    let setup = Setup::start(&[]);
    let wrong = client(&py, &setup.dsn("wjw", "nope"), &["connect-error"]);
    let unknown = client(&py, &setup.dsn("nobody", "nope"), &["connect-error"]);
    for e in [&wrong, &unknown] {
        assert!(
            e["message"].as_str().unwrap().contains("assword authentication failed"),
            "{e}"
        );
    }
    // The same answer for an unknown name as for a wrong password.
    assert_eq!(
        wrong["message"].as_str().unwrap().replace("wjw", "?"),
        unknown["message"].as_str().unwrap().replace("nobody", "?")
    );
    // A removed user's open session ends at its next statement; a new login is refused.
    let go = setup.access.path().join("go");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/access_check.py");
    let mut held = std::process::Command::new(&py)
        .arg(&script)
        .args(["session", &setup.user("jw")])
        .arg(&go)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(held.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.contains("ready"), "{line}");
    let dir = setup.access.path().to_string_lossy().into_owned();
    let removed = sample().run(&["--access-dir", &dir, "user", "remove", "jw"]);
    assert!(removed.contains("removed user `jw`"), "{removed}");
    std::fs::write(&go, "").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    held.wait().unwrap();
    let ended: serde_json::Value = serde_json::from_str(rest.trim()).unwrap();
    assert!(ended["first"].as_u64().unwrap() > 0, "{ended}");
    assert!(ended.get("second").is_none(), "{ended}");
    assert_eq!(ended["sqlstate"], "28000", "{ended}");
    assert!(ended["message"].as_str().unwrap().contains("was removed"), "{ended}");
    let again = client(&py, &setup.user("jw"), &["connect-error"]);
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("assword authentication failed"),
        "{again}"
    );
    // A new password ends the sessions of the old one.
    let _ = std::fs::remove_file(&go);
    let mut held = std::process::Command::new(&py)
        .arg(&script)
        .args(["session", &setup.user("wjw")])
        .arg(&go)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(held.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    add_user(sample(), setup.access.path(), "wjw", "department", Some(WJW), "new-pw");
    std::fs::write(&go, "").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    held.wait().unwrap();
    assert!(rest.contains("changed since this session logged in"), "{rest}");
    let fresh = client(&py, &setup.dsn("wjw", "new-pw"), &["connect-error"]);
    assert_eq!(fresh["sqlstate"], serde_json::Value::Null, "{fresh}");
}

#[test]
fn a_session_past_its_lifetime_is_ended() {
    let Some(py) = python() else {
        return;
    };
    let setup = Setup::start(&["--session-lifetime", "1"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/access_check.py");
    let out = std::process::Command::new(&py)
        .arg(&script)
        .args(["expire", &setup.user("wjw"), "2.2"])
        .output()
        .unwrap();
    let result: serde_json::Value = serde_json::from_str(s(&out.stdout).trim()).unwrap();
    assert!(result["first"].as_u64().unwrap() > 0, "{result}");
    assert_eq!(result["sqlstate"], "28000", "{result}");
    assert!(result["message"].as_str().unwrap().contains("expired"), "{result}");
    let records = setup.audit(&["--user", "wjw", "--event", "statement"]);
    let last = records.last().unwrap();
    assert_eq!(last["outcome"], "refused", "{last}");
    assert!(last["message"].as_str().unwrap().contains("expired"), "{last}");
}

#[test]
fn the_audit_trail_holds_every_statement_with_its_user() {
    let (Some(py), true) = (python(), psql_available()) else {
        return;
    };
    let setup = Setup::start(&[]);
    let _ = client(&py, &setup.dsn("wjw", "wrong"), &["connect-error"]);
    let mut ran = Vec::new();
    for (user, n) in [("wjw", 1), ("jw", 2), ("boss", 3)] {
        let statements: Vec<String> = (0..3)
            .map(|i| format!("SELECT {n} * {i} AS marker, count(*) FROM plan_items"))
            .collect();
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        psql_all(&setup.user(user), &refs);
        ran.extend(statements.into_iter().map(|s| (user, s)));
    }
    psql_all(&setup.user("jw"), &["CREATE TABLE x (a INT)"]);
    let records = setup.audit(&[]);
    for (user, sql) in &ran {
        let found: Vec<_> = records
            .iter()
            .filter(|r| r["event"] == "statement" && r["statement"].as_str() == Some(sql.as_str()))
            .collect();
        assert_eq!(found.len(), 1, "{sql}: {found:?}");
        assert_eq!(found[0]["user"], *user, "{sql}");
        assert_eq!(found[0]["outcome"], "ok");
        assert_eq!(found[0]["rows"], 1);
        let role = if *user == "boss" { "office" } else { "department" };
        assert_eq!(found[0]["role"], role);
    }
    let refused: Vec<_> = records
        .iter()
        .filter(|r| r["outcome"] == "refused")
        .map(|r| (r["event"].as_str().unwrap(), r["user"].as_str().unwrap()))
        .collect();
    assert!(refused.contains(&("connect", "wjw")), "{refused:?}");
    assert!(refused.contains(&("statement", "jw")), "{refused:?}");
    let logins = records
        .iter()
        .filter(|r| r["event"] == "connect" && r["outcome"] == "ok")
        .count();
    assert!(logins >= 9, "{logins}");
    // an auditor reads the trail over SQL; the office and the departments do not
    let seen = crate::serve::psql_ok(
        &setup.user("aud"),
        &[
            "-A",
            "-t",
            "-c",
            "SELECT \"user\", count(*) FROM audit_log WHERE event = 'statement' GROUP BY \"user\" ORDER BY 1",
        ],
    );
    assert!(
        seen.contains("boss|3") && seen.contains("wjw|3") && seen.contains("jw|4"),
        "{seen}"
    );
    for user in ["boss", "wjw"] {
        let out = psql(&setup.user(user), &["-c", "SELECT count(*) FROM audit_log"], None);
        assert!(!out.status.success(), "{user} read the audit log");
    }
    let only = setup.audit(&["--user", "jw", "--refused"]);
    assert_eq!(only.len(), 1, "{only:?}");
    assert!(only[0]["message"].as_str().unwrap().contains("read-only"), "{only:?}");
}

#[test]
fn users_are_managed_without_a_password_on_the_command_line() {
    let wh = sample();
    let access = tempfile::tempdir().unwrap();
    let dir = access.path().to_string_lossy().into_owned();
    let added = add_user(
        wh,
        access.path(),
        "wjw",
        "department",
        Some(" 市 卫健委 "),
        "s3cret-密码",
    );
    assert!(added.contains("added user `wjw`") && added.contains(WJW), "{added}");
    let list = wh.run(&["--access-dir", &dir, "user", "list", "--format", "csv"]);
    assert!(
        list.starts_with("name,role,department,added\nwjw,department,市卫健委,"),
        "{list}"
    );
    let file = std::fs::read_to_string(access.path().join("users.toml")).unwrap();
    assert!(
        file.contains("SCRAM-SHA-256$4096:") && !file.contains("s3cret"),
        "{file}"
    );
    let (code, err) = wh.fail(&["--access-dir", &dir, "user", "remove", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no user `nobody`"), "{err}");
    let (_, err) = wh.fail(&["--access-dir", &dir, "user", "add", "x", "--role", "department"]);
    assert!(err.contains("--department"), "{err}");
    let (_, err) = wh.fail(&["--access-dir", &dir, "user", "add", "x", "--role", "boss"]);
    assert!(err.contains("office, department or auditor"), "{err}");
    // a department no table names is said, not refused
    let mut cmd = wh.std_cmd();
    let out = cmd
        .arg("--access-dir")
        .arg(access.path())
        .args([
            "user",
            "add",
            "typo",
            "--role",
            "department",
            "--department",
            "市卫建委",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"pw\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert!(
        s(&out.stderr).contains("no table names the department `市卫建委`"),
        "{}",
        s(&out.stderr)
    );
    // an empty password is refused
    let out = wh
        .std_cmd()
        .arg("--access-dir")
        .arg(access.path())
        .args(["user", "add", "e", "--role", "office"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !out.status.success() && s(&out.stderr).contains("the password is empty"),
        "{}",
        s(&out.stderr)
    );
    let removed = wh.run(&["--access-dir", &dir, "user", "remove", "typo"]);
    assert!(removed.contains("removed"));
}
