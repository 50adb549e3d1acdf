//! The query side of the server: datafusion-postgres's `DfSessionService` (protocol,
//! parameters, result encoding, client settings) with ceping's rules in front of it —
//! the read-only policy, one warehouse snapshot per statement, `ceping.as_of`, the time
//! limit, and text for types the protocol cannot carry.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DfStatementAst;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe;
use datafusion_postgres::hooks::{HookClient, QueryHook};
use datafusion_postgres::pgwire::api::portal::{Format, Portal};
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo, QueryResponse, Response, Tag};
use datafusion_postgres::pgwire::api::stmt::{QueryParser, StoredStatement};
use datafusion_postgres::pgwire::api::store::PortalStore;
use datafusion_postgres::pgwire::api::{ClientInfo, ClientPortalStore, Type};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::extendedquery::Bind;
use datafusion_postgres::pgwire::messages::PgWireBackendMessage;
use datafusion_postgres::pgwire::types::format::FormatOptions;
use datafusion_postgres::{DfSessionService, Parser};
use futures::Sink;
use tokio::time::Instant;

use super::accounts::Accounts;
use super::audit::Pending;
use super::deadline::{bounded, map_engine_error, with_deadline};
use super::policy::{self, Action, AS_OF};
use super::snapshots::Snapshots;
use crate::access::Scope;
use crate::warehouse::AsOf;

/// The statement type datafusion-postgres stores: the SQL text and its parsed plan.
type DfStatement = (String, Option<(Statement, LogicalPlan)>);

/// Where the statement text records the warehouse version it was planned at.
const VERSION_TAG: &str = "/* ceping version ";

/// The client's `statement_timeout` (datafusion-postgres keeps it in the metadata).
const CLIENT_TIMEOUT_KEY: &str = "statement_timeout_ms";

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest a statement may run (a client's `statement_timeout` may shorten it).
    pub query_timeout: Duration,
}

impl Limits {
    fn deadline(&self, client: &(impl ClientInfo + ?Sized)) -> Instant {
        let client_limit = client
            .metadata()
            .get(CLIENT_TIMEOUT_KEY)
            .and_then(|ms| ms.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let limit = client_limit.map_or(self.query_timeout, |c| c.min(self.query_timeout));
        Instant::now() + limit
    }
}

fn error(sqlstate: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        sqlstate.into(),
        message.into(),
    )))
}

pub(super) fn canceled() -> PgWireError {
    error("57014", "canceling statement due to statement timeout (ceping serve --query-timeout, or the client's statement_timeout)")
}

/// A DataFusion error as the client should see it.
pub(super) fn df_error(e: impl std::fmt::Display) -> PgWireError {
    let text = e.to_string();
    if text.contains("Resources exhausted") {
        return error(
            "53200",
            format!("out of memory: the query needs more than the server's memory limit (ceping serve --memory-limit): {text}"),
        );
    }
    error("42000", text)
}

fn crate_error(e: crate::Error) -> PgWireError {
    match e {
        crate::Error::Usage(m) => error("22023", m),
        other => error("XX000", other.to_string()),
    }
}

fn as_of(client: &(impl ClientInfo + ?Sized)) -> Option<i64> {
    client.metadata().get(AS_OF).and_then(|v| v.parse().ok())
}

tokio::task_local! {
    /// The SQL text the client sent, and how many of its statements the hook has seen: the
    /// statement to plan is parsed again from it (see [`ReadHook::plan`]).
    static RAW_SQL: (String, std::cell::Cell<usize>);
}

/// Runs `f` with the client's SQL text at hand for the hook.
pub async fn with_raw_sql<F: Future>(sql: &str, f: F) -> F::Output {
    RAW_SQL.scope((sql.to_string(), std::cell::Cell::new(0)), f).await
}

/// The statements to try for `statement`: from the client's text when it is at hand (the
/// simple protocol counts its statements as the hook meets them; a parse message holds one).
fn candidates(statement: &Statement) -> Vec<Statement> {
    RAW_SQL
        .try_with(|(text, seen)| {
            super::compat::rewrite::candidates(statement, Some((text.as_str(), seen.get().saturating_sub(1))))
        })
        .unwrap_or_else(|_| super::compat::rewrite::candidates(statement, None))
}

/// ceping's rules as a datafusion-postgres query hook: it runs first for every statement.
pub struct ReadHook {
    pub snapshots: Arc<Snapshots>,
    pub limits: Limits,
    pub accounts: Arc<Accounts>,
}

impl ReadHook {
    /// Plans a read in the snapshot the connection reads; refuses any plan that would
    /// change something; columns of a type the protocol cannot carry become text.
    async fn plan(
        &self,
        statement: &Statement,
        as_of: Option<i64>,
        scope: &Scope,
    ) -> PgWireResult<(Arc<SessionContext>, LogicalPlan)> {
        let version = self.snapshots.version_for(as_of).await.map_err(crate_error)?;
        let ctx = self.snapshots.context(version, scope).await.map_err(crate_error)?;
        // The statement as the client wrote it when it is there (the server's parser has
        // already answered correlated subqueries NULL), with ceping's compatibility
        // rewrites; a catalog query DataFusion cannot run is tried again with its
        // correlated catalog subqueries answered NULL.
        let original = statement;
        let tried = candidates(statement);
        let mut last_error = None;
        let mut chosen = None;
        for (i, candidate) in tried.iter().enumerate() {
            tracing::debug!(statement = %candidate, "serve: planning");
            let planned = ctx
                .state()
                .statement_to_plan(DfStatementAst::Statement(Box::new(candidate.clone())))
                .await;
            let plan = match planned {
                Ok(p) => p,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            if i + 1 < tried.len() {
                // a fallback exists: make sure this one runs
                let physical = async {
                    let optimized = ctx.state().optimize(&plan)?;
                    ctx.state().create_physical_plan(&optimized).await
                };
                if let Err(e) = physical.await {
                    last_error = Some(e);
                    continue;
                }
            }
            chosen = Some((candidate.clone(), plan));
            break;
        }
        let Some((statement, plan)) = chosen else {
            return Err(df_error(
                last_error.map_or_else(|| "no statement".to_string(), |e| e.to_string()),
            ));
        };
        let statement = &statement;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|_| {
                let kind = policy::statement_kind(&statement.to_string());
                error(
                    policy::READ_ONLY,
                    format!("cannot execute {kind}: the warehouse is read-only over the server"),
                )
            })?;
        // the parameters the client's statement names (a NULL-answered subquery may have
        // held some)
        let mut named = super::compat::rewrite::placeholders(original);
        if let Some(first) = tried.first() {
            for (id, ty) in super::compat::rewrite::placeholders(first) {
                if !named.iter().any(|(n, _)| *n == id) {
                    named.push((id, ty));
                }
            }
        }
        let plan =
            super::shape::expose_placeholders(super::shape::as_text_where_needed(plan).map_err(df_error)?, named)
                .map_err(df_error)?;
        Ok((ctx, plan))
    }

    async fn read_simple(
        &self,
        statement: &Statement,
        client: &mut dyn HookClient,
        scope: &Scope,
    ) -> PgWireResult<Response> {
        let deadline = self.limits.deadline(client);
        let (ctx, plan) = tokio::time::timeout_at(deadline, self.plan(statement, as_of(client), scope))
            .await
            .map_err(|_| canceled())??;
        let df = ctx.execute_logical_plan(plan).await.map_err(df_error)?;
        let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
        let response = tokio::time::timeout_at(deadline, encode_dataframe(df, &Format::UnifiedText, Some(options)))
            .await
            .map_err(|_| canceled())?
            .map_err(map_engine_error)?;
        Ok(Response::Query(with_deadline(response, deadline)))
    }

    /// `SET`/`SHOW ceping.as_of`, `DISCARD ALL`.
    async fn session_command(&self, action: Action, client: &mut dyn HookClient) -> PgWireResult<Response> {
        match action {
            Action::SetAsOf(None) => {
                client.metadata_mut().remove(AS_OF);
                Ok(Response::Execution(Tag::new("SET")))
            }
            Action::SetAsOf(Some(value)) => {
                let parsed: AsOf = value
                    .parse()
                    .map_err(|e: String| error("22023", format!("{AS_OF}: {e}")))?;
                let version = self.snapshots.resolve(&parsed).await.map_err(crate_error)?;
                client.metadata_mut().insert(AS_OF.into(), version.to_string());
                Ok(Response::Execution(Tag::new("SET")))
            }
            Action::ShowAsOf => {
                let value = match as_of(client) {
                    Some(v) => v.to_string(),
                    None => format!(
                        "latest ({})",
                        self.snapshots.version_for(None).await.map_err(crate_error)?
                    ),
                };
                one_value(AS_OF, &value).map(Response::Query)
            }
            Action::Discard(tag) => {
                client.metadata_mut().remove(AS_OF);
                client.metadata_mut().remove(CLIENT_TIMEOUT_KEY);
                Ok(Response::Execution(Tag::new(tag)))
            }
            Action::Show(name, value) => one_value(name, &value).map(Response::Query),
            Action::NoOp(tag) => Ok(Response::Execution(Tag::new(tag))),
            Action::Refuse { sqlstate, message } => Err(error(sqlstate, message)),
            Action::Read | Action::PassOn => Err(error("XX000", "internal: not a session command")),
        }
    }
}

fn empty_plan() -> LogicalPlan {
    LogicalPlan::EmptyRelation(EmptyRelation {
        produce_one_row: false,
        schema: Arc::new(DFSchema::empty()),
    })
}

#[async_trait]
impl QueryHook for ReadHook {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _base: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        let _ = RAW_SQL.try_with(|(_, seen)| seen.set(seen.get() + 1));
        // Every statement runs as the user the session is now (removed, changed or
        // expired sessions end here).
        let who = match self.accounts.check(client.metadata()) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        match policy::classify(statement) {
            Action::PassOn => None,
            Action::Read => Some(self.read_simple(statement, client, &who.scope).await),
            other => Some(self.session_command(other, client).await),
        }
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _base: &SessionContext,
        client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        let who = match self.accounts.check(client.metadata()) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        match policy::classify(statement) {
            Action::PassOn => None,
            Action::Read => Some(
                self.plan(statement, as_of(client), &who.scope)
                    .await
                    .map(|(_, plan)| plan),
            ),
            Action::Refuse { sqlstate, message } => Some(Err(error(sqlstate, message))),
            _ => Some(Ok(empty_plan())),
        }
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _base: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if let Err(e) = self.accounts.check(client.metadata()) {
            return Some(Err(e));
        }
        match policy::classify(statement) {
            // The plan made at parse time runs (in the snapshot it was made in).
            Action::PassOn | Action::Read => None,
            other => Some(self.session_command(other, client).await),
        }
    }
}

/// One text row: the answer to a `SHOW`.
fn one_value(name: &str, value: &str) -> PgWireResult<QueryResponse> {
    let fields = Arc::new(vec![FieldInfo::new(
        name.into(),
        None,
        None,
        Type::VARCHAR,
        FieldFormat::Text,
    )]);
    let mut encoder = DataRowEncoder::new(fields.clone());
    encoder.encode_field(&Some(value))?;
    let row = encoder.take_row();
    Ok(QueryResponse::new(
        fields,
        futures::stream::once(async move { Ok(row) }),
    ))
}

/// The query service every connection uses: datafusion-postgres's service, with the
/// extended protocol re-planning a prepared statement when the warehouse has moved on
/// since it was prepared, and every statement under the time limit.
pub struct Service {
    pub inner: Arc<DfSessionService>,
    pub parser: Arc<VersionedParser>,
    pub snapshots: Arc<Snapshots>,
    pub limits: Limits,
    pub accounts: Arc<Accounts>,
}

impl Service {
    pub fn new(
        inner: Arc<DfSessionService>,
        snapshots: Arc<Snapshots>,
        limits: Limits,
        accounts: Arc<Accounts>,
    ) -> Self {
        let parser = Arc::new(VersionedParser {
            inner: ExtendedQueryHandler::query_parser(&*inner),
            snapshots: snapshots.clone(),
            accounts: accounts.clone(),
        });
        Service {
            inner,
            parser,
            snapshots,
            limits,
            accounts,
        }
    }
}

#[async_trait]
impl SimpleQueryHandler for Service {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let deadline = self.limits.deadline(client);
        let pending = Pending::new(
            &self.accounts,
            client.metadata(),
            client.socket_addr().to_string(),
            query,
        );
        match with_raw_sql(query, SimpleQueryHandler::do_query(&*self.inner, client, query)).await {
            Ok(responses) => Ok(pending.count(bounded(responses, deadline))),
            Err(e) => {
                let e = refuse_unparsed(query, e);
                pending.failed(&e);
                Err(e)
            }
        }
    }
}

/// A statement the SQL parser does not know (say `CREATE EXTERNAL TABLE … STORED AS`)
/// is still refused by name when it would write.
fn refuse_unparsed(query: &str, e: PgWireError) -> PgWireError {
    let kind = policy::statement_kind(query);
    let first = kind.split(' ').next().unwrap_or_default();
    let writes = [
        "CREATE", "DROP", "ALTER", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE", "GRANT", "REVOKE",
    ];
    if writes.contains(&first) && matches!(e, PgWireError::ApiError(_)) {
        return error(
            policy::READ_ONLY,
            format!("cannot execute {kind}: the warehouse is read-only over the server (it changes only through `ceping ingest`)"),
        );
    }
    e
}

#[async_trait]
impl ExtendedQueryHandler for Service {
    type Statement = DfStatement;
    type QueryParser = VersionedParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        self.parser.clone()
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let deadline = self.limits.deadline(client);
        let text = &portal.statement.statement.0;
        let sql = planned_at(text).map_or(text.as_str(), |(_, sql)| sql);
        let pending = Pending::new(&self.accounts, client.metadata(), client.socket_addr().to_string(), sql);
        let result = self.execute(client, portal, max_rows, deadline).await;
        match result {
            Ok(response) => Ok(pending.count_one(response)),
            Err(e) => {
                pending.failed(&e);
                Err(e)
            }
        }
    }
}

impl Service {
    async fn execute<C>(
        &self,
        client: &mut C,
        portal: &Portal<DfStatement>,
        max_rows: usize,
        deadline: Instant,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = DfStatement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.accounts.check(client.metadata())?;
        let text = &portal.statement.statement.0;
        let current = self.snapshots.version_for(as_of(client)).await.map_err(crate_error)?;
        let response = match planned_at(text) {
            Some((version, sql)) if version != current => {
                // Prepared before the warehouse moved on: plan again so this execution
                // reads the version the connection reads now.
                let types = &portal.statement.parameter_types;
                let Some(statement) = self.parser.parse_sql(client, sql, types).await? else {
                    return Ok(Response::EmptyQuery);
                };
                let stored = Arc::new(StoredStatement::new(
                    portal.statement.id.clone(),
                    statement,
                    types.clone(),
                ));
                let bind = Bind::new(
                    Some(portal.name.clone()),
                    Some(portal.statement.id.clone()),
                    format_codes(&portal.parameter_format),
                    portal.parameters.clone(),
                    format_codes(&portal.result_column_format),
                );
                let fresh = Portal::try_new(&bind, stored)?;
                tokio::time::timeout_at(
                    deadline,
                    ExtendedQueryHandler::do_query(&*self.inner, client, &fresh, max_rows),
                )
                .await
            }
            _ => {
                tokio::time::timeout_at(
                    deadline,
                    ExtendedQueryHandler::do_query(&*self.inner, client, portal, max_rows),
                )
                .await
            }
        };
        match response.map_err(|_| canceled())?.map_err(map_engine_error)? {
            Response::Query(q) => Ok(Response::Query(with_deadline(q, deadline))),
            other => Ok(other),
        }
    }
}

fn format_codes(format: &Format) -> Vec<i16> {
    match format {
        Format::UnifiedText => vec![],
        Format::UnifiedBinary => vec![1],
        Format::Individual(codes) => codes.clone(),
    }
}

/// The version tag and the SQL of a stored statement's text.
fn planned_at(text: &str) -> Option<(i64, &str)> {
    let rest = text.strip_prefix(VERSION_TAG)?;
    let (version, sql) = rest.split_once(" */ ")?;
    Some((version.parse().ok()?, sql))
}

/// datafusion-postgres's parser, recording in the statement text the warehouse version
/// the statement was planned at.
pub struct VersionedParser {
    inner: Arc<Parser>,
    snapshots: Arc<Snapshots>,
    accounts: Arc<Accounts>,
}

#[async_trait]
impl QueryParser for VersionedParser {
    type Statement = DfStatement;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        // Read before planning: the plan is at this version or a newer one, and a newer
        // one is caught (and planned again) at execution.
        let version = self.snapshots.version_for(as_of(client)).await.map_err(crate_error)?;
        let parsed = match with_raw_sql(sql, self.inner.parse_sql(client, sql, types)).await {
            Ok(p) => p,
            Err(e) => {
                // A statement that does not get past its parse is in the trail too.
                let e = refuse_unparsed(sql, e);
                Pending::new(&self.accounts, client.metadata(), client.socket_addr().to_string(), sql).failed(&e);
                return Err(e);
            }
        };
        Ok(parsed.map(|(text, plan)| (format!("{VERSION_TAG}{version} */ {text}"), plan)))
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(stmt, column_format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tag_round_trips() {
        let text = format!("{VERSION_TAG}12 */ SELECT $1 */ 2");
        assert_eq!(planned_at(&text), Some((12, "SELECT $1 */ 2")));
        assert_eq!(planned_at("SELECT 1"), None);
    }
}
