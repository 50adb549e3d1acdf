//! The one DataFusion runtime every session of the process shares: a memory pool of
//! `--memory-limit` (default half the machine's memory) over which sorts and aggregations
//! spill to temporary files instead of failing, so a view larger than memory still
//! finishes. Built on first use from the settings the command runs with.

use std::sync::{Arc, OnceLock};

use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

use crate::error::Result;

static RUNTIME: OnceLock<Arc<RuntimeEnv>> = OnceLock::new();

/// The shared runtime: the memory pool (`memory_limit` bytes, set by the first call) and
/// the spill directory (the OS temp dir).
pub fn runtime(memory_limit: usize) -> Result<Arc<RuntimeEnv>> {
    if let Some(r) = RUNTIME.get() {
        return Ok(r.clone());
    }
    // Fair shares: every spilling operator (sorts, aggregations) of every running query gets
    // an even share of what the non-spilling ones (hash-join tables, merges) leave, so one
    // greedy sort cannot starve the others into failing; the 5 largest consumers are named
    // when a query still runs out.
    let pool = TrackConsumersPool::new(
        FairSpillPool::new(memory_limit),
        std::num::NonZeroUsize::new(5).expect("5 is not zero"),
    );
    let built = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(pool)).build_arc()?;
    Ok(RUNTIME.get_or_init(|| built).clone())
}
