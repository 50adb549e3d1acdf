//! One consistent warehouse: an ingest interrupted at any point (a fault injected between
//! the data commits and the log commit, or a real SIGKILL at a random moment) leaves the
//! warehouse reading exactly as before or after, the same file then lands exactly once,
//! and `ceping check` is clean; concurrent writers serialise; readers see whole files.

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Stdio};
use std::time::{Duration, Instant};

use crate::common::{fixture, s, xlsx, TestWarehouse};

/// Row counts of every table as `ceping sql` reads them (the newest snapshot).
fn counts(wh: &TestWarehouse) -> Vec<String> {
    wh.rows(
        "SELECT (SELECT count(*) FROM plan_items) AS p, (SELECT count(*) FROM assessments) AS a, \
         (SELECT count(*) FROM rejects) AS r, (SELECT count(*) FROM ingest_log) AS l",
    )[0]
    .clone()
}

fn check_code(wh: &TestWarehouse, args: &[&str]) -> (i32, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = wh.output(&all);
    let text = format!("{}{}", s(&out.stdout), s(&out.stderr));
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

/// A plan of `n` systems for 2030 (a few rows rejected), large enough that an ingest
/// takes a moment.
pub(crate) fn big_plan(wh: &TestWarehouse, n: usize) -> PathBuf {
    let path = wh.file("2030年测评计划预告.xlsx");
    let mut rows: Vec<Vec<String>> = vec![
        vec!["2030年测评计划预告".into()],
        vec![
            "主管部门".into(),
            "预算单位".into(),
            "系统名称".into(),
            "备案编号".into(),
            "安全保护等级".into(),
        ],
    ];
    for i in 0..n {
        let level = if i % 97 == 0 {
            "九级".to_string()
        } else {
            "第三级".to_string()
        };
        rows.push(vec![
            format!("部门{}", i % 40),
            format!("单位{}", i % 300),
            format!("系统{i}"),
            format!("11010{i:07}-00001"),
            level,
        ]);
    }
    let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    xlsx(&path, &[("计划", &rows)]);
    path
}

/// The counts a complete ingest of `file` gives on top of `base`, measured on a copy.
fn after_counts(base: &[&Path], file: &Path) -> Vec<String> {
    let wh = TestWarehouse::new();
    if !base.is_empty() {
        wh.ingest(base);
    }
    wh.ingest(&[file]);
    counts(&wh)
}

/// Rows of the file's digest loaded exactly as ingest_log records them.
fn landed_once(wh: &TestWarehouse) {
    let bad = wh.scalar(
        "SELECT count(*) FROM (SELECT l.source_sha256, l.rows_loaded, count(p.source_sha256) AS n \
         FROM ingest_log l LEFT JOIN plan_items p ON p.source_sha256 = l.source_sha256 \
         WHERE l.kind = 'plan' GROUP BY l.source_sha256, l.rows_loaded) WHERE n <> rows_loaded",
    );
    assert_eq!(bad, "0", "every plan file's rows are there exactly once");
    assert_eq!(
        wh.scalar("SELECT count(*) - count(DISTINCT source_sha256) FROM ingest_log"),
        "0",
        "no file recorded twice"
    );
}

#[test]
fn a_fault_at_any_commit_point_leaves_before_or_after_and_the_file_lands_once() {
    let base = fixture("plan_2019.xlsx");
    // A second revision of 2019 refreshes `assessments.planned` too: plan files, rejects,
    // an assessments MERGE and the log are all in its commit.
    let assessments = fixture("assessments_2019.xlsx");
    let file = fixture("plan_2019_rev2.xlsx");
    let after = after_counts(&[&base, &assessments], &file);
    for point in [
        "before-data-commit",
        "after-data-commit",
        "before-log-commit",
        "after-log-commit",
    ] {
        let wh = TestWarehouse::new();
        wh.ingest(&[&base, &assessments]);
        let before = counts(&wh);
        stopped_at(&wh, point, &file);
        let now = counts(&wh);
        if point == "after-log-commit" {
            assert_eq!(now, after, "{point}: committed");
        } else {
            assert_eq!(now, before, "{point}: nothing visible");
            let (code, text) = check_code(&wh, &[]);
            if point == "before-data-commit" {
                assert!(code == 0 || code == 2, "{point}: {text}");
            } else {
                assert_eq!(code, 2, "{point}: a table is ahead of the log: {text}");
                assert!(text.contains("ahead of the record"), "{text}");
            }
        }
        // The next ingest recovers first, then lands the file exactly once.
        let out = wh.run(&["ingest", file.to_str().unwrap()]);
        if point == "after-log-commit" {
            assert!(out.contains("already ingested"), "{out}");
        }
        assert_eq!(counts(&wh), after, "{point}: the file landed once");
        landed_once(&wh);
        let (code, text) = check_code(&wh, &[]);
        assert_eq!(code, 0, "{point}: clean after recovery: {text}");
        assert!(text.contains("consistent"), "{text}");
    }
}

#[test]
fn check_repair_undoes_an_interrupted_ingest_and_removes_its_staged_files() {
    let wh = TestWarehouse::new();
    let base = fixture("plan_2019.xlsx");
    wh.ingest(&[&base]);
    let before = counts(&wh);
    let file = fixture("plan_2019_rev2.xlsx");
    let files_before = data_files(&wh, "plan_items").len();
    stopped_at(&wh, "before-data-commit", &file);
    assert!(
        data_files(&wh, "plan_items").len() > files_before,
        "the staged file is there"
    );
    let (code, text) = check_code(&wh, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no commit references"), "{text}");
    let (code, text) = check_code(&wh, &["--repair"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("repaired: removed unreferenced data file plan_items/"),
        "{text}"
    );
    assert_eq!(data_files(&wh, "plan_items").len(), files_before);
    assert_eq!(counts(&wh), before);
}

fn data_files(wh: &TestWarehouse, table: &str) -> Vec<String> {
    std::fs::read_dir(wh.path().join(table))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".parquet"))
        .collect()
}

fn ceping(wh: &TestWarehouse) -> Std {
    wh.std_cmd()
}

/// `ceping ingest FILE` stopped by `CEPING_FAULT` at `point` (as a kill would stop it).
fn stopped_at(wh: &TestWarehouse, point: &str, file: &Path) {
    let out = wh
        .cmd()
        .env("CEPING_FAULT", point)
        .args(["ingest", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{point}: the process was stopped");
}

/// `ceping ingest FILE` started in the background, its output discarded.
fn spawn_ingest(wh: &TestWarehouse, file: &Path) -> std::process::Child {
    ceping(wh)
        .args(["ingest", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A deterministic pseudo-random sequence (no extra crate).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_or_doubles_rows() {
    let scratch = TestWarehouse::new();
    let file = big_plan(&scratch, 6000);
    let base = fixture("plan_2019.xlsx");
    // How long a whole ingest takes here: kills are spread over it.
    let timing = TestWarehouse::new();
    timing.ingest(&[&base]);
    let start = Instant::now();
    timing.ingest(&[&file]);
    let full = start.elapsed();
    let after = counts(&timing);
    let iterations = 20;
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut rng = Lcg(20181231);
    let (mut killed_mid, mut done) = (0, 0);
    for i in 0..iterations {
        if Instant::now() > deadline {
            break;
        }
        let wh = TestWarehouse::new();
        wh.ingest(&[&base]);
        let before = counts(&wh);
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 * 12 / 10 + 1));
        let mut child = spawn_ingest(&wh, &file);
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        let now = counts(&wh);
        assert!(
            now == before || now == after,
            "iteration {i}: {now:?} is neither {before:?} nor {after:?}"
        );
        if now == before {
            killed_mid += 1;
        }
        if finished {
            done += 1;
        }
        // Recovery on the next ingest; then exactly once.
        wh.run(&["ingest", file.to_str().unwrap()]);
        assert_eq!(counts(&wh), after, "iteration {i}");
        landed_once(&wh);
        let (code, text) = check_code(&wh, &[]);
        assert_eq!(code, 0, "iteration {i}: {text}");
    }
    eprintln!("sigkill: {iterations} iterations, {killed_mid} killed before the commit, {done} finished first");
    assert!(killed_mid > 0, "some kills landed mid-ingest");
}

#[test]
fn two_writers_on_different_files_both_land_with_consecutive_versions() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let a = fixture("plan_2019.xlsx");
    let b = fixture("plan_2019_rev2.xlsx");
    let spawn = |f: &Path| {
        ceping(&wh)
            .args(["ingest", "--wait", "120", f.to_str().unwrap()])
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
    let rows = wh.rows("SELECT warehouse_version, revision FROM ingest_log ORDER BY warehouse_version");
    assert_eq!(
        rows,
        vec![
            vec!["1".to_string(), "1".to_string()],
            vec!["2".to_string(), "2".to_string()]
        ]
    );
    landed_once(&wh);
}

#[test]
fn two_writers_on_the_same_file_load_it_once() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let a = fixture("plan_2019.xlsx");
    let spawn = || {
        ceping(&wh)
            .args(["ingest", "--wait", "120", a.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (p1, p2) = (spawn(), spawn());
    let outs: Vec<String> = [p1, p2]
        .into_iter()
        .map(|p| {
            let o = p.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", s(&o.stderr));
            s(&o.stdout)
        })
        .collect();
    assert_eq!(
        outs.iter().filter(|o| o.contains("already ingested")).count(),
        1,
        "{outs:?}"
    );
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "1");
    landed_once(&wh);
}

#[test]
fn a_second_writer_waits_then_fails_clearly_and_a_dead_writer_leaves_no_lock() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    // Another process holds the lock (this test process stands in for it).
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(wh.path().join("_ceping_writer.lock"))
        .unwrap();
    lock.lock().unwrap();
    let started = Instant::now();
    let (code, err) = wh.fail(&["ingest", "--wait", "1", fixture("plan_2022.ods").to_str().unwrap()]);
    assert!(started.elapsed() >= Duration::from_secs(1), "it waited");
    assert_eq!(code, 1);
    assert!(err.contains("another ceping is writing to"), "{err}");
    assert!(err.contains("waited 1 s"), "{err}");
    assert_eq!(data_files(&wh, "plan_items"), Vec::<String>::new());
    // The holder ends (the kernel releases its lock): the next ingest goes through, and
    // the lock file left behind blocks nobody.
    drop(lock);
    wh.ingest(&[&fixture("plan_2022.ods")]);
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "1");
}

#[test]
fn an_existing_revision_is_refused() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let (code, err) = wh.fail(&[
        "ingest",
        "--revision",
        "1",
        fixture("plan_2019_rev2.xlsx").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("revision 1 of the 2019 plan is already loaded"), "{err}");
    assert_eq!(wh.scalar("SELECT count(*) FROM ingest_log"), "1");
}

#[test]
fn a_reader_during_ingests_never_sees_a_partial_file() {
    let scratch = TestWarehouse::new();
    let file = big_plan(&scratch, 6000);
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("plan_2019.xlsx")]);
    let before = counts(&wh);
    let after = after_counts(&[&fixture("plan_2019.xlsx")], &file);
    let mut child = spawn_ingest(&wh, &file);
    let mut seen = std::collections::BTreeSet::new();
    loop {
        let finished = child.try_wait().unwrap().is_some();
        let now = counts(&wh);
        assert!(now == before || now == after, "{now:?}");
        seen.insert(now);
        if finished {
            break;
        }
    }
    assert_eq!(counts(&wh), after);
    assert!(!seen.is_empty());
}

#[test]
fn input_that_used_to_panic_is_one_error_line() {
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let pipeline = wh.file("bad.toml");
    std::fs::write(
        &pipeline,
        "[[step]]\nreport = \"quarterly\"\nyear = 2019\nquarter = 5\nout = \"out\"\n",
    )
    .unwrap();
    let (code, err) = wh.fail(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("quarter = 5 is not a quarter (1–4)"), "{err}");
    let (code, err) = wh.fail(&["ingest", "--year", "300000", fixture("plan_2022.ods").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--year 300000 is not a year"), "{err}");
    let (code, err) = wh.fail(&[
        "report",
        "briefing",
        "--year",
        "300000",
        "--out",
        wh.file("r").to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    use std::io::{BufRead, BufReader};
    let wh = TestWarehouse::new();
    wh.run(&["init"]);
    let mut child = ceping(&wh)
        .args(["sql", "--format", "csv", "SELECT * FROM generate_series(1, 2000000)"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone (like `| head -1`).
    let out = child.wait_with_output().unwrap();
    assert_eq!(first.trim(), "value");
    assert_eq!(out.status.code(), Some(0), "{}", s(&out.stderr));
    assert_eq!(s(&out.stderr), "");
}

/// A keyed ingest (findings) stopped before its MERGE leaves a scratch file that `check`
/// reports and the next writer removes; the file then lands once.
#[test]
fn an_interrupted_keyed_ingest_leaves_nothing_after_the_next_writer() {
    let wh = TestWarehouse::new();
    wh.ingest(&[&fixture("assessments_2019.xlsx")]);
    let file = fixture("findings_2019.xlsx");
    stopped_at(&wh, "before-data-commit", &file);
    assert_eq!(wh.scalar("SELECT count(*) FROM findings"), "0");
    let (code, text) = check_code(&wh, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("_ceping_staging"), "{text}");
    wh.ingest(&[&file]);
    let staging: Vec<_> = std::fs::read_dir(wh.path().join("_ceping_staging")).unwrap().collect();
    assert!(staging.is_empty(), "scratch files removed: {staging:?}");
    let (code, text) = check_code(&wh, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        wh.scalar("SELECT count(*) FROM findings"),
        wh.scalar("SELECT sum(rows_loaded) FROM ingest_log WHERE kind = 'findings'")
    );
}
