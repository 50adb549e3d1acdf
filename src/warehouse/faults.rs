//! The writer's test hooks, from [`crate::settings::Faults`] (`CEPING_FAULT`,
//! `CEPING_PAUSE`): the kill tests stop an ingest at a point of its commit, the race tests
//! hold one there. Empty settings make both no-ops.

use std::path::Path;
use std::time::Duration;

use crate::settings::Faults;

/// Holds the writer once at `point` when `CEPING_PAUSE=<point>:<dir>`: writes
/// `<dir>/paused` and goes on when `<dir>/go` exists (a race made deterministic).
pub(super) async fn pause(faults: &Faults, point: &str) {
    static ONCE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let Some((at, dir)) = &faults.pause_at else {
        return;
    };
    if at != point || ONCE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let dir = Path::new(dir);
    let _ = std::fs::write(dir.join("paused"), b"");
    for _ in 0..1200 {
        if dir.join("go").exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ends the process at `point` when `CEPING_FAULT=<point>`, as a kill would (no
/// destructors, no clean-up).
pub(super) fn abort_at(faults: &Faults, point: &str) {
    if faults.abort_at.as_deref() == Some(point) {
        tracing::error!("CEPING_FAULT: stopping at {point}");
        std::process::abort();
    }
}
