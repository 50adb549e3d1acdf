//! The one DataFusion runtime every session of the process shares: a memory pool of
//! `--memory-limit` (default half the machine's memory) over which sorts and aggregations
//! spill to temporary files instead of failing, so a view larger than memory still
//! finishes. Set once by the command line before the first session.

use std::sync::{Arc, OnceLock};

use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

use crate::error::Result;

static LIMIT: OnceLock<usize> = OnceLock::new();
static RUNTIME: OnceLock<Arc<RuntimeEnv>> = OnceLock::new();

/// Sets the memory limit of the process's runtime; the first call wins (before any
/// session is opened), later ones are ignored.
pub fn set_memory_limit(bytes: usize) {
    let _ = LIMIT.set(bytes);
}

/// The memory limit in force.
pub fn memory_limit() -> usize {
    *LIMIT.get_or_init(default_memory_limit)
}

/// The shared runtime: the memory pool and the spill directory (the OS temp dir).
pub fn runtime() -> Result<Arc<RuntimeEnv>> {
    if let Some(r) = RUNTIME.get() {
        return Ok(r.clone());
    }
    // Fair shares: every spilling operator (sorts, aggregations) of every running query gets
    // an even share of what the non-spilling ones (hash-join tables, merges) leave, so one
    // greedy sort cannot starve the others into failing; the 5 largest consumers are named
    // when a query still runs out.
    let pool = TrackConsumersPool::new(
        FairSpillPool::new(memory_limit()),
        std::num::NonZeroUsize::new(5).expect("5 is not zero"),
    );
    let built = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(pool)).build_arc()?;
    Ok(RUNTIME.get_or_init(|| built).clone())
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

/// `4G`, `512M`, `1.5GiB`, `1000000` (bytes).
pub fn parse_size(s: &str) -> std::result::Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("not a size: `{s}` (e.g. 4G, 512M)"))?;
    let scale = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit in `{s}` (use K, M, G or T)")),
    };
    if n <= 0.0 {
        return Err(format!("a size must be more than 0: `{s}`"));
    }
    Ok((n * scale) as usize)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("4X").is_err());
        assert!(parse_size("0").is_err());
    }
}
