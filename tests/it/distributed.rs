//! The warehouse and every view file on distributed engines nobody here wrote (issue 31):
//! `ceping views --dialect spark` pasted into a Spark SQL session, every view's rows equal
//! to `ceping sql`'s (decimals to the fen, doubles to 1e-6).
//!
//! - **Sail** (pysail, Spark Connect) in `local-cluster` mode: a driver and two worker
//!   actors exchanging shuffles over gRPC on 127.0.0.1, reading the Delta tables at the
//!   snapshot's versions from local disk and from S3 (moto);
//! - **Spark standalone** from the pyspark wheel: a master and two workers, separate JVM
//!   processes on 127.0.0.1 started and stopped here by pid, reading the snapshot's Parquet
//!   files (`--files`: the wheel has no Delta reader and Maven is not reachable).
//!
//! Nothing is skipped: without the engines (.ci/setup installs them) the tests fail and
//! say what to install.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{parse_csv, s, sample, scale_m, TestWarehouse};
use crate::s3::Moto;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The readers' venv Python with pysail and pyspark-client (.ci/setup, tests/python/readers.txt).
fn sail_python() -> PathBuf {
    let python = std::env::var_os("CEPING_TEST_READERS_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let ok = Command::new(&python)
        .args(["-c", "import pysail, deltalake; from pyspark.sql import SparkSession"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{}: no pysail + pyspark-client: run `bash .ci/setup` (installs tests/python/readers.txt) \
         and set CEPING_TEST_READERS_PYTHON",
        python.display()
    );
    python
}

/// Processes stopped (killed by pid) on drop.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A Sail Spark Connect server in local-cluster mode (a driver and two workers).
fn start_sail(python: &Path, env: &[(String, String)], log: &Path) -> (Processes, String) {
    let port = free_port();
    let sail = python.parent().unwrap().join("sail");
    let child = Command::new(&sail)
        .args(["spark", "server", "--ip", "127.0.0.1", "--port", &port.to_string()])
        .env("SAIL_MODE", "local-cluster")
        .env("SAIL_CLUSTER__WORKER_INITIAL_COUNT", "2")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (bash .ci/setup installs pysail)", sail.display()));
    let processes = Processes(vec![child]);
    wait_for_port(port, "sail", log);
    (processes, format!("sc://127.0.0.1:{port}"))
}

/// `ceping views` output for `wh` in a file, with the extra arguments.
fn views_script(wh: &TestWarehouse, dialect: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["views", "--dialect", dialect];
    args.extend(extra);
    let script = wh.run(&args);
    let path = wh.file(&format!("views-{dialect}{}.sql", extra.join("_")));
    std::fs::write(&path, script).unwrap();
    path
}

/// Runs tests/python/engine_views.py; every view's CSV by name.
fn engine_csvs(python: &Path, connect: &[&str], script: &Path, env: &[(&str, String)]) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(python)
        .arg(repo().join("tests/python/engine_views.py"))
        .args(connect)
        .arg(script)
        .arg(out.path())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(run.status.success(), "engine_views.py: {}", s(&run.stderr));
    std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// A field as compared: numbers to six decimals (decimals are exact at two), the rest as is.
fn field(f: &str) -> String {
    match f.parse::<f64>() {
        Ok(v) if !f.is_empty() => format!("{v:.6}"),
        _ => f.to_string(),
    }
}

fn rows(csv: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut all = parse_csv(csv);
    if all.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let header = all.remove(0);
    let mut rows: Vec<Vec<String>> = all.into_iter().map(|r| r.iter().map(|f| field(f)).collect()).collect();
    rows.sort();
    (header, rows)
}

/// Every view of the engine's output equals `ceping sql`'s rows; the views compared.
fn compare(wh: &TestWarehouse, engine: &BTreeMap<String, String>) -> Vec<String> {
    let mut differ = Vec::new();
    for (view, csv) in engine {
        let ours = wh.run(&["sql", &format!("SELECT * FROM {view}"), "--format", "csv"]);
        let (h1, r1) = rows(csv);
        let (h2, r2) = rows(&ours);
        if h1 != h2 {
            differ.push(format!("{view}: columns {h1:?} vs ceping {h2:?}"));
        } else if r1 != r2 {
            let first = r1.iter().zip(&r2).find(|(a, b)| a != b);
            differ.push(format!(
                "{view}: {} rows vs ceping {}; first difference {first:?}",
                r1.len(),
                r2.len()
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    engine.keys().cloned().collect()
}

fn view_count() -> usize {
    std::fs::read_dir(repo().join("src/sql/views"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count()
}

#[test]
fn sail_local_cluster_runs_every_view_equal_to_ceping_on_local_disk() {
    let python = sail_python();
    let log = tempfile::NamedTempFile::new().unwrap();
    let (_sail, remote) = start_sail(&python, &[], log.path());
    for wh in [sample(), scale_m()] {
        let script = views_script(wh, "spark", &[]);
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(text.contains("FROM delta.`file://"), "{}", &text[..text.len().min(600)]);
        assert!(text.contains("VERSION AS OF"));
        let engine = engine_csvs(&python, &["--remote", &remote], &script, &[]);
        assert_eq!(compare(wh, &engine).len(), view_count());
    }
    // Not vacuous: the briefing's figures are among the rows compared.
    let engine = engine_csvs(
        &python,
        &["--remote", &remote],
        &views_script(sample(), "spark", &[]),
        &[],
    );
    assert!(
        engine["plan_coverage"].contains("\n2018,1,40,64,132\n"),
        "{}",
        engine["plan_coverage"]
    );
}

#[test]
fn sail_local_cluster_reads_the_warehouse_on_s3() {
    let python = sail_python();
    let Some(moto) = Moto::start() else { return };
    let wh = moto.warehouse("ceping-sail", "warehouse");
    std::os::unix::fs::symlink(repo().join("data"), wh.file("data")).unwrap();
    let out = wh
        .cmd()
        .current_dir(wh.file(""))
        .arg("run")
        .arg(repo().join("pipelines/briefing.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", s(&out.stderr));
    let log = tempfile::NamedTempFile::new().unwrap();
    let (_sail, remote) = start_sail(&python, &moto.env(), log.path());
    let script = views_script(&wh, "spark", &[]);
    assert!(std::fs::read_to_string(&script)
        .unwrap()
        .contains("FROM delta.`s3://ceping-sail/warehouse/plan_items` VERSION AS OF"));
    let engine = engine_csvs(&python, &["--remote", &remote], &script, &[]);
    assert_eq!(compare(&wh, &engine).len(), view_count());
    assert!(engine["plan_coverage"].contains("\n2018,1,40,64,132\n"));
}

/// The pyspark wheel's Python (`CEPING_TEST_SPARK_PYTHON`, .ci/setup: tests/python/spark.txt)
/// and its SPARK_HOME.
fn spark_python() -> (PathBuf, PathBuf) {
    let python = std::env::var_os("CEPING_TEST_SPARK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!("CEPING_TEST_SPARK_PYTHON is not set: run `bash .ci/setup` (a venv with the pyspark wheel)")
        });
    let home = Command::new(&python)
        .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(
        home.status.success(),
        "{}: no pyspark wheel: run `bash .ci/setup`",
        python.display()
    );
    let java = Command::new("java").arg("-version").output();
    assert!(
        java.is_ok_and(|o| o.status.success()),
        "no `java`: Spark needs a JDK 17 (Debian: apt-get install openjdk-17-jre-headless)"
    );
    (python, PathBuf::from(s(&home.stdout).trim()))
}

/// A Spark standalone master and two workers (one core, 1 GiB each), separate processes.
fn start_spark(home: &Path, dir: &Path) -> (Processes, String) {
    let class = home.join("bin/spark-class");
    let spawn = |args: &[&str], log: &str| {
        Command::new(&class)
            .args(args)
            .env("SPARK_HOME", home)
            .env("SPARK_LOG_DIR", dir)
            .env("SPARK_WORKER_DIR", dir.join(log))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(format!("{log}.log"))).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", class.display()))
    };
    let port = free_port();
    let master = spawn(
        &[
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--webui-port",
            &free_port().to_string(),
        ],
        "master",
    );
    let mut processes = Processes(vec![master]);
    wait_for_port(port, "the Spark master", &dir.join("master.log"));
    let url = format!("spark://127.0.0.1:{port}");
    for worker in ["worker1", "worker2"] {
        processes.0.push(spawn(
            &[
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                &free_port().to_string(),
                &url,
            ],
            worker,
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for worker in ["worker1", "worker2"] {
        let log = dir.join(format!("{worker}.log"));
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("Successfully registered with master")
        {
            assert!(
                Instant::now() < deadline,
                "{worker} did not register: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    (processes, url)
}

#[test]
fn spark_standalone_cluster_runs_every_view_over_the_snapshot_files() {
    let (python, home) = spark_python();
    let dir = tempfile::tempdir().unwrap();
    let (cluster, url) = start_spark(&home, dir.path());
    let wh = sample();
    let script = views_script(wh, "spark", &["--files"]);
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("FROM parquet.`/"), "{}", &text[..text.len().min(600)]);
    let engine = engine_csvs(
        &python,
        &["--master", &url],
        &script,
        &[("SPARK_HOME", home.display().to_string())],
    );
    assert_eq!(compare(wh, &engine).len(), view_count());
    assert!(engine["plan_coverage"].contains("\n2018,1,40,64,132\n"));
    // The work ran on both workers: each started an executor for the application.
    for worker in ["worker1", "worker2"] {
        let log = std::fs::read_to_string(dir.path().join(format!("{worker}.log"))).unwrap();
        assert!(log.contains("Asked to launch executor"), "{worker}: {log}");
    }
    drop(cluster);
}

#[test]
fn duckdb_runs_its_dialects_script_equal_to_ceping() {
    let python = sail_python();
    let wh = sample();
    let script = views_script(wh, "duckdb", &[]);
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(
        text.contains("FROM delta_scan('file://"),
        "{}",
        &text[..text.len().min(600)]
    );
    let engine = engine_csvs(&python, &["--duckdb"], &script, &[]);
    assert_eq!(compare(wh, &engine).len(), view_count());
    assert!(engine["plan_coverage"].contains("\n2018,1,40,64,132\n"));
}

#[test]
fn a_view_outside_the_portable_dialect_is_refused_with_its_line() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("halves.sql"),
        "-- 一半\n-- The plan rows halved.\nSELECT year,\n       COUNT(*) / 2 AS half\nFROM plan_items GROUP BY year\n",
    )
    .unwrap();
    let out = wh
        .cmd()
        .env("CEPING_VIEWS_DIR", dir.path())
        .args(["views", "--dialect", "spark"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = s(&out.stderr);
    assert!(
        err.contains("halves.sql") && err.contains("line 4") && err.contains("7/2"),
        "{err}"
    );
}
