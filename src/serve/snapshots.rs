//! One SQL session per warehouse version and scope, shared by every connection that
//! reads it.
//!
//! A statement reads the newest version (or the one its connection chose with
//! `SET ceping.as_of`); its tables are pinned to that version when it is planned, so an
//! ingest that lands meanwhile changes only later statements. The office's session reads
//! the Delta tables; a department's holds that department's rows ([`super::scopes`]); an
//! auditor's is the office's with the audit trail as `audit_log`.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;
use tokio::sync::Mutex;

use crate::access::Scope;
use crate::error::Result;
use crate::sql;
use crate::warehouse::{AsOf, Warehouse};

/// How many sessions stay ready (the newest version for each scope in use, and a few
/// `as_of` ones).
const KEEP: usize = 64;

/// Ready sessions, most recently used first.
type Ready = Vec<((i64, Scope), Arc<SessionContext>)>;

pub struct Snapshots {
    wh: Warehouse,
    runtime: Arc<RuntimeEnv>,
    /// The audit trail auditors read.
    audit: Option<PathBuf>,
    ready: Mutex<Ready>,
}

impl Snapshots {
    pub fn new(wh: Warehouse, runtime: Arc<RuntimeEnv>, audit: Option<PathBuf>) -> Self {
        Snapshots {
            wh,
            runtime,
            audit,
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

    /// The session reading `version` as `scope` sees it, built on first use.
    pub async fn context(&self, version: i64, scope: &Scope) -> Result<Arc<SessionContext>> {
        let mut ready = self.ready.lock().await;
        self.context_locked(&mut ready, version, scope).await
    }

    async fn context_locked(&self, ready: &mut Ready, version: i64, scope: &Scope) -> Result<Arc<SessionContext>> {
        let key = (version, scope.clone());
        if let Some(i) = ready.iter().position(|(k, _)| *k == key) {
            let entry = ready.remove(i);
            let ctx = entry.1.clone();
            ready.insert(0, entry);
            return Ok(ctx);
        }
        let snapshot = self.wh.snapshot(Some(&AsOf::Version(version))).await?;
        let session = match scope {
            Scope::Everything => sql::session_with_runtime(&self.wh, snapshot, self.runtime.clone()).await?,
            Scope::Audit => {
                let session = sql::session_with_runtime(&self.wh, snapshot, self.runtime.clone()).await?;
                if let Some(path) = &self.audit {
                    session
                        .ctx
                        .register_table("audit_log", Arc::new(super::audit::AuditTable::new(path.clone())))?;
                }
                session
            }
            Scope::Department(department) => {
                let office = Box::pin(self.context_locked(ready, version, &Scope::Everything)).await?;
                let started = std::time::Instant::now();
                let tables = super::scopes::department_tables(&office, self.wh.catalog(), department).await?;
                let session = sql::session_over(&self.wh, snapshot, self.runtime.clone(), tables).await?;
                tracing::info!(
                    version,
                    department,
                    ms = started.elapsed().as_millis() as u64,
                    "serve: department session ready"
                );
                session
            }
        };
        super::compat::install(&session).await?;
        let ctx = Arc::new(session.ctx);
        ready.insert(0, (key, ctx.clone()));
        ready.truncate(KEEP);
        tracing::debug!(version, ?scope, "serve: session ready");
        Ok(ctx)
    }
}
