//! The time limit on a statement's rows: a response's stream ended by a `57014` error
//! (query canceled) when the deadline passes before its last row.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use datafusion_postgres::pgwire::api::results::{QueryResponse, Response};
use datafusion_postgres::pgwire::error::{PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::data::DataRow;
use futures::Stream;
use tokio::time::Instant;

use super::service::{canceled, df_error};

pub fn map_engine_error(e: PgWireError) -> PgWireError {
    match e {
        PgWireError::ApiError(inner) => df_error(inner),
        other => other,
    }
}

/// The response's rows, ended by a `57014` error when the deadline passes first.
/// Dropping the inner stream stops the query's execution.
pub fn with_deadline(response: QueryResponse, deadline: Instant) -> QueryResponse {
    let QueryResponse {
        command_tag,
        row_schema,
        data_rows,
        ..
    } = response;
    let stream = DeadlineRows {
        rows: Some(data_rows),
        sleep: Box::pin(tokio::time::sleep_until(deadline)),
    };
    let mut out = QueryResponse::new(row_schema, stream);
    out.set_command_tag(&command_tag);
    out
}

struct DeadlineRows {
    rows: Option<Pin<Box<dyn Stream<Item = PgWireResult<DataRow>> + Send>>>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for DeadlineRows {
    type Item = PgWireResult<DataRow>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(rows) = self.rows.as_mut() else {
            return Poll::Ready(None);
        };
        match rows.as_mut().poll_next(cx) {
            Poll::Ready(Some(item)) => return Poll::Ready(Some(item.map_err(map_engine_error))),
            Poll::Ready(None) => {
                self.rows = None;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.rows = None;
                Poll::Ready(Some(Err(canceled())))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Every query response of a statement under the deadline.
pub fn bounded(responses: Vec<Response>, deadline: Instant) -> Vec<Response> {
    responses
        .into_iter()
        .map(|r| match r {
            Response::Query(q) => Response::Query(with_deadline(q, deadline)),
            other => other,
        })
        .collect()
}
