//! The warehouse on S3-compatible object storage, and engines nobody here wrote reading
//! its Delta tables. The S3 server is moto's (`python -m moto.server`, from the readers'
//! venv that .ci/setup makes) on loopback, started per test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixture, parse_csv, readers_python, s, xlsx, TestWarehouse};

/// A moto S3 server on a free loopback port, stopped on drop.
pub struct Moto {
    child: Child,
    python: PathBuf,
    endpoint: String,
}

impl Moto {
    pub fn start() -> Option<Moto> {
        let python = readers_python()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&python)
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto {
            child,
            python,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// A new bucket and a warehouse under `prefix` in it.
    pub fn warehouse(&self, bucket: &str, prefix: &str) -> TestWarehouse {
        let script = format!(
            "import boto3; boto3.client('s3', endpoint_url='{}', aws_access_key_id='test', \
             aws_secret_access_key='test', region_name='us-east-1').create_bucket(Bucket='{bucket}')",
            self.endpoint
        );
        let out = Command::new(&self.python).args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}", s(&out.stderr));
        TestWarehouse::remote(&format!("s3://{bucket}/{prefix}"), self.env())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every row of each metric view, sorted (the views have no ORDER BY of their own).
fn figures(wh: &TestWarehouse) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    [
        "plan_coverage",
        "execution_by_quarter",
        "cycle_status",
        "spending",
        "rectification_progress",
        "budget_gaps",
        "plan_changes",
    ]
    .into_iter()
    .map(|v| {
        let mut rows = wh.rows(&format!("SELECT * FROM {v}"));
        rows.sort();
        (v, rows)
    })
    .collect()
}

/// The README's main job against `s3://…`: the same figures as on a local directory,
/// `ceping check` clean, and the second run changes nothing.
#[test]
fn the_sample_pipeline_on_s3_gives_the_local_figures() {
    let Some(moto) = Moto::start() else { return };
    let wh = moto.warehouse("ceping-sample", "warehouse");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::os::unix::fs::symlink(repo.join("data"), wh.dir.path().join("data")).unwrap();
    let run = || {
        let out = wh
            .cmd()
            .current_dir(wh.dir.path())
            .arg("run")
            .arg(repo.join("pipelines/briefing.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", s(&out.stderr));
        s(&out.stdout)
    };
    let first = run();
    assert!(
        first.contains("│ 2018 │ 40 / 64 / 132 │ 10 / 13 / 18 │ 3 / 3 / 6"),
        "{first}"
    );
    let local = crate::common::sample();
    let on_s3 = figures(&wh);
    assert!(on_s3.values().all(|rows| !rows.is_empty()));
    assert_eq!(on_s3, figures(local));
    let version = wh.scalar("SELECT max(warehouse_version) FROM ingest_log");
    assert_eq!(version, local.scalar("SELECT max(warehouse_version) FROM ingest_log"));
    run();
    assert_eq!(wh.scalar("SELECT max(warehouse_version) FROM ingest_log"), version);
    let check = wh.run(&["check"]);
    assert!(check.contains("Delta reader 1 / writer 2"), "{check}");
    assert!(check.contains(": consistent"), "{check}");
    // The reports of the pipeline were written locally, from the remote warehouse.
    assert!(wh.dir.path().join("out/briefing/2018").is_dir());
    // trace, diff, history and serve read it as they read a directory.
    for args in [
        &[
            "trace",
            "execution_by_quarter",
            "--year",
            "2018",
            "--quarter",
            "1",
            "--format",
            "csv",
        ][..],
        &["diff", "--from", "3", "execution_by_quarter"],
        &[
            "sql",
            "--as-of",
            "2",
            "--format",
            "csv",
            "SELECT count(*) FROM plan_items",
        ],
    ] {
        assert_eq!(wh.run(args), local.run(args), "{args:?}");
    }
    if crate::serve::psql_available() {
        let server = crate::serve::Server::start(&wh, &[]);
        let n = crate::serve::psql_ok(&server.dsn(), &["-A", "-t", "-c", "SELECT count(*) FROM findings"]);
        assert_eq!(n.trim(), wh.scalar("SELECT count(*) FROM findings"));
    }
    // Compaction and vacuum there: one more version, the same figures.
    let (code, err) = wh.fail(&["optimize", "--retention-hours", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("too short on object storage"), "{err}");
    let out = wh.run(&["optimize", "--retention-hours", "1"]);
    assert!(out.contains("plan_items: "), "{out}");
    assert_eq!(figures(&wh), on_s3);
    assert!(wh.run(&["check"]).contains(": consistent"));
}

/// Two writers that race for one warehouse version: the one that loses the conditional
/// put of the log commit records nothing, reads the new version and runs again. Paused
/// just before its log commit while the other ingests, so the race is not left to chance.
#[test]
fn a_writer_that_loses_the_race_on_s3_runs_again_and_nothing_is_counted_twice() {
    let Some(moto) = Moto::start() else { return };
    let wh = moto.warehouse("ceping-race", "wh");
    wh.run(&["init"]);
    let gate = wh.file("gate");
    std::fs::create_dir(&gate).unwrap();
    let first = wh
        .std_cmd()
        .env("CEPING_PAUSE", format!("before-log-commit:{}", gate.display()))
        .env("RUST_LOG", "warn")
        .args(["ingest", fixture("plan_2019.xlsx").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !gate.join("paused").exists() {
        assert!(
            Instant::now() < deadline,
            "the first writer never reached its log commit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Meanwhile a second writer loads two files, one of them the same plan.
    let out = wh.ingest(&[&fixture("plan_2021.xls"), &fixture("plan_2019.xlsx")]);
    assert!(out.contains("→ warehouse version 1"), "{out}");
    assert!(out.contains("→ warehouse version 2"), "{out}");
    std::fs::write(gate.join("go"), b"").unwrap();
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", s(&first.stderr));
    let (stdout, stderr) = (s(&first.stdout), s(&first.stderr));
    assert!(stderr.contains("another writer committed to `ingest_log`"), "{stderr}");
    assert!(stdout.contains("already ingested"), "{stdout}");
    // Consecutive versions, each file once, the plan's rows once.
    assert_eq!(
        wh.rows("SELECT warehouse_version, file_name FROM ingest_log ORDER BY warehouse_version"),
        vec![vec!["1", "plan_2021.xls"], vec!["2", "plan_2019.xlsx"]]
    );
    let local = TestWarehouse::new();
    local.ingest(&[&fixture("plan_2021.xls"), &fixture("plan_2019.xlsx")]);
    for sql in [
        "SELECT count(*) FROM plan_items",
        "SELECT count(DISTINCT source_sha256) FROM plan_items",
        "SELECT count(*) FROM rejects",
    ] {
        assert_eq!(wh.scalar(sql), local.scalar(sql), "{sql}");
    }
    let check = wh.run(&["check"]);
    assert!(check.contains(": consistent"), "{check}");
}

/// Two ingests started together, each loading several files: consecutive versions,
/// every file once, the same rows as one writer loading them all.
#[test]
fn two_ingests_at_once_on_s3_end_with_consecutive_versions_and_no_duplicates() {
    let Some(moto) = Moto::start() else { return };
    let wh = moto.warehouse("ceping-concurrent", "wh");
    wh.run(&["init"]);
    let a = [
        fixture("plan_2019.xlsx"),
        fixture("budgets_2019.xlsx"),
        fixture("plan_2022.ods"),
    ];
    let b = [
        fixture("plan_2021.xls"),
        fixture("plan_2019.xlsx"),
        fixture("plan_2020_by_department.xlsx"),
    ];
    let spawn = |files: &[PathBuf]| {
        wh.std_cmd()
            .arg("ingest")
            .args(files)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (pa, pb) = (spawn(&a), spawn(&b));
    for p in [pa, pb] {
        let out = p.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", s(&out.stderr));
    }
    let versions = wh.rows("SELECT warehouse_version FROM ingest_log ORDER BY warehouse_version");
    assert_eq!(
        versions,
        (1..=5).map(|v| vec![v.to_string()]).collect::<Vec<_>>(),
        "five distinct files, consecutive versions"
    );
    let local = TestWarehouse::new();
    local.ingest(&[&a[0], &a[1], &a[2], &b[0], &b[2]]);
    for sql in [
        "SELECT count(*) FROM plan_items",
        "SELECT count(*) FROM budgets",
        "SELECT count(*) FROM rejects",
        "SELECT count(DISTINCT source_sha256) FROM ingest_log",
    ] {
        assert_eq!(wh.scalar(sql), local.scalar(sql), "{sql}");
    }
}

/// An ingest killed after its data commit on S3: nothing visible (the version and the
/// rows as before), `check` names the table ahead, and the next writer puts it back.
#[test]
fn a_killed_ingest_on_s3_leaves_nothing_visible() {
    let Some(moto) = Moto::start() else { return };
    // A bucket that does not exist is named, and nothing is created.
    let missing = TestWarehouse::remote("s3://no-such-bucket/wh", moto.env());
    let (code, err) = missing.fail(&["sql", "SELECT 1"]);
    assert_eq!(code, 1);
    assert!(err.contains("the bucket `no-such-bucket` does not exist"), "{err}");
    let wh = moto.warehouse("ceping-killed", "wh");
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let before = wh.scalar("SELECT count(*) FROM plan_items");
    let out = wh
        .cmd()
        .env("CEPING_FAULT", "after-data-commit")
        .args(["ingest", fixture("plan_2021.xls").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(wh.scalar("SELECT count(*) FROM plan_items"), before);
    assert_eq!(wh.scalar("SELECT max(warehouse_version) FROM ingest_log"), "1");
    let (code, _) = wh.fail(&["check"]);
    assert_eq!(code, 2);
    let check = s(&wh.output(&["check"]).stdout);
    assert!(check.contains("ahead of the record"), "{check}");
    let out = wh.ingest(&[&fixture("plan_2021.xls")]);
    assert!(out.contains("→ warehouse version 2"), "{out}");
    let local = TestWarehouse::new();
    local.ingest(&[&fixture("plan_2019.xlsx"), &fixture("plan_2021.xls")]);
    assert_eq!(
        wh.scalar("SELECT count(*) FROM plan_items"),
        local.scalar("SELECT count(*) FROM plan_items")
    );
    let check = wh.run(&["check"]);
    assert!(check.contains(": consistent"), "{check}");
}

/// What DuckDB's delta extension and polars read from a local warehouse (row counts and
/// money sums per table, tests/python/delta_readers.py).
fn read_by_other_engines(dir: &Path) -> serde_json::Value {
    let python = readers_python().expect("checked by the caller");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/delta_readers.py");
    let out = Command::new(python).arg(script).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", s(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The same counts and sums as `ceping sql`, from both engines.
fn assert_engines_agree(wh: &TestWarehouse) {
    let read = read_by_other_engines(&wh.path());
    let money = [
        ("assessments", "fee"),
        ("findings", "cost"),
        ("budgets", "requested"),
        ("budgets", "approved"),
        ("budgets", "spent"),
    ];
    for table in [
        "plan_items",
        "assessments",
        "findings",
        "budgets",
        "rejects",
        "ingest_log",
    ] {
        let n = wh.scalar(&format!("SELECT count(*) FROM {table}"));
        for engine in ["duckdb", "polars"] {
            assert_eq!(read[table][engine].to_string(), n, "{engine} counts {table}");
        }
        for (_, column) in money.iter().filter(|(t, _)| *t == table) {
            let sum = wh.scalar(&format!(
                "SELECT CAST(coalesce(sum({column}), 0) AS VARCHAR) FROM {table}"
            ));
            let sum = if sum.contains('.') { sum } else { format!("{sum}.00") };
            for engine in ["duckdb", "polars"] {
                assert_eq!(
                    read[table][format!("{engine}_sum_{column}")].as_str(),
                    Some(sum.as_str()),
                    "{engine} sums {table}.{column}"
                );
            }
        }
    }
}

#[test]
fn duckdb_and_polars_read_the_sample_warehouse_as_ceping_does() {
    if readers_python().is_none() {
        return;
    }
    let sample = crate::common::sample();
    assert_ne!(sample.scalar("SELECT count(*) FROM findings"), "0");
    assert_engines_agree(sample);
}

/// After 120 small ingests every table written each time has checkpoints (one each 10
/// commits: the newest at version 119), and the other engines still read what ceping reads.
#[test]
fn after_120_small_ingests_a_checkpoint_exists_and_other_engines_agree() {
    if readers_python().is_none() {
        return;
    }
    let wh = TestWarehouse::new();
    let header: &[&str] = &["主管部门", "预算单位", "系统名称", "安全保护等级", "计划测评时间"];
    let files: Vec<PathBuf> = (0..120)
        .map(|i| {
            let path = wh.file(&format!("2020年测评计划预告_{i:03}.xlsx"));
            let system = format!("系统{i}");
            let row: &[&str] = &["市教委", "考试院", &system, "第三级", "二季度"];
            xlsx(&path, &[("计划", &[header, row])]);
            path
        })
        .collect();
    for chunk in files.chunks(40) {
        let refs: Vec<&Path> = chunk.iter().map(PathBuf::as_path).collect();
        wh.ingest(&refs);
    }
    assert_eq!(wh.scalar("SELECT max(warehouse_version) FROM ingest_log"), "120");
    let check = parse_csv(&wh.run(&["check", "--format", "csv"]));
    let protocol = |table: &str| {
        check
            .iter()
            .find(|r| r[0] == table && r[1] == "protocol")
            .map(|r| r[3].clone())
            .unwrap_or_default()
    };
    assert!(
        protocol("ingest_log").contains("checkpoint at version 119, 1 commit(s) after it"),
        "{check:?}"
    );
    assert!(
        protocol("plan_items").contains("checkpoint at version 119,"),
        "{check:?}"
    );
    assert!(wh
        .path()
        .join("plan_items/_delta_log/00000000000000000119.checkpoint.parquet")
        .is_file());
    assert_engines_agree(&wh);
}
