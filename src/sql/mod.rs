//! SQL over the warehouse: a DataFusion `SessionContext` with every table registered (at
//! the latest or an `--as-of` warehouse version) and every view of `views/*.sql`.

pub mod dialect;
pub mod exec;
pub mod print;
pub mod runtime;
pub mod trace;
pub mod view_header;

use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};
use crate::schema::Catalog;
use crate::settings::Query;
use crate::warehouse::{AsOf, Snapshot, Warehouse};
pub use view_header::{ColumnWords, Header};

include!(concat!(env!("OUT_DIR"), "/views.rs"));

/// Where a date-taking view uses its date.
pub(crate) const AS_OF_PLACEHOLDER: &str = "{{as_of}}";

/// A view defined by a file in `src/sql/views`.
#[derive(Debug, Clone, Copy)]
pub struct ViewFile {
    pub name: &'static str,
    pub sql: &'static str,
}

impl ViewFile {
    /// The view's words: its labels, description and columns' words (the header block
    /// of its file; `build.rs` refuses a built-in view without them).
    pub fn header(&self) -> Result<Header<'static>> {
        view_header::parse(self.sql).map_err(|e| Error::Usage(format!("view `{}`: {e}", self.name)))
    }

    /// The description and the prose after it: the view's documentation.
    pub fn doc(&self) -> String {
        self.header().map(|h| h.doc).unwrap_or_default()
    }

    /// The view's Chinese label.
    pub fn label(&self) -> &'static str {
        self.header().map(|h| h.label_zh).unwrap_or("")
    }

    /// The table function a date-taking view declares (`-- as_of_function: NAME`).
    pub fn as_of_function(&self) -> Option<&'static str> {
        self.header().ok().and_then(|h| h.as_of_function)
    }

    /// The view's SELECT with the date bound: `CURRENT_DATE` for the view itself.
    pub fn body(&self, as_of: &str) -> String {
        strip_comments(self.sql)
            .replace(AS_OF_PLACEHOLDER, as_of)
            .trim()
            .trim_end_matches(';')
            .to_string()
    }
}

/// The view files built into the binary.
pub fn builtin_views() -> impl Iterator<Item = ViewFile> {
    VIEW_FILES.iter().map(|(name, sql)| ViewFile { name, sql })
}

/// Every view file: the ones built into the binary, with the `*.sql` files of `dir`
/// (`CEPING_VIEWS_DIR`) in place of the built-in ones of the same name, or added (to try a
/// changed or new view without rebuilding). The folder is read once per process.
pub fn views(dir: Option<&std::path::Path>) -> impl Iterator<Item = ViewFile> {
    static FILES: std::sync::OnceLock<Vec<ViewFile>> = std::sync::OnceLock::new();
    FILES
        .get_or_init(|| {
            let mut files: Vec<ViewFile> = builtin_views().collect();
            if let Some(dir) = dir {
                match views_from(dir) {
                    Ok(overrides) => {
                        files.retain(|f| !overrides.iter().any(|o| o.name == f.name));
                        files.extend(overrides);
                        files.sort_by_key(|v| v.name);
                    }
                    Err(e) => tracing::warn!("CEPING_VIEWS_DIR {}: {e}; using the built-in views", dir.display()),
                }
            }
            files
        })
        .iter()
        .copied()
}

/// The `*.sql` files of `dir` as views (read once per process, kept for its life).
fn views_from(dir: &std::path::Path) -> std::io::Result<Vec<ViewFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sql") {
            let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let sql = std::fs::read_to_string(&path)?;
            files.push(ViewFile {
                name: Box::leak(name.into_boxed_str()),
                sql: Box::leak(sql.into_boxed_str()),
            });
        }
    }
    Ok(files)
}

/// An open SQL session and the warehouse snapshot it reads.
pub struct Session {
    pub ctx: SessionContext,
    /// The warehouse version every table of the session is read at.
    pub warehouse_version: i64,
    pub snapshot: Snapshot,
    /// The warehouse's tables (their words for `describe`, reports and the server).
    pub catalog: &'static Catalog,
    /// The view files this session registered.
    pub views_dir: Option<std::path::PathBuf>,
}

impl Session {
    /// The session's view files.
    pub fn views(&self) -> impl Iterator<Item = ViewFile> {
        views(self.views_dir.as_deref())
    }

    /// A column's (heading, Chinese label): from `view`'s header when it has the column,
    /// else from the first table or view that does (a report's computed column named like
    /// one).
    pub fn column_words(&self, view: Option<&str>, column: &str) -> Option<(&'static str, &'static str)> {
        let in_view = |v: &ViewFile| {
            v.header()
                .ok()
                .and_then(|h| h.column(column).map(|c| (c.heading(), c.zh)))
        };
        if let Some(found) = view
            .and_then(|name| self.views().find(|v| v.name == name))
            .and_then(|v| in_view(&v))
        {
            return Some(found);
        }
        self.catalog
            .column_def(column)
            .map(|c| (c.label, c.label))
            .or_else(|| self.views().find_map(|v| in_view(&v)))
    }
}

/// Opens a session over the newest snapshot of the warehouse, or the one `as_of` names.
pub async fn session(wh: &Warehouse, as_of: Option<&AsOf>) -> Result<Session> {
    let snapshot = wh.snapshot(as_of).await?;
    session_at(wh, snapshot).await
}

/// DataFusion's settings for ceping: `DATAFUSION_*` variables, strings as `Utf8`,
/// partitions from the settings (the machine's cores, `CEPING_TARGET_PARTITIONS`), the data
/// dictionary's catalog names.
pub fn config(query: &Query) -> SessionConfig {
    let partitions = query.target_partitions;
    // DataFusion's own settings from `DATAFUSION_*` variables first (e.g.
    // DATAFUSION_EXECUTION_BATCH_SIZE), for tuning without a rebuild.
    let mut config = SessionConfig::from_env().unwrap_or_else(|e| {
        tracing::warn!("the DATAFUSION_* variables are not used: {e}");
        SessionConfig::default()
    });
    // Strings as `Utf8`, not DataFusion 55's default `Utf8View`, unless a variable says
    // otherwise: a view keeps the whole Parquet page it points into alive, and a join's
    // build side or an aggregate's groups hold many pages for a few short names. At L
    // (1M plan rows) this halved execution_by_quarter's memory (1,005 → 535 MB) and cut
    // rectification_progress's by a third, with no view slower (docs/PERFORMANCE.md).
    let set = |name: &str| std::env::var_os(name).is_some();
    let options = config.options_mut();
    if !set("DATAFUSION_EXECUTION_PARQUET_SCHEMA_FORCE_VIEW_TYPES") {
        options.execution.parquet.schema_force_view_types = false;
    }
    if !set("DATAFUSION_SQL_PARSER_MAP_STRING_TYPES_TO_UTF8VIEW") {
        options.sql_parser.map_string_types_to_utf8view = false;
    }
    config
        .with_information_schema(true)
        .with_target_partitions(partitions)
        .with_default_catalog_and_schema(CATALOG, "public")
}

/// The catalog every table and view is registered in (the database name for clients).
pub const CATALOG: &str = "ceping";

/// Opens a session reading every table at the versions `snapshot` records.
pub async fn session_at(wh: &Warehouse, snapshot: Snapshot) -> Result<Session> {
    let query = &wh.settings().query;
    session_in(
        wh,
        snapshot,
        SessionContext::new_with_config_rt(config(query), runtime::runtime(query.memory_limit)?),
    )
    .await
}

/// As [`session_at`], in a runtime shared with other sessions (the server's memory pool).
pub async fn session_with_runtime(
    wh: &Warehouse,
    snapshot: Snapshot,
    runtime: std::sync::Arc<datafusion::execution::runtime_env::RuntimeEnv>,
) -> Result<Session> {
    session_in(
        wh,
        snapshot,
        SessionContext::new_with_config_rt(config(&wh.settings().query), runtime),
    )
    .await
}

/// A session over the given tables in place of the warehouse's (the server's department
/// sessions: each table holds that department's rows), with the views and `*_as_of`
/// functions planned over them.
pub async fn session_over(
    wh: &Warehouse,
    snapshot: Snapshot,
    runtime: std::sync::Arc<datafusion::execution::runtime_env::RuntimeEnv>,
    tables: Vec<(String, std::sync::Arc<dyn datafusion::catalog::TableProvider>)>,
) -> Result<Session> {
    let ctx = SessionContext::new_with_config_rt(config(&wh.settings().query), runtime);
    for (name, table) in tables {
        ctx.register_table(name.as_str(), table)?;
    }
    with_views(wh, snapshot, ctx).await
}

async fn session_in(wh: &Warehouse, snapshot: Snapshot, ctx: SessionContext) -> Result<Session> {
    wh.register(&ctx, &snapshot, &[]).await?;
    with_views(wh, snapshot, ctx).await
}

/// The session of `ctx`, whose tables are registered, with the views over them.
async fn with_views(wh: &Warehouse, snapshot: Snapshot, ctx: SessionContext) -> Result<Session> {
    let views_dir = wh.settings().query.views_dir.clone();
    register_views(&ctx, views(views_dir.as_deref())).await?;
    Ok(Session {
        ctx,
        warehouse_version: snapshot.version,
        snapshot,
        catalog: wh.catalog(),
        views_dir,
    })
}

/// Registers every view file. Views may use one another; a view whose dependencies are not
/// registered yet is retried after the others, so file names need no ordering.
async fn register_views(ctx: &SessionContext, views: impl Iterator<Item = ViewFile>) -> Result<()> {
    let mut pending: Vec<ViewFile> = views.collect();
    // A view carries its words (built-in ones are checked by build.rs; a file of
    // CEPING_VIEWS_DIR is checked here).
    for view in &pending {
        view.header()?;
    }
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut last_error = None;
        for view in pending.iter().copied() {
            match ctx
                .sql(&format!("CREATE VIEW {} AS {}", view.name, view.body("CURRENT_DATE")))
                .await
            {
                Ok(_) => {
                    if let Some(function) = view.as_of_function() {
                        ctx.register_udtf(function, std::sync::Arc::new(AsOfFunction { view }));
                    }
                }
                Err(e) => {
                    failed.push(view);
                    last_error = Some((view.name, e));
                }
            }
        }
        if failed.len() == pending.len() {
            let (name, e) = last_error.expect("a failed view left an error");
            return Err(Error::Usage(format!(
                "view `{name}` (src/sql/views/{name}.sql) does not plan: {e}"
            )));
        }
        pending = failed;
    }
    Ok(())
}

pub(crate) fn strip_comments(sql: &str) -> String {
    sql.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `rectification_as_of('2018-03-31')` and friends: a date-taking view planned with the
/// given date in place of today.
#[derive(Debug)]
struct AsOfFunction {
    view: ViewFile,
}

impl datafusion::catalog::TableFunctionImpl for AsOfFunction {
    fn call_with_args(
        &self,
        args: datafusion::catalog::TableFunctionArgs,
    ) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::catalog::TableProvider>> {
        use datafusion::error::DataFusionError;
        let name = self.view.as_of_function().unwrap_or(self.view.name);
        let usage = || DataFusionError::Plan(format!("{name} takes one date, e.g. {name}('2018-03-31')"));
        let date = match args.exprs() {
            [e] => const_date(e, args.session()).ok_or_else(usage)?,
            _ => return Err(usage()),
        };
        let sql = self.view.body(&format!("DATE '{}'", date.format("%Y-%m-%d")));
        let state = args
            .session()
            .as_any()
            .downcast_ref::<datafusion::execution::session_state::SessionState>()
            .ok_or_else(|| DataFusionError::Internal("as-of functions need a SessionState".into()))?;
        // Planning reads only the in-memory catalog, so it completes on its first poll;
        // polling (rather than blocking) lets as-of functions call one another.
        let plan = ready_now(state.create_logical_plan(&sql)).ok_or_else(|| {
            DataFusionError::Internal(format!(
                "planning `{name}` waited on I/O; as-of functions plan from memory"
            ))
        })??;
        Ok(std::sync::Arc::new(datafusion::catalog::view::ViewTable::new(
            plan,
            Some(sql),
        )))
    }
}

/// A future's output if it is ready on the first poll.
fn ready_now<F: std::future::Future>(f: F) -> Option<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// A date argument: a literal (`'2018-03-31'`, `DATE '2018-03-31'`) or a constant
/// expression such as `CURRENT_DATE - INTERVAL '1 year'`, folded to a literal.
fn const_date(
    e: &datafusion::logical_expr::Expr,
    session: &dyn datafusion::catalog::Session,
) -> Option<chrono::NaiveDate> {
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::Expr;
    use datafusion::optimizer::simplify_expressions::{ExprSimplifier, SimplifyContext};
    let folded = match e {
        Expr::Literal(..) => e.clone(),
        other => {
            let start = session.execution_props().query_execution_start_time;
            let context = SimplifyContext::builder()
                .with_query_execution_start_time(start)
                .build();
            ExprSimplifier::new(context).simplify(other.clone()).ok()?
        }
    };
    match folded {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
            _,
        ) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        Expr::Literal(ScalarValue::Date32(Some(days)), _) => {
            datafusion::arrow::datatypes::Date32Type::to_naive_date_opt(days)
        }
        Expr::Literal(ScalarValue::Date64(Some(ms)), _) => {
            chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive())
        }
        _ => None,
    }
}
