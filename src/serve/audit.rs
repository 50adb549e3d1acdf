//! The server's side of the audit trail: a statement's record, written when its last row
//! has gone to the client (rows counted on the way), and `audit_log`, the trail as a
//! table for `auditor` users (read afresh by each scan).

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_postgres::pgwire::api::results::{QueryResponse, Response};
use datafusion_postgres::pgwire::error::{PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::data::DataRow;
use futures::Stream;

use super::accounts::Accounts;
use crate::access::audit::{self, Record};

/// `audit_log`: the audit trail, as it is when a statement scans it.
#[derive(Debug)]
pub struct AuditTable {
    path: PathBuf,
}

impl AuditTable {
    pub fn new(path: PathBuf) -> Self {
        AuditTable { path }
    }
}

#[async_trait]
impl TableProvider for AuditTable {
    fn schema(&self) -> SchemaRef {
        audit::schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let records = audit::read(&self.path).map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let batch = audit::to_batch(&records).map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        MemTable::try_new(audit::schema(), vec![vec![batch]])?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// Whether an error is the rules refusing (rather than a statement failing).
pub fn refused(e: &PgWireError) -> bool {
    match e {
        PgWireError::UserError(info) => ["42501", "25006", "28000", "0A000"].contains(&info.code.as_str()),
        _ => false,
    }
}

fn message(e: &PgWireError) -> String {
    match e {
        PgWireError::UserError(info) => format!("{}: {}", info.code, info.message),
        other => other.to_string(),
    }
}

/// A statement's record, written once when the last of its response streams is done
/// (or dropped: a client that goes away mid-result).
pub struct Pending {
    accounts: Arc<Accounts>,
    record: Mutex<Record>,
    started: Instant,
    rows: AtomicU64,
}

impl Pending {
    pub fn new(
        accounts: &Arc<Accounts>,
        metadata: &std::collections::HashMap<String, String>,
        address: String,
        statement: &str,
    ) -> Arc<Pending> {
        let user = metadata.get(super::accounts::USER).cloned().unwrap_or_default();
        let mut record = Record::now("statement", &user, &address);
        record.statement = Some(statement.to_string());
        match accounts.check(metadata) {
            Ok(who) => {
                record.role = Some(who.role().into());
                record.department = who.department().map(Into::into);
            }
            Err(e) => {
                record.outcome = "refused".into();
                record.message = Some(message(&e));
            }
        }
        Arc::new(Pending {
            accounts: accounts.clone(),
            record: Mutex::new(record),
            started: Instant::now(),
            rows: AtomicU64::new(0),
        })
    }

    pub fn failed(&self, e: &PgWireError) {
        let mut record = self.record.lock().unwrap_or_else(|p| p.into_inner());
        if record.message.is_none() {
            record.outcome = if refused(e) { "refused" } else { "failed" }.into();
            record.message = Some(message(e));
        }
    }

    /// The responses with their rows counted into this record.
    pub fn count(self: &Arc<Self>, responses: Vec<Response>) -> Vec<Response> {
        responses.into_iter().map(|r| self.count_one(r)).collect()
    }

    pub fn count_one(self: &Arc<Self>, response: Response) -> Response {
        match response {
            Response::Query(q) => {
                let QueryResponse {
                    command_tag,
                    row_schema,
                    data_rows,
                    ..
                } = q;
                let stream = Counted {
                    rows: data_rows,
                    pending: self.clone(),
                };
                let mut out = QueryResponse::new(row_schema, stream);
                out.set_command_tag(&command_tag);
                Response::Query(out)
            }
            other => other,
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut record = self.record.lock().unwrap_or_else(|p| p.into_inner()).clone();
        record.rows = Some(self.rows.load(Ordering::Relaxed));
        record.duration_ms = Some((self.started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0);
        self.accounts.record(&record);
    }
}

struct Counted {
    rows: Pin<Box<dyn Stream<Item = PgWireResult<DataRow>> + Send>>,
    pending: Arc<Pending>,
}

impl Stream for Counted {
    type Item = PgWireResult<DataRow>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.rows.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) => {
                self.pending.rows.fetch_add(1, Ordering::Relaxed);
            }
            Poll::Ready(Some(Err(e))) => self.pending.failed(e),
            _ => {}
        }
        polled
    }
}
