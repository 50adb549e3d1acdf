//! The writer lock of a local warehouse: an OS advisory lock on `_ceping_writer.lock`,
//! released by the kernel when the process ends, however it ends (a kill leaves no stale
//! lock). Object storage has none: conditional puts decide there (see [`super::commit`]).

use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};

const LOCK_FILE: &str = "_ceping_writer.lock";

/// Takes the lock, waiting up to `wait` for another writer.
pub(super) async fn lock(root: &Path, wait: Duration) -> Result<std::fs::File> {
    let path = root.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Lock {
            path: path.clone(),
            source,
        })?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Busy(format!(
                    "another ceping is writing to `{}` (waited {} s); try again when it is done, or wait longer with --wait SECONDS",
                    root.display(),
                    wait.as_secs_f64()
                )))
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(Error::Lock { path, source }),
        }
    }
}
