//! SQL over the warehouse: a DataFusion `SessionContext` with every table registered (at
//! the latest or an `--as-of` warehouse version) and every view of `views/*.sql`.

pub mod exec;
pub mod print;
pub mod runtime;
pub mod trace;

use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};
use crate::warehouse::{AsOf, Snapshot, Warehouse};

include!(concat!(env!("OUT_DIR"), "/views.rs"));

/// Where a date-taking view uses its date.
pub(crate) const AS_OF_PLACEHOLDER: &str = "{{as_of}}";
const AS_OF_DIRECTIVE: &str = "as_of_function:";

/// A view defined by a file in `src/sql/views`.
#[derive(Debug, Clone, Copy)]
pub struct ViewFile {
    pub name: &'static str,
    pub sql: &'static str,
}

impl ViewFile {
    /// The leading `--` comment block: the view's documentation.
    pub fn doc(&self) -> String {
        self.sql
            .lines()
            .take_while(|l| l.starts_with("--"))
            .map(|l| l.trim_start_matches("--").trim())
            .filter(|l| !l.starts_with(AS_OF_DIRECTIVE))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The table function a date-taking view declares (`-- as_of_function: NAME`).
    pub fn as_of_function(&self) -> Option<&'static str> {
        self.sql.lines().take_while(|l| l.starts_with("--")).find_map(|l| {
            l.trim_start_matches("--")
                .trim()
                .strip_prefix(AS_OF_DIRECTIVE)
                .map(|n| n.trim())
        })
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

/// Every view file: the ones built into the binary, with the `*.sql` files of the folder
/// `CEPING_VIEWS_DIR` names (if set) in place of the built-in ones of the same name, or
/// added (to try a changed view without rebuilding).
pub fn views() -> impl Iterator<Item = ViewFile> {
    static FILES: std::sync::OnceLock<Vec<ViewFile>> = std::sync::OnceLock::new();
    FILES
        .get_or_init(|| {
            let mut files: Vec<ViewFile> = VIEW_FILES.iter().map(|(name, sql)| ViewFile { name, sql }).collect();
            if let Some(dir) = std::env::var_os("CEPING_VIEWS_DIR") {
                match views_from(std::path::Path::new(&dir)) {
                    Ok(overrides) => {
                        files.retain(|f| !overrides.iter().any(|o| o.name == f.name));
                        files.extend(overrides);
                        files.sort_by_key(|v| v.name);
                    }
                    Err(e) => tracing::warn!(
                        "CEPING_VIEWS_DIR {}: {e}; using the built-in views",
                        dir.to_string_lossy()
                    ),
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
}

/// Opens a session over the newest snapshot of the warehouse, or the one `as_of` names.
pub async fn session(wh: &Warehouse, as_of: Option<&AsOf>) -> Result<Session> {
    let snapshot = wh.snapshot(as_of).await?;
    session_at(wh, snapshot).await
}

/// DataFusion's settings for ceping: `DATAFUSION_*` variables, strings as `Utf8`,
/// partitions from the machine's cores (`CEPING_TARGET_PARTITIONS` overrides), the data
/// dictionary's catalog names.
pub fn config() -> SessionConfig {
    let partitions = std::env::var("CEPING_TARGET_PARTITIONS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
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
    session_in(
        wh,
        snapshot,
        SessionContext::new_with_config_rt(config(), runtime::runtime()?),
    )
    .await
}

/// As [`session_at`], in a runtime shared with other sessions (the server's memory pool).
pub async fn session_with_runtime(
    wh: &Warehouse,
    snapshot: Snapshot,
    runtime: std::sync::Arc<datafusion::execution::runtime_env::RuntimeEnv>,
) -> Result<Session> {
    session_in(wh, snapshot, SessionContext::new_with_config_rt(config(), runtime)).await
}

async fn session_in(wh: &Warehouse, snapshot: Snapshot, ctx: SessionContext) -> Result<Session> {
    wh.register(&ctx, &snapshot, &[]).await?;
    register_views(&ctx).await?;
    Ok(Session {
        ctx,
        warehouse_version: snapshot.version,
        snapshot,
    })
}

/// Registers every view file. Views may use one another; a view whose dependencies are not
/// registered yet is retried after the others, so file names need no ordering.
async fn register_views(ctx: &SessionContext) -> Result<()> {
    let mut pending: Vec<ViewFile> = views().collect();
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
