//! Settings: one value, resolved once at start from the command line's flags, the
//! environment and `<warehouse>/ceping.toml` (a flag beats the environment, which beats the
//! file, which beats the default), then passed down. Nothing else reads `CEPING_*`
//! variables.
//!
//! | setting | flag | environment | `ceping.toml` |
//! |---|---|---|---|
//! | the warehouse | `--warehouse` | `CEPING_WAREHOUSE` (clap) | |
//! | workbook limits | `--limit NAME=VALUE` | `CEPING_LIMITS` | `[limits]` |
//! | query memory | `--memory-limit` | `CEPING_MEMORY_LIMIT` (clap) | |
//! | partitions of a query | | `CEPING_TARGET_PARTITIONS` | |
//! | view files to try | | `CEPING_VIEWS_DIR` | |
//! | the server's password | `--password-file` | `CEPING_PASSWORD` | |
//! | users file and audit trail | `--access-dir` | `CEPING_ACCESS_DIR` (clap) | |
//! | test hooks | | `CEPING_FAULT`, `CEPING_PAUSE` | |

pub mod limits;
pub mod size;

use std::path::PathBuf;

pub use limits::Limits;

/// Everything a command runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The warehouse as given: a directory, or `s3://BUCKET/PREFIX`.
    pub warehouse: String,
    pub limits: Limits,
    pub query: Query,
    /// `CEPING_PASSWORD`: the server's password when no `--password-file` is given.
    pub password: Option<String>,
    /// `--access-dir`: the users file and audit trail (default `<warehouse>/_access`).
    pub access_dir: Option<PathBuf>,
    pub faults: Faults,
}

/// How queries run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Memory all queries of the process may use together (bytes).
    pub memory_limit: usize,
    /// Partitions of a query (default: the machine's cores).
    pub target_partitions: usize,
    /// `*.sql` files that replace or add to the built-in views (to try one without a rebuild).
    pub views_dir: Option<PathBuf>,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            memory_limit: default_memory_limit(),
            target_partitions: std::thread::available_parallelism().map_or(2, |n| n.get()),
            views_dir: None,
        }
    }
}

/// Test hooks: stop an ingest at a point of its commit, as a kill would
/// (`CEPING_FAULT=after-data-commit`), or hold it there until a file appears
/// (`CEPING_PAUSE=before-log-commit:DIR`). Empty in normal use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub abort_at: Option<String>,
    /// (point, directory): writes `DIR/paused`, goes on when `DIR/go` exists.
    pub pause_at: Option<(String, PathBuf)>,
}

/// What the command line gives.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub warehouse: String,
    pub limits: Vec<String>,
    pub memory_limit: Option<usize>,
    pub access_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            warehouse: "warehouse".into(),
            limits: Limits::default(),
            query: Query::default(),
            password: None,
            access_dir: None,
            faults: Faults::default(),
        }
    }
}

impl Settings {
    /// Resolves the settings from the flags, the process's environment and the
    /// warehouse's `ceping.toml`.
    pub fn resolve(flags: Flags) -> Result<Settings, String> {
        Self::resolve_with(flags, &|name| std::env::var(name).ok())
    }

    /// [`Settings::resolve`] with the environment given (tests).
    pub fn resolve_with(flags: Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut limits = Limits::default();
        // A warehouse on object storage takes its limits from the environment and flags.
        if !flags.warehouse.starts_with("s3://") {
            let file = std::path::Path::new(&flags.warehouse).join("ceping.toml");
            if let Ok(text) = fs_err::read_to_string(&file) {
                limits = file_limits(&text, limits).map_err(|e| format!("{}: {e}", file.display()))?;
            }
        }
        if let Some(v) = env("CEPING_LIMITS") {
            limits = limits.apply(&v).map_err(|e| format!("CEPING_LIMITS: {e}"))?;
        }
        for flag in &flags.limits {
            limits = limits.apply(flag).map_err(|e| format!("--limit: {e}"))?;
        }
        let mut query = Query::default();
        if let Some(bytes) = flags.memory_limit {
            query.memory_limit = bytes;
        }
        if let Some(v) = env("CEPING_TARGET_PARTITIONS") {
            query.target_partitions =
                v.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("CEPING_TARGET_PARTITIONS: `{v}` is not a number of partitions (1 or more)")
                })?;
        }
        query.views_dir = env("CEPING_VIEWS_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
        let faults = Faults {
            abort_at: env("CEPING_FAULT").filter(|v| !v.is_empty()),
            pause_at: env("CEPING_PAUSE").and_then(|v| {
                let (point, dir) = v.split_once(':')?;
                Some((point.to_string(), PathBuf::from(dir)))
            }),
        };
        Ok(Settings {
            warehouse: flags.warehouse,
            limits,
            query,
            password: env("CEPING_PASSWORD"),
            access_dir: flags.access_dir.clone(),
            faults,
        })
    }
}

/// The `[limits]` table of a `ceping.toml`.
fn file_limits(text: &str, mut limits: Limits) -> Result<Limits, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    if let Some(toml::Value::Table(section)) = table.get("limits") {
        for (name, value) in section {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            limits = limits.apply(&format!("{name}={value}"))?;
        }
    }
    Ok(limits)
}

/// Half the machine's memory, the default limit for queries (2 GiB when unknown).
pub fn default_memory_limit() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(2 << 30, |kb| kb * 1024 / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("ceping.toml"),
            "[limits]\nrows = 100\ncell_chars = 50\ncolumns = 7\n",
        )
        .unwrap();
        let flags = Flags {
            warehouse: dir.path().display().to_string(),
            limits: vec!["rows=300".into()],
            memory_limit: Some(1 << 30),
            access_dir: None,
        };
        let s = Settings::resolve_with(
            flags,
            &env(&[
                ("CEPING_LIMITS", "rows=200,cell_chars=60"),
                ("CEPING_TARGET_PARTITIONS", "3"),
                ("CEPING_FAULT", "after-data-commit"),
                ("CEPING_PAUSE", "before-log-commit:/tmp/x"),
            ]),
        )
        .unwrap();
        assert_eq!((s.limits.rows, s.limits.cell_chars, s.limits.columns), (300, 60, 7));
        assert_eq!((s.query.memory_limit, s.query.target_partitions), (1 << 30, 3));
        assert_eq!(s.faults.abort_at.as_deref(), Some("after-data-commit"));
        assert_eq!(
            s.faults.pause_at,
            Some(("before-log-commit".to_string(), PathBuf::from("/tmp/x")))
        );
    }

    #[test]
    fn a_bad_setting_is_named_with_where_it_came_from() {
        let flags = Flags {
            warehouse: "/nonexistent-ceping".into(),
            ..Default::default()
        };
        let e = Settings::resolve_with(flags.clone(), &env(&[("CEPING_LIMITS", "colour=3")])).unwrap_err();
        assert!(e.starts_with("CEPING_LIMITS: unknown limit `colour`"), "{e}");
        let e = Settings::resolve_with(flags, &env(&[("CEPING_TARGET_PARTITIONS", "many")])).unwrap_err();
        assert!(e.contains("CEPING_TARGET_PARTITIONS"), "{e}");
    }
}
