//! `ceping serve` driven by real clients: Debian's `psql` and Python's psycopg 3
//! (tests/python/serve_client.py). Each test starts the real binary on a free loopback
//! port and stops it with SIGTERM.
//!
//! psql, openssl and a Python with psycopg are installed by `.ci/setup`; without them
//! these tests say so and return, except under CI, where they must be there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Std, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{fixture, parse_csv, s, sample, TestWarehouse};

/// A running `ceping serve`.
pub(crate) struct Server {
    child: Child,
    port: u16,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    pub(crate) fn start(wh: &TestWarehouse, args: &[&str]) -> Server {
        Self::start_with(wh, args, &[])
    }

    fn start_with(wh: &TestWarehouse, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = wh.std_cmd();
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("CEPING_PASSWORD")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("ceping serve starts");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("ceping serve did not announce its address: {:?}", child.try_wait()));
            if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
                let port = rest.split(' ').next().unwrap().parse().unwrap();
                return Server {
                    child,
                    port,
                    stderr: rx,
                };
            }
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn dsn(&self) -> String {
        format!("host=127.0.0.1 port={} user=analyst dbname=ceping", self.port)
    }

    /// Sends SIGTERM; returns the exit status and what the server printed meanwhile.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let _ = Std::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(Instant::now() < deadline, "ceping serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        let text: Vec<String> = self.stderr.try_iter().collect();
        (status, text.join("\n"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tool the tests drive, or `None` (the test returns) outside CI.
fn tool(name: &str, probe: &[&str]) -> Option<PathBuf> {
    let found = Std::new(name).args(probe).output().is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from(name));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have {name} (.ci/setup installs it)"
    );
    eprintln!("skipped: {name} is not installed (bash .ci/setup installs it)");
    None
}

pub(crate) fn psql_available() -> bool {
    tool("psql", &["--version"]).is_some()
}

/// A Python with psycopg (common::python).
pub(crate) fn python() -> Option<PathBuf> {
    crate::common::python(&["psycopg"])
}

/// psql with `args`, no password prompt, no ~/.psqlrc.
pub(crate) fn psql(dsn: &str, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Std::new("psql");
    cmd.arg(dsn)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-w"])
        .args(args)
        .env_remove("PGPASSWORD");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.output().expect("psql runs")
}

pub(crate) fn psql_ok(dsn: &str, args: &[&str]) -> String {
    let out = psql(dsn, args, None);
    assert!(out.status.success(), "psql {args:?}: {}", s(&out.stderr));
    s(&out.stdout)
}

/// Runs tests/python/serve_client.py; returns its JSON answer.
pub(crate) fn client(python: &Path, dsn: &str, args: &[&str]) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/serve_client.py");
    let out = Std::new(python)
        .arg(script)
        .arg(dsn)
        .args(args)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "serve_client {args:?}: {}", s(&out.stderr));
    let text = s(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const METRIC_VIEWS: &[&str] = &[
    "plan_coverage",
    "execution_by_quarter",
    "rectification_progress",
    "spending",
    "letters_due",
    "cycle_status",
];

#[test]
fn psql_lists_the_catalog_and_every_metric_view_equals_ceping_sql() {
    if !psql_available() {
        return;
    }
    let wh = sample();
    let server = Server::start(wh, &[]);
    let dsn = server.dsn();
    let tables = psql_ok(&dsn, &["-c", r"\dt"]);
    for t in [
        "plan_items",
        "assessments",
        "findings",
        "budgets",
        "ingest_log",
        "rejects",
    ] {
        assert!(tables.contains(&format!(" {t} ")), "{t} in \\dt:\n{tables}");
    }
    let views = psql_ok(&dsn, &["-c", r"\dv"]);
    for v in METRIC_VIEWS {
        assert!(views.contains(&format!(" {v} ")), "{v} in \\dv:\n{views}");
    }
    // The data dictionary's Chinese labels are the comments of tables, views and columns.
    let labels: std::collections::BTreeMap<String, String> = wh
        .rows_of(&["tables", "--format", "csv"])
        .into_iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    let described = psql_ok(&dsn, &["-c", r"\dt+", "-c", r"\dv+"]);
    for name in ["plan_items", "findings", "plan_coverage", "execution_by_quarter"] {
        let line = described
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name} in \\dt+/\\dv+:\n{described}"));
        assert!(line.trim_end().ends_with(&labels[name]), "{name}: {line}");
    }
    let column_label = psql_ok(
        &dsn,
        &[
            "-t",
            "-A",
            "-c",
            "SELECT col_description(attrelid, attnum) FROM pg_catalog.pg_attribute \
             WHERE attname = 'planned_quarter' AND attrelid = \
             (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'plan_items')",
        ],
    );
    let expected = wh.rows_of(&["describe", "plan_items", "--format", "csv"]);
    let planned = expected.iter().find(|r| r[0] == "planned_quarter").unwrap();
    assert!(
        planned.contains(&column_label.trim().to_string()),
        "{column_label} in {planned:?}"
    );
    let columns = psql_ok(&dsn, &["-c", r"\d plan_items"]);
    assert!(columns.contains("planned_quarter | smallint"), "{columns}");
    assert!(columns.contains("last_assessed   | date"), "{columns}");

    for view in METRIC_VIEWS {
        let width = parse_csv(&wh.run(&["sql", "--format", "csv", &format!("SELECT * FROM {view} LIMIT 1")]))[0].len();
        let order: Vec<String> = (1..=width).map(|i| i.to_string()).collect();
        let sql = format!("SELECT * FROM {view} ORDER BY {}", order.join(", "));
        let ours = parse_csv(&wh.run(&["sql", "--format", "csv", &sql]));
        // (psql writes booleans as t / f, `ceping sql` as true / false)
        let theirs: Vec<Vec<String>> = parse_csv(&psql_ok(&dsn, &["--csv", "-c", &sql]))
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| match c.as_str() {
                        "t" => "true".to_string(),
                        "f" => "false".to_string(),
                        _ => c,
                    })
                    .collect()
            })
            .collect();
        assert!(ours.len() > 1, "{view} has rows");
        assert_eq!(theirs, ours, "{view}: psql and ceping sql differ");
    }
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn writes_are_refused_by_name_and_change_nothing() {
    if !psql_available() {
        return;
    }
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let history = wh.run(&["history", "--format", "csv"]);
    let server = Server::start(&wh, &[]);
    let dsn = server.dsn();
    for (sql, kind) in [
        ("CREATE TABLE t (a INT)", "CREATE TABLE"),
        ("INSERT INTO plan_items (year) VALUES (2030)", "INSERT"),
        ("DELETE FROM plan_items", "DELETE"),
        ("COPY plan_items TO '/tmp/ceping-copy.csv'", "COPY"),
        (
            "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
            "CREATE EXTERNAL TABLE",
        ),
        ("DROP VIEW plan_coverage", "DROP VIEW"),
        ("SELECT * INTO t2 FROM plan_items", "SELECT INTO"),
    ] {
        let out = psql(&dsn, &["-c", sql], None);
        assert!(!out.status.success(), "{sql} was accepted");
        let err = s(&out.stderr);
        assert!(err.contains(&format!("25006: cannot execute {kind}:")), "{sql}: {err}");
    }
    let out = psql(&dsn, &["-c", "SET datafusion.execution.target_partitions = 1"], None);
    assert!(s(&out.stderr).contains("42501"), "{}", s(&out.stderr));
    // Queries, EXPLAIN, client settings and transaction no-ops are fine.
    let ok = psql_ok(
        &dsn,
        &[
            "-c",
            "BEGIN",
            "-c",
            "SET application_name = 'bi'",
            "-c",
            "EXPLAIN SELECT count(*) FROM plan_items",
            "-c",
            "COMMIT",
            "-c",
            "DISCARD ALL",
            "-c",
            "SELECT count(*) AS n FROM plan_items",
        ],
    );
    assert!(ok.contains("DISCARD ALL"), "{ok}");
    assert!(!Path::new("/tmp/ceping-copy.csv").exists());
    server.stop();
    assert_eq!(
        wh.run(&["history", "--format", "csv"]),
        history,
        "the warehouse is unchanged"
    );
}

#[test]
fn as_of_reads_an_older_version_and_a_new_ingest_is_seen_without_restart() {
    if !psql_available() {
        return;
    }
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let v1 = wh.scalar("SELECT max(warehouse_version) FROM ingest_log");
    let count_v1 = wh.scalar("SELECT count(*) FROM plan_items");
    let server = Server::start(&wh, &[]);
    let dsn = server.dsn();
    let count = |extra: &[&str]| {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["-t", "-A", "-c", "SELECT count(*) FROM plan_items"]);
        psql_ok(&dsn, &args).trim().lines().last().unwrap().to_string()
    };
    assert_eq!(count(&[]), count_v1);
    wh.ingest(&[&fixture("plan_2022.ods")]);
    let count_v2 = wh.scalar("SELECT count(*) FROM plan_items");
    assert_ne!(count_v2, count_v1);
    assert_eq!(count(&[]), count_v2, "the next query sees the new ingest");
    let set = format!("SET ceping.as_of = {v1}");
    assert_eq!(count(&["-c", &set]), count_v1, "SET ceping.as_of reads version {v1}");
    assert_eq!(
        psql_ok(&dsn, &["-t", "-A", "-c", &set, "-c", "SHOW ceping.as_of"])
            .trim()
            .lines()
            .last(),
        Some(v1.as_str())
    );
    let out = psql(&dsn, &["-c", "SET ceping.as_of = 999"], None);
    assert!(s(&out.stderr).contains("does not exist yet"), "{}", s(&out.stderr));
}

#[test]
fn a_statement_over_the_time_limit_is_cancelled_and_the_server_goes_on() {
    if !psql_available() {
        return;
    }
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let server = Server::start(&wh, &["--query-timeout", "1", "--memory-limit", "16M"]);
    let dsn = server.dsn();
    let started = Instant::now();
    let out = psql(
        &dsn,
        &["-c", "SELECT count(*) FROM generate_series(1, 100000000000)"],
        None,
    );
    assert!(s(&out.stderr).contains("57014"), "{}", s(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(20), "cancelled near the limit");
    // A client's shorter statement_timeout applies too.
    let out = psql(
        &dsn,
        &[
            "-c",
            "SET statement_timeout = 200",
            "-c",
            "SELECT count(*) FROM generate_series(1, 100000000000)",
        ],
        None,
    );
    assert!(s(&out.stderr).contains("canceling statement"), "{}", s(&out.stderr));
    // A query needing more than the memory limit fails alone.
    let out = psql(
        &dsn,
        &[
            "-c",
            "SELECT count(*) FROM generate_series(1, 3000000) a JOIN generate_series(1, 3000000) b ON a.value = b.value",
        ],
        None,
    );
    assert!(s(&out.stderr).contains("53200"), "{}", s(&out.stderr));
    assert_eq!(
        psql_ok(&dsn, &["-t", "-A", "-c", "SELECT count(*) FROM plan_items"]).trim(),
        wh.scalar("SELECT count(*) FROM plan_items")
    );
}

/// A self-signed certificate for localhost, made with openssl.
fn certificate(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    tool("openssl", &["version"])?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Std::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", s(&out.stderr));
    Some((cert, key))
}

#[test]
fn password_and_tls_guard_the_server() {
    if !psql_available() {
        return;
    }
    let Some(py) = python() else { return };
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let Some((cert, key)) = certificate(wh.dir.path()) else {
        return;
    };
    let password_file = wh.file("password");
    std::fs::write(&password_file, "correct horse 测评\n").unwrap();
    let (cert_s, key_s, pw_s) = (
        cert.display().to_string(),
        key.display().to_string(),
        password_file.display().to_string(),
    );

    // Not loopback: refused without a password and TLS; a broken certificate is fatal.
    let (_, err) = wh.fail(&["serve", "--listen", "0.0.0.0:0"]);
    assert!(err.contains("needs logins") && err.contains("TLS"), "{err}");
    let (_, err) = wh.fail(&["serve", "--listen", "0.0.0.0:0", "--password-file", &pw_s]);
    assert!(err.contains("needs logins"), "{err}");
    let (_, err) = wh.fail(&[
        "serve",
        "--password-file",
        &pw_s,
        "--tls-cert",
        &pw_s,
        "--tls-key",
        &key_s,
    ]);
    assert!(err.contains("TLS set-up failed"), "{err}");

    let server = Server::start(
        &wh,
        &["--password-file", &pw_s, "--tls-cert", &cert_s, "--tls-key", &key_s],
    );
    let tls = format!("{} sslmode=require", server.dsn());
    let out = psql(
        &tls,
        &["-t", "-A", "-c", "SELECT count(*) FROM plan_items"],
        Some("correct horse 测评"),
    );
    assert!(out.status.success(), "{}", s(&out.stderr));
    assert_eq!(s(&out.stdout).trim(), wh.scalar("SELECT count(*) FROM plan_items"));

    let wrong = client(&py, &format!("{tls} password=wrong"), &["connect-error"]);
    // pgwire answers a wrong password with SQLSTATE 28P01; libpq reports only the text
    // before a connection is up.
    assert!(
        wrong["message"]
            .as_str()
            .unwrap()
            .contains("Password authentication failed"),
        "{wrong}"
    );
    let plain = client(
        &py,
        &format!("{} sslmode=disable password=x", server.dsn()),
        &["connect-error"],
    );
    assert!(plain["message"].as_str().unwrap().contains("only TLS"), "{plain}");

    // Repeated failures are answered ever more slowly.
    let started = Instant::now();
    for _ in 0..3 {
        client(&py, &format!("{tls} password=wrong"), &["connect-error"]);
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let (status, log) = server.stop();
    assert!(status.success());
    assert!(!log.contains("correct horse"), "the password is never printed: {log}");
}

#[test]
fn psycopg_gets_decimal_money_dates_and_chinese_through_server_side_parameters() {
    let Some(py) = python() else { return };
    let wh = sample();
    let server = Server::start(wh, &[]);
    let dsn = server.dsn();
    let sql = "SELECT year, department, unit, category, requested, approved, spent FROM budgets \
               WHERE department = %s AND year = %s ORDER BY unit, category";
    let ours = wh.rows(
        "SELECT year, department, unit, category, requested, approved, spent FROM budgets \
         WHERE department = '市卫健委' AND year = 2018 ORDER BY unit, category",
    );
    assert!(!ours.is_empty());
    let got = client(&py, &dsn, &["types", sql, "市卫健委", "2018"]);
    let rows = got["rows"].as_array().unwrap();
    assert_eq!(rows.len(), ours.len(), "{got}");
    for (row, expected) in rows.iter().zip(&ours) {
        let row = row.as_array().unwrap();
        assert_eq!(row[0], serde_json::json!(["int", 2018]));
        assert_eq!(row[1], serde_json::json!(["str", "市卫健委"]));
        for (i, cell) in row.iter().enumerate().skip(4) {
            if expected[i].is_empty() {
                assert_eq!(cell[0], "NoneType");
            } else {
                assert_eq!(cell, &serde_json::json!(["Decimal", expected[i]]), "money to the fen");
            }
        }
    }
    let dates = client(
        &py,
        &dsn,
        &[
            "types",
            "SELECT last_assessed FROM plan_items WHERE last_assessed IS NOT NULL ORDER BY last_assessed LIMIT 1",
        ],
    );
    let first = wh.scalar("SELECT min(last_assessed) FROM plan_items");
    assert_eq!(dates["rows"][0][0], serde_json::json!(["date", first]));
    // A type the protocol cannot carry comes back as text.
    let half = client(&py, &dsn, &["types", "SELECT arrow_cast(1.5, 'Float16') AS f, 2 AS n"]);
    assert_eq!(half["rows"][0], serde_json::json!([["str", "1.5"], ["int", 2]]));
    let refused = client(&py, &dsn, &["error", "INSERT INTO budgets (year) VALUES (1)"]);
    assert_eq!(refused["sqlstate"], "25006", "{refused}");
}

#[test]
fn a_query_while_an_ingest_lands_sees_the_old_or_the_new_version_never_a_mix() {
    let Some(py) = python() else { return };
    let scratch = TestWarehouse::new();
    let file = crate::consistency::big_plan(&scratch, 6000);
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let before = (
        wh.scalar("SELECT count(*) FROM plan_items"),
        wh.scalar("SELECT count(*) FROM ingest_log"),
    );
    let server = Server::start(&wh, &[]);
    let dsn = server.dsn();
    let stop = wh.file("ingest-done");
    let watcher = {
        let (py, dsn, stop) = (py.clone(), dsn.clone(), stop.display().to_string());
        std::thread::spawn(move || client(&py, &dsn, &["watch", &stop]))
    };
    std::thread::sleep(Duration::from_secs(2));
    wh.ingest(&[&file]);
    std::fs::write(&stop, "").unwrap();
    let after = (
        wh.scalar("SELECT count(*) FROM plan_items"),
        wh.scalar("SELECT count(*) FROM ingest_log"),
    );
    let seen = watcher.join().unwrap();
    let pairs: Vec<(String, String)> = seen["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].to_string(), p[1].to_string()))
        .collect();
    assert_eq!(pairs.first(), Some(&before), "{seen}");
    assert_eq!(
        pairs.last(),
        Some(&after),
        "a prepared statement sees the new version: {seen}"
    );
    assert!(pairs.iter().all(|p| *p == before || *p == after), "{seen}");
}

#[test]
fn connections_beyond_the_cap_are_refused_and_sigterm_drains() {
    let Some(py) = python() else { return };
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let server = Server::start(&wh, &["--max-connections", "1", "--drain", "20"]);
    let dsn = server.dsn();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/serve_client.py");
    let mut holder = Std::new(&py)
        .arg(&script)
        .args([dsn.as_str(), "hold", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "open");
    let refused = client(&py, &dsn, &["connect-error"]);
    assert!(
        refused["message"].as_str().unwrap().contains("too many connections"),
        "{refused}"
    );
    // SIGTERM while the first client is connected: the server waits for it, then stops.
    let started = Instant::now();
    let (status, log) = server.stop();
    assert!(status.success(), "{log}");
    assert!(
        holder.wait().unwrap().success(),
        "the open connection finished its work"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "drained, not cut: {:?}",
        started.elapsed()
    );
}

/// A bounded load: 32 concurrent clients running metric queries. Zero errors; the
/// server's memory before and after is printed (the full 32 × 200 run with throughput
/// and latency is `bench/serve_load.sh`, in docs/PERFORMANCE.md).
#[test]
fn thirty_two_concurrent_clients_run_metric_queries_without_an_error() {
    let Some(py) = python() else { return };
    let wh = sample();
    let server = Server::start(wh, &[]);
    let rss = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|t| t.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.to_string()))
            .unwrap_or_default()
    };
    let before = rss(server.child.id());
    let queries = std::env::var("CEPING_LOAD_QUERIES").unwrap_or_else(|_| "6".into());
    let result = client(&py, &server.dsn(), &["load", "32", &queries]);
    let after = rss(server.child.id());
    eprintln!("load: {result}\nserver {before} before, {after} after");
    assert_eq!(result["error_count"], 0, "{result}");
    assert_eq!(result["queries"], 32 * queries.parse::<i64>().unwrap());
}

/// What clients parse and do around their queries: the version in PostgreSQL's form,
/// savepoints as no-ops, and a correlated subquery in a select list answered — not NULL, as
/// datafusion-pg-catalog's rewrite would answer it.
#[test]
fn the_server_says_postgresql_16_takes_savepoints_and_answers_correlated_subqueries() {
    if !psql_available() {
        return;
    }
    let wh = sample();
    let server = Server::start(wh, &[]);
    let dsn = server.dsn();
    let out = psql_ok(
        &dsn,
        &[
            "-At",
            "-c",
            "SELECT version()",
            "-c",
            "SHOW server_version",
            "-c",
            "SHOW server_version_num",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("PostgreSQL 16.6 (ceping "), "{out}");
    assert!(lines[0].contains("Apache DataFusion 55"), "{out}");
    assert!(lines[1].starts_with("16.6 (ceping "), "{out}");
    assert_eq!(lines[2], "160006");
    let out = psql_ok(
        &dsn,
        &[
            "-At",
            "-c",
            "BEGIN; SAVEPOINT a; SELECT 1; ROLLBACK TO SAVEPOINT a; RELEASE SAVEPOINT a; COMMIT",
        ],
    );
    assert!(out.contains('1'), "{out}");
    let sql =
        "SELECT year, (SELECT count(*) FROM plan_items p WHERE p.year = c.year) AS n FROM plan_coverage c ORDER BY 1";
    let served = psql_ok(&dsn, &["-At", "-F", ",", "-c", sql]);
    let local: Vec<String> = wh.rows(sql).iter().map(|r| r.join(",")).collect();
    assert_eq!(served.trim(), local.join("\n"));
    assert!(!served.contains(",\n") && !served.ends_with(','), "no NULL: {served}");
}
