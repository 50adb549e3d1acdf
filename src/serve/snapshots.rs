//! One SQL session per warehouse version, shared by every connection that reads it.
//!
//! A statement reads the newest version (or the one its connection chose with
//! `SET ceping.as_of`); its tables are pinned to that version when it is planned, so an
//! ingest that lands meanwhile changes only later statements.

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use tokio::sync::Mutex;

use crate::error::{Error, Result};
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
        setup_pg_catalog(&session.ctx, sql::CATALOG, EmptyContextProvider).map_err(|e| Error::DataFusion(*e))?;
        for udf in size_functions() {
            session.ctx.register_udf(udf);
        }
        for udf in comment_functions(&session).await? {
            session.ctx.register_udf(udf);
        }
        let ctx = Arc::new(session.ctx);
        ready.insert(0, (version, ctx.clone()));
        ready.truncate(KEEP);
        tracing::debug!(version, "serve: session ready");
        Ok(ctx)
    }
}

/// `pg_table_size`, `pg_relation_size`, `pg_total_relation_size` (unknown here: NULL) and
/// `pg_size_pretty`, which psql's `\dt+` and DBeaver's table lists call.
fn size_functions() -> Vec<datafusion::logical_expr::ScalarUDF> {
    use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Int64Type};
    use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
    let unknown_size = |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let rows = ColumnarValue::values_to_arrays(args)?.first().map_or(1, |a| a.len());
        Ok(ColumnarValue::Array(
            std::sync::Arc::new(Int64Array::new_null(rows)) as ArrayRef
        ))
    };
    let mut udfs: Vec<_> = ["pg_table_size", "pg_relation_size", "pg_total_relation_size"]
        .into_iter()
        .map(|name| {
            create_udf(
                name,
                vec![DataType::Int32],
                DataType::Int64,
                Volatility::Stable,
                std::sync::Arc::new(unknown_size),
            )
        })
        .collect();
    let pretty = |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let bytes = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let bytes = bytes.as_primitive::<Int64Type>();
        let text: StringArray = (0..bytes.len())
            .map(|i| {
                (!bytes.is_null(i)).then(|| {
                    let b = bytes.value(i);
                    match b.unsigned_abs() {
                        n if n < 10 * 1024 => format!("{b} bytes"),
                        n if n < 10 * 1024 * 1024 => format!("{} kB", b / 1024),
                        n if n < 10 * 1024 * 1024 * 1024 => format!("{} MB", b / (1024 * 1024)),
                        _ => format!("{} GB", b / (1024 * 1024 * 1024)),
                    }
                })
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(text) as ArrayRef))
    };
    udfs.push(create_udf(
        "pg_size_pretty",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        std::sync::Arc::new(pretty),
    ));
    udfs
}

/// `obj_description(oid, catalog)` and `col_description(oid, attnum)` answering with the
/// data dictionary's Chinese labels, so `\dt+`, `\dv+` and BI tools show them as
/// comments. The object ids are the ones this session's `pg_catalog` gave out.
async fn comment_functions(session: &sql::Session) -> Result<Vec<datafusion::logical_expr::ScalarUDF>> {
    use std::collections::HashMap;

    use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
    use datafusion::arrow::datatypes::{DataType, Int64Type};
    use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};

    let views: HashMap<&'static str, sql::Header<'static>> = session
        .views()
        .filter_map(|v| v.header().ok().map(|h| (v.name, h)))
        .collect();
    let label_of_relation = |name: &str| {
        session
            .catalog
            .table(name)
            .map(|t| t.label)
            .or_else(|| views.get(name).map(|h| h.label_zh))
    };
    let label_of_column = |relation: &str, column: &str| match session.catalog.table(relation) {
        Some(t) => t.column(column).map(|c| c.label),
        None => views.get(relation).and_then(|h| h.column(column)).map(|c| c.zh),
    };
    let rows = session
        .ctx
        .sql(
            "SELECT CAST(c.oid AS BIGINT) AS relid, c.relname, CAST(a.attnum AS BIGINT) AS attnum, a.attname \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid WHERE n.nspname = 'public'",
        )
        .await?
        .collect()
        .await?;
    let mut relations: HashMap<i64, &'static str> = HashMap::new();
    let mut columns: HashMap<(i64, i64), &'static str> = HashMap::new();
    for batch in &rows {
        let relid = datafusion::arrow::compute::cast(batch.column(0), &DataType::Int64)?;
        let relid = relid.as_primitive::<Int64Type>();
        let relname = datafusion::arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
        let relname = relname.as_string::<i32>();
        let attnum = datafusion::arrow::compute::cast(batch.column(2), &DataType::Int64)?;
        let attnum = attnum.as_primitive::<Int64Type>();
        let attname = datafusion::arrow::compute::cast(batch.column(3), &DataType::Utf8)?;
        let attname = attname.as_string::<i32>();
        for i in 0..batch.num_rows() {
            if relid.is_null(i) || relname.is_null(i) {
                continue;
            }
            if let Some(label) = label_of_relation(relname.value(i)) {
                relations.insert(relid.value(i), label);
            }
            if !attnum.is_null(i) && !attname.is_null(i) {
                if let Some(label) = label_of_column(relname.value(i), attname.value(i)) {
                    columns.insert((relid.value(i), attnum.value(i)), label);
                }
            }
        }
    }
    let relations = std::sync::Arc::new(relations);
    let columns = std::sync::Arc::new(columns);
    let obj = move |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let oid = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let oid = oid.as_primitive::<Int64Type>();
        let text: StringArray = (0..oid.len())
            .map(|i| {
                (!oid.is_null(i))
                    .then(|| relations.get(&oid.value(i)).copied())
                    .flatten()
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(text) as ArrayRef))
    };
    let col = move |args: &[ColumnarValue]| -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(args)?;
        let oid = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
        let oid = oid.as_primitive::<Int64Type>();
        let num = datafusion::arrow::compute::cast(&arrays[1], &DataType::Int64)?;
        let num = num.as_primitive::<Int64Type>();
        let text: StringArray = (0..oid.len())
            .map(|i| {
                (!oid.is_null(i) && !num.is_null(i))
                    .then(|| columns.get(&(oid.value(i), num.value(i))).copied())
                    .flatten()
            })
            .collect();
        Ok(ColumnarValue::Array(std::sync::Arc::new(text) as ArrayRef))
    };
    Ok(vec![
        create_udf(
            "obj_description",
            vec![DataType::Int64, DataType::Utf8],
            DataType::Utf8,
            Volatility::Stable,
            std::sync::Arc::new(obj),
        ),
        create_udf(
            "col_description",
            vec![DataType::Int64, DataType::Int64],
            DataType::Utf8,
            Volatility::Stable,
            std::sync::Arc::new(col),
        ),
    ])
}
