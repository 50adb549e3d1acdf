//! SQL over the warehouse: a DataFusion `SessionContext` with every table registered (at
//! the latest or an `--as-of` warehouse version) and every view of `views/*.sql`.

pub mod exec;
pub mod print;
pub mod repl;

use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::{Error, Result};
use crate::warehouse::schema::TABLES;
use crate::warehouse::{AsOf, Warehouse};

include!(concat!(env!("OUT_DIR"), "/views.rs"));

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
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn views() -> impl Iterator<Item = ViewFile> {
    VIEW_FILES.iter().map(|(name, sql)| ViewFile { name, sql })
}

/// An open SQL session and the warehouse version it reads.
pub struct Session {
    pub ctx: SessionContext,
    pub warehouse_version: i64,
}

/// Opens a session over the warehouse, at `as_of` when given.
pub async fn session(wh: &Warehouse, as_of: Option<&AsOf>) -> Result<Session> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(2)
        .with_default_catalog_and_schema("ceping", "public");
    let ctx = SessionContext::new_with_config(config);
    let warehouse_version = match as_of {
        Some(a) => wh.resolve_version(a).await?,
        None => wh.version().await?,
    };
    let versions = match as_of {
        Some(_) => Some(wh.table_versions_at(warehouse_version).await?),
        None => None,
    };
    for def in TABLES {
        let table = match &versions {
            Some(v) => wh.table_at(def.name, v.get(def.name).copied().unwrap_or(0)).await?,
            None => wh.table(def.name).await?,
        };
        table
            .update_datafusion_session(&ctx.state())
            .map_err(|e| Error::delta(def.name, e))?;
        let provider = table.table_provider().await?;
        ctx.register_table(def.name, provider)?;
    }
    register_views(&ctx).await?;
    Ok(Session { ctx, warehouse_version })
}

/// Registers every view file. Views may use one another; a view whose dependencies are not
/// registered yet is retried after the others, so file names need no ordering.
async fn register_views(ctx: &SessionContext) -> Result<()> {
    let mut pending: Vec<ViewFile> = views().collect();
    while !pending.is_empty() {
        let mut failed = Vec::new();
        let mut last_error = None;
        for view in pending.iter().copied() {
            let body = strip_comments(view.sql);
            match ctx
                .sql(&format!(
                    "CREATE VIEW {} AS {}",
                    view.name,
                    body.trim().trim_end_matches(';')
                ))
                .await
            {
                Ok(_) => {}
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

fn strip_comments(sql: &str) -> String {
    sql.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
}
