//! One SQL session per warehouse version, shared by every connection that reads it.
//!
//! A statement reads the newest version (or the one its connection chose with
//! `SET ceping.as_of`); its tables are pinned to that version when it is planned, so an
//! ingest that lands meanwhile changes only later statements.

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;
use tokio::sync::Mutex;

use crate::error::Result;
use crate::sql;
use crate::warehouse::{AsOf, Warehouse};

/// How many versions keep a ready session (the newest and a few `as_of` ones).
const KEEP: usize = 4;

pub struct Snapshots {
    wh: Warehouse,
    runtime: Arc<RuntimeEnv>,
    /// Most recently used first.
    ready: Mutex<Vec<(i64, Arc<SessionContext>)>>,
}

impl Snapshots {
    pub fn new(wh: Warehouse, runtime: Arc<RuntimeEnv>) -> Self {
        Snapshots {
            wh,
            runtime,
            ready: Mutex::new(Vec::new()),
        }
    }

    /// The version a statement reads: the chosen one, or the newest.
    pub async fn version_for(&self, as_of: Option<i64>) -> Result<i64> {
        match as_of {
            Some(v) => Ok(v),
            None => self.wh.version().await,
        }
    }

    /// Resolves a `SET ceping.as_of` value (a version or a time) to a warehouse version.
    pub async fn resolve(&self, as_of: &AsOf) -> Result<i64> {
        Ok(self.wh.snapshot(Some(as_of)).await?.version)
    }

    /// The session reading `version`, built on first use.
    pub async fn context(&self, version: i64) -> Result<Arc<SessionContext>> {
        let mut ready = self.ready.lock().await;
        if let Some(i) = ready.iter().position(|(v, _)| *v == version) {
            let entry = ready.remove(i);
            let ctx = entry.1.clone();
            ready.insert(0, entry);
            return Ok(ctx);
        }
        let snapshot = self.wh.snapshot(Some(&AsOf::Version(version))).await?;
        let session = sql::session_with_runtime(&self.wh, snapshot, self.runtime.clone()).await?;
        super::compat::install(&session).await?;
        let ctx = Arc::new(session.ctx);
        ready.insert(0, (version, ctx.clone()));
        ready.truncate(KEEP);
        tracing::debug!(version, "serve: session ready");
        Ok(ctx)
    }
}
